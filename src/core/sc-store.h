/* sc-store.h: the station's records
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "sc-payload.h"
#include "sc-profile.h"

G_BEGIN_DECLS

#define SC_STORE_ERROR (sc_store_error_quark ())

typedef enum
{
  SC_STORE_ERROR_ADDRESS,      /* the store URI is malformed */
  SC_STORE_ERROR_OPEN,         /* the database cannot be opened or migrated */
  SC_STORE_ERROR_FAILED,       /* a query failed; the message keeps the database's own text */
  SC_STORE_ERROR_DUPLICATE,    /* a unique rule: serial per product, public key, certificate serial, PIN */
  SC_STORE_ERROR_COMPLETED,    /* the serial was provisioned already; an override with a reason is needed */
  SC_STORE_ERROR_BUSY,         /* another live process is provisioning this serial now */
  SC_STORE_ERROR_NOT_FOUND,    /* no such unit */
  SC_STORE_ERROR_TAMPERED,     /* the audit chain does not verify */
  SC_STORE_ERROR_PRINTED,      /* a first print of a label that printed, or may have: only a reprint may follow */
} ScStoreError;

GQuark sc_store_error_quark (void);

/* Where a unit is in its run. The order matters: a resumed run continues from
 * the first step after its state. */
typedef enum
{
  SC_UNIT_STARTED = 0,     /* the run has begun: nothing irreversible yet */
  SC_UNIT_KEYED,           /* the key exists (on the unit, or made here) */
  SC_UNIT_SIGNED,          /* the certificate is issued and recorded */
  SC_UNIT_WRITTEN,         /* key (if station-made), chain and PIN committed on the unit */
  SC_UNIT_VERIFIED,        /* read back and challenged */
  SC_UNIT_LABELLED,        /* labels rendered and decoded back */
  SC_UNIT_COMPLETE,        /* labels printed: the unit passes */
  SC_UNIT_FAILED,          /* stopped with an error; a new run may start over */
  SC_UNIT_SUPERSEDED,      /* replaced by a re-provisioning with an override */
} ScUnitState;

const char *sc_unit_state_to_string (ScUnitState state);
/* The state in the operator's words, translated (the records keep the
 * names above). */
const char *sc_unit_state_to_display (ScUnitState state);

/* One unit's record. Strings may be NULL until their step has run. */
typedef struct
{
  gint64       id;
  char        *product;            /* DeviceTypeId */
  char        *pid;
  char        *serial;
  ScUnitState  state;
  int          key_origin;         /* ScKeyOrigin, or -1 before the key step */
  char        *public_key_sha256;  /* hex, of the DER SubjectPublicKeyInfo */
  char        *puk;
  char        *cert_serial;        /* hex */
  char        *chain_pem;          /* leaf first */
  char        *dak;                /* the DAK's certificate SHA-256, hex */
  GBytes      *pin_sealed;         /* the PIN under the station secret (sc-station-secret.h) */
  char        *station;
  char        *operator_name;
  char        *failure;            /* the last error sentence, for FAILED */
  gint64       created;            /* microseconds since the epoch, UTC */
  gint64       updated;
} ScUnitRecord;

typedef struct
{
  char     *name;
  gint64    started;
  gint64    finished;
  gboolean  ok;
  char     *error;
} ScStepRecord;

/* A label's print. Only PENDING may have left a label nobody accounts
 * for; the others say for sure whether one came out. */
typedef enum
{
  SC_PRINT_PENDING,   /* journaled, the job sent or about to be: how it ended is not known (the station
                       * stopped, or the job broke off part-way); a person decides, a reprint is recorded */
  SC_PRINT_DONE,      /* the printer took the job */
  SC_PRINT_FAILED,    /* the printer did not take it: nothing came out */
  SC_PRINT_NOT_SENT,  /* the printer was not ready (offline, out of paper, head open…): nothing was sent;
                       * the unit waits, print pending, and printing it again is safe */
} ScPrintStatus;

typedef struct
{
  gint64         id;
  ScLabelKind    kind;
  ScPrintStatus  status;
  gboolean       reprint;
  char        *reason;             /* reprints only */
  char        *printer;
  char        *operator_name;
  gint64       time;
  char        *error;              /* why it did not print, or why its outcome is not known */
} ScPrintRecord;

typedef struct
{
  guint64 signatures;              /* DAK signatures made */
  guint64 signatures_pending;      /* begun but not known to have finished (a crash) */
  guint64 signatures_failed;       /* the signer failed: no certificate exists */
  guint64 units_complete;
  guint64 units_failed;
  guint64 labels_printed;          /* first prints */
  guint64 labels_reprinted;
  guint64 prints_pending;          /* interrupted: whether they printed is not known */
} ScReconciliation;

void sc_unit_record_free  (ScUnitRecord  *record);
void sc_step_record_free  (ScStepRecord  *record);
void sc_print_record_free (ScPrintRecord *record);

/* Where a unit's @kind label stands, from its prints (sc_store_list_prints()):
 * DONE if a print took; else PENDING if one was sent and how it ended is not
 * known; else NOT_SENT: never printed, or only tries that left nothing, so
 * printing it is safe. @last (nullable) gets the newest print of that kind,
 * NULL when there is none. */
ScPrintStatus sc_print_records_get_label_status (GPtrArray            *prints,
                                                 ScLabelKind           kind,
                                                 const ScPrintRecord **last);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ScUnitRecord, sc_unit_record_free)

#define SC_TYPE_STORE (sc_store_get_type ())

/* Backends, one file each: SQLite now (sc-sqlite-store.c), PostgreSQL
 * later, behind this interface. The vtable is in sc-store-private.h. Every
 * call blocks; a store serialises its own connection, so one store may be
 * used from several threads. Every change appends to the audit log in the
 * same transaction, and every transaction is durable when the call returns. */
G_DECLARE_INTERFACE (ScStore, sc_store, SC, STORE, GObject)

/* sqlite:///path/to/file.db; NULL for the default, station.db in the data dir. */
ScStore        *sc_store_open            (const char        *uri,
                                          GError           **error);
char           *sc_store_describe        (ScStore           *self);

/* Starts a unit's run, or finds the one to resume.
 * - No live record for (product, serial): inserts one (STARTED) and returns it.
 * - A record that is neither COMPLETE, FAILED nor SUPERSEDED, owned by a
 *   process that is gone: returns it to resume (its owner becomes this one).
 *   Owned by a live process: SC_STORE_ERROR_BUSY.
 * - A COMPLETE record: with @override_reason, marks it SUPERSEDED and
 *   inserts a new one (audited with the reason); without, COMPLETED.
 * - An in-progress record whose owner is gone (or is this store), with
 *   @override_reason: superseded the same way, for a run that cannot go on
 *   by itself.
 * FAILED and SUPERSEDED records stay as history. */
ScUnitRecord   *sc_store_begin_unit      (ScStore           *self,
                                          const char        *product,
                                          const char        *pid,
                                          const char        *serial,
                                          const char        *station,
                                          const char        *operator_name,
                                          const char        *override_reason,
                                          GError           **error);

gboolean        sc_store_set_key         (ScStore           *self,
                                          gint64             unit_id,
                                          int                key_origin,
                                          const char        *public_key_sha256,
                                          const char        *puk,
                                          GError           **error);
/* Journals a DAK signature about to be made; returns its id. */
gint64          sc_store_begin_signature (ScStore           *self,
                                          gint64             unit_id,
                                          const char        *dak,
                                          GError           **error);
/* The signer failed (token lost, PIN refused, a signature that did not
 * verify): no certificate exists for this attempt. @reason is recorded. */
gboolean        sc_store_fail_signature  (ScStore           *self,
                                          gint64             signature_id,
                                          gint64             unit_id,
                                          const char        *reason,
                                          GError           **error);
/* The signature made: the certificate, and the unit becomes SIGNED. */
gboolean        sc_store_record_issue    (ScStore           *self,
                                          gint64             signature_id,
                                          gint64             unit_id,
                                          const char        *cert_serial,
                                          const char        *chain_pem,
                                          GError           **error);
/* The PIN, sealed, and its keyed hash for the uniqueness rule. */
gboolean        sc_store_set_pin         (ScStore           *self,
                                          gint64             unit_id,
                                          GBytes            *pin_sealed,
                                          const char        *pin_mac,
                                          GError           **error);
gboolean        sc_store_set_state       (ScStore           *self,
                                          gint64             unit_id,
                                          ScUnitState        state,
                                          const char        *failure,
                                          GError           **error);
/* Several steps of one run in one transaction (a run records its steps as
 * it ends, so the journal's own writes stay few). */
gboolean        sc_store_record_steps    (ScStore           *self,
                                          gint64             unit_id,
                                          const ScStepRecord *steps,
                                          guint              n_steps,
                                          GError           **error);
/* A print is journaled before the job is sent (PENDING) and finished after
 * (DONE or FAILED), so a crash between the two shows as a pending print
 * that a person must look at, never as a silent second print. A first
 * print (@reprint FALSE) of a label that has a done or pending print
 * already is refused (SC_STORE_ERROR_PRINTED), in the same transaction, so
 * two runs cannot both print it. Returns the print's id, 0 on error. */
gint64          sc_store_begin_print     (ScStore           *self,
                                          gint64             unit_id,
                                          ScLabelKind        kind,
                                          gboolean           reprint,
                                          const char        *reason,
                                          const char        *printer,
                                          const char        *operator_name,
                                          GError           **error);
/* How the job ended, from sc_printer_print()'s error: NULL, DONE; one that
 * sent nothing (sc_printer_error_sent_nothing()), NOT_SENT; any other,
 * PENDING: part of the job may have reached the printer, so whether a label
 * came out is not known and it is printed again only as a reprint. The
 * error's message is recorded. */
gboolean        sc_store_end_print_job   (ScStore           *self,
                                          gint64             print_id,
                                          const GError      *print_error,
                                          GError           **error);
/* Old form, kept until its last callers move to sc_store_end_print_job():
 * it records any failure as FAILED (nothing came out) without a reason,
 * which a job cut off part-way is not. Do not use it for a printer's
 * answer. */
gboolean        sc_store_finish_print    (ScStore           *self,
                                          gint64             print_id,
                                          gboolean           printed,
                                          GError           **error);
/* How a pending print ended, with the printer's reason when it did not
 * print: DONE, FAILED or NOT_SENT end it; PENDING keeps it pending (the
 * job broke off: nobody knows whether a label came out) and records why. */
gboolean        sc_store_end_print       (ScStore           *self,
                                          gint64             print_id,
                                          ScPrintStatus      status,
                                          const char        *reason,
                                          GError           **error);
/* Both at once, for a print already made. */
gboolean        sc_store_record_print    (ScStore           *self,
                                          gint64             unit_id,
                                          ScLabelKind        kind,
                                          gboolean           reprint,
                                          const char        *reason,
                                          const char        *printer,
                                          const char        *operator_name,
                                          GError           **error);

/* The newest record for (product, serial); NULL product: any product. */
ScUnitRecord   *sc_store_find_unit       (ScStore           *self,
                                          const char        *product,
                                          const char        *serial,
                                          GError           **error);
/* Records created in [since, until) (0: unbounded), oldest first. */
GPtrArray      *sc_store_list_units      (ScStore           *self,
                                          gint64             since,
                                          gint64             until,
                                          GError           **error);
GPtrArray      *sc_store_list_steps      (ScStore           *self,
                                          gint64             unit_id,
                                          GError           **error);
GPtrArray      *sc_store_list_prints     (ScStore           *self,
                                          gint64             unit_id,
                                          GError           **error);

gboolean        sc_store_audit           (ScStore           *self,
                                          const char        *actor,
                                          const char        *action,
                                          const char        *serial,
                                          const char        *details,
                                          GError           **error);
/* Walks the audit chain; on a break, SC_STORE_ERROR_TAMPERED names the
 * first entry that does not verify. Sets *n_entries. */
gboolean        sc_store_audit_verify    (ScStore           *self,
                                          guint64           *n_entries,
                                          GError           **error);
gboolean        sc_store_reconcile       (ScStore           *self,
                                          ScReconciliation  *out,
                                          GError           **error);

/* Searching: what QA asks the records for. */
typedef enum
{
  SC_UNIT_RESULT_ANY = 0,        /* every record */
  SC_UNIT_RESULT_PASSED,         /* COMPLETE */
  SC_UNIT_RESULT_FAILED,         /* FAILED */
  SC_UNIT_RESULT_IN_PROGRESS,    /* STARTED up to LABELLED: running, or stopped and waiting for a re-scan */
  SC_UNIT_RESULT_PRINT_PENDING,  /* a print journaled but not finished (a crash, a job cut off): a person must
                                  * look; or labels not sent to a printer that was not ready: the unit waits */
} ScUnitResult;

const char *sc_unit_result_to_string   (ScUnitResult  result);
gboolean    sc_unit_result_from_string (const char   *name,
                                        ScUnitResult *out);

typedef struct
{
  gint64        since;            /* created on or after; 0: unbounded */
  gint64        until;            /* created before; 0: unbounded */
  ScUnitResult  result;
  const char   *serial_contains;  /* case-insensitive; NULL or "": any */
  guint         limit;            /* at most this many, the newest; 0: no limit */
} ScUnitQuery;

/* Records matching @query, newest first. */
GPtrArray      *sc_store_search_units    (ScStore           *self,
                                          const ScUnitQuery *query,
                                          GError           **error);

/* One entry of the audit log. */
typedef struct
{
  gint64  id;
  gint64  time;                    /* microseconds since the epoch, UTC */
  char   *actor;
  char   *action;                  /* as recorded: "begin", "issued", "state:complete", "reprint", … */
  char   *serial;
  char   *details;
} ScAuditEntry;

void sc_audit_entry_free (ScAuditEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ScAuditEntry, sc_audit_entry_free)

/* The audit log's entries about @serial (every record of it), oldest first. */
GPtrArray      *sc_store_list_audit      (ScStore           *self,
                                          const char        *serial,
                                          GError           **error);

/* Users (sc-users.h has their rules, roles and sign-in; call these through
 * ScUsers). Neither a passcode nor a badge code is ever stored: only the
 * passcode's salted scrypt hash and the badge's HMAC under the station
 * secret. */
typedef struct
{
  gint64    id;
  char     *name;
  guint     roles;           /* ScRole flags (sc-users.h) */
  gboolean  disabled;
  char     *passcode_hash;   /* sc_passcode_hash()'s text; NULL when not read */
  char     *badge_mac;       /* HMAC-SHA256 of the badge code, hex; NULL: no badge */
  guint     failures;        /* wrong passcodes since the last sign-in */
  gint64    retry_after;     /* no passcode is checked before this (µs since the epoch, UTC) */
  gint64    created;
  gint64    updated;
} ScUserRecord;

void          sc_user_record_free (ScUserRecord       *record);
ScUserRecord *sc_user_record_copy (const ScUserRecord *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ScUserRecord, sc_user_record_free)

/* What sc_store_update_user() writes. */
typedef enum
{
  SC_USER_CHANGE_ROLES    = 1 << 0,
  SC_USER_CHANGE_PASSCODE = 1 << 1,
  SC_USER_CHANGE_BADGE    = 1 << 2,
  SC_USER_CHANGE_DISABLED = 1 << 3,
} ScUserChange;

/* Adds @user (name, roles, passcode hash, badge MAC), audited with @admin.
 * With no user yet, @user must be an admin and @admin may be NULL (the
 * system account is named); after that @admin must be an enabled admin.
 * SC_USERS_ERROR_EXISTS for a name or badge taken. Returns the id, 0 on
 * error. */
gint64          sc_store_add_user           (ScStore            *self,
                                             const ScUserRecord *user,
                                             const char         *admin,
                                             GError            **error);
/* Writes @changes of @user (found by name), one audit entry each, by
 * @admin, an enabled admin. The last enabled admin stays one
 * (SC_USERS_ERROR_LAST_ADMIN). A new passcode clears the failures. */
gboolean        sc_store_update_user        (ScStore            *self,
                                             const ScUserRecord *user,
                                             guint               changes,
                                             const char         *admin,
                                             GError            **error);
/* NULL with SC_USERS_ERROR_UNKNOWN when there is none. */
ScUserRecord   *sc_store_find_user          (ScStore            *self,
                                             const char         *name,
                                             GError            **error);
ScUserRecord   *sc_store_find_user_by_badge (ScStore            *self,
                                             const char         *badge_mac,
                                             GError            **error);
/* Every user, ordered by name. */
GPtrArray      *sc_store_list_users         (ScStore            *self,
                                             GError            **error);
gboolean        sc_store_count_users        (ScStore            *self,
                                             guint              *n_users,
                                             GError            **error);
/* Claims a passcode check for @name at @now, in one transaction: refuses a
 * disabled user (DISABLED) and a name still waiting (THROTTLED); otherwise
 * counts a failure in advance (so checks in parallel cannot skip the wait)
 * and returns the user with the passcode hash to check. */
ScUserRecord   *sc_store_begin_sign_in      (ScStore            *self,
                                             const char         *name,
                                             gint64              now,
                                             GError            **error);
/* How the check ended: @ok clears the failures and audits "sign-in";
 * otherwise "sign-in-failed" with the failures in a row and the wait.
 * @method: "passcode" or "badge". @new_hash (nullable) replaces the
 * passcode hash (stronger parameters), in the same transaction. */
gboolean        sc_store_finish_sign_in     (ScStore            *self,
                                             const char         *name,
                                             const char         *method,
                                             gboolean            ok,
                                             const char         *new_hash,
                                             GError            **error);

G_END_DECLS
