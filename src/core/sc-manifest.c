/* sc-manifest.c: the manifest of provisioned units, as CSV or JSON
 *
 * One formatter for the CLI's export and the GUI's, so both write the same
 * file for the same records.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "sc-crypto.h"
#include "sc-manifest.h"

G_DEFINE_QUARK (sc-manifest-error-quark, sc_manifest_error)

static const char * const columns[] = {
  "serial", "pid", "puk", "certificate_serial", "certificate_sha256", "started", "completed", "dak_type",
};
#define N_COLUMNS G_N_ELEMENTS (columns)

const char *
sc_manifest_format_to_string (ScManifestFormat format)
{
  switch (format)
    {
    case SC_MANIFEST_CSV:
      return "csv";
    case SC_MANIFEST_JSON:
      return "json";
    default:
      g_return_val_if_reached (NULL);
    }
}

gboolean
sc_manifest_format_from_string (const char       *name,
                                ScManifestFormat *out)
{
  g_return_val_if_fail (out != NULL, FALSE);

  if (g_strcmp0 (name, "csv") == 0)
    *out = SC_MANIFEST_CSV;
  else if (g_strcmp0 (name, "json") == 0)
    *out = SC_MANIFEST_JSON;
  else
    return FALSE;
  return TRUE;
}

static char *
format_time (gint64 us)
{
  g_autoptr(GDateTime) t = us ? g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC) : NULL;

  return t ? g_date_time_format (t, "%Y-%m-%d %H:%M:%SZ") : g_strdup ("-");
}

/* From the unit's chain: the leaf's SHA-256 fingerprint, and the DakType
 * of the DAK that signed it (the first certificate of the chain naming
 * one: "Training" marks units that are not valid for FFS). */
static void
read_chain (const char  *chain_pem,
            char       **fingerprint,
            char       **dak_type)
{
  g_autoptr(ScCertList) chain = chain_pem ? sc_certs_load_pem (chain_pem, strlen (chain_pem), NULL) : NULL;

  *fingerprint = NULL;
  *dak_type = NULL;
  for (int i = 0; chain != NULL && i < sk_X509_num (chain); i++)
    {
      X509 *cert = sk_X509_value (chain, i);

      if (i == 0)
        *fingerprint = sc_cert_fingerprint_hex (cert);
      if (*dak_type == NULL)
        *dak_type = sc_x509_name_get_text (X509_get_subject_name (cert), sc_nid_dak_type (), NULL);
    }
  if (*fingerprint == NULL)
    *fingerprint = g_strdup ("");
  if (*dak_type == NULL)
    *dak_type = g_strdup ("");
}

/* The records' serials, PIDs, PUKs and hex need no quoting (the payload
 * rules leave out commas, quotes and backslashes), but a manifest is read
 * by other programs: anything else is quoted all the same. */
static void
append_csv (GString    *out,
            const char *value)
{
  if (strpbrk (value, ",\"\r\n") == NULL)
    {
      g_string_append (out, value);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
append_json (GString    *out,
             const char *value)
{
  g_string_append_c (out, '"');
  for (const guchar *p = (const guchar *) value; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_printf (out, "\\%c", *p);
      else if (*p < 0x20)
        g_string_append_printf (out, "\\u%04x", *p);
      else
        g_string_append_c (out, (char) *p);
    }
  g_string_append_c (out, '"');
}

char *
sc_manifest_format_units (GPtrArray        *units,
                          ScManifestFormat  format,
                          guint            *n_units,
                          guint            *n_training)
{
  GString *out = g_string_new (NULL);
  gboolean json = format == SC_MANIFEST_JSON;
  guint n = 0, training = 0;

  g_return_val_if_fail (units != NULL, NULL);
  g_return_val_if_fail (format == SC_MANIFEST_CSV || format == SC_MANIFEST_JSON, NULL);

  if (json)
    g_string_append (out, "[\n");
  else
    {
      for (guint c = 0; c < N_COLUMNS; c++)
        g_string_append_printf (out, "%s%s", c ? "," : "", columns[c]);
      g_string_append_c (out, '\n');
    }

  for (guint i = 0; i < units->len; i++)
    {
      const ScUnitRecord *u = g_ptr_array_index (units, i);
      g_autofree char *fp = NULL, *dak_type = NULL, *started = NULL, *completed = NULL;
      const char *values[N_COLUMNS];

      if (u->state != SC_UNIT_COMPLETE)
        continue;
      read_chain (u->chain_pem, &fp, &dak_type);
      started = format_time (u->created);
      completed = format_time (u->updated);
      values[0] = u->serial;
      values[1] = u->pid;
      values[2] = u->puk;
      values[3] = u->cert_serial;
      values[4] = fp;
      values[5] = started;
      values[6] = completed;
      values[7] = dak_type;

      if (json)
        g_string_append (out, n ? ",\n  {" : "  {");
      for (guint c = 0; c < N_COLUMNS; c++)
        {
          const char *value = values[c] != NULL ? values[c] : "";

          if (json)
            {
              g_string_append_printf (out, "%s\"%s\": ", c ? ", " : "", columns[c]);
              append_json (out, value);
            }
          else
            {
              if (c > 0)
                g_string_append_c (out, ',');
              append_csv (out, value);
            }
        }
      g_string_append (out, json ? "}" : "\n");
      n++;
      training += g_strcmp0 (dak_type, "Training") == 0;
    }

  if (json)
    g_string_append (out, n ? "\n]\n" : "]\n");
  if (n_units != NULL)
    *n_units = n;
  if (n_training != NULL)
    *n_training = training;
  return g_string_free (out, FALSE);
}

gboolean
sc_manifest_export (ScStore          *store,
                    gint64            since,
                    gint64            until,
                    ScManifestFormat  format,
                    GFile            *file,
                    guint            *n_units,
                    GCancellable     *cancellable,
                    GError          **error)
{
  g_autoptr(GPtrArray) units = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *text = NULL;
  guint n = 0;

  g_return_val_if_fail (SC_IS_STORE (store), FALSE);
  g_return_val_if_fail (G_IS_FILE (file), FALSE);
  g_return_val_if_fail (format == SC_MANIFEST_CSV || format == SC_MANIFEST_JSON, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (since < 0 || until < 0 || (since > 0 && until > 0 && since >= until))
    {
      g_set_error (error, SC_MANIFEST_ERROR, SC_MANIFEST_ERROR_RANGE,
                   _("The date range is empty: its first day is after its last; choose the days again"));
      return FALSE;
    }

  if (!(units = sc_store_list_units (store, since, until, error)))
    return FALSE;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  text = sc_manifest_format_units (units, format, &n, NULL);
  if (!g_file_replace_contents (file, text, strlen (text), NULL, FALSE, G_FILE_CREATE_NONE, NULL,
                                cancellable, &local_error))
    {
      g_autofree char *name = g_file_get_parse_name (file);

      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, SC_MANIFEST_ERROR, SC_MANIFEST_ERROR_WRITE,
                     _("The manifest cannot be written to %s: %s; choose another folder"),
                     name, local_error->message);
      return FALSE;
    }

  if (n_units != NULL)
    *n_units = n;
  return TRUE;
}

typedef struct
{
  ScStore          *store;
  gint64            since;
  gint64            until;
  ScManifestFormat  format;
  GFile            *file;
} ExportJob;

static void
export_job_free (gpointer data)
{
  ExportJob *job = data;

  g_clear_object (&job->store);
  g_clear_object (&job->file);
  g_free (job);
}

static void
export_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ExportJob *job = task_data;
  GError *error = NULL;
  guint n = 0;

  if (sc_manifest_export (job->store, job->since, job->until, job->format, job->file, &n, cancellable, &error))
    g_task_return_int (task, n);
  else
    g_task_return_error (task, error);
}

void
sc_manifest_export_async (ScStore             *store,
                          gint64               since,
                          gint64               until,
                          ScManifestFormat     format,
                          GFile               *file,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ExportJob *job;

  g_return_if_fail (SC_IS_STORE (store));
  g_return_if_fail (G_IS_FILE (file));

  job = g_new0 (ExportJob, 1);
  job->store = g_object_ref (store);
  job->since = since;
  job->until = until;
  job->format = format;
  job->file = g_object_ref (file);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, sc_manifest_export_async);
  g_task_set_task_data (task, job, export_job_free);
  g_task_run_in_thread (task, export_thread);
}

int
sc_manifest_export_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), -1);
  g_return_val_if_fail (g_async_result_is_tagged (result, sc_manifest_export_async), -1);

  return (int) g_task_propagate_int (G_TASK (result), error);
}
