/* sc-signer.h: where the DAK's signature comes from
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "sc-crypto.h"

G_BEGIN_DECLS

#define SC_DAK_ERROR (sc_dak_error_quark ())

typedef enum
{
  SC_DAK_ERROR_FAILED,          /* the signer failed; the message says how */
  SC_DAK_ERROR_NOT_SUPPORTED,   /* a DAK backend this build does not have */
  SC_DAK_ERROR_KEY,             /* the DAK key is unusable or does not match its certificate */
  SC_DAK_ERROR_CHAIN,           /* the DAK chain file is unusable or does not verify */
  SC_DAK_ERROR_WRONG_PRODUCT,   /* the DAK belongs to another DeviceTypeId */
  SC_DAK_ERROR_BAD_SIGNATURE,   /* the signer returned a signature that does not verify */
  SC_DAK_ERROR_INSECURE,        /* the key file can be read by others */
} ScDakError;

GQuark sc_dak_error_quark (void);

#define SC_TYPE_SIGNER (sc_signer_get_type ())

G_DECLARE_INTERFACE (ScSigner, sc_signer, SC, SIGNER, GObject)

/**
 * ScSignerInterface:
 * @get_chain: the DAK chain as delivered: the DAK certificate first, then
 *   the CAs up to the root. Owned by the signer.
 * @sign_digest: an ECDSA P-256 signature over a SHA-256 digest, DER-encoded.
 *   Backends serialise calls on their own hardware handle.
 * @describe: a short text naming the DAK for the operator, never a secret.
 *
 * A signer signs only digests; only #ScDak calls it, after its CSR policy
 * has passed, so a signer is never reachable as a signing oracle.
 */
struct _ScSignerInterface
{
  GTypeInterface parent_iface;

  STACK_OF (X509) *(*get_chain)   (ScSigner       *self);
  GBytes          *(*sign_digest) (ScSigner       *self,
                                   const guint8   *digest,
                                   gsize           digest_len,
                                   GCancellable   *cancellable,
                                   GError        **error);
  char            *(*describe)    (ScSigner       *self);
};

STACK_OF (X509) *sc_signer_get_chain       (ScSigner      *self);
X509            *sc_signer_get_certificate (ScSigner      *self);
GBytes          *sc_signer_sign_digest     (ScSigner      *self,
                                            const guint8  *digest,
                                            gsize          digest_len,
                                            GCancellable  *cancellable,
                                            GError       **error);
char            *sc_signer_describe        (ScSigner      *self);

G_END_DECLS
