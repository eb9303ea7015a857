#!/bin/sh
# run-fuzzer.sh NAME SECONDS: builds tests/fuzz/fuzz-NAME.c with libFuzzer,
# ASan and UBSan (clang), runs it for SECONDS on a copy of
# tests/fuzz/corpus/NAME, and reports one TAP result. Crashing inputs are
# kept in $FUZZ_ARTIFACTS (default: the current folder) as fuzz-NAME-crash-*.
#
# CLANG overrides the compiler (default: clang).
set -u

name=${1:?usage: run-fuzzer.sh NAME SECONDS}
seconds=${2:?usage: run-fuzzer.sh NAME SECONDS}
here=$(cd "$(dirname "$0")" && pwd)
agent=$here/../../src/agent
clang=${CLANG:-clang}
artifacts=${FUZZ_ARTIFACTS:-$PWD}

echo "1..1"

case $name in
  frame) sources="$agent/scp-frame.c" ;;
  agent) sources="$agent/scp-frame.c $agent/scp-agent.c $agent/scp-crypto-openssl.c" ;;
  *) echo "not ok 1 - fuzz-$name: no such fuzz target"; exit 1 ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/scp-fuzz-$name.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# shellcheck disable=SC2086
if ! "$clang" -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
     -D_GNU_SOURCE -DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED -Wall -Wextra \
     -I"$agent" "$here/fuzz-$name.c" $sources -lcrypto -o "$tmp/fuzz-$name" >"$tmp/build.log" 2>&1
then
  sed 's/^/# /' "$tmp/build.log"
  echo "not ok 1 - fuzz-$name: does not build"
  exit 1
fi

cp -R "$here/corpus/$name" "$tmp/corpus"
mkdir -p "$tmp/artifacts"

(cd "$tmp" && ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  "./fuzz-$name" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$tmp/artifacts/" corpus) >"$tmp/run.log" 2>&1
status=$?

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/run.log")
inputs=$(find "$tmp/corpus" -type f | wc -l)
crashes=$(find "$tmp/artifacts" -type f | wc -l)
echo "# fuzz-$name: ${runs:-?} runs in ${seconds}s, corpus now $inputs inputs"

if [ "$status" -ne 0 ] || [ "$crashes" -ne 0 ]; then
  # The sanitizer's report (from its first line), else the end of the log.
  if grep -qE 'ERROR: |runtime error:|deadly signal' "$tmp/run.log"; then
    sed -n '/ERROR: \|runtime error:\|deadly signal/,$p' "$tmp/run.log" | head -n 80 | sed 's/^/# /'
  else
    tail -n 40 "$tmp/run.log" | sed 's/^/# /'
  fi
  for f in "$tmp"/artifacts/*; do
    [ -e "$f" ] || continue
    cp "$f" "$artifacts/fuzz-$name-$(basename "$f")" && echo "# kept $artifacts/fuzz-$name-$(basename "$f")"
  done
  echo "not ok 1 - fuzz-$name (exit status $status)"
  exit 1
fi
echo "ok 1 - fuzz-$name"
