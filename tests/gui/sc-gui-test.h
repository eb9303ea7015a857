/* sc-gui-test.h: shared by the widget tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

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

G_END_DECLS
