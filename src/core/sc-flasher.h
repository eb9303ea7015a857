/* sc-flasher.h: units written by the maker's own flashing tool
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "sc-secret.h"

G_BEGIN_DECLS

/* docs/flasher-image.md: "SCI1", u32 BE length of what follows up to the
 * CRC, TLVs (tag u8, length u16 BE, value), u32 BE CRC-32 of everything
 * before it. */
enum
{
  SC_IMAGE_TAG_SERIAL = 0x01,
  SC_IMAGE_TAG_PID    = 0x02,
  SC_IMAGE_TAG_KEY    = 0x03,  /* PKCS#8 DER private key */
  SC_IMAGE_TAG_CHAIN  = 0x04,  /* PEM, leaf first */
  SC_IMAGE_TAG_PIN    = 0x05,
};

#define SC_TYPE_FLASHER (sc_flasher_get_type ())

G_DECLARE_FINAL_TYPE (ScFlasher, sc_flasher, SC, FLASHER, GObject)

/* @template: the command, split like a shell would (no shell runs it); the
 * words {image} (/dev/fd/3) and {serial} are replaced. It must name {image}. */
ScFlasher *sc_flasher_new         (const char    *template,
                                   guint          timeout_s,
                                   GError       **error);

/* The per-unit image, in wiped memory. */
ScSecret  *sc_flasher_build_image (const char    *serial,
                                   const char    *pid,
                                   ScSecret      *key_der,
                                   const char    *chain_pem,
                                   ScSecret      *pin);

/* Runs the command with the image as /dev/fd/3 (an anonymous memory file:
 * the key never reaches a disk), under a timeout, in its own process group
 * so a timeout or a cancellation stops everything it started. The command's
 * output (at most 64 KiB) goes to @output. */
gboolean   sc_flasher_write       (ScFlasher     *self,
                                   const char    *serial,
                                   ScSecret      *image,
                                   char         **output,
                                   GCancellable  *cancellable,
                                   GError       **error);

G_END_DECLS
