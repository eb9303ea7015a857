/* scp-agent.c: the device side of SCP
 *
 * Portable C99. The only allocation is the agent itself (scp_agent_new);
 * every buffer a request needs lives in it, so the stack stays small. The
 * flash layout and the commit order are in docs/device-protocol.md,
 * "Flash layout".
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>

#include "scp-agent.h"

/* ---- slot layout ------------------------------------------------------- */

/* Header, big-endian: magic "SCP2", u32 generation, u32 body length, u8
 * flags, 3 reserved bytes (0), then u32 CRC-32 over header bytes 0 to 15
 * followed by the body, so that no bit of the header or the body can change
 * unnoticed. The body starts at SLOT_BODY_OFFSET. ("SCP1" was the format
 * whose CRC covered the body only; it is not read.) */
#define SLOT_MAGIC          "SCP2"
#define SLOT_MAGIC_SIZE     4
#define SLOT_CRC_OFFSET     16
#define SLOT_HEADER_SIZE    20
#define SLOT_BODY_OFFSET    32

#define SLOT_FLAG_LOCKED     0x01u
#define SLOT_FLAG_DEVICE_KEY 0x02u
#define SLOT_FLAGS_KNOWN     (SLOT_FLAG_LOCKED | SLOT_FLAG_DEVICE_KEY)

/* Body TLVs. */
enum
{
  BODY_TAG_KEY   = 0x01,  /* iv 12 || tag 16 || AES-256-GCM ciphertext of the key DER */
  BODY_TAG_CHAIN = 0x02,  /* the PEM chain, leaf first */
  BODY_TAG_PIN   = 0x03,  /* the setup PIN, ASCII */
};

#define GCM_IV_SIZE    12
#define GCM_TAG_SIZE   16
#define SEALED_MAX     (GCM_IV_SIZE + GCM_TAG_SIZE + SCP_MAX_KEY)
#define BODY_MAX       (3 + SEALED_MAX + 3 + SCP_MAX_CHAIN + 3 + SCP_MAX_PIN)

/* C99 has no static_assert. */
typedef char body_fits_in_slot[(SLOT_BODY_OFFSET + BODY_MAX <= SCP_SLOT_SIZE) ? 1 : -1];
typedef char header_fits_in_slot[(SLOT_HEADER_SIZE <= SLOT_BODY_OFFSET) ? 1 : -1];
typedef char slots_fit_after_otp[(SCP_OTP_OFFSET + SCP_OTP_SIZE <= SCP_SLOT_A) ? 1 : -1];

#define KEK_INFO       "SCP key-at-rest v1"
#define IDENT_MAX      64       /* serial, model, firmware, DTID, DSN */
#define SPKI_MAX       160      /* a P-256 SubjectPublicKeyInfo is 91 bytes */
#define READ_CHAIN_MAX 1000
#define MESSAGE_MAX    120

enum
{
  KEY_ORIGIN_NONE    = 0,
  KEY_ORIGIN_DEVICE  = 1,
  KEY_ORIGIN_STATION = 2,
};

typedef struct
{
  uint32_t generation;
  uint32_t body_len;
  uint8_t  flags;
  uint32_t crc;        /* over the header's other fields and the body */
} slot_header;

struct scp_agent
{
  char               serial[IDENT_MAX + 1];
  char               model[IDENT_MAX + 1];
  char               firmware[IDENT_MAX + 1];
  uint8_t            mac[6];
  uint32_t           caps;
  const scp_storage *storage;
  const scp_crypto  *crypto;
  scp_agent_hook     hook;
  void              *hook_ctx;

  /* What the flash holds: the active slot (-1: none) and its header. */
  int                active;
  slot_header        stored;

  /* Staging, per session (HELLO starts one). */
  uint8_t            key[SCP_MAX_KEY];
  size_t             key_len;
  int                key_origin;
  uint8_t            chain[SCP_MAX_CHAIN];
  size_t             chain_len;
  size_t             chain_total;
  uint8_t            pin[SCP_MAX_PIN];
  size_t             pin_len;

  /* The last request (seq, length, SHA-256 of its bytes) and its response,
   * for retransmissions. Only a digest is kept: a PUT_KEY's bytes are the
   * key. */
  int                have_last;
  uint16_t           last_seq;
  size_t             last_len;
  uint8_t            last_digest[32];
  uint8_t            last_response[SCP_MAX_ENCODED];
  size_t             last_response_len;

  /* Scratch. */
  const char        *message;
  uint8_t            frame[SCP_MAX_FRAME];
  uint8_t            reply[SCP_MAX_PAYLOAD];
  uint8_t            body[BODY_MAX];
  uint8_t            plain_key[SCP_MAX_KEY];
};

/* ---- helpers ----------------------------------------------------------- */

/* A store the compiler cannot drop: memset through a volatile pointer. */
static void *(*const volatile memset_v) (void *, int, size_t) = memset;

static void
wipe (void *p, size_t len)
{
  if (p != NULL && len > 0)
    memset_v (p, 0, len);
}

static void
put16 (uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t) (v >> 8);
  p[1] = (uint8_t) v;
}

static void
put32 (uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t) (v >> 24);
  p[1] = (uint8_t) (v >> 16);
  p[2] = (uint8_t) (v >> 8);
  p[3] = (uint8_t) v;
}

static uint16_t
get16 (const uint8_t *p)
{
  return (uint16_t) (p[0] << 8 | p[1]);
}

static uint32_t
get32 (const uint8_t *p)
{
  return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static int
is_printable (const uint8_t *s, size_t len)
{
  for (size_t i = 0; i < len; i++)
    if (s[i] < 0x20 || s[i] > 0x7E)
      return 0;
  return 1;
}

/* The characters of an ASN.1 PrintableString, which the CSR subject uses. */
static int
is_printable_string (const uint8_t *s, size_t len)
{
  for (size_t i = 0; i < len; i++)
    {
      uint8_t c = s[i];

      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        continue;
      if (strchr (" '()+,-./:=?", c) == NULL || c == 0)
        return 0;
    }
  return 1;
}

static int
copy_ident (char *dst, const char *src, int required)
{
  size_t len;

  if (src == NULL)
    {
      dst[0] = '\0';
      return required ? -1 : 0;
    }
  len = strlen (src);
  if ((required && len == 0) || len > IDENT_MAX || !is_printable ((const uint8_t *) src, len))
    return -1;
  memcpy (dst, src, len + 1);
  return 0;
}

/* Records the message of the error response and returns @code. */
static int
fail (scp_agent *self, int code, const char *message)
{
  self->message = message;
  return code;
}

static void
clear_staging (scp_agent *self)
{
  wipe (self->key, sizeof self->key);
  wipe (self->chain, sizeof self->chain);
  wipe (self->pin, sizeof self->pin);
  self->key_len = 0;
  self->key_origin = KEY_ORIGIN_NONE;
  self->chain_len = 0;
  self->chain_total = 0;
  self->pin_len = 0;
}

static int
is_locked (const scp_agent *self)
{
  return self->active >= 0 && (self->stored.flags & SLOT_FLAG_LOCKED) != 0;
}

static uint32_t
slot_base (int slot)
{
  return slot == 0 ? SCP_SLOT_A : SCP_SLOT_B;
}

/* ---- flash ------------------------------------------------------------- */

/* The header's bytes from @header: bytes 0 to 15 (what the CRC covers) and
 * the CRC field as @header->crc has it. */
static void
encode_header (const slot_header *header, uint8_t raw[SLOT_HEADER_SIZE])
{
  memcpy (raw, SLOT_MAGIC, SLOT_MAGIC_SIZE);
  put32 (raw + 4, header->generation);
  put32 (raw + 8, header->body_len);
  raw[12] = header->flags;
  raw[13] = raw[14] = raw[15] = 0;
  put32 (raw + SLOT_CRC_OFFSET, header->crc);
}

static uint32_t
slot_crc (const uint8_t raw[SLOT_HEADER_SIZE], const uint8_t *body, size_t body_len)
{
  return scp_crc32 (scp_crc32 (0, raw, SLOT_CRC_OFFSET), body, body_len);
}

static int
same_header (const slot_header *a, const slot_header *b)
{
  return a->generation == b->generation && a->body_len == b->body_len && a->flags == b->flags &&
         a->crc == b->crc;
}

/* Reads slot @slot's header and body (into self->body) and checks them.
 * Returns 1 when the slot holds valid material, 0 when it does not, -1 when
 * the storage cannot be read. */
static int
read_slot (scp_agent *self, int slot, slot_header *header)
{
  const scp_storage *st = self->storage;
  uint8_t raw[SLOT_HEADER_SIZE];
  uint32_t base = slot_base (slot);

  if (st->read (st->ctx, base, raw, sizeof raw) != 0)
    return -1;
  if (memcmp (raw, SLOT_MAGIC, SLOT_MAGIC_SIZE) != 0)
    return 0;
  header->generation = get32 (raw + 4);
  header->body_len = get32 (raw + 8);
  header->flags = raw[12];
  header->crc = get32 (raw + SLOT_CRC_OFFSET);
  if (header->generation == 0 || header->body_len == 0 || header->body_len > BODY_MAX ||
      (header->flags & ~SLOT_FLAGS_KNOWN) != 0 || raw[13] != 0 || raw[14] != 0 || raw[15] != 0)
    return 0;
  if (st->read (st->ctx, base + SLOT_BODY_OFFSET, self->body, header->body_len) != 0)
    return -1;
  if (slot_crc (raw, self->body, header->body_len) != header->crc)
    {
      wipe (self->body, header->body_len);
      return 0;
    }
  return 1;
}

/* Finds the active slot as a boot does: the valid slot with the higher
 * generation, or none. Returns 0, or -1 when the storage cannot be read
 * (then nothing changes). Uses self->body. */
static int
scan_slots (scp_agent *self)
{
  slot_header header, best_header;
  int best = -1;

  memset (&best_header, 0, sizeof best_header);
  for (int slot = 0; slot < 2; slot++)
    {
      int r = read_slot (self, slot, &header);

      if (r < 0)
        {
          wipe (self->body, sizeof self->body);
          return -1;
        }
      if (r == 1 && (best < 0 || header.generation > best_header.generation))
        {
          best = slot;
          best_header = header;
        }
    }
  wipe (self->body, sizeof self->body);
  self->active = best;
  if (best >= 0)
    self->stored = best_header;
  else
    memset (&self->stored, 0, sizeof self->stored);
  return 0;
}

/* Clears the magic of slot @slot again, after a write that may have landed
 * although it failed. */
static void
invalidate_slot (scp_agent *self, int slot)
{
  const scp_storage *st = self->storage;
  static const uint8_t no_magic[SLOT_MAGIC_SIZE] = { 0 };

  if (st->write (st->ctx, slot_base (slot), no_magic, sizeof no_magic) == 0)
    st->sync (st->ctx);
}

/* Writes self->body (@header->body_len bytes) into slot @slot so that a cut
 * at any point leaves the slot invalid or complete: the magic is cleared
 * first and written last, with a sync after every step; then reads it back.
 * Sets @header->crc. Returns 0 or an scp_error.
 *
 * On failure the agent's idea of the active slot is what a boot would pick:
 * once the magic may have landed the slot is invalidated again, and if even
 * that fails the slots are read again as at boot, so that the unit never
 * answers with one slot's material and reboots into the other's. */
static int
write_slot (scp_agent *self, int slot, slot_header *header)
{
  const scp_storage *st = self->storage;
  static const uint8_t no_magic[SLOT_MAGIC_SIZE] = { 0 };
  uint8_t raw[SLOT_HEADER_SIZE];
  uint32_t base = slot_base (slot);
  slot_header check;
  const char *message;

  header->crc = 0;
  encode_header (header, raw);
  header->crc = slot_crc (raw, self->body, header->body_len);
  put32 (raw + SLOT_CRC_OFFSET, header->crc);

  if (st->write (st->ctx, base, no_magic, sizeof no_magic) != 0 || st->sync (st->ctx) != 0)
    {
      message = "flash write failed (invalidating the slot)";
      goto failed;
    }
  if (st->write (st->ctx, base + SLOT_BODY_OFFSET, self->body, header->body_len) != 0 ||
      st->sync (st->ctx) != 0)
    {
      message = "flash write failed (slot body)";
      goto failed;
    }
  if (st->write (st->ctx, base + SLOT_MAGIC_SIZE, raw + SLOT_MAGIC_SIZE,
                 SLOT_HEADER_SIZE - SLOT_MAGIC_SIZE) != 0 ||
      st->sync (st->ctx) != 0)
    {
      message = "flash write failed (slot header)";
      goto failed;
    }
  if (st->write (st->ctx, base, raw, SLOT_MAGIC_SIZE) != 0 || st->sync (st->ctx) != 0)
    {
      /* The magic may be in place all the same. */
      message = "flash write failed (slot magic)";
      invalidate_slot (self, slot);
      goto failed;
    }

  if (read_slot (self, slot, &check) != 1 || !same_header (&check, header))
    {
      /* Never leave a slot behind that we did not mean to write. */
      message = "flash verify failed after writing";
      invalidate_slot (self, slot);
      goto failed;
    }
  return 0;

failed:
  /* self->body is the caller's to wipe; scan_slots reads slots into it. */
  scan_slots (self);
  return fail (self, SCP_ERR_STORAGE, message);
}

/* Loads the active slot into self->body. Returns 0 or an scp_error. */
static int
load_active (scp_agent *self)
{
  slot_header header;
  int r;

  if (self->active < 0)
    return fail (self, SCP_ERR_NOT_PROVISIONED, "nothing is stored");
  r = read_slot (self, self->active, &header);
  if (r < 0)
    return fail (self, SCP_ERR_STORAGE, "flash read failed");
  if (r == 0 || !same_header (&header, &self->stored))
    {
      wipe (self->body, sizeof self->body);
      return fail (self, SCP_ERR_STORAGE, "stored material is damaged");
    }
  return 0;
}

/* The key-encryption key: HKDF-SHA256 over the device-unique random value,
 * salted with MAC || serial. Returns 0 or an scp_error. */
static int
derive_kek (scp_agent *self, uint8_t kek[32])
{
  const scp_storage *st = self->storage;
  const scp_crypto *cr = self->crypto;
  uint8_t otp[SCP_OTP_SIZE];
  uint8_t salt[6 + IDENT_MAX];
  size_t serial_len = strlen (self->serial);
  int all_ff = 1, all_00 = 1, r;

  if (st->read (st->ctx, SCP_OTP_OFFSET, otp, sizeof otp) != 0)
    return fail (self, SCP_ERR_STORAGE, "cannot read the device-unique value");
  for (size_t i = 0; i < sizeof otp; i++)
    {
      all_ff &= otp[i] == 0xFF;
      all_00 &= otp[i] == 0x00;
    }
  if (all_ff || all_00)
    {
      wipe (otp, sizeof otp);
      return fail (self, SCP_ERR_STORAGE, "the device-unique value is not programmed");
    }
  memcpy (salt, self->mac, 6);
  memcpy (salt + 6, self->serial, serial_len);
  r = cr->hkdf_sha256 (cr->ctx, otp, sizeof otp, salt, 6 + serial_len,
                       (const uint8_t *) KEK_INFO, strlen (KEK_INFO), kek, 32);
  wipe (otp, sizeof otp);
  if (r != 0)
    {
      wipe (kek, 32);
      return fail (self, SCP_ERR_CRYPTO, "key derivation failed");
    }
  return 0;
}

/* Encrypts the staged key into @out (iv || tag || ciphertext). Returns 0 or
 * an scp_error. */
static int
seal_key (scp_agent *self, uint8_t *out)
{
  const scp_crypto *cr = self->crypto;
  uint8_t kek[32];
  int code, r;

  code = derive_kek (self, kek);
  if (code != 0)
    return code;
  if (cr->random (cr->ctx, out, GCM_IV_SIZE) != 0)
    {
      wipe (kek, sizeof kek);
      return fail (self, SCP_ERR_CRYPTO, "no random IV");
    }
  r = cr->aes_gcm_encrypt (cr->ctx, kek, out, (const uint8_t *) self->serial, strlen (self->serial),
                           self->key, self->key_len, out + GCM_IV_SIZE + GCM_TAG_SIZE,
                           out + GCM_IV_SIZE);
  wipe (kek, sizeof kek);
  if (r != 0)
    return fail (self, SCP_ERR_CRYPTO, "key encryption failed");
  return 0;
}

/* Decrypts the key of the body in self->body into self->plain_key and sets
 * *key_len. Returns 0 or an scp_error. */
static int
unseal_key (scp_agent *self, size_t *key_len)
{
  const scp_crypto *cr = self->crypto;
  const uint8_t *sealed;
  uint16_t sealed_len;
  uint8_t kek[32];
  size_t len;
  int code, r;

  if (scp_tlv_find (self->body, self->stored.body_len, BODY_TAG_KEY, &sealed, &sealed_len) != 1 ||
      sealed_len <= GCM_IV_SIZE + GCM_TAG_SIZE || sealed_len > SEALED_MAX)
    return fail (self, SCP_ERR_CRYPTO, "stored key is malformed");
  len = sealed_len - GCM_IV_SIZE - GCM_TAG_SIZE;
  code = derive_kek (self, kek);
  if (code != 0)
    return code;
  r = cr->aes_gcm_decrypt (cr->ctx, kek, sealed, (const uint8_t *) self->serial,
                           strlen (self->serial), sealed + GCM_IV_SIZE + GCM_TAG_SIZE, len,
                           sealed + GCM_IV_SIZE, self->plain_key);
  wipe (kek, sizeof kek);
  if (r != 0)
    {
      wipe (self->plain_key, sizeof self->plain_key);
      return fail (self, SCP_ERR_CRYPTO, "stored key does not decrypt on this unit");
    }
  *key_len = len;
  return 0;
}

static int
body_field (scp_agent *self, uint8_t tag, const uint8_t **value, uint16_t *len)
{
  if (scp_tlv_find (self->body, self->stored.body_len, tag, value, len) != 1)
    return fail (self, SCP_ERR_STORAGE, "stored material is incomplete");
  return 0;
}

/* ---- requests ---------------------------------------------------------- */

static int
do_hello (scp_agent *self, const uint8_t *p, size_t len, size_t *out_len)
{
  uint8_t caps[4];
  size_t off;

  if (len != 2)
    return fail (self, SCP_ERR_BAD_ARGUMENT, "HELLO takes a minimum and a maximum version");
  if (p[0] > SCP_VERSION || p[1] < SCP_VERSION)
    return fail (self, SCP_ERR_BAD_VERSION, "this unit speaks SCP version 1 only");

  clear_staging (self);

  put32 (caps, self->caps);
  self->reply[0] = SCP_VERSION;
  off = scp_tlv_put (self->reply, 1, SCP_MAX_PAYLOAD, SCP_TAG_SERIAL, self->serial,
                     (uint16_t) strlen (self->serial));
  off = scp_tlv_put (self->reply, off, SCP_MAX_PAYLOAD, SCP_TAG_MAC, self->mac, 6);
  off = scp_tlv_put (self->reply, off, SCP_MAX_PAYLOAD, SCP_TAG_MODEL, self->model,
                     (uint16_t) strlen (self->model));
  off = scp_tlv_put (self->reply, off, SCP_MAX_PAYLOAD, SCP_TAG_FIRMWARE, self->firmware,
                     (uint16_t) strlen (self->firmware));
  off = scp_tlv_put (self->reply, off, SCP_MAX_PAYLOAD, SCP_TAG_CAPS, caps, 4);
  *out_len = off;
  return 0;
}

/* Copies a DTID or DSN TLV into @dst (IDENT_MAX + 1 bytes). */
static int
subject_field (scp_agent *self, const uint8_t *p, size_t len, uint8_t tag, char *dst)
{
  const uint8_t *value;
  uint16_t value_len;
  int r = scp_tlv_find (p, len, tag, &value, &value_len);

  if (r < 0)
    return fail (self, SCP_ERR_BAD_ARGUMENT, "malformed TLVs");
  if (r == 0)
    return fail (self, SCP_ERR_BAD_ARGUMENT, "KEYGEN needs a DTID and a DSN");
  if (value_len == 0 || value_len > IDENT_MAX || !is_printable_string (value, value_len))
    return fail (self, SCP_ERR_BAD_ARGUMENT,
                 "DTID and DSN must be 1 to 64 PrintableString characters");
  memcpy (dst, value, value_len);
  dst[value_len] = '\0';
  return 0;
}

static int
do_keygen (scp_agent *self, const uint8_t *p, size_t len, size_t *out_len)
{
  const scp_crypto *cr = self->crypto;
  char dtid[IDENT_MAX + 1], dsn[IDENT_MAX + 1];
  int code, n;

  if (!(self->caps & SCP_CAP_KEYGEN))
    return fail (self, SCP_ERR_NOT_SUPPORTED, "this unit cannot make its own key");
  if (is_locked (self))
    return fail (self, SCP_ERR_LOCKED, "the unit is locked");
  if ((code = subject_field (self, p, len, SCP_TAG_DTID, dtid)) != 0 ||
      (code = subject_field (self, p, len, SCP_TAG_DSN, dsn)) != 0)
    return code;

  wipe (self->key, sizeof self->key);
  self->key_len = 0;
  self->key_origin = KEY_ORIGIN_NONE;
  n = cr->ec_generate (cr->ctx, self->key, sizeof self->key);
  if (n <= 0 || (size_t) n > sizeof self->key)
    {
      wipe (self->key, sizeof self->key);
      return fail (self, SCP_ERR_CRYPTO, "key generation failed");
    }
  self->key_len = (size_t) n;
  self->key_origin = KEY_ORIGIN_DEVICE;

  n = cr->make_csr (cr->ctx, self->key, self->key_len, dtid, dsn, self->reply, SCP_MAX_PAYLOAD);
  if (n <= 0 || n > SCP_MAX_PAYLOAD)
    {
      wipe (self->key, sizeof self->key);
      self->key_len = 0;
      self->key_origin = KEY_ORIGIN_NONE;
      return fail (self, SCP_ERR_CRYPTO, "CSR creation failed");
    }
  *out_len = (size_t) n;
  return 0;
}

static int
do_put_key (scp_agent *self, const uint8_t *p, size_t len, size_t *out_len)
{
  const scp_crypto *cr = self->crypto;

  if (is_locked (self))
    return fail (self, SCP_ERR_LOCKED, "the unit is locked");
  if (len == 0 || len > SCP_MAX_KEY)
    return fail (self, SCP_ERR_BAD_ARGUMENT, "key must be 1 to 256 bytes of DER");
  if (cr->ec_check (cr->ctx, p, len) != 0)
    return fail (self, SCP_ERR_BAD_ARGUMENT, "not a P-256 private key (SEC1 or PKCS#8 DER)");
  wipe (self->key, sizeof self->key);
  memcpy (self->key, p, len);
  self->key_len = len;
  self->key_origin = KEY_ORIGIN_STATION;
  *out_len = 0;
  return 0;
}

static int
do_put_chain (scp_agent *self, const uint8_t *p, size_t len, size_t *out_len)
{
  size_t total, offset, data_len;

  if (is_locked (self))
    return fail (self, SCP_ERR_LOCKED, "the unit is locked");
  if (len <= 4)
    return fail (self, SCP_ERR_BAD_ARGUMENT, "PUT_CHAIN takes a total, an offset and data");
  total = get16 (p);
  offset = get16 (p + 2);
  data_len = len - 4;
  if (total == 0 || total > SCP_MAX_CHAIN)
    return fail (self, SCP_ERR_BAD_ARGUMENT, "chain total out of range");
  if (offset + data_len > total)
    return fail (self, SCP_ERR_BAD_ARGUMENT, "chunk runs past the chain's total");
  if (offset != 0 && (offset != self->chain_len || total != self->chain_total))
    return fail (self, SCP_ERR_BAD_ARGUMENT, "chain chunk out of order");

  if (offset == 0)
    {
      wipe (self->chain, sizeof self->chain);
      self->chain_total = total;
      self->chain_len = 0;
    }
  memcpy (self->chain + offset, p + 4, data_len);
  self->chain_len = offset + data_len;
  *out_len = 0;
  return 0;
}

static int
do_put_pin (scp_agent *self, const uint8_t *p, size_t len, size_t *out_len)
{
  if (is_locked (self))
    return fail (self, SCP_ERR_LOCKED, "the unit is locked");
  if (len == 0 || len > SCP_MAX_PIN || !is_printable (p, len))
    return fail (self, SCP_ERR_BAD_ARGUMENT, "PIN must be 1 to 32 printable ASCII characters");
  wipe (self->pin, sizeof self->pin);
  memcpy (self->pin, p, len);
  self->pin_len = len;
  *out_len = 0;
  return 0;
}

static int
do_commit (scp_agent *self, const uint8_t *p, size_t len, size_t *out_len)
{
  const scp_crypto *cr = self->crypto;
  uint8_t key_pub[SPKI_MAX], leaf_pub[SPKI_MAX];
  slot_header header;
  size_t off;
  int key_pub_len, leaf_pub_len, code;

  (void) p;
  if (is_locked (self))
    return fail (self, SCP_ERR_LOCKED, "the unit is locked");
  if (len != 0)
    return fail (self, SCP_ERR_BAD_ARGUMENT, "COMMIT takes no payload");
  if (self->key_len == 0)
    return fail (self, SCP_ERR_STATE, "no key staged: KEYGEN or PUT_KEY first");
  if (self->chain_total == 0 || self->chain_len != self->chain_total)
    return fail (self, SCP_ERR_STATE, "no complete chain staged");
  if (self->pin_len == 0)
    return fail (self, SCP_ERR_STATE, "no PIN staged");
  if (self->active >= 0 && self->stored.generation == UINT32_MAX)
    return fail (self, SCP_ERR_STORAGE, "generation counter exhausted");

  key_pub_len = cr->ec_public (cr->ctx, self->key, self->key_len, key_pub, sizeof key_pub);
  if (key_pub_len <= 0)
    return fail (self, SCP_ERR_CRYPTO, "cannot read the staged key's public key");
  leaf_pub_len = cr->chain_leaf_public (cr->ctx, self->chain, self->chain_len, leaf_pub,
                                        sizeof leaf_pub);
  if (leaf_pub_len <= 0)
    return fail (self, SCP_ERR_STATE, "the staged chain has no readable leaf certificate");
  if (leaf_pub_len != key_pub_len || memcmp (leaf_pub, key_pub, (size_t) key_pub_len) != 0)
    return fail (self, SCP_ERR_STATE, "the chain's leaf certificate is not for the staged key");

  /* Body: sealed key, chain, PIN. */
  self->body[0] = BODY_TAG_KEY;
  put16 (self->body + 1, (uint16_t) (GCM_IV_SIZE + GCM_TAG_SIZE + self->key_len));
  code = seal_key (self, self->body + 3);
  if (code != 0)
    {
      wipe (self->body, sizeof self->body);
      return code;
    }
  off = 3 + GCM_IV_SIZE + GCM_TAG_SIZE + self->key_len;
  off = scp_tlv_put (self->body, off, sizeof self->body, BODY_TAG_CHAIN, self->chain,
                     (uint16_t) self->chain_len);
  off = scp_tlv_put (self->body, off, sizeof self->body, BODY_TAG_PIN, self->pin,
                     (uint16_t) self->pin_len);

  header.generation = self->active >= 0 ? self->stored.generation + 1 : 1;
  header.body_len = (uint32_t) off;
  header.flags = self->key_origin == KEY_ORIGIN_DEVICE ? SLOT_FLAG_DEVICE_KEY : 0;

  /* On failure write_slot has made self->active what a boot would pick:
   * almost always the old slot, but the new one if the flash kept it. */
  code = write_slot (self, self->active == 0 ? 1 : 0, &header);
  wipe (self->body, sizeof self->body);
  if (code != 0)
    return code;

  self->active = self->active == 0 ? 1 : 0;
  self->stored = header;
  clear_staging (self);
  put32 (self->reply, header.generation);
  *out_len = 4;
  return 0;
}

static int
do_read_back (scp_agent *self, const uint8_t *p, size_t len, size_t *out_len)
{
  const scp_crypto *cr = self->crypto;
  const uint8_t *chain, *pin;
  uint16_t chain_len, pin_len;
  uint8_t gen[4], pub[SPKI_MAX], chain_hash[32], pin_hash[32], locked, origin;
  size_t key_len = 0, off;
  int code, pub_len;

  /* The PIN's hash is for the console's check right after COMMIT. A locked
   * unit has shipped or is about to: an unsalted hash of a short PIN would
   * give the PIN away to anyone with a cable, so it is left out. */
  locked = is_locked (self) ? 1 : 0;

  (void) p;
  if (len != 0)
    return fail (self, SCP_ERR_BAD_ARGUMENT, "READ_BACK takes no payload");
  if (self->active < 0)
    {
      put32 (gen, 0);
      *out_len = scp_tlv_put (self->reply, 0, SCP_MAX_PAYLOAD, SCP_TAG_GENERATION, gen, 4);
      return 0;
    }

  if ((code = load_active (self)) != 0)
    return code;
  if ((code = body_field (self, BODY_TAG_CHAIN, &chain, &chain_len)) != 0 ||
      (code = body_field (self, BODY_TAG_PIN, &pin, &pin_len)) != 0 ||
      (code = unseal_key (self, &key_len)) != 0)
    {
      wipe (self->body, sizeof self->body);
      return code;
    }
  pub_len = cr->ec_public (cr->ctx, self->plain_key, key_len, pub, sizeof pub);
  wipe (self->plain_key, sizeof self->plain_key);
  if (pub_len <= 0 ||
      cr->sha256 (cr->ctx, chain, chain_len, chain_hash) != 0 ||
      (!locked && cr->sha256 (cr->ctx, pin, pin_len, pin_hash) != 0))
    {
      wipe (self->body, sizeof self->body);
      wipe (pin_hash, sizeof pin_hash);
      return fail (self, SCP_ERR_CRYPTO, "cannot read back the stored material");
    }
  wipe (self->body, sizeof self->body);

  put32 (gen, self->stored.generation);
  origin = (self->stored.flags & SLOT_FLAG_DEVICE_KEY) ? KEY_ORIGIN_DEVICE : KEY_ORIGIN_STATION;
  off = scp_tlv_put (self->reply, 0, SCP_MAX_PAYLOAD, SCP_TAG_GENERATION, gen, 4);
  off = scp_tlv_put (self->reply, off, SCP_MAX_PAYLOAD, SCP_TAG_PUBKEY, pub, (uint16_t) pub_len);
  off = scp_tlv_put (self->reply, off, SCP_MAX_PAYLOAD, SCP_TAG_CHAIN_SHA256, chain_hash, 32);
  if (!locked)
    off = scp_tlv_put (self->reply, off, SCP_MAX_PAYLOAD, SCP_TAG_PIN_SHA256, pin_hash, 32);
  off = scp_tlv_put (self->reply, off, SCP_MAX_PAYLOAD, SCP_TAG_LOCKED, &locked, 1);
  off = scp_tlv_put (self->reply, off, SCP_MAX_PAYLOAD, SCP_TAG_KEY_ORIGIN, &origin, 1);
  wipe (pin_hash, sizeof pin_hash);
  *out_len = off;
  return 0;
}

static int
do_challenge (scp_agent *self, const uint8_t *p, size_t len, size_t *out_len)
{
  const scp_crypto *cr = self->crypto;
  uint8_t message[sizeof SCP_CHALLENGE_CONTEXT - 1 + SCP_NONCE_SIZE];
  uint8_t digest[32];
  size_t key_len = 0;
  int code, n;

  if (len != SCP_NONCE_SIZE)
    return fail (self, SCP_ERR_BAD_ARGUMENT, "CHALLENGE takes a 32-byte nonce");
  if ((code = load_active (self)) != 0)
    return code;
  code = unseal_key (self, &key_len);
  wipe (self->body, sizeof self->body);
  if (code != 0)
    return code;

  memcpy (message, SCP_CHALLENGE_CONTEXT, sizeof SCP_CHALLENGE_CONTEXT - 1);
  memcpy (message + sizeof SCP_CHALLENGE_CONTEXT - 1, p, SCP_NONCE_SIZE);
  if (cr->sha256 (cr->ctx, message, sizeof message, digest) != 0)
    n = -1;
  else
    n = cr->ec_sign (cr->ctx, self->plain_key, key_len, digest, self->reply, SCP_MAX_PAYLOAD);
  wipe (self->plain_key, sizeof self->plain_key);
  if (n <= 0 || n > SCP_MAX_PAYLOAD)
    return fail (self, SCP_ERR_CRYPTO, "signing failed");
  *out_len = (size_t) n;
  return 0;
}

static int
do_lock (scp_agent *self, const uint8_t *p, size_t len, size_t *out_len)
{
  slot_header header;
  int code;

  (void) p;
  if (!(self->caps & SCP_CAP_LOCK))
    return fail (self, SCP_ERR_NOT_SUPPORTED, "this unit cannot be locked");
  if (len != 0)
    return fail (self, SCP_ERR_BAD_ARGUMENT, "LOCK takes no payload");
  if (self->active < 0)
    return fail (self, SCP_ERR_NOT_PROVISIONED, "nothing is stored to lock");

  if (!is_locked (self))
    {
      if (self->stored.generation == UINT32_MAX)
        return fail (self, SCP_ERR_STORAGE, "generation counter exhausted");
      if ((code = load_active (self)) != 0)
        return code;
      header = self->stored;
      header.generation++;
      header.flags |= SLOT_FLAG_LOCKED;
      /* On failure self->active is what a boot would pick, as for COMMIT. */
      code = write_slot (self, self->active == 0 ? 1 : 0, &header);
      wipe (self->body, sizeof self->body);
      if (code != 0)
        return code;
      self->active = self->active == 0 ? 1 : 0;
      self->stored = header;
      clear_staging (self);
    }
  put32 (self->reply, self->stored.generation);
  *out_len = 4;
  return 0;
}

static int
do_read_chain (scp_agent *self, const uint8_t *p, size_t len, size_t *out_len)
{
  const uint8_t *chain;
  uint16_t chain_len;
  size_t offset, n;
  int code;

  if (len != 2)
    return fail (self, SCP_ERR_BAD_ARGUMENT, "READ_CHAIN takes a 16-bit offset");
  if ((code = load_active (self)) != 0)
    return code;
  if ((code = body_field (self, BODY_TAG_CHAIN, &chain, &chain_len)) != 0)
    {
      wipe (self->body, sizeof self->body);
      return code;
    }
  offset = get16 (p);
  if (offset > chain_len)
    {
      wipe (self->body, sizeof self->body);
      return fail (self, SCP_ERR_BAD_ARGUMENT, "offset past the end of the chain");
    }
  n = chain_len - offset;
  if (n > READ_CHAIN_MAX)
    n = READ_CHAIN_MAX;
  put16 (self->reply, chain_len);
  memcpy (self->reply + 2, chain + offset, n);
  wipe (self->body, sizeof self->body);
  *out_len = 2 + n;
  return 0;
}

static int
dispatch (scp_agent *self, const scp_frame *frame, size_t *out_len)
{
  const uint8_t *p = frame->payload;
  size_t len = frame->length;

  switch (frame->type)
    {
    case SCP_HELLO: return do_hello (self, p, len, out_len);
    case SCP_KEYGEN: return do_keygen (self, p, len, out_len);
    case SCP_PUT_KEY: return do_put_key (self, p, len, out_len);
    case SCP_PUT_CHAIN: return do_put_chain (self, p, len, out_len);
    case SCP_PUT_PIN: return do_put_pin (self, p, len, out_len);
    case SCP_COMMIT: return do_commit (self, p, len, out_len);
    case SCP_READ_BACK: return do_read_back (self, p, len, out_len);
    case SCP_CHALLENGE: return do_challenge (self, p, len, out_len);
    case SCP_LOCK: return do_lock (self, p, len, out_len);
    case SCP_READ_CHAIN: return do_read_chain (self, p, len, out_len);
    default: return fail (self, SCP_ERR_UNKNOWN, "unknown request type");
    }
}

static size_t
encode_error (uint16_t seq, int code, const char *message, uint8_t *out)
{
  uint8_t payload[1 + MESSAGE_MAX];
  size_t len = message != NULL ? strlen (message) : 0;

  if (len > MESSAGE_MAX)
    len = MESSAGE_MAX;
  payload[0] = (uint8_t) code;
  if (len > 0)
    memcpy (payload + 1, message, len);
  return scp_frame_encode (SCP_ERROR, seq, payload, (uint16_t) (1 + len), out);
}

/* ---- public API -------------------------------------------------------- */

scp_agent *
scp_agent_new (const scp_agent_config *config, const scp_storage *storage, const scp_crypto *crypto)
{
  scp_agent *self;

  if (config == NULL || storage == NULL || crypto == NULL || storage->size < SCP_FLASH_SIZE)
    return NULL;

  self = calloc (1, sizeof *self);
  if (self == NULL)
    return NULL;
  if (copy_ident (self->serial, config->serial, 1) != 0 ||
      copy_ident (self->model, config->model, 0) != 0 ||
      copy_ident (self->firmware, config->firmware, 0) != 0)
    {
      free (self);
      return NULL;
    }
  memcpy (self->mac, config->mac, 6);
  self->caps = config->caps;
  self->storage = storage;
  self->crypto = crypto;
  self->active = -1;

  if (scan_slots (self) != 0)
    {
      scp_agent_free (self);
      return NULL;
    }
  return self;
}

void
scp_agent_free (scp_agent *self)
{
  if (self == NULL)
    return;
  wipe (self, sizeof *self);
  free (self);
}

void
scp_agent_set_hook (scp_agent *self, scp_agent_hook hook, void *ctx)
{
  self->hook = hook;
  self->hook_ctx = ctx;
}

size_t
scp_agent_handle (scp_agent *self, const uint8_t *encoded, size_t len, uint8_t *out)
{
  const scp_crypto *cr = self->crypto;
  scp_frame frame;
  uint8_t digest[32];
  size_t reply_len = 0, n;
  int status, have_digest, code;

  memset (&frame, 0, sizeof frame);
  status = scp_frame_decode (encoded, len, self->frame, &frame);
  if (status != SCP_FRAME_OK)
    {
      /* frame.seq is the damaged frame's own when its header was decoded. */
      wipe (self->frame, sizeof self->frame);
      code = status == SCP_FRAME_BAD_VERSION ? SCP_ERR_BAD_VERSION : SCP_ERR_BAD_FRAME;
      return encode_error (frame.seq, code, scp_frame_status_string (status), out);
    }

  have_digest = cr->sha256 (cr->ctx, encoded, len, digest) == 0;
  if (have_digest && self->have_last && frame.seq == self->last_seq && len == self->last_len &&
      memcmp (digest, self->last_digest, sizeof digest) == 0)
    {
      wipe (self->frame, sizeof self->frame);
      memcpy (out, self->last_response, self->last_response_len);
      return self->last_response_len;
    }

  self->message = NULL;
  code = self->hook != NULL ? self->hook (self->hook_ctx, frame.type) : 0;
  if (code != 0)
    self->message = "refused by the test hook";
  else
    code = dispatch (self, &frame, &reply_len);
  wipe (self->frame, sizeof self->frame);

  if (code == 0)
    n = scp_frame_encode ((uint8_t) (frame.type | SCP_RESPONSE), frame.seq, self->reply,
                          (uint16_t) reply_len, out);
  else
    n = encode_error (frame.seq, code, self->message, out);
  wipe (self->reply, sizeof self->reply);

  self->have_last = have_digest;
  if (have_digest)
    {
      self->last_seq = frame.seq;
      self->last_len = len;
      memcpy (self->last_digest, digest, sizeof digest);
      memcpy (self->last_response, out, n);
      self->last_response_len = n;
    }
  return n;
}
