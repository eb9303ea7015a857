/* sc-sign-in-dialog.h: who is working: a badge scanned, or a name and a passcode
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "sc-users.h"

G_BEGIN_DECLS

#define SC_TYPE_SIGN_IN_DIALOG (sc_sign_in_dialog_get_type ())

G_DECLARE_FINAL_TYPE (ScSignInDialog, sc_sign_in_dialog, SC, SIGN_IN_DIALOG, AdwWindow)

/* Lists the station's enabled users; a person scans a badge (a scanner
 * types its code and Enter into the badge field, which has the focus), or
 * chooses a name and types the passcode. What was typed or scanned leaves
 * its entry at once for wiped memory and is checked by ScUsers in a worker
 * thread; a refusal shows the core's sentence (a wrong passcode says when
 * to try again).
 *
 * Properties: users (construct-only), loaded (the names are listed), busy,
 * name (the name chosen, or NULL), error (the last refusal, or NULL).
 * Signal: signed-in (gpointer user, a const ScUserRecord *, valid during
 * the emission); the dialog closes after it.
 * Actions: sign-in.choose(s) chooses a name; sign-in.passcode signs in with
 * the name and the passcode typed (what Enter does there); sign-in.badge
 * with the badge code scanned (what Enter does there). */
GtkWidget  *sc_sign_in_dialog_new        (ScUsers        *users);
gboolean    sc_sign_in_dialog_get_loaded (ScSignInDialog *self);
gboolean    sc_sign_in_dialog_get_busy   (ScSignInDialog *self);
const char *sc_sign_in_dialog_get_name   (ScSignInDialog *self);
const char *sc_sign_in_dialog_get_error  (ScSignInDialog *self);

G_END_DECLS
