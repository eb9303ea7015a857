/* sc-signer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "sc-blocking-private.h"
#include "sc-signer-private.h"

G_DEFINE_QUARK (sc-dak-error-quark, sc_dak_error)

G_DEFINE_INTERFACE (ScSigner, sc_signer, G_TYPE_OBJECT)

static void
sc_signer_default_init (ScSignerInterface *iface)
{
}

/**
 * sc_signer_get_chain:
 *
 * Returns: (transfer none): the DAK chain, DAK certificate first.
 */
STACK_OF (X509) *
sc_signer_get_chain (ScSigner *self)
{
  g_return_val_if_fail (SC_IS_SIGNER (self), NULL);

  return SC_SIGNER_GET_IFACE (self)->get_chain (self);
}

/**
 * sc_signer_get_certificate:
 *
 * Returns: (transfer none): the DAK certificate.
 */
X509 *
sc_signer_get_certificate (ScSigner *self)
{
  STACK_OF (X509) *chain;

  g_return_val_if_fail (SC_IS_SIGNER (self), NULL);

  chain = sc_signer_get_chain (self);
  g_assert (chain != NULL && sk_X509_num (chain) > 0);
  return sk_X509_value (chain, 0);
}

GBytes *
_sc_signer_sign_digest (ScSigner      *self,
                       const guint8  *digest,
                       gsize          digest_len,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_return_val_if_fail (SC_IS_SIGNER (self), NULL);
  g_return_val_if_fail (digest != NULL && digest_len == 32, NULL);
  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), NULL);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  _sc_blocking_check (G_STRFUNC);
  return SC_SIGNER_GET_IFACE (self)->sign_digest (self, digest, digest_len, cancellable, error);
}

char *
sc_signer_describe (ScSigner *self)
{
  g_return_val_if_fail (SC_IS_SIGNER (self), NULL);

  return SC_SIGNER_GET_IFACE (self)->describe (self);
}

void
sc_signer_status_free (ScSignerStatus *status)
{
  if (status == NULL)
    return;
  g_free (status->reader);
  g_free (status->token_serial);
  g_free (status->firmware);
  g_free (status->slot);
  g_free (status);
}

/**
 * sc_signer_get_status:
 *
 * Returns: (transfer full): what the signer can say about itself now.
 */
ScSignerStatus *
sc_signer_get_status (ScSigner *self)
{
  ScSignerInterface *iface;
  ScSignerStatus *status;

  g_return_val_if_fail (SC_IS_SIGNER (self), NULL);
  _sc_blocking_check (G_STRFUNC);

  iface = SC_SIGNER_GET_IFACE (self);
  if (iface->get_status != NULL)
    return iface->get_status (self);

  status = g_new0 (ScSignerStatus, 1);
  status->present = TRUE;
  status->unlocked = TRUE;
  status->pin_retries = -1;
  return status;
}

gboolean
sc_signer_unlock (ScSigner      *self,
                  ScSecret      *pin,
                  GCancellable  *cancellable,
                  GError       **error)
{
  ScSignerInterface *iface;

  g_return_val_if_fail (SC_IS_SIGNER (self), FALSE);
  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), FALSE);
  _sc_blocking_check (G_STRFUNC);

  iface = SC_SIGNER_GET_IFACE (self);
  if (iface->unlock == NULL)
    return TRUE;
  g_return_val_if_fail (pin != NULL, FALSE);
  return iface->unlock (self, pin, cancellable, error);
}

void
sc_signer_lock (ScSigner *self)
{
  ScSignerInterface *iface;

  g_return_if_fail (SC_IS_SIGNER (self));
  _sc_blocking_check (G_STRFUNC);

  iface = SC_SIGNER_GET_IFACE (self);
  if (iface->lock != NULL)
    iface->lock (self);
}
