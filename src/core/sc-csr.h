/* sc-csr.h: device certificate signing requests, and the policy the DAK
 * applies before it signs one
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "sc-crypto.h"
#include "sc-profile.h"

G_BEGIN_DECLS

#define SC_POLICY_ERROR (sc_policy_error_quark ())

/* One code per rule of the CSR policy; the message names the rule too. */
typedef enum
{
  SC_POLICY_ERROR_VERSION,              /* not a v1 (0) request */
  SC_POLICY_ERROR_KEY_TYPE,             /* not an EC key */
  SC_POLICY_ERROR_CURVE,                /* not named curve P-256 */
  SC_POLICY_ERROR_SIGNATURE_ALGORITHM,  /* not ecdsa-with-SHA256 */
  SC_POLICY_ERROR_SIGNATURE,            /* the self-signature does not verify */
  SC_POLICY_ERROR_DEVICE_TYPE_ID,       /* DeviceTypeId missing or not this product's */
  SC_POLICY_ERROR_DSN,                  /* DSN missing, not the expected one, or not a valid serial */
  SC_POLICY_ERROR_DUPLICATE_ATTRIBUTE,  /* DeviceTypeId or DSN given more than once */
  SC_POLICY_ERROR_STRING_TYPE,          /* not UTF8String or PrintableString */
  SC_POLICY_ERROR_SUBJECT_ATTRIBUTE,    /* a subject attribute other than DSN/DeviceTypeId */
  SC_POLICY_ERROR_REQUEST_ATTRIBUTE,    /* a request attribute other than extensionRequest */
  SC_POLICY_ERROR_EXTENSION,            /* a requested extension the profile does not allow */
} ScPolicyError;

GQuark    sc_policy_error_quark (void);

/* Builds and signs a CSR for @key whose subject is DeviceTypeId (and DSN
 * when @dsn is not NULL), both as UTF8String. */
X509_REQ *sc_csr_new            (EVP_PKEY     *key,
                                 const char   *device_type_id,
                                 const char   *dsn,
                                 GError      **error);

/* Reads a CSR in PEM or DER. Errors are SC_CRYPTO_ERROR_MALFORMED. */
X509_REQ *sc_csr_load           (const guint8 *data,
                                 gsize         len,
                                 GError      **error);

char     *sc_csr_to_pem         (X509_REQ     *req);

/* The DSN in the request's subject, or NULL. */
char     *sc_csr_get_dsn        (X509_REQ     *req);

/* The guard in front of the DAK: TRUE only if @req is a P-256 request whose
 * self-signature verifies, whose subject holds exactly @profile's
 * DeviceTypeId and (when @expected_dsn is set, or the profile requires one) a
 * DSN that is @expected_dsn and a valid serial for @profile, and that asks
 * for nothing the profile does not allow. */
gboolean  sc_csr_check_policy   (X509_REQ     *req,
                                 ScProfile    *profile,
                                 const char   *expected_dsn,
                                 GError      **error);

G_END_DECLS
