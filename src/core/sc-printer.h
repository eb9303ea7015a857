/* sc-printer.h: where labels go
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "sc-label.h"
#include "sc-profile.h"

G_BEGIN_DECLS

#define SC_PRINTER_ERROR (sc_printer_error_quark ())

/* What a failed job left at the printer. NOT_READY, SETUP and ADDRESS
 * mean nothing was sent, so printing again is safe; FAILED means part of
 * the job may have reached the printer. sc_printer_print() also fails with
 * G_IO_ERROR_CANCELLED only before anything was sent (cancelled part-way,
 * a job is FAILED), and with the label's own error (SC_LABEL_ERROR) only
 * when the job could not be made, before the printer is contacted.
 * sc_printer_error_sent_nothing() says which is which; treat anything else
 * as FAILED. */
typedef enum
{
  SC_PRINTER_ERROR_ADDRESS,    /* the printer URI is malformed or not supported */
  SC_PRINTER_ERROR_NOT_READY,  /* nothing was sent: offline, out of paper, head open, paused, queue stopped */
  SC_PRINTER_ERROR_FAILED,     /* the job was sent, at least in part, then failed: whether a label came out is not known */
  SC_PRINTER_ERROR_SETUP,      /* the label does not suit the printer's settings (resolution, stock); nothing was sent */
} ScPrinterError;

GQuark sc_printer_error_quark (void);

/* TRUE only when @error, from sc_printer_print(), guarantees that nothing
 * reached the printer: SC_PRINTER_ERROR_NOT_READY, _SETUP or _ADDRESS,
 * G_IO_ERROR_CANCELLED, or SC_LABEL_ERROR. Every other error (FAILED, and
 * any this list does not name) may have left part of a job at the printer:
 * whether a label came out is not known. */
gboolean sc_printer_error_sent_nothing (const GError *error);

#define SC_TYPE_PRINTER (sc_printer_get_type ())

/* Backends, one file each, chosen by URI:
 *   file:///DIR[?format=png|pdf|svg|zpl|zpl-bitmap]     sc-file-printer.c
 *   zpl+tcp://HOST[:PORT][?timeout=S&status=on|off&zpl=bitmap|native]
 *                                                       sc-zpl-tcp-printer.c
 *   zpl+usb://VID:PID[/SERIAL][?timeout=S&status=auto|on|off&zpl=…]
 *                                                       sc-zpl-usb-printer.c
 *   cups://QUEUE[?format=zpl|zpl-bitmap|pdf|png&timeout=S]  sc-cups-printer.c
 * A printer connects for each job, so opening one never needs it on. Jobs
 * to one printer run one at a time. The vtable is in sc-printer-private.h. */
G_DECLARE_INTERFACE (ScPrinter, sc_printer, SC, PRINTER, GObject)

/* @uri NULL: label files in the data dir's labels folder. */
ScPrinter *sc_printer_open         (const char               *uri,
                                    GError                  **error);
/* @uri, else the profile's [printer] uri, else the labels folder; with the
 * profile's calibration. */
ScPrinter *sc_printer_open_for_profile (ScProfile            *profile,
                                    const char               *uri,
                                    GError                  **error);
/* Checks a printer URI's form without opening anything. */
gboolean   sc_printer_check_uri    (const char               *uri,
                                    GError                  **error);

/* The calibration jobs get (a copy is kept; NULL: none). */
void       sc_printer_set_settings (ScPrinter                *self,
                                    const ScPrinterSettings  *settings);
const ScPrinterSettings *sc_printer_get_settings (ScPrinter  *self);

char      *sc_printer_describe     (ScPrinter                *self);
/* Prints one label (verified before it leaves); returns when the printer
 * has taken the job. @name names the job (the file backend's file name,
 * without extension). See ScPrinterError for what a failure means. */
gboolean   sc_printer_print        (ScPrinter                *self,
                                    ScLabelLayout            *layout,
                                    const char               *name,
                                    GCancellable             *cancellable,
                                    GError                  **error);
void       sc_printer_print_async  (ScPrinter                *self,
                                    ScLabelLayout            *layout,
                                    const char               *name,
                                    GCancellable             *cancellable,
                                    GAsyncReadyCallback       callback,
                                    gpointer                  user_data);
gboolean   sc_printer_print_finish (ScPrinter                *self,
                                    GAsyncResult             *result,
                                    GError                  **error);

G_END_DECLS
