#!/usr/bin/env bash
# The virtual YubiKey behind a real pcscd, checked with Yubico's own
# yubico-piv-tool (which nobody here wrote) and with raw APDUs: two cards in
# the vpcd reader's two slots; status, certificate, PIN retries and
# blocking, PIN change and unblock, signatures under slot 9c's PIN-always
# policy (verified with openssl), chaining, metadata, removal and
# re-insertion, a pcscd restart; and every bad option of the emulator.
#
# usage: test-virtual-yubikey.sh      (prints TAP; meson sets VIRTUAL_YUBIKEY
#                                      and VYK_PCSC)
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
source "$here/../cli/tap.sh"
source "$here/pcscd-env.sh"
cleanup() { vyk_stop; rm -rf "$work"; }
trap cleanup EXIT

bail() { echo "Bail out! $*"; exit 1; }
command -v yubico-piv-tool > /dev/null || bail "yubico-piv-tool is not installed (Debian package yubico-piv-tool)"
[ -x "${VIRTUAL_YUBIKEY:-}" ] && [ -x "${VYK_PCSC:-}" ] || bail "VIRTUAL_YUBIKEY and VYK_PCSC must name the built programs"

# --- keys, certificates, PIN files ------------------------------------------
for c in a b; do
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/key-$c.pem" 2>/dev/null
  openssl req -x509 -new -key "$work/key-$c.pem" -subj "/CN=Virtual DAK $c" -days 30 \
    -out "$work/cert-$c.pem" 2>/dev/null
  openssl pkey -in "$work/key-$c.pem" -pubout -out "$work/pub-$c.pem"
done
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$work/key-p384.pem" 2>/dev/null
openssl req -x509 -new -key "$work/key-p384.pem" -subj "/CN=P-384" -days 30 -out "$work/cert-p384.pem" 2>/dev/null
echo "not a key" > "$work/garbage.pem"
printf '654321\n' > "$work/pin-a"
printf '12345\n' > "$work/pin-short"
printf '123456789\n' > "$work/pin-long"
pin_a=654321
pin_b=123456   # card b runs without --pin-file: the default PIN
serial_a=11223344
serial_b=55667788

hex_of() { od -An -v -tx1 "$1" | tr -d ' \n' | tr a-f A-F; }
bin_of() { printf '%b' "$(echo "$1" | sed 's/../\\x&/g')"; }
pin_hex() { local h; h=$(printf '%s' "$1" | od -An -tx1 | tr -d ' \n' | tr a-f A-F); while [ ${#h} -lt 16 ]; do h=${h}FF; done; echo "$h"; }
sw_of() { echo "${1: -4}"; }
# piv READER ARGS…: yubico-piv-tool on one reader; output in $work/stdout, $work/stderr
piv() { local r=$1; shift; yubico-piv-tool -r "$r" "$@" > "$work/stdout" 2> "$work/stderr"; }
# apdus READER: send the hex APDUs on stdin in one session, responses in $work/resp (one per line)
apdus() { "$VYK_PCSC" apdu "$1" > "$work/resp" 2> "$work/resp.err"; }
resp() { sed -n "${1}p" "$work/resp"; }
expect_resp() {  # expect_resp WHAT LINE SW: response LINE ends in the status word SW
  local got; got=$(resp "$2")
  if [ "$(sw_of "$got")" = "$3" ]; then ok "$1 ($3)"; else not_ok "$1: got '$got', wanted status $3"; sed 's/^/# /' "$work/resp.err"; fi
}
der_a=$(openssl x509 -in "$work/cert-a.pem" -outform DER | od -An -v -tx1 | tr -d ' \n' | tr a-f A-F)
point_a=$(openssl pkey -pubin -in "$work/pub-a.pem" -outform DER | tail -c 65 | od -An -v -tx1 | tr -d ' \n' | tr a-f A-F)

# --- bad options: each refused with exit 2 and a sentence --------------------
good=(--port 1 --serial 1 --version 5.4.3 --key "$work/key-a.pem" --cert "$work/cert-a.pem")
bad_option() {  # bad_option WHAT PATTERN ARGS…
  local what=$1 pattern=$2; shift 2
  expect_status "bad option: $what" 2 timeout 10 "$VIRTUAL_YUBIKEY" "$@"
  check "bad option: $what: the message says '$pattern'" grep -q -- "$pattern" "$work/stderr"
}
bad_option "no --port" "--port is required" --serial 1 --version 5.4.3 --key "$work/key-a.pem" --cert "$work/cert-a.pem"
bad_option "--port 70000" "--port is required" "${good[@]}" --port 70000
bad_option "--serial not a number" "--serial is required" "${good[@]}" --serial 12ab
bad_option "--serial beyond 32 bits" "--serial is required" "${good[@]}" --serial 4294967296
bad_option "--version with two parts" "--version is required" "${good[@]}" --version 5.4
bad_option "--version part above 255" "--version is required" "${good[@]}" --version 5.4.256
bad_option "no --key" "--key is required" --port 1 --serial 1 --version 5.4.3 --cert "$work/cert-a.pem"
bad_option "no --cert" "--cert is required" --port 1 --serial 1 --version 5.4.3 --key "$work/key-a.pem"
bad_option "--key file missing" "cannot open the key file" "${good[@]}" --key "$work/nothing.pem"
bad_option "--key not PEM" "holds no PEM private key" "${good[@]}" --key "$work/garbage.pem"
bad_option "--key P-384" "not an ECC P-256 key" "${good[@]}" --key "$work/key-p384.pem" --cert "$work/cert-p384.pem"
bad_option "--cert not PEM" "holds no PEM certificate" "${good[@]}" --cert "$work/garbage.pem"
bad_option "--cert of another key" "is not for the key given with --key" "${good[@]}" --cert "$work/cert-b.pem"
bad_option "--slot 9b (the management key)" "--slot must be a PIV key slot" "${good[@]}" --slot 9b
bad_option "--slot not hex" "--slot must be a PIV key slot" "${good[@]}" --slot zz
bad_option "--retries 0" "--retries must be 1 to 15" "${good[@]}" --retries 0
bad_option "--retries 16" "--retries must be 1 to 15" "${good[@]}" --retries 16
bad_option "--pin-file missing" "cannot read the PIN file" "${good[@]}" --pin-file "$work/nothing"
bad_option "PIN of 5 characters" "has 5 characters" "${good[@]}" --pin-file "$work/pin-short"
bad_option "PIN of 9 characters" "has 9 characters" "${good[@]}" --pin-file "$work/pin-long"
bad_option "a PIN on the command line" "unexpected arguments" "${good[@]}" 123456
bad_option "--apdu-log in a folder that does not exist" "cannot open the APDU log" "${good[@]}" --apdu-log "$work/nothing/apdu.log"
expect_status "--help" 0 "$VIRTUAL_YUBIKEY" --help
check "--help says the PIN comes from --pin-file and defaults to 123456" \
  bash -c "grep -q -- '--pin-file' '$work/stdout' && grep -q 'the PIN is the YubiKey default' '$work/stdout' && grep -q 123456 '$work/stdout'"

# --- pcscd with two reader slots ---------------------------------------------
mkdir -p "$work/pcscd"
vyk_start_pcscd "$work/pcscd" 2> "$work/start.err" || { sed 's/^/# /' "$work/start.err"; bail "pcscd did not start"; }
ok "pcscd started with the vpcd reader on ports $VYK_PORT and $((VYK_PORT + 1))"
check "pcscd's socket is the private one in the work folder" test -S "$work/pcscd/run/pcscd.comm" -a "$PCSCLITE_CSOCK_NAME" = "$work/pcscd/run/pcscd.comm"
"$VYK_PCSC" list > "$work/list"
check "both reader slots are listed, empty" \
  bash -c "grep -qx '$VYK_READER0	empty' '$work/list' && grep -qx '$VYK_READER1	empty' '$work/list'"

port_a=$VYK_PORT
port_b=$((VYK_PORT + 1))
r_a=$VYK_READER0
r_b=$VYK_READER1
vyk_start_card "$port_a" "$serial_a" "$work/key-a.pem" "$work/cert-a.pem" "$work/pin-a" --apdu-log "$work/apdu-a.log"
vyk_start_card "$port_b" "$serial_b" "$work/key-b.pem" "$work/cert-b.pem"
check "card a is in its reader" vyk_wait_card "$r_a"
check "card b is in its reader" vyk_wait_card "$r_b"
check "the card logs say nothing of a PIN" bash -c "! grep -q -e '$pin_a' -e '$pin_b' '$work/pcscd/card-$port_a.log' '$work/pcscd/card-$port_b.log'"

# --- yubico-piv-tool: status, readers, certificates ---------------------------
piv "$VYK_READER_NAME" -a list-readers
check "yubico-piv-tool lists both readers" \
  bash -c "grep -qx '$r_a' '$work/stdout' && grep -qx '$r_b' '$work/stdout'"
piv "$r_a" -a status
check "status of card a: version" grep -qx "Version:	5.4.3" "$work/stdout"
check "status of card a: serial" grep -qx "Serial Number:	$serial_a" "$work/stdout"
check "status of card a: a CHUID" grep -q "^CHUID:	3019" "$work/stdout"
check "status of card a: slot 9c holds an ECCP256 key" grep -qx "	Algorithm:	ECCP256" "$work/stdout"
check "status of card a: slot 9c's certificate is a's" grep -qx "	Subject DN:	CN=Virtual DAK a" "$work/stdout"
check "status of card a: 3 PIN tries left" grep -qx "PIN tries left:	3" "$work/stdout"
piv "$r_b" -a status
check "status of card b: its own serial and certificate" \
  bash -c "grep -qx 'Serial Number:	$serial_b' '$work/stdout' && grep -qx '	Subject DN:	CN=Virtual DAK b' '$work/stdout'"

expect_status "read-certificate -s 9c on card a" 0 yubico-piv-tool -r "$r_a" -a read-certificate -s 9c -o "$work/read-a.pem"
check "the certificate read from card a is the one it was given" \
  cmp <(openssl x509 -in "$work/read-a.pem" -outform DER) <(openssl x509 -in "$work/cert-a.pem" -outform DER)
expect_status "read-certificate -s 9c on card b" 0 yubico-piv-tool -r "$r_b" -a read-certificate -s 9c -o "$work/read-b.pem"
check "the certificate read from card b is b's" \
  cmp <(openssl x509 -in "$work/read-b.pem" -outform DER) <(openssl x509 -in "$work/cert-b.pem" -outform DER)
expect_status "read-certificate -s 9a (an empty slot) fails" 1 yubico-piv-tool -r "$r_a" -a read-certificate -s 9a

# --- PIN and signatures through yubico-piv-tool ------------------------------
expect_status "verify-pin with the right PIN" 0 yubico-piv-tool -r "$r_a" --stdin-input -a verify-pin <<< "$pin_a"
expect_status "verify-pin then test-signature -s 9c" 0 \
  yubico-piv-tool -r "$r_a" --stdin-input -a verify-pin -a test-signature -s 9c -i "$work/cert-a.pem" <<< "$pin_a"
check "the signature verified against the certificate" grep -q "Successful ECDSA verification" "$work/stderr"
expect_status "test-signature -s 9c without the PIN fails (PIN always)" 1 \
  yubico-piv-tool -r "$r_a" -a test-signature -s 9c -i "$work/cert-a.pem"
expect_status "verify-pin, status, then test-signature fails (not immediately after VERIFY)" 1 \
  yubico-piv-tool -r "$r_a" --stdin-input -a verify-pin -a status -a test-signature -s 9c -i "$work/cert-a.pem" <<< "$pin_a"
expect_status "card a's PIN does not sign on card b" 1 \
  yubico-piv-tool -r "$r_b" --stdin-input -a verify-pin -a test-signature -s 9c -i "$work/cert-b.pem" <<< "$pin_a"
expect_status "card b signs after its default PIN" 0 \
  yubico-piv-tool -r "$r_b" --stdin-input -a verify-pin -a test-signature -s 9c -i "$work/cert-b.pem" <<< "$pin_b"

expect_status "verify-pin with a wrong PIN fails" 1 yubico-piv-tool -r "$r_a" --stdin-input -a verify-pin <<< 000000
check "a wrong PIN leaves 2 tries" grep -q "2 tries left" "$work/stderr"
piv "$r_a" -a status
check "status agrees: 2 PIN tries left" grep -qx "PIN tries left:	2" "$work/stdout"

# the retry counter outlives removal and re-insertion
check "removing card a (SIGUSR1): its reader is empty" vyk_remove "$port_a"
"$VYK_PCSC" list > "$work/list"
check "card b is still in while a is out" grep -qx "$r_b	card" "$work/list"
expect_status "status on the removed card fails" 1 yubico-piv-tool -r "$r_a" -a status
check "inserting card a again (SIGUSR2)" vyk_insert "$port_a"
piv "$r_a" -a status
check "after re-insertion: still 2 PIN tries left" grep -qx "PIN tries left:	2" "$work/stdout"
expect_status "the right PIN works after re-insertion" 0 yubico-piv-tool -r "$r_a" --stdin-input -a verify-pin <<< "$pin_a"
piv "$r_a" -a status
check "the right PIN restores 3 tries" grep -qx "PIN tries left:	3" "$work/stdout"

# block card b, then unblock it with the PUK
for left in 2 1; do
  expect_status "card b: wrong PIN, $left left" 1 yubico-piv-tool -r "$r_b" --stdin-input -a verify-pin <<< 000000
done
expect_status "card b: the third wrong PIN blocks it" 1 yubico-piv-tool -r "$r_b" --stdin-input -a verify-pin <<< 000000
check "yubico-piv-tool says it is blocked" grep -q "Pin code blocked" "$work/stderr"
expect_status "card b: the right PIN is refused once blocked" 1 yubico-piv-tool -r "$r_b" --stdin-input -a verify-pin <<< "$pin_b"
check "and it is still blocked" grep -q "blocked" "$work/stderr"
piv "$r_b" -a status
check "status: 0 PIN tries left" grep -qx "PIN tries left:	0" "$work/stdout"
expect_status "unblock-pin with the default PUK" 0 \
  yubico-piv-tool -r "$r_b" --stdin-input -a unblock-pin <<< "$(printf '12345678\n%s\n' "$pin_b")"
expect_status "card b: the PIN works again" 0 yubico-piv-tool -r "$r_b" --stdin-input -a verify-pin <<< "$pin_b"
expect_status "change-pin on card b" 0 yubico-piv-tool -r "$r_b" --stdin-input -a change-pin <<< "$(printf '%s\n87654321\n' "$pin_b")"
expect_status "card b: the new PIN works" 0 yubico-piv-tool -r "$r_b" --stdin-input -a verify-pin <<< 87654321
expect_status "card b: the old PIN does not" 1 yubico-piv-tool -r "$r_b" --stdin-input -a verify-pin <<< "$pin_b"
printf '87654321\n%s\n' "$pin_b" | yubico-piv-tool -r "$r_b" --stdin-input -a change-pin > /dev/null 2>&1

# --- raw APDUs ------------------------------------------------------------------
select=00A4040005A000000308
pa=$(pin_hex "$pin_a")
digest=$(openssl rand -hex 32 | tr a-f A-F)
logged_before=$(wc -l < "$work/apdu-a.log")
apdus "$r_a" <<EOF
$select
0020008000
0020008008$pa
0020008000
00200080060102030405FF
0020FF80
0020008000
00EE000000
80FD000000
00FD000000
00F8000000
00CB3FFF055C035FC1FF
00CB3FFF035C017E
EOF
expect_resp "SELECT of the PIV application" 1 9000
expect_resp "empty VERIFY: 3 tries left" 2 63C3
expect_resp "VERIFY with the right PIN" 3 9000
expect_resp "empty VERIFY once verified" 4 9000
expect_resp "VERIFY with 6 bytes of data is refused" 5 6A80
expect_resp "VERIFY P1=FF forgets the PIN" 6 9000
expect_resp "empty VERIFY after that: 3 tries left again" 7 63C3
expect_resp "an unknown instruction" 8 6D00
expect_resp "an unknown class" 9 6E00
check "GET VERSION answers 5.4.3" test "$(resp 10)" = 0504039000
check "GET SERIAL answers the serial" test "$(resp 11)" = "$(printf '%08X' "$serial_a")9000"
expect_resp "GET DATA of an unknown object" 12 6A82
check "GET DATA of the discovery object" test "$(resp 13)" = 7E124F0BA0000003080000100001005F2F0240009000
tail -n +$((logged_before + 1)) "$work/apdu-a.log" > "$work/apdu-a.new"
cat > "$work/apdu-a.want" <<EOF
00 A4 04 00 select-piv 9000
00 20 00 80 63C3
00 20 00 80 9000
00 20 00 80 9000
00 20 00 80 6A80
00 20 FF 80 9000
00 20 00 80 63C3
00 EE 00 00 6D00
80 FD 00 00 6E00
00 FD 00 00 9000
00 F8 00 00 9000
00 CB 3F FF 6A82
00 CB 3F FF 9000
EOF
check "--apdu-log: one line per APDU, with its header, a SELECT's application and the status word" \
  diff "$work/apdu-a.want" "$work/apdu-a.new"
check "--apdu-log holds no PIN, in hex or as text" bash -c "! grep -q -i -e '$pa' -e '${pa:0:12}' -e '$pin_a' '$work/apdu-a.log'"

# the certificate object comes in 61xx chunks fetched with GET RESPONSE
{ echo "$select"; echo 00CB3FFF055C035FC10A; for _ in 1 2 3 4 5 6; do echo 00C0000000; done; } | apdus "$r_a"
first=$(resp 2)
check "GET DATA of slot 9c's certificate: 256 bytes, then 61xx" test "${#first}" = 516 -a "${first:512:2}" = 61
object=""
line=2
while :; do
  got=$(resp "$line")
  object=$object${got%????}
  case $(sw_of "$got") in 61??) line=$((line + 1)) ;; *) break ;; esac
done
check "GET RESPONSE ends with 9000" test "$(sw_of "$(resp "$line")")" = 9000
check "the chained reply is 53 { 70 cert, 71 00, FE 00 } with a's certificate" \
  bash -c "[[ '$object' == 5382????7082????${der_a}710100FE00 ]]"
expect_resp "GET RESPONSE with nothing left" $((line + 1)) 6985

# signatures: PIN always, chaining, and checked with openssl
bin_of "$digest" > "$work/digest.bin"
ga_data=7C2482008120$digest          # 7C { 82 00, 81 20 digest }: sign
ga=0087119C26$ga_data                # P1 11: ECC P-256, P2 9C
apdus "$r_a" <<EOF
$select
$ga
0020008008$pa
00FD000000
$ga
0020008008$pa
$ga
$ga
0020008008$pa
1087119C10${ga_data:0:32}
0087119C16${ga_data:32}
0087119A26$ga_data
0020008008$pa
0087079C26$ga_data
EOF
expect_resp "GENERAL AUTHENTICATE on 9c without VERIFY" 2 6982
expect_resp "VERIFY" 3 9000
expect_resp "GENERAL AUTHENTICATE after VERIFY and another command" 5 6982
expect_resp "VERIFY" 6 9000
expect_resp "GENERAL AUTHENTICATE right after VERIFY" 7 9000
expect_resp "a second signature without a new VERIFY" 8 6982
expect_resp "a chained GENERAL AUTHENTICATE (CLA 10): first part" 10 9000
expect_resp "a chained GENERAL AUTHENTICATE: the last part signs" 11 9000
expect_resp "GENERAL AUTHENTICATE on an empty slot (9a)" 12 6A88
expect_resp "GENERAL AUTHENTICATE with RSA-2048 (P1 07) on a P-256 slot" 14 6A80
for k in 7 11; do
  sig=$(resp $k)
  sig=${sig%9000}
  check "signature $k: the answer is 7C { 82 DER signature }" bash -c "[[ '$sig' == 7C??82??30* ]]"
  bin_of "${sig:8}" > "$work/sig.der"
  check "signature $k: openssl verifies it over the digest with a's public key" \
    openssl pkeyutl -verify -pubin -inkey "$work/pub-a.pem" -in "$work/digest.bin" -sigfile "$work/sig.der"
done

# GET METADATA (firmware 5.3 and later)
apdus "$r_a" <<EOF
$select
00F7008000
00F7008100
00F7009C00
00F7009A00
00F7009B00
EOF
check "metadata of the PIN: not default, 3 of 3 tries" test "$(resp 2)" = 0101FF050100060203039000
check "metadata of the PUK: default, 3 of 3 tries" test "$(resp 3)" = 0101FF050101060203039000
check "metadata of 9c: P-256, PIN always, touch never, imported, a's public point" \
  test "$(resp 4)" = "0101110202030103010204438641${point_a}9000"
expect_resp "metadata of an empty slot" 5 6A88
check "metadata of the management key: 3DES, default" test "$(resp 6)" = 010103020200010501019000

# a firmware before 5.3 has no GET METADATA
check "stopping card b" vyk_stop_card "$port_b"
vyk_start_card "$port_b" "$serial_b" "$work/key-b.pem" "$work/cert-b.pem" - --version 5.2.7 --retries 5
check "card b again as firmware 5.2.7 with 5 PIN retries" vyk_wait_card "$r_b"
printf '%s\n' "$select" 00F7008000 0020008000 | apdus "$r_b"
expect_resp "GET METADATA on 5.2.7" 2 6D00
expect_resp "5 tries left" 3 63C5

# --- pcscd goes away and comes back: the cards reconnect by themselves -------
check "pcscd restarts on the same ports" vyk_restart_pcscd
check "card a is back after the restart" vyk_wait_card "$r_a"
check "card b is back after the restart" vyk_wait_card "$r_b"
expect_status "card a signs after the restart" 0 \
  yubico-piv-tool -r "$r_a" --stdin-input -a verify-pin -a test-signature -s 9c -i "$work/cert-a.pem" <<< "$pin_a"

tap_finish
