/* sc-cli-units.c: provisioning units and the station's records
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "sc-cli.h"

static ScStationSecret *
load_station_secret (GError **error)
{
  g_autofree char *data_dir = sc_defaults_get_data_dir ();
  g_autofree char *path = g_build_filename (data_dir, "station.key", NULL);

  return sc_station_secret_load (path, error);
}

ScStation *
open_station (const char  *profile_path,
              const char  *dak_uri,
              const char  *pin_file,
              gboolean     unlock,
              const char  *store_uri,
              const char  *device_uri,
              const char  *printer_uri,
              GError     **error)
{
  g_autoptr(ScProfile) profile = NULL;
  g_autoptr(ScDak) dak = NULL;
  g_autoptr(ScStore) store = NULL;
  g_autoptr(ScStationSecret) secret = NULL;
  g_autoptr(ScPrinter) printer = NULL;

  if (!(profile = load_profile (profile_path, error)) ||
      !(dak = cli_open_dak (profile, dak_uri, pin_file, unlock, error)) ||
      !(store = sc_store_open (store_uri, error)) ||
      !(secret = load_station_secret (error)) ||
      !(printer = sc_printer_open_for_profile (profile, printer_uri, error)))
    return NULL;
  return sc_station_new (profile, dak, store, secret, printer, device_uri, NULL);
}

static void
step_finished_cb (ScUnitRun  *run,
                  int         step,
                  gboolean    ok,
                  gint64      duration,
                  const char *error,
                  gpointer    user_data)
{
  g_print ("  %-5s %-10s %9.1f ms%s%s\n", ok ? "ok" : "FAIL", sc_step_get_name (step), duration / 1000.0,
           error ? "  " : "", error ? error : "");
}

static void
step_skipped_cb (ScUnitRun *run,
                 int        step,
                 gpointer   user_data)
{
  g_print ("  %-5s %-10s %12s\n", "done", sc_step_get_name (step), _("(before)"));
}

/* Prints each step of @run as it ends: its time, or why it failed, and
 * the steps a resumed run found done before. */
void
cli_print_steps (ScUnitRun *run)
{
  g_signal_connect (run, "step-finished", G_CALLBACK (step_finished_cb), NULL);
  g_signal_connect (run, "step-skipped", G_CALLBACK (step_skipped_cb), NULL);
}

static char *
batch_serial (guint index)
{
  static char stamp[16];

  if (stamp[0] == '\0')
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
      g_autofree char *s = g_date_time_format (now, "%y%m%d%H%M%S");
      g_strlcpy (stamp, s, sizeof stamp);
    }
  return g_strdup_printf ("SC%s%05u", stamp, index);
}

int
cmd_provision (int    argc,
               char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autofree char *profile_path = NULL, *store_uri = NULL, *device_uri = NULL, *printer_uri = NULL;
  g_autofree char *serial = NULL, *override = NULL;
  g_autofree char *dak_uri = NULL, *pin_file = NULL;
  g_autofree char *as = NULL, *as_file = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ScStation) station = NULL;
  int count = 0, status = EXIT_OK, passed = 0, failed = 0;
  const GOptionEntry entries[] = {
    { "profile", 'p', 0, G_OPTION_ARG_FILENAME, &profile_path, N_("Product profile (default: the embedded training profile)"), N_("FILE") },
    { "device", 'D', 0, G_OPTION_ARG_STRING, &device_uri, N_("Device address (default: the profile’s)"), N_("URI") },
    { "printer", 'P', 0, G_OPTION_ARG_STRING, &printer_uri, N_("Printer (default: PNG files in the data dir)"), N_("URI") },
    { "store", 'S', 0, G_OPTION_ARG_STRING, &store_uri, N_("Records (default: SQLite in the data dir)"), N_("URI") },
    { "serial", 's', 0, G_OPTION_ARG_STRING, &serial, N_("The unit’s serial, as scanned"), N_("SERIAL") },
    { "dak", 0, 0, G_OPTION_ARG_STRING, &dak_uri, N_("The DAK, instead of the profile’s: a key file or yubikey://SERIAL[?slot=9c]"), N_("URI") },
    { "pin-file", 0, 0, G_OPTION_ARG_FILENAME, &pin_file, N_("Read the DAK PIN from FILE (mode 0600) instead of asking"), N_("FILE") },
    { "count", 'n', 0, G_OPTION_ARG_INT, &count, N_("Provision N simulated units in a row, with made-up serials"), N_("N") },
    { "override", 0, 0, G_OPTION_ARG_STRING, &override, N_("Re-provision a completed serial, for this reason"), N_("REASON") },
    { "as", 0, 0, G_OPTION_ARG_STRING, &as, N_("Who provisions: an operator (QA for --override), once the station has users"), N_("USER") },
    { "as-passcode-file", 0, 0, G_OPTION_ARG_FILENAME, &as_file, N_("Read the passcode of --as from FILE (mode 0600) instead of asking"), N_("FILE") },
    { NULL }
  };

  g_option_context_set_summary (context,
    _("Runs units through scan, key, CSR policy, DAK signature, chain check, flash\n"
      "write, read-back, challenge, labels, print and record, journaled so that a\n"
      "re-scan after a crash continues safely. One unit (--serial) or a batch on the\n"
      "simulator (--count)."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse (context, &argc, &argv, &status))
    return status;
  if (argc > 1 || (serial == NULL) == (count == 0) || count < 0)
    return usage_error (context, _("provision needs either --serial SERIAL or --count N"));
  if (override != NULL && g_strstrip (override)[0] == '\0')
    return usage_error (context, _("--override needs a reason"));

  /* Who works here first, then the DAK's PIN: nobody types a PIN for a
   * run they may not start. */
  station = open_station (profile_path, dak_uri, pin_file, FALSE, store_uri, device_uri, printer_uri, &error);
  if (station == NULL ||
      !cli_sign_in_station (station, as, as_file, override ? SC_RIGHT_OVERRIDE : SC_RIGHT_PROVISION, &error) ||
      !cli_unlock_dak (station->dak, pin_file, &error))
    return fail_error (error);
  if (count > 0 && !g_str_has_prefix (station->device_uri, "sim:"))
    return usage_error (context, _("--count makes up serials, so it works only with the simulator (sim:)"));

  for (int i = 0; i < MAX (count, 1); i++)
    {
      g_autofree char *unit = serial ? g_strdup (serial) : batch_serial ((guint) i + 1);
      g_autoptr(ScUnitRun) run = sc_unit_run_new (station, unit);
      g_autoptr(GError) run_error = NULL;
      gint64 start = g_get_monotonic_time ();

      sc_unit_run_set_override (run, override);
      cli_print_steps (run);

      g_print (_("Unit %s\n"), unit);
      if (sc_unit_run_run (run, NULL, &run_error))
        {
          passed++;
          g_print (_("PASS %s%s, %.1f ms\n"), unit, sc_unit_run_get_resumed (run) ? _(" (resumed)") : "",
                   (g_get_monotonic_time () - start) / 1000.0);
        }
      else
        {
          failed++;
          g_print (_("FAIL %s: %s\n"), unit, run_error->message);
          status = exit_status_for (run_error);
        }
    }

  if (count > 0)
    g_print (_("%d passed, %d failed\n"), passed, failed);
  if (sc_dak_is_training (station->dak))
    g_printerr (_("TRAINING DAK: these units and labels are not valid for Frustration-Free Setup.\n"));
  return failed ? (status ? status : EXIT_INTERNAL) : EXIT_OK;
}

static char *
format_time (gint64 us)
{
  g_autoptr(GDateTime) t = us ? g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC) : NULL;

  return t ? g_date_time_format (t, "%Y-%m-%d %H:%M:%SZ") : g_strdup ("-");
}

static gint64
parse_since (const char  *text,
             GError     **error)
{
  g_autoptr(GDateTime) t = NULL;
  g_autofree char *iso = NULL;

  if (text == NULL)
    return 0;
  iso = strchr (text, 'T') ? g_strdup (text) : g_strconcat (text, "T00:00:00Z", NULL);
  t = g_date_time_new_from_iso8601 (iso, g_time_zone_new_utc ());
  if (t == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("“%s” is not a date like 2026-11-28 or 2026-11-28T08:00:00Z"), text);
      return -1;
    }
  return g_date_time_to_unix (t) * G_USEC_PER_SEC;
}

int
cmd_show (int    argc,
          char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("SERIAL"));
  g_autofree char *store_uri = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ScStore) store = NULL;
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autoptr(GPtrArray) steps = NULL;
  g_autoptr(GPtrArray) prints = NULL;
  g_autofree char *created = NULL, *updated = NULL;
  const GOptionEntry entries[] = {
    { "store", 'S', 0, G_OPTION_ARG_STRING, &store_uri, N_("Records (default: SQLite in the data dir)"), N_("URI") },
    { NULL }
  };
  int status;

  g_option_context_set_summary (context, _("Shows a unit’s record: state, key, certificate, steps, prints."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return usage_error (context, _("show needs one serial"));

  if (!(store = sc_store_open (store_uri, &error)))
    return fail_error (error);
  unit = sc_store_find_unit (store, NULL, argv[1], &error);
  if (unit == NULL)
    return fail_error (error);
  steps = sc_store_list_steps (store, unit->id, &error);
  prints = steps ? sc_store_list_prints (store, unit->id, &error) : NULL;
  if (prints == NULL)
    return fail_error (error);

  created = format_time (unit->created);
  updated = format_time (unit->updated);
  g_print (_("Serial:       %s\n"), unit->serial);
  g_print (_("Product:      %s (PID %s)\n"), unit->product, unit->pid ? unit->pid : "-");
  g_print (_("State:        %s%s%s\n"), sc_unit_state_to_display (unit->state),
           unit->failure ? " — " : "", unit->failure ? unit->failure : "");
  g_print (_("Key:          %s%s\n"), unit->key_origin == SC_KEY_ORIGIN_DEVICE ? _("made on the unit") :
           unit->key_origin == SC_KEY_ORIGIN_STATION ? _("made on the station") : "-",
           unit->public_key_sha256 ? "" : "");
  g_print (_("Key SHA-256:  %s\n"), unit->public_key_sha256 ? unit->public_key_sha256 : "-");
  g_print (_("PUK:          %s\n"), unit->puk ? unit->puk : "-");
  g_print (_("Certificate:  %s\n"), unit->cert_serial ? unit->cert_serial : "-");
  g_print (_("DAK:          %s\n"), unit->dak ? unit->dak : "-");
  g_print (_("PIN:          %s\n"), unit->pin_sealed ? _("sealed under the station secret") : "-");
  g_print (_("Station:      %s, operator %s\n"), unit->station ? unit->station : "-",
           unit->operator_name ? unit->operator_name : "-");
  g_print (_("Created:      %s, updated %s\n"), created, updated);
  g_print (_("Steps:\n"));
  for (guint i = 0; i < steps->len; i++)
    {
      ScStepRecord *s = g_ptr_array_index (steps, i);
      g_print ("  %-5s %-10s %9.1f ms%s%s\n", s->ok ? "ok" : "FAIL", s->name, (s->finished - s->started) / 1000.0,
               s->error ? "  " : "", s->error ? s->error : "");
    }
  g_print (_("Prints:\n"));
  for (guint i = 0; i < prints->len; i++)
    {
      ScPrintRecord *p = g_ptr_array_index (prints, i);
      g_autofree char *when = format_time (p->time);

      g_print ("  %s %-7s %s%s%s (%s)%s%s%s\n", when, sc_label_kind_to_string (p->kind),
               p->reprint ? _("reprint: ") : "", p->reason ? p->reason : "", p->reprint ? "" : _("first print"),
               p->printer ? p->printer : "",
               p->status == SC_PRINT_PENDING ? _(" — interrupted, may not exist")
               : p->status == SC_PRINT_FAILED ? _(" — failed")
               : p->status == SC_PRINT_NOT_SENT ? _(" — not sent") : "",
               p->error ? ": " : "", p->error ? p->error : "");
    }
  return EXIT_OK;
}

int
cmd_list (int    argc,
          char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autofree char *store_uri = NULL, *since_text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ScStore) store = NULL;
  g_autoptr(GPtrArray) units = NULL;
  gint64 since;
  const GOptionEntry entries[] = {
    { "store", 'S', 0, G_OPTION_ARG_STRING, &store_uri, N_("Records (default: SQLite in the data dir)"), N_("URI") },
    { "since", 0, 0, G_OPTION_ARG_STRING, &since_text, N_("Only units started on or after this date"), N_("DATE") },
    { NULL }
  };
  int status;

  g_option_context_set_summary (context, _("Lists units: serial, state, started, certificate serial."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse (context, &argc, &argv, &status))
    return status;
  if (argc != 1)
    return usage_error (context, _("list takes no arguments besides its options"));
  if ((since = parse_since (since_text, &error)) < 0)
    return fail_error (error);

  if (!(store = sc_store_open (store_uri, &error)) ||
      !(units = sc_store_list_units (store, since, 0, &error)))
    return fail_error (error);
  for (guint i = 0; i < units->len; i++)
    {
      ScUnitRecord *u = g_ptr_array_index (units, i);
      g_autofree char *when = format_time (u->created);

      g_print ("%-24s %-10s %s %s\n", u->serial, sc_unit_state_to_string (u->state), when,
               u->cert_serial ? u->cert_serial : "-");
    }
  return EXIT_OK;
}

int
cmd_reprint (int    argc,
             char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("SERIAL"));
  g_autofree char *profile_path = NULL, *store_uri = NULL, *printer_uri = NULL, *kind_name = NULL, *reason = NULL;
  g_autofree char *as = NULL, *as_file = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) print_error = NULL;
  g_autoptr(ScStation) station = NULL;
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autoptr(ScSecret) pin = NULL;
  g_autoptr(ScPayload) payload = NULL;
  g_autoptr(ScLabelLayout) layout = NULL;
  g_autofree char *job = NULL, *printer = NULL;
  const ScLabelSettings *settings;
  ScLabelKind kind;
  gint64 print_id;
  const GOptionEntry entries[] = {
    { "profile", 'p', 0, G_OPTION_ARG_FILENAME, &profile_path, N_("Product profile (default: the embedded training profile)"), N_("FILE") },
    { "store", 'S', 0, G_OPTION_ARG_STRING, &store_uri, N_("Records (default: SQLite in the data dir)"), N_("URI") },
    { "printer", 'P', 0, G_OPTION_ARG_STRING, &printer_uri, N_("Printer (default: PNG files in the data dir)"), N_("URI") },
    { "kind", 'k', 0, G_OPTION_ARG_STRING, &kind_name, N_("product or package"), N_("KIND") },
    { "reason", 'r', 0, G_OPTION_ARG_STRING, &reason, N_("Why the label is printed again (recorded)"), N_("REASON") },
    { "as", 0, 0, G_OPTION_ARG_STRING, &as, N_("Who reprints: QA, once the station has users"), N_("USER") },
    { "as-passcode-file", 0, 0, G_OPTION_ARG_FILENAME, &as_file, N_("Read the passcode of --as from FILE (mode 0600) instead of asking"), N_("FILE") },
    { NULL }
  };
  int status;

  g_option_context_set_summary (context,
    _("Prints a provisioned unit’s label again from the records, verified like the\n"
      "first print, and records the reprint with its reason."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse (context, &argc, &argv, &status))
    return status;
  if (argc != 2 || kind_name == NULL || reason == NULL || g_strstrip (reason)[0] == '\0')
    return usage_error (context, _("reprint needs a serial, --kind and a --reason"));
  if (!sc_label_kind_from_string (kind_name, &kind))
    return usage_error (context, _("--kind must be product or package"));

  /* A reprint signs nothing: the DAK stays locked. */
  if (!(station = open_station (profile_path, NULL, NULL, FALSE, store_uri, NULL, printer_uri, &error)) ||
      !cli_sign_in_station (station, as, as_file, SC_RIGHT_REPRINT, &error))
    return fail_error (error);
  unit = sc_store_find_unit (station->store, sc_profile_get_device_type_id (station->profile), argv[1], &error);
  if (unit == NULL)
    return fail_error (error);
  if (unit->state < SC_UNIT_LABELLED || unit->state == SC_UNIT_FAILED || unit->puk == NULL || unit->pin_sealed == NULL)
    {
      g_printerr (_("setup-console-cli: unit %s is %s: only a unit whose labels were made can be reprinted\n"),
                  argv[1], sc_unit_state_to_display (unit->state));
      return EXIT_BAD_INPUT;
    }

  settings = sc_profile_get_label_settings (station->profile);
  payload = sc_payload_new (kind);
  payload->serial = settings->include_serial ? g_strdup (unit->serial) : NULL;
  payload->pid = g_strdup (unit->pid);
  payload->puk = g_strdup (unit->puk);
  payload->trailing_semicolon = settings->trailing_semicolon;
  if (kind == SC_LABEL_KIND_PRODUCT)
    {
      if (!(pin = sc_station_secret_open_pin (station->secret, unit->serial, unit->pin_sealed, &error)))
        return fail_error (error);
      payload->pin = g_strdup (sc_secret_get_string (pin));
    }
  else if (settings->package_code == NULL)
    {
      g_printerr (_("setup-console-cli: this product has no package code, so no package label\n"));
      return EXIT_BAD_INPUT;
    }
  else if (strlen (settings->package_code) == 13)
    payload->ean = g_strdup (settings->package_code);
  else
    payload->upc = g_strdup (settings->package_code);

  job = g_strdup_printf ("%s-%s-reprint-%" G_GINT64_FORMAT, unit->serial, kind_name, g_get_real_time ());
  printer = sc_printer_describe (station->printer);
  if (!(layout = sc_label_layout_new_for_profile (station->profile, payload, sc_dak_is_training (station->dak),
                                                  &error)) ||
      !(print_id = sc_store_begin_print (station->store, unit->id, kind, TRUE, reason, printer, station->operator_name,
                                         &error)))
    return fail_error (error);
  /* Recorded as the unit run records a print: a job that broke off stays
   * pending (whether a label came out is not known), and only one that sent
   * nothing may be printed again without a reason. */
  sc_printer_print (station->printer, layout, job, NULL, &print_error);
  if (!sc_store_end_print_job (station->store, print_id, print_error, &error))
    {
      if (print_error == NULL)
        g_prefix_error (&error, _("The label was printed, but the records could not say so; they show the reprint "
                                  "as pending: "));
      else
        g_prefix_error (&error, _("%s. The records could not say so either; they show the reprint as pending: "),
                        print_error->message);
      return fail_error (error);
    }
  if (print_error != NULL)
    {
      if (!sc_printer_error_sent_nothing (print_error))
        g_prefix_error (&print_error,
                        /* Translators: the first %s is "product label" or "package label" */
                        _("The %s of %s may or may not have been printed, and the records say so (print "
                          "pending); destroy any copy and print it again as a reprint with a reason. "),
                        sc_label_kind_to_display (kind), unit->serial);
      return fail_error (print_error);
    }

  /* Translators: the first %s is "product label" or "package label" */
  g_print (_("Reprinted the %s of %s (%s), recorded with the reason “%s”\n"), sc_label_kind_to_display (kind),
           unit->serial, printer, reason);
  return EXIT_OK;
}

int
cmd_export (int    argc,
            char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autofree char *store_uri = NULL, *since_text = NULL, *format = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ScStore) store = NULL;
  g_autoptr(GPtrArray) units = NULL;
  g_autofree char *manifest = NULL;
  gboolean json;
  gint64 since;
  guint n_training;
  const GOptionEntry entries[] = {
    { "store", 'S', 0, G_OPTION_ARG_STRING, &store_uri, N_("Records (default: SQLite in the data dir)"), N_("URI") },
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format, N_("csv or json"), N_("FORMAT") },
    { "since", 0, 0, G_OPTION_ARG_STRING, &since_text, N_("Only units started on or after this date"), N_("DATE") },
    { NULL }
  };
  int status;

  g_option_context_set_summary (context,
    _("Writes the manifest of completed units to standard output: serial, PID, PUK,\n"
      "certificate serial and SHA-256 fingerprint, times. No secret is in it."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse (context, &argc, &argv, &status))
    return status;
  if (argc != 1 || format == NULL || (!g_str_equal (format, "csv") && !g_str_equal (format, "json")))
    return usage_error (context, _("export needs --format csv or --format json"));
  json = g_str_equal (format, "json");
  if ((since = parse_since (since_text, &error)) < 0)
    return fail_error (error);

  if (!(store = sc_store_open (store_uri, &error)) ||
      !(units = sc_store_list_units (store, since, 0, &error)))
    return fail_error (error);

  manifest = sc_manifest_format_units (units, json ? SC_MANIFEST_JSON : SC_MANIFEST_CSV, NULL, &n_training);
  g_print ("%s", manifest);
  if (n_training > 0)
    g_printerr (ngettext ("%u unit in this manifest was signed by a training DAK (dak_type Training): it is not "
                          "valid for Frustration-Free Setup; leave it out of what you send on.\n",
                          "%u units in this manifest were signed by a training DAK (dak_type Training): they are "
                          "not valid for Frustration-Free Setup; leave them out of what you send on.\n",
                          n_training), n_training);
  return EXIT_OK;
}

int
cmd_audit (int    argc,
           char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("verify | list SERIAL"));
  g_autofree char *store_uri = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ScStore) store = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  guint64 n = 0;
  const GOptionEntry options[] = {
    { "store", 'S', 0, G_OPTION_ARG_STRING, &store_uri, N_("Records (default: SQLite in the data dir)"), N_("URI") },
    { NULL }
  };
  int status;

  g_option_context_set_summary (context,
    _("verify: walks the append-only audit log, each entry carrying the hash of the\n"
      "one before, and names the first entry that was edited, deleted or reordered.\n"
      "list SERIAL: the entries about one serial, oldest first: its runs, prints,\n"
      "reprints, and the DAK signatures issue and keygen made for it."));
  g_option_context_add_main_entries (context, options, GETTEXT_PACKAGE);
  if (!parse (context, &argc, &argv, &status))
    return status;
  if (argc == 3 && g_str_equal (argv[1], "list"))
    {
      if (!(store = sc_store_open (store_uri, &error)) ||
          !(entries = sc_store_list_audit (store, argv[2], &error)))
        return fail_error (error);
      for (guint i = 0; i < entries->len; i++)
        {
          const ScAuditEntry *entry = g_ptr_array_index (entries, i);
          g_autofree char *time = format_time (entry->time);

          g_print ("%s  %-18s %-12s %s\n", time, entry->action, entry->actor, entry->details ? entry->details : "");
        }
      return EXIT_OK;
    }
  if (argc != 2 || !g_str_equal (argv[1], "verify"))
    return usage_error (context, _("audit needs a subcommand: verify, or list SERIAL"));

  if (!(store = sc_store_open (store_uri, &error)) ||
      !sc_store_audit_verify (store, &n, &error))
    return fail_error (error);
  g_print (_("The audit log verifies: %" PRIu64 " entries, none edited, deleted or reordered\n"), n);
  return EXIT_OK;
}

int
cmd_reconcile (int    argc,
               char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autofree char *store_uri = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ScStore) store = NULL;
  ScReconciliation r = { 0 };
  const GOptionEntry entries[] = {
    { "store", 'S', 0, G_OPTION_ARG_STRING, &store_uri, N_("Records (default: SQLite in the data dir)"), N_("URI") },
    { NULL }
  };
  int status;

  g_option_context_set_summary (context,
    _("Puts DAK signatures, completed units and printed labels side by side. More\n"
      "signatures than units means certificates that never reached a unit (a crash or\n"
      "a failed write); each is in the records with its unit."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse (context, &argc, &argv, &status))
    return status;
  if (argc != 1)
    return usage_error (context, _("reconcile takes no arguments besides its options"));

  if (!(store = sc_store_open (store_uri, &error)) ||
      !sc_store_reconcile (store, &r, &error))
    return fail_error (error);
  g_print (_("DAK signatures:     %" PRIu64 " (%" PRIu64 " begun but not finished, %"
             PRIu64 " failed without a certificate)\n"),
           r.signatures, r.signatures_pending, r.signatures_failed);
  g_print (_("Units complete:     %" PRIu64 " (%" PRIu64 " failed)\n"),
           r.units_complete, r.units_failed);
  g_print (_("Labels printed:     %" PRIu64 " (%" PRIu64 " reprints, %" PRIu64
             " interrupted)\n"), r.labels_printed, r.labels_reprinted, r.prints_pending);
  if (r.signatures > r.units_complete)
    g_print (_("Unaccounted:        %" PRIu64 " signatures without a completed unit\n"),
             r.signatures - r.units_complete);
  return EXIT_OK;
}
