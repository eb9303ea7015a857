/* test-station-panel.c: the station status panel says what is there and
 * what is missing
 *
 * The embedded training station (real store, printer and simulated unit)
 * in a temporary $XDG_DATA_HOME; the DAK is the training software DAK or,
 * for the PIN cases, the test PIN signer over it (sc-test-pin-signer.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>

#include "sc-gui-test.h"
#include "sc-station-panel.h"

#define TIMEOUT_S 60

static char *data_home;

typedef struct
{
  GtkWindow      *window;
  ScStationPanel *panel;
  guint           blocker_changes;
} Fixture;

static GtkWidget *
child (ScStationPanel *panel,
       const char     *name)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (panel), SC_TYPE_STATION_PANEL, name);

  g_assert_nonnull (object);
  return GTK_WIDGET (object);
}

static const char *
label_text (ScStationPanel *panel,
            const char     *name)
{
  return gtk_label_get_label (GTK_LABEL (child (panel, name)));
}

static gboolean
panel_checked (gpointer data)
{
  return sc_station_panel_get_checked (data);
}

static void
blocker_changed_cb (ScStationPanel *panel,
                    GParamSpec     *pspec,
                    Fixture        *f)
{
  f->blocker_changes++;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->panel = SC_STATION_PANEL (g_object_ref_sink (sc_station_panel_new ()));
  /* Only explicit refreshes, unless a test asks for the timer. */
  sc_station_panel_set_refresh_interval (f->panel, 0);
  g_signal_connect (f->panel, "notify::blocker", G_CALLBACK (blocker_changed_cb), f);
  f->window = sc_gui_test_window (GTK_WIDGET (f->panel), 900, 200);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gtk_window_destroy (f->window);
  g_assert_finalize_object (f->panel);
}

/* Sets @station, waits for its first check. */
static void
use_station (Fixture   *f,
             ScStation *station)
{
  g_assert_false (sc_station_panel_get_checked (f->panel));
  sc_station_panel_set_station (f->panel, station);
  sc_station_free (station);   /* the panel keeps what it needs */
  g_assert_true (sc_gui_test_wait (panel_checked, f->panel, TIMEOUT_S));
}

static gboolean
blocker_changed (gpointer data)
{
  Fixture *f = data;

  return f->blocker_changes > 0;
}

static void
refreshed_cb (ScStationPanel *panel,
              guint          *count)
{
  (*count)++;
}

static gboolean
count_reached (gpointer data)
{
  guint *count = data;

  return *count > 0;
}

/* Checks again (the timer is off, so no other check is under way) and
 * waits until the check has come back. */
static void
refresh (Fixture *f)
{
  guint count = 0;
  gulong id = g_signal_connect (f->panel, "refreshed", G_CALLBACK (refreshed_cb), &count);

  sc_station_panel_refresh (f->panel);
  g_assert_true (sc_gui_test_wait (count_reached, &count, TIMEOUT_S));
  g_assert_cmpuint (count, ==, 1);
  g_signal_handler_disconnect (f->panel, id);
}

static void
test_software_dak (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  ScStation *station = sc_gui_test_station (NULL, NULL);
  g_autofree char *printer = sc_printer_describe (station->printer);
  g_autofree char *store = sc_store_describe (station->store);

  use_station (f, station);

  /* A software DAK: present, no PIN, always unlocked. Nothing missing. */
  g_assert_true (sc_station_panel_get_dak_present (f->panel));
  g_assert_false (sc_station_panel_get_dak_needs_pin (f->panel));
  g_assert_true (sc_station_panel_get_dak_unlocked (f->panel));
  g_assert_cmpint (sc_station_panel_get_dak_pin_retries (f->panel), ==, -1);
  g_assert_true (sc_station_panel_get_fixture_present (f->panel));
  g_assert_null (sc_station_panel_get_blocker (f->panel));

  g_assert_cmpstr (label_text (f->panel, "dak_label"), ==, "Ready · Training DAK for TRAININGDEVICE");
  g_assert_nonnull (strstr (gtk_widget_get_tooltip_text (child (f->panel, "dak_label")), "software DAK"));
  g_assert_cmpstr (label_text (f->panel, "fixture_label"), ==, "Simulated unit (sim:)");
  g_assert_cmpstr (label_text (f->panel, "printer_label"), ==, printer);
  g_assert_cmpstr (label_text (f->panel, "database_label"), ==, store);
  g_assert_true (gtk_widget_has_css_class (child (f->panel, "dak_item"), "ok"));
  g_assert_false (gtk_widget_get_visible (child (f->panel, "unlock_button")));
  g_assert_false (gtk_widget_get_visible (child (f->panel, "lock_button")));
}

static void
test_pin_dak (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(ScSigner) signer = sc_gui_test_pin_signer ("123456", 3);
  g_autoptr(ScSecret) pin = sc_secret_new_from_string ("123456");
  g_autoptr(GError) error = NULL;

  use_station (f, sc_gui_test_station (signer, NULL));

  /* Locked at the start of a shift: the scan waits for the PIN. */
  g_assert_true (sc_station_panel_get_dak_present (f->panel));
  g_assert_true (sc_station_panel_get_dak_needs_pin (f->panel));
  g_assert_false (sc_station_panel_get_dak_unlocked (f->panel));
  g_assert_cmpint (sc_station_panel_get_dak_pin_retries (f->panel), ==, 3);
  g_assert_cmpstr (sc_station_panel_get_blocker (f->panel), ==,
                   "The DAK is locked: unlock it with its PIN to start provisioning.");
  g_assert_cmpstr (label_text (f->panel, "dak_label"), ==, "Locked, 3 PIN tries left · Training DAK for TRAININGDEVICE · token 4242");
  g_assert_true (gtk_widget_has_css_class (child (f->panel, "dak_item"), "missing"));
  g_assert_true (gtk_widget_get_visible (child (f->panel, "unlock_button")));
  g_assert_false (gtk_widget_get_visible (child (f->panel, "lock_button")));

  /* Unlocked: nothing missing, and a lock button instead. */
  g_assert_true (sc_signer_unlock (signer, pin, NULL, &error));
  g_assert_no_error (error);
  refresh (f);
  g_assert_true (sc_station_panel_get_dak_unlocked (f->panel));
  g_assert_null (sc_station_panel_get_blocker (f->panel));
  g_assert_cmpstr (label_text (f->panel, "dak_label"), ==, "Unlocked · Training DAK for TRAININGDEVICE · token 4242");
  g_assert_true (gtk_widget_has_css_class (child (f->panel, "dak_item"), "ok"));
  g_assert_false (gtk_widget_get_visible (child (f->panel, "unlock_button")));
  g_assert_true (gtk_widget_get_visible (child (f->panel, "lock_button")));

  /* Locked again. */
  sc_signer_lock (signer);
  refresh (f);
  g_assert_false (sc_station_panel_get_dak_unlocked (f->panel));
  g_assert_nonnull (sc_station_panel_get_blocker (f->panel));
}

static void
test_pin_last_try (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(ScSigner) signer = sc_gui_test_pin_signer ("123456", 1);

  use_station (f, sc_gui_test_station (signer, NULL));

  /* One try left: no unlock button; the sentence says whom to ask. */
  g_assert_cmpint (sc_station_panel_get_dak_pin_retries (f->panel), ==, 1);
  g_assert_nonnull (strstr (sc_station_panel_get_blocker (f->panel), "one PIN try left"));
  g_assert_false (gtk_widget_get_visible (child (f->panel, "unlock_button")));
}

static void
test_pin_blocked (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(ScSigner) signer = sc_gui_test_pin_signer ("123456", 0);

  use_station (f, sc_gui_test_station (signer, NULL));

  g_assert_cmpint (sc_station_panel_get_dak_pin_retries (f->panel), ==, 0);
  g_assert_nonnull (strstr (sc_station_panel_get_blocker (f->panel), "PIN is blocked"));
  g_assert_true (g_str_has_prefix (label_text (f->panel, "dak_label"), "PIN blocked · "));
  g_assert_false (gtk_widget_get_visible (child (f->panel, "unlock_button")));
}

static void
test_token_removed (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(ScSigner) signer = sc_gui_test_pin_signer ("123456", 3);
  g_autoptr(ScSecret) pin = sc_secret_new_from_string ("123456");
  g_autoptr(GError) error = NULL;

  g_assert_true (sc_signer_unlock (signer, pin, NULL, &error));
  use_station (f, sc_gui_test_station (signer, NULL));
  g_assert_null (sc_station_panel_get_blocker (f->panel));

  /* Pulled out: what to plug in, named. */
  sc_test_pin_signer_set_present (SC_TEST_PIN_SIGNER (signer), FALSE);
  refresh (f);
  g_assert_false (sc_station_panel_get_dak_present (f->panel));
  g_assert_cmpstr (sc_station_panel_get_blocker (f->panel), ==,
                   "The DAK is not there: plug in the DAK token (test DAK token 4242) and wait until it shows as "
                   "ready here.");
  g_assert_true (g_str_has_prefix (label_text (f->panel, "dak_label"), "Not found · "));
  g_assert_false (gtk_widget_get_visible (child (f->panel, "unlock_button")));
  g_assert_false (gtk_widget_get_visible (child (f->panel, "lock_button")));
}

static void
test_fixture_missing (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *node = g_build_filename (data_home, "ttyFIXTURE", NULL);
  g_autofree char *uri = g_strdup_printf ("serial://%s?baud=115200", node);

  use_station (f, sc_gui_test_station (NULL, uri));

  /* A serial fixture whose device node is not there. */
  g_assert_false (sc_station_panel_get_fixture_present (f->panel));
  g_assert_true (gtk_widget_has_css_class (child (f->panel, "fixture_item"), "missing"));
  g_assert_nonnull (strstr (label_text (f->panel, "fixture_label"), "not found"));
  g_assert_nonnull (strstr (sc_station_panel_get_blocker (f->panel), "The fixture is not connected: plug in serial://"));

  /* Plugged in: found at the next check. */
  g_assert_true (g_file_set_contents (node, "", 0, NULL));
  refresh (f);
  g_assert_true (sc_station_panel_get_fixture_present (f->panel));
  g_assert_null (sc_station_panel_get_blocker (f->panel));
  g_assert_nonnull (strstr (label_text (f->panel, "fixture_label"), "connected"));
  g_unlink (node);
}

/* The timer finds a change by itself, off the main loop. */
static void
test_timer (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(ScSigner) signer = sc_gui_test_pin_signer ("123456", 3);
  g_autoptr(ScSecret) pin = sc_secret_new_from_string ("123456");
  g_autoptr(GError) error = NULL;

  g_assert_true (sc_signer_unlock (signer, pin, NULL, &error));
  use_station (f, sc_gui_test_station (signer, NULL));
  g_assert_null (sc_station_panel_get_blocker (f->panel));

  f->blocker_changes = 0;
  sc_station_panel_set_refresh_interval (f->panel, 50);
  sc_test_pin_signer_set_present (SC_TEST_PIN_SIGNER (signer), FALSE);
  g_assert_true (sc_gui_test_wait (blocker_changed, f, TIMEOUT_S));
  g_assert_false (sc_station_panel_get_dak_present (f->panel));
}

int
main (int   argc,
      char *argv[])
{
  int status;

  data_home = sc_gui_test_init (&argc, &argv);

  g_test_add ("/sc/station-panel/software-dak", Fixture, NULL, fixture_setup, test_software_dak, fixture_teardown);
  g_test_add ("/sc/station-panel/pin-dak", Fixture, NULL, fixture_setup, test_pin_dak, fixture_teardown);
  g_test_add ("/sc/station-panel/pin-last-try", Fixture, NULL, fixture_setup, test_pin_last_try, fixture_teardown);
  g_test_add ("/sc/station-panel/pin-blocked", Fixture, NULL, fixture_setup, test_pin_blocked, fixture_teardown);
  g_test_add ("/sc/station-panel/token-removed", Fixture, NULL, fixture_setup, test_token_removed, fixture_teardown);
  g_test_add ("/sc/station-panel/fixture-missing", Fixture, NULL, fixture_setup, test_fixture_missing,
              fixture_teardown);
  g_test_add ("/sc/station-panel/timer", Fixture, NULL, fixture_setup, test_timer, fixture_teardown);

  status = g_test_run ();
  sc_gui_test_cleanup (data_home);
  return status;
}
