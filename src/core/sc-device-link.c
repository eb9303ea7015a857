/* sc-device-link.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "sc-device-link-private.h"

G_DEFINE_QUARK (sc-device-error-quark, sc_device_error)
G_DEFINE_INTERFACE (ScDeviceLink, sc_device_link, G_TYPE_OBJECT)

static void
sc_device_link_default_init (ScDeviceLinkInterface *iface)
{
}

gboolean
_sc_fd_write_all (int            fd,
                  const guint8  *data,
                  gsize          len,
                  guint          timeout_ms,
                  const char    *what,
                  GError       **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (len > 0)
    {
      gssize n = write (fd, data, len);

      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        {
          struct pollfd pfd = { fd, POLLOUT, 0 };
          gint64 left = (deadline - g_get_monotonic_time ()) / 1000;

          if (left <= 0)
            {
              g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_TIMEOUT,
                           _("%s does not take data (flow control or a stalled unit); check the "
                             "cable and that the unit is running"), what);
              return FALSE;
            }
          poll (&pfd, 1, (int) MIN (left, 100));
          continue;
        }
      if (n < 0)
        {
          int saved_errno = errno;
          g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_DISCONNECTED,
                       _("Cannot write to %s: %s; check the fixture’s cable"), what, g_strerror (saved_errno));
          return FALSE;
        }
      data += n;
      len -= n;
    }
  return TRUE;
}

gssize
_sc_fd_read_timeout (int            fd,
                     guint8        *buf,
                     gsize          cap,
                     guint          timeout_ms,
                     const char    *what,
                     GError       **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };
      gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
      gssize n;
      int rc;

      rc = poll (&pfd, 1, (int) MAX (left, 0));
      if (rc < 0 && errno == EINTR)
        continue;
      if (rc == 0)
        return 0;
      if (rc < 0)
        break;

      n = read (fd, buf, cap);
      if (n > 0)
        return n;
      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (n == 0 || errno == EIO)
        {
          g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_DISCONNECTED,
                       _("%s closed the connection; check that the unit is powered and connected"), what);
          return -1;
        }
      break;
    }

  {
    int saved_errno = errno;
    g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_DISCONNECTED,
                 _("Cannot read from %s: %s"), what, g_strerror (saved_errno));
  }
  return -1;
}

char *
_sc_uri_query_get (const char *query,
                   const char *key)
{
  g_auto(GStrv) pairs = NULL;
  gsize key_len;

  if (query == NULL || *query == '\0')
    return NULL;
  key_len = strlen (key);
  pairs = g_strsplit (query, "&", -1);
  for (guint i = 0; pairs[i] != NULL; i++)
    if (strncmp (pairs[i], key, key_len) == 0 && pairs[i][key_len] == '=')
      return g_uri_unescape_string (pairs[i] + key_len + 1, NULL);
  return NULL;
}

/**
 * sc_device_link_open:
 *
 * Returns: (transfer full): the open link.
 */
ScDeviceLink *
sc_device_link_open (const char  *uri,
                     GError     **error)
{
  const char *query;
  g_autofree char *head = NULL;

  g_return_val_if_fail (uri != NULL, NULL);

  query = strchr (uri, '?');
  head = query ? g_strndup (uri, query - uri) : g_strdup (uri);
  if (query)
    query++;

  if (g_str_has_prefix (head, "serial://") && head[strlen ("serial://")] == '/')
    return _sc_serial_link_open (head + strlen ("serial://"), query, error);
  if (g_str_has_prefix (head, "tcp://") && query == NULL)
    return _sc_tcp_link_open (head + strlen ("tcp://"), error);
  if (g_str_has_prefix (head, "usb://") && query == NULL)
    return _sc_usb_link_open (head + strlen ("usb://"), error);
  if (g_str_equal (head, "sim:"))
    return _sc_sim_link_open (query, error);
  if (g_str_has_prefix (head, "command:"))
    {
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_ADDRESS,
                   _("“%s” names an external flasher, which writes an image and does not talk "
                     "the provisioning protocol"), uri);
      return NULL;
    }

  g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_ADDRESS,
               _("“%s” is not a device address; use serial:///dev/ttyUSB0?baud=115200, "
                 "tcp://HOST:PORT, usb://VID:PID[/SERIAL], sim: or command:"), uri);
  return NULL;
}

char *
sc_device_link_describe (ScDeviceLink *self)
{
  g_return_val_if_fail (SC_IS_DEVICE_LINK (self), NULL);

  return SC_DEVICE_LINK_GET_IFACE (self)->describe (self);
}

void
sc_device_link_close (ScDeviceLink *self)
{
  g_return_if_fail (SC_IS_DEVICE_LINK (self));

  SC_DEVICE_LINK_GET_IFACE (self)->close (self);
}

gboolean
_sc_device_link_write (ScDeviceLink  *self,
                       const guint8  *data,
                       gsize          len,
                       guint          timeout_ms,
                       GError       **error)
{
  return SC_DEVICE_LINK_GET_IFACE (self)->write (self, data, len, timeout_ms, error);
}

gssize
_sc_device_link_read (ScDeviceLink  *self,
                      guint8        *buf,
                      gsize          cap,
                      guint          timeout_ms,
                      GError       **error)
{
  return SC_DEVICE_LINK_GET_IFACE (self)->read (self, buf, cap, timeout_ms, error);
}
