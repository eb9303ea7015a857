/* sc-cli-print.c: the printer's test label, and units waiting to print
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "sc-cli.h"

static char *
format_time (gint64 us)
{
  g_autoptr(GDateTime) t = us ? g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC) : NULL;

  return t ? g_date_time_format (t, "%Y-%m-%d %H:%M:%SZ") : g_strdup ("-");
}

int
cmd_print_test_label (int    argc,
                      char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autofree char *profile_path = NULL, *printer_uri = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ScProfile) profile = NULL;
  g_autoptr(ScPrinter) printer = NULL;
  g_autoptr(ScLabelLayout) layout = NULL;
  g_autofree char *described = NULL, *geometry = NULL, *name = NULL, *darkness = NULL, *stock = NULL;
  const ScPrinterSettings *settings;
  const ScGeometry *g;
  guint w, h;
  const GOptionEntry entries[] = {
    { "profile", 'p', 0, G_OPTION_ARG_FILENAME, &profile_path, N_("Product profile (default: the embedded training profile)"), N_("FILE") },
    { "printer", 'P', 0, G_OPTION_ARG_STRING, &printer_uri, N_("Printer (default: the profile’s, else PNG files in the data dir)"), N_("URI") },
    { NULL }
  };
  int status;

  g_option_context_set_summary (context,
    _("Prints a calibration label on the printer, with the profile’s calibration:\n"
      "the symbol at the size the product’s labels get, its top-left corner 10 mm\n"
      "from the label’s top-left corner, millimetre rulers along the top and left\n"
      "edges, and a border on the label’s edge. Check size and offset with a ruler,\n"
      "and the symbol with a scanner; it holds a test text, never a unit’s data."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse (context, &argc, &argv, &status))
    return status;
  if (argc != 1)
    return usage_error (context, _("print-test-label takes no arguments besides its options"));

  if (!(profile = load_profile (profile_path, &error)) ||
      !(printer = sc_printer_open_for_profile (profile, printer_uri, &error)) ||
      !(layout = sc_label_layout_new_test (profile, &error)))
    return fail_error (error);

  name = g_strdup_printf ("test-label-%" G_GINT64_FORMAT, g_get_real_time ());
  described = sc_printer_describe (printer);
  if (!sc_printer_print (printer, layout, name, NULL, &error))
    return fail_error (error);

  g = sc_label_layout_get_geometry (layout);
  geometry = sc_geometry_describe (g);
  settings = sc_printer_get_settings (printer);
  sc_label_layout_get_size (layout, &w, &h);
  g_print (_("Printed a test label on %s\n"), described);
  g_print (_("Label:    %u x %u dots = %.1f x %.1f mm\n"), w, h, w * 25.4 / g->dpi, h * 25.4 / g->dpi);
  g_print (_("Symbol:   %ux%u, %s\n"), g->modules, g->modules, geometry);
  g_print (_("Expect:   the symbol’s top-left corner 10 mm right of and 10 mm below the label’s; "
             "it reads “%s”\n"), sc_symbol_get_payload (sc_label_layout_get_symbol (layout)));
  if (settings != NULL)
    {
      darkness = settings->darkness >= 0 ? g_strdup_printf ("%d", settings->darkness) : g_strdup (_("the printer’s"));
      stock = settings->width || settings->length
              ? g_strdup_printf ("%.1f x %.1f mm", settings->width * 25.4 / g->dpi, settings->length * 25.4 / g->dpi)
              : g_strdup (_("as the label"));
      g_print (_("Settings: offset %+d, %+d dots, darkness %s, stock %s (ZPL)\n"), settings->x_offset,
               settings->y_offset, darkness, stock);
    }
  return EXIT_OK;
}

/* Prints what a waiting unit still needs, label by label. */
static gboolean
show_waiting_unit (ScStore       *store,
                   ScUnitRecord  *unit,
                   gboolean       has_package,
                   GError       **error)
{
  g_autoptr(GPtrArray) prints = sc_store_list_prints (store, unit->id, error);
  g_autofree char *since = format_time (unit->updated);

  if (prints == NULL)
    return FALSE;
  g_print (_("%s  waiting since %s\n"), unit->serial, since);
  for (ScLabelKind kind = SC_LABEL_KIND_PRODUCT; kind <= SC_LABEL_KIND_PACKAGE; kind++)
    {
      const ScPrintRecord *last = NULL;
      ScPrintStatus status = sc_print_records_get_label_status (prints, kind, &last);
      const char *what;

      if (kind == SC_LABEL_KIND_PACKAGE && !has_package && last == NULL)
        continue;
      switch (status)
        {
        case SC_PRINT_DONE:
          what = _("printed");
          break;
        case SC_PRINT_PENDING:
          what = _("may or may not have printed: find or destroy it, then retry with --reason");
          break;
        case SC_PRINT_NOT_SENT:
        case SC_PRINT_FAILED:
        default:
          what = last != NULL ? _("not printed, nothing was sent") : _("not printed yet");
          break;
        }
      /* Translators: a line under a unit waiting to print: "product label: printed" */
      g_print (_("  %s: %s\n"), sc_label_kind_to_display (kind), what);
      if (status != SC_PRINT_DONE && last != NULL && last->error != NULL)
        g_print ("    %s\n", last->error);
    }
  return TRUE;
}

static int
retry (ScStation  *station,
       const char *serial,
       const char *reason)
{
  g_autoptr(ScUnitRun) run = sc_unit_run_new (station, serial);
  g_autoptr(GError) error = NULL;

  sc_unit_run_set_print_only (run, TRUE);
  if (reason != NULL)
    sc_unit_run_set_reprint_reason (run, reason);
  cli_print_steps (run);

  g_print (_("Unit %s\n"), serial);
  if (!sc_unit_run_run (run, NULL, &error))
    {
      g_print (_("FAIL %s: %s\n"), serial, error->message);
      return exit_status_for (error);
    }
  g_print (_("PASS %s: its labels are printed\n"), serial);
  return EXIT_OK;
}

int
cmd_print_pending (int    argc,
                   char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autofree char *profile_path = NULL, *store_uri = NULL, *printer_uri = NULL, *serial = NULL, *reason = NULL;
  gboolean all = FALSE;
  g_autoptr(GError) error = NULL;
  g_autoptr(ScStation) station = NULL;
  g_autoptr(GPtrArray) units = NULL;
  g_autoptr(GPtrArray) waiting = g_ptr_array_new ();
  ScUnitQuery query = { 0, 0, SC_UNIT_RESULT_IN_PROGRESS, NULL, 0 };
  const GOptionEntry entries[] = {
    { "profile", 'p', 0, G_OPTION_ARG_FILENAME, &profile_path, N_("Product profile (default: the embedded training profile)"), N_("FILE") },
    { "store", 'S', 0, G_OPTION_ARG_STRING, &store_uri, N_("Records (default: SQLite in the data dir)"), N_("URI") },
    { "printer", 'P', 0, G_OPTION_ARG_STRING, &printer_uri, N_("Printer for the retry (default: the profile’s, else PNG files in the data dir)"), N_("URI") },
    { "retry", 'r', 0, G_OPTION_ARG_STRING, &serial, N_("Print the unit’s missing labels now"), N_("SERIAL") },
    { "all", 'a', 0, G_OPTION_ARG_NONE, &all, N_("Retry every unit that waits to print"), NULL },
    { "reason", 0, 0, G_OPTION_ARG_STRING, &reason, N_("Print again, as a reprint with this reason, a label that may or may not have printed"), N_("REASON") },
    { NULL }
  };
  int status = EXIT_OK;
  guint n_waiting = 0;

  g_option_context_set_summary (context,
    _("Lists the units that wait to print: their labels were made and verified, but\n"
      "the printer was not ready (offline, out of paper, head open, paused) or the\n"
      "station stopped, so they have not passed. --retry prints a unit’s missing\n"
      "labels from the records, the unit need not be on the fixture, and passes it;\n"
      "--printer sends them elsewhere. A label that may or may not have printed (its\n"
      "job broke off) is printed again only with --reason, recorded as a reprint."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse (context, &argc, &argv, &status))
    return status;
  if (argc != 1)
    return usage_error (context, _("print-pending takes no arguments besides its options"));
  if (serial != NULL && all)
    return usage_error (context, _("give either --retry SERIAL or --all"));
  if (reason != NULL && g_strstrip (reason)[0] == '\0')
    return usage_error (context, _("--reason needs a reason"));
  if (reason != NULL && serial == NULL)
    return usage_error (context, _("--reason goes with --retry SERIAL: someone checked that unit’s labels"));

  /* Nothing is signed: the DAK is only asked for its certificate. */
  station = open_station (profile_path, NULL, NULL, FALSE, store_uri, NULL, printer_uri, &error);
  if (station == NULL)
    return fail_error (error);

  if (serial != NULL)
    return retry (station, serial, reason);

  units = sc_store_search_units (station->store, &query, &error);
  if (units == NULL)
    return fail_error (error);
  for (guint i = units->len; i > 0; i--)
    {
      ScUnitRecord *unit = g_ptr_array_index (units, i - 1);

      if (unit->state == SC_UNIT_LABELLED &&
          g_strcmp0 (unit->product, sc_profile_get_device_type_id (station->profile)) == 0)
        g_ptr_array_add (waiting, unit);
    }

  if (!all)
    {
      gboolean has_package = sc_profile_get_label_settings (station->profile)->package_code != NULL;

      for (guint i = 0; i < waiting->len; i++)
        if (!show_waiting_unit (station->store, g_ptr_array_index (waiting, i), has_package, &error))
          return fail_error (error);
      if (waiting->len == 0)
        g_print (_("No unit waits to print.\n"));
      else
        g_print (g_dngettext (GETTEXT_PACKAGE, "%u unit waits to print; print its labels with --retry SERIAL "
                              "(or --all), on another printer with --printer URI.\n",
                              "%u units wait to print; print their labels with --retry SERIAL (or --all), "
                              "on another printer with --printer URI.\n", waiting->len), waiting->len);
      return EXIT_OK;
    }

  /* Oldest first; a unit that cannot go on keeps waiting, the rest go on. */
  for (guint i = 0; i < waiting->len; i++)
    {
      ScUnitRecord *unit = g_ptr_array_index (waiting, i);
      int unit_status = retry (station, unit->serial, NULL);

      if (unit_status != EXIT_OK)
        {
          status = status ? status : unit_status;
          n_waiting++;
        }
    }
  g_print (_("%u of %u units printed\n"), waiting->len - n_waiting, waiting->len);
  return status;
}
