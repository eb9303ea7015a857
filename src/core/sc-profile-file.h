/* sc-profile-file.h: a product profile file, edited key by key and saved whole
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "sc-profile.h"

G_BEGIN_DECLS

#define SC_PROFILE_FILE_ERROR (sc_profile_file_error_quark ())

/* A change that makes the profile wrong is refused with SC_PROFILE_ERROR_INVALID
 * (the message names each new problem by `[group] key`); these are the rest. */
typedef enum
{
  SC_PROFILE_FILE_ERROR_CHANGED,  /* the file on disk is not the one that was opened: open it again */
  SC_PROFILE_FILE_ERROR_WRITE,    /* the new file could not be written; the old one is intact */
  SC_PROFILE_FILE_ERROR_ICON,     /* an icon file that is not a readable SVG or PNG, or too large */
} ScProfileFileError;

GQuark sc_profile_file_error_quark (void);

/* The largest FFS icon file that is imported: 1 MiB. */
#define SC_PROFILE_FILE_ICON_MAX_BYTES (1024 * 1024)

/* One problem of a profile, as ScProfile names it: "[group] key: message". */
typedef struct
{
  char *group;
  char *key;      /* "*" for a whole group */
  char *message;  /* the validator's sentence, translated */
} ScProfileProblem;

void       sc_profile_problem_free (ScProfileProblem *problem);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ScProfileProblem, sc_profile_problem_free)

/* The problems an SC_PROFILE_ERROR_INVALID error names, in its order (an
 * empty array for any other error). Element type: ScProfileProblem. */
GPtrArray *sc_profile_problems_from_error (const GError *error);

/* A change to one key: @value NULL removes the key (its default applies). */
typedef struct
{
  const char *group;
  const char *key;
  const char *value;
} ScProfileChange;

#define SC_TYPE_PROFILE_FILE (sc_profile_file_get_type ())

/* A profile file held as a GKeyFile with its comments. Every change is
 * validated whole with ScProfile (relative file names from the file's
 * folder) and refused if it adds a problem, so a profile that was valid
 * stays valid, and one with problems can be mended one key at a time. An
 * accepted change is saved at once and atomically: a new file is written
 * beside the old one, synced and renamed over it, with the old file's mode;
 * the old file is never touched otherwise. A file changed by someone else
 * since it was read is not overwritten (SC_PROFILE_FILE_ERROR_CHANGED).
 * Blocking file I/O: a GUI calls it for small local files only. */
G_DECLARE_FINAL_TYPE (ScProfileFile, sc_profile_file, SC, PROFILE_FILE, GObject)

/* Reads @path. Only an unreadable file or one that is not a key file is an
 * error (SC_PROFILE_ERROR_NOT_FOUND, _PARSE): a profile with problems loads,
 * so that they can be fixed (sc_profile_file_get_error()). */
ScProfileFile *sc_profile_file_new          (const char          *path,
                                             GError             **error);
const char    *sc_profile_file_get_path     (ScProfileFile       *self);
/* The folder relative file names in the profile are taken from. */
const char    *sc_profile_file_get_base_dir (ScProfileFile       *self);
/* The file as it stands, validated; NULL while it has problems. */
ScProfile     *sc_profile_file_get_profile  (ScProfileFile       *self);
/* Its problems (SC_PROFILE_ERROR_INVALID), or NULL when it has none. */
const GError  *sc_profile_file_get_error    (ScProfileFile       *self);
/* The validator's sentence for @group @key of the file as it stands, or
 * NULL when that key has no problem. */
const char    *sc_profile_file_get_problem  (ScProfileFile       *self,
                                             const char          *group,
                                             const char          *key);
/* The key's value as written (unescaped), or NULL when it is not set. */
char          *sc_profile_file_get_value    (ScProfileFile       *self,
                                             const char          *group,
                                             const char          *key);
/* The file's text as it stands. */
char          *sc_profile_file_to_data      (ScProfileFile       *self,
                                             gsize               *length);

/* Sets (or, @value NULL, removes) one key, validates, saves. */
gboolean       sc_profile_file_set_value    (ScProfileFile       *self,
                                             const char          *group,
                                             const char          *key,
                                             const char          *value,
                                             GError             **error);
/* Several keys as one change: all saved, or none. */
gboolean       sc_profile_file_set_values   (ScProfileFile       *self,
                                             const ScProfileChange *changes,
                                             gsize                n_changes,
                                             GError             **error);

/* Copies the manufacturer's FFS icon @source (an SVG or PNG of at most
 * SC_PROFILE_FILE_ICON_MAX_BYTES that librsvg or cairo can draw) into the
 * profile's folder and sets [label] icon to it. An existing file there is
 * never replaced: the same bytes are used as they are, different ones get a
 * new name. Returns the file's name in the folder. */
char          *sc_profile_file_import_icon  (ScProfileFile       *self,
                                             const char          *source,
                                             GError             **error);

G_END_DECLS
