/* sc-device-link.h: the byte stream to a unit's fixture
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SC_DEVICE_ERROR (sc_device_error_quark ())

typedef enum
{
  SC_DEVICE_ERROR_ADDRESS,       /* the device URI is malformed */
  SC_DEVICE_ERROR_NOT_FOUND,     /* no such port, host, or USB device */
  SC_DEVICE_ERROR_DISCONNECTED,  /* the link went away */
  SC_DEVICE_ERROR_TIMEOUT,       /* no answer in time, retries included */
  SC_DEVICE_ERROR_PROTOCOL,      /* answers that do not follow the protocol */
  SC_DEVICE_ERROR_REFUSED,       /* the unit answered with an error */
  SC_DEVICE_ERROR_LOCKED,        /* the unit is locked against provisioning */
  SC_DEVICE_ERROR_VERIFY,        /* read-back or challenge does not match */
  SC_DEVICE_ERROR_FLASHER,       /* the external flasher failed */
} ScDeviceError;

GQuark sc_device_error_quark (void);

#define SC_TYPE_DEVICE_LINK (sc_device_link_get_type ())

/* One backend per transport, one file each: serial (termios), tcp, usb
 * (libusb bulk), sim (the reference agent in-process). The vtable is in
 * sc-device-link-private.h. */
G_DECLARE_INTERFACE (ScDeviceLink, sc_device_link, SC, DEVICE_LINK, GObject)

/* Opens the link a URI names:
 *   serial:///dev/ttyUSB0?baud=115200
 *   tcp://127.0.0.1:5555
 *   usb://VID:PID[/SERIAL]           (hex VID and PID)
 *   sim:[?serial=S&mac=AA:BB:CC:DD:EE:FF&flash=PATH&keygen=0]
 * command: URIs name an external flasher (ScFlasher), not a link. */
ScDeviceLink *sc_device_link_open     (const char    *uri,
                                       GError       **error);
char         *sc_device_link_describe (ScDeviceLink  *self);
void          sc_device_link_close    (ScDeviceLink  *self);

G_END_DECLS
