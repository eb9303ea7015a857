/* sc-station-secret.h: the station's secret for PINs at rest
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "sc-secret.h"

G_BEGIN_DECLS

#define SC_TYPE_STATION_SECRET (sc_station_secret_get_type ())

G_DECLARE_FINAL_TYPE (ScStationSecret, sc_station_secret, SC, STATION_SECRET, GObject)

/* Loads the 32-byte secret from @path (mode 0600, owned by this user), or
 * creates it there when missing. The database never holds it. */
ScStationSecret *sc_station_secret_load      (const char      *path,
                                              GError         **error);
/* AES-256-GCM under a key derived from the secret; the serial is the
 * associated data, so a sealed PIN cannot be moved to another unit. */
GBytes          *sc_station_secret_seal_pin  (ScStationSecret *self,
                                              const char      *serial,
                                              ScSecret        *pin,
                                              GError         **error);
ScSecret        *sc_station_secret_open_pin  (ScStationSecret *self,
                                              const char      *serial,
                                              GBytes          *sealed,
                                              GError         **error);
/* HMAC-SHA256 of product and PIN, hex: the uniqueness check without the PIN. */
char            *sc_station_secret_pin_mac   (ScStationSecret *self,
                                              const char      *product,
                                              ScSecret        *pin);
/* HMAC-SHA256 of a badge code, hex, under a key of its own derived from the
 * secret: a user is found by badge without the code being stored. */
char            *sc_station_secret_badge_mac (ScStationSecret *self,
                                              ScSecret        *badge);

G_END_DECLS
