/* main.c: setup-console-cli, a thin front end over libsetupconsole
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "sc-core.h"
#include "sc-cli.h"

int
exit_status_for (const GError *error)
{
  if (error->domain == G_OPTION_ERROR)
    return EXIT_USAGE;
  if (error->domain == SC_PROFILE_ERROR || error->domain == SC_PIN_ERROR)
    return EXIT_BAD_INPUT;
  if (error->domain == SC_CRYPTO_ERROR)
    return error->code == SC_CRYPTO_ERROR_MALFORMED ? EXIT_BAD_INPUT : EXIT_INTERNAL;
  if (error->domain == SC_PAYLOAD_ERROR || error->domain == SC_SYMBOL_ERROR)
    return EXIT_BAD_INPUT;
  if (error->domain == SC_LABEL_ERROR)
    return error->code == SC_LABEL_ERROR_OUTPUT ? EXIT_OUTPUT
         : error->code == SC_LABEL_ERROR_IMAGE || error->code == SC_LABEL_ERROR_ICON ? EXIT_BAD_INPUT
         : EXIT_LABEL;
  if (error->domain == SC_POLICY_ERROR)
    return EXIT_POLICY;
  if (error->domain == SC_DAK_ERROR || error->domain == SC_CHAIN_ERROR)
    return EXIT_SIGNER;
  if (error->domain == G_IO_ERROR || error->domain == G_FILE_ERROR)
    return EXIT_OUTPUT;
  if (error->domain == SC_DEVICE_ERROR)
    return error->code == SC_DEVICE_ERROR_ADDRESS ? EXIT_USAGE : EXIT_DEVICE;
  if (error->domain == SC_RUN_ERROR)
    return EXIT_DEVICE;
  if (error->domain == SC_STORE_ERROR)
    return error->code == SC_STORE_ERROR_ADDRESS ? EXIT_USAGE
         : error->code == SC_STORE_ERROR_DUPLICATE || error->code == SC_STORE_ERROR_COMPLETED ||
           error->code == SC_STORE_ERROR_BUSY || error->code == SC_STORE_ERROR_NOT_FOUND ||
           error->code == SC_STORE_ERROR_PRINTED ? EXIT_BAD_INPUT
         : error->code == SC_STORE_ERROR_TAMPERED ? EXIT_TAMPERED : EXIT_STORE;
  if (error->domain == SC_PRINTER_ERROR)
    return error->code == SC_PRINTER_ERROR_ADDRESS ? EXIT_USAGE : EXIT_PRINTER;
  if (error->domain == SC_USERS_ERROR)
    return error->code == SC_USERS_ERROR_WRONG_PASSCODE || error->code == SC_USERS_ERROR_THROTTLED ||
           error->code == SC_USERS_ERROR_SIGN_IN_NEEDED || error->code == SC_USERS_ERROR_NOT_ALLOWED ||
           error->code == SC_USERS_ERROR_DISABLED ? EXIT_DENIED
         : error->code == SC_USERS_ERROR_HASH ? EXIT_STORE : EXIT_BAD_INPUT;
  return EXIT_INTERNAL;
}

int
fail (int           status,
      const GError *error)
{
  g_printerr ("setup-console-cli: %s\n", error->message);
  return status;
}

int
fail_error (const GError *error)
{
  return fail (exit_status_for (error), error);
}

int
usage_error (GOptionContext *context,
             const char     *message)
{
  g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

  g_printerr ("setup-console-cli: %s\n\n%s", message, help);
  return EXIT_USAGE;
}

ScProfile *
load_profile (const char  *path,
              GError     **error)
{
  ScProfile *profile;

  if (path != NULL)
    return sc_profile_new_from_file (path, error);

  profile = sc_defaults_load_training_profile (error);
  if (profile != NULL)
    {
      g_autofree char *display = g_filename_display_name (sc_profile_get_path (profile));
      g_printerr (_("Using the embedded training profile %s\n"), display);
    }
  return profile;
}

gboolean
parse (GOptionContext   *context,
       int              *argc,
       char           ***argv,
       int              *status)
{
  g_autoptr(GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      *status = usage_error (context, error->message);
      return FALSE;
    }
  return TRUE;
}

/* Reads a CSR of at most SC_MAX_PEM_INPUT bytes from a file or stdin. */
static GBytes *
read_input (const char  *path,
            GError     **error)
{
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  guint8 chunk[4096];

  if (path != NULL && !g_str_equal (path, "-"))
    {
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (path);
      g_autoptr(GFileInputStream) in = g_file_read (file, NULL, error);

      /* One byte past the limit, so sc_csr_load() can say it is too large. */
      return in ? g_input_stream_read_bytes (G_INPUT_STREAM (in), SC_MAX_CSR_INPUT + 1, NULL, error) : NULL;
    }

  for (;;)
    {
      gssize n = read (STDIN_FILENO, chunk, sizeof chunk);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                       _("Cannot read standard input: %s"), g_strerror (saved_errno));
          return NULL;
        }
      if (n == 0)
        break;
      g_byte_array_append (buf, chunk, n);
      if (buf->len > SC_MAX_CSR_INPUT)
        break;  /* sc_csr_load() reports the size */
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&buf));
}

/* A DAK signature outside a unit run, in the station's records: an audit
 * entry before the signature, so a crash still shows the attempt, and one
 * after it saying what came of it. A certificate the records could not
 * name is not given out. */
/* @text with its control characters written as \xNN: what a CSR put into
 * an error message cannot break a line of the records or a terminal. */
static char *
without_controls (const char *text)
{
  GString *out = g_string_sized_new (strlen (text));

  for (const guchar *p = (const guchar *) text; *p != '\0'; p++)
    {
      if (*p < 0x20 || *p == 0x7f)
        g_string_append_printf (out, "\\x%02x", *p);
      else
        g_string_append_c (out, (char) *p);
    }
  return g_string_free (out, FALSE);
}

/* The CSR's DSN as the records may hold it before the policy has looked at
 * it: as it is when it is short printable ASCII, else escaped and cut (for
 * the details), and no serial to file it under (*@serial_out NULL). */
static char *
dsn_for_records (X509_REQ  *csr,
                 char     **serial_out)
{
  g_autofree char *dsn = sc_csr_get_dsn (csr);
  g_autofree char *escaped = NULL;
  gboolean plain = dsn != NULL && *dsn != '\0' && strlen (dsn) <= 64;

  for (const char *p = dsn; plain && *p != '\0'; p++)
    plain = *p >= 0x20 && *p < 0x7f;
  *serial_out = plain ? g_strdup (dsn) : NULL;
  if (dsn == NULL)
    return g_strdup ("-");
  if (plain)
    return g_steal_pointer (&dsn);
  escaped = g_strescape (dsn, NULL);
  if (strlen (escaped) > 64)
    escaped[64] = '\0';
  return g_strdup_printf ("(not a valid DSN: \"%s\")", escaped);
}

static ScCertList *
issue_recorded (ScStore     *store,
                const char  *actor,
                const char  *command,
                ScDak       *dak,
                X509_REQ    *csr,
                const char  *serial,
                GError     **error)
{
  g_autofree char *dsn = NULL;
  g_autofree char *dsn_text = dsn_for_records (csr, &dsn);
  EVP_PKEY *key = X509_REQ_get0_pubkey (csr);
  g_autofree char *fingerprint = key != NULL ? sc_key_fingerprint (key) : NULL;
  g_autofree char *details = NULL;
  g_autofree char *outcome = NULL;
  g_autofree char *cert_serial = NULL;
  g_autoptr(ScCertList) chain = NULL;
  g_autoptr(GError) local_error = NULL;

  details = g_strdup_printf ("%s: a CSR for DSN %s, key SHA-256 %s", command, dsn_text,
                             fingerprint ? fingerprint : "-");
  if (!sc_store_audit (store, actor, "dak-issue", dsn, details, error))
    {
      g_prefix_error (error, _("Nothing was signed: "));
      return NULL;
    }

  chain = sc_dak_issue (dak, csr, serial, NULL, &local_error);
  if (chain == NULL)
    {
      /* The refusal is on record too; the error the caller sees is the
       * signer's or the policy's, whatever the records say. */
      g_autofree char *reason = without_controls (local_error->message);

      outcome = g_strdup_printf ("%s: %s", command, reason);
      sc_store_audit (store, actor, local_error->domain == SC_POLICY_ERROR ? "dak-issue-refused" : "dak-issue-failed",
                      dsn, outcome, NULL);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  cert_serial = sc_cert_serial_hex (sk_X509_value (chain, 0));
  outcome = g_strdup_printf ("%s: certificate serial %s, key SHA-256 %s", command, cert_serial,
                             fingerprint ? fingerprint : "-");
  if (!sc_store_audit (store, actor, "dak-issued", dsn, outcome, error))
    {
      g_prefix_error (error, _("The certificate %s was made, but the records could not say so, so it is not given "
                               "out: "), cert_serial);
      return NULL;
    }
  return g_steal_pointer (&chain);
}

static int
cmd_issue (int    argc,
           char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autofree char *profile_path = NULL;
  g_autofree char *csr_path = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *dak_uri = NULL, *pin_file = NULL;
  g_autofree char *store_uri = NULL, *as = NULL, *as_file = NULL, *actor = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ScProfile) profile = NULL;
  g_autoptr(ScStore) store = NULL;
  g_autoptr(ScDak) dak = NULL;
  g_autoptr(GBytes) input = NULL;
  g_autoptr(X509_REQ) csr = NULL;
  g_autoptr(ScCertList) chain = NULL;
  g_autofree char *pem = NULL;
  const GOptionEntry entries[] = {
    { "profile", 'p', 0, G_OPTION_ARG_FILENAME, &profile_path, N_("Product profile (default: the embedded training profile)"), N_("FILE") },
    { "csr", 'c', 0, G_OPTION_ARG_FILENAME, &csr_path, N_("CSR in PEM or DER (default: standard input)"), N_("FILE|-") },
    { "serial", 's', 0, G_OPTION_ARG_STRING, &serial, N_("Require this DSN in the CSR"), N_("SERIAL") },
    { "dak", 0, 0, G_OPTION_ARG_STRING, &dak_uri, N_("The DAK, instead of the profile’s: a key file or yubikey://SERIAL[?slot=9c]"), N_("URI") },
    { "pin-file", 0, 0, G_OPTION_ARG_FILENAME, &pin_file, N_("Read the DAK PIN from FILE (mode 0600) instead of asking"), N_("FILE") },
    { "store", 'S', 0, G_OPTION_ARG_STRING, &store_uri, N_("Records, where the signature is recorded (default: SQLite in the data dir)"), N_("URI") },
    { "as", 0, 0, G_OPTION_ARG_STRING, &as, N_("Who asks for the signature: an operator, once the station has users"), N_("USER") },
    { "as-passcode-file", 0, 0, G_OPTION_ARG_FILENAME, &as_file, N_("Read the passcode of --as from FILE (mode 0600) instead of asking"), N_("FILE") },
    { NULL }
  };
  int status;

  g_option_context_set_summary (context,
    _("Signs a device CSR with the product’s DAK and writes the full certificate chain\n"
      "(leaf first, then the DAK chain) as PEM to standard output, a drop-in for\n"
      "Amazon’s CSR Signing Application. The CSR must pass the DAK’s CSR policy.\n"
      "The station’s records name every request, signed or refused, and who made it;\n"
      "with users defined, it needs the right to provision (--as)."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse (context, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return usage_error (context, _("issue takes no arguments besides its options"));

  input = read_input (csr_path, &error);
  if (input == NULL)
    return fail (EXIT_BAD_INPUT, error);

  csr = sc_csr_load (g_bytes_get_data (input, NULL), g_bytes_get_size (input), &error);
  if (csr == NULL)
    return fail (EXIT_BAD_INPUT, error);

  if (!(profile = load_profile (profile_path, &error)) ||
      !(store = cli_open_records_as (store_uri, as, as_file, SC_RIGHT_PROVISION, &actor, &error)) ||
      !(dak = cli_open_dak (profile, dak_uri, pin_file, TRUE, &error)) ||
      !(chain = issue_recorded (store, actor, "issue", dak, csr, serial, &error)))
    return fail_error (error);

  if (sc_dak_is_training (dak))
    g_printerr (_("TRAINING DAK: this certificate is not valid for Frustration-Free Setup.\n"));

  /* Only a complete, verified chain reaches stdout, in one piece. */
  pem = sc_certs_to_pem (chain);
  if (fwrite (pem, 1, strlen (pem), stdout) != strlen (pem) || fflush (stdout) != 0)
    {
      g_printerr ("setup-console-cli: %s\n", _("Cannot write the chain to standard output"));
      return EXIT_OUTPUT;
    }
  return EXIT_OK;
}

enum { KEYGEN_KEY, KEYGEN_CSR, KEYGEN_CHAIN, KEYGEN_PUK };
static const char * const keygen_files[] = { "device.key", "device.csr", "device-cert-chain.pem", "device.puk", NULL };

/* keygen never overwrites: a folder already holding one of its files is
 * refused before the DAK signs anything (the file set checks again when it
 * publishes, against a file made meanwhile). */
static gboolean
keygen_files_absent (const char  *dir,
                     GError     **error)
{
  for (guint i = 0; keygen_files[i] != NULL; i++)
    {
      g_autofree char *path = g_build_filename (dir, keygen_files[i], NULL);

      if (g_file_test (path, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK))
        {
          g_autofree char *display = g_filename_display_name (path);

          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                       _("“%s” exists already; nothing was signed or written. Choose an empty folder"), display);
          return FALSE;
        }
    }
  return TRUE;
}

static int
cmd_keygen (int    argc,
            char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autofree char *profile_path = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *out_dir = NULL;
  g_autofree char *dak_uri = NULL, *pin_file = NULL;
  g_autofree char *store_uri = NULL, *as = NULL, *as_file = NULL, *actor = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ScProfile) profile = NULL;
  g_autoptr(ScStore) store = NULL;
  g_autoptr(ScDak) dak = NULL;
  g_autoptr(EVP_PKEY) key = NULL;
  g_autoptr(X509_REQ) csr = NULL;
  g_autoptr(ScCertList) chain = NULL;
  g_autoptr(ScSecret) key_pem = NULL;
  g_autoptr(ScFileSet) files = NULL;
  g_autofree char *csr_pem = NULL;
  g_autofree char *chain_pem = NULL;
  g_autofree char *puk = NULL;
  g_autofree char *puk_line = NULL;
  g_autofree char *cert_serial = NULL;
  g_autofree char *anchor = NULL;
  g_autofree char *display = NULL;
  const ASN1_TIME *not_after;
  struct tm tm;
  const GOptionEntry entries[] = {
    { "profile", 'p', 0, G_OPTION_ARG_FILENAME, &profile_path, N_("Product profile (default: the embedded training profile)"), N_("FILE") },
    { "serial", 's', 0, G_OPTION_ARG_STRING, &serial, N_("The unit’s serial number (DSN)"), N_("SERIAL") },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out_dir, N_("Folder to write the files into"), N_("DIR") },
    { "dak", 0, 0, G_OPTION_ARG_STRING, &dak_uri, N_("The DAK, instead of the profile’s: a key file or yubikey://SERIAL[?slot=9c]"), N_("URI") },
    { "pin-file", 0, 0, G_OPTION_ARG_FILENAME, &pin_file, N_("Read the DAK PIN from FILE (mode 0600) instead of asking"), N_("FILE") },
    { "store", 'S', 0, G_OPTION_ARG_STRING, &store_uri, N_("Records, where the signature is recorded (default: SQLite in the data dir)"), N_("URI") },
    { "as", 0, 0, G_OPTION_ARG_STRING, &as, N_("Who asks for the signature: an operator, once the station has users"), N_("USER") },
    { "as-passcode-file", 0, 0, G_OPTION_ARG_FILENAME, &as_file, N_("Read the passcode of --as from FILE (mode 0600) instead of asking"), N_("FILE") },
    { NULL }
  };
  int status;

  g_option_context_set_summary (context,
    _("Makes a station-side P-256 key for one unit, its CSR, the chain signed by the\n"
      "product’s DAK, and its PUK; writes device.key (mode 0600), device.csr,\n"
      "device-cert-chain.pem and device.puk into DIR, all of them or none. The\n"
      "station’s records name the signature and who asked for it; with users\n"
      "defined, it needs the right to provision (--as)."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse (context, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return usage_error (context, _("keygen takes no arguments besides its options"));
  if (serial == NULL || out_dir == NULL)
    return usage_error (context, _("keygen needs --serial and --out"));

  if (!keygen_files_absent (out_dir, &error))
    return fail (EXIT_OUTPUT, error);
  if (!(profile = load_profile (profile_path, &error)) ||
      !sc_profile_check_serial (profile, serial, &error) ||
      !(store = cli_open_records_as (store_uri, as, as_file, SC_RIGHT_PROVISION, &actor, &error)) ||
      !(dak = cli_open_dak (profile, dak_uri, pin_file, TRUE, &error)) ||
      !(key = sc_key_generate (&error)) ||
      !(csr = sc_csr_new (key, sc_profile_get_device_type_id (profile), serial, &error)) ||
      !(chain = issue_recorded (store, actor, "keygen", dak, csr, serial, &error)) ||
      !(puk = sc_key_get_puk (key, &error)) ||
      !(key_pem = sc_key_to_private_pem (key, &error)))
    return fail_error (error);

  csr_pem = sc_csr_to_pem (csr);
  chain_pem = sc_certs_to_pem (chain);
  puk_line = g_strconcat (puk, "\n", NULL);

  if (!(files = sc_file_set_new (out_dir, &error)) ||
      !sc_file_set_add (files, keygen_files[KEYGEN_KEY], sc_secret_get_data (key_pem, NULL),
                        sc_secret_get_size (key_pem), 0600, &error) ||
      !sc_file_set_add (files, keygen_files[KEYGEN_CSR], csr_pem, strlen (csr_pem), 0644, &error) ||
      !sc_file_set_add (files, keygen_files[KEYGEN_CHAIN], chain_pem, strlen (chain_pem), 0644, &error) ||
      !sc_file_set_add (files, keygen_files[KEYGEN_PUK], puk_line, strlen (puk_line), 0644, &error) ||
      !sc_file_set_commit (files, &error))
    {
      /* The certificate exists nowhere now: the records say so. */
      g_autofree char *lost = sc_cert_serial_hex (sk_X509_value (chain, 0));
      g_autofree char *why = g_strdup_printf ("keygen: certificate serial %s discarded, its files not written: %s",
                                              lost, error->message);

      sc_store_audit (store, actor, "dak-issued-discarded", serial, why, NULL);
      return fail (EXIT_OUTPUT, error);
    }

  cert_serial = sc_cert_serial_hex (sk_X509_value (chain, 0));
  anchor = sc_x509_name_to_string (X509_get_subject_name (sc_dak_get_trust_anchor (dak)));
  not_after = X509_get0_notAfter (sk_X509_value (chain, 0));
  ASN1_TIME_to_tm (not_after, &tm);
  display = g_filename_display_name (out_dir);

  g_print (_("Serial:       %s\n"), serial);
  g_print (_("Certificate:  serial %s, valid until %04d-%02d-%02d\n"),
           cert_serial, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  g_print (_("Chain:        %d certificates, verified to %s\n"), sk_X509_num (chain), anchor);
  g_print (_("PUK:          %s\n"), puk);
  g_print (_("Wrote:        %s/{device.key, device.csr, device-cert-chain.pem, device.puk}\n"), display);
  if (sc_dak_is_training (dak))
    g_print (_("TRAINING DAK: this certificate is not valid for Frustration-Free Setup.\n"));
  return EXIT_OK;
}

static int
cmd_dak (int    argc,
         char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("init-training DIR | status"));
  g_autoptr(GError) error = NULL;
  g_autofree char *display = NULL;
  int status;

  if (argc >= 2 && g_str_equal (argv[1], "status"))
    return cmd_dak_status (argc - 1, argv + 1);
  g_option_context_set_summary (context,
    _("init-training DIR: creates a training root, vendor CA, product CA and a DAK\n"
      "(DakType Training) shaped like Amazon’s chain, and writes DIR/dak.key (0600),\n"
      "DIR/dak-chain.pem, DIR/root.pem and DIR/product.profile.\n"
      "status: shows the DAK, its token and PIN tries left (see dak status --help)."));
  if (!parse (context, &argc, &argv, &status))
    return status;
  if (argc != 3 || !g_str_equal (argv[1], "init-training"))
    return usage_error (context, _("dak needs a subcommand: init-training DIR, or status"));

  if (!sc_training_create (argv[2], &error))
    return fail_error (error);

  display = g_filename_display_name (argv[2]);
  g_print (_("Created a training DAK hierarchy in %s:\n"
             "  dak.key          the training DAK's private key (mode 0600)\n"
             "  dak-chain.pem    DAK, product CA, vendor CA and root\n"
             "  root.pem         the trust anchor\n"
             "  product.profile  a training product profile using them\n"),
           display);
  return EXIT_OK;
}

static gboolean
profile_is_training (ScProfile  *profile,
                     gboolean   *training,
                     GError    **error)
{
  g_autofree char *type = sc_dak_chain_get_dak_type (sc_profile_get_dak_chain_path (profile), error);

  if (type == NULL)
    return FALSE;
  *training = g_str_equal (type, "Training");
  return TRUE;
}

static ScPayloadRules
rules_for_profile (ScProfile *profile)
{
  ScPayloadRules rules = {
    .pin_alphabet = sc_profile_get_pin_alphabet (profile),
    .pin_length = sc_profile_get_pin_length (profile),
  };
  return rules;
}

static int
cmd_label (int    argc,
           char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autofree char *profile_path = NULL;
  g_autofree char *kind_name = NULL;
  g_autofree char *format_name = NULL;
  g_autofree char *out = NULL;
  sc_autowipe char *payload_text = NULL;
  int dpi = 0;
  g_autoptr(GError) error = NULL;
  g_autoptr(ScProfile) profile = NULL;
  g_autoptr(ScPayload) payload = NULL;
  g_autoptr(ScSymbol) symbol = NULL;
  g_autoptr(ScLabelLayout) layout = NULL;
  g_autofree char *symbol_text = NULL;
  g_autofree char *geometry_text = NULL;
  g_autofree char *display = NULL;
  const ScLabelSettings *settings;
  ScPayloadRules rules;
  ScLabelKind kind = SC_LABEL_KIND_PRODUCT;
  ScLabelFormat format = SC_LABEL_FORMAT_PNG;
  gboolean training = FALSE;
  guint width, height;
  const GOptionEntry entries[] = {
    { "profile", 'p', 0, G_OPTION_ARG_FILENAME, &profile_path, N_("Product profile (default: the embedded training profile)"), N_("FILE") },
    { "payload", 0, 0, G_OPTION_ARG_STRING, &payload_text, N_("The payload to encode; it is validated first"), N_("STRING") },
    { "kind", 'k', 0, G_OPTION_ARG_STRING, &kind_name, N_("product or package (default: from the payload’s ABV)"), N_("KIND") },
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format_name, N_("png, pdf, svg, zpl or zpl-bitmap (default: png)"), N_("FORMAT") },
    { "dpi", 'd', 0, G_OPTION_ARG_INT, &dpi, N_("Printer resolution (default: the profile’s)"), N_("N") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("The file to write"), N_("FILE") },
    { NULL }
  };
  int status;

  g_option_context_set_summary (context,
    _("Draws a product or package label for a payload: the FFS icon, the symbol at a\n"
      "whole number of printer dots per module, the serial. The symbol is decoded\n"
      "back with libdmtx and zxing-cpp before anything is written."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse (context, &argc, &argv, &status))
    return status;
  if (argc > 1 || payload_text == NULL || out == NULL)
    return usage_error (context, _("label needs --payload and -o FILE"));
  if (format_name != NULL && !sc_label_format_from_string (format_name, &format))
    return usage_error (context, _("--format must be png, pdf, svg, zpl or zpl-bitmap"));
  if (kind_name != NULL && !sc_label_kind_from_string (kind_name, &kind))
    return usage_error (context, _("--kind must be product or package"));
  if (dpi != 0 && (dpi < 100 || dpi > 1200))
    return usage_error (context, _("--dpi must be from 100 to 1200"));

  if (!(profile = load_profile (profile_path, &error)) ||
      !profile_is_training (profile, &training, &error))
    return fail_error (error);
  rules = rules_for_profile (profile);
  if (!(payload = sc_payload_parse (payload_text, &rules, &error)))
    return fail_error (error);
  if (kind_name != NULL && payload->kind != kind)
    {
      /* Translators: two labels ("product label", "package label") */
      g_printerr (_("setup-console-cli: the payload is a %s (ABV), not a %s\n"),
                  sc_label_kind_to_display (payload->kind), sc_label_kind_to_display (kind));
      return EXIT_BAD_INPUT;
    }

  settings = sc_profile_get_label_settings (profile);
  if (!(symbol = sc_symbol_encode (settings->symbology, payload_text, settings->symbol_size, &error)) ||
      !(layout = sc_label_layout_new (payload->kind, symbol, dpi ? (guint) dpi : settings->dpi,
                                      payload->kind == SC_LABEL_KIND_PRODUCT ? settings->product_min_mm
                                                                             : settings->package_min_mm,
                                      settings->icon_path, payload->serial,
                                      payload->upc ? payload->upc : payload->ean, training, &error)) ||
      !sc_label_layout_write (layout, format, out, &error))
    return fail_error (error);

  symbol_text = sc_symbol_describe (symbol);
  geometry_text = sc_geometry_describe (sc_label_layout_get_geometry (layout));
  sc_label_layout_get_size (layout, &width, &height);
  display = g_filename_display_name (out);
  g_print (payload->kind == SC_LABEL_KIND_PRODUCT ? _("Label:     product, %u x %u dots%s\n")
                                                  : _("Label:     package, %u x %u dots%s\n"),
           width, height, training ? _(" (TRAINING)") : "");
  g_print (_("Symbol:    %s\n"), symbol_text);
  g_print (_("Geometry:  %s\n"), geometry_text);
  g_print (_("Verified:  decoded back by libdmtx and zxing-cpp, byte for byte equal to the payload\n"));
  g_print (_("Wrote:     %s\n"), display);
  return EXIT_OK;
}

static int
cmd_verify_label (int    argc,
                  char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("IMAGE.png"));
  g_autofree char *profile_path = NULL;
  g_autofree char *decoders = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ScProfile) profile = NULL;
  g_autoptr(ScPayload) payload = NULL;
  ScPayloadRules rules = { 0 };
  gboolean show_pin = FALSE;
  sc_autowipe char *text = NULL;
  sc_autowipe char *expect = NULL;
  gboolean expect_given;
  const GOptionEntry entries[] = {
    { "profile", 'p', 0, G_OPTION_ARG_FILENAME, &profile_path, N_("Check the PIN against this profile’s alphabet and length"), N_("FILE") },
    { "expect", 'e', 0, G_OPTION_ARG_STRING, &expect, N_("Also require the symbol to hold exactly this payload"), N_("PAYLOAD") },
    { "show-pin", 0, 0, G_OPTION_ARG_NONE, &show_pin, N_("Print the PIN instead of its length"), NULL },
    { NULL }
  };
  int status;

  g_option_context_set_summary (context,
    _("Decodes the DataMatrix or QR symbol in a PNG image with zxing-cpp and libdmtx,\n"
      "validates the payload against every rule of the FFS payload, and prints its\n"
      "fields. The PIN is not printed unless --show-pin is given."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return usage_error (context, _("verify-label needs one image file"));
  expect_given = expect != NULL;

  if (profile_path != NULL)
    {
      if (!(profile = sc_profile_new_from_file (profile_path, &error)))
        return fail_error (error);
      rules = rules_for_profile (profile);
    }

  text = sc_label_decode_png (argv[1], &decoders, &error);
  if (text == NULL)
    return fail (error->code == SC_LABEL_ERROR_IMAGE ? EXIT_BAD_INPUT : EXIT_LABEL, error);

  if (expect != NULL && strcmp (expect, text) != 0)
    {
      g_printerr ("setup-console-cli: %s\n", _("The symbol does not hold the expected payload"));
      return EXIT_LABEL;
    }

  payload = sc_payload_parse (text, &rules, &error);
  if (payload == NULL)
    return fail_error (error);

  g_print (_("Decoded by: %s\n"), decoders);
  g_print ("ABV:        %s (%s label)\n", payload->kind == SC_LABEL_KIND_PRODUCT ? "IB01" : "OB01",
           sc_label_kind_to_string (payload->kind));
  if (payload->serial)
    g_print ("SERNUM:     %s\n", payload->serial);
  g_print ("PID:        %s\n", payload->pid);
  g_print ("PUK:        %s\n", payload->puk);
  if (payload->pin && show_pin)
    g_print ("PIN:        %s\n", payload->pin);
  else if (payload->pin)
    g_print (_("PIN:        %zu characters (not shown; --show-pin prints it)\n"), strlen (payload->pin));
  if (payload->upc)
    g_print ("UPC:        %s\n", payload->upc);
  if (payload->ean)
    g_print ("EAN:        %s\n", payload->ean);
  g_print (_("Valid:      every rule of the FFS payload holds\n"));
  if (expect_given)
    g_print (_("Expected:   the symbol holds exactly the expected payload\n"));
  return EXIT_OK;
}

static char *
hex (const guint8 *data,
     gsize         len)
{
  GString *s = g_string_sized_new (len * 2);

  for (gsize i = 0; i < len; i++)
    g_string_append_printf (s, "%02x", data[i]);
  return g_string_free (s, FALSE);
}

static int
device_info (ScDevice *device)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScDeviceInfo) info = sc_device_hello (device, NULL, &error);
  g_autofree char *link = sc_device_link_describe (sc_device_get_link (device));

  if (info == NULL)
    return fail_error (error);
  g_print (_("Link:        %s\n"), link);
  g_print (_("Protocol:    SCP %u\n"), info->version);
  g_print (_("Serial:      %s\n"), info->serial);
  g_print (_("MAC:         %02X:%02X:%02X:%02X:%02X:%02X\n"),
           info->mac[0], info->mac[1], info->mac[2], info->mac[3], info->mac[4], info->mac[5]);
  g_print (_("Model:       %s\n"), info->model ? info->model : "");
  g_print (_("Firmware:    %s\n"), info->firmware ? info->firmware : "");
  g_print (_("Key origin:  %s\n"), info->can_keygen ? _("makes its own key (KEYGEN)") : _("needs a station-made key"));
  g_print (_("Key at rest: %s\n"), info->key_at_rest ? _("encrypted") : _("NOT encrypted"));
  g_print (_("Lock:        %s\n"), info->can_lock ? _("supported") : _("not supported"));
  return EXIT_OK;
}

static int
device_read_back (ScDevice  *device,
                  ScProfile *profile)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScDeviceReadBack) rb = sc_device_read_back (device, NULL, &error);
  g_autofree char *chain_hash = NULL;
  g_autofree char *fingerprint = NULL;
  g_autofree char *puk = NULL;
  g_autofree char *pem = NULL;
  g_autoptr(ScCertList) chain = NULL;

  if (rb == NULL)
    return fail_error (error);
  if (rb->generation == 0)
    {
      g_print (_("The unit holds no provisioning material.\n"));
      return EXIT_OK;
    }

  chain_hash = hex (rb->chain_sha256, sizeof rb->chain_sha256);
  fingerprint = sc_key_fingerprint (rb->public_key);
  puk = sc_key_get_puk (rb->public_key, NULL);
  g_print (_("Generation:  %u%s\n"), rb->generation, rb->locked ? _(" (locked)") : "");
  g_print (_("Key:         %s, SHA-256 of its public key %s\n"),
           rb->key_from_device ? _("made on the unit") : _("made on a station"), fingerprint);
  g_print (_("PUK:         %s\n"), puk ? puk : "?");
  g_print (_("Chain:       SHA-256 %s\n"), chain_hash);
  g_print (_("PIN:         stored (never shown)\n"));

  pem = sc_device_read_chain (device, NULL, &error);
  if (pem == NULL)
    return fail_error (error);
  chain = sc_certs_load_pem (pem, strlen (pem), &error);
  if (chain == NULL)
    return fail_error (error);
  {
    X509 *leaf = sk_X509_value (chain, 0);
    g_autofree char *subject = sc_x509_name_to_string (X509_get_subject_name (leaf));
    g_autofree char *serial = sc_cert_serial_hex (leaf);
    struct tm tm;

    ASN1_TIME_to_tm (X509_get0_notAfter (leaf), &tm);
    g_print (_("Certificate: %s, serial %s, valid until %04d-%02d-%02d, %d certificates\n"), subject, serial,
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, sk_X509_num (chain));
    if (EVP_PKEY_eq (X509_get0_pubkey (leaf), rb->public_key) != 1)
      g_print (_("WARNING:     the certificate is not for the stored key\n"));
  }

  if (profile != NULL)
    {
      g_autoptr(ScDak) dak = NULL;

      if (!(dak = sc_dak_new_for_profile (profile, &error)) ||
          !sc_chain_verify (chain, sc_dak_get_trust_anchor (dak), sc_profile_get_device_type_id (profile),
                            NULL, 0, &error))
        return fail_error (error);
      g_print (_("Verified:    the chain verifies to this product’s trust anchor\n"));
    }
  return EXIT_OK;
}

static int
cmd_device (int    argc,
            char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("info|read-back"));
  g_autofree char *profile_path = NULL;
  g_autofree char *uri = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ScProfile) profile = NULL;
  g_autoptr(ScDevice) device = NULL;
  const GOptionEntry entries[] = {
    { "profile", 'p', 0, G_OPTION_ARG_FILENAME, &profile_path, N_("Product profile: its device address, and the trust anchor to verify a read-back chain"), N_("FILE") },
    { "device", 'D', 0, G_OPTION_ARG_STRING, &uri, N_("Device address (default: the profile’s)"), N_("URI") },
    { NULL }
  };
  int status;

  g_option_context_set_summary (context,
    _("Diagnoses a fixture. info: what the unit says about itself (HELLO).\n"
      "read-back: what the unit holds: hashes, public key, certificate; never a secret."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse (context, &argc, &argv, &status))
    return status;
  if (argc != 2 || (!g_str_equal (argv[1], "info") && !g_str_equal (argv[1], "read-back")))
    return usage_error (context, _("device needs a subcommand: info or read-back"));

  if (profile_path != NULL || uri == NULL)
    {
      profile = load_profile (profile_path, &error);
      if (profile == NULL)
        return fail_error (error);
    }
  if (uri == NULL)
    uri = g_strdup (sc_profile_get_device_uri (profile));

  device = sc_device_open (uri, &error);
  if (device == NULL)
    return fail_error (error);

  if (g_str_equal (argv[1], "info"))
    return device_info (device);
  return device_read_back (device, profile_path ? profile : NULL);
}

static const struct
{
  const char *name;
  int       (*run) (int argc, char **argv);
  const char *summary;
} commands[] = {
  { "issue", cmd_issue, N_("Sign a CSR into a DHA certificate chain (CSR in, chain PEM out)") },
  { "keygen", cmd_keygen, N_("Make a station-side key, CSR, chain and PUK for one unit") },
  { "dak", cmd_dak, N_("Manage DAKs: init-training DIR, status") },
  { "device", cmd_device, N_("Diagnose a fixture: info, read-back") },
  { "provision", cmd_provision, N_("Provision units: scan to verified, printed label") },
  { "show", cmd_show, N_("Show one unit's record") },
  { "list", cmd_list, N_("List units") },
  { "reprint", cmd_reprint, N_("Reprint a unit's label, with a reason") },
  { "print-pending", cmd_print_pending, N_("List units waiting to print; --retry prints their labels") },
  { "print-test-label", cmd_print_test_label, N_("Print a calibration label: rulers and a symbol at size") },
  { "export", cmd_export, N_("Export the manifest (CSV or JSON)") },
  { "audit", cmd_audit, N_("Verify the audit log: audit verify") },
  { "reconcile", cmd_reconcile, N_("Reconcile DAK signatures, units and labels") },
  { "users", cmd_users, N_("Users and roles: add, passcode, badge, roles, disable, enable, list") },
  { "bench", cmd_bench, N_("Benchmark whole unit runs against the crypto floor") },
  { "label", cmd_label, N_("Draw a verified product or package label (PNG, PDF, SVG, ZPL)") },
  { "verify-label", cmd_verify_label, N_("Decode a label image and validate its payload") },
  { "bench-labels", cmd_bench_labels, N_("Measure payload, encode, render and decode-back per label") },
  { "bench-dak", cmd_bench_dak, N_("Measure certificates issued per second through one DAK session") },
};

static void
print_help (FILE *out)
{
  fprintf (out, "%s\n\n%s\n", _("Usage: setup-console-cli COMMAND [OPTION…]"), _("Commands:"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-10s %s\n", commands[i].name, _(commands[i].summary));
  fprintf (out, "  %-10s %s\n\n%s\n", "version", _("Print the version"),
           _("Run “setup-console-cli COMMAND --help” for a command’s options.\n"
             "Exit status: 0 done, 2 usage, 3 bad input, 4 refused by the CSR policy,\n"
             "5 DAK or chain failure, 6 output not written, 7 label does not decode back,\n"
             "8 unit or fixture failure, 9 records failure, 10 printer failure,\n"
             "11 audit log tampered, 12 not signed in, wrong passcode or role not allowed,\n"
             "1 anything else."));
}

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (argc < 2)
    {
      print_help (stderr);
      return EXIT_USAGE;
    }
  if (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h") || g_str_equal (argv[1], "help"))
    {
      print_help (stdout);
      return EXIT_OK;
    }
  if (g_str_equal (argv[1], "version") || g_str_equal (argv[1], "--version"))
    {
      g_print ("setup-console-cli %s\n", PACKAGE_VERSION);
      return EXIT_OK;
    }

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[1], commands[i].name))
      {
        g_autofree char *prgname = g_strdup_printf ("setup-console-cli %s", argv[1]);

        g_set_prgname (prgname);
        return commands[i].run (argc - 1, argv + 1);
      }

  g_printerr (_("setup-console-cli: unknown command “%s”\n\n"), argv[1]);
  print_help (stderr);
  return EXIT_USAGE;
}
