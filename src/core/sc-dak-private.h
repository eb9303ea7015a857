/* sc-dak-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sc-dak.h"

G_BEGIN_DECLS

/* The signer behind the DAK; signing with it directly bypasses the CSR policy,
 * so it is for the core and its tests only. */
ScSigner *_sc_dak_get_signer (ScDak *self);

G_END_DECLS
