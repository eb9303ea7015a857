/* sc-provision-page.c: the operator's view: scan, watch the steps, see PASS or FAIL
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "sc-gui-private.h"
#include "sc-defaults.h"
#include "sc-label-preview.h"
#include "sc-provision-page.h"
#include "sc-step-row.h"
#include "sc-unit-run.h"

/* The station, shared by the page and every run or preview still working
 * on it in a thread: the last one to let go frees it. */
struct _ScProvisionPage
{
  AdwBin          parent_instance;

  /* template children */
  GtkStack       *stack;
  AdwStatusPage  *error_page;
  GtkEntry       *scan_entry;
  GtkRevealer    *message_revealer;
  GtkLabel       *message_label;
  GtkWidget      *status_box;
  GtkLabel       *status_label;
  GtkLabel       *serial_label;
  GtkLabel       *failure_label;
  GtkListBox     *step_list;
  GtkStack       *preview_stack;
  AdwStatusPage  *preview_placeholder;
  ScLabelPreview *preview;
  GtkLabel       *passed_label;
  GtkLabel       *failed_label;
  GtkLabel       *rate_label;
  GtkLabel       *last_time_label;

  ScStepRow      *rows[SC_N_STEPS];
  GCancellable   *cancellable;
  StationRef     *station;
  ScUnitRun      *run;            /* the current or last run */
  guint           generation;     /* which run the preview belongs to */
  gboolean        busy;
  gboolean        training;
  char           *summary;

  guint           n_passed;
  guint           n_failed;
  gint64          shift_start;    /* monotonic µs: the shift's first scan */
  gint64          run_start;
};

enum { PROP_0, PROP_READY, PROP_TRAINING, PROP_BUSY, PROP_N_PASSED, PROP_N_FAILED, PROP_SUMMARY, N_PROPS };
static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (ScProvisionPage, sc_provision_page, ADW_TYPE_BIN)

/* ------------------------------------------------------------ the station */


/* ------------------------------------------------------------ the display */

static void
set_status (ScProvisionPage *self,
            const char      *css_class,
            const char      *title,
            const char      *serial,
            const char      *failure)
{
  static const char *classes[] = { "idle", "running", "pass", "fail" };
  g_autofree char *summary = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    gtk_widget_remove_css_class (self->status_box, classes[i]);
  gtk_widget_add_css_class (self->status_box, css_class);

  gtk_label_set_label (self->status_label, title);
  gtk_label_set_label (self->serial_label, serial);
  gtk_label_set_label (self->failure_label, failure ? failure : "");
  gtk_widget_set_visible (GTK_WIDGET (self->failure_label), failure != NULL);

  summary = g_str_equal (css_class, "idle") ? g_strdup (title) : g_strdup_printf ("%s %s", title, serial);
  if (g_strcmp0 (summary, self->summary) != 0)
    {
      g_free (self->summary);
      self->summary = g_steal_pointer (&summary);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUMMARY]);
    }
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
  if (units > 0 && now - self->shift_start >= 60 * G_USEC_PER_SEC)
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
  if (gtk_widget_get_mapped (GTK_WIDGET (self->scan_entry)))
    gtk_entry_grab_focus_without_selecting (self->scan_entry);
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
  StationRef      *station;
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
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);

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
      gtk_widget_error_bell (GTK_WIDGET (self));
    }

  gtk_label_set_label (self->last_time_label, last);
  update_counters (self, now);
  /* A refusal stays up until the next scan: it names the unit to scan again. */
  grab_scan_focus (self);

  g_object_thaw_notify (G_OBJECT (self));
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

  ok = sc_unit_run_run_finish (SC_UNIT_RUN (object), result, &error);
  /* After dispose, self->run is gone: nothing left to show it on. */
  if (self != NULL && self->run == SC_UNIT_RUN (object))
    finish_run (self, ok, error);

  _sc_station_ref_release (data->station);
  g_weak_ref_clear (&data->page);
  g_free (data);
}

static void
start_run (ScProvisionPage *self,
           const char      *serial)
{
  RunData *data;

  g_assert (!self->busy);
  g_assert (self->station != NULL);

  if (self->run != NULL)
    g_signal_handlers_disconnect_by_data (self->run, self);
  g_clear_object (&self->run);

  self->generation++;
  self->run = sc_unit_run_new (self->station->station, serial);
  g_signal_connect_object (self->run, "step-started", G_CALLBACK (step_started_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->run, "step-finished", G_CALLBACK (step_finished_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->run, "step-skipped", G_CALLBACK (step_skipped_cb), self, G_CONNECT_SWAPPED);

  for (guint i = 0; i < SC_N_STEPS; i++)
    sc_step_row_reset (self->rows[i]);
  sc_label_preview_set_layout (self->preview, NULL);
  gtk_stack_set_visible_child_name (self->preview_stack, "empty");
  adw_status_page_set_title (self->preview_placeholder, _("No Label Yet"));
  adw_status_page_set_description (self->preview_placeholder,
                                   _("The product label appears here as soon as the unit’s payload exists."));
  show_message (self, NULL);
  /* Translators: shown while a unit is being provisioned */
  set_status (self, "running", _("Working…"), serial, NULL);

  self->run_start = g_get_monotonic_time ();
  if (self->shift_start == 0)
    self->shift_start = self->run_start;
  self->busy = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);

  data = g_new0 (RunData, 1);
  g_weak_ref_init (&data->page, self);
  data->station = _sc_station_ref_acquire (self->station);
  sc_unit_run_run_async (self->run, self->cancellable, run_done_cb, data);
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

  if (self->station == NULL)
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

  g_clear_pointer (&self->station, _sc_station_ref_release);
  self->station = ref;
  self->training = sc_dak_is_training (ref->station->dak);

  gtk_stack_set_visible_child_name (self->stack, "station");
  set_status (self, "idle", _("Ready"), _("Scan a unit to begin"), NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "provision.scan", TRUE);
  grab_scan_focus (self);

  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READY]);
  if (self->training)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRAINING]);
  g_object_thaw_notify (G_OBJECT (self));
}

/* ------------------------------------------------------------- the object */

static void
sc_provision_page_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (sc_provision_page_parent_class)->map (widget);

  if (!SC_PROVISION_PAGE (widget)->busy)
    grab_scan_focus (SC_PROVISION_PAGE (widget));
}

static void
sc_provision_page_dispose (GObject *object)
{
  ScProvisionPage *self = SC_PROVISION_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->run != NULL)
    g_signal_handlers_disconnect_by_data (self->run, self);
  g_clear_object (&self->run);

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
  g_free (self->summary);

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
    case PROP_READY:
      g_value_set_boolean (value, sc_provision_page_get_ready (self));
      break;
    case PROP_TRAINING:
      g_value_set_boolean (value, self->training);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    case PROP_N_PASSED:
      g_value_set_uint (value, self->n_passed);
      break;
    case PROP_N_FAILED:
      g_value_set_uint (value, self->n_failed);
      break;
    case PROP_SUMMARY:
      g_value_set_string (value, self->summary);
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

  object_class->dispose = sc_provision_page_dispose;
  object_class->finalize = sc_provision_page_finalize;
  object_class->get_property = sc_provision_page_get_property;

  widget_class->map = sc_provision_page_map;

  properties[PROP_READY] = g_param_spec_boolean ("ready", NULL, NULL, FALSE, flags);
  properties[PROP_TRAINING] = g_param_spec_boolean ("training", NULL, NULL, FALSE, flags);
  properties[PROP_BUSY] = g_param_spec_boolean ("busy", NULL, NULL, FALSE, flags);
  properties[PROP_N_PASSED] = g_param_spec_uint ("n-passed", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_N_FAILED] = g_param_spec_uint ("n-failed", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_SUMMARY] = g_param_spec_string ("summary", NULL, NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (SC_TYPE_LABEL_PREVIEW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/setupconsole/SetupConsole/sc-provision-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, stack);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, error_page);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, scan_entry);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, message_revealer);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, message_label);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, status_box);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, status_label);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, serial_label);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, failure_label);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, step_list);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, preview_stack);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, preview_placeholder);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, preview);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, passed_label);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, failed_label);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, rate_label);
  gtk_widget_class_bind_template_child (widget_class, ScProvisionPage, last_time_label);

  gtk_widget_class_bind_template_callback (widget_class, scan_activate_cb);

  gtk_widget_class_install_action (widget_class, "provision.scan", "s", scan_action_cb);
}

static void
sc_provision_page_init (ScProvisionPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  for (guint i = 0; i < SC_N_STEPS; i++)
    {
      self->rows[i] = SC_STEP_ROW (sc_step_row_new (i));
      gtk_list_box_append (self->step_list, GTK_WIDGET (self->rows[i]));
    }
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "provision.scan", FALSE);
}

GtkWidget *
sc_provision_page_new (void)
{
  return g_object_new (SC_TYPE_PROVISION_PAGE, NULL);
}

void
sc_provision_page_open_default_station (ScProvisionPage *self)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SC_IS_PROVISION_PAGE (self));
  g_return_if_fail (self->station == NULL);

  gtk_stack_set_visible_child_name (self->stack, "loading");
  task = g_task_new (NULL, self->cancellable, open_station_done_cb, _sc_weak_ref_new (self));
  g_task_set_source_tag (task, sc_provision_page_open_default_station);
  g_task_run_in_thread (task, _sc_station_ref_open_thread);
}

gboolean
sc_provision_page_get_ready (ScProvisionPage *self)
{
  g_return_val_if_fail (SC_IS_PROVISION_PAGE (self), FALSE);
  return self->station != NULL;
}

gboolean
sc_provision_page_get_training (ScProvisionPage *self)
{
  g_return_val_if_fail (SC_IS_PROVISION_PAGE (self), FALSE);
  return self->training;
}

gboolean
sc_provision_page_get_busy (ScProvisionPage *self)
{
  g_return_val_if_fail (SC_IS_PROVISION_PAGE (self), FALSE);
  return self->busy;
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

ScStation *
sc_provision_page_get_station (ScProvisionPage *self)
{
  g_return_val_if_fail (SC_IS_PROVISION_PAGE (self), NULL);
  return self->station != NULL ? self->station->station : NULL;
}
