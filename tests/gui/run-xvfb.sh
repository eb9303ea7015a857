#!/usr/bin/env bash
# Runs a program under its own X server: starts Xvfb on a free display,
# waits until it answers, runs the program with DISPLAY set, and stops the
# server by its PID. The program's exit status is this script's.
#
# usage: run-xvfb.sh PROGRAM [ARGS…]
# SC_XVFB_SCREEN overrides the screen (default 1280x800x24).
set -u

screen=${SC_XVFB_SCREEN:-1280x800x24}
work=$(mktemp -d)
xvfb_pid=
cleanup() {
  if [ -n "$xvfb_pid" ]; then
    kill "$xvfb_pid" 2>/dev/null
    wait "$xvfb_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# -displayfd: the server picks a display nobody holds and writes its number
# once it accepts connections, so tests started in parallel never share one.
Xvfb -displayfd 3 -screen 0 "$screen" -nolisten tcp -noreset 3>"$work/display" 2>"$work/log" &
xvfb_pid=$!

display=
for _ in $(seq 1 400); do
  if ! kill -0 "$xvfb_pid" 2>/dev/null; then break; fi
  read -r display < "$work/display" 2>/dev/null
  if [ -n "$display" ] && [ -S "/tmp/.X11-unix/X$display" ]; then
    break
  fi
  display=
  sleep 0.05
done

if [ -z "$display" ]; then
  echo "run-xvfb.sh: Xvfb did not start:" >&2
  cat "$work/log" >&2
  exit 99   # a hard error for meson, not a failed test
fi

export DISPLAY=":$display"
export GDK_BACKEND=x11
unset WAYLAND_DISPLAY
"$@"
