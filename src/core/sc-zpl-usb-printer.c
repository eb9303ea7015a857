/* sc-zpl-usb-printer.c: raw ZPL to a USB printer-class device (libusb)
 *
 * zpl+usb://VID:PID[/SERIAL][?timeout=S&status=auto|on|off&zpl=bitmap|native]
 *
 * The printer is looked up for each job (it may have been unplugged and
 * plugged in again since), its printer-class interface (class 7) claimed,
 * the kernel's usblp detached for the job (and given the interface back
 * after), and the ZPL sent over the bulk
 * OUT endpoint. A bidirectional interface (a bulk IN endpoint) is asked
 * ~HS before and after the job, as over TCP, unless status=off; with
 * status=on an interface without one is refused. Whatever the printer left
 * in its IN endpoint (an earlier job's answer, a late line end) is read and
 * dropped before each query, and a transfer longer than the caller's
 * buffer is kept for the next read, so an answer is always read whole. A printer unplugged
 * mid-job is a failure whose outcome is not known; unplugged before the
 * job, it is not ready.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <libusb.h>

#include "sc-printer-private.h"

#define SC_TYPE_ZPL_USB_PRINTER (sc_zpl_usb_printer_get_type ())
G_DECLARE_FINAL_TYPE (ScZplUsbPrinter, sc_zpl_usb_printer, SC, ZPL_USB_PRINTER, GObject)

#define DEFAULT_TIMEOUT_MS 5000
#define CHUNK 16384
#define USB_CLASS_PRINTER 7

typedef enum { STATUS_AUTO, STATUS_ON, STATUS_OFF } StatusMode;

struct _ScZplUsbPrinter
{
  GObject          parent_instance;
  char            *spec;         /* VID:PID[/SERIAL], for people */
  guint16          vid, pid;
  char            *serial;
  guint            timeout_ms;
  StatusMode       status;
  gboolean         native;
  libusb_context  *usb;
};

static void printer_iface_init (ScPrinterInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ScZplUsbPrinter, sc_zpl_usb_printer, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SC_TYPE_PRINTER, printer_iface_init))

static void
sc_zpl_usb_printer_finalize (GObject *object)
{
  ScZplUsbPrinter *self = SC_ZPL_USB_PRINTER (object);

  g_clear_pointer (&self->usb, libusb_exit);
  g_free (self->spec);
  g_free (self->serial);
  G_OBJECT_CLASS (sc_zpl_usb_printer_parent_class)->finalize (object);
}

static void
sc_zpl_usb_printer_class_init (ScZplUsbPrinterClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sc_zpl_usb_printer_finalize;
}

static void
sc_zpl_usb_printer_init (ScZplUsbPrinter *self)
{
}

/* -------------------------------------------------------------- the wire */

typedef struct
{
  ScZplPort             port;
  libusb_device_handle *handle;
  int                   interface;
  guint8                ep_out;
  guint8                ep_in;         /* 0: unidirectional */
  guint16               max_packet_in;
  gboolean              reattach;      /* the kernel's driver had the interface */
  guint8                in[512];       /* the last IN transfer… */
  gsize                 in_len;
  gsize                 in_taken;      /* …and how much of it was read */
} UsbPort;

static void
set_usb_error (GError     **error,
               int          rc)
{
  g_set_error (error, G_IO_ERROR, rc == LIBUSB_ERROR_TIMEOUT ? G_IO_ERROR_TIMED_OUT : G_IO_ERROR_FAILED,
               "%s", rc == LIBUSB_ERROR_NO_DEVICE ? _("the printer was unplugged") : libusb_strerror (rc));
}

static gboolean
usb_write (ScZplPort     *port,
           const guint8  *data,
           gsize          len,
           gsize         *sent,
           GCancellable  *cancellable,
           GError       **error)
{
  UsbPort *usb = (UsbPort *) port;

  *sent = 0;
  while (*sent < len)
    {
      int done = 0;
      int rc;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      rc = libusb_bulk_transfer (usb->handle, usb->ep_out, (guint8 *) data + *sent, (int) MIN (len - *sent, CHUNK),
                                 &done, MAX (port->timeout_ms, 1));
      *sent += done;
      if (rc != 0 && !(rc == LIBUSB_ERROR_TIMEOUT && done > 0))
        {
          set_usb_error (error, rc);
          return FALSE;
        }
    }
  return TRUE;
}

static gssize
usb_read (ScZplPort     *port,
          guint8        *buf,
          gsize          cap,
          guint          timeout_ms,
          GCancellable  *cancellable,
          GError       **error)
{
  UsbPort *usb = (UsbPort *) port;
  gsize n;
  int done = 0;
  int rc;

  /* What is left of the last transfer comes first: nothing is dropped. */
  if (usb->in_taken < usb->in_len)
    {
      n = MIN (cap, usb->in_len - usb->in_taken);
      memcpy (buf, usb->in + usb->in_taken, n);
      usb->in_taken += n;
      return (gssize) n;
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return -1;
  /* Whole packets only, or the host controller reports an overflow. A
   * timeout of 0 (only what is there) is the shortest libusb has, 1 ms. */
  rc = libusb_bulk_transfer (usb->handle, usb->ep_in, usb->in,
                             (int) (sizeof usb->in / usb->max_packet_in * usb->max_packet_in),
                             &done, MAX (timeout_ms, 1));
  if (rc == LIBUSB_ERROR_TIMEOUT && done == 0)
    return 0;
  if (rc != 0 && rc != LIBUSB_ERROR_TIMEOUT)
    {
      set_usb_error (error, rc);
      return -1;
    }
  usb->in_len = (gsize) done;
  n = MIN (cap, usb->in_len);
  memcpy (buf, usb->in, n);
  usb->in_taken = n;
  return (gssize) n;
}

/* The printer-class interface and its bulk endpoints. */
static gboolean
find_interface (libusb_device *dev,
                UsbPort       *usb)
{
  struct libusb_config_descriptor *config = NULL;
  gboolean found = FALSE;

  if (libusb_get_active_config_descriptor (dev, &config) != 0)
    return FALSE;
  for (int i = 0; !found && i < config->bNumInterfaces; i++)
    for (int a = 0; !found && a < config->interface[i].num_altsetting; a++)
      {
        const struct libusb_interface_descriptor *alt = &config->interface[i].altsetting[a];
        guint8 in = 0, out = 0;
        guint16 in_size = 64;

        if (alt->bInterfaceClass != USB_CLASS_PRINTER)
          continue;
        for (int e = 0; e < alt->bNumEndpoints; e++)
          {
            const struct libusb_endpoint_descriptor *ep = &alt->endpoint[e];

            if ((ep->bmAttributes & LIBUSB_TRANSFER_TYPE_MASK) != LIBUSB_TRANSFER_TYPE_BULK)
              continue;
            if (ep->bEndpointAddress & LIBUSB_ENDPOINT_IN)
              {
                in = ep->bEndpointAddress;
                in_size = ep->wMaxPacketSize ? ep->wMaxPacketSize : 64;
              }
            else
              out = ep->bEndpointAddress;
          }
        if (out != 0)
          {
            usb->interface = alt->bInterfaceNumber;
            usb->ep_out = out;
            usb->ep_in = in;
            usb->max_packet_in = MIN (in_size, 512);
            found = TRUE;
          }
      }
  libusb_free_config_descriptor (config);
  return found;
}

/* Opens and claims the printer; NOT_READY when it is not there. */
static gboolean
open_printer (ScZplUsbPrinter  *self,
              UsbPort          *usb,
              GError          **error)
{
  libusb_device **list = NULL;
  gboolean matched = FALSE;
  ssize_t n;
  int rc = 0;

  n = libusb_get_device_list (self->usb, &list);
  for (ssize_t i = 0; i < n && usb->handle == NULL; i++)
    {
      struct libusb_device_descriptor desc;
      libusb_device_handle *handle = NULL;

      if (libusb_get_device_descriptor (list[i], &desc) != 0 ||
          desc.idVendor != self->vid || desc.idProduct != self->pid)
        continue;
      if ((rc = libusb_open (list[i], &handle)) != 0)
        continue;
      if (self->serial != NULL)
        {
          unsigned char text[256] = "";

          if (desc.iSerialNumber == 0 ||
              libusb_get_string_descriptor_ascii (handle, desc.iSerialNumber, text, sizeof text) < 0 ||
              strcmp ((const char *) text, self->serial) != 0)
            {
              libusb_close (handle);
              continue;
            }
        }
      matched = TRUE;
      if (!find_interface (list[i], usb))
        {
          libusb_close (handle);
          continue;
        }
      /* Only a driver that is there is detached (usblp, usually). */
      usb->reattach = libusb_kernel_driver_active (handle, usb->interface) == 1;
      if ((usb->reattach && (rc = libusb_detach_kernel_driver (handle, usb->interface)) != 0) ||
          (rc = libusb_claim_interface (handle, usb->interface)) != 0)
        {
          if (usb->reattach && rc != LIBUSB_ERROR_NOT_FOUND)
            libusb_attach_kernel_driver (handle, usb->interface);
          usb->reattach = FALSE;
          libusb_close (handle);
          continue;
        }
      usb->handle = handle;
    }
  if (list != NULL)
    libusb_free_device_list (list, 1);

  if (usb->handle != NULL)
    return TRUE;
  if (rc != 0)
    g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY,
                 _("The USB printer %s cannot be opened: %s; nothing was sent. Check the udev permissions, "
                   "or whether another program is using it"), self->spec, libusb_strerror (rc));
  else if (matched)
    g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY,
                 _("The USB device %s is not a printer (it has no printer-class interface with a bulk OUT "
                   "endpoint); nothing was sent"), self->spec);
  else
    g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY,
                 _("No USB printer %s is connected; nothing was sent. Plug it in and switch it on, or choose "
                   "another printer"), self->spec);
  return FALSE;
}

static void
close_printer (UsbPort *usb)
{
  if (usb->handle == NULL)
    return;
  libusb_release_interface (usb->handle, usb->interface);
  if (usb->reattach)
    libusb_attach_kernel_driver (usb->handle, usb->interface);
  libusb_close (usb->handle);
  usb->handle = NULL;
}

/* ------------------------------------------------------------ printer */

static char *
describe (ScPrinter *printer)
{
  return g_strdup_printf (_("ZPL printer on USB %s"), SC_ZPL_USB_PRINTER (printer)->spec);
}

static gboolean
print (ScPrinter               *printer,
       ScLabelLayout           *layout,
       const char              *name,
       const ScPrinterSettings *settings,
       GCancellable            *cancellable,
       GError                 **error)
{
  ScZplUsbPrinter *self = SC_ZPL_USB_PRINTER (printer);
  g_autoptr(ScSecret) job = NULL;
  g_autofree char *port_name = g_strdup_printf (_("The USB printer %s"), self->spec);
  UsbPort usb = { { usb_write, usb_read, port_name, self->timeout_ms, FALSE }, NULL, -1, 0, 0, 64, FALSE, { 0 }, 0, 0 };
  const guint8 *data;
  gsize len;
  gboolean ok;

  job = sc_label_layout_encode (layout, self->native ? SC_LABEL_FORMAT_ZPL : SC_LABEL_FORMAT_ZPL_BITMAP,
                                settings, error);
  if (job == NULL)
    return FALSE;
  data = sc_secret_get_data (job, &len);

  if (!open_printer (self, &usb, error))
    return FALSE;
  if (self->status == STATUS_ON && usb.ep_in == 0)
    {
      close_printer (&usb);
      g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_SETUP,
                   _("The USB printer %s cannot answer status queries (its printer interface has no bulk IN "
                     "endpoint); nothing was sent. Use status=off or status=auto in its address"), self->spec);
      return FALSE;
    }
  usb.port.status = self->status != STATUS_OFF && usb.ep_in != 0;
  ok = _sc_zpl_send (&usb.port, data, len, cancellable, error);
  close_printer (&usb);
  return ok;
}

static void
printer_iface_init (ScPrinterInterface *iface)
{
  iface->describe = describe;
  iface->print = print;
}

ScPrinter *
_sc_zpl_usb_printer_open (const char  *rest,
                          GHashTable  *params,
                          gboolean     open,
                          GError     **error)
{
  static const char * const allowed[] = { "timeout", "status", "zpl", NULL };
  static const char * const modes[] = { "auto", "on", "off", NULL };
  static const char * const zpl[] = { "bitmap", "native", NULL };
  g_autoptr(ScZplUsbPrinter) self = g_object_new (SC_TYPE_ZPL_USB_PRINTER, NULL);
  g_autofree char *uri = g_strconcat ("zpl+usb://", rest, NULL);
  const char *slash = strchr (rest, '/');
  g_autofree char *ids = slash ? g_strndup (rest, slash - rest) : g_strdup (rest);
  g_autofree char *vid_text = g_strndup (ids, 4);
  guint64 vid, pid;
  int status, native, rc;

  if (strlen (ids) != 9 || ids[4] != ':' ||
      !g_ascii_string_to_unsigned (vid_text, 16, 0, 0xffff, &vid, NULL) ||
      !g_ascii_string_to_unsigned (ids + 5, 16, 0, 0xffff, &pid, NULL) ||
      (slash != NULL && (slash[1] == '\0' || strpbrk (slash + 1, "/?#") != NULL)))
    {
      g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_ADDRESS,
                   _("“%s” must be zpl+usb://VID:PID or zpl+usb://VID:PID/SERIAL, with four hex digits each "
                     "for the vendor and product ids (lsusb shows them), like zpl+usb://0a5f:0166"), uri);
      return NULL;
    }
  if (!_sc_printer_check_params (uri, params, allowed, error) ||
      !_sc_printer_param_timeout (uri, params, DEFAULT_TIMEOUT_MS, &self->timeout_ms, error) ||
      !_sc_printer_param_choice (uri, params, "status", modes, STATUS_AUTO, &status, error) ||
      !_sc_printer_param_choice (uri, params, "zpl", zpl, 0, &native, error))
    return NULL;

  self->vid = (guint16) vid;
  self->pid = (guint16) pid;
  self->serial = slash ? g_strdup (slash + 1) : NULL;
  self->spec = g_strdup (rest);
  self->status = status;
  self->native = native == 1;
  if (!open)
    return SC_PRINTER (g_steal_pointer (&self));

  rc = libusb_init (&self->usb);
  if (rc != 0)
    {
      g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY,
                   _("Cannot use USB for the printer %s: %s"), self->spec, libusb_strerror (rc));
      return NULL;
    }
  return SC_PRINTER (g_steal_pointer (&self));
}
