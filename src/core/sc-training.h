/* sc-training.h: a training DAK hierarchy, shaped like Amazon's
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SC_TRAINING_DEVICE_TYPE_ID "TRAININGDEVICE"
#define SC_TRAINING_PID            "Trn1"
#define SC_TRAINING_UPC            "036000291452"

/* Creates in @dir: dak.key (0600), dak-chain.pem (DAK, product CA, vendor
 * CA, root), root.pem and product.profile. Refuses if any of them exists;
 * writes all four or none. The CA keys are discarded, so no further DAK can
 * be made under this root. */
gboolean sc_training_create (const char  *dir,
                             GError     **error);

G_END_DECLS
