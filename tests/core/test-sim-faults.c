/* test-sim-faults.c: the faults the in-process simulated unit injects
 * (sim: query options), as the fault menu of training mode uses them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "sc-test-util.h"

static char *training_dir;
static ScProfile *profile;
static ScDak *dak;
static char *tmpdir;
static guint unit_count;

typedef struct
{
  char *serial;
  char *flash;
} Unit;

static void
unit_free (Unit *unit)
{
  g_free (unit->serial);
  g_free (unit->flash);
  g_free (unit);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Unit, unit_free)

static Unit *
unit_new (void)
{
  Unit *unit = g_new0 (Unit, 1);

  unit_count++;
  unit->serial = g_strdup_printf ("SIMFAULT%07u", unit_count);
  unit->flash = g_strdup_printf ("%s/unit-%u.img", tmpdir, unit_count);
  return unit;
}

/* The unit's address with @faults ("" for none) after its serial and flash. */
static char *
unit_uri (Unit       *unit,
          const char *faults)
{
  g_autofree char *flash = g_uri_escape_string (unit->flash, "/", FALSE);

  return g_strdup_printf ("sim:?serial=%s&flash=%s%s%s", unit->serial, flash, *faults ? "&" : "", faults);
}

/* What a run does with the unit, up to the challenge; FALSE with @error at
 * the first failure. */
static gboolean
provision (ScDevice    *device,
           const char  *serial,
           GError     **error)
{
  g_autoptr(ScDeviceInfo) info = NULL;
  g_autoptr(X509_REQ) csr = NULL;
  g_autoptr(ScCertList) chain = NULL;
  g_autoptr(ScDeviceReadBack) rb = NULL;
  g_autoptr(ScSecret) pin = NULL;
  g_autoptr(EVP_PKEY) public_key = NULL;
  g_autofree char *chain_pem = NULL;
  guint32 generation = 0;

  if (!(info = sc_device_hello (device, NULL, error)) ||
      !(csr = sc_device_keygen (device, SC_TRAINING_DEVICE_TYPE_ID, serial, NULL, error)) ||
      !(chain = sc_dak_issue (dak, csr, serial, NULL, error)))
    return FALSE;
  public_key = EVP_PKEY_dup (X509_get0_pubkey (sk_X509_value (chain, 0)));
  chain_pem = sc_certs_to_pem (chain);
  pin = sc_pin_generate (sc_profile_get_pin_alphabet (profile), 9, error);
  if (pin == NULL ||
      !sc_device_put_chain (device, chain_pem, NULL, error) ||
      !sc_device_put_pin (device, pin, NULL, error) ||
      !sc_device_commit (device, &generation, NULL, error) ||
      !(rb = sc_device_read_back (device, NULL, error)) ||
      !sc_device_verify_read_back (rb, public_key, chain_pem, pin, error) ||
      !sc_device_challenge (device, public_key, NULL, error))
    return FALSE;
  g_assert_cmpuint (generation, >=, 1);
  return TRUE;
}

/* The generation the unit's flash holds, read through a link without faults. */
static guint32
flash_generation (Unit *unit)
{
  g_autofree char *uri = unit_uri (unit, "");
  g_autoptr(GError) error = NULL;
  g_autoptr(ScDevice) reader = sc_device_open (uri, &error);
  g_autoptr(ScDeviceReadBack) rb = NULL;

  g_assert_no_error (error);
  rb = sc_device_read_back (reader, NULL, &error);
  g_assert_no_error (error);
  return rb->generation;
}

typedef struct
{
  const char *name;
  const char *faults;
  gboolean    succeeds;       /* the device layer's retries hide it */
  int         device_code;    /* else the device error (-1: none) */
  int         policy_code;    /* or the CSR policy's refusal (-1: none) */
  const char *message;        /* a word the error sentence must hold, or NULL */
} Fault;

static const Fault faults[] = {
  { "none", "", TRUE, -1, -1, NULL },
  { "drop-answer-3", "drop=3", TRUE, -1, -1, NULL },
  { "drop-put-pin-answer", "drop=PUT_PIN", TRUE, -1, -1, NULL },
  { "corrupt-answer-2", "corrupt=2", TRUE, -1, -1, NULL },
  { "corrupt-commit-answer", "corrupt=commit", TRUE, -1, -1, NULL },
  { "disconnect-at-commit", "disconnect=COMMIT", FALSE, SC_DEVICE_ERROR_DISCONNECTED, -1, "unplugged" },
  { "disconnect-at-keygen", "disconnect=KEYGEN", FALSE, SC_DEVICE_ERROR_DISCONNECTED, -1, "unplugged" },
  { "silent", "silent=1", FALSE, SC_DEVICE_ERROR_TIMEOUT, -1, "did not answer" },
  { "flash-fail", "flash-fail=1", FALSE, SC_DEVICE_ERROR_REFUSED, -1, "flash" },
  { "csr-wrong-dsn", "csr=wrong-dsn", FALSE, -1, SC_POLICY_ERROR_DSN, NULL },
  { "csr-wrong-curve", "csr=wrong-curve", FALSE, -1, SC_POLICY_ERROR_CURVE, NULL },
  { "switched-off", "silent=0&flash-fail=0", TRUE, -1, -1, NULL },
};

static void
test_fault (gconstpointer data)
{
  const Fault *f = data;
  g_autoptr(Unit) unit = unit_new ();
  g_autofree char *uri = unit_uri (unit, f->faults);
  g_autoptr(GError) error = NULL;
  g_autoptr(ScDevice) device = sc_device_open (uri, &error);
  g_autofree char *description = NULL;
  gboolean ok;

  g_assert_no_error (error);
  description = sc_device_link_describe (sc_device_get_link (device));
  /* The unit says it is faulty wherever it is named, errors included;
   * switches set to 0 are no fault. */
  if (*f->faults == '\0' || strstr (f->faults, "=0") != NULL)
    g_assert_null (strstr (description, "fault"));
  else
    g_assert_nonnull (strstr (description, f->faults));

  ok = provision (device, unit->serial, &error);
  g_clear_object (&device);

  if (f->succeeds)
    {
      g_assert_no_error (error);
      g_assert_true (ok);
      g_assert_cmpuint (flash_generation (unit), ==, 1);
      return;
    }

  g_assert_false (ok);
  g_assert_nonnull (error);
  g_test_message ("%s: %s", f->name, error->message);
  if (f->policy_code >= 0)
    g_assert_error (error, SC_POLICY_ERROR, f->policy_code);
  else
    g_assert_error (error, SC_DEVICE_ERROR, f->device_code);
  if (f->message != NULL)
    g_assert_nonnull (strstr (error->message, f->message));
  /* A failed COMMIT (or none) leaves nothing on the unit. */
  g_assert_cmpuint (flash_generation (unit), ==, 0);
}

typedef struct
{
  const char *name;
  const char *query;
  const char *message;    /* a part of the sentence */
} BadUri;

static const BadUri bad_uris[] = {
  { "unknown-option", "dorp=COMMIT", "no option" },
  { "option-without-value", "silent", "no option" },
  { "drop-zero", "drop=0", "drop=" },
  { "drop-unknown-request", "drop=REBOOT", "drop=" },
  { "drop-empty", "drop=", "drop=" },
  { "corrupt-negative", "corrupt=-1", "corrupt=" },
  { "corrupt-number-too-big", "corrupt=99999999999999999999999", "corrupt=" },
  { "disconnect-number", "disconnect=3", "disconnect=" },
  { "disconnect-unknown-request", "disconnect=unplug", "disconnect=" },
  { "silent-yes", "silent=yes", "silent=" },
  { "flash-fail-two", "flash-fail=2", "flash-fail=" },
  { "csr-unknown", "csr=wrong", "csr=" },
  { "bad-escape", "csr=wrong%zz", "escaped" },
};

static void
test_bad_uri (gconstpointer data)
{
  const BadUri *b = data;
  g_autofree char *uri = g_strdup_printf ("sim:?serial=SIMFAULTBAD0001&%s", b->query);
  g_autoptr(GError) error = NULL;
  g_autoptr(ScDevice) device = sc_device_open (uri, &error);

  g_assert_null (device);
  g_assert_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_ADDRESS);
  g_test_message ("%s: %s", b->query, error->message);
  g_assert_nonnull (strstr (error->message, b->message));
}

/* A unit unplugged mid-run and plugged in again is the same unit: its
 * flash kept what was committed before, and it answers again. */
static void
test_unplugged_unit_recovers (void)
{
  g_autoptr(Unit) unit = unit_new ();
  g_autofree char *faulty = unit_uri (unit, "disconnect=READ_BACK");
  g_autofree char *clean = unit_uri (unit, "");
  g_autoptr(GError) error = NULL;
  g_autoptr(ScDevice) device = sc_device_open (faulty, &error);

  g_assert_no_error (error);
  g_assert_false (provision (device, unit->serial, &error));
  g_assert_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_DISCONNECTED);
  g_clear_error (&error);
  /* Every later call says the same, without waiting. */
  g_assert_null (sc_device_hello (device, NULL, &error));
  g_assert_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_DISCONNECTED);
  g_clear_error (&error);
  g_clear_object (&device);

  /* COMMIT came before READ_BACK: the unit holds its material. */
  g_assert_cmpuint (flash_generation (unit), ==, 1);
  device = sc_device_open (clean, &error);
  g_assert_no_error (error);
  g_assert_true (provision (device, unit->serial, &error));
  g_assert_no_error (error);
  g_clear_object (&device);
  g_assert_cmpuint (flash_generation (unit), ==, 2);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);

  tmpdir = sc_test_tmpdir ();
  training_dir = sc_test_training (NULL);
  profile = sc_test_load_profile (training_dir);
  dak = sc_dak_new_for_profile (profile, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (faults); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sc/sim-faults/fault/%s", faults[i].name);
      g_test_add_data_func (path, &faults[i], test_fault);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad_uris); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sc/sim-faults/bad-uri/%s", bad_uris[i].name);
      g_test_add_data_func (path, &bad_uris[i], test_bad_uri);
    }
  g_test_add_func ("/sc/sim-faults/unplugged-unit-recovers", test_unplugged_unit_recovers);

  ret = g_test_run ();
  g_object_unref (dak);
  g_object_unref (profile);
  sc_test_rmdir (training_dir);
  sc_test_rmdir (tmpdir);
  return ret;
}
