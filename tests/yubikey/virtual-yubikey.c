/* virtual-yubikey.c: a YubiKey 5 PIV card behind vsmartcard's vpcd reader
 *
 * usage:
 *   virtual-yubikey --port N [--host 127.0.0.1] --serial NNNNNNNN
 *                   --version 5.4.3 --key KEY.pem --cert CERT.pem [--slot 9c]
 *                   [--pin-file FILE] [--retries 3] [--pid-file FILE]
 *                   [--apdu-log FILE] [--verbose]
 *
 * The card is a TCP client of vpcd, the reader driver pcscd loads from a
 * reader.conf entry "DEVICENAME /dev/null:0xPORT": vpcd listens on PORT for
 * its first slot and on PORT+1 for its second. Connecting inserts the card;
 * closing the socket pulls it out. Every message either way is a 2-byte
 * big-endian length and a payload. From vpcd, a 1-byte payload is a control
 * message (0x00 power off, 0x01 power on, 0x02 reset: no answer; 0x04 get
 * ATR: answered with the ATR); anything longer is a command APDU, answered
 * with a response APDU.
 *
 * The card answers what libykpiv 2.2 and yubico-piv-tool 2.2 send (see
 * NIST SP 800-73-4 and Yubico's PIV extensions): SELECT of the PIV, the
 * management and the OTP application; VERIFY (retries in 63Cx, 6983 once
 * blocked, the empty form that reports the retries, P1=FF that forgets the
 * PIN); CHANGE REFERENCE DATA and RESET RETRY COUNTER for the PIN and PUK;
 * GET DATA for the discovery object, the CHUID and the slot's certificate
 * object (6A82 for any other); GENERAL AUTHENTICATE with ECC P-256 (sign a
 * digest of up to 32 bytes, or ECDH) under the slot's PIN policy (9c: PIN
 * always, i.e. a VERIFY immediately before each use; 9e: never; others:
 * once); Yubico's GET VERSION, GET SERIAL and, from 5.3 on, GET METADATA;
 * command chaining (CLA 0x10) and response chaining (61xx, GET RESPONSE).
 * Commands that need the management key (PUT DATA, GENERATE, IMPORT, SET
 * MANAGEMENT KEY, SET PIN RETRIES) answer 6982: this card takes no
 * management key. Unknown instructions answer 6D00.
 *
 * The PIN comes from --pin-file (the first line, 6 to 8 characters), never
 * from the command line; without --pin-file it is the YubiKey default
 * 123456. The PUK is the default 12345678. Retry counters and PIN changes
 * live as long as the process, across removal and re-insertion.
 *
 * Signals: SIGUSR1 removes the card (closes the socket, keeps running),
 * SIGUSR2 inserts it again, SIGTERM and SIGINT exit. While the card is in,
 * it connects again by itself when vpcd is not (yet) listening or pcscd goes
 * away, polling with a short backoff, so it may start before pcscd.
 *
 * TCP_NODELAY is on and TCP_QUICKACK is set before every read: vpcd sends
 * power-on and the first APDU back to back without TCP_NODELAY, and a
 * delayed ACK here would hold the APDU for ~40 ms. VYK_NO_QUICKACK=1 in the
 * environment leaves TCP_QUICKACK off, to measure that.
 *
 * --apdu-log FILE appends one line per command APDU the card answers, for
 * tests that count what a program sends to a card: its four header bytes,
 * for a SELECT the application's name (piv, mgmt, otp or other), and the
 * status word, e.g. "00 A4 04 00 select-piv 9000" or "00 20 00 80 63C3".
 * One write(2) per APDU on a file opened once (O_APPEND), nothing flushed
 * or synced: the card answers no slower.
 *
 * This is a test double for CI, which has no YubiKey. It never logs a PIN,
 * a PUK or a private key; --verbose and --apdu-log log each APDU's header
 * and status word (and a SELECT's application), never its data.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>
#include <glib-unix.h>
#include <glib/gstdio.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#define PROG "virtual-yubikey"

#define EXIT_RUNTIME 1
#define EXIT_USAGE   2

/* Status words (ISO 7816-4, SP 800-73-4 table 6). */
#define SW_OK               0x9000
#define SW_WRONG_LENGTH     0x6700
#define SW_SECURITY_STATUS  0x6982
#define SW_AUTH_BLOCKED     0x6983
#define SW_CONDITIONS       0x6985
#define SW_WRONG_DATA       0x6A80
#define SW_NOT_FOUND        0x6A82
#define SW_WRONG_P1P2       0x6A86
#define SW_REF_NOT_FOUND    0x6A88
#define SW_INS_UNKNOWN      0x6D00
#define SW_CLA_UNKNOWN      0x6E00

/* Instructions. */
#define INS_VERIFY          0x20
#define INS_CHANGE_REF      0x24
#define INS_RESET_RETRY     0x2C
#define INS_GENERATE        0x47
#define INS_GENERAL_AUTH    0x87
#define INS_SELECT          0xA4
#define INS_GET_RESPONSE    0xC0
#define INS_GET_DATA        0xCB
#define INS_PUT_DATA        0xDB
#define INS_GET_METADATA    0xF7
#define INS_GET_SERIAL      0xF8
#define INS_ATTEST          0xF9
#define INS_SET_RETRIES     0xFA
#define INS_RESET           0xFB
#define INS_GET_VERSION     0xFD
#define INS_IMPORT_KEY      0xFE
#define INS_SET_MGMKEY      0xFF
#define INS_OTP_API_REQUEST 0x01

#define ALGO_3DES     0x03
#define ALGO_ECCP256  0x11

#define REF_PIN       0x80
#define REF_PUK       0x81
#define SLOT_MGMKEY   0x9B

#define POLICY_NEVER  1
#define POLICY_ONCE   2
#define POLICY_ALWAYS 3

#define PIN_BYTES     8      /* PINs and PUKs travel padded with 0xFF to 8 bytes */
#define CHAIN_MAX     8192   /* the most data command chaining may collect */

/* A YubiKey 5 over USB (T=1), as libykpiv recognises it. */
static const guint8 yk5_atr[] = {
  0x3B, 0xFD, 0x13, 0x00, 0x00, 0x81, 0x31, 0xFE, 0x15, 0x80, 0x73, 0xC0,
  0x21, 0xC0, 0x57, 0x59, 0x75, 0x62, 0x69, 0x4B, 0x65, 0x79, 0x40,
};

/* The PIV application's full AID; SELECT may name its first 5 bytes or more. */
static const guint8 piv_aid[] = {
  0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00,
};
static const guint8 mgmt_aid[] = { 0xA0, 0x00, 0x00, 0x05, 0x27, 0x47, 0x11, 0x17 };
static const guint8 otp_aid[] = { 0xA0, 0x00, 0x00, 0x05, 0x27, 0x20, 0x01, 0x01 };

/* A FASC-N of agency 9999, system 9999, credential 999999 (the all-nines
 * test value of TIG SCEPACS), for the CHUID. */
static const guint8 chuid_fascn[25] = {
  0xD4, 0xE7, 0x39, 0xDA, 0x73, 0x9C, 0xED, 0x39, 0xCE, 0x73, 0x9D, 0x83, 0x68,
  0x58, 0x21, 0x08, 0x42, 0x10, 0x84, 0x21, 0xC8, 0x42, 0x10, 0xC3, 0xEB,
};

typedef enum
{
  APP_NONE,
  APP_PIV,
  APP_MGMT,
  APP_OTP,
} App;

typedef struct
{
  guint8 value[PIN_BYTES];  /* padded with 0xFF */
  guint  max_retries;
  guint  retries;
} Reference;

typedef struct
{
  guint   tag;
  GBytes *bytes;  /* what GET DATA returns: the object's own tag, length, value */
} DataObject;

typedef struct
{
  /* kept across removal */
  guint32    serial;
  guint8     version[3];
  guint8     slot;
  EVP_PKEY  *key;            /* NULL after a reset */
  guint8     point[65];      /* the uncompressed public point */
  Reference  pin;
  Reference  puk;
  GArray    *objects;        /* of DataObject */

  /* lost at power off, reset and removal */
  App         app;
  gboolean    pin_verified;
  gboolean    pin_just_verified;  /* the last command was a good VERIFY */
  GByteArray *chain;              /* command chaining */
  guint8      chain_ins, chain_p1, chain_p2;
  GBytes     *pending;            /* response chaining */
  gsize       pending_offset;
} Card;

typedef struct
{
  guint8        cla, ins, p1, p2;
  const guint8 *data;
  gsize         lc;
  gsize         le;         /* 0: absent */
  gboolean      extended;
} Apdu;

typedef struct
{
  Card               card;
  struct sockaddr_in addr;
  char              *addr_text;
  int                fd;
  guint              fd_watch;
  guint              retry_source;
  guint              backoff_ms;
  gboolean           want_inserted;
  gboolean           told_waiting;
  gboolean           quickack;
  gboolean           verbose;
  int                apdu_log;      /* --apdu-log, or -1 */
  GMainLoop         *loop;
} Vyk;

static void say (const char *format, ...) G_GNUC_PRINTF (1, 2);

static void
say (const char *format, ...)
{
  va_list args;

  va_start (args, format);
  fputs (PROG ": ", stderr);
  vfprintf (stderr, format, args);
  fputc ('\n', stderr);
  va_end (args);
}

/* --- TLV ------------------------------------------------------------------ */

static void
put_tag_len (GByteArray *out,
             guint       tag,
             gsize       len)
{
  guint8 b[6];
  gsize  n = 0;

  if (tag > 0xFFFF)
    b[n++] = (tag >> 16) & 0xFF;
  if (tag > 0xFF)
    b[n++] = (tag >> 8) & 0xFF;
  b[n++] = tag & 0xFF;
  if (len < 0x80)
    b[n++] = len;
  else if (len < 0x100)
    {
      b[n++] = 0x81;
      b[n++] = len;
    }
  else
    {
      g_assert (len <= 0xFFFF);
      b[n++] = 0x82;
      b[n++] = len >> 8;
      b[n++] = len & 0xFF;
    }
  g_byte_array_append (out, b, n);
}

static void
put_tlv (GByteArray   *out,
         guint         tag,
         const guint8 *value,
         gsize         len)
{
  put_tag_len (out, tag, len);
  if (len > 0)
    g_byte_array_append (out, value, len);
}

/* Reads one BER-TLV with a 1-byte tag at *p (before end): its tag, value and
 * length, and moves *p past it. FALSE when it does not fit. */
static gboolean
get_tlv (const guint8 **p,
         const guint8  *end,
         guint8        *tag,
         const guint8 **value,
         gsize         *len)
{
  const guint8 *q = *p;
  gsize         l;

  if (end - q < 2)
    return FALSE;
  *tag = *q++;
  if (*q < 0x80)
    l = *q++;
  else if (*q == 0x81 && end - q >= 2)
    {
      l = q[1];
      q += 2;
    }
  else if (*q == 0x82 && end - q >= 3)
    {
      l = ((gsize) q[1] << 8) | q[2];
      q += 3;
    }
  else
    return FALSE;
  if ((gsize) (end - q) < l)
    return FALSE;
  *value = q;
  *len = l;
  *p = q + l;
  return TRUE;
}

/* --- the card ------------------------------------------------------------- */

static guint
slot_object_tag (guint8 slot)
{
  switch (slot)
    {
    case 0x9A: return 0x5FC105;
    case 0x9C: return 0x5FC10A;
    case 0x9D: return 0x5FC10B;
    case 0x9E: return 0x5FC101;
    default:
      if (slot >= 0x82 && slot <= 0x95)
        return 0x5FC10D + (slot - 0x82);
      return 0;
    }
}

static gboolean
is_key_slot (guint8 slot)
{
  return slot_object_tag (slot) != 0;
}

static guint8
slot_pin_policy (guint8 slot)
{
  switch (slot)
    {
    case 0x9C: return POLICY_ALWAYS;
    case 0x9E: return POLICY_NEVER;
    default:   return POLICY_ONCE;
    }
}

static gboolean
version_at_least (const Card *card,
                  guint       major,
                  guint       minor)
{
  return card->version[0] > major || (card->version[0] == major && card->version[1] >= minor);
}

static void
reference_set (Reference  *ref,
               const char *value,
               gsize       len)
{
  g_assert (len <= PIN_BYTES);
  memset (ref->value, 0xFF, PIN_BYTES);
  memcpy (ref->value, value, len);
}

static gboolean
reference_is (const Reference *ref,
              const char      *value)
{
  guint8 padded[PIN_BYTES];
  gsize  len = strlen (value);

  memset (padded, 0xFF, PIN_BYTES);
  memcpy (padded, value, MIN (len, PIN_BYTES));
  return CRYPTO_memcmp (padded, ref->value, PIN_BYTES) == 0;
}

/* A new PIN or PUK as it arrives: 6 to 8 bytes, then 0xFF padding. */
static gboolean
padded_value_ok (const guint8 *v)
{
  gsize len = 0;

  while (len < PIN_BYTES && v[len] != 0xFF)
    len++;
  for (gsize i = len; i < PIN_BYTES; i++)
    if (v[i] != 0xFF)
      return FALSE;
  return len >= 6;
}

/* Checks a presented PIN or PUK against ref, counting a failure. */
static guint16
reference_check (Reference    *ref,
                 const guint8 *presented)
{
  if (ref->retries == 0)
    return SW_AUTH_BLOCKED;
  if (CRYPTO_memcmp (presented, ref->value, PIN_BYTES) != 0)
    {
      ref->retries--;
      return 0x63C0 | ref->retries;
    }
  ref->retries = ref->max_retries;
  return SW_OK;
}

static void
card_add_object (Card       *card,
                 guint       tag,
                 GByteArray *bytes)
{
  DataObject object = { tag, g_byte_array_free_to_bytes (bytes) };

  for (guint i = 0; i < card->objects->len; i++)
    {
      DataObject *o = &g_array_index (card->objects, DataObject, i);
      if (o->tag == tag)
        {
          g_bytes_unref (o->bytes);
          *o = object;
          return;
        }
    }
  g_array_append_val (card->objects, object);
}

static void
card_remove_object (Card *card,
                    guint tag)
{
  for (guint i = 0; i < card->objects->len; i++)
    if (g_array_index (card->objects, DataObject, i).tag == tag)
      {
        g_bytes_unref (g_array_index (card->objects, DataObject, i).bytes);
        g_array_remove_index (card->objects, i);
        return;
      }
}

static GBytes *
card_find_object (Card *card,
                  guint tag)
{
  for (guint i = 0; i < card->objects->len; i++)
    if (g_array_index (card->objects, DataObject, i).tag == tag)
      return g_array_index (card->objects, DataObject, i).bytes;
  return NULL;
}

/* The discovery object and a CHUID whose GUID follows from the serial. */
static void
card_add_standard_objects (Card *card)
{
  GByteArray *b, *inner;
  guint8      guid[32];
  char        seed[64];
  unsigned    guid_len = 0;

  inner = g_byte_array_new ();
  put_tlv (inner, 0x4F, piv_aid, sizeof piv_aid);
  put_tlv (inner, 0x5F2F, (const guint8 *) "\x40\x00", 2);  /* PIN usage policy: PIV PIN only */
  b = g_byte_array_new ();
  put_tlv (b, 0x7E, inner->data, inner->len);
  card_add_object (card, 0x7E, b);
  g_byte_array_free (inner, TRUE);

  g_snprintf (seed, sizeof seed, "virtual-yubikey CHUID %u", card->serial);
  EVP_Digest (seed, strlen (seed), guid, &guid_len, EVP_sha256 (), NULL);
  inner = g_byte_array_new ();
  put_tlv (inner, 0x30, chuid_fascn, sizeof chuid_fascn);
  put_tlv (inner, 0x34, guid, 16);
  put_tlv (inner, 0x35, (const guint8 *) "20991231", 8);
  put_tlv (inner, 0x3E, NULL, 0);
  put_tlv (inner, 0xFE, NULL, 0);
  b = g_byte_array_new ();
  put_tlv (b, 0x53, inner->data, inner->len);
  card_add_object (card, 0x5FC102, b);
  g_byte_array_free (inner, TRUE);
}

/* The certificate object: 53 { 70 cert, 71 certinfo (uncompressed), FE LRC }. */
static void
card_add_certificate (Card         *card,
                      const guint8 *der,
                      gsize         len)
{
  GByteArray *b = g_byte_array_new ();
  GByteArray *inner = g_byte_array_new ();

  put_tlv (inner, 0x70, der, len);
  put_tlv (inner, 0x71, (const guint8 *) "\x00", 1);
  put_tlv (inner, 0xFE, NULL, 0);
  put_tlv (b, 0x53, inner->data, inner->len);
  g_byte_array_free (inner, TRUE);
  card_add_object (card, slot_object_tag (card->slot), b);
}

/* What power off, reset, removal and selecting another application forget. */
static void
card_forget_session (Card *card)
{
  card->pin_verified = FALSE;
  card->pin_just_verified = FALSE;
  if (card->chain->len > 0)
    OPENSSL_cleanse (card->chain->data, card->chain->len);
  g_byte_array_set_size (card->chain, 0);
  g_clear_pointer (&card->pending, g_bytes_unref);
  card->pending_offset = 0;
}

static void
card_power_cycle (Card *card)
{
  card_forget_session (card);
  card->app = APP_NONE;
}

static guint16
do_select (Card        *card,
           const Apdu  *apdu,
           GByteArray  *out)
{
  if (apdu->p1 != 0x04)
    return SW_WRONG_P1P2;

  if (apdu->lc >= 5 && apdu->lc <= sizeof piv_aid && memcmp (apdu->data, piv_aid, apdu->lc) == 0)
    {
      GByteArray *inner = g_byte_array_new ();
      GByteArray *alloc = g_byte_array_new ();

      /* SP 800-73-4: a SELECT of the PIV application while it is selected
       * keeps the security status. */
      if (card->app != APP_PIV)
        card_forget_session (card);
      card->app = APP_PIV;

      /* the application property template */
      put_tlv (inner, 0x4F, piv_aid + 5, sizeof piv_aid - 5);
      put_tlv (alloc, 0x4F, piv_aid, 5);
      put_tlv (inner, 0x79, alloc->data, alloc->len);
      put_tlv (out, 0x61, inner->data, inner->len);
      g_byte_array_free (inner, TRUE);
      g_byte_array_free (alloc, TRUE);
      return SW_OK;
    }
  if (apdu->lc == sizeof mgmt_aid && memcmp (apdu->data, mgmt_aid, apdu->lc) == 0)
    {
      g_autofree char *text = g_strdup_printf ("%u.%u.%u", card->version[0], card->version[1], card->version[2]);

      card_forget_session (card);
      card->app = APP_MGMT;
      g_byte_array_append (out, (const guint8 *) text, strlen (text));
      return SW_OK;
    }
  if (apdu->lc == sizeof otp_aid && memcmp (apdu->data, otp_aid, apdu->lc) == 0)
    {
      /* version, programming sequence, touch level */
      const guint8 status[6] = { card->version[0], card->version[1], card->version[2], 0, 0, 0 };

      card_forget_session (card);
      card->app = APP_OTP;
      g_byte_array_append (out, status, sizeof status);
      return SW_OK;
    }
  return SW_NOT_FOUND;
}

static guint16
do_verify (Card       *card,
           const Apdu *apdu)
{
  guint16 sw;

  if (apdu->p1 == 0xFF)
    {
      /* SP 800-73-4: reset the PIN's security status */
      if (apdu->p2 != REF_PIN)
        return SW_REF_NOT_FOUND;
      if (apdu->lc != 0)
        return SW_WRONG_DATA;
      card->pin_verified = FALSE;
      return SW_OK;
    }
  if (apdu->p1 != 0x00)
    return SW_WRONG_P1P2;
  if (apdu->p2 != REF_PIN)
    return SW_REF_NOT_FOUND;

  if (apdu->lc == 0)
    {
      /* the status query: verified, or the retries left */
      if (card->pin.retries == 0)
        return SW_AUTH_BLOCKED;
      if (card->pin_verified)
        return SW_OK;
      return 0x63C0 | card->pin.retries;
    }
  if (apdu->lc != PIN_BYTES)
    return SW_WRONG_DATA;

  sw = reference_check (&card->pin, apdu->data);
  card->pin_verified = (sw == SW_OK);
  card->pin_just_verified = (sw == SW_OK);
  return sw;
}

static guint16
do_change_reference (Card       *card,
                     const Apdu *apdu)
{
  Reference *ref, *checked;
  guint16    sw;

  if (apdu->p1 != 0x00)
    return SW_WRONG_P1P2;
  if (apdu->ins == INS_CHANGE_REF && apdu->p2 == REF_PIN)
    ref = checked = &card->pin;
  else if (apdu->ins == INS_CHANGE_REF && apdu->p2 == REF_PUK)
    ref = checked = &card->puk;
  else if (apdu->ins == INS_RESET_RETRY && apdu->p2 == REF_PIN)
    {
      ref = &card->pin;
      checked = &card->puk;
    }
  else
    return SW_REF_NOT_FOUND;

  if (apdu->lc != 2 * PIN_BYTES || !padded_value_ok (apdu->data + PIN_BYTES))
    return SW_WRONG_DATA;
  sw = reference_check (checked, apdu->data);
  if (sw != SW_OK)
    return sw;
  memcpy (ref->value, apdu->data + PIN_BYTES, PIN_BYTES);
  ref->retries = ref->max_retries;
  return SW_OK;
}

static guint16
do_get_data (Card       *card,
             const Apdu *apdu,
             GByteArray *out)
{
  const guint8 *p = apdu->data, *value;
  guint8        tag_byte;
  gsize         len;
  guint         tag = 0;
  GBytes       *object;

  if (apdu->p1 != 0x3F || apdu->p2 != 0xFF)
    return SW_WRONG_P1P2;
  if (!get_tlv (&p, apdu->data + apdu->lc, &tag_byte, &value, &len)
      || tag_byte != 0x5C || len < 1 || len > 3 || p != apdu->data + apdu->lc)
    return SW_WRONG_DATA;
  for (gsize i = 0; i < len; i++)
    tag = (tag << 8) | value[i];

  object = card_find_object (card, tag);
  if (object == NULL)
    return SW_NOT_FOUND;
  g_byte_array_append (out, g_bytes_get_data (object, NULL), g_bytes_get_size (object));
  return SW_OK;
}

static gboolean
ecdsa_sign (EVP_PKEY     *key,
            const guint8 *digest,
            gsize         digest_len,
            GByteArray   *signature)
{
  guint8        padded[32] = { 0 };
  guint8        sig[80];
  gsize         sig_len = sizeof sig;
  EVP_PKEY_CTX *ctx;
  gboolean      ok;

  /* a shorter digest is an integer: left-pad it */
  memcpy (padded + sizeof padded - digest_len, digest, digest_len);
  ctx = EVP_PKEY_CTX_new_from_pkey (NULL, key, NULL);
  ok = ctx != NULL
       && EVP_PKEY_sign_init (ctx) == 1
       && EVP_PKEY_sign (ctx, sig, &sig_len, padded, sizeof padded) == 1;
  EVP_PKEY_CTX_free (ctx);
  if (ok)
    g_byte_array_append (signature, sig, sig_len);
  return ok;
}

static gboolean
ecdh_derive (EVP_PKEY     *key,
             const guint8 *point,
             gsize         point_len,
             GByteArray   *secret)
{
  OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new ();
  OSSL_PARAM     *params = NULL;
  EVP_PKEY_CTX   *from = NULL, *ctx = NULL;
  EVP_PKEY       *peer = NULL;
  guint8          out[32];
  gsize           out_len = sizeof out;
  gboolean        ok;

  ok = bld != NULL
       && OSSL_PARAM_BLD_push_utf8_string (bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1
       && OSSL_PARAM_BLD_push_octet_string (bld, OSSL_PKEY_PARAM_PUB_KEY, point, point_len) == 1
       && (params = OSSL_PARAM_BLD_to_param (bld)) != NULL
       && (from = EVP_PKEY_CTX_new_from_name (NULL, "EC", NULL)) != NULL
       && EVP_PKEY_fromdata_init (from) == 1
       && EVP_PKEY_fromdata (from, &peer, EVP_PKEY_PUBLIC_KEY, params) == 1
       && (ctx = EVP_PKEY_CTX_new_from_pkey (NULL, key, NULL)) != NULL
       && EVP_PKEY_derive_init (ctx) == 1
       && EVP_PKEY_derive_set_peer (ctx, peer) == 1
       && EVP_PKEY_derive (ctx, out, &out_len) == 1;
  if (ok)
    g_byte_array_append (secret, out, out_len);
  OPENSSL_cleanse (out, sizeof out);
  EVP_PKEY_CTX_free (ctx);
  EVP_PKEY_free (peer);
  EVP_PKEY_CTX_free (from);
  OSSL_PARAM_free (params);
  OSSL_PARAM_BLD_free (bld);
  ERR_clear_error ();
  return ok;
}

/* GENERAL AUTHENTICATE: 7C { 82 00, 81 digest } signs, 7C { 82 00, 85 point }
 * is ECDH; the answer is 7C { 82 result }. */
static guint16
do_general_authenticate (Card       *card,
                         const Apdu *apdu,
                         gboolean    pin_just_verified,
                         GByteArray *out)
{
  const guint8 *p = apdu->data, *end = apdu->data + apdu->lc, *value;
  const guint8 *inner, *inner_end, *challenge = NULL, *point = NULL;
  gsize         len, challenge_len = 0, point_len = 0;
  gboolean      want_response = FALSE;
  guint8        tag;
  g_autoptr(GByteArray) result = g_byte_array_new ();
  g_autoptr(GByteArray) dyn = g_byte_array_new ();
  gboolean      ok;

  if (apdu->p2 == SLOT_MGMKEY)
    return SW_WRONG_P1P2;  /* this card takes no management key */
  if (!is_key_slot (apdu->p2))
    return SW_WRONG_P1P2;
  if (card->key == NULL || apdu->p2 != card->slot)
    return SW_REF_NOT_FOUND;
  if (apdu->p1 != ALGO_ECCP256)
    return SW_WRONG_DATA;

  if (!get_tlv (&p, end, &tag, &inner, &len) || tag != 0x7C || p != end)
    return SW_WRONG_DATA;
  inner_end = inner + len;
  while (inner < inner_end)
    {
      if (!get_tlv (&inner, inner_end, &tag, &value, &len))
        return SW_WRONG_DATA;
      switch (tag)
        {
        case 0x82:
          if (len != 0)
            return SW_WRONG_DATA;
          want_response = TRUE;
          break;
        case 0x81:
          challenge = value;
          challenge_len = len;
          break;
        case 0x85:
          point = value;
          point_len = len;
          break;
        default:
          return SW_WRONG_DATA;
        }
    }
  if (!want_response || (challenge == NULL) == (point == NULL))
    return SW_WRONG_DATA;
  if (challenge != NULL && (challenge_len == 0 || challenge_len > 32))
    return SW_WRONG_DATA;
  if (point != NULL && (point_len != 65 || point[0] != 0x04))
    return SW_WRONG_DATA;

  switch (slot_pin_policy (card->slot))
    {
    case POLICY_ALWAYS:
      if (!pin_just_verified)
        return SW_SECURITY_STATUS;
      break;
    case POLICY_ONCE:
      if (!card->pin_verified)
        return SW_SECURITY_STATUS;
      break;
    default:
      break;
    }

  if (challenge != NULL)
    ok = ecdsa_sign (card->key, challenge, challenge_len, result);
  else
    ok = ecdh_derive (card->key, point, point_len, result);
  if (!ok)
    return SW_WRONG_DATA;  /* e.g. a point not on the curve */

  put_tlv (dyn, 0x82, result->data, result->len);
  put_tlv (out, 0x7C, dyn->data, dyn->len);
  OPENSSL_cleanse (result->data, result->len);
  OPENSSL_cleanse (dyn->data, dyn->len);
  return SW_OK;
}

static guint16
do_get_metadata (Card       *card,
                 const Apdu *apdu,
                 GByteArray *out)
{
  guint8 b[2];

  if (!version_at_least (card, 5, 3))
    return SW_INS_UNKNOWN;
  if (apdu->p1 != 0x00)
    return SW_WRONG_P1P2;

  if (apdu->p2 == REF_PIN || apdu->p2 == REF_PUK)
    {
      const Reference *ref = apdu->p2 == REF_PIN ? &card->pin : &card->puk;
      gboolean         is_default = reference_is (ref, apdu->p2 == REF_PIN ? "123456" : "12345678");

      put_tlv (out, 0x01, (const guint8 *) "\xFF", 1);
      b[0] = is_default;
      put_tlv (out, 0x05, b, 1);
      b[0] = ref->max_retries;
      b[1] = ref->retries;
      put_tlv (out, 0x06, b, 2);
      return SW_OK;
    }
  if (apdu->p2 == SLOT_MGMKEY)
    {
      /* the default 3DES key, which this card does not take */
      put_tlv (out, 0x01, (const guint8 *) "\x03", 1);
      put_tlv (out, 0x02, (const guint8 *) "\x00\x01", 2);
      put_tlv (out, 0x05, (const guint8 *) "\x01", 1);
      return SW_OK;
    }
  if (is_key_slot (apdu->p2) && card->key != NULL && apdu->p2 == card->slot)
    {
      GByteArray *pub = g_byte_array_new ();

      put_tlv (out, 0x01, (const guint8 *) "\x11", 1);
      b[0] = slot_pin_policy (card->slot);
      b[1] = POLICY_NEVER;  /* touch */
      put_tlv (out, 0x02, b, 2);
      put_tlv (out, 0x03, (const guint8 *) "\x02", 1);  /* imported */
      put_tlv (pub, 0x86, card->point, sizeof card->point);
      put_tlv (out, 0x04, pub->data, pub->len);
      g_byte_array_free (pub, TRUE);
      return SW_OK;
    }
  return SW_REF_NOT_FOUND;
}

/* Yubico's RESET: only once both the PIN and the PUK are blocked. */
static guint16
do_reset (Card *card)
{
  if (card->pin.retries != 0 || card->puk.retries != 0)
    return SW_CONDITIONS;
  card_remove_object (card, slot_object_tag (card->slot));
  g_clear_pointer (&card->key, EVP_PKEY_free);
  reference_set (&card->pin, "123456", 6);
  reference_set (&card->puk, "12345678", 8);
  card->pin.max_retries = card->pin.retries = 3;
  card->puk.max_retries = card->puk.retries = 3;
  card_forget_session (card);
  return SW_OK;
}

static guint16
piv_dispatch (Card       *card,
              const Apdu *apdu,
              gboolean    pin_just_verified,
              GByteArray *out)
{
  switch (apdu->ins)
    {
    case INS_VERIFY:
      return do_verify (card, apdu);
    case INS_CHANGE_REF:
    case INS_RESET_RETRY:
      return do_change_reference (card, apdu);
    case INS_GET_DATA:
      return do_get_data (card, apdu, out);
    case INS_GENERAL_AUTH:
      return do_general_authenticate (card, apdu, pin_just_verified, out);
    case INS_GET_VERSION:
      g_byte_array_append (out, card->version, 3);
      return SW_OK;
    case INS_GET_SERIAL:
      {
        const guint8 s[4] = { card->serial >> 24, card->serial >> 16, card->serial >> 8, card->serial };

        if (card->version[0] < 5)
          return SW_INS_UNKNOWN;
        g_byte_array_append (out, s, 4);
        return SW_OK;
      }
    case INS_GET_METADATA:
      return do_get_metadata (card, apdu, out);
    case INS_ATTEST:
      /* imported keys have no attestation */
      return card->key != NULL && apdu->p1 == card->slot ? SW_WRONG_DATA : SW_REF_NOT_FOUND;
    case INS_RESET:
      return do_reset (card);
    case INS_PUT_DATA:
    case INS_GENERATE:
    case INS_IMPORT_KEY:
    case INS_SET_MGMKEY:
    case INS_SET_RETRIES:
      return SW_SECURITY_STATUS;  /* the management key is not authenticated */
    default:
      return SW_INS_UNKNOWN;
    }
}

/* Splits a command APDU into its parts (ISO 7816-4 cases 1 to 4, short and
 * extended). FALSE when the lengths do not add up. */
static gboolean
apdu_parse (const guint8 *raw,
            gsize         len,
            Apdu         *apdu)
{
  memset (apdu, 0, sizeof *apdu);
  if (len < 4)
    return FALSE;
  apdu->cla = raw[0];
  apdu->ins = raw[1];
  apdu->p1 = raw[2];
  apdu->p2 = raw[3];
  apdu->data = raw + 4;
  if (len == 4)
    return TRUE;
  if (len == 5)
    {
      apdu->le = raw[4] ? raw[4] : 256;
      return TRUE;
    }
  if (raw[4] != 0)
    {
      apdu->lc = raw[4];
      apdu->data = raw + 5;
      if (len == 5 + apdu->lc)
        return TRUE;
      if (len == 6 + apdu->lc)
        {
          apdu->le = raw[5 + apdu->lc] ? raw[5 + apdu->lc] : 256;
          return TRUE;
        }
      return FALSE;
    }
  apdu->extended = TRUE;
  if (len == 7)
    {
      apdu->le = ((gsize) raw[5] << 8 | raw[6]) ? ((gsize) raw[5] << 8 | raw[6]) : 65536;
      return TRUE;
    }
  apdu->lc = (gsize) raw[5] << 8 | raw[6];
  apdu->data = raw + 7;
  if (apdu->lc == 0)
    return FALSE;
  if (len == 7 + apdu->lc)
    return TRUE;
  if (len == 9 + apdu->lc)
    {
      gsize le = (gsize) raw[7 + apdu->lc] << 8 | raw[8 + apdu->lc];
      apdu->le = le ? le : 65536;
      return TRUE;
    }
  return FALSE;
}

/* Appends the next chunk of the pending response and its status word. */
static guint16
card_next_chunk (Card       *card,
                 gsize       max,
                 GByteArray *out)
{
  gsize         size;
  const guint8 *data = g_bytes_get_data (card->pending, &size);
  gsize         n = MIN (max, size - card->pending_offset);
  gsize         left;

  g_byte_array_append (out, data + card->pending_offset, n);
  card->pending_offset += n;
  left = size - card->pending_offset;
  if (left == 0)
    {
      g_clear_pointer (&card->pending, g_bytes_unref);
      return SW_OK;
    }
  return 0x6100 | (left > 0xFF ? 0x00 : left);
}

/* Answers one command APDU: the response data go to out, the status word
 * is returned. */
static guint16
card_process (Card         *card,
              const guint8 *raw,
              gsize         raw_len,
              GByteArray   *out)
{
  Apdu        apdu;
  gboolean    pin_just_verified;
  guint16     sw;
  gsize       chunk;
  g_autoptr(GByteArray) data = g_byte_array_new ();
  g_autoptr(GByteArray) chained = NULL;

  if (!apdu_parse (raw, raw_len, &apdu))
    return SW_WRONG_LENGTH;
  if ((apdu.cla & ~0x10) != 0x00)
    return SW_CLA_UNKNOWN;
  chunk = apdu.extended ? 65536 : (apdu.le != 0 ? apdu.le : 256);

  if (apdu.ins == INS_GET_RESPONSE && !(apdu.cla & 0x10))
    {
      card->pin_just_verified = FALSE;
      if (card->pending == NULL)
        return SW_CONDITIONS;
      return card_next_chunk (card, chunk, out);
    }
  g_clear_pointer (&card->pending, g_bytes_unref);

  /* command chaining: collect, answer 9000, and run the whole command on
   * its last part */
  if (card->chain->len > 0
      && (apdu.ins != card->chain_ins || apdu.p1 != card->chain_p1 || apdu.p2 != card->chain_p2))
    {
      OPENSSL_cleanse (card->chain->data, card->chain->len);
      g_byte_array_set_size (card->chain, 0);
    }
  if (apdu.cla & 0x10)
    {
      if (card->chain->len + apdu.lc > CHAIN_MAX)
        {
          OPENSSL_cleanse (card->chain->data, card->chain->len);
          g_byte_array_set_size (card->chain, 0);
          return SW_WRONG_LENGTH;
        }
      card->chain_ins = apdu.ins;
      card->chain_p1 = apdu.p1;
      card->chain_p2 = apdu.p2;
      g_byte_array_append (card->chain, apdu.data, apdu.lc);
      return SW_OK;
    }
  if (card->chain->len > 0)
    {
      chained = g_byte_array_sized_new (card->chain->len + apdu.lc);
      g_byte_array_append (chained, card->chain->data, card->chain->len);
      g_byte_array_append (chained, apdu.data, apdu.lc);
      OPENSSL_cleanse (card->chain->data, card->chain->len);
      g_byte_array_set_size (card->chain, 0);
      apdu.data = chained->data;
      apdu.lc = chained->len;
    }

  /* PIN always: only the command right after a good VERIFY may use it */
  pin_just_verified = card->pin_just_verified;
  card->pin_just_verified = FALSE;

  if (apdu.ins == INS_SELECT)
    sw = do_select (card, &apdu, data);
  else if (card->app == APP_PIV)
    sw = piv_dispatch (card, &apdu, pin_just_verified, data);
  else if (card->app == APP_OTP && apdu.ins == INS_OTP_API_REQUEST && apdu.p1 == 0x10)
    {
      const guint8 s[4] = { card->serial >> 24, card->serial >> 16, card->serial >> 8, card->serial };
      g_byte_array_append (data, s, 4);
      sw = SW_OK;
    }
  else
    sw = SW_INS_UNKNOWN;

  if (chained != NULL)
    OPENSSL_cleanse (chained->data, chained->len);

  if (sw != SW_OK || data->len == 0)
    return sw;
  card->pending = g_byte_array_free_to_bytes (g_steal_pointer (&data));
  card->pending_offset = 0;
  return card_next_chunk (card, chunk, out);
}

/* --- loading the card ----------------------------------------------------- */

static char *
openssl_reason (void)
{
  unsigned long e = ERR_get_error ();
  char          buf[256];

  ERR_clear_error ();
  if (e == 0)
    return g_strdup ("no reason given");
  ERR_error_string_n (e, buf, sizeof buf);
  return g_strdup (buf);
}

static gboolean
load_key (Card       *card,
          const char *path)
{
  FILE             *f = fopen (path, "r");
  EVP_PKEY         *key;
  char              group[64] = "";
  gsize             len = 0;
  g_autofree char  *reason = NULL;

  if (f == NULL)
    {
      say ("cannot open the key file %s: %s. Give --key the PEM file of the slot's P-256 private key.",
           path, g_strerror (errno));
      return FALSE;
    }
  key = PEM_read_PrivateKey (f, NULL, NULL, NULL);
  fclose (f);
  if (key == NULL)
    {
      reason = openssl_reason ();
      say ("%s holds no PEM private key (%s). Give --key an unencrypted PEM private key, "
           "e.g. from 'openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256'.", path, reason);
      return FALSE;
    }
  if (!EVP_PKEY_is_a (key, "EC")
      || EVP_PKEY_get_utf8_string_param (key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, NULL) != 1
      || strcmp (group, "prime256v1") != 0)
    {
      say ("the key in %s is not an ECC P-256 key (%s%s%s); this card holds P-256 keys only. "
           "Give --key a P-256 (prime256v1) key.", path, EVP_PKEY_get0_type_name (key),
           group[0] ? " " : "", group);
      EVP_PKEY_free (key);
      ERR_clear_error ();
      return FALSE;
    }
  if (EVP_PKEY_get_octet_string_param (key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                       card->point, sizeof card->point, &len) != 1
      || len != sizeof card->point || card->point[0] != 0x04)
    {
      say ("cannot read the public point of the key in %s. Give --key a complete P-256 private key.", path);
      EVP_PKEY_free (key);
      ERR_clear_error ();
      return FALSE;
    }
  card->key = key;
  return TRUE;
}

static gboolean
load_certificate (Card       *card,
                  const char *path)
{
  FILE          *f = fopen (path, "r");
  X509          *cert;
  EVP_PKEY      *pub;
  unsigned char *der = NULL;
  int            der_len;
  gboolean       match;

  if (f == NULL)
    {
      say ("cannot open the certificate file %s: %s. Give --cert the PEM certificate of the slot's key.",
           path, g_strerror (errno));
      return FALSE;
    }
  cert = PEM_read_X509 (f, NULL, NULL, NULL);
  fclose (f);
  if (cert == NULL)
    {
      g_autofree char *reason = openssl_reason ();
      say ("%s holds no PEM certificate (%s). Give --cert a PEM X.509 certificate.", path, reason);
      return FALSE;
    }
  pub = X509_get0_pubkey (cert);
  match = pub != NULL && EVP_PKEY_eq (pub, card->key) == 1;
  ERR_clear_error ();
  if (!match)
    {
      say ("the certificate in %s is not for the key given with --key. Give the certificate "
           "issued for that key.", path);
      X509_free (cert);
      return FALSE;
    }
  der_len = i2d_X509 (cert, &der);
  X509_free (cert);
  if (der_len <= 0 || der_len > 3000)
    {
      say ("the certificate in %s does not fit a YubiKey certificate object (at most 3000 bytes "
           "of DER). Give a smaller certificate.", path);
      OPENSSL_free (der);
      return FALSE;
    }
  card_add_certificate (card, der, der_len);
  OPENSSL_free (der);
  return TRUE;
}

/* The first line of path, 6 to 8 characters, as the PIN. */
static gboolean
load_pin (Card       *card,
          const char *path)
{
  char             *contents = NULL;
  gsize             len = 0, pin_len;
  g_autoptr(GError) error = NULL;
  gboolean          ok = TRUE;

  if (!g_file_get_contents (path, &contents, &len, &error))
    {
      say ("cannot read the PIN file: %s. Give --pin-file a file whose first line is the PIN.",
           error->message);
      return FALSE;
    }
  pin_len = strcspn (contents, "\r\n");
  if (pin_len < 6 || pin_len > PIN_BYTES || memchr (contents, '\0', pin_len) != NULL)
    {
      say ("the PIN in %s has %zu characters; a YubiKey PIN has 6 to 8. Write a 6 to 8 "
           "character PIN on the file's first line.", path, pin_len);
      ok = FALSE;
    }
  else
    {
      for (gsize i = 0; i < pin_len; i++)
        if ((guchar) contents[i] < 0x20 || (guchar) contents[i] > 0x7E)
          {
            say ("the PIN in %s has a character that is not printable ASCII. Write the PIN in "
                 "printable ASCII.", path);
            ok = FALSE;
            break;
          }
    }
  if (ok)
    reference_set (&card->pin, contents, pin_len);
  OPENSSL_cleanse (contents, len);
  g_free (contents);
  return ok;
}

static gboolean
parse_version (const char *text,
               guint8      version[3])
{
  g_auto(GStrv) parts = g_strsplit (text, ".", -1);

  if (g_strv_length (parts) != 3)
    return FALSE;
  for (int i = 0; i < 3; i++)
    {
      guint64 v;
      if (!g_ascii_string_to_unsigned (parts[i], 10, 0, 255, &v, NULL))
        return FALSE;
      version[i] = v;
    }
  return TRUE;
}

/* --- vpcd ----------------------------------------------------------------- */

static void
set_quickack (Vyk *self)
{
  int one = 1;

  if (self->quickack)
    setsockopt (self->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

static gboolean
read_full (Vyk    *self,
           guint8 *buf,
           gsize   len)
{
  gsize got = 0;

  while (got < len)
    {
      ssize_t r;

      set_quickack (self);
      r = recv (self->fd, buf + got, len - got, MSG_WAITALL);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        return FALSE;
      got += r;
    }
  return TRUE;
}

static gboolean
send_frame (Vyk          *self,
            const guint8 *payload,
            gsize         len)
{
  g_autoptr(GByteArray) frame = g_byte_array_sized_new (len + 2);
  const guint8          head[2] = { len >> 8, len & 0xFF };
  gsize                 sent = 0;

  g_assert (len <= 0xFFFF);
  g_byte_array_append (frame, head, 2);
  g_byte_array_append (frame, payload, len);
  while (sent < frame->len)
    {
      ssize_t r = send (self->fd, frame->data + sent, frame->len - sent, MSG_NOSIGNAL);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return FALSE;
      sent += r;
    }
  return TRUE;
}

/* The application a SELECT names, by the AID's first bytes (public
 * identifiers, not data worth hiding). */
static const char *
selected_app (const guint8 *raw,
              gsize         len)
{
  Apdu apdu;

  if (!apdu_parse (raw, len, &apdu) || apdu.ins != INS_SELECT)
    return NULL;
  if (apdu.lc >= 5 && apdu.lc <= sizeof piv_aid && memcmp (apdu.data, piv_aid, apdu.lc) == 0)
    return "select-piv";
  if (apdu.lc == sizeof mgmt_aid && memcmp (apdu.data, mgmt_aid, apdu.lc) == 0)
    return "select-mgmt";
  if (apdu.lc == sizeof otp_aid && memcmp (apdu.data, otp_aid, apdu.lc) == 0)
    return "select-otp";
  return "select-other";
}

/* One line of --apdu-log: the header, a SELECT's application, the status
 * word; never the data (a VERIFY carries the PIN). */
static void
log_apdu (Vyk          *self,
          const guint8 *raw,
          gsize         len,
          guint16       sw)
{
  const char *app = selected_app (raw, len);
  char line[64];
  int n;

  n = g_snprintf (line, sizeof line, "%02X %02X %02X %02X %s%s%04X\n",
                  raw[0], len > 1 ? raw[1] : 0, len > 2 ? raw[2] : 0, len > 3 ? raw[3] : 0,
                  app ? app : "", app ? " " : "", sw);
  if (write (self->apdu_log, line, n) != n)
    say ("could not append to the APDU log: %s", g_strerror (errno));
}

static gboolean connect_cb (gpointer data);

static void
schedule_connect (Vyk  *self,
                  guint delay_ms)
{
  if (self->retry_source == 0)
    self->retry_source = g_timeout_add (delay_ms, connect_cb, self);
}

static void
disconnect (Vyk        *self,
            const char *why)
{
  if (self->fd < 0)
    return;
  g_clear_handle_id (&self->fd_watch, g_source_remove);
  close (self->fd);
  self->fd = -1;
  card_power_cycle (&self->card);
  say ("card %u out: %s", self->card.serial, why);
  if (self->want_inserted)
    {
      self->backoff_ms = 10;
      self->told_waiting = FALSE;
      schedule_connect (self, self->backoff_ms);
    }
}

static void
handle_control (Vyk   *self,
                guint8 code)
{
  switch (code)
    {
    case 0x00:  /* power off */
    case 0x01:  /* power on */
    case 0x02:  /* reset */
      card_power_cycle (&self->card);
      if (self->verbose)
        say ("control %s", code == 0x00 ? "power off" : code == 0x01 ? "power on" : "reset");
      break;
    case 0x04:  /* get ATR */
      if (!send_frame (self, yk5_atr, sizeof yk5_atr))
        disconnect (self, "vpcd went away while the ATR was sent");
      break;
    default:
      say ("ignored an unknown vpcd control message 0x%02X", code);
      break;
    }
}

static gboolean
socket_cb (int          fd,
           GIOCondition condition,
           gpointer     data)
{
  Vyk                  *self = data;
  guint8                head[2];
  gsize                 len;
  g_autofree guint8    *payload = NULL;
  g_autoptr(GByteArray) reply = NULL;
  guint16               sw;

  if (!read_full (self, head, 2))
    {
      self->fd_watch = 0;  /* removed by returning G_SOURCE_REMOVE */
      disconnect (self, "vpcd closed the connection");
      return G_SOURCE_REMOVE;
    }
  len = (gsize) head[0] << 8 | head[1];
  if (len == 0)
    return G_SOURCE_CONTINUE;
  payload = g_malloc (len);
  if (!read_full (self, payload, len))
    {
      self->fd_watch = 0;
      disconnect (self, "vpcd closed the connection in the middle of a message");
      return G_SOURCE_REMOVE;
    }
  if (len == 1)
    {
      handle_control (self, payload[0]);
      return self->fd >= 0 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
    }

  reply = g_byte_array_new ();
  sw = card_process (&self->card, payload, len, reply);
  if (self->verbose)
    say ("apdu %02X %02X %02X %02X, %zu bytes -> %04X, %u bytes",
         payload[0], len > 1 ? payload[1] : 0, len > 2 ? payload[2] : 0, len > 3 ? payload[3] : 0,
         len, sw, reply->len);
  if (self->apdu_log >= 0)
    log_apdu (self, payload, len, sw);
  OPENSSL_cleanse (payload, len);  /* a VERIFY carries the PIN */
  g_byte_array_append (reply, (const guint8[]) { sw >> 8, sw & 0xFF }, 2);
  if (!send_frame (self, reply->data, reply->len))
    {
      OPENSSL_cleanse (reply->data, reply->len);
      self->fd_watch = 0;
      disconnect (self, "vpcd went away while a response was sent");
      return G_SOURCE_REMOVE;
    }
  OPENSSL_cleanse (reply->data, reply->len);
  return G_SOURCE_CONTINUE;
}

static gboolean
connect_cb (gpointer data)
{
  Vyk *self = data;
  int  fd, one = 1;

  self->retry_source = 0;
  if (!self->want_inserted || self->fd >= 0)
    return G_SOURCE_REMOVE;

  fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    {
      say ("cannot make a socket: %s", g_strerror (errno));
      g_main_loop_quit (self->loop);
      return G_SOURCE_REMOVE;
    }
  if (connect (fd, (struct sockaddr *) &self->addr, sizeof self->addr) != 0)
    {
      int e = errno;

      close (fd);
      if (!self->told_waiting)
        {
          say ("waiting for vpcd on %s (%s)", self->addr_text, g_strerror (e));
          self->told_waiting = TRUE;
        }
      self->backoff_ms = MIN (self->backoff_ms * 2, 200);
      schedule_connect (self, self->backoff_ms);
      return G_SOURCE_REMOVE;
    }
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  self->fd = fd;
  set_quickack (self);
  card_power_cycle (&self->card);
  self->fd_watch = g_unix_fd_add (fd, G_IO_IN | G_IO_HUP | G_IO_ERR, socket_cb, self);
  say ("card %u in: connected to vpcd on %s", self->card.serial, self->addr_text);
  return G_SOURCE_REMOVE;
}

static gboolean
remove_cb (gpointer data)
{
  Vyk *self = data;

  self->want_inserted = FALSE;
  g_clear_handle_id (&self->retry_source, g_source_remove);
  if (self->fd >= 0)
    disconnect (self, "removed (SIGUSR1)");
  return G_SOURCE_CONTINUE;
}

static gboolean
insert_cb (gpointer data)
{
  Vyk *self = data;

  if (!self->want_inserted)
    say ("inserting card %u (SIGUSR2)", self->card.serial);
  self->want_inserted = TRUE;
  if (self->fd < 0)
    {
      self->backoff_ms = 10;
      self->told_waiting = FALSE;
      schedule_connect (self, 0);
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
quit_cb (gpointer data)
{
  Vyk *self = data;

  g_main_loop_quit (self->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
resolve (Vyk        *self,
         const char *host,
         int         port)
{
  struct addrinfo  hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };
  struct addrinfo *res = NULL;
  int              rc = getaddrinfo (host, NULL, &hints, &res);

  if (rc != 0 || res == NULL)
    {
      say ("cannot resolve --host %s to an IPv4 address (%s). vpcd listens on IPv4; give "
           "its address, e.g. 127.0.0.1.", host, gai_strerror (rc));
      return FALSE;
    }
  memcpy (&self->addr, res->ai_addr, sizeof self->addr);
  self->addr.sin_port = htons (port);
  freeaddrinfo (res);
  self->addr_text = g_strdup_printf ("%s:%d", host, port);
  return TRUE;
}

/* --- main ----------------------------------------------------------------- */

static int    opt_port = -1;
static char  *opt_host;
static char  *opt_serial;
static char  *opt_version;
static char  *opt_key;
static char  *opt_cert;
static char  *opt_slot;
static char  *opt_pin_file;
static int    opt_retries = 3;
static char  *opt_pid_file;
static char  *opt_apdu_log;
static gboolean opt_verbose;

static const GOptionEntry entries[] = {
  { "port", 0, 0, G_OPTION_ARG_INT, &opt_port, "vpcd's TCP port for this card's reader slot (required)", "N" },
  { "host", 0, 0, G_OPTION_ARG_STRING, &opt_host, "vpcd's host (default 127.0.0.1)", "HOST" },
  { "serial", 0, 0, G_OPTION_ARG_STRING, &opt_serial, "the YubiKey serial number, decimal (required)", "NNNNNNNN" },
  { "version", 0, 0, G_OPTION_ARG_STRING, &opt_version, "the firmware version (required), e.g. 5.4.3; GET METADATA from 5.3 on", "X.Y.Z" },
  { "key", 0, 0, G_OPTION_ARG_FILENAME, &opt_key, "PEM file of the slot's ECC P-256 private key (required)", "KEY.pem" },
  { "cert", 0, 0, G_OPTION_ARG_FILENAME, &opt_cert, "PEM certificate of that key, stored in the slot's object (required)", "CERT.pem" },
  { "slot", 0, 0, G_OPTION_ARG_STRING, &opt_slot, "the key's PIV slot, hex: 9a, 9c (default), 9d, 9e or 82-95", "SLOT" },
  { "pin-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_pin_file, "file whose first line is the PIN (6-8 characters); without it the PIN is 123456", "FILE" },
  { "retries", 0, 0, G_OPTION_ARG_INT, &opt_retries, "PIN retries before it blocks, 1-15 (default 3)", "N" },
  { "pid-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_pid_file, "write the process id to FILE, removed at exit", "FILE" },
  { "apdu-log", 0, 0, G_OPTION_ARG_FILENAME, &opt_apdu_log, "append one line per APDU to FILE: its header, a SELECT's application and the status word (never its data)", "FILE" },
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose, "log each APDU's header and status word (never its data)", NULL },
  { NULL },
};

static const char description[] =
  "Emulates a YubiKey 5 PIV card (one ECC P-256 key in one slot) as a TCP client of\n"
  "vsmartcard's vpcd reader driver in pcscd (reader.conf: DEVICENAME /dev/null:0xPORT;\n"
  "vpcd's first slot listens on PORT, its second on PORT+1). Starting it inserts the card;\n"
  "it waits for vpcd to listen and reconnects when pcscd goes away.\n"
  "\n"
  "PIN: the first line of --pin-file; it is never taken from the command line. Without\n"
  "--pin-file the PIN is the YubiKey default 123456. The PUK is 12345678. Slot 9c needs a\n"
  "VERIFY immediately before each signature (PIN always); 9e never; other slots once.\n"
  "\n"
  "Signals: SIGUSR1 removes the card, SIGUSR2 inserts it again, SIGTERM exits. Retry\n"
  "counters survive removal.\n"
  "\n"
  "--apdu-log FILE appends a line per APDU, e.g. \"00 A4 04 00 select-piv 9000\" or\n"
  "\"00 20 00 80 63C3\": the header, a SELECT's application, the status word; never data.\n"
  "\n"
  "Environment: VYK_NO_QUICKACK=1 leaves TCP_QUICKACK off (to measure its effect).\n"
  "\n"
  "Exit status: 0 after SIGTERM or SIGINT, 1 on a runtime failure, 2 on bad options or files.\n";

static int
usage_error (const char *message)
{
  say ("%s Run '" PROG " --help' for the options.", message);
  return EXIT_USAGE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError)         error = NULL;
  Vyk                       self = { .fd = -1, .apdu_log = -1 };
  Card                     *card = &self.card;
  guint64                   value;
  int                       status = 0;

  context = g_option_context_new ("- a virtual YubiKey 5 PIV card for vpcd");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (context, description);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_autofree char *m = g_strdup_printf ("%s.", error->message);
      return usage_error (m);
    }
  if (argc > 1)
    return usage_error ("unexpected arguments after the options (the PIN goes in --pin-file).");

  if (opt_port < 1 || opt_port > 65535)
    return usage_error ("--port is required: give vpcd's TCP port for this card's slot, 1 to 65535.");
  if (opt_serial == NULL || !g_ascii_string_to_unsigned (opt_serial, 10, 0, G_MAXUINT32, &value, NULL))
    return usage_error ("--serial is required: give the serial number in decimal, 0 to 4294967295.");
  card->serial = value;
  if (opt_version == NULL || !parse_version (opt_version, card->version))
    return usage_error ("--version is required: give the firmware version as X.Y.Z, e.g. 5.4.3.");
  if (opt_key == NULL)
    return usage_error ("--key is required: give the PEM file of the slot's P-256 private key.");
  if (opt_cert == NULL)
    return usage_error ("--cert is required: give the PEM certificate of the slot's key.");
  card->slot = 0x9C;
  if (opt_slot != NULL)
    {
      if (!g_ascii_string_to_unsigned (opt_slot, 16, 0, 0xFF, &value, NULL) || !is_key_slot (value))
        return usage_error ("--slot must be a PIV key slot in hex: 9a, 9c, 9d, 9e or 82 to 95.");
      card->slot = value;
    }
  if (opt_retries < 1 || opt_retries > 15)
    return usage_error ("--retries must be 1 to 15.");

  card->objects = g_array_new (FALSE, FALSE, sizeof (DataObject));
  card->chain = g_byte_array_new ();
  reference_set (&card->pin, "123456", 6);
  reference_set (&card->puk, "12345678", 8);
  card->pin.max_retries = card->pin.retries = opt_retries;
  card->puk.max_retries = card->puk.retries = 3;
  status = EXIT_USAGE;
  if (opt_pin_file != NULL && !load_pin (card, opt_pin_file))
    goto out;
  if (!load_key (card, opt_key) || !load_certificate (card, opt_cert))
    goto out;
  card_add_standard_objects (card);
  if (!resolve (&self, opt_host ? opt_host : "127.0.0.1", opt_port))
    goto out;
  if (opt_apdu_log != NULL)
    {
      self.apdu_log = open (opt_apdu_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
      if (self.apdu_log < 0)
        {
          say ("cannot open the APDU log %s: %s. Give --apdu-log a file in a folder that exists and "
               "can be written.", opt_apdu_log, g_strerror (errno));
          goto out;
        }
    }

  status = EXIT_RUNTIME;
  if (opt_pid_file != NULL)
    {
      g_autofree char *pid = g_strdup_printf ("%d\n", (int) getpid ());
      if (!g_file_set_contents (opt_pid_file, pid, -1, &error))
        {
          say ("cannot write the pid file: %s. Give --pid-file a writable path.", error->message);
          goto out;
        }
    }
  status = 0;

  self.quickack = g_strcmp0 (g_getenv ("VYK_NO_QUICKACK"), "1") != 0;
  self.verbose = opt_verbose;
  self.loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGUSR1, remove_cb, &self);
  g_unix_signal_add (SIGUSR2, insert_cb, &self);
  g_unix_signal_add (SIGTERM, quit_cb, &self);
  g_unix_signal_add (SIGINT, quit_cb, &self);
  signal (SIGPIPE, SIG_IGN);

  self.want_inserted = TRUE;
  self.backoff_ms = 10;
  schedule_connect (&self, 0);
  say ("card %u (PIV %u.%u.%u, slot %02x) for vpcd on %s%s", card->serial, card->version[0],
       card->version[1], card->version[2], card->slot, self.addr_text,
       self.quickack ? "" : ", TCP_QUICKACK off");
  g_main_loop_run (self.loop);

  if (self.fd >= 0)
    {
      g_clear_handle_id (&self.fd_watch, g_source_remove);
      close (self.fd);
    }
  g_clear_handle_id (&self.retry_source, g_source_remove);
  if (opt_pid_file != NULL)
    g_unlink (opt_pid_file);

out:
  card_forget_session (card);
  OPENSSL_cleanse (&card->pin, sizeof card->pin);
  OPENSSL_cleanse (&card->puk, sizeof card->puk);
  EVP_PKEY_free (card->key);
  for (guint i = 0; i < card->objects->len; i++)
    g_bytes_unref (g_array_index (card->objects, DataObject, i).bytes);
  g_array_free (card->objects, TRUE);
  g_byte_array_free (card->chain, TRUE);
  g_clear_pointer (&self.loop, g_main_loop_unref);
  if (self.apdu_log >= 0)
    close (self.apdu_log);
  g_free (self.addr_text);
  g_free (opt_host);
  g_free (opt_serial);
  g_free (opt_version);
  g_free (opt_key);
  g_free (opt_cert);
  g_free (opt_slot);
  g_free (opt_pin_file);
  g_free (opt_pid_file);
  g_free (opt_apdu_log);
  return status;
}
