/* sc-window.c
 *
 * Copyright 2026 Setup Console developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "sc-provision-page.h"
#include "sc-units-page.h"
#include "sc-window.h"

struct _ScWindow
{
  AdwApplicationWindow  parent_instance;

  /* template children */
  AdwViewStack         *view_stack;
  GtkRevealer          *training_banner;
  ScProvisionPage      *provision_page;
  ScUnitsPage          *units_page;

  GSettings            *settings;
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
sc_window_dispose (GObject *object)
{
  ScWindow *self = SC_WINDOW (object);

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

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/setupconsole/SetupConsole/sc-window.ui");
  gtk_widget_class_bind_template_child (widget_class, ScWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, ScWindow, training_banner);
  gtk_widget_class_bind_template_child (widget_class, ScWindow, provision_page);
  gtk_widget_class_bind_template_child (widget_class, ScWindow, units_page);

  gtk_widget_class_bind_template_callback (widget_class, summary_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, provision_ready_cb);
}

static void
sc_window_init (ScWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);

  restore_window_state (self);

  /* The station opens in a worker thread; the page shows it loading. The
   * Units page shares it once it is open (provision_ready_cb). */
  sc_provision_page_open_default_station (self->provision_page);
}

ScWindow *
sc_window_new (ScApplication *application)
{
  g_return_val_if_fail (SC_IS_APPLICATION (application), NULL);

  return g_object_new (SC_TYPE_WINDOW,
                       "application", application,
                       NULL);
}
