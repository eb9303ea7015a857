/* sc-cli-secret.c: secrets the command line reads (DAK PINs, passcodes,
 * badge codes): from a private file, or typed on the terminal without echo
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "sc-cli.h"

/* The longest secret any caller takes, and its line ending. */
#define MAX_SECRET 256

/**
 * cli_read_secret_file:
 * @max_len: the longest secret the caller takes
 * @problem: (out): why nothing was read
 * @saved_errno: (out): the system's reason, for CLI_SECRET_CANNOT_OPEN
 *
 * Reads a secret of at most @max_len bytes, and at most one line ending,
 * from a regular file owned by this user and readable by nobody else. The
 * checks are made on the open file, so nothing can swap it between the
 * check and the read; a symbolic link is refused outright. The buffer is
 * wiped.
 *
 * Returns: (transfer full) (nullable): the secret, or %NULL with @problem.
 */
ScSecret *
cli_read_secret_file (const char       *path,
                      gsize             max_len,
                      CliSecretProblem *problem,
                      int              *saved_errno)
{
  char buf[MAX_SECRET + 3];
  struct stat st;
  gssize n = 0;
  gsize len = 0;
  gsize cap;
  int fd;
  ScSecret *secret;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (max_len > 0 && max_len <= MAX_SECRET, NULL);

  *problem = CLI_SECRET_OK;
  *saved_errno = 0;
  /* Room for the secret, a line ending (\r\n) and one byte more: a file
   * that fills it holds more than a secret. */
  cap = max_len + 3;

  /* O_NONBLOCK: opening a FIFO must not wait for a writer before the
   * checks below can refuse it. */
  fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    {
      *saved_errno = errno;
      *problem = errno == ELOOP ? CLI_SECRET_SYMLINK : CLI_SECRET_CANNOT_OPEN;
      return NULL;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode) || fcntl (fd, F_SETFL, 0) != 0)
    {
      close (fd);
      *problem = CLI_SECRET_NOT_REGULAR;
      return NULL;
    }
  if (st.st_uid != geteuid () || (st.st_mode & 077) != 0)
    {
      close (fd);
      *problem = CLI_SECRET_NOT_PRIVATE;
      return NULL;
    }

  for (;;)
    {
      n = read (fd, buf + len, cap - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      len += n;
      if (len == cap)
        break;
    }
  close (fd);

  if (n < 0)
    {
      sc_memwipe (buf, sizeof buf);
      *problem = CLI_SECRET_CANNOT_READ;
      return NULL;
    }
  if (len > 0 && buf[len - 1] == '\n')
    len--;
  if (len > 0 && buf[len - 1] == '\r')
    len--;
  if (len > max_len || memchr (buf, '\n', len) != NULL)
    {
      sc_memwipe (buf, sizeof buf);
      *problem = CLI_SECRET_TOO_LONG;
      return NULL;
    }
  secret = sc_secret_new (buf, len);
  sc_memwipe (buf, sizeof buf);
  return secret;
}

static volatile sig_atomic_t prompt_tty = -1;
static struct termios prompt_saved;

static void
restore_and_die (int sig)
{
  if (prompt_tty >= 0)
    tcsetattr (prompt_tty, TCSAFLUSH, &prompt_saved);
  signal (sig, SIG_DFL);
  raise (sig);
}

/**
 * cli_prompt_secret:
 * @problem: (out): why nothing was read
 *
 * Asks on the terminal, without echo. Never from a pipe: a secret typed
 * into a script's standard input ends up in shell histories and logs.
 *
 * Returns: (transfer full) (nullable): the line typed, or %NULL with
 *   @problem (CLI_SECRET_NO_TERMINAL, CLI_SECRET_NO_ECHO or
 *   CLI_SECRET_TOO_LONG).
 */
ScSecret *
cli_prompt_secret (const char       *prompt,
                   gsize             max_len,
                   CliSecretProblem *problem)
{
  struct termios saved, quiet;
  char buf[MAX_SECRET + 1];
  gsize len = 0;
  gboolean ok = TRUE;
  FILE *tty;
  int c;
  ScSecret *secret;

  g_return_val_if_fail (prompt != NULL, NULL);
  g_return_val_if_fail (max_len > 0 && max_len <= MAX_SECRET, NULL);

  *problem = CLI_SECRET_OK;
  tty = fopen ("/dev/tty", "r+e");
  if (tty == NULL)
    {
      *problem = CLI_SECRET_NO_TERMINAL;
      return NULL;
    }
  setvbuf (tty, NULL, _IONBF, 0);
  if (tcgetattr (fileno (tty), &saved) != 0)
    {
      fclose (tty);
      *problem = CLI_SECRET_NO_ECHO;
      return NULL;
    }
  quiet = saved;
  quiet.c_lflag &= ~(ECHO | ECHONL);
  /* Never ask with echo on: if it cannot be turned off, or did not stay
   * off, nothing is typed. */
  if (tcsetattr (fileno (tty), TCSAFLUSH, &quiet) != 0 ||
      tcgetattr (fileno (tty), &quiet) != 0 || (quiet.c_lflag & ECHO) != 0)
    {
      tcsetattr (fileno (tty), TCSAFLUSH, &saved);
      fclose (tty);
      *problem = CLI_SECRET_NO_ECHO;
      return NULL;
    }
  /* Ctrl-C while asking puts the terminal back before the process ends. */
  prompt_tty = fileno (tty);
  prompt_saved = saved;
  signal (SIGINT, restore_and_die);
  signal (SIGTERM, restore_and_die);
  signal (SIGHUP, restore_and_die);
  fputs (prompt, tty);

  while ((c = fgetc (tty)) != EOF && c != '\n')
    {
      if (len < max_len)
        buf[len++] = (char) c;
      else
        ok = FALSE;
    }
  tcsetattr (fileno (tty), TCSAFLUSH, &saved);
  signal (SIGINT, SIG_DFL);
  signal (SIGTERM, SIG_DFL);
  signal (SIGHUP, SIG_DFL);
  prompt_tty = -1;
  fputc ('\n', tty);
  fclose (tty);

  if (len > 0 && buf[len - 1] == '\r')
    len--;
  if (!ok)
    {
      sc_memwipe (buf, sizeof buf);
      *problem = CLI_SECRET_TOO_LONG;
      return NULL;
    }
  secret = sc_secret_new (buf, len);
  sc_memwipe (buf, sizeof buf);
  return secret;
}
