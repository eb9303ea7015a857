/* sc-window.h
 *
 * Copyright 2026 Setup Console developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "sc-application.h"

G_BEGIN_DECLS

#define SC_TYPE_WINDOW (sc_window_get_type ())

G_DECLARE_FINAL_TYPE (ScWindow, sc_window, SC, WINDOW, AdwApplicationWindow)

/* Opens the training station when @application is in training mode, else
 * the embedded defaults' station. */
ScWindow *sc_window_new       (ScApplication *application);
/* Shows the Provision view and scans @serial there. */
void      sc_window_provision (ScWindow      *self,
                               const char    *serial);
/* Shows the Units view, finds @serial and reprints its @kind label
 * ("product" or "package") with @reason. */
void      sc_window_reprint   (ScWindow      *self,
                               const char    *serial,
                               const char    *kind,
                               const char    *reason);
void      sc_window_lock_dak  (ScWindow      *self);

G_END_DECLS
