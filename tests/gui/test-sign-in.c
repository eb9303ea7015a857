/* test-sign-in.c: the sign-in dialog and the console's session, driven as
 * people at the line would: a badge scanned (typed and Enter), a name
 * chosen and a passcode typed; real ScUsers over a real SQLite store.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "sc-gui-test.h"
#include "sc-sign-in-dialog.h"
#include "sc-test-util.h"
#include "sc-user-session.h"
#include "sc-users-private.h"

#define TIMEOUT_S 60

#define ADMIN_PASSCODE "admin-passcode-1"
#define OLGA_PASSCODE  "olga-passcode-22"
#define OLGA_BADGE     "BADGE-7788-KLM"

static char *data_home;

/* Cheap hashes: these tests are about the dialog, not scrypt's cost. */
static const ScScryptParams fast_params = { 10, 8, 1 };

/* A station's users: ada (admin), olga (operator, with a badge), quinn (QA),
 * dora (disabled). */
static void
add_users (ScUsers *users)
{
  g_autoptr(ScSecret) admin_passcode = sc_secret_new_from_string (ADMIN_PASSCODE);
  g_autoptr(ScSecret) passcode = sc_secret_new_from_string (OLGA_PASSCODE);
  g_autoptr(ScSecret) badge = sc_secret_new_from_string (OLGA_BADGE);
  g_autoptr(ScUserRecord) admin = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (sc_users_add (users, NULL, "ada", SC_ROLE_ADMIN, admin_passcode, &error));
  admin = sc_users_sign_in (users, "ada", admin_passcode, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (sc_users_add (users, admin, "olga", SC_ROLE_OPERATOR, passcode, &error));
  g_assert_true (sc_users_add (users, admin, "quinn", SC_ROLE_QA, passcode, &error));
  g_assert_true (sc_users_add (users, admin, "dora", SC_ROLE_OPERATOR, passcode, &error));
  g_assert_true (sc_users_set_disabled (users, admin, "dora", TRUE, &error));
  g_assert_true (sc_users_set_badge (users, admin, "olga", badge, &error));
  g_assert_no_error (error);
}

/* ------------------------------------------------------------ the dialog */

typedef struct
{
  char            *dir;
  ScStore         *store;
  ScStationSecret *secret;
  ScUsers         *users;
  ScSignInDialog  *dialog;
  char            *signed_in;   /* who the last signed-in signal named */
  guint            n_signed_in;
} Fixture;

static GtkWidget *
child (ScSignInDialog *dialog,
       const char     *name)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (dialog), SC_TYPE_SIGN_IN_DIALOG, name);

  g_assert_nonnull (object);
  return GTK_WIDGET (object);
}

static void
signed_in_cb (ScSignInDialog     *dialog,
              const ScUserRecord *user,
              Fixture            *f)
{
  g_free (f->signed_in);
  f->signed_in = g_strdup (user->name);
  f->n_signed_in++;
}

static gboolean
dialog_loaded (gpointer data)
{
  return sc_sign_in_dialog_get_loaded (data);
}

static gboolean
dialog_idle (gpointer data)
{
  return !sc_sign_in_dialog_get_busy (data);
}

static gboolean
closed (Fixture *f)
{
  return !gtk_widget_get_visible (GTK_WIDGET (f->dialog));
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *key = NULL;

  _sc_scrypt_params_set_default (&fast_params);
  f->dir = sc_test_tmpdir ();
  uri = g_strdup_printf ("sqlite://%s/users.db", f->dir);
  key = g_build_filename (f->dir, "station.key", NULL);
  f->store = sc_store_open (uri, &error);
  g_assert_no_error (error);
  f->secret = sc_station_secret_load (key, &error);
  g_assert_no_error (error);
  f->users = sc_users_new (f->store, f->secret);
  add_users (f->users);

  f->dialog = SC_SIGN_IN_DIALOG (g_object_ref (sc_sign_in_dialog_new (f->users)));
  g_signal_connect (f->dialog, "signed-in", G_CALLBACK (signed_in_cb), f);
  gtk_window_present (GTK_WINDOW (f->dialog));
  g_assert_true (sc_gui_test_wait (dialog_loaded, f->dialog, TIMEOUT_S));
}

/* A worker thread lets go of its task (and the task of ScUsers) just after
 * the result reached this thread. */
static gboolean
only_ref (gpointer data)
{
  return g_atomic_int_get (&G_OBJECT (data)->ref_count) == 1;
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->dialog));
  g_assert_finalize_object (f->dialog);
  g_assert_true (sc_gui_test_wait (only_ref, f->users, TIMEOUT_S));
  g_assert_finalize_object (f->users);
  g_assert_finalize_object (f->store);
  g_assert_finalize_object (f->secret);
  sc_test_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->signed_in);
  _sc_scrypt_params_set_default (NULL);
}

/* The audit log's actions of @actor, as "action action …". */
static char *
audit_of (Fixture    *f,
          const char *actor)
{
  GString *text = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (f->dir, "users.db", NULL);
  g_autofree char *command = g_strdup_printf ("sqlite3 '%s' \"SELECT action FROM audit WHERE actor = '%s' "
                                              "ORDER BY id\"", path, actor);
  g_autofree char *out = NULL;
  int status = 0;

  g_assert_true (g_spawn_command_line_sync (command, &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_strstrip (out);
  g_string_append (text, out);
  g_strdelimit (text->str, "\n", ' ');
  return g_string_free (text, FALSE);
}

static void
type_into (GtkWidget  *entry,
           const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (entry), text);
  g_signal_emit_by_name (entry, "activate");
}

static void
test_lists_enabled_users (Fixture       *f,
                          gconstpointer  data)
{
  GtkListBox *list = GTK_LIST_BOX (child (f->dialog, "user_list"));
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (f->dialog));
  const char *expected[] = { "ada", "olga", "quinn" };
  guint n = 0;
  GtkListBoxRow *row;

  /* A scanner types into the badge field: it has the focus. */
  g_assert_nonnull (focus);
  g_assert_true (gtk_widget_is_ancestor (focus, child (f->dialog, "badge_entry")));

  /* dora is disabled: not offered. */
  while ((row = gtk_list_box_get_row_at_index (list, (int) n)) != NULL)
    {
      g_assert_cmpuint (n, <, G_N_ELEMENTS (expected));
      g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, expected[n]);
      n++;
    }
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (expected));
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (gtk_list_box_get_row_at_index (list, 1))), ==,
                   "Operator");
  g_assert_null (sc_sign_in_dialog_get_name (f->dialog));
  g_assert_null (sc_sign_in_dialog_get_error (f->dialog));
}

static void
test_passcode (Fixture       *f,
               gconstpointer  data)
{
  GtkWidget *entry = child (f->dialog, "passcode_entry");
  g_autofree char *audit = NULL;

  gtk_widget_activate_action (GTK_WIDGET (f->dialog), "sign-in.choose", "s", "olga");
  g_assert_cmpstr (sc_sign_in_dialog_get_name (f->dialog), ==, "olga");
  /* Choosing the name takes the focus to the passcode. */
  g_assert_true (gtk_widget_is_ancestor (gtk_root_get_focus (GTK_ROOT (f->dialog)), entry));

  type_into (entry, OLGA_PASSCODE);
  /* The passcode left the entry at once; the check runs in a thread. */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "");
  g_assert_true (sc_sign_in_dialog_get_busy (f->dialog));
  g_assert_false (gtk_widget_get_sensitive (entry));
  g_assert_true (sc_gui_test_wait (dialog_idle, f->dialog, TIMEOUT_S));

  g_assert_cmpuint (f->n_signed_in, ==, 1);
  g_assert_cmpstr (f->signed_in, ==, "olga");
  g_assert_true (closed (f));
  audit = audit_of (f, "olga");
  g_assert_cmpstr (audit, ==, "sign-in");
}

static void
test_wrong_passcode (Fixture       *f,
                     gconstpointer  data)
{
  GtkWidget *entry = child (f->dialog, "passcode_entry");
  g_autofree char *audit = NULL;

  gtk_widget_activate_action (GTK_WIDGET (f->dialog), "sign-in.choose", "s", "quinn");
  type_into (entry, "not-the-passcode");
  g_assert_true (sc_gui_test_wait (dialog_idle, f->dialog, TIMEOUT_S));

  g_assert_cmpuint (f->n_signed_in, ==, 0);
  g_assert_false (closed (f));
  g_assert_nonnull (strstr (sc_sign_in_dialog_get_error (f->dialog), "The passcode for quinn is wrong"));
  g_assert_true (gtk_widget_get_visible (child (f->dialog, "error_label")));
  /* Back in the passcode field, for the next try. */
  g_assert_true (gtk_widget_is_ancestor (gtk_root_get_focus (GTK_ROOT (f->dialog)), entry));

  /* The next try comes too soon: refused without a check. */
  type_into (entry, OLGA_PASSCODE);
  g_assert_true (sc_gui_test_wait (dialog_idle, f->dialog, TIMEOUT_S));
  g_assert_cmpuint (f->n_signed_in, ==, 0);
  g_assert_nonnull (strstr (sc_sign_in_dialog_get_error (f->dialog), "wait"));

  audit = audit_of (f, "quinn");
  g_assert_cmpstr (audit, ==, "sign-in-failed");
}

static void
test_passcode_needs_a_name (Fixture       *f,
                            gconstpointer  data)
{
  GtkWidget *entry = child (f->dialog, "passcode_entry");

  type_into (entry, OLGA_PASSCODE);
  /* Nothing is asked: the passcode is dropped, and the dialog says why. */
  g_assert_false (sc_sign_in_dialog_get_busy (f->dialog));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "");
  g_assert_nonnull (strstr (sc_sign_in_dialog_get_error (f->dialog), "Choose your name"));

  gtk_widget_activate_action (GTK_WIDGET (f->dialog), "sign-in.choose", "s", "olga");
  type_into (entry, "");
  g_assert_false (sc_sign_in_dialog_get_busy (f->dialog));
  g_assert_nonnull (strstr (sc_sign_in_dialog_get_error (f->dialog), "Type your passcode"));
  g_assert_cmpuint (f->n_signed_in, ==, 0);
}

static void
test_badge (Fixture       *f,
            gconstpointer  data)
{
  GtkWidget *entry = child (f->dialog, "badge_entry");

  /* What a scanner does: the code, then Enter, into the focused field. */
  type_into (entry, OLGA_BADGE);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "");
  g_assert_true (sc_gui_test_wait (dialog_idle, f->dialog, TIMEOUT_S));

  g_assert_cmpuint (f->n_signed_in, ==, 1);
  g_assert_cmpstr (f->signed_in, ==, "olga");
  g_assert_true (closed (f));
}

static void
test_unknown_badge (Fixture       *f,
                    gconstpointer  data)
{
  GtkWidget *entry = child (f->dialog, "badge_entry");

  type_into (entry, "BADGE-0000-NOBODY");
  g_assert_true (sc_gui_test_wait (dialog_idle, f->dialog, TIMEOUT_S));
  g_assert_cmpuint (f->n_signed_in, ==, 0);
  g_assert_false (closed (f));
  g_assert_nonnull (strstr (sc_sign_in_dialog_get_error (f->dialog), "This badge belongs to nobody"));
  /* Back in the badge field, for the next scan. */
  g_assert_true (gtk_widget_is_ancestor (gtk_root_get_focus (GTK_ROOT (f->dialog)), entry));
}

/* ----------------------------------------------------------- the session */

typedef struct
{
  GtkWindow       *window;
  ScProvisionPage *provision;
  ScUnitsPage     *units;
  GtkRevealer     *banner;
  GtkMenuButton   *button;
  ScUserSession   *session;
  ScStation       *station;   /* owned by the Provision page */
} Console;

static gboolean
console_ready (gpointer data)
{
  Console *c = data;

  return sc_provision_page_get_ready (c->provision) && sc_user_session_get_checked (c->session);
}

/* A window as ScWindow builds it: the pages, the banner, the button. */
static void
console_open (Console  *c,
              gboolean  with_users)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  ScStation *station = sc_gui_test_station (NULL, NULL);

  if (with_users)
    {
      g_autoptr(ScUsers) users = sc_users_new (station->store, station->secret);

      add_users (users);
    }

  c->window = GTK_WINDOW (g_object_new (ADW_TYPE_APPLICATION_WINDOW, "default-width", 1280, "default-height", 800,
                                        NULL));
  c->banner = GTK_REVEALER (gtk_revealer_new ());
  c->button = GTK_MENU_BUTTON (gtk_menu_button_new ());
  c->provision = SC_PROVISION_PAGE (sc_provision_page_new ());
  c->units = SC_UNITS_PAGE (sc_units_page_new ());
  g_object_set (c->provision, "sound-cues", FALSE, NULL);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (c->button));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (c->banner));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (c->provision));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (c->units));
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (c->window), box);
  g_object_ref (c->provision);

  c->session = sc_user_session_new ();
  sc_user_session_bind_window (c->session, c->window, c->provision, c->units, c->banner, c->button);
  gtk_window_present (c->window);

  c->station = station;
  sc_units_page_set_station (c->units, station);
  sc_provision_page_set_station (c->provision, station);
  g_assert_true (sc_gui_test_wait (console_ready, c, TIMEOUT_S));
}

static void
console_close (Console *c)
{
  g_assert_finalize_object (c->session);
  gtk_window_destroy (c->window);
  g_assert_finalize_object (c->provision);
}

static gboolean
provision_blocked (ScProvisionPage *page)
{
  return sc_provision_page_get_blocked (page);
}

static const char *
blocked_text (ScProvisionPage *page)
{
  GObject *label = gtk_widget_get_template_child (GTK_WIDGET (page), SC_TYPE_PROVISION_PAGE, "blocked_label");

  return gtk_label_get_label (GTK_LABEL (label));
}

/* First: the station's records have no users yet. */
static void
test_session_without_users (void)
{
  Console c = { 0 };
  g_autofree char *refusal = NULL;

  console_open (&c, FALSE);
  g_assert_false (sc_user_session_get_required (c.session));
  g_assert_true (sc_user_session_get_unprotected (c.session));
  /* The banner says so, nobody signs in, and nothing is refused. */
  g_assert_true (gtk_revealer_get_reveal_child (c.banner));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (c.button)));
  g_assert_false (provision_blocked (c.provision));
  for (ScRight r = SC_RIGHT_PROVISION; r <= SC_RIGHT_MANAGE_USERS; r++)
    {
      refusal = sc_user_session_get_refusal (c.session, r);
      g_assert_null (refusal);
    }
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (c.window), "sign-in"));
  g_assert_cmpstr (c.station->operator_name, ==, g_get_user_name ());
  console_close (&c);
}

static void
test_session_training (void)
{
  ScStation *station = sc_gui_test_station (NULL, NULL);
  g_autoptr(ScUserSession) session = sc_user_session_new ();

  /* Users exist now (added by the test before this one's station opened
   * or not): training mode asks nobody either way. */
  sc_user_session_set_station (session, station, TRUE);
  g_assert_true (sc_user_session_get_checked (session));
  g_assert_false (sc_user_session_get_required (session));
  g_assert_false (sc_user_session_get_unprotected (session));
  for (ScRight r = SC_RIGHT_PROVISION; r <= SC_RIGHT_MANAGE_USERS; r++)
    g_assert_null (sc_user_session_get_refusal (session, r));
  g_clear_object (&session);
  sc_station_free (station);
}

static gboolean
dialog_open (gpointer data)
{
  for (GList *l = gtk_window_list_toplevels (); l != NULL; l = g_list_delete_link (l, l))
    if (SC_IS_SIGN_IN_DIALOG (l->data) && gtk_widget_get_visible (l->data))
      {
        g_list_free (l);
        return TRUE;
      }
  return FALSE;
}

/* Then with users: who is signed in decides what the pages allow. */
static void
test_session_with_users (void)
{
  Console c = { 0 };
  g_autoptr(ScSecret) passcode = sc_secret_new_from_string (OLGA_PASSCODE);
  g_autoptr(ScUserRecord) olga = NULL;
  g_autoptr(ScUserRecord) quinn = NULL;
  g_autoptr(GError) error = NULL;
  char *refusal;

  console_open (&c, TRUE);
  g_assert_true (sc_user_session_get_required (c.session));
  g_assert_false (gtk_revealer_get_reveal_child (c.banner));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (c.button)));
  g_assert_cmpstr (gtk_menu_button_get_label (c.button), ==, "Sign In");

  /* Nobody signed in: the scan is blocked with who must sign in. */
  g_assert_true (provision_blocked (c.provision));
  g_assert_cmpstr (blocked_text (c.provision), ==, "Sign in as an operator to provision units.");
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (c.window), "sign-in"));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (c.window), "sign-out"));

  /* The sign-in dialog opens from the window's action. */
  g_action_group_activate_action (G_ACTION_GROUP (c.window), "sign-in", NULL);
  g_assert_true (dialog_open (NULL));

  /* An operator: provisions, may not reprint, is the station's operator. */
  olga = sc_users_sign_in (sc_user_session_get_users (c.session), "olga", passcode, NULL, &error);
  g_assert_no_error (error);
  sc_user_session_set_user (c.session, olga);
  g_assert_false (provision_blocked (c.provision));
  g_assert_cmpstr (gtk_menu_button_get_label (c.button), ==, "olga");
  g_assert_cmpstr (c.station->operator_name, ==, "olga");
  refusal = sc_user_session_get_refusal (c.session, SC_RIGHT_REPRINT);
  g_assert_nonnull (strstr (refusal, "olga may not reprint labels"));
  g_free (refusal);
  refusal = sc_user_session_get_refusal (c.session, SC_RIGHT_SETTINGS);
  g_assert_nonnull (strstr (refusal, "needs the admin role"));
  g_free (refusal);

  /* QA: reprints, may not provision. */
  quinn = sc_users_sign_in (sc_user_session_get_users (c.session), "quinn", passcode, NULL, &error);
  g_assert_no_error (error);
  sc_user_session_set_user (c.session, quinn);
  g_assert_true (provision_blocked (c.provision));
  g_assert_cmpstr (blocked_text (c.provision), ==,
                   "quinn may not provision units: that needs the operator role; let an operator sign in, "
                   "or ask an admin for the role.");
  g_assert_null (sc_user_session_get_refusal (c.session, SC_RIGHT_REPRINT));
  g_assert_null (sc_user_session_get_refusal (c.session, SC_RIGHT_OVERRIDE));

  /* Signing out: nobody is the station's operator, and the dialog asks
   * who comes next. */
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (c.window), "sign-out"));
  g_action_group_activate_action (G_ACTION_GROUP (c.window), "sign-out", NULL);
  g_assert_null (sc_user_session_get_user_name (c.session));
  g_assert_true (provision_blocked (c.provision));
  g_assert_cmpstr (c.station->operator_name, ==, g_get_user_name ());
  g_assert_true (dialog_open (NULL));

  console_close (&c);
}

int
main (int   argc,
      char *argv[])
{
  int rc;

  data_home = sc_gui_test_init (&argc, &argv);

#define ADD(path, func) \
  g_test_add ("/sc/sign-in/dialog/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("lists-enabled-users", test_lists_enabled_users);
  ADD ("passcode", test_passcode);
  ADD ("wrong-passcode", test_wrong_passcode);
  ADD ("passcode-needs-a-name", test_passcode_needs_a_name);
  ADD ("badge", test_badge);
  ADD ("unknown-badge", test_unknown_badge);
#undef ADD
  /* In this order: the embedded station's records get their users in the
   * last one. */
  g_test_add_func ("/sc/sign-in/session/without-users", test_session_without_users);
  g_test_add_func ("/sc/sign-in/session/with-users", test_session_with_users);
  g_test_add_func ("/sc/sign-in/session/training", test_session_training);

  rc = g_test_run ();
  sc_gui_test_cleanup (data_home);
  return rc;
}
