/* sc-store-private.h: the store vtable, for backends
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sc-store.h"

G_BEGIN_DECLS

struct _ScStoreInterface
{
  GTypeInterface parent_iface;

  char         *(*describe)        (ScStore *self);
  ScUnitRecord *(*begin_unit)      (ScStore *self, const char *product, const char *pid, const char *serial,
                                    const char *station, const char *operator_name,
                                    const char *override_reason, GError **error);
  gboolean      (*set_key)         (ScStore *self, gint64 unit_id, int key_origin,
                                    const char *public_key_sha256, const char *puk, GError **error);
  gint64        (*begin_signature) (ScStore *self, gint64 unit_id, const char *dak, GError **error);
  gboolean      (*fail_signature)  (ScStore *self, gint64 signature_id, gint64 unit_id, const char *reason,
                                    GError **error);
  gboolean      (*record_issue)    (ScStore *self, gint64 signature_id, gint64 unit_id,
                                    const char *cert_serial, const char *chain_pem, GError **error);
  gboolean      (*set_pin)         (ScStore *self, gint64 unit_id, GBytes *pin_sealed, const char *pin_mac,
                                    GError **error);
  gboolean      (*set_state)       (ScStore *self, gint64 unit_id, ScUnitState state, const char *failure,
                                    GError **error);
  gboolean      (*record_steps)    (ScStore *self, gint64 unit_id, const ScStepRecord *steps, guint n_steps,
                                    GError **error);
  gint64        (*begin_print)     (ScStore *self, gint64 unit_id, ScLabelKind kind, gboolean reprint,
                                    const char *reason, const char *printer, const char *operator_name,
                                    GError **error);
  gboolean      (*end_print)       (ScStore *self, gint64 print_id, ScPrintStatus status, const char *reason,
                                    GError **error);
  ScUnitRecord *(*find_unit)       (ScStore *self, const char *product, const char *serial, GError **error);
  GPtrArray    *(*list_units)      (ScStore *self, gint64 since, gint64 until, GError **error);
  GPtrArray    *(*list_steps)      (ScStore *self, gint64 unit_id, GError **error);
  GPtrArray    *(*list_prints)     (ScStore *self, gint64 unit_id, GError **error);
  gboolean      (*audit)           (ScStore *self, const char *actor, const char *action, const char *serial,
                                    const char *details, GError **error);
  gboolean      (*audit_verify)    (ScStore *self, guint64 *n_entries, GError **error);
  gboolean      (*reconcile)       (ScStore *self, ScReconciliation *out, GError **error);
  GPtrArray    *(*search_units)    (ScStore *self, const ScUnitQuery *query, GError **error);
  GPtrArray    *(*list_audit)      (ScStore *self, const char *serial, GError **error);

  gint64        (*add_user)        (ScStore *self, const ScUserRecord *user, const char *admin, GError **error);
  gboolean      (*update_user)     (ScStore *self, const ScUserRecord *user, guint changes, const char *admin,
                                    GError **error);
  ScUserRecord *(*find_user)       (ScStore *self, const char *name, GError **error);
  ScUserRecord *(*find_user_by_badge) (ScStore *self, const char *badge_mac, GError **error);
  GPtrArray    *(*list_users)      (ScStore *self, GError **error);
  gboolean      (*count_users)     (ScStore *self, guint *n_users, GError **error);
  ScUserRecord *(*begin_sign_in)   (ScStore *self, const char *name, gint64 now, GError **error);
  gboolean      (*finish_sign_in)  (ScStore *self, const char *name, const char *method, gboolean ok,
                                    const char *new_hash, GError **error);
};

/* Rows, and the records read from them (sc-store.c), shared by every
 * backend. A backend wraps one row of its own result (an SQLite statement,
 * a libpq result and a row number) in a struct that begins with an
 * ScStoreRow whose funcs read its columns, numbered from 0 in the order the
 * query selected them. */
typedef struct _ScStoreRow ScStoreRow;

typedef struct
{
  gint64      (*get_int64) (const ScStoreRow *row, int column);  /* 0 for NULL */
  const char *(*get_text)  (const ScStoreRow *row, int column);  /* NULL for NULL; valid until the next row */
  GBytes     *(*get_bytes) (const ScStoreRow *row, int column);  /* NULL for NULL */
} ScStoreRowFuncs;

struct _ScStoreRow
{
  const ScStoreRowFuncs *funcs;
};

/* Called for each row of a query: TRUE to go on to the next row, FALSE to
 * stop there; FALSE with @error set fails the query. */
typedef gboolean (*ScStoreRowFunc) (const ScStoreRow *row, gpointer data, GError **error);

/* The columns each reader expects, first in its row and in this order. */
#define SC_STORE_UNIT_COLUMNS \
  "id, product, pid, serial, state, key_origin, public_key_sha256, puk, cert_serial, chain_pem, " \
  "dak, pin_sealed, station, operator, failure, created, updated"
#define SC_STORE_N_UNIT_COLUMNS 17
#define SC_STORE_STEP_COLUMNS  "name, started, finished, ok, error"
#define SC_STORE_PRINT_COLUMNS "id, kind, reprint, reason, printer, operator, time, status, error"
#define SC_STORE_AUDIT_COLUMNS "id, time, actor, action, serial, details"
#define SC_STORE_USER_COLUMNS \
  "id, name, roles, disabled, passcode_hash, badge_mac, failures, retry_after, created, updated"

ScUnitRecord  *_sc_unit_record_from_row  (const ScStoreRow *row);
ScStepRecord  *_sc_step_record_from_row  (const ScStoreRow *row);
ScPrintRecord *_sc_print_record_from_row (const ScStoreRow *row);
ScAuditEntry  *_sc_audit_entry_from_row  (const ScStoreRow *row);
ScUserRecord  *_sc_user_record_from_row  (const ScStoreRow *row);

static inline gint64
_sc_store_row_get_int64 (const ScStoreRow *row,
                         int               column)
{
  return row->funcs->get_int64 (row, column);
}

static inline const char *
_sc_store_row_get_text (const ScStoreRow *row,
                        int               column)
{
  return row->funcs->get_text (row, column);
}

static inline char *
_sc_store_row_dup_text (const ScStoreRow *row,
                        int               column)
{
  return g_strdup (row->funcs->get_text (row, column));
}

/* The SQLite backend (sc-sqlite-store.c). */
ScStore *_sc_sqlite_store_open (const char *path, GError **error);

G_END_DECLS
