/* sc-step-row.c: one step of a unit run, as a row in the step list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "sc-step-row.h"

struct _ScStepRow
{
  GtkListBoxRow   parent_instance;

  GtkStack       *indicator;
  GtkSpinner     *spinner;
  GtkLabel       *title_label;
  GtkLabel       *error_label;
  GtkLabel       *time_label;

  ScStep          step;
  ScStepRowState  state;
  gint64          duration;
  char           *error;
};

enum { PROP_0, PROP_STEP, PROP_STATE, PROP_DURATION, PROP_ERROR, N_PROPS };
static GParamSpec *properties[N_PROPS];

G_DEFINE_ENUM_TYPE (ScStepRowState, sc_step_row_state,
                    G_DEFINE_ENUM_VALUE (SC_STEP_ROW_PENDING, "pending"),
                    G_DEFINE_ENUM_VALUE (SC_STEP_ROW_RUNNING, "running"),
                    G_DEFINE_ENUM_VALUE (SC_STEP_ROW_DONE, "done"),
                    G_DEFINE_ENUM_VALUE (SC_STEP_ROW_FAILED, "failed"),
                    G_DEFINE_ENUM_VALUE (SC_STEP_ROW_SKIPPED, "skipped"))

G_DEFINE_FINAL_TYPE (ScStepRow, sc_step_row, GTK_TYPE_LIST_BOX_ROW)

static const char *state_pages[] = { "pending", "running", "done", "failed", "skipped" };

static void
update (ScStepRow *self)
{
  g_assert (self->state < G_N_ELEMENTS (state_pages));

  gtk_stack_set_visible_child_name (self->indicator, state_pages[self->state]);
  gtk_spinner_set_spinning (self->spinner, self->state == SC_STEP_ROW_RUNNING);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), self->state == SC_STEP_ROW_FAILED && self->error != NULL);

  if (self->duration >= 0)
    {
      /* Translators: a step's duration in milliseconds */
      g_autofree char *text = g_strdup_printf (_("%.1f ms"), self->duration / 1000.0);
      gtk_label_set_label (self->time_label, text);
    }
  else if (self->state == SC_STEP_ROW_SKIPPED)
    gtk_label_set_label (self->time_label, _("before"));
  else
    gtk_label_set_label (self->time_label, "");

  gtk_widget_remove_css_class (GTK_WIDGET (self), "running");
  gtk_widget_remove_css_class (GTK_WIDGET (self), "failed");
  if (self->state == SC_STEP_ROW_RUNNING)
    gtk_widget_add_css_class (GTK_WIDGET (self), "running");
  else if (self->state == SC_STEP_ROW_FAILED)
    gtk_widget_add_css_class (GTK_WIDGET (self), "failed");
}

static void
set_all (ScStepRow      *self,
         ScStepRowState  state,
         gint64          duration,
         const char     *error)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  if (self->duration != duration)
    {
      self->duration = duration;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DURATION]);
    }
  if (g_strcmp0 (self->error, error) != 0)
    {
      g_free (self->error);
      self->error = g_strdup (error);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
    }
  update (self);
  g_object_thaw_notify (G_OBJECT (self));
}

static void
sc_step_row_constructed (GObject *object)
{
  ScStepRow *self = SC_STEP_ROW (object);

  G_OBJECT_CLASS (sc_step_row_parent_class)->constructed (object);

  gtk_label_set_label (self->title_label, sc_step_get_title (self->step));
  update (self);
}

static void
sc_step_row_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), SC_TYPE_STEP_ROW);

  G_OBJECT_CLASS (sc_step_row_parent_class)->dispose (object);
}

static void
sc_step_row_finalize (GObject *object)
{
  ScStepRow *self = SC_STEP_ROW (object);

  g_free (self->error);

  G_OBJECT_CLASS (sc_step_row_parent_class)->finalize (object);
}

static void
sc_step_row_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  ScStepRow *self = SC_STEP_ROW (object);

  switch (prop_id)
    {
    case PROP_STEP:
      g_value_set_int (value, self->step);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_DURATION:
      g_value_set_int64 (value, self->duration);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sc_step_row_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  ScStepRow *self = SC_STEP_ROW (object);

  switch (prop_id)
    {
    case PROP_STEP:
      self->step = g_value_get_int (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sc_step_row_class_init (ScStepRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = sc_step_row_constructed;
  object_class->dispose = sc_step_row_dispose;
  object_class->finalize = sc_step_row_finalize;
  object_class->get_property = sc_step_row_get_property;
  object_class->set_property = sc_step_row_set_property;

  properties[PROP_STEP] = g_param_spec_int ("step", NULL, NULL, 0, SC_N_STEPS - 1, 0,
                                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, SC_TYPE_STEP_ROW_STATE, SC_STEP_ROW_PENDING,
                                              G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_DURATION] = g_param_spec_int64 ("duration", NULL, NULL, -1, G_MAXINT64, -1,
                                                  G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ERROR] = g_param_spec_string ("error", NULL, NULL, NULL,
                                                G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/setupconsole/SetupConsole/sc-step-row.ui");
  gtk_widget_class_bind_template_child (widget_class, ScStepRow, indicator);
  gtk_widget_class_bind_template_child (widget_class, ScStepRow, spinner);
  gtk_widget_class_bind_template_child (widget_class, ScStepRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, ScStepRow, error_label);
  gtk_widget_class_bind_template_child (widget_class, ScStepRow, time_label);
}

static void
sc_step_row_init (ScStepRow *self)
{
  self->state = SC_STEP_ROW_PENDING;
  self->duration = -1;

  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
sc_step_row_new (ScStep step)
{
  g_return_val_if_fail (step < SC_N_STEPS, NULL);

  return g_object_new (SC_TYPE_STEP_ROW, "step", (int) step, NULL);
}

ScStep
sc_step_row_get_step (ScStepRow *self)
{
  g_return_val_if_fail (SC_IS_STEP_ROW (self), 0);
  return self->step;
}

ScStepRowState
sc_step_row_get_state (ScStepRow *self)
{
  g_return_val_if_fail (SC_IS_STEP_ROW (self), SC_STEP_ROW_PENDING);
  return self->state;
}

gint64
sc_step_row_get_duration (ScStepRow *self)
{
  g_return_val_if_fail (SC_IS_STEP_ROW (self), -1);
  return self->duration;
}

const char *
sc_step_row_get_error (ScStepRow *self)
{
  g_return_val_if_fail (SC_IS_STEP_ROW (self), NULL);
  return self->error;
}

void
sc_step_row_reset (ScStepRow *self)
{
  g_return_if_fail (SC_IS_STEP_ROW (self));
  set_all (self, SC_STEP_ROW_PENDING, -1, NULL);
}

void
sc_step_row_set_running (ScStepRow *self)
{
  g_return_if_fail (SC_IS_STEP_ROW (self));
  set_all (self, SC_STEP_ROW_RUNNING, -1, NULL);
}

void
sc_step_row_set_finished (ScStepRow  *self,
                          gint64      duration_us,
                          const char *error)
{
  g_return_if_fail (SC_IS_STEP_ROW (self));
  g_return_if_fail (duration_us >= 0);
  set_all (self, error ? SC_STEP_ROW_FAILED : SC_STEP_ROW_DONE, duration_us, error);
}

void
sc_step_row_set_skipped (ScStepRow *self)
{
  g_return_if_fail (SC_IS_STEP_ROW (self));
  set_all (self, SC_STEP_ROW_SKIPPED, -1, NULL);
}
