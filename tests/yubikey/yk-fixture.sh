# yk-fixture.sh: a product whose DAK is on a virtual YubiKey, for the suites
# that test the YubiKey DAK (sourced; needs pcscd-env.sh's environment and
# SC_CLI, the setup-console-cli program).
#
#   yk_fixture DIR
#       Makes a training hierarchy in DIR/train with the CLI, a profile
#       DIR/train/yubikey.profile whose [dak] uri is yubikey://$SC_YK_SERIAL,
#       a PIN file DIR/pin (0600), and a second DAK of another product
#       (DeviceTypeId OTHERPRODUCT01) in DIR/other; starts pcscd and two
#       virtual YubiKeys: card A ($SC_YK_SERIAL, reader $SC_YK_READER, process
#       $SC_YK_CARD_PID) holding the training DAK in slot 9c, card B
#       ($SC_YK_OTHER_SERIAL, reader $SC_YK_OTHER_READER, process
#       $SC_YK_OTHER_CARD_PID, the default PIN 123456) holding the other
#       product's, and logging every APDU it answers to
#       $SC_YK_OTHER_APDU_LOG (virtual-yubikey --apdu-log). Exports
#       everything test-yubikey-signer reads. Stop it with vyk_stop.

source "${VYK_PCSCD_ENV:?meson sets VYK_PCSCD_ENV}"

yk_fixture() {
  local dir=${1:?usage: yk_fixture DIR}
  export SC_YK_DIR=$dir/train
  export SC_YK_SERIAL=11223344 SC_YK_OTHER_SERIAL=55667788
  export SC_YK_PIN_FILE=$dir/pin

  "${SC_CLI:?meson sets SC_CLI}" dak init-training "$SC_YK_DIR" > /dev/null || return 1
  openssl x509 -in "$SC_YK_DIR/dak-chain.pem" -out "$dir/dak.pem" || return 1
  sed "s|^uri=.*|uri=yubikey://$SC_YK_SERIAL?slot=9c|" "$SC_YK_DIR/product.profile" > "$SC_YK_DIR/yubikey.profile"
  grep -q "^uri=yubikey://$SC_YK_SERIAL" "$SC_YK_DIR/yubikey.profile" || { echo "yk-fixture: no [dak] uri to replace" >&2; return 1; }
  (umask 077 && printf '246810\n' > "$SC_YK_PIN_FILE")

  mkdir -p "$dir/other"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/other/dak.key" 2> /dev/null || return 1
  cat > "$dir/other/req.conf" <<'CONF'
oid_section = amazon_oids
[amazon_oids]
deviceTypeId = 1.3.6.1.4.1.4843.1.3
dakType = 1.3.6.1.4.1.4843.1.5
[req]
distinguished_name = dn
prompt = no
[dn]
deviceTypeId = OTHERPRODUCT01
dakType = Training
CONF
  openssl req -config "$dir/other/req.conf" -x509 -new -key "$dir/other/dak.key" -days 365 \
    -out "$dir/other/dak.pem" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign 2> /dev/null || return 1
  openssl x509 -in "$dir/other/dak.pem" -noout -subject | grep -q OTHERPRODUCT01 \
    || { echo "yk-fixture: the other product's DAK certificate has no DeviceTypeId" >&2; return 1; }

  mkdir -p "$dir/pcscd" && vyk_start_pcscd "$dir/pcscd" || return 1
  vyk_start_card "$VYK_PORT" "$SC_YK_SERIAL" "$SC_YK_DIR/dak.key" "$dir/dak.pem" "$SC_YK_PIN_FILE" || return 1
  export SC_YK_CARD_PID=$VYK_CARD_PID
  export SC_YK_READER=$VYK_READER0
  export SC_YK_OTHER_APDU_LOG=$dir/other-apdu.log
  vyk_start_card "$((VYK_PORT + 1))" "$SC_YK_OTHER_SERIAL" "$dir/other/dak.key" "$dir/other/dak.pem" - \
    --apdu-log "$SC_YK_OTHER_APDU_LOG" || return 1
  export SC_YK_OTHER_CARD_PID=$VYK_CARD_PID
  export SC_YK_OTHER_READER=$VYK_READER1
  vyk_wait_card "$SC_YK_READER" > /dev/null && vyk_wait_card "$SC_YK_OTHER_READER" > /dev/null
}
