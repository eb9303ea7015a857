/* sc-application.c
 *
 * Copyright 2026 Setup Console developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "sc-application.h"
#include "sc-window.h"

struct _ScApplication
{
  AdwApplication parent_instance;

  gboolean       training;
};

G_DEFINE_FINAL_TYPE (ScApplication, sc_application, ADW_TYPE_APPLICATION)

#define MES_REPRINT_REASON "MES request"

static const GOptionEntry options[] = {
  { "training", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Start in training mode: the training DAK, the simulated unit, records of their own"), NULL },
  { NULL }
};

/* --training is this process's own business: with a console already
 * running, starting another in training mode would only raise the first. */
static int
sc_application_handle_local_options (GApplication *app,
                                     GVariantDict *dict)
{
  ScApplication *self = SC_APPLICATION (app);
  g_autoptr(GError) error = NULL;

  if (!g_variant_dict_contains (dict, "training"))
    return -1;

  self->training = TRUE;
  if (!g_application_register (app, NULL, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  if (g_application_get_is_remote (app))
    {
      g_printerr ("%s\n", _("Setup Console is already running: close it, then start it again with --training."));
      return 1;
    }
  return -1;
}

/* The window the MES's actions go to: the one open, or a new one. */
static ScWindow *
get_window (ScApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    {
      g_application_activate (G_APPLICATION (self));
      window = gtk_application_get_active_window (GTK_APPLICATION (self));
    }
  return SC_IS_WINDOW (window) ? SC_WINDOW (window) : NULL;
}

static void
provision_action_cb (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  ScWindow *window = get_window (user_data);

  if (window != NULL)
    sc_window_provision (window, g_variant_get_string (parameter, NULL));
}

static void
reprint_action_cb (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  ScWindow *window = get_window (user_data);
  const char *serial, *kind;

  g_variant_get (parameter, "(&s&s)", &serial, &kind);
  if (window != NULL)
    sc_window_reprint (window, serial, kind, MES_REPRINT_REASON);
}

static void
lock_dak_action_cb (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  ScWindow *window = get_window (user_data);

  if (window != NULL)
    sc_window_lock_dak (window);
}

static void
sc_application_activate (GApplication *app)
{
  ScApplication *self = SC_APPLICATION (app);
  GtkWindow *window;

  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (window == NULL)
    window = GTK_WINDOW (sc_window_new (self));

  gtk_window_present (window);
}

/* Closing the windows (rather than only quitting the main loop) lets each
 * window run its close-request handler, which saves its size and state.
 */
static void
quit_action_cb (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  ScApplication *self = user_data;
  GList *windows = NULL;

  g_assert (SC_IS_APPLICATION (self));

  /* Closing a window removes it from the application's list: walk a copy. */
  for (const GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    windows = g_list_prepend (windows, g_object_ref (l->data));

  if (windows == NULL)
    {
      g_application_quit (G_APPLICATION (self));
      return;
    }

  for (const GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (GTK_WINDOW (l->data));

  g_list_free_full (windows, g_object_unref);
}

static void
about_action_cb (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  ScApplication *self = user_data;
  AdwAboutWindow *about;
  GtkWindow *parent;

  g_assert (SC_IS_APPLICATION (self));

  parent = gtk_application_get_active_window (GTK_APPLICATION (self));

  about = ADW_ABOUT_WINDOW (adw_about_window_new ());
  adw_about_window_set_application_name (about, _("Setup Console"));
  adw_about_window_set_application_icon (about, APP_ID);
  adw_about_window_set_version (about, PACKAGE_VERSION);
  adw_about_window_set_developer_name (about, "Setup Console developers");
  adw_about_window_set_comments (about, _("Provision devices on the production line"));
  adw_about_window_set_copyright (about, "© 2026 Setup Console developers");
  adw_about_window_set_license_type (about, GTK_LICENSE_GPL_3_0);
  /* Translators: replace with your name, one translator per line */
  adw_about_window_set_translator_credits (about, _("translator-credits"));

  gtk_window_set_modal (GTK_WINDOW (about), TRUE);
  if (parent != NULL)
    gtk_window_set_transient_for (GTK_WINDOW (about), parent);

  gtk_window_present (GTK_WINDOW (about));
}

static const GActionEntry app_actions[] = {
  { .name = "quit", .activate = quit_action_cb },
  { .name = "about", .activate = about_action_cb },
  { .name = "provision", .activate = provision_action_cb, .parameter_type = "s" },
  { .name = "reprint", .activate = reprint_action_cb, .parameter_type = "(ss)" },
  { .name = "lock-dak", .activate = lock_dak_action_cb },
  { .name = "last-result", .state = "''" },
  { .name = "last-reprint", .state = "''" },
};

static void
sc_application_startup (GApplication *app)
{
  ScApplication *self = SC_APPLICATION (app);
  static const char * const quit_accels[] = { "<Control>q", NULL };

  G_APPLICATION_CLASS (sc_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self),
                                   app_actions,
                                   G_N_ELEMENTS (app_actions),
                                   self);

  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  /* Read, not activated: the MES reads their state. */
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "last-result")),
                               FALSE);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "last-reprint")),
                               FALSE);
}

static void
sc_application_class_init (ScApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = sc_application_activate;
  app_class->startup = sc_application_startup;
  app_class->handle_local_options = sc_application_handle_local_options;
}

static void
sc_application_init (ScApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), options);
}

ScApplication *
sc_application_new (void)
{
  return g_object_new (SC_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/org/setupconsole/SetupConsole",
                       NULL);
}

gboolean
sc_application_get_training (ScApplication *self)
{
  g_return_val_if_fail (SC_IS_APPLICATION (self), FALSE);
  return self->training;
}

static void
set_state_action (ScApplication *self,
                  const char    *name,
                  const char    *value)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);

  if (action != NULL)
    g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_string (value ? value : ""));
}

void
sc_application_set_last_result (ScApplication *self,
                                const char    *result)
{
  g_return_if_fail (SC_IS_APPLICATION (self));
  set_state_action (self, "last-result", result);
}

void
sc_application_set_last_reprint (ScApplication *self,
                                 const char    *result)
{
  g_return_if_fail (SC_IS_APPLICATION (self));
  set_state_action (self, "last-reprint", result);
}
