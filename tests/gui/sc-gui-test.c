/* sc-gui-test.c: shared by the widget tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "sc-gui-test.h"
#include "sc-test-util.h"

char *
sc_gui_test_init (int    *argc,
                  char ***argv)
{
  char *data_home = sc_test_tmpdir ();

  /* Before anything reads it: GLib caches the user data dir. */
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  gtk_test_init (argc, argv, NULL);
  adw_init ();
  return data_home;
}

void
sc_gui_test_cleanup (char *data_home)
{
  sc_test_rmdir (data_home);
  g_free (data_home);
}

static gboolean
timeout_cb (gpointer data)
{
  gboolean *expired = data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
sc_gui_test_wait (ScGuiTestCondition condition,
                  gpointer           data,
                  guint              timeout_s)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add_seconds (timeout_s, timeout_cb, &expired);

  while (!condition (data) && !expired)
    g_main_context_iteration (NULL, TRUE);

  if (!expired)
    g_source_remove (id);
  return condition (data);
}

GtkWindow *
sc_gui_test_window (GtkWidget *child,
                    int        width,
                    int        height)
{
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());

  gtk_window_set_default_size (window, width, height);
  gtk_window_set_child (window, child);
  gtk_window_present (window);
  return window;
}
