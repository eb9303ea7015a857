/* test-provision-page.c: the provision view drives real unit runs
 *
 * The station is the embedded training default, made fresh in a temporary
 * $XDG_DATA_HOME: its training DAK, SQLite store, file printer and the
 * in-process simulated unit (sim:), all real code.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "sc-core.h"
#include "sc-gui-test.h"
#include "sc-label-preview.h"
#include "sc-pin-dialog.h"
#include "sc-provision-page-private.h"
#include "sc-station-panel.h"
#include "sc-step-row.h"

#define RUN_TIMEOUT_S 120

static char *data_home;

typedef struct
{
  GtkWindow       *window;
  ScProvisionPage *page;
} Fixture;

static GtkWidget *
child (ScProvisionPage *page,
       const char      *name)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (page), SC_TYPE_PROVISION_PAGE, name);

  g_assert_nonnull (object);
  return GTK_WIDGET (object);
}

static const char *
label_text (ScProvisionPage *page,
            const char      *name)
{
  return gtk_label_get_label (GTK_LABEL (child (page, name)));
}

static gboolean
page_ready (gpointer data)
{
  return sc_provision_page_get_ready (data);
}

static gboolean
page_idle (gpointer data)
{
  return !sc_provision_page_get_busy (data);
}

static gboolean
preview_has_layout (gpointer data)
{
  return sc_label_preview_get_layout (data) != NULL;
}

static gboolean
preview_drawn (gpointer data)
{
  return sc_label_preview_get_pixels_per_dot (data) > 0;
}

/* @data: NULL for the embedded defaults' station, "training" for the
 * training station (training mode), "none" for a test that sets its own. */
static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->page = SC_PROVISION_PAGE (g_object_ref_sink (sc_provision_page_new ()));
  f->window = sc_gui_test_window (GTK_WIDGET (f->page), 1280, 760);
  /* Nobody listens under Xvfb; the cue tests switch them on. */
  g_object_set (f->page, "sound-cues", FALSE, NULL);

  g_assert_false (sc_provision_page_get_ready (f->page));
  if (g_strcmp0 (data, "none") == 0)
    return;
  if (g_strcmp0 (data, "training") == 0)
    sc_provision_page_open_training_station (f->page);
  else
    sc_provision_page_open_default_station (f->page);
  g_assert_true (sc_gui_test_wait (page_ready, f->page, RUN_TIMEOUT_S));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->window == NULL)
    return;   /* the test closed it */
  gtk_window_destroy (f->window);
  g_assert_finalize_object (f->page);
}

/* What a keyboard-wedge scanner does: types the serial, then Enter. */
static void
scan (Fixture    *f,
      const char *serial)
{
  GtkWidget *entry = child (f->page, "scan_entry");

  gtk_editable_set_text (GTK_EDITABLE (entry), serial);
  g_signal_emit_by_name (entry, "activate");
}

static gboolean
scan_field_has_focus (Fixture *f)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (f->window));
  GtkWidget *entry = child (f->page, "scan_entry");

  return focus != NULL && (focus == entry || gtk_widget_is_ancestor (focus, entry));
}

/* The training station's records, not the station's. */
static char *
training_store_uri (void)
{
  g_autofree char *path = g_build_filename (data_home, "setup-console", "training.db", NULL);

  return g_strconcat ("sqlite://", path, NULL);
}

static ScUnitRecord *
find_unit_in (const char *store_uri,
              const char *serial)
{
  g_autoptr(ScStore) store = NULL;
  g_autoptr(GError) error = NULL;
  ScUnitRecord *record;

  store = sc_store_open (store_uri, &error);
  g_assert_no_error (error);
  record = sc_store_find_unit (store, NULL, serial, &error);
  if (record == NULL)
    g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_NOT_FOUND);
  return record;
}

static ScUnitRecord *
find_unit (const char *serial)
{
  g_autoptr(ScStore) store = NULL;
  g_autoptr(GError) error = NULL;
  ScUnitRecord *record;

  store = sc_store_open (NULL, &error);
  g_assert_no_error (error);
  record = sc_store_find_unit (store, NULL, serial, &error);
  if (record == NULL)
    g_assert_error (error, SC_STORE_ERROR, SC_STORE_ERROR_NOT_FOUND);
  return record;
}

static void
test_opens_training_station (Fixture       *f,
                             gconstpointer  data)
{
  g_assert_true (sc_provision_page_get_training (f->page));
  g_assert_false (sc_provision_page_get_busy (f->page));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (child (f->page, "stack"))), ==, "station");
  g_assert_cmpstr (sc_provision_page_get_summary (f->page), ==, "Ready");
  g_assert_true (scan_field_has_focus (f));
}

static void
test_scan_passes (Fixture       *f,
                  gconstpointer  data)
{
  const char *serial = "GUITESTPASS0001";
  GtkWidget *list = child (f->page, "step_list");
  ScLabelPreview *preview = SC_LABEL_PREVIEW (child (f->page, "preview"));
  g_autoptr(ScUnitRecord) record = NULL;
  ScLabelLayout *layout;
  guint width, height, n_rows = 0;

  scan (f, serial);
  g_assert_true (sc_provision_page_get_busy (f->page));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (child (f->page, "scan_entry"))), ==, "");
  g_assert_true (gtk_widget_has_css_class (child (f->page, "status_box"), "running"));

  g_assert_true (sc_gui_test_wait (page_idle, f->page, RUN_TIMEOUT_S));

  g_assert_cmpuint (sc_provision_page_get_n_passed (f->page), ==, 1);
  g_assert_cmpuint (sc_provision_page_get_n_failed (f->page), ==, 0);
  g_assert_cmpstr (label_text (f->page, "status_label"), ==, "PASS");
  g_assert_cmpstr (label_text (f->page, "serial_label"), ==, serial);
  g_assert_true (gtk_widget_has_css_class (child (f->page, "status_box"), "pass"));
  g_assert_false (gtk_widget_has_css_class (child (f->page, "status_box"), "running"));
  g_assert_cmpstr (sc_provision_page_get_summary (f->page), ==, "PASS GUITESTPASS0001");
  g_assert_cmpstr (label_text (f->page, "passed_label"), ==, "1");
  g_assert_cmpstr (label_text (f->page, "failed_label"), ==, "0");
  g_assert_cmpstr (label_text (f->page, "last_time_label"), !=, "–");
  /* One unit in well under a minute: no rate yet, rather than a silly one. */
  g_assert_cmpstr (label_text (f->page, "rate_label"), ==, "–");

  /* Every step reported done, with its time. */
  for (GtkWidget *w = gtk_widget_get_first_child (list); w != NULL; w = gtk_widget_get_next_sibling (w))
    {
      ScStepRow *row = SC_STEP_ROW (w);

      g_assert_cmpint (sc_step_row_get_step (row), ==, n_rows);
      g_assert_cmpint (sc_step_row_get_state (row), ==, SC_STEP_ROW_DONE);
      g_assert_cmpint (sc_step_row_get_duration (row), >=, 0);
      n_rows++;
    }
  g_assert_cmpuint (n_rows, ==, SC_N_STEPS);

  /* The product label, drawn from the run's payload. */
  g_assert_true (sc_gui_test_wait (preview_has_layout, preview, RUN_TIMEOUT_S));
  layout = sc_label_preview_get_layout (preview);
  g_assert_cmpint (sc_label_layout_get_kind (layout), ==, SC_LABEL_KIND_PRODUCT);
  sc_label_layout_get_size (layout, &width, &height);
  g_assert_cmpuint (width, >, 0);
  g_assert_cmpuint (height, >, 0);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (child (f->page, "preview_stack"))), ==, "preview");
  g_assert_true (sc_gui_test_wait (preview_drawn, preview, RUN_TIMEOUT_S));

  /* The records agree, and the scan field is ready for the next unit. */
  record = find_unit (serial);
  g_assert_nonnull (record);
  g_assert_cmpint (record->state, ==, SC_UNIT_COMPLETE);
  g_assert_true (scan_field_has_focus (f));
}

/* A scan while a unit runs is refused, visibly, and never queued. */
static void
test_second_scan_refused (Fixture       *f,
                          gconstpointer  data)
{
  const char *first = "GUITESTBUSY0001";
  const char *second = "GUITESTBUSY0002";
  GtkWidget *revealer = child (f->page, "message_revealer");
  g_autoptr(ScUnitRecord) first_record = NULL;
  g_autoptr(ScUnitRecord) second_record = NULL;

  g_assert_false (gtk_revealer_get_reveal_child (GTK_REVEALER (revealer)));

  scan (f, first);
  g_assert_true (sc_provision_page_get_busy (f->page));
  scan (f, second);

  g_assert_true (gtk_revealer_get_reveal_child (GTK_REVEALER (revealer)));
  g_assert_nonnull (strstr (label_text (f->page, "message_label"), second));
  g_assert_nonnull (strstr (label_text (f->page, "message_label"), first));
  g_assert_cmpstr (label_text (f->page, "serial_label"), ==, first);

  g_assert_true (sc_gui_test_wait (page_idle, f->page, RUN_TIMEOUT_S));
  g_assert_cmpuint (sc_provision_page_get_n_passed (f->page), ==, 1);
  g_assert_cmpuint (sc_provision_page_get_n_failed (f->page), ==, 0);
  g_assert_cmpstr (label_text (f->page, "serial_label"), ==, first);
  /* The refusal outlives the run it refused to interrupt. */
  g_assert_true (gtk_revealer_get_reveal_child (GTK_REVEALER (revealer)));

  /* Nothing was queued: the refused serial never reached the records, and
   * the page stays idle once the first unit is done. */
  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_false (sc_provision_page_get_busy (f->page));
  first_record = find_unit (first);
  g_assert_nonnull (first_record);
  g_assert_cmpint (first_record->state, ==, SC_UNIT_COMPLETE);
  second_record = find_unit (second);
  g_assert_null (second_record);

  /* Scanned again now, it runs. */
  gtk_widget_activate_action (GTK_WIDGET (f->page), "provision.scan", "s", second);
  g_assert_true (sc_provision_page_get_busy (f->page));
  g_assert_true (sc_gui_test_wait (page_idle, f->page, RUN_TIMEOUT_S));
  g_assert_cmpuint (sc_provision_page_get_n_passed (f->page), ==, 2);
  g_assert_false (gtk_revealer_get_reveal_child (GTK_REVEALER (revealer)));
}

/* A failing unit: FAIL, the reason, the failed step, the counter. */
static void
test_scan_fails (Fixture       *f,
                 gconstpointer  data)
{
  GtkWidget *list = child (f->page, "step_list");
  ScStepRow *scan_row = SC_STEP_ROW (gtk_widget_get_first_child (list));
  ScStepRow *next_row = SC_STEP_ROW (gtk_widget_get_next_sibling (GTK_WIDGET (scan_row)));

  /* Too short for the training profile's serial pattern. */
  scan (f, "BAD1");
  g_assert_true (sc_gui_test_wait (page_idle, f->page, RUN_TIMEOUT_S));

  g_assert_cmpuint (sc_provision_page_get_n_passed (f->page), ==, 0);
  g_assert_cmpuint (sc_provision_page_get_n_failed (f->page), ==, 1);
  g_assert_cmpstr (label_text (f->page, "status_label"), ==, "FAIL");
  g_assert_true (gtk_widget_has_css_class (child (f->page, "status_box"), "fail"));
  g_assert_true (gtk_widget_get_visible (child (f->page, "failure_label")));
  g_assert_nonnull (strstr (label_text (f->page, "failure_label"), "BAD1"));
  g_assert_cmpint (sc_step_row_get_state (scan_row), ==, SC_STEP_ROW_FAILED);
  g_assert_cmpstr (sc_step_row_get_error (scan_row), ==, label_text (f->page, "failure_label"));
  g_assert_cmpint (sc_step_row_get_state (next_row), ==, SC_STEP_ROW_PENDING);
  g_assert_null (sc_label_preview_get_layout (SC_LABEL_PREVIEW (child (f->page, "preview"))));
  g_assert_null (sc_label_preview_get_layout (SC_LABEL_PREVIEW (child (f->page, "package_preview"))));
  g_assert_false (gtk_widget_get_visible (child (f->page, "label_switcher")));
  g_assert_cmpstr (label_text (f->page, "failed_label"), ==, "1");
  g_assert_true (scan_field_has_focus (f));
}

/* Pixels of @layout's symbol on screen that differ from its printer raster
 * scaled by @n, the label drawn at (@x0, @y0) of the downloaded pixels. */
static guint
symbol_mismatches (ScLabelLayout *layout,
                   const guchar  *pixels,
                   int            stride,
                   guint          n,
                   int            x0,
                   int            y0)
{
  const ScGeometry *geometry = sc_label_layout_get_geometry (layout);
  cairo_surface_t *raster = sc_label_layout_render (layout);
  const guchar *dots = cairo_image_surface_get_data (raster);
  int raster_stride = cairo_image_surface_get_stride (raster);
  guint sx, sy, mismatches = 0;

  sc_label_layout_get_symbol_origin (layout, &sx, &sy);
  for (guint y = sy; y < sy + geometry->symbol_dots; y++)
    for (guint x = sx; x < sx + geometry->symbol_dots; x++)
      {
        guint32 dot = *(const guint32 *) (dots + y * raster_stride + x * 4) & 0xffffff;

        for (guint dy = 0; dy < n; dy++)
          for (guint dx = 0; dx < n; dx++)
            {
              const guchar *p = pixels + (gsize) (y0 + y * n + dy) * stride + (x0 + x * n + dx) * 4;
              /* gdk_texture_download: B G R A on little-endian, like cairo's RGB24 */
              guint32 px = (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16;

              mismatches += px != dot;
            }
      }
  cairo_surface_destroy (raster);
  return mismatches;
}

/* @preview's symbol on screen is its printer raster scaled by a whole
 * number of pixels a dot, pixel for pixel; returns the pixels a dot. */
static guint
assert_crisp (ScLabelPreview *preview)
{
  ScLabelLayout *layout = sc_label_preview_get_layout (preview);
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree guchar *pixels = NULL;
  guint n, width, height;
  int scale, w, h, stride, x0, y0;

  g_assert_true (sc_gui_test_wait (preview_drawn, preview, RUN_TIMEOUT_S));
  sc_label_layout_get_size (layout, &width, &height);
  n = sc_label_preview_get_pixels_per_dot (preview);
  g_test_message ("%s label: %ux%u dots, %u pixels a dot",
                  sc_label_kind_to_string (sc_label_layout_get_kind (layout)), width, height, n);

  scale = gtk_widget_get_scale_factor (GTK_WIDGET (preview));
  w = gtk_widget_get_width (GTK_WIDGET (preview));
  h = gtk_widget_get_height (GTK_WIDGET (preview));
  paintable = gtk_widget_paintable_new (GTK_WIDGET (preview));
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, w, h);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (GTK_WIDGET (preview))),
                                         node, &GRAPHENE_RECT_INIT (0, 0, w, h));
  g_assert_cmpint (gdk_texture_get_width (texture), ==, w * scale);

  stride = gdk_texture_get_width (texture) * 4;
  pixels = g_malloc ((gsize) stride * gdk_texture_get_height (texture));
  gdk_texture_download (texture, pixels, stride);

  /* Where the preview put the label: centred on a device pixel. */
  x0 = (w * scale - (int) (width * n)) / 2;
  y0 = (h * scale - (int) (height * n)) / 2;
  g_assert_cmpint (x0, >=, 0);
  g_assert_cmpint (y0, >=, 0);
  g_assert_cmpuint (symbol_mismatches (layout, pixels, stride, n, x0, y0), ==, 0);
  return n;
}

static gboolean
package_drawn (gpointer data)
{
  Fixture *f = data;

  return sc_label_preview_get_pixels_per_dot (SC_LABEL_PREVIEW (child (f->page, "package_preview"))) > 0;
}

/* The preview puts every module on whole device pixels: each symbol on
 * screen is the printer raster scaled by a whole number, pixel for pixel.
 * The package label is one switch away, drawn the same way; the next unit
 * shows its product label first. */
static void
test_preview_crisp (Fixture       *f,
                    gconstpointer  data)
{
  ScLabelPreview *preview = SC_LABEL_PREVIEW (child (f->page, "preview"));
  ScLabelPreview *package = SC_LABEL_PREVIEW (child (f->page, "package_preview"));
  GtkStack *labels = GTK_STACK (child (f->page, "label_stack"));

  scan (f, "GUITESTCRISP001");
  g_assert_true (sc_gui_test_wait (page_idle, f->page, RUN_TIMEOUT_S));
  g_assert_true (sc_gui_test_wait (preview_has_layout, preview, RUN_TIMEOUT_S));
  g_assert_cmpint (sc_label_layout_get_kind (sc_label_preview_get_layout (preview)), ==, SC_LABEL_KIND_PRODUCT);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (labels), ==, "product");
  g_assert_cmpuint (assert_crisp (preview), >=, 2);   /* 1280 wide has room for two pixels a dot */

  /* The training product has a package code, so a package label. */
  g_assert_true (gtk_widget_get_visible (child (f->page, "label_switcher")));
  g_assert_true (gtk_stack_page_get_visible (gtk_stack_get_page (labels, GTK_WIDGET (package))));
  g_assert_nonnull (sc_label_preview_get_layout (package));
  g_assert_cmpint (sc_label_layout_get_kind (sc_label_preview_get_layout (package)), ==, SC_LABEL_KIND_PACKAGE);
  gtk_stack_set_visible_child_name (labels, "package");
  g_assert_true (sc_gui_test_wait (package_drawn, f, RUN_TIMEOUT_S));
  g_assert_cmpuint (assert_crisp (package), >=, 1);

  /* The next unit starts on its product label. */
  scan (f, "GUITESTCRISP002");
  g_assert_true (sc_gui_test_wait (page_idle, f->page, RUN_TIMEOUT_S));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (labels), ==, "product");
}

static ScStepRow *
step_row (Fixture *f,
          ScStep   step)
{
  GtkWidget *row = gtk_widget_get_first_child (child (f->page, "step_list"));

  for (guint i = 0; i < step; i++)
    row = gtk_widget_get_next_sibling (row);
  return SC_STEP_ROW (row);
}

static gboolean
page_unblocked (gpointer data)
{
  return !sc_provision_page_get_blocked (data);
}

static gboolean
page_blocked (gpointer data)
{
  return sc_provision_page_get_blocked (data);
}

/* The PIN dialog the page opened, if any. */
static ScPinDialog *
find_pin_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (SC_IS_PIN_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return SC_PIN_DIALOG (window);
    }
  return NULL;
}

static gboolean
pin_dialog_shown (gpointer data)
{
  return find_pin_dialog () != NULL;
}

/* A DAK behind a PIN: the scan field is off until it is unlocked; the PIN
 * dialog comes up by itself at the start of the shift; a lock, by hand or
 * after the idle time, turns the field off again. */
static void
test_pin_dak_blocks_scan (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(ScSigner) signer = sc_gui_test_pin_signer ("123456", 3);
  g_autoptr(ScSecret) pin = sc_secret_new_from_string ("123456");
  g_autoptr(GError) error = NULL;
  GtkWidget *entry = child (f->page, "scan_entry");
  ScPinDialog *dialog;

  sc_provision_page_set_station (f->page, sc_gui_test_station (signer, NULL));
  g_assert_true (sc_gui_test_wait (page_ready, f->page, RUN_TIMEOUT_S));

  g_assert_true (sc_provision_page_get_blocked (f->page));
  g_assert_cmpstr (sc_provision_page_get_summary (f->page), ==, "Blocked");
  g_assert_false (gtk_widget_get_sensitive (entry));
  g_assert_true (gtk_revealer_get_reveal_child (GTK_REVEALER (child (f->page, "blocked_revealer"))));
  g_assert_cmpstr (label_text (f->page, "blocked_label"), ==,
                   "The DAK is locked: unlock it with its PIN to start provisioning.");
  g_assert_true (gtk_widget_get_visible (child (f->page, "blocked_unlock_button")));

  /* The MES (or anything else) scanning anyway: refused, said, not run. */
  gtk_widget_activate_action (GTK_WIDGET (f->page), "provision.scan", "s", "GUITESTPINDAK001");
  g_assert_false (sc_provision_page_get_busy (f->page));
  g_assert_nonnull (strstr (label_text (f->page, "message_label"), "Not started: GUITESTPINDAK001 was scanned, but"));

  /* At the start of the shift the dialog came up by itself. */
  g_assert_true (sc_gui_test_wait (pin_dialog_shown, NULL, RUN_TIMEOUT_S));
  dialog = find_pin_dialog ();
  gtk_editable_set_text (GTK_EDITABLE (gtk_widget_get_template_child (GTK_WIDGET (dialog), SC_TYPE_PIN_DIALOG,
                                                                      "entry")), "123456");
  gtk_widget_activate_action (GTK_WIDGET (dialog), "pin.unlock", NULL);
  g_assert_true (sc_gui_test_wait (page_unblocked, f->page, RUN_TIMEOUT_S));
  g_assert_null (find_pin_dialog ());
  g_assert_cmpstr (sc_provision_page_get_summary (f->page), ==, "Ready");
  g_assert_true (gtk_widget_get_sensitive (entry));
  g_assert_true (scan_field_has_focus (f));

  /* Unlocked, a unit passes: the DAK signed. */
  scan (f, "GUITESTPINDAK001");
  g_assert_true (sc_gui_test_wait (page_idle, f->page, RUN_TIMEOUT_S));
  g_assert_cmpstr (sc_provision_page_get_summary (f->page), ==, "PASS GUITESTPINDAK001");

  /* Locked by hand. The focus left the scan field before it was switched
   * off: GTK 4.8 keeps a switched-off GtkText focused and blinking, and
   * warns about it at its next blink (GTK issue 5845). */
  g_assert_true (scan_field_has_focus (f));
  gtk_widget_activate_action (GTK_WIDGET (f->page), "provision.lock-dak", NULL);
  g_assert_true (sc_gui_test_wait (page_blocked, f->page, RUN_TIMEOUT_S));
  g_assert_false (gtk_widget_get_sensitive (entry));
  g_assert_false (scan_field_has_focus (f));

  /* Locked after the idle time without a scan. */
  g_assert_true (sc_signer_unlock (signer, pin, NULL, &error));
  g_assert_no_error (error);
  sc_station_panel_refresh (SC_STATION_PANEL (child (f->page, "station_panel")));
  g_assert_true (sc_gui_test_wait (page_unblocked, f->page, RUN_TIMEOUT_S));
  g_assert_true (scan_field_has_focus (f));
  g_object_set (f->page, "dak-idle-lock-seconds", 1, NULL);
  g_assert_true (sc_gui_test_wait (page_blocked, f->page, RUN_TIMEOUT_S));
  g_assert_false (scan_field_has_focus (f));
  g_assert_nonnull (strstr (label_text (f->page, "message_label"), "without a scan"));
  {
    g_autoptr(ScSignerStatus) status = sc_signer_get_status (signer);
    g_assert_false (status->unlocked);
  }
}

static void
test_counters (Fixture       *f,
               gconstpointer  data)
{
  /* Three units; the shift began half an hour ago: 6 units an hour. */
  scan (f, "GUITESTCOUNT001");
  g_assert_true (sc_gui_test_wait (page_idle, f->page, RUN_TIMEOUT_S));
  _sc_provision_page_set_shift_start (f->page, g_get_monotonic_time () - 30 * 60 * G_USEC_PER_SEC);
  scan (f, "BAD2");
  g_assert_true (sc_gui_test_wait (page_idle, f->page, RUN_TIMEOUT_S));
  scan (f, "GUITESTCOUNT002");
  g_assert_true (sc_gui_test_wait (page_idle, f->page, RUN_TIMEOUT_S));

  g_assert_cmpstr (label_text (f->page, "passed_label"), ==, "2");
  g_assert_cmpstr (label_text (f->page, "failed_label"), ==, "1");
  g_assert_cmpstr (label_text (f->page, "rate_label"), ==, "6");
  g_assert_true (g_str_has_suffix (label_text (f->page, "last_time_label"), " ms") ||
                 g_str_has_suffix (label_text (f->page, "last_time_label"), " s"));

  /* The shift goes on in a page opened again (Settings applied). */
  {
    ScProvisionPage *next = SC_PROVISION_PAGE (g_object_ref_sink (sc_provision_page_new ()));

    g_assert_cmpstr (label_text (next, "passed_label"), ==, "0");
    sc_provision_page_continue_shift (next, f->page);
    g_assert_cmpuint (sc_provision_page_get_n_passed (next), ==, 2);
    g_assert_cmpuint (sc_provision_page_get_n_failed (next), ==, 1);
    g_assert_cmpstr (label_text (next, "passed_label"), ==, "2");
    g_assert_cmpstr (label_text (next, "failed_label"), ==, "1");
    g_assert_cmpstr (label_text (next, "rate_label"), ==, "6");
    g_assert_cmpstr (label_text (next, "last_time_label"), ==, label_text (f->page, "last_time_label"));
    g_assert_finalize_object (next);
  }

  /* A new shift starts from nothing. */
  gtk_widget_activate_action (GTK_WIDGET (f->page), "provision.new-shift", NULL);
  g_assert_cmpuint (sc_provision_page_get_n_passed (f->page), ==, 0);
  g_assert_cmpuint (sc_provision_page_get_n_failed (f->page), ==, 0);
  g_assert_cmpstr (label_text (f->page, "passed_label"), ==, "0");
  g_assert_cmpstr (label_text (f->page, "failed_label"), ==, "0");
  g_assert_cmpstr (label_text (f->page, "rate_label"), ==, "–");
  g_assert_cmpstr (label_text (f->page, "last_time_label"), ==, "–");
}

static void
cue_cb (ScProvisionPage *page,
        gboolean         passed,
        GArray          *cues)
{
  g_array_append_val (cues, passed);
}

/* A sound on PASS and on FAIL (a beep here: no media backend under the
 * tests), and none when switched off. */
static void
test_cues (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GArray) cues = g_array_new (FALSE, FALSE, sizeof (gboolean));

  g_signal_connect (f->page, "cue", G_CALLBACK (cue_cb), cues);
  g_object_set (f->page, "sound-cues", TRUE, NULL);

  scan (f, "GUITESTCUE00001");
  g_assert_true (sc_gui_test_wait (page_idle, f->page, RUN_TIMEOUT_S));
  g_assert_cmpuint (cues->len, ==, 1);
  g_assert_true (g_array_index (cues, gboolean, 0));

  scan (f, "BAD3");
  g_assert_true (sc_gui_test_wait (page_idle, f->page, RUN_TIMEOUT_S));
  g_assert_cmpuint (cues->len, ==, 2);
  g_assert_false (g_array_index (cues, gboolean, 1));

  g_object_set (f->page, "sound-cues", FALSE, NULL);
  scan (f, "GUITESTCUE00002");
  g_assert_true (sc_gui_test_wait (page_idle, f->page, RUN_TIMEOUT_S));
  g_assert_cmpuint (cues->len, ==, 2);
}

typedef struct
{
  ScProvisionPage *page;
  ScStep           step;
} PausedAt;

static gboolean
paused_at (gpointer data)
{
  PausedAt *p = data;

  return sc_provision_page_get_paused (p->page) && _sc_provision_page_get_detail_step (p->page) == (int) p->step;
}

static const char *
detail (Fixture    *f,
        const char *name)
{
  const char *value = _sc_provision_page_get_detail_value (f->page, name);

  if (value == NULL)
    g_error ("The step shows no “%s”", name);
  return value;
}

/* Training mode, step by step: the run waits after every step, showing what
 * it did with the real data, until it is continued. */
static void
test_step_by_step (Fixture       *f,
                   gconstpointer  data)
{
  const char *serial = "GUITESTSTEPS001";
  g_autofree char *store_uri = training_store_uri ();
  g_autoptr(ScUnitRecord) record = NULL;
  GtkStack *detail_stack = GTK_STACK (child (f->page, "detail_stack"));
  PausedAt p = { f->page, 0 };
  const char *payload;

  g_assert_true (sc_provision_page_get_training_mode (f->page));
  g_assert_true (sc_provision_page_get_training (f->page));
  sc_provision_page_set_step_by_step (f->page, TRUE);
  g_assert_true (sc_provision_page_get_step_by_step (f->page));

  scan (f, serial);
  for (p.step = SC_STEP_SCAN; p.step < SC_STEP_RECORD; p.step++)
    {
      g_assert_true (sc_gui_test_wait (paused_at, &p, RUN_TIMEOUT_S));
      g_assert_true (sc_provision_page_get_busy (f->page));
      g_assert_cmpstr (gtk_stack_get_visible_child_name (detail_stack), ==, "detail");
      /* Held: the step done, the next one not started. */
      g_assert_cmpint (sc_step_row_get_state (step_row (f, p.step)), ==, SC_STEP_ROW_DONE);
      g_assert_cmpint (sc_step_row_get_state (step_row (f, p.step + 1)), ==, SC_STEP_ROW_PENDING);

      switch (p.step)
        {
        case SC_STEP_SCAN:
          g_assert_cmpstr (detail (f, "Serial"), ==, serial);
          g_assert_nonnull (strstr (detail (f, "Product"), "TRAININGDEVICE"));
          /* A scan while it waits is refused like any during a run. */
          gtk_widget_activate_action (GTK_WIDGET (f->page), "provision.scan", "s", "GUITESTSTEPS002");
          g_assert_nonnull (strstr (label_text (f->page, "message_label"), "GUITESTSTEPS002"));
          break;
        case SC_STEP_CONNECT:
          g_assert_cmpstr (detail (f, "Unit serial"), ==, serial);
          g_assert_true (g_str_has_prefix (detail (f, "Device address"), "sim:"));
          break;
        case SC_STEP_KEY:
          g_assert_true (g_str_has_prefix (detail (f, "Curve"), "P-256"));
          g_assert_cmpstr (detail (f, "CSR subject"), ==, "DSN=GUITESTSTEPS001, DeviceTypeId=TRAININGDEVICE");
          g_assert_cmpuint (strlen (detail (f, "PUK")), ==, SC_PUK_LENGTH);
          break;
        case SC_STEP_POLICY:
          g_assert_true (g_str_has_prefix (detail (f, "Curve"), "P-256"));
          break;
        case SC_STEP_SIGN:
          g_assert_nonnull (strstr (detail (f, "Subject"), serial));
          g_assert_nonnull (strstr (detail (f, "Issuer"), "Training"));
          g_assert_nonnull (strstr (detail (f, "Signature"), "ecdsa"));
          break;
        case SC_STEP_CHAIN:
          g_assert_nonnull (strstr (detail (f, "1: the unit"), serial));
          g_assert_nonnull (detail (f, "2: the DAK"));
          g_assert_nonnull (detail (f, "Trust anchor"));
          break;
        case SC_STEP_WRITE:
          g_assert_nonnull (strstr (detail (f, "Certificate chain"), " certificates, "));
          g_assert_nonnull (strstr (detail (f, "Setup PIN"), "sealed"));
          break;
        case SC_STEP_READ_BACK:
        case SC_STEP_CHALLENGE:
          g_assert_cmpuint (strlen (detail (f, "Public key SHA-256")), ==, 64);
          break;
        case SC_STEP_LABEL:
          g_assert_cmpstr (detail (f, "SERNUM"), ==, serial);
          g_assert_cmpstr (detail (f, "PID"), ==, SC_TRAINING_PID);
          payload = detail (f, "Product payload");
          /* The PIN is never shown, only its length. */
          g_assert_nonnull (strstr (payload, "PIN:*"));
          g_assert_nonnull (strstr (detail (f, "PIN"), "characters"));
          break;
        case SC_STEP_PRINT:
          g_assert_cmpstr (detail (f, "Product label"), ==, "printed");
          break;
        default:
          break;
        }

      /* Go on: by the button's action, and once by Enter on the empty
       * scan field. */
      if (p.step == SC_STEP_CHAIN)
        scan (f, "");
      else
        gtk_widget_activate_action (GTK_WIDGET (f->page), "provision.continue", NULL);
      g_assert_false (sc_provision_page_get_paused (f->page));
    }

  g_assert_true (sc_gui_test_wait (page_idle, f->page, RUN_TIMEOUT_S));
  g_assert_cmpstr (sc_provision_page_get_summary (f->page), ==, "PASS GUITESTSTEPS001");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (detail_stack), ==, "label");

  /* In the training records, not the station's. */
  record = find_unit_in (store_uri, serial);
  g_assert_nonnull (record);
  g_assert_cmpint (record->state, ==, SC_UNIT_COMPLETE);
  g_clear_pointer (&record, sc_unit_record_free);
  record = find_unit (serial);
  g_assert_null (record);
}

/* "Run to the End": no more pauses for this unit. */
static void
test_step_by_step_finish (Fixture       *f,
                          gconstpointer  data)
{
  PausedAt p = { f->page, SC_STEP_SCAN };
  guint pauses = 0;

  sc_provision_page_set_step_by_step (f->page, TRUE);
  scan (f, "GUITESTSTEPS003");
  g_assert_true (sc_gui_test_wait (paused_at, &p, RUN_TIMEOUT_S));
  gtk_widget_activate_action (GTK_WIDGET (f->page), "provision.finish", NULL);
  while (sc_provision_page_get_busy (f->page))
    {
      g_main_context_iteration (NULL, TRUE);
      pauses += sc_provision_page_get_paused (f->page);
    }
  g_assert_cmpuint (pauses, ==, 0);
  g_assert_cmpstr (sc_provision_page_get_summary (f->page), ==, "PASS GUITESTSTEPS003");
  /* Still on for the next unit. */
  g_assert_true (sc_provision_page_get_step_by_step (f->page));
}

static gboolean
unit_failed_in_training (gpointer data)
{
  g_autofree char *store_uri = training_store_uri ();
  g_autoptr(ScUnitRecord) record = find_unit_in (store_uri, data);

  return record != NULL && record->state == SC_UNIT_FAILED;
}

/* A page closed while its run waits stops the run: the unit is recorded
 * as failed, with why. */
static void
test_step_by_step_closed (Fixture       *f,
                          gconstpointer  data)
{
  const char *serial = "GUITESTSTEPS004";
  PausedAt p = { f->page, SC_STEP_SCAN };
  g_autofree char *store_uri = training_store_uri ();
  g_autoptr(ScUnitRecord) record = NULL;

  sc_provision_page_set_step_by_step (f->page, TRUE);
  scan (f, serial);
  g_assert_true (sc_gui_test_wait (paused_at, &p, RUN_TIMEOUT_S));

  gtk_window_destroy (f->window);
  g_assert_finalize_object (f->page);
  f->window = NULL;
  f->page = NULL;

  g_assert_true (sc_gui_test_wait (unit_failed_in_training, (gpointer) serial, RUN_TIMEOUT_S));
  record = find_unit_in (store_uri, serial);
  g_assert_nonnull (strstr (record->failure, "stopped while it waited after the “Scan” step"));
}

typedef struct
{
  const char *fault;
  const char *serial;
  ScStep      failed_step;
  const char *reason;       /* a part of the FAIL sentence */
} FaultCase;

static const FaultCase fault_cases[] = {
  { "flash-fails", "GUITESTFAULT001", SC_STEP_WRITE, "flash" },
  { "csr-other-serial", "GUITESTFAULT002", SC_STEP_POLICY, "DSN" },
  { "csr-other-curve", "GUITESTFAULT003", SC_STEP_POLICY, "P-256" },
  { "unplugged", "GUITESTFAULT004", SC_STEP_WRITE, "unplugged" },
};

/* A fault from the training menu: the next unit fails the way the fault
 * makes it, with the reason; the fault is gone for the next scan, and the
 * same unit scanned again passes. */
static void
test_fault (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *store_uri = training_store_uri ();

  for (guint i = 0; i < G_N_ELEMENTS (fault_cases); i++)
    {
      const FaultCase *c = &fault_cases[i];
      g_autoptr(ScUnitRecord) record = NULL;
      g_autofree char *pass = g_strdup_printf ("PASS %s", c->serial);
      g_autofree char *resumed = g_strdup_printf ("PASS %s (resumed)", c->serial);
      guint failed = sc_provision_page_get_n_failed (f->page);

      gtk_widget_activate_action (GTK_WIDGET (f->page), "provision.fault", "s", c->fault);
      g_assert_cmpstr (sc_provision_page_get_fault (f->page), ==, c->fault);
      scan (f, c->serial);
      /* For this unit only. */
      g_assert_cmpstr (sc_provision_page_get_fault (f->page), ==, "");
      g_assert_nonnull (strstr (label_text (f->page, "message_label"), "injected fault"));
      g_assert_true (sc_gui_test_wait (page_idle, f->page, RUN_TIMEOUT_S));

      g_test_message ("%s: %s", c->fault, label_text (f->page, "failure_label"));
      g_assert_cmpuint (sc_provision_page_get_n_failed (f->page), ==, failed + 1);
      g_assert_cmpstr (label_text (f->page, "status_label"), ==, "FAIL");
      g_assert_nonnull (strstr (label_text (f->page, "failure_label"), c->reason));
      g_assert_cmpint (sc_step_row_get_state (step_row (f, c->failed_step)), ==, SC_STEP_ROW_FAILED);

      /* The recovery: the same unit again, without the fault. */
      scan (f, c->serial);
      g_assert_true (sc_gui_test_wait (page_idle, f->page, RUN_TIMEOUT_S));
      g_assert_true (g_str_equal (sc_provision_page_get_summary (f->page), pass) ||
                     g_str_equal (sc_provision_page_get_summary (f->page), resumed));
      record = find_unit_in (store_uri, c->serial);
      g_assert_cmpint (record->state, ==, SC_UNIT_COMPLETE);
    }
}

/* Faults and step by step are for training mode only. */
static void
test_training_only (Fixture       *f,
                    gconstpointer  data)
{
  g_assert_false (sc_provision_page_get_training_mode (f->page));

  g_assert_false (sc_provision_page_set_fault (f->page, "flash-fails"));
  g_assert_cmpstr (sc_provision_page_get_fault (f->page), ==, "");
  g_assert_nonnull (strstr (label_text (f->page, "message_label"), "only in training mode"));

  sc_provision_page_set_step_by_step (f->page, TRUE);
  g_assert_false (sc_provision_page_get_step_by_step (f->page));
}

static void
test_unknown_fault (Fixture       *f,
                    gconstpointer  data)
{
  g_assert_false (sc_provision_page_set_fault (f->page, "meteor-strike"));
  g_assert_cmpstr (sc_provision_page_get_fault (f->page), ==, "");
  g_assert_cmpstr (label_text (f->page, "message_label"), ==,
                   "There is no fault “meteor-strike”; choose one from the Training menu.");
  /* Every fault listed is accepted. */
  for (const char * const *id = sc_provision_page_list_faults (NULL); *id != NULL; id++)
    g_assert_true (sc_provision_page_set_fault (f->page, *id));
}

int
main (int   argc,
      char *argv[])
{
  int status;

  data_home = sc_gui_test_init (&argc, &argv);

  g_test_add ("/sc/provision-page/opens-training-station", Fixture, NULL,
              fixture_setup, test_opens_training_station, fixture_teardown);
  g_test_add ("/sc/provision-page/scan-passes", Fixture, NULL,
              fixture_setup, test_scan_passes, fixture_teardown);
  g_test_add ("/sc/provision-page/second-scan-refused", Fixture, NULL,
              fixture_setup, test_second_scan_refused, fixture_teardown);
  g_test_add ("/sc/provision-page/scan-fails", Fixture, NULL,
              fixture_setup, test_scan_fails, fixture_teardown);
  g_test_add ("/sc/provision-page/preview-crisp", Fixture, NULL,
              fixture_setup, test_preview_crisp, fixture_teardown);
  g_test_add ("/sc/provision-page/pin-dak-blocks-scan", Fixture, "none",
              fixture_setup, test_pin_dak_blocks_scan, fixture_teardown);
  g_test_add ("/sc/provision-page/counters", Fixture, NULL,
              fixture_setup, test_counters, fixture_teardown);
  g_test_add ("/sc/provision-page/cues", Fixture, NULL,
              fixture_setup, test_cues, fixture_teardown);
  g_test_add ("/sc/provision-page/step-by-step", Fixture, "training",
              fixture_setup, test_step_by_step, fixture_teardown);
  g_test_add ("/sc/provision-page/step-by-step-finish", Fixture, "training",
              fixture_setup, test_step_by_step_finish, fixture_teardown);
  g_test_add ("/sc/provision-page/step-by-step-closed", Fixture, "training",
              fixture_setup, test_step_by_step_closed, fixture_teardown);
  g_test_add ("/sc/provision-page/faults", Fixture, "training",
              fixture_setup, test_fault, fixture_teardown);
  g_test_add ("/sc/provision-page/faults-training-only", Fixture, NULL,
              fixture_setup, test_training_only, fixture_teardown);
  g_test_add ("/sc/provision-page/unknown-fault", Fixture, "training",
              fixture_setup, test_unknown_fault, fixture_teardown);

  status = g_test_run ();
  sc_gui_test_cleanup (data_home);
  return status;
}
