/* sc-device-link-private.h: the link vtable, for backends and ScDevice
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sc-device-link.h"

G_BEGIN_DECLS

struct _ScDeviceLinkInterface
{
  GTypeInterface parent_iface;

  /* Writes all of @data within @timeout_ms; a stalled write is
   * SC_DEVICE_ERROR_TIMEOUT. */
  gboolean (*write)    (ScDeviceLink   *self,
                        const guint8   *data,
                        gsize           len,
                        guint           timeout_ms,
                        GError        **error);
  /* Reads what is there, waiting up to @timeout_ms for the first byte.
   * Returns the count, 0 on timeout, -1 with @error on failure; the end of
   * the stream is SC_DEVICE_ERROR_DISCONNECTED. */
  gssize   (*read)     (ScDeviceLink   *self,
                        guint8         *buf,
                        gsize           cap,
                        guint           timeout_ms,
                        GError        **error);
  char    *(*describe) (ScDeviceLink   *self);
  void     (*close)    (ScDeviceLink   *self);
};

gboolean      _sc_device_link_write (ScDeviceLink  *self,
                                     const guint8  *data,
                                     gsize          len,
                                     guint          timeout_ms,
                                     GError       **error);
gssize        _sc_device_link_read  (ScDeviceLink  *self,
                                     guint8        *buf,
                                     gsize          cap,
                                     guint          timeout_ms,
                                     GError       **error);

/* Byte I/O on a file descriptor, shared by the serial and TCP links. */
gboolean      _sc_fd_write_all      (int            fd,
                                     const guint8  *data,
                                     gsize          len,
                                     guint          timeout_ms,
                                     const char    *what,
                                     GError       **error);
gssize        _sc_fd_read_timeout   (int            fd,
                                     guint8        *buf,
                                     gsize          cap,
                                     guint          timeout_ms,
                                     const char    *what,
                                     GError       **error);

/* The query value @key of @query ("a=1&b=2"), or NULL. */
char         *_sc_uri_query_get     (const char    *query,
                                     const char    *key);

ScDeviceLink *_sc_serial_link_open  (const char    *path,
                                     const char    *query,
                                     GError       **error);
ScDeviceLink *_sc_tcp_link_open     (const char    *host_port,
                                     GError       **error);
ScDeviceLink *_sc_usb_link_open     (const char    *spec,
                                     GError       **error);
ScDeviceLink *_sc_sim_link_open     (const char    *query,
                                     GError       **error);

G_END_DECLS
