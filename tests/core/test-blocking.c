/* test-blocking.c: the core's waiting calls are caught on the main loop's
 * thread (SC_CHECK_MAIN_LOOP=1), and only there
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "sc-core.h"
#include "sc-test-util.h"

static char *tmpdir;

static ScStore *
open_store (void)
{
  g_autofree char *uri = g_strdup_printf ("sqlite://%s/records.db", tmpdir);
  g_autoptr(GError) error = NULL;
  ScStore *store = sc_store_open (uri, &error);

  g_assert_no_error (error);
  return store;
}

typedef struct
{
  GMainLoop *loop;
  ScStore   *store;
  guint      n_users;
} Job;

static gboolean
count_in_loop_cb (gpointer data)
{
  Job *job = data;
  g_autoptr(GError) error = NULL;

  /* Still done, and right: the check only says where it ran. */
  g_assert_true (sc_store_count_users (job->store, &job->n_users, &error));
  g_assert_no_error (error);
  g_main_loop_quit (job->loop);
  return G_SOURCE_REMOVE;
}

/* From a callback of the main loop: a critical naming the call. */
static void
test_in_main_loop (void)
{
  g_autoptr(ScStore) store = open_store ();
  Job job = { g_main_loop_new (NULL, FALSE), store, 99 };

  g_test_expect_message ("sc-core", G_LOG_LEVEL_CRITICAL,
                         "sc_store_count_users was called from the main loop, which waits for it*");
  g_idle_add (count_in_loop_cb, &job);
  g_main_loop_run (job.loop);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (job.n_users, ==, 0);
  g_main_loop_unref (job.loop);
}

static void
count_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  Job *job = task_data;
  GError *error = NULL;

  if (sc_store_count_users (job->store, &job->n_users, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
count_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      data)
{
  Job *job = data;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_task_propagate_boolean (G_TASK (result), &error));
  g_assert_no_error (error);
  g_main_loop_quit (job->loop);
}

/* From a worker thread while the main loop runs: nothing to say (and the
 * test's criticals are fatal). */
static void
test_in_worker_thread (void)
{
  g_autoptr(ScStore) store = open_store ();
  Job job = { g_main_loop_new (NULL, FALSE), store, 99 };
  g_autoptr(GTask) task = g_task_new (NULL, NULL, count_done_cb, &job);

  g_task_set_task_data (task, &job, NULL);
  g_task_run_in_thread (task, count_thread);
  g_main_loop_run (job.loop);
  g_assert_cmpuint (job.n_users, ==, 0);
  g_main_loop_unref (job.loop);
}

/* The main thread outside any main loop (a command-line program): fine. */
static void
test_outside_main_loop (void)
{
  g_autoptr(ScStore) store = open_store ();
  g_autoptr(GError) error = NULL;
  guint n = 99;

  g_assert_true (sc_store_count_users (store, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 0);
}

/* Without SC_CHECK_MAIN_LOOP=1 the check says nothing, even in the loop. */
static void
test_off_without_variable (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(ScStore) store = open_store ();
      Job job = { g_main_loop_new (NULL, FALSE), store, 99 };

      g_idle_add (count_in_loop_cb, &job);
      g_main_loop_run (job.loop);
      g_assert_cmpuint (job.n_users, ==, 0);
      g_main_loop_unref (job.loop);
      return;
    }
  g_unsetenv ("SC_CHECK_MAIN_LOOP");
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_setenv ("SC_CHECK_MAIN_LOOP", "1", TRUE);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr_unmatched ("*called from the main loop*");
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  if (!g_test_subprocess ())
    g_setenv ("SC_CHECK_MAIN_LOOP", "1", TRUE);
  tmpdir = sc_test_tmpdir ();

  g_test_add_func ("/sc/blocking/in-main-loop", test_in_main_loop);
  g_test_add_func ("/sc/blocking/in-worker-thread", test_in_worker_thread);
  g_test_add_func ("/sc/blocking/outside-main-loop", test_outside_main_loop);
  g_test_add_func ("/sc/blocking/off-without-variable", test_off_without_variable);

  status = g_test_run ();
  sc_test_rmdir (tmpdir);
  g_free (tmpdir);
  return status;
}
