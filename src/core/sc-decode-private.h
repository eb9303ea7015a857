/* sc-decode-private.h: reading symbols back, with two independent decoders
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Both take an 8-bit grey image (0 = black) and return the decoded bytes as
 * a NUL-terminated string (with *len set), or NULL when nothing decodes.
 * @modules and @dots_per_module narrow libdmtx's search (0: unknown). */
char *_sc_decode_libdmtx (const guint8 *grey,
                          int           width,
                          int           height,
                          int           stride,
                          int           modules,
                          int           dots_per_module,
                          gsize        *len);

/* zxing-cpp, DataMatrix and QR. @pure: the image holds nothing but one
 * upright symbol and its quiet zone (a crop of our own raster). */
char *_sc_decode_zxing   (const guint8 *grey,
                          int           width,
                          int           height,
                          int           stride,
                          gboolean      pure,
                          gsize        *len);

G_END_DECLS
