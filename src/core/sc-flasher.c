/* sc-flasher.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "scp-proto.h"
#include "sc-device-link.h"
#include "sc-flasher.h"

struct _ScFlasher
{
  GObject  parent_instance;
  GStrv    argv;
  guint    timeout_s;
};

G_DEFINE_FINAL_TYPE (ScFlasher, sc_flasher, G_TYPE_OBJECT)

static void
sc_flasher_finalize (GObject *object)
{
  g_strfreev (SC_FLASHER (object)->argv);
  G_OBJECT_CLASS (sc_flasher_parent_class)->finalize (object);
}

static void
sc_flasher_class_init (ScFlasherClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sc_flasher_finalize;
}

static void
sc_flasher_init (ScFlasher *self)
{
}

ScFlasher *
sc_flasher_new (const char  *template,
                guint        timeout_s,
                GError     **error)
{
  g_autoptr(ScFlasher) self = g_object_new (SC_TYPE_FLASHER, NULL);
  g_autoptr(GError) local_error = NULL;
  gboolean has_image = FALSE;

  g_return_val_if_fail (template != NULL, NULL);

  if (!g_shell_parse_argv (template, NULL, &self->argv, &local_error))
    {
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_ADDRESS,
                   _("The flasher command “%s” cannot be split into words: %s"), template, local_error->message);
      return NULL;
    }
  for (guint i = 0; self->argv[i] != NULL; i++)
    has_image |= strstr (self->argv[i], "{image}") != NULL;
  if (!has_image)
    {
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_ADDRESS,
                   _("The flasher command “%s” must name the unit’s image as {image}"), template);
      return NULL;
    }
  self->timeout_s = timeout_s ? timeout_s : 120;
  return g_steal_pointer (&self);
}

static void
put_tlv (GByteArray   *out,
         guint8        tag,
         const void   *value,
         gsize         len)
{
  guint8 hdr[3] = { tag, (guint8) (len >> 8), (guint8) len };

  g_assert (len <= G_MAXUINT16);
  g_byte_array_append (out, hdr, 3);
  g_byte_array_append (out, value, len);
}

ScSecret *
sc_flasher_build_image (const char *serial,
                        const char *pid,
                        ScSecret   *key_der,
                        const char *chain_pem,
                        ScSecret   *pin)
{
  /* Sized once: a growing array would leave unwiped copies of the key. */
  GByteArray *out = g_byte_array_sized_new (64 + strlen (serial) + strlen (pid) + sc_secret_get_size (key_der) +
                                            strlen (chain_pem) + sc_secret_get_size (pin));
  guint8 be[4];
  guint32 len, crc;
  const guint8 *data;
  gsize data_len;

  g_byte_array_append (out, (const guint8 *) "SCI1\0\0\0\0", 8);
  put_tlv (out, SC_IMAGE_TAG_SERIAL, serial, strlen (serial));
  put_tlv (out, SC_IMAGE_TAG_PID, pid, strlen (pid));
  data = sc_secret_get_data (key_der, &data_len);
  put_tlv (out, SC_IMAGE_TAG_KEY, data, data_len);
  put_tlv (out, SC_IMAGE_TAG_CHAIN, chain_pem, strlen (chain_pem));
  data = sc_secret_get_data (pin, &data_len);
  put_tlv (out, SC_IMAGE_TAG_PIN, data, data_len);

  len = out->len - 8;
  out->data[4] = (guint8) (len >> 24);
  out->data[5] = (guint8) (len >> 16);
  out->data[6] = (guint8) (len >> 8);
  out->data[7] = (guint8) len;
  crc = scp_crc32 (0, out->data, out->len);
  be[0] = (guint8) (crc >> 24);
  be[1] = (guint8) (crc >> 16);
  be[2] = (guint8) (crc >> 8);
  be[3] = (guint8) crc;
  g_byte_array_append (out, be, 4);

  {
    guint8 *bytes = g_byte_array_steal (out, &data_len);

    g_byte_array_unref (out);
    return sc_secret_new_take_from (bytes, data_len);
  }
}

static void
communicated_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static gboolean
timed_out_cb (gpointer user_data)
{
  gboolean *flag = user_data;

  *flag = TRUE;
  return G_SOURCE_REMOVE;
}

static void
cancelled_cb (GCancellable *cancellable,
              gpointer      user_data)
{
  g_main_context_wakeup (user_data);
}

/* The flasher and everything it starts share a process group, so a timeout
 * or a cancellation stops them all, and the pipe closes. */
static void
child_setup (gpointer user_data)
{
  setpgid (0, 0);
}

/* The image lives in an anonymous memory file (memfd) that the flasher reads
 * as /dev/fd/3: the key never touches a disk, even if the console dies. */
static int
image_fd (ScSecret  *image,
          GError   **error)
{
  const guint8 *data;
  gsize len;
  int fd = memfd_create ("sc-unit-image", MFD_CLOEXEC);

  if (fd < 0)
    {
      int saved_errno = errno;
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_FLASHER,
                   _("Cannot create the unit’s image in memory: %s"), g_strerror (saved_errno));
      return -1;
    }
  data = sc_secret_get_data (image, &len);
  for (gsize off = 0; off < len; )
    {
      gssize n = write (fd, data + off, len - off);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;
          close (fd);
          g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_FLASHER,
                       _("Cannot write the unit’s image: %s"), g_strerror (saved_errno));
          return -1;
        }
      off += n;
    }
  lseek (fd, 0, SEEK_SET);
  return fd;
}

static gboolean
serial_is_safe (const char *serial)
{
  return serial[0] != '\0' &&
         strspn (serial, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") == strlen (serial);
}

/**
 * sc_flasher_write:
 *
 * The command gets the image as /dev/fd/3 ({image}) and, besides {serial},
 * the environment variables SC_UNIT_SERIAL and SC_UNIT_IMAGE. A serial with
 * characters other than letters, digits, '-', '_' and '.' is refused, so it
 * cannot smuggle anything into a template that runs a shell.
 */
gboolean
sc_flasher_write (ScFlasher     *self,
                  const char    *serial,
                  ScSecret      *image,
                  char         **output,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *out_text = NULL;
  const char *path = "/dev/fd/3";
  GSource *timeout;
  gboolean timed_out = FALSE, stopped = FALSE;
  gulong cancel_handler = 0;
  int fd;

  g_return_val_if_fail (SC_IS_FLASHER (self), FALSE);
  g_return_val_if_fail (serial != NULL, FALSE);
  g_return_val_if_fail (image != NULL, FALSE);

  if (!serial_is_safe (serial))
    {
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_FLASHER,
                   _("The serial has characters an external flasher must not be given"));
      return FALSE;
    }
  fd = image_fd (image, error);
  if (fd < 0)
    return FALSE;

  for (guint i = 0; self->argv[i] != NULL; i++)
    {
      g_autoptr(GString) word = g_string_new (self->argv[i]);

      g_string_replace (word, "{image}", path, 0);
      g_string_replace (word, "{serial}", serial, 0);
      g_ptr_array_add (argv, g_string_free (g_steal_pointer (&word), FALSE));
    }
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_take_fd (launcher, fd, 3);
  g_subprocess_launcher_setenv (launcher, "SC_UNIT_SERIAL", serial, TRUE);
  g_subprocess_launcher_setenv (launcher, "SC_UNIT_IMAGE", path, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &local_error);
  /* The launcher owns the memfd; freeing it closes our end. */
  g_clear_object (&launcher);
  if (process == NULL)
    {
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_FLASHER,
                   _("Cannot start the flasher “%s”: %s"), self->argv[0], local_error->message);
      return FALSE;
    }

  g_main_context_push_thread_default (context);
  g_subprocess_communicate_utf8_async (process, NULL, NULL, communicated_cb, &result);
  timeout = g_timeout_source_new_seconds (self->timeout_s);
  g_source_set_callback (timeout, timed_out_cb, &timed_out, NULL);
  g_source_attach (timeout, context);
  if (cancellable != NULL)
    cancel_handler = g_cancellable_connect (cancellable, G_CALLBACK (cancelled_cb), context, NULL);
  while (result == NULL && !timed_out && !g_cancellable_is_cancelled (cancellable))
    g_main_context_iteration (context, TRUE);
  if (cancellable != NULL)
    g_cancellable_disconnect (cancellable, cancel_handler);
  if (result == NULL)
    {
      /* Stop the flasher and all it started, then wait for the pipe. */
      const char *pid = g_subprocess_get_identifier (process);

      stopped = TRUE;
      if (pid != NULL)
        kill (-(pid_t) g_ascii_strtoll (pid, NULL, 10), SIGKILL);
      g_subprocess_force_exit (process);
      while (result == NULL)
        g_main_context_iteration (context, TRUE);
    }
  g_source_destroy (timeout);
  g_source_unref (timeout);
  g_main_context_pop_thread_default (context);

  if (!g_subprocess_communicate_utf8_finish (process, result, &out_text, NULL, &local_error) && !stopped)
    {
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_FLASHER,
                   _("The flasher failed: %s"), local_error->message);
      return FALSE;
    }
  if (out_text != NULL && strlen (out_text) > 65536)
    out_text[65536] = '\0';
  if (output != NULL)
    *output = g_strdup (out_text ? out_text : "");

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (timed_out)
    {
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_TIMEOUT,
                   _("The flasher did not finish within %u s and was stopped"), self->timeout_s);
      return FALSE;
    }
  if (!g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) != 0)
    {
      g_set_error (error, SC_DEVICE_ERROR, SC_DEVICE_ERROR_FLASHER,
                   _("The flasher “%s” failed (exit status %d); its output says why"), self->argv[0],
                   g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1);
      return FALSE;
    }
  return TRUE;
}
