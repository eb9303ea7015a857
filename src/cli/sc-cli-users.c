/* sc-cli-users.c: `users`, and signing in for the commands that need a role
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "sc-cli.h"

/* What a passcode or badge file, or the terminal, may hold. */
#define MAX_CODE 128

typedef enum
{
  CODE_PASSCODE,   /* sign-in: asked once */
  CODE_NEW,        /* a new passcode: asked twice */
  CODE_BADGE,      /* a badge code: asked (scanned) twice */
} CodeKind;

static void
set_code_error (GError           **error,
                CodeKind           kind,
                CliSecretProblem   problem,
                const char        *option,
                const char        *path,
                int                saved_errno)
{
  g_autofree char *display = path ? g_filename_display_name (path) : NULL;
  int code = kind == CODE_BADGE ? SC_USERS_ERROR_BAD_BADGE : SC_USERS_ERROR_BAD_PASSCODE;

  switch (problem)
    {
    case CLI_SECRET_SYMLINK:
      g_set_error (error, SC_USERS_ERROR, code, _("The file “%s” given to %s is a symbolic link; give the file "
                                                  "itself"), display, option);
      break;
    case CLI_SECRET_CANNOT_OPEN:
      g_set_error (error, SC_USERS_ERROR, code, _("Cannot open the file “%s” given to %s: %s"), display, option,
                   g_strerror (saved_errno));
      break;
    case CLI_SECRET_NOT_REGULAR:
      g_set_error (error, SC_USERS_ERROR, code, _("The file “%s” given to %s is not a regular file"), display,
                   option);
      break;
    case CLI_SECRET_NOT_PRIVATE:
      g_set_error (error, SC_USERS_ERROR, code,
                   _("The file “%s” given to %s must be owned by you and readable by nobody else (chmod 600); "
                     "it was not read"), display, option);
      break;
    case CLI_SECRET_CANNOT_READ:
      g_set_error (error, SC_USERS_ERROR, code, _("Cannot read the file “%s” given to %s"), display, option);
      break;
    case CLI_SECRET_TOO_LONG:
      if (path != NULL)
        g_set_error (error, SC_USERS_ERROR, code, _("The file “%s” given to %s holds more than one line of at "
                                                    "most %d characters"), display, option, MAX_CODE);
      else
        g_set_error (error, SC_USERS_ERROR, code, _("That is longer than %d characters; type it again, or give "
                                                    "%s FILE"), MAX_CODE, option);
      break;
    case CLI_SECRET_NO_TERMINAL:
      g_set_error (error, SC_USERS_ERROR, code, _("There is no terminal to ask on: give %s FILE (a file of mode "
                                                  "0600)"), option);
      break;
    case CLI_SECRET_NO_ECHO:
    case CLI_SECRET_OK:
    default:
      g_set_error (error, SC_USERS_ERROR, code, _("Cannot turn off echo on the terminal; give %s FILE "
                                                  "instead"), option);
      break;
    }
}

/* A passcode or badge code from @path (mode 0600), or typed on the terminal
 * without echo: twice for a new passcode or a badge, which must agree. */
static ScSecret *
read_code (CodeKind     kind,
           const char  *name,
           const char  *path,
           const char  *option,
           GError     **error)
{
  g_autoptr(ScSecret) first = NULL;
  g_autoptr(ScSecret) again = NULL;
  g_autofree char *prompt = NULL;
  CliSecretProblem problem = CLI_SECRET_OK;
  int saved_errno = 0;

  if (path != NULL)
    {
      first = cli_read_secret_file (path, MAX_CODE, &problem, &saved_errno);
      if (first == NULL)
        set_code_error (error, kind, problem, option, path, saved_errno);
      return g_steal_pointer (&first);
    }

  switch (kind)
    {
    case CODE_PASSCODE:
      prompt = g_strdup_printf (_("Passcode for %s: "), name);
      break;
    case CODE_NEW:
      prompt = g_strdup_printf (_("New passcode for %s: "), name);
      break;
    case CODE_BADGE:
    default:
      prompt = g_strdup_printf (_("Scan %s’s badge: "), name);
      break;
    }
  first = cli_prompt_secret (prompt, MAX_CODE, &problem);
  if (first == NULL)
    {
      set_code_error (error, kind, problem, option, NULL, 0);
      return NULL;
    }
  if (kind == CODE_PASSCODE)
    return g_steal_pointer (&first);

  again = cli_prompt_secret (kind == CODE_BADGE ? _("Scan it again: ") : _("Type it again: "), MAX_CODE, &problem);
  if (again == NULL)
    {
      set_code_error (error, kind, problem, option, NULL, 0);
      return NULL;
    }
  if (!sc_secret_equal (first, again))
    {
      g_set_error_literal (error, SC_USERS_ERROR,
                           kind == CODE_BADGE ? SC_USERS_ERROR_BAD_BADGE : SC_USERS_ERROR_BAD_PASSCODE,
                           kind == CODE_BADGE ? _("The two scans differ; nothing was changed, scan the badge again")
                                              : _("The two passcodes differ; nothing was changed, type them again"));
      return NULL;
    }
  return g_steal_pointer (&first);
}

/* The station's records and their secret: users are found in both. */
static ScUsers *
open_users (const char  *store_uri,
            ScStore    **store_out,
            GError     **error)
{
  g_autofree char *data_dir = sc_defaults_get_data_dir ();
  g_autofree char *key_path = g_build_filename (data_dir, "station.key", NULL);
  g_autoptr(ScStore) store = NULL;
  g_autoptr(ScStationSecret) secret = NULL;

  if (!(store = sc_store_open (store_uri, error)) ||
      !(secret = sc_station_secret_load (key_path, error)))
    return NULL;
  if (store_out != NULL)
    *store_out = g_object_ref (store);
  return sc_users_new (store, secret);
}

/**
 * cli_sign_in:
 * @as: (nullable): `--as NAME`
 * @passcode_file: (nullable): `--as-passcode-file FILE`, else the passcode
 *   is asked on the terminal
 * @user: (out) (nullable): who signed in; %NULL at a station without users
 *
 * Signs @as in when the station has users, and checks that the user may do
 * @right. A station without users runs without sign-in (and says so on
 * stderr when --as was given anyway).
 */
gboolean
cli_sign_in (ScUsers        *users,
             const char     *as,
             const char     *passcode_file,
             ScRight         right,
             ScUserRecord  **user,
             GError        **error)
{
  g_autoptr(ScSecret) passcode = NULL;
  g_autoptr(ScUserRecord) signed_in = NULL;
  guint n_users = 0;

  *user = NULL;
  if (!sc_users_count (users, &n_users, error))
    return FALSE;
  if (n_users == 0)
    {
      if (as != NULL)
        g_printerr (_("No users are defined at this station, so nobody signs in: --as %s is not checked and "
                      "not recorded.\n"), as);
      return TRUE;
    }

  if (as == NULL)
    {
      g_autoptr(GError) refusal = NULL;

      sc_user_check_right (NULL, right, &refusal);
      g_set_error (error, SC_USERS_ERROR, SC_USERS_ERROR_SIGN_IN_NEEDED,
                   _("%s: users are defined at this station, so give --as NAME (the passcode is asked for, or "
                     "read from --as-passcode-file FILE)"), refusal->message);
      return FALSE;
    }

  if (!(passcode = read_code (CODE_PASSCODE, as, passcode_file, "--as-passcode-file", error)) ||
      !(signed_in = sc_users_sign_in (users, as, passcode, NULL, error)) ||
      !sc_user_check_right (signed_in, right, error))
    return FALSE;

  *user = g_steal_pointer (&signed_in);
  return TRUE;
}

gboolean
cli_sign_in_station (ScStation   *station,
                     const char  *as,
                     const char  *passcode_file,
                     ScRight      right,
                     GError     **error)
{
  g_autoptr(ScUsers) users = sc_users_new (station->store, station->secret);
  g_autoptr(ScUserRecord) user = NULL;

  if (!cli_sign_in (users, as, passcode_file, right, &user, error))
    return FALSE;
  if (user != NULL)
    {
      g_free (station->operator_name);
      station->operator_name = g_strdup (user->name);
    }
  return TRUE;
}

ScStore *
cli_open_records_as (const char  *store_uri,
                     const char  *as,
                     const char  *passcode_file,
                     ScRight      right,
                     char       **actor,
                     GError     **error)
{
  g_autoptr(ScStore) store = NULL;
  g_autoptr(ScUsers) users = NULL;
  g_autoptr(ScUserRecord) user = NULL;

  if (!(users = open_users (store_uri, &store, error)) ||
      !cli_sign_in (users, as, passcode_file, right, &user, error))
    return NULL;
  *actor = g_strdup (user != NULL ? user->name : g_get_user_name ());
  return g_steal_pointer (&store);
}

/* The admin for a change: none for the first user of a station. */
static gboolean
sign_in_admin (ScUsers        *users,
               const char     *as,
               const char     *passcode_file,
               ScUserRecord  **admin,
               GError        **error)
{
  guint n_users = 0;

  *admin = NULL;
  if (!sc_users_count (users, &n_users, error))
    return FALSE;
  if (n_users == 0)
    {
      if (as != NULL)
        {
          g_set_error (error, SC_USERS_ERROR, SC_USERS_ERROR_UNKNOWN,
                       _("No users are defined at this station yet, so there is no admin %s: leave --as out to "
                         "add the first user, an admin"), as);
          return FALSE;
        }
      return TRUE;
    }
  if (as == NULL)
    {
      g_set_error_literal (error, SC_USERS_ERROR, SC_USERS_ERROR_SIGN_IN_NEEDED,
                           _("Users are defined at this station, so an admin must make the change: give --as "
                             "ADMIN (the passcode is asked for, or read from --as-passcode-file FILE)"));
      return FALSE;
    }
  return cli_sign_in (users, as, passcode_file, SC_RIGHT_MANAGE_USERS, admin, error);
}

static char *
format_day (gint64 usec)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);

  return t ? g_date_time_format (t, "%Y-%m-%d") : g_strdup ("-");
}

/* @text and spaces to @width characters (not bytes: names are UTF-8). */
static char *
padded (const char *text,
        int         width)
{
  int n = (int) g_utf8_strlen (text, -1);

  return g_strdup_printf ("%s%*s", text, n < width ? width - n : 0, "");
}

static int
users_list (ScUsers *users)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = sc_users_list (users, &error);

  if (list == NULL)
    return fail_error (error);
  if (list->len == 0)
    {
      g_print (_("No users are defined at this station: it runs without sign-in. Add the first, an admin, "
                 "with: setup-console-cli users add NAME --role admin\n"));
      return EXIT_OK;
    }
  {
    g_autofree char *name = padded (_("NAME"), 24);
    g_autofree char *roles = padded (_("ROLES"), 28);
    g_autofree char *state = padded (_("STATE"), 9);
    g_autofree char *badge = padded (_("BADGE"), 6);

    g_print ("%s %s %s %s %s\n", name, roles, state, badge, _("ADDED"));
  }
  for (guint i = 0; i < list->len; i++)
    {
      ScUserRecord *u = g_ptr_array_index (list, i);
      g_autofree char *roles = sc_roles_to_string (u->roles);
      g_autofree char *added = format_day (u->created);
      g_autofree char *name = padded (u->name, 24);
      g_autofree char *state = padded (u->disabled ? _("disabled") : _("enabled"), 9);
      g_autofree char *badge = padded (u->badge_mac ? _("yes") : _("no"), 6);

      g_print ("%s %-28s %s %s %s\n", name, roles, state, badge, added);
    }
  return EXIT_OK;
}

int
cmd_users (int    argc,
           char **argv)
{
  g_autoptr(GOptionContext) context =
    g_option_context_new (_("add|passcode|badge|roles|disable|enable NAME | list"));
  g_autofree char *store_uri = NULL, *role_text = NULL, *as = NULL;
  g_autofree char *as_file = NULL, *passcode_file = NULL, *badge_file = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ScUsers) users = NULL;
  g_autoptr(ScUserRecord) admin = NULL;
  g_autoptr(ScSecret) code = NULL;
  gboolean remove = FALSE;
  const char *sub, *name;
  guint roles = 0;
  const GOptionEntry entries[] = {
    { "store", 'S', 0, G_OPTION_ARG_STRING, &store_uri, N_("Records (default: SQLite in the data dir)"), N_("URI") },
    { "role", 'r', 0, G_OPTION_ARG_STRING, &role_text, N_("Roles, comma-separated: operator, qa, trainer, admin"), N_("ROLES") },
    { "passcode-file", 0, 0, G_OPTION_ARG_FILENAME, &passcode_file, N_("Read the user’s new passcode from FILE (mode 0600) instead of asking"), N_("FILE") },
    { "badge-file", 0, 0, G_OPTION_ARG_FILENAME, &badge_file, N_("Read the badge code from FILE (mode 0600) instead of asking for a scan"), N_("FILE") },
    { "remove", 0, 0, G_OPTION_ARG_NONE, &remove, N_("badge: take the user’s badge away"), NULL },
    { "as", 0, 0, G_OPTION_ARG_STRING, &as, N_("The admin making the change (not for the first user)"), N_("ADMIN") },
    { "as-passcode-file", 0, 0, G_OPTION_ARG_FILENAME, &as_file, N_("Read the admin’s passcode from FILE (mode 0600) instead of asking"), N_("FILE") },
    { NULL }
  };
  int status;

  g_option_context_set_summary (context,
    _("The station’s users and their roles (operator, qa, trainer, admin). Until the\n"
      "first user exists the station runs without sign-in; the first must be an admin,\n"
      "and after that every change needs an admin (--as ADMIN) and is audited.\n"
      "Passcodes and badge codes are asked on the terminal without echo, twice, or\n"
      "read from a file of mode 0600; only a salted scrypt hash of a passcode and an\n"
      "HMAC of a badge code under the station secret are stored.\n"
      "  add NAME --role ROLES    a new user, with a passcode\n"
      "  passcode NAME            a new passcode\n"
      "  badge NAME [--remove]    the user’s badge (scan it), or none\n"
      "  roles NAME --role ROLES  the user’s roles\n"
      "  disable NAME, enable NAME\n"
      "  list                     every user, with roles and state"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse (context, &argc, &argv, &status))
    return status;
  if (argc < 2)
    return usage_error (context, _("users needs a subcommand: add, passcode, badge, roles, disable, enable or list"));
  sub = argv[1];

  if (g_str_equal (sub, "list"))
    {
      if (argc != 2)
        return usage_error (context, _("users list takes no arguments besides its options"));
      if (!(users = open_users (store_uri, NULL, &error)))
        return fail_error (error);
      return users_list (users);
    }

  if (!g_str_equal (sub, "add") && !g_str_equal (sub, "passcode") && !g_str_equal (sub, "badge") &&
      !g_str_equal (sub, "roles") && !g_str_equal (sub, "disable") && !g_str_equal (sub, "enable"))
    return usage_error (context, _("users needs a subcommand: add, passcode, badge, roles, disable, enable or list"));
  if (argc != 3)
    return usage_error (context, _("users add, passcode, badge, roles, disable and enable take one user’s name"));
  name = argv[2];

  /* Everything the command line can check, before anyone types a passcode. */
  if ((g_str_equal (sub, "add") || g_str_equal (sub, "roles")) && role_text == NULL)
    return usage_error (context, _("give the user’s roles with --role, for example --role operator,qa"));
  if (role_text != NULL && !g_str_equal (sub, "add") && !g_str_equal (sub, "roles"))
    return usage_error (context, _("--role is for users add and users roles"));
  if (passcode_file != NULL && !g_str_equal (sub, "add") && !g_str_equal (sub, "passcode"))
    return usage_error (context, _("--passcode-file is for users add and users passcode"));
  if ((badge_file != NULL || remove) && !g_str_equal (sub, "badge"))
    return usage_error (context, _("--badge-file and --remove are for users badge"));
  if (badge_file != NULL && remove)
    return usage_error (context, _("give either --badge-file or --remove"));
  if (role_text != NULL && !sc_roles_from_string (role_text, &roles, &error))
    return fail_error (error);
  if (!sc_user_name_check (name, &error))
    return fail_error (error);

  if (!(users = open_users (store_uri, NULL, &error)) ||
      !sign_in_admin (users, as, as_file, &admin, &error))
    return fail_error (error);
  if (admin == NULL && !g_str_equal (sub, "add"))
    {
      g_printerr (_("setup-console-cli: no users are defined at this station yet; add the first, an admin, with "
                    "users add NAME --role admin\n"));
      return EXIT_BAD_INPUT;
    }

  if (g_str_equal (sub, "add"))
    {
      if (admin == NULL && !(roles & SC_ROLE_ADMIN))
        {
          g_printerr (_("setup-console-cli: the first user of a station must be an admin, who then adds the "
                        "others: give --role admin (with other roles if wanted)\n"));
          return EXIT_BAD_INPUT;
        }
      if (!(code = read_code (CODE_NEW, name, passcode_file, "--passcode-file", &error)) ||
          !sc_users_add (users, admin, name, roles, code, &error))
        return fail_error (error);
      g_print (_("Added %s with the roles %s%s\n"), name, role_text, admin ? "" : _(", the station’s first user"));
      if (admin == NULL)
        g_print (_("From now on the station asks who is working: sign in to provision, reprint and change "
                   "settings, and every change of users needs an admin (--as).\n"));
    }
  else if (g_str_equal (sub, "passcode"))
    {
      if (!(code = read_code (CODE_NEW, name, passcode_file, "--passcode-file", &error)) ||
          !sc_users_set_passcode (users, admin, name, code, &error))
        return fail_error (error);
      g_print (_("New passcode for %s\n"), name);
    }
  else if (g_str_equal (sub, "badge"))
    {
      if (!remove && !(code = read_code (CODE_BADGE, name, badge_file, "--badge-file", &error)))
        return fail_error (error);
      if (!sc_users_set_badge (users, admin, name, code, &error))
        return fail_error (error);
      g_print (remove ? _("%s has no badge now\n") : _("The badge is %s’s now\n"), name);
    }
  else if (g_str_equal (sub, "roles"))
    {
      g_autofree char *text = sc_roles_to_string (roles);

      if (!sc_users_set_roles (users, admin, name, roles, &error))
        return fail_error (error);
      g_print (_("%s has the roles %s now\n"), name, text);
    }
  else
    {
      gboolean disable = g_str_equal (sub, "disable");

      if (!sc_users_set_disabled (users, admin, name, disable, &error))
        return fail_error (error);
      g_print (disable ? _("%s is disabled: signing in is refused until an admin enables the user again\n")
                       : _("%s is enabled\n"), name);
    }
  return EXIT_OK;
}
