/* sc-blocking-private.h: work that waits stays off the main loop's thread
 *
 * The store (its disk and fsync), a device, the DAK token, a printer and
 * decoding a label back wait or compute for milliseconds to seconds. A GUI
 * calls them from worker threads: one called on the thread that runs the
 * default main context stalls every window for as long as it takes.
 *
 * Each of them starts with _sc_blocking_check(). With SC_CHECK_MAIN_LOOP=1
 * in the environment (the GUI's tests set it) a call made while its thread
 * owns the default main context, that is from inside the main loop, is a
 * g_critical naming it. Otherwise the check costs one load and a branch.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void _sc_blocking_check (const char *what);

G_END_DECLS
