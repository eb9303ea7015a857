/* sc-printer.c: printer URIs, the calibration, one job at a time, and the
 * ZPL conversation the TCP and USB backends share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "sc-blocking-private.h"
#include "sc-defaults.h"
#include "sc-printer-private.h"

G_DEFINE_QUARK (sc-printer-error-quark, sc_printer_error)
G_DEFINE_INTERFACE (ScPrinter, sc_printer, G_TYPE_OBJECT)

/**
 * sc_printer_error_sent_nothing:
 * @error: an error from sc_printer_print()
 *
 * The cases are listed, so an error nobody thought of counts as one whose
 * outcome is not known: a label is never printed twice without a reason.
 *
 * Returns: %TRUE when nothing reached the printer.
 */
gboolean
sc_printer_error_sent_nothing (const GError *error)
{
  g_return_val_if_fail (error != NULL, FALSE);

  if (error->domain == SC_PRINTER_ERROR)
    return error->code == SC_PRINTER_ERROR_NOT_READY || error->code == SC_PRINTER_ERROR_SETUP ||
           error->code == SC_PRINTER_ERROR_ADDRESS;
  /* Backends check for cancellation only before the job leaves (one
   * cancelled part-way is FAILED), and make the whole job before they
   * contact the printer. */
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || error->domain == SC_LABEL_ERROR;
}

/* What the interface keeps for every printer: its calibration and the lock
 * that runs its jobs one at a time. */
typedef struct
{
  GMutex             lock;
  gboolean           has_settings;
  ScPrinterSettings  settings;
} PrinterState;

static GQuark state_quark;
G_LOCK_DEFINE_STATIC (state);

static void
sc_printer_default_init (ScPrinterInterface *iface)
{
  state_quark = g_quark_from_static_string ("sc-printer-state");
}

static void
printer_state_free (gpointer data)
{
  PrinterState *state = data;

  g_mutex_clear (&state->lock);
  g_free (state);
}

static PrinterState *
get_state (ScPrinter *self)
{
  PrinterState *state;

  G_LOCK (state);
  state = g_object_get_qdata (G_OBJECT (self), state_quark);
  if (state == NULL)
    {
      state = g_new0 (PrinterState, 1);
      g_mutex_init (&state->lock);
      g_object_set_qdata_full (G_OBJECT (self), state_quark, state, printer_state_free);
    }
  G_UNLOCK (state);
  return state;
}

/* ------------------------------------------------------------ addresses */

static const struct
{
  const char *scheme;
  ScPrinter *(*open) (const char *rest, GHashTable *params, gboolean open, GError **error);
} backends[] = {
  { "zpl+tcp", _sc_zpl_tcp_printer_open },
  { "zpl+usb", _sc_zpl_usb_printer_open },
  { "cups", _sc_cups_printer_open },
};

static ScPrinter *
open_uri (const char  *uri,
          gboolean     open,
          GError     **error)
{
  g_autoptr(GHashTable) params = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *base = NULL;
  const char *query = strchr (uri, '?');
  const char *rest;

  base = query ? g_strndup (uri, query - uri) : g_strdup (uri);
  if (query != NULL)
    params = g_uri_parse_params (query + 1, -1, "&", G_URI_PARAMS_NONE, &local_error);
  else
    params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (params == NULL)
    {
      g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_ADDRESS,
                   _("The printer address “%s” has a malformed option list: %s"), uri, local_error->message);
      return NULL;
    }

  if (g_str_has_prefix (base, "file:"))
    return _sc_file_printer_open (base, params, open, error);

  for (guint i = 0; i < G_N_ELEMENTS (backends); i++)
    {
      gsize n = strlen (backends[i].scheme);

      if (strncmp (base, backends[i].scheme, n) != 0 || base[n] != ':')
        continue;
      rest = base + n + 1;
      if (!g_str_has_prefix (rest, "//"))
        {
          g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_ADDRESS,
                       _("The printer address “%s” must start with %s://"), uri, backends[i].scheme);
          return NULL;
        }
      return backends[i].open (rest + 2, params, open, error);
    }

  g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_ADDRESS,
               _("“%s” is not a printer address: use file:///FOLDER, zpl+tcp://HOST[:PORT], "
                 "zpl+usb://VID:PID[/SERIAL] or cups://QUEUE"), uri);
  return NULL;
}

/**
 * sc_printer_open:
 * @uri: (nullable): a printer URI (see sc-printer.h); %NULL for label
 *   files in the data dir
 *
 * Parses @uri and makes the printer. Nothing is contacted: a printer that
 * is off now can be opened, and says so when a job is sent.
 *
 * Returns: (transfer full): the printer.
 */
ScPrinter *
sc_printer_open (const char  *uri,
                 GError     **error)
{
  _sc_blocking_check (G_STRFUNC);
  if (uri == NULL)
    {
      g_autofree char *data_dir = sc_defaults_get_data_dir ();
      g_autofree char *dir = g_build_filename (data_dir, "labels", NULL);

      return _sc_file_printer_new (dir, error);
    }
  return open_uri (uri, TRUE, error);
}

ScPrinter *
sc_printer_open_for_profile (ScProfile   *profile,
                             const char  *uri,
                             GError     **error)
{
  const ScPrinterSettings *settings;
  ScPrinter *printer;

  g_return_val_if_fail (SC_IS_PROFILE (profile), NULL);

  settings = sc_profile_get_printer_settings (profile);
  printer = sc_printer_open (uri ? uri : settings->uri, error);
  if (printer != NULL)
    sc_printer_set_settings (printer, settings);
  return printer;
}

gboolean
sc_printer_check_uri (const char  *uri,
                      GError     **error)
{
  g_autoptr(ScPrinter) printer = NULL;

  g_return_val_if_fail (uri != NULL, FALSE);

  printer = open_uri (uri, FALSE, error);
  return printer != NULL;
}

gboolean
_sc_printer_check_params (const char          *uri,
                          GHashTable          *params,
                          const char * const  *allowed,
                          GError             **error)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, params);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_strv_contains (allowed, key))
      {
        g_autofree char *list = g_strjoinv (", ", (char **) allowed);

        g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_ADDRESS,
                     _("The printer address “%s” has an unknown option “%s”; it takes %s"), uri,
                     (const char *) key, list);
        return FALSE;
      }
  return TRUE;
}

gboolean
_sc_printer_param_timeout (const char  *uri,
                           GHashTable  *params,
                           guint        fallback_ms,
                           guint       *timeout_ms,
                           GError     **error)
{
  const char *text = g_hash_table_lookup (params, "timeout");
  char *end = NULL;
  double seconds;

  *timeout_ms = fallback_ms;
  if (text == NULL)
    return TRUE;
  seconds = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0' || !(seconds >= 0.05 && seconds <= 600))
    {
      g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_ADDRESS,
                   _("The printer address “%s”: timeout must be a number of seconds from 0.05 to 600"), uri);
      return FALSE;
    }
  *timeout_ms = (guint) (seconds * 1000 + 0.5);
  return TRUE;
}

gboolean
_sc_printer_param_choice (const char          *uri,
                          GHashTable          *params,
                          const char          *name,
                          const char * const  *choices,
                          int                  fallback,
                          int                 *choice,
                          GError             **error)
{
  const char *text = g_hash_table_lookup (params, name);

  *choice = fallback;
  if (text == NULL)
    return TRUE;
  for (int i = 0; choices[i] != NULL; i++)
    if (g_str_equal (text, choices[i]))
      {
        *choice = i;
        return TRUE;
      }
  {
    g_autofree char *list = g_strjoinv (", ", (char **) choices);

    g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_ADDRESS,
                 _("The printer address “%s”: %s must be one of %s"), uri, name, list);
  }
  return FALSE;
}

/* ------------------------------------------------------------ the job */

void
sc_printer_set_settings (ScPrinter               *self,
                         const ScPrinterSettings *settings)
{
  PrinterState *state;

  g_return_if_fail (SC_IS_PRINTER (self));

  state = get_state (self);
  g_mutex_lock (&state->lock);
  state->has_settings = settings != NULL;
  if (settings != NULL)
    {
      state->settings = *settings;
      state->settings.uri = NULL;  /* the profile's string; the printer knows its own address */
    }
  g_mutex_unlock (&state->lock);
}

/**
 * sc_printer_get_settings:
 *
 * Returns: (nullable): the calibration, or %NULL when none was set.
 */
const ScPrinterSettings *
sc_printer_get_settings (ScPrinter *self)
{
  PrinterState *state;

  g_return_val_if_fail (SC_IS_PRINTER (self), NULL);

  state = get_state (self);
  return state->has_settings ? &state->settings : NULL;
}

char *
sc_printer_describe (ScPrinter *self)
{
  g_return_val_if_fail (SC_IS_PRINTER (self), NULL);
  return SC_PRINTER_GET_IFACE (self)->describe (self);
}

/* The label must be laid out in the printer's dots and fit its stock. */
static gboolean
check_fit (ScLabelLayout            *layout,
           const ScPrinterSettings  *settings,
           GError                  **error)
{
  const ScGeometry *geometry = sc_label_layout_get_geometry (layout);
  guint width, height;
  double dpmm;

  if (settings == NULL)
    return TRUE;
  if (settings->dpi != 0 && settings->dpi != geometry->dpi)
    {
      g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_SETUP,
                   _("The label is laid out at %u dpi, but the printer prints %u dpi; nothing was sent: "
                     "lay labels out at the printer’s resolution ([printer] dpi in the product profile)"),
                   geometry->dpi, settings->dpi);
      return FALSE;
    }
  sc_label_layout_get_size (layout, &width, &height);
  dpmm = geometry->dpi / 25.4;
  if (settings->width != 0 && width + (guint) MAX (settings->x_offset, 0) > settings->width)
    {
      g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_SETUP,
                   _("The label is %.1f mm wide and moved %.1f mm right, more than the %.1f mm label stock; "
                     "nothing was sent: check [printer] label-width-mm and x-offset in the product profile"),
                   width / dpmm, MAX (settings->x_offset, 0) / dpmm, settings->width / dpmm);
      return FALSE;
    }
  if (settings->length != 0 && height + (guint) MAX (settings->y_offset, 0) > settings->length)
    {
      g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_SETUP,
                   _("The label is %.1f mm long and moved %.1f mm down, more than the %.1f mm label stock; "
                     "nothing was sent: check [printer] label-length-mm and y-offset in the product profile"),
                   height / dpmm, MAX (settings->y_offset, 0) / dpmm, settings->length / dpmm);
      return FALSE;
    }
  return TRUE;
}

gboolean
sc_printer_print (ScPrinter      *self,
                  ScLabelLayout  *layout,
                  const char     *name,
                  GCancellable   *cancellable,
                  GError        **error)
{
  PrinterState *state;
  ScPrinterSettings settings;
  gboolean has_settings;
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (SC_IS_PRINTER (self), FALSE);
  g_return_val_if_fail (SC_IS_LABEL_LAYOUT (layout), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  _sc_blocking_check (G_STRFUNC);

  state = get_state (self);
  locker = g_mutex_locker_new (&state->lock);
  has_settings = state->has_settings;
  settings = state->settings;

  if (g_cancellable_set_error_if_cancelled (cancellable, error) ||
      !check_fit (layout, has_settings ? &settings : NULL, error))
    return FALSE;
  return SC_PRINTER_GET_IFACE (self)->print (self, layout, name, has_settings ? &settings : NULL,
                                             cancellable, error);
}

typedef struct
{
  ScLabelLayout *layout;
  char          *name;
} PrintJob;

static void
print_job_free (PrintJob *job)
{
  g_object_unref (job->layout);
  g_free (job->name);
  g_free (job);
}

static void
print_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  PrintJob *job = task_data;
  GError *error = NULL;

  if (sc_printer_print (source_object, job->layout, job->name, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
sc_printer_print_async (ScPrinter           *self,
                        ScLabelLayout       *layout,
                        const char          *name,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  PrintJob *job;

  g_return_if_fail (SC_IS_PRINTER (self));
  g_return_if_fail (SC_IS_LABEL_LAYOUT (layout));
  g_return_if_fail (name != NULL);

  job = g_new0 (PrintJob, 1);
  job->layout = g_object_ref (layout);
  job->name = g_strdup (name);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sc_printer_print_async);
  /* The job's own outcome, even when the cancellable was cancelled
   * meanwhile: a job cancelled part-way may have printed (FAILED), or may
   * have printed whole, and must not be reported as sent nothing. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, job, (GDestroyNotify) print_job_free);
  g_task_run_in_thread (task, print_thread);
}

gboolean
sc_printer_print_finish (ScPrinter     *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------ ZPL status */

/* Splits @text into its <STX>…<ETX> strings. */
static guint
stx_strings (const char  *text,
             gsize        len,
             char       **out,
             guint        max)
{
  guint n = 0;

  for (gsize i = 0; i < len && n < max; i++)
    if (text[i] == '\002')
      {
        gsize j = i + 1;

        while (j < len && text[j] != '\003' && text[j] != '\002')
          j++;
        if (j == len || text[j] != '\003')
          break;
        out[n++] = g_strndup (text + i + 1, j - i - 1);
        i = j;
      }
  return n;
}

static gboolean
flag (char      **fields,
      guint       index,
      gboolean   *out)
{
  if (!g_str_equal (fields[index], "0") && !g_str_equal (fields[index], "1"))
    return FALSE;
  *out = fields[index][0] == '1';
  return TRUE;
}

gboolean
_sc_zpl_host_status_parse (const char      *text,
                           gsize            len,
                           ScZplHostStatus *status)
{
  char *strings[3] = { NULL, NULL, NULL };
  g_auto(GStrv) one = NULL;
  g_auto(GStrv) two = NULL;
  guint64 formats;
  gboolean ok;

  memset (status, 0, sizeof *status);
  if (stx_strings (text, len, strings, 3) != 3)
    {
      for (guint i = 0; i < 3; i++)
        g_free (strings[i]);
      return FALSE;
    }

  /* 1: aaa,b,c,dddd,eee,f,g,h,iii,j,k,l — b paper out, c pause, eee formats
   * in the buffer, f buffer full, j corrupt RAM, k under and l over
   * temperature. 2: mmm,n,o,p,q,… — o head up, p ribbon out, q thermal
   * transfer. 3: the password and a flag, not needed. */
  one = g_strsplit (strings[0], ",", -1);
  two = g_strsplit (strings[1], ",", -1);
  for (guint i = 0; i < 3; i++)
    g_free (strings[i]);

  ok = g_strv_length (one) >= 12 && g_strv_length (two) >= 11 &&
       flag (one, 1, &status->paper_out) && flag (one, 2, &status->paused) &&
       g_ascii_string_to_unsigned (one[4], 10, 0, 999, &formats, NULL) &&
       flag (one, 5, &status->buffer_full) && flag (one, 9, &status->corrupt_ram) &&
       flag (one, 10, &status->under_temperature) && flag (one, 11, &status->over_temperature) &&
       flag (two, 2, &status->head_open) && flag (two, 3, &status->ribbon_out) &&
       flag (two, 4, &status->thermal_transfer);
  status->formats_in_buffer = (guint) formats;
  return ok;
}

char *
_sc_zpl_host_status_problems (const ScZplHostStatus *status)
{
  g_autoptr(GPtrArray) problems = g_ptr_array_new ();

  if (status->paper_out)
    g_ptr_array_add (problems, _("out of paper"));
  if (status->head_open)
    g_ptr_array_add (problems, _("print head open"));
  if (status->ribbon_out && status->thermal_transfer)
    g_ptr_array_add (problems, _("out of ribbon"));
  if (status->paused)
    g_ptr_array_add (problems, _("paused"));
  if (status->buffer_full)
    g_ptr_array_add (problems, _("receive buffer full"));
  if (status->under_temperature)
    g_ptr_array_add (problems, _("print head too cold"));
  if (status->over_temperature)
    g_ptr_array_add (problems, _("print head too hot"));
  if (status->corrupt_ram)
    g_ptr_array_add (problems, _("configuration lost (corrupt RAM)"));
  if (problems->len == 0)
    return NULL;
  g_ptr_array_add (problems, NULL);
  return g_strjoinv (", ", (char **) problems->pdata);
}

/* Around its answers a printer may send line ends (a Zebra ends each ~HS
 * string with CR LF) and NUL padding: never part of an answer. */
static gboolean
is_filler (guint8 byte)
{
  return byte == '\r' || byte == '\n' || byte == '\0';
}

#define DRAIN_MAX (64 * 1024)
#define LINE_END_MS 50

/* Drops what the printer sent before a query (the line end of an earlier
 * answer that came late, bytes nobody asked for), so the answer read next
 * is the answer to this query. */
static gboolean
drain (ScZplPort     *port,
       GCancellable  *cancellable,
       GError       **error)
{
  gsize dropped = 0;

  for (;;)
    {
      guint8 buf[512];
      gssize n = port->read (port, buf, sizeof buf, 0, cancellable, error);

      if (n < 0)
        return FALSE;
      if (n == 0)
        return TRUE;
      dropped += (gsize) n;
      if (dropped > DRAIN_MAX)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("the printer keeps sending data nobody asked for (more than %u KiB)"), DRAIN_MAX / 1024);
          return FALSE;
        }
    }
}

/* Reads one ~HS answer: fillers before its first <STX> are skipped, and
 * it ends at the third <ETX> and the line end after it (waited for
 * briefly, so it is not left to be read as the start of the next answer). */
static gboolean
read_status (ScZplPort        *port,
             ScZplHostStatus  *status,
             GCancellable     *cancellable,
             GError          **error)
{
  g_autoptr(GByteArray) answer = g_byte_array_new ();
  gint64 deadline = g_get_monotonic_time () + port->timeout_ms * G_TIME_SPAN_MILLISECOND;
  gint64 line_end_deadline = 0;
  gboolean ended = FALSE;
  gboolean malformed = FALSE;
  guint etx = 0;

  while (!ended && !malformed)
    {
      guint8 buf[512];
      gint64 now = g_get_monotonic_time ();
      gint64 left = ((etx < 3 ? deadline : MIN (deadline, line_end_deadline)) - now) / G_TIME_SPAN_MILLISECOND;
      gssize n;

      if (left <= 0)
        {
          if (etx == 3)
            break;  /* no line end: the answer is whole all the same */
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, _("no answer within %.1f s"),
                       port->timeout_ms / 1000.0);
          return FALSE;
        }
      n = port->read (port, buf, sizeof buf, (guint) left, cancellable, error);
      if (n < 0)
        return FALSE;
      for (gssize i = 0; i < n && !ended && !malformed; i++)
        {
          if (etx == 3)
            {
              /* After the answer: its CR LF, nothing else is expected. */
              ended = buf[i] == '\n' || !is_filler (buf[i]);
              continue;
            }
          if (answer->len == 0 && is_filler (buf[i]))
            continue;
          g_byte_array_append (answer, &buf[i], 1);
          /* A host status starts with <STX>; anything else never becomes one. */
          malformed = answer->data[0] != '\002' || answer->len > 4096;
          if (buf[i] == '\003' && ++etx == 3)
            line_end_deadline = g_get_monotonic_time () + LINE_END_MS * G_TIME_SPAN_MILLISECOND;
        }
    }
  if (malformed || !_sc_zpl_host_status_parse ((const char *) answer->data, answer->len, status))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("the answer is not a ZPL host status (%u bytes)"), answer->len);
      return FALSE;
    }
  return TRUE;
}

gboolean
_sc_zpl_query_status (ScZplPort        *port,
                      ScZplHostStatus  *status,
                      GCancellable     *cancellable,
                      GError          **error)
{
  gsize sent = 0;

  return drain (port, cancellable, error) &&
         port->write (port, (const guint8 *) "~HS", 3, &sent, cancellable, error) &&
         read_status (port, status, cancellable, error);
}

gboolean
_sc_zpl_send (ScZplPort     *port,
              const guint8  *job,
              gsize          len,
              GCancellable  *cancellable,
              GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  ScZplHostStatus status;
  gsize sent = 0;

  if (port->status)
    {
      g_autofree char *problems = NULL;

      if (!_sc_zpl_query_status (port, &status, cancellable, &local_error))
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_propagate_error (error, g_steal_pointer (&local_error));
          else
            g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY,
                         _("%s does not answer the status query (~HS): %s; nothing was sent. A printer out of "
                           "paper or ribbon or with its head open may keep quiet: check it (for a printer that "
                           "cannot answer, add ?status=off to its address)"),
                         port->name, local_error->message);
          return FALSE;
        }
      if ((problems = _sc_zpl_host_status_problems (&status)) != NULL)
        {
          g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY,
                       _("%s is not ready: %s; nothing was sent. Fix it, or choose another printer, and "
                         "print again"), port->name, problems);
          return FALSE;
        }
    }

  if (!port->write (port, job, len, &sent, cancellable, &local_error))
    {
      if (sent == 0)
        g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY,
                     _("%s took none of the label: %s; nothing was sent"), port->name, local_error->message);
      else
        g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_FAILED,
                     _("%s took %zu of the label’s %zu bytes, then: %s. "
                       "Whether a label came out is not known: check the printer"),
                     port->name, sent, len, local_error->message);
      return FALSE;
    }

  /* The printer reads its input in order: an answer now means it has the
   * whole job. */
  if (port->status && !_sc_zpl_query_status (port, &status, NULL, &local_error))
    {
      g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_FAILED,
                   _("%s was sent the whole label but did not confirm it: %s. Whether a label came out is "
                     "not known: check the printer"), port->name, local_error->message);
      return FALSE;
    }
  return TRUE;
}
