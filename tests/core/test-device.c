/* test-device.c: the console against the reference agent: in-process, over
 * a real pseudo-terminal and over TCP to the simulator program, with every
 * fault the simulator can inject
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>

#include <glib/gstdio.h>
#include <openssl/core_names.h>
#include <openssl/sha.h>

#include "scp-proto.h"
#include "sc-test-util.h"

static char *training_dir;
static ScProfile *profile;
static ScDak *dak;
static char *tmpdir;

typedef struct
{
  GSubprocess *process;
  char        *uri;
  char        *flash;
  char        *serial;
  char        *mac;
} Sim;

static void
sim_stop (Sim *sim)
{
  if (sim->process != NULL)
    {
      g_subprocess_send_signal (sim->process, SIGTERM);
      g_subprocess_wait (sim->process, NULL, NULL);
      g_clear_object (&sim->process);
    }
}

static void
sim_free (Sim *sim)
{
  sim_stop (sim);
  g_free (sim->uri);
  g_free (sim->flash);
  g_free (sim->serial);
  g_free (sim->mac);
  g_free (sim);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Sim, sim_free)

static guint sim_count;

/* Starts setup-console-devsim on a pty ("pty") or TCP ("tcp") with extra
 * options, and reads the address it prints first. */
static Sim *
sim_start (const char *transport,
           const char *const *extra)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  const char *devsim = g_getenv ("SC_DEVSIM");
  Sim *sim = g_new0 (Sim, 1);

  g_assert_nonnull (devsim);
  sim->serial = g_strdup_printf ("G3A0PA0180230%03u", ++sim_count);
  sim->mac = g_strdup_printf ("02:00:00:00:01:%02X", sim_count);
  sim->flash = g_strdup_printf ("%s/flash-%u.img", tmpdir, sim_count);

  g_ptr_array_add (argv, (char *) devsim);
  g_ptr_array_add (argv, "--serial");
  g_ptr_array_add (argv, sim->serial);
  g_ptr_array_add (argv, "--mac");
  g_ptr_array_add (argv, sim->mac);
  g_ptr_array_add (argv, "--flash");
  g_ptr_array_add (argv, sim->flash);
  if (g_str_equal (transport, "pty"))
    g_ptr_array_add (argv, "--pty");
  else
    {
      g_ptr_array_add (argv, "--tcp");
      g_ptr_array_add (argv, "0");
    }
  for (guint i = 0; extra && extra[i]; i++)
    g_ptr_array_add (argv, (char *) extra[i]);
  g_ptr_array_add (argv, NULL);

  sim->process = g_subprocess_newv ((const char * const *) argv->pdata,
                                    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (sim->process));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);

  if (g_str_equal (transport, "pty"))
    sim->uri = g_strdup_printf ("serial://%s?baud=115200", line);
  else
    {
      g_assert_true (g_str_has_prefix (line, "tcp:"));
      sim->uri = g_strdup_printf ("tcp://127.0.0.1:%s", line + 4);
    }
  return sim;
}

/* The material a run sends, kept to check against the flash afterwards. */
typedef struct
{
  EVP_PKEY *public_key;
  char     *chain_pem;
  ScSecret *pin;
  ScSecret *key_der;   /* station-made only */
} Material;

static void
material_clear (Material *m)
{
  g_clear_pointer (&m->public_key, EVP_PKEY_free);
  g_clear_pointer (&m->chain_pem, g_free);
  g_clear_pointer (&m->pin, sc_secret_unref);
  g_clear_pointer (&m->key_der, sc_secret_unref);
}

/* Provisions the unit behind @device; returns FALSE with @error at the
 * first failure. */
static gboolean
provision (ScDevice    *device,
           const char  *serial,
           Material    *m,
           GError     **error)
{
  g_autoptr(ScDeviceInfo) info = NULL;
  g_autoptr(X509_REQ) csr = NULL;
  g_autoptr(ScCertList) chain = NULL;
  g_autoptr(ScDeviceReadBack) rb = NULL;
  guint32 generation = 0;

  if (!(info = sc_device_hello (device, NULL, error)))
    return FALSE;
  g_assert_cmpstr (info->serial, ==, serial);
  g_assert_true (info->key_at_rest);

  if (info->can_keygen)
    {
      if (!(csr = sc_device_keygen (device, SC_TRAINING_DEVICE_TYPE_ID, serial, NULL, error)))
        return FALSE;
    }
  else
    {
      g_autoptr(EVP_PKEY) key = sc_key_generate (error);

      m->key_der = sc_key_to_private_der (key, error);
      csr = sc_csr_new (key, SC_TRAINING_DEVICE_TYPE_ID, serial, error);
    }

  /* The DAK's policy guards the signature, whoever made the CSR. */
  if (!(chain = sc_dak_issue (dak, csr, serial, NULL, error)))
    return FALSE;

  m->public_key = EVP_PKEY_dup (X509_get0_pubkey (sk_X509_value (chain, 0)));
  m->chain_pem = sc_certs_to_pem (chain);
  m->pin = sc_pin_generate (sc_profile_get_pin_alphabet (profile), 9, error);

  if ((m->key_der && !sc_device_put_key (device, m->key_der, NULL, error)) ||
      !sc_device_put_chain (device, m->chain_pem, NULL, error) ||
      !sc_device_put_pin (device, m->pin, NULL, error) ||
      !sc_device_commit (device, &generation, NULL, error))
    return FALSE;
  g_assert_cmpuint (generation, >=, 1);

  if (!(rb = sc_device_read_back (device, NULL, error)) ||
      !sc_device_verify_read_back (rb, m->public_key, m->chain_pem, m->pin, error) ||
      !sc_device_challenge (device, m->public_key, NULL, error))
    return FALSE;
  g_assert_cmpuint (rb->generation, ==, generation);
  g_assert_cmpint (rb->key_from_device, ==, m->key_der == NULL);
  return TRUE;
}

static gboolean
contains (const guint8 *hay,
          gsize         hay_len,
          const void   *needle,
          gsize         needle_len)
{
  return memmem (hay, hay_len, needle, needle_len) != NULL;
}

/* Reads the simulator's flash image afterwards, both as bytes and through a
 * fresh in-process agent on the same file. */
static void
assert_flash_holds (Sim      *sim,
                    Material *m)
{
  g_autofree char *uri = g_strdup_printf ("sim:?flash=%s&serial=%s&mac=%s", sim->flash, sim->serial, sim->mac);
  g_autoptr(GError) error = NULL;
  g_autoptr(ScDevice) reader = NULL;
  g_autoptr(ScDeviceReadBack) rb = NULL;
  g_autofree char *stored_chain = NULL;
  g_autofree guint8 *image = NULL;
  gsize image_len;

  g_assert_true (g_file_get_contents (sim->flash, (char **) &image, &image_len, &error));
  g_assert_no_error (error);
  /* The chain and the PIN as written; the key only encrypted. */
  g_assert_true (contains (image, image_len, m->chain_pem, strlen (m->chain_pem)));
  g_assert_true (contains (image, image_len, sc_secret_get_string (m->pin), sc_secret_get_size (m->pin)));
  if (m->key_der != NULL)
    {
      gsize key_len;
      const guint8 *key = sc_secret_get_data (m->key_der, &key_len);

      g_autoptr(EVP_PKEY) pkey = sc_key_load_private (key, key_len, NULL);
      g_autoptr(BIGNUM) priv = NULL;
      guint8 scalar[32];

      g_assert_false (contains (image, image_len, key, key_len));
      /* Not even the 32-byte private scalar appears. */
      g_assert_true (EVP_PKEY_get_bn_param (pkey, OSSL_PKEY_PARAM_PRIV_KEY, &priv));
      g_assert_cmpint (BN_bn2binpad (priv, scalar, sizeof scalar), ==, 32);
      g_assert_false (contains (image, image_len, scalar, sizeof scalar));
      sc_memwipe (scalar, sizeof scalar);
    }

  reader = sc_device_open (uri, &error);
  g_assert_no_error (error);
  rb = sc_device_read_back (reader, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (sc_device_verify_read_back (rb, m->public_key, m->chain_pem, m->pin, &error));
  g_assert_no_error (error);
  g_assert_true (sc_device_challenge (reader, m->public_key, NULL, &error));
  g_assert_no_error (error);
  stored_chain = sc_device_read_chain (reader, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (stored_chain, ==, m->chain_pem);
}

static guint32
flash_generation (Sim *sim)
{
  g_autofree char *uri = g_strdup_printf ("sim:?flash=%s&serial=%s&mac=%s", sim->flash, sim->serial, sim->mac);
  g_autoptr(GError) error = NULL;
  g_autoptr(ScDevice) reader = sc_device_open (uri, &error);
  g_autoptr(ScDeviceReadBack) rb = NULL;

  g_assert_no_error (error);
  rb = sc_device_read_back (reader, NULL, &error);
  g_assert_no_error (error);
  return rb->generation;
}

static void
run_transport (const char *transport,
               gboolean    station)
{
  const char *no_keygen[] = { "--no-keygen", NULL };
  g_autoptr(Sim) sim = sim_start (transport, station ? no_keygen : NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(ScDevice) device = sc_device_open (sim->uri, &error);
  Material m = { 0 };

  g_assert_no_error (error);
  g_assert_true (provision (device, sim->serial, &m, &error));
  g_assert_no_error (error);
  g_assert_cmpint (m.key_der != NULL, ==, station);
  g_clear_object (&device);
  sim_stop (sim);

  assert_flash_holds (sim, &m);
  material_clear (&m);
}

static void test_pty_device_key (void) { run_transport ("pty", FALSE); }
static void test_pty_station_key (void) { run_transport ("pty", TRUE); }
static void test_tcp_device_key (void) { run_transport ("tcp", FALSE); }
static void test_tcp_station_key (void) { run_transport ("tcp", TRUE); }

static void
test_in_process (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScDevice) device = sc_device_open ("sim:?serial=G3A0PA01802300PE", &error);
  g_autoptr(ScDevice) station = sc_device_open ("sim:?serial=G3A0PA01802300PF&keygen=0", &error);
  Material m = { 0 }, n = { 0 };

  g_assert_no_error (error);
  g_assert_true (provision (device, "G3A0PA01802300PE", &m, &error));
  g_assert_no_error (error);
  g_assert_true (provision (station, "G3A0PA01802300PF", &n, &error));
  g_assert_no_error (error);

  /* Locked: provisioning is refused, and the PIN's hash is no longer told. */
  {
    g_autoptr(ScDeviceReadBack) rb = NULL;
    g_autoptr(ScSecret) other = sc_secret_new_from_string ("AAAAAAAAB");

    g_assert_true (sc_device_lock (device, NULL, &error));
    g_assert_no_error (error);
    g_assert_false (sc_device_put_pin (device, other, NULL, &error));
    g_assert_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_LOCKED);
    g_clear_error (&error);
    rb = sc_device_read_back (device, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (rb->locked);
    g_assert_false (rb->has_pin_sha256);
    g_assert_true (sc_device_verify_read_back (rb, m.public_key, m.chain_pem, NULL, &error));
    g_assert_false (sc_device_verify_read_back (rb, m.public_key, m.chain_pem, m.pin, &error));
    g_assert_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_VERIFY);
    g_clear_error (&error);
    g_assert_true (sc_device_challenge (device, m.public_key, NULL, &error));
    g_assert_no_error (error);
  }
  material_clear (&m);
  material_clear (&n);
}

typedef struct
{
  const char *name;
  const char *options[3];
  gboolean    succeeds;       /* retries hide it */
  int         code;           /* else: the error */
  int         policy_code;    /* or a CSR policy refusal (-1: none) */
} Fault;

static const Fault faults[] = {
  { "drop-frame", { "--drop-frame", "3" }, TRUE, 0, -1 },
  { "corrupt-frame", { "--corrupt-frame", "4" }, TRUE, 0, -1 },
  { "drop-commit-answer", { "--drop-frame", "COMMIT" }, TRUE, 0, -1 },
  { "corrupt-commit-answer", { "--corrupt-frame", "COMMIT" }, TRUE, 0, -1 },
  { "slow-flash", { "--slow-flash", "5" }, TRUE, 0, -1 },
  { "no-keygen", { "--no-keygen" }, TRUE, 0, -1 },
  { "disconnect-at-commit", { "--disconnect-at", "COMMIT" }, FALSE, -2, -1 },
  { "disconnect-at-keygen", { "--disconnect-at", "KEYGEN" }, FALSE, -2, -1 },
  { "power-loss-in-commit", { "--power-loss-in-commit" }, FALSE, -2, -1 },
  { "csr-wrong-dsn", { "--csr-wrong-dsn" }, FALSE, -1, SC_POLICY_ERROR_DSN },
  { "csr-wrong-curve", { "--csr-wrong-curve" }, FALSE, -1, SC_POLICY_ERROR_CURVE },
};

static void
test_fault (gconstpointer data)
{
  const Fault *f = data;
  g_autoptr(Sim) sim = sim_start ("pty", f->options);
  g_autoptr(GError) error = NULL;
  g_autoptr(ScDevice) device = sc_device_open (sim->uri, &error);
  Material m = { 0 };
  gboolean ok;

  g_assert_no_error (error);
  ok = provision (device, sim->serial, &m, &error);
  g_clear_object (&device);
  sim_stop (sim);

  if (f->succeeds)
    {
      g_assert_no_error (error);
      g_assert_true (ok);
      assert_flash_holds (sim, &m);
    }
  else
    {
      g_assert_false (ok);
      g_assert_nonnull (error);
      g_test_message ("%s: %s", f->name, error->message);
      if (f->policy_code >= 0)
        g_assert_error (error, SC_POLICY_ERROR, f->policy_code);
      else
        /* The link went away: a disconnect or a timeout, said in a sentence. */
        g_assert_true (g_error_matches (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_DISCONNECTED) ||
                       g_error_matches (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_TIMEOUT));
      /* Nothing new is in the flash: this unit never held material (the
       * faults that stop before COMMIT could not have written any; the
       * COMMIT faults are the ones this checks). */
      g_assert_cmpuint (flash_generation (sim), ==, 0);
    }
  material_clear (&m);
}

static void
test_power_loss_keeps_old_material (void)
{
  /* A provisioned unit is re-provisioned and loses power in the middle of
   * COMMIT: afterwards it holds the complete old material, not a mix. */
  const char *cut[] = { "--power-loss-in-commit", NULL };
  g_autoptr(Sim) sim = sim_start ("pty", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(ScDevice) device = sc_device_open (sim->uri, &error);
  g_autoptr(GPtrArray) argv = NULL;
  Material first = { 0 }, second = { 0 };

  g_assert_true (provision (device, sim->serial, &first, &error));
  g_assert_no_error (error);
  g_clear_object (&device);
  sim_stop (sim);
  g_assert_cmpuint (flash_generation (sim), ==, 1);

  /* The same unit (same flash), now with the power cut. */
  {
    const char *devsim = g_getenv ("SC_DEVSIM");
    const char *args[] = { devsim, "--serial", sim->serial, "--mac", sim->mac, "--flash", sim->flash,
                           "--pty", cut[0], NULL };
    g_autoptr(GDataInputStream) out = NULL;
    g_autofree char *line = NULL;

    sim->process = g_subprocess_newv (args, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                                      &error);
    g_assert_no_error (error);
    out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (sim->process));
    line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
    g_free (sim->uri);
    sim->uri = g_strdup_printf ("serial://%s", line);
  }
  device = sc_device_open (sim->uri, &error);
  g_assert_no_error (error);
  g_assert_false (provision (device, sim->serial, &second, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_clear_object (&device);
  sim_stop (sim);

  g_assert_cmpuint (flash_generation (sim), ==, 1);
  assert_flash_holds (sim, &first);
  material_clear (&first);
  material_clear (&second);
}

static void
test_addresses (void)
{
  const char *bad[] = { "ttyUSB0", "serial://dev/ttyUSB0", "serial:///dev/ttyUSB0?baud=12345",
                        "tcp://127.0.0.1", "usb://xyz", "usb://1209:0001/", "sim:?mac=zz", "command:" };
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(ScDeviceLink) link = sc_device_link_open (bad[i], &error);

      g_assert_null (link);
      g_assert_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_ADDRESS);
      g_clear_error (&error);
    }

  /* Well-formed, but nothing there. */
  g_assert_null (sc_device_link_open ("serial:///dev/sc-no-such-port", &error));
  g_assert_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (sc_device_link_open ("tcp://127.0.0.1:1", &error));
  g_assert_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (sc_device_link_open ("usb://1209:fffe", &error));
  g_assert_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_NOT_FOUND);
}

static void
test_timeout (void)
{
  /* A TCP peer that accepts and never answers: the console gives up after
   * its retries with a sentence, not a hang. */
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(ScDevice) device = NULL;
  g_autoptr(ScDeviceInfo) info = NULL;
  g_autofree char *uri = NULL;
  guint16 port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  gint64 start;

  g_assert_no_error (error);
  uri = g_strdup_printf ("tcp://127.0.0.1:%u", port);
  device = sc_device_open (uri, &error);
  g_assert_no_error (error);
  start = g_get_monotonic_time ();
  info = sc_device_hello (device, NULL, &error);
  g_assert_null (info);
  g_assert_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (error->message, "did not answer HELLO"));
  g_assert_cmpint (g_get_monotonic_time () - start, >=, (SCP_RETRIES + 1) * SCP_TIMEOUT_MS * 1000 - 100000);
}

static gpointer
cancel_soon (gpointer data)
{
  g_usleep (300 * 1000);
  g_cancellable_cancel (data);
  return NULL;
}

static void
test_flasher (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *copy = g_build_filename (tmpdir, "flashed.img", NULL);
  g_autofree char *script = g_strdup_printf ("cp {image} %s", copy);
  g_autoptr(ScFlasher) flasher = sc_flasher_new (script, 10, &error);
  g_autoptr(ScFlasher) failing = sc_flasher_new ("sh -c 'echo no unit on the jig; exit 3' {image}", 10, &error);
  g_autoptr(ScFlasher) hanging = sc_flasher_new ("sh -c 'sleep 30' {image}", 1, &error);
  g_autoptr(EVP_PKEY) key = sc_key_generate (NULL);
  g_autoptr(ScSecret) der = sc_key_to_private_der (key, NULL);
  g_autoptr(ScSecret) pin = sc_secret_new_from_string ("957AD9640");
  g_autoptr(ScSecret) image = sc_flasher_build_image ("G3A0PA01802300PE", "ebK3", der, "-----BEGIN CERTIFICATE-----\n", pin);
  g_autofree char *output = NULL;
  g_autofree guint8 *flashed = NULL;
  gsize flashed_len, len;
  const guint8 *data = sc_secret_get_data (image, &len);
  g_autoptr(GDir) dir = NULL;
  const char *name;

  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix ((const char *) data, "SCI1"));
  g_assert_cmpuint (scp_crc32 (0, data, len - 4), ==,
                    (guint32) data[len - 4] << 24 | (guint32) data[len - 3] << 16 | (guint32) data[len - 2] << 8 | data[len - 1]);

  g_assert_true (sc_flasher_write (flasher, "G3A0PA01802300PE", image, &output, NULL, &error));
  g_assert_no_error (error);
  g_clear_pointer (&output, g_free);
  g_assert_true (g_file_get_contents (copy, (char **) &flashed, &flashed_len, NULL));
  g_assert_cmpmem (flashed, flashed_len, data, len);

  g_assert_false (sc_flasher_write (failing, "G3A0PA01802300PE", image, &output, NULL, &error));
  g_assert_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_FLASHER);
  g_assert_nonnull (strstr (error->message, "exit status 3"));
  g_clear_pointer (&output, g_free);
  g_clear_error (&error);

  g_assert_false (sc_flasher_write (hanging, "G3A0PA01802300PE", image, NULL, NULL, &error));
  g_assert_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_TIMEOUT);
  g_clear_error (&error);

  /* A flasher whose children outlive it is stopped with all of them. */
  {
    g_autoptr(ScFlasher) forking = sc_flasher_new ("sh -c 'sleep 30 & sleep 30' {image}", 1, &error);
    gint64 start = g_get_monotonic_time ();

    g_assert_no_error (error);
    g_assert_false (sc_flasher_write (forking, "G3A0PA01802300PE", image, NULL, NULL, &error));
    g_assert_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_TIMEOUT);
    g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
    g_clear_error (&error);
  }

  /* Cancelled from another thread: it stops at once. */
  {
    g_autoptr(ScFlasher) slow = sc_flasher_new ("sh -c 'sleep 30' {image}", 60, &error);
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    GThread *canceller = g_thread_new ("canceller", cancel_soon, cancellable);
    gint64 start = g_get_monotonic_time ();

    g_assert_false (sc_flasher_write (slow, "G3A0PA01802300PE", image, NULL, cancellable, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
    g_thread_join (canceller);
    g_clear_error (&error);
  }

  /* A serial that could smuggle shell syntax into a template is refused. */
  g_assert_false (sc_flasher_write (flasher, "G3A0;rm -rf x", image, NULL, NULL, &error));
  g_assert_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_FLASHER);
  g_clear_error (&error);

  g_assert_null (sc_flasher_new ("esptool.py write_flash 0x3F0000", 10, &error));
  g_assert_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_ADDRESS);

  /* No image file is left behind in the temporary folder (this test's own). */
  g_assert_cmpstr (g_get_tmp_dir (), ==, tmpdir);
  dir = g_dir_open (g_get_tmp_dir (), 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_false (g_str_has_prefix (name, "sc-unit-"));
}

static void
notified_cb (GObject    *object,
             GParamSpec *pspec,
             gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static void
test_monitor (void)
{
  g_autofree char *node = g_build_filename (tmpdir, "ttyFIXTURE", NULL);
  g_autofree char *uri = g_strdup_printf ("serial://%s?baud=115200", node);
  g_autoptr(ScDeviceMonitor) monitor = NULL;
  g_autoptr(ScDeviceMonitor) sim = sc_device_monitor_new ("sim:", 100);
  guint notified = 0;

  g_assert_true (sc_device_monitor_get_present (sim));

  monitor = sc_device_monitor_new (uri, 100);
  g_signal_connect (monitor, "notify::present", G_CALLBACK (notified_cb), &notified);
  g_assert_false (sc_device_monitor_get_present (monitor));

  /* The fixture is plugged in: the node appears, and within an interval the
   * monitor says so. */
  g_assert_true (g_file_set_contents (node, "", 0, NULL));
  while (!sc_device_monitor_get_present (monitor))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (notified, ==, 1);

  g_unlink (node);
  sc_device_monitor_check (monitor);
  g_assert_false (sc_device_monitor_get_present (monitor));
  g_assert_cmpuint (notified, ==, 2);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);

  /* A temporary folder of this test's own, made before GLib first reads
   * TMPDIR, so the flasher's images land here and nowhere else. */
  {
    const char *base = g_getenv ("TMPDIR") ? g_getenv ("TMPDIR") : "/tmp";
    tmpdir = g_build_filename (base, "sc-test-device-XXXXXX", NULL);
    g_assert_nonnull (g_mkdtemp (tmpdir));
    g_setenv ("TMPDIR", tmpdir, TRUE);
  }
  training_dir = sc_test_training (NULL);
  profile = sc_test_load_profile (training_dir);
  dak = sc_dak_new_for_profile (profile, &error);
  g_assert_no_error (error);

  g_test_add_func ("/sc/device/addresses", test_addresses);
  g_test_add_func ("/sc/device/in-process", test_in_process);
  g_test_add_func ("/sc/device/pty/device-key", test_pty_device_key);
  g_test_add_func ("/sc/device/pty/station-key", test_pty_station_key);
  g_test_add_func ("/sc/device/tcp/device-key", test_tcp_device_key);
  g_test_add_func ("/sc/device/tcp/station-key", test_tcp_station_key);
  g_test_add_func ("/sc/device/power-loss-keeps-old-material", test_power_loss_keeps_old_material);
  g_test_add_func ("/sc/device/timeout", test_timeout);
  g_test_add_func ("/sc/device/flasher", test_flasher);
  g_test_add_func ("/sc/device/monitor", test_monitor);
  for (guint i = 0; i < G_N_ELEMENTS (faults); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sc/device/fault/%s", faults[i].name);
      g_test_add_data_func (path, &faults[i], test_fault);
    }

  ret = g_test_run ();
  g_object_unref (dak);
  g_object_unref (profile);
  sc_test_rmdir (training_dir);
  sc_test_rmdir (tmpdir);
  return ret;
}
