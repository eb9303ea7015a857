/* test-printer.c: printer addresses, the ZPL TCP backend against a fake
 * printer on loopback, ~HS status, timeouts, the file backend's formats,
 * calibration, the test label, and the [printer] group of a profile
 *
 * The fake (tests/printing/fake-zpl-printer, $SC_FAKE_ZPL_PRINTER) stands
 * in for a network label printer, which the test machine does not have.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "sc-printer-private.h"
#include "sc-test-util.h"

#define PUK1 "MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgADLZXG+MzHkCUT1F88yQpaiDW7vu8XDSIhJwsVr2bmmag="
#define PRODUCT_PAYLOAD "ABV:IB01;SERNUM:G3A0PA01802300PE;PID:ebK3;PUK:" PUK1 ";PIN:957AD9640;"

static char *tmpdir;

/* ------------------------------------------------------------ helpers */

#define assert_says(error, text)                                                   \
  G_STMT_START {                                                                   \
    if (strstr ((error)->message, (text)) == NULL)                                 \
      g_error ("%s:%d: “%s” is not in: %s", __FILE__, __LINE__, (text), (error)->message); \
  } G_STMT_END

static ScLabelLayout *
make_layout (guint  dpi,
             double min_mm)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScSymbol) symbol = sc_symbol_encode (SC_SYMBOLOGY_DATAMATRIX, PRODUCT_PAYLOAD, 0, &error);
  ScLabelLayout *layout;

  g_assert_no_error (error);
  layout = sc_label_layout_new (SC_LABEL_KIND_PRODUCT, symbol, dpi, min_mm, NULL, "G3A0PA01802300PE", NULL, FALSE,
                                &error);
  g_assert_no_error (error);
  return layout;
}

typedef struct
{
  GSubprocess *process;
  guint16      port;
  char        *dir;
  char        *record;
  char        *status;
} Fake;

static void
fake_set_status (Fake       *fake,
                 const char *words)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (fake->status, words, -1, &error);
  g_assert_no_error (error);
}

/* Starts the fake printer with @args and waits for the port it prints. */
static Fake *
fake_start (const char *status,
            ...)
{
  const char *program = g_getenv ("SC_FAKE_ZPL_PRINTER");
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  Fake *fake = g_new0 (Fake, 1);
  const char *arg;
  va_list args;

  g_assert_nonnull (program);
  fake->dir = sc_test_tmpdir ();
  fake->record = g_build_filename (fake->dir, "record", NULL);
  fake->status = g_build_filename (fake->dir, "status", NULL);
  fake_set_status (fake, status);

  g_ptr_array_add (argv, g_strdup (program));
  g_ptr_array_add (argv, g_strdup_printf ("--record=%s", fake->record));
  g_ptr_array_add (argv, g_strdup_printf ("--status-file=%s", fake->status));
  va_start (args, status);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
  g_ptr_array_add (argv, NULL);

  fake->process = g_subprocess_newv ((const char * const *) argv->pdata, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (fake->process));
  /* Blocks until the fake listens and says where. */
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  fake->port = (guint16) g_ascii_strtoull (line, NULL, 10);
  g_assert_cmpuint (fake->port, >, 0);
  return fake;
}

static GBytes *
fake_record (Fake *fake)
{
  g_autoptr(GError) error = NULL;
  char *data = NULL;
  gsize len = 0;

  if (!g_file_get_contents (fake->record, &data, &len, &error))
    return g_bytes_new (NULL, 0);
  return g_bytes_new_take (data, len);
}

static void
fake_stop (Fake *fake)
{
  g_subprocess_force_exit (fake->process);
  g_subprocess_wait (fake->process, NULL, NULL);
  g_object_unref (fake->process);
  sc_test_rmdir (fake->dir);
  g_free (fake->dir);
  g_free (fake->record);
  g_free (fake->status);
  g_free (fake);
}

static ScPrinter *
open_tcp (Fake       *fake,
          const char *options)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = g_strdup_printf ("zpl+tcp://127.0.0.1:%u%s", fake->port, options ? options : "");
  ScPrinter *printer = sc_printer_open (uri, &error);

  g_assert_no_error (error);
  return printer;
}

static void
assert_record_is (Fake       *fake,
                  const char *want)
{
  g_autoptr(GBytes) got = fake_record (fake);

  g_assert_cmpmem (g_bytes_get_data (got, NULL), g_bytes_get_size (got), want, strlen (want));
}

/* ------------------------------------------------------------ addresses */

static void
test_uri_valid (void)
{
  static const struct { const char *uri; const char *described; } valid[] = {
    { "zpl+tcp://printer.example", "ZPL printer at printer.example:9100" },
    { "zpl+tcp://10.0.0.5:6101?timeout=2.5&status=off&zpl=native", "ZPL printer at 10.0.0.5:6101" },
    { "zpl+tcp://[::1]:9100", "ZPL printer at [::1]:9100" },
    { "zpl+usb://0a5f:0166/XXZ12345", "ZPL printer on USB 0a5f:0166/XXZ12345" },
    { "zpl+usb://0A5F:00D3?status=off", "ZPL printer on USB 0A5F:00D3" },
    { "cups://Zebra_ZD420", "CUPS queue Zebra_ZD420 (zpl-bitmap)" },
    { "cups://Office-A4?format=pdf&timeout=60", "CUPS queue Office-A4 (pdf)" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(ScPrinter) printer = NULL;
      g_autofree char *described = NULL;

      g_assert_true (sc_printer_check_uri (valid[i].uri, &error));
      g_assert_no_error (error);
      printer = sc_printer_open (valid[i].uri, &error);
      if (printer == NULL && g_str_has_prefix (valid[i].uri, "zpl+usb:"))
        {
          /* A machine without USB at all cannot start libusb: not ready. */
          g_assert_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY);
          continue;
        }
      g_assert_no_error (error);
      described = sc_printer_describe (printer);
      g_assert_cmpstr (described, ==, valid[i].described);
    }
}

typedef struct
{
  const char *uri;
  const char *says;   /* a part of the error message */
} BadUri;

static void
test_uri_malformed (gconstpointer data)
{
  const BadUri *bad = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) open_error = NULL;
  g_autoptr(ScPrinter) printer = NULL;

  g_assert_false (sc_printer_check_uri (bad->uri, &error));
  g_assert_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_ADDRESS);
  assert_says (error, bad->says);
  printer = sc_printer_open (bad->uri, &open_error);
  g_assert_null (printer);
  g_assert_error (open_error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_ADDRESS);
}

/* One rule each. */
static const BadUri bad_uris[] = {
  { "lpr://queue", "is not a printer address" },
  { "zpl+tcp:printer", "must start with zpl+tcp://" },
  { "zpl+tcp://", "must be zpl+tcp://HOST" },
  { "zpl+tcp://:9100", "must be zpl+tcp://HOST" },
  { "zpl+tcp://printer/queue", "must be zpl+tcp://HOST" },
  { "zpl+tcp://user@printer", "must be zpl+tcp://HOST" },
  { "zpl+tcp://[::1", "must be zpl+tcp://HOST" },
  { "zpl+tcp://printer:0", "bad port" },
  { "zpl+tcp://printer:65536", "bad port" },
  { "zpl+tcp://printer:ipp", "bad port" },
  { "zpl+tcp://printer?speed=fast", "unknown option “speed”" },
  { "zpl+tcp://printer?timeout=0", "timeout must be" },
  { "zpl+tcp://printer?timeout=soon", "timeout must be" },
  { "zpl+tcp://printer?status=maybe", "status must be one of off, on" },
  { "zpl+tcp://printer?zpl=vector", "zpl must be one of bitmap, native" },
  { "zpl+tcp://printer?timeout=%zz", "malformed option list" },
  { "zpl+usb://zebra", "must be zpl+usb://VID:PID" },
  { "zpl+usb://0a5f", "must be zpl+usb://VID:PID" },
  { "zpl+usb://a5f:166", "must be zpl+usb://VID:PID" },
  { "zpl+usb://0a5g:0166", "must be zpl+usb://VID:PID" },
  { "zpl+usb://0a5f:0166/", "must be zpl+usb://VID:PID" },
  { "zpl+usb://0a5f:0166/AB/CD", "must be zpl+usb://VID:PID" },
  { "zpl+usb://0a5f:0166?status=maybe", "status must be one of auto, on, off" },
  { "cups://", "must be cups://QUEUE" },
  { "cups://office/a4", "must be cups://QUEUE" },
  { "cups://office a4", "must be cups://QUEUE" },
  { "cups://office#2", "must be cups://QUEUE" },
  { "cups://office?format=svg", "format must be one of zpl-bitmap, zpl, pdf, png" },
  { "cups://office?copies=2", "unknown option “copies”" },
  { "file:labels", "is not a folder address" },
  { "file://server/labels", "is not a folder address" },
  { "file:///tmp/labels?format=gif", "format must be one of png, pdf, svg, zpl, zpl-bitmap" },
  { "file:///tmp/labels?mode=0600", "unknown option “mode”" },
};

/* ------------------------------------------------------------ ~HS */

static void
test_host_status_parse (void)
{
  static const char ready[] = "\002030,0,0,0290,000,0,0,0,000,0,0,0\003\r\n"
                              "\002001,0,0,0,0,2,4,0,00000000,1,000\003\r\n\0021234,0\003\r\n";
  static const char troubled[] = "\002030,1,1,0290,002,0,0,0,000,0,0,1\003\r\n"
                                 "\002001,0,1,1,1,2,4,0,00000000,1,000\003\r\n\0021234,0\003\r\n";
  static const char ribbon_direct[] = "\002030,0,0,0290,000,0,0,0,000,0,0,0\003\r\n"
                                      "\002001,0,0,1,0,2,4,0,00000000,1,000\003\r\n\0021234,0\003\r\n";
  static const char * const malformed[] = {
    "",
    "HELLO\r\n",
    "\002030,0,0,0290,000,0,0,0,000,0,0,0\003\r\n\002001,0,0,0,0,2,4,0,00000000,1,000\003\r\n",  /* two strings */
    "\002030,0,0,0290,000,0,0\003\r\n\002001,0,0,0,0,2,4,0,00000000,1,000\003\r\n\0021234,0\003\r\n",  /* short */
    "\002030,2,0,0290,000,0,0,0,000,0,0,0\003\r\n\002001,0,0,0,0,2,4,0,00000000,1,000\003\r\n\0021234,0\003\r\n",
    "\002030,0,0,0290,000,0,0,0,000,0,0,0\003\r\n\002001,0,x,0,0,2,4,0,00000000,1,000\003\r\n\0021234,0\003\r\n",
    "\002030,0,0,0290,000,0,0,0,000,0,0,0\r\n\002001,0,0,0,0,2,4,0,00000000,1,000\003\r\n\0021234,0\003\r\n",
  };
  ScZplHostStatus status;
  g_autofree char *problems = NULL;
  g_autofree char *none = NULL;

  g_assert_true (_sc_zpl_host_status_parse (ready, sizeof ready - 1, &status));
  g_assert_null ((none = _sc_zpl_host_status_problems (&status)));

  g_assert_true (_sc_zpl_host_status_parse (troubled, sizeof troubled - 1, &status));
  g_assert_true (status.paper_out && status.paused && status.head_open && status.ribbon_out &&
                 status.thermal_transfer && status.over_temperature);
  g_assert_cmpuint (status.formats_in_buffer, ==, 2);
  problems = _sc_zpl_host_status_problems (&status);
  g_assert_cmpstr (problems, ==, "out of paper, print head open, out of ribbon, paused, print head too hot");

  /* Out of ribbon matters only when printing through a ribbon. */
  g_assert_true (_sc_zpl_host_status_parse (ribbon_direct, sizeof ribbon_direct - 1, &status));
  g_assert_true (status.ribbon_out);
  g_clear_pointer (&none, g_free);
  g_assert_null ((none = _sc_zpl_host_status_problems (&status)));

  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    g_assert_false (_sc_zpl_host_status_parse (malformed[i], strlen (malformed[i]), &status));
}

/* ------------------------------------------------------------ ZPL over TCP */

static void
test_tcp_job (void)
{
  g_autoptr(ScLabelLayout) layout = make_layout (203, 10.0);
  g_autoptr(GError) error = NULL;
  Fake *fake = fake_start ("ready", NULL);
  g_autoptr(ScPrinter) printer = open_tcp (fake, NULL);
  sc_autowipe char *want = sc_label_layout_to_zpl (layout, TRUE);

  g_assert_true (sc_printer_print (printer, layout, "job", NULL, &error));
  g_assert_no_error (error);
  /* Exactly our ^GF job, not one byte more or less (the fake leaves out
   * the two status queries it answered). */
  assert_record_is (fake, want);
  fake_stop (fake);
}

static void
test_tcp_native (void)
{
  g_autoptr(ScLabelLayout) layout = make_layout (300, 10.0);
  g_autoptr(GError) error = NULL;
  Fake *fake = fake_start ("ready", NULL);
  g_autoptr(ScPrinter) printer = open_tcp (fake, "?zpl=native");
  sc_autowipe char *want = sc_label_layout_to_zpl (layout, FALSE);

  g_assert_true (sc_printer_print (printer, layout, "job", NULL, &error));
  g_assert_no_error (error);
  assert_record_is (fake, want);
  g_assert_nonnull (strstr (want, "^BXN,"));
  fake_stop (fake);
}

static void
test_tcp_calibrated (void)
{
  g_autoptr(ScLabelLayout) layout = make_layout (203, 10.0);
  g_autoptr(GError) error = NULL;
  ScPrinterSettings settings = { .dpi = 203, .x_offset = 16, .y_offset = -8, .darkness = 22 };
  Fake *fake = fake_start ("ready", NULL);
  g_autoptr(ScPrinter) printer = open_tcp (fake, NULL);
  sc_autowipe char *want = sc_label_layout_to_zpl_for_printer (layout, TRUE, &settings);
  guint w, h;
  g_autofree char *header = NULL;

  sc_printer_set_settings (printer, &settings);
  g_assert_true (sc_printer_print (printer, layout, "job", NULL, &error));
  g_assert_no_error (error);
  assert_record_is (fake, want);

  sc_label_layout_get_size (layout, &w, &h);
  header = g_strdup_printf ("~SD22\n^XA\n^PW%u\n^LL%u\n^LH16,0\n^LS0\n^LT-8\n", w + 16, h);
  g_assert_true (g_str_has_prefix (want, header));
  fake_stop (fake);
}

static void
test_tcp_not_ready (gconstpointer data)
{
  const char *condition = data;
  g_autoptr(ScLabelLayout) layout = make_layout (203, 10.0);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) record = NULL;
  Fake *fake = fake_start (condition, NULL);
  g_autoptr(ScPrinter) printer = open_tcp (fake, "?timeout=0.3");
  static const struct { const char *condition, *says; } says[] = {
    { "paper-out", "is not ready: out of paper" },
    { "head-open", "is not ready: print head open" },
    { "pause", "is not ready: paused" },
    { "ribbon-out", "is not ready: out of ribbon" },
    { "silent", "does not answer the status query" },
    { "garbage", "is not a ZPL host status" },
  };

  g_assert_false (sc_printer_print (printer, layout, "job", NULL, &error));
  g_assert_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY);
  for (guint i = 0; i < G_N_ELEMENTS (says); i++)
    if (g_str_equal (says[i].condition, condition))
      assert_says (error, says[i].says);
  assert_says (error, "nothing was sent");
  /* Nothing but the status query reached the printer. */
  record = fake_record (fake);
  g_assert_cmpuint (g_bytes_get_size (record), ==, 0);

  /* Made ready, the same printer takes the job. */
  g_clear_error (&error);
  fake_set_status (fake, "ready");
  g_assert_true (sc_printer_print (printer, layout, "job", NULL, &error));
  g_assert_no_error (error);
  record = (g_bytes_unref (record), fake_record (fake));
  g_assert_cmpuint (g_bytes_get_size (record), >, 0);
  fake_stop (fake);
}

static void
test_tcp_status_off (void)
{
  g_autoptr(ScLabelLayout) layout = make_layout (203, 10.0);
  g_autoptr(GError) error = NULL;
  /* It would say paper out, but it is never asked. */
  Fake *fake = fake_start ("paper-out", NULL);
  g_autoptr(ScPrinter) printer = open_tcp (fake, "?status=off");
  sc_autowipe char *want = sc_label_layout_to_zpl (layout, TRUE);

  g_assert_true (sc_printer_print (printer, layout, "job", NULL, &error));
  g_assert_no_error (error);
  /* Without a status answer nothing says when the fake has read it all:
   * wait (polling) until it has recorded as much as was sent. */
  for (guint i = 0; i < 500; i++)
    {
      g_autoptr(GBytes) got = fake_record (fake);

      if (g_bytes_get_size (got) >= strlen (want))
        break;
      g_usleep (20 * 1000);
    }
  assert_record_is (fake, want);
  fake_stop (fake);
}

static void
test_tcp_disconnect (void)
{
  g_autoptr(ScLabelLayout) layout = make_layout (203, 10.0);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) record = NULL;
  Fake *fake = fake_start ("ready", "--drop-after=1000", NULL);
  g_autoptr(ScPrinter) printer = open_tcp (fake, "?timeout=2");

  g_assert_false (sc_printer_print (printer, layout, "job", NULL, &error));
  /* Part of the job went out: whether a label came out is not known. */
  g_assert_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_FAILED);
  assert_says (error, "not known");
  record = fake_record (fake);
  g_assert_cmpuint (g_bytes_get_size (record), ==, 1000);
  fake_stop (fake);
}

static void
test_tcp_refused (void)
{
  g_autoptr(ScLabelLayout) layout = make_layout (203, 10.0);
  g_autoptr(GError) error = NULL;
  g_autoptr(ScPrinter) printer = NULL;
  g_autofree char *uri = NULL;
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof addr;
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  /* A port that was just free and is closed again: nobody listens. */
  g_assert_cmpint (bind (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &addr, &len), ==, 0);
  close (fd);
  uri = g_strdup_printf ("zpl+tcp://127.0.0.1:%u", ntohs (addr.sin_port));
  printer = sc_printer_open (uri, &error);
  g_assert_no_error (error);
  g_assert_false (sc_printer_print (printer, layout, "job", NULL, &error));
  g_assert_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY);
  assert_says (error, "Cannot connect");
}

static void
test_tcp_connect_timeout (void)
{
  g_autoptr(ScLabelLayout) layout = make_layout (203, 10.0);
  g_autoptr(GError) error = NULL;
  g_autoptr(ScPrinter) printer = NULL;
  g_autofree char *uri = NULL;
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof addr;
  int listener = socket (AF_INET, SOCK_STREAM, 0);
  int fillers[2];

  /* A listener that never accepts, its queue full: the kernel drops
   * further connection requests, so a connect waits until it gives up. */
  g_assert_cmpint (bind (listener, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  g_assert_cmpint (getsockname (listener, (struct sockaddr *) &addr, &len), ==, 0);
  g_assert_cmpint (listen (listener, 0), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (fillers); i++)
    {
      fillers[i] = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      g_assert_true (connect (fillers[i], (struct sockaddr *) &addr, sizeof addr) == 0 || errno == EINPROGRESS);
    }

  uri = g_strdup_printf ("zpl+tcp://127.0.0.1:%u?timeout=0.2", ntohs (addr.sin_port));
  printer = sc_printer_open (uri, &error);
  g_assert_no_error (error);
  g_assert_false (sc_printer_print (printer, layout, "job", NULL, &error));
  g_assert_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY);
  assert_says (error, "Cannot connect");
  assert_says (error, "nothing moved for 0.2 s");

  for (guint i = 0; i < G_N_ELEMENTS (fillers); i++)
    close (fillers[i]);
  close (listener);
}

static void
test_tcp_write_timeout (void)
{
  /* A big label (600 dpi, 60 mm symbol: about a megabyte of ^GF) to a
   * printer that takes the connection and then reads nothing. */
  g_autoptr(ScLabelLayout) layout = make_layout (600, 60.0);
  g_autoptr(GError) error = NULL;
  Fake *fake = fake_start ("ready", "--stall", "--rcvbuf=4096", NULL);
  g_autoptr(ScPrinter) printer = open_tcp (fake, "?status=off&timeout=0.3");

  g_assert_false (sc_printer_print (printer, layout, "job", NULL, &error));
  g_assert_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_FAILED);
  assert_says (error, "nothing moved for 0.3 s");
  assert_says (error, "not known");
  fake_stop (fake);
}

static void
test_tcp_cancelled (void)
{
  g_autoptr(ScLabelLayout) layout = make_layout (203, 10.0);
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GBytes) record = NULL;
  Fake *fake = fake_start ("ready", NULL);
  g_autoptr(ScPrinter) printer = open_tcp (fake, NULL);

  g_cancellable_cancel (cancellable);
  g_assert_false (sc_printer_print (printer, layout, "job", cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  record = fake_record (fake);
  g_assert_cmpuint (g_bytes_get_size (record), ==, 0);
  fake_stop (fake);
}

/* A printer whose CR LF after an answer leaves in a later segment, while
 * the job is being sent: it is dropped before the next query, not read as
 * the start of its answer. */
static void
test_tcp_late_line_end (void)
{
  g_autoptr(ScLabelLayout) layout = make_layout (203, 10.0);
  g_autoptr(GError) error = NULL;
  Fake *fake = fake_start ("ready", "--late-line-end", NULL);
  g_autoptr(ScPrinter) printer = open_tcp (fake, "?timeout=2");
  sc_autowipe char *want = sc_label_layout_to_zpl (layout, TRUE);

  /* Twice: the second job's first query meets the first job's last line end. */
  for (guint i = 0; i < 2; i++)
    {
      g_assert_true (sc_printer_print (printer, layout, "job", NULL, &error));
      g_assert_no_error (error);
    }
  {
    g_autofree char *twice = g_strconcat (want, want, NULL);

    assert_record_is (fake, twice);
  }
  fake_stop (fake);
}

/* With status=off, a printer that takes the connection and reads nothing:
 * the label fits the station's send buffer, so every write succeeds, but
 * the printer never acknowledges it. */
static void
test_tcp_status_off_unread (void)
{
  g_autoptr(ScLabelLayout) layout = make_layout (300, 15.0);
  g_autoptr(GError) error = NULL;
  Fake *fake = fake_start ("ready", "--stall", "--rcvbuf=2048", NULL);
  g_autoptr(ScPrinter) printer = open_tcp (fake, "?status=off&timeout=0.3");
  sc_autowipe char *want = sc_label_layout_to_zpl (layout, TRUE);

  /* Bigger than the fake's receive window, smaller than our send buffer. */
  g_assert_cmpuint (strlen (want), >, 16 * 1024);
  g_assert_cmpuint (strlen (want), <, 64 * 1024);
  g_assert_false (sc_printer_print (printer, layout, "job", NULL, &error));
  g_assert_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_FAILED);
  assert_says (error, "was sent the whole label but has not taken it");
  assert_says (error, "not acknowledged after 0.3 s");
  assert_says (error, "not known");
  fake_stop (fake);
}

/* ------------------------------------------------------------ ~HS, scripted */

/* A ZPL port that plays a printer's side of the status conversation from a
 * script, to show what reaches the station before, inside and after an
 * answer, byte by byte: what the printer has already sent (@input), what
 * it answers each ~HS with, and how many bytes one read returns. */
typedef struct
{
  ScZplPort    port;
  GByteArray  *input;
  const char  *answer;
  gsize        answer_len;
  gsize        chunk;
} ScriptPort;

static gboolean
script_write (ScZplPort     *port,
              const guint8  *data,
              gsize          len,
              gsize         *sent,
              GCancellable  *cancellable,
              GError       **error)
{
  ScriptPort *script = (ScriptPort *) port;

  if (len == 3 && memcmp (data, "~HS", 3) == 0)
    g_byte_array_append (script->input, (const guint8 *) script->answer, script->answer_len);
  *sent = len;
  return TRUE;
}

static gssize
script_read (ScZplPort     *port,
             guint8        *buf,
             gsize          cap,
             guint          timeout_ms,
             GCancellable  *cancellable,
             GError       **error)
{
  ScriptPort *script = (ScriptPort *) port;
  gsize n = MIN (MIN (cap, script->chunk), script->input->len);

  if (n == 0)
    return 0;  /* nothing has come: the wait times out */
  memcpy (buf, script->input->data, n);
  g_byte_array_remove_range (script->input, 0, n);
  return (gssize) n;
}

#define HS_READY "\002030,0,0,0290,000,0,0,0,000,0,0,0\003\r\n\002001,0,0,0,0,2,4,0,00000000,1,000\003\r\n" \
                 "\0021234,0\003\r\n"
#define HS_PAPER_OUT "\002030,1,0,0290,000,0,0,0,000,0,0,0\003\r\n\002001,0,0,0,0,2,4,0,00000000,1,000\003\r\n" \
                     "\0021234,0\003\r\n"

static gboolean
script_query (const char       *pending,
              gsize             pending_len,
              const char       *answer,
              gsize             answer_len,
              gsize             chunk,
              ScZplHostStatus  *status,
              GByteArray      **left,
              GError          **error)
{
  ScriptPort script = { { script_write, script_read, "the scripted printer", 200, TRUE },
                        g_byte_array_new (), answer, answer_len, chunk };
  gboolean ok;

  g_byte_array_append (script.input, (const guint8 *) pending, pending_len);
  ok = _sc_zpl_query_status (&script.port, status, NULL, error);
  *left = script.input;
  return ok;
}

static void
test_status_stale_answer (void)
{
  g_autoptr(GByteArray) left = NULL;
  g_autoptr(GError) error = NULL;
  ScZplHostStatus status;

  /* An answer nobody read (to an earlier query) is still waiting: it is
   * not taken for the answer to this one. */
  g_assert_true (script_query (HS_PAPER_OUT, sizeof HS_PAPER_OUT - 1, HS_READY, sizeof HS_READY - 1, 64, &status,
                               &left, &error));
  g_assert_no_error (error);
  g_assert_false (status.paper_out);
  g_assert_cmpuint (left->len, ==, 0);
}

static void
test_status_fillers_before (void)
{
  static const char answer[] = "\r\n\0\0\0" HS_READY;
  g_autoptr(GByteArray) left = NULL;
  g_autoptr(GError) error = NULL;
  ScZplHostStatus status;

  /* A line end late from an earlier answer, and NUL padding, arriving on
   * their own ahead of the answer. */
  g_assert_true (script_query ("", 0, answer, sizeof answer - 1, 5, &status, &left, &error));
  g_assert_no_error (error);
  g_assert_false (status.paper_out);
}

static void
test_status_line_end_taken (void)
{
  g_autoptr(GByteArray) left = NULL;
  g_autoptr(GError) error = NULL;
  ScZplHostStatus status;

  /* One byte per read: the answer's own CR LF is read with it, not left
   * for whoever reads next. */
  g_assert_true (script_query ("", 0, HS_READY, sizeof HS_READY - 1, 1, &status, &left, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (left->len, ==, 0);
}

static void
test_status_long_answer (void)
{
  g_autoptr(GString) answer = g_string_new (NULL);
  g_autoptr(GByteArray) left = NULL;
  g_autoptr(GError) error = NULL;
  ScZplHostStatus status;

  /* Padding and answer longer than any one buffer, in one read. */
  g_string_append_len (answer, "\0\0\0\0\0\0\0\0", 8);
  while (answer->len < 600)
    g_string_append_len (answer, "\0\0\0\0\0\0\0\0", 8);
  g_string_append (answer, HS_PAPER_OUT);
  g_assert_true (script_query ("", 0, answer->str, answer->len, 4096, &status, &left, &error));
  g_assert_no_error (error);
  g_assert_true (status.paper_out);
}

static void
test_status_chatty (void)
{
  g_autofree char *noise = g_strnfill (70 * 1024, 'x');
  g_autoptr(GByteArray) left = NULL;
  g_autoptr(GError) error = NULL;
  ScZplHostStatus status;

  /* A printer that never stops sending is not waited for forever. */
  g_assert_false (script_query (noise, strlen (noise), HS_READY, sizeof HS_READY - 1, 512, &status, &left, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  assert_says (error, "keeps sending data nobody asked for");
}

static void
test_status_not_an_answer (void)
{
  static const char answer[] = "\r\nPRINTER READY\r\n" HS_READY;
  g_autoptr(GByteArray) left = NULL;
  g_autoptr(GError) error = NULL;
  ScZplHostStatus status;

  /* Only line ends and NULs are skipped: other bytes before the answer
   * are not a host status. */
  g_assert_false (script_query ("", 0, answer, sizeof answer - 1, 512, &status, &left, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  assert_says (error, "is not a ZPL host status");
}

/* ------------------------------------------------------------ name lookup */

/* A resolver that never answers until cancelled: a name server that does
 * not reply, which cannot be had on demand on the test machine (the
 * default resolver is replaced for these tests only). */
#define SC_TYPE_SILENT_RESOLVER (sc_silent_resolver_get_type ())
G_DECLARE_FINAL_TYPE (ScSilentResolver, sc_silent_resolver, SC, SILENT_RESOLVER, GResolver)

struct _ScSilentResolver
{
  GResolver  parent_instance;
  int        lookups;
};

G_DEFINE_FINAL_TYPE (ScSilentResolver, sc_silent_resolver, G_TYPE_RESOLVER)

/* Like GLib's threaded resolver: the lookup runs in a thread and the task
 * returns as soon as it is cancelled; this one's thread only waits for that. */
static void
silent_lookup_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  GPollFD fd;

  if (g_cancellable_make_pollfd (cancellable, &fd))
    {
      while (!g_cancellable_is_cancelled (cancellable))
        g_poll (&fd, 1, -1);
      g_cancellable_release_fd (cancellable);
    }
  g_task_return_error_if_cancelled (task);
}

static void
silent_lookup_by_name_async (GResolver           *resolver,
                             const char          *hostname,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  ScSilentResolver *self = SC_SILENT_RESOLVER (resolver);
  g_autoptr(GTask) task = g_task_new (resolver, cancellable, callback, user_data);

  g_atomic_int_inc (&self->lookups);
  g_assert_nonnull (cancellable);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, silent_lookup_thread);
}

static GList *
silent_lookup_by_name_finish (GResolver     *resolver,
                              GAsyncResult  *result,
                              GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
sc_silent_resolver_class_init (ScSilentResolverClass *klass)
{
  GResolverClass *resolver_class = G_RESOLVER_CLASS (klass);

  resolver_class->lookup_by_name_async = silent_lookup_by_name_async;
  resolver_class->lookup_by_name_finish = silent_lookup_by_name_finish;
}

static void
sc_silent_resolver_init (ScSilentResolver *self)
{
}

static void
test_tcp_lookup_timeout (void)
{
  g_autoptr(ScLabelLayout) layout = make_layout (203, 10.0);
  g_autoptr(GError) error = NULL;
  g_autoptr(GResolver) original = g_resolver_get_default ();
  g_autoptr(ScSilentResolver) silent = g_object_new (SC_TYPE_SILENT_RESOLVER, NULL);
  g_autoptr(ScPrinter) printer = sc_printer_open ("zpl+tcp://label-printer.test?timeout=0.2", &error);

  g_assert_no_error (error);
  g_resolver_set_default (G_RESOLVER (silent));
  g_assert_false (sc_printer_print (printer, layout, "job", NULL, &error));
  g_resolver_set_default (original);
  g_assert_cmpint (silent->lookups, ==, 1);
  g_assert_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY);
  assert_says (error, "Cannot find the ZPL printer label-printer.test:9100: its name was not found within 0.2 s");
  assert_says (error, "nothing was sent");
}

static void
print_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  GError **error = data;

  g_assert_false (sc_printer_print_finish (SC_PRINTER (source), result, error));
  g_assert_nonnull (*error);
}

static void
test_tcp_lookup_cancelled (void)
{
  g_autoptr(ScLabelLayout) layout = make_layout (203, 10.0);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) again = NULL;
  g_autoptr(GResolver) original = g_resolver_get_default ();
  g_autoptr(ScSilentResolver) silent = g_object_new (SC_TYPE_SILENT_RESOLVER, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GCancellable) cancelled = g_cancellable_new ();
  /* Only the cancellation can end this lookup. */
  g_autoptr(ScPrinter) printer = sc_printer_open ("zpl+tcp://label-printer.test?timeout=600", &error);

  g_assert_no_error (error);
  g_resolver_set_default (G_RESOLVER (silent));
  sc_printer_print_async (printer, layout, "job", cancellable, print_done_cb, &error);
  /* Polled, not timed: until the lookup has begun (or the job ended). */
  while (g_atomic_int_get (&silent->lookups) == 0 && error == NULL)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpint (g_atomic_int_get (&silent->lookups), ==, 1);
  g_cancellable_cancel (cancellable);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_resolver_set_default (original);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (sc_printer_error_sent_nothing (error));

  /* The printer's lock was let go: the next job gets it at once. */
  g_cancellable_cancel (cancelled);
  g_assert_false (sc_printer_print (printer, layout, "job", cancelled, &again));
  g_assert_error (again, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* ------------------------------------------------------------ USB */

static void
test_usb_absent (void)
{
  g_autoptr(ScLabelLayout) layout = make_layout (203, 10.0);
  g_autoptr(GError) error = NULL;
  /* pid.codes' test range: no such printer is plugged in here. */
  g_autoptr(ScPrinter) printer = sc_printer_open ("zpl+usb://1209:fffe/NOSUCH", &error);

  if (printer != NULL)
    {
      g_assert_no_error (error);
      g_assert_false (sc_printer_print (printer, layout, "job", NULL, &error));
      assert_says (error, "No USB printer 1209:fffe/NOSUCH is connected");
    }
  g_assert_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY);
}

/* ------------------------------------------------------------ the unit run */

/* A printer that fails every job with the error it was given: a stand-in
 * for whatever a backend may say, including an error nobody foresaw, which
 * the real backends cannot be made to produce on demand. */
#define SC_TYPE_REFUSING_PRINTER (sc_refusing_printer_get_type ())
G_DECLARE_FINAL_TYPE (ScRefusingPrinter, sc_refusing_printer, SC, REFUSING_PRINTER, GObject)

struct _ScRefusingPrinter
{
  GObject  parent_instance;
  GQuark   domain;
  int      code;
  guint    jobs;
  gboolean cancel;   /* cancels the job's cancellable first, as a caller giving up mid-job */
};

static void refusing_printer_iface_init (ScPrinterInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ScRefusingPrinter, sc_refusing_printer, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SC_TYPE_PRINTER, refusing_printer_iface_init))

static void
sc_refusing_printer_class_init (ScRefusingPrinterClass *klass)
{
}

static void
sc_refusing_printer_init (ScRefusingPrinter *self)
{
}

static char *
refusing_describe (ScPrinter *printer)
{
  return g_strdup ("refusing test printer");
}

static gboolean
refusing_print (ScPrinter               *printer,
                ScLabelLayout           *layout,
                const char              *name,
                const ScPrinterSettings *settings,
                GCancellable            *cancellable,
                GError                 **error)
{
  ScRefusingPrinter *self = SC_REFUSING_PRINTER (printer);

  self->jobs++;
  if (self->cancel)
    g_cancellable_cancel (cancellable);
  g_set_error (error, self->domain, self->code, "the printer's own words");
  return FALSE;
}

static void
refusing_printer_iface_init (ScPrinterInterface *iface)
{
  iface->describe = refusing_describe;
  iface->print = refusing_print;
}

typedef struct
{
  const char *name;
  const char *domain;   /* "printer", "io", "label" or "file" */
  int         code;
  gboolean    unknown;  /* the outcome is not known: the print stays pending */
} RunCase;

/* Only the errors that sent nothing leave the unit waiting to print (safe to
 * print again); every other one, foreseen (FAILED) or not, leaves the print
 * pending: printed again only as a reprint with a reason. */
static const RunCase run_cases[] = {
  { "not-ready", "printer", SC_PRINTER_ERROR_NOT_READY, FALSE },
  { "setup", "printer", SC_PRINTER_ERROR_SETUP, FALSE },
  { "address", "printer", SC_PRINTER_ERROR_ADDRESS, FALSE },
  { "cancelled", "io", G_IO_ERROR_CANCELLED, FALSE },
  { "label", "label", SC_LABEL_ERROR_MISMATCH, FALSE },
  { "failed", "printer", SC_PRINTER_ERROR_FAILED, TRUE },
  { "io-error", "io", G_IO_ERROR_BROKEN_PIPE, TRUE },
  { "other-domain", "file", G_FILE_ERROR_IO, TRUE },
  { "unknown-printer-code", "printer", 99, TRUE },
};

static void
test_run_print_error (gconstpointer data)
{
  const RunCase *c = data;
  g_autofree char *dir = sc_test_training (NULL);
  g_autofree char *store_uri = g_strdup_printf ("sqlite://%s/station.db", dir);
  g_autofree char *key_path = g_build_filename (dir, "station.key", NULL);
  g_autofree char *serial = g_strdup_printf ("RUNPRINT%08u", (guint) (c - run_cases));
  g_autoptr(ScProfile) profile = sc_test_load_profile (dir);
  g_autoptr(ScDak) dak = NULL;
  g_autoptr(ScStore) store = NULL;
  g_autoptr(ScStationSecret) secret = NULL;
  g_autoptr(ScRefusingPrinter) printer = g_object_new (SC_TYPE_REFUSING_PRINTER, NULL);
  g_autoptr(ScStation) station = NULL;
  g_autoptr(ScUnitRun) run = NULL;
  g_autoptr(ScUnitRun) retry = NULL;
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autoptr(GPtrArray) prints = NULL;
  g_autoptr(GError) error = NULL;
  const ScPrintRecord *last = NULL;

  printer->domain = g_str_equal (c->domain, "printer") ? SC_PRINTER_ERROR
                    : g_str_equal (c->domain, "io") ? G_IO_ERROR
                    : g_str_equal (c->domain, "label") ? SC_LABEL_ERROR : G_FILE_ERROR;
  printer->code = c->code;
  dak = sc_dak_new_for_profile (profile, &error);
  g_assert_no_error (error);
  store = sc_store_open (store_uri, &error);
  g_assert_no_error (error);
  secret = sc_station_secret_load (key_path, &error);
  g_assert_no_error (error);
  station = sc_station_new (profile, dak, store, secret, SC_PRINTER (printer), "sim:", "alice");

  run = sc_unit_run_new (station, serial);
  g_assert_false (sc_unit_run_run (run, NULL, &error));
  g_assert_nonnull (error);
  assert_says (error, "the printer's own words");
  assert_says (error, c->unknown ? "may or may not have been printed" : "waits to print (print pending)");
  g_clear_error (&error);
  g_assert_cmpuint (printer->jobs, ==, 1);

  unit = sc_store_find_unit (store, NULL, serial, &error);
  g_assert_no_error (error);
  g_assert_cmpint (unit->state, ==, SC_UNIT_LABELLED);
  prints = sc_store_list_prints (store, unit->id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sc_print_records_get_label_status (prints, SC_LABEL_KIND_PRODUCT, &last), ==,
                   c->unknown ? SC_PRINT_PENDING : SC_PRINT_NOT_SENT);
  g_assert_cmpstr (last->error, ==, "the printer's own words");

  /* A retry without a reason: printed again only when nothing was sent. */
  retry = sc_unit_run_new (station, serial);
  sc_unit_run_set_print_only (retry, TRUE);
  g_assert_false (sc_unit_run_run (retry, NULL, &error));
  if (c->unknown)
    {
      g_assert_error (error, SC_RUN_ERROR, SC_RUN_ERROR_STATE);
      assert_says (error, "may or may not exist");
      g_assert_cmpuint (printer->jobs, ==, 1);
    }
  else
    {
      assert_says (error, "the printer's own words");
      g_assert_cmpuint (printer->jobs, ==, 2);
    }

  g_clear_object (&run);
  g_clear_object (&retry);
  g_clear_pointer (&station, sc_station_free);
  sc_test_rmdir (dir);
}

/* A job cancelled part-way says how it ended (here: FAILED, whether a label
 * came out is not known), not that it was cancelled, which would mean that
 * nothing was sent. */
static void
test_async_cancelled_mid_job (void)
{
  g_autoptr(ScLabelLayout) layout = make_layout (203, 10.0);
  g_autoptr(ScRefusingPrinter) printer = g_object_new (SC_TYPE_REFUSING_PRINTER, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  printer->domain = SC_PRINTER_ERROR;
  printer->code = SC_PRINTER_ERROR_FAILED;
  printer->cancel = TRUE;
  sc_printer_print_async (SC_PRINTER (printer), layout, "job", cancellable, print_done_cb, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (g_cancellable_is_cancelled (cancellable));
  g_assert_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_FAILED);
  g_assert_false (sc_printer_error_sent_nothing (error));
}

/* ------------------------------------------------------------ files */

static void
test_file_formats (void)
{
  g_autoptr(ScLabelLayout) layout = make_layout (300, 10.0);
  static const struct { const char *option, *file; } formats[] = {
    { "", "job.png" }, { "?format=pdf", "job.pdf" }, { "?format=svg", "job.svg" },
    { "?format=zpl", "job.zpl" }, { "?format=zpl-bitmap", "job.zpl" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *dir = g_build_filename (tmpdir, "files", NULL);
      g_autofree char *uri = g_strdup_printf ("file://%s%s", dir, formats[i].option);
      g_autofree char *path = g_build_filename (dir, formats[i].file, NULL);
      g_autoptr(ScPrinter) printer = sc_printer_open (uri, &error);
      g_autoptr(ScSecret) want = NULL;
      g_autofree char *got = NULL;
      gsize got_len, want_len;
      const guint8 *want_data;
      GStatBuf st;

      g_assert_no_error (error);
      g_assert_true (sc_printer_print (printer, layout, "job", NULL, &error));
      g_assert_no_error (error);
      g_assert_true (g_file_get_contents (path, &got, &got_len, NULL));
      /* What the label encodes for that format, byte for byte; cairo's PDF
       * and SVG carry a date or per-process ids, so only their kind. */
      if (g_str_equal (formats[i].option, "?format=pdf"))
        g_assert_true (g_str_has_prefix (got, "%PDF-"));
      else if (g_str_equal (formats[i].option, "?format=svg"))
        g_assert_nonnull (strstr (got, "<svg"));
      else
        {
          ScLabelFormat format = SC_LABEL_FORMAT_PNG;

          if (formats[i].option[0] != '\0')
            g_assert_true (sc_label_format_from_string (formats[i].option + strlen ("?format="), &format));
          want = sc_label_layout_encode (layout, format, NULL, &error);
          g_assert_no_error (error);
          want_data = sc_secret_get_data (want, &want_len);
          g_assert_cmpmem (got, got_len, want_data, want_len);
        }
      /* A product label carries the PIN. */
      g_assert_cmpint (g_stat (path, &st), ==, 0);
      g_assert_cmpint (st.st_mode & 0777, ==, 0600);
      g_unlink (path);
    }
}

static void
test_file_not_writable (void)
{
  g_autoptr(ScLabelLayout) layout = make_layout (203, 10.0);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (tmpdir, "full", NULL);
  g_autofree char *uri = g_strdup_printf ("file://%s", dir);
  g_autofree char *blocker = g_build_filename (dir, "job.png", NULL);
  g_autoptr(ScPrinter) printer = sc_printer_open (uri, &error);

  g_assert_no_error (error);
  /* A folder where the file should go: the write fails, nothing printed. */
  g_assert_cmpint (g_mkdir (blocker, 0700), ==, 0);
  g_assert_false (sc_printer_print (printer, layout, "job", NULL, &error));
  g_assert_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY);
  g_rmdir (blocker);
}

/* ------------------------------------------------------------ calibration */

static void
test_calibration_zpl (void)
{
  g_autoptr(ScLabelLayout) layout = make_layout (203, 10.0);
  ScPrinterSettings left_up = { .x_offset = -8, .y_offset = -4, .darkness = -1 };
  ScPrinterSettings stock = { .x_offset = 12, .y_offset = 6, .darkness = 0, .width = 640, .length = 400 };
  sc_autowipe char *plain = sc_label_layout_to_zpl (layout, TRUE);
  sc_autowipe char *moved = sc_label_layout_to_zpl_for_printer (layout, TRUE, &left_up);
  sc_autowipe char *on_stock = sc_label_layout_to_zpl_for_printer (layout, FALSE, &stock);
  guint w, h;
  g_autofree char *header = NULL;

  sc_label_layout_get_size (layout, &w, &h);
  header = g_strdup_printf ("^XA\n^PW%u\n^LL%u\n^LH0,0\n", w, h);
  g_assert_true (g_str_has_prefix (plain, header));
  g_clear_pointer (&header, g_free);
  header = g_strdup_printf ("^XA\n^PW%u\n^LL%u\n^LH0,0\n^LS8\n^LT-4\n", w, h);
  g_assert_true (g_str_has_prefix (moved, header));
  g_assert_true (g_str_has_prefix (on_stock, "~SD00\n^XA\n^PW640\n^LL400\n^LH12,6\n^LS0\n^LT0\n"));
  /* The body is the same label. */
  g_assert_cmpstr (strstr (plain, "^FO"), ==, strstr (moved, "^FO"));
}

static void
test_calibration_setup (void)
{
  g_autoptr(ScLabelLayout) layout = make_layout (203, 10.0);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (tmpdir, "setup", NULL);
  g_autofree char *uri = g_strdup_printf ("file://%s", dir);
  g_autoptr(ScPrinter) printer = sc_printer_open (uri, &error);
  ScPrinterSettings other_dpi = { .dpi = 300, .darkness = -1 };
  ScPrinterSettings narrow = { .dpi = 203, .darkness = -1, .width = 100 };
  ScPrinterSettings short_stock = { .dpi = 203, .darkness = -1, .length = 100 };
  guint w, h;
  ScPrinterSettings just_fits = { .dpi = 203, .darkness = -1, .x_offset = 8 };

  g_assert_no_error (error);
  sc_printer_set_settings (printer, &other_dpi);
  g_assert_false (sc_printer_print (printer, layout, "job", NULL, &error));
  g_assert_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_SETUP);
  assert_says (error, "laid out at 203 dpi, but the printer prints 300 dpi");
  g_clear_error (&error);

  sc_printer_set_settings (printer, &narrow);
  g_assert_false (sc_printer_print (printer, layout, "job", NULL, &error));
  g_assert_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_SETUP);
  assert_says (error, "label-width-mm");
  g_clear_error (&error);

  sc_printer_set_settings (printer, &short_stock);
  g_assert_false (sc_printer_print (printer, layout, "job", NULL, &error));
  g_assert_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_SETUP);
  assert_says (error, "label-length-mm");
  g_clear_error (&error);

  sc_label_layout_get_size (layout, &w, &h);
  just_fits.width = w + 8;
  sc_printer_set_settings (printer, &just_fits);
  g_assert_true (sc_printer_print (printer, layout, "job", NULL, &error));
  g_assert_no_error (error);
}

/* ------------------------------------------------------------ test label */

static gboolean
dark (cairo_surface_t *surface,
      guint            x,
      guint            y)
{
  const guint8 *data = cairo_image_surface_get_data (surface);
  guint32 pixel = *(const guint32 *) (gconstpointer) (data + y * cairo_image_surface_get_stride (surface) + x * 4);

  return (pixel & 0xff) < 128;
}

static void
test_label_test (gconstpointer data)
{
  guint dpi = GPOINTER_TO_UINT (data);
  g_autofree char *dir = sc_test_training (NULL);
  g_autofree char *value = g_strdup_printf ("%u", dpi);
  g_autoptr(ScProfile) profile = NULL;
  g_autoptr(ScLabelLayout) layout = NULL;
  g_autoptr(GError) error = NULL;
  cairo_surface_t *raster;
  const ScGeometry *g;
  double dpmm = dpi / 25.4;
  guint x, y, w, h;

  sc_test_set_profile_key (dir, "label", "dpi", value);
  profile = sc_test_load_profile (dir);
  layout = sc_label_layout_new_test (profile, &error);
  g_assert_no_error (error);
  g_assert_true (sc_label_layout_is_test (layout));
  g = sc_label_layout_get_geometry (layout);

  /* The symbol is the size a unit's product label gets: the same modules
   * and dots per module. */
  g_assert_cmpuint (g->modules, ==, 44);
  g_assert_true (g->meets_minimum);
  g_assert_cmpstr (sc_symbol_get_payload (sc_label_layout_get_symbol (layout)), ==,
                   dpi == 203 ? "SETUP CONSOLE TEST LABEL 203 DPI" : "SETUP CONSOLE TEST LABEL 600 DPI");

  /* Its top-left corner 10 mm from the label's, both ways. */
  sc_label_layout_get_symbol_origin (layout, &x, &y);
  g_assert_cmpuint (x, ==, (guint) lround (10 * dpmm));
  g_assert_cmpuint (y, ==, x);

  /* Decodes back with both decoders. */
  raster = sc_label_layout_render (layout);
  g_assert_true (sc_label_layout_verify (layout, raster, &error));
  g_assert_no_error (error);

  /* Rulers: a dark tick at every millimetre of the top edge (just inside
   * the border), white between ticks. */
  sc_label_layout_get_size (layout, &w, &h);
  for (guint mm = 1; round ((mm + 1) * dpmm) < w; mm++)
    {
      guint tick_y = (guint) (0.8 * dpmm);

      g_assert_true (dark (raster, (guint) round (mm * dpmm), tick_y));
      if (dpi >= 300)
        g_assert_false (dark (raster, (guint) round ((mm + 0.5) * dpmm), tick_y));
    }
  for (guint mm = 1; round ((mm + 1) * dpmm) < h; mm++)
    g_assert_true (dark (raster, (guint) (0.8 * dpmm), (guint) round (mm * dpmm)));
  /* The border on all four edges. */
  g_assert_true (dark (raster, w - 1, h / 2) && dark (raster, w / 2, h - 1));
  cairo_surface_destroy (raster);

  sc_test_rmdir (dir);
}

/* ------------------------------------------------------------ [printer] */

static void
test_profile_printer (void)
{
  g_autofree char *dir = sc_test_training (NULL);
  g_autoptr(ScProfile) defaults = sc_test_load_profile (dir);
  g_autoptr(ScProfile) profile = NULL;
  g_autoptr(ScPrinter) printer = NULL;
  g_autoptr(GError) error = NULL;
  const ScPrinterSettings *s = sc_profile_get_printer_settings (defaults);
  g_autofree char *described = NULL;

  g_assert_null (s->uri);
  g_assert_cmpint (s->darkness, ==, -1);
  g_assert_cmpuint (s->dpi, ==, 300);
  g_assert_cmpint (s->x_offset, ==, 0);

  sc_test_set_profile_key (dir, "printer", "uri", "zpl+tcp://192.0.2.7");
  sc_test_set_profile_key (dir, "printer", "dpi", "203");
  sc_test_set_profile_key (dir, "printer", "x-offset", "1.5mm");
  sc_test_set_profile_key (dir, "printer", "y-offset", "-12dots");
  sc_test_set_profile_key (dir, "printer", "darkness", "25");
  sc_test_set_profile_key (dir, "printer", "label-width-mm", "50.8");
  sc_test_set_profile_key (dir, "printer", "label-length-mm", "25.4");
  profile = sc_test_load_profile (dir);
  s = sc_profile_get_printer_settings (profile);
  g_assert_cmpstr (s->uri, ==, "zpl+tcp://192.0.2.7");
  g_assert_cmpuint (s->dpi, ==, 203);
  g_assert_cmpuint (sc_profile_get_label_settings (profile)->dpi, ==, 203);
  g_assert_cmpint (s->x_offset, ==, 12);   /* 1.5 mm at 203 dpi */
  g_assert_cmpint (s->y_offset, ==, -12);
  g_assert_cmpint (s->darkness, ==, 25);
  g_assert_cmpuint (s->width, ==, 406);
  g_assert_cmpuint (s->length, ==, 203);

  printer = sc_printer_open_for_profile (profile, NULL, &error);
  g_assert_no_error (error);
  described = sc_printer_describe (printer);
  g_assert_cmpstr (described, ==, "ZPL printer at 192.0.2.7:9100");
  g_assert_cmpint (sc_printer_get_settings (printer)->x_offset, ==, 12);
  sc_test_rmdir (dir);
}

typedef struct
{
  const char *key;
  const char *value;
  const char *says;
} BadKey;

static void
test_profile_printer_bad (gconstpointer data)
{
  const BadKey *bad = data;
  g_autofree char *dir = sc_test_training (NULL);
  g_autofree char *path = g_build_filename (dir, "product.profile", NULL);
  g_autofree char *problem = g_strdup_printf ("\n  [printer] %s: ", bad->key);
  g_autoptr(GError) error = NULL;
  g_autoptr(ScProfile) profile = NULL;

  if (g_str_equal (bad->key, "dpi") && strstr (bad->says, "[label] dpi") != NULL)
    sc_test_set_profile_key (dir, "label", "dpi", "300");
  sc_test_set_profile_key (dir, "printer", bad->key, bad->value);
  profile = sc_profile_new_from_file (path, &error);
  g_assert_null (profile);
  g_assert_error (error, SC_PROFILE_ERROR, SC_PROFILE_ERROR_INVALID);
  /* The key named, and why. */
  assert_says (error, problem);
  assert_says (error, bad->says);
  sc_test_rmdir (dir);
}

/* One rule each. */
static const BadKey bad_keys[] = {
  { "uri", "lpr://queue", "“lpr://queue” is not a printer address" },
  { "uri", "zpl+tcp://printer:0", "bad port" },
  { "dpi", "96", "must be a whole number from 100 to 1200" },
  { "dpi", "203", "is 203 but [label] dpi is 300" },
  { "x-offset", "2", "must be a length like 1.5mm or 12dots" },
  { "x-offset", "2.5dots", "must be a length like 1.5mm or 12dots" },
  { "x-offset", "21mm", "must be from -20 mm to 20 mm" },
  { "y-offset", "-130dots", "can move the label up by at most 120 dots" },
  { "darkness", "31", "must be a whole number from 0 to 30" },
  { "darkness", "dark", "must be a whole number from 0 to 30" },
  { "label-width-mm", "0.5", "must be a size in millimetres from 1 to 200" },
  { "label-length-mm", "tall", "must be a size in millimetres from 1 to 200" },
  { "copies", "2", "unknown key" },
};

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmpdir = sc_test_tmpdir ();

  g_test_add_func ("/sc/printer/uri/valid", test_uri_valid);
  for (guint i = 0; i < G_N_ELEMENTS (bad_uris); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sc/printer/uri/malformed/%u", i);
      g_test_add_data_func (path, &bad_uris[i], test_uri_malformed);
    }
  g_test_add_func ("/sc/printer/zpl/host-status", test_host_status_parse);
  g_test_add_func ("/sc/printer/tcp/job", test_tcp_job);
  g_test_add_func ("/sc/printer/tcp/native", test_tcp_native);
  g_test_add_func ("/sc/printer/tcp/calibrated", test_tcp_calibrated);
  g_test_add_data_func ("/sc/printer/tcp/paper-out", "paper-out", test_tcp_not_ready);
  g_test_add_data_func ("/sc/printer/tcp/head-open", "head-open", test_tcp_not_ready);
  g_test_add_data_func ("/sc/printer/tcp/pause", "pause", test_tcp_not_ready);
  g_test_add_data_func ("/sc/printer/tcp/ribbon-out", "ribbon-out", test_tcp_not_ready);
  g_test_add_data_func ("/sc/printer/tcp/silent", "silent", test_tcp_not_ready);
  g_test_add_data_func ("/sc/printer/tcp/garbage", "garbage", test_tcp_not_ready);
  g_test_add_func ("/sc/printer/tcp/status-off", test_tcp_status_off);
  g_test_add_func ("/sc/printer/tcp/disconnect", test_tcp_disconnect);
  g_test_add_func ("/sc/printer/tcp/refused", test_tcp_refused);
  g_test_add_func ("/sc/printer/tcp/connect-timeout", test_tcp_connect_timeout);
  g_test_add_func ("/sc/printer/tcp/write-timeout", test_tcp_write_timeout);
  g_test_add_func ("/sc/printer/tcp/cancelled", test_tcp_cancelled);
  g_test_add_func ("/sc/printer/tcp/late-line-end", test_tcp_late_line_end);
  g_test_add_func ("/sc/printer/tcp/status-off-unread", test_tcp_status_off_unread);
  g_test_add_func ("/sc/printer/tcp/lookup-timeout", test_tcp_lookup_timeout);
  g_test_add_func ("/sc/printer/tcp/lookup-cancelled", test_tcp_lookup_cancelled);
  g_test_add_func ("/sc/printer/zpl/stale-answer", test_status_stale_answer);
  g_test_add_func ("/sc/printer/zpl/fillers-before", test_status_fillers_before);
  g_test_add_func ("/sc/printer/zpl/line-end-taken", test_status_line_end_taken);
  g_test_add_func ("/sc/printer/zpl/long-answer", test_status_long_answer);
  g_test_add_func ("/sc/printer/zpl/chatty", test_status_chatty);
  g_test_add_func ("/sc/printer/zpl/not-an-answer", test_status_not_an_answer);
  g_test_add_func ("/sc/printer/usb/absent", test_usb_absent);
  g_test_add_func ("/sc/printer/async/cancelled-mid-job", test_async_cancelled_mid_job);
  for (guint i = 0; i < G_N_ELEMENTS (run_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sc/printer/run/%s", run_cases[i].name);
      g_test_add_data_func (path, &run_cases[i], test_run_print_error);
    }
  g_test_add_func ("/sc/printer/file/formats", test_file_formats);
  g_test_add_func ("/sc/printer/file/not-writable", test_file_not_writable);
  g_test_add_func ("/sc/printer/calibration/zpl", test_calibration_zpl);
  g_test_add_func ("/sc/printer/calibration/setup", test_calibration_setup);
  g_test_add_data_func ("/sc/printer/test-label/203", GUINT_TO_POINTER (203), test_label_test);
  g_test_add_data_func ("/sc/printer/test-label/600", GUINT_TO_POINTER (600), test_label_test);
  g_test_add_func ("/sc/printer/profile/printer", test_profile_printer);
  for (guint i = 0; i < G_N_ELEMENTS (bad_keys); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sc/printer/profile/bad/%s/%u", bad_keys[i].key, i);
      g_test_add_data_func (path, &bad_keys[i], test_profile_printer_bad);
    }

  status = g_test_run ();
  sc_test_rmdir (tmpdir);
  return status;
}
