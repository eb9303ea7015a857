/* sc-csr.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "sc-crypto-private.h"
#include "sc-csr.h"
#include "sc-key.h"

G_DEFINE_QUARK (sc-policy-error-quark, sc_policy_error)

static gboolean
add_entry (X509_NAME   *name,
           int          nid,
           const char  *value,
           GError     **error)
{
  if (!X509_NAME_add_entry_by_NID (name, nid, V_ASN1_UTF8STRING,
                                   (const unsigned char *) value, -1, -1, 0))
    {
      _sc_set_openssl_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_FAILED,
                             _("Cannot build the CSR subject"));
      return FALSE;
    }
  return TRUE;
}

X509_REQ *
sc_csr_new (EVP_PKEY    *key,
            const char  *device_type_id,
            const char  *dsn,
            GError     **error)
{
  g_autoptr(X509_REQ) req = X509_REQ_new ();
  g_autoptr(X509_NAME) name = X509_NAME_new ();

  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (device_type_id != NULL, NULL);

  if ((dsn != NULL && !add_entry (name, sc_nid_dsn (), dsn, error)) ||
      !add_entry (name, sc_nid_device_type_id (), device_type_id, error))
    return NULL;

  if (!X509_REQ_set_version (req, 0) ||
      !X509_REQ_set_subject_name (req, name) ||
      !X509_REQ_set_pubkey (req, key) ||
      X509_REQ_sign (req, key, EVP_sha256 ()) <= 0)
    {
      _sc_set_openssl_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_FAILED,
                             _("Cannot sign the CSR"));
      return NULL;
    }

  return g_steal_pointer (&req);
}

X509_REQ *
sc_csr_load (const guint8  *data,
             gsize          len,
             GError       **error)
{
  X509_REQ *req = NULL;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (len == 0)
    {
      g_set_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_MALFORMED, _("The CSR is empty"));
      return NULL;
    }
  if (len > SC_MAX_CSR_INPUT)
    {
      g_set_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_MALFORMED,
                   _("The CSR is too large (more than %d bytes); a device CSR is under 1 KiB"),
                   SC_MAX_CSR_INPUT);
      return NULL;
    }
  sc_nid_dsn ();  /* register the FFS OIDs before anything compares them */

  if (memmem (data, len, "-----BEGIN", 10) != NULL)
    {
      g_autoptr(BIO) bio = BIO_new_mem_buf (data, (int) len);
      req = PEM_read_bio_X509_REQ (bio, NULL, NULL, NULL);
    }
  else
    {
      const guint8 *p = data;
      req = d2i_X509_REQ (NULL, &p, (long) len);
      if (req != NULL && p != data + len)
        {
          X509_REQ_free (req);
          g_set_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_MALFORMED,
                       _("The CSR has trailing data after its DER encoding"));
          return NULL;
        }
    }

  if (req == NULL)
    _sc_set_openssl_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_MALFORMED,
                           _("The input is not a certificate signing request in PEM or DER"));
  return req;
}

char *
sc_csr_to_pem (X509_REQ *req)
{
  g_autoptr(BIO) bio = BIO_new (BIO_s_mem ());
  char *data = NULL;
  long len;

  g_return_val_if_fail (req != NULL, NULL);

  if (!PEM_write_bio_X509_REQ (bio, req))
    g_error ("Out of memory writing a CSR");
  len = BIO_get_mem_data (bio, &data);
  return g_strndup (data, len);
}

char *
sc_csr_get_dsn (X509_REQ *req)
{
  g_return_val_if_fail (req != NULL, NULL);

  return sc_x509_name_get_text (X509_REQ_get_subject_name (req), sc_nid_dsn (), NULL);
}

static gboolean
refuse (GError     **error,
        int          code,
        const char  *format,
        ...) G_GNUC_PRINTF (3, 4);

static gboolean
refuse (GError     **error,
        int          code,
        const char  *format,
        ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, SC_POLICY_ERROR, code, _("The DAK refuses this CSR: %s"), message);
  return FALSE;
}

/* TRUE if @value is 1 to SC_MAX_SUBJECT_VALUE bytes of printable ASCII with
 * no NUL, and, for a PrintableString, only PrintableString's characters. */
static gboolean
string_is_clean (const ASN1_STRING *value,
                 int                type)
{
  const guchar *data = ASN1_STRING_get0_data (value);
  int len = ASN1_STRING_length (value);

  if (len < 1 || len > SC_MAX_SUBJECT_VALUE)
    return FALSE;
  for (int i = 0; i < len; i++)
    {
      guchar c = data[i];

      if (c < 0x20 || c > 0x7e)
        return FALSE;
      if (type == V_ASN1_PRINTABLESTRING && !g_ascii_isalnum (c) && strchr (" '()+,-./:=?", c) == NULL)
        return FALSE;
    }
  return TRUE;
}

/* “commonName (2.5.4.3)”, or just the OID when OpenSSL has no name for it. */
static char *
object_name (const ASN1_OBJECT *obj)
{
  char oid[80];
  int nid = OBJ_obj2nid (obj);

  OBJ_obj2txt (oid, sizeof oid, obj, 1);
  if (nid == NID_undef)
    return g_strdup (oid);
  return g_strdup_printf ("%s (%s)", OBJ_nid2ln (nid), oid);
}

static gboolean
check_subject (X509_REQ    *req,
               ScProfile   *profile,
               const char  *expected_dsn,
               GError     **error)
{
  const X509_NAME *subject = X509_REQ_get_subject_name (req);
  const char *dtid = sc_profile_get_device_type_id (profile);
  g_autofree char *got_dtid = NULL;
  g_autofree char *got_dsn = NULL;
  int n_dtid = 0, n_dsn = 0;

  for (int i = 0; i < X509_NAME_entry_count (subject); i++)
    {
      const X509_NAME_ENTRY *entry = X509_NAME_get_entry (subject, i);
      int nid = OBJ_obj2nid (X509_NAME_ENTRY_get_object (entry));
      int type = ASN1_STRING_type (X509_NAME_ENTRY_get_data (entry));

      if (nid != sc_nid_device_type_id () && nid != sc_nid_dsn ())
        {
          g_autofree char *oid = object_name (X509_NAME_ENTRY_get_object (entry));

          return refuse (error, SC_POLICY_ERROR_SUBJECT_ATTRIBUTE,
                         _("its subject holds %s, but a device subject may hold only DeviceTypeId and DSN"),
                         oid);
        }
      const ASN1_STRING *value = X509_NAME_ENTRY_get_data (entry);
      const char *what = nid == sc_nid_dsn () ? "DSN" : "DeviceTypeId";

      if (type != V_ASN1_UTF8STRING && type != V_ASN1_PRINTABLESTRING)
        return refuse (error, SC_POLICY_ERROR_STRING_TYPE,
                       _("its %s is a %s; only UTF8String and PrintableString are accepted"),
                       what, ASN1_tag2str (type));
      if (!string_is_clean (value, type))
        return refuse (error, SC_POLICY_ERROR_STRING_TYPE,
                       _("its %s holds characters its string type does not allow, a NUL, or more than %d bytes"),
                       what, SC_MAX_SUBJECT_VALUE);
      /* One attribute per RDN: a multi-valued RDN is not a device subject. */
      if (X509_NAME_ENTRY_set (entry) != i)
        return refuse (error, SC_POLICY_ERROR_SUBJECT_ATTRIBUTE,
                       _("its subject puts several attributes into one RDN"));
    }

  got_dtid = sc_x509_name_get_text (subject, sc_nid_device_type_id (), &n_dtid);
  got_dsn = sc_x509_name_get_text (subject, sc_nid_dsn (), &n_dsn);

  if (n_dtid > 1)
    return refuse (error, SC_POLICY_ERROR_DUPLICATE_ATTRIBUTE,
                   _("its subject holds DeviceTypeId %d times"), n_dtid);
  if (n_dsn > 1)
    return refuse (error, SC_POLICY_ERROR_DUPLICATE_ATTRIBUTE,
                   _("its subject holds DSN %d times"), n_dsn);
  if (got_dtid == NULL)
    return refuse (error, SC_POLICY_ERROR_DEVICE_TYPE_ID,
                   _("its subject has no DeviceTypeId; this product’s is %s"), dtid);
  if (strcmp (got_dtid, dtid) != 0)
    {
      g_autofree char *shown = g_strescape (got_dtid, NULL);
      return refuse (error, SC_POLICY_ERROR_DEVICE_TYPE_ID,
                     _("its DeviceTypeId is “%s”, but this product’s is %s"), shown, dtid);
    }

  if (got_dsn == NULL)
    {
      if (expected_dsn != NULL)
        return refuse (error, SC_POLICY_ERROR_DSN,
                       _("its subject has no DSN; the unit’s serial is %s"), expected_dsn);
      if (sc_profile_get_require_dsn (profile))
        return refuse (error, SC_POLICY_ERROR_DSN,
                       _("its subject has no DSN, and this product requires one"));
      return TRUE;
    }

  if (expected_dsn != NULL && strcmp (got_dsn, expected_dsn) != 0)
    {
      g_autofree char *shown = g_strescape (got_dsn, NULL);
      return refuse (error, SC_POLICY_ERROR_DSN,
                     _("its DSN is “%s”, but the unit’s serial is %s"), shown, expected_dsn);
    }
  if (!sc_profile_check_serial (profile, got_dsn, NULL))
    {
      g_autofree char *shown = g_strescape (got_dsn, NULL);
      return refuse (error, SC_POLICY_ERROR_DSN,
                     _("its DSN “%s” is not a valid serial for this product (pattern %s)"),
                     shown, sc_profile_get_serial_pattern (profile));
    }

  return TRUE;
}

static gboolean
check_attributes (X509_REQ   *req,
                  ScProfile  *profile,
                  GError    **error)
{
  STACK_OF (X509_EXTENSION) *exts = NULL;
  const int *allowed;
  guint n_allowed;
  gboolean ok = TRUE;

  for (int i = 0; i < X509_REQ_get_attr_count (req); i++)
    {
      X509_ATTRIBUTE *attr = X509_REQ_get_attr (req, i);
      int nid = OBJ_obj2nid (X509_ATTRIBUTE_get0_object (attr));

      if (nid != NID_ext_req)
        {
          g_autofree char *oid = object_name (X509_ATTRIBUTE_get0_object (attr));

          return refuse (error, SC_POLICY_ERROR_REQUEST_ATTRIBUTE,
                         _("it carries the request attribute %s; only extensionRequest is accepted"), oid);
        }
    }

  if (X509_REQ_get_attr_by_NID (req, NID_ext_req, -1) < 0)
    return TRUE;

  exts = X509_REQ_get_extensions (req);
  if (exts == NULL)
    return refuse (error, SC_POLICY_ERROR_EXTENSION, _("its extension request cannot be parsed"));

  allowed = sc_profile_get_allowed_extensions (profile, &n_allowed);
  for (int i = 0; ok && i < sk_X509_EXTENSION_num (exts); i++)
    {
      X509_EXTENSION *ext = sk_X509_EXTENSION_value (exts, i);
      int nid = OBJ_obj2nid (X509_EXTENSION_get_object (ext));
      gboolean found = FALSE;

      for (guint j = 0; j < n_allowed; j++)
        found |= nid != NID_undef && allowed[j] == nid;

      if (!found)
        {
          g_autofree char *oid = object_name (X509_EXTENSION_get_object (ext));

          ok = refuse (error, SC_POLICY_ERROR_EXTENSION,
                       _("it asks for the extension %s, which this product does not allow"), oid);
        }
    }

  sk_X509_EXTENSION_pop_free (exts, X509_EXTENSION_free);
  return ok;
}

/* The SubjectPublicKeyInfo's algorithm parameters must be the OID of
 * prime256v1 itself, not explicit curve parameters. */
static gboolean
spki_names_p256 (X509_REQ *req)
{
  X509_PUBKEY *pub = X509_REQ_get_X509_PUBKEY (req);
  X509_ALGOR *alg = NULL;
  const ASN1_OBJECT *alg_obj = NULL;
  const void *param = NULL;
  int param_type = 0;

  if (pub == NULL || !X509_PUBKEY_get0_param (NULL, NULL, NULL, &alg, pub) || alg == NULL)
    return FALSE;
  X509_ALGOR_get0 (&alg_obj, &param_type, &param, alg);
  return OBJ_obj2nid (alg_obj) == NID_X9_62_id_ecPublicKey &&
         param_type == V_ASN1_OBJECT &&
         OBJ_obj2nid (param) == NID_X9_62_prime256v1;
}

/**
 * sc_csr_check_policy:
 *
 * The rules are checked in a fixed order and the first one broken is
 * reported; see #ScPolicyError for one code per rule.
 */
gboolean
sc_csr_check_policy (X509_REQ    *req,
                     ScProfile   *profile,
                     const char  *expected_dsn,
                     GError     **error)
{
  EVP_PKEY *key;
  int rc;

  g_return_val_if_fail (req != NULL, FALSE);
  g_return_val_if_fail (SC_IS_PROFILE (profile), FALSE);

  sc_nid_dsn ();  /* register the FFS OIDs before anything compares them */

  if (X509_REQ_get_version (req) != 0)
    return refuse (error, SC_POLICY_ERROR_VERSION,
                   _("it is version %ld, not a version 1 request"), X509_REQ_get_version (req) + 1);

  key = X509_REQ_get0_pubkey (req);
  if (key == NULL || EVP_PKEY_get_base_id (key) != EVP_PKEY_EC)
    {
      ERR_clear_error ();
      return refuse (error, SC_POLICY_ERROR_KEY_TYPE,
                     _("its key is not an elliptic-curve key (a device key is P-256)"));
    }
  if (!spki_names_p256 (req) || !sc_key_is_p256 (key))
    return refuse (error, SC_POLICY_ERROR_CURVE,
                   _("its key is not on the named curve P-256 (prime256v1)"));

  if (X509_REQ_get_signature_nid (req) != NID_ecdsa_with_SHA256)
    return refuse (error, SC_POLICY_ERROR_SIGNATURE_ALGORITHM,
                   _("it is signed with %s, not ecdsa-with-SHA256"),
                   OBJ_nid2ln (X509_REQ_get_signature_nid (req)));

  rc = X509_REQ_verify (req, key);
  ERR_clear_error ();
  if (rc != 1)
    return refuse (error, SC_POLICY_ERROR_SIGNATURE,
                   _("its self-signature does not verify, so whoever sent it may not hold the key"));

  return check_subject (req, profile, expected_dsn, error) &&
         check_attributes (req, profile, error);
}
