/* vyk-pcsc.c: waits for readers and cards in pcscd, and sends raw APDUs
 *
 * usage: vyk-pcsc [--timeout MS] [--while-alive PID] COMMAND ARGS…
 *
 *   list                    print each reader, a tab, and "card" or "empty"
 *   wait-readers TEXT N     until at least N readers have TEXT in their name
 *   wait-card TEXT          until a reader with TEXT in its name holds a card
 *   wait-empty TEXT         until no reader with TEXT in its name holds a card
 *   apdu TEXT               connect to the card in the first reader with TEXT
 *                           in its name, send the APDUs read from stdin (hex,
 *                           one per line; spaces and #-comments ignored) in
 *                           one transaction, print each response in hex
 *   session TEXT            like apdu, but a session held open between the
 *                           APDUs, as a program using the card holds one:
 *                           each APDU in its own transaction, its response
 *                           printed (and flushed) as soon as it comes, a
 *                           failure as a line "error: …"; the card is left
 *                           as it is at the end (no reset)
 *   session-exclusive TEXT  the same, holding the card exclusively (as gpg's
 *                           scdaemon does): nobody else may connect to it
 *
 * The waits poll every 20 ms until --timeout (default 10000 ms), then fail
 * with a message that lists what pcscd has; --while-alive PID gives up as
 * soon as that process (pcscd) is gone. A pcscd that is not up yet counts
 * as no readers. APDUs come from stdin rather than the command line because
 * a VERIFY carries the PIN. pcsc_scan is not part of Debian's pcscd; this is
 * the harness's own small client, on libpcsclite like libykpiv.
 *
 * Exit status: 0 done, 1 timed out or failed, 2 usage.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <winscard.h>

#define PROG "vyk-pcsc"

static long   timeout_ms = 10000;
static pid_t  watched_pid;

typedef struct
{
  SCARDCONTEXT ctx;
  gboolean     have_ctx;
  char        *readers;     /* multi-string */
  char        *why;         /* the last reason there was nothing to see */
} Pcsc;

static gint64
now_ms (void)
{
  return g_get_monotonic_time () / 1000;
}

static void
pcsc_drop (Pcsc *p)
{
  if (p->have_ctx)
    SCardReleaseContext (p->ctx);
  p->have_ctx = FALSE;
  g_clear_pointer (&p->readers, g_free);
}

static void
set_why (Pcsc       *p,
         const char *what,
         LONG        rc)
{
  g_free (p->why);
  p->why = g_strdup_printf ("%s: %s (0x%08lX)", what, pcsc_stringify_error (rc), (unsigned long) rc);
}

/* Refreshes the reader list. FALSE when pcscd cannot be asked (not up yet,
 * or restarted); an empty list is TRUE. */
static gboolean
pcsc_refresh (Pcsc *p)
{
  DWORD len = 0;
  LONG  rc;

  g_clear_pointer (&p->readers, g_free);
  if (!p->have_ctx)
    {
      rc = SCardEstablishContext (SCARD_SCOPE_SYSTEM, NULL, NULL, &p->ctx);
      if (rc != SCARD_S_SUCCESS)
        {
          set_why (p, "pcscd is not reachable", rc);
          return FALSE;
        }
      p->have_ctx = TRUE;
    }
  rc = SCardListReaders (p->ctx, NULL, NULL, &len);
  if (rc == SCARD_E_NO_READERS_AVAILABLE)
    {
      p->readers = g_malloc0 (2);
      return TRUE;
    }
  if (rc == SCARD_S_SUCCESS)
    {
      p->readers = g_malloc0 (len + 1);
      rc = SCardListReaders (p->ctx, NULL, p->readers, &len);
    }
  if (rc != SCARD_S_SUCCESS)
    {
      set_why (p, "cannot list the readers", rc);
      pcsc_drop (p);
      return FALSE;
    }
  return TRUE;
}

/* Whether the named reader holds a card (powered or not). */
static gboolean
reader_has_card (Pcsc       *p,
                 const char *reader)
{
  SCARD_READERSTATE state = { .szReader = reader, .dwCurrentState = SCARD_STATE_UNAWARE };
  LONG              rc = SCardGetStatusChange (p->ctx, 0, &state, 1);

  if (rc != SCARD_S_SUCCESS)
    return FALSE;
  return (state.dwEventState & SCARD_STATE_PRESENT) && !(state.dwEventState & SCARD_STATE_MUTE);
}

static gboolean
watched_gone (void)
{
  return watched_pid > 0 && kill (watched_pid, 0) != 0 && errno == ESRCH;
}

static void
describe (Pcsc *p,
          FILE *out)
{
  if (p->readers == NULL || p->readers[0] == '\0')
    {
      fprintf (out, "  (no readers%s%s)\n", p->why ? "; " : "", p->why ? p->why : "");
      return;
    }
  for (const char *r = p->readers; *r; r += strlen (r) + 1)
    fprintf (out, "  %s\t%s\n", r, reader_has_card (p, r) ? "card" : "empty");
}

typedef enum
{
  WAIT_READERS,
  WAIT_CARD,
  WAIT_EMPTY,
} Wait;

static gboolean
condition_met (Pcsc       *p,
               Wait        wait,
               const char *text,
               guint       count)
{
  guint    matching = 0;
  gboolean any_card = FALSE;

  if (!pcsc_refresh (p))
    return FALSE;
  for (const char *r = p->readers; *r; r += strlen (r) + 1)
    if (strstr (r, text) != NULL)
      {
        matching++;
        if (wait != WAIT_READERS && reader_has_card (p, r))
          any_card = TRUE;
      }
  switch (wait)
    {
    case WAIT_READERS: return matching >= count;
    case WAIT_CARD:    return any_card;
    case WAIT_EMPTY:   return !any_card;
    default:           g_assert_not_reached ();
    }
}

static int
do_wait (Wait        wait,
         const char *text,
         guint       count)
{
  Pcsc   p = { 0 };
  gint64 deadline = now_ms () + timeout_ms;
  int    status = 1;

  for (;;)
    {
      if (condition_met (&p, wait, text, count))
        {
          status = 0;
          break;
        }
      if (watched_gone ())
        {
          fprintf (stderr, PROG ": process %d (pcscd) is gone, so no %s will come.\n", (int) watched_pid,
                   wait == WAIT_READERS ? "reader" : "card");
          break;
        }
      if (now_ms () >= deadline)
        {
          if (wait == WAIT_READERS)
            fprintf (stderr, PROG ": fewer than %u readers named like '%s' after %ld ms. pcscd has:\n",
                     count, text, timeout_ms);
          else if (wait == WAIT_CARD)
            fprintf (stderr, PROG ": no card in a reader named like '%s' after %ld ms. pcscd has:\n",
                     text, timeout_ms);
          else
            fprintf (stderr, PROG ": still a card in a reader named like '%s' after %ld ms. pcscd has:\n",
                     text, timeout_ms);
          describe (&p, stderr);
          break;
        }
      g_usleep (20 * 1000);
    }
  pcsc_drop (&p);
  g_free (p.why);
  return status;
}

static int
do_list (void)
{
  Pcsc p = { 0 };
  int  status = 0;

  if (!pcsc_refresh (&p))
    {
      fprintf (stderr, PROG ": %s. Is pcscd running, with PCSCLITE_CSOCK_NAME naming its socket?\n", p.why);
      status = 1;
    }
  else
    for (const char *r = p.readers; *r; r += strlen (r) + 1)
      printf ("%s\t%s\n", r, reader_has_card (&p, r) ? "card" : "empty");
  pcsc_drop (&p);
  g_free (p.why);
  return status;
}

static GByteArray *
parse_hex_line (const char *line,
                gboolean   *ok)
{
  GByteArray *bytes = g_byte_array_new ();
  int         hi = -1;

  *ok = TRUE;
  for (const char *c = line; *c && *c != '#'; c++)
    {
      int v = g_ascii_xdigit_value (*c);

      if (g_ascii_isspace (*c) || *c == ':')
        continue;
      if (v < 0)
        {
          *ok = FALSE;
          break;
        }
      if (hi < 0)
        hi = v;
      else
        {
          guint8 b = hi << 4 | v;
          g_byte_array_append (bytes, &b, 1);
          hi = -1;
        }
    }
  if (hi >= 0)
    *ok = FALSE;
  return bytes;
}

/* Reads APDUs from stdin until its end, sending each in one transaction
 * (session) or all in one (not session). Returns the exit status. */
static int
send_apdus (SCARDHANDLE card,
            gboolean    session)
{
  char line[8192];
  int  status = 0;
  LONG rc;

  while (fgets (line, sizeof line, stdin) != NULL)
    {
      gboolean    ok;
      GByteArray *apdu = parse_hex_line (line, &ok);
      guint8      resp[65538];
      DWORD       resp_len = sizeof resp;

      if (!ok)
        {
          fprintf (stderr, PROG ": not an APDU in hex: %s", line);
          g_byte_array_free (apdu, TRUE);
          status = 2;
          break;
        }
      if (apdu->len == 0)
        {
          g_byte_array_free (apdu, TRUE);
          continue;
        }
      rc = session ? SCardBeginTransaction (card) : SCARD_S_SUCCESS;
      if (rc == SCARD_S_SUCCESS)
        rc = SCardTransmit (card, SCARD_PCI_T1, apdu->data, apdu->len, NULL, resp, &resp_len);
      if (session)
        SCardEndTransaction (card, SCARD_LEAVE_CARD);
      memset (apdu->data, 0, apdu->len);
      g_byte_array_free (apdu, TRUE);
      if (rc != SCARD_S_SUCCESS && session)
        {
          printf ("error: %s\n", pcsc_stringify_error (rc));
          status = 1;
          continue;
        }
      if (rc != SCARD_S_SUCCESS)
        {
          fprintf (stderr, PROG ": SCardTransmit failed: %s.\n", pcsc_stringify_error (rc));
          status = 1;
          break;
        }
      for (DWORD i = 0; i < resp_len; i++)
        printf ("%02X", resp[i]);
      printf ("\n");
    }
  memset (line, 0, sizeof line);
  return status;
}

static int
do_apdu (const char *text,
         gboolean    session,
         DWORD       share)
{
  Pcsc         p = { 0 };
  SCARDHANDLE  card;
  DWORD        protocol;
  const char  *reader = NULL;
  int          status;
  LONG         rc;

  if (!pcsc_refresh (&p))
    {
      fprintf (stderr, PROG ": %s.\n", p.why);
      return 1;
    }
  for (const char *r = p.readers; *r && reader == NULL; r += strlen (r) + 1)
    if (strstr (r, text) != NULL)
      reader = r;
  if (reader == NULL)
    {
      fprintf (stderr, PROG ": no reader named like '%s'. pcscd has:\n", text);
      describe (&p, stderr);
      pcsc_drop (&p);
      return 1;
    }
  rc = SCardConnect (p.ctx, reader, share, SCARD_PROTOCOL_T1, &card, &protocol);
  if (rc == SCARD_S_SUCCESS && !session)
    rc = SCardBeginTransaction (card);
  if (rc != SCARD_S_SUCCESS)
    {
      fprintf (stderr, PROG ": cannot connect to the card in '%s': %s.\n", reader, pcsc_stringify_error (rc));
      pcsc_drop (&p);
      return 1;
    }

  status = send_apdus (card, session);
  if (session)
    SCardDisconnect (card, SCARD_LEAVE_CARD);
  else
    {
      SCardEndTransaction (card, SCARD_LEAVE_CARD);
      SCardDisconnect (card, SCARD_RESET_CARD);
    }
  pcsc_drop (&p);
  return status;
}

static int
usage (void)
{
  fprintf (stderr,
           "usage: " PROG " [--timeout MS] [--while-alive PID] COMMAND ARGS...\n"
           "  list                 readers, each with \"card\" or \"empty\"\n"
           "  wait-readers TEXT N  wait for N readers with TEXT in their name\n"
           "  wait-card TEXT       wait for a card in a reader with TEXT in its name\n"
           "  wait-empty TEXT      wait until no such reader holds a card\n"
           "  apdu TEXT            send the hex APDUs on stdin, print the responses\n"
           "  session TEXT         the same in a session held open, one transaction per APDU\n"
           "  session-exclusive TEXT  the same, holding the card exclusively\n");
  return 2;
}

int
main (int   argc,
      char *argv[])
{
  int i = 1;

  setvbuf (stdout, NULL, _IOLBF, 0);
  while (i + 1 < argc && g_str_has_prefix (argv[i], "--"))
    {
      guint64 v;

      if (strcmp (argv[i], "--timeout") == 0 && g_ascii_string_to_unsigned (argv[i + 1], 10, 0, G_MAXINT, &v, NULL))
        timeout_ms = v;
      else if (strcmp (argv[i], "--while-alive") == 0
               && g_ascii_string_to_unsigned (argv[i + 1], 10, 1, G_MAXINT, &v, NULL))
        watched_pid = v;
      else
        return usage ();
      i += 2;
    }
  if (i >= argc)
    return usage ();

  if (strcmp (argv[i], "list") == 0 && argc == i + 1)
    return do_list ();
  if (strcmp (argv[i], "wait-readers") == 0 && argc == i + 3)
    {
      guint64 n;
      if (!g_ascii_string_to_unsigned (argv[i + 2], 10, 1, 16, &n, NULL))
        return usage ();
      return do_wait (WAIT_READERS, argv[i + 1], n);
    }
  if (strcmp (argv[i], "wait-card") == 0 && argc == i + 2)
    return do_wait (WAIT_CARD, argv[i + 1], 0);
  if (strcmp (argv[i], "wait-empty") == 0 && argc == i + 2)
    return do_wait (WAIT_EMPTY, argv[i + 1], 0);
  if (strcmp (argv[i], "apdu") == 0 && argc == i + 2)
    return do_apdu (argv[i + 1], FALSE, SCARD_SHARE_SHARED);
  if (strcmp (argv[i], "session") == 0 && argc == i + 2)
    return do_apdu (argv[i + 1], TRUE, SCARD_SHARE_SHARED);
  if (strcmp (argv[i], "session-exclusive") == 0 && argc == i + 2)
    return do_apdu (argv[i + 1], TRUE, SCARD_SHARE_EXCLUSIVE);
  return usage ();
}
