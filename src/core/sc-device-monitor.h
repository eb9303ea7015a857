/* sc-device-monitor.h: is the fixture plugged in?
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define SC_TYPE_DEVICE_MONITOR (sc_device_monitor_get_type ())

G_DECLARE_FINAL_TYPE (ScDeviceMonitor, sc_device_monitor, SC, DEVICE_MONITOR, GObject)

/* Watches the fixture a device URI names and keeps the "present" property
 * current, for the station status ("fixture connected"): a serial port's
 * device node, a USB device by VID:PID[/SERIAL]. TCP jigs, the simulator
 * and external flashers cannot be watched and count as present. Checks run
 * on the thread-default main context every @interval_ms. */
ScDeviceMonitor *sc_device_monitor_new         (const char      *uri,
                                                guint            interval_ms);
gboolean         sc_device_monitor_get_present (ScDeviceMonitor *self);
const char      *sc_device_monitor_get_uri     (ScDeviceMonitor *self);
/* Checks now, without waiting for the next interval. */
void             sc_device_monitor_check       (ScDeviceMonitor *self);

G_END_DECLS
