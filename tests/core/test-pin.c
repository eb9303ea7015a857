/* test-pin.c: setup PIN generation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <openssl/rand.h>

#include "sc-test-util.h"

#define ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/* Pearson's chi-square statistic of @n draws in @k categories against the
 * uniform distribution. */
static double
chi_square (const guint64 *counts,
            guint          k,
            guint64        n)
{
  double expected = (double) n / k;
  double x = 0;

  for (guint i = 0; i < k; i++)
    x += (counts[i] - expected) * (counts[i] - expected) / expected;
  return x;
}

/* Upper critical value of chi-square with 61 degrees of freedom (62
 * characters) at p = 1e-6, by the Wilson–Hilferty approximation:
 * 61 * (1 - 2/549 + 4.753 * sqrt (2/549))^3 = 128.9. A correct generator
 * fails this test once in a million runs; a modulo-biased one (byte % 62)
 * scores about 6600 on 10^6 characters. */
#define CHI2_61_P1E6 128.9

static guint64
tally (const char *chars,
       gsize       n,
       guint64    *counts)
{
  for (gsize i = 0; i < n; i++)
    {
      const char *pos = strchr (ALPHABET, chars[i]);

      g_assert_nonnull (pos);
      counts[pos - ALPHABET]++;
    }
  return n;
}

static void
test_uniform (void)
{
  const guint n_pins = 111112;  /* 9 * 111112 > 10^6 characters */
  guint64 counts[62] = { 0 };
  guint64 by_position[9][62] = { { 0 } };
  guint64 n = 0;
  double x;

  for (guint i = 0; i < n_pins; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(ScSecret) pin = sc_pin_generate (ALPHABET, 9, &error);
      const char *s;

      g_assert_no_error (error);
      g_assert_cmpuint (sc_secret_get_size (pin), ==, 9);
      s = sc_secret_get_string (pin);
      g_assert_cmpuint (strlen (s), ==, 9);
      n += tally (s, 9, counts);
      for (guint p = 0; p < 9; p++)
        tally (s + p, 1, by_position[p]);
    }

  g_assert_cmpuint (n, >=, 1000000);
  x = chi_square (counts, 62, n);
  g_test_message ("chi-square over %" G_GUINT64_FORMAT " characters: %.1f (threshold %.1f)",
                  n, x, CHI2_61_P1E6);
  g_assert_cmpfloat (x, <, CHI2_61_P1E6);

  /* Each position on its own is uniform too (a generator that, say, never
   * repeats the first character would show here). */
  for (guint p = 0; p < 9; p++)
    g_assert_cmpfloat (chi_square (by_position[p], 62, n_pins), <, CHI2_61_P1E6);
}

static void
test_statistic_detects_bias (void)
{
  guint64 counts[62] = { 0 };
  guint8 bytes[4096];
  guint64 n = 0;

  /* The same test on the classic mistake, byte % 62, must fail: otherwise
   * the uniformity test above would prove nothing. */
  while (n < 1000000)
    {
      g_assert_true (RAND_bytes (bytes, sizeof bytes) == 1);
      for (guint i = 0; i < sizeof bytes; i++)
        counts[bytes[i] % 62]++;
      n += sizeof bytes;
    }
  g_assert_cmpfloat (chi_square (counts, 62, n), >, 10 * CHI2_61_P1E6);
}

static void
test_fill_uses_whole_alphabet (void)
{
  char buf[20000];
  gboolean seen[256] = { FALSE };
  g_autoptr(GError) error = NULL;

  /* A 3-character alphabet: 256 % 3 != 0, so rejection matters. */
  g_assert_true (sc_pin_fill_uniform ("xyz", buf, sizeof buf, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < sizeof buf; i++)
    {
      g_assert_true (buf[i] == 'x' || buf[i] == 'y' || buf[i] == 'z');
      seen[(guchar) buf[i]] = TRUE;
    }
  g_assert_true (seen['x'] && seen['y'] && seen['z']);
}

static void
test_trivial (void)
{
  g_assert_true (sc_pin_is_trivial ("AAAAAAAAA"));
  g_assert_true (sc_pin_is_trivial ("123456789"));
  g_assert_true (sc_pin_is_trivial ("987654321"));
  g_assert_true (sc_pin_is_trivial ("abcdefghi"));
  g_assert_true (sc_pin_is_trivial ("ihgfedcba"));
  g_assert_true (sc_pin_is_trivial ("z"));
  g_assert_false (sc_pin_is_trivial ("957AD9640"));
  g_assert_false (sc_pin_is_trivial ("D380C08FA"));
  g_assert_false (sc_pin_is_trivial ("AAAAAAAAB"));
  g_assert_false (sc_pin_is_trivial ("123456788"));
}

static void
test_never_trivial (void)
{
  /* Tiny alphabet and length so trivial draws happen: 10 of 10^6 six-digit
   * strings are one repeated digit and 10 more are runs. */
  for (guint i = 0; i < 300000; i++)
    {
      g_autoptr(ScSecret) pin = sc_pin_generate ("0123456789", 6, NULL);

      g_assert_nonnull (pin);
      g_assert_false (sc_pin_is_trivial (sc_secret_get_string (pin)));
    }
}

static void
test_bad_alphabet (void)
{
  g_autoptr(GError) error = NULL;
  char buf[4];

  g_assert_false (sc_pin_fill_uniform ("A", buf, sizeof buf, &error));
  g_assert_error (error, SC_PIN_ERROR, SC_PIN_ERROR_ALPHABET);
  g_clear_error (&error);
  g_assert_null (sc_pin_generate ("", 9, &error));
  g_assert_error (error, SC_PIN_ERROR, SC_PIN_ERROR_ALPHABET);
}

static void
test_secret (void)
{
  g_autoptr(ScSecret) a = sc_secret_new_from_string ("957AD9640");
  g_autoptr(ScSecret) b = sc_secret_new ("957AD9640", 9);
  g_autoptr(ScSecret) c = sc_secret_new_from_string ("957AD9641");
  ScSecret *ref = sc_secret_ref (a);

  g_assert_true (sc_secret_equal (a, b));
  g_assert_false (sc_secret_equal (a, c));
  g_assert_cmpstr (sc_secret_get_string (ref), ==, "957AD9640");
  sc_secret_unref (ref);
  g_assert_cmpstr (sc_secret_get_string (a), ==, "957AD9640");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sc/pin/uniform", test_uniform);
  g_test_add_func ("/sc/pin/statistic-detects-bias", test_statistic_detects_bias);
  g_test_add_func ("/sc/pin/fill-uses-whole-alphabet", test_fill_uses_whole_alphabet);
  g_test_add_func ("/sc/pin/trivial", test_trivial);
  g_test_add_func ("/sc/pin/never-trivial", test_never_trivial);
  g_test_add_func ("/sc/pin/bad-alphabet", test_bad_alphabet);
  g_test_add_func ("/sc/pin/secret", test_secret);

  return g_test_run ();
}
