#!/usr/bin/env bash
# The real app under Xvfb, driven the way a line drives it: a fresh training
# station, a serial typed with xdotool and Return (a keyboard-wedge scanner
# does exactly this), PASS awaited, a screenshot taken, the label on screen
# decoded and checked against the printed one and the records; then a bad
# serial and its FAIL. Run it through run-xvfb.sh. Prints TAP.
#
# usage: test-e2e.sh APP CLI OUTDIR     (screenshots are kept in OUTDIR)
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
# A bus that is not there: the app runs on its own, never handing the scan
# to a Setup Console already running on the developer's desktop.
export DBUS_SESSION_BUS_ADDRESS=unix:path=$work/no-bus
db=$XDG_DATA_HOME/setup-console/station.db
serial=E2EGUIUNIT0001

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
bail() { echo "Bail out! $1"; sed 's/^/# /' "$work/app.log"; exit 1; }

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
window_titled() { xdotool search --onlyvisible --name "$1" | head -n 1 | grep -q .; }
unit_state_is() { [ "$(sqlite3 "$db" "SELECT state FROM units WHERE serial = '$1'" 2>/dev/null)" = "$2" ]; }
screenshot_decodes() {  # screenshot_decodes FILE: takes it, and its label must decode
  import -window root "$1" && "$cli" verify-label --show-pin "$1" > "$work/screen-label.txt"
}
window_fills_screen() {
  local screen geometry
  screen=$(xdotool getdisplaygeometry | tr ' ' x)
  geometry=$(xdotool getwindowgeometry "$1" | sed -n 's/^ *Geometry: *//p')
  [ "$screen" = "$geometry" ]
}
scan() {  # what a scanner does: the serial's keys, then Return
  local wid
  wid=$(xdotool search --onlyvisible --name "Setup Console" | head -n 1)
  xdotool windowfocus --sync "$wid"
  xdotool type --delay 25 "$1"
  xdotool key Return
}

"$app" > "$work/app.log" 2>&1 &
app_pid=$!

# The title says Ready once the station is open.
wait_for window_titled "^Ready " || bail "the window never showed Ready"
ok "the app opens the embedded training station and shows Ready"
# No window manager here: fill the screen as a maximized window would.
wid=$(xdotool search --onlyvisible --name "Setup Console" | head -n 1)
xdotool windowmove "$wid" 0 0 windowsize "$wid" 100% 100%
wait_for window_fills_screen "$wid"
import -window root "$outdir/e2e-ready.png"
echo "# screenshot: $outdir/e2e-ready.png"

# Clicks on the step list and the label area leave the scan field focused.
xdotool mousemove --window "$wid" 250 500 click 1 mousemove --window "$wid" 860 400 click 1
scan "$serial"
if wait_for unit_state_is "$serial" complete; then
  ok "the typed serial was provisioned: the store says complete"
else
  not_ok "the typed serial was provisioned: the store says complete"
  sqlite3 "$db" "SELECT serial, state, failure FROM units" 2>&1 | sed 's/^/# /'
fi

if wait_for window_titled "^PASS $serial "; then
  ok "the window shows PASS $serial"
else
  not_ok "the window shows PASS $serial"
  xdotool search --onlyvisible --name "." getwindowname %@ 2>&1 | sed 's/^/# title: /'
fi

# The label on screen: decoded off the screenshot by zxing-cpp and libdmtx,
# it must hold exactly what the printer was given.
shot=$outdir/e2e-pass.png
if wait_for screenshot_decodes "$shot"; then
  ok "the label preview on screen decodes"
else
  not_ok "the label preview on screen decodes"
fi
echo "# screenshot: $shot"
printed=$XDG_DATA_HOME/setup-console/labels/$serial-product.png
"$cli" verify-label --show-pin "$printed" > "$work/printed-label.txt" 2>&1
if diff <(grep -v '^Decoded by' "$work/printed-label.txt") <(grep -v '^Decoded by' "$work/screen-label.txt") > "$work/diff"; then
  ok "the label on screen holds the printed label's payload"
else
  not_ok "the label on screen holds the printed label's payload"
  sed 's/^/# /' "$work/diff"
fi

"$cli" show "$serial" > "$work/show.txt" 2>&1
puk=$(sed -n 's/^PUK: *//p' "$work/show.txt")
if grep -q '^State: *complete$' "$work/show.txt" && [ -n "$puk" ] && grep -qF "PUK:        $puk" "$work/screen-label.txt"; then
  ok "the CLI shows the unit complete, with the PUK the screen's label carries"
else
  not_ok "the CLI shows the unit complete, with the PUK the screen's label carries"
  sed 's/^/# /' "$work/show.txt" "$work/screen-label.txt"
fi

# A serial the product refuses: FAIL, with the reason on screen.
scan "X-1"
if wait_for window_titled "^FAIL X-1 "; then
  ok "a bad serial shows FAIL"
else
  not_ok "a bad serial shows FAIL"
fi
import -window root "$outdir/e2e-fail.png"
echo "# screenshot: $outdir/e2e-fail.png"

if kill -0 "$app_pid" 2>/dev/null && ! grep -qE 'CRITICAL|WARNING' "$work/app.log"; then
  ok "the app ran without criticals or warnings"
else
  not_ok "the app ran without criticals or warnings"
  sed 's/^/# /' "$work/app.log"
fi

echo "1..$n"
exit $((failed > 0))
