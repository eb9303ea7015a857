/* sc-symbol.h: 2D symbols as module matrices
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "sc-profile.h"

G_BEGIN_DECLS

#define SC_SYMBOL_ERROR (sc_symbol_error_quark ())

typedef enum
{
  SC_SYMBOL_ERROR_EMPTY,     /* nothing to encode */
  SC_SYMBOL_ERROR_TOO_LONG,  /* the payload does not fit the forced size, or any size */
  SC_SYMBOL_ERROR_FAILED,    /* the encoder failed */
} ScSymbolError;

#define SC_TYPE_SYMBOL (sc_symbol_get_type ())

/* An encoded symbol: a square matrix of modules, row 0 at the top, with no
 * quiet zone. Every renderer draws from this matrix. */
typedef struct _ScSymbol ScSymbol;

GType        sc_symbol_get_type        (void) G_GNUC_CONST;
GQuark       sc_symbol_error_quark     (void);

/* @size: 0 for the smallest square symbol that holds @payload, else a forced
 * size (DataMatrix: rows = columns = size; QR: modules per side). A payload
 * that does not fit a forced size is SC_SYMBOL_ERROR_TOO_LONG, never cut. */
ScSymbol    *sc_symbol_encode          (ScSymbology  symbology,
                                        const char  *payload,
                                        guint        size,
                                        GError     **error);

ScSymbol    *sc_symbol_ref             (ScSymbol    *self);
void         sc_symbol_unref           (ScSymbol    *self);

ScSymbology  sc_symbol_get_symbology   (const ScSymbol *self);
guint        sc_symbol_get_size        (const ScSymbol *self);
gboolean     sc_symbol_get_module      (const ScSymbol *self,
                                        guint           row,
                                        guint           col);
const char  *sc_symbol_get_payload     (const ScSymbol *self);
/* Data codewords the payload needs, and the chosen size holds. */
guint        sc_symbol_get_data_needed (const ScSymbol *self);
guint        sc_symbol_get_data_capacity (const ScSymbol *self);
/* A sentence saying which size was chosen and why, for the operator. */
char        *sc_symbol_describe        (const ScSymbol *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ScSymbol, sc_symbol_unref)

G_END_DECLS
