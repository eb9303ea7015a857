/* test-frame.c: the SCP frame codec: round trips at every payload size,
 * one test per malformed-frame status, the stream receiver's
 * resynchronisation, and the TLV helpers
 *
 * The frames under test are built here with a COBS encoder and a header
 * writer of the test's own, so the codec is checked against the protocol
 * text rather than against itself.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include <glib.h>

#include "scp-proto.h"

/* ---- an independent COBS encoder and raw frame builder ------------------ */

/* Encodes @len bytes, block by block: each block is at most 254 non-zero
 * bytes preceded by its length + 1; a block shorter than 254 stands for its
 * bytes and a zero, except at the end. (The canonical form: no empty block
 * after a full one at the end.) */
static GByteArray *
cobs (const guint8 *in, gsize len)
{
  GByteArray *out = g_byte_array_new ();
  gsize start = 0;

  for (;;)
    {
      gsize end = start;
      guint8 code;

      while (end < len && in[end] != 0 && end - start < 254)
        end++;
      code = (guint8) (end - start + 1);
      g_byte_array_append (out, &code, 1);
      g_byte_array_append (out, in + start, (guint) (end - start));
      if (end == len)
        break;
      start = in[end] == 0 ? end + 1 : end;
    }
  return out;
}

/* The inverse, written from the same description. */
static GByteArray *
uncobs (const guint8 *in, gsize len)
{
  GByteArray *out = g_byte_array_new ();
  gsize i = 0;

  while (i < len)
    {
      guint8 code = in[i++];

      g_assert_cmpuint (code, !=, 0);
      g_assert_cmpuint (i + code - 1, <=, len);
      g_byte_array_append (out, in + i, code - 1u);
      i += code - 1u;
      if (code != 0xFF && i < len)
        g_byte_array_append (out, (const guint8 *) "", 1);
    }
  return out;
}

/* header || payload || CRC, with every field under the caller's control. */
static GByteArray *
raw_frame (guint8 version, guint8 type, guint16 seq, guint16 length_field,
           const guint8 *payload, gsize payload_len, gboolean good_crc)
{
  GByteArray *raw = g_byte_array_new ();
  guint8 header[6] = { version, type, seq >> 8, seq & 0xFF, length_field >> 8,
                      length_field & 0xFF };
  guint32 crc;
  guint8 crc_be[4];

  g_byte_array_append (raw, header, 6);
  if (payload_len > 0)
    g_byte_array_append (raw, payload, (guint) payload_len);
  crc = scp_crc32 (0, raw->data, raw->len);
  if (!good_crc)
    crc ^= 0x00010000;
  crc_be[0] = crc >> 24;
  crc_be[1] = crc >> 16;
  crc_be[2] = crc >> 8;
  crc_be[3] = crc;
  g_byte_array_append (raw, crc_be, 4);
  return raw;
}

static int
decode_raw (GByteArray *raw, scp_frame *frame)
{
  static guint8 buf[SCP_MAX_FRAME];
  g_autoptr(GByteArray) enc = cobs (raw->data, raw->len);

  return scp_frame_decode (enc->data, enc->len, buf, frame);
}

static void
fill (guint8 *p, gsize len, int pattern)
{
  for (gsize i = 0; i < len; i++)
    p[i] = pattern == 0 ? 0x00 : pattern == 1 ? 0xFF : (guint8) (i * 7 + 3);
}

/* ---- tests ------------------------------------------------------------- */

static void
test_crc (void)
{
  /* The CRC-32 check value (IEEE 802.3, as zlib's crc32). */
  g_assert_cmphex (scp_crc32 (0, (const guint8 *) "123456789", 9), ==, 0xCBF43926);
  g_assert_cmphex (scp_crc32 (0, NULL, 0), ==, 0);
  /* Incremental use gives the same as one call. */
  g_assert_cmphex (scp_crc32 (scp_crc32 (0, (const guint8 *) "1234", 4),
                              (const guint8 *) "56789", 5),
                   ==, 0xCBF43926);
}

static void
test_round_trip (void)
{
  static guint8 payload[SCP_MAX_PAYLOAD], out[SCP_MAX_ENCODED], buf[SCP_MAX_FRAME];

  for (int pattern = 0; pattern < 3; pattern++)
    for (guint len = 0; len <= SCP_MAX_PAYLOAD; len++)
      {
        g_autoptr(GByteArray) raw = NULL;
        g_autoptr(GByteArray) decoded = NULL;
        g_autoptr(GByteArray) ours = NULL;
        scp_frame frame;
        guint16 seq = (guint16) (len * 31 + pattern);
        gsize n;

        fill (payload, len, pattern);
        n = scp_frame_encode (0x42, seq, payload, (guint16) len, out);
        g_assert_cmpuint (n, >, 0);
        g_assert_cmpuint (n, <=, SCP_MAX_ENCODED);
        g_assert_cmpuint (out[n - 1], ==, 0);
        g_assert_null (memchr (out, 0, n - 1));

        /* What the protocol text says: our decoding of its bytes is the raw
         * frame, and it decodes our encoding of the raw frame. */
        raw = raw_frame (SCP_VERSION, 0x42, seq, (guint16) len, payload, len, TRUE);
        decoded = uncobs (out, n - 1);
        g_assert_cmpmem (decoded->data, decoded->len, raw->data, raw->len);
        ours = cobs (raw->data, raw->len);
        g_assert_cmpint (scp_frame_decode (ours->data, ours->len, buf, &frame), ==, SCP_FRAME_OK);
        g_assert_cmpmem (frame.payload, frame.length, payload, len);

        memset (&frame, 0, sizeof frame);
        g_assert_cmpint (scp_frame_decode (out, n - 1, buf, &frame), ==, SCP_FRAME_OK);
        g_assert_cmpuint (frame.version, ==, SCP_VERSION);
        g_assert_cmpuint (frame.type, ==, 0x42);
        g_assert_cmpuint (frame.seq, ==, seq);
        g_assert_cmpuint (frame.length, ==, len);
        g_assert_cmpmem (frame.payload, frame.length, payload, len);
      }
}

static void
test_encode_oversize (void)
{
  static guint8 payload[SCP_MAX_PAYLOAD + 1], out[SCP_MAX_ENCODED + 16];

  g_assert_cmpuint (scp_frame_encode (1, 1, payload, SCP_MAX_PAYLOAD + 1, out), ==, 0);
  g_assert_cmpuint (scp_frame_encode (1, 1, NULL, 3, out), ==, 0);
}

static void
test_bad_crc (void)
{
  const guint8 payload[] = { 1, 2, 3, 0, 5 };
  g_autoptr(GByteArray) raw = raw_frame (SCP_VERSION, 2, 77, sizeof payload, payload,
                                         sizeof payload, FALSE);
  scp_frame frame = { 0 };

  g_assert_cmpint (decode_raw (raw, &frame), ==, SCP_FRAME_BAD_CRC);
  /* The header was readable, so its seq is there for the error response. */
  g_assert_cmpuint (frame.seq, ==, 77);

  /* A flipped payload bit with the old CRC. */
  g_clear_pointer (&raw, g_byte_array_unref);
  raw = raw_frame (SCP_VERSION, 2, 77, sizeof payload, payload, sizeof payload, TRUE);
  raw->data[7] ^= 0x04;
  g_assert_cmpint (decode_raw (raw, &frame), ==, SCP_FRAME_BAD_CRC);
}

static void
test_truncated (void)
{
  static guint8 buf[SCP_MAX_FRAME], out[SCP_MAX_ENCODED];
  guint8 payload[40];
  g_autoptr(GByteArray) raw = raw_frame (SCP_VERSION, 2, 1, 0, NULL, 0, TRUE);
  scp_frame frame;
  gsize n;

  /* Fewer bytes than a header and a CRC. */
  for (guint keep = 0; keep < SCP_HEADER_SIZE + SCP_CRC_SIZE; keep++)
    {
      g_autoptr(GByteArray) enc = cobs (raw->data, keep);

      g_assert_cmpint (scp_frame_decode (enc->data, enc->len, buf, &frame), ==,
                       SCP_FRAME_TOO_SHORT);
    }
  g_assert_cmpint (scp_frame_decode (NULL, 0, buf, &frame), ==, SCP_FRAME_TOO_SHORT);

  /* A frame cut short on the wire fails, whatever the cut. */
  memset (payload, 0x11, sizeof payload);
  n = scp_frame_encode (3, 9, payload, sizeof payload, out);
  for (gsize keep = 1; keep < n - 1; keep++)
    {
      int status = scp_frame_decode (out, keep, buf, &frame);

      g_assert_true (status == SCP_FRAME_TOO_SHORT || status == SCP_FRAME_BAD_COBS ||
                     status == SCP_FRAME_BAD_LENGTH);
    }
  /* Cut inside a COBS block: the block's code points past the end. The
   * blocks are [01 03] [09] [28 11 ... CRC]: cut in the third. */
  g_assert_cmpuint (out[0], ==, 3);
  g_assert_cmpuint (out[3], ==, 2);
  g_assert_cmpuint (out[5], >, 40);
  g_assert_cmpint (scp_frame_decode (out, 10, buf, &frame), ==, SCP_FRAME_BAD_COBS);

  /* Cut at a block boundary: valid COBS, too few bytes for the length. */
  g_clear_pointer (&raw, g_byte_array_unref);
  raw = raw_frame (SCP_VERSION, 3, 9, sizeof payload, payload, sizeof payload, TRUE);
  for (guint drop = 1; drop <= sizeof payload; drop++)
    {
      g_autoptr(GByteArray) enc = cobs (raw->data, raw->len - drop);

      g_assert_cmpint (scp_frame_decode (enc->data, enc->len, buf, &frame), ==,
                       SCP_FRAME_BAD_LENGTH);
    }
}

static void
test_oversize (void)
{
  static guint8 payload[SCP_MAX_PAYLOAD + 1], buf[SCP_MAX_FRAME], big[SCP_MAX_ENCODED + 100];
  g_autoptr(GByteArray) raw = NULL;
  scp_frame frame;

  /* One payload byte over the maximum, length field to match. */
  fill (payload, sizeof payload, 1);
  raw = raw_frame (SCP_VERSION, 4, 1, SCP_MAX_PAYLOAD + 1, payload, SCP_MAX_PAYLOAD + 1, TRUE);
  g_assert_cmpint (decode_raw (raw, &frame), ==, SCP_FRAME_TOO_LONG);

  /* The same with zeros in it, so that its encoding is no longer than the
   * longest valid one: refused all the same, as too long. */
  g_clear_pointer (&raw, g_byte_array_unref);
  fill (payload, sizeof payload, 2);
  raw = raw_frame (SCP_VERSION, 4, 1, SCP_MAX_PAYLOAD + 1, payload, SCP_MAX_PAYLOAD + 1, TRUE);
  g_assert_cmpint (decode_raw (raw, &frame), ==, SCP_FRAME_TOO_LONG);

  /* A length field over the maximum on a short frame. */
  g_clear_pointer (&raw, g_byte_array_unref);
  raw = raw_frame (SCP_VERSION, 4, 1, SCP_MAX_PAYLOAD + 1, payload, 10, TRUE);
  g_assert_cmpint (decode_raw (raw, &frame), ==, SCP_FRAME_TOO_LONG);

  /* More encoded bytes than any frame can take. */
  memset (big, 0x55, sizeof big);
  g_assert_cmpint (scp_frame_decode (big, sizeof big, buf, &frame), ==, SCP_FRAME_TOO_LONG);
}

static void
test_wrong_version (void)
{
  const guint8 payload[] = { 1, 1 };
  g_autoptr(GByteArray) raw = raw_frame (2, SCP_HELLO, 4660, sizeof payload, payload,
                                         sizeof payload, TRUE);
  scp_frame frame = { 0 };

  g_assert_cmpint (decode_raw (raw, &frame), ==, SCP_FRAME_BAD_VERSION);
  g_assert_cmpuint (frame.version, ==, 2);
  g_assert_cmpuint (frame.seq, ==, 4660);

  g_clear_pointer (&raw, g_byte_array_unref);
  raw = raw_frame (0, SCP_HELLO, 1, sizeof payload, payload, sizeof payload, TRUE);
  g_assert_cmpint (decode_raw (raw, &frame), ==, SCP_FRAME_BAD_VERSION);
}

static void
test_bad_length (void)
{
  const guint8 payload[11] = { 1, 2, 3 };
  g_autoptr(GByteArray) raw = NULL;
  scp_frame frame;

  /* The length field says 10, the frame carries 11. */
  raw = raw_frame (SCP_VERSION, 5, 2, 10, payload, 11, TRUE);
  g_assert_cmpint (decode_raw (raw, &frame), ==, SCP_FRAME_BAD_LENGTH);

  /* ... and 12. */
  g_clear_pointer (&raw, g_byte_array_unref);
  raw = raw_frame (SCP_VERSION, 5, 2, 12, payload, 11, TRUE);
  g_assert_cmpint (decode_raw (raw, &frame), ==, SCP_FRAME_BAD_LENGTH);
}

static void
test_bad_cobs (void)
{
  static guint8 buf[SCP_MAX_FRAME], out[SCP_MAX_ENCODED];
  const guint8 payload[] = { 'a', 'b', 'c', 'd' };
  const guint8 code_zero[] = { 0x00, 0x05 };
  scp_frame frame;
  gsize n = scp_frame_encode (1, 1, payload, sizeof payload, out);

  /* A zero inside the encoded bytes. */
  out[n / 2] = 0;
  g_assert_cmpint (scp_frame_decode (out, n - 1, buf, &frame), ==, SCP_FRAME_BAD_COBS);

  /* A block code running past the end. */
  n = scp_frame_encode (1, 1, payload, sizeof payload, out);
  out[0] = 0xFE;
  g_assert_cmpint (scp_frame_decode (out, n - 1, buf, &frame), ==, SCP_FRAME_BAD_COBS);

  g_assert_cmpint (scp_frame_decode (code_zero, sizeof code_zero, buf, &frame), ==,
                   SCP_FRAME_BAD_COBS);
}

static void
test_status_strings (void)
{
  const int statuses[] = {
    SCP_FRAME_OK, SCP_FRAME_TOO_SHORT, SCP_FRAME_TOO_LONG, SCP_FRAME_BAD_COBS,
    SCP_FRAME_BAD_LENGTH, SCP_FRAME_BAD_CRC, SCP_FRAME_BAD_VERSION,
  };

  /* Each status has its own text. */
  for (gsize i = 0; i < G_N_ELEMENTS (statuses); i++)
    for (gsize j = i + 1; j < G_N_ELEMENTS (statuses); j++)
      g_assert_cmpstr (scp_frame_status_string (statuses[i]), !=,
                       scp_frame_status_string (statuses[j]));
}

/* Feeds @len bytes; returns how many frames completed, checking each one
 * against @want (NULL: expect them to be damaged). */
static guint
push_all (scp_receiver *rx, const guint8 *data, gsize len, const guint8 *want, gsize want_len)
{
  static guint8 buf[SCP_MAX_FRAME];
  guint frames = 0;

  for (gsize i = 0; i < len; i++)
    if (scp_receiver_push (rx, data[i]))
      {
        scp_frame frame;
        int status = scp_frame_decode (rx->data, rx->len, buf, &frame);

        if (want != NULL)
          {
            g_assert_cmpint (status, ==, SCP_FRAME_OK);
            g_assert_cmpmem (frame.payload, frame.length, want, want_len);
          }
        else
          g_assert_cmpint (status, !=, SCP_FRAME_OK);
        frames++;
        scp_receiver_init (rx);
      }
  return frames;
}

static void
test_receiver_garbage (void)
{
  static guint8 out[SCP_MAX_ENCODED];
  const guint8 payload[] = "a payload with a \0 zero";
  const guint8 garbage[] = { 0x13, 0x37, 0xFF, 0x01, 0x99, 0x00 };
  const guint8 no_delimiter[] = { 0x44, 0x45, 0x46 };
  scp_receiver rx;
  gsize n = scp_frame_encode (SCP_PUT_PIN, 5, payload, sizeof payload, out);

  scp_receiver_init (&rx);

  /* Empty frames (runs of delimiters) are skipped. */
  g_assert_cmpuint (push_all (&rx, (const guint8 *) "\0\0\0", 3, NULL, 0), ==, 0);

  /* Garbage up to a delimiter is one damaged frame; the next frame is whole. */
  g_assert_cmpuint (push_all (&rx, garbage, sizeof garbage, NULL, 0), ==, 1);
  g_assert_cmpuint (push_all (&rx, out, n, payload, sizeof payload), ==, 1);

  /* Garbage glued to the front of a frame spoils that frame only. */
  g_assert_cmpuint (push_all (&rx, no_delimiter, sizeof no_delimiter, NULL, 0), ==, 0);
  g_assert_cmpuint (push_all (&rx, out, n, NULL, 0), ==, 1);
  g_assert_cmpuint (push_all (&rx, out, n, payload, sizeof payload), ==, 1);

  /* Two frames in one write. */
  {
    g_autoptr(GByteArray) two = g_byte_array_new ();

    g_byte_array_append (two, out, (guint) n);
    g_byte_array_append (two, out, (guint) n);
    g_assert_cmpuint (push_all (&rx, two->data, two->len, payload, sizeof payload), ==, 2);
  }
}

/* A console may send a 0x00 before a frame: on a clean line it is an empty
 * frame and delivers nothing; after a frame cut short (a unit that booted
 * mid-frame, a cable pulled) it ends the partial frame, which is delivered
 * as one damaged frame, and the frame after it arrives whole. */
static void
test_receiver_leading_zero (void)
{
  static guint8 out[SCP_MAX_ENCODED];
  const guint8 payload[] = { 0x00, 0x01, 0x00 };
  g_autoptr(GByteArray) stream = g_byte_array_new ();
  scp_receiver rx;
  gsize n = scp_frame_encode (SCP_COMMIT, 0x8001, payload, sizeof payload, out);

  scp_receiver_init (&rx);
  g_byte_array_append (stream, (const guint8 *) "", 1);
  g_byte_array_append (stream, out, (guint) n);
  g_assert_cmpuint (push_all (&rx, stream->data, stream->len, payload, sizeof payload), ==, 1);
  g_assert_cmpuint (rx.len, ==, 0);

  /* Half a frame, then 0x00 and the frame. */
  g_byte_array_set_size (stream, 0);
  g_byte_array_append (stream, out, (guint) (n / 2));
  g_assert_cmpuint (push_all (&rx, stream->data, stream->len, NULL, 0), ==, 0);
  g_assert_cmpuint (push_all (&rx, (const guint8 *) "", 1, NULL, 0), ==, 1);
  g_assert_cmpuint (push_all (&rx, out, n, payload, sizeof payload), ==, 1);
}

static void
test_receiver_overflow (void)
{
  static guint8 out[SCP_MAX_ENCODED], payload[SCP_MAX_PAYLOAD];
  g_autofree guint8 *noise = g_malloc (3 * SCP_MAX_ENCODED);
  scp_receiver rx;
  gsize n;

  scp_receiver_init (&rx);
  memset (noise, 0xA5, 3 * SCP_MAX_ENCODED);

  /* More than a frame's worth of bytes without a delimiter is dropped
   * whole, delimiter included; nothing is delivered. */
  g_assert_cmpuint (push_all (&rx, noise, 3 * SCP_MAX_ENCODED, NULL, 0), ==, 0);
  g_assert_true (rx.overflow);
  g_assert_cmpuint (push_all (&rx, (const guint8 *) "", 1, NULL, 0), ==, 0);
  g_assert_false (rx.overflow);

  /* The largest frame there is fits the receiver exactly. */
  fill (payload, sizeof payload, 1);
  n = scp_frame_encode (SCP_PUT_CHAIN, 1, payload, SCP_MAX_PAYLOAD, out);
  g_assert_cmpuint (push_all (&rx, out, n, payload, SCP_MAX_PAYLOAD), ==, 1);

  /* An overflow right before a frame, then the frame after the delimiter. */
  g_assert_cmpuint (push_all (&rx, noise, SCP_MAX_ENCODED + 1, NULL, 0), ==, 0);
  g_assert_cmpuint (push_all (&rx, out, n, NULL, 0), ==, 0);  /* swallowed with the garbage */
  g_assert_cmpuint (push_all (&rx, out, n, payload, SCP_MAX_PAYLOAD), ==, 1);
}

static void
test_tlv (void)
{
  guint8 buf[64];
  const guint8 *value = NULL;
  guint16 len = 0;
  gsize off;

  off = scp_tlv_put (buf, 0, sizeof buf, SCP_TAG_SERIAL, "ABC", 3);
  g_assert_cmpuint (off, ==, 6);
  off = scp_tlv_put (buf, off, sizeof buf, SCP_TAG_MODEL, NULL, 0);
  g_assert_cmpuint (off, ==, 9);
  off = scp_tlv_put (buf, off, sizeof buf, SCP_TAG_SERIAL, "second", 6);
  g_assert_cmpuint (off, ==, 18);
  g_assert_cmpuint (scp_tlv_put (buf, off, sizeof buf, SCP_TAG_CAPS, buf, 44), ==, 0);

  const guint8 want[] = { 0x01, 0x00, 0x03, 'A', 'B', 'C', 0x03, 0x00, 0x00 };
  g_assert_cmpmem (buf, 9, want, sizeof want);

  /* The first of a repeated tag wins. */
  g_assert_cmpint (scp_tlv_find (buf, off, SCP_TAG_SERIAL, &value, &len), ==, 1);
  g_assert_cmpmem (value, len, "ABC", 3);
  g_assert_cmpint (scp_tlv_find (buf, off, SCP_TAG_MODEL, &value, &len), ==, 1);
  g_assert_cmpuint (len, ==, 0);
  g_assert_cmpint (scp_tlv_find (buf, off, SCP_TAG_MAC, &value, &len), ==, 0);

  /* Malformed: a value running past the end, a header cut short; also
   * when the tag looked for comes first. */
  g_assert_cmpint (scp_tlv_find (buf, off - 1, SCP_TAG_MAC, &value, &len), ==, -1);
  g_assert_cmpint (scp_tlv_find (buf, off - 1, SCP_TAG_SERIAL, &value, &len), ==, -1);
  g_assert_cmpint (scp_tlv_find (buf, 8, SCP_TAG_SERIAL, &value, &len), ==, -1);
  g_assert_cmpint (scp_tlv_find (buf, 0, SCP_TAG_SERIAL, &value, &len), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sc/scp-frame/crc", test_crc);
  g_test_add_func ("/sc/scp-frame/round-trip", test_round_trip);
  g_test_add_func ("/sc/scp-frame/encode-oversize", test_encode_oversize);
  g_test_add_func ("/sc/scp-frame/bad-crc", test_bad_crc);
  g_test_add_func ("/sc/scp-frame/truncated", test_truncated);
  g_test_add_func ("/sc/scp-frame/oversize", test_oversize);
  g_test_add_func ("/sc/scp-frame/wrong-version", test_wrong_version);
  g_test_add_func ("/sc/scp-frame/bad-length", test_bad_length);
  g_test_add_func ("/sc/scp-frame/bad-cobs", test_bad_cobs);
  g_test_add_func ("/sc/scp-frame/status-strings", test_status_strings);
  g_test_add_func ("/sc/scp-frame/receiver-garbage", test_receiver_garbage);
  g_test_add_func ("/sc/scp-frame/receiver-leading-zero", test_receiver_leading_zero);
  g_test_add_func ("/sc/scp-frame/receiver-overflow", test_receiver_overflow);
  g_test_add_func ("/sc/scp-frame/tlv", test_tlv);

  return g_test_run ();
}
