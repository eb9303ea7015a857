/* sc-units-page.h: the QA view: look a unit up, see its records, reprint and verify its labels
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "sc-unit-run.h"

G_BEGIN_DECLS

#define SC_TYPE_UNITS_PAGE (sc_units_page_get_type ())

G_DECLARE_FINAL_TYPE (ScUnitsPage, sc_units_page, SC, UNITS_PAGE, AdwBin)

/* Properties (read-only): ready (the station is open), busy (the records
 * are being read, a label reprinted (the print dialog open too) or
 * verified, a manifest saved), serial
 * (the unit shown, NULL while the list or an empty state is shown), from
 * and to (the list's first and last day, "YYYY-MM-DD" in local time, ""
 * for no bound; the last 7 days at first), result (the list's result:
 * any, passed, failed, in-progress or print-pending).
 *
 * Actions:
 *   units.search(s)          a serial: its unit's page; "": the list
 *   units.show-list          the list of the units the filter selects, newest first
 *   units.filter((sss))      (from, to, result): filters the list and shows it;
 *                            a bad day or result is refused with a toast
 *   units.reprint-product    asks for a reason, then reprints
 *   units.reprint-package
 *   units.reprint((ss))      (kind, reason): reprints the shown unit's label
 *   units.print-on-product   asks for a reason, then opens the print dialog
 *   units.print-on-package
 *   units.print-on((ss))     (kind, reason): reprints the shown unit's label
 *                            through the GTK print dialog, on any printer,
 *                            at true size (sc-label-print-operation.h)
 *   units.verify             asks for a label image, then verifies it
 *   units.verify-file(s)     a PNG's path: its code against the shown unit
 *   units.export(s)          "csv" or "json": asks where, then saves the
 *                            manifest of the passed units of the filter's days
 *   units.export-file((ss))  (format, path): saves it there */
GtkWidget  *sc_units_page_new                  (void);
/* Uses @station's profile, DAK, store, station secret (to rebuild a
 * product label's PIN) and printer (for reprints), shared with the page
 * that opened them. In the window that is the Provision page: a process
 * must hold one store per database, since opening a second one while the
 * first is in use breaks SQLite's locks (see sc_store_open()). */
void        sc_units_page_set_station          (ScUnitsPage *self,
                                                ScStation   *station);
/* Opens the station from the embedded defaults in a worker thread, as the
 * Provision page does; only for a process with no other store open (the
 * widget tests). */
void        sc_units_page_open_default_station (ScUnitsPage *self);
gboolean    sc_units_page_get_ready            (ScUnitsPage *self);
gboolean    sc_units_page_get_busy             (ScUnitsPage *self);
const char *sc_units_page_get_serial           (ScUnitsPage *self);
/* Who is signed in (sc-user-session.h): @operator_name is recorded on
 * reprints (NULL: the system account), and @reprint_refusal says why they
 * may not reprint (NULL: they may): the reprint actions are off and their
 * buttons say it. */
void        sc_units_page_set_user             (ScUnitsPage *self,
                                                const char  *operator_name,
                                                const char  *reprint_refusal);

G_END_DECLS
