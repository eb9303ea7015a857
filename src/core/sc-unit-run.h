/* sc-unit-run.h: one unit, from scan to verified label, as one journaled run
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "sc-dak.h"
#include "sc-printer.h"
#include "sc-profile.h"
#include "sc-station-secret.h"
#include "sc-store.h"

G_BEGIN_DECLS

#define SC_RUN_ERROR (sc_run_error_quark ())

typedef enum
{
  SC_RUN_ERROR_WRONG_UNIT,   /* the fixture holds another unit than the one scanned */
  SC_RUN_ERROR_STATE,        /* the records and the unit disagree in a way a run cannot mend */
} ScRunError;

GQuark sc_run_error_quark (void);

typedef enum
{
  SC_STEP_SCAN,
  SC_STEP_CONNECT,
  SC_STEP_KEY,
  SC_STEP_POLICY,
  SC_STEP_SIGN,
  SC_STEP_CHAIN,
  SC_STEP_WRITE,
  SC_STEP_READ_BACK,
  SC_STEP_CHALLENGE,
  SC_STEP_LABEL,
  SC_STEP_PRINT,
  SC_STEP_RECORD,
  SC_N_STEPS
} ScStep;

/* "scan", "connect", "key", "policy", "sign", "chain", "write", "read-back",
 * "challenge", "label", "print", "record" */
const char *sc_step_get_name  (ScStep step);
/* The operator's words for it, translated. */
const char *sc_step_get_title (ScStep step);
gboolean    sc_step_from_name (const char *name,
                               ScStep     *step);

/* What a station has: the product, its DAK, the records, the PIN secret, the
 * printer, the device address, and who works at it. */
typedef struct
{
  ScProfile       *profile;
  ScDak           *dak;
  ScStore         *store;
  ScStationSecret *secret;
  ScPrinter       *printer;
  char            *device_uri;       /* NULL: the profile's */
  char            *station_name;
  char            *operator_name;
} ScStation;

ScStation *sc_station_new  (ScProfile        *profile,
                            ScDak            *dak,
                            ScStore          *store,
                            ScStationSecret  *secret,
                            ScPrinter        *printer,
                            const char       *device_uri,
                            const char       *operator_name);
void       sc_station_free (ScStation        *station);
/* The station of the embedded defaults: the training profile (made on first
 * use) and its DAK, the default store, the station secret in the data dir,
 * the default printer. Blocks: call it from a worker thread in a GUI. */
ScStation *sc_station_new_default (GError   **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ScStation, sc_station_free)

#define SC_TYPE_UNIT_RUN (sc_unit_run_get_type ())

G_DECLARE_FINAL_TYPE (ScUnitRun, sc_unit_run, SC, UNIT_RUN, GObject)

/* Signals (emitted on the main context the run was created on):
 *   step-started (ScStep step)
 *   step-finished (ScStep step, gboolean ok, gint64 duration_us, const char *error)
 *   step-skipped (ScStep step)     a resumed run found the step done already
 * Properties: serial, current-step, finished, passed. */
ScUnitRun   *sc_unit_run_new            (ScStation           *station,
                                         const char          *serial);
/* Re-provisioning a serial that completed: needs a reason, recorded. */
void         sc_unit_run_set_override   (ScUnitRun           *self,
                                         const char          *reason);
/* Print pending: a unit whose labels were made and verified but not all
 * printed continues from its records, without the unit on the fixture
 * (connect, key … challenge are skipped). Any other unit is refused. */
void         sc_unit_run_set_print_only (ScUnitRun           *self,
                                         gboolean             print_only);
/* A label that may or may not have printed (its job broke off, or the
 * station stopped while sending it) stops the run, unless a person gives
 * the reason to print it again, recorded as a reprint. */
void         sc_unit_run_set_reprint_reason (ScUnitRun       *self,
                                         const char          *reason);
const char  *sc_unit_run_get_serial     (ScUnitRun           *self);
gboolean     sc_unit_run_get_resumed    (ScUnitRun           *self);
gint64       sc_unit_run_get_step_time  (ScUnitRun           *self,
                                         ScStep               step);
/* The product and package payloads, once the label step has run. */
const char  *sc_unit_run_get_payload    (ScUnitRun           *self,
                                         ScLabelKind          kind);

/* Step by step (training): with @pause set, a run working in another
 * thread than its main context holds after each step that succeeded (its
 * step-finished signal already queued) until sc_unit_run_continue() is
 * called, or until its cancellable is cancelled, which stops the run.
 * No pause after the last step. Unset while paused, the run still waits
 * for one continue. Never set it on a run working on its own main context:
 * nothing could continue it. */
void         sc_unit_run_set_pause      (ScUnitRun           *self,
                                         gboolean             pause);
/* Releases a run held after a step; a continue given before the run has
 * reached its hold is kept for that hold. */
void         sc_unit_run_continue       (ScUnitRun           *self);

gboolean     sc_unit_run_run            (ScUnitRun           *self,
                                         GCancellable        *cancellable,
                                         GError             **error);
/* Runs in a worker thread; the signals come on the run's main context.
 * The result is the run's own even when @cancellable was cancelled (a
 * cancelled run reports where it stopped). */
void         sc_unit_run_run_async      (ScUnitRun           *self,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
gboolean     sc_unit_run_run_finish     (ScUnitRun           *self,
                                         GAsyncResult        *result,
                                         GError             **error);

G_END_DECLS
