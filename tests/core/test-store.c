/* test-store.c: the station's records in SQLite, and the station secret
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "sc-test-util.h"

#define PRODUCT  "A2ZXTESTDTID"
#define PRODUCT2 "A3OTHERDTID"
#define KEY_A    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define KEY_B    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define DAK      "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
#define CHAIN    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
#define TEST_PIN "Q7ZK4M9PWX"

typedef struct
{
  char *dir;
  char *path;   /* the database, in a folder that does not exist yet */
} Fixture;

static void
fixture_set_up (Fixture       *fx,
                gconstpointer  data)
{
  fx->dir = sc_test_tmpdir ();
  fx->path = g_build_filename (fx->dir, "data", "setup-console", "station.db", NULL);
}

static void
fixture_tear_down (Fixture       *fx,
                   gconstpointer  data)
{
  g_autofree char *data_dir = g_build_filename (fx->dir, "data", NULL);

  sc_test_rmdir (data_dir);
  sc_test_rmdir (fx->dir);
  g_free (fx->path);
  g_free (fx->dir);
}

static ScStore *
open_store (const char *path)
{
  g_autofree char *uri = g_strconcat ("sqlite://", path, NULL);
  g_autoptr(GError) error = NULL;
  ScStore *store = sc_store_open (uri, &error);

  g_assert_no_error (error);
  g_assert_true (SC_IS_STORE (store));
  return store;
}

static void
close_store (ScStore *store)
{
  g_assert_finalize_object (store);
}

/* A connection of our own, as another program (or an attacker) would have. */
static sqlite3 *
raw_open (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  return db;
}

static void
raw_exec (const char *path,
          const char *sql)
{
  sqlite3 *db = raw_open (path);
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
  sqlite3_close (db);
}

static gint64
raw_int (const char *path,
         const char *sql)
{
  sqlite3 *db = raw_open (path);
  sqlite3_stmt *stmt = NULL;
  gint64 value;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

static char *
raw_text (const char *path,
          const char *sql)
{
  sqlite3 *db = raw_open (path);
  sqlite3_stmt *stmt = NULL;
  char *value;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

/* A pid that belonged to a process which has exited and been reaped. */
static pid_t
dead_pid (void)
{
  pid_t pid = fork ();
  int status;

  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    _exit (0);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_cmpint (kill (pid, 0), ==, -1);
  g_assert_cmpint (errno, ==, ESRCH);
  return pid;
}

static ScUnitRecord *
begin (ScStore    *store,
       const char *product,
       const char *serial)
{
  g_autoptr(GError) error = NULL;
  ScUnitRecord *unit = sc_store_begin_unit (store, product, "AB12", serial, "station-1", "alice", NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (unit);
  return unit;
}

static void
set_state (ScStore     *store,
           gint64       unit_id,
           ScUnitState  state)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (sc_store_set_state (store, unit_id, state, NULL, &error));
  g_assert_no_error (error);
}

static void
issue (ScStore    *store,
       gint64      unit_id,
       const char *cert_serial)
{
  g_autoptr(GError) error = NULL;
  gint64 sig = sc_store_begin_signature (store, unit_id, DAK, &error);

  g_assert_no_error (error);
  g_assert_cmpint (sig, >, 0);
  g_assert_true (sc_store_record_issue (store, sig, unit_id, cert_serial, CHAIN, &error));
  g_assert_no_error (error);
}

static void
verify_ok (ScStore *store,
           guint64  expected)
{
  g_autoptr(GError) error = NULL;
  guint64 n = 0;

  g_assert_true (sc_store_audit_verify (store, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, expected);
}

/* Opening */

static void
test_open_reopen (Fixture       *fx,
                  gconstpointer  data)
{
  g_autofree char *parent = g_path_get_dirname (fx->path);
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autoptr(ScUnitRecord) found = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *description = NULL;
  g_autofree char *journal = NULL;
  g_autofree char *wal = g_strconcat (fx->path, "-wal", NULL);
  ScStore *store;
  GStatBuf st;
  gint64 id;

  store = open_store (fx->path);
  description = sc_store_describe (store);
  g_assert_nonnull (strstr (description, "station.db"));

  g_assert_cmpint (g_stat (fx->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (parent, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  g_assert_cmpint (raw_int (fx->path, "SELECT max(version) FROM schema_version"), ==, 4);
  journal = raw_text (fx->path, "PRAGMA journal_mode");
  g_assert_cmpstr (journal, ==, "wal");

  unit = begin (store, PRODUCT, "SN-0001");
  /* SQLite's own files get the database's mode. */
  g_assert_cmpint (g_stat (wal, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  id = unit->id;
  g_assert_true (sc_store_set_key (store, id, 1, KEY_A, "puk-text", &error));
  g_assert_no_error (error);
  close_store (store);

  /* Reopening applies no migration again and keeps everything. */
  store = open_store (fx->path);
  g_assert_cmpint (raw_int (fx->path, "SELECT count(*) FROM schema_version"), ==, 4);
  found = sc_store_find_unit (store, PRODUCT, "SN-0001", &error);
  g_assert_no_error (error);
  g_assert_cmpint (found->id, ==, id);
  g_assert_cmpint (found->state, ==, SC_UNIT_KEYED);
  g_assert_cmpint (found->key_origin, ==, 1);
  g_assert_cmpstr (found->public_key_sha256, ==, KEY_A);
  g_assert_cmpstr (found->puk, ==, "puk-text");
  g_assert_cmpstr (found->pid, ==, "AB12");
  g_assert_cmpstr (found->station, ==, "station-1");
  g_assert_cmpstr (found->operator_name, ==, "alice");
  verify_ok (store, 2);
  close_store (store);
}

static void
test_open_default_and_addresses (void)
{
  g_autofree char *expected = g_build_filename (g_get_user_data_dir (), "setup-console", "station.db", NULL);
  g_autoptr(GError) error = NULL;
  ScStore *store;

  /* main() points XDG_DATA_HOME at a fresh folder. */
  g_assert_false (g_file_test (expected, G_FILE_TEST_EXISTS));
  store = sc_store_open (NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_test (expected, G_FILE_TEST_IS_REGULAR));
  close_store (store);

  store = sc_store_open ("postgresql://db.example/station", &error);
  g_assert_null (store);
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_ADDRESS);
  g_assert_nonnull (strstr (error->message, "sqlite://"));
  g_clear_error (&error);

  store = sc_store_open ("sqlite://relative/path.db", &error);
  g_assert_null (store);
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_ADDRESS);
  g_clear_error (&error);

  store = sc_store_open ("sqlite:///tmp/x.db?mode=ro", &error);
  g_assert_null (store);
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_ADDRESS);
}

static void
test_newer_schema_refused (Fixture       *fx,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  ScStore *store;

  close_store (open_store (fx->path));
  raw_exec (fx->path, "INSERT INTO schema_version (version, applied) VALUES (5, 0)");

  {
    g_autofree char *uri = g_strconcat ("sqlite://", fx->path, NULL);

    store = sc_store_open (uri, &error);
  }
  g_assert_null (store);
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_OPEN);
  g_assert_nonnull (strstr (error->message, "newer"));
  /* Nothing was changed by the refusal. */
  g_assert_cmpint (raw_int (fx->path, "SELECT max(version) FROM schema_version"), ==, 5);
}

/* begin_unit */

static void
test_begin_new (Fixture       *fx,
                gconstpointer  data)
{
  ScStore *store = open_store (fx->path);
  g_autoptr(ScUnitRecord) unit = NULL;
  gint64 before = g_get_real_time ();

  unit = begin (store, PRODUCT, "SN-0001");
  g_assert_cmpint (unit->id, >, 0);
  g_assert_cmpint (unit->state, ==, SC_UNIT_STARTED);
  g_assert_cmpstr (unit->product, ==, PRODUCT);
  g_assert_cmpstr (unit->serial, ==, "SN-0001");
  g_assert_cmpint (unit->key_origin, ==, -1);
  g_assert_null (unit->public_key_sha256);
  g_assert_null (unit->cert_serial);
  g_assert_null (unit->pin_sealed);
  g_assert_cmpint (unit->created, >=, before);
  g_assert_cmpint (unit->created, <=, g_get_real_time ());
  g_assert_cmpint (unit->updated, ==, unit->created);
  g_assert_cmpint (raw_int (fx->path, "SELECT owner_pid FROM units"), ==, getpid ());
  g_assert_cmpstr (sc_unit_state_to_string (unit->state), ==, "started");
  verify_ok (store, 1);
  close_store (store);
}

static void
test_resume_dead_owner (Fixture       *fx,
                        gconstpointer  data)
{
  ScStore *store = open_store (fx->path);
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autoptr(ScUnitRecord) resumed = NULL;
  g_autoptr(ScUnitRecord) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *sql = NULL;
  g_autofree char *details = NULL;

  unit = begin (store, PRODUCT, "SN-0001");
  g_assert_true (sc_store_set_key (store, unit->id, 0, KEY_A, NULL, &error));
  g_assert_no_error (error);

  /* As if the program that began it had crashed. */
  sql = g_strdup_printf ("UPDATE units SET owner_pid = %d, owner_token = 'gone'", (int) dead_pid ());
  raw_exec (fx->path, sql);

  resumed = sc_store_begin_unit (store, PRODUCT, "AB12", "SN-0001", "station-2", "bob", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (resumed->id, ==, unit->id);
  g_assert_cmpint (resumed->state, ==, SC_UNIT_KEYED);
  g_assert_cmpstr (resumed->public_key_sha256, ==, KEY_A);
  g_assert_cmpint (raw_int (fx->path, "SELECT owner_pid FROM units"), ==, getpid ());
  g_assert_cmpint (raw_int (fx->path, "SELECT count(*) FROM units"), ==, 1);
  details = raw_text (fx->path, "SELECT details FROM audit WHERE action = 'resume'");
  g_assert_nonnull (strstr (details, "keyed"));

  /* Now it is ours: asking again returns it without another takeover. */
  again = sc_store_begin_unit (store, PRODUCT, "AB12", "SN-0001", "station-2", "bob", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (again->id, ==, unit->id);
  g_assert_cmpint (raw_int (fx->path, "SELECT count(*) FROM audit WHERE action = 'resume'"), ==, 1);

  /* A record left from before a reboot is gone, whatever its pid is now. */
  raw_exec (fx->path, "UPDATE units SET owner_pid = 1, owner_token = 'x', owner_boot = 'another-boot'");
  g_clear_pointer (&again, sc_unit_record_free);
  again = sc_store_begin_unit (store, PRODUCT, "AB12", "SN-0001", NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (again->id, ==, unit->id);
  close_store (store);
}

static void
test_busy_live_owner (Fixture       *fx,
                      gconstpointer  data)
{
  ScStore *store = open_store (fx->path);
  ScStore *other;
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autoptr(ScUnitRecord) resumed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *sql = NULL;
  g_autofree char *ppid = g_strdup_printf ("%d", (int) getppid ());

  unit = begin (store, PRODUCT, "SN-0001");

  /* Another live process on this host: our parent. */
  sql = g_strdup_printf ("UPDATE units SET owner_pid = %d, owner_token = 'parent'", (int) getppid ());
  raw_exec (fx->path, sql);
  resumed = sc_store_begin_unit (store, PRODUCT, "AB12", "SN-0001", NULL, NULL, NULL, &error);
  g_assert_null (resumed);
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_BUSY);
  g_assert_nonnull (strstr (error->message, ppid));
  g_assert_nonnull (strstr (error->message, g_get_host_name ()));
  g_clear_error (&error);

  /* Another store in this process: same pid, another token. */
  raw_exec (fx->path, "UPDATE units SET owner_pid = NULL, owner_host = NULL");
  other = open_store (fx->path);
  resumed = sc_store_begin_unit (other, PRODUCT, "AB12", "SN-0001", NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (resumed->id, ==, unit->id);
  g_clear_pointer (&resumed, sc_unit_record_free);
  resumed = sc_store_begin_unit (store, PRODUCT, "AB12", "SN-0001", NULL, NULL, NULL, &error);
  g_assert_null (resumed);
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_BUSY);
  g_clear_error (&error);
  /* Once that store is closed, its runs can be taken over. */
  close_store (other);
  resumed = sc_store_begin_unit (store, PRODUCT, "AB12", "SN-0001", NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (resumed->id, ==, unit->id);
  g_clear_pointer (&resumed, sc_unit_record_free);

  /* Another host: live while it changed in the last ten minutes. */
  g_free (sql);
  sql = g_strdup_printf ("UPDATE units SET owner_host = 'line-pc-7', owner_pid = 4242, updated = %" G_GINT64_FORMAT,
                         g_get_real_time () - 60 * G_USEC_PER_SEC);
  raw_exec (fx->path, sql);
  resumed = sc_store_begin_unit (store, PRODUCT, "AB12", "SN-0001", NULL, NULL, NULL, &error);
  g_assert_null (resumed);
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_BUSY);
  g_assert_nonnull (strstr (error->message, "line-pc-7"));
  g_clear_error (&error);

  g_free (sql);
  sql = g_strdup_printf ("UPDATE units SET updated = %" G_GINT64_FORMAT,
                         g_get_real_time () - 11 * G_TIME_SPAN_MINUTE);
  raw_exec (fx->path, sql);
  resumed = sc_store_begin_unit (store, PRODUCT, "AB12", "SN-0001", NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (resumed->id, ==, unit->id);
  close_store (store);
}

/* A real second process: while it lives its run is busy; when it dies
 * without a word, the run is resumed here. */
static void
test_busy_other_process (Fixture       *fx,
                         gconstpointer  data)
{
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autoptr(GError) error = NULL;
  int to_child[2], to_parent[2];
  ScStore *store;
  pid_t child;
  char c = 0;
  int status;

  close_store (open_store (fx->path));
  g_assert_cmpint (pipe (to_child), ==, 0);
  g_assert_cmpint (pipe (to_parent), ==, 0);

  child = fork ();
  g_assert_cmpint (child, >=, 0);
  if (child == 0)
    {
      g_autofree char *uri = g_strconcat ("sqlite://", fx->path, NULL);
      ScStore *mine = sc_store_open (uri, NULL);
      ScUnitRecord *record = NULL;

      if (mine != NULL)
        record = sc_store_begin_unit (mine, PRODUCT, "AB12", "SN-CHILD", NULL, "child", NULL, NULL);
      c = record != NULL && record->state == SC_UNIT_STARTED ? 'y' : 'n';
      if (write (to_parent[1], &c, 1) != 1 || read (to_child[0], &c, 1) != 1)
        _exit (2);
      /* Dies like a crash: the store is never closed. */
      _exit (0);
    }

  g_assert_cmpint (read (to_parent[0], &c, 1), ==, 1);
  g_assert_cmpint (c, ==, 'y');

  store = open_store (fx->path);
  unit = sc_store_begin_unit (store, PRODUCT, "AB12", "SN-CHILD", NULL, NULL, NULL, &error);
  g_assert_null (unit);
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_BUSY);
  g_clear_error (&error);

  g_assert_cmpint (write (to_child[1], "x", 1), ==, 1);
  /* Only that it exited: under valgrind a child that _exit()s with memory
   * in use has another exit code. Its success was the 'y' above. */
  g_assert_cmpint (waitpid (child, &status, 0), ==, child);
  g_assert_true (WIFEXITED (status));

  unit = sc_store_begin_unit (store, PRODUCT, "AB12", "SN-CHILD", NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (unit->state, ==, SC_UNIT_STARTED);
  g_assert_cmpstr (unit->operator_name, ==, "child");
  verify_ok (store, 2);
  close_store (store);

  close (to_child[0]);
  close (to_child[1]);
  close (to_parent[0]);
  close (to_parent[1]);
}

static void
test_completed_override (Fixture       *fx,
                         gconstpointer  data)
{
  ScStore *store = open_store (fx->path);
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autoptr(ScUnitRecord) again = NULL;
  g_autoptr(ScUnitRecord) old = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *details = NULL;
  g_autofree char *sql = NULL;

  unit = begin (store, PRODUCT, "SN-0001");
  set_state (store, unit->id, SC_UNIT_COMPLETE);

  again = sc_store_begin_unit (store, PRODUCT, "AB12", "SN-0001", NULL, "bob", NULL, &error);
  g_assert_null (again);
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_COMPLETED);
  g_assert_nonnull (strstr (error->message, "override"));
  g_clear_error (&error);

  /* A blank reason is no reason. */
  again = sc_store_begin_unit (store, PRODUCT, "AB12", "SN-0001", NULL, "bob", "  ", &error);
  g_assert_null (again);
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_COMPLETED);
  g_clear_error (&error);

  /* The same serial of another product is another unit. */
  again = begin (store, PRODUCT2, "SN-0001");
  g_assert_cmpint (again->state, ==, SC_UNIT_STARTED);
  g_clear_pointer (&again, sc_unit_record_free);

  again = sc_store_begin_unit (store, PRODUCT, "AB12", "SN-0001", NULL, "bob", "label damaged in rework", &error);
  g_assert_no_error (error);
  g_assert_cmpint (again->id, !=, unit->id);
  g_assert_cmpint (again->state, ==, SC_UNIT_STARTED);

  sql = g_strdup_printf ("SELECT state FROM units WHERE id = %" G_GINT64_FORMAT, unit->id);
  g_assert_cmpstr ((details = raw_text (fx->path, sql)), ==, "superseded");
  g_clear_pointer (&details, g_free);
  details = raw_text (fx->path, "SELECT details FROM audit WHERE action = 'override'");
  g_assert_nonnull (strstr (details, "label damaged in rework"));
  g_assert_cmpint (raw_int (fx->path, "SELECT count(*) FROM audit WHERE action = 'override' AND actor = 'bob' "
                                      "AND serial = 'SN-0001'"), ==, 1);

  old = sc_store_find_unit (store, PRODUCT, "SN-0001", &error);
  g_assert_no_error (error);
  g_assert_cmpint (old->id, ==, again->id);
  verify_ok (store, 5);
  close_store (store);
}

static void
test_failed_begins_again (Fixture       *fx,
                          gconstpointer  data)
{
  ScStore *store = open_store (fx->path);
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autoptr(ScUnitRecord) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) units = NULL;
  g_autofree char *action = NULL;

  unit = begin (store, PRODUCT, "SN-0001");
  g_assert_true (sc_store_set_key (store, unit->id, 1, KEY_A, NULL, &error));
  g_assert_true (sc_store_set_state (store, unit->id, SC_UNIT_FAILED, "The unit stopped answering", &error));
  g_assert_no_error (error);

  again = begin (store, PRODUCT, "SN-0001");
  g_assert_cmpint (again->id, !=, unit->id);
  g_assert_cmpint (again->state, ==, SC_UNIT_STARTED);
  /* The failed unit's key may be gone with it: the new run may reuse it. */
  g_assert_true (sc_store_set_key (store, again->id, 1, KEY_A, NULL, &error));
  g_assert_no_error (error);

  units = sc_store_list_units (store, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (units->len, ==, 2);
  g_assert_cmpint (((ScUnitRecord *) units->pdata[0])->state, ==, SC_UNIT_FAILED);
  g_assert_cmpstr (((ScUnitRecord *) units->pdata[0])->failure, ==, "The unit stopped answering");
  action = raw_text (fx->path, "SELECT action FROM audit WHERE id = 3");
  g_assert_cmpstr (action, ==, "state:failed");
  close_store (store);
}

static void
test_duplicates (Fixture       *fx,
                 gconstpointer  data)
{
  g_autoptr(ScStationSecret) secret = NULL;
  g_autoptr(ScSecret) pin = sc_secret_new_from_string (TEST_PIN);
  g_autoptr(ScUnitRecord) a = NULL;
  g_autoptr(ScUnitRecord) b = NULL;
  g_autoptr(ScUnitRecord) c = NULL;
  g_autoptr(ScUnitRecord) again = NULL;
  g_autoptr(GBytes) sealed_a = NULL;
  g_autoptr(GBytes) sealed_b = NULL;
  g_autoptr(GBytes) sealed_c = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *secret_path = g_build_filename (fx->dir, "secret", NULL);
  g_autofree char *mac = NULL;
  g_autofree char *mac2 = NULL;
  ScStore *store = open_store (fx->path);
  sqlite3 *db;
  gint64 sig;
  guint64 n;

  a = begin (store, PRODUCT, "SN-A");
  b = begin (store, PRODUCT, "SN-B");
  c = begin (store, PRODUCT2, "SN-C");

  /* One public key, two units. */
  g_assert_true (sc_store_set_key (store, a->id, 1, KEY_A, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (sc_store_set_key (store, b->id, 1, KEY_A, NULL, &error));
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_DUPLICATE);
  g_assert_nonnull (strstr (error->message, "public key"));
  g_clear_error (&error);
  g_assert_true (sc_store_set_key (store, b->id, 1, KEY_B, NULL, &error));
  g_assert_no_error (error);

  /* One certificate serial, two units. */
  issue (store, a->id, "0badc0de");
  sig = sc_store_begin_signature (store, b->id, DAK, &error);
  g_assert_no_error (error);
  g_assert_false (sc_store_record_issue (store, sig, b->id, "0badc0de", CHAIN, &error));
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_DUPLICATE);
  g_assert_nonnull (strstr (error->message, "serial number"));
  g_clear_error (&error);
  /* The refused issue left the signature pending, not half-recorded. */
  g_assert_cmpint (raw_int (fx->path, "SELECT count(*) FROM signatures WHERE cert_serial IS NULL"), ==, 1);

  /* One PIN, two units of a product; the same PIN for another product is
   * another rule's business. */
  secret = sc_station_secret_load (secret_path, &error);
  g_assert_no_error (error);
  mac = sc_station_secret_pin_mac (secret, PRODUCT, pin);
  mac2 = sc_station_secret_pin_mac (secret, PRODUCT2, pin);
  sealed_a = sc_station_secret_seal_pin (secret, "SN-A", pin, &error);
  sealed_b = sc_station_secret_seal_pin (secret, "SN-B", pin, &error);
  sealed_c = sc_station_secret_seal_pin (secret, "SN-C", pin, &error);
  g_assert_no_error (error);
  g_assert_true (sc_store_set_pin (store, a->id, sealed_a, mac, &error));
  g_assert_no_error (error);
  g_assert_false (sc_store_set_pin (store, b->id, sealed_b, mac, &error));
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_DUPLICATE);
  g_assert_nonnull (strstr (error->message, "PIN"));
  g_clear_error (&error);
  g_assert_true (sc_store_set_pin (store, c->id, sealed_c, mac2, &error));
  g_assert_no_error (error);

  /* One serial active twice: the database itself refuses it. */
  db = raw_open (fx->path);
  g_assert_cmpint (sqlite3_exec (db, "INSERT INTO units (product, serial, state, created, updated) "
                                     "VALUES ('" PRODUCT "', 'SN-A', 'started', 1, 1)",
                                 NULL, NULL, NULL), ==, SQLITE_CONSTRAINT);
  g_assert_cmpint (sqlite3_extended_errcode (db), ==, SQLITE_CONSTRAINT_UNIQUE);
  /* ... and is fine with it once the first is failed or superseded. */
  g_assert_cmpint (sqlite3_exec (db, "INSERT INTO units (product, serial, state, created, updated) "
                                     "VALUES ('" PRODUCT "', 'SN-A', 'failed', 1, 1)",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  /* Through the store: bringing a failed run back while another is active. */
  g_assert_true (sc_store_set_state (store, b->id, SC_UNIT_FAILED, "test", &error));
  again = begin (store, PRODUCT, "SN-B");
  g_assert_false (sc_store_set_state (store, b->id, SC_UNIT_STARTED, NULL, &error));
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_DUPLICATE);
  g_assert_nonnull (strstr (error->message, "in progress or complete"));
  g_clear_error (&error);

  /* A refused change leaves no audit entry behind and the chain intact. */
  g_assert_true (sc_store_audit_verify (store, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpint ((gint64) n, ==, raw_int (fx->path, "SELECT count(*) FROM audit"));
  g_assert_cmpint (raw_int (fx->path, "SELECT count(*) FROM audit WHERE action = 'key'"), ==, 2);
  close_store (store);
}

static void
test_issue (Fixture       *fx,
            gconstpointer  data)
{
  ScStore *store = open_store (fx->path);
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autoptr(ScUnitRecord) found = NULL;
  g_autoptr(GError) error = NULL;
  gint64 sig;

  unit = begin (store, PRODUCT, "SN-0001");
  g_assert_true (sc_store_set_key (store, unit->id, 2, KEY_A, "puk", &error));
  sig = sc_store_begin_signature (store, unit->id, DAK, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sig, >, 0);

  /* Another unit's signature, or none at all. */
  g_assert_false (sc_store_record_issue (store, sig + 1, unit->id, "01", CHAIN, &error));
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (sc_store_set_key (store, unit->id + 100, 2, KEY_B, NULL, &error));
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (sc_store_record_issue (store, sig, unit->id, "7f01", CHAIN, &error));
  g_assert_no_error (error);
  found = sc_store_find_unit (store, NULL, "SN-0001", &error);
  g_assert_no_error (error);
  g_assert_cmpint (found->state, ==, SC_UNIT_SIGNED);
  g_assert_cmpstr (found->cert_serial, ==, "7f01");
  g_assert_cmpstr (found->chain_pem, ==, CHAIN);
  g_assert_cmpstr (found->dak, ==, DAK);
  g_assert_cmpint (raw_int (fx->path, "SELECT count(*) FROM signatures WHERE cert_serial = '7f01' "
                                      "AND finished >= started"), ==, 1);
  close_store (store);
}

static void
test_lists (Fixture       *fx,
            gconstpointer  data)
{
  ScStore *store = open_store (fx->path);
  g_autoptr(ScUnitRecord) a = NULL;
  g_autoptr(ScUnitRecord) b = NULL;
  g_autoptr(ScUnitRecord) found = NULL;
  g_autoptr(GPtrArray) units = NULL;
  g_autoptr(GPtrArray) steps = NULL;
  g_autoptr(GPtrArray) prints = NULL;
  g_autoptr(GError) error = NULL;
  ScStepRecord step = { (char *) "flash", 100, 200, TRUE, NULL };
  ScStepRecord bad = { (char *) "verify", 300, 400, FALSE, (char *) "The challenge did not verify" };
  ScStepRecord *s;
  ScPrintRecord *p;

  a = begin (store, PRODUCT, "SN-A");
  g_usleep (2000);
  b = begin (store, PRODUCT2, "SN-B");
  g_assert_cmpint (b->created, >, a->created);

  units = sc_store_list_units (store, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (units->len, ==, 2);
  g_assert_cmpint (((ScUnitRecord *) units->pdata[0])->id, ==, a->id);
  g_clear_pointer (&units, g_ptr_array_unref);
  units = sc_store_list_units (store, b->created, 0, &error);
  g_assert_cmpuint (units->len, ==, 1);
  g_assert_cmpint (((ScUnitRecord *) units->pdata[0])->id, ==, b->id);
  g_clear_pointer (&units, g_ptr_array_unref);
  units = sc_store_list_units (store, 0, b->created, &error);
  g_assert_cmpuint (units->len, ==, 1);
  g_assert_cmpint (((ScUnitRecord *) units->pdata[0])->id, ==, a->id);
  g_clear_pointer (&units, g_ptr_array_unref);

  found = sc_store_find_unit (store, NULL, "SN-B", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found->product, ==, PRODUCT2);
  g_clear_pointer (&found, sc_unit_record_free);
  found = sc_store_find_unit (store, PRODUCT, "SN-B", &error);
  g_assert_null (found);
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  {
    ScStepRecord both[2] = { step, bad };
    g_assert_true (sc_store_record_steps (store, a->id, both, 2, &error));
  }
  g_assert_no_error (error);
  steps = sc_store_list_steps (store, a->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (steps->len, ==, 2);
  s = steps->pdata[0];
  g_assert_cmpstr (s->name, ==, "flash");
  g_assert_cmpint (s->started, ==, 100);
  g_assert_cmpint (s->finished, ==, 200);
  g_assert_true (s->ok);
  g_assert_null (s->error);
  s = steps->pdata[1];
  g_assert_cmpstr (s->name, ==, "verify");
  g_assert_false (s->ok);
  g_assert_cmpstr (s->error, ==, "The challenge did not verify");
  g_clear_pointer (&steps, g_ptr_array_unref);
  steps = sc_store_list_steps (store, b->id, &error);
  g_assert_cmpuint (steps->len, ==, 0);
  g_clear_pointer (&steps, g_ptr_array_unref);
  steps = sc_store_list_steps (store, 9999, &error);
  g_assert_null (steps);
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (sc_store_record_print (store, a->id, SC_LABEL_KIND_PRODUCT, FALSE, NULL, "zebra-1", "alice", &error));
  g_assert_true (sc_store_record_print (store, a->id, SC_LABEL_KIND_PACKAGE, FALSE, NULL, "zebra-1", "alice", &error));
  g_assert_true (sc_store_record_print (store, a->id, SC_LABEL_KIND_PRODUCT, TRUE, "smudged", "zebra-2", "bob", &error));
  g_assert_no_error (error);
  prints = sc_store_list_prints (store, a->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (prints->len, ==, 3);
  p = prints->pdata[1];
  g_assert_cmpint (p->kind, ==, SC_LABEL_KIND_PACKAGE);
  g_assert_false (p->reprint);
  p = prints->pdata[2];
  g_assert_cmpint (p->kind, ==, SC_LABEL_KIND_PRODUCT);
  g_assert_true (p->reprint);
  g_assert_cmpstr (p->reason, ==, "smudged");
  g_assert_cmpstr (p->printer, ==, "zebra-2");
  g_assert_cmpstr (p->operator_name, ==, "bob");
  g_assert_cmpint (p->time, >, 0);
  g_assert_cmpint (raw_int (fx->path, "SELECT count(*) FROM audit WHERE action = 'reprint' "
                                      "AND details LIKE '%smudged%' AND actor = 'bob'"), ==, 1);
  /* Both steps in one audited transaction, naming each. */
  g_assert_cmpint (raw_int (fx->path, "SELECT count(*) FROM audit WHERE action = 'steps' "
                                      "AND details LIKE '%step flash passed%failed%'"), ==, 1);
  g_assert_cmpint (raw_int (fx->path, "SELECT count(*) FROM audit WHERE action = 'print'"), ==, 2);
  close_store (store);
}

static void
test_reconcile (Fixture       *fx,
                gconstpointer  data)
{
  ScStore *store = open_store (fx->path);
  g_autoptr(ScUnitRecord) a = NULL;
  g_autoptr(ScUnitRecord) b = NULL;
  g_autoptr(ScUnitRecord) c = NULL;
  g_autoptr(GError) error = NULL;
  ScReconciliation r;

  g_assert_true (sc_store_reconcile (store, &r, &error));
  g_assert_cmpuint (r.signatures + r.signatures_pending + r.units_complete + r.units_failed +
                    r.labels_printed + r.labels_reprinted, ==, 0);

  a = begin (store, PRODUCT, "SN-A");
  b = begin (store, PRODUCT, "SN-B");
  c = begin (store, PRODUCT, "SN-C");
  issue (store, a->id, "01");
  issue (store, b->id, "02");
  /* A signature begun and never finished: a crash mid-signing. */
  g_assert_cmpint (sc_store_begin_signature (store, c->id, DAK, &error), >, 0);
  set_state (store, a->id, SC_UNIT_COMPLETE);
  set_state (store, c->id, SC_UNIT_FAILED);
  g_assert_true (sc_store_record_print (store, a->id, SC_LABEL_KIND_PRODUCT, FALSE, NULL, NULL, NULL, &error));
  g_assert_true (sc_store_record_print (store, a->id, SC_LABEL_KIND_PACKAGE, FALSE, NULL, NULL, NULL, &error));
  g_assert_true (sc_store_record_print (store, a->id, SC_LABEL_KIND_PRODUCT, TRUE, "jam", NULL, NULL, &error));
  g_assert_no_error (error);

  g_assert_true (sc_store_reconcile (store, &r, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.signatures, ==, 2);
  g_assert_cmpuint (r.signatures_pending, ==, 1);
  g_assert_cmpuint (r.units_complete, ==, 1);
  g_assert_cmpuint (r.units_failed, ==, 1);
  g_assert_cmpuint (r.labels_printed, ==, 2);
  g_assert_cmpuint (r.labels_reprinted, ==, 1);
  close_store (store);
}

/* Prints: a first print once per label, and how a job ended */

static gint64
begin_first_print (ScStore     *store,
                   gint64       unit_id,
                   ScLabelKind  kind,
                   GError     **error)
{
  return sc_store_begin_print (store, unit_id, kind, FALSE, NULL, "zebra-1", "alice", error);
}

static void
end_print (ScStore       *store,
           gint64         print_id,
           ScPrintStatus  status)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (sc_store_end_print (store, print_id, status, status == SC_PRINT_DONE ? NULL : "why", &error));
  g_assert_no_error (error);
}

static void
test_first_print_once (Fixture       *fx,
                       gconstpointer  data)
{
  ScStore *store = open_store (fx->path);
  g_autoptr(ScUnitRecord) a = begin (store, PRODUCT, "SN-A");
  g_autoptr(GError) error = NULL;
  gint64 first, id;

  /* Under way (or cut off): no second first print. */
  first = begin_first_print (store, a->id, SC_LABEL_KIND_PRODUCT, &error);
  g_assert_no_error (error);
  g_assert_cmpint (first, >, 0);
  g_assert_cmpint (begin_first_print (store, a->id, SC_LABEL_KIND_PRODUCT, &error), ==, 0);
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_PRINTED);
  g_assert_nonnull (strstr (error->message, "The product label of SN-A is being printed, or its print broke off"));
  g_assert_nonnull (strstr (error->message, "only as a reprint, with a reason"));
  g_clear_error (&error);
  /* The refusal left nothing behind: no print, no audit entry. */
  g_assert_cmpint (raw_int (fx->path, "SELECT count(*) FROM prints"), ==, 1);
  g_assert_cmpint (raw_int (fx->path, "SELECT count(*) FROM audit WHERE action = 'print'"), ==, 1);

  /* The other label is its own. */
  id = begin_first_print (store, a->id, SC_LABEL_KIND_PACKAGE, &error);
  g_assert_no_error (error);
  end_print (store, id, SC_PRINT_DONE);

  /* A print that sent nothing, or that the printer did not take, leaves the
   * label to be printed. */
  end_print (store, first, SC_PRINT_NOT_SENT);
  id = begin_first_print (store, a->id, SC_LABEL_KIND_PRODUCT, &error);
  g_assert_no_error (error);
  end_print (store, id, SC_PRINT_FAILED);
  id = begin_first_print (store, a->id, SC_LABEL_KIND_PRODUCT, &error);
  g_assert_no_error (error);
  end_print (store, id, SC_PRINT_DONE);

  /* Printed: a second copy is a reprint, with its reason. */
  g_assert_cmpint (begin_first_print (store, a->id, SC_LABEL_KIND_PRODUCT, &error), ==, 0);
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_PRINTED);
  g_assert_nonnull (strstr (error->message, "The product label of SN-A has been printed already"));
  g_clear_error (&error);
  g_assert_cmpint (begin_first_print (store, a->id, SC_LABEL_KIND_PACKAGE, &error), ==, 0);
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_PRINTED);
  g_clear_error (&error);
  id = sc_store_begin_print (store, a->id, SC_LABEL_KIND_PRODUCT, TRUE, "smudged", "zebra-1", "bob", &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  /* A reprint under way does not open the door to a first print either. */
  g_assert_cmpint (begin_first_print (store, a->id, SC_LABEL_KIND_PRODUCT, &error), ==, 0);
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_PRINTED);
  g_clear_error (&error);
  end_print (store, id, SC_PRINT_DONE);
  g_assert_cmpint (raw_int (fx->path, "SELECT count(*) FROM prints WHERE status = 'done' AND reprint = 0 "
                                      "AND kind = 0"), ==, 1);
  close_store (store);
}

/* Two runs printing the same unit at once, each with its own connection
 * (two threads of one station, or two programs): each round exactly one
 * makes the first print. */
#define PRINT_RACE_ROUNDS 40

typedef struct
{
  const char        *path;
  pthread_barrier_t *barrier;
  gint64            *units;
  gint64             ids[PRINT_RACE_ROUNDS];   /* > 0: printed; 0: refused */
} PrintRacer;

static gpointer
print_race_thread (gpointer data)
{
  PrintRacer *racer = data;
  ScStore *store = open_store (racer->path);

  for (guint i = 0; i < PRINT_RACE_ROUNDS; i++)
    {
      g_autoptr(GError) error = NULL;

      pthread_barrier_wait (racer->barrier);
      racer->ids[i] = begin_first_print (store, racer->units[i], SC_LABEL_KIND_PRODUCT, &error);
      if (racer->ids[i] > 0)
        g_assert_no_error (error);
      else
        g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_PRINTED);
    }
  pthread_barrier_wait (racer->barrier);
  close_store (store);
  return NULL;
}

static void
test_first_print_race (Fixture       *fx,
                       gconstpointer  data)
{
  pthread_barrier_t barrier;
  gint64 units[PRINT_RACE_ROUNDS];
  PrintRacer a = { fx->path, &barrier, units, { 0 } };
  PrintRacer b = { fx->path, &barrier, units, { 0 } };
  ScStore *store = open_store (fx->path);
  GThread *ta, *tb;

  for (guint i = 0; i < PRINT_RACE_ROUNDS; i++)
    {
      g_autofree char *serial = g_strdup_printf ("PRINT-%02u", i);
      g_autoptr(ScUnitRecord) unit = begin (store, PRODUCT, serial);

      units[i] = unit->id;
    }
  pthread_barrier_init (&barrier, NULL, 2);
  ta = g_thread_new ("printer-a", print_race_thread, &a);
  tb = g_thread_new ("printer-b", print_race_thread, &b);
  g_thread_join (ta);
  g_thread_join (tb);
  pthread_barrier_destroy (&barrier);

  for (guint i = 0; i < PRINT_RACE_ROUNDS; i++)
    g_assert_true ((a.ids[i] > 0) != (b.ids[i] > 0));
  g_assert_cmpint (raw_int (fx->path, "SELECT count(*) FROM prints"), ==, PRINT_RACE_ROUNDS);
  verify_ok (store, 2 * PRINT_RACE_ROUNDS);
  close_store (store);
}

/* How a job ended is recorded from the printer's error, the same way for
 * every caller: only the errors that sent nothing leave the label to be
 * printed again; anything else stays pending, its outcome unknown. */
static void
test_end_print_job (Fixture       *fx,
                    gconstpointer  data)
{
  static const struct
  {
    const char *domain;
    int         code;
    const char *status;
  } cases[] = {
    { NULL, 0, "done" },
    { "printer", SC_PRINTER_ERROR_NOT_READY, "not-sent" },
    { "printer", SC_PRINTER_ERROR_SETUP, "not-sent" },
    { "printer", SC_PRINTER_ERROR_ADDRESS, "not-sent" },
    { "io", G_IO_ERROR_CANCELLED, "not-sent" },
    { "label", SC_LABEL_ERROR_MISMATCH, "not-sent" },
    { "printer", SC_PRINTER_ERROR_FAILED, "pending" },
    { "io", G_IO_ERROR_CONNECTION_CLOSED, "pending" },
    { "file", G_FILE_ERROR_IO, "pending" },
  };
  ScStore *store = open_store (fx->path);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *serial = g_strdup_printf ("SN-END-%u", i);
      g_autoptr(ScUnitRecord) unit = begin (store, PRODUCT, serial);
      g_autoptr(GError) print_error = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) prints = NULL;
      g_autofree char *status = NULL;
      g_autofree char *sql = NULL;
      GQuark domain;
      gint64 id;

      if (cases[i].domain != NULL)
        {
          domain = g_str_equal (cases[i].domain, "printer") ? SC_PRINTER_ERROR
                   : g_str_equal (cases[i].domain, "io") ? G_IO_ERROR
                   : g_str_equal (cases[i].domain, "label") ? SC_LABEL_ERROR : G_FILE_ERROR;
          print_error = g_error_new (domain, cases[i].code, "the printer's words %u", i);
        }
      id = begin_first_print (store, unit->id, SC_LABEL_KIND_PRODUCT, &error);
      g_assert_no_error (error);
      g_assert_true (sc_store_end_print_job (store, id, print_error, &error));
      g_assert_no_error (error);

      sql = g_strdup_printf ("SELECT status || '|' || ifnull(error, '-') FROM prints WHERE id = %" G_GINT64_FORMAT, id);
      status = raw_text (fx->path, sql);
      g_clear_pointer (&sql, g_free);
      sql = print_error ? g_strdup_printf ("%s|the printer's words %u", cases[i].status, i)
                        : g_strdup_printf ("%s|-", cases[i].status);
      g_assert_cmpstr (status, ==, sql);
      prints = sc_store_list_prints (store, unit->id, &error);
      g_assert_no_error (error);
      g_assert_cmpint (sc_print_records_get_label_status (prints, SC_LABEL_KIND_PRODUCT, NULL), ==,
                       g_str_equal (cases[i].status, "done") ? SC_PRINT_DONE
                       : g_str_equal (cases[i].status, "pending") ? SC_PRINT_PENDING : SC_PRINT_NOT_SENT);
    }
  close_store (store);
}

/* Another program holding the write lock longer than the busy timeout. */
static void
test_database_busy (Fixture       *fx,
                    gconstpointer  data)
{
  ScStore *store = open_store (fx->path);
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autoptr(ScUnitRecord) found = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *db;
  gint64 start;

  unit = begin (store, PRODUCT, "SN-0001");
  db = raw_open (fx->path);
  g_assert_cmpint (sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);

  start = g_get_monotonic_time ();
  g_assert_false (sc_store_set_state (store, unit->id, SC_UNIT_FAILED, "x", &error));
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "busy"));
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 9 * G_USEC_PER_SEC);
  g_clear_error (&error);

  /* Reading still works while another program writes. */
  found = sc_store_find_unit (store, PRODUCT, "SN-0001", &error);
  g_assert_no_error (error);
  g_assert_cmpint (found->state, ==, SC_UNIT_STARTED);

  g_assert_cmpint (sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  set_state (store, unit->id, SC_UNIT_FAILED);
  verify_ok (store, 2);
  close_store (store);
}

/* The audit chain */

static void
busy_history (ScStore *store)
{
  g_autoptr(GError) error = NULL;
  ScStepRecord step = { (char *) "flash", 1, 2, TRUE, NULL };

  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *serial = g_strdup_printf ("SN-%u", i);
      g_autofree char *key = g_strdup_printf ("%064u", i);
      g_autofree char *cert = g_strdup_printf ("c0%u", i);
      g_autoptr(ScUnitRecord) unit = begin (store, PRODUCT, serial);

      g_assert_true (sc_store_set_key (store, unit->id, 1, key, NULL, &error));
      issue (store, unit->id, cert);
      g_assert_true (sc_store_record_steps (store, unit->id, &step, 1, &error));
      g_assert_true (sc_store_record_print (store, unit->id, SC_LABEL_KIND_PRODUCT, FALSE, NULL, "p", "alice",
                                            &error));
      g_assert_true (sc_store_set_state (store, unit->id, i == 3 ? SC_UNIT_FAILED : SC_UNIT_COMPLETE,
                                         i == 3 ? "broken" : NULL, &error));
      g_assert_no_error (error);
    }
  g_assert_true (sc_store_audit (store, "alice", "shift-end", NULL, "line 3\nwith a newline", &error));
  g_assert_no_error (error);
}

static char *
copy_db (const char *path,
         const char *dir,
         const char *name)
{
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  char *copy = g_build_filename (dir, name, NULL);
  gsize len;

  g_assert_true (g_file_get_contents (path, &data, &len, &error));
  g_assert_true (g_file_set_contents (copy, data, len, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (copy, 0600), ==, 0);
  return copy;
}

static void
assert_tampered (const char *path,
                 const char *entry,
                 const char *what)
{
  g_autoptr(GError) error = NULL;
  ScStore *store = open_store (path);
  guint64 n = 99;

  g_assert_false (sc_store_audit_verify (store, &n, &error));
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_TAMPERED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, entry));
  g_assert_nonnull (strstr (error->message, what));
  g_assert_cmpuint (n, ==, 0);
  close_store (store);
}

static void
test_audit_chain (Fixture       *fx,
                  gconstpointer  data)
{
  ScStore *store = open_store (fx->path);
  g_autofree char *edited = NULL;
  g_autofree char *deleted = NULL;
  g_autofree char *swapped = NULL;
  g_autofree char *recomputed = NULL;
  g_autofree char *first_prev = NULL;
  gint64 entries;

  busy_history (store);
  entries = raw_int (fx->path, "SELECT count(*) FROM audit");
  /* Per unit: begin, key, signing, issued, steps, print, printed, state. */
  g_assert_cmpint (entries, ==, 4 * 8 + 1);
  verify_ok (store, entries);
  first_prev = raw_text (fx->path, "SELECT prev_hash FROM audit WHERE id = 1");
  g_assert_cmpstr (first_prev, ==, "0000000000000000000000000000000000000000000000000000000000000000");
  close_store (store);

  /* The hash is what the design says: checked with SQLite's own view of
   * the row and GLib's SHA-256, not the store's code. */
  {
    g_autofree char *row = raw_text (fx->path,
                                     "SELECT prev_hash || char(10) || id || char(10) || time || char(10) || actor "
                                     "|| char(10) || action || char(10) || ifnull(serial, '') || char(10) || "
                                     "ifnull(details, '') FROM audit WHERE id = 7");
    g_autofree char *hash = raw_text (fx->path, "SELECT hash FROM audit WHERE id = 7");

    recomputed = g_compute_checksum_for_string (G_CHECKSUM_SHA256, row, -1);
    g_assert_cmpstr (recomputed, ==, hash);
  }

  edited = copy_db (fx->path, fx->dir, "edited.db");
  raw_exec (edited, "UPDATE audit SET details = 'unit 1, key origin 1' WHERE id = 5");
  assert_tampered (edited, "entry 5:", "edited");

  deleted = copy_db (fx->path, fx->dir, "deleted.db");
  raw_exec (deleted, "DELETE FROM audit WHERE id = 5");
  assert_tampered (deleted, "entry 6:", "missing");

  swapped = copy_db (fx->path, fx->dir, "swapped.db");
  raw_exec (swapped, "UPDATE audit SET id = -4 WHERE id = 4;"
                     "UPDATE audit SET id = 4 WHERE id = 5;"
                     "UPDATE audit SET id = 5 WHERE id = -4;");
  assert_tampered (swapped, "entry 4:", "out of order");

  /* The original still verifies after all that. */
  store = open_store (fx->path);
  verify_ok (store, entries);
  close_store (store);
}

static gboolean
contains (const guint8 *data,
          gsize         len,
          const char   *needle)
{
  return memmem (data, len, needle, strlen (needle)) != NULL;
}

static void
test_pin_not_in_clear (Fixture       *fx,
                       gconstpointer  data)
{
  g_autofree char *secret_path = g_build_filename (fx->dir, "secret", NULL);
  g_autofree char *wal = g_strconcat (fx->path, "-wal", NULL);
  g_autoptr(ScStationSecret) secret = NULL;
  g_autoptr(ScSecret) pin = sc_secret_new_from_string (TEST_PIN);
  g_autoptr(ScSecret) opened = NULL;
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autoptr(ScUnitRecord) found = NULL;
  g_autoptr(GBytes) sealed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *bytes = NULL;
  g_autofree char *mac = NULL;
  ScStore *store = open_store (fx->path);
  gsize len;

  secret = sc_station_secret_load (secret_path, &error);
  g_assert_no_error (error);
  unit = begin (store, PRODUCT, "SN-PIN");
  sealed = sc_station_secret_seal_pin (secret, "SN-PIN", pin, &error);
  g_assert_no_error (error);
  mac = sc_station_secret_pin_mac (secret, PRODUCT, pin);
  g_assert_true (sc_store_set_pin (store, unit->id, sealed, mac, &error));
  g_assert_no_error (error);
  set_state (store, unit->id, SC_UNIT_COMPLETE);

  /* While the store is open the change may be in the WAL only. */
  g_assert_true (g_file_get_contents (wal, (char **) &bytes, &len, &error));
  g_assert_cmpuint (len, >, 0);
  g_assert_false (contains (bytes, len, TEST_PIN));
  g_assert_true (contains (bytes, len, "SN-PIN"));
  g_clear_pointer (&bytes, g_free);

  found = sc_store_find_unit (store, PRODUCT, "SN-PIN", &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (found->pin_sealed, sealed));
  opened = sc_station_secret_open_pin (secret, "SN-PIN", found->pin_sealed, &error);
  g_assert_no_error (error);
  g_assert_true (sc_secret_equal (opened, pin));
  close_store (store);

  g_assert_true (g_file_get_contents (fx->path, (char **) &bytes, &len, &error));
  g_assert_false (contains (bytes, len, TEST_PIN));
  /* The test would be empty if the file did not hold the unit at all. */
  g_assert_true (contains (bytes, len, "SN-PIN"));
  g_assert_true (contains (bytes, len, mac));
  g_assert_cmpint (raw_int (fx->path, "SELECT count(*) FROM audit WHERE instr(details, '" TEST_PIN "') > 0 "
                                      "OR instr(actor, '" TEST_PIN "') > 0 OR instr(action, '" TEST_PIN "') > 0"),
                   ==, 0);
  g_assert_cmpint (raw_int (fx->path, "SELECT count(*) FROM audit WHERE action = 'pin'"), ==, 1);
  g_assert_cmpint (raw_int (fx->path, "SELECT count(*) FROM audit WHERE instr(details, '" TEST_PIN "') = 0"),
                   ==, raw_int (fx->path, "SELECT count(*) FROM audit"));
}

/* Two store objects on one file, in two threads, race for the same serials:
 * each round exactly one begins the run, the other finds it busy. */

#define RACE_ROUNDS 50

typedef struct
{
  const char        *path;
  pthread_barrier_t *barrier;
  gint64             ids[RACE_ROUNDS];   /* > 0: began; 0: busy */
} Racer;

static gpointer
race_thread (gpointer data)
{
  Racer *racer = data;
  ScStore *store = open_store (racer->path);

  for (guint i = 0; i < RACE_ROUNDS; i++)
    {
      g_autofree char *serial = g_strdup_printf ("RACE-%02u", i);
      g_autoptr(ScUnitRecord) unit = NULL;
      g_autoptr(GError) error = NULL;

      pthread_barrier_wait (racer->barrier);
      unit = sc_store_begin_unit (store, PRODUCT, "AB12", serial, NULL, NULL, NULL, &error);
      if (unit != NULL)
        {
          g_assert_no_error (error);
          g_assert_cmpint (unit->state, ==, SC_UNIT_STARTED);
          racer->ids[i] = unit->id;
        }
      else
        {
          g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_BUSY);
          racer->ids[i] = 0;
        }
    }

  /* Both stores stay open until both are done, so no run is orphaned. */
  pthread_barrier_wait (racer->barrier);
  close_store (store);
  return NULL;
}

static void
test_race (Fixture       *fx,
           gconstpointer  data)
{
  pthread_barrier_t barrier;
  Racer a = { fx->path, &barrier, { 0 } };
  Racer b = { fx->path, &barrier, { 0 } };
  GThread *ta, *tb;
  ScStore *store;
  guint won = 0;

  /* Create the schema first, so the racers do not race on that. */
  close_store (open_store (fx->path));
  pthread_barrier_init (&barrier, NULL, 2);
  ta = g_thread_new ("racer-a", race_thread, &a);
  tb = g_thread_new ("racer-b", race_thread, &b);
  g_thread_join (ta);
  g_thread_join (tb);
  pthread_barrier_destroy (&barrier);

  for (guint i = 0; i < RACE_ROUNDS; i++)
    {
      g_assert_true ((a.ids[i] > 0) != (b.ids[i] > 0));
      won += a.ids[i] > 0;
    }
  g_test_message ("the first thread began %u of %u runs", won, RACE_ROUNDS);
  g_assert_cmpint (raw_int (fx->path, "SELECT count(*) FROM units"), ==, RACE_ROUNDS);
  g_assert_cmpint (raw_int (fx->path, "SELECT count(DISTINCT serial) FROM units"), ==, RACE_ROUNDS);

  store = open_store (fx->path);
  verify_ok (store, RACE_ROUNDS);
  close_store (store);
}

/* The same race between two processes, as two line PCs' programs would run
 * it on one file: each round one begins the run, the other finds it busy. */

static char
race_once (ScStore *store,
           guint    round)
{
  g_autofree char *serial = g_strdup_printf ("PROC-%02u", round);
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autoptr(GError) error = NULL;

  unit = sc_store_begin_unit (store, PRODUCT, "AB12", serial, NULL, NULL, NULL, &error);
  if (unit != NULL && unit->state == SC_UNIT_STARTED)
    return 's';
  if (g_error_matches (error, SC_STORE_ERROR, SC_STORE_ERROR_BUSY))
    return 'b';
  return 'e';
}

static void
test_race_processes (Fixture       *fx,
                     gconstpointer  data)
{
  char mine[RACE_ROUNDS], theirs[RACE_ROUNDS];
  int to_child[2], to_parent[2];
  ScStore *store;
  gsize got = 0;
  guint won = 0;
  pid_t child;
  char c;
  int status;

  close_store (open_store (fx->path));
  g_assert_cmpint (pipe (to_child), ==, 0);
  g_assert_cmpint (pipe (to_parent), ==, 0);

  child = fork ();
  g_assert_cmpint (child, >=, 0);
  if (child == 0)
    {
      g_autofree char *uri = g_strconcat ("sqlite://", fx->path, NULL);
      ScStore *other = sc_store_open (uri, NULL);
      char results[RACE_ROUNDS];

      if (other == NULL)
        _exit (2);
      for (guint i = 0; i < RACE_ROUNDS; i++)
        {
          if (write (to_parent[1], "r", 1) != 1 || read (to_child[0], &c, 1) != 1)
            _exit (2);
          results[i] = race_once (other, i);
        }
      if (write (to_parent[1], results, sizeof results) != sizeof results)
        _exit (2);
      /* Stays alive, its store open, until the parent has looked. */
      if (read (to_child[0], &c, 1) != 1)
        _exit (2);
      g_object_unref (other);
      _exit (0);
    }

  store = open_store (fx->path);
  for (guint i = 0; i < RACE_ROUNDS; i++)
    {
      g_assert_cmpint (read (to_parent[0], &c, 1), ==, 1);
      g_assert_cmpint (write (to_child[1], "g", 1), ==, 1);
      mine[i] = race_once (store, i);
    }
  while (got < sizeof theirs)
    {
      gssize n = read (to_parent[0], theirs + got, sizeof theirs - got);

      g_assert_cmpint (n, >, 0);
      got += n;
    }
  g_assert_cmpint (write (to_child[1], "x", 1), ==, 1);
  g_assert_cmpint (waitpid (child, &status, 0), ==, child);
  g_assert_true (WIFEXITED (status));

  for (guint i = 0; i < RACE_ROUNDS; i++)
    {
      g_assert_true ((mine[i] == 's' && theirs[i] == 'b') || (mine[i] == 'b' && theirs[i] == 's'));
      won += mine[i] == 's';
    }
  g_test_message ("this process began %u of %u runs", won, RACE_ROUNDS);
  g_assert_cmpint (raw_int (fx->path, "SELECT count(*) FROM units"), ==, RACE_ROUNDS);
  verify_ok (store, RACE_ROUNDS);
  close_store (store);

  close (to_child[0]);
  close (to_child[1]);
  close (to_parent[0]);
  close (to_parent[1]);
}

/* The station secret */

static void
test_secret_create_load (Fixture       *fx,
                         gconstpointer  data)
{
  g_autofree char *folder = g_build_filename (fx->dir, "data", "secrets", NULL);
  g_autofree char *path = g_build_filename (folder, "station.key", NULL);
  g_autoptr(ScStationSecret) first = NULL;
  g_autoptr(ScStationSecret) second = NULL;
  g_autoptr(ScSecret) pin = sc_secret_new_from_string (TEST_PIN);
  g_autoptr(ScSecret) other_pin = sc_secret_new_from_string ("ZZZZ9999");
  g_autoptr(ScSecret) opened = NULL;
  g_autoptr(GBytes) sealed = NULL;
  g_autoptr(GBytes) sealed_again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *mac1 = NULL;
  g_autofree char *mac2 = NULL;
  g_autofree char *mac_product = NULL;
  g_autofree char *mac_pin = NULL;
  g_autofree char *contents = NULL;
  gsize len;
  GStatBuf st;

  first = sc_station_secret_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (st.st_uid, ==, geteuid ());
  g_assert_cmpint (st.st_size, ==, 32);
  g_assert_cmpint (g_stat (folder, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  sealed = sc_station_secret_seal_pin (first, "SN-1", pin, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (sealed), ==, 12 + 16 + strlen (TEST_PIN));
  g_assert_false (contains (g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed), TEST_PIN));
  /* A fresh IV each time. */
  sealed_again = sc_station_secret_seal_pin (first, "SN-1", pin, &error);
  g_assert_false (g_bytes_equal (sealed, sealed_again));
  mac1 = sc_station_secret_pin_mac (first, PRODUCT, pin);
  g_clear_object (&first);

  g_assert_true (g_file_get_contents (path, &contents, &len, &error));
  g_assert_cmpuint (len, ==, 32);

  /* Loaded again: the same secret, so the same results. */
  second = sc_station_secret_load (path, &error);
  g_assert_no_error (error);
  opened = sc_station_secret_open_pin (second, "SN-1", sealed, &error);
  g_assert_no_error (error);
  g_assert_true (sc_secret_equal (opened, pin));
  g_clear_pointer (&opened, sc_secret_unref);
  opened = sc_station_secret_open_pin (second, "SN-1", sealed_again, &error);
  g_assert_no_error (error);
  g_assert_true (sc_secret_equal (opened, pin));

  mac2 = sc_station_secret_pin_mac (second, PRODUCT, pin);
  g_assert_cmpstr (mac1, ==, mac2);
  g_assert_cmpuint (strlen (mac1), ==, 64);
  mac_product = sc_station_secret_pin_mac (second, PRODUCT2, pin);
  g_assert_cmpstr (mac_product, !=, mac1);
  mac_pin = sc_station_secret_pin_mac (second, PRODUCT, other_pin);
  g_assert_cmpstr (mac_pin, !=, mac1);
}

static void
test_secret_refuses (Fixture       *fx,
                     gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fx->dir, "station.key", NULL);
  g_autofree char *other_path = g_build_filename (fx->dir, "other.key", NULL);
  g_autoptr(ScStationSecret) secret = NULL;
  g_autoptr(ScStationSecret) other = NULL;
  g_autoptr(ScSecret) pin = sc_secret_new_from_string (TEST_PIN);
  g_autoptr(ScSecret) opened = NULL;
  g_autoptr(GBytes) sealed = NULL;
  g_autoptr(GBytes) tampered = NULL;
  g_autoptr(GError) error = NULL;
  guint8 *copy;
  gsize len;

  secret = sc_station_secret_load (path, &error);
  g_assert_no_error (error);
  sealed = sc_station_secret_seal_pin (secret, "SN-1", pin, &error);
  g_assert_no_error (error);

  /* Moved to another unit's record. */
  opened = sc_station_secret_open_pin (secret, "SN-2", sealed, &error);
  g_assert_null (opened);
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "does not open"));
  g_clear_error (&error);

  /* One bit changed. */
  len = g_bytes_get_size (sealed);
  copy = g_memdup2 (g_bytes_get_data (sealed, NULL), len);
  copy[len - 1] ^= 1;
  tampered = g_bytes_new_take (copy, len);
  opened = sc_station_secret_open_pin (secret, "SN-1", tampered, &error);
  g_assert_null (opened);
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_FAILED);
  g_clear_error (&error);

  /* Another station's secret. */
  other = sc_station_secret_load (other_path, &error);
  g_assert_no_error (error);
  opened = sc_station_secret_open_pin (other, "SN-1", sealed, &error);
  g_assert_null (opened);
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_FAILED);
  g_clear_error (&error);
  g_clear_object (&other);

  /* Readable by others: refused, and left as it is. */
  g_clear_object (&secret);
  g_assert_cmpint (g_chmod (path, 0644), ==, 0);
  secret = sc_station_secret_load (path, &error);
  g_assert_null (secret);
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_OPEN);
  g_assert_nonnull (strstr (error->message, "chmod 600"));
  g_clear_error (&error);

  /* The wrong size is a damaged file, not a reason to make a new one. */
  g_assert_cmpint (g_unlink (other_path), ==, 0);
  g_assert_true (g_file_set_contents (other_path, "short", -1, NULL));
  g_assert_cmpint (g_chmod (other_path, 0600), ==, 0);
  other = sc_station_secret_load (other_path, &error);
  g_assert_null (other);
  g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_OPEN);
  g_assert_nonnull (strstr (error->message, "damaged"));
}

/* A second store on the same file in this process, opened and dropped,
 * while another process reads the database: the first store's locks and
 * write-ahead log must survive (close() drops a process's POSIX locks). */
static void
test_second_store_keeps_locks (void)
{
  g_autofree char *dir = sc_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "station.db", NULL);
  g_autofree char *uri = g_strconcat ("sqlite://", path, NULL);
  g_autoptr(GError) error = NULL;
  ScStore *a = sc_store_open (uri, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *serial = g_strdup_printf ("TWOSTORES%06u", i);
      g_autoptr(ScUnitRecord) unit = sc_store_begin_unit (a, "P", "ebK3", serial, "host", "op", NULL, &error);
      const char *argv[] = { "sqlite3", path, "select count(*) from units", NULL };
      int status = -1;
      ScStore *b;

      g_assert_no_error (error);
      b = sc_store_open (uri, &error);
      g_assert_no_error (error);
      g_object_unref (b);
      g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                                   NULL, NULL, NULL, NULL, &status, &error));
      g_assert_no_error (error);
      g_assert_true (sc_store_set_state (a, unit->id, SC_UNIT_FAILED, "test", &error));
      g_assert_no_error (error);
    }
  g_object_unref (a);
  sc_test_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *data_home = sc_test_tmpdir ();
  int rc;

  /* Before anything asks GLib for it: the default store lands here. */
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/sc/store/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("open-reopen", test_open_reopen);
  g_test_add_func ("/sc/store/open-default-and-addresses", test_open_default_and_addresses);
  ADD ("newer-schema-refused", test_newer_schema_refused);
  ADD ("begin-new", test_begin_new);
  ADD ("resume-dead-owner", test_resume_dead_owner);
  ADD ("busy-live-owner", test_busy_live_owner);
  ADD ("busy-other-process", test_busy_other_process);
  ADD ("completed-override", test_completed_override);
  ADD ("failed-begins-again", test_failed_begins_again);
  ADD ("duplicates", test_duplicates);
  ADD ("issue", test_issue);
  ADD ("lists", test_lists);
  ADD ("reconcile", test_reconcile);
  ADD ("print/first-once", test_first_print_once);
  ADD ("print/first-race", test_first_print_race);
  ADD ("print/end-job", test_end_print_job);
  ADD ("database-busy", test_database_busy);
  ADD ("audit-chain", test_audit_chain);
  ADD ("pin-not-in-clear", test_pin_not_in_clear);
  ADD ("race", test_race);
  ADD ("race-processes", test_race_processes);
  ADD ("secret-create-load", test_secret_create_load);
  ADD ("secret-refuses", test_secret_refuses);
#undef ADD
  g_test_add_func ("/sc/store/second-store-keeps-locks", test_second_store_keeps_locks);

  rc = g_test_run ();
  sc_test_rmdir (data_home);
  return rc;
}
