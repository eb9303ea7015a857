/* sc-users.h: who works at the station: users, roles, passcodes, badges, sign-in
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "sc-secret.h"
#include "sc-station-secret.h"
#include "sc-store.h"

G_BEGIN_DECLS

#define SC_USERS_ERROR (sc_users_error_quark ())

typedef enum
{
  SC_USERS_ERROR_BAD_NAME,        /* empty, too long, or not printable */
  SC_USERS_ERROR_BAD_ROLES,       /* no role, or one this station does not know */
  SC_USERS_ERROR_BAD_PASSCODE,    /* too short or too long */
  SC_USERS_ERROR_BAD_BADGE,       /* too short, too long, or not printable */
  SC_USERS_ERROR_EXISTS,          /* the name, or the badge, is another user's */
  SC_USERS_ERROR_UNKNOWN,         /* no such user, or no user with this badge */
  SC_USERS_ERROR_DISABLED,        /* the user was disabled by an admin */
  SC_USERS_ERROR_WRONG_PASSCODE,  /* the passcode does not match */
  SC_USERS_ERROR_THROTTLED,       /* wrong passcodes before: no passcode is checked until the wait is over */
  SC_USERS_ERROR_SIGN_IN_NEEDED,  /* users are defined and nobody has signed in */
  SC_USERS_ERROR_NOT_ALLOWED,     /* the user's roles do not allow it */
  SC_USERS_ERROR_FIRST_ADMIN,     /* the first user of a station must be an admin */
  SC_USERS_ERROR_LAST_ADMIN,      /* the last enabled admin cannot be disabled or lose the role */
  SC_USERS_ERROR_HASH,            /* a stored passcode hash that cannot be read */
} ScUsersError;

GQuark sc_users_error_quark (void);

/* Roles, as flags: a user may hold several. */
typedef enum
{
  SC_ROLE_OPERATOR = 1 << 0,   /* provisions units */
  SC_ROLE_QA       = 1 << 1,   /* reprints labels, re-provisions completed serials */
  SC_ROLE_TRAINER  = 1 << 2,   /* training mode, which never asks anyone to sign in */
  SC_ROLE_ADMIN    = 1 << 3,   /* settings and users */
} ScRole;

#define SC_ROLES_ALL (SC_ROLE_OPERATOR | SC_ROLE_QA | SC_ROLE_TRAINER | SC_ROLE_ADMIN)

/* "operator,qa,trainer,admin" (those held, in this order); "" for none. */
char       *sc_roles_to_string   (guint        roles);
/* Parses a comma-separated list of role names (case-insensitive, "QA" or
 * "qa"); at least one. */
gboolean    sc_roles_from_string (const char  *text,
                                  guint       *roles,
                                  GError     **error);
/* The role's name for people ("Operator", "QA", …), translated. */
const char *sc_role_get_title    (ScRole       role);

/* What a person may do, and the role it needs. */
typedef enum
{
  SC_RIGHT_PROVISION,      /* operator */
  SC_RIGHT_REPRINT,        /* QA */
  SC_RIGHT_OVERRIDE,       /* QA: re-provision a serial that completed */
  SC_RIGHT_SETTINGS,       /* admin */
  SC_RIGHT_MANAGE_USERS,   /* admin */
} ScRight;

/* The role that grants @right. */
ScRole      sc_right_get_role    (ScRight      right);
/* Whether @user (NULL: nobody signed in) may do @right. Only for a station
 * with users: a station without any runs without sign-in. Errors:
 * SIGN_IN_NEEDED, DISABLED, NOT_ALLOWED, each a sentence saying who may. */
gboolean    sc_user_check_right  (const ScUserRecord *user,
                                  ScRight             right,
                                  GError            **error);

/* The rules for what a person types or scans. Names: 1 to 64 characters,
 * no control characters, no spaces at either end. Passcodes: 6 to 128
 * bytes. Badge codes: 4 to 128 printable ASCII characters. */
gboolean    sc_user_name_check   (const char  *name,
                                  GError     **error);
gboolean    sc_passcode_check    (ScSecret    *passcode,
                                  GError     **error);
gboolean    sc_badge_check       (ScSecret    *badge,
                                  GError     **error);

/* scrypt's cost: N = 2^log2_n, block size r, parallelism p. */
typedef struct
{
  guint log2_n;
  guint r;
  guint p;
} ScScryptParams;

/* The parameters new hashes get: N = 2^15, r = 8, p = 1 (32 MiB). */
const ScScryptParams *sc_scrypt_params_get_default (void);

/* "$scrypt$ln=15,r=8,p=1$SALT$HASH" (base64): a random 16-byte salt and
 * a 32-byte scrypt output (OpenSSL's EVP_KDF "SCRYPT"). The parameters are
 * kept with the hash, so they can be raised later: a hash made with less
 * than the default is made again at the next sign-in. */
char       *sc_passcode_hash     (ScSecret              *passcode,
                                  const ScScryptParams  *params,
                                  GError               **error);
/* Compares in constant time. FALSE with WRONG_PASSCODE when it does not
 * match, HASH when @hash cannot be read (or asks for more than 1 GiB).
 * @needs_rehash (nullable): set when @hash's parameters are below the
 * default's. */
gboolean    sc_passcode_verify   (const char  *hash,
                                  ScSecret    *passcode,
                                  gboolean    *needs_rehash,
                                  GError     **error);

/* How long a name waits after @failures wrong passcodes in a row before
 * the next is checked, in microseconds: 1 s, doubled with each failure,
 * at most 60 s. Never a lockout: the line goes on once the wait is over. */
gint64      sc_users_retry_delay (guint        failures);

#define SC_TYPE_USERS (sc_users_get_type ())

/* The users of one station: kept in its store, badges looked up by their
 * HMAC under the station secret. Every call blocks (scrypt takes a fifth of
 * a second by design); the GUI uses the _async forms. Every change needs an
 * enabled admin (@admin, a user signed in with sc_users_sign_in()), except
 * the first user, who must be an admin; every change is audited with the
 * admin's name. */
G_DECLARE_FINAL_TYPE (ScUsers, sc_users, SC, USERS, GObject)

ScUsers      *sc_users_new              (ScStore             *store,
                                         ScStationSecret     *secret);
ScStore      *sc_users_get_store        (ScUsers             *self);

/* How many users the station has (disabled ones too). None: the station
 * runs without sign-in. */
gboolean      sc_users_count            (ScUsers             *self,
                                         guint               *n_users,
                                         GError             **error);
/* Every user, by name; each without its passcode hash. */
GPtrArray    *sc_users_list             (ScUsers             *self,
                                         GError             **error);
void          sc_users_list_async       (ScUsers             *self,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
GPtrArray    *sc_users_list_finish      (ScUsers             *self,
                                         GAsyncResult        *result,
                                         GError             **error);

/* Signs in by name and passcode. A wrong passcode is audited and refused,
 * and the name waits sc_users_retry_delay() before its next passcode is
 * checked (THROTTLED until then, the passcode not even looked at). The
 * user is returned without the passcode hash. */
ScUserRecord *sc_users_sign_in          (ScUsers             *self,
                                         const char          *name,
                                         ScSecret            *passcode,
                                         GCancellable        *cancellable,
                                         GError             **error);
/* Signs in by a scanned badge code. An unknown badge is audited and makes
 * the next badge on this ScUsers wait the same growing delay. */
ScUserRecord *sc_users_sign_in_badge    (ScUsers             *self,
                                         ScSecret            *badge,
                                         GCancellable        *cancellable,
                                         GError             **error);
/* Either, in a worker thread: @name NULL signs in by the badge @code. */
void          sc_users_sign_in_async    (ScUsers             *self,
                                         const char          *name,
                                         ScSecret            *code,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
ScUserRecord *sc_users_sign_in_finish   (ScUsers             *self,
                                         GAsyncResult        *result,
                                         GError             **error);
/* Audits the end of @name's session (best effort, in a worker thread). */
void          sc_users_sign_out_async   (ScUsers             *self,
                                         const char          *name,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
gboolean      sc_users_sign_out_finish  (ScUsers             *self,
                                         GAsyncResult        *result,
                                         GError             **error);

/* Changes, each by @admin (NULL only for a station's first user). */
gboolean      sc_users_add              (ScUsers             *self,
                                         const ScUserRecord  *admin,
                                         const char          *name,
                                         guint                roles,
                                         ScSecret            *passcode,
                                         GError             **error);
gboolean      sc_users_set_roles        (ScUsers             *self,
                                         const ScUserRecord  *admin,
                                         const char          *name,
                                         guint                roles,
                                         GError             **error);
gboolean      sc_users_set_passcode     (ScUsers             *self,
                                         const ScUserRecord  *admin,
                                         const char          *name,
                                         ScSecret            *passcode,
                                         GError             **error);
/* @badge NULL removes the user's badge. */
gboolean      sc_users_set_badge        (ScUsers             *self,
                                         const ScUserRecord  *admin,
                                         const char          *name,
                                         ScSecret            *badge,
                                         GError             **error);
gboolean      sc_users_set_disabled     (ScUsers             *self,
                                         const ScUserRecord  *admin,
                                         const char          *name,
                                         gboolean             disabled,
                                         GError             **error);

G_END_DECLS
