/* sc-cli.h: what the CLI's commands share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "sc-core.h"

/* One exit status per class of failure, so scripts can tell them apart. */
enum
{
  EXIT_OK = 0,
  EXIT_INTERNAL = 1,   /* a bug or an unexpected system failure */
  EXIT_USAGE = 2,      /* wrong command line */
  EXIT_BAD_INPUT = 3,  /* a malformed serial, CSR, profile or file */
  EXIT_POLICY = 4,     /* the CSR policy refused the request */
  EXIT_SIGNER = 5,     /* the DAK could not sign, or the chain does not verify */
  EXIT_OUTPUT = 6,     /* the result could not be written; nothing was */
  EXIT_LABEL = 7,      /* a label did not decode back to its payload */
  EXIT_DEVICE = 8,     /* the unit or its fixture failed */
  EXIT_STORE = 9,      /* the station's records cannot be read or written */
  EXIT_PRINTER = 10,   /* the printer did not take the label */
  EXIT_TAMPERED = 11,  /* the audit log does not verify */
  EXIT_DENIED = 12,    /* not signed in, a wrong passcode, or the user's roles do not allow it */
};

int        exit_status_for (const GError     *error);
int        fail            (int               status,
                            const GError     *error);
int        fail_error      (const GError     *error);
int        usage_error     (GOptionContext   *context,
                            const char       *message);
ScProfile *load_profile    (const char       *path,
                            GError          **error);
gboolean   parse           (GOptionContext   *context,
                            int              *argc,
                            char           ***argv,
                            int              *status);

/* sc-cli-dak.c */
ScDak     *cli_open_dak    (ScProfile        *profile,
                            const char       *dak_uri,
                            const char       *pin_file,
                            gboolean          unlock,
                            GError          **error);
gboolean   cli_unlock_dak  (ScDak            *dak,
                            const char       *pin_file,
                            GError          **error);
int cmd_dak_status   (int argc, char **argv);

int cmd_bench_labels (int argc, char **argv);
int cmd_bench        (int argc, char **argv);
int cmd_bench_dak    (int argc, char **argv);
/* sc-cli-units.c */
void       cli_print_steps (ScUnitRun        *run);

int cmd_provision    (int argc, char **argv);
int cmd_show         (int argc, char **argv);
int cmd_list         (int argc, char **argv);
int cmd_reprint      (int argc, char **argv);
int cmd_export       (int argc, char **argv);
int cmd_audit        (int argc, char **argv);
int cmd_reconcile    (int argc, char **argv);

/* sc-cli-secret.c: a secret from a private file or the terminal */
typedef enum
{
  CLI_SECRET_OK,
  CLI_SECRET_CANNOT_OPEN,   /* with the system's errno */
  CLI_SECRET_SYMLINK,
  CLI_SECRET_NOT_REGULAR,
  CLI_SECRET_NOT_PRIVATE,   /* not owned by this user, or readable by others */
  CLI_SECRET_CANNOT_READ,
  CLI_SECRET_TOO_LONG,      /* longer than asked for, or more than one line */
  CLI_SECRET_NO_TERMINAL,
  CLI_SECRET_NO_ECHO,
} CliSecretProblem;

ScSecret  *cli_read_secret_file (const char        *path,
                                 gsize              max_len,
                                 CliSecretProblem  *problem,
                                 int               *saved_errno);
ScSecret  *cli_prompt_secret    (const char        *prompt,
                                 gsize              max_len,
                                 CliSecretProblem  *problem);

/* sc-cli-users.c */
int        cmd_users            (int argc, char **argv);
/* Signs --as in (when the station has users) and checks @right; *@user
 * is NULL at a station without users. */
gboolean   cli_sign_in          (ScUsers           *users,
                                 const char        *as,
                                 const char        *passcode_file,
                                 ScRight            right,
                                 ScUserRecord     **user,
                                 GError           **error);
/* The same for @station's records; the user signed in becomes the
 * station's operator_name, recorded on runs and prints. */
gboolean   cli_sign_in_station  (ScStation         *station,
                                 const char        *as,
                                 const char        *passcode_file,
                                 ScRight            right,
                                 GError           **error);

/* Opens the station's records (@store_uri, else the default) for a
 * command that uses the DAK outside a unit run, and signs --as in for
 * @right when the station has users. *@actor is who the records name: the
 * user signed in, else the system's user. */
ScStore   *cli_open_records_as  (const char        *store_uri,
                                 const char        *as,
                                 const char        *passcode_file,
                                 ScRight            right,
                                 char             **actor,
                                 GError           **error);

/* sc-cli-units.c: the profile, its DAK (unlocked with @unlock), the store,
 * the station secret and the printer (@printer_uri, else the profile's);
 * NULLs for the defaults. */
ScStation *open_station (const char  *profile_path,
                         const char  *dak_uri,
                         const char  *pin_file,
                         gboolean     unlock,
                         const char  *store_uri,
                         const char  *device_uri,
                         const char  *printer_uri,
                         GError     **error);

/* sc-cli-print.c */
int cmd_print_test_label (int argc, char **argv);
int cmd_print_pending    (int argc, char **argv);
