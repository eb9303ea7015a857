/* sc-sim-link.c: a simulated unit in-process: the reference agent, linked in
 *
 * For training mode and tests. The agent answers each frame as it is
 * written; its flash is a file when the URI names one, else memory.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <openssl/rand.h>

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
}

static gboolean
link_write (ScDeviceLink  *link,
            const guint8  *data,
            gsize          len,
            guint          timeout_ms,
            GError       **error)
{
  ScSimLink *self = SC_SIM_LINK (link);
  guint8 out[SCP_MAX_ENCODED];

  if (self->agent == NULL)
    {
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_DISCONNECTED, _("The simulated unit is closed"));
      return FALSE;
    }
  for (gsize i = 0; i < len; i++)
    if (scp_receiver_push (&self->rx, data[i]))
      {
        gsize n = scp_agent_handle (self->agent, self->rx.data, self->rx.len, out);

        g_byte_array_append (self->pending, out, n);
        sc_memwipe (out, sizeof out);
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
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_DISCONNECTED, _("The simulated unit is closed"));
      return -1;
    }
  /* The agent answered when the request was written; nothing more will come. */
  memcpy (buf, self->pending->data, n);
  sc_memwipe (self->pending->data, n);
  g_byte_array_remove_range (self->pending, 0, n);
  return n;
}

static char *
link_describe (ScDeviceLink *link)
{
  return g_strdup_printf (_("simulated unit %s"), SC_SIM_LINK (link)->serial);
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
  const scp_storage *storage;

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
      storage = self->file_storage;
    }
  else
    {
      self->memory = g_malloc (SCP_FLASH_SIZE);
      memset (self->memory, 0xff, SCP_FLASH_SIZE);
      if (RAND_bytes (self->memory + SCP_OTP_OFFSET, SCP_OTP_SIZE) != 1)
        g_error ("The random number generator failed");
      self->memory_storage = (scp_storage) { self, SCP_FLASH_SIZE, memory_read, memory_write, memory_sync };
      storage = &self->memory_storage;
    }

  self->agent = scp_agent_new (&config, storage, scp_crypto_openssl ());
  if (self->agent == NULL)
    {
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_NOT_FOUND,
                   _("The simulated unit cannot read its flash"));
      return NULL;
    }
  return SC_DEVICE_LINK (g_steal_pointer (&self));
}
