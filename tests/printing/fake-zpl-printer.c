/* fake-zpl-printer.c: a network ZPL label printer for the tests, on loopback
 *
 * A fake, because no label printer is on the test machine: it listens on
 * 127.0.0.1 (port 0 = any; the port is printed on the first line of
 * standard output), takes one connection after another until it is
 * killed, records every byte it receives except its status queries, and
 * answers ZPL ~HS the way a Zebra printer does, with the flags the status
 * file names when the query arrives:
 *
 *   ready (or an empty or missing file), paper-out, head-open, pause,
 *   ribbon-out (in thermal transfer mode), silent (no answer at all), and
 *   garbage (an answer that is not a host status); several words combine.
 *
 * --drop-after N resets the connection once it has received N bytes of a
 * job; --stall reads nothing at all after the connection is made (with
 * --rcvbuf, a small receive buffer), so the sender's writes time out.
 * --hold takes the first connection and then nothing more: it reads nothing,
 * never closes it, and accepts no other (later connections wait in the
 * listen queue), as a printer that has hung.
 * --late-line-end holds back the CR LF that ends each answer until the
 * station sends something more (the job, or the next query), as a printer
 * whose line end leaves in a later segment.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

static char *record_path;
static char *status_path;
static gint64 drop_after = -1;
static gboolean stall;
static int rcvbuf;
static gboolean late_line_end;
static gboolean hold;
static gboolean line_end_held;   /* this connection's last answer still owes its CR LF */

static void
answer_status (int fd)
{
  g_autofree char *text = NULL;
  g_autofree char *answer = NULL;
  gboolean paper_out, head_open, pause, ribbon_out;

  if (status_path == NULL || !g_file_get_contents (status_path, &text, NULL, NULL))
    text = g_strdup ("ready");
  if (strstr (text, "silent") != NULL)
    return;
  if (strstr (text, "garbage") != NULL)
    {
      (void) !write (fd, "HELLO\r\n", 7);
      return;
    }
  paper_out = strstr (text, "paper-out") != NULL;
  head_open = strstr (text, "head-open") != NULL;
  pause = strstr (text, "pause") != NULL;
  ribbon_out = strstr (text, "ribbon-out") != NULL;
  answer = g_strdup_printf ("\002030,%d,%d,0290,000,0,0,0,000,0,0,0\003\r\n"
                            "\002001,0,%d,%d,%d,2,4,0,00000000,1,000\003\r\n"
                            "\0021234,0\003\r\n",
                            paper_out, pause, head_open, ribbon_out, ribbon_out);
  line_end_held = late_line_end;
  (void) !write (fd, answer, strlen (answer) - (late_line_end ? 2 : 0));
}

static void
record (FILE         *out,
        const char   *data,
        gsize         len)
{
  if (out != NULL && len > 0)
    {
      fwrite (data, 1, len, out);
      fflush (out);
    }
}

/* Serves one connection until the peer closes it (or it is dropped). */
static void
serve (int   fd,
       FILE *out)
{
  char buf[65536], job[65536 + 3];
  int state = 0;  /* how much of "~HS" was seen */
  gint64 received = 0;

  line_end_held = FALSE;
  if (stall)
    {
      /* Take nothing; wait for the peer to give up. */
      struct pollfd p = { fd, POLLRDHUP, 0 };

      while ((poll (&p, 1, -1) >= 0 || errno == EINTR) && !(p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
        ;
      return;
    }

  for (;;)
    {
      ssize_t n = read (fd, buf, sizeof buf);
      gsize j = 0;

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return;
      if (line_end_held)
        {
          (void) !write (fd, "\r\n", 2);
          line_end_held = FALSE;
        }
      for (ssize_t i = 0; i < n; i++)
        {
          static const char query[] = "~HS";

          /* Dropped as soon as the job reaches N bytes, before a status
           * query that came in the same read is answered: a job and its
           * closing ~HS often arrive together on a busy machine. */
          if (drop_after >= 0 && received + (gint64) j >= drop_after)
            break;
          if (buf[i] == query[state])
            {
              if (++state == 3)
                {
                  record (out, job, j);
                  received += j;
                  j = 0;
                  state = 0;
                  answer_status (fd);
                }
              continue;
            }
          /* Not a query after all: what was held back is job data. */
          memcpy (job + j, query, state);
          j += state;
          state = 0;
          if (buf[i] == query[0])
            state = 1;
          else
            job[j++] = buf[i];
        }
      if (drop_after >= 0 && received + (gint64) j >= drop_after)
        {
          struct linger reset = { 1, 0 };

          record (out, job, (gsize) (drop_after - received));
          setsockopt (fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
          return;
        }
      record (out, job, j);
      received += j;
    }
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t addr_len = sizeof addr;
  int port = 0, one = 1, listener;
  FILE *out = NULL;
  const GOptionEntry entries[] = {
    { "port", 0, 0, G_OPTION_ARG_INT, &port, "Port on 127.0.0.1 (0: any)", "N" },
    { "record", 0, 0, G_OPTION_ARG_FILENAME, &record_path, "Append what is received here", "FILE" },
    { "status-file", 0, 0, G_OPTION_ARG_FILENAME, &status_path, "The printer's condition, read at each ~HS", "FILE" },
    { "drop-after", 0, 0, G_OPTION_ARG_INT64, &drop_after, "Reset a connection after N job bytes", "N" },
    { "stall", 0, 0, G_OPTION_ARG_NONE, &stall, "Read nothing", NULL },
    { "rcvbuf", 0, 0, G_OPTION_ARG_INT, &rcvbuf, "Receive buffer size", "BYTES" },
    { "hold", 0, 0, G_OPTION_ARG_NONE, &hold, "Take one connection, then nothing", NULL },
    { "late-line-end", 0, 0, G_OPTION_ARG_NONE, &late_line_end, "Send each answer's CR LF with the next answer", NULL },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("fake-zpl-printer: %s\n", error->message);
      return 2;
    }
  signal (SIGPIPE, SIG_IGN);
  /* Never outlive the test that started it. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);

  listener = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  setsockopt (listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (rcvbuf > 0)
    setsockopt (listener, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  addr.sin_port = htons ((guint16) port);
  if (listener < 0 || bind (listener, (struct sockaddr *) &addr, sizeof addr) != 0 || listen (listener, 4) != 0 ||
      getsockname (listener, (struct sockaddr *) &addr, &addr_len) != 0)
    {
      g_printerr ("fake-zpl-printer: cannot listen: %s\n", g_strerror (errno));
      return 1;
    }
  if (record_path != NULL && (out = fopen (record_path, "ab")) == NULL)
    {
      g_printerr ("fake-zpl-printer: cannot open %s: %s\n", record_path, g_strerror (errno));
      return 1;
    }
  printf ("%u\n", ntohs (addr.sin_port));
  fflush (stdout);

  for (;;)
    {
      int fd = accept (listener, NULL, NULL);

      if (fd < 0)
        {
          if (errno == EINTR)
            continue;
          g_printerr ("fake-zpl-printer: accept: %s\n", g_strerror (errno));
          return 1;
        }
      if (hold)
        for (;;)
          pause ();
      serve (fd, out);
      close (fd);
    }
}
