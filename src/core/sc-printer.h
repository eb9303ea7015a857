/* sc-printer.h: where labels go
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "sc-label.h"

G_BEGIN_DECLS

#define SC_PRINTER_ERROR (sc_printer_error_quark ())

typedef enum
{
  SC_PRINTER_ERROR_ADDRESS,    /* the printer URI is malformed or not supported */
  SC_PRINTER_ERROR_NOT_READY,  /* offline, out of paper, head open: retry later */
  SC_PRINTER_ERROR_FAILED,     /* the job failed */
} ScPrinterError;

GQuark sc_printer_error_quark (void);

#define SC_TYPE_PRINTER (sc_printer_get_type ())

/* Backends, one file each: file:///dir now (sc-file-printer.c); ZPL over
 * TCP and USB and CUPS come with the printing issue. The vtable is in
 * sc-printer-private.h. */
G_DECLARE_INTERFACE (ScPrinter, sc_printer, SC, PRINTER, GObject)

/* file:///dir (NULL: the labels folder in the data dir). */
ScPrinter *sc_printer_open      (const char     *uri,
                                 GError        **error);
char      *sc_printer_describe  (ScPrinter      *self);
/* Prints one verified label; returns when the printer has taken the job.
 * @name names the job (the file backend's file name, without extension). */
gboolean   sc_printer_print     (ScPrinter      *self,
                                 ScLabelLayout  *layout,
                                 const char     *name,
                                 GCancellable   *cancellable,
                                 GError        **error);

G_END_DECLS
