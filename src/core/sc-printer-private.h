/* sc-printer-private.h: the printer vtable, for backends
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sc-printer.h"

G_BEGIN_DECLS

struct _ScPrinterInterface
{
  GTypeInterface parent_iface;

  char     *(*describe) (ScPrinter *self);
  gboolean  (*print)    (ScPrinter *self, ScLabelLayout *layout, const char *name,
                         GCancellable *cancellable, GError **error);
};

ScPrinter *_sc_file_printer_new (const char *dir, GError **error);

G_END_DECLS
