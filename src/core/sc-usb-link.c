/* sc-usb-link.c: the protocol over USB bulk endpoints (libusb)
 *
 * The fixture's interface is the first one with a bulk IN and a bulk OUT
 * endpoint; the protocol's bytes go over them unchanged.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <libusb.h>

#include "sc-device-link-private.h"

#define SC_TYPE_USB_LINK (sc_usb_link_get_type ())
G_DECLARE_FINAL_TYPE (ScUsbLink, sc_usb_link, SC, USB_LINK, GObject)

struct _ScUsbLink
{
  GObject               parent_instance;
  char                 *spec;
  libusb_context       *usb;
  libusb_device_handle *handle;
  int                   interface;
  guint8                ep_in;
  guint8                ep_out;
  guint16               max_packet;
  guint8                leftover[16384];  /* read but not yet handed out */
  gsize                 leftover_len;
};

static void link_iface_init (ScDeviceLinkInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ScUsbLink, sc_usb_link, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SC_TYPE_DEVICE_LINK, link_iface_init))

static void
link_close (ScDeviceLink *link)
{
  ScUsbLink *self = SC_USB_LINK (link);

  if (self->handle != NULL)
    {
      libusb_release_interface (self->handle, self->interface);
      libusb_close (self->handle);
      self->handle = NULL;
    }
}

static void
sc_usb_link_finalize (GObject *object)
{
  ScUsbLink *self = SC_USB_LINK (object);

  link_close (SC_DEVICE_LINK (self));
  g_clear_pointer (&self->usb, libusb_exit);
  g_free (self->spec);
  G_OBJECT_CLASS (sc_usb_link_parent_class)->finalize (object);
}

static void
sc_usb_link_class_init (ScUsbLinkClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sc_usb_link_finalize;
}

static void
sc_usb_link_init (ScUsbLink *self)
{
  self->interface = -1;
}

static gboolean
usb_error (GError     **error,
           int          rc,
           const char  *what,
           const char  *spec)
{
  g_set_error (error, SC_DEVICE_ERROR,
               rc == LIBUSB_ERROR_NO_DEVICE ? SC_DEVICE_ERROR_DISCONNECTED : SC_DEVICE_ERROR_PROTOCOL,
               _("USB fixture %s: %s failed: %s"), spec, what, libusb_strerror (rc));
  return FALSE;
}

static gboolean
link_write (ScDeviceLink  *link,
            const guint8  *data,
            gsize          len,
            guint          timeout_ms,
            GError       **error)
{
  ScUsbLink *self = SC_USB_LINK (link);

  while (len > 0)
    {
      int done = 0;
      int rc = libusb_bulk_transfer (self->handle, self->ep_out, (guint8 *) data, (int) MIN (len, 16384),
                                     &done, MAX (timeout_ms, 1));
      if (rc != 0 && !(rc == LIBUSB_ERROR_TIMEOUT && done > 0))
        return usb_error (error, rc, _("writing"), self->spec);
      data += done;
      len -= done;
    }
  return TRUE;
}

static gssize
link_read (ScDeviceLink  *link,
           guint8        *buf,
           gsize          cap,
           guint          timeout_ms,
           GError       **error)
{
  ScUsbLink *self = SC_USB_LINK (link);
  guint8 packet[16384];
  int done = 0;
  int rc;

  if (self->leftover_len > 0)
    {
      gsize n = MIN (cap, self->leftover_len);

      memcpy (buf, self->leftover, n);
      memmove (self->leftover, self->leftover + n, self->leftover_len - n);
      self->leftover_len -= n;
      return n;
    }

  /* A bulk read must offer whole packets, or the host controller reports an
   * overflow; read whole packets and keep what the caller has no room for. */
  rc = libusb_bulk_transfer (self->handle, self->ep_in, packet,
                             (int) (sizeof packet / self->max_packet * self->max_packet),
                             &done, MAX (timeout_ms, 1));
  if (rc == LIBUSB_ERROR_TIMEOUT && done == 0)
    return 0;
  if (rc != 0 && rc != LIBUSB_ERROR_TIMEOUT)
    {
      usb_error (error, rc, _("reading"), self->spec);
      return -1;
    }
  if ((gsize) done > cap)
    {
      memcpy (self->leftover, packet + cap, done - cap);
      self->leftover_len = done - cap;
      done = (int) cap;
    }
  memcpy (buf, packet, done);
  return done;
}

static char *
link_describe (ScDeviceLink *link)
{
  return g_strdup_printf (_("USB fixture %s"), SC_USB_LINK (link)->spec);
}

static void
link_iface_init (ScDeviceLinkInterface *iface)
{
  iface->write = link_write;
  iface->read = link_read;
  iface->describe = link_describe;
  iface->close = link_close;
}

/* Finds the bulk IN/OUT pair; returns FALSE if the device has none. */
static gboolean
find_bulk_endpoints (ScUsbLink       *self,
                     libusb_device   *dev)
{
  struct libusb_config_descriptor *config = NULL;
  gboolean found = FALSE;

  if (libusb_get_active_config_descriptor (dev, &config) != 0)
    return FALSE;

  for (int i = 0; !found && i < config->bNumInterfaces; i++)
    {
      const struct libusb_interface_descriptor *alt = &config->interface[i].altsetting[0];
      guint8 in = 0, out = 0;
      guint16 size = 64;

      for (int e = 0; e < alt->bNumEndpoints; e++)
        {
          const struct libusb_endpoint_descriptor *ep = &alt->endpoint[e];

          if ((ep->bmAttributes & LIBUSB_TRANSFER_TYPE_MASK) != LIBUSB_TRANSFER_TYPE_BULK)
            continue;
          if (ep->bEndpointAddress & LIBUSB_ENDPOINT_IN)
            {
              in = ep->bEndpointAddress;
              size = ep->wMaxPacketSize ? ep->wMaxPacketSize : 64;
            }
          else
            out = ep->bEndpointAddress;
        }
      if (in && out)
        {
          self->interface = alt->bInterfaceNumber;
          self->ep_in = in;
          self->ep_out = out;
          self->max_packet = size;
          found = TRUE;
        }
    }

  libusb_free_config_descriptor (config);
  return found;
}

ScDeviceLink *
_sc_usb_link_open (const char  *spec,
                   GError     **error)
{
  g_autoptr(ScUsbLink) self = g_object_new (SC_TYPE_USB_LINK, NULL);
  libusb_device **list = NULL;
  const char *serial = strchr (spec, '/');
  unsigned int vid = 0, pid = 0;
  char tail = 0;
  ssize_t n;
  int rc;

  if (sscanf (spec, "%4x:%4x%c", &vid, &pid, &tail) < 2 || (tail != 0 && tail != '/') ||
      (serial != NULL && serial[1] == '\0'))
    {
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_ADDRESS,
                   _("“usb://%s” must be usb://VID:PID or usb://VID:PID/SERIAL with hex ids"), spec);
      return NULL;
    }
  if (serial)
    serial++;
  self->spec = g_strdup (spec);

  rc = libusb_init (&self->usb);
  if (rc != 0)
    {
      usb_error (error, rc, _("starting libusb"), spec);
      return NULL;
    }

  n = libusb_get_device_list (self->usb, &list);
  for (ssize_t i = 0; i < n && self->handle == NULL; i++)
    {
      struct libusb_device_descriptor desc;
      libusb_device_handle *handle = NULL;

      if (libusb_get_device_descriptor (list[i], &desc) != 0 ||
          desc.idVendor != vid || desc.idProduct != pid ||
          libusb_open (list[i], &handle) != 0)
        continue;

      if (serial != NULL)
        {
          unsigned char text[256] = "";

          if (desc.iSerialNumber == 0 ||
              libusb_get_string_descriptor_ascii (handle, desc.iSerialNumber, text, sizeof text) < 0 ||
              strcmp ((const char *) text, serial) != 0)
            {
              libusb_close (handle);
              continue;
            }
        }

      if (!find_bulk_endpoints (self, list[i]))
        {
          libusb_close (handle);
          continue;
        }
      libusb_set_auto_detach_kernel_driver (handle, 1);
      rc = libusb_claim_interface (handle, self->interface);
      if (rc != 0)
        {
          libusb_close (handle);
          libusb_free_device_list (list, 1);
          usb_error (error, rc, _("claiming its interface (is another program using it?)"), spec);
          return NULL;
        }
      self->handle = handle;
    }
  if (list != NULL)
    libusb_free_device_list (list, 1);

  if (self->handle == NULL)
    {
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_NOT_FOUND,
                   _("No USB fixture %s with bulk endpoints is connected (or it cannot be opened: "
                     "check the udev permissions)"), spec);
      return NULL;
    }
  return SC_DEVICE_LINK (g_steal_pointer (&self));
}
