/* sc-dak.c: issuing DHA certificates
 *
 * The TBSCertificate is built with OpenSSL, hashed, and the hash is signed by
 * an #ScSigner, so the same code issues with a key file, a YubiKey or a
 * PKCS#11 token. Nothing reaches the signer that has not passed the CSR
 * policy, and no chain leaves here that has not verified to the trust anchor.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/sha.h>

#include "sc-blocking-private.h"
#include "sc-chain.h"
#include "sc-crypto-private.h"
#include "sc-csr.h"
#include "sc-dak-private.h"
#include "sc-signer-private.h"
#include "sc-key.h"
#include "sc-software-signer.h"
#include "sc-yubikey-signer.h"

struct _ScDak
{
  GObject    parent_instance;

  ScProfile *profile;
  ScSigner  *signer;
  GMutex     sign_lock;  /* one signature at a time per DAK handle */
  X509      *anchor;
  char      *dak_type;
};

G_DEFINE_FINAL_TYPE (ScDak, sc_dak, G_TYPE_OBJECT)

static void
sc_dak_dispose (GObject *object)
{
  ScDak *self = SC_DAK (object);

  g_clear_object (&self->signer);
  g_clear_object (&self->profile);

  G_OBJECT_CLASS (sc_dak_parent_class)->dispose (object);
}

static void
sc_dak_finalize (GObject *object)
{
  ScDak *self = SC_DAK (object);

  g_clear_pointer (&self->anchor, X509_free);
  g_free (self->dak_type);
  g_mutex_clear (&self->sign_lock);

  G_OBJECT_CLASS (sc_dak_parent_class)->finalize (object);
}

static void
sc_dak_class_init (ScDakClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sc_dak_dispose;
  object_class->finalize = sc_dak_finalize;
}

static void
sc_dak_init (ScDak *self)
{
  g_mutex_init (&self->sign_lock);
}

static X509 *
find_anchor (ScProfile        *profile,
             STACK_OF (X509)  *chain,
             GError          **error)
{
  const guint8 *want = sc_profile_get_trust_anchor_sha256 (profile);

  if (want != NULL)
    {
      for (int i = 0; i < sk_X509_num (chain); i++)
        {
          guint8 md[32];

          sc_cert_fingerprint (sk_X509_value (chain, i), md);
          if (memcmp (md, want, sizeof md) == 0)
            {
              X509_up_ref (sk_X509_value (chain, i));
              return sk_X509_value (chain, i);
            }
        }
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_CHAIN,
                   _("No certificate in the DAK chain has the trust anchor fingerprint the profile gives"));
      return NULL;
    }
  else
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(ScCertList) certs = sc_certs_load_file (sc_profile_get_trust_anchor_path (profile),
                                                        &local_error);
      X509 *anchor;

      if (certs == NULL)
        {
          g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_CHAIN,
                       _("Cannot use the trust anchor: %s"), local_error->message);
          return NULL;
        }
      if (sk_X509_num (certs) != 1)
        {
          g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_CHAIN,
                       _("The trust anchor file must hold exactly one certificate, not %d"),
                       sk_X509_num (certs));
          return NULL;
        }
      anchor = sk_X509_value (certs, 0);
      X509_up_ref (anchor);
      return anchor;
    }
}

/**
 * sc_dak_new:
 * @profile: the product
 * @signer: where the DAK's signatures come from
 *
 * Checks that the signer's DAK belongs to @profile's DeviceTypeId and that
 * its chain verifies to the profile's trust anchor.
 *
 * Returns: (transfer full): the DAK, ready to issue.
 */
ScDak *
sc_dak_new (ScProfile  *profile,
            ScSigner   *signer,
            GError    **error)
{
  g_autoptr(ScDak) self = NULL;
  g_autoptr(X509_STORE) store = NULL;
  g_autoptr(X509_STORE_CTX) ctx = NULL;
  g_autofree char *dtid = NULL;
  STACK_OF (X509) *chain;
  X509 *cert;

  g_return_val_if_fail (SC_IS_PROFILE (profile), NULL);
  g_return_val_if_fail (SC_IS_SIGNER (signer), NULL);

  self = g_object_new (SC_TYPE_DAK, NULL);
  self->profile = g_object_ref (profile);
  self->signer = g_object_ref (signer);

  chain = sc_signer_get_chain (signer);
  cert = sk_X509_value (chain, 0);

  dtid = sc_x509_name_get_text (X509_get_subject_name (cert), sc_nid_device_type_id (), NULL);
  if (g_strcmp0 (dtid, sc_profile_get_device_type_id (profile)) != 0)
    {
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_WRONG_PRODUCT,
                   _("This DAK is for DeviceTypeId “%s”, but the product “%s” is %s; "
                     "use the DAK Amazon issued for this product"),
                   dtid ? dtid : "", sc_profile_get_name (profile),
                   sc_profile_get_device_type_id (profile));
      return NULL;
    }
  if (X509_check_ca (cert) == 0)
    {
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_CHAIN,
                   _("The DAK certificate is not a CA certificate, so it cannot issue"));
      return NULL;
    }
  self->dak_type = sc_x509_name_get_text (X509_get_subject_name (cert), sc_nid_dak_type (), NULL);

  self->anchor = find_anchor (profile, chain, error);
  if (self->anchor == NULL)
    return NULL;

  /* The DAK chain itself must verify before any unit is issued under it. */
  {
    g_autoptr(ScCertList) untrusted = sk_X509_new_null ();
    gboolean ok;

    for (int i = 1; i < sk_X509_num (chain); i++)
      {
        X509_up_ref (sk_X509_value (chain, i));
        sk_X509_push (untrusted, sk_X509_value (chain, i));
      }
    store = X509_STORE_new ();
    ctx = X509_STORE_CTX_new ();
    ok = X509_STORE_add_cert (store, self->anchor) &&
         X509_STORE_CTX_init (ctx, store, cert, untrusted) &&
         X509_verify_cert (ctx) == 1;
    if (!ok)
      X509_STORE_CTX_cleanup (ctx);
    if (!ok)
      {
        int err = X509_STORE_CTX_get_error (ctx);

        ERR_clear_error ();
        g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_CHAIN,
                     _("The DAK chain does not verify to the trust anchor: %s"),
                     X509_verify_cert_error_string (err));
        return NULL;
      }
    X509_STORE_CTX_cleanup (ctx);
  }

  return g_steal_pointer (&self);
}

/**
 * sc_dak_new_for_uri:
 * @uri: (nullable): the DAK to open instead of the profile's `[dak] uri`
 *   (a key file, `yubikey://SERIAL?slot=9c`), or %NULL for the profile's
 *
 * Opens a DAK for the profile's product, with the profile's chain file and
 * trust anchor. PKCS#11 DAKs report %SC_DAK_ERROR_NOT_SUPPORTED.
 */
ScDak *
sc_dak_new_for_uri (ScProfile   *profile,
                    const char  *uri,
                    GError     **error)
{
  g_autoptr(ScSigner) signer = NULL;
  g_autofree char *key_path = NULL;
  const char *chain = NULL;
  guint32 serial = 0;
  guint8 slot = 0;

  g_return_val_if_fail (SC_IS_PROFILE (profile), NULL);
  _sc_blocking_check (G_STRFUNC);

  chain = sc_profile_get_dak_chain_path (profile);
  /* The profile's key file is resolved against the profile's folder. */
  if (uri == NULL && sc_profile_get_dak_kind (profile) == SC_DAK_KIND_FILE)
    {
      signer = sc_software_signer_new (sc_profile_get_dak_key_path (profile), chain, error);
      return signer ? sc_dak_new (profile, signer, error) : NULL;
    }
  if (uri == NULL)
    uri = sc_profile_get_dak_uri (profile);

  if (g_str_has_prefix (uri, "yubikey://"))
    {
      if (!sc_yubikey_uri_parse (uri, &serial, &slot, error))
        return NULL;
      signer = sc_yubikey_signer_new (serial, slot, chain, error);
    }
  else if (g_str_has_prefix (uri, "pkcs11:"))
    {
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_NOT_SUPPORTED,
                   _("This build of Setup Console cannot use the DAK “%s”: PKCS#11 DAKs are not "
                     "supported yet; use a key file or a YubiKey"), uri);
      return NULL;
    }
  else
    {
      if (g_str_has_prefix (uri, "file://"))
        key_path = g_filename_from_uri (uri, NULL, NULL);
      else if (g_str_has_prefix (uri, "file:"))
        key_path = g_strdup (uri + strlen ("file:"));
      else if (strstr (uri, "://") == NULL)
        key_path = g_strdup (uri);
      if (key_path == NULL || key_path[0] == '\0')
        {
          g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_NOT_SUPPORTED,
                       _("“%s” is not a DAK: give a key file path, file:///path or yubikey://SERIAL?slot=9c"),
                       uri);
          return NULL;
        }
      signer = sc_software_signer_new (key_path, chain, error);
    }

  if (signer == NULL)
    return NULL;
  return sc_dak_new (profile, signer, error);
}

/**
 * sc_dak_new_for_profile:
 *
 * Opens the DAK the profile names.
 */
ScDak *
sc_dak_new_for_profile (ScProfile  *profile,
                        GError    **error)
{
  return sc_dak_new_for_uri (profile, NULL, error);
}

ScProfile *sc_dak_get_profile (ScDak *self) { g_return_val_if_fail (SC_IS_DAK (self), NULL); return self->profile; }
ScSigner *_sc_dak_get_signer (ScDak *self) { g_return_val_if_fail (SC_IS_DAK (self), NULL); return self->signer; }
ScSigner *sc_dak_get_signer (ScDak *self) { return _sc_dak_get_signer (self); }
X509 *sc_dak_get_trust_anchor (ScDak *self) { g_return_val_if_fail (SC_IS_DAK (self), NULL); return self->anchor; }
const char *sc_dak_get_dak_type (ScDak *self) { g_return_val_if_fail (SC_IS_DAK (self), NULL); return self->dak_type; }

X509 *
sc_dak_get_certificate (ScDak *self)
{
  g_return_val_if_fail (SC_IS_DAK (self), NULL);

  return sc_signer_get_certificate (self->signer);
}

/**
 * sc_dak_is_training:
 *
 * Returns: %TRUE when the DAK certificate's DakType is “Training”: labels
 *   made under it must carry the training watermark.
 */
gboolean
sc_dak_is_training (ScDak *self)
{
  g_return_val_if_fail (SC_IS_DAK (self), FALSE);

  return g_strcmp0 (self->dak_type, "Training") == 0;
}

char *
sc_dak_chain_get_dak_type (const char  *chain_path,
                           GError     **error)
{
  g_autoptr(ScCertList) chain = NULL;
  char *type;

  g_return_val_if_fail (chain_path != NULL, NULL);

  chain = sc_certs_load_file (chain_path, error);
  if (chain == NULL)
    return NULL;
  type = sc_x509_name_get_text (X509_get_subject_name (sk_X509_value (chain, 0)), sc_nid_dak_type (), NULL);
  return type ? type : g_strdup ("");
}

/* DER: SEQUENCE { tbs, AlgorithmIdentifier ecdsa-with-SHA256, BIT STRING sig } */
static void
der_put_header (GByteArray *out,
                guint8      tag,
                gsize       len)
{
  guint8 hdr[6];
  guint n = 0, bytes = len < 0x80 ? 0 : len < 0x100 ? 1 : len < 0x10000 ? 2 : 3;

  /* The CSR size cap keeps every certificate far below 16 MiB. */
  g_assert (len < 0x1000000);
  hdr[n++] = tag;
  if (bytes > 0)
    hdr[n++] = 0x80 | bytes;
  for (guint i = bytes; i > 1; i--)
    hdr[n++] = (guint8) (len >> (8 * (i - 1)));
  hdr[n++] = (guint8) len;
  g_byte_array_append (out, hdr, n);
}

static X509 *
assemble_certificate (const guint8 *tbs,
                      gsize         tbs_len,
                      GBytes       *signature)
{
  static const guint8 ecdsa_sha256[] = {
    0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
  };
  g_autoptr(GByteArray) body = g_byte_array_new ();
  g_autoptr(GByteArray) der = g_byte_array_new ();
  gsize sig_len;
  const guint8 *sig = g_bytes_get_data (signature, &sig_len);
  const guint8 *p;
  X509 *cert;

  g_byte_array_append (body, tbs, tbs_len);
  g_byte_array_append (body, ecdsa_sha256, sizeof ecdsa_sha256);
  der_put_header (body, 0x03, sig_len + 1);
  g_byte_array_append (body, (const guint8 *) "", 1);  /* no unused bits */
  g_byte_array_append (body, sig, sig_len);

  der_put_header (der, 0x30, body->len);
  g_byte_array_append (der, body->data, body->len);

  p = der->data;
  cert = d2i_X509 (NULL, &p, der->len);
  if (cert != NULL && p != der->data + der->len)
    g_clear_pointer (&cert, X509_free);
  return cert;
}

/* The leaf's subject, built afresh from the attributes the CSR policy
 * checked (same order, same string types), so nothing of the CSR's own
 * encoding reaches the certificate. */
static X509_NAME *
clean_subject (X509_REQ *csr)
{
  const X509_NAME *from = X509_REQ_get_subject_name (csr);
  X509_NAME *name = X509_NAME_new ();

  for (int i = 0; i < X509_NAME_entry_count (from); i++)
    {
      const X509_NAME_ENTRY *entry = X509_NAME_get_entry (from, i);
      const ASN1_STRING *value = X509_NAME_ENTRY_get_data (entry);

      if (!X509_NAME_add_entry_by_NID (name, OBJ_obj2nid (X509_NAME_ENTRY_get_object (entry)),
                                       ASN1_STRING_type (value), ASN1_STRING_get0_data (value),
                                       ASN1_STRING_length (value), -1, 0))
        {
          X509_NAME_free (name);
          return NULL;
        }
    }
  return name;
}

/* The CSR's key with its point uncompressed: the device software uses the
 * 91-byte uncompressed SubjectPublicKeyInfo (spec section 2). */
static EVP_PKEY *
uncompressed_key (X509_REQ *csr)
{
  EVP_PKEY *key = EVP_PKEY_dup (X509_REQ_get0_pubkey (csr));

  if (key != NULL &&
      !EVP_PKEY_set_utf8_string_param (key, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                       OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED))
    g_clear_pointer (&key, EVP_PKEY_free);
  return key;
}

static X509 *
build_tbs (ScDak     *self,
           X509_REQ  *csr,
           GError   **error)
{
  g_autoptr(X509) leaf = X509_new ();
  g_autoptr(X509_NAME) subject = clean_subject (csr);
  g_autoptr(EVP_PKEY) key = uncompressed_key (csr);
  X509 *dak = sc_dak_get_certificate (self);
  X509_ALGOR *tbs_alg;

  if (leaf == NULL || subject == NULL || key == NULL ||
      !X509_set_version (leaf, 2) ||
      !_sc_x509_set_random_serial (leaf, error) ||
      !X509_set_issuer_name (leaf, X509_get_subject_name (dak)) ||
      !X509_set_subject_name (leaf, subject) ||
      !X509_set_pubkey (leaf, key) ||
      !_sc_x509_set_validity (leaf, 0, (gint64) SC_LEAF_VALIDITY_DAYS * 86400))
    {
      if (error == NULL || *error == NULL)
        _sc_set_openssl_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_FAILED,
                               _("Cannot build the device certificate"));
      return NULL;
    }

  if (!_sc_x509_add_ext (leaf, dak, NID_authority_key_identifier, "keyid:always", error) ||
      !_sc_x509_add_ext (leaf, dak, NID_key_usage, "digitalSignature, keyEncipherment", error))
    return NULL;

  /* OpenSSL has no setter for the TBS signature algorithm outside its own
   * signing path; the field is ours to fill before encoding. */
  tbs_alg = (X509_ALGOR *) X509_get0_tbs_sigalg (leaf);
  if (!X509_ALGOR_set0 (tbs_alg, OBJ_nid2obj (NID_ecdsa_with_SHA256), V_ASN1_UNDEF, NULL))
    {
      _sc_set_openssl_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_FAILED,
                             _("Cannot set the signature algorithm"));
      return NULL;
    }

  return g_steal_pointer (&leaf);
}

/**
 * sc_dak_issue:
 * @csr: the unit's request
 * @expected_dsn: (nullable): the serial the unit was scanned as
 *
 * Checks @csr against the CSR policy, issues the unit certificate, and
 * verifies the whole chain to the trust anchor.
 *
 * Returns: (transfer full): the chain, leaf first, then the DAK chain.
 */
STACK_OF (X509) *
sc_dak_issue (ScDak         *self,
              X509_REQ      *csr,
              const char    *expected_dsn,
              GCancellable  *cancellable,
              GError       **error)
{
  g_autoptr(X509) unsigned_leaf = NULL;
  g_autoptr(X509) leaf = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(ScCertList) chain = NULL;
  g_autofree char *dsn = NULL;
  STACK_OF (X509) *dak_chain;
  guint8 *tbs = NULL;
  guint8 digest[SHA256_DIGEST_LENGTH];
  int tbs_len;

  g_return_val_if_fail (SC_IS_DAK (self), NULL);
  g_return_val_if_fail (csr != NULL, NULL);

  if (!sc_csr_check_policy (csr, self->profile, expected_dsn, error))
    return NULL;

  unsigned_leaf = build_tbs (self, csr, error);
  if (unsigned_leaf == NULL)
    return NULL;

  tbs_len = i2d_re_X509_tbs (unsigned_leaf, &tbs);
  if (tbs_len <= 0)
    {
      _sc_set_openssl_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_FAILED,
                             _("Cannot encode the device certificate"));
      return NULL;
    }
  SHA256 (tbs, tbs_len, digest);

  g_mutex_lock (&self->sign_lock);
  signature = _sc_signer_sign_digest (self->signer, digest, sizeof digest, cancellable, error);
  g_mutex_unlock (&self->sign_lock);
  if (signature == NULL)
    {
      OPENSSL_free (tbs);
      return NULL;
    }

  leaf = assemble_certificate (tbs, tbs_len, signature);
  OPENSSL_free (tbs);
  if (leaf == NULL || X509_verify (leaf, X509_get0_pubkey (sc_dak_get_certificate (self))) != 1)
    {
      ERR_clear_error ();
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_BAD_SIGNATURE,
                   _("The DAK returned a signature that does not verify with the DAK certificate; "
                     "the token may hold a different key than its certificate says"));
      return NULL;
    }

  chain = sk_X509_new_null ();
  sk_X509_push (chain, g_steal_pointer (&leaf));
  dak_chain = sc_signer_get_chain (self->signer);
  for (int i = 0; i < sk_X509_num (dak_chain); i++)
    {
      X509_up_ref (sk_X509_value (dak_chain, i));
      sk_X509_push (chain, sk_X509_value (dak_chain, i));
    }

  dsn = sc_csr_get_dsn (csr);
  if (!sc_chain_verify (chain, self->anchor, sc_profile_get_device_type_id (self->profile),
                        dsn, 0, error))
    return NULL;

  return g_steal_pointer (&chain);
}

typedef struct
{
  X509_REQ *csr;
  char     *expected_dsn;
} IssueData;

static void
issue_data_free (gpointer data)
{
  IssueData *d = data;

  X509_REQ_free (d->csr);
  g_free (d->expected_dsn);
  g_free (d);
}

static void
issue_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  IssueData *d = task_data;
  GError *error = NULL;
  STACK_OF (X509) *chain;

  chain = sc_dak_issue (source_object, d->csr, d->expected_dsn, cancellable, &error);
  if (chain == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, chain, (GDestroyNotify) sc_certs_free);
}

void
sc_dak_issue_async (ScDak               *self,
                    X509_REQ            *csr,
                    const char          *expected_dsn,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  IssueData *d;

  g_return_if_fail (SC_IS_DAK (self));
  g_return_if_fail (csr != NULL);

  d = g_new0 (IssueData, 1);
  d->csr = X509_REQ_dup (csr);
  d->expected_dsn = g_strdup (expected_dsn);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sc_dak_issue_async);
  g_task_set_task_data (task, d, issue_data_free);
  g_task_run_in_thread (task, issue_thread);
}

STACK_OF (X509) *
sc_dak_issue_finish (ScDak         *self,
                     GAsyncResult  *result,
                     GError       **error)
{
  g_return_val_if_fail (SC_IS_DAK (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
