/* sc-label-preview.h: a label on screen, drawn by the core's renderer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "sc-label.h"

G_BEGIN_DECLS

#define SC_TYPE_LABEL_PREVIEW (sc_label_preview_get_type ())

G_DECLARE_FINAL_TYPE (ScLabelPreview, sc_label_preview, SC, LABEL_PREVIEW, GtkWidget)

/* Property: layout. The label is drawn with a whole number of device pixels
 * per printer dot (the largest that fits, at most max-pixels-per-dot), so
 * every module lands on whole pixels and keeps its true proportions. */
GtkWidget     *sc_label_preview_new                   (void);
ScLabelLayout *sc_label_preview_get_layout            (ScLabelPreview *self);
void           sc_label_preview_set_layout            (ScLabelPreview *self,
                                                       ScLabelLayout  *layout);
/* Device pixels per printer dot used for the last frame drawn; 0 before
 * one was drawn or when there is no layout. */
guint          sc_label_preview_get_pixels_per_dot    (ScLabelPreview *self);

G_END_DECLS
