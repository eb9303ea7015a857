/* sc-user-session.h: who is signed in at this console, and what they may do
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "sc-provision-page.h"
#include "sc-units-page.h"
#include "sc-users.h"

G_BEGIN_DECLS

#define SC_TYPE_USER_SESSION (sc_user_session_get_type ())

G_DECLARE_FINAL_TYPE (ScUserSession, sc_user_session, SC, USER_SESSION, GObject)

/* A console's sign-in, over the users of the station it works with.
 *
 * Until an admin defines users the station runs without sign-in
 * (unprotected, said in a banner); in training mode nobody signs in, so a
 * trainer's first scan just works. Otherwise people sign in (required):
 * provisioning needs an operator, reprints and overrides QA, settings and
 * users an admin. The user signed in is the station's operator_name, so
 * runs and prints record them; sign-in and sign-out are audited.
 *
 * Properties (read-only): users (NULL until a station is given), checked
 * (the station's users were counted), required, unprotected, user-name
 * (NULL: nobody signed in), title ("Sign In", or who is).
 * Signal: changed, whenever who may do what may have changed: ask
 * sc_user_session_get_refusal() again (a settings page gates itself on
 * SC_RIGHT_SETTINGS this way).
 * Window actions, once bound: win.sign-in opens the sign-in dialog;
 * win.sign-out signs out and opens it for the next person. Neither works
 * while a unit is being provisioned (the run records who started it). */
ScUserSession      *sc_user_session_new          (void);
/* Counts @station's users in a worker thread. */
void                sc_user_session_set_station  (ScUserSession   *self,
                                                  ScStation       *station,
                                                  gboolean         training_mode);
/* Wires the session into a window: its actions, the banner saying the
 * station has no users, the header button naming who is signed in, and
 * the gates of the Provision and Units pages. The session follows the
 * Provision page's station as it opens. */
void                sc_user_session_bind_window  (ScUserSession   *self,
                                                  GtkWindow       *window,
                                                  ScProvisionPage *provision_page,
                                                  ScUnitsPage     *units_page,
                                                  GtkRevealer     *banner,
                                                  GtkMenuButton   *user_button);
ScUsers            *sc_user_session_get_users    (ScUserSession   *self);
gboolean            sc_user_session_get_checked  (ScUserSession   *self);
gboolean            sc_user_session_get_required (ScUserSession   *self);
gboolean            sc_user_session_get_unprotected (ScUserSession *self);
const char         *sc_user_session_get_user_name (ScUserSession  *self);
const ScUserRecord *sc_user_session_get_user     (ScUserSession   *self);
/* Why @right is refused now (a sentence), or NULL when it is allowed:
 * always allowed without users and in training mode. */
char               *sc_user_session_get_refusal  (ScUserSession   *self,
                                                  ScRight          right);
/* @user (copied) is signed in; NULL signs whoever was out. */
void                sc_user_session_set_user     (ScUserSession      *self,
                                                  const ScUserRecord *user);
/* Opens the sign-in dialog over the bound window. */
void                sc_user_session_present_dialog (ScUserSession *self);

G_END_DECLS
