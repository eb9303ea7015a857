/* sc-step-row.h: one step of a unit run, as a row in the step list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "sc-unit-run.h"

G_BEGIN_DECLS

typedef enum
{
  SC_STEP_ROW_PENDING,
  SC_STEP_ROW_RUNNING,
  SC_STEP_ROW_DONE,
  SC_STEP_ROW_FAILED,
  SC_STEP_ROW_SKIPPED,    /* a resumed run found it done before */
} ScStepRowState;

#define SC_TYPE_STEP_ROW_STATE (sc_step_row_state_get_type ())
GType sc_step_row_state_get_type (void) G_GNUC_CONST;

#define SC_TYPE_STEP_ROW (sc_step_row_get_type ())

G_DECLARE_FINAL_TYPE (ScStepRow, sc_step_row, SC, STEP_ROW, GtkListBoxRow)

/* Properties: step (construct-only), state, duration (µs, -1: none), error. */
GtkWidget      *sc_step_row_new          (ScStep          step);
ScStep          sc_step_row_get_step     (ScStepRow      *self);
ScStepRowState  sc_step_row_get_state    (ScStepRow      *self);
gint64          sc_step_row_get_duration (ScStepRow      *self);
const char     *sc_step_row_get_error    (ScStepRow      *self);

void            sc_step_row_reset        (ScStepRow      *self);
void            sc_step_row_set_running  (ScStepRow      *self);
/* @error NULL: done; else failed, with the sentence shown under the title. */
void            sc_step_row_set_finished (ScStepRow      *self,
                                          gint64          duration_us,
                                          const char     *error);
void            sc_step_row_set_skipped  (ScStepRow      *self);

G_END_DECLS
