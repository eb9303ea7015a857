/* sc-application.h
 *
 * Copyright 2026 Setup Console developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SC_TYPE_APPLICATION (sc_application_get_type ())

G_DECLARE_FINAL_TYPE (ScApplication, sc_application, SC, APPLICATION, AdwApplication)

/* Actions, exported on D-Bus (org.gtk.Actions at the application's object
 * path) so a line's MES can drive the station:
 *   app.provision(s)     scans a serial, as the scanner would
 *   app.reprint((ss))    (serial, kind "product"|"package"): reprints that
 *                        label from the records, reason "MES request"
 *   app.lock-dak         wipes the DAK PIN held
 *   app.last-result      (state s, not activatable) the last result:
 *                        "Ready", "Blocked", "PASS <serial>", "FAIL <serial>"
 *   app.last-reprint     (state s, not activatable) what became of the last
 *                        app.reprint: "SENT <serial> <kind>" once the reprint
 *                        is under way, "REFUSED <serial> <kind>: <why>"
 * Option: --training starts in training mode. */
ScApplication *sc_application_new             (void);
gboolean       sc_application_get_training    (ScApplication *self);
void           sc_application_set_last_result (ScApplication *self,
                                               const char    *result);
void           sc_application_set_last_reprint (ScApplication *self,
                                                const char    *result);

G_END_DECLS
