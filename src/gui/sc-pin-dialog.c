/* sc-pin-dialog.c: the DAK PIN, asked for at the start of a shift
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "sc-gui-private.h"
#include "sc-pin-dialog.h"

struct _ScPinDialog
{
  AdwWindow         parent_instance;

  /* template children */
  GtkLabel         *description_label;
  GtkPasswordEntry *entry;
  GtkLabel         *error_label;
  GtkWidget        *unlock_button;
  GtkWidget        *cancel_button;
  GtkSpinner       *spinner;

  ScSigner         *signer;
  int               pin_retries;
  gboolean          busy;
  gboolean          can_retry;
  char             *error;
};

enum { PROP_0, PROP_SIGNER, PROP_PIN_RETRIES, PROP_BUSY, PROP_CAN_RETRY, PROP_ERROR, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { SIGNAL_UNLOCKED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ScPinDialog, sc_pin_dialog, ADW_TYPE_WINDOW)

static void
update (ScPinDialog *self)
{
  gboolean editable = self->can_retry && !self->busy;

  if (!editable)
    _sc_widget_drop_focus (GTK_WIDGET (self->entry), self->cancel_button);
  gtk_widget_set_sensitive (GTK_WIDGET (self->entry), editable);
  gtk_widget_set_visible (self->unlock_button, self->can_retry);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "pin.unlock", self->can_retry && !self->busy);
  gtk_spinner_set_spinning (self->spinner, self->busy);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), self->busy);
  /* Nothing left to do here but close. */
  gtk_button_set_label (GTK_BUTTON (self->cancel_button), self->can_retry ? _("_Cancel") : _("_Close"));

  gtk_label_set_label (self->error_label, self->error ? self->error : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), self->error != NULL);
}

static void
describe (ScPinDialog *self)
{
  g_autofree char *what = sc_signer_describe (self->signer);
  g_autofree char *text = NULL;

  if (self->pin_retries > 0)
    text = g_strdup_printf (ngettext ("Type the PIN of %s (%d try left). It is checked once on the token, "
                                      "held in wiped memory until the DAK is locked, and never stored.",
                                      "Type the PIN of %s (%d tries left). It is checked once on the token, "
                                      "held in wiped memory until the DAK is locked, and never stored.",
                                      self->pin_retries),
                            what, self->pin_retries);
  else
    text = g_strdup_printf (_("Type the PIN of %s. It is checked once on the token, held in wiped memory "
                              "until the DAK is locked, and never stored."), what);
  gtk_label_set_label (self->description_label, text);
}

static void
set_state (ScPinDialog *self,
           gboolean     busy,
           gboolean     can_retry,
           const char  *error)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (self->busy != busy)
    {
      self->busy = busy;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
    }
  if (self->can_retry != can_retry)
    {
      self->can_retry = can_retry;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_RETRY]);
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

typedef struct
{
  ScSigner *signer;
  ScSecret *pin;
} UnlockJob;

static void
unlock_job_free (gpointer data)
{
  UnlockJob *job = data;

  g_object_unref (job->signer);
  sc_secret_unref (job->pin);   /* wiped */
  g_free (job);
}

static void
unlock_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  UnlockJob *job = task_data;
  GError *error = NULL;

  if (sc_signer_unlock (job->signer, job->pin, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
unlock_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(ScPinDialog) self = g_weak_ref_get (weak);
  g_autoptr(GError) error = NULL;
  gboolean retry;

  _sc_weak_ref_free (weak);
  /* The task is not checked for cancellation: the token took or refused
   * the PIN whether or not the dialog is still there. */
  if (g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (self != NULL)
        {
          set_state (self, FALSE, TRUE, NULL);
          g_signal_emit (self, signals[SIGNAL_UNLOCKED], 0);
          gtk_window_close (GTK_WINDOW (self));
        }
      return;
    }
  if (self == NULL)
    return;

  /* The signer's sentence says what happened and how many tries are left.
   * With one try left (or none) it did not send the PIN, and neither may
   * the operator: no retry. */
  retry = !g_error_matches (error, SC_DAK_ERROR, SC_DAK_ERROR_PIN_LAST_RETRY) &&
          !g_error_matches (error, SC_DAK_ERROR, SC_DAK_ERROR_PIN_BLOCKED);
  /* The tries left are in the signer's sentence now, not the count asked
   * with. */
  self->pin_retries = -1;
  describe (self);
  set_state (self, FALSE, retry, error->message);
  if (retry)
    gtk_widget_grab_focus (GTK_WIDGET (self->entry));
}

static void
unlock_action_cb (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  ScPinDialog *self = SC_PIN_DIALOG (widget);
  g_autoptr(GTask) task = NULL;
  const char *text;
  UnlockJob *job;

  if (self->busy || !self->can_retry)
    return;

  text = gtk_editable_get_text (GTK_EDITABLE (self->entry));
  if (*text == '\0')
    {
      set_state (self, FALSE, TRUE, _("Type the DAK PIN, then press Enter."));
      return;
    }

  /* The PIN leaves the entry at once: into wiped memory for the thread,
   * and the entry's own (non-pageable) buffer is emptied. */
  job = g_new0 (UnlockJob, 1);
  job->signer = g_object_ref (self->signer);
  job->pin = sc_secret_new_from_string (text);
  gtk_editable_set_text (GTK_EDITABLE (self->entry), "");

  set_state (self, TRUE, TRUE, NULL);
  task = g_task_new (NULL, NULL, unlock_done_cb, _sc_weak_ref_new (self));
  g_task_set_source_tag (task, unlock_action_cb);
  g_task_set_task_data (task, job, unlock_job_free);
  g_task_run_in_thread (task, unlock_thread);
}

static void
entry_activate_cb (ScPinDialog      *self,
                   GtkPasswordEntry *entry)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "pin.unlock", NULL);
}

static void
sc_pin_dialog_constructed (GObject *object)
{
  ScPinDialog *self = SC_PIN_DIALOG (object);

  G_OBJECT_CLASS (sc_pin_dialog_parent_class)->constructed (object);

  g_assert (SC_IS_SIGNER (self->signer));
  describe (self);
  update (self);
}

static void
sc_pin_dialog_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), SC_TYPE_PIN_DIALOG);

  G_OBJECT_CLASS (sc_pin_dialog_parent_class)->dispose (object);
}

static void
sc_pin_dialog_finalize (GObject *object)
{
  ScPinDialog *self = SC_PIN_DIALOG (object);

  g_clear_object (&self->signer);
  g_free (self->error);

  G_OBJECT_CLASS (sc_pin_dialog_parent_class)->finalize (object);
}

static void
sc_pin_dialog_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  ScPinDialog *self = SC_PIN_DIALOG (object);

  switch (prop_id)
    {
    case PROP_SIGNER: g_value_set_object (value, self->signer); break;
    case PROP_PIN_RETRIES: g_value_set_int (value, self->pin_retries); break;
    case PROP_BUSY: g_value_set_boolean (value, self->busy); break;
    case PROP_CAN_RETRY: g_value_set_boolean (value, self->can_retry); break;
    case PROP_ERROR: g_value_set_string (value, self->error); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sc_pin_dialog_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  ScPinDialog *self = SC_PIN_DIALOG (object);

  switch (prop_id)
    {
    case PROP_SIGNER: self->signer = g_value_dup_object (value); break;
    case PROP_PIN_RETRIES: self->pin_retries = g_value_get_int (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sc_pin_dialog_class_init (ScPinDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  const GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = sc_pin_dialog_constructed;
  object_class->dispose = sc_pin_dialog_dispose;
  object_class->finalize = sc_pin_dialog_finalize;
  object_class->get_property = sc_pin_dialog_get_property;
  object_class->set_property = sc_pin_dialog_set_property;

  properties[PROP_SIGNER] = g_param_spec_object ("signer", NULL, NULL, SC_TYPE_SIGNER, construct);
  properties[PROP_PIN_RETRIES] = g_param_spec_int ("pin-retries", NULL, NULL, -1, G_MAXINT, -1, construct);
  properties[PROP_BUSY] = g_param_spec_boolean ("busy", NULL, NULL, FALSE, flags);
  properties[PROP_CAN_RETRY] = g_param_spec_boolean ("can-retry", NULL, NULL, TRUE, flags);
  properties[PROP_ERROR] = g_param_spec_string ("error", NULL, NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_UNLOCKED] = g_signal_new ("unlocked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                           NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/setupconsole/SetupConsole/sc-pin-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, ScPinDialog, description_label);
  gtk_widget_class_bind_template_child (widget_class, ScPinDialog, entry);
  gtk_widget_class_bind_template_child (widget_class, ScPinDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, ScPinDialog, unlock_button);
  gtk_widget_class_bind_template_child (widget_class, ScPinDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, ScPinDialog, spinner);

  gtk_widget_class_bind_template_callback (widget_class, entry_activate_cb);

  gtk_widget_class_install_action (widget_class, "pin.unlock", NULL, unlock_action_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
sc_pin_dialog_init (ScPinDialog *self)
{
  self->can_retry = TRUE;
  self->pin_retries = -1;
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
sc_pin_dialog_new (ScSigner *signer,
                   int       pin_retries)
{
  g_return_val_if_fail (SC_IS_SIGNER (signer), NULL);

  return g_object_new (SC_TYPE_PIN_DIALOG,
                       "signer", signer,
                       "pin-retries", pin_retries,
                       NULL);
}

gboolean
sc_pin_dialog_get_busy (ScPinDialog *self)
{
  g_return_val_if_fail (SC_IS_PIN_DIALOG (self), FALSE);
  return self->busy;
}

gboolean
sc_pin_dialog_get_can_retry (ScPinDialog *self)
{
  g_return_val_if_fail (SC_IS_PIN_DIALOG (self), FALSE);
  return self->can_retry;
}

const char *
sc_pin_dialog_get_error (ScPinDialog *self)
{
  g_return_val_if_fail (SC_IS_PIN_DIALOG (self), NULL);
  return self->error;
}
