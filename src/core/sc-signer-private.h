/* sc-signer-private.h: the signer's virtual functions, for backends and ScDak
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sc-signer.h"

G_BEGIN_DECLS

/**
 * ScSignerInterface:
 * @get_chain: the DAK chain as delivered: the DAK certificate first, then
 *   the CAs up to the root. Owned by the signer.
 * @sign_digest: an ECDSA P-256 signature over a SHA-256 digest, DER-encoded.
 *   Backends serialise calls on their own hardware handle.
 * @describe: a short text naming the DAK for the operator, never a secret.
 * @get_status: optional; without it the signer is present, needs no PIN
 *   and is always unlocked.
 * @unlock: optional, for signers that need a PIN.
 * @lock: optional; wipes any PIN held.
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
  ScSignerStatus  *(*get_status)  (ScSigner       *self);
  gboolean         (*unlock)      (ScSigner       *self,
                                   ScSecret       *pin,
                                   GCancellable   *cancellable,
                                   GError        **error);
  void             (*lock)        (ScSigner       *self);
};

GBytes *_sc_signer_sign_digest (ScSigner      *self,
                                const guint8  *digest,
                                gsize          digest_len,
                                GCancellable  *cancellable,
                                GError       **error);

G_END_DECLS
