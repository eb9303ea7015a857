/* test-profile.c: loading and validating product profiles
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>

#include "sc-test-util.h"

static char *training_dir;

static GKeyFile *
good_keyfile (void)
{
  g_autofree char *path = g_build_filename (training_dir, "product.profile", NULL);
  g_autoptr(GError) error = NULL;
  GKeyFile *kf = g_key_file_new ();

  g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  return kf;
}

static ScProfile *
load_keyfile (GKeyFile  *kf,
              GError   **error)
{
  g_autofree char *data = g_key_file_to_data (kf, NULL, NULL);

  return sc_profile_new_from_data (data, -1, training_dir, error);
}

static void
test_good (void)
{
  g_autoptr(ScProfile) profile = sc_test_load_profile (training_dir);
  const ScLabelSettings *label = sc_profile_get_label_settings (profile);
  g_autofree char *chain = g_build_filename (training_dir, "dak-chain.pem", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (sc_profile_get_name (profile), ==, "Training product");
  g_assert_cmpstr (sc_profile_get_device_type_id (profile), ==, SC_TRAINING_DEVICE_TYPE_ID);
  g_assert_cmpstr (sc_profile_get_pid (profile), ==, SC_TRAINING_PID);
  g_assert_cmpint (sc_profile_get_dak_kind (profile), ==, SC_DAK_KIND_FILE);
  g_assert_true (g_path_is_absolute (sc_profile_get_dak_key_path (profile)));
  g_assert_cmpstr (sc_profile_get_dak_chain_path (profile), ==, chain);
  g_assert_nonnull (sc_profile_get_trust_anchor_path (profile));
  g_assert_null (sc_profile_get_trust_anchor_sha256 (profile));
  g_assert_cmpint (sc_profile_get_key_origin (profile), ==, SC_KEY_ORIGIN_DEVICE);
  g_assert_true (sc_profile_get_require_dsn (profile));
  g_assert_cmpuint (sc_profile_get_pin_length (profile), ==, 9);
  g_assert_cmpuint (strlen (sc_profile_get_pin_alphabet (profile)), ==, 62);
  g_assert_cmpint (label->symbology, ==, SC_SYMBOLOGY_DATAMATRIX);
  g_assert_cmpuint (label->symbol_size, ==, 0);
  g_assert_cmpuint (label->dpi, ==, 300);
  g_assert_cmpfloat (label->product_min_mm, ==, 10.0);
  g_assert_cmpfloat (label->package_min_mm, ==, 15.0);
  g_assert_cmpstr (label->package_code, ==, SC_TRAINING_UPC);
  g_assert_cmpstr (sc_profile_get_device_uri (profile), ==, "sim:");
  g_assert_null (sc_profile_get_flasher (profile));
  g_assert_cmpuint (sc_profile_get_flasher_timeout (profile), ==, 120);
  g_assert_true (label->include_serial);
  g_assert_true (label->trailing_semicolon);

  /* The SERNUM rule: 12 to 50 of [A-Za-z0-9]. */
  g_assert_true (sc_profile_check_serial (profile, "G3A0PA01802300PE", &error));
  g_assert_no_error (error);
  g_assert_true (sc_profile_check_serial (profile, "ABCDEFGHIJKL", NULL));
  g_assert_false (sc_profile_check_serial (profile, "ABCDEFGHIJK", &error));
  g_assert_error (error, SC_PROFILE_ERROR, SC_PROFILE_ERROR_SERIAL);
  g_clear_error (&error);
  g_assert_false (sc_profile_check_serial (profile, "G3A0PA01802300PE\n", NULL));
  g_assert_false (sc_profile_check_serial (profile, "G3A0PA01802300-E", NULL));
  g_assert_false (sc_profile_check_serial (profile, "", NULL));
  g_assert_false (sc_profile_check_serial (profile, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL));
}

static void
test_settings (void)
{
  g_autoptr(GKeyFile) kf = good_keyfile ();
  g_autoptr(ScProfile) profile = NULL;
  g_autoptr(GError) error = NULL;
  const ScLabelSettings *label;
  guint n;
  const int *nids;

  g_key_file_set_value (kf, "keys", "origin", "station");
  g_key_file_set_value (kf, "csr", "require-dsn", "false");
  g_key_file_set_value (kf, "csr", "allowed-extensions", "keyUsage;1.3.6.1.5.5.7.1.1");
  g_key_file_set_value (kf, "pin", "alphabet", "0123456789ABCDEF");
  g_key_file_set_value (kf, "pin", "length", "12");
  g_key_file_set_value (kf, "label", "symbology", "qr");
  g_key_file_set_value (kf, "label", "symbol-size", "33x33");
  g_key_file_set_value (kf, "label", "dpi", "203");
  g_key_file_set_value (kf, "label", "package-min-mm", "20.5");
  g_key_file_set_value (kf, "label", "package-code", "4006381333931");
  g_key_file_set_value (kf, "dak", "trust-anchor",
                        "sha256:9A:1E:8C:60:EF:73:97:85:A2:51:3A:C4:77:06:0E:CF:37:82:85:BA:B0:F8:7E:F8:29:AE:BB:D3:EC:7F:AF:DA");

  profile = load_keyfile (kf, &error);
  g_assert_no_error (error);
  label = sc_profile_get_label_settings (profile);
  g_assert_cmpint (sc_profile_get_key_origin (profile), ==, SC_KEY_ORIGIN_STATION);
  g_assert_false (sc_profile_get_require_dsn (profile));
  nids = sc_profile_get_allowed_extensions (profile, &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpint (nids[0], ==, NID_key_usage);
  g_assert_cmpint (nids[1], ==, NID_info_access);
  g_assert_cmpstr (sc_profile_get_pin_alphabet (profile), ==, "0123456789ABCDEF");
  g_assert_cmpuint (sc_profile_get_pin_length (profile), ==, 12);
  g_assert_cmpint (label->symbology, ==, SC_SYMBOLOGY_QR);
  g_assert_cmpuint (label->symbol_size, ==, 33);
  g_assert_cmpuint (label->dpi, ==, 203);
  g_assert_cmpfloat (label->package_min_mm, ==, 20.5);
  g_assert_cmpstr (label->package_code, ==, "4006381333931");
  g_assert_null (sc_profile_get_trust_anchor_path (profile));
  g_assert_cmpuint (sc_profile_get_trust_anchor_sha256 (profile)[0], ==, 0x9a);
  g_assert_cmpuint (sc_profile_get_trust_anchor_sha256 (profile)[31], ==, 0xda);
}

typedef struct
{
  const char *group;
  const char *key;
  const char *value;     /* NULL: remove the key */
  const char *expected;  /* the text that must name the field */
} BadCase;

static const BadCase bad_cases[] = {
  { "product", "name", NULL, "[product] name: is required" },
  { "product", "name", "   ", "[product] name: must not be empty" },
  { "product", "device-type-id", NULL, "[product] device-type-id: is required" },
  { "product", "device-type-id", "a13hohdxtvqyzo", "[product] device-type-id:" },
  { "product", "device-type-id", "A13", "[product] device-type-id:" },
  { "product", "device-type-id", "A13HOHDX-VQYZO", "[product] device-type-id:" },
  { "product", "pid", NULL, "[product] pid: is required" },
  { "product", "pid", "ebK", "[product] pid:" },
  { "product", "pid", "eb-3", "[product] pid:" },
  { "dak", "uri", NULL, "[dak] uri: is required" },
  { "dak", "uri", "missing.key", "[dak] uri: the file" },
  { "dak", "uri", "https://example.invalid/dak", "[dak] uri: must be" },
  { "dak", "uri", "yubikey://", "[dak] uri: A YubiKey URI needs the token’s serial number" },
  { "dak", "uri", "yubikey://12345?slot=zz", "[dak] uri: The YubiKey slot must be given" },
  { "dak", "uri", "yubikey://12345?slot=01", "[dak] uri: PIV slot 01 holds no key" },
  { "dak", "uri", "yubikey://4294967296", "[dak] uri: A YubiKey URI needs" },
  { "dak", "chain", NULL, "[dak] chain: is required" },
  { "dak", "chain", "nope.pem", "[dak] chain: the file" },
  { "dak", "trust-anchor", NULL, "[dak] trust-anchor: is required" },
  { "dak", "trust-anchor", "nope.pem", "[dak] trust-anchor: the file" },
  { "dak", "trust-anchor", "sha256:9A1E", "[dak] trust-anchor: a fingerprint" },
  { "keys", "origin", "factory", "[keys] origin: must be device or station" },
  { "csr", "require-dsn", "yes please", "[csr] require-dsn: must be true or false" },
  { "csr", "allowed-extensions", "noSuchExtension", "[csr] allowed-extensions: “noSuchExtension”" },
  { "csr", "allowed-extensions", "basicConstraints", "[csr] allowed-extensions: “basicConstraints” may never" },
  { "pin", "alphabet", "ABCDEFGHIJA", "[pin] alphabet: lists “A” more than once" },
  { "pin", "alphabet", "ABCDEF", "[pin] alphabet: must have at least 10" },
  { "pin", "alphabet", "ABCDEFGHIJ;", "[pin] alphabet: may hold only" },
  { "pin", "alphabet", "ABCDE FGHIJ", "[pin] alphabet: may hold only" },
  { "pin", "length", "5", "[pin] length: must be a whole number from 6 to 32" },
  { "pin", "length", "nine", "[pin] length:" },
  { "serial", "pattern", "[A-Z", "[serial] pattern: is not a valid regular expression" },
  { "device", "uri", "ttyUSB0", "[device] uri: must be" },
  { "device", "flasher", "esptool.py write_flash 0x3F0000", "[device] flasher: must name the unit’s image" },
  { "device", "flasher-timeout", "0", "[device] flasher-timeout:" },
  { "label", "symbology", "pdf417", "[label] symbology: must be datamatrix or qr" },
  { "label", "symbol-size", "37x37", "[label] symbol-size:" },
  { "label", "symbol-size", "44x40", "[label] symbol-size:" },
  { "label", "dpi", "50", "[label] dpi:" },
  { "label", "product-min-mm", "0", "[label] product-min-mm:" },
  { "label", "package-min-mm", "15mm", "[label] package-min-mm:" },
  { "label", "icon", "no-such-icon.svg", "[label] icon: the file" },
  { "label", "icon", "dak-chain.pem", "[label] icon: must be an SVG or PNG file" },
  { "label", "include-serial", "maybe", "[label] include-serial:" },
  { "label", "package-code", "036000291453", "[label] package-code: has a wrong check digit" },
  { "label", "package-code", "03600029145", "[label] package-code: must be a UPC-A" },
  { "label", "package-code", "03600029145X", "[label] package-code: must be digits only" },
  { "product", "colour", "blue", "[product] colour: unknown key" },
  { "plotter", "uri", "x", "[plotter] *: unknown group" },
  { "printer", "uri", "x", "[printer] uri: “x” is not a printer address" },
};

static void
test_bad_field (gconstpointer data)
{
  const BadCase *c = data;
  g_autoptr(GKeyFile) kf = good_keyfile ();
  g_autoptr(ScProfile) profile = NULL;
  g_autoptr(GError) error = NULL;

  if (c->value != NULL)
    g_key_file_set_value (kf, c->group, c->key, c->value);
  else
    g_key_file_remove_key (kf, c->group, c->key, NULL);

  profile = load_keyfile (kf, &error);
  g_assert_null (profile);
  g_assert_error (error, SC_PROFILE_ERROR, SC_PROFILE_ERROR_INVALID);
  if (strstr (error->message, c->expected) == NULL)
    g_error ("expected “%s” in: %s", c->expected, error->message);
  /* Exactly one problem was introduced, so exactly one is reported. */
  g_assert_nonnull (strstr (error->message, "has 1 problem"));
}

static void
test_every_problem_reported (void)
{
  g_autoptr(GKeyFile) kf = good_keyfile ();
  g_autoptr(GError) error = NULL;
  g_autoptr(ScProfile) profile = NULL;

  g_key_file_set_value (kf, "product", "pid", "toolong");
  g_key_file_set_value (kf, "pin", "length", "99");
  g_key_file_set_value (kf, "label", "dpi", "x");

  profile = load_keyfile (kf, &error);
  g_assert_null (profile);
  g_assert_error (error, SC_PROFILE_ERROR, SC_PROFILE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "has 3 problems"));
  g_assert_nonnull (strstr (error->message, "[product] pid:"));
  g_assert_nonnull (strstr (error->message, "[pin] length:"));
  g_assert_nonnull (strstr (error->message, "[label] dpi:"));
}

static void
test_flasher_rules (void)
{
  g_autoptr(GKeyFile) kf = good_keyfile ();
  g_autoptr(GError) error = NULL;
  g_autoptr(ScProfile) profile = NULL;

  /* command: needs a flasher, and an explicit word that its units may get
   * labels without read-back. */
  g_key_file_set_value (kf, "device", "uri", "command:");
  profile = load_keyfile (kf, &error);
  g_assert_null (profile);
  g_assert_nonnull (strstr (error->message, "[device] flasher: is required when the device is command:"));
  g_assert_nonnull (strstr (error->message, "[device] trust-flasher: must be true"));
  g_clear_error (&error);

  g_key_file_set_value (kf, "device", "flasher", "esptool.py write_flash 0x3F0000 {image}");
  g_key_file_set_value (kf, "device", "trust-flasher", "true");
  profile = load_keyfile (kf, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sc_profile_get_flasher (profile), ==, "esptool.py write_flash 0x3F0000 {image}");
}

static void
test_not_a_profile (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = sc_test_tmpdir ();
  g_autofree char *missing = g_build_filename (dir, "missing.profile", NULL);
  g_autofree char *garbage = g_build_filename (dir, "garbage.profile", NULL);

  g_assert_null (sc_profile_new_from_file (missing, &error));
  g_assert_error (error, SC_PROFILE_ERROR, SC_PROFILE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (garbage, "this is not [a key file\n\x01", -1, NULL));
  g_assert_null (sc_profile_new_from_file (garbage, &error));
  g_assert_error (error, SC_PROFILE_ERROR, SC_PROFILE_ERROR_PARSE);
  g_clear_error (&error);

  g_assert_null (sc_profile_new_from_data ("", 0, dir, &error));
  g_assert_error (error, SC_PROFILE_ERROR, SC_PROFILE_ERROR_INVALID);

  sc_test_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  training_dir = sc_test_training (NULL);

  g_test_add_func ("/sc/profile/good", test_good);
  g_test_add_func ("/sc/profile/settings", test_settings);
  g_test_add_func ("/sc/profile/every-problem-reported", test_every_problem_reported);
  g_test_add_func ("/sc/profile/not-a-profile", test_not_a_profile);
  g_test_add_func ("/sc/profile/flasher-rules", test_flasher_rules);
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sc/profile/bad/%s-%s-%u",
                                               bad_cases[i].group, bad_cases[i].key, i);
      g_test_add_data_func (path, &bad_cases[i], test_bad_field);
    }

  ret = g_test_run ();
  sc_test_rmdir (training_dir);
  g_free (training_dir);
  return ret;
}
