/* sc-cli-dak.c: opening the DAK the command line names, its PIN, and
 * `dak status`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "sc-cli.h"

/* A PIN file holds the PIN and at most a line ending. */
#define MAX_PIN_FILE 64

/* The file's checks and reading are shared (sc-cli-secret.c); the
 * sentences are the DAK's own. */
static ScSecret *
read_pin_file (const char  *path,
               GError     **error)
{
  g_autofree char *display = g_filename_display_name (path);
  CliSecretProblem problem;
  int saved_errno;
  ScSecret *pin = cli_read_secret_file (path, MAX_PIN_FILE, &problem, &saved_errno);

  switch (problem)
    {
    case CLI_SECRET_OK:
      return pin;
    case CLI_SECRET_SYMLINK:
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_INSECURE,
                   _("The PIN file “%s” is a symbolic link; give the file itself"), display);
      break;
    case CLI_SECRET_CANNOT_OPEN:
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_INSECURE, _("Cannot open the PIN file “%s”: %s"),
                   display, g_strerror (saved_errno));
      break;
    case CLI_SECRET_NOT_REGULAR:
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_INSECURE, _("The PIN file “%s” is not a regular file"),
                   display);
      break;
    case CLI_SECRET_NOT_PRIVATE:
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_INSECURE,
                   _("The PIN file “%s” must be owned by you and readable by nobody else (chmod 600); "
                     "it was not read"),
                   display);
      break;
    case CLI_SECRET_CANNOT_READ:
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_INSECURE, _("Cannot read the PIN file “%s”"), display);
      break;
    case CLI_SECRET_TOO_LONG:
    default:
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_INSECURE, _("The PIN file “%s” holds more than a PIN"),
                   display);
      break;
    }
  return NULL;
}

/* Asks on the terminal, without echo. Never from a pipe: a PIN typed into a
 * script's standard input ends up in shell histories and logs. */
static ScSecret *
prompt_pin (const char  *prompt,
            GError     **error)
{
  CliSecretProblem problem;
  ScSecret *pin = cli_prompt_secret (prompt, 63, &problem);

  switch (problem)
    {
    case CLI_SECRET_OK:
      return pin;
    case CLI_SECRET_NO_TERMINAL:
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_LOCKED,
                   _("The DAK needs its PIN and there is no terminal to ask on: give --pin-file FILE "
                     "(mode 0600)"));
      break;
    case CLI_SECRET_NO_ECHO:
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_LOCKED, _("Cannot turn off echo to ask for the DAK PIN"));
      break;
    case CLI_SECRET_TOO_LONG:
    default:
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_PIN_WRONG,
                   _("That is too long for a PIN; it was not sent to the token"));
      break;
    }
  return NULL;
}

/**
 * cli_unlock_dak:
 * @pin_file: (nullable): a 0600 file holding the PIN, or %NULL to ask on
 *   the terminal
 *
 * Gives the DAK its PIN if it needs one and holds none. The PIN is sent
 * once: a wrong PIN is reported with the tries left, never retried.
 */
gboolean
cli_unlock_dak (ScDak       *dak,
                const char  *pin_file,
                GError     **error)
{
  ScSigner *signer = sc_dak_get_signer (dak);
  g_autoptr(ScSignerStatus) status = sc_signer_get_status (signer);
  g_autoptr(ScSecret) pin = NULL;
  g_autofree char *what = NULL, *prompt = NULL;

  if (!status->needs_pin || status->unlocked)
    return TRUE;

  what = sc_signer_describe (signer);
  if (!status->present)
    {
      /* Says what to plug in, before anyone types a PIN for nothing. */
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_TOKEN_LOST,
                   _("The DAK (%s) is not plugged in: plug in the product’s DAK token and run the "
                     "command again"), what);
      return FALSE;
    }
  /* Nobody types a PIN the token would refuse to take. */
  if (status->pin_retries == 0 || status->pin_retries == 1)
    {
      g_set_error (error, SC_DAK_ERROR,
                   status->pin_retries == 0 ? SC_DAK_ERROR_PIN_BLOCKED : SC_DAK_ERROR_PIN_LAST_RETRY,
                   status->pin_retries == 0
                   ? _("The DAK PIN of %s is blocked: no tries are left; contact whoever holds its PUK "
                       "(for a production DAK, Amazon)")
                   : _("Only one DAK PIN try is left on %s; Setup Console will not spend it. Have the "
                       "token’s owner check the PIN with yubico-piv-tool (-a verify-pin) first"),
                   what);
      return FALSE;
    }
  if (pin_file != NULL)
    pin = read_pin_file (pin_file, error);
  else
    {
      if (status->pin_retries > 0)
        prompt = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "DAK PIN for %s (%d try left): ",
                                               "DAK PIN for %s (%d tries left): ", status->pin_retries),
                                  what, status->pin_retries);
      else
        prompt = g_strdup_printf (_("DAK PIN for %s: "), what);
      pin = prompt_pin (prompt, error);
    }
  if (pin == NULL)
    return FALSE;
  return sc_signer_unlock (signer, pin, NULL, error);
}

/**
 * cli_open_dak:
 * @dak_uri: (nullable): `--dak`, overriding the profile's `[dak] uri`
 * @pin_file: (nullable): `--pin-file`
 * @unlock: whether the command will sign, so the PIN is needed now
 */
ScDak *
cli_open_dak (ScProfile   *profile,
              const char  *dak_uri,
              const char  *pin_file,
              gboolean     unlock,
              GError     **error)
{
  g_autoptr(ScDak) dak = sc_dak_new_for_uri (profile, dak_uri, error);

  if (dak == NULL)
    return NULL;
  if (unlock && !cli_unlock_dak (dak, pin_file, error))
    return NULL;
  return g_steal_pointer (&dak);
}

static char *
format_time (const ASN1_TIME *t)
{
  struct tm tm;

  if (ASN1_TIME_to_tm (t, &tm) != 1)
    return g_strdup ("?");
  return g_strdup_printf ("%04d-%02d-%02d %02d:%02d:%02d UTC", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                          tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int
cmd_dak_status (int    argc,
                char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autofree char *profile_path = NULL, *dak_uri = NULL, *store_uri = NULL;
  g_autofree char *described = NULL, *subject = NULL, *not_after = NULL, *dak_type = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ScProfile) profile = NULL;
  g_autoptr(ScDak) dak = NULL;
  g_autoptr(ScSignerStatus) status = NULL;
  g_autoptr(ScStore) store = NULL;
  ScReconciliation r = { 0 };
  const GOptionEntry entries[] = {
    { "profile", 'p', 0, G_OPTION_ARG_FILENAME, &profile_path, N_("Product profile (default: the embedded training profile)"), N_("FILE") },
    { "dak", 0, 0, G_OPTION_ARG_STRING, &dak_uri, N_("The DAK, instead of the profile’s: a key file or yubikey://SERIAL[?slot=9c]"), N_("URI") },
    { "store", 'S', 0, G_OPTION_ARG_STRING, &store_uri, N_("Records, for the signature count (default: SQLite in the data dir)"), N_("URI") },
    { NULL }
  };
  X509 *cert;
  int status_code;

  g_option_context_set_summary (context,
    _("Shows the DAK without unlocking it: reader, token serial and firmware, slot,\n"
      "DAK certificate, the product it belongs to, PIN tries left, and the signatures\n"
      "this station has made. Exit status 5 when the token is not there."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse (context, &argc, &argv, &status_code))
    return status_code;
  if (argc > 1)
    return usage_error (context, _("dak status takes no arguments besides its options"));

  if (!(profile = load_profile (profile_path, &error)) ||
      !(dak = cli_open_dak (profile, dak_uri, NULL, FALSE, &error)))
    return fail_error (error);

  status = sc_signer_get_status (sc_dak_get_signer (dak));
  described = sc_signer_describe (sc_dak_get_signer (dak));
  cert = sc_dak_get_certificate (dak);
  subject = sc_x509_name_to_string (X509_get_subject_name (cert));
  not_after = format_time (X509_get0_notAfter (cert));

  g_print ("%-16s %s\n", _("DAK:"), described);
  if (status->reader != NULL)
    g_print ("%-16s %s\n", _("Reader:"), status->reader);
  if (status->token_serial != NULL)
    g_print ("%-16s %s\n", _("Token serial:"), status->token_serial);
  if (status->firmware != NULL)
    g_print ("%-16s %s\n", _("Firmware:"), status->firmware);
  if (status->slot != NULL)
    g_print ("%-16s %s\n", _("Slot:"), status->slot);
  g_print ("%-16s %s\n", _("Present:"), status->present ? _("yes") : _("no — plug in the DAK token"));
  if (!status->needs_pin)
    g_print ("%-16s %s\n", _("PIN:"), _("not needed"));
  else if (status->pin_retries >= 0)
    g_print ("%-16s %s, %d %s\n", _("PIN:"), status->unlocked ? _("unlocked") : _("locked"), status->pin_retries,
             status->pin_retries == 1 ? _("try left: the console will not spend it") : _("tries left"));
  else
    g_print ("%-16s %s\n", _("PIN:"), _("unknown until the token is present"));
  g_print ("%-16s %s\n", _("Certificate:"), subject);
  g_print ("%-16s %s\n", _("Expires:"), not_after);
  dak_type = g_strdup (sc_dak_get_dak_type (dak));
  g_print ("%-16s %s (DeviceTypeId %s, DakType %s)\n", _("Product:"), sc_profile_get_name (profile),
           sc_profile_get_device_type_id (profile), dak_type ? dak_type : "?");

  if ((store = sc_store_open (store_uri, &error)) != NULL && sc_store_reconcile (store, &r, &error))
    g_print ("%-16s %" G_GUINT64_FORMAT " %s\n", _("Signatures:"), r.signatures, _("made by this station"));
  else
    g_print ("%-16s %s\n", _("Signatures:"), error->message);

  return status->present ? EXIT_OK : EXIT_SIGNER;
}
