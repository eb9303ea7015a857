/* sc-serial-link.c: the protocol over a serial port (termios, raw)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "sc-device-link-private.h"

#define SC_TYPE_SERIAL_LINK (sc_serial_link_get_type ())
G_DECLARE_FINAL_TYPE (ScSerialLink, sc_serial_link, SC, SERIAL_LINK, GObject)

struct _ScSerialLink
{
  GObject  parent_instance;
  char    *path;
  guint    baud;
  int      fd;
};

static void link_iface_init (ScDeviceLinkInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ScSerialLink, sc_serial_link, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SC_TYPE_DEVICE_LINK, link_iface_init))

static void
link_close (ScDeviceLink *link)
{
  ScSerialLink *self = SC_SERIAL_LINK (link);

  if (self->fd >= 0)
    {
      close (self->fd);
      self->fd = -1;
    }
}

static void
sc_serial_link_finalize (GObject *object)
{
  ScSerialLink *self = SC_SERIAL_LINK (object);

  link_close (SC_DEVICE_LINK (self));
  g_free (self->path);
  G_OBJECT_CLASS (sc_serial_link_parent_class)->finalize (object);
}

static void
sc_serial_link_class_init (ScSerialLinkClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sc_serial_link_finalize;
}

static void
sc_serial_link_init (ScSerialLink *self)
{
  self->fd = -1;
}

static gboolean
link_write (ScDeviceLink  *link,
            const guint8  *data,
            gsize          len,
            guint          timeout_ms,
            GError       **error)
{
  ScSerialLink *self = SC_SERIAL_LINK (link);

  if (self->fd < 0)
    {
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_DISCONNECTED, _("The serial port is closed"));
      return FALSE;
    }
  return _sc_fd_write_all (self->fd, data, len, timeout_ms, self->path, error);
}

static gssize
link_read (ScDeviceLink  *link,
           guint8        *buf,
           gsize          cap,
           guint          timeout_ms,
           GError       **error)
{
  ScSerialLink *self = SC_SERIAL_LINK (link);

  if (self->fd < 0)
    {
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_DISCONNECTED, _("The serial port is closed"));
      return -1;
    }
  return _sc_fd_read_timeout (self->fd, buf, cap, timeout_ms, self->path, error);
}

static char *
link_describe (ScDeviceLink *link)
{
  ScSerialLink *self = SC_SERIAL_LINK (link);

  return g_strdup_printf (_("serial port %s at %u baud"), self->path, self->baud);
}

static void
link_iface_init (ScDeviceLinkInterface *iface)
{
  iface->write = link_write;
  iface->read = link_read;
  iface->describe = link_describe;
  iface->close = link_close;
}

static speed_t
speed_for (guint baud)
{
  static const struct { guint baud; speed_t speed; } speeds[] = {
    { 9600, B9600 }, { 19200, B19200 }, { 38400, B38400 }, { 57600, B57600 },
    { 115200, B115200 }, { 230400, B230400 }, { 460800, B460800 }, { 921600, B921600 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (speeds); i++)
    if (speeds[i].baud == baud)
      return speeds[i].speed;
  return B0;
}

ScDeviceLink *
_sc_serial_link_open (const char  *path,
                      const char  *query,
                      GError     **error)
{
  g_autoptr(ScSerialLink) self = g_object_new (SC_TYPE_SERIAL_LINK, NULL);
  g_autofree char *baud_text = _sc_uri_query_get (query, "baud");
  struct termios tio;
  guint64 baud = 115200;
  speed_t speed;

  if (baud_text != NULL && !g_ascii_string_to_unsigned (baud_text, 10, 1, G_MAXUINT, &baud, NULL))
    baud = 0;
  speed = speed_for ((guint) baud);
  if (speed == B0)
    {
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_ADDRESS,
                   _("“%s” is not a baud rate this console supports (9600 to 921600)"),
                   baud_text ? baud_text : "");
      return NULL;
    }

  self->path = g_strdup (path);
  self->baud = (guint) baud;
  self->fd = g_open (path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC, 0);
  if (self->fd < 0)
    {
      int saved_errno = errno;
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_NOT_FOUND,
                   _("Cannot open the serial port %s: %s; check the fixture is plugged in"),
                   path, g_strerror (saved_errno));
      return NULL;
    }

  if (tcgetattr (self->fd, &tio) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_NOT_FOUND,
                   _("%s is not a serial port: %s"), path, g_strerror (saved_errno));
      return NULL;
    }
  cfmakeraw (&tio);
  /* 8N1, no flow control of any kind: a port left with RTS/CTS or XON/XOFF
   * by another program would stall writes or insert bytes into frames. */
  tio.c_cflag &= ~(CRTSCTS | CSTOPB | PARENB | CSIZE);
  tio.c_cflag |= CS8 | CLOCAL | CREAD;
  tio.c_iflag &= ~(IXON | IXOFF | IXANY);
  tio.c_cc[VMIN] = 0;
  tio.c_cc[VTIME] = 0;
  cfsetispeed (&tio, speed);
  cfsetospeed (&tio, speed);
  if (tcsetattr (self->fd, TCSANOW, &tio) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_NOT_FOUND,
                   _("Cannot configure the serial port %s: %s"), path, g_strerror (saved_errno));
      return NULL;
    }
  /* No other program may talk to the fixture while we do. */
  ioctl (self->fd, TIOCEXCL);
  /* Whatever the fixture said before we came is not an answer to us. */
  tcflush (self->fd, TCIOFLUSH);

  return SC_DEVICE_LINK (g_steal_pointer (&self));
}
