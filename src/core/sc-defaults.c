/* sc-defaults.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>

#include "sc-defaults.h"
#include "sc-training.h"

char *
sc_defaults_get_data_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), "setup-console", NULL);
}

ScProfile *
sc_defaults_load_training_profile (GError **error)
{
  g_autofree char *data_dir = sc_defaults_get_data_dir ();
  g_autofree char *dir = g_build_filename (data_dir, "training", NULL);
  g_autofree char *path = g_build_filename (dir, "product.profile", NULL);
  g_autoptr(GError) local_error = NULL;

  if (!g_file_test (path, G_FILE_TEST_EXISTS) &&
      !sc_training_create (dir, &local_error))
    {
      /* Another process may have made it in the meantime; that is fine. */
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
    }

  return sc_profile_new_from_file (path, error);
}
