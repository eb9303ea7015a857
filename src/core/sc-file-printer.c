/* sc-file-printer.c: labels as files in a folder, the embedded default
 *
 * One file per label, named after the job (serial and kind), in the format
 * the URI asks for: file:///DIR?format=png (the default), pdf, svg, zpl or
 * zpl-bitmap (ZPL with the printer's calibration, as a ZPL printer would
 * get it). Files are written whole or not at all.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "sc-printer-private.h"

#define SC_TYPE_FILE_PRINTER (sc_file_printer_get_type ())
G_DECLARE_FINAL_TYPE (ScFilePrinter, sc_file_printer, SC, FILE_PRINTER, GObject)

struct _ScFilePrinter
{
  GObject        parent_instance;
  char          *dir;
  ScLabelFormat  format;
};

static const char * const formats[] = { "png", "pdf", "svg", "zpl", "zpl-bitmap", NULL };
static const char * const extensions[] = { "png", "pdf", "svg", "zpl", "zpl" };

static void printer_iface_init (ScPrinterInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ScFilePrinter, sc_file_printer, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SC_TYPE_PRINTER, printer_iface_init))

static void
sc_file_printer_finalize (GObject *object)
{
  g_free (SC_FILE_PRINTER (object)->dir);
  G_OBJECT_CLASS (sc_file_printer_parent_class)->finalize (object);
}

static void
sc_file_printer_class_init (ScFilePrinterClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sc_file_printer_finalize;
}

static void
sc_file_printer_init (ScFilePrinter *self)
{
}

static char *
describe (ScPrinter *printer)
{
  ScFilePrinter *self = SC_FILE_PRINTER (printer);
  g_autofree char *display = g_filename_display_name (self->dir);

  if (self->format == SC_LABEL_FORMAT_PNG)
    return g_strdup_printf (_("label files in %s"), display);
  return g_strdup_printf (_("%s label files in %s"), formats[self->format], display);
}

static gboolean
print (ScPrinter               *printer,
       ScLabelLayout           *layout,
       const char              *name,
       const ScPrinterSettings *settings,
       GCancellable            *cancellable,
       GError                 **error)
{
  ScFilePrinter *self = SC_FILE_PRINTER (printer);
  g_autofree char *file = g_strconcat (name, ".", extensions[self->format], NULL);
  g_autofree char *path = g_build_filename (self->dir, file, NULL);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(ScSecret) bytes = NULL;
  const char *data;
  gsize len;
  /* A product label carries the PIN: keep the file to its owner. */
  int mode = sc_label_layout_get_kind (layout) == SC_LABEL_KIND_PRODUCT ? 0600 : 0644;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  /* A label that does not verify keeps its own error: nothing was written. */
  bytes = sc_label_layout_encode (layout, self->format, settings, error);
  if (bytes == NULL)
    return FALSE;
  data = (const char *) sc_secret_get_data (bytes, &len);
  /* Written whole or not at all, so a failure leaves nothing printed. */
  if (!g_file_set_contents_full (path, data, len, G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 mode, &local_error))
    {
      g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY,
                   _("Cannot write the label file: %s; nothing was written"), local_error->message);
      return FALSE;
    }
  return TRUE;
}

static void
printer_iface_init (ScPrinterInterface *iface)
{
  iface->describe = describe;
  iface->print = print;
}

ScPrinter *
_sc_file_printer_new (const char  *dir,
                      GError     **error)
{
  ScFilePrinter *self;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_autofree char *display = g_filename_display_name (dir);

      g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_NOT_READY,
                   _("Cannot use the label folder %s: %s"), display, g_strerror (saved_errno));
      return NULL;
    }
  self = g_object_new (SC_TYPE_FILE_PRINTER, NULL);
  self->dir = g_strdup (dir);
  self->format = SC_LABEL_FORMAT_PNG;
  return SC_PRINTER (self);
}

ScPrinter *
_sc_file_printer_open (const char  *uri,
                       GHashTable  *params,
                       gboolean     open,
                       GError     **error)
{
  static const char * const allowed[] = { "format", NULL };
  g_autofree char *dir = NULL;
  g_autofree char *host = NULL;
  ScPrinter *printer;
  int format;

  /* A local folder only: file:///path, no host. */
  if (!g_str_has_prefix (uri, "file://") || (dir = g_filename_from_uri (uri, &host, NULL)) == NULL ||
      host != NULL)
    {
      g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_ADDRESS,
                   _("“%s” is not a folder address: write file:///absolute/folder"), uri);
      return NULL;
    }
  if (!_sc_printer_check_params (uri, params, allowed, error) ||
      !_sc_printer_param_choice (uri, params, "format", formats, SC_LABEL_FORMAT_PNG, &format, error))
    return NULL;
  if (!open)
    return g_object_new (SC_TYPE_FILE_PRINTER, NULL);

  printer = _sc_file_printer_new (dir, error);
  if (printer != NULL)
    SC_FILE_PRINTER (printer)->format = format;
  return printer;
}
