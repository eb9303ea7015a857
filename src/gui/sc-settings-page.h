/* sc-settings-page.h: the admin's view: the product profile, DAK, device link, printer and database
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "sc-unit-run.h"

G_BEGIN_DECLS

/* What the station is made of, as the settings say (GSettings keys
 * profile-path, dak-uri, device-uri, printer-uri, store-uri). NULL fields
 * fall back: the embedded training profile; the profile's DAK, device and
 * printer; station.db in the data dir. */
typedef struct
{
  char *profile_path;
  char *dak_uri;
  char *device_uri;
  char *printer_uri;
  char *store_uri;
} ScStationConfig;

ScStationConfig *sc_station_config_new_from_settings (GSettings             *settings);
ScStationConfig *sc_station_config_copy              (const ScStationConfig *config);
void             sc_station_config_free              (ScStationConfig       *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ScStationConfig, sc_station_config_free)

/* Opens the station @config describes (NULL: the embedded defaults, as
 * sc_station_new_default()). Blocks: call it from a worker thread. */
ScStation       *sc_station_config_open              (const ScStationConfig *config,
                                                      GError               **error);

/* One station per process: the configuration it opens with, published on
 * the main thread from the applied settings (the window does, and the
 * Settings page's Apply), read by the thread that opens the station. NULL
 * (nothing published): the embedded defaults. */
void             sc_station_config_publish           (const ScStationConfig *config);
ScStationConfig *sc_station_config_dup_published     (void);

#define SC_TYPE_SETTINGS_PAGE (sc_settings_page_get_type ())

G_DECLARE_FINAL_TYPE (ScSettingsPage, sc_settings_page, SC, SETTINGS_PAGE, AdwBin)

/* The admin's page. The product profile is a file (docs/profile.md): each
 * field is saved to it when applied (Enter or its apply button), validated
 * whole first, and a refusal is shown under the field with the validator's
 * sentence, the file untouched. The URIs that override the profile on this
 * station, and which profile and database it uses, are GSettings, kept
 * until Apply. Apply opens the station with them in a worker thread and,
 * if it opens, saves them and emits "applied": the window then rebuilds its
 * station. Never while a unit runs (station-busy). Each section's test
 * runs in a worker thread and never asks for the DAK PIN.
 *
 * Properties: profile-path (the profile file edited, NULL for the embedded
 * training profile, which is shown but not edited), busy (a profile change
 * or a test is under way), station-busy (read-write: a unit is being
 * provisioned, so Apply waits), training-mode (read-write: the window runs
 * the training station; settings are not changed there, where nobody signs
 * in), refusal (read-write: why whoever is here may not change settings,
 * NULL when they may: see sc_settings_page_set_refusal()), needs-apply
 * (settings or the profile changed since the station was opened), status
 * (the last word on Apply or a profile change), dak-result, device-result,
 * printer-result, store-result (what the last test found), and dak-ok,
 * device-ok, printer-ok, store-ok (whether it passed).
 * Signal: applied, after Apply saved the settings.
 * Actions:
 *   settings.choose-profile      asks for a profile file
 *   settings.open-profile(s)     edits the profile file at that path
 *   settings.use-training-profile   the embedded training profile
 *   settings.set-field((sss))    (group, key, text): what a field's apply
 *                                does: "" removes the key (its default)
 *   settings.import-icon         asks for the FFS icon file
 *   settings.import-icon-file(s) copies that file in as the FFS icon
 *   settings.set-uri((ss))       (which: dak, device, printer, store; URI):
 *                                this station's override, "" for none
 *   settings.test-dak  settings.ping-device  settings.print-test-label
 *   settings.test-store
 *   settings.apply  settings.revert */
GtkWidget   *sc_settings_page_new                (void);
const char  *sc_settings_page_get_profile_path   (ScSettingsPage *self);
gboolean     sc_settings_page_get_busy           (ScSettingsPage *self);
gboolean     sc_settings_page_get_needs_apply    (ScSettingsPage *self);
const char  *sc_settings_page_get_status         (ScSettingsPage *self);
/* Gates the page: with a refusal (the user session's sentence for
 * SC_RIGHT_SETTINGS), it shows only that and a way to sign in, and every
 * action is refused with it. */
void         sc_settings_page_set_refusal        (ScSettingsPage *self,
                                                  const char     *refusal);
const char  *sc_settings_page_get_refusal        (ScSettingsPage *self);
/* The sentence shown under a profile field, or NULL. */
const char  *sc_settings_page_get_field_error    (ScSettingsPage *self,
                                                  const char     *group,
                                                  const char     *key);
/* The text a profile field shows. */
const char  *sc_settings_page_get_field_text     (ScSettingsPage *self,
                                                  const char     *group,
                                                  const char     *key);

G_END_DECLS
