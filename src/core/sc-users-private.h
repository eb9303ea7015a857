/* sc-users-private.h: for the tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sc-users.h"

G_BEGIN_DECLS

/* The clock sign-in waits are measured with (µs since the epoch);
 * NULL: the real one. */
typedef gint64 (*ScUsersClock) (gpointer data);

void _sc_users_set_clock              (ScUsers              *self,
                                       ScUsersClock          clock,
                                       gpointer              data);
/* Changes the parameters new hashes get (NULL: back to the built-in
 * default), so a test can show a hash being raised at sign-in. */
void _sc_scrypt_params_set_default    (const ScScryptParams *params);

G_END_DECLS
