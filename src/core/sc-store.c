/* sc-store.c: the store interface, its records, and the URI factory
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "sc-blocking-private.h"
#include "sc-printer.h"
#include "sc-store-private.h"

G_DEFINE_QUARK (sc-store-error-quark, sc_store_error)

G_DEFINE_INTERFACE (ScStore, sc_store, G_TYPE_OBJECT)

static void
sc_store_default_init (ScStoreInterface *iface)
{
}

/**
 * sc_unit_state_to_string:
 *
 * Returns: the state's name as stored in the database; never translated.
 */
const char *
sc_unit_state_to_string (ScUnitState state)
{
  switch (state)
    {
    case SC_UNIT_STARTED:
      return "started";
    case SC_UNIT_KEYED:
      return "keyed";
    case SC_UNIT_SIGNED:
      return "signed";
    case SC_UNIT_WRITTEN:
      return "written";
    case SC_UNIT_VERIFIED:
      return "verified";
    case SC_UNIT_LABELLED:
      return "labelled";
    case SC_UNIT_COMPLETE:
      return "complete";
    case SC_UNIT_FAILED:
      return "failed";
    case SC_UNIT_SUPERSEDED:
      return "superseded";
    default:
      g_return_val_if_reached (NULL);
    }
}

/**
 * sc_unit_state_to_display:
 *
 * Returns: the state in the operator's words, translated, for sentences and
 * lists people read (the records keep sc_unit_state_to_string()'s names).
 */
const char *
sc_unit_state_to_display (ScUnitState state)
{
  switch (state)
    {
    case SC_UNIT_STARTED:
      return C_("unit state", "started");
    case SC_UNIT_KEYED:
      return C_("unit state", "keyed");
    case SC_UNIT_SIGNED:
      return C_("unit state", "signed");
    case SC_UNIT_WRITTEN:
      return C_("unit state", "written");
    case SC_UNIT_VERIFIED:
      return C_("unit state", "verified");
    case SC_UNIT_LABELLED:
      return C_("unit state", "labelled");
    case SC_UNIT_COMPLETE:
      return C_("unit state", "complete");
    case SC_UNIT_FAILED:
      return C_("unit state", "failed");
    case SC_UNIT_SUPERSEDED:
      return C_("unit state", "superseded");
    default:
      return "?";
    }
}

void
sc_unit_record_free (ScUnitRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->product);
  g_free (record->pid);
  g_free (record->serial);
  g_free (record->public_key_sha256);
  g_free (record->puk);
  g_free (record->cert_serial);
  g_free (record->chain_pem);
  g_free (record->dak);
  g_clear_pointer (&record->pin_sealed, g_bytes_unref);
  g_free (record->station);
  g_free (record->operator_name);
  g_free (record->failure);
  g_free (record);
}

void
sc_step_record_free (ScStepRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->name);
  g_free (record->error);
  g_free (record);
}

void
sc_print_record_free (ScPrintRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->reason);
  g_free (record->printer);
  g_free (record->operator_name);
  g_free (record->error);
  g_free (record);
}

ScPrintStatus
sc_print_records_get_label_status (GPtrArray            *prints,
                                   ScLabelKind           kind,
                                   const ScPrintRecord **last)
{
  gboolean done = FALSE, pending = FALSE;

  g_return_val_if_fail (prints != NULL, SC_PRINT_NOT_SENT);

  if (last != NULL)
    *last = NULL;
  for (guint i = 0; i < prints->len; i++)
    {
      const ScPrintRecord *p = g_ptr_array_index (prints, i);

      if (p->kind != kind)
        continue;
      done |= p->status == SC_PRINT_DONE;
      pending |= p->status == SC_PRINT_PENDING;
      if (last != NULL)
        *last = p;
    }
  return done ? SC_PRINT_DONE : pending ? SC_PRINT_PENDING : SC_PRINT_NOT_SENT;
}

/**
 * sc_store_open:
 * @uri: (nullable): `sqlite:///absolute/path.db`, or %NULL for
 *   `$XDG_DATA_HOME/setup-console/station.db`
 *
 * Returns: (transfer full): the open store, its schema up to date.
 */
ScStore *
sc_store_open (const char  *uri,
               GError     **error)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  _sc_blocking_check (G_STRFUNC);

  if (uri == NULL)
    {
      path = g_build_filename (g_get_user_data_dir (), "setup-console", "station.db", NULL);
      return _sc_sqlite_store_open (path, error);
    }

  if (g_str_has_prefix (uri, "sqlite://"))
    {
      const char *rest = uri + strlen ("sqlite://");

      /* Only a local absolute path: sqlite:///var/lib/x.db. No host part,
       * no query: nothing else would be honoured, so nothing else is accepted. */
      if (rest[0] == '/' && strpbrk (rest, "?#") == NULL)
        path = g_uri_unescape_string (rest, "/");
      if (path == NULL || path[1] == '\0' || g_str_has_suffix (path, "/"))
        {
          g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_ADDRESS,
                       _("“%s” is not a usable store address; write sqlite:// followed by the "
                         "absolute path of the database file, for example sqlite:///var/lib/station.db"),
                       uri);
          return NULL;
        }
      return _sc_sqlite_store_open (path, error);
    }

  g_set_error (error, SC_STORE_ERROR, SC_STORE_ERROR_ADDRESS,
               _("The store address “%s” names a database this Setup Console cannot use; "
                 "only sqlite:// stores are built so far, so give a sqlite:///path/to/file.db address"),
               uri);
  return NULL;
}

/**
 * sc_store_describe:
 *
 * Returns: (transfer full): a short text naming the store for the operator.
 */
char *
sc_store_describe (ScStore *self)
{
  g_return_val_if_fail (SC_IS_STORE (self), NULL);

  return SC_STORE_GET_IFACE (self)->describe (self);
}

/**
 * sc_store_begin_unit:
 *
 * Returns: (transfer full): the new or resumed record.
 */
ScUnitRecord *
sc_store_begin_unit (ScStore     *self,
                     const char  *product,
                     const char  *pid,
                     const char  *serial,
                     const char  *station,
                     const char  *operator_name,
                     const char  *override_reason,
                     GError     **error)
{
  g_return_val_if_fail (SC_IS_STORE (self), NULL);
  g_return_val_if_fail (product != NULL && *product != '\0', NULL);
  g_return_val_if_fail (serial != NULL && *serial != '\0', NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->begin_unit (self, product, pid, serial, station, operator_name,
                                                override_reason, error);
}

gboolean
sc_store_set_key (ScStore     *self,
                  gint64       unit_id,
                  int          key_origin,
                  const char  *public_key_sha256,
                  const char  *puk,
                  GError     **error)
{
  g_return_val_if_fail (SC_IS_STORE (self), FALSE);
  g_return_val_if_fail (unit_id > 0, FALSE);
  g_return_val_if_fail (public_key_sha256 != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->set_key (self, unit_id, key_origin, public_key_sha256, puk, error);
}

/**
 * sc_store_begin_signature:
 *
 * Returns: the signature's id, or 0 with @error set.
 */
gint64
sc_store_begin_signature (ScStore     *self,
                          gint64       unit_id,
                          const char  *dak,
                          GError     **error)
{
  g_return_val_if_fail (SC_IS_STORE (self), 0);
  g_return_val_if_fail (unit_id > 0, 0);
  g_return_val_if_fail (dak != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->begin_signature (self, unit_id, dak, error);
}

gboolean
sc_store_fail_signature (ScStore     *self,
                         gint64       signature_id,
                         gint64       unit_id,
                         const char  *reason,
                         GError     **error)
{
  g_return_val_if_fail (SC_IS_STORE (self), FALSE);
  g_return_val_if_fail (signature_id > 0, FALSE);
  g_return_val_if_fail (unit_id > 0, FALSE);
  g_return_val_if_fail (reason != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->fail_signature (self, signature_id, unit_id, reason, error);
}

gboolean
sc_store_record_issue (ScStore     *self,
                       gint64       signature_id,
                       gint64       unit_id,
                       const char  *cert_serial,
                       const char  *chain_pem,
                       GError     **error)
{
  g_return_val_if_fail (SC_IS_STORE (self), FALSE);
  g_return_val_if_fail (signature_id > 0, FALSE);
  g_return_val_if_fail (unit_id > 0, FALSE);
  g_return_val_if_fail (cert_serial != NULL && *cert_serial != '\0', FALSE);
  g_return_val_if_fail (chain_pem != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->record_issue (self, signature_id, unit_id, cert_serial, chain_pem, error);
}

gboolean
sc_store_set_pin (ScStore     *self,
                  gint64       unit_id,
                  GBytes      *pin_sealed,
                  const char  *pin_mac,
                  GError     **error)
{
  g_return_val_if_fail (SC_IS_STORE (self), FALSE);
  g_return_val_if_fail (unit_id > 0, FALSE);
  g_return_val_if_fail (pin_sealed != NULL, FALSE);
  g_return_val_if_fail (pin_mac != NULL && *pin_mac != '\0', FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->set_pin (self, unit_id, pin_sealed, pin_mac, error);
}

gboolean
sc_store_set_state (ScStore      *self,
                    gint64        unit_id,
                    ScUnitState   state,
                    const char   *failure,
                    GError      **error)
{
  g_return_val_if_fail (SC_IS_STORE (self), FALSE);
  g_return_val_if_fail (unit_id > 0, FALSE);
  g_return_val_if_fail (state >= SC_UNIT_STARTED && state <= SC_UNIT_SUPERSEDED, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->set_state (self, unit_id, state, failure, error);
}

gboolean
sc_store_record_steps (ScStore             *self,
                       gint64               unit_id,
                       const ScStepRecord  *steps,
                       guint                n_steps,
                       GError             **error)
{
  g_return_val_if_fail (SC_IS_STORE (self), FALSE);
  g_return_val_if_fail (steps != NULL || n_steps == 0, FALSE);

  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->record_steps (self, unit_id, steps, n_steps, error);
}

gint64
sc_store_begin_print (ScStore      *self,
                      gint64        unit_id,
                      ScLabelKind   kind,
                      gboolean      reprint,
                      const char   *reason,
                      const char   *printer,
                      const char   *operator_name,
                      GError      **error)
{
  g_return_val_if_fail (SC_IS_STORE (self), 0);
  g_return_val_if_fail (!reprint || (reason != NULL && *reason != '\0'), 0);

  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->begin_print (self, unit_id, kind, reprint, reason, printer, operator_name,
                                                 error);
}

gboolean
sc_store_finish_print (ScStore   *self,
                       gint64     print_id,
                       gboolean   printed,
                       GError   **error)
{
  g_return_val_if_fail (SC_IS_STORE (self), FALSE);

  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->end_print (self, print_id, printed ? SC_PRINT_DONE : SC_PRINT_FAILED, NULL,
                                               error);
}

/**
 * sc_store_end_print_job:
 * @print_error: (nullable): what sc_printer_print() failed with, or %NULL
 *   when it printed
 *
 * Records how a journaled print ended, the way every caller must classify
 * it: only an error that sent nothing leaves the label safe to print again.
 */
gboolean
sc_store_end_print_job (ScStore       *self,
                        gint64         print_id,
                        const GError  *print_error,
                        GError       **error)
{
  ScPrintStatus status;

  g_return_val_if_fail (SC_IS_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (print_error == NULL)
    status = SC_PRINT_DONE;
  else
    status = sc_printer_error_sent_nothing (print_error) ? SC_PRINT_NOT_SENT : SC_PRINT_PENDING;
  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->end_print (self, print_id, status,
                                               print_error ? print_error->message : NULL, error);
}

gboolean
sc_store_end_print (ScStore        *self,
                    gint64          print_id,
                    ScPrintStatus   status,
                    const char     *reason,
                    GError        **error)
{
  g_return_val_if_fail (SC_IS_STORE (self), FALSE);
  g_return_val_if_fail (status <= SC_PRINT_NOT_SENT, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->end_print (self, print_id, status, reason, error);
}

gboolean
sc_store_record_print (ScStore      *self,
                       gint64        unit_id,
                       ScLabelKind   kind,
                       gboolean      reprint,
                       const char   *reason,
                       const char   *printer,
                       const char   *operator_name,
                       GError      **error)
{
  gint64 id = sc_store_begin_print (self, unit_id, kind, reprint, reason, printer, operator_name, error);

  return id > 0 && sc_store_end_print (self, id, SC_PRINT_DONE, NULL, error);
}

/**
 * sc_store_find_unit:
 *
 * Returns: (transfer full): the newest record, or %NULL with
 *   %SC_STORE_ERROR_NOT_FOUND when there is none.
 */
ScUnitRecord *
sc_store_find_unit (ScStore     *self,
                    const char  *product,
                    const char  *serial,
                    GError     **error)
{
  g_return_val_if_fail (SC_IS_STORE (self), NULL);
  g_return_val_if_fail (serial != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->find_unit (self, product, serial, error);
}

/**
 * sc_store_list_units:
 *
 * Returns: (transfer full) (element-type ScUnitRecord): the records.
 */
GPtrArray *
sc_store_list_units (ScStore     *self,
                     gint64       since,
                     gint64       until,
                     GError     **error)
{
  g_return_val_if_fail (SC_IS_STORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->list_units (self, since, until, error);
}

/**
 * sc_store_list_steps:
 *
 * Returns: (transfer full) (element-type ScStepRecord): the unit's steps,
 *   in the order they were recorded.
 */
GPtrArray *
sc_store_list_steps (ScStore     *self,
                     gint64       unit_id,
                     GError     **error)
{
  g_return_val_if_fail (SC_IS_STORE (self), NULL);
  g_return_val_if_fail (unit_id > 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->list_steps (self, unit_id, error);
}

/**
 * sc_store_list_prints:
 *
 * Returns: (transfer full) (element-type ScPrintRecord): the unit's
 *   prints, oldest first.
 */
GPtrArray *
sc_store_list_prints (ScStore     *self,
                      gint64       unit_id,
                      GError     **error)
{
  g_return_val_if_fail (SC_IS_STORE (self), NULL);
  g_return_val_if_fail (unit_id > 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->list_prints (self, unit_id, error);
}

gboolean
sc_store_audit (ScStore     *self,
                const char  *actor,
                const char  *action,
                const char  *serial,
                const char  *details,
                GError     **error)
{
  g_return_val_if_fail (SC_IS_STORE (self), FALSE);
  g_return_val_if_fail (actor != NULL, FALSE);
  g_return_val_if_fail (action != NULL && *action != '\0', FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->audit (self, actor, action, serial, details, error);
}

gboolean
sc_store_audit_verify (ScStore     *self,
                       guint64     *n_entries,
                       GError     **error)
{
  guint64 dummy = 0;

  g_return_val_if_fail (SC_IS_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->audit_verify (self, n_entries ? n_entries : &dummy, error);
}

gboolean
sc_store_reconcile (ScStore           *self,
                    ScReconciliation  *out,
                    GError           **error)
{
  g_return_val_if_fail (SC_IS_STORE (self), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->reconcile (self, out, error);
}

/**
 * sc_unit_result_to_string:
 *
 * Returns: the result's name, as a search takes it; never translated.
 */
const char *
sc_unit_result_to_string (ScUnitResult result)
{
  switch (result)
    {
    case SC_UNIT_RESULT_ANY:
      return "any";
    case SC_UNIT_RESULT_PASSED:
      return "passed";
    case SC_UNIT_RESULT_FAILED:
      return "failed";
    case SC_UNIT_RESULT_IN_PROGRESS:
      return "in-progress";
    case SC_UNIT_RESULT_PRINT_PENDING:
      return "print-pending";
    default:
      g_return_val_if_reached (NULL);
    }
}

gboolean
sc_unit_result_from_string (const char   *name,
                            ScUnitResult *out)
{
  g_return_val_if_fail (out != NULL, FALSE);

  for (ScUnitResult r = SC_UNIT_RESULT_ANY; r <= SC_UNIT_RESULT_PRINT_PENDING; r++)
    if (g_strcmp0 (name, sc_unit_result_to_string (r)) == 0)
      {
        *out = r;
        return TRUE;
      }
  return FALSE;
}

/**
 * sc_store_search_units:
 *
 * Returns: (transfer full) (element-type ScUnitRecord): the records that
 *   match, newest first.
 */
GPtrArray *
sc_store_search_units (ScStore           *self,
                       const ScUnitQuery *query,
                       GError           **error)
{
  g_return_val_if_fail (SC_IS_STORE (self), NULL);
  g_return_val_if_fail (query != NULL, NULL);
  g_return_val_if_fail (query->result <= SC_UNIT_RESULT_PRINT_PENDING, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->search_units (self, query, error);
}

void
sc_audit_entry_free (ScAuditEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->actor);
  g_free (entry->action);
  g_free (entry->serial);
  g_free (entry->details);
  g_free (entry);
}

/**
 * sc_store_list_audit:
 *
 * Returns: (transfer full) (element-type ScAuditEntry): the entries about
 *   @serial, oldest first; empty when there are none.
 */
GPtrArray *
sc_store_list_audit (ScStore     *self,
                     const char  *serial,
                     GError     **error)
{
  g_return_val_if_fail (SC_IS_STORE (self), NULL);
  g_return_val_if_fail (serial != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->list_audit (self, serial, error);
}

/* Users */

void
sc_user_record_free (ScUserRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->name);
  g_free (record->passcode_hash);
  g_free (record->badge_mac);
  g_free (record);
}

/**
 * sc_user_record_copy:
 *
 * Returns: (transfer full): a copy of @record.
 */
ScUserRecord *
sc_user_record_copy (const ScUserRecord *record)
{
  ScUserRecord *copy;

  g_return_val_if_fail (record != NULL, NULL);

  copy = g_memdup2 (record, sizeof *record);
  copy->name = g_strdup (record->name);
  copy->passcode_hash = g_strdup (record->passcode_hash);
  copy->badge_mac = g_strdup (record->badge_mac);
  return copy;
}

gint64
sc_store_add_user (ScStore             *self,
                   const ScUserRecord  *user,
                   const char          *admin,
                   GError             **error)
{
  g_return_val_if_fail (SC_IS_STORE (self), 0);
  g_return_val_if_fail (user != NULL && user->name != NULL && user->passcode_hash != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->add_user (self, user, admin, error);
}

gboolean
sc_store_update_user (ScStore             *self,
                      const ScUserRecord  *user,
                      guint                changes,
                      const char          *admin,
                      GError             **error)
{
  g_return_val_if_fail (SC_IS_STORE (self), FALSE);
  g_return_val_if_fail (user != NULL && user->name != NULL, FALSE);
  g_return_val_if_fail (changes != 0, FALSE);
  g_return_val_if_fail (!(changes & SC_USER_CHANGE_PASSCODE) || user->passcode_hash != NULL, FALSE);
  g_return_val_if_fail (admin != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->update_user (self, user, changes, admin, error);
}

/**
 * sc_store_find_user:
 *
 * Returns: (transfer full): the user called @name, with its passcode hash.
 */
ScUserRecord *
sc_store_find_user (ScStore     *self,
                    const char  *name,
                    GError     **error)
{
  g_return_val_if_fail (SC_IS_STORE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->find_user (self, name, error);
}

/**
 * sc_store_find_user_by_badge:
 *
 * Returns: (transfer full): the user whose badge has the MAC @badge_mac.
 */
ScUserRecord *
sc_store_find_user_by_badge (ScStore     *self,
                             const char  *badge_mac,
                             GError     **error)
{
  g_return_val_if_fail (SC_IS_STORE (self), NULL);
  g_return_val_if_fail (badge_mac != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->find_user_by_badge (self, badge_mac, error);
}

/**
 * sc_store_list_users:
 *
 * Returns: (transfer full) (element-type ScUserRecord): every user, by name.
 */
GPtrArray *
sc_store_list_users (ScStore  *self,
                     GError  **error)
{
  g_return_val_if_fail (SC_IS_STORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->list_users (self, error);
}

gboolean
sc_store_count_users (ScStore  *self,
                      guint    *n_users,
                      GError  **error)
{
  g_return_val_if_fail (SC_IS_STORE (self), FALSE);
  g_return_val_if_fail (n_users != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->count_users (self, n_users, error);
}

/**
 * sc_store_begin_sign_in:
 *
 * Returns: (transfer full): the user, with the passcode hash to check.
 */
ScUserRecord *
sc_store_begin_sign_in (ScStore     *self,
                        const char  *name,
                        gint64       now,
                        GError     **error)
{
  g_return_val_if_fail (SC_IS_STORE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->begin_sign_in (self, name, now, error);
}

gboolean
sc_store_finish_sign_in (ScStore     *self,
                         const char  *name,
                         const char  *method,
                         gboolean     ok,
                         const char  *new_hash,
                         GError     **error)
{
  g_return_val_if_fail (SC_IS_STORE (self), FALSE);
  g_return_val_if_fail (name != NULL && method != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  _sc_blocking_check (G_STRFUNC);
  return SC_STORE_GET_IFACE (self)->finish_sign_in (self, name, method, ok, new_hash, error);
}

/* Records from rows (sc-store-private.h), for every backend */

/* As SQLite's sqlite3_column_int(): the low 32 bits. */
static int
row_get_int (const ScStoreRow *row,
             int               column)
{
  return (int) _sc_store_row_get_int64 (row, column);
}

static ScUnitState
state_from_string (const char *text)
{
  for (ScUnitState s = SC_UNIT_STARTED; s <= SC_UNIT_SUPERSEDED; s++)
    if (g_strcmp0 (text, sc_unit_state_to_string (s)) == 0)
      return s;
  /* The schema's CHECK allows nothing else. */
  g_return_val_if_reached (SC_UNIT_FAILED);
}

/* Reads a row of SC_STORE_UNIT_COLUMNS. */
ScUnitRecord *
_sc_unit_record_from_row (const ScStoreRow *row)
{
  ScUnitRecord *record = g_new0 (ScUnitRecord, 1);

  record->id = _sc_store_row_get_int64 (row, 0);
  record->product = _sc_store_row_dup_text (row, 1);
  record->pid = _sc_store_row_dup_text (row, 2);
  record->serial = _sc_store_row_dup_text (row, 3);
  record->state = state_from_string (_sc_store_row_get_text (row, 4));
  record->key_origin = row_get_int (row, 5);
  record->public_key_sha256 = _sc_store_row_dup_text (row, 6);
  record->puk = _sc_store_row_dup_text (row, 7);
  record->cert_serial = _sc_store_row_dup_text (row, 8);
  record->chain_pem = _sc_store_row_dup_text (row, 9);
  record->dak = _sc_store_row_dup_text (row, 10);
  record->pin_sealed = row->funcs->get_bytes (row, 11);
  record->station = _sc_store_row_dup_text (row, 12);
  record->operator_name = _sc_store_row_dup_text (row, 13);
  record->failure = _sc_store_row_dup_text (row, 14);
  record->created = _sc_store_row_get_int64 (row, 15);
  record->updated = _sc_store_row_get_int64 (row, 16);
  return record;
}

/* Reads a row of SC_STORE_STEP_COLUMNS. */
ScStepRecord *
_sc_step_record_from_row (const ScStoreRow *row)
{
  ScStepRecord *step = g_new0 (ScStepRecord, 1);

  step->name = _sc_store_row_dup_text (row, 0);
  step->started = _sc_store_row_get_int64 (row, 1);
  step->finished = _sc_store_row_get_int64 (row, 2);
  step->ok = row_get_int (row, 3) != 0;
  step->error = _sc_store_row_dup_text (row, 4);
  return step;
}

/* Reads a row of SC_STORE_PRINT_COLUMNS. */
ScPrintRecord *
_sc_print_record_from_row (const ScStoreRow *row)
{
  ScPrintRecord *print = g_new0 (ScPrintRecord, 1);
  const char *status;

  print->id = _sc_store_row_get_int64 (row, 0);
  print->kind = row_get_int (row, 1) == SC_LABEL_KIND_PACKAGE ? SC_LABEL_KIND_PACKAGE : SC_LABEL_KIND_PRODUCT;
  print->reprint = row_get_int (row, 2) != 0;
  print->reason = _sc_store_row_dup_text (row, 3);
  print->printer = _sc_store_row_dup_text (row, 4);
  print->operator_name = _sc_store_row_dup_text (row, 5);
  print->time = _sc_store_row_get_int64 (row, 6);
  status = _sc_store_row_get_text (row, 7);
  print->status = g_strcmp0 (status, "pending") == 0 ? SC_PRINT_PENDING
                : g_strcmp0 (status, "failed") == 0 ? SC_PRINT_FAILED
                : g_strcmp0 (status, "not-sent") == 0 ? SC_PRINT_NOT_SENT : SC_PRINT_DONE;
  print->error = _sc_store_row_dup_text (row, 8);
  return print;
}

/* Reads a row of SC_STORE_AUDIT_COLUMNS. */
ScAuditEntry *
_sc_audit_entry_from_row (const ScStoreRow *row)
{
  ScAuditEntry *entry = g_new0 (ScAuditEntry, 1);

  entry->id = _sc_store_row_get_int64 (row, 0);
  entry->time = _sc_store_row_get_int64 (row, 1);
  entry->actor = _sc_store_row_dup_text (row, 2);
  entry->action = _sc_store_row_dup_text (row, 3);
  entry->serial = _sc_store_row_dup_text (row, 4);
  entry->details = _sc_store_row_dup_text (row, 5);
  return entry;
}

/* Reads a row of SC_STORE_USER_COLUMNS. */
ScUserRecord *
_sc_user_record_from_row (const ScStoreRow *row)
{
  ScUserRecord *user = g_new0 (ScUserRecord, 1);

  user->id = _sc_store_row_get_int64 (row, 0);
  user->name = _sc_store_row_dup_text (row, 1);
  user->roles = (guint) row_get_int (row, 2);
  user->disabled = row_get_int (row, 3) != 0;
  user->passcode_hash = _sc_store_row_dup_text (row, 4);
  user->badge_mac = _sc_store_row_dup_text (row, 5);
  user->failures = (guint) row_get_int (row, 6);
  user->retry_after = _sc_store_row_get_int64 (row, 7);
  user->created = _sc_store_row_get_int64 (row, 8);
  user->updated = _sc_store_row_get_int64 (row, 9);
  return user;
}
