/* test-pin-dialog.c: the DAK PIN dialog, driven as an operator would
 *
 * A software DAK needs no PIN, so the Provision page never shows this
 * dialog for one: the dialog is tested directly, on the test PIN signer
 * (sc-test-pin-signer.h), which keeps the YubiKey signer's rules.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "sc-gui-test.h"
#include "sc-pin-dialog.h"

#define TIMEOUT_S 60

static char *data_home;

typedef struct
{
  ScSigner    *signer;
  ScPinDialog *dialog;
  guint        unlocked;
} Fixture;

static GtkWidget *
child (ScPinDialog *dialog,
       const char  *name)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (dialog), SC_TYPE_PIN_DIALOG, name);

  g_assert_nonnull (object);
  return GTK_WIDGET (object);
}

static void
unlocked_cb (ScPinDialog *dialog,
             Fixture     *f)
{
  f->unlocked++;
}

/* Closed: destroyed, so out of GTK's windows (the test's own reference
 * keeps the object until teardown). */
static gboolean
closed (Fixture *f)
{
  return !gtk_widget_get_visible (GTK_WIDGET (f->dialog)) && !gtk_widget_get_realized (GTK_WIDGET (f->dialog));
}

static gboolean
dialog_idle (gpointer data)
{
  return !sc_pin_dialog_get_busy (data);
}

static void
setup (Fixture *f,
       int      retries)
{
  f->signer = sc_gui_test_pin_signer ("123456", retries);
  f->dialog = SC_PIN_DIALOG (sc_pin_dialog_new (f->signer, retries));
  g_object_ref (f->dialog);
  g_signal_connect (f->dialog, "unlocked", G_CALLBACK (unlocked_cb), f);
  gtk_window_present (GTK_WINDOW (f->dialog));
}

static void
teardown (Fixture *f)
{
  gtk_window_destroy (GTK_WINDOW (f->dialog));
  g_assert_finalize_object (f->dialog);
  g_assert_finalize_object (f->signer);
}

static ScSignerStatus *
status (Fixture *f)
{
  return sc_signer_get_status (f->signer);
}

/* What the operator does: types the PIN, presses Enter. */
static void
type_pin (Fixture    *f,
          const char *pin)
{
  GtkWidget *entry = child (f->dialog, "entry");

  gtk_editable_set_text (GTK_EDITABLE (entry), pin);
  g_signal_emit_by_name (entry, "activate");
}

static void
test_right_pin (void)
{
  Fixture f = { 0 };
  g_autoptr(ScSignerStatus) after = NULL;

  setup (&f, 3);
  g_assert_true (sc_pin_dialog_get_can_retry (f.dialog));
  g_assert_null (sc_pin_dialog_get_error (f.dialog));
  /* The tries left are told before any is spent. */
  g_assert_nonnull (strstr (gtk_label_get_label (GTK_LABEL (child (f.dialog, "description_label"))), "3 tries left"));

  type_pin (&f, "123456");
  /* The PIN left the entry at once, and the token is asked in a thread. */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (child (f.dialog, "entry"))), ==, "");
  g_assert_true (sc_pin_dialog_get_busy (f.dialog));
  g_assert_false (gtk_widget_get_sensitive (child (f.dialog, "entry")));
  g_assert_true (sc_gui_test_wait (dialog_idle, f.dialog, TIMEOUT_S));

  g_assert_cmpuint (f.unlocked, ==, 1);
  g_assert_true (closed (&f));
  g_assert_cmpuint (sc_test_pin_signer_get_attempts (SC_TEST_PIN_SIGNER (f.signer)), ==, 1);
  after = status (&f);
  g_assert_true (after->unlocked);
  teardown (&f);
}

static void
test_wrong_pin (void)
{
  Fixture f = { 0 };
  g_autoptr(ScSignerStatus) after = NULL;

  setup (&f, 3);
  type_pin (&f, "654321");
  g_assert_true (sc_gui_test_wait (dialog_idle, f.dialog, TIMEOUT_S));

  /* The signer's sentence, with the tries left; the operator may try again. */
  g_assert_cmpuint (f.unlocked, ==, 0);
  g_assert_false (closed (&f));
  g_assert_cmpstr (sc_pin_dialog_get_error (f.dialog), ==, "Wrong DAK PIN: 2 tries are left");
  g_assert_true (gtk_widget_get_visible (child (f.dialog, "error_label")));
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (child (f.dialog, "error_label"))), ==,
                   "Wrong DAK PIN: 2 tries are left");
  g_assert_true (sc_pin_dialog_get_can_retry (f.dialog));
  g_assert_true (gtk_widget_get_visible (child (f.dialog, "unlock_button")));
  g_assert_true (gtk_widget_get_sensitive (child (f.dialog, "entry")));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (child (f.dialog, "entry"))), ==, "");
  /* The count asked with is stale now: only the signer's sentence has one. */
  g_assert_null (strstr (gtk_label_get_label (GTK_LABEL (child (f.dialog, "description_label"))), "tries left"));
  after = status (&f);
  g_assert_false (after->unlocked);
  g_assert_cmpint (after->pin_retries, ==, 2);

  /* The right one now. */
  type_pin (&f, "123456");
  g_assert_true (sc_gui_test_wait (dialog_idle, f.dialog, TIMEOUT_S));
  g_assert_cmpuint (f.unlocked, ==, 1);
  g_assert_true (closed (&f));
  teardown (&f);
}

/* Two wrong PINs leave one try: the console does not spend it. */
static void
test_last_try_not_spent (void)
{
  Fixture f = { 0 };

  setup (&f, 3);
  type_pin (&f, "111111");
  g_assert_true (sc_gui_test_wait (dialog_idle, f.dialog, TIMEOUT_S));
  type_pin (&f, "222222");
  g_assert_true (sc_gui_test_wait (dialog_idle, f.dialog, TIMEOUT_S));
  g_assert_cmpstr (sc_pin_dialog_get_error (f.dialog), ==, "Wrong DAK PIN: 1 tries are left");
  g_assert_true (sc_pin_dialog_get_can_retry (f.dialog));

  type_pin (&f, "123456");
  g_assert_true (sc_gui_test_wait (dialog_idle, f.dialog, TIMEOUT_S));
  /* The PIN was not sent: the signer refused before, and says so. */
  g_assert_cmpuint (sc_test_pin_signer_get_attempts (SC_TEST_PIN_SIGNER (f.signer)), ==, 2);
  g_assert_cmpstr (sc_pin_dialog_get_error (f.dialog), ==,
                   "Only one DAK PIN try is left; Setup Console will not spend it");
  g_assert_false (sc_pin_dialog_get_can_retry (f.dialog));
  /* No retry: no Unlock button, no entry, and Enter does nothing. */
  g_assert_false (gtk_widget_get_visible (child (f.dialog, "unlock_button")));
  g_assert_false (gtk_widget_get_sensitive (child (f.dialog, "entry")));
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (child (f.dialog, "cancel_button"))), ==, "_Close");
  gtk_widget_activate_action (GTK_WIDGET (f.dialog), "pin.unlock", NULL);
  g_assert_false (sc_pin_dialog_get_busy (f.dialog));
  g_assert_cmpuint (sc_test_pin_signer_get_attempts (SC_TEST_PIN_SIGNER (f.signer)), ==, 2);
  g_assert_cmpuint (f.unlocked, ==, 0);
  teardown (&f);
}

static void
test_blocked (void)
{
  Fixture f = { 0 };

  setup (&f, 0);
  type_pin (&f, "123456");
  g_assert_true (sc_gui_test_wait (dialog_idle, f.dialog, TIMEOUT_S));
  g_assert_cmpstr (sc_pin_dialog_get_error (f.dialog), ==, "The test DAK's PIN is blocked: no tries are left");
  g_assert_false (sc_pin_dialog_get_can_retry (f.dialog));
  g_assert_false (gtk_widget_get_visible (child (f.dialog, "unlock_button")));
  g_assert_cmpuint (sc_test_pin_signer_get_attempts (SC_TEST_PIN_SIGNER (f.signer)), ==, 0);
  teardown (&f);
}

/* Enter on an empty field sends nothing and costs nothing. */
static void
test_empty_pin (void)
{
  Fixture f = { 0 };

  setup (&f, 3);
  type_pin (&f, "");
  g_assert_false (sc_pin_dialog_get_busy (f.dialog));
  g_assert_cmpstr (sc_pin_dialog_get_error (f.dialog), ==, "Type the DAK PIN, then press Enter.");
  g_assert_true (sc_pin_dialog_get_can_retry (f.dialog));
  g_assert_cmpuint (sc_test_pin_signer_get_attempts (SC_TEST_PIN_SIGNER (f.signer)), ==, 0);
  teardown (&f);
}

/* A token pulled out while the dialog is up: said, and a retry offered. */
static void
test_token_removed (void)
{
  Fixture f = { 0 };

  setup (&f, 3);
  sc_test_pin_signer_set_present (SC_TEST_PIN_SIGNER (f.signer), FALSE);
  type_pin (&f, "123456");
  g_assert_true (sc_gui_test_wait (dialog_idle, f.dialog, TIMEOUT_S));
  g_assert_cmpstr (sc_pin_dialog_get_error (f.dialog), ==, "The test DAK token is not there; plug it in");
  g_assert_true (sc_pin_dialog_get_can_retry (f.dialog));

  sc_test_pin_signer_set_present (SC_TEST_PIN_SIGNER (f.signer), TRUE);
  type_pin (&f, "123456");
  g_assert_true (sc_gui_test_wait (dialog_idle, f.dialog, TIMEOUT_S));
  g_assert_cmpuint (f.unlocked, ==, 1);
  teardown (&f);
}

/* Escape (window.close) is the way out without unlocking. */
static void
test_cancel (void)
{
  Fixture f = { 0 };
  g_autoptr(ScSignerStatus) after = NULL;

  setup (&f, 3);
  gtk_widget_activate_action (GTK_WIDGET (f.dialog), "window.close", NULL);
  g_assert_true (closed (&f));
  g_assert_cmpuint (f.unlocked, ==, 0);
  after = status (&f);
  g_assert_false (after->unlocked);
  teardown (&f);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  data_home = sc_gui_test_init (&argc, &argv);

  g_test_add_func ("/sc/pin-dialog/right-pin", test_right_pin);
  g_test_add_func ("/sc/pin-dialog/wrong-pin", test_wrong_pin);
  g_test_add_func ("/sc/pin-dialog/last-try-not-spent", test_last_try_not_spent);
  g_test_add_func ("/sc/pin-dialog/blocked", test_blocked);
  g_test_add_func ("/sc/pin-dialog/empty-pin", test_empty_pin);
  g_test_add_func ("/sc/pin-dialog/token-removed", test_token_removed);
  g_test_add_func ("/sc/pin-dialog/cancel", test_cancel);

  status = g_test_run ();
  sc_gui_test_cleanup (data_home);
  return status;
}
