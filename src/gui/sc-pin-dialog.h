/* sc-pin-dialog.h: the DAK PIN, asked for at the start of a shift
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "sc-signer.h"

G_BEGIN_DECLS

#define SC_TYPE_PIN_DIALOG (sc_pin_dialog_get_type ())

G_DECLARE_FINAL_TYPE (ScPinDialog, sc_pin_dialog, SC, PIN_DIALOG, AdwWindow)

/* The PIN typed is copied into an ScSecret and the entry cleared at once;
 * sc_signer_unlock() checks it on the token in a worker thread, exactly
 * once. A refusal shows the signer's sentence (it says how many tries are
 * left); when the signer will not spend a try (one left, or none), the
 * dialog says so and offers no retry. The PIN is never stored.
 *
 * Properties: signer (construct-only), pin-retries (construct-only, -1:
 * unknown; shown), busy, can-retry, error (the last refusal, or NULL).
 * Signal: unlocked, when the signer took the PIN; the dialog closes.
 * Action: pin.unlock (what Enter in the entry does). */
GtkWidget  *sc_pin_dialog_new           (ScSigner    *signer,
                                         int          pin_retries);
gboolean    sc_pin_dialog_get_busy      (ScPinDialog *self);
gboolean    sc_pin_dialog_get_can_retry (ScPinDialog *self);
const char *sc_pin_dialog_get_error     (ScPinDialog *self);

G_END_DECLS
