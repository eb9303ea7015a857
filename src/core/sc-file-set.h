/* sc-file-set.h: publish several files together, or none of them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Files are first written and fsync()ed into a private staging folder inside
 * the target folder, then moved into place with rename(RENAME_NOREPLACE).
 * Existing files are never overwritten. If any step fails, the files already
 * moved are removed again, so the target folder holds all of the set or none
 * of it. Freeing an uncommitted set removes what it staged.
 */
typedef struct _ScFileSet ScFileSet;

ScFileSet *sc_file_set_new    (const char    *dir,
                               GError       **error);
gboolean   sc_file_set_add    (ScFileSet     *self,
                               const char    *name,
                               const void    *data,
                               gsize          len,
                               int            mode,
                               GError       **error);
gboolean   sc_file_set_commit (ScFileSet     *self,
                               GError       **error);
void       sc_file_set_free   (ScFileSet     *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ScFileSet, sc_file_set_free)

G_END_DECLS
