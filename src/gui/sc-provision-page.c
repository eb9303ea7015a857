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
#include "sc-station-panel.h"
#include "sc-step-detail.h"
#include "sc-step-row.h"
#include "sc-unit-run.h"

#define CUE_PATH "/org/setupconsole/SetupConsole/sounds/"
#define DEFAULT_IDLE_LOCK_SECONDS (30 * 60)

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
  GtkWidget      *status_box;
  GtkLabel       *status_label;
  GtkLabel       *serial_label;
  GtkLabel       *failure_label;
  GtkListBox     *step_list;
  ScStationPanel *station_panel;
  GtkStack       *detail_stack;
  GtkStack       *preview_stack;
  AdwStatusPage  *preview_placeholder;
  ScLabelPreview *preview;
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
  static const char *classes[] = { "idle", "running", "pass", "fail" };

  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    gtk_widget_remove_css_class (self->status_box, classes[i]);
  gtk_widget_add_css_class (self->status_box, css_class);

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
  StationRef *station;
  ScPayload  *payload;    /* carries the PIN: wiped when freed */
  gboolean    training;
  guint       generation;
} PreviewJob;

static void
preview_job_free (gpointer data)
{
  PreviewJob *job = data;

  _sc_station_ref_release (job->station);
  sc_payload_free (job->payload);
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
  ScLabelLayout *layout;

  layout = sc_label_layout_new_for_profile (job->station->station->profile, job->payload, job->training, &error);
  if (layout == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, layout, g_object_unref);
}

static void
preview_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(ScProvisionPage) self = g_weak_ref_get (weak);
  PreviewJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(ScLabelLayout) layout = NULL;
  g_autoptr(GError) error = NULL;

  _sc_weak_ref_free (weak);
  layout = g_task_propagate_pointer (G_TASK (result), &error);
  if (self == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      job->generation != self->generation)
    return;

  if (layout == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("The label preview cannot be drawn: %s"), error->message);
      adw_status_page_set_title (self->preview_placeholder, _("No Preview"));
      adw_status_page_set_description (self->preview_placeholder, text);
      return;
    }

  sc_label_preview_set_layout (self->preview, layout);
  gtk_stack_set_visible_child_name (self->preview_stack, "preview");
}

/* Draws the product label once the run has its payload. The layout encodes
 * the symbol, so it is made in a worker thread like the run itself. */
static void
load_preview (ScProvisionPage *self,
              ScUnitRun       *run)
{
  const char *text = sc_unit_run_get_payload (run, SC_LABEL_KIND_PRODUCT);
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  ScPayload *payload;
  PreviewJob *job;

  if (text == NULL)
    return;

  payload = sc_payload_parse (text, NULL, &error);
  if (payload == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("The label preview cannot be drawn: %s"), error->message);
      adw_status_page_set_title (self->preview_placeholder, _("No Preview"));
      adw_status_page_set_description (self->preview_placeholder, message);
      return;
    }

  job = g_new0 (PreviewJob, 1);
  job->station = _sc_station_ref_acquire (self->station);
  job->payload = payload;
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

static void
finish_run (ScProvisionPage *self,
            gboolean         ok,
            const GError    *error)
{
  gint64 now = g_get_monotonic_time ();
  g_autofree char *last = format_duration (now - self->run_start);
  const char *serial = sc_unit_run_get_serial (self->run);

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
    }
  else
    {
      self->n_failed++;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_FAILED]);
      /* Translators: the result of a unit that was not provisioned */
      set_status (self, "fail", C_("result", "FAIL"), serial, error->message);
    }
  play_cue (self, ok);

  gtk_label_set_label (self->last_time_label, last);
  update_counters (self, now);
  update_blocked (self);
  /* A refusal stays up until the next scan: it names the unit to scan again. */
  grab_scan_focus (self);

  g_object_thaw_notify (G_OBJECT (self));
}

/* The run in a worker thread, with a main context of the thread's own.
 * ScUnitRun queues its signals to the main context with
 * g_main_context_invoke_full(), which, from a thread whose thread-default
 * context is the main one (a GTask thread has none, and GLib counts that
 * as the default), calls the handler right there in the worker whenever
 * it can acquire the main context: whenever the main thread is between two
 * iterations. GTK would then be used from the worker. With a context of
 * its own, every emission goes through the main loop. */
static void
run_thread (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  GError *error = NULL;
  gboolean ok;

  g_main_context_push_thread_default (context);
  ok = sc_unit_run_run (source_object, cancellable, &error);
  g_main_context_pop_thread_default (context);

  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
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
  ok = g_task_propagate_boolean (G_TASK (result), &error);
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

static void
start_run (ScProvisionPage *self,
           const char      *serial)
{
  ScStation *station = self->station->station;
  const char *query = self->training_mode ? fault_query (self->fault) : NULL;
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
      self->run_device_uri = g_strdup (station->device_uri);
      data->station = _sc_station_ref_acquire (self->station);
      show_message (self, NULL);
    }

  self->generation++;
  self->run = sc_unit_run_new (data->station->station, serial);
  self->run_pauses = self->training_mode && self->step_by_step;
  sc_unit_run_set_pause (self->run, self->run_pauses);
  g_signal_connect_object (self->run, "step-started", G_CALLBACK (step_started_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->run, "step-finished", G_CALLBACK (step_finished_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->run, "step-skipped", G_CALLBACK (step_skipped_cb), self, G_CONNECT_SWAPPED);

  for (guint i = 0; i < SC_N_STEPS; i++)
    sc_step_row_reset (self->rows[i]);
  hide_detail (self);
  sc_label_preview_set_layout (self->preview, NULL);
  gtk_stack_set_visible_child_name (self->preview_stack, "empty");
  adw_status_page_set_title (self->preview_placeholder, _("No Label Yet"));
  adw_status_page_set_description (self->preview_placeholder,
                                   _("The product label appears here as soon as the unit’s payload exists."));
  /* Translators: shown while a unit is being provisioned */
  set_status (self, "running", _("Working…"), serial, NULL);

  self->run_start = g_get_monotonic_time ();
  if (self->shift_start == 0)
    self->shift_start = self->run_start;
  self->busy = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  idle_lock_arm (self);

  {
    g_autoptr(GTask) task = g_task_new (self->run, self->cancellable, run_done_cb, data);

    g_task_set_source_tag (task, start_run);
    g_task_set_check_cancellable (task, FALSE);
    g_task_run_in_thread (task, run_thread);
  }
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
}

static void
open_station_done_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(ScProvisionPage) self = g_weak_ref_get (weak);
  g_autoptr(GError) error = NULL;
  StationRef *ref;

  _sc_weak_ref_free (weak);
  ref = g_task_propagate_pointer (G_TASK (result), &error);
  if (self == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_clear_pointer (&ref, _sc_station_ref_release);
      return;
    }

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
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, status_box);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, status_label);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, serial_label);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, failure_label);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, step_list);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, station_panel);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, detail_stack);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, preview_stack);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, preview_placeholder);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, preview);
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
