/* sc-dak.h: the product's Device Attestation Key acting as the unit CA
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "sc-crypto.h"
#include "sc-profile.h"
#include "sc-signer.h"

G_BEGIN_DECLS

#define SC_TYPE_DAK (sc_dak_get_type ())

G_DECLARE_FINAL_TYPE (ScDak, sc_dak, SC, DAK, GObject)

/* Days a unit certificate is valid (spec section 2). */
#define SC_LEAF_VALIDITY_DAYS 1825

ScDak           *sc_dak_new              (ScProfile           *profile,
                                          ScSigner            *signer,
                                          GError             **error);
ScDak           *sc_dak_new_for_profile  (ScProfile           *profile,
                                          GError             **error);
ScDak           *sc_dak_new_for_uri      (ScProfile           *profile,
                                          const char          *uri,
                                          GError             **error);

ScProfile       *sc_dak_get_profile      (ScDak               *self);
X509            *sc_dak_get_certificate  (ScDak               *self);
X509            *sc_dak_get_trust_anchor (ScDak               *self);
const char      *sc_dak_get_dak_type     (ScDak               *self);
gboolean         sc_dak_is_training      (ScDak               *self);
/* The signer behind the DAK, for its status and PIN (sc_signer_get_status(),
 * sc_signer_unlock(), sc_signer_lock()); signing stays private to ScDak. */
ScSigner        *sc_dak_get_signer       (ScDak               *self);

/* The DakType in the subject of the first certificate of a DAK chain file,
 * without opening the DAK itself (a YubiKey needs no PIN for this). */
char            *sc_dak_chain_get_dak_type (const char        *chain_path,
                                            GError           **error);

STACK_OF (X509) *sc_dak_issue            (ScDak               *self,
                                          X509_REQ            *csr,
                                          const char          *expected_dsn,
                                          GCancellable        *cancellable,
                                          GError             **error);
void             sc_dak_issue_async      (ScDak               *self,
                                          X509_REQ            *csr,
                                          const char          *expected_dsn,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
STACK_OF (X509) *sc_dak_issue_finish     (ScDak               *self,
                                          GAsyncResult        *result,
                                          GError             **error);

G_END_DECLS
