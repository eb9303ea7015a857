# tap.sh: the TAP helpers the CLI test scripts share. Source it after
# setting $work (a scratch folder); end the script with tap_finish.

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
# check WHAT CMD…: the command succeeds; its output is shown when it fails.
check() { local what=$1; shift; if "$@" >"$work/out" 2>&1; then ok "$what"; else not_ok "$what"; sed 's/^/# /' "$work/out"; fi; }
# expect_status WHAT STATUS CMD…: the command exits with STATUS; its output
# stays in $work/stdout and $work/stderr for the checks that follow.
expect_status() {
  local what=$1 want=$2; shift 2
  "$@" >"$work/stdout" 2>"$work/stderr"
  local got=$?
  if [ "$got" = "$want" ]; then
    ok "$what (exit $got)"
  else
    not_ok "$what: exit $got, wanted $want"
    sed 's/^/# /' "$work/stdout" "$work/stderr" | tail -20
  fi
}
tap_finish() { echo "1..$n"; exit $((failed > 0)); }
