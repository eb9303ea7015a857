/* sc-printer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "sc-defaults.h"
#include "sc-printer-private.h"

G_DEFINE_QUARK (sc-printer-error-quark, sc_printer_error)
G_DEFINE_INTERFACE (ScPrinter, sc_printer, G_TYPE_OBJECT)

static void
sc_printer_default_init (ScPrinterInterface *iface)
{
}

ScPrinter *
sc_printer_open (const char  *uri,
                 GError     **error)
{
  if (uri == NULL)
    {
      g_autofree char *data_dir = sc_defaults_get_data_dir ();
      g_autofree char *dir = g_build_filename (data_dir, "labels", NULL);

      return _sc_file_printer_new (dir, error);
    }
  if (g_str_has_prefix (uri, "file://"))
    {
      g_autofree char *path = g_filename_from_uri (uri, NULL, NULL);

      if (path != NULL)
        return _sc_file_printer_new (path, error);
    }
  g_set_error (error, SC_PRINTER_ERROR, SC_PRINTER_ERROR_ADDRESS,
               _("“%s” is not a printer this build can use; so far only file:///FOLDER is built"), uri);
  return NULL;
}

char *
sc_printer_describe (ScPrinter *self)
{
  g_return_val_if_fail (SC_IS_PRINTER (self), NULL);
  return SC_PRINTER_GET_IFACE (self)->describe (self);
}

gboolean
sc_printer_print (ScPrinter      *self,
                  ScLabelLayout  *layout,
                  const char     *name,
                  GCancellable   *cancellable,
                  GError        **error)
{
  g_return_val_if_fail (SC_IS_PRINTER (self), FALSE);
  g_return_val_if_fail (SC_IS_LABEL_LAYOUT (layout), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  return SC_PRINTER_GET_IFACE (self)->print (self, layout, name, cancellable, error);
}
