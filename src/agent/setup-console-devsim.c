/* setup-console-devsim.c: a simulated unit that speaks SCP
 *
 * The reference agent (scp-agent.c) on a file-backed flash and the OpenSSL
 * crypto port, served over a pseudo-terminal, a loopback TCP port or
 * stdin/stdout, with switches that inject the faults a line sees: lost and
 * damaged frames, cable pulls, slow flash, power cuts during COMMIT and
 * units that answer KEYGEN with the wrong CSR.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "scp-agent.h"

#define PROG "setup-console-devsim"

/* Exit statuses. */
#define EXIT_RUNTIME    1
#define EXIT_USAGE      2
#define EXIT_POWER_LOSS 70

enum
{
  MODE_NONE,
  MODE_PTY,
  MODE_TCP,
  MODE_STDIO,
};

/* How serving a connection ended. */
enum
{
  END_NONE,        /* (go on) */
  END_EOF,         /* the peer closed */
  END_DISCONNECT,  /* --disconnect-at */
  END_STOP,        /* SIGTERM or SIGINT */
  END_ERROR,
};

static const struct
{
  const char *name;
  uint8_t     type;
} request_names[] = {
  { "HELLO", SCP_HELLO },
  { "KEYGEN", SCP_KEYGEN },
  { "PUT_KEY", SCP_PUT_KEY },
  { "PUT_CHAIN", SCP_PUT_CHAIN },
  { "PUT_PIN", SCP_PUT_PIN },
  { "COMMIT", SCP_COMMIT },
  { "READ_BACK", SCP_READ_BACK },
  { "CHALLENGE", SCP_CHALLENGE },
  { "LOCK", SCP_LOCK },
  { "READ_CHAIN", SCP_READ_CHAIN },
};

static const char *const error_names[] = {
  [SCP_ERR_BAD_FRAME] = "BAD_FRAME",
  [SCP_ERR_BAD_VERSION] = "BAD_VERSION",
  [SCP_ERR_UNKNOWN] = "UNKNOWN",
  [SCP_ERR_BAD_ARGUMENT] = "BAD_ARGUMENT",
  [SCP_ERR_NOT_SUPPORTED] = "NOT_SUPPORTED",
  [SCP_ERR_LOCKED] = "LOCKED",
  [SCP_ERR_STATE] = "STATE",
  [SCP_ERR_STORAGE] = "STORAGE",
  [SCP_ERR_CRYPTO] = "CRYPTO",
  [SCP_ERR_NOT_PROVISIONED] = "NOT_PROVISIONED",
};

static struct
{
  /* options */
  const char        *flash_path;
  int                mode;
  unsigned           tcp_port;
  unsigned long      drop_frame;     /* 0: none */
  unsigned long      corrupt_frame;  /* 0: none */
  int                drop_type;      /* or the response to the first such request; -1: none */
  int                corrupt_type;
  int                disconnect_type;  /* -1: none */
  unsigned           slow_flash_ms;
  int                power_loss_in_commit;
  int                csr_wrong_dsn;
  int                csr_wrong_curve;

  /* run state */
  scp_storage       *file;
  scp_storage        flash;      /* the file with the flash faults */
  scp_crypto         crypto;     /* OpenSSL with the CSR faults */
  const scp_crypto  *openssl;
  scp_agent         *agent;
  int                in_commit;
  unsigned long      responses;
  int                disconnect_done;
  int                drop_done;
  int                corrupt_done;
  sigset_t           wait_mask;  /* the signal mask while waiting for input */
} sim = { .disconnect_type = -1, .drop_type = -1, .corrupt_type = -1 };

static volatile sig_atomic_t stop_requested;

static const char *
request_name (uint8_t type)
{
  static char unknown[8];

  for (size_t i = 0; i < sizeof request_names / sizeof request_names[0]; i++)
    if (request_names[i].type == type)
      return request_names[i].name;
  snprintf (unknown, sizeof unknown, "0x%02X", type);
  return unknown;
}

static const char *
error_name (uint8_t code)
{
  if (code < sizeof error_names / sizeof error_names[0] && error_names[code] != NULL)
    return error_names[code];
  return "?";
}

static void
wipe (void *p, size_t len)
{
  OPENSSL_cleanse (p, len);
}

/* ---- fault injection: flash -------------------------------------------- */

static int
flash_read (void *ctx, uint32_t offset, uint8_t *buf, size_t len)
{
  (void) ctx;
  return sim.file->read (sim.file->ctx, offset, buf, len);
}

static int
flash_write (void *ctx, uint32_t offset, const uint8_t *buf, size_t len)
{
  (void) ctx;
  if (sim.slow_flash_ms > 0)
    {
      struct timespec ts = {
        .tv_sec = sim.slow_flash_ms / 1000,
        .tv_nsec = (long) (sim.slow_flash_ms % 1000) * 1000000L,
      };

      while (nanosleep (&ts, &ts) != 0 && errno == EINTR)
        ;
    }
  /* A slot update clears the slot's magic (at the slot's first byte), then
   * writes the body, the rest of the header and the magic: the first write
   * not at a slot's first byte during COMMIT is the body. */
  if (sim.power_loss_in_commit && sim.in_commit && offset != SCP_SLOT_A && offset != SCP_SLOT_B)
    {
      sim.file->write (sim.file->ctx, offset, buf, len / 2);
      fprintf (stderr, PROG ": power cut after %zu of %zu bytes of the slot body "
               "(--power-loss-in-commit)\n", len / 2, len);
      _exit (EXIT_POWER_LOSS);
    }
  return sim.file->write (sim.file->ctx, offset, buf, len);
}

static int
flash_sync (void *ctx)
{
  (void) ctx;
  return sim.file->sync (sim.file->ctx);
}

static int
request_hook (void *ctx, uint8_t type)
{
  (void) ctx;
  sim.in_commit = type == SCP_COMMIT;
  return 0;
}

/* ---- fault injection: CSRs --------------------------------------------- */

static int
faulty_make_csr (void *ctx, const uint8_t *key, size_t key_len, const char *dtid, const char *dsn,
                 uint8_t *out, size_t cap)
{
  const scp_crypto *base = sim.openssl;
  char other_dsn[128];
  int n = -1;

  (void) ctx;
  if (sim.csr_wrong_dsn)
    {
      size_t len = strlen (dsn);

      if (len == 0 || len >= sizeof other_dsn)
        return -1;
      memcpy (other_dsn, dsn, len + 1);
      other_dsn[len - 1] = other_dsn[len - 1] == 'X' ? 'Y' : 'X';
      dsn = other_dsn;
    }

  if (sim.csr_wrong_curve)
    {
      EVP_PKEY *p384 = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-384");
      unsigned char *der = NULL;
      int der_len = p384 != NULL ? i2d_PrivateKey (p384, &der) : -1;

      if (der_len > 0)
        n = base->make_csr (base->ctx, der, (size_t) der_len, dtid, dsn, out, cap);
      if (der != NULL)
        OPENSSL_clear_free (der, (size_t) der_len);
      EVP_PKEY_free (p384);
      return n;
    }

  return base->make_csr (base->ctx, key, key_len, dtid, dsn, out, cap);
}

/* ---- serving ----------------------------------------------------------- */

static void
stop_cb (int signum)
{
  (void) signum;
  stop_requested = 1;
}

/* Waits until @fd is readable (or hung up). Returns 1, 0 when asked to stop,
 * -1 on error. SIGTERM and SIGINT are blocked except inside ppoll(), so a
 * signal is never lost between the check and the wait. */
static int
wait_readable (int fd)
{
  struct pollfd pfd = { .fd = fd, .events = POLLIN };

  for (;;)
    {
      if (stop_requested)
        return 0;
      if (ppoll (&pfd, 1, NULL, &sim.wait_mask) >= 0)
        return 1;
      if (errno != EINTR)
        return -1;
    }
}

static int
write_all (int fd, const uint8_t *buf, size_t len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, buf, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return -1;
      buf += n;
      len -= (size_t) n;
    }
  return 0;
}

/* Handles one received frame; returns END_NONE to go on. */
static int
handle_frame (const uint8_t *data, size_t len, int out_fd)
{
  static uint8_t peek[SCP_MAX_FRAME], out[SCP_MAX_ENCODED], echo[SCP_MAX_FRAME];
  scp_frame req, resp;
  char what[48], result[160];
  size_t n;
  int status;

  memset (&req, 0, sizeof req);
  status = scp_frame_decode (data, len, peek, &req);
  wipe (peek, sizeof peek);  /* it may hold a key or a PIN */
  if (status == SCP_FRAME_OK)
    snprintf (what, sizeof what, "seq %u %s", req.seq, request_name (req.type));
  else
    snprintf (what, sizeof what, "damaged frame (%s)", scp_frame_status_string (status));

  if (status == SCP_FRAME_OK && req.type == sim.disconnect_type && !sim.disconnect_done)
    {
      sim.disconnect_done = 1;
      fprintf (stderr, PROG ": %s: disconnecting without an answer (--disconnect-at)\n", what);
      return END_DISCONNECT;
    }

  n = scp_agent_handle (sim.agent, data, len, out);
  sim.in_commit = 0;
  sim.responses++;

  snprintf (result, sizeof result, "answered");
  if (n > 1 && scp_frame_decode (out, n - 1, echo, &resp) == SCP_FRAME_OK)
    {
      if (resp.type == SCP_ERROR && resp.length >= 1)
        {
          char message[100];
          size_t m = 0;

          /* The agent's messages are fixed ASCII strings; print them safely anyway. */
          for (size_t i = 1; i < resp.length && m < sizeof message - 1; i++)
            {
              uint8_t c = resp.payload[i];

              message[m++] = c >= 0x20 && c < 0x7F ? (char) c : '?';
            }
          message[m] = '\0';
          snprintf (result, sizeof result, "error %s (%s)", error_name (resp.payload[0]), message);
        }
      else
        snprintf (result, sizeof result, "ok");
    }
  wipe (echo, sizeof echo);
  fprintf (stderr, PROG ": %s: %s\n", what, result);

  if ((sim.drop_frame != 0 && sim.responses == sim.drop_frame) ||
      (status == SCP_FRAME_OK && req.type == sim.drop_type && !sim.drop_done))
    {
      if (sim.drop_type >= 0)
        sim.drop_done = 1;
      fprintf (stderr, PROG ": response %lu dropped (--drop-frame)\n", sim.responses);
      return END_NONE;
    }
  if (((sim.corrupt_frame != 0 && sim.responses == sim.corrupt_frame) ||
       (status == SCP_FRAME_OK && req.type == sim.corrupt_type && !sim.corrupt_done)) &&
      n >= 2)
    {
      size_t at = (n - 1) / 2;
      uint8_t v = out[at] ^ 0x01;

      out[at] = v != 0 ? v : (uint8_t) (out[at] ^ 0x02);
      if (sim.corrupt_type >= 0)
        sim.corrupt_done = 1;
      fprintf (stderr, PROG ": response %lu corrupted at byte %zu (--corrupt-frame)\n",
               sim.responses, at);
    }
  return write_all (out_fd, out, n) == 0 ? END_NONE : END_ERROR;
}

static int
serve (int in_fd, int out_fd)
{
  static scp_receiver rx;
  uint8_t buf[512];
  int end = END_NONE;

  scp_receiver_init (&rx);
  while (end == END_NONE)
    {
      ssize_t n;
      int w = wait_readable (in_fd);

      if (w == 0)
        return END_STOP;
      if (w < 0)
        return END_ERROR;
      n = read (in_fd, buf, sizeof buf);
      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (n < 0)
        return END_ERROR;
      if (n == 0)
        return END_EOF;
      for (ssize_t i = 0; i < n && end == END_NONE; i++)
        if (scp_receiver_push (&rx, buf[i]))
          {
            end = handle_frame (rx.data, rx.len, out_fd);
            wipe (rx.data, rx.len);
            scp_receiver_init (&rx);
          }
      wipe (buf, sizeof buf);
    }
  wipe (&rx, sizeof rx);
  return end;
}

static int
serve_pty (void)
{
  struct termios tio;
  char name[256];
  int master, slave, end;

  master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt (master) != 0 || unlockpt (master) != 0 ||
      ptsname_r (master, name, sizeof name) != 0)
    {
      fprintf (stderr, PROG ": cannot create a pseudo-terminal: %s\n", strerror (errno));
      return EXIT_RUNTIME;
    }
  /* Holding the slave open ourselves keeps the master readable while the
   * console closes and reopens its end, and keeps the raw settings. */
  slave = open (name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0 || tcgetattr (slave, &tio) != 0)
    {
      fprintf (stderr, PROG ": cannot open %s: %s\n", name, strerror (errno));
      return EXIT_RUNTIME;
    }
  cfmakeraw (&tio);
  if (tcsetattr (slave, TCSANOW, &tio) != 0)
    {
      fprintf (stderr, PROG ": cannot make %s raw: %s\n", name, strerror (errno));
      return EXIT_RUNTIME;
    }

  printf ("%s\n", name);
  fflush (stdout);
  fprintf (stderr, PROG ": serving on %s\n", name);

  end = serve (master, master);
  close (slave);
  close (master);
  if (end == END_ERROR)
    {
      fprintf (stderr, PROG ": reading %s failed: %s\n", name, strerror (errno));
      return EXIT_RUNTIME;
    }
  return EXIT_SUCCESS;
}

static int
serve_tcp (void)
{
  struct sockaddr_in addr;
  socklen_t addr_len = sizeof addr;
  int s, one = 1;

  s = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  memset (&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons ((uint16_t) sim.tcp_port);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (s < 0 || setsockopt (s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind (s, (struct sockaddr *) &addr, sizeof addr) != 0 || listen (s, 4) != 0 ||
      getsockname (s, (struct sockaddr *) &addr, &addr_len) != 0)
    {
      fprintf (stderr, PROG ": cannot listen on 127.0.0.1:%u: %s\n", sim.tcp_port,
               strerror (errno));
      return EXIT_RUNTIME;
    }

  printf ("tcp:%u\n", (unsigned) ntohs (addr.sin_port));
  fflush (stdout);
  fprintf (stderr, PROG ": listening on 127.0.0.1:%u\n", (unsigned) ntohs (addr.sin_port));

  for (;;)
    {
      int w = wait_readable (s), c, end;

      if (w == 0)
        break;
      if (w < 0)
        {
          fprintf (stderr, PROG ": waiting for a connection failed: %s\n", strerror (errno));
          close (s);
          return EXIT_RUNTIME;
        }
      c = accept4 (s, NULL, NULL, SOCK_CLOEXEC);
      if (c < 0)
        {
          if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN)
            continue;
          fprintf (stderr, PROG ": accept failed: %s\n", strerror (errno));
          close (s);
          return EXIT_RUNTIME;
        }
      setsockopt (c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      fprintf (stderr, PROG ": connection opened\n");
      end = serve (c, c);
      close (c);
      fprintf (stderr, PROG ": connection closed\n");
      if (end == END_STOP)
        break;
    }
  close (s);
  return EXIT_SUCCESS;
}

static int
serve_stdio (void)
{
  int end = serve (STDIN_FILENO, STDOUT_FILENO);

  if (end == END_ERROR)
    {
      fprintf (stderr, PROG ": reading or writing failed: %s\n", strerror (errno));
      return EXIT_RUNTIME;
    }
  return EXIT_SUCCESS;
}

/* ---- options ----------------------------------------------------------- */

static void
usage (FILE *f)
{
  fprintf (f,
    "Usage: " PROG " --serial S --mac AA:BB:CC:DD:EE:FF --flash FILE\n"
    "         (--pty | --tcp PORT | --stdio) [OPTION...]\n"
    "\n"
    "A simulated unit that speaks the Setup Console provisioning protocol (SCP,\n"
    "docs/device-protocol.md) with the reference agent, a flash image in FILE and\n"
    "OpenSSL. Logs one line per request and result on stderr; never key, PIN or\n"
    "chain contents.\n"
    "\n"
    "Unit:\n"
    "  --serial S             the device serial (required; 1 to 64 printable ASCII)\n"
    "  --mac AA:BB:CC:DD:EE:FF  the MAC address (required)\n"
    "  --model M              the model name (default SCP-SIM)\n"
    "  --firmware F           the firmware version (default devsim-" PACKAGE_VERSION ")\n"
    "  --flash FILE           the flash image (required); created erased, mode 0600,\n"
    "                         with a fresh device-unique random value when missing\n"
    "\n"
    "Link (exactly one):\n"
    "  --pty                  create a pseudo-terminal; its path is the first line on\n"
    "                         stdout; the console may close and reopen it at will\n"
    "  --tcp PORT             listen on 127.0.0.1:PORT (0: any free port), print\n"
    "                         \"tcp:PORT\" as the first line on stdout, and serve one\n"
    "                         connection after another\n"
    "  --stdio                requests on stdin, responses on stdout\n"
    "\n"
    "Faults:\n"
    "  --no-keygen            no on-device key generation (KEYGEN: NOT_SUPPORTED)\n"
    "  --no-lock              no LOCK (LOCK: NOT_SUPPORTED)\n"
    "  --drop-frame N|CMD     do not send the N-th response (1-based, all responses\n"
    "                         count), or the response to the first CMD request\n"
    "  --corrupt-frame N|CMD  flip a byte in the N-th response, or in the response\n"
    "                         to the first CMD request\n"
    "  --disconnect-at CMD    when the first CMD request (HELLO, KEYGEN, PUT_KEY,\n"
    "                         PUT_CHAIN, PUT_PIN, COMMIT, READ_BACK, CHALLENGE, LOCK,\n"
    "                         READ_CHAIN) arrives, close the connection without an\n"
    "                         answer (--pty and --stdio: exit with status 0)\n"
    "  --slow-flash MS        sleep MS milliseconds before every flash write\n"
    "  --power-loss-in-commit during COMMIT, write half of the slot body and exit\n"
    "                         at once with status 70, as a power cut would\n"
    "  --csr-wrong-dsn        KEYGEN answers a CSR whose DSN differs from the one asked\n"
    "  --csr-wrong-curve      KEYGEN answers a CSR for a P-384 key\n"
    "\n"
    "  -h, --help             show this help\n"
    "\n"
    "Exit status: 0 on SIGTERM or SIGINT, at the end of --stdio input, or after\n"
    "--disconnect-at on --pty/--stdio; 1 on a runtime error; 2 on a usage error;\n"
    "70 after --power-loss-in-commit.\n");
}

static int
parse_count (const char *text, unsigned long max, unsigned long *out)
{
  char *end;
  unsigned long v;

  if (text[0] < '0' || text[0] > '9')
    return -1;
  errno = 0;
  v = strtoul (text, &end, 10);
  if (errno != 0 || *end != '\0' || v > max)
    return -1;
  *out = v;
  return 0;
}

static int
hex_digit (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static int
parse_mac (const char *text, uint8_t mac[6])
{
  if (strlen (text) != 17)
    return -1;
  for (int i = 0; i < 6; i++)
    {
      int hi = hex_digit (text[3 * i]), lo = hex_digit (text[3 * i + 1]);

      if (hi < 0 || lo < 0 || (i < 5 && text[3 * i + 2] != ':'))
        return -1;
      mac[i] = (uint8_t) (hi << 4 | lo);
    }
  return 0;
}

static int
parse_request (const char *text)
{
  for (size_t i = 0; i < sizeof request_names / sizeof request_names[0]; i++)
    if (strcasecmp (text, request_names[i].name) == 0)
      return request_names[i].type;
  return -1;
}

/* A response number from 1 (into *number) or a request name (into *type). */
static int
parse_response (const char *text, unsigned long *number, int *type)
{
  if (text[0] >= '0' && text[0] <= '9')
    return parse_count (text, ULONG_MAX, number) == 0 && *number != 0 ? 0 : -1;
  *type = parse_request (text);
  return *type >= 0 ? 0 : -1;
}

enum
{
  OPT_SERIAL = 256,
  OPT_MAC,
  OPT_MODEL,
  OPT_FIRMWARE,
  OPT_FLASH,
  OPT_PTY,
  OPT_TCP,
  OPT_STDIO,
  OPT_NO_KEYGEN,
  OPT_NO_LOCK,
  OPT_DROP_FRAME,
  OPT_CORRUPT_FRAME,
  OPT_DISCONNECT_AT,
  OPT_SLOW_FLASH,
  OPT_POWER_LOSS,
  OPT_CSR_WRONG_DSN,
  OPT_CSR_WRONG_CURVE,
};

static int bad_usage (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

static int
bad_usage (const char *fmt, ...)
{
  va_list ap;

  fprintf (stderr, PROG ": ");
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fprintf (stderr, "\nTry '" PROG " --help'.\n");
  return EXIT_USAGE;
}

int
main (int argc, char **argv)
{
  static const struct option options[] = {
    { "serial", required_argument, NULL, OPT_SERIAL },
    { "mac", required_argument, NULL, OPT_MAC },
    { "model", required_argument, NULL, OPT_MODEL },
    { "firmware", required_argument, NULL, OPT_FIRMWARE },
    { "flash", required_argument, NULL, OPT_FLASH },
    { "pty", no_argument, NULL, OPT_PTY },
    { "tcp", required_argument, NULL, OPT_TCP },
    { "stdio", no_argument, NULL, OPT_STDIO },
    { "no-keygen", no_argument, NULL, OPT_NO_KEYGEN },
    { "no-lock", no_argument, NULL, OPT_NO_LOCK },
    { "drop-frame", required_argument, NULL, OPT_DROP_FRAME },
    { "corrupt-frame", required_argument, NULL, OPT_CORRUPT_FRAME },
    { "disconnect-at", required_argument, NULL, OPT_DISCONNECT_AT },
    { "slow-flash", required_argument, NULL, OPT_SLOW_FLASH },
    { "power-loss-in-commit", no_argument, NULL, OPT_POWER_LOSS },
    { "csr-wrong-dsn", no_argument, NULL, OPT_CSR_WRONG_DSN },
    { "csr-wrong-curve", no_argument, NULL, OPT_CSR_WRONG_CURVE },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  scp_agent_config config = {
    .model = "SCP-SIM",
    .firmware = "devsim-" PACKAGE_VERSION,
    .caps = SCP_CAP_KEYGEN | SCP_CAP_KEY_AT_REST | SCP_CAP_LOCK,
  };
  const char *mac_text = NULL;
  struct sigaction sa;
  sigset_t block;
  unsigned long v;
  int opt, modes = 0, status;

  while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1)
    {
      switch (opt)
        {
        case OPT_SERIAL: config.serial = optarg; break;
        case OPT_MAC: mac_text = optarg; break;
        case OPT_MODEL: config.model = optarg; break;
        case OPT_FIRMWARE: config.firmware = optarg; break;
        case OPT_FLASH: sim.flash_path = optarg; break;
        case OPT_PTY: sim.mode = MODE_PTY; modes++; break;
        case OPT_STDIO: sim.mode = MODE_STDIO; modes++; break;
        case OPT_TCP:
          if (parse_count (optarg, 65535, &v) != 0)
            return bad_usage ("--tcp takes a port number (0 to 65535), not '%s'", optarg);
          sim.tcp_port = (unsigned) v;
          sim.mode = MODE_TCP;
          modes++;
          break;
        case OPT_NO_KEYGEN: config.caps &= ~(uint32_t) SCP_CAP_KEYGEN; break;
        case OPT_NO_LOCK: config.caps &= ~(uint32_t) SCP_CAP_LOCK; break;
        case OPT_DROP_FRAME:
          if (parse_response (optarg, &sim.drop_frame, &sim.drop_type) != 0)
            return bad_usage ("--drop-frame takes a response number from 1 or a request name "
                              "such as COMMIT, not '%s'", optarg);
          break;
        case OPT_CORRUPT_FRAME:
          if (parse_response (optarg, &sim.corrupt_frame, &sim.corrupt_type) != 0)
            return bad_usage ("--corrupt-frame takes a response number from 1 or a request name "
                              "such as COMMIT, not '%s'", optarg);
          break;
        case OPT_DISCONNECT_AT:
          sim.disconnect_type = parse_request (optarg);
          if (sim.disconnect_type < 0)
            return bad_usage ("--disconnect-at takes a request name such as COMMIT, not '%s'",
                              optarg);
          break;
        case OPT_SLOW_FLASH:
          if (parse_count (optarg, 600000, &v) != 0)
            return bad_usage ("--slow-flash takes milliseconds (0 to 600000), not '%s'", optarg);
          sim.slow_flash_ms = (unsigned) v;
          break;
        case OPT_POWER_LOSS: sim.power_loss_in_commit = 1; break;
        case OPT_CSR_WRONG_DSN: sim.csr_wrong_dsn = 1; break;
        case OPT_CSR_WRONG_CURVE: sim.csr_wrong_curve = 1; break;
        case 'h':
          usage (stdout);
          return EXIT_SUCCESS;
        default:
          fprintf (stderr, "Try '" PROG " --help'.\n");
          return EXIT_USAGE;
        }
    }
  if (optind < argc)
    return bad_usage ("unexpected argument '%s'", argv[optind]);
  if (config.serial == NULL || mac_text == NULL || sim.flash_path == NULL)
    return bad_usage ("%s", "--serial, --mac and --flash are required");
  if (modes != 1)
    return bad_usage ("%s", "give exactly one of --pty, --tcp PORT and --stdio");
  if (parse_mac (mac_text, config.mac) != 0)
    return bad_usage ("--mac takes AA:BB:CC:DD:EE:FF, not '%s'", mac_text);

  sim.file = scp_storage_file_open (sim.flash_path);
  if (sim.file == NULL)
    {
      fprintf (stderr, PROG ": cannot open the flash image %s: %s\n", sim.flash_path,
               errno == EWOULDBLOCK ? "another process is using it"
               : errno == EINVAL ? "not a flash image of the right size" : strerror (errno));
      return EXIT_RUNTIME;
    }
  sim.flash = *sim.file;
  sim.flash.ctx = NULL;
  sim.flash.read = flash_read;
  sim.flash.write = flash_write;
  sim.flash.sync = flash_sync;

  sim.openssl = scp_crypto_openssl ();
  sim.crypto = *sim.openssl;
  if (sim.csr_wrong_dsn || sim.csr_wrong_curve)
    sim.crypto.make_csr = faulty_make_csr;

  sim.agent = scp_agent_new (&config, &sim.flash, &sim.crypto);
  if (sim.agent == NULL)
    {
      fprintf (stderr, PROG ": cannot start the agent: check --serial, --model and --firmware "
               "(1 to 64 printable ASCII characters) and that %s is readable\n", sim.flash_path);
      scp_storage_file_close (sim.file);
      return EXIT_RUNTIME;
    }
  scp_agent_set_hook (sim.agent, request_hook, NULL);

  /* SIGTERM and SIGINT stay blocked except while waiting for input. */
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = stop_cb;
  sigemptyset (&sa.sa_mask);
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGINT, &sa, NULL);
  sa.sa_handler = SIG_IGN;
  sigaction (SIGPIPE, &sa, NULL);
  sigemptyset (&block);
  sigaddset (&block, SIGTERM);
  sigaddset (&block, SIGINT);
  sigprocmask (SIG_BLOCK, &block, &sim.wait_mask);
  sigdelset (&sim.wait_mask, SIGTERM);
  sigdelset (&sim.wait_mask, SIGINT);

  fprintf (stderr, PROG ": unit %s, flash %s, caps 0x%X\n", config.serial, sim.flash_path,
           (unsigned) config.caps);

  switch (sim.mode)
    {
    case MODE_PTY: status = serve_pty (); break;
    case MODE_TCP: status = serve_tcp (); break;
    default: status = serve_stdio (); break;
    }

  if (stop_requested)
    fprintf (stderr, PROG ": stopping on a signal\n");
  scp_agent_free (sim.agent);
  scp_storage_file_close (sim.file);
  return status;
}
