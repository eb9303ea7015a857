/* fuzz-agent.c: libFuzzer target for the reference agent
 *
 * Each input runs a fresh agent on an in-memory flash (the port is here, so
 * nothing touches the disk) with the OpenSSL crypto port. Input layout:
 *
 *   byte 0   flags: bit 0 set: structured records, clear: a raw byte stream
 *                   bit 1 set: flash writes stop after a budget (torn writes)
 *   byte 1   the write budget, in units of 61 bytes
 *   rest     raw: bytes for scp_receiver, each frame handed to the agent;
 *            records: type u8, length u16 BE, payload (clamped to what is
 *            left), framed here with the next seq so CRCs are right; type
 *            0xFE resends the previous frame as it was (a retransmission)
 *
 * After the input a second agent boots from the flash left behind and
 * answers READ_BACK and CHALLENGE. Every response must be a well-formed
 * frame with the request's seq and type | SCP_RESPONSE, or SCP_ERROR with a
 * known code.
 *
 * Build and run: tests/fuzz/run-fuzzer.sh agent SECONDS
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include "scp-agent.h"

#define CHECK(cond) do { if (!(cond)) abort (); } while (0)
#define RESEND      0xFE

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* ---- an in-memory flash ------------------------------------------------ */

static uint8_t flash[SCP_FLASH_SIZE];
static long write_budget;  /* < 0: no limit */

static int
mem_read (void *ctx, uint32_t offset, uint8_t *buf, size_t len)
{
  (void) ctx;
  if ((uint64_t) offset + len > sizeof flash)
    return -1;
  memcpy (buf, flash + offset, len);
  return 0;
}

static int
mem_write (void *ctx, uint32_t offset, const uint8_t *buf, size_t len)
{
  (void) ctx;
  if ((uint64_t) offset + len > sizeof flash)
    return -1;
  if (write_budget >= 0 && (size_t) write_budget < len)
    {
      memcpy (flash + offset, buf, (size_t) write_budget);  /* torn */
      write_budget = 0;
      return -1;
    }
  if (write_budget >= 0)
    write_budget -= (long) len;
  memcpy (flash + offset, buf, len);
  return 0;
}

static int
mem_sync (void *ctx)
{
  (void) ctx;
  return 0;
}

static const scp_storage storage = {
  .ctx = NULL,
  .size = SCP_FLASH_SIZE,
  .read = mem_read,
  .write = mem_write,
  .sync = mem_sync,
};

static const scp_agent_config config = {
  .serial = "FUZZ-0001",
  .mac = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 },
  .model = "FUZZ",
  .firmware = "0",
  .caps = SCP_CAP_KEYGEN | SCP_CAP_KEY_AT_REST | SCP_CAP_LOCK,
};

static void
erase_flash (void)
{
  memset (flash, 0xFF, sizeof flash);
  for (int i = 0; i < SCP_OTP_SIZE; i++)
    flash[SCP_OTP_OFFSET + i] = (uint8_t) (0x5A ^ (i * 13));
}

/* ---- one exchange ------------------------------------------------------ */

static void
exchange (scp_agent *agent, const uint8_t *req, size_t len)
{
  static uint8_t out[SCP_MAX_ENCODED], req_buf[SCP_MAX_FRAME], resp_buf[SCP_MAX_FRAME];
  scp_frame request, response;
  int req_status;
  size_t n;

  memset (&request, 0, sizeof request);
  req_status = scp_frame_decode (req, len, req_buf, &request);

  n = scp_agent_handle (agent, req, len, out);
  CHECK (n > 1 && n <= SCP_MAX_ENCODED);
  CHECK (out[n - 1] == 0 && memchr (out, 0, n - 1) == NULL);
  CHECK (scp_frame_decode (out, n - 1, resp_buf, &response) == SCP_FRAME_OK);

  if (response.type == SCP_ERROR)
    {
      CHECK (response.length >= 1);
      CHECK (response.payload[0] >= SCP_ERR_BAD_FRAME &&
             response.payload[0] <= SCP_ERR_NOT_PROVISIONED);
    }
  if (req_status == SCP_FRAME_OK)
    {
      CHECK (response.seq == request.seq);
      CHECK (response.type == SCP_ERROR ||
             response.type == (uint8_t) (request.type | SCP_RESPONSE));
    }
  else
    CHECK (response.type == SCP_ERROR);
}

static void
run_raw (scp_agent *agent, const uint8_t *data, size_t size)
{
  static scp_receiver rx;

  scp_receiver_init (&rx);
  for (size_t i = 0; i < size; i++)
    if (scp_receiver_push (&rx, data[i]))
      {
        exchange (agent, rx.data, rx.len);
        scp_receiver_init (&rx);
      }
}

static void
run_records (scp_agent *agent, const uint8_t *data, size_t size)
{
  static uint8_t req[SCP_MAX_ENCODED];
  size_t req_len = 0, off = 0;
  uint16_t seq = 0;

  while (off + 3 <= size)
    {
      uint8_t type = data[off];
      size_t len = (size_t) data[off + 1] << 8 | data[off + 2];

      off += 3;
      if (len > size - off)
        len = size - off;
      if (len > SCP_MAX_PAYLOAD)
        len = SCP_MAX_PAYLOAD;

      if (type != RESEND || req_len == 0)
        {
          size_t n = scp_frame_encode (type, ++seq, data + off, (uint16_t) len, req);

          CHECK (n > 1);
          req_len = n - 1;
        }
      off += len;
      exchange (agent, req, req_len);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const uint8_t nonce[SCP_NONCE_SIZE] = { 1, 2, 3 };
  static uint8_t req[SCP_MAX_ENCODED];
  scp_agent *agent;
  size_t n;

  if (size < 2)
    return 0;
  erase_flash ();
  write_budget = (data[0] & 2) ? (long) data[1] * 61 : -1;

  agent = scp_agent_new (&config, &storage, scp_crypto_openssl ());
  CHECK (agent != NULL);
  if (data[0] & 1)
    run_records (agent, data + 2, size - 2);
  else
    run_raw (agent, data + 2, size - 2);
  scp_agent_free (agent);

  /* Power back on: whatever was left in flash must boot and answer. */
  write_budget = -1;
  agent = scp_agent_new (&config, &storage, scp_crypto_openssl ());
  CHECK (agent != NULL);
  n = scp_frame_encode (SCP_READ_BACK, 1, NULL, 0, req);
  exchange (agent, req, n - 1);
  n = scp_frame_encode (SCP_CHALLENGE, 2, nonce, sizeof nonce, req);
  exchange (agent, req, n - 1);
  scp_agent_free (agent);
  return 0;
}
