/* sc-key.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/pem.h>

#include "sc-crypto-private.h"
#include "sc-key.h"

/* DER of SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING (34 bytes) }
 * up to the first byte of the compressed point. */
static const guint8 spki_p256_compressed_prefix[] = {
  0x30, 0x39, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
  0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x22, 0x00,
};
#define SPKI_COMPRESSED_LEN (sizeof spki_p256_compressed_prefix + 33)

/* The same with the point uncompressed (65 bytes, 0x04 first). */
static const guint8 spki_p256_uncompressed_prefix[] = {
  0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
  0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
};
#define SPKI_UNCOMPRESSED_LEN (sizeof spki_p256_uncompressed_prefix + 65)

/* A P-256 public key from its point (33 or 65 octets), imported through
 * the provider: OpenSSL 3's DER decoders look up every decoder there is on
 * each call (about 1.6 million instructions a key, against a few
 * thousand). The import checks the point is on the curve. */
static EVP_PKEY *
p256_from_point (const guint8 *point,
                 gsize         len)
{
  static char group[] = "prime256v1";
  OSSL_PARAM params[] = {
    OSSL_PARAM_utf8_string (OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
    OSSL_PARAM_octet_string (OSSL_PKEY_PARAM_PUB_KEY, (void *) point, len),
    OSSL_PARAM_END,
  };
  g_autoptr(EVP_PKEY_CTX) ctx = EVP_PKEY_CTX_new_from_name (NULL, "EC", NULL);
  EVP_PKEY *key = NULL;

  if (ctx == NULL || EVP_PKEY_fromdata_init (ctx) <= 0 ||
      EVP_PKEY_fromdata (ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
    {
      ERR_clear_error ();
      return NULL;
    }
  return key;
}

/**
 * sc_key_load_public_der:
 *
 * A public key from its DER SubjectPublicKeyInfo, all of @der and nothing
 * more. P-256 keys take a fast path.
 *
 * Returns: (transfer full) (nullable): the key, or %NULL if @der is not one.
 */
EVP_PKEY *
sc_key_load_public_der (const guint8 *der,
                        gsize         len)
{
  const guint8 *q = der;
  EVP_PKEY *key;

  g_return_val_if_fail (der != NULL || len == 0, NULL);

  if (len == SPKI_UNCOMPRESSED_LEN &&
      memcmp (der, spki_p256_uncompressed_prefix, sizeof spki_p256_uncompressed_prefix) == 0 &&
      der[sizeof spki_p256_uncompressed_prefix] == 0x04)
    return p256_from_point (der + sizeof spki_p256_uncompressed_prefix, 65);

  key = d2i_PUBKEY (NULL, &q, (long) len);
  if (key != NULL && q != der + len)
    g_clear_pointer (&key, EVP_PKEY_free);
  ERR_clear_error ();
  return key;
}

EVP_PKEY *
sc_key_generate (GError **error)
{
  EVP_PKEY *key = EVP_EC_gen ("P-256");

  if (key == NULL)
    _sc_set_openssl_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_FAILED,
                           _("Cannot generate a P-256 key"));
  return key;
}

gboolean
sc_key_is_p256 (EVP_PKEY *key)
{
  char group[64];
  size_t len = 0;

  g_return_val_if_fail (key != NULL, FALSE);

  if (EVP_PKEY_get_base_id (key) != EVP_PKEY_EC)
    return FALSE;
  if (!EVP_PKEY_get_utf8_string_param (key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len))
    return FALSE;
  if (!g_str_equal (group, "prime256v1") && !g_str_equal (group, "P-256"))
    return FALSE;
  /* OpenSSL names the group even for a key given with explicit curve
   * parameters; those are never accepted. */
  len = 0;
  if (EVP_PKEY_get_utf8_string_param (key, OSSL_PKEY_PARAM_EC_ENCODING, group, sizeof group, &len) &&
      !g_str_equal (group, OSSL_PKEY_EC_ENCODING_GROUP))
    return FALSE;
  return TRUE;
}

ScSecret *
sc_key_to_private_pem (EVP_PKEY  *key,
                       GError   **error)
{
  g_autoptr(BIO) bio = BIO_new (BIO_s_secmem ());
  char *data = NULL;
  long len;

  g_return_val_if_fail (key != NULL, NULL);

  if (bio == NULL || !PEM_write_bio_PKCS8PrivateKey (bio, key, NULL, NULL, 0, NULL, NULL))
    {
      _sc_set_openssl_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_FAILED,
                             _("Cannot encode the private key"));
      return NULL;
    }
  len = BIO_get_mem_data (bio, &data);
  return sc_secret_new (data, len);
}

ScSecret *
sc_key_to_private_der (EVP_PKEY  *key,
                       GError   **error)
{
  g_autoptr(BIO) bio = BIO_new (BIO_s_secmem ());
  char *data = NULL;
  long len;

  g_return_val_if_fail (key != NULL, NULL);

  if (bio == NULL || !i2d_PKCS8PrivateKey_bio (bio, key, NULL, NULL, 0, NULL, NULL))
    {
      _sc_set_openssl_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_FAILED,
                             _("Cannot encode the private key"));
      return NULL;
    }
  len = BIO_get_mem_data (bio, &data);
  return sc_secret_new (data, len);
}

EVP_PKEY *
sc_key_load_private (const guint8  *data,
                     gsize          len,
                     GError       **error)
{
  g_autoptr(BIO) bio = NULL;
  EVP_PKEY *key = NULL;

  g_return_val_if_fail (data != NULL, NULL);

  if (len > SC_MAX_PEM_INPUT)
    {
      g_set_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_MALFORMED,
                   _("The private key data is too large"));
      return NULL;
    }

  bio = BIO_new_mem_buf (data, (int) len);
  if (len > 10 && memmem (data, len, "-----BEGIN", 10) != NULL)
    key = PEM_read_bio_PrivateKey (bio, NULL, NULL, (void *) "");
  else
    {
      const guint8 *p = data;
      key = d2i_AutoPrivateKey (NULL, &p, (long) len);
    }

  if (key == NULL)
    _sc_set_openssl_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_MALFORMED,
                           _("The private key cannot be read (it must be an unencrypted PEM or DER key)"));
  return key;
}

static gboolean
compressed_spki (EVP_PKEY  *key,
                 guint8     out[SPKI_COMPRESSED_LEN],
                 GError   **error)
{
  g_autoptr(BIGNUM) x = NULL;
  g_autoptr(BIGNUM) y = NULL;

  if (!sc_key_is_p256 (key))
    {
      g_set_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_MALFORMED,
                   _("The key is not a P-256 key"));
      return FALSE;
    }

  if (!EVP_PKEY_get_bn_param (key, OSSL_PKEY_PARAM_EC_PUB_X, &x) ||
      !EVP_PKEY_get_bn_param (key, OSSL_PKEY_PARAM_EC_PUB_Y, &y))
    {
      _sc_set_openssl_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_FAILED,
                             _("Cannot read the public key"));
      return FALSE;
    }

  memcpy (out, spki_p256_compressed_prefix, sizeof spki_p256_compressed_prefix);
  out[sizeof spki_p256_compressed_prefix] = BN_is_odd (y) ? 0x03 : 0x02;
  if (BN_bn2binpad (x, out + sizeof spki_p256_compressed_prefix + 1, 32) != 32)
    {
      _sc_set_openssl_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_FAILED,
                             _("Cannot encode the public key"));
      return FALSE;
    }
  return TRUE;
}

char *
sc_key_get_puk (EVP_PKEY  *key,
                GError   **error)
{
  guint8 spki[SPKI_COMPRESSED_LEN];

  g_return_val_if_fail (key != NULL, NULL);

  if (!compressed_spki (key, spki, error))
    return NULL;
  return g_base64_encode (spki, sizeof spki);
}

EVP_PKEY *
sc_puk_decode (const char  *puk,
               GError     **error)
{
  static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  g_autofree guint8 *der = NULL;
  g_autoptr(EVP_PKEY) key = NULL;
  g_autoptr(EVP_PKEY_CTX) ctx = NULL;
  g_autofree char *again = NULL;
  gsize len, i;

  g_return_val_if_fail (puk != NULL, NULL);

  len = strlen (puk);
  if (len != SC_PUK_LENGTH)
    {
      g_set_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_MALFORMED,
                   _("A PUK has %d characters, this one has %zu"), SC_PUK_LENGTH, len);
      return NULL;
    }
  /* 59 bytes encode to 79 characters and one “=”. */
  for (i = 0; i < len - 1; i++)
    if (strchr (b64, puk[i]) == NULL || puk[i] == '\0')
      break;
  if (i != len - 1 || puk[len - 1] != '=')
    {
      g_set_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_MALFORMED,
                   _("The PUK is not base64 of 59 bytes (bad character at position %zu)"),
                   i + 1);
      return NULL;
    }

  der = g_base64_decode (puk, &len);
  if (len != SPKI_COMPRESSED_LEN ||
      memcmp (der, spki_p256_compressed_prefix, sizeof spki_p256_compressed_prefix) != 0 ||
      (der[sizeof spki_p256_compressed_prefix] != 0x02 && der[sizeof spki_p256_compressed_prefix] != 0x03))
    {
      g_set_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_MALFORMED,
                   _("The PUK is not a compressed P-256 public key"));
      return NULL;
    }

  key = p256_from_point (der + sizeof spki_p256_compressed_prefix, 33);
  if (key == NULL)
    {
      _sc_set_openssl_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_MALFORMED,
                             _("The PUK’s public key is not a point on P-256"));
      return NULL;
    }

  ctx = EVP_PKEY_CTX_new_from_pkey (NULL, key, NULL);
  if (ctx == NULL || EVP_PKEY_public_check (ctx) != 1)
    {
      _sc_set_openssl_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_MALFORMED,
                             _("The PUK’s public key fails the P-256 public key check"));
      return NULL;
    }

  /* Canonical form only: the same key must give back the same text. */
  again = sc_key_get_puk (key, NULL);
  if (again == NULL || strcmp (again, puk) != 0)
    {
      g_set_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_MALFORMED,
                   _("The PUK is not in canonical form"));
      return NULL;
    }

  return g_steal_pointer (&key);
}

char *
sc_key_fingerprint (EVP_PKEY *key)
{
  g_autofree guint8 *der = NULL;
  g_autoptr(BIGNUM) x = NULL;
  g_autoptr(BIGNUM) y = NULL;
  guint8 *p = NULL;
  int len;

  g_return_val_if_fail (key != NULL, NULL);

  /* P-256, the only kind a unit has: the DER written here, as i2d_PUBKEY()
   * writes it, without OpenSSL 3's encoder lookup on every call. */
  if (sc_key_is_p256 (key) &&
      EVP_PKEY_get_bn_param (key, OSSL_PKEY_PARAM_EC_PUB_X, &x) &&
      EVP_PKEY_get_bn_param (key, OSSL_PKEY_PARAM_EC_PUB_Y, &y))
    {
      guint8 spki[SPKI_UNCOMPRESSED_LEN];
      guint8 *point = spki + sizeof spki_p256_uncompressed_prefix;

      memcpy (spki, spki_p256_uncompressed_prefix, sizeof spki_p256_uncompressed_prefix);
      point[0] = 0x04;
      if (BN_bn2binpad (x, point + 1, 32) == 32 && BN_bn2binpad (y, point + 33, 32) == 32)
        return g_compute_checksum_for_data (G_CHECKSUM_SHA256, spki, sizeof spki);
    }
  ERR_clear_error ();

  len = i2d_PUBKEY (key, &p);
  g_assert (len > 0);
  der = g_memdup2 (p, len);
  OPENSSL_free (p);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, der, len);
}
