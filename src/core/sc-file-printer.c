/* sc-file-printer.c: labels as PNG files in a folder, the embedded default
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
  GObject  parent_instance;
  char    *dir;
};

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
  g_autofree char *display = g_filename_display_name (SC_FILE_PRINTER (printer)->dir);

  return g_strdup_printf (_("label files in %s"), display);
}

static gboolean
print (ScPrinter      *printer,
       ScLabelLayout  *layout,
       const char     *name,
       GCancellable   *cancellable,
       GError        **error)
{
  ScFilePrinter *self = SC_FILE_PRINTER (printer);
  g_autofree char *file = g_strconcat (name, ".png", NULL);
  g_autofree char *path = g_build_filename (self->dir, file, NULL);
  g_autoptr(GError) local_error = NULL;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (!sc_label_layout_write (layout, SC_LABEL_FORMAT_PNG, path, &local_error))
    {
      g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_FAILED, "%s", local_error->message);
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
  return SC_PRINTER (self);
}
