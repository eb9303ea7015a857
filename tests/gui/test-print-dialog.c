/* test-print-dialog.c: QA's reprint through the GTK print dialog, at true size
 *
 * A unit is provisioned on the embedded training station (made fresh in a
 * temporary $XDG_DATA_HOME), then its label is reprinted from the Units
 * page through GtkPrintOperation, exported to a PDF (GTK's own export, so
 * no printer is needed) for a printer of a given resolution. Tools nobody
 * here wrote read the PDF: pdfinfo its page, pdftoppm rasterises it,
 * dmtxread decodes the raster and says where the symbol's corners are.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "sc-core.h"
#include "sc-gui-test.h"
#include "sc-test-util.h"
#include "sc-units-page-private.h"

#define TIMEOUT_S 120
#define SERIAL "GUIPRINTDIALOG01"

static char *data_home;
static ScStation *station;

typedef struct
{
  GtkWindow   *window;
  ScUnitsPage *page;
  char        *dir;
} Fixture;

static gboolean
page_idle (gpointer data)
{
  return !sc_units_page_get_busy (data);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  GtkWidget *entry;

  f->dir = sc_test_tmpdir ();
  f->page = SC_UNITS_PAGE (g_object_ref_sink (sc_units_page_new ()));
  f->window = sc_gui_test_window (GTK_WIDGET (f->page), 1280, 800);
  sc_units_page_set_station (f->page, station);
  g_assert_true (sc_gui_test_wait (page_idle, f->page, TIMEOUT_S));

  /* The unit, found as a scanner finds it. */
  entry = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (f->page), SC_TYPE_UNITS_PAGE, "search_entry"));
  g_assert_nonnull (entry);
  gtk_editable_set_text (GTK_EDITABLE (entry), SERIAL);
  g_signal_emit_by_name (entry, "activate");
  g_assert_true (sc_gui_test_wait (page_idle, f->page, TIMEOUT_S));
  g_assert_cmpstr (sc_units_page_get_serial (f->page), ==, SERIAL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gtk_window_destroy (f->window);
  g_assert_finalize_object (f->page);
  sc_test_rmdir (f->dir);
  g_free (f->dir);
}

/* ------------------------------------------------------------- helpers */

static GPtrArray *
list_prints (void)
{
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *prints;

  unit = sc_store_find_unit (station->store, NULL, SERIAL, &error);
  g_assert_no_error (error);
  prints = sc_store_list_prints (station->store, unit->id, &error);
  g_assert_no_error (error);
  return prints;
}

/* The label's payload, rebuilt from the records as the station makes it. */
static char *
expected_payload (ScLabelKind kind)
{
  const ScLabelSettings *settings = sc_profile_get_label_settings (station->profile);
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autoptr(ScPayload) payload = sc_payload_new (kind);
  g_autoptr(GError) error = NULL;
  char *text;

  unit = sc_store_find_unit (station->store, NULL, SERIAL, &error);
  g_assert_no_error (error);
  payload->serial = settings->include_serial ? g_strdup (unit->serial) : NULL;
  payload->pid = g_strdup (unit->pid);
  payload->puk = g_strdup (unit->puk);
  payload->trailing_semicolon = settings->trailing_semicolon;
  if (kind == SC_LABEL_KIND_PRODUCT)
    {
      g_autoptr(ScSecret) pin = sc_station_secret_open_pin (station->secret, unit->serial, unit->pin_sealed, &error);

      g_assert_no_error (error);
      payload->pin = g_strdup (sc_secret_get_string (pin));
    }
  else
    payload->upc = g_strdup (settings->package_code);
  text = sc_payload_to_string (payload, &error);
  g_assert_no_error (error);
  return text;
}

/* The label as the line's own printer gets it. */
static ScLabelLayout *
expected_layout (ScLabelKind kind)
{
  g_autofree char *text = expected_payload (kind);
  g_autoptr(ScPayload) payload = NULL;
  g_autoptr(GError) error = NULL;
  ScLabelLayout *layout;

  payload = sc_payload_parse (text, NULL, &error);
  g_assert_no_error (error);
  layout = sc_label_layout_new_for_profile (station->profile, payload, TRUE, &error);
  g_assert_no_error (error);
  return layout;
}

static char *
run_tool (const char * const *argv,
          char              **err)
{
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, err, &status, &error);
  g_assert_no_error (error);
  g_spawn_check_wait_status (status, &error);
  g_assert_no_error (error);
  return out;
}

/* pdfinfo's page size, in points. */
static void
pdf_page_size (const char *pdf,
               double     *width,
               double     *height)
{
  const char *argv[] = { "pdfinfo", pdf, NULL };
  g_autofree char *out = run_tool (argv, NULL);
  const char *line = strstr (out, "Page size:");
  g_autofree char *pages = NULL;

  g_assert_nonnull (strstr (out, "Pages:"));
  pages = g_strstrip (g_strndup (strstr (out, "Pages:") + 6, strcspn (strstr (out, "Pages:") + 6, "\n")));
  g_assert_cmpstr (pages, ==, "1");
  g_assert_nonnull (line);
  g_assert_cmpint (sscanf (line, "Page size: %lf x %lf pts", width, height), ==, 2);
}

/* dmtxread's reading of @png, and the symbol's side in pixels measured
 * from the corners it reports on stderr, "x0,y0:x1,y1:x2,y2:x3,y3:" (they
 * sit on the outer modules' last pixels: the side is their distance plus
 * one pixel). */
static char *
decode_raster (const char *png,
               double     *side_px)
{
  const char *argv[] = { "dmtxread", "-n", "-N", "1", "-R", png, NULL };
  g_autofree char *err = NULL;
  char *out = run_tool (argv, &err);
  int x[4], y[4];

  g_assert_cmpint (sscanf (err, "%d,%d:%d,%d:%d,%d:%d,%d:", &x[0], &y[0], &x[1], &y[1], &x[2], &y[2],
                           &x[3], &y[3]), ==, 8);
  *side_px = (hypot (x[1] - x[0], y[1] - y[0]) + hypot (x[2] - x[1], y[2] - y[1])) / 2 + 1;
  g_strchomp (out);
  return out;
}

/* Asks for the reason as a person does, then lets the export run. */
static void
print_on (Fixture    *f,
          const char *kind)
{
  g_autofree char *action = g_strconcat ("units.print-on-", kind, NULL);
  GListModel *toplevels = gtk_window_get_toplevels ();
  AdwMessageDialog *dialog = NULL;

  gtk_widget_activate_action (GTK_WIDGET (f->page), action, NULL);
  for (guint i = 0; dialog == NULL && i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        dialog = ADW_MESSAGE_DIALOG (window);
    }
  g_assert_nonnull (dialog);
  g_assert_true (adw_message_dialog_has_response (dialog, "reprint"));
  /* The first reason, as offered. */
  adw_message_dialog_response (dialog, "reprint");
  g_assert_true (sc_units_page_get_busy (f->page));
  g_assert_true (sc_gui_test_wait (page_idle, f->page, TIMEOUT_S));
}

/* --------------------------------------------------------------- tests */

/* At a whole multiple of the label's resolution: the label itself, every
 * dot two printer dots, on a page the label's size. */
static void
test_true_size_600 (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *pdf = g_build_filename (f->dir, "label.pdf", NULL);
  g_autofree char *base = g_build_filename (f->dir, "label-600", NULL);
  g_autofree char *png = g_strconcat (base, ".png", NULL);
  g_autofree char *payload = expected_payload (SC_LABEL_KIND_PRODUCT);
  g_autofree char *decoded = NULL;
  g_autoptr(ScLabelLayout) layout = expected_layout (SC_LABEL_KIND_PRODUCT);
  g_autoptr(GPtrArray) before = list_prints ();
  g_autoptr(GPtrArray) after = NULL;
  const ScGeometry *g = sc_label_layout_get_geometry (layout);
  const char *raster[] = { "pdftoppm", "-r", "600", "-png", "-singlefile", pdf, base, NULL };
  ScPrintRecord *p;
  double width, height, side;
  guint w, h;

  _sc_units_page_set_print_export (f->page, pdf, 600);
  print_on (f, "product");

  /* Recorded as a reprint on the print dialog, with its reason. */
  after = list_prints ();
  g_assert_cmpuint (after->len, ==, before->len + 1);
  p = g_ptr_array_index (after, after->len - 1);
  g_assert_true (p->reprint);
  g_assert_cmpint (p->kind, ==, SC_LABEL_KIND_PRODUCT);
  g_assert_cmpint (p->status, ==, SC_PRINT_DONE);
  g_assert_cmpstr (p->reason, ==, "Smudged");
  g_assert_cmpstr (p->printer, ==, "GTK print dialog: PDF file label.pdf");

  /* The page is the label, to a hundredth of a point. */
  sc_label_layout_get_size (layout, &w, &h);
  pdf_page_size (pdf, &width, &height);
  g_test_message ("label %u x %u dots at %u dpi; PDF page %.2f x %.2f pt", w, h, g->dpi, width, height);
  g_assert_cmpfloat_with_epsilon (width, w * 72.0 / g->dpi, 0.01);
  g_assert_cmpfloat_with_epsilon (height, h * 72.0 / g->dpi, 0.01);

  /* Rasterised at the printer's resolution, it decodes to the unit's
   * payload, and the symbol is its true size: two pixels a dot. */
  g_free (run_tool (raster, NULL));
  decoded = decode_raster (png, &side);
  g_assert_cmpstr (decoded, ==, payload);
  g_test_message ("symbol %u dots = %.2f mm; %.1f px at 600 dpi = %.2f mm", g->symbol_dots, g->symbol_mm, side,
                  side * 25.4 / 600);
  g_assert_cmpfloat (fabs (side - 2.0 * g->symbol_dots), <=, 2.0);
}

/* At a resolution the label's is no multiple of: laid out again with the
 * nearest whole number of the printer's dots per module, never below the
 * minimum, and verified. */
static void
test_true_size_203 (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *pdf = g_build_filename (f->dir, "label-203.pdf", NULL);
  g_autofree char *base = g_build_filename (f->dir, "label-609", NULL);
  g_autofree char *png = g_strconcat (base, ".png", NULL);
  g_autofree char *payload = expected_payload (SC_LABEL_KIND_PACKAGE);
  g_autofree char *decoded = NULL;
  g_autoptr(ScLabelLayout) layout = expected_layout (SC_LABEL_KIND_PACKAGE);
  g_autoptr(GPtrArray) after = NULL;
  const ScGeometry *g = sc_label_layout_get_geometry (layout);
  /* Three pixels a dot of the 203 dpi printer. */
  const char *raster[] = { "pdftoppm", "-r", "609", "-png", "-singlefile", pdf, base, NULL };
  ScGeometry at;
  ScPrintRecord *p;
  double width, height, side;
  guint dots;

  _sc_units_page_set_print_export (f->page, pdf, 203);
  print_on (f, "package");

  after = list_prints ();
  p = g_ptr_array_index (after, after->len - 1);
  g_assert_true (p->reprint);
  g_assert_cmpint (p->kind, ==, SC_LABEL_KIND_PACKAGE);
  g_assert_cmpint (p->status, ==, SC_PRINT_DONE);

  /* What a 203 dpi printer does best: the module nearest the label's. */
  sc_geometry_compute (g->modules, 203, g->min_mm, &at);
  dots = MAX ((guint) lround (g->module_mm * 203 / 25.4), at.dots_per_module);
  g_test_message ("label: %u dots a module at %u dpi (%.3f mm); at 203 dpi: %u dots (%.3f mm)", g->dots_per_module,
                  g->dpi, g->module_mm, dots, dots * 25.4 / 203);
  g_assert_cmpfloat (dots * g->modules * 25.4 / 203, >=, g->min_mm);

  g_free (run_tool (raster, NULL));
  decoded = decode_raster (png, &side);
  g_assert_cmpstr (decoded, ==, payload);
  g_test_message ("symbol: %.1f px at 609 dpi = %.2f mm, expected %u x %u x 3 px", side, side * 25.4 / 609,
                  g->modules, dots);
  g_assert_cmpfloat (fabs (side - 3.0 * dots * g->modules), <=, 2.0);

  /* The page is the label as laid out for that printer, at true size. */
  {
    const ScLabelSettings *settings = sc_profile_get_label_settings (station->profile);
    g_autoptr(ScLabelLayout) at_203 = NULL;
    g_autoptr(GError) error = NULL;
    guint w, h, w203, h203;

    at_203 = sc_label_layout_new (SC_LABEL_KIND_PACKAGE, sc_label_layout_get_symbol (layout), 203,
                                  (dots - 0.5) * g->modules * 25.4 / 203, settings->icon_path,
                                  settings->include_serial ? SERIAL : NULL, settings->package_code, TRUE, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (sc_label_layout_get_geometry (at_203)->dots_per_module, ==, dots);
    sc_label_layout_get_size (layout, &w, &h);
    sc_label_layout_get_size (at_203, &w203, &h203);
    pdf_page_size (pdf, &width, &height);
    g_test_message ("PDF page %.2f x %.2f mm; the label at 203 dpi %.2f x %.2f mm, at %u dpi %.2f x %.2f mm",
                    width * 25.4 / 72, height * 25.4 / 72, w203 * 25.4 / 203, h203 * 25.4 / 203, g->dpi,
                    w * 25.4 / g->dpi, h * 25.4 / g->dpi);
    g_assert_cmpfloat_with_epsilon (width, w203 * 72.0 / 203, 0.01);
    g_assert_cmpfloat_with_epsilon (height, h203 * 72.0 / 203, 0.01);
  }
}

/* Without a reason, nothing is printed or recorded; nor for a unit whose
 * labels were never made. */
static void
test_needs_reason (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *pdf = g_build_filename (f->dir, "none.pdf", NULL);
  g_autoptr(GPtrArray) before = list_prints ();
  g_autoptr(GPtrArray) after = NULL;

  _sc_units_page_set_print_export (f->page, pdf, 600);
  gtk_widget_activate_action (GTK_WIDGET (f->page), "units.print-on", "(ss)", "product", "   ");
  g_assert_false (sc_units_page_get_busy (f->page));
  g_assert_false (g_file_test (pdf, G_FILE_TEST_EXISTS));
  after = list_prints ();
  g_assert_cmpuint (after->len, ==, before->len);
}

/* QA only, once the station has users: the same gate as the reprint. */
static void
test_refused (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *pdf = g_build_filename (f->dir, "refused.pdf", NULL);
  g_autoptr(GPtrArray) before = list_prints ();
  g_autoptr(GPtrArray) after = NULL;
  GtkWidget *button = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (f->page), SC_TYPE_UNITS_PAGE,
                                                                 "product_print_on_button"));

  g_assert_true (gtk_widget_get_sensitive (button));
  sc_units_page_set_user (f->page, "op1", "Only QA may reprint labels.");
  g_assert_true (sc_gui_test_wait (page_idle, f->page, TIMEOUT_S));
  g_assert_false (gtk_widget_get_sensitive (button));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (button), ==, "Only QA may reprint labels.");

  _sc_units_page_set_print_export (f->page, pdf, 600);
  gtk_widget_activate_action (GTK_WIDGET (f->page), "units.print-on", "(ss)", "product", "Smudged");
  g_assert_false (sc_units_page_get_busy (f->page));
  g_assert_false (g_file_test (pdf, G_FILE_TEST_EXISTS));
  after = list_prints ();
  g_assert_cmpuint (after->len, ==, before->len);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(ScUnitRun) run = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  data_home = sc_gui_test_init (&argc, &argv);
  station = sc_gui_test_station (NULL, NULL);
  run = sc_unit_run_new (station, SERIAL);
  g_assert_true (sc_unit_run_run (run, NULL, &error));
  g_assert_no_error (error);

  g_test_add ("/sc/print-dialog/true-size-600", Fixture, NULL, fixture_setup, test_true_size_600, fixture_teardown);
  g_test_add ("/sc/print-dialog/true-size-203", Fixture, NULL, fixture_setup, test_true_size_203, fixture_teardown);
  g_test_add ("/sc/print-dialog/needs-reason", Fixture, NULL, fixture_setup, test_needs_reason, fixture_teardown);
  g_test_add ("/sc/print-dialog/refused", Fixture, NULL, fixture_setup, test_refused, fixture_teardown);

  status = g_test_run ();
  g_clear_object (&run);
  sc_station_free (station);
  sc_gui_test_cleanup (data_home);
  return status;
}
