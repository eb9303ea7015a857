/* sc-file-set.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "sc-file-set.h"

struct _ScFileSet
{
  char      *dir;
  char      *staging;
  GPtrArray *names;
  gboolean   whole_dir;  /* @dir did not exist: publish the staging folder as it */
  gboolean   committed;
};

static gboolean
set_errno_error (GError     **error,
                 int          saved_errno,
                 const char  *what,
                 const char  *path)
{
  g_autofree char *display = g_filename_display_name (path);

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "%s “%s”: %s", what, display, g_strerror (saved_errno));
  return FALSE;
}

static void
fsync_dir (const char *path)
{
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd >= 0)
    {
      fsync (fd);
      close (fd);
    }
}

ScFileSet *
sc_file_set_new (const char  *dir,
                 GError     **error)
{
  g_autofree char *canonical = NULL;
  g_autofree char *parent = NULL;
  g_autofree char *base = NULL;
  g_autofree char *tmpl = NULL;
  gboolean whole_dir;
  ScFileSet *self;

  g_return_val_if_fail (dir != NULL, NULL);

  canonical = g_canonicalize_filename (dir, NULL);
  parent = g_path_get_dirname (canonical);
  base = g_path_get_basename (canonical);

  /* A new folder is staged beside it and renamed into place in one step, so
   * even a crash leaves all of the set or none of it. Into an existing
   * folder, files are moved one by one, and undone on error. */
  whole_dir = !g_file_test (canonical, G_FILE_TEST_EXISTS);
  if (g_mkdir_with_parents (whole_dir ? parent : canonical, 0755) != 0)
    {
      set_errno_error (error, errno, _("Cannot create the folder"), whole_dir ? parent : canonical);
      return NULL;
    }

  if (whole_dir)
    {
      g_autofree char *name = g_strdup_printf (".%s.staging-XXXXXX", base);
      tmpl = g_build_filename (parent, name, NULL);
    }
  else
    tmpl = g_build_filename (canonical, ".staging-XXXXXX", NULL);
  if (g_mkdtemp_full (tmpl, 0700) == NULL)
    {
      set_errno_error (error, errno, _("Cannot create a staging folder for"), canonical);
      return NULL;
    }

  self = g_new0 (ScFileSet, 1);
  self->whole_dir = whole_dir;
  self->dir = g_steal_pointer (&canonical);
  self->staging = g_steal_pointer (&tmpl);
  self->names = g_ptr_array_new_with_free_func (g_free);
  return self;
}

gboolean
sc_file_set_add (ScFileSet   *self,
                 const char  *name,
                 const void  *data,
                 gsize        len,
                 int          mode,
                 GError     **error)
{
  g_autofree char *path = NULL;
  const guint8 *p = data;
  int fd;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (!self->committed, FALSE);
  g_return_val_if_fail (name != NULL && strchr (name, '/') == NULL, FALSE);

  path = g_build_filename (self->staging, name, NULL);
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0)
    return set_errno_error (error, errno, _("Cannot create"), path);
  /* The umask may have cleared bits; a private file must be exactly @mode. */
  if (fchmod (fd, mode) != 0)
    {
      int saved_errno = errno;
      close (fd);
      return set_errno_error (error, saved_errno, _("Cannot set the mode of"), path);
    }

  g_ptr_array_add (self->names, g_strdup (name));

  while (len > 0)
    {
      gssize n = write (fd, p, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;
          close (fd);
          return set_errno_error (error, saved_errno, _("Cannot write"), path);
        }
      p += n;
      len -= n;
    }

  if (fsync (fd) != 0)
    {
      int saved_errno = errno;
      close (fd);
      return set_errno_error (error, saved_errno, _("Cannot write"), path);
    }
  if (close (fd) != 0)
    return set_errno_error (error, errno, _("Cannot write"), path);

  return TRUE;
}

static int
move_no_replace (const char *from,
                 const char *to)
{
  if (renameat2 (AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
    return 0;
  if (errno != EINVAL && errno != ENOSYS)
    return -1;
  /* File systems without RENAME_NOREPLACE: link() refuses to overwrite too. */
  if (link (from, to) != 0)
    return -1;
  return unlink (from);
}

gboolean
sc_file_set_commit (ScFileSet  *self,
                    GError    **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (!self->committed, FALSE);

  if (self->whole_dir)
    {
      g_autofree char *parent = g_path_get_dirname (self->dir);

      fsync_dir (self->staging);
      if (renameat2 (AT_FDCWD, self->staging, AT_FDCWD, self->dir, RENAME_NOREPLACE) != 0)
        {
          int saved_errno = errno;

          if (saved_errno == EEXIST || saved_errno == ENOTEMPTY)
            {
              g_autofree char *display = g_filename_display_name (self->dir);
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                           _("“%s” already exists; nothing was written"), display);
              return FALSE;
            }
          return set_errno_error (error, saved_errno, _("Cannot create"), self->dir);
        }
      self->committed = TRUE;
      fsync_dir (parent);
      return TRUE;
    }

  for (guint i = 0; i < self->names->len; i++)
    {
      const char *name = g_ptr_array_index (self->names, i);
      g_autofree char *from = g_build_filename (self->staging, name, NULL);
      g_autofree char *to = g_build_filename (self->dir, name, NULL);

      if (move_no_replace (from, to) != 0)
        {
          int saved_errno = errno;

          /* Undo: put back what was already moved, so nothing is half-published. */
          for (guint j = 0; j < i; j++)
            {
              const char *done = g_ptr_array_index (self->names, j);
              g_autofree char *back_from = g_build_filename (self->dir, done, NULL);
              g_autofree char *back_to = g_build_filename (self->staging, done, NULL);

              if (rename (back_from, back_to) != 0)
                g_unlink (back_from);
            }
          fsync_dir (self->dir);
          if (saved_errno == EEXIST)
            {
              g_autofree char *display = g_filename_display_name (to);
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                           _("“%s” already exists; nothing was written"), display);
              return FALSE;
            }
          return set_errno_error (error, saved_errno, _("Cannot create"), to);
        }
    }

  self->committed = TRUE;
  fsync_dir (self->dir);
  return TRUE;
}

void
sc_file_set_free (ScFileSet *self)
{
  if (self == NULL)
    return;

  if (!self->committed)
    for (guint i = 0; i < self->names->len; i++)
      {
        g_autofree char *path = g_build_filename (self->staging, g_ptr_array_index (self->names, i), NULL);
        g_unlink (path);
      }
  g_rmdir (self->staging);

  g_ptr_array_unref (self->names);
  g_free (self->staging);
  g_free (self->dir);
  g_free (self);
}
