/* sc-provision-page-private.h: for the widget tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sc-provision-page.h"

G_BEGIN_DECLS

/* Moves the shift's start (monotonic µs), so a test sees units per hour
 * without waiting an hour. */
void _sc_provision_page_set_shift_start (ScProvisionPage *self,
                                         gint64           monotonic_us);
/* The step detail shown by a paused run: its step, or -1 when none is
 * shown; and the value of its row @name. */
int         _sc_provision_page_get_detail_step  (ScProvisionPage *self);
const char *_sc_provision_page_get_detail_value (ScProvisionPage *self,
                                                 const char      *name);
/* Print pending: how many units the page lists as waiting to print (as
 * the records last said), and the dialogs asking for a reprint's reason
 * and for another printer (NULL when not open). */
guint       _sc_provision_page_get_n_waiting     (ScProvisionPage *self);
GtkWidget  *_sc_provision_page_get_retry_dialog  (ScProvisionPage *self);
GtkWidget  *_sc_provision_page_get_switch_dialog (ScProvisionPage *self);

G_END_DECLS
