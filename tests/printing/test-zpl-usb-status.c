/* test-zpl-usb-status.c: the ZPL USB backend's status conversation with a
 * bidirectional USB printer, emulated with umockdev
 *
 * No USB label printer is on the test machine, and umockdev's recorded
 * ioctl scripts replay in order rather than keep a device's state, so the
 * printer is emulated here: a described device (a printer-class interface,
 * bidirectional, with bulk OUT 0x01 and bulk IN 0x81) whose usbdevfs
 * ioctls are answered by a UMockdevIoctlBase subclass. It keeps what a
 * printer keeps: every byte the host sends (status queries left out), and
 * an IN buffer that holds what the printer has to say until the host reads
 * it, across jobs, in the pieces it was sent in (a bulk IN transfer ends
 * with each piece, as with a short packet). Each ~HS gets a Zebra host
 * status, with the flags and
 * the quirks a test asks for (NUL padding before answers, the line end sent
 * late, an old answer nobody read).
 *
 * Runs under umockdev-wrapper (the preload library), which meson arranges.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <linux/ioctl.h>
#include <linux/usbdevice_fs.h>
#include <umockdev.h>

#include "sc-printer-private.h"
#include "sc-test-util.h"

#define DEVNODE "/dev/bus/usb/001/005"
#define EP_OUT 0x01
#define EP_IN 0x81
#define PUK1 "MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgADLZXG+MzHkCUT1F88yQpaiDW7vu8XDSIhJwsVr2bmmag="
#define PRODUCT_PAYLOAD "ABV:IB01;SERNUM:G3A0PA01802300PE;PID:ebK3;PUK:" PUK1 ";PIN:957AD9640;"

#define HS_FORMAT "\002030,%d,0,0290,000,0,0,0,000,0,0,0\003\r\n\002001,0,0,0,0,2,4,0,00000000,1,000\003\r\n" \
                  "\0021234,0\003\r\n"

/* ------------------------------------------------------------ the printer */

#define SC_TYPE_USB_PRINTER_EMULATOR (sc_usb_printer_emulator_get_type ())
G_DECLARE_FINAL_TYPE (ScUsbPrinterEmulator, sc_usb_printer_emulator, SC, USB_PRINTER_EMULATOR, UMockdevIoctlBase)

typedef struct
{
  UMockdevIoctlData *urb;      /* struct usbdevfs_urb, resolved */
  UMockdevIoctlData *buffer;   /* its buffer, resolved */
} Urb;

struct _ScUsbPrinterEmulator
{
  UMockdevIoctlBase  parent_instance;

  GMutex       lock;
  GByteArray  *received;       /* what the host sent, status queries left out */
  GQueue      *in;             /* GByteArray: what the printer has said and the host not read, piece by piece */
  GPtrArray   *waiting;        /* IN URBs submitted, waiting for bytes */
  GPtrArray   *done;           /* URBs to be reaped */
  guint        queries;
  guint        matched;        /* how much of "~HS" the last bytes were */

  gboolean     paper_out;
  guint        padding;        /* NULs before each answer */
  gboolean     late_line_end;  /* an answer's last CR LF comes with the host's next bytes */
  gboolean     owed;           /* the last answer still owes its CR LF */
};

G_DEFINE_FINAL_TYPE (ScUsbPrinterEmulator, sc_usb_printer_emulator, UMOCKDEV_TYPE_IOCTL_BASE)

static void
urb_free (Urb *urb)
{
  g_clear_object (&urb->urb);
  g_clear_object (&urb->buffer);
  g_free (urb);
}

static struct usbdevfs_urb *
urb_get (Urb *urb)
{
  return (struct usbdevfs_urb *) urb->urb->data;
}

static void
say (ScUsbPrinterEmulator *self,
     const void           *data,
     gsize                 len)
{
  GByteArray *piece = g_byte_array_sized_new ((guint) len);

  g_byte_array_append (piece, data, (guint) len);
  g_queue_push_tail (self->in, piece);
}

/* Gives waiting IN URBs what the printer has to say, oldest first; a
 * transfer ends where a piece ends. */
static void
fill_in_urbs (ScUsbPrinterEmulator *self)
{
  while (self->waiting->len > 0 && !g_queue_is_empty (self->in))
    {
      Urb *urb = g_ptr_array_steal_index (self->waiting, 0);
      struct usbdevfs_urb *u = urb_get (urb);
      GByteArray *piece = g_queue_peek_head (self->in);
      guint n = MIN ((guint) u->buffer_length, piece->len);

      memcpy (urb->buffer->data, piece->data, n);
      g_byte_array_remove_range (piece, 0, n);
      if (piece->len == 0)
        g_byte_array_unref (g_queue_pop_head (self->in));
      u->actual_length = (int) n;
      u->status = 0;
      g_ptr_array_add (self->done, urb);
    }
}

static void
answer_query (ScUsbPrinterEmulator *self)
{
  g_autofree char *answer = g_strdup_printf (HS_FORMAT, self->paper_out ? 1 : 0);
  g_autoptr(GByteArray) piece = g_byte_array_new ();
  gsize len = strlen (answer);

  self->queries++;
  for (guint i = 0; i < self->padding; i++)
    g_byte_array_append (piece, (const guint8 *) "", 1);
  g_byte_array_append (piece, (const guint8 *) answer, (guint) (self->late_line_end ? len - 2 : len));
  say (self, piece->data, piece->len);
  self->owed = self->late_line_end;
}

/* Bytes on the OUT endpoint: job data is kept, each ~HS answered. */
static void
take_bytes (ScUsbPrinterEmulator *self,
            const guint8         *data,
            gsize                 len)
{
  static const char query[] = "~HS";

  if (self->owed)
    {
      say (self, "\r\n", 2);
      self->owed = FALSE;
    }
  for (gsize i = 0; i < len; i++)
    {
      if (data[i] == (guint8) query[self->matched])
        {
          if (++self->matched == 3)
            {
              self->matched = 0;
              answer_query (self);
            }
          continue;
        }
      g_byte_array_append (self->received, (const guint8 *) query, self->matched);
      self->matched = data[i] == (guint8) query[0] ? 1 : 0;
      if (self->matched == 0)
        g_byte_array_append (self->received, &data[i], 1);
    }
}

static gboolean
submit_urb (ScUsbPrinterEmulator *self,
            UMockdevIoctlClient  *client)
{
  UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg (client);
  Urb *urb = g_new0 (Urb, 1);
  struct usbdevfs_urb *u;

  urb->urb = umockdev_ioctl_data_resolve (arg, 0, sizeof (struct usbdevfs_urb), NULL);
  u = urb_get (urb);
  if (u->type != USBDEVFS_URB_TYPE_BULK || (u->endpoint != EP_OUT && u->endpoint != EP_IN))
    {
      urb_free (urb);
      umockdev_ioctl_client_complete (client, -1, EINVAL);
      return TRUE;
    }
  urb->buffer = umockdev_ioctl_data_resolve (urb->urb, G_STRUCT_OFFSET (struct usbdevfs_urb, buffer),
                                             (gsize) u->buffer_length, NULL);
  if (u->endpoint == EP_OUT)
    {
      take_bytes (self, urb->buffer->data, (gsize) u->buffer_length);
      u->actual_length = u->buffer_length;
      u->status = 0;
      g_ptr_array_add (self->done, urb);
    }
  else
    g_ptr_array_add (self->waiting, urb);
  fill_in_urbs (self);
  umockdev_ioctl_client_complete (client, 0, 0);
  return TRUE;
}

static gboolean
reap_urb (ScUsbPrinterEmulator *self,
          UMockdevIoctlClient  *client)
{
  g_autoptr(UMockdevIoctlData) pointer = NULL;
  Urb *urb;

  if (self->done->len == 0)
    {
      umockdev_ioctl_client_complete (client, -1, EAGAIN);
      return TRUE;
    }
  urb = g_ptr_array_steal_index (self->done, 0);
  pointer = umockdev_ioctl_data_resolve (umockdev_ioctl_client_get_arg (client), 0, sizeof (gpointer), NULL);
  umockdev_ioctl_data_set_ptr (pointer, 0, urb->urb);
  umockdev_ioctl_client_complete (client, 0, 0);
  urb_free (urb);
  return TRUE;
}

/* libusb gives up on an IN transfer at its timeout: the URB comes back
 * cancelled, with nothing in it. */
static gboolean
discard_urb (ScUsbPrinterEmulator *self,
             UMockdevIoctlClient  *client)
{
  gulong address = *(gulong *) umockdev_ioctl_client_get_arg (client)->data;

  for (guint i = 0; i < self->waiting->len; i++)
    {
      Urb *urb = g_ptr_array_index (self->waiting, i);

      if (urb->urb->client_addr == address)
        {
          g_ptr_array_steal_index (self->waiting, i);
          urb_get (urb)->status = -ENOENT;
          urb_get (urb)->actual_length = 0;
          g_ptr_array_add (self->done, urb);
          umockdev_ioctl_client_complete (client, 0, 0);
          return TRUE;
        }
    }
  umockdev_ioctl_client_complete (client, -1, EINVAL);
  return TRUE;
}

static gboolean
emulator_handle_ioctl (UMockdevIoctlBase   *base,
                       UMockdevIoctlClient *client)
{
  ScUsbPrinterEmulator *self = SC_USB_PRINTER_EMULATOR (base);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  gulong request = umockdev_ioctl_client_get_request (client);

  switch (request)
    {
    case USBDEVFS_GET_CAPABILITIES:
      {
        g_autoptr(UMockdevIoctlData) caps = NULL;

        caps = umockdev_ioctl_data_resolve (umockdev_ioctl_client_get_arg (client), 0, sizeof (guint32), NULL);
        *(guint32 *) caps->data = 0;
        umockdev_ioctl_client_complete (client, 0, 0);
        return TRUE;
      }
    case USBDEVFS_GETDRIVER:
      /* No kernel driver holds the interface. */
      umockdev_ioctl_client_complete (client, -1, ENODATA);
      return TRUE;
    case USBDEVFS_CLAIMINTERFACE:
    case USBDEVFS_RELEASEINTERFACE:
    case USBDEVFS_CLEAR_HALT:
    case USBDEVFS_RESETEP:
      umockdev_ioctl_client_complete (client, 0, 0);
      return TRUE;
    case USBDEVFS_SUBMITURB:
      return submit_urb (self, client);
    case USBDEVFS_REAPURB:
    case USBDEVFS_REAPURBNDELAY:
      return reap_urb (self, client);
    case USBDEVFS_DISCARDURB:
      return discard_urb (self, client);
    default:
      return FALSE;
    }
}

static void
sc_usb_printer_emulator_finalize (GObject *object)
{
  ScUsbPrinterEmulator *self = SC_USB_PRINTER_EMULATOR (object);

  g_byte_array_unref (self->received);
  g_queue_free_full (self->in, (GDestroyNotify) g_byte_array_unref);
  g_ptr_array_unref (self->waiting);
  g_ptr_array_unref (self->done);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (sc_usb_printer_emulator_parent_class)->finalize (object);
}

static void
sc_usb_printer_emulator_class_init (ScUsbPrinterEmulatorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sc_usb_printer_emulator_finalize;
  UMOCKDEV_IOCTL_BASE_CLASS (klass)->handle_ioctl = emulator_handle_ioctl;
}

static void
sc_usb_printer_emulator_init (ScUsbPrinterEmulator *self)
{
  g_mutex_init (&self->lock);
  self->received = g_byte_array_new ();
  self->in = g_queue_new ();
  self->waiting = g_ptr_array_new_with_free_func ((GDestroyNotify) urb_free);
  self->done = g_ptr_array_new_with_free_func ((GDestroyNotify) urb_free);
}

/* ------------------------------------------------------------ fixture */

/* A Zebra-like printer (0a5f:0164): device and configuration descriptors,
 * a bidirectional printer-class interface (7/1/2) with bulk OUT 0x01 and
 * bulk IN 0x81, 512 bytes each. */
#define DESCRIPTORS "12010002000000405F0A6401000101020001" "09022000010100C032" "090400000207010200" \
                    "07050102000200" "07058102000200"

typedef struct
{
  UMockdevTestbed      *testbed;
  ScUsbPrinterEmulator *printer;
  ScLabelLayout        *layout;
} Fixture;

static void
fixture_set_up (Fixture       *fx,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScSymbol) symbol = NULL;

  fx->testbed = umockdev_testbed_new ();
  fx->printer = g_object_new (SC_TYPE_USB_PRINTER_EMULATOR, NULL);
  /* The handler first, so the device node is emulated once it appears. */
  g_assert_true (umockdev_testbed_attach_ioctl (fx->testbed, DEVNODE, UMOCKDEV_IOCTL_BASE (fx->printer), &error));
  g_assert_no_error (error);
  g_assert_true (umockdev_testbed_add_from_string (fx->testbed,
                                                   "P: /devices/pci0000:00/0000:00:14.0/usb1/1-4\n"
                                                   "N: bus/usb/001/005\n"
                                                   "E: DEVNAME=" DEVNODE "\n"
                                                   "E: DEVTYPE=usb_device\n"
                                                   "E: DRIVER=usb\n"
                                                   "E: PRODUCT=a5f/164/100\n"
                                                   "E: BUSNUM=001\n"
                                                   "E: DEVNUM=005\n"
                                                   "E: SUBSYSTEM=usb\n"
                                                   "A: bConfigurationValue=1\\n\n"
                                                   "A: busnum=1\\n\n"
                                                   "A: devnum=5\\n\n"
                                                   "A: speed=480\\n\n"
                                                   "H: descriptors=" DESCRIPTORS "\n",
                                                   &error));
  g_assert_no_error (error);

  symbol = sc_symbol_encode (SC_SYMBOLOGY_DATAMATRIX, PRODUCT_PAYLOAD, 0, &error);
  g_assert_no_error (error);
  fx->layout = sc_label_layout_new (SC_LABEL_KIND_PRODUCT, symbol, 203, 10.0, NULL, "G3A0PA01802300PE", NULL,
                                    FALSE, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fx,
                   gconstpointer  data)
{
  g_clear_object (&fx->layout);
  g_clear_object (&fx->testbed);
  g_clear_object (&fx->printer);
}

/* Opened per test: libusb starts in the testbed. */
static ScPrinter *
open_printer (void)
{
  g_autoptr(GError) error = NULL;
  ScPrinter *printer = sc_printer_open ("zpl+usb://0a5f:0164?status=on&timeout=2", &error);

  g_assert_no_error (error);
  return printer;
}

static void
assert_received_jobs (Fixture       *fx,
                      ScLabelLayout *layout,
                      guint          n)
{
  sc_autowipe char *one = sc_label_layout_to_zpl (layout, TRUE);
  g_autoptr(GString) want = g_string_new (NULL);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&fx->printer->lock);

  for (guint i = 0; i < n; i++)
    g_string_append (want, one);
  g_assert_cmpmem (fx->printer->received->data, fx->printer->received->len, want->str, want->len);
  sc_memwipe (want->str, want->len);
}

/* ------------------------------------------------------------ tests */

static void
test_job (Fixture       *fx,
          gconstpointer  data)
{
  g_autoptr(ScPrinter) printer = open_printer ();
  g_autoptr(GError) error = NULL;

  g_assert_true (sc_printer_print (printer, fx->layout, "job", NULL, &error));
  g_assert_no_error (error);
  /* Exactly our job, asked about before and after. */
  assert_received_jobs (fx, fx->layout, 1);
  g_assert_cmpuint (fx->printer->queries, ==, 2);
}

static void
test_paper_out (Fixture       *fx,
                gconstpointer  data)
{
  g_autoptr(ScPrinter) printer = open_printer ();
  g_autoptr(GError) error = NULL;

  fx->printer->paper_out = TRUE;
  g_assert_false (sc_printer_print (printer, fx->layout, "job", NULL, &error));
  g_assert_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY);
  g_assert_nonnull (strstr (error->message, "is not ready: out of paper; nothing was sent"));
  assert_received_jobs (fx, fx->layout, 0);
}

/* The printer still holds an answer nobody read (an earlier program asked
 * and went away): it is not taken for the answer to this job's query. */
static void
test_stale_answer (Fixture       *fx,
                   gconstpointer  data)
{
  g_autoptr(ScPrinter) printer = open_printer ();
  g_autoptr(GError) error = NULL;
  g_autofree char *stale = g_strdup_printf (HS_FORMAT, 1);

  say (fx->printer, stale, strlen (stale));
  g_assert_true (sc_printer_print (printer, fx->layout, "job", NULL, &error));
  g_assert_no_error (error);
  assert_received_jobs (fx, fx->layout, 1);
}

/* Answers padded with NULs, longer than one transfer (512 bytes) and than
 * the old 256-byte read: read whole, the padding skipped. */
static void
test_padded_answers (Fixture       *fx,
                     gconstpointer  data)
{
  g_autoptr(ScPrinter) printer = open_printer ();
  g_autoptr(GError) error = NULL;

  fx->printer->padding = 600;
  g_assert_true (sc_printer_print (printer, fx->layout, "job", NULL, &error));
  g_assert_no_error (error);
  fx->printer->paper_out = TRUE;
  g_assert_false (sc_printer_print (printer, fx->layout, "job", NULL, &error));
  g_assert_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY);
  assert_received_jobs (fx, fx->layout, 1);
}

/* Each answer's line end comes only with the host's next bytes, so it
 * waits in the IN buffer, across jobs, ahead of the next answer. */
static void
test_late_line_end (Fixture       *fx,
                    gconstpointer  data)
{
  g_autoptr(ScPrinter) printer = open_printer ();
  g_autoptr(GError) error = NULL;

  fx->printer->late_line_end = TRUE;
  for (guint i = 0; i < 3; i++)
    {
      g_assert_true (sc_printer_print (printer, fx->layout, "job", NULL, &error));
      g_assert_no_error (error);
    }
  assert_received_jobs (fx, fx->layout, 3);
  g_assert_cmpuint (fx->printer->queries, ==, 6);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  if (g_strrstr (g_getenv ("LD_PRELOAD") ? g_getenv ("LD_PRELOAD") : "", "libumockdev-preload") == NULL)
    {
      g_printerr ("test-zpl-usb-status must run under umockdev-wrapper\n");
      return 1;
    }

#define ADD(path, func) \
  g_test_add ("/sc/zpl-usb-status/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("job", test_job);
  ADD ("paper-out", test_paper_out);
  ADD ("stale-answer", test_stale_answer);
  ADD ("padded-answers", test_padded_answers);
  ADD ("late-line-end", test_late_line_end);
#undef ADD

  return g_test_run ();
}
