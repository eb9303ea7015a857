/* sc-secret.h: bytes that are wiped when the last reference goes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define SC_TYPE_SECRET (sc_secret_get_type ())

/* An immutable, reference-counted buffer for private keys, PINs and the DAK
 * PIN. The bytes are always followed by a NUL so a text secret can be read as
 * a C string, and they are overwritten with zeros before the memory is freed.
 */
typedef struct _ScSecret ScSecret;

GType          sc_secret_get_type        (void) G_GNUC_CONST;
ScSecret      *sc_secret_new_take_from   (void          *data,
                                          gsize          len);
ScSecret      *sc_secret_new             (const void    *data,
                                          gsize          len);
ScSecret      *sc_secret_new_from_string (const char    *str);
ScSecret      *sc_secret_ref             (ScSecret      *self);
void           sc_secret_unref           (ScSecret      *self);
const guint8  *sc_secret_get_data        (const ScSecret *self,
                                          gsize         *len);
const char    *sc_secret_get_string      (const ScSecret *self);
gsize          sc_secret_get_size        (const ScSecret *self);
gboolean       sc_secret_equal           (const ScSecret *a,
                                          const ScSecret *b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ScSecret, sc_secret_unref)

/* Wipes @len bytes at @p in a way the compiler cannot elide. */
void           sc_memwipe                (void          *p,
                                          gsize          len);

/* g_autofree-like cleanup for a NUL-terminated string that held a secret. */
void           sc_clear_secret_string    (char         **str);

/* Declares a string that is wiped and freed when it goes out of scope:
 * `sc_autowipe char *pin = NULL;` */
#define sc_autowipe __attribute__ ((cleanup (sc_clear_secret_string)))

G_END_DECLS
