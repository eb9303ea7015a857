/* sc-key.h: P-256 device keys and their PUK
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "sc-crypto.h"
#include "sc-secret.h"

G_BEGIN_DECLS

/* Length of a PUK: base64 of the 59-byte compressed-point SPKI. */
#define SC_PUK_LENGTH 80

EVP_PKEY *sc_key_generate          (GError       **error);
gboolean  sc_key_is_p256           (EVP_PKEY      *key);

/* PKCS#8 PEM of a private key, in wiped memory. */
ScSecret *sc_key_to_private_pem    (EVP_PKEY      *key,
                                    GError       **error);
/* PKCS#8 DER of a private key, in wiped memory (what a unit receives). */
ScSecret *sc_key_to_private_der    (EVP_PKEY      *key,
                                    GError       **error);
/* A private key from PEM (PKCS#8 or SEC1) or DER; the caller wipes @data. */
EVP_PKEY *sc_key_load_private      (const guint8  *data,
                                    gsize          len,
                                    GError       **error);

/* The PUK of the spec's section 3: base64 of the DER SubjectPublicKeyInfo
 * with the point in compressed form, 80 characters, one line. */
char     *sc_key_get_puk           (EVP_PKEY      *key,
                                    GError       **error);
/* Parses a PUK and checks it names a point on P-256. */
EVP_PKEY *sc_puk_decode            (const char    *puk,
                                    GError       **error);

/* A public key from its DER SubjectPublicKeyInfo (all of @der). */
EVP_PKEY *sc_key_load_public_der   (const guint8  *der,
                                    gsize          len);

/* SHA-256 over the DER SubjectPublicKeyInfo (uncompressed), in hex. */
char     *sc_key_fingerprint       (EVP_PKEY      *key);

G_END_DECLS
