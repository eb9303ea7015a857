/* sc-make-cue.c: writes the PASS and FAIL sounds, at build time
 *
 * usage: sc-make-cue pass|fail OUT.wav
 *
 * A sound from across a noisy bench: PASS is two short rising tones,
 * FAIL three low, buzzing ones. 16-bit mono PCM WAV, made here rather than
 * kept as binary files in the tree.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 22050

typedef struct
{
  double frequency;   /* Hz; 0: silence */
  double seconds;
  int    square;      /* odd harmonics added: a buzz */
} Tone;

static const Tone pass_tones[] = {
  { 880.0, 0.11, 0 },
  { 0.0, 0.03, 0 },
  { 1318.5, 0.16, 0 },
};

static const Tone fail_tones[] = {
  { 196.0, 0.14, 1 },
  { 0.0, 0.06, 0 },
  { 196.0, 0.14, 1 },
  { 0.0, 0.06, 0 },
  { 174.6, 0.26, 1 },
};

static void
put_u32 (FILE *f, uint32_t v)
{
  uint8_t b[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >> 24) & 0xff };
  fwrite (b, 1, 4, f);
}

static void
put_u16 (FILE *f, uint16_t v)
{
  uint8_t b[2] = { v & 0xff, (v >> 8) & 0xff };
  fwrite (b, 1, 2, f);
}

int
main (int argc, char **argv)
{
  const Tone *tones;
  size_t n_tones, n_samples = 0;
  FILE *f;

  if (argc != 3 || (strcmp (argv[1], "pass") != 0 && strcmp (argv[1], "fail") != 0))
    {
      fprintf (stderr, "usage: sc-make-cue pass|fail OUT.wav\n");
      return 2;
    }
  tones = strcmp (argv[1], "pass") == 0 ? pass_tones : fail_tones;
  n_tones = strcmp (argv[1], "pass") == 0 ? sizeof pass_tones / sizeof pass_tones[0]
                                          : sizeof fail_tones / sizeof fail_tones[0];
  for (size_t i = 0; i < n_tones; i++)
    n_samples += (size_t) (tones[i].seconds * RATE);

  f = fopen (argv[2], "wb");
  if (f == NULL)
    {
      perror (argv[2]);
      return 1;
    }

  fwrite ("RIFF", 1, 4, f);
  put_u32 (f, (uint32_t) (36 + n_samples * 2));
  fwrite ("WAVEfmt ", 1, 8, f);
  put_u32 (f, 16);            /* PCM header size */
  put_u16 (f, 1);             /* PCM */
  put_u16 (f, 1);             /* mono */
  put_u32 (f, RATE);
  put_u32 (f, RATE * 2);      /* bytes per second */
  put_u16 (f, 2);             /* bytes per frame */
  put_u16 (f, 16);            /* bits per sample */
  fwrite ("data", 1, 4, f);
  put_u32 (f, (uint32_t) (n_samples * 2));

  for (size_t i = 0; i < n_tones; i++)
    {
      size_t n = (size_t) (tones[i].seconds * RATE);

      for (size_t s = 0; s < n; s++)
        {
          double t = (double) s / RATE;
          /* 8 ms fades, so no tone starts or ends with a click. */
          double fade = fmin (1.0, fmin (t, tones[i].seconds - t) / 0.008);
          double v = 0.0;

          if (tones[i].frequency > 0.0)
            {
              v = sin (2.0 * M_PI * tones[i].frequency * t);
              if (tones[i].square)
                v += sin (2.0 * M_PI * 3.0 * tones[i].frequency * t) / 3.0 +
                     sin (2.0 * M_PI * 5.0 * tones[i].frequency * t) / 5.0;
            }
          put_u16 (f, (uint16_t) (int16_t) lrint (v * fade * 0.5 * 32767.0 / (tones[i].square ? 1.5 : 1.0)));
        }
    }

  if (fclose (f) != 0)
    {
      perror (argv[2]);
      return 1;
    }
  return 0;
}
