/* test-manifest.c: QA's queries on the records (search, a serial's audit
 * entries) and the manifest they export, read back by tools nobody here
 * wrote (Python's csv and json modules, `openssl x509 -fingerprint`)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "sc-test-util.h"

#define PRODUCT "A2ZXTESTDTID"
#define DAK     "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
#define PYTHON  "/usr/bin/python3"

typedef struct
{
  char    *dir;
  char    *training;
  char    *chain_pem;     /* a real certificate chain, recorded as each unit's */
  ScStore *store;
} Fixture;

static void
fixture_set_up (Fixture       *fx,
                gconstpointer  data)
{
  g_autofree char *path = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *chain_path = NULL;
  g_autoptr(GError) error = NULL;

  fx->dir = sc_test_tmpdir ();
  path = g_build_filename (fx->dir, "station.db", NULL);
  uri = g_strconcat ("sqlite://", path, NULL);
  fx->store = sc_store_open (uri, &error);
  g_assert_no_error (error);

  fx->training = sc_test_training (NULL);
  chain_path = g_build_filename (fx->training, "dak-chain.pem", NULL);
  g_file_get_contents (chain_path, &fx->chain_pem, NULL, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fx,
                   gconstpointer  data)
{
  g_assert_finalize_object (fx->store);
  sc_test_rmdir (fx->dir);
  sc_test_rmdir (fx->training);
  g_free (fx->dir);
  g_free (fx->training);
  g_free (fx->chain_pem);
}

/* A unit taken to @state as a run would: begun, signed for @state past
 * SIGNED, then set. */
static ScUnitRecord *
make_unit (Fixture     *fx,
           const char  *serial,
           ScUnitState  state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScUnitRecord) unit = NULL;
  ScUnitRecord *again;

  unit = sc_store_begin_unit (fx->store, PRODUCT, "AB12", serial, "station-1", "alice", NULL, &error);
  g_assert_no_error (error);
  if (state >= SC_UNIT_SIGNED && state != SC_UNIT_FAILED)
    {
      g_autofree char *cert_serial = g_compute_checksum_for_string (G_CHECKSUM_MD5, serial, -1);
      gint64 sig = sc_store_begin_signature (fx->store, unit->id, DAK, &error);

      g_assert_no_error (error);
      g_assert_true (sc_store_record_issue (fx->store, sig, unit->id, cert_serial, fx->chain_pem, &error));
      g_assert_no_error (error);
    }
  if (state != SC_UNIT_STARTED)
    {
      g_assert_true (sc_store_set_state (fx->store, unit->id, state,
                                         state == SC_UNIT_FAILED ? "The unit did not answer" : NULL, &error));
      g_assert_no_error (error);
    }
  again = sc_store_find_unit (fx->store, PRODUCT, serial, &error);
  g_assert_no_error (error);
  g_assert_cmpint (again->state, ==, state);
  /* Each unit a little later than the one before, so ranges can part them. */
  g_usleep (2000);
  return again;
}

static GPtrArray *
search (Fixture      *fx,
        gint64        since,
        gint64        until,
        ScUnitResult  result,
        const char   *serial_contains,
        guint         limit)
{
  ScUnitQuery query = { since, until, result, serial_contains, limit };
  g_autoptr(GError) error = NULL;
  GPtrArray *units = sc_store_search_units (fx->store, &query, &error);

  g_assert_no_error (error);
  g_assert_nonnull (units);
  return units;
}

/* The serials found, newest first, joined by spaces. */
static char *
serials (GPtrArray *units)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < units->len; i++)
    g_string_append_printf (out, "%s%s", i ? " " : "", ((ScUnitRecord *) units->pdata[i])->serial);
  g_ptr_array_unref (units);
  return g_string_free (out, FALSE);
}

#define assert_found(units, expected) \
  G_STMT_START { g_autofree char *s_ = serials (units); g_assert_cmpstr (s_, ==, (expected)); } G_STMT_END

/* ------------------------------------------------------------- search */

static void
test_search_results (Fixture       *fx,
                     gconstpointer  data)
{
  g_autoptr(ScUnitRecord) passed = make_unit (fx, "SN-PASS", SC_UNIT_COMPLETE);
  g_autoptr(ScUnitRecord) failed = make_unit (fx, "SN-FAIL", SC_UNIT_FAILED);
  g_autoptr(ScUnitRecord) keyed = make_unit (fx, "SN-KEYED", SC_UNIT_KEYED);
  g_autoptr(ScUnitRecord) labelled = make_unit (fx, "SN-LABELLED", SC_UNIT_LABELLED);
  g_autoptr(GError) error = NULL;
  gint64 print_id;

  assert_found (search (fx, 0, 0, SC_UNIT_RESULT_ANY, NULL, 0), "SN-LABELLED SN-KEYED SN-FAIL SN-PASS");
  assert_found (search (fx, 0, 0, SC_UNIT_RESULT_PASSED, NULL, 0), "SN-PASS");
  assert_found (search (fx, 0, 0, SC_UNIT_RESULT_FAILED, NULL, 0), "SN-FAIL");
  assert_found (search (fx, 0, 0, SC_UNIT_RESULT_IN_PROGRESS, NULL, 0), "SN-LABELLED SN-KEYED");
  assert_found (search (fx, 0, 0, SC_UNIT_RESULT_PRINT_PENDING, NULL, 0), "");

  /* A print journaled and never finished (a crash mid-print) is pending
   * until it is; a finished one, done or failed, is not. */
  print_id = sc_store_begin_print (fx->store, labelled->id, SC_LABEL_KIND_PRODUCT, FALSE, NULL, "file", "alice",
                                   &error);
  g_assert_no_error (error);
  g_assert_true (sc_store_record_print (fx->store, passed->id, SC_LABEL_KIND_PRODUCT, FALSE, NULL, "file", "alice",
                                        &error));
  g_assert_no_error (error);
  assert_found (search (fx, 0, 0, SC_UNIT_RESULT_PRINT_PENDING, NULL, 0), "SN-LABELLED");
  g_assert_true (sc_store_finish_print (fx->store, print_id, FALSE, &error));
  g_assert_no_error (error);
  assert_found (search (fx, 0, 0, SC_UNIT_RESULT_PRINT_PENDING, NULL, 0), "");

  /* A serial's part, in any case. */
  assert_found (search (fx, 0, 0, SC_UNIT_RESULT_ANY, "e", 0), "SN-LABELLED SN-KEYED");
  assert_found (search (fx, 0, 0, SC_UNIT_RESULT_ANY, "sn-f", 0), "SN-FAIL");
  assert_found (search (fx, 0, 0, SC_UNIT_RESULT_ANY, "", 0), "SN-LABELLED SN-KEYED SN-FAIL SN-PASS");
  /* LIKE's wildcards are plain characters here. */
  assert_found (search (fx, 0, 0, SC_UNIT_RESULT_ANY, "%", 0), "");
  assert_found (search (fx, 0, 0, SC_UNIT_RESULT_ANY, "SN_", 0), "");
  /* Both filters at once. */
  assert_found (search (fx, 0, 0, SC_UNIT_RESULT_PASSED, "fail", 0), "");
}

static void
test_search_range (Fixture       *fx,
                   gconstpointer  data)
{
  g_autoptr(ScUnitRecord) a = make_unit (fx, "SN-A", SC_UNIT_COMPLETE);
  g_autoptr(ScUnitRecord) b = make_unit (fx, "SN-B", SC_UNIT_COMPLETE);
  g_autoptr(ScUnitRecord) c = make_unit (fx, "SN-C", SC_UNIT_FAILED);

  g_assert_cmpint (a->created, <, b->created);
  g_assert_cmpint (b->created, <, c->created);

  /* [since, until): the first bound in, the last out. */
  assert_found (search (fx, b->created, 0, SC_UNIT_RESULT_ANY, NULL, 0), "SN-C SN-B");
  assert_found (search (fx, 0, b->created, SC_UNIT_RESULT_ANY, NULL, 0), "SN-A");
  assert_found (search (fx, a->created, c->created, SC_UNIT_RESULT_ANY, NULL, 0), "SN-B SN-A");
  assert_found (search (fx, b->created, b->created + 1, SC_UNIT_RESULT_ANY, NULL, 0), "SN-B");
  assert_found (search (fx, c->created + 1, 0, SC_UNIT_RESULT_ANY, NULL, 0), "");
  assert_found (search (fx, a->created, c->created + 1, SC_UNIT_RESULT_PASSED, NULL, 0), "SN-B SN-A");

  /* A limit keeps the newest. */
  assert_found (search (fx, 0, 0, SC_UNIT_RESULT_ANY, NULL, 2), "SN-C SN-B");
  assert_found (search (fx, 0, 0, SC_UNIT_RESULT_ANY, NULL, 1), "SN-C");
}

static void
test_result_names (void)
{
  ScUnitResult r;

  for (ScUnitResult i = SC_UNIT_RESULT_ANY; i <= SC_UNIT_RESULT_PRINT_PENDING; i++)
    {
      g_assert_true (sc_unit_result_from_string (sc_unit_result_to_string (i), &r));
      g_assert_cmpint (r, ==, i);
    }
  g_assert_cmpstr (sc_unit_result_to_string (SC_UNIT_RESULT_PRINT_PENDING), ==, "print-pending");
  g_assert_false (sc_unit_result_from_string ("complete", &r));
  g_assert_false (sc_unit_result_from_string ("", &r));
  g_assert_false (sc_unit_result_from_string (NULL, &r));
}

/* ---------------------------------------------------------- audit entries */

static void
test_list_audit (Fixture       *fx,
                 gconstpointer  data)
{
  g_autoptr(ScUnitRecord) a = make_unit (fx, "SN-AUDIT", SC_UNIT_COMPLETE);
  g_autoptr(ScUnitRecord) other = make_unit (fx, "SN-OTHER", SC_UNIT_FAILED);
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  const char *expected[] = { "begin", "signing", "issued", "state:complete", "reprint", "printed", "note" };
  gint64 before = g_get_real_time ();

  g_assert_true (sc_store_record_print (fx->store, a->id, SC_LABEL_KIND_PRODUCT, TRUE, "Smudged: coffee", "file",
                                        "bob", &error));
  g_assert_no_error (error);
  g_assert_true (sc_store_audit (fx->store, "carol", "note", "SN-AUDIT", "checked by QA", &error));
  g_assert_no_error (error);
  /* Not about this serial. */
  g_assert_true (sc_store_audit (fx->store, "carol", "note", NULL, "shift start", &error));
  g_assert_no_error (error);

  entries = sc_store_list_audit (fx->store, "SN-AUDIT", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < entries->len; i++)
    {
      ScAuditEntry *e = entries->pdata[i];

      g_assert_cmpstr (e->action, ==, expected[i]);
      g_assert_cmpstr (e->serial, ==, "SN-AUDIT");
      g_assert_nonnull (e->actor);
      g_assert_cmpint (e->time, >, 0);
      if (i > 0)
        {
          g_assert_cmpint (e->id, >, ((ScAuditEntry *) entries->pdata[i - 1])->id);
          g_assert_cmpint (e->time, >=, ((ScAuditEntry *) entries->pdata[i - 1])->time);
        }
    }
  {
    ScAuditEntry *reprint = entries->pdata[4];
    ScAuditEntry *note = entries->pdata[6];

    g_assert_cmpstr (reprint->actor, ==, "bob");
    g_assert_nonnull (strstr (reprint->details, "reason: Smudged: coffee"));
    g_assert_cmpstr (note->actor, ==, "carol");
    g_assert_cmpstr (note->details, ==, "checked by QA");
    g_assert_cmpint (note->time, >=, before);
  }
  g_clear_pointer (&entries, g_ptr_array_unref);

  /* The other unit's entries are its own. */
  entries = sc_store_list_audit (fx->store, "SN-OTHER", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 2);
  g_assert_cmpstr (((ScAuditEntry *) entries->pdata[1])->action, ==, "state:failed");
  g_clear_pointer (&entries, g_ptr_array_unref);

  /* A serial never seen: none, and no error. */
  entries = sc_store_list_audit (fx->store, "SN-NEVER", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 0);
}

/* -------------------------------------------------------------- manifest */

/* Runs @script (Python) on @path; returns its standard output. */
static char *
python (const char *script,
        const char *path)
{
  const char *argv[] = { PYTHON, "-c", script, path, NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s", PYTHON, err);
  return out;
}

/* Each unit as "serial|pid|puk|certificate_serial|certificate_sha256|started|completed|dak_type". */
#define PY_CSV  "import csv,sys\n" \
                "r=list(csv.DictReader(open(sys.argv[1],newline='')))\n" \
                "for u in r: print('|'.join(u[k] for k in ('serial','pid','puk','certificate_serial'," \
                "'certificate_sha256','started','completed','dak_type')))\n"
#define PY_JSON "import json,sys\n" \
                "r=json.load(open(sys.argv[1]))\n" \
                "assert isinstance(r,list)\n" \
                "for u in r: assert len(u)==8; print('|'.join(u[k] for k in ('serial','pid','puk','certificate_serial'," \
                "'certificate_sha256','started','completed','dak_type')))\n"

static char *
openssl_fingerprint (Fixture *fx)
{
  g_autofree char *chain = g_build_filename (fx->training, "dak-chain.pem", NULL);
  const char *argv[] = { "openssl", "x509", "-in", chain, "-noout", "-fingerprint", "-sha256", NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  const char *eq;
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  eq = strchr (out, '=');
  g_assert_nonnull (eq);
  return g_strstrip (g_strdup (eq + 1));
}

static char *
utc (gint64 us)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);

  return g_date_time_format (t, "%Y-%m-%d %H:%M:%SZ");
}

/* What the manifest must say of @u, as the Python scripts print it. */
static char *
expected_line (Fixture            *fx,
               const ScUnitRecord *u)
{
  g_autofree char *fp = openssl_fingerprint (fx);
  g_autofree char *started = utc (u->created);
  g_autofree char *completed = utc (u->updated);

  /* The fixture's units are signed by the training hierarchy's DAK. */
  return g_strdup_printf ("%s|%s|%s|%s|%s|%s|%s|Training\n", u->serial, u->pid, u->puk ? u->puk : "",
                          u->cert_serial, fp, started, completed);
}

static void
test_manifest_formats (Fixture       *fx,
                       gconstpointer  data)
{
  /* Serials are checked by the run, never here: the manifest quotes what
   * it must whatever the records hold. */
  g_autoptr(ScUnitRecord) a = make_unit (fx, "SN-1", SC_UNIT_COMPLETE);
  g_autoptr(ScUnitRecord) failed = make_unit (fx, "SN-2", SC_UNIT_FAILED);
  g_autoptr(ScUnitRecord) odd = make_unit (fx, "SN,\"3\"\\\n", SC_UNIT_COMPLETE);
  g_autoptr(GPtrArray) units = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *line_a = expected_line (fx, a);
  g_autofree char *line_odd = expected_line (fx, odd);

  units = sc_store_list_units (fx->store, 0, 0, &error);
  g_assert_no_error (error);
  expected = g_strconcat (line_a, line_odd, NULL);

  for (ScManifestFormat format = SC_MANIFEST_CSV; format <= SC_MANIFEST_JSON; format++)
    {
      g_autofree char *text = NULL;
      g_autofree char *path = g_build_filename (fx->dir, sc_manifest_format_to_string (format), NULL);
      g_autofree char *read = NULL;
      guint n = 99, n_training = 99;

      text = sc_manifest_format_units (units, format, &n, &n_training);
      g_assert_cmpuint (n, ==, 2);
      /* Both complete units are the training DAK's; the failed one counts for nothing. */
      g_assert_cmpuint (n_training, ==, 2);
      g_assert_true (g_file_set_contents (path, text, -1, &error));
      g_assert_no_error (error);
      read = python (format == SC_MANIFEST_CSV ? PY_CSV : PY_JSON, path);
      g_assert_cmpstr (read, ==, expected);
      g_assert_null (strstr (text, "SN-2"));
    }

  /* The CLI's exact layout, for a plain unit. */
  {
    g_autoptr(GPtrArray) one = g_ptr_array_new ();
    g_autofree char *csv = NULL;
    g_autofree char *json = NULL;
    g_autofree char *fp = openssl_fingerprint (fx);
    g_autofree char *started = utc (a->created);
    g_autofree char *completed = utc (a->updated);
    g_autofree char *want_csv = NULL;
    g_autofree char *want_json = NULL;

    g_ptr_array_add (one, a);
    csv = sc_manifest_format_units (one, SC_MANIFEST_CSV, NULL, NULL);
    json = sc_manifest_format_units (one, SC_MANIFEST_JSON, NULL, NULL);
    want_csv = g_strdup_printf ("serial,pid,puk,certificate_serial,certificate_sha256,started,completed,dak_type\n"
                                "SN-1,AB12,,%s,%s,%s,%s,Training\n", a->cert_serial, fp, started, completed);
    want_json = g_strdup_printf ("[\n  {\"serial\": \"SN-1\", \"pid\": \"AB12\", \"puk\": \"\", "
                                 "\"certificate_serial\": \"%s\", \"certificate_sha256\": \"%s\", "
                                 "\"started\": \"%s\", \"completed\": \"%s\", \"dak_type\": \"Training\"}\n]\n",
                                 a->cert_serial, fp, started, completed);
    g_assert_cmpstr (csv, ==, want_csv);
    g_assert_cmpstr (json, ==, want_json);
  }

  /* No complete unit: a header, or an empty array. */
  {
    g_autoptr(GPtrArray) none = g_ptr_array_new ();
    g_autofree char *csv = NULL;
    g_autofree char *json = NULL;
    guint n = 99;

    g_ptr_array_add (none, failed);
    csv = sc_manifest_format_units (none, SC_MANIFEST_CSV, &n, NULL);
    g_assert_cmpuint (n, ==, 0);
    json = sc_manifest_format_units (none, SC_MANIFEST_JSON, NULL, NULL);
    g_assert_cmpstr (csv, ==, "serial,pid,puk,certificate_serial,certificate_sha256,started,completed,dak_type\n");
    g_assert_cmpstr (json, ==, "[\n]\n");
  }
}

static void
test_format_names (void)
{
  ScManifestFormat f;

  g_assert_true (sc_manifest_format_from_string ("csv", &f));
  g_assert_cmpint (f, ==, SC_MANIFEST_CSV);
  g_assert_true (sc_manifest_format_from_string ("json", &f));
  g_assert_cmpint (f, ==, SC_MANIFEST_JSON);
  g_assert_cmpstr (sc_manifest_format_to_string (SC_MANIFEST_JSON), ==, "json");
  g_assert_false (sc_manifest_format_from_string ("CSV", &f));
  g_assert_false (sc_manifest_format_from_string ("xml", &f));
  g_assert_false (sc_manifest_format_from_string (NULL, &f));
}

static void
export_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      data)
{
  GAsyncResult **out = data;

  *out = g_object_ref (result);
}

static void
test_export (Fixture       *fx,
             gconstpointer  data)
{
  g_autoptr(ScUnitRecord) a = make_unit (fx, "SN-EXP-A", SC_UNIT_COMPLETE);
  g_autoptr(ScUnitRecord) b = make_unit (fx, "SN-EXP-B", SC_UNIT_COMPLETE);
  g_autoptr(ScUnitRecord) c = make_unit (fx, "SN-EXP-C", SC_UNIT_COMPLETE);
  g_autofree char *path = g_build_filename (fx->dir, "manifest.csv", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *read = NULL;
  g_autofree char *want = NULL;
  g_autofree char *line_b = expected_line (fx, b);
  g_autofree char *line_c = expected_line (fx, c);
  guint n = 0;

  /* Only the range's units, oldest first; an existing file is replaced. */
  g_assert_true (g_file_set_contents (path, "old contents\n", -1, NULL));
  g_assert_true (sc_manifest_export (fx->store, b->created, 0, SC_MANIFEST_CSV, file, &n, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 2);
  read = python (PY_CSV, path);
  want = g_strconcat (line_b, line_c, NULL);
  g_assert_cmpstr (read, ==, want);
  g_clear_pointer (&read, g_free);

  /* The same, in a worker thread, as the GUI asks for it. */
  sc_manifest_export_async (fx->store, a->created, c->created, SC_MANIFEST_JSON, file, NULL, export_done_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (sc_manifest_export_finish (result, &error), ==, 2);
  g_assert_no_error (error);
  read = python (PY_JSON, path);
  g_assert_true (g_str_has_prefix (read, "SN-EXP-A|"));
  g_assert_nonnull (strstr (read, "\nSN-EXP-B|"));
  g_assert_null (strstr (read, "SN-EXP-C"));
}

static void
test_export_empty_range (Fixture       *fx,
                         gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fx->dir, "manifest.csv", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time ();

  g_assert_false (sc_manifest_export (fx->store, now, now, SC_MANIFEST_CSV, file, NULL, NULL, &error));
  g_assert_error (error, SC_MANIFEST_ERROR, SC_MANIFEST_ERROR_RANGE);
  g_clear_error (&error);
  g_assert_false (sc_manifest_export (fx->store, now, now - 1, SC_MANIFEST_CSV, file, NULL, NULL, &error));
  g_assert_error (error, SC_MANIFEST_ERROR, SC_MANIFEST_ERROR_RANGE);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

static void
test_export_unwritable (Fixture       *fx,
                        gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fx->dir, "no-such-folder", "manifest.csv", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(ScUnitRecord) a = make_unit (fx, "SN-W", SC_UNIT_COMPLETE);

  g_assert_false (sc_manifest_export (fx->store, 0, 0, SC_MANIFEST_JSON, file, NULL, NULL, &error));
  g_assert_error (error, SC_MANIFEST_ERROR, SC_MANIFEST_ERROR_WRITE);
  g_assert_nonnull (strstr (error->message, "no-such-folder"));
  g_assert_nonnull (strstr (error->message, "choose another folder"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/sc/manifest/search-results", Fixture, NULL, fixture_set_up, test_search_results, fixture_tear_down);
  g_test_add ("/sc/manifest/search-range", Fixture, NULL, fixture_set_up, test_search_range, fixture_tear_down);
  g_test_add_func ("/sc/manifest/result-names", test_result_names);
  g_test_add ("/sc/manifest/list-audit", Fixture, NULL, fixture_set_up, test_list_audit, fixture_tear_down);
  g_test_add ("/sc/manifest/formats", Fixture, NULL, fixture_set_up, test_manifest_formats, fixture_tear_down);
  g_test_add_func ("/sc/manifest/format-names", test_format_names);
  g_test_add ("/sc/manifest/export", Fixture, NULL, fixture_set_up, test_export, fixture_tear_down);
  g_test_add ("/sc/manifest/export-empty-range", Fixture, NULL, fixture_set_up, test_export_empty_range,
              fixture_tear_down);
  g_test_add ("/sc/manifest/export-unwritable", Fixture, NULL, fixture_set_up, test_export_unwritable,
              fixture_tear_down);

  return g_test_run ();
}
