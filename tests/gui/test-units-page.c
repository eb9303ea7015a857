/* test-units-page.c: the QA view finds, shows, reprints and verifies real units
 *
 * The units are provisioned first through the core (ScUnitRun) on the
 * embedded training station, made fresh in a temporary $XDG_DATA_HOME: its
 * training DAK, SQLite store, file printer and the in-process simulated
 * unit, all real code. The page is then given the same station, as the
 * window gives it the Provision page's: one store in the process.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <string.h>

#include <glib/gi18n.h>

#include "sc-core.h"
#include "sc-gui-test.h"
#include "sc-label-preview.h"
#include "sc-step-row.h"
#include "sc-units-page.h"

#define TIMEOUT_S 120

#define PASS_SERIAL  "GUIUNITSPASS0001"
#define OTHER_SERIAL "GUIUNITSPASS0002"
#define FAIL_SERIAL  "GUIUNITSFAIL0001"
/* What the fixture holds while FAIL_SERIAL is scanned: the run stops at
 * "connect", before anything is written, and the unit is marked failed. */
#define WRONG_UNIT_URI "sim:?serial=GUIUNITSOTHER001"

static char *data_home;
static ScStation *station;

typedef struct
{
  GtkWindow   *window;
  ScUnitsPage *page;
} Fixture;

/* ----------------------------------------------------------- the station */

static ScStation *
open_station (void)
{
  g_autoptr(ScProfile) profile = NULL;
  g_autoptr(ScDak) dak = NULL;
  g_autoptr(ScStore) store = NULL;
  g_autoptr(ScStationSecret) secret = NULL;
  g_autoptr(ScPrinter) printer = NULL;
  g_autofree char *data_dir = sc_defaults_get_data_dir ();
  g_autofree char *key_path = g_build_filename (data_dir, "station.key", NULL);
  g_autoptr(GError) error = NULL;

  profile = sc_defaults_load_training_profile (&error);
  g_assert_no_error (error);
  dak = sc_dak_new_for_profile (profile, &error);
  g_assert_no_error (error);
  store = sc_store_open (NULL, &error);
  g_assert_no_error (error);
  secret = sc_station_secret_load (key_path, &error);
  g_assert_no_error (error);
  printer = sc_printer_open (NULL, &error);
  g_assert_no_error (error);
  return sc_station_new (profile, dak, store, secret, printer, NULL, NULL);
}

static gboolean
provision (const char *serial,
           const char *device_uri)
{
  g_autoptr(ScStation) at = sc_station_new (station->profile, station->dak, station->store, station->secret,
                                            station->printer, device_uri, NULL);
  g_autoptr(ScUnitRun) run = sc_unit_run_new (at, serial);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = sc_unit_run_run (run, NULL, &error);
  g_assert_true (ok == (error == NULL));
  return ok;
}

static ScUnitRecord *
find_unit (const char *serial)
{
  g_autoptr(GError) error = NULL;
  ScUnitRecord *record;

  record = sc_store_find_unit (station->store, NULL, serial, &error);
  g_assert_no_error (error);
  return record;
}

static GPtrArray *
list_prints (const char *serial)
{
  g_autoptr(ScUnitRecord) unit = find_unit (serial);
  g_autoptr(GError) error = NULL;
  GPtrArray *prints;

  prints = sc_store_list_prints (station->store, unit->id, &error);
  g_assert_no_error (error);
  return prints;
}

/* The PIN, unsealed the way the station does it, to prove it is nowhere on
 * screen. */
static char *
unit_pin (const char *serial)
{
  g_autoptr(ScUnitRecord) unit = find_unit (serial);
  g_autoptr(ScSecret) pin = NULL;
  g_autoptr(GError) error = NULL;

  pin = sc_station_secret_open_pin (station->secret, serial, unit->pin_sealed, &error);
  g_assert_no_error (error);
  return g_strdup (sc_secret_get_string (pin));
}

static char *
label_path (const char *name)
{
  g_autofree char *data_dir = sc_defaults_get_data_dir ();
  g_autofree char *file = g_strconcat (name, ".png", NULL);

  return g_build_filename (data_dir, "labels", file, NULL);
}

/* ------------------------------------------------------------- the page */

static GtkWidget *
child (ScUnitsPage *page,
       const char  *name)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (page), SC_TYPE_UNITS_PAGE, name);

  g_assert_nonnull (object);
  return GTK_WIDGET (object);
}

static const char *
label_text (ScUnitsPage *page,
            const char  *name)
{
  return gtk_label_get_label (GTK_LABEL (child (page, name)));
}

static const char *
content (Fixture *f)
{
  return gtk_stack_get_visible_child_name (GTK_STACK (child (f->page, "content_stack")));
}

static gboolean
page_ready (gpointer data)
{
  return sc_units_page_get_ready (data);
}

static gboolean
page_idle (gpointer data)
{
  return !sc_units_page_get_busy (data);
}

static gboolean
preview_drawn (gpointer data)
{
  return sc_label_preview_get_pixels_per_dot (data) > 0;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->page = SC_UNITS_PAGE (g_object_ref_sink (sc_units_page_new ()));
  f->window = sc_gui_test_window (GTK_WIDGET (f->page), 1280, 800);

  g_assert_false (sc_units_page_get_ready (f->page));
  sc_units_page_set_station (f->page, station);
  g_assert_true (sc_units_page_get_ready (f->page));
  g_assert_true (sc_gui_test_wait (page_idle, f->page, TIMEOUT_S));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gtk_window_destroy (f->window);
  g_assert_finalize_object (f->page);
}

/* What a keyboard-wedge scanner does: types the serial, then Enter. */
static void
search (Fixture    *f,
        const char *serial)
{
  GtkWidget *entry = child (f->page, "search_entry");

  gtk_editable_set_text (GTK_EDITABLE (entry), serial);
  g_signal_emit_by_name (entry, "activate");
  g_assert_true (sc_units_page_get_busy (f->page));
  g_assert_true (sc_gui_test_wait (page_idle, f->page, TIMEOUT_S));
}

static guint
count_rows (GtkWidget  *list,
            const char *css_class)
{
  GtkListBoxRow *row;
  guint n = 0;

  for (int i = 0; (row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), i)) != NULL; i++)
    n += css_class == NULL || gtk_widget_has_css_class (GTK_WIDGET (row), css_class);
  return n;
}

static GtkWidget *
find_row (GtkWidget  *list,
          const char *title)
{
  GtkListBoxRow *row;

  for (int i = 0; (row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), i)) != NULL; i++)
    if (ADW_IS_PREFERENCES_ROW (row) &&
        g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), title) == 0)
      return GTK_WIDGET (row);
  return NULL;
}

/* No label or field anywhere in @widget shows @secret. */
static void
assert_not_shown (GtkWidget  *widget,
                  const char *secret)
{
  const char *text = NULL;

  if (GTK_IS_LABEL (widget))
    text = gtk_label_get_label (GTK_LABEL (widget));
  else if (GTK_IS_EDITABLE (widget))
    text = gtk_editable_get_text (GTK_EDITABLE (widget));
  if (text != NULL)
    g_assert_null (strstr (text, secret));

  for (GtkWidget *w = gtk_widget_get_first_child (widget); w != NULL; w = gtk_widget_get_next_sibling (w))
    assert_not_shown (w, secret);
}

static GtkWidget *
find_descendant (GtkWidget *widget,
                 GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *w = gtk_widget_get_first_child (widget); w != NULL; w = gtk_widget_get_next_sibling (w))
    {
      GtkWidget *found = find_descendant (w, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static AdwMessageDialog *
find_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  AdwMessageDialog *dialog = NULL;

  for (guint i = 0; dialog == NULL && i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        dialog = ADW_MESSAGE_DIALOG (window);
    }
  return dialog;
}

/* A response button, clicked as a person does: the dialog closes, then
 * answers. */
static GtkWidget *
find_button (GtkWidget  *widget,
             const char *label)
{
  if (GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0)
    return widget;
  for (GtkWidget *w = gtk_widget_get_first_child (widget); w != NULL; w = gtk_widget_get_next_sibling (w))
    {
      GtkWidget *found = find_button (w, label);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
click (AdwMessageDialog *dialog,
       const char       *label)
{
  GtkWidget *button = find_button (GTK_WIDGET (dialog), label);

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

static gboolean
no_dialog (gpointer data)
{
  return find_dialog () == NULL;
}

/* --------------------------------------------------------------- tests */

/* On its own, the page opens the embedded station itself. */
static void
test_opens_default_station (void)
{
  ScUnitsPage *page = SC_UNITS_PAGE (g_object_ref_sink (sc_units_page_new ()));
  GtkWindow *window = sc_gui_test_window (GTK_WIDGET (page), 1280, 800);
  GtkWidget *list;

  /* Nothing to search before the station is open. */
  gtk_widget_activate_action (GTK_WIDGET (page), "units.search", "s", PASS_SERIAL);
  g_assert_false (sc_units_page_get_busy (page));
  sc_units_page_open_default_station (page);
  g_assert_true (sc_gui_test_wait (page_ready, page, TIMEOUT_S));
  g_assert_true (sc_gui_test_wait (page_idle, page, TIMEOUT_S));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (child (page, "stack"))), ==, "station");
  list = child (page, "recent_list");
  g_assert_nonnull (find_row (list, PASS_SERIAL));

  gtk_window_destroy (window);
  g_assert_finalize_object (page);
}

static void
test_search_shows_unit (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(ScUnitRecord) record = find_unit (PASS_SERIAL);
  g_autofree char *pin = unit_pin (PASS_SERIAL);
  ScLabelPreview *product = SC_LABEL_PREVIEW (child (f->page, "product_preview"));
  ScLabelPreview *package = SC_LABEL_PREVIEW (child (f->page, "package_preview"));
  GtkWidget *steps = child (f->page, "step_list");
  GtkListBoxRow *row;

  g_assert_null (sc_units_page_get_serial (f->page));
  search (f, PASS_SERIAL);

  g_assert_cmpstr (content (f), ==, "unit");
  g_assert_cmpstr (sc_units_page_get_serial (f->page), ==, PASS_SERIAL);
  g_assert_cmpstr (label_text (f->page, "status_label"), ==, "PASS");
  g_assert_true (gtk_widget_has_css_class (child (f->page, "status_box"), "pass"));
  g_assert_cmpstr (label_text (f->page, "serial_label"), ==, PASS_SERIAL);
  g_assert_cmpstr (label_text (f->page, "state_label"), ==, "State: complete");
  g_assert_false (gtk_widget_get_visible (child (f->page, "failure_label")));

  /* The record's key and certificate, the certificate parsed from its PEM. */
  g_assert_cmpstr (label_text (f->page, "puk_value"), ==, record->puk);
  g_assert_cmpstr (label_text (f->page, "key_sha_value"), ==, record->public_key_sha256);
  g_assert_cmpstr (label_text (f->page, "cert_serial_value"), ==, record->cert_serial);
  /* The subject, attribute by attribute, with the OIDs of the FFS arc. */
  g_assert_nonnull (strstr (label_text (f->page, "cert_subject_value"), "DSN (1.3.6.1.4.1.4843.1.1): " PASS_SERIAL));
  g_assert_nonnull (strstr (label_text (f->page, "cert_subject_value"),
                            "DeviceTypeId (1.3.6.1.4.1.4843.1.3): TRAININGDEVICE"));
  g_assert_nonnull (strstr (label_text (f->page, "cert_validity_value"), " to "));
  g_assert_true (gtk_widget_has_css_class (child (f->page, "chain_value"), "success"));
  g_assert_cmpstr (label_text (f->page, "dak_value"), ==, record->dak);

  /* Every step, done, with its time. */
  g_assert_cmpuint (count_rows (steps, NULL), ==, SC_N_STEPS);
  for (int i = 0; (row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (steps), i)) != NULL; i++)
    {
      g_assert_cmpint (sc_step_row_get_step (SC_STEP_ROW (row)), ==, i);
      g_assert_cmpint (sc_step_row_get_state (SC_STEP_ROW (row)), ==, SC_STEP_ROW_DONE);
      g_assert_cmpint (sc_step_row_get_duration (SC_STEP_ROW (row)), >=, 0);
    }
  /* Both first prints. */
  g_assert_cmpuint (count_rows (child (f->page, "print_list"), "sc-print-done"), ==, 2);

  /* Both labels, rebuilt from the records and drawn. */
  g_assert_nonnull (sc_label_preview_get_layout (product));
  g_assert_cmpint (sc_label_layout_get_kind (sc_label_preview_get_layout (product)), ==, SC_LABEL_KIND_PRODUCT);
  g_assert_nonnull (sc_label_preview_get_layout (package));
  g_assert_cmpint (sc_label_layout_get_kind (sc_label_preview_get_layout (package)), ==, SC_LABEL_KIND_PACKAGE);
  g_assert_true (sc_gui_test_wait (preview_drawn, product, TIMEOUT_S));
  g_assert_true (sc_gui_test_wait (preview_drawn, package, TIMEOUT_S));

  g_assert_true (gtk_widget_get_sensitive (child (f->page, "product_reprint_button")));
  g_assert_true (gtk_widget_get_sensitive (child (f->page, "package_reprint_button")));
  g_assert_true (gtk_widget_get_visible (child (f->page, "back_button")));

  /* The PIN is on the product label's symbol, never in text. */
  assert_not_shown (GTK_WIDGET (f->page), pin);

  /* A serial nobody provisioned. */
  search (f, "NOSUCHUNIT000001");
  g_assert_cmpstr (content (f), ==, "not-found");
  g_assert_null (sc_units_page_get_serial (f->page));
  g_assert_false (gtk_widget_get_sensitive (child (f->page, "product_reprint_button")));

  /* An empty search: the recent units again. */
  search (f, "");
  g_assert_cmpstr (content (f), ==, "recent");
}

static void
test_recent_list (Fixture       *f,
                  gconstpointer  data)
{
  GtkWidget *list = child (f->page, "recent_list");
  GtkWidget *entry = child (f->page, "search_entry");
  const char *newest_first[] = { FAIL_SERIAL, OTHER_SERIAL, PASS_SERIAL };
  GtkListBoxRow *row;

  g_assert_cmpstr (content (f), ==, "recent");
  g_assert_false (gtk_widget_get_visible (child (f->page, "back_button")));
  g_assert_cmpuint (count_rows (list, NULL), ==, G_N_ELEMENTS (newest_first));
  for (guint i = 0; i < G_N_ELEMENTS (newest_first); i++)
    {
      row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), (int) i);
      g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, newest_first[i]);
    }

  /* Typing narrows the list. */
  gtk_editable_set_text (GTK_EDITABLE (entry), "fail");
  g_signal_emit_by_name (entry, "search-changed");
  g_assert_false (gtk_widget_get_child_visible (find_row (list, PASS_SERIAL)));
  g_assert_true (gtk_widget_get_child_visible (find_row (list, FAIL_SERIAL)));
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
  g_signal_emit_by_name (entry, "search-changed");
  g_assert_true (gtk_widget_get_child_visible (find_row (list, PASS_SERIAL)));

  /* A click on a row opens its unit. */
  gtk_widget_activate (find_row (list, PASS_SERIAL));
  g_assert_true (sc_gui_test_wait (page_idle, f->page, TIMEOUT_S));
  g_assert_cmpstr (content (f), ==, "unit");
  g_assert_cmpstr (sc_units_page_get_serial (f->page), ==, PASS_SERIAL);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, PASS_SERIAL);

  /* And back. */
  gtk_widget_activate_action (GTK_WIDGET (f->page), "units.show-list", NULL);
  g_assert_true (sc_gui_test_wait (page_idle, f->page, TIMEOUT_S));
  g_assert_cmpstr (content (f), ==, "recent");
  g_assert_null (sc_units_page_get_serial (f->page));
  g_assert_cmpuint (count_rows (list, NULL), ==, G_N_ELEMENTS (newest_first));
}

static void
test_reprint (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GPtrArray) before = list_prints (PASS_SERIAL);
  g_autoptr(GPtrArray) after = NULL;
  g_autofree char *labels_dir = NULL;
  g_autofree char *first = label_path (PASS_SERIAL "-product");
  g_autofree char *first_payload = NULL;
  g_autofree char *reprint_payload = NULL;
  g_autofree char *reprint_path = NULL;
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) error = NULL;
  AdwMessageDialog *dialog;
  GtkWidget *extra, *reasons, *details;
  ScPrintRecord *p;
  const char *name;

  search (f, PASS_SERIAL);
  g_assert_cmpuint (count_rows (child (f->page, "print_list"), NULL), ==, before->len);

  /* Without a reason nothing is printed or recorded. */
  gtk_widget_activate_action (GTK_WIDGET (f->page), "units.reprint", "(ss)", "product", "   ");
  g_assert_false (sc_units_page_get_busy (f->page));

  /* The button opens the dialog; "Other" needs words of one's own. */
  g_assert_null (find_dialog ());
  gtk_widget_activate_action (GTK_WIDGET (f->page), "units.reprint-product", NULL);
  dialog = find_dialog ();
  g_assert_nonnull (dialog);
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == f->window);
  extra = adw_message_dialog_get_extra_child (dialog);
  reasons = find_descendant (extra, GTK_TYPE_DROP_DOWN);
  details = find_descendant (extra, GTK_TYPE_ENTRY);
  g_assert_nonnull (reasons);
  g_assert_nonnull (details);
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "reprint"));

  gtk_drop_down_set_selected (GTK_DROP_DOWN (reasons), 4);   /* Other */
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "reprint"));
  gtk_editable_set_text (GTK_EDITABLE (details), "label fell behind the bench");
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "reprint"));
  gtk_drop_down_set_selected (GTK_DROP_DOWN (reasons), 0);   /* Smudged */
  gtk_editable_set_text (GTK_EDITABLE (details), "coffee");

  click (dialog, "_Reprint");
  g_assert_true (sc_units_page_get_busy (f->page));
  /* No second reprint while this one runs. */
  g_assert_false (gtk_widget_get_sensitive (child (f->page, "product_reprint_button")));
  g_assert_true (sc_gui_test_wait (page_idle, f->page, TIMEOUT_S));
  g_assert_true (sc_gui_test_wait (no_dialog, NULL, TIMEOUT_S));

  /* Recorded: one more print, a done reprint of the product label, with
   * the reason as chosen and written. */
  after = list_prints (PASS_SERIAL);
  g_assert_cmpuint (after->len, ==, before->len + 1);
  p = g_ptr_array_index (after, after->len - 1);
  g_assert_true (p->reprint);
  g_assert_cmpint (p->kind, ==, SC_LABEL_KIND_PRODUCT);
  g_assert_cmpint (p->status, ==, SC_PRINT_DONE);
  g_assert_cmpstr (p->reason, ==, "Smudged: coffee");
  g_assert_cmpstr (p->operator_name, ==, g_get_user_name ());

  /* The page shows it. */
  g_assert_cmpuint (count_rows (child (f->page, "print_list"), "sc-print-done"), ==, after->len);
  g_assert_nonnull (find_row (child (f->page, "print_list"), "Product label, reprint"));
  g_assert_true (gtk_widget_get_sensitive (child (f->page, "product_reprint_button")));

  /* The printer wrote the label: the same code as the first print. */
  labels_dir = g_path_get_dirname (first);
  dir = g_dir_open (labels_dir, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, PASS_SERIAL "-product-reprint-") && g_str_has_suffix (name, ".png"))
      {
        g_assert_null (reprint_path);
        reprint_path = g_build_filename (labels_dir, name, NULL);
      }
  g_assert_nonnull (reprint_path);
  first_payload = sc_label_decode_png (first, NULL, &error);
  g_assert_no_error (error);
  reprint_payload = sc_label_decode_png (reprint_path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reprint_payload, ==, first_payload);

  /* A cancelled dialog prints nothing. */
  gtk_widget_activate_action (GTK_WIDGET (f->page), "units.reprint-package", NULL);
  dialog = find_dialog ();
  g_assert_nonnull (dialog);
  click (dialog, "_Cancel");
  g_assert_false (sc_units_page_get_busy (f->page));
  g_assert_true (sc_gui_test_wait (no_dialog, NULL, TIMEOUT_S));
  g_ptr_array_unref (after);
  after = list_prints (PASS_SERIAL);
  g_assert_cmpuint (after->len, ==, before->len + 1);
}

static void
verify (Fixture    *f,
        const char *label)
{
  g_autofree char *path = label_path (label);

  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  gtk_widget_activate_action (GTK_WIDGET (f->page), "units.verify-file", "s", path);
  g_assert_true (sc_units_page_get_busy (f->page));
  g_assert_true (sc_gui_test_wait (page_idle, f->page, TIMEOUT_S));
  g_assert_true (gtk_widget_get_visible (child (f->page, "verify_summary")));
}

static gboolean
field_matches (Fixture    *f,
               const char *title)
{
  GtkWidget *row = find_row (child (f->page, "verify_list"), title);

  g_assert_nonnull (row);
  g_assert_true (gtk_widget_has_css_class (row, "sc-match") != gtk_widget_has_css_class (row, "sc-mismatch"));
  return gtk_widget_has_css_class (row, "sc-match");
}

static void
test_verify (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *pin = unit_pin (PASS_SERIAL);
  g_autofree char *other_pin = unit_pin (OTHER_SERIAL);
  GtkWidget *summary = child (f->page, "verify_summary");
  GtkWidget *list = child (f->page, "verify_list");

  search (f, PASS_SERIAL);
  g_assert_false (gtk_widget_get_visible (summary));

  /* The unit's own product label: every field matches. */
  verify (f, PASS_SERIAL "-product");
  g_assert_true (gtk_widget_has_css_class (summary, "success"));
  g_assert_cmpuint (count_rows (list, NULL), ==, 4);
  g_assert_cmpuint (count_rows (list, "sc-match"), ==, 4);
  g_assert_true (field_matches (f, "Serial"));
  g_assert_true (field_matches (f, "PID"));
  g_assert_true (field_matches (f, "PUK"));
  g_assert_true (field_matches (f, "PIN"));

  /* Its package label too, with the product's package code. */
  verify (f, PASS_SERIAL "-package");
  g_assert_true (gtk_widget_has_css_class (summary, "success"));
  g_assert_cmpuint (count_rows (list, "sc-match"), ==, 4);
  g_assert_true (field_matches (f, "Package code"));

  /* Another unit's product label: what differs is named, field by field. */
  verify (f, OTHER_SERIAL "-product");
  g_assert_true (gtk_widget_has_css_class (summary, "error"));
  g_assert_false (gtk_widget_has_css_class (summary, "success"));
  g_assert_false (field_matches (f, "Serial"));
  g_assert_true (field_matches (f, "PID"));
  g_assert_false (field_matches (f, "PUK"));
  g_assert_false (field_matches (f, "PIN"));
  g_assert_nonnull (strstr (gtk_label_get_label (GTK_LABEL (summary)), "does NOT match"));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (find_row (list, "Serial"))), OTHER_SERIAL));

  /* Neither PIN appears, matched or not. */
  assert_not_shown (GTK_WIDGET (f->page), pin);
  assert_not_shown (GTK_WIDGET (f->page), other_pin);

  /* A file that is no label image says so. */
  {
    g_autofree char *data_dir = sc_defaults_get_data_dir ();
    g_autofree char *path = g_build_filename (data_dir, "training", "product.profile", NULL);

    gtk_widget_activate_action (GTK_WIDGET (f->page), "units.verify-file", "s", path);
    g_assert_true (sc_gui_test_wait (page_idle, f->page, TIMEOUT_S));
    g_assert_true (gtk_widget_has_css_class (summary, "error"));
    g_assert_false (gtk_widget_get_visible (list));
    g_assert_nonnull (strstr (gtk_label_get_label (GTK_LABEL (summary)), "cannot be verified"));
  }

  /* Another unit shown: the old verification goes with its unit. */
  search (f, OTHER_SERIAL);
  g_assert_false (gtk_widget_get_visible (summary));
}

static void
test_failed_unit (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(ScUnitRecord) record = find_unit (FAIL_SERIAL);
  g_autoptr(GPtrArray) prints = NULL;
  GtkWidget *steps = child (f->page, "step_list");
  GtkListBoxRow *last;
  const char *tooltip;

  g_assert_cmpint (record->state, ==, SC_UNIT_FAILED);
  g_assert_nonnull (record->failure);

  search (f, FAIL_SERIAL);
  g_assert_cmpstr (content (f), ==, "unit");
  g_assert_cmpstr (label_text (f->page, "status_label"), ==, "FAIL");
  g_assert_true (gtk_widget_has_css_class (child (f->page, "status_box"), "fail"));
  g_assert_cmpstr (label_text (f->page, "state_label"), ==, "State: failed");
  g_assert_true (gtk_widget_get_visible (child (f->page, "failure_label")));
  g_assert_cmpstr (label_text (f->page, "failure_label"), ==, record->failure);
  g_assert_nonnull (strstr (record->failure, "GUIUNITSOTHER001"));

  /* It stopped early: no key, no certificate, the failed step last. */
  g_assert_cmpstr (label_text (f->page, "puk_value"), ==, "–");
  g_assert_cmpstr (label_text (f->page, "cert_serial_value"), ==, "–");
  g_assert_cmpstr (label_text (f->page, "chain_value"), ==, "No certificate was issued for this unit.");
  last = gtk_list_box_get_row_at_index (GTK_LIST_BOX (steps), (int) count_rows (steps, NULL) - 1);
  g_assert_cmpint (sc_step_row_get_step (SC_STEP_ROW (last)), ==, SC_STEP_CONNECT);
  g_assert_cmpint (sc_step_row_get_state (SC_STEP_ROW (last)), ==, SC_STEP_ROW_FAILED);
  g_assert_cmpstr (sc_step_row_get_error (SC_STEP_ROW (last)), ==, record->failure);
  g_assert_cmpuint (count_rows (child (f->page, "print_list"), NULL), ==, 0);

  /* No labels, and no reprint: the buttons say why. */
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (child (f->page, "product_stack"))), ==, "none");
  g_assert_null (sc_label_preview_get_layout (SC_LABEL_PREVIEW (child (f->page, "product_preview"))));
  g_assert_false (gtk_widget_get_sensitive (child (f->page, "product_reprint_button")));
  g_assert_false (gtk_widget_get_sensitive (child (f->page, "package_reprint_button")));
  tooltip = gtk_widget_get_tooltip_text (child (f->page, "product_reprint_button"));
  g_assert_nonnull (strstr (tooltip, "is failed: only a unit whose labels were made can have them reprinted"));

  /* Nor by the action itself. */
  gtk_widget_activate_action (GTK_WIDGET (f->page), "units.reprint-product", NULL);
  g_assert_null (find_dialog ());
  gtk_widget_activate_action (GTK_WIDGET (f->page), "units.reprint", "(ss)", "product", "Lost");
  g_assert_false (sc_units_page_get_busy (f->page));
  prints = list_prints (FAIL_SERIAL);
  g_assert_cmpuint (prints->len, ==, 0);
}

/* -------------------------------------------------------- the unit's audit */

static void
test_audit_entries (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *list = child (f->page, "audit_list");
  GtkListBoxRow *row;
  guint n_before;

  entries = sc_store_list_audit (station->store, PASS_SERIAL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, >, 5);

  search (f, PASS_SERIAL);
  /* Every entry about the serial, in the log's order, with its details. */
  g_assert_cmpuint (count_rows (list, "sc-audit-row"), ==, entries->len);
  for (guint i = 0; i < entries->len; i++)
    {
      ScAuditEntry *e = entries->pdata[i];

      row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), (int) i);
      g_assert_cmpstr (g_object_get_data (G_OBJECT (row), "sc-action"), ==, e->action);
      if (e->details != NULL)
        g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), e->details));
    }
  row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), 0);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "Run started");
  g_assert_nonnull (find_row (list, "Certificate issued"));
  g_assert_nonnull (find_row (list, "State changed to complete"));
  n_before = entries->len;

  /* A reprint is in the log, with its reason, as soon as the page shows it. */
  gtk_widget_activate_action (GTK_WIDGET (f->page), "units.reprint", "(ss)", "package", "Damaged: torn");
  g_assert_true (sc_gui_test_wait (page_idle, f->page, TIMEOUT_S));
  g_assert_cmpuint (count_rows (list, "sc-audit-row"), ==, n_before + 2);
  /* The newest two: the reprint journaled, then the printer took it. */
  row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), (int) n_before);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "Label reprint sent to the printer");
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "reason: Damaged: torn"));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), g_get_user_name ()));
  row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), (int) n_before + 1);
  g_assert_cmpstr (g_object_get_data (G_OBJECT (row), "sc-action"), ==, "printed");

  /* The failed unit's log has its failure, and no certificate. */
  search (f, FAIL_SERIAL);
  g_assert_nonnull (find_row (list, "State changed to failed"));
  g_assert_null (find_row (list, "Certificate issued"));
}

/* ------------------------------------------------------------ the filter */

static char *
day (int days_from_today)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) then = g_date_time_add_days (now, days_from_today);

  return g_date_time_format (then, "%Y-%m-%d");
}

static void
filter (Fixture    *f,
        const char *from,
        const char *to,
        const char *result)
{
  gtk_widget_activate_action (GTK_WIDGET (f->page), "units.filter", "(sss)", from, to, result);
  g_assert_true (sc_gui_test_wait (page_idle, f->page, TIMEOUT_S));
}

/* The serials listed, top to bottom, joined by spaces. */
static char *
listed (Fixture *f)
{
  GtkWidget *list = child (f->page, "recent_list");
  GString *out = g_string_new (NULL);
  GtkListBoxRow *row;

  if (g_str_equal (content (f), "empty"))
    return g_string_free (out, FALSE);
  g_assert_cmpstr (content (f), ==, "recent");
  for (int i = 0; (row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), i)) != NULL; i++)
    g_string_append_printf (out, "%s%s", i ? " " : "", adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)));
  return g_string_free (out, FALSE);
}

#define assert_listed(f, expected) \
  G_STMT_START { g_autofree char *l_ = listed (f); g_assert_cmpstr (l_, ==, (expected)); } G_STMT_END

static char *
property (Fixture    *f,
          const char *name)
{
  char *value = NULL;

  g_object_get (f->page, name, &value, NULL);
  return value;
}

static void
test_filter_range (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *today = day (0);
  g_autofree char *week_ago = day (-6);
  g_autofree char *yesterday = day (-1);
  g_autofree char *tomorrow = day (1);
  g_autofree char *from = property (f, "from");
  g_autofree char *to = property (f, "to");
  g_autofree char *title = NULL;
  GtkWidget *group = child (f->page, "list_group");

  /* The last week at first, today included, every result. */
  g_assert_cmpstr (from, ==, week_ago);
  g_assert_cmpstr (to, ==, today);
  assert_listed (f, FAIL_SERIAL " " OTHER_SERIAL " " PASS_SERIAL);
  g_assert_true (gtk_widget_get_visible (child (f->page, "filter_bar")));

  /* Today only: all three; the title and the buttons name the day. */
  filter (f, today, today, "any");
  assert_listed (f, FAIL_SERIAL " " OTHER_SERIAL " " PASS_SERIAL);
  title = g_strdup_printf ("Units of %s", today);
  g_assert_cmpstr (adw_preferences_group_get_title (ADW_PREFERENCES_GROUP (group)), ==, title);
  g_assert_cmpstr (gtk_menu_button_get_label (GTK_MENU_BUTTON (child (f->page, "from_button"))), ==, today);
  g_assert_cmpstr (gtk_menu_button_get_label (GTK_MENU_BUTTON (child (f->page, "to_button"))), ==, today);

  /* Days that end before today, or start after it: none. */
  filter (f, week_ago, yesterday, "any");
  assert_listed (f, "");
  g_assert_cmpstr (content (f), ==, "empty");
  filter (f, tomorrow, "", "any");
  assert_listed (f, "");
  /* Open at either end. */
  filter (f, "", today, "any");
  assert_listed (f, FAIL_SERIAL " " OTHER_SERIAL " " PASS_SERIAL);
  filter (f, today, "", "any");
  assert_listed (f, FAIL_SERIAL " " OTHER_SERIAL " " PASS_SERIAL);
  g_clear_pointer (&to, g_free);
  to = property (f, "to");
  g_assert_cmpstr (to, ==, "");
  g_assert_cmpstr (gtk_menu_button_get_label (GTK_MENU_BUTTON (child (f->page, "to_button"))), ==, "Any day");

  /* A day picked in a calendar filters the same way. */
  {
    g_autoptr(GDateTime) now = g_date_time_new_now_local ();
    g_autoptr(GDateTime) earlier = g_date_time_add_days (now, -3);

    gtk_calendar_select_day (GTK_CALENDAR (child (f->page, "to_calendar")), earlier);
    g_assert_true (sc_gui_test_wait (page_idle, f->page, TIMEOUT_S));
    assert_listed (f, "");
    g_clear_pointer (&to, g_free);
    to = property (f, "to");
    g_free (yesterday);
    yesterday = day (-3);
    g_assert_cmpstr (to, ==, yesterday);
    /* The first day (today) was after it: it moved along. */
    g_clear_pointer (&from, g_free);
    from = property (f, "from");
    g_assert_cmpstr (from, ==, yesterday);
  }

  /* From a unit's page, a filter goes back to the list. */
  filter (f, week_ago, today, "any");
  search (f, PASS_SERIAL);
  g_assert_false (gtk_widget_get_visible (child (f->page, "filter_bar")));
  filter (f, week_ago, today, "failed");
  assert_listed (f, FAIL_SERIAL);
  g_assert_null (sc_units_page_get_serial (f->page));
}

static void
test_filter_result (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *today = day (0);
  g_autoptr(ScUnitRecord) started = NULL;
  g_autoptr(ScUnitRecord) pending = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *result = NULL;
  GtkWidget *dropdown = child (f->page, "result_dropdown");
  gint64 print_id;

  /* Two runs that stopped: one after its start, one in the middle of a
   * print (its label may or may not exist). */
  started = sc_store_begin_unit (station->store, sc_profile_get_device_type_id (station->profile), "TRN1",
                                 "GUIUNITSWIP00001", "gui-test", "qa", NULL, &error);
  g_assert_no_error (error);
  pending = sc_store_begin_unit (station->store, sc_profile_get_device_type_id (station->profile), "TRN1",
                                 "GUIUNITSPEND0001", "gui-test", "qa", NULL, &error);
  g_assert_no_error (error);
  print_id = sc_store_begin_print (station->store, pending->id, SC_LABEL_KIND_PRODUCT, FALSE, NULL, "file", "qa",
                                   &error);
  g_assert_no_error (error);
  g_assert_cmpint (print_id, >, 0);

  filter (f, today, today, "passed");
  assert_listed (f, OTHER_SERIAL " " PASS_SERIAL);
  g_assert_cmpuint (gtk_drop_down_get_selected (GTK_DROP_DOWN (dropdown)), ==, SC_UNIT_RESULT_PASSED);
  filter (f, today, today, "failed");
  assert_listed (f, FAIL_SERIAL);
  filter (f, today, today, "in-progress");
  assert_listed (f, "GUIUNITSPEND0001 GUIUNITSWIP00001");
  filter (f, today, today, "print-pending");
  assert_listed (f, "GUIUNITSPEND0001");
  g_assert_nonnull (strstr (adw_preferences_group_get_description (ADW_PREFERENCES_GROUP (child (f->page,
                                                                                                "list_group"))),
                            "Print pending: 1 unit, newest first."));

  /* The drop-down asks for the same. */
  gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), SC_UNIT_RESULT_FAILED);
  g_assert_true (sc_gui_test_wait (page_idle, f->page, TIMEOUT_S));
  assert_listed (f, FAIL_SERIAL);
  result = property (f, "result");
  g_assert_cmpstr (result, ==, "failed");

  /* Typing still narrows what is listed. */
  filter (f, today, today, "any");
  gtk_editable_set_text (GTK_EDITABLE (child (f->page, "search_entry")), "wip");
  g_signal_emit_by_name (child (f->page, "search_entry"), "search-changed");
  g_assert_true (gtk_widget_get_child_visible (find_row (child (f->page, "recent_list"), "GUIUNITSWIP00001")));
  g_assert_false (gtk_widget_get_child_visible (find_row (child (f->page, "recent_list"), PASS_SERIAL)));

  /* The pending print is finished, as a person who found it would; the
   * started run is left as it is: it belongs to this live process. */
  g_assert_true (sc_store_finish_print (station->store, print_id, FALSE, &error));
  g_assert_no_error (error);
  filter (f, today, today, "print-pending");
  assert_listed (f, "");
}

/* Each refusal leaves the filter as it was, and says why. */
static void
assert_filter_refused (Fixture    *f,
                       const char *from,
                       const char *to,
                       const char *result)
{
  g_autofree char *from_before = property (f, "from");
  g_autofree char *to_before = property (f, "to");
  g_autofree char *result_before = property (f, "result");
  g_autofree char *from_after = NULL;
  g_autofree char *to_after = NULL;
  g_autofree char *result_after = NULL;

  gtk_widget_activate_action (GTK_WIDGET (f->page), "units.filter", "(sss)", from, to, result);
  g_assert_false (sc_units_page_get_busy (f->page));
  from_after = property (f, "from");
  to_after = property (f, "to");
  result_after = property (f, "result");
  g_assert_cmpstr (from_after, ==, from_before);
  g_assert_cmpstr (to_after, ==, to_before);
  g_assert_cmpstr (result_after, ==, result_before);
  g_assert_cmpstr (content (f), ==, "recent");
}

static void
test_filter_bad_day (Fixture       *f,
                     gconstpointer  data)
{
  assert_filter_refused (f, "2026-13-01", "", "any");
  assert_filter_refused (f, "", "2026-02-30", "any");
  assert_filter_refused (f, "28.11.2026", "", "any");
  assert_filter_refused (f, "2026-11-28T00:00", "", "any");
}

static void
test_filter_reversed (Fixture       *f,
                      gconstpointer  data)
{
  assert_filter_refused (f, "2026-11-28", "2026-11-27", "any");
}

static void
test_filter_bad_result (Fixture       *f,
                        gconstpointer  data)
{
  assert_filter_refused (f, "", "", "complete");
  assert_filter_refused (f, "", "", "");
}

/* ------------------------------------------------------------ the manifest */

/* "serial|puk|certificate_serial" per unit, as Python's csv or json reads
 * the file. */
static char *
read_manifest (const char *path,
               gboolean    json)
{
  const char *script = json
    ? "import json,sys\nfor u in json.load(open(sys.argv[1])): print(u['serial']+'|'+u['puk']+'|'+u['certificate_serial'])\n"
    : "import csv,sys\nfor u in csv.DictReader(open(sys.argv[1],newline='')): print(u['serial']+'|'+u['puk']+'|'+u['certificate_serial'])\n";
  const char *argv[] = { "/usr/bin/python3", "-c", script, path, NULL };
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return out;
}

/* What the store says the manifest must hold: its complete units started
 * today, oldest first. */
static char *
expected_manifest (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) midnight = g_date_time_new_local (g_date_time_get_year (now), g_date_time_get_month (now),
                                                         g_date_time_get_day_of_month (now), 0, 0, 0);
  g_autoptr(GPtrArray) units = NULL;
  g_autoptr(GError) error = NULL;
  GString *out = g_string_new (NULL);

  units = sc_store_list_units (station->store, g_date_time_to_unix (midnight) * G_USEC_PER_SEC, 0, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < units->len; i++)
    {
      ScUnitRecord *u = units->pdata[i];

      if (u->state == SC_UNIT_COMPLETE)
        g_string_append_printf (out, "%s|%s|%s\n", u->serial, u->puk, u->cert_serial);
    }
  return g_string_free (out, FALSE);
}

static void
test_export (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *today = day (0);
  g_autofree char *expected = expected_manifest ();
  g_autofree char *dir = g_build_filename (data_home, "exports", NULL);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  /* Two complete units today, PASS before OTHER. */
  g_assert_true (g_str_has_prefix (expected, PASS_SERIAL "|"));
  g_assert_nonnull (strstr (expected, "\n" OTHER_SERIAL "|"));
  g_assert_null (strstr (expected, FAIL_SERIAL));

  filter (f, today, today, "any");
  for (guint i = 0; i < 2; i++)
    {
      gboolean json = i == 1;
      g_autofree char *path = g_build_filename (dir, json ? "manifest.json" : "manifest.csv", NULL);
      g_autofree char *read = NULL;

      g_autofree char *second = g_strconcat (path, ".second", NULL);

      gtk_widget_activate_action (GTK_WIDGET (f->page), "units.export-file", "(ss)", json ? "json" : "csv", path);
      g_assert_true (sc_units_page_get_busy (f->page));
      /* One manifest at a time. */
      gtk_widget_activate_action (GTK_WIDGET (f->page), "units.export-file", "(ss)", "csv", second);
      g_assert_true (sc_gui_test_wait (page_idle, f->page, TIMEOUT_S));
      read = read_manifest (path, json);
      g_assert_cmpstr (read, ==, expected);
      g_assert_false (g_file_test (second, G_FILE_TEST_EXISTS));
    }

  /* Days with no unit: a manifest with none. */
  {
    g_autofree char *path = g_build_filename (dir, "none.csv", NULL);
    g_autofree char *contents = NULL;
    g_autofree char *week_ago = day (-6);
    g_autofree char *yesterday = day (-1);

    filter (f, week_ago, yesterday, "any");
    gtk_widget_activate_action (GTK_WIDGET (f->page), "units.export-file", "(ss)", "csv", path);
    g_assert_true (sc_gui_test_wait (page_idle, f->page, TIMEOUT_S));
    g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
    g_assert_cmpstr (contents, ==, "serial,pid,puk,certificate_serial,certificate_sha256,started,completed,dak_type\n");
  }
}

static void
test_export_unwritable (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *path = g_build_filename (data_home, "no-such-folder", "manifest.csv", NULL);

  gtk_widget_activate_action (GTK_WIDGET (f->page), "units.export-file", "(ss)", "csv", path);
  g_assert_true (sc_gui_test_wait (page_idle, f->page, TIMEOUT_S));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  /* Nothing else changed: the list is still there. */
  g_assert_cmpstr (content (f), ==, "recent");
}

static void
test_export_bad_format (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *path = g_build_filename (data_home, "manifest.xml", NULL);

  gtk_widget_activate_action (GTK_WIDGET (f->page), "units.export-file", "(ss)", "xml", path);
  g_assert_false (sc_units_page_get_busy (f->page));
  gtk_widget_activate_action (GTK_WIDGET (f->page), "units.export", "s", "xml");
  g_assert_false (sc_units_page_get_busy (f->page));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

/* --------------------------------------------------------- translations */

/* With LANGUAGE=de (the "units-page-de" test), the page speaks German;
 * otherwise English. Either way the text comes from the catalogue. */
static void
test_translated (Fixture       *f,
                 gconstpointer  data)
{
  const char *language = g_getenv ("LANGUAGE");
  gboolean german = language != NULL && g_str_has_prefix (language, "de");
  GtkWidget *dropdown = child (f->page, "result_dropdown");
  GListModel *results = G_LIST_MODEL (gtk_drop_down_get_model (GTK_DROP_DOWN (dropdown)));
  g_autofree char *today = day (0);

  /* The .ui's strings. */
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (results), SC_UNIT_RESULT_PASSED), ==,
                   german ? "Bestanden" : "Passed");
  /* The C code's. */
  filter (f, today, today, "failed");
  g_assert_nonnull (strstr (adw_preferences_group_get_description (ADW_PREFERENCES_GROUP (child (f->page,
                                                                                                "list_group"))),
                            german ? "1 Gerät, neuestes zuerst." : "1 unit, newest first."));
  search (f, PASS_SERIAL);
  g_assert_cmpstr (label_text (f->page, "status_label"), ==, german ? "BESTANDEN" : "PASS");
}

int
main (int   argc,
      char *argv[])
{
  int status;

  /* The catalogues of this build, not the installed ones. */
  if (g_getenv ("SC_TEST_LOCALEDIR") != NULL)
    bindtextdomain (GETTEXT_PACKAGE, g_getenv ("SC_TEST_LOCALEDIR"));
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  /* The templates' strings are looked up in the default domain, as the app
   * sets it in main(). */
  textdomain (GETTEXT_PACKAGE);
  data_home = sc_gui_test_init (&argc, &argv);
  /* gtk_test_init() sets a fixed locale, under which gettext ignores
   * $LANGUAGE; the translated run wants the environment's. */
  if (g_getenv ("SC_TEST_LOCALEDIR") != NULL)
    setlocale (LC_ALL, "");
  station = open_station ();

  /* Made in this order, so the recent list is FAIL, OTHER, PASS. */
  g_assert_true (provision (PASS_SERIAL, NULL));
  g_usleep (2 * G_USEC_PER_SEC / 1000);
  g_assert_true (provision (OTHER_SERIAL, NULL));
  g_usleep (2 * G_USEC_PER_SEC / 1000);
  g_assert_false (provision (FAIL_SERIAL, WRONG_UNIT_URI));

  g_test_add_func ("/sc/units-page/opens-default-station", test_opens_default_station);
  g_test_add ("/sc/units-page/search-shows-unit", Fixture, NULL,
              fixture_setup, test_search_shows_unit, fixture_teardown);
  g_test_add ("/sc/units-page/recent-list", Fixture, NULL,
              fixture_setup, test_recent_list, fixture_teardown);
  g_test_add ("/sc/units-page/reprint", Fixture, NULL,
              fixture_setup, test_reprint, fixture_teardown);
  g_test_add ("/sc/units-page/verify", Fixture, NULL,
              fixture_setup, test_verify, fixture_teardown);
  g_test_add ("/sc/units-page/failed-unit", Fixture, NULL,
              fixture_setup, test_failed_unit, fixture_teardown);
  g_test_add ("/sc/units-page/audit-entries", Fixture, NULL,
              fixture_setup, test_audit_entries, fixture_teardown);
  g_test_add ("/sc/units-page/filter-range", Fixture, NULL,
              fixture_setup, test_filter_range, fixture_teardown);
  g_test_add ("/sc/units-page/filter-bad-day", Fixture, NULL,
              fixture_setup, test_filter_bad_day, fixture_teardown);
  g_test_add ("/sc/units-page/filter-reversed", Fixture, NULL,
              fixture_setup, test_filter_reversed, fixture_teardown);
  g_test_add ("/sc/units-page/filter-bad-result", Fixture, NULL,
              fixture_setup, test_filter_bad_result, fixture_teardown);
  g_test_add ("/sc/units-page/export", Fixture, NULL,
              fixture_setup, test_export, fixture_teardown);
  g_test_add ("/sc/units-page/export-unwritable", Fixture, NULL,
              fixture_setup, test_export_unwritable, fixture_teardown);
  g_test_add ("/sc/units-page/export-bad-format", Fixture, NULL,
              fixture_setup, test_export_bad_format, fixture_teardown);
  g_test_add ("/sc/units-page/translated", Fixture, NULL,
              fixture_setup, test_translated, fixture_teardown);
  /* Last: it adds units the tests above do not expect. */
  g_test_add ("/sc/units-page/filter-result", Fixture, NULL,
              fixture_setup, test_filter_result, fixture_teardown);

  status = g_test_run ();
  sc_station_free (station);
  sc_gui_test_cleanup (data_home);
  return status;
}
