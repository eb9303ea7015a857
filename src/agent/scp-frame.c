/* scp-frame.c: SCP framing: COBS, CRC-32, header, TLVs
 *
 * Portable C99, no allocation.
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "scp-proto.h"

uint32_t
scp_crc32 (uint32_t crc, const uint8_t *data, size_t len)
{
  crc = ~crc;
  while (len--)
    {
      crc ^= *data++;
      for (int k = 0; k < 8; k++)
        crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
  return ~crc;
}

static void
put16 (uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t) (v >> 8);
  p[1] = (uint8_t) v;
}

static uint16_t
get16 (const uint8_t *p)
{
  return (uint16_t) (p[0] << 8 | p[1]);
}

/* COBS-encodes @len bytes of @in into @out; returns the encoded length. */
static size_t
cobs_encode (const uint8_t *in, size_t len, uint8_t *out)
{
  size_t code_at = 0, o = 1;
  uint8_t code = 1;

  for (size_t i = 0; i < len; i++)
    {
      if (in[i] == 0)
        {
          out[code_at] = code;
          code_at = o++;
          code = 1;
        }
      else
        {
          out[o++] = in[i];
          if (++code == 0xFF)
            {
              out[code_at] = code;
              code_at = o++;
              code = 1;
            }
        }
    }
  out[code_at] = code;
  return o;
}

#define COBS_MALFORMED ((size_t) -1)
#define COBS_TOO_LONG  ((size_t) -2)

/* Decodes COBS; returns the decoded length, COBS_MALFORMED, or
 * COBS_TOO_LONG when the decoded frame would not fit @cap. */
static size_t
cobs_decode (const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
  size_t i = 0, o = 0;

  while (i < len)
    {
      uint8_t code = in[i++];

      if (code == 0 || i + code - 1 > len)
        return COBS_MALFORMED;
      for (uint8_t k = 1; k < code; k++)
        {
          if (in[i] == 0)
            return COBS_MALFORMED;
          if (o == cap)
            return COBS_TOO_LONG;
          out[o++] = in[i++];
        }
      if (code != 0xFF && i < len)
        {
          if (o == cap)
            return COBS_TOO_LONG;
          out[o++] = 0;
        }
    }
  return o;
}

size_t
scp_frame_encode (uint8_t type, uint16_t seq, const uint8_t *payload, uint16_t length, uint8_t *out)
{
  uint8_t raw[SCP_MAX_FRAME];
  uint32_t crc;
  size_t n;

  if (length > SCP_MAX_PAYLOAD || (length > 0 && payload == NULL))
    return 0;

  raw[0] = SCP_VERSION;
  raw[1] = type;
  put16 (raw + 2, seq);
  put16 (raw + 4, length);
  if (length > 0)
    memcpy (raw + SCP_HEADER_SIZE, payload, length);
  crc = scp_crc32 (0, raw, SCP_HEADER_SIZE + (size_t) length);
  raw[SCP_HEADER_SIZE + length + 0] = (uint8_t) (crc >> 24);
  raw[SCP_HEADER_SIZE + length + 1] = (uint8_t) (crc >> 16);
  raw[SCP_HEADER_SIZE + length + 2] = (uint8_t) (crc >> 8);
  raw[SCP_HEADER_SIZE + length + 3] = (uint8_t) crc;

  n = cobs_encode (raw, SCP_HEADER_SIZE + (size_t) length + SCP_CRC_SIZE, out);
  out[n++] = 0;
  return n;
}

int
scp_frame_decode (const uint8_t *in, size_t len, uint8_t *buf, scp_frame *frame)
{
  size_t n;
  uint32_t crc, want;

  if (len > SCP_MAX_ENCODED)
    return SCP_FRAME_TOO_LONG;
  n = cobs_decode (in, len, buf, SCP_MAX_FRAME);
  if (n == COBS_TOO_LONG)
    return SCP_FRAME_TOO_LONG;
  if (n == COBS_MALFORMED)
    return SCP_FRAME_BAD_COBS;
  if (n < SCP_HEADER_SIZE + SCP_CRC_SIZE)
    return SCP_FRAME_TOO_SHORT;

  frame->version = buf[0];
  frame->type = buf[1];
  frame->seq = get16 (buf + 2);
  frame->length = get16 (buf + 4);
  frame->payload = buf + SCP_HEADER_SIZE;

  if (frame->length > SCP_MAX_PAYLOAD)
    return SCP_FRAME_TOO_LONG;
  if ((size_t) frame->length + SCP_HEADER_SIZE + SCP_CRC_SIZE != n)
    return SCP_FRAME_BAD_LENGTH;

  crc = scp_crc32 (0, buf, n - SCP_CRC_SIZE);
  want = (uint32_t) buf[n - 4] << 24 | (uint32_t) buf[n - 3] << 16 | (uint32_t) buf[n - 2] << 8 | buf[n - 1];
  if (crc != want)
    return SCP_FRAME_BAD_CRC;
  if (frame->version != SCP_VERSION)
    return SCP_FRAME_BAD_VERSION;
  return SCP_FRAME_OK;
}

const char *
scp_frame_status_string (int status)
{
  switch (status)
    {
    case SCP_FRAME_OK: return "ok";
    case SCP_FRAME_TOO_SHORT: return "frame too short";
    case SCP_FRAME_TOO_LONG: return "frame too long";
    case SCP_FRAME_BAD_COBS: return "bad COBS encoding";
    case SCP_FRAME_BAD_LENGTH: return "length field does not match the frame";
    case SCP_FRAME_BAD_CRC: return "CRC-32 mismatch";
    case SCP_FRAME_BAD_VERSION: return "unsupported protocol version";
    default: return "unknown frame error";
    }
}

void
scp_receiver_init (scp_receiver *rx)
{
  rx->len = 0;
  rx->overflow = 0;
}

int
scp_receiver_push (scp_receiver *rx, uint8_t byte)
{
  if (byte == 0)
    {
      if (rx->overflow || rx->len == 0)
        {
          /* The end of garbage, or an empty frame: start afresh. */
          scp_receiver_init (rx);
          return 0;
        }
      return 1;
    }
  if (rx->len == sizeof rx->data)
    {
      rx->overflow = 1;
      return 0;
    }
  if (!rx->overflow)
    rx->data[rx->len++] = byte;
  return 0;
}

size_t
scp_tlv_put (uint8_t *buf, size_t off, size_t cap, uint8_t tag, const void *value, uint16_t len)
{
  if (off + 3 + (size_t) len > cap)
    return 0;
  buf[off] = tag;
  put16 (buf + off + 1, len);
  if (len > 0)
    memcpy (buf + off + 3, value, len);
  return off + 3 + len;
}

int
scp_tlv_find (const uint8_t *buf, size_t len, uint8_t tag, const uint8_t **value, uint16_t *value_len)
{
  size_t off = 0;
  int found = 0;

  while (off < len)
    {
      uint16_t l;

      if (off + 3 > len)
        return -1;
      l = get16 (buf + off + 1);
      if (off + 3 + l > len)
        return -1;
      if (buf[off] == tag && !found)
        {
          *value = buf + off + 3;
          *value_len = l;
          found = 1;
        }
      off += 3 + (size_t) l;
    }
  return found;
}
