/* sc-sqlite-store.c: the station's records in one SQLite file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "sc-store-private.h"
#include "sc-users.h"

#define SC_TYPE_SQLITE_STORE (sc_sqlite_store_get_type ())

G_DECLARE_FINAL_TYPE (ScSqliteStore, sc_sqlite_store, SC, SQLITE_STORE, GObject)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* How long a writer waits for another connection's transaction. */
#define BUSY_TIMEOUT_MS 10000

/* A record owned by another host counts as in progress while it changed
 * less than this long ago: there is no way to ask that host about its pid. */
#define REMOTE_OWNER_TIMEOUT (10 * G_TIME_SPAN_MINUTE)

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

/* Who owns a unit's run: the host name, the process id, the boot the process
 * lives in, and a random token per store object.
 *
 * The token is needed because a process may open several stores on the same
 * file (the GUI and a background task, or the concurrency test): they share
 * the pid, and kill (pid, 0) says nothing about whether the other store is
 * still open. So a record with our host and pid but another token belongs to
 * another store in this process; it is live while that store is open, which
 * the process-wide set below records (a store adds its token when opened and
 * removes it when finalised), and gone once that store is closed.
 *
 * The boot id catches a record left by a crash before a reboot: its pid may
 * now belong to an unrelated process, which must not keep the unit busy. */
static GMutex live_tokens_lock;
static GHashTable *live_tokens;

struct _ScSqliteStore
{
  GObject   parent_instance;

  GMutex    lock;     /* one call at a time on the connection (opened NOMUTEX) */
  sqlite3  *db;
  char     *path;
  char     *host;
  gint64    pid;
  char     *token;
  char     *boot_id;  /* NULL when the kernel does not say */
  char     *head_path;     /* the audit log's last entry, kept beside the database */
  char     *pending_head;  /* "ID HASH" of an entry not yet committed */
};

static void store_iface_init (ScStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ScSqliteStore, sc_sqlite_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SC_TYPE_STORE, store_iface_init))

/* The schema, one entry per version. A migration runs inside the transaction
 * that records its version, so a database is never half-migrated. */
static const char * const migrations[] = {
  /* 1 */
  "CREATE TABLE units ("
  "  id INTEGER PRIMARY KEY,"
  "  product TEXT NOT NULL,"
  "  pid TEXT,"
  "  serial TEXT NOT NULL,"
  "  state TEXT NOT NULL CHECK (state IN ('started', 'keyed', 'signed', 'written', 'verified',"
  "                                       'labelled', 'complete', 'failed', 'superseded')),"
  "  key_origin INTEGER NOT NULL DEFAULT -1,"
  "  public_key_sha256 TEXT,"
  "  puk TEXT,"
  "  cert_serial TEXT,"
  "  chain_pem TEXT,"
  "  dak TEXT,"
  "  pin_sealed BLOB,"
  "  pin_mac TEXT,"
  "  station TEXT,"
  "  operator TEXT,"
  "  failure TEXT,"
  "  owner_host TEXT,"
  "  owner_pid INTEGER,"
  "  owner_token TEXT,"
  "  owner_boot TEXT,"
  "  created INTEGER NOT NULL,"
  "  updated INTEGER NOT NULL"
  ");"
  "CREATE UNIQUE INDEX units_active_serial ON units (product, serial)"
  "  WHERE state NOT IN ('failed', 'superseded');"
  "CREATE UNIQUE INDEX units_active_key ON units (public_key_sha256)"
  "  WHERE state NOT IN ('failed', 'superseded');"
  "CREATE UNIQUE INDEX units_cert_serial ON units (cert_serial);"
  "CREATE UNIQUE INDEX units_pin ON units (product, pin_mac);"
  "CREATE INDEX units_serial ON units (serial);"
  "CREATE INDEX units_created ON units (created);"
  "CREATE TABLE steps ("
  "  unit_id INTEGER NOT NULL REFERENCES units (id),"
  "  name TEXT NOT NULL,"
  "  started INTEGER NOT NULL,"
  "  finished INTEGER NOT NULL,"
  "  ok INTEGER NOT NULL,"
  "  error TEXT"
  ");"
  "CREATE INDEX steps_unit ON steps (unit_id);"
  "CREATE TABLE signatures ("
  "  id INTEGER PRIMARY KEY,"
  "  unit_id INTEGER NOT NULL REFERENCES units (id),"
  "  dak TEXT NOT NULL,"
  "  cert_serial TEXT,"
  "  started INTEGER NOT NULL,"
  "  finished INTEGER"
  ");"
  "CREATE UNIQUE INDEX signatures_cert_serial ON signatures (cert_serial);"
  "CREATE INDEX signatures_unit ON signatures (unit_id);"
  "CREATE TABLE prints ("
  "  id INTEGER PRIMARY KEY,"
  "  unit_id INTEGER NOT NULL REFERENCES units (id),"
  "  kind INTEGER NOT NULL,"
  "  reprint INTEGER NOT NULL,"
  "  reason TEXT,"
  "  printer TEXT,"
  "  operator TEXT,"
  "  time INTEGER NOT NULL"
  ");"
  "CREATE INDEX prints_unit ON prints (unit_id);"
  "CREATE TABLE audit ("
  "  id INTEGER PRIMARY KEY,"
  "  time INTEGER NOT NULL,"
  "  actor TEXT NOT NULL,"
  "  action TEXT NOT NULL,"
  "  serial TEXT,"
  "  details TEXT,"
  "  prev_hash TEXT NOT NULL,"
  "  hash TEXT NOT NULL"
  ");",

  /* 2: prints are journaled (pending before the job is sent, then done or
   * failed); a certified public key is unique across every unit. */
  "ALTER TABLE prints ADD COLUMN status TEXT NOT NULL DEFAULT 'done';"
  "CREATE UNIQUE INDEX units_certified_key ON units (public_key_sha256)"
  "  WHERE cert_serial IS NOT NULL AND state != 'superseded';",

  /* 3: why a print did not print, or why its outcome is not known; prints
   * not sent to a printer that was not ready ('not-sent'). */
  "ALTER TABLE prints ADD COLUMN error TEXT;",

  /* 4: the station's users. Never a passcode or a badge code: the
   * passcode's salted scrypt hash, the badge's HMAC under the station
   * secret. failures and retry_after make a name wait after wrong
   * passcodes. */
  "CREATE TABLE users ("
  "  id INTEGER PRIMARY KEY,"
  "  name TEXT NOT NULL COLLATE NOCASE,"
  "  roles INTEGER NOT NULL CHECK (roles > 0),"
  "  disabled INTEGER NOT NULL DEFAULT 0,"
  "  passcode_hash TEXT NOT NULL,"
  "  badge_mac TEXT,"
  "  failures INTEGER NOT NULL DEFAULT 0,"
  "  retry_after INTEGER NOT NULL DEFAULT 0,"
  "  created INTEGER NOT NULL,"
  "  updated INTEGER NOT NULL"
  ");"
  "CREATE UNIQUE INDEX users_name ON users (name);"
  "CREATE UNIQUE INDEX users_badge ON users (badge_mac);",
};

#define SCHEMA_VERSION ((gint64) G_N_ELEMENTS (migrations))

static void
sc_sqlite_store_finalize (GObject *object)
{
  ScSqliteStore *self = SC_SQLITE_STORE (object);

  if (self->token != NULL)
    {
      g_mutex_lock (&live_tokens_lock);
      if (live_tokens != NULL)
        g_hash_table_remove (live_tokens, self->token);
      g_mutex_unlock (&live_tokens_lock);
    }

  /* Statements are finalised by the calls that made them, so close_v2 has
   * nothing to wait for. */
  g_clear_pointer (&self->db, sqlite3_close_v2);
  g_free (self->path);
  g_free (self->head_path);
  g_free (self->pending_head);
  g_free (self->host);
  g_free (self->token);
  g_free (self->boot_id);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (sc_sqlite_store_parent_class)->finalize (object);
}

static void
sc_sqlite_store_class_init (ScSqliteStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sc_sqlite_store_finalize;
}

static void
sc_sqlite_store_init (ScSqliteStore *self)
{
  g_mutex_init (&self->lock);
}

/* Errors */

static const char *
unique_rule (const char *message)
{
  /* SQLite names the columns of the index that refused the row. */
  if (strstr (message, "public_key_sha256") != NULL)
    return _("Another unit already has this public key; every unit needs its own key, "
             "so make a new key for this unit");
  if (strstr (message, "cert_serial") != NULL)
    return _("Another certificate already has this serial number; sign again to get a "
             "certificate with a new serial");
  if (strstr (message, "pin_mac") != NULL)
    return _("Another unit of this product already has this PIN; make a new PIN for this unit");
  if (strstr (message, "units.serial") != NULL)
    return _("Another run of this serial number for this product is in progress or complete; "
             "finish or fail that run first");
  return NULL;
}

/* Turns the connection's last error into a GError; @what says what was
 * being done, as a verb phrase ("record the key"). */
static void
set_db_error (ScSqliteStore  *self,
              GError        **error,
              int             rc,
              const char     *what)
{
  const char *message = sqlite3_errmsg (self->db);
  int primary = rc & 0xff;

  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
    {
      g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_FAILED,
                   _("Cannot %s: the station database is busy, another program has held it for more "
                     "than %d seconds (%s); try again, and close any other program using it"),
                   what, BUSY_TIMEOUT_MS / 1000, message);
      return;
    }

  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
    {
      const char *rule = unique_rule (message);

      if (rule != NULL)
        g_set_error_literal (error, SC_STORE_ERROR, SC_STORE_ERROR_DUPLICATE, rule);
      else
        g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_DUPLICATE,
                     _("Cannot %s: it would break a uniqueness rule of the station database (%s)"),
                     what, message);
      return;
    }

  g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_FAILED,
               _("Cannot %s in the station database: %s; check the disk and the database file"),
               what, message);
}

static void
set_not_found (GError **error,
               gint64   unit_id)
{
  g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_NOT_FOUND,
               _("There is no unit record %" PRId64 " in the station database; "
                 "start the unit’s run again"),
               unit_id);
}

/* Statements */

static sqlite3_stmt *
prepare (ScSqliteStore  *self,
         const char     *sql,
         const char     *what,
         GError        **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      set_db_error (self, error, rc, what);
      sqlite3_finalize (stmt);
      return NULL;
    }
  return stmt;
}

/* A statement's parameters, in order, as a list that BINDS() ends. Text and
 * blobs are not copied: they must last until query() returns. */
typedef enum
{
  BOUND_END,
  BOUND_INT,
  BOUND_TEXT,
  BOUND_BLOB,
} BoundKind;

typedef struct
{
  BoundKind      kind;
  gint64         number;
  const char    *text;   /* NULL binds NULL */
  gconstpointer  data;
  gsize          size;
} Bound;

#define BIND_INT(n)     { .kind = BOUND_INT, .number = (n) }
#define BIND_TEXT(s)    { .kind = BOUND_TEXT, .text = (s) }
#define BIND_BLOB(p, n) { .kind = BOUND_BLOB, .data = (p), .size = (n) }
#define BINDS(...)      ((const Bound[]) { __VA_ARGS__, { .kind = BOUND_END } })

static void
bind_all (sqlite3_stmt *stmt,
          const Bound  *bound)
{
  for (int i = 0; bound != NULL && bound[i].kind != BOUND_END; i++)
    {
      const Bound *b = &bound[i];

      switch (b->kind)
        {
        case BOUND_INT:
          sqlite3_bind_int64 (stmt, i + 1, b->number);
          break;
        case BOUND_TEXT:
          if (b->text != NULL)
            sqlite3_bind_text (stmt, i + 1, b->text, -1, SQLITE_STATIC);
          else
            sqlite3_bind_null (stmt, i + 1);
          break;
        case BOUND_BLOB:
          /* Never a NULL pointer, which would bind NULL, not an empty blob. */
          sqlite3_bind_blob64 (stmt, i + 1, b->size > 0 ? b->data : "", b->size, SQLITE_STATIC);
          break;
        case BOUND_END:
        default:
          g_assert_not_reached ();
        }
    }
}

/* A row of an SQLite statement, for the record readers (sc-store-private.h). */
typedef struct
{
  ScStoreRow    parent;
  sqlite3_stmt *stmt;
} SqliteRow;

static gint64
row_get_int64 (const ScStoreRow *row,
               int               column)
{
  return sqlite3_column_int64 (((const SqliteRow *) row)->stmt, column);
}

static const char *
row_get_text (const ScStoreRow *row,
              int               column)
{
  return (const char *) sqlite3_column_text (((const SqliteRow *) row)->stmt, column);
}

static GBytes *
row_get_bytes (const ScStoreRow *row,
               int               column)
{
  sqlite3_stmt *stmt = ((const SqliteRow *) row)->stmt;
  gconstpointer data;

  if (sqlite3_column_type (stmt, column) == SQLITE_NULL)
    return NULL;
  data = sqlite3_column_blob (stmt, column);
  return g_bytes_new (data, sqlite3_column_bytes (stmt, column));
}

static const ScStoreRowFuncs sqlite_row_funcs = {
  .get_int64 = row_get_int64,
  .get_text = row_get_text,
  .get_bytes = row_get_bytes,
};

/* Runs @sql with the parameters @bound (NULL: none), calling @row_func
 * (NULL: rows are not read) for each row until it says stop. Any error of
 * the database becomes one sentence about @what (a verb phrase, "record the
 * key"); an error @row_func sets is passed on. */
static gboolean
query (ScSqliteStore   *self,
       const char      *what,
       const char      *sql,
       const Bound     *bound,
       ScStoreRowFunc   row_func,
       gpointer         data,
       GError         **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self, sql, what, error);
  SqliteRow row = { { &sqlite_row_funcs }, stmt };
  int rc;

  if (stmt == NULL)
    return FALSE;
  bind_all (stmt, bound);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      GError *row_error = NULL;

      if (row_func != NULL && row_func (&row.parent, data, &row_error))
        continue;
      if (row_error == NULL)
        return TRUE;
      g_propagate_error (error, row_error);
      return FALSE;
    }
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, rc, what);
      return FALSE;
    }
  return TRUE;
}

/* Row functions: the first row's value or record into *@data (and stop),
 * or each row's record added to the GPtrArray @data. */

static gboolean
first_int64 (const ScStoreRow  *row,
             gpointer           data,
             GError           **error)
{
  *(gint64 *) data = _sc_store_row_get_int64 (row, 0);
  return FALSE;
}

static gboolean
first_text (const ScStoreRow  *row,
            gpointer           data,
            GError           **error)
{
  *(char **) data = _sc_store_row_dup_text (row, 0);
  return FALSE;
}

static gboolean
first_unit (const ScStoreRow  *row,
            gpointer           data,
            GError           **error)
{
  *(ScUnitRecord **) data = _sc_unit_record_from_row (row);
  return FALSE;
}

static gboolean
first_user (const ScStoreRow  *row,
            gpointer           data,
            GError           **error)
{
  *(ScUserRecord **) data = _sc_user_record_from_row (row);
  return FALSE;
}

static gboolean
into_units (const ScStoreRow  *row,
            gpointer           data,
            GError           **error)
{
  g_ptr_array_add (data, _sc_unit_record_from_row (row));
  return TRUE;
}

static gboolean
into_steps (const ScStoreRow  *row,
            gpointer           data,
            GError           **error)
{
  g_ptr_array_add (data, _sc_step_record_from_row (row));
  return TRUE;
}

static gboolean
into_prints (const ScStoreRow  *row,
             gpointer           data,
             GError           **error)
{
  g_ptr_array_add (data, _sc_print_record_from_row (row));
  return TRUE;
}

static gboolean
into_audit (const ScStoreRow  *row,
            gpointer           data,
            GError           **error)
{
  g_ptr_array_add (data, _sc_audit_entry_from_row (row));
  return TRUE;
}

static gboolean
into_users (const ScStoreRow  *row,
            gpointer           data,
            GError           **error)
{
  g_ptr_array_add (data, _sc_user_record_from_row (row));
  return TRUE;
}

static gboolean
exec (ScSqliteStore  *self,
      const char     *sql,
      const char     *what,
      GError        **error)
{
  int rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      set_db_error (self, error, rc, what);
      return FALSE;
    }
  return TRUE;
}

/* Transactions. A write takes the write lock at BEGIN (IMMEDIATE), so two
 * processes deciding on the same row are serialised before either reads it. */

static gboolean
tx_begin (ScSqliteStore  *self,
          gboolean        write,
          GError        **error)
{
  return exec (self, write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED", _("start a transaction"), error);
}

/* Commits if @ok, otherwise (or if the commit fails) rolls back. */
static gboolean
tx_end (ScSqliteStore  *self,
        gboolean        ok,
        GError        **error)
{
  if (ok)
    ok = exec (self, "COMMIT", _("save the change"), error);
  if (!ok && !sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);

  /* The audit log's head goes beside the database once the entry is
   * committed, so entries cut off the end of the log are found. Replaced by
   * a rename but not synced (two syncs a commit saved, a third of the cost
   * of a durable record): after a power cut it may lag the database or be
   * empty, which verification ignores, and it never leads the database. */
  if (ok && self->pending_head != NULL && self->head_path != NULL)
    g_file_set_contents_full (self->head_path, self->pending_head, -1, G_FILE_SET_CONTENTS_NONE, 0600, NULL);
  g_clear_pointer (&self->pending_head, g_free);
  return ok;
}

/* The audit chain */

static char *
audit_hash (const char *prev_hash,
            gint64      id,
            gint64      time,
            const char *actor,
            const char *action,
            const char *serial,
            const char *details)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  char number[32];

#define FEED(s) g_checksum_update (sum, (const guchar *) (s), strlen (s))
  FEED (prev_hash);
  FEED ("\n");
  g_snprintf (number, sizeof number, "%" G_GINT64_FORMAT, id);
  FEED (number);
  FEED ("\n");
  g_snprintf (number, sizeof number, "%" G_GINT64_FORMAT, time);
  FEED (number);
  FEED ("\n");
  FEED (actor);
  FEED ("\n");
  FEED (action);
  FEED ("\n");
  FEED (serial != NULL ? serial : "");
  FEED ("\n");
  FEED (details != NULL ? details : "");
#undef FEED

  return g_strdup (g_checksum_get_string (sum));
}

/* The log's last entry: its id, and its hash, NULL in an empty log. */
typedef struct
{
  gint64  id;
  char   *hash;
} AuditHead;

static gboolean
first_audit_head (const ScStoreRow  *row,
                  gpointer           data,
                  GError           **error)
{
  AuditHead *head = data;

  head->id = _sc_store_row_get_int64 (row, 0);
  head->hash = _sc_store_row_dup_text (row, 1);
  return FALSE;
}

/* Appends one entry; runs inside the caller's transaction. */
static gboolean
append_audit (ScSqliteStore  *self,
              gint64          now,
              const char     *actor,
              const char     *action,
              const char     *serial,
              const char     *details,
              GError        **error)
{
  g_autofree char *prev_hash = NULL;
  g_autofree char *hash = NULL;
  const char *what = _("append to the audit log");
  AuditHead last = { 0 };
  gint64 id;

  if (!query (self, what, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", NULL,
              first_audit_head, &last, error))
    return FALSE;
  id = last.id + 1;
  prev_hash = last.hash != NULL ? last.hash : g_strdup (ZERO_HASH);

  hash = audit_hash (prev_hash, id, now, actor, action, serial, details);

  if (!query (self, what,
              "INSERT INTO audit (id, time, actor, action, serial, details, prev_hash, hash) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
              BINDS (BIND_INT (id), BIND_INT (now), BIND_TEXT (actor), BIND_TEXT (action), BIND_TEXT (serial),
                     BIND_TEXT (details), BIND_TEXT (prev_hash), BIND_TEXT (hash)),
              NULL, NULL, error))
    return FALSE;
  g_free (self->pending_head);
  self->pending_head = g_strdup_printf ("%" G_GINT64_FORMAT " %s\n", id, hash);
  return TRUE;
}

/* Units */

/* The unit @unit_id, or NULL with NOT_FOUND. */
static ScUnitRecord *
load_unit (ScSqliteStore  *self,
           gint64          unit_id,
           GError        **error)
{
  ScUnitRecord *unit = NULL;

  if (!query (self, _("read a unit record"), "SELECT " SC_STORE_UNIT_COLUMNS " FROM units WHERE id = ?",
              BINDS (BIND_INT (unit_id)), first_unit, &unit, error))
    return NULL;
  if (unit == NULL)
    set_not_found (error, unit_id);
  return unit;
}

/* Who is named in the audit log for a change to @unit. */
static const char *
unit_actor (ScSqliteStore      *self,
            const ScUnitRecord *unit)
{
  return unit->operator_name != NULL ? unit->operator_name : self->host;
}

/* Runs @sql, an UPDATE of the unit @unit_id, and requires that it changed
 * exactly that row. */
static gboolean
update_unit (ScSqliteStore  *self,
             const char     *what,
             const char     *sql,
             const Bound    *bound,
             gint64          unit_id,
             GError        **error)
{
  if (!query (self, what, sql, bound, NULL, NULL, error))
    return FALSE;
  if (sqlite3_changes (self->db) != 1)
    {
      set_not_found (error, unit_id);
      return FALSE;
    }
  return TRUE;
}

typedef enum
{
  OWNER_US,
  OWNER_LIVE,
  OWNER_GONE,
} OwnerStatus;

static gboolean
token_is_live (const char *token)
{
  gboolean live;

  g_mutex_lock (&live_tokens_lock);
  live = live_tokens != NULL && token != NULL && g_hash_table_contains (live_tokens, token);
  g_mutex_unlock (&live_tokens_lock);
  return live;
}

static OwnerStatus
owner_status (ScSqliteStore *self,
              const char    *host,
              gint64         pid,
              const char    *token,
              const char    *boot_id,
              gint64         updated,
              gint64         now)
{
  if (host == NULL)
    return OWNER_GONE;

  if (g_strcmp0 (host, self->host) != 0)
    return now - updated < REMOTE_OWNER_TIMEOUT ? OWNER_LIVE : OWNER_GONE;

  if (boot_id != NULL && self->boot_id != NULL && strcmp (boot_id, self->boot_id) != 0)
    return OWNER_GONE;

  if (pid == self->pid)
    {
      if (g_strcmp0 (token, self->token) == 0)
        return OWNER_US;
      return token_is_live (token) ? OWNER_LIVE : OWNER_GONE;
    }

  if (pid <= 0 || pid > G_MAXINT)
    return OWNER_GONE;
  if (kill ((pid_t) pid, 0) == 0 || errno == EPERM)
    return OWNER_LIVE;
  return OWNER_GONE;
}

static gboolean
is_blank (const char *text)
{
  if (text == NULL)
    return TRUE;
  for (; *text != '\0'; text++)
    if (!g_ascii_isspace (*text))
      return FALSE;
  return TRUE;
}

static char *
format_time (gint64 usec)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (usec / G_USEC_PER_SEC);

  return dt != NULL ? g_date_time_format (dt, "%Y-%m-%d %H:%M") : g_strdup ("?");
}

static ScUnitRecord *
insert_unit (ScSqliteStore  *self,
             gint64          now,
             const char     *product,
             const char     *pid,
             const char     *serial,
             const char     *station,
             const char     *operator_name,
             GError        **error)
{
  if (!query (self, _("record the start of the unit’s run"),
              "INSERT INTO units (product, pid, serial, state, station, operator, "
              "owner_host, owner_pid, owner_token, owner_boot, created, updated) "
              "VALUES (?, ?, ?, 'started', ?, ?, ?, ?, ?, ?, ?, ?)",
              BINDS (BIND_TEXT (product), BIND_TEXT (pid), BIND_TEXT (serial), BIND_TEXT (station),
                     BIND_TEXT (operator_name), BIND_TEXT (self->host), BIND_INT (self->pid),
                     BIND_TEXT (self->token), BIND_TEXT (self->boot_id), BIND_INT (now), BIND_INT (now)),
              NULL, NULL, error))
    return NULL;
  return load_unit (self, sqlite3_last_insert_rowid (self->db), error);
}

/* A unit's record with its owner (SC_STORE_UNIT_COLUMNS, then owner_host,
 * owner_pid, owner_token, owner_boot). */
typedef struct
{
  ScUnitRecord *unit;
  char         *host;
  gint64        pid;
  char         *token;
  char         *boot_id;
} OwnedUnit;

static gboolean
first_owned_unit (const ScStoreRow  *row,
                  gpointer           data,
                  GError           **error)
{
  OwnedUnit *owned = data;

  owned->unit = _sc_unit_record_from_row (row);
  owned->host = _sc_store_row_dup_text (row, SC_STORE_N_UNIT_COLUMNS);
  owned->pid = _sc_store_row_get_int64 (row, SC_STORE_N_UNIT_COLUMNS + 1);
  owned->token = _sc_store_row_dup_text (row, SC_STORE_N_UNIT_COLUMNS + 2);
  owned->boot_id = _sc_store_row_dup_text (row, SC_STORE_N_UNIT_COLUMNS + 3);
  return FALSE;
}

static ScUnitRecord *
begin_unit_locked (ScSqliteStore  *self,
                   gint64          now,
                   const char     *product,
                   const char     *pid,
                   const char     *serial,
                   const char     *station,
                   const char     *operator_name,
                   const char     *override_reason,
                   GError        **error)
{
  g_autoptr(ScUnitRecord) current = NULL;
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autofree char *details = NULL;
  g_autofree char *owner_host = NULL;
  g_autofree char *owner_token = NULL;
  g_autofree char *owner_boot = NULL;
  const char *actor = operator_name != NULL ? operator_name : self->host;
  OwnedUnit found = { 0 };
  OwnerStatus status;
  gint64 owner_pid;

  /* The unique index allows at most one run that is neither failed nor
   * superseded per (product, serial). */
  if (!query (self, _("look up the unit’s runs"),
              "SELECT " SC_STORE_UNIT_COLUMNS ", owner_host, owner_pid, owner_token, owner_boot FROM units "
              "WHERE product = ? AND serial = ? AND state NOT IN ('failed', 'superseded') "
              "ORDER BY id DESC LIMIT 1",
              BINDS (BIND_TEXT (product), BIND_TEXT (serial)), first_owned_unit, &found, error))
    return NULL;
  current = found.unit;
  owner_host = found.host;
  owner_pid = found.pid;
  owner_token = found.token;
  owner_boot = found.boot_id;

  if (current == NULL)
    {
      unit = insert_unit (self, now, product, pid, serial, station, operator_name, error);
      if (unit == NULL)
        return NULL;
      details = g_strdup_printf ("unit %" G_GINT64_FORMAT ", product %s, pid %s, station %s",
                                 unit->id, product, pid ? pid : "-", station ? station : "-");
      if (!append_audit (self, now, actor, "begin", serial, details, error))
        return NULL;
      return g_steal_pointer (&unit);
    }

  status = owner_status (self, owner_host, owner_pid, owner_token, owner_boot, current->updated, now);

  /* A completed unit needs an override to start again; so may a run that
   * stopped where it cannot go on by itself (its owner gone), if someone
   * says why. */
  if (current->state == SC_UNIT_COMPLETE || (!is_blank (override_reason) && status != OWNER_LIVE))
    {
      g_autofree char *when = NULL;

      if (is_blank (override_reason))
        {
          when = format_time (current->updated);
          g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_COMPLETED,
                       _("Serial “%s” of product %s was provisioned on %s; re-provisioning needs "
                         "an override with a reason"),
                       serial, product, when);
          return NULL;
        }

      if (!update_unit (self, _("supersede the unit’s earlier run"),
                        "UPDATE units SET state = 'superseded', updated = ? WHERE id = ?",
                        BINDS (BIND_INT (now), BIND_INT (current->id)), current->id, error))
        return NULL;

      unit = insert_unit (self, now, product, pid, serial, station, operator_name, error);
      if (unit == NULL)
        return NULL;
      details = g_strdup_printf ("unit %" G_GINT64_FORMAT " superseded by unit %" G_GINT64_FORMAT
                                 "; reason: %s",
                                 current->id, unit->id, override_reason);
      if (!append_audit (self, now, actor, "override", serial, details, error))
        return NULL;
      g_clear_pointer (&details, g_free);
      details = g_strdup_printf ("unit %" G_GINT64_FORMAT ", product %s, pid %s, station %s",
                                 unit->id, product, pid ? pid : "-", station ? station : "-");
      if (!append_audit (self, now, actor, "begin", serial, details, error))
        return NULL;
      return g_steal_pointer (&unit);
    }

  switch (status)
    {
    case OWNER_US:
      return g_steal_pointer (&current);

    case OWNER_LIVE:
      if (g_strcmp0 (owner_host, self->host) == 0 && owner_pid == self->pid)
        g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_BUSY,
                     _("Serial “%s” of product %s is being provisioned by another window or task of "
                       "this program now; finish that run first"),
                     serial, product);
      else if (g_strcmp0 (owner_host, self->host) == 0)
        g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_BUSY,
                     _("Serial “%s” of product %s is being provisioned by process %" PRId64
                       " on %s now; finish that run or close that program first"),
                     serial, product, owner_pid, owner_host);
      else
        g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_BUSY,
                     _("Serial “%s” of product %s is being provisioned by process %" PRId64
                       " on %s now (last change %" PRId64 " s ago); finish that run there, or "
                       "wait until it has been idle for %d minutes to resume it here"),
                     serial, product, owner_pid, owner_host,
                     (now - current->updated) / G_USEC_PER_SEC,
                     (int) (REMOTE_OWNER_TIMEOUT / G_TIME_SPAN_MINUTE));
      return NULL;

    case OWNER_GONE:
    default:
      break;
    }

  /* The owner is gone: this store takes the run over where it stopped. */
  if (!update_unit (self, _("take over the unit’s run"),
                    "UPDATE units SET owner_host = ?, owner_pid = ?, owner_token = ?, owner_boot = ?, "
                    "updated = ? WHERE id = ?",
                    BINDS (BIND_TEXT (self->host), BIND_INT (self->pid), BIND_TEXT (self->token),
                           BIND_TEXT (self->boot_id), BIND_INT (now), BIND_INT (current->id)),
                    current->id, error))
    return NULL;

  details = g_strdup_printf ("unit %" G_GINT64_FORMAT " resumed at state %s from process %" G_GINT64_FORMAT
                             " on %s",
                             current->id, sc_unit_state_to_string (current->state), owner_pid,
                             owner_host ? owner_host : "-");
  if (!append_audit (self, now, actor, "resume", serial, details, error))
    return NULL;
  return load_unit (self, current->id, error);
}

static ScUnitRecord *
begin_unit (ScStore     *store,
            const char  *product,
            const char  *pid,
            const char  *serial,
            const char  *station,
            const char  *operator_name,
            const char  *override_reason,
            GError     **error)
{
  ScSqliteStore *self = SC_SQLITE_STORE (store);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(ScUnitRecord) unit = NULL;

  if (tx_begin (self, TRUE, error))
    unit = begin_unit_locked (self, g_get_real_time (), product, pid, serial, station, operator_name,
                              override_reason, error);
  if (!tx_end (self, unit != NULL, unit != NULL ? error : NULL))
    return NULL;
  return g_steal_pointer (&unit);
}

static gboolean
set_key (ScStore     *store,
         gint64       unit_id,
         int          key_origin,
         const char  *public_key_sha256,
         const char  *puk,
         GError     **error)
{
  ScSqliteStore *self = SC_SQLITE_STORE (store);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autofree char *details = NULL;
  gint64 now = g_get_real_time ();
  gboolean ok = FALSE;

  if (!tx_begin (self, TRUE, error))
    return FALSE;
  unit = load_unit (self, unit_id, error);
  if (unit == NULL)
    goto out;

  if (!update_unit (self, _("record the unit’s key"),
                    "UPDATE units SET key_origin = ?, public_key_sha256 = ?, puk = ?, "
                    "state = CASE state WHEN 'started' THEN 'keyed' ELSE state END, "
                    "updated = ? WHERE id = ?",
                    BINDS (BIND_INT (key_origin), BIND_TEXT (public_key_sha256), BIND_TEXT (puk), BIND_INT (now),
                           BIND_INT (unit_id)),
                    unit_id, error))
    goto out;

  details = g_strdup_printf ("unit %" G_GINT64_FORMAT ", key origin %d, public key SHA-256 %s",
                             unit_id, key_origin, public_key_sha256);
  ok = append_audit (self, now, unit_actor (self, unit), "key", unit->serial, details, error);

out:
  return tx_end (self, ok, ok ? error : NULL);
}

static gint64
begin_signature (ScStore     *store,
                 gint64       unit_id,
                 const char  *dak,
                 GError     **error)
{
  ScSqliteStore *self = SC_SQLITE_STORE (store);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autofree char *details = NULL;
  const char *what = _("record the signature about to be made");
  gint64 now = g_get_real_time ();
  gint64 signature_id = 0;
  gboolean ok = FALSE;

  if (!tx_begin (self, TRUE, error))
    return 0;
  unit = load_unit (self, unit_id, error);
  if (unit == NULL)
    goto out;

  if (!query (self, what, "INSERT INTO signatures (unit_id, dak, started) VALUES (?, ?, ?)",
              BINDS (BIND_INT (unit_id), BIND_TEXT (dak), BIND_INT (now)), NULL, NULL, error))
    goto out;
  signature_id = sqlite3_last_insert_rowid (self->db);

  if (!update_unit (self, what, "UPDATE units SET dak = ?, updated = ? WHERE id = ?",
                    BINDS (BIND_TEXT (dak), BIND_INT (now), BIND_INT (unit_id)), unit_id, error))
    goto out;

  details = g_strdup_printf ("unit %" G_GINT64_FORMAT ", signature %" G_GINT64_FORMAT ", DAK %s",
                             unit_id, signature_id, dak);
  ok = append_audit (self, now, unit_actor (self, unit), "signing", unit->serial, details, error);

out:
  if (!tx_end (self, ok, ok ? error : NULL))
    return 0;
  return signature_id;
}

static gboolean
fail_signature (ScStore     *store,
                gint64       signature_id,
                gint64       unit_id,
                const char  *reason,
                GError     **error)
{
  ScSqliteStore *self = SC_SQLITE_STORE (store);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autofree char *details = NULL;
  gint64 now = g_get_real_time ();
  gboolean ok = FALSE;

  if (!tx_begin (self, TRUE, error))
    return FALSE;
  unit = load_unit (self, unit_id, error);
  if (unit == NULL)
    goto out;

  if (!query (self, _("record that the DAK did not sign"),
              "UPDATE signatures SET finished = ? "
              "WHERE id = ? AND unit_id = ? AND cert_serial IS NULL AND finished IS NULL",
              BINDS (BIND_INT (now), BIND_INT (signature_id), BIND_INT (unit_id)), NULL, NULL, error))
    goto out;
  if (sqlite3_changes (self->db) != 1)
    {
      g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_NOT_FOUND,
                   _("There is no unfinished signature %" PRId64 " for unit record %" PRId64
                     " in the station database"),
                   signature_id, unit_id);
      goto out;
    }

  details = g_strdup_printf ("unit %" G_GINT64_FORMAT ", signature %" G_GINT64_FORMAT ": %s",
                             unit_id, signature_id, reason);
  ok = append_audit (self, now, unit_actor (self, unit), "signing-failed", unit->serial, details, error);

out:
  return tx_end (self, ok, ok ? error : NULL);
}

static gboolean
record_issue (ScStore     *store,
              gint64       signature_id,
              gint64       unit_id,
              const char  *cert_serial,
              const char  *chain_pem,
              GError     **error)
{
  ScSqliteStore *self = SC_SQLITE_STORE (store);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autofree char *details = NULL;
  const char *what = _("record the issued certificate");
  gint64 now = g_get_real_time ();
  gboolean ok = FALSE;

  if (!tx_begin (self, TRUE, error))
    return FALSE;
  unit = load_unit (self, unit_id, error);
  if (unit == NULL)
    goto out;

  if (!query (self, what, "UPDATE signatures SET cert_serial = ?, finished = ? WHERE id = ? AND unit_id = ?",
              BINDS (BIND_TEXT (cert_serial), BIND_INT (now), BIND_INT (signature_id), BIND_INT (unit_id)),
              NULL, NULL, error))
    goto out;
  if (sqlite3_changes (self->db) != 1)
    {
      g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_NOT_FOUND,
                   _("There is no signature %" PRId64 " for unit record %" PRId64
                     " in the station database; start the unit’s run again"),
                   signature_id, unit_id);
      goto out;
    }

  if (!update_unit (self, what,
                    "UPDATE units SET cert_serial = ?, chain_pem = ?, state = 'signed', updated = ? "
                    "WHERE id = ?",
                    BINDS (BIND_TEXT (cert_serial), BIND_TEXT (chain_pem), BIND_INT (now), BIND_INT (unit_id)),
                    unit_id, error))
    goto out;

  details = g_strdup_printf ("unit %" G_GINT64_FORMAT ", signature %" G_GINT64_FORMAT
                             ", certificate serial %s",
                             unit_id, signature_id, cert_serial);
  ok = append_audit (self, now, unit_actor (self, unit), "issued", unit->serial, details, error);

out:
  return tx_end (self, ok, ok ? error : NULL);
}

static gboolean
set_pin (ScStore     *store,
         gint64       unit_id,
         GBytes      *pin_sealed,
         const char  *pin_mac,
         GError     **error)
{
  ScSqliteStore *self = SC_SQLITE_STORE (store);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autofree char *details = NULL;
  gint64 now = g_get_real_time ();
  gconstpointer data;
  gsize len;
  gboolean ok = FALSE;

  if (!tx_begin (self, TRUE, error))
    return FALSE;
  unit = load_unit (self, unit_id, error);
  if (unit == NULL)
    goto out;

  data = g_bytes_get_data (pin_sealed, &len);
  if (!update_unit (self, _("record the unit’s PIN"),
                    "UPDATE units SET pin_sealed = ?, pin_mac = ?, updated = ? WHERE id = ?",
                    BINDS (BIND_BLOB (data, len), BIND_TEXT (pin_mac), BIND_INT (now), BIND_INT (unit_id)),
                    unit_id, error))
    goto out;

  /* Neither the PIN nor its sealed form nor its MAC goes into the log. */
  details = g_strdup_printf ("unit %" G_GINT64_FORMAT ", PIN sealed and recorded", unit_id);
  ok = append_audit (self, now, unit_actor (self, unit), "pin", unit->serial, details, error);

out:
  return tx_end (self, ok, ok ? error : NULL);
}

static gboolean
set_state (ScStore      *store,
           gint64        unit_id,
           ScUnitState   state,
           const char   *failure,
           GError      **error)
{
  ScSqliteStore *self = SC_SQLITE_STORE (store);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autofree char *details = NULL;
  g_autofree char *action = NULL;
  gint64 now = g_get_real_time ();
  gboolean ok = FALSE;

  if (!tx_begin (self, TRUE, error))
    return FALSE;
  unit = load_unit (self, unit_id, error);
  if (unit == NULL)
    goto out;

  if (!update_unit (self, _("record the unit’s state"),
                    "UPDATE units SET state = ?, failure = ?, updated = ? WHERE id = ?",
                    BINDS (BIND_TEXT (sc_unit_state_to_string (state)), BIND_TEXT (failure), BIND_INT (now),
                           BIND_INT (unit_id)),
                    unit_id, error))
    goto out;

  action = g_strdup_printf ("state:%s", sc_unit_state_to_string (state));
  if (failure != NULL)
    details = g_strdup_printf ("unit %" G_GINT64_FORMAT ", from %s; failure: %s",
                               unit_id, sc_unit_state_to_string (unit->state), failure);
  else
    details = g_strdup_printf ("unit %" G_GINT64_FORMAT ", from %s",
                               unit_id, sc_unit_state_to_string (unit->state));
  ok = append_audit (self, now, unit_actor (self, unit), action, unit->serial, details, error);

out:
  return tx_end (self, ok, ok ? error : NULL);
}

static gboolean
record_steps (ScStore             *store,
              gint64               unit_id,
              const ScStepRecord  *steps,
              guint                n_steps,
              GError             **error)
{
  ScSqliteStore *self = SC_SQLITE_STORE (store);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autoptr(GString) details = g_string_new (NULL);
  const char *what = _("record the steps");
  gint64 now = g_get_real_time ();
  gboolean ok = FALSE;

  if (!tx_begin (self, TRUE, error))
    return FALSE;
  unit = load_unit (self, unit_id, error);
  if (unit == NULL)
    goto out;

  g_string_printf (details, "unit %" G_GINT64_FORMAT, unit_id);
  for (guint i = 0; i < n_steps; i++)
    {
      const ScStepRecord *step = &steps[i];

      if (!query (self, what,
                  "INSERT INTO steps (unit_id, name, started, finished, ok, error) VALUES (?, ?, ?, ?, ?, ?)",
                  BINDS (BIND_INT (unit_id), BIND_TEXT (step->name), BIND_INT (step->started),
                         BIND_INT (step->finished), BIND_INT (step->ok ? 1 : 0), BIND_TEXT (step->error)),
                  NULL, NULL, error))
        goto out;

      if (step->ok)
        g_string_append_printf (details, ", step %s passed", step->name);
      else
        g_string_append_printf (details, ", step %s failed: %s", step->name, step->error ? step->error : "-");
    }

  if (!update_unit (self, what, "UPDATE units SET updated = ? WHERE id = ?",
                    BINDS (BIND_INT (now), BIND_INT (unit_id)), unit_id, error))
    goto out;

  ok = append_audit (self, now, unit_actor (self, unit), "steps", unit->serial, details->str, error);

out:
  return tx_end (self, ok, ok ? error : NULL);
}

static gint64
begin_print (ScStore      *store,
             gint64        unit_id,
             ScLabelKind   kind,
             gboolean      reprint,
             const char   *reason,
             const char   *printer,
             const char   *operator_name,
             GError      **error)
{
  gint64 print_id = 0;
  ScSqliteStore *self = SC_SQLITE_STORE (store);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autofree char *details = NULL;
  g_autofree char *earlier = NULL;
  const char *what = _("record the label print");
  const char *kind_name = kind == SC_LABEL_KIND_PRODUCT ? "product" : "package";
  gint64 now = g_get_real_time ();
  gboolean ok = FALSE;

  if (!tx_begin (self, TRUE, error))
    return FALSE;
  unit = load_unit (self, unit_id, error);
  if (unit == NULL)
    goto out;

  /* A label printed (or under way, or cut off) is printed again only as a
   * reprint: checked here, inside the transaction, not from a list read
   * before it, so two runs cannot both make the first print. */
  if (!reprint)
    {
      if (!query (self, what,
                  "SELECT status FROM prints WHERE unit_id = ? AND kind = ? AND status IN ('done', 'pending') "
                  "ORDER BY status = 'done' DESC, id LIMIT 1",
                  BINDS (BIND_INT (unit_id), BIND_INT ((int) kind)), first_text, &earlier, error))
        goto out;
      if (earlier != NULL)
        {
          if (g_strcmp0 (earlier, "done") == 0)
            g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_PRINTED,
                         /* Translators: the first %s is "product label" or "package label" */
                         _("The %s of %s has been printed already; a second copy is printed only as a "
                           "reprint, with a reason"), sc_label_kind_to_display (kind), unit->serial);
          else
            g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_PRINTED,
                         /* Translators: the first %s is "product label" or "package label" */
                         _("The %s of %s is being printed, or its print broke off and it may or may not "
                           "exist; nothing was sent. Check the printer, and print it again only as a reprint, "
                           "with a reason"), sc_label_kind_to_display (kind), unit->serial);
          goto out;
        }
    }

  if (!query (self, what,
              "INSERT INTO prints (unit_id, kind, reprint, reason, printer, operator, time, status) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')",
              BINDS (BIND_INT (unit_id), BIND_INT ((int) kind), BIND_INT (reprint ? 1 : 0), BIND_TEXT (reason),
                     BIND_TEXT (printer), BIND_TEXT (operator_name), BIND_INT (now)),
              NULL, NULL, error))
    goto out;
  print_id = sqlite3_last_insert_rowid (self->db);

  if (!update_unit (self, what, "UPDATE units SET updated = ? WHERE id = ?",
                    BINDS (BIND_INT (now), BIND_INT (unit_id)), unit_id, error))
    goto out;

  if (reprint)
    details = g_strdup_printf ("unit %" G_GINT64_FORMAT ", print %" G_GINT64_FORMAT ", %s label, printer %s; "
                               "reason: %s", unit_id, print_id, kind_name, printer ? printer : "-", reason);
  else
    details = g_strdup_printf ("unit %" G_GINT64_FORMAT ", print %" G_GINT64_FORMAT ", %s label, printer %s",
                               unit_id, print_id, kind_name, printer ? printer : "-");
  ok = append_audit (self, now, operator_name ? operator_name : unit_actor (self, unit),
                     reprint ? "reprint" : "print", unit->serial, details, error);

out:
  return tx_end (self, ok, ok ? error : NULL) ? print_id : 0;
}

static const char *
print_status_name (ScPrintStatus status)
{
  switch (status)
    {
    case SC_PRINT_DONE: return "done";
    case SC_PRINT_FAILED: return "failed";
    case SC_PRINT_NOT_SENT: return "not-sent";
    case SC_PRINT_PENDING:
    default: return "pending";
    }
}

static gboolean
end_print (ScStore        *store,
           gint64          print_id,
           ScPrintStatus   status,
           const char     *reason,
           GError        **error)
{
  ScSqliteStore *self = SC_SQLITE_STORE (store);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autofree char *details = NULL;
  g_autofree char *serial = NULL;
  const char *what = _("record how the label print ended");
  gint64 now = g_get_real_time ();
  gboolean ok = FALSE;

  if (!tx_begin (self, TRUE, error))
    return FALSE;
  if (!query (self, what,
              "SELECT u.serial FROM prints p JOIN units u ON u.id = p.unit_id WHERE p.id = ? AND p.status = 'pending'",
              BINDS (BIND_INT (print_id)), first_text, &serial, error))
    goto out;
  if (serial == NULL)
    {
      g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_NOT_FOUND,
                   _("There is no pending label print %" PRId64), print_id);
      goto out;
    }

  if (!query (self, what, "UPDATE prints SET status = ?, error = ? WHERE id = ?",
              BINDS (BIND_TEXT (print_status_name (status)), BIND_TEXT (status == SC_PRINT_DONE ? NULL : reason),
                     BIND_INT (print_id)),
              NULL, NULL, error))
    goto out;

  if (status == SC_PRINT_PENDING)
    details = g_strdup_printf ("print %" G_GINT64_FORMAT " outcome unknown%s%s", print_id,
                               reason ? ": " : "", reason ? reason : "");
  else
    details = g_strdup_printf ("print %" G_GINT64_FORMAT " %s%s%s", print_id, print_status_name (status),
                               reason && status != SC_PRINT_DONE ? ": " : "",
                               reason && status != SC_PRINT_DONE ? reason : "");
  ok = append_audit (self, now, self->host,
                     status == SC_PRINT_DONE ? "printed"
                     : status == SC_PRINT_PENDING ? "print-unknown"
                     : status == SC_PRINT_NOT_SENT ? "print-not-sent" : "print-failed",
                     serial, details, error);

out:
  return tx_end (self, ok, ok ? error : NULL);
}

/* Reading */

static ScUnitRecord *
find_unit (ScStore     *store,
           const char  *product,
           const char  *serial,
           GError     **error)
{
  ScSqliteStore *self = SC_SQLITE_STORE (store);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  ScUnitRecord *unit = NULL;
  gboolean ok;

  if (product != NULL)
    ok = query (self, _("look up the unit"),
                "SELECT " SC_STORE_UNIT_COLUMNS " FROM units WHERE product = ? AND serial = ? ORDER BY id DESC LIMIT 1",
                BINDS (BIND_TEXT (product), BIND_TEXT (serial)), first_unit, &unit, error);
  else
    ok = query (self, _("look up the unit"),
                "SELECT " SC_STORE_UNIT_COLUMNS " FROM units WHERE serial = ? ORDER BY id DESC LIMIT 1",
                BINDS (BIND_TEXT (serial)), first_unit, &unit, error);
  if (ok && unit == NULL)
    g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_NOT_FOUND,
                 _("No unit with serial “%s” has been recorded at this station; check the serial"),
                 serial);
  return unit;
}

static GPtrArray *
list_units (ScStore     *store,
            gint64       since,
            gint64       until,
            GError     **error)
{
  ScSqliteStore *self = SC_SQLITE_STORE (store);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(GPtrArray) units = g_ptr_array_new_with_free_func ((GDestroyNotify) sc_unit_record_free);

  if (!query (self, _("list the units"),
              "SELECT " SC_STORE_UNIT_COLUMNS " FROM units "
              "WHERE (?1 = 0 OR created >= ?1) AND (?2 = 0 OR created < ?2) "
              "ORDER BY created, id",
              BINDS (BIND_INT (since), BIND_INT (until)), into_units, units, error))
    return NULL;
  return g_steal_pointer (&units);
}

static gboolean
unit_exists (ScSqliteStore  *self,
             gint64          unit_id,
             GError        **error)
{
  gint64 found = 0;

  if (!query (self, _("look up the unit"), "SELECT 1 FROM units WHERE id = ?", BINDS (BIND_INT (unit_id)),
              first_int64, &found, error))
    return FALSE;
  if (found == 0)
    set_not_found (error, unit_id);
  return found != 0;
}

static GPtrArray *
list_steps (ScStore     *store,
            gint64       unit_id,
            GError     **error)
{
  ScSqliteStore *self = SC_SQLITE_STORE (store);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(GPtrArray) steps = g_ptr_array_new_with_free_func ((GDestroyNotify) sc_step_record_free);
  gboolean ok;

  /* One read transaction, so the unit and its steps are one snapshot. */
  if (!tx_begin (self, FALSE, error))
    return NULL;
  ok = unit_exists (self, unit_id, error) &&
       query (self, _("list the unit’s steps"),
              "SELECT " SC_STORE_STEP_COLUMNS " FROM steps WHERE unit_id = ? ORDER BY rowid",
              BINDS (BIND_INT (unit_id)), into_steps, steps, error);
  if (!tx_end (self, ok, ok ? error : NULL))
    return NULL;
  return g_steal_pointer (&steps);
}

static GPtrArray *
list_prints (ScStore     *store,
             gint64       unit_id,
             GError     **error)
{
  ScSqliteStore *self = SC_SQLITE_STORE (store);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(GPtrArray) prints = g_ptr_array_new_with_free_func ((GDestroyNotify) sc_print_record_free);
  gboolean ok;

  if (!tx_begin (self, FALSE, error))
    return NULL;
  ok = unit_exists (self, unit_id, error) &&
       query (self, _("list the unit’s label prints"),
              "SELECT " SC_STORE_PRINT_COLUMNS " FROM prints WHERE unit_id = ? ORDER BY id",
              BINDS (BIND_INT (unit_id)), into_prints, prints, error);
  if (!tx_end (self, ok, ok ? error : NULL))
    return NULL;
  return g_steal_pointer (&prints);
}

/* The audit log */

static gboolean
audit (ScStore     *store,
       const char  *actor,
       const char  *action,
       const char  *serial,
       const char  *details,
       GError     **error)
{
  ScSqliteStore *self = SC_SQLITE_STORE (store);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  gboolean ok;

  if (!tx_begin (self, TRUE, error))
    return FALSE;
  ok = append_audit (self, g_get_real_time (), actor, action, serial, details, error);
  return tx_end (self, ok, ok ? error : NULL);
}

/* The audit log read in order, each entry checked against the one before
 * it and against the head kept beside the database. */
typedef struct
{
  char       *prev;       /* the hash the next entry follows */
  gint64      expected;   /* the next entry's id */
  gint64      head_id;    /* 0: no head */
  const char *head_hash;
  gboolean    head_seen;
} AuditWalk;

static gboolean
verify_audit_entry (const ScStoreRow  *row,
                    gpointer           data,
                    GError           **error)
{
  AuditWalk *walk = data;
  g_autofree char *hash = NULL;
  gint64 id = _sc_store_row_get_int64 (row, 0);
  const char *actor = _sc_store_row_get_text (row, 2);
  const char *action = _sc_store_row_get_text (row, 3);
  const char *serial = _sc_store_row_get_text (row, 4);
  const char *details = _sc_store_row_get_text (row, 5);
  const char *prev_hash = _sc_store_row_get_text (row, 6);
  const char *stored = _sc_store_row_get_text (row, 7);

  /* Ids are read in ascending order, so a jump is a removed entry. */
  if (id == walk->expected + 1)
    {
      g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_TAMPERED,
                   _("The audit log does not verify at entry %" PRId64 ": entry %" PRId64
                     " before it is missing; the log has been tampered with, so keep the database file "
                     "as evidence and report it"),
                   id, walk->expected);
      return FALSE;
    }
  if (id != walk->expected)
    {
      g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_TAMPERED,
                   _("The audit log does not verify at entry %" PRId64 ": entries %" PRId64
                     " to %" PRId64 " before it are missing; the log has been tampered with, so "
                     "keep the database file as evidence and report it"),
                   id, walk->expected, id - 1);
      return FALSE;
    }

  if (g_strcmp0 (prev_hash, walk->prev) != 0)
    {
      g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_TAMPERED,
                   _("The audit log does not verify at entry %" PRId64 ": it is out of order, "
                     "it does not follow the entry before it; the log has been tampered with, so keep "
                     "the database file as evidence and report it"),
                   id);
      return FALSE;
    }

  hash = audit_hash (walk->prev, id, _sc_store_row_get_int64 (row, 1), actor ? actor : "",
                     action ? action : "", serial, details);
  if (g_strcmp0 (hash, stored) != 0)
    {
      g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_TAMPERED,
                   _("The audit log does not verify at entry %" PRId64 ": its contents were "
                     "edited after it was written; the log has been tampered with, so keep the "
                     "database file as evidence and report it"),
                   id);
      return FALSE;
    }

  if (id == walk->head_id)
    {
      if (g_strcmp0 (stored, walk->head_hash) != 0)
        {
          g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_TAMPERED,
                       _("The audit log does not verify at entry %" PRId64 ": it is not the entry "
                         "the log ended with when it was written; the log has been tampered with, so keep "
                         "the database file as evidence and report it"),
                       id);
          return FALSE;
        }
      walk->head_seen = TRUE;
    }

  g_free (walk->prev);
  walk->prev = g_steal_pointer (&hash);
  walk->expected++;
  return TRUE;
}

static gboolean
audit_verify_locked (ScSqliteStore  *self,
                     guint64        *n_entries,
                     GError        **error)
{
  g_autofree char *head = NULL;
  g_autofree char *head_hash = NULL;
  AuditWalk walk = { .prev = g_strdup (ZERO_HASH), .expected = 1 };
  gboolean ok;

  /* The head written beside the database, if there is one. */
  if (self->head_path != NULL && g_file_get_contents (self->head_path, &head, NULL, NULL))
    {
      char hash_text[65] = "";

      if (sscanf (head, "%" G_GINT64_FORMAT " %64s", &walk.head_id, hash_text) == 2)
        head_hash = g_strdup (hash_text);
      else
        walk.head_id = 0;
    }
  walk.head_hash = head_hash;

  ok = query (self, _("read the audit log"),
              "SELECT " SC_STORE_AUDIT_COLUMNS ", prev_hash, hash FROM audit ORDER BY id", NULL,
              verify_audit_entry, &walk, error);
  g_free (walk.prev);
  if (!ok)
    return FALSE;

  if (walk.head_id > 0 && !walk.head_seen)
    {
      g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_TAMPERED,
                   _("The audit log does not verify at entry %" PRId64 ": entries %" PRId64
                     " to %" PRId64 " are missing from its end; the log has been tampered with, so "
                     "keep the database file as evidence and report it"),
                   walk.expected, walk.expected, walk.head_id);
      return FALSE;
    }

  *n_entries = (guint64) (walk.expected - 1);
  return TRUE;
}

static gboolean
audit_verify (ScStore     *store,
              guint64     *n_entries,
              GError     **error)
{
  ScSqliteStore *self = SC_SQLITE_STORE (store);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  gboolean ok;

  *n_entries = 0;
  if (!tx_begin (self, FALSE, error))
    return FALSE;
  ok = audit_verify_locked (self, n_entries, error);
  if (!ok)
    *n_entries = 0;
  return tx_end (self, ok, ok ? error : NULL);
}

static gboolean
count (ScSqliteStore  *self,
       const char     *sql,
       guint64        *out,
       GError        **error)
{
  gint64 n = 0;

  if (!query (self, _("count the records"), sql, NULL, first_int64, &n, error))
    return FALSE;
  *out = (guint64) n;
  return TRUE;
}

static gboolean
reconcile (ScStore           *store,
           ScReconciliation  *out,
           GError           **error)
{
  ScSqliteStore *self = SC_SQLITE_STORE (store);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  ScReconciliation r = { 0 };
  gboolean ok;

  if (!tx_begin (self, FALSE, error))
    return FALSE;
  ok = count (self, "SELECT count(*) FROM signatures WHERE cert_serial IS NOT NULL", &r.signatures, error) &&
       count (self, "SELECT count(*) FROM signatures WHERE cert_serial IS NULL AND finished IS NULL",
              &r.signatures_pending, error) &&
       count (self, "SELECT count(*) FROM signatures WHERE cert_serial IS NULL AND finished IS NOT NULL",
              &r.signatures_failed, error) &&
       count (self, "SELECT count(*) FROM units WHERE state = 'complete'", &r.units_complete, error) &&
       count (self, "SELECT count(*) FROM units WHERE state = 'failed'", &r.units_failed, error) &&
       count (self, "SELECT count(*) FROM prints WHERE reprint = 0 AND status = 'done'", &r.labels_printed, error) &&
       count (self, "SELECT count(*) FROM prints WHERE reprint != 0 AND status = 'done'", &r.labels_reprinted,
              error) &&
       count (self, "SELECT count(*) FROM prints WHERE status = 'pending'", &r.prints_pending, error);
  if (!tx_end (self, ok, ok ? error : NULL))
    return FALSE;
  *out = r;
  return TRUE;
}

static char *
describe (ScStore *store)
{
  ScSqliteStore *self = SC_SQLITE_STORE (store);
  g_autofree char *display = g_filename_display_name (self->path);

  return g_strdup_printf (_("SQLite database %s"), display);
}

static GPtrArray *search_units (ScStore *store, const ScUnitQuery *search, GError **error);
static GPtrArray *list_audit   (ScStore *store, const char *serial, GError **error);
static gint64        add_user           (ScStore *store, const ScUserRecord *user, const char *admin,
                                         GError **error);
static gboolean      update_user        (ScStore *store, const ScUserRecord *user, guint changes,
                                         const char *admin, GError **error);
static ScUserRecord *find_user          (ScStore *store, const char *name, GError **error);
static ScUserRecord *find_user_by_badge (ScStore *store, const char *badge_mac, GError **error);
static GPtrArray    *list_users         (ScStore *store, GError **error);
static gboolean      count_users        (ScStore *store, guint *n_users, GError **error);
static ScUserRecord *begin_sign_in      (ScStore *store, const char *name, gint64 now, GError **error);
static gboolean      finish_sign_in     (ScStore *store, const char *name, const char *method, gboolean ok,
                                         const char *new_hash, GError **error);

static void
store_iface_init (ScStoreInterface *iface)
{
  iface->search_units = search_units;
  iface->list_audit = list_audit;
  iface->add_user = add_user;
  iface->update_user = update_user;
  iface->find_user = find_user;
  iface->find_user_by_badge = find_user_by_badge;
  iface->list_users = list_users;
  iface->count_users = count_users;
  iface->begin_sign_in = begin_sign_in;
  iface->finish_sign_in = finish_sign_in;
  iface->describe = describe;
  iface->begin_unit = begin_unit;
  iface->set_key = set_key;
  iface->begin_signature = begin_signature;
  iface->fail_signature = fail_signature;
  iface->record_issue = record_issue;
  iface->set_pin = set_pin;
  iface->set_state = set_state;
  iface->record_steps = record_steps;
  iface->begin_print = begin_print;
  iface->end_print = end_print;
  iface->find_unit = find_unit;
  iface->list_units = list_units;
  iface->list_steps = list_steps;
  iface->list_prints = list_prints;
  iface->audit = audit;
  iface->audit_verify = audit_verify;
  iface->reconcile = reconcile;
}

/* Opening */

static gboolean
migrate (ScSqliteStore  *self,
         GError        **error)
{
  g_autofree char *display = g_filename_display_name (self->path);
  const char *what = _("read the schema version");
  gint64 version = 0;
  gboolean ok;

  if (!tx_begin (self, TRUE, error))
    return FALSE;

  ok = exec (self,
             "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)",
             what, error) &&
       query (self, what, "SELECT max(version) FROM schema_version", NULL, first_int64, &version, error);

  if (ok && version > SCHEMA_VERSION)
    {
      g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_OPEN,
                   _("The station database “%s” has schema version %" PRId64 ", newer than the "
                     "version %" PRId64 " this Setup Console knows; update Setup Console to use it"),
                   display, version, SCHEMA_VERSION);
      ok = FALSE;
    }

  for (gint64 v = version + 1; ok && v <= SCHEMA_VERSION; v++)
    {
      ok = exec (self, migrations[v - 1], _("update the database schema"), error) &&
           query (self, what, "INSERT INTO schema_version (version, applied) VALUES (?, ?)",
                  BINDS (BIND_INT (v), BIND_INT (g_get_real_time ())), NULL, NULL, error);
      if (ok && v > 1)
        g_debug ("Migrated %s to schema version %" G_GINT64_FORMAT, display, v);
    }

  return tx_end (self, ok, ok ? error : NULL);
}

static char *
read_boot_id (void)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents ("/proc/sys/kernel/random/boot_id", &text, NULL, NULL))
    return NULL;
  g_strstrip (text);
  return *text != '\0' ? g_steal_pointer (&text) : NULL;
}

/* Makes the file readable by its owner only when this call creates it;
 * SQLite gives its -wal and -shm files the database file's mode. */
static gboolean
create_private_file (const char  *path,
                     GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *display = g_filename_display_name (path);
  int saved_errno;
  int fd;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_autofree char *dir_display = g_filename_display_name (dir);

      saved_errno = errno;
      g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_OPEN,
                   _("Cannot create the folder “%s” for the station database: %s; check its permissions"),
                   dir_display, g_strerror (saved_errno));
      return FALSE;
    }

  /* Only a missing file is created here. An existing database is never
   * opened and closed outside SQLite: close() drops every POSIX lock this
   * process holds on the file, including those of another connection to it
   * in this process, which would let its write-ahead log be removed from
   * under it. */
  fd = g_open (path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST)
    return TRUE;
  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_OPEN,
                   _("Cannot open the station database “%s”: %s; check the file and its folder’s "
                     "permissions"),
                   display, g_strerror (saved_errno));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

static gboolean
open_db (ScSqliteStore  *self,
         GError        **error)
{
  g_autofree char *display = g_filename_display_name (self->path);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  const char *journal;
  int rc;

  /* NOMUTEX: the store's own mutex serialises every use of the connection. */
  rc = sqlite3_open_v2 (self->path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_OPEN,
                   _("Cannot open the station database “%s”: %s; check the file and its permissions"),
                   display, self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      return FALSE;
    }
  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);

  /* WAL lets readers go on while a writer commits; FULL syncs the log on
   * every commit, so a change is on disk when the call returns. */
  stmt = prepare (self, "PRAGMA journal_mode = WAL", _("set up the database"), error);
  if (stmt == NULL)
    goto fail;
  rc = sqlite3_step (stmt);
  journal = rc == SQLITE_ROW ? (const char *) sqlite3_column_text (stmt, 0) : NULL;
  if (journal == NULL || g_ascii_strcasecmp (journal, "wal") != 0)
    {
      g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_OPEN,
                   _("Cannot use write-ahead logging for the station database “%s” (%s); keep the "
                     "database on a local disk"),
                   display, journal != NULL ? journal : sqlite3_errmsg (self->db));
      goto fail;
    }
  g_clear_pointer (&stmt, sqlite3_finalize);

  if (!exec (self, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", _("set up the database"), error))
    goto fail;

  if (!migrate (self, error))
    goto fail;
  return TRUE;

fail:
  /* Whatever went wrong, the caller has no store: it is an OPEN error. */
  if (error != NULL && *error != NULL)
    (*error)->code = SC_STORE_ERROR_OPEN;
  return FALSE;
}

ScStore *
_sc_sqlite_store_open (const char  *path,
                       GError     **error)
{
  g_autoptr(ScSqliteStore) self = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (SC_TYPE_SQLITE_STORE, NULL);
  self->path = g_strdup (path);
  self->head_path = g_strconcat (path, "-audit-head", NULL);
  self->host = g_strdup (g_get_host_name ());
  self->pid = getpid ();
  self->boot_id = read_boot_id ();

  if (!create_private_file (path, error) || !open_db (self, error))
    return NULL;

  /* Registered last: only an open store can own a run. */
  self->token = g_uuid_string_random ();
  g_mutex_lock (&live_tokens_lock);
  if (live_tokens == NULL)
    live_tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_add (live_tokens, g_strdup (self->token));
  g_mutex_unlock (&live_tokens_lock);

  return SC_STORE (g_steal_pointer (&self));
}

/* Searching, for QA (appended: sc-store.h "Searching") */

static GPtrArray *
search_units (ScStore            *store,
              const ScUnitQuery  *search,
              GError            **error)
{
  ScSqliteStore *self = SC_SQLITE_STORE (store);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(GPtrArray) units = g_ptr_array_new_with_free_func ((GDestroyNotify) sc_unit_record_free);
  g_autofree char *sql = NULL;
  const char *result;

  switch (search->result)
    {
    case SC_UNIT_RESULT_PASSED:
      result = "state = 'complete'";
      break;
    case SC_UNIT_RESULT_FAILED:
      result = "state = 'failed'";
      break;
    case SC_UNIT_RESULT_IN_PROGRESS:
      result = "state IN ('started', 'keyed', 'signed', 'written', 'verified', 'labelled')";
      break;
    case SC_UNIT_RESULT_PRINT_PENDING:
      result = "EXISTS (SELECT 1 FROM prints p WHERE p.unit_id = units.id AND (p.status = 'pending' OR "
               "(p.status = 'not-sent' AND units.state = 'labelled')))";
      break;
    case SC_UNIT_RESULT_ANY:
    default:
      result = "1";
      break;
    }

  sql = g_strdup_printf ("SELECT " SC_STORE_UNIT_COLUMNS " FROM units "
                         "WHERE (?1 = 0 OR created >= ?1) AND (?2 = 0 OR created < ?2) "
                         "AND (?3 IS NULL OR instr(lower(serial), lower(?3)) > 0) AND %s "
                         "ORDER BY created DESC, id DESC LIMIT ?4",
                         result);
  if (!query (self, _("search the units"), sql,
              BINDS (BIND_INT (search->since), BIND_INT (search->until),
                     BIND_TEXT (search->serial_contains != NULL && *search->serial_contains != '\0'
                                ? search->serial_contains : NULL),
                     BIND_INT (search->limit > 0 ? (gint64) search->limit : -1)),
              into_units, units, error))
    return NULL;
  return g_steal_pointer (&units);
}

static GPtrArray *
list_audit (ScStore     *store,
            const char  *serial,
            GError     **error)
{
  ScSqliteStore *self = SC_SQLITE_STORE (store);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) sc_audit_entry_free);

  if (!query (self, _("read the audit log"),
              "SELECT " SC_STORE_AUDIT_COLUMNS " FROM audit WHERE serial = ? ORDER BY id",
              BINDS (BIND_TEXT (serial)), into_audit, entries, error))
    return NULL;
  return g_steal_pointer (&entries);
}

/* Users (appended: sc-store.h "Users") */

/* The user whose @column is @value, or NULL: with *@error set on a
 * failure, left unset when there is none. */
static ScUserRecord *
user_where (ScSqliteStore  *self,
            const char     *column,
            const char     *value,
            GError        **error)
{
  g_autofree char *sql = g_strdup_printf ("SELECT " SC_STORE_USER_COLUMNS " FROM users WHERE %s = ?", column);
  ScUserRecord *user = NULL;

  query (self, _("read the station’s users"), sql, BINDS (BIND_TEXT (value)), first_user, &user, error);
  return user;
}

static void
set_unknown_user (GError     **error,
                  const char  *name)
{
  g_set_error (error, SC_USERS_ERROR, SC_USERS_ERROR_UNKNOWN,
               _("There is no user called “%s” at this station; check the name, or ask an admin to add you"),
               name);
}

/* The user called @name: NULL with UNKNOWN when there is none. */
static ScUserRecord *
load_user (ScSqliteStore  *self,
           const char     *name,
           GError        **error)
{
  GError *local_error = NULL;
  ScUserRecord *user = user_where (self, "name", name, &local_error);

  if (user == NULL && local_error == NULL)
    set_unknown_user (&local_error, name);
  if (local_error != NULL)
    g_propagate_error (error, local_error);
  return user;
}

static gboolean
count_users_locked (ScSqliteStore  *self,
                    guint          *n_users,
                    GError        **error)
{
  guint64 n = 0;

  if (!count (self, "SELECT count(*) FROM users", &n, error))
    return FALSE;
  *n_users = (guint) n;
  return TRUE;
}

/* With users at the station, @admin must be one of them, enabled, with
 * the admin role, as the records are now. Sets *@n_users. */
static gboolean
check_admin_locked (ScSqliteStore  *self,
                    const char     *admin,
                    guint          *n_users,
                    GError        **error)
{
  g_autoptr(ScUserRecord) user = NULL;
  GError *local_error = NULL;

  if (!count_users_locked (self, n_users, error))
    return FALSE;
  if (*n_users == 0)
    return TRUE;

  if (admin == NULL)
    {
      g_set_error_literal (error, SC_USERS_ERROR, SC_USERS_ERROR_SIGN_IN_NEEDED,
                           _("Sign in as an admin to change the station’s users"));
      return FALSE;
    }
  user = user_where (self, "name", admin, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  if (user == NULL)
    {
      g_set_error (error, SC_USERS_ERROR, SC_USERS_ERROR_NOT_ALLOWED,
                   _("“%s” is not a user of this station; only an admin can change the station’s users"), admin);
      return FALSE;
    }
  return sc_user_check_right (user, SC_RIGHT_MANAGE_USERS, error);
}

/* Refuses a badge another user than @name has. */
static gboolean
check_badge_free (ScSqliteStore  *self,
                  const char     *badge_mac,
                  const char     *name,
                  GError        **error)
{
  g_autoptr(ScUserRecord) other = NULL;
  GError *local_error = NULL;

  if (badge_mac == NULL)
    return TRUE;
  other = user_where (self, "badge_mac", badge_mac, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  if (other != NULL && (name == NULL || sqlite3_stricmp (other->name, name) != 0))
    {
      g_set_error (error, SC_USERS_ERROR, SC_USERS_ERROR_EXISTS,
                   _("This badge is already %s’s; scan another badge, or take it from %s first"), other->name,
                   other->name);
      return FALSE;
    }
  return TRUE;
}

static gint64
add_user (ScStore             *store,
          const ScUserRecord  *user,
          const char          *admin,
          GError             **error)
{
  ScSqliteStore *self = SC_SQLITE_STORE (store);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(ScUserRecord) existing = NULL;
  g_autofree char *roles = sc_roles_to_string (user->roles);
  g_autofree char *details = NULL;
  g_autofree char *actor = NULL;
  GError *local_error = NULL;
  gint64 now = g_get_real_time ();
  gint64 id = 0;
  guint n_users = 0;
  gboolean ok = FALSE;

  if (!tx_begin (self, TRUE, error))
    return 0;
  if (!check_admin_locked (self, admin, &n_users, error))
    goto out;

  if (n_users == 0 && !(user->roles & SC_ROLE_ADMIN))
    {
      g_set_error_literal (error, SC_USERS_ERROR, SC_USERS_ERROR_FIRST_ADMIN,
                           _("The first user of a station must be an admin, who then adds the others; give this "
                             "user the admin role too"));
      goto out;
    }

  existing = user_where (self, "name", user->name, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      goto out;
    }
  if (existing != NULL)
    {
      g_set_error (error, SC_USERS_ERROR, SC_USERS_ERROR_EXISTS,
                   _("There is already a user called “%s” at this station; choose another name"), existing->name);
      goto out;
    }
  if (!check_badge_free (self, user->badge_mac, NULL, error))
    goto out;

  if (!query (self, _("add the user"),
              "INSERT INTO users (name, roles, disabled, passcode_hash, badge_mac, created, updated) "
              "VALUES (?, ?, ?, ?, ?, ?, ?)",
              BINDS (BIND_TEXT (user->name), BIND_INT ((int) user->roles), BIND_INT (user->disabled ? 1 : 0),
                     BIND_TEXT (user->passcode_hash), BIND_TEXT (user->badge_mac), BIND_INT (now), BIND_INT (now)),
              NULL, NULL, error))
    goto out;
  id = sqlite3_last_insert_rowid (self->db);

  /* The first user is made by whoever runs the program: no admin exists. */
  actor = n_users == 0 ? g_strdup_printf ("%s@%s", g_get_user_name (), self->host) : g_strdup (admin);
  details = g_strdup_printf ("%s: roles %s%s%s", user->name, roles, user->badge_mac ? ", badge set" : "",
                             n_users == 0 ? "; the station's first user" : "");
  ok = append_audit (self, now, actor, "user-added", NULL, details, error);

out:
  return tx_end (self, ok, ok ? error : NULL) ? id : 0;
}

static gboolean
update_user (ScStore             *store,
             const ScUserRecord  *user,
             guint                changes,
             const char          *admin,
             GError             **error)
{
  ScSqliteStore *self = SC_SQLITE_STORE (store);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(ScUserRecord) old = NULL;
  const char *what = _("change the user");
  gint64 now = g_get_real_time ();
  guint n_users = 0;
  guint64 n_admins = 0;
  gboolean ok = FALSE;

  if (!tx_begin (self, TRUE, error))
    return FALSE;
  if (!check_admin_locked (self, admin, &n_users, error) ||
      !(old = load_user (self, user->name, error)))
    goto out;

  if (changes & SC_USER_CHANGE_ROLES)
    {
      g_autofree char *roles = sc_roles_to_string (user->roles);
      g_autofree char *old_roles = sc_roles_to_string (old->roles);
      g_autofree char *details = g_strdup_printf ("%s: roles %s (were %s)", old->name, roles, old_roles);

      if (!query (self, what, "UPDATE users SET roles = ?, updated = ? WHERE id = ?",
                  BINDS (BIND_INT ((int) user->roles), BIND_INT (now), BIND_INT (old->id)), NULL, NULL, error) ||
          !append_audit (self, now, admin, "user-roles", NULL, details, error))
        goto out;
    }

  if (changes & SC_USER_CHANGE_PASSCODE)
    {
      g_autofree char *details = g_strdup_printf ("%s: new passcode", old->name);

      if (!query (self, what,
                  "UPDATE users SET passcode_hash = ?, failures = 0, retry_after = 0, updated = ? WHERE id = ?",
                  BINDS (BIND_TEXT (user->passcode_hash), BIND_INT (now), BIND_INT (old->id)), NULL, NULL, error) ||
          !append_audit (self, now, admin, "user-passcode", NULL, details, error))
        goto out;
    }

  if (changes & SC_USER_CHANGE_BADGE)
    {
      g_autofree char *details = g_strdup_printf (user->badge_mac ? "%s: badge set" : "%s: badge removed",
                                                  old->name);

      if (!check_badge_free (self, user->badge_mac, old->name, error) ||
          !query (self, what, "UPDATE users SET badge_mac = ?, updated = ? WHERE id = ?",
                  BINDS (BIND_TEXT (user->badge_mac), BIND_INT (now), BIND_INT (old->id)), NULL, NULL, error) ||
          !append_audit (self, now, admin, "user-badge", NULL, details, error))
        goto out;
    }

  if (changes & SC_USER_CHANGE_DISABLED)
    {
      if (!query (self, what, "UPDATE users SET disabled = ?, updated = ? WHERE id = ?",
                  BINDS (BIND_INT (user->disabled ? 1 : 0), BIND_INT (now), BIND_INT (old->id)), NULL, NULL, error) ||
          !append_audit (self, now, admin, user->disabled ? "user-disabled" : "user-enabled", NULL, old->name, error))
        goto out;
    }

  /* Somebody must be left to manage the users. */
  if (!count (self, "SELECT count(*) FROM users WHERE disabled = 0 AND (roles & 8) != 0", &n_admins, error))
    goto out;
  G_STATIC_ASSERT (SC_ROLE_ADMIN == 8);
  if (n_admins == 0)
    {
      g_set_error (error, SC_USERS_ERROR, SC_USERS_ERROR_LAST_ADMIN,
                   _("%s is the station’s last enabled admin, and nobody could manage its users without one; "
                     "make another user an admin first"),
                   old->name);
      goto out;
    }
  ok = TRUE;

out:
  return tx_end (self, ok, ok ? error : NULL);
}

static ScUserRecord *
find_user (ScStore     *store,
           const char  *name,
           GError     **error)
{
  ScSqliteStore *self = SC_SQLITE_STORE (store);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  return load_user (self, name, error);
}

static ScUserRecord *
find_user_by_badge (ScStore     *store,
                    const char  *badge_mac,
                    GError     **error)
{
  ScSqliteStore *self = SC_SQLITE_STORE (store);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  GError *local_error = NULL;
  ScUserRecord *user = user_where (self, "badge_mac", badge_mac, &local_error);

  if (user == NULL && local_error == NULL)
    g_set_error_literal (&local_error, SC_USERS_ERROR, SC_USERS_ERROR_UNKNOWN,
                         _("This badge belongs to nobody at this station"));
  if (local_error != NULL)
    g_propagate_error (error, local_error);
  return user;
}

static GPtrArray *
list_users (ScStore  *store,
            GError  **error)
{
  ScSqliteStore *self = SC_SQLITE_STORE (store);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(GPtrArray) users = g_ptr_array_new_with_free_func ((GDestroyNotify) sc_user_record_free);

  if (!query (self, _("read the station’s users"), "SELECT " SC_STORE_USER_COLUMNS " FROM users ORDER BY name", NULL,
              into_users, users, error))
    return NULL;
  return g_steal_pointer (&users);
}

static gboolean
count_users (ScStore  *store,
             guint    *n_users,
             GError  **error)
{
  ScSqliteStore *self = SC_SQLITE_STORE (store);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  *n_users = 0;
  return count_users_locked (self, n_users, error);
}

static ScUserRecord *
begin_sign_in (ScStore     *store,
               const char  *name,
               gint64       now,
               GError     **error)
{
  ScSqliteStore *self = SC_SQLITE_STORE (store);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(ScUserRecord) user = NULL;
  g_autoptr(GError) refusal = NULL;
  GError *local_error = NULL;
  gboolean ok = FALSE;

  if (!tx_begin (self, TRUE, error))
    return NULL;

  user = user_where (self, "name", name, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      goto out;
    }
  if (user == NULL)
    {
      /* The name typed is not recorded: it may be a passcode typed into
       * the wrong field. */
      set_unknown_user (&refusal, name);
      ok = append_audit (self, g_get_real_time (), self->host, "sign-in-failed", NULL, "no such user", error);
      goto out;
    }

  if (user->disabled)
    {
      g_set_error (&refusal, SC_USERS_ERROR, SC_USERS_ERROR_DISABLED,
                   _("%s is disabled at this station; ask an admin"), user->name);
      ok = append_audit (self, g_get_real_time (), user->name, "sign-in-refused", NULL, "disabled; by passcode",
                         error);
      goto out;
    }

  if (now < user->retry_after)
    {
      gint64 wait = user->retry_after - now;
      int seconds = (int) MAX (1, (wait + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);

      /* Nothing is checked, so nothing is recorded: a wait is not an attempt. */
      g_set_error (error, SC_USERS_ERROR, SC_USERS_ERROR_THROTTLED,
                   g_dngettext (GETTEXT_PACKAGE,
                                "Wrong passcodes were typed for %s: wait %d more second, then try again",
                                "Wrong passcodes were typed for %s: wait %d more seconds, then try again", seconds),
                   user->name, seconds);
      goto out;
    }

  /* Counted as a failure until the passcode is found right. */
  user->failures++;
  user->retry_after = now + sc_users_retry_delay (user->failures);
  ok = query (self, _("record the sign-in"), "UPDATE users SET failures = ?, retry_after = ? WHERE id = ?",
              BINDS (BIND_INT ((int) MIN (user->failures, (guint) G_MAXINT)), BIND_INT (user->retry_after),
                     BIND_INT (user->id)),
              NULL, NULL, error);

out:
  if (!tx_end (self, ok, ok ? error : NULL))
    return NULL;
  if (refusal != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&refusal));
      return NULL;
    }
  return g_steal_pointer (&user);
}

static gboolean
finish_sign_in (ScStore     *store,
                const char  *name,
                const char  *method,
                gboolean     ok,
                const char  *new_hash,
                GError     **error)
{
  ScSqliteStore *self = SC_SQLITE_STORE (store);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(ScUserRecord) user = NULL;
  g_autofree char *details = NULL;
  gboolean by_passcode = g_str_equal (method, "passcode");
  gint64 now = g_get_real_time ();
  gboolean done = FALSE;

  if (!tx_begin (self, TRUE, error))
    return FALSE;
  if (!(user = load_user (self, name, error)))
    goto out;

  if (ok && by_passcode &&
      !query (self, _("record the sign-in"),
              new_hash ? "UPDATE users SET failures = 0, retry_after = 0, passcode_hash = ? WHERE id = ?"
                       : "UPDATE users SET failures = 0, retry_after = 0 WHERE id = ?",
              new_hash ? BINDS (BIND_TEXT (new_hash), BIND_INT (user->id)) : BINDS (BIND_INT (user->id)),
              NULL, NULL, error))
    goto out;

  if (ok)
    {
      g_autofree char *params = NULL;

      /* "$scrypt$ln=…,r=…,p=…$…": the parameters, never the salt or hash. */
      if (new_hash != NULL)
        {
          g_auto(GStrv) parts = g_strsplit (new_hash, "$", -1);
          params = g_strdup (g_strv_length (parts) > 2 ? parts[2] : "?");
        }
      details = g_strdup_printf ("by %s%s%s", method, params ? "; passcode hashed again with scrypt " : "",
                                 params ? params : "");
      done = append_audit (self, now, user->name, "sign-in", NULL, details, error);
    }
  else
    {
      details = g_strdup_printf ("wrong %s, %u in a row; the next is checked after %" G_GINT64_FORMAT " s", method,
                                 user->failures, sc_users_retry_delay (user->failures) / G_USEC_PER_SEC);
      done = append_audit (self, now, user->name, "sign-in-failed", NULL, details, error);
    }

out:
  return tx_end (self, done, done ? error : NULL);
}
