/* sc-training.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "sc-crypto-private.h"
#include "sc-file-set.h"
#include "sc-key.h"
#include "sc-secret.h"
#include "sc-training-private.h"

#define DAY (G_GINT64_CONSTANT (86400))
#define YEAR (365 * DAY)

typedef struct
{
  const char *cn;            /* NULL for the DAK, whose subject is DeviceTypeId + DakType */
  int         pathlen;
  gint64      not_before;
  gint64      not_after;
} CaSpec;

static X509_NAME *
training_name (const char *cn)
{
  X509_NAME *name = X509_NAME_new ();

  X509_NAME_add_entry_by_NID (name, NID_organizationName, MBSTRING_UTF8,
                              (const unsigned char *) "Setup Console TRAINING", -1, -1, 0);
  X509_NAME_add_entry_by_NID (name, NID_organizationalUnitName, MBSTRING_UTF8,
                              (const unsigned char *) "TRAINING MATERIAL - NOT FOR PRODUCTION", -1, -1, 0);
  X509_NAME_add_entry_by_NID (name, NID_commonName, MBSTRING_UTF8,
                              (const unsigned char *) cn, -1, -1, 0);
  return name;
}

static X509_NAME *
dak_name (const char *dtid)
{
  X509_NAME *name = X509_NAME_new ();

  X509_NAME_add_entry_by_NID (name, sc_nid_device_type_id (), V_ASN1_UTF8STRING,
                              (const unsigned char *) dtid, -1, -1, 0);
  X509_NAME_add_entry_by_NID (name, sc_nid_dak_type (), V_ASN1_UTF8STRING,
                              (const unsigned char *) "Training", -1, -1, 0);
  return name;
}

/* Makes a CA certificate for @key, signed by @issuer_key (self-signed when
 * @issuer is NULL). */
static X509 *
make_ca (X509_NAME  *subject,
         EVP_PKEY   *key,
         X509       *issuer,
         EVP_PKEY   *issuer_key,
         int         pathlen,
         gint64      not_before,
         gint64      not_after,
         GError    **error)
{
  g_autoptr(X509) cert = X509_new ();
  g_autofree char *bc = pathlen >= 0 ? g_strdup_printf ("critical,CA:TRUE,pathlen:%d", pathlen)
                                     : g_strdup ("critical,CA:TRUE");

  if (!X509_set_version (cert, 2) ||
      !_sc_x509_set_random_serial (cert, error) ||
      !X509_set_subject_name (cert, subject) ||
      !X509_set_issuer_name (cert, issuer ? X509_get_subject_name (issuer) : subject) ||
      !X509_set_pubkey (cert, key) ||
      !_sc_x509_set_validity (cert, not_before, not_after))
    {
      if (error == NULL || *error == NULL)
        _sc_set_openssl_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_FAILED,
                               _("Cannot build a training CA certificate"));
      return NULL;
    }

  if (!_sc_x509_add_ext (cert, issuer ? issuer : cert, NID_basic_constraints, bc, error) ||
      !_sc_x509_add_ext (cert, issuer ? issuer : cert, NID_key_usage,
                         "critical,digitalSignature,keyCertSign,cRLSign", error) ||
      !_sc_x509_add_ext (cert, issuer ? issuer : cert, NID_subject_key_identifier, "hash", error))
    return NULL;
  if (issuer != NULL &&
      !_sc_x509_add_ext (cert, issuer, NID_authority_key_identifier, "keyid:always", error))
    return NULL;

  if (X509_sign (cert, issuer_key, EVP_sha256 ()) <= 0)
    {
      _sc_set_openssl_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_FAILED,
                             _("Cannot sign a training CA certificate"));
      return NULL;
    }
  return g_steal_pointer (&cert);
}

static char *
training_profile_text (const char *dtid,
                       const char *key_origin)
{
  return g_strdup_printf (
    "# A TRAINING product profile made by “setup-console-cli dak init-training”.\n"
    "# Certificates issued under it are training material and are not valid\n"
    "# for Frustration-Free Setup. See docs/profile.md for every key.\n"
    "\n"
    "[product]\n"
    "name=Training product\n"
    "device-type-id=%s\n"
    "pid=%s\n"
    "\n"
    "[dak]\n"
    "uri=dak.key\n"
    "chain=dak-chain.pem\n"
    "trust-anchor=root.pem\n"
    "\n"
    "[keys]\n"
    "origin=%s\n"
    "\n"
    "[csr]\n"
    "require-dsn=true\n"
    "\n"
    "[serial]\n"
    "pattern=[A-Za-z0-9]{12,50}\n"
    "\n"
    "[label]\n"
    "package-code=%s\n",
    dtid, SC_TRAINING_PID, key_origin, SC_TRAINING_UPC);
}

gboolean
_sc_training_create_full (const char               *dir,
                          const ScTrainingOptions  *options,
                          GError                  **error)
{
  const char *dtid = options->device_type_id ? options->device_type_id : SC_TRAINING_DEVICE_TYPE_ID;
  g_autoptr(EVP_PKEY) root_key = NULL, vendor_key = NULL, product_key = NULL, dak_key = NULL;
  g_autoptr(X509) root = NULL, vendor = NULL, product = NULL, dak = NULL;
  g_autoptr(X509_NAME) root_name = NULL, vendor_name = NULL, product_name = NULL, dakn = NULL;
  g_autoptr(ScSecret) dak_pem = NULL;
  g_autoptr(ScCertList) chain = NULL;
  g_autoptr(ScFileSet) files = NULL;
  g_autofree char *chain_pem = NULL;
  g_autofree char *root_pem = NULL;
  g_autofree char *profile = NULL;
  g_autofree char *product_cn = NULL;
  gint64 dak_not_after = options->dak_not_after ? options->dak_not_after : 20 * YEAR;

  if (!(root_key = sc_key_generate (error)) ||
      !(vendor_key = sc_key_generate (error)) ||
      !(product_key = sc_key_generate (error)) ||
      !(dak_key = sc_key_generate (error)))
    return FALSE;

  product_cn = g_strdup_printf ("AmazonDHA TRAINING VendorID_TRAINING_Product_%s Certificate", dtid);
  root_name = training_name ("AmazonDHA TRAINING Root Certificate");
  vendor_name = training_name ("AmazonDHA TRAINING VendorID_TRAINING_Manufacturer Certificate");
  product_name = training_name (product_cn);
  dakn = dak_name (dtid);

  if (!(root = make_ca (root_name, root_key, NULL, root_key, -1, -DAY, 100 * YEAR, error)) ||
      !(vendor = make_ca (vendor_name, vendor_key, root, root_key, 2, -DAY, 50 * YEAR, error)) ||
      !(product = make_ca (product_name, product_key, vendor, vendor_key, 1, -DAY, 30 * YEAR, error)) ||
      !(dak = make_ca (dakn, dak_key, product, product_key, 0,
                       options->dak_not_before ? options->dak_not_before : -DAY,
                       dak_not_after, error)))
    return FALSE;

  chain = sk_X509_new_null ();
  sk_X509_push (chain, g_steal_pointer (&dak));
  sk_X509_push (chain, g_steal_pointer (&product));
  sk_X509_push (chain, g_steal_pointer (&vendor));
  X509_up_ref (root);
  sk_X509_push (chain, root);

  chain_pem = sc_certs_to_pem (chain);
  root_pem = sc_cert_to_pem (root);
  profile = training_profile_text (dtid, options->key_origin ? options->key_origin : "device");
  if (!(dak_pem = sc_key_to_private_pem (dak_key, error)))
    return FALSE;

  files = sc_file_set_new (dir, error);
  if (files == NULL)
    return FALSE;

  return sc_file_set_add (files, "dak.key", sc_secret_get_data (dak_pem, NULL),
                          sc_secret_get_size (dak_pem), 0600, error) &&
         sc_file_set_add (files, "dak-chain.pem", chain_pem, strlen (chain_pem), 0644, error) &&
         sc_file_set_add (files, "root.pem", root_pem, strlen (root_pem), 0644, error) &&
         sc_file_set_add (files, "product.profile", profile, strlen (profile), 0644, error) &&
         sc_file_set_commit (files, error);
}

gboolean
sc_training_create (const char  *dir,
                    GError     **error)
{
  ScTrainingOptions options = { 0 };

  g_return_val_if_fail (dir != NULL, FALSE);

  return _sc_training_create_full (dir, &options, error);
}
