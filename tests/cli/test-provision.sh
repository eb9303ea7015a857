#!/usr/bin/env bash
# The unit run end to end through setup-console-cli: a full run against the
# simulator over a real pty (device and station key origin) with the records
# and the manifest checked against what the unit holds; a kill -9 at every
# step boundary followed by a re-scan; bad input; a tampered audit log; two
# processes on one SQLite file.
#
# usage: test-provision.sh CLI DEVSIM       (prints TAP)
set -u

cli=$1
devsim=$2
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
export XDG_DATA_HOME=$work/xdg

source "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
db=$work/station.db
store=sqlite://$db
labels=$work/labels
printer=file://$labels
sql() { sqlite3 "$db" "$@"; }

start_sim() {  # start_sim SERIAL [options…]: sets sim_pty and sim_pid (polls, never sleeps blind)
  local serial=$1; shift
  rm -f "$work/sim.out"
  "$devsim" --serial "$serial" --mac 02:00:00:00:00:09 --flash "$work/$serial.img" --pty "$@" \
    > "$work/sim.out" 2> /dev/null &
  sim_pid=$!
  pids+=("$sim_pid")
  for _ in $(seq 1 250); do [ -s "$work/sim.out" ] && break; sleep 0.02; done
  sim_pty=$(head -n 1 "$work/sim.out")
}
stop_sim() { kill "$sim_pid" 2>/dev/null; wait "$sim_pid" 2>/dev/null; }

"$cli" dak init-training "$work/dak" > /dev/null
profile=$work/dak/product.profile
sed 's/^origin=device/origin=station/' "$profile" > "$work/dak/station.profile"

# --- a full run over a real pty, both key origins ---------------------------
for origin in device station; do
  serial=PTY${origin^^}000001
  opts=()
  prof=$profile
  if [ "$origin" = station ]; then opts=(--no-keygen); prof=$work/dak/station.profile; fi
  start_sim "$serial" "${opts[@]}"; pty=$sim_pty
  expect_status "$origin key: provision over the pty passes" 0 \
    "$cli" provision --profile "$prof" --store "$store" --printer "$printer" \
    --device "serial://$pty?baud=115200" --serial "$serial"
  check "$origin key: every step is reported with its time" \
    bash -c "for s in scan connect key policy sign chain write read-back challenge label print record; do grep -q \"ok *\$s *[0-9.]* ms\" '$work/stdout' || exit 1; done"
  check "$origin key: the record is complete" \
    test "$(sql "select state from units where serial='$serial'")" = complete
  check "$origin key: both labels were printed once" \
    test "$(sql "select count(*) from prints p join units u on u.id=p.unit_id where u.serial='$serial' and p.reprint=0")" = 2
  check "$origin key: the product label decodes to a payload with this unit's serial" \
    bash -c "'$cli' verify-label '$labels/$serial-product.png' | grep -q 'SERNUM: *$serial'"
  stop_sim
  "$cli" device read-back --profile "$prof" --device "sim:?serial=$serial&flash=$work/$serial.img&mac=02:00:00:00:00:09" \
    > "$work/readback" 2>&1
  cert=$(sed -n 's/^Certificate: .*, serial \([0-9A-F]*\), .*/\1/p' "$work/readback")
  puk=$(sed -n 's/^PUK: *//p' "$work/readback")
  check "$origin key: the unit's chain verifies to the product's root" grep -q "^Verified:" "$work/readback"
  "$cli" export --store "$store" --format csv > "$work/manifest.csv"
  check "$origin key: the manifest has the certificate the unit holds" \
    grep -q "^$serial,Trn1,$puk,$cert," "$work/manifest.csv"
  check "$origin key: the key origin is recorded" \
    test "$(sql "select key_origin from units where serial='$serial'")" = "$([ $origin = device ] && echo 0 || echo 1)"
done
"$cli" export --store "$store" --format json > "$work/manifest.json" 2> "$work/manifest.err"
check "the JSON manifest is valid JSON with both units" \
  /usr/bin/python3 -c "import json,sys; d=json.load(open('$work/manifest.json')); sys.exit(len(d) != 2)"
check "each marked as signed by the training DAK" \
  /usr/bin/python3 -c "import json,sys; d=json.load(open('$work/manifest.json')); sys.exit(any(u['dak_type'] != 'Training' for u in d))"
check "and export says on stderr they are not valid for FFS" \
  grep -q "^2 units in this manifest were signed by a training DAK" "$work/manifest.err"
pin=$("$cli" verify-label --show-pin "$labels/PTYDEVICE000001-product.png" | sed -n 's/^PIN: *//p')
check "the printed PIN was read back (${#pin} characters)" test "${#pin}" = 9
check "the database holds no PIN in clear" bash -c "! grep -a -q '$pin' '$db'* '$XDG_DATA_HOME/setup-console/station.key'"

# --- crash at every step boundary, then a re-scan --------------------------
i=0
for step in scan connect key policy sign chain write read-back challenge label print record; do
  for when in before after; do
    i=$((i + 1))
    serial=$(printf 'CRASH%s%02d%s' "${when:0:1}" "$i" XXXXXXX | tr -c 'A-Za-z0-9\n' 'X')
    SC_TEST_CRASH_AT=$step:$when "$cli" provision --store "$store" --printer "$printer" --serial "$serial" \
      > "$work/crash.out" 2>&1
    rc=$?
    if [ "$step:$when" = record:after ]; then
      # The unit was complete before the crash: the re-scan says so.
      expect_status "crash at $step:$when, then the re-scan finds the unit complete" 3 \
        "$cli" provision --store "$store" --printer "$printer" --serial "$serial"
    else
      expect_status "crash at $step:$when, then the re-scan passes" 0 \
        "$cli" provision --store "$store" --printer "$printer" --serial "$serial"
    fi
    unit=$(sql "select id from units where serial='$serial' and state='complete'")
    check "crash at $step:$when: killed (status $rc), then exactly one complete record" \
      test "$rc" = 137 -a "$(sql "select count(*) from units where serial='$serial' and state='complete'")" = 1
    check "crash at $step:$when: no signature left unrecorded" \
      test "$(sql "select count(*) from signatures s join units u on u.id=s.unit_id where u.serial='$serial' and s.cert_serial is null")" = 0
    check "crash at $step:$when: the unit holds the recorded certificate" \
      bash -c "'$cli' device read-back --device 'sim:?serial=$serial&flash=$XDG_DATA_HOME/setup-console/sim/$serial.img' | grep -q \"serial \$(sqlite3 '$db' \"select cert_serial from units where id=$unit\"),\""
    check "crash at $step:$when: each label printed exactly once" \
      test "$(sql "select count(*) from prints where unit_id=$unit and reprint=0 and status='done'")" = 2
  done
done
# The moment between COMMIT on the unit and its record.
SC_TEST_CRASH_AT=write:committed "$cli" provision --store "$store" --printer "$printer" --serial CRASHCOMMITTED1 > /dev/null 2>&1
expect_status "crash between COMMIT and its record: the re-scan resumes" 0 \
  "$cli" provision --store "$store" --printer "$printer" --serial CRASHCOMMITTED1
check "it says it resumed and skipped the write" bash -c "grep -q 'PASS CRASHCOMMITTED1 (resumed)' '$work/stdout' && grep -q 'done *write' '$work/stdout'"
check "and issued one certificate only" \
  test "$(sql "select count(*) from signatures s join units u on u.id=s.unit_id where u.serial='CRASHCOMMITTED1'")" = 1
# Between the signature's journal entry and its record: counted as begun.
SC_TEST_CRASH_AT=sign:signing "$cli" provision --store "$store" --printer "$printer" --serial CRASHSIGNING0001 > /dev/null 2>&1
expect_status "crash in the middle of signing: the re-scan passes" 0 \
  "$cli" provision --store "$store" --printer "$printer" --serial CRASHSIGNING0001
check "the interrupted signature stays counted as begun but not finished" \
  test "$(sql "select count(*) from signatures s join units u on u.id=s.unit_id where u.serial='CRASHSIGNING0001' and s.cert_serial is null")" = 1
expect_status "reconcile shows it" 0 "$cli" reconcile --store "$store"
check "as one signature begun but not finished" grep -q "(1 begun but not finished, 0 failed" "$work/stdout"

# Killed while a label was being printed: it may or may not exist, so a
# person decides; the run never prints it again by itself.
SC_TEST_CRASH_AT=print:sending "$cli" provision --store "$store" --printer "$printer" --serial CRASHPRINTING001 > /dev/null 2>&1
expect_status "a re-scan after a crash while printing stops" 8 \
  "$cli" provision --store "$store" --printer "$printer" --serial CRASHPRINTING001
check "saying the label may or may not exist" grep -q "may or may not exist" "$work/stdout"
expect_status "the operator reprints it with a reason" 0 \
  "$cli" reprint --store "$store" --printer "$printer" --kind product --reason "interrupted print, checked" CRASHPRINTING001
expect_status "then the re-scan completes the unit" 0 \
  "$cli" provision --store "$store" --printer "$printer" --serial CRASHPRINTING001
check "with one interrupted first print, one reprint and one package label" \
  test "$(sql "select group_concat(kind || reprint || status, ' ') from (select p.* from prints p join units u on u.id=p.unit_id where u.serial='CRASHPRINTING001' order by p.id)")" = "00pending 01done 10done"

# A resume that fails (another unit on the fixture) keeps the unit's state:
# the right unit later continues with its one certificate.
SC_TEST_CRASH_AT=challenge:before "$cli" provision --store "$store" --printer "$printer" --serial RESUMEWRONG00001 > /dev/null 2>&1
expect_status "a resume with another unit on the fixture is refused" 8 \
  "$cli" provision --store "$store" --printer "$printer" --serial RESUMEWRONG00001 --device "sim:?serial=SOMEOTHERUNIT001"
check "and the unit is not marked failed" test "$(sql "select state from units where serial='RESUMEWRONG00001'")" = written
expect_status "with the right unit back, the re-scan continues" 0 \
  "$cli" provision --store "$store" --printer "$printer" --serial RESUMEWRONG00001
check "with its one certificate" \
  test "$(sql "select count(*) from signatures s join units u on u.id=s.unit_id where u.serial='RESUMEWRONG00001'")" = 1

# Labels printed for material the unit no longer holds: a person decides.
SC_TEST_CRASH_AT=print:after "$cli" provision --store "$store" --printer "$printer" --serial LOSTFLASH0000001 > /dev/null 2>&1
rm -f "$XDG_DATA_HOME/setup-console/sim/LOSTFLASH0000001.img"
expect_status "a unit that lost the material its labels were printed for is stopped" 8 \
  "$cli" provision --store "$store" --printer "$printer" --serial LOSTFLASH0000001
check "saying to destroy the labels and override" grep -q "destroy those labels" "$work/stdout"
expect_status "an override with a reason starts it over" 0 \
  "$cli" provision --store "$store" --printer "$printer" --serial LOSTFLASH0000001 --override "labels destroyed, flash replaced"
check "the stopped run is superseded" \
  test "$(sql "select count(*) from units where serial='LOSTFLASH0000001' and state='superseded'")" = 1
expect_status "the audit chain verifies after all the crashes" 0 "$cli" audit verify --store "$store"

# --- bad input ---------------------------------------------------------------
expect_status "a malformed serial is refused" 3 "$cli" provision --store "$store" --printer "$printer" --serial 'BAD SERIAL!'
check "with a sentence naming the pattern" grep -q "does not match this product’s serial pattern" "$work/stdout"
check "and the refusal is in the audit log" test "$(sql "select count(*) from audit where action='refused'")" -ge 1
expect_status "a serial too short for the pattern is refused" 3 "$cli" provision --store "$store" --printer "$printer" --serial SHORT
expect_status "a duplicate serial is refused" 3 "$cli" provision --store "$store" --printer "$printer" --serial PTYDEVICE000001 --profile "$profile"
check "saying an override with a reason is needed" grep -q "override" "$work/stdout"
expect_status "with an override and a reason it is re-provisioned" 0 \
  "$cli" provision --store "$store" --printer "$printer" --serial PTYDEVICE000001 --profile "$profile" --override "RMA 4711: board replaced"
check "the old record is superseded and the reason audited" \
  bash -c "test \"\$(sqlite3 '$db' \"select count(*) from units where serial='PTYDEVICE000001' and state='superseded'\")\" = 1 && sqlite3 '$db' \"select details from audit where action='override'\" | grep -q 'RMA 4711'"
for fault in csr-wrong-dsn csr-wrong-curve; do
  serial=FAULT${fault//-/}01
  serial=${serial:0:24}
  start_sim "$serial" "--$fault"; pty=$sim_pty
  expect_status "a unit whose CSR is $fault is refused by the policy" 4 \
    "$cli" provision --profile "$profile" --store "$store" --printer "$printer" --device "serial://$pty" --serial "$serial"
  check "$fault: the failure is recorded" \
    test "$(sql "select state from units where serial='$serial'")" = failed
  stop_sim
  check "$fault: nothing was written to the unit" \
    bash -c "'$cli' device read-back --device 'sim:?serial=$serial&flash=$work/$serial.img&mac=02:00:00:00:00:09' | grep -q 'holds no provisioning material'"
done
start_sim OTHERUNIT0000001; pty=$sim_pty
expect_status "a fixture holding another unit than the one scanned is refused" 8 \
  "$cli" provision --profile "$profile" --store "$store" --printer "$printer" --device "serial://$pty" --serial SCANNEDUNIT00001
check "saying which unit is on the fixture" grep -q "holds unit OTHERUNIT0000001" "$work/stdout"
"$cli" dak init-training "$work/other" > /dev/null
sed "s|^trust-anchor=.*|trust-anchor=$work/other/root.pem|; s|^uri=.*|uri=$work/dak/dak.key|; s|^chain=.*|chain=$work/dak/dak-chain.pem|" \
  "$profile" > "$work/wrong-root.profile"
expect_status "a chain that does not verify to the profile's root stops before any unit" 5 \
  "$cli" provision --profile "$work/wrong-root.profile" --store "$store" --printer "$printer" --serial WRONGROOT0000001
check "and no unit was started" test "$(sql "select count(*) from units where serial='WRONGROOT0000001'")" = 0

# --- reprint, show, reconcile ---------------------------------------------------
expect_status "reprint needs a reason" 2 "$cli" reprint --store "$store" --printer "$printer" --kind product PTYSTATION000001
expect_status "a reprint with a reason" 0 "$cli" reprint --profile "$work/dak/station.profile" --store "$store" --printer "$printer" --kind product --reason "label smudged" PTYSTATION000001
check "is recorded with its reason" \
  test "$(sql "select count(*) from prints where reprint=1 and reason='label smudged' and status='done'")" = 1
expect_status "show prints a unit's record" 0 "$cli" show --store "$store" PTYSTATION000001
check "with its steps and prints" bash -c "grep -q 'ok *challenge' '$work/stdout' && grep -q 'reprint: label smudged' '$work/stdout'"
check "and never the PIN" bash -c "grep -q 'PIN: *sealed' '$work/stdout'"
expect_status "reconcile" 0 "$cli" reconcile --store "$store"
check "counts the reprints and the interrupted print" grep -q "(2 reprints, 1 interrupted)" "$work/stdout"

# --- the audit log -----------------------------------------------------------------
for tamper in edit delete reorder truncate; do
  cp "$db" "$work/tamper.db"
  cp "$db-audit-head" "$work/tamper.db-audit-head"
  case $tamper in
    edit) sqlite3 "$work/tamper.db" "update audit set details='nothing happened' where id=5" ;;
    delete) sqlite3 "$work/tamper.db" "delete from audit where id=5" ;;
    reorder) sqlite3 "$work/tamper.db" "update audit set id=-1 where id=5; update audit set id=5 where id=6; update audit set id=6 where id=-1" ;;
    truncate) last=$(sqlite3 "$work/tamper.db" "select max(id) from audit")
              sqlite3 "$work/tamper.db" "delete from audit where id > $((last - 10))" ;;
  esac
  expect_status "audit verify finds the $tamper" 11 "$cli" audit verify --store "sqlite://$work/tamper.db"
  if [ $tamper = truncate ]; then
    check "and says entries are missing from its end" grep -q "missing from its end" "$work/stderr"
  else
    check "and names entry 5" grep -q "entry 5" "$work/stderr"
  fi
done

# --- two processes, one SQLite file -------------------------------------------------
"$cli" provision --store "$store" --printer "$printer" --serial PARALLELA0000001 > "$work/a.out" 2>&1 &
a=$!
"$cli" provision --store "$store" --printer "$printer" --serial PARALLELB0000001 > "$work/b.out" 2>&1 &
b=$!
wait $a; ra=$?; wait $b; rb=$?
check "two processes provisioning different units both pass" test "$ra$rb" = 00
"$cli" provision --store "$store" --printer "$printer" --serial SAMESERIAL000001 > "$work/a.out" 2>&1 &
a=$!
"$cli" provision --store "$store" --printer "$printer" --serial SAMESERIAL000001 > "$work/b.out" 2>&1 &
b=$!
wait $a; ra=$?; wait $b; rb=$?
check "the same serial from two processes: exactly one wins ($ra, $rb)" \
  bash -c "[ '$ra$rb' = 03 ] || [ '$ra$rb' = 30 ]"
check "the other gets a clear sentence" \
  bash -c "cat '$work/a.out' '$work/b.out' | grep -q -e 'being provisioned by process' -e 'was provisioned'"
check "one complete record for it" test "$(sql "select count(*) from units where serial='SAMESERIAL000001' and state='complete'")" = 1
expect_status "the audit chain still verifies" 0 "$cli" audit verify --store "$store"

tap_finish
