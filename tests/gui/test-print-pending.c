/* test-print-pending.c: a printer that is not ready, seen from the Provision and Units views
 *
 * The station is the embedded training one, made fresh in a temporary
 * $XDG_DATA_HOME (its training DAK, SQLite store and the in-process
 * simulated unit), printing ZPL over TCP to the fake label printer
 * (tests/printing/fake-zpl-printer.c, $SC_FAKE_ZPL_PRINTER) on loopback: a
 * fake because no label printer is on the test machine; it records every
 * byte of every job and answers the ~HS status query as told (paper out,
 * ready), or resets a connection part-way through a job. Everything else is
 * the real code.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "sc-core.h"
#include "sc-gui-test.h"
#include "sc-provision-page-private.h"
#include "sc-test-util.h"
#include "sc-units-page.h"

#define TIMEOUT_S 120

static char *data_home;

/* ------------------------------------------------------ the fake printer */

typedef struct
{
  GSubprocess *process;
  guint16      port;
  char        *dir;
  char        *record;
  char        *status;
} Fake;

static void
fake_set_status (Fake       *fake,
                 const char *words)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (fake->status, words, -1, &error);
  g_assert_no_error (error);
}

/* Starts it with @extra (NULL: none) and reads the port it listens on. */
static Fake *
fake_start (const char *status,
            const char *extra)
{
  const char *program = g_getenv ("SC_FAKE_ZPL_PRINTER");
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  g_autofree char *record_arg = NULL;
  g_autofree char *status_arg = NULL;
  Fake *fake = g_new0 (Fake, 1);

  g_assert_nonnull (program);
  fake->dir = sc_test_tmpdir ();
  fake->record = g_build_filename (fake->dir, "record", NULL);
  fake->status = g_build_filename (fake->dir, "status", NULL);
  fake_set_status (fake, status);
  record_arg = g_strdup_printf ("--record=%s", fake->record);
  status_arg = g_strdup_printf ("--status-file=%s", fake->status);

  fake->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, program, record_arg, status_arg, extra,
                                    NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (fake->process));
  /* Blocks until it listens and says where. */
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  fake->port = (guint16) g_ascii_strtoull (line, NULL, 10);
  g_assert_cmpuint (fake->port, >, 0);
  return fake;
}

static void
fake_stop (Fake *fake)
{
  g_subprocess_force_exit (fake->process);
  g_subprocess_wait (fake->process, NULL, NULL);
  g_object_unref (fake->process);
  sc_test_rmdir (fake->dir);
  g_free (fake->dir);
  g_free (fake->record);
  g_free (fake->status);
  g_free (fake);
}

/* Labels the printer received: each job starts with ^XA. */
static guint
fake_labels (Fake *fake)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  guint n = 0;

  if (!g_file_get_contents (fake->record, &data, &len, NULL))
    return 0;
  for (const char *p = data; (p = g_strstr_len (p, len - (p - data), "^XA")) != NULL; p += 3)
    n++;
  return n;
}

/* ------------------------------------------------------------ the page */

typedef struct
{
  GtkWindow       *window;
  ScProvisionPage *page;
  Fake            *fake;
  char            *files;     /* a folder for a file printer */
  char            *records;   /* the test's own records */
  guint            runs;      /* runs ended since the page was made */
} Fixture;

static GtkWidget *
child (ScProvisionPage *page,
       const char      *name)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (page), SC_TYPE_PROVISION_PAGE, name);

  g_assert_nonnull (object);
  return GTK_WIDGET (object);
}

static const char *
label_text (ScProvisionPage *page,
            const char      *name)
{
  return gtk_label_get_label (GTK_LABEL (child (page, name)));
}

static gboolean
page_ready (gpointer data)
{
  return sc_provision_page_get_ready (data);
}

static void
busy_changed_cb (ScProvisionPage *page,
                 GParamSpec      *pspec,
                 Fixture         *f)
{
  if (!sc_provision_page_get_busy (page))
    f->runs++;
}

typedef struct
{
  Fixture *f;
  guint    runs;
} RunCount;

static gboolean
runs_ended (gpointer data)
{
  RunCount *c = data;

  return c->f->runs >= c->runs && !sc_provision_page_get_busy (c->f->page);
}

/* Waits until @n more runs have ended than had when @before was taken
 * (a run may start at once, or after a check in a thread). */
static void
wait_runs (Fixture *f,
           guint    before,
           guint    n)
{
  RunCount c = { f, before + n };

  g_assert_true (sc_gui_test_wait (runs_ended, &c, TIMEOUT_S));
}

static gboolean
retry_dialog_open (gpointer data)
{
  return _sc_provision_page_get_retry_dialog (data) != NULL;
}

/* A dialog's button, clicked as a person does: the dialog closes, then
 * answers. */
static GtkWidget *
find_button (GtkWidget  *widget,
             const char *label)
{
  if (GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0)
    return widget;
  for (GtkWidget *w = gtk_widget_get_first_child (widget); w != NULL; w = gtk_widget_get_next_sibling (w))
    {
      GtkWidget *found = find_button (w, label);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
click (GtkWidget  *dialog,
       const char *label)
{
  GtkWidget *button = find_button (dialog, label);

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

/* The station of the embedded defaults, printing to the fake printer,
 * with records of its own in @records: each test counts its own units. */
static ScStation *
fake_station (Fake       *fake,
              const char *records)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScProfile) profile = sc_defaults_load_training_profile (&error);
  g_autoptr(ScDak) dak = NULL;
  g_autoptr(ScStore) store = NULL;
  g_autoptr(ScStationSecret) secret = NULL;
  g_autoptr(ScPrinter) printer = NULL;
  g_autofree char *data_dir = sc_defaults_get_data_dir ();
  g_autofree char *key_path = g_build_filename (data_dir, "station.key", NULL);
  g_autofree char *uri = g_strdup_printf ("zpl+tcp://127.0.0.1:%u?timeout=10", fake->port);
  g_autofree char *store_uri = g_strdup_printf ("sqlite://%s/station.db", records);

  g_assert_no_error (error);
  dak = sc_dak_new_for_profile (profile, &error);
  g_assert_no_error (error);
  store = sc_store_open (store_uri, &error);
  g_assert_no_error (error);
  secret = sc_station_secret_load (key_path, &error);
  g_assert_no_error (error);
  printer = sc_printer_open_for_profile (profile, uri, &error);
  g_assert_no_error (error);
  return sc_station_new (profile, dak, store, secret, printer, NULL, NULL);
}

/* @data: extra arguments for the fake printer, or NULL. */
static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->fake = fake_start ("paper-out", data);
  f->files = sc_test_tmpdir ();
  f->records = sc_test_tmpdir ();
  f->page = SC_PROVISION_PAGE (g_object_ref_sink (sc_provision_page_new ()));
  f->window = sc_gui_test_window (GTK_WIDGET (f->page), 1280, 800);
  g_object_set (f->page, "sound-cues", FALSE, NULL);
  sc_provision_page_set_station (f->page, fake_station (f->fake, f->records));
  g_assert_true (sc_gui_test_wait (page_ready, f->page, TIMEOUT_S));
  g_signal_connect (f->page, "notify::busy", G_CALLBACK (busy_changed_cb), f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gtk_window_destroy (f->window);
  g_assert_finalize_object (f->page);
  fake_stop (f->fake);
  sc_test_rmdir (f->files);
  g_free (f->files);
  sc_test_rmdir (f->records);
  g_free (f->records);
}

static void
scan (Fixture    *f,
      const char *serial)
{
  GtkWidget *entry = child (f->page, "scan_entry");
  guint before = f->runs;

  gtk_editable_set_text (GTK_EDITABLE (entry), serial);
  g_signal_emit_by_name (entry, "activate");
  g_assert_true (sc_provision_page_get_busy (f->page));
  wait_runs (f, before, 1);
}

/* An action as its button does it; the run it starts at once, to its end. */
static void
activate_and_wait (Fixture    *f,
                   const char *action,
                   GVariant   *parameter)
{
  guint before = f->runs;

  g_assert_true (gtk_widget_activate_action_variant (GTK_WIDGET (f->page), action, parameter));
  g_assert_true (sc_provision_page_get_busy (f->page));
  wait_runs (f, before, 1);
}

typedef struct
{
  ScProvisionPage *page;
  guint            n;
} WaitingCount;

static gboolean
n_waiting_is (gpointer data)
{
  WaitingCount *c = data;

  return _sc_provision_page_get_n_waiting (c->page) == c->n;
}

/* Waits until the page lists @n units waiting to print (it reads the
 * records after each run, in a thread). */
static void
assert_n_waiting (Fixture *f,
                  guint    n)
{
  WaitingCount c = { f->page, n };

  g_assert_true (sc_gui_test_wait (n_waiting_is, &c, TIMEOUT_S));
  g_assert_true (gtk_revealer_get_reveal_child (GTK_REVEALER (child (f->page, "waiting_revealer"))) == (n > 0));
}

static ScUnitRecord *
find_unit (Fixture    *f,
           const char *serial)
{
  ScStation *station = sc_provision_page_get_station (f->page);
  g_autoptr(GError) error = NULL;
  ScUnitRecord *record = sc_store_find_unit (station->store, NULL, serial, &error);

  g_assert_no_error (error);
  return record;
}

static GPtrArray *
list_prints (Fixture    *f,
             const char *serial)
{
  ScStation *station = sc_provision_page_get_station (f->page);
  g_autoptr(ScUnitRecord) unit = find_unit (f, serial);
  g_autoptr(GError) error = NULL;
  GPtrArray *prints = sc_store_list_prints (station->store, unit->id, &error);

  g_assert_no_error (error);
  return prints;
}

/* The card says the unit waits to print, with the printer's words. */
static void
assert_waits (Fixture    *f,
              const char *serial,
              const char *why)
{
  g_autofree char *summary = g_strdup_printf ("WAITS TO PRINT %s", serial);
  g_autoptr(ScUnitRecord) unit = find_unit (f, serial);

  g_test_message ("%s: %s", serial, label_text (f->page, "failure_label"));
  g_assert_cmpstr (label_text (f->page, "status_label"), ==, "WAITS TO PRINT");
  g_assert_cmpstr (label_text (f->page, "serial_label"), ==, serial);
  g_assert_cmpstr (sc_provision_page_get_summary (f->page), ==, summary);
  g_assert_true (gtk_widget_has_css_class (child (f->page, "status_box"), "incomplete"));
  g_assert_nonnull (strstr (label_text (f->page, "failure_label"), why));
  g_assert_true (gtk_widget_get_visible (child (f->page, "print_actions")));
  /* Not a FAIL. */
  g_assert_cmpuint (sc_provision_page_get_n_failed (f->page), ==, 0);
  g_assert_cmpint (unit->state, ==, SC_UNIT_LABELLED);
}

static void
assert_passes (Fixture    *f,
               const char *serial)
{
  g_autoptr(ScUnitRecord) unit = find_unit (f, serial);

  g_assert_cmpstr (label_text (f->page, "status_label"), ==, "PASS");
  g_assert_true (gtk_widget_has_css_class (child (f->page, "status_box"), "pass"));
  g_assert_false (gtk_widget_get_visible (child (f->page, "print_actions")));
  g_assert_cmpint (unit->state, ==, SC_UNIT_COMPLETE);
}

/* Every label of @serial printed exactly once, and never as a reprint. */
static void
assert_printed_once (Fixture    *f,
                     const char *serial)
{
  g_autoptr(GPtrArray) prints = list_prints (f, serial);
  guint done[2] = { 0, 0 };

  for (guint i = 0; i < prints->len; i++)
    {
      const ScPrintRecord *p = g_ptr_array_index (prints, i);

      g_assert_false (p->reprint);
      g_assert_true (p->status == SC_PRINT_DONE || p->status == SC_PRINT_NOT_SENT);
      done[p->kind] += p->status == SC_PRINT_DONE;
    }
  g_assert_cmpuint (done[SC_LABEL_KIND_PRODUCT], ==, 1);
  g_assert_cmpuint (done[SC_LABEL_KIND_PACKAGE], ==, 1);
}

static void
collect_text (GtkWidget *widget,
              GString   *out)
{
  if (GTK_IS_LABEL (widget))
    g_string_append_printf (out, "%s\n", gtk_label_get_label (GTK_LABEL (widget)));
  for (GtkWidget *w = gtk_widget_get_first_child (widget); w != NULL; w = gtk_widget_get_next_sibling (w))
    collect_text (w, out);
}

static gboolean
units_idle (gpointer data)
{
  return !sc_units_page_get_busy (data);
}

/* --------------------------------------------------------------- tests */

/* Paper out: nothing is sent, the unit waits with the printer's reason;
 * Retry prints it once the paper is in, and it passes; nothing twice. */
static void
test_paper_out_then_retry (Fixture       *f,
                           gconstpointer  data)
{
  const char *serial = "GUIPRINTWAIT001";

  scan (f, serial);
  assert_waits (f, serial, "out of paper");
  g_assert_cmpuint (fake_labels (f->fake), ==, 0);
  assert_n_waiting (f, 1);
  g_assert_nonnull (strstr (label_text (f->page, "waiting_label"), "1 unit waits to print"));

  /* Still out of paper: it keeps waiting, and still nothing went out. */
  activate_and_wait (f, "provision.retry", NULL);
  assert_waits (f, serial, "out of paper");
  g_assert_cmpuint (fake_labels (f->fake), ==, 0);

  /* Paper in: both labels, from the records, and the unit passes. */
  fake_set_status (f->fake, "ready");
  activate_and_wait (f, "provision.retry", NULL);
  assert_passes (f, serial);
  g_assert_cmpuint (sc_provision_page_get_n_passed (f->page), ==, 1);
  g_assert_cmpuint (fake_labels (f->fake), ==, 2);
  assert_printed_once (f, serial);
  assert_n_waiting (f, 0);

  /* Printed: a retry prints nothing more (only a reprint would). */
  activate_and_wait (f, "provision.retry-print", g_variant_new_string (serial));
  g_assert_cmpstr (label_text (f->page, "status_label"), ==, "FAIL");
  g_assert_nonnull (strstr (label_text (f->page, "failure_label"), "has printed its labels"));
  g_assert_cmpuint (fake_labels (f->fake), ==, 2);
}

/* Switch Printer: the waiting unit's labels on a file printer instead;
 * the fake printer gets nothing. A bad address is refused as typed. */
static void
test_switch_printer (Fixture       *f,
                     gconstpointer  data)
{
  const char *serial = "GUIPRINTSWITCH1";
  g_autofree char *uri = g_strconcat ("file://", f->files, NULL);
  g_autofree char *product = g_strdup_printf ("%s/%s-product.png", f->files, serial);
  g_autofree char *package = g_strdup_printf ("%s/%s-package.png", f->files, serial);
  g_autofree char *decoded = NULL;
  g_autoptr(GPtrArray) prints = NULL;
  g_autoptr(GError) error = NULL;
  AdwMessageDialog *dialog;
  GtkEditable *entry;
  guint before;

  scan (f, serial);
  assert_waits (f, serial, "out of paper");

  gtk_widget_activate_action (GTK_WIDGET (f->page), "provision.switch-printer", NULL);
  dialog = ADW_MESSAGE_DIALOG (_sc_provision_page_get_switch_dialog (f->page));
  g_assert_nonnull (dialog);
  entry = GTK_EDITABLE (gtk_window_get_focus (GTK_WINDOW (dialog)));
  g_assert_true (GTK_IS_EDITABLE (entry));
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "print"));
  gtk_editable_set_text (entry, "lpr://printer");
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "print"));
  gtk_editable_set_text (entry, uri);
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "print"));
  before = f->runs;
  click (GTK_WIDGET (dialog), "_Print");
  /* The printer is opened in a thread, then the run starts. */
  wait_runs (f, before, 1);

  assert_passes (f, serial);
  g_assert_cmpuint (fake_labels (f->fake), ==, 0);
  g_assert_true (g_file_test (product, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (package, G_FILE_TEST_IS_REGULAR));
  decoded = sc_label_decode_png (package, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (decoded, serial));
  assert_printed_once (f, serial);
  prints = list_prints (f, serial);
  g_assert_nonnull (strstr (((ScPrintRecord *) g_ptr_array_index (prints, prints->len - 1))->printer, f->files));

  /* The page's own printer is still the station's: the next unit waits. */
  scan (f, "GUIPRINTSWITCH2");
  assert_waits (f, "GUIPRINTSWITCH2", "out of paper");
}

/* A printer address that cannot be used is refused before any run. */
static void
test_switch_bad_address (Fixture       *f,
                         gconstpointer  data)
{
  const char *serial = "GUIPRINTBADADDR";

  scan (f, serial);
  assert_waits (f, serial, "out of paper");
  gtk_widget_activate_action (GTK_WIDGET (f->page), "provision.print-on", "(ss)", serial, "lpr://printer");
  g_assert_false (sc_provision_page_get_busy (f->page));
  g_assert_true (gtk_revealer_get_reveal_child (GTK_REVEALER (child (f->page, "message_revealer"))));
  g_test_message ("%s", label_text (f->page, "message_label"));
  g_assert_nonnull (strstr (label_text (f->page, "message_label"), "lpr://printer"));
  assert_waits (f, serial, "out of paper");
}

/* A job cut off part-way: its label may exist. Retry asks for a reason
 * (QA's, once the station has users), and it is printed again as a
 * reprint; the Units view says "Outcome unknown", then shows the reprint. */
static void
test_outcome_unknown (Fixture       *f,
                      gconstpointer  data)
{
  const char *serial = "GUIPRINTCUTOFF1";
  g_autofree char *uri = g_strconcat ("file://", f->files, NULL);
  g_autoptr(GPtrArray) prints = NULL;
  AdwMessageDialog *dialog;
  const ScPrintRecord *p;
  guint reprints = 0, before;

  fake_set_status (f->fake, "ready");
  scan (f, serial);
  assert_waits (f, serial, "may or may not have been printed");
  assert_n_waiting (f, 1);

  /* Someone who may not reprint: refused, and nothing runs. */
  sc_provision_page_set_reprint_refusal (f->page, "Only QA may reprint labels.");
  gtk_widget_activate_action (GTK_WIDGET (f->page), "provision.retry", NULL);
  g_assert_false (sc_provision_page_get_busy (f->page));
  g_assert_null (_sc_provision_page_get_retry_dialog (f->page));
  g_assert_nonnull (strstr (label_text (f->page, "message_label"), "Only QA may reprint labels."));
  gtk_widget_activate_action (GTK_WIDGET (f->page), "provision.retry-print-reason", "(ss)", serial, "Checked");
  g_assert_false (sc_provision_page_get_busy (f->page));
  sc_provision_page_set_reprint_refusal (f->page, NULL);

  /* An empty reason is no reason. */
  gtk_widget_activate_action (GTK_WIDGET (f->page), "provision.retry-print-reason", "(ss)", serial, "  ");
  g_assert_false (sc_provision_page_get_busy (f->page));

  /* Retry asks why; on the file printer, since this one cuts every job. */
  gtk_widget_activate_action (GTK_WIDGET (f->page), "provision.print-on", "(ss)", serial, uri);
  g_assert_true (sc_gui_test_wait (retry_dialog_open, f->page, TIMEOUT_S));
  dialog = ADW_MESSAGE_DIALOG (_sc_provision_page_get_retry_dialog (f->page));
  g_assert_false (sc_provision_page_get_busy (f->page));
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "print"));
  before = f->runs;
  click (GTK_WIDGET (dialog), "_Print");
  g_assert_true (sc_provision_page_get_busy (f->page));
  wait_runs (f, before, 1);
  assert_passes (f, serial);
  assert_n_waiting (f, 0);

  /* The label that may exist was printed again as a reprint, with the
   * reason chosen; the other one once. */
  prints = list_prints (f, serial);
  for (guint i = 0; i < prints->len; i++)
    {
      p = g_ptr_array_index (prints, i);
      if (p->reprint)
        {
          reprints++;
          g_assert_cmpint (p->status, ==, SC_PRINT_DONE);
          g_assert_cmpstr (p->reason, ==, "Checked: it did not print");
        }
    }
  g_assert_cmpuint (reprints, ==, 1);

  /* A reprint from the Units view on this printer, cut off too: recorded
   * as outcome unknown with why, never as failed. */
  {
    ScUnitsPage *units = SC_UNITS_PAGE (g_object_ref_sink (sc_units_page_new ()));
    GtkWindow *window = sc_gui_test_window (GTK_WIDGET (units), 1280, 800);
    g_autoptr(GPtrArray) after = NULL;
    g_autoptr(GString) shown = g_string_new (NULL);
    GtkWidget *list;

    sc_units_page_set_station (units, sc_provision_page_get_station (f->page));
    g_assert_true (sc_gui_test_wait (units_idle, units, TIMEOUT_S));
    gtk_widget_activate_action (GTK_WIDGET (units), "units.search", "s", serial);
    g_assert_true (sc_gui_test_wait (units_idle, units, TIMEOUT_S));
    gtk_widget_activate_action (GTK_WIDGET (units), "units.reprint", "(ss)", "product", "Smudged");
    g_assert_true (sc_units_page_get_busy (units));
    g_assert_true (sc_gui_test_wait (units_idle, units, TIMEOUT_S));

    after = list_prints (f, serial);
    g_assert_cmpuint (after->len, ==, prints->len + 1);
    p = g_ptr_array_index (after, after->len - 1);
    g_assert_true (p->reprint);
    g_assert_cmpint (p->status, ==, SC_PRINT_PENDING);
    g_assert_nonnull (p->error);
    g_assert_cmpstr (p->reason, ==, "Smudged");
    list = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (units), SC_TYPE_UNITS_PAGE, "print_list"));
    collect_text (list, shown);
    g_assert_nonnull (strstr (shown->str, "Outcome unknown"));

    gtk_window_destroy (window);
    g_assert_finalize_object (units);
  }
}

/* Retry All: every waiting unit, one after the other. */
static void
test_retry_all (Fixture       *f,
                gconstpointer  data)
{
  const char *serials[] = { "GUIPRINTALL0001", "GUIPRINTALL0002" };
  guint before = fake_labels (f->fake);
  guint before_runs;

  for (guint i = 0; i < G_N_ELEMENTS (serials); i++)
    {
      scan (f, serials[i]);
      assert_waits (f, serials[i], "out of paper");
    }
  assert_n_waiting (f, 2);
  g_assert_nonnull (strstr (label_text (f->page, "waiting_label"), "2 units wait to print"));

  fake_set_status (f->fake, "ready");
  before_runs = f->runs;
  gtk_widget_activate_action (GTK_WIDGET (f->page), "provision.retry-all", NULL);
  g_assert_true (sc_provision_page_get_busy (f->page));
  /* The second starts as the first ends. */
  wait_runs (f, before_runs, 2);
  g_assert_cmpstr (label_text (f->page, "message_label"), ==, "Retry All: 2 of 2 units printed.");
  for (guint i = 0; i < G_N_ELEMENTS (serials); i++)
    assert_printed_once (f, serials[i]);
  g_assert_cmpuint (fake_labels (f->fake), ==, before + 4);
  assert_n_waiting (f, 0);
}

/* -------------------------------------------------------- the Units view */

/* The Units view of the same station: "Not sent" with the printer's
 * reason, and the unit said to wait. */
static void
test_units_not_sent (Fixture       *f,
                     gconstpointer  data)
{
  const char *serial = "GUIPRINTUNITS01";
  ScUnitsPage *units = SC_UNITS_PAGE (g_object_ref_sink (sc_units_page_new ()));
  GtkWindow *window = sc_gui_test_window (GTK_WIDGET (units), 1280, 800);
  g_autoptr(GString) shown = g_string_new (NULL);
  GtkWidget *list, *state;
  GtkListBoxRow *row;

  scan (f, serial);
  assert_waits (f, serial, "out of paper");

  sc_units_page_set_station (units, sc_provision_page_get_station (f->page));
  g_assert_true (sc_gui_test_wait (units_idle, units, TIMEOUT_S));
  gtk_widget_activate_action (GTK_WIDGET (units), "units.search", "s", serial);
  g_assert_true (sc_gui_test_wait (units_idle, units, TIMEOUT_S));
  g_assert_cmpstr (sc_units_page_get_serial (units), ==, serial);

  list = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (units), SC_TYPE_UNITS_PAGE, "print_list"));
  row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), 0);
  g_assert_nonnull (row);
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (row), "sc-print-not-sent"));
  collect_text (GTK_WIDGET (row), shown);
  g_test_message ("%s", shown->str);
  g_assert_nonnull (strstr (shown->str, "Not sent"));
  g_assert_nonnull (strstr (shown->str, "out of paper"));
  state = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (units), SC_TYPE_UNITS_PAGE, "state_label"));
  g_assert_nonnull (strstr (gtk_label_get_label (GTK_LABEL (state)), "waits to print"));

  gtk_window_destroy (window);
  g_assert_finalize_object (units);
}

/* A job cut off shows as "Outcome unknown" with why. */
static void
test_units_outcome_unknown (Fixture       *f,
                            gconstpointer  data)
{
  const char *serial = "GUIPRINTUNITS02";
  ScUnitsPage *units = SC_UNITS_PAGE (g_object_ref_sink (sc_units_page_new ()));
  GtkWindow *window = sc_gui_test_window (GTK_WIDGET (units), 1280, 800);
  g_autoptr(GString) shown = g_string_new (NULL);
  GtkWidget *list;

  fake_set_status (f->fake, "ready");
  scan (f, serial);
  assert_waits (f, serial, "may or may not have been printed");

  sc_units_page_set_station (units, sc_provision_page_get_station (f->page));
  g_assert_true (sc_gui_test_wait (units_idle, units, TIMEOUT_S));
  gtk_widget_activate_action (GTK_WIDGET (units), "units.search", "s", serial);
  g_assert_true (sc_gui_test_wait (units_idle, units, TIMEOUT_S));
  list = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (units), SC_TYPE_UNITS_PAGE, "print_list"));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), 0)),
                                           "sc-print-pending"));
  collect_text (list, shown);
  g_test_message ("%s", shown->str);
  g_assert_nonnull (strstr (shown->str, "Outcome unknown"));
  g_assert_nonnull (strstr (shown->str, "Whether a label came out is not known"));

  gtk_window_destroy (window);
  g_assert_finalize_object (units);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  data_home = sc_gui_test_init (&argc, &argv);

  g_test_add ("/sc/print-pending/paper-out-then-retry", Fixture, NULL,
              fixture_setup, test_paper_out_then_retry, fixture_teardown);
  g_test_add ("/sc/print-pending/switch-printer", Fixture, NULL,
              fixture_setup, test_switch_printer, fixture_teardown);
  g_test_add ("/sc/print-pending/switch-bad-address", Fixture, NULL,
              fixture_setup, test_switch_bad_address, fixture_teardown);
  /* The fake resets every connection 200 bytes into a job. */
  g_test_add ("/sc/print-pending/outcome-unknown", Fixture, "--drop-after=200",
              fixture_setup, test_outcome_unknown, fixture_teardown);
  g_test_add ("/sc/print-pending/units-not-sent", Fixture, NULL,
              fixture_setup, test_units_not_sent, fixture_teardown);
  g_test_add ("/sc/print-pending/units-outcome-unknown", Fixture, "--drop-after=200",
              fixture_setup, test_units_outcome_unknown, fixture_teardown);
  g_test_add ("/sc/print-pending/retry-all", Fixture, NULL,
              fixture_setup, test_retry_all, fixture_teardown);

  status = g_test_run ();
  sc_gui_test_cleanup (data_home);
  return status;
}
