/* scp-agent.h: the device side of SCP, portable C99
 *
 * The agent answers SCP requests over any byte stream, keeps its material in
 * a storage port (A/B slots, so a power cut during COMMIT leaves the old or
 * the new material, never a mix) and does its cryptography through a crypto
 * port (OpenSSL on a host: scp-crypto-openssl.c; an MCU port with mbedTLS or
 * PSA is a new file of the same shape).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef SCP_AGENT_H
#define SCP_AGENT_H

#include "scp-proto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- storage port: a flash of `size` bytes ------------------------------ */

typedef struct
{
  void     *ctx;
  uint32_t  size;
  /* 0 on success, -1 on failure. */
  int     (*read)  (void *ctx, uint32_t offset, uint8_t *buf, size_t len);
  int     (*write) (void *ctx, uint32_t offset, const uint8_t *buf, size_t len);
  int     (*sync)  (void *ctx);
} scp_storage;

/* ---- crypto port ------------------------------------------------------- */

typedef struct
{
  void *ctx;
  /* Fills @buf with @len random bytes; 0 or -1. */
  int (*random)      (void *ctx, uint8_t *buf, size_t len);
  int (*sha256)      (void *ctx, const uint8_t *data, size_t len, uint8_t out[32]);
  /* HKDF-SHA256 (RFC 5869). */
  int (*hkdf_sha256) (void *ctx, const uint8_t *ikm, size_t ikm_len, const uint8_t *salt, size_t salt_len,
                      const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len);
  /* AES-256-GCM with a 12-byte IV and a 16-byte tag; decrypt fails (-1) on a bad tag. */
  int (*aes_gcm_encrypt) (void *ctx, const uint8_t key[32], const uint8_t iv[12], const uint8_t *aad,
                          size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16]);
  int (*aes_gcm_decrypt) (void *ctx, const uint8_t key[32], const uint8_t iv[12], const uint8_t *aad,
                          size_t aad_len, const uint8_t *in, size_t len, const uint8_t tag[16], uint8_t *out);
  /* A new P-256 private key as DER in @key (cap SCP_MAX_KEY); returns its length or -1. */
  int (*ec_generate) (void *ctx, uint8_t *key, size_t cap);
  /* Checks @key (DER, SEC1 or PKCS#8) is a P-256 private key; 0 or -1. */
  int (*ec_check)    (void *ctx, const uint8_t *key, size_t key_len);
  /* The key's SubjectPublicKeyInfo, DER, uncompressed point; length or -1. */
  int (*ec_public)   (void *ctx, const uint8_t *key, size_t key_len, uint8_t *out, size_t cap);
  /* ECDSA over a SHA-256 digest, DER signature; length or -1. */
  int (*ec_sign)     (void *ctx, const uint8_t *key, size_t key_len, const uint8_t digest[32],
                      uint8_t *out, size_t cap);
  /* A CSR (DER) for @key, subject DSN then DeviceTypeId, PrintableString as
   * Amazon's on-device writer does; length or -1. */
  int (*make_csr)    (void *ctx, const uint8_t *key, size_t key_len, const char *dtid, const char *dsn,
                      uint8_t *out, size_t cap);
  /* The SubjectPublicKeyInfo of the first certificate of a PEM chain; length or -1. */
  int (*chain_leaf_public) (void *ctx, const uint8_t *pem, size_t len, uint8_t *out, size_t cap);
} scp_crypto;

/* ---- the agent -------------------------------------------------------- */

typedef struct
{
  const char *serial;      /* the device serial (also part of the at-rest key) */
  uint8_t     mac[6];
  const char *model;
  const char *firmware;
  uint32_t    caps;        /* enum scp_caps */
} scp_agent_config;

/* Layout of the storage (docs/device-protocol.md, "Flash layout"): the
 * device-unique random value (stand-in for eFuse) at 0, slot A at
 * SCP_SLOT_A, slot B at SCP_SLOT_B, each SCP_SLOT_SIZE bytes. */
#define SCP_OTP_OFFSET  0
#define SCP_OTP_SIZE    32
#define SCP_SLOT_A      4096
#define SCP_SLOT_B      (SCP_SLOT_A + SCP_SLOT_SIZE)
#define SCP_SLOT_SIZE   16384
#define SCP_FLASH_SIZE  (SCP_SLOT_B + SCP_SLOT_SIZE)

typedef struct scp_agent scp_agent;

/* Returns NULL if the storage cannot be read; the storage and crypto ports
 * must outlive the agent. */
scp_agent *scp_agent_new     (const scp_agent_config *config, const scp_storage *storage,
                              const scp_crypto *crypto);
void       scp_agent_free    (scp_agent *agent);

/* Handles the COBS bytes of one received frame (without its delimiter) and
 * writes the encoded response, delimiter included, to @out (SCP_MAX_ENCODED
 * bytes). Returns the response's length; every request gets a response, a
 * frame too damaged to answer gets an SCP_ERR_BAD_FRAME error with seq 0. A
 * retransmitted request (the same seq and bytes as the last one) gets the
 * last response again without running twice. */
size_t     scp_agent_handle  (scp_agent *agent, const uint8_t *encoded, size_t len, uint8_t *out);

/* Test hooks for the simulator's fault injection; NULL-able. Called before a
 * request runs: return 0 to go on, or an scp_error code to fail it. */
typedef int (*scp_agent_hook) (void *ctx, uint8_t type);
void       scp_agent_set_hook (scp_agent *agent, scp_agent_hook hook, void *ctx);

/* ---- host ports ------------------------------------------------------- */

/* A file-backed flash image of SCP_FLASH_SIZE bytes, created (erased to
 * 0xFF, with a fresh OTP random value) when missing. NULL on error. */
scp_storage *scp_storage_file_open  (const char *path);
void         scp_storage_file_close (scp_storage *storage);

/* The OpenSSL crypto port. */
const scp_crypto *scp_crypto_openssl (void);

#ifdef __cplusplus
}
#endif

#endif /* SCP_AGENT_H */
