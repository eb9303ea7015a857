/* sc-station-panel.c: what the station has, and what it lacks to provision
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "sc-core.h"
#include "sc-gui-private.h"
#include "sc-station-panel.h"

#define DEFAULT_REFRESH_MS 2000

struct _ScStationPanel
{
  AdwBin      parent_instance;

  /* template children */
  GtkWidget  *dak_item;
  GtkImage   *dak_icon;
  GtkLabel   *dak_label;
  GtkWidget  *unlock_button;
  GtkWidget  *lock_button;
  GtkWidget  *fixture_item;
  GtkImage   *fixture_icon;
  GtkLabel   *fixture_label;
  GtkWidget  *printer_item;
  GtkLabel   *printer_label;
  GtkWidget  *database_item;
  GtkLabel   *database_label;

  /* what is checked */
  ScDak      *dak;
  ScPrinter  *printer;
  ScStore    *store;
  char       *device_uri;
  char       *product;

  GCancellable *cancellable;
  guint       timer;
  guint       interval;
  gboolean    checking;
  gboolean    again;
  guint       generation;     /* a new station makes older checks stale */

  /* the last check */
  gboolean    checked;
  gboolean    dak_present;
  gboolean    dak_needs_pin;
  gboolean    dak_unlocked;
  int         dak_pin_retries;
  gboolean    fixture_present;
  char       *blocker;
};

enum
{
  PROP_0,
  PROP_CHECKED,
  PROP_BLOCKER,
  PROP_DAK_PRESENT,
  PROP_DAK_NEEDS_PIN,
  PROP_DAK_UNLOCKED,
  PROP_DAK_PIN_RETRIES,
  PROP_FIXTURE_PRESENT,
  PROP_REFRESH_INTERVAL,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

enum { SIGNAL_REFRESHED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ScStationPanel, sc_station_panel, ADW_TYPE_BIN)

/* ------------------------------------------------------------ the check */

typedef struct
{
  ScDak     *dak;
  ScPrinter *printer;
  ScStore   *store;
  char      *device_uri;
  guint      generation;
} CheckJob;

typedef struct
{
  ScSignerStatus *dak;
  char           *dak_description;
  gboolean        fixture_present;
  char           *printer;
  char           *store;
} Snapshot;

static void
check_job_free (gpointer data)
{
  CheckJob *job = data;

  g_clear_object (&job->dak);
  g_clear_object (&job->printer);
  g_clear_object (&job->store);
  g_free (job->device_uri);
  g_free (job);
}

static void
snapshot_free (gpointer data)
{
  Snapshot *snapshot = data;

  sc_signer_status_free (snapshot->dak);
  g_free (snapshot->dak_description);
  g_free (snapshot->printer);
  g_free (snapshot->store);
  g_free (snapshot);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Snapshot, snapshot_free)

/* In a worker thread: a token may take its time to answer, and a USB
 * enumeration touches every device on the bus. */
static void
check_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  CheckJob *job = task_data;
  ScSigner *signer = sc_dak_get_signer (job->dak);
  Snapshot *snapshot = g_new0 (Snapshot, 1);
  ScDeviceMonitor *monitor;

  snapshot->dak = sc_signer_get_status (signer);
  snapshot->dak_description = sc_signer_describe (signer);
  /* Made and dropped here: the monitor's own timer would check on the
   * main context. */
  monitor = sc_device_monitor_new (job->device_uri, G_MAXUINT);
  snapshot->fixture_present = sc_device_monitor_get_present (monitor);
  g_object_unref (monitor);
  snapshot->printer = sc_printer_describe (job->printer);
  snapshot->store = sc_store_describe (job->store);
  g_task_return_pointer (task, snapshot, snapshot_free);
}

static void
set_item_ok (GtkWidget *item,
             GtkImage  *icon,
             gboolean   ok)
{
  gtk_widget_remove_css_class (item, ok ? "missing" : "ok");
  gtk_widget_add_css_class (item, ok ? "ok" : "missing");
  if (icon != NULL)
    gtk_image_set_from_icon_name (icon, ok ? "emblem-ok-symbolic" : "dialog-warning-symbolic");
}

static void
set_label (GtkLabel   *label,
           const char *text)
{
  gtk_label_set_label (label, text);
  /* The line is cut to fit; the whole of it is a hover away. */
  gtk_widget_set_tooltip_text (GTK_WIDGET (label), text);
}

static char *
describe_fixture (const char *uri,
                  gboolean    present)
{
  if (g_str_has_prefix (uri, "sim:"))
    /* Translators: the fixture is the in-process simulated unit */
    return g_strdup_printf (_("Simulated unit (%s)"), uri);
  if (g_str_has_prefix (uri, "command:"))
    /* Translators: the fixture is the maker's flashing tool */
    return g_strdup_printf (_("External flasher (%s)"), uri);
  if (present)
    /* Translators: a fixture's address, then its state */
    return g_strdup_printf (_("%s · connected"), uri);
  return g_strdup_printf (_("%s · not found"), uri);
}

/* The line says what matters at a glance (which product, locked or not);
 * the tooltip has the rest: which token or file. */
static char *
describe_dak (ScStationPanel *self,
              Snapshot       *snapshot)
{
  const ScSignerStatus *s = snapshot->dak;
  g_autofree char *state = NULL;
  g_autofree char *token = NULL;

  if (!s->present)
    state = g_strdup (_("Not found"));
  else if (!s->needs_pin)
    state = g_strdup (_("Ready"));
  else if (s->unlocked)
    state = g_strdup (_("Unlocked"));
  else if (s->pin_retries == 0)
    state = g_strdup (_("PIN blocked"));
  else if (s->pin_retries > 0)
    state = g_strdup_printf (ngettext ("Locked, %d PIN try left", "Locked, %d PIN tries left",
                                       s->pin_retries), s->pin_retries);
  else
    state = g_strdup (_("Locked"));

  if (s->token_serial != NULL)
    /* Translators: a DAK token's serial number */
    token = g_strdup_printf (_(" · token %s"), s->token_serial);

  /* The state first: the line is cut at its end when the card is narrow.
   * Translators: the DAK's state, its DakType, the product (DeviceTypeId), its token (or nothing) */
  return g_strdup_printf (_("%s · %s DAK for %s%s"), state, sc_dak_get_dak_type (self->dak), self->product,
                          token ? token : "");
}

static char *
find_blocker (ScStationPanel *self,
              Snapshot       *snapshot)
{
  const ScSignerStatus *s = snapshot->dak;

  if (!s->present)
    return g_strdup_printf (_("The DAK is not there: plug in the DAK token (%s) and wait until it shows as "
                              "ready here."), snapshot->dak_description);
  if (s->needs_pin && s->pin_retries == 0)
    return g_strdup (_("The DAK’s PIN is blocked (no tries left): an administrator must reset it with its PUK "
                       "before this station can sign."));
  if (s->needs_pin && !s->unlocked && s->pin_retries == 1)
    return g_strdup (_("The DAK is locked with one PIN try left, which this console will not spend: ask an "
                       "administrator to reset its PIN."));
  if (s->needs_pin && !s->unlocked)
    return g_strdup (_("The DAK is locked: unlock it with its PIN to start provisioning."));
  if (!snapshot->fixture_present)
    return g_strdup_printf (_("The fixture is not connected: plug in %s."), self->device_uri);
  return NULL;
}

#define SET_PROP(field, value, prop)                                    \
  G_STMT_START {                                                        \
    if (self->field != (value))                                         \
      {                                                                 \
        self->field = (value);                                          \
        g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);   \
      }                                                                 \
  } G_STMT_END

static void
apply (ScStationPanel *self,
       Snapshot       *snapshot)
{
  const ScSignerStatus *s = snapshot->dak;
  g_autofree char *dak = describe_dak (self, snapshot);
  g_autofree char *fixture = describe_fixture (self->device_uri, snapshot->fixture_present);
  g_autofree char *blocker = find_blocker (self, snapshot);

  g_object_freeze_notify (G_OBJECT (self));

  set_label (self->dak_label, dak);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->dak_label), snapshot->dak_description);
  set_label (self->fixture_label, fixture);
  set_label (self->printer_label, snapshot->printer);
  set_label (self->database_label, snapshot->store);
  set_item_ok (self->dak_item, self->dak_icon, s->present && (!s->needs_pin || s->unlocked));
  set_item_ok (self->fixture_item, self->fixture_icon, snapshot->fixture_present);
  set_item_ok (self->printer_item, NULL, TRUE);
  set_item_ok (self->database_item, NULL, TRUE);
  gtk_widget_set_visible (self->unlock_button,
                          s->present && s->needs_pin && !s->unlocked && s->pin_retries != 0 &&
                          s->pin_retries != 1);
  gtk_widget_set_visible (self->lock_button, s->present && s->needs_pin && s->unlocked);

  SET_PROP (dak_present, s->present, PROP_DAK_PRESENT);
  SET_PROP (dak_needs_pin, s->needs_pin, PROP_DAK_NEEDS_PIN);
  SET_PROP (dak_unlocked, s->unlocked, PROP_DAK_UNLOCKED);
  SET_PROP (dak_pin_retries, s->pin_retries, PROP_DAK_PIN_RETRIES);
  SET_PROP (fixture_present, snapshot->fixture_present, PROP_FIXTURE_PRESENT);
  if (g_strcmp0 (self->blocker, blocker) != 0)
    {
      g_free (self->blocker);
      self->blocker = g_steal_pointer (&blocker);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BLOCKER]);
    }
  SET_PROP (checked, TRUE, PROP_CHECKED);

  g_object_thaw_notify (G_OBJECT (self));
  g_signal_emit (self, signals[SIGNAL_REFRESHED], 0);
}

static void start_check (ScStationPanel *self);

static void
check_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(ScStationPanel) self = g_weak_ref_get (weak);
  CheckJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(Snapshot) snapshot = g_task_propagate_pointer (G_TASK (result), NULL);

  _sc_weak_ref_free (weak);
  if (self == NULL || snapshot == NULL)
    return;

  self->checking = FALSE;
  if (job->generation == self->generation)
    apply (self, snapshot);
  if (self->again)
    {
      self->again = FALSE;
      start_check (self);
    }
}

static void
start_check (ScStationPanel *self)
{
  g_autoptr(GTask) task = NULL;
  CheckJob *job;

  if (self->dak == NULL)
    return;
  if (self->checking)
    {
      self->again = TRUE;
      return;
    }

  job = g_new0 (CheckJob, 1);
  job->dak = g_object_ref (self->dak);
  job->printer = g_object_ref (self->printer);
  job->store = g_object_ref (self->store);
  job->device_uri = g_strdup (self->device_uri);
  job->generation = self->generation;

  self->checking = TRUE;
  task = g_task_new (NULL, self->cancellable, check_done_cb, _sc_weak_ref_new (self));
  g_task_set_source_tag (task, start_check);
  g_task_set_task_data (task, job, check_job_free);
  g_task_run_in_thread (task, check_thread);
}

static gboolean
timer_cb (gpointer data)
{
  ScStationPanel *self = data;

  /* A slow token delays the next check rather than piling checks up. */
  if (!self->checking)
    start_check (self);
  return G_SOURCE_CONTINUE;
}

static void
restart_timer (ScStationPanel *self)
{
  g_clear_handle_id (&self->timer, g_source_remove);
  if (self->interval > 0 && self->dak != NULL)
    self->timer = g_timeout_add (self->interval, timer_cb, self);
}

/* ------------------------------------------------------------- the object */

static void
sc_station_panel_dispose (GObject *object)
{
  ScStationPanel *self = SC_STATION_PANEL (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->timer, g_source_remove);
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), SC_TYPE_STATION_PANEL);

  G_OBJECT_CLASS (sc_station_panel_parent_class)->dispose (object);
}

static void
sc_station_panel_finalize (GObject *object)
{
  ScStationPanel *self = SC_STATION_PANEL (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->dak);
  g_clear_object (&self->printer);
  g_clear_object (&self->store);
  g_free (self->device_uri);
  g_free (self->product);
  g_free (self->blocker);

  G_OBJECT_CLASS (sc_station_panel_parent_class)->finalize (object);
}

static void
sc_station_panel_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  ScStationPanel *self = SC_STATION_PANEL (object);

  switch (prop_id)
    {
    case PROP_CHECKED: g_value_set_boolean (value, self->checked); break;
    case PROP_BLOCKER: g_value_set_string (value, self->blocker); break;
    case PROP_DAK_PRESENT: g_value_set_boolean (value, self->dak_present); break;
    case PROP_DAK_NEEDS_PIN: g_value_set_boolean (value, self->dak_needs_pin); break;
    case PROP_DAK_UNLOCKED: g_value_set_boolean (value, self->dak_unlocked); break;
    case PROP_DAK_PIN_RETRIES: g_value_set_int (value, self->dak_pin_retries); break;
    case PROP_FIXTURE_PRESENT: g_value_set_boolean (value, self->fixture_present); break;
    case PROP_REFRESH_INTERVAL: g_value_set_uint (value, self->interval); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sc_station_panel_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  ScStationPanel *self = SC_STATION_PANEL (object);

  switch (prop_id)
    {
    case PROP_REFRESH_INTERVAL: sc_station_panel_set_refresh_interval (self, g_value_get_uint (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sc_station_panel_class_init (ScStationPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = sc_station_panel_dispose;
  object_class->finalize = sc_station_panel_finalize;
  object_class->get_property = sc_station_panel_get_property;
  object_class->set_property = sc_station_panel_set_property;

  properties[PROP_CHECKED] = g_param_spec_boolean ("checked", NULL, NULL, FALSE, flags);
  properties[PROP_BLOCKER] = g_param_spec_string ("blocker", NULL, NULL, NULL, flags);
  properties[PROP_DAK_PRESENT] = g_param_spec_boolean ("dak-present", NULL, NULL, FALSE, flags);
  properties[PROP_DAK_NEEDS_PIN] = g_param_spec_boolean ("dak-needs-pin", NULL, NULL, FALSE, flags);
  properties[PROP_DAK_UNLOCKED] = g_param_spec_boolean ("dak-unlocked", NULL, NULL, FALSE, flags);
  properties[PROP_DAK_PIN_RETRIES] = g_param_spec_int ("dak-pin-retries", NULL, NULL, -1, G_MAXINT, -1, flags);
  properties[PROP_FIXTURE_PRESENT] = g_param_spec_boolean ("fixture-present", NULL, NULL, FALSE, flags);
  properties[PROP_REFRESH_INTERVAL] =
    g_param_spec_uint ("refresh-interval", NULL, NULL, 0, G_MAXUINT, DEFAULT_REFRESH_MS,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_REFRESHED] = g_signal_new ("refreshed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                            NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/setupconsole/SetupConsole/sc-station-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, ScStationPanel, dak_item);
  gtk_widget_class_bind_template_child (widget_class, ScStationPanel, dak_icon);
  gtk_widget_class_bind_template_child (widget_class, ScStationPanel, dak_label);
  gtk_widget_class_bind_template_child (widget_class, ScStationPanel, unlock_button);
  gtk_widget_class_bind_template_child (widget_class, ScStationPanel, lock_button);
  gtk_widget_class_bind_template_child (widget_class, ScStationPanel, fixture_item);
  gtk_widget_class_bind_template_child (widget_class, ScStationPanel, fixture_icon);
  gtk_widget_class_bind_template_child (widget_class, ScStationPanel, fixture_label);
  gtk_widget_class_bind_template_child (widget_class, ScStationPanel, printer_item);
  gtk_widget_class_bind_template_child (widget_class, ScStationPanel, printer_label);
  gtk_widget_class_bind_template_child (widget_class, ScStationPanel, database_item);
  gtk_widget_class_bind_template_child (widget_class, ScStationPanel, database_label);
}

static void
sc_station_panel_init (ScStationPanel *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->interval = DEFAULT_REFRESH_MS;
  self->dak_pin_retries = -1;
}

GtkWidget *
sc_station_panel_new (void)
{
  return g_object_new (SC_TYPE_STATION_PANEL, NULL);
}

void
sc_station_panel_set_station (ScStationPanel *self,
                              ScStation      *station)
{
  g_return_if_fail (SC_IS_STATION_PANEL (self));
  g_return_if_fail (station != NULL);

  g_set_object (&self->dak, station->dak);
  g_set_object (&self->printer, station->printer);
  g_set_object (&self->store, station->store);
  g_free (self->device_uri);
  self->device_uri = g_strdup (station->device_uri);
  g_free (self->product);
  self->product = g_strdup (sc_profile_get_device_type_id (station->profile));
  self->generation++;

  start_check (self);
  restart_timer (self);
}

void
sc_station_panel_refresh (ScStationPanel *self)
{
  g_return_if_fail (SC_IS_STATION_PANEL (self));
  start_check (self);
}

gboolean
sc_station_panel_get_checked (ScStationPanel *self)
{
  g_return_val_if_fail (SC_IS_STATION_PANEL (self), FALSE);
  return self->checked;
}

const char *
sc_station_panel_get_blocker (ScStationPanel *self)
{
  g_return_val_if_fail (SC_IS_STATION_PANEL (self), NULL);
  return self->blocker;
}

gboolean
sc_station_panel_get_dak_present (ScStationPanel *self)
{
  g_return_val_if_fail (SC_IS_STATION_PANEL (self), FALSE);
  return self->dak_present;
}

gboolean
sc_station_panel_get_dak_needs_pin (ScStationPanel *self)
{
  g_return_val_if_fail (SC_IS_STATION_PANEL (self), FALSE);
  return self->dak_needs_pin;
}

gboolean
sc_station_panel_get_dak_unlocked (ScStationPanel *self)
{
  g_return_val_if_fail (SC_IS_STATION_PANEL (self), FALSE);
  return self->dak_unlocked;
}

int
sc_station_panel_get_dak_pin_retries (ScStationPanel *self)
{
  g_return_val_if_fail (SC_IS_STATION_PANEL (self), -1);
  return self->dak_pin_retries;
}

gboolean
sc_station_panel_get_fixture_present (ScStationPanel *self)
{
  g_return_val_if_fail (SC_IS_STATION_PANEL (self), FALSE);
  return self->fixture_present;
}

guint
sc_station_panel_get_refresh_interval (ScStationPanel *self)
{
  g_return_val_if_fail (SC_IS_STATION_PANEL (self), 0);
  return self->interval;
}

void
sc_station_panel_set_refresh_interval (ScStationPanel *self,
                                       guint           interval_ms)
{
  g_return_if_fail (SC_IS_STATION_PANEL (self));

  if (self->interval == interval_ms)
    return;
  self->interval = interval_ms;
  restart_timer (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REFRESH_INTERVAL]);
}
