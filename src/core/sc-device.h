/* sc-device.h: the console side of the provisioning protocol
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "sc-crypto.h"
#include "sc-device-link.h"
#include "sc-secret.h"

G_BEGIN_DECLS

/* What a unit says about itself in HELLO. */
typedef struct
{
  guint    version;
  char    *serial;
  guint8   mac[6];
  char    *model;
  char    *firmware;
  gboolean can_keygen;       /* makes its own key and CSR */
  gboolean key_at_rest;      /* keeps its key encrypted */
  gboolean can_lock;
} ScDeviceInfo;

/* What a unit holds, as READ_BACK tells: hashes and the public key, never a
 * secret. */
typedef struct
{
  guint32   generation;      /* 0: nothing stored */
  EVP_PKEY *public_key;
  guint8    chain_sha256[32];
  guint8    pin_sha256[32];
  gboolean  has_pin_sha256;  /* FALSE once the unit is locked */
  gboolean  locked;
  gboolean  key_from_device;
} ScDeviceReadBack;

void sc_device_info_free      (ScDeviceInfo     *info);
void sc_device_read_back_free (ScDeviceReadBack *read_back);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ScDeviceInfo, sc_device_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ScDeviceReadBack, sc_device_read_back_free)

#define SC_TYPE_DEVICE (sc_device_get_type ())

G_DECLARE_FINAL_TYPE (ScDevice, sc_device, SC, DEVICE, GObject)

/* Every call blocks the calling thread (the unit run calls them from its
 * worker thread) and is serialised per device. Requests are retried on a
 * timeout or a damaged frame with the same sequence number, which the agent
 * answers from its cache, so a retried COMMIT never runs twice. Nothing a
 * unit is sent or answers is logged but the command names and sizes. */
ScDevice         *sc_device_new               (ScDeviceLink   *link);
ScDevice         *sc_device_open              (const char     *uri,
                                               GError        **error);
ScDeviceLink     *sc_device_get_link          (ScDevice       *self);

ScDeviceInfo     *sc_device_hello             (ScDevice       *self,
                                               GCancellable   *cancellable,
                                               GError        **error);
X509_REQ         *sc_device_keygen            (ScDevice       *self,
                                               const char     *device_type_id,
                                               const char     *dsn,
                                               GCancellable   *cancellable,
                                               GError        **error);
gboolean          sc_device_put_key           (ScDevice       *self,
                                               ScSecret       *key_der,
                                               GCancellable   *cancellable,
                                               GError        **error);
gboolean          sc_device_put_chain         (ScDevice       *self,
                                               const char     *pem,
                                               GCancellable   *cancellable,
                                               GError        **error);
gboolean          sc_device_put_pin           (ScDevice       *self,
                                               ScSecret       *pin,
                                               GCancellable   *cancellable,
                                               GError        **error);
gboolean          sc_device_commit            (ScDevice       *self,
                                               guint32        *generation,
                                               GCancellable   *cancellable,
                                               GError        **error);
ScDeviceReadBack *sc_device_read_back         (ScDevice       *self,
                                               GCancellable   *cancellable,
                                               GError        **error);
char             *sc_device_read_chain        (ScDevice       *self,
                                               GCancellable   *cancellable,
                                               GError        **error);
gboolean          sc_device_lock              (ScDevice       *self,
                                               GCancellable   *cancellable,
                                               GError        **error);

/* Checks READ_BACK against what was written: the public key, and the
 * SHA-256 of the chain and of the PIN. The error names what differs. */
gboolean          sc_device_verify_read_back  (const ScDeviceReadBack *read_back,
                                               EVP_PKEY               *public_key,
                                               const char             *chain_pem,
                                               ScSecret               *pin,
                                               GError                **error);
/* Sends a fresh random nonce and checks the unit's signature with
 * @public_key: the stored key, certificate and storage all work. */
gboolean          sc_device_challenge         (ScDevice       *self,
                                               EVP_PKEY       *public_key,
                                               GCancellable   *cancellable,
                                               GError        **error);

G_END_DECLS
