/* test-payload.c: building and parsing the FFS barcode payload
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "sc-test-util.h"

#define PUK1 "MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgADLZXG+MzHkCUT1F88yQpaiDW7vu8XDSIhJwsVr2bmmag="
#define PUK2 "MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgACcQ0JiaZzVKrdzKISuBnsSHbioyE9Jo2tUfQdE1gFcGE="

/* The three public examples of the spec, section 3. */
#define SAMPLE_PRODUCT "ABV:IB01;SERNUM:G3A0PA01802300PE;PID:ebK3;PUK:" PUK1 ";PIN:957AD9640;"
#define SAMPLE_PACKAGE "ABV:OB01;SERNUM:G3A0PA01802300PE;PID:ebK3;PUK:" PUK1 ";UPC:841667145075;"
#define SAMPLE_NO_SERIAL "ABV:IB01;PID:ebK3;PUK:" PUK2 ";PIN:D380C08FA"

static void
test_samples (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScPayload) product = sc_payload_parse (SAMPLE_PRODUCT, NULL, &error);
  g_autoptr(ScPayload) package = NULL;
  g_autoptr(ScPayload) bare = NULL;
  g_autofree char *again = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (product->kind, ==, SC_LABEL_KIND_PRODUCT);
  g_assert_cmpstr (product->serial, ==, "G3A0PA01802300PE");
  g_assert_cmpstr (product->pid, ==, "ebK3");
  g_assert_cmpstr (product->puk, ==, PUK1);
  g_assert_cmpstr (product->pin, ==, "957AD9640");
  g_assert_true (product->trailing_semicolon);

  package = sc_payload_parse (SAMPLE_PACKAGE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (package->kind, ==, SC_LABEL_KIND_PACKAGE);
  g_assert_cmpstr (package->upc, ==, "841667145075");
  g_assert_null (package->pin);

  bare = sc_payload_parse (SAMPLE_NO_SERIAL, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (bare->serial);
  g_assert_false (bare->trailing_semicolon);

  /* Built back, each is the same text to the byte. */
  again = sc_payload_to_string (product, &error);
  g_assert_cmpstr (again, ==, SAMPLE_PRODUCT);
  g_free (again);
  again = sc_payload_to_string (package, &error);
  g_assert_cmpstr (again, ==, SAMPLE_PACKAGE);
  g_free (again);
  again = sc_payload_to_string (bare, &error);
  g_assert_cmpstr (again, ==, SAMPLE_NO_SERIAL);
}

static void
test_build (void)
{
  g_autoptr(ScPayload) p = sc_payload_new (SC_LABEL_KIND_PACKAGE);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  p->pid = g_strdup ("ebK3");
  p->puk = g_strdup (PUK1);
  p->ean = g_strdup ("4006381333931");
  p->trailing_semicolon = FALSE;
  text = sc_payload_to_string (p, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "ABV:OB01;PID:ebK3;PUK:" PUK1 ";EAN:4006381333931");

  /* A field that would not parse back is never built. */
  g_free (p->pid);
  p->pid = g_strdup ("ebK");
  g_assert_null (sc_payload_to_string (p, &error));
  g_assert_error (error, SC_PAYLOAD_ERROR, SC_PAYLOAD_ERROR_PID);
}

typedef struct
{
  const char *text;
  int         code;
  const char *words;   /* the key and rule named in the message */
} BadCase;

static const BadCase bad_cases[] = {
  { "ABV:IB01;PID:ebK3;PUK:" PUK1 ";PIN:957AD9640;;", SC_PAYLOAD_ERROR_SYNTAX, "(empty): is not a KEY:value pair" },
  { "ABV:IB01;PID;PUK:" PUK1 ";PIN:957AD9640", SC_PAYLOAD_ERROR_SYNTAX, "PID: is not a KEY:value pair" },
  { "ABV:IB01;pid:ebK3;PUK:" PUK1 ";PIN:957AD9640", SC_PAYLOAD_ERROR_SYNTAX, "pid: is not an upper-case key" },
  { "ABV:IB01;PID:eb:K3;PUK:" PUK1 ";PIN:957AD9640", SC_PAYLOAD_ERROR_SYNTAX, "PID: is not an upper-case key with a value free of" },
  { "ABV:IB01;PID:ebK3;PUK:" PUK1 ";PIN:957AD9640;COLOR:red", SC_PAYLOAD_ERROR_UNKNOWN_KEY, "COLOR: is not a key" },
  { "ABV:IB01;PID:ebK3;PID:ebK3;PUK:" PUK1 ";PIN:957AD9640", SC_PAYLOAD_ERROR_DUPLICATE_KEY, "PID: appears more than once" },
  { "PID:ebK3;PUK:" PUK1 ";PIN:957AD9640", SC_PAYLOAD_ERROR_MISSING_KEY, "ABV: is missing" },
  { "ABV:IB01;PUK:" PUK1 ";PIN:957AD9640", SC_PAYLOAD_ERROR_MISSING_KEY, "PID: is missing" },
  { "ABV:IB01;PID:ebK3;PIN:957AD9640", SC_PAYLOAD_ERROR_MISSING_KEY, "PUK: is missing" },
  { "ABV:IB01;PID:ebK3;PUK:" PUK1, SC_PAYLOAD_ERROR_MISSING_KEY, "PIN: is missing" },
  { "ABV:OB01;PID:ebK3;PUK:" PUK1, SC_PAYLOAD_ERROR_MISSING_KEY, "UPC: or EAN is missing" },
  { "ABV:IB01;PUK:" PUK1 ";PID:ebK3;PIN:957AD9640", SC_PAYLOAD_ERROR_KEY_ORDER, "PID: is out of order" },
  { "PID:ebK3;ABV:IB01;PUK:" PUK1 ";PIN:957AD9640", SC_PAYLOAD_ERROR_KEY_ORDER, "ABV: is out of order" },
  { "ABV:IB02;PID:ebK3;PUK:" PUK1 ";PIN:957AD9640", SC_PAYLOAD_ERROR_ABV, "ABV: is “IB02”" },
  { "ABV:IB01;SERNUM:G3A0PA01802;PID:ebK3;PUK:" PUK1 ";PIN:957AD9640", SC_PAYLOAD_ERROR_SERNUM, "SERNUM: must be 12 to 50" },
  { "ABV:IB01;SERNUM:G3A0PA01802300PE-X;PID:ebK3;PUK:" PUK1 ";PIN:957AD9640", SC_PAYLOAD_ERROR_SERNUM, "SERNUM:" },
  { "ABV:IB01;SERNUM:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA;PID:ebK3;PUK:" PUK1 ";PIN:957AD9640", SC_PAYLOAD_ERROR_SERNUM, "SERNUM:" },
  { "ABV:IB01;PID:ebK31;PUK:" PUK1 ";PIN:957AD9640", SC_PAYLOAD_ERROR_PID, "PID: must be exactly 4" },
  { "ABV:IB01;PID:ebK3;PUK:MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgADLZXG+MzHkCUT1F88yQpaiDW7vu8XDSIhJwsVr2bmma=;PIN:957AD9640", SC_PAYLOAD_ERROR_PUK, "PUK:" },
  { "ABV:IB01;PID:ebK3;PUK:" PUK1 ";PIN:957AD-640", SC_PAYLOAD_ERROR_PIN, "PIN: must be 4 to 32 characters" },
  { "ABV:OB01;PID:ebK3;PUK:" PUK1 ";PIN:957AD9640", SC_PAYLOAD_ERROR_PIN, "PIN: must never be on the package label" },
  { "ABV:OB01;PID:ebK3;PUK:" PUK1 ";UPC:841667145076", SC_PAYLOAD_ERROR_UPC, "UPC: must be a UPC-A" },
  { "ABV:OB01;PID:ebK3;PUK:" PUK1 ";UPC:84166714507", SC_PAYLOAD_ERROR_UPC, "UPC: must be a UPC-A" },
  { "ABV:OB01;PID:ebK3;PUK:" PUK1 ";EAN:4006381333932", SC_PAYLOAD_ERROR_EAN, "EAN: must be an EAN-13" },
  { "ABV:OB01;PID:ebK3;PUK:" PUK1 ";UPC:841667145075;EAN:4006381333931", SC_PAYLOAD_ERROR_PACKAGE_CODE, "UPC: and EAN are both given" },
  { "ABV:IB01;PID:ebK3;PUK:" PUK1 ";PIN:957AD9640;UPC:841667145075", SC_PAYLOAD_ERROR_PACKAGE_CODE, "UPC: belongs on the package label" },
  { "ABV:IB01;PID:ebK3;PUK:" PUK1 ";PIN:957AD9640\xc3\xa9", SC_PAYLOAD_ERROR_SYNTAX, "outside ASCII" },
  { "", SC_PAYLOAD_ERROR_EMPTY, "empty" },
};

static void
test_bad (gconstpointer data)
{
  const BadCase *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(ScPayload) p = sc_payload_parse (c->text, NULL, &error);

  g_assert_null (p);
  g_assert_error (error, SC_PAYLOAD_ERROR, c->code);
  if (strstr (error->message, c->words) == NULL)
    g_error ("expected “%s” in: %s", c->words, error->message);
}

static void
test_every_violation_named (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScPayload) p = sc_payload_parse ("ABV:IB01;SERNUM:short;PID:toolong;PUK:" PUK1 ";PIN:x-y", NULL, &error);

  g_assert_null (p);
  g_assert_error (error, SC_PAYLOAD_ERROR, SC_PAYLOAD_ERROR_SERNUM);
  g_assert_nonnull (strstr (error->message, "SERNUM:"));
  g_assert_nonnull (strstr (error->message, "PID:"));
  g_assert_nonnull (strstr (error->message, "PIN:"));
  /* The PIN's value is never repeated in an error. */
  g_assert_null (strstr (error->message, "x-y"));
}

static void
test_rules (void)
{
  ScPayloadRules hex9 = { .pin_alphabet = "0123456789ABCDEF", .pin_length = 9 };
  ScPayloadRules lenient = { .allow_unknown_keys = TRUE };
  g_autoptr(GError) error = NULL;
  g_autoptr(ScPayload) p = NULL;

  /* Shipped devices use 9 upper-case hex characters: that profile accepts
   * 957AD9640 and refuses a lower-case one or a short one. */
  p = sc_payload_parse (SAMPLE_PRODUCT, &hex9, &error);
  g_assert_no_error (error);
  g_clear_pointer (&p, sc_payload_free);
  p = sc_payload_parse ("ABV:IB01;PID:ebK3;PUK:" PUK1 ";PIN:957ad9640", &hex9, &error);
  g_assert_error (error, SC_PAYLOAD_ERROR, SC_PAYLOAD_ERROR_PIN);
  g_clear_error (&error);
  p = sc_payload_parse ("ABV:IB01;PID:ebK3;PUK:" PUK1 ";PIN:957AD96", &hex9, &error);
  g_assert_error (error, SC_PAYLOAD_ERROR, SC_PAYLOAD_ERROR_PIN);
  g_clear_error (&error);

  p = sc_payload_parse (SAMPLE_PRODUCT "EXTRA:1", &lenient, &error);
  g_assert_no_error (error);
  g_assert_nonnull (p);
}

static void
test_gtin (void)
{
  g_assert_true (sc_gtin_is_valid ("841667145075", 12));
  g_assert_true (sc_gtin_is_valid ("036000291452", 12));
  g_assert_true (sc_gtin_is_valid ("4006381333931", 13));
  g_assert_false (sc_gtin_is_valid ("4006381333931", 12));
  g_assert_false (sc_gtin_is_valid ("03600029145a", 12));
  for (char d = '0'; d <= '9'; d++)
    {
      char code[] = "03600029145_";

      code[11] = d;
      g_assert_cmpint (sc_gtin_is_valid (code, 12), ==, d == '2');
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sc/payload/samples", test_samples);
  g_test_add_func ("/sc/payload/build", test_build);
  g_test_add_func ("/sc/payload/every-violation-named", test_every_violation_named);
  g_test_add_func ("/sc/payload/rules", test_rules);
  g_test_add_func ("/sc/payload/gtin", test_gtin);
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sc/payload/bad/%u", i);
      g_test_add_data_func (path, &bad_cases[i], test_bad);
    }

  return g_test_run ();
}
