/* sc-manifest.h: the manifest of provisioned units, as CSV or JSON
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "sc-store.h"

G_BEGIN_DECLS

#define SC_MANIFEST_ERROR (sc_manifest_error_quark ())

typedef enum
{
  SC_MANIFEST_ERROR_RANGE,     /* the date range is empty or reversed */
  SC_MANIFEST_ERROR_WRITE,     /* the file cannot be written; the message keeps the system's own text */
} ScManifestError;

GQuark sc_manifest_error_quark (void);

typedef enum
{
  SC_MANIFEST_CSV,
  SC_MANIFEST_JSON,
} ScManifestFormat;

const char *sc_manifest_format_to_string   (ScManifestFormat  format);
gboolean    sc_manifest_format_from_string (const char       *name,
                                            ScManifestFormat *out);

/* The manifest of the COMPLETE units among @units (the others are left
 * out), in @units' order: serial, PID, PUK, certificate serial and SHA-256
 * fingerprint, started and completed (UTC), and the DakType of the DAK
 * that signed it ("Training": not valid for FFS). No secret is in it. CSV
 * has a header line; JSON is an array of objects. Sets *@n_units to the
 * units written and *@n_training to those a training DAK signed. */
char       *sc_manifest_format_units       (GPtrArray        *units,
                                            ScManifestFormat  format,
                                            guint            *n_units,
                                            guint            *n_training);

/* The manifest of the units completed among those started in [@since,
 * @until) (0: unbounded), oldest first, written to @file in one step
 * (a reader never sees half a manifest; an existing file is replaced). */
gboolean    sc_manifest_export             (ScStore          *store,
                                            gint64            since,
                                            gint64            until,
                                            ScManifestFormat  format,
                                            GFile            *file,
                                            guint            *n_units,
                                            GCancellable     *cancellable,
                                            GError          **error);
void        sc_manifest_export_async       (ScStore             *store,
                                            gint64               since,
                                            gint64               until,
                                            ScManifestFormat     format,
                                            GFile               *file,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
/* Returns the number of units written, or -1 with @error set. */
int         sc_manifest_export_finish      (GAsyncResult        *result,
                                            GError             **error);

G_END_DECLS
