/* sc-cups-printer.c: a CUPS queue, through libcups
 *
 * cups://QUEUE[?format=zpl-bitmap|zpl|pdf|png&timeout=S]
 *
 * zpl-bitmap (the default) and zpl go to a raw queue as
 * application/vnd.cups-raw; pdf is the label at true size for an ordinary
 * printer, png the 1-bit raster with its resolution, both with
 * print-scaling=none so nothing is fitted to the page. The server is the
 * one libcups finds (CUPS_SERVER, client.conf, else the local scheduler).
 *
 * A queue that is stopped or refuses jobs, or whose printer-state-reasons
 * say the printer cannot print (offline, connecting, out of paper, paused,
 * a door open…), is not ready: nothing is sent. A job is followed until
 * CUPS says it completed; one cancelled or aborted is a failure whose
 * outcome is not known. A job not done when the timeout (30 s unless the
 * URI says) runs out, or when the caller cancels, is cancelled in CUPS, so
 * it cannot come out later beside a reprint, and its state read again: it
 * printed if it completed meanwhile (the cancel came too late), counts as
 * not sent if CUPS never began to process it (G_IO_ERROR_CANCELLED when
 * the caller cancelled), else its outcome is not known.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <cups/cups.h>
#include <glib/gi18n-lib.h>

#include "sc-printer-private.h"

#define SC_TYPE_CUPS_PRINTER (sc_cups_printer_get_type ())
G_DECLARE_FINAL_TYPE (ScCupsPrinter, sc_cups_printer, SC, CUPS_PRINTER, GObject)

#define DEFAULT_TIMEOUT_MS 30000
#define POLL_US (100 * G_TIME_SPAN_MILLISECOND)

typedef enum { FORMAT_ZPL_BITMAP, FORMAT_ZPL, FORMAT_PDF, FORMAT_PNG } Format;

static const char * const format_names[] = { "zpl-bitmap", "zpl", "pdf", "png", NULL };

struct _ScCupsPrinter
{
  GObject   parent_instance;
  char     *queue;
  Format    format;
  guint     timeout_ms;
};

static void printer_iface_init (ScPrinterInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ScCupsPrinter, sc_cups_printer, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SC_TYPE_PRINTER, printer_iface_init))

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ipp_t, ippDelete)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (http_t, httpClose)

static void
sc_cups_printer_finalize (GObject *object)
{
  g_free (SC_CUPS_PRINTER (object)->queue);
  G_OBJECT_CLASS (sc_cups_printer_parent_class)->finalize (object);
}

static void
sc_cups_printer_class_init (ScCupsPrinterClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sc_cups_printer_finalize;
}

static void
sc_cups_printer_init (ScCupsPrinter *self)
{
}

static char *
describe (ScPrinter *printer)
{
  ScCupsPrinter *self = SC_CUPS_PRINTER (printer);

  return g_strdup_printf (_("CUPS queue %s (%s)"), self->queue, format_names[self->format]);
}

static char *
printer_uri (ScCupsPrinter *self)
{
  char uri[HTTP_MAX_URI];

  httpAssembleURIf (HTTP_URI_CODING_ALL, uri, sizeof uri, "ipp", NULL, "localhost", ippPort (),
                    "/printers/%s", self->queue);
  return g_strdup (uri);
}

static const char *
attr_string (ipp_t      *ipp,
             const char *name)
{
  ipp_attribute_t *attr = ippFindAttribute (ipp, name, IPP_TAG_ZERO);

  return attr ? ippGetString (attr, 0, NULL) : NULL;
}

/* printer-state-reasons that keep the printer from printing, whatever
 * their severity suffix (-report, -warning, -error); any other reason
 * stops a job only as an -error. */
static const char * const blocking_reasons[] = {
  "offline", "connecting-to-device", "paused", "moving-to-paused", "shutdown", "stopped", "timed-out",
  "media-empty", "media-needed", "media-jam", "door-open", "cover-open", "interlock-open", "input-tray-missing",
  "output-tray-missing", "output-area-full", "marker-supply-empty", "toner-empty", "spool-area-full",
  "cups-missing-filter", "cups-insecure-filter", NULL,
};

static gboolean
reason_blocks (const char *reason)
{
  static const char * const severities[] = { "-report", "-warning", "-error" };

  if (reason == NULL || g_str_equal (reason, "none"))
    return FALSE;
  if (g_str_has_suffix (reason, "-error"))
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (severities); i++)
    if (g_str_has_suffix (reason, severities[i]))
      {
        g_autofree char *base = g_strndup (reason, strlen (reason) - strlen (severities[i]));

        return g_strv_contains (blocking_reasons, base);
      }
  return g_strv_contains (blocking_reasons, reason);
}

/* The queue must exist, be started, accept jobs, and not say that its
 * printer cannot print. */
static gboolean
check_queue (ScCupsPrinter  *self,
             http_t         *http,
             GError        **error)
{
  static const char * const wanted[] = {
    "printer-state", "printer-state-message", "printer-state-reasons", "printer-is-accepting-jobs",
  };
  g_autofree char *uri = printer_uri (self);
  g_autoptr(ipp_t) response = NULL;
  ipp_t *request = ippNewRequest (IPP_OP_GET_PRINTER_ATTRIBUTES);
  ipp_attribute_t *attr;
  const char *message;

  ippAddString (request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, uri);
  ippAddStrings (request, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes", G_N_ELEMENTS (wanted),
                 NULL, wanted);
  response = cupsDoRequest (http, request, "/");  /* takes the request */
  if (response == NULL || ippGetStatusCode (response) > IPP_STATUS_OK_EVENTS_COMPLETE)
    {
      if (cupsLastError () == IPP_STATUS_ERROR_NOT_FOUND)
        g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY,
                     _("The CUPS server %s has no queue “%s”; nothing was sent. Check the name (lpstat -p "
                       "lists the queues) or choose another printer"), cupsServer (), self->queue);
      else
        g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY,
                     _("The CUPS server %s does not say how the queue “%s” is: %s; nothing was sent"),
                     cupsServer (), self->queue, cupsLastErrorString ());
      return FALSE;
    }

  message = attr_string (response, "printer-state-message");
  attr = ippFindAttribute (response, "printer-state", IPP_TAG_ENUM);
  if (attr != NULL && ippGetInteger (attr, 0) == IPP_PSTATE_STOPPED)
    {
      g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY,
                   _("The CUPS queue “%s” is stopped%s%s%s; nothing was sent. Start it (cupsenable %s) once "
                     "the printer is ready, or choose another printer"),
                   self->queue, message && *message ? " (" : "", message && *message ? message : "",
                   message && *message ? ")" : "", self->queue);
      return FALSE;
    }
  attr = ippFindAttribute (response, "printer-is-accepting-jobs", IPP_TAG_BOOLEAN);
  if (attr != NULL && !ippGetBoolean (attr, 0))
    {
      g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY,
                   _("The CUPS queue “%s” does not accept jobs; nothing was sent. Let it (cupsaccept %s), "
                     "or choose another printer"), self->queue, self->queue);
      return FALSE;
    }
  if ((attr = ippFindAttribute (response, "printer-state-reasons", IPP_TAG_KEYWORD)) != NULL)
    {
      g_autoptr(GString) reasons = g_string_new (NULL);

      for (int i = 0; i < ippGetCount (attr); i++)
        if (reason_blocks (ippGetString (attr, i, NULL)))
          g_string_append_printf (reasons, "%s%s", reasons->len ? ", " : "", ippGetString (attr, i, NULL));
      if (reasons->len > 0)
        {
          g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY,
                       _("The CUPS queue “%s” says its printer cannot print (%s%s%s); nothing was sent. Fix the "
                         "printer (CUPS clears the reason when the printer reports again), or choose another "
                         "printer"),
                       self->queue, reasons->str, message && *message ? "; " : "", message ? message : "");
          return FALSE;
        }
    }
  return TRUE;
}

typedef struct
{
  ipp_jstate_t  state;
  gboolean      processed;   /* CUPS began to process it */
  char         *reasons;
  char         *message;
} JobState;

static void
job_state_clear (JobState *job)
{
  g_clear_pointer (&job->reasons, g_free);
  g_clear_pointer (&job->message, g_free);
}

static gboolean
get_job_state (ScCupsPrinter  *self,
               http_t         *http,
               int             job_id,
               JobState       *job,
               GError        **error)
{
  static const char * const wanted[] = {
    "job-state", "job-state-reasons", "job-printer-state-message", "time-at-processing",
  };
  g_autofree char *uri = printer_uri (self);
  g_autoptr(ipp_t) response = NULL;
  g_autoptr(GString) reasons = g_string_new (NULL);
  ipp_t *request = ippNewRequest (IPP_OP_GET_JOB_ATTRIBUTES);
  ipp_attribute_t *attr;

  ippAddString (request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, uri);
  ippAddInteger (request, IPP_TAG_OPERATION, IPP_TAG_INTEGER, "job-id", job_id);
  ippAddStrings (request, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes", G_N_ELEMENTS (wanted),
                 NULL, wanted);
  response = cupsDoRequest (http, request, "/");
  if (response == NULL || ippGetStatusCode (response) > IPP_STATUS_OK_EVENTS_COMPLETE ||
      (attr = ippFindAttribute (response, "job-state", IPP_TAG_ENUM)) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", cupsLastErrorString ());
      return FALSE;
    }

  job_state_clear (job);
  job->state = ippGetInteger (attr, 0);
  attr = ippFindAttribute (response, "time-at-processing", IPP_TAG_ZERO);
  job->processed |= job->state >= IPP_JSTATE_PROCESSING && job->state != IPP_JSTATE_CANCELED;
  job->processed |= attr != NULL && ippGetValueTag (attr) == IPP_TAG_INTEGER && ippGetInteger (attr, 0) > 0;
  if ((attr = ippFindAttribute (response, "job-state-reasons", IPP_TAG_KEYWORD)) != NULL)
    for (int i = 0; i < ippGetCount (attr); i++)
      g_string_append_printf (reasons, "%s%s", i ? ", " : "", ippGetString (attr, i, NULL));
  job->reasons = g_string_free (g_steal_pointer (&reasons), FALSE);
  job->message = g_strdup (attr_string (response, "job-printer-state-message"));
  return TRUE;
}

typedef enum
{
  STOPPED_UNPROCESSED,   /* cancelled before CUPS began to process it: nothing printed */
  STOPPED_COMPLETED,     /* it completed before the cancel could stop it: it printed */
  STOPPED_UNKNOWN,       /* cancelled while being processed, or its state cannot be read */
} StopOutcome;

/* Cancels a job, then reads how it ended (into @job, whose processed flag
 * carries what was seen before): a cancel refused because the job had just
 * completed is a job that printed, not a failure. */
static StopOutcome
stop_job (ScCupsPrinter *self,
          http_t        *http,
          int            job_id,
          JobState      *job)
{
  gboolean refused = cupsCancelJob2 (http, self->queue, job_id, 0) > IPP_STATUS_OK_EVENTS_COMPLETE;

  if (!get_job_state (self, http, job_id, job, NULL))
    return STOPPED_UNKNOWN;
  if (job->state == IPP_JSTATE_COMPLETED)
    return STOPPED_COMPLETED;
  if (!refused && job->state == IPP_JSTATE_CANCELED && !job->processed)
    return STOPPED_UNPROCESSED;
  return STOPPED_UNKNOWN;
}

static gboolean
print (ScPrinter               *printer,
       ScLabelLayout           *layout,
       const char              *name,
       const ScPrinterSettings *settings,
       GCancellable            *cancellable,
       GError                 **error)
{
  static const ScLabelFormat label_formats[] = {
    SC_LABEL_FORMAT_ZPL_BITMAP, SC_LABEL_FORMAT_ZPL, SC_LABEL_FORMAT_PDF, SC_LABEL_FORMAT_PNG,
  };
  static const char * const mime[] = { CUPS_FORMAT_RAW, CUPS_FORMAT_RAW, CUPS_FORMAT_PDF, "image/png" };
  ScCupsPrinter *self = SC_CUPS_PRINTER (printer);
  g_autoptr(ScSecret) document = NULL;
  g_autoptr(http_t) http = NULL;
  cups_option_t *options = NULL;
  int n_options = 0, job_id;
  JobState job = { 0 };
  const char *data;
  gsize len;
  gint64 deadline;
  gboolean sent, cancelled = FALSE;

  document = sc_label_layout_encode (layout, label_formats[self->format], settings, error);
  if (document == NULL)
    return FALSE;
  data = (const char *) sc_secret_get_data (document, &len);

  http = httpConnect2 (cupsServer (), ippPort (), NULL, AF_UNSPEC, cupsEncryption (), 1, (int) self->timeout_ms,
                       NULL);
  if (http == NULL)
    {
      g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY,
                   _("Cannot reach the CUPS server %s: %s; nothing was sent"), cupsServer (),
                   cupsLastErrorString ());
      return FALSE;
    }
  if (!check_queue (self, http, error))
    return FALSE;

  if (self->format == FORMAT_PDF || self->format == FORMAT_PNG)
    {
      /* True size: never fitted to the page. */
      n_options = cupsAddOption ("print-scaling", "none", n_options, &options);
      n_options = cupsAddOption ("fit-to-page", "false", n_options, &options);
      if (self->format == FORMAT_PNG)
        {
          char ppi[16];

          g_snprintf (ppi, sizeof ppi, "%u", sc_label_layout_get_geometry (layout)->dpi);
          n_options = cupsAddOption ("ppi", ppi, n_options, &options);
        }
    }
  job_id = cupsCreateJob (http, self->queue, name, n_options, options);
  cupsFreeOptions (n_options, options);
  if (job_id <= 0)
    {
      g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY,
                   _("The CUPS queue “%s” refused the job: %s; nothing was sent"), self->queue,
                   cupsLastErrorString ());
      return FALSE;
    }

  sent = cupsStartDocument (http, self->queue, job_id, name, mime[self->format], 1) == HTTP_STATUS_CONTINUE &&
         cupsWriteRequestData (http, data, len) == HTTP_STATUS_CONTINUE &&
         cupsFinishDocument (http, self->queue) <= IPP_STATUS_OK_EVENTS_COMPLETE;
  if (!sent)
    {
      g_autofree char *reason = g_strdup (cupsLastErrorString ());

      /* A job whose document never arrived whole is never printed. */
      if (stop_job (self, http, job_id, &job) == STOPPED_UNPROCESSED)
        g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY,
                     _("The label could not be sent to the CUPS queue “%s”: %s; the job was cancelled and "
                       "nothing was printed"), self->queue, reason);
      else
        g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_FAILED,
                     _("The label could not be sent whole to the CUPS queue “%s” (job %d): %s. Whether a label "
                       "came out is not known: check the printer and the queue"), self->queue, job_id, reason);
      job_state_clear (&job);
      return FALSE;
    }

  /* Followed to its end, within the timeout. */
  deadline = g_get_monotonic_time () + self->timeout_ms * G_TIME_SPAN_MILLISECOND;
  for (;;)
    {
      g_autoptr(GError) state_error = NULL;

      if (!get_job_state (self, http, job_id, &job, &state_error))
        {
          g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_FAILED,
                       _("CUPS took job %d for the queue “%s” but no longer says how it is: %s. Whether a label "
                         "came out is not known: check the printer and the queue"),
                       job_id, self->queue, state_error->message);
          job_state_clear (&job);
          return FALSE;
        }
      if (job.state == IPP_JSTATE_COMPLETED)
        {
          job_state_clear (&job);
          return TRUE;
        }
      if (job.state == IPP_JSTATE_CANCELED || job.state == IPP_JSTATE_ABORTED)
        {
          g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_FAILED,
                       _("CUPS job %d on the queue “%s” was %s (%s%s%s). Whether a label came out is not known: "
                         "check the printer"), job_id, self->queue,
                       job.state == IPP_JSTATE_CANCELED ? _("cancelled") : _("aborted"), job.reasons,
                       job.message && *job.message ? "; " : "", job.message ? job.message : "");
          job_state_clear (&job);
          return FALSE;
        }
      cancelled = g_cancellable_is_cancelled (cancellable);
      if (cancelled || g_get_monotonic_time () >= deadline)
        break;
      g_usleep (POLL_US);
    }

  /* Not done in time, or no longer wanted: cancelled in CUPS, so it never
   * comes out later beside a reprint. One that never started counts as not
   * sent. */
  switch (stop_job (self, http, job_id, &job))
    {
    case STOPPED_COMPLETED:
      job_state_clear (&job);
      return TRUE;
    case STOPPED_UNPROCESSED:
      if (cancelled)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                     _("Printing was cancelled: CUPS job %d on the queue “%s” was cancelled before it was printed, "
                       "so nothing was printed"), job_id, self->queue);
      else
        g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY,
                     _("The CUPS queue “%s” did not print the label within %.0f s (%s%s%s); the job was cancelled "
                       "and nothing was printed"), self->queue, self->timeout_ms / 1000.0, job.reasons,
                     job.message && *job.message ? "; " : "", job.message ? job.message : "");
      break;
    case STOPPED_UNKNOWN:
    default:
      if (cancelled)
        g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_FAILED,
                     _("Printing was cancelled while CUPS job %d on the queue “%s” was being printed (%s%s%s); the "
                       "job was cancelled. Whether a label came out is not known: check the printer and the queue"),
                     job_id, self->queue, job.reasons, job.message && *job.message ? "; " : "",
                     job.message ? job.message : "");
      else
        g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_FAILED,
                     _("CUPS job %d on the queue “%s” had not finished after %.0f s (%s%s%s) and was cancelled. "
                       "Whether a label came out is not known: check the printer and the queue"), job_id,
                     self->queue, self->timeout_ms / 1000.0, job.reasons, job.message && *job.message ? "; " : "",
                     job.message ? job.message : "");
      break;
    }
  job_state_clear (&job);
  return FALSE;
}

static void
printer_iface_init (ScPrinterInterface *iface)
{
  iface->describe = describe;
  iface->print = print;
}

/* CUPS's rule for queue names: printable, at most 127 bytes, and no space,
 * slash, backslash, quote, question mark or number sign. */
static gboolean
valid_queue (const char *queue)
{
  gsize len = strlen (queue);

  if (len == 0 || len > 127 || !g_utf8_validate (queue, len, NULL))
    return FALSE;
  for (const char *p = queue; *p; p++)
    if ((guchar) *p <= 0x20 || *p == 0x7f || strchr ("/\\'\"?#", *p) != NULL)
      return FALSE;
  return TRUE;
}

ScPrinter *
_sc_cups_printer_open (const char  *rest,
                       GHashTable  *params,
                       gboolean     open,
                       GError     **error)
{
  static const char * const allowed[] = { "format", "timeout", NULL };
  g_autoptr(ScCupsPrinter) self = g_object_new (SC_TYPE_CUPS_PRINTER, NULL);
  g_autofree char *uri = g_strconcat ("cups://", rest, NULL);
  int format;

  if (!valid_queue (rest))
    {
      g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_ADDRESS,
                   _("“%s” must be cups://QUEUE with a CUPS queue name: up to 127 printable characters, without "
                     "spaces, slashes, backslashes, quotes, question marks or number signs"), uri);
      return NULL;
    }
  if (!_sc_printer_check_params (uri, params, allowed, error) ||
      !_sc_printer_param_choice (uri, params, "format", format_names, FORMAT_ZPL_BITMAP, &format, error) ||
      !_sc_printer_param_timeout (uri, params, DEFAULT_TIMEOUT_MS, &self->timeout_ms, error))
    return NULL;
  self->queue = g_strdup (rest);
  self->format = format;
  (void) open;  /* nothing to open: a connection per job */
  return SC_PRINTER (g_steal_pointer (&self));
}
