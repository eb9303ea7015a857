/* sc-bench.c: the label benchmark
 *
 * Times what the line does per label (build and validate the payload,
 * encode, lay out, render at printer resolution, decode back with both
 * decoders) on one thread, and in the same run the seed's per-label
 * pipeline (dmtxwrite, then dmtxread, one process each), so the figure is a
 * ratio that survives a noisy machine.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdlib.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "sc-cli.h"

enum { STAGE_PAYLOAD, STAGE_ENCODE, STAGE_LAYOUT, STAGE_RENDER, STAGE_DECODE, STAGE_TOTAL, N_STAGES };
static const char *stage_names[N_STAGES] = { "payload", "encode", "layout", "render", "decode-back", "total" };

static int
compare_int64 (gconstpointer a,
               gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

static double
percentile (GArray *us,
            double  p)
{
  guint i;

  g_array_sort (us, compare_int64);
  i = (guint) (p * (us->len - 1) + 0.5);
  return g_array_index (us, gint64, i) / 1000.0;
}

static char *
random_alnum (guint n)
{
  char *s = g_malloc (n + 1);

  sc_pin_fill_uniform ("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", s, n, NULL);
  s[n] = '\0';
  return s;
}

/* Median milliseconds per label of the seed's pipeline, or a negative
 * number when its tools are not installed. */
static double
seed_pipeline_ms (GPtrArray *payloads,
                  guint      count)
{
  g_autofree char *dmtxwrite = g_find_program_in_path ("dmtxwrite");
  g_autofree char *dmtxread = g_find_program_in_path ("dmtxread");
  g_autofree char *dir = NULL;
  g_autofree char *png = NULL;
  g_autoptr(GArray) us = g_array_new (FALSE, FALSE, sizeof (gint64));

  if (dmtxwrite == NULL || dmtxread == NULL)
    return -1;

  dir = g_dir_make_tmp ("sc-bench-XXXXXX", NULL);
  png = g_build_filename (dir, "label.png", NULL);

  for (guint i = 0; i < count; i++)
    {
      const char *payload = g_ptr_array_index (payloads, i % payloads->len);
      const char *write_argv[] = { dmtxwrite, "-e", "b", "-s", "s", "-d", "3", "-o", png, NULL };
      const char *read_argv[] = { dmtxread, "-n", "-N", "1", png, NULL };
      g_autoptr(GSubprocess) writer = NULL;
      g_autoptr(GSubprocess) reader = NULL;
      g_autoptr(GBytes) in = g_bytes_new_static (payload, strlen (payload));
      g_autofree char *decoded = NULL;
      gint64 t0 = g_get_monotonic_time ();

      writer = g_subprocess_newv (write_argv, G_SUBPROCESS_FLAGS_STDIN_PIPE, NULL);
      if (writer == NULL || !g_subprocess_communicate (writer, in, NULL, NULL, NULL, NULL))
        return -1;
      reader = g_subprocess_newv (read_argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, NULL);
      if (reader == NULL || !g_subprocess_communicate_utf8 (reader, NULL, NULL, &decoded, NULL, NULL))
        return -1;
      g_array_append_val (us, (gint64) { g_get_monotonic_time () - t0 });
      /* dmtxread ends its output with a newline. */
      if (decoded == NULL || !g_str_equal (g_strchomp (decoded), payload))
        g_printerr ("seed pipeline: label %u did not decode back\n", i);
    }

  g_unlink (png);
  g_rmdir (dir);
  return percentile (us, 0.5);
}

int
cmd_bench_labels (int    argc,
                  char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) puks = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  GArray *us[N_STAGES];
  int count = 500, dpi = 300, seed_count = 20;
  double seed_ms, ours_ms;
  const GOptionEntry entries[] = {
    { "count", 'n', 0, G_OPTION_ARG_INT, &count, N_("Labels to make (default 500)"), N_("N") },
    { "dpi", 'd', 0, G_OPTION_ARG_INT, &dpi, N_("Printer resolution (default 300)"), N_("N") },
    { "seed-count", 0, 0, G_OPTION_ARG_INT, &seed_count, N_("Labels through the seed pipeline (default 20)"), N_("N") },
    { NULL }
  };

  g_option_context_set_summary (context,
    _("Times payload, encode, layout, render and decode-back for N product labels on\n"
      "one thread, and the seed's dmtxwrite | dmtxread pipeline in the same run."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error) || count < 1 || dpi < 100 || seed_count < 0)
    {
      g_printerr ("setup-console-cli: %s\n", error ? error->message : _("bad --count, --dpi or --seed-count"));
      return 2;
    }

  /* Keys are not what is measured here: make a few up front. */
  for (guint i = 0; i < 16; i++)
    {
      g_autoptr(EVP_PKEY) key = sc_key_generate (NULL);
      g_ptr_array_add (puks, sc_key_get_puk (key, NULL));
    }
  for (guint s = 0; s < N_STAGES; s++)
    us[s] = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (int i = 0; i < count; i++)
    {
      g_autoptr(ScPayload) payload = sc_payload_new (SC_LABEL_KIND_PRODUCT);
      g_autoptr(ScSecret) pin = sc_pin_generate ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 9, NULL);
      g_autoptr(ScSymbol) symbol = NULL;
      g_autoptr(ScLabelLayout) layout = NULL;
      cairo_surface_t *raster;
      char *text = NULL;
      gint64 t[N_STAGES + 1];

      payload->serial = random_alnum (16);
      payload->pid = g_strdup ("ebK3");
      payload->puk = g_strdup (g_ptr_array_index (puks, i % puks->len));
      payload->pin = g_strdup (sc_secret_get_string (pin));

      t[0] = g_get_monotonic_time ();
      text = sc_payload_to_string (payload, &error);
      t[1] = g_get_monotonic_time ();
      symbol = text ? sc_symbol_encode (SC_SYMBOLOGY_DATAMATRIX, text, 0, &error) : NULL;
      t[2] = g_get_monotonic_time ();
      layout = symbol ? sc_label_layout_new (SC_LABEL_KIND_PRODUCT, symbol, dpi, 10.0, NULL,
                                             payload->serial, NULL, TRUE, &error) : NULL;
      t[3] = g_get_monotonic_time ();
      if (layout == NULL)
        {
          g_printerr ("setup-console-cli: %s\n", error->message);
          return 1;
        }
      raster = sc_label_layout_render (layout);
      t[4] = g_get_monotonic_time ();
      if (!sc_label_layout_verify (layout, raster, &error))
        {
          g_printerr ("setup-console-cli: %s\n", error->message);
          return 7;
        }
      t[5] = g_get_monotonic_time ();
      cairo_surface_destroy (raster);

      for (guint s = 0; s < STAGE_TOTAL; s++)
        g_array_append_val (us[s], (gint64) { t[s + 1] - t[s] });
      g_array_append_val (us[STAGE_TOTAL], (gint64) { t[5] - t[0] });
      if (i < 64)
        g_ptr_array_add (texts, g_strdup (text));
      sc_clear_secret_string (&text);
    }

  g_print ("label benchmark: %d product labels at %d dpi, one thread\n", count, dpi);
  g_print ("%-12s %9s %9s\n", "stage", "p50 ms", "p99 ms");
  for (guint s = 0; s < N_STAGES; s++)
    g_print ("%-12s %9.3f %9.3f\n", stage_names[s], percentile (us[s], 0.5), percentile (us[s], 0.99));

  ours_ms = percentile (us[STAGE_TOTAL], 0.5);
  seed_ms = seed_count > 0 ? seed_pipeline_ms (texts, (guint) seed_count) : -1;
  if (seed_ms > 0)
    g_print ("seed pipeline (dmtxwrite + dmtxread, %d labels): %.3f ms per label, p50\n", seed_count, seed_ms);
  else
    g_print ("seed pipeline: dmtxwrite/dmtxread not installed, no baseline\n");
  g_print ("per label: %.3f ms (goal: under 5 ms)\n", ours_ms);
  if (seed_ms > 0)
    g_print ("ratio: %.1fx the seed pipeline's speed\n", seed_ms / ours_ms);

  for (guint s = 0; s < N_STAGES; s++)
    g_array_unref (us[s]);
  return 0;
}

/* ------------------------------------------------------------ whole runs */

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) d = g_dir_open (path, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

/* The bare cryptographic floor of one unit, in µs: P-256 key generation,
 * the CSR's signature check, one DAK signature and one chain verification,
 * with OpenSSL directly (building the CSR and the certificate are not
 * counted). */
static gint64
crypto_floor_us (ScProfile *profile,
                 ScDak     *dak,
                 EVP_PKEY  *dak_key,
                 guint      serial_index)
{
  g_autoptr(EVP_PKEY) key = NULL;
  g_autoptr(X509_REQ) csr = NULL;
  g_autoptr(ScCertList) chain = NULL;
  g_autoptr(EVP_PKEY_CTX) ctx = NULL;
  g_autofree char *serial = g_strdup_printf ("FLOOR%011u", serial_index);
  guint8 digest[32] = { 1 }, sig[80];
  size_t sig_len = sizeof sig;
  gint64 t0, t1, t2, t3, t4, t5;

  t0 = g_get_monotonic_time ();
  key = EVP_EC_gen ("P-256");
  t1 = g_get_monotonic_time ();
  csr = sc_csr_new (key, sc_profile_get_device_type_id (profile), serial, NULL);
  chain = sc_dak_issue (dak, csr, serial, NULL, NULL);
  t2 = g_get_monotonic_time ();
  if (X509_REQ_verify (csr, X509_REQ_get0_pubkey (csr)) != 1)
    g_error ("bench: the CSR does not verify");
  ctx = EVP_PKEY_CTX_new_from_pkey (NULL, dak_key, NULL);
  if (EVP_PKEY_sign_init (ctx) <= 0 || EVP_PKEY_sign (ctx, sig, &sig_len, digest, sizeof digest) <= 0)
    g_error ("bench: the DAK key does not sign");
  t3 = g_get_monotonic_time ();
  t4 = g_get_monotonic_time ();
  if (!sc_chain_verify (chain, sc_dak_get_trust_anchor (dak), sc_profile_get_device_type_id (profile), serial, 0,
                        NULL))
    g_error ("bench: the chain does not verify");
  t5 = g_get_monotonic_time ();
  return (t1 - t0) + (t3 - t2) + (t5 - t4);
}

typedef struct
{
  GArray *us[SC_N_STEPS];
} StepTimes;

int
cmd_bench (int    argc,
           char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *training = NULL, *profile_path = NULL, *db = NULL, *store_uri = NULL, *labels = NULL;
  g_autofree char *printer_uri = NULL, *key_path = NULL, *key_text = NULL, *secret_path = NULL;
  g_autoptr(ScProfile) profile = NULL;
  g_autoptr(ScDak) dak = NULL;
  g_autoptr(ScStore) store = NULL;
  g_autoptr(ScStationSecret) secret = NULL;
  g_autoptr(ScPrinter) printer = NULL;
  g_autoptr(ScStation) station = NULL;
  g_autoptr(EVP_PKEY) dak_key = NULL;
  g_autoptr(GArray) total = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) no_label = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) floor_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) commit_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  StepTimes times;
  gsize key_len;
  int count = 200;
  gint64 wall0, wall;
  double floor_ms, no_label_ms;
  const GOptionEntry entries[] = {
    { "count", 'n', 0, G_OPTION_ARG_INT, &count, N_("Units to run (default 200)"), N_("N") },
    { NULL }
  };

  g_option_context_set_summary (context,
    _("Runs N units through the whole run on one thread: the in-process simulated\n"
      "unit, a training software DAK, SQLite and PNG labels, all in a temporary\n"
      "folder; prints per-step p50/p99, the bare crypto floor measured in the same\n"
      "run, and as its last line the throughput."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error) || count < 1)
    {
      g_printerr ("setup-console-cli: %s\n", error ? error->message : _("--count must be at least 1"));
      return EXIT_USAGE;
    }

  dir = g_dir_make_tmp ("sc-bench-XXXXXX", &error);
  if (dir == NULL)
    return fail_error (error);
  /* The station secret and the simulated units' flash live in the bench's
   * own data dir, never the user's. */
  g_setenv ("XDG_DATA_HOME", dir, TRUE);
  training = g_build_filename (dir, "training", NULL);
  profile_path = g_build_filename (training, "product.profile", NULL);
  db = g_build_filename (dir, "bench.db", NULL);
  store_uri = g_strconcat ("sqlite://", db, NULL);
  labels = g_build_filename (dir, "labels", NULL);
  printer_uri = g_filename_to_uri (labels, NULL, NULL);
  key_path = g_build_filename (training, "dak.key", NULL);
  secret_path = g_build_filename (dir, "station.key", NULL);

  if (!sc_training_create (training, &error) ||
      !(profile = sc_profile_new_from_file (profile_path, &error)) ||
      !(dak = sc_dak_new_for_profile (profile, &error)) ||
      !(store = sc_store_open (store_uri, &error)) ||
      !(secret = sc_station_secret_load (secret_path, &error)) ||
      !(printer = sc_printer_open (printer_uri, &error)) ||
      !g_file_get_contents (key_path, &key_text, &key_len, &error) ||
      !(dak_key = sc_key_load_private ((const guint8 *) key_text, key_len, &error)))
    return fail_error (error);
  sc_memwipe (key_text, key_len);

  /* Each unit a fresh simulated unit in memory: "sim:?serial=" is set per run. */
  station = sc_station_new (profile, dak, store, secret, printer, "sim:?keygen=1", "bench");
  for (guint s = 0; s < SC_N_STEPS; s++)
    times.us[s] = g_array_new (FALSE, FALSE, sizeof (gint64));

  wall0 = g_get_monotonic_time ();
  for (int i = 0; i < count; i++)
    {
      g_autofree char *serial = g_strdup_printf ("BENCH%011d", i);
      g_autofree char *uri = g_strdup_printf ("sim:?serial=%s", serial);
      g_autoptr(ScUnitRun) run = NULL;
      gint64 sum = 0, sum_no_label = 0;

      g_free (station->device_uri);
      station->device_uri = g_steal_pointer (&uri);
      run = sc_unit_run_new (station, serial);
      if (!sc_unit_run_run (run, NULL, &error))
        return fail_error (error);
      for (guint s = 0; s < SC_N_STEPS; s++)
        {
          gint64 t = sc_unit_run_get_step_time (run, s);

          g_array_append_val (times.us[s], t);
          sum += t;
          if (s != SC_STEP_LABEL && s != SC_STEP_PRINT)
            sum_no_label += t;
        }
      g_array_append_val (total, sum);
      g_array_append_val (no_label, sum_no_label);
    }
  wall = g_get_monotonic_time () - wall0;

  for (int i = 0; i < MIN (count, 200); i++)
    {
      gint64 f = crypto_floor_us (profile, dak, dak_key, (guint) i);
      g_array_append_val (floor_us, f);
    }

  /* The cost of one durable record (one SQLite transaction with its fsync),
   * measured on the same database: the journal's unit of cost. */
  for (int i = 0; i < 100; i++)
    {
      gint64 t0 = g_get_monotonic_time (), t;

      if (!sc_store_audit (store, "bench", "bench", NULL, "durable write", &error))
        return fail_error (error);
      t = g_get_monotonic_time () - t0;
      g_array_append_val (commit_us, t);
    }

  g_print ("unit benchmark: %d units, in-process simulated unit, software DAK, SQLite, PNG labels, one thread\n",
           count);
  g_print ("%-12s %9s %9s\n", "step", "p50 ms", "p99 ms");
  for (guint s = 0; s < SC_N_STEPS; s++)
    g_print ("%-12s %9.3f %9.3f\n", sc_step_get_name (s), percentile (times.us[s], 0.5),
             percentile (times.us[s], 0.99));
  g_print ("%-12s %9.3f %9.3f\n", "total", percentile (total, 0.5), percentile (total, 0.99));

  floor_ms = percentile (floor_us, 0.5);
  no_label_ms = percentile (no_label, 0.5);
  g_print ("crypto floor (keygen + CSR check + DAK signature + chain verify): %.3f ms p50\n", floor_ms);
  g_print ("run without labels and print: %.3f ms p50 = %.2fx the crypto floor (goal: within 3x)\n",
           no_label_ms, no_label_ms / floor_ms);
  g_print ("one durable record (SQLite transaction with fsync): %.3f ms p50, %.3f ms p99\n",
           percentile (commit_us, 0.5), percentile (commit_us, 0.99));
  for (guint s = 0; s < SC_N_STEPS; s++)
    g_array_unref (times.us[s]);
  remove_tree (dir);
  g_print ("throughput: %.1f units/s\n", count / (wall / 1e6));
  return EXIT_OK;
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return (x > y) - (x < y);
}

/* Certificates issued through one DAK session, one after another: for a
 * YubiKey, the held PC/SC session with the PIN verified before each
 * signature. The CSRs are made before the clock starts. */
int
cmd_bench_dak (int    argc,
               char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autofree char *profile_path = NULL, *dak_uri = NULL, *pin_file = NULL;
  g_autofree char *store_uri = NULL, *as = NULL, *as_file = NULL, *actor = NULL, *details = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ScProfile) profile = NULL;
  g_autoptr(ScStore) store = NULL;
  g_autoptr(ScDak) dak = NULL;
  g_autoptr(GPtrArray) csrs = g_ptr_array_new_with_free_func ((GDestroyNotify) X509_REQ_free);
  g_autoptr(GArray) us = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree char *described = NULL;
  int count = 100, status;
  gint64 start, total;
  const GOptionEntry entries[] = {
    { "profile", 'p', 0, G_OPTION_ARG_FILENAME, &profile_path, N_("Product profile (default: the embedded training profile)"), N_("FILE") },
    { "dak", 0, 0, G_OPTION_ARG_STRING, &dak_uri, N_("The DAK, instead of the profile’s"), N_("URI") },
    { "pin-file", 0, 0, G_OPTION_ARG_FILENAME, &pin_file, N_("Read the DAK PIN from FILE (mode 0600)"), N_("FILE") },
    { "count", 'n', 0, G_OPTION_ARG_INT, &count, N_("Certificates to issue (default 100)"), N_("N") },
    { "store", 'S', 0, G_OPTION_ARG_STRING, &store_uri, N_("Records, where the signatures are recorded (default: SQLite in the data dir)"), N_("URI") },
    { "as", 0, 0, G_OPTION_ARG_STRING, &as, N_("Who asks for the signatures: an operator, once the station has users"), N_("USER") },
    { "as-passcode-file", 0, 0, G_OPTION_ARG_FILENAME, &as_file, N_("Read the passcode of --as from FILE (mode 0600) instead of asking"), N_("FILE") },
    { NULL }
  };

  g_option_context_set_summary (context,
    _("Issues N unit certificates through one DAK session and prints the time per\n"
      "certificate (p50, p99) and, as its last line, “throughput: N signatures/s”.\n"
      "The certificates are thrown away; the station’s records name the batch and who\n"
      "asked for it, and with users defined it needs the right to provision (--as)."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse (context, &argc, &argv, &status))
    return status;
  if (argc > 1 || count < 1)
    return usage_error (context, _("bench-dak takes --count N (at least 1) and no arguments"));

  if (!(profile = load_profile (profile_path, &error)) ||
      !(store = cli_open_records_as (store_uri, as, as_file, SC_RIGHT_PROVISION, &actor, &error)) ||
      !(dak = cli_open_dak (profile, dak_uri, pin_file, TRUE, &error)))
    return fail_error (error);

  for (int i = 0; i < count; i++)
    {
      g_autoptr(EVP_PKEY) key = sc_key_generate (&error);
      g_autofree char *serial = g_strdup_printf ("BENCHDAK%08d", i);
      X509_REQ *csr;

      if (key == NULL ||
          !(csr = sc_csr_new (key, sc_profile_get_device_type_id (profile), serial, &error)))
        return fail_error (error);
      g_ptr_array_add (csrs, csr);
    }

  /* Every DAK signature is in the records: the batch before it starts,
   * and what came of it. */
  details = g_strdup_printf ("bench-dak: %d certificates for made-up serials BENCHDAK00000000 on, thrown away", count);
  if (!sc_store_audit (store, actor, "dak-bench", NULL, details, &error))
    {
      g_prefix_error (&error, _("Nothing was signed: "));
      return fail_error (error);
    }
  start = g_get_monotonic_time ();
  for (int i = 0; i < count; i++)
    {
      g_autofree char *serial = g_strdup_printf ("BENCHDAK%08d", i);
      g_autoptr(ScCertList) chain = NULL;
      gint64 t0 = g_get_monotonic_time (), t;

      chain = sc_dak_issue (dak, g_ptr_array_index (csrs, i), serial, NULL, &error);
      if (chain == NULL)
        {
          g_autofree char *why = g_strdup_printf ("bench-dak: stopped after %d signatures: %s", i, error->message);

          sc_store_audit (store, actor, "dak-bench-failed", NULL, why, NULL);
          return fail_error (error);
        }
      t = g_get_monotonic_time () - t0;
      g_array_append_val (us, t);
    }
  total = g_get_monotonic_time () - start;
  g_free (details);
  details = g_strdup_printf ("bench-dak: %d signatures made, the certificates thrown away", count);
  if (!sc_store_audit (store, actor, "dak-bench-done", NULL, details, &error))
    return fail_error (error);
  g_array_sort (us, compare_gint64);

  described = sc_signer_describe (sc_dak_get_signer (dak));
  g_print ("DAK: %s\n", described);
  g_print ("issue: p50 %.2f ms, p99 %.2f ms over %d certificates\n",
           g_array_index (us, gint64, us->len / 2) / 1000.0,
           g_array_index (us, gint64, MIN (us->len - 1, us->len * 99 / 100)) / 1000.0, count);
  g_print ("throughput: %.1f signatures/s\n", count / (total / 1e6));
  return EXIT_OK;
}
