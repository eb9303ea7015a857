#!/bin/bash
# run-with-cards.sh PROGRAM [ARG...]: runs PROGRAM (a GTest program) with a
# real pcscd and two virtual YubiKeys (yk-fixture.sh), then stops them by
# PID. PROGRAM's TAP output and exit status are its own.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/yk-fixture.sh"

work=$(mktemp -d /tmp/sc-ykc-XXXXXX)
trap 'vyk_stop; rm -rf "$work"' EXIT
if ! yk_fixture "$work" > "$work/fixture.log" 2>&1; then
  echo "Bail out! the virtual YubiKeys did not start:"
  sed 's/^/# /' "$work/fixture.log"
  exit 1
fi
"$@"
