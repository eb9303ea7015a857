/* sc-test-pin-signer.c: a DAK behind a PIN, for the widget tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "sc-signer-private.h"
#include "sc-test-pin-signer.h"

#define MAX_RETRIES 3

struct _ScTestPinSigner
{
  GObject   parent_instance;
  GMutex    lock;
  ScSigner *inner;
  char     *pin;
  int       retries;
  gboolean  present;
  gboolean  unlocked;
  guint     attempts;
};

static void signer_iface_init (ScSignerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ScTestPinSigner, sc_test_pin_signer, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SC_TYPE_SIGNER, signer_iface_init))

static STACK_OF (X509) *
get_chain (ScSigner *signer)
{
  return sc_signer_get_chain (SC_TEST_PIN_SIGNER (signer)->inner);
}

static GBytes *
sign_digest (ScSigner      *signer,
             const guint8  *digest,
             gsize          digest_len,
             GCancellable  *cancellable,
             GError       **error)
{
  ScTestPinSigner *self = SC_TEST_PIN_SIGNER (signer);
  gboolean unlocked, present;

  g_mutex_lock (&self->lock);
  unlocked = self->unlocked;
  present = self->present;
  g_mutex_unlock (&self->lock);

  if (!present)
    {
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_TOKEN_LOST, "The test DAK token was removed; plug it in");
      return NULL;
    }
  if (!unlocked)
    {
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_LOCKED, "The test DAK is locked; unlock it with its PIN");
      return NULL;
    }
  return _sc_signer_sign_digest (self->inner, digest, digest_len, cancellable, error);
}

static char *
describe (ScSigner *signer)
{
  return g_strdup ("test DAK token 4242");
}

static ScSignerStatus *
get_status (ScSigner *signer)
{
  ScTestPinSigner *self = SC_TEST_PIN_SIGNER (signer);
  ScSignerStatus *status = g_new0 (ScSignerStatus, 1);

  g_mutex_lock (&self->lock);
  status->present = self->present;
  status->needs_pin = TRUE;
  status->unlocked = self->present && self->unlocked;
  status->pin_retries = self->present ? self->retries : -1;
  status->token_serial = self->present ? g_strdup ("4242") : NULL;
  g_mutex_unlock (&self->lock);
  return status;
}

static gboolean
unlock (ScSigner      *signer,
        ScSecret      *pin,
        GCancellable  *cancellable,
        GError       **error)
{
  ScTestPinSigner *self = SC_TEST_PIN_SIGNER (signer);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  if (!self->present)
    {
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_TOKEN_LOST, "The test DAK token is not there; plug it in");
      return FALSE;
    }
  if (self->retries == 0)
    {
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_PIN_BLOCKED,
                   "The test DAK's PIN is blocked: no tries are left");
      return FALSE;
    }
  if (self->retries == 1)
    {
      g_set_error (error, SC_DAK_ERROR, SC_DAK_ERROR_PIN_LAST_RETRY,
                   "Only one DAK PIN try is left; Setup Console will not spend it");
      return FALSE;
    }

  self->attempts++;
  if (g_str_equal (sc_secret_get_string (pin), self->pin))
    {
      self->unlocked = TRUE;
      self->retries = MAX_RETRIES;
      return TRUE;
    }
  self->unlocked = FALSE;
  self->retries--;
  g_set_error (error, SC_DAK_ERROR, self->retries == 0 ? SC_DAK_ERROR_PIN_BLOCKED : SC_DAK_ERROR_PIN_WRONG,
               "Wrong DAK PIN: %d tries are left", self->retries);
  return FALSE;
}

static void
lock (ScSigner *signer)
{
  ScTestPinSigner *self = SC_TEST_PIN_SIGNER (signer);

  g_mutex_lock (&self->lock);
  self->unlocked = FALSE;
  g_mutex_unlock (&self->lock);
}

static void
signer_iface_init (ScSignerInterface *iface)
{
  iface->get_chain = get_chain;
  iface->sign_digest = sign_digest;
  iface->describe = describe;
  iface->get_status = get_status;
  iface->unlock = unlock;
  iface->lock = lock;
}

static void
sc_test_pin_signer_finalize (GObject *object)
{
  ScTestPinSigner *self = SC_TEST_PIN_SIGNER (object);

  g_clear_object (&self->inner);
  sc_clear_secret_string (&self->pin);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (sc_test_pin_signer_parent_class)->finalize (object);
}

static void
sc_test_pin_signer_class_init (ScTestPinSignerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sc_test_pin_signer_finalize;
}

static void
sc_test_pin_signer_init (ScTestPinSigner *self)
{
  g_mutex_init (&self->lock);
  self->present = TRUE;
}

ScSigner *
sc_test_pin_signer_new (ScSigner   *inner,
                        const char *pin,
                        int         retries)
{
  ScTestPinSigner *self = g_object_new (SC_TYPE_TEST_PIN_SIGNER, NULL);

  self->inner = g_object_ref (inner);
  self->pin = g_strdup (pin);
  self->retries = retries;
  return SC_SIGNER (self);
}

void
sc_test_pin_signer_set_present (ScTestPinSigner *self,
                                gboolean         present)
{
  g_mutex_lock (&self->lock);
  self->present = present;
  if (!present)
    self->unlocked = FALSE;
  g_mutex_unlock (&self->lock);
}

void
sc_test_pin_signer_set_retries (ScTestPinSigner *self,
                                int              retries)
{
  g_mutex_lock (&self->lock);
  self->retries = retries;
  g_mutex_unlock (&self->lock);
}

guint
sc_test_pin_signer_get_attempts (ScTestPinSigner *self)
{
  guint attempts;

  g_mutex_lock (&self->lock);
  attempts = self->attempts;
  g_mutex_unlock (&self->lock);
  return attempts;
}
