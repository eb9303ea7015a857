/* test-label.c: geometry, layout, rendering at printer resolution, and
 * decode-back with both decoders
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include "sc-test-util.h"

#define PUK1 "MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgADLZXG+MzHkCUT1F88yQpaiDW7vu8XDSIhJwsVr2bmmag="

static char *tmpdir;

static void
test_geometry (void)
{
  ScGeometry g;

  /* Spec section 4: at 203 dpi a 44x44 symbol at 3 dots per module is
   * 16.5 mm, which meets the 15 mm package minimum; 2 dots (11.0 mm) are
   * the smallest whole number that meets the 10 mm product minimum. */
  sc_geometry_compute (44, 203, 15.0, &g);
  g_assert_cmpuint (g.dots_per_module, ==, 3);
  g_assert_cmpfloat_with_epsilon (g.symbol_mm, 16.51, 0.01);
  g_assert_true (g.meets_minimum);

  sc_geometry_compute (44, 203, 10.0, &g);
  g_assert_cmpuint (g.dots_per_module, ==, 2);
  g_assert_cmpuint (g.symbol_dots, ==, 88);

  for (guint dpi = 150; dpi <= 1200; dpi += 7)
    for (guint n = 10; n <= 52; n += 2)
      {
        sc_geometry_compute (n, dpi, 10.0, &g);
        g_assert_true (g.meets_minimum);
        g_assert_cmpuint (g.symbol_dots, ==, n * g.dots_per_module);
        /* The smallest whole number: one dot less would miss the minimum. */
        if (g.dots_per_module > 1)
          g_assert_cmpfloat (n * (g.dots_per_module - 1) * 25.4 / dpi, <, 10.0);
      }
}

typedef struct
{
  ScLabelKind kind;
  const char *serial;       /* NULL: none */
  const char *code;         /* package: UPC or EAN */
} Unit;

static ScPayload *
make_payload (const Unit *u)
{
  ScPayload *p = sc_payload_new (u->kind);

  p->serial = g_strdup (u->serial);
  p->pid = g_strdup ("ebK3");
  p->puk = g_strdup (PUK1);
  if (u->kind == SC_LABEL_KIND_PRODUCT)
    p->pin = g_strdup ("957AD9640");
  else if (strlen (u->code) == 13)
    p->ean = g_strdup (u->code);
  else
    p->upc = g_strdup (u->code);
  return p;
}

/* Measures the symbol in the PNG: every module a uniform block of whole
 * dots in the right place, the quiet zone white, and the dark pixels'
 * bounding box exactly the reported symbol size. */
static void
assert_on_dot_grid (cairo_surface_t *png,
                    ScLabelLayout   *layout)
{
  const ScGeometry *g = sc_label_layout_get_geometry (layout);
  ScSymbol *symbol = sc_label_layout_get_symbol (layout);
  const guint8 *data = cairo_image_surface_get_data (png);
  int stride = cairo_image_surface_get_stride (png);
  guint x0, y0, k = g->dots_per_module, n = g->modules;
  int min_x = G_MAXINT, min_y = G_MAXINT, max_x = -1, max_y = -1;

  sc_label_layout_get_symbol_origin (layout, &x0, &y0);
  for (int y = (int) (y0 - k); y < (int) (y0 + (n + 1) * k); y++)
    for (int x = (int) (x0 - k); x < (int) (x0 + (n + 1) * k); x++)
      {
        guint32 px = ((const guint32 *) (gconstpointer) (data + y * stride))[x] & 0xffffff;
        gboolean dark = px == 0x000000;
        gboolean inside = x >= (int) x0 && y >= (int) y0 && x < (int) (x0 + n * k) && y < (int) (y0 + n * k);
        gboolean want = inside && sc_symbol_get_module (symbol, (y - y0) / k, (x - x0) / k);

        /* No grey anywhere in the symbol or its quiet zone. */
        g_assert_true (px == 0x000000 || px == 0xffffff);
        if (dark != want)
          g_error ("pixel %d,%d is %s, module wants %s", x, y, dark ? "dark" : "light", want ? "dark" : "light");
        if (dark)
          {
            min_x = MIN (min_x, x); max_x = MAX (max_x, x);
            min_y = MIN (min_y, y); max_y = MAX (max_y, y);
          }
      }
  g_assert_cmpint (max_x - min_x + 1, ==, (int) g->symbol_dots);
  g_assert_cmpint (max_y - min_y + 1, ==, (int) g->symbol_dots);
}

static void
render_decode_measure (const Unit *u,
                       guint       dpi)
{
  g_autoptr(ScPayload) payload = make_payload (u);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = sc_payload_to_string (payload, &error);
  g_autoptr(ScSymbol) symbol = NULL;
  g_autoptr(ScLabelLayout) layout = NULL;
  g_autofree char *path = g_strdup_printf ("%s/label-%u.png", tmpdir, dpi);
  g_autofree char *decoded = NULL;
  g_autofree char *decoders = NULL;
  cairo_surface_t *png;

  g_assert_no_error (error);
  symbol = sc_symbol_encode (SC_SYMBOLOGY_DATAMATRIX, text, 0, &error);
  g_assert_no_error (error);
  layout = sc_label_layout_new (u->kind, symbol, dpi, u->kind == SC_LABEL_KIND_PRODUCT ? 10.0 : 15.0,
                                NULL, u->serial, u->code, FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (sc_label_layout_get_geometry (layout)->meets_minimum);

  g_assert_true (sc_label_layout_write (layout, SC_LABEL_FORMAT_PNG, path, &error));
  g_assert_no_error (error);

  /* Read back from the file, as anyone else would: both decoders, the
   * whole label, no hints. */
  decoded = sc_label_decode_png (path, &decoders, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (decoders, ==, "zxing-cpp, libdmtx");
  g_assert_cmpstr (decoded, ==, text);

  png = cairo_image_surface_create_from_png (path);
  g_assert_cmpint (cairo_surface_status (png), ==, CAIRO_STATUS_SUCCESS);
  assert_on_dot_grid (png, layout);
  cairo_surface_destroy (png);
}

static void
test_range (void)
{
  static const char *serials[] = { NULL, "ABCDEFGHJKLM", "G3A0PA01802300PE",
                                   "A1B2C3D4E5F6G7H8I9J0K1L2M3N4O5", "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ" };
  static const guint dpis[] = { 203, 300, 600 };

  for (guint s = 0; s < G_N_ELEMENTS (serials); s++)
    for (guint d = 0; d < G_N_ELEMENTS (dpis); d++)
      {
        Unit product = { SC_LABEL_KIND_PRODUCT, serials[s], NULL };
        Unit upc = { SC_LABEL_KIND_PACKAGE, serials[s], "841667145075" };
        Unit ean = { SC_LABEL_KIND_PACKAGE, serials[s], "4006381333931" };

        g_test_message ("serial %s at %u dpi", serials[s] ? serials[s] : "(none)", dpis[d]);
        render_decode_measure (&product, dpis[d]);
        render_decode_measure (&upc, dpis[d]);
        render_decode_measure (&ean, dpis[d]);
      }
}

static ScLabelLayout *
product_layout (const char *pin,
                gboolean    training)
{
  Unit u = { SC_LABEL_KIND_PRODUCT, "G3A0PA01802300PE", NULL };
  g_autoptr(ScPayload) p = make_payload (&u);
  g_autofree char *text = NULL;
  g_autoptr(ScSymbol) symbol = NULL;
  ScLabelLayout *layout;

  g_free (p->pin);
  p->pin = g_strdup (pin);
  text = sc_payload_to_string (p, NULL);
  symbol = sc_symbol_encode (SC_SYMBOLOGY_DATAMATRIX, text, 0, NULL);
  layout = sc_label_layout_new (SC_LABEL_KIND_PRODUCT, symbol, 300, 10.0, NULL, u.serial, NULL, training, NULL);
  g_assert_nonnull (layout);
  return layout;
}

static void
test_damage_detected (void)
{
  g_autoptr(ScLabelLayout) layout = product_layout ("957AD9640", FALSE);
  g_autoptr(GError) error = NULL;
  cairo_surface_t *raster = sc_label_layout_render (layout);
  const ScGeometry *g = sc_label_layout_get_geometry (layout);
  guint x, y;
  cairo_t *cr;

  g_assert_true (sc_label_layout_verify (layout, raster, &error));
  g_assert_no_error (error);

  /* A smudge over the left half of the symbol: beyond what ECC200 corrects. */
  sc_label_layout_get_symbol_origin (layout, &x, &y);
  cr = cairo_create (raster);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_rectangle (cr, x + g->dots_per_module, y, g->symbol_dots / 2.0, g->symbol_dots - g->dots_per_module);
  cairo_fill (cr);
  cairo_destroy (cr);

  g_assert_false (sc_label_layout_verify (layout, raster, &error));
  g_assert_true (g_error_matches (error, SC_LABEL_ERROR, SC_LABEL_ERROR_NOT_FOUND) ||
                 g_error_matches (error, SC_LABEL_ERROR, SC_LABEL_ERROR_MISMATCH));
  cairo_surface_destroy (raster);
}

static void
test_mismatch_detected (void)
{
  /* Same size, another PIN: the decoders read the other label's payload. */
  g_autoptr(ScLabelLayout) want = product_layout ("957AD9640", FALSE);
  g_autoptr(ScLabelLayout) other = product_layout ("957AD9641", FALSE);
  g_autoptr(GError) error = NULL;
  cairo_surface_t *raster = sc_label_layout_render (other);

  g_assert_false (sc_label_layout_verify (want, raster, &error));
  g_assert_error (error, SC_LABEL_ERROR, SC_LABEL_ERROR_MISMATCH);
  /* It says where, never what: the payload holds the PIN. */
  g_assert_nonnull (strstr (error->message, "at byte 140"));
  g_assert_null (strstr (error->message, "957AD964"));
  cairo_surface_destroy (raster);
}

static gboolean
row_is_black (cairo_surface_t *s,
              int              y)
{
  const guint8 *data = cairo_image_surface_get_data (s);
  int stride = cairo_image_surface_get_stride (s);
  int w = cairo_image_surface_get_width (s), dark = 0;

  for (int x = 0; x < w; x++)
    dark += (((const guint32 *) (gconstpointer) (data + y * stride))[x] & 0xffffff) == 0;
  return dark > w * 9 / 10;
}

static void
test_training_banner (void)
{
  g_autoptr(ScLabelLayout) real = product_layout ("957AD9640", FALSE);
  g_autoptr(ScLabelLayout) training = product_layout ("957AD9640", TRUE);
  cairo_surface_t *a = sc_label_layout_render (real);
  cairo_surface_t *b = sc_label_layout_render (training);
  guint ha, hb, w;

  sc_label_layout_get_size (real, &w, &ha);
  sc_label_layout_get_size (training, &w, &hb);
  g_assert_cmpuint (hb, >, ha);
  g_assert_false (row_is_black (a, 2));
  g_assert_true (row_is_black (b, 2));
  g_assert_true (sc_label_layout_verify (training, b, NULL));
  cairo_surface_destroy (a);
  cairo_surface_destroy (b);
}

static void
test_icons (void)
{
  Unit u = { SC_LABEL_KIND_PRODUCT, "G3A0PA01802300PE", NULL };
  g_autoptr(ScPayload) p = make_payload (&u);
  g_autofree char *text = sc_payload_to_string (p, NULL);
  g_autoptr(ScSymbol) symbol = sc_symbol_encode (SC_SYMBOLOGY_DATAMATRIX, text, 0, NULL);
  g_autofree char *png_icon = g_build_filename (tmpdir, "icon.png", NULL);
  g_autofree char *bad_icon = g_build_filename (tmpdir, "bad.svg", NULL);
  g_autoptr(ScLabelLayout) layout = NULL;
  g_autoptr(GError) error = NULL;
  cairo_surface_t *icon = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 64, 64);
  cairo_surface_t *raster;
  cairo_t *cr = cairo_create (icon);
  guint ix, iy;

  /* A manufacturer's PNG icon: solid black, so it shows where it lands. */
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_paint (cr);
  cairo_destroy (cr);
  g_assert_cmpint (cairo_surface_write_to_png (icon, png_icon), ==, CAIRO_STATUS_SUCCESS);
  cairo_surface_destroy (icon);

  layout = sc_label_layout_new (SC_LABEL_KIND_PRODUCT, symbol, 300, 10.0, png_icon, u.serial, NULL, FALSE, &error);
  g_assert_no_error (error);
  raster = sc_label_layout_render (layout);
  /* The icon is left of the symbol, at the symbol's height. */
  sc_label_layout_get_symbol_origin (layout, &ix, &iy);
  {
    const guint8 *data = cairo_image_surface_get_data (raster);
    int stride = cairo_image_surface_get_stride (raster);
    guint32 px = ((const guint32 *) (gconstpointer) (data + (iy + 10) * stride))[ix / 4];
    g_assert_cmphex (px & 0xffffff, ==, 0);
  }
  g_assert_true (sc_label_layout_verify (layout, raster, NULL));
  cairo_surface_destroy (raster);

  g_assert_true (g_file_set_contents (bad_icon, "<svg", -1, NULL));
  g_assert_null (sc_label_layout_new (SC_LABEL_KIND_PRODUCT, symbol, 300, 10.0, bad_icon, u.serial, NULL,
                                      FALSE, &error));
  g_assert_error (error, SC_LABEL_ERROR, SC_LABEL_ERROR_ICON);
}

static void
test_qr_label (void)
{
  Unit u = { SC_LABEL_KIND_PRODUCT, "G3A0PA01802300PE", NULL };
  g_autoptr(ScPayload) p = make_payload (&u);
  g_autofree char *text = sc_payload_to_string (p, NULL);
  g_autoptr(ScSymbol) symbol = sc_symbol_encode (SC_SYMBOLOGY_QR, text, 0, NULL);
  g_autoptr(ScLabelLayout) layout = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (tmpdir, "qr.png", NULL);
  g_autofree char *decoded = NULL;

  layout = sc_label_layout_new (SC_LABEL_KIND_PRODUCT, symbol, 300, 10.0, NULL, u.serial, NULL, FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (sc_label_layout_write (layout, SC_LABEL_FORMAT_PNG, path, &error));
  g_assert_no_error (error);
  decoded = sc_label_decode_png (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (decoded, ==, text);
}

int
main (int    argc,
      char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  tmpdir = sc_test_tmpdir ();

  g_test_add_func ("/sc/label/geometry", test_geometry);
  g_test_add_func ("/sc/label/range", test_range);
  g_test_add_func ("/sc/label/damage-detected", test_damage_detected);
  g_test_add_func ("/sc/label/mismatch-detected", test_mismatch_detected);
  g_test_add_func ("/sc/label/training-banner", test_training_banner);
  g_test_add_func ("/sc/label/icons", test_icons);
  g_test_add_func ("/sc/label/qr", test_qr_label);

  ret = g_test_run ();
  sc_test_rmdir (tmpdir);
  g_free (tmpdir);
  return ret;
}
