/* sc-defaults.h: the embedded defaults, so a first run needs no setup
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sc-profile.h"

G_BEGIN_DECLS

/* $XDG_DATA_HOME/setup-console */
char      *sc_defaults_get_data_dir          (void);

/* The training profile in the data dir, made on first use
 * (sc_training_create()). Safe when several processes start at once. */
ScProfile *sc_defaults_load_training_profile (GError **error);

G_END_DECLS
