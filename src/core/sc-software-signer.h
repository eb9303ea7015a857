/* sc-software-signer.h: the software DAK (PEM key + chain file)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sc-signer.h"

G_BEGIN_DECLS

#define SC_TYPE_SOFTWARE_SIGNER (sc_software_signer_get_type ())

G_DECLARE_FINAL_TYPE (ScSoftwareSigner, sc_software_signer, SC, SOFTWARE_SIGNER, GObject)

ScSigner *sc_software_signer_new (const char  *key_path,
                                  const char  *chain_path,
                                  GError     **error);

G_END_DECLS
