/* sc-settings-page.c: the admin's view of the station's settings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <inttypes.h>

#include <glib/gi18n.h>

#include "sc-core.h"
#include "sc-gui-private.h"
#include "sc-settings-page.h"

/* ------------------------------------------------------ the station config */

static char *
setting_or_null (GSettings  *settings,
                 const char *key)
{
  g_autofree char *value = g_settings_get_string (settings, key);

  g_strstrip (value);
  return value[0] != '\0' ? g_steal_pointer (&value) : NULL;
}

ScStationConfig *
sc_station_config_new_from_settings (GSettings *settings)
{
  ScStationConfig *config;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  config = g_new0 (ScStationConfig, 1);
  config->profile_path = setting_or_null (settings, "profile-path");
  config->dak_uri = setting_or_null (settings, "dak-uri");
  config->device_uri = setting_or_null (settings, "device-uri");
  config->printer_uri = setting_or_null (settings, "printer-uri");
  config->store_uri = setting_or_null (settings, "store-uri");
  return config;
}

ScStationConfig *
sc_station_config_copy (const ScStationConfig *config)
{
  ScStationConfig *copy;

  if (config == NULL)
    return NULL;
  copy = g_new0 (ScStationConfig, 1);
  copy->profile_path = g_strdup (config->profile_path);
  copy->dak_uri = g_strdup (config->dak_uri);
  copy->device_uri = g_strdup (config->device_uri);
  copy->printer_uri = g_strdup (config->printer_uri);
  copy->store_uri = g_strdup (config->store_uri);
  return copy;
}

void
sc_station_config_free (ScStationConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->profile_path);
  g_free (config->dak_uri);
  g_free (config->device_uri);
  g_free (config->printer_uri);
  g_free (config->store_uri);
  g_free (config);
}

ScStation *
sc_station_config_open (const ScStationConfig  *config,
                        GError                **error)
{
  g_autoptr(ScProfile) profile = NULL;
  g_autoptr(ScDak) dak = NULL;
  g_autoptr(ScStore) store = NULL;
  g_autoptr(ScStationSecret) secret = NULL;
  g_autoptr(ScPrinter) printer = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *key_path = NULL;

  if (config == NULL)
    return sc_station_new_default (error);

  data_dir = sc_defaults_get_data_dir ();
  key_path = g_build_filename (data_dir, "station.key", NULL);
  profile = config->profile_path ? sc_profile_new_from_file (config->profile_path, error)
                                 : sc_defaults_load_training_profile (error);
  if (profile == NULL ||
      !(dak = config->dak_uri ? sc_dak_new_for_uri (profile, config->dak_uri, error)
                              : sc_dak_new_for_profile (profile, error)) ||
      !(store = sc_store_open (config->store_uri, error)) ||
      !(secret = sc_station_secret_load (key_path, error)) ||
      !(printer = sc_printer_open_for_profile (profile, config->printer_uri, error)))
    return NULL;
  return sc_station_new (profile, dak, store, secret, printer, config->device_uri, NULL);
}

static GMutex published_lock;
static ScStationConfig *published;

void
sc_station_config_publish (const ScStationConfig *config)
{
  ScStationConfig *copy = sc_station_config_copy (config);
  ScStationConfig *old;

  g_mutex_lock (&published_lock);
  old = published;
  published = copy;
  g_mutex_unlock (&published_lock);
  sc_station_config_free (old);
}

ScStationConfig *
sc_station_config_dup_published (void)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&published_lock);

  return sc_station_config_copy (published);
}

/* ------------------------------------------------------------- the fields */

typedef enum
{
  SECTION_PROFILE,
  SECTION_DAK,
  SECTION_DEVICE,
  SECTION_PRINTER,
  SECTION_STORE,
} Section;

typedef enum
{
  FIELD_TEXT,
  FIELD_ORIGIN,   /* [keys] origin: device or station */
} FieldKind;

typedef struct
{
  Section      section;
  const char  *group;
  const char  *key;
  const char  *title;
  FieldKind    kind;
} FieldSpec;

/* The profile's keys an admin sets here (docs/profile.md has them all). */
static const FieldSpec field_specs[] = {
  { SECTION_PROFILE, "product", "name", N_("Product name"), FIELD_TEXT },
  { SECTION_PROFILE, "product", "device-type-id", N_("DeviceTypeId"), FIELD_TEXT },
  { SECTION_PROFILE, "product", "pid", N_("PID (advertised product id)"), FIELD_TEXT },
  { SECTION_PROFILE, "keys", "origin", N_("Unit key made"), FIELD_ORIGIN },
  { SECTION_PROFILE, "pin", "length", N_("PIN length (6 to 32, default 9)"), FIELD_TEXT },
  { SECTION_PROFILE, "pin", "alphabet", N_("PIN alphabet (default A–Z, a–z and 0–9)"), FIELD_TEXT },
  { SECTION_PROFILE, "serial", "pattern", N_("Serial pattern (a regular expression)"), FIELD_TEXT },
  { SECTION_DAK, "dak", "uri", N_("DAK URI in the profile"), FIELD_TEXT },
  { SECTION_DAK, "dak", "chain", N_("DAK chain file"), FIELD_TEXT },
  { SECTION_DAK, "dak", "trust-anchor", N_("Trust anchor (PEM file or sha256:)"), FIELD_TEXT },
  { SECTION_DAK, "csr", "require-dsn", N_("CSRs must carry a DSN (true or false, default true)"), FIELD_TEXT },
  { SECTION_DAK, "csr", "allowed-extensions", N_("Extensions a CSR may ask for (names or OIDs, separated by ;)"), FIELD_TEXT },
  { SECTION_DEVICE, "device", "uri", N_("Device URI in the profile (default sim:)"), FIELD_TEXT },
  { SECTION_DEVICE, "device", "flasher", N_("Flasher command, for command: ({image} and {serial} are filled in)"), FIELD_TEXT },
  { SECTION_DEVICE, "device", "flasher-timeout", N_("Flasher timeout in seconds (1 to 3600, default 120)"), FIELD_TEXT },
  { SECTION_DEVICE, "device", "trust-flasher", N_("Trust the flasher’s own check (true or false; required for command:)"), FIELD_TEXT },
  { SECTION_PRINTER, "printer", "uri", N_("Printer URI in the profile (empty: PNG files in the data folder)"), FIELD_TEXT },
  { SECTION_PRINTER, "printer", "dpi", N_("Resolution in dpi (default 300)"), FIELD_TEXT },
  { SECTION_PRINTER, "printer", "x-offset", N_("Offset to the right (like 1.5mm or 12dots)"), FIELD_TEXT },
  { SECTION_PRINTER, "printer", "y-offset", N_("Offset down (like -0.5mm)"), FIELD_TEXT },
  { SECTION_PRINTER, "printer", "darkness", N_("Darkness, 0 to 30 (empty: the printer’s own)"), FIELD_TEXT },
  { SECTION_PRINTER, "printer", "label-width-mm", N_("Label stock width in mm"), FIELD_TEXT },
  { SECTION_PRINTER, "printer", "label-length-mm", N_("Label stock length in mm"), FIELD_TEXT },
  { SECTION_PRINTER, "label", "dpi", N_("Labels laid out at this dpi (default 300; the printer’s must agree)"), FIELD_TEXT },
  { SECTION_PRINTER, "label", "symbology", N_("Symbol: datamatrix or qr (default datamatrix)"), FIELD_TEXT },
  { SECTION_PRINTER, "label", "symbol-size", N_("Symbol size: auto, or a forced size like 24x24"), FIELD_TEXT },
  { SECTION_PRINTER, "label", "product-min-mm", N_("Smallest product-label symbol in mm (default 10)"), FIELD_TEXT },
  { SECTION_PRINTER, "label", "package-min-mm", N_("Smallest package-label symbol in mm (default 15)"), FIELD_TEXT },
  { SECTION_PRINTER, "label", "package-code", N_("Package label’s UPC-A or EAN-13 (empty: no package label)"), FIELD_TEXT },
  { SECTION_PRINTER, "label", "include-serial", N_("Serial in the payloads (true or false, default true)"), FIELD_TEXT },
  { SECTION_PRINTER, "label", "trailing-semicolon", N_("Payloads end with ; (true or false, default true)"), FIELD_TEXT },
};
#define N_FIELDS G_N_ELEMENTS (field_specs)

static const char * const origins[] = { "device", "station" };

/* This station's own addresses, kept in GSettings; they override the
 * profile's. */
typedef enum
{
  URI_DAK,
  URI_DEVICE,
  URI_PRINTER,
  URI_STORE,
  N_URIS
} UriKind;

static const struct
{
  Section     section;
  const char *name;          /* for settings.set-uri */
  const char *settings_key;
  const char *title;
} uri_specs[N_URIS] = {
  { SECTION_DAK, "dak", "dak-uri", N_("DAK URI on this station (overrides the profile’s)") },
  { SECTION_DEVICE, "device", "device-uri", N_("Device URI on this station (overrides the profile’s)") },
  { SECTION_PRINTER, "printer", "printer-uri", N_("Printer URI on this station (overrides the profile’s)") },
  { SECTION_STORE, "store", "store-uri", N_("Database URI") },
};

/* A row and the line under it that says what is wrong with it. */
typedef struct
{
  GtkWidget *row;          /* AdwEntryRow or AdwComboRow */
  GtkWidget *error_row;    /* AdwPreferencesRow holding error_label */
  GtkLabel  *error_label;
  char      *error;
  gboolean   refused;      /* the row holds a value the profile refused */
} Field;

typedef enum
{
  TEST_DAK,
  TEST_DEVICE,
  TEST_PRINTER,
  TEST_STORE,
  N_TESTS
} TestKind;

typedef struct
{
  GtkLabel *label;
  char     *result;
  gboolean  ok;
  gboolean  running;
} Test;

/* ------------------------------------------------------------- the object */

typedef enum
{
  OP_OPEN,        /* load a profile file */
  OP_TRAINING,    /* load the embedded training profile (made on first use) */
  OP_SET,         /* change a key and save */
  OP_ICON,        /* import an icon */
} OpKind;

typedef struct
{
  OpKind         kind;
  gboolean       from_user;   /* OPEN/TRAINING: chosen here, so the settings change */
  ScProfileFile *file;        /* SET/ICON: the file changed */
  char          *path;        /* OPEN: the profile; ICON: the icon */
  char          *group;
  char          *key;
  char          *value;
  /* results */
  ScProfileFile *opened;
  char          *icon_name;
} ProfileOp;

struct _ScSettingsPage
{
  AdwBin               parent_instance;

  /* template children */
  AdwToastOverlay     *toast_overlay;
  GtkStack            *stack;
  AdwStatusPage       *locked_page;
  GtkWidget           *sign_in_button;
  AdwPreferencesGroup *profile_group;
  AdwActionRow        *profile_row;
  GtkLabel            *profile_problems;
  AdwActionRow        *icon_row;
  AdwPreferencesGroup *dak_group;
  AdwPreferencesGroup *device_group;
  AdwPreferencesGroup *printer_group;
  AdwPreferencesGroup *store_group;
  GtkLabel            *dak_result;
  GtkLabel            *device_result;
  GtkLabel            *printer_result;
  GtkLabel            *store_result;
  GtkLabel            *status_label;

  GSettings           *settings;      /* delayed: applied by Apply */
  GCancellable        *cancellable;
  GtkFileChooserNative *chooser;

  ScProfileFile       *file;          /* the profile shown; NULL until loaded */
  gboolean             editable;      /* a profile file, not the embedded one */
  gboolean             loading;       /* rows are being filled from the file */
  GQueue               ops;           /* profile changes waiting, one at a time */
  ProfileOp           *op;            /* the one under way */

  Field                fields[N_FIELDS];
  Field                uris[N_URIS];
  Test                 tests[N_TESTS];

  gboolean             station_busy;
  gboolean             training_mode;
  gboolean             profile_changed;
  gboolean             applying;
  gboolean             busy;
  gboolean             needs_apply;
  char                *status;
  char                *refusal;       /* why whoever is here may not change settings */
};

G_DEFINE_FINAL_TYPE (ScSettingsPage, sc_settings_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_PROFILE_PATH,
  PROP_BUSY,
  PROP_STATION_BUSY,
  PROP_TRAINING_MODE,
  PROP_NEEDS_APPLY,
  PROP_STATUS,
  PROP_DAK_RESULT,
  PROP_DEVICE_RESULT,
  PROP_PRINTER_RESULT,
  PROP_STORE_RESULT,
  PROP_DAK_OK,
  PROP_DEVICE_OK,
  PROP_PRINTER_OK,
  PROP_STORE_OK,
  PROP_REFUSAL,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

enum { SIGNAL_APPLIED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void run_next_op (ScSettingsPage *self);

static void
profile_op_free (ProfileOp *op)
{
  g_clear_object (&op->file);
  g_clear_object (&op->opened);
  g_free (op->path);
  g_free (op->group);
  g_free (op->key);
  g_free (op->value);
  g_free (op->icon_name);
  g_free (op);
}

static void
toast (ScSettingsPage *self,
       const char     *text)
{
  AdwToast *t = adw_toast_new (text);

  adw_toast_set_timeout (t, 5);
  adw_toast_overlay_add_toast (self->toast_overlay, t);
}

static void
set_status (ScSettingsPage *self,
            const char     *status)
{
  if (g_strcmp0 (self->status, status) == 0)
    return;
  g_free (self->status);
  self->status = g_strdup (status);
  gtk_label_set_label (self->status_label, status ? status : "");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

static void
update_busy (ScSettingsPage *self)
{
  gboolean busy = self->op != NULL || self->applying;
  gboolean needs_apply = self->profile_changed || g_settings_get_has_unapplied (self->settings);

  for (guint i = 0; i < N_TESTS; i++)
    busy |= self->tests[i].running;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "settings.apply", !self->applying);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "settings.revert", !self->applying && needs_apply);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "settings.test-dak", !self->tests[TEST_DAK].running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "settings.ping-device", !self->tests[TEST_DEVICE].running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "settings.print-test-label",
                                 !self->tests[TEST_PRINTER].running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "settings.test-store", !self->tests[TEST_STORE].running);

  if (busy != self->busy)
    {
      self->busy = busy;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
    }
  if (needs_apply != self->needs_apply)
    {
      self->needs_apply = needs_apply;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NEEDS_APPLY]);
    }
}

/* Settings need an admin (sc_user_session_get_refusal (SC_RIGHT_SETTINGS)),
 * and are not changed in training mode, where nobody signs in. */
static const char *
lock_sentence (ScSettingsPage *self)
{
  if (self->training_mode)
    return _("Settings are not changed in training mode, where nobody signs in: start the console without "
             "--training to change them.");
  return self->refusal;
}

static void
update_locked (ScSettingsPage *self)
{
  const char *sentence = lock_sentence (self);

  adw_status_page_set_title (self->locked_page, self->training_mode ? _("Locked in Training Mode")
                                                                    : _("Settings Need an Admin"));
  adw_status_page_set_description (self->locked_page, sentence);
  gtk_widget_set_visible (self->sign_in_button, !self->training_mode);
  gtk_stack_set_visible_child_name (self->stack, sentence != NULL ? "locked" : "settings");
}

/* TRUE, and says why, when nothing may be changed now. */
static gboolean
refuse_locked (ScSettingsPage *self)
{
  const char *sentence = lock_sentence (self);

  if (sentence == NULL)
    return FALSE;
  set_status (self, sentence);
  return TRUE;
}

static void
has_unapplied_cb (ScSettingsPage *self)
{
  update_busy (self);
}

/* ------------------------------------------------------------ field rows */

static void
field_set_error (Field      *field,
                 const char *error)
{
  g_free (field->error);
  field->error = g_strdup (error);
  gtk_label_set_label (field->error_label, error ? error : "");
  gtk_widget_set_visible (field->error_row, error != NULL);
  if (error != NULL)
    gtk_widget_add_css_class (field->row, "error");
  else
    gtk_widget_remove_css_class (field->row, "error");
}

static Field *
find_field (ScSettingsPage *self,
            const char     *group,
            const char     *key)
{
  for (guint i = 0; i < N_FIELDS; i++)
    if (g_str_equal (field_specs[i].group, group) && g_str_equal (field_specs[i].key, key))
      return &self->fields[i];
  return NULL;
}

static const char *
field_get_text (Field           *field,
                const FieldSpec *spec)
{
  if (spec->kind == FIELD_ORIGIN)
    {
      guint selected = adw_combo_row_get_selected (ADW_COMBO_ROW (field->row));

      return selected < G_N_ELEMENTS (origins) ? origins[selected] : "";
    }
  return gtk_editable_get_text (GTK_EDITABLE (field->row));
}

static void
field_set_text (ScSettingsPage  *self,
                Field           *field,
                const FieldSpec *spec,
                const char      *text)
{
  self->loading = TRUE;
  if (spec->kind == FIELD_ORIGIN)
    adw_combo_row_set_selected (ADW_COMBO_ROW (field->row),
                                g_strcmp0 (text, "station") == 0 ? 1 : 0);
  /* Only a real change: setting a focused row's text shows its apply
   * button again. */
  else if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (field->row)), text ? text : "") != 0)
    gtk_editable_set_text (GTK_EDITABLE (field->row), text ? text : "");
  self->loading = FALSE;
}

static GtkWidget *
error_row_new (GtkLabel **label_out)
{
  GtkWidget *label = gtk_label_new (NULL);
  GtkWidget *row;

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_set_margin_start (label, 12);
  gtk_widget_set_margin_end (label, 12);
  gtk_widget_set_margin_top (label, 6);
  gtk_widget_set_margin_bottom (label, 6);
  gtk_widget_add_css_class (label, "error");
  row = g_object_new (ADW_TYPE_PREFERENCES_ROW,
                      "activatable", FALSE,
                      "selectable", FALSE,
                      "focusable", FALSE,
                      "child", label,
                      "visible", FALSE,
                      NULL);
  *label_out = GTK_LABEL (label);
  return row;
}

static AdwPreferencesGroup *
section_group (ScSettingsPage *self,
               Section         section)
{
  switch (section)
    {
    case SECTION_PROFILE: return self->profile_group;
    case SECTION_DAK: return self->dak_group;
    case SECTION_DEVICE: return self->device_group;
    case SECTION_PRINTER: return self->printer_group;
    case SECTION_STORE: return self->store_group;
    default: g_assert_not_reached ();
    }
}

/* ------------------------------------------------------- profile changes */

static void
queue_op (ScSettingsPage *self,
          ProfileOp      *op)
{
  g_queue_push_tail (&self->ops, op);
  if (self->op == NULL)
    run_next_op (self);
}

static void
profile_op_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  ProfileOp *op = task_data;
  GError *error = NULL;
  gboolean ok = FALSE;

  switch (op->kind)
    {
    case OP_OPEN:
      ok = (op->opened = sc_profile_file_new (op->path, &error)) != NULL;
      break;
    case OP_TRAINING:
      {
        g_autoptr(ScProfile) training = sc_defaults_load_training_profile (&error);

        ok = training != NULL && (op->opened = sc_profile_file_new (sc_profile_get_path (training), &error));
      }
      break;
    case OP_SET:
      ok = sc_profile_file_set_value (op->file, op->group, op->key, op->value, &error);
      break;
    case OP_ICON:
      ok = (op->icon_name = sc_profile_file_import_icon (op->file, op->path, &error)) != NULL;
      break;
    default:
      g_assert_not_reached ();
    }

  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* The icon row says which icon the labels get. */
static void
update_icon_row (ScSettingsPage *self)
{
  g_autofree char *icon = self->file ? sc_profile_file_get_value (self->file, "label", "icon") : NULL;

  adw_action_row_set_subtitle (self->icon_row,
                               icon && *icon ? icon : _("The placeholder icon shipped with the console"));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "settings.import-icon", self->editable);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "settings.import-icon-file", self->editable);
}

/* Every row from the file, except those holding a value it refused. */
static void
refresh_fields (ScSettingsPage *self,
                gboolean        all)
{
  const GError *problems = self->file ? sc_profile_file_get_error (self->file) : NULL;

  for (guint i = 0; i < N_FIELDS; i++)
    {
      Field *field = &self->fields[i];
      const FieldSpec *spec = &field_specs[i];
      g_autofree char *value = NULL;

      gtk_widget_set_sensitive (field->row, self->editable);
      if (field->refused && !all)
        continue;
      field->refused = FALSE;
      value = self->file ? sc_profile_file_get_value (self->file, spec->group, spec->key) : NULL;
      field_set_text (self, field, spec, value);
      field_set_error (field, self->file ? sc_profile_file_get_problem (self->file, spec->group, spec->key) : NULL);
    }

  gtk_label_set_label (self->profile_problems, problems ? problems->message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->profile_problems), problems != NULL);
  update_icon_row (self);
}

static void
update_profile_row (ScSettingsPage *self)
{
  g_autofree char *display = NULL;

  if (self->file == NULL)
    {
      adw_action_row_set_subtitle (self->profile_row, _("Loading…"));
      return;
    }
  display = g_filename_display_name (sc_profile_file_get_path (self->file));
  if (self->editable)
    adw_action_row_set_subtitle (self->profile_row, display);
  else
    {
      /* Translators: the embedded training profile's path follows */
      g_autofree char *text = g_strdup_printf (_("The embedded training profile (shown, not edited here: choose "
                                                 "a profile file to edit one): %s"), display);
      adw_action_row_set_subtitle (self->profile_row, text);
    }
}

static void
op_opened (ScSettingsPage *self,
           ProfileOp      *op)
{
  g_set_object (&self->file, op->opened);
  self->editable = op->kind == OP_OPEN;
  update_profile_row (self);
  refresh_fields (self, TRUE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROFILE_PATH]);

  if (op->from_user)
    {
      g_settings_set_string (self->settings, "profile-path", self->editable ? sc_profile_file_get_path (self->file)
                                                                            : "");
      set_status (self, self->editable ? _("Profile opened; apply to use it on this station.")
                                       : _("The training profile is chosen; apply to use it on this station."));
    }
}

static void
op_failed (ScSettingsPage *self,
           ProfileOp      *op,
           const GError   *error)
{
  g_autoptr(GPtrArray) problems = sc_profile_problems_from_error (error);
  Field *edited = op->kind == OP_SET ? find_field (self, op->group, op->key) : NULL;
  g_autoptr(GString) elsewhere = g_string_new (NULL);
  g_autofree char *status = NULL;

  switch (op->kind)
    {
    case OP_OPEN:
    case OP_TRAINING:
      /* The profile shown stays. */
      status = g_strdup_printf (_("Not opened: %s"), error->message);
      set_status (self, status);
      toast (self, _("The profile could not be opened"));
      return;
    case OP_ICON:
      status = g_strdup_printf (_("The icon was not imported: %s"), error->message);
      set_status (self, status);
      toast (self, _("The icon was not imported"));
      return;
    case OP_SET:
    default:
      break;
    }

  /* Each problem under its own field; problems of keys without one under
   * the field that was changed. */
  for (guint i = 0; i < problems->len; i++)
    {
      const ScProfileProblem *p = g_ptr_array_index (problems, i);
      Field *field = find_field (self, p->group, p->key);

      if (field != NULL)
        {
          field_set_error (field, p->message);
          field->refused = field == edited;
        }
      else
        g_string_append_printf (elsewhere, "%s[%s] %s: %s", elsewhere->len ? "\n" : "", p->group, p->key,
                                p->message);
    }
  if (problems->len == 0)
    g_string_append (elsewhere, error->message);
  if (edited != NULL && elsewhere->len > 0)
    {
      field_set_error (edited, elsewhere->str);
      edited->refused = TRUE;
    }

  /* Translators: a profile change was refused; the reason follows */
  status = g_strdup_printf (_("Not saved, the profile file is unchanged: %s"),
                            problems->len ? ((ScProfileProblem *) g_ptr_array_index (problems, 0))->message
                                          : error->message);
  set_status (self, status);
}

static void
profile_op_done_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(ScSettingsPage) self = g_weak_ref_get (weak);
  g_autoptr(GError) error = NULL;
  ProfileOp *op = g_task_get_task_data (G_TASK (result));

  _sc_weak_ref_free (weak);
  g_task_propagate_boolean (G_TASK (result), &error);
  if (self == NULL || self->op != op)
    return;

  self->op = NULL;
  if (error != NULL)
    op_failed (self, op, error);
  else if (op->kind == OP_OPEN || op->kind == OP_TRAINING)
    op_opened (self, op);
  else
    {
      g_autofree char *display = g_filename_display_name (sc_profile_file_get_path (self->file));
      g_autofree char *text = g_strdup_printf (_("Saved to %s"), display);
      Field *edited = op->kind == OP_SET ? find_field (self, op->group, op->key) : NULL;

      if (edited != NULL)
        edited->refused = FALSE;
      refresh_fields (self, FALSE);
      self->profile_changed = TRUE;
      set_status (self, op->kind == OP_ICON ? _("FFS icon imported; apply to print it on new labels.")
                                            : _("Profile saved; apply to use it on this station."));
      toast (self, text);
    }
  run_next_op (self);
}

static void
run_next_op (ScSettingsPage *self)
{
  g_autoptr(GTask) task = NULL;

  g_assert (self->op == NULL);
  self->op = g_queue_pop_head (&self->ops);
  update_busy (self);
  if (self->op == NULL)
    return;

  /* A change goes to the file shown now. */
  if (self->op->kind == OP_SET || self->op->kind == OP_ICON)
    g_set_object (&self->op->file, self->file);

  task = g_task_new (NULL, self->cancellable, profile_op_done_cb, _sc_weak_ref_new (self));
  g_task_set_source_tag (task, run_next_op);
  /* The task owns the op: a thread still working on it when the page goes
   * keeps it. */
  g_task_set_task_data (task, self->op, (GDestroyNotify) profile_op_free);
  g_task_run_in_thread (task, profile_op_thread);
}

static void
commit_field (ScSettingsPage *self,
              const char     *group,
              const char     *key,
              const char     *text)
{
  g_autofree char *value = g_strstrip (g_strdup (text));
  ProfileOp *op;

  if (refuse_locked (self))
    return;
  if (!self->editable)
    {
      set_status (self, _("The embedded training profile is not edited here; choose a profile file first."));
      return;
    }
  op = g_new0 (ProfileOp, 1);
  op->kind = OP_SET;
  op->group = g_strdup (group);
  op->key = g_strdup (key);
  /* An empty field removes the key: its default applies. */
  op->value = value[0] != '\0' ? g_steal_pointer (&value) : NULL;
  queue_op (self, op);
}

static void
entry_apply_cb (AdwEntryRow    *row,
                ScSettingsPage *self)
{
  for (guint i = 0; i < N_FIELDS; i++)
    if (self->fields[i].row == GTK_WIDGET (row))
      commit_field (self, field_specs[i].group, field_specs[i].key, gtk_editable_get_text (GTK_EDITABLE (row)));
}

static void
origin_selected_cb (AdwComboRow    *row,
                    GParamSpec     *pspec,
                    ScSettingsPage *self)
{
  guint selected = adw_combo_row_get_selected (row);

  if (self->loading || selected >= G_N_ELEMENTS (origins))
    return;
  commit_field (self, "keys", "origin", origins[selected]);
}

/* ------------------------------------------------------------ station URIs */

/* The form only: whether the thing is there is for the tests and Apply. */
static gboolean
check_uri (UriKind      kind,
           const char  *uri,
           GError     **error)
{
  static const char *device_schemes[] = { "serial://", "tcp://", "usb://", "sim:", "command:" };

  if (uri[0] == '\0')
    return TRUE;
  switch (kind)
    {
    case URI_DAK:
      if (g_str_has_prefix (uri, "yubikey://"))
        return sc_yubikey_uri_parse (uri, NULL, NULL, error);
      if (strstr (uri, "://") != NULL && !g_str_has_prefix (uri, "file://"))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("must be a key file path, file:///path or yubikey://SERIAL?slot=9c"));
          return FALSE;
        }
      return TRUE;
    case URI_DEVICE:
      for (guint i = 0; i < G_N_ELEMENTS (device_schemes); i++)
        if (g_str_has_prefix (uri, device_schemes[i]))
          return TRUE;
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("must be serial:///dev/…?baud=N, tcp://HOST:PORT, usb://VID:PID[/SERIAL], sim: or "
                             "command:"));
      return FALSE;
    case URI_PRINTER:
      return sc_printer_check_uri (uri, error);
    case URI_STORE:
      if (!g_str_has_prefix (uri, "sqlite:///"))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("must be sqlite:///absolute/path/to/station.db"));
          return FALSE;
        }
      return TRUE;
    case N_URIS:
    default:
      g_assert_not_reached ();
    }
}

static void
commit_uri (ScSettingsPage *self,
            UriKind         kind,
            const char     *text)
{
  g_autofree char *uri = g_strstrip (g_strdup (text));
  g_autoptr(GError) error = NULL;
  Field *field = &self->uris[kind];

  if (refuse_locked (self))
    return;
  if (!check_uri (kind, uri, &error))
    {
      g_autofree char *status = g_strdup_printf (_("Not kept: %s"), error->message);

      field_set_error (field, error->message);
      set_status (self, status);
      return;
    }
  field_set_error (field, NULL);
  g_settings_set_string (self->settings, uri_specs[kind].settings_key, uri);
  set_status (self, _("Changed; apply to use it on this station."));
}

static void
uri_apply_cb (AdwEntryRow    *row,
              ScSettingsPage *self)
{
  for (guint i = 0; i < N_URIS; i++)
    if (self->uris[i].row == GTK_WIDGET (row))
      commit_uri (self, i, gtk_editable_get_text (GTK_EDITABLE (row)));
}

static void
load_uris (ScSettingsPage *self)
{
  for (guint i = 0; i < N_URIS; i++)
    {
      g_autofree char *value = g_settings_get_string (self->settings, uri_specs[i].settings_key);

      gtk_editable_set_text (GTK_EDITABLE (self->uris[i].row), value);
      field_set_error (&self->uris[i], NULL);
    }
}

/* ------------------------------------------------------------------ tests */

typedef struct
{
  TestKind   kind;
  ScProfile *profile;
  char      *uri;       /* this station's override, or NULL */
  char      *result;
  gboolean   ok;
} TestJob;

static void
test_job_free (gpointer data)
{
  TestJob *job = data;

  g_clear_object (&job->profile);
  g_free (job->uri);
  g_free (job->result);
  g_free (job);
}

static char *
format_asn1_time (const ASN1_TIME *t)
{
  struct tm tm;
  g_autoptr(GDateTime) dt = NULL;

  if (t == NULL || !ASN1_TIME_to_tm (t, &tm))
    return g_strdup ("?");
  dt = g_date_time_new_utc (tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return dt ? g_date_time_format (dt, "%Y-%m-%d") : g_strdup ("?");
}

static void
test_dak (TestJob *job)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScDak) dak = job->uri ? sc_dak_new_for_uri (job->profile, job->uri, &error)
                                  : sc_dak_new_for_profile (job->profile, &error);
  g_autoptr(ScSignerStatus) status = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *described = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *expiry = NULL;
  X509 *cert;

  if (dak == NULL)
    {
      job->result = g_strdup_printf (_("The DAK cannot be opened: %s"), error->message);
      return;
    }

  /* The status only: no PIN is asked for or sent. */
  status = sc_signer_get_status (sc_dak_get_signer (dak));
  described = sc_signer_describe (sc_dak_get_signer (dak));
  if (!status->present)
    g_string_append (out, _("Not present: plug in the DAK token."));
  else if (!status->needs_pin)
    g_string_append (out, _("Present and unlocked: this DAK needs no PIN."));
  else if (status->unlocked)
    g_string_append (out, _("Present and unlocked."));
  else if (status->pin_retries == 0)
    g_string_append (out, _("Present, but its PIN is blocked: the DAK cannot sign until Amazon unblocks it."));
  else if (status->pin_retries > 0)
    g_string_append_printf (out, g_dngettext (GETTEXT_PACKAGE,
                                              "Present, locked: %d PIN try left. The PIN is typed on the Provision page.",
                                              "Present, locked: %d PIN tries left. The PIN is typed on the Provision page.",
                                              status->pin_retries),
                            status->pin_retries);
  else
    g_string_append (out, _("Present, locked. The PIN is typed on the Provision page."));

  g_string_append_printf (out, "\n%s %s", _("Key:"), described);
  if (status->reader != NULL)
    g_string_append_printf (out, "\n%s %s", _("Reader:"), status->reader);
  if (status->token_serial != NULL)
    g_string_append_printf (out, "\n%s %s", _("Token serial:"), status->token_serial);
  if (status->firmware != NULL)
    g_string_append_printf (out, "\n%s %s", _("Firmware:"), status->firmware);
  if (status->slot != NULL)
    g_string_append_printf (out, "\n%s %s", _("Slot:"), status->slot);

  cert = sc_dak_get_certificate (dak);
  subject = sc_x509_name_to_string (X509_get_subject_name (cert));
  expiry = format_asn1_time (X509_get0_notAfter (cert));
  g_string_append_printf (out, "\n%s %s", _("Certificate:"), subject);
  g_string_append_printf (out, "\n%s %s", _("Expires:"), expiry);
  if (sc_dak_is_training (dak))
    g_string_append_printf (out, "\n%s", _("A training DAK: what it signs is not valid for Frustration-Free Setup."));

  job->ok = status->present;
  job->result = g_string_free (g_steal_pointer (&out), FALSE);
}

static void
test_device (TestJob      *job,
             GCancellable *cancellable)
{
  const char *uri = job->uri ? job->uri : sc_profile_get_device_uri (job->profile);
  g_autoptr(GError) error = NULL;
  g_autoptr(ScDevice) device = NULL;
  g_autoptr(ScDeviceInfo) info = NULL;

  if (g_str_has_prefix (uri, "command:"))
    {
      job->result = g_strdup_printf (_("“%s” is the external flasher, which cannot be pinged: the maker’s tool "
                                       "talks to the unit when it runs."), uri);
      return;
    }
  if (!(device = sc_device_open (uri, &error)) ||
      !(info = sc_device_hello (device, cancellable, &error)))
    {
      job->result = g_strdup_printf (_("No answer on %s: %s"), uri, error->message);
      if (device != NULL)
        sc_device_link_close (sc_device_get_link (device));
      return;
    }
  sc_device_link_close (sc_device_get_link (device));

  job->ok = TRUE;
  /* Translators: what a unit said in HELLO, one item a line */
  job->result = g_strdup_printf (_("Unit %s answered on %s.\nModel: %s\nFirmware: %s\n"
                                   "MAC: %02X:%02X:%02X:%02X:%02X:%02X"),
                                 info->serial ? info->serial : "?", uri, info->model ? info->model : "?",
                                 info->firmware ? info->firmware : "?", info->mac[0], info->mac[1], info->mac[2],
                                 info->mac[3], info->mac[4], info->mac[5]);
}

static void
test_printer (TestJob      *job,
              GCancellable *cancellable)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScPrinter) printer = NULL;
  g_autoptr(ScLabelLayout) layout = NULL;
  g_autofree char *described = NULL;
  g_autofree char *name = g_strdup_printf ("test-label-%" G_GINT64_FORMAT, g_get_real_time ());

  if (!(printer = sc_printer_open_for_profile (job->profile, job->uri, &error)) ||
      !(layout = sc_label_layout_new_test (job->profile, &error)))
    {
      job->result = g_strdup_printf (_("Nothing printed: %s"), error->message);
      return;
    }
  described = sc_printer_describe (printer);
  if (!sc_printer_print (printer, layout, name, cancellable, &error))
    {
      job->result = g_strdup_printf (_("The test label did not print on %s: %s"), described, error->message);
      return;
    }
  job->ok = TRUE;
  job->result = g_strdup_printf (_("Printed a test label on %s. The symbol’s top-left corner should be 10 mm right "
                                   "of and below the label’s: check with a ruler, and scan it: it reads “%s”."),
                                 described, sc_symbol_get_payload (sc_label_layout_get_symbol (layout)));
}

static void
test_store (TestJob *job)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScStore) store = sc_store_open (job->uri, &error);
  g_autofree char *described = NULL;
  ScReconciliation r = { 0 };

  if (store == NULL || !sc_store_reconcile (store, &r, &error))
    {
      job->result = g_strdup_printf (_("The records cannot be opened: %s"), error->message);
      return;
    }
  described = sc_store_describe (store);
  job->ok = TRUE;
  /* Translators: the records' counts, one kind a line */
  job->result = g_strdup_printf (_("Opened %s.\n"
                                   "Units: %" PRIu64 " passed, %" PRIu64 " failed\n"
                                   "DAK signatures: %" PRIu64 " made, %" PRIu64 " failed, %"
                                   PRIu64 " not known to have finished\n"
                                   "Labels: %" PRIu64 " printed, %" PRIu64 " reprinted, %"
                                   PRIu64 " pending"),
                                 described, r.units_complete, r.units_failed, r.signatures, r.signatures_failed,
                                 r.signatures_pending, r.labels_printed, r.labels_reprinted, r.prints_pending);
}

static void
test_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  TestJob *job = task_data;

  switch (job->kind)
    {
    case TEST_DAK: test_dak (job); break;
    case TEST_DEVICE: test_device (job, cancellable); break;
    case TEST_PRINTER: test_printer (job, cancellable); break;
    case TEST_STORE: test_store (job); break;
    case N_TESTS:
    default: g_assert_not_reached ();
    }
  g_task_return_boolean (task, TRUE);
}

static void
test_set_result (ScSettingsPage *self,
                 TestKind        kind,
                 const char     *result,
                 gboolean        ok)
{
  Test *test = &self->tests[kind];

  g_free (test->result);
  test->result = g_strdup (result);
  gtk_label_set_label (test->label, result ? result : "");
  gtk_widget_remove_css_class (GTK_WIDGET (test->label), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (test->label), "success");
  if (result != NULL && !test->running)
    gtk_widget_add_css_class (GTK_WIDGET (test->label), ok ? "success" : "error");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DAK_RESULT + kind]);
  if (test->ok != ok)
    {
      test->ok = ok;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DAK_OK + kind]);
    }
}

static void
test_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(ScSettingsPage) self = g_weak_ref_get (weak);
  TestJob *job = g_task_get_task_data (G_TASK (result));

  _sc_weak_ref_free (weak);
  g_task_propagate_boolean (G_TASK (result), NULL);
  if (self == NULL)
    return;

  self->tests[job->kind].running = FALSE;
  test_set_result (self, job->kind, job->result, job->ok);
  update_busy (self);
}

/* The URI a test uses: the row's text when it is a valid override. */
static char *
override_uri (ScSettingsPage *self,
              UriKind         kind)
{
  g_autofree char *uri = g_settings_get_string (self->settings, uri_specs[kind].settings_key);

  g_strstrip (uri);
  return uri[0] != '\0' ? g_steal_pointer (&uri) : NULL;
}

static void
start_test (ScSettingsPage *self,
            TestKind        kind)
{
  static const UriKind uri_of[N_TESTS] = { URI_DAK, URI_DEVICE, URI_PRINTER, URI_STORE };
  g_autoptr(GTask) task = NULL;
  TestJob *job;
  ScProfile *profile = NULL;

  if (self->tests[kind].running || refuse_locked (self))
    return;
  if (kind != TEST_STORE)
    {
      if (self->file == NULL || self->op != NULL)
        {
          test_set_result (self, kind, _("The profile is being read or saved; test again in a moment."), FALSE);
          return;
        }
      if ((profile = sc_profile_file_get_profile (self->file)) == NULL)
        {
          test_set_result (self, kind, _("The profile has problems (listed under Product Profile); fix them "
                                         "first."), FALSE);
          return;
        }
    }

  job = g_new0 (TestJob, 1);
  job->kind = kind;
  job->profile = profile ? g_object_ref (profile) : NULL;
  job->uri = override_uri (self, uri_of[kind]);
  self->tests[kind].running = TRUE;
  test_set_result (self, kind, kind == TEST_PRINTER ? _("Printing…") : _("Testing…"), FALSE);
  update_busy (self);

  task = g_task_new (NULL, self->cancellable, test_done_cb, _sc_weak_ref_new (self));
  g_task_set_source_tag (task, start_test);
  g_task_set_task_data (task, job, test_job_free);
  g_task_run_in_thread (task, test_thread);
}

/* ------------------------------------------------------------------ apply */

static void
apply_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  GError *error = NULL;
  ScStation *station = sc_station_config_open (task_data, &error);

  if (station == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* Only a check: the window opens its own with the settings applied. */
  sc_station_free (station);
  g_task_return_boolean (task, TRUE);
}

static void
apply_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(ScSettingsPage) self = g_weak_ref_get (weak);
  g_autoptr(GError) error = NULL;
  const ScStationConfig *config = g_task_get_task_data (G_TASK (result));
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);

  _sc_weak_ref_free (weak);
  if (self == NULL)
    return;

  self->applying = FALSE;
  if (!ok)
    {
      g_autofree char *status = g_strdup_printf (_("Not applied, the station opens as before: %s"), error->message);

      set_status (self, status);
      update_busy (self);
      return;
    }

  g_settings_apply (self->settings);
  sc_station_config_publish (config);
  self->profile_changed = FALSE;
  set_status (self, self->training_mode
              ? _("Applied. Training mode keeps its training station; these settings are used when the console "
                  "starts without --training.")
              : _("Applied: the station opens again with these settings."));
  update_busy (self);
  g_signal_emit (self, signals[SIGNAL_APPLIED], 0);
}

static gboolean
has_field_errors (ScSettingsPage *self)
{
  for (guint i = 0; i < N_URIS; i++)
    if (self->uris[i].error != NULL)
      return TRUE;
  for (guint i = 0; i < N_FIELDS; i++)
    if (self->fields[i].refused)
      return TRUE;
  return FALSE;
}

static void
apply_action_cb (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  ScSettingsPage *self = SC_SETTINGS_PAGE (widget);
  g_autoptr(GTask) task = NULL;

  if (self->applying || refuse_locked (self))
    return;
  if (self->station_busy)
    {
      set_status (self, _("Not applied: a unit is being provisioned. Apply when it has finished."));
      return;
    }
  if (self->op != NULL || self->file == NULL)
    {
      set_status (self, _("Not applied: the profile is being read or saved; apply again in a moment."));
      return;
    }
  if (has_field_errors (self))
    {
      set_status (self, _("Not applied: fix the fields marked in red, or revert them, first."));
      return;
    }
  if (sc_profile_file_get_profile (self->file) == NULL)
    {
      set_status (self, _("Not applied: the profile has problems (listed under Product Profile); fix them first."));
      return;
    }

  self->applying = TRUE;
  set_status (self, _("Opening the station with these settings…"));
  update_busy (self);
  task = g_task_new (NULL, self->cancellable, apply_done_cb, _sc_weak_ref_new (self));
  g_task_set_source_tag (task, apply_action_cb);
  /* As they will be once applied: a delayed GSettings reads its changes. */
  g_task_set_task_data (task, sc_station_config_new_from_settings (self->settings),
                        (GDestroyNotify) sc_station_config_free);
  g_task_run_in_thread (task, apply_thread);
}

/* --------------------------------------------------------------- actions */

static void
load_profile_from_settings (ScSettingsPage *self)
{
  g_autofree char *path = setting_or_null (self->settings, "profile-path");
  ProfileOp *op = g_new0 (ProfileOp, 1);

  op->kind = path ? OP_OPEN : OP_TRAINING;
  op->path = g_steal_pointer (&path);
  queue_op (self, op);
}

static void
revert_action_cb (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  ScSettingsPage *self = SC_SETTINGS_PAGE (widget);

  if (refuse_locked (self))
    return;
  g_settings_revert (self->settings);
  load_uris (self);
  /* The profile file keeps what was saved to it; the rows show it again. */
  for (guint i = 0; i < N_FIELDS; i++)
    self->fields[i].refused = FALSE;
  load_profile_from_settings (self);
  set_status (self, _("Reverted to the settings in use."));
  update_busy (self);
}

static void
open_profile_action_cb (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  ScSettingsPage *self = SC_SETTINGS_PAGE (widget);
  ProfileOp *op;

  if (refuse_locked (self))
    return;
  op = g_new0 (ProfileOp, 1);
  op->kind = OP_OPEN;
  op->from_user = TRUE;
  op->path = g_variant_dup_string (parameter, NULL);
  queue_op (self, op);
}

static void
use_training_action_cb (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  ScSettingsPage *self = SC_SETTINGS_PAGE (widget);
  ProfileOp *op;

  if (refuse_locked (self))
    return;
  op = g_new0 (ProfileOp, 1);
  op->kind = OP_TRAINING;
  op->from_user = TRUE;
  queue_op (self, op);
}

static void
set_field_action_cb (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  ScSettingsPage *self = SC_SETTINGS_PAGE (widget);
  const char *group, *key, *text;
  Field *field;

  if (refuse_locked (self))
    return;
  g_variant_get (parameter, "(&s&s&s)", &group, &key, &text);
  if ((field = find_field (self, group, key)) != NULL)
    field_set_text (self, field, &field_specs[field - self->fields], text);
  commit_field (self, group, key, text);
}

static void
set_uri_action_cb (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  ScSettingsPage *self = SC_SETTINGS_PAGE (widget);
  const char *which, *uri;

  if (refuse_locked (self))
    return;
  g_variant_get (parameter, "(&s&s)", &which, &uri);
  for (guint i = 0; i < N_URIS; i++)
    if (g_str_equal (uri_specs[i].name, which))
      {
        gtk_editable_set_text (GTK_EDITABLE (self->uris[i].row), uri);
        commit_uri (self, i, uri);
        return;
      }
  g_warning ("settings.set-uri: no URI “%s”", which);
}

static void
import_icon_file_action_cb (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  ScSettingsPage *self = SC_SETTINGS_PAGE (widget);
  ProfileOp *op;

  if (refuse_locked (self))
    return;
  if (!self->editable)
    {
      set_status (self, _("The embedded training profile is not edited here; choose a profile file first."));
      return;
    }
  op = g_new0 (ProfileOp, 1);
  op->kind = OP_ICON;
  op->path = g_variant_dup_string (parameter, NULL);
  queue_op (self, op);
}

static void
chooser_response_cb (ScSettingsPage       *self,
                     int                   response,
                     GtkFileChooserNative *chooser)
{
  const char *action = g_object_get_data (G_OBJECT (chooser), "sc-action");
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file != NULL)
    path = g_file_get_path (file);

  if (path != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), action, "s", path);
  else if (file != NULL)
    set_status (self, _("Only a local file can be used: copy it to this computer first."));

  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (chooser));
  if (self->chooser == chooser)
    g_clear_object (&self->chooser);
}

static void
choose_file (ScSettingsPage *self,
             const char     *title,
             const char     *action,
             GtkFileFilter  *filter)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (refuse_locked (self))
    return;
  if (self->chooser != NULL)
    {
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
      g_clear_object (&self->chooser);
    }
  self->chooser = gtk_file_chooser_native_new (title, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                               GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  g_object_set_data_full (G_OBJECT (self->chooser), "sc-action", g_strdup (action), g_free);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (chooser_response_cb), self, G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
choose_profile_action_cb (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("Product profiles"));
  gtk_file_filter_add_suffix (filter, "profile");
  choose_file (SC_SETTINGS_PAGE (widget), _("Choose a Product Profile"), "settings.open-profile", filter);
}

static void
import_icon_action_cb (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("SVG and PNG images"));
  gtk_file_filter_add_mime_type (filter, "image/svg+xml");
  gtk_file_filter_add_mime_type (filter, "image/png");
  gtk_file_filter_add_suffix (filter, "svg");
  gtk_file_filter_add_suffix (filter, "png");
  choose_file (SC_SETTINGS_PAGE (widget), _("Import the FFS Icon"), "settings.import-icon-file", filter);
}

static void
test_action_cb (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  ScSettingsPage *self = SC_SETTINGS_PAGE (widget);

  if (g_str_equal (action_name, "settings.test-dak"))
    start_test (self, TEST_DAK);
  else if (g_str_equal (action_name, "settings.ping-device"))
    start_test (self, TEST_DEVICE);
  else if (g_str_equal (action_name, "settings.print-test-label"))
    start_test (self, TEST_PRINTER);
  else
    start_test (self, TEST_STORE);
}

/* ------------------------------------------------------------- the object */

static void
build_rows (ScSettingsPage *self)
{
  for (guint i = 0; i < N_FIELDS; i++)
    {
      const FieldSpec *spec = &field_specs[i];
      Field *field = &self->fields[i];
      g_autofree char *tooltip = NULL;

      if (spec->kind == FIELD_ORIGIN)
        {
          const char *labels[] = { _("On the unit (device)"), _("On the station (station)"), NULL };
          g_autoptr(GtkStringList) model = gtk_string_list_new (labels);

          field->row = adw_combo_row_new ();
          adw_combo_row_set_model (ADW_COMBO_ROW (field->row), G_LIST_MODEL (model));
          g_signal_connect (field->row, "notify::selected", G_CALLBACK (origin_selected_cb), self);
        }
      else
        {
          field->row = adw_entry_row_new ();
          adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (field->row), TRUE);
          g_signal_connect (field->row, "apply", G_CALLBACK (entry_apply_cb), self);
        }
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (field->row), _(spec->title));
      /* Translators: a tooltip naming the profile key a field edits */
      tooltip = g_strdup_printf (_("[%s] %s in the profile"), spec->group, spec->key);
      gtk_widget_set_tooltip_text (field->row, tooltip);
      gtk_widget_set_sensitive (field->row, FALSE);
      field->error_row = error_row_new (&field->error_label);
      adw_preferences_group_add (section_group (self, spec->section), field->row);
      adw_preferences_group_add (section_group (self, spec->section), field->error_row);

      /* Each overriding row right after its section's last profile field. */
      for (guint u = 0; u < N_URIS; u++)
        if (uri_specs[u].section == spec->section &&
            (i + 1 == N_FIELDS || field_specs[i + 1].section != spec->section))
          {
            Field *uri = &self->uris[u];

            uri->row = adw_entry_row_new ();
            adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (uri->row), TRUE);
            adw_preferences_row_set_title (ADW_PREFERENCES_ROW (uri->row), _(uri_specs[u].title));
            g_signal_connect (uri->row, "apply", G_CALLBACK (uri_apply_cb), self);
            uri->error_row = error_row_new (&uri->error_label);
            adw_preferences_group_add (section_group (self, spec->section), uri->row);
            adw_preferences_group_add (section_group (self, spec->section), uri->error_row);
          }
    }

  /* The database has no profile fields. */
  {
    Field *uri = &self->uris[URI_STORE];

    uri->row = adw_entry_row_new ();
    adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (uri->row), TRUE);
    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (uri->row), _(uri_specs[URI_STORE].title));
    g_signal_connect (uri->row, "apply", G_CALLBACK (uri_apply_cb), self);
    uri->error_row = error_row_new (&uri->error_label);
    adw_preferences_group_add (self->store_group, uri->row);
    adw_preferences_group_add (self->store_group, uri->error_row);
  }
}

static void
sc_settings_page_dispose (GObject *object)
{
  ScSettingsPage *self = SC_SETTINGS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->chooser != NULL)
    {
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
      g_clear_object (&self->chooser);
    }
  for (guint i = 0; i < N_FIELDS; i++)
    if (self->fields[i].row != NULL)
      g_signal_handlers_disconnect_by_data (self->fields[i].row, self);
  for (guint i = 0; i < N_URIS; i++)
    if (self->uris[i].row != NULL)
      g_signal_handlers_disconnect_by_data (self->uris[i].row, self);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);

  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), SC_TYPE_SETTINGS_PAGE);

  G_OBJECT_CLASS (sc_settings_page_parent_class)->dispose (object);
}

static void
sc_settings_page_finalize (GObject *object)
{
  ScSettingsPage *self = SC_SETTINGS_PAGE (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);
  g_clear_object (&self->file);
  g_queue_clear_full (&self->ops, (GDestroyNotify) profile_op_free);
  self->op = NULL;   /* its task's */
  for (guint i = 0; i < N_FIELDS; i++)
    g_free (self->fields[i].error);
  for (guint i = 0; i < N_URIS; i++)
    g_free (self->uris[i].error);
  for (guint i = 0; i < N_TESTS; i++)
    g_free (self->tests[i].result);
  g_free (self->status);
  g_free (self->refusal);

  G_OBJECT_CLASS (sc_settings_page_parent_class)->finalize (object);
}

static void
sc_settings_page_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  ScSettingsPage *self = SC_SETTINGS_PAGE (object);

  switch (prop_id)
    {
    case PROP_PROFILE_PATH: g_value_set_string (value, sc_settings_page_get_profile_path (self)); break;
    case PROP_BUSY: g_value_set_boolean (value, self->busy); break;
    case PROP_STATION_BUSY: g_value_set_boolean (value, self->station_busy); break;
    case PROP_TRAINING_MODE: g_value_set_boolean (value, self->training_mode); break;
    case PROP_NEEDS_APPLY: g_value_set_boolean (value, self->needs_apply); break;
    case PROP_STATUS: g_value_set_string (value, self->status); break;
    case PROP_REFUSAL: g_value_set_string (value, self->refusal); break;
    case PROP_DAK_RESULT:
    case PROP_DEVICE_RESULT:
    case PROP_PRINTER_RESULT:
    case PROP_STORE_RESULT:
      g_value_set_string (value, self->tests[prop_id - PROP_DAK_RESULT].result);
      break;
    case PROP_DAK_OK:
    case PROP_DEVICE_OK:
    case PROP_PRINTER_OK:
    case PROP_STORE_OK:
      g_value_set_boolean (value, self->tests[prop_id - PROP_DAK_OK].ok);
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sc_settings_page_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  ScSettingsPage *self = SC_SETTINGS_PAGE (object);
  gboolean b;

  switch (prop_id)
    {
    case PROP_STATION_BUSY:
      if ((b = g_value_get_boolean (value)) != self->station_busy)
        {
          self->station_busy = b;
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_TRAINING_MODE:
      if ((b = g_value_get_boolean (value)) != self->training_mode)
        {
          self->training_mode = b;
          update_locked (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_REFUSAL:
      sc_settings_page_set_refusal (self, g_value_get_string (value));
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sc_settings_page_class_init (ScSettingsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  static const char *result_names[N_TESTS] = { "dak-result", "device-result", "printer-result", "store-result" };
  static const char *ok_names[N_TESTS] = { "dak-ok", "device-ok", "printer-ok", "store-ok" };

  object_class->dispose = sc_settings_page_dispose;
  object_class->finalize = sc_settings_page_finalize;
  object_class->get_property = sc_settings_page_get_property;
  object_class->set_property = sc_settings_page_set_property;

  properties[PROP_PROFILE_PATH] =
    g_param_spec_string ("profile-path", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATION_BUSY] =
    g_param_spec_boolean ("station-busy", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_TRAINING_MODE] =
    g_param_spec_boolean ("training-mode", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_NEEDS_APPLY] =
    g_param_spec_boolean ("needs-apply", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS] =
    g_param_spec_string ("status", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_REFUSAL] =
    g_param_spec_string ("refusal", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  for (guint i = 0; i < N_TESTS; i++)
    {
      properties[PROP_DAK_RESULT + i] =
        g_param_spec_string (result_names[i], NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
      properties[PROP_DAK_OK + i] =
        g_param_spec_boolean (ok_names[i], NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    }
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_APPLIED] = g_signal_new ("applied", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                          NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/setupconsole/SetupConsole/sc-settings-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ScSettingsPage, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, ScSettingsPage, stack);
  gtk_widget_class_bind_template_child (widget_class, ScSettingsPage, locked_page);
  gtk_widget_class_bind_template_child (widget_class, ScSettingsPage, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, ScSettingsPage, profile_group);
  gtk_widget_class_bind_template_child (widget_class, ScSettingsPage, profile_row);
  gtk_widget_class_bind_template_child (widget_class, ScSettingsPage, profile_problems);
  gtk_widget_class_bind_template_child (widget_class, ScSettingsPage, icon_row);
  gtk_widget_class_bind_template_child (widget_class, ScSettingsPage, dak_group);
  gtk_widget_class_bind_template_child (widget_class, ScSettingsPage, device_group);
  gtk_widget_class_bind_template_child (widget_class, ScSettingsPage, printer_group);
  gtk_widget_class_bind_template_child (widget_class, ScSettingsPage, store_group);
  gtk_widget_class_bind_template_child (widget_class, ScSettingsPage, dak_result);
  gtk_widget_class_bind_template_child (widget_class, ScSettingsPage, device_result);
  gtk_widget_class_bind_template_child (widget_class, ScSettingsPage, printer_result);
  gtk_widget_class_bind_template_child (widget_class, ScSettingsPage, store_result);
  gtk_widget_class_bind_template_child (widget_class, ScSettingsPage, status_label);

  gtk_widget_class_install_action (widget_class, "settings.choose-profile", NULL, choose_profile_action_cb);
  gtk_widget_class_install_action (widget_class, "settings.open-profile", "s", open_profile_action_cb);
  gtk_widget_class_install_action (widget_class, "settings.use-training-profile", NULL, use_training_action_cb);
  gtk_widget_class_install_action (widget_class, "settings.set-field", "(sss)", set_field_action_cb);
  gtk_widget_class_install_action (widget_class, "settings.import-icon", NULL, import_icon_action_cb);
  gtk_widget_class_install_action (widget_class, "settings.import-icon-file", "s", import_icon_file_action_cb);
  gtk_widget_class_install_action (widget_class, "settings.set-uri", "(ss)", set_uri_action_cb);
  gtk_widget_class_install_action (widget_class, "settings.test-dak", NULL, test_action_cb);
  gtk_widget_class_install_action (widget_class, "settings.ping-device", NULL, test_action_cb);
  gtk_widget_class_install_action (widget_class, "settings.print-test-label", NULL, test_action_cb);
  gtk_widget_class_install_action (widget_class, "settings.test-store", NULL, test_action_cb);
  gtk_widget_class_install_action (widget_class, "settings.apply", NULL, apply_action_cb);
  gtk_widget_class_install_action (widget_class, "settings.revert", NULL, revert_action_cb);
}

static void
sc_settings_page_init (ScSettingsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  g_queue_init (&self->ops);
  self->tests[TEST_DAK].label = self->dak_result;
  self->tests[TEST_DEVICE].label = self->device_result;
  self->tests[TEST_PRINTER].label = self->printer_result;
  self->tests[TEST_STORE].label = self->store_result;

  /* Kept until Apply. */
  self->settings = g_settings_new (APP_ID);
  g_settings_delay (self->settings);
  g_signal_connect_swapped (self->settings, "notify::has-unapplied", G_CALLBACK (has_unapplied_cb), self);

  build_rows (self);
  update_locked (self);
  load_uris (self);
  update_profile_row (self);
  update_icon_row (self);
  load_profile_from_settings (self);
}

GtkWidget *
sc_settings_page_new (void)
{
  return g_object_new (SC_TYPE_SETTINGS_PAGE, NULL);
}

const char *
sc_settings_page_get_profile_path (ScSettingsPage *self)
{
  g_return_val_if_fail (SC_IS_SETTINGS_PAGE (self), NULL);
  return self->file != NULL && self->editable ? sc_profile_file_get_path (self->file) : NULL;
}

gboolean
sc_settings_page_get_busy (ScSettingsPage *self)
{
  g_return_val_if_fail (SC_IS_SETTINGS_PAGE (self), FALSE);
  return self->busy;
}

gboolean
sc_settings_page_get_needs_apply (ScSettingsPage *self)
{
  g_return_val_if_fail (SC_IS_SETTINGS_PAGE (self), FALSE);
  return self->needs_apply;
}

const char *
sc_settings_page_get_status (ScSettingsPage *self)
{
  g_return_val_if_fail (SC_IS_SETTINGS_PAGE (self), NULL);
  return self->status;
}

const char *
sc_settings_page_get_field_error (ScSettingsPage *self,
                                  const char     *group,
                                  const char     *key)
{
  Field *field;

  g_return_val_if_fail (SC_IS_SETTINGS_PAGE (self), NULL);

  field = find_field (self, group, key);
  return field ? field->error : NULL;
}

const char *
sc_settings_page_get_field_text (ScSettingsPage *self,
                                 const char     *group,
                                 const char     *key)
{
  Field *field;

  g_return_val_if_fail (SC_IS_SETTINGS_PAGE (self), NULL);

  field = find_field (self, group, key);
  return field ? field_get_text (field, &field_specs[field - self->fields]) : NULL;
}

/**
 * sc_settings_page_set_refusal:
 * @refusal: (nullable): why whoever is at the console may not change
 *   settings (sc_user_session_get_refusal() for SC_RIGHT_SETTINGS), or
 *   %NULL when they may
 *
 * While refused, the page shows only the sentence and a way to sign in,
 * and changes nothing.
 */
void
sc_settings_page_set_refusal (ScSettingsPage *self,
                              const char     *refusal)
{
  g_return_if_fail (SC_IS_SETTINGS_PAGE (self));

  if (g_strcmp0 (self->refusal, refusal) == 0)
    return;
  g_free (self->refusal);
  self->refusal = g_strdup (refusal);
  update_locked (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REFUSAL]);
}

const char *
sc_settings_page_get_refusal (ScSettingsPage *self)
{
  g_return_val_if_fail (SC_IS_SETTINGS_PAGE (self), NULL);
  return self->refusal;
}
