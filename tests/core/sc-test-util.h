/* sc-test-util.h: shared by the core tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sc-core.h"
#include "sc-training-private.h"

G_BEGIN_DECLS

/* A fresh temporary folder, removed with its contents by sc_test_rmdir(). */
char      *sc_test_tmpdir        (void);
void       sc_test_rmdir         (const char *dir);

/* A training hierarchy in a new temporary folder; returns the folder. */
char      *sc_test_training      (const ScTrainingOptions *options);
ScProfile *sc_test_load_profile  (const char *dir);

/* Replaces the text of profile key @key in @dir's product.profile
 * (appending it to @group when absent). */
void       sc_test_set_profile_key (const char *dir,
                                    const char *group,
                                    const char *key,
                                    const char *value);

G_END_DECLS
