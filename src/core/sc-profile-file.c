/* sc-profile-file.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cairo.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <librsvg/rsvg.h>

#include "sc-profile-file.h"

#define KEY_FILE_FLAGS (G_KEY_FILE_KEEP_COMMENTS | G_KEY_FILE_KEEP_TRANSLATIONS)
/* The largest icon drawn: a label's icon is a few hundred dots wide. */
#define ICON_MAX_SIDE 4096

struct _ScProfileFile
{
  GObject     parent_instance;

  char       *path;       /* absolute, as opened */
  char       *base_dir;   /* its folder: relative names start here */
  GKeyFile   *kf;
  GBytes     *on_disk;    /* the bytes last read or written */
  ScProfile  *profile;    /* NULL while the file has problems */
  GError     *problems;
  GPtrArray  *problem_list;
};

G_DEFINE_FINAL_TYPE (ScProfileFile, sc_profile_file, G_TYPE_OBJECT)

G_DEFINE_QUARK (sc-profile-file-error-quark, sc_profile_file_error)

void
sc_profile_problem_free (ScProfileProblem *problem)
{
  if (problem == NULL)
    return;
  g_free (problem->group);
  g_free (problem->key);
  g_free (problem->message);
  g_free (problem);
}

/* ScProfile lists each problem on a line of its own: "  [group] key: message". */
GPtrArray *
sc_profile_problems_from_error (const GError *error)
{
  GPtrArray *problems = g_ptr_array_new_with_free_func ((GDestroyNotify) sc_profile_problem_free);
  g_auto(GStrv) lines = NULL;

  if (!g_error_matches (error, SC_PROFILE_ERROR, SC_PROFILE_ERROR_INVALID))
    return problems;

  lines = g_strsplit (error->message, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      const char *group_end, *key_end;
      ScProfileProblem *problem;

      if (!g_str_has_prefix (line, "  ["))
        continue;
      line += 3;
      if ((group_end = strstr (line, "] ")) == NULL ||
          (key_end = strstr (group_end + 2, ": ")) == NULL)
        continue;
      problem = g_new0 (ScProfileProblem, 1);
      problem->group = g_strndup (line, group_end - line);
      problem->key = g_strndup (group_end + 2, key_end - (group_end + 2));
      problem->message = g_strdup (key_end + 2);
      g_ptr_array_add (problems, problem);
    }
  return problems;
}

static gboolean
problem_in (const ScProfileProblem *problem,
            GPtrArray              *list)
{
  for (guint i = 0; list != NULL && i < list->len; i++)
    {
      const ScProfileProblem *p = g_ptr_array_index (list, i);

      if (g_str_equal (p->group, problem->group) && g_str_equal (p->key, problem->key) &&
          g_str_equal (p->message, problem->message))
        return TRUE;
    }
  return FALSE;
}

static void
sc_profile_file_finalize (GObject *object)
{
  ScProfileFile *self = SC_PROFILE_FILE (object);

  g_free (self->path);
  g_free (self->base_dir);
  g_clear_pointer (&self->kf, g_key_file_unref);
  g_clear_pointer (&self->on_disk, g_bytes_unref);
  g_clear_object (&self->profile);
  g_clear_error (&self->problems);
  g_clear_pointer (&self->problem_list, g_ptr_array_unref);

  G_OBJECT_CLASS (sc_profile_file_parent_class)->finalize (object);
}

static void
sc_profile_file_class_init (ScProfileFileClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sc_profile_file_finalize;
}

static void
sc_profile_file_init (ScProfileFile *self)
{
}

/* Validates @data as a profile in this file's folder. */
static ScProfile *
validate (ScProfileFile  *self,
          const char     *data,
          gsize           length,
          GError        **error)
{
  return sc_profile_new_from_data (data, length, self->base_dir, error);
}

static void
take_state (ScProfileFile *self,
            GKeyFile      *kf,         /* transfer full */
            GBytes        *on_disk,    /* transfer full */
            ScProfile     *profile,    /* transfer full */
            GError        *problems)   /* transfer full */
{
  g_clear_pointer (&self->kf, g_key_file_unref);
  g_clear_pointer (&self->on_disk, g_bytes_unref);
  g_clear_object (&self->profile);
  g_clear_error (&self->problems);
  g_clear_pointer (&self->problem_list, g_ptr_array_unref);

  self->kf = kf;
  self->on_disk = on_disk;
  self->profile = profile;
  self->problems = problems;
  self->problem_list = sc_profile_problems_from_error (problems);
}

ScProfileFile *
sc_profile_file_new (const char  *path,
                     GError     **error)
{
  g_autoptr(ScProfileFile) self = NULL;
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  g_autoptr(ScProfile) profile = NULL;
  g_autofree char *display = NULL;
  g_autofree char *data = NULL;
  gsize length = 0;

  g_return_val_if_fail (path != NULL, NULL);

  display = g_filename_display_name (path);
  if (!g_file_get_contents (path, &data, &length, &local_error))
    {
      g_set_error (error, SC_PROFILE_ERROR, SC_PROFILE_ERROR_NOT_FOUND,
                   _("Cannot read the product profile “%s”: %s"), display, local_error->message);
      return NULL;
    }
  if (!g_key_file_load_from_data (kf, data, length, KEY_FILE_FLAGS, &local_error))
    {
      g_set_error (error, SC_PROFILE_ERROR, SC_PROFILE_ERROR_PARSE,
                   _("The product profile “%s” is not a valid key file: %s"), display, local_error->message);
      return NULL;
    }

  self = g_object_new (SC_TYPE_PROFILE_FILE, NULL);
  self->path = g_canonicalize_filename (path, NULL);
  self->base_dir = g_path_get_dirname (self->path);
  profile = validate (self, data, length, &local_error);
  take_state (self, g_steal_pointer (&kf), g_bytes_new_take (g_steal_pointer (&data), length),
              g_steal_pointer (&profile), g_steal_pointer (&local_error));
  return g_steal_pointer (&self);
}

const char *
sc_profile_file_get_path (ScProfileFile *self)
{
  g_return_val_if_fail (SC_IS_PROFILE_FILE (self), NULL);
  return self->path;
}

const char *
sc_profile_file_get_base_dir (ScProfileFile *self)
{
  g_return_val_if_fail (SC_IS_PROFILE_FILE (self), NULL);
  return self->base_dir;
}

ScProfile *
sc_profile_file_get_profile (ScProfileFile *self)
{
  g_return_val_if_fail (SC_IS_PROFILE_FILE (self), NULL);
  return self->profile;
}

const GError *
sc_profile_file_get_error (ScProfileFile *self)
{
  g_return_val_if_fail (SC_IS_PROFILE_FILE (self), NULL);
  return self->problems;
}

const char *
sc_profile_file_get_problem (ScProfileFile *self,
                             const char    *group,
                             const char    *key)
{
  g_return_val_if_fail (SC_IS_PROFILE_FILE (self), NULL);
  g_return_val_if_fail (group != NULL && key != NULL, NULL);

  for (guint i = 0; i < self->problem_list->len; i++)
    {
      const ScProfileProblem *p = g_ptr_array_index (self->problem_list, i);

      if (g_str_equal (p->group, group) && g_str_equal (p->key, key))
        return p->message;
    }
  return NULL;
}

char *
sc_profile_file_get_value (ScProfileFile *self,
                           const char    *group,
                           const char    *key)
{
  g_return_val_if_fail (SC_IS_PROFILE_FILE (self), NULL);
  g_return_val_if_fail (group != NULL && key != NULL, NULL);

  return g_key_file_get_string (self->kf, group, key, NULL);
}

char *
sc_profile_file_to_data (ScProfileFile *self,
                         gsize         *length)
{
  g_return_val_if_fail (SC_IS_PROFILE_FILE (self), NULL);

  return g_key_file_to_data (self->kf, length, NULL);
}

/* ------------------------------------------------------------------ saving */

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

static gboolean
write_all (int          fd,
           const char  *data,
           gsize        length)
{
  while (length > 0)
    {
      ssize_t n = write (fd, data, length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      length -= (gsize) n;
    }
  return TRUE;
}

/* Writes @data to a new file in @dir, synced, with @mode; returns its path.
 * The file is removed again on any failure. */
static char *
write_temp (const char  *dir,
            const char  *name,
            const char  *data,
            gsize        length,
            mode_t       mode,
            const struct stat *owner,
            GError     **error)
{
  g_autofree char *base = g_strdup_printf (".%s.XXXXXX", name);
  g_autofree char *tmp = g_build_filename (dir, base, NULL);
  int fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  int saved_errno = 0;

  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, SC_PROFILE_FILE_ERROR, SC_PROFILE_FILE_ERROR_WRITE, "%s", g_strerror (saved_errno));
      return NULL;
    }

  if (!write_all (fd, data, length))
    saved_errno = errno ? errno : EIO;
  /* fchmod, so a umask cannot narrow or widen what the old file had. */
  else if (fchmod (fd, mode) != 0)
    saved_errno = errno;
  else if (owner != NULL && geteuid () == 0 &&
           (owner->st_uid != 0 || owner->st_gid != 0) && fchown (fd, owner->st_uid, owner->st_gid) != 0)
    saved_errno = errno;
  else if (fsync (fd) != 0)
    saved_errno = errno;

  if (close (fd) != 0 && saved_errno == 0)
    saved_errno = errno;
  if (saved_errno != 0)
    {
      g_unlink (tmp);
      g_set_error (error, SC_PROFILE_FILE_ERROR, SC_PROFILE_FILE_ERROR_WRITE, "%s", g_strerror (saved_errno));
      return NULL;
    }
  return g_steal_pointer (&tmp);
}

/* Replaces the file with @data, or leaves it exactly as it was. */
static gboolean
save (ScProfileFile  *self,
      const char     *data,
      gsize           length,
      GError        **error)
{
  g_autofree char *display = g_filename_display_name (self->path);
  g_autofree char *target = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *name = NULL;
  g_autofree char *current = NULL;
  g_autofree char *tmp = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize current_length = 0;
  struct stat st;

  /* A profile reached through a symbolic link is written where the link
   * points, and the link stays. */
  target = realpath (self->path, NULL);
  if (target == NULL || stat (target, &st) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, SC_PROFILE_FILE_ERROR, SC_PROFILE_FILE_ERROR_CHANGED,
                   _("The product profile “%s” is gone (%s); nothing was saved. Open it again, or choose "
                     "another."), display, g_strerror (saved_errno));
      return FALSE;
    }

  /* Someone else's edit is never overwritten. */
  if (!g_file_get_contents (target, &current, &current_length, NULL) ||
      current_length != g_bytes_get_size (self->on_disk) ||
      memcmp (current, g_bytes_get_data (self->on_disk, NULL), current_length) != 0)
    {
      g_set_error (error, SC_PROFILE_FILE_ERROR, SC_PROFILE_FILE_ERROR_CHANGED,
                   _("The product profile “%s” was changed by someone else since it was opened; nothing was "
                     "saved. Open it again and redo the change."), display);
      return FALSE;
    }

  dir = g_path_get_dirname (target);
  name = g_path_get_basename (target);
  if (!(tmp = write_temp (dir, name, data, length, st.st_mode & 07777, &st, &local_error)))
    {
      g_set_error (error, SC_PROFILE_FILE_ERROR, SC_PROFILE_FILE_ERROR_WRITE,
                   _("Cannot save the product profile “%s”: %s; it is unchanged. Check that its folder can be "
                     "written."), display, local_error->message);
      return FALSE;
    }
  if (g_rename (tmp, target) != 0)
    {
      int saved_errno = errno;

      g_unlink (tmp);
      g_set_error (error, SC_PROFILE_FILE_ERROR, SC_PROFILE_FILE_ERROR_WRITE,
                   _("Cannot save the product profile “%s”: %s; it is unchanged. Check that its folder can be "
                     "written."), display, g_strerror (saved_errno));
      return FALSE;
    }
  fsync_dir (dir);
  return TRUE;
}

/* Key-file names that g_key_file_set_string() would write as broken lines. */
static gboolean
valid_name (const char *name,
            gboolean    is_group)
{
  if (name[0] == '\0' || g_ascii_isspace (name[0]) || g_ascii_isspace (name[strlen (name) - 1]))
    return FALSE;
  for (const char *p = name; *p; p++)
    if (g_ascii_iscntrl (*p) || *p == '[' || *p == ']' || (!is_group && *p == '='))
      return FALSE;
  return TRUE;
}

gboolean
sc_profile_file_set_values (ScProfileFile          *self,
                            const ScProfileChange  *changes,
                            gsize                   n_changes,
                            GError                **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  g_autoptr(ScProfile) profile = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GString) added = g_string_new (NULL);
  g_autofree char *old_data = NULL;
  g_autofree char *data = NULL;
  gsize old_length = 0, length = 0;

  g_return_val_if_fail (SC_IS_PROFILE_FILE (self), FALSE);
  g_return_val_if_fail (changes != NULL || n_changes == 0, FALSE);

  /* The change is made on a copy: the file held stays as it was unless
   * the new one is saved. */
  old_data = g_key_file_to_data (self->kf, &old_length, NULL);
  if (!g_key_file_load_from_data (kf, old_data, old_length, KEY_FILE_FLAGS, NULL))
    g_assert_not_reached ();

  for (gsize i = 0; i < n_changes; i++)
    {
      const ScProfileChange *c = &changes[i];

      g_return_val_if_fail (c->group != NULL && c->key != NULL, FALSE);
      if (!valid_name (c->group, TRUE) || !valid_name (c->key, FALSE))
        {
          g_set_error (error, SC_PROFILE_ERROR, SC_PROFILE_ERROR_INVALID,
                       _("Not saved; the product profile is as it was. Fix this and try again:\n  [%s] %s: %s"),
                       c->group, c->key, _("is not a name a profile can hold"));
          return FALSE;
        }
      if (c->value != NULL)
        g_key_file_set_string (kf, c->group, c->key, c->value);
      else if (g_key_file_has_key (kf, c->group, c->key, NULL))
        g_key_file_remove_key (kf, c->group, c->key, NULL);
    }

  data = g_key_file_to_data (kf, &length, NULL);
  profile = validate (self, data, length, &local_error);

  /* Refused only for what it adds: problems the file had already can be
   * fixed one key at a time. */
  problems = sc_profile_problems_from_error (local_error);
  for (guint i = 0; i < problems->len; i++)
    {
      const ScProfileProblem *p = g_ptr_array_index (problems, i);

      if (!problem_in (p, self->problem_list))
        g_string_append_printf (added, "\n  [%s] %s: %s", p->group, p->key, p->message);
    }
  if (local_error != NULL && problems->len == 0)
    {
      /* Not a list of problems (cannot happen for text GKeyFile wrote). */
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (added->len > 0)
    {
      g_autofree char *display = g_filename_display_name (self->path);

      g_set_error (error, SC_PROFILE_ERROR, SC_PROFILE_ERROR_INVALID,
                   _("Not saved; the product profile “%s” is as it was. Fix this and try again:%s"),
                   display, added->str);
      return FALSE;
    }

  if (!save (self, data, length, error))
    return FALSE;

  take_state (self, g_steal_pointer (&kf), g_bytes_new_take (g_steal_pointer (&data), length),
              g_steal_pointer (&profile), g_steal_pointer (&local_error));
  return TRUE;
}

gboolean
sc_profile_file_set_value (ScProfileFile  *self,
                           const char     *group,
                           const char     *key,
                           const char     *value,
                           GError        **error)
{
  ScProfileChange change = { group, key, value };

  g_return_val_if_fail (SC_IS_PROFILE_FILE (self), FALSE);
  g_return_val_if_fail (group != NULL && key != NULL, FALSE);

  return sc_profile_file_set_values (self, &change, 1, error);
}

/* ------------------------------------------------------------------- icons */

typedef struct
{
  const guint8 *data;
  gsize         length;
  gsize         offset;
} PngReader;

static cairo_status_t
png_read_cb (void          *closure,
             unsigned char *data,
             unsigned int   length)
{
  PngReader *r = closure;

  if (r->length - r->offset < length)
    return CAIRO_STATUS_READ_ERROR;
  memcpy (data, r->data + r->offset, length);
  r->offset += length;
  return CAIRO_STATUS_SUCCESS;
}

/* Whether the icon can be drawn the way labels draw it. */
static gboolean
check_icon (GBytes      *bytes,
            gboolean     png,
            const char  *display,
            GError     **error)
{
  if (png)
    {
      PngReader reader = { g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), 0 };
      cairo_surface_t *surface = cairo_image_surface_create_from_png_stream (png_read_cb, &reader);
      cairo_status_t status = cairo_surface_status (surface);
      int width = status == CAIRO_STATUS_SUCCESS ? cairo_image_surface_get_width (surface) : 0;
      int height = status == CAIRO_STATUS_SUCCESS ? cairo_image_surface_get_height (surface) : 0;

      cairo_surface_destroy (surface);
      if (status != CAIRO_STATUS_SUCCESS)
        {
          g_set_error (error, SC_PROFILE_FILE_ERROR, SC_PROFILE_FILE_ERROR_ICON,
                       _("The FFS icon “%s” is not a PNG image that can be read (%s); ask the manufacturer for "
                         "the icon file again."), display, cairo_status_to_string (status));
          return FALSE;
        }
      if (width < 1 || height < 1 || width > ICON_MAX_SIDE || height > ICON_MAX_SIDE)
        {
          g_set_error (error, SC_PROFILE_FILE_ERROR, SC_PROFILE_FILE_ERROR_ICON,
                       _("The FFS icon “%s” is %d × %d pixels; an icon may be at most %d pixels on a side. "
                         "Use a smaller image, or the SVG file."), display, width, height, ICON_MAX_SIDE);
          return FALSE;
        }
      return TRUE;
    }
  else
    {
      g_autoptr(GError) local_error = NULL;
      RsvgHandle *handle = rsvg_handle_new_from_data (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                                      &local_error);
      cairo_surface_t *surface;
      cairo_t *cr;
      RsvgRectangle viewport = { 0, 0, 64, 64 };
      gboolean ok = FALSE;

      if (handle != NULL)
        {
          surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 64, 64);
          cr = cairo_create (surface);
          ok = rsvg_handle_render_document (handle, cr, &viewport, &local_error);
          cairo_destroy (cr);
          cairo_surface_destroy (surface);
          g_object_unref (handle);
        }
      if (!ok)
        {
          g_set_error (error, SC_PROFILE_FILE_ERROR, SC_PROFILE_FILE_ERROR_ICON,
                       _("The FFS icon “%s” is neither a PNG image nor an SVG that can be drawn (%s); ask the "
                         "manufacturer for the icon file again."), display,
                       local_error ? g_strstrip (local_error->message) : _("nothing drawn"));
          return FALSE;
        }
      return TRUE;
    }
}

/* The source's name, reduced to letters, digits, '-' and '_', without its
 * extension; "ffs-icon" when nothing is left. */
static char *
icon_stem (const char *source)
{
  g_autofree char *base = g_path_get_basename (source);
  char *dot = strrchr (base, '.');
  GString *stem = g_string_new (NULL);

  if (dot != NULL && dot != base)
    *dot = '\0';
  for (const char *p = base; *p && stem->len < 64; p++)
    g_string_append_c (stem, g_ascii_isalnum (*p) || *p == '-' || *p == '_' ? *p : '-');
  if (stem->len == 0 || stem->str[0] == '-')
    g_string_prepend (stem, "ffs-icon");
  return g_string_free (stem, FALSE);
}

static gboolean
same_contents (const char *path,
               GBytes     *bytes)
{
  g_autofree char *data = NULL;
  gsize length = 0;

  return g_file_get_contents (path, &data, &length, NULL) && length == g_bytes_get_size (bytes) &&
         memcmp (data, g_bytes_get_data (bytes, NULL), length) == 0;
}

/* Reads a regular file of at most the icon limit. */
static GBytes *
read_icon (const char  *source,
           const char  *display,
           GError     **error)
{
  g_autofree char *data = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize length = 0;
  struct stat st;

  if (g_stat (source, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, SC_PROFILE_FILE_ERROR, SC_PROFILE_FILE_ERROR_ICON,
                   _("The FFS icon “%s” is not a file that can be read; choose the icon file itself."), display);
      return NULL;
    }
  if (st.st_size == 0 || st.st_size > SC_PROFILE_FILE_ICON_MAX_BYTES)
    {
      g_set_error (error, SC_PROFILE_FILE_ERROR, SC_PROFILE_FILE_ERROR_ICON,
                   _("The FFS icon “%s” has %" PRId64 " bytes; an icon file must have 1 to %d. "
                     "Choose the manufacturer’s icon file."),
                   display, (gint64) st.st_size, SC_PROFILE_FILE_ICON_MAX_BYTES);
      return NULL;
    }
  if (!g_file_get_contents (source, &data, &length, &local_error))
    {
      g_set_error (error, SC_PROFILE_FILE_ERROR, SC_PROFILE_FILE_ERROR_ICON,
                   _("Cannot read the FFS icon “%s”: %s"), display, local_error->message);
      return NULL;
    }
  /* It may have grown since. */
  if (length == 0 || length > SC_PROFILE_FILE_ICON_MAX_BYTES)
    {
      g_set_error (error, SC_PROFILE_FILE_ERROR, SC_PROFILE_FILE_ERROR_ICON,
                   _("The FFS icon “%s” changed while it was read; try again."), display);
      return NULL;
    }
  return g_bytes_new_take (g_steal_pointer (&data), length);
}

char *
sc_profile_file_import_icon (ScProfileFile  *self,
                             const char     *source,
                             GError        **error)
{
  static const guint8 png_signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  g_autofree char *display = NULL;
  g_autofree char *stem = NULL;
  g_autofree char *name = NULL;
  g_autofree char *dest = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean png, created = FALSE;

  g_return_val_if_fail (SC_IS_PROFILE_FILE (self), NULL);
  g_return_val_if_fail (source != NULL, NULL);

  display = g_filename_display_name (source);
  if (!(bytes = read_icon (source, display, error)))
    return NULL;
  /* By what it is, not by its name: the profile needs .png or .svg. */
  png = g_bytes_get_size (bytes) >= sizeof png_signature &&
        memcmp (g_bytes_get_data (bytes, NULL), png_signature, sizeof png_signature) == 0;
  if (!check_icon (bytes, png, display, error))
    return NULL;

  stem = icon_stem (source);
  for (guint n = 1; ; n++)
    {
      g_autofree char *tmp = NULL;
      g_autofree char *dir = NULL;

      if (n > 100)
        {
          g_set_error (error, SC_PROFILE_FILE_ERROR, SC_PROFILE_FILE_ERROR_ICON,
                       _("The profile’s folder holds too many icons named like “%s”; remove the old ones."),
                       display);
          return NULL;
        }
      g_free (name);
      g_free (dest);
      name = n == 1 ? g_strconcat (stem, png ? ".png" : ".svg", NULL)
                    : g_strdup_printf ("%s-%u%s", stem, n, png ? ".png" : ".svg");
      dest = g_build_filename (self->base_dir, name, NULL);

      if (g_file_test (dest, G_FILE_TEST_EXISTS))
        {
          if (same_contents (dest, bytes))
            break;
          continue;
        }

      /* Written beside it, synced, and linked into place: link() never
       * replaces a file that appeared in the meantime. */
      dir = g_path_get_dirname (dest);
      if (!(tmp = write_temp (dir, name, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), 0644, NULL,
                              &local_error)))
        {
          g_autofree char *dir_display = g_filename_display_name (dir);

          g_set_error (error, SC_PROFILE_FILE_ERROR, SC_PROFILE_FILE_ERROR_WRITE,
                       _("Cannot copy the FFS icon into “%s”: %s. Check that the profile’s folder can be written."),
                       dir_display, local_error->message);
          return NULL;
        }
      if (link (tmp, dest) == 0)
        {
          g_unlink (tmp);
          fsync_dir (dir);
          created = TRUE;
          break;
        }
      else
        {
          int saved_errno = errno;

          g_unlink (tmp);
          if (saved_errno == EEXIST)
            {
              n--;   /* look at the newcomer again */
              continue;
            }
          g_autofree char *dir_display = g_filename_display_name (dir);
          g_set_error (error, SC_PROFILE_FILE_ERROR, SC_PROFILE_FILE_ERROR_WRITE,
                       _("Cannot copy the FFS icon into “%s”: %s. Check that the profile’s folder can be written."),
                       dir_display, g_strerror (saved_errno));
          return NULL;
        }
    }

  if (!sc_profile_file_set_value (self, "label", "icon", name, error))
    {
      if (created)
        g_unlink (dest);
      return NULL;
    }
  return g_steal_pointer (&name);
}
