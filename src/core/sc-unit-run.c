/* sc-unit-run.c: the per-unit run
 *
 * The run is a journal as much as a procedure: before anything irreversible
 * (a DAK signature, a write to the unit, a print) the store records what is
 * about to happen, so a re-scan after a crash, an unplugged cable or a power
 * cut continues safely: it reads back what the unit holds and goes on from
 * there, never issuing a second certificate for a unit that holds its
 * first, never printing a label twice unless someone asks for a reprint.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <openssl/sha.h>

#include "sc-blocking-private.h"
#include "sc-chain.h"
#include "sc-csr.h"
#include "sc-defaults.h"
#include "sc-device.h"
#include "sc-flasher.h"
#include "sc-key.h"
#include "sc-label.h"
#include "sc-payload.h"
#include "sc-pin.h"
#include "sc-unit-run.h"

G_DEFINE_QUARK (sc-run-error-quark, sc_run_error)

static const struct { const char *name; const char *title; } steps[SC_N_STEPS] = {
  { "scan", N_("Scan") },
  { "connect", N_("Connect") },
  { "key", N_("Key") },
  { "policy", N_("CSR policy") },
  { "sign", N_("DAK signature") },
  { "chain", N_("Chain check") },
  { "write", N_("Flash write") },
  { "read-back", N_("Read-back") },
  { "challenge", N_("Challenge") },
  { "label", N_("Labels") },
  { "print", N_("Print") },
  { "record", N_("Record") },
};

const char *
sc_step_get_name (ScStep step)
{
  g_return_val_if_fail (step < SC_N_STEPS, NULL);
  return steps[step].name;
}

const char *
sc_step_get_title (ScStep step)
{
  g_return_val_if_fail (step < SC_N_STEPS, NULL);
  return g_dgettext (GETTEXT_PACKAGE, steps[step].title);
}

gboolean
sc_step_from_name (const char *name,
                   ScStep     *step)
{
  for (guint i = 0; i < SC_N_STEPS; i++)
    if (g_strcmp0 (name, steps[i].name) == 0)
      {
        *step = i;
        return TRUE;
      }
  return FALSE;
}


ScStation *
sc_station_new (ScProfile       *profile,
                ScDak           *dak,
                ScStore         *store,
                ScStationSecret *secret,
                ScPrinter       *printer,
                const char      *device_uri,
                const char      *operator_name)
{
  ScStation *station = g_new0 (ScStation, 1);

  station->profile = g_object_ref (profile);
  station->dak = g_object_ref (dak);
  station->store = g_object_ref (store);
  station->secret = g_object_ref (secret);
  station->printer = g_object_ref (printer);
  station->device_uri = g_strdup (device_uri ? device_uri : sc_profile_get_device_uri (profile));
  station->station_name = g_strdup (g_get_host_name ());
  station->operator_name = g_strdup (operator_name ? operator_name : g_get_user_name ());
  return station;
}

ScStation *
sc_station_new_default (GError **error)
{
  g_autoptr(ScProfile) profile = NULL;
  g_autoptr(ScDak) dak = NULL;
  g_autoptr(ScStore) store = NULL;
  g_autoptr(ScStationSecret) secret = NULL;
  g_autoptr(ScPrinter) printer = NULL;
  g_autofree char *data_dir = sc_defaults_get_data_dir ();
  g_autofree char *key_path = g_build_filename (data_dir, "station.key", NULL);

  if (!(profile = sc_defaults_load_training_profile (error)) ||
      !(dak = sc_dak_new_for_profile (profile, error)) ||
      !(store = sc_store_open (NULL, error)) ||
      !(secret = sc_station_secret_load (key_path, error)) ||
      !(printer = sc_printer_open_for_profile (profile, NULL, error)))
    return NULL;
  return sc_station_new (profile, dak, store, secret, printer, NULL, NULL);
}

void
sc_station_free (ScStation *station)
{
  if (station == NULL)
    return;
  g_clear_object (&station->profile);
  g_clear_object (&station->dak);
  g_clear_object (&station->store);
  g_clear_object (&station->secret);
  g_clear_object (&station->printer);
  g_free (station->device_uri);
  g_free (station->station_name);
  g_free (station->operator_name);
  g_free (station);
}

struct _ScUnitRun
{
  GObject          parent_instance;

  ScStation       *station;        /* borrowed: outlives the run */
  char            *serial;
  char            *override_reason;
  GMainContext    *context;
  GThread         *creator;        /* the thread that made the run, on @context */

  ScStep           current;
  gboolean         finished;
  gboolean         passed;
  gboolean         resumed;
  gint64           step_started;
  gint64           step_time[SC_N_STEPS];
  GArray          *step_records;   /* ScStepRecord, written to the store as the run ends */
  char            *payloads[2];
  ScLabelLayout   *layouts[2];     /* rendered and decoded back by the label step */

  /* The run's working state. */
  ScUnitRecord    *record;
  ScUnitState      state;
  ScDevice        *device;
  ScFlasher       *flasher;
  X509_REQ        *csr;
  ScSecret        *key_der;        /* station-made keys only */
  STACK_OF (X509) *chain;
  char            *chain_pem;
  EVP_PKEY        *public_key;
  ScSecret        *pin;

  /* Print pending: from the records, without the unit; reprints of labels
   * whose outcome is not known, for this reason. */
  gboolean         print_only;
  char            *reprint_reason;

  /* Step by step: the run holds after each step until continued. */
  GMutex           pause_lock;
  GCond            pause_cond;
  gboolean         pause;
  gboolean         released;       /* a continue not yet used by a hold */
  GCancellable    *run_cancellable;  /* borrowed, while sc_unit_run_run() works */
};

enum { PROP_0, PROP_SERIAL, PROP_CURRENT_STEP, PROP_FINISHED, PROP_PASSED, N_PROPS };
enum { STEP_STARTED, STEP_FINISHED, STEP_SKIPPED, N_SIGNALS };
static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ScUnitRun, sc_unit_run, G_TYPE_OBJECT)

static void
sc_unit_run_finalize (GObject *object)
{
  ScUnitRun *self = SC_UNIT_RUN (object);

  g_free (self->serial);
  g_free (self->override_reason);
  g_free (self->reprint_reason);
  g_main_context_unref (self->context);
  sc_clear_secret_string (&self->payloads[0]);
  sc_clear_secret_string (&self->payloads[1]);
  g_clear_object (&self->layouts[0]);
  g_clear_object (&self->layouts[1]);
  for (guint i = 0; i < self->step_records->len; i++)
    g_free (g_array_index (self->step_records, ScStepRecord, i).error);
  g_array_unref (self->step_records);
  g_clear_pointer (&self->record, sc_unit_record_free);
  g_clear_object (&self->device);
  g_clear_object (&self->flasher);
  g_clear_pointer (&self->csr, X509_REQ_free);
  g_clear_pointer (&self->key_der, sc_secret_unref);
  g_clear_pointer (&self->chain, sc_certs_free);
  g_free (self->chain_pem);
  g_clear_pointer (&self->public_key, EVP_PKEY_free);
  g_clear_pointer (&self->pin, sc_secret_unref);
  g_mutex_clear (&self->pause_lock);
  g_cond_clear (&self->pause_cond);

  G_OBJECT_CLASS (sc_unit_run_parent_class)->finalize (object);
}

static void
sc_unit_run_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  ScUnitRun *self = SC_UNIT_RUN (object);

  switch (prop_id)
    {
    case PROP_SERIAL: g_value_set_string (value, self->serial); break;
    case PROP_CURRENT_STEP: g_value_set_int (value, self->current); break;
    case PROP_FINISHED: g_value_set_boolean (value, self->finished); break;
    case PROP_PASSED: g_value_set_boolean (value, self->passed); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sc_unit_run_class_init (ScUnitRunClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sc_unit_run_finalize;
  object_class->get_property = sc_unit_run_get_property;

  properties[PROP_SERIAL] = g_param_spec_string ("serial", NULL, NULL, NULL,
                                                 G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CURRENT_STEP] = g_param_spec_int ("current-step", NULL, NULL, 0, SC_N_STEPS, 0,
                                                    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS |
                                                    G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_FINISHED] = g_param_spec_boolean ("finished", NULL, NULL, FALSE,
                                                    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS |
                                                    G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_PASSED] = g_param_spec_boolean ("passed", NULL, NULL, FALSE,
                                                  G_PARAM_READABLE | G_PARAM_STATIC_STRINGS |
                                                  G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[STEP_STARTED] = g_signal_new ("step-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
  signals[STEP_FINISHED] = g_signal_new ("step-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                         NULL, NULL, NULL, G_TYPE_NONE, 4,
                                         G_TYPE_INT, G_TYPE_BOOLEAN, G_TYPE_INT64, G_TYPE_STRING);
  signals[STEP_SKIPPED] = g_signal_new ("step-skipped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
}

static void
sc_unit_run_init (ScUnitRun *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->creator = g_thread_self ();
  self->state = SC_UNIT_STARTED;
  self->step_records = g_array_new (FALSE, TRUE, sizeof (ScStepRecord));
  g_mutex_init (&self->pause_lock);
  g_cond_init (&self->pause_cond);
}

ScUnitRun *
sc_unit_run_new (ScStation  *station,
                 const char *serial)
{
  ScUnitRun *self;

  g_return_val_if_fail (station != NULL, NULL);
  g_return_val_if_fail (serial != NULL, NULL);

  self = g_object_new (SC_TYPE_UNIT_RUN, NULL);
  self->station = station;
  self->serial = g_strdup (serial);
  return self;
}

void
sc_unit_run_set_override (ScUnitRun  *self,
                          const char *reason)
{
  g_return_if_fail (SC_IS_UNIT_RUN (self));

  g_free (self->override_reason);
  self->override_reason = g_strdup (reason);
}

/**
 * sc_unit_run_set_print_only:
 *
 * Continues a unit that waits to print (print pending: its labels were
 * made and verified, and not all printed) from its records, without the
 * unit on the fixture: scan, labels, print, record. A unit in any other
 * state is refused. Labels that printed are not printed again.
 */
void
sc_unit_run_set_print_only (ScUnitRun *self,
                            gboolean   print_only)
{
  g_return_if_fail (SC_IS_UNIT_RUN (self));

  self->print_only = print_only;
}

/**
 * sc_unit_run_set_reprint_reason:
 *
 * A label whose print broke off or was under way when the station stopped
 * may or may not exist, so it stops the run; with @reason, someone has
 * checked and destroyed any copy, and it is printed again as a reprint
 * recorded with @reason.
 */
void
sc_unit_run_set_reprint_reason (ScUnitRun  *self,
                                const char *reason)
{
  g_return_if_fail (SC_IS_UNIT_RUN (self));
  g_return_if_fail (reason == NULL || *reason != '\0');

  g_free (self->reprint_reason);
  self->reprint_reason = g_strdup (reason);
}

void
sc_unit_run_set_pause (ScUnitRun *self,
                       gboolean   pause)
{
  g_return_if_fail (SC_IS_UNIT_RUN (self));

  g_mutex_lock (&self->pause_lock);
  self->pause = !!pause;
  g_mutex_unlock (&self->pause_lock);
}

void
sc_unit_run_continue (ScUnitRun *self)
{
  g_return_if_fail (SC_IS_UNIT_RUN (self));

  g_mutex_lock (&self->pause_lock);
  self->released = TRUE;
  g_cond_broadcast (&self->pause_cond);
  g_mutex_unlock (&self->pause_lock);
}

const char *sc_unit_run_get_serial (ScUnitRun *self) { g_return_val_if_fail (SC_IS_UNIT_RUN (self), NULL); return self->serial; }
gboolean sc_unit_run_get_resumed (ScUnitRun *self) { g_return_val_if_fail (SC_IS_UNIT_RUN (self), FALSE); return self->resumed; }

gint64
sc_unit_run_get_step_time (ScUnitRun *self,
                           ScStep     step)
{
  g_return_val_if_fail (SC_IS_UNIT_RUN (self) && step < SC_N_STEPS, 0);
  return self->step_time[step];
}

const char *
sc_unit_run_get_payload (ScUnitRun   *self,
                         ScLabelKind  kind)
{
  g_return_val_if_fail (SC_IS_UNIT_RUN (self), NULL);
  return self->payloads[kind == SC_LABEL_KIND_PACKAGE];
}

/* ------------------------------------------------------------- signalling */

typedef struct
{
  ScUnitRun *self;
  guint      signal;
  ScStep     step;
  gboolean   ok;
  gint64     duration;
  char      *error;
} Emission;

static gboolean
emit_cb (gpointer data)
{
  Emission *e = data;

  if (e->signal == STEP_FINISHED)
    g_signal_emit (e->self, signals[STEP_FINISHED], 0, e->step, e->ok, e->duration, e->error);
  else
    g_signal_emit (e->self, signals[e->signal], 0, e->step);
  if (e->signal == STEP_STARTED)
    g_object_notify_by_pspec (G_OBJECT (e->self), properties[PROP_CURRENT_STEP]);
  return G_SOURCE_REMOVE;
}

static void
emission_free (gpointer data)
{
  Emission *e = data;

  g_object_unref (e->self);
  g_free (e->error);
  g_free (e);
}

/* On the run's main context: directly when the run works there (the CLI),
 * else queued to it (the GUI's worker thread). */
/* Runs @func on the run's main context. From the thread that made the run
 * (the blocking form, as the CLI uses it) g_main_context_invoke() may call it
 * at once. From any other thread it is always queued: g_main_context_invoke()
 * takes a worker thread without a thread-default context for the default
 * context's own thread and would run signal handlers right there on the
 * worker whenever the main thread is between two iterations. */
static void
invoke (ScUnitRun      *self,
        GSourceFunc     func,
        gpointer        data,
        GDestroyNotify  notify)
{
  g_autoptr(GSource) source = NULL;

  if (g_thread_self () == self->creator)
    {
      g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, func, data, notify);
      return;
    }
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, notify);
  g_source_set_static_name (source, "[sc] unit run signal");
  g_source_attach (source, self->context);
}

static void
emit (ScUnitRun  *self,
      guint       signal,
      ScStep      step,
      gboolean    ok,
      gint64      duration,
      const char *error)
{
  Emission *e = g_new0 (Emission, 1);

  e->self = g_object_ref (self);
  e->signal = signal;
  e->step = step;
  e->ok = ok;
  e->duration = duration;
  e->error = g_strdup (error);
  invoke (self, emit_cb, e, emission_free);
}

/* Test hook: SC_TEST_CRASH_AT=STEP:before|after kills the process there, so
 * tests can show a crash at every step boundary is survived. */
static void
crash_hook (ScStep      step,
            const char *when)
{
  static const char *at;
  static gsize once;
  g_autofree char *want = NULL;

  if (g_once_init_enter (&once))
    {
      at = g_getenv ("SC_TEST_CRASH_AT");
      g_once_init_leave (&once, 1);
    }
  if (at == NULL)
    return;
  want = g_strdup_printf ("%s:%s", steps[step].name, when);
  if (g_str_equal (at, want))
    raise (SIGKILL);
}

static void
step_begin (ScUnitRun *self,
            ScStep     step)
{
  crash_hook (step, "before");
  self->current = step;
  self->step_started = g_get_monotonic_time ();
  emit (self, STEP_STARTED, step, TRUE, 0, NULL);
}

static void
hold_cancelled_cb (GCancellable *cancellable,
                   gpointer      data)
{
  ScUnitRun *self = data;

  g_mutex_lock (&self->pause_lock);
  g_cond_broadcast (&self->pause_cond);
  g_mutex_unlock (&self->pause_lock);
}

/* Step by step: holds after a step until sc_unit_run_continue(). A run
 * cancelled while held stops there. */
static gboolean
hold_after_step (ScUnitRun  *self,
                 ScStep      step,
                 GError    **error)
{
  GCancellable *cancellable = self->run_cancellable;
  gboolean held;
  gulong handler;

  if (step == SC_N_STEPS - 1)
    return TRUE;

  /* Connected before the lock: an already cancelled cancellable calls
   * back at once, and the callback takes the lock. */
  handler = cancellable ? g_cancellable_connect (cancellable, G_CALLBACK (hold_cancelled_cb), self, NULL) : 0;
  g_mutex_lock (&self->pause_lock);
  held = self->pause;
  while (held && !self->released && !g_cancellable_is_cancelled (cancellable))
    g_cond_wait (&self->pause_cond, &self->pause_lock);
  self->released = FALSE;
  g_mutex_unlock (&self->pause_lock);
  if (handler != 0)
    g_cancellable_disconnect (cancellable, handler);

  if (held && g_cancellable_is_cancelled (cancellable))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                   /* Translators: a step's title, as the step list shows it */
                   _("The run was stopped while it waited after the “%s” step; scan the unit again to go on"),
                   sc_step_get_title (step));
      return FALSE;
    }
  return TRUE;
}

static gboolean
step_end (ScUnitRun  *self,
          ScStep      step,
          GError     *failure,
          GError    **error)
{
  ScStepRecord record = { 0 };
  gint64 duration = g_get_monotonic_time () - self->step_started;

  /* Step times are kept and written in one go as the run ends: the journal
   * proper is the unit's state, written before every irreversible step. A
   * crash loses the timings of the run it cut short, not its state. */
  self->step_time[step] = duration;
  record.name = (char *) steps[step].name;
  record.started = g_get_real_time () - duration;
  record.finished = g_get_real_time ();
  record.ok = failure == NULL;
  record.error = failure ? g_strdup (failure->message) : NULL;
  g_array_append_val (self->step_records, record);

  emit (self, STEP_FINISHED, step, failure == NULL, duration, failure ? failure->message : NULL);
  if (failure != NULL)
    {
      g_propagate_error (error, failure);
      return FALSE;
    }
  crash_hook (step, "after");
  return hold_after_step (self, step, error);
}

static void
step_skip (ScUnitRun *self,
           ScStep     step)
{
  emit (self, STEP_SKIPPED, step, TRUE, 0, NULL);
}

static gboolean
set_state (ScUnitRun    *self,
           ScUnitState   state,
           GError      **error)
{
  if (!sc_store_set_state (self->station->store, self->record->id, state, NULL, error))
    return FALSE;
  self->state = state;
  return TRUE;
}

/* ------------------------------------------------------------------ steps */

static char *
device_uri_for_unit (ScUnitRun *self)
{
  const char *uri = self->station->device_uri;

  /* The simulated unit of the embedded default: one per serial, with a flash
   * file that outlives the console, as a real unit's flash does. */
  if (g_str_equal (uri, "sim:"))
    {
      g_autofree char *data_dir = sc_defaults_get_data_dir ();
      g_autofree char *dir = g_build_filename (data_dir, "sim", NULL);
      g_autofree char *flash = NULL;
      g_autofree char *escaped = NULL;

      g_mkdir_with_parents (dir, 0700);
      flash = g_strdup_printf ("%s/%s.img", dir, self->serial);
      escaped = g_uri_escape_string (flash, "/", FALSE);
      return g_strdup_printf ("sim:?serial=%s&flash=%s", self->serial, escaped);
    }
  return g_strdup (uri);
}

static gboolean
do_connect (ScUnitRun     *self,
            GCancellable  *cancellable,
            GError       **error)
{
  ScProfile *profile = self->station->profile;
  g_autofree char *uri = device_uri_for_unit (self);
  g_autoptr(ScDeviceInfo) info = NULL;

  if (g_str_has_prefix (uri, "command:"))
    {
      self->flasher = sc_flasher_new (sc_profile_get_flasher (profile), sc_profile_get_flasher_timeout (profile),
                                      error);
      return self->flasher != NULL;
    }

  self->device = sc_device_open (uri, error);
  if (self->device == NULL)
    return FALSE;
  info = sc_device_hello (self->device, cancellable, error);
  if (info == NULL)
    return FALSE;
  if (g_strcmp0 (info->serial, self->serial) != 0)
    {
      g_set_error (error, SC_RUN_ERROR, SC_RUN_ERROR_WRONG_UNIT,
                   _("The fixture holds unit %s, but %s was scanned; put the scanned unit on the fixture "
                     "or scan the one on it"), info->serial, self->serial);
      return FALSE;
    }
  if (sc_profile_get_key_origin (profile) == SC_KEY_ORIGIN_DEVICE && !info->can_keygen)
    {
      g_set_error (error, SC_RUN_ERROR, SC_RUN_ERROR_STATE,
                   _("This product’s units make their own keys, but unit %s cannot (no KEYGEN); "
                     "check the product profile’s [keys] origin"), self->serial);
      return FALSE;
    }
  return TRUE;
}

static gboolean
do_key (ScUnitRun     *self,
        GCancellable  *cancellable,
        GError       **error)
{
  ScProfile *profile = self->station->profile;
  g_autofree char *fingerprint = NULL;
  g_autofree char *puk = NULL;
  EVP_PKEY *key;
  int origin = sc_profile_get_key_origin (profile);

  g_clear_pointer (&self->csr, X509_REQ_free);
  g_clear_pointer (&self->key_der, sc_secret_unref);

  if (origin == SC_KEY_ORIGIN_DEVICE && self->device != NULL)
    {
      self->csr = sc_device_keygen (self->device, sc_profile_get_device_type_id (profile), self->serial,
                                    cancellable, error);
      if (self->csr == NULL)
        return FALSE;
    }
  else
    {
      g_autoptr(EVP_PKEY) station_key = sc_key_generate (error);

      origin = SC_KEY_ORIGIN_STATION;
      if (station_key == NULL ||
          !(self->key_der = sc_key_to_private_der (station_key, error)) ||
          !(self->csr = sc_csr_new (station_key, sc_profile_get_device_type_id (profile), self->serial, error)))
        return FALSE;
    }

  key = X509_REQ_get0_pubkey (self->csr);
  if (key == NULL)
    {
      g_set_error (error, SC_RUN_ERROR, SC_RUN_ERROR_STATE, _("The CSR carries no public key"));
      return FALSE;
    }
  fingerprint = sc_key_fingerprint (key);
  /* A key that is not P-256 has no PUK; the policy step says why. */
  puk = sc_key_get_puk (key, NULL);
  /* The store moves a STARTED unit to KEYED in the same transaction. */
  if (!sc_store_set_key (self->station->store, self->record->id, origin, fingerprint, puk, error))
    return FALSE;
  self->state = MAX (self->state, SC_UNIT_KEYED);
  return TRUE;
}

static gboolean
do_sign (ScUnitRun     *self,
         GCancellable  *cancellable,
         GError       **error)
{
  g_autofree char *dak = sc_cert_fingerprint_hex (sc_dak_get_certificate (self->station->dak));
  g_autofree char *cert_serial = NULL;
  gint64 signature;

  /* Journal first: a signature is counted even if this process dies now. */
  signature = sc_store_begin_signature (self->station->store, self->record->id, dak, error);
  if (signature <= 0)
    return FALSE;

  crash_hook (SC_STEP_SIGN, "signing");
  g_clear_pointer (&self->chain, sc_certs_free);
  self->chain = sc_dak_issue (self->station->dak, self->csr, self->serial, cancellable, error);
  if (self->chain == NULL)
    {
      /* No certificate exists for this attempt (a lost token, a refused
       * PIN): the journal says so, so reconciliation does not count it as
       * a signature that may be out there. */
      g_autoptr(GError) store_error = NULL;

      if (!sc_store_fail_signature (self->station->store, signature, self->record->id, (*error)->message,
                                    &store_error))
        g_warning ("%s", store_error->message);
      return FALSE;
    }

  g_free (self->chain_pem);
  self->chain_pem = sc_certs_to_pem (self->chain);
  cert_serial = sc_cert_serial_hex (sk_X509_value (self->chain, 0));
  g_clear_pointer (&self->public_key, EVP_PKEY_free);
  self->public_key = EVP_PKEY_dup (X509_get0_pubkey (sk_X509_value (self->chain, 0)));

  if (!sc_store_record_issue (self->station->store, signature, self->record->id, cert_serial,
                              self->chain_pem, error))
    return FALSE;
  self->state = SC_UNIT_SIGNED;
  return TRUE;
}

static gboolean
do_write (ScUnitRun     *self,
          GCancellable  *cancellable,
          GError       **error)
{
  ScProfile *profile = self->station->profile;
  g_autoptr(GBytes) sealed = NULL;
  g_autofree char *mac = NULL;
  guint32 generation = 0;

  /* The PIN is recorded, sealed, before it exists anywhere else. */
  g_clear_pointer (&self->pin, sc_secret_unref);
  self->pin = sc_pin_generate (sc_profile_get_pin_alphabet (profile), sc_profile_get_pin_length (profile), error);
  if (self->pin == NULL)
    return FALSE;
  sealed = sc_station_secret_seal_pin (self->station->secret, self->serial, self->pin, error);
  if (sealed == NULL)
    return FALSE;
  mac = sc_station_secret_pin_mac (self->station->secret, sc_profile_get_device_type_id (profile), self->pin);
  if (!sc_store_set_pin (self->station->store, self->record->id, sealed, mac, error))
    return FALSE;

  if (self->flasher != NULL)
    {
      g_autoptr(ScSecret) image = NULL;
      g_autofree char *output = NULL;

      if (self->key_der == NULL)
        {
          g_set_error (error, SC_RUN_ERROR, SC_RUN_ERROR_STATE,
                       _("An external flasher needs a station-made key; set [keys] origin=station"));
          return FALSE;
        }
      image = sc_flasher_build_image (self->serial, sc_profile_get_pid (profile), self->key_der,
                                      self->chain_pem, self->pin);
      if (!sc_flasher_write (self->flasher, self->serial, image, &output, cancellable, error))
        return FALSE;
    }
  else if ((self->key_der != NULL && !sc_device_put_key (self->device, self->key_der, cancellable, error)) ||
           !sc_device_put_chain (self->device, self->chain_pem, cancellable, error) ||
           !sc_device_put_pin (self->device, self->pin, cancellable, error) ||
           !sc_device_commit (self->device, &generation, cancellable, error))
    return FALSE;
  crash_hook (SC_STEP_WRITE, "committed");

  /* The unit holds its key now: the station's copy goes. */
  g_clear_pointer (&self->key_der, sc_secret_unref);
  return set_state (self, SC_UNIT_WRITTEN, error);
}

static gboolean
do_label (ScUnitRun  *self,
          GError    **error)
{
  ScProfile *profile = self->station->profile;
  const ScLabelSettings *settings = sc_profile_get_label_settings (profile);
  g_autofree char *puk = sc_key_get_puk (self->public_key, error);

  if (puk == NULL)
    return FALSE;

  for (int kind = SC_LABEL_KIND_PRODUCT; kind <= SC_LABEL_KIND_PACKAGE; kind++)
    {
      g_autoptr(ScPayload) payload = sc_payload_new (kind);
      g_autoptr(ScLabelLayout) layout = NULL;
      cairo_surface_t *raster;
      gboolean ok;

      if (kind == SC_LABEL_KIND_PACKAGE && settings->package_code == NULL)
        break;  /* no package code in the profile: no package label */

      payload->serial = settings->include_serial ? g_strdup (self->serial) : NULL;
      payload->pid = g_strdup (sc_profile_get_pid (profile));
      payload->puk = g_strdup (puk);
      payload->trailing_semicolon = settings->trailing_semicolon;
      if (kind == SC_LABEL_KIND_PRODUCT)
        payload->pin = g_strdup (sc_secret_get_string (self->pin));
      else if (strlen (settings->package_code) == 13)
        payload->ean = g_strdup (settings->package_code);
      else
        payload->upc = g_strdup (settings->package_code);

      sc_clear_secret_string (&self->payloads[kind]);
      self->payloads[kind] = sc_payload_to_string (payload, error);
      if (self->payloads[kind] == NULL)
        return FALSE;
      layout = sc_label_layout_new_for_profile (profile, payload, sc_dak_is_training (self->station->dak), error);
      if (layout == NULL)
        return FALSE;
      raster = sc_label_layout_render (layout);
      ok = sc_label_layout_verify (layout, raster, error);
      cairo_surface_destroy (raster);
      if (!ok)
        return FALSE;
      g_set_object (&self->layouts[kind], layout);
    }
  return set_state (self, SC_UNIT_LABELLED, error);
}

static gboolean
do_print (ScUnitRun     *self,
          GCancellable  *cancellable,
          GError       **error)
{
  ScProfile *profile = self->station->profile;
  g_autoptr(GPtrArray) prints = sc_store_list_prints (self->station->store, self->record->id, error);
  g_autofree char *printer = NULL;

  if (prints == NULL)
    return FALSE;
  printer = sc_printer_describe (self->station->printer);

  for (int kind = SC_LABEL_KIND_PRODUCT; kind <= SC_LABEL_KIND_PACKAGE; kind++)
    {
      g_autoptr(ScPayload) payload = NULL;
      g_autoptr(ScLabelLayout) layout = NULL;
      g_autofree char *job = NULL;
      g_autoptr(GError) print_error = NULL;
      const char *kind_name = sc_label_kind_to_string (kind);
      const char *kind_text = sc_label_kind_to_display (kind);
      ScPrintStatus status;
      gboolean reprint, ok;
      gint64 print_id;

      if (self->payloads[kind] == NULL)
        continue;
      /* Printed before (a first print or a reprint that the printer took):
       * never again without an explicit reprint. A print that was under way
       * when the station stopped, or broke off, may or may not exist: a
       * person decides, and only a reprint with a reason prints it again.
       * One that sent nothing is simply printed now. */
      status = sc_print_records_get_label_status (prints, kind, NULL);
      if (status == SC_PRINT_DONE)
        continue;
      reprint = status == SC_PRINT_PENDING;
      if (reprint && self->reprint_reason == NULL)
        {
          g_set_error (error, SC_RUN_ERROR, SC_RUN_ERROR_STATE,
                       /* Translators: a label ("product label"), then a serial */
                       _("The %s of %s was being printed when the station or the printer stopped, so it "
                         "may or may not exist: check the printer, destroy any copy, and print it again as a "
                         "reprint with a reason"), kind_text, self->serial);
          return FALSE;
        }

      if (self->layouts[kind] != NULL)
        layout = g_object_ref (self->layouts[kind]);
      else
        {
          payload = sc_payload_parse (self->payloads[kind], NULL, error);
          if (payload == NULL)
            return FALSE;
          layout = sc_label_layout_new_for_profile (profile, payload, sc_dak_is_training (self->station->dak),
                                                    error);
        }
      job = reprint ? g_strdup_printf ("%s-%s-reprint-%" G_GINT64_FORMAT, self->serial, kind_name,
                                       g_get_real_time ())
                    : g_strdup_printf ("%s-%s", self->serial, kind_name);
      if (layout == NULL)
        return FALSE;

      print_id = sc_store_begin_print (self->station->store, self->record->id, kind, reprint,
                                       reprint ? self->reprint_reason : NULL, printer,
                                       self->station->operator_name, error);
      if (print_id <= 0)
        return FALSE;
      crash_hook (SC_STEP_PRINT, "sending");
      ok = sc_printer_print (self->station->printer, layout, job, cancellable, &print_error);
      if (ok)
        {
          if (!sc_store_end_print (self->station->store, print_id, SC_PRINT_DONE, NULL, error))
            return FALSE;
          continue;
        }

      /* Only the errors that sent nothing (sc_printer_error_sent_nothing()
       * names them) leave the label safe to print again: the unit waits.
       * Anything else, a job that broke off or an error nobody foresaw, may
       * have left a label: it stays pending, for a person. */
      status = sc_printer_error_sent_nothing (print_error) ? SC_PRINT_NOT_SENT : SC_PRINT_PENDING;
      if (!sc_store_end_print_job (self->station->store, print_id, print_error, error))
        return FALSE;
      if (status == SC_PRINT_PENDING)
        g_prefix_error (&print_error,
                        /* Translators: a label ("product label"), then a serial */
                        _("The %s of %s may or may not have been printed; destroy any copy and print it "
                          "again as a reprint with a reason. "), kind_text, self->serial);
      else
        g_prefix_error (&print_error,
                        /* Translators: a serial, then a label ("product label") */
                        _("Unit %s waits to print (print pending): its %s was not printed. "),
                        self->serial, kind_text);
      g_propagate_error (error, g_steal_pointer (&print_error));
      return FALSE;
    }
  return TRUE;
}

/* A print-only run needs a unit that waits to print; it never starts one. */
static gboolean
check_print_pending (ScUnitRun  *self,
                     GError    **error)
{
  g_autoptr(ScUnitRecord) current = sc_store_find_unit (self->station->store,
                                                        sc_profile_get_device_type_id (self->station->profile),
                                                        self->serial, error);

  if (current == NULL)
    return FALSE;
  if (current->state != SC_UNIT_LABELLED)
    {
      g_set_error (error, SC_RUN_ERROR, SC_RUN_ERROR_STATE,
                   current->state == SC_UNIT_COMPLETE
                   ? _("Unit %s has printed its labels and passed; a label printed again is a reprint, with a "
                       "reason")
                   /* Translators: a serial, then its state ("keyed", "failed", …) */
                   : _("Unit %s is not waiting to print (it is %s): put it on the fixture and scan it again"),
                   self->serial, sc_unit_state_to_display (current->state));
      return FALSE;
    }
  return TRUE;
}

/* Checks the serial and opens the unit's record. A refused scan has no unit
 * record, so it goes into the audit log with its reason. */
static gboolean
do_scan (ScUnitRun  *self,
         GError    **error)
{
  ScStation *station = self->station;
  ScProfile *profile = station->profile;
  g_autoptr(GError) local_error = NULL;

  if (sc_profile_check_serial (profile, self->serial, &local_error) &&
      (!self->print_only || check_print_pending (self, &local_error)))
    self->record = sc_store_begin_unit (station->store, sc_profile_get_device_type_id (profile),
                                        sc_profile_get_pid (profile), self->serial, station->station_name,
                                        station->operator_name, self->override_reason, &local_error);
  if (self->record == NULL)
    {
      g_autofree char *shown = g_strescape (self->serial, NULL);
      g_autofree char *details = g_strdup_printf ("scan of “%s” refused: %s", shown, local_error->message);

      /* Best effort: the refusal itself is what the operator must see. */
      sc_store_audit (station->store, station->operator_name, "refused", NULL, details, NULL);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

/* Sets up a resumed run from its records; returns the first step to run. */
static ScStep
resume (ScUnitRun     *self,
        GCancellable  *cancellable,
        GError       **error)
{
  ScUnitRecord *r = self->record;
  g_autoptr(ScDeviceReadBack) rb = NULL;
  g_autoptr(GError) local_error = NULL;
  guint8 md[SHA256_DIGEST_LENGTH];

  if (r->state < SC_UNIT_SIGNED || r->chain_pem == NULL)
    return SC_STEP_KEY;

  /* The run goes on under the DAK that began it, and only with a chain
   * that still verifies to this product's root. */
  {
    g_autofree char *dak = sc_cert_fingerprint_hex (sc_dak_get_certificate (self->station->dak));
    g_autoptr(ScCertList) recorded = sc_certs_load_pem (r->chain_pem, strlen (r->chain_pem), NULL);

    if (g_strcmp0 (dak, r->dak) != 0)
      {
        g_set_error (error, SC_RUN_ERROR, SC_RUN_ERROR_STATE,
                     _("Unit %s was begun under another DAK; continue it at the station with that DAK, "
                       "or re-provision it with an override and a reason"), self->serial);
        return SC_N_STEPS;
      }
    if (recorded == NULL ||
        !sc_chain_verify (recorded, sc_dak_get_trust_anchor (self->station->dak),
                          sc_profile_get_device_type_id (self->station->profile), self->serial, 0, error))
      return SC_N_STEPS;
  }

  /* Does the unit hold the recorded material? */
  if (self->device != NULL)
    {
      rb = sc_device_read_back (self->device, cancellable, error);
      if (rb == NULL)
        return SC_N_STEPS;
      SHA256 ((const guint8 *) r->chain_pem, strlen (r->chain_pem), md);
      if (rb->generation == 0 || memcmp (md, rb->chain_sha256, sizeof md) != 0)
        {
          g_autofree char *details = g_strdup_printf ("certificate %s never reached the unit; starting over",
                                                      r->cert_serial ? r->cert_serial : "?");
          g_autoptr(GPtrArray) prints = sc_store_list_prints (self->station->store, r->id, error);

          if (prints == NULL)
            return SC_N_STEPS;
          /* Labels made for the recorded material would not match new
           * material: a person must destroy them and say so. */
          if (prints->len > 0)
            {
              g_set_error (error, SC_RUN_ERROR, SC_RUN_ERROR_STATE,
                           _("Unit %s does not hold the certificate its printed labels were made for; "
                             "destroy those labels and re-provision the unit with an override and a reason"),
                           self->serial);
              return SC_N_STEPS;
            }

          if (!sc_store_audit (self->station->store, self->station->operator_name, "abandon", self->serial,
                               details, error))
            return SC_N_STEPS;
          return SC_STEP_KEY;
        }
    }
  else if (r->state < SC_UNIT_WRITTEN)
    return SC_STEP_KEY;  /* a flasher cannot be asked; its key is gone, so start over */

  /* The unit holds it: carry on from the records, no second certificate. */
  self->chain = sc_certs_load_pem (r->chain_pem, strlen (r->chain_pem), error);
  if (self->chain == NULL)
    return SC_N_STEPS;
  self->chain_pem = g_strdup (r->chain_pem);
  self->public_key = EVP_PKEY_dup (X509_get0_pubkey (sk_X509_value (self->chain, 0)));
  if (r->pin_sealed == NULL)
    {
      g_set_error (error, SC_RUN_ERROR, SC_RUN_ERROR_STATE,
                   _("Unit %s holds its certificate but the station has no record of its PIN; "
                     "ask QA to re-provision it with an override"), self->serial);
      return SC_N_STEPS;
    }
  self->pin = sc_station_secret_open_pin (self->station->secret, self->serial, r->pin_sealed, error);
  if (self->pin == NULL)
    return SC_N_STEPS;
  if (r->state < SC_UNIT_WRITTEN && !set_state (self, SC_UNIT_WRITTEN, error))
    return SC_N_STEPS;
  return SC_STEP_READ_BACK;
}

/* Runs one step: @call is a boolean expression that sets local_error when
 * it fails. */
#define STEP(self, step, call)                                                  \
  G_STMT_START {                                                                \
    GError *step_error_ = NULL;                                                 \
    step_begin (self, step);                                                    \
    if (!(call))                                                                \
      step_error_ = local_error ? g_steal_pointer (&local_error)                \
                                : g_error_new (SC_RUN_ERROR, SC_RUN_ERROR_STATE, \
                                               /* Translators: a step's title */ \
                                               _("The “%s” step failed"),      \
                                               sc_step_get_title (step));       \
    if (!step_end (self, step, step_error_, error))                             \
      return FALSE;                                                             \
  } G_STMT_END

static gboolean
run_steps (ScUnitRun     *self,
           GCancellable  *cancellable,
           GError       **error)
{
  ScStation *station = self->station;
  ScProfile *profile = station->profile;
  g_autoptr(GError) local_error = NULL;
  ScStep first;

  STEP (self, SC_STEP_SCAN, do_scan (self, &local_error));
  self->state = self->record->state;
  self->resumed = self->record->state > SC_UNIT_STARTED;

  /* Print pending, from the records: the unit need not be on the fixture. */
  if (self->print_only)
    step_skip (self, SC_STEP_CONNECT);
  else
    STEP (self, SC_STEP_CONNECT, do_connect (self, cancellable, &local_error));

  first = self->resumed ? resume (self, cancellable, &local_error) : SC_STEP_KEY;
  if (first == SC_N_STEPS)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (first <= SC_STEP_KEY)
    {
      STEP (self, SC_STEP_KEY, do_key (self, cancellable, &local_error));
      STEP (self, SC_STEP_POLICY,
            sc_csr_check_policy (self->csr, profile, self->serial, &local_error));
      STEP (self, SC_STEP_SIGN, do_sign (self, cancellable, &local_error));
      STEP (self, SC_STEP_CHAIN,
            sc_chain_verify (self->chain, sc_dak_get_trust_anchor (station->dak),
                             sc_profile_get_device_type_id (profile), self->serial, 0, &local_error));
      STEP (self, SC_STEP_WRITE, do_write (self, cancellable, &local_error));
    }
  else
    for (ScStep s = SC_STEP_KEY; s <= SC_STEP_WRITE; s++)
      step_skip (self, s);

  if (self->device != NULL)
    {
      g_autoptr(ScDeviceReadBack) rb = NULL;

      STEP (self, SC_STEP_READ_BACK,
            (rb = sc_device_read_back (self->device, cancellable, &local_error)) != NULL &&
            sc_device_verify_read_back (rb, self->public_key, self->chain_pem, self->pin, &local_error));
      STEP (self, SC_STEP_CHALLENGE,
            sc_device_challenge (self->device, self->public_key, cancellable, &local_error) &&
            set_state (self, MAX (self->state, SC_UNIT_VERIFIED), &local_error));
    }
  else
    {
      /* An external flasher cannot be asked what it wrote. */
      step_skip (self, SC_STEP_READ_BACK);
      step_skip (self, SC_STEP_CHALLENGE);
    }

  STEP (self, SC_STEP_LABEL, do_label (self, &local_error));
  STEP (self, SC_STEP_PRINT, do_print (self, cancellable, &local_error));
  /* The store audits the state change itself. */
  STEP (self, SC_STEP_RECORD, set_state (self, SC_UNIT_COMPLETE, &local_error));
  return TRUE;
}

static gboolean
notify_finished_cb (gpointer data)
{
  g_object_notify_by_pspec (G_OBJECT (data), properties[PROP_FINISHED]);
  g_object_notify_by_pspec (G_OBJECT (data), properties[PROP_PASSED]);
  return G_SOURCE_REMOVE;
}

gboolean
sc_unit_run_run (ScUnitRun     *self,
                 GCancellable  *cancellable,
                 GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  gboolean ok;

  g_return_val_if_fail (SC_IS_UNIT_RUN (self), FALSE);
  g_return_val_if_fail (!self->finished, FALSE);
  _sc_blocking_check (G_STRFUNC);

  self->run_cancellable = cancellable;
  ok = run_steps (self, cancellable, &local_error);
  self->run_cancellable = NULL;

  if (!ok && self->record != NULL)
    {
      g_autoptr(GError) store_error = NULL;
      /* Before a certificate exists, the run failed and may start over. From
       * then on the unit may hold our material: the state stays, so a
       * re-scan reads the unit back and continues (or says why it cannot)
       * instead of issuing a second certificate. Only an override with a
       * reason starts such a unit over. */
      ScUnitState state = self->state >= SC_UNIT_SIGNED ? self->state : SC_UNIT_FAILED;

      if (!sc_store_set_state (self->station->store, self->record->id, state, local_error->message, &store_error))
        g_warning ("Cannot record the failure of unit %s: %s", self->serial, store_error->message);
    }

  if (self->record != NULL && self->step_records->len > 0)
    {
      g_autoptr(GError) store_error = NULL;

      if (!sc_store_record_steps (self->station->store, self->record->id,
                                  (const ScStepRecord *) (gpointer) self->step_records->data,
                                  self->step_records->len, &store_error))
        g_warning ("Cannot record the steps of unit %s: %s", self->serial, store_error->message);
    }

  /* The station's copy of a key never outlives the run. */
  g_clear_pointer (&self->key_der, sc_secret_unref);
  if (self->device != NULL)
    sc_device_link_close (sc_device_get_link (self->device));

  self->finished = TRUE;
  self->passed = ok;
  invoke (self, notify_finished_cb, g_object_ref (self), g_object_unref);

  if (!ok)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return ok;
}

static void
run_thread (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  GError *error = NULL;

  if (sc_unit_run_run (source_object, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
sc_unit_run_run_async (ScUnitRun           *self,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SC_IS_UNIT_RUN (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sc_unit_run_run_async);
  /* A cancelled run still ends one way or the other (it may have passed,
   * or stopped at the printer): its own result is what is reported. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, run_thread);
}

gboolean
sc_unit_run_run_finish (ScUnitRun     *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
