/* sc-payload.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "sc-key.h"
#include "sc-payload.h"
#include "sc-secret.h"

G_DEFINE_QUARK (sc-payload-error-quark, sc_payload_error)
G_DEFINE_BOXED_TYPE (ScPayload, sc_payload, sc_payload_copy, sc_payload_free)

#define DEFAULT_PIN_ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/* The spec's key order; PIN, UPC and EAN share the last place. */
static const struct { const char *key; guint rank; } keys[] = {
  { "ABV", 0 }, { "SERNUM", 1 }, { "PID", 2 }, { "PUK", 3 }, { "PIN", 4 }, { "UPC", 4 }, { "EAN", 4 },
};

ScPayload *
sc_payload_new (ScLabelKind kind)
{
  ScPayload *self = g_new0 (ScPayload, 1);

  self->kind = kind;
  self->trailing_semicolon = TRUE;
  return self;
}

ScPayload *
sc_payload_copy (const ScPayload *self)
{
  ScPayload *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = sc_payload_new (self->kind);
  copy->serial = g_strdup (self->serial);
  copy->pid = g_strdup (self->pid);
  copy->puk = g_strdup (self->puk);
  copy->pin = g_strdup (self->pin);
  copy->upc = g_strdup (self->upc);
  copy->ean = g_strdup (self->ean);
  copy->trailing_semicolon = self->trailing_semicolon;
  return copy;
}

void
sc_payload_free (ScPayload *self)
{
  if (self == NULL)
    return;

  g_free (self->serial);
  g_free (self->pid);
  g_free (self->puk);
  sc_clear_secret_string (&self->pin);
  g_free (self->upc);
  g_free (self->ean);
  g_free (self);
}

const char *
sc_label_kind_to_string (ScLabelKind kind)
{
  return kind == SC_LABEL_KIND_PACKAGE ? "package" : "product";
}

const char *
sc_label_kind_to_display (ScLabelKind kind)
{
  /* Translators: a label, inside sentences such as "The %s of SN123 may or
   * may not have been printed" */
  return kind == SC_LABEL_KIND_PACKAGE ? C_("label kind", "package label") : C_("label kind", "product label");
}

gboolean
sc_label_kind_from_string (const char  *str,
                           ScLabelKind *kind)
{
  if (g_strcmp0 (str, "product") == 0)
    *kind = SC_LABEL_KIND_PRODUCT;
  else if (g_strcmp0 (str, "package") == 0)
    *kind = SC_LABEL_KIND_PACKAGE;
  else
    return FALSE;
  return TRUE;
}

gboolean
sc_gtin_is_valid (const char *digits,
                  gsize       length)
{
  int sum = 0;

  if (digits == NULL || strlen (digits) != length || length < 2)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isdigit (digits[i]))
      return FALSE;
  /* Weights 3, 1, 3, … from the digit left of the check digit. */
  for (gsize i = 0; i < length - 1; i++)
    sum += (digits[length - 2 - i] - '0') * (i % 2 == 0 ? 3 : 1);
  return (10 - sum % 10) % 10 == digits[length - 1] - '0';
}

static gboolean
is_alnum (const char *s)
{
  for (; *s; s++)
    if (!g_ascii_isalnum (*s))
      return FALSE;
  return TRUE;
}

/* Collects every broken rule; the first one's code becomes the error's. */
typedef struct
{
  GString *text;
  int      first_code;
  guint    count;
} Problems;

static void problem (Problems *p, int code, const char *key, const char *format, ...) G_GNUC_PRINTF (4, 5);

static void
problem (Problems   *p,
         int         code,
         const char *key,
         const char *format,
         ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  if (p->count++ == 0)
    p->first_code = code;
  else
    g_string_append (p->text, "; ");
  g_string_append_printf (p->text, "%s: %s", key, message);
}

static gboolean
problems_to_error (Problems    *p,
                   const char  *what,
                   GError     **error)
{
  if (p->count == 0)
    return TRUE;
  g_set_error (error, SC_PAYLOAD_ERROR, p->first_code, "%s: %s", what, p->text->str);
  return FALSE;
}

static void
check_fields (const ScPayload      *self,
              const ScPayloadRules *rules,
              Problems             *p)
{
  const char *alphabet = rules && rules->pin_alphabet ? rules->pin_alphabet : DEFAULT_PIN_ALPHABET;

  if (self->serial != NULL &&
      (strlen (self->serial) < 12 || strlen (self->serial) > 50 || !is_alnum (self->serial)))
    problem (p, SC_PAYLOAD_ERROR_SERNUM, "SERNUM", _("must be 12 to 50 letters and digits"));

  if (self->pid == NULL)
    problem (p, SC_PAYLOAD_ERROR_MISSING_KEY, "PID", _("is missing"));
  else if (strlen (self->pid) != 4 || !is_alnum (self->pid))
    problem (p, SC_PAYLOAD_ERROR_PID, "PID", _("must be exactly 4 letters or digits"));

  if (self->puk == NULL)
    problem (p, SC_PAYLOAD_ERROR_MISSING_KEY, "PUK", _("is missing"));
  else
    {
      g_autoptr(GError) puk_error = NULL;
      g_autoptr(EVP_PKEY) key = sc_puk_decode (self->puk, &puk_error);

      if (key == NULL)
        problem (p, SC_PAYLOAD_ERROR_PUK, "PUK", "%s", puk_error->message);
    }

  if (self->kind == SC_LABEL_KIND_PRODUCT)
    {
      if (self->pin == NULL)
        problem (p, SC_PAYLOAD_ERROR_MISSING_KEY, "PIN", _("is missing; a product label carries the setup PIN"));
      else
        {
          gsize len = strlen (self->pin);
          gboolean ok = len >= 4 && len <= 32;

          for (const char *c = self->pin; ok && *c; c++)
            ok = strchr (alphabet, *c) != NULL;
          if (!ok)
            problem (p, SC_PAYLOAD_ERROR_PIN, "PIN", _("must be 4 to 32 characters of the PIN alphabet"));
          else if (rules && rules->pin_length && len != rules->pin_length)
            problem (p, SC_PAYLOAD_ERROR_PIN, "PIN", _("must be %u characters long"), rules->pin_length);
        }
      if (self->upc != NULL || self->ean != NULL)
        problem (p, SC_PAYLOAD_ERROR_PACKAGE_CODE, self->upc ? "UPC" : "EAN",
                 _("belongs on the package label, not the product label"));
    }
  else
    {
      if (self->pin != NULL)
        problem (p, SC_PAYLOAD_ERROR_PIN, "PIN", _("must never be on the package label"));
      if (self->upc != NULL && self->ean != NULL)
        problem (p, SC_PAYLOAD_ERROR_PACKAGE_CODE, "UPC", _("and EAN are both given; a package label carries exactly one"));
      else if (self->upc == NULL && self->ean == NULL)
        problem (p, SC_PAYLOAD_ERROR_MISSING_KEY, "UPC", _("or EAN is missing; a package label carries one of them"));
      if (self->upc != NULL && !sc_gtin_is_valid (self->upc, 12))
        problem (p, SC_PAYLOAD_ERROR_UPC, "UPC", _("must be a UPC-A: 12 digits with a valid check digit"));
      if (self->ean != NULL && !sc_gtin_is_valid (self->ean, 13))
        problem (p, SC_PAYLOAD_ERROR_EAN, "EAN", _("must be an EAN-13: 13 digits with a valid check digit"));
    }
}

/**
 * sc_payload_to_string:
 *
 * Returns: (transfer full): the payload text; it holds the PIN, so callers
 *   wipe it (sc_clear_secret_string()) when done.
 */
char *
sc_payload_to_string (const ScPayload  *self,
                      GError          **error)
{
  g_autoptr(GString) text = NULL;
  g_autoptr(GString) problems = g_string_new (NULL);
  Problems p = { problems, 0, 0 };

  g_return_val_if_fail (self != NULL, NULL);

  check_fields (self, NULL, &p);
  if (!problems_to_error (&p, _("Cannot build the label payload"), error))
    return NULL;

  text = g_string_new (self->kind == SC_LABEL_KIND_PRODUCT ? "ABV:IB01" : "ABV:OB01");
  if (self->serial != NULL)
    g_string_append_printf (text, ";SERNUM:%s", self->serial);
  g_string_append_printf (text, ";PID:%s;PUK:%s", self->pid, self->puk);
  if (self->kind == SC_LABEL_KIND_PRODUCT)
    g_string_append_printf (text, ";PIN:%s", self->pin);
  else if (self->upc != NULL)
    g_string_append_printf (text, ";UPC:%s", self->upc);
  else
    g_string_append_printf (text, ";EAN:%s", self->ean);
  if (self->trailing_semicolon)
    g_string_append_c (text, ';');

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static gboolean
is_key (const char *s)
{
  if (*s == '\0')
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_isupper (*s) && !g_ascii_isdigit (*s))
      return FALSE;
  return TRUE;
}

/**
 * sc_payload_parse:
 * @text: a payload as decoded from a symbol
 * @rules: (nullable): what to accept beyond the spec
 *
 * Returns: (transfer full): the payload's fields, or %NULL with an error
 *   naming every key and rule the text breaks.
 */
ScPayload *
sc_payload_parse (const char            *text,
                  const ScPayloadRules  *rules,
                  GError               **error)
{
  g_autoptr(ScPayload) self = NULL;
  g_autoptr(GString) problems = g_string_new (NULL);
  g_auto(GStrv) pairs = NULL;
  Problems p = { problems, 0, 0 };
  gboolean seen[G_N_ELEMENTS (keys)] = { FALSE };
  guint rank = 0;
  guint n;

  g_return_val_if_fail (text != NULL, NULL);

  if (text[0] == '\0')
    {
      g_set_error (error, SC_PAYLOAD_ERROR, SC_PAYLOAD_ERROR_EMPTY, _("The payload is empty"));
      return NULL;
    }
  if (!g_str_is_ascii (text))
    {
      g_set_error (error, SC_PAYLOAD_ERROR, SC_PAYLOAD_ERROR_SYNTAX,
                   _("The payload holds characters outside ASCII"));
      return NULL;
    }

  pairs = g_strsplit (text, ";", -1);
  n = g_strv_length (pairs);
  /* One trailing ';' is allowed and leaves an empty last element. */
  if (n > 1 && pairs[n - 1][0] == '\0')
    {
      g_clear_pointer (&pairs[n - 1], g_free);
      n--;
    }

  self = sc_payload_new (SC_LABEL_KIND_PRODUCT);
  self->trailing_semicolon = g_str_has_suffix (text, ";");

  for (guint i = 0; i < n; i++)
    {
      const char *pair = pairs[i];
      const char *colon = strchr (pair, ':');
      g_autofree char *key = NULL;
      const char *value;
      guint k;

      if (colon == NULL || colon == pair)
        {
          g_autofree char *shown = g_strescape (pair, NULL);
          problem (&p, SC_PAYLOAD_ERROR_SYNTAX, shown[0] ? shown : "(empty)",
                   _("is not a KEY:value pair"));
          continue;
        }
      key = g_strndup (pair, colon - pair);
      value = colon + 1;
      if (!is_key (key) || strchr (value, ':') != NULL)
        {
          g_autofree char *shown = g_strescape (key, NULL);
          problem (&p, SC_PAYLOAD_ERROR_SYNTAX, shown,
                   _("is not an upper-case key with a value free of “:”"));
          continue;
        }

      for (k = 0; k < G_N_ELEMENTS (keys); k++)
        if (g_str_equal (keys[k].key, key))
          break;
      if (k == G_N_ELEMENTS (keys))
        {
          if (!(rules && rules->allow_unknown_keys))
            problem (&p, SC_PAYLOAD_ERROR_UNKNOWN_KEY, key, _("is not a key of the FFS payload"));
          continue;
        }
      if (seen[k])
        {
          problem (&p, SC_PAYLOAD_ERROR_DUPLICATE_KEY, key, _("appears more than once"));
          continue;
        }
      seen[k] = TRUE;
      if (keys[k].rank < rank)
        problem (&p, SC_PAYLOAD_ERROR_KEY_ORDER, key,
                 _("is out of order; keys go ABV, SERNUM, PID, PUK, then PIN or UPC/EAN"));
      rank = MAX (rank, keys[k].rank);

      if (k == 0)
        {
          if (g_str_equal (value, "IB01"))
            self->kind = SC_LABEL_KIND_PRODUCT;
          else if (g_str_equal (value, "OB01"))
            self->kind = SC_LABEL_KIND_PACKAGE;
          else
            {
              g_autofree char *shown = g_strescape (value, NULL);
              problem (&p, SC_PAYLOAD_ERROR_ABV, "ABV",
                       _("is “%s”; it must be IB01 (product) or OB01 (package)"), shown);
            }
          if (i != 0)
            problem (&p, SC_PAYLOAD_ERROR_KEY_ORDER, "ABV", _("must come first"));
        }
      else if (g_str_equal (key, "SERNUM"))
        self->serial = g_strdup (value);
      else if (g_str_equal (key, "PID"))
        self->pid = g_strdup (value);
      else if (g_str_equal (key, "PUK"))
        self->puk = g_strdup (value);
      else if (g_str_equal (key, "PIN"))
        self->pin = g_strdup (value);
      else if (g_str_equal (key, "UPC"))
        self->upc = g_strdup (value);
      else if (g_str_equal (key, "EAN"))
        self->ean = g_strdup (value);
    }

  if (!seen[0])
    problem (&p, SC_PAYLOAD_ERROR_MISSING_KEY, "ABV", _("is missing"));

  check_fields (self, rules, &p);

  if (!problems_to_error (&p, _("The payload is not valid"), error))
    return NULL;
  return g_steal_pointer (&self);
}
