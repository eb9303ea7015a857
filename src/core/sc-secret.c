/* sc-secret.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <openssl/crypto.h>

#include "sc-secret.h"

struct _ScSecret
{
  gsize  len;
  guint8 data[];
};

G_DEFINE_BOXED_TYPE (ScSecret, sc_secret, sc_secret_ref, sc_secret_unref)

void
sc_memwipe (void  *p,
            gsize  len)
{
  if (p != NULL && len > 0)
    OPENSSL_cleanse (p, len);
}

void
sc_clear_secret_string (char **str)
{
  if (str == NULL || *str == NULL)
    return;
  sc_memwipe (*str, strlen (*str));
  g_clear_pointer (str, g_free);
}

static ScSecret *
secret_alloc (gsize len)
{
  ScSecret *self;

  self = g_atomic_rc_box_alloc0 (sizeof (ScSecret) + len + 1);
  self->len = len;
  return self;
}

/**
 * sc_secret_new:
 * @data: (array length=len): the secret bytes, copied
 * @len: their number
 *
 * Returns: (transfer full): a new secret holding a copy of @data.
 */
ScSecret *
sc_secret_new (const void *data,
               gsize       len)
{
  ScSecret *self;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  self = secret_alloc (len);
  if (len > 0)
    memcpy (self->data, data, len);
  return self;
}

/**
 * sc_secret_new_take_from:
 * @data: (transfer full): g_malloc()ed bytes; wiped and freed here
 * @len: their number
 *
 * Copies @data into a secret, then wipes and frees @data.
 */
ScSecret *
sc_secret_new_take_from (void  *data,
                         gsize  len)
{
  ScSecret *self = sc_secret_new (data, len);

  sc_memwipe (data, len);
  g_free (data);
  return self;
}

ScSecret *
sc_secret_new_from_string (const char *str)
{
  g_return_val_if_fail (str != NULL, NULL);

  return sc_secret_new (str, strlen (str));
}

static void
secret_clear (gpointer data)
{
  ScSecret *self = data;

  sc_memwipe (self->data, self->len + 1);
  self->len = 0;
}

ScSecret *
sc_secret_ref (ScSecret *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_atomic_rc_box_acquire (self);
}

void
sc_secret_unref (ScSecret *self)
{
  g_return_if_fail (self != NULL);

  g_atomic_rc_box_release_full (self, secret_clear);
}

const guint8 *
sc_secret_get_data (const ScSecret *self,
                    gsize          *len)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (len != NULL)
    *len = self->len;
  return self->data;
}

const char *
sc_secret_get_string (const ScSecret *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return (const char *) self->data;
}

gsize
sc_secret_get_size (const ScSecret *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->len;
}

gboolean
sc_secret_equal (const ScSecret *a,
                 const ScSecret *b)
{
  g_return_val_if_fail (a != NULL, FALSE);
  g_return_val_if_fail (b != NULL, FALSE);

  return a->len == b->len && CRYPTO_memcmp (a->data, b->data, a->len) == 0;
}
