/* sc-device.c: the protocol client
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "scp-proto.h"
#include "sc-blocking-private.h"
#include "sc-crypto-private.h"
#include "sc-csr.h"
#include "sc-device.h"
#include "sc-key.h"
#include "sc-device-link-private.h"

struct _ScDevice
{
  GObject        parent_instance;
  ScDeviceLink  *link;
  GMutex         lock;     /* one request at a time on this link */
  guint16        seq;
  scp_receiver   rx;
};

G_DEFINE_FINAL_TYPE (ScDevice, sc_device, G_TYPE_OBJECT)

static const char *
type_name (guint8 type)
{
  static const char *names[] = {
    NULL, "HELLO", "KEYGEN", "PUT_KEY", "PUT_CHAIN", "PUT_PIN", "COMMIT", "READ_BACK", "CHALLENGE",
    "LOCK", "READ_CHAIN",
  };

  return type < G_N_ELEMENTS (names) && names[type] ? names[type] : "?";
}

static void
sc_device_dispose (GObject *object)
{
  ScDevice *self = SC_DEVICE (object);

  if (self->link != NULL)
    sc_device_link_close (self->link);
  g_clear_object (&self->link);
  G_OBJECT_CLASS (sc_device_parent_class)->dispose (object);
}

static void
sc_device_finalize (GObject *object)
{
  ScDevice *self = SC_DEVICE (object);

  g_mutex_clear (&self->lock);
  sc_memwipe (&self->rx, sizeof self->rx);
  G_OBJECT_CLASS (sc_device_parent_class)->finalize (object);
}

static void
sc_device_class_init (ScDeviceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sc_device_dispose;
  object_class->finalize = sc_device_finalize;
}

static void
sc_device_init (ScDevice *self)
{
  g_mutex_init (&self->lock);
  scp_receiver_init (&self->rx);
  self->seq = (guint16) g_random_int_range (1, 0x8000);
}

ScDevice *
sc_device_new (ScDeviceLink *link)
{
  ScDevice *self;

  g_return_val_if_fail (SC_IS_DEVICE_LINK (link), NULL);

  self = g_object_new (SC_TYPE_DEVICE, NULL);
  self->link = g_object_ref (link);
  return self;
}

ScDevice *
sc_device_open (const char  *uri,
                GError     **error)
{
  g_autoptr(ScDeviceLink) link = NULL;

  _sc_blocking_check (G_STRFUNC);
  link = sc_device_link_open (uri, error);
  return link ? sc_device_new (link) : NULL;
}

ScDeviceLink *
sc_device_get_link (ScDevice *self)
{
  g_return_val_if_fail (SC_IS_DEVICE (self), NULL);
  return self->link;
}

void
sc_device_info_free (ScDeviceInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->serial);
  g_free (info->model);
  g_free (info->firmware);
  g_free (info);
}

void
sc_device_read_back_free (ScDeviceReadBack *read_back)
{
  if (read_back == NULL)
    return;
  g_clear_pointer (&read_back->public_key, EVP_PKEY_free);
  sc_memwipe (read_back, sizeof *read_back);
  g_free (read_back);
}

static const char *
device_error_text (guint8 code)
{
  switch (code)
    {
    case SCP_ERR_BAD_FRAME: return _("it received a damaged frame");
    case SCP_ERR_BAD_VERSION: return _("it does not speak this protocol version");
    case SCP_ERR_UNKNOWN: return _("it does not know the command");
    case SCP_ERR_BAD_ARGUMENT: return _("it found the request malformed");
    case SCP_ERR_NOT_SUPPORTED: return _("it cannot do that");
    case SCP_ERR_LOCKED: return _("it is locked against provisioning");
    case SCP_ERR_STATE: return _("the request came out of order or the material does not match");
    case SCP_ERR_STORAGE: return _("its flash failed");
    case SCP_ERR_CRYPTO: return _("its cryptography failed");
    case SCP_ERR_NOT_PROVISIONED: return _("it holds no provisioning material");
    default: return _("it reported an unknown error");
    }
}

/* One request and its response, with retries. Returns the response payload. */
static GBytes *
transact (ScDevice       *self,
          guint8          type,
          const guint8   *payload,
          gsize           len,
          guint           timeout_ms,
          GCancellable   *cancellable,
          GError        **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autofree char *what = sc_device_link_describe (self->link);
  guint8 encoded[SCP_MAX_ENCODED];
  guint8 decoded[SCP_MAX_FRAME];
  gsize encoded_len;
  guint16 seq;
  guint attempt;
  gboolean damaged = FALSE;

  _sc_blocking_check ("sc_device_transact");

  g_assert (len <= SCP_MAX_PAYLOAD);

  if (++self->seq == 0)
    self->seq = 1;
  seq = self->seq;
  encoded_len = scp_frame_encode (type, seq, payload, (guint16) len, encoded);

  for (attempt = 0; attempt <= SCP_RETRIES; attempt++)
    {
      gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
      gboolean retry = FALSE;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        goto fail;
      g_debug ("send %s seq %u, %" G_GSIZE_FORMAT " bytes%s", type_name (type), seq, len,
               attempt ? " (again)" : "");
      scp_receiver_init (&self->rx);
      if (!_sc_device_link_write (self->link, encoded, encoded_len, timeout_ms, error))
        goto fail;

      while (!retry && g_get_monotonic_time () < deadline)
        {
          guint8 buf[512];
          guint slice = (guint) MIN (100, MAX (1, (deadline - g_get_monotonic_time ()) / 1000));
          gssize n;

          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            goto fail;
          n = _sc_device_link_read (self->link, buf, sizeof buf, slice, error);
          if (n < 0)
            goto fail;

          for (gssize i = 0; i < n && !retry; i++)
            {
              scp_frame frame;
              int status;

              if (!scp_receiver_push (&self->rx, buf[i]))
                continue;
              status = scp_frame_decode (self->rx.data, self->rx.len, decoded, &frame);
              scp_receiver_init (&self->rx);

              if (status != SCP_FRAME_OK)
                {
                  g_debug ("recv damaged frame: %s", scp_frame_status_string (status));
                  damaged = retry = TRUE;
                  continue;
                }
              if (frame.type == SCP_ERROR && frame.length >= 1 && frame.payload[0] == SCP_ERR_BAD_FRAME)
                {
                  g_debug ("recv: the unit received a damaged frame");
                  damaged = retry = TRUE;
                  continue;
                }
              if (frame.seq != seq)
                continue;  /* a late answer to an earlier request */

              if (frame.type == SCP_ERROR)
                {
                  guint8 code = frame.length >= 1 ? frame.payload[0] : 0;
                  g_autofree char *message = frame.length > 1
                    ? g_strndup ((const char *) frame.payload + 1, frame.length - 1) : g_strdup ("");

                  g_strcanon (message, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,:;-_()/'", '?');
                  g_debug ("recv %s refused: code %u", type_name (type), code);
                  g_set_error (error, SC_DEVICE_ERROR,
                               code == SCP_ERR_LOCKED ? SC_DEVICE_ERROR_LOCKED : SC_DEVICE_ERROR_REFUSED,
                               _("The unit refused %s: %s%s%s"), type_name (type), device_error_text (code),
                               message[0] ? " — " : "", message);
                  goto fail;
                }
              if (frame.type != (type | SCP_RESPONSE))
                {
                  g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_PROTOCOL,
                               _("The unit answered %s with a response of type 0x%02x"), type_name (type),
                               frame.type);
                  goto fail;
                }

              g_debug ("recv %s seq %u, %u bytes", type_name (type), seq, frame.length);
              {
                GBytes *answer = g_bytes_new (frame.payload, frame.length);
                sc_memwipe (decoded, sizeof decoded);
                sc_memwipe (encoded, sizeof encoded);
                sc_memwipe (&self->rx, sizeof self->rx);
                scp_receiver_init (&self->rx);
                return answer;
              }
            }
        }
    }

  g_set_error (error, SC_DEVICE_ERROR, damaged ? SC_DEVICE_ERROR_PROTOCOL : SC_DEVICE_ERROR_TIMEOUT,
               damaged ? _("The %s kept sending damaged frames to %s (%u tries); check the cable and baud rate")
                       : _("The %s did not answer %s (%u tries); check that the unit is powered and connected"),
               what, type_name (type), SCP_RETRIES + 1);
fail:
  sc_memwipe (encoded, sizeof encoded);
  sc_memwipe (decoded, sizeof decoded);
  sc_memwipe (&self->rx, sizeof self->rx);
  scp_receiver_init (&self->rx);
  return NULL;
}

static gboolean
protocol_error (GError     **error,
                const char  *command)
{
  g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_PROTOCOL,
               _("The unit’s answer to %s is malformed"), command);
  return FALSE;
}

static char *
tlv_string (const guint8 *buf,
            gsize         len,
            guint8        tag)
{
  const guint8 *value;
  guint16 value_len;

  if (scp_tlv_find (buf, len, tag, &value, &value_len) != 1)
    return NULL;
  return g_strndup ((const char *) value, value_len);
}

ScDeviceInfo *
sc_device_hello (ScDevice      *self,
                 GCancellable  *cancellable,
                 GError       **error)
{
  static const guint8 versions[2] = { SCP_VERSION, SCP_VERSION };
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(ScDeviceInfo) info = NULL;
  const guint8 *p, *value;
  guint16 value_len;
  gsize len;

  g_return_val_if_fail (SC_IS_DEVICE (self), NULL);

  answer = transact (self, SCP_HELLO, versions, sizeof versions, SCP_TIMEOUT_MS, cancellable, error);
  if (answer == NULL)
    return NULL;
  p = g_bytes_get_data (answer, &len);
  if (len < 1 || scp_tlv_find (p + 1, len - 1, SCP_TAG_SERIAL, &value, &value_len) < 0)
    {
      protocol_error (error, "HELLO");
      return NULL;
    }

  info = g_new0 (ScDeviceInfo, 1);
  info->version = p[0];
  info->serial = tlv_string (p + 1, len - 1, SCP_TAG_SERIAL);
  info->model = tlv_string (p + 1, len - 1, SCP_TAG_MODEL);
  info->firmware = tlv_string (p + 1, len - 1, SCP_TAG_FIRMWARE);
  if (scp_tlv_find (p + 1, len - 1, SCP_TAG_MAC, &value, &value_len) == 1 && value_len == 6)
    memcpy (info->mac, value, 6);
  if (scp_tlv_find (p + 1, len - 1, SCP_TAG_CAPS, &value, &value_len) == 1 && value_len == 4)
    {
      guint32 caps = (guint32) value[0] << 24 | (guint32) value[1] << 16 | (guint32) value[2] << 8 | value[3];

      info->can_keygen = (caps & SCP_CAP_KEYGEN) != 0;
      info->key_at_rest = (caps & SCP_CAP_KEY_AT_REST) != 0;
      info->can_lock = (caps & SCP_CAP_LOCK) != 0;
    }
  if (info->version != SCP_VERSION || info->serial == NULL || info->serial[0] == '\0' ||
      strspn (info->serial, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:/ ") !=
      strlen (info->serial))
    {
      protocol_error (error, "HELLO");
      return NULL;
    }
  return g_steal_pointer (&info);
}

X509_REQ *
sc_device_keygen (ScDevice      *self,
                  const char    *device_type_id,
                  const char    *dsn,
                  GCancellable  *cancellable,
                  GError       **error)
{
  guint8 req[2 * (3 + 64)];
  gsize off;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) local_error = NULL;
  X509_REQ *csr;

  g_return_val_if_fail (SC_IS_DEVICE (self), NULL);
  g_return_val_if_fail (device_type_id != NULL && strlen (device_type_id) <= 64, NULL);
  g_return_val_if_fail (dsn != NULL && strlen (dsn) <= 64, NULL);

  off = scp_tlv_put (req, 0, sizeof req, SCP_TAG_DTID, device_type_id, (guint16) strlen (device_type_id));
  off = scp_tlv_put (req, off, sizeof req, SCP_TAG_DSN, dsn, (guint16) strlen (dsn));
  answer = transact (self, SCP_KEYGEN, req, off, SCP_TIMEOUT_SLOW_MS, cancellable, error);
  if (answer == NULL)
    return NULL;

  csr = sc_csr_load (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer), &local_error);
  if (csr == NULL)
    g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_PROTOCOL,
                 _("The unit’s CSR is malformed: %s"), local_error->message);
  return csr;
}

static gboolean
put (ScDevice      *self,
     guint8         type,
     const guint8  *data,
     gsize          len,
     GCancellable  *cancellable,
     GError       **error)
{
  g_autoptr(GBytes) answer = transact (self, type, data, len, SCP_TIMEOUT_MS, cancellable, error);

  return answer != NULL;
}

gboolean
sc_device_put_key (ScDevice      *self,
                   ScSecret      *key_der,
                   GCancellable  *cancellable,
                   GError       **error)
{
  gsize len;
  const guint8 *data;

  g_return_val_if_fail (SC_IS_DEVICE (self), FALSE);
  g_return_val_if_fail (key_der != NULL, FALSE);

  data = sc_secret_get_data (key_der, &len);
  g_return_val_if_fail (len <= SCP_MAX_KEY, FALSE);
  return put (self, SCP_PUT_KEY, data, len, cancellable, error);
}

gboolean
sc_device_put_chain (ScDevice      *self,
                     const char    *pem,
                     GCancellable  *cancellable,
                     GError       **error)
{
  gsize total;
  const gsize chunk = 1000;

  g_return_val_if_fail (SC_IS_DEVICE (self), FALSE);
  g_return_val_if_fail (pem != NULL, FALSE);

  total = strlen (pem);
  if (total == 0 || total > SCP_MAX_CHAIN)
    {
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_PROTOCOL,
                   _("The chain (%zu bytes) does not fit a unit’s %d-byte chain store"),
                   total, SCP_MAX_CHAIN);
      return FALSE;
    }

  for (gsize off = 0; off < total; off += chunk)
    {
      guint8 buf[4 + 1000];
      gsize n = MIN (chunk, total - off);

      buf[0] = (guint8) (total >> 8);
      buf[1] = (guint8) total;
      buf[2] = (guint8) (off >> 8);
      buf[3] = (guint8) off;
      memcpy (buf + 4, pem + off, n);
      if (!put (self, SCP_PUT_CHAIN, buf, 4 + n, cancellable, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
sc_device_put_pin (ScDevice      *self,
                   ScSecret      *pin,
                   GCancellable  *cancellable,
                   GError       **error)
{
  gsize len;
  const guint8 *data;

  g_return_val_if_fail (SC_IS_DEVICE (self), FALSE);
  g_return_val_if_fail (pin != NULL, FALSE);

  data = sc_secret_get_data (pin, &len);
  g_return_val_if_fail (len > 0 && len <= SCP_MAX_PIN, FALSE);
  return put (self, SCP_PUT_PIN, data, len, cancellable, error);
}

gboolean
sc_device_commit (ScDevice      *self,
                  guint32       *generation,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autoptr(GBytes) answer = NULL;
  const guint8 *p;
  gsize len;

  g_return_val_if_fail (SC_IS_DEVICE (self), FALSE);

  answer = transact (self, SCP_COMMIT, NULL, 0, SCP_TIMEOUT_SLOW_MS, cancellable, error);
  if (answer == NULL)
    return FALSE;
  p = g_bytes_get_data (answer, &len);
  if (len != 4)
    return protocol_error (error, "COMMIT");
  if (generation != NULL)
    *generation = (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
  return TRUE;
}

ScDeviceReadBack *
sc_device_read_back (ScDevice      *self,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(ScDeviceReadBack) rb = NULL;
  const guint8 *p, *value;
  guint16 value_len;
  gsize len;

  g_return_val_if_fail (SC_IS_DEVICE (self), NULL);

  answer = transact (self, SCP_READ_BACK, NULL, 0, SCP_TIMEOUT_MS, cancellable, error);
  if (answer == NULL)
    return NULL;
  p = g_bytes_get_data (answer, &len);

  rb = g_new0 (ScDeviceReadBack, 1);
  if (scp_tlv_find (p, len, SCP_TAG_GENERATION, &value, &value_len) != 1 || value_len != 4)
    {
      protocol_error (error, "READ_BACK");
      return NULL;
    }
  rb->generation = (guint32) value[0] << 24 | (guint32) value[1] << 16 | (guint32) value[2] << 8 | value[3];
  if (rb->generation == 0)
    return g_steal_pointer (&rb);

  if (scp_tlv_find (p, len, SCP_TAG_PUBKEY, &value, &value_len) == 1)
    {
      rb->public_key = sc_key_load_public_der (value, value_len);
    }
  if (rb->public_key == NULL ||
      scp_tlv_find (p, len, SCP_TAG_CHAIN_SHA256, &value, &value_len) != 1 || value_len != 32)
    {
      protocol_error (error, "READ_BACK");
      return NULL;
    }
  memcpy (rb->chain_sha256, value, 32);
  if (scp_tlv_find (p, len, SCP_TAG_LOCKED, &value, &value_len) == 1 && value_len == 1)
    rb->locked = value[0] != 0;
  /* A locked unit no longer tells its PIN's hash. */
  if (scp_tlv_find (p, len, SCP_TAG_PIN_SHA256, &value, &value_len) == 1 && value_len == 32)
    {
      memcpy (rb->pin_sha256, value, 32);
      rb->has_pin_sha256 = TRUE;
    }
  else if (!rb->locked)
    {
      protocol_error (error, "READ_BACK");
      return NULL;
    }
  if (scp_tlv_find (p, len, SCP_TAG_KEY_ORIGIN, &value, &value_len) == 1 && value_len == 1)
    rb->key_from_device = value[0] == 1;
  return g_steal_pointer (&rb);
}

char *
sc_device_read_chain (ScDevice      *self,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_autoptr(GString) pem = g_string_new (NULL);
  gsize total = 1;

  g_return_val_if_fail (SC_IS_DEVICE (self), NULL);

  while (pem->len < total)
    {
      guint8 req[2] = { (guint8) (pem->len >> 8), (guint8) pem->len };
      g_autoptr(GBytes) answer = transact (self, SCP_READ_CHAIN, req, sizeof req, SCP_TIMEOUT_MS,
                                           cancellable, error);
      const guint8 *p;
      gsize len;

      if (answer == NULL)
        return NULL;
      p = g_bytes_get_data (answer, &len);
      if (len < 2 || (len == 2 && pem->len < (gsize) (p[0] << 8 | p[1])))
        {
          protocol_error (error, "READ_CHAIN");
          return NULL;
        }
      total = (gsize) (p[0] << 8 | p[1]);
      g_string_append_len (pem, (const char *) p + 2, len - 2);
      if (pem->len > total || total > SCP_MAX_CHAIN)
        {
          protocol_error (error, "READ_CHAIN");
          return NULL;
        }
    }
  return g_string_free (g_steal_pointer (&pem), FALSE);
}

gboolean
sc_device_lock (ScDevice      *self,
                GCancellable  *cancellable,
                GError       **error)
{
  g_return_val_if_fail (SC_IS_DEVICE (self), FALSE);

  /* LOCK rewrites a flash slot: the slow timeout. */
  {
    g_autoptr(GBytes) answer = transact (self, SCP_LOCK, NULL, 0, SCP_TIMEOUT_SLOW_MS, cancellable, error);
    return answer != NULL;
  }
}

gboolean
sc_device_verify_read_back (const ScDeviceReadBack  *rb,
                            EVP_PKEY                *public_key,
                            const char              *chain_pem,
                            ScSecret                *pin,
                            GError                 **error)
{
  guint8 md[SHA256_DIGEST_LENGTH];
  const guint8 *pin_data;
  gsize pin_len;

  g_return_val_if_fail (rb != NULL, FALSE);

  if (rb->generation == 0)
    {
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_VERIFY,
                   _("The unit reads back empty: nothing was stored"));
      return FALSE;
    }
  if (public_key != NULL && EVP_PKEY_eq (rb->public_key, public_key) != 1)
    {
      ERR_clear_error ();
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_VERIFY,
                   _("The unit reads back a different public key than the one certified"));
      return FALSE;
    }
  if (chain_pem != NULL)
    {
      SHA256 ((const guint8 *) chain_pem, strlen (chain_pem), md);
      if (memcmp (md, rb->chain_sha256, sizeof md) != 0)
        {
          g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_VERIFY,
                       _("The unit reads back a different certificate chain than the one written"));
          return FALSE;
        }
    }
  if (pin != NULL && !rb->has_pin_sha256)
    {
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_VERIFY,
                   _("The unit is locked and no longer lets its PIN be checked"));
      return FALSE;
    }
  if (pin != NULL)
    {
      pin_data = sc_secret_get_data (pin, &pin_len);
      SHA256 (pin_data, pin_len, md);
      if (CRYPTO_memcmp (md, rb->pin_sha256, sizeof md) != 0)
        {
          sc_memwipe (md, sizeof md);
          g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_VERIFY,
                       _("The unit reads back a different PIN than the one written"));
          return FALSE;
        }
      sc_memwipe (md, sizeof md);
    }
  return TRUE;
}

gboolean
sc_device_challenge (ScDevice      *self,
                     EVP_PKEY      *public_key,
                     GCancellable  *cancellable,
                     GError       **error)
{
  guint8 nonce[SCP_NONCE_SIZE];
  guint8 digest[SHA256_DIGEST_LENGTH];
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(EVP_PKEY_CTX) ctx = NULL;
  const guint8 *sig;
  gsize sig_len;
  int rc;

  g_return_val_if_fail (SC_IS_DEVICE (self), FALSE);
  g_return_val_if_fail (public_key != NULL, FALSE);

  if (RAND_bytes (nonce, sizeof nonce) != 1)
    {
      _sc_set_openssl_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_FAILED,
                             _("The random number generator failed"));
      return FALSE;
    }

  answer = transact (self, SCP_CHALLENGE, nonce, sizeof nonce, SCP_TIMEOUT_SLOW_MS, cancellable, error);
  if (answer == NULL)
    return FALSE;

  {
    g_autoptr(EVP_MD_CTX) md = EVP_MD_CTX_new ();
    unsigned int md_len = sizeof digest;

    EVP_DigestInit_ex (md, EVP_sha256 (), NULL);
    EVP_DigestUpdate (md, SCP_CHALLENGE_CONTEXT, strlen (SCP_CHALLENGE_CONTEXT));
    EVP_DigestUpdate (md, nonce, sizeof nonce);
    EVP_DigestFinal_ex (md, digest, &md_len);
  }

  sig = g_bytes_get_data (answer, &sig_len);
  ctx = EVP_PKEY_CTX_new_from_pkey (NULL, public_key, NULL);
  rc = ctx ? EVP_PKEY_verify_init (ctx) : 0;
  if (rc > 0)
    rc = EVP_PKEY_verify (ctx, sig, sig_len, digest, sizeof digest);
  ERR_clear_error ();
  if (rc != 1)
    {
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_VERIFY,
                   _("The unit’s answer to the challenge does not verify with its certified key: "
                     "the stored key is not the one certified, or it cannot use it"));
      return FALSE;
    }
  return TRUE;
}
