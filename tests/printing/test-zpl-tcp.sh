#!/usr/bin/env bash
# provision against a network ZPL printer: the fake printer on loopback
# (fake-zpl-printer) records what it receives and answers ~HS as told. The
# recorded jobs, drawn by an independent ZPL renderer (zpl-renderer-js) and
# read by dmtxread, must hold exactly the unit's payloads. A printer out of
# paper leaves the unit waiting to print (exit 10, not passed) until a
# retry prints it; a job cut off is printed again only as a reprint with a
# reason; no label is printed twice.
#
# usage: test-zpl-tcp.sh CLI FAKE_PRINTER ZPL_RENDER_SCRIPT      (prints TAP)
set -u

cli=$1
fake=$2
zpl_render=$3
work=$(mktemp -d)
fake_pid=
stop_fake() { [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null; fake_pid=; }
trap 'stop_fake; rm -rf "$work"' EXIT
export XDG_DATA_HOME=$work/xdg

source "$(dirname "${BASH_SOURCE[0]}")/../cli/tap.sh"

db=$work/station.db
store=sqlite://$db
sql() { sqlite3 "$db" "$@"; }
record=$work/record

# start_fake [options…]: a fresh fake printer; sets $printer (polls for its port).
start_fake() {
  stop_fake
  rm -f "$work/port"
  "$fake" --record="$record" --status-file="$work/status" "$@" > "$work/port" 2>/dev/null &
  fake_pid=$!
  for _ in $(seq 1 250); do [ -s "$work/port" ] && break; sleep 0.02; done
  printer="zpl+tcp://127.0.0.1:$(head -n 1 "$work/port")?timeout=2"
}
jobs_printed() { grep -c '^\^XA$' "$record" 2>/dev/null || echo 0; }

# split_jobs DIR: one file per recorded job (each starts with ^XA).
split_jobs() {
  rm -rf "$1"; mkdir -p "$1"
  awk -v dir="$1" '/^\^XA$/ { n++ } { print > (dir "/job" n ".zpl") }' "$record"
}

# render_and_read JOB.zpl: the renderer's drawing of the job, read by dmtxread.
render_and_read() {
  local job=$1 w h
  w=$(sed -n 's/^\^PW\([0-9]*\)$/\1/p' "$job")
  h=$(sed -n 's/^\^LL\([0-9]*\)$/\1/p' "$job")
  node "$zpl_render" "$job" "$job.png" "$(awk -v d="$w" 'BEGIN { print d / 12 + 1 }')" \
    "$(awk -v d="$h" 'BEGIN { print d / 12 + 1 }')" 12 || return 1
  dmtxread -n -N 1 "$job.png"
}

if ! node -e 'require("zpl-renderer-js")' 2>/dev/null; then
  not_ok "zpl-renderer-js is not installed (build-aux/dev test installs it and sets NODE_PATH)"
fi

"$cli" dak init-training "$work/dak" > /dev/null
profile=$work/dak/product.profile
run() { "$cli" "$1" --profile "$profile" --store "$store" "${@:2}"; }

# --- a unit printed on the network printer ---------------------------------
echo ready > "$work/status"
start_fake
serial=ZPLTCP0000000001
expect_status "provision prints both labels on the ZPL printer" 0 run provision --printer "$printer" --serial $serial
check "the printer received two jobs" test "$(jobs_printed)" = 2
check "the unit passed" test "$(sql "select state from units where serial='$serial'")" = complete
"$cli" show --store "$store" $serial > "$work/show"
puk=$(sed -n 's/^PUK: *//p' "$work/show")
pid=$(sql "select pid from units where serial='$serial'")
split_jobs "$work/jobs1"
product=$(render_and_read "$work/jobs1/job1.zpl")
package=$(render_and_read "$work/jobs1/job2.zpl")
check "the product job, rendered by zpl-renderer-js, reads (dmtxread) as this unit's product payload" \
  bash -c "[[ '$product' =~ ^ABV:IB01\;SERNUM:$serial\;PID:$pid\;PUK:${puk//+/\\+}\;PIN:[A-Za-z0-9]{9}\;$ ]]"
check "the package job reads as this unit's package payload" \
  test "$package" = "ABV:OB01;SERNUM:$serial;PID:$pid;PUK:$puk;UPC:$(sed -n 's/^package-code=//p' "$profile");"
# The PIN in the ZPL job is the unit's: a reprint to a file, made from the
# records, decodes to the very same payload.
expect_status "a reprint of the product label to a file" 0 \
  run reprint --printer "file://$work/files" --kind product --reason "cross-check of the ZPL job" $serial
check "the ZPL job and the station's records hold the same PIN" \
  test "$(dmtxread -n -N 1 "$work/files/$serial-product-reprint-"*.png)" = "$product"

# --- out of paper: the unit waits, and a retry prints it --------------------
echo paper-out > "$work/status"
serial=ZPLTCPPAPER00001
before=$(jobs_printed)
expect_status "provision with the printer out of paper fails with the printer's status" 10 \
  run provision --printer "$printer" --serial $serial
check "it says the unit waits to print, and why" \
  grep -q "waits to print (print pending).*not ready: out of paper; nothing was sent" "$work/stdout"
check "nothing reached the printer" test "$(jobs_printed)" = "$before"
check "the unit has not passed: its labels are made, not printed" \
  test "$(sql "select state from units where serial='$serial'")" = labelled
check "the print is recorded as not sent, with the reason" \
  test "$(sql "select p.status || ' ' || (p.error like '%out of paper%') from prints p join units u on u.id=p.unit_id where u.serial='$serial'")" = "not-sent 1"

# After a restart (a new process), the unit is still waiting.
expect_status "print-pending lists the waiting units" 0 run print-pending
check "with the unit and the printer's reason" \
  bash -c "grep -A2 '^$serial ' '$work/stdout' | grep -q 'out of paper'"
check "each label on a line of its own, named in words" \
  bash -c "grep -A1 '^$serial ' '$work/stdout' | grep -qx '  product label: not printed, nothing was sent'"
expect_status "a retry while the printer is still out of paper fails again" 10 \
  run print-pending --printer "$printer" --retry $serial
check "and still sends nothing" test "$(jobs_printed)" = "$before"

echo ready > "$work/status"
expect_status "paper loaded: the retry prints both labels" 0 run print-pending --printer "$printer" --retry $serial
check "the unit passed" test "$(sql "select state from units where serial='$serial'")" = complete
check "two labels reached the printer, each once" test "$(jobs_printed)" = $((before + 2))
check "the records: the product not sent (twice), then both labels printed once, no reprint" \
  test "$(sql "select group_concat(kind || reprint || status, ' ') from (select p.* from prints p join units u on u.id=p.unit_id where u.serial='$serial' order by p.id)")" = "00not-sent 00not-sent 00done 10done"
split_jobs "$work/jobs2"
retried=$(render_and_read "$work/jobs2/job$(( $(jobs_printed) - 1 )).zpl")
check "the retried product job reads (dmtxread) as this unit's product payload" \
  bash -c "[[ '$retried' =~ ^ABV:IB01\;SERNUM:$serial\;PID:$pid\; ]]"
check "and the unit is no longer listed" bash -c "! '$cli' print-pending --profile '$profile' --store '$store' | grep -q '^$serial '"
expect_status "a retry of a unit that passed is refused" 8 run print-pending --printer "$printer" --retry $serial
check "and sends nothing" test "$(jobs_printed)" = $((before + 2))

# --- head open and pause are not ready either ------------------------------
for case in "head-open ZPLTCPHEADOPEN01 print head open" "pause ZPLTCPPAUSE00001 paused"; do
  read -r condition serial reason <<< "$case"
  echo "$condition" > "$work/status"
  expect_status "$condition: provision waits to print" 10 run provision --printer "$printer" --serial "$serial"
  check "$condition: the reason is given" grep -q "not ready: $reason" "$work/stdout"
done
echo ready > "$work/status"
expect_status "--all prints every waiting unit" 0 run print-pending --printer "$printer" --all
check "both passed" \
  test "$(sql "select count(*) from units where serial in ('ZPLTCPHEADOPEN01', 'ZPLTCPPAUSE00001') and state='complete'")" = 2

# --- a job cut off: a person decides, a reprint with a reason ---------------
# The fake itself: a job and its closing ~HS in one write (as they arrive
# on a busy machine) are cut off at N bytes; the query is never answered.
start_fake --drop-after=10
exec 3<>"/dev/tcp/127.0.0.1/$(head -n 1 "$work/port")"
# (its first 10 bytes a line of their own, so the record stays one job a ^XA line)
printf 'cut here\r\n^XA^FO10,10^FDa cut-off job^FS^XZ~HS' >&3
answer=$(timeout 5 cat <&3 2>/dev/null | od -An -c)
exec 3<&- 3>&-
check "(the fake printer cuts a job off before answering the ~HS behind it)" test -z "$answer"
start_fake --drop-after=700
serial=ZPLTCPDROP000001
before=$(jobs_printed)
expect_status "the printer drops the connection mid-job" 10 run provision --printer "$printer" --serial $serial
check "it says the label may or may not have been printed" grep -q "may or may not have been printed" "$work/stdout"
check "the print stays pending (outcome unknown), with the reason" \
  test "$(sql "select p.status || ' ' || (p.error is not null) from prints p join units u on u.id=p.unit_id where u.serial='$serial'")" = "pending 1"
expect_status "print-pending lists it" 0 run print-pending
check "as a label that may or may not have printed" \
  bash -c "grep -A1 '^$serial ' '$work/stdout' | grep -q 'may or may not have printed'"
start_fake
expect_status "a retry without a reason is refused (a person decides)" 8 run print-pending --printer "$printer" --retry $serial
check "and sends nothing" test "$(jobs_printed)" = $((before + 1))
expect_status "a retry with a reason reprints it, on another printer" 0 \
  run print-pending --printer "$printer" --retry $serial --reason "label cut off, destroyed"
check "the records: the cut-off print, a reprint with the reason, the package label" \
  test "$(sql "select group_concat(kind || reprint || status || ifnull(reason, ''), ' ') from (select p.* from prints p join units u on u.id=p.unit_id where u.serial='$serial' order by p.id)")" = \
  "00pending 01donelabel cut off, destroyed 10done"
check "the unit passed" test "$(sql "select state from units where serial='$serial'")" = complete

# --- a reprint cut off: recorded as a first print that broke off -----------------
echo paper-out > "$work/status"
start_fake
serial=ZPLTCPREPRINT001
expect_status "a unit whose printer is out of paper waits to print" 10 \
  run provision --printer "$printer" --serial $serial
echo ready > "$work/status"
start_fake --drop-after=700
before=$(jobs_printed)
expect_status "a reprint of its product label, cut off mid-job, fails" 10 \
  run reprint --printer "$printer" --kind product --reason "checking the printer" $serial
check "it says the label may or may not have been printed" grep -q "may or may not have been printed" "$work/stderr"
check "the reprint is recorded pending (outcome unknown), with the printer's reason" \
  test "$(sql "select group_concat(kind || reprint || status || ' ' || ifnull(error like '%not known%', '-'), ', ') from (select p.* from prints p join units u on u.id=p.unit_id where u.serial='$serial' order by p.id)")" = \
  "00not-sent 0, 01pending 1"
start_fake
expect_status "so a retry without a reason is refused: the cut-off copy may exist" 8 \
  run print-pending --printer "$printer" --retry $serial
check "and sends nothing" test "$(jobs_printed)" = $((before + 1))
check "the unit has not passed" test "$(sql "select state from units where serial='$serial'")" = labelled
expect_status "a retry with a reason prints it again, as a reprint" 0 \
  run print-pending --printer "$printer" --retry $serial --reason "cut-off copy destroyed"
check "the records: not sent, the cut-off reprint, a reprint with the reason, the package label" \
  test "$(sql "select group_concat(kind || reprint || status, ' ') from (select p.* from prints p join units u on u.id=p.unit_id where u.serial='$serial' order by p.id)")" = \
  "00not-sent 01pending 01done 10done"

# --- the test label ----------------------------------------------------------
before=$(jobs_printed)
expect_status "print-test-label prints on the profile's printer" 0 \
  "$cli" print-test-label --profile "$profile" --printer "$printer"
check "one job reached the printer" test "$(jobs_printed)" = $((before + 1))
split_jobs "$work/jobs3"
last=$(ls "$work/jobs3" | grep -c '\.zpl$')
check "the test label, rendered by zpl-renderer-js, reads as the test text" \
  test "$(render_and_read "$work/jobs3/job$last.zpl")" = "SETUP CONSOLE TEST LABEL 300 DPI"

# --- calibration: offset and darkness from the profile ------------------------------
cp "$profile" "$work/dak/calibrated.profile"
printf '\n[printer]\nuri=%s\nx-offset=2mm\ny-offset=12dots\ndarkness=20\n' "$printer" >> "$work/dak/calibrated.profile"
expect_status "print-test-label on the calibrated profile's own printer" 0 \
  "$cli" print-test-label --profile "$work/dak/calibrated.profile"
split_jobs "$work/jobs4"
njobs=$(jobs_printed)
plain=$work/jobs4/job$((njobs - 1)).zpl
moved=$work/jobs4/job$njobs.zpl
check "the calibrated job sets the darkness (~SD20) before the format" \
  test "$(sed -n '$p' "$plain")" = "~SD20"
# The darkness command precedes ^XA, so it ends the job before in the split.
sed -i '$d' "$plain"
check "and moves the label home 24 dots right (2 mm at 300 dpi) and 12 down, widening the print" \
  bash -c "grep -qx '\^LH24,12' '$moved' && grep -qx '\^PW496' '$moved' && grep -qx '\^LL355' '$moved'"
check "the rest of the job is the same label" \
  cmp <(grep -v '^\^PW\|^\^LL\|^\^LH' "$plain") <(grep -v '^\^PW\|^\^LL\|^\^LH' "$moved")
# box JOB.zpl: where zpl-renderer-js draws the label: its ink's bounding box
# (white margin added, so a border at the edge counts as ink).
box() {
  local w h
  w=$(sed -n 's/^\^PW\([0-9]*\)$/\1/p' "$1"); h=$(sed -n 's/^\^LL\([0-9]*\)$/\1/p' "$1")
  node "$zpl_render" "$1" "$1.png" "$(awk -v d="$w" 'BEGIN { print d / 12 }')" "$(awk -v d="$h" 'BEGIN { print d / 12 }')" 12 &&
    convert "$1.png" -bordercolor white -border 1 -trim -format "%w %h %X %Y" info: | tr -d +
}
read -r pw ph px py <<< "$(box "$plain")"
read -r mw mh mx my <<< "$(box "$moved")"
check "rendered, the calibrated label is the same size ($pw x $ph = $mw x $mh) and 24, 12 dots further ($px,$py -> $mx,$my)" \
  test "$pw $ph $((px + 24)) $((py + 12))" = "$mw $mh $mx $my"
check "and still reads as the test text" test "$(dmtxread -n -N 1 "$moved.png")" = "SETUP CONSOLE TEST LABEL 300 DPI"

echo paper-out > "$work/status"
expect_status "print-test-label on a printer out of paper" 10 \
  "$cli" print-test-label --profile "$profile" --printer "$printer"

# --- usage ---------------------------------------------------------------------
expect_status "print-pending --retry and --all together is a usage error" 2 run print-pending --retry X --all
expect_status "print-pending --reason without --retry is a usage error" 2 run print-pending --reason "why"
expect_status "a malformed printer address is a usage error" 2 run print-pending --printer "zpl+tcp://:1" --retry X
expect_status "a retry of an unknown serial is bad input" 3 run print-pending --printer "$printer" --retry NOSUCHUNIT000001

tap_finish
