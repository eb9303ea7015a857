#!/usr/bin/env bash
# Cross-checks setup-console-cli against the openssl command line, which
# nobody here wrote: the seed's own CSR is accepted and signed, the chain
# passes "openssl verify", the certificate shows the DHA profile, our PUK is
# the seed pipeline's PUK, and every failure class has its exit status and
# writes nothing.
#
# usage: test-openssl-crosscheck.sh CLI FIXTURES_DIR     (prints TAP)
set -u

cli=$1
fixtures=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_DATA_HOME=$work/xdg

source "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

dak=$work/dak
dsn=G3A0PA01802300PE

# --- the training hierarchy -------------------------------------------------
check "dak init-training creates a hierarchy" "$cli" dak init-training "$dak"
check "dak.key is mode 0600" test "$(stat -c %a "$dak/dak.key")" = 600
check "dak-chain.pem holds 4 certificates" test "$(grep -c 'BEGIN CERTIFICATE' "$dak/dak-chain.pem")" = 4
check "openssl verifies the DAK chain to root.pem" \
  openssl verify -CAfile "$dak/root.pem" -untrusted "$dak/dak-chain.pem" "$dak/dak-chain.pem"
check "the DAK subject is DeviceTypeId + DakType=Training" \
  bash -c "openssl x509 -in '$dak/dak-chain.pem' -noout -subject -nameopt oid | grep -q '1.3.6.1.4.1.4843.1.3=TRAININGDEVICE, 1.3.6.1.4.1.4843.1.5=Training'"
check "the DAK is CA:TRUE, pathlen 0" \
  bash -c "openssl x509 -in '$dak/dak-chain.pem' -noout -ext basicConstraints | grep -q 'CA:TRUE, pathlen:0'"
expect_status "a second init-training into the same folder refuses" 6 "$cli" dak init-training "$dak"
dtid=$(sed -n 's/^device-type-id=//p' "$dak/product.profile")

# --- the seed's CSR, signed by "issue" --------------------------------------
for mask in utf8only nombstr; do
  sed -e "s/@DSN@/$dsn/" -e "s/@DTID@/$dtid/" -e "s/@STRING_MASK@/$mask/" \
    "$fixtures/device.conf" > "$work/device.conf"
  openssl ecparam -name prime256v1 -out "$work/p256.pem"
  openssl req -new -nodes -config "$work/device.conf" -newkey "ec:$work/p256.pem" \
    -keyout "$work/seed.key" -out "$work/seed.csr" 2>/dev/null
  expect_status "issue signs the seed's CSR ($mask strings)" 0 \
    "$cli" issue --profile "$dak/product.profile" --csr "$work/seed.csr"
  cp "$work/stdout" "$work/chain-$mask.pem"
done
chain=$work/chain-utf8only.pem
check "stdin to stdout, like Amazon's CSR Signing Application" \
  bash -c "'$cli' issue --profile '$dak/product.profile' < '$work/seed.csr' > '$work/chain-stdin.pem' && test -s '$work/chain-stdin.pem'"
check "the chain has 5 PEM blocks, leaf first" test "$(grep -c 'BEGIN CERTIFICATE' "$chain")" = 5
check "openssl verify accepts the issued chain" \
  openssl verify -CAfile "$dak/root.pem" -untrusted "$dak/dak-chain.pem" "$chain"
check "openssl verify accepts the PrintableString chain" \
  openssl verify -CAfile "$dak/root.pem" -untrusted "$dak/dak-chain.pem" "$work/chain-nombstr.pem"
check "the PrintableString subject is kept as PrintableString" \
  bash -c "openssl asn1parse -in '$work/chain-nombstr.pem' | grep -A1 ':1.3.6.1.4.1.4843.1.3' | grep -q PRINTABLESTRING"

openssl x509 -in "$chain" -noout -text > "$work/leaf.txt"
check "x509 -text: v3, ecdsa-with-SHA256" \
  bash -c "grep -q 'Version: 3 (0x2)' '$work/leaf.txt' && grep -q 'Signature Algorithm: ecdsa-with-SHA256' '$work/leaf.txt'"
check "x509 -text: subject carries DSN and DeviceTypeId OIDs" \
  bash -c "grep -q 'Subject: 1.3.6.1.4.1.4843.1.1 = $dsn, 1.3.6.1.4.1.4843.1.3 = $dtid' '$work/leaf.txt'"
check "x509 -text: issuer is the DAK's subject" \
  test "$(openssl x509 -in "$chain" -noout -issuer -nameopt oid)" = \
       "$(openssl x509 -in "$dak/dak-chain.pem" -noout -subject -nameopt oid | sed 's/^subject/issuer/')"
check "x509 -text: key usage is digitalSignature + keyEncipherment, not critical" \
  bash -c "grep -A1 'X509v3 Key Usage:' '$work/leaf.txt' | grep -q 'Digital Signature, Key Encipherment' && ! grep -q 'Key Usage: critical' '$work/leaf.txt'"
aki=$(openssl x509 -in "$chain" -noout -ext authorityKeyIdentifier | sed -n '2p' | tr -d ' ')
ski=$(openssl x509 -in "$dak/dak-chain.pem" -noout -ext subjectKeyIdentifier | sed -n '2p' | tr -d ' ')
check "the AKI is the DAK's subject key id" test -n "$aki" -a "$aki" = "$ski"
check "no extensions besides AKI and keyUsage" \
  test "$(grep -c 'X509v3 ' "$work/leaf.txt")" = 3   # the header line plus two
nb=$(date -d "$(openssl x509 -in "$chain" -noout -startdate | cut -d= -f2)" +%s)
na=$(date -d "$(openssl x509 -in "$chain" -noout -enddate | cut -d= -f2)" +%s)
check "validity is 1825 days" test $(((na - nb) / 86400)) = 1825
serial=$(openssl x509 -in "$chain" -noout -serial | cut -d= -f2)
check "the serial is positive and at least 8 bytes" \
  bash -c "test ${#serial} -ge 16 && case '$serial' in [0-7]*) true;; *) false;; esac"
check "asn1parse shows the FFS OIDs" \
  bash -c "openssl asn1parse -in '$chain' | grep -q ':1.3.6.1.4.1.4843.1.1' && openssl asn1parse -in '$chain' | grep -q ':1.3.6.1.4.1.4843.1.3'"

# The seed's own signing command gives the same extensions.
openssl x509 -req -in "$work/seed.csr" -CA "$dak/dak-chain.pem" -CAkey "$dak/dak.key" -days 1825 \
  -extfile "$work/device.conf" -extensions req_ext -sha256 -out "$work/seed-leaf.pem" 2>/dev/null
check "the seed's openssl x509 -req signs the same extensions" \
  test "$(openssl x509 -in "$work/seed-leaf.pem" -noout -ext authorityKeyIdentifier,keyUsage)" = \
       "$(openssl x509 -in "$chain" -noout -ext authorityKeyIdentifier,keyUsage)"

# --- keygen and the PUK -------------------------------------------------------
unit=$work/unit
expect_status "keygen makes a station-side unit" 0 \
  "$cli" keygen --profile "$dak/product.profile" --serial "$dsn" --out "$unit"
check "keygen wrote the four files, the key 0600" \
  bash -c "test -s '$unit/device.key' -a -s '$unit/device.csr' -a -s '$unit/device-cert-chain.pem' -a -s '$unit/device.puk' && test \$(stat -c %a '$unit/device.key') = 600"
check "openssl req -verify accepts device.csr" openssl req -in "$unit/device.csr" -noout -verify
check "openssl verify accepts device-cert-chain.pem" \
  openssl verify -CAfile "$dak/root.pem" -untrusted "$dak/dak-chain.pem" "$unit/device-cert-chain.pem"
check "the certificate is for device.key" \
  test "$(openssl pkey -in "$unit/device.key" -pubout)" = "$(openssl x509 -in "$unit/device-cert-chain.pem" -noout -pubkey)"
seed_puk=$(openssl ec -in "$unit/device.key" -pubout -conv_form compressed 2>/dev/null | sed '1d;$d' | tr -d '\n')
check "our PUK equals the seed's openssl ec -conv_form compressed pipeline" \
  test "$(cat "$unit/device.puk")" = "$seed_puk"
check "the PUK is printed and is 80 characters" \
  bash -c "grep -qF ' $seed_puk' '$work/stdout' && test ${#seed_puk} = 80"
for puk in \
  MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgADLZXG+MzHkCUT1F88yQpaiDW7vu8XDSIhJwsVr2bmmag= \
  MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgACcQ0JiaZzVKrdzKISuBnsSHbioyE9Jo2tUfQdE1gFcGE=; do
  check "openssl reads the spec's sample PUK ${puk:35:8}… as a P-256 point" \
    bash -c "echo '$puk' | base64 -d | openssl ec -pubin -inform DER -noout -text 2>/dev/null | grep -q 'NIST CURVE: P-256'"
done

# --- failures: one exit status per class, nothing written -------------------
expect_status "no command is a usage error" 2 "$cli"
expect_status "an unknown option is a usage error" 2 "$cli" issue --bogus
expect_status "keygen without --serial is a usage error" 2 "$cli" keygen --profile "$dak/product.profile" --out "$work/x"
echo "not a csr" > "$work/garbage.csr"
expect_status "a malformed CSR is bad input" 3 "$cli" issue --profile "$dak/product.profile" --csr "$work/garbage.csr"
check "and nothing reached stdout" test ! -s "$work/stdout"
expect_status "a missing CSR file is bad input" 3 "$cli" issue --profile "$dak/product.profile" --csr "$work/none.csr"
sed -e "s/@DSN@/$dsn/" -e "s/@DTID@/A13HOHDXTVQYZO/" -e "s/@STRING_MASK@/utf8only/" \
  "$fixtures/device.conf" > "$work/other.conf"
openssl req -new -nodes -config "$work/other.conf" -newkey "ec:$work/p256.pem" \
  -keyout "$work/other.key" -out "$work/other.csr" 2>/dev/null
expect_status "another product's CSR is refused by the policy" 4 \
  "$cli" issue --profile "$dak/product.profile" --csr "$work/other.csr"
check "the refusal names the rule" grep -q "DeviceTypeId is “A13HOHDXTVQYZO”" "$work/stderr"
check "and no chain reached stdout" test ! -s "$work/stdout"
openssl req -new -nodes -config "$work/device.conf" -newkey rsa:2048 \
  -keyout "$work/rsa.key" -out "$work/rsa.csr" 2>/dev/null
expect_status "an RSA CSR is refused by the policy" 4 \
  "$cli" issue --profile "$dak/product.profile" --csr "$work/rsa.csr"
expect_status "issue --serial refuses a CSR for another serial" 4 \
  "$cli" issue --profile "$dak/product.profile" --csr "$work/seed.csr" --serial G3A0PA01802300PX
expect_status "keygen refuses a serial outside the profile's pattern" 3 \
  "$cli" keygen --profile "$dak/product.profile" --serial SHORT --out "$work/short"
check "and made no folder" test ! -e "$work/short"
before=$(sha256sum "$unit"/* | sha256sum)
expect_status "keygen into a folder that already has a unit refuses" 6 \
  "$cli" keygen --profile "$dak/product.profile" --serial "$dsn" --out "$unit"
check "and left the existing files untouched, with no staging left behind" \
  bash -c "test \"\$(sha256sum '$unit'/* | sha256sum)\" = '$before' && test \$(ls -A '$unit' | wc -l) = 4"
chmod 644 "$dak/dak.key"
expect_status "a DAK key readable by others is a signer failure" 5 \
  "$cli" issue --profile "$dak/product.profile" --csr "$work/seed.csr"
check "the message says what to do" grep -q "chmod 600" "$work/stderr"
chmod 600 "$dak/dak.key"
sed 's/^pid=.*/pid=toolong/' "$dak/product.profile" > "$dak/bad.profile"
expect_status "a profile with a bad field is bad input" 3 \
  "$cli" issue --profile "$dak/bad.profile" --csr "$work/seed.csr"
check "the message names the field" grep -qF "[product] pid:" "$work/stderr"
expect_status "a file that is not a profile is bad input" 3 \
  "$cli" issue --profile "$fixtures/device.conf" --csr "$work/seed.csr"
head -c 100000 /dev/zero > "$work/huge.csr"
expect_status "a huge CSR file is refused as bad input" 3 \
  "$cli" issue --profile "$dak/product.profile" --csr "$work/huge.csr"
check "the message says it is too large" grep -q "too large" "$work/stderr"
expect_status "issue warns on stderr when the DAK is a training DAK" 0 \
  "$cli" issue --profile "$dak/product.profile" --csr "$work/seed.csr"
check "the warning says training" grep -q "TRAINING DAK" "$work/stderr"

# --- the embedded default -----------------------------------------------------
expect_status "with no profile at all, keygen uses the embedded training DAK" 0 \
  "$cli" keygen --serial "$dsn" --out "$work/default-unit"
check "and says so" grep -q "embedded training profile" "$work/stderr"
check "the embedded hierarchy lives in the XDG data dir" test -s "$XDG_DATA_HOME/setup-console/training/dak.key"

tap_finish
