/* sc-window.c
 *
 * Copyright 2026 Setup Console developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "sc-core.h"
#include "sc-provision-page.h"
#include "sc-settings-page.h"
#include "sc-units-page.h"
#include "sc-user-session.h"
#include "sc-window.h"

struct _ScWindow
{
  AdwApplicationWindow  parent_instance;

  /* template children */
  AdwToastOverlay      *toast_overlay;
  AdwViewStack         *view_stack;
  GtkRevealer          *training_banner;
  GtkMenuButton        *training_button;
  ScProvisionPage      *provision_page;
  ScUnitsPage          *units_page;
  ScSettingsPage       *settings_page;
  GtkRevealer          *users_banner;
  GtkMenuButton        *user_button;

  GSettings            *settings;
  ScUserSession        *session;      /* who is signed in (sc-user-session.h) */

  /* A reprint asked for from outside (the MES), waiting for its unit. */
  char                 *reprint_serial;
  char                 *reprint_kind;
  char                 *reprint_reason;
  gulong                reprint_handler;
  guint                 reprint_idle;
};

G_DEFINE_FINAL_TYPE (ScWindow, sc_window, ADW_TYPE_APPLICATION_WINDOW)

static void
restore_window_state (ScWindow *self)
{
  int width;
  int height;

  g_assert (SC_IS_WINDOW (self));

  width = g_settings_get_int (self->settings, "window-width");
  height = g_settings_get_int (self->settings, "window-height");

  gtk_window_set_default_size (GTK_WINDOW (self), width, height);

  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

/* A size outside the schema's range (a tiny or huge window) is not saved:
 * GSettings would refuse it with a critical warning. */
static void
save_size_key (GSettings  *settings,
               const char *key,
               int         value)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettingsSchemaKey) schema_key = NULL;
  g_autoptr(GVariant) variant = NULL;

  g_object_get (settings, "settings-schema", &schema, NULL);
  schema_key = g_settings_schema_get_key (schema, key);
  variant = g_variant_ref_sink (g_variant_new_int32 (value));

  if (g_settings_schema_key_range_check (schema_key, variant))
    g_settings_set_value (settings, key, variant);
  else
    g_debug ("Not saving %s=%d: outside the range the schema allows", key, value);
}

static void
save_window_state (ScWindow *self)
{
  gboolean maximized;

  g_assert (SC_IS_WINDOW (self));

  maximized = gtk_window_is_maximized (GTK_WINDOW (self));

  g_settings_delay (self->settings);

  /* Only an unmaximized window's size is worth restoring; while maximized,
   * keep the size saved before it was maximized. */
  if (!maximized)
    {
      int width;
      int height;

      gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);

      if (width > 0 && height > 0)
        {
          save_size_key (self->settings, "window-width", width);
          save_size_key (self->settings, "window-height", height);
        }
    }

  g_settings_set_boolean (self->settings, "window-maximized", maximized);

  g_settings_apply (self->settings);
}

static gboolean
sc_window_close_request (GtkWindow *window)
{
  ScWindow *self = SC_WINDOW (window);

  save_window_state (self);

  if (GTK_WINDOW_CLASS (sc_window_parent_class)->close_request != NULL)
    return GTK_WINDOW_CLASS (sc_window_parent_class)->close_request (window);

  return FALSE;
}

/* The window's title carries the last result, so it shows in a task bar
 * and a line's tools can read it: "PASS <serial> – Setup Console". */
static void
summary_changed_cb (ScWindow        *self,
                    GParamSpec      *pspec,
                    ScProvisionPage *page)
{
  const char *summary = sc_provision_page_get_summary (page);
  g_autofree char *title = NULL;

  if (summary != NULL)
    /* Translators: the window title: the last result, then the app's name */
    title = g_strdup_printf (_("%s – Setup Console"), summary);
  gtk_window_set_title (GTK_WINDOW (self), title ? title : _("Setup Console"));

  /* And for the MES: app.last-result's state. */
  if (SC_IS_APPLICATION (gtk_window_get_application (GTK_WINDOW (self))))
    sc_application_set_last_result (SC_APPLICATION (gtk_window_get_application (GTK_WINDOW (self))), summary);
}

static void
toast (ScWindow   *self,
       const char *text)
{
  AdwToast *t = adw_toast_new (text);

  adw_toast_set_timeout (t, 8);
  adw_toast_overlay_add_toast (self->toast_overlay, t);
}

/* --------------------------------------------------- outside requests */

/* What became of a reprint asked for from outside: a toast here, and
 * app.last-reprint's state for the MES. */
static void
reprint_outcome (ScWindow   *self,
                 const char *serial,
                 const char *kind,
                 const char *refusal)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  g_autofree char *state = NULL;

  if (refusal != NULL)
    {
      toast (self, refusal);
      state = g_strdup_printf ("REFUSED %s %s: %s", serial, kind, refusal);
    }
  else
    state = g_strdup_printf ("SENT %s %s", serial, kind);
  if (SC_IS_APPLICATION (app))
    sc_application_set_last_reprint (SC_APPLICATION (app), state);
}

static void
clear_pending_reprint (ScWindow *self)
{
  g_clear_signal_handler (&self->reprint_handler, self->units_page);
  g_clear_handle_id (&self->reprint_idle, g_source_remove);
  g_clear_pointer (&self->reprint_serial, g_free);
  g_clear_pointer (&self->reprint_kind, g_free);
  g_clear_pointer (&self->reprint_reason, g_free);
}

/* The Units page has looked the unit up: reprint, or say why not. */
static void
finish_pending_reprint (ScWindow *self)
{
  const char *shown = sc_units_page_get_serial (self->units_page);

  if (self->reprint_serial == NULL || sc_units_page_get_busy (self->units_page))
    return;

  if (g_strcmp0 (shown, self->reprint_serial) == 0)
    {
      gtk_widget_activate_action (GTK_WIDGET (self->units_page), "units.reprint", "(ss)",
                                  self->reprint_kind, self->reprint_reason);
      /* The Units page shows how the reprint ends; a unit whose labels
       * cannot be reprinted leaves it idle. */
      if (sc_units_page_get_busy (self->units_page))
        reprint_outcome (self, self->reprint_serial, self->reprint_kind, NULL);
      else
        {
          ScLabelKind kind = SC_LABEL_KIND_PRODUCT;
          g_autofree char *text = NULL;

          /* sc_window_reprint() took only a kind it knows. */
          sc_label_kind_from_string (self->reprint_kind, &kind);
          /* Translators: a serial, then a label ("product label") */
          text = g_strdup_printf (_("Not reprinted: unit %s has no %s that can be printed again; its page in the "
                                    "Units view says why."),
                                  self->reprint_serial, sc_label_kind_to_display (kind));
          reprint_outcome (self, self->reprint_serial, self->reprint_kind, text);
        }
    }
  else
    {
      g_autofree char *text = g_strdup_printf (_("Not reprinted: unit %s is not in the records."),
                                               self->reprint_serial);
      reprint_outcome (self, self->reprint_serial, self->reprint_kind, text);
    }
  clear_pending_reprint (self);
}

static gboolean
finish_pending_reprint_cb (gpointer data)
{
  ScWindow *self = data;

  self->reprint_idle = 0;
  finish_pending_reprint (self);
  return G_SOURCE_REMOVE;
}

/* The page says it is no longer busy before it shows what it found: look
 * once it is done. */
static void
units_busy_cb (ScWindow    *self,
               GParamSpec  *pspec,
               ScUnitsPage *page)
{
  if (!sc_units_page_get_busy (page) && self->reprint_idle == 0)
    self->reprint_idle = g_idle_add (finish_pending_reprint_cb, self);
}

static void
lock_dak_cb (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  sc_window_lock_dak (SC_WINDOW (user_data));
}

static void
new_shift_cb (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  ScWindow *self = SC_WINDOW (user_data);

  gtk_widget_activate_action (GTK_WIDGET (self->provision_page), "provision.new-shift", NULL);
}

static const GActionEntry win_actions[] = {
  { .name = "lock-dak", .activate = lock_dak_cb },
  { .name = "new-shift", .activate = new_shift_cb },
};

static gboolean
minutes_to_seconds (GValue   *value,
                    GVariant *variant,
                    gpointer  user_data)
{
  g_value_set_uint (value, g_variant_get_uint32 (variant) * 60);
  return TRUE;
}

/* The training menu: step by step, and the fault the next unit gets. */
static GMenuModel *
training_menu_new (void)
{
  g_autoptr(GMenu) menu = g_menu_new ();
  g_autoptr(GMenu) steps = g_menu_new ();
  g_autoptr(GMenu) faults = g_menu_new ();
  const char * const *titles = NULL;
  const char * const *ids = sc_provision_page_list_faults (&titles);

  g_menu_append (steps, _("_Step by Step"), "win.step-by-step");
  g_menu_append_section (menu, NULL, G_MENU_MODEL (steps));
  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autoptr(GMenuItem) item = g_menu_item_new (_(titles[i]), NULL);

      g_menu_item_set_action_and_target (item, "win.fault", "s", ids[i]);
      g_menu_append_item (faults, item);
    }
  g_menu_append_section (menu, _("Fault for the Next Unit"), G_MENU_MODEL (faults));
  return G_MENU_MODEL (g_steal_pointer (&menu));
}

/* One station, one store per process: a second SQLite store opened on the
 * same file while the first is in use would break the first one's locks. */
static void
provision_ready_cb (ScWindow        *self,
                    GParamSpec      *pspec,
                    ScProvisionPage *page)
{
  ScStation *station = sc_provision_page_get_station (page);

  if (station != NULL && !sc_units_page_get_ready (self->units_page))
    sc_units_page_set_station (self->units_page, station);
}

static void
session_changed_cb (ScWindow *self)
{
  g_autofree char *refusal = sc_user_session_get_refusal (self->session, SC_RIGHT_SETTINGS);
  /* A page's sentences end with a full stop. */
  g_autofree char *sentence = refusal ? g_strconcat (refusal, ".", NULL) : NULL;

  sc_settings_page_set_refusal (self->settings_page, sentence);
}

/* The settings were applied: every page must work with the new station,
 * and a page keeps its station for its life, so a new window opens it and
 * this one closes; the shift's counters go on in the new one. Training
 * mode keeps its training station. */
static void
settings_applied_cb (ScWindow       *self,
                     ScSettingsPage *page)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  ScWindow *next;

  if (!SC_IS_APPLICATION (app) || sc_application_get_training (SC_APPLICATION (app)))
    return;
  next = sc_window_new (SC_APPLICATION (app));
  sc_provision_page_continue_shift (next->provision_page, self->provision_page);
  adw_view_stack_set_visible_child_name (next->view_stack, "settings");
  toast (next, _("Settings applied: the station was opened again with them."));
  gtk_window_present (GTK_WINDOW (next));
  gtk_window_close (GTK_WINDOW (self));
}

static void
sc_window_dispose (GObject *object)
{
  ScWindow *self = SC_WINDOW (object);

  clear_pending_reprint (self);
  g_clear_object (&self->session);
  gtk_widget_dispose_template (GTK_WIDGET (self), SC_TYPE_WINDOW);

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (sc_window_parent_class)->dispose (object);
}

static void
sc_window_class_init (ScWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = sc_window_dispose;

  window_class->close_request = sc_window_close_request;

  g_type_ensure (SC_TYPE_PROVISION_PAGE);
  g_type_ensure (SC_TYPE_UNITS_PAGE);
  g_type_ensure (SC_TYPE_SETTINGS_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/setupconsole/SetupConsole/sc-window.ui");
  gtk_widget_class_bind_template_child (widget_class, ScWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, ScWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, ScWindow, training_banner);
  gtk_widget_class_bind_template_child (widget_class, ScWindow, training_button);
  gtk_widget_class_bind_template_child (widget_class, ScWindow, provision_page);
  gtk_widget_class_bind_template_child (widget_class, ScWindow, units_page);
  gtk_widget_class_bind_template_child (widget_class, ScWindow, settings_page);
  gtk_widget_class_bind_template_child (widget_class, ScWindow, users_banner);
  gtk_widget_class_bind_template_child (widget_class, ScWindow, user_button);

  gtk_widget_class_bind_template_callback (widget_class, summary_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, provision_ready_cb);
  gtk_widget_class_bind_template_callback (widget_class, settings_applied_cb);
}

static void
sc_window_init (ScWindow *self)
{
  g_autoptr(GAction) sound = NULL;
  g_autoptr(GAction) step_by_step = NULL;
  g_autoptr(GAction) fault = NULL;
  g_autoptr(GMenuModel) training_menu = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);

  restore_window_state (self);

  g_settings_bind (self->settings, "sound-cues", self->provision_page, "sound-cues", G_SETTINGS_BIND_GET);
  g_settings_bind_with_mapping (self->settings, "dak-idle-lock-minutes", self->provision_page,
                                "dak-idle-lock-seconds", G_SETTINGS_BIND_GET, minutes_to_seconds, NULL, NULL, NULL);

  g_action_map_add_action_entries (G_ACTION_MAP (self), win_actions, G_N_ELEMENTS (win_actions), self);
  sound = g_settings_create_action (self->settings, "sound-cues");
  g_action_map_add_action (G_ACTION_MAP (self), sound);
  step_by_step = G_ACTION (g_property_action_new ("step-by-step", self->provision_page, "step-by-step"));
  g_action_map_add_action (G_ACTION_MAP (self), step_by_step);
  fault = G_ACTION (g_property_action_new ("fault", self->provision_page, "fault"));
  g_action_map_add_action (G_ACTION_MAP (self), fault);

  training_menu = training_menu_new ();
  gtk_menu_button_set_menu_model (self->training_button, training_menu);

  /* Sign-in, its banner and button, and the pages' gates. */
  self->session = sc_user_session_new ();
  sc_user_session_bind_window (self->session, GTK_WINDOW (self), self->provision_page, self->units_page,
                               self->users_banner, self->user_button);
  /* Settings need an admin. */
  g_signal_connect_object (self->session, "changed", G_CALLBACK (session_changed_cb), self, G_CONNECT_SWAPPED);
  session_changed_cb (self);
}


ScWindow *
sc_window_new (ScApplication *application)
{
  ScWindow *self;

  g_return_val_if_fail (SC_IS_APPLICATION (application), NULL);

  self = g_object_new (SC_TYPE_WINDOW,
                       "application", application,
                       NULL);

  /* The station opens in a worker thread; the page shows it loading. The
   * Units page shares it once it is open (provision_ready_cb). */
  if (sc_application_get_training (application))
    sc_provision_page_open_training_station (self->provision_page);
  else
    {
      /* The station the applied settings describe (sc-settings-page.h). */
      g_autoptr(ScStationConfig) config = sc_station_config_new_from_settings (self->settings);

      sc_station_config_publish (config);
      sc_provision_page_open_default_station (self->provision_page);
    }
  return self;
}

void
sc_window_provision (ScWindow   *self,
                     const char *serial)
{
  g_return_if_fail (SC_IS_WINDOW (self));
  g_return_if_fail (serial != NULL);

  adw_view_stack_set_visible_child_name (self->view_stack, "provision");
  gtk_widget_activate_action (GTK_WIDGET (self->provision_page), "provision.scan", "s", serial);
}

void
sc_window_reprint (ScWindow   *self,
                   const char *serial,
                   const char *kind,
                   const char *reason)
{
  ScLabelKind label_kind;

  g_return_if_fail (SC_IS_WINDOW (self));
  g_return_if_fail (serial != NULL && kind != NULL && reason != NULL);

  if (!sc_label_kind_from_string (kind, &label_kind))
    {
      g_autofree char *text = g_strdup_printf (_("Not reprinted: “%s” is not a label kind; ask for product or "
                                                 "package."), kind);
      reprint_outcome (self, serial, kind, text);
      return;
    }
  if (*serial == '\0')
    {
      reprint_outcome (self, serial, kind, _("Not reprinted: no serial was given."));
      return;
    }
  if (!sc_units_page_get_ready (self->units_page))
    {
      reprint_outcome (self, serial, kind, _("Not reprinted: the station is not open yet; ask again in a moment."));
      return;
    }
  /* Reprints need QA signed in (sc-user-session.h), from the MES as from
   * the screen. */
  {
    g_autofree char *refusal = sc_user_session_get_refusal (self->session, SC_RIGHT_REPRINT);

    if (refusal != NULL)
      {
        g_autofree char *text = g_strdup_printf (_("Not reprinted: %s."), refusal);

        reprint_outcome (self, serial, kind, text);
        return;
      }
  }
  if (self->reprint_serial != NULL)
    {
      /* One at a time: the one under way is not dropped for this one. */
      g_autofree char *text = g_strdup_printf (_("Not reprinted: the reprint of %s asked for before is still being "
                                                 "looked up; ask again in a moment."), self->reprint_serial);
      reprint_outcome (self, serial, kind, text);
      return;
    }

  clear_pending_reprint (self);
  self->reprint_serial = g_strdup (serial);
  self->reprint_kind = g_strdup (kind);
  self->reprint_reason = g_strdup (reason);
  adw_view_stack_set_visible_child_name (self->view_stack, "units");
  gtk_widget_activate_action (GTK_WIDGET (self->units_page), "units.search", "s", serial);
  if (sc_units_page_get_busy (self->units_page))
    self->reprint_handler = g_signal_connect_object (self->units_page, "notify::busy",
                                                     G_CALLBACK (units_busy_cb), self, G_CONNECT_SWAPPED);
  else
    finish_pending_reprint (self);
}

void
sc_window_lock_dak (ScWindow *self)
{
  g_return_if_fail (SC_IS_WINDOW (self));

  gtk_widget_activate_action (GTK_WIDGET (self->provision_page), "provision.lock-dak", NULL);
}
