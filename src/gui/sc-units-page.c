/* sc-units-page.c: the QA view: look a unit up, see its records, reprint and verify its labels
 *
 * Every store, secret, label and printer call runs in a worker thread
 * (GTask); the page shows the result when it comes back, if the page still
 * shows what the work was for.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sc-gui-private.h"
#include "sc-core.h"
#include "sc-label-preview.h"
#include "sc-label-print-operation.h"
#include "sc-reason-dialog.h"
#include "sc-step-row.h"
#include "sc-units-page-private.h"

/* The list starts as the units of the last week, today included. */
#define DEFAULT_DAYS 7
/* A list longer than this is cut, newest kept: a person reads no more. */
#define LIST_LIMIT 500

/* Why a label is printed again: recorded as written here (the records read
 * the same in every language), shown translated. */
static const char * const reprint_reasons[] = {
  N_("Smudged"),
  N_("Damaged"),
  N_("Lost"),
  N_("Wrong printer"),
  N_("Other"),
};

/* The station, shared by the page and every job still working on it in a
 * thread: the last one to let go frees it. */
struct _ScUnitsPage
{
  AdwBin             parent_instance;

  /* template children */
  AdwToastOverlay   *toast_overlay;
  GtkStack          *stack;
  AdwStatusPage     *error_page;
  GtkWidget         *back_button;
  GtkSearchEntry    *search_entry;
  GtkSpinner        *busy_spinner;
  GtkWidget         *filter_bar;
  GtkMenuButton     *from_button;
  GtkMenuButton     *to_button;
  GtkCalendar       *from_calendar;
  GtkCalendar       *to_calendar;
  GtkDropDown       *result_dropdown;
  GtkStack          *content_stack;
  AdwPreferencesGroup *list_group;
  GtkListBox        *recent_list;
  AdwStatusPage     *empty_page;
  AdwStatusPage     *not_found_page;
  AdwStatusPage     *load_error_page;
  GtkScrolledWindow *unit_scroller;
  GtkWidget         *status_box;
  GtkLabel          *status_label;
  GtkLabel          *serial_label;
  GtkLabel          *state_label;
  GtkLabel          *failure_label;
  GtkLabel          *product_value;
  GtkLabel          *key_origin_value;
  GtkLabel          *key_sha_value;
  GtkLabel          *puk_value;
  GtkLabel          *pin_value;
  GtkLabel          *station_value;
  GtkLabel          *times_value;
  GtkLabel          *cert_subject_value;
  GtkLabel          *cert_issuer_value;
  GtkLabel          *cert_serial_value;
  GtkLabel          *cert_validity_value;
  GtkLabel          *chain_value;
  GtkLabel          *dak_value;
  GtkListBox        *step_list;
  GtkListBox        *audit_list;
  GtkListBox        *print_list;
  GtkWidget         *product_reprint_button;
  GtkWidget         *package_reprint_button;
  GtkWidget         *product_print_on_button;
  GtkWidget         *package_print_on_button;
  GtkStack          *product_stack;
  GtkStack          *package_stack;
  GtkLabel          *product_none;
  GtkLabel          *package_none;
  ScLabelPreview    *product_preview;
  ScLabelPreview    *package_preview;
  GtkLabel          *verify_summary;
  GtkListBox        *verify_list;

  GCancellable      *cancellable;
  StationRef        *station;

  char              *serial;            /* the unit shown */
  guint              generation;        /* which search the content belongs to */
  guint              n_jobs;
  gboolean           reprinting;
  gboolean           printing_on;       /* a reprint through the GTK print dialog */
  gboolean           verifying;
  gboolean           can_reprint[2];    /* per ScLabelKind, for the unit shown */
  gboolean           exporting;

  /* What the list shows: units started from the first day's midnight to
   * the end of the last day (local time; NULL: no bound), of a result. */
  GDateTime         *from;
  GDateTime         *to;
  ScUnitResult       result;
  gboolean           syncing_filter;    /* the filter's widgets being set from it */

  GtkWidget         *reprint_dialog;
  ScLabelPrintOperation *print_operation;
  char              *print_export_path; /* tests: the print dialog's label into this PDF instead */
  guint              print_export_dpi;
  GtkFileChooserNative *chooser;
  GtkFileChooserNative *export_chooser;
  guint              focus_source;
  char              *operator_name;     /* who is signed in; NULL: the system account */
  char              *reprint_refusal;   /* why whoever is signed in may not reprint */
};

enum { PROP_0, PROP_READY, PROP_BUSY, PROP_SERIAL, PROP_FROM, PROP_TO, PROP_RESULT, N_PROPS };
static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (ScUnitsPage, sc_units_page, ADW_TYPE_BIN)

/* ------------------------------------------------------------ the station */


/* ------------------------------------------------------- records, in threads */

static char *
format_time (gint64 us)
{
  g_autoptr(GDateTime) t = us > 0 ? g_date_time_new_from_unix_local (us / G_USEC_PER_SEC) : NULL;

  return t ? g_date_time_format (t, "%Y-%m-%d %H:%M:%S") : g_strdup ("–");
}

static char *
format_asn1_time (const ASN1_TIME *t)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;
  struct tm tm;

  if (t == NULL || !ASN1_TIME_to_tm (t, &tm))
    return g_strdup ("?");
  utc = g_date_time_new_utc (tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  local = utc ? g_date_time_to_local (utc) : NULL;
  return local ? g_date_time_format (local, "%Y-%m-%d %H:%M") : g_strdup ("?");
}

/* A state named as the records name it (an audit entry), as a person
 * reads it (sc_unit_state_to_display()). */
static const char *
state_name_from_string (const char *name)
{
  for (ScUnitState s = SC_UNIT_STARTED; s <= SC_UNIT_SUPERSEDED; s++)
    if (g_strcmp0 (name, sc_unit_state_to_string (s)) == 0)
      return sc_unit_state_to_display (s);
  return name;
}

/* Only a unit whose labels were made has labels to show; only a live one
 * may have them printed again. */
static gboolean
unit_labels_made (const ScUnitRecord *unit)
{
  return unit->state >= SC_UNIT_LABELLED && unit->state != SC_UNIT_FAILED &&
         unit->puk != NULL && unit->pin_sealed != NULL;
}

/* Why @kind of @unit cannot be reprinted, or NULL when it can. */
static char *
reprint_refusal (ScStation          *station,
                 const ScUnitRecord *unit,
                 ScLabelKind         kind)
{
  const ScLabelSettings *settings = sc_profile_get_label_settings (station->profile);

  if (unit->state == SC_UNIT_SUPERSEDED)
    return g_strdup_printf (_("This record of %s was replaced by a re-provisioning: its labels are void and "
                              "cannot be printed again."), unit->serial);
  if (!unit_labels_made (unit))
    return g_strdup_printf (_("Unit %s is %s: only a unit whose labels were made can have them reprinted."),
                            unit->serial, sc_unit_state_to_display (unit->state));
  if (g_strcmp0 (unit->product, sc_profile_get_device_type_id (station->profile)) != 0)
    return g_strdup_printf (_("Unit %s is a %s, but this station is set up for %s: reprint it at a station "
                              "for its product."), unit->serial, unit->product,
                            sc_profile_get_device_type_id (station->profile));
  if (kind == SC_LABEL_KIND_PACKAGE && settings->package_code == NULL)
    return g_strdup (_("This product has no package code, so it has no package label."));
  return NULL;
}

/* The label's payload rebuilt from the records, as the run made it: the
 * PIN unsealed with the station secret. The payload wipes it when freed. */
static ScPayload *
rebuild_payload (ScStation          *station,
                 const ScUnitRecord *unit,
                 ScLabelKind         kind,
                 GError            **error)
{
  const ScLabelSettings *settings = sc_profile_get_label_settings (station->profile);
  g_autoptr(ScPayload) payload = NULL;

  payload = sc_payload_new (kind);
  payload->serial = settings->include_serial ? g_strdup (unit->serial) : NULL;
  payload->pid = g_strdup (unit->pid);
  payload->puk = g_strdup (unit->puk);
  payload->trailing_semicolon = settings->trailing_semicolon;
  if (kind == SC_LABEL_KIND_PRODUCT)
    {
      g_autoptr(ScSecret) pin = sc_station_secret_open_pin (station->secret, unit->serial, unit->pin_sealed, error);

      if (pin == NULL)
        return NULL;
      payload->pin = g_strdup (sc_secret_get_string (pin));
    }
  else if (strlen (settings->package_code) == 13)
    payload->ean = g_strdup (settings->package_code);
  else
    payload->upc = g_strdup (settings->package_code);
  return g_steal_pointer (&payload);
}

static ScLabelLayout *
rebuild_layout (ScStation          *station,
                const ScUnitRecord *unit,
                ScLabelKind         kind,
                GError            **error)
{
  g_autoptr(ScPayload) payload = rebuild_payload (station, unit, kind, error);

  if (payload == NULL)
    return NULL;
  return sc_label_layout_new_for_profile (station->profile, payload, sc_dak_is_training (station->dak), error);
}

/* ----------------------------------------------------------- unit loading */

typedef struct
{
  StationRef   *station;
  char         *serial;
  guint         generation;
} LoadJob;

static void
load_job_free (gpointer data)
{
  LoadJob *job = data;

  _sc_station_ref_release (job->station);
  g_free (job->serial);
  g_free (job);
}

/* What the unit's page shows, all read and parsed in the thread. */
typedef struct
{
  ScUnitRecord  *unit;
  GPtrArray     *steps;
  GPtrArray     *prints;
  GPtrArray     *audit;
  char          *cert_subject;
  char          *cert_issuer;
  char          *cert_serial;
  char          *cert_validity;
  char          *chain_status;
  gboolean       chain_ok;
  ScLabelLayout *layouts[2];
  char          *label_notes[2];     /* why there is no preview */
  char          *reprint_refusals[2];
} UnitView;

static void
unit_view_free (gpointer data)
{
  UnitView *view = data;

  g_clear_pointer (&view->unit, sc_unit_record_free);
  g_clear_pointer (&view->steps, g_ptr_array_unref);
  g_clear_pointer (&view->prints, g_ptr_array_unref);
  g_clear_pointer (&view->audit, g_ptr_array_unref);
  g_free (view->cert_subject);
  g_free (view->cert_issuer);
  g_free (view->cert_serial);
  g_free (view->cert_validity);
  g_free (view->chain_status);
  for (guint i = 0; i < 2; i++)
    {
      g_clear_object (&view->layouts[i]);
      g_free (view->label_notes[i]);
      g_free (view->reprint_refusals[i]);
    }
  g_free (view);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UnitView, unit_view_free)

/* One line per attribute: its name, its OID, its value. */
static char *
describe_subject (const X509_NAME *name)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *oneline = sc_x509_name_to_string (name);   /* makes OpenSSL know the FFS OIDs */

  for (int i = 0; i < X509_NAME_entry_count (name); i++)
    {
      const X509_NAME_ENTRY *entry = X509_NAME_get_entry (name, i);
      const ASN1_OBJECT *object = X509_NAME_ENTRY_get_object (entry);
      int nid = OBJ_obj2nid (object);
      unsigned char *utf8 = NULL;
      g_autofree char *value = NULL;
      char oid[128];

      if (OBJ_obj2txt (oid, sizeof oid, object, 1) <= 0)
        g_strlcpy (oid, "?", sizeof oid);
      if (ASN1_STRING_to_UTF8 (&utf8, X509_NAME_ENTRY_get_data (entry)) >= 0 && utf8 != NULL)
        {
          value = g_utf8_make_valid ((const char *) utf8, -1);
          OPENSSL_free (utf8);
        }
      if (out->len > 0)
        g_string_append_c (out, '\n');
      /* Translators: a certificate subject's attribute: its name, its OID, then its value */
      g_string_append_printf (out, _("%s (%s): %s"), nid != NID_undef ? OBJ_nid2ln (nid) : oid, oid,
                              value ? value : "?");
    }
  return out->len > 0 ? g_string_free (g_steal_pointer (&out), FALSE) : g_steal_pointer (&oneline);
}

static void
describe_certificate (UnitView  *view,
                      ScStation *station)
{
  const ScUnitRecord *unit = view->unit;
  g_autoptr(ScCertList) chain = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *not_before = NULL;
  g_autofree char *not_after = NULL;
  X509 *leaf;

  if (unit->chain_pem == NULL)
    {
      view->chain_status = g_strdup (_("No certificate was issued for this unit."));
      return;
    }

  chain = sc_certs_load_pem (unit->chain_pem, strlen (unit->chain_pem), &error);
  if (chain == NULL || sk_X509_num (chain) == 0)
    {
      view->chain_status = g_strdup_printf (_("The recorded certificate cannot be read: %s"),
                                            error ? error->message : _("the chain is empty"));
      return;
    }

  leaf = sk_X509_value (chain, 0);
  view->cert_subject = describe_subject (X509_get_subject_name (leaf));
  view->cert_issuer = sc_x509_name_to_string (X509_get_issuer_name (leaf));
  view->cert_serial = sc_cert_serial_hex (leaf);
  not_before = format_asn1_time (X509_get0_notBefore (leaf));
  not_after = format_asn1_time (X509_get0_notAfter (leaf));
  /* Translators: a certificate's validity: from a date to a date */
  view->cert_validity = g_strdup_printf (_("%s to %s"), not_before, not_after);

  /* The same check the run made before writing the unit, made again now. */
  if (sc_chain_verify (chain, sc_dak_get_trust_anchor (station->dak), unit->product, unit->serial, 0, &error))
    {
      view->chain_ok = TRUE;
      view->chain_status = g_strdup_printf (ngettext ("Verifies to the product’s trust anchor (%d certificate)",
                                                      "Verifies to the product’s trust anchor (%d certificates)",
                                                      sk_X509_num (chain)),
                                            sk_X509_num (chain));
    }
  else
    view->chain_status = g_strdup_printf (_("Does not verify: %s"), error->message);
}

static void
load_unit_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  LoadJob *job = task_data;
  ScStation *station = job->station->station;
  g_autoptr(UnitView) view = g_new0 (UnitView, 1);
  GError *error = NULL;

  if (!(view->unit = sc_store_find_unit (station->store, NULL, job->serial, &error)) ||
      !(view->steps = sc_store_list_steps (station->store, view->unit->id, &error)) ||
      !(view->prints = sc_store_list_prints (station->store, view->unit->id, &error)) ||
      !(view->audit = sc_store_list_audit (station->store, view->unit->serial, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  describe_certificate (view, station);

  for (ScLabelKind kind = SC_LABEL_KIND_PRODUCT; kind <= SC_LABEL_KIND_PACKAGE; kind++)
    {
      g_autoptr(GError) label_error = NULL;

      view->reprint_refusals[kind] = reprint_refusal (station, view->unit, kind);
      if (!unit_labels_made (view->unit))
        view->label_notes[kind] = g_strdup (_("This unit’s labels were never made."));
      else if (view->unit->state != SC_UNIT_SUPERSEDED && view->reprint_refusals[kind] != NULL)
        view->label_notes[kind] = g_strdup (view->reprint_refusals[kind]);
      else if (!(view->layouts[kind] = rebuild_layout (station, view->unit, kind, &label_error)))
        view->label_notes[kind] = g_strdup_printf (_("The label cannot be rebuilt from the records: %s"),
                                                   label_error->message);
    }

  g_task_return_pointer (task, g_steal_pointer (&view), unit_view_free);
}

/* --------------------------------------------------------------- display */

static void
set_busy (ScUnitsPage *self,
          gboolean     start)
{
  gboolean was_busy = self->n_jobs > 0;

  if (start)
    self->n_jobs++;
  else
    {
      g_assert (self->n_jobs > 0);
      self->n_jobs--;
    }

  /* Not for the print dialog, which shows itself: a spinner redraws the
   * window at every frame, and where that is slow (software rendering) the
   * print operation's own idle work would wait behind it. */
  gtk_spinner_set_spinning (self->busy_spinner, self->n_jobs > (self->printing_on ? 1u : 0u));
  if (was_busy != (self->n_jobs > 0))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
toast (ScUnitsPage *self,
       const char  *text,
       gboolean     stays)
{
  AdwToast *t = adw_toast_new (text);

  /* A failure stays until it is dismissed: nobody should miss it. */
  if (stays)
    adw_toast_set_timeout (t, 0);
  adw_toast_overlay_add_toast (self->toast_overlay, t);
}

static void
update_actions (ScUnitsPage *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean ready = self->station != NULL;
  gboolean unit = ready && self->serial != NULL;

  gtk_widget_action_set_enabled (widget, "units.search", ready);
  gtk_widget_action_set_enabled (widget, "units.show-list", ready);
  gtk_widget_action_set_enabled (widget, "units.filter", ready);
  gtk_widget_action_set_enabled (widget, "units.export", ready && !self->exporting);
  gtk_widget_action_set_enabled (widget, "units.export-file", ready && !self->exporting);
  gtk_widget_action_set_enabled (widget, "units.reprint-product", unit && !self->reprinting &&
                                 !self->reprint_refusal && self->can_reprint[SC_LABEL_KIND_PRODUCT]);
  gtk_widget_action_set_enabled (widget, "units.reprint-package", unit && !self->reprinting &&
                                 !self->reprint_refusal && self->can_reprint[SC_LABEL_KIND_PACKAGE]);
  gtk_widget_action_set_enabled (widget, "units.reprint",
                                 unit && !self->reprinting && !self->reprint_refusal &&
                                 (self->can_reprint[SC_LABEL_KIND_PRODUCT] || self->can_reprint[SC_LABEL_KIND_PACKAGE]));
  /* The print dialog is one more way to reprint, under the same rules. */
  gtk_widget_action_set_enabled (widget, "units.print-on-product", unit && !self->printing_on &&
                                 !self->reprint_refusal && self->can_reprint[SC_LABEL_KIND_PRODUCT]);
  gtk_widget_action_set_enabled (widget, "units.print-on-package", unit && !self->printing_on &&
                                 !self->reprint_refusal && self->can_reprint[SC_LABEL_KIND_PACKAGE]);
  gtk_widget_action_set_enabled (widget, "units.print-on",
                                 unit && !self->printing_on && !self->reprint_refusal &&
                                 (self->can_reprint[SC_LABEL_KIND_PRODUCT] || self->can_reprint[SC_LABEL_KIND_PACKAGE]));
  gtk_widget_action_set_enabled (widget, "units.verify", unit && !self->verifying);
  gtk_widget_action_set_enabled (widget, "units.verify-file", unit && !self->verifying);
}

static void
set_serial (ScUnitsPage *self,
            const char  *serial)
{
  if (g_strcmp0 (serial, self->serial) == 0)
    return;
  g_free (self->serial);
  self->serial = g_strdup (serial);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERIAL]);
}

static void
show_content (ScUnitsPage *self,
              const char  *name)
{
  gboolean unit = g_str_equal (name, "unit");
  gboolean list = g_str_equal (name, "recent") || g_str_equal (name, "empty");

  if (!unit)
    {
      set_serial (self, NULL);
      self->can_reprint[0] = self->can_reprint[1] = FALSE;
      update_actions (self);
    }
  gtk_widget_set_visible (self->back_button, !list);
  gtk_widget_set_visible (self->filter_bar, list);
  gtk_stack_set_visible_child_name (self->content_stack, name);
}

static void
clear_list (GtkListBox *list)
{
  GtkListBoxRow *row;

  while ((row = gtk_list_box_get_row_at_index (list, 0)) != NULL)
    gtk_list_box_remove (list, GTK_WIDGET (row));
}

/* Rows built here take their text literally: a reason typed by a person may
 * hold any character. */
static GtkWidget *
text_row_new (const char *title,
              const char *subtitle)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_set_focusable (row, FALSE);
  return row;
}

static GtkWidget *
pill_new (const char *text,
          const char *css_class)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_widget_set_valign (label, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (label, "sc-pill");
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);
  return label;
}

static const char *
state_css_class (ScUnitState state)
{
  switch (state)
    {
    case SC_UNIT_COMPLETE:
      return "pass";
    case SC_UNIT_FAILED:
      return "fail";
    case SC_UNIT_SUPERSEDED:
      return "superseded";
    case SC_UNIT_STARTED:
    case SC_UNIT_KEYED:
    case SC_UNIT_SIGNED:
    case SC_UNIT_WRITTEN:
    case SC_UNIT_VERIFIED:
    case SC_UNIT_LABELLED:
    default:
      return "incomplete";
    }
}

static const char *
state_pill_class (ScUnitState state)
{
  switch (state)
    {
    case SC_UNIT_COMPLETE:
      return "success";
    case SC_UNIT_FAILED:
      return "error";
    case SC_UNIT_SUPERSEDED:
      return "dim-label";
    case SC_UNIT_STARTED:
    case SC_UNIT_KEYED:
    case SC_UNIT_SIGNED:
    case SC_UNIT_WRITTEN:
    case SC_UNIT_VERIFIED:
    case SC_UNIT_LABELLED:
    default:
      return "warning";
    }
}

static void
set_status (ScUnitsPage        *self,
            const ScUnitRecord *unit,
            gboolean            waits_to_print)
{
  static const char *classes[] = { "pass", "fail", "superseded", "incomplete" };
  g_autofree char *state = NULL;
  const char *title;

  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    gtk_widget_remove_css_class (self->status_box, classes[i]);
  gtk_widget_add_css_class (self->status_box, state_css_class (unit->state));

  switch (unit->state)
    {
    case SC_UNIT_COMPLETE:
      /* Translators: the result of a unit that was provisioned */
      title = C_("result", "PASS");
      break;
    case SC_UNIT_FAILED:
      /* Translators: the result of a unit that was not provisioned */
      title = C_("result", "FAIL");
      break;
    case SC_UNIT_SUPERSEDED:
      /* Translators: a unit record replaced by a re-provisioning */
      title = C_("result", "SUPERSEDED");
      break;
    case SC_UNIT_STARTED:
    case SC_UNIT_KEYED:
    case SC_UNIT_SIGNED:
    case SC_UNIT_WRITTEN:
    case SC_UNIT_VERIFIED:
    case SC_UNIT_LABELLED:
    default:
      /* Translators: a unit whose run stopped before it passed or failed */
      title = C_("result", "INCOMPLETE");
      break;
    }

  /* Translators: the unit's state as the records name it (complete, failed, …) */
  state = g_strdup_printf (_("State: %s"), sc_unit_state_to_display (unit->state));
  if (waits_to_print)
    {
      g_autofree char *hint = g_strdup_printf (_("%s. It waits to print (print pending): retry it on the Provision "
                                                 "page, without the unit on the fixture."), state);
      g_free (state);
      state = g_steal_pointer (&hint);
    }
  else if (unit->state < SC_UNIT_COMPLETE)
    {
      g_autofree char *hint = g_strdup_printf (_("%s. Scan the unit on the Provision page to continue its run."), state);
      g_free (state);
      state = g_steal_pointer (&hint);
    }

  gtk_label_set_label (self->status_label, title);
  gtk_label_set_label (self->serial_label, unit->serial);
  gtk_label_set_label (self->state_label, state);
  gtk_label_set_label (self->failure_label, unit->failure ? unit->failure : "");
  gtk_widget_set_visible (GTK_WIDGET (self->failure_label), unit->failure != NULL);
}

static void
set_value (GtkLabel   *label,
           const char *value)
{
  gtk_label_set_label (label, value != NULL && *value != '\0' ? value : "–");
}

static void
show_fields (ScUnitsPage    *self,
             const UnitView *view)
{
  const ScUnitRecord *unit = view->unit;
  g_autofree char *product = NULL;
  g_autofree char *station = NULL;
  g_autofree char *created = format_time (unit->created);
  g_autofree char *updated = format_time (unit->updated);
  g_autofree char *times = NULL;
  const char *origin;

  /* Translators: a unit's product (its DeviceTypeId) and PID */
  product = g_strdup_printf (_("%s, PID %s"), unit->product, unit->pid ? unit->pid : "–");
  set_value (self->product_value, product);

  origin = unit->key_origin == SC_KEY_ORIGIN_DEVICE ? _("Made on the unit")
         : unit->key_origin == SC_KEY_ORIGIN_STATION ? _("Made on the station and written to the unit")
         : NULL;
  set_value (self->key_origin_value, origin);
  set_value (self->key_sha_value, unit->public_key_sha256);
  set_value (self->puk_value, unit->puk);
  /* The PIN itself is never shown: it is on the product label. */
  set_value (self->pin_value, unit->pin_sealed ? _("Sealed under the station secret (not shown)") : NULL);
  /* Translators: the station's name, then the operator's */
  station = g_strdup_printf (_("%s, operator %s"), unit->station ? unit->station : "–",
                             unit->operator_name ? unit->operator_name : "–");
  set_value (self->station_value, station);
  /* Translators: when the unit's record was started, then last changed */
  times = g_strdup_printf (_("%s, last changed %s"), created, updated);
  set_value (self->times_value, times);

  set_value (self->cert_subject_value, view->cert_subject);
  set_value (self->cert_issuer_value, view->cert_issuer);
  set_value (self->cert_serial_value, view->cert_serial);
  set_value (self->cert_validity_value, view->cert_validity);
  set_value (self->chain_value, view->chain_status);
  gtk_widget_remove_css_class (GTK_WIDGET (self->chain_value), "success");
  gtk_widget_remove_css_class (GTK_WIDGET (self->chain_value), "error");
  if (unit->chain_pem != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->chain_value), view->chain_ok ? "success" : "error");
  set_value (self->dak_value, unit->dak);
}

static void
show_steps (ScUnitsPage    *self,
            const UnitView *view)
{
  clear_list (self->step_list);
  for (guint i = 0; i < view->steps->len; i++)
    {
      const ScStepRecord *s = g_ptr_array_index (view->steps, i);
      gint64 duration = s->finished > s->started ? s->finished - s->started : 0;
      const char *error = s->ok ? NULL : s->error ? s->error : _("The step failed without a recorded reason.");
      g_autofree char *started = format_time (s->started);
      g_autofree char *tooltip = g_strdup_printf (_("Started %s"), started);
      GtkWidget *row;
      ScStep step;

      if (sc_step_from_name (s->name, &step))
        {
          row = sc_step_row_new (step);
          sc_step_row_set_finished (SC_STEP_ROW (row), duration, error);
        }
      else
        {
          /* A step this build does not know, from a newer station. */
          g_autofree char *ms = g_strdup_printf (_("%.1f ms"), duration / 1000.0);

          row = text_row_new (s->name, error);
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_label_new (ms));
        }
      gtk_widget_set_tooltip_text (row, tooltip);
      gtk_list_box_append (self->step_list, row);
    }
}

static void
show_prints (ScUnitsPage    *self,
             const UnitView *view)
{
  clear_list (self->print_list);
  for (guint i = 0; i < view->prints->len; i++)
    {
      const ScPrintRecord *p = g_ptr_array_index (view->prints, i);
      g_autofree char *when = format_time (p->time);
      g_autofree char *details = NULL;
      const char *title, *status, *status_class, *row_class, *tooltip;
      GtkWidget *row, *pill;

      if (p->kind == SC_LABEL_KIND_PRODUCT)
        title = p->reprint ? _("Product label, reprint") : _("Product label, first print");
      else
        title = p->reprint ? _("Package label, reprint") : _("Package label, first print");

      /* Translators: a print's time, operator and printer */
      details = g_strdup_printf (_("%s · %s · %s"), when, p->operator_name ? p->operator_name : "–",
                                 p->printer ? p->printer : "–");
      if (p->reprint)
        {
          /* Translators: a reprint's recorded reason, then its time, operator and printer */
          g_autofree char *with_reason = g_strdup_printf (_("Reason: %s\n%s"), p->reason ? p->reason : "–", details);
          g_free (details);
          details = g_steal_pointer (&with_reason);
        }
      /* Why it did not print, or why nobody knows whether it did: the
       * printer's own words. */
      if (p->status != SC_PRINT_DONE && p->error != NULL)
        {
          g_autofree char *with_error = g_strdup_printf ("%s\n%s", details, p->error);
          g_free (details);
          details = g_steal_pointer (&with_error);
        }

      switch (p->status)
        {
        case SC_PRINT_DONE:
          status = C_("print", "Done");
          status_class = "success";
          row_class = "sc-print-done";
          tooltip = NULL;
          break;
        case SC_PRINT_FAILED:
          status = C_("print", "Failed");
          status_class = "error";
          row_class = "sc-print-failed";
          tooltip = _("The printer did not take this label: nothing came out.");
          break;
        case SC_PRINT_NOT_SENT:
          status = C_("print", "Not sent");
          status_class = "warning";
          row_class = "sc-print-not-sent";
          tooltip = _("The printer was not ready, so nothing was sent. Printing it again is safe: retry the unit "
                      "on the Provision page.");
          break;
        case SC_PRINT_PENDING:
        default:
          status = C_("print", "Outcome unknown");
          status_class = "warning";
          row_class = "sc-print-pending";
          tooltip = _("Interrupted: this label may or may not exist. Find it or destroy it, then reprint it "
                      "with a reason.");
          break;
        }

      row = text_row_new (title, details);
      gtk_widget_add_css_class (row, row_class);
      pill = pill_new (status, status_class);
      gtk_widget_set_tooltip_text (pill, tooltip);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), pill);
      gtk_list_box_append (self->print_list, row);
    }
}

/* What an audit entry's action means, in words; the records keep the
 * action's own name, shown as it is when this build does not know it. */
static char *
audit_action_title (const char *action)
{
  static const struct { const char *action; const char *title; } titles[] = {
    { "begin", N_("Run started") },
    { "override", N_("Re-provisioned with an override") },
    { "resume", N_("Run resumed after an interruption") },
    { "abandon", N_("Run abandoned") },
    { "refused", N_("Scan refused") },
    { "key", N_("Key recorded") },
    { "signing", N_("DAK signature begun") },
    { "issued", N_("Certificate issued") },
    { "pin", N_("PIN sealed and recorded") },
    { "steps", N_("Steps recorded") },
    { "print", N_("Label sent to the printer") },
    { "reprint", N_("Label reprint sent to the printer") },
    { "printed", N_("Printer took the label") },
    { "print-failed", N_("Printer did not take the label") },
    { "print-not-sent", N_("Label not sent: the printer was not ready") },
    { "print-unknown", N_("Label print broke off: whether it printed is not known") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    if (g_strcmp0 (action, titles[i].action) == 0)
      return g_strdup (_(titles[i].title));
  if (g_str_has_prefix (action, "state:"))
    /* Translators: an audit entry: the unit's state (as the records name it) changed */
    return g_strdup_printf (_("State changed to %s"), state_name_from_string (action + strlen ("state:")));
  return g_strdup (action);
}

static void
show_audit (ScUnitsPage    *self,
            const UnitView *view)
{
  clear_list (self->audit_list);
  for (guint i = 0; i < view->audit->len; i++)
    {
      const ScAuditEntry *e = g_ptr_array_index (view->audit, i);
      g_autofree char *title = audit_action_title (e->action);
      g_autofree char *when = format_time (e->time);
      g_autofree char *subtitle = NULL;
      GtkWidget *row;

      if (e->details != NULL && *e->details != '\0')
        /* Translators: an audit entry's time, who made it, then its details */
        subtitle = g_strdup_printf (_("%s · %s\n%s"), when, e->actor ? e->actor : "–", e->details);
      else
        /* Translators: an audit entry's time, then who made it */
        subtitle = g_strdup_printf (_("%s · %s"), when, e->actor ? e->actor : "–");
      row = text_row_new (title, subtitle);
      gtk_widget_add_css_class (row, "sc-audit-row");
      g_object_set_data_full (G_OBJECT (row), "sc-action", g_strdup (e->action), g_free);
      gtk_list_box_append (self->audit_list, row);
    }
}

static void
show_label (ScUnitsPage    *self,
            const UnitView *view,
            ScLabelKind     kind)
{
  gboolean product = kind == SC_LABEL_KIND_PRODUCT;
  GtkStack *stack = product ? self->product_stack : self->package_stack;
  ScLabelPreview *preview = product ? self->product_preview : self->package_preview;
  GtkLabel *none = product ? self->product_none : self->package_none;
  GtkWidget *button = product ? self->product_reprint_button : self->package_reprint_button;
  GtkWidget *print_on = product ? self->product_print_on_button : self->package_print_on_button;
  const char *refusal = view->reprint_refusals[kind];

  sc_label_preview_set_layout (preview, view->layouts[kind]);
  gtk_label_set_label (none, view->label_notes[kind] ? view->label_notes[kind] : "");
  gtk_stack_set_visible_child_name (stack, view->layouts[kind] ? "preview" : "none");

  self->can_reprint[kind] = refusal == NULL;
  /* An insensitive button still says why. */
  gtk_widget_set_tooltip_text (button, refusal ? refusal
                                       : self->reprint_refusal ? self->reprint_refusal
                                       : product ? _("Print the product label again, with a reason that is recorded")
                                       : _("Print the package label again, with a reason that is recorded"));
  gtk_widget_set_tooltip_text (print_on, refusal ? refusal
                                         : self->reprint_refusal ? self->reprint_refusal
                                         : product ? _("Print the product label on any printer through the print "
                                                       "dialog, at true size, with a reason that is recorded")
                                         : _("Print the package label on any printer through the print dialog, "
                                             "at true size, with a reason that is recorded"));
}

static void
clear_verification (ScUnitsPage *self)
{
  clear_list (self->verify_list);
  gtk_widget_set_visible (GTK_WIDGET (self->verify_list), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->verify_summary), FALSE);
}

static void
show_unit (ScUnitsPage    *self,
           const UnitView *view)
{
  gboolean same = g_strcmp0 (self->serial, view->unit->serial) == 0 &&
                  g_str_equal (gtk_stack_get_visible_child_name (self->content_stack), "unit");

  g_object_freeze_notify (G_OBJECT (self));

  /* Labels made and verified, and a print tried: the run stopped at the
   * printer. */
  set_status (self, view->unit, view->unit->state == SC_UNIT_LABELLED && view->prints->len > 0);
  show_fields (self, view);
  show_steps (self, view);
  show_prints (self, view);
  show_audit (self, view);
  show_label (self, view, SC_LABEL_KIND_PRODUCT);
  show_label (self, view, SC_LABEL_KIND_PACKAGE);

  /* A refresh of the same unit (after a reprint) keeps its place and its
   * verification; another unit starts at the top. */
  if (!same)
    {
      clear_verification (self);
      gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->unit_scroller), 0);
    }

  set_serial (self, view->unit->serial);
  show_content (self, "unit");
  update_actions (self);

  g_object_thaw_notify (G_OBJECT (self));
}

static void
load_unit_done_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(ScUnitsPage) self = g_weak_ref_get (weak);
  LoadJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(UnitView) view = NULL;
  g_autoptr(GError) error = NULL;

  _sc_weak_ref_free (weak);
  view = g_task_propagate_pointer (G_TASK (result), &error);
  if (self == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_busy (self, FALSE);
  if (job->generation != self->generation)
    return;

  if (view != NULL)
    show_unit (self, view);
  else if (g_error_matches (error, SC_STORE_ERROR, SC_STORE_ERROR_NOT_FOUND))
    {
      adw_status_page_set_description (self->not_found_page, error->message);
      show_content (self, "not-found");
    }
  else
    {
      adw_status_page_set_description (self->load_error_page, error->message);
      show_content (self, "load-error");
    }
}

static void
load_unit (ScUnitsPage *self,
           const char  *serial)
{
  g_autoptr(GTask) task = NULL;
  LoadJob *job;

  g_assert (self->station != NULL);

  job = g_new0 (LoadJob, 1);
  job->station = _sc_station_ref_acquire (self->station);
  job->serial = g_strdup (serial);
  job->generation = ++self->generation;

  set_busy (self, TRUE);
  task = g_task_new (NULL, self->cancellable, load_unit_done_cb, _sc_weak_ref_new (self));
  g_task_set_source_tag (task, load_unit);
  g_task_set_task_data (task, job, load_job_free);
  g_task_run_in_thread (task, load_unit_thread);
}

/* ------------------------------------------------------ the list of units */

typedef struct
{
  StationRef   *station;
  guint         generation;
  ScUnitQuery   query;
} ListJob;

static void
list_job_free (gpointer data)
{
  ListJob *job = data;

  _sc_station_ref_release (job->station);
  g_free (job);
}

static void
list_units_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  ListJob *job = task_data;
  GError *error = NULL;
  GPtrArray *units;

  units = sc_store_search_units (job->station->station->store, &job->query, &error);
  if (units == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, units, (GDestroyNotify) g_ptr_array_unref);
}

static GtkWidget *
unit_row_new (const ScUnitRecord *unit)
{
  g_autofree char *when = format_time (unit->created);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *arrow = gtk_image_new_from_icon_name ("go-next-symbolic");

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), unit->serial);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), when);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                             pill_new (sc_unit_state_to_display (unit->state), state_pill_class (unit->state)));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), arrow);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  gtk_widget_add_css_class (row, "sc-unit-row");
  g_object_set_data_full (G_OBJECT (row), "sc-serial", g_strdup (unit->serial), g_free);
  return row;
}

/* The result's name as the filter shows it. */
static const char *
result_label (ScUnitResult result)
{
  switch (result)
    {
    case SC_UNIT_RESULT_PASSED:
      return _("Passed");
    case SC_UNIT_RESULT_FAILED:
      return _("Failed");
    case SC_UNIT_RESULT_IN_PROGRESS:
      return _("In progress");
    case SC_UNIT_RESULT_PRINT_PENDING:
      return _("Print pending");
    case SC_UNIT_RESULT_ANY:
    default:
      return _("All results");
    }
}

static char *
format_day (GDateTime *day)
{
  /* As the rows write their times: the same everywhere, never ambiguous. */
  return g_date_time_format (day, "%Y-%m-%d");
}

/* The filter's days, in words. */
static char *
describe_range (ScUnitsPage *self)
{
  g_autofree char *from = self->from ? format_day (self->from) : NULL;
  g_autofree char *to = self->to ? format_day (self->to) : NULL;

  if (from != NULL && to != NULL && g_str_equal (from, to))
    /* Translators: the units listed: those started on one day */
    return g_strdup_printf (_("Units of %s"), from);
  if (from != NULL && to != NULL)
    /* Translators: the units listed: those started from a day to a day */
    return g_strdup_printf (_("Units from %s to %s"), from, to);
  if (from != NULL)
    /* Translators: the units listed: those started on a day or later */
    return g_strdup_printf (_("Units since %s"), from);
  if (to != NULL)
    /* Translators: the units listed: those started on a day or before */
    return g_strdup_printf (_("Units until %s"), to);
  return g_strdup (_("Units of Any Day"));
}

static void
list_units_done_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(ScUnitsPage) self = g_weak_ref_get (weak);
  ListJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GPtrArray) units = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;
  g_autofree char *count = NULL;
  g_autofree char *description = NULL;
  gboolean cut;

  _sc_weak_ref_free (weak);
  units = g_task_propagate_pointer (G_TASK (result), &error);
  if (self == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_busy (self, FALSE);
  if (job->generation != self->generation)
    return;

  if (units == NULL)
    {
      adw_status_page_set_description (self->load_error_page, error->message);
      show_content (self, "load-error");
      return;
    }

  /* One more than the limit was asked for, to know whether it cut. */
  cut = units->len > LIST_LIMIT;
  if (cut)
    g_ptr_array_set_size (units, LIST_LIMIT);

  clear_list (self->recent_list);
  /* Newest first, as QA wants them. */
  for (guint i = 0; i < units->len; i++)
    gtk_list_box_append (self->recent_list, unit_row_new (g_ptr_array_index (units, i)));

  title = describe_range (self);
  if (cut)
    /* Translators: the list was cut at this many units */
    count = g_strdup_printf (_("The newest %u; choose fewer days to see the others."), (guint) LIST_LIMIT);
  else
    count = g_strdup_printf (ngettext ("%u unit, newest first.", "%u units, newest first.", units->len),
                             units->len);
  /* Translators: the list's result filter, then how many units it shows */
  description = g_strdup_printf (_("%s: %s Type to narrow the list; Enter opens the unit."),
                                 result_label (self->result), count);
  adw_preferences_group_set_title (self->list_group, title);
  adw_preferences_group_set_description (self->list_group, description);

  g_clear_pointer (&description, g_free);
  description = g_strdup_printf (_("%s, %s: no unit. Choose other days or another result, or scan a serial and "
                                   "press Enter to look it up in all the records."),
                                 title, result_label (self->result));
  adw_status_page_set_description (self->empty_page, description);

  show_content (self, units->len > 0 ? "recent" : "empty");
}

static gint64
day_start_us (GDateTime *day)
{
  return g_date_time_to_unix (day) * G_USEC_PER_SEC;
}

static void
show_recent (ScUnitsPage *self)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GDateTime) after = NULL;
  ListJob *job;

  g_assert (self->station != NULL);

  job = g_new0 (ListJob, 1);
  job->station = _sc_station_ref_acquire (self->station);
  job->generation = ++self->generation;
  job->query.since = self->from ? day_start_us (self->from) : 0;
  if (self->to != NULL)
    {
      after = g_date_time_add_days (self->to, 1);
      job->query.until = day_start_us (after);
    }
  job->query.result = self->result;
  job->query.limit = LIST_LIMIT + 1;

  set_busy (self, TRUE);
  task = g_task_new (NULL, self->cancellable, list_units_done_cb, _sc_weak_ref_new (self));
  g_task_set_source_tag (task, show_recent);
  g_task_set_task_data (task, job, list_job_free);
  g_task_run_in_thread (task, list_units_thread);
}

/* While a serial is typed, the list shows the units it fits. */
static gboolean
recent_filter_func (GtkListBoxRow *row,
                    gpointer       user_data)
{
  ScUnitsPage *self = user_data;
  const char *serial = g_object_get_data (G_OBJECT (row), "sc-serial");
  g_autofree char *typed = g_utf8_casefold (gtk_editable_get_text (GTK_EDITABLE (self->search_entry)), -1);
  g_autofree char *folded = NULL;

  g_strstrip (typed);
  if (*typed == '\0' || serial == NULL)
    return TRUE;
  folded = g_utf8_casefold (serial, -1);
  return strstr (folded, typed) != NULL;
}

/* ------------------------------------------------------------- reprints */

static void
select_search_text (ScUnitsPage *self)
{
  /* The next scan replaces what is there. */
  if (gtk_widget_get_mapped (GTK_WIDGET (self->search_entry)))
    {
      gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
      gtk_editable_select_region (GTK_EDITABLE (self->search_entry), 0, -1);
    }
}

typedef struct
{
  StationRef  *station;
  char        *serial;
  ScLabelKind  kind;
  char        *reason;
  char        *operator_name;
  char        *printer;           /* out: where it was printed */
} ReprintJob;

static void
reprint_job_free (gpointer data)
{
  ReprintJob *job = data;

  _sc_station_ref_release (job->station);
  g_free (job->serial);
  g_free (job->reason);
  g_free (job->operator_name);
  g_free (job->printer);
  g_free (job);
}

/* As the CLI's reprint does: the unit read again (it may have changed since
 * it was shown), its label rebuilt, the reprint journaled with its reason
 * before the job goes out, and finished after. */
static void
reprint_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  ReprintJob *job = task_data;
  ScStation *station = job->station->station;
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autoptr(ScLabelLayout) layout = NULL;
  g_autoptr(GError) print_error = NULL;
  g_autoptr(GError) finish_error = NULL;
  g_autofree char *refusal = NULL;
  g_autofree char *name = NULL;
  GError *error = NULL;
  gint64 print_id;
  gboolean printed;

  if (!(unit = sc_store_find_unit (station->store, NULL, job->serial, &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  if ((refusal = reprint_refusal (station, unit, job->kind)) != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "%s", refusal);
      return;
    }

  job->printer = sc_printer_describe (station->printer);
  name = g_strdup_printf ("%s-%s-reprint-%" G_GINT64_FORMAT, unit->serial, sc_label_kind_to_string (job->kind),
                          g_get_real_time ());
  if (!(layout = rebuild_layout (station, unit, job->kind, &error)) ||
      !(print_id = sc_store_begin_print (station->store, unit->id, job->kind, TRUE, job->reason, job->printer,
                                         job->operator_name, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  /* Once journaled, the job is not cancelled half-way: it ends in the
   * records as done; as not sent when the printer says nothing left (its
   * reason kept); or, for a job cut off part-way and any error that does
   * not say so, as pending with why: whether a label came out is not
   * known (sc_store_end_print_job()). */
  printed = sc_printer_print (station->printer, layout, name, NULL, &print_error);
  if (!sc_store_end_print_job (station->store, print_id, printed ? NULL : print_error, &finish_error))
    {
      if (printed)
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                                 _("The label was printed, but the records could not say so; they show the "
                                   "reprint as pending: %s"), finish_error->message);
      else
        g_task_return_error (task, g_steal_pointer (&print_error));
      return;
    }
  if (!printed)
    {
      g_task_return_error (task, g_steal_pointer (&print_error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
reprint_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(ScUnitsPage) self = g_weak_ref_get (weak);
  ReprintJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  gboolean ok;

  _sc_weak_ref_free (weak);
  ok = g_task_propagate_boolean (G_TASK (result), &error);
  if (self == NULL)
    return;

  self->reprinting = FALSE;
  set_busy (self, FALSE);
  update_actions (self);

  if (ok)
    message = g_strdup_printf (job->kind == SC_LABEL_KIND_PRODUCT
                               ? _("Reprinted the product label of %s on %s")
                               : _("Reprinted the package label of %s on %s"),
                               job->serial, job->printer);
  else
    message = g_strdup_printf (job->kind == SC_LABEL_KIND_PRODUCT
                               ? _("The product label of %s was not reprinted: %s")
                               : _("The package label of %s was not reprinted: %s"),
                               job->serial, error->message);
  toast (self, message, !ok);
  if (!ok)
    gtk_widget_error_bell (GTK_WIDGET (self));

  /* The records changed either way (a reprint done, failed or pending). */
  if (g_strcmp0 (self->serial, job->serial) == 0)
    load_unit (self, job->serial);
}

static void
reprint_action_cb (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  ScUnitsPage *self = SC_UNITS_PAGE (widget);
  g_autoptr(GTask) task = NULL;
  const char *kind_name, *reason;
  g_autofree char *stripped = NULL;
  ScLabelKind kind;
  ReprintJob *job;

  g_variant_get (parameter, "(&s&s)", &kind_name, &reason);
  stripped = g_strstrip (g_strdup (reason));
  if (!sc_label_kind_from_string (kind_name, &kind))
    {
      g_warning ("units.reprint: “%s” is not a label kind", kind_name);
      return;
    }
  /* A reprint without a reason is never recorded. */
  if (*stripped == '\0' || !self->can_reprint[kind] || self->serial == NULL || self->reprint_refusal != NULL)
    {
      gtk_widget_error_bell (widget);
      return;
    }

  job = g_new0 (ReprintJob, 1);
  job->station = _sc_station_ref_acquire (self->station);
  job->serial = g_strdup (self->serial);
  job->kind = kind;
  job->reason = g_steal_pointer (&stripped);
  /* Who is signed in (sc-user-session.h), or the system account. */
  job->operator_name = g_strdup (self->operator_name ? self->operator_name : g_get_user_name ());

  self->reprinting = TRUE;
  set_busy (self, TRUE);
  update_actions (self);

  task = g_task_new (NULL, NULL, reprint_done_cb, _sc_weak_ref_new (self));
  g_task_set_source_tag (task, reprint_action_cb);
  g_task_set_task_data (task, job, reprint_job_free);
  g_task_run_in_thread (task, reprint_thread);
}

static void
reprint_dialog_response_cb (ScUnitsPage      *self,
                            const char       *response,
                            AdwMessageDialog *dialog)
{
  ScLabelKind kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "sc-kind"));
  gboolean print_on = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "sc-print-on"));
  g_autofree char *reason = NULL;

  if (self->reprint_dialog == GTK_WIDGET (dialog))
    self->reprint_dialog = NULL;
  /* Focus back where the next scan goes, not on the Reprint button where
   * the scanner's Enter would ask again. */
  select_search_text (self);
  if (!g_str_equal (response, "reprint"))
    return;

  reason = _sc_reason_dialog_get_reason (GTK_WIDGET (dialog));
  gtk_widget_activate_action (GTK_WIDGET (self), print_on ? "units.print-on" : "units.reprint", "(ss)",
                              sc_label_kind_to_string (kind), reason);
}

/* The reason, for a reprint on the station's printer or (@print_on) through
 * the print dialog on any printer: a reason from the list, and words of
 * one's own ("Other" needs them). */
static void
ask_reprint (ScUnitsPage *self,
             ScLabelKind  kind,
             gboolean     print_on)
{
  GtkWidget *dialog;
  g_autofree char *body = NULL;

  if (self->reprint_dialog != NULL)
    {
      gtk_window_present (GTK_WINDOW (self->reprint_dialog));
      return;
    }

  if (print_on)
    body = g_strdup_printf (_("The label of %s is printed at true size on the printer you choose next, and "
                              "recorded as a reprint with its reason. Destroy the label it replaces."), self->serial);
  else
    body = g_strdup_printf (_("The reprint of %s is recorded with its reason. Destroy the label it replaces."),
                            self->serial);
  dialog = _sc_reason_dialog_new (GTK_WIDGET (self),
                                  print_on ? (kind == SC_LABEL_KIND_PRODUCT
                                              ? _("Print the Product Label on Another Printer?")
                                              : _("Print the Package Label on Another Printer?"))
                                  : kind == SC_LABEL_KIND_PRODUCT ? _("Reprint the Product Label?")
                                  : _("Reprint the Package Label?"),
                                  body, "reprint", print_on ? _("Choose _Printer…") : _("_Reprint"),
                                  reprint_reasons, G_N_ELEMENTS (reprint_reasons));
  g_object_set_data (G_OBJECT (dialog), "sc-kind", GINT_TO_POINTER (kind));
  g_object_set_data (G_OBJECT (dialog), "sc-print-on", GINT_TO_POINTER (print_on));
  g_signal_connect_object (dialog, "response", G_CALLBACK (reprint_dialog_response_cb), self, G_CONNECT_SWAPPED);

  self->reprint_dialog = dialog;
  /* Keys first go to the details, where Enter reprints with the reason
   * chosen: the whole dialog works from the keyboard. */
  _sc_reason_dialog_present (dialog);
}

static void
ask_reprint_action_cb (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  ask_reprint (SC_UNITS_PAGE (widget),
               g_str_has_suffix (action_name, "-package") ? SC_LABEL_KIND_PACKAGE : SC_LABEL_KIND_PRODUCT,
               g_str_has_prefix (action_name, "units.print-on"));
}

/* ------------------------------------------ reprints through the print dialog */

typedef struct
{
  StationRef    *station;
  char          *serial;
  ScLabelKind    kind;
  char          *reason;
  char          *operator_name;
  /* out */
  gint64         unit_id;
  ScLabelLayout *label;
  char          *serial_line;
} PrintOnJob;

static void
print_on_job_free (gpointer data)
{
  PrintOnJob *job = data;

  _sc_station_ref_release (job->station);
  g_free (job->serial);
  g_free (job->reason);
  g_free (job->operator_name);
  g_clear_object (&job->label);
  g_free (job->serial_line);
  g_free (job);
}

/* As for a reprint: the unit read again, its label rebuilt from the records
 * (the PIN unsealed), in a thread. The print operation lays it out again
 * for the printer chosen, verifies it and journals the reprint. */
static void
print_on_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  PrintOnJob *job = task_data;
  ScStation *station = job->station->station;
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autoptr(ScPayload) payload = NULL;
  g_autofree char *refusal = NULL;
  GError *error = NULL;

  if (!(unit = sc_store_find_unit (station->store, NULL, job->serial, &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  if ((refusal = reprint_refusal (station, unit, job->kind)) != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "%s", refusal);
      return;
    }
  if (!(payload = rebuild_payload (station, unit, job->kind, &error)) ||
      !(job->label = sc_label_layout_new_for_profile (station->profile, payload, sc_dak_is_training (station->dak),
                                                      &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  job->unit_id = unit->id;
  job->serial_line = g_strdup (payload->serial);
  g_task_return_boolean (task, TRUE);
}

static void
print_operation_finished_cb (ScUnitsPage           *self,
                             gboolean               printed,
                             const char            *message,
                             ScLabelPrintOperation *operation)
{
  const char *serial = g_object_get_data (G_OBJECT (operation), "sc-serial");
  ScLabelKind kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (operation), "sc-kind"));
  g_autofree char *text = NULL;

  if (self->print_operation != operation)
    return;
  self->printing_on = FALSE;
  set_busy (self, FALSE);
  update_actions (self);

  if (printed)
    text = g_strdup_printf (kind == SC_LABEL_KIND_PRODUCT ? _("Reprinted the product label of %s on %s")
                                                          : _("Reprinted the package label of %s on %s"),
                            serial, sc_label_print_operation_get_printer (operation));
  else if (message != NULL)
    text = g_strdup_printf (kind == SC_LABEL_KIND_PRODUCT ? _("The product label of %s was not reprinted: %s")
                                                          : _("The package label of %s was not reprinted: %s"),
                            serial, message);
  /* Neither: the dialog was closed, and nothing happened. */
  if (text != NULL)
    toast (self, text, !printed);
  if (!printed && message != NULL)
    gtk_widget_error_bell (GTK_WIDGET (self));

  /* A print journaled changed the records, whichever way it ended. */
  if (sc_label_print_operation_get_layout (operation) != NULL && g_strcmp0 (self->serial, serial) == 0)
    load_unit (self, serial);
  g_clear_object (&self->print_operation);
}

static void
print_on_done_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(ScUnitsPage) self = g_weak_ref_get (weak);
  PrintOnJob *job = g_task_get_task_data (G_TASK (result));
  ScStation *station = job->station->station;
  g_autoptr(GError) error = NULL;
  g_autoptr(GtkPrintSettings) settings = NULL;
  GtkPrintOperationAction action = GTK_PRINT_OPERATION_ACTION_PRINT_DIALOG;
  GtkPrintOperationResult run;
  GtkRoot *root;
  ScLabelPrintOperation *operation;

  _sc_weak_ref_free (weak);
  if (self == NULL)
    return;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *text = g_strdup_printf (job->kind == SC_LABEL_KIND_PRODUCT
                                               ? _("The product label of %s was not reprinted: %s")
                                               : _("The package label of %s was not reprinted: %s"),
                                               job->serial, error->message);
      self->printing_on = FALSE;
      set_busy (self, FALSE);
      update_actions (self);
      toast (self, text, TRUE);
      gtk_widget_error_bell (GTK_WIDGET (self));
      return;
    }

  operation = sc_label_print_operation_new (station->profile, job->label, job->serial_line,
                                            sc_dak_is_training (station->dak), station->store, job->unit_id,
                                            job->reason, job->operator_name);
  g_object_set_data_full (G_OBJECT (operation), "sc-serial", g_strdup (job->serial), g_free);
  g_object_set_data (G_OBJECT (operation), "sc-kind", GINT_TO_POINTER (job->kind));
  g_signal_connect_object (operation, "finished", G_CALLBACK (print_operation_finished_cb), self, G_CONNECT_SWAPPED);
  g_clear_object (&self->print_operation);
  self->print_operation = operation;

  if (self->print_export_path != NULL)
    {
      /* The tests: no dialog, a PDF for a printer of this resolution. */
      settings = gtk_print_settings_new ();
      gtk_print_settings_set_resolution (settings, (int) self->print_export_dpi);
      gtk_print_operation_set_print_settings (GTK_PRINT_OPERATION (operation), settings);
      gtk_print_operation_set_export_filename (GTK_PRINT_OPERATION (operation), self->print_export_path);
      action = GTK_PRINT_OPERATION_ACTION_EXPORT;
    }

  /* Asynchronous: "finished" comes once the outcome is in the records. */
  root = gtk_widget_get_root (GTK_WIDGET (self));
  run = gtk_print_operation_run (GTK_PRINT_OPERATION (operation), action,
                                 GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, &error);
  if (run == GTK_PRINT_OPERATION_RESULT_ERROR)
    g_debug ("The print operation for %s ended with an error: %s", job->serial, error ? error->message : "?");
}

static void
print_on_action_cb (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  ScUnitsPage *self = SC_UNITS_PAGE (widget);
  g_autoptr(GTask) task = NULL;
  const char *kind_name, *reason;
  g_autofree char *stripped = NULL;
  ScLabelKind kind;
  PrintOnJob *job;

  g_variant_get (parameter, "(&s&s)", &kind_name, &reason);
  stripped = g_strstrip (g_strdup (reason));
  if (!sc_label_kind_from_string (kind_name, &kind))
    {
      g_warning ("units.print-on: “%s” is not a label kind", kind_name);
      return;
    }
  /* A reprint without a reason is never recorded, on any printer. */
  if (*stripped == '\0' || !self->can_reprint[kind] || self->serial == NULL || self->reprint_refusal != NULL ||
      self->printing_on)
    {
      gtk_widget_error_bell (widget);
      return;
    }

  job = g_new0 (PrintOnJob, 1);
  job->station = _sc_station_ref_acquire (self->station);
  job->serial = g_strdup (self->serial);
  job->kind = kind;
  job->reason = g_steal_pointer (&stripped);
  job->operator_name = g_strdup (self->operator_name ? self->operator_name : g_get_user_name ());

  self->printing_on = TRUE;
  set_busy (self, TRUE);
  update_actions (self);

  task = g_task_new (NULL, NULL, print_on_done_cb, _sc_weak_ref_new (self));
  g_task_set_source_tag (task, print_on_action_cb);
  g_task_set_task_data (task, job, print_on_job_free);
  g_task_run_in_thread (task, print_on_thread);
}

/* ------------------------------------------------------- label verification */

typedef struct
{
  char     *title;
  char     *detail;
  gboolean  match;
} VerifyField;

static void
verify_field_free (gpointer data)
{
  VerifyField *field = data;

  g_free (field->title);
  g_free (field->detail);
  g_free (field);
}

typedef struct
{
  StationRef *station;
  char       *serial;
  char       *path;
  /* out */
  char       *decoder;
  ScLabelKind kind;
  char       *problem;      /* the code was read, but it is not a payload */
  GPtrArray  *fields;       /* VerifyField */
} VerifyJob;

static void
verify_job_free (gpointer data)
{
  VerifyJob *job = data;

  _sc_station_ref_release (job->station);
  g_free (job->serial);
  g_free (job->path);
  g_free (job->decoder);
  g_free (job->problem);
  g_clear_pointer (&job->fields, g_ptr_array_unref);
  g_free (job);
}

static void
add_field (VerifyJob  *job,
           const char *title,
           gboolean    match,
           char       *detail)
{
  VerifyField *field = g_new0 (VerifyField, 1);

  field->title = g_strdup (title);
  field->match = match;
  field->detail = detail;
  g_ptr_array_add (job->fields, field);
}

static void
compare_text (VerifyJob  *job,
              const char *title,
              const char *on_label,
              const char *in_records)
{
  if (on_label != NULL && g_strcmp0 (on_label, in_records) == 0)
    add_field (job, title, TRUE, g_strdup (on_label));
  else
    /* Translators: a label field that differs: what the label says, then what the records say */
    add_field (job, title, FALSE, g_strdup_printf (_("Label: %s\nRecords: %s"), on_label ? on_label : _("(missing)"),
                                                   in_records ? in_records : _("(none)")));
}

static void
verify_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  VerifyJob *job = task_data;
  ScStation *station = job->station->station;
  const ScLabelSettings *settings = sc_profile_get_label_settings (station->profile);
  ScPayloadRules rules = { sc_profile_get_pin_alphabet (station->profile), 0, FALSE };
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autoptr(ScPayload) payload = NULL;
  g_autoptr(GError) parse_error = NULL;
  sc_autowipe char *text = NULL;   /* a product label's code holds the PIN */
  GError *error = NULL;

  if (!(unit = sc_store_find_unit (station->store, NULL, job->serial, &error)) ||
      !(text = sc_label_decode_png (job->path, &job->decoder, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  payload = sc_payload_parse (text, &rules, &parse_error);
  if (payload == NULL)
    {
      job->problem = g_strdup_printf (_("A code was read, but it is not a label payload: %s"), parse_error->message);
      g_task_return_boolean (task, TRUE);
      return;
    }

  job->kind = payload->kind;
  job->fields = g_ptr_array_new_with_free_func (verify_field_free);

  if (payload->serial == NULL && !settings->include_serial)
    add_field (job, _("Serial"), TRUE, g_strdup (_("Not on the label: this product’s labels leave it out")));
  else
    compare_text (job, _("Serial"), payload->serial, unit->serial);
  compare_text (job, _("PID"), payload->pid, unit->pid);
  compare_text (job, _("PUK"), payload->puk, unit->puk);

  if (payload->kind == SC_LABEL_KIND_PRODUCT)
    {
      g_autoptr(ScSecret) recorded = NULL;
      g_autoptr(ScSecret) printed = NULL;
      g_autoptr(GError) pin_error = NULL;

      /* Compared in constant time, and never shown. */
      if (unit->pin_sealed == NULL)
        add_field (job, _("PIN"), FALSE, g_strdup (_("The records hold no PIN for this unit")));
      else if (!(recorded = sc_station_secret_open_pin (station->secret, unit->serial, unit->pin_sealed, &pin_error)))
        add_field (job, _("PIN"), FALSE, g_strdup_printf (_("The recorded PIN cannot be unsealed: %s"),
                                                         pin_error->message));
      else
        {
          const char *r = sc_secret_get_string (recorded);
          g_autoptr(ScSecret) recorded_text = sc_secret_new (r, strlen (r));
          gboolean same;

          printed = sc_secret_new (payload->pin, strlen (payload->pin));
          same = sc_secret_equal (printed, recorded_text);
          add_field (job, _("PIN"), same,
                     g_strdup (same ? _("Matches the sealed PIN (not shown)")
                                    : _("Differs from the sealed PIN (neither is shown)")));
        }
    }
  else
    compare_text (job, _("Package code"), payload->upc ? payload->upc : payload->ean, settings->package_code);

  g_task_return_boolean (task, TRUE);
}

static void
show_verification (ScUnitsPage *self,
                   VerifyJob   *job,
                   const GError *error)
{
  g_autofree char *file = g_filename_display_basename (job->path);
  g_autofree char *summary = NULL;
  g_autoptr(GString) differ = g_string_new (NULL);
  gboolean match = error == NULL && job->problem == NULL;

  clear_list (self->verify_list);

  for (guint i = 0; job->fields != NULL && i < job->fields->len; i++)
    {
      VerifyField *field = g_ptr_array_index (job->fields, i);
      GtkWidget *row = text_row_new (field->title, field->detail);
      GtkWidget *icon = gtk_image_new_from_icon_name (field->match ? "emblem-ok-symbolic" : "dialog-error-symbolic");

      gtk_widget_add_css_class (icon, field->match ? "success" : "error");
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 pill_new (field->match ? C_("verify", "Match") : C_("verify", "Mismatch"),
                                           field->match ? "success" : "error"));
      gtk_widget_add_css_class (row, field->match ? "sc-match" : "sc-mismatch");
      gtk_list_box_append (self->verify_list, row);

      if (!field->match)
        {
          match = FALSE;
          g_string_append_printf (differ, "%s%s", differ->len ? ", " : "", field->title);
        }
    }

  if (error != NULL)
    summary = g_strdup_printf (_("%s cannot be verified: %s"), file, error->message);
  else if (job->problem != NULL)
    summary = g_strdup_printf (_("%s does not match: %s"), file, job->problem);
  else if (match)
    summary = g_strdup_printf (job->kind == SC_LABEL_KIND_PRODUCT
                               ? _("%s is a product label that matches the records of %s, field by field.")
                               : _("%s is a package label that matches the records of %s, field by field."),
                               file, job->serial);
  else
    /* Translators: a file name, a serial, then the names of the fields that differ */
    summary = g_strdup_printf (_("%s does NOT match the records of %s: %s differ."), file, job->serial, differ->str);

  gtk_label_set_label (self->verify_summary, summary);
  gtk_widget_remove_css_class (GTK_WIDGET (self->verify_summary), match ? "error" : "success");
  gtk_widget_add_css_class (GTK_WIDGET (self->verify_summary), match ? "success" : "error");
  gtk_widget_set_visible (GTK_WIDGET (self->verify_summary), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->verify_list), job->fields != NULL && job->fields->len > 0);
  if (job->decoder != NULL)
    {
      g_autofree char *tooltip = g_strdup_printf (_("Read by %s"), job->decoder);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->verify_summary), tooltip);
    }
  if (!match)
    gtk_widget_error_bell (GTK_WIDGET (self));
}

static void
verify_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(ScUnitsPage) self = g_weak_ref_get (weak);
  VerifyJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  _sc_weak_ref_free (weak);
  g_task_propagate_boolean (G_TASK (result), &error);
  if (self == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->verifying = FALSE;
  set_busy (self, FALSE);
  update_actions (self);

  /* Shown only on the unit it was for. */
  if (g_strcmp0 (self->serial, job->serial) == 0)
    show_verification (self, job, error);
}

static void
verify_file_action_cb (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  ScUnitsPage *self = SC_UNITS_PAGE (widget);
  g_autoptr(GTask) task = NULL;
  VerifyJob *job;

  if (self->serial == NULL || self->verifying)
    return;

  job = g_new0 (VerifyJob, 1);
  job->station = _sc_station_ref_acquire (self->station);
  job->serial = g_strdup (self->serial);
  job->path = g_variant_dup_string (parameter, NULL);

  self->verifying = TRUE;
  set_busy (self, TRUE);
  update_actions (self);

  task = g_task_new (NULL, self->cancellable, verify_done_cb, _sc_weak_ref_new (self));
  g_task_set_source_tag (task, verify_file_action_cb);
  g_task_set_task_data (task, job, verify_job_free);
  g_task_run_in_thread (task, verify_thread);
}

static void
chooser_response_cb (ScUnitsPage          *self,
                     int                   response,
                     GtkFileChooserNative *chooser)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file != NULL)
    path = g_file_get_path (file);

  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (chooser));
  if (self->chooser == chooser)
    g_clear_object (&self->chooser);
  select_search_text (self);

  if (path != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "units.verify-file", "s", path);
  else if (file != NULL)
    toast (self, _("Only a local file can be verified: copy the image to this computer first."), TRUE);
}

static void
verify_action_cb (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  ScUnitsPage *self = SC_UNITS_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autoptr(GtkFileFilter) png = gtk_file_filter_new ();

  if (self->chooser != NULL)
    {
      gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
      return;
    }

  gtk_file_filter_set_name (png, _("PNG images"));
  gtk_file_filter_add_mime_type (png, "image/png");
  gtk_file_filter_add_suffix (png, "png");

  self->chooser = gtk_file_chooser_native_new (_("Open a Label Image"),
                                               GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                               GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), png);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (chooser_response_cb), self, G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* -------------------------------------------------------------- the filter */

static GDateTime *
today_local (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  return g_date_time_new_local (g_date_time_get_year (now), g_date_time_get_month (now),
                                g_date_time_get_day_of_month (now), 0, 0, 0);
}

/* "YYYY-MM-DD": that day's local midnight in *@day; "": no bound (NULL). */
static gboolean
parse_day (const char  *text,
           GDateTime  **day)
{
  guint y, m, d;
  char end;

  *day = NULL;
  if (*text == '\0')
    return TRUE;
  if (strlen (text) != 10 || sscanf (text, "%4u-%2u-%2u%c", &y, &m, &d, &end) != 3 ||
      text[4] != '-' || text[7] != '-' || !g_date_valid_dmy (d, m, y))
    return FALSE;
  *day = g_date_time_new_local (y, m, d, 0, 0, 0);
  return *day != NULL;
}

static char *
day_to_string (GDateTime *day)
{
  return day ? g_date_time_format (day, "%Y-%m-%d") : g_strdup ("");
}

/* The filter's widgets say what the filter is. */
static void
sync_filter_widgets (ScUnitsPage *self)
{
  g_autofree char *from = self->from ? format_day (self->from) : g_strdup (_("Any day"));
  g_autofree char *to = self->to ? format_day (self->to) : g_strdup (_("Any day"));

  self->syncing_filter = TRUE;
  gtk_menu_button_set_label (self->from_button, from);
  gtk_menu_button_set_label (self->to_button, to);
  if (self->from != NULL)
    gtk_calendar_select_day (self->from_calendar, self->from);
  if (self->to != NULL)
    gtk_calendar_select_day (self->to_calendar, self->to);
  gtk_drop_down_set_selected (self->result_dropdown, self->result);
  self->syncing_filter = FALSE;
}

static void
set_filter (ScUnitsPage  *self,
            GDateTime    *from,
            GDateTime    *to,
            ScUnitResult  result)
{
  gboolean from_changed = !(from == self->from || (from && self->from && g_date_time_equal (from, self->from)));
  gboolean to_changed = !(to == self->to || (to && self->to && g_date_time_equal (to, self->to)));
  gboolean result_changed = result != self->result;

  g_object_freeze_notify (G_OBJECT (self));
  if (from_changed)
    {
      g_clear_pointer (&self->from, g_date_time_unref);
      self->from = from ? g_date_time_ref (from) : NULL;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FROM]);
    }
  if (to_changed)
    {
      g_clear_pointer (&self->to, g_date_time_unref);
      self->to = to ? g_date_time_ref (to) : NULL;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TO]);
    }
  if (result_changed)
    {
      self->result = result;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESULT]);
    }
  sync_filter_widgets (self);
  g_object_thaw_notify (G_OBJECT (self));
}

static void
filter_action_cb (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  ScUnitsPage *self = SC_UNITS_PAGE (widget);
  g_autoptr(GDateTime) from = NULL;
  g_autoptr(GDateTime) to = NULL;
  const char *from_text, *to_text, *result_name;
  g_autofree char *refusal = NULL;
  ScUnitResult result;

  g_variant_get (parameter, "(&s&s&s)", &from_text, &to_text, &result_name);
  if (!parse_day (from_text, &from))
    refusal = g_strdup_printf (_("“%s” is not a day: write it as 2026-11-28."), from_text);
  else if (!parse_day (to_text, &to))
    refusal = g_strdup_printf (_("“%s” is not a day: write it as 2026-11-28."), to_text);
  else if (from != NULL && to != NULL && g_date_time_compare (from, to) > 0)
    refusal = g_strdup (_("The first day is after the last: choose the days again."));
  else if (!sc_unit_result_from_string (result_name, &result))
    /* Translators: the names in quotes are not translated: a program sends them */
    refusal = g_strdup_printf (_("“%s” is not a result: use any, passed, failed, in-progress or print-pending."),
                               result_name);

  if (refusal != NULL)
    {
      toast (self, refusal, TRUE);
      gtk_widget_error_bell (widget);
      /* The widgets show the filter that still holds. */
      sync_filter_widgets (self);
      return;
    }

  set_filter (self, from, to, result);
  /* From a unit's page too: the list it goes back to is what was asked for. */
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  show_recent (self);
}

/* The widgets ask for the filter through the action, as a script would. */
static void
request_filter (ScUnitsPage  *self,
                GDateTime    *from,
                GDateTime    *to,
                ScUnitResult  result)
{
  g_autofree char *from_text = day_to_string (from);
  g_autofree char *to_text = day_to_string (to);

  gtk_widget_activate_action (GTK_WIDGET (self), "units.filter", "(sss)", from_text, to_text,
                              sc_unit_result_to_string (result));
}

static GDateTime *
calendar_day (GtkCalendar *calendar)
{
  g_autoptr(GDateTime) picked = gtk_calendar_get_date (calendar);

  return g_date_time_new_local (g_date_time_get_year (picked), g_date_time_get_month (picked),
                                g_date_time_get_day_of_month (picked), 0, 0, 0);
}

/* A first day after the last moves the last along, and the other way round. */
static void
from_day_selected_cb (ScUnitsPage *self,
                      GtkCalendar *calendar)
{
  g_autoptr(GDateTime) from = NULL;

  if (self->syncing_filter)
    return;
  from = calendar_day (calendar);
  request_filter (self, from, self->to && g_date_time_compare (from, self->to) > 0 ? from : self->to, self->result);
}

static void
to_day_selected_cb (ScUnitsPage *self,
                    GtkCalendar *calendar)
{
  g_autoptr(GDateTime) to = NULL;

  if (self->syncing_filter)
    return;
  to = calendar_day (calendar);
  request_filter (self, self->from && g_date_time_compare (self->from, to) > 0 ? to : self->from, to, self->result);
}

static void
result_selected_cb (ScUnitsPage *self,
                    GParamSpec  *pspec,
                    GtkDropDown *dropdown)
{
  guint selected = gtk_drop_down_get_selected (dropdown);

  if (self->syncing_filter || selected > SC_UNIT_RESULT_PRINT_PENDING)
    return;
  request_filter (self, self->from, self->to, (ScUnitResult) selected);
}

/* ------------------------------------------------------------ the manifest */

typedef struct
{
  GWeakRef *page;
  char     *path;
} ExportJob;

static void
export_job_free (ExportJob *job)
{
  _sc_weak_ref_free (job->page);
  g_free (job->path);
  g_free (job);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ExportJob, export_job_free)

static void
export_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(ExportJob) job = user_data;
  g_autoptr(ScUnitsPage) self = g_weak_ref_get (job->page);
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_filename_display_basename (job->path);
  g_autofree char *message = NULL;
  int n;

  n = sc_manifest_export_finish (result, &error);
  if (self == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->exporting = FALSE;
  set_busy (self, FALSE);
  update_actions (self);

  if (n >= 0)
    message = g_strdup_printf (ngettext ("Saved the manifest of %d passed unit to %s",
                                         "Saved the manifest of %d passed units to %s", n),
                               n, name);
  else
    message = g_strdup_printf (_("The manifest was not saved: %s"), error->message);
  toast (self, message, n < 0);
  if (n < 0)
    gtk_widget_error_bell (GTK_WIDGET (self));
}

static void
export_file_action_cb (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  ScUnitsPage *self = SC_UNITS_PAGE (widget);
  g_autoptr(GDateTime) after = NULL;
  g_autoptr(GFile) file = NULL;
  const char *format_name, *path;
  ScManifestFormat format;
  gint64 since, until;
  ExportJob *job;

  g_variant_get (parameter, "(&s&s)", &format_name, &path);
  if (!sc_manifest_format_from_string (format_name, &format) || *path == '\0' || self->exporting)
    {
      gtk_widget_error_bell (widget);
      return;
    }

  since = self->from ? day_start_us (self->from) : 0;
  if (self->to != NULL)
    after = g_date_time_add_days (self->to, 1);
  until = after ? day_start_us (after) : 0;
  file = g_file_new_for_path (path);
  job = g_new0 (ExportJob, 1);
  job->page = _sc_weak_ref_new (self);
  job->path = g_strdup (path);

  self->exporting = TRUE;
  set_busy (self, TRUE);
  update_actions (self);

  /* The task holds the store while it works, whatever the page does. */
  sc_manifest_export_async (self->station->station->store, since, until, format, file, self->cancellable,
                            export_done_cb, job);
}

static void
export_chooser_response_cb (ScUnitsPage          *self,
                            int                   response,
                            GtkFileChooserNative *chooser)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  const char *format = g_object_get_data (G_OBJECT (chooser), "sc-format");
  g_autofree char *format_name = g_strdup (format);

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file != NULL)
    path = g_file_get_path (file);

  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (chooser));
  if (self->export_chooser == chooser)
    g_clear_object (&self->export_chooser);
  select_search_text (self);

  if (path != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "units.export-file", "(ss)", format_name, path);
  else if (file != NULL)
    toast (self, _("The manifest can only be saved to a folder on this computer: choose a local folder."), TRUE);
}

static void
export_action_cb (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  ScUnitsPage *self = SC_UNITS_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  const char *format_name = g_variant_get_string (parameter, NULL);
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autofree char *name = NULL;
  ScManifestFormat format;
  gboolean json;

  if (!sc_manifest_format_from_string (format_name, &format))
    {
      gtk_widget_error_bell (widget);
      return;
    }
  json = format == SC_MANIFEST_JSON;
  if (self->export_chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (g_steal_pointer (&self->export_chooser)));
  g_clear_object (&self->export_chooser);

  gtk_file_filter_set_name (filter, json ? _("JSON files") : _("CSV files"));
  gtk_file_filter_add_mime_type (filter, json ? "application/json" : "text/csv");
  gtk_file_filter_add_suffix (filter, json ? "json" : "csv");

  /* Named after its days, so a folder of manifests sorts by date. */
  from = self->from ? g_date_time_format (self->from, "%Y-%m-%d") : g_strdup ("start");
  to = self->to ? g_date_time_format (self->to, "%Y-%m-%d") : g_strdup ("now");
  name = g_strdup_printf ("manifest-%s-to-%s.%s", from, to, sc_manifest_format_to_string (format));

  self->export_chooser = gtk_file_chooser_native_new (_("Save the Manifest"),
                                                      GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                      GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->export_chooser), filter);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->export_chooser), name);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->export_chooser), TRUE);
  g_object_set_data_full (G_OBJECT (self->export_chooser), "sc-format",
                          g_strdup (sc_manifest_format_to_string (format)), g_free);
  g_signal_connect_object (self->export_chooser, "response", G_CALLBACK (export_chooser_response_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->export_chooser));
}

/* --------------------------------------------------- search and navigation */

static void
search_action_cb (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  ScUnitsPage *self = SC_UNITS_PAGE (widget);
  g_autofree char *serial = g_strstrip (g_variant_dup_string (parameter, NULL));

  if (*serial == '\0')
    show_recent (self);
  else
    load_unit (self, serial);
}

static void
show_recent_action_cb (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  ScUnitsPage *self = SC_UNITS_PAGE (widget);

  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  show_recent (self);
}

static void
search_activate_cb (ScUnitsPage    *self,
                    GtkSearchEntry *entry)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));

  gtk_widget_activate_action (GTK_WIDGET (self), "units.search", "s", text);
  select_search_text (self);
}

static void
search_changed_cb (ScUnitsPage    *self,
                   GtkSearchEntry *entry)
{
  gtk_list_box_invalidate_filter (self->recent_list);
}

static void
stop_search_cb (ScUnitsPage    *self,
                GtkSearchEntry *entry)
{
  if (self->station != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "units.show-list", NULL);
}

static void
recent_row_activated_cb (ScUnitsPage   *self,
                         GtkListBoxRow *row,
                         GtkListBox    *list)
{
  const char *serial = g_object_get_data (G_OBJECT (row), "sc-serial");

  if (serial == NULL)
    return;
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), serial);
  gtk_widget_activate_action (GTK_WIDGET (self), "units.search", "s", serial);
  select_search_text (self);
}

static void
station_ready (ScUnitsPage *self,
               StationRef  *ref)
{
  g_clear_pointer (&self->station, _sc_station_ref_release);
  self->station = ref;

  gtk_stack_set_visible_child_name (self->stack, "station");
  update_actions (self);
  show_recent (self);
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READY]);
}

static void
open_station_done_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  StationRef *ref = NULL;
  g_autoptr(ScUnitsPage) self = _sc_station_ref_open_finish (result, user_data, &ref, &error);

  if (self == NULL)
    return;
  if (ref == NULL)
    {
      adw_status_page_set_description (self->error_page, error->message);
      gtk_stack_set_visible_child_name (self->stack, "error");
      return;
    }
  station_ready (self, ref);
}

/* ------------------------------------------------------------- the object */

static gboolean
grab_search_focus_cb (gpointer data)
{
  ScUnitsPage *self = data;

  self->focus_source = 0;
  if (gtk_widget_get_mapped (GTK_WIDGET (self->search_entry)))
    gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
  return G_SOURCE_REMOVE;
}

static void
sc_units_page_map (GtkWidget *widget)
{
  ScUnitsPage *self = SC_UNITS_PAGE (widget);
  const char *shown = gtk_stack_get_visible_child_name (self->content_stack);

  GTK_WIDGET_CLASS (sc_units_page_parent_class)->map (widget);

  if (self->station == NULL)
    return;
  /* Units were made on the Provision page meanwhile: the list is read again. */
  if (g_str_equal (shown, "recent") || g_str_equal (shown, "empty"))
    show_recent (self);
  /* A scanner types into the search field. Once the view stack has moved
   * the focus from the page it left (to this page's first focusable
   * widget, or the one after a focus given now), it is put there. */
  if (self->focus_source == 0)
    self->focus_source = g_idle_add (grab_search_focus_cb, self);
}

static void
sc_units_page_unmap (GtkWidget *widget)
{
  ScUnitsPage *self = SC_UNITS_PAGE (widget);

  g_clear_handle_id (&self->focus_source, g_source_remove);
  GTK_WIDGET_CLASS (sc_units_page_parent_class)->unmap (widget);
}

static void
sc_units_page_dispose (GObject *object)
{
  ScUnitsPage *self = SC_UNITS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->focus_source, g_source_remove);
  if (self->reprint_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (g_steal_pointer (&self->reprint_dialog)));
  /* A print under way goes on by itself and ends in the records. */
  if (self->print_operation != NULL)
    g_signal_handlers_disconnect_by_func (self->print_operation, print_operation_finished_cb, self);
  g_clear_object (&self->print_operation);
  if (self->chooser != NULL)
    {
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
      g_clear_object (&self->chooser);
    }
  if (self->export_chooser != NULL)
    {
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->export_chooser));
      g_clear_object (&self->export_chooser);
    }

  if (self->search_entry != NULL)
    gtk_search_entry_set_key_capture_widget (self->search_entry, NULL);

  /* AdwBin keeps its own pointer to the template's top widget: let go of
   * it first, so the template's disposal does not leave it dangling. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), SC_TYPE_UNITS_PAGE);

  G_OBJECT_CLASS (sc_units_page_parent_class)->dispose (object);
}

static void
sc_units_page_finalize (GObject *object)
{
  ScUnitsPage *self = SC_UNITS_PAGE (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->station, _sc_station_ref_release);
  g_clear_pointer (&self->from, g_date_time_unref);
  g_clear_pointer (&self->to, g_date_time_unref);
  g_free (self->serial);
  g_free (self->print_export_path);
  g_free (self->operator_name);
  g_free (self->reprint_refusal);

  G_OBJECT_CLASS (sc_units_page_parent_class)->finalize (object);
}

static void
sc_units_page_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  ScUnitsPage *self = SC_UNITS_PAGE (object);

  switch (prop_id)
    {
    case PROP_READY:
      g_value_set_boolean (value, sc_units_page_get_ready (self));
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, sc_units_page_get_busy (self));
      break;
    case PROP_SERIAL:
      g_value_set_string (value, self->serial);
      break;
    case PROP_FROM:
      g_value_take_string (value, day_to_string (self->from));
      break;
    case PROP_TO:
      g_value_take_string (value, day_to_string (self->to));
      break;
    case PROP_RESULT:
      g_value_set_string (value, sc_unit_result_to_string (self->result));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sc_units_page_class_init (ScUnitsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = sc_units_page_dispose;
  object_class->finalize = sc_units_page_finalize;
  object_class->get_property = sc_units_page_get_property;

  widget_class->map = sc_units_page_map;
  widget_class->unmap = sc_units_page_unmap;

  properties[PROP_READY] = g_param_spec_boolean ("ready", NULL, NULL, FALSE, flags);
  properties[PROP_BUSY] = g_param_spec_boolean ("busy", NULL, NULL, FALSE, flags);
  properties[PROP_SERIAL] = g_param_spec_string ("serial", NULL, NULL, NULL, flags);
  properties[PROP_FROM] = g_param_spec_string ("from", NULL, NULL, NULL, flags);
  properties[PROP_TO] = g_param_spec_string ("to", NULL, NULL, NULL, flags);
  properties[PROP_RESULT] = g_param_spec_string ("result", NULL, NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (SC_TYPE_LABEL_PREVIEW);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/setupconsole/SetupConsole/sc-units-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, stack);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, error_page);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, back_button);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, busy_spinner);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, filter_bar);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, from_button);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, to_button);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, from_calendar);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, to_calendar);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, result_dropdown);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, content_stack);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, list_group);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, recent_list);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, empty_page);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, not_found_page);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, load_error_page);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, unit_scroller);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, status_box);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, status_label);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, serial_label);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, state_label);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, failure_label);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, product_value);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, key_origin_value);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, key_sha_value);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, puk_value);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, pin_value);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, station_value);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, times_value);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, cert_subject_value);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, cert_issuer_value);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, cert_serial_value);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, cert_validity_value);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, chain_value);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, dak_value);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, step_list);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, audit_list);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, print_list);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, product_reprint_button);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, package_reprint_button);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, product_print_on_button);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, package_print_on_button);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, product_stack);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, package_stack);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, product_none);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, package_none);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, product_preview);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, package_preview);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, verify_summary);
  gtk_widget_class_bind_template_child (widget_class, ScUnitsPage, verify_list);

  gtk_widget_class_bind_template_callback (widget_class, search_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_search_cb);
  gtk_widget_class_bind_template_callback (widget_class, recent_row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, from_day_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, to_day_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, result_selected_cb);

  gtk_widget_class_install_action (widget_class, "units.search", "s", search_action_cb);
  gtk_widget_class_install_action (widget_class, "units.show-list", NULL, show_recent_action_cb);
  gtk_widget_class_install_action (widget_class, "units.filter", "(sss)", filter_action_cb);
  gtk_widget_class_install_action (widget_class, "units.export", "s", export_action_cb);
  gtk_widget_class_install_action (widget_class, "units.export-file", "(ss)", export_file_action_cb);
  gtk_widget_class_install_action (widget_class, "units.reprint-product", NULL, ask_reprint_action_cb);
  gtk_widget_class_install_action (widget_class, "units.reprint-package", NULL, ask_reprint_action_cb);
  gtk_widget_class_install_action (widget_class, "units.reprint", "(ss)", reprint_action_cb);
  gtk_widget_class_install_action (widget_class, "units.print-on-product", NULL, ask_reprint_action_cb);
  gtk_widget_class_install_action (widget_class, "units.print-on-package", NULL, ask_reprint_action_cb);
  gtk_widget_class_install_action (widget_class, "units.print-on", "(ss)", print_on_action_cb);
  gtk_widget_class_install_action (widget_class, "units.verify", NULL, verify_action_cb);
  gtk_widget_class_install_action (widget_class, "units.verify-file", "s", verify_file_action_cb);
}

static void
sc_units_page_init (ScUnitsPage *self)
{
  GtkLabel *values[14];
  guint n = 0;

  gtk_widget_init_template (GTK_WIDGET (self));

  values[n++] = self->serial_label;
  values[n++] = self->product_value;
  values[n++] = self->key_origin_value;
  values[n++] = self->key_sha_value;
  values[n++] = self->puk_value;
  values[n++] = self->pin_value;
  values[n++] = self->station_value;
  values[n++] = self->times_value;
  values[n++] = self->cert_subject_value;
  values[n++] = self->cert_issuer_value;
  values[n++] = self->cert_serial_value;
  values[n++] = self->cert_validity_value;
  values[n++] = self->chain_value;
  values[n++] = self->dak_value;
  g_assert (n == G_N_ELEMENTS (values));

  /* A hex string or PUK broken over two lines must not gain a hyphen. */
  for (guint i = 0; i < n; i++)
    {
      PangoAttrList *attrs = pango_attr_list_new ();

      pango_attr_list_insert (attrs, pango_attr_insert_hyphens_new (FALSE));
      gtk_label_set_attributes (values[i], attrs);
      pango_attr_list_unref (attrs);
    }

  self->cancellable = g_cancellable_new ();
  /* A scanner types wherever the focus is: keys typed anywhere on the page
   * go to the search field, so a scan after a click still finds its unit. */
  gtk_search_entry_set_key_capture_widget (self->search_entry, GTK_WIDGET (self));
  gtk_list_box_set_filter_func (self->recent_list, recent_filter_func, self, NULL);

  /* The last week, today included, every result. */
  self->to = today_local ();
  self->from = g_date_time_add_days (self->to, 1 - DEFAULT_DAYS);
  self->result = SC_UNIT_RESULT_ANY;
  sync_filter_widgets (self);

  update_actions (self);
}

GtkWidget *
sc_units_page_new (void)
{
  return g_object_new (SC_TYPE_UNITS_PAGE, NULL);
}

void
sc_units_page_set_station (ScUnitsPage *self,
                           ScStation   *station)
{
  StationRef *ref;

  g_return_if_fail (SC_IS_UNITS_PAGE (self));
  g_return_if_fail (station != NULL);
  g_return_if_fail (self->station == NULL);

  /* Its own ScStation over the same objects: it lives as long as this
   * page's jobs need it, whatever the other page does with its own. */
  ref = g_atomic_rc_box_new0 (StationRef);
  ref->station = sc_station_new (station->profile, station->dak, station->store, station->secret,
                                 station->printer, station->device_uri, station->operator_name);
  station_ready (self, ref);
}

void
sc_units_page_open_default_station (ScUnitsPage *self)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SC_IS_UNITS_PAGE (self));
  g_return_if_fail (self->station == NULL);

  gtk_stack_set_visible_child_name (self->stack, "loading");
  task = g_task_new (NULL, self->cancellable, open_station_done_cb, _sc_weak_ref_new (self));
  g_task_set_source_tag (task, sc_units_page_open_default_station);
  g_task_run_in_thread (task, _sc_station_ref_open_thread);
}

gboolean
sc_units_page_get_ready (ScUnitsPage *self)
{
  g_return_val_if_fail (SC_IS_UNITS_PAGE (self), FALSE);
  return self->station != NULL;
}

gboolean
sc_units_page_get_busy (ScUnitsPage *self)
{
  g_return_val_if_fail (SC_IS_UNITS_PAGE (self), FALSE);
  return self->n_jobs > 0;
}

const char *
sc_units_page_get_serial (ScUnitsPage *self)
{
  g_return_val_if_fail (SC_IS_UNITS_PAGE (self), NULL);
  return self->serial;
}

void
sc_units_page_set_user (ScUnitsPage *self,
                        const char  *operator_name,
                        const char  *reprint_refusal)
{
  g_return_if_fail (SC_IS_UNITS_PAGE (self));

  g_free (self->operator_name);
  self->operator_name = g_strdup (operator_name);
  if (g_strcmp0 (self->reprint_refusal, reprint_refusal) == 0)
    return;
  g_free (self->reprint_refusal);
  self->reprint_refusal = g_strdup (reprint_refusal);
  update_actions (self);
  /* The reprint buttons say why they are off: shown again. */
  if (self->station != NULL && self->serial != NULL)
    load_unit (self, self->serial);
}

void
_sc_units_page_set_print_export (ScUnitsPage *self,
                                 const char  *pdf_path,
                                 guint        dpi)
{
  g_return_if_fail (SC_IS_UNITS_PAGE (self));
  g_return_if_fail (pdf_path == NULL || dpi >= 100);

  g_free (self->print_export_path);
  self->print_export_path = g_strdup (pdf_path);
  self->print_export_dpi = dpi;
}
