/* sc-provision-page.c: the operator's view: scan, watch the steps, see PASS or FAIL
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "sc-defaults.h"
#include "sc-gui-private.h"
#include "sc-label-preview.h"
#include "sc-pin-dialog.h"
#include "sc-provision-page-private.h"
#include "sc-reason-dialog.h"
#include "sc-station-panel.h"
#include "sc-step-detail.h"
#include "sc-step-row.h"
#include "sc-unit-run.h"

#define CUE_PATH "/org/setupconsole/SetupConsole/sounds/"
#define DEFAULT_IDLE_LOCK_SECONDS (30 * 60)
/* Print pending: the newest units waiting to print that the page lists,
 * and the printers offered by Switch Printer. */
#define WAITING_LIMIT 200
#define RECENT_PRINTERS 8

/* Why a label whose print broke off is printed again: recorded as written
 * here (the records read the same in every language), shown translated. */
static const char * const retry_reasons[] = {
  N_("Checked: it did not print"),
  N_("Partial label destroyed"),
  N_("Other"),
};

/* The faults a trainer injects into the simulated unit (sc-sim-link.c),
 * one unit at a time: what a line sees, and how the station recovers. */
static const char * const fault_ids[] = {
  "", "lost-answer", "damaged-answer", "unplugged", "flash-fails", "csr-other-serial", "csr-other-curve",
  "silent", NULL
};
static const char * const fault_queries[] = {
  NULL, "drop=HELLO", "corrupt=READ_BACK", "disconnect=PUT_CHAIN", "flash-fail=1", "csr=wrong-dsn",
  "csr=wrong-curve", "silent=1", NULL
};
static const char * const fault_titles[] = {
  N_("No fault"),
  N_("An answer lost on the cable"),
  N_("An answer damaged on the cable"),
  N_("Cable pulled during the flash write"),
  N_("Flash write fails"),
  N_("CSR for another serial"),
  N_("CSR on the wrong curve (P-384)"),
  N_("Unit does not answer"),
  NULL
};

struct _ScProvisionPage
{
  AdwBin          parent_instance;

  /* template children */
  GtkStack       *stack;
  AdwStatusPage  *error_page;
  GtkEntry       *scan_entry;
  GtkRevealer    *blocked_revealer;
  GtkLabel       *blocked_label;
  GtkWidget      *blocked_unlock_button;
  GtkRevealer    *message_revealer;
  GtkLabel       *message_label;
  GtkRevealer    *waiting_revealer;
  GtkLabel       *waiting_label;
  GtkWidget      *status_box;
  GtkLabel       *status_label;
  GtkLabel       *serial_label;
  GtkLabel       *failure_label;
  GtkWidget      *print_actions;
  GtkListBox     *step_list;
  ScStationPanel *station_panel;
  GtkStack       *detail_stack;
  GtkStack       *preview_stack;
  AdwStatusPage  *preview_placeholder;
  ScLabelPreview *preview;
  ScLabelPreview *package_preview;
  GtkStack       *label_stack;
  GtkStackPage   *package_page;
  GtkWidget      *label_switcher;
  GtkLabel       *detail_title;
  GtkLabel       *detail_summary;
  GtkListBox     *detail_list;
  GtkLabel       *passed_label;
  GtkLabel       *failed_label;
  GtkLabel       *rate_label;
  GtkLabel       *last_time_label;

  ScStepRow      *rows[SC_N_STEPS];
  GCancellable   *cancellable;
  StationRef     *station;
  ScUnitRun      *run;            /* the current or last run */
  char           *run_device_uri; /* the address it used */
  guint           generation;     /* which run the preview and the detail belong to */
  gboolean        busy;
  gboolean        blocked;
  gboolean        ready;
  gboolean        training;
  gboolean        training_mode;
  gboolean        step_by_step;
  gboolean        run_pauses;     /* the current run pauses after its steps */
  gboolean        paused;
  char           *fault;
  gboolean        result_shown;   /* PASS or FAIL is on the card */
  char           *summary;
  ScStepDetail   *detail;

  guint           n_passed;
  guint           n_failed;
  gint64          shift_start;    /* monotonic µs: the shift's first scan */
  gint64          run_start;

  gboolean        sound_cues;
  GtkMediaStream *cues[2];        /* FAIL, PASS */
  guint           idle_lock_seconds;
  guint           idle_lock_source;
  gboolean        pin_prompted;
  GtkWidget      *pin_dialog;     /* weak */
  char           *sign_in_blocker;

  /* Print pending */
  ScStep          failed_step;    /* the run's first failed step; SC_N_STEPS: none */
  char           *card_serial;    /* the unit the card shows waiting to print */
  GPtrArray      *waiting;        /* WaitingUnit, newest first, as the records last said */
  guint           waiting_generation;
  GPtrArray      *retry_queue;    /* Retry All: serials still to print, oldest first */
  guint           retry_total;
  guint           retry_passed;
  GPtrArray      *recent_printers; /* URIs chosen with Switch Printer, newest first */
  char           *reprint_refusal; /* why whoever is signed in may not reprint */
  GtkWidget      *retry_dialog;   /* weak: the reason for a label that may exist */
  GtkWidget      *switch_dialog;  /* weak */
};

enum
{
  PROP_0,
  PROP_READY,
  PROP_BLOCKED,
  PROP_TRAINING,
  PROP_TRAINING_MODE,
  PROP_BUSY,
  PROP_PAUSED,
  PROP_N_PASSED,
  PROP_N_FAILED,
  PROP_SUMMARY,
  PROP_STEP_BY_STEP,
  PROP_FAULT,
  PROP_SOUND_CUES,
  PROP_DAK_IDLE_LOCK_SECONDS,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

enum { SIGNAL_CUE, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ScProvisionPage, sc_provision_page, ADW_TYPE_BIN)

static void update_blocked (ScProvisionPage *self);
static void update_print_actions (ScProvisionPage *self);

/* ------------------------------------------------------------ the display */

static void
set_summary (ScProvisionPage *self,
             char            *summary)  /* transfer full */
{
  if (g_strcmp0 (summary, self->summary) != 0)
    {
      g_free (self->summary);
      self->summary = summary;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUMMARY]);
    }
  else
    g_free (summary);
}

static void
set_status (ScProvisionPage *self,
            const char      *css_class,
            const char      *title,
            const char      *serial,
            const char      *failure)
{
  static const char *classes[] = { "idle", "running", "pass", "fail", "incomplete", "waiting" };

  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    gtk_widget_remove_css_class (self->status_box, classes[i]);
  gtk_widget_add_css_class (self->status_box, css_class);
  /* Retry and Switch Printer belong to a unit shown waiting to print. */
  g_clear_pointer (&self->card_serial, g_free);
  gtk_widget_set_visible (self->print_actions, FALSE);

  gtk_label_set_label (self->status_label, title);
  gtk_label_set_label (self->serial_label, serial);
  gtk_label_set_label (self->failure_label, failure ? failure : "");
  gtk_widget_set_visible (GTK_WIDGET (self->failure_label), failure != NULL);

  set_summary (self, g_str_equal (css_class, "idle") ? g_strdup (title) : g_strdup_printf ("%s %s", title, serial));
}

static void
show_message (ScProvisionPage *self,
              const char      *message)
{
  if (message != NULL)
    gtk_label_set_label (self->message_label, message);
  gtk_revealer_set_reveal_child (self->message_revealer, message != NULL);
}

static char *
format_duration (gint64 us)
{
  if (us < G_USEC_PER_SEC)
    /* Translators: a whole unit's time, in milliseconds */
    return g_strdup_printf (_("%.0f ms"), us / 1000.0);
  /* Translators: a whole unit's time, in seconds */
  return g_strdup_printf (_("%.1f s"), (double) us / G_USEC_PER_SEC);
}

static void
update_counters (ScProvisionPage *self,
                 gint64           now)
{
  g_autofree char *passed = g_strdup_printf ("%u", self->n_passed);
  g_autofree char *failed = g_strdup_printf ("%u", self->n_failed);
  guint units = self->n_passed + self->n_failed;

  gtk_label_set_label (self->passed_label, passed);
  gtk_label_set_label (self->failed_label, failed);

  /* Finished units over the time from the shift's first scan to now; a
   * rate over less than a minute says nothing yet. */
  if (units > 0 && self->shift_start != 0 && now - self->shift_start >= 60 * G_USEC_PER_SEC)
    {
      double hours = (double) (now - self->shift_start) / (3600.0 * G_USEC_PER_SEC);
      g_autofree char *rate = g_strdup_printf ("%.0f", units / hours);
      gtk_label_set_label (self->rate_label, rate);
    }
  else
    gtk_label_set_label (self->rate_label, "–");
}

static void
grab_scan_focus (ScProvisionPage *self)
{
  if (gtk_widget_get_mapped (GTK_WIDGET (self->scan_entry)) &&
      gtk_widget_get_sensitive (GTK_WIDGET (self->scan_entry)))
    gtk_entry_grab_focus_without_selecting (self->scan_entry);
}

static void
set_paused (ScProvisionPage *self,
            gboolean         paused)
{
  if (self->paused == paused)
    return;
  self->paused = paused;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "provision.continue", paused);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "provision.finish", paused);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
}

/* -------------------------------------------------------------- the cues */

static void
cue_error_cb (GtkMediaStream *stream,
              GParamSpec     *pspec,
              gpointer        data)
{
  /* The media backend gave up after it was asked to play: a beep. */
  if (gtk_media_stream_get_error (stream) != NULL)
    gdk_display_beep (gdk_display_get_default ());
}

/* A sound from across the bench: a short rising tone for PASS, a low one
 * for FAIL, from the resources; a plain beep where GTK has no media
 * backend. */
static void
play_cue (ScProvisionPage *self,
          gboolean         passed)
{
  GtkMediaStream *cue;

  if (!self->sound_cues)
    return;
  g_signal_emit (self, signals[SIGNAL_CUE], 0, passed);

  if (self->cues[passed] == NULL)
    {
      self->cues[passed] = gtk_media_file_new_for_resource (passed ? CUE_PATH "pass.wav" : CUE_PATH "fail.wav");
      g_signal_connect (self->cues[passed], "notify::error", G_CALLBACK (cue_error_cb), NULL);
    }
  cue = self->cues[passed];

  if (gtk_media_stream_get_error (cue) != NULL)
    {
      gdk_display_beep (gtk_widget_get_display (GTK_WIDGET (self)));
      return;
    }
  if (gtk_media_stream_get_ended (cue) && gtk_media_stream_is_seekable (cue))
    gtk_media_stream_seek (cue, 0);
  gtk_media_stream_play (cue);
}

/* --------------------------------------------------------------- the DAK */

static void
idle_lock_disarm (ScProvisionPage *self)
{
  g_clear_handle_id (&self->idle_lock_source, g_source_remove);
}

static void lock_dak (ScProvisionPage *self, const char *message);

static gboolean
idle_lock_cb (gpointer data)
{
  ScProvisionPage *self = data;
  g_autofree char *message = NULL;
  guint minutes = (self->idle_lock_seconds + 59) / 60;

  self->idle_lock_source = 0;
  if (self->busy)
    {
      /* A run is no idle station: wait for the next stretch without scans. */
      self->idle_lock_source = g_timeout_add_seconds (self->idle_lock_seconds, idle_lock_cb, self);
      return G_SOURCE_REMOVE;
    }
  if (!sc_station_panel_get_dak_needs_pin (self->station_panel) ||
      !sc_station_panel_get_dak_unlocked (self->station_panel))
    return G_SOURCE_REMOVE;

  message = g_strdup_printf (ngettext ("The DAK was locked after %u minute without a scan; unlock it with its PIN "
                                       "to go on.",
                                       "The DAK was locked after %u minutes without a scan; unlock it with its PIN "
                                       "to go on.", minutes), minutes);
  lock_dak (self, message);
  return G_SOURCE_REMOVE;
}

/* Starts the idle time again: the DAK locks this long after the last scan. */
static void
idle_lock_arm (ScProvisionPage *self)
{
  idle_lock_disarm (self);
  if (self->idle_lock_seconds > 0 && self->station != NULL)
    self->idle_lock_source = g_timeout_add_seconds (self->idle_lock_seconds, idle_lock_cb, self);
}

static void
lock_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  sc_signer_lock (sc_dak_get_signer (task_data));
  g_task_return_boolean (task, TRUE);
}

static void
lock_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(ScProvisionPage) self = g_weak_ref_get (weak);

  _sc_weak_ref_free (weak);
  if (self != NULL)
    sc_station_panel_refresh (self->station_panel);
}

/* Wipes the DAK PIN held (in a worker thread: a token may be slow to
 * answer), then checks the station again. */
static void
lock_dak (ScProvisionPage *self,
          const char      *message)
{
  g_autoptr(GTask) task = NULL;

  if (self->station == NULL)
    return;
  idle_lock_disarm (self);
  show_message (self, message);
  task = g_task_new (NULL, NULL, lock_done_cb, _sc_weak_ref_new (self));
  g_task_set_source_tag (task, lock_dak);
  g_task_set_task_data (task, g_object_ref (self->station->station->dak), g_object_unref);
  g_task_run_in_thread (task, lock_thread);
}

static void
pin_unlocked_cb (ScProvisionPage *self,
                 ScPinDialog     *dialog)
{
  show_message (self, NULL);
  sc_station_panel_refresh (self->station_panel);
  idle_lock_arm (self);
}

static void
open_pin_dialog (ScProvisionPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (self->station == NULL)
    return;
  if (self->pin_dialog != NULL)
    {
      gtk_window_present (GTK_WINDOW (self->pin_dialog));
      return;
    }

  self->pin_dialog = sc_pin_dialog_new (sc_dak_get_signer (self->station->station->dak),
                                        sc_station_panel_get_dak_pin_retries (self->station_panel));
  g_object_add_weak_pointer (G_OBJECT (self->pin_dialog), (gpointer *) &self->pin_dialog);
  g_signal_connect_object (self->pin_dialog, "unlocked", G_CALLBACK (pin_unlocked_cb), self, G_CONNECT_SWAPPED);
  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (self->pin_dialog), GTK_WINDOW (root));
  gtk_window_present (GTK_WINDOW (self->pin_dialog));
}

static gboolean
dak_can_be_unlocked (ScProvisionPage *self)
{
  ScStationPanel *panel = self->station_panel;
  int retries = sc_station_panel_get_dak_pin_retries (panel);

  /* With one try left (or none) the console does not ask for the PIN. */
  return sc_station_panel_get_checked (panel) && sc_station_panel_get_dak_present (panel) &&
         sc_station_panel_get_dak_needs_pin (panel) && !sc_station_panel_get_dak_unlocked (panel) &&
         retries != 0 && retries != 1;
}

/* ------------------------------------------------------ the station panel */

static void
update_blocked (ScProvisionPage *self)
{
  ScStationPanel *panel = self->station_panel;
  gboolean checked = sc_station_panel_get_checked (panel);
  const char *blocker = !checked ? _("Checking the station…")
                        : sc_station_panel_get_blocker (panel) ? sc_station_panel_get_blocker (panel)
                        : self->sign_in_blocker;
  gboolean blocked = self->station == NULL || blocker != NULL;
  gboolean ready = self->station != NULL && checked;

  gtk_label_set_label (self->blocked_label, blocker ? blocker : "");
  gtk_revealer_set_reveal_child (self->blocked_revealer, self->station != NULL && checked && blocker != NULL);
  gtk_widget_set_visible (self->blocked_unlock_button, dak_can_be_unlocked (self));
  if (blocked)
    _sc_widget_drop_focus (GTK_WIDGET (self->scan_entry), NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->scan_entry), !blocked);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "provision.unlock-dak", dak_can_be_unlocked (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "provision.lock-dak",
                                 sc_station_panel_get_dak_needs_pin (panel) &&
                                 sc_station_panel_get_dak_unlocked (panel));

  g_object_freeze_notify (G_OBJECT (self));
  if (self->blocked != blocked)
    {
      self->blocked = blocked;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BLOCKED]);
    }
  if (ready && !self->result_shown && !self->busy)
    {
      if (blocked)
        set_status (self, "idle", _("Blocked"), _("Not ready to scan"), NULL);
      else
        set_status (self, "idle", _("Ready"), _("Scan a unit to begin"), NULL);
    }
  if (self->ready != ready)
    {
      self->ready = ready;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READY]);
    }
  g_object_thaw_notify (G_OBJECT (self));

  if (!blocked && !self->busy)
    grab_scan_focus (self);
  update_print_actions (self);

  /* At the start of a shift, the DAK PIN is asked for once by itself. */
  if (ready && !self->pin_prompted && dak_can_be_unlocked (self) &&
      gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      self->pin_prompted = TRUE;
      open_pin_dialog (self);
    }
}

static void
panel_changed_cb (ScProvisionPage *self,
                  GParamSpec      *pspec,
                  ScStationPanel  *panel)
{
  update_blocked (self);
}

/* ---------------------------------------------------------- the preview */

typedef struct
{
  StationRef    *station;
  ScPayload     *payloads[2];  /* product (carries the PIN: wiped when freed), package or NULL */
  ScLabelLayout *layouts[2];   /* made in the thread */
  gboolean       training;
  guint          generation;
} PreviewJob;

static void
preview_job_free (gpointer data)
{
  PreviewJob *job = data;

  g_clear_pointer (&job->station, _sc_station_ref_release);
  for (guint i = 0; i < G_N_ELEMENTS (job->payloads); i++)
    {
      g_clear_pointer (&job->payloads[i], sc_payload_free);
      g_clear_object (&job->layouts[i]);
    }
  g_free (job);
}

static void
preview_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  PreviewJob *job = task_data;
  GError *error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (job->payloads); i++)
    {
      if (job->payloads[i] == NULL)
        continue;
      job->layouts[i] = sc_label_layout_new_for_profile (job->station->station->profile, job->payloads[i],
                                                         job->training, &error);
      if (job->layouts[i] == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
    }
  g_task_return_boolean (task, TRUE);
}

/* The package label is one switch away when the product has one; each new
 * unit shows its product label first (it carries the PIN). */
static void
show_package_label (ScProvisionPage *self,
                    gboolean         shown)
{
  gtk_stack_page_set_visible (self->package_page, shown);
  gtk_widget_set_visible (self->label_switcher, shown);
  if (!shown)
    gtk_stack_set_visible_child_name (self->label_stack, "product");
}

static void
show_no_preview (ScProvisionPage *self,
                 const GError    *error)
{
  g_autofree char *message = g_strdup_printf (_("The label preview cannot be drawn: %s"), error->message);

  adw_status_page_set_title (self->preview_placeholder, _("No Preview"));
  adw_status_page_set_description (self->preview_placeholder, message);
}

static void
preview_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(ScProvisionPage) self = g_weak_ref_get (weak);
  PreviewJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  _sc_weak_ref_free (weak);
  g_task_propagate_boolean (G_TASK (result), &error);
  if (self == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      job->generation != self->generation)
    return;
  if (error != NULL)
    {
      show_no_preview (self, error);
      return;
    }

  sc_label_preview_set_layout (self->preview, job->layouts[0]);
  sc_label_preview_set_layout (self->package_preview, job->layouts[1]);
  show_package_label (self, job->layouts[1] != NULL);
  gtk_stack_set_visible_child_name (self->preview_stack, "preview");
}

/* Draws the product label, and the package label when the product has
 * one, once the run has their payloads. A layout encodes its symbol, so
 * both are made in a worker thread like the run itself. */
static void
load_preview (ScProvisionPage *self,
              ScUnitRun       *run)
{
  const char *texts[2] = {
    sc_unit_run_get_payload (run, SC_LABEL_KIND_PRODUCT),
    sc_unit_run_get_payload (run, SC_LABEL_KIND_PACKAGE),
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  PreviewJob *job;

  if (texts[0] == NULL)
    return;

  job = g_new0 (PreviewJob, 1);
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    if (texts[i] != NULL && (job->payloads[i] = sc_payload_parse (texts[i], NULL, &error)) == NULL)
      {
        show_no_preview (self, error);
        preview_job_free (job);
        return;
      }
  job->station = _sc_station_ref_acquire (self->station);
  job->training = self->training;
  job->generation = self->generation;

  task = g_task_new (NULL, self->cancellable, preview_done_cb, _sc_weak_ref_new (self));
  g_task_set_source_tag (task, load_preview);
  g_task_set_task_data (task, job, preview_job_free);
  g_task_run_in_thread (task, preview_thread);
}

/* ------------------------------------------------------ step by step */

typedef struct
{
  StationRef *station;
  char       *serial;
  ScStep      step;
  char       *device_uri;
  char       *payloads[2];  /* wiped when freed */
  guint       generation;
} DetailJob;

static void
detail_job_free (gpointer data)
{
  DetailJob *job = data;

  _sc_station_ref_release (job->station);
  g_free (job->serial);
  g_free (job->device_uri);
  sc_clear_secret_string (&job->payloads[0]);
  sc_clear_secret_string (&job->payloads[1]);
  g_free (job);
}

static void
detail_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  DetailJob *job = task_data;
  GError *error = NULL;
  ScStepDetail *detail;

  detail = sc_step_detail_build (job->station->station, job->serial, job->step, job->device_uri,
                                 job->payloads[0], job->payloads[1], &error);
  if (detail == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, detail, (GDestroyNotify) sc_step_detail_free);
}

static GtkWidget *
detail_row_new (const char *name,
                const char *value)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *name_label = gtk_label_new (name);
  GtkWidget *value_label = gtk_label_new (value);

  gtk_widget_add_css_class (box, "sc-field");
  gtk_label_set_xalign (GTK_LABEL (name_label), 0);
  gtk_widget_add_css_class (name_label, "caption");
  gtk_widget_add_css_class (name_label, "dim-label");
  gtk_label_set_xalign (GTK_LABEL (value_label), 0);
  gtk_label_set_wrap (GTK_LABEL (value_label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (value_label), PANGO_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (value_label, "sc-field-value");
  gtk_box_append (GTK_BOX (box), name_label);
  gtk_box_append (GTK_BOX (box), value_label);
  return box;
}

static void
show_detail (ScProvisionPage *self,
             ScStepDetail    *detail)  /* transfer full */
{
  g_autofree char *title = NULL;
  GtkWidget *child;

  g_clear_pointer (&self->detail, sc_step_detail_free);
  self->detail = detail;

  /* Translators: the step-by-step view's title: a step just done */
  title = g_strdup_printf (_("Done: %s"), sc_step_get_title (detail->step));
  gtk_label_set_label (self->detail_title, title);
  gtk_label_set_label (self->detail_summary, detail->summary);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->detail_list))) != NULL)
    gtk_list_box_remove (self->detail_list, child);
  for (guint i = 0; i < detail->rows->len; i++)
    {
      ScStepDetailRow *row = g_ptr_array_index (detail->rows, i);
      gtk_list_box_append (self->detail_list, detail_row_new (row->name, row->value));
    }
  gtk_stack_set_visible_child_name (self->detail_stack, "detail");
}

static void
detail_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(ScProvisionPage) self = g_weak_ref_get (weak);
  DetailJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  ScStepDetail *detail;

  _sc_weak_ref_free (weak);
  detail = g_task_propagate_pointer (G_TASK (result), &error);
  if (self == NULL || job->generation != self->generation || !self->paused)
    {
      g_clear_pointer (&detail, sc_step_detail_free);
      return;
    }
  if (detail == NULL)
    {
      /* What happened cannot be shown: the run itself is fine. */
      detail = g_new0 (ScStepDetail, 1);
      detail->step = job->step;
      detail->summary = g_strdup_printf (_("What this step did cannot be shown: %s"), error->message);
      detail->rows = g_ptr_array_new ();
    }
  show_detail (self, detail);
}

static void
load_detail (ScProvisionPage *self,
             ScStep           step)
{
  g_autoptr(GTask) task = NULL;
  DetailJob *job = g_new0 (DetailJob, 1);
  const char *product = sc_unit_run_get_payload (self->run, SC_LABEL_KIND_PRODUCT);
  const char *package = sc_unit_run_get_payload (self->run, SC_LABEL_KIND_PACKAGE);

  job->station = _sc_station_ref_acquire (self->station);
  job->serial = g_strdup (sc_unit_run_get_serial (self->run));
  job->step = step;
  job->device_uri = g_strdup (self->run_device_uri);
  job->payloads[0] = g_strdup (product);
  job->payloads[1] = g_strdup (package);
  job->generation = self->generation;

  task = g_task_new (NULL, self->cancellable, detail_done_cb, _sc_weak_ref_new (self));
  g_task_set_source_tag (task, load_detail);
  g_task_set_task_data (task, job, detail_job_free);
  g_task_run_in_thread (task, detail_thread);
}

static void
hide_detail (ScProvisionPage *self)
{
  g_clear_pointer (&self->detail, sc_step_detail_free);
  gtk_stack_set_visible_child_name (self->detail_stack, "label");
}

/* --------------------------------------------------------------- the run */

static void
step_started_cb (ScProvisionPage *self,
                 int              step,
                 ScUnitRun       *run)
{
  if (run != self->run || step < 0 || step >= SC_N_STEPS)
    return;
  sc_step_row_set_running (self->rows[step]);
}

static void
step_finished_cb (ScProvisionPage *self,
                  int              step,
                  gboolean         ok,
                  gint64           duration_us,
                  const char      *error,
                  ScUnitRun       *run)
{
  if (run != self->run || step < 0 || step >= SC_N_STEPS)
    return;

  if (ok)
    sc_step_row_set_finished (self->rows[step], MAX (duration_us, 0), NULL);
  else
    sc_step_row_set_finished (self->rows[step], MAX (duration_us, 0),
                              error ? error : _("The step failed without saying why; scan the unit again"));
  if (!ok && self->failed_step == SC_N_STEPS)
    self->failed_step = step;

  if (ok && step == SC_STEP_LABEL)
    load_preview (self, run);

  /* Step by step: the run holds now (sc_unit_run_set_pause()) until it is
   * continued; show what the step did meanwhile. */
  if (ok && self->run_pauses && step < SC_N_STEPS - 1)
    {
      set_paused (self, TRUE);
      load_detail (self, step);
    }
}

static void
step_skipped_cb (ScProvisionPage *self,
                 int              step,
                 ScUnitRun       *run)
{
  if (run != self->run || step < 0 || step >= SC_N_STEPS)
    return;
  sc_step_row_set_skipped (self->rows[step]);
  /* A resumed run has its payload from the records. */
  if (step == SC_STEP_LABEL)
    load_preview (self, run);
}

typedef struct
{
  GWeakRef         page;
  StationRef      *station;   /* the run's: the page's, or a copy with a fault */
} RunData;

static void refresh_waiting (ScProvisionPage *self);
static void retry_next (ScProvisionPage *self);

static void
finish_run (ScProvisionPage *self,
            gboolean         ok,
            const GError    *error)
{
  gint64 now = g_get_monotonic_time ();
  g_autofree char *last = format_duration (now - self->run_start);
  const char *serial = sc_unit_run_get_serial (self->run);
  /* Stopped at the printer: the labels are made, verified and recorded,
   * and the unit waits to print. Not a FAIL: its labels are printed from
   * the records, on this printer or another, without the unit. */
  gboolean waits = !ok && self->failed_step == SC_STEP_PRINT;

  g_object_freeze_notify (G_OBJECT (self));

  self->busy = FALSE;
  self->result_shown = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  set_paused (self, FALSE);
  hide_detail (self);

  if (ok)
    {
      g_autofree char *resumed = NULL;

      if (sc_unit_run_get_resumed (self->run))
        /* Translators: the serial of a unit whose earlier, interrupted run was continued */
        resumed = g_strdup_printf (_("%s (resumed)"), serial);
      self->n_passed++;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PASSED]);
      /* Translators: the result of a unit that was provisioned */
      set_status (self, "pass", C_("result", "PASS"), resumed ? resumed : serial, NULL);
      if (self->retry_queue != NULL)
        self->retry_passed++;
    }
  else if (waits)
    {
      /* Translators: the result of a unit whose labels are made but not printed (print pending) */
      set_status (self, "incomplete", C_("result", "WAITS TO PRINT"), serial, error->message);
      /* A longer title, in a size that keeps the column as wide. */
      gtk_widget_add_css_class (self->status_box, "waiting");
      self->card_serial = g_strdup (serial);
      gtk_widget_set_visible (self->print_actions, TRUE);
    }
  else
    {
      self->n_failed++;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_FAILED]);
      /* Translators: the result of a unit that was not provisioned */
      set_status (self, "fail", C_("result", "FAIL"), serial, error->message);
    }
  /* Waiting to print needs a person as much as a FAIL does. */
  play_cue (self, ok);

  gtk_label_set_label (self->last_time_label, last);
  update_counters (self, now);
  update_blocked (self);
  /* A refusal stays up until the next scan: it names the unit to scan again. */
  grab_scan_focus (self);

  g_object_thaw_notify (G_OBJECT (self));

  /* Any run may have left a unit waiting, or printed one that waited. */
  refresh_waiting (self);
  retry_next (self);
}

static void
run_done_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  RunData *data = user_data;
  g_autoptr(ScProvisionPage) self = g_weak_ref_get (&data->page);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  /* Not checked for cancellation: the run ended one way or the other. */
  ok = sc_unit_run_run_finish (SC_UNIT_RUN (object), result, &error);
  /* After dispose, self->run is gone: nothing left to show it on. */
  if (self != NULL && self->run == SC_UNIT_RUN (object))
    finish_run (self, ok, error);

  _sc_station_ref_release (data->station);
  g_weak_ref_clear (&data->page);
  g_free (data);
}

static const char *
fault_query (const char *fault)
{
  for (guint i = 1; fault != NULL && fault_ids[i] != NULL; i++)
    if (g_str_equal (fault, fault_ids[i]))
      return fault_queries[i];
  return NULL;
}

static const char *
fault_title (const char *fault)
{
  for (guint i = 0; fault_ids[i] != NULL; i++)
    if (g_str_equal (fault, fault_ids[i]))
      return _(fault_titles[i]);
  return fault;
}

/* The simulated unit of @serial, as the run addresses it for "sim:" (its
 * flash in the data dir, so a later scan finds what it holds), with
 * @query's fault. */
static char *
fault_device_uri (const char *serial,
                  const char *query)
{
  g_autofree char *data_dir = sc_defaults_get_data_dir ();
  g_autofree char *dir = g_build_filename (data_dir, "sim", NULL);
  g_autofree char *flash = NULL;
  g_autofree char *flash_escaped = NULL;
  g_autofree char *serial_escaped = g_uri_escape_string (serial, NULL, FALSE);

  g_mkdir_with_parents (dir, 0700);
  flash = g_strdup_printf ("%s/%s.img", dir, serial);
  flash_escaped = g_uri_escape_string (flash, "/", FALSE);
  return g_strdup_printf ("sim:?serial=%s&flash=%s&%s", serial_escaped, flash_escaped, query);
}

/* Runs @serial in a worker thread, on @station (transfer full; NULL: the
 * page's). @print_only: a unit that waits to print, its labels from the
 * records (sc_unit_run_set_print_only()); @reprint_reason for a label that
 * may or may not exist. */
static void
start_run_full (ScProvisionPage *self,
                const char      *serial,
                StationRef      *run_station,
                gboolean         print_only,
                const char      *reprint_reason)
{
  ScStation *station = self->station->station;
  const char *query = self->training_mode && !print_only && run_station == NULL ? fault_query (self->fault) : NULL;
  RunData *data;

  g_assert (!self->busy);
  g_assert (self->station != NULL);

  if (self->run != NULL)
    g_signal_handlers_disconnect_by_data (self->run, self);
  g_clear_object (&self->run);

  data = g_new0 (RunData, 1);
  g_weak_ref_init (&data->page, self);
  g_free (self->run_device_uri);
  if (query != NULL)
    {
      /* The fault is for this unit only: the next one runs without it, so
       * a second scan shows how the station recovers. */
      g_autofree char *message = NULL;

      self->run_device_uri = fault_device_uri (serial, query);
      data->station = _sc_station_ref_new (sc_station_new (station->profile, station->dak, station->store,
                                                           station->secret, station->printer,
                                                           self->run_device_uri, station->operator_name));
      message = g_strdup_printf (_("Training: %s runs with an injected fault (%s). The next unit runs without "
                                   "it."), serial, fault_title (self->fault));
      show_message (self, message);
      g_free (self->fault);
      self->fault = g_strdup ("");
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FAULT]);
    }
  else
    {
      data->station = run_station != NULL ? run_station : _sc_station_ref_acquire (self->station);
      self->run_device_uri = g_strdup (data->station->station->device_uri);
      show_message (self, NULL);
    }

  self->generation++;
  self->failed_step = SC_N_STEPS;
  self->run = sc_unit_run_new (data->station->station, serial);
  sc_unit_run_set_print_only (self->run, print_only);
  if (reprint_reason != NULL)
    sc_unit_run_set_reprint_reason (self->run, reprint_reason);
  self->run_pauses = self->training_mode && self->step_by_step;
  sc_unit_run_set_pause (self->run, self->run_pauses);
  g_signal_connect_object (self->run, "step-started", G_CALLBACK (step_started_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->run, "step-finished", G_CALLBACK (step_finished_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->run, "step-skipped", G_CALLBACK (step_skipped_cb), self, G_CONNECT_SWAPPED);

  for (guint i = 0; i < SC_N_STEPS; i++)
    sc_step_row_reset (self->rows[i]);
  hide_detail (self);
  sc_label_preview_set_layout (self->preview, NULL);
  sc_label_preview_set_layout (self->package_preview, NULL);
  show_package_label (self, FALSE);
  gtk_stack_set_visible_child_name (self->preview_stack, "empty");
  adw_status_page_set_title (self->preview_placeholder, _("No Label Yet"));
  adw_status_page_set_description (self->preview_placeholder,
                                   _("The product and package labels appear here as soon as the unit’s payloads "
                                     "exist."));
  /* Translators: shown while a unit is being provisioned, or while a unit
   * that waited has its labels printed */
  set_status (self, "running", print_only ? _("Printing…") : _("Working…"), serial, NULL);

  self->run_start = g_get_monotonic_time ();
  if (self->shift_start == 0)
    self->shift_start = self->run_start;
  self->busy = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  idle_lock_arm (self);

  /* In a worker thread; the run's signals come back on this main loop. */
  sc_unit_run_run_async (self->run, self->cancellable, run_done_cb, data);
  /* The buttons of a waiting unit, and Retry All, wait for the run. */
  update_print_actions (self);
}

static void
start_run (ScProvisionPage *self,
           const char      *serial)
{
  start_run_full (self, serial, NULL, FALSE, NULL);
}

/* ---------------------------------------------------------- print pending */

/* A unit whose labels were made and verified but not all printed, as the
 * records say. */
typedef struct
{
  char          *serial;
  ScPrintStatus  status[2];   /* per ScLabelKind: DONE, PENDING (may exist) or NOT_SENT */
  char          *why;         /* the printer's reason, newest first */
} WaitingUnit;

static void
waiting_unit_free (gpointer data)
{
  WaitingUnit *unit = data;

  g_free (unit->serial);
  g_free (unit->why);
  g_free (unit);
}

/* A label of it may or may not exist: printing it again is a reprint,
 * with a reason. */
static gboolean
waiting_unit_needs_reason (const WaitingUnit *unit)
{
  return unit->status[SC_LABEL_KIND_PRODUCT] == SC_PRINT_PENDING ||
         unit->status[SC_LABEL_KIND_PACKAGE] == SC_PRINT_PENDING;
}

static WaitingUnit *
find_waiting (ScProvisionPage *self,
              const char      *serial)
{
  for (guint i = 0; self->waiting != NULL && i < self->waiting->len; i++)
    {
      WaitingUnit *unit = g_ptr_array_index (self->waiting, i);

      if (g_str_equal (unit->serial, serial))
        return unit;
    }
  return NULL;
}

/* Retrying needs the station, no run under way, and someone allowed to
 * print (sign-in); not the DAK or the fixture, which a print from the
 * records does not use. */
static gboolean
can_retry (ScProvisionPage *self)
{
  return self->station != NULL && !self->busy && self->sign_in_blocker == NULL;
}

static void
update_print_actions (ScProvisionPage *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean can = can_retry (self);

  gtk_widget_action_set_enabled (widget, "provision.retry", can && self->card_serial != NULL);
  gtk_widget_action_set_enabled (widget, "provision.switch-printer", can && self->card_serial != NULL);
  gtk_widget_action_set_enabled (widget, "provision.retry-all",
                                 can && self->waiting != NULL && self->waiting->len > 0);
  gtk_widget_action_set_enabled (widget, "provision.retry-print", self->station != NULL);
  gtk_widget_action_set_enabled (widget, "provision.retry-print-reason", self->station != NULL);
  gtk_widget_action_set_enabled (widget, "provision.print-on", self->station != NULL);
}

/* Says why a retry of @serial cannot start now (and rings), or FALSE. */
static gboolean
refuse_retry (ScProvisionPage *self,
              const char      *serial)
{
  g_autofree char *message = NULL;

  if (self->station == NULL)
    message = g_strdup (_("The station is not open yet; retry in a moment."));
  else if (self->busy)
    message = g_strdup_printf (_("Not printed: %s is still being provisioned. Wait for its result, then retry %s."),
                               sc_unit_run_get_serial (self->run), serial);
  else if (self->sign_in_blocker != NULL)
    message = g_strdup_printf (_("%s is not printed: %s"), serial, self->sign_in_blocker);
  if (message == NULL)
    return FALSE;
  show_message (self, message);
  gtk_widget_error_bell (GTK_WIDGET (self));
  return TRUE;
}

typedef struct
{
  StationRef *station;
  guint       generation;
} WaitingJob;

static void
waiting_job_free (gpointer data)
{
  WaitingJob *job = data;

  _sc_station_ref_release (job->station);
  g_free (job);
}

static void
waiting_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  WaitingJob *job = task_data;
  ScStation *station = job->station->station;
  const char *product = sc_profile_get_device_type_id (station->profile);
  ScUnitQuery query = { 0, 0, SC_UNIT_RESULT_PRINT_PENDING, NULL, WAITING_LIMIT };
  g_autoptr(GPtrArray) units = NULL;
  g_autoptr(GPtrArray) waiting = g_ptr_array_new_with_free_func (waiting_unit_free);
  GError *error = NULL;

  units = sc_store_search_units (station->store, &query, &error);
  if (units == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  for (guint i = 0; i < units->len; i++)
    {
      const ScUnitRecord *record = g_ptr_array_index (units, i);
      g_autoptr(GPtrArray) prints = NULL;
      WaitingUnit *unit;

      /* A reprint of a unit that passed may be pending too: that unit does
       * not wait. Nor does another product's, printed at its own station. */
      if (record->state != SC_UNIT_LABELLED || g_strcmp0 (record->product, product) != 0)
        continue;
      prints = sc_store_list_prints (station->store, record->id, &error);
      if (prints == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
      unit = g_new0 (WaitingUnit, 1);
      unit->serial = g_strdup (record->serial);
      for (ScLabelKind kind = SC_LABEL_KIND_PRODUCT; kind <= SC_LABEL_KIND_PACKAGE; kind++)
        {
          const ScPrintRecord *last = NULL;

          unit->status[kind] = sc_print_records_get_label_status (prints, kind, &last);
          if (unit->why == NULL && unit->status[kind] != SC_PRINT_DONE && last != NULL && last->error != NULL)
            unit->why = g_strdup (last->error);
        }
      g_ptr_array_add (waiting, unit);
    }
  g_task_return_pointer (task, g_steal_pointer (&waiting), (GDestroyNotify) g_ptr_array_unref);
}

static void
show_waiting (ScProvisionPage *self)
{
  guint n = self->waiting != NULL ? self->waiting->len : 0;
  guint n_reason = 0;
  g_autoptr(GString) tooltip = g_string_new (NULL);
  g_autofree char *text = NULL;

  for (guint i = 0; i < n; i++)
    {
      WaitingUnit *unit = g_ptr_array_index (self->waiting, i);

      n_reason += waiting_unit_needs_reason (unit);
      if (i < 20)
        /* Translators: a unit waiting to print in a tooltip: its serial, then why */
        g_string_append_printf (tooltip, _("%s%s: %s"), i > 0 ? "\n" : "", unit->serial,
                                unit->why ? unit->why : _("not printed yet"));
    }
  if (n > 20)
    g_string_append_printf (tooltip, ngettext ("\n… and %u more", "\n… and %u more", n - 20), n - 20);

  text = g_strdup_printf (ngettext ("%u unit waits to print: its labels are made and verified.",
                                    "%u units wait to print: their labels are made and verified.", n), n);
  if (n_reason > 0)
    {
      g_autofree char *more = g_strdup_printf (ngettext (" %u of them has a label that may or may not have "
                                                         "printed: retry it by itself, with a reason.",
                                                         " %u of them have a label that may or may not have "
                                                         "printed: retry each by itself, with a reason.", n_reason),
                                               n_reason);
      g_autofree char *both = g_strconcat (text, more, NULL);

      g_free (text);
      text = g_steal_pointer (&both);
    }
  gtk_label_set_label (self->waiting_label, text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->waiting_label), n > 0 ? tooltip->str : NULL);
  gtk_revealer_set_reveal_child (self->waiting_revealer, n > 0);
  update_print_actions (self);
}

static void
waiting_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(ScProvisionPage) self = g_weak_ref_get (weak);
  WaitingJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GPtrArray) waiting = NULL;
  g_autoptr(GError) error = NULL;

  _sc_weak_ref_free (weak);
  waiting = g_task_propagate_pointer (G_TASK (result), &error);
  if (self == NULL || job->generation != self->waiting_generation ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (waiting == NULL)
    {
      /* The list is a convenience: the card and the CLI still work. */
      g_warning ("The units waiting to print cannot be listed: %s", error->message);
      return;
    }
  g_clear_pointer (&self->waiting, g_ptr_array_unref);
  self->waiting = g_steal_pointer (&waiting);
  show_waiting (self);
}

/* Reads the units waiting to print from the records, in a worker thread. */
static void
refresh_waiting (ScProvisionPage *self)
{
  g_autoptr(GTask) task = NULL;
  WaitingJob *job;

  if (self->station == NULL)
    return;
  job = g_new0 (WaitingJob, 1);
  job->station = _sc_station_ref_acquire (self->station);
  job->generation = ++self->waiting_generation;

  task = g_task_new (NULL, self->cancellable, waiting_done_cb, _sc_weak_ref_new (self));
  g_task_set_source_tag (task, refresh_waiting);
  g_task_set_task_data (task, job, waiting_job_free);
  g_task_run_in_thread (task, waiting_thread);
}

/* The reason for printing again a label that may exist. */

static void retry_print (ScProvisionPage *self, const char *serial, StationRef *station, const char *reason);

static void
retry_dialog_response_cb (ScProvisionPage  *self,
                          const char       *response,
                          AdwMessageDialog *dialog)
{
  const char *serial = g_object_get_data (G_OBJECT (dialog), "sc-serial");
  StationRef *station = g_object_steal_data (G_OBJECT (dialog), "sc-station");
  g_autofree char *reason = NULL;

  grab_scan_focus (self);
  if (!g_str_equal (response, "print"))
    {
      g_clear_pointer (&station, _sc_station_ref_release);
      return;
    }
  /* Recorded as "Partial label destroyed: the roll jammed" */
  reason = _sc_reason_dialog_get_reason (GTK_WIDGET (dialog));
  retry_print (self, serial, station, reason);
}

static void
ask_retry_reason (ScProvisionPage *self,
                  const char      *serial,
                  StationRef      *station)  /* transfer full, nullable */
{
  GtkWidget *dialog;
  g_autofree char *body = NULL;

  if (self->retry_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->retry_dialog));

  body = g_strdup_printf (_("A label of %s may or may not have printed: its job broke off. Look at the printer "
                            "and destroy any part of it; the label is then printed again and recorded as a "
                            "reprint with the reason."), serial);
  dialog = _sc_reason_dialog_new (GTK_WIDGET (self), _("Print It Again as a Reprint?"), body, "print", _("_Print"),
                                  retry_reasons, G_N_ELEMENTS (retry_reasons));
  g_object_set_data_full (G_OBJECT (dialog), "sc-serial", g_strdup (serial), g_free);
  if (station != NULL)
    g_object_set_data_full (G_OBJECT (dialog), "sc-station", station, _sc_station_ref_release);
  g_signal_connect_object (dialog, "response", G_CALLBACK (retry_dialog_response_cb), self, G_CONNECT_SWAPPED);

  self->retry_dialog = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->retry_dialog);
  _sc_reason_dialog_present (dialog);
}

/* Prints what @serial still needs from the records, on @station's printer
 * (transfer full; NULL: the page's): a print-only run, shown like any
 * other. A label that may already exist is printed again only as a
 * reprint with @reason, which is asked for when missing. */
static void
retry_print (ScProvisionPage *self,
             const char      *serial,
             StationRef      *station,
             const char      *reason)
{
  WaitingUnit *unit = find_waiting (self, serial);
  /* A label that may exist is printed again only as a reprint. A unit the
   * list does not know (yet): a reason given makes it one, and without one
   * the run says whether it needs it. */
  gboolean reprint = unit != NULL ? waiting_unit_needs_reason (unit) : reason != NULL;

  if (refuse_retry (self, serial))
    {
      g_clear_pointer (&station, _sc_station_ref_release);
      return;
    }
  if (reprint && self->reprint_refusal != NULL)
    {
      g_autofree char *message = g_strdup_printf (_("A label of %s may or may not have printed, and printing it "
                                                    "again is a reprint: %s"), serial, self->reprint_refusal);
      show_message (self, message);
      gtk_widget_error_bell (GTK_WIDGET (self));
      g_clear_pointer (&station, _sc_station_ref_release);
      return;
    }
  if (reprint && reason == NULL)
    {
      ask_retry_reason (self, serial, station);
      return;
    }
  start_run_full (self, serial, station, TRUE, reprint ? reason : NULL);
}

/* Retry All: one unit after the other, oldest first; a unit that cannot
 * print keeps waiting and the rest go on. */
static void
retry_next (ScProvisionPage *self)
{
  g_autofree char *serial = NULL;

  if (self->retry_queue == NULL || self->busy)
    return;
  if (self->retry_queue->len == 0 || !can_retry (self))
    {
      g_autofree char *message = g_strdup_printf (ngettext ("Retry All: %u of %u unit printed.",
                                                            "Retry All: %u of %u units printed.",
                                                            self->retry_total),
                                                  self->retry_passed, self->retry_total);
      g_clear_pointer (&self->retry_queue, g_ptr_array_unref);
      show_message (self, message);
      return;
    }
  serial = g_ptr_array_steal_index (self->retry_queue, 0);
  start_run_full (self, serial, NULL, TRUE, NULL);
}

static void
retry_action_cb (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  ScProvisionPage *self = SC_PROVISION_PAGE (widget);
  g_autofree char *serial = NULL;
  g_autofree char *reason = NULL;

  if (parameter == NULL)
    serial = g_strdup (self->card_serial);
  else if (g_variant_is_of_type (parameter, G_VARIANT_TYPE_STRING))
    serial = g_strstrip (g_variant_dup_string (parameter, NULL));
  else
    {
      const char *given_serial, *given_reason;

      g_variant_get (parameter, "(&s&s)", &given_serial, &given_reason);
      serial = g_strstrip (g_strdup (given_serial));
      reason = g_strstrip (g_strdup (given_reason));
      if (*reason == '\0')
        {
          show_message (self, _("A reprint needs a reason: say why the label is printed again."));
          gtk_widget_error_bell (widget);
          return;
        }
    }
  if (serial == NULL || *serial == '\0')
    return;
  retry_print (self, serial, NULL, reason);
}

static void
retry_all_action_cb (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  ScProvisionPage *self = SC_PROVISION_PAGE (widget);
  guint skipped = 0;

  if (self->waiting == NULL || self->waiting->len == 0 || refuse_retry (self, _("the waiting units")))
    return;

  g_clear_pointer (&self->retry_queue, g_ptr_array_unref);
  self->retry_queue = g_ptr_array_new_with_free_func (g_free);
  for (guint i = self->waiting->len; i > 0; i--)
    {
      WaitingUnit *unit = g_ptr_array_index (self->waiting, i - 1);

      if (waiting_unit_needs_reason (unit))
        skipped++;
      else
        g_ptr_array_add (self->retry_queue, g_strdup (unit->serial));
    }
  self->retry_total = self->retry_queue->len;
  self->retry_passed = 0;
  if (self->retry_total == 0)
    {
      g_clear_pointer (&self->retry_queue, g_ptr_array_unref);
      show_message (self, _("Every unit waiting to print has a label that may or may not have printed: retry each "
                            "by itself, with a reason."));
      gtk_widget_error_bell (widget);
      return;
    }
  retry_next (self);
}

/* Switch Printer: another printer for a unit's missing labels. */

typedef struct
{
  StationRef *station;
  char       *serial;
  char       *uri;
} SwitchJob;

static void
switch_job_free (gpointer data)
{
  SwitchJob *job = data;

  _sc_station_ref_release (job->station);
  g_free (job->serial);
  g_free (job->uri);
  g_free (job);
}

static void
switch_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  SwitchJob *job = task_data;
  GError *error = NULL;
  ScPrinter *printer = sc_printer_open_for_profile (job->station->station->profile, job->uri, &error);

  if (printer == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, printer, g_object_unref);
}

static void
remember_printer (ScProvisionPage *self,
                  const char      *uri)
{
  for (guint i = 0; i < self->recent_printers->len; i++)
    if (g_str_equal (g_ptr_array_index (self->recent_printers, i), uri))
      {
        g_ptr_array_remove_index (self->recent_printers, i);
        break;
      }
  g_ptr_array_insert (self->recent_printers, 0, g_strdup (uri));
  if (self->recent_printers->len > RECENT_PRINTERS)
    g_ptr_array_set_size (self->recent_printers, RECENT_PRINTERS);
}

static void
switch_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(ScProvisionPage) self = g_weak_ref_get (weak);
  SwitchJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(ScPrinter) printer = NULL;
  g_autoptr(GError) error = NULL;
  ScStation *station = job->station->station;

  _sc_weak_ref_free (weak);
  printer = g_task_propagate_pointer (G_TASK (result), &error);
  if (self == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (printer == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("%s is not printed on %s: %s"), job->serial, job->uri,
                                                  error->message);
      show_message (self, message);
      gtk_widget_error_bell (GTK_WIDGET (self));
      return;
    }
  remember_printer (self, job->uri);
  /* This unit's labels only: the next units still go to the station's
   * printer. */
  retry_print (self, job->serial,
               _sc_station_ref_new (sc_station_new (station->profile, station->dak, station->store, station->secret,
                                                    printer, station->device_uri, station->operator_name)),
               NULL);
}

static void
print_on_action_cb (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  ScProvisionPage *self = SC_PROVISION_PAGE (widget);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *uri = NULL;
  const char *given_serial, *given_uri;
  SwitchJob *job;

  g_variant_get (parameter, "(&s&s)", &given_serial, &given_uri);
  serial = g_strstrip (g_strdup (given_serial));
  uri = g_strstrip (g_strdup (given_uri));
  if (*serial == '\0' || refuse_retry (self, serial))
    return;
  if (!sc_printer_check_uri (uri, &error))
    {
      g_autofree char *message = g_strdup_printf (_("%s is not printed on “%s”: %s"), serial, uri, error->message);
      show_message (self, message);
      gtk_widget_error_bell (widget);
      return;
    }

  job = g_new0 (SwitchJob, 1);
  job->station = _sc_station_ref_acquire (self->station);
  job->serial = g_steal_pointer (&serial);
  job->uri = g_steal_pointer (&uri);
  task = g_task_new (NULL, self->cancellable, switch_done_cb, _sc_weak_ref_new (self));
  g_task_set_source_tag (task, print_on_action_cb);
  g_task_set_task_data (task, job, switch_job_free);
  g_task_run_in_thread (task, switch_thread);
}

static void
switch_dialog_update_cb (AdwMessageDialog *dialog)
{
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "sc-uri");
  GtkLabel *problem = g_object_get_data (G_OBJECT (dialog), "sc-problem");
  g_autofree char *uri = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  g_autoptr(GError) error = NULL;
  gboolean ok = *uri != '\0' && sc_printer_check_uri (uri, &error);

  /* What is wrong with the address, as it is typed. */
  gtk_label_set_label (problem, error ? error->message : "");
  gtk_widget_set_visible (GTK_WIDGET (problem), error != NULL);
  adw_message_dialog_set_response_enabled (dialog, "print", ok);
}

static void
switch_recent_selected_cb (AdwMessageDialog *dialog,
                           GParamSpec       *pspec,
                           GtkDropDown      *recent)
{
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "sc-uri");
  GtkStringObject *item = gtk_drop_down_get_selected_item (recent);

  if (item != NULL)
    gtk_editable_set_text (entry, gtk_string_object_get_string (item));
}

static void
switch_dialog_response_cb (ScProvisionPage  *self,
                           const char       *response,
                           AdwMessageDialog *dialog)
{
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "sc-uri");
  const char *serial = g_object_get_data (G_OBJECT (dialog), "sc-serial");

  grab_scan_focus (self);
  if (g_str_equal (response, "print"))
    gtk_widget_activate_action (GTK_WIDGET (self), "provision.print-on", "(ss)", serial,
                                gtk_editable_get_text (entry));
}

static void
switch_printer_action_cb (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  ScProvisionPage *self = SC_PROVISION_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  const ScPrinterSettings *settings;
  g_autoptr(GtkStringList) uris = gtk_string_list_new (NULL);
  GtkWidget *dialog, *box, *label, *recent, *entry, *problem;
  g_autofree char *body = NULL;

  if (self->card_serial == NULL || refuse_retry (self, self->card_serial))
    return;
  if (self->switch_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->switch_dialog));

  /* The printers chosen before, then the profile's own. */
  for (guint i = 0; i < self->recent_printers->len; i++)
    gtk_string_list_append (uris, g_ptr_array_index (self->recent_printers, i));
  settings = sc_profile_get_printer_settings (self->station->station->profile);
  if (settings->uri != NULL && !g_ptr_array_find_with_equal_func (self->recent_printers, settings->uri,
                                                                  g_str_equal, NULL))
    gtk_string_list_append (uris, settings->uri);

  body = g_strdup_printf (_("The labels %s still needs are printed on the printer given here, from the records. "
                            "The next units still go to the station’s printer."), self->card_serial);
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("Print on Another Printer?"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "print", _("_Print"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "print", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "print");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), "print", FALSE);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  label = gtk_label_new_with_mnemonic (_("Printer _address"));
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  gtk_box_append (GTK_BOX (box), label);
  recent = gtk_drop_down_new (G_LIST_MODEL (g_object_ref (uris)), NULL);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (recent), GTK_INVALID_LIST_POSITION);
  gtk_widget_set_visible (recent, g_list_model_get_n_items (G_LIST_MODEL (uris)) > 0);
  gtk_accessible_update_property (GTK_ACCESSIBLE (recent), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Printers used before"),
                                  -1);
  gtk_box_append (GTK_BOX (box), recent);
  entry = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), "zpl+tcp://HOST, cups://QUEUE, file:///FOLDER");
  gtk_entry_set_input_hints (GTK_ENTRY (entry), GTK_INPUT_HINT_NO_SPELLCHECK | GTK_INPUT_HINT_NO_EMOJI);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), entry);
  gtk_box_append (GTK_BOX (box), entry);
  problem = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (problem), 0);
  gtk_label_set_wrap (GTK_LABEL (problem), TRUE);
  gtk_widget_add_css_class (problem, "error");
  gtk_widget_set_visible (problem, FALSE);
  gtk_box_append (GTK_BOX (box), problem);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);

  g_object_set_data (G_OBJECT (dialog), "sc-uri", entry);
  g_object_set_data (G_OBJECT (dialog), "sc-problem", problem);
  g_object_set_data_full (G_OBJECT (dialog), "sc-serial", g_strdup (self->card_serial), g_free);
  g_signal_connect_swapped (entry, "changed", G_CALLBACK (switch_dialog_update_cb), dialog);
  g_signal_connect_swapped (recent, "notify::selected", G_CALLBACK (switch_recent_selected_cb), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (switch_dialog_response_cb), self, G_CONNECT_SWAPPED);

  self->switch_dialog = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->switch_dialog);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_window_set_focus (GTK_WINDOW (dialog), entry);
}

/* ------------------------------------------------------- scan and actions */

static void
scan_action_cb (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  ScProvisionPage *self = SC_PROVISION_PAGE (widget);
  const char *serial = g_variant_get_string (parameter, NULL);

  if (*serial == '\0')
    return;

  if (self->station == NULL || !sc_station_panel_get_checked (self->station_panel))
    {
      show_message (self, _("The station is not open yet; scan again in a moment."));
      gtk_widget_error_bell (widget);
      return;
    }

  /* A scanner may fire the next unit while this one works. Queueing it
   * would hide which unit the fixture holds: refuse it, and say so. */
  if (self->busy)
    {
      g_autofree char *message =
        g_strdup_printf (_("Not started: %s was scanned while %s is still being provisioned. "
                           "Wait for PASS or FAIL, then scan %s again."),
                         serial, sc_unit_run_get_serial (self->run), serial);
      show_message (self, message);
      gtk_widget_error_bell (widget);
      return;
    }

  /* Something to plug in or unlock first: say what (a scan from the MES
   * comes here as well, past the switched-off field). */
  if (self->blocked)
    {
      g_autofree char *message =
        g_strdup_printf (_("Not started: %s was scanned, but %s"), serial,
                         gtk_label_get_label (self->blocked_label));
      show_message (self, message);
      gtk_widget_error_bell (widget);
      if (dak_can_be_unlocked (self))
        open_pin_dialog (self);
      return;
    }

  start_run (self, serial);
}

static void
scan_activate_cb (ScProvisionPage *self,
                  GtkEntry        *entry)
{
  g_autofree char *serial = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (entry))));

  /* Cleared at once, so the scanner's next serial starts on an empty field. */
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
  if (*serial != '\0')
    gtk_widget_activate_action (GTK_WIDGET (self), "provision.scan", "s", serial);
  else if (self->paused)
    /* Step by step, Enter on the empty field goes on: the trainer's hands
     * stay on the keyboard. */
    gtk_widget_activate_action (GTK_WIDGET (self), "provision.continue", NULL);
}

static void
continue_action_cb (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  ScProvisionPage *self = SC_PROVISION_PAGE (widget);

  if (!self->paused || self->run == NULL)
    return;
  set_paused (self, FALSE);
  if (g_str_equal (action_name, "provision.finish"))
    {
      self->run_pauses = FALSE;
      sc_unit_run_set_pause (self->run, FALSE);
      hide_detail (self);
    }
  else
    gtk_label_set_label (self->detail_title, _("Running the next step…"));
  sc_unit_run_continue (self->run);
}

static void
unlock_dak_action_cb (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  open_pin_dialog (SC_PROVISION_PAGE (widget));
}

static void
lock_dak_action_cb (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  lock_dak (SC_PROVISION_PAGE (widget), _("The DAK is locked; unlock it with its PIN to go on."));
}

static void
new_shift_action_cb (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  ScProvisionPage *self = SC_PROVISION_PAGE (widget);

  g_object_freeze_notify (G_OBJECT (self));
  if (self->n_passed != 0)
    {
      self->n_passed = 0;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PASSED]);
    }
  if (self->n_failed != 0)
    {
      self->n_failed = 0;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_FAILED]);
    }
  /* A unit under way counts for the new shift, from its scan on. */
  self->shift_start = self->busy ? self->run_start : 0;
  gtk_label_set_label (self->last_time_label, "–");
  update_counters (self, g_get_monotonic_time ());
  g_object_thaw_notify (G_OBJECT (self));
}

static void
set_station_ref (ScProvisionPage *self,
                 StationRef      *ref)  /* transfer full */
{
  g_clear_pointer (&self->station, _sc_station_ref_release);
  self->station = ref;
  self->training = sc_dak_is_training (ref->station->dak);

  gtk_stack_set_visible_child_name (self->stack, "station");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "provision.scan", TRUE);
  sc_station_panel_set_station (self->station_panel, ref->station);
  idle_lock_arm (self);

  g_object_freeze_notify (G_OBJECT (self));
  update_blocked (self);
  if (self->training)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRAINING]);
  g_object_thaw_notify (G_OBJECT (self));

  /* Units left waiting to print, from an earlier shift too. */
  refresh_waiting (self);
}

static void
open_station_done_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  StationRef *ref = NULL;
  g_autoptr(ScProvisionPage) self = _sc_station_ref_open_finish (result, user_data, &ref, &error);

  if (self == NULL)
    return;
  if (ref == NULL)
    {
      adw_status_page_set_description (self->error_page, error->message);
      gtk_stack_set_visible_child_name (self->stack, "error");
      return;
    }
  set_station_ref (self, ref);
}

static void
open_station (ScProvisionPage *self,
              GTaskThreadFunc  thread)
{
  g_autoptr(GTask) task = NULL;

  gtk_stack_set_visible_child_name (self->stack, "loading");
  task = g_task_new (NULL, self->cancellable, open_station_done_cb, _sc_weak_ref_new (self));
  g_task_set_source_tag (task, open_station);
  g_task_run_in_thread (task, thread);
}

/* ------------------------------------------------------------- the object */

static void
sc_provision_page_map (GtkWidget *widget)
{
  ScProvisionPage *self = SC_PROVISION_PAGE (widget);

  GTK_WIDGET_CLASS (sc_provision_page_parent_class)->map (widget);

  if (!self->busy)
    grab_scan_focus (self);
  if (self->ready)
    update_blocked (self);
}

static void
sc_provision_page_dispose (GObject *object)
{
  ScProvisionPage *self = SC_PROVISION_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  idle_lock_disarm (self);
  if (self->run != NULL)
    g_signal_handlers_disconnect_by_data (self->run, self);
  g_clear_object (&self->run);
  if (self->pin_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->pin_dialog));
  if (self->retry_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->retry_dialog));
  if (self->switch_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->switch_dialog));
  for (guint i = 0; i < G_N_ELEMENTS (self->cues); i++)
    if (self->cues[i] != NULL)
      {
        g_signal_handlers_disconnect_by_func (self->cues[i], cue_error_cb, NULL);
        g_clear_object (&self->cues[i]);
      }
  g_clear_pointer (&self->detail, sc_step_detail_free);

  /* AdwBin keeps its own pointer to the template's top widget: let go of
   * it first, so the template's disposal does not leave it dangling. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), SC_TYPE_PROVISION_PAGE);

  G_OBJECT_CLASS (sc_provision_page_parent_class)->dispose (object);
}

static void
sc_provision_page_finalize (GObject *object)
{
  ScProvisionPage *self = SC_PROVISION_PAGE (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->station, _sc_station_ref_release);
  g_free (self->run_device_uri);
  g_free (self->fault);
  g_free (self->summary);
  g_free (self->sign_in_blocker);
  g_free (self->card_serial);
  g_clear_pointer (&self->waiting, g_ptr_array_unref);
  g_clear_pointer (&self->retry_queue, g_ptr_array_unref);
  g_clear_pointer (&self->recent_printers, g_ptr_array_unref);
  g_free (self->reprint_refusal);

  G_OBJECT_CLASS (sc_provision_page_parent_class)->finalize (object);
}

static void
sc_provision_page_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  ScProvisionPage *self = SC_PROVISION_PAGE (object);

  switch (prop_id)
    {
    case PROP_READY: g_value_set_boolean (value, self->ready); break;
    case PROP_BLOCKED: g_value_set_boolean (value, self->blocked); break;
    case PROP_TRAINING: g_value_set_boolean (value, self->training); break;
    case PROP_TRAINING_MODE: g_value_set_boolean (value, self->training_mode); break;
    case PROP_BUSY: g_value_set_boolean (value, self->busy); break;
    case PROP_PAUSED: g_value_set_boolean (value, self->paused); break;
    case PROP_N_PASSED: g_value_set_uint (value, self->n_passed); break;
    case PROP_N_FAILED: g_value_set_uint (value, self->n_failed); break;
    case PROP_SUMMARY: g_value_set_string (value, self->summary); break;
    case PROP_STEP_BY_STEP: g_value_set_boolean (value, self->step_by_step); break;
    case PROP_FAULT: g_value_set_string (value, self->fault); break;
    case PROP_SOUND_CUES: g_value_set_boolean (value, self->sound_cues); break;
    case PROP_DAK_IDLE_LOCK_SECONDS: g_value_set_uint (value, self->idle_lock_seconds); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sc_provision_page_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  ScProvisionPage *self = SC_PROVISION_PAGE (object);

  switch (prop_id)
    {
    case PROP_STEP_BY_STEP:
      sc_provision_page_set_step_by_step (self, g_value_get_boolean (value));
      break;
    case PROP_FAULT:
      sc_provision_page_set_fault (self, g_value_get_string (value));
      break;
    case PROP_SOUND_CUES:
      if (self->sound_cues != g_value_get_boolean (value))
        {
          self->sound_cues = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_DAK_IDLE_LOCK_SECONDS:
      if (self->idle_lock_seconds != g_value_get_uint (value))
        {
          self->idle_lock_seconds = g_value_get_uint (value);
          idle_lock_arm (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sc_provision_page_class_init (ScProvisionPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = sc_provision_page_dispose;
  object_class->finalize = sc_provision_page_finalize;
  object_class->get_property = sc_provision_page_get_property;
  object_class->set_property = sc_provision_page_set_property;

  widget_class->map = sc_provision_page_map;

  properties[PROP_READY] = g_param_spec_boolean ("ready", NULL, NULL, FALSE, flags);
  properties[PROP_BLOCKED] = g_param_spec_boolean ("blocked", NULL, NULL, TRUE, flags);
  properties[PROP_TRAINING] = g_param_spec_boolean ("training", NULL, NULL, FALSE, flags);
  properties[PROP_TRAINING_MODE] = g_param_spec_boolean ("training-mode", NULL, NULL, FALSE, flags);
  properties[PROP_BUSY] = g_param_spec_boolean ("busy", NULL, NULL, FALSE, flags);
  properties[PROP_PAUSED] = g_param_spec_boolean ("paused", NULL, NULL, FALSE, flags);
  properties[PROP_N_PASSED] = g_param_spec_uint ("n-passed", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_N_FAILED] = g_param_spec_uint ("n-failed", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_SUMMARY] = g_param_spec_string ("summary", NULL, NULL, NULL, flags);
  properties[PROP_STEP_BY_STEP] = g_param_spec_boolean ("step-by-step", NULL, NULL, FALSE, rw);
  properties[PROP_FAULT] = g_param_spec_string ("fault", NULL, NULL, "", rw);
  properties[PROP_SOUND_CUES] = g_param_spec_boolean ("sound-cues", NULL, NULL, TRUE, rw);
  properties[PROP_DAK_IDLE_LOCK_SECONDS] =
    g_param_spec_uint ("dak-idle-lock-seconds", NULL, NULL, 0, G_MAXUINT / 1000, DEFAULT_IDLE_LOCK_SECONDS, rw);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_CUE] = g_signal_new ("cue", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                      NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);

  g_type_ensure (SC_TYPE_LABEL_PREVIEW);
  g_type_ensure (SC_TYPE_STATION_PANEL);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/setupconsole/SetupConsole/sc-provision-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, stack);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, error_page);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, scan_entry);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, blocked_revealer);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, blocked_label);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, blocked_unlock_button);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, message_revealer);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, message_label);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, waiting_revealer);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, waiting_label);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, status_box);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, status_label);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, serial_label);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, failure_label);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, print_actions);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, step_list);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, station_panel);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, detail_stack);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, preview_stack);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, preview_placeholder);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, preview);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, package_preview);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, label_stack);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, package_page);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, label_switcher);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, detail_title);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, detail_summary);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, detail_list);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, passed_label);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, failed_label);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, rate_label);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, last_time_label);

  gtk_widget_class_bind_template_callback (widget_class, scan_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, panel_changed_cb);

  gtk_widget_class_install_action (widget_class, "provision.scan", "s", scan_action_cb);
  gtk_widget_class_install_action (widget_class, "provision.continue", NULL, continue_action_cb);
  gtk_widget_class_install_action (widget_class, "provision.finish", NULL, continue_action_cb);
  gtk_widget_class_install_action (widget_class, "provision.unlock-dak", NULL, unlock_dak_action_cb);
  gtk_widget_class_install_action (widget_class, "provision.lock-dak", NULL, lock_dak_action_cb);
  gtk_widget_class_install_action (widget_class, "provision.new-shift", NULL, new_shift_action_cb);
  gtk_widget_class_install_action (widget_class, "provision.retry", NULL, retry_action_cb);
  gtk_widget_class_install_action (widget_class, "provision.retry-print", "s", retry_action_cb);
  gtk_widget_class_install_action (widget_class, "provision.retry-print-reason", "(ss)", retry_action_cb);
  gtk_widget_class_install_action (widget_class, "provision.retry-all", NULL, retry_all_action_cb);
  gtk_widget_class_install_action (widget_class, "provision.switch-printer", NULL, switch_printer_action_cb);
  gtk_widget_class_install_action (widget_class, "provision.print-on", "(ss)", print_on_action_cb);
  gtk_widget_class_install_property_action (widget_class, "provision.step-by-step", "step-by-step");
  gtk_widget_class_install_property_action (widget_class, "provision.fault", "fault");
}

static void
sc_provision_page_init (ScProvisionPage *self)
{
  self->blocked = TRUE;
  self->fault = g_strdup ("");
  self->sound_cues = TRUE;
  self->idle_lock_seconds = DEFAULT_IDLE_LOCK_SECONDS;
  self->failed_step = SC_N_STEPS;
  self->recent_printers = g_ptr_array_new_with_free_func (g_free);

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  for (guint i = 0; i < SC_N_STEPS; i++)
    {
      self->rows[i] = SC_STEP_ROW (sc_step_row_new (i));
      gtk_list_box_append (self->step_list, GTK_WIDGET (self->rows[i]));
    }
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "provision.scan", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "provision.continue", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "provision.finish", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "provision.unlock-dak", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "provision.lock-dak", FALSE);
  update_print_actions (self);
}

GtkWidget *
sc_provision_page_new (void)
{
  return g_object_new (SC_TYPE_PROVISION_PAGE, NULL);
}

void
sc_provision_page_open_default_station (ScProvisionPage *self)
{
  g_return_if_fail (SC_IS_PROVISION_PAGE (self));
  g_return_if_fail (self->station == NULL);

  open_station (self, _sc_station_ref_open_thread);
}

void
sc_provision_page_open_training_station (ScProvisionPage *self)
{
  g_return_if_fail (SC_IS_PROVISION_PAGE (self));
  g_return_if_fail (self->station == NULL);

  self->training_mode = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRAINING_MODE]);
  open_station (self, _sc_station_ref_open_training_thread);
}

void
sc_provision_page_set_station (ScProvisionPage *self,
                               ScStation       *station)
{
  g_return_if_fail (SC_IS_PROVISION_PAGE (self));
  g_return_if_fail (station != NULL);
  g_return_if_fail (!self->busy);

  set_station_ref (self, _sc_station_ref_new (station));
}

gboolean
sc_provision_page_get_ready (ScProvisionPage *self)
{
  g_return_val_if_fail (SC_IS_PROVISION_PAGE (self), FALSE);
  return self->ready;
}

gboolean
sc_provision_page_get_blocked (ScProvisionPage *self)
{
  g_return_val_if_fail (SC_IS_PROVISION_PAGE (self), TRUE);
  return self->blocked;
}

gboolean
sc_provision_page_get_training (ScProvisionPage *self)
{
  g_return_val_if_fail (SC_IS_PROVISION_PAGE (self), FALSE);
  return self->training;
}

gboolean
sc_provision_page_get_training_mode (ScProvisionPage *self)
{
  g_return_val_if_fail (SC_IS_PROVISION_PAGE (self), FALSE);
  return self->training_mode;
}

gboolean
sc_provision_page_get_busy (ScProvisionPage *self)
{
  g_return_val_if_fail (SC_IS_PROVISION_PAGE (self), FALSE);
  return self->busy;
}

gboolean
sc_provision_page_get_paused (ScProvisionPage *self)
{
  g_return_val_if_fail (SC_IS_PROVISION_PAGE (self), FALSE);
  return self->paused;
}

guint
sc_provision_page_get_n_passed (ScProvisionPage *self)
{
  g_return_val_if_fail (SC_IS_PROVISION_PAGE (self), 0);
  return self->n_passed;
}

guint
sc_provision_page_get_n_failed (ScProvisionPage *self)
{
  g_return_val_if_fail (SC_IS_PROVISION_PAGE (self), 0);
  return self->n_failed;
}

void
sc_provision_page_continue_shift (ScProvisionPage *self,
                                  ScProvisionPage *from)
{
  g_return_if_fail (SC_IS_PROVISION_PAGE (self));
  g_return_if_fail (SC_IS_PROVISION_PAGE (from));
  g_return_if_fail (self->n_passed == 0 && self->n_failed == 0);

  g_object_freeze_notify (G_OBJECT (self));
  self->n_passed = from->n_passed;
  self->n_failed = from->n_failed;
  self->shift_start = from->shift_start;
  if (self->n_passed != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PASSED]);
  if (self->n_failed != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_FAILED]);
  gtk_label_set_label (self->last_time_label, gtk_label_get_label (from->last_time_label));
  update_counters (self, g_get_monotonic_time ());
  g_object_thaw_notify (G_OBJECT (self));
}

const char *
sc_provision_page_get_summary (ScProvisionPage *self)
{
  g_return_val_if_fail (SC_IS_PROVISION_PAGE (self), NULL);
  return self->summary;
}

gboolean
sc_provision_page_get_step_by_step (ScProvisionPage *self)
{
  g_return_val_if_fail (SC_IS_PROVISION_PAGE (self), FALSE);
  return self->step_by_step;
}

void
sc_provision_page_set_step_by_step (ScProvisionPage *self,
                                    gboolean         step_by_step)
{
  g_return_if_fail (SC_IS_PROVISION_PAGE (self));

  step_by_step = !!step_by_step;
  if (self->step_by_step == step_by_step)
    return;
  if (step_by_step && !self->training_mode)
    {
      show_message (self, _("Step by step works only in training mode (setup-console --training)."));
      return;
    }
  self->step_by_step = step_by_step;

  /* The run under way follows at once; switched off while it waits, it
   * goes on. */
  if (self->busy && self->run != NULL)
    {
      self->run_pauses = step_by_step;
      sc_unit_run_set_pause (self->run, step_by_step);
      if (!step_by_step && self->paused)
        gtk_widget_activate_action (GTK_WIDGET (self), "provision.finish", NULL);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STEP_BY_STEP]);
}

const char *
sc_provision_page_get_fault (ScProvisionPage *self)
{
  g_return_val_if_fail (SC_IS_PROVISION_PAGE (self), NULL);
  return self->fault;
}

gboolean
sc_provision_page_set_fault (ScProvisionPage *self,
                             const char      *fault)
{
  gboolean known = FALSE;

  g_return_val_if_fail (SC_IS_PROVISION_PAGE (self), FALSE);

  if (fault == NULL)
    fault = "";
  for (guint i = 0; fault_ids[i] != NULL && !known; i++)
    known = g_str_equal (fault, fault_ids[i]);
  if (!known)
    {
      g_autofree char *message = g_strdup_printf (_("There is no fault “%s”; choose one from the Training menu."),
                                                  fault);
      show_message (self, message);
      return FALSE;
    }
  if (*fault != '\0' && !self->training_mode)
    {
      show_message (self, _("Faults can be injected only in training mode (setup-console --training), on the "
                            "simulated unit."));
      return FALSE;
    }
  if (g_strcmp0 (self->fault, fault) != 0)
    {
      g_free (self->fault);
      self->fault = g_strdup (fault);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FAULT]);
    }
  return TRUE;
}

const char * const *
sc_provision_page_list_faults (const char * const **titles)
{
  if (titles != NULL)
    *titles = fault_titles;
  return fault_ids;
}

ScStation *
sc_provision_page_get_station (ScProvisionPage *self)
{
  g_return_val_if_fail (SC_IS_PROVISION_PAGE (self), NULL);
  return self->station != NULL ? self->station->station : NULL;
}

void
sc_provision_page_set_sign_in_blocker (ScProvisionPage *self,
                                       const char      *blocker)
{
  g_return_if_fail (SC_IS_PROVISION_PAGE (self));

  if (g_strcmp0 (self->sign_in_blocker, blocker) == 0)
    return;
  g_free (self->sign_in_blocker);
  self->sign_in_blocker = g_strdup (blocker);
  update_blocked (self);
}

void
sc_provision_page_set_reprint_refusal (ScProvisionPage *self,
                                       const char      *refusal)
{
  g_return_if_fail (SC_IS_PROVISION_PAGE (self));

  g_free (self->reprint_refusal);
  self->reprint_refusal = g_strdup (refusal);
}

void
_sc_provision_page_set_shift_start (ScProvisionPage *self,
                                    gint64           monotonic_us)
{
  g_return_if_fail (SC_IS_PROVISION_PAGE (self));
  self->shift_start = monotonic_us;
}

int
_sc_provision_page_get_detail_step (ScProvisionPage *self)
{
  g_return_val_if_fail (SC_IS_PROVISION_PAGE (self), -1);
  return self->detail != NULL ? (int) self->detail->step : -1;
}

const char *
_sc_provision_page_get_detail_value (ScProvisionPage *self,
                                     const char      *name)
{
  g_return_val_if_fail (SC_IS_PROVISION_PAGE (self), NULL);
  return self->detail != NULL ? sc_step_detail_lookup (self->detail, name) : NULL;
}

guint
_sc_provision_page_get_n_waiting (ScProvisionPage *self)
{
  g_return_val_if_fail (SC_IS_PROVISION_PAGE (self), 0);
  return self->waiting != NULL ? self->waiting->len : 0;
}

GtkWidget *
_sc_provision_page_get_retry_dialog (ScProvisionPage *self)
{
  g_return_val_if_fail (SC_IS_PROVISION_PAGE (self), NULL);
  return self->retry_dialog;
}

GtkWidget *
_sc_provision_page_get_switch_dialog (ScProvisionPage *self)
{
  g_return_val_if_fail (SC_IS_PROVISION_PAGE (self), NULL);
  return self->switch_dialog;
}
