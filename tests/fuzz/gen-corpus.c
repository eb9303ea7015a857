/* gen-corpus.c: writes the seed corpora of fuzz-frame and fuzz-agent
 *
 * Run once by hand when the protocol changes, from the source tree:
 *
 *   cc -std=c99 -D_GNU_SOURCE -DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED \
 *      -Isrc/agent tests/fuzz/gen-corpus.c src/agent/scp-frame.c -lcrypto -o /tmp/gen-corpus
 *   /tmp/gen-corpus tests/fuzz/corpus
 *
 * frame/: encoded frames without their delimiter, one per file.
 * agent/: inputs in fuzz-agent.c's layout (two header bytes, then a raw
 * stream or records); one provisions a station key and its self-signed
 * certificate all the way to LOCK, so the fuzzer starts from deep states.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "scp-proto.h"

#define RESEND 0xFE

typedef struct
{
  uint8_t data[16384];
  size_t  len;
} buffer;

static const char *out_dir;

static void
die (const char *what)
{
  fprintf (stderr, "gen-corpus: %s\n", what);
  exit (1);
}

static void
add (buffer *b, const void *data, size_t len)
{
  if (b->len + len > sizeof b->data)
    die ("seed too large");
  memcpy (b->data + b->len, data, len);
  b->len += len;
}

static void
save (const char *sub, const char *name, const buffer *b)
{
  char path[512];
  FILE *f;

  snprintf (path, sizeof path, "%s/%s/%s", out_dir, sub, name);
  f = fopen (path, "wb");
  if (f == NULL || fwrite (b->data, 1, b->len, f) != b->len || fclose (f) != 0)
    die (path);
}

/* Appends an encoded frame; @delimiter: with its trailing 0x00. */
static void
add_frame (buffer *b, uint8_t type, uint16_t seq, const void *payload, size_t len, int delimiter)
{
  uint8_t out[SCP_MAX_ENCODED];
  size_t n = scp_frame_encode (type, seq, payload, (uint16_t) len, out);

  if (n == 0)
    die ("frame too large");
  add (b, out, delimiter ? n : n - 1);
}

static void
frame_seed (const char *name, uint8_t type, uint16_t seq, const void *payload, size_t len)
{
  buffer b = { .len = 0 };

  add_frame (&b, type, seq, payload, len, 0);
  save ("frame", name, &b);
}

static void
add_record (buffer *b, uint8_t type, const void *payload, size_t len)
{
  uint8_t head[3] = { type, (uint8_t) (len >> 8), (uint8_t) len };

  add (b, head, 3);
  add (b, payload, len);
}

static size_t
tlv (uint8_t *p, size_t off, uint8_t tag, const char *value)
{
  return scp_tlv_put (p, off, 256, tag, value, (uint16_t) strlen (value));
}

int
main (int argc, char **argv)
{
  static const uint8_t hello[] = { 1, 1 }, nonce[32] = { 7 }, zero[2] = { 0, 0 };
  uint8_t keygen[256], big[SCP_MAX_PAYLOAD], chunk[4 + 1020], err[] = { SCP_ERR_STATE, 'n', 'o' };
  uint8_t key_der[256];
  size_t keygen_len;
  int key_len;
  EVP_PKEY *key;
  X509 *cert;
  BIO *bio;
  char *pem;
  long pem_len;
  buffer b;

  if (argc != 2)
    die ("usage: gen-corpus CORPUS-DIR");
  out_dir = argv[1];

  keygen_len = tlv (keygen, 0, SCP_TAG_DTID, "A13HOHDXTVQYZO");
  keygen_len = tlv (keygen, keygen_len, SCP_TAG_DSN, "G3A0PA01802300PE");
  memset (big, 0xA5, sizeof big);

  /* A P-256 key and a self-signed certificate for it: a chain COMMIT takes. */
  key = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
  cert = X509_new ();
  if (key == NULL || cert == NULL ||
      !X509_set_version (cert, X509_VERSION_3) ||
      !ASN1_INTEGER_set (X509_get_serialNumber (cert), 1) ||
      !X509_NAME_add_entry_by_txt (X509_get_subject_name (cert), "CN", MBSTRING_ASC,
                                   (const unsigned char *) "fuzz", -1, -1, 0) ||
      !X509_set_issuer_name (cert, X509_get_subject_name (cert)) ||
      !X509_gmtime_adj (X509_getm_notBefore (cert), 0) ||
      !X509_gmtime_adj (X509_getm_notAfter (cert), 86400) ||
      !X509_set_pubkey (cert, key) ||
      !X509_sign (cert, key, EVP_sha256 ()))
    die ("cannot make the test certificate");
  {
    unsigned char *p = key_der;

    key_len = i2d_PrivateKey (key, NULL);
    if (key_len <= 0 || key_len > (int) sizeof key_der || i2d_PrivateKey (key, &p) != key_len)
      die ("cannot encode the test key");
  }
  bio = BIO_new (BIO_s_mem ());
  if (bio == NULL || !PEM_write_bio_X509 (bio, cert))
    die ("cannot write the test certificate");
  pem_len = BIO_get_mem_data (bio, &pem);
  if (pem_len <= 0 || pem_len > 1020)
    die ("unexpected certificate size");

  /* ---- frame/ ---- */
  frame_seed ("hello", SCP_HELLO, 1, hello, sizeof hello);
  frame_seed ("keygen", SCP_KEYGEN, 2, keygen, keygen_len);
  frame_seed ("commit", SCP_COMMIT, 3, NULL, 0);
  frame_seed ("challenge", SCP_CHALLENGE, 4, nonce, sizeof nonce);
  frame_seed ("read-chain", SCP_READ_CHAIN, 5, zero, sizeof zero);
  frame_seed ("largest", SCP_PUT_CHAIN, 65535, big, sizeof big);
  frame_seed ("error", SCP_ERROR, 6, err, sizeof err);
  b.len = 0;
  add_frame (&b, SCP_HELLO, 1, hello, sizeof hello, 1);
  add_frame (&b, SCP_READ_BACK, 2, NULL, 0, 1);
  save ("frame", "stream", &b);

  /* ---- agent/: raw streams ---- */
  b.len = 0;
  add (&b, "\x00\x00", 2);
  add_frame (&b, SCP_HELLO, 1, hello, sizeof hello, 1);
  add_frame (&b, SCP_READ_BACK, 2, NULL, 0, 1);
  add_frame (&b, SCP_READ_BACK, 2, NULL, 0, 1);  /* a retransmission */
  save ("agent", "raw-hello", &b);

  b.len = 0;
  add (&b, "\x00\x00", 2);
  add (&b, "\x13\x37\x42\x00", 4);                       /* garbage */
  add_frame (&b, SCP_HELLO, 1, hello, sizeof hello, 1);
  add_frame (&b, 0x42, 2, NULL, 0, 1);                   /* unknown type */
  add_frame (&b, SCP_PUT_PIN, 3, "K7PQ2M9XZ", 9, 1);
  add_frame (&b, SCP_KEYGEN, 4, keygen, keygen_len, 1);
  save ("agent", "raw-mixed", &b);

  /* ---- agent/: records ---- */
  b.len = 0;
  add (&b, "\x01\x00", 2);
  add_record (&b, SCP_HELLO, hello, sizeof hello);
  add_record (&b, SCP_KEYGEN, keygen, keygen_len);
  add_record (&b, RESEND, NULL, 0);
  add_record (&b, SCP_READ_BACK, NULL, 0);
  save ("agent", "records-keygen", &b);

  /* The whole provisioning of a station key, then LOCK. */
  chunk[0] = (uint8_t) (pem_len >> 8);
  chunk[1] = (uint8_t) pem_len;
  chunk[2] = 0;
  chunk[3] = 0;
  memcpy (chunk + 4, pem, (size_t) pem_len);
  for (int torn = 0; torn < 2; torn++)
    {
      b.len = 0;
      add (&b, torn ? "\x03\x08" : "\x01\x00", 2);
      add_record (&b, SCP_HELLO, hello, sizeof hello);
      add_record (&b, SCP_PUT_KEY, key_der, (size_t) key_len);
      add_record (&b, SCP_PUT_CHAIN, chunk, 4 + (size_t) pem_len);
      add_record (&b, SCP_PUT_PIN, "K7PQ2M9XZ", 9);
      add_record (&b, SCP_COMMIT, NULL, 0);
      add_record (&b, RESEND, NULL, 0);
      add_record (&b, SCP_READ_BACK, NULL, 0);
      add_record (&b, SCP_CHALLENGE, nonce, sizeof nonce);
      add_record (&b, SCP_READ_CHAIN, zero, sizeof zero);
      add_record (&b, SCP_LOCK, NULL, 0);
      add_record (&b, SCP_PUT_PIN, "K7PQ2M9XZ", 9);
      save ("agent", torn ? "records-provision-torn" : "records-provision", &b);
    }

  BIO_free (bio);
  X509_free (cert);
  EVP_PKEY_free (key);
  return 0;
}
