/* sc-station-secret.c: the station's secret for PINs at rest
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "sc-blocking-private.h"
#include "sc-crypto-private.h"
#include "sc-station-secret.h"
#include "sc-store.h"

#define SECRET_LEN 32
#define KEY_LEN    32
#define IV_LEN     12
#define TAG_LEN    16

#define SEAL_INFO "setup-console pin seal v1"
#define MAC_INFO  "setup-console pin mac v1"
#define BADGE_INFO "setup-console badge mac v1"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_CIPHER_CTX, EVP_CIPHER_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_KDF, EVP_KDF_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_KDF_CTX, EVP_KDF_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MAC, EVP_MAC_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MAC_CTX, EVP_MAC_CTX_free)

struct _ScStationSecret
{
  GObject   parent_instance;

  ScSecret *secret;   /* SECRET_LEN bytes, wiped when freed */
};

G_DEFINE_FINAL_TYPE (ScStationSecret, sc_station_secret, G_TYPE_OBJECT)

static void
sc_station_secret_finalize (GObject *object)
{
  ScStationSecret *self = SC_STATION_SECRET (object);

  g_clear_pointer (&self->secret, sc_secret_unref);

  G_OBJECT_CLASS (sc_station_secret_parent_class)->finalize (object);
}

static void
sc_station_secret_class_init (ScStationSecretClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sc_station_secret_finalize;
}

static void
sc_station_secret_init (ScStationSecret *self)
{
}

/* Writes a new secret to a private temporary file beside @path, then links
 * it to @path, so nobody ever sees @path half-written and an existing file
 * is never replaced. Returns NULL with G_IO_ERROR_EXISTS when another
 * process created @path first. */
static ScSecret *
create_secret (const char  *path,
               GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *tmpl = NULL;
  g_autofree char *display = g_filename_display_name (path);
  guint8 buf[SECRET_LEN];
  const guint8 *p = buf;
  gsize left = sizeof buf;
  ScSecret *secret = NULL;
  int saved_errno = 0;
  int fd;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_autofree char *dir_display = g_filename_display_name (dir);

      saved_errno = errno;
      g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_OPEN,
                   _("Cannot create the folder “%s” for the station secret: %s; check its permissions"),
                   dir_display, g_strerror (saved_errno));
      return NULL;
    }

  if (RAND_priv_bytes (buf, sizeof buf) != 1)
    {
      _sc_set_openssl_error (error, SC_STORE_ERROR, SC_STORE_ERROR_FAILED,
                             _("Cannot make a new station secret: the random generator failed"));
      return NULL;
    }

  tmpl = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  /* g_mkstemp_full creates with O_CREAT | O_EXCL and the mode given. */
  fd = g_mkstemp_full (tmpl, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      saved_errno = errno;
      goto fail;
    }

  while (left > 0)
    {
      gssize n = write (fd, p, left);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          saved_errno = errno;
          break;
        }
      p += n;
      left -= n;
    }
  if (saved_errno == 0 && fsync (fd) != 0)
    saved_errno = errno;
  if (close (fd) != 0 && saved_errno == 0)
    saved_errno = errno;
  if (saved_errno == 0 && link (tmpl, path) != 0)
    saved_errno = errno;
  g_unlink (tmpl);

  if (saved_errno == EEXIST)
    {
      sc_memwipe (buf, sizeof buf);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "%s exists", display);
      return NULL;
    }
  if (saved_errno != 0)
    goto fail;

  /* The link is the file: make it last across a power cut. */
  fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd >= 0)
    {
      fsync (fd);
      close (fd);
    }

  secret = sc_secret_new (buf, sizeof buf);
  sc_memwipe (buf, sizeof buf);
  return secret;

fail:
  sc_memwipe (buf, sizeof buf);
  g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_OPEN,
               _("Cannot create the station secret “%s”: %s; check the folder’s permissions and free space"),
               display, g_strerror (saved_errno));
  return NULL;
}

/**
 * sc_station_secret_load:
 *
 * Returns: (transfer full): the station secret.
 */
ScStationSecret *
sc_station_secret_load (const char  *path,
                        GError     **error)
{
  g_autoptr(ScStationSecret) self = NULL;
  g_autofree char *display = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  _sc_blocking_check (G_STRFUNC);

  display = g_filename_display_name (path);
  self = g_object_new (SC_TYPE_STATION_SECRET, NULL);

  /* Twice at most: if another process creates the file between our read and
   * our create, the second read finds its secret. */
  for (guint attempt = 0; attempt < 2 && self->secret == NULL; attempt++)
    {
      g_autoptr(GError) local_error = NULL;
      char *data = NULL;
      gsize len = 0;

      if (_sc_read_file_limited (path, 4 * SECRET_LEN, TRUE, &data, &len, &local_error))
        {
          if (len != SECRET_LEN)
            {
              sc_memwipe (data, len);
              g_free (data);
              g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_OPEN,
                           _("The station secret “%s” is damaged: it holds %zu bytes, not %d; "
                             "restore it from the station’s backup, because the stored PINs cannot be "
                             "read without it"),
                           display, len, SECRET_LEN);
              return NULL;
            }
          self->secret = sc_secret_new_take_from (data, len);
          break;
        }

      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_PERM))
        {
          g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_OPEN,
                       _("The station secret is not private: %s"), local_error->message);
          return NULL;
        }
      if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_OPEN,
                       _("Cannot read the station secret: %s"), local_error->message);
          return NULL;
        }

      g_clear_error (&local_error);
      self->secret = create_secret (path, &local_error);
      if (self->secret == NULL && !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      if (self->secret != NULL)
        g_debug ("Created a new station secret in %s", display);
    }

  if (self->secret == NULL)
    {
      g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_OPEN,
                   _("Cannot read or create the station secret “%s”; check that no other program is "
                     "replacing it"),
                   display);
      return NULL;
    }

  return g_steal_pointer (&self);
}

/* HKDF-SHA256 of the secret, no salt, with @info; @out gets KEY_LEN bytes. */
static gboolean
derive_key (ScStationSecret *self,
            const char      *info,
            guint8           out[KEY_LEN])
{
  g_autoptr(EVP_KDF) kdf = EVP_KDF_fetch (NULL, OSSL_KDF_NAME_HKDF, NULL);
  g_autoptr(EVP_KDF_CTX) ctx = NULL;
  gsize secret_len;
  const guint8 *secret = sc_secret_get_data (self->secret, &secret_len);
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_utf8_string (OSSL_KDF_PARAM_DIGEST, (char *) "SHA256", 0),
    OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_KEY, (void *) secret, secret_len),
    OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_INFO, (void *) info, strlen (info)),
    OSSL_PARAM_construct_end (),
  };

  if (kdf == NULL || (ctx = EVP_KDF_CTX_new (kdf)) == NULL)
    return FALSE;
  return EVP_KDF_derive (ctx, out, KEY_LEN, params) == 1;
}

/**
 * sc_station_secret_seal_pin:
 *
 * Returns: (transfer full): IV (12 bytes) || GCM tag (16 bytes) || ciphertext.
 */
GBytes *
sc_station_secret_seal_pin (ScStationSecret  *self,
                            const char       *serial,
                            ScSecret         *pin,
                            GError          **error)
{
  g_autoptr(EVP_CIPHER_CTX) ctx = NULL;
  guint8 key[KEY_LEN];
  guint8 *out;
  gsize pin_len;
  const guint8 *pin_data;
  int n = 0;
  int final_len = 0;
  gboolean ok;

  g_return_val_if_fail (SC_IS_STATION_SECRET (self), NULL);
  g_return_val_if_fail (serial != NULL, NULL);
  g_return_val_if_fail (pin != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  pin_data = sc_secret_get_data (pin, &pin_len);
  g_return_val_if_fail (pin_len <= (gsize) G_MAXINT - IV_LEN - TAG_LEN, NULL);

  out = g_malloc (IV_LEN + TAG_LEN + pin_len);
  ctx = EVP_CIPHER_CTX_new ();
  ok = ctx != NULL &&
       derive_key (self, SEAL_INFO, key) &&
       RAND_bytes (out, IV_LEN) == 1 &&
       EVP_EncryptInit_ex2 (ctx, EVP_aes_256_gcm (), key, out, NULL) == 1 &&
       EVP_EncryptUpdate (ctx, NULL, &n, (const guint8 *) serial, (int) strlen (serial)) == 1 &&
       EVP_EncryptUpdate (ctx, out + IV_LEN + TAG_LEN, &n, pin_data, (int) pin_len) == 1 &&
       EVP_EncryptFinal_ex (ctx, out + IV_LEN + TAG_LEN + n, &final_len) == 1;
  sc_memwipe (key, sizeof key);
  if (ok)
    {
      OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string (OSSL_CIPHER_PARAM_AEAD_TAG, out + IV_LEN, TAG_LEN),
        OSSL_PARAM_construct_end (),
      };

      ok = (gsize) (n + final_len) == pin_len && EVP_CIPHER_CTX_get_params (ctx, params) == 1;
    }
  if (!ok)
    {
      g_free (out);
      _sc_set_openssl_error (error, SC_STORE_ERROR, SC_STORE_ERROR_FAILED,
                             _("Cannot seal the PIN under the station secret"));
      return NULL;
    }

  return g_bytes_new_take (out, IV_LEN + TAG_LEN + pin_len);
}

/**
 * sc_station_secret_open_pin:
 *
 * Returns: (transfer full): the PIN.
 */
ScSecret *
sc_station_secret_open_pin (ScStationSecret  *self,
                            const char       *serial,
                            GBytes           *sealed,
                            GError          **error)
{
  g_autoptr(EVP_CIPHER_CTX) ctx = NULL;
  guint8 key[KEY_LEN];
  guint8 tag[TAG_LEN];
  const guint8 *data;
  guint8 *plain;
  gsize len;
  gsize ct_len;
  int n = 0;
  int final_len = 0;
  gboolean ok;

  g_return_val_if_fail (SC_IS_STATION_SECRET (self), NULL);
  g_return_val_if_fail (serial != NULL, NULL);
  g_return_val_if_fail (sealed != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  data = g_bytes_get_data (sealed, &len);
  if (len < IV_LEN + TAG_LEN || len - IV_LEN - TAG_LEN > (gsize) G_MAXINT)
    {
      g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_FAILED,
                   _("The sealed PIN does not open: it is %zu bytes, too short to be a "
                     "sealed PIN; the record is damaged"),
                   len);
      return NULL;
    }
  ct_len = len - IV_LEN - TAG_LEN;
  memcpy (tag, data + IV_LEN, TAG_LEN);

  /* One spare byte: EVP_DecryptUpdate may be handed an empty output. */
  plain = g_malloc0 (ct_len + 1);
  ctx = EVP_CIPHER_CTX_new ();
  ok = ctx != NULL &&
       derive_key (self, SEAL_INFO, key) &&
       EVP_DecryptInit_ex2 (ctx, EVP_aes_256_gcm (), key, data, NULL) == 1 &&
       EVP_DecryptUpdate (ctx, NULL, &n, (const guint8 *) serial, (int) strlen (serial)) == 1 &&
       EVP_DecryptUpdate (ctx, plain, &n, data + IV_LEN + TAG_LEN, (int) ct_len) == 1;
  sc_memwipe (key, sizeof key);
  if (ok)
    {
      OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string (OSSL_CIPHER_PARAM_AEAD_TAG, tag, TAG_LEN),
        OSSL_PARAM_construct_end (),
      };

      ok = EVP_CIPHER_CTX_set_params (ctx, params) == 1 &&
           EVP_DecryptFinal_ex (ctx, plain + n, &final_len) == 1 &&
           (gsize) (n + final_len) == ct_len;
    }
  if (!ok)
    {
      sc_memwipe (plain, ct_len + 1);
      g_free (plain);
      _sc_set_openssl_error (error, SC_STORE_ERROR, SC_STORE_ERROR_FAILED,
                             _("The sealed PIN does not open: wrong station secret or tampered data"));
      return NULL;
    }

  return sc_secret_new_take_from (plain, ct_len);
}

/**
 * sc_station_secret_pin_mac:
 *
 * Returns: (transfer full): HMAC-SHA256 (key derived from the secret) over
 *   @product, a zero byte and the PIN, in lower-case hex.
 */
char *
sc_station_secret_pin_mac (ScStationSecret *self,
                           const char      *product,
                           ScSecret        *pin)
{
  g_autoptr(EVP_MAC) mac = NULL;
  g_autoptr(EVP_MAC_CTX) ctx = NULL;
  guint8 key[KEY_LEN];
  guint8 out[32];
  const guint8 *pin_data;
  const guint8 zero = 0;
  gsize pin_len;
  gsize out_len = 0;
  gboolean ok;
  GString *hex;
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_utf8_string (OSSL_MAC_PARAM_DIGEST, (char *) "SHA256", 0),
    OSSL_PARAM_construct_end (),
  };

  g_return_val_if_fail (SC_IS_STATION_SECRET (self), NULL);
  g_return_val_if_fail (product != NULL, NULL);
  g_return_val_if_fail (pin != NULL, NULL);

  pin_data = sc_secret_get_data (pin, &pin_len);
  mac = EVP_MAC_fetch (NULL, OSSL_MAC_NAME_HMAC, NULL);
  ok = mac != NULL &&
       (ctx = EVP_MAC_CTX_new (mac)) != NULL &&
       derive_key (self, MAC_INFO, key) &&
       EVP_MAC_init (ctx, key, sizeof key, params) == 1 &&
       EVP_MAC_update (ctx, (const guint8 *) product, strlen (product)) == 1 &&
       EVP_MAC_update (ctx, &zero, 1) == 1 &&
       EVP_MAC_update (ctx, pin_data, pin_len) == 1 &&
       EVP_MAC_final (ctx, out, &out_len, sizeof out) == 1 &&
       out_len == sizeof out;
  sc_memwipe (key, sizeof key);
  /* HMAC-SHA256 is built into every OpenSSL 3 default provider: a failure
   * here is no memory or a broken installation, nothing a caller can handle. */
  if (!ok)
    g_error ("OpenSSL cannot compute HMAC-SHA256");

  hex = g_string_sized_new (2 * sizeof out);
  for (gsize i = 0; i < sizeof out; i++)
    g_string_append_printf (hex, "%02x", out[i]);
  return g_string_free (hex, FALSE);
}

/**
 * sc_station_secret_badge_mac:
 *
 * Returns: (transfer full): HMAC-SHA256 (a key derived from the secret for
 *   badges only) over the badge code, in lower-case hex.
 */
char *
sc_station_secret_badge_mac (ScStationSecret *self,
                             ScSecret        *badge)
{
  g_autoptr(EVP_MAC) mac = NULL;
  g_autoptr(EVP_MAC_CTX) ctx = NULL;
  guint8 key[KEY_LEN];
  guint8 out[32];
  const guint8 *data;
  gsize len;
  gsize out_len = 0;
  gboolean ok;
  GString *hex;
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_utf8_string (OSSL_MAC_PARAM_DIGEST, (char *) "SHA256", 0),
    OSSL_PARAM_construct_end (),
  };

  g_return_val_if_fail (SC_IS_STATION_SECRET (self), NULL);
  g_return_val_if_fail (badge != NULL, NULL);

  data = sc_secret_get_data (badge, &len);
  mac = EVP_MAC_fetch (NULL, OSSL_MAC_NAME_HMAC, NULL);
  ok = mac != NULL &&
       (ctx = EVP_MAC_CTX_new (mac)) != NULL &&
       derive_key (self, BADGE_INFO, key) &&
       EVP_MAC_init (ctx, key, sizeof key, params) == 1 &&
       EVP_MAC_update (ctx, data, len) == 1 &&
       EVP_MAC_final (ctx, out, &out_len, sizeof out) == 1 &&
       out_len == sizeof out;
  sc_memwipe (key, sizeof key);
  /* As for the PIN's MAC: nothing a caller could handle. */
  if (!ok)
    g_error ("OpenSSL cannot compute HMAC-SHA256");

  hex = g_string_sized_new (2 * sizeof out);
  for (gsize i = 0; i < sizeof out; i++)
    g_string_append_printf (hex, "%02x", out[i]);
  return g_string_free (hex, FALSE);
}
