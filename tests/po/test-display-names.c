/* test-display-names.c: the words the core puts into translated sentences
 * (label kinds, unit states, step titles) come out translated, while the
 * names files, the records and scripts use stay as they are.
 *
 * Run under LANGUAGE=zh_CN with SC_TEST_LOCALEDIR at this build's
 * catalogues: every Simplified Chinese display name holds Chinese, so a
 * display name that is not looked up (no catalogue entry, a wrong context,
 * the machine name passed on) is all ASCII and fails.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>

#include <glib/gi18n-lib.h>

#include "sc-core.h"

static gboolean
has_non_ascii (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    if ((guchar) *p >= 0x80)
      return TRUE;
  return FALSE;
}

static void
assert_translated (const char *what,
                   const char *text)
{
  g_assert_nonnull (text);
  if (!has_non_ascii (text))
    g_error ("%s is shown as “%s”, not translated", what, text);
}

static void
test_label_kinds (void)
{
  const struct { ScLabelKind kind; const char *name; } kinds[] = {
    { SC_LABEL_KIND_PRODUCT, "product" },
    { SC_LABEL_KIND_PACKAGE, "package" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      ScLabelKind back;

      assert_translated (kinds[i].name, sc_label_kind_to_display (kinds[i].kind));
      g_assert_cmpstr (sc_label_kind_to_string (kinds[i].kind), ==, kinds[i].name);
      g_assert_true (sc_label_kind_from_string (kinds[i].name, &back));
      g_assert_cmpint (back, ==, kinds[i].kind);
    }
  g_assert_cmpstr (sc_label_kind_to_display (SC_LABEL_KIND_PRODUCT), !=,
                   sc_label_kind_to_display (SC_LABEL_KIND_PACKAGE));
}

static void
test_unit_states (void)
{
  const char *names[] = { "started", "keyed", "signed", "written", "verified", "labelled", "complete", "failed",
                          "superseded" };
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  G_STATIC_ASSERT (G_N_ELEMENTS (names) == SC_UNIT_SUPERSEDED - SC_UNIT_STARTED + 1);
  for (ScUnitState s = SC_UNIT_STARTED; s <= SC_UNIT_SUPERSEDED; s++)
    {
      const char *shown = sc_unit_state_to_display (s);

      assert_translated (names[s - SC_UNIT_STARTED], shown);
      g_assert_cmpstr (sc_unit_state_to_string (s), ==, names[s - SC_UNIT_STARTED]);
      /* Two states never read alike. */
      g_assert_false (g_hash_table_contains (seen, shown));
      g_hash_table_add (seen, (gpointer) shown);
    }
}

static void
test_step_titles (void)
{
  for (ScStep step = 0; step < SC_N_STEPS; step++)
    {
      const char *name = sc_step_get_name (step);
      ScStep back;

      assert_translated (name, sc_step_get_title (step));
      /* The records' name: ASCII, and found again. */
      g_assert_false (has_non_ascii (name));
      g_assert_true (sc_step_from_name (name, &back));
      g_assert_cmpint (back, ==, step);
    }
}

int
main (int   argc,
      char *argv[])
{
  const char *localedir = g_getenv ("SC_TEST_LOCALEDIR");

  g_test_init (&argc, &argv, NULL);
  /* g_test_init() leaves the locale alone; gettext needs the environment's
   * (a locale other than C, else $LANGUAGE is ignored). */
  setlocale (LC_ALL, "");
  if (localedir == NULL || g_strcmp0 (g_getenv ("LANGUAGE"), "zh_CN") != 0)
    {
      g_printerr ("Run with LANGUAGE=zh_CN and SC_TEST_LOCALEDIR at the build's po folder.\n");
      return 99;
    }
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");

  g_test_add_func ("/sc/display-names/label-kinds", test_label_kinds);
  g_test_add_func ("/sc/display-names/unit-states", test_unit_states);
  g_test_add_func ("/sc/display-names/step-titles", test_step_titles);
  return g_test_run ();
}
