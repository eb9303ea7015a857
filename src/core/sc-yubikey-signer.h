/* sc-yubikey-signer.h: the DAK on a YubiKey (PIV), through Yubico's libykpiv
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sc-signer.h"

G_BEGIN_DECLS

#define SC_TYPE_YUBIKEY_SIGNER (sc_yubikey_signer_get_type ())

G_DECLARE_FINAL_TYPE (ScYubikeySigner, sc_yubikey_signer, SC, YUBIKEY_SIGNER, GObject)

/* The PIV slot Amazon puts the DAK in. */
#define SC_YUBIKEY_DEFAULT_SLOT 0x9c

/* Parses yubikey://SERIAL[?slot=XX]; @slot gets 0x9c when the URI has none. */
gboolean  sc_yubikey_uri_parse    (const char   *uri,
                                   guint32      *serial,
                                   guint8       *slot,
                                   GError      **error);

/* Opens the YubiKey with serial number @serial wherever it is plugged in.
 * A token that is not there is not an error: the signer reports it absent
 * and looks again before each signature. A token that is there but does not
 * hold the DAK of @chain_path's first certificate (another product's DAK, or
 * no certificate in @slot) is refused. No PIN is sent until
 * sc_signer_unlock(). */
ScSigner *sc_yubikey_signer_new   (guint32       serial,
                                   guint8        slot,
                                   const char   *chain_path,
                                   GError      **error);

G_END_DECLS
