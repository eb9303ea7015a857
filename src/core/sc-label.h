/* sc-label.h: label geometry, layout and the one cairo renderer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <cairo.h>
#include <glib-object.h>

#include "sc-payload.h"
#include "sc-profile.h"
#include "sc-secret.h"
#include "sc-symbol.h"

G_BEGIN_DECLS

#define SC_LABEL_ERROR (sc_label_error_quark ())

typedef enum
{
  SC_LABEL_ERROR_ICON,        /* the FFS icon file cannot be drawn */
  SC_LABEL_ERROR_OUTPUT,      /* the file cannot be written */
  SC_LABEL_ERROR_NOT_FOUND,   /* a decoder found no symbol */
  SC_LABEL_ERROR_MISMATCH,    /* a decoder read something other than the payload */
  SC_LABEL_ERROR_IMAGE,       /* an image to verify cannot be read */
} ScLabelError;

typedef enum
{
  SC_LABEL_FORMAT_PNG,
  SC_LABEL_FORMAT_PDF,
  SC_LABEL_FORMAT_SVG,
  SC_LABEL_FORMAT_ZPL,        /* native ^BX / ^BQ: the printer encodes */
  SC_LABEL_FORMAT_ZPL_BITMAP, /* ^GF: the printer prints our raster */
} ScLabelFormat;

/* Where the symbol lands on a printer of @dpi dots per inch. */
typedef struct
{
  guint    dpi;
  guint    modules;          /* per side */
  guint    dots_per_module;  /* a whole number of printer dots */
  guint    symbol_dots;      /* modules * dots_per_module */
  double   module_mm;
  double   symbol_mm;
  double   min_mm;
  gboolean meets_minimum;
} ScGeometry;

/* The smallest whole number of dots per module whose symbol reaches @min_mm. */
void        sc_geometry_compute         (guint              modules,
                                         guint              dpi,
                                         double             min_mm,
                                         ScGeometry        *geometry);
char       *sc_geometry_describe        (const ScGeometry  *geometry);

#define SC_TYPE_LABEL_LAYOUT (sc_label_layout_get_type ())

G_DECLARE_FINAL_TYPE (ScLabelLayout, sc_label_layout, SC, LABEL_LAYOUT, GObject)

GQuark             sc_label_error_quark         (void);

/* Lays out one label: the FFS icon left of the symbol (with its 1-module
 * quiet zone), the human-readable serial (and package code) below, and a
 * training banner when @training. Everything is placed on whole printer
 * dots. @icon_path NULL draws the shipped placeholder icon. */
ScLabelLayout     *sc_label_layout_new          (ScLabelKind         kind,
                                                 ScSymbol           *symbol,
                                                 guint               dpi,
                                                 double              min_mm,
                                                 const char         *icon_path,
                                                 const char         *serial,
                                                 const char         *package_code,
                                                 gboolean            training,
                                                 GError            **error);
/* The same from a profile's label settings. */
ScLabelLayout     *sc_label_layout_new_for_profile (ScProfile       *profile,
                                                    const ScPayload *payload,
                                                    gboolean         training,
                                                    GError         **error);

/* The printer calibration label: the symbol at the product's size, mm
 * rulers, a border; a test text in the symbol, never a unit's payload. */
ScLabelLayout     *sc_label_layout_new_test     (ScProfile          *profile,
                                                 GError            **error);
gboolean           sc_label_layout_is_test      (ScLabelLayout      *self);

const ScGeometry  *sc_label_layout_get_geometry (ScLabelLayout      *self);
ScSymbol          *sc_label_layout_get_symbol   (ScLabelLayout      *self);
ScLabelKind        sc_label_layout_get_kind     (ScLabelLayout      *self);
/* Label size and symbol position, in printer dots. */
void               sc_label_layout_get_size     (ScLabelLayout      *self,
                                                 guint              *width,
                                                 guint              *height);
void               sc_label_layout_get_symbol_origin (ScLabelLayout *self,
                                                      guint         *x,
                                                      guint         *y);

/* Draws the label with one user unit = one printer dot. */
void               sc_label_layout_draw         (ScLabelLayout      *self,
                                                 cairo_t            *cr);
/* The label at printer resolution, RGB24. */
cairo_surface_t   *sc_label_layout_render       (ScLabelLayout      *self);
/* Decodes the symbol in @raster (as rendered) with libdmtx and zxing-cpp
 * and compares both with the payload, byte for byte. */
gboolean           sc_label_layout_verify       (ScLabelLayout      *self,
                                                 cairo_surface_t    *raster,
                                                 GError            **error);
/* Renders, verifies the raster, then writes @format to @path (all or
 * nothing). PDF and SVG are at true size. */
gboolean           sc_label_layout_write        (ScLabelLayout      *self,
                                                 ScLabelFormat       format,
                                                 const char         *path,
                                                 GError            **error);
/* The bytes sc_label_layout_write() would write; ZPL calibrated for
 * @printer (NULL: as laid out). A secret: it holds the payload. */
ScSecret          *sc_label_layout_encode       (ScLabelLayout            *self,
                                                 ScLabelFormat             format,
                                                 const ScPrinterSettings  *printer,
                                                 GError                  **error);
char              *sc_label_layout_to_zpl       (ScLabelLayout      *self,
                                                 gboolean            bitmap);
char              *sc_label_layout_to_zpl_for_printer (ScLabelLayout           *self,
                                                       gboolean                 bitmap,
                                                       const ScPrinterSettings *printer);

gboolean           sc_label_format_from_string  (const char         *str,
                                                 ScLabelFormat      *format);

/* Decoding a symbol out of any image, for label verification. */
char              *sc_label_decode_png          (const char         *path,
                                                 char              **decoder_used,
                                                 GError            **error);

G_END_DECLS
