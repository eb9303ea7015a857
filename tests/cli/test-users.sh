#!/usr/bin/env bash
# Users and roles through setup-console-cli: a station without users runs
# without sign-in; the first user must be an admin; every change needs an
# admin and is audited; passcode and badge files are checked like PIN
# files; provision, reprint and --override check the role of --as and
# record who did it; neither a passcode nor a badge code reaches the
# database files.
#
# usage: test-users.sh CLI       (prints TAP)
set -u

cli=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_DATA_HOME=$work/xdg

source "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
db=$work/station.db
store=(--store "sqlite://$db")
printer=(--printer "file://$work/labels")
sql() { sqlite3 "$db" "$@"; }

secret_file() {  # secret_file NAME TEXT: a 0600 file holding TEXT and a line ending
  printf '%s\n' "$2" > "$work/$1"
  chmod 600 "$work/$1"
}
secret_file admin.pw "admin-passcode-1"
secret_file olga.pw "olga-passcode-22"
secret_file quinn.pw "quinn-passcode-333"
secret_file badge "BADGE-7788-KLM"
secret_file short.pw "12345"
as_ada=(--as ada --as-passcode-file "$work/admin.pw")

# --- no users: no sign-in ---------------------------------------------------
expect_status "list at a station without users" 0 "$cli" users list "${store[@]}"
check "it says the station runs without sign-in" grep -q "runs without sign-in" "$work/stdout"
expect_status "provision without users needs nobody to sign in" 0 \
  "$cli" provision --serial NOUSERS00001 "${store[@]}" "${printer[@]}"
check "the run is recorded with the system account" \
  test "$(sql "select operator from units where serial='NOUSERS00001'")" = "$(id -un)"
expect_status "keygen without users needs nobody to sign in" 0 \
  "$cli" keygen --serial NOUSERSKEY01 --out "$work/nk" "${store[@]}"
check "its DAK signature is on record with the system account, before and after" \
  test "$(sql "select actor || ' ' || action from audit where serial='NOUSERSKEY01' order by id" | tr '\n' ,)" \
       = "$(id -un) dak-issue,$(id -un) dak-issued,"

# --- the first user ---------------------------------------------------------
expect_status "the first user must be an admin" 3 \
  "$cli" users add olga --role operator --passcode-file "$work/olga.pw" "${store[@]}"
check "with a sentence saying so" grep -q "first user of a station must be an admin" "$work/stderr"
check "and nobody was added" test "$(sql "select count(*) from users")" = 0
expect_status "--as names nobody before the first user" 3 \
  "$cli" users add ada --role admin --passcode-file "$work/admin.pw" "${store[@]}" "${as_ada[@]}"
expect_status "the first admin is added without --as" 0 \
  "$cli" users add ada --role admin --passcode-file "$work/admin.pw" "${store[@]}"
check "the audit log names who ran it, as the station's first user" \
  test "$(sql "select count(*) from audit where action='user-added' and details like 'ada: roles admin; the station''s first user'")" = 1

# --- every rule of the passcode file, each refused with nothing changed -----
cp "$work/olga.pw" "$work/open.pw"; chmod 644 "$work/open.pw"
ln -s "$work/olga.pw" "$work/link.pw"
printf 'olga-passcode-22\nsecond line\n' > "$work/two-lines.pw"; chmod 600 "$work/two-lines.pw"
mkdir "$work/dir.pw"
expect_status "a passcode file others can read is refused" 3 \
  "$cli" users add olga --role operator --passcode-file "$work/open.pw" "${store[@]}" "${as_ada[@]}"
check "with a sentence saying chmod 600" grep -q "chmod 600" "$work/stderr"
expect_status "a passcode file that is a symbolic link is refused" 3 \
  "$cli" users add olga --role operator --passcode-file "$work/link.pw" "${store[@]}" "${as_ada[@]}"
check "with a sentence saying so" grep -q "symbolic link" "$work/stderr"
expect_status "a passcode file of two lines is refused" 3 \
  "$cli" users add olga --role operator --passcode-file "$work/two-lines.pw" "${store[@]}" "${as_ada[@]}"
expect_status "a passcode file that is a folder is refused" 3 \
  "$cli" users add olga --role operator --passcode-file "$work/dir.pw" "${store[@]}" "${as_ada[@]}"
expect_status "a missing passcode file is refused" 3 \
  "$cli" users add olga --role operator --passcode-file "$work/nothing.pw" "${store[@]}" "${as_ada[@]}"
expect_status "a passcode of 5 characters is refused" 3 \
  "$cli" users add olga --role operator --passcode-file "$work/short.pw" "${store[@]}" "${as_ada[@]}"
check "with a sentence giving the length" grep -q "6 to 128 characters" "$work/stderr"
expect_status "without a terminal and without a file, nothing is asked" 3 \
  setsid -w "$cli" users add olga --role operator "${store[@]}" --as ada --as-passcode-file "$work/admin.pw"
check "with a sentence saying what to give" grep -q "no terminal to ask on: give --passcode-file" "$work/stderr"
check "after all of them, only the admin exists" test "$(sql "select count(*) from users")" = 1

# --- the command line's own rules -------------------------------------------
expect_status "an unknown role is refused" 3 \
  "$cli" users add olga --role operator,boss --passcode-file "$work/olga.pw" "${store[@]}" "${as_ada[@]}"
check "with a sentence naming the roles" grep -q "the roles are operator, qa, trainer and admin" "$work/stderr"
expect_status "add without --role is a usage error" 2 \
  "$cli" users add olga --passcode-file "$work/olga.pw" "${store[@]}" "${as_ada[@]}"
expect_status "a name with a line break is refused" 3 \
  "$cli" users add "ol
ga" --role operator --passcode-file "$work/olga.pw" "${store[@]}" "${as_ada[@]}"
expect_status "an unknown subcommand is a usage error" 2 "$cli" users rename olga "${store[@]}"

# --- changes need an admin --------------------------------------------------
expect_status "with users, a change without --as is refused" 12 \
  "$cli" users add olga --role operator --passcode-file "$work/olga.pw" "${store[@]}"
check "with a sentence saying --as ADMIN" grep -q "give --as ADMIN" "$work/stderr"
expect_status "an operator is added by the admin" 0 \
  "$cli" users add olga --role operator --passcode-file "$work/olga.pw" "${store[@]}" "${as_ada[@]}"
expect_status "QA is added by the admin" 0 \
  "$cli" users add quinn --role qa --passcode-file "$work/quinn.pw" "${store[@]}" "${as_ada[@]}"
expect_status "a name taken (in another case) is refused" 3 \
  "$cli" users add OLGA --role qa --passcode-file "$work/olga.pw" "${store[@]}" "${as_ada[@]}"
expect_status "an operator cannot add users" 12 \
  "$cli" users add otto --role operator --passcode-file "$work/olga.pw" "${store[@]}" \
  --as olga --as-passcode-file "$work/olga.pw"
check "with a sentence naming the admin role" grep -q "needs the admin role" "$work/stderr"
expect_status "the badge is set from a 0600 file" 0 \
  "$cli" users badge olga --badge-file "$work/badge" "${store[@]}" "${as_ada[@]}"
expect_status "one badge, one user" 3 \
  "$cli" users badge quinn --badge-file "$work/badge" "${store[@]}" "${as_ada[@]}"
expect_status "the list shows users, roles and badges" 0 "$cli" users list "${store[@]}"
check "olga: operator, enabled, with a badge" grep -qE '^olga +operator +enabled +yes' "$work/stdout"
check "quinn: qa, enabled, no badge" grep -qE '^quinn +qa +enabled +no' "$work/stdout"
expect_status "the last enabled admin cannot be disabled" 3 \
  "$cli" users disable ada "${store[@]}" "${as_ada[@]}"
check "with a sentence saying why" grep -q "last enabled admin" "$work/stderr"

# --- roles at work: provision, reprint, override -----------------------------
expect_status "with users, provision without --as is refused" 12 \
  "$cli" provision --serial USERS0000001 "${store[@]}" "${printer[@]}"
check "with a sentence saying who must sign in" grep -q "Sign in as an operator to provision units" "$work/stderr"
expect_status "an admin who is no operator may not provision" 12 \
  "$cli" provision --serial USERS0000001 "${store[@]}" "${printer[@]}" "${as_ada[@]}"
expect_status "an operator provisions" 0 \
  "$cli" provision --serial USERS0000001 "${store[@]}" "${printer[@]}" --as olga --as-passcode-file "$work/olga.pw"
check "the run records the operator signed in" \
  test "$(sql "select operator from units where serial='USERS0000001'")" = olga
check "so do its prints" \
  test "$(sql "select group_concat(distinct p.operator) from prints p join units u on u.id=p.unit_id where u.serial='USERS0000001'")" = olga
expect_status "an operator may not reprint" 12 \
  "$cli" reprint USERS0000001 --kind product --reason torn "${store[@]}" "${printer[@]}" \
  --as olga --as-passcode-file "$work/olga.pw"
check "with a sentence naming the QA role" grep -q "needs the QA role" "$work/stderr"
expect_status "QA reprints" 0 \
  "$cli" reprint USERS0000001 --kind product --reason torn "${store[@]}" "${printer[@]}" \
  --as quinn --as-passcode-file "$work/quinn.pw"
check "the reprint records QA" \
  test "$(sql "select operator from prints where reprint=1")" = quinn
expect_status "an operator may not re-provision a completed serial" 12 \
  "$cli" provision --serial USERS0000001 --override "label lost" "${store[@]}" "${printer[@]}" \
  --as olga --as-passcode-file "$work/olga.pw"
expect_status "QA re-provisions with a reason" 0 \
  "$cli" provision --serial USERS0000001 --override "label lost" "${store[@]}" "${printer[@]}" \
  --as quinn --as-passcode-file "$work/quinn.pw"
check "the new run records QA" \
  test "$(sql "select operator from units where serial='USERS0000001' and state='complete'")" = quinn

# --- the DAK outside a unit run: issue and keygen ----------------------------
dak_entries() { sql "select count(*) from audit where action like 'dak-issue%'"; }
before=$(dak_entries)
expect_status "with users, issue without --as is refused" 12 \
  "$cli" issue --csr "$work/nk/device.csr" "${store[@]}"
check "with a sentence saying who must sign in" grep -q "Sign in as an operator" "$work/stderr"
check "and nothing was signed" test ! -s "$work/stdout"
check "nor tried: no DAK entry in the records" test "$(dak_entries)" = "$before"
expect_status "an admin who is no operator may not issue" 12 \
  "$cli" issue --csr "$work/nk/device.csr" "${store[@]}" "${as_ada[@]}"
check "and nothing was signed" test ! -s "$work/stdout"
expect_status "with users, keygen without --as is refused" 12 \
  "$cli" keygen --serial USERSKEY0001 --out "$work/uk" "${store[@]}"
check "and wrote nothing" test ! -e "$work/uk"
check "nor tried" test "$(dak_entries)" = "$before"
expect_status "an operator's keygen signs" 0 \
  "$cli" keygen --serial USERSKEY0001 --out "$work/uk" "${store[@]}" --as olga --as-passcode-file "$work/olga.pw"
cert_serial=$(openssl x509 -in "$work/uk/device-cert-chain.pem" -noout -serial | cut -d= -f2)
check "the signature is on record under olga's name, with the certificate's serial" \
  test "$(sql "select actor || ' ' || details from audit where serial='USERSKEY0001' and action='dak-issued'" \
          | cut -d, -f1)" = "olga keygen: certificate serial $cert_serial"
expect_status "an operator issues a certificate for a CSR" 0 \
  "$cli" issue --csr "$work/uk/device.csr" "${store[@]}" --as olga --as-passcode-file "$work/olga.pw"
issued_serial=$(openssl x509 -noout -serial < "$work/stdout" | cut -d= -f2)
expect_status "audit list names both signatures for the DSN" 0 "$cli" audit list USERSKEY0001 "${store[@]}"
check "the keygen's and the issue's, in order, each with its certificate" \
  test "$(grep ' dak-issued ' "$work/stdout" | grep -o 'certificate serial [0-9A-F]*' | tr '\n' ,)" \
       = "certificate serial $cert_serial,certificate serial $issued_serial,"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout /dev/null \
  -subj "/CN=not a unit" -out "$work/p384.csr" 2>/dev/null
expect_status "a CSR the policy refuses is refused" 4 \
  "$cli" issue --csr "$work/p384.csr" "${store[@]}" --as olga --as-passcode-file "$work/olga.pw"
check "and nothing was signed" test ! -s "$work/stdout"
check "the refusal is on record under olga's name, with its reason" \
  bash -c "test \"\$(sqlite3 '$db' \"select actor from audit where action='dak-issue-refused'\")\" = olga &&
           sqlite3 '$db' \"select details from audit where action='dak-issue-refused'\" | grep -q 'P-256'"
# A DSN holding a line break and a terminal escape: refused by the policy,
# and written into the records only escaped, under no serial.
sed -e 's/@DSN@/TESTKEY00009\\nFAKE issued OK\\x1b[2J/' -e 's/@DTID@/TRAININGDEVICE/' -e 's/@STRING_MASK@/utf8only/' \
  "$(dirname "${BASH_SOURCE[0]}")/../fixtures/device.conf" > "$work/newline.conf"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
  -config "$work/newline.conf" -out "$work/newline.csr" 2>/dev/null
check "(the CSR's DSN holds a line break)" bash -c "openssl req -in '$work/newline.csr' -noout -subject | grep -q 'TESTKEY00009.0AFAKE'"
expect_status "a CSR whose DSN holds a line break is refused" 4 \
  "$cli" issue --csr "$work/newline.csr" "${store[@]}" --as olga --as-passcode-file "$work/olga.pw"
check "neither the line break nor the escape reached the records" \
  test "$(sql "select count(*) from audit where instr(serial, char(10)) or instr(details, char(10))
                 or instr(serial, char(27)) or instr(details, char(27))")" = 0
check "the DSN is in the details, escaped, under no serial" \
  test "$(sql "select count(*) from audit where action = 'dak-issue' and serial is null and details like '%(not a valid DSN: \"TESTKEY00009\\nFAKE issued OK%'")" = 1
before=$(dak_entries)
expect_status "keygen into a folder that holds its files is refused" 6 \
  "$cli" keygen --serial USERSKEY0002 --out "$work/uk" "${store[@]}" --as olga --as-passcode-file "$work/olga.pw"
check "with a sentence saying nothing was signed" grep -q "exists already; nothing was signed or written" "$work/stderr"
check "and nothing was signed: no DAK entry in the records" test "$(dak_entries)" = "$before"
expect_status "with users, bench-dak without --as is refused" 12 "$cli" bench-dak --count 2 "${store[@]}"
check "nor started: no batch in the records" test "$(sql "select count(*) from audit where action like 'dak-bench%'")" = 0
expect_status "an operator's bench-dak signs" 0 \
  "$cli" bench-dak --count 2 "${store[@]}" --as olga --as-passcode-file "$work/olga.pw"
check "the batch is on record under olga's name, before and after" \
  test "$(sql "select actor || ' ' || action from audit where action like 'dak-bench%' order by id" | tr '\n' ,)" \
       = "olga dak-bench,olga dak-bench-done,"
touch "$work/a-file"
expect_status "records that cannot be opened: nothing is signed" 9 \
  "$cli" issue --csr "$work/uk/device.csr" --store "sqlite://$work/a-file/station.db"
check "and nothing reached standard output" test ! -s "$work/stdout"
expect_status "the audit log still verifies" 0 "$cli" audit verify "${store[@]}"
expect_status "audit list without a serial is a usage error" 2 "$cli" audit list "${store[@]}"

# --- roles and disabling ----------------------------------------------------
expect_status "the admin gives olga QA too" 0 \
  "$cli" users roles olga --role operator,qa "${store[@]}" "${as_ada[@]}"
expect_status "now olga reprints" 0 \
  "$cli" reprint USERS0000001 --kind package --reason smudged "${store[@]}" "${printer[@]}" \
  --as olga --as-passcode-file "$work/olga.pw"
expect_status "the admin disables olga" 0 "$cli" users disable olga "${store[@]}" "${as_ada[@]}"
expect_status "a disabled user cannot sign in" 12 \
  "$cli" provision --serial USERS0000002 "${store[@]}" "${printer[@]}" --as olga --as-passcode-file "$work/olga.pw"
check "with a sentence saying so" grep -q "olga is disabled" "$work/stderr"

# --- a wrong passcode --------------------------------------------------------
secret_file wrong.pw "not-quinns-passcode"
expect_status "a wrong passcode is refused" 12 \
  "$cli" reprint USERS0000001 --kind product --reason torn "${store[@]}" "${printer[@]}" \
  --as quinn --as-passcode-file "$work/wrong.pw"
check "with a sentence saying when to try again" grep -q "The passcode for quinn is wrong; try again in 1 second" "$work/stderr"
check "the failure is in the audit log" \
  test "$(sql "select count(*) from audit where actor='quinn' and action='sign-in-failed' and details like 'wrong passcode, 1 in a row%'")" = 1
check "the next passcode waits: the wait is in the records" \
  test "$(sql "select failures from users where name='quinn'")" = 1

# --- the audit log and the secrets ------------------------------------------
check "every change is audited with the admin's name" \
  test "$(sql "select group_concat(action || ':' || details, ' / ') from audit where actor='ada' and action like 'user-%'")" \
  = "user-added:olga: roles operator / user-added:quinn: roles qa / user-badge:olga: badge set / user-roles:olga: roles operator,qa (were operator) / user-disabled:olga"
expect_status "the audit log verifies" 0 "$cli" audit verify "${store[@]}"
check "no passcode, no badge code in the database's files" \
  bash -c "! grep -qaF -e admin-passcode-1 -e olga-passcode-22 -e quinn-passcode-333 -e BADGE-7788-KLM '$db' '$db-wal' '$db-shm' '$db-audit-head'"
check "(which do hold the users, hashed)" grep -qaF '$scrypt$ln=15,r=8,p=1$' "$db" "$db-wal"

# --- the terminal: asked twice, without echo ---------------------------------
# script(1) gives the command a terminal; each line is typed only once its
# prompt is on the screen (polled), as a person would.
typed() {  # typed WHAT FIRST SECOND: runs `users passcode quinn` on a terminal
  rm -f "$work/tty-in" "$work/tty-out"
  mkfifo "$work/tty-in"
  script -qfec "'$cli' users passcode quinn --store 'sqlite://$db' --as ada --as-passcode-file '$work/admin.pw'" \
    /dev/null < "$work/tty-in" > "$work/tty-out" 2>&1 &
  local pid=$!
  exec 7> "$work/tty-in"
  for _ in $(seq 1 400); do grep -qF "New passcode for quinn: " "$work/tty-out" && break; sleep 0.05; done
  printf '%s\n' "$2" >&7
  for _ in $(seq 1 400); do grep -qF "Type it again: " "$work/tty-out" && break; sleep 0.05; done
  printf '%s\n' "$3" >&7
  exec 7>&-
  wait "$pid"
  local got=$?
  if [ "$got" = "$4" ]; then ok "$1 (exit $got)"; else not_ok "$1: exit $got, wanted $4"; sed 's/^/# /' "$work/tty-out"; fi
}
if command -v script > /dev/null; then
  typed "a new passcode typed twice on a terminal" quinn-new-code-1 quinn-new-code-1 0
  check "it was not echoed" bash -c "! grep -q quinn-new-code '$work/tty-out'"
  secret_file quinn-new.pw "quinn-new-code-1"
  expect_status "it signs in afterwards" 0 \
    "$cli" reprint USERS0000001 --kind product --reason torn "${store[@]}" "${printer[@]}" \
    --as quinn --as-passcode-file "$work/quinn-new.pw"
  typed "two different passcodes change nothing" quinn-code-a-1 quinn-code-b-1 3
  check "with a sentence saying they differ" grep -q "two passcodes differ" "$work/tty-out"
else
  ok "# SKIP script(1) is not installed: no terminal tests"
fi

tap_finish
