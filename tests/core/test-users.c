/* test-users.c: users, roles, passcode hashing, badges and sign-in
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "sc-test-util.h"
#include "sc-users-private.h"

#define ADMIN_PASSCODE "admin-passcode-1"
#define TEST_PASSCODE  "Zebra-Passcode-4711"
#define TEST_BADGE     "BADGE-0042-XYZ"
#define OTHER_BADGE    "BADGE-9999-QQQ"

/* Cheap hashes for everything but the tests of the default cost. */
static const ScScryptParams fast_params = { 10, 8, 1 };

typedef struct
{
  char            *dir;
  char            *db_path;
  ScStore         *store;
  ScStationSecret *secret;
  ScUsers         *users;
  gint64           clock;   /* the frozen clock sign-in waits are measured with */
} Fixture;

static gint64
frozen_clock (gpointer data)
{
  return *(gint64 *) data;
}

static void
fixture_set_up (Fixture       *fx,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *secret_path = NULL;

  _sc_scrypt_params_set_default (&fast_params);
  fx->dir = sc_test_tmpdir ();
  fx->db_path = g_build_filename (fx->dir, "station.db", NULL);
  uri = g_strconcat ("sqlite://", fx->db_path, NULL);
  fx->store = sc_store_open (uri, &error);
  g_assert_no_error (error);
  secret_path = g_build_filename (fx->dir, "station.key", NULL);
  fx->secret = sc_station_secret_load (secret_path, &error);
  g_assert_no_error (error);
  fx->users = sc_users_new (fx->store, fx->secret);
  fx->clock = G_GINT64_CONSTANT (1700000000) * G_USEC_PER_SEC;
  _sc_users_set_clock (fx->users, frozen_clock, &fx->clock);
}

static void
fixture_tear_down (Fixture       *fx,
                   gconstpointer  data)
{
  g_assert_finalize_object (fx->users);
  g_assert_finalize_object (fx->store);
  g_assert_finalize_object (fx->secret);
  sc_test_rmdir (fx->dir);
  g_free (fx->db_path);
  g_free (fx->dir);
  _sc_scrypt_params_set_default (NULL);
}

static ScSecret *
secret (const char *text)
{
  return sc_secret_new_from_string (text);
}

/* Adds the station's first user, an admin, and signs it in. */
static ScUserRecord *
add_admin (Fixture *fx)
{
  g_autoptr(ScSecret) passcode = secret (ADMIN_PASSCODE);
  g_autoptr(GError) error = NULL;
  ScUserRecord *admin;

  g_assert_true (sc_users_add (fx->users, NULL, "ada", SC_ROLE_ADMIN, passcode, &error));
  g_assert_no_error (error);
  admin = sc_users_sign_in (fx->users, "ada", passcode, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (admin);
  return admin;
}

static void
add_user (Fixture            *fx,
          const ScUserRecord *admin,
          const char         *name,
          guint               roles,
          const char         *passcode_text)
{
  g_autoptr(ScSecret) passcode = secret (passcode_text);
  g_autoptr(GError) error = NULL;

  g_assert_true (sc_users_add (fx->users, admin, name, roles, passcode, &error));
  g_assert_no_error (error);
}

/* The audit log, as another program reads it: "actor|action|details" lines. */
static char *
audit_text (Fixture *fx)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  GString *text = g_string_new (NULL);

  g_assert_cmpint (sqlite3_open_v2 (fx->db_path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT actor, action, details FROM audit ORDER BY id", -1, &stmt, NULL),
                   ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (text, "%s|%s|%s\n", sqlite3_column_text (stmt, 0), sqlite3_column_text (stmt, 1),
                            sqlite3_column_text (stmt, 2) ? (const char *) sqlite3_column_text (stmt, 2) : "");
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return g_string_free (text, FALSE);
}

static guint
count_lines_with (const char *text,
                  const char *needle)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], needle) != NULL)
      n++;
  return n;
}

static void
assert_audit_verifies (Fixture *fx)
{
  g_autoptr(GError) error = NULL;
  guint64 n = 0;

  g_assert_true (sc_store_audit_verify (fx->store, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, >, 0);
}

/* --------------------------------------------------------------- hashing */

static void
test_hash_round_trip (void)
{
  g_autoptr(ScSecret) passcode = secret (TEST_PASSCODE);
  g_autoptr(GError) error = NULL;
  g_autofree char *a = NULL, *b = NULL;
  gboolean needs_rehash = TRUE;

  /* The built-in default cost, as a station uses it. */
  _sc_scrypt_params_set_default (NULL);
  a = sc_passcode_hash (passcode, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (a, "$scrypt$ln=15,r=8,p=1$"));
  g_assert_null (strstr (a, TEST_PASSCODE));
  g_assert_true (sc_passcode_verify (a, passcode, &needs_rehash, &error));
  g_assert_no_error (error);
  g_assert_false (needs_rehash);

  /* A salt of its own each time. */
  b = sc_passcode_hash (passcode, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (a, !=, b);
  g_assert_true (sc_passcode_verify (b, passcode, NULL, &error));
  g_assert_no_error (error);
}

/* The hash is scrypt as OpenSSL's own command line computes it: same
 * salt, same parameters, same bytes. */
static void
test_hash_matches_openssl_cli (void)
{
  g_autoptr(ScSecret) passcode = secret (TEST_PASSCODE);
  g_autoptr(GError) error = NULL;
  const ScScryptParams params = { 12, 8, 2 };
  g_autofree char *hash = sc_passcode_hash (passcode, &params, &error);
  g_auto(GStrv) parts = NULL;
  g_autofree guint8 *salt = NULL, *stored = NULL;
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *salt_opt = NULL;
  GString *salt_hex = g_string_new (NULL);
  GString *ours = g_string_new (NULL);
  gsize salt_len, stored_len;
  int status;

  g_assert_no_error (error);
  parts = g_strsplit (hash, "$", -1);
  g_assert_cmpuint (g_strv_length (parts), ==, 5);
  g_assert_cmpstr (parts[2], ==, "ln=12,r=8,p=2");
  salt = g_base64_decode (parts[3], &salt_len);
  stored = g_base64_decode (parts[4], &stored_len);
  g_assert_cmpuint (salt_len, ==, 16);
  g_assert_cmpuint (stored_len, ==, 32);
  for (gsize i = 0; i < salt_len; i++)
    g_string_append_printf (salt_hex, "%02x", salt[i]);
  for (gsize i = 0; i < stored_len; i++)
    g_string_append_printf (ours, "%s%02X", i ? ":" : "", stored[i]);
  salt_opt = g_strconcat ("hexsalt:", salt_hex->str, NULL);

  {
    const char *argv[] = { "openssl", "kdf", "-keylen", "32", "-kdfopt", "pass:" TEST_PASSCODE,
                           "-kdfopt", salt_opt, "-kdfopt", "n:4096", "-kdfopt", "r:8", "-kdfopt", "p:2",
                           "SCRYPT", NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status,
                                 &error));
  }
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_strstrip (out);
  g_assert_cmpstr (out, ==, ours->str);
  g_string_free (salt_hex, TRUE);
  g_string_free (ours, TRUE);
}

static void
test_hash_wrong_passcode (void)
{
  g_autoptr(ScSecret) passcode = secret (TEST_PASSCODE);
  g_autoptr(ScSecret) wrong = secret ("Zebra-Passcode-4712");
  g_autoptr(ScSecret) prefix = secret ("Zebra-Passcode-471");
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;

  _sc_scrypt_params_set_default (&fast_params);
  hash = sc_passcode_hash (passcode, NULL, &error);
  g_assert_no_error (error);

  g_assert_false (sc_passcode_verify (hash, wrong, NULL, &error));
  g_assert_error (error, SC_USERS_ERROR, SC_USERS_ERROR_WRONG_PASSCODE);
  g_clear_error (&error);
  g_assert_false (sc_passcode_verify (hash, prefix, NULL, &error));
  g_assert_error (error, SC_USERS_ERROR, SC_USERS_ERROR_WRONG_PASSCODE);
  _sc_scrypt_params_set_default (NULL);
}

/* Each kind of unreadable hash, refused before scrypt runs with it. */
static void
test_hash_unreadable (gconstpointer data)
{
  g_autoptr(ScSecret) passcode = secret (TEST_PASSCODE);
  g_autoptr(GError) error = NULL;

  g_assert_false (sc_passcode_verify (data, passcode, NULL, &error));
  g_assert_error (error, SC_USERS_ERROR, SC_USERS_ERROR_HASH);
  g_assert_nonnull (strstr (error->message, "new passcode"));
}

static void
test_hash_needs_rehash (void)
{
  g_autoptr(ScSecret) passcode = secret (TEST_PASSCODE);
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;
  gboolean needs_rehash = FALSE;

  hash = sc_passcode_hash (passcode, &fast_params, &error);
  g_assert_no_error (error);
  /* Below the built-in default (2^15): to be made again. */
  g_assert_true (sc_passcode_verify (hash, passcode, &needs_rehash, &error));
  g_assert_true (needs_rehash);
}

static void
test_retry_delay (void)
{
  g_assert_cmpint (sc_users_retry_delay (0), ==, 0);
  g_assert_cmpint (sc_users_retry_delay (1), ==, 1 * G_USEC_PER_SEC);
  g_assert_cmpint (sc_users_retry_delay (2), ==, 2 * G_USEC_PER_SEC);
  g_assert_cmpint (sc_users_retry_delay (3), ==, 4 * G_USEC_PER_SEC);
  g_assert_cmpint (sc_users_retry_delay (6), ==, 32 * G_USEC_PER_SEC);
  g_assert_cmpint (sc_users_retry_delay (7), ==, 60 * G_USEC_PER_SEC);
  g_assert_cmpint (sc_users_retry_delay (1000), ==, 60 * G_USEC_PER_SEC);
}

/* ----------------------------------------------------------------- rules */

typedef struct
{
  const char *path;
  const char *value;
  int         code;
} BadInput;

static void
test_bad_name (gconstpointer data)
{
  const BadInput *bad = data;
  g_autoptr(GError) error = NULL;

  g_assert_false (sc_user_name_check (bad->value, &error));
  g_assert_error (error, SC_USERS_ERROR, bad->code);
}

static void
test_bad_passcode (gconstpointer data)
{
  const BadInput *bad = data;
  g_autoptr(ScSecret) passcode = secret (bad->value);
  g_autoptr(GError) error = NULL;

  g_assert_false (sc_passcode_check (passcode, &error));
  g_assert_error (error, SC_USERS_ERROR, bad->code);
}

static void
test_bad_badge (gconstpointer data)
{
  const BadInput *bad = data;
  g_autoptr(ScSecret) badge = secret (bad->value);
  g_autoptr(GError) error = NULL;

  g_assert_false (sc_badge_check (badge, &error));
  g_assert_error (error, SC_USERS_ERROR, bad->code);
}

static void
test_bad_roles (gconstpointer data)
{
  const BadInput *bad = data;
  g_autoptr(GError) error = NULL;
  guint roles = 0;

  g_assert_false (sc_roles_from_string (bad->value, &roles, &error));
  g_assert_error (error, SC_USERS_ERROR, bad->code);
  g_assert_cmpuint (roles, ==, 0);
}

static void
test_good_input (void)
{
  g_autoptr(ScSecret) passcode = secret ("123456");
  g_autoptr(ScSecret) badge = secret ("E123");
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  guint roles = 0;

  g_assert_true (sc_user_name_check ("Nguyễn Thị Lan", &error));
  g_assert_true (sc_user_name_check ("x", &error));
  g_assert_true (sc_passcode_check (passcode, &error));
  g_assert_true (sc_badge_check (badge, &error));
  g_assert_true (sc_roles_from_string (" QA , operator,,admin", &roles, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (roles, ==, SC_ROLE_QA | SC_ROLE_OPERATOR | SC_ROLE_ADMIN);
  text = sc_roles_to_string (roles);
  g_assert_cmpstr (text, ==, "operator,qa,admin");
}

/* ----------------------------------------------------------------- roles */

static void
test_rights (void)
{
  ScUserRecord operator = { .name = (char *) "olga", .roles = SC_ROLE_OPERATOR };
  ScUserRecord qa = { .name = (char *) "quinn", .roles = SC_ROLE_QA };
  ScUserRecord trainer = { .name = (char *) "tom", .roles = SC_ROLE_TRAINER };
  ScUserRecord admin = { .name = (char *) "ada", .roles = SC_ROLE_ADMIN };
  ScUserRecord disabled = { .name = (char *) "dora", .roles = SC_ROLES_ALL, .disabled = TRUE };
  const struct
  {
    ScUserRecord *user;
    ScRight       right;
    int           code;   /* -1: allowed */
  } cases[] = {
    { &operator, SC_RIGHT_PROVISION, -1 },
    { &operator, SC_RIGHT_REPRINT, SC_USERS_ERROR_NOT_ALLOWED },
    { &operator, SC_RIGHT_OVERRIDE, SC_USERS_ERROR_NOT_ALLOWED },
    { &operator, SC_RIGHT_SETTINGS, SC_USERS_ERROR_NOT_ALLOWED },
    { &operator, SC_RIGHT_MANAGE_USERS, SC_USERS_ERROR_NOT_ALLOWED },
    { &qa, SC_RIGHT_PROVISION, SC_USERS_ERROR_NOT_ALLOWED },
    { &qa, SC_RIGHT_REPRINT, -1 },
    { &qa, SC_RIGHT_OVERRIDE, -1 },
    { &qa, SC_RIGHT_SETTINGS, SC_USERS_ERROR_NOT_ALLOWED },
    { &trainer, SC_RIGHT_PROVISION, SC_USERS_ERROR_NOT_ALLOWED },
    { &trainer, SC_RIGHT_REPRINT, SC_USERS_ERROR_NOT_ALLOWED },
    { &admin, SC_RIGHT_SETTINGS, -1 },
    { &admin, SC_RIGHT_MANAGE_USERS, -1 },
    { &admin, SC_RIGHT_PROVISION, SC_USERS_ERROR_NOT_ALLOWED },
    { &disabled, SC_RIGHT_PROVISION, SC_USERS_ERROR_DISABLED },
    { NULL, SC_RIGHT_PROVISION, SC_USERS_ERROR_SIGN_IN_NEEDED },
    { NULL, SC_RIGHT_REPRINT, SC_USERS_ERROR_SIGN_IN_NEEDED },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gboolean ok = sc_user_check_right (cases[i].user, cases[i].right, &error);

      if (cases[i].code < 0)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
        }
      else
        {
          g_assert_false (ok);
          g_assert_error (error, SC_USERS_ERROR, cases[i].code);
          /* The sentence names who was refused. */
          if (cases[i].user != NULL)
            g_assert_nonnull (strstr (error->message, cases[i].user->name));
        }
    }
}

/* ----------------------------------------------------------------- store */

static void
test_first_must_be_admin (Fixture       *fx,
                          gconstpointer  data)
{
  g_autoptr(ScSecret) passcode = secret (TEST_PASSCODE);
  g_autoptr(GError) error = NULL;
  g_autoptr(ScUserRecord) admin = NULL;
  g_autofree char *audit = NULL;
  guint n = 99;

  g_assert_true (sc_users_count (fx->users, &n, &error));
  g_assert_cmpuint (n, ==, 0);

  g_assert_false (sc_users_add (fx->users, NULL, "olga", SC_ROLE_OPERATOR | SC_ROLE_QA, passcode, &error));
  g_assert_error (error, SC_USERS_ERROR, SC_USERS_ERROR_FIRST_ADMIN);
  g_clear_error (&error);
  g_assert_true (sc_users_count (fx->users, &n, &error));
  g_assert_cmpuint (n, ==, 0);

  admin = add_admin (fx);
  g_assert_cmpstr (admin->name, ==, "ada");
  g_assert_true (sc_users_count (fx->users, &n, &error));
  g_assert_cmpuint (n, ==, 1);

  /* Once there is an admin, nobody else adds users. */
  g_assert_false (sc_users_add (fx->users, NULL, "olga", SC_ROLE_OPERATOR, passcode, &error));
  g_assert_error (error, SC_USERS_ERROR, SC_USERS_ERROR_SIGN_IN_NEEDED);
  g_clear_error (&error);

  audit = audit_text (fx);
  g_assert_cmpuint (count_lines_with (audit, "|user-added|ada: roles admin; the station's first user"), ==, 1);
  g_assert_cmpuint (count_lines_with (audit, "ada|sign-in|by passcode"), ==, 1);
  assert_audit_verifies (fx);
}

static void
test_sign_in (Fixture       *fx,
              gconstpointer  data)
{
  g_autoptr(ScUserRecord) admin = add_admin (fx);
  g_autoptr(ScSecret) passcode = secret (TEST_PASSCODE);
  g_autoptr(ScUserRecord) user = NULL;
  g_autoptr(ScUserRecord) stored = NULL;
  g_autoptr(GError) error = NULL;

  add_user (fx, admin, "Olga", SC_ROLE_OPERATOR | SC_ROLE_QA, TEST_PASSCODE);

  /* Names are found whatever their case; the record keeps its own. */
  user = sc_users_sign_in (fx->users, "olga", passcode, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user->name, ==, "Olga");
  g_assert_cmpuint (user->roles, ==, SC_ROLE_OPERATOR | SC_ROLE_QA);
  g_assert_false (user->disabled);
  /* What leaves ScUsers carries no hash. */
  g_assert_null (user->passcode_hash);

  stored = sc_store_find_user (fx->store, "Olga", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (stored->failures, ==, 0);
  g_assert_cmpint (stored->retry_after, ==, 0);
  g_assert_true (g_str_has_prefix (stored->passcode_hash, "$scrypt$"));
  g_clear_pointer (&user, sc_user_record_free);

  user = sc_users_sign_in (fx->users, "nobody", passcode, NULL, &error);
  g_assert_null (user);
  g_assert_error (error, SC_USERS_ERROR, SC_USERS_ERROR_UNKNOWN);
  g_clear_error (&error);

  {
    g_autofree char *audit = audit_text (fx);

    g_assert_cmpuint (count_lines_with (audit, "Olga|sign-in|by passcode"), ==, 1);
    g_assert_cmpuint (count_lines_with (audit, "|sign-in-failed|no such user"), ==, 1);
    /* The unknown name typed is not recorded. */
    g_assert_cmpuint (count_lines_with (audit, "nobody"), ==, 0);
  }
  assert_audit_verifies (fx);
}

static void
test_wrong_passcode_waits (Fixture       *fx,
                           gconstpointer  data)
{
  g_autoptr(ScUserRecord) admin = add_admin (fx);
  g_autoptr(ScSecret) right = secret (TEST_PASSCODE);
  g_autoptr(ScSecret) wrong = secret ("not-the-passcode");
  g_autoptr(GError) error = NULL;
  const gint64 expected_wait[] = { 1, 2, 4, 8 };

  add_user (fx, admin, "olga", SC_ROLE_OPERATOR, TEST_PASSCODE);

  for (guint i = 0; i < G_N_ELEMENTS (expected_wait); i++)
    {
      g_autoptr(ScUserRecord) user = NULL;
      g_autoptr(ScUserRecord) stored = NULL;

      user = sc_users_sign_in (fx->users, "olga", wrong, NULL, &error);
      g_assert_null (user);
      g_assert_error (error, SC_USERS_ERROR, SC_USERS_ERROR_WRONG_PASSCODE);
      g_clear_error (&error);

      /* The wait grows with each failure in a row. */
      stored = sc_store_find_user (fx->store, "olga", &error);
      g_assert_no_error (error);
      g_assert_cmpuint (stored->failures, ==, i + 1);
      g_assert_cmpint (stored->retry_after - fx->clock, ==, expected_wait[i] * G_USEC_PER_SEC);

      /* Until it is over, not even the right passcode is checked. */
      fx->clock += expected_wait[i] * G_USEC_PER_SEC - 1;
      user = sc_users_sign_in (fx->users, "olga", right, NULL, &error);
      g_assert_null (user);
      g_assert_error (error, SC_USERS_ERROR, SC_USERS_ERROR_THROTTLED);
      g_assert_nonnull (strstr (error->message, "wait 1 more second,"));
      g_clear_error (&error);
      fx->clock += 1;
    }

  /* No lockout: after the wait, the right passcode signs in and the count
   * starts again. */
  {
    g_autoptr(ScUserRecord) user = sc_users_sign_in (fx->users, "olga", right, NULL, &error);
    g_autoptr(ScUserRecord) stored = NULL;

    g_assert_no_error (error);
    g_assert_cmpstr (user->name, ==, "olga");
    stored = sc_store_find_user (fx->store, "olga", &error);
    g_assert_cmpuint (stored->failures, ==, 0);
    g_assert_cmpint (stored->retry_after, ==, 0);
  }

  {
    g_autofree char *audit = audit_text (fx);

    g_assert_cmpuint (count_lines_with (audit, "olga|sign-in-failed|wrong passcode"), ==, 4);
    g_assert_cmpuint (count_lines_with (audit, "olga|sign-in-failed|wrong passcode, 4 in a row; the next is "
                                               "checked after 8 s"), ==, 1);
    /* A refusal to check is no attempt, and is not recorded. */
    g_assert_cmpuint (count_lines_with (audit, "olga|sign-in|"), ==, 1);
    g_assert_null (strstr (audit, "not-the-passcode"));
  }
  assert_audit_verifies (fx);
}

/* Another station's wait counts here too: the wait lives in the records. */
static void
test_wait_shared_between_stores (Fixture       *fx,
                                 gconstpointer  data)
{
  g_autoptr(ScUserRecord) admin = add_admin (fx);
  g_autoptr(ScSecret) right = secret (TEST_PASSCODE);
  g_autoptr(ScSecret) wrong = secret ("not-the-passcode");
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = g_strconcat ("sqlite://", fx->db_path, NULL);
  g_autoptr(ScStore) store2 = NULL;
  g_autoptr(ScUsers) users2 = NULL;
  g_autoptr(ScUserRecord) user = NULL;

  add_user (fx, admin, "olga", SC_ROLE_OPERATOR, TEST_PASSCODE);
  store2 = sc_store_open (uri, &error);
  g_assert_no_error (error);
  users2 = sc_users_new (store2, fx->secret);
  _sc_users_set_clock (users2, frozen_clock, &fx->clock);

  user = sc_users_sign_in (fx->users, "olga", wrong, NULL, &error);
  g_assert_error (error, SC_USERS_ERROR, SC_USERS_ERROR_WRONG_PASSCODE);
  g_clear_error (&error);
  user = sc_users_sign_in (users2, "olga", right, NULL, &error);
  g_assert_null (user);
  g_assert_error (error, SC_USERS_ERROR, SC_USERS_ERROR_THROTTLED);
}

static void
test_badge (Fixture       *fx,
            gconstpointer  data)
{
  g_autoptr(ScUserRecord) admin = add_admin (fx);
  g_autoptr(ScSecret) badge = secret (TEST_BADGE);
  g_autoptr(ScSecret) other = secret (OTHER_BADGE);
  g_autoptr(ScSecret) short_badge = secret ("E1");
  g_autoptr(ScUserRecord) user = NULL;
  g_autoptr(ScUserRecord) stored = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *mac = NULL;

  add_user (fx, admin, "olga", SC_ROLE_OPERATOR, TEST_PASSCODE);
  add_user (fx, admin, "quinn", SC_ROLE_QA, TEST_PASSCODE);
  g_assert_true (sc_users_set_badge (fx->users, admin, "olga", badge, &error));
  g_assert_no_error (error);

  /* Stored as its MAC under the station secret, found by it. */
  stored = sc_store_find_user (fx->store, "olga", &error);
  mac = sc_station_secret_badge_mac (fx->secret, badge);
  g_assert_cmpstr (stored->badge_mac, ==, mac);
  g_assert_cmpuint (strlen (mac), ==, 64);

  user = sc_users_sign_in_badge (fx->users, badge, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user->name, ==, "olga");
  g_assert_null (user->passcode_hash);
  g_clear_pointer (&user, sc_user_record_free);

  /* One badge, one user. */
  g_assert_false (sc_users_set_badge (fx->users, admin, "quinn", badge, &error));
  g_assert_error (error, SC_USERS_ERROR, SC_USERS_ERROR_EXISTS);
  g_assert_nonnull (strstr (error->message, "olga"));
  g_clear_error (&error);

  /* A malformed code is refused before anything is looked up. */
  g_assert_null (sc_users_sign_in_badge (fx->users, short_badge, NULL, &error));
  g_assert_error (error, SC_USERS_ERROR, SC_USERS_ERROR_BAD_BADGE);
  g_clear_error (&error);

  /* A badge of nobody's: refused, recorded, and the next badge waits. */
  g_assert_null (sc_users_sign_in_badge (fx->users, other, NULL, &error));
  g_assert_error (error, SC_USERS_ERROR, SC_USERS_ERROR_UNKNOWN);
  g_clear_error (&error);
  g_assert_null (sc_users_sign_in_badge (fx->users, badge, NULL, &error));
  g_assert_error (error, SC_USERS_ERROR, SC_USERS_ERROR_THROTTLED);
  g_clear_error (&error);
  fx->clock += G_USEC_PER_SEC;
  user = sc_users_sign_in_badge (fx->users, badge, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user->name, ==, "olga");
  g_clear_pointer (&user, sc_user_record_free);

  /* Removed, the badge signs nobody in. */
  g_assert_true (sc_users_set_badge (fx->users, admin, "olga", NULL, &error));
  g_assert_no_error (error);
  g_assert_null (sc_users_sign_in_badge (fx->users, badge, NULL, &error));
  g_assert_error (error, SC_USERS_ERROR, SC_USERS_ERROR_UNKNOWN);
  g_clear_error (&error);

  {
    g_autofree char *audit = audit_text (fx);

    g_assert_cmpuint (count_lines_with (audit, "ada|user-badge|olga: badge set"), ==, 1);
    g_assert_cmpuint (count_lines_with (audit, "ada|user-badge|olga: badge removed"), ==, 1);
    g_assert_cmpuint (count_lines_with (audit, "olga|sign-in|by badge"), ==, 2);
    g_assert_cmpuint (count_lines_with (audit, "|sign-in-failed|a badge that belongs to nobody"), ==, 2);
  }
  assert_audit_verifies (fx);
}

static gboolean
file_contains (const char *path,
               const char *needle)
{
  g_autofree char *bytes = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &bytes, &len, NULL))
    return FALSE;
  return memmem (bytes, len, needle, strlen (needle)) != NULL;
}

/* Neither the passcode nor the badge code is anywhere in the database's
 * files, in the WAL while it is open, nor in the main file after. */
static void
test_secrets_not_in_database (Fixture       *fx,
                              gconstpointer  data)
{
  g_autoptr(ScUserRecord) admin = add_admin (fx);
  g_autoptr(ScSecret) passcode = secret (TEST_PASSCODE);
  g_autoptr(ScSecret) badge = secret (TEST_BADGE);
  g_autoptr(ScUserRecord) user = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *wal = g_strconcat (fx->db_path, "-wal", NULL);
  g_autofree char *mac = NULL;
  const char *suffixes[] = { "", "-wal", "-shm", "-audit-head" };

  add_user (fx, admin, "olga", SC_ROLE_OPERATOR, TEST_PASSCODE);
  g_assert_true (sc_users_set_badge (fx->users, admin, "olga", badge, &error));
  g_assert_true (sc_users_set_passcode (fx->users, admin, "olga", passcode, &error));
  user = sc_users_sign_in (fx->users, "olga", passcode, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&user, sc_user_record_free);
  user = sc_users_sign_in_badge (fx->users, badge, NULL, &error);
  g_assert_no_error (error);
  mac = sc_station_secret_badge_mac (fx->secret, badge);

  /* While open, the users may be in the WAL only. */
  g_assert_true (file_contains (wal, "olga"));
  g_assert_true (file_contains (wal, "$scrypt$ln=10,r=8,p=1$"));
  g_assert_false (file_contains (wal, TEST_PASSCODE));
  g_assert_false (file_contains (wal, TEST_BADGE));
  g_assert_false (file_contains (wal, ADMIN_PASSCODE));

  g_clear_object (&fx->users);
  g_clear_object (&fx->store);
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *path = g_strconcat (fx->db_path, suffixes[i], NULL);

      g_assert_false (file_contains (path, TEST_PASSCODE));
      g_assert_false (file_contains (path, TEST_BADGE));
      g_assert_false (file_contains (path, ADMIN_PASSCODE));
    }
  /* The test would be empty if the file held no users at all. */
  g_assert_true (file_contains (fx->db_path, "olga"));
  g_assert_true (file_contains (fx->db_path, mac));
  g_assert_true (file_contains (fx->db_path, "$scrypt$ln=10,r=8,p=1$"));

  {
    g_autofree char *uri = g_strconcat ("sqlite://", fx->db_path, NULL);

    fx->store = sc_store_open (uri, &error);
    g_assert_no_error (error);
    fx->users = sc_users_new (fx->store, fx->secret);
  }
}

static void
test_admin_changes (Fixture       *fx,
                    gconstpointer  data)
{
  g_autoptr(ScUserRecord) admin = add_admin (fx);
  g_autoptr(ScUserRecord) olga = NULL;
  g_autoptr(ScUserRecord) user = NULL;
  g_autoptr(ScSecret) passcode = secret (TEST_PASSCODE);
  g_autoptr(ScSecret) new_passcode = secret ("a-new-passcode");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autofree char *audit = NULL;

  add_user (fx, admin, "olga", SC_ROLE_OPERATOR, TEST_PASSCODE);
  olga = sc_users_sign_in (fx->users, "olga", passcode, NULL, &error);
  g_assert_no_error (error);

  /* An operator manages nobody, not even with her record in hand. */
  g_assert_false (sc_users_add (fx->users, olga, "quinn", SC_ROLE_QA, passcode, &error));
  g_assert_error (error, SC_USERS_ERROR, SC_USERS_ERROR_NOT_ALLOWED);
  g_clear_error (&error);
  {
    /* A forged record is checked against the records in the store. */
    ScUserRecord forged = *olga;

    forged.roles = SC_ROLE_ADMIN;
    g_assert_false (sc_users_set_roles (fx->users, &forged, "olga", SC_ROLES_ALL, &error));
    g_assert_error (error, SC_USERS_ERROR, SC_USERS_ERROR_NOT_ALLOWED);
    g_clear_error (&error);
  }

  /* A name is taken whatever its case. */
  g_assert_false (sc_users_add (fx->users, admin, "OLGA", SC_ROLE_QA, passcode, &error));
  g_assert_error (error, SC_USERS_ERROR, SC_USERS_ERROR_EXISTS);
  g_clear_error (&error);

  g_assert_true (sc_users_set_roles (fx->users, admin, "olga", SC_ROLE_OPERATOR | SC_ROLE_QA, &error));
  g_assert_no_error (error);
  g_assert_true (sc_users_set_passcode (fx->users, admin, "olga", new_passcode, &error));
  g_assert_no_error (error);
  g_assert_null (sc_users_sign_in (fx->users, "olga", passcode, NULL, &error));
  g_assert_error (error, SC_USERS_ERROR, SC_USERS_ERROR_WRONG_PASSCODE);
  g_clear_error (&error);
  fx->clock += G_USEC_PER_SEC;
  user = sc_users_sign_in (fx->users, "olga", new_passcode, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (user->roles, ==, SC_ROLE_OPERATOR | SC_ROLE_QA);
  g_clear_pointer (&user, sc_user_record_free);

  g_assert_true (sc_users_set_disabled (fx->users, admin, "olga", TRUE, &error));
  g_assert_no_error (error);
  g_assert_null (sc_users_sign_in (fx->users, "olga", new_passcode, NULL, &error));
  g_assert_error (error, SC_USERS_ERROR, SC_USERS_ERROR_DISABLED);
  g_clear_error (&error);

  /* The last enabled admin stays one. */
  g_assert_false (sc_users_set_disabled (fx->users, admin, "ada", TRUE, &error));
  g_assert_error (error, SC_USERS_ERROR, SC_USERS_ERROR_LAST_ADMIN);
  g_clear_error (&error);
  g_assert_false (sc_users_set_roles (fx->users, admin, "ada", SC_ROLE_QA, &error));
  g_assert_error (error, SC_USERS_ERROR, SC_USERS_ERROR_LAST_ADMIN);
  g_clear_error (&error);
  g_assert_false (sc_users_set_roles (fx->users, admin, "nobody", SC_ROLE_QA, &error));
  g_assert_error (error, SC_USERS_ERROR, SC_USERS_ERROR_UNKNOWN);
  g_clear_error (&error);

  /* With another admin, the first may go. */
  g_assert_true (sc_users_set_disabled (fx->users, admin, "olga", FALSE, &error));
  g_assert_true (sc_users_set_roles (fx->users, admin, "olga", SC_ROLE_ADMIN, &error));
  g_assert_no_error (error);
  g_assert_true (sc_users_set_disabled (fx->users, admin, "ada", TRUE, &error));
  g_assert_no_error (error);
  /* Disabled, ada changes nothing any more. */
  g_assert_false (sc_users_set_disabled (fx->users, admin, "olga", TRUE, &error));
  g_assert_error (error, SC_USERS_ERROR, SC_USERS_ERROR_DISABLED);
  g_clear_error (&error);

  list = sc_users_list (fx->users, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpstr (((ScUserRecord *) list->pdata[0])->name, ==, "ada");
  g_assert_true (((ScUserRecord *) list->pdata[0])->disabled);
  g_assert_null (((ScUserRecord *) list->pdata[1])->passcode_hash);

  audit = audit_text (fx);
  g_assert_cmpuint (count_lines_with (audit, "ada|user-added|olga: roles operator"), ==, 1);
  g_assert_cmpuint (count_lines_with (audit, "ada|user-roles|olga: roles operator,qa (were operator)"), ==, 1);
  g_assert_cmpuint (count_lines_with (audit, "ada|user-passcode|olga: new passcode"), ==, 1);
  g_assert_cmpuint (count_lines_with (audit, "ada|user-disabled|olga"), ==, 1);
  g_assert_cmpuint (count_lines_with (audit, "ada|user-enabled|olga"), ==, 1);
  g_assert_cmpuint (count_lines_with (audit, "ada|user-roles|olga: roles admin (were operator,qa)"), ==, 1);
  g_assert_cmpuint (count_lines_with (audit, "ada|user-disabled|ada"), ==, 1);
  g_assert_cmpuint (count_lines_with (audit, "olga|sign-in-refused|disabled; by passcode"), ==, 1);
  /* Refused changes leave no trace of having happened. */
  g_assert_cmpuint (count_lines_with (audit, "|user-roles|ada"), ==, 0);
  g_assert_cmpuint (count_lines_with (audit, "quinn"), ==, 0);
  assert_audit_verifies (fx);
}

/* Raised parameters reach a stored hash at its next sign-in. */
static void
test_rehash_on_sign_in (Fixture       *fx,
                        gconstpointer  data)
{
  g_autoptr(ScUserRecord) admin = add_admin (fx);
  g_autoptr(ScSecret) passcode = secret (TEST_PASSCODE);
  g_autoptr(ScUserRecord) user = NULL;
  g_autoptr(ScUserRecord) stored = NULL;
  g_autoptr(GError) error = NULL;
  const ScScryptParams raised = { 11, 8, 1 };
  g_autofree char *audit = NULL;

  add_user (fx, admin, "olga", SC_ROLE_OPERATOR, TEST_PASSCODE);
  _sc_scrypt_params_set_default (&raised);
  user = sc_users_sign_in (fx->users, "olga", passcode, NULL, &error);
  g_assert_no_error (error);
  stored = sc_store_find_user (fx->store, "olga", &error);
  g_assert_true (g_str_has_prefix (stored->passcode_hash, "$scrypt$ln=11,r=8,p=1$"));
  g_clear_pointer (&user, sc_user_record_free);
  user = sc_users_sign_in (fx->users, "olga", passcode, NULL, &error);
  g_assert_no_error (error);

  audit = audit_text (fx);
  g_assert_cmpuint (count_lines_with (audit, "olga|sign-in|by passcode; passcode hashed again with scrypt "
                                             "ln=11,r=8,p=1"), ==, 1);
  g_assert_cmpuint (count_lines_with (audit, "olga|sign-in|by passcode"), ==, 2);
}

static void
sign_in_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  ScUserRecord **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = sc_users_sign_in_finish (SC_USERS (object), result, &error);
  g_assert_no_error (error);
}

static void
test_sign_in_async (Fixture       *fx,
                    gconstpointer  data)
{
  g_autoptr(ScUserRecord) admin = add_admin (fx);
  g_autoptr(ScSecret) passcode = secret (TEST_PASSCODE);
  g_autoptr(ScSecret) badge = secret (TEST_BADGE);
  g_autoptr(GError) error = NULL;
  ScUserRecord *by_passcode = NULL;
  ScUserRecord *by_badge = NULL;

  add_user (fx, admin, "olga", SC_ROLE_OPERATOR, TEST_PASSCODE);
  g_assert_true (sc_users_set_badge (fx->users, admin, "olga", badge, &error));
  sc_users_sign_in_async (fx->users, "olga", passcode, NULL, sign_in_done_cb, &by_passcode);
  sc_users_sign_in_async (fx->users, NULL, badge, NULL, sign_in_done_cb, &by_badge);
  while (by_passcode == NULL || by_badge == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (by_passcode->name, ==, "olga");
  g_assert_cmpstr (by_badge->name, ==, "olga");
  sc_user_record_free (by_passcode);
  sc_user_record_free (by_badge);

  /* A worker thread lets go of its task (and the task of ScUsers) just
   * after the result reached this thread. */
  while (g_atomic_int_get (&G_OBJECT (fx->users)->ref_count) > 1)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static const BadInput bad_names[] = {
  { "empty", "", SC_USERS_ERROR_BAD_NAME },
  { "too-long", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", SC_USERS_ERROR_BAD_NAME },
  { "control", "ol\tga", SC_USERS_ERROR_BAD_NAME },
  { "line-break", "ol\nga", SC_USERS_ERROR_BAD_NAME },
  { "leading-space", " olga", SC_USERS_ERROR_BAD_NAME },
  { "trailing-space", "olga ", SC_USERS_ERROR_BAD_NAME },
  { "not-utf8", "ol\xff" "ga", SC_USERS_ERROR_BAD_NAME },
};

static const BadInput bad_passcodes[] = {
  { "too-short", "12345", SC_USERS_ERROR_BAD_PASSCODE },
  { "too-long", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", SC_USERS_ERROR_BAD_PASSCODE },
  { "line-break", "pass\ncode", SC_USERS_ERROR_BAD_PASSCODE },
};

static const BadInput bad_badges[] = {
  { "too-short", "E12", SC_USERS_ERROR_BAD_BADGE },
  { "too-long", "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
                "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", SC_USERS_ERROR_BAD_BADGE },
  { "not-printable", "E12\t34", SC_USERS_ERROR_BAD_BADGE },
  { "not-ascii", "E12\xc3\xa9" "34", SC_USERS_ERROR_BAD_BADGE },
};

static const BadInput bad_roles[] = {
  { "unknown", "operator,boss", SC_USERS_ERROR_BAD_ROLES },
  { "empty", " , ", SC_USERS_ERROR_BAD_ROLES },
};

static const char * const unreadable_hashes[] = {
  "",
  "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g",
  "$scrypt$ln=15,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA==",
  "$scrypt$ln=15,r=8,p=1,x=2$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=",
  "$scrypt$ln=25,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=",
  "$scrypt$ln=20,r=32,p=1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=",
  "$scrypt$ln=15,r=0,p=1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=",
  "$scrypt$ln=15,r=8,p=1$c2Fs$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=",
  "$scrypt$ln=15,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaA==",
};

static const char * const unreadable_names[] = {
  "empty", "other-scheme", "no-hash", "extra-parameter", "n-too-large", "memory-too-large", "r-zero",
  "salt-too-short", "hash-too-short",
};

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sc/users/hash/round-trip", test_hash_round_trip);
  g_test_add_func ("/sc/users/hash/matches-openssl-cli", test_hash_matches_openssl_cli);
  g_test_add_func ("/sc/users/hash/wrong-passcode", test_hash_wrong_passcode);
  g_test_add_func ("/sc/users/hash/needs-rehash", test_hash_needs_rehash);
  G_STATIC_ASSERT (G_N_ELEMENTS (unreadable_hashes) == G_N_ELEMENTS (unreadable_names));
  for (guint i = 0; i < G_N_ELEMENTS (unreadable_hashes); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sc/users/hash/unreadable/%s", unreadable_names[i]);
      g_test_add_data_func (path, unreadable_hashes[i], test_hash_unreadable);
    }
  g_test_add_func ("/sc/users/retry-delay", test_retry_delay);

#define ADD_BAD(kind, table, func) \
  for (guint i = 0; i < G_N_ELEMENTS (table); i++) \
    { \
      g_autofree char *path = g_strdup_printf ("/sc/users/rules/" kind "/%s", table[i].path); \
      g_test_add_data_func (path, &table[i], func); \
    }
  ADD_BAD ("name", bad_names, test_bad_name);
  ADD_BAD ("passcode", bad_passcodes, test_bad_passcode);
  ADD_BAD ("badge", bad_badges, test_bad_badge);
  ADD_BAD ("roles", bad_roles, test_bad_roles);
#undef ADD_BAD
  g_test_add_func ("/sc/users/rules/good-input", test_good_input);
  g_test_add_func ("/sc/users/rights", test_rights);

#define ADD(path, func) \
  g_test_add ("/sc/users/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("first-must-be-admin", test_first_must_be_admin);
  ADD ("sign-in", test_sign_in);
  ADD ("wrong-passcode-waits", test_wrong_passcode_waits);
  ADD ("wait-shared-between-stores", test_wait_shared_between_stores);
  ADD ("badge", test_badge);
  ADD ("secrets-not-in-database", test_secrets_not_in_database);
  ADD ("admin-changes", test_admin_changes);
  ADD ("rehash-on-sign-in", test_rehash_on_sign_in);
  ADD ("sign-in-async", test_sign_in_async);
#undef ADD

  return g_test_run ();
}
