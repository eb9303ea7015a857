/* scp-proto.h: the Setup Console provisioning protocol (SCP), version 1
 *
 * The one header the console and the device agent share. Portable C99, no
 * allocation, no GLib: device makers compile it into factory firmware.
 * docs/device-protocol.md is the prose definition; this header is its
 * normative list of numbers.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef SCP_PROTO_H
#define SCP_PROTO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SCP_VERSION 1

/* A frame on the wire is COBS(header || payload || crc32) followed by one
 * 0x00 delimiter. Garbage between frames is dropped: a receiver
 * resynchronises at the next 0x00.
 *
 * header, big-endian: version u8, type u8, seq u16, length u16
 * crc32: IEEE 802.3 CRC-32 (as zlib's crc32) over header and payload, BE. */
#define SCP_HEADER_SIZE      6
#define SCP_CRC_SIZE         4
#define SCP_MAX_PAYLOAD      1024
#define SCP_MAX_FRAME        (SCP_HEADER_SIZE + SCP_MAX_PAYLOAD + SCP_CRC_SIZE)
/* COBS adds one byte per 254 plus one, and the delimiter. */
#define SCP_MAX_ENCODED      (SCP_MAX_FRAME + SCP_MAX_FRAME / 254 + 2)

/* Requests. A response has the request's type | SCP_RESPONSE and the same
 * seq; a failure is SCP_ERROR with the same seq. */
enum scp_type
{
  SCP_HELLO      = 0x01,  /* req: u8 min version, u8 max version; resp: u8 version, TLVs */
  SCP_KEYGEN     = 0x02,  /* req: TLV DTID, TLV DSN; resp: CSR, DER */
  SCP_PUT_KEY    = 0x03,  /* req: the station-made private key, DER (SEC1 or PKCS#8) */
  SCP_PUT_CHAIN  = 0x04,  /* req: u16 total, u16 offset, bytes: a chunk of the PEM chain */
  SCP_PUT_PIN    = 0x05,  /* req: the setup PIN, ASCII */
  SCP_COMMIT     = 0x06,  /* req: empty; resp: u32 generation now stored */
  SCP_READ_BACK  = 0x07,  /* req: empty; resp: TLVs */
  SCP_CHALLENGE  = 0x08,  /* req: 32-byte nonce; resp: DER ECDSA signature */
  SCP_LOCK       = 0x09,  /* req: empty; provisioning commands refuse from then on */
  SCP_READ_CHAIN = 0x0A,  /* req: u16 offset; resp: u16 total, bytes of the stored PEM chain */
  SCP_ERROR      = 0x7F,  /* resp: u8 code, UTF-8 message */
  SCP_RESPONSE   = 0x80,
};

enum scp_error
{
  SCP_ERR_BAD_FRAME     = 1,  /* CRC, length or COBS wrong (sent with seq 0 if unknown) */
  SCP_ERR_BAD_VERSION   = 2,  /* frame or HELLO version not supported */
  SCP_ERR_UNKNOWN       = 3,  /* unknown request type */
  SCP_ERR_BAD_ARGUMENT  = 4,  /* malformed or out-of-range payload */
  SCP_ERR_NOT_SUPPORTED = 5,  /* e.g. KEYGEN on a unit without on-device keygen */
  SCP_ERR_LOCKED        = 6,  /* the unit is locked */
  SCP_ERR_STATE         = 7,  /* e.g. COMMIT with material missing or not matching */
  SCP_ERR_STORAGE       = 8,  /* flash read, write or verify failed */
  SCP_ERR_CRYPTO        = 9,  /* key generation, decryption or signing failed */
  SCP_ERR_NOT_PROVISIONED = 10, /* READ_CHAIN, CHALLENGE, LOCK with nothing stored */
};

/* TLV fields: tag u8, length u16 BE, value. */
enum scp_tag
{
  SCP_TAG_SERIAL       = 0x01,  /* HELLO: device serial, ASCII */
  SCP_TAG_MAC          = 0x02,  /* HELLO: 6 bytes */
  SCP_TAG_MODEL        = 0x03,  /* HELLO: ASCII */
  SCP_TAG_FIRMWARE     = 0x04,  /* HELLO: ASCII */
  SCP_TAG_CAPS         = 0x05,  /* HELLO: u32 BE, enum scp_caps */
  SCP_TAG_DTID         = 0x10,  /* KEYGEN: DeviceTypeId for the CSR subject */
  SCP_TAG_DSN          = 0x11,  /* KEYGEN: DSN for the CSR subject */
  SCP_TAG_GENERATION   = 0x20,  /* READ_BACK: u32 BE, 0 = nothing stored */
  SCP_TAG_PUBKEY       = 0x21,  /* READ_BACK: SubjectPublicKeyInfo DER of the stored key */
  SCP_TAG_CHAIN_SHA256 = 0x22,  /* READ_BACK: SHA-256 of the stored PEM chain */
  SCP_TAG_PIN_SHA256   = 0x23,  /* READ_BACK: SHA-256 of the stored PIN */
  SCP_TAG_LOCKED       = 0x24,  /* READ_BACK: u8, 1 when locked */
  SCP_TAG_KEY_ORIGIN   = 0x25,  /* READ_BACK: u8, 1 device-made, 2 station-made */
};

enum scp_caps
{
  SCP_CAP_KEYGEN      = 1u << 0,  /* makes its own P-256 key and CSR */
  SCP_CAP_KEY_AT_REST = 1u << 1,  /* stores the private key encrypted */
  SCP_CAP_LOCK        = 1u << 2,  /* supports LOCK */
};

/* CHALLENGE: the unit signs SHA-256(SCP_CHALLENGE_CONTEXT || nonce) with its
 * stored key, so a signature made here is useless anywhere else. */
#define SCP_CHALLENGE_CONTEXT "SCP-CHALLENGE-v1"
#define SCP_NONCE_SIZE        32

/* Timeouts and retries (milliseconds), see docs/device-protocol.md. */
#define SCP_TIMEOUT_MS        2000
#define SCP_TIMEOUT_SLOW_MS   15000  /* KEYGEN, COMMIT, LOCK, CHALLENGE: key work, flash writes */
#define SCP_RETRIES           3

/* Largest values a unit must store. */
#define SCP_MAX_CHAIN         8192
#define SCP_MAX_KEY           256
#define SCP_MAX_PIN           32

/* ---- frame codec (scp-frame.c) ---------------------------------------- */

typedef struct
{
  uint8_t        version;
  uint8_t        type;
  uint16_t       seq;
  uint16_t       length;
  const uint8_t *payload;   /* points into the decoded buffer */
} scp_frame;

enum scp_frame_status
{
  SCP_FRAME_OK          = 0,
  SCP_FRAME_TOO_SHORT   = -1,  /* fewer bytes than header + CRC */
  SCP_FRAME_TOO_LONG    = -2,  /* over SCP_MAX_FRAME */
  SCP_FRAME_BAD_COBS    = -3,  /* not valid COBS */
  SCP_FRAME_BAD_LENGTH  = -4,  /* length field and size disagree */
  SCP_FRAME_BAD_CRC     = -5,
  SCP_FRAME_BAD_VERSION = -6,  /* decoded, CRC good, version not SCP_VERSION */
};

uint32_t    scp_crc32          (uint32_t crc, const uint8_t *data, size_t len);

/* Encodes one frame with its trailing 0x00 into @out (at least
 * SCP_MAX_ENCODED bytes). Returns the number of bytes, or 0 if @length is
 * over SCP_MAX_PAYLOAD. */
size_t      scp_frame_encode   (uint8_t type, uint16_t seq, const uint8_t *payload,
                                uint16_t length, uint8_t *out);

/* Decodes the COBS bytes of one frame (without the 0x00 delimiter) into
 * @buf (SCP_MAX_FRAME bytes) and fills @frame. */
int         scp_frame_decode   (const uint8_t *in, size_t len, uint8_t *buf, scp_frame *frame);

const char *scp_frame_status_string (int status);

/* A byte-at-a-time receiver that splits a stream into frames at 0x00,
 * dropping anything over SCP_MAX_ENCODED (garbage) until the next 0x00. */
typedef struct
{
  uint8_t data[SCP_MAX_ENCODED];
  size_t  len;
  int     overflow;
} scp_receiver;

void        scp_receiver_init  (scp_receiver *rx);
/* Feeds one byte. Returns 1 when a complete encoded frame (without the
 * delimiter) is in rx->data[0 .. rx->len), which the caller decodes and then
 * passes to scp_receiver_init(); 0 otherwise. */
int         scp_receiver_push  (scp_receiver *rx, uint8_t byte);

/* TLV helpers. scp_tlv_put returns the new offset or 0 if @cap is too small. */
size_t      scp_tlv_put        (uint8_t *buf, size_t off, size_t cap, uint8_t tag,
                                const void *value, uint16_t len);
/* Finds @tag in @buf; returns 1 and sets *value and *value_len, or 0. Returns -1 if
 * the TLVs are malformed. */
int         scp_tlv_find       (const uint8_t *buf, size_t len, uint8_t tag,
                                const uint8_t **value, uint16_t *value_len);

#ifdef __cplusplus
}
#endif

#endif /* SCP_PROTO_H */
