/* sc-gui-test.c: shared by the widget tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "sc-defaults.h"
#include "sc-gui-test.h"
#include "sc-test-util.h"

char *
sc_gui_test_init (int    *argc,
                  char ***argv)
{
  char *data_home = sc_test_tmpdir ();

  /* Before anything reads it: GLib caches the user data dir. */
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  /* The core's waiting calls (store, device, DAK, printer, decode-back)
   * made from inside the main loop are criticals, fatal here: the pages
   * must run them on worker threads (sc-blocking-private.h). */
  g_setenv ("SC_CHECK_MAIN_LOOP", "1", TRUE);
  gtk_test_init (argc, argv, NULL);
  adw_init ();
  /* No blinking cursor: GTK 4.8 checks at each blink that a text field
   * still has the focus, and warns (fatally, in these tests) when the
   * focus left it without the event it expects: a field switched off
   * while focused (GTK issue 5845), or a window activated and deactivated
   * in quick succession under Xvfb, which has no window manager. It
   * failed the provision-page test now and then on a loaded machine. What
   * the tests check about the focus they assert directly. */
  g_object_set (gtk_settings_get_default (), "gtk-cursor-blink", FALSE, NULL);
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

ScSigner *
sc_gui_test_pin_signer (const char *pin,
                        int         retries)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScProfile) profile = sc_defaults_load_training_profile (&error);
  g_autoptr(ScSigner) inner = NULL;

  g_assert_no_error (error);
  inner = sc_software_signer_new (sc_profile_get_dak_key_path (profile), sc_profile_get_dak_chain_path (profile),
                                  &error);
  g_assert_no_error (error);
  return sc_test_pin_signer_new (inner, pin, retries);
}

ScStation *
sc_gui_test_station (ScSigner   *signer,
                     const char *device_uri)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScProfile) profile = sc_defaults_load_training_profile (&error);
  g_autoptr(ScDak) dak = NULL;
  g_autoptr(ScStore) store = NULL;
  g_autoptr(ScStationSecret) secret = NULL;
  g_autoptr(ScPrinter) printer = NULL;
  g_autofree char *data_dir = sc_defaults_get_data_dir ();
  g_autofree char *key_path = g_build_filename (data_dir, "station.key", NULL);

  g_assert_no_error (error);
  dak = signer ? sc_dak_new (profile, signer, &error) : sc_dak_new_for_profile (profile, &error);
  g_assert_no_error (error);
  store = sc_store_open (NULL, &error);
  g_assert_no_error (error);
  secret = sc_station_secret_load (key_path, &error);
  g_assert_no_error (error);
  printer = sc_printer_open (NULL, &error);
  g_assert_no_error (error);
  return sc_station_new (profile, dak, store, secret, printer, device_uri, NULL);
}
