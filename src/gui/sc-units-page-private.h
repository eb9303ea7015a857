/* sc-units-page-private.h: for the widget tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sc-units-page.h"

G_BEGIN_DECLS

/* units.print-on writes the label to @pdf_path (GTK's PDF export) for a
 * printer of @dpi instead of opening the print dialog, so a test needs no
 * printer; NULL opens the dialog again. */
void _sc_units_page_set_print_export (ScUnitsPage *self,
                                      const char  *pdf_path,
                                      guint        dpi);

G_END_DECLS
