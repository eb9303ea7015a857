/* cups-helper.c: what the CUPS suite needs beyond lpadmin and lp
 *
 *   cups-helper reasons QUEUE REASON[,REASON…]
 *       sets the queue's printer-state-reasons (CUPS-Add-Modify-Printer), as
 *       a backend reports an offline or empty printer; "none" clears them
 *   cups-helper cancel PROFILE QUEUE pending|processing
 *       prints the profile's test label on cups://QUEUE through ScPrinter,
 *       cancels the call (its GCancellable) once CUPS shows the job in that
 *       state, and prints how the call ended: "DOMAIN CODE sent-nothing|
 *       unknown: MESSAGE", or "printed"
 *
 * The server is the one libcups finds (CUPS_SERVER). Exit status 0 when it
 * did what was asked, 1 otherwise.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <string.h>
#include <unistd.h>

#include <cups/cups.h>

#include "sc-core.h"

static int
set_reasons (const char *queue,
             const char *list)
{
  g_auto(GStrv) reasons = g_strsplit (list, ",", -1);
  char uri[HTTP_MAX_URI];
  ipp_t *request = ippNewRequest (IPP_OP_CUPS_ADD_MODIFY_PRINTER);
  ipp_t *response;
  gboolean ok;

  httpAssembleURIf (HTTP_URI_CODING_ALL, uri, sizeof uri, "ipp", NULL, "localhost", ippPort (), "/printers/%s",
                    queue);
  ippAddString (request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, uri);
  ippAddStrings (request, IPP_TAG_PRINTER, IPP_TAG_KEYWORD, "printer-state-reasons",
                 (int) g_strv_length (reasons), NULL, (const char * const *) reasons);
  response = cupsDoRequest (CUPS_HTTP_DEFAULT, request, "/admin/");
  ok = response != NULL && ippGetStatusCode (response) <= IPP_STATUS_OK_EVENTS_COMPLETE;
  if (!ok)
    g_printerr ("cups-helper: cannot set the reasons of %s: %s\n", queue, cupsLastErrorString ());
  ippDelete (response);
  return ok ? 0 : 1;
}

typedef struct
{
  const char    *queue;
  const char    *title;
  ipp_jstate_t   wanted;
  GCancellable  *cancellable;
  GError        *error;
  gboolean       done;
  gboolean       printed;
} Cancel;

/* Polled, not timed: cancels once CUPS shows our job in the wanted state. */
static gboolean
watch_cb (gpointer data)
{
  Cancel *cancel = data;
  cups_job_t *jobs = NULL;
  int n = cupsGetJobs2 (CUPS_HTTP_DEFAULT, &jobs, cancel->queue, 0, CUPS_WHICHJOBS_ACTIVE);

  for (int i = 0; i < n; i++)
    if (g_strcmp0 (jobs[i].title, cancel->title) == 0 && jobs[i].state == cancel->wanted)
      {
        g_cancellable_cancel (cancel->cancellable);
        break;
      }
  cupsFreeJobs (n, jobs);
  return g_cancellable_is_cancelled (cancel->cancellable) ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static void
printed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  Cancel *cancel = data;

  cancel->printed = sc_printer_print_finish (SC_PRINTER (source), result, &cancel->error);
  cancel->done = TRUE;
}

static int
print_and_cancel (const char *profile_path,
                  const char *queue,
                  const char *state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScProfile) profile = sc_profile_new_from_file (profile_path, &error);
  g_autoptr(ScLabelLayout) layout = NULL;
  g_autoptr(ScPrinter) printer = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *uri = g_strdup_printf ("cups://%s", queue);
  g_autofree char *title = g_strdup_printf ("cancel-test-%d", (int) getpid ());
  Cancel cancel = { queue, title, g_str_equal (state, "pending") ? IPP_JSTATE_PENDING : IPP_JSTATE_PROCESSING,
                    cancellable, NULL, FALSE, FALSE };
  guint watch;

  if (profile == NULL || (layout = sc_label_layout_new_test (profile, &error)) == NULL ||
      (printer = sc_printer_open (uri, &error)) == NULL)
    {
      g_printerr ("cups-helper: %s\n", error->message);
      return 1;
    }
  sc_printer_print_async (printer, layout, title, cancellable, printed_cb, &cancel);
  watch = g_timeout_add (20, watch_cb, &cancel);
  while (!cancel.done)
    g_main_context_iteration (NULL, TRUE);
  if (!g_cancellable_is_cancelled (cancellable))
    g_source_remove (watch);

  if (cancel.printed)
    g_print ("printed\n");
  else
    g_print ("%s %d %s: %s\n", g_quark_to_string (cancel.error->domain), cancel.error->code,
             sc_printer_error_sent_nothing (cancel.error) ? "sent-nothing" : "unknown", cancel.error->message);
  g_clear_error (&cancel.error);
  return 0;
}

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");
  if (argc == 4 && g_str_equal (argv[1], "reasons"))
    return set_reasons (argv[2], argv[3]);
  if (argc == 5 && g_str_equal (argv[1], "cancel") &&
      (g_str_equal (argv[4], "pending") || g_str_equal (argv[4], "processing")))
    return print_and_cancel (argv[2], argv[3], argv[4]);
  g_printerr ("usage: cups-helper reasons QUEUE REASON[,REASON…]\n"
              "       cups-helper cancel PROFILE QUEUE pending|processing\n");
  return 2;
}
