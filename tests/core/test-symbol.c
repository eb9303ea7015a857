/* test-symbol.c: DataMatrix and QR symbols, and the size they choose
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "sc-test-util.h"

#define PUK1 "MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgADLZXG+MzHkCUT1F88yQpaiDW7vu8XDSIhJwsVr2bmmag="
#define PUK2 "MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgACcQ0JiaZzVKrdzKISuBnsSHbioyE9Jo2tUfQdE1gFcGE="
#define WITH_SERIAL "ABV:IB01;SERNUM:G3A0PA01802300PE;PID:ebK3;PUK:" PUK1 ";PIN:957AD9640;"
#define NO_SERIAL "ABV:IB01;PID:ebK3;PUK:" PUK2 ";PIN:D380C08FA"

static void
test_spec_sizes (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScSymbol) a = sc_symbol_encode (SC_SYMBOLOGY_DATAMATRIX, WITH_SERIAL, 0, &error);
  g_autoptr(ScSymbol) b = NULL;
  g_autofree char *why = NULL;

  /* The spec measured 123 to 132 codewords with a 16-character serial
   * (44x44), 108 to 113 without (40x40); a DHA payload never fits 36x36. */
  g_assert_no_error (error);
  g_assert_cmpuint (sc_symbol_get_size (a), ==, 44);
  g_assert_cmpuint (sc_symbol_get_data_needed (a), >=, 115);
  g_assert_cmpuint (sc_symbol_get_data_needed (a), <=, 132);
  g_assert_cmpuint (sc_symbol_get_data_capacity (a), ==, 144);
  why = sc_symbol_describe (a);
  g_assert_nonnull (strstr (why, "44x44"));
  g_assert_nonnull (strstr (why, "40x40 holds only 114"));

  b = sc_symbol_encode (SC_SYMBOLOGY_DATAMATRIX, NO_SERIAL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sc_symbol_get_size (b), ==, 40);
  g_assert_cmpuint (sc_symbol_get_data_needed (b), >, 86);
  g_assert_cmpuint (sc_symbol_get_data_needed (b), <=, 114);
}

static void
test_best_encodation (void)
{
  /* Plain ASCII needs 129 codewords for this payload (one per character,
   * digit pairs packed); the mixed encodation needs fewer. */
  g_autoptr(ScSymbol) real = sc_symbol_encode (SC_SYMBOLOGY_DATAMATRIX, WITH_SERIAL, 0, NULL);
  /* 12 digits: 6 ASCII digit pairs, where libdmtx's own mixed choice takes 7. */
  g_autoptr(ScSymbol) digits = sc_symbol_encode (SC_SYMBOLOGY_DATAMATRIX, "841667145075", 0, NULL);

  g_assert_cmpuint (sc_symbol_get_data_needed (real), <, 129);
  g_assert_cmpuint (sc_symbol_get_data_needed (digits), ==, 6);
  g_assert_cmpuint (sc_symbol_get_size (digits), ==, 14);  /* 12x12 holds 5 */
}

static void
test_forced (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScSymbol) s = sc_symbol_encode (SC_SYMBOLOGY_DATAMATRIX, WITH_SERIAL, 36, &error);

  /* The published guidance's 36x36 cannot hold a real payload: an error
   * that says what would, never a truncated symbol. */
  g_assert_null (s);
  g_assert_error (error, SC_SYMBOL_ERROR, SC_SYMBOL_ERROR_TOO_LONG);
  g_assert_nonnull (strstr (error->message, "holds only 86"));
  g_assert_nonnull (strstr (error->message, "choose 44x44"));
  g_clear_error (&error);

  s = sc_symbol_encode (SC_SYMBOLOGY_DATAMATRIX, WITH_SERIAL, 40, &error);
  g_assert_error (error, SC_SYMBOL_ERROR, SC_SYMBOL_ERROR_TOO_LONG);
  g_clear_error (&error);

  s = sc_symbol_encode (SC_SYMBOLOGY_DATAMATRIX, WITH_SERIAL, 52, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sc_symbol_get_size (s), ==, 52);
  g_clear_pointer (&s, sc_symbol_unref);

  s = sc_symbol_encode (SC_SYMBOLOGY_DATAMATRIX, WITH_SERIAL, 37, &error);
  g_assert_error (error, SC_SYMBOL_ERROR, SC_SYMBOL_ERROR_FAILED);
}

static void
test_empty_and_oversize (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *huge = g_strnfill (4000, 'x');

  g_assert_null (sc_symbol_encode (SC_SYMBOLOGY_DATAMATRIX, "", 0, &error));
  g_assert_error (error, SC_SYMBOL_ERROR, SC_SYMBOL_ERROR_EMPTY);
  g_clear_error (&error);
  g_assert_null (sc_symbol_encode (SC_SYMBOLOGY_DATAMATRIX, huge, 0, &error));
  g_assert_error (error, SC_SYMBOL_ERROR, SC_SYMBOL_ERROR_TOO_LONG);
  g_clear_error (&error);
  g_assert_null (sc_symbol_encode (SC_SYMBOLOGY_QR, huge, 0, &error));
  g_assert_error (error, SC_SYMBOL_ERROR, SC_SYMBOL_ERROR_TOO_LONG);
}

static void
test_finder_pattern (void)
{
  g_autoptr(ScSymbol) s = sc_symbol_encode (SC_SYMBOLOGY_DATAMATRIX, WITH_SERIAL, 0, NULL);
  guint n = sc_symbol_get_size (s);

  /* ECC200: solid left column and bottom row; alternating top row and
   * right column, starting dark at the top left. The 44x44 symbol has four
   * data regions, so the alignment patterns show inside too. */
  for (guint i = 0; i < n; i++)
    {
      g_assert_true (sc_symbol_get_module (s, i, 0));
      g_assert_true (sc_symbol_get_module (s, n - 1, i));
      g_assert_cmpint (sc_symbol_get_module (s, 0, i), ==, i % 2 == 0);
      g_assert_cmpint (sc_symbol_get_module (s, i, n - 1), ==, i % 2 == 1);
    }
}

static void
test_qr (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScSymbol) s = sc_symbol_encode (SC_SYMBOLOGY_QR, WITH_SERIAL, 0, &error);
  guint v;

  g_assert_no_error (error);
  /* 127 bytes in byte mode at level M: version 7 (45x45) holds 124 data
   * codewords, version 8 (49x49) holds 154. */
  v = (sc_symbol_get_size (s) - 17) / 4;
  g_assert_cmpuint (v, ==, 8);
  g_assert_cmpuint (sc_symbol_get_data_capacity (s), ==, 154);
  g_clear_pointer (&s, sc_symbol_unref);

  /* Forcing version 7 must fail rather than let libqrencode grow it. */
  s = sc_symbol_encode (SC_SYMBOLOGY_QR, WITH_SERIAL, 45, &error);
  g_assert_null (s);
  g_assert_error (error, SC_SYMBOL_ERROR, SC_SYMBOL_ERROR_TOO_LONG);
  g_assert_nonnull (strstr (error->message, "version 8"));
  g_clear_error (&error);

  s = sc_symbol_encode (SC_SYMBOLOGY_QR, WITH_SERIAL, 57, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sc_symbol_get_size (s), ==, 57);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sc/symbol/spec-sizes", test_spec_sizes);
  g_test_add_func ("/sc/symbol/best-encodation", test_best_encodation);
  g_test_add_func ("/sc/symbol/forced", test_forced);
  g_test_add_func ("/sc/symbol/empty-and-oversize", test_empty_and_oversize);
  g_test_add_func ("/sc/symbol/finder-pattern", test_finder_pattern);
  g_test_add_func ("/sc/symbol/qr", test_qr);

  return g_test_run ();
}
