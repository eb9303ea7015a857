/* sc-pin.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <openssl/rand.h>

#include "sc-crypto-private.h"
#include "sc-pin.h"

G_DEFINE_QUARK (sc-pin-error-quark, sc_pin_error)

gboolean
sc_pin_is_trivial (const char *pin)
{
  gsize len;
  gboolean same = TRUE, up = TRUE, down = TRUE;

  g_return_val_if_fail (pin != NULL, TRUE);

  len = strlen (pin);
  if (len < 2)
    return TRUE;

  for (gsize i = 1; i < len; i++)
    {
      same &= pin[i] == pin[0];
      up &= pin[i] == pin[i - 1] + 1;
      down &= pin[i] == pin[i - 1] - 1;
    }
  return same || up || down;
}

gboolean
sc_pin_fill_uniform (const char  *alphabet,
                     char        *out,
                     gsize        n,
                     GError     **error)
{
  guint8 pool[256];
  gsize size, limit, used = sizeof pool;

  g_return_val_if_fail (alphabet != NULL, FALSE);
  g_return_val_if_fail (out != NULL || n == 0, FALSE);

  size = strlen (alphabet);
  if (size < 2 || size > 256)
    {
      g_set_error (error, SC_PIN_ERROR, SC_PIN_ERROR_ALPHABET,
                   _("A PIN alphabet needs 2 to 256 characters, not %zu"), size);
      return FALSE;
    }

  /* Accept a byte only below the largest multiple of @size that fits in a
   * byte, so every character is equally likely. */
  limit = 256 - (256 % size);

  for (gsize i = 0; i < n; )
    {
      guint8 b;

      if (used == sizeof pool)
        {
          if (RAND_priv_bytes (pool, sizeof pool) != 1)
            {
              sc_memwipe (pool, sizeof pool);
              _sc_set_openssl_error (error, SC_PIN_ERROR, SC_PIN_ERROR_RANDOM,
                                     _("The system’s random number generator failed; no PIN was made"));
              return FALSE;
            }
          used = 0;
        }
      b = pool[used++];
      if (b < limit)
        out[i++] = alphabet[b % size];
    }

  sc_memwipe (pool, sizeof pool);
  return TRUE;
}

/**
 * sc_pin_generate:
 * @alphabet: the characters a PIN may use, each once
 * @length: the PIN's length
 *
 * Returns: (transfer full): the PIN, as a secret text.
 */
ScSecret *
sc_pin_generate (const char  *alphabet,
                 guint        length,
                 GError     **error)
{
  char buf[64];
  ScSecret *pin;

  g_return_val_if_fail (alphabet != NULL, NULL);
  g_return_val_if_fail (length >= 2 && length < sizeof buf, NULL);

  do
    {
      if (!sc_pin_fill_uniform (alphabet, buf, length, error))
        return NULL;
      buf[length] = '\0';
    }
  while (sc_pin_is_trivial (buf));

  pin = sc_secret_new (buf, length);
  sc_memwipe (buf, sizeof buf);
  return pin;
}
