/* sc-crypto.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "sc-crypto-private.h"

G_DEFINE_QUARK (sc-crypto-error-quark, sc_crypto_error)

static int nids[4];

static void
register_oids (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      static const struct { const char *oid, *name; } oids[] = {
        { SC_OID_DSN, "DSN" },
        { SC_OID_DEVICE_ID, "DeviceId" },
        { SC_OID_DEVICE_TYPE_ID, "DeviceTypeId" },
        { SC_OID_DAK_TYPE, "DakType" },
      };

      for (guint i = 0; i < G_N_ELEMENTS (oids); i++)
        {
          int nid = OBJ_txt2nid (oids[i].oid);

          if (nid == NID_undef)
            nid = OBJ_create (oids[i].oid, oids[i].name, oids[i].name);
          g_assert (nid != NID_undef);
          nids[i] = nid;
        }
      g_once_init_leave (&once, 1);
    }
}

int sc_nid_dsn (void)            { register_oids (); return nids[0]; }
int sc_nid_device_id (void)      { register_oids (); return nids[1]; }
int sc_nid_device_type_id (void) { register_oids (); return nids[2]; }
int sc_nid_dak_type (void)       { register_oids (); return nids[3]; }

void
_sc_set_openssl_error (GError     **error,
                       GQuark       domain,
                       int          code,
                       const char  *format,
                       ...)
{
  g_autofree char *message = NULL;
  unsigned long err;
  char reason[256] = "";
  va_list args;

  /* The newest error is the most specific one. */
  while ((err = ERR_get_error ()) != 0)
    ERR_error_string_n (err, reason, sizeof reason);

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  if (reason[0] != '\0')
    g_set_error (error, domain, code, "%s (OpenSSL: %s)", message, reason);
  else
    g_set_error_literal (error, domain, code, message);
}

gboolean
_sc_read_file_limited (const char  *path,
                       gsize        max_len,
                       gboolean     owner_only,
                       char       **contents,
                       gsize       *len,
                       GError     **error)
{
  g_autofree char *display = g_filename_display_name (path);
  struct stat st;
  int saved_errno;
  int fd;
  char *buf;
  gsize got = 0;

  fd = g_open (path, O_RDONLY | O_CLOEXEC | (owner_only ? O_NOFOLLOW : 0), 0);
  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot open “%s”: %s"), display, g_strerror (saved_errno));
      return FALSE;
    }

  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   _("“%s” is not a regular file"), display);
      return FALSE;
    }

  if (owner_only && (st.st_uid != geteuid () || (st.st_mode & 0077) != 0))
    {
      close (fd);
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_PERM,
                   _("“%s” must belong to you and be readable by nobody else; "
                     "fix it with “chmod 600”"), display);
      return FALSE;
    }

  if ((guint64) st.st_size > max_len)
    {
      close (fd);
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   _("“%s” is too large (%" PRIu64 " bytes, at most %zu)"),
                   display, (guint64) st.st_size, max_len);
      return FALSE;
    }

  buf = g_malloc (max_len + 1);
  saved_errno = 0;
  while (saved_errno == 0)
    {
      gssize n = read (fd, buf + got, max_len + 1 - got);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        saved_errno = errno;
      else if (n == 0)
        break;
      else if ((got += n) > max_len)
        saved_errno = EFBIG;
    }
  close (fd);

  if (saved_errno != 0)
    {
      OPENSSL_cleanse (buf, MIN (got, max_len + 1));
      g_free (buf);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot read “%s”: %s"), display, g_strerror (saved_errno));
      return FALSE;
    }

  buf[got] = '\0';
  *contents = buf;
  if (len != NULL)
    *len = got;
  return TRUE;
}

char *
sc_x509_name_get_text (const X509_NAME *name,
                       int              nid,
                       int             *count)
{
  int n = 0;
  int last = -1;
  int i = -1;

  while ((i = X509_NAME_get_index_by_NID (name, nid, i)) >= 0)
    {
      n++;
      last = i;
    }

  if (count != NULL)
    *count = n;

  if (last < 0)
    return NULL;

  {
    const ASN1_STRING *value = X509_NAME_ENTRY_get_data (X509_NAME_get_entry (name, last));
    unsigned char *utf8 = NULL;
    int len = ASN1_STRING_to_UTF8 (&utf8, value);
    char *ret;

    if (len < 0)
      return NULL;
    ret = g_strndup ((const char *) utf8, len);
    OPENSSL_free (utf8);
    return ret;
  }
}

char *
sc_x509_name_to_string (const X509_NAME *name)
{
  g_autoptr(BIO) bio = BIO_new (BIO_s_mem ());
  char *data = NULL;
  long len;

  register_oids ();
  if (X509_NAME_print_ex (bio, name, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) < 0)
    return g_strdup ("?");
  len = BIO_get_mem_data (bio, &data);
  return g_strndup (data, len);
}

void
sc_certs_free (STACK_OF (X509) *certs)
{
  sk_X509_pop_free (certs, X509_free);
}

STACK_OF (X509) *
sc_certs_load_pem (const char  *data,
                   gsize        len,
                   GError     **error)
{
  g_autoptr(ScCertList) certs = sk_X509_new_null ();
  g_autoptr(BIO) bio = NULL;

  if (len > SC_MAX_PEM_INPUT)
    {
      g_set_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_MALFORMED,
                   _("The certificate data is too large (%zu bytes)"), len);
      return NULL;
    }

  bio = BIO_new_mem_buf (data, (int) len);
  for (;;)
    {
      X509 *cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL);

      if (cert == NULL)
        break;
      sk_X509_push (certs, cert);
    }

  /* Running out of PEM blocks is how the loop ends; anything else is an error. */
  if (ERR_GET_REASON (ERR_peek_last_error ()) == PEM_R_NO_START_LINE)
    ERR_clear_error ();

  if (ERR_peek_error () != 0)
    {
      _sc_set_openssl_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_MALFORMED,
                             _("A certificate in the PEM data is malformed"));
      return NULL;
    }

  if (sk_X509_num (certs) == 0)
    {
      g_set_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_MALFORMED,
                   _("No PEM certificate found"));
      return NULL;
    }

  return g_steal_pointer (&certs);
}

STACK_OF (X509) *
sc_certs_load_file (const char  *path,
                    GError     **error)
{
  g_autofree char *data = NULL;
  g_autoptr(GError) local_error = NULL;
  STACK_OF (X509) *certs;
  gsize len;

  if (!_sc_read_file_limited (path, SC_MAX_PEM_INPUT, FALSE, &data, &len, error))
    return NULL;

  certs = sc_certs_load_pem (data, len, &local_error);
  if (certs == NULL)
    {
      g_autofree char *display = g_filename_display_name (path);

      g_set_error (error, local_error->domain, local_error->code,
                   "%s: %s", display, local_error->message);
    }
  return certs;
}

static char *
bio_to_string (BIO *bio)
{
  char *data = NULL;
  long len = BIO_get_mem_data (bio, &data);

  return g_strndup (data, len);
}

char *
sc_cert_to_pem (X509 *cert)
{
  g_autoptr(BIO) bio = BIO_new (BIO_s_mem ());

  g_return_val_if_fail (cert != NULL, NULL);

  if (!PEM_write_bio_X509 (bio, cert))
    g_error ("Out of memory writing a certificate");
  return bio_to_string (bio);
}

char *
sc_certs_to_pem (STACK_OF (X509) *certs)
{
  g_autoptr(BIO) bio = BIO_new (BIO_s_mem ());

  g_return_val_if_fail (certs != NULL, NULL);

  for (int i = 0; i < sk_X509_num (certs); i++)
    if (!PEM_write_bio_X509 (bio, sk_X509_value (certs, i)))
      g_error ("Out of memory writing a certificate");
  return bio_to_string (bio);
}

void
sc_cert_fingerprint (X509   *cert,
                     guint8  sha256[32])
{
  unsigned int len = 32;

  if (!X509_digest (cert, EVP_sha256 (), sha256, &len) || len != 32)
    g_error ("SHA-256 is not available");
}

char *
sc_cert_fingerprint_hex (X509 *cert)
{
  guint8 md[32];
  GString *str = g_string_sized_new (96);

  sc_cert_fingerprint (cert, md);
  for (guint i = 0; i < sizeof md; i++)
    g_string_append_printf (str, i ? ":%02X" : "%02X", md[i]);
  return g_string_free (str, FALSE);
}

char *
sc_cert_serial_hex (X509 *cert)
{
  g_autoptr(BIGNUM) bn = ASN1_INTEGER_to_BN (X509_get0_serialNumber (cert), NULL);
  char *hex = BN_bn2hex (bn);
  char *ret = g_strdup (hex);

  OPENSSL_free (hex);
  return ret;
}

gboolean
_sc_x509_set_validity (X509   *cert,
                       gint64  not_before_offset,
                       gint64  not_after_offset)
{
  time_t now = time (NULL);

  return X509_time_adj_ex (X509_getm_notBefore (cert), 0, (long) not_before_offset, &now) != NULL
      && X509_time_adj_ex (X509_getm_notAfter (cert),
                           (int) (not_after_offset / 86400),
                           (long) (not_after_offset % 86400), &now) != NULL;
}

gboolean
_sc_x509_set_random_serial (X509    *cert,
                            GError **error)
{
  guint8 bytes[16];
  g_autoptr(BIGNUM) bn = NULL;

  if (RAND_bytes (bytes, sizeof bytes) != 1)
    {
      _sc_set_openssl_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_FAILED,
                             _("The random number generator failed"));
      return FALSE;
    }
  /* Positive, and exactly 16 bytes long once DER-encoded. */
  bytes[0] = (bytes[0] & 0x7f) | 0x40;

  bn = BN_bin2bn (bytes, sizeof bytes, NULL);
  if (bn == NULL || BN_to_ASN1_INTEGER (bn, X509_get_serialNumber (cert)) == NULL)
    {
      _sc_set_openssl_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_FAILED,
                             _("Cannot set the certificate serial"));
      return FALSE;
    }
  return TRUE;
}

gboolean
_sc_x509_add_ext (X509        *cert,
                  X509        *issuer,
                  int          nid,
                  const char  *value,
                  GError     **error)
{
  g_autoptr(X509_EXTENSION) ext = NULL;
  X509V3_CTX ctx;

  X509V3_set_ctx (&ctx, issuer, cert, NULL, NULL, 0);
  ext = X509V3_EXT_conf_nid (NULL, &ctx, nid, value);
  if (ext == NULL || !X509_add_ext (cert, ext, -1))
    {
      _sc_set_openssl_error (error, SC_CRYPTO_ERROR, SC_CRYPTO_ERROR_FAILED,
                             _("Cannot add the %s extension"), OBJ_nid2sn (nid));
      return FALSE;
    }
  return TRUE;
}
