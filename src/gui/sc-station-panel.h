/* sc-station-panel.h: what the station has, and what it lacks to provision
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "sc-unit-run.h"

G_BEGIN_DECLS

#define SC_TYPE_STATION_PANEL (sc_station_panel_get_type ())

G_DECLARE_FINAL_TYPE (ScStationPanel, sc_station_panel, SC, STATION_PANEL, AdwBin)

/* The DAK (present, which product and DakType, PIN unlocked, tries left),
 * the fixture (the device address; whether it is plugged in), the printer
 * and the database, checked every refresh-interval milliseconds in a
 * worker thread: asking a token or enumerating USB never blocks the main
 * loop.
 *
 * Properties (read-only unless said): checked (a first check has come
 * back), blocker (what to plug in or unlock before a unit can be
 * provisioned, one sentence; NULL when nothing is missing), dak-present,
 * dak-needs-pin, dak-unlocked, dak-pin-retries (-1: unknown),
 * fixture-present, refresh-interval (ms, read-write; 0 stops the timer).
 * Signal: refreshed, each time a check has come back and is shown.
 *
 * Its DAK buttons activate provision.unlock-dak and provision.lock-dak,
 * which the Provision page provides. */
GtkWidget  *sc_station_panel_new                  (void);
/* Takes what it needs from @station (references to its DAK, printer and
 * store, a copy of its device address): the panel does not keep @station. */
void        sc_station_panel_set_station          (ScStationPanel *self,
                                                   ScStation      *station);
/* Checks again now (after an unlock or a lock); a check under way is
 * followed by another. */
void        sc_station_panel_refresh              (ScStationPanel *self);
gboolean    sc_station_panel_get_checked          (ScStationPanel *self);
const char *sc_station_panel_get_blocker          (ScStationPanel *self);
gboolean    sc_station_panel_get_dak_present      (ScStationPanel *self);
gboolean    sc_station_panel_get_dak_needs_pin    (ScStationPanel *self);
gboolean    sc_station_panel_get_dak_unlocked     (ScStationPanel *self);
int         sc_station_panel_get_dak_pin_retries  (ScStationPanel *self);
gboolean    sc_station_panel_get_fixture_present  (ScStationPanel *self);
guint       sc_station_panel_get_refresh_interval (ScStationPanel *self);
void        sc_station_panel_set_refresh_interval (ScStationPanel *self,
                                                   guint           interval_ms);

G_END_DECLS
