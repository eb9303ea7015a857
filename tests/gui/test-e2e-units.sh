#!/usr/bin/env bash
# The Units view of the real app under Xvfb, driven as QA drives it: units
# provisioned first (through the CLI, on the same fresh training station),
# the Units view opened with a click, a serial typed with xdotool and Return
# (a keyboard-wedge scanner does exactly this), the unit's label on screen
# decoded and checked against the printed one, then a reprint asked for with
# the keyboard only (Alt+R, Return) and checked in the records and on the
# reprinted label. Run it through run-xvfb.sh. Prints TAP.
#
# usage: test-e2e-units.sh APP CLI OUTDIR     (screenshots are kept in OUTDIR)
set -u

app=$1
cli=$2
outdir=$3
work=$(mktemp -d)
app_pid=
cleanup() {
  if [ -n "$app_pid" ]; then kill "$app_pid" 2>/dev/null; wait "$app_pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT

export XDG_DATA_HOME=$work/xdg
# The core's waiting calls made from inside the app's main loop become
# criticals in its log, which the checks at the end look for.
export SC_CHECK_MAIN_LOOP=1
# A bus that is not there: the app runs on its own, never handing the scan
# to a Setup Console already running on the developer's desktop.
export DBUS_SESSION_BUS_ADDRESS=unix:path=$work/no-bus
db=$XDG_DATA_HOME/setup-console/station.db
labels=$XDG_DATA_HOME/setup-console/labels
serial=E2EUNITSPASS01
other=E2EUNITSPASS02
failed=E2EUNITSFAIL01

n=0
failures=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failures=$((failures + 1)); echo "not ok $n - $1"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }
bail() { echo "Bail out! $1"; sed 's/^/# /' "$work/app.log" 2>/dev/null; exit 1; }

# Polls (never sleeps blind) until "$@" succeeds; FALSE after $timeout s.
timeout=60
wait_for() {
  local end=$((SECONDS + timeout))
  while [ $SECONDS -lt $end ]; do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "$app_pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
sql() { sqlite3 "$db" "$1" 2>/dev/null; }
window_titled() { xdotool search --onlyvisible --name "$1" | head -n 1 | grep -q .; }
window_fills_screen() {
  local screen geometry
  screen=$(xdotool getdisplaygeometry | tr ' ' x)
  geometry=$(xdotool getwindowgeometry "$1" | sed -n 's/^ *Geometry: *//p')
  [ "$screen" = "$geometry" ]
}
payload_of() {  # payload_of IMAGE: the label's fields, as verify-label prints them
  "$cli" verify-label --show-pin "$1" 2>&1 | grep -v '^Decoded by'
}
# The screen shows the label of $1: a screenshot decodes to its printed payload.
screen_shows_label_of() {
  import -window root "$work/screen.png" || return 1
  [ "$(payload_of "$work/screen.png")" = "$(payload_of "$labels/$1-product.png")" ]
}
reprint_done() { [ "$(sql "SELECT count(*) FROM prints p JOIN units u ON u.id = p.unit_id
                           WHERE u.serial = '$serial' AND p.reprint = 1 AND p.status = 'done'")" = 1 ]; }
type_keys() {  # what a scanner does: the keys, then Return
  xdotool windowfocus --sync "$wid"
  xdotool type --delay 25 "$1"
  xdotool key Return
}

# --- the records QA looks at --------------------------------------------
"$cli" provision --serial "$serial" > "$work/provision.log" 2>&1 || bail "the CLI did not provision $serial"
"$cli" provision --serial "$other" >> "$work/provision.log" 2>&1 || bail "the CLI did not provision $other"
# Another unit in the fixture than the one scanned: the run fails at connect.
"$cli" provision --serial "$failed" --device "sim:?serial=E2EUNITSOTHER1" >> "$work/provision.log" 2>&1
check "the CLI recorded two passed units and a failed one" \
  test "$(sql "SELECT group_concat(state, ' ') FROM (SELECT state FROM units ORDER BY id)")" = "complete complete failed"

"$app" > "$work/app.log" 2>&1 &
app_pid=$!
wait_for window_titled "^Ready " || bail "the window never showed Ready"
# No window manager here: fill the screen as a maximized window would.
wid=$(xdotool search --onlyvisible --name "Setup Console" | head -n 1)
xdotool windowmove "$wid" 0 0 windowsize "$wid" 100% 100%
wait_for window_fills_screen "$wid" || bail "the window did not fill the screen"
width=$(xdotool getdisplaygeometry | cut -d' ' -f1)

# The view switcher sits centred in the header bar, Provision left of the
# middle, Units in it and Settings right of it; the view shown has the
# darker button.
# Clicked until the Units button is the darker one: a click before the
# window has laid itself out at its new size goes nowhere. (Typing a
# serial with the Provision view shown would provision it.)
luminance() { convert "$1" -crop "1x1+$2+$3" -format '%[fx:int(255*luminance)]' info:; }
units_view_shown() {
  import -window root "$work/switcher.png" || return 1
  [ "$(luminance "$work/switcher.png" $((width / 2)) 16)" -lt \
    "$(luminance "$work/switcher.png" $((width / 2 - 123)) 16)" ]
}
click_units() { xdotool mousemove --window "$wid" $((width / 2)) 28 click 1 && units_view_shown; }
check "a click on Units shows the Units view" wait_for click_units
# It lists the three; nothing on screen decodes as a label.
import -window root "$outdir/e2e-units-list.png"
check "the Units view opens on the list, with no label shown" \
  bash -c "! '$cli' verify-label '$outdir/e2e-units-list.png' > /dev/null 2>&1"
echo "# screenshot: $outdir/e2e-units-list.png"

# --- find the unit with the scanner ----------------------------------------
type_keys "$serial"
if wait_for screen_shows_label_of "$serial"; then
  ok "the scanned serial opens its unit: the label on screen holds the printed label's payload"
else
  not_ok "the scanned serial opens its unit: the label on screen holds the printed label's payload"
  payload_of "$work/screen.png" | sed 's/^/# screen: /'
fi
cp "$work/screen.png" "$outdir/e2e-units-unit.png"
echo "# screenshot: $outdir/e2e-units-unit.png"

# --- reprint with the keyboard only ----------------------------------------
# Alt+R is the product label's Reprint button; the dialog opens on the
# details field, where Return reprints with the first reason (Smudged).
xdotool key alt+r
check "Alt+R asks for the product label's reprint" wait_for window_titled "^Reprint the Product Label"
xdotool key Return
if wait_for reprint_done; then
  ok "Alt+R, Return: a reprint of the product label is recorded, done"
else
  not_ok "Alt+R, Return: a reprint of the product label is recorded, done"
  sql "SELECT kind, reprint, reason, status FROM prints" | sed 's/^/# print: /'
fi
check "the reprint's reason is the first of the list" \
  test "$(sql "SELECT reason FROM prints WHERE reprint = 1")" = Smudged
check "the reprint names who asked for it" \
  test "$(sql "SELECT operator FROM prints WHERE reprint = 1")" = "$(id -un)"
check "the audit log has the reprint with its reason" \
  test "$(sql "SELECT count(*) FROM audit WHERE action = 'reprint' AND serial = '$serial' AND details LIKE '%reason: Smudged'")" = 1

reprinted=$(ls "$labels/$serial"-product-reprint-*.png 2>/dev/null | head -n 1)
if [ -n "$reprinted" ] && [ "$(payload_of "$reprinted")" = "$(payload_of "$labels/$serial-product.png")" ]; then
  ok "the reprinted label holds the first print's payload"
else
  not_ok "the reprinted label holds the first print's payload"
fi
"$cli" show "$serial" > "$work/show.txt" 2>&1
check "the CLI shows the reprint and its reason" grep -q "reprint.*Smudged" "$work/show.txt"
import -window root "$outdir/e2e-units-reprinted.png"
echo "# screenshot: $outdir/e2e-units-reprinted.png"

if kill -0 "$app_pid" 2>/dev/null && ! grep -qE 'CRITICAL|WARNING' "$work/app.log"; then
  ok "the app ran without criticals or warnings"
else
  not_ok "the app ran without criticals or warnings"
  sed 's/^/# /' "$work/app.log"
fi

echo "1..$n"
exit $((failures > 0))
