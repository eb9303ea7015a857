#!/usr/bin/env bash
# ZPL to a USB printer (libusb, printer class, bulk OUT) against a USB
# printer emulated with umockdev: a described device (a Zebra-like printer
# with one unidirectional printer-class interface, bulk OUT endpoint 1) and
# an ioctl script of the usbdevfs bulk URBs it accepts. umockdev accepts a
# submitted URB only if its bytes equal the script's, so a job goes through
# only if every byte that reaches the device is ours. The script is made
# from our own ZPL (the same label written to a file).
#
# usage: test-zpl-usb.sh CLI       (prints TAP)
set -u

cli=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_DATA_HOME=$work/xdg

source "$(dirname "${BASH_SOURCE[0]}")/../cli/tap.sh"

# Device, configuration, printer-class interface (7/1/1) and bulk OUT
# endpoint 0x01 (512 bytes) descriptors.
descriptors=12010002000000405F0A640100010102000109021900010100C03209040000010701010007050102000200
cat > "$work/printer.umockdev" <<EOF
P: /devices/pci0000:00/0000:00:14.0/usb1/1-4
N: bus/usb/001/005=$descriptors
E: DEVNAME=/dev/bus/usb/001/005
E: DEVTYPE=usb_device
E: DRIVER=usb
E: PRODUCT=a5f/164/100
E: TYPE=0/0/0
E: BUSNUM=001
E: DEVNUM=005
E: MAJOR=189
E: MINOR=4
E: SUBSYSTEM=usb
E: ID_VENDOR_ID=0a5f
E: ID_MODEL_ID=0164
E: ID_BUS=usb
E: ID_USB_INTERFACES=:070101:
A: authorized=1
A: bConfigurationValue=1
A: bDeviceClass=00
A: bDeviceProtocol=00
A: bDeviceSubClass=00
A: bMaxPacketSize0=64
A: bNumConfigurations=1
A: bNumInterfaces= 1
A: bcdDevice=0100
A: bmAttributes=c0
A: busnum=1
A: dev=189:4
A: devnum=5
A: devpath=4
H: descriptors=$descriptors
A: idProduct=0164
A: idVendor=0a5f
A: speed=480
EOF

# ioctl_script JOB > SCRIPT: the bulk OUT URBs a job makes (16 KiB each, as
# the backend writes), each completed with status 0.
ioctl_script() {
  local size i=0 n
  size=$(stat -c %s "$1")
  echo "USBDEVFS_GET_CAPABILITIES 0 00000000"
  while [ "$i" -lt "$size" ]; do
    n=$(( size - i < 16384 ? size - i : 16384 ))
    printf 'USBDEVFS_REAPURBNDELAY 0 3 1 0 0 %d %d 0 %s\n' "$n" "$n" \
      "$(tail -c +$((i + 1)) "$1" | head -c "$n" | od -An -v -tx1 | tr -d ' \n' | tr a-f A-F)"
    i=$((i + n))
  done
}
# umockdev preloads its library; a sanitizer build must let it go first.
usb_run() {
  ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
    umockdev-run --device "$work/printer.umockdev" --ioctl "/dev/bus/usb/001/005=$1" -- "${@:2}"
}

"$cli" dak init-training "$work/dak" > /dev/null
profile=$work/dak/product.profile

expect_status "our ZPL for the test label, as a file" 0 \
  "$cli" print-test-label --profile "$profile" --printer "file://$work/ours?format=zpl-bitmap"
job=$(ls "$work/ours/"*.zpl)
ioctl_script "$job" > "$work/job.ioctl"
check "the job takes more than one URB ($(stat -c %s "$job") bytes)" test "$(grep -c REAPURB "$work/job.ioctl")" -ge 2

expect_status "the emulated USB printer takes the test label" 0 \
  usb_run "$work/job.ioctl" "$cli" print-test-label --profile "$profile" --printer "zpl+usb://0a5f:0164?timeout=2"
check "and says which printer" grep -q "on ZPL printer on USB 0a5f:0164" "$work/stdout"

# One byte of the second URB different from what the device expects: the
# transfer fails, so the test above compared every byte.
awk 'NR == 3 { c = substr($0, length($0), 1); $0 = substr($0, 1, length($0) - 1) (c == "0" ? "1" : "0") } { print }' \
  "$work/job.ioctl" > "$work/other.ioctl"
expect_status "a device expecting one other byte refuses the job" 10 \
  usb_run "$work/other.ioctl" "$cli" print-test-label --profile "$profile" --printer "zpl+usb://0a5f:0164?timeout=2"
check "after the first URB: whether a label came out is not known" \
  grep -q "took 16384 of the label’s .* bytes.*Whether a label came out is not known" "$work/stderr"

# Unplugged during the second URB (its status ENODEV).
awk 'NR == 3 { sub(/REAPURBNDELAY 0 3 1 0 0 ([0-9]+) [0-9]+/, "REAPURBNDELAY 0 3 1 -19 0 16384 0") } { print }' \
  "$work/job.ioctl" > "$work/unplugged.ioctl"
expect_status "a printer unplugged mid-job fails the job" 10 \
  usb_run "$work/unplugged.ioctl" "$cli" print-test-label --profile "$profile" --printer "zpl+usb://0a5f:0164?timeout=2"
check "it says the printer was unplugged after part of the label" \
  grep -q "took 16384 of the label’s .* bytes, then: the printer was unplugged" "$work/stderr"

expect_status "another product id: no such printer, nothing sent" 10 \
  usb_run "$work/job.ioctl" "$cli" print-test-label --profile "$profile" --printer "zpl+usb://0a5f:0199"
check "it says none is connected" grep -q "No USB printer 0a5f:0199 is connected; nothing was sent" "$work/stderr"
expect_status "status=on needs a bidirectional printer: refused before anything is sent" 10 \
  usb_run "$work/job.ioctl" "$cli" print-test-label --profile "$profile" --printer "zpl+usb://0a5f:0164?status=on"
check "it says why" grep -q "cannot answer status queries" "$work/stderr"

tap_finish
