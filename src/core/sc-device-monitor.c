/* sc-device-monitor.c
 *
 * Polling, not udev or libusb hotplug: it works the same for every link, in
 * a container and on a machine without udev, and a check costs a stat() or
 * one USB enumeration per interval.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <libusb.h>

#include "sc-device-monitor.h"

struct _ScDeviceMonitor
{
  GObject   parent_instance;
  char     *uri;
  char     *serial_path;       /* serial:// */
  gboolean  usb;
  guint     vid, pid;
  char     *usb_serial;
  gboolean  present;
  guint     source;
};

enum { PROP_0, PROP_URI, PROP_PRESENT, N_PROPS };
static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (ScDeviceMonitor, sc_device_monitor, G_TYPE_OBJECT)

static gboolean
usb_present (ScDeviceMonitor *self)
{
  libusb_context *usb = NULL;
  libusb_device **list = NULL;
  gboolean found = FALSE;
  ssize_t n;

  if (libusb_init (&usb) != 0)
    return FALSE;
  n = libusb_get_device_list (usb, &list);
  for (ssize_t i = 0; i < n && !found; i++)
    {
      struct libusb_device_descriptor desc;

      if (libusb_get_device_descriptor (list[i], &desc) != 0 ||
          desc.idVendor != self->vid || desc.idProduct != self->pid)
        continue;
      if (self->usb_serial == NULL)
        found = TRUE;
      else
        {
          libusb_device_handle *handle = NULL;
          unsigned char text[256] = "";

          if (libusb_open (list[i], &handle) == 0)
            {
              found = desc.iSerialNumber != 0 &&
                      libusb_get_string_descriptor_ascii (handle, desc.iSerialNumber, text, sizeof text) > 0 &&
                      strcmp ((const char *) text, self->usb_serial) == 0;
              libusb_close (handle);
            }
        }
    }
  if (list != NULL)
    libusb_free_device_list (list, 1);
  libusb_exit (usb);
  return found;
}

void
sc_device_monitor_check (ScDeviceMonitor *self)
{
  gboolean present = TRUE;

  g_return_if_fail (SC_IS_DEVICE_MONITOR (self));

  if (self->serial_path != NULL)
    present = g_file_test (self->serial_path, G_FILE_TEST_EXISTS);
  else if (self->usb)
    present = usb_present (self);

  if (present != self->present)
    {
      self->present = present;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PRESENT]);
    }
}

static gboolean
tick_cb (gpointer user_data)
{
  sc_device_monitor_check (user_data);
  return G_SOURCE_CONTINUE;
}

static void
sc_device_monitor_finalize (GObject *object)
{
  ScDeviceMonitor *self = SC_DEVICE_MONITOR (object);

  g_clear_handle_id (&self->source, g_source_remove);
  g_free (self->uri);
  g_free (self->serial_path);
  g_free (self->usb_serial);
  G_OBJECT_CLASS (sc_device_monitor_parent_class)->finalize (object);
}

static void
sc_device_monitor_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  ScDeviceMonitor *self = SC_DEVICE_MONITOR (object);

  switch (prop_id)
    {
    case PROP_URI:
      g_value_set_string (value, self->uri);
      break;
    case PROP_PRESENT:
      g_value_set_boolean (value, self->present);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sc_device_monitor_class_init (ScDeviceMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sc_device_monitor_finalize;
  object_class->get_property = sc_device_monitor_get_property;

  properties[PROP_URI] = g_param_spec_string ("uri", NULL, NULL, NULL,
                                              G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PRESENT] = g_param_spec_boolean ("present", NULL, NULL, FALSE,
                                                   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS |
                                                   G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sc_device_monitor_init (ScDeviceMonitor *self)
{
}

ScDeviceMonitor *
sc_device_monitor_new (const char *uri,
                       guint       interval_ms)
{
  ScDeviceMonitor *self;

  g_return_val_if_fail (uri != NULL, NULL);

  self = g_object_new (SC_TYPE_DEVICE_MONITOR, NULL);
  self->uri = g_strdup (uri);

  if (g_str_has_prefix (uri, "serial://"))
    {
      const char *path = uri + strlen ("serial://");
      const char *query = strchr (path, '?');

      self->serial_path = query ? g_strndup (path, query - path) : g_strdup (path);
    }
  else if (g_str_has_prefix (uri, "usb://"))
    {
      const char *slash = strchr (uri + 6, '/');

      self->usb = sscanf (uri + 6, "%4x:%4x", &self->vid, &self->pid) == 2;
      if (slash != NULL && slash[1] != '\0')
        self->usb_serial = g_strdup (slash + 1);
    }

  self->present = FALSE;
  sc_device_monitor_check (self);
  /* A USB enumeration touches every device: at most once a second. */
  if (self->serial_path != NULL || self->usb)
    self->source = g_timeout_add (MAX (interval_ms, self->usb ? 1000 : 100), tick_cb, self);
  return self;
}

gboolean
sc_device_monitor_get_present (ScDeviceMonitor *self)
{
  g_return_val_if_fail (SC_IS_DEVICE_MONITOR (self), FALSE);
  return self->present;
}

const char *
sc_device_monitor_get_uri (ScDeviceMonitor *self)
{
  g_return_val_if_fail (SC_IS_DEVICE_MONITOR (self), NULL);
  return self->uri;
}
