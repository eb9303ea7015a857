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
#include "sc-provision-page.h"
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

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->page = SC_PROVISION_PAGE (g_object_ref_sink (sc_provision_page_new ()));
  f->window = sc_gui_test_window (GTK_WIDGET (f->page), 1280, 760);

  g_assert_false (sc_provision_page_get_ready (f->page));
  sc_provision_page_open_default_station (f->page);
  g_assert_true (sc_gui_test_wait (page_ready, f->page, RUN_TIMEOUT_S));
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
  g_assert_cmpstr (label_text (f->page, "failed_label"), ==, "1");
  g_assert_true (scan_field_has_focus (f));
}

/* The preview puts every module on whole device pixels: the symbol on
 * screen is the printer raster scaled by a whole number, pixel for pixel. */
static void
test_preview_crisp (Fixture       *f,
                    gconstpointer  data)
{
  ScLabelPreview *preview = SC_LABEL_PREVIEW (child (f->page, "preview"));
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree guchar *pixels = NULL;
  cairo_surface_t *raster;
  ScLabelLayout *layout;
  const ScGeometry *geometry;
  guint width, height, sx, sy, n;
  int scale, w, h, x0, y0, stride, raster_stride;
  guint mismatches = 0;
  const guchar *dots;

  scan (f, "GUITESTCRISP001");
  g_assert_true (sc_gui_test_wait (page_idle, f->page, RUN_TIMEOUT_S));
  g_assert_true (sc_gui_test_wait (preview_has_layout, preview, RUN_TIMEOUT_S));
  g_assert_true (sc_gui_test_wait (preview_drawn, preview, RUN_TIMEOUT_S));

  layout = sc_label_preview_get_layout (preview);
  sc_label_layout_get_size (layout, &width, &height);
  sc_label_layout_get_symbol_origin (layout, &sx, &sy);
  geometry = sc_label_layout_get_geometry (layout);
  n = sc_label_preview_get_pixels_per_dot (preview);
  g_assert_cmpuint (n, >=, 2);   /* 1280 wide has room for two pixels a dot */

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

  raster = sc_label_layout_render (layout);
  dots = cairo_image_surface_get_data (raster);
  raster_stride = cairo_image_surface_get_stride (raster);

  /* Where the preview put the label: centred on a device pixel. */
  x0 = (w * scale - (int) (width * n)) / 2;
  y0 = (h * scale - (int) (height * n)) / 2;

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

  g_assert_cmpuint (mismatches, ==, 0);
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

  status = g_test_run ();
  sc_gui_test_cleanup (data_home);
  return status;
}
