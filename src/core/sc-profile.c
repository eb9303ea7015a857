/* sc-profile.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <openssl/objects.h>

#include "sc-crypto.h"
#include "sc-printer.h"
#include "sc-profile.h"
#include "sc-yubikey-signer.h"

#define DEFAULT_PIN_ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#define DEFAULT_SERIAL_PATTERN "[A-Za-z0-9]{12,50}"

struct _ScProfile
{
  GObject          parent_instance;

  char            *path;
  char            *name;
  char            *device_type_id;
  char            *pid;
  char            *dak_uri;
  ScDakKind        dak_kind;
  char            *dak_key_path;
  char            *dak_chain_path;
  char            *trust_anchor_path;
  guint8           trust_anchor_sha256[32];
  gboolean         has_trust_anchor_sha256;
  ScKeyOrigin      key_origin;
  gboolean         require_dsn;
  GArray          *allowed_extensions;
  char            *pin_alphabet;
  guint            pin_length;
  char            *serial_pattern;
  GRegex          *serial_regex;
  char            *device_uri;
  char            *flasher;
  guint            flasher_timeout;
  ScLabelSettings  label;
  char            *label_icon_path;
  char            *label_package_code;
  ScPrinterSettings printer;
  char            *printer_uri;
};

G_DEFINE_FINAL_TYPE (ScProfile, sc_profile, G_TYPE_OBJECT)

G_DEFINE_QUARK (sc-profile-error-quark, sc_profile_error)

/* Every group and key the format knows; anything else is reported, since a
 * misspelt key would otherwise silently fall back to its default. */
static const struct { const char *group; const char *keys[12]; } known_keys[] = {
  { "product", { "name", "device-type-id", "pid", NULL } },
  { "dak", { "uri", "chain", "trust-anchor", NULL } },
  { "keys", { "origin", NULL } },
  { "csr", { "require-dsn", "allowed-extensions", NULL } },
  { "pin", { "alphabet", "length", NULL } },
  { "serial", { "pattern", NULL } },
  { "device", { "uri", "flasher", "flasher-timeout", "trust-flasher", NULL } },
  { "label", { "symbology", "symbol-size", "dpi", "product-min-mm", "package-min-mm",
               "icon", "include-serial", "trailing-semicolon", "package-code", NULL } },
  { "printer", { "uri", "dpi", "x-offset", "y-offset", "darkness", "label-width-mm", "label-length-mm", NULL } },
};

/* Sizes of square ECC200 symbols. */
static const guint datamatrix_sizes[] = {
  10, 12, 14, 16, 18, 20, 22, 24, 26, 32, 36, 40, 44, 48, 52, 64, 72, 80, 88, 96, 104, 120, 132, 144,
};

typedef struct
{
  GKeyFile   *kf;
  const char *base_dir;
  GString    *problems;
  guint       n_problems;
} Loader;

static void sc_profile_finalize (GObject *object);

static void
sc_profile_class_init (ScProfileClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sc_profile_finalize;
}

static void
sc_profile_init (ScProfile *self)
{
  self->allowed_extensions = g_array_new (FALSE, FALSE, sizeof (int));
}

static void
sc_profile_finalize (GObject *object)
{
  ScProfile *self = SC_PROFILE (object);

  g_free (self->path);
  g_free (self->name);
  g_free (self->device_type_id);
  g_free (self->pid);
  g_free (self->dak_uri);
  g_free (self->dak_key_path);
  g_free (self->dak_chain_path);
  g_free (self->trust_anchor_path);
  g_array_unref (self->allowed_extensions);
  g_free (self->pin_alphabet);
  g_free (self->serial_pattern);
  g_clear_pointer (&self->serial_regex, g_regex_unref);
  g_free (self->device_uri);
  g_free (self->flasher);
  g_free (self->label_icon_path);
  g_free (self->label_package_code);
  g_free (self->printer_uri);

  G_OBJECT_CLASS (sc_profile_parent_class)->finalize (object);
}

static void problem (Loader *l, const char *group, const char *key, const char *format, ...) G_GNUC_PRINTF (4, 5);

static void
problem (Loader     *l,
         const char *group,
         const char *key,
         const char *format,
         ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_string_append_printf (l->problems, "\n  [%s] %s: %s", group, key, message);
  l->n_problems++;
}

static char *
get_string (Loader     *l,
            const char *group,
            const char *key,
            const char *fallback)
{
  g_autoptr(GError) error = NULL;
  char *value = g_key_file_get_string (l->kf, group, key, &error);

  if (value == NULL)
    {
      if (fallback == NULL)
        problem (l, group, key, _("is required"));
      return g_strdup (fallback);
    }

  g_strstrip (value);
  if (value[0] == '\0')
    {
      g_free (value);
      if (fallback == NULL)
        problem (l, group, key, _("must not be empty"));
      return g_strdup (fallback);
    }
  return value;
}

static gboolean
get_boolean (Loader     *l,
             const char *group,
             const char *key,
             gboolean    fallback)
{
  g_autoptr(GError) error = NULL;
  gboolean value;

  if (!g_key_file_has_key (l->kf, group, key, NULL))
    return fallback;
  value = g_key_file_get_boolean (l->kf, group, key, &error);
  if (error != NULL)
    {
      problem (l, group, key, _("must be true or false"));
      return fallback;
    }
  return value;
}

static guint
get_uint (Loader     *l,
          const char *group,
          const char *key,
          guint       fallback,
          guint       min,
          guint       max)
{
  g_autofree char *text = NULL;
  guint64 value;

  if (!g_key_file_has_key (l->kf, group, key, NULL))
    return fallback;
  text = get_string (l, group, key, "");
  if (!g_ascii_string_to_unsigned (text, 10, min, max, &value, NULL))
    {
      problem (l, group, key, _("must be a whole number from %u to %u"), min, max);
      return fallback;
    }
  return (guint) value;
}

static double
get_mm (Loader     *l,
        const char *group,
        const char *key,
        double      fallback)
{
  g_autofree char *text = NULL;
  char *end = NULL;
  double value;

  if (!g_key_file_has_key (l->kf, group, key, NULL))
    return fallback;
  text = get_string (l, group, key, "");
  value = g_ascii_strtod (text, &end);
  if (text[0] == '\0' || *end != '\0' || !(value >= 1.0 && value <= 200.0))
    {
      problem (l, group, key, _("must be a size in millimetres from 1 to 200"));
      return fallback;
    }
  return value;
}

static gboolean
is_alnum_string (const char *s,
                 gboolean    upper_only)
{
  for (; *s; s++)
    if (!(g_ascii_isdigit (*s) || g_ascii_isupper (*s) || (!upper_only && g_ascii_islower (*s))))
      return FALSE;
  return TRUE;
}

static char *
resolve_path (Loader     *l,
              const char *path)
{
  if (g_path_is_absolute (path) || l->base_dir == NULL)
    return g_strdup (path);
  return g_build_filename (l->base_dir, path, NULL);
}

static char *
get_file (Loader     *l,
          const char *group,
          const char *key,
          const char *value)
{
  g_autofree char *path = resolve_path (l, value);

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *display = g_filename_display_name (path);
      problem (l, group, key, _("the file “%s” does not exist"), display);
      return NULL;
    }
  return g_steal_pointer (&path);
}

static gboolean
parse_sha256 (const char *text,
              guint8      out[32])
{
  guint n = 0;

  for (const char *p = text; *p; )
    {
      int hi, lo;

      if (*p == ':' && n > 0)
        p++;
      hi = g_ascii_xdigit_value (p[0]);
      lo = hi < 0 ? -1 : g_ascii_xdigit_value (p[1]);
      if (hi < 0 || lo < 0 || n == 32)
        return FALSE;
      out[n++] = (guint8) (hi << 4 | lo);
      p += 2;
    }
  return n == 32;
}

static gboolean
valid_upc_or_ean (const char *code,
                  const char **why)
{
  gsize len = strlen (code);
  int sum = 0;

  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (code[i]))
      {
        *why = _("must be digits only");
        return FALSE;
      }
  if (len != 12 && len != 13)
    {
      *why = _("must be a UPC-A (12 digits) or an EAN-13 (13 digits)");
      return FALSE;
    }
  /* Weights 3,1,3,... counted from the digit left of the check digit. */
  for (gsize i = 0; i < len - 1; i++)
    sum += (code[len - 2 - i] - '0') * (i % 2 == 0 ? 3 : 1);
  if ((10 - sum % 10) % 10 != code[len - 1] - '0')
    {
      *why = _("has a wrong check digit");
      return FALSE;
    }
  return TRUE;
}

static void
load_product (ScProfile *self,
              Loader    *l)
{
  self->name = get_string (l, "product", "name", NULL);
  if (self->name != NULL && g_utf8_strlen (self->name, -1) > 100)
    problem (l, "product", "name", _("must be at most 100 characters"));

  self->device_type_id = get_string (l, "product", "device-type-id", NULL);
  if (self->device_type_id != NULL &&
      (strlen (self->device_type_id) < 4 || strlen (self->device_type_id) > 32 ||
       !is_alnum_string (self->device_type_id, TRUE)))
    problem (l, "product", "device-type-id",
             _("must be 4 to 32 upper-case letters and digits, like A13HOHDXTVQYZO"));

  self->pid = get_string (l, "product", "pid", NULL);
  if (self->pid != NULL && (strlen (self->pid) != 4 || !is_alnum_string (self->pid, FALSE)))
    problem (l, "product", "pid", _("must be exactly 4 letters or digits, like ebK3"));
}

static void
load_dak (ScProfile *self,
          Loader    *l)
{
  g_autofree char *uri = get_string (l, "dak", "uri", NULL);
  g_autofree char *chain = get_string (l, "dak", "chain", NULL);
  g_autofree char *anchor = get_string (l, "dak", "trust-anchor", NULL);

  if (uri != NULL)
    {
      self->dak_uri = g_strdup (uri);
      if (g_str_has_prefix (uri, "yubikey://"))
        {
          g_autoptr(GError) uri_error = NULL;

          self->dak_kind = SC_DAK_KIND_YUBIKEY;
          if (!sc_yubikey_uri_parse (uri, NULL, NULL, &uri_error))
            problem (l, "dak", "uri", "%s", uri_error->message);
        }
      else if (g_str_has_prefix (uri, "pkcs11:"))
        {
          self->dak_kind = SC_DAK_KIND_PKCS11;
        }
      else
        {
          g_autofree char *path = NULL;

          self->dak_kind = SC_DAK_KIND_FILE;
          if (g_str_has_prefix (uri, "file://"))
            path = g_filename_from_uri (uri, NULL, NULL);
          else if (g_str_has_prefix (uri, "file:"))
            path = g_strdup (uri + strlen ("file:"));
          else if (strstr (uri, "://") == NULL)
            path = g_strdup (uri);

          if (path == NULL || path[0] == '\0')
            problem (l, "dak", "uri",
                     _("must be a key file path, file:///path, yubikey://SERIAL?slot=9c or a pkcs11: URI"));
          else
            self->dak_key_path = get_file (l, "dak", "uri", path);
        }
    }

  if (chain != NULL)
    self->dak_chain_path = get_file (l, "dak", "chain", chain);

  if (anchor != NULL)
    {
      if (g_ascii_strncasecmp (anchor, "sha256:", 7) == 0)
        {
          if (parse_sha256 (anchor + 7, self->trust_anchor_sha256))
            self->has_trust_anchor_sha256 = TRUE;
          else
            problem (l, "dak", "trust-anchor",
                     _("a fingerprint must be sha256: followed by 32 bytes in hex"));
        }
      else
        self->trust_anchor_path = get_file (l, "dak", "trust-anchor", anchor);
    }
}

static void
load_keys_and_csr (ScProfile *self,
                   Loader    *l)
{
  g_autofree char *origin = get_string (l, "keys", "origin", "device");
  g_auto(GStrv) extensions = NULL;

  if (g_str_equal (origin, "device"))
    self->key_origin = SC_KEY_ORIGIN_DEVICE;
  else if (g_str_equal (origin, "station"))
    self->key_origin = SC_KEY_ORIGIN_STATION;
  else
    problem (l, "keys", "origin", _("must be device or station"));

  self->require_dsn = get_boolean (l, "csr", "require-dsn", TRUE);

  extensions = g_key_file_get_string_list (l->kf, "csr", "allowed-extensions", NULL, NULL);
  for (guint i = 0; extensions != NULL && extensions[i] != NULL; i++)
    {
      const char *name = g_strstrip (extensions[i]);
      int nid;

      if (name[0] == '\0')
        continue;
      nid = OBJ_txt2nid (name);
      if (nid == NID_undef)
        problem (l, "csr", "allowed-extensions", _("“%s” is not a known extension name or OID"), name);
      else if (nid == NID_basic_constraints || nid == NID_name_constraints ||
               nid == NID_policy_constraints || nid == NID_certificate_policies)
        /* A device never needs these, and a CA-shaped request is exactly what an
         * attacker would send to turn the DAK into a sub-CA. */
        problem (l, "csr", "allowed-extensions", _("“%s” may never be allowed in a device CSR"), name);
      else
        g_array_append_val (self->allowed_extensions, nid);
    }
}

static void
load_pin (ScProfile *self,
          Loader    *l)
{
  g_autofree char *alphabet = get_string (l, "pin", "alphabet", DEFAULT_PIN_ALPHABET);
  gboolean seen[256] = { FALSE };

  self->pin_length = get_uint (l, "pin", "length", 9, 6, 32);

  for (const char *p = alphabet; *p; p++)
    {
      guchar c = (guchar) *p;

      if (c <= 0x20 || c >= 0x7f || c == ':' || c == ';')
        {
          problem (l, "pin", "alphabet",
                   _("may hold only printable ASCII characters other than space, “:” and “;”"));
          break;
        }
      if (seen[c])
        {
          problem (l, "pin", "alphabet", _("lists “%c” more than once"), c);
          break;
        }
      seen[c] = TRUE;
    }
  if (strlen (alphabet) < 10)
    problem (l, "pin", "alphabet", _("must have at least 10 characters"));

  self->pin_alphabet = g_steal_pointer (&alphabet);
}

static void
load_serial (ScProfile *self,
             Loader    *l)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *anchored = NULL;

  self->serial_pattern = get_string (l, "serial", "pattern", DEFAULT_SERIAL_PATTERN);
  anchored = g_strdup_printf ("^(?:%s)$", self->serial_pattern);
  self->serial_regex = g_regex_new (anchored, G_REGEX_DOLLAR_ENDONLY, 0, &error);
  if (self->serial_regex == NULL)
    problem (l, "serial", "pattern", _("is not a valid regular expression: %s"), error->message);
}

static void
load_label (ScProfile *self,
            Loader    *l)
{
  g_autofree char *symbology = get_string (l, "label", "symbology", "datamatrix");
  g_autofree char *size = get_string (l, "label", "symbol-size", "auto");
  g_autofree char *icon = get_string (l, "label", "icon", "");
  g_autofree char *code = get_string (l, "label", "package-code", "");
  ScLabelSettings *label = &self->label;

  if (g_str_equal (symbology, "datamatrix"))
    label->symbology = SC_SYMBOLOGY_DATAMATRIX;
  else if (g_str_equal (symbology, "qr"))
    label->symbology = SC_SYMBOLOGY_QR;
  else
    problem (l, "label", "symbology", _("must be datamatrix or qr"));

  if (!g_str_equal (size, "auto"))
    {
      guint rows = 0, cols = 0;
      gboolean ok = sscanf (size, "%ux%u", &rows, &cols) == 2 && rows == cols;

      if (ok && label->symbology == SC_SYMBOLOGY_DATAMATRIX)
        {
          ok = FALSE;
          for (guint i = 0; i < G_N_ELEMENTS (datamatrix_sizes); i++)
            ok |= datamatrix_sizes[i] == rows;
        }
      else if (ok)
        ok = rows >= 21 && rows <= 177 && (rows - 17) % 4 == 0;

      if (ok)
        label->symbol_size = rows;
      else
        problem (l, "label", "symbol-size",
                 _("must be auto or a square size the symbology has, like 44x44"));
    }

  label->dpi = get_uint (l, "label", "dpi", 300, 100, 1200);
  label->product_min_mm = get_mm (l, "label", "product-min-mm", 10.0);
  label->package_min_mm = get_mm (l, "label", "package-min-mm", 15.0);
  label->include_serial = get_boolean (l, "label", "include-serial", TRUE);
  label->trailing_semicolon = get_boolean (l, "label", "trailing-semicolon", TRUE);

  if (icon[0] != '\0')
    {
      self->label_icon_path = get_file (l, "label", "icon", icon);
      if (self->label_icon_path != NULL &&
          !g_str_has_suffix (self->label_icon_path, ".svg") &&
          !g_str_has_suffix (self->label_icon_path, ".png"))
        problem (l, "label", "icon", _("must be an SVG or PNG file"));
    }

  if (code[0] != '\0')
    {
      const char *why = NULL;

      if (valid_upc_or_ean (code, &why))
        self->label_package_code = g_steal_pointer (&code);
      else
        problem (l, "label", "package-code", "%s", why);
    }

  label->icon_path = self->label_icon_path;
  label->package_code = self->label_package_code;
}

static void
load_device (ScProfile *self,
             Loader    *l)
{
  static const char *schemes[] = { "serial://", "tcp://", "usb://", "sim:", "command:" };
  gboolean known = FALSE;

  self->device_uri = get_string (l, "device", "uri", "sim:");
  for (guint i = 0; i < G_N_ELEMENTS (schemes); i++)
    known |= g_str_has_prefix (self->device_uri, schemes[i]);
  if (!known)
    problem (l, "device", "uri",
             _("must be serial:///dev/…?baud=N, tcp://HOST:PORT, usb://VID:PID[/SERIAL], sim: or command:"));

  self->flasher = get_string (l, "device", "flasher", "");
  if (self->flasher[0] == '\0')
    g_clear_pointer (&self->flasher, g_free);
  else if (strstr (self->flasher, "{image}") == NULL)
    problem (l, "device", "flasher", _("must name the unit’s image file as {image}"));
  if (g_str_has_prefix (self->device_uri, "command:") && self->flasher == NULL)
    problem (l, "device", "flasher", _("is required when the device is command: (the external flasher)"));
  self->flasher_timeout = get_uint (l, "device", "flasher-timeout", 120, 1, 3600);
  /* An external flasher cannot be asked what it wrote, so units it flashed
   * get labels without read-back or challenge: only if the profile says so. */
  if (g_str_has_prefix (self->device_uri, "command:") &&
      !get_boolean (l, "device", "trust-flasher", FALSE))
    problem (l, "device", "trust-flasher",
             _("must be true to use command:, which prints labels for units nobody read back; "
               "set it only if the maker’s tool verifies what it writes"));
}

/* A calibration offset: "1.5mm" or "12dots", within ±20 mm; in dots. */
static int
get_offset (Loader     *l,
            const char *key,
            guint       dpi)
{
  g_autofree char *text = NULL;
  char *end = NULL;
  double value, dots;

  if (!g_key_file_has_key (l->kf, "printer", key, NULL))
    return 0;
  text = get_string (l, "printer", key, "");
  value = g_ascii_strtod (text, &end);
  if (end == text || !(g_str_equal (end, "mm") || g_str_equal (end, "dots")) ||
      (g_str_equal (end, "dots") && value != (double) (long) value))
    {
      problem (l, "printer", key, _("must be a length like 1.5mm or 12dots"));
      return 0;
    }
  dots = g_str_equal (end, "mm") ? value * dpi / 25.4 : value;
  if (!(fabs (dots) <= 20.0 * dpi / 25.4 + 0.5))
    {
      problem (l, "printer", key, _("must be from -20 mm to 20 mm"));
      return 0;
    }
  return (int) lround (dots);
}

static void
load_printer (ScProfile *self,
              Loader    *l)
{
  g_autofree char *uri = get_string (l, "printer", "uri", "");
  ScPrinterSettings *printer = &self->printer;
  guint dpi;

  if (uri[0] != '\0')
    {
      g_autoptr(GError) uri_error = NULL;

      if (sc_printer_check_uri (uri, &uri_error))
        self->printer_uri = g_steal_pointer (&uri);
      else
        problem (l, "printer", "uri", "%s", uri_error->message);
    }
  printer->uri = self->printer_uri;

  /* Labels are laid out in the printer's dots: one resolution, given once
   * or given the same in both places. */
  dpi = get_uint (l, "printer", "dpi", 0, 100, 1200);
  if (dpi != 0 && g_key_file_has_key (l->kf, "label", "dpi", NULL) && dpi != self->label.dpi)
    problem (l, "printer", "dpi", _("is %u but [label] dpi is %u; labels are laid out in the printer’s dots, "
                                    "so give the resolution once, here"), dpi, self->label.dpi);
  else if (dpi != 0)
    self->label.dpi = dpi;
  printer->dpi = self->label.dpi;

  printer->x_offset = get_offset (l, "x-offset", printer->dpi);
  printer->y_offset = get_offset (l, "y-offset", printer->dpi);
  /* ZPL moves a label up with ^LT, by at most 120 dots. */
  if (printer->y_offset < -120)
    {
      problem (l, "printer", "y-offset", _("can move the label up by at most 120 dots (ZPL ^LT); "
                                            "at %u dpi that is %.1f mm"), printer->dpi, 120 * 25.4 / printer->dpi);
      printer->y_offset = 0;
    }

  printer->darkness = -1;
  if (g_key_file_has_key (l->kf, "printer", "darkness", NULL))
    printer->darkness = (int) get_uint (l, "printer", "darkness", 0, 0, 30);

  if (g_key_file_has_key (l->kf, "printer", "label-width-mm", NULL))
    printer->width = (guint) lround (get_mm (l, "printer", "label-width-mm", 0) * printer->dpi / 25.4);
  if (g_key_file_has_key (l->kf, "printer", "label-length-mm", NULL))
    printer->length = (guint) lround (get_mm (l, "printer", "label-length-mm", 0) * printer->dpi / 25.4);
}

static void
check_unknown_keys (Loader *l)
{
  g_auto(GStrv) groups = g_key_file_get_groups (l->kf, NULL);

  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_auto(GStrv) keys = NULL;
      guint g;

      for (g = 0; g < G_N_ELEMENTS (known_keys); g++)
        if (g_str_equal (known_keys[g].group, groups[i]))
          break;
      if (g == G_N_ELEMENTS (known_keys))
        {
          problem (l, groups[i], "*", _("unknown group"));
          continue;
        }

      keys = g_key_file_get_keys (l->kf, groups[i], NULL, NULL);
      for (guint k = 0; keys != NULL && keys[k] != NULL; k++)
        if (!g_strv_contains (known_keys[g].keys, keys[k]))
          problem (l, groups[i], keys[k], _("unknown key"));
    }
}

static ScProfile *
load (GKeyFile    *kf,
      const char  *path,
      const char  *base_dir,
      GError     **error)
{
  g_autoptr(ScProfile) self = g_object_new (SC_TYPE_PROFILE, NULL);
  g_autoptr(GString) problems = g_string_new (NULL);
  Loader l = { kf, base_dir, problems, 0 };

  self->path = g_strdup (path);

  check_unknown_keys (&l);
  load_product (self, &l);
  load_dak (self, &l);
  load_keys_and_csr (self, &l);
  load_pin (self, &l);
  load_serial (self, &l);
  load_device (self, &l);
  load_label (self, &l);
  load_printer (self, &l);

  if (l.n_problems > 0)
    {
      g_autofree char *display = path ? g_filename_display_name (path) : g_strdup (_("(built in)"));

      g_set_error (error, SC_PROFILE_ERROR, SC_PROFILE_ERROR_INVALID,
                   g_dngettext (GETTEXT_PACKAGE,
                                "The product profile “%s” has %u problem; fix it and load it again:%s",
                                "The product profile “%s” has %u problems; fix them and load it again:%s",
                                l.n_problems),
                   display, l.n_problems, problems->str);
      return NULL;
    }

  return g_steal_pointer (&self);
}

/**
 * sc_profile_new_from_file:
 * @path: a product profile (see docs/profile.md)
 *
 * Loads and validates a profile. Relative file names in it are taken from
 * the folder that holds @path.
 *
 * Returns: (transfer full): the profile, or %NULL with @error naming every
 *   bad field.
 */
ScProfile *
sc_profile_new_from_file (const char  *path,
                          GError     **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *absolute = NULL;
  g_autofree char *base_dir = NULL;
  g_autofree char *display = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  absolute = g_canonicalize_filename (path, NULL);
  display = g_filename_display_name (path);
  base_dir = g_path_get_dirname (absolute);

  if (!g_key_file_load_from_file (kf, absolute, G_KEY_FILE_NONE, &local_error))
    {
      if (local_error->domain == G_FILE_ERROR)
        g_set_error (error, SC_PROFILE_ERROR, SC_PROFILE_ERROR_NOT_FOUND,
                     _("Cannot read the product profile “%s”: %s"), display, local_error->message);
      else
        g_set_error (error, SC_PROFILE_ERROR, SC_PROFILE_ERROR_PARSE,
                     _("The product profile “%s” is not a valid key file: %s"),
                     display, local_error->message);
      return NULL;
    }

  return load (kf, absolute, base_dir, error);
}

ScProfile *
sc_profile_new_from_data (const char  *data,
                          gssize       len,
                          const char  *base_dir,
                          GError     **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (data != NULL, NULL);

  if (!g_key_file_load_from_data (kf, data, len, G_KEY_FILE_NONE, &local_error))
    {
      g_set_error (error, SC_PROFILE_ERROR, SC_PROFILE_ERROR_PARSE,
                   _("The product profile is not a valid key file: %s"), local_error->message);
      return NULL;
    }

  return load (kf, NULL, base_dir, error);
}

gboolean
sc_profile_check_serial (ScProfile   *self,
                         const char  *serial,
                         GError     **error)
{
  g_return_val_if_fail (SC_IS_PROFILE (self), FALSE);
  g_return_val_if_fail (serial != NULL, FALSE);

  if (serial[0] == '\0')
    {
      g_set_error (error, SC_PROFILE_ERROR, SC_PROFILE_ERROR_SERIAL,
                   _("The serial number is empty; scan the unit’s serial barcode"));
      return FALSE;
    }

  if (!g_utf8_validate (serial, -1, NULL) || !g_regex_match (self->serial_regex, serial, 0, NULL))
    {
      g_autofree char *shown = g_strescape (serial, NULL);

      g_set_error (error, SC_PROFILE_ERROR, SC_PROFILE_ERROR_SERIAL,
                   _("The serial “%s” does not match this product’s serial pattern %s; "
                     "check that the right unit and the right product are chosen"),
                   shown, self->serial_pattern);
      return FALSE;
    }

  return TRUE;
}

const char *sc_profile_get_path (ScProfile *self) { g_return_val_if_fail (SC_IS_PROFILE (self), NULL); return self->path; }
const char *sc_profile_get_name (ScProfile *self) { g_return_val_if_fail (SC_IS_PROFILE (self), NULL); return self->name; }
const char *sc_profile_get_device_type_id (ScProfile *self) { g_return_val_if_fail (SC_IS_PROFILE (self), NULL); return self->device_type_id; }
const char *sc_profile_get_pid (ScProfile *self) { g_return_val_if_fail (SC_IS_PROFILE (self), NULL); return self->pid; }
const char *sc_profile_get_dak_uri (ScProfile *self) { g_return_val_if_fail (SC_IS_PROFILE (self), NULL); return self->dak_uri; }
ScDakKind sc_profile_get_dak_kind (ScProfile *self) { g_return_val_if_fail (SC_IS_PROFILE (self), 0); return self->dak_kind; }
const char *sc_profile_get_dak_key_path (ScProfile *self) { g_return_val_if_fail (SC_IS_PROFILE (self), NULL); return self->dak_key_path; }
const char *sc_profile_get_dak_chain_path (ScProfile *self) { g_return_val_if_fail (SC_IS_PROFILE (self), NULL); return self->dak_chain_path; }
const char *sc_profile_get_trust_anchor_path (ScProfile *self) { g_return_val_if_fail (SC_IS_PROFILE (self), NULL); return self->trust_anchor_path; }
ScKeyOrigin sc_profile_get_key_origin (ScProfile *self) { g_return_val_if_fail (SC_IS_PROFILE (self), 0); return self->key_origin; }
gboolean sc_profile_get_require_dsn (ScProfile *self) { g_return_val_if_fail (SC_IS_PROFILE (self), TRUE); return self->require_dsn; }
const char *sc_profile_get_pin_alphabet (ScProfile *self) { g_return_val_if_fail (SC_IS_PROFILE (self), NULL); return self->pin_alphabet; }
guint sc_profile_get_pin_length (ScProfile *self) { g_return_val_if_fail (SC_IS_PROFILE (self), 0); return self->pin_length; }
const char *sc_profile_get_serial_pattern (ScProfile *self) { g_return_val_if_fail (SC_IS_PROFILE (self), NULL); return self->serial_pattern; }
const char *sc_profile_get_device_uri (ScProfile *self) { g_return_val_if_fail (SC_IS_PROFILE (self), NULL); return self->device_uri; }
const char *sc_profile_get_flasher (ScProfile *self) { g_return_val_if_fail (SC_IS_PROFILE (self), NULL); return self->flasher; }
guint sc_profile_get_flasher_timeout (ScProfile *self) { g_return_val_if_fail (SC_IS_PROFILE (self), 0); return self->flasher_timeout; }
const ScLabelSettings *sc_profile_get_label_settings (ScProfile *self) { g_return_val_if_fail (SC_IS_PROFILE (self), NULL); return &self->label; }
const ScPrinterSettings *sc_profile_get_printer_settings (ScProfile *self) { g_return_val_if_fail (SC_IS_PROFILE (self), NULL); return &self->printer; }

/**
 * sc_profile_get_trust_anchor_sha256:
 *
 * Returns: (nullable): the 32-byte SHA-256 fingerprint of the trust anchor
 *   when the profile names the anchor by fingerprint, else %NULL.
 */
const guint8 *
sc_profile_get_trust_anchor_sha256 (ScProfile *self)
{
  g_return_val_if_fail (SC_IS_PROFILE (self), NULL);

  return self->has_trust_anchor_sha256 ? self->trust_anchor_sha256 : NULL;
}

const int *
sc_profile_get_allowed_extensions (ScProfile *self,
                                   guint     *n_nids)
{
  g_return_val_if_fail (SC_IS_PROFILE (self), NULL);

  *n_nids = self->allowed_extensions->len;
  return (const int *) (gpointer) self->allowed_extensions->data;
}
