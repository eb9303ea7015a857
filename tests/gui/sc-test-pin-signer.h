/* sc-test-pin-signer.h: a DAK behind a PIN, for the widget tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sc-core.h"

G_BEGIN_DECLS

#define SC_TYPE_TEST_PIN_SIGNER (sc_test_pin_signer_get_type ())

G_DECLARE_FINAL_TYPE (ScTestPinSigner, sc_test_pin_signer, SC, TEST_PIN_SIGNER, GObject)

/* A fake, and the only one here: the YubiKey signer needs a token (or the
 * vpcd virtual card and pcscd, which its own suite starts). This one keeps
 * that signer's rules, by the interface in sc-signer.h: a PIN checked once
 * per sc_signer_unlock(), a wrong one costs a try, with one try left it is
 * not sent (SC_DAK_ERROR_PIN_LAST_RETRY), with none the PIN is blocked; a
 * removed token is absent; signing without a PIN held is refused. Chain
 * and signatures come from @inner (a software DAK). */
ScSigner *sc_test_pin_signer_new         (ScSigner        *inner,
                                          const char      *pin,
                                          int              retries);
void      sc_test_pin_signer_set_present (ScTestPinSigner *self,
                                          gboolean         present);
void      sc_test_pin_signer_set_retries (ScTestPinSigner *self,
                                          int              retries);
/* PINs the token was sent (tries spent or not). */
guint     sc_test_pin_signer_get_attempts (ScTestPinSigner *self);

G_END_DECLS
