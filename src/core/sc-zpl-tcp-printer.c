/* sc-zpl-tcp-printer.c: raw ZPL over TCP, the usual network label printer
 *
 * zpl+tcp://HOST[:PORT][?timeout=S&status=on|off&zpl=bitmap|native]
 *
 * One connection per job. The name lookup (GResolver, cancellable), the
 * connect, every write and the status answer each have the timeout (5 s
 * unless the URI says). With status=on (the default) the printer is asked
 * ~HS before the job, which is not sent if the printer is out of paper,
 * paused or has its head open, and again after it, whose answer confirms
 * that the printer read the whole job. With status=off nothing can confirm
 * that, so the job counts as taken only once the printer's TCP stack has
 * acknowledged every byte: the connection is shut for writing and the
 * send queue (SIOCOUTQ) watched until it is empty; a queue that stops
 * shrinking for the timeout leaves the outcome unknown. The send buffer is
 * kept small, so a printer that stops reading is noticed by the write
 * timeout rather than hidden by kernel buffers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <linux/sockios.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "sc-printer-private.h"

#define SC_TYPE_ZPL_TCP_PRINTER (sc_zpl_tcp_printer_get_type ())
G_DECLARE_FINAL_TYPE (ScZplTcpPrinter, sc_zpl_tcp_printer, SC, ZPL_TCP_PRINTER, GObject)

#define DEFAULT_PORT 9100
#define DEFAULT_TIMEOUT_MS 5000
#define SEND_BUFFER (64 * 1024)

struct _ScZplTcpPrinter
{
  GObject   parent_instance;
  char     *host;
  guint16   port;
  char     *address;      /* host:port, for people */
  guint     timeout_ms;
  gboolean  status;
  gboolean  native;       /* ^BX rather than our raster as ^GF */
};

static void printer_iface_init (ScPrinterInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ScZplTcpPrinter, sc_zpl_tcp_printer, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SC_TYPE_PRINTER, printer_iface_init))

static void
sc_zpl_tcp_printer_finalize (GObject *object)
{
  ScZplTcpPrinter *self = SC_ZPL_TCP_PRINTER (object);

  g_free (self->host);
  g_free (self->address);
  G_OBJECT_CLASS (sc_zpl_tcp_printer_parent_class)->finalize (object);
}

static void
sc_zpl_tcp_printer_class_init (ScZplTcpPrinterClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sc_zpl_tcp_printer_finalize;
}

static void
sc_zpl_tcp_printer_init (ScZplTcpPrinter *self)
{
}

/* -------------------------------------------------------------- the wire */

typedef struct
{
  ScZplPort  port;
  int        fd;
} TcpPort;

/* Waits up to @timeout_ms for @events on @fd, or for @cancellable. */
static gboolean
wait_fd (int            fd,
         short          events,
         guint          timeout_ms,
         GCancellable  *cancellable,
         GError       **error)
{
  GPollFD fds[2] = { { fd, events, 0 } };
  int n_fds = 1, rc;

  if (g_cancellable_make_pollfd (cancellable, &fds[1]))
    n_fds = 2;
  do
    rc = g_poll (fds, n_fds, (int) timeout_ms);
  while (rc < 0 && errno == EINTR);
  if (n_fds == 2)
    g_cancellable_release_fd (cancellable);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (rc < 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s", g_strerror (saved_errno));
      return FALSE;
    }
  if (rc == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, _("nothing moved for %.1f s"), timeout_ms / 1000.0);
      return FALSE;
    }
  return TRUE;
}

static gboolean
tcp_write (ScZplPort     *port,
           const guint8  *data,
           gsize          len,
           gsize         *sent,
           GCancellable  *cancellable,
           GError       **error)
{
  TcpPort *tcp = (TcpPort *) port;

  *sent = 0;
  while (*sent < len)
    {
      gssize n = send (tcp->fd, data + *sent, len - *sent, MSG_NOSIGNAL);

      if (n >= 0)
        {
          *sent += n;
          continue;
        }
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        {
          if (!wait_fd (tcp->fd, G_IO_OUT, port->timeout_ms, cancellable, error))
            return FALSE;
          continue;
        }
      {
        int saved_errno = errno;
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s", g_strerror (saved_errno));
      }
      return FALSE;
    }
  return TRUE;
}

static gssize
tcp_read (ScZplPort     *port,
          guint8        *buf,
          gsize          cap,
          guint          timeout_ms,
          GCancellable  *cancellable,
          GError       **error)
{
  TcpPort *tcp = (TcpPort *) port;
  g_autoptr(GError) wait_error = NULL;

  for (;;)
    {
      gssize n = recv (tcp->fd, buf, cap, 0);

      if (n > 0)
        return n;
      if (n == 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, _("the printer closed the connection"));
          return -1;
        }
      if (errno == EINTR)
        continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        {
          int saved_errno = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s", g_strerror (saved_errno));
          return -1;
        }
      if (!wait_fd (tcp->fd, G_IO_IN, timeout_ms, cancellable, &wait_error))
        {
          if (g_error_matches (wait_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
            return 0;
          g_propagate_error (error, g_steal_pointer (&wait_error));
          return -1;
        }
    }
}

/* The printer's name looked up with GResolver, which can be cancelled and
 * is given the timeout: getaddrinfo() can be neither, and the printer's
 * lock is held meanwhile. An IP address is taken as it is. */
typedef struct
{
  GList         *addresses;
  GError        *error;
  GCancellable  *cancellable;   /* the lookup's own: cancelled by the caller's or by the timeout */
  gboolean       done;
  gboolean       timed_out;
} Lookup;

static void
lookup_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  Lookup *lookup = data;

  lookup->addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &lookup->error);
  lookup->done = TRUE;
}

static gboolean
lookup_timeout_cb (gpointer data)
{
  Lookup *lookup = data;

  lookup->timed_out = TRUE;
  g_cancellable_cancel (lookup->cancellable);
  return G_SOURCE_REMOVE;
}

static void
caller_cancelled_cb (GCancellable *caller,
                     gpointer      data)
{
  g_cancellable_cancel (G_CANCELLABLE (data));
}

static GList *
resolve (ScZplTcpPrinter  *self,
         GCancellable     *cancellable,
         GError          **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GResolver) resolver = g_resolver_get_default ();
  g_autoptr(GSource) timeout = g_timeout_source_new (self->timeout_ms);
  g_autoptr(GError) lookup_error = NULL;
  Lookup lookup = { NULL, NULL, g_cancellable_new (), FALSE, FALSE };
  gulong handler = 0;

  g_main_context_push_thread_default (context);
  g_source_set_callback (timeout, lookup_timeout_cb, &lookup, NULL);
  g_source_attach (timeout, context);
  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (caller_cancelled_cb), lookup.cancellable, NULL);
  g_resolver_lookup_by_name_async (resolver, self->host, lookup.cancellable, lookup_done_cb, &lookup);
  while (!lookup.done)
    g_main_context_iteration (context, TRUE);
  g_cancellable_disconnect (cancellable, handler);
  g_source_destroy (timeout);
  g_main_context_pop_thread_default (context);
  g_object_unref (lookup.cancellable);
  lookup_error = lookup.error;

  if (lookup.addresses != NULL)
    return lookup.addresses;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  if (lookup.timed_out)
    g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY,
                 _("Cannot find the ZPL printer %s: its name was not found within %.1f s; nothing was sent. "
                   "Check the network’s name service, or give the printer’s IP address"),
                 self->address, self->timeout_ms / 1000.0);
  else
    g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY,
                 _("Cannot find the ZPL printer %s: %s; nothing was sent. Check its name or address"),
                 self->address, lookup_error ? lookup_error->message : _("no address"));
  return NULL;
}

/* A non-blocking connection to the printer, within the timeout. */
static int
connect_printer (ScZplTcpPrinter  *self,
                 GCancellable     *cancellable,
                 GError          **error)
{
  GList *addresses;
  g_autoptr(GError) last_error = NULL;
  int fd = -1;

  addresses = resolve (self, cancellable, error);
  if (addresses == NULL)
    return -1;

  for (GList *l = addresses; l != NULL && fd < 0; l = l->next)
    {
      g_autoptr(GSocketAddress) address = g_inet_socket_address_new (l->data, self->port);
      struct sockaddr_storage native;
      socklen_t native_len = (socklen_t) g_socket_address_get_native_size (address);
      int buffer = SEND_BUFFER, soerr = 0;
      socklen_t soerr_len = sizeof soerr;

      g_clear_error (&last_error);
      if (!g_socket_address_to_native (address, &native, sizeof native, &last_error))
        continue;
      fd = socket (native.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0)
        {
          int saved_errno = errno;
          g_set_error_literal (&last_error, G_IO_ERROR, g_io_error_from_errno (saved_errno), g_strerror (saved_errno));
          continue;
        }
      setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);

      if (connect (fd, (struct sockaddr *) &native, native_len) == 0)
        break;
      if (errno != EINPROGRESS)
        soerr = errno;
      else if (!wait_fd (fd, G_IO_OUT, self->timeout_ms, cancellable, &last_error))
        soerr = -1;
      else if (getsockopt (fd, SOL_SOCKET, SO_ERROR, &soerr, &soerr_len) != 0)
        soerr = errno;
      if (soerr == 0)
        break;
      if (soerr > 0)
        g_set_error_literal (&last_error, G_IO_ERROR, g_io_error_from_errno (soerr), g_strerror (soerr));
      close (fd);
      fd = -1;
      if (g_error_matches (last_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        break;
    }
  g_list_free_full (addresses, g_object_unref);

  if (fd < 0)
    {
      if (g_error_matches (last_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&last_error));
      else
        g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY,
                     _("Cannot connect to the ZPL printer at %s: %s; nothing was sent. Check that it is on "
                       "and on the network"),
                     self->address, last_error ? last_error->message : _("no address"));
    }
  return fd;
}

/* With no status answer, the job is the printer's only once its TCP stack
 * has acknowledged every byte (and the end of the stream): the send queue
 * must empty, shrinking at least once per timeout. Not cancellable: the
 * whole job has left, so stopping now could only hide its outcome. */
static gboolean
flush_job (TcpPort  *tcp,
           GError  **error)
{
  gint64 moved = g_get_monotonic_time ();
  gboolean peer_closed = FALSE;
  int last = -1;

  if (shutdown (tcp->fd, SHUT_WR) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s", g_strerror (saved_errno));
      return FALSE;
    }
  for (;;)
    {
      int queued = 0, soerr = 0;
      socklen_t soerr_len = sizeof soerr;
      gint64 now = g_get_monotonic_time ();

      if (ioctl (tcp->fd, SIOCOUTQ, &queued) != 0 ||
          getsockopt (tcp->fd, SOL_SOCKET, SO_ERROR, &soerr, &soerr_len) != 0)
        soerr = errno;
      if (soerr != 0)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (soerr), "%s", g_strerror (soerr));
          return FALSE;
        }
      if (queued == 0)
        return TRUE;
      if (queued != last)
        {
          last = queued;
          moved = now;
        }
      else if (now - moved >= tcp->port.timeout_ms * G_TIME_SPAN_MILLISECOND)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       _("%d bytes of it were still not acknowledged after %.1f s"), queued,
                       tcp->port.timeout_ms / 1000.0);
          return FALSE;
        }

      /* Whatever the printer says meanwhile is read and dropped; a reset
       * shows as an error. */
      if (peer_closed)
        g_usleep (10 * G_TIME_SPAN_MILLISECOND);
      else
        {
          struct pollfd p = { tcp->fd, POLLIN, 0 };

          if (poll (&p, 1, 10) > 0)
            {
              guint8 buf[256];
              gssize n = recv (tcp->fd, buf, sizeof buf, 0);

              if (n == 0)
                peer_closed = TRUE;
              else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                {
                  int saved_errno = errno;
                  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s",
                               g_strerror (saved_errno));
                  return FALSE;
                }
            }
        }
    }
}

/* ------------------------------------------------------------ printer */

static char *
describe (ScPrinter *printer)
{
  return g_strdup_printf (_("ZPL printer at %s"), SC_ZPL_TCP_PRINTER (printer)->address);
}

static gboolean
print (ScPrinter               *printer,
       ScLabelLayout           *layout,
       const char              *name,
       const ScPrinterSettings *settings,
       GCancellable            *cancellable,
       GError                 **error)
{
  ScZplTcpPrinter *self = SC_ZPL_TCP_PRINTER (printer);
  g_autoptr(ScSecret) job = NULL;
  g_autofree char *port_name = g_strdup_printf (_("The ZPL printer at %s"), self->address);
  TcpPort tcp = { { tcp_write, tcp_read, port_name, self->timeout_ms, self->status }, -1 };
  g_autoptr(GError) flush_error = NULL;
  const guint8 *data;
  gsize len;
  gboolean ok;

  /* Rendered and verified before the printer is touched. */
  job = sc_label_layout_encode (layout, self->native ? SC_LABEL_FORMAT_ZPL : SC_LABEL_FORMAT_ZPL_BITMAP,
                                settings, error);
  if (job == NULL)
    return FALSE;
  data = sc_secret_get_data (job, &len);

  tcp.fd = connect_printer (self, cancellable, error);
  if (tcp.fd < 0)
    return FALSE;
  ok = _sc_zpl_send (&tcp.port, data, len, cancellable, error);
  if (ok && !self->status && !flush_job (&tcp, &flush_error))
    {
      g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_FAILED,
                   _("%s was sent the whole label but has not taken it: %s. Whether a label came out is not "
                     "known: check the printer"), port_name, flush_error->message);
      ok = FALSE;
    }
  close (tcp.fd);
  return ok;
}

static void
printer_iface_init (ScPrinterInterface *iface)
{
  iface->describe = describe;
  iface->print = print;
}

ScPrinter *
_sc_zpl_tcp_printer_open (const char  *rest,
                          GHashTable  *params,
                          gboolean     open,
                          GError     **error)
{
  static const char * const allowed[] = { "timeout", "status", "zpl", NULL };
  static const char * const on_off[] = { "off", "on", NULL };
  static const char * const zpl[] = { "bitmap", "native", NULL };
  g_autoptr(ScZplTcpPrinter) self = g_object_new (SC_TYPE_ZPL_TCP_PRINTER, NULL);
  g_autofree char *uri = g_strconcat ("zpl+tcp://", rest, NULL);
  g_autofree char *host = NULL;
  const char *colon;
  int status, native;

  /* HOST, HOST:PORT, [IPv6] or [IPv6]:PORT; nothing after. */
  if (rest[0] == '[')
    {
      const char *close = strchr (rest, ']');

      if (close == NULL || close == rest + 1)
        goto malformed;
      host = g_strndup (rest + 1, close - rest - 1);
      colon = close[1] == ':' ? close + 1 : NULL;
      if (close[1] != '\0' && colon == NULL)
        goto malformed;
    }
  else
    {
      colon = strchr (rest, ':');
      host = colon ? g_strndup (rest, colon - rest) : g_strdup (rest);
    }
  if (host[0] == '\0' || strpbrk (host, "/@?#[] ") != NULL)
    goto malformed;

  self->port = DEFAULT_PORT;
  if (colon != NULL)
    {
      guint64 port;

      if (!g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &port, NULL))
        {
          g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_ADDRESS,
                       _("The printer address “%s” has a bad port: it must be a number from 1 to 65535"), uri);
          return NULL;
        }
      self->port = (guint16) port;
    }

  if (!_sc_printer_check_params (uri, params, allowed, error) ||
      !_sc_printer_param_timeout (uri, params, DEFAULT_TIMEOUT_MS, &self->timeout_ms, error) ||
      !_sc_printer_param_choice (uri, params, "status", on_off, 1, &status, error) ||
      !_sc_printer_param_choice (uri, params, "zpl", zpl, 0, &native, error))
    return NULL;

  self->status = status == 1;
  self->native = native == 1;
  self->address = strchr (host, ':') ? g_strdup_printf ("[%s]:%u", host, self->port)
                                     : g_strdup_printf ("%s:%u", host, self->port);
  self->host = g_steal_pointer (&host);
  (void) open;  /* nothing to open: a connection per job */
  return SC_PRINTER (g_steal_pointer (&self));

malformed:
  g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_ADDRESS,
               _("“%s” must be zpl+tcp://HOST or zpl+tcp://HOST:PORT (an IPv6 address in brackets)"), uri);
  return NULL;
}
