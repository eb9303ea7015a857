/* sc-label-print-operation.h: a label reprinted through the GTK print dialog, on any printer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "sc-label.h"
#include "sc-store.h"

G_BEGIN_DECLS

#define SC_TYPE_LABEL_PRINT_OPERATION (sc_label_print_operation_get_type ())

G_DECLARE_FINAL_TYPE (ScLabelPrintOperation, sc_label_print_operation, SC, LABEL_PRINT_OPERATION,
                      GtkPrintOperation)

/* QA's ad-hoc reprint of one label on whatever printer the GTK print
 * dialog offers. Once a printer is chosen, the label is laid out for its
 * resolution (the printer's dots: @label itself when that resolution is a
 * whole multiple of the label's, else laid out again with the nearest whole
 * number of dots per module that still meets the minimum), decoded back
 * (sc_label_layout_verify()) and journaled in @store as a reprint with
 * @reason on "GTK print dialog: PRINTER", all in a worker thread, before
 * anything is drawn. It is drawn with the core's renderer at true size
 * whatever the dialog's scale, its dots on whole printer dots. Its outcome
 * is recorded when the print system says it printed (DONE), failed before
 * the label left (FAILED), or broke off after (PENDING: nobody knows).
 *
 * @label: the label as the profile lays it out; @serial_line: the
 * payload's serial (NULL when the product's labels leave it out).
 *
 * Signal: finished (gboolean printed, const char *message), once, when the
 * outcome is recorded (or nothing was sent); @message says why it was not
 * printed, NULL when it printed or the person cancelled the dialog. */
ScLabelPrintOperation *sc_label_print_operation_new         (ScProfile     *profile,
                                                             ScLabelLayout *label,
                                                             const char    *serial_line,
                                                             gboolean       training,
                                                             ScStore       *store,
                                                             gint64         unit_id,
                                                             const char    *reason,
                                                             const char    *operator_name);
/* "GTK print dialog: PRINTER", as recorded; NULL before a printer is chosen. */
const char            *sc_label_print_operation_get_printer (ScLabelPrintOperation *self);
/* The resolution the label was laid out for (0 before a printer is chosen). */
guint                  sc_label_print_operation_get_dpi     (ScLabelPrintOperation *self);
/* What is drawn, once laid out and verified (NULL before). */
ScLabelLayout         *sc_label_print_operation_get_layout  (ScLabelPrintOperation *self);

G_END_DECLS
