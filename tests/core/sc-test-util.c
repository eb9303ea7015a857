/* sc-test-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>

#include "sc-test-util.h"

char *
sc_test_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("sc-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
sc_test_rmdir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        sc_test_rmdir (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}

char *
sc_test_training (const ScTrainingOptions *options)
{
  ScTrainingOptions defaults = { 0 };
  g_autoptr(GError) error = NULL;
  char *dir = sc_test_tmpdir ();

  g_assert_true (_sc_training_create_full (dir, options ? options : &defaults, &error));
  g_assert_no_error (error);
  return dir;
}

ScProfile *
sc_test_load_profile (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "product.profile", NULL);
  g_autoptr(GError) error = NULL;
  ScProfile *profile = sc_profile_new_from_file (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (profile);
  return profile;
}

void
sc_test_set_profile_key (const char *dir,
                         const char *group,
                         const char *key,
                         const char *value)
{
  g_autofree char *path = g_build_filename (dir, "product.profile", NULL);
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) error = NULL;

  g_key_file_load_from_file (kf, path, G_KEY_FILE_KEEP_COMMENTS, &error);
  g_assert_no_error (error);
  g_key_file_set_value (kf, group, key, value);
  g_key_file_save_to_file (kf, path, &error);
  g_assert_no_error (error);
}
