/* sc-label.c: label geometry, layout, rendering and decode-back
 *
 * One drawing function, sc_label_layout_draw(), serves every target: the
 * GTK preview, PNG at printer resolution, PDF and SVG at true size, and the
 * ^GF bitmap for ZPL printers. Its unit is one printer dot, and the symbol's
 * modules are whole dots placed on whole dots.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <librsvg/rsvg.h>
#include <png.h>
#include <zlib.h>

#include "sc-blocking-private.h"
#include "sc-core-resources.h"
#include "sc-decode-private.h"
#include "sc-label.h"
#include "sc-secret.h"

#define PLACEHOLDER_ICON "/org/setupconsole/SetupConsole/core/ffs-icon-placeholder.svg"
#define TRAINING_TEXT "TRAINING - NOT VALID FOR FFS"

/* The calibration label: its symbol's top-left corner sits this far from
 * the label's top-left corner, both ways, so a ruler checks the offset. */
#define TEST_SYMBOL_MM 10.0
/* A product payload of the usual shape (the spec's sample key, a 16-character
 * serial), to size the test symbol like a unit's when the size is automatic. */
#define TEST_SAMPLE_PUK "MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgADLZXG+MzHkCUT1F88yQpaiDW7vu8XDSIhJwsVr2bmmag="
#define TEST_SAMPLE_PIN "Q7ZK3M9XWB4HT2PRN6VDFJ8CYGS5LA"

struct _ScLabelLayout
{
  GObject      parent_instance;

  ScLabelKind  kind;
  ScSymbol    *symbol;
  ScGeometry   geometry;
  gboolean     training;
  char        *icon_path;      /* NULL: placeholder */
  char        *lines[3];       /* human-readable text under the symbol */
  guint        n_lines;
  gboolean     test;           /* the calibration label: rulers, no icon */

  /* In dots. */
  guint        width, height;
  guint        margin, quiet;
  guint        icon_x, icon_y, icon_side;
  guint        symbol_x, symbol_y;
  guint        banner_height;
  double       text_size;
  double       banner_text_size;
  guint        text_y;

  cairo_surface_t *verified;   /* a raster that decoded back to the payload */
};

G_DEFINE_FINAL_TYPE (ScLabelLayout, sc_label_layout, G_TYPE_OBJECT)
G_DEFINE_QUARK (sc-label-error-quark, sc_label_error)

/* ---------------------------------------------------------------- geometry */

void
sc_geometry_compute (guint       modules,
                     guint       dpi,
                     double      min_mm,
                     ScGeometry *geometry)
{
  guint dpm = 1;

  g_return_if_fail (modules > 0 && dpi > 0 && geometry != NULL);

  /* The smallest whole dots-per-module whose symbol reaches the minimum;
   * 0.5 µm of slack absorbs floating-point noise in the comparison. */
  while (modules * dpm * 25.4 / dpi + 0.0005 < min_mm && dpm < 255)
    dpm++;

  geometry->dpi = dpi;
  geometry->modules = modules;
  geometry->dots_per_module = dpm;
  geometry->symbol_dots = modules * dpm;
  geometry->module_mm = dpm * 25.4 / dpi;
  geometry->symbol_mm = geometry->symbol_dots * 25.4 / dpi;
  geometry->min_mm = min_mm;
  geometry->meets_minimum = geometry->symbol_mm + 0.0005 >= min_mm;
}

char *
sc_geometry_describe (const ScGeometry *g)
{
  return g_strdup_printf (_("%u dots per module at %u dpi (module %.3f mm), symbol %u dots = %.2f mm; "
                            "minimum %.1f mm %s"),
                          g->dots_per_module, g->dpi, g->module_mm, g->symbol_dots, g->symbol_mm,
                          g->min_mm, g->meets_minimum ? _("met") : _("NOT met"));
}

/* -------------------------------------------------------------------- icon */

typedef struct
{
  RsvgHandle      *svg;
  cairo_surface_t *png;
  double           width, height;
} Icon;

static GMutex icon_lock;       /* librsvg and cairo surfaces are not thread-safe */
static GHashTable *icon_cache; /* path or "" (placeholder) → Icon */

static void
icon_free (gpointer data)
{
  Icon *icon = data;

  g_clear_object (&icon->svg);
  g_clear_pointer (&icon->png, cairo_surface_destroy);
  g_free (icon);
}

/* Called with icon_lock held. */
static Icon *
icon_lookup (const char  *path,
             GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  const char *key = path ? path : "";
  Icon *icon;

  if (icon_cache == NULL)
    {
      icon_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, icon_free);
      sc_core_register_resource ();
    }
  if ((icon = g_hash_table_lookup (icon_cache, key)) != NULL)
    return icon;

  icon = g_new0 (Icon, 1);
  if (path != NULL && g_str_has_suffix (path, ".png"))
    {
      icon->png = cairo_image_surface_create_from_png (path);
      if (cairo_surface_status (icon->png) != CAIRO_STATUS_SUCCESS)
        {
          g_autofree char *display = g_filename_display_name (path);
          g_set_error (error, SC_LABEL_ERROR, SC_LABEL_ERROR_ICON,
                       _("Cannot read the FFS icon “%s”: %s"), display,
                       cairo_status_to_string (cairo_surface_status (icon->png)));
          icon_free (icon);
          return NULL;
        }
      icon->width = cairo_image_surface_get_width (icon->png);
      icon->height = cairo_image_surface_get_height (icon->png);
    }
  else
    {
      g_autoptr(GBytes) bytes = NULL;

      if (path != NULL)
        icon->svg = rsvg_handle_new_from_file (path, &local_error);
      else if ((bytes = g_resources_lookup_data (PLACEHOLDER_ICON, 0, &local_error)) != NULL)
        icon->svg = rsvg_handle_new_from_data (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                               &local_error);

      if (icon->svg == NULL)
        {
          g_autofree char *display = path ? g_filename_display_name (path) : g_strdup ("placeholder");
          g_set_error (error, SC_LABEL_ERROR, SC_LABEL_ERROR_ICON,
                       _("Cannot read the FFS icon “%s”: %s"), display, local_error->message);
          icon_free (icon);
          return NULL;
        }
      if (!rsvg_handle_get_intrinsic_size_in_pixels (icon->svg, &icon->width, &icon->height))
        icon->width = icon->height = 100;
    }

  g_hash_table_insert (icon_cache, g_strdup (key), icon);
  return icon;
}

static void
draw_icon (ScLabelLayout *self,
           cairo_t       *cr)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&icon_lock);
  Icon *icon = icon_lookup (self->icon_path, NULL);  /* loaded in _new(), so cached */
  double scale;

  g_return_if_fail (icon != NULL);

  scale = MIN (self->icon_side / icon->width, self->icon_side / icon->height);
  cairo_save (cr);
  cairo_translate (cr, self->icon_x + (self->icon_side - icon->width * scale) / 2,
                   self->icon_y + (self->icon_side - icon->height * scale) / 2);
  if (icon->png != NULL)
    {
      cairo_scale (cr, scale, scale);
      cairo_set_source_surface (cr, icon->png, 0, 0);
      cairo_paint (cr);
    }
  else
    {
      RsvgRectangle viewport = { 0, 0, icon->width * scale, icon->height * scale };
      rsvg_handle_render_document (icon->svg, cr, &viewport, NULL);
    }
  cairo_restore (cr);
}

/* ------------------------------------------------------------------ layout */

static guint
mm_to_dots (double mm,
            guint  dpi)
{
  return (guint) lround (mm * dpi / 25.4);
}

static double
text_width (const char *text,
            double      size)
{
  static GMutex lock;
  static cairo_t *cr;
  cairo_text_extents_t ext;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&lock);

  if (cr == NULL)
    {
      cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_A8, 1, 1);
      cr = cairo_create (surface);
      cairo_surface_destroy (surface);
      cairo_select_font_face (cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    }
  cairo_set_font_size (cr, size);
  cairo_text_extents (cr, text, &ext);
  return ext.x_advance;
}

static void
sc_label_layout_finalize (GObject *object)
{
  ScLabelLayout *self = SC_LABEL_LAYOUT (object);

  g_clear_pointer (&self->symbol, sc_symbol_unref);
  g_clear_pointer (&self->verified, cairo_surface_destroy);
  g_free (self->icon_path);
  for (guint i = 0; i < G_N_ELEMENTS (self->lines); i++)
    g_free (self->lines[i]);

  G_OBJECT_CLASS (sc_label_layout_parent_class)->finalize (object);
}

static void
sc_label_layout_class_init (ScLabelLayoutClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sc_label_layout_finalize;
}

static void
sc_label_layout_init (ScLabelLayout *self)
{
}

/**
 * sc_label_layout_new:
 *
 * Returns: (transfer full): the layout.
 */
ScLabelLayout *
sc_label_layout_new (ScLabelKind   kind,
                     ScSymbol     *symbol,
                     guint         dpi,
                     double        min_mm,
                     const char   *icon_path,
                     const char   *serial,
                     const char   *package_code,
                     gboolean      training,
                     GError      **error)
{
  g_autoptr(ScLabelLayout) self = NULL;
  guint dpi_mm, gap, box, content_width, line_height;
  double widest = 0;

  g_return_val_if_fail (symbol != NULL, NULL);
  g_return_val_if_fail (dpi >= 50, NULL);

  {
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&icon_lock);
    if (icon_lookup (icon_path, error) == NULL)
      return NULL;
  }

  self = g_object_new (SC_TYPE_LABEL_LAYOUT, NULL);
  self->kind = kind;
  self->symbol = sc_symbol_ref (symbol);
  self->training = training;
  self->icon_path = g_strdup (icon_path);
  sc_geometry_compute (sc_symbol_get_size (symbol), dpi, min_mm, &self->geometry);

  if (serial != NULL)
    self->lines[self->n_lines++] = g_strdup_printf ("S/N %s", serial);
  if (package_code != NULL && kind == SC_LABEL_KIND_PACKAGE)
    self->lines[self->n_lines++] = g_strdup_printf ("%s %s", strlen (package_code) == 13 ? "EAN" : "UPC",
                                                    package_code);

  dpi_mm = mm_to_dots (1.0, dpi);
  self->quiet = self->geometry.dots_per_module;
  self->margin = mm_to_dots (1.5, dpi);
  gap = mm_to_dots (1.5, dpi);
  box = self->geometry.symbol_dots + 2 * self->quiet;
  self->icon_side = self->geometry.symbol_dots;
  content_width = self->icon_side + gap + box;

  /* Text: 2.2 mm high, shrunk (to 1.2 mm at least) to fit the content width. */
  self->text_size = 2.2 * dpi_mm;
  for (guint i = 0; i < self->n_lines; i++)
    widest = MAX (widest, text_width (self->lines[i], self->text_size));
  if (widest > content_width)
    self->text_size = MAX (1.2 * dpi_mm, self->text_size * content_width / widest);
  line_height = (guint) ceil (self->text_size * 1.35);
  widest = 0;
  for (guint i = 0; i < self->n_lines; i++)
    widest = MAX (widest, text_width (self->lines[i], self->text_size));

  self->width = 2 * self->margin + MAX (content_width, (guint) ceil (widest));
  if (training)
    {
      self->banner_height = mm_to_dots (3.5, dpi);
      self->banner_text_size = self->banner_height * 0.6;
      if (text_width (TRAINING_TEXT, self->banner_text_size) > self->width - 2 * self->margin)
        self->banner_text_size *= (self->width - 2 * self->margin) /
                                  text_width (TRAINING_TEXT, self->banner_text_size);
    }

  self->icon_x = self->margin;
  self->icon_y = self->margin + self->banner_height + self->quiet;
  self->symbol_x = self->margin + self->icon_side + gap + self->quiet;
  self->symbol_y = self->icon_y;
  self->text_y = self->margin + self->banner_height + box;
  self->height = self->text_y + self->n_lines * line_height + self->margin;

  return g_steal_pointer (&self);
}

ScLabelLayout *
sc_label_layout_new_for_profile (ScProfile        *profile,
                                 const ScPayload  *payload,
                                 gboolean          training,
                                 GError          **error)
{
  const ScLabelSettings *settings;
  g_autoptr(ScSymbol) symbol = NULL;
  g_autofree char *text = NULL;
  ScLabelLayout *layout;

  g_return_val_if_fail (SC_IS_PROFILE (profile), NULL);
  g_return_val_if_fail (payload != NULL, NULL);

  settings = sc_profile_get_label_settings (profile);
  text = sc_payload_to_string (payload, error);
  if (text == NULL)
    return NULL;
  symbol = sc_symbol_encode (settings->symbology, text, settings->symbol_size, error);
  sc_clear_secret_string (&text);
  if (symbol == NULL)
    return NULL;

  layout = sc_label_layout_new (payload->kind, symbol, settings->dpi,
                                payload->kind == SC_LABEL_KIND_PRODUCT ? settings->product_min_mm
                                                                       : settings->package_min_mm,
                                settings->icon_path, payload->serial,
                                payload->upc ? payload->upc : payload->ean, training, error);
  return layout;
}

/**
 * sc_label_layout_new_test:
 * @profile: the product whose labels the printer will print
 *
 * The calibration label, to check a printer's size and offset with a ruler
 * and its symbol with a scanner: the symbol at the size the product's
 * labels get (the profile's dpi and product minimum; its forced size, or
 * the size a usual product payload needs), holding a text that says it is
 * a test, its top-left corner 10 mm from the label's top-left corner both
 * ways, millimetre rulers along the top and left edges, a border on the
 * label's edge, and the geometry in words. Drawn, written and verified
 * like any label.
 *
 * Returns: (transfer full): the layout.
 */
ScLabelLayout *
sc_label_layout_new_test (ScProfile  *profile,
                          GError    **error)
{
  const ScLabelSettings *settings;
  g_autoptr(ScLabelLayout) self = NULL;
  g_autoptr(ScSymbol) symbol = NULL;
  g_autofree char *text = NULL;
  guint modules, dpi, line_height, right;
  double dpmm, widest = 0;

  g_return_val_if_fail (SC_IS_PROFILE (profile), NULL);

  settings = sc_profile_get_label_settings (profile);
  dpi = settings->dpi;
  modules = settings->symbol_size;
  if (modules == 0)
    {
      g_autoptr(ScPayload) sample = sc_payload_new (SC_LABEL_KIND_PRODUCT);
      g_autoptr(ScSymbol) sized = NULL;
      sc_autowipe char *sample_text = NULL;

      sample->serial = settings->include_serial ? g_strdup ("SC00000000000000") : NULL;
      sample->pid = g_strdup (sc_profile_get_pid (profile));
      sample->puk = g_strdup (TEST_SAMPLE_PUK);
      sample->pin = g_strndup (TEST_SAMPLE_PIN, MIN (sc_profile_get_pin_length (profile), strlen (TEST_SAMPLE_PIN)));
      sample->trailing_semicolon = settings->trailing_semicolon;
      if ((sample_text = sc_payload_to_string (sample, error)) == NULL ||
          (sized = sc_symbol_encode (settings->symbology, sample_text, 0, error)) == NULL)
        return NULL;
      modules = sc_symbol_get_size (sized);
    }
  text = g_strdup_printf ("SETUP CONSOLE TEST LABEL %u DPI", dpi);
  symbol = sc_symbol_encode (settings->symbology, text, modules, error);
  if (symbol == NULL)
    return NULL;

  self = g_object_new (SC_TYPE_LABEL_LAYOUT, NULL);
  self->kind = SC_LABEL_KIND_PACKAGE;  /* no PIN in it: an ordinary file mode */
  self->test = TRUE;
  self->symbol = sc_symbol_ref (symbol);
  sc_geometry_compute (sc_symbol_get_size (symbol), dpi, settings->product_min_mm, &self->geometry);
  dpmm = dpi / 25.4;

  self->lines[self->n_lines++] = g_strdup ("TEST LABEL - NOT A UNIT");
  self->lines[self->n_lines++] = g_strdup_printf ("%u dpi, module %u dots = %.3f mm", dpi,
                                                  self->geometry.dots_per_module, self->geometry.module_mm);
  self->lines[self->n_lines++] = g_strdup_printf ("symbol %ux%u = %.2f mm at %.0f, %.0f mm", modules, modules,
                                                  self->geometry.symbol_mm, TEST_SYMBOL_MM, TEST_SYMBOL_MM);

  self->quiet = self->geometry.dots_per_module;
  self->margin = mm_to_dots (1.5, dpi);
  self->symbol_x = self->symbol_y = mm_to_dots (TEST_SYMBOL_MM, dpi);
  right = self->symbol_x + self->geometry.symbol_dots + self->quiet + mm_to_dots (5.0, dpi);

  /* Text: 2.2 mm high, shrunk (to 1.2 mm at least) to fit beside the ruler. */
  self->text_size = 2.2 * dpmm;
  for (guint i = 0; i < self->n_lines; i++)
    widest = MAX (widest, text_width (self->lines[i], self->text_size));
  if (widest > right - self->symbol_x)
    self->text_size = MAX (1.2 * dpmm, self->text_size * (right - self->symbol_x) / widest);
  widest = 0;
  for (guint i = 0; i < self->n_lines; i++)
    widest = MAX (widest, text_width (self->lines[i], self->text_size));
  line_height = (guint) ceil (self->text_size * 1.35);

  self->width = MAX (MAX (right, self->symbol_x + (guint) ceil (widest) + self->margin), mm_to_dots (40.0, dpi));
  self->text_y = self->symbol_y + self->geometry.symbol_dots + self->quiet + mm_to_dots (1.0, dpi);
  self->height = self->text_y + self->n_lines * line_height + self->margin;
  return g_steal_pointer (&self);
}

gboolean
sc_label_layout_is_test (ScLabelLayout *self)
{
  g_return_val_if_fail (SC_IS_LABEL_LAYOUT (self), FALSE);
  return self->test;
}

const ScGeometry *sc_label_layout_get_geometry (ScLabelLayout *self) { g_return_val_if_fail (SC_IS_LABEL_LAYOUT (self), NULL); return &self->geometry; }
ScSymbol *sc_label_layout_get_symbol (ScLabelLayout *self) { g_return_val_if_fail (SC_IS_LABEL_LAYOUT (self), NULL); return self->symbol; }
ScLabelKind sc_label_layout_get_kind (ScLabelLayout *self) { g_return_val_if_fail (SC_IS_LABEL_LAYOUT (self), 0); return self->kind; }

void
sc_label_layout_get_size (ScLabelLayout *self,
                          guint         *width,
                          guint         *height)
{
  g_return_if_fail (SC_IS_LABEL_LAYOUT (self));

  *width = self->width;
  *height = self->height;
}

void
sc_label_layout_get_symbol_origin (ScLabelLayout *self,
                                   guint         *x,
                                   guint         *y)
{
  g_return_if_fail (SC_IS_LABEL_LAYOUT (self));

  *x = self->symbol_x;
  *y = self->symbol_y;
}

/* ----------------------------------------------------------------- drawing */

static void
draw_modules (ScLabelLayout *self,
              cairo_t       *cr)
{
  guint n = sc_symbol_get_size (self->symbol);
  guint k = self->geometry.dots_per_module;

  cairo_save (cr);
  cairo_set_antialias (cr, CAIRO_ANTIALIAS_NONE);
  cairo_set_source_rgb (cr, 0, 0, 0);
  for (guint row = 0; row < n; row++)
    for (guint col = 0; col < n; )
      {
        guint run = 0;

        while (col + run < n && sc_symbol_get_module (self->symbol, row, col + run))
          run++;
        if (run > 0)
          cairo_rectangle (cr, self->symbol_x + col * k, self->symbol_y + row * k, run * k, k);
        col += MAX (run, 1);
      }
  cairo_fill (cr);
  cairo_restore (cr);
}

/* The test label's border and millimetre rulers: a tick's left (top) edge
 * is on its millimetre; 5 mm ticks are longer, centimetre ticks longest and
 * numbered. */
static void
draw_rulers (ScLabelLayout *self,
             cairo_t       *cr)
{
  double dpmm = self->geometry.dpi / 25.4;
  double line = MAX (1.0, round (0.2 * dpmm));
  double number_size = 1.6 * dpmm;

  cairo_save (cr);
  cairo_set_antialias (cr, CAIRO_ANTIALIAS_NONE);
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_rectangle (cr, 0, 0, self->width, line);
  cairo_rectangle (cr, 0, self->height - line, self->width, line);
  cairo_rectangle (cr, 0, 0, line, self->height);
  cairo_rectangle (cr, self->width - line, 0, line, self->height);
  for (guint i = 1; round (i * dpmm) < self->width; i++)
    cairo_rectangle (cr, round (i * dpmm), 0, line, round ((i % 10 == 0 ? 3.0 : i % 5 == 0 ? 2.0 : 1.0) * dpmm));
  for (guint i = 1; round (i * dpmm) < self->height; i++)
    cairo_rectangle (cr, 0, round (i * dpmm), round ((i % 10 == 0 ? 3.0 : i % 5 == 0 ? 2.0 : 1.0) * dpmm), line);
  cairo_fill (cr);
  cairo_restore (cr);

  cairo_save (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_set_font_size (cr, number_size);
  for (guint i = 10; round ((i + 3) * dpmm) < self->width; i += 10)
    {
      char number[16];

      g_snprintf (number, sizeof number, "%u", i);
      cairo_move_to (cr, round (i * dpmm) + 0.5 * dpmm, 3.0 * dpmm + number_size);
      cairo_show_text (cr, number);
    }
  for (guint i = 10; round ((i + 2) * dpmm) < self->height; i += 10)
    {
      char number[16];

      g_snprintf (number, sizeof number, "%u", i);
      cairo_move_to (cr, 3.5 * dpmm, round (i * dpmm) + number_size * 0.36);
      cairo_show_text (cr, number);
    }
  cairo_restore (cr);
}

void
sc_label_layout_draw (ScLabelLayout *self,
                      cairo_t       *cr)
{
  g_return_if_fail (SC_IS_LABEL_LAYOUT (self));
  g_return_if_fail (cr != NULL);

  cairo_save (cr);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_rectangle (cr, 0, 0, self->width, self->height);
  cairo_fill (cr);

  cairo_select_font_face (cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);

  if (self->training)
    {
      double w;

      cairo_set_source_rgb (cr, 0, 0, 0);
      cairo_rectangle (cr, 0, 0, self->width, self->margin + self->banner_height);
      cairo_fill (cr);
      cairo_set_source_rgb (cr, 1, 1, 1);
      cairo_set_font_size (cr, self->banner_text_size);
      w = text_width (TRAINING_TEXT, self->banner_text_size);
      cairo_move_to (cr, (self->width - w) / 2,
                     self->margin + self->banner_height / 2.0 + self->banner_text_size * 0.36);
      cairo_show_text (cr, TRAINING_TEXT);
    }

  if (self->test)
    draw_rulers (self, cr);
  else
    draw_icon (self, cr);
  draw_modules (self, cr);

  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_set_font_size (cr, self->text_size);
  for (guint i = 0; i < self->n_lines; i++)
    {
      cairo_move_to (cr, self->test ? self->symbol_x : self->margin,
                     self->text_y + (i + 1) * self->text_size * 1.35 - self->text_size * 0.3);
      cairo_show_text (cr, self->lines[i]);
    }
  cairo_restore (cr);
}

cairo_surface_t *
sc_label_layout_render (ScLabelLayout *self)
{
  cairo_surface_t *surface;
  cairo_t *cr;

  g_return_val_if_fail (SC_IS_LABEL_LAYOUT (self), NULL);

  surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, self->width, self->height);
  cr = cairo_create (surface);
  sc_label_layout_draw (self, cr);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  return surface;
}

/* ----------------------------------------------------------- decode-back */

/* The label's kind in the operator's words, for the messages below. */
static const char *
kind_name (ScLabelLayout *self)
{
  return self->test ? C_("label kind", "test label") : sc_label_kind_to_display (self->kind);
}

/* An 8-bit grey copy of a rectangle of an RGB24/ARGB32 surface. */
static guint8 *
grey_crop (cairo_surface_t *surface,
           int              x,
           int              y,
           int              w,
           int              h)
{
  const guint8 *data = cairo_image_surface_get_data (surface);
  int stride = cairo_image_surface_get_stride (surface);
  guint8 *grey = g_malloc ((gsize) w * h);

  for (int row = 0; row < h; row++)
    {
      const guint32 *src = (const guint32 *) (gconstpointer) (data + (gsize) (y + row) * stride) + x;
      guint8 *dst = grey + (gsize) row * w;

      for (int col = 0; col < w; col++)
        {
          guint32 p = src[col];
          dst[col] = (guint8) ((((p >> 16) & 0xff) * 77 + ((p >> 8) & 0xff) * 150 + (p & 0xff) * 29) >> 8);
        }
    }
  return grey;
}

static gboolean
compare (const char  *decoder,
         const char  *got,
         gsize        got_len,
         const char  *want,
         const char  *kind,
         GError     **error)
{
  gsize want_len = strlen (want);

  if (got == NULL)
    {
      g_set_error (error, SC_LABEL_ERROR, SC_LABEL_ERROR_NOT_FOUND,
                   /* Translators: a decoder, then a label ("product label") */
                   _("%s could not read the %s’s symbol back; the label is not used"),
                   decoder, kind);
      return FALSE;
    }
  if (got_len != want_len || memcmp (got, want, want_len) != 0)
    {
      gsize i = 0;

      while (i < got_len && i < want_len && got[i] == want[i])
        i++;
      /* The payload holds the PIN: say where it differs, never what it says. */
      g_set_error (error, SC_LABEL_ERROR, SC_LABEL_ERROR_MISMATCH,
                   /* Translators: the third %s is a label ("product label") */
                   _("%s read %zu bytes back from the %s, differing from the "
                     "%zu-byte payload at byte %zu; the label is not used"),
                   decoder, got_len, kind, want_len, i + 1);
      return FALSE;
    }
  return TRUE;
}

gboolean
sc_label_layout_verify (ScLabelLayout    *self,
                        cairo_surface_t  *raster,
                        GError          **error)
{
  const char *payload;
  int box, x, y;
  g_autofree guint8 *grey = NULL;
  char *got;
  gsize got_len = 0;
  gboolean ok;

  g_return_val_if_fail (SC_IS_LABEL_LAYOUT (self), FALSE);
  g_return_val_if_fail (raster != NULL, FALSE);
  g_return_val_if_fail ((guint) cairo_image_surface_get_width (raster) == self->width &&
                        (guint) cairo_image_surface_get_height (raster) == self->height, FALSE);
  _sc_blocking_check (G_STRFUNC);

  payload = sc_symbol_get_payload (self->symbol);

  /* Only the symbol and its quiet zone: zxing-cpp finds a symbol reliably
   * only when it crosses the image's centre line. */
  box = (int) (self->geometry.symbol_dots + 2 * self->quiet);
  x = (int) (self->symbol_x - self->quiet);
  y = (int) (self->symbol_y - self->quiet);
  cairo_surface_flush (raster);
  grey = grey_crop (raster, x, y, box, box);

  if (sc_symbol_get_symbology (self->symbol) == SC_SYMBOLOGY_DATAMATRIX)
    {
      got = _sc_decode_libdmtx (grey, box, box, box, (int) self->geometry.modules,
                                (int) self->geometry.dots_per_module, &got_len);
      ok = compare ("libdmtx", got, got_len, payload, kind_name (self), error);
      if (got != NULL)
        sc_clear_secret_string (&got);
      if (!ok)
        return FALSE;
    }

  got = _sc_decode_zxing (grey, box, box, box, TRUE, &got_len);
  ok = compare ("zxing-cpp", got, got_len, payload, kind_name (self), error);
  if (got != NULL)
    sc_clear_secret_string (&got);

  /* Kept, so printing it needs no second render and decode. */
  if (ok && raster != self->verified)
    {
      g_clear_pointer (&self->verified, cairo_surface_destroy);
      self->verified = cairo_surface_reference (raster);
    }
  return ok;
}

/* ------------------------------------------------------------------ output */

static cairo_status_t
append_bytes (void                *closure,
              const unsigned char *data,
              unsigned int         length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

static void
png_append (png_structp  png,
            png_bytep    data,
            png_size_t   len)
{
  g_byte_array_append (png_get_io_ptr (png), data, len);
}

static void
png_flush_nothing (png_structp png)
{
}

/* The raster as a 1-bit grey PNG, what a thermal label printer prints: dots
 * darker than half are black. Much smaller and faster to write than cairo's
 * 24-bit PNG, and the symbol's dots are exactly what they were. */
static gboolean
append_png_1bit (GByteArray       *out,
                 cairo_surface_t  *raster,
                 GError          **error)
{
  int w = cairo_image_surface_get_width (raster);
  int h = cairo_image_surface_get_height (raster);
  g_autofree guint8 *grey = grey_crop (raster, 0, 0, w, h);
  g_autofree guint8 *row = g_malloc0 ((w + 7) / 8);
  png_structp png = png_create_write_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png ? png_create_info_struct (png) : NULL;

  if (png == NULL || info == NULL || setjmp (png_jmpbuf (png)))
    {
      png_destroy_write_struct (&png, &info);
      g_set_error (error, SC_LABEL_ERROR, SC_LABEL_ERROR_OUTPUT, _("Cannot encode the label as PNG"));
      return FALSE;
    }

  png_set_write_fn (png, out, png_append, png_flush_nothing);
  png_set_compression_level (png, Z_BEST_SPEED);
  png_set_filter (png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
  png_set_IHDR (png, info, (png_uint_32) w, (png_uint_32) h, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info (png, info);
  for (int y = 0; y < h; y++)
    {
      const guint8 *src = grey + (gsize) y * w;

      memset (row, 0, (w + 7) / 8);
      for (int x = 0; x < w; x++)
        if (src[x] >= 128)
          row[x / 8] |= 0x80 >> (x % 8);   /* 1 = white */
      png_write_row (png, row);
    }
  png_write_end (png, info);
  png_destroy_write_struct (&png, &info);
  return TRUE;
}

static gboolean
write_file (ScLabelLayout  *self,
            const char     *path,
            GByteArray     *bytes,
            GError        **error)
{
  g_autoptr(GError) local_error = NULL;
  /* A product label carries the PIN: keep the file to its owner. */
  int mode = self->kind == SC_LABEL_KIND_PRODUCT ? 0600 : 0644;

  if (!g_file_set_contents_full (path, (const char *) bytes->data, bytes->len,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 mode, &local_error))
    {
      g_set_error (error, SC_LABEL_ERROR, SC_LABEL_ERROR_OUTPUT,
                   _("Cannot write the label: %s"), local_error->message);
      return FALSE;
    }
  return TRUE;
}

static void
append_hex_bitmap (GString         *zpl,
                   cairo_surface_t *surface,
                   int              x,
                   int              y,
                   int              w,
                   int              h)
{
  g_autofree guint8 *grey = grey_crop (surface, x, y, w, h);
  int bytes_per_row = (w + 7) / 8;
  int total = bytes_per_row * h;

  g_string_append_printf (zpl, "^GFA,%d,%d,%d,", total, total, bytes_per_row);
  for (int row = 0; row < h; row++)
    for (int b = 0; b < bytes_per_row; b++)
      {
        guint8 byte = 0;

        for (int bit = 0; bit < 8; bit++)
          {
            int col = b * 8 + bit;
            if (col < w && grey[(gsize) row * w + col] < 128)
              byte |= 0x80 >> bit;
          }
        g_string_append_printf (zpl, "%02X", byte);
      }
  g_string_append (zpl, "^FS\n");
}

/**
 * sc_label_layout_to_zpl:
 * @bitmap: %TRUE for one ^GF bitmap of our own raster; %FALSE for the
 *   printer's own ^BX (DataMatrix) or ^BQ (QR) encoder, forced to our size
 *
 * Returns: (transfer full): the ZPL; it holds the payload, so wipe it.
 */
char *
sc_label_layout_to_zpl (ScLabelLayout *self,
                        gboolean       bitmap)
{
  g_return_val_if_fail (SC_IS_LABEL_LAYOUT (self), NULL);

  return sc_label_layout_to_zpl_for_printer (self, bitmap, NULL);
}

/**
 * sc_label_layout_to_zpl_for_printer:
 * @bitmap: as for sc_label_layout_to_zpl()
 * @printer: (nullable): the printer's calibration; %NULL: as laid out
 *
 * The ZPL with the printer's calibration: darkness (~SD, before the
 * format), print width (^PW) and label length (^LL) of the stock when the
 * profile gives them (else the label's, plus its offset), and the offset:
 * ^LH for a label moved right or down, ^LS for one moved left, ^LT for one
 * moved up (each set every time: ZPL keeps them from one format to the
 * next).
 *
 * Returns: (transfer full): the ZPL; it holds the payload, so wipe it.
 */
char *
sc_label_layout_to_zpl_for_printer (ScLabelLayout           *self,
                                    gboolean                 bitmap,
                                    const ScPrinterSettings *printer)
{
  g_autoptr(GString) zpl = g_string_new (NULL);
  cairo_surface_t *raster;
  guint n, k;

  g_return_val_if_fail (SC_IS_LABEL_LAYOUT (self), NULL);

  raster = sc_label_layout_render (self);
  if (printer == NULL)
    g_string_append_printf (zpl, "^XA\n^PW%u\n^LL%u\n^LH0,0\n", self->width, self->height);
  else
    {
      int x = printer->x_offset, y = printer->y_offset;

      if (printer->darkness >= 0)
        g_string_append_printf (zpl, "~SD%02d\n", MIN (printer->darkness, 30));
      g_string_append_printf (zpl, "^XA\n^PW%u\n^LL%u\n^LH%d,%d\n^LS%d\n^LT%d\n",
                              printer->width ? printer->width : self->width + (guint) MAX (x, 0),
                              printer->length ? printer->length : self->height + (guint) MAX (y, 0),
                              MAX (x, 0), MAX (y, 0), x < 0 ? -x : 0, MIN (y, 0));
    }

  if (bitmap)
    {
      g_string_append (zpl, "^FO0,0");
      append_hex_bitmap (zpl, raster, 0, 0, (int) self->width, (int) self->height);
    }
  else
    {
      const char *payload = sc_symbol_get_payload (self->symbol);

      /* Everything but the symbol as one bitmap: banner, icon, text. */
      g_string_append (zpl, "^FO0,0");
      {
        cairo_t *cr = cairo_create (raster);
        cairo_set_source_rgb (cr, 1, 1, 1);
        cairo_rectangle (cr, self->symbol_x, self->symbol_y,
                         self->geometry.symbol_dots, self->geometry.symbol_dots);
        cairo_fill (cr);
        cairo_destroy (cr);
        cairo_surface_flush (raster);
      }
      append_hex_bitmap (zpl, raster, 0, 0, (int) self->width, (int) self->height);

      /* The payload alphabet (spec section 3) has no ^ or ~, the ZPL command
       * and escape characters. */
      g_assert (strpbrk (payload, "^~") == NULL);
      n = sc_symbol_get_size (self->symbol);
      k = self->geometry.dots_per_module;
      if (sc_symbol_get_symbology (self->symbol) == SC_SYMBOLOGY_QR)
        g_string_append_printf (zpl, "^FO%u,%u^BQN,2,%u,M^FDMA,%s^FS\n",
                                self->symbol_x, self->symbol_y, k, payload);
      else
        g_string_append_printf (zpl, "^FO%u,%u^BXN,%u,200,%u,%u,6,~,1^FD%s^FS\n",
                                self->symbol_x, self->symbol_y, k, n, n, payload);
    }

  g_string_append (zpl, "^XZ\n");
  cairo_surface_destroy (raster);
  return g_string_free (g_steal_pointer (&zpl), FALSE);
}

gboolean
sc_label_format_from_string (const char    *str,
                             ScLabelFormat *format)
{
  static const struct { const char *name; ScLabelFormat format; } formats[] = {
    { "png", SC_LABEL_FORMAT_PNG }, { "pdf", SC_LABEL_FORMAT_PDF }, { "svg", SC_LABEL_FORMAT_SVG },
    { "zpl", SC_LABEL_FORMAT_ZPL }, { "zpl-bitmap", SC_LABEL_FORMAT_ZPL_BITMAP },
  };

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    if (g_strcmp0 (str, formats[i].name) == 0)
      {
        *format = formats[i].format;
        return TRUE;
      }
  return FALSE;
}

gboolean
sc_label_layout_write (ScLabelLayout  *self,
                       ScLabelFormat   format,
                       const char     *path,
                       GError        **error)
{
  g_autoptr(ScSecret) bytes = NULL;
  g_autoptr(GByteArray) file = NULL;
  gsize len;
  const guint8 *data;
  gboolean ok;

  g_return_val_if_fail (SC_IS_LABEL_LAYOUT (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  _sc_blocking_check (G_STRFUNC);

  bytes = sc_label_layout_encode (self, format, NULL, error);
  if (bytes == NULL)
    return FALSE;
  data = sc_secret_get_data (bytes, &len);
  file = g_byte_array_new ();
  g_byte_array_append (file, data, len);
  ok = write_file (self, path, file, error);
  sc_memwipe (file->data, file->len);
  return ok;
}

/**
 * sc_label_layout_encode:
 * @printer: (nullable): calibrates ZPL (see
 *   sc_label_layout_to_zpl_for_printer()); the other formats ignore it
 *
 * What sc_label_layout_write() writes, as bytes: rendered, verified (once),
 * then encoded in @format.
 *
 * Returns: (transfer full): the label; it holds the payload, so it is a
 *   secret, wiped when dropped.
 */
ScSecret *
sc_label_layout_encode (ScLabelLayout            *self,
                        ScLabelFormat             format,
                        const ScPrinterSettings  *printer,
                        GError                  **error)
{
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  cairo_surface_t *raster;
  cairo_surface_t *vector = NULL;
  double unit_per_dot;
  ScSecret *secret;

  g_return_val_if_fail (SC_IS_LABEL_LAYOUT (self), NULL);

  /* Every label is read back before it exists anywhere else; a raster
   * verified already is not verified twice. */
  if (self->verified != NULL)
    raster = cairo_surface_reference (self->verified);
  else
    {
      raster = sc_label_layout_render (self);
      if (!sc_label_layout_verify (self, raster, error))
        {
          cairo_surface_destroy (raster);
          return NULL;
        }
    }

  switch (format)
    {
    case SC_LABEL_FORMAT_PNG:
      if (!append_png_1bit (bytes, raster, error))
        {
          cairo_surface_destroy (raster);
          sc_memwipe (bytes->data, bytes->len);
          return NULL;
        }
      break;

    case SC_LABEL_FORMAT_PDF:
    case SC_LABEL_FORMAT_SVG:
      /* True size: PDF in points, SVG in millimetres. */
      if (format == SC_LABEL_FORMAT_PDF)
        {
          unit_per_dot = 72.0 / self->geometry.dpi;
          vector = cairo_pdf_surface_create_for_stream (append_bytes, bytes, self->width * unit_per_dot,
                                                        self->height * unit_per_dot);
        }
      else
        {
          unit_per_dot = 25.4 / self->geometry.dpi;
          vector = cairo_svg_surface_create_for_stream (append_bytes, bytes, self->width * unit_per_dot,
                                                        self->height * unit_per_dot);
          cairo_svg_surface_set_document_unit (vector, CAIRO_SVG_UNIT_MM);
        }
      {
        cairo_t *cr = cairo_create (vector);
        cairo_scale (cr, unit_per_dot, unit_per_dot);
        sc_label_layout_draw (self, cr);
        cairo_destroy (cr);
      }
      cairo_surface_finish (vector);
      cairo_surface_destroy (vector);
      break;

    case SC_LABEL_FORMAT_ZPL:
    case SC_LABEL_FORMAT_ZPL_BITMAP:
      {
        char *zpl = sc_label_layout_to_zpl_for_printer (self, format == SC_LABEL_FORMAT_ZPL_BITMAP, printer);
        g_byte_array_append (bytes, (const guint8 *) zpl, strlen (zpl));
        sc_clear_secret_string (&zpl);
      }
      break;

    default:
      g_assert_not_reached ();
    }
  cairo_surface_destroy (raster);

  secret = sc_secret_new (bytes->data, bytes->len);
  sc_memwipe (bytes->data, bytes->len);
  return secret;
}

/* --------------------------------------------------------- any image in */

char *
sc_label_decode_png (const char  *path,
                     char       **decoder_used,
                     GError     **error)
{
  g_autofree char *display = g_filename_display_name (path);
  g_autofree guint8 *grey = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  cairo_surface_t *image, *rgb;
  cairo_t *cr;
  gsize a_len = 0, b_len = 0;
  int w, h;

  _sc_blocking_check (G_STRFUNC);
  image = cairo_image_surface_create_from_png (path);
  if (cairo_surface_status (image) != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, SC_LABEL_ERROR, SC_LABEL_ERROR_IMAGE,
                   _("Cannot read “%s” as a PNG image: %s"), display,
                   cairo_status_to_string (cairo_surface_status (image)));
      cairo_surface_destroy (image);
      return NULL;
    }

  /* Flatten onto white, whatever the PNG's format. */
  w = cairo_image_surface_get_width (image);
  h = cairo_image_surface_get_height (image);
  rgb = cairo_image_surface_create (CAIRO_FORMAT_RGB24, w, h);
  cr = cairo_create (rgb);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  cairo_set_source_surface (cr, image, 0, 0);
  cairo_paint (cr);
  cairo_destroy (cr);
  cairo_surface_destroy (image);
  cairo_surface_flush (rgb);
  grey = grey_crop (rgb, 0, 0, w, h);
  cairo_surface_destroy (rgb);

  /* Two decoders that fail in different places (spec section 4). */
  a = _sc_decode_zxing (grey, w, h, w, FALSE, &a_len);
  b = _sc_decode_libdmtx (grey, w, h, w, 0, 0, &b_len);

  if (a != NULL && b != NULL && (a_len != b_len || memcmp (a, b, a_len) != 0))
    {
      g_set_error (error, SC_LABEL_ERROR, SC_LABEL_ERROR_MISMATCH,
                   _("zxing-cpp and libdmtx read different data from “%s”"), display);
      return NULL;
    }
  if (a == NULL && b == NULL)
    {
      g_set_error (error, SC_LABEL_ERROR, SC_LABEL_ERROR_NOT_FOUND,
                   _("Neither zxing-cpp nor libdmtx finds a DataMatrix or QR symbol in “%s”"), display);
      return NULL;
    }
  if (decoder_used != NULL)
    *decoder_used = g_strdup (a && b ? "zxing-cpp, libdmtx" : a ? "zxing-cpp" : "libdmtx");
  return a ? g_steal_pointer (&a) : g_steal_pointer (&b);
}
