#!/usr/bin/env bash
# setup-console-cli device info / read-back against the simulator program
# over TCP and a pty, and the in-process simulated unit; bad addresses and
# absent fixtures give their exit status and a sentence.
#
# usage: test-device-cli.sh CLI DEVSIM      (prints TAP)
set -u

cli=$1
devsim=$2
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
export XDG_DATA_HOME=$work/xdg

source "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

# start_sim MODE: starts the simulator, waits for its first line (polling, no
# sleep) and puts it in $sim_addr. Not called in $(…): its PID must reach
# this shell's pids, or cleanup cannot stop it.
sim_addr=
start_sim() {
  rm -f "$work/sim.out"
  "$devsim" --serial G3A0PA01802300PE --mac 02:00:00:00:00:01 --flash "$work/flash-$1.img" "--$1" \
    ${2:+$2} > "$work/sim.out" 2> "$work/sim.err" &
  pids+=($!)
  for _ in $(seq 1 200); do
    [ -s "$work/sim.out" ] && break
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.02
  done
  sim_addr=$(head -n 1 "$work/sim.out")
}

start_sim tcp 0
port=${sim_addr#tcp:}
expect_status "device info over TCP" 0 "$cli" device info --device "tcp://127.0.0.1:$port"
check "it shows the unit's serial" grep -q "^Serial: *G3A0PA01802300PE" "$work/stdout"
check "it shows the MAC" grep -q "02:00:00:00:00:01" "$work/stdout"
check "it says the key is kept encrypted" grep -q "^Key at rest: *encrypted" "$work/stdout"
expect_status "device read-back of a new unit" 0 "$cli" device read-back --device "tcp://127.0.0.1:$port"
check "it says the unit holds nothing" grep -q "holds no provisioning material" "$work/stdout"

start_sim pty
pty=$sim_addr
expect_status "device info over a pty" 0 "$cli" device info --device "serial://$pty?baud=115200"
check "it names the serial port" grep -q "serial port $pty at 115200 baud" "$work/stdout"

expect_status "device info on the in-process simulator" 0 "$cli" device info --device "sim:?serial=G3A0PA01802300PX"
check "it shows the simulated serial" grep -q "^Serial: *G3A0PA01802300PX" "$work/stdout"
expect_status "the embedded default device is the simulator" 0 "$cli" device info
check "and the command says it uses the training profile" grep -q "embedded training profile" "$work/stderr"

expect_status "a malformed address is a usage error" 2 "$cli" device info --device "ttyUSB0"
expect_status "an absent serial port is a device failure" 8 "$cli" device info --device "serial:///dev/sc-none"
check "the message says what to check" grep -q "check the fixture is plugged in" "$work/stderr"
expect_status "a closed TCP port is a device failure" 8 "$cli" device info --device "tcp://127.0.0.1:1"
expect_status "no subcommand is a usage error" 2 "$cli" device

tap_finish
