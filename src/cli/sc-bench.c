/* sc-bench.c: the label benchmark
 *
 * Times what the line does per label (build and validate the payload,
 * encode, lay out, render at printer resolution, decode back with both
 * decoders) on one thread, and in the same run the seed's per-label
 * pipeline (dmtxwrite, then dmtxread, one process each), so the figure is a
 * ratio that survives a noisy machine.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdlib.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "sc-bench.h"
#include "sc-core.h"

enum { STAGE_PAYLOAD, STAGE_ENCODE, STAGE_LAYOUT, STAGE_RENDER, STAGE_DECODE, STAGE_TOTAL, N_STAGES };
static const char *stage_names[N_STAGES] = { "payload", "encode", "layout", "render", "decode-back", "total" };

static int
compare_int64 (gconstpointer a,
               gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

static double
percentile (GArray *us,
            double  p)
{
  guint i;

  g_array_sort (us, compare_int64);
  i = (guint) (p * (us->len - 1) + 0.5);
  return g_array_index (us, gint64, i) / 1000.0;
}

static char *
random_alnum (guint n)
{
  char *s = g_malloc (n + 1);

  sc_pin_fill_uniform ("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", s, n, NULL);
  s[n] = '\0';
  return s;
}

/* Median milliseconds per label of the seed's pipeline, or a negative
 * number when its tools are not installed. */
static double
seed_pipeline_ms (GPtrArray *payloads,
                  guint      count)
{
  g_autofree char *dmtxwrite = g_find_program_in_path ("dmtxwrite");
  g_autofree char *dmtxread = g_find_program_in_path ("dmtxread");
  g_autofree char *dir = NULL;
  g_autofree char *png = NULL;
  g_autoptr(GArray) us = g_array_new (FALSE, FALSE, sizeof (gint64));

  if (dmtxwrite == NULL || dmtxread == NULL)
    return -1;

  dir = g_dir_make_tmp ("sc-bench-XXXXXX", NULL);
  png = g_build_filename (dir, "label.png", NULL);

  for (guint i = 0; i < count; i++)
    {
      const char *payload = g_ptr_array_index (payloads, i % payloads->len);
      const char *write_argv[] = { dmtxwrite, "-e", "b", "-s", "s", "-d", "3", "-o", png, NULL };
      const char *read_argv[] = { dmtxread, "-n", "-N", "1", png, NULL };
      g_autoptr(GSubprocess) writer = NULL;
      g_autoptr(GSubprocess) reader = NULL;
      g_autoptr(GBytes) in = g_bytes_new_static (payload, strlen (payload));
      g_autofree char *decoded = NULL;
      gint64 t0 = g_get_monotonic_time ();

      writer = g_subprocess_newv (write_argv, G_SUBPROCESS_FLAGS_STDIN_PIPE, NULL);
      if (writer == NULL || !g_subprocess_communicate (writer, in, NULL, NULL, NULL, NULL))
        return -1;
      reader = g_subprocess_newv (read_argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, NULL);
      if (reader == NULL || !g_subprocess_communicate_utf8 (reader, NULL, NULL, &decoded, NULL, NULL))
        return -1;
      g_array_append_val (us, (gint64) { g_get_monotonic_time () - t0 });
      /* dmtxread ends its output with a newline. */
      if (decoded == NULL || !g_str_equal (g_strchomp (decoded), payload))
        g_printerr ("seed pipeline: label %u did not decode back\n", i);
    }

  g_unlink (png);
  g_rmdir (dir);
  return percentile (us, 0.5);
}

int
cmd_bench_labels (int    argc,
                  char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) puks = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  GArray *us[N_STAGES];
  int count = 500, dpi = 300, seed_count = 20;
  double seed_ms, ours_ms;
  const GOptionEntry entries[] = {
    { "count", 'n', 0, G_OPTION_ARG_INT, &count, N_("Labels to make (default 500)"), N_("N") },
    { "dpi", 'd', 0, G_OPTION_ARG_INT, &dpi, N_("Printer resolution (default 300)"), N_("N") },
    { "seed-count", 0, 0, G_OPTION_ARG_INT, &seed_count, N_("Labels through the seed pipeline (default 20)"), N_("N") },
    { NULL }
  };

  g_option_context_set_summary (context,
    _("Times payload, encode, layout, render and decode-back for N product labels on\n"
      "one thread, and the seed's dmtxwrite | dmtxread pipeline in the same run."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error) || count < 1 || dpi < 100 || seed_count < 0)
    {
      g_printerr ("setup-console-cli: %s\n", error ? error->message : _("bad --count, --dpi or --seed-count"));
      return 2;
    }

  /* Keys are not what is measured here: make a few up front. */
  for (guint i = 0; i < 16; i++)
    {
      g_autoptr(EVP_PKEY) key = sc_key_generate (NULL);
      g_ptr_array_add (puks, sc_key_get_puk (key, NULL));
    }
  for (guint s = 0; s < N_STAGES; s++)
    us[s] = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (int i = 0; i < count; i++)
    {
      g_autoptr(ScPayload) payload = sc_payload_new (SC_LABEL_KIND_PRODUCT);
      g_autoptr(ScSecret) pin = sc_pin_generate ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 9, NULL);
      g_autoptr(ScSymbol) symbol = NULL;
      g_autoptr(ScLabelLayout) layout = NULL;
      cairo_surface_t *raster;
      char *text = NULL;
      gint64 t[N_STAGES + 1];

      payload->serial = random_alnum (16);
      payload->pid = g_strdup ("ebK3");
      payload->puk = g_strdup (g_ptr_array_index (puks, i % puks->len));
      payload->pin = g_strdup (sc_secret_get_string (pin));

      t[0] = g_get_monotonic_time ();
      text = sc_payload_to_string (payload, &error);
      t[1] = g_get_monotonic_time ();
      symbol = text ? sc_symbol_encode (SC_SYMBOLOGY_DATAMATRIX, text, 0, &error) : NULL;
      t[2] = g_get_monotonic_time ();
      layout = symbol ? sc_label_layout_new (SC_LABEL_KIND_PRODUCT, symbol, dpi, 10.0, NULL,
                                             payload->serial, NULL, TRUE, &error) : NULL;
      t[3] = g_get_monotonic_time ();
      if (layout == NULL)
        {
          g_printerr ("setup-console-cli: %s\n", error->message);
          return 1;
        }
      raster = sc_label_layout_render (layout);
      t[4] = g_get_monotonic_time ();
      if (!sc_label_layout_verify (layout, raster, &error))
        {
          g_printerr ("setup-console-cli: %s\n", error->message);
          return 7;
        }
      t[5] = g_get_monotonic_time ();
      cairo_surface_destroy (raster);

      for (guint s = 0; s < STAGE_TOTAL; s++)
        g_array_append_val (us[s], (gint64) { t[s + 1] - t[s] });
      g_array_append_val (us[STAGE_TOTAL], (gint64) { t[5] - t[0] });
      if (i < 64)
        g_ptr_array_add (texts, g_strdup (text));
      sc_clear_secret_string (&text);
    }

  g_print ("label benchmark: %d product labels at %d dpi, one thread\n", count, dpi);
  g_print ("%-12s %9s %9s\n", "stage", "p50 ms", "p99 ms");
  for (guint s = 0; s < N_STAGES; s++)
    g_print ("%-12s %9.3f %9.3f\n", stage_names[s], percentile (us[s], 0.5), percentile (us[s], 0.99));

  ours_ms = percentile (us[STAGE_TOTAL], 0.5);
  seed_ms = seed_count > 0 ? seed_pipeline_ms (texts, (guint) seed_count) : -1;
  if (seed_ms > 0)
    g_print ("seed pipeline (dmtxwrite + dmtxread, %d labels): %.3f ms per label, p50\n", seed_count, seed_ms);
  else
    g_print ("seed pipeline: dmtxwrite/dmtxread not installed, no baseline\n");
  g_print ("per label: %.3f ms (goal: under 5 ms)\n", ours_ms);
  if (seed_ms > 0)
    g_print ("ratio: %.1fx the seed pipeline's speed\n", seed_ms / ours_ms);

  for (guint s = 0; s < N_STAGES; s++)
    g_array_unref (us[s]);
  return 0;
}
