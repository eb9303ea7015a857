/* sc-blocking.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "sc-blocking-private.h"

static gboolean
check_enabled (void)
{
  static gsize once = 0;
  static gboolean enabled = FALSE;

  if (g_once_init_enter (&once))
    {
      enabled = g_strcmp0 (g_getenv ("SC_CHECK_MAIN_LOOP"), "1") == 0;
      g_once_init_leave (&once, 1);
    }
  return enabled;
}

void
_sc_blocking_check (const char *what)
{
  if (G_UNLIKELY (check_enabled ()) && g_main_context_is_owner (g_main_context_default ()))
    g_critical ("%s was called from the main loop, which waits for it: call it from a worker thread", what);
}
