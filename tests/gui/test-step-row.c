/* test-step-row.c: ScStepRow shows each state of a step
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "sc-gui-test.h"
#include "sc-step-row.h"

static char *data_home;

static GtkWidget *
child (ScStepRow  *row,
       const char *name)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (row), SC_TYPE_STEP_ROW, name);

  g_assert_nonnull (object);
  return GTK_WIDGET (object);
}

static const char *
label_text (ScStepRow  *row,
            const char *name)
{
  return gtk_label_get_label (GTK_LABEL (child (row, name)));
}

static const char *
indicator (ScStepRow *row)
{
  return gtk_stack_get_visible_child_name (GTK_STACK (child (row, "indicator")));
}

static gboolean
row_mapped (gpointer data)
{
  return gtk_widget_get_mapped (GTK_WIDGET (data));
}

static void
test_states (void)
{
  ScStepRow *row = SC_STEP_ROW (g_object_ref_sink (sc_step_row_new (SC_STEP_SIGN)));
  GtkWidget *list = gtk_list_box_new ();
  GtkWindow *window;
  ScStepRowState state = -1;

  gtk_list_box_append (GTK_LIST_BOX (list), GTK_WIDGET (row));
  window = sc_gui_test_window (list, 480, 200);
  g_assert_true (sc_gui_test_wait (row_mapped, row, 30));

  /* Pending: the step's title, no time, no error. */
  g_assert_cmpint (sc_step_row_get_step (row), ==, SC_STEP_SIGN);
  g_assert_cmpstr (label_text (row, "title_label"), ==, sc_step_get_title (SC_STEP_SIGN));
  g_assert_cmpint (sc_step_row_get_state (row), ==, SC_STEP_ROW_PENDING);
  g_assert_cmpstr (indicator (row), ==, "pending");
  g_assert_cmpstr (label_text (row, "time_label"), ==, "");
  g_assert_false (gtk_widget_get_visible (child (row, "error_label")));

  /* Running: a spinning spinner. */
  sc_step_row_set_running (row);
  g_object_get (row, "state", &state, NULL);
  g_assert_cmpint (state, ==, SC_STEP_ROW_RUNNING);
  g_assert_cmpstr (indicator (row), ==, "running");
  g_assert_true (gtk_spinner_get_spinning (GTK_SPINNER (child (row, "spinner"))));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (row), "running"));

  /* Done: the time in ms, the spinner stopped. */
  sc_step_row_set_finished (row, 12345, NULL);
  g_assert_cmpint (sc_step_row_get_state (row), ==, SC_STEP_ROW_DONE);
  g_assert_cmpint (sc_step_row_get_duration (row), ==, 12345);
  g_assert_cmpstr (indicator (row), ==, "done");
  g_assert_cmpstr (label_text (row, "time_label"), ==, "12.3 ms");
  g_assert_false (gtk_spinner_get_spinning (GTK_SPINNER (child (row, "spinner"))));
  g_assert_false (gtk_widget_get_visible (child (row, "error_label")));
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (row), "running"));

  /* Failed: the error sentence under the title. */
  sc_step_row_set_finished (row, 2000, "The DAK refused to sign; unlock it and scan the unit again");
  g_assert_cmpint (sc_step_row_get_state (row), ==, SC_STEP_ROW_FAILED);
  g_assert_cmpstr (indicator (row), ==, "failed");
  g_assert_cmpstr (label_text (row, "time_label"), ==, "2.0 ms");
  g_assert_true (gtk_widget_get_visible (child (row, "error_label")));
  g_assert_cmpstr (label_text (row, "error_label"), ==,
                   "The DAK refused to sign; unlock it and scan the unit again");
  g_assert_cmpstr (sc_step_row_get_error (row), ==, label_text (row, "error_label"));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (row), "failed"));

  /* Skipped: done in an earlier run. */
  sc_step_row_set_skipped (row);
  g_assert_cmpint (sc_step_row_get_state (row), ==, SC_STEP_ROW_SKIPPED);
  g_assert_cmpstr (indicator (row), ==, "skipped");
  g_assert_cmpstr (label_text (row, "time_label"), ==, "before");
  g_assert_null (sc_step_row_get_error (row));
  g_assert_false (gtk_widget_get_visible (child (row, "error_label")));
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (row), "failed"));

  /* Reset for the next unit. */
  sc_step_row_reset (row);
  g_assert_cmpint (sc_step_row_get_state (row), ==, SC_STEP_ROW_PENDING);
  g_assert_cmpint (sc_step_row_get_duration (row), ==, -1);
  g_assert_cmpstr (indicator (row), ==, "pending");
  g_assert_cmpstr (label_text (row, "time_label"), ==, "");

  gtk_window_destroy (window);
  g_assert_finalize_object (row);
}

static void
notify_cb (GObject    *object,
           GParamSpec *pspec,
           gpointer    user_data)
{
  guint *count = user_data;

  (*count)++;
}

/* A property notifies only on a real change. */
static void
test_notify (void)
{
  ScStepRow *row = SC_STEP_ROW (g_object_ref_sink (sc_step_row_new (SC_STEP_KEY)));
  guint n_state = 0;

  g_signal_connect (row, "notify::state", G_CALLBACK (notify_cb), &n_state);
  sc_step_row_set_running (row);
  sc_step_row_set_running (row);
  g_assert_cmpuint (n_state, ==, 1);
  sc_step_row_set_finished (row, 10, NULL);
  sc_step_row_set_finished (row, 20, NULL);
  g_assert_cmpuint (n_state, ==, 2);
  g_assert_cmpint (sc_step_row_get_duration (row), ==, 20);

  g_assert_finalize_object (row);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  data_home = sc_gui_test_init (&argc, &argv);

  g_test_add_func ("/sc/step-row/states", test_states);
  g_test_add_func ("/sc/step-row/notify", test_notify);

  status = g_test_run ();
  sc_gui_test_cleanup (data_home);
  return status;
}
