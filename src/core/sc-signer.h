/* sc-signer.h: where the DAK's signature comes from
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "sc-crypto.h"
#include "sc-secret.h"

G_BEGIN_DECLS

#define SC_DAK_ERROR (sc_dak_error_quark ())

typedef enum
{
  SC_DAK_ERROR_FAILED,          /* the signer failed; the message says how */
  SC_DAK_ERROR_NOT_SUPPORTED,   /* a DAK backend this build does not have */
  SC_DAK_ERROR_KEY,             /* the DAK key is unusable or does not match its certificate */
  SC_DAK_ERROR_CHAIN,           /* the DAK chain file is unusable or does not verify */
  SC_DAK_ERROR_WRONG_PRODUCT,   /* the DAK belongs to another DeviceTypeId */
  SC_DAK_ERROR_BAD_SIGNATURE,   /* the signer returned a signature that does not verify */
  SC_DAK_ERROR_INSECURE,        /* the key file can be read by others */
  SC_DAK_ERROR_TOKEN_LOST,      /* the token was removed or stopped answering */
  SC_DAK_ERROR_LOCKED,          /* signing needs the DAK PIN and none is held */
  SC_DAK_ERROR_PIN_WRONG,       /* the PIN was refused; the message says how many tries remain */
  SC_DAK_ERROR_PIN_LAST_RETRY,  /* one try remains: the console will not spend it */
  SC_DAK_ERROR_PIN_BLOCKED,     /* no tries remain: the DAK is locked */
  SC_DAK_ERROR_TOKEN,           /* another token is there, or it is not the product's DAK */
} ScDakError;

GQuark sc_dak_error_quark (void);

/**
 * ScSignerStatus:
 * @present: the DAK answers (a software DAK always does)
 * @needs_pin: signing needs the DAK PIN (hardware tokens)
 * @unlocked: a PIN is held, so the next signature can be made
 * @pin_retries: PIN tries left, or -1 when unknown or not applicable
 * @reader: the PC/SC reader or token label, or %NULL
 * @token_serial: the token's serial number, or %NULL
 * @firmware: the token's firmware version, or %NULL
 * @slot: where the key is (a PIV slot, a file), or %NULL
 *
 * What a station status panel and `dak status` show. Never holds a secret.
 */
typedef struct
{
  gboolean  present;
  gboolean  needs_pin;
  gboolean  unlocked;
  int       pin_retries;
  char     *reader;
  char     *token_serial;
  char     *firmware;
  char     *slot;
} ScSignerStatus;

void sc_signer_status_free (ScSignerStatus *status);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ScSignerStatus, sc_signer_status_free)

#define SC_TYPE_SIGNER (sc_signer_get_type ())

/* A source of DAK signatures. Its virtual functions, and the call that signs,
 * are private to the core (sc-signer-private.h): only #ScDak signs, and only
 * after its CSR policy has passed, so no code linking the core can use a
 * signer as a signing oracle. Backends, one file each, implement it. */
G_DECLARE_INTERFACE (ScSigner, sc_signer, SC, SIGNER, GObject)

STACK_OF (X509) *sc_signer_get_chain       (ScSigner      *self);
X509            *sc_signer_get_certificate (ScSigner      *self);
char            *sc_signer_describe        (ScSigner      *self);
/* Asks the token; a lost token gives present = FALSE, not an error. */
ScSignerStatus  *sc_signer_get_status      (ScSigner      *self);
/* Checks @pin against the token once and, if it is right, holds it in wiped
 * memory for the signatures that follow. Never retried: a wrong PIN costs
 * one try and is reported with the tries left; with one try left the PIN is
 * not sent at all (SC_DAK_ERROR_PIN_LAST_RETRY). A signer without a PIN
 * accepts any call and returns %TRUE. */
gboolean         sc_signer_unlock          (ScSigner      *self,
                                            ScSecret      *pin,
                                            GCancellable  *cancellable,
                                            GError       **error);
/* Wipes any PIN held; the next signature needs sc_signer_unlock(). */
void             sc_signer_lock            (ScSigner      *self);

G_END_DECLS
