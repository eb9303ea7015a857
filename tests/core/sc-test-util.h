/* sc-test-util.h: shared by the core tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sc-core.h"
#include "sc-training-private.h"

G_BEGIN_DECLS

/* A fresh temporary folder, removed with its contents by sc_test_rmdir(). */
char      *sc_test_tmpdir        (void);
void       sc_test_rmdir         (const char *dir);

/* A training hierarchy in a new temporary folder; returns the folder. */
char      *sc_test_training      (const ScTrainingOptions *options);
ScProfile *sc_test_load_profile  (const char *dir);

/* Replaces the text of profile key @key in @dir's product.profile
 * (appending it to @group when absent). */
void       sc_test_set_profile_key (const char *dir,
                                    const char *group,
                                    const char *key,
                                    const char *value);

/* A CSR built to break exactly one rule of the policy (or none). */
typedef struct
{
  EVP_PKEY     *key;            /* NULL: the default key */
  const EVP_MD *md;             /* NULL: SHA-256 */
  const char   *dtid;           /* NULL: the training DeviceTypeId; "" leaves it out */
  int           dtid_type;      /* 0: UTF8String */
  const char   *dsn;            /* NULL: the default DSN; "" leaves it out */
  int           dsn_type;       /* 0: UTF8String */
  int           dsn_len;        /* > 0: the DSN's length in bytes, NULs included */
  gboolean      dtid_twice;
  gboolean      dsn_twice;
  gboolean      multi_valued;   /* DSN and DeviceTypeId in one RDN */
  gboolean      add_cn;
  gboolean      add_challenge;
  gboolean      explicit_curve; /* the key's curve as explicit parameters */
  gboolean      compressed;     /* the key's point compressed */
  const char   *ext_name;       /* an extension to request, by short name */
  const char   *ext_value;
} ScTestCsr;

X509_REQ  *sc_test_build_csr     (const ScTestCsr *spec,
                                  EVP_PKEY        *default_key,
                                  const char      *default_dsn);

/* Counts a DER re-encoding's length in @req's SubjectPublicKeyInfo. */
int        sc_test_spki_length   (X509            *cert);

G_END_DECLS
