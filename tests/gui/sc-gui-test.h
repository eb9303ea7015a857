/* sc-gui-test.h: shared by the widget tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "sc-core.h"
#include "sc-test-pin-signer.h"

G_BEGIN_DECLS

/* gtk_test_init() and adw_init() with $XDG_DATA_HOME set to a new temporary
 * folder first, so the embedded training defaults are made fresh there.
 * Returns that folder; sc_gui_test_cleanup() removes it. */
char     *sc_gui_test_init    (int        *argc,
                               char     ***argv);
void      sc_gui_test_cleanup (char       *data_home);

typedef gboolean (*ScGuiTestCondition) (gpointer data);

/* Iterates the main loop until @condition holds; FALSE after @timeout_s. */
gboolean  sc_gui_test_wait    (ScGuiTestCondition  condition,
                               gpointer            data,
                               guint               timeout_s);

/* A window of @width x @height holding @child, presented. */
GtkWindow *sc_gui_test_window (GtkWidget *child,
                               int        width,
                               int        height);

/* A DAK behind a PIN (sc-test-pin-signer.h) over the embedded training
 * DAK, with @pin and @retries tries. */
ScSigner  *sc_gui_test_pin_signer (const char *pin,
                                   int         retries);
/* The embedded defaults' station, with @signer's DAK (NULL: the training
 * software DAK) and @device_uri (NULL: the profile's). */
ScStation *sc_gui_test_station    (ScSigner   *signer,
                                   const char *device_uri);

G_END_DECLS
