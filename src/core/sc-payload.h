/* sc-payload.h: the FFS barcode payload (spec section 3)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define SC_PAYLOAD_ERROR (sc_payload_error_quark ())

/* One code per rule; a payload that breaks several is reported with the code
 * of the first and a message naming every key and rule broken. */
typedef enum
{
  SC_PAYLOAD_ERROR_EMPTY,          /* nothing to encode or parse */
  SC_PAYLOAD_ERROR_SYNTAX,         /* not KEY:value pairs joined by ';' */
  SC_PAYLOAD_ERROR_UNKNOWN_KEY,    /* a key the spec does not define */
  SC_PAYLOAD_ERROR_DUPLICATE_KEY,  /* a key given twice */
  SC_PAYLOAD_ERROR_MISSING_KEY,    /* ABV, PID, PUK, PIN (product) or UPC/EAN (package) absent */
  SC_PAYLOAD_ERROR_KEY_ORDER,      /* keys not in the order ABV, SERNUM, PID, PUK, PIN|UPC|EAN */
  SC_PAYLOAD_ERROR_ABV,            /* not IB01 or OB01, or not this kind of label */
  SC_PAYLOAD_ERROR_SERNUM,         /* not 12 to 50 letters and digits */
  SC_PAYLOAD_ERROR_PID,            /* not 4 letters and digits */
  SC_PAYLOAD_ERROR_PUK,            /* not a compressed P-256 SubjectPublicKeyInfo */
  SC_PAYLOAD_ERROR_PIN,            /* bad PIN, or a PIN on a package label */
  SC_PAYLOAD_ERROR_UPC,            /* not 12 digits with a valid check digit */
  SC_PAYLOAD_ERROR_EAN,            /* not 13 digits with a valid check digit */
  SC_PAYLOAD_ERROR_PACKAGE_CODE,   /* both UPC and EAN, or either on a product label */
} ScPayloadError;

typedef enum
{
  SC_LABEL_KIND_PRODUCT,  /* ABV IB01, carries the PIN */
  SC_LABEL_KIND_PACKAGE,  /* ABV OB01, carries UPC or EAN */
} ScLabelKind;

#define SC_TYPE_PAYLOAD (sc_payload_get_type ())

/* The fields of one label's payload. Strings are owned; the payload text and
 * the PIN are wiped when the payload is freed. */
typedef struct
{
  ScLabelKind  kind;
  char        *serial;        /* SERNUM, or NULL */
  char        *pid;
  char        *puk;
  char        *pin;           /* product only */
  char        *upc;           /* package only: one of upc or ean */
  char        *ean;
  gboolean     trailing_semicolon;
} ScPayload;

/* What a parse accepts beyond the spec's table. */
typedef struct
{
  const char *pin_alphabet;   /* NULL: [A-Za-z0-9] */
  guint       pin_length;     /* 0: any length from 4 to 32 */
  gboolean    allow_unknown_keys;
} ScPayloadRules;

GType       sc_payload_get_type       (void) G_GNUC_CONST;
GQuark      sc_payload_error_quark    (void);

ScPayload  *sc_payload_new            (ScLabelKind           kind);
ScPayload  *sc_payload_copy           (const ScPayload      *self);
void        sc_payload_free           (ScPayload            *self);

/* The text to encode, keys in the spec's order. Checks the fields first, so
 * a payload that would not parse back is never built. */
char       *sc_payload_to_string      (const ScPayload      *self,
                                       GError              **error);

/* Parses and validates @text against every rule of the spec's key table. */
ScPayload  *sc_payload_parse          (const char           *text,
                                       const ScPayloadRules *rules,
                                       GError              **error);

/* "product" or "package": the name files, the records and scripts use. */
const char *sc_label_kind_to_string   (ScLabelKind           kind);
gboolean    sc_label_kind_from_string (const char           *str,
                                       ScLabelKind          *kind);
/* The label in the operator's words, its noun included ("product label",
 * "package label"), translated, for a sentence ("The %s of …"); never for
 * a file, the records or a script. */
const char *sc_label_kind_to_display  (ScLabelKind           kind);

/* UPC-A (12) or EAN-13 (13) digits with a valid check digit. */
gboolean    sc_gtin_is_valid          (const char           *digits,
                                       gsize                 length);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ScPayload, sc_payload_free)

G_END_DECLS
