/* sc-users.c: who works at the station: users, roles, passcodes, badges, sign-in
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "sc-crypto-private.h"
#include "sc-users-private.h"

G_DEFINE_QUARK (sc-users-error-quark, sc_users_error)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_KDF, EVP_KDF_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_KDF_CTX, EVP_KDF_CTX_free)

#define NAME_MAX_CHARS     64
#define PASSCODE_MIN_BYTES 6
#define PASSCODE_MAX_BYTES 128
#define BADGE_MIN_CHARS    4
#define BADGE_MAX_CHARS    128

#define SALT_LEN 16
#define HASH_LEN 32

/* What a stored hash may ask for: scrypt's memory is 128 · r · N bytes. */
#define SCRYPT_MIN_LOG2_N  10
#define SCRYPT_MAX_LOG2_N  20
#define SCRYPT_MAX_R       32
#define SCRYPT_MAX_P       16
#define SCRYPT_MAX_MEMORY  (G_GUINT64_CONSTANT (1) << 30)

#define RETRY_FIRST_DELAY  G_USEC_PER_SEC
#define RETRY_MAX_DELAY    (60 * G_USEC_PER_SEC)

static const ScScryptParams builtin_params = { 15, 8, 1 };
static ScScryptParams default_params = { 15, 8, 1 };

struct _ScUsers
{
  GObject           parent_instance;

  ScStore          *store;
  ScStationSecret  *secret;

  ScUsersClock      clock;
  gpointer          clock_data;

  /* Unknown badges, counted per ScUsers: a badge has no name to wait on. */
  GMutex            badge_lock;
  guint             badge_failures;
  gint64            badge_retry_after;
};

G_DEFINE_FINAL_TYPE (ScUsers, sc_users, G_TYPE_OBJECT)

/* ------------------------------------------------------------------ roles */

static const struct
{
  ScRole      role;
  const char *name;
  const char *title;
} roles_table[] = {
  { SC_ROLE_OPERATOR, "operator", N_("Operator") },
  { SC_ROLE_QA, "qa", N_("QA") },
  { SC_ROLE_TRAINER, "trainer", N_("Trainer") },
  { SC_ROLE_ADMIN, "admin", N_("Admin") },
};

/**
 * sc_roles_to_string:
 *
 * Returns: (transfer full): the names of @roles, comma-separated; never
 *   translated (they are what the CLI takes and the audit log records).
 */
char *
sc_roles_to_string (guint roles)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (roles_table); i++)
    if (roles & roles_table[i].role)
      {
        if (text->len > 0)
          g_string_append_c (text, ',');
        g_string_append (text, roles_table[i].name);
      }
  return g_string_free (text, FALSE);
}

gboolean
sc_roles_from_string (const char  *text,
                      guint       *roles,
                      GError     **error)
{
  g_auto(GStrv) parts = NULL;
  guint result = 0;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (roles != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  parts = g_strsplit (text, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *part = g_strstrip (parts[i]);
      guint j;

      if (*part == '\0')
        continue;
      for (j = 0; j < G_N_ELEMENTS (roles_table); j++)
        if (g_ascii_strcasecmp (part, roles_table[j].name) == 0)
          break;
      if (j == G_N_ELEMENTS (roles_table))
        {
          g_set_error (error, SC_USERS_ERROR, SC_USERS_ERROR_BAD_ROLES,
                       _("“%s” is not a role; the roles are operator, qa, trainer and admin"), part);
          return FALSE;
        }
      result |= roles_table[j].role;
    }

  if (result == 0)
    {
      g_set_error_literal (error, SC_USERS_ERROR, SC_USERS_ERROR_BAD_ROLES,
                           _("A user needs at least one role: operator, qa, trainer or admin"));
      return FALSE;
    }
  *roles = result;
  return TRUE;
}

const char *
sc_role_get_title (ScRole role)
{
  for (guint i = 0; i < G_N_ELEMENTS (roles_table); i++)
    if (roles_table[i].role == role)
      return _(roles_table[i].title);
  g_return_val_if_reached (NULL);
}

ScRole
sc_right_get_role (ScRight right)
{
  switch (right)
    {
    case SC_RIGHT_PROVISION:
      return SC_ROLE_OPERATOR;
    case SC_RIGHT_REPRINT:
    case SC_RIGHT_OVERRIDE:
      return SC_ROLE_QA;
    case SC_RIGHT_SETTINGS:
    case SC_RIGHT_MANAGE_USERS:
      return SC_ROLE_ADMIN;
    default:
      g_return_val_if_reached (SC_ROLE_ADMIN);
    }
}

gboolean
sc_user_check_right (const ScUserRecord  *user,
                     ScRight              right,
                     GError             **error)
{
  const char *message = NULL;

  g_return_val_if_fail (right <= SC_RIGHT_MANAGE_USERS, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (user == NULL)
    {
      switch (right)
        {
        case SC_RIGHT_PROVISION:
          message = _("Sign in as an operator to provision units");
          break;
        case SC_RIGHT_REPRINT:
          message = _("Sign in as QA to reprint labels");
          break;
        case SC_RIGHT_OVERRIDE:
          message = _("Sign in as QA to provision a serial that completed again");
          break;
        case SC_RIGHT_SETTINGS:
          message = _("Sign in as an admin to change the station’s settings");
          break;
        case SC_RIGHT_MANAGE_USERS:
        default:
          message = _("Sign in as an admin to change the station’s users");
          break;
        }
      g_set_error_literal (error, SC_USERS_ERROR, SC_USERS_ERROR_SIGN_IN_NEEDED, message);
      return FALSE;
    }

  if (user->disabled)
    {
      g_set_error (error, SC_USERS_ERROR, SC_USERS_ERROR_DISABLED,
                   _("%s is disabled at this station; ask an admin"), user->name);
      return FALSE;
    }

  if (user->roles & sc_right_get_role (right))
    return TRUE;

  switch (right)
    {
    case SC_RIGHT_PROVISION:
      g_set_error (error, SC_USERS_ERROR, SC_USERS_ERROR_NOT_ALLOWED,
                   _("%s may not provision units: that needs the operator role; let an operator sign in, "
                     "or ask an admin for the role"), user->name);
      break;
    case SC_RIGHT_REPRINT:
      g_set_error (error, SC_USERS_ERROR, SC_USERS_ERROR_NOT_ALLOWED,
                   _("%s may not reprint labels: that needs the QA role; let QA sign in, or ask an admin for "
                     "the role"), user->name);
      break;
    case SC_RIGHT_OVERRIDE:
      g_set_error (error, SC_USERS_ERROR, SC_USERS_ERROR_NOT_ALLOWED,
                   _("%s may not provision a serial that completed again: that needs the QA role; let QA "
                     "sign in, or ask an admin for the role"), user->name);
      break;
    case SC_RIGHT_SETTINGS:
      g_set_error (error, SC_USERS_ERROR, SC_USERS_ERROR_NOT_ALLOWED,
                   _("%s may not change the station’s settings: that needs the admin role; let an admin "
                     "sign in"), user->name);
      break;
    case SC_RIGHT_MANAGE_USERS:
    default:
      g_set_error (error, SC_USERS_ERROR, SC_USERS_ERROR_NOT_ALLOWED,
                   _("%s may not change the station’s users: that needs the admin role; let an admin "
                     "sign in"), user->name);
      break;
    }
  return FALSE;
}

/* ------------------------------------------------------------------ rules */

gboolean
sc_user_name_check (const char  *name,
                    GError     **error)
{
  glong n_chars;

  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!g_utf8_validate (name, -1, NULL))
    {
      g_set_error_literal (error, SC_USERS_ERROR, SC_USERS_ERROR_BAD_NAME,
                           _("A user’s name must be UTF-8 text; type it again"));
      return FALSE;
    }

  n_chars = g_utf8_strlen (name, -1);
  if (n_chars == 0 || n_chars > NAME_MAX_CHARS)
    {
      g_set_error (error, SC_USERS_ERROR, SC_USERS_ERROR_BAD_NAME,
                   _("A user’s name must have 1 to %d characters; this one has %ld"), NAME_MAX_CHARS, n_chars);
      return FALSE;
    }

  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c) || c == 0x2028 || c == 0x2029)
        {
          g_set_error_literal (error, SC_USERS_ERROR, SC_USERS_ERROR_BAD_NAME,
                               _("A user’s name cannot hold control characters or line breaks; type it again"));
          return FALSE;
        }
    }

  if (g_unichar_isspace (g_utf8_get_char (name)) ||
      g_unichar_isspace (g_utf8_get_char (g_utf8_prev_char (name + strlen (name)))))
    {
      g_set_error_literal (error, SC_USERS_ERROR, SC_USERS_ERROR_BAD_NAME,
                           _("A user’s name cannot begin or end with a space"));
      return FALSE;
    }
  return TRUE;
}

gboolean
sc_passcode_check (ScSecret  *passcode,
                   GError   **error)
{
  gsize len;
  const guint8 *data;

  g_return_val_if_fail (passcode != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  data = sc_secret_get_data (passcode, &len);
  if (len < PASSCODE_MIN_BYTES || len > PASSCODE_MAX_BYTES)
    {
      g_set_error (error, SC_USERS_ERROR, SC_USERS_ERROR_BAD_PASSCODE,
                   _("A passcode must have %d to %d characters; this one has %zu"),
                   PASSCODE_MIN_BYTES, PASSCODE_MAX_BYTES, len);
      return FALSE;
    }
  for (gsize i = 0; i < len; i++)
    if (data[i] == '\0' || data[i] == '\n' || data[i] == '\r')
      {
        g_set_error_literal (error, SC_USERS_ERROR, SC_USERS_ERROR_BAD_PASSCODE,
                             _("A passcode cannot hold line breaks or NUL characters"));
        return FALSE;
      }
  return TRUE;
}

gboolean
sc_badge_check (ScSecret  *badge,
                GError   **error)
{
  gsize len;
  const guint8 *data;

  g_return_val_if_fail (badge != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  data = sc_secret_get_data (badge, &len);
  if (len < BADGE_MIN_CHARS || len > BADGE_MAX_CHARS)
    {
      g_set_error (error, SC_USERS_ERROR, SC_USERS_ERROR_BAD_BADGE,
                   _("A badge code must have %d to %d characters; this one has %zu; scan the "
                     "badge again"),
                   BADGE_MIN_CHARS, BADGE_MAX_CHARS, len);
      return FALSE;
    }
  for (gsize i = 0; i < len; i++)
    if (data[i] < 0x20 || data[i] > 0x7e)
      {
        g_set_error_literal (error, SC_USERS_ERROR, SC_USERS_ERROR_BAD_BADGE,
                             _("A badge code must be printable ASCII text, as a barcode scanner types it; scan "
                               "the badge again"));
        return FALSE;
      }
  return TRUE;
}

/* ---------------------------------------------------------------- hashing */

const ScScryptParams *
sc_scrypt_params_get_default (void)
{
  return &default_params;
}

void
_sc_scrypt_params_set_default (const ScScryptParams *params)
{
  default_params = params != NULL ? *params : builtin_params;
}

static gboolean
params_in_bounds (const ScScryptParams *params)
{
  return params->log2_n >= SCRYPT_MIN_LOG2_N && params->log2_n <= SCRYPT_MAX_LOG2_N &&
         params->r >= 1 && params->r <= SCRYPT_MAX_R &&
         params->p >= 1 && params->p <= SCRYPT_MAX_P &&
         (guint64) 128 * params->r * (G_GUINT64_CONSTANT (1) << params->log2_n) <= SCRYPT_MAX_MEMORY;
}

static gboolean
scrypt_derive (ScSecret             *passcode,
               const guint8         *salt,
               gsize                 salt_len,
               const ScScryptParams *params,
               guint8               *out,
               gsize                 out_len)
{
  g_autoptr(EVP_KDF) kdf = EVP_KDF_fetch (NULL, OSSL_KDF_NAME_SCRYPT, NULL);
  g_autoptr(EVP_KDF_CTX) ctx = NULL;
  gsize len;
  const guint8 *data = sc_secret_get_data (passcode, &len);
  uint64_t n = G_GUINT64_CONSTANT (1) << params->log2_n;
  uint32_t r = params->r;
  uint32_t p = params->p;
  /* scrypt's V array and B blocks, with room to spare. */
  uint64_t maxmem = SCRYPT_MAX_MEMORY + (G_GUINT64_CONSTANT (1) << 22);
  OSSL_PARAM kdf_params[] = {
    OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_PASSWORD, (void *) data, len),
    OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_SALT, (void *) salt, salt_len),
    OSSL_PARAM_construct_uint64 (OSSL_KDF_PARAM_SCRYPT_N, &n),
    OSSL_PARAM_construct_uint32 (OSSL_KDF_PARAM_SCRYPT_R, &r),
    OSSL_PARAM_construct_uint32 (OSSL_KDF_PARAM_SCRYPT_P, &p),
    OSSL_PARAM_construct_uint64 (OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
    OSSL_PARAM_construct_end (),
  };

  if (kdf == NULL || (ctx = EVP_KDF_CTX_new (kdf)) == NULL)
    return FALSE;
  return EVP_KDF_derive (ctx, out, out_len, kdf_params) == 1;
}

/**
 * sc_passcode_hash:
 * @params: (nullable): the cost; %NULL for sc_scrypt_params_get_default()
 *
 * Returns: (transfer full): the hash, with its parameters and salt, as text.
 */
char *
sc_passcode_hash (ScSecret              *passcode,
                  const ScScryptParams  *params,
                  GError               **error)
{
  guint8 salt[SALT_LEN];
  guint8 hash[HASH_LEN];
  g_autofree char *salt64 = NULL;
  g_autofree char *hash64 = NULL;

  g_return_val_if_fail (passcode != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (params == NULL)
    params = &default_params;
  g_return_val_if_fail (params_in_bounds (params), NULL);

  if (RAND_bytes (salt, sizeof salt) != 1 ||
      !scrypt_derive (passcode, salt, sizeof salt, params, hash, sizeof hash))
    {
      sc_memwipe (hash, sizeof hash);
      _sc_set_openssl_error (error, SC_USERS_ERROR, SC_USERS_ERROR_HASH,
                             _("Cannot hash the passcode with scrypt"));
      return NULL;
    }

  salt64 = g_base64_encode (salt, sizeof salt);
  hash64 = g_base64_encode (hash, sizeof hash);
  sc_memwipe (hash, sizeof hash);
  return g_strdup_printf ("$scrypt$ln=%u,r=%u,p=%u$%s$%s", params->log2_n, params->r, params->p, salt64, hash64);
}

static gboolean
set_hash_unreadable (GError **error)
{
  g_set_error_literal (error, SC_USERS_ERROR, SC_USERS_ERROR_HASH,
                       _("The stored passcode hash of this user cannot be read; an admin must set a new "
                         "passcode"));
  return FALSE;
}

gboolean
sc_passcode_verify (const char  *hash,
                    ScSecret    *passcode,
                    gboolean    *needs_rehash,
                    GError     **error)
{
  g_auto(GStrv) parts = NULL;
  g_autofree guint8 *salt = NULL;
  g_autofree guint8 *stored = NULL;
  g_autofree guint8 *computed = NULL;
  ScScryptParams params = { 0 };
  gsize salt_len = 0, stored_len = 0;
  int consumed = -1;
  gboolean match;

  g_return_val_if_fail (hash != NULL, FALSE);
  g_return_val_if_fail (passcode != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (needs_rehash != NULL)
    *needs_rehash = FALSE;

  /* "", "scrypt", "ln=15,r=8,p=1", salt, hash */
  parts = g_strsplit (hash, "$", -1);
  if (g_strv_length (parts) != 5 || parts[0][0] != '\0' || strcmp (parts[1], "scrypt") != 0 ||
      sscanf (parts[2], "ln=%u,r=%u,p=%u%n", &params.log2_n, &params.r, &params.p, &consumed) != 3 ||
      consumed < 0 || parts[2][consumed] != '\0' || !params_in_bounds (&params))
    return set_hash_unreadable (error);

  salt = g_base64_decode (parts[3], &salt_len);
  stored = g_base64_decode (parts[4], &stored_len);
  if (salt_len < 8 || salt_len > 64 || stored_len < 16 || stored_len > 64)
    return set_hash_unreadable (error);

  computed = g_malloc (stored_len);
  if (!scrypt_derive (passcode, salt, salt_len, &params, computed, stored_len))
    {
      sc_memwipe (computed, stored_len);
      _sc_set_openssl_error (error, SC_USERS_ERROR, SC_USERS_ERROR_HASH,
                             _("Cannot check the passcode with scrypt"));
      return FALSE;
    }
  match = CRYPTO_memcmp (computed, stored, stored_len) == 0;
  sc_memwipe (computed, stored_len);
  sc_memwipe (stored, stored_len);

  if (!match)
    {
      g_set_error_literal (error, SC_USERS_ERROR, SC_USERS_ERROR_WRONG_PASSCODE, _("The passcode is wrong"));
      return FALSE;
    }

  if (needs_rehash != NULL)
    *needs_rehash = params.log2_n < default_params.log2_n || params.r < default_params.r ||
                    params.p < default_params.p;
  return TRUE;
}

gint64
sc_users_retry_delay (guint failures)
{
  if (failures == 0)
    return 0;
  if (failures > 7)
    return RETRY_MAX_DELAY;
  return MIN (RETRY_FIRST_DELAY << (failures - 1), RETRY_MAX_DELAY);
}

/* Whole seconds, rounded up, for a sentence. */
static int
wait_seconds (gint64 usec)
{
  return (int) MAX (1, (usec + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
}

/* ------------------------------------------------------------------ users */

static void
sc_users_finalize (GObject *object)
{
  ScUsers *self = SC_USERS (object);

  g_clear_object (&self->store);
  g_clear_object (&self->secret);
  g_mutex_clear (&self->badge_lock);

  G_OBJECT_CLASS (sc_users_parent_class)->finalize (object);
}

static void
sc_users_class_init (ScUsersClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sc_users_finalize;
}

static void
sc_users_init (ScUsers *self)
{
  g_mutex_init (&self->badge_lock);
}

/**
 * sc_users_new:
 *
 * Returns: (transfer full): the users of the station whose records are
 *   @store and whose secret (for badge codes) is @secret.
 */
ScUsers *
sc_users_new (ScStore         *store,
              ScStationSecret *secret)
{
  ScUsers *self;

  g_return_val_if_fail (SC_IS_STORE (store), NULL);
  g_return_val_if_fail (SC_IS_STATION_SECRET (secret), NULL);

  self = g_object_new (SC_TYPE_USERS, NULL);
  self->store = g_object_ref (store);
  self->secret = g_object_ref (secret);
  return self;
}

/**
 * sc_users_get_store:
 *
 * Returns: (transfer none): the store the users are kept in.
 */
ScStore *
sc_users_get_store (ScUsers *self)
{
  g_return_val_if_fail (SC_IS_USERS (self), NULL);
  return self->store;
}

void
_sc_users_set_clock (ScUsers      *self,
                     ScUsersClock  clock,
                     gpointer      data)
{
  g_return_if_fail (SC_IS_USERS (self));
  self->clock = clock;
  self->clock_data = data;
}

static gint64
now (ScUsers *self)
{
  return self->clock != NULL ? self->clock (self->clock_data) : g_get_real_time ();
}

gboolean
sc_users_count (ScUsers  *self,
                guint    *n_users,
                GError  **error)
{
  g_return_val_if_fail (SC_IS_USERS (self), FALSE);
  g_return_val_if_fail (n_users != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return sc_store_count_users (self->store, n_users, error);
}

/* What leaves ScUsers: never the passcode hash, nor the badge MAC. */
static ScUserRecord *
strip (ScUserRecord *user)
{
  g_clear_pointer (&user->passcode_hash, g_free);
  if (user->badge_mac != NULL)
    {
      g_free (user->badge_mac);
      user->badge_mac = g_strdup ("");   /* "has a badge" */
    }
  return user;
}

/**
 * sc_users_list:
 *
 * Returns: (transfer full) (element-type ScUserRecord): every user, by
 *   name, without passcode hashes; badge_mac is "" for a user with a badge.
 */
GPtrArray *
sc_users_list (ScUsers  *self,
               GError  **error)
{
  GPtrArray *users;

  g_return_val_if_fail (SC_IS_USERS (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  users = sc_store_list_users (self->store, error);
  if (users != NULL)
    for (guint i = 0; i < users->len; i++)
      strip (g_ptr_array_index (users, i));
  return users;
}

static void
list_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *users = sc_users_list (source_object, &error);

  if (users != NULL)
    g_task_return_pointer (task, users, (GDestroyNotify) g_ptr_array_unref);
  else
    g_task_return_error (task, error);
}

void
sc_users_list_async (ScUsers             *self,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SC_IS_USERS (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sc_users_list_async);
  g_task_run_in_thread (task, list_thread);
}

/**
 * sc_users_list_finish:
 *
 * Returns: (transfer full) (element-type ScUserRecord): as sc_users_list().
 */
GPtrArray *
sc_users_list_finish (ScUsers       *self,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --------------------------------------------------------------- sign-in */

/**
 * sc_users_sign_in:
 *
 * Returns: (transfer full): the user signed in, without the passcode hash.
 */
ScUserRecord *
sc_users_sign_in (ScUsers       *self,
                  const char    *name,
                  ScSecret      *passcode,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autoptr(ScUserRecord) user = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *new_hash = NULL;
  gboolean needs_rehash = FALSE;
  gboolean ok;
  gint64 t;

  g_return_val_if_fail (SC_IS_USERS (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (passcode != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  t = now (self);
  user = sc_store_begin_sign_in (self->store, name, t, error);
  if (user == NULL)
    return NULL;

  ok = sc_passcode_verify (user->passcode_hash, passcode, &needs_rehash, &local_error);
  if (ok && needs_rehash)
    new_hash = sc_passcode_hash (passcode, NULL, NULL);   /* kept as it was when this fails */

  if (!sc_store_finish_sign_in (self->store, user->name, "passcode", ok, new_hash, error))
    return NULL;

  if (!ok && g_error_matches (local_error, SC_USERS_ERROR, SC_USERS_ERROR_WRONG_PASSCODE))
    {
      int wait = wait_seconds (user->retry_after - t);

      g_set_error (error, SC_USERS_ERROR, SC_USERS_ERROR_WRONG_PASSCODE,
                   g_dngettext (GETTEXT_PACKAGE, "The passcode for %s is wrong; try again in %d second",
                                "The passcode for %s is wrong; try again in %d seconds", wait),
                   user->name, wait);
      return NULL;
    }
  if (!ok)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  user->failures = 0;
  user->retry_after = 0;
  return strip (g_steal_pointer (&user));
}

/**
 * sc_users_sign_in_badge:
 *
 * Returns: (transfer full): the user whose badge @badge is.
 */
ScUserRecord *
sc_users_sign_in_badge (ScUsers       *self,
                        ScSecret      *badge,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_autoptr(ScUserRecord) user = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *mac = NULL;
  gint64 t = now (self);
  gint64 retry_after;

  g_return_val_if_fail (SC_IS_USERS (self), NULL);
  g_return_val_if_fail (badge != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  g_mutex_lock (&self->badge_lock);
  retry_after = self->badge_retry_after;
  g_mutex_unlock (&self->badge_lock);
  if (t < retry_after)
    {
      int wait = wait_seconds (retry_after - t);

      g_set_error (error, SC_USERS_ERROR, SC_USERS_ERROR_THROTTLED,
                   g_dngettext (GETTEXT_PACKAGE,
                                "Badges that belong to nobody were scanned here: wait %d more second, then scan again",
                                "Badges that belong to nobody were scanned here: wait %d more seconds, then scan again",
                                wait),
                   wait);
      return NULL;
    }

  if (!sc_badge_check (badge, error))
    return NULL;

  mac = sc_station_secret_badge_mac (self->secret, badge);
  user = sc_store_find_user_by_badge (self->store, mac, &local_error);
  if (user == NULL && !g_error_matches (local_error, SC_USERS_ERROR, SC_USERS_ERROR_UNKNOWN))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  if (user == NULL)
    {
      guint failures;
      int wait;

      g_mutex_lock (&self->badge_lock);
      failures = ++self->badge_failures;
      self->badge_retry_after = t + sc_users_retry_delay (failures);
      g_mutex_unlock (&self->badge_lock);

      g_clear_error (&local_error);
      if (!sc_store_audit (self->store, g_get_host_name (), "sign-in-failed", NULL,
                           "a badge that belongs to nobody", error))
        return NULL;
      wait = wait_seconds (sc_users_retry_delay (failures));
      g_set_error (error, SC_USERS_ERROR, SC_USERS_ERROR_UNKNOWN,
                   g_dngettext (GETTEXT_PACKAGE,
                                "This badge belongs to nobody at this station; sign in with your name and passcode, "
                                "or ask an admin to register the badge (the next scan in %d second)",
                                "This badge belongs to nobody at this station; sign in with your name and passcode, "
                                "or ask an admin to register the badge (the next scan in %d seconds)", wait),
                   wait);
      return NULL;
    }

  if (user->disabled)
    {
      if (!sc_store_audit (self->store, user->name, "sign-in-refused", NULL, "disabled; by badge", error))
        return NULL;
      g_set_error (error, SC_USERS_ERROR, SC_USERS_ERROR_DISABLED,
                   _("%s is disabled at this station; ask an admin"), user->name);
      return NULL;
    }

  if (!sc_store_finish_sign_in (self->store, user->name, "badge", TRUE, NULL, error))
    return NULL;

  g_mutex_lock (&self->badge_lock);
  self->badge_failures = 0;
  self->badge_retry_after = 0;
  g_mutex_unlock (&self->badge_lock);
  return strip (g_steal_pointer (&user));
}

typedef struct
{
  char     *name;
  ScSecret *code;
} SignInData;

static void
sign_in_data_free (gpointer data)
{
  SignInData *d = data;

  g_free (d->name);
  g_clear_pointer (&d->code, sc_secret_unref);
  g_free (d);
}

static void
sign_in_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  SignInData *d = task_data;
  GError *error = NULL;
  ScUserRecord *user;

  if (d->name != NULL)
    user = sc_users_sign_in (source_object, d->name, d->code, cancellable, &error);
  else
    user = sc_users_sign_in_badge (source_object, d->code, cancellable, &error);
  /* The passcode or badge is not needed any longer: wiped now. */
  g_clear_pointer (&d->code, sc_secret_unref);

  if (user != NULL)
    g_task_return_pointer (task, user, (GDestroyNotify) sc_user_record_free);
  else
    g_task_return_error (task, error);
}

void
sc_users_sign_in_async (ScUsers             *self,
                        const char          *name,
                        ScSecret            *code,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SignInData *d;

  g_return_if_fail (SC_IS_USERS (self));
  g_return_if_fail (code != NULL);

  d = g_new0 (SignInData, 1);
  d->name = g_strdup (name);
  d->code = sc_secret_ref (code);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sc_users_sign_in_async);
  g_task_set_task_data (task, d, sign_in_data_free);
  g_task_run_in_thread (task, sign_in_thread);
}

/**
 * sc_users_sign_in_finish:
 *
 * Returns: (transfer full): the user signed in.
 */
ScUserRecord *
sc_users_sign_in_finish (ScUsers       *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
sign_out_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  ScUsers *self = source_object;
  GError *error = NULL;

  if (sc_store_audit (self->store, task_data, "sign-out", NULL, NULL, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
sc_users_sign_out_async (ScUsers             *self,
                         const char          *name,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SC_IS_USERS (self));
  g_return_if_fail (name != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sc_users_sign_out_async);
  g_task_set_task_data (task, g_strdup (name), g_free);
  g_task_run_in_thread (task, sign_out_thread);
}

gboolean
sc_users_sign_out_finish (ScUsers       *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---------------------------------------------------------------- changes */

static gboolean
check_admin (const ScUserRecord  *admin,
             GError             **error)
{
  /* The store checks again, in the transaction of the change, against the
   * records as they are then. */
  return admin == NULL || sc_user_check_right (admin, SC_RIGHT_MANAGE_USERS, error);
}

static gboolean
check_roles (guint    roles,
             GError **error)
{
  if (roles == 0 || (roles & ~SC_ROLES_ALL) != 0)
    {
      g_set_error_literal (error, SC_USERS_ERROR, SC_USERS_ERROR_BAD_ROLES,
                           _("A user needs at least one role: operator, qa, trainer or admin"));
      return FALSE;
    }
  return TRUE;
}

gboolean
sc_users_add (ScUsers             *self,
              const ScUserRecord  *admin,
              const char          *name,
              guint                roles,
              ScSecret            *passcode,
              GError             **error)
{
  ScUserRecord user = { 0 };
  g_autofree char *hash = NULL;

  g_return_val_if_fail (SC_IS_USERS (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (passcode != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_admin (admin, error) ||
      !sc_user_name_check (name, error) ||
      !check_roles (roles, error) ||
      !sc_passcode_check (passcode, error) ||
      !(hash = sc_passcode_hash (passcode, NULL, error)))
    return FALSE;

  user.name = (char *) name;
  user.roles = roles;
  user.passcode_hash = hash;
  return sc_store_add_user (self->store, &user, admin ? admin->name : NULL, error) > 0;
}

static gboolean
update (ScUsers             *self,
        const ScUserRecord  *admin,
        const char          *name,
        ScUserRecord        *user,
        guint                changes,
        GError             **error)
{
  if (admin == NULL)
    {
      /* Only the first user comes without an admin. */
      g_set_error_literal (error, SC_USERS_ERROR, SC_USERS_ERROR_SIGN_IN_NEEDED,
                           _("Sign in as an admin to change the station’s users"));
      return FALSE;
    }
  user->name = (char *) name;
  return sc_store_update_user (self->store, user, changes, admin->name, error);
}

gboolean
sc_users_set_roles (ScUsers             *self,
                    const ScUserRecord  *admin,
                    const char          *name,
                    guint                roles,
                    GError             **error)
{
  ScUserRecord user = { 0 };

  g_return_val_if_fail (SC_IS_USERS (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_admin (admin, error) || !check_roles (roles, error))
    return FALSE;
  user.roles = roles;
  return update (self, admin, name, &user, SC_USER_CHANGE_ROLES, error);
}

gboolean
sc_users_set_passcode (ScUsers             *self,
                       const ScUserRecord  *admin,
                       const char          *name,
                       ScSecret            *passcode,
                       GError             **error)
{
  ScUserRecord user = { 0 };
  g_autofree char *hash = NULL;

  g_return_val_if_fail (SC_IS_USERS (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (passcode != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_admin (admin, error) ||
      !sc_passcode_check (passcode, error) ||
      !(hash = sc_passcode_hash (passcode, NULL, error)))
    return FALSE;
  user.passcode_hash = hash;
  return update (self, admin, name, &user, SC_USER_CHANGE_PASSCODE, error);
}

gboolean
sc_users_set_badge (ScUsers             *self,
                    const ScUserRecord  *admin,
                    const char          *name,
                    ScSecret            *badge,
                    GError             **error)
{
  ScUserRecord user = { 0 };
  g_autofree char *mac = NULL;

  g_return_val_if_fail (SC_IS_USERS (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_admin (admin, error) || (badge != NULL && !sc_badge_check (badge, error)))
    return FALSE;
  if (badge != NULL)
    mac = sc_station_secret_badge_mac (self->secret, badge);
  user.badge_mac = mac;
  return update (self, admin, name, &user, SC_USER_CHANGE_BADGE, error);
}

gboolean
sc_users_set_disabled (ScUsers             *self,
                       const ScUserRecord  *admin,
                       const char          *name,
                       gboolean             disabled,
                       GError             **error)
{
  ScUserRecord user = { 0 };

  g_return_val_if_fail (SC_IS_USERS (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_admin (admin, error))
    return FALSE;
  user.disabled = !!disabled;
  return update (self, admin, name, &user, SC_USER_CHANGE_DISABLED, error);
}
