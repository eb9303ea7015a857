/* sc-provision-page.h: the operator's view: scan, watch the steps, see PASS or FAIL
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "sc-unit-run.h"

G_BEGIN_DECLS

#define SC_TYPE_PROVISION_PAGE (sc_provision_page_get_type ())

G_DECLARE_FINAL_TYPE (ScProvisionPage, sc_provision_page, SC, PROVISION_PAGE, AdwBin)

/* Properties (read-only): ready (the station is open), training (its DAK is
 * a training DAK), busy (a unit is being provisioned), n-passed, n-failed,
 * summary (one line: "Ready", "PASS <serial>", "FAIL <serial>"…; NULL until
 * the station is open).
 * Action: provision.scan(s), what the scan field does on Enter. */
GtkWidget *sc_provision_page_new                  (void);
/* Opens the station from the embedded defaults in a worker thread: the
 * training profile and its DAK, the default store and printer, the station
 * secret in the data dir, the profile's device. */
void       sc_provision_page_open_default_station (ScProvisionPage *self);
gboolean   sc_provision_page_get_ready            (ScProvisionPage *self);
gboolean   sc_provision_page_get_training         (ScProvisionPage *self);
gboolean   sc_provision_page_get_busy             (ScProvisionPage *self);
guint      sc_provision_page_get_n_passed         (ScProvisionPage *self);
guint      sc_provision_page_get_n_failed         (ScProvisionPage *self);
const char *sc_provision_page_get_summary         (ScProvisionPage *self);
/* The open station (NULL until ready), for the other pages to share: one
 * store per process. */
ScStation  *sc_provision_page_get_station         (ScProvisionPage *self);

G_END_DECLS
