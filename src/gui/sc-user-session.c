/* sc-user-session.c: who is signed in at this console, and what they may do
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "sc-sign-in-dialog.h"
#include "sc-user-session.h"

struct _ScUserSession
{
  GObject          parent_instance;

  ScUsers         *users;
  GCancellable    *cancellable;
  gboolean         training;
  gboolean         checked;
  gboolean         required;
  gboolean         unprotected;
  char            *error;           /* the users could not be read */
  ScUserRecord    *user;
  gboolean         prompted;        /* the dialog opened by itself once */

  /* Bound (sc_user_session_bind_window), all weak. */
  GtkWindow       *window;
  ScProvisionPage *provision_page;
  ScUnitsPage     *units_page;
  GtkRevealer     *banner;
  GtkMenuButton   *user_button;
  GtkWidget       *dialog;
  GSimpleAction   *sign_in_action;
  GSimpleAction   *sign_out_action;
};

enum { PROP_0, PROP_USERS, PROP_CHECKED, PROP_REQUIRED, PROP_UNPROTECTED, PROP_USER_NAME, PROP_TITLE, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { SIGNAL_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ScUserSession, sc_user_session, G_TYPE_OBJECT)

static const char *
get_title (ScUserSession *self)
{
  return self->user != NULL ? self->user->name : _("Sign In");
}

static gboolean
page_busy (ScUserSession *self)
{
  return self->provision_page != NULL && sc_provision_page_get_busy (self->provision_page);
}

/* A sentence for a page, which ends its sentences with a full stop. */
static char *
refusal_sentence (ScUserSession *self,
                  ScRight        right)
{
  g_autofree char *refusal = sc_user_session_get_refusal (self, right);

  return refusal != NULL ? g_strconcat (refusal, ".", NULL) : NULL;
}

/* Everything that follows from who is signed in. */
static void
apply (ScUserSession *self)
{
  ScStation *station = self->provision_page ? sc_provision_page_get_station (self->provision_page) : NULL;
  gboolean busy = page_busy (self);

  if (self->provision_page != NULL)
    {
      g_autofree char *refusal = refusal_sentence (self, SC_RIGHT_PROVISION);
      g_autofree char *reprint = refusal_sentence (self, SC_RIGHT_REPRINT);

      sc_provision_page_set_sign_in_blocker (self->provision_page, refusal);
      /* A label that may or may not have printed is printed again only as
       * a reprint, which is QA's. */
      sc_provision_page_set_reprint_refusal (self->provision_page, reprint);
    }
  if (self->units_page != NULL)
    {
      g_autofree char *refusal = refusal_sentence (self, SC_RIGHT_REPRINT);

      sc_units_page_set_user (self->units_page, self->user && !self->training ? self->user->name : NULL, refusal);
    }

  /* Runs and prints record the operator_name of the station. It is read
   * by the run in its thread, so it changes only between runs (this is
   * called again when the run ends). */
  if (station != NULL && !self->training && !busy)
    {
      const char *name = self->user != NULL ? self->user->name : g_get_user_name ();

      if (g_strcmp0 (station->operator_name, name) != 0)
        {
          g_free (station->operator_name);
          station->operator_name = g_strdup (name);
        }
    }

  if (self->sign_in_action != NULL)
    g_simple_action_set_enabled (self->sign_in_action, self->required && !busy);
  if (self->sign_out_action != NULL)
    g_simple_action_set_enabled (self->sign_out_action, self->user != NULL && !busy);
  if (self->banner != NULL)
    gtk_revealer_set_reveal_child (self->banner, self->unprotected);
  if (self->user_button != NULL)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->user_button), self->required);
      gtk_menu_button_set_label (self->user_button, get_title (self));
    }
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static void
set_checked (ScUserSession *self,
             gboolean       required,
             const char    *error)
{
  gboolean unprotected = !required && error == NULL && !self->training;

  g_object_freeze_notify (G_OBJECT (self));
  if (!self->checked)
    {
      self->checked = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHECKED]);
    }
  if (self->required != required)
    {
      self->required = required;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REQUIRED]);
    }
  if (self->unprotected != unprotected)
    {
      self->unprotected = unprotected;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNPROTECTED]);
    }
  g_free (self->error);
  self->error = g_strdup (error);
  apply (self);
  g_object_thaw_notify (G_OBJECT (self));
}

static void
count_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) users = sc_users_list_finish (SC_USERS (object), result, &error);
  ScUserSession *self = user_data;

  /* Cancelled: the session is gone. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (users == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("The station’s users cannot be read, so nobody can sign in: %s"),
                                               error->message);

      set_checked (self, TRUE, text);
      return;
    }
  set_checked (self, users->len > 0, NULL);

  /* At the start, the dialog asks who is working. */
  if (self->required && self->user == NULL && !self->prompted && self->window != NULL &&
      gtk_widget_get_mapped (GTK_WIDGET (self->window)))
    {
      self->prompted = TRUE;
      sc_user_session_present_dialog (self);
    }
}

void
sc_user_session_set_station (ScUserSession *self,
                             ScStation     *station,
                             gboolean       training_mode)
{
  g_return_if_fail (SC_IS_USER_SESSION (self));
  g_return_if_fail (station != NULL);

  if (self->users != NULL && sc_users_get_store (self->users) == station->store)
    return;

  /* Another station (the settings changed): other records, other users,
   * nobody signed in; counted afresh. */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_clear_object (&self->users);
  if (self->dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->dialog));
  self->checked = FALSE;
  self->prompted = FALSE;
  g_clear_pointer (&self->error, g_free);
  sc_user_session_set_user (self, NULL);

  self->users = sc_users_new (station->store, station->secret);
  self->training = training_mode;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USERS]);

  /* Training mode never asks anyone to sign in. */
  if (self->training)
    set_checked (self, FALSE, NULL);
  else
    sc_users_list_async (self->users, self->cancellable, count_done_cb, self);
}

/* ------------------------------------------------------------- sign-in */

void
sc_user_session_set_user (ScUserSession      *self,
                          const ScUserRecord *user)
{
  g_return_if_fail (SC_IS_USER_SESSION (self));

  if (user == NULL && self->user == NULL)
    return;
  g_clear_pointer (&self->user, sc_user_record_free);
  if (user != NULL)
    self->user = sc_user_record_copy (user);
  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USER_NAME]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
  apply (self);
  g_object_thaw_notify (G_OBJECT (self));
}

static void
signed_in_cb (ScUserSession      *self,
              const ScUserRecord *user,
              ScSignInDialog     *dialog)
{
  sc_user_session_set_user (self, user);
}

void
sc_user_session_present_dialog (ScUserSession *self)
{
  g_return_if_fail (SC_IS_USER_SESSION (self));

  if (self->users == NULL || !self->required || page_busy (self))
    return;
  if (self->dialog == NULL)
    {
      GtkWidget *dialog = sc_sign_in_dialog_new (self->users);

      g_set_weak_pointer (&self->dialog, dialog);
      g_signal_connect_object (dialog, "signed-in", G_CALLBACK (signed_in_cb), self, G_CONNECT_SWAPPED);
      if (self->window != NULL)
        {
          gtk_window_set_transient_for (GTK_WINDOW (dialog), self->window);
          gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);
        }
    }
  gtk_window_present (GTK_WINDOW (self->dialog));
}

static void
sign_out_done_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* The sign-out happened either way; only its audit entry is missing. */
  if (!sc_users_sign_out_finish (SC_USERS (object), result, &error))
    g_message ("The sign-out was not recorded in the audit log: %s", error->message);
}

static void
sign_in_action_cb (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  sc_user_session_present_dialog (user_data);
}

static void
sign_out_action_cb (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  ScUserSession *self = user_data;

  if (self->user == NULL || page_busy (self))
    return;
  sc_users_sign_out_async (self->users, self->user->name, NULL, sign_out_done_cb, NULL);
  sc_user_session_set_user (self, NULL);
  /* The next person signs in. */
  sc_user_session_present_dialog (self);
}

static void
page_changed_cb (ScUserSession   *self,
                 GParamSpec      *pspec,
                 ScProvisionPage *page)
{
  ScStation *station = sc_provision_page_get_station (page);

  if (station != NULL)
    sc_user_session_set_station (self, station, sc_provision_page_get_training_mode (page));
  apply (self);
}

void
sc_user_session_bind_window (ScUserSession   *self,
                             GtkWindow       *window,
                             ScProvisionPage *provision_page,
                             ScUnitsPage     *units_page,
                             GtkRevealer     *banner,
                             GtkMenuButton   *user_button)
{
  const GActionEntry entries[] = {
    { .name = "sign-in", .activate = sign_in_action_cb },
    { .name = "sign-out", .activate = sign_out_action_cb },
  };

  g_return_if_fail (SC_IS_USER_SESSION (self));
  g_return_if_fail (G_IS_ACTION_MAP (window));
  g_return_if_fail (SC_IS_PROVISION_PAGE (provision_page));
  g_return_if_fail (SC_IS_UNITS_PAGE (units_page));

  g_set_weak_pointer (&self->window, window);
  g_set_weak_pointer (&self->provision_page, provision_page);
  g_set_weak_pointer (&self->units_page, units_page);
  g_set_weak_pointer (&self->banner, banner);
  g_set_weak_pointer (&self->user_button, user_button);

  g_action_map_add_action_entries (G_ACTION_MAP (window), entries, G_N_ELEMENTS (entries), self);
  g_set_weak_pointer (&self->sign_in_action,
                      G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (window), "sign-in")));
  g_set_weak_pointer (&self->sign_out_action,
                      G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (window), "sign-out")));

  g_signal_connect_object (provision_page, "notify::ready", G_CALLBACK (page_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (provision_page, "notify::busy", G_CALLBACK (page_changed_cb), self, G_CONNECT_SWAPPED);
  page_changed_cb (self, NULL, provision_page);
}

/* --------------------------------------------------------------- object */

static void
sc_user_session_dispose (GObject *object)
{
  ScUserSession *self = SC_USER_SESSION (object);

  g_cancellable_cancel (self->cancellable);
  if (self->dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->dialog));
  g_clear_weak_pointer (&self->dialog);
  g_clear_weak_pointer (&self->window);
  g_clear_weak_pointer (&self->provision_page);
  g_clear_weak_pointer (&self->units_page);
  g_clear_weak_pointer (&self->banner);
  g_clear_weak_pointer (&self->user_button);
  g_clear_weak_pointer (&self->sign_in_action);
  g_clear_weak_pointer (&self->sign_out_action);

  G_OBJECT_CLASS (sc_user_session_parent_class)->dispose (object);
}

static void
sc_user_session_finalize (GObject *object)
{
  ScUserSession *self = SC_USER_SESSION (object);

  g_clear_object (&self->users);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->user, sc_user_record_free);
  g_free (self->error);

  G_OBJECT_CLASS (sc_user_session_parent_class)->finalize (object);
}

static void
sc_user_session_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  ScUserSession *self = SC_USER_SESSION (object);

  switch (prop_id)
    {
    case PROP_USERS: g_value_set_object (value, self->users); break;
    case PROP_CHECKED: g_value_set_boolean (value, self->checked); break;
    case PROP_REQUIRED: g_value_set_boolean (value, self->required); break;
    case PROP_UNPROTECTED: g_value_set_boolean (value, self->unprotected); break;
    case PROP_USER_NAME: g_value_set_string (value, self->user ? self->user->name : NULL); break;
    case PROP_TITLE: g_value_set_string (value, get_title (self)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sc_user_session_class_init (ScUserSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = sc_user_session_dispose;
  object_class->finalize = sc_user_session_finalize;
  object_class->get_property = sc_user_session_get_property;

  properties[PROP_USERS] = g_param_spec_object ("users", NULL, NULL, SC_TYPE_USERS, flags);
  properties[PROP_CHECKED] = g_param_spec_boolean ("checked", NULL, NULL, FALSE, flags);
  properties[PROP_REQUIRED] = g_param_spec_boolean ("required", NULL, NULL, FALSE, flags);
  properties[PROP_UNPROTECTED] = g_param_spec_boolean ("unprotected", NULL, NULL, FALSE, flags);
  properties[PROP_USER_NAME] = g_param_spec_string ("user-name", NULL, NULL, NULL, flags);
  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                          NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
sc_user_session_init (ScUserSession *self)
{
  self->cancellable = g_cancellable_new ();
}

ScUserSession *
sc_user_session_new (void)
{
  return g_object_new (SC_TYPE_USER_SESSION, NULL);
}

/**
 * sc_user_session_get_refusal:
 *
 * Returns: (transfer full) (nullable): why @right is refused, or %NULL.
 */
char *
sc_user_session_get_refusal (ScUserSession *self,
                             ScRight        right)
{
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (SC_IS_USER_SESSION (self), NULL);

  if (self->training)
    return NULL;
  if (self->error != NULL)
    return g_strdup (self->error);
  if (!self->checked)
    return g_strdup (_("Checking who may work at this station"));
  if (!self->required || sc_user_check_right (self->user, right, &error))
    return NULL;
  return g_strdup (error->message);
}

ScUsers *
sc_user_session_get_users (ScUserSession *self)
{
  g_return_val_if_fail (SC_IS_USER_SESSION (self), NULL);
  return self->users;
}

gboolean
sc_user_session_get_checked (ScUserSession *self)
{
  g_return_val_if_fail (SC_IS_USER_SESSION (self), FALSE);
  return self->checked;
}

gboolean
sc_user_session_get_required (ScUserSession *self)
{
  g_return_val_if_fail (SC_IS_USER_SESSION (self), FALSE);
  return self->required;
}

gboolean
sc_user_session_get_unprotected (ScUserSession *self)
{
  g_return_val_if_fail (SC_IS_USER_SESSION (self), FALSE);
  return self->unprotected;
}

const char *
sc_user_session_get_user_name (ScUserSession *self)
{
  g_return_val_if_fail (SC_IS_USER_SESSION (self), NULL);
  return self->user != NULL ? self->user->name : NULL;
}

const ScUserRecord *
sc_user_session_get_user (ScUserSession *self)
{
  g_return_val_if_fail (SC_IS_USER_SESSION (self), NULL);
  return self->user;
}
