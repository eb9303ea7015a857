/* sc-training-private.h: knobs for tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sc-training.h"

G_BEGIN_DECLS

typedef struct
{
  const char *device_type_id;     /* NULL: SC_TRAINING_DEVICE_TYPE_ID */
  const char *key_origin;         /* NULL: "device" */
  gint64      dak_not_before;     /* seconds from now */
  gint64      dak_not_after;      /* seconds from now; 0: 20 years */
} ScTrainingOptions;

gboolean _sc_training_create_full (const char               *dir,
                                   const ScTrainingOptions  *options,
                                   GError                  **error);

G_END_DECLS
