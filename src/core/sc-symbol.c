/* sc-symbol.c: DataMatrix ECC200 through libdmtx, QR through libqrencode
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <dmtx.h>
#include <glib/gi18n-lib.h>
#include <qrencode.h>

#include "sc-secret.h"
#include "sc-symbol.h"

struct _ScSymbol
{
  ScSymbology  symbology;
  guint        size;
  guint        data_needed;
  guint        data_capacity;
  guint        smaller_size;      /* the next smaller size, 0 if none */
  guint        smaller_capacity;
  gboolean     forced;
  char        *payload;
  guint8      *modules;           /* size * size, 1 = dark */
};

G_DEFINE_QUARK (sc-symbol-error-quark, sc_symbol_error)
G_DEFINE_BOXED_TYPE (ScSymbol, sc_symbol, sc_symbol_ref, sc_symbol_unref)

static void
symbol_clear (gpointer data)
{
  ScSymbol *self = data;

  sc_clear_secret_string (&self->payload);  /* a product payload holds the PIN */
  g_free (self->modules);
}

ScSymbol *
sc_symbol_ref (ScSymbol *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return g_atomic_rc_box_acquire (self);
}

void
sc_symbol_unref (ScSymbol *self)
{
  g_return_if_fail (self != NULL);
  g_atomic_rc_box_release_full (self, symbol_clear);
}

/* The square ECC200 size index whose side is @size, or DmtxUndefined. */
static int
datamatrix_size_index (guint size)
{
  for (int i = DmtxSymbol10x10; i <= DmtxSymbol144x144; i++)
    if ((guint) dmtxGetSymbolAttribute (DmtxSymAttribSymbolRows, i) == size)
      return i;
  return DmtxUndefined;
}

/* libdmtx's encoder leaves padCount unset, so count the data codewords from
 * the padding instead: after the data comes one 129, then codewords that
 * follow ECC200's 253-state randomising (ISO/IEC 16022, 5.2.3), each a
 * function of its 1-based position. */
static guint
count_data_codewords (const guint8 *code,
                      guint         capacity)
{
  guint first_pad = capacity;

  for (guint p = capacity; p > 0; p--)
    {
      guint pos = p;  /* 1-based position of code[p - 1] */
      guint pad = 129 + (149 * pos) % 253 + 1;

      if (pad > 254)
        pad -= 254;
      if (code[p - 1] == 129)
        first_pad = p - 1;
      if (code[p - 1] != pad && code[p - 1] != 129)
        break;
      if (code[p - 1] == 129)
        break;
    }
  return first_pad;
}

/* One encoding attempt with @scheme; fills size, capacity, codewords used
 * and the module matrix. */
static gboolean
encode_datamatrix_with (ScSymbol *self,
                        int       scheme,
                        int       size_idx)
{
  DmtxEncode *enc = dmtxEncodeCreate ();

  if (enc == NULL)
    g_error ("Out of memory creating a DataMatrix encoder");

  dmtxEncodeSetProp (enc, DmtxPropScheme, scheme);
  dmtxEncodeSetProp (enc, DmtxPropSizeRequest, size_idx);
  dmtxEncodeSetProp (enc, DmtxPropModuleSize, 1);
  dmtxEncodeSetProp (enc, DmtxPropMarginSize, 0);

  if (dmtxEncodeDataMatrix (enc, (int) strlen (self->payload), (unsigned char *) self->payload) != DmtxPass)
    {
      dmtxEncodeDestroy (&enc);
      return FALSE;
    }

  size_idx = enc->region.sizeIdx;
  self->size = dmtxGetSymbolAttribute (DmtxSymAttribSymbolRows, size_idx);
  self->data_capacity = dmtxGetSymbolAttribute (DmtxSymAttribSymbolDataWords, size_idx);
  self->data_needed = count_data_codewords (enc->message->code, self->data_capacity);
  self->smaller_size = self->smaller_capacity = 0;
  if (size_idx > DmtxSymbol10x10)
    {
      self->smaller_size = dmtxGetSymbolAttribute (DmtxSymAttribSymbolRows, size_idx - 1);
      self->smaller_capacity = dmtxGetSymbolAttribute (DmtxSymAttribSymbolDataWords, size_idx - 1);
    }

  g_free (self->modules);
  self->modules = g_malloc (self->size * self->size);
  for (guint row = 0; row < self->size; row++)
    for (guint col = 0; col < self->size; col++)
      {
        /* libdmtx counts rows from the bottom. */
        int status = dmtxSymbolModuleStatus (enc->message, size_idx, (int) (self->size - 1 - row), (int) col);
        self->modules[row * self->size + col] = (status & DmtxModuleOnRGB) != 0;
      }

  dmtxEncodeDestroy (&enc);
  return TRUE;
}

static gboolean
encode_datamatrix (ScSymbol    *self,
                   guint        forced,
                   GError     **error)
{
  int size_idx = forced ? datamatrix_size_index (forced) : DmtxSymbolSquareAuto;
  g_autoptr(ScSymbol) ascii = NULL;

  if (size_idx == DmtxUndefined)
    {
      g_set_error (error, SC_SYMBOL_ERROR, SC_SYMBOL_ERROR_FAILED,
                   _("%ux%u is not a square DataMatrix size"), forced, forced);
      return FALSE;
    }

  /* libdmtx's mixed encodation (ASCII, C40, Text, X12, EDIFACT, Base256)
   * wins on FFS payloads (123 codewords against 129 in plain ASCII with a
   * 16-character serial) but not always (it leaves a trailing digit pair
   * unpaired), so plain ASCII is tried too and the fewer codewords win. */
  ascii = g_atomic_rc_box_new0 (ScSymbol);
  ascii->payload = self->payload;
  if (!encode_datamatrix_with (ascii, DmtxSchemeAscii, size_idx))
    g_clear_pointer (&ascii->modules, g_free);

  if (!encode_datamatrix_with (self, DmtxSchemeAutoBest, size_idx) && ascii->modules == NULL)
    {
      ascii->payload = NULL;
      if (forced)
        {
          /* How much the payload needs, to say so. */
          g_autoptr(ScSymbol) best = sc_symbol_encode (SC_SYMBOLOGY_DATAMATRIX, self->payload, 0, NULL);

          if (best != NULL)
            g_set_error (error, SC_SYMBOL_ERROR, SC_SYMBOL_ERROR_TOO_LONG,
                         _("The payload needs %u data codewords, but the forced DataMatrix size %ux%u "
                           "holds only %d; choose %ux%u or larger, or symbol-size=auto"),
                         best->data_needed, forced, forced,
                         dmtxGetSymbolAttribute (DmtxSymAttribSymbolDataWords, size_idx),
                         best->size, best->size);
          else
            g_set_error (error, SC_SYMBOL_ERROR, SC_SYMBOL_ERROR_TOO_LONG,
                         _("The payload does not fit the forced DataMatrix size %ux%u"), forced, forced);
        }
      else
        g_set_error (error, SC_SYMBOL_ERROR, SC_SYMBOL_ERROR_TOO_LONG,
                     _("The payload (%zu bytes) does not fit even the largest DataMatrix, 144x144"),
                     strlen (self->payload));
      return FALSE;
    }

  if (ascii->modules != NULL &&
      (self->modules == NULL || ascii->data_needed < self->data_needed))
    {
      g_free (self->modules);
      self->modules = g_steal_pointer (&ascii->modules);
      self->size = ascii->size;
      self->data_capacity = ascii->data_capacity;
      self->data_needed = ascii->data_needed;
      self->smaller_size = ascii->smaller_size;
      self->smaller_capacity = ascii->smaller_capacity;
    }
  ascii->payload = NULL;  /* borrowed */
  return TRUE;
}

/* Data capacity in 8-bit codewords of QR version @version at level M. */
static guint
qr_capacity (int version)
{
  static const guint16 m_data_codewords[41] = {
    0, 16, 28, 44, 64, 86, 108, 124, 154, 182, 216, 254, 290, 334, 365, 415, 453, 507, 563, 627,
    669, 714, 782, 860, 914, 1000, 1062, 1128, 1193, 1267, 1373, 1455, 1541, 1631, 1725, 1812,
    1914, 1992, 2102, 2216, 2334,
  };
  return version >= 1 && version <= 40 ? m_data_codewords[version] : 0;
}

static gboolean
encode_qr (ScSymbol  *self,
           guint      forced,
           GError   **error)
{
  int version = 0;
  QRcode *qr;

  if (forced)
    {
      if (forced < 21 || forced > 177 || (forced - 17) % 4 != 0)
        {
          g_set_error (error, SC_SYMBOL_ERROR, SC_SYMBOL_ERROR_FAILED,
                       _("%ux%u is not a QR size"), forced, forced);
          return FALSE;
        }
      version = (int) (forced - 17) / 4;
    }

  /* Level M, byte mode, case kept. libqrencode grows the version when the
   * data needs it, so the version produced is checked below. */
  qr = QRcode_encodeString8bit (self->payload, version, QR_ECLEVEL_M);
  if (qr == NULL)
    {
      g_set_error (error, SC_SYMBOL_ERROR, SC_SYMBOL_ERROR_TOO_LONG,
                   _("The payload (%zu bytes) does not fit a QR symbol"), strlen (self->payload));
      return FALSE;
    }
  if (forced && qr->version != version)
    {
      g_set_error (error, SC_SYMBOL_ERROR, SC_SYMBOL_ERROR_TOO_LONG,
                   _("The payload needs QR version %d (%dx%d); the forced size %ux%u is version %d"),
                   qr->version, qr->width, qr->width, forced, forced, version);
      QRcode_free (qr);
      return FALSE;
    }

  self->size = (guint) qr->width;
  self->data_capacity = qr_capacity (qr->version);
  /* Byte mode: 4-bit mode, 8- or 16-bit count, 8 bits per byte. */
  self->data_needed = (guint) ((4 + (qr->version < 10 ? 8 : 16) + 8 * strlen (self->payload) + 7) / 8);
  if (qr->version > 1)
    {
      self->smaller_size = self->size - 4;
      self->smaller_capacity = qr_capacity (qr->version - 1);
    }
  self->modules = g_malloc (self->size * self->size);
  for (guint i = 0; i < self->size * self->size; i++)
    self->modules[i] = qr->data[i] & 1;
  QRcode_free (qr);
  return TRUE;
}

/**
 * sc_symbol_encode:
 *
 * Returns: (transfer full): the symbol.
 */
ScSymbol *
sc_symbol_encode (ScSymbology   symbology,
                  const char   *payload,
                  guint         size,
                  GError      **error)
{
  g_autoptr(ScSymbol) self = NULL;
  gboolean ok;

  g_return_val_if_fail (payload != NULL, NULL);

  if (payload[0] == '\0')
    {
      g_set_error (error, SC_SYMBOL_ERROR, SC_SYMBOL_ERROR_EMPTY, _("There is no payload to encode"));
      return NULL;
    }

  self = g_atomic_rc_box_new0 (ScSymbol);
  self->symbology = symbology;
  self->forced = size != 0;
  self->payload = g_strdup (payload);

  if (symbology == SC_SYMBOLOGY_QR)
    ok = encode_qr (self, size, error);
  else
    ok = encode_datamatrix (self, size, error);

  return ok ? g_steal_pointer (&self) : NULL;
}

ScSymbology sc_symbol_get_symbology (const ScSymbol *self) { return self->symbology; }
guint sc_symbol_get_size (const ScSymbol *self) { return self->size; }
const char *sc_symbol_get_payload (const ScSymbol *self) { return self->payload; }
guint sc_symbol_get_data_needed (const ScSymbol *self) { return self->data_needed; }
guint sc_symbol_get_data_capacity (const ScSymbol *self) { return self->data_capacity; }

gboolean
sc_symbol_get_module (const ScSymbol *self,
                      guint           row,
                      guint           col)
{
  g_return_val_if_fail (row < self->size && col < self->size, FALSE);

  return self->modules[row * self->size + col];
}

char *
sc_symbol_describe (const ScSymbol *self)
{
  const char *name = self->symbology == SC_SYMBOLOGY_QR ? "QR" : "DataMatrix";

  if (self->forced)
    return g_strdup_printf (_("%s %ux%u (forced by the profile): the payload needs %u data codewords, "
                              "this size holds %u"),
                            name, self->size, self->size, self->data_needed, self->data_capacity);
  if (self->smaller_size == 0)
    return g_strdup_printf (_("%s %ux%u, the smallest size: the payload needs %u data codewords, it holds %u"),
                            name, self->size, self->size, self->data_needed, self->data_capacity);
  return g_strdup_printf (_("%s %ux%u: the payload needs %u data codewords; %ux%u holds only %u, "
                            "%ux%u holds %u"),
                          name, self->size, self->size, self->data_needed,
                          self->smaller_size, self->smaller_size, self->smaller_capacity,
                          self->size, self->size, self->data_capacity);
}
