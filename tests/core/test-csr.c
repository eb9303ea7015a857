/* test-csr.c: CSR building, loading and the DAK's CSR policy, one test per
 * refusal rule, each with a CSR built to break exactly that rule
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "sc-test-util.h"

#define DSN "G3A0PA01802300PE"

static char *training_dir;
static ScProfile *profile;
static EVP_PKEY *p256;

typedef ScTestCsr CsrSpec;

static X509_REQ *
build (const CsrSpec *spec)
{
  return sc_test_build_csr (spec, p256, DSN);
}

static void
assert_refused (const CsrSpec *spec,
                const char    *expected_dsn,
                int            code,
                const char    *words)
{
  g_autoptr(X509_REQ) req = build (spec);
  g_autoptr(GError) error = NULL;

  g_assert_false (sc_csr_check_policy (req, profile, expected_dsn, &error));
  g_assert_error (error, SC_POLICY_ERROR, code);
  g_assert_true (g_str_has_prefix (error->message, "The DAK refuses this CSR: "));
  if (strstr (error->message, words) == NULL)
    g_error ("expected “%s” in: %s", words, error->message);
}

static void
test_good (void)
{
  CsrSpec spec = { 0 };
  g_autoptr(X509_REQ) req = build (&spec);
  g_autoptr(X509_REQ) ours = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dsn = NULL;

  g_assert_true (sc_csr_check_policy (req, profile, DSN, &error));
  g_assert_no_error (error);
  g_assert_true (sc_csr_check_policy (req, profile, NULL, &error));
  g_assert_no_error (error);

  ours = sc_csr_new (p256, SC_TRAINING_DEVICE_TYPE_ID, DSN, &error);
  g_assert_no_error (error);
  g_assert_true (sc_csr_check_policy (ours, profile, DSN, &error));
  g_assert_no_error (error);
  dsn = sc_csr_get_dsn (ours);
  g_assert_cmpstr (dsn, ==, DSN);
}

static void
test_printable_string_accepted (void)
{
  /* Amazon's on-device CSR writer uses PrintableString. */
  CsrSpec spec = { .dtid_type = V_ASN1_PRINTABLESTRING };
  g_autoptr(X509_REQ) req = build (&spec);
  g_autoptr(GError) error = NULL;

  g_assert_true (sc_csr_check_policy (req, profile, DSN, &error));
  g_assert_no_error (error);
}

static void
test_key_type (void)
{
  g_autoptr(EVP_PKEY) rsa = EVP_RSA_gen (2048);
  CsrSpec spec = { .key = rsa };

  assert_refused (&spec, DSN, SC_POLICY_ERROR_KEY_TYPE, "not an elliptic-curve key");
}

static void
test_curve (void)
{
  g_autoptr(EVP_PKEY) p384 = EVP_EC_gen ("P-384");
  g_autoptr(EVP_PKEY) k1 = EVP_EC_gen ("secp256k1");
  CsrSpec spec = { .key = p384 };
  CsrSpec spec_k1 = { .key = k1 };

  assert_refused (&spec, DSN, SC_POLICY_ERROR_CURVE, "P-256");
  /* Same size, different curve. */
  assert_refused (&spec_k1, DSN, SC_POLICY_ERROR_CURVE, "P-256");
}

static void
test_signature_algorithm (void)
{
  CsrSpec spec = { .md = EVP_sha384 () };

  assert_refused (&spec, DSN, SC_POLICY_ERROR_SIGNATURE_ALGORITHM, "ecdsa-with-SHA384");
}

static void
test_signature (void)
{
  CsrSpec spec = { 0 };
  g_autoptr(X509_REQ) req = build (&spec);
  g_autoptr(X509_REQ) broken = NULL;
  g_autoptr(GError) error = NULL;
  guint8 *der = NULL;
  const guint8 *p;
  int len = i2d_X509_REQ (req, &der);

  /* The last byte belongs to the signature's s value. */
  der[len - 1] ^= 0x01;
  p = der;
  broken = d2i_X509_REQ (NULL, &p, len);
  OPENSSL_free (der);
  g_assert_nonnull (broken);

  g_assert_false (sc_csr_check_policy (broken, profile, DSN, &error));
  g_assert_error (error, SC_POLICY_ERROR, SC_POLICY_ERROR_SIGNATURE);
}

static void
test_signature_other_key (void)
{
  /* A request whose public key is not the key that signed it. */
  CsrSpec spec = { 0 };
  g_autoptr(X509_REQ) req = build (&spec);
  g_autoptr(EVP_PKEY) other = EVP_EC_gen ("P-256");
  g_autoptr(GError) error = NULL;

  g_assert_true (X509_REQ_set_pubkey (req, other));
  g_assert_false (sc_csr_check_policy (req, profile, DSN, &error));
  g_assert_error (error, SC_POLICY_ERROR, SC_POLICY_ERROR_SIGNATURE);
}

static void
test_device_type_id_missing (void)
{
  CsrSpec spec = { .dtid = "" };

  assert_refused (&spec, DSN, SC_POLICY_ERROR_DEVICE_TYPE_ID, "has no DeviceTypeId");
}

static void
test_device_type_id_wrong (void)
{
  CsrSpec spec = { .dtid = "A13HOHDXTVQYZO" };
  CsrSpec lower = { .dtid = "trainingdevice" };

  assert_refused (&spec, DSN, SC_POLICY_ERROR_DEVICE_TYPE_ID, "“A13HOHDXTVQYZO”");
  assert_refused (&lower, DSN, SC_POLICY_ERROR_DEVICE_TYPE_ID, "“trainingdevice”");
}

static void
test_dsn_missing (void)
{
  CsrSpec spec = { .dsn = "" };

  /* With an expected serial, and with none but a profile that requires one. */
  assert_refused (&spec, DSN, SC_POLICY_ERROR_DSN, "has no DSN");
  assert_refused (&spec, NULL, SC_POLICY_ERROR_DSN, "requires one");
}

static void
test_dsn_optional (void)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autofree char *path = g_build_filename (training_dir, "product.profile", NULL);
  g_autofree char *data = NULL;
  g_autoptr(ScProfile) optional = NULL;
  g_autoptr(X509_REQ) req = NULL;
  g_autoptr(GError) error = NULL;
  CsrSpec spec = { .dsn = "" };

  g_assert_true (g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, NULL));
  g_key_file_set_value (kf, "csr", "require-dsn", "false");
  data = g_key_file_to_data (kf, NULL, NULL);
  optional = sc_profile_new_from_data (data, -1, training_dir, &error);
  g_assert_no_error (error);

  req = build (&spec);
  g_assert_true (sc_csr_check_policy (req, optional, NULL, &error));
  g_assert_no_error (error);
}

static void
test_dsn_wrong (void)
{
  CsrSpec spec = { .dsn = "G3A0PA01802300PF" };
  CsrSpec invalid = { .dsn = "SHORT" };

  assert_refused (&spec, DSN, SC_POLICY_ERROR_DSN, "“G3A0PA01802300PF”, but the unit’s serial is");
  /* No serial expected (the CSR-signing drop-in), but the DSN is no valid serial. */
  assert_refused (&invalid, NULL, SC_POLICY_ERROR_DSN, "not a valid serial");
}

static void
test_duplicate (void)
{
  CsrSpec dtid = { .dtid_twice = TRUE };
  CsrSpec dsn = { .dsn_twice = TRUE };

  assert_refused (&dtid, DSN, SC_POLICY_ERROR_DUPLICATE_ATTRIBUTE, "DeviceTypeId 2 times");
  assert_refused (&dsn, DSN, SC_POLICY_ERROR_DUPLICATE_ATTRIBUTE, "DSN 2 times");
}

static void
test_string_type (void)
{
  CsrSpec ia5 = { .dtid_type = V_ASN1_IA5STRING };
  CsrSpec bmp = { .dtid_type = V_ASN1_T61STRING };

  assert_refused (&ia5, DSN, SC_POLICY_ERROR_STRING_TYPE, "IA5STRING");
  assert_refused (&bmp, DSN, SC_POLICY_ERROR_STRING_TYPE, "T61STRING");
}

static void
test_subject_attribute (void)
{
  CsrSpec spec = { .add_cn = TRUE };

  assert_refused (&spec, DSN, SC_POLICY_ERROR_SUBJECT_ATTRIBUTE, "2.5.4.3");
}

static void
test_request_attribute (void)
{
  CsrSpec spec = { .add_challenge = TRUE };

  assert_refused (&spec, DSN, SC_POLICY_ERROR_REQUEST_ATTRIBUTE, "1.2.840.113549.1.9.7");
}

static void
test_extension (void)
{
  CsrSpec ca = { .ext_name = "basicConstraints", .ext_value = "critical,CA:TRUE" };
  CsrSpec ku = { .ext_name = "keyUsage", .ext_value = "digitalSignature" };
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autofree char *path = g_build_filename (training_dir, "product.profile", NULL);
  g_autofree char *data = NULL;
  g_autoptr(ScProfile) allowing = NULL;
  g_autoptr(X509_REQ) ku_req = NULL;
  g_autoptr(X509_REQ) ca_req = NULL;
  g_autoptr(GError) error = NULL;

  /* A CA-shaped request: exactly what would turn the DAK into a sub-CA. */
  assert_refused (&ca, DSN, SC_POLICY_ERROR_EXTENSION, "Basic Constraints");
  /* By default no extension is allowed. */
  assert_refused (&ku, DSN, SC_POLICY_ERROR_EXTENSION, "Key Usage");

  g_assert_true (g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, NULL));
  g_key_file_set_value (kf, "csr", "allowed-extensions", "keyUsage");
  data = g_key_file_to_data (kf, NULL, NULL);
  allowing = sc_profile_new_from_data (data, -1, training_dir, &error);
  g_assert_no_error (error);

  ku_req = build (&ku);
  g_assert_true (sc_csr_check_policy (ku_req, allowing, DSN, &error));
  g_assert_no_error (error);
  ca_req = build (&ca);
  g_assert_false (sc_csr_check_policy (ca_req, allowing, DSN, &error));
  g_assert_error (error, SC_POLICY_ERROR, SC_POLICY_ERROR_EXTENSION);
}

static void
test_explicit_curve (void)
{
  /* OpenSSL still names the group of such a key; the policy must not. */
  CsrSpec spec = { .explicit_curve = TRUE };

  assert_refused (&spec, DSN, SC_POLICY_ERROR_CURVE, "named curve P-256");
}

static void
test_nul_in_value (void)
{
  /* “G3A0PA01802300PE\0;PIN:x”: a C string compare would see only the serial. */
  CsrSpec spec = { .dsn = DSN "\0;PIN:x", .dsn_len = (int) strlen (DSN) + 7 };

  assert_refused (&spec, DSN, SC_POLICY_ERROR_STRING_TYPE, "NUL");
}

static void
test_printable_charset (void)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autofree char *path = g_build_filename (training_dir, "product.profile", NULL);
  g_autofree char *data = NULL;
  g_autoptr(ScProfile) underscore = NULL;
  g_autoptr(X509_REQ) printable = NULL;
  g_autoptr(X509_REQ) utf8 = NULL;
  g_autoptr(GError) error = NULL;
  CsrSpec bad = { .dsn = "G3A0PA_01802300PE", .dsn_type = V_ASN1_PRINTABLESTRING };
  CsrSpec good = { .dsn = "G3A0PA_01802300PE" };

  /* A product whose serials may hold “_”, which PrintableString cannot. */
  g_assert_true (g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, NULL));
  g_key_file_set_value (kf, "serial", "pattern", "[A-Za-z0-9_]{12,50}");
  data = g_key_file_to_data (kf, NULL, NULL);
  underscore = sc_profile_new_from_data (data, -1, training_dir, &error);
  g_assert_no_error (error);

  utf8 = build (&good);
  g_assert_true (sc_csr_check_policy (utf8, underscore, "G3A0PA_01802300PE", &error));
  g_assert_no_error (error);
  printable = build (&bad);
  g_assert_false (sc_csr_check_policy (printable, underscore, "G3A0PA_01802300PE", &error));
  g_assert_error (error, SC_POLICY_ERROR, SC_POLICY_ERROR_STRING_TYPE);
}

static void
test_value_too_long (void)
{
  g_autofree char *long_dsn = g_strnfill (SC_MAX_SUBJECT_VALUE + 1, 'A');
  CsrSpec spec = { .dsn = long_dsn };

  assert_refused (&spec, NULL, SC_POLICY_ERROR_STRING_TYPE, "more than");
}

static void
test_multi_valued_rdn (void)
{
  CsrSpec spec = { .multi_valued = TRUE };

  assert_refused (&spec, DSN, SC_POLICY_ERROR_SUBJECT_ATTRIBUTE, "one RDN");
}

static void
test_version (void)
{
  CsrSpec spec = { 0 };
  g_autoptr(X509_REQ) req = build (&spec);
  g_autoptr(X509_REQ) v2 = NULL;
  g_autoptr(GError) error = NULL;
  guint8 *der = NULL;
  const guint8 *p;
  int len = i2d_X509_REQ (req, &der);
  int i;

  /* The version INTEGER is the first element of the CertificationRequestInfo:
   * 02 01 00. Make it 1 (v2) in the DER. */
  for (i = 0; i + 2 < len; i++)
    if (der[i] == 0x02 && der[i + 1] == 0x01 && der[i + 2] == 0x00)
      break;
  g_assert_cmpint (i + 2, <, len);
  der[i + 2] = 0x01;

  p = der;
  v2 = d2i_X509_REQ (NULL, &p, len);
  if (v2 == NULL)
    {
      /* OpenSSL itself rejects it: then loading must fail cleanly. */
      g_assert_null (sc_csr_load (der, len, &error));
      g_assert_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_MALFORMED);
    }
  else
    {
      g_assert_false (sc_csr_check_policy (v2, profile, DSN, &error));
      g_assert_error (error, SC_POLICY_ERROR, SC_POLICY_ERROR_VERSION);
    }
  OPENSSL_free (der);
}

static void
test_load (void)
{
  CsrSpec spec = { 0 };
  g_autoptr(X509_REQ) req = build (&spec);
  g_autoptr(X509_REQ) from_pem = NULL;
  g_autoptr(X509_REQ) from_der = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pem = sc_csr_to_pem (req);
  g_autofree guint8 *padded = NULL;
  g_autofree char *big = NULL;
  guint8 *der = NULL;
  int len = i2d_X509_REQ (req, &der);

  from_pem = sc_csr_load ((const guint8 *) pem, strlen (pem), &error);
  g_assert_no_error (error);
  g_assert_cmpint (X509_REQ_verify (from_pem, X509_REQ_get0_pubkey (from_pem)), ==, 1);

  from_der = sc_csr_load (der, len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (from_der);

  /* Trailing bytes after the DER, a truncated DER, garbage, nothing, too much. */
  padded = g_malloc (len + 1);
  memcpy (padded, der, len);
  padded[len] = 0;
  g_assert_null (sc_csr_load (padded, len + 1, &error));
  g_assert_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_MALFORMED);
  g_clear_error (&error);

  g_assert_null (sc_csr_load (der, len - 10, &error));
  g_assert_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_MALFORMED);
  g_clear_error (&error);

  g_assert_null (sc_csr_load ((const guint8 *) "hello world", 11, &error));
  g_assert_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_MALFORMED);
  g_clear_error (&error);

  g_assert_null (sc_csr_load ((const guint8 *) "", 0, &error));
  g_assert_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_MALFORMED);
  g_clear_error (&error);

  big = g_strnfill (SC_MAX_CSR_INPUT + 1, 'A');
  g_assert_null (sc_csr_load ((const guint8 *) big, SC_MAX_CSR_INPUT + 1, &error));
  g_assert_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_MALFORMED);
  g_clear_error (&error);

  /* A certificate is not a CSR. */
  {
    g_autofree char *chain = NULL;
    g_autofree char *chain_path = g_build_filename (training_dir, "root.pem", NULL);
    gsize chain_len;

    g_assert_true (g_file_get_contents (chain_path, &chain, &chain_len, NULL));
    g_assert_null (sc_csr_load ((const guint8 *) chain, chain_len, &error));
    g_assert_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_MALFORMED);
  }

  OPENSSL_free (der);
}

int
main (int    argc,
      char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  training_dir = sc_test_training (NULL);
  profile = sc_test_load_profile (training_dir);
  p256 = EVP_EC_gen ("P-256");

  g_test_add_func ("/sc/csr/good", test_good);
  g_test_add_func ("/sc/csr/printable-string-accepted", test_printable_string_accepted);
  g_test_add_func ("/sc/csr/dsn-optional", test_dsn_optional);
  g_test_add_func ("/sc/csr/load", test_load);
  g_test_add_func ("/sc/csr/refuse/version", test_version);
  g_test_add_func ("/sc/csr/refuse/key-type", test_key_type);
  g_test_add_func ("/sc/csr/refuse/curve", test_curve);
  g_test_add_func ("/sc/csr/refuse/signature-algorithm", test_signature_algorithm);
  g_test_add_func ("/sc/csr/refuse/signature", test_signature);
  g_test_add_func ("/sc/csr/refuse/signature-other-key", test_signature_other_key);
  g_test_add_func ("/sc/csr/refuse/device-type-id-missing", test_device_type_id_missing);
  g_test_add_func ("/sc/csr/refuse/device-type-id-wrong", test_device_type_id_wrong);
  g_test_add_func ("/sc/csr/refuse/dsn-missing", test_dsn_missing);
  g_test_add_func ("/sc/csr/refuse/dsn-wrong", test_dsn_wrong);
  g_test_add_func ("/sc/csr/refuse/duplicate-attribute", test_duplicate);
  g_test_add_func ("/sc/csr/refuse/string-type", test_string_type);
  g_test_add_func ("/sc/csr/refuse/subject-attribute", test_subject_attribute);
  g_test_add_func ("/sc/csr/refuse/request-attribute", test_request_attribute);
  g_test_add_func ("/sc/csr/refuse/extension", test_extension);
  g_test_add_func ("/sc/csr/refuse/explicit-curve", test_explicit_curve);
  g_test_add_func ("/sc/csr/refuse/nul-in-value", test_nul_in_value);
  g_test_add_func ("/sc/csr/refuse/printable-charset", test_printable_charset);
  g_test_add_func ("/sc/csr/refuse/value-too-long", test_value_too_long);
  g_test_add_func ("/sc/csr/refuse/multi-valued-rdn", test_multi_valued_rdn);

  ret = g_test_run ();

  EVP_PKEY_free (p256);
  g_object_unref (profile);
  sc_test_rmdir (training_dir);
  g_free (training_dir);
  return ret;
}
