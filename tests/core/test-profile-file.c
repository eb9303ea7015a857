/* test-profile-file.c: editing a profile file key by key, saving it whole
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cairo.h>
#include <glib/gstdio.h>

#include "sc-test-util.h"

/* A comment in a group and one at the end, on top of the training
 * profile's own header comment. */
#define EXTRA_COMMENTS "\n# Line 3, checked by QA on 2026-11-01\n"

typedef struct
{
  char *dir;
  char *path;
} Fixture;

static char *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *data = NULL;

  g_file_get_contents (path, &data, NULL, &error);
  g_assert_no_error (error);
  return data;
}

static void
write_file (const char *path,
            const char *data,
            gssize      length)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, data, length, &error);
  g_assert_no_error (error);
}

static char *
replace_once (const char *text,
              const char *old,
              const char *new)
{
  const char *at = strstr (text, old);

  g_assert_nonnull (at);
  return g_strdup_printf ("%.*s%s%s", (int) (at - text), text, new, at + strlen (old));
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *text = NULL;
  g_autofree char *with_comments = NULL;

  f->dir = sc_test_training (NULL);
  f->path = g_build_filename (f->dir, "product.profile", NULL);
  /* A comment inside [product], above pid. */
  text = read_file (f->path);
  g_assert_nonnull (strstr (text, "\npid="));
  with_comments = replace_once (text, "\npid=", "\n# Amazon gave us this PID in its e-mail of May 3\npid=");
  write_file (f->path, with_comments, -1);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  sc_test_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

static guint
count_files (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static ScProfileFile *
open_file (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  ScProfileFile *file = sc_profile_file_new (f->path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (file);
  return file;
}

/* -------------------------------------------------------------- round trip */

static void
test_round_trip (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *original = NULL;
  g_autofree char *first = NULL;
  g_autofree char *edited = NULL;
  g_autofree char *back = NULL;
  g_autofree char *name = NULL;
  g_autoptr(ScProfileFile) file = NULL;
  g_autoptr(ScProfile) reloaded = NULL;
  g_autoptr(GError) error = NULL;

  /* And a comment at the end of the file. */
  first = read_file (f->path);
  original = g_strconcat (first, EXTRA_COMMENTS, NULL);
  write_file (f->path, original, -1);

  file = open_file (f);
  g_assert_null (sc_profile_file_get_error (file));
  g_assert_nonnull (sc_profile_file_get_profile (file));
  g_assert_cmpstr (sc_profile_get_name (sc_profile_file_get_profile (file)), ==, "Training product");
  name = sc_profile_file_get_value (file, "product", "name");
  g_assert_cmpstr (name, ==, "Training product");

  g_assert_true (sc_profile_file_set_value (file, "product", "name", "Kitchen Plug KP-2", &error));
  g_assert_no_error (error);
  edited = read_file (f->path);
  g_assert_nonnull (strstr (edited, "\nname=Kitchen Plug KP-2\n"));
  g_assert_null (strstr (edited, "Training product"));
  /* Every comment is still there, where it was. */
  g_assert_true (g_str_has_prefix (edited, "# A TRAINING product profile made by"));
  g_assert_nonnull (strstr (edited, "\n# Amazon gave us this PID in its e-mail of May 3\npid="));
  g_assert_true (g_str_has_suffix (edited, EXTRA_COMMENTS));
  g_assert_cmpstr (sc_profile_get_name (sc_profile_file_get_profile (file)), ==, "Kitchen Plug KP-2");

  /* What was saved is what ScProfile reads. */
  reloaded = sc_profile_new_from_file (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sc_profile_get_name (reloaded), ==, "Kitchen Plug KP-2");

  /* Set back, the file is the same to the byte. */
  g_assert_true (sc_profile_file_set_value (file, "product", "name", "Training product", &error));
  g_assert_no_error (error);
  back = read_file (f->path);
  g_assert_cmpstr (back, ==, original);
  /* No file left behind. */
  g_assert_cmpuint (count_files (f->dir), ==, 4);
}

/* A key that is not there yet goes into its group; clearing a key falls
 * back to its default. */
static void
test_add_and_clear (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(ScProfileFile) file = open_file (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(ScProfile) reloaded = NULL;
  g_autofree char *text = NULL;

  g_assert_true (sc_profile_file_set_value (file, "pin", "length", "12", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (sc_profile_get_pin_length (sc_profile_file_get_profile (file)), ==, 12);
  g_assert_true (sc_profile_file_set_value (file, "serial", "pattern", "G3A0\\d{12}", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (sc_profile_get_serial_pattern (sc_profile_file_get_profile (file)), ==, "G3A0\\d{12}");
  reloaded = sc_profile_new_from_file (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sc_profile_get_pin_length (reloaded), ==, 12);
  g_assert_cmpstr (sc_profile_get_serial_pattern (reloaded), ==, "G3A0\\d{12}");
  g_assert_true (sc_profile_check_serial (reloaded, "G3A0123456789012", NULL));

  g_assert_true (sc_profile_file_set_value (file, "keys", "origin", NULL, &error));
  g_assert_no_error (error);
  text = read_file (f->path);
  g_assert_null (strstr (text, "origin="));
  g_assert_cmpint (sc_profile_get_key_origin (sc_profile_file_get_profile (file)), ==, SC_KEY_ORIGIN_DEVICE);

  /* Clearing what is not there changes nothing and is no error. */
  g_assert_true (sc_profile_file_set_value (file, "keys", "origin", NULL, &error));
  g_assert_no_error (error);
}

/* ------------------------------------------------------------- refusals */

/* A refused change: SC_PROFILE_ERROR_INVALID naming [group] key with the
 * validator's sentence; the file on disk and the one held untouched. */
static void
assert_refused (Fixture       *f,
                ScProfileFile *file,
                const char    *group,
                const char    *key,
                const char    *value,
                const char    *sentence)
{
  g_autofree char *before = read_file (f->path);
  g_autofree char *held_before = sc_profile_file_to_data (file, NULL);
  g_autofree char *after = NULL;
  g_autofree char *held_after = NULL;
  g_autofree char *expected = g_strdup_printf ("\n  [%s] %s: %s", group, key, sentence);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  const ScProfileProblem *problem;
  guint files = count_files (f->dir);

  g_assert_false (sc_profile_file_set_value (file, group, key, value, &error));
  g_assert_error (error, SC_PROFILE_ERROR, SC_PROFILE_ERROR_INVALID);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, expected));

  problems = sc_profile_problems_from_error (error);
  g_assert_cmpuint (problems->len, ==, 1);
  problem = g_ptr_array_index (problems, 0);
  g_assert_cmpstr (problem->group, ==, group);
  g_assert_cmpstr (problem->key, ==, key);
  g_assert_cmpstr (problem->message, ==, sentence);

  after = read_file (f->path);
  g_assert_cmpstr (after, ==, before);
  held_after = sc_profile_file_to_data (file, NULL);
  g_assert_cmpstr (held_after, ==, held_before);
  g_assert_cmpuint (count_files (f->dir), ==, files);
}

static void
test_bad_pid (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(ScProfileFile) file = open_file (f);
  g_autofree char *pid = NULL;

  assert_refused (f, file, "product", "pid", "ebK", "must be exactly 4 letters or digits, like ebK3");
  pid = sc_profile_file_get_value (file, "product", "pid");
  g_assert_cmpstr (pid, ==, SC_TRAINING_PID);
  g_assert_cmpstr (sc_profile_get_pid (sc_profile_file_get_profile (file)), ==, SC_TRAINING_PID);
}

static void
test_bad_device_type_id (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(ScProfileFile) file = open_file (f);

  assert_refused (f, file, "product", "device-type-id", "a13hohdxtvqyzo",
                  "must be 4 to 32 upper-case letters and digits, like A13HOHDXTVQYZO");
}

static void
test_bad_pin_length (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(ScProfileFile) file = open_file (f);

  assert_refused (f, file, "pin", "length", "5", "must be a whole number from 6 to 32");
}

static void
test_bad_key_origin (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(ScProfileFile) file = open_file (f);

  assert_refused (f, file, "keys", "origin", "factory", "must be device or station");
}

static void
test_bad_serial_pattern (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(ScProfileFile) file = open_file (f);
  g_autoptr(GError) error = NULL;

  g_assert_false (sc_profile_file_set_value (file, "serial", "pattern", "G3A0[A-Z", &error));
  g_assert_error (error, SC_PROFILE_ERROR, SC_PROFILE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "\n  [serial] pattern: is not a valid regular expression"));
}

/* Clearing a required key is a change like any other. */
static void
test_clear_required (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(ScProfileFile) file = open_file (f);

  assert_refused (f, file, "product", "name", NULL, "is required");
}

static void
test_unknown_key (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(ScProfileFile) file = open_file (f);

  assert_refused (f, file, "product", "colour", "red", "unknown key");
}

static void
test_bad_key_name (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(ScProfileFile) file = open_file (f);
  g_autofree char *before = read_file (f->path);
  g_autofree char *after = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_false (sc_profile_file_set_value (file, "product", "pid=ebK3\n[dak]\nuri", "x", &error));
  g_assert_error (error, SC_PROFILE_ERROR, SC_PROFILE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (sc_profile_file_set_value (file, "product]", "name", "x", &error));
  g_assert_error (error, SC_PROFILE_ERROR, SC_PROFILE_ERROR_INVALID);
  after = read_file (f->path);
  g_assert_cmpstr (after, ==, before);
}

/* Several keys are one change: one bad value keeps the good ones out. */
static void
test_several_all_or_none (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(ScProfileFile) file = open_file (f);
  g_autofree char *before = read_file (f->path);
  g_autofree char *after = NULL;
  g_autoptr(GError) error = NULL;
  const ScProfileChange bad[] = {
    { "product", "name", "Kitchen Plug KP-2" },
    { "pin", "length", "40" },
  };
  const ScProfileChange good[] = {
    { "product", "name", "Kitchen Plug KP-2" },
    { "pin", "length", "10" },
  };

  g_assert_false (sc_profile_file_set_values (file, bad, G_N_ELEMENTS (bad), &error));
  g_assert_error (error, SC_PROFILE_ERROR, SC_PROFILE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "[pin] length: "));
  g_assert_null (strstr (error->message, "[product] name"));
  after = read_file (f->path);
  g_assert_cmpstr (after, ==, before);

  g_assert_true (sc_profile_file_set_values (file, good, G_N_ELEMENTS (good), NULL));
  g_assert_cmpstr (sc_profile_get_name (sc_profile_file_get_profile (file)), ==, "Kitchen Plug KP-2");
  g_assert_cmpuint (sc_profile_get_pin_length (sc_profile_file_get_profile (file)), ==, 10);
}

/* ----------------------------------------------------------- the file */

/* A profile with problems opens, names them per key, and is mended one
 * key at a time; changes that add no problem are saved meanwhile. */
static void
test_mend (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(ScProfileFile) file = NULL;
  g_autoptr(GError) error = NULL;

  sc_test_set_profile_key (f->dir, "product", "pid", "ebK");
  sc_test_set_profile_key (f->dir, "pin", "length", "99");
  file = open_file (f);
  g_assert_null (sc_profile_file_get_profile (file));
  g_assert_error (sc_profile_file_get_error (file), SC_PROFILE_ERROR, SC_PROFILE_ERROR_INVALID);
  g_assert_cmpstr (sc_profile_file_get_problem (file, "product", "pid"), ==,
                   "must be exactly 4 letters or digits, like ebK3");
  g_assert_cmpstr (sc_profile_file_get_problem (file, "pin", "length"), ==, "must be a whole number from 6 to 32");
  g_assert_null (sc_profile_file_get_problem (file, "product", "name"));

  /* Another key: saved, the problems stay. */
  g_assert_true (sc_profile_file_set_value (file, "product", "name", "Kitchen Plug", &error));
  g_assert_no_error (error);
  g_assert_null (sc_profile_file_get_profile (file));
  /* A new problem is still refused. */
  g_assert_false (sc_profile_file_set_value (file, "keys", "origin", "factory", &error));
  g_assert_error (error, SC_PROFILE_ERROR, SC_PROFILE_ERROR_INVALID);
  g_assert_null (strstr (error->message, "[product] pid"));
  g_clear_error (&error);

  g_assert_true (sc_profile_file_set_value (file, "product", "pid", "ebK3", &error));
  g_assert_no_error (error);
  g_assert_null (sc_profile_file_get_problem (file, "product", "pid"));
  g_assert_null (sc_profile_file_get_profile (file));
  g_assert_true (sc_profile_file_set_value (file, "pin", "length", "9", &error));
  g_assert_no_error (error);
  g_assert_null (sc_profile_file_get_error (file));
  g_assert_nonnull (sc_profile_file_get_profile (file));
  g_assert_cmpstr (sc_profile_get_pid (sc_profile_file_get_profile (file)), ==, "ebK3");
}

/* The old file's mode is the new one's; a symbolic link stays a link. */
static void
test_mode_and_link (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(ScProfileFile) file = NULL;
  g_autofree char *link = g_build_filename (f->dir, "current.profile", NULL);
  g_autoptr(ScProfile) reloaded = NULL;
  struct stat st;

  g_assert_cmpint (g_chmod (f->path, 0640), ==, 0);
  g_assert_cmpint (symlink ("product.profile", link), ==, 0);
  file = sc_profile_file_new (link, NULL);
  g_assert_nonnull (file);
  g_assert_true (sc_profile_file_set_value (file, "product", "name", "Through the link", NULL));

  g_assert_cmpint (lstat (link, &st), ==, 0);
  g_assert_true (S_ISLNK (st.st_mode));
  g_assert_cmpint (stat (f->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0640);
  reloaded = sc_test_load_profile (f->dir);
  g_assert_cmpstr (sc_profile_get_name (reloaded), ==, "Through the link");
}

/* Someone else's edit is never overwritten. */
static void
test_changed_on_disk (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(ScProfileFile) file = open_file (f);
  g_autofree char *theirs = NULL;
  g_autofree char *after = NULL;
  g_autoptr(GError) error = NULL;

  sc_test_set_profile_key (f->dir, "product", "name", "Their name");
  theirs = read_file (f->path);
  g_assert_false (sc_profile_file_set_value (file, "pin", "length", "10", &error));
  g_assert_error (error, SC_PROFILE_FILE_ERROR, SC_PROFILE_FILE_ERROR_CHANGED);
  after = read_file (f->path);
  g_assert_cmpstr (after, ==, theirs);
}

static void
test_removed_on_disk (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(ScProfileFile) file = open_file (f);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_unlink (f->path), ==, 0);
  g_assert_false (sc_profile_file_set_value (file, "pin", "length", "10", &error));
  g_assert_error (error, SC_PROFILE_FILE_ERROR, SC_PROFILE_FILE_ERROR_CHANGED);
  g_assert_false (g_file_test (f->path, G_FILE_TEST_EXISTS));
}

static void
test_not_a_key_file (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = g_build_filename (f->dir, "missing.profile", NULL);

  write_file (f->path, "this is not [a key file\n", -1);
  g_assert_null (sc_profile_file_new (f->path, &error));
  g_assert_error (error, SC_PROFILE_ERROR, SC_PROFILE_ERROR_PARSE);
  g_clear_error (&error);
  g_assert_null (sc_profile_file_new (missing, &error));
  g_assert_error (error, SC_PROFILE_ERROR, SC_PROFILE_ERROR_NOT_FOUND);
}

/* Atomic: the new text is written beside the old file and renamed over it,
 * so no reader ever sees half a profile. A reader opening the file before
 * the save keeps reading the old text whole. */
static void
test_atomic_replace (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(ScProfileFile) file = open_file (f);
  g_autofree char *before = read_file (f->path);
  g_autofree char *old_text = NULL;
  struct stat st_before, st_after;
  int fd;

  g_assert_cmpint (stat (f->path, &st_before), ==, 0);
  fd = open (f->path, O_RDONLY);
  g_assert_cmpint (fd, >=, 0);
  g_assert_true (sc_profile_file_set_value (file, "product", "name", "New name", NULL));
  g_assert_cmpint (stat (f->path, &st_after), ==, 0);
  /* A new file took the name... */
  g_assert_cmpuint (st_after.st_ino, !=, st_before.st_ino);
  /* ...and the old one is intact for whoever had it open. */
  old_text = g_malloc0 (st_before.st_size + 1);
  g_assert_cmpint (read (fd, old_text, st_before.st_size), ==, st_before.st_size);
  close (fd);
  g_assert_cmpstr (old_text, ==, before);
}

/* ----------------------------------------------------------------- icons */

#define SVG_ICON "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"32\" height=\"32\">" \
                 "<rect x=\"4\" y=\"4\" width=\"24\" height=\"24\" fill=\"black\"/></svg>\n"

static char *
make_png (const char *dir,
          const char *name,
          int         side)
{
  char *path = g_build_filename (dir, name, NULL);
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, side, side);
  cairo_t *cr = cairo_create (surface);

  cairo_rectangle (cr, 1, 1, side - 2, side - 2);
  cairo_fill (cr);
  cairo_destroy (cr);
  g_assert_cmpint (cairo_surface_write_to_png (surface, path), ==, CAIRO_STATUS_SUCCESS);
  cairo_surface_destroy (surface);
  return path;
}

static void
test_icon_svg (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(ScProfileFile) file = open_file (f);
  g_autofree char *src_dir = sc_test_tmpdir ();
  g_autofree char *src = g_build_filename (src_dir, "KP2 FFS icon.svg", NULL);
  g_autofree char *name = NULL;
  g_autofree char *again = NULL;
  g_autofree char *copied = NULL;
  g_autofree char *value = NULL;
  g_autofree char *other = NULL;
  g_autofree char *text = NULL;
  g_autofree char *kept = NULL;
  g_autoptr(GError) error = NULL;
  const ScLabelSettings *label;

  write_file (src, SVG_ICON, -1);
  name = sc_profile_file_import_icon (file, src, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, "KP2-FFS-icon.svg");
  copied = g_build_filename (f->dir, name, NULL);
  g_assert_true (g_file_test (copied, G_FILE_TEST_IS_REGULAR));
  text = read_file (copied);
  g_assert_cmpstr (text, ==, SVG_ICON);
  value = sc_profile_file_get_value (file, "label", "icon");
  g_assert_cmpstr (value, ==, name);
  label = sc_profile_get_label_settings (sc_profile_file_get_profile (file));
  g_assert_cmpstr (label->icon_path, ==, copied);

  /* The same file again: the copy there is used. */
  again = sc_profile_file_import_icon (file, src, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, name);
  g_assert_cmpuint (count_files (f->dir), ==, 5);

  /* Another icon of the same name never replaces the one there. */
  write_file (src, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>", -1);
  other = sc_profile_file_import_icon (file, src, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (other, ==, "KP2-FFS-icon-2.svg");
  kept = read_file (copied);
  g_assert_cmpstr (kept, ==, SVG_ICON);

  sc_test_rmdir (src_dir);
}

/* A PNG is known by its bytes, whatever its name says. */
static void
test_icon_png (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(ScProfileFile) file = open_file (f);
  g_autofree char *src_dir = sc_test_tmpdir ();
  g_autofree char *src = make_png (src_dir, "icon.PNG", 48);
  g_autofree char *name = NULL;
  g_autoptr(ScProfile) reloaded = NULL;
  g_autoptr(GError) error = NULL;

  name = sc_profile_file_import_icon (file, src, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, "icon.png");
  reloaded = sc_test_load_profile (f->dir);
  g_assert_true (g_str_has_suffix (sc_profile_get_label_settings (reloaded)->icon_path, "/icon.png"));
  sc_test_rmdir (src_dir);
}

/* A refused icon leaves neither a copy nor a change. */
static void
assert_icon_refused (Fixture    *f,
                     const char *src)
{
  g_autoptr(ScProfileFile) file = open_file (f);
  g_autofree char *before = read_file (f->path);
  g_autofree char *after = NULL;
  g_autoptr(GError) error = NULL;
  guint files = count_files (f->dir);

  g_assert_null (sc_profile_file_import_icon (file, src, &error));
  g_assert_error (error, SC_PROFILE_FILE_ERROR, SC_PROFILE_FILE_ERROR_ICON);
  g_test_message ("%s", error->message);
  after = read_file (f->path);
  g_assert_cmpstr (after, ==, before);
  g_assert_cmpuint (count_files (f->dir), ==, files);
}

static void
test_icon_too_large (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *src_dir = sc_test_tmpdir ();
  g_autofree char *src = g_build_filename (src_dir, "big.svg", NULL);
  g_autoptr(GString) svg = g_string_new ("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"8\" height=\"8\">");

  while (svg->len <= SC_PROFILE_FILE_ICON_MAX_BYTES)
    g_string_append (svg, "<!-- padding padding padding padding padding padding padding -->\n");
  g_string_append (svg, "</svg>");
  write_file (src, svg->str, svg->len);
  assert_icon_refused (f, src);
  sc_test_rmdir (src_dir);
}

static void
test_icon_not_an_image (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *src_dir = sc_test_tmpdir ();
  g_autofree char *src = g_build_filename (src_dir, "icon.svg", NULL);

  write_file (src, "This is a text file, not an icon.\n", -1);
  assert_icon_refused (f, src);
  sc_test_rmdir (src_dir);
}

static void
test_icon_broken_png (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *src_dir = sc_test_tmpdir ();
  g_autofree char *good = make_png (src_dir, "good.png", 48);
  g_autofree char *src = g_build_filename (src_dir, "broken.png", NULL);
  g_autofree char *bytes = NULL;
  gsize length = 0;

  /* A PNG cut off in the middle. */
  g_assert_true (g_file_get_contents (good, &bytes, &length, NULL));
  write_file (src, bytes, length / 2);
  assert_icon_refused (f, src);
  sc_test_rmdir (src_dir);
}

static void
test_icon_too_many_pixels (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *src_dir = sc_test_tmpdir ();
  g_autofree char *src = make_png (src_dir, "huge.png", 4097);

  assert_icon_refused (f, src);
  sc_test_rmdir (src_dir);
}

static void
test_icon_empty (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *src_dir = sc_test_tmpdir ();
  g_autofree char *src = g_build_filename (src_dir, "empty.svg", NULL);

  write_file (src, "", 0);
  assert_icon_refused (f, src);
  sc_test_rmdir (src_dir);
}

static void
test_icon_not_a_file (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *src_dir = sc_test_tmpdir ();

  assert_icon_refused (f, src_dir);
  sc_test_rmdir (src_dir);
}

/* ------------------------------------------------------------- problems */

static void
test_problems_from_error (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) other = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "\n  [a] b: c");
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GPtrArray) none = NULL;
  g_autoptr(ScProfile) profile = sc_profile_new_from_data ("[product]\npid=x\n[colour]\nred=1\n", -1, NULL, &error);
  const ScProfileProblem *p;

  g_assert_null (profile);
  problems = sc_profile_problems_from_error (error);
  /* [colour] *, name, device-type-id, pid, [dak] uri, chain, trust-anchor */
  g_assert_cmpuint (problems->len, ==, 7);
  p = g_ptr_array_index (problems, 0);
  g_assert_cmpstr (p->group, ==, "colour");
  g_assert_cmpstr (p->key, ==, "*");
  g_assert_cmpstr (p->message, ==, "unknown group");
  p = g_ptr_array_index (problems, 3);
  g_assert_cmpstr (p->group, ==, "product");
  g_assert_cmpstr (p->key, ==, "pid");
  none = sc_profile_problems_from_error (other);
  g_assert_cmpuint (none->len, ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add ("/sc/profile-file/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("round-trip", test_round_trip);
  ADD ("add-and-clear", test_add_and_clear);
  ADD ("bad/pid", test_bad_pid);
  ADD ("bad/device-type-id", test_bad_device_type_id);
  ADD ("bad/pin-length", test_bad_pin_length);
  ADD ("bad/key-origin", test_bad_key_origin);
  ADD ("bad/serial-pattern", test_bad_serial_pattern);
  ADD ("bad/clear-required", test_clear_required);
  ADD ("bad/unknown-key", test_unknown_key);
  ADD ("bad/key-name", test_bad_key_name);
  ADD ("several-all-or-none", test_several_all_or_none);
  ADD ("mend", test_mend);
  ADD ("mode-and-link", test_mode_and_link);
  ADD ("changed-on-disk", test_changed_on_disk);
  ADD ("removed-on-disk", test_removed_on_disk);
  ADD ("not-a-key-file", test_not_a_key_file);
  ADD ("atomic-replace", test_atomic_replace);
  ADD ("icon/svg", test_icon_svg);
  ADD ("icon/png", test_icon_png);
  ADD ("icon/too-large", test_icon_too_large);
  ADD ("icon/not-an-image", test_icon_not_an_image);
  ADD ("icon/broken-png", test_icon_broken_png);
  ADD ("icon/too-many-pixels", test_icon_too_many_pixels);
  ADD ("icon/empty", test_icon_empty);
  ADD ("icon/not-a-file", test_icon_not_a_file);
#undef ADD
  g_test_add_func ("/sc/profile-file/problems-from-error", test_problems_from_error);

  return g_test_run ();
}
