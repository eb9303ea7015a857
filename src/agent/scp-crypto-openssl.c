/* scp-crypto-openssl.c: the agent's crypto port on OpenSSL 3 (EVP only)
 *
 * Keys cross the port as DER: SEC1 ECPrivateKey or PKCS#8 PrivateKeyInfo on
 * input, PKCS#8 on output. Public keys leave as a named-curve
 * SubjectPublicKeyInfo with an uncompressed point (91 bytes for P-256), so
 * byte comparison between a key and a certificate is meaningful.
 *
 * SPDX-License-Identifier: MIT
 */
#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "scp-agent.h"

#define OID_DSN  "1.3.6.1.4.1.4843.1.1"
#define OID_DTID "1.3.6.1.4.1.4843.1.3"

static int
crypto_random (void *ctx, uint8_t *buf, size_t len)
{
  (void) ctx;
  if (len > INT_MAX)
    return -1;
  return RAND_bytes (buf, (int) len) == 1 ? 0 : -1;
}

static int
crypto_sha256 (void *ctx, const uint8_t *data, size_t len, uint8_t out[32])
{
  (void) ctx;
  if (EVP_Digest (data, len, out, NULL, EVP_sha256 (), NULL) != 1)
    {
      ERR_clear_error ();
      return -1;
    }
  return 0;
}

static int
crypto_hkdf_sha256 (void *ctx, const uint8_t *ikm, size_t ikm_len, const uint8_t *salt,
                    size_t salt_len, const uint8_t *info, size_t info_len, uint8_t *out,
                    size_t out_len)
{
  EVP_KDF *kdf;
  EVP_KDF_CTX *kctx = NULL;
  OSSL_PARAM params[5], *p = params;
  int ok = 0;

  (void) ctx;
  kdf = EVP_KDF_fetch (NULL, OSSL_KDF_NAME_HKDF, NULL);
  if (kdf != NULL)
    kctx = EVP_KDF_CTX_new (kdf);
  if (kctx != NULL)
    {
      *p++ = OSSL_PARAM_construct_utf8_string (OSSL_KDF_PARAM_DIGEST, (char *) "SHA256", 0);
      *p++ = OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_KEY, (void *) ikm, ikm_len);
      *p++ = OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_SALT, (void *) salt, salt_len);
      *p++ = OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_INFO, (void *) info, info_len);
      *p = OSSL_PARAM_construct_end ();
      ok = EVP_KDF_derive (kctx, out, out_len, params) == 1;
    }
  EVP_KDF_CTX_free (kctx);
  EVP_KDF_free (kdf);
  if (!ok)
    {
      OPENSSL_cleanse (out, out_len);
      ERR_clear_error ();
    }
  return ok ? 0 : -1;
}

static int
crypto_aes_gcm_encrypt (void *ctx, const uint8_t key[32], const uint8_t iv[12], const uint8_t *aad,
                        size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
                        uint8_t tag[16])
{
  EVP_CIPHER_CTX *c;
  OSSL_PARAM params[2];
  int n, ok = 0;

  (void) ctx;
  if (len > INT_MAX || aad_len > INT_MAX)
    return -1;
  c = EVP_CIPHER_CTX_new ();
  if (c != NULL &&
      EVP_EncryptInit_ex2 (c, EVP_aes_256_gcm (), key, iv, NULL) == 1 &&
      EVP_EncryptUpdate (c, NULL, &n, aad, (int) aad_len) == 1 &&
      EVP_EncryptUpdate (c, out, &n, in, (int) len) == 1 &&
      EVP_EncryptFinal_ex (c, out + n, &n) == 1)
    {
      params[0] = OSSL_PARAM_construct_octet_string (OSSL_CIPHER_PARAM_AEAD_TAG, tag, 16);
      params[1] = OSSL_PARAM_construct_end ();
      ok = EVP_CIPHER_CTX_get_params (c, params) == 1;
    }
  EVP_CIPHER_CTX_free (c);
  if (!ok)
    {
      OPENSSL_cleanse (out, len);
      ERR_clear_error ();
    }
  return ok ? 0 : -1;
}

static int
crypto_aes_gcm_decrypt (void *ctx, const uint8_t key[32], const uint8_t iv[12], const uint8_t *aad,
                        size_t aad_len, const uint8_t *in, size_t len, const uint8_t tag[16],
                        uint8_t *out)
{
  EVP_CIPHER_CTX *c;
  OSSL_PARAM params[2];
  uint8_t tag_copy[16];
  int n, ok = 0;

  (void) ctx;
  if (len > INT_MAX || aad_len > INT_MAX)
    return -1;
  memcpy (tag_copy, tag, sizeof tag_copy);
  params[0] = OSSL_PARAM_construct_octet_string (OSSL_CIPHER_PARAM_AEAD_TAG, tag_copy,
                                                 sizeof tag_copy);
  params[1] = OSSL_PARAM_construct_end ();
  c = EVP_CIPHER_CTX_new ();
  if (c != NULL &&
      EVP_DecryptInit_ex2 (c, EVP_aes_256_gcm (), key, iv, NULL) == 1 &&
      EVP_DecryptUpdate (c, NULL, &n, aad, (int) aad_len) == 1 &&
      EVP_DecryptUpdate (c, out, &n, in, (int) len) == 1 &&
      EVP_CIPHER_CTX_set_params (c, params) == 1 &&
      EVP_DecryptFinal_ex (c, out + n, &n) == 1)
    ok = 1;
  EVP_CIPHER_CTX_free (c);
  if (!ok)
    {
      /* The plaintext of a forgery must not survive. */
      OPENSSL_cleanse (out, len);
      ERR_clear_error ();
    }
  return ok ? 0 : -1;
}

/* Any EC private key from SEC1 or PKCS#8 DER, with nothing trailing. */
static EVP_PKEY *
load_private (const uint8_t *der, size_t len)
{
  const unsigned char *p = der;
  EVP_PKEY *pkey;

  if (der == NULL || len == 0 || len > LONG_MAX)
    return NULL;
  pkey = d2i_AutoPrivateKey (NULL, &p, (long) len);
  if (pkey != NULL && (p != der + len || !EVP_PKEY_is_a (pkey, "EC")))
    {
      EVP_PKEY_free (pkey);
      pkey = NULL;
    }
  if (pkey == NULL)
    ERR_clear_error ();
  return pkey;
}

static int
is_p256 (EVP_PKEY *pkey)
{
  char name[64];

  if (EVP_PKEY_get_group_name (pkey, name, sizeof name, NULL) != 1)
    {
      ERR_clear_error ();
      return 0;
    }
  return strcmp (name, SN_X9_62_prime256v1) == 0 || strcmp (name, "P-256") == 0;
}

/* Named curve and uncompressed points from now on, whatever the input said. */
static int
normalise (EVP_PKEY *pkey)
{
  if (EVP_PKEY_set_utf8_string_param (pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                      OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED) != 1 ||
      EVP_PKEY_set_utf8_string_param (pkey, OSSL_PKEY_PARAM_EC_ENCODING,
                                      OSSL_PKEY_EC_ENCODING_GROUP) != 1)
    {
      ERR_clear_error ();
      return -1;
    }
  return 0;
}

static int
spki_der (EVP_PKEY *pkey, uint8_t *out, size_t cap)
{
  unsigned char *p = out;
  int n;

  if (normalise (pkey) != 0)
    return -1;
  n = i2d_PUBKEY (pkey, NULL);
  if (n <= 0 || (size_t) n > cap)
    {
      ERR_clear_error ();
      return -1;
    }
  return i2d_PUBKEY (pkey, &p) == n ? n : -1;
}

static int
crypto_ec_generate (void *ctx, uint8_t *key, size_t cap)
{
  EVP_PKEY *pkey;
  OSSL_ENCODER_CTX *ectx = NULL;
  unsigned char *der = NULL;
  size_t der_len = 0;
  int n = -1;

  (void) ctx;
  pkey = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
  if (pkey != NULL && normalise (pkey) == 0)
    ectx = OSSL_ENCODER_CTX_new_for_pkey (pkey, EVP_PKEY_KEYPAIR, "DER", "PrivateKeyInfo", NULL);
  if (ectx != NULL && OSSL_ENCODER_CTX_get_num_encoders (ectx) > 0 &&
      OSSL_ENCODER_to_data (ectx, &der, &der_len) == 1 && der_len > 0 && der_len <= cap)
    {
      memcpy (key, der, der_len);
      n = (int) der_len;
    }
  if (der != NULL)
    OPENSSL_clear_free (der, der_len);
  OSSL_ENCODER_CTX_free (ectx);
  EVP_PKEY_free (pkey);
  if (n < 0)
    ERR_clear_error ();
  return n;
}

static int
crypto_ec_check (void *ctx, const uint8_t *key, size_t key_len)
{
  EVP_PKEY *pkey = load_private (key, key_len);
  EVP_PKEY_CTX *pctx = NULL;
  int ok = 0;

  (void) ctx;
  if (pkey != NULL && is_p256 (pkey))
    pctx = EVP_PKEY_CTX_new_from_pkey (NULL, pkey, NULL);
  /* The full check: the point is on the curve and matches the scalar. */
  if (pctx != NULL)
    ok = EVP_PKEY_check (pctx) == 1;
  EVP_PKEY_CTX_free (pctx);
  EVP_PKEY_free (pkey);
  if (!ok)
    ERR_clear_error ();
  return ok ? 0 : -1;
}

static int
crypto_ec_public (void *ctx, const uint8_t *key, size_t key_len, uint8_t *out, size_t cap)
{
  EVP_PKEY *pkey = load_private (key, key_len);
  int n;

  (void) ctx;
  if (pkey == NULL)
    return -1;
  n = spki_der (pkey, out, cap);
  EVP_PKEY_free (pkey);
  return n;
}

static int
crypto_ec_sign (void *ctx, const uint8_t *key, size_t key_len, const uint8_t digest[32],
                uint8_t *out, size_t cap)
{
  EVP_PKEY *pkey = load_private (key, key_len);
  EVP_PKEY_CTX *pctx = NULL;
  size_t sig_len = cap;
  int n = -1;

  (void) ctx;
  if (pkey != NULL)
    pctx = EVP_PKEY_CTX_new_from_pkey (NULL, pkey, NULL);
  if (pctx != NULL &&
      EVP_PKEY_sign_init (pctx) == 1 &&
      EVP_PKEY_CTX_set_signature_md (pctx, EVP_sha256 ()) == 1 &&
      EVP_PKEY_sign (pctx, NULL, &sig_len, digest, 32) == 1 && sig_len <= cap &&
      EVP_PKEY_sign (pctx, out, &sig_len, digest, 32) == 1 && sig_len <= INT_MAX)
    n = (int) sig_len;
  EVP_PKEY_CTX_free (pctx);
  EVP_PKEY_free (pkey);
  if (n < 0)
    ERR_clear_error ();
  return n;
}

/* The characters an ASN.1 PrintableString may hold. */
static int
printable_string (const char *s)
{
  if (*s == '\0')
    return 0;
  for (; *s != '\0'; s++)
    {
      char c = *s;

      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            strchr (" '()+,-./:=?", c) != NULL))
        return 0;
    }
  return 1;
}

static int
add_printable (X509_NAME *name, const char *oid, const char *value)
{
  ASN1_OBJECT *obj = OBJ_txt2obj (oid, 1);
  int ok;

  if (obj == NULL)
    return 0;
  ok = X509_NAME_add_entry_by_OBJ (name, obj, V_ASN1_PRINTABLESTRING,
                                   (const unsigned char *) value, -1, -1, 0) == 1;
  ASN1_OBJECT_free (obj);
  return ok;
}

static int
crypto_make_csr (void *ctx, const uint8_t *key, size_t key_len, const char *dtid, const char *dsn,
                 uint8_t *out, size_t cap)
{
  EVP_PKEY *pkey;
  X509_REQ *req = NULL;
  X509_NAME *name;
  unsigned char *p = out;
  int n = -1, len;

  (void) ctx;
  if (dtid == NULL || dsn == NULL || !printable_string (dtid) || !printable_string (dsn))
    return -1;
  pkey = load_private (key, key_len);
  if (pkey != NULL && normalise (pkey) == 0)
    req = X509_REQ_new ();
  if (req == NULL)
    goto done;

  name = X509_REQ_get_subject_name (req);
  if (X509_REQ_set_version (req, X509_REQ_VERSION_1) != 1 ||
      name == NULL ||
      !add_printable (name, OID_DSN, dsn) ||
      !add_printable (name, OID_DTID, dtid) ||
      X509_REQ_set_pubkey (req, pkey) != 1 ||
      X509_REQ_sign (req, pkey, EVP_sha256 ()) <= 0)
    goto done;

  len = i2d_X509_REQ (req, NULL);
  if (len > 0 && (size_t) len <= cap && i2d_X509_REQ (req, &p) == len)
    n = len;

done:
  X509_REQ_free (req);
  EVP_PKEY_free (pkey);
  if (n < 0)
    ERR_clear_error ();
  return n;
}

/* Refuses to decrypt anything: a chain is public, and the default callback
 * would prompt on the terminal. */
static int
no_passphrase_cb (char *buf, int size, int rwflag, void *u)
{
  (void) buf;
  (void) size;
  (void) rwflag;
  (void) u;
  return -1;
}

static int
crypto_chain_leaf_public (void *ctx, const uint8_t *pem, size_t len, uint8_t *out, size_t cap)
{
  BIO *bio;
  X509 *cert = NULL;
  EVP_PKEY *pkey = NULL;
  int n = -1;

  (void) ctx;
  if (pem == NULL || len == 0 || len > INT_MAX)
    return -1;
  bio = BIO_new_mem_buf (pem, (int) len);
  if (bio != NULL)
    cert = PEM_read_bio_X509 (bio, NULL, no_passphrase_cb, NULL);
  if (cert != NULL)
    pkey = X509_get_pubkey (cert);
  if (pkey != NULL && EVP_PKEY_is_a (pkey, "EC"))
    n = spki_der (pkey, out, cap);
  EVP_PKEY_free (pkey);
  X509_free (cert);
  BIO_free (bio);
  if (n < 0)
    ERR_clear_error ();
  return n;
}

static const scp_crypto openssl_port = {
  .ctx = NULL,
  .random = crypto_random,
  .sha256 = crypto_sha256,
  .hkdf_sha256 = crypto_hkdf_sha256,
  .aes_gcm_encrypt = crypto_aes_gcm_encrypt,
  .aes_gcm_decrypt = crypto_aes_gcm_decrypt,
  .ec_generate = crypto_ec_generate,
  .ec_check = crypto_ec_check,
  .ec_public = crypto_ec_public,
  .ec_sign = crypto_ec_sign,
  .make_csr = crypto_make_csr,
  .chain_leaf_public = crypto_chain_leaf_public,
};

const scp_crypto *
scp_crypto_openssl (void)
{
  return &openssl_port;
}
