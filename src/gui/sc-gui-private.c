/* sc-gui-private.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "sc-defaults.h"
#include "sc-gui-private.h"
#include "sc-settings-page.h"

static void
station_ref_clear (gpointer data)
{
  StationRef *ref = data;

  g_clear_pointer (&ref->station, sc_station_free);
}

StationRef *
_sc_station_ref_acquire (StationRef *ref)
{
  return g_atomic_rc_box_acquire (ref);
}

void
_sc_station_ref_release (gpointer ref)
{
  g_atomic_rc_box_release_full (ref, station_ref_clear);
}

void
_sc_station_ref_open_thread (GTask        *task,
                             gpointer      source_object,
                             gpointer      task_data,
                             GCancellable *cancellable)
{
  GError *error = NULL;
  /* The settings' station, as the window published them; none: the
   * embedded defaults. */
  g_autoptr(ScStationConfig) config = sc_station_config_dup_published ();
  ScStation *station = sc_station_config_open (config, &error);
  StationRef *ref;

  if (station == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  ref = _sc_station_ref_new (station);
  g_task_return_pointer (task, ref, _sc_station_ref_release);
}

StationRef *
_sc_station_ref_new (ScStation *station)
{
  StationRef *ref = g_atomic_rc_box_new0 (StationRef);

  ref->station = station;
  return ref;
}

static ScStation *
open_training_station (GError **error)
{
  g_autoptr(ScProfile) profile = NULL;
  g_autoptr(ScDak) dak = NULL;
  g_autoptr(ScStore) store = NULL;
  g_autoptr(ScStationSecret) secret = NULL;
  g_autoptr(ScPrinter) printer = NULL;
  g_autofree char *data_dir = sc_defaults_get_data_dir ();
  g_autofree char *key_path = g_build_filename (data_dir, "station.key", NULL);
  g_autofree char *db_path = g_build_filename (data_dir, "training.db", NULL);
  g_autofree char *labels = g_build_filename (data_dir, "training-labels", NULL);
  g_autofree char *db_escaped = g_uri_escape_string (db_path, "/", FALSE);
  g_autofree char *labels_escaped = g_uri_escape_string (labels, "/", FALSE);
  g_autofree char *store_uri = g_strconcat ("sqlite://", db_escaped, NULL);
  g_autofree char *printer_uri = g_strconcat ("file://", labels_escaped, NULL);

  if (!(profile = sc_defaults_load_training_profile (error)) ||
      !(dak = sc_dak_new_for_profile (profile, error)) ||
      !(store = sc_store_open (store_uri, error)) ||
      !(secret = sc_station_secret_load (key_path, error)) ||
      !(printer = sc_printer_open_for_profile (profile, printer_uri, error)))
    return NULL;
  return sc_station_new (profile, dak, store, secret, printer, "sim:", NULL);
}

void
_sc_station_ref_open_training_thread (GTask        *task,
                                      gpointer      source_object,
                                      gpointer      task_data,
                                      GCancellable *cancellable)
{
  GError *error = NULL;
  ScStation *station = open_training_station (&error);

  if (station == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, _sc_station_ref_new (station), _sc_station_ref_release);
}

GWeakRef *
_sc_weak_ref_new (gpointer object)
{
  GWeakRef *ref = g_new0 (GWeakRef, 1);

  g_weak_ref_init (ref, object);
  return ref;
}

void
_sc_weak_ref_free (GWeakRef *ref)
{
  g_weak_ref_clear (ref);
  g_free (ref);
}

gpointer
_sc_station_ref_open_finish (GAsyncResult  *result,
                             GWeakRef      *weak,
                             StationRef   **ref,
                             GError       **error)
{
  gpointer page = g_weak_ref_get (weak);
  g_autoptr(GError) local_error = NULL;
  StationRef *opened;

  _sc_weak_ref_free (weak);
  opened = g_task_propagate_pointer (G_TASK (result), &local_error);
  if (page == NULL || g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_clear_pointer (&opened, _sc_station_ref_release);
      g_clear_object (&page);
      *ref = NULL;
      return NULL;
    }
  *ref = opened;
  if (opened == NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return page;
}

void
_sc_widget_drop_focus (GtkWidget *widget,
                       GtkWidget *to)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  if (focus == NULL || (focus != widget && !gtk_widget_is_ancestor (focus, widget)))
    return;
  if (to != NULL)
    gtk_widget_grab_focus (to);
  else
    gtk_root_set_focus (root, NULL);
}
