/* sc-file-set.h: publish several files together, or none of them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Files are first written and fsync()ed into a private staging folder, then
 * published with rename(RENAME_NOREPLACE); existing files are never
 * overwritten. When the target folder does not exist yet, the staging folder
 * (mode 0700) is renamed into it in one step, so even a crash leaves all of
 * the set or none. Into an existing folder, files move one by one and the
 * ones moved are taken back if a later one fails. Freeing an uncommitted set
 * removes what it staged.
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
