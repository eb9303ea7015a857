/* sc-sim-link.c: a simulated unit in-process: the reference agent, linked in
 *
 * For training mode and tests. The agent answers each frame as it is
 * written; its flash is a file when the URI names one, else memory.
 *
 * Faults, for trainers to show what a line sees and how it recovers, and
 * for tests (query options, each at most once per link):
 *   drop=CMD|N        the answer to the first CMD request (or the N-th
 *                     answer) is lost: the station times out and asks again
 *   corrupt=CMD|N     one byte of that answer flipped: its CRC fails, the
 *                     station asks again
 *   disconnect=CMD    the cable is pulled when the first CMD request comes
 *   silent=1          the unit never answers
 *   flash-fail=1      every flash write during COMMIT fails
 *   csr=wrong-dsn     KEYGEN answers a CSR for another serial
 *   csr=wrong-curve   KEYGEN answers a CSR for a P-384 key
 * CMD is a request name: HELLO, KEYGEN, PUT_KEY, PUT_CHAIN, PUT_PIN,
 * COMMIT, READ_BACK, CHALLENGE, LOCK or READ_CHAIN.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "scp-agent.h"
#include "sc-device-link-private.h"
#include "sc-secret.h"

#define SC_TYPE_SIM_LINK (sc_sim_link_get_type ())
G_DECLARE_FINAL_TYPE (ScSimLink, sc_sim_link, SC, SIM_LINK, GObject)

struct _ScSimLink
{
  GObject       parent_instance;
  char         *serial;
  char         *model;
  scp_storage  *file_storage;   /* when flash= is given */
  scp_storage   memory_storage;
  guint8       *memory;
  scp_agent    *agent;
  scp_receiver  rx;
  GByteArray   *pending;        /* the agent's answers, not yet read */

  /* Faults (see the top of this file). */
  scp_storage   storage;        /* the flash as the agent sees it */
  const scp_storage *flash;     /* the file or the memory behind it */
  scp_crypto    crypto;         /* OpenSSL, with the CSR faults */
  char         *fault_text;     /* the faults, for describe(); NULL: none */
  int           drop_type;      /* -1: none */
  int           corrupt_type;
  int           disconnect_type;
  gulong        drop_answer;    /* 0: none */
  gulong        corrupt_answer;
  gboolean      silent;
  gboolean      flash_fail;
  gboolean      csr_wrong_dsn;
  gboolean      csr_wrong_curve;
  gulong        answers;
  gboolean      in_commit;
  gboolean      unplugged;
};

static const struct
{
  const char *name;
  guint8      type;
} request_names[] = {
  { "HELLO", SCP_HELLO },
  { "KEYGEN", SCP_KEYGEN },
  { "PUT_KEY", SCP_PUT_KEY },
  { "PUT_CHAIN", SCP_PUT_CHAIN },
  { "PUT_PIN", SCP_PUT_PIN },
  { "COMMIT", SCP_COMMIT },
  { "READ_BACK", SCP_READ_BACK },
  { "CHALLENGE", SCP_CHALLENGE },
  { "LOCK", SCP_LOCK },
  { "READ_CHAIN", SCP_READ_CHAIN },
};

static void link_iface_init (ScDeviceLinkInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ScSimLink, sc_sim_link, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SC_TYPE_DEVICE_LINK, link_iface_init))

static void
link_close (ScDeviceLink *link)
{
  ScSimLink *self = SC_SIM_LINK (link);

  g_clear_pointer (&self->agent, scp_agent_free);
  sc_memwipe (&self->rx, sizeof self->rx);
  if (self->pending != NULL)
    sc_memwipe (self->pending->data, self->pending->len);
  g_clear_pointer (&self->file_storage, scp_storage_file_close);
  if (self->memory != NULL)
    {
      sc_memwipe (self->memory, SCP_FLASH_SIZE);
      g_clear_pointer (&self->memory, g_free);
    }
}

static void
sc_sim_link_finalize (GObject *object)
{
  ScSimLink *self = SC_SIM_LINK (object);

  link_close (SC_DEVICE_LINK (self));
  g_byte_array_unref (self->pending);
  g_free (self->fault_text);
  g_free (self->serial);
  g_free (self->model);
  G_OBJECT_CLASS (sc_sim_link_parent_class)->finalize (object);
}

static void
sc_sim_link_class_init (ScSimLinkClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sc_sim_link_finalize;
}

static void
sc_sim_link_init (ScSimLink *self)
{
  self->pending = g_byte_array_new ();
  scp_receiver_init (&self->rx);
  self->drop_type = self->corrupt_type = self->disconnect_type = -1;
}

static void
set_unplugged_error (ScSimLink  *self,
                     GError    **error)
{
  if (self->unplugged)
    g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_DISCONNECTED,
                 _("The simulated unit %s was unplugged (an injected fault); plug it in and scan it again"),
                 self->serial);
  else
    g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_DISCONNECTED, _("The simulated unit is closed"));
}

/* The request type of a received frame, or -1 when it is damaged. */
static int
request_type (const guint8 *data,
              gsize         len)
{
  static const gsize cap = SCP_MAX_FRAME;
  g_autofree guint8 *peek = g_malloc (cap);
  scp_frame frame = { 0 };
  int type = -1;

  if (scp_frame_decode (data, len, peek, &frame) == SCP_FRAME_OK)
    type = frame.type;
  sc_memwipe (peek, cap);  /* it may hold a key or a PIN */
  return type;
}

/* Handles one received frame: the agent's answer goes to pending, unless a
 * fault loses or damages it. */
static void
handle_frame (ScSimLink    *self,
              const guint8 *data,
              gsize         len)
{
  guint8 out[SCP_MAX_ENCODED];
  int type = request_type (data, len);
  gsize n;

  if (self->silent)
    return;
  if (type >= 0 && type == self->disconnect_type)
    {
      self->disconnect_type = -1;
      self->unplugged = TRUE;
      g_debug ("simulated unit %s: unplugged at request 0x%02x (injected fault)", self->serial, type);
      link_close (SC_DEVICE_LINK (self));
      return;
    }

  n = scp_agent_handle (self->agent, data, len, out);
  self->in_commit = FALSE;
  self->answers++;

  if ((self->drop_answer != 0 && self->answers == self->drop_answer) ||
      (type >= 0 && type == self->drop_type))
    {
      self->drop_answer = 0;
      self->drop_type = -1;
      g_debug ("simulated unit %s: answer %lu lost (injected fault)", self->serial, self->answers);
      sc_memwipe (out, sizeof out);
      return;
    }
  if (((self->corrupt_answer != 0 && self->answers == self->corrupt_answer) ||
       (type >= 0 && type == self->corrupt_type)) && n >= 2)
    {
      gsize at = (n - 1) / 2;
      guint8 v = out[at] ^ 0x01;

      /* Never a 0x00: that would end the frame early instead of damaging it. */
      out[at] = v != 0 ? v : (guint8) (out[at] ^ 0x02);
      self->corrupt_answer = 0;
      self->corrupt_type = -1;
      g_debug ("simulated unit %s: answer %lu damaged (injected fault)", self->serial, self->answers);
    }
  g_byte_array_append (self->pending, out, n);
  sc_memwipe (out, sizeof out);
}

static gboolean
link_write (ScDeviceLink  *link,
            const guint8  *data,
            gsize          len,
            guint          timeout_ms,
            GError       **error)
{
  ScSimLink *self = SC_SIM_LINK (link);

  if (self->agent == NULL)
    {
      set_unplugged_error (self, error);
      return FALSE;
    }
  for (gsize i = 0; i < len && self->agent != NULL; i++)
    if (scp_receiver_push (&self->rx, data[i]))
      {
        handle_frame (self, self->rx.data, self->rx.len);
        sc_memwipe (&self->rx, sizeof self->rx);
        scp_receiver_init (&self->rx);
      }
  return TRUE;
}

static gssize
link_read (ScDeviceLink  *link,
           guint8        *buf,
           gsize          cap,
           guint          timeout_ms,
           GError       **error)
{
  ScSimLink *self = SC_SIM_LINK (link);
  gsize n = MIN (cap, self->pending->len);

  if (self->agent == NULL)
    {
      set_unplugged_error (self, error);
      return -1;
    }
  /* The agent answered when the request was written, so nothing more will
   * come: wait as a quiet line would (an answer lost by a fault), rather
   * than let the caller spin. */
  if (n == 0)
    {
      g_usleep ((gulong) MIN (timeout_ms, 1000) * 1000);
      return 0;
    }
  memcpy (buf, self->pending->data, n);
  sc_memwipe (self->pending->data, n);
  g_byte_array_remove_range (self->pending, 0, n);
  return n;
}

static char *
link_describe (ScDeviceLink *link)
{
  ScSimLink *self = SC_SIM_LINK (link);

  if (self->fault_text != NULL)
    /* Translators: a simulated unit's serial, then the faults injected into it */
    return g_strdup_printf (_("simulated unit %s (injected fault: %s)"), self->serial, self->fault_text);
  return g_strdup_printf (_("simulated unit %s"), self->serial);
}

static void
link_iface_init (ScDeviceLinkInterface *iface)
{
  iface->write = link_write;
  iface->read = link_read;
  iface->describe = link_describe;
  iface->close = link_close;
}

static int
memory_read (void *ctx, uint32_t offset, uint8_t *buf, size_t len)
{
  ScSimLink *self = ctx;

  if ((gsize) offset + len > SCP_FLASH_SIZE)
    return -1;
  memcpy (buf, self->memory + offset, len);
  return 0;
}

static int
memory_write (void *ctx, uint32_t offset, const uint8_t *buf, size_t len)
{
  ScSimLink *self = ctx;

  if ((gsize) offset + len > SCP_FLASH_SIZE)
    return -1;
  memcpy (self->memory + offset, buf, len);
  return 0;
}

static int
memory_sync (void *ctx)
{
  return 0;
}

/* The flash as the agent sees it: the file or memory, with flash-fail. */
static int
fault_read (void *ctx, uint32_t offset, uint8_t *buf, size_t len)
{
  ScSimLink *self = ctx;

  return self->flash->read (self->flash->ctx, offset, buf, len);
}

static int
fault_write (void *ctx, uint32_t offset, const uint8_t *buf, size_t len)
{
  ScSimLink *self = ctx;

  if (self->flash_fail && self->in_commit)
    return -1;
  return self->flash->write (self->flash->ctx, offset, buf, len);
}

static int
fault_sync (void *ctx)
{
  ScSimLink *self = ctx;

  return self->flash->sync (self->flash->ctx);
}

static int
request_hook (void *ctx, uint8_t type)
{
  ScSimLink *self = ctx;

  self->in_commit = type == SCP_COMMIT;
  return 0;
}

/* KEYGEN with csr=wrong-dsn or csr=wrong-curve. The OpenSSL port keeps no
 * context of its own, so ours takes its place. */
static int
fault_make_csr (void *ctx, const uint8_t *key, size_t key_len, const char *dtid, const char *dsn,
                uint8_t *out, size_t cap)
{
  ScSimLink *self = ctx;
  const scp_crypto *base = scp_crypto_openssl ();
  g_autofree char *other_dsn = NULL;
  int n = -1;

  if (self->csr_wrong_dsn)
    {
      gsize len = strlen (dsn);

      if (len == 0)
        return -1;
      other_dsn = g_strdup (dsn);
      other_dsn[len - 1] = other_dsn[len - 1] == 'X' ? 'Y' : 'X';
      dsn = other_dsn;
    }

  if (self->csr_wrong_curve)
    {
      EVP_PKEY *p384 = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-384");
      unsigned char *der = NULL;
      int der_len = p384 != NULL ? i2d_PrivateKey (p384, &der) : -1;

      if (der_len > 0)
        n = base->make_csr (base->ctx, der, (size_t) der_len, dtid, dsn, out, cap);
      if (der != NULL)
        OPENSSL_clear_free (der, (size_t) der_len);
      EVP_PKEY_free (p384);
      return n;
    }
  return base->make_csr (base->ctx, key, key_len, dtid, dsn, out, cap);
}

static int
parse_request (const char *text)
{
  for (guint i = 0; i < G_N_ELEMENTS (request_names); i++)
    if (g_ascii_strcasecmp (text, request_names[i].name) == 0)
      return request_names[i].type;
  return -1;
}

/* drop= and corrupt=: an answer's number from 1, or a request name. */
static gboolean
parse_answer (const char  *key,
              const char  *text,
              gulong      *number,
              int         *type,
              GError     **error)
{
  guint64 v;

  if (g_ascii_isdigit (text[0]))
    {
      if (g_ascii_string_to_unsigned (text, 10, 1, G_MAXULONG, &v, NULL))
        {
          *number = (gulong) v;
          return TRUE;
        }
    }
  else if ((*type = parse_request (text)) >= 0)
    return TRUE;

  g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_ADDRESS,
               _("The simulated unit’s %s= takes an answer’s number from 1 or a request name such as "
                 "COMMIT, not “%s”"), key, text);
  return FALSE;
}

static gboolean
parse_switch (const char  *key,
              const char  *text,
              gboolean    *value,
              GError     **error)
{
  if (g_str_equal (text, "1") || g_str_equal (text, "0"))
    {
      *value = g_str_equal (text, "1");
      return TRUE;
    }
  g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_ADDRESS,
               _("The simulated unit’s %s= takes 1 or 0, not “%s”"), key, text);
  return FALSE;
}

/* Reads the fault options; refuses options it does not know, so a typo
 * never leaves a trainer believing a fault is set. */
static gboolean
parse_faults (ScSimLink   *self,
              const char  *query,
              GError     **error)
{
  static const char * const known[] = {
    "serial", "mac", "flash", "keygen", "drop", "corrupt", "disconnect", "silent", "flash-fail", "csr",
  };
  g_auto(GStrv) pairs = query ? g_strsplit (query, "&", -1) : NULL;
  g_autoptr(GPtrArray) faults = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; pairs != NULL && pairs[i] != NULL; i++)
    {
      g_autofree char *key = NULL;
      g_autofree char *value = NULL;
      const char *eq = strchr (pairs[i], '=');
      gboolean found = FALSE;

      if (pairs[i][0] == '\0')
        continue;
      key = eq ? g_strndup (pairs[i], eq - pairs[i]) : g_strdup (pairs[i]);
      for (guint k = 0; k < G_N_ELEMENTS (known) && !found; k++)
        found = g_str_equal (key, known[k]);
      if (!found || eq == NULL)
        {
          g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_ADDRESS,
                       _("The simulated unit has no option “%s”; it takes serial, mac, flash, keygen, drop, "
                         "corrupt, disconnect, silent, flash-fail and csr, each as name=value"), pairs[i]);
          return FALSE;
        }
      value = g_uri_unescape_string (eq + 1, NULL);
      if (value == NULL)
        {
          g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_ADDRESS,
                       _("The simulated unit’s option “%s” is not properly escaped"), pairs[i]);
          return FALSE;
        }

      if (g_str_equal (key, "drop"))
        {
          if (!parse_answer (key, value, &self->drop_answer, &self->drop_type, error))
            return FALSE;
        }
      else if (g_str_equal (key, "corrupt"))
        {
          if (!parse_answer (key, value, &self->corrupt_answer, &self->corrupt_type, error))
            return FALSE;
        }
      else if (g_str_equal (key, "disconnect"))
        {
          self->disconnect_type = parse_request (value);
          if (self->disconnect_type < 0)
            {
              g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_ADDRESS,
                           _("The simulated unit’s disconnect= takes a request name such as COMMIT, not “%s”"),
                           value);
              return FALSE;
            }
        }
      else if (g_str_equal (key, "silent"))
        {
          if (!parse_switch (key, value, &self->silent, error))
            return FALSE;
        }
      else if (g_str_equal (key, "flash-fail"))
        {
          if (!parse_switch (key, value, &self->flash_fail, error))
            return FALSE;
        }
      else if (g_str_equal (key, "csr"))
        {
          self->csr_wrong_dsn = g_str_equal (value, "wrong-dsn");
          self->csr_wrong_curve = g_str_equal (value, "wrong-curve");
          if (!self->csr_wrong_dsn && !self->csr_wrong_curve)
            {
              g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_ADDRESS,
                           _("The simulated unit’s csr= takes wrong-dsn or wrong-curve, not “%s”"), value);
              return FALSE;
            }
        }
      else
        continue;
      /* The options that are faults, as given, for describe(). */
      if (!g_str_equal (value, "0"))
        g_ptr_array_add (faults, g_strdup_printf ("%s=%s", key, value));
    }

  if (faults->len > 0)
    {
      g_ptr_array_add (faults, NULL);
      self->fault_text = g_strjoinv (", ", (char **) faults->pdata);
    }
  return TRUE;
}

static gboolean
parse_mac (const char *text,
           guint8      mac[6])
{
  unsigned int b[6];
  char tail;

  if (sscanf (text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
    return FALSE;
  for (int i = 0; i < 6; i++)
    mac[i] = (guint8) b[i];
  return TRUE;
}

ScDeviceLink *
_sc_sim_link_open (const char  *query,
                   GError     **error)
{
  g_autoptr(ScSimLink) self = g_object_new (SC_TYPE_SIM_LINK, NULL);
  g_autofree char *serial = _sc_uri_query_get (query, "serial");
  g_autofree char *mac_text = _sc_uri_query_get (query, "mac");
  g_autofree char *flash = _sc_uri_query_get (query, "flash");
  g_autofree char *keygen = _sc_uri_query_get (query, "keygen");
  scp_agent_config config = { 0 };

  if (!parse_faults (self, query, error))
    return NULL;

  if (serial == NULL)
    {
      /* A fresh unit each time: a serial that fits the SERNUM rule. */
      char digits[11];

      for (int i = 0; i < 10; i++)
        digits[i] = (char) ('0' + g_random_int_range (0, 10));
      digits[10] = '\0';
      serial = g_strconcat ("SIMUNIT", digits, NULL);
    }
  if (strlen (serial) == 0 || strlen (serial) > 64)
    {
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_ADDRESS,
                   _("The simulated unit’s serial must be 1 to 64 characters"));
      return NULL;
    }

  if (mac_text != NULL)
    {
      if (!parse_mac (mac_text, config.mac))
        {
          g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_ADDRESS,
                       _("“%s” is not a MAC address like 02:00:00:12:34:56"), mac_text);
          return NULL;
        }
    }
  else
    {
      /* Locally administered, derived from the serial. */
      guint8 md[32];
      gsize md_len = sizeof md;
      g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

      g_checksum_update (sum, (const guchar *) serial, -1);
      g_checksum_get_digest (sum, md, &md_len);
      memcpy (config.mac, md, 6);
      config.mac[0] = (config.mac[0] & 0xfc) | 0x02;
    }

  self->serial = g_steal_pointer (&serial);
  self->model = g_strdup ("Setup Console simulated unit");
  config.serial = self->serial;
  config.model = self->model;
  config.firmware = PACKAGE_VERSION;
  config.caps = SCP_CAP_KEY_AT_REST | SCP_CAP_LOCK;
  if (g_strcmp0 (keygen, "0") != 0)
    config.caps |= SCP_CAP_KEYGEN;

  if (flash != NULL)
    {
      self->file_storage = scp_storage_file_open (flash);
      if (self->file_storage == NULL)
        {
          g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_NOT_FOUND,
                       _("Cannot open the simulated unit’s flash image “%s”"), flash);
          return NULL;
        }
      self->flash = self->file_storage;
    }
  else
    {
      self->memory = g_malloc (SCP_FLASH_SIZE);
      memset (self->memory, 0xff, SCP_FLASH_SIZE);
      if (RAND_bytes (self->memory + SCP_OTP_OFFSET, SCP_OTP_SIZE) != 1)
        g_error ("The random number generator failed");
      self->memory_storage = (scp_storage) { self, SCP_FLASH_SIZE, memory_read, memory_write, memory_sync };
      self->flash = &self->memory_storage;
    }
  self->storage = (scp_storage) { self, self->flash->size, fault_read, fault_write, fault_sync };
  self->crypto = *scp_crypto_openssl ();
  g_assert (self->crypto.ctx == NULL);
  if (self->csr_wrong_dsn || self->csr_wrong_curve)
    {
      self->crypto.ctx = self;
      self->crypto.make_csr = fault_make_csr;
    }

  self->agent = scp_agent_new (&config, &self->storage, &self->crypto);
  if (self->agent == NULL)
    {
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_NOT_FOUND,
                   _("The simulated unit cannot read its flash"));
      return NULL;
    }
  scp_agent_set_hook (self->agent, request_hook, self);
  return SC_DEVICE_LINK (g_steal_pointer (&self));
}
