/* test-dak.c: issuing DHA certificates and verifying chains
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <openssl/objects.h>

#include "sc-dak-private.h"
#include "sc-signer-private.h"
#include "sc-test-util.h"

#define DSN "G3A0PA01802300PE"
#define DAY (G_GINT64_CONSTANT (86400))

static char *training_dir;
static ScProfile *profile;
static ScDak *dak;

/* A signer that counts what reaches it, wrapping the real one: proves the
 * policy stands in front of the key. */
struct _CountingSigner
{
  GObject   parent_instance;
  ScSigner *inner;
  guint     count;
};

#define COUNTING_TYPE_SIGNER (counting_signer_get_type ())
G_DECLARE_FINAL_TYPE (CountingSigner, counting_signer, COUNTING, SIGNER, GObject)

static void counting_iface_init (ScSignerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CountingSigner, counting_signer, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SC_TYPE_SIGNER, counting_iface_init))

static void
counting_signer_finalize (GObject *object)
{
  g_clear_object (&COUNTING_SIGNER (object)->inner);
  G_OBJECT_CLASS (counting_signer_parent_class)->finalize (object);
}

static void counting_signer_class_init (CountingSignerClass *klass) { G_OBJECT_CLASS (klass)->finalize = counting_signer_finalize; }
static void counting_signer_init (CountingSigner *self) { }
static STACK_OF (X509) *counting_get_chain (ScSigner *s) { return sc_signer_get_chain (COUNTING_SIGNER (s)->inner); }
static char *counting_describe (ScSigner *s) { return g_strdup ("counting"); }

static GBytes *
counting_sign (ScSigner *s, const guint8 *digest, gsize len, GCancellable *c, GError **error)
{
  COUNTING_SIGNER (s)->count++;
  return _sc_signer_sign_digest (COUNTING_SIGNER (s)->inner, digest, len, c, error);
}

static void
counting_iface_init (ScSignerInterface *iface)
{
  iface->get_chain = counting_get_chain;
  iface->sign_digest = counting_sign;
  iface->describe = counting_describe;
}

static X509_REQ *
make_csr (const char *dsn,
          EVP_PKEY  **key_out)
{
  g_autoptr(EVP_PKEY) key = sc_key_generate (NULL);
  g_autoptr(GError) error = NULL;
  X509_REQ *req = sc_csr_new (key, SC_TRAINING_DEVICE_TYPE_ID, dsn, &error);

  g_assert_no_error (error);
  if (key_out)
    *key_out = g_steal_pointer (&key);
  return req;
}

static STACK_OF (X509) *
issue (ScDak *d)
{
  g_autoptr(X509_REQ) req = make_csr (DSN, NULL);
  g_autoptr(GError) error = NULL;
  STACK_OF (X509) *chain = sc_dak_issue (d, req, DSN, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (chain);
  return chain;
}

static void
test_issue_profile (void)
{
  g_autoptr(EVP_PKEY) key = NULL;
  g_autoptr(X509_REQ) req = make_csr (DSN, &key);
  g_autoptr(ScCertList) chain = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BIGNUM) serial = NULL;
  X509 *leaf, *dak_cert = sc_dak_get_certificate (dak);
  const ASN1_OCTET_STRING *aki_id, *ski;
  AUTHORITY_KEYID *aki;
  int days, secs;

  chain = sc_dak_issue (dak, req, DSN, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sk_X509_num (chain), ==, 5);
  leaf = sk_X509_value (chain, 0);

  /* The chain above the leaf is the DAK chain as delivered. */
  for (int i = 0; i < 4; i++)
    g_assert_cmpint (X509_cmp (sk_X509_value (chain, i + 1),
                               sk_X509_value (sc_signer_get_chain (_sc_dak_get_signer (dak)), i)), ==, 0);

  g_assert_cmpint (X509_get_version (leaf), ==, 2);
  serial = ASN1_INTEGER_to_BN (X509_get0_serialNumber (leaf), NULL);
  g_assert_false (BN_is_negative (serial));
  g_assert_cmpint (BN_num_bytes (serial), >=, 8);

  g_assert_cmpint (X509_NAME_cmp (X509_get_issuer_name (leaf), X509_get_subject_name (dak_cert)), ==, 0);
  g_assert_cmpint (X509_NAME_cmp (X509_get_subject_name (leaf), X509_REQ_get_subject_name (req)), ==, 0);
  g_assert_cmpint (EVP_PKEY_eq (X509_get0_pubkey (leaf), key), ==, 1);
  g_assert_cmpint (X509_get_signature_nid (leaf), ==, NID_ecdsa_with_SHA256);

  g_assert_true (ASN1_TIME_diff (&days, &secs, X509_get0_notBefore (leaf), X509_get0_notAfter (leaf)));
  g_assert_cmpint (days, ==, 1825);
  g_assert_cmpint (secs, ==, 0);
  g_assert_cmpint (X509_cmp_current_time (X509_get0_notBefore (leaf)), <=, 0);

  /* Exactly two extensions: AKI with the DAK's key id, and keyUsage. */
  g_assert_cmpint (X509_get_ext_count (leaf), ==, 2);
  aki = X509_get_ext_d2i (leaf, NID_authority_key_identifier, NULL, NULL);
  g_assert_nonnull (aki);
  aki_id = aki->keyid;
  ski = X509_get0_subject_key_id (dak_cert);
  g_assert_nonnull (ski);
  g_assert_cmpint (ASN1_OCTET_STRING_cmp (aki_id, ski), ==, 0);
  AUTHORITY_KEYID_free (aki);
  g_assert_cmpuint (X509_get_key_usage (leaf), ==, KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
  g_assert_cmpint (X509_get_extension_flags (leaf) & EXFLAG_CA, ==, 0);

  g_assert_true (sc_dak_is_training (dak));
  g_assert_cmpstr (sc_dak_get_dak_type (dak), ==, "Training");
}

static void
test_serials_differ (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < 50; i++)
    {
      g_autoptr(ScCertList) chain = issue (dak);
      char *hex = sc_cert_serial_hex (sk_X509_value (chain, 0));

      g_assert_false (g_hash_table_contains (seen, hex));
      g_hash_table_add (seen, hex);
    }
}

static void
test_policy_guards_signer (void)
{
  g_autoptr(CountingSigner) counting = g_object_new (COUNTING_TYPE_SIGNER, NULL);
  g_autoptr(ScDak) guarded = NULL;
  g_autoptr(ScCertList) chain = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EVP_PKEY) key = sc_key_generate (NULL);
  g_autoptr(EVP_PKEY) p384 = EVP_EC_gen ("P-384");
  g_autofree char *long_dsn = g_strnfill (SC_MAX_SUBJECT_VALUE + 1, 'A');
  /* Every kind of CSR the policy refuses, tricks included: none of them may
   * reach the signer. */
  const ScTestCsr refused[] = {
    { .dtid = "A13HOHDXTVQYZO" },
    { .dtid = "" },
    { .dsn = "G3A0PA01802300PX" },
    { .dsn = "" },
    { .key = p384 },
    { .md = EVP_sha1 () },
    { .explicit_curve = TRUE },
    { .dsn = DSN "\0;PIN:x", .dsn_len = (int) strlen (DSN) + 7 },
    { .dsn = long_dsn },
    { .multi_valued = TRUE },
    { .dtid_twice = TRUE },
    { .dtid_type = V_ASN1_IA5STRING },
    { .add_cn = TRUE },
    { .add_challenge = TRUE },
    { .ext_name = "basicConstraints", .ext_value = "critical,CA:TRUE" },
  };

  counting->inner = g_object_ref (_sc_dak_get_signer (dak));
  guarded = sc_dak_new (profile, SC_SIGNER (counting), &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(X509_REQ) req = sc_test_build_csr (&refused[i], key, DSN);

      g_assert_null (sc_dak_issue (guarded, req, DSN, NULL, &error));
      g_assert_error (error, SC_POLICY_ERROR, error->code);
      g_clear_error (&error);
      if (counting->count != 0)
        g_error ("refused CSR %u reached the signer", i);
    }

  chain = issue (guarded);
  g_assert_cmpuint (counting->count, ==, 1);
}

static void
test_subject_and_key_normalised (void)
{
  /* A compressed point in the CSR; the leaf carries it uncompressed (the
   * 91-byte SubjectPublicKeyInfo the device software uses). */
  g_autoptr(EVP_PKEY) key = sc_key_generate (NULL);
  ScTestCsr spec = { .compressed = TRUE, .dtid_type = V_ASN1_PRINTABLESTRING };
  g_autoptr(X509_REQ) req = sc_test_build_csr (&spec, key, DSN);
  g_autoptr(ScCertList) chain = NULL;
  g_autoptr(GError) error = NULL;
  X509 *leaf;
  const X509_NAME *subject;

  g_assert_cmpint (i2d_X509_PUBKEY (X509_REQ_get_X509_PUBKEY (req), NULL), ==, 59);
  chain = sc_dak_issue (dak, req, DSN, NULL, &error);
  g_assert_no_error (error);
  leaf = sk_X509_value (chain, 0);
  g_assert_cmpint (sc_test_spki_length (leaf), ==, 91);
  g_assert_cmpint (EVP_PKEY_eq (X509_get0_pubkey (leaf), key), ==, 1);

  /* The subject keeps the CSR's order, values and string types. */
  subject = X509_get_subject_name (leaf);
  g_assert_cmpint (X509_NAME_entry_count (subject), ==, 2);
  g_assert_cmpint (OBJ_obj2nid (X509_NAME_ENTRY_get_object (X509_NAME_get_entry (subject, 0))), ==, sc_nid_dsn ());
  g_assert_cmpint (ASN1_STRING_type (X509_NAME_ENTRY_get_data (X509_NAME_get_entry (subject, 1))), ==,
                   V_ASN1_PRINTABLESTRING);
  g_assert_cmpint (X509_NAME_cmp (subject, X509_REQ_get_subject_name (req)), ==, 0);
}

static void
test_chain_verifies (void)
{
  g_autoptr(ScCertList) chain = issue (dak);
  g_autoptr(GError) error = NULL;

  g_assert_true (sc_chain_verify (chain, sc_dak_get_trust_anchor (dak), SC_TRAINING_DEVICE_TYPE_ID,
                                  DSN, 0, &error));
  g_assert_no_error (error);
}

static void
test_chain_wrong_root (void)
{
  g_autofree char *other_dir = sc_test_training (NULL);
  g_autoptr(ScProfile) other_profile = sc_test_load_profile (other_dir);
  g_autoptr(ScDak) other = sc_dak_new_for_profile (other_profile, NULL);
  g_autoptr(ScCertList) chain = issue (dak);
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (other);
  g_assert_false (sc_chain_verify (chain, sc_dak_get_trust_anchor (other), SC_TRAINING_DEVICE_TYPE_ID,
                                   DSN, 0, &error));
  g_assert_error (error, SC_CHAIN_ERROR, SC_CHAIN_ERROR_UNTRUSTED);
  sc_test_rmdir (other_dir);
}

static void
test_chain_expired_dak (void)
{
  /* A DAK that is valid now but expires in a day: a leaf issued now no longer
   * verifies two days on, because of the DAK. */
  ScTrainingOptions options = { .dak_not_before = -2 * DAY, .dak_not_after = DAY };
  g_autofree char *dir = sc_test_training (&options);
  g_autoptr(ScProfile) p = sc_test_load_profile (dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(ScDak) short_lived = sc_dak_new_for_profile (p, &error);
  g_autoptr(ScCertList) chain = NULL;

  g_assert_no_error (error);
  chain = issue (short_lived);
  g_assert_false (sc_chain_verify (chain, sc_dak_get_trust_anchor (short_lived),
                                   SC_TRAINING_DEVICE_TYPE_ID, DSN, time (NULL) + 2 * DAY, &error));
  g_assert_error (error, SC_CHAIN_ERROR, SC_CHAIN_ERROR_EXPIRED);
  g_assert_nonnull (strstr (error->message, "certificate 1"));
  sc_test_rmdir (dir);
}

static void
test_expired_dak_refused (void)
{
  ScTrainingOptions options = { .dak_not_before = -10 * DAY, .dak_not_after = -DAY };
  g_autofree char *dir = sc_test_training (&options);
  g_autoptr(ScProfile) p = sc_test_load_profile (dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(ScDak) expired = sc_dak_new_for_profile (p, &error);

  g_assert_null (expired);
  g_assert_error (error, SC_DAK_ERROR, SC_DAK_ERROR_CHAIN);
  g_assert_nonnull (strstr (error->message, "expired"));
  sc_test_rmdir (dir);
}

static void
test_chain_wrong_device_type (void)
{
  g_autoptr(ScCertList) chain = issue (dak);
  g_autoptr(GError) error = NULL;

  g_assert_false (sc_chain_verify (chain, sc_dak_get_trust_anchor (dak), "A13HOHDXTVQYZO",
                                   DSN, 0, &error));
  g_assert_error (error, SC_CHAIN_ERROR, SC_CHAIN_ERROR_DEVICE_TYPE_ID);
}

static void
test_chain_wrong_dsn (void)
{
  g_autoptr(ScCertList) chain = issue (dak);
  g_autoptr(GError) error = NULL;

  g_assert_false (sc_chain_verify (chain, sc_dak_get_trust_anchor (dak), SC_TRAINING_DEVICE_TYPE_ID,
                                   "G3A0PA01802300PX", 0, &error));
  g_assert_error (error, SC_CHAIN_ERROR, SC_CHAIN_ERROR_DSN);
}

static void
test_chain_broken_signature (void)
{
  g_autoptr(ScCertList) chain = issue (dak);
  g_autoptr(X509) broken = NULL;
  g_autoptr(GError) error = NULL;
  guint8 *der = NULL;
  const guint8 *p;
  int len = i2d_X509 (sk_X509_value (chain, 0), &der);

  der[len - 1] ^= 0x01;
  p = der;
  broken = d2i_X509 (NULL, &p, len);
  OPENSSL_free (der);
  g_assert_nonnull (broken);

  X509_free (sk_X509_value (chain, 0));
  sk_X509_set (chain, 0, g_steal_pointer (&broken));
  g_assert_false (sc_chain_verify (chain, sc_dak_get_trust_anchor (dak), SC_TRAINING_DEVICE_TYPE_ID,
                                   DSN, 0, &error));
  g_assert_error (error, SC_CHAIN_ERROR, SC_CHAIN_ERROR_BAD_SIGNATURE);
}

static void
test_chain_order (void)
{
  g_autoptr(ScCertList) chain = issue (dak);
  g_autoptr(GError) error = NULL;
  X509 *a = sk_X509_value (chain, 2);
  g_autoptr(X509) extra = NULL;

  /* Swap the product and vendor CAs: OpenSSL still finds a path, but the
   * chain is not the one a device must store. */
  sk_X509_set (chain, 2, sk_X509_value (chain, 3));
  sk_X509_set (chain, 3, a);
  g_assert_false (sc_chain_verify (chain, sc_dak_get_trust_anchor (dak), SC_TRAINING_DEVICE_TYPE_ID,
                                   DSN, 0, &error));
  g_assert_error (error, SC_CHAIN_ERROR, SC_CHAIN_ERROR_MALFORMED);
  g_clear_error (&error);
  sk_X509_set (chain, 3, sk_X509_value (chain, 2));
  sk_X509_set (chain, 2, a);

  /* Back in order it verifies; with an extra certificate at the end it does not. */
  g_assert_true (sc_chain_verify (chain, sc_dak_get_trust_anchor (dak), SC_TRAINING_DEVICE_TYPE_ID,
                                  DSN, 0, &error));
  g_assert_no_error (error);
  extra = X509_dup (sk_X509_value (chain, 1));
  sk_X509_push (chain, g_steal_pointer (&extra));
  g_assert_false (sc_chain_verify (chain, sc_dak_get_trust_anchor (dak), SC_TRAINING_DEVICE_TYPE_ID,
                                   DSN, 0, &error));
  g_assert_error (error, SC_CHAIN_ERROR, SC_CHAIN_ERROR_MALFORMED);
}

static void
test_chain_too_short (void)
{
  g_autoptr(ScCertList) chain = issue (dak);
  g_autoptr(ScCertList) leaf_only = sk_X509_new_null ();
  g_autoptr(GError) error = NULL;

  X509_up_ref (sk_X509_value (chain, 0));
  sk_X509_push (leaf_only, sk_X509_value (chain, 0));
  g_assert_false (sc_chain_verify (leaf_only, sc_dak_get_trust_anchor (dak), SC_TRAINING_DEVICE_TYPE_ID,
                                   DSN, 0, &error));
  g_assert_error (error, SC_CHAIN_ERROR, SC_CHAIN_ERROR_MALFORMED);
}

static void
test_wrong_product (void)
{
  ScTrainingOptions options = { .device_type_id = "A13HOHDXTVQYZO" };
  g_autofree char *dir = sc_test_training (&options);
  g_autofree char *key = g_build_filename (dir, "dak.key", NULL);
  g_autofree char *chain = g_build_filename (dir, "dak-chain.pem", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(ScSigner) signer = sc_software_signer_new (key, chain, &error);
  g_autoptr(ScDak) wrong = NULL;

  g_assert_no_error (error);
  wrong = sc_dak_new (profile, signer, &error);
  g_assert_null (wrong);
  g_assert_error (error, SC_DAK_ERROR, SC_DAK_ERROR_WRONG_PRODUCT);
  sc_test_rmdir (dir);
}

static void
test_key_chain_mismatch (void)
{
  g_autofree char *other_dir = sc_test_training (NULL);
  g_autofree char *key = g_build_filename (other_dir, "dak.key", NULL);
  g_autofree char *chain = g_build_filename (training_dir, "dak-chain.pem", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(ScSigner) signer = sc_software_signer_new (key, chain, &error);

  g_assert_null (signer);
  g_assert_error (error, SC_DAK_ERROR, SC_DAK_ERROR_KEY);
  sc_test_rmdir (other_dir);
}

static void
test_key_file_mode (void)
{
  g_autofree char *dir = sc_test_training (NULL);
  g_autofree char *key = g_build_filename (dir, "dak.key", NULL);
  g_autofree char *chain = g_build_filename (dir, "dak-chain.pem", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(ScSigner) signer = NULL;
  GStatBuf st;

  g_assert_cmpint (g_stat (key, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  g_assert_cmpint (g_chmod (key, 0644), ==, 0);
  signer = sc_software_signer_new (key, chain, &error);
  g_assert_null (signer);
  g_assert_error (error, SC_DAK_ERROR, SC_DAK_ERROR_INSECURE);
  g_clear_error (&error);

  /* A symbolic link to a private key is refused too: the check is made on
   * the file that is read. */
  {
    g_autofree char *link = g_build_filename (dir, "link.key", NULL);

    g_assert_cmpint (g_chmod (key, 0600), ==, 0);
    g_assert_cmpint (symlink (key, link), ==, 0);
    g_assert_null (sc_software_signer_new (link, chain, &error));
    g_assert_error (error, SC_DAK_ERROR, SC_DAK_ERROR_KEY);
  }
  sc_test_rmdir (dir);
}

static void
test_fingerprint_anchor (void)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autofree char *path = g_build_filename (training_dir, "product.profile", NULL);
  g_autofree char *fp = sc_cert_fingerprint_hex (sc_dak_get_trust_anchor (dak));
  g_autofree char *value = g_strconcat ("sha256:", fp, NULL);
  g_autofree char *data = NULL;
  g_autoptr(ScProfile) by_fp = NULL;
  g_autoptr(ScDak) d = NULL;
  g_autoptr(ScCertList) chain = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, NULL));
  g_key_file_set_value (kf, "dak", "trust-anchor", value);
  data = g_key_file_to_data (kf, NULL, NULL);
  by_fp = sc_profile_new_from_data (data, -1, training_dir, &error);
  g_assert_no_error (error);
  d = sc_dak_new_for_profile (by_fp, &error);
  g_assert_no_error (error);
  g_assert_cmpint (X509_cmp (sc_dak_get_trust_anchor (d), sc_dak_get_trust_anchor (dak)), ==, 0);
  chain = issue (d);
  g_clear_pointer (&chain, sc_certs_free);
  g_clear_object (&by_fp);
  g_clear_object (&d);

  /* The Amazon root's fingerprint is in no training chain. */
  g_key_file_set_value (kf, "dak", "trust-anchor",
                        "sha256:9A1E8C60EF739785A2513AC477060ECF378285BAB0F87EF829AEBBD3EC7FAFDA");
  g_free (data);
  data = g_key_file_to_data (kf, NULL, NULL);
  by_fp = sc_profile_new_from_data (data, -1, training_dir, &error);
  g_assert_no_error (error);
  d = sc_dak_new_for_profile (by_fp, &error);
  g_assert_null (d);
  g_assert_error (error, SC_DAK_ERROR, SC_DAK_ERROR_CHAIN);
}

static ScProfile *
profile_with_dak_uri (const char *uri)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autofree char *path = g_build_filename (training_dir, "product.profile", NULL);
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  ScProfile *result;

  g_assert_true (g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, NULL));
  g_key_file_set_value (kf, "dak", "uri", uri);
  data = g_key_file_to_data (kf, NULL, NULL);
  result = sc_profile_new_from_data (data, -1, training_dir, &error);
  g_assert_no_error (error);
  return result;
}

static void
test_not_supported (void)
{
  g_autoptr(ScProfile) p11 = profile_with_dak_uri ("pkcs11:token=DAK;object=dak");
  g_autoptr(ScDak) d = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (sc_profile_get_dak_kind (p11), ==, SC_DAK_KIND_PKCS11);
  d = sc_dak_new_for_profile (p11, &error);
  g_assert_null (d);
  g_assert_error (error, SC_DAK_ERROR, SC_DAK_ERROR_NOT_SUPPORTED);
}

/* A YubiKey that is not plugged in (no pcscd at all here): the DAK opens,
 * says the token is absent, and signing refuses with a sentence saying what
 * to plug in. The real token paths run against a virtual YubiKey behind a
 * real pcscd in tests/yubikey. */
static void
test_yubikey_absent (void)
{
  g_autoptr(ScProfile) yk = profile_with_dak_uri ("yubikey://12345678?slot=9c");
  g_autoptr(ScDak) d = NULL;
  g_autoptr(ScSignerStatus) status = NULL;
  g_autoptr(ScSecret) pin = sc_secret_new_from_string ("123456");
  g_autoptr(ScSecret) short_pin = sc_secret_new_from_string ("12345");
  g_autoptr(GError) error = NULL;
  g_autoptr(X509_REQ) csr = NULL;
  g_autofree char *text = NULL;
  STACK_OF (X509) *issued;

  g_setenv ("PCSCLITE_CSOCK_NAME", "/nonexistent/pcscd.comm", TRUE);
  g_assert_cmpint (sc_profile_get_dak_kind (yk), ==, SC_DAK_KIND_YUBIKEY);
  d = sc_dak_new_for_profile (yk, &error);
  g_assert_no_error (error);

  text = sc_signer_describe (sc_dak_get_signer (d));
  g_assert_cmpstr (text, ==, "YubiKey 12345678, PIV slot 9c");
  status = sc_signer_get_status (sc_dak_get_signer (d));
  g_assert_false (status->present);
  g_assert_true (status->needs_pin);
  g_assert_false (status->unlocked);
  g_assert_cmpint (status->pin_retries, ==, -1);
  g_assert_cmpstr (status->token_serial, ==, "12345678");
  g_assert_cmpstr (status->slot, ==, "9c");

  /* A malformed PIN is refused before anything is sent. */
  g_assert_false (sc_signer_unlock (sc_dak_get_signer (d), short_pin, NULL, &error));
  g_assert_error (error, SC_DAK_ERROR, SC_DAK_ERROR_PIN_WRONG);
  g_assert_nonnull (strstr (error->message, "no try was used"));
  g_clear_error (&error);
  g_assert_false (sc_signer_unlock (sc_dak_get_signer (d), pin, NULL, &error));
  g_assert_error (error, SC_DAK_ERROR, SC_DAK_ERROR_TOKEN_LOST);
  g_assert_nonnull (strstr (error->message, "Start pcscd, then plug in the token"));
  g_clear_error (&error);

  csr = make_csr (DSN, NULL);
  issued = sc_dak_issue (d, csr, DSN, NULL, &error);
  g_assert_null (issued);
  g_assert_error (error, SC_DAK_ERROR, SC_DAK_ERROR_TOKEN_LOST);
}

static void
issued_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  STACK_OF (X509) **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = sc_dak_issue_finish (SC_DAK (object), result, &error);
  g_assert_no_error (error);
}

static void
test_issue_async (void)
{
  g_autoptr(X509_REQ) req = make_csr (DSN, NULL);
  STACK_OF (X509) *chain = NULL;

  sc_dak_issue_async (dak, req, DSN, NULL, issued_cb, &chain);
  while (chain == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (sk_X509_num (chain), ==, 5);
  sc_certs_free (chain);
}

static void
test_training_refuses_overwrite (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *key = g_build_filename (training_dir, "dak.key", NULL);

  g_assert_true (g_file_get_contents (key, &before, NULL, NULL));
  g_assert_false (sc_training_create (training_dir, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_assert_true (g_file_get_contents (key, &after, NULL, NULL));
  g_assert_cmpstr (before, ==, after);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);

  training_dir = sc_test_training (NULL);
  profile = sc_test_load_profile (training_dir);
  dak = sc_dak_new_for_profile (profile, &error);
  g_assert_no_error (error);

  g_test_add_func ("/sc/dak/issue-profile", test_issue_profile);
  g_test_add_func ("/sc/dak/serials-differ", test_serials_differ);
  g_test_add_func ("/sc/dak/policy-guards-signer", test_policy_guards_signer);
  g_test_add_func ("/sc/dak/issue-async", test_issue_async);
  g_test_add_func ("/sc/dak/wrong-product", test_wrong_product);
  g_test_add_func ("/sc/dak/key-chain-mismatch", test_key_chain_mismatch);
  g_test_add_func ("/sc/dak/key-file-mode", test_key_file_mode);
  g_test_add_func ("/sc/dak/fingerprint-anchor", test_fingerprint_anchor);
  g_test_add_func ("/sc/dak/expired-dak-refused", test_expired_dak_refused);
  g_test_add_func ("/sc/dak/not-supported", test_not_supported);
  g_test_add_func ("/sc/dak/yubikey-absent", test_yubikey_absent);
  g_test_add_func ("/sc/dak/training-refuses-overwrite", test_training_refuses_overwrite);
  g_test_add_func ("/sc/chain/verifies", test_chain_verifies);
  g_test_add_func ("/sc/chain/wrong-root", test_chain_wrong_root);
  g_test_add_func ("/sc/chain/expired-dak", test_chain_expired_dak);
  g_test_add_func ("/sc/chain/wrong-device-type", test_chain_wrong_device_type);
  g_test_add_func ("/sc/chain/wrong-dsn", test_chain_wrong_dsn);
  g_test_add_func ("/sc/chain/broken-signature", test_chain_broken_signature);
  g_test_add_func ("/sc/chain/too-short", test_chain_too_short);
  g_test_add_func ("/sc/chain/order", test_chain_order);
  g_test_add_func ("/sc/dak/subject-and-key-normalised", test_subject_and_key_normalised);

  ret = g_test_run ();

  g_object_unref (dak);
  g_object_unref (profile);
  sc_test_rmdir (training_dir);
  g_free (training_dir);
  return ret;
}
