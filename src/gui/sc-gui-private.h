/* sc-gui-private.h: what the GUI's pages share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "sc-core.h"

G_BEGIN_DECLS

/* The station, shared by a page and every job still working on it in a
 * thread: the last one to let go frees it. */
typedef struct
{
  ScStation *station;
} StationRef;

StationRef *_sc_station_ref_acquire (StationRef *ref);
void        _sc_station_ref_release (gpointer    ref);
/* Opens the embedded defaults' station; returns a StationRef (pointer). */
void        _sc_station_ref_open_thread (GTask        *task,
                                         gpointer      source_object,
                                         gpointer      task_data,
                                         GCancellable *cancellable);

/* Opens the training station: the embedded training profile and its DAK,
 * the simulated unit whatever the profile says, and records and label
 * files of its own in the data dir (training.db, training-labels/), so
 * nothing made in training mixes with a station's real records. Returns a
 * StationRef (pointer). */
void        _sc_station_ref_open_training_thread (GTask        *task,
                                                  gpointer      source_object,
                                                  gpointer      task_data,
                                                  GCancellable *cancellable);
/* Ends an open started with one of the threads above for a page found
 * through @weak (freed here). Returns the page (a new reference), or %NULL
 * when it is gone or the open was cancelled; then *@ref is the station, or
 * %NULL with @error set when it could not be opened. */
gpointer    _sc_station_ref_open_finish (GAsyncResult  *result,
                                         GWeakRef      *weak,
                                         StationRef   **ref,
                                         GError       **error);
/* Wraps @station (transfer full) in a new reference. */
StationRef *_sc_station_ref_new (ScStation *station);

/* Moves the focus off @widget (or anything inside it) before @widget is
 * switched off: to @to, or to nothing when @to is %NULL. GTK 4.8 keeps a
 * text field switched off while focused blinking, and warns at its next
 * blink (GTK issue 5845). */
void        _sc_widget_drop_focus (GtkWidget *widget,
                                   GtkWidget *to);

/* Work in a thread does not keep a page alive: its callback finds the page
 * through a weak reference, or finds it gone. */
GWeakRef   *_sc_weak_ref_new  (gpointer  object);
void        _sc_weak_ref_free (GWeakRef *ref);

G_END_DECLS
