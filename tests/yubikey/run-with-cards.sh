#!/bin/bash
# run-with-cards.sh PROGRAM [ARG...]: runs PROGRAM (a GTest program) with a
# real pcscd and two virtual YubiKeys (yk-fixture.sh), then stops them by
# PID. PROGRAM's TAP output and exit status are its own.
#
# PROGRAM may have pcscd restarted (its readers go away and come back, with
# the cards that are in): it sends SIGUSR1 to $SC_YK_HARNESS_PID and polls
# the file $SC_YK_RESTARTS, which holds the number of restarts done so far,
# or "failed" (details in the file beside it, $SC_YK_RESTARTS.log). The
# cards reconnect by themselves; PROGRAM waits for the ones it needs.
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

export SC_YK_HARNESS_PID=$$ SC_YK_RESTARTS=$work/restarts
restarts=0
interrupted=0
echo 0 > "$SC_YK_RESTARTS"
restart_pcscd() {
  interrupted=1
  if vyk_restart_pcscd >> "$SC_YK_RESTARTS.log" 2>&1; then
    restarts=$((restarts + 1))
    echo "$restarts" > "$SC_YK_RESTARTS.new"
  else
    echo failed > "$SC_YK_RESTARTS.new"
  fi
  mv "$SC_YK_RESTARTS.new" "$SC_YK_RESTARTS"
}
trap restart_pcscd USR1

"$@" &
child=$!
# wait returns early when the trap runs; then it is waited for again.
while :; do
  interrupted=0
  wait "$child"
  status=$?
  [ "$interrupted" = 1 ] || break
done
exit "$status"
