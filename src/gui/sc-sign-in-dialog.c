/* sc-sign-in-dialog.c: who is working: a badge scanned, or a name and a passcode
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "sc-gui-private.h"
#include "sc-sign-in-dialog.h"

struct _ScSignInDialog
{
  AdwWindow         parent_instance;

  /* template children */
  GtkPasswordEntry *badge_entry;
  GtkListBox       *user_list;
  GtkPasswordEntry *passcode_entry;
  GtkLabel         *error_label;
  GtkWidget        *sign_in_button;
  GtkWidget        *cancel_button;
  GtkSpinner       *spinner;

  ScUsers          *users;
  GCancellable     *cancellable;
  gboolean          loaded;
  gboolean          busy;
  gboolean          by_badge;       /* what the sign-in under way used */
  char             *name;
  char             *error;
};

enum { PROP_0, PROP_USERS, PROP_LOADED, PROP_BUSY, PROP_NAME, PROP_ERROR, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { SIGNAL_SIGNED_IN, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ScSignInDialog, sc_sign_in_dialog, ADW_TYPE_WINDOW)

static void
update (ScSignInDialog *self)
{
  if (self->busy)
    {
      _sc_widget_drop_focus (GTK_WIDGET (self->badge_entry), self->cancel_button);
      _sc_widget_drop_focus (GTK_WIDGET (self->passcode_entry), self->cancel_button);
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->badge_entry), !self->busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->passcode_entry), !self->busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->user_list), !self->busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sign-in.passcode", !self->busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sign-in.badge", !self->busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sign-in.choose", !self->busy);
  gtk_spinner_set_spinning (self->spinner, self->busy);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), self->busy);

  gtk_label_set_label (self->error_label, self->error ? self->error : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), self->error != NULL);
}

static void
set_busy (ScSignInDialog *self,
          gboolean        busy)
{
  if (self->busy == busy)
    return;
  self->busy = busy;
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
set_error (ScSignInDialog *self,
           const char     *error)
{
  if (g_strcmp0 (self->error, error) == 0)
    return;
  g_free (self->error);
  self->error = g_strdup (error);
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

/* ------------------------------------------------------------ the names */

static char *
roles_text (guint roles)
{
  const ScRole all[] = { SC_ROLE_OPERATOR, SC_ROLE_QA, SC_ROLE_TRAINER, SC_ROLE_ADMIN };
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    if (roles & all[i])
      {
        if (text->len > 0)
          /* Translators: between two role names */
          g_string_append (text, _(", "));
        g_string_append (text, sc_role_get_title (all[i]));
      }
  return g_string_free (text, FALSE);
}

static GtkWidget *
user_row_new (const ScUserRecord *user)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *roles = roles_text (user->roles);

  /* A name is the user's own text, never markup. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), user->name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), roles);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  g_object_set_data_full (G_OBJECT (row), "sc-name", g_strdup (user->name), g_free);
  return row;
}

static void
list_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  ScSignInDialog *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) users = sc_users_list_finish (SC_USERS (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (users == NULL)
    set_error (self, error->message);
  else
    for (guint i = 0; i < users->len; i++)
      {
        const ScUserRecord *user = g_ptr_array_index (users, i);

        /* A disabled user cannot sign in: not offered. */
        if (!user->disabled)
          gtk_list_box_append (self->user_list, user_row_new (user));
      }

  self->loaded = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
}

static void
set_name (ScSignInDialog *self,
          const char     *name)
{
  if (g_strcmp0 (self->name, name) == 0)
    return;
  g_free (self->name);
  self->name = g_strdup (name);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
}

static void
row_selected_cb (ScSignInDialog *self,
                 GtkListBoxRow  *row,
                 GtkListBox     *list)
{
  set_name (self, row ? g_object_get_data (G_OBJECT (row), "sc-name") : NULL);
}

static void
row_activated_cb (ScSignInDialog *self,
                  GtkListBoxRow  *row,
                  GtkListBox     *list)
{
  gtk_list_box_select_row (list, row);
  gtk_widget_grab_focus (GTK_WIDGET (self->passcode_entry));
}

static void
choose_action_cb (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  ScSignInDialog *self = SC_SIGN_IN_DIALOG (widget);
  const char *name = g_variant_get_string (parameter, NULL);
  GtkListBoxRow *row;

  for (int i = 0; (row = gtk_list_box_get_row_at_index (self->user_list, i)) != NULL; i++)
    if (g_strcmp0 (g_object_get_data (G_OBJECT (row), "sc-name"), name) == 0)
      {
        row_activated_cb (self, row, self->user_list);
        return;
      }
  gtk_widget_error_bell (widget);
}

/* ------------------------------------------------------------- sign-in */

static void
sign_in_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(ScSignInDialog) self = g_weak_ref_get (weak);
  g_autoptr(GError) error = NULL;
  g_autoptr(ScUserRecord) user = sc_users_sign_in_finish (SC_USERS (object), result, &error);

  _sc_weak_ref_free (weak);
  if (self == NULL)
    return;

  set_busy (self, FALSE);
  if (user == NULL)
    {
      set_error (self, error->message);
      gtk_widget_grab_focus (GTK_WIDGET (self->by_badge ? self->badge_entry : self->passcode_entry));
      return;
    }

  set_error (self, NULL);
  g_signal_emit (self, signals[SIGNAL_SIGNED_IN], 0, user);
  gtk_window_close (GTK_WINDOW (self));
}

/* What was typed leaves its entry at once, into wiped memory for the
 * thread; the entry's own (non-pageable) buffer is emptied. */
static void
sign_in (ScSignInDialog   *self,
         const char       *name,
         GtkPasswordEntry *entry)
{
  g_autoptr(ScSecret) code = sc_secret_new_from_string (gtk_editable_get_text (GTK_EDITABLE (entry)));

  gtk_editable_set_text (GTK_EDITABLE (entry), "");
  self->by_badge = name == NULL;
  set_error (self, NULL);
  set_busy (self, TRUE);
  sc_users_sign_in_async (self->users, name, code, NULL, sign_in_done_cb, _sc_weak_ref_new (self));
}

static void
passcode_action_cb (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  ScSignInDialog *self = SC_SIGN_IN_DIALOG (widget);

  if (self->busy)
    return;
  if (self->name == NULL)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->passcode_entry), "");
      set_error (self, _("Choose your name in the list first, then type your passcode."));
      gtk_widget_grab_focus (GTK_WIDGET (self->user_list));
      return;
    }
  if (*gtk_editable_get_text (GTK_EDITABLE (self->passcode_entry)) == '\0')
    {
      set_error (self, _("Type your passcode, then press Enter."));
      gtk_widget_grab_focus (GTK_WIDGET (self->passcode_entry));
      return;
    }
  sign_in (self, self->name, self->passcode_entry);
}

static void
badge_action_cb (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  ScSignInDialog *self = SC_SIGN_IN_DIALOG (widget);

  if (self->busy)
    return;
  if (*gtk_editable_get_text (GTK_EDITABLE (self->badge_entry)) == '\0')
    {
      set_error (self, _("Scan your badge with the scanner, or choose your name and type your passcode."));
      return;
    }
  sign_in (self, NULL, self->badge_entry);
}

static void
passcode_activate_cb (ScSignInDialog   *self,
                      GtkPasswordEntry *entry)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "sign-in.passcode", NULL);
}

static void
badge_activate_cb (ScSignInDialog   *self,
                   GtkPasswordEntry *entry)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "sign-in.badge", NULL);
}

/* --------------------------------------------------------------- object */

static void
sc_sign_in_dialog_constructed (GObject *object)
{
  ScSignInDialog *self = SC_SIGN_IN_DIALOG (object);

  G_OBJECT_CLASS (sc_sign_in_dialog_parent_class)->constructed (object);

  g_assert (SC_IS_USERS (self->users));
  update (self);
  sc_users_list_async (self->users, self->cancellable, list_done_cb, self);
  /* A scanner types into whatever has the focus: the badge field. */
  gtk_window_set_focus (GTK_WINDOW (self), GTK_WIDGET (self->badge_entry));
}

static void
sc_sign_in_dialog_dispose (GObject *object)
{
  ScSignInDialog *self = SC_SIGN_IN_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (object), SC_TYPE_SIGN_IN_DIALOG);

  G_OBJECT_CLASS (sc_sign_in_dialog_parent_class)->dispose (object);
}

static void
sc_sign_in_dialog_finalize (GObject *object)
{
  ScSignInDialog *self = SC_SIGN_IN_DIALOG (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->users);
  g_free (self->name);
  g_free (self->error);

  G_OBJECT_CLASS (sc_sign_in_dialog_parent_class)->finalize (object);
}

static void
sc_sign_in_dialog_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  ScSignInDialog *self = SC_SIGN_IN_DIALOG (object);

  switch (prop_id)
    {
    case PROP_USERS: g_value_set_object (value, self->users); break;
    case PROP_LOADED: g_value_set_boolean (value, self->loaded); break;
    case PROP_BUSY: g_value_set_boolean (value, self->busy); break;
    case PROP_NAME: g_value_set_string (value, self->name); break;
    case PROP_ERROR: g_value_set_string (value, self->error); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sc_sign_in_dialog_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  ScSignInDialog *self = SC_SIGN_IN_DIALOG (object);

  switch (prop_id)
    {
    case PROP_USERS: self->users = g_value_dup_object (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sc_sign_in_dialog_class_init (ScSignInDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  const GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = sc_sign_in_dialog_constructed;
  object_class->dispose = sc_sign_in_dialog_dispose;
  object_class->finalize = sc_sign_in_dialog_finalize;
  object_class->get_property = sc_sign_in_dialog_get_property;
  object_class->set_property = sc_sign_in_dialog_set_property;

  properties[PROP_USERS] = g_param_spec_object ("users", NULL, NULL, SC_TYPE_USERS, construct);
  properties[PROP_LOADED] = g_param_spec_boolean ("loaded", NULL, NULL, FALSE, flags);
  properties[PROP_BUSY] = g_param_spec_boolean ("busy", NULL, NULL, FALSE, flags);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_ERROR] = g_param_spec_string ("error", NULL, NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_SIGNED_IN] = g_signal_new ("signed-in", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                            NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/setupconsole/SetupConsole/sc-sign-in-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, ScSignInDialog, badge_entry);
  gtk_widget_class_bind_template_child (widget_class, ScSignInDialog, user_list);
  gtk_widget_class_bind_template_child (widget_class, ScSignInDialog, passcode_entry);
  gtk_widget_class_bind_template_child (widget_class, ScSignInDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, ScSignInDialog, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, ScSignInDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, ScSignInDialog, spinner);

  gtk_widget_class_bind_template_callback (widget_class, row_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, passcode_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, badge_activate_cb);

  gtk_widget_class_install_action (widget_class, "sign-in.choose", "s", choose_action_cb);
  gtk_widget_class_install_action (widget_class, "sign-in.passcode", NULL, passcode_action_cb);
  gtk_widget_class_install_action (widget_class, "sign-in.badge", NULL, badge_action_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
sc_sign_in_dialog_init (ScSignInDialog *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
sc_sign_in_dialog_new (ScUsers *users)
{
  g_return_val_if_fail (SC_IS_USERS (users), NULL);

  return g_object_new (SC_TYPE_SIGN_IN_DIALOG, "users", users, NULL);
}

gboolean
sc_sign_in_dialog_get_loaded (ScSignInDialog *self)
{
  g_return_val_if_fail (SC_IS_SIGN_IN_DIALOG (self), FALSE);
  return self->loaded;
}

gboolean
sc_sign_in_dialog_get_busy (ScSignInDialog *self)
{
  g_return_val_if_fail (SC_IS_SIGN_IN_DIALOG (self), FALSE);
  return self->busy;
}

const char *
sc_sign_in_dialog_get_name (ScSignInDialog *self)
{
  g_return_val_if_fail (SC_IS_SIGN_IN_DIALOG (self), NULL);
  return self->name;
}

const char *
sc_sign_in_dialog_get_error (ScSignInDialog *self)
{
  g_return_val_if_fail (SC_IS_SIGN_IN_DIALOG (self), NULL);
  return self->error;
}
