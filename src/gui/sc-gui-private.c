/* sc-gui-private.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "sc-gui-private.h"

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
  ScStation *station = sc_station_new_default (&error);
  StationRef *ref;

  if (station == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  ref = g_atomic_rc_box_new0 (StationRef);
  ref->station = station;
  g_task_return_pointer (task, ref, _sc_station_ref_release);
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
