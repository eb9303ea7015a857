/* sc-chain.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <openssl/err.h>

#include "sc-chain.h"
#include "sc-crypto-private.h"

G_DEFINE_QUARK (sc-chain-error-quark, sc_chain_error)

static int
chain_error_code (int x509_error)
{
  switch (x509_error)
    {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return SC_CHAIN_ERROR_EXPIRED;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return SC_CHAIN_ERROR_NOT_YET_VALID;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
      return SC_CHAIN_ERROR_BAD_SIGNATURE;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      return SC_CHAIN_ERROR_UNTRUSTED;
    default:
      return SC_CHAIN_ERROR_INVALID;
    }
}

static gboolean
check_leaf_profile (X509    *leaf,
                    GError **error)
{
  uint32_t ku;

  if (X509_get_version (leaf) != 2)
    {
      g_set_error (error, SC_CHAIN_ERROR, SC_CHAIN_ERROR_PROFILE,
                   _("The device certificate is not an X.509 v3 certificate"));
      return FALSE;
    }
  if (X509_check_ca (leaf) != 0)
    {
      g_set_error (error, SC_CHAIN_ERROR, SC_CHAIN_ERROR_PROFILE,
                   _("The device certificate is a CA certificate"));
      return FALSE;
    }
  ku = X509_get_key_usage (leaf);
  if (ku != (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT))
    {
      g_set_error (error, SC_CHAIN_ERROR, SC_CHAIN_ERROR_PROFILE,
                   _("The device certificate’s key usage is not digitalSignature and keyEncipherment"));
      return FALSE;
    }
  if (X509_get_signature_nid (leaf) != NID_ecdsa_with_SHA256)
    {
      g_set_error (error, SC_CHAIN_ERROR, SC_CHAIN_ERROR_PROFILE,
                   _("The device certificate is not signed with ecdsa-with-SHA256"));
      return FALSE;
    }
  return TRUE;
}

gboolean
sc_chain_verify (STACK_OF (X509) *chain,
                 X509            *anchor,
                 const char      *device_type_id,
                 const char      *dsn,
                 time_t           at,
                 GError         **error)
{
  g_autoptr(X509_STORE) store = NULL;
  g_autoptr(X509_STORE_CTX) ctx = NULL;
  g_autoptr(ScCertList) untrusted = NULL;
  g_autofree char *leaf_dtid = NULL;
  g_autofree char *dak_dtid = NULL;
  g_autofree char *leaf_dsn = NULL;
  X509 *leaf;
  int n_dtid = 0, n_dsn = 0;

  g_return_val_if_fail (chain != NULL, FALSE);
  g_return_val_if_fail (anchor != NULL, FALSE);
  g_return_val_if_fail (device_type_id != NULL, FALSE);

  sc_nid_dsn ();  /* register the FFS OIDs before anything compares them */

  if (sk_X509_num (chain) < 2)
    {
      g_set_error (error, SC_CHAIN_ERROR, SC_CHAIN_ERROR_MALFORMED,
                   _("The chain must hold the device certificate and at least the DAK certificate"));
      return FALSE;
    }

  leaf = sk_X509_value (chain, 0);
  untrusted = sk_X509_new_null ();
  for (int i = 1; i < sk_X509_num (chain); i++)
    sk_X509_push (untrusted, sk_X509_value (chain, i));  /* borrowed; freed with sk_free below */

  store = X509_STORE_new ();
  ctx = X509_STORE_CTX_new ();
  if (store == NULL || ctx == NULL ||
      !X509_STORE_add_cert (store, anchor) ||
      !X509_STORE_CTX_init (ctx, store, leaf, untrusted))
    {
      sk_X509_free (g_steal_pointer (&untrusted));
      _sc_set_openssl_error (error, SC_CHAIN_ERROR, SC_CHAIN_ERROR_INVALID,
                             _("Cannot set up chain verification"));
      return FALSE;
    }

  X509_STORE_CTX_set_depth (ctx, 8);
  if (at != 0)
    X509_STORE_CTX_set_time (ctx, 0, at);

  if (X509_verify_cert (ctx) != 1)
    {
      int err = X509_STORE_CTX_get_error (ctx);
      int depth = X509_STORE_CTX_get_error_depth (ctx);
      X509 *bad = X509_STORE_CTX_get_current_cert (ctx);
      g_autofree char *subject = bad ? sc_x509_name_to_string (X509_get_subject_name (bad)) : g_strdup ("?");

      X509_STORE_CTX_cleanup (ctx);
      sk_X509_free (g_steal_pointer (&untrusted));
      ERR_clear_error ();
      g_set_error (error, SC_CHAIN_ERROR, chain_error_code (err),
                   _("The certificate chain does not verify: %s (certificate %d, “%s”)"),
                   X509_verify_cert_error_string (err), depth, subject);
      return FALSE;
    }
  /* The chain must be exactly the path that verified, in order, with
   * nothing extra (the trust anchor at its end may be left out). */
  {
    STACK_OF (X509) *path = X509_STORE_CTX_get0_chain (ctx);
    int n = sk_X509_num (chain), m = sk_X509_num (path);
    gboolean same = n == m || n == m - 1;

    for (int i = 0; same && i < n; i++)
      same = X509_cmp (sk_X509_value (chain, i), sk_X509_value (path, i)) == 0;
    X509_STORE_CTX_cleanup (ctx);
    sk_X509_free (g_steal_pointer (&untrusted));
    if (!same)
      {
        g_set_error (error, SC_CHAIN_ERROR, SC_CHAIN_ERROR_MALFORMED,
                     _("The chain verifies, but not in the order given or with extra certificates; "
                       "it must be the leaf, then each issuer up to the root"));
        return FALSE;
      }
  }

  if (!check_leaf_profile (leaf, error))
    return FALSE;

  leaf_dtid = sc_x509_name_get_text (X509_get_subject_name (leaf), sc_nid_device_type_id (), &n_dtid);
  dak_dtid = sc_x509_name_get_text (X509_get_subject_name (sk_X509_value (chain, 1)),
                                    sc_nid_device_type_id (), NULL);
  if (n_dtid != 1 || g_strcmp0 (leaf_dtid, device_type_id) != 0)
    {
      g_set_error (error, SC_CHAIN_ERROR, SC_CHAIN_ERROR_DEVICE_TYPE_ID,
                   _("The device certificate is for DeviceTypeId “%s”, not this product’s %s"),
                   leaf_dtid ? leaf_dtid : "", device_type_id);
      return FALSE;
    }
  if (g_strcmp0 (dak_dtid, device_type_id) != 0)
    {
      g_set_error (error, SC_CHAIN_ERROR, SC_CHAIN_ERROR_DEVICE_TYPE_ID,
                   _("The DAK in the chain is for DeviceTypeId “%s”, not this product’s %s"),
                   dak_dtid ? dak_dtid : "", device_type_id);
      return FALSE;
    }

  if (dsn != NULL)
    {
      leaf_dsn = sc_x509_name_get_text (X509_get_subject_name (leaf), sc_nid_dsn (), &n_dsn);
      if (n_dsn != 1 || strcmp (leaf_dsn, dsn) != 0)
        {
          g_set_error (error, SC_CHAIN_ERROR, SC_CHAIN_ERROR_DSN,
                       _("The device certificate is for serial “%s”, not %s"),
                       leaf_dsn ? leaf_dsn : "", dsn);
          return FALSE;
        }
    }

  return TRUE;
}
