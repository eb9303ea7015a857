/* sc-crypto-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sc-crypto.h"

G_BEGIN_DECLS

/* Sets @error to "@message (OpenSSL: <the library's own reason>)" and clears
 * OpenSSL's error queue. */
void     _sc_set_openssl_error  (GError     **error,
                                 GQuark       domain,
                                 int          code,
                                 const char  *format,
                                 ...) G_GNUC_PRINTF (4, 5);

/* Reads a whole regular file of at most @max_len bytes. With @owner_only,
 * the file must belong to this user and be unreadable by anyone else
 * (G_FILE_ERROR_PERM otherwise), checked on the descriptor that is read, so
 * the file cannot be swapped between the check and the read. */
gboolean _sc_read_file_limited  (const char  *path,
                                 gsize        max_len,
                                 gboolean     owner_only,
                                 char       **contents,
                                 gsize       *len,
                                 GError     **error);

/* Sets a certificate's validity relative to now, in seconds. */
gboolean _sc_x509_set_validity  (X509        *cert,
                                 gint64       not_before_offset,
                                 gint64       not_after_offset);

/* A random positive serial of 16 bytes. */
gboolean _sc_x509_set_random_serial (X509    *cert,
                                     GError **error);

/* Adds one extension given in OpenSSL's config syntax, with @issuer as the
 * issuer for key identifiers. */
gboolean _sc_x509_add_ext       (X509        *cert,
                                 X509        *issuer,
                                 int          nid,
                                 const char  *value,
                                 GError     **error);

G_END_DECLS
