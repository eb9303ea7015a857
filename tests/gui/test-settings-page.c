/* test-settings-page.c: the admin's page edits a real profile file, tests
 * the real DAK, device link, printer and database, and applies settings
 *
 * Everything is real: the embedded training station made fresh in a
 * temporary $XDG_DATA_HOME, a product line's profile made by the core's
 * training code in a folder of its own (the file the page edits), the
 * in-process simulated unit, a file printer, SQLite. GSettings is the memory
 * backend, reset before each test.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "sc-core.h"
#include "sc-gui-test.h"
#include "sc-settings-page.h"
#include "sc-test-util.h"

#define TIMEOUT_S 120

static char *data_home;

typedef struct
{
  GtkWindow      *window;
  ScSettingsPage *page;
  char           *line_dir;       /* a product line's profile and DAK */
  char           *profile;        /* its product.profile */
  guint           applied;
} Fixture;

static void
reset_settings (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  const char *keys[] = { "profile-path", "dak-uri", "device-uri", "printer-uri", "store-uri" };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    g_settings_reset (settings, keys[i]);
  sc_station_config_publish (NULL);
}

/* What is saved in GSettings, as a GSettings of its own reads it. */
static char *
saved_setting (const char *key)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);

  return g_settings_get_string (settings, key);
}

static char *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static gboolean
page_idle (gpointer data)
{
  return !sc_settings_page_get_busy (data);
}

static void
wait_idle (Fixture *f)
{
  g_assert_true (sc_gui_test_wait (page_idle, f->page, TIMEOUT_S));
}

static void
applied_cb (ScSettingsPage *page,
            Fixture        *f)
{
  f->applied++;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  reset_settings ();
  f->line_dir = sc_test_tmpdir ();
  g_assert_true (sc_training_create (f->line_dir, &error));
  g_assert_no_error (error);
  f->profile = g_build_filename (f->line_dir, "product.profile", NULL);

  f->page = SC_SETTINGS_PAGE (g_object_ref_sink (sc_settings_page_new ()));
  g_signal_connect (f->page, "applied", G_CALLBACK (applied_cb), f);
  f->window = sc_gui_test_window (GTK_WIDGET (f->page), 1280, 800);
  wait_idle (f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  wait_idle (f);
  gtk_window_destroy (f->window);
  g_assert_finalize_object (f->page);
  sc_test_rmdir (f->line_dir);
  g_free (f->line_dir);
  g_free (f->profile);
}

static void
open_profile (Fixture *f)
{
  gtk_widget_activate_action (GTK_WIDGET (f->page), "settings.open-profile", "s", f->profile);
  wait_idle (f);
  g_assert_cmpstr (sc_settings_page_get_profile_path (f->page), ==, f->profile);
}

static void
set_field (Fixture    *f,
           const char *group,
           const char *key,
           const char *text)
{
  gtk_widget_activate_action (GTK_WIDGET (f->page), "settings.set-field", "(sss)", group, key, text);
  wait_idle (f);
}

static void
set_uri (Fixture    *f,
         const char *which,
         const char *uri)
{
  gtk_widget_activate_action (GTK_WIDGET (f->page), "settings.set-uri", "(ss)", which, uri);
}

static char *
result (Fixture    *f,
        const char *name)
{
  char *text = NULL;

  g_object_get (f->page, name, &text, NULL);
  g_assert_nonnull (text);
  g_test_message ("%s: %s", name, text);
  return text;
}

static gboolean
ok (Fixture    *f,
    const char *name)
{
  gboolean value = FALSE;

  g_object_get (f->page, name, &value, NULL);
  return value;
}

/* --------------------------------------------------------------- profile */

/* With nothing set, the embedded training profile is shown, not edited. */
static void
test_training_profile_shown (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScProfile) training = sc_defaults_load_training_profile (&error);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  g_assert_no_error (error);
  g_assert_null (sc_settings_page_get_profile_path (f->page));
  g_assert_cmpstr (sc_settings_page_get_field_text (f->page, "product", "name"), ==, "Training product");
  g_assert_cmpstr (sc_settings_page_get_field_text (f->page, "product", "pid"), ==, SC_TRAINING_PID);
  g_assert_cmpstr (sc_settings_page_get_field_text (f->page, "keys", "origin"), ==, "device");
  g_assert_false (sc_settings_page_get_needs_apply (f->page));

  /* A change to it is refused, and its file stays as it was. */
  before = read_file (sc_profile_get_path (training));
  set_field (f, "product", "name", "Not the training product");
  g_assert_nonnull (strstr (sc_settings_page_get_status (f->page), "not edited here"));
  after = read_file (sc_profile_get_path (training));
  g_assert_cmpstr (after, ==, before);
}

/* A bad value: the validator's sentence under the field, the file untouched,
 * the value left in the field to be fixed. */
static void
test_bad_field (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *before = read_file (f->profile);
  g_autofree char *after = NULL;

  open_profile (f);
  g_assert_null (sc_settings_page_get_field_error (f->page, "product", "pid"));
  set_field (f, "product", "pid", "ebK");
  g_assert_cmpstr (sc_settings_page_get_field_error (f->page, "product", "pid"), ==,
                   "must be exactly 4 letters or digits, like ebK3");
  g_assert_cmpstr (sc_settings_page_get_field_text (f->page, "product", "pid"), ==, "ebK");
  g_assert_nonnull (strstr (sc_settings_page_get_status (f->page), "must be exactly 4 letters or digits"));
  after = read_file (f->profile);
  g_assert_cmpstr (after, ==, before);

  /* Apply waits until the field is fixed. */
  gtk_widget_activate_action (GTK_WIDGET (f->page), "settings.apply", NULL);
  wait_idle (f);
  g_assert_cmpuint (f->applied, ==, 0);
  g_assert_nonnull (strstr (sc_settings_page_get_status (f->page), "fix the fields marked in red"));

  /* Fixed, the sentence goes. */
  set_field (f, "product", "pid", "ebK3");
  g_assert_null (sc_settings_page_get_field_error (f->page, "product", "pid"));
  g_free (after);
  after = read_file (f->profile);
  g_assert_nonnull (strstr (after, "\npid=ebK3\n"));
}

/* Each field's own rule, each its own sentence. */
static void
test_bad_fields_each (Fixture       *f,
                      gconstpointer  data)
{
  static const struct { const char *group, *key, *value, *sentence; } cases[] = {
    { "product", "device-type-id", "a13", "must be 4 to 32 upper-case letters and digits, like A13HOHDXTVQYZO" },
    { "product", "name", "", "is required" },
    { "pin", "length", "40", "must be a whole number from 6 to 32" },
    { "pin", "alphabet", "ABC", "must have at least 10 characters" },
    { "printer", "darkness", "31", "must be a whole number from 0 to 30" },
    { "printer", "x-offset", "3 inches", "must be a length like 1.5mm or 12dots" },
    { "printer", "uri", "lpt://1", NULL },
    { "csr", "allowed-extensions", "basicConstraints", "“basicConstraints” may never be allowed in a device CSR" },
    { "csr", "require-dsn", "maybe", "must be true or false" },
    { "device", "flasher-timeout", "0", "must be a whole number from 1 to 3600" },
    { "label", "symbology", "aztec", "must be datamatrix or qr" },
    { "label", "package-code", "841667145076", "has a wrong check digit" },
    { "label", "product-min-mm", "0", "must be a size in millimetres from 1 to 200" },
  };
  g_autofree char *before = read_file (f->profile);

  open_profile (f);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *after = NULL;
      const char *error;

      set_field (f, cases[i].group, cases[i].key, cases[i].value);
      error = sc_settings_page_get_field_error (f->page, cases[i].group, cases[i].key);
      g_test_message ("[%s] %s=%s: %s", cases[i].group, cases[i].key, cases[i].value, error);
      g_assert_nonnull (error);
      if (cases[i].sentence != NULL)
        g_assert_cmpstr (error, ==, cases[i].sentence);
      after = read_file (f->profile);
      g_assert_cmpstr (after, ==, before);
    }
}

/* A good value is saved, keeping the file's comments, and the station the
 * settings describe loads it. */
static void
test_good_field (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *text = NULL;
  g_autoptr(ScStationConfig) published = NULL;
  g_autoptr(ScStation) station = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *saved = NULL;

  open_profile (f);
  set_field (f, "product", "name", "Kitchen Plug KP-2");
  set_field (f, "keys", "origin", "station");
  set_field (f, "printer", "darkness", "18");
  set_field (f, "label", "package-code", "841667145075");
  g_assert_null (sc_settings_page_get_field_error (f->page, "product", "name"));
  g_assert_null (sc_settings_page_get_field_error (f->page, "label", "package-code"));
  text = read_file (f->profile);
  g_assert_nonnull (strstr (text, "\nname=Kitchen Plug KP-2\n"));
  g_assert_nonnull (strstr (text, "\norigin=station\n"));
  g_assert_nonnull (strstr (text, "\ndarkness=18\n"));
  g_assert_nonnull (strstr (text, "\npackage-code=841667145075\n"));
  g_assert_true (g_str_has_prefix (text, "# A TRAINING product profile"));
  g_assert_cmpstr (sc_settings_page_get_field_text (f->page, "product", "name"), ==, "Kitchen Plug KP-2");
  g_assert_true (sc_settings_page_get_needs_apply (f->page));

  /* Applied: the profile chosen is saved and the station reloads it. */
  gtk_widget_activate_action (GTK_WIDGET (f->page), "settings.apply", NULL);
  wait_idle (f);
  g_assert_cmpuint (f->applied, ==, 1);
  g_assert_false (sc_settings_page_get_needs_apply (f->page));
  saved = saved_setting ("profile-path");
  g_assert_cmpstr (saved, ==, f->profile);
  published = sc_station_config_dup_published ();
  g_assert_nonnull (published);
  g_assert_cmpstr (published->profile_path, ==, f->profile);
  station = sc_station_config_open (published, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sc_profile_get_name (station->profile), ==, "Kitchen Plug KP-2");
  g_assert_cmpint (sc_profile_get_key_origin (station->profile), ==, SC_KEY_ORIGIN_STATION);
  g_assert_cmpint (sc_profile_get_printer_settings (station->profile)->darkness, ==, 18);
  g_assert_cmpstr (sc_profile_get_label_settings (station->profile)->package_code, ==, "841667145075");
}

/* The manufacturer's icon is copied in and named in [label] icon. */
static void
test_import_icon (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *src_dir = sc_test_tmpdir ();
  g_autofree char *src = g_build_filename (src_dir, "kp2-ffs.svg", NULL);
  g_autofree char *copied = g_build_filename (f->line_dir, "kp2-ffs.svg", NULL);
  g_autofree char *text = NULL;
  g_autofree char *bad = g_build_filename (src_dir, "not-an-icon.svg", NULL);
  g_autofree char *after = NULL;
  g_autoptr(ScProfile) profile = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (src, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"16\" height=\"16\">"
                                           "<circle cx=\"8\" cy=\"8\" r=\"6\"/></svg>", -1, NULL));
  open_profile (f);
  gtk_widget_activate_action (GTK_WIDGET (f->page), "settings.import-icon-file", "s", src);
  wait_idle (f);
  g_assert_true (g_file_test (copied, G_FILE_TEST_IS_REGULAR));
  text = read_file (f->profile);
  g_assert_nonnull (strstr (text, "\nicon=kp2-ffs.svg\n"));
  profile = sc_profile_new_from_file (f->profile, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sc_profile_get_label_settings (profile)->icon_path, ==, copied);

  /* Not an image: refused, said, nothing changed. */
  g_assert_true (g_file_set_contents (bad, "hello", -1, NULL));
  g_free (text);
  text = read_file (f->profile);
  gtk_widget_activate_action (GTK_WIDGET (f->page), "settings.import-icon-file", "s", bad);
  wait_idle (f);
  g_assert_nonnull (strstr (sc_settings_page_get_status (f->page), "was not imported"));
  after = read_file (f->profile);
  g_assert_cmpstr (after, ==, text);
  sc_test_rmdir (src_dir);
}

/* ----------------------------------------------------------------- tests */

static void
test_dak_training (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *text = NULL;

  gtk_widget_activate_action (GTK_WIDGET (f->page), "settings.test-dak", NULL);
  g_assert_true (sc_settings_page_get_busy (f->page));
  wait_idle (f);
  text = result (f, "dak-result");
  g_assert_true (ok (f, "dak-ok"));
  g_assert_true (g_str_has_prefix (text, "Present and unlocked"));
  g_assert_nonnull (strstr (text, "\nA training DAK: "));
  g_assert_nonnull (strstr (text, "Expires: "));
  /* Nothing about a PIN is asked: the result is all there is. */
  g_assert_null (strstr (text, "PIN:"));
}

/* A DAK that is not there says why. */
static void
test_dak_missing (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *text = NULL;
  g_autofree char *missing = g_build_filename (f->line_dir, "no-such-dak.key", NULL);

  set_uri (f, "dak", missing);
  gtk_widget_activate_action (GTK_WIDGET (f->page), "settings.test-dak", NULL);
  wait_idle (f);
  text = result (f, "dak-result");
  g_assert_false (ok (f, "dak-ok"));
  g_assert_true (g_str_has_prefix (text, "The DAK cannot be opened: "));
}

/* The training profile's product line, its own DAK: the line's profile
 * chosen, its DAK answers. */
static void
test_dak_line_profile (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *text = NULL;

  open_profile (f);
  gtk_widget_activate_action (GTK_WIDGET (f->page), "settings.test-dak", NULL);
  wait_idle (f);
  text = result (f, "dak-result");
  g_assert_true (ok (f, "dak-ok"));
  g_assert_nonnull (strstr (text, f->line_dir));
}

static void
test_ping_sim (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *text = NULL;

  set_uri (f, "device", "sim:?serial=PINGUNIT000001");
  g_assert_null (sc_settings_page_get_field_error (f->page, "device", "uri"));
  gtk_widget_activate_action (GTK_WIDGET (f->page), "settings.ping-device", NULL);
  wait_idle (f);
  text = result (f, "device-result");
  g_assert_true (ok (f, "device-ok"));
  g_assert_true (g_str_has_prefix (text, "Unit PINGUNIT000001 answered on sim:?serial=PINGUNIT000001."));
  g_assert_nonnull (strstr (text, "Firmware: "));
}

/* Nobody listening: the error, not a hang. */
static void
test_ping_nobody (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *text = NULL;
  guint16 port;

  /* A port that was free a moment ago, and is closed again. */
  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  g_socket_listener_close (listener);
  uri = g_strdup_printf ("tcp://127.0.0.1:%u", port);

  set_uri (f, "device", uri);
  gtk_widget_activate_action (GTK_WIDGET (f->page), "settings.ping-device", NULL);
  wait_idle (f);
  text = result (f, "device-result");
  g_assert_false (ok (f, "device-ok"));
  g_assert_true (g_str_has_prefix (text, "No answer on tcp://127.0.0.1:"));
}

static void
test_print_file (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *dir = sc_test_tmpdir ();
  g_autofree char *uri = g_filename_to_uri (dir, NULL, NULL);
  g_autofree char *text = NULL;
  g_autoptr(GDir) d = NULL;
  const char *name;
  guint n = 0;

  set_uri (f, "printer", uri);
  gtk_widget_activate_action (GTK_WIDGET (f->page), "settings.print-test-label", NULL);
  wait_idle (f);
  text = result (f, "printer-result");
  g_assert_true (ok (f, "printer-ok"));
  g_assert_true (g_str_has_prefix (text, "Printed a test label on "));

  d = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      cairo_surface_t *png;

      g_assert_true (g_str_has_prefix (name, "test-label-") && g_str_has_suffix (name, ".png"));
      png = cairo_image_surface_create_from_png (path);
      g_assert_cmpint (cairo_surface_status (png), ==, CAIRO_STATUS_SUCCESS);
      g_assert_cmpint (cairo_image_surface_get_width (png), >, 0);
      cairo_surface_destroy (png);
      n++;
    }
  g_assert_cmpuint (n, ==, 1);
  sc_test_rmdir (dir);
}

static void
test_store (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *dir = sc_test_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "line3.db", NULL);
  g_autofree char *uri = g_strconcat ("sqlite://", db, NULL);
  g_autofree char *text = NULL;

  set_uri (f, "store", uri);
  gtk_widget_activate_action (GTK_WIDGET (f->page), "settings.test-store", NULL);
  wait_idle (f);
  text = result (f, "store-result");
  g_assert_true (ok (f, "store-ok"));
  g_assert_nonnull (strstr (text, "Units: 0 passed, 0 failed"));
  g_assert_true (g_file_test (db, G_FILE_TEST_IS_REGULAR));
  sc_test_rmdir (dir);
}

/* A URI of the wrong form is never kept. */
static void
test_bad_uris (Fixture       *f,
               gconstpointer  data)
{
  static const struct { const char *which, *key, *uri; } cases[] = {
    { "device", "device-uri", "ftp://fixture" },
    { "printer", "printer-uri", "lpt://1" },
    { "store", "store-uri", "mysql://db/line3" },
    { "dak", "dak-uri", "yubikey://not-a-serial" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      set_uri (f, cases[i].which, cases[i].uri);
      g_test_message ("%s: %s", cases[i].uri, sc_settings_page_get_status (f->page));
      g_assert_true (g_str_has_prefix (sc_settings_page_get_status (f->page), "Not kept: "));
    }
  g_assert_false (sc_settings_page_get_needs_apply (f->page));

  /* Apply refuses while a field holds one. */
  gtk_widget_activate_action (GTK_WIDGET (f->page), "settings.apply", NULL);
  wait_idle (f);
  g_assert_cmpuint (f->applied, ==, 0);
}

/* -------------------------------------------------------------- applying */

static void
test_apply_saves (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *dir = sc_test_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "line3.db", NULL);
  g_autofree char *uri = g_strconcat ("sqlite://", db, NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr(ScStationConfig) published = NULL;

  set_uri (f, "store", uri);
  set_uri (f, "device", "sim:?serial=APPLIEDUNIT0001");
  g_assert_true (sc_settings_page_get_needs_apply (f->page));
  /* Kept until Apply. */
  before = saved_setting ("store-uri");
  g_assert_cmpstr (before, ==, "");

  gtk_widget_activate_action (GTK_WIDGET (f->page), "settings.apply", NULL);
  g_assert_true (sc_settings_page_get_busy (f->page));
  wait_idle (f);
  g_assert_cmpuint (f->applied, ==, 1);
  after = saved_setting ("store-uri");
  g_assert_cmpstr (after, ==, uri);
  published = sc_station_config_dup_published ();
  g_assert_cmpstr (published->store_uri, ==, uri);
  g_assert_cmpstr (published->device_uri, ==, "sim:?serial=APPLIEDUNIT0001");
  g_assert_null (published->profile_path);
  g_assert_null (published->dak_uri);
  sc_test_rmdir (dir);
}

/* Never while a unit runs. */
static void
test_apply_while_busy (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *saved = NULL;

  set_uri (f, "device", "sim:?serial=NOTAPPLIED00001");
  g_object_set (f->page, "station-busy", TRUE, NULL);
  gtk_widget_activate_action (GTK_WIDGET (f->page), "settings.apply", NULL);
  wait_idle (f);
  g_assert_cmpuint (f->applied, ==, 0);
  g_assert_nonnull (strstr (sc_settings_page_get_status (f->page), "a unit is being provisioned"));
  saved = saved_setting ("device-uri");
  g_assert_cmpstr (saved, ==, "");
  g_assert_true (sc_settings_page_get_needs_apply (f->page));

  /* Once it has finished. */
  g_object_set (f->page, "station-busy", FALSE, NULL);
  gtk_widget_activate_action (GTK_WIDGET (f->page), "settings.apply", NULL);
  wait_idle (f);
  g_assert_cmpuint (f->applied, ==, 1);
}

/* A station that does not open is not applied. */
static void
test_apply_refused (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *missing = g_build_filename (f->line_dir, "no-such-dak.key", NULL);
  g_autofree char *saved = NULL;

  set_uri (f, "dak", missing);
  gtk_widget_activate_action (GTK_WIDGET (f->page), "settings.apply", NULL);
  wait_idle (f);
  g_assert_cmpuint (f->applied, ==, 0);
  g_assert_true (g_str_has_prefix (sc_settings_page_get_status (f->page), "Not applied, the station opens as before: "));
  saved = saved_setting ("dak-uri");
  g_assert_cmpstr (saved, ==, "");
  g_assert_null (sc_station_config_dup_published ());
}

static void
test_revert (Fixture       *f,
             gconstpointer  data)
{
  open_profile (f);
  set_uri (f, "device", "sim:?serial=REVERTEDUNIT001");
  g_assert_true (sc_settings_page_get_needs_apply (f->page));
  gtk_widget_activate_action (GTK_WIDGET (f->page), "settings.revert", NULL);
  wait_idle (f);
  g_assert_false (sc_settings_page_get_needs_apply (f->page));
  g_assert_null (sc_settings_page_get_profile_path (f->page));
  g_assert_cmpstr (sc_settings_page_get_field_text (f->page, "product", "name"), ==, "Training product");
}

static const char *
visible (Fixture *f)
{
  GObject *stack = gtk_widget_get_template_child (GTK_WIDGET (f->page), SC_TYPE_SETTINGS_PAGE, "stack");

  return gtk_stack_get_visible_child_name (GTK_STACK (stack));
}

/* Whoever may not change settings sees why, and changes nothing. */
static void
test_refused (Fixture       *f,
              gconstpointer  data)
{
  const char *refusal = "Changing the settings needs an admin; sign in as one";
  g_autofree char *before = read_file (f->profile);
  g_autofree char *after = NULL;
  g_autofree char *dak = NULL;

  open_profile (f);
  g_assert_cmpstr (visible (f), ==, "settings");
  sc_settings_page_set_refusal (f->page, refusal);
  g_assert_cmpstr (visible (f), ==, "locked");

  set_field (f, "product", "name", "Changed by an operator");
  g_assert_cmpstr (sc_settings_page_get_status (f->page), ==, refusal);
  after = read_file (f->profile);
  g_assert_cmpstr (after, ==, before);
  set_uri (f, "device", "sim:?serial=OPERATORUNIT001");
  g_assert_cmpstr (sc_settings_page_get_status (f->page), ==, refusal);
  gtk_widget_activate_action (GTK_WIDGET (f->page), "settings.use-training-profile", NULL);
  wait_idle (f);
  g_assert_cmpstr (sc_settings_page_get_profile_path (f->page), ==, f->profile);
  gtk_widget_activate_action (GTK_WIDGET (f->page), "settings.test-dak", NULL);
  wait_idle (f);
  g_object_get (f->page, "dak-result", &dak, NULL);
  g_assert_null (dak);
  gtk_widget_activate_action (GTK_WIDGET (f->page), "settings.apply", NULL);
  wait_idle (f);
  g_assert_cmpuint (f->applied, ==, 0);

  /* An admin signs in. */
  sc_settings_page_set_refusal (f->page, NULL);
  g_assert_cmpstr (visible (f), ==, "settings");
  set_field (f, "product", "name", "Changed by an admin");
  g_free (after);
  after = read_file (f->profile);
  g_assert_nonnull (strstr (after, "\nname=Changed by an admin\n"));
}

/* Training mode changes no settings: nobody signs in there. */
static void
test_training_mode (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *saved = NULL;

  g_object_set (f->page, "training-mode", TRUE, NULL);
  g_assert_cmpstr (visible (f), ==, "locked");
  set_uri (f, "store", "sqlite:///tmp/training-changed.db");
  g_assert_nonnull (strstr (sc_settings_page_get_status (f->page), "not changed in training mode"));
  gtk_widget_activate_action (GTK_WIDGET (f->page), "settings.apply", NULL);
  wait_idle (f);
  g_assert_cmpuint (f->applied, ==, 0);
  saved = saved_setting ("store-uri");
  g_assert_cmpstr (saved, ==, "");
}

/* The thread that opens the window's station follows what was published. */
static void
test_published_station (void)
{
  g_autofree char *dir = sc_test_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "published.db", NULL);
  ScStationConfig config = { NULL, NULL, (char *) "sim:?serial=PUBLISHED000001", NULL, NULL };
  g_autoptr(ScStationConfig) copy = NULL;
  g_autoptr(ScStation) station = NULL;
  g_autoptr(ScStation) defaults = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *described = NULL;

  config.store_uri = g_strconcat ("sqlite://", db, NULL);
  sc_station_config_publish (&config);
  copy = sc_station_config_dup_published ();
  station = sc_station_config_open (copy, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (station->device_uri, ==, "sim:?serial=PUBLISHED000001");
  described = sc_store_describe (station->store);
  g_assert_nonnull (strstr (described, "published.db"));
  g_free (config.store_uri);

  sc_station_config_publish (NULL);
  g_assert_null (sc_station_config_dup_published ());
  defaults = sc_station_config_open (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (defaults->device_uri, ==, "sim:");
  g_clear_pointer (&station, sc_station_free);
  sc_test_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  data_home = sc_gui_test_init (&argc, &argv);

#define ADD(path, func) g_test_add ("/sc/settings-page/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("training-profile-shown", test_training_profile_shown);
  ADD ("bad-field", test_bad_field);
  ADD ("bad-fields-each", test_bad_fields_each);
  ADD ("good-field", test_good_field);
  ADD ("import-icon", test_import_icon);
  ADD ("dak-training", test_dak_training);
  ADD ("dak-missing", test_dak_missing);
  ADD ("dak-line-profile", test_dak_line_profile);
  ADD ("ping-sim", test_ping_sim);
  ADD ("ping-nobody", test_ping_nobody);
  ADD ("print-file", test_print_file);
  ADD ("store", test_store);
  ADD ("bad-uris", test_bad_uris);
  ADD ("apply-saves", test_apply_saves);
  ADD ("apply-while-busy", test_apply_while_busy);
  ADD ("apply-refused", test_apply_refused);
  ADD ("revert", test_revert);
  ADD ("refused", test_refused);
  ADD ("training-mode", test_training_mode);
#undef ADD
  g_test_add_func ("/sc/settings-page/published-station", test_published_station);

  status = g_test_run ();
  sc_gui_test_cleanup (data_home);
  return status;
}
