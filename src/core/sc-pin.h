/* sc-pin.h: the unit's setup PIN
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "sc-secret.h"

G_BEGIN_DECLS

#define SC_PIN_ERROR (sc_pin_error_quark ())

typedef enum
{
  SC_PIN_ERROR_ALPHABET,  /* the alphabet is unusable */
  SC_PIN_ERROR_RANDOM,    /* the OS random source failed */
} ScPinError;

GQuark    sc_pin_error_quark (void);

/* A PIN of @length characters drawn uniformly from @alphabet with the
 * OS CSPRNG; trivial PINs (sc_pin_is_trivial()) are drawn again. */
ScSecret *sc_pin_generate   (const char  *alphabet,
                             guint        length,
                             GError     **error);

/* Fills @out with @n characters drawn uniformly and independently from
 * @alphabet (rejection sampling, no modulo bias). */
gboolean  sc_pin_fill_uniform (const char  *alphabet,
                               char        *out,
                               gsize        n,
                               GError     **error);

/* TRUE for one repeated character, or for a PIN whose every character is
 * the next (or every one the previous) in ASCII order, like 123456789 or
 * ihgfedcba. */
gboolean  sc_pin_is_trivial (const char  *pin);

G_END_DECLS
