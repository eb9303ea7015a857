/* sc-tcp-link.c: the protocol over TCP, for network test jigs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <glib/gi18n-lib.h>

#include "sc-device-link-private.h"

#define SC_TYPE_TCP_LINK (sc_tcp_link_get_type ())
G_DECLARE_FINAL_TYPE (ScTcpLink, sc_tcp_link, SC, TCP_LINK, GObject)

#define CONNECT_TIMEOUT_S 5

struct _ScTcpLink
{
  GObject             parent_instance;
  char               *address;
  GSocketConnection  *connection;
};

static void link_iface_init (ScDeviceLinkInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ScTcpLink, sc_tcp_link, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SC_TYPE_DEVICE_LINK, link_iface_init))

static void
link_close (ScDeviceLink *link)
{
  ScTcpLink *self = SC_TCP_LINK (link);

  if (self->connection != NULL)
    g_io_stream_close (G_IO_STREAM (self->connection), NULL, NULL);
  g_clear_object (&self->connection);
}

static void
sc_tcp_link_finalize (GObject *object)
{
  ScTcpLink *self = SC_TCP_LINK (object);

  link_close (SC_DEVICE_LINK (self));
  g_free (self->address);
  G_OBJECT_CLASS (sc_tcp_link_parent_class)->finalize (object);
}

static void
sc_tcp_link_class_init (ScTcpLinkClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sc_tcp_link_finalize;
}

static void
sc_tcp_link_init (ScTcpLink *self)
{
}

static int
link_fd (ScTcpLink  *self,
         GError    **error)
{
  if (self->connection == NULL)
    {
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_DISCONNECTED, _("The connection is closed"));
      return -1;
    }
  return g_socket_get_fd (g_socket_connection_get_socket (self->connection));
}

static gboolean
link_write (ScDeviceLink  *link,
            const guint8  *data,
            gsize          len,
            guint          timeout_ms,
            GError       **error)
{
  ScTcpLink *self = SC_TCP_LINK (link);
  int fd = link_fd (self, error);

  return fd >= 0 && _sc_fd_write_all (fd, data, len, timeout_ms, self->address, error);
}

static gssize
link_read (ScDeviceLink  *link,
           guint8        *buf,
           gsize          cap,
           guint          timeout_ms,
           GError       **error)
{
  ScTcpLink *self = SC_TCP_LINK (link);
  int fd = link_fd (self, error);

  return fd < 0 ? -1 : _sc_fd_read_timeout (fd, buf, cap, timeout_ms, self->address, error);
}

static char *
link_describe (ScDeviceLink *link)
{
  return g_strdup_printf (_("test jig at %s"), SC_TCP_LINK (link)->address);
}

static void
link_iface_init (ScDeviceLinkInterface *iface)
{
  iface->write = link_write;
  iface->read = link_read;
  iface->describe = link_describe;
  iface->close = link_close;
}

ScDeviceLink *
_sc_tcp_link_open (const char  *host_port,
                   GError     **error)
{
  g_autoptr(ScTcpLink) self = g_object_new (SC_TYPE_TCP_LINK, NULL);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GSocketConnectable) address = NULL;
  GSocket *socket;

  address = g_network_address_parse (host_port, 0, &local_error);
  if (address == NULL || g_network_address_get_port (G_NETWORK_ADDRESS (address)) == 0)
    {
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_ADDRESS,
                   _("“tcp://%s” needs a host and a port, like tcp://127.0.0.1:5555"), host_port);
      return NULL;
    }

  self->address = g_strdup (host_port);
  g_socket_client_set_timeout (client, CONNECT_TIMEOUT_S);
  self->connection = g_socket_client_connect (client, address, NULL, &local_error);
  if (self->connection == NULL)
    {
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_NOT_FOUND,
                   _("Cannot connect to the test jig at %s: %s"), host_port, local_error->message);
      return NULL;
    }

  socket = g_socket_connection_get_socket (self->connection);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  g_socket_set_blocking (socket, FALSE);
  return SC_DEVICE_LINK (g_steal_pointer (&self));
}
