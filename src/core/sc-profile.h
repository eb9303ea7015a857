/* sc-profile.h: one product line's settings, loaded from a key file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define SC_PROFILE_ERROR (sc_profile_error_quark ())

typedef enum
{
  SC_PROFILE_ERROR_NOT_FOUND,  /* the file cannot be read */
  SC_PROFILE_ERROR_PARSE,      /* not a key file */
  SC_PROFILE_ERROR_INVALID,    /* one or more fields are wrong; the message names each */
  SC_PROFILE_ERROR_SERIAL,     /* a serial that the profile does not accept */
} ScProfileError;

typedef enum
{
  SC_KEY_ORIGIN_DEVICE,   /* the unit makes its key and returns a CSR */
  SC_KEY_ORIGIN_STATION,  /* the station makes the key and writes it to the unit */
} ScKeyOrigin;

typedef enum
{
  SC_DAK_KIND_FILE,     /* software DAK: PEM private key file */
  SC_DAK_KIND_YUBIKEY,  /* yubikey://SERIAL?slot=9c */
  SC_DAK_KIND_PKCS11,   /* pkcs11: URI (RFC 7512) */
} ScDakKind;

typedef enum
{
  SC_SYMBOLOGY_DATAMATRIX,
  SC_SYMBOLOGY_QR,
} ScSymbology;

typedef struct
{
  ScSymbology  symbology;
  guint        symbol_size;        /* 0: the smallest that holds the payload */
  guint        dpi;
  double       product_min_mm;
  double       package_min_mm;
  const char  *icon_path;          /* NULL: the shipped placeholder */
  gboolean     include_serial;
  gboolean     trailing_semicolon;
  const char  *package_code;       /* UPC-A or EAN-13 digits, or NULL */
} ScLabelSettings;

/* The label printer and its calibration ([printer], docs/profile.md). The
 * printer's resolution is the label settings' dpi. */
typedef struct
{
  const char  *uri;                /* NULL: label files in the data dir */
  guint        dpi;                /* the resolution labels are laid out at */
  int          x_offset;           /* dots; positive moves the label right (ZPL) */
  int          y_offset;           /* dots; positive moves the label down (ZPL) */
  int          darkness;           /* 0 to 30 (ZPL ~SD), or -1: the printer's own setting */
  guint        width;              /* the label stock's width in dots (ZPL ^PW), 0: not given */
  guint        length;             /* the label stock's length in dots (ZPL ^LL), 0: not given */
} ScPrinterSettings;

#define SC_TYPE_PROFILE (sc_profile_get_type ())

G_DECLARE_FINAL_TYPE (ScProfile, sc_profile, SC, PROFILE, GObject)

GQuark                 sc_profile_error_quark          (void);

ScProfile             *sc_profile_new_from_file        (const char   *path,
                                                        GError      **error);
ScProfile             *sc_profile_new_from_data        (const char   *data,
                                                        gssize        len,
                                                        const char   *base_dir,
                                                        GError      **error);

const char            *sc_profile_get_path             (ScProfile    *self);
const char            *sc_profile_get_name             (ScProfile    *self);
const char            *sc_profile_get_device_type_id   (ScProfile    *self);
const char            *sc_profile_get_pid              (ScProfile    *self);
const char            *sc_profile_get_dak_uri          (ScProfile    *self);
ScDakKind              sc_profile_get_dak_kind         (ScProfile    *self);
const char            *sc_profile_get_dak_key_path     (ScProfile    *self);
const char            *sc_profile_get_dak_chain_path   (ScProfile    *self);
const char            *sc_profile_get_trust_anchor_path (ScProfile   *self);
const guint8          *sc_profile_get_trust_anchor_sha256 (ScProfile *self);
ScKeyOrigin            sc_profile_get_key_origin       (ScProfile    *self);
gboolean               sc_profile_get_require_dsn      (ScProfile    *self);
const int             *sc_profile_get_allowed_extensions (ScProfile  *self,
                                                        guint        *n_nids);
const char            *sc_profile_get_pin_alphabet     (ScProfile    *self);
guint                  sc_profile_get_pin_length       (ScProfile    *self);
const char            *sc_profile_get_serial_pattern   (ScProfile    *self);
const char            *sc_profile_get_device_uri       (ScProfile    *self);
const char            *sc_profile_get_flasher          (ScProfile    *self);
guint                  sc_profile_get_flasher_timeout  (ScProfile    *self);
const ScLabelSettings *sc_profile_get_label_settings   (ScProfile    *self);
const ScPrinterSettings *sc_profile_get_printer_settings (ScProfile  *self);

gboolean               sc_profile_check_serial         (ScProfile    *self,
                                                        const char   *serial,
                                                        GError      **error);

G_END_DECLS
