/* sc-software-signer.c: a DAK whose private key is a file, as in Amazon's
 * software-DAK process
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <sys/stat.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <openssl/err.h>

#include "sc-crypto-private.h"
#include "sc-key.h"
#include "sc-secret.h"
#include "sc-signer-private.h"
#include "sc-software-signer.h"

struct _ScSoftwareSigner
{
  GObject          parent_instance;

  char            *key_path;
  EVP_PKEY        *key;     /* OpenSSL clears EC private scalars when freed */
  STACK_OF (X509) *chain;
};

static void signer_iface_init (ScSignerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ScSoftwareSigner, sc_software_signer, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SC_TYPE_SIGNER, signer_iface_init))

static void
sc_software_signer_finalize (GObject *object)
{
  ScSoftwareSigner *self = SC_SOFTWARE_SIGNER (object);

  g_clear_pointer (&self->key, EVP_PKEY_free);
  g_clear_pointer (&self->chain, sc_certs_free);
  g_free (self->key_path);

  G_OBJECT_CLASS (sc_software_signer_parent_class)->finalize (object);
}

static void
sc_software_signer_class_init (ScSoftwareSignerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sc_software_signer_finalize;
}

static void
sc_software_signer_init (ScSoftwareSigner *self)
{
}

static STACK_OF (X509) *
get_chain (ScSigner *signer)
{
  return SC_SOFTWARE_SIGNER (signer)->chain;
}

static GBytes *
sign_digest (ScSigner      *signer,
             const guint8  *digest,
             gsize          digest_len,
             GCancellable  *cancellable,
             GError       **error)
{
  ScSoftwareSigner *self = SC_SOFTWARE_SIGNER (signer);
  g_autoptr(EVP_PKEY_CTX) ctx = EVP_PKEY_CTX_new_from_pkey (NULL, self->key, NULL);
  guint8 sig[80];
  size_t sig_len = sizeof sig;

  /* One context per call: the key itself is only read, so calls from several
   * threads are safe. */
  if (ctx == NULL ||
      EVP_PKEY_sign_init (ctx) <= 0 ||
      EVP_PKEY_CTX_set_signature_md (ctx, EVP_sha256 ()) <= 0 ||
      EVP_PKEY_sign (ctx, sig, &sig_len, digest, digest_len) <= 0)
    {
      _sc_set_openssl_error (error, SC_DAK_ERROR, SC_DAK_ERROR_FAILED,
                             _("The software DAK could not sign"));
      return NULL;
    }

  return g_bytes_new (sig, sig_len);
}

static char *
describe (ScSigner *signer)
{
  ScSoftwareSigner *self = SC_SOFTWARE_SIGNER (signer);
  g_autofree char *display = g_filename_display_name (self->key_path);

  return g_strdup_printf (_("software DAK %s"), display);
}

static void
signer_iface_init (ScSignerInterface *iface)
{
  iface->get_chain = get_chain;
  iface->sign_digest = sign_digest;
  iface->describe = describe;
}

/**
 * sc_software_signer_new:
 * @key_path: the DAK's private key, PEM (PKCS#8 or SEC1), readable only by
 *   its owner
 * @chain_path: the DAK chain file: the DAK certificate first
 *
 * Returns: (transfer full): the signer, or %NULL if the key is unreadable,
 *   readable by others, not P-256, or not the key of the chain's first
 *   certificate.
 */
ScSigner *
sc_software_signer_new (const char  *key_path,
                        const char  *chain_path,
                        GError     **error)
{
  g_autoptr(ScSoftwareSigner) self = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *display = NULL;
  char *data = NULL;
  gsize len = 0;

  g_return_val_if_fail (key_path != NULL, NULL);
  g_return_val_if_fail (chain_path != NULL, NULL);

  display = g_filename_display_name (key_path);
  self = g_object_new (SC_TYPE_SOFTWARE_SIGNER, NULL);
  self->key_path = g_strdup (key_path);

  if (!_sc_read_file_limited (key_path, SC_MAX_PEM_INPUT, TRUE, &data, &len, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_PERM))
        g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_INSECURE,
                     _("The DAK key file is not private: %s"), local_error->message);
      else
        g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_KEY,
                     _("Cannot read the DAK key: %s"), local_error->message);
      return NULL;
    }
  self->key = sc_key_load_private ((const guint8 *) data, len, &local_error);
  sc_memwipe (data, len);
  g_free (data);
  if (self->key == NULL)
    {
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_KEY,
                   _("The DAK key file “%s” is unusable: %s"), display, local_error->message);
      return NULL;
    }
  if (!sc_key_is_p256 (self->key))
    {
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_KEY,
                   _("The DAK key in “%s” is not a P-256 key"), display);
      return NULL;
    }

  self->chain = sc_certs_load_file (chain_path, &local_error);
  if (self->chain == NULL)
    {
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_CHAIN,
                   _("Cannot use the DAK chain file: %s"), local_error->message);
      return NULL;
    }

  if (EVP_PKEY_eq (self->key, X509_get0_pubkey (sk_X509_value (self->chain, 0))) != 1)
    {
      g_autofree char *chain_display = g_filename_display_name (chain_path);

      ERR_clear_error ();
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_KEY,
                   _("The DAK key “%s” does not belong to the first certificate of “%s”; "
                     "the key and chain files are from different DAKs"),
                   display, chain_display);
      return NULL;
    }

  return SC_SIGNER (g_steal_pointer (&self));
}
