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

/* Properties (read-only unless said):
 *   ready           the station is open and its status checked once
 *   blocked         something is missing (the station panel says what):
 *                   the scan field is off until it is there
 *   training        the station's DAK is a training DAK
 *   training-mode   opened with sc_provision_page_open_training_station():
 *                   step by step and the fault menu work
 *   busy            a unit is being provisioned
 *   paused          a step-by-step run waits after a step
 *   n-passed, n-failed
 *   summary         one line: "Ready", "Blocked", "PASS <serial>",
 *                   "FAIL <serial>"…; NULL until the station is open
 *   step-by-step    (read-write) training mode: runs pause after each step
 *   fault           (read-write) training mode: the fault the next unit
 *                   gets ("" none; see sc_provision_page_list_faults())
 *   sound-cues      (read-write) a sound on PASS and on FAIL
 *   dak-idle-lock-seconds (read-write) the DAK locks after this long
 *                   without a scan (0: never)
 * Signal: cue (gboolean passed), each time a PASS or FAIL sound is made.
 * Actions:
 *   provision.scan(s)       what the scan field does on Enter
 *   provision.continue      a paused run goes on with its next step
 *   provision.finish        a paused run goes on to its end without pausing
 *   provision.unlock-dak    asks for the DAK PIN
 *   provision.lock-dak      wipes the DAK PIN held
 *   provision.new-shift     the shift's counters start again
 * Print pending (a unit whose run stopped at the printer shows WAITS TO
 * PRINT with the printer's reason; its labels are printed from the
 * records, without the unit on the fixture, and it passes once both are):
 *   provision.retry         prints the missing labels of the unit shown
 *                           waiting (asks for a reason when a label may
 *                           already exist)
 *   provision.retry-print(s)            the same for a serial
 *   provision.retry-print-reason((ss))  serial, reason: a label that may
 *                           exist printed again as a reprint with the reason
 *   provision.retry-all     every waiting unit that needs no reason, in turn
 *   provision.switch-printer  asks for another printer for the unit shown
 *   provision.print-on((ss))  serial, printer URI: its missing labels there
 *                           (this unit only; checked first)
 *   provision.step-by-step  (stateful) the step-by-step property
 *   provision.fault(s)      (stateful) the fault property */
GtkWidget   *sc_provision_page_new                   (void);
/* Opens the station from the embedded defaults in a worker thread: the
 * training profile and its DAK, the default store and printer, the station
 * secret in the data dir, the profile's device. */
void         sc_provision_page_open_default_station  (ScProvisionPage *self);
/* Opens the training station in a worker thread (training mode): the
 * training DAK, the simulated unit, and records of its own in the data
 * dir (training.db). */
void         sc_provision_page_open_training_station (ScProvisionPage *self);
/* Uses @station (transfer full), opened elsewhere. */
void         sc_provision_page_set_station           (ScProvisionPage *self,
                                                      ScStation       *station);
gboolean     sc_provision_page_get_ready             (ScProvisionPage *self);
gboolean     sc_provision_page_get_blocked           (ScProvisionPage *self);
gboolean     sc_provision_page_get_training          (ScProvisionPage *self);
gboolean     sc_provision_page_get_training_mode     (ScProvisionPage *self);
gboolean     sc_provision_page_get_busy              (ScProvisionPage *self);
gboolean     sc_provision_page_get_paused            (ScProvisionPage *self);
guint        sc_provision_page_get_n_passed          (ScProvisionPage *self);
guint        sc_provision_page_get_n_failed          (ScProvisionPage *self);
/* Carries on the shift of @from in this page (one that has not counted a
 * unit yet): its counters, units per hour and the last unit's time, so
 * a window opened again with new settings keeps the shift's figures. */
void         sc_provision_page_continue_shift        (ScProvisionPage *self,
                                                      ScProvisionPage *from);
const char  *sc_provision_page_get_summary           (ScProvisionPage *self);
gboolean     sc_provision_page_get_step_by_step      (ScProvisionPage *self);
void         sc_provision_page_set_step_by_step      (ScProvisionPage *self,
                                                      gboolean         step_by_step);
const char  *sc_provision_page_get_fault             (ScProvisionPage *self);
/* Sets the fault the next unit gets, one of the ids of
 * sc_provision_page_list_faults(). Only in training mode, on a simulated
 * unit; FALSE (and the page says why) otherwise. */
gboolean     sc_provision_page_set_fault             (ScProvisionPage *self,
                                                      const char      *fault);
/* The faults a trainer can inject: ids ("" first: none) and, in @titles
 * when not NULL, their names (untranslated msgids: pass them through
 * gettext). Static, NULL-terminated. */
const char * const *sc_provision_page_list_faults    (const char * const **titles);
/* The open station (NULL until open), for the other pages to share: one
 * store per process. */
ScStation   *sc_provision_page_get_station           (ScProvisionPage *self);
/* A sentence saying who must sign in before a unit can be provisioned
 * (sc-user-session.h), or NULL: the scan field is blocked with it, after
 * anything the station panel says is missing. */
void         sc_provision_page_set_sign_in_blocker   (ScProvisionPage *self,
                                                      const char      *blocker);
/* Why whoever is signed in may not reprint (sc-user-session.h; QA may),
 * or NULL: a label that may or may not have printed is printed again only
 * as a reprint, which is then refused with this sentence. */
void         sc_provision_page_set_reprint_refusal   (ScProvisionPage *self,
                                                      const char      *refusal);

G_END_DECLS
