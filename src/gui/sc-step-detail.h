/* sc-step-detail.h: what one step of a unit run just did, with the real data
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "sc-unit-run.h"

G_BEGIN_DECLS

/* One field: its name and its value, for the step-by-step view of
 * training mode. Never a secret: the PIN shows as its length. */
typedef struct
{
  char *name;
  char *value;
} ScStepDetailRow;

typedef struct
{
  ScStep     step;
  char      *summary;   /* one sentence: what the step did */
  GPtrArray *rows;      /* ScStepDetailRow */
} ScStepDetail;

void          sc_step_detail_free (ScStepDetail *detail);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ScStepDetail, sc_step_detail_free)

/* Reads what @step left in the records of @serial at @station (its CSR
 * subject and key, the certificate and chain decoded, what was written and
 * read back, the payload broken into its keys, the prints). Blocks on the
 * store: call it from a worker thread. @device_uri is the address the run
 * used; @product_payload the run's product payload once the label step has
 * run, else NULL. */
ScStepDetail *sc_step_detail_build (ScStation   *station,
                                    const char  *serial,
                                    ScStep       step,
                                    const char  *device_uri,
                                    const char  *product_payload,
                                    const char  *package_payload,
                                    GError     **error);
/* The value of the first row named @name, or NULL. */
const char   *sc_step_detail_lookup (ScStepDetail *detail,
                                     const char   *name);

G_END_DECLS
