/* fuzz-frame.c: libFuzzer target for the SCP frame codec
 *
 * The input is taken as the COBS bytes of one frame (as a receiver hands
 * them over) and, separately, as a byte stream for scp_receiver. A frame
 * that decodes must re-encode within the limits and decode to the same
 * fields; TLV parsing of its payload must stay inside it.
 *
 * Build and run: tests/fuzz/run-fuzzer.sh frame SECONDS
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include "scp-proto.h"

#define CHECK(cond) do { if (!(cond)) abort (); } while (0)

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_tlvs (const uint8_t *payload, size_t len)
{
  static const uint8_t tags[] = {
    SCP_TAG_SERIAL, SCP_TAG_MAC, SCP_TAG_DTID, SCP_TAG_DSN, SCP_TAG_GENERATION, 0x00, 0xFF,
  };

  for (size_t i = 0; i < sizeof tags; i++)
    {
      const uint8_t *value = NULL;
      uint16_t value_len = 0;
      int r = scp_tlv_find (payload, len, tags[i], &value, &value_len);

      CHECK (r >= -1 && r <= 1);
      if (r == 1)
        CHECK (value >= payload + 3 && value + value_len <= payload + len);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static uint8_t buf[SCP_MAX_FRAME], again[SCP_MAX_FRAME], out[SCP_MAX_ENCODED];
  static scp_receiver rx;
  scp_frame frame, frame2;
  int status;

  memset (&frame, 0, sizeof frame);
  status = scp_frame_decode (data, size, buf, &frame);
  CHECK (status <= SCP_FRAME_OK && status >= SCP_FRAME_BAD_VERSION);
  CHECK (scp_frame_status_string (status) != NULL);

  if (status == SCP_FRAME_OK)
    {
      size_t n;

      CHECK (frame.version == SCP_VERSION);
      CHECK (frame.length <= SCP_MAX_PAYLOAD);
      CHECK (frame.payload == buf + SCP_HEADER_SIZE);

      n = scp_frame_encode (frame.type, frame.seq, frame.payload, frame.length, out);
      CHECK (n > 0 && n <= SCP_MAX_ENCODED);
      CHECK (out[n - 1] == 0 && memchr (out, 0, n - 1) == NULL);
      CHECK (scp_frame_decode (out, n - 1, again, &frame2) == SCP_FRAME_OK);
      CHECK (frame2.type == frame.type && frame2.seq == frame.seq && frame2.length == frame.length);
      CHECK (memcmp (frame2.payload, frame.payload, frame.length) == 0);

      check_tlvs (frame.payload, frame.length);
    }

  /* The same bytes as a stream: whatever is delivered fits the buffer. */
  scp_receiver_init (&rx);
  for (size_t i = 0; i < size; i++)
    if (scp_receiver_push (&rx, data[i]))
      {
        CHECK (rx.len > 0 && rx.len <= sizeof rx.data);
        (void) scp_frame_decode (rx.data, rx.len, buf, &frame);
        scp_receiver_init (&rx);
      }
  CHECK (rx.len <= sizeof rx.data);
  return 0;
}
