#!/usr/bin/env bash
# Printing through a real CUPS: a private cupsd (Debian's cups) in the
# foreground with its own configuration, socket and spool, no system
# printers, and two queues:
#   zebra   a raw queue whose device is the fake ZPL printer on loopback
#           (CUPS's socket backend, as for a network label printer); the
#           fake writes what it receives to a file. (A raw job to a file:
#           device writes nothing in CUPS 2.4: it has no filter to run.)
#   office  a PDF printer (a PPD whose last filter is cups-filters'
#           pdftopdf, A4 paper) whose device is a file (FileDevice Yes).
# The ZPL that reaches the printer must be byte for byte ours; the PDF,
# rasterised by pdftoppm, must be the label at true size and decode
# (dmtxread) to the payload; a stopped or refusing queue, or one whose
# printer-state-reasons say the printer cannot print, gives a clear error
# and nothing is printed; the unit waits to print until the queue is
# started again. A print cancelled by its caller says so: nothing printed
# when CUPS had not begun the job, outcome unknown when it had.
#   stuck   a raw queue whose device (a second fake) takes the connection
#           and reads nothing, so a job stays processing
#
# usage: test-cups.sh CLI FAKE_PRINTER CUPS_HELPER   (prints TAP; needs root for cupsd)
set -u

cli=$1
fake=$2
helper=$3

if [ "$(id -u)" != 0 ]; then
  echo "1..0 # SKIP cupsd drops privileges to lp for its filters, which needs root"
  exit 0
fi

work=$(mktemp -d)
cupsd_pid=
fake_pid=
stuck_pid=
cleanup() {
  [ -n "$cupsd_pid" ] && kill "$cupsd_pid" 2>/dev/null && wait "$cupsd_pid" 2>/dev/null
  [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null
  [ -n "$stuck_pid" ] && kill "$stuck_pid" 2>/dev/null && wait "$stuck_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
export XDG_DATA_HOME=$work/xdg

source "$(dirname "${BASH_SOURCE[0]}")/../cli/tap.sh"

# cupsd's filters run as lp: they must reach the spool and write temporary
# files; cupsd itself (root) opens the output file.
chmod 0755 "$work"
mkdir -p "$work/etc/ppd" "$work/spool" "$work/cache" "$work/state" "$work/log" "$work/printed" "$work/tmp"
chmod 1777 "$work/tmp"
sock=$work/cups.sock
cat > "$work/etc/cupsd.conf" <<EOF
LogLevel debug
Listen $sock
# A product label carries the PIN: its document is not kept after printing.
PreserveJobFiles No
Browsing Off
DefaultAuthType None
WebInterface No
<Location />
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
EOF
cat > "$work/etc/cups-files.conf" <<EOF
ServerRoot $work/etc
RequestRoot $work/spool
StateDir $work/state
CacheDir $work/cache
TempDir $work/tmp
AccessLog $work/log/access_log
ErrorLog $work/log/error_log
PageLog $work/log/page_log
FileDevice Yes
User lp
Group lp
SystemGroup root
ServerBin /usr/lib/cups
DataDir /usr/share/cups
EOF
# A PDF printer: pdftopdf (cups-filters) then the device, on A4 paper.
cat > "$work/pdf.ppd" <<'EOF'
*PPD-Adobe: "4.3"
*FormatVersion: "4.3"
*FileVersion: "1.0"
*LanguageVersion: English
*LanguageEncoding: ISOLatin1
*PCFileName: "SCPDF.PPD"
*Manufacturer: "Setup Console tests"
*Product: "(PDF file)"
*ModelName: "PDF to a file"
*ShortNickName: "PDF to a file"
*NickName: "PDF to a file"
*PSVersion: "(3010.000) 0"
*LanguageLevel: "3"
*ColorDevice: False
*DefaultColorSpace: Gray
*FileSystem: False
*Throughput: "1"
*LandscapeOrientation: Plus90
*TTRasterizer: Type42
*cupsVersion: 2.4
*cupsFilter2: "application/vnd.cups-pdf application/pdf 0 -"
*OpenUI *PageSize/Media Size: PickOne
*OrderDependency: 10 AnySetup *PageSize
*DefaultPageSize: A4
*PageSize A4/A4: "<</PageSize[595 842]>>setpagedevice"
*CloseUI: *PageSize
*OpenUI *PageRegion/Media Size: PickOne
*OrderDependency: 10 AnySetup *PageRegion
*DefaultPageRegion: A4
*PageRegion A4/A4: "<</PageSize[595 842]>>setpagedevice"
*CloseUI: *PageRegion
*DefaultImageableArea: A4
*ImageableArea A4/A4: "0 0 595 842"
*DefaultPaperDimension: A4
*PaperDimension A4/A4: "595 842"
EOF

check "cupsd accepts the private configuration" \
  cupsd -t -c "$work/etc/cupsd.conf" -s "$work/etc/cups-files.conf"
cupsd -f -c "$work/etc/cupsd.conf" -s "$work/etc/cups-files.conf" > "$work/log/cupsd.out" 2>&1 &
cupsd_pid=$!
export CUPS_SERVER=$sock
for _ in $(seq 1 250); do lpstat -h "$sock" -r 2>/dev/null | grep -q "is running" && break; sleep 0.02; done
check "the private cupsd answers on its own socket" bash -c "lpstat -h '$sock' -r | grep -q 'is running'"
check "it has no printers but ours" bash -c "! lpstat -h '$sock' -v 2>/dev/null | grep -q ."

# The fake network label printer behind the raw queue.
"$fake" --record="$work/printed/zebra.zpl" --status-file="$work/status" > "$work/port" 2>/dev/null &
fake_pid=$!
for _ in $(seq 1 250); do [ -s "$work/port" ] && break; sleep 0.02; done
port=$(head -n 1 "$work/port")
check "a raw queue for the ZPL printer" \
  bash -c "lpadmin -p zebra -E -v 'socket://127.0.0.1:$port' -m raw 2>&1 | grep -v deprecated; lpstat -p zebra | grep -q enabled"
check "a PDF queue writing to a file" \
  bash -c "lpadmin -p office -E -v 'file://$work/printed/office.pdf' -P '$work/pdf.ppd' 2>&1 | grep -v deprecated; lpstat -p office | grep -q enabled"

"$cli" dak init-training "$work/dak" > /dev/null
profile=$work/dak/product.profile
db=$work/station.db
store=sqlite://$db
sql() { sqlite3 "$db" "$@"; }
run() { "$cli" "$1" --profile "$profile" --store "$store" "${@:2}"; }
package_code=$(sed -n 's/^package-code=//p' "$profile")

# --- raw ZPL ---------------------------------------------------------------------
serial=CUPSRAW000000001
expect_status "provision prints both labels through the raw queue" 0 run provision --printer cups://zebra --serial $serial
check "CUPS says both jobs completed" test "$(lpstat -W completed -o zebra | wc -l)" = 2
expect_status "the same labels, from the records, as ZPL files" 0 \
  run reprint --printer "file://$work/ours?format=zpl-bitmap" --kind product --reason "bytes to compare" $serial
expect_status "(and the package label)" 0 \
  run reprint --printer "file://$work/ours?format=zpl-bitmap" --kind package --reason "bytes to compare" $serial
check "the printer received exactly our ZPL: product label, then package label" \
  bash -c "cat '$work/ours/$serial-product-reprint-'*.zpl '$work/ours/$serial-package-reprint-'*.zpl | cmp - '$work/printed/zebra.zpl'"
check "the records say both labels were printed on the CUPS queue" \
  test "$(sql "select group_concat(status || ' ' || printer, '; ') from (select p.* from prints p join units u on u.id=p.unit_id where u.serial='$serial' and p.reprint=0 order by p.id)")" = \
  "done CUPS queue zebra (zpl-bitmap); done CUPS queue zebra (zpl-bitmap)"

# --- a stopped queue ----------------------------------------------------------------
cupsdisable zebra
before=$(stat -c %s "$work/printed/zebra.zpl")
expect_status "a stopped queue: the test label is refused with the printer's exit status" 10 \
  "$cli" print-test-label --profile "$profile" --printer cups://zebra
check "the error says the queue is stopped and how to start it" \
  grep -q "The CUPS queue “zebra” is stopped.*nothing was sent.*cupsenable zebra" "$work/stderr"
serial=CUPSSTOPPED00001
expect_status "a unit printed on a stopped queue waits to print" 10 run provision --printer cups://zebra --serial $serial
check "it says so" grep -q "waits to print (print pending).*is stopped" "$work/stdout"
check "no job was queued" test "$(lpstat -o zebra | wc -l)" = 0
check "nothing reached the printer" test "$(stat -c %s "$work/printed/zebra.zpl")" = "$before"
check "the unit has not passed" test "$(sql "select state from units where serial='$serial'")" = labelled
cupsenable zebra
expect_status "the queue started again, the retry prints it" 0 run print-pending --printer cups://zebra --retry $serial
check "the unit passed, each label printed once" \
  test "$(sql "select u.state || ' ' || group_concat(p.kind || p.status, ' ') from prints p join units u on u.id=p.unit_id where u.serial='$serial'")" = \
  "complete 0not-sent 0done 1done"

# --- a queue that refuses jobs, and one that does not exist --------------------------
cupsreject office
expect_status "a queue that refuses jobs is not ready" 10 \
  "$cli" print-test-label --profile "$profile" --printer "cups://office?format=pdf"
check "the error says so and how to fix it" grep -q "does not accept jobs.*cupsaccept office" "$work/stderr"
cupsaccept office
expect_status "a queue that does not exist is not ready" 10 \
  "$cli" print-test-label --profile "$profile" --printer cups://nosuchqueue
check "the error names the queue and the server" grep -q "has no queue “nosuchqueue”" "$work/stderr"

# --- printer-state-reasons: a printer CUPS knows cannot print --------------------------
# Set as a backend reports them; each one alone keeps the label from being sent.
before=$(stat -c %s "$work/printed/zebra.zpl")
for reason in offline-report connecting-to-device media-empty-error media-needed-warning door-open-report \
              paper-jam-error; do
  check "the zebra queue reports $reason" "$helper" reasons zebra "$reason"
  expect_status "$reason: the test label is refused as not ready" 10 \
    "$cli" print-test-label --profile "$profile" --printer cups://zebra
  check "$reason: the error names it and says nothing was sent" \
    grep -q "The CUPS queue “zebra” says its printer cannot print ($reason).*nothing was sent" "$work/stderr"
  check "$reason: no job was queued" test "$(lpstat -o zebra | wc -l)" = 0
done
check "nothing reached the printer" test "$(stat -c %s "$work/printed/zebra.zpl")" = "$before"
"$helper" reasons zebra offline-report
serial=CUPSOFFLINE00001
expect_status "a unit printed while CUPS says the printer is offline waits to print" 10 \
  run provision --printer cups://zebra --serial $serial
check "it says so" grep -q "waits to print (print pending).*cannot print (offline-report)" "$work/stdout"
check "the print is recorded as not sent: no reprint needed" \
  test "$(sql "select group_concat(p.status, ' ') from prints p join units u on u.id=p.unit_id where u.serial='$serial'")" = not-sent
check "a harmless reason (media-low-warning) instead" "$helper" reasons zebra media-low-warning
expect_status "does not stop the retry, which prints the unit's labels" 0 \
  run print-pending --printer cups://zebra --retry $serial
check "the unit passed without a reprint" \
  test "$(sql "select u.state || ' ' || group_concat(p.kind || p.reprint || p.status, ' ') from prints p join units u on u.id=p.unit_id where u.serial='$serial'")" = \
  "complete 00not-sent 00done 10done"
check "the reasons are cleared" "$helper" reasons zebra none

# --- a print cancelled by its caller ----------------------------------------------------
# The stuck queue's printer takes one connection and hangs: the first job
# stays processing; later ones connect into its listen queue and stall.
"$fake" --hold --rcvbuf=4096 > "$work/stuck-port" 2>/dev/null &
stuck_pid=$!
for _ in $(seq 1 250); do [ -s "$work/stuck-port" ] && break; sleep 0.02; done
check "a raw queue whose printer hangs" \
  bash -c "lpadmin -p stuck -E -v 'socket://127.0.0.1:$(head -n 1 "$work/stuck-port")' -m raw 2>&1 | grep -v deprecated; lpstat -p stuck | grep -q enabled"
check "a print cancelled while CUPS prints it ends" "$helper" cancel "$profile" stuck processing
cp "$work/out" "$work/cancelled-processing"
check "its outcome is not known, and the error says it was cancelled, not timed out" \
  grep -q "^sc-printer-error-quark 2 unknown: Printing was cancelled while CUPS job [0-9]* on the queue “stuck” was being printed" \
  "$work/cancelled-processing"
check "the job was cancelled in CUPS" test "$(lpstat -o stuck | wc -l)" = 0
# A big job ahead of ours, stalled at the printer, keeps ours waiting in the queue.
head -c $((16 * 1024 * 1024)) /dev/zero > "$work/ahead.raw"
lp -d stuck -t ahead "$work/ahead.raw" > /dev/null
for _ in $(seq 1 500); do
  lpstat -l -p stuck | grep -q "Alerts:.*connecting-to-device" || { lpstat -o stuck | grep -q . && break; }
  sleep 0.02
done
check "a print cancelled while it waits in the queue ends" "$helper" cancel "$profile" stuck pending
cp "$work/out" "$work/cancelled-pending"
check "nothing was printed, and the error says it was cancelled" \
  grep -q "^g-io-error-quark 19 sent-nothing: Printing was cancelled: CUPS job [0-9]* on the queue “stuck” was cancelled before it was printed" \
  "$work/cancelled-pending"
cancel -a stuck

# --- PDF at true size ------------------------------------------------------------------
expect_status "the test label as a PDF" 0 "$cli" print-test-label --profile "$profile" --printer "cups://office?format=pdf"
size=$(sed -n 's/^Label: *\([0-9]*\) x \([0-9]*\) dots.*/\1 \2/p' "$work/stdout")
check "the PDF queue wrote a PDF" bash -c "pdfinfo '$work/printed/office.pdf' | grep -q '^Pages: *1'"
pdftoppm -r 300 -png -singlefile "$work/printed/office.pdf" "$work/office-test"
check "rasterised at 300 dpi, the test label reads (dmtxread) as the test text" \
  test "$(dmtxread -n -N 1 "$work/office-test.png")" = "SETUP CONSOLE TEST LABEL 300 DPI"
trimmed=$(convert "$work/office-test.png" -trim -format "%w %h" info:)
# pdftopdf turns a landscape label to suit portrait paper; the size stays.
check "it is printed at true size: its border is $size dots at 300 dpi, either way round (got $trimmed)" \
  awk -v a="$size" -v b="$trimmed" 'BEGIN { split(a, x, " "); split(b, y, " ");
    exit !(((x[1] - y[1]) ^ 2 <= 1 && (x[2] - y[2]) ^ 2 <= 1) || ((x[1] - y[2]) ^ 2 <= 1 && (x[2] - y[1]) ^ 2 <= 1)) }'

serial=CUPSPDF000000001
expect_status "provision prints on the PDF queue" 0 run provision --printer "cups://office?format=pdf" --serial $serial
puk=$(sql "select puk from units where serial='$serial'")
pid=$(sql "select pid from units where serial='$serial'")
pdftoppm -r 300 -png -singlefile "$work/printed/office.pdf" "$work/office-package"
check "the last job, the package label, rasterised, reads as the unit's package payload" \
  test "$(dmtxread -n -N 1 "$work/office-package.png")" = "ABV:OB01;SERNUM:$serial;PID:$pid;PUK:$puk;UPC:$package_code;"
expect_status "the product label again, as a reprint, on the PDF queue" 0 \
  run reprint --printer "cups://office?format=pdf" --kind product --reason "PDF check" $serial
pdftoppm -r 300 -png -singlefile "$work/printed/office.pdf" "$work/office-product"
expect_status "and as a PNG file, from the same records" 0 \
  run reprint --printer "file://$work/ours" --kind product --reason "PNG to compare" $serial
product=$(dmtxread -n -N 1 "$work/ours/$serial-product-reprint-"*.png)
check "the PDF's product label reads as the unit's product payload (PIN included)" \
  test "$(dmtxread -n -N 1 "$work/office-product.png")" = "$product"
check "which is this unit's" bash -c "[[ '$product' == 'ABV:IB01;SERNUM:$serial;PID:$pid;PUK:$puk;PIN:'* ]]"

check "no printed document is left in the spool (PreserveJobFiles No): the PINs are gone" \
  bash -c "! ls '$work/spool' | grep -q '^d'"
check "cupsd logged no error" bash -c "! grep '^E ' '$work/log/error_log'"
tap_finish
