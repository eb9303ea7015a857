/* sc-chain.h: checking a unit's certificate chain
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "sc-crypto.h"

G_BEGIN_DECLS

#define SC_CHAIN_ERROR (sc_chain_error_quark ())

typedef enum
{
  SC_CHAIN_ERROR_MALFORMED,       /* not a usable chain */
  SC_CHAIN_ERROR_UNTRUSTED,       /* does not lead to the trust anchor */
  SC_CHAIN_ERROR_EXPIRED,         /* a certificate has expired */
  SC_CHAIN_ERROR_NOT_YET_VALID,   /* a certificate is not valid yet */
  SC_CHAIN_ERROR_BAD_SIGNATURE,   /* a signature does not verify */
  SC_CHAIN_ERROR_DEVICE_TYPE_ID,  /* the leaf or DAK is for another DeviceTypeId */
  SC_CHAIN_ERROR_DSN,             /* the leaf is for another serial */
  SC_CHAIN_ERROR_PROFILE,         /* the leaf breaks the DHA certificate profile */
  SC_CHAIN_ERROR_INVALID,         /* any other verification failure */
} ScChainError;

GQuark   sc_chain_error_quark (void);

/* Verifies @chain (leaf first, then the DAK chain) up to @anchor with
 * X509_verify_cert and only @anchor trusted; then checks that the leaf and
 * the DAK carry @device_type_id, that the leaf carries @dsn when it is not
 * NULL, and that the leaf is an end-entity certificate of the DHA profile.
 * @at is the verification time, or 0 for now. */
gboolean sc_chain_verify      (STACK_OF (X509) *chain,
                               X509            *anchor,
                               const char      *device_type_id,
                               const char      *dsn,
                               time_t           at,
                               GError         **error);

G_END_DECLS
