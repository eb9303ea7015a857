/* sc-crypto.h: OpenSSL glue shared by the core: error domain, OIDs, autoptrs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

G_BEGIN_DECLS

#define SC_CRYPTO_ERROR (sc_crypto_error_quark ())

typedef enum
{
  SC_CRYPTO_ERROR_FAILED,     /* OpenSSL failed where it should not: a bug or no memory */
  SC_CRYPTO_ERROR_MALFORMED,  /* input is not a well-formed key, CSR, certificate or PUK */
} ScCryptoError;

GQuark sc_crypto_error_quark (void);

/* Amazon's private arc for FFS subject attributes (spec section 2). */
#define SC_OID_DSN            "1.3.6.1.4.1.4843.1.1"
#define SC_OID_DEVICE_ID      "1.3.6.1.4.1.4843.1.2"
#define SC_OID_DEVICE_TYPE_ID "1.3.6.1.4.1.4843.1.3"
#define SC_OID_DAK_TYPE       "1.3.6.1.4.1.4843.1.5"

/* The largest certificate or key file the core reads. */
#define SC_MAX_PEM_INPUT (64 * 1024)

/* The largest CSR the DAK looks at; a device CSR is well under 1 KiB. */
#define SC_MAX_CSR_INPUT (4 * 1024)

/* The longest DeviceTypeId or DSN value accepted in a CSR. */
#define SC_MAX_SUBJECT_VALUE 64

/* Registers the FFS OIDs with OpenSSL (once) and returns their NIDs. */
int          sc_nid_dsn              (void);
int          sc_nid_device_id        (void);
int          sc_nid_device_type_id   (void);
int          sc_nid_dak_type         (void);

/* The value of the single @nid entry in @name, or NULL if absent. Sets
 * *@count to the number of such entries when not NULL. */
char        *sc_x509_name_get_text   (const X509_NAME *name,
                                      int              nid,
                                      int             *count);

char        *sc_x509_name_to_string  (const X509_NAME *name);

/* Certificates and CSRs in and out of PEM. */
STACK_OF (X509) *sc_certs_load_pem   (const char      *data,
                                      gsize            len,
                                      GError         **error);
STACK_OF (X509) *sc_certs_load_file  (const char      *path,
                                      GError         **error);
char        *sc_certs_to_pem         (STACK_OF (X509) *certs);
char        *sc_cert_to_pem          (X509            *cert);
void         sc_cert_fingerprint     (X509            *cert,
                                      guint8           sha256[32]);
char        *sc_cert_fingerprint_hex (X509            *cert);
char        *sc_cert_serial_hex      (X509            *cert);

void         sc_certs_free           (STACK_OF (X509) *certs);

typedef STACK_OF (X509) ScCertList;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY_CTX, EVP_PKEY_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MD_CTX, EVP_MD_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_REQ, X509_REQ_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_NAME, X509_NAME_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_EXTENSION, X509_EXTENSION_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_STORE, X509_STORE_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_STORE_CTX, X509_STORE_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIO, BIO_free_all)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIGNUM, BN_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ASN1_INTEGER, ASN1_INTEGER_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ASN1_OBJECT, ASN1_OBJECT_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ScCertList, sc_certs_free)

G_END_DECLS
