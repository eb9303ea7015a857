#!/bin/bash
# The YubiKey DAK from the command line, against two virtual YubiKeys behind
# a real pcscd (yk-fixture.sh): dak status, issue checked by openssl verify,
# token selection by serial, the PIN file's rules, a wrong PIN, and a
# provision batch whose signature count matches its units.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cli=${SC_CLI:?meson sets SC_CLI}
work=$(mktemp -d /tmp/sc-ykcli-XXXXXX)
source "$here/../cli/tap.sh"
source "$here/yk-fixture.sh"
trap 'vyk_stop; rm -rf "$work"' EXIT
export XDG_DATA_HOME=$work/data XDG_CONFIG_HOME=$work/config

if ! yk_fixture "$work" > "$work/fixture.log" 2>&1; then
  echo "Bail out! the virtual YubiKeys did not start:"
  sed 's/^/# /' "$work/fixture.log"
  exit 1
fi
profile=$SC_YK_DIR/yubikey.profile
store=sqlite://$work/station.db
tries_left() { yubico-piv-tool -r "$SC_YK_READER" -a status 2>/dev/null | sed -n 's/^PIN tries left:[[:space:]]*//p'; }

# ---- dak status: the token as the station sees it, no PIN needed
expect_status "dak status finds the token by its serial" 0 "$cli" dak status --profile "$profile" --store "$store"
check "it names the reader, serial, firmware and slot" bash -c "
  grep -q '^Reader: *Yubico YubiKey vpcd' '$work/stdout' &&
  grep -q '^Token serial: *$SC_YK_SERIAL' '$work/stdout' &&
  grep -q '^Firmware: *5.4.3' '$work/stdout' && grep -q '^Slot: *9c' '$work/stdout'"
check "it shows the PIN locked with 3 tries left" grep -q "^PIN: *locked, 3 tries left" "$work/stdout"
check "and the product the DAK belongs to" grep -q "^Product: .*DeviceTypeId TRAININGDEVICE" "$work/stdout"
expect_status "dak status for a token nobody plugged in" 5 "$cli" dak status --profile "$profile" --dak yubikey://99000001
check "says it is not present" grep -q "^Present: *no" "$work/stdout"

# ---- issue: a CSR made by openssl, signed on the token, verified by openssl
openssl ecparam -name prime256v1 -genkey -noout -out "$work/device.key" 2>/dev/null
sed -e 's/@DSN@/YKCLI00000000001/' -e 's/@DTID@/TRAININGDEVICE/' -e 's/@STRING_MASK@/utf8only/' \
  "$here/../fixtures/device.conf" > "$work/device.conf"
openssl req -new -config "$work/device.conf" -key "$work/device.key" -out "$work/device.csr" 2>/dev/null
expect_status "issue signs with the YubiKey DAK" 0 \
  "$cli" issue --profile "$profile" --pin-file "$SC_YK_PIN_FILE" --csr "$work/device.csr"
cp "$work/stdout" "$work/chain.pem"
awk 'n>=1{print} /END CERTIFICATE/{n++}' "$work/chain.pem" > "$work/untrusted.pem"
check "openssl verify accepts the chain" \
  openssl verify -x509_strict -CAfile "$SC_YK_DIR/root.pem" -untrusted "$work/untrusted.pem" "$work/chain.pem"
check "the certificate is signed by the key on the token" bash -c "
  openssl x509 -in '$work/chain.pem' -noout -issuer | grep -q TRAININGDEVICE"

# ---- choosing the token
expect_status "--dak naming the other product's token is refused" 5 \
  "$cli" issue --profile "$profile" --dak "yubikey://$SC_YK_OTHER_SERIAL" --pin-file "$SC_YK_PIN_FILE" --csr "$work/device.csr"
check "because it holds another product's DAK" grep -q "OTHERPRODUCT01" "$work/stderr"
expect_status "a token that is not plugged in" 5 \
  "$cli" issue --profile "$profile" --dak yubikey://99000001 --pin-file "$SC_YK_PIN_FILE" --csr "$work/device.csr"
check "says what to plug in" grep -q "not plugged in" "$work/stderr"
expect_status "a malformed --dak" 5 "$cli" issue --profile "$profile" --dak "yubikey://12?slot=zz" --csr "$work/device.csr"

# ---- the PIN file's rules: each refusal reads nothing and costs no try
cp "$SC_YK_PIN_FILE" "$work/pin-open"; chmod 644 "$work/pin-open"
expect_status "a PIN file others can read is refused" 5 \
  "$cli" issue --profile "$profile" --pin-file "$work/pin-open" --csr "$work/device.csr"
check "with a sentence saying chmod 600" grep -q "chmod 600" "$work/stderr"
ln -s "$SC_YK_PIN_FILE" "$work/pin-link"
expect_status "a PIN file that is a symbolic link is refused" 5 \
  "$cli" issue --profile "$profile" --pin-file "$work/pin-link" --csr "$work/device.csr"
(umask 077 && head -c 100 /dev/zero | tr '\0' 1 > "$work/pin-long")
expect_status "a PIN file holding more than a PIN is refused" 5 \
  "$cli" issue --profile "$profile" --pin-file "$work/pin-long" --csr "$work/device.csr"
mkfifo -m 600 "$work/pin-fifo"
expect_status "a PIN file that is a FIFO is refused at once, not waited on" 5 \
  timeout 20 "$cli" issue --profile "$profile" --pin-file "$work/pin-fifo" --csr "$work/device.csr"
check "as not a regular file" grep -q "not a regular file" "$work/stderr"
expect_status "no PIN file and no terminal: refused, not guessed" 5 \
  setsid "$cli" issue --profile "$profile" --csr "$work/device.csr"
check "and it says how to give the PIN" grep -q "pin-file" "$work/stderr"
check "none of them cost a PIN try" test "$(tries_left)" = 3

(umask 077 && echo 135790 > "$work/pin-wrong")
expect_status "a wrong PIN fails" 5 "$cli" issue --profile "$profile" --pin-file "$work/pin-wrong" --csr "$work/device.csr"
check "saying how many tries remain" grep -q "Wrong DAK PIN: 2 tries are left" "$work/stderr"
check "and it cost exactly one try (yubico-piv-tool agrees)" test "$(tries_left)" = 2
check "nothing reached standard output" test ! -s "$work/stdout"
expect_status "a second wrong PIN fails" 5 "$cli" issue --profile "$profile" --pin-file "$work/pin-wrong" --csr "$work/device.csr"
check "saying one try is left" grep -q "Wrong DAK PIN: 1 try is left" "$work/stderr"
expect_status "with one try left even the right PIN is not sent" 5 \
  "$cli" issue --profile "$profile" --pin-file "$SC_YK_PIN_FILE" --csr "$work/device.csr"
check "and the console says why" grep -q "Only one DAK PIN try is left" "$work/stderr"
check "the last try is still there (yubico-piv-tool agrees)" test "$(tries_left)" = 1
check "the token's owner checks the PIN with Yubico's tool" \
  yubico-piv-tool -r "$SC_YK_READER" -a verify-pin -P "$(head -n 1 "$SC_YK_PIN_FILE")"

# ---- the PIN typed on a terminal: script(1) gives issue a terminal; the PIN
# is typed once its prompt is on the screen (polled), as a person would
rm -f "$work/tty-in"; mkfifo "$work/tty-in"
script -qfec "'$cli' issue --profile '$profile' --csr '$work/device.csr' > '$work/tty-chain.pem'" \
  /dev/null < "$work/tty-in" > "$work/tty-out" 2>&1 &
tty_pid=$!
exec 7> "$work/tty-in"
for _ in $(seq 1 400); do grep -qF "DAK PIN for YubiKey $SC_YK_SERIAL" "$work/tty-out" && break; sleep 0.05; done
check "issue asks for the PIN on the terminal, with the tries left" grep -qF "(3 tries left): " "$work/tty-out"
head -n 1 "$SC_YK_PIN_FILE" >&7
exec 7>&-
wait "$tty_pid"; tty_status=$?
check "the PIN typed there signs (exit $tty_status)" test "$tty_status" = 0 -a -s "$work/tty-chain.pem"
check "and it was not echoed" bash -c "! grep -qF '$(head -n 1 "$SC_YK_PIN_FILE")' '$work/tty-out'"

# ---- provision a batch on the YubiKey DAK
expect_status "provision 5 simulated units with the YubiKey DAK" 0 \
  "$cli" provision --profile "$profile" --pin-file "$SC_YK_PIN_FILE" --store "$store" --count 5
check "all 5 pass" grep -q "5 passed, 0 failed" "$work/stdout"
check "the right PIN reset the tries to 3" test "$(tries_left)" = 3
expect_status "reconcile" 0 "$cli" reconcile --store "$store"
check "5 DAK signatures for 5 complete units" bash -c "
  grep -q '^DAK signatures: *5 (0 begun but not finished, 0 failed' '$work/stdout' &&
  grep -q '^Units complete: *5 ' '$work/stdout'"
expect_status "dak status counts them" 0 "$cli" dak status --profile "$profile" --store "$store"
check "5 signatures made by this station" grep -q "^Signatures: *5 made by this station" "$work/stdout"

tap_finish
