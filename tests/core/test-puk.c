/* test-puk.c: the PUK (compressed-point SubjectPublicKeyInfo, base64)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>

#include "sc-test-util.h"

#define PREFIX "MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgA"

/* The three public sample payloads of the spec, section 3. */
static const char *spec_puks[] = {
  "MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgADLZXG+MzHkCUT1F88yQpaiDW7vu8XDSIhJwsVr2bmmag=",
  "MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgACcQ0JiaZzVKrdzKISuBnsSHbioyE9Jo2tUfQdE1gFcGE=",
};

static void
test_from_key (void)
{
  for (guint i = 0; i < 200; i++)
    {
      g_autoptr(EVP_PKEY) key = sc_key_generate (NULL);
      g_autoptr(EVP_PKEY) back = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *puk = sc_key_get_puk (key, &error);
      guint8 point[65];
      size_t len = 0;
      g_autofree guint8 *der = NULL;
      gsize der_len;

      g_assert_no_error (error);
      g_assert_cmpuint (strlen (puk), ==, SC_PUK_LENGTH);
      g_assert_true (g_str_has_prefix (puk, PREFIX));
      g_assert_true (puk[strlen (PREFIX)] == 'C' || puk[strlen (PREFIX)] == 'D');

      /* The compressed point is the uncompressed one's X with the parity of Y. */
      g_assert_true (EVP_PKEY_get_octet_string_param (key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len));
      g_assert_cmpuint (len, ==, 65);
      der = g_base64_decode (puk, &der_len);
      g_assert_cmpuint (der_len, ==, 59);
      g_assert_cmpuint (der[26], ==, (point[64] & 1) ? 0x03 : 0x02);
      g_assert_cmpmem (der + 27, 32, point + 1, 32);

      back = sc_puk_decode (puk, &error);
      g_assert_no_error (error);
      g_assert_cmpint (EVP_PKEY_eq (back, key), ==, 1);
    }
}

static void
test_spec_samples (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (spec_puks); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(EVP_PKEY) key = sc_puk_decode (spec_puks[i], &error);

      g_assert_no_error (error);
      g_assert_true (sc_key_is_p256 (key));
    }
}

static void
assert_bad (const char *puk)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EVP_PKEY) key = sc_puk_decode (puk, &error);

  g_assert_null (key);
  g_assert_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_MALFORMED);
}

static void
test_malformed (void)
{
  g_autofree char *wrapped = NULL;
  g_autofree char *uncompressed = NULL;
  g_autoptr(EVP_PKEY) key = sc_key_generate (NULL);
  g_autofree guint8 *der = NULL;
  gsize len;
  guint off_curve = 0;

  assert_bad ("");
  assert_bad (PREFIX);
  /* One character too many, one too few. */
  assert_bad ("MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgADLZXG+MzHkCUT1F88yQpaiDW7vu8XDSIhJwsVr2bmmag==");
  assert_bad ("MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgADLZXG+MzHkCUT1F88yQpaiDW7vu8XDSIhJwsVr2bmmag");
  /* URL-safe alphabet, white space, a line break from the openssl recipe. */
  assert_bad ("MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgADLZXG-MzHkCUT1F88yQpaiDW7vu8XDSIhJwsVr2bmmag=");
  assert_bad ("MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgADLZXG MzHkCUT1F88yQpaiDW7vu8XDSIhJwsVr2bmmag=");
  wrapped = g_strdup ("MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgADLZXG+MzHkCUT1F88yQpaiDW7vu8X\nSIhJwsVr2bmmag=");
  assert_bad (wrapped);
  /* P-384 prefix byte changed, and the point prefix 04 (uncompressed). */
  assert_bad ("MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQgDIgADLZXG+MzHkCUT1F88yQpaiDW7vu8XDSIhJwsVr2bmmag=");
  assert_bad ("MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgAELZXG+MzHkCUT1F88yQpaiDW7vu8XDSIhJwsVr2bmmag=");

  /* An X with no point on the curve: about half of all X values. */
  uncompressed = g_strdup (spec_puks[0]);
  der = g_base64_decode (uncompressed, &len);
  for (guint i = 0; i < 256 && off_curve == 0; i++)
    {
      g_autofree char *candidate = NULL;
      g_autoptr(EVP_PKEY) k = NULL;

      der[58] = (guint8) i;
      candidate = g_base64_encode (der, len);
      k = sc_puk_decode (candidate, NULL);
      if (k == NULL)
        {
          off_curve++;
          assert_bad (candidate);
        }
    }
  g_assert_cmpuint (off_curve, >, 0);
}

static void
test_not_p256 (void)
{
  g_autoptr(EVP_PKEY) p384 = EVP_EC_gen ("P-384");
  g_autoptr(GError) error = NULL;
  g_autofree char *puk = sc_key_get_puk (p384, &error);

  g_assert_null (puk);
  g_assert_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_MALFORMED);
}

static void
test_private_pem_roundtrip (void)
{
  g_autoptr(EVP_PKEY) key = sc_key_generate (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(ScSecret) pem = sc_key_to_private_pem (key, &error);
  g_autoptr(EVP_PKEY) back = NULL;

  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (sc_secret_get_string (pem), "-----BEGIN PRIVATE KEY-----"));
  back = sc_key_load_private (sc_secret_get_data (pem, NULL), sc_secret_get_size (pem), &error);
  g_assert_no_error (error);
  g_assert_cmpint (EVP_PKEY_eq (back, key), ==, 1);

  g_assert_null (sc_key_load_private ((const guint8 *) "-----BEGIN PRIVATE KEY-----\nAAAA\n", 33, &error));
  g_assert_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_MALFORMED);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sc/puk/from-key", test_from_key);
  g_test_add_func ("/sc/puk/spec-samples", test_spec_samples);
  g_test_add_func ("/sc/puk/malformed", test_malformed);
  g_test_add_func ("/sc/puk/not-p256", test_not_p256);
  g_test_add_func ("/sc/key/private-pem-roundtrip", test_private_pem_roundtrip);

  return g_test_run ();
}
