#!/usr/bin/env bash
# The real app under Xvfb, driven the way a line drives it: a fresh training
# station, a serial typed with xdotool and Return (a keyboard-wedge scanner
# does exactly this), PASS awaited, a screenshot taken, the label on screen
# decoded and checked against the printed one and the records; then a bad
# serial and its FAIL. Then the MES's way in: the app's actions on a private
# D-Bus session bus (app.provision, app.reprint, app.lock-dak, the state of
# app.last-result), called with gdbus and gapplication. Then training mode
# (--training): its own records, a fault injected through the Training
# menu's action, FAIL with the reason, and the same unit passing when scanned
# again. Run it through run-xvfb.sh. Prints TAP.
#
# usage: test-e2e.sh APP CLI OUTDIR     (screenshots are kept in OUTDIR)
set -u

app=$1
cli=$2
outdir=$3
work=$(mktemp -d)
app_pid=
bus_pid=
cleanup() {
  if [ -n "$app_pid" ]; then kill "$app_pid" 2>/dev/null; wait "$app_pid" 2>/dev/null; fi
  if [ -n "$bus_pid" ]; then kill "$bus_pid" 2>/dev/null; wait "$bus_pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT

export XDG_DATA_HOME=$work/xdg
# The core's waiting calls made from inside the app's main loop become
# criticals in its log, which the checks at the end look for.
export SC_CHECK_MAIN_LOOP=1
data=$XDG_DATA_HOME/setup-console
db=$data/station.db
training_db=$data/training.db
app_id=org.setupconsole.SetupConsole
app_path=/org/setupconsole/SetupConsole
serial=E2EGUIUNIT0001

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() {  # check DESCRIPTION COMMAND…: one TAP line for whether COMMAND succeeds
  local what=$1; shift
  if "$@"; then ok "$what"; else not_ok "$what"; fi
}
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
state_in() { [ "$(sqlite3 "$1" "SELECT state FROM units WHERE serial = '$2' ORDER BY id DESC LIMIT 1" 2>/dev/null)" = "$3" ]; }
unit_state_is() { state_in "$db" "$1" "$2"; }
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

# A session bus of this test's own, with nothing to activate: the app's
# actions are reached there, and never a console running on the desktop.
cat > "$work/bus.conf" <<EOF
<busconfig>
  <type>session</type>
  <listen>unix:path=$work/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
dbus-daemon --config-file="$work/bus.conf" --nofork --nopidfile --print-address=3 3>"$work/bus-address" \
  2>"$work/bus.log" &
bus_pid=$!
for _ in $(seq 1 200); do [ -s "$work/bus-address" ] && break; sleep 0.05; done
[ -s "$work/bus-address" ] || bail "the private D-Bus session bus did not start"
DBUS_SESSION_BUS_ADDRESS=$(head -n 1 "$work/bus-address")
export DBUS_SESSION_BUS_ADDRESS

# org.gtk.Actions on the app (PATH "") or its window (PATH /window/1).
actions() {  # actions PATH METHOD ARGS…
  local path=$1 method=$2; shift 2
  gdbus call --session --dest "$app_id" --object-path "$app_path$path" --method "org.gtk.Actions.$method" "$@"
}
last_result_is() { actions "" Describe last-result | grep -qF "[<'$1'>]"; }
app_owns_name() { gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
                    --method org.freedesktop.DBus.NameHasOwner "$app_id" | grep -q true; }
reprinted_for_mes() {
  [ "$(sqlite3 "$db" "SELECT count(*) FROM prints p JOIN units u ON u.id = p.unit_id
                      WHERE u.serial = '$1' AND p.reprint = 1 AND p.reason = 'MES request'" 2>/dev/null)" = "$2" ]
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
printed=$data/labels/$serial-product.png
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

# ---- the MES's way in: actions on D-Bus ----

lists_mes_actions() {
  actions "" List > "$work/actions.txt" 2>&1 &&
    grep -q "'provision'" "$work/actions.txt" && grep -q "'reprint'" "$work/actions.txt" &&
    grep -q "'lock-dak'" "$work/actions.txt" && grep -q "'last-result'" "$work/actions.txt"
}
check "the app's actions are on the session bus: provision, reprint, lock-dak, last-result" lists_mes_actions
check "app.last-result reads the last result: FAIL X-1" wait_for last_result_is "FAIL X-1"

actions "" Activate provision "[<'E2EDBUSUNIT001'>]" {} > /dev/null
check "app.provision over gdbus provisions the serial it is given" wait_for unit_state_is E2EDBUSUNIT001 complete
check "app.last-result then says PASS E2EDBUSUNIT001" wait_for last_result_is "PASS E2EDBUSUNIT001"

gapplication action "$app_id" provision "'E2EDBUSUNIT002'"
check "app.provision through gapplication action works as well" wait_for unit_state_is E2EDBUSUNIT002 complete

last_reprint_starts() { actions "" Describe last-reprint | grep -qF "[<'$1"; }

actions "" Activate reprint "[<('$serial', 'product')>]" {} > /dev/null
check "app.reprint is under way: app.last-reprint says SENT" wait_for last_reprint_starts "SENT $serial product"
check "app.reprint reprints the unit's product label, recorded with the reason MES request" \
  wait_for reprinted_for_mes "$serial" 1
label_files() { ls "$data/labels" | grep -c "^$serial-product"; }
two_label_files() { [ "$(label_files)" -ge 2 ]; }
# The record can be read a moment before the printer's file is in place:
# polled, like every other wait here.
check "the reprint went to the printer: a second product label file" wait_for two_label_files

# Each request the station cannot do is refused, says why, and prints nothing.
actions "" Activate reprint "[<('$serial', 'carton')>]" {} > /dev/null
check "app.reprint of a kind that is not a label's is refused" \
  wait_for last_reprint_starts "REFUSED $serial carton: Not reprinted: “carton” is not a label kind"
actions "" Activate reprint "[<('E2ENOSUCHUNIT1', 'product')>]" {} > /dev/null
check "app.reprint of a unit not in the records is refused" \
  wait_for last_reprint_starts "REFUSED E2ENOSUCHUNIT1 product: Not reprinted: unit E2ENOSUCHUNIT1 is not in the records"
actions "" Activate reprint "[<('', 'product')>]" {} > /dev/null
check "app.reprint without a serial is refused" \
  wait_for last_reprint_starts "REFUSED  product: Not reprinted: no serial was given"
check "none of them printed anything" reprinted_for_mes "$serial" 1

# A software DAK has no PIN to wipe: app.lock-dak leaves it signing.
actions "" Activate lock-dak "@av []" {} > /dev/null
actions "" Activate provision "[<'E2EDBUSUNIT003'>]" {} > /dev/null
check "after app.lock-dak a software DAK still signs" wait_for unit_state_is E2EDBUSUNIT003 complete
check "the app is still there and answers" app_owns_name

if kill -0 "$app_pid" 2>/dev/null && ! grep -qE 'CRITICAL|WARNING' "$work/app.log"; then
  ok "the app ran without criticals or warnings"
else
  not_ok "the app ran without criticals or warnings"
  sed 's/^/# /' "$work/app.log"
fi

# The app quits when asked on the bus, as a station's shutdown script would.
actions "" Activate quit "@av []" {} > /dev/null
for _ in $(seq 1 100); do kill -0 "$app_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$app_pid" 2>/dev/null; then not_ok "app.quit over D-Bus ends the app"; else ok "app.quit over D-Bus ends the app"; fi
wait "$app_pid" 2>/dev/null
app_pid=

# ---- training mode ----

units_before=$(sqlite3 "$db" "SELECT count(*) FROM units")
"$app" --training > "$work/app.log" 2>&1 &
app_pid=$!
wait_for window_titled "^Ready " || bail "the window never showed Ready in training mode"
check "--training opens its own records under the XDG data dir" test -f "$training_db"

# A second console in training mode while one runs: refused, with why.
"$app" --training > "$work/second.log" 2>&1
status=$?
check "a second --training while the console runs is refused (exit $status) with a sentence" \
  grep -q "already running" "$work/second.log"

wid=$(xdotool search --onlyvisible --name "Setup Console" | head -n 1)
xdotool windowmove "$wid" 0 0 windowsize "$wid" 100% 100%
wait_for window_fills_screen "$wid"

# The fault menu's action (Training → Fault for the Next Unit), then a scan.
fault_unit=E2EFAULTUNIT01
fault_is() { actions /window/1 Describe fault | grep -qF "[<'$1'>]"; }
actions /window/1 SetState fault "<'flash-fails'>" {} > /dev/null
check "the fault menu's state says flash-fails" wait_for fault_is flash-fails
scan "$fault_unit"
check "the unit with the injected fault shows FAIL" wait_for window_titled "^FAIL $fault_unit "
import -window root "$outdir/e2e-training-fail.png"
echo "# screenshot: $outdir/e2e-training-fail.png"
failure=$(sqlite3 "$training_db" "SELECT failure FROM units WHERE serial = '$fault_unit'" 2>/dev/null)
echo "# the reason shown: $failure"
case $failure in
  *"flash failed"*) ok "the reason is the unit's flash failing, in the training records" ;;
  *) not_ok "the reason is the unit's flash failing, in the training records" ;;
esac
check "the fault was for that unit only: the menu is back on no fault" fault_is ""

# Its labels were never made: nothing to reprint.
actions "" Activate reprint "[<('$fault_unit', 'product')>]" {} > /dev/null
check "app.reprint of a unit whose labels were never made is refused" \
  wait_for last_reprint_starts "REFUSED $fault_unit product: Not reprinted: unit $fault_unit has no product label"
actions "" Activate provision "[<'$fault_unit'>]" {} > /dev/null
check "app.provision switches back to the Provision view" wait_for window_titled "^PASS $fault_unit"

# That was the recovery: the same unit again, without the fault.
check "the same unit scanned again passes" wait_for window_titled "^PASS $fault_unit"
check "it is complete in the training records" wait_for state_in "$training_db" "$fault_unit" complete
import -window root "$outdir/e2e-training-recovered.png"
echo "# screenshot: $outdir/e2e-training-recovered.png"
check "training mode wrote nothing into the station's records" \
  test "$(sqlite3 "$db" "SELECT count(*) FROM units")" = "$units_before"

if kill -0 "$app_pid" 2>/dev/null && ! grep -qE 'CRITICAL|WARNING' "$work/app.log"; then
  ok "the app in training mode ran without criticals or warnings"
else
  not_ok "the app in training mode ran without criticals or warnings"
  sed 's/^/# /' "$work/app.log"
fi

echo "1..$n"
exit $((failed > 0))
