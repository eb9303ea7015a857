/* sc-test-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <openssl/core_names.h>
#include <openssl/objects.h>

#include "sc-test-util.h"

char *
sc_test_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("sc-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
sc_test_rmdir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        sc_test_rmdir (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}

char *
sc_test_training (const ScTrainingOptions *options)
{
  ScTrainingOptions defaults = { 0 };
  g_autoptr(GError) error = NULL;
  char *dir = sc_test_tmpdir ();

  g_assert_true (_sc_training_create_full (dir, options ? options : &defaults, &error));
  g_assert_no_error (error);
  return dir;
}

ScProfile *
sc_test_load_profile (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "product.profile", NULL);
  g_autoptr(GError) error = NULL;
  ScProfile *profile = sc_profile_new_from_file (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (profile);
  return profile;
}

void
sc_test_set_profile_key (const char *dir,
                         const char *group,
                         const char *key,
                         const char *value)
{
  g_autofree char *path = g_build_filename (dir, "product.profile", NULL);
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) error = NULL;

  g_key_file_load_from_file (kf, path, G_KEY_FILE_KEEP_COMMENTS, &error);
  g_assert_no_error (error);
  g_key_file_set_value (kf, group, key, value);
  g_key_file_save_to_file (kf, path, &error);
  g_assert_no_error (error);
}

X509_REQ *
sc_test_build_csr (const ScTestCsr *spec,
                   EVP_PKEY        *default_key,
                   const char      *default_dsn)
{
  g_autoptr(X509_REQ) req = X509_REQ_new ();
  g_autoptr(EVP_PKEY) key = EVP_PKEY_dup (spec->key ? spec->key : default_key);
  X509_NAME *name = X509_NAME_new ();
  const char *dtid = spec->dtid ? spec->dtid : SC_TRAINING_DEVICE_TYPE_ID;
  const char *dsn = spec->dsn ? spec->dsn : default_dsn;
  int dtid_type = spec->dtid_type ? spec->dtid_type : V_ASN1_UTF8STRING;
  int dsn_type = spec->dsn_type ? spec->dsn_type : V_ASN1_UTF8STRING;
  int dsn_len = spec->dsn_len > 0 ? spec->dsn_len : -1;

  g_assert_nonnull (key);
  if (spec->explicit_curve)
    g_assert_true (EVP_PKEY_set_utf8_string_param (key, OSSL_PKEY_PARAM_EC_ENCODING,
                                                   OSSL_PKEY_EC_ENCODING_EXPLICIT));
  if (spec->compressed)
    g_assert_true (EVP_PKEY_set_utf8_string_param (key, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                                   OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_COMPRESSED));

  if (dsn[0] != '\0')
    for (int i = 0; i < (spec->dsn_twice ? 2 : 1); i++)
      g_assert_true (X509_NAME_add_entry_by_NID (name, sc_nid_dsn (), dsn_type,
                                                 (const guchar *) dsn, dsn_len, -1, 0));
  if (dtid[0] != '\0')
    for (int i = 0; i < (spec->dtid_twice ? 2 : 1); i++)
      g_assert_true (X509_NAME_add_entry_by_NID (name, sc_nid_device_type_id (), dtid_type,
                                                 (const guchar *) dtid, -1, -1,
                                                 spec->multi_valued && i == 0 ? -1 : 0));
  if (spec->add_cn)
    g_assert_true (X509_NAME_add_entry_by_NID (name, NID_commonName, MBSTRING_UTF8,
                                               (const guchar *) "www.example.com", -1, -1, 0));

  g_assert_true (X509_REQ_set_version (req, 0));
  g_assert_true (X509_REQ_set_subject_name (req, name));
  X509_NAME_free (name);
  g_assert_true (X509_REQ_set_pubkey (req, key));

  if (spec->add_challenge)
    g_assert_true (X509_REQ_add1_attr_by_NID (req, NID_pkcs9_challengePassword, MBSTRING_ASC,
                                              (const guchar *) "secret", -1));
  if (spec->ext_name != NULL)
    {
      STACK_OF (X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null ();
      X509_EXTENSION *ext = X509V3_EXT_conf_nid (NULL, NULL, OBJ_sn2nid (spec->ext_name), spec->ext_value);

      g_assert_nonnull (ext);
      sk_X509_EXTENSION_push (exts, ext);
      g_assert_true (X509_REQ_add_extensions (req, exts));
      sk_X509_EXTENSION_pop_free (exts, X509_EXTENSION_free);
    }

  g_assert_cmpint (X509_REQ_sign (req, key, spec->md ? spec->md : EVP_sha256 ()), >, 0);

  /* Round-trip through DER, as a CSR from a device arrives. */
  {
    guint8 *der = NULL;
    const guint8 *p;
    int len = i2d_X509_REQ (req, &der);
    X509_REQ *parsed;

    g_assert_cmpint (len, >, 0);
    p = der;
    parsed = d2i_X509_REQ (NULL, &p, len);
    OPENSSL_free (der);
    g_assert_nonnull (parsed);
    return parsed;
  }
}

int
sc_test_spki_length (X509 *cert)
{
  return i2d_X509_PUBKEY (X509_get_X509_PUBKEY (cert), NULL);
}
