/* test-yubikey-signer.c: the YubiKey DAK through real libykpiv and a real
 * pcscd, against the virtual YubiKeys run-with-cards.sh starts
 *
 * The environment (set by run-with-cards.sh):
 *   SC_YK_DIR          a training hierarchy whose dak.key is on card A
 *   SC_YK_SERIAL       card A's serial; SC_YK_READER its reader
 *   SC_YK_CARD_PID     card A's process (SIGUSR1 pulls it out, SIGUSR2 back)
 *   SC_YK_PIN_FILE     card A's PIN
 *   SC_YK_OTHER_SERIAL card B: a DAK of another product (DeviceTypeId)
 *   SC_YK_OTHER_READER, SC_YK_OTHER_CARD_PID, SC_YK_OTHER_APDU_LOG
 *                      card B's reader, process, and the log of every APDU
 *                      it answers (one line each)
 *   SC_YK_HARNESS_PID, SC_YK_RESTARTS
 *                      SIGUSR1 to the harness restarts pcscd; the file
 *                      counts the restarts done
 *   VYK_PCSC           the harness's PC/SC client, to wait for pcscd and to
 *                      hold a session on card B
 *
 * The tests run in order and share card A: the PIN tests come last, as
 * they end with its PIN blocked. The other-card tests (a suite of their
 * own, which GTest runs after these) send card A no PIN.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "sc-core.h"

static const char *dir;
static guint32 serial_a, serial_b;
static char *chain_path;
static ScProfile *profile;

static guint32
env_serial (const char *name)
{
  const char *value = g_getenv (name);
  guint64 v = 0;

  g_assert_nonnull (value);
  g_assert_true (g_ascii_string_to_unsigned (value, 10, 1, G_MAXUINT32, &v, NULL));
  return (guint32) v;
}

static ScSecret *
right_pin (void)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_get_contents (g_getenv ("SC_YK_PIN_FILE"), &text, NULL, &error));
  g_strchomp (text);
  return sc_secret_new_from_string (text);
}

static ScDak *
open_dak (guint32 serial)
{
  g_autoptr(ScSigner) signer = NULL;
  g_autoptr(GError) error = NULL;
  ScDak *dak;

  signer = sc_yubikey_signer_new (serial, SC_YUBIKEY_DEFAULT_SLOT, chain_path, &error);
  g_assert_no_error (error);
  dak = sc_dak_new (profile, signer, &error);
  g_assert_no_error (error);
  return dak;
}

static X509_REQ *
make_csr (const char *dsn)
{
  g_autoptr(EVP_PKEY) key = sc_key_generate (NULL);
  g_autoptr(GError) error = NULL;
  X509_REQ *req = sc_csr_new (key, sc_profile_get_device_type_id (profile), dsn, &error);

  g_assert_no_error (error);
  return req;
}

/* Issues one certificate and checks the chain to the profile's anchor. */
static gboolean
issue_one (ScDak       *dak,
           const char  *dsn,
           GError     **error)
{
  g_autoptr(X509_REQ) req = make_csr (dsn);
  g_autoptr(ScCertList) chain = sc_dak_issue (dak, req, dsn, NULL, error);
  g_autoptr(GError) verify_error = NULL;

  if (chain == NULL)
    return FALSE;
  g_assert_true (sc_chain_verify (chain, sc_dak_get_trust_anchor (dak), sc_profile_get_device_type_id (profile), dsn,
                                  time (NULL), &verify_error));
  g_assert_no_error (verify_error);
  return TRUE;
}

static void
wait_reader (const char *what,
             const char *reader)
{
  const char *argv[] = { g_getenv ("VYK_PCSC"), "--timeout", "15000", what, reader, NULL };
  g_autoptr(GError) error = NULL;
  int status = -1;

  g_assert_nonnull (argv[0]);
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                               &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

static void
card_signal (int sig)
{
  g_assert_cmpint (kill ((pid_t) env_serial ("SC_YK_CARD_PID"), sig), ==, 0);
  wait_reader (sig == SIGUSR1 ? "wait-empty" : "wait-card", g_getenv ("SC_YK_READER"));
}

static ScSignerStatus *
status_of (ScDak *dak)
{
  return sc_signer_get_status (sc_dak_get_signer (dak));
}

static void
test_status (void)
{
  g_autoptr(ScDak) dak = open_dak (serial_a);
  g_autoptr(ScSignerStatus) st = status_of (dak);
  g_autofree char *text = sc_signer_describe (sc_dak_get_signer (dak));

  g_assert_true (st->present);
  g_assert_true (st->needs_pin);
  g_assert_false (st->unlocked);
  g_assert_cmpint (st->pin_retries, ==, 3);
  g_assert_true (g_str_has_prefix (st->reader, "Yubico"));
  g_assert_cmpstr (st->reader, ==, g_getenv ("SC_YK_READER"));
  g_assert_cmpuint (g_ascii_strtoull (st->token_serial, NULL, 10), ==, serial_a);
  g_assert_cmpstr (st->firmware, ==, "5.4.3");
  g_assert_cmpstr (st->slot, ==, "9c");
  g_assert_nonnull (strstr (text, "PIV slot 9c"));
}

/* Locked until a PIN is given; then units sign one after another on the
 * same session. */
static void
test_sign (void)
{
  g_autoptr(ScDak) dak = open_dak (serial_a);
  g_autoptr(ScSecret) pin = right_pin ();
  g_autoptr(ScSignerStatus) st = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_false (issue_one (dak, "YKLOCKED0000001", &error));
  g_assert_error (error, SC_DAK_ERROR, SC_DAK_ERROR_LOCKED);
  g_clear_error (&error);

  g_assert_true (sc_signer_unlock (sc_dak_get_signer (dak), pin, NULL, &error));
  g_assert_no_error (error);
  for (int i = 0; i < 5; i++)
    {
      g_autofree char *dsn = g_strdup_printf ("YKSIGN%09d", i);

      g_assert_true (issue_one (dak, dsn, &error));
      g_assert_no_error (error);
    }
  st = status_of (dak);
  g_assert_true (st->unlocked);
  g_assert_cmpint (st->pin_retries, ==, 3);

  /* Lock wipes the PIN: the next signature needs it again. */
  sc_signer_lock (sc_dak_get_signer (dak));
  g_clear_pointer (&st, sc_signer_status_free);
  st = status_of (dak);
  g_assert_true (st->present);
  g_assert_false (st->unlocked);
  g_assert_false (issue_one (dak, "YKLOCKED0000002", &error));
  g_assert_error (error, SC_DAK_ERROR, SC_DAK_ERROR_LOCKED);
}

typedef struct
{
  ScDak *dak;
  int    index;
  int    ok;
} Worker;

static gpointer
worker_run (gpointer data)
{
  Worker *w = data;

  for (int i = 0; i < 8; i++)
    {
      g_autofree char *dsn = g_strdup_printf ("YKTHREAD%02d%05d", w->index, i);
      g_autoptr(GError) error = NULL;

      if (issue_one (w->dak, dsn, &error))
        w->ok++;
      else
        g_test_message ("thread %d: %s", w->index, error->message);
    }
  return NULL;
}

static gpointer
poller_run (gpointer data)
{
  Worker *w = data;

  /* A status panel asking while units sign: its SELECT and VERIFY must
   * never land between a signature's VERIFY and the signature. */
  while (!g_atomic_int_get (&w->ok))
    {
      g_autoptr(ScSignerStatus) st = sc_signer_get_status (sc_dak_get_signer (w->dak));

      g_assert_true (st->present);
      w->index++;
    }
  return NULL;
}

/* Four threads signing at once while a fifth polls the status: the signer
 * serialises the token, so every VERIFY stays adjacent to its signature
 * (slot 9c's PIN-always policy) and every certificate verifies. */
static void
test_threads (void)
{
  g_autoptr(ScDak) dak = open_dak (serial_a);
  g_autoptr(ScSecret) pin = right_pin ();
  g_autoptr(GError) error = NULL;
  Worker workers[4], poller = { NULL, 0, 0 };
  GThread *threads[4], *poll_thread;

  g_assert_true (sc_signer_unlock (sc_dak_get_signer (dak), pin, NULL, &error));
  g_assert_no_error (error);
  poller.dak = dak;
  poll_thread = g_thread_new ("status", poller_run, &poller);
  for (int i = 0; i < 4; i++)
    {
      workers[i] = (Worker) { dak, i, 0 };
      threads[i] = g_thread_new ("signer", worker_run, &workers[i]);
    }
  for (int i = 0; i < 4; i++)
    {
      g_thread_join (threads[i]);
      g_assert_cmpint (workers[i].ok, ==, 8);
    }
  g_atomic_int_set (&poller.ok, 1);
  g_thread_join (poll_thread);
  g_test_message ("%d status polls while 32 certificates were signed", poller.index);
  g_assert_cmpint (poller.index, >, 0);
}

/* Two tokens plugged in: the one with the profile's serial is used; the
 * other holds another product's DAK and is refused by name. */
static void
test_select_by_serial (void)
{
  g_autoptr(ScSigner) other = NULL;
  g_autoptr(ScSigner) stranger = NULL;
  g_autoptr(ScSignerStatus) st = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ScDak) dak = open_dak (serial_a);

  st = status_of (dak);
  g_assert_cmpuint (g_ascii_strtoull (st->token_serial, NULL, 10), ==, serial_a);

  other = sc_yubikey_signer_new (serial_b, SC_YUBIKEY_DEFAULT_SLOT, chain_path, &error);
  g_assert_null (other);
  g_assert_error (error, SC_DAK_ERROR, SC_DAK_ERROR_WRONG_PRODUCT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "OTHERPRODUCT01"));
  g_clear_error (&error);

  /* A serial nobody has plugged in: the signer opens (the status panel
   * shows it absent) and says what to plug in when asked to sign. */
  stranger = sc_yubikey_signer_new (serial_a + serial_b, SC_YUBIKEY_DEFAULT_SLOT, chain_path, &error);
  g_assert_no_error (error);
  g_clear_pointer (&st, sc_signer_status_free);
  st = sc_signer_get_status (stranger);
  g_assert_false (st->present);

  /* A slot without a certificate on the right token. */
  other = sc_yubikey_signer_new (serial_a, 0x9a, chain_path, &error);
  g_assert_null (other);
  g_assert_error (error, SC_DAK_ERROR, SC_DAK_ERROR_TOKEN);
  g_assert_nonnull (strstr (error->message, "slot 9a"));
}

/* Pulled out between the PIN and the signature: "token lost", nothing
 * issued, the unit's record says the signature failed, and after the token
 * is back and the PIN given again, the next unit signs. */
static void
test_token_lost (void)
{
  g_autofree char *work = g_dir_make_tmp ("sc-yk-XXXXXX", NULL);
  g_autofree char *db = g_build_filename (work, "station.db", NULL);
  g_autofree char *store_uri = g_strconcat ("sqlite://", db, NULL);
  g_autofree char *key_path = g_build_filename (work, "station.key", NULL);
  g_autofree char *labels = g_build_filename (work, "labels", NULL);
  g_autofree char *printer_uri = g_filename_to_uri (labels, NULL, NULL);
  g_autoptr(ScDak) dak = open_dak (serial_a);
  g_autoptr(ScSecret) pin = right_pin ();
  g_autoptr(ScStore) store = NULL;
  g_autoptr(ScStationSecret) secret = NULL;
  g_autoptr(ScPrinter) printer = NULL;
  g_autoptr(ScStation) station = NULL;
  g_autoptr(ScUnitRun) lost = NULL, again = NULL;
  g_autoptr(ScSignerStatus) st = NULL;
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autoptr(GError) error = NULL;
  ScReconciliation r;

  g_assert_cmpint (g_mkdir (labels, 0700), ==, 0);
  store = sc_store_open (store_uri, &error);
  g_assert_no_error (error);
  secret = sc_station_secret_load (key_path, &error);
  g_assert_no_error (error);
  printer = sc_printer_open (printer_uri, &error);
  g_assert_no_error (error);
  station = sc_station_new (profile, dak, store, secret, printer, NULL, "test");

  g_assert_true (sc_signer_unlock (sc_dak_get_signer (dak), pin, NULL, &error));
  g_assert_no_error (error);
  card_signal (SIGUSR1);

  lost = sc_unit_run_new (station, "YKLOSTUNIT00001");
  g_assert_false (sc_unit_run_run (lost, NULL, &error));
  g_assert_error (error, SC_DAK_ERROR, SC_DAK_ERROR_TOKEN_LOST);
  g_assert_nonnull (strstr (error->message, "DAK token lost"));
  g_clear_error (&error);

  unit = sc_store_find_unit (store, sc_profile_get_device_type_id (profile), "YKLOSTUNIT00001", &error);
  g_assert_no_error (error);
  g_assert_cmpint (unit->state, ==, SC_UNIT_FAILED);
  g_assert_null (unit->cert_serial);
  g_assert_true (sc_store_reconcile (store, &r, &error));
  g_assert_cmpuint (r.signatures, ==, 0);
  g_assert_cmpuint (r.signatures_pending, ==, 0);
  g_assert_cmpuint (r.signatures_failed, ==, 1);

  st = status_of (dak);
  g_assert_false (st->present);
  g_assert_false (st->unlocked);
  g_clear_pointer (&st, sc_signer_status_free);

  card_signal (SIGUSR2);
  st = status_of (dak);
  g_assert_true (st->present);
  g_assert_false (st->unlocked);   /* a token that came back needs its PIN again */

  again = sc_unit_run_new (station, "YKLOSTUNIT00001");
  g_assert_false (sc_unit_run_run (again, NULL, &error));
  g_assert_error (error, SC_DAK_ERROR, SC_DAK_ERROR_LOCKED);
  g_clear_error (&error);
  g_clear_object (&again);

  g_assert_true (sc_signer_unlock (sc_dak_get_signer (dak), pin, NULL, &error));
  g_assert_no_error (error);
  again = sc_unit_run_new (station, "YKLOSTUNIT00001");
  g_assert_true (sc_unit_run_run (again, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (sc_store_reconcile (store, &r, &error));
  g_assert_cmpuint (r.signatures, ==, 1);
  g_assert_cmpuint (r.units_complete, ==, 1);

  g_clear_pointer (&station, sc_station_free);
  g_clear_object (&store);
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", work);
    g_assert_cmpint (system (cmd), ==, 0);
  }
}

/* --- other people's cards ---------------------------------------------------
 *
 * Card B holds another product's DAK, as a second console on the same PC
 * would use it. Finding our token asks each card for its serial, which
 * selects PIV and so un-verifies whoever is using that card; card B logs
 * each APDU it answers (virtual-yubikey --apdu-log), so these tests count
 * what our signer sends it. */

typedef struct
{
  guint apdus;
  guint selects;   /* SELECTs of the PIV application: one per look at the card */
} Apdus;

static Apdus
other_apdus (void)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  Apdus n = { 0, 0 };

  g_assert_true (g_file_get_contents (g_getenv ("SC_YK_OTHER_APDU_LOG"), &text, NULL, &error));
  g_assert_no_error (error);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (lines[i][0] != '\0')
      {
        n.apdus++;
        if (strstr (lines[i], " A4 04 00 select-piv ") != NULL)
          n.selects++;
      }
  return n;
}

static void
other_signal (int sig)
{
  g_assert_cmpint (kill ((pid_t) env_serial ("SC_YK_OTHER_CARD_PID"), sig), ==, 0);
  wait_reader (sig == SIGUSR1 ? "wait-empty" : "wait-card", g_getenv ("SC_YK_OTHER_READER"));
}

/* What a station does while its token is out: the status panel polls, and
 * someone tries the PIN and a unit. Each must say the token is not there. */
static void
look_for_absent_token (ScSigner *signer,
                       ScDak    *dak,
                       int       polls)
{
  g_autoptr(ScSecret) pin = right_pin ();

  for (int i = 0; i < polls; i++)
    {
      g_autoptr(ScSignerStatus) st = sc_signer_get_status (signer);
      g_autoptr(GError) error = NULL;

      g_assert_false (st->present);
      if (i % 5 == 0)
        {
          g_assert_false (sc_signer_unlock (signer, pin, NULL, &error));
          g_assert_error (error, SC_DAK_ERROR, SC_DAK_ERROR_TOKEN_LOST);
          g_assert_nonnull (strstr (error->message, "not plugged in"));
          g_clear_error (&error);
          g_assert_false (issue_one (dak, "YKABSENT0000001", &error));
          g_assert_error (error, SC_DAK_ERROR, SC_DAK_ERROR_TOKEN_LOST);
        }
    }
}

static ScSigner *
open_absent_signer (ScDak **dak)
{
  g_autoptr(GError) error = NULL;
  ScSigner *signer = sc_yubikey_signer_new (serial_a, SC_YUBIKEY_DEFAULT_SLOT, chain_path, &error);

  g_assert_no_error (error);
  *dak = sc_dak_new (profile, signer, &error);
  g_assert_no_error (error);
  return signer;
}

/* With our token out, card B is asked for its serial once per insertion:
 * the first look, then nothing however often the station polls, unlocks
 * or signs; pulled out and put back, it is asked exactly once more. Our
 * token, when it comes back, is found. */
static void
test_other_card_asked_once (void)
{
  g_autoptr(ScSigner) signer = NULL;
  g_autoptr(ScDak) dak = NULL;
  g_autoptr(ScSignerStatus) st = NULL;
  Apdus start, opened, polled, reinserted, again;

  card_signal (SIGUSR1);
  start = other_apdus ();
  signer = open_absent_signer (&dak);
  opened = other_apdus ();
  g_test_message ("the first look at card B: %u APDUs, %u SELECT of PIV", opened.apdus - start.apdus,
                  opened.selects - start.selects);
  g_assert_cmpuint (opened.selects - start.selects, ==, 1);
  g_assert_cmpuint (opened.apdus - start.apdus, >=, 2);

  look_for_absent_token (signer, dak, 30);
  polled = other_apdus ();
  g_assert_cmpuint (polled.apdus, ==, opened.apdus);

  other_signal (SIGUSR1);
  other_signal (SIGUSR2);
  reinserted = other_apdus ();
  g_assert_cmpuint (reinserted.apdus, ==, polled.apdus);   /* insertion alone sends nothing */
  look_for_absent_token (signer, dak, 10);
  again = other_apdus ();
  g_assert_cmpuint (again.selects - reinserted.selects, ==, 1);
  g_assert_cmpuint (again.apdus - reinserted.apdus, ==, opened.apdus - start.apdus);

  card_signal (SIGUSR2);
  st = sc_signer_get_status (signer);
  g_assert_true (st->present);
  g_assert_cmpstr (st->reader, ==, g_getenv ("SC_YK_READER"));
  g_assert_cmpuint (other_apdus ().apdus, ==, again.apdus);
}

/* A session of another program on card B, held open between its
 * commands: hex APDUs in, responses out (vyk-pcsc session). */
typedef struct
{
  GSubprocess      *process;
  GOutputStream    *in;
  GDataInputStream *out;
} Session;

static void
session_open (Session    *session,
              const char *reader,
              gboolean    exclusive)
{
  g_autoptr(GError) error = NULL;

  session->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                       g_getenv ("VYK_PCSC"), exclusive ? "session-exclusive" : "session",
                                       reader, NULL);
  g_assert_no_error (error);
  session->in = g_subprocess_get_stdin_pipe (session->process);
  session->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (session->process));
}

/* Sends one APDU; returns the status word the card answered. */
static char *
session_send (Session    *session,
              const char *hex)
{
  g_autofree char *line = g_strconcat (hex, "\n", NULL);
  g_autoptr(GError) error = NULL;
  char *reply;
  gsize len = 0;

  g_assert_true (g_output_stream_write_all (session->in, line, strlen (line), NULL, NULL, &error));
  g_assert_no_error (error);
  reply = g_data_input_stream_read_line (session->out, &len, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (reply);
  g_assert_cmpuint (len, >=, 4);
  memmove (reply, reply + len - 4, 5);
  return reply;
}

static void
session_close (Session *session)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (g_output_stream_close (session->in, NULL, &error));
  g_assert_true (g_subprocess_wait_check (session->process, NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&session->out);
  g_clear_object (&session->process);
}

#define SELECT_PIV   "00A4040005A000000308"
#define EMPTY_VERIFY "00200080"
/* card B runs with the YubiKey default PIN 123456 (yk-fixture.sh) */
#define VERIFY_B_PIN "0020008008313233343536FFFF"

/* The harm itself: another program has verified card B's PIN in its own
 * session; our station, its token out, polls and tries the PIN, and card
 * B is still verified afterwards. */
static void
test_other_card_stays_verified (void)
{
  g_autoptr(ScSigner) signer = NULL;
  g_autoptr(ScDak) dak = NULL;
  Session session = { 0 };
  g_autofree char *sw1 = NULL, *sw2 = NULL, *sw3 = NULL, *sw4 = NULL;
  Apdus opened;

  card_signal (SIGUSR1);
  signer = open_absent_signer (&dak);
  opened = other_apdus ();

  session_open (&session, g_getenv ("SC_YK_OTHER_READER"), FALSE);
  sw1 = session_send (&session, SELECT_PIV);
  g_assert_cmpstr (sw1, ==, "9000");
  sw2 = session_send (&session, VERIFY_B_PIN);
  g_assert_cmpstr (sw2, ==, "9000");
  sw3 = session_send (&session, EMPTY_VERIFY);
  g_assert_cmpstr (sw3, ==, "9000");   /* verified */

  look_for_absent_token (signer, dak, 20);
  sw4 = session_send (&session, EMPTY_VERIFY);
  g_assert_cmpstr (sw4, ==, "9000");   /* still verified; 63C3 had our polls un-verified it */
  g_assert_cmpuint (other_apdus ().apdus, ==, opened.apdus + 4);   /* the session's four, none of ours */
  session_close (&session);
  card_signal (SIGUSR2);
}

/* A card another program holds exclusively cannot be asked, so it is not
 * taken for a stranger: the station says the token may be held that way,
 * and once the card is let go it is asked, once. */
static void
test_other_card_held_exclusively (void)
{
  g_autoptr(ScSigner) signer = NULL;
  g_autoptr(ScDak) dak = NULL;
  g_autoptr(ScSecret) pin = right_pin ();
  g_autoptr(GError) error = NULL;
  Session session = { 0 };
  g_autofree char *sw = NULL;
  Apdus held, released;

  card_signal (SIGUSR1);
  session_open (&session, g_getenv ("SC_YK_OTHER_READER"), TRUE);
  sw = session_send (&session, SELECT_PIV);
  g_assert_cmpstr (sw, ==, "9000");
  held = other_apdus ();

  signer = open_absent_signer (&dak);
  for (int i = 0; i < 3; i++)
    {
      g_assert_false (sc_signer_unlock (signer, pin, NULL, &error));
      g_assert_error (error, SC_DAK_ERROR, SC_DAK_ERROR_TOKEN_LOST);
      g_assert_nonnull (strstr (error->message, "exclusively"));
      g_clear_error (&error);
    }
  g_assert_cmpuint (other_apdus ().apdus, ==, held.apdus);
  session_close (&session);

  released = other_apdus ();
  look_for_absent_token (signer, dak, 10);
  g_assert_cmpuint (other_apdus ().selects - released.selects, ==, 1);
  card_signal (SIGUSR2);
}

/* Has run-with-cards.sh restart pcscd and waits until it has. */
static void
restart_pcscd (void)
{
  const char *path = g_getenv ("SC_YK_RESTARTS");
  g_autofree char *before = NULL;
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  guint64 done = 0;

  g_assert_nonnull (path);
  g_assert_true (g_file_get_contents (path, &before, NULL, NULL));
  g_assert_true (g_ascii_string_to_unsigned (g_strstrip (before), 10, 0, G_MAXUINT, &done, NULL));
  g_assert_cmpint (kill ((pid_t) env_serial ("SC_YK_HARNESS_PID"), SIGUSR1), ==, 0);
  for (;;)
    {
      g_autofree char *now = NULL;
      guint64 count = 0;

      if (g_file_get_contents (path, &now, NULL, NULL))
        {
          g_strstrip (now);
          g_assert_cmpstr (now, !=, "failed");
          if (g_ascii_string_to_unsigned (now, 10, 0, G_MAXUINT, &count, NULL) && count == done + 1)
            return;
        }
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20 * 1000);
    }
}

/* pcscd restarts: its readers go and come back, and their event counters
 * start again from the same numbers, so the card now in a reader cannot be
 * told from the one before by them. What the signer knew goes with its
 * PC/SC context: card B is asked exactly once more, and our token, back,
 * is found on the first poll. */
static void
test_other_card_after_pcscd_restart (void)
{
  g_autoptr(ScSigner) signer = NULL;
  g_autoptr(ScDak) dak = NULL;
  g_autoptr(ScSignerStatus) st = NULL;
  Apdus start, opened, restarted, again;

  card_signal (SIGUSR1);
  restart_pcscd ();
  wait_reader ("wait-card", g_getenv ("SC_YK_OTHER_READER"));
  start = other_apdus ();
  signer = open_absent_signer (&dak);
  opened = other_apdus ();
  g_assert_cmpuint (opened.selects - start.selects, ==, 1);
  look_for_absent_token (signer, dak, 10);
  g_assert_cmpuint (other_apdus ().apdus, ==, opened.apdus);

  restart_pcscd ();
  wait_reader ("wait-card", g_getenv ("SC_YK_OTHER_READER"));
  restarted = other_apdus ();
  look_for_absent_token (signer, dak, 10);
  again = other_apdus ();
  g_assert_cmpuint (again.selects - restarted.selects, ==, 1);
  g_assert_cmpuint (again.apdus - restarted.apdus, ==, opened.apdus - start.apdus);

  restart_pcscd ();
  wait_reader ("wait-card", g_getenv ("SC_YK_OTHER_READER"));
  card_signal (SIGUSR2);
  st = sc_signer_get_status (signer);
  g_assert_true (st->present);
  g_assert_cmpstr (st->reader, ==, g_getenv ("SC_YK_READER"));
}

/* Runs yubico-piv-tool on card A, as another program on the same PC
 * would (it resets the card when it exits); returns its standard output. */
static char *
piv_tool (gboolean     expect_ok,
          const char  *first,
          ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  int status = 0;
  va_list ap;

  g_ptr_array_add (args, (char *) "yubico-piv-tool");
  g_ptr_array_add (args, (char *) "-r");
  g_ptr_array_add (args, (char *) g_getenv ("SC_YK_READER"));
  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (args, (char *) a);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) args->pdata, NULL,
                               G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
                               &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL) == expect_ok);
  return out;
}

/* The tries left as Yubico's tool sees them: -1 when the card is still
 * PIN-verified (it then cannot tell). */
static int
tool_tries (void)
{
  g_autofree char *out = piv_tool (TRUE, "-a", "status", NULL);
  const char *line = strstr (out, "PIN tries left:");

  g_assert_nonnull (line);
  return atoi (line + strlen ("PIN tries left:"));
}

static void
expect_tries (ScDak *dak,
              int    tries)
{
  g_autoptr(ScSignerStatus) st = status_of (dak);

  g_assert_cmpint (st->pin_retries, ==, tries);
}

/* Another program uses the token between the PIN and a signature (and
 * resets the card as it leaves): the signer reconnects, selects PIV again,
 * and signs; and it never leaves the card PIN-verified behind it. */
static void
test_shared_card (void)
{
  g_autoptr(ScDak) dak = open_dak (serial_a);
  g_autoptr(ScSecret) pin = right_pin ();
  g_autoptr(GError) error = NULL;

  g_assert_true (sc_signer_unlock (sc_dak_get_signer (dak), pin, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (tool_tries (), ==, 3);   /* not left verified by the unlock */
  g_assert_true (issue_one (dak, "YKSHARED0000001", &error));
  g_assert_no_error (error);
  g_assert_cmpint (tool_tries (), ==, 3);   /* nor by the signature */
  g_assert_true (issue_one (dak, "YKSHARED0000002", &error));
  g_assert_no_error (error);
}

/* The PIN is changed with Yubico's tool while the station holds the old
 * one, and someone mistypes the new one once. Polling the status sends no
 * PIN; the next signature sends the held PIN once, is refused, and drops
 * it: one try, never two, and never the last. */
static void
test_pin_changed_elsewhere (void)
{
  g_autoptr(ScDak) dak = open_dak (serial_a);
  g_autoptr(ScSecret) pin = right_pin ();
  g_autoptr(ScSignerStatus) st = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *old_pin = g_strdup (sc_secret_get_string (pin));
  g_autofree char *a = NULL, *b = NULL, *c = NULL, *d = NULL;

  g_assert_true (sc_signer_unlock (sc_dak_get_signer (dak), pin, NULL, &error));
  g_assert_no_error (error);

  a = piv_tool (TRUE, "-a", "change-pin", "-P", old_pin, "-N", "97531864", NULL);
  b = piv_tool (FALSE, "-a", "verify-pin", "-P", "11111111", NULL);
  g_assert_cmpint (tool_tries (), ==, 2);
  for (int i = 0; i < 3; i++)
    expect_tries (dak, 2);          /* status polls send nothing */

  g_assert_false (issue_one (dak, "YKCHANGED000001", &error));
  g_assert_error (error, SC_DAK_ERROR, SC_DAK_ERROR_PIN_WRONG);
  g_assert_nonnull (strstr (error->message, "accepted before"));
  g_clear_error (&error);
  st = status_of (dak);
  g_assert_false (st->unlocked);
  g_assert_cmpint (st->pin_retries, ==, 1);
  g_assert_false (issue_one (dak, "YKCHANGED000002", &error));
  g_assert_error (error, SC_DAK_ERROR, SC_DAK_ERROR_LOCKED);
  g_clear_error (&error);
  g_assert_cmpint (tool_tries (), ==, 1);

  /* The owner puts things back: the right new PIN resets the counter, and
   * the old PIN again for the tests that follow. */
  c = piv_tool (TRUE, "-a", "verify-pin", "-P", "97531864", NULL);
  d = piv_tool (TRUE, "-a", "change-pin", "-P", "97531864", "-N", old_pin, NULL);
  g_assert_cmpint (tool_tries (), ==, 3);
}

/* A wrong PIN costs one try and says how many remain; a right one resets
 * the counter; with one try left nothing is sent; blocked is blocked. */
static void
test_pin (void)
{
  g_autoptr(ScDak) dak = open_dak (serial_a);
  g_autoptr(ScSecret) pin = right_pin ();
  g_autoptr(ScSecret) wrong = sc_secret_new_from_string ("000000");
  g_autoptr(ScSecret) short_pin = sc_secret_new_from_string ("123");
  g_autoptr(GError) error = NULL;
  ScSigner *signer = sc_dak_get_signer (dak);
  const char *argv[] = { "yubico-piv-tool", "-r", g_getenv ("SC_YK_READER"), "-a", "verify-pin", "-P", "999999",
                         NULL };
  int status = 0;

  expect_tries (dak, 3);
  g_assert_false (sc_signer_unlock (signer, short_pin, NULL, &error));
  g_assert_error (error, SC_DAK_ERROR, SC_DAK_ERROR_PIN_WRONG);
  g_clear_error (&error);
  expect_tries (dak, 3);   /* a malformed PIN never reaches the card */

  g_assert_false (sc_signer_unlock (signer, wrong, NULL, &error));
  g_assert_error (error, SC_DAK_ERROR, SC_DAK_ERROR_PIN_WRONG);
  g_assert_nonnull (strstr (error->message, "2 tries are left"));
  g_clear_error (&error);
  expect_tries (dak, 2);

  g_assert_true (sc_signer_unlock (signer, pin, NULL, &error));
  g_assert_no_error (error);
  expect_tries (dak, 3);
  sc_signer_lock (signer);

  g_assert_false (sc_signer_unlock (signer, wrong, NULL, &error));
  g_clear_error (&error);
  g_assert_false (sc_signer_unlock (signer, wrong, NULL, &error));
  g_assert_error (error, SC_DAK_ERROR, SC_DAK_ERROR_PIN_WRONG);
  g_assert_nonnull (strstr (error->message, "1 try is left"));
  g_clear_error (&error);
  expect_tries (dak, 1);

  /* Even the right PIN is not sent with one try left. */
  g_assert_false (sc_signer_unlock (signer, pin, NULL, &error));
  g_assert_error (error, SC_DAK_ERROR, SC_DAK_ERROR_PIN_LAST_RETRY);
  g_assert_nonnull (strstr (error->message, "will not spend it"));
  g_clear_error (&error);
  expect_tries (dak, 1);
  g_assert_false (sc_signer_unlock (signer, wrong, NULL, &error));
  g_assert_error (error, SC_DAK_ERROR, SC_DAK_ERROR_PIN_LAST_RETRY);
  g_clear_error (&error);
  expect_tries (dak, 1);

  /* Someone else spends it with Yubico's tool: the console says blocked. */
  sc_signer_lock (signer);
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL,
                               G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                               NULL, NULL, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_false (g_spawn_check_wait_status (status, NULL));
  expect_tries (dak, 0);
  g_assert_false (sc_signer_unlock (signer, pin, NULL, &error));
  g_assert_error (error, SC_DAK_ERROR, SC_DAK_ERROR_PIN_BLOCKED);
  g_assert_nonnull (strstr (error->message, "blocked"));
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *profile_path = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);

  dir = g_getenv ("SC_YK_DIR");
  if (dir == NULL || g_getenv ("PCSCLITE_CSOCK_NAME") == NULL)
    {
      g_test_skip ("run through run-with-cards.sh, which starts pcscd and the virtual YubiKeys");
      return g_test_run ();
    }
  serial_a = env_serial ("SC_YK_SERIAL");
  serial_b = env_serial ("SC_YK_OTHER_SERIAL");
  chain_path = g_build_filename (dir, "dak-chain.pem", NULL);
  profile_path = g_build_filename (dir, "product.profile", NULL);
  profile = sc_profile_new_from_file (profile_path, &error);
  g_assert_no_error (error);

  g_test_add_func ("/yubikey/status", test_status);
  g_test_add_func ("/yubikey/sign", test_sign);
  g_test_add_func ("/yubikey/threads", test_threads);
  g_test_add_func ("/yubikey/select-by-serial", test_select_by_serial);
  g_test_add_func ("/yubikey/token-lost", test_token_lost);
  g_test_add_func ("/yubikey/other-card/asked-once", test_other_card_asked_once);
  g_test_add_func ("/yubikey/other-card/stays-verified", test_other_card_stays_verified);
  g_test_add_func ("/yubikey/other-card/held-exclusively", test_other_card_held_exclusively);
  g_test_add_func ("/yubikey/other-card/after-pcscd-restart", test_other_card_after_pcscd_restart);
  g_test_add_func ("/yubikey/shared-card", test_shared_card);
  g_test_add_func ("/yubikey/pin-changed-elsewhere", test_pin_changed_elsewhere);
  g_test_add_func ("/yubikey/pin", test_pin);

  ret = g_test_run ();
  g_clear_object (&profile);
  g_free (chain_path);
  return ret;
}
