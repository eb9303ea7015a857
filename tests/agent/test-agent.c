/* test-agent.c: the reference agent, driven through scp_agent_handle() on a
 * real file-backed flash in a temporary folder
 *
 * Everything the agent answers is checked with code it did not use: CSRs
 * and signatures with OpenSSL's verifiers and the openssl program, hashes
 * with GLib's GChecksum. Torn writes come from a storage wrapper that stops
 * writing after a byte budget, as a power cut would; the same wrapper can
 * fail the write of a slot's magic, or the sync after it, with the bytes
 * already in place, as a flash that reports an error late would.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/core_names.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "scp-agent.h"

#define SERIAL   "SIM-0001"
#define DTID     "A13HOHDXTVQYZO"
#define DSN      "G3A0PA01802300PE"
#define PIN      "K7PQ2M9XZ"
#define OID_DSN  "1.3.6.1.4.1.4843.1.1"
#define OID_DTID "1.3.6.1.4.1.4843.1.3"

/* The slot format of docs/device-protocol.md, section 7. */
#define SLOT_MAGIC        "SCP2"
#define SLOT_HEADER_SIZE  20
#define SLOT_BODY_OFFSET  32
#define SLOT_CRC_OFFSET   16

typedef enum
{
  FLASH_FAULT_NONE,
  FLASH_FAULT_MAGIC_WRITE,  /* the write of a slot's magic lands, then reports failure */
  FLASH_FAULT_MAGIC_SYNC,   /* it lands and succeeds; the sync after it fails */
} FlashFault;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MD_CTX, EVP_MD_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_REQ, X509_REQ_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIO, BIO_free)

typedef struct
{
  char             *dir;
  char             *flash_path;
  scp_storage      *file;
  scp_storage       storage;    /* the file, through the torn-write wrapper */
  gssize            budget;     /* bytes that may still be written; -1: no limit */
  gsize             written;
  guint             writes;
  GArray           *write_sizes;  /* when set: the length of every write (gsize) */
  FlashFault        fault;
  gboolean          stick;        /* after the fault, every write and sync fails */
  gboolean          stuck;
  gboolean          fail_sync;
  guint             faults;       /* how often the fault struck */
  scp_agent_config  config;
  scp_agent        *agent;
  guint16           seq;

  EVP_PKEY         *ca_key;
  X509             *ca_cert;

  guint             hook_calls;
  guint8            hook_type;
  int               hook_code;
} Fixture;

typedef struct
{
  guint32  generation;
  GBytes  *pubkey;
  GBytes  *chain_sha256;
  GBytes  *pin_sha256;
  int      locked;
  int      origin;
} ReadBack;

static void
read_back_clear (ReadBack *rb)
{
  g_clear_pointer (&rb->pubkey, g_bytes_unref);
  g_clear_pointer (&rb->chain_sha256, g_bytes_unref);
  g_clear_pointer (&rb->pin_sha256, g_bytes_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ReadBack, read_back_clear)

/* ---- the storage wrapper ----------------------------------------------- */

static int
wrap_read (void *ctx, uint32_t offset, uint8_t *buf, size_t len)
{
  Fixture *fx = ctx;

  return fx->file->read (fx->file->ctx, offset, buf, len);
}

/* A write of a slot's magic (not of the zeros that invalidate a slot). */
static gboolean
writes_magic (uint32_t offset, const uint8_t *buf, size_t len)
{
  static const uint8_t zero[4] = { 0 };

  return (offset == SCP_SLOT_A || offset == SCP_SLOT_B) && len == 4 && memcmp (buf, zero, 4) != 0;
}

/* Writes while the budget lasts: the write that exhausts it is torn (its
 * first bytes land) and fails, and so does every write after it. With a
 * fault set, the magic write strikes it. */
static int
wrap_write (void *ctx, uint32_t offset, const uint8_t *buf, size_t len)
{
  Fixture *fx = ctx;

  fx->writes++;
  if (fx->write_sizes != NULL)
    g_array_append_val (fx->write_sizes, len);
  if (fx->stuck)
    return -1;
  if (fx->fault != FLASH_FAULT_NONE && writes_magic (offset, buf, len))
    {
      /* The bytes are in place either way. */
      g_assert_cmpint (fx->file->write (fx->file->ctx, offset, buf, len), ==, 0);
      fx->written += len;
      fx->faults++;
      if (fx->fault == FLASH_FAULT_MAGIC_WRITE)
        {
          fx->stuck = fx->stick;
          return -1;
        }
      fx->fail_sync = TRUE;
      return 0;
    }
  if (fx->budget >= 0 && (gsize) fx->budget < len)
    {
      if (fx->budget > 0)
        g_assert_cmpint (fx->file->write (fx->file->ctx, offset, buf, (size_t) fx->budget), ==, 0);
      fx->written += (gsize) fx->budget;
      fx->budget = 0;
      return -1;
    }
  if (fx->budget >= 0)
    fx->budget -= (gssize) len;
  fx->written += len;
  return fx->file->write (fx->file->ctx, offset, buf, len);
}

static int
wrap_sync (void *ctx)
{
  Fixture *fx = ctx;

  if (fx->fail_sync)
    {
      fx->fail_sync = FALSE;
      fx->stuck = fx->stick;
      g_assert_cmpint (fx->file->sync (fx->file->ctx), ==, 0);
      return -1;
    }
  if (fx->stuck)
    return -1;
  return fx->file->sync (fx->file->ctx);
}

/* ---- fixture ----------------------------------------------------------- */

static EVP_PKEY *
new_key (const char *curve)
{
  EVP_PKEY *key = EVP_PKEY_Q_keygen (NULL, NULL, "EC", curve);

  g_assert_nonnull (key);
  return key;
}

static void
set_name (X509_NAME *name, const char *cn)
{
  g_assert_true (X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_ASC, (const guchar *) cn,
                                             -1, -1, 0));
}

/* A certificate for @pub, signed by @signer (NULL: self-signed). */
static X509 *
make_cert (EVP_PKEY *pub, const char *cn, EVP_PKEY *signer_key, X509 *signer)
{
  X509 *cert = X509_new ();

  g_assert_true (X509_set_version (cert, X509_VERSION_3));
  g_assert_true (ASN1_INTEGER_set (X509_get_serialNumber (cert),
                                   g_random_int_range (1, G_MAXINT32)));
  set_name (X509_get_subject_name (cert), cn);
  g_assert_true (X509_set_issuer_name (cert, signer != NULL ? X509_get_subject_name (signer)
                                                           : X509_get_subject_name (cert)));
  g_assert_nonnull (X509_gmtime_adj (X509_getm_notBefore (cert), 0));
  g_assert_nonnull (X509_gmtime_adj (X509_getm_notAfter (cert), 3600));
  g_assert_true (X509_set_pubkey (cert, pub));
  g_assert_cmpint (X509_sign (cert, signer_key != NULL ? signer_key : pub, EVP_sha256 ()), >, 0);
  return cert;
}

static void
append_pem (GString *out, X509 *cert)
{
  g_autoptr(BIO) bio = BIO_new (BIO_s_mem ());
  char *data;
  long len;

  g_assert_true (PEM_write_bio_X509 (bio, cert));
  len = BIO_get_mem_data (bio, &data);
  g_string_append_len (out, data, len);
}

/* leaf (for @pub) then the test CA, PEM. */
static GString *
chain_for (Fixture *fx, EVP_PKEY *pub)
{
  g_autoptr(X509) leaf = make_cert (pub, DSN, fx->ca_key, fx->ca_cert);
  GString *pem = g_string_new (NULL);

  append_pem (pem, leaf);
  append_pem (pem, fx->ca_cert);
  return pem;
}

static void
start_agent (Fixture *fx)
{
  fx->file = scp_storage_file_open (fx->flash_path);
  g_assert_nonnull (fx->file);
  fx->storage = *fx->file;
  fx->storage.ctx = fx;
  fx->storage.read = wrap_read;
  fx->storage.write = wrap_write;
  fx->storage.sync = wrap_sync;
  fx->budget = -1;
  fx->agent = scp_agent_new (&fx->config, &fx->storage, scp_crypto_openssl ());
  g_assert_nonnull (fx->agent);
}

static void
stop_agent (Fixture *fx)
{
  g_clear_pointer (&fx->agent, scp_agent_free);
  g_clear_pointer (&fx->file, scp_storage_file_close);
}

/* A power cycle: a new agent on a newly opened flash file. */
static void
reboot (Fixture *fx)
{
  stop_agent (fx);
  start_agent (fx);
}

static GBytes *
flash_contents (Fixture *fx)
{
  g_autoptr(GError) error = NULL;
  char *data = NULL;
  gsize len = 0;

  g_file_get_contents (fx->flash_path, &data, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (len, ==, SCP_FLASH_SIZE);
  return g_bytes_new_take (data, len);
}

static void
set_flash_contents (Fixture *fx, GBytes *image)
{
  g_autoptr(GError) error = NULL;
  gsize len;
  const char *data = g_bytes_get_data (image, &len);

  stop_agent (fx);
  g_file_set_contents_full (fx->flash_path, data, (gssize) len, G_FILE_SET_CONTENTS_NONE,
                            0600, &error);
  g_assert_no_error (error);
  start_agent (fx);
}

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  static const guint8 mac[6] = { 0x02, 0x00, 0x5E, 0x10, 0x20, 0x30 };

  fx->dir = g_dir_make_tmp ("scp-agent-XXXXXX", &error);
  g_assert_no_error (error);
  fx->flash_path = g_build_filename (fx->dir, "flash.bin", NULL);
  fx->config.serial = SERIAL;
  memcpy (fx->config.mac, mac, 6);
  fx->config.model = "TEST-MODEL";
  fx->config.firmware = "1.2.3";
  fx->config.caps = SCP_CAP_KEYGEN | SCP_CAP_KEY_AT_REST | SCP_CAP_LOCK;
  fx->ca_key = new_key ("P-256");
  fx->ca_cert = make_cert (fx->ca_key, "Test DAK", NULL, NULL);
  start_agent (fx);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  stop_agent (fx);
  dir = g_dir_open (fx->dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fx->dir, name, NULL);

      g_assert_cmpint (g_unlink (path), ==, 0);
    }
  g_assert_cmpint (g_rmdir (fx->dir), ==, 0);
  g_free (fx->dir);
  g_free (fx->flash_path);
  EVP_PKEY_free (fx->ca_key);
  X509_free (fx->ca_cert);
}

/* ---- exchanges --------------------------------------------------------- */

/* Sends the encoded bytes of one frame, returns the decoded response. */
static GBytes *
send_encoded (Fixture *fx, const guint8 *req, gsize len, guint8 *type, guint16 *seq)
{
  static guint8 resp[SCP_MAX_ENCODED], buf[SCP_MAX_FRAME];
  scp_frame frame;
  gsize n;

  n = scp_agent_handle (fx->agent, req, len, resp);
  g_assert_cmpuint (n, >, 1);
  g_assert_cmpuint (n, <=, SCP_MAX_ENCODED);
  g_assert_cmpuint (resp[n - 1], ==, 0);
  g_assert_null (memchr (resp, 0, n - 1));
  g_assert_cmpint (scp_frame_decode (resp, n - 1, buf, &frame), ==, SCP_FRAME_OK);
  *type = frame.type;
  *seq = frame.seq;
  return g_bytes_new (frame.payload, frame.length);
}

static GBytes *
exchange (Fixture *fx, guint8 type, const void *payload, gsize len, guint8 *resp_type)
{
  guint8 req[SCP_MAX_ENCODED];
  guint16 seq = ++fx->seq, resp_seq;
  gsize n = scp_frame_encode (type, seq, payload, (guint16) len, req);
  GBytes *resp;

  g_assert_cmpuint (n, >, 0);
  resp = send_encoded (fx, req, n - 1, resp_type, &resp_seq);
  g_assert_cmpuint (resp_seq, ==, seq);
  return resp;
}

static GBytes *
call_ok (Fixture *fx, guint8 type, const void *payload, gsize len)
{
  guint8 resp_type;
  GBytes *resp = exchange (fx, type, payload, len, &resp_type);

  if (resp_type == SCP_ERROR)
    {
      gsize n;
      const guint8 *p = g_bytes_get_data (resp, &n);

      g_error ("request 0x%02X refused: error %u: %.*s", type, p[0], (int) n - 1, p + 1);
    }
  g_assert_cmphex (resp_type, ==, type | SCP_RESPONSE);
  return resp;
}

static void
call_refused (Fixture *fx, guint8 type, const void *payload, gsize len, int code)
{
  guint8 resp_type;
  g_autoptr(GBytes) resp = exchange (fx, type, payload, len, &resp_type);
  gsize n;
  const guint8 *p = g_bytes_get_data (resp, &n);

  g_assert_cmphex (resp_type, ==, SCP_ERROR);
  g_assert_cmpuint (n, >=, 2);  /* a code and a message */
  if (p[0] != code)
    g_error ("request 0x%02X: expected error %d, got %u: %.*s",
             type, code, p[0], (int) n - 1, p + 1);
  for (gsize i = 1; i < n; i++)
    g_assert_true (p[i] >= 0x20 && p[i] < 0x7F);
}

static guint32
be32 (GBytes *bytes)
{
  gsize n;
  const guint8 *p = g_bytes_get_data (bytes, &n);

  g_assert_cmpuint (n, ==, 4);
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static GBytes *
tlv (GBytes *payload, guint8 tag)
{
  const guint8 *value = NULL;
  guint16 len = 0;
  gsize n;
  const guint8 *p = g_bytes_get_data (payload, &n);
  int r = scp_tlv_find (p, n, tag, &value, &len);

  g_assert_cmpint (r, >=, 0);
  return r == 1 ? g_bytes_new (value, len) : NULL;
}

static void
add_tlv (GByteArray *out, guint8 tag, const char *value)
{
  guint8 head[3] = { tag, (guint8) (strlen (value) >> 8), (guint8) strlen (value) };

  g_byte_array_append (out, head, 3);
  g_byte_array_append (out, (const guint8 *) value, (guint) strlen (value));
}

static GBytes *
keygen (Fixture *fx, const char *dtid, const char *dsn)
{
  g_autoptr(GByteArray) req = g_byte_array_new ();

  add_tlv (req, SCP_TAG_DTID, dtid);
  add_tlv (req, SCP_TAG_DSN, dsn);
  return call_ok (fx, SCP_KEYGEN, req->data, req->len);
}

static void
put_chain (Fixture *fx, const char *pem, gsize len, gsize chunk)
{
  for (gsize off = 0; off < len; off += chunk)
    {
      gsize n = MIN (chunk, len - off);
      g_autofree guint8 *req = g_malloc (4 + n);
      g_autoptr(GBytes) resp = NULL;

      req[0] = (guint8) (len >> 8);
      req[1] = (guint8) len;
      req[2] = (guint8) (off >> 8);
      req[3] = (guint8) off;
      memcpy (req + 4, pem + off, n);
      resp = call_ok (fx, SCP_PUT_CHAIN, req, 4 + n);
      g_assert_cmpuint (g_bytes_get_size (resp), ==, 0);
    }
}

static GBytes *
key_der (EVP_PKEY *key, const char *structure)
{
  OSSL_ENCODER_CTX *ctx = OSSL_ENCODER_CTX_new_for_pkey (key, EVP_PKEY_KEYPAIR, "DER",
                                                         structure, NULL);
  guchar *data = NULL;
  gsize len = 0;
  GBytes *der;

  g_assert_nonnull (ctx);
  g_assert_cmpint (OSSL_ENCODER_to_data (ctx, &data, &len), ==, 1);
  OSSL_ENCODER_CTX_free (ctx);
  der = g_bytes_new (data, len);
  OPENSSL_clear_free (data, len);
  return der;
}

/* PUT_KEY, PUT_CHAIN and PUT_PIN. */
static void
stage (Fixture *fx, GBytes *der, const GString *chain, const char *pin)
{
  g_autoptr(GBytes) r1 = call_ok (fx, SCP_PUT_KEY, g_bytes_get_data (der, NULL),
                                  g_bytes_get_size (der));
  g_autoptr(GBytes) r2 = NULL;

  put_chain (fx, chain->str, chain->len, 1000);
  r2 = call_ok (fx, SCP_PUT_PIN, pin, strlen (pin));
}

/* The same with a new chain for @key, returned in @chain_out if wanted. */
static void
stage_station (Fixture *fx, EVP_PKEY *key, const char *structure, const char *pin,
               GString **chain_out)
{
  g_autoptr(GBytes) der = key_der (key, structure);
  g_autoptr(GString) chain = chain_for (fx, key);

  stage (fx, der, chain, pin);
  if (chain_out != NULL)
    *chain_out = g_steal_pointer (&chain);
}

static guint32
commit (Fixture *fx)
{
  g_autoptr(GBytes) resp = call_ok (fx, SCP_COMMIT, NULL, 0);

  return be32 (resp);
}

static ReadBack
read_back (Fixture *fx)
{
  g_autoptr(GBytes) resp = call_ok (fx, SCP_READ_BACK, NULL, 0);
  g_autoptr(GBytes) gen = tlv (resp, SCP_TAG_GENERATION);
  g_autoptr(GBytes) locked = NULL;
  g_autoptr(GBytes) origin = NULL;
  ReadBack rb = { 0 };

  g_assert_nonnull (gen);
  rb.generation = be32 (gen);
  rb.pubkey = tlv (resp, SCP_TAG_PUBKEY);
  rb.chain_sha256 = tlv (resp, SCP_TAG_CHAIN_SHA256);
  rb.pin_sha256 = tlv (resp, SCP_TAG_PIN_SHA256);
  locked = tlv (resp, SCP_TAG_LOCKED);
  origin = tlv (resp, SCP_TAG_KEY_ORIGIN);
  if (rb.generation == 0)
    {
      g_assert_null (rb.pubkey);
      g_assert_null (locked);
      return rb;
    }
  g_assert_nonnull (rb.pubkey);
  g_assert_nonnull (rb.chain_sha256);
  g_assert_nonnull (locked);
  g_assert_nonnull (origin);
  g_assert_cmpuint (g_bytes_get_size (locked), ==, 1);
  g_assert_cmpuint (g_bytes_get_size (origin), ==, 1);
  rb.locked = *(const guint8 *) g_bytes_get_data (locked, NULL);
  rb.origin = *(const guint8 *) g_bytes_get_data (origin, NULL);
  g_assert_true (rb.locked == 0 || rb.locked == 1);
  /* The PIN's hash until LOCK, never after: a shipped unit's short PIN must
   * not be open to a brute force from its READ_BACK. */
  if (rb.locked)
    g_assert_null (rb.pin_sha256);
  else
    g_assert_nonnull (rb.pin_sha256);
  return rb;
}

static GBytes *
sha256 (const void *data, gsize len)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize n = sizeof digest;

  g_checksum_update (sum, data, (gssize) len);
  g_checksum_get_digest (sum, digest, &n);
  return g_bytes_new (digest, n);
}

static EVP_PKEY *
spki_key (GBytes *spki)
{
  gsize n;
  const guchar *p = g_bytes_get_data (spki, &n);
  EVP_PKEY *key = d2i_PUBKEY (NULL, &p, (long) n);

  g_assert_nonnull (key);
  return key;
}

/* Checks READ_BACK against the material we staged. */
static void
assert_stored (Fixture *fx, const ReadBack *rb, EVP_PKEY *key, const GString *chain,
               const char *pin, int origin)
{
  g_autoptr(EVP_PKEY) stored = spki_key (rb->pubkey);
  g_autoptr(GBytes) chain_hash = sha256 (chain->str, chain->len);
  g_autoptr(GBytes) pin_hash = sha256 (pin, strlen (pin));

  /* The 91-byte uncompressed SPKI the device's setup software uses. */
  g_assert_cmpuint (g_bytes_get_size (rb->pubkey), ==, 91);
  g_assert_cmpint (EVP_PKEY_eq (stored, key), ==, 1);
  g_assert_true (g_bytes_equal (rb->chain_sha256, chain_hash));
  if (rb->locked)
    g_assert_null (rb->pin_sha256);
  else
    g_assert_true (g_bytes_equal (rb->pin_sha256, pin_hash));
  g_assert_cmpint (rb->origin, ==, origin);
}

/* CHALLENGE with a fresh nonce; the signature must verify with @pub over
 * SHA-256(context || nonce). */
static void
assert_challenge (Fixture *fx, EVP_PKEY *pub)
{
  guint8 nonce[SCP_NONCE_SIZE];
  g_autoptr(GBytes) sig = NULL;
  g_autoptr(EVP_MD_CTX) md = EVP_MD_CTX_new ();
  g_autoptr(EVP_MD_CTX) md2 = EVP_MD_CTX_new ();
  gsize n;
  const guchar *s;

  for (gsize i = 0; i < sizeof nonce; i++)
    nonce[i] = (guint8) g_random_int ();
  sig = call_ok (fx, SCP_CHALLENGE, nonce, sizeof nonce);
  s = g_bytes_get_data (sig, &n);

  g_assert_cmpint (EVP_DigestVerifyInit (md, NULL, EVP_sha256 (), NULL, pub), ==, 1);
  g_assert_cmpint (EVP_DigestVerifyUpdate (md, SCP_CHALLENGE_CONTEXT,
                                           strlen (SCP_CHALLENGE_CONTEXT)), ==, 1);
  g_assert_cmpint (EVP_DigestVerifyUpdate (md, nonce, sizeof nonce), ==, 1);
  g_assert_cmpint (EVP_DigestVerifyFinal (md, s, n), ==, 1);

  /* ... and not over the bare nonce. */
  g_assert_cmpint (EVP_DigestVerifyInit (md2, NULL, EVP_sha256 (), NULL, pub), ==, 1);
  g_assert_cmpint (EVP_DigestVerify (md2, s, n, nonce, sizeof nonce), !=, 1);
}

static EVP_PKEY *
csr_key (GBytes *csr_der, X509_REQ **out_req)
{
  gsize n;
  const guchar *p = g_bytes_get_data (csr_der, &n);
  X509_REQ *req = d2i_X509_REQ (NULL, &p, (long) n);
  EVP_PKEY *key;

  g_assert_nonnull (req);
  g_assert_true (p == (const guchar *) g_bytes_get_data (csr_der, NULL) + n);
  key = X509_REQ_get_pubkey (req);
  g_assert_nonnull (key);
  if (out_req != NULL)
    *out_req = req;
  else
    X509_REQ_free (req);
  return key;
}

/* ---- tests ------------------------------------------------------------- */

static void
test_storage_file (Fixture *fx, gconstpointer data)
{
  g_autofree char *other = g_build_filename (fx->dir, "other.bin", NULL);
  g_autofree char *short_file = g_build_filename (fx->dir, "short.bin", NULL);
  g_autoptr(GBytes) image = flash_contents (fx);
  g_autoptr(GBytes) image2 = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 *p = g_bytes_get_data (image, NULL);
  scp_storage *second;
  struct stat st;
  gboolean otp_erased = TRUE;

  g_assert_cmpint (g_stat (fx->flash_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (st.st_size, ==, SCP_FLASH_SIZE);
  for (gsize i = 0; i < SCP_FLASH_SIZE; i++)
    if (i - SCP_OTP_OFFSET < SCP_OTP_SIZE)  /* unsigned: false below it too */
      otp_erased &= p[i] == 0xFF;
    else
      g_assert_cmpuint (p[i], ==, 0xFF);
  g_assert_false (otp_erased);

  /* One process at a time. */
  g_assert_null (scp_storage_file_open (fx->flash_path));

  /* Another image gets another device-unique value. */
  second = scp_storage_file_open (other);
  g_assert_nonnull (second);
  scp_storage_file_close (second);
  {
    g_autofree char *contents = NULL;
    gsize len;

    g_file_get_contents (other, &contents, &len, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (len, ==, SCP_FLASH_SIZE);
    g_assert_cmpmem (contents + SCP_SLOT_A, 16, p + SCP_SLOT_A, 16);
    g_assert_true (memcmp (contents + SCP_OTP_OFFSET, p + SCP_OTP_OFFSET, SCP_OTP_SIZE) != 0);
  }

  /* Reopening keeps the image. */
  reboot (fx);
  image2 = flash_contents (fx);
  g_assert_true (g_bytes_equal (image, image2));

  /* Not a flash image: refused, not resized. */
  g_file_set_contents (short_file, "short", -1, &error);
  g_assert_no_error (error);
  g_assert_null (scp_storage_file_open (short_file));
  g_assert_cmpint (g_stat (short_file, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, 5);

  /* Reads and writes stay inside the image. */
  {
    guint8 b[2] = { 0 };

    g_assert_cmpint (fx->file->read (fx->file->ctx, SCP_FLASH_SIZE - 1, b, 2), ==, -1);
    g_assert_cmpint (fx->file->write (fx->file->ctx, SCP_FLASH_SIZE - 1, b, 2), ==, -1);
    g_assert_cmpint (fx->file->read (fx->file->ctx, SCP_FLASH_SIZE - 2, b, 2), ==, 0);
  }
}

static void
test_hello (Fixture *fx, gconstpointer data)
{
  const guint8 v1[] = { 1, 1 }, wide[] = { 0, 9 }, too_new[] = { 2, 3 }, reversed[] = { 1, 0 };
  g_autoptr(GBytes) resp = call_ok (fx, SCP_HELLO, v1, sizeof v1);
  g_autoptr(GBytes) tlvs = NULL;
  g_autoptr(GBytes) serial = NULL;
  g_autoptr(GBytes) mac = NULL;
  g_autoptr(GBytes) model = NULL;
  g_autoptr(GBytes) firmware = NULL;
  g_autoptr(GBytes) caps = NULL;
  g_autoptr(GBytes) resp2 = NULL;
  gsize n;
  const guint8 *p = g_bytes_get_data (resp, &n);

  g_assert_cmpuint (n, >=, 1);
  g_assert_cmpuint (p[0], ==, SCP_VERSION);
  tlvs = g_bytes_new_from_bytes (resp, 1, n - 1);
  serial = tlv (tlvs, SCP_TAG_SERIAL);
  mac = tlv (tlvs, SCP_TAG_MAC);
  model = tlv (tlvs, SCP_TAG_MODEL);
  firmware = tlv (tlvs, SCP_TAG_FIRMWARE);
  caps = tlv (tlvs, SCP_TAG_CAPS);
  g_assert_cmpmem (g_bytes_get_data (serial, NULL), g_bytes_get_size (serial), SERIAL,
                   strlen (SERIAL));
  g_assert_cmpmem (g_bytes_get_data (mac, NULL), g_bytes_get_size (mac), fx->config.mac, 6);
  g_assert_cmpmem (g_bytes_get_data (model, NULL), g_bytes_get_size (model), "TEST-MODEL", 10);
  g_assert_cmpmem (g_bytes_get_data (firmware, NULL), g_bytes_get_size (firmware), "1.2.3", 5);
  g_assert_cmphex (be32 (caps), ==, SCP_CAP_KEYGEN | SCP_CAP_KEY_AT_REST | SCP_CAP_LOCK);

  /* The highest version in the asked range, or none. */
  resp2 = call_ok (fx, SCP_HELLO, wide, sizeof wide);
  g_assert_cmpuint (*(const guint8 *) g_bytes_get_data (resp2, NULL), ==, SCP_VERSION);
  call_refused (fx, SCP_HELLO, too_new, sizeof too_new, SCP_ERR_BAD_VERSION);
  call_refused (fx, SCP_HELLO, reversed, sizeof reversed, SCP_ERR_BAD_VERSION);
  call_refused (fx, SCP_HELLO, v1, 1, SCP_ERR_BAD_ARGUMENT);
  call_refused (fx, SCP_HELLO, NULL, 0, SCP_ERR_BAD_ARGUMENT);
}

static void
test_hello_resets_staging (Fixture *fx, gconstpointer data)
{
  const guint8 v1[] = { 1, 1 };
  g_autoptr(EVP_PKEY) key = new_key ("P-256");
  g_autoptr(GBytes) hello = NULL;
  g_auto(ReadBack) rb = { 0 };

  stage_station (fx, key, "PrivateKeyInfo", PIN, NULL);
  hello = call_ok (fx, SCP_HELLO, v1, sizeof v1);
  call_refused (fx, SCP_COMMIT, NULL, 0, SCP_ERR_STATE);
  rb = read_back (fx);
  g_assert_cmpuint (rb.generation, ==, 0);
}

static void
run_openssl (const char *const *argv, char **out)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s %s failed: %s", argv[0], argv[1], err);
}

static void
test_keygen_csr (Fixture *fx, gconstpointer data)
{
  g_autoptr(GBytes) csr = keygen (fx, DTID, DSN);
  g_autoptr(X509_REQ) req = NULL;
  g_autoptr(EVP_PKEY) key = csr_key (csr, &req);
  g_autofree char *path = g_build_filename (fx->dir, "csr.der", NULL);
  g_autofree char *parsed = NULL;
  g_autoptr(GError) error = NULL;
  const X509_NAME *subject = X509_REQ_get_subject_name (req);
  char group[32];
  char oid[64];

  /* OpenSSL's verifier: self-signature good, ecdsa-with-SHA256, P-256. */
  g_assert_cmpint (X509_REQ_verify (req, key), ==, 1);
  g_assert_cmpint (X509_REQ_get_signature_nid (req), ==, NID_ecdsa_with_SHA256);
  g_assert_true (EVP_PKEY_is_a (key, "EC"));
  g_assert_cmpint (EVP_PKEY_get_group_name (key, group, sizeof group, NULL), ==, 1);
  g_assert_cmpstr (group, ==, "prime256v1");

  /* Subject: DSN then DeviceTypeId, PrintableString, nothing else. */
  g_assert_cmpint (X509_NAME_entry_count (subject), ==, 2);
  for (int i = 0; i < 2; i++)
    {
      const X509_NAME_ENTRY *entry = X509_NAME_get_entry (subject, i);
      const ASN1_STRING *value = X509_NAME_ENTRY_get_data (entry);

      OBJ_obj2txt (oid, sizeof oid, X509_NAME_ENTRY_get_object (entry), 1);
      g_assert_cmpstr (oid, ==, i == 0 ? OID_DSN : OID_DTID);
      g_assert_cmpint (ASN1_STRING_type (value), ==, V_ASN1_PRINTABLESTRING);
      g_assert_cmpmem (ASN1_STRING_get0_data (value), ASN1_STRING_length (value),
                       i == 0 ? DSN : DTID, strlen (i == 0 ? DSN : DTID));
    }

  /* The openssl program agrees. */
  g_file_set_contents (path, g_bytes_get_data (csr, NULL), (gssize) g_bytes_get_size (csr), &error);
  g_assert_no_error (error);
  {
    const char *verify[] = {
      "openssl", "req", "-inform", "DER", "-in", path, "-verify", "-noout", NULL,
    };
    const char *parse[] = { "openssl", "asn1parse", "-inform", "DER", "-in", path, NULL };

    run_openssl (verify, NULL);
    run_openssl (parse, &parsed);
  }
  g_assert_nonnull (strstr (parsed, ":" OID_DSN "\n"));
  g_assert_nonnull (strstr (parsed, "PRINTABLESTRING   :" DSN "\n"));
  g_assert_nonnull (strstr (parsed, ":" OID_DTID "\n"));
  g_assert_nonnull (strstr (parsed, "PRINTABLESTRING   :" DTID "\n"));
  g_assert_nonnull (strstr (parsed, ":ecdsa-with-SHA256"));
  g_assert_nonnull (strstr (parsed, ":prime256v1"));
}

static void
test_keygen_refusals (Fixture *fx, gconstpointer data)
{
  g_autoptr(GByteArray) req = g_byte_array_new ();
  g_autofree char *long_dsn = g_strnfill (65, 'A');
  g_autofree char *max_dsn = g_strnfill (64, 'A');
  g_autoptr(GBytes) ok = NULL;
  const guint8 truncated[] = { SCP_TAG_DTID, 0x00, 0x09, 'A' };

  /* Both fields are needed. */
  add_tlv (req, SCP_TAG_DTID, DTID);
  call_refused (fx, SCP_KEYGEN, req->data, req->len, SCP_ERR_BAD_ARGUMENT);
  call_refused (fx, SCP_KEYGEN, truncated, sizeof truncated, SCP_ERR_BAD_ARGUMENT);

  /* 1 to 64 PrintableString characters. */
  for (guint i = 0; i < 4; i++)
    {
      const char *bad[] = { long_dsn, "", "G3A0_PA01", "G3A0\tPA01" };

      g_byte_array_set_size (req, 0);
      add_tlv (req, SCP_TAG_DTID, DTID);
      add_tlv (req, SCP_TAG_DSN, bad[i]);
      call_refused (fx, SCP_KEYGEN, req->data, req->len, SCP_ERR_BAD_ARGUMENT);
    }
  ok = keygen (fx, DTID, max_dsn);

  /* A unit without on-device keygen says so. */
  fx->config.caps &= ~(uint32_t) SCP_CAP_KEYGEN;
  reboot (fx);
  g_byte_array_set_size (req, 0);
  add_tlv (req, SCP_TAG_DTID, DTID);
  add_tlv (req, SCP_TAG_DSN, DSN);
  call_refused (fx, SCP_KEYGEN, req->data, req->len, SCP_ERR_NOT_SUPPORTED);
}

static void
test_commit_device_key (Fixture *fx, gconstpointer data)
{
  g_autoptr(GBytes) csr = keygen (fx, DTID, DSN);
  g_autoptr(EVP_PKEY) key = csr_key (csr, NULL);
  g_autoptr(GString) chain = chain_for (fx, key);
  g_autoptr(GBytes) pin = NULL;
  g_autoptr(GString) read = g_string_new (NULL);
  g_auto(ReadBack) rb = { 0 };

  put_chain (fx, chain->str, chain->len, 1000);
  pin = call_ok (fx, SCP_PUT_PIN, PIN, strlen (PIN));
  g_assert_cmpuint (commit (fx), ==, 1);

  rb = read_back (fx);
  g_assert_cmpuint (rb.generation, ==, 1);
  g_assert_cmpint (rb.locked, ==, 0);
  assert_stored (fx, &rb, key, chain, PIN, 1);
  assert_challenge (fx, key);

  /* READ_CHAIN gives the chain back in pieces of at most 1000 bytes. */
  for (guint16 off = 0;;)
    {
      guint8 req[2] = { off >> 8, off & 0xFF };
      g_autoptr(GBytes) piece = call_ok (fx, SCP_READ_CHAIN, req, 2);
      gsize n;
      const guint8 *p = g_bytes_get_data (piece, &n);

      g_assert_cmpuint (n, >=, 2);
      g_assert_cmpuint ((gsize) (p[0] << 8 | p[1]), ==, chain->len);
      g_assert_cmpuint (n - 2, <=, 1000);
      g_string_append_len (read, (const char *) p + 2, (gssize) n - 2);
      off += (guint16) (n - 2);
      if (n - 2 == 0)
        break;
    }
  g_assert_cmpstr (read->str, ==, chain->str);
  {
    guint8 past[2] = { (chain->len + 1) >> 8, (chain->len + 1) & 0xFF };

    call_refused (fx, SCP_READ_CHAIN, past, 2, SCP_ERR_BAD_ARGUMENT);
    call_refused (fx, SCP_READ_CHAIN, past, 1, SCP_ERR_BAD_ARGUMENT);
  }

  /* Staging is gone after COMMIT. */
  call_refused (fx, SCP_COMMIT, NULL, 0, SCP_ERR_STATE);
}

static void
test_commit_station_key (Fixture *fx, gconstpointer data)
{
  g_autoptr(EVP_PKEY) key1 = new_key ("P-256");
  g_autoptr(EVP_PKEY) key2 = new_key ("P-256");
  g_autoptr(GString) chain1 = NULL;
  g_autoptr(GString) chain2 = NULL;
  g_auto(ReadBack) rb = { 0 };
  g_auto(ReadBack) rb2 = { 0 };

  /* PKCS#8 ... */
  stage_station (fx, key1, "PrivateKeyInfo", PIN, &chain1);
  g_assert_cmpuint (commit (fx), ==, 1);
  rb = read_back (fx);
  g_assert_cmpuint (rb.generation, ==, 1);
  assert_stored (fx, &rb, key1, chain1, PIN, 2);
  assert_challenge (fx, key1);

  /* ... then SEC1, replacing it: the generation goes up. */
  {
    g_autoptr(GBytes) der = key_der (key2, "type-specific");
    g_autoptr(GBytes) r1 = call_ok (fx, SCP_PUT_KEY, g_bytes_get_data (der, NULL),
                                    g_bytes_get_size (der));
    g_autoptr(GBytes) r2 = NULL;

    chain2 = chain_for (fx, key2);
    put_chain (fx, chain2->str, chain2->len, 700);
    r2 = call_ok (fx, SCP_PUT_PIN, "ABCDEF123", 9);
  }
  g_assert_cmpuint (commit (fx), ==, 2);
  rb2 = read_back (fx);
  g_assert_cmpuint (rb2.generation, ==, 2);
  assert_stored (fx, &rb2, key2, chain2, "ABCDEF123", 2);
  assert_challenge (fx, key2);
}

static void
test_reboot (Fixture *fx, gconstpointer data)
{
  g_autoptr(GBytes) csr = keygen (fx, DTID, DSN);
  g_autoptr(EVP_PKEY) key = csr_key (csr, NULL);
  g_autoptr(GString) chain = chain_for (fx, key);
  g_autoptr(GBytes) pin = NULL;
  g_auto(ReadBack) before = { 0 };
  g_auto(ReadBack) after = { 0 };

  put_chain (fx, chain->str, chain->len, 1000);
  pin = call_ok (fx, SCP_PUT_PIN, PIN, strlen (PIN));
  g_assert_cmpuint (commit (fx), ==, 1);
  before = read_back (fx);

  reboot (fx);
  after = read_back (fx);
  g_assert_cmpuint (after.generation, ==, 1);
  g_assert_true (g_bytes_equal (before.pubkey, after.pubkey));
  assert_stored (fx, &after, key, chain, PIN, 1);
  assert_challenge (fx, key);
}

static void
test_key_not_in_flash (Fixture *fx, gconstpointer data)
{
  g_autoptr(EVP_PKEY) key = new_key ("P-256");
  g_autoptr(GBytes) pkcs8 = key_der (key, "PrivateKeyInfo");
  g_autoptr(GBytes) sec1 = key_der (key, "type-specific");
  g_autoptr(GString) chain = chain_for (fx, key);
  g_autoptr(GBytes) image = NULL;
  g_autoptr(GBytes) r1 = NULL;
  g_autoptr(GBytes) r2 = NULL;
  BIGNUM *priv = NULL;
  guint8 scalar[32];
  gsize n;
  const guint8 *flash;

  r1 = call_ok (fx, SCP_PUT_KEY, g_bytes_get_data (sec1, NULL), g_bytes_get_size (sec1));
  put_chain (fx, chain->str, chain->len, 1000);
  r2 = call_ok (fx, SCP_PUT_PIN, PIN, strlen (PIN));
  g_assert_cmpuint (commit (fx), ==, 1);

  g_assert_cmpint (EVP_PKEY_get_bn_param (key, OSSL_PKEY_PARAM_PRIV_KEY, &priv), ==, 1);
  g_assert_cmpint (BN_bn2binpad (priv, scalar, sizeof scalar), ==, 32);
  BN_clear_free (priv);

  image = flash_contents (fx);
  flash = g_bytes_get_data (image, &n);
  /* The key in no form, not even its bare scalar ... */
  g_assert_null (memmem (flash, n, g_bytes_get_data (pkcs8, NULL), g_bytes_get_size (pkcs8)));
  g_assert_null (memmem (flash, n, g_bytes_get_data (sec1, NULL), g_bytes_get_size (sec1)));
  g_assert_null (memmem (flash, n, scalar, sizeof scalar));
  g_assert_null (memmem (flash, n, scalar, 8));
  /* ... while chain and PIN are there as they were sent. */
  g_assert_nonnull (memmem (flash, n, chain->str, chain->len));
  g_assert_nonnull (memmem (flash, n, PIN, strlen (PIN)));
}

static void
test_chain_for_other_key (Fixture *fx, gconstpointer data)
{
  g_autoptr(EVP_PKEY) key = new_key ("P-256");
  g_autoptr(EVP_PKEY) other = new_key ("P-256");
  g_autoptr(GBytes) der = key_der (key, "PrivateKeyInfo");
  g_autoptr(GString) chain = chain_for (fx, other);
  g_autoptr(GBytes) r1 = NULL;
  g_autoptr(GBytes) r2 = NULL;
  g_auto(ReadBack) rb = { 0 };

  r1 = call_ok (fx, SCP_PUT_KEY, g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  put_chain (fx, chain->str, chain->len, 1000);
  r2 = call_ok (fx, SCP_PUT_PIN, PIN, strlen (PIN));
  call_refused (fx, SCP_COMMIT, NULL, 0, SCP_ERR_STATE);

  /* A chain that is not PEM at all. */
  put_chain (fx, "not a certificate", 17, 1000);
  call_refused (fx, SCP_COMMIT, NULL, 0, SCP_ERR_STATE);

  rb = read_back (fx);
  g_assert_cmpuint (rb.generation, ==, 0);
  g_assert_cmpuint (fx->writes, ==, 0);
}

static void
test_commit_needs_everything (Fixture *fx, gconstpointer data)
{
  g_autoptr(EVP_PKEY) key = new_key ("P-256");
  g_autoptr(GBytes) der = key_der (key, "PrivateKeyInfo");
  g_autoptr(GString) chain = chain_for (fx, key);
  g_autoptr(GBytes) r1 = NULL;
  g_autoptr(GBytes) r2 = NULL;
  g_autoptr(GBytes) r3 = NULL;

  call_refused (fx, SCP_COMMIT, NULL, 0, SCP_ERR_STATE);
  r1 = call_ok (fx, SCP_PUT_KEY, g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  call_refused (fx, SCP_COMMIT, NULL, 0, SCP_ERR_STATE);
  /* Half a chain is no chain. */
  {
    guint8 first[4 + 100];

    first[0] = (guint8) (chain->len >> 8);
    first[1] = (guint8) chain->len;
    first[2] = 0;
    first[3] = 0;
    memcpy (first + 4, chain->str, 100);
    r3 = call_ok (fx, SCP_PUT_CHAIN, first, sizeof first);
  }
  r2 = call_ok (fx, SCP_PUT_PIN, PIN, strlen (PIN));
  call_refused (fx, SCP_COMMIT, NULL, 0, SCP_ERR_STATE);
  put_chain (fx, chain->str, chain->len, 1000);
  call_refused (fx, SCP_COMMIT, "x", 1, SCP_ERR_BAD_ARGUMENT);
  g_assert_cmpuint (commit (fx), ==, 1);
}

static void
put_chunk (Fixture *fx, guint16 total, guint16 offset, const char *data, gsize len, int code)
{
  g_autofree guint8 *req = g_malloc (4 + len);

  req[0] = total >> 8;
  req[1] = total & 0xFF;
  req[2] = offset >> 8;
  req[3] = offset & 0xFF;
  memcpy (req + 4, data, len);
  if (code == 0)
    g_bytes_unref (call_ok (fx, SCP_PUT_CHAIN, req, 4 + len));
  else
    call_refused (fx, SCP_PUT_CHAIN, req, 4 + len, code);
}

static void
test_put_chain_order (Fixture *fx, gconstpointer data)
{
  g_autoptr(EVP_PKEY) key = new_key ("P-256");
  g_autoptr(GBytes) der = key_der (key, "PrivateKeyInfo");
  g_autoptr(GString) chain = chain_for (fx, key);
  g_autoptr(GBytes) r1 = NULL;
  g_autoptr(GBytes) r2 = NULL;
  guint16 total = (guint16) chain->len;
  const char *pem = chain->str;

  put_chunk (fx, total, 100, pem + 100, 100, SCP_ERR_BAD_ARGUMENT);       /* not from 0 */
  put_chunk (fx, 0, 0, pem, 0, SCP_ERR_BAD_ARGUMENT);                     /* empty */
  put_chunk (fx, SCP_MAX_CHAIN + 1, 0, pem, 100, SCP_ERR_BAD_ARGUMENT);   /* too big */
  put_chunk (fx, 50, 0, pem, 100, SCP_ERR_BAD_ARGUMENT);                  /* past total */
  put_chunk (fx, total, 0, pem, 100, 0);
  put_chunk (fx, total, 200, pem + 200, 100, SCP_ERR_BAD_ARGUMENT);       /* a gap */
  put_chunk (fx, total, 50, pem + 50, 100, SCP_ERR_BAD_ARGUMENT);         /* an overlap */
  put_chunk (fx, total + 1, 100, pem + 100, 100, SCP_ERR_BAD_ARGUMENT);   /* another total */
  put_chunk (fx, total, 100, pem + 100, total - 99, SCP_ERR_BAD_ARGUMENT);  /* past total */
  put_chunk (fx, total, 100, pem + 100, total - 100, 0);                  /* the rest */

  r1 = call_ok (fx, SCP_PUT_KEY, g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  r2 = call_ok (fx, SCP_PUT_PIN, PIN, strlen (PIN));
  g_assert_cmpuint (commit (fx), ==, 1);
}

static void
test_largest_chain (Fixture *fx, gconstpointer data)
{
  g_autoptr(EVP_PKEY) key = new_key ("P-256");
  g_autoptr(GBytes) der = key_der (key, "PrivateKeyInfo");
  g_autoptr(GString) chain = chain_for (fx, key);
  g_autoptr(GBytes) r1 = NULL;
  g_autoptr(GBytes) r2 = NULL;
  g_auto(ReadBack) rb = { 0 };

  /* Text after the PEM blocks fills it to the limit. */
  while (chain->len < SCP_MAX_CHAIN)
    g_string_append_c (chain, chain->len % 64 == 63 ? '\n' : '#');
  g_assert_cmpuint (chain->len, ==, SCP_MAX_CHAIN);

  r1 = call_ok (fx, SCP_PUT_KEY, g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  put_chain (fx, chain->str, chain->len, SCP_MAX_PAYLOAD - 4);
  r2 = call_ok (fx, SCP_PUT_PIN, "01234567890123456789012345678901", SCP_MAX_PIN);
  g_assert_cmpuint (commit (fx), ==, 1);
  reboot (fx);
  rb = read_back (fx);
  assert_stored (fx, &rb, key, chain, "01234567890123456789012345678901", 2);
}

static void
test_put_pin_refusals (Fixture *fx, gconstpointer data)
{
  g_autofree char *long_pin = g_strnfill (SCP_MAX_PIN + 1, '7');
  g_autoptr(GBytes) ok = call_ok (fx, SCP_PUT_PIN, long_pin, SCP_MAX_PIN);

  call_refused (fx, SCP_PUT_PIN, NULL, 0, SCP_ERR_BAD_ARGUMENT);
  call_refused (fx, SCP_PUT_PIN, long_pin, SCP_MAX_PIN + 1, SCP_ERR_BAD_ARGUMENT);
  call_refused (fx, SCP_PUT_PIN, "ABC\nDEF", 7, SCP_ERR_BAD_ARGUMENT);
  call_refused (fx, SCP_PUT_PIN, "ABC\0DEF", 7, SCP_ERR_BAD_ARGUMENT);
  call_refused (fx, SCP_PUT_PIN, "ABC\xC3\xA9", 5, SCP_ERR_BAD_ARGUMENT);
}

static void
test_put_key_refusals (Fixture *fx, gconstpointer data)
{
  g_autoptr(EVP_PKEY) p384 = new_key ("P-384");
  g_autoptr(EVP_PKEY) p256 = new_key ("P-256");
  g_autoptr(GBytes) der384 = key_der (p384, "PrivateKeyInfo");
  g_autoptr(GBytes) der256 = key_der (p256, "type-specific");
  g_autoptr(GBytes) ok = NULL;
  guint8 buf[SCP_MAX_KEY + 1];
  gsize n = g_bytes_get_size (der256);

  call_refused (fx, SCP_PUT_KEY, NULL, 0, SCP_ERR_BAD_ARGUMENT);
  call_refused (fx, SCP_PUT_KEY, "garbage", 7, SCP_ERR_BAD_ARGUMENT);
  call_refused (fx, SCP_PUT_KEY, g_bytes_get_data (der384, NULL), g_bytes_get_size (der384),
                SCP_ERR_BAD_ARGUMENT);

  /* Trailing bytes, a damaged scalar, and too long. */
  memcpy (buf, g_bytes_get_data (der256, NULL), n);
  buf[n] = 0;
  call_refused (fx, SCP_PUT_KEY, buf, n + 1, SCP_ERR_BAD_ARGUMENT);
  buf[10] ^= 0x01;
  call_refused (fx, SCP_PUT_KEY, buf, n, SCP_ERR_BAD_ARGUMENT);
  memset (buf, 0x30, sizeof buf);
  call_refused (fx, SCP_PUT_KEY, buf, sizeof buf, SCP_ERR_BAD_ARGUMENT);

  ok = call_ok (fx, SCP_PUT_KEY, g_bytes_get_data (der256, NULL), n);
}

static void
test_lock (Fixture *fx, gconstpointer data)
{
  g_autoptr(EVP_PKEY) key = new_key ("P-256");
  g_autoptr(GBytes) der = key_der (key, "PrivateKeyInfo");
  g_autoptr(GString) chain = chain_for (fx, key);
  g_autoptr(GBytes) gen = NULL;
  g_autoptr(GBytes) again = NULL;
  g_autoptr(GByteArray) kg = g_byte_array_new ();
  g_auto(ReadBack) before = { 0 };
  g_auto(ReadBack) after = { 0 };
  g_auto(ReadBack) rebooted = { 0 };
  const guint8 zero[2] = { 0, 0 };

  call_refused (fx, SCP_LOCK, NULL, 0, SCP_ERR_NOT_PROVISIONED);
  call_refused (fx, SCP_READ_CHAIN, zero, 2, SCP_ERR_NOT_PROVISIONED);
  stage_station (fx, key, "PrivateKeyInfo", PIN, NULL);
  g_assert_cmpuint (commit (fx), ==, 1);
  before = read_back (fx);
  g_assert_cmpint (before.locked, ==, 0);

  gen = call_ok (fx, SCP_LOCK, NULL, 0);
  g_assert_cmpuint (be32 (gen), ==, 2);
  after = read_back (fx);
  g_assert_cmpuint (after.generation, ==, 2);
  g_assert_cmpint (after.locked, ==, 1);
  g_assert_true (g_bytes_equal (before.pubkey, after.pubkey));
  g_assert_true (g_bytes_equal (before.chain_sha256, after.chain_sha256));
  g_assert_cmpint (after.origin, ==, 2);

  /* The PIN's hash was there for the console's check after COMMIT; once
   * locked it is nowhere in READ_BACK, under any tag. */
  g_assert_nonnull (before.pin_sha256);
  g_assert_null (after.pin_sha256);
  {
    g_autoptr(GBytes) raw = call_ok (fx, SCP_READ_BACK, NULL, 0);
    g_autoptr(GBytes) pin_hash = sha256 (PIN, strlen (PIN));
    gsize n;
    const guint8 *p = g_bytes_get_data (raw, &n);

    g_assert_true (g_bytes_equal (before.pin_sha256, pin_hash));
    g_assert_null (memmem (p, n, g_bytes_get_data (pin_hash, NULL), 32));
    g_assert_null (memmem (p, n, g_bytes_get_data (pin_hash, NULL), 8));
  }

  /* Provisioning is over ... */
  add_tlv (kg, SCP_TAG_DTID, DTID);
  add_tlv (kg, SCP_TAG_DSN, DSN);
  call_refused (fx, SCP_PUT_PIN, PIN, strlen (PIN), SCP_ERR_LOCKED);
  call_refused (fx, SCP_KEYGEN, kg->data, kg->len, SCP_ERR_LOCKED);
  call_refused (fx, SCP_PUT_KEY, g_bytes_get_data (der, NULL), g_bytes_get_size (der),
                SCP_ERR_LOCKED);
  put_chunk (fx, (guint16) chain->len, 0, chain->str, 100, SCP_ERR_LOCKED);
  call_refused (fx, SCP_COMMIT, NULL, 0, SCP_ERR_LOCKED);

  /* ... the unit still proves its identity, LOCK again changes nothing ... */
  assert_challenge (fx, key);
  again = call_ok (fx, SCP_LOCK, NULL, 0);
  g_assert_cmpuint (be32 (again), ==, 2);

  /* ... and all of it survives a power cycle. */
  reboot (fx);
  rebooted = read_back (fx);
  g_assert_cmpuint (rebooted.generation, ==, 2);
  g_assert_cmpint (rebooted.locked, ==, 1);
  call_refused (fx, SCP_PUT_PIN, PIN, strlen (PIN), SCP_ERR_LOCKED);
  assert_challenge (fx, key);
}

static void
test_no_lock (Fixture *fx, gconstpointer data)
{
  g_autoptr(EVP_PKEY) key = new_key ("P-256");

  fx->config.caps &= ~(uint32_t) SCP_CAP_LOCK;
  reboot (fx);
  stage_station (fx, key, "PrivateKeyInfo", PIN, NULL);
  g_assert_cmpuint (commit (fx), ==, 1);
  call_refused (fx, SCP_LOCK, NULL, 0, SCP_ERR_NOT_SUPPORTED);
}

static void
test_retransmitted_commit (Fixture *fx, gconstpointer data)
{
  static guint8 req[SCP_MAX_ENCODED];
  g_autoptr(EVP_PKEY) key = new_key ("P-256");
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) second = NULL;
  g_auto(ReadBack) rb = { 0 };
  guint8 type;
  guint16 seq;
  guint writes;
  gsize n;

  stage_station (fx, key, "PrivateKeyInfo", PIN, NULL);
  n = scp_frame_encode (SCP_COMMIT, 0x4242, NULL, 0, req);

  first = send_encoded (fx, req, n - 1, &type, &seq);
  g_assert_cmphex (type, ==, SCP_COMMIT | SCP_RESPONSE);
  g_assert_cmpuint (be32 (first), ==, 1);
  writes = fx->writes;
  g_assert_cmpuint (writes, >, 0);

  /* The response was lost; the console sends the same frame again. */
  second = send_encoded (fx, req, n - 1, &type, &seq);
  g_assert_cmphex (type, ==, SCP_COMMIT | SCP_RESPONSE);
  g_assert_cmpuint (seq, ==, 0x4242);
  g_assert_cmpuint (be32 (second), ==, 1);
  g_assert_cmpuint (fx->writes, ==, writes);

  fx->seq = 0x4242;
  rb = read_back (fx);
  g_assert_cmpuint (rb.generation, ==, 1);
  reboot (fx);
  read_back_clear (&rb);
  rb = read_back (fx);
  g_assert_cmpuint (rb.generation, ==, 1);

  /* A new COMMIT (new seq) does run: nothing is staged any more. */
  call_refused (fx, SCP_COMMIT, NULL, 0, SCP_ERR_STATE);
}

static void
test_retransmitted_keygen (Fixture *fx, gconstpointer data)
{
  static guint8 req[SCP_MAX_ENCODED];
  g_autoptr(GByteArray) kg = g_byte_array_new ();
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) second = NULL;
  g_autoptr(GBytes) third = NULL;
  guint8 type;
  guint16 seq;
  gsize n;

  add_tlv (kg, SCP_TAG_DTID, DTID);
  add_tlv (kg, SCP_TAG_DSN, DSN);
  n = scp_frame_encode (SCP_KEYGEN, 7, kg->data, (guint16) kg->len, req);
  first = send_encoded (fx, req, n - 1, &type, &seq);
  second = send_encoded (fx, req, n - 1, &type, &seq);
  /* The same CSR: no second key was made. */
  g_assert_true (g_bytes_equal (first, second));

  /* The same seq with other bytes is a new request. */
  g_byte_array_set_size (kg, 0);
  add_tlv (kg, SCP_TAG_DTID, DTID);
  add_tlv (kg, SCP_TAG_DSN, "OTHER");
  n = scp_frame_encode (SCP_KEYGEN, 7, kg->data, (guint16) kg->len, req);
  third = send_encoded (fx, req, n - 1, &type, &seq);
  g_assert_cmphex (type, ==, SCP_KEYGEN | SCP_RESPONSE);
  g_assert_false (g_bytes_equal (first, third));
}

typedef enum
{
  LOSS_DROP,              /* the first response never arrives */
  LOSS_CORRUPT,           /* it arrives with a byte flipped, as --corrupt-frame does it */
  LOSS_CORRUPT_REQUEST,   /* the first request arrives damaged: the unit answers BAD_FRAME */
} Loss;

/* One request as the console makes it (section 2): a new seq, then the same
 * bytes again while no response arrives, the one that does does not decode,
 * or it is a BAD_FRAME error. @loss befalls the first exchange. Returns the
 * response payload; *sends counts the frames sent, *writes_first the flash
 * writes made by the time the first one was answered. */
static GBytes *
console_call (Fixture *fx, guint8 type, Loss loss, guint8 *resp_type, guint *sends,
              guint *writes_first)
{
  static guint8 req[SCP_MAX_ENCODED], damaged[SCP_MAX_ENCODED], resp[SCP_MAX_ENCODED];
  static guint8 first[SCP_MAX_ENCODED], buf[SCP_MAX_FRAME];
  guint16 seq = ++fx->seq;
  gsize req_len = scp_frame_encode (type, seq, NULL, 0, req), first_len = 0;

  *sends = 0;
  for (guint attempt = 0; attempt <= SCP_RETRIES; attempt++)
    {
      const guint8 *sent = req;
      scp_receiver rx;
      scp_frame frame;
      int status = 1, frames = 0;
      gsize n;

      if (attempt == 0 && loss == LOSS_CORRUPT_REQUEST)
        {
          memcpy (damaged, req, req_len);
          damaged[req_len / 2] ^= 0x01;
          if (damaged[req_len / 2] == 0)
            damaged[req_len / 2] = 0x02;
          sent = damaged;
        }
      n = scp_agent_handle (fx->agent, sent, req_len - 1, resp);
      (*sends)++;
      if (attempt == 0)
        {
          memcpy (first, resp, n);
          first_len = n;
          *writes_first = fx->writes;
        }
      if (attempt == 0 && loss == LOSS_DROP)
        continue;
      if (attempt == 0 && loss == LOSS_CORRUPT)
        {
          gsize at = (n - 1) / 2;
          guint8 v = resp[at] ^ 0x01;

          resp[at] = v != 0 ? v : (guint8) (resp[at] ^ 0x02);
        }

      scp_receiver_init (&rx);
      for (gsize i = 0; i < n; i++)
        if (scp_receiver_push (&rx, resp[i]))
          {
            status = scp_frame_decode (rx.data, rx.len, buf, &frame);
            frames++;
            scp_receiver_init (&rx);
          }
      g_assert_cmpint (frames, ==, 1);
      if (attempt == 0 && loss == LOSS_CORRUPT)
        {
          g_assert_cmpint (status, !=, SCP_FRAME_OK);
          continue;
        }
      g_assert_cmpint (status, ==, SCP_FRAME_OK);
      if (frame.type == SCP_ERROR && frame.length >= 1 && frame.payload[0] == SCP_ERR_BAD_FRAME)
        {
          g_assert_cmpuint (attempt, ==, 0);
          g_assert_cmpint (loss, ==, LOSS_CORRUPT_REQUEST);
          continue;
        }
      g_assert_cmpuint (frame.seq, ==, seq);
      /* A response lost on its way back is answered again from the unit's
       * memory: the same bytes. */
      if (attempt > 0 && loss != LOSS_CORRUPT_REQUEST)
        g_assert_cmpmem (resp, n, first, first_len);
      *resp_type = frame.type;
      return g_bytes_new (frame.payload, frame.length);
    }
  g_assert_not_reached ();
}

/* The COMMIT response is lost or damaged (or the COMMIT itself is): the
 * console sends the same COMMIT again, the unit answers it from its memory
 * without writing again, and the generation goes up by one, not two. */
static void
test_commit_response_lost (Fixture *fx, gconstpointer data)
{
  const Loss losses[] = { LOSS_DROP, LOSS_CORRUPT, LOSS_CORRUPT_REQUEST };
  g_autoptr(EVP_PKEY) old_key = new_key ("P-256");
  g_autoptr(EVP_PKEY) key = new_key ("P-256");
  g_autoptr(GBytes) erased = flash_contents (fx);

  for (guint i = 0; i < G_N_ELEMENTS (losses); i++)
    {
      g_autoptr(GString) chain = NULL;
      g_autoptr(GBytes) resp = NULL;
      g_auto(ReadBack) now = { 0 };
      g_auto(ReadBack) later = { 0 };
      guint writes_one, before, writes_first, sends;
      guint8 type;

      /* A unit that already holds material, so "once" shows as 1 -> 2. */
      set_flash_contents (fx, erased);
      stage_station (fx, old_key, "PrivateKeyInfo", "OLD000001", NULL);
      before = fx->writes;
      g_assert_cmpuint (commit (fx), ==, 1);
      writes_one = fx->writes - before;
      g_assert_cmpuint (writes_one, ==, 4);

      stage_station (fx, key, "PrivateKeyInfo", PIN, &chain);
      before = fx->writes;
      resp = console_call (fx, SCP_COMMIT, losses[i], &type, &sends, &writes_first);
      g_assert_cmphex (type, ==, SCP_COMMIT | SCP_RESPONSE);
      g_assert_cmpuint (be32 (resp), ==, 2);
      g_assert_cmpuint (sends, ==, 2);
      /* One COMMIT's writes in all, made by whichever send reached the unit whole. */
      g_assert_cmpuint (fx->writes - before, ==, writes_one);
      if (losses[i] != LOSS_CORRUPT_REQUEST)
        g_assert_cmpuint (writes_first - before, ==, writes_one);
      else
        g_assert_cmpuint (writes_first, ==, before);

      now = read_back (fx);
      g_assert_cmpuint (now.generation, ==, 2);
      assert_stored (fx, &now, key, chain, PIN, 2);
      /* It ran once: nothing is staged any more. */
      call_refused (fx, SCP_COMMIT, NULL, 0, SCP_ERR_STATE);
      reboot (fx);
      later = read_back (fx);
      g_assert_cmpuint (later.generation, ==, 2);
      assert_stored (fx, &later, key, chain, PIN, 2);
    }
}

/* Stages material and lets COMMIT write only @budget bytes. */
static void
torn_commit (Fixture *fx, GBytes *der, const GString *chain, gssize budget)
{
  stage (fx, der, chain, "TORN12345");
  fx->budget = budget;
  call_refused (fx, SCP_COMMIT, NULL, 0, SCP_ERR_STORAGE);
  fx->budget = -1;
}

static gint
cmp_gssize (gconstpointer a, gconstpointer b)
{
  gssize x = *(const gssize *) a, y = *(const gssize *) b;

  return x < y ? -1 : x > y;
}

/* The byte budgets that cut a slot update made of writes of @sizes at,
 * just before and just after every boundary between writes, and in the
 * middle of each write; all short of the whole update. */
static GArray *
cuts_from_writes (GArray *sizes)
{
  GArray *cuts = g_array_new (FALSE, FALSE, sizeof (gssize));
  gssize total = 0, at = 0;
  guint kept = 0;

  /* The commit order of section 7: clear the magic (4 bytes), the body,
   * the rest of the header, the magic (4 bytes). */
  g_assert_cmpuint (sizes->len, ==, 4);
  g_assert_cmpuint (g_array_index (sizes, gsize, 0), ==, 4);
  g_assert_cmpuint (g_array_index (sizes, gsize, 1), >, 500);
  g_assert_cmpuint (g_array_index (sizes, gsize, 2), ==, SLOT_HEADER_SIZE - 4);
  g_assert_cmpuint (g_array_index (sizes, gsize, 3), ==, 4);
  for (guint i = 0; i < sizes->len; i++)
    total += (gssize) g_array_index (sizes, gsize, i);

  for (guint i = 0; i <= sizes->len; i++)
    {
      gssize points[4] = { at - 1, at, at + 1, -1 };

      if (i < sizes->len)
        {
          points[3] = at + (gssize) g_array_index (sizes, gsize, i) / 2;
          at += (gssize) g_array_index (sizes, gsize, i);
        }
      for (guint j = 0; j < G_N_ELEMENTS (points); j++)
        if (points[j] >= 0 && points[j] < total)
          g_array_append_val (cuts, points[j]);
    }

  g_array_sort (cuts, cmp_gssize);
  for (guint i = 0; i < cuts->len; i++)
    if (kept == 0 || g_array_index (cuts, gssize, i) != g_array_index (cuts, gssize, kept - 1))
      g_array_index (cuts, gssize, kept++) = g_array_index (cuts, gssize, i);
  g_array_set_size (cuts, kept);
  return cuts;
}

/* Makes the request once, recording its writes, and puts the flash back. */
static GArray *
record_writes (Fixture *fx, guint8 type)
{
  g_autoptr(GBytes) image = flash_contents (fx);
  g_autoptr(GArray) sizes = g_array_new (FALSE, FALSE, sizeof (gsize));

  fx->write_sizes = sizes;
  g_bytes_unref (call_ok (fx, type, NULL, 0));
  fx->write_sizes = NULL;
  set_flash_contents (fx, image);
  return cuts_from_writes (sizes);
}

/* The byte budgets that cut a COMMIT of this material at each of its
 * writes and between them, found by making it once. */
static GArray *
cut_points (Fixture *fx, GBytes *der, const GString *chain)
{
  stage (fx, der, chain, "TORN12345");
  return record_writes (fx, SCP_COMMIT);
}

static void
test_torn_commit_empty (Fixture *fx, gconstpointer data)
{
  g_autoptr(EVP_PKEY) key = new_key ("P-256");
  g_autoptr(GBytes) der = key_der (key, "PrivateKeyInfo");
  g_autoptr(GString) chain = chain_for (fx, key);
  g_autoptr(GBytes) image = flash_contents (fx);
  g_autoptr(GArray) cuts = cut_points (fx, der, chain);

  for (guint i = 0; i < cuts->len; i++)
    {
      g_auto(ReadBack) now = { 0 };
      g_auto(ReadBack) later = { 0 };

      torn_commit (fx, der, chain, g_array_index (cuts, gssize, i));
      now = read_back (fx);
      g_assert_cmpuint (now.generation, ==, 0);
      reboot (fx);
      later = read_back (fx);
      g_assert_cmpuint (later.generation, ==, 0);
      call_refused (fx, SCP_CHALLENGE, "01234567890123456789012345678901", 32,
                    SCP_ERR_NOT_PROVISIONED);
      set_flash_contents (fx, image);
    }
}

static void
test_torn_commit_old (Fixture *fx, gconstpointer data)
{
  g_autoptr(EVP_PKEY) old_key = new_key ("P-256");
  g_autoptr(EVP_PKEY) key = new_key ("P-256");
  g_autoptr(GBytes) der = key_der (key, "PrivateKeyInfo");
  g_autoptr(GString) chain = chain_for (fx, key);
  g_autoptr(GBytes) image = NULL;
  g_autoptr(GArray) cuts = NULL;
  g_auto(ReadBack) old = { 0 };

  /* Twice, so the slot COMMIT writes into held older material. */
  stage_station (fx, old_key, "PrivateKeyInfo", "OLD000001", NULL);
  g_assert_cmpuint (commit (fx), ==, 1);
  stage_station (fx, old_key, "PrivateKeyInfo", PIN, NULL);
  g_assert_cmpuint (commit (fx), ==, 2);
  old = read_back (fx);
  image = flash_contents (fx);
  cuts = cut_points (fx, der, chain);

  for (guint i = 0; i < cuts->len; i++)
    {
      g_auto(ReadBack) now = { 0 };
      g_auto(ReadBack) later = { 0 };

      torn_commit (fx, der, chain, g_array_index (cuts, gssize, i));
      now = read_back (fx);
      g_assert_cmpuint (now.generation, ==, 2);
      g_assert_true (g_bytes_equal (now.pubkey, old.pubkey));
      g_assert_true (g_bytes_equal (now.pin_sha256, old.pin_sha256));
      reboot (fx);
      later = read_back (fx);
      g_assert_cmpuint (later.generation, ==, 2);
      g_assert_true (g_bytes_equal (later.pubkey, old.pubkey));
      g_assert_true (g_bytes_equal (later.chain_sha256, old.chain_sha256));
      g_assert_true (g_bytes_equal (later.pin_sha256, old.pin_sha256));
      assert_challenge (fx, old_key);
      set_flash_contents (fx, image);
    }

  /* Without a cut the same COMMIT goes through: the cuts were what failed. */
  {
    g_auto(ReadBack) done = { 0 };

    stage (fx, der, chain, PIN);
    g_assert_cmpuint (commit (fx), ==, 3);
    reboot (fx);
    done = read_back (fx);
    g_assert_cmpuint (done.generation, ==, 3);
    assert_stored (fx, &done, key, chain, PIN, 2);
    assert_challenge (fx, key);
  }
}

/* LOCK cut at every write boundary: afterwards the unit holds either the
 * unlocked old material or the same material locked, never a mix, and
 * what it answers before a reboot is what it holds after one. */
static void
test_torn_lock (Fixture *fx, gconstpointer data)
{
  g_autoptr(EVP_PKEY) key = new_key ("P-256");
  g_autoptr(GString) chain = NULL;
  g_autoptr(GBytes) image = NULL;
  g_autoptr(GArray) cuts = NULL;
  g_auto(ReadBack) old = { 0 };

  stage_station (fx, key, "PrivateKeyInfo", PIN, &chain);
  g_assert_cmpuint (commit (fx), ==, 1);
  old = read_back (fx);
  image = flash_contents (fx);
  cuts = record_writes (fx, SCP_LOCK);
  g_assert_cmpuint (cuts->len, >=, 12);

  for (guint i = 0; i < cuts->len; i++)
    {
      g_auto(ReadBack) now = { 0 };
      g_auto(ReadBack) later = { 0 };

      fx->budget = g_array_index (cuts, gssize, i);
      call_refused (fx, SCP_LOCK, NULL, 0, SCP_ERR_STORAGE);
      fx->budget = -1;
      now = read_back (fx);
      reboot (fx);
      later = read_back (fx);

      g_assert_cmpuint (now.generation, ==, later.generation);
      g_assert_cmpint (now.locked, ==, later.locked);
      g_assert_true (later.generation == 1 || later.generation == 2);
      g_assert_cmpint (later.locked, ==, later.generation == 2);
      assert_stored (fx, &now, key, chain, PIN, 2);
      assert_stored (fx, &later, key, chain, PIN, 2);
      assert_challenge (fx, key);
      set_flash_contents (fx, image);
    }

  /* Without a cut it locks. */
  {
    g_auto(ReadBack) done = { 0 };

    g_bytes_unref (call_ok (fx, SCP_LOCK, NULL, 0));
    reboot (fx);
    done = read_back (fx);
    g_assert_cmpuint (done.generation, ==, 2);
    g_assert_cmpint (done.locked, ==, 1);
  }
}

/* COMMIT or LOCK (@type) on a unit holding material: the magic write, or the
 * sync after it, fails although the bytes are in place. Whatever the unit
 * then answers READ_BACK with, it must answer the same after a reboot. With
 * a flash that works again at once the update is undone (the slot that
 * failed is invalidated again) and the old material stays. */
static void
magic_step_fails (Fixture *fx, guint8 type)
{
  static const struct
  {
    FlashFault fault;
    gboolean   stick;
  } cases[] = {
    { FLASH_FAULT_MAGIC_WRITE, FALSE },
    { FLASH_FAULT_MAGIC_SYNC, FALSE },
    { FLASH_FAULT_MAGIC_WRITE, TRUE },
    { FLASH_FAULT_MAGIC_SYNC, TRUE },
  };
  g_autoptr(EVP_PKEY) old_key = new_key ("P-256");
  g_autoptr(EVP_PKEY) new_key_ = new_key ("P-256");
  g_autoptr(GBytes) erased = flash_contents (fx);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GString) old_chain = NULL;
      g_autoptr(GString) new_chain = NULL;
      g_auto(ReadBack) now = { 0 };
      g_auto(ReadBack) later = { 0 };

      set_flash_contents (fx, erased);
      stage_station (fx, old_key, "PrivateKeyInfo", PIN, &old_chain);
      g_assert_cmpuint (commit (fx), ==, 1);
      if (type == SCP_COMMIT)
        stage_station (fx, new_key_, "PrivateKeyInfo", "NEW000001", &new_chain);

      fx->fault = cases[i].fault;
      fx->stick = cases[i].stick;
      fx->faults = 0;
      call_refused (fx, type, NULL, 0, SCP_ERR_STORAGE);
      g_assert_cmpuint (fx->faults, ==, 1);
      fx->fault = FLASH_FAULT_NONE;
      fx->fail_sync = FALSE;
      now = read_back (fx);
      fx->stuck = FALSE;
      reboot (fx);
      later = read_back (fx);

      g_test_message ("%s, %s fails%s: generation %u now, %u after a reboot",
                      type == SCP_COMMIT ? "COMMIT" : "LOCK",
                      cases[i].fault == FLASH_FAULT_MAGIC_WRITE ? "magic write" : "sync after it",
                      cases[i].stick ? " and the flash stays broken" : "",
                      now.generation, later.generation);
      g_assert_cmpuint (now.generation, ==, later.generation);
      g_assert_cmpint (now.locked, ==, later.locked);
      g_assert_true (g_bytes_equal (now.pubkey, later.pubkey));
      g_assert_true (g_bytes_equal (now.chain_sha256, later.chain_sha256));
      if (!cases[i].stick)
        g_assert_cmpuint (later.generation, ==, 1);

      /* Old or new, it is whole. */
      if (later.generation == 1)
        {
          g_assert_cmpint (later.locked, ==, 0);
          assert_stored (fx, &now, old_key, old_chain, PIN, 2);
          assert_stored (fx, &later, old_key, old_chain, PIN, 2);
          assert_challenge (fx, old_key);
        }
      else
        {
          g_assert_cmpuint (later.generation, ==, 2);
          if (type == SCP_COMMIT)
            {
              assert_stored (fx, &later, new_key_, new_chain, "NEW000001", 2);
              assert_challenge (fx, new_key_);
            }
          else
            {
              g_assert_cmpint (later.locked, ==, 1);
              assert_stored (fx, &later, old_key, old_chain, PIN, 2);
              assert_challenge (fx, old_key);
            }
        }
    }
}

static void
test_commit_magic_fails (Fixture *fx, gconstpointer data)
{
  magic_step_fails (fx, SCP_COMMIT);
}

static void
test_lock_magic_fails (Fixture *fx, gconstpointer data)
{
  magic_step_fails (fx, SCP_LOCK);
}

static guint32
get_be32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

/* Writes the slot CRC of section 7 (over header bytes 0 to 15, then the
 * body) into the slot at @slot of @image. */
static void
reseal_slot (guint8 *image, gsize slot)
{
  guint8 *h = image + slot;
  guint32 body_len = get_be32 (h + 8), crc;

  g_assert_cmpuint (body_len, <, SCP_SLOT_SIZE - SLOT_BODY_OFFSET);
  crc = scp_crc32 (scp_crc32 (0, h, SLOT_CRC_OFFSET), h + SLOT_BODY_OFFSET, body_len);
  h[SLOT_CRC_OFFSET] = (guint8) (crc >> 24);
  h[SLOT_CRC_OFFSET + 1] = (guint8) (crc >> 16);
  h[SLOT_CRC_OFFSET + 2] = (guint8) (crc >> 8);
  h[SLOT_CRC_OFFSET + 3] = (guint8) crc;
}

/* The slot header as section 7 describes it, read from the flash image. */
static void
test_slot_format (Fixture *fx, gconstpointer data)
{
  g_autoptr(EVP_PKEY) key = new_key ("P-256");
  g_autoptr(GBytes) image = NULL;
  g_autofree guint8 *bytes = NULL;
  const guint8 *h;
  guint32 body_len;
  gsize n;
  static const struct
  {
    gsize   at;
    guint8  value;   /* written there, then the CRC made right */
    guint32 generation;
    int     locked;
  } crafted[] = {
    { 12, 0x01, 1, 1 },  /* LOCKED, a known flag: the crafted CRC is right ... */
    { 12, 0x04, 0, 0 },  /* ... so it is the reserved flag bits that are refused */
    { 12, 0x80, 0, 0 },
    { 13, 0x01, 0, 0 },  /* reserved header bytes */
    { 15, 0x80, 0, 0 },
    { 3, '1', 0, 0 },    /* the format before the header CRC */
    { 7, 0x00, 0, 0 },   /* generation 0 */
  };

  stage_station (fx, key, "PrivateKeyInfo", PIN, NULL);
  g_assert_cmpuint (commit (fx), ==, 1);  /* slot A */
  image = flash_contents (fx);
  bytes = g_bytes_unref_to_data (g_steal_pointer (&image), &n);
  h = bytes + SCP_SLOT_A;

  g_assert_cmpmem (h, 4, SLOT_MAGIC, 4);
  g_assert_cmpuint (get_be32 (h + 4), ==, 1);
  body_len = get_be32 (h + 8);
  g_assert_cmpuint (body_len, >, 500);
  g_assert_cmpuint (body_len, <=, 8517);
  g_assert_cmphex (h[12], ==, 0x00);  /* station key, unlocked */
  g_assert_cmphex (h[13] | h[14] | h[15], ==, 0);
  g_assert_cmphex (get_be32 (h + SLOT_CRC_OFFSET), ==,
                   scp_crc32 (scp_crc32 (0, h, SLOT_CRC_OFFSET), h + SLOT_BODY_OFFSET, body_len));
  /* The body's first TLV is the sealed key: tag 1, 12 + 16 + the DER. */
  g_assert_cmphex (h[SLOT_BODY_OFFSET], ==, 0x01);

  for (guint i = 0; i < G_N_ELEMENTS (crafted); i++)
    {
      g_autoptr(GBytes) copy = NULL;
      g_auto(ReadBack) rb = { 0 };
      guint8 *c = g_memdup2 (bytes, n);

      c[SCP_SLOT_A + crafted[i].at] = crafted[i].value;
      reseal_slot (c, SCP_SLOT_A);
      copy = g_bytes_new_take (c, n);
      set_flash_contents (fx, copy);
      rb = read_back (fx);
      g_assert_cmpuint (rb.generation, ==, crafted[i].generation);
      g_assert_cmpint (rb.locked, ==, crafted[i].locked);
    }
}

/* The active slot is replaced under the running agent by a valid slot of
 * the same generation and body but other flags: the agent notices rather
 * than answer for material it did not load. */
static void
test_slot_changed_under_agent (Fixture *fx, gconstpointer data)
{
  g_autoptr(EVP_PKEY) key = new_key ("P-256");
  g_autoptr(GBytes) image = NULL;
  g_auto(ReadBack) rb = { 0 };
  guint8 header[SLOT_HEADER_SIZE];
  const guint8 *p;

  stage_station (fx, key, "PrivateKeyInfo", PIN, NULL);
  g_assert_cmpuint (commit (fx), ==, 1);  /* slot A */
  image = flash_contents (fx);
  p = g_bytes_get_data (image, NULL);
  {
    g_autofree guint8 *copy = g_memdup2 (p, SCP_FLASH_SIZE);

    copy[SCP_SLOT_A + 12] |= 0x01;  /* LOCKED */
    reseal_slot (copy, SCP_SLOT_A);
    memcpy (header, copy + SCP_SLOT_A, sizeof header);
  }
  g_assert_cmpint (fx->file->write (fx->file->ctx, SCP_SLOT_A, header, sizeof header), ==, 0);

  call_refused (fx, SCP_READ_BACK, NULL, 0, SCP_ERR_STORAGE);
  call_refused (fx, SCP_CHALLENGE, "01234567890123456789012345678901", 32, SCP_ERR_STORAGE);

  /* A boot takes the slot as it now is. */
  reboot (fx);
  rb = read_back (fx);
  g_assert_cmpuint (rb.generation, ==, 1);
  g_assert_cmpint (rb.locked, ==, 1);
}

/* Any single bit flipped in a slot's header makes that slot invalid: it can
 * neither clear LOCKED on the newest slot nor make an older slot win. */
static void
test_header_bit_flips (Fixture *fx, gconstpointer data)
{
  g_autoptr(EVP_PKEY) key = new_key ("P-256");
  g_autoptr(GBytes) image = NULL;
  g_autoptr(GBytes) lock = NULL;
  g_autofree guint8 *bytes = NULL;
  gsize n;

  stage_station (fx, key, "PrivateKeyInfo", PIN, NULL);
  g_assert_cmpuint (commit (fx), ==, 1);  /* slot A */
  lock = call_ok (fx, SCP_LOCK, NULL, 0);
  g_assert_cmpuint (be32 (lock), ==, 2);  /* slot B, locked */
  image = flash_contents (fx);
  bytes = g_bytes_unref_to_data (g_steal_pointer (&image), &n);

  for (guint s = 0; s < 2; s++)
    for (gsize at = 0; at < SLOT_HEADER_SIZE; at++)
      for (guint bit = 0; bit < 8; bit++)
        {
          gsize slot = s == 0 ? SCP_SLOT_A : SCP_SLOT_B;
          g_autoptr(GBytes) copy = NULL;
          g_auto(ReadBack) rb = { 0 };
          guint8 *c = g_memdup2 (bytes, n);

          c[slot + at] ^= (guint8) (1u << bit);
          copy = g_bytes_new_take (c, n);
          set_flash_contents (fx, copy);
          rb = read_back (fx);
          if (s == 0)
            {
              /* The older slot is damaged: the locked one still wins. */
              g_assert_cmpuint (rb.generation, ==, 2);
              g_assert_cmpint (rb.locked, ==, 1);
            }
          else
            {
              /* The newest is damaged: the older, whole slot is taken. */
              g_assert_cmpuint (rb.generation, ==, 1);
              g_assert_cmpint (rb.locked, ==, 0);
            }
        }
}

static void
test_damaged_slot (Fixture *fx, gconstpointer data)
{
  g_autoptr(EVP_PKEY) key1 = new_key ("P-256");
  g_autoptr(EVP_PKEY) key2 = new_key ("P-256");
  g_autoptr(GBytes) image = NULL;
  g_auto(ReadBack) rb = { 0 };
  guint8 *bytes;
  gsize n;

  stage_station (fx, key1, "PrivateKeyInfo", PIN, NULL);
  g_assert_cmpuint (commit (fx), ==, 1);  /* slot A */
  stage_station (fx, key2, "PrivateKeyInfo", PIN, NULL);
  g_assert_cmpuint (commit (fx), ==, 2);  /* slot B */

  /* A bit flips in slot B's body: the unit falls back to slot A. */
  image = flash_contents (fx);
  bytes = g_bytes_unref_to_data (g_steal_pointer (&image), &n);
  bytes[SCP_SLOT_B + 200] ^= 0x10;
  image = g_bytes_new_take (bytes, n);
  set_flash_contents (fx, image);
  rb = read_back (fx);
  g_assert_cmpuint (rb.generation, ==, 1);
  assert_challenge (fx, key1);

  /* The next COMMIT goes over the damaged slot, with the next generation. */
  stage_station (fx, key2, "PrivateKeyInfo", PIN, NULL);
  g_assert_cmpuint (commit (fx), ==, 2);
  reboot (fx);
  assert_challenge (fx, key2);
}

static void
test_bound_to_unit (Fixture *fx, gconstpointer data)
{
  g_autoptr(EVP_PKEY) key = new_key ("P-256");
  g_autoptr(GBytes) image = NULL;
  const guint8 zero[2] = { 0, 0 };
  guint8 *bytes;
  gsize n;

  stage_station (fx, key, "PrivateKeyInfo", PIN, NULL);
  g_assert_cmpuint (commit (fx), ==, 1);
  image = flash_contents (fx);

  /* The flash in a unit with another serial ... */
  fx->config.serial = "SIM-0002";
  reboot (fx);
  call_refused (fx, SCP_READ_BACK, NULL, 0, SCP_ERR_CRYPTO);
  call_refused (fx, SCP_CHALLENGE, "01234567890123456789012345678901", 32, SCP_ERR_CRYPTO);
  /* (the chain is public and still reads) */
  g_bytes_unref (call_ok (fx, SCP_READ_CHAIN, zero, 2));

  /* ... another MAC ... */
  fx->config.serial = SERIAL;
  fx->config.mac[5] ^= 1;
  reboot (fx);
  call_refused (fx, SCP_READ_BACK, NULL, 0, SCP_ERR_CRYPTO);

  /* ... or another device-unique value. */
  fx->config.mac[5] ^= 1;
  bytes = g_bytes_unref_to_data (g_steal_pointer (&image), &n);
  bytes[SCP_OTP_OFFSET + 5] ^= 0x80;
  image = g_bytes_new_take (bytes, n);
  set_flash_contents (fx, image);
  call_refused (fx, SCP_READ_BACK, NULL, 0, SCP_ERR_CRYPTO);

  /* An unprogrammed device-unique value is refused outright. */
  bytes = g_bytes_unref_to_data (g_steal_pointer (&image), &n);
  memset (bytes + SCP_OTP_OFFSET, 0xFF, SCP_OTP_SIZE);
  image = g_bytes_new_take (bytes, n);
  set_flash_contents (fx, image);
  call_refused (fx, SCP_READ_BACK, NULL, 0, SCP_ERR_STORAGE);
}

static void
test_bad_frames (Fixture *fx, gconstpointer data)
{
  static guint8 req[SCP_MAX_ENCODED], raw[64];
  const guint8 garbage[] = { 0x13, 0x37, 0x42 };
  g_autoptr(GBytes) r1 = NULL;
  g_autoptr(GBytes) r2 = NULL;
  g_autoptr(GBytes) r3 = NULL;
  guint8 type;
  guint16 seq;
  gsize n;

  /* Not a frame at all: seq 0. */
  r1 = send_encoded (fx, garbage, sizeof garbage, &type, &seq);
  g_assert_cmphex (type, ==, SCP_ERROR);
  g_assert_cmpuint (seq, ==, 0);
  g_assert_cmpuint (*(const guint8 *) g_bytes_get_data (r1, NULL), ==, SCP_ERR_BAD_FRAME);

  /* A bad CRC: the frame's own seq. */
  n = scp_frame_encode (SCP_READ_BACK, 0x1234, NULL, 0, req);
  req[n - 2] ^= 0x01;
  if (req[n - 2] == 0)
    req[n - 2] = 0x02;
  {
    static guint8 buf[SCP_MAX_FRAME];
    scp_frame frame;

    /* (the byte flipped is the CRC's last, not a COBS code) */
    g_assert_cmpint (scp_frame_decode (req, n - 1, buf, &frame), ==, SCP_FRAME_BAD_CRC);
  }
  r2 = send_encoded (fx, req, n - 1, &type, &seq);
  g_assert_cmphex (type, ==, SCP_ERROR);
  g_assert_cmpuint (seq, ==, 0x1234);
  g_assert_cmpuint (*(const guint8 *) g_bytes_get_data (r2, NULL), ==, SCP_ERR_BAD_FRAME);

  /* Version 2, CRC good: BAD_VERSION with its seq. Built by hand: the
   * encoder only speaks version 1. */
  {
    guint8 frame[10] = { 2, SCP_READ_BACK, 0x00, 0x99, 0x00, 0x00 };
    guint32 crc = scp_crc32 (0, frame, 6);
    gsize o = 0, code_at = 0;

    frame[6] = crc >> 24;
    frame[7] = crc >> 16;
    frame[8] = crc >> 8;
    frame[9] = crc;
    /* COBS, inline. */
    o = 1;
    for (gsize i = 0; i < sizeof frame; i++)
      {
        if (frame[i] == 0)
          {
            raw[code_at] = (guint8) (o - code_at);
            code_at = o++;
          }
        else
          raw[o++] = frame[i];
      }
    raw[code_at] = (guint8) (o - code_at);
    r3 = send_encoded (fx, raw, o, &type, &seq);
    g_assert_cmphex (type, ==, SCP_ERROR);
    g_assert_cmpuint (seq, ==, 0x99);
    g_assert_cmpuint (*(const guint8 *) g_bytes_get_data (r3, NULL), ==, SCP_ERR_BAD_VERSION);
  }

  /* Unknown types, including a response type sent as a request. */
  call_refused (fx, 0x42, NULL, 0, SCP_ERR_UNKNOWN);
  call_refused (fx, SCP_HELLO | SCP_RESPONSE, "\1\1", 2, SCP_ERR_UNKNOWN);
  call_refused (fx, SCP_ERROR, NULL, 0, SCP_ERR_UNKNOWN);
  call_refused (fx, 0x00, NULL, 0, SCP_ERR_UNKNOWN);

  /* Payload sizes. */
  call_refused (fx, SCP_READ_BACK, "x", 1, SCP_ERR_BAD_ARGUMENT);
  call_refused (fx, SCP_CHALLENGE, "short", 5, SCP_ERR_BAD_ARGUMENT);
  call_refused (fx, SCP_CHALLENGE, "01234567890123456789012345678901", 32, SCP_ERR_NOT_PROVISIONED);
}

static int
hook_cb (void *ctx, uint8_t type)
{
  Fixture *fx = ctx;

  fx->hook_calls++;
  fx->hook_type = type;
  return type == SCP_PUT_PIN ? fx->hook_code : 0;
}

static void
test_hook (Fixture *fx, gconstpointer data)
{
  static guint8 req[SCP_MAX_ENCODED];
  g_autoptr(GBytes) r1 = NULL;
  g_autoptr(GBytes) r2 = NULL;
  guint8 type;
  guint16 seq;
  gsize n;

  scp_agent_set_hook (fx->agent, hook_cb, fx);
  fx->hook_code = SCP_ERR_STORAGE;
  call_refused (fx, SCP_PUT_PIN, PIN, strlen (PIN), SCP_ERR_STORAGE);
  g_assert_cmpuint (fx->hook_calls, ==, 1);
  g_assert_cmpuint (fx->hook_type, ==, SCP_PUT_PIN);

  fx->hook_code = 0;
  n = scp_frame_encode (SCP_PUT_PIN, 300, (const guint8 *) PIN, strlen (PIN), req);
  r1 = send_encoded (fx, req, n - 1, &type, &seq);
  g_assert_cmphex (type, ==, SCP_PUT_PIN | SCP_RESPONSE);
  g_assert_cmpuint (fx->hook_calls, ==, 2);
  /* A retransmission does not run, so the hook is not asked. */
  r2 = send_encoded (fx, req, n - 1, &type, &seq);
  g_assert_cmpuint (fx->hook_calls, ==, 2);

  scp_agent_set_hook (fx->agent, NULL, NULL);
  g_bytes_unref (call_ok (fx, SCP_PUT_PIN, PIN, strlen (PIN)));
  g_assert_cmpuint (fx->hook_calls, ==, 2);
}

static void
test_bad_config (Fixture *fx, gconstpointer data)
{
  scp_agent_config config = fx->config;
  g_autofree char *long_serial = g_strnfill (65, 'S');

  config.serial = NULL;
  g_assert_null (scp_agent_new (&config, &fx->storage, scp_crypto_openssl ()));
  config.serial = "";
  g_assert_null (scp_agent_new (&config, &fx->storage, scp_crypto_openssl ()));
  config.serial = long_serial;
  g_assert_null (scp_agent_new (&config, &fx->storage, scp_crypto_openssl ()));
  config.serial = "tab\there";
  g_assert_null (scp_agent_new (&config, &fx->storage, scp_crypto_openssl ()));
  config.serial = SERIAL;
  config.model = NULL;
  config.firmware = NULL;
  {
    scp_agent *agent = scp_agent_new (&config, &fx->storage, scp_crypto_openssl ());

    g_assert_nonnull (agent);
    scp_agent_free (agent);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) \
  g_test_add ("/sc/scp-agent/" path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("storage-file", test_storage_file);
  ADD ("hello", test_hello);
  ADD ("hello-resets-staging", test_hello_resets_staging);
  ADD ("keygen-csr", test_keygen_csr);
  ADD ("keygen-refusals", test_keygen_refusals);
  ADD ("commit-device-key", test_commit_device_key);
  ADD ("commit-station-key", test_commit_station_key);
  ADD ("reboot", test_reboot);
  ADD ("key-not-in-flash", test_key_not_in_flash);
  ADD ("chain-for-other-key", test_chain_for_other_key);
  ADD ("commit-needs-everything", test_commit_needs_everything);
  ADD ("put-chain-order", test_put_chain_order);
  ADD ("largest-chain", test_largest_chain);
  ADD ("put-pin-refusals", test_put_pin_refusals);
  ADD ("put-key-refusals", test_put_key_refusals);
  ADD ("lock", test_lock);
  ADD ("no-lock", test_no_lock);
  ADD ("retransmitted-commit", test_retransmitted_commit);
  ADD ("retransmitted-keygen", test_retransmitted_keygen);
  ADD ("commit-response-lost", test_commit_response_lost);
  ADD ("torn-commit-empty", test_torn_commit_empty);
  ADD ("torn-commit-old", test_torn_commit_old);
  ADD ("torn-lock", test_torn_lock);
  ADD ("commit-magic-fails", test_commit_magic_fails);
  ADD ("lock-magic-fails", test_lock_magic_fails);
  ADD ("slot-format", test_slot_format);
  ADD ("header-bit-flips", test_header_bit_flips);
  ADD ("slot-changed-under-agent", test_slot_changed_under_agent);
  ADD ("damaged-slot", test_damaged_slot);
  ADD ("bound-to-unit", test_bound_to_unit);
  ADD ("bad-frames", test_bad_frames);
  ADD ("hook", test_hook);
  ADD ("bad-config", test_bad_config);
#undef ADD

  return g_test_run ();
}
