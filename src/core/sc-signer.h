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

/* A source of DAK signatures. Its virtual functions, and the call that signs,
 * are private to the core (sc-signer-private.h): only #ScDak signs, and only
 * after its CSR policy has passed, so no code linking the core can use a
 * signer as a signing oracle. Backends, one file each, implement it. */
G_DECLARE_INTERFACE (ScSigner, sc_signer, SC, SIGNER, GObject)

STACK_OF (X509) *sc_signer_get_chain       (ScSigner      *self);
X509            *sc_signer_get_certificate (ScSigner      *self);
char            *sc_signer_describe        (ScSigner      *self);

G_END_DECLS
