/* scp-storage-file.c: a flash image in a file, for hosts and the simulator
 *
 * The image is SCP_FLASH_SIZE bytes, created erased (0xFF) with a fresh
 * random device-unique value at SCP_OTP_OFFSET, mode 0600. It is created
 * under a temporary name and linked into place, so a half-written image is
 * never seen; an exclusive flock() keeps a second process off it.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "scp-agent.h"

typedef struct
{
  scp_storage base;   /* first: the public pointer is this */
  int         fd;
} file_storage;

static int
in_bounds (uint32_t offset, size_t len)
{
  return (uint64_t) offset + len <= SCP_FLASH_SIZE;
}

static int
file_read (void *ctx, uint32_t offset, uint8_t *buf, size_t len)
{
  file_storage *self = ctx;

  if (!in_bounds (offset, len))
    return -1;
  while (len > 0)
    {
      ssize_t n = pread (self->fd, buf, len, (off_t) offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return -1;
      buf += n;
      offset += (uint32_t) n;
      len -= (size_t) n;
    }
  return 0;
}

static int
file_write (void *ctx, uint32_t offset, const uint8_t *buf, size_t len)
{
  file_storage *self = ctx;

  if (!in_bounds (offset, len))
    return -1;
  while (len > 0)
    {
      ssize_t n = pwrite (self->fd, buf, len, (off_t) offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return -1;
      buf += n;
      offset += (uint32_t) n;
      len -= (size_t) n;
    }
  return 0;
}

static int
file_sync (void *ctx)
{
  file_storage *self = ctx;

  return fsync (self->fd) == 0 ? 0 : -1;
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

/* Creates an erased image with a fresh device-unique value at @path, unless
 * someone else created one first. Returns 0 or -1 with errno set. */
static int
create_image (const char *path)
{
  uint8_t erased[4096], otp[SCP_OTP_SIZE];
  size_t tmp_len = strlen (path) + sizeof ".XXXXXX";
  char *tmp = malloc (tmp_len);
  int fd, saved, ok = 0;

  if (tmp == NULL)
    return -1;
  snprintf (tmp, tmp_len, "%s.XXXXXX", path);
  fd = mkostemp (tmp, O_CLOEXEC);
  if (fd < 0)
    {
      saved = errno;
      free (tmp);
      errno = saved;
      return -1;
    }

  memset (erased, 0xFF, sizeof erased);
  if (fchmod (fd, 0600) == 0 && RAND_priv_bytes (otp, sizeof otp) == 1)
    {
      ok = 1;
      for (size_t off = 0; ok && off < SCP_FLASH_SIZE; off += sizeof erased)
        {
          size_t n = SCP_FLASH_SIZE - off < sizeof erased ? SCP_FLASH_SIZE - off : sizeof erased;

          ok = write_all (fd, erased, n) == 0;
        }
      ok = ok && pwrite (fd, otp, sizeof otp, SCP_OTP_OFFSET) == (ssize_t) sizeof otp;
      ok = ok && fsync (fd) == 0;
    }
  OPENSSL_cleanse (otp, sizeof otp);
  saved = ok ? 0 : (errno != 0 ? errno : EIO);
  close (fd);

  /* EEXIST: another process made it first; use theirs. Other failures: no
   * hard links on this file system, so rename. */
  if (ok && link (tmp, path) != 0 && errno != EEXIST && rename (tmp, path) != 0)
    {
      ok = 0;
      saved = errno;
    }
  unlink (tmp);
  free (tmp);
  errno = saved;
  return ok ? 0 : -1;
}

scp_storage *
scp_storage_file_open (const char *path)
{
  file_storage *self;
  struct stat st;
  int fd, saved;

  if (path == NULL || *path == '\0')
    {
      errno = EINVAL;
      return NULL;
    }

  fd = open (path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno == ENOENT)
    {
      if (create_image (path) != 0)
        return NULL;
      fd = open (path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    }
  if (fd < 0)
    return NULL;

  if (fstat (fd, &st) != 0)
    goto fail;
  if (!S_ISREG (st.st_mode) || st.st_size != SCP_FLASH_SIZE)
    {
      errno = EINVAL;
      goto fail;
    }
  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    goto fail;

  self = calloc (1, sizeof *self);
  if (self == NULL)
    goto fail;
  self->fd = fd;
  self->base.ctx = self;
  self->base.size = SCP_FLASH_SIZE;
  self->base.read = file_read;
  self->base.write = file_write;
  self->base.sync = file_sync;
  return &self->base;

fail:
  saved = errno;
  close (fd);
  errno = saved;
  return NULL;
}

void
scp_storage_file_close (scp_storage *storage)
{
  file_storage *self = (file_storage *) storage;

  if (self == NULL)
    return;
  close (self->fd);
  free (self);
}
