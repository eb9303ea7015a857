/* sc-reason-dialog.h: asking why a label is printed again
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* A question with a reason chosen from @reasons (N_() strings, shown
 * translated; the last is "Other", which needs words of one's own) and a
 * details field, which has the focus so the whole dialog works from the
 * keyboard: Enter answers @accept, which is enabled only once the answer is
 * complete. Not yet presented. */
GtkWidget *_sc_reason_dialog_new        (GtkWidget          *parent,
                                         const char         *heading,
                                         const char         *body,
                                         const char         *accept,
                                         const char         *accept_label,
                                         const char * const *reasons,
                                         guint               n_reasons);
/* The reason as recorded, untranslated: "Reason" or "Reason: details". */
char      *_sc_reason_dialog_get_reason (GtkWidget          *dialog);
/* Presents the dialog with the focus on the details. */
void       _sc_reason_dialog_present    (GtkWidget          *dialog);

G_END_DECLS
