/* sc-yubikey-signer.c: the DAK on a YubiKey (PIV), through Yubico's libykpiv
 *
 * Amazon ships each product's DAK on a YubiKey, the key in PIV slot 9c
 * (digital signature), whose PIN policy is "always": the PIN must be
 * verified immediately before every signature. The signer holds one PC/SC
 * session across units, on a card handle of its own that libykpiv borrows
 * (ykpiv_connect_with_external_card), and, between unlock and lock, the PIN
 * in wiped memory. Each signature is one PC/SC transaction: the tries left,
 * VERIFY and GENERAL AUTHENTICATE, so no other program's command comes in
 * between; one mutex serialises this process's threads.
 *
 * The PIN is never guessed and never retried: sc_signer_unlock() sends the
 * operator's PIN once; a wrong one costs one try and is reported with the
 * tries left, and with one try left no PIN is sent at all, because a blocked
 * DAK stops the line until Amazon unblocks it. VERIFY goes out as a raw
 * APDU so libykpiv never keeps a copy of the PIN (it would replay that copy
 * by itself after another program resets the card). A token that goes away
 * drops the session and the PIN; when it comes back it must be unlocked
 * again.
 *
 * Finding the token asks each card for its serial, and that means selecting
 * the PIV application, which un-verifies the PIN of whoever else is using
 * that card (another console's DAK, yubico-piv-tool, ykcs11). So a card
 * that is not ours is asked once per insertion and then remembered, per
 * reader, by what identifies that insertion without talking to the card:
 * pcsc-lite's card-event counter for the reader (the upper 16 bits of
 * dwEventState, which 1.9.9 steps on every insertion and removal and starts
 * again when pcscd starts), the ATR, and where the reader driver reports it
 * (libccid) the USB bus and address of the reader, which a YubiKey pulled
 * out and another plugged in take anew even when pcsc-lite gives the new
 * reader the old one's name. Status polls while our token is absent then
 * cost the other cards nothing. The memory goes with our PC/SC context (a
 * pcscd restart counts readers from scratch) and a reader's entry goes with
 * the reader. Cards that are not ours are released without a reset.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <malloc.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <PCSC/winscard.h>
#include <PCSC/reader.h>
#include <ykpiv.h>

#include "sc-blocking-private.h"
#include "sc-crypto-private.h"
#include "sc-secret.h"
#include "sc-signer-private.h"
#include "sc-yubikey-signer.h"

/* A PIV PIN is 6 to 8 characters (SP 800-73-4, 2.4.3). */
#define PIN_MIN 6
#define PIN_MAX 8

struct _ScYubikeySigner
{
  GObject          parent_instance;

  GMutex           mutex;          /* one user of the token at a time */
  guint32          serial;
  guint8           slot;
  STACK_OF (X509) *chain;          /* the DAK chain file, DAK certificate first */

  SCARDCONTEXT     context;        /* our own PC/SC connection: libykpiv */
  gboolean         context_valid;  /* only ever gets the card handle */
  GHashTable      *strangers;      /* reader name → Stranger, for this context */
  SCARDHANDLE      card;
  ykpiv_state     *state;
  gboolean         connected;
  char            *reader;         /* the reader the token is in, while connected */
  char            *firmware;
  int              pin_retries;    /* last known, -1 before the first look */
  ScSecret        *pin;            /* between unlock and lock or loss */
};

/* One insertion of a card that is not ours (not a PIV card, or another
 * serial), as pcsc-lite describes it without a word to the card. */
typedef struct
{
  guint16  events;                 /* the reader's card-event counter */
  guint8   atr[MAX_ATR_SIZE];
  gsize    atr_len;
  gboolean has_channel;            /* the driver reports SCARD_ATTR_CHANNEL_ID */
  guint32  channel;
} Stranger;

static void signer_iface_init (ScSignerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ScYubikeySigner, sc_yubikey_signer, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SC_TYPE_SIGNER, signer_iface_init))

/* libykpiv's allocations (APDU buffers among them) are wiped before they
 * are freed. */
static void *
wiping_alloc (void   *data,
              size_t  size)
{
  return calloc (1, size);
}

static void
wiping_free (void *data,
             void *p)
{
  if (p == NULL)
    return;
  sc_memwipe (p, malloc_usable_size (p));
  free (p);
}

static void *
wiping_realloc (void   *data,
                void   *p,
                size_t  size)
{
  void *q;
  size_t old;

  if (p == NULL)
    return wiping_alloc (data, size);
  old = malloc_usable_size (p);
  q = calloc (1, size);
  if (q == NULL)
    return NULL;
  memcpy (q, p, MIN (old, size));
  wiping_free (data, p);
  return q;
}

static const ykpiv_allocator wiping_allocator = {
  wiping_alloc, wiping_realloc, wiping_free, NULL,
};

/* Drops the session and the PIN. Called with the mutex held. The card is
 * left as it is (never reset: another program may be using its own session
 * on another slot). The PC/SC context stays, and with it what is known of
 * the other cards. */
static void
drop_session (ScYubikeySigner *self)
{
  if (self->state != NULL)
    {
      ykpiv_done_with_external_card (self->state);
      self->state = NULL;
    }
  if (self->card != 0)
    {
      SCardDisconnect (self->card, SCARD_LEAVE_CARD);
      self->card = 0;
    }
  self->connected = FALSE;
  g_clear_pointer (&self->reader, g_free);
  g_clear_pointer (&self->pin, sc_secret_unref);
}

/* Drops the session and the PC/SC context, for a pcscd that went away or
 * restarted: its readers and their event counters start again, so what was
 * known of the cards in them is forgotten too. Called with the mutex held. */
static void
drop_context (ScYubikeySigner *self)
{
  drop_session (self);
  if (self->context_valid)
    {
      SCardReleaseContext (self->context);
      self->context_valid = FALSE;
    }
  g_hash_table_remove_all (self->strangers);
}

static void
sc_yubikey_signer_finalize (GObject *object)
{
  ScYubikeySigner *self = SC_YUBIKEY_SIGNER (object);

  drop_context (self);
  g_clear_pointer (&self->strangers, g_hash_table_unref);
  g_clear_pointer (&self->chain, sc_certs_free);
  g_free (self->firmware);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (sc_yubikey_signer_parent_class)->finalize (object);
}

static void
sc_yubikey_signer_class_init (ScYubikeySignerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sc_yubikey_signer_finalize;
}

static void
sc_yubikey_signer_init (ScYubikeySigner *self)
{
  g_mutex_init (&self->mutex);
  self->pin_retries = -1;
  self->strangers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

static void
set_lost (ScYubikeySigner  *self,
          const char       *why,
          GError          **error)
{
  drop_session (self);
  g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_TOKEN_LOST,
               _("DAK token lost: the YubiKey %u stopped answering (%s). Nothing was signed. Plug it "
                 "back in and enter the DAK PIN again"),
               self->serial, why);
}

/* Checks that the token in the session holds this product's DAK: the slot's
 * certificate has the public key of the chain file's DAK certificate and the
 * same DeviceTypeId. */
static gboolean
check_token_dak (ScYubikeySigner  *self,
                 ykpiv_state      *state,
                 GError          **error)
{
  X509 *expected = sk_X509_value (self->chain, 0);
  g_autoptr(X509) cert = NULL;
  g_autofree char *dtid = NULL, *expected_dtid = NULL;
  guint8 *data = NULL;
  size_t len = 0;
  const guint8 *p;
  ykpiv_rc rc;

  rc = ykpiv_util_read_cert (state, self->slot, &data, &len);
  if (rc != YKPIV_OK || len == 0)
    {
      if (data != NULL)
        ykpiv_util_free (state, data);
      if (rc == YKPIV_PCSC_ERROR)
        {
          g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_TOKEN_LOST,
                       _("DAK token lost: the YubiKey %u stopped answering while its certificate was read"),
                       self->serial);
          return FALSE;
        }
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_TOKEN,
                   _("The YubiKey %u has no certificate in PIV slot %02x, so it holds no DAK there; "
                     "check the slot in the profile’s [dak] uri"),
                   self->serial, self->slot);
      return FALSE;
    }
  p = data;
  cert = d2i_X509 (NULL, &p, (long) len);
  ykpiv_util_free (state, data);
  if (cert == NULL)
    {
      ERR_clear_error ();
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_TOKEN,
                   _("The certificate in slot %02x of the YubiKey %u cannot be read"), self->slot, self->serial);
      return FALSE;
    }

  dtid = sc_x509_name_get_text (X509_get_subject_name (cert), sc_nid_device_type_id (), NULL);
  expected_dtid = sc_x509_name_get_text (X509_get_subject_name (expected), sc_nid_device_type_id (), NULL);
  if (g_strcmp0 (dtid, expected_dtid) != 0)
    {
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_WRONG_PRODUCT,
                   _("The YubiKey %u holds the DAK of DeviceTypeId “%s”, not this product’s “%s”: "
                     "plug in this product’s DAK token"),
                   self->serial, dtid ? dtid : "", expected_dtid ? expected_dtid : "");
      return FALSE;
    }
  if (EVP_PKEY_eq (X509_get0_pubkey (cert), X509_get0_pubkey (expected)) != 1)
    {
      ERR_clear_error ();
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_TOKEN,
                   _("The YubiKey %u holds a different DAK key than the profile’s DAK chain file: "
                     "the token and the chain file are from different DAKs"),
                   self->serial);
      return FALSE;
    }
  return TRUE;
}

/* The card-event counter and the ATR of one reader, asked of pcscd (the
 * card hears nothing). FALSE when the reader holds no card. */
static gboolean
read_reader_state (ScYubikeySigner   *self,
                   const char        *reader,
                   SCARD_READERSTATE *st)
{
  LONG rc;

  memset (st, 0, sizeof *st);
  st->szReader = reader;
  st->dwCurrentState = SCARD_STATE_UNAWARE;
  rc = SCardGetStatusChange (self->context, 0, st, 1);
  return (rc == SCARD_S_SUCCESS || rc == SCARD_E_TIMEOUT) && (st->dwEventState & SCARD_STATE_PRESENT) != 0;
}

/* The USB bus and address of the reader a handle is on, which libccid
 * reports (SCARD_ATTR_CHANNEL_ID); vpcd and serial readers do not. */
static gboolean
read_channel (SCARDHANDLE  handle,
              guint32     *channel)
{
  guint8 value[8];
  DWORD len = sizeof value;

  if (SCardGetAttrib (handle, SCARD_ATTR_CHANNEL_ID, value, &len) != SCARD_S_SUCCESS || len != sizeof *channel)
    return FALSE;
  memcpy (channel, value, sizeof *channel);
  return TRUE;
}

static void
stranger_set (Stranger                *stranger,
              const SCARD_READERSTATE *st)
{
  stranger->events = (guint16) (st->dwEventState >> 16);
  stranger->atr_len = MIN ((gsize) st->cbAtr, sizeof stranger->atr);
  memcpy (stranger->atr, st->rgbAtr, stranger->atr_len);
}

/* Whether the card in a reader was found not to be ours in this same
 * insertion: the same event counter and ATR, and where the entry has one,
 * the same USB address, read over a direct connection to the reader that
 * involves no card. A reader another program holds exclusively cannot be
 * looked at (nor could its card be asked): it stays as it was and sets
 * *busy. An entry that no longer matches is forgotten. */
static gboolean
known_stranger (ScYubikeySigner         *self,
                const SCARD_READERSTATE *st,
                gboolean                *busy)
{
  Stranger *known = g_hash_table_lookup (self->strangers, st->szReader);
  Stranger now = { 0 };
  SCARDHANDLE handle = 0;
  DWORD protocol = 0;
  LONG rc;

  if (known == NULL)
    return FALSE;
  stranger_set (&now, st);
  if (now.events != known->events || now.atr_len != known->atr_len ||
      memcmp (now.atr, known->atr, now.atr_len) != 0)
    goto forget;
  if (!known->has_channel)
    return TRUE;

  rc = SCardConnect (self->context, st->szReader, SCARD_SHARE_DIRECT, 0, &handle, &protocol);
  if (rc == SCARD_E_SHARING_VIOLATION)
    {
      *busy = TRUE;
      return TRUE;
    }
  if (rc != SCARD_S_SUCCESS)
    goto forget;
  now.has_channel = read_channel (handle, &now.channel);
  SCardDisconnect (handle, SCARD_LEAVE_CARD);
  if (now.has_channel && now.channel == known->channel)
    return TRUE;

forget:
  g_hash_table_remove (self->strangers, st->szReader);
  return FALSE;
}

typedef enum
{
  PROBE_OURS,      /* the YubiKey with our serial */
  PROBE_STRANGER,  /* it answered, and it is not ours */
  PROBE_UNKNOWN,   /* it could not be asked (busy, gone, a PC/SC error) */
} Probe;

/* Looks at the card in one reader: a fresh libykpiv state on our own PC/SC
 * handle (libykpiv caches a card's serial in its state, so states are never
 * shared between cards). When the card is the YubiKey with our serial,
 * returns PROBE_OURS with the state and the handle. Otherwise releases the
 * card without resetting it; when the card answered for itself, returns
 * PROBE_STRANGER with *stranger naming this insertion, its event counter
 * read while our handle shows the card never left. */
static Probe
probe_reader (ScYubikeySigner  *self,
              const char       *reader,
              ykpiv_state     **state_out,
              SCARDHANDLE      *card_out,
              Stranger         *stranger,
              gboolean         *busy)
{
  ykpiv_state *state = NULL;
  SCARDHANDLE card = 0;
  SCARD_READERSTATE st;
  DWORD protocol = 0;
  guint32 serial = 0;
  int tries = -1;
  ykpiv_rc selected = YKPIV_PCSC_ERROR, got_serial = YKPIV_GENERIC_ERROR;
  Probe probe = PROBE_UNKNOWN;
  LONG rc;

  rc = SCardConnect (self->context, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, &card, &protocol);
  if (rc == SCARD_E_SHARING_VIOLATION)
    *busy = TRUE;
  if (rc != SCARD_S_SUCCESS)
    return PROBE_UNKNOWN;

  /* Asking for the tries left selects the PIV application (libykpiv then
   * reads its version and serial); a card without PIV fails here. */
  if (ykpiv_init_with_allocator (&state, 0, &wiping_allocator) != YKPIV_OK)
    state = NULL;
  if (state != NULL &&
      ykpiv_connect_with_external_card (state, (uintptr_t) self->context, (uintptr_t) card) == YKPIV_OK)
    selected = ykpiv_get_pin_retries (state, &tries);
  if (selected == YKPIV_OK)
    got_serial = ykpiv_get_serial (state, &serial);
  if (got_serial == YKPIV_OK && serial == self->serial)
    {
      *state_out = state;
      *card_out = card;
      return PROBE_OURS;
    }

  if (selected != YKPIV_PCSC_ERROR && got_serial != YKPIV_PCSC_ERROR &&
      read_reader_state (self, reader, &st))
    {
      char name[MAX_READERNAME];
      guint8 atr[MAX_ATR_SIZE];
      DWORD name_len = sizeof name, atr_len = sizeof atr, card_state = 0;

      /* Still the same insertion if our handle survived it. */
      rc = SCardStatus (card, name, &name_len, &card_state, &protocol, atr, &atr_len);
      if (rc == SCARD_S_SUCCESS || rc == SCARD_W_RESET_CARD)
        {
          stranger_set (stranger, &st);
          stranger->has_channel = read_channel (card, &stranger->channel);
          probe = PROBE_STRANGER;
        }
    }
  if (state != NULL)
    ykpiv_done_with_external_card (state);
  SCardDisconnect (card, SCARD_LEAVE_CARD);
  return probe;
}

/* The readers, and each one's state as pcscd knows it (the cards hear
 * nothing). */
static LONG
list_readers (ScYubikeySigner    *self,
              char              **readers_out,
              SCARD_READERSTATE **states_out,
              gsize              *n_out)
{
  g_autofree char *readers = NULL;
  g_autofree SCARD_READERSTATE *states = NULL;
  DWORD len = 0;
  gsize n = 0;
  LONG rc;

  /* A reader plugged in between asking for the size and for the list
   * makes the list longer than asked for: ask again. */
  for (guint tries = 0; tries < 3; tries++)
    {
      g_clear_pointer (&readers, g_free);
      len = 0;
      rc = SCardListReaders (self->context, NULL, NULL, &len);
      if (rc != SCARD_S_SUCCESS || len == 0)
        break;
      readers = g_malloc0 (len + 1);
      rc = SCardListReaders (self->context, NULL, readers, &len);
      if (rc != SCARD_E_INSUFFICIENT_BUFFER)
        break;
    }
  if (rc != SCARD_S_SUCCESS)
    return rc;
  if (readers == NULL || readers[0] == '\0')
    return SCARD_E_NO_READERS_AVAILABLE;

  for (const char *name = readers; name < readers + len && *name != '\0'; name += strlen (name) + 1)
    n++;
  states = g_new0 (SCARD_READERSTATE, n);
  n = 0;
  for (const char *name = readers; name < readers + len && *name != '\0'; name += strlen (name) + 1)
    {
      states[n].szReader = name;
      states[n].dwCurrentState = SCARD_STATE_UNAWARE;
      n++;
    }
  rc = SCardGetStatusChange (self->context, 0, states, n);
  if (rc != SCARD_S_SUCCESS && rc != SCARD_E_TIMEOUT)
    return rc;
  *readers_out = g_steal_pointer (&readers);
  *states_out = g_steal_pointer (&states);
  *n_out = n;
  return SCARD_S_SUCCESS;
}

/* Finds the token by serial among the readers and opens a session on it.
 * Cards known not to be ours are skipped unasked. Called with the mutex
 * held. */
static gboolean
ensure_connected (ScYubikeySigner  *self,
                  GError          **error)
{
  g_autofree char *readers = NULL;
  g_autofree SCARD_READERSTATE *states = NULL;
  GHashTableIter iter;
  const char *known;
  gsize n = 0;
  gboolean busy = FALSE;
  LONG rc;

  if (self->connected)
    return TRUE;

  for (;;)
    {
      gboolean fresh = !self->context_valid;

      if (fresh)
        {
          rc = SCardEstablishContext (SCARD_SCOPE_SYSTEM, NULL, NULL, &self->context);
          if (rc != SCARD_S_SUCCESS)
            {
              g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_TOKEN_LOST,
                           _("The DAK YubiKey %u cannot be reached: the smart-card service is not running (%s). "
                             "Start pcscd, then plug in the token"),
                           self->serial, pcsc_stringify_error (rc));
              return FALSE;
            }
          self->context_valid = TRUE;
        }
      rc = list_readers (self, &readers, &states, &n);
      if (rc == SCARD_S_SUCCESS || rc == SCARD_E_NO_READERS_AVAILABLE || fresh)
        break;
      /* A context from before a pcscd restart stops working: one fresh
       * context is tried before anything is said. */
      drop_context (self);
    }

  if (rc != SCARD_S_SUCCESS)
    {
      gboolean none = rc == SCARD_E_NO_READERS_AVAILABLE;

      if (none)
        {
          drop_session (self);
          g_hash_table_remove_all (self->strangers);
        }
      else
        drop_context (self);
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_TOKEN_LOST,
                   none ? _("The DAK YubiKey %u is not plugged in: no smart-card reader is present. Plug in "
                            "the token")
                        : _("The DAK YubiKey %u cannot be reached: %s. Check that pcscd is running"),
                   self->serial, pcsc_stringify_error (rc));
      return FALSE;
    }

  /* A reader that went away takes what was known of its card with it. */
  g_hash_table_iter_init (&iter, self->strangers);
  while (g_hash_table_iter_next (&iter, (gpointer *) &known, NULL))
    {
      gboolean listed = FALSE;

      for (gsize i = 0; i < n && !listed; i++)
        listed = strcmp (states[i].szReader, known) == 0;
      if (!listed)
        g_hash_table_iter_remove (&iter);
    }

  for (gsize i = 0; i < n; i++)
    {
      const char *name = states[i].szReader;
      ykpiv_state *state = NULL;
      SCARDHANDLE card = 0;
      Stranger stranger = { 0 };
      char version[32] = "";
      Probe probe;

      if (!(states[i].dwEventState & SCARD_STATE_PRESENT))
        {
          g_hash_table_remove (self->strangers, name);
          continue;
        }
      if (known_stranger (self, &states[i], &busy))
        continue;
      probe = probe_reader (self, name, &state, &card, &stranger, &busy);
      if (probe == PROBE_STRANGER)
        g_hash_table_replace (self->strangers, g_strdup (name), g_memdup2 (&stranger, sizeof stranger));
      if (probe != PROBE_OURS)
        continue;

      if (!check_token_dak (self, state, error))
        {
          ykpiv_done_with_external_card (state);
          SCardDisconnect (card, SCARD_LEAVE_CARD);
          return FALSE;
        }
      self->state = state;
      self->card = card;
      self->connected = TRUE;
      self->reader = g_strdup (name);
      if (ykpiv_get_version (state, version, sizeof version) == YKPIV_OK)
        {
          g_free (self->firmware);
          self->firmware = g_strdup (version);
        }
      return TRUE;
    }

  if (busy)
    g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_TOKEN_LOST,
                 _("The DAK YubiKey %u may be in use by another program that holds a smart card exclusively "
                   "(gpg’s scdaemon, for one): close it, or plug in the token"),
                 self->serial);
  else
    g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_TOKEN_LOST,
                 _("The DAK YubiKey %u is not plugged in: no reader holds a YubiKey with that serial "
                   "number. Plug in the product’s DAK token"),
                 self->serial);
  return FALSE;
}

/* One PC/SC transaction on our handle: nothing of another program reaches
 * the card between our commands (libykpiv's own transactions nest inside).
 * A card reset by someone else is reconnected and its PIV application
 * selected again; a card gone drops the session. */
static gboolean
begin_transaction (ScYubikeySigner  *self,
                   GError          **error)
{
  LONG rc = SCardBeginTransaction (self->card);

  if (rc == SCARD_W_RESET_CARD)
    {
      DWORD protocol = 0;
      int tries = -1;

      rc = SCardReconnect (self->card, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, SCARD_LEAVE_CARD, &protocol);
      if (rc == SCARD_S_SUCCESS)
        rc = SCardBeginTransaction (self->card);
      /* Selects the PIV application again. */
      if (rc == SCARD_S_SUCCESS && ykpiv_get_pin_retries (self->state, &tries) == YKPIV_PCSC_ERROR)
        rc = SCARD_E_NO_SMARTCARD;
    }
  if (rc != SCARD_S_SUCCESS)
    {
      set_lost (self, pcsc_stringify_error (rc), error);
      return FALSE;
    }
  return TRUE;
}

static void
end_transaction (ScYubikeySigner *self)
{
  if (self->card != 0)
    SCardEndTransaction (self->card, SCARD_LEAVE_CARD);
}

/* The tries left, without sending a PIN (an empty VERIFY after selecting
 * the application; it leaves the card unverified). Inside a transaction. */
static gboolean
query_tries (ScYubikeySigner  *self,
             GError          **error)
{
  int tries = -1;
  ykpiv_rc rc = ykpiv_get_pin_retries (self->state, &tries);

  if (rc == YKPIV_PCSC_ERROR)
    {
      end_transaction (self);
      set_lost (self, ykpiv_strerror (rc), error);
      return FALSE;
    }
  if (rc != YKPIV_OK || tries < 0)
    {
      end_transaction (self);
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_FAILED,
                   _("The YubiKey %u did not say how many PIN tries are left: %s"), self->serial,
                   ykpiv_strerror (rc));
      return FALSE;
    }
  self->pin_retries = tries;
  return TRUE;
}

/* The tries left in one APDU: an empty VERIFY (SP 800-73-4, 3.2.1) answers
 * 63Cx, or 6983 when blocked. Only a card that is still verified (9000:
 * by someone else, who did not clear it) needs the longer query_tries().
 * Inside a transaction, with the PIV application selected. */
static gboolean
query_tries_fast (ScYubikeySigner  *self,
                  GError          **error)
{
  static const guint8 templ[4] = { 0x00, 0x20, 0x00, 0x80 };
  guint8 out[16];
  unsigned long out_len = sizeof out;
  int sw = 0;
  ykpiv_rc rc = ykpiv_transfer_data (self->state, templ, NULL, 0, out, &out_len, &sw);

  if (rc == YKPIV_PCSC_ERROR)
    {
      end_transaction (self);
      set_lost (self, ykpiv_strerror (rc), error);
      return FALSE;
    }
  if (rc == YKPIV_OK && (sw & 0xfff0) == 0x63c0)
    {
      self->pin_retries = sw & 0x0f;
      return TRUE;
    }
  if (rc == YKPIV_OK && sw == 0x6983)
    {
      self->pin_retries = 0;
      return TRUE;
    }
  return query_tries (self, error);
}

/* Leaves the card un-verified: VERIFY with P1=FF resets the PIN's
 * security status (SP 800-73-4, 3.2.1) in one APDU; a card that does not
 * take it gets the longer query_tries(), which re-selects the application.
 * Inside a transaction. */
static gboolean
unverify (ScYubikeySigner  *self,
          GError          **error)
{
  static const guint8 templ[4] = { 0x00, 0x20, 0xff, 0x80 };
  guint8 out[16];
  unsigned long out_len = sizeof out;
  int sw = 0;
  ykpiv_rc rc = ykpiv_transfer_data (self->state, templ, NULL, 0, out, &out_len, &sw);

  if (rc == YKPIV_PCSC_ERROR)
    {
      end_transaction (self);
      set_lost (self, ykpiv_strerror (rc), error);
      return FALSE;
    }
  if (rc == YKPIV_OK && sw == 0x9000)
    return TRUE;
  return query_tries (self, error);
}

/* Refuses to send any PIN that could block the DAK. */
static gboolean
check_tries_left (ScYubikeySigner  *self,
                  GError          **error)
{
  if (self->pin_retries <= 0)
    {
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_PIN_BLOCKED,
                   _("The DAK PIN of YubiKey %u is blocked: no tries are left. The token cannot sign "
                     "until its PIN is unblocked; contact whoever holds its PUK (for a production DAK, "
                     "Amazon)"), self->serial);
      return FALSE;
    }
  if (self->pin_retries == 1)
    {
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_PIN_LAST_RETRY,
                   _("Only one DAK PIN try is left on YubiKey %u, and a wrong PIN now would block the "
                     "DAK and stop the line. Setup Console will not spend it: have the token’s owner "
                     "check the PIN with yubico-piv-tool (-a verify-pin) first"), self->serial);
      return FALSE;
    }
  return TRUE;
}

/* VERIFY for the application PIN, sent as a raw APDU so that libykpiv
 * never keeps a copy of the PIN (it would send that copy again by itself
 * after someone else resets the card, and a PIN changed meanwhile would
 * cost tries nobody asked for). Inside a transaction. Returns the status
 * word, or -1 when the card did not answer. */
static int
send_verify (ScYubikeySigner *self,
             ScSecret        *pin)
{
  static const guint8 templ[4] = { 0x00, 0x20, 0x00, 0x80 };
  guint8 data[PIN_MAX];
  guint8 out[16];
  unsigned long out_len = sizeof out;
  gsize len = 0;
  const guint8 *text = sc_secret_get_data (pin, &len);
  int sw = 0;
  ykpiv_rc rc;

  g_assert (len >= PIN_MIN && len <= PIN_MAX);
  memset (data, 0xff, sizeof data);
  memcpy (data, text, len);
  rc = ykpiv_transfer_data (self->state, templ, data, sizeof data, out, &out_len, &sw);
  sc_memwipe (data, sizeof data);
  return rc == YKPIV_OK ? sw : -1;
}

/* What a status word from VERIFY means for the operator; the PIN is
 * dropped by the caller. */
static void
set_verify_error (ScYubikeySigner  *self,
                  int               sw,
                  gboolean          held,
                  GError          **error)
{
  if ((sw & 0xfff0) == 0x63c0)
    self->pin_retries = sw & 0x0f;
  else if (sw == 0x6983)
    self->pin_retries = 0;

  if (sw == 0x6983 || sw == 0x63c0)
    g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_PIN_BLOCKED,
                 _("Wrong DAK PIN, and that was the last try: the PIN of YubiKey %u is now blocked"),
                 self->serial);
  else if ((sw & 0xfff0) == 0x63c0 && held)
    g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_PIN_WRONG,
                 g_dngettext (GETTEXT_PACKAGE,
                              "The YubiKey %u refused the DAK PIN it accepted before (%d try is left): the "
                              "PIN is dropped and nothing was signed. Check who changed it before entering "
                              "it again",
                              "The YubiKey %u refused the DAK PIN it accepted before (%d tries are left): the "
                              "PIN is dropped and nothing was signed. Check who changed it before entering "
                              "it again", self->pin_retries),
                 self->serial, self->pin_retries);
  else if ((sw & 0xfff0) == 0x63c0)
    g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_PIN_WRONG,
                 g_dngettext (GETTEXT_PACKAGE,
                              "Wrong DAK PIN: %d try is left on YubiKey %u",
                              "Wrong DAK PIN: %d tries are left on YubiKey %u", self->pin_retries),
                 self->pin_retries, self->serial);
  else
    g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_FAILED,
                 _("The YubiKey %u could not check the PIN (status %04x)"), self->serial, (guint) sw);
}

static STACK_OF (X509) *
get_chain (ScSigner *signer)
{
  return SC_YUBIKEY_SIGNER (signer)->chain;
}

static GBytes *
sign_digest (ScSigner      *signer,
             const guint8  *digest,
             gsize          digest_len,
             GCancellable  *cancellable,
             GError       **error)
{
  ScYubikeySigner *self = SC_YUBIKEY_SIGNER (signer);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->mutex);
  guint8 sig[128];
  size_t sig_len = sizeof sig;
  ykpiv_rc rc;
  int sw;

  if (self->pin == NULL)
    {
      /* Not there at all says so first; there but locked asks for the PIN. */
      if (!ensure_connected (self, error))
        return NULL;
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_LOCKED,
                   _("The DAK is locked: enter the DAK PIN of YubiKey %u to sign"), self->serial);
      return NULL;
    }
  /* A held PIN means a live session: losing the token drops both. */
  g_assert (self->connected);

  /* Tries left, VERIFY and the signature in one transaction: slot 9c's
   * "PIN always" policy needs VERIFY immediately before the signature, and
   * no other program's command may come between them. The tries are asked
   * first, so a PIN changed by someone else is never sent with one try
   * left. */
  if (!begin_transaction (self, error) || !query_tries_fast (self, error))
    return NULL;
  if (!check_tries_left (self, error))
    {
      end_transaction (self);
      g_clear_pointer (&self->pin, sc_secret_unref);
      return NULL;
    }
  sw = send_verify (self, self->pin);
  if (sw != 0x9000)
    {
      end_transaction (self);
      if (sw < 0)
        {
          set_lost (self, _("no answer to VERIFY"), error);
          return NULL;
        }
      set_verify_error (self, sw, TRUE, error);
      g_clear_pointer (&self->pin, sc_secret_unref);
      return NULL;
    }
  rc = ykpiv_sign_data (self->state, digest, digest_len, sig, &sig_len, YKPIV_ALGO_ECCP256, self->slot);
  /* The card must not stay PIN-verified for anyone who comes next. */
  if (rc != YKPIV_PCSC_ERROR && !unverify (self, error))
    return NULL;
  end_transaction (self);
  if (rc != YKPIV_OK)
    {
      if (rc == YKPIV_PCSC_ERROR)
        set_lost (self, ykpiv_strerror (rc), error);
      else
        g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_FAILED,
                     _("The YubiKey %u did not sign with slot %02x: %s"), self->serial, self->slot,
                     ykpiv_strerror (rc));
      return NULL;
    }
  return g_bytes_new (sig, sig_len);
}

static gboolean
unlock (ScSigner      *signer,
        ScSecret      *pin,
        GCancellable  *cancellable,
        GError       **error)
{
  ScYubikeySigner *self = SC_YUBIKEY_SIGNER (signer);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->mutex);
  gsize len = 0;
  const guint8 *data = sc_secret_get_data (pin, &len);
  int sw;

  /* A malformed PIN is refused here, where it costs no try. */
  if (len < PIN_MIN || len > PIN_MAX)
    {
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_PIN_WRONG,
                   _("A YubiKey PIN is 6 to 8 characters; this one is not, so it was not sent to the "
                     "token and no try was used"));
      return FALSE;
    }
  for (gsize i = 0; i < len; i++)
    if (data[i] < 0x20 || data[i] > 0x7e)
      {
        g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_PIN_WRONG,
                     _("A YubiKey PIN is letters, digits and symbols only; this one is not, so it was not "
                       "sent to the token and no try was used"));
        return FALSE;
      }

  if (!ensure_connected (self, error))
    return FALSE;

  g_clear_pointer (&self->pin, sc_secret_unref);
  if (!begin_transaction (self, error) || !query_tries (self, error))
    return FALSE;
  if (!check_tries_left (self, error))
    {
      end_transaction (self);
      return FALSE;
    }
  sw = send_verify (self, pin);
  if (sw == 0x9000)
    {
      /* A right PIN resets the counter; ask rather than assume the
       * maximum. Asking un-verifies the card, which costs nothing: the PIN
       * is verified again before every signature. */
      query_tries (self, NULL);
      end_transaction (self);
      self->pin = sc_secret_ref (pin);
      return TRUE;
    }
  end_transaction (self);
  if (sw < 0)
    set_lost (self, _("no answer to VERIFY"), error);
  else
    set_verify_error (self, sw, FALSE, error);
  return FALSE;
}

static void
lock (ScSigner *signer)
{
  ScYubikeySigner *self = SC_YUBIKEY_SIGNER (signer);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->mutex);

  g_clear_pointer (&self->pin, sc_secret_unref);
  /* Leaves the card un-verified too. */
  if (self->connected && begin_transaction (self, NULL))
    {
      if (query_tries (self, NULL))
        end_transaction (self);
    }
}

static ScSignerStatus *
get_status (ScSigner *signer)
{
  ScYubikeySigner *self = SC_YUBIKEY_SIGNER (signer);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->mutex);
  ScSignerStatus *status = g_new0 (ScSignerStatus, 1);
  g_autoptr(GError) local_error = NULL;

  status->needs_pin = TRUE;
  status->pin_retries = -1;
  status->token_serial = g_strdup_printf ("%u", self->serial);
  status->slot = g_strdup_printf ("%02x", self->slot);

  /* Asking for the tries left also proves the token still answers. */
  if (ensure_connected (self, &local_error) && begin_transaction (self, &local_error))
    {
      if (query_tries (self, &local_error))
        end_transaction (self);
    }
  if (local_error != NULL)
    g_debug ("%s", local_error->message);

  status->present = self->connected;
  status->unlocked = self->pin != NULL;
  status->pin_retries = self->connected ? self->pin_retries : -1;
  status->reader = g_strdup (self->reader);
  status->firmware = g_strdup (self->firmware);
  return status;
}

static char *
describe (ScSigner *signer)
{
  ScYubikeySigner *self = SC_YUBIKEY_SIGNER (signer);

  return g_strdup_printf (_("YubiKey %u, PIV slot %02x"), self->serial, self->slot);
}

static void
signer_iface_init (ScSignerInterface *iface)
{
  iface->get_chain = get_chain;
  iface->sign_digest = sign_digest;
  iface->describe = describe;
  iface->get_status = get_status;
  iface->unlock = unlock;
  iface->lock = lock;
}

gboolean
sc_yubikey_uri_parse (const char  *uri,
                      guint32     *serial,
                      guint8      *slot,
                      GError     **error)
{
  g_autofree char *digits = NULL;
  const char *rest, *query;
  guint64 value = 0, slot_value = SC_YUBIKEY_DEFAULT_SLOT;

  g_return_val_if_fail (uri != NULL, FALSE);

  if (!g_str_has_prefix (uri, "yubikey://"))
    {
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_NOT_SUPPORTED,
                   _("“%s” is not a YubiKey URI (yubikey://SERIAL?slot=9c)"), uri);
      return FALSE;
    }
  rest = uri + strlen ("yubikey://");
  query = strchr (rest, '?');
  digits = g_strndup (rest, query ? (gsize) (query - rest) : strlen (rest));
  if (!g_ascii_string_to_unsigned (digits, 10, 1, G_MAXUINT32, &value, NULL))
    {
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_NOT_SUPPORTED,
                   _("A YubiKey URI needs the token’s serial number: yubikey://SERIAL?slot=9c"));
      return FALSE;
    }
  if (query != NULL &&
      !(g_str_has_prefix (query, "?slot=") && strlen (query) == 8 &&
        g_ascii_string_to_unsigned (query + 6, 16, 0, 0xff, &slot_value, NULL)))
    {
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_NOT_SUPPORTED,
                   _("The YubiKey slot must be given as ?slot=9c (two hex digits)"));
      return FALSE;
    }
  /* The PIV key slots: 9a, 9c, 9d, 9e and the retired 82–95. */
  if (!(slot_value == 0x9a || slot_value == 0x9c || slot_value == 0x9d || slot_value == 0x9e ||
        (slot_value >= 0x82 && slot_value <= 0x95)))
    {
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_NOT_SUPPORTED,
                   _("PIV slot %02x holds no key; the DAK is in slot 9c"), (guint) slot_value);
      return FALSE;
    }
  if (serial != NULL)
    *serial = (guint32) value;
  if (slot != NULL)
    *slot = (guint8) slot_value;
  return TRUE;
}

/**
 * sc_yubikey_signer_new:
 *
 * Returns: (transfer full): the signer, or %NULL if the chain file is
 *   unusable or the token present does not hold this DAK.
 */
ScSigner *
sc_yubikey_signer_new (guint32      serial,
                       guint8       slot,
                       const char  *chain_path,
                       GError     **error)
{
  g_autoptr(ScYubikeySigner) self = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (chain_path != NULL, NULL);
  _sc_blocking_check (G_STRFUNC);

  self = g_object_new (SC_TYPE_YUBIKEY_SIGNER, NULL);
  self->serial = serial;
  self->slot = slot;
  self->chain = sc_certs_load_file (chain_path, &local_error);
  if (self->chain == NULL)
    {
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_CHAIN,
                   _("Cannot use the DAK chain file: %s"), local_error->message);
      return NULL;
    }

  /* Absent is fine (the status says so and signing waits for it); present
   * but holding another DAK is not. */
  g_mutex_lock (&self->mutex);
  if (!ensure_connected (self, &local_error) &&
      !g_error_matches (local_error, SC_DAK_ERROR, SC_DAK_ERROR_TOKEN_LOST))
    {
      g_mutex_unlock (&self->mutex);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  g_mutex_unlock (&self->mutex);

  return SC_SIGNER (g_steal_pointer (&self));
}
