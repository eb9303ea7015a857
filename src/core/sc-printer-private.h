/* sc-printer-private.h: the printer vtable and what backends share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sc-printer.h"

G_BEGIN_DECLS

struct _ScPrinterInterface
{
  GTypeInterface parent_iface;

  char     *(*describe) (ScPrinter *self);
  /* @settings: the calibration, or NULL. Errors as in ScPrinterError and
   * sc_printer_error_sent_nothing(): the job is made (SC_LABEL_ERROR if it
   * cannot be) before the printer is contacted, and G_IO_ERROR_CANCELLED
   * only while nothing has been sent. */
  gboolean  (*print)    (ScPrinter *self, ScLabelLayout *layout, const char *name,
                         const ScPrinterSettings *settings, GCancellable *cancellable, GError **error);
};

/* Each backend's constructor takes the part of the URI after "scheme://"
 * (without the query) and the query's parameters (never NULL); with
 * @open FALSE it only checks them. */
ScPrinter *_sc_file_printer_new     (const char *dir, GError **error);
ScPrinter *_sc_file_printer_open    (const char *uri, GHashTable *params, gboolean open, GError **error);
ScPrinter *_sc_zpl_tcp_printer_open (const char *rest, GHashTable *params, gboolean open, GError **error);
ScPrinter *_sc_zpl_usb_printer_open (const char *rest, GHashTable *params, gboolean open, GError **error);
ScPrinter *_sc_cups_printer_open    (const char *rest, GHashTable *params, gboolean open, GError **error);

/* A URI's parameters: refuses any key not in @allowed. */
gboolean   _sc_printer_check_params (const char          *uri,
                                     GHashTable          *params,
                                     const char * const  *allowed,
                                     GError             **error);
/* ?timeout=SECONDS (0.05 to 600), in milliseconds; @fallback_ms if absent. */
gboolean   _sc_printer_param_timeout (const char  *uri,
                                      GHashTable  *params,
                                      guint        fallback_ms,
                                      guint       *timeout_ms,
                                      GError     **error);
/* ?NAME= one of @choices (NULL-terminated); its index, or @fallback if absent. */
gboolean   _sc_printer_param_choice (const char          *uri,
                                     GHashTable          *params,
                                     const char          *name,
                                     const char * const  *choices,
                                     int                  fallback,
                                     int                 *choice,
                                     GError             **error);

/* ZPL host status (~HS): three <STX>…<ETX> strings. */
typedef struct
{
  gboolean paper_out;
  gboolean paused;
  guint    formats_in_buffer;
  gboolean buffer_full;
  gboolean corrupt_ram;
  gboolean under_temperature;
  gboolean over_temperature;
  gboolean head_open;
  gboolean ribbon_out;
  gboolean thermal_transfer;
} ScZplHostStatus;

/* Parses an answer to ~HS; FALSE when it is not one (or not all of one). */
gboolean   _sc_zpl_host_status_parse    (const char            *text,
                                         gsize                  len,
                                         ScZplHostStatus       *status);
/* What keeps the printer from printing, in words ("out of paper, head
 * open"), or NULL when it is ready. */
char      *_sc_zpl_host_status_problems (const ScZplHostStatus *status);

/* A byte pipe to a ZPL printer, for the conversation the TCP and USB
 * backends share. */
typedef struct _ScZplPort ScZplPort;
struct _ScZplPort
{
  /* Sends @len bytes; sets *@sent to how many the transport took, also on
   * failure. */
  gboolean  (*write) (ScZplPort *port, const guint8 *data, gsize len, gsize *sent,
                      GCancellable *cancellable, GError **error);
  /* Waits up to @timeout_ms for bytes: their number, 0 on timeout, -1 on
   * error (the end of the stream is an error). @timeout_ms 0: only what
   * has arrived, no wait. Bytes that do not fit @cap are kept for the
   * next read, never dropped. */
  gssize    (*read)  (ScZplPort *port, guint8 *buf, gsize cap, guint timeout_ms,
                      GCancellable *cancellable, GError **error);
  const char *name;        /* "the ZPL printer at 10.0.0.5:9100", for messages */
  guint       timeout_ms;
  gboolean    status;      /* ask ~HS before the job and after it */
};

/* Asks ~HS (with port->status), refuses a printer that is not ready, sends
 * the job, and asks again: an answer after the job means the printer has
 * all of it. Errors are classified as ScPrinterError says; a transport
 * error that keeps its own domain is wrapped. */
gboolean   _sc_zpl_send                  (ScZplPort             *port,
                                          const guint8          *job,
                                          gsize                  len,
                                          GCancellable          *cancellable,
                                          GError               **error);
/* Queries ~HS once: drops what the printer sent before (a late line end,
 * bytes nobody asked for), asks, and reads the answer, skipping line ends
 * and NULs before it and taking the line end after it. */
gboolean   _sc_zpl_query_status          (ScZplPort             *port,
                                          ScZplHostStatus       *status,
                                          GCancellable          *cancellable,
                                          GError               **error);

G_END_DECLS
