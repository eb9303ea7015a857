/* test-file-set.c: all of a set of files, or none
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <sys/stat.h>

#include <glib/gstdio.h>

#include "sc-test-util.h"

static guint
count_entries (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  g_assert_nonnull (d);
  while (g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static void
test_commit (void)
{
  g_autofree char *dir = sc_test_tmpdir ();
  g_autofree char *secret = g_build_filename (dir, "secret", NULL);
  g_autoptr(ScFileSet) set = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  GStatBuf st;

  set = sc_file_set_new (dir, &error);
  g_assert_no_error (error);
  g_assert_true (sc_file_set_add (set, "public", "a", 1, 0644, &error));
  g_assert_true (sc_file_set_add (set, "secret", "b", 1, 0600, &error));
  /* Nothing is visible before the commit but the staging folder. */
  g_assert_false (g_file_test (secret, G_FILE_TEST_EXISTS));
  g_assert_true (sc_file_set_commit (set, &error));
  g_assert_no_error (error);
  g_clear_pointer (&set, sc_file_set_free);

  g_assert_cmpuint (count_entries (dir), ==, 2);
  g_assert_true (g_file_get_contents (secret, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "b");
  g_assert_cmpint (g_stat (secret, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  sc_test_rmdir (dir);
}

static void
test_existing_file_untouched (void)
{
  g_autofree char *dir = sc_test_tmpdir ();
  g_autofree char *second = g_build_filename (dir, "second", NULL);
  g_autoptr(ScFileSet) set = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  g_assert_true (g_file_set_contents (second, "old", -1, NULL));

  set = sc_file_set_new (dir, &error);
  g_assert_true (sc_file_set_add (set, "first", "new", 3, 0644, &error));
  g_assert_true (sc_file_set_add (set, "second", "new", 3, 0644, &error));
  g_assert_true (sc_file_set_add (set, "third", "new", 3, 0644, &error));
  g_assert_false (sc_file_set_commit (set, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_pointer (&set, sc_file_set_free);

  /* “first” was moved before “second” failed; it must be gone again. */
  g_assert_cmpuint (count_entries (dir), ==, 1);
  g_assert_true (g_file_get_contents (second, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "old");
  sc_test_rmdir (dir);
}

static void
test_mode_exact (void)
{
  g_autofree char *dir = sc_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "new", NULL);
  g_autofree char *pub = g_build_filename (out, "public", NULL);
  g_autoptr(ScFileSet) set = NULL;
  g_autoptr(GError) error = NULL;
  mode_t old = umask (077);
  GStatBuf st;

  /* A umask cannot change the mode asked for, in either direction. */
  set = sc_file_set_new (out, &error);
  g_assert_true (sc_file_set_add (set, "public", "a", 1, 0644, &error));
  g_assert_true (sc_file_set_commit (set, &error));
  g_assert_no_error (error);
  umask (old);
  g_assert_cmpint (g_stat (pub, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0644);
  /* A new folder appears whole, and private. */
  g_assert_cmpint (g_stat (out, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  g_assert_cmpuint (count_entries (dir), ==, 1);
  sc_test_rmdir (dir);
}

static void
test_new_folder_raced (void)
{
  g_autofree char *dir = sc_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "unit", NULL);
  g_autofree char *theirs = g_build_filename (out, "theirs", NULL);
  g_autoptr(ScFileSet) set = NULL;
  g_autoptr(GError) error = NULL;

  set = sc_file_set_new (out, &error);
  g_assert_true (sc_file_set_add (set, "device.key", "k", 1, 0600, &error));
  /* Someone else makes the folder first: nothing of ours lands in it. */
  g_assert_cmpint (g_mkdir (out, 0755), ==, 0);
  g_assert_true (g_file_set_contents (theirs, "x", 1, NULL));
  g_assert_false (sc_file_set_commit (set, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_pointer (&set, sc_file_set_free);
  g_assert_cmpuint (count_entries (out), ==, 1);
  g_assert_cmpuint (count_entries (dir), ==, 1);
  sc_test_rmdir (dir);
}

static void
test_abandoned (void)
{
  g_autofree char *dir = sc_test_tmpdir ();
  g_autoptr(GError) error = NULL;
  ScFileSet *set = sc_file_set_new (dir, &error);

  g_assert_true (sc_file_set_add (set, "x", "1", 1, 0600, &error));
  sc_file_set_free (set);
  g_assert_cmpuint (count_entries (dir), ==, 0);
  sc_test_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sc/file-set/commit", test_commit);
  g_test_add_func ("/sc/file-set/existing-file-untouched", test_existing_file_untouched);
  g_test_add_func ("/sc/file-set/abandoned", test_abandoned);
  g_test_add_func ("/sc/file-set/mode-exact", test_mode_exact);
  g_test_add_func ("/sc/file-set/new-folder-raced", test_new_folder_raced);

  return g_test_run ();
}
