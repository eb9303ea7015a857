# pcscd-env.sh: a private pcscd with virtual YubiKeys, for test scripts.
#
# Source it from a bash test script. It needs VIRTUAL_YUBIKEY (the
# virtual-yubikey program) and VYK_PCSC (the vyk-pcsc client); meson sets
# both for the tests (tests/yubikey/meson.build: virtual_yubikey_env).
#
#   vyk_start_pcscd DIR
#       Starts pcscd in the foreground (pcscd -f) with a reader config of its
#       own in DIR/reader.conf.d: one vsmartcard vpcd reader named
#       "$VYK_READER_NAME" (begins with "Yubico", so yubico-piv-tool's default
#       reader match finds it) with two slots, "$VYK_READER0" listening on TCP
#       port $VYK_PORT and "$VYK_READER1" on $VYK_PORT+1. The port is a free
#       one, chosen at random (another is tried when vpcd cannot bind it).
#       Exports PCSCLITE_CSOCK_NAME, the only thing PC/SC clients (libykpiv,
#       yubico-piv-tool, vyk-pcsc) need to reach this pcscd. Its log is
#       DIR/pcscd.log (VYK_PCSCD_DEBUG=1 adds pcscd -d; APDUs are never logged).
#   vyk_start_card PORT SERIAL KEY CERT [PINFILE [OPTION...]]
#       Starts a virtual YubiKey 5 (firmware $VYK_VERSION, default 5.4.3) for
#       the slot on PORT with the P-256 KEY and its CERT in slot 9c; PINFILE
#       ("-" or absent: the default PIN 123456) holds the PIN; OPTIONs go to
#       virtual-yubikey as they are (e.g. --retries 5, --slot 9a). Returns at
#       once; VYK_CARD_PID is its process. Log: DIR/card-PORT.log.
#   vyk_wait_card READER-SUBSTRING / vyk_wait_empty READER-SUBSTRING
#       Polls until a reader whose name contains the text holds a card / none
#       does; fails after $VYK_TIMEOUT_MS (default 15000) with what pcscd has.
#   vyk_reader PORT
#       Prints the name of the reader slot on PORT.
#   vyk_remove PORT / vyk_insert PORT
#       Pulls the card on PORT out (SIGUSR1) / puts it back (SIGUSR2), then
#       waits until pcscd sees it.
#   vyk_stop_card PORT
#       Stops the card on PORT (SIGTERM) and waits until pcscd sees it gone.
#   vyk_restart_pcscd
#       Stops pcscd and starts it again on the same ports; the cards connect
#       again by themselves (follow with vyk_wait_card).
#   vyk_stop
#       Stops every card and the pcscd started here, by PID (trap it on EXIT).
#
# Every function returns non-zero with a message on stderr when it fails;
# none sleeps blind. Several scripts may run at once, each with its own DIR:
# the ports and sockets differ.
#
# The private socket: pcsc-lite 1.9.9's client library honours the
# PCSCLITE_CSOCK_NAME environment variable, but its pcscd does not: it always
# binds /run/pcscd/pcscd.comm (and writes /run/pcscd/pcscd.pid). So pcscd
# runs in a mount namespace of its own (unshare -m, as root; unshare -r -m
# otherwise) with DIR/run bind-mounted on /run/pcscd: its socket and pid file
# land in DIR/run, a system pcscd is left alone, and two runs never meet.
# Where no mount namespace can be made (a container without CAP_SYS_ADMIN)
# pcscd runs on the default socket instead, one run at a time (flock on
# /run/pcscd/vyk.lock), and says so on stderr.

VYK_READER_NAME="Yubico YubiKey vpcd"
: "${VYK_TIMEOUT_MS:=15000}"
: "${VYK_VERSION:=5.4.3}"
VYK_PCSCD_PID=
VYK_PORT=
VYK_READER0=
VYK_READER1=
VYK_DIR=
VYK_CARD_PID=
_vyk_private=1
_vyk_unshare=()
declare -gA _vyk_card_pids=()
_vyk_lock_fd=

_vyk_fail() { echo "pcscd-env: $*" >&2; return 1; }

# vyk-pcsc with the deadline, giving up early when pcscd is gone.
_vyk_pcsc() {
  local opts=(--timeout "$VYK_TIMEOUT_MS")
  [ -n "$VYK_PCSCD_PID" ] && opts+=(--while-alive "$VYK_PCSCD_PID")
  "$VYK_PCSC" "${opts[@]}" "$@"
}

# A random even port P in 20000-32765 (below Linux's ephemeral range) with
# neither P nor P+1 in use by any TCP socket.
_vyk_free_port() {
  local -A used=()
  local f local_addr p _
  for f in /proc/net/tcp /proc/net/tcp6; do
    [ -r "$f" ] || continue
    while read -r _ local_addr _; do
      [ "$local_addr" = local_address ] && continue
      used[$((16#${local_addr##*:}))]=1
    done < "$f"
  done
  for _ in $(seq 1 100); do
    p=$((20000 + (RANDOM % 6383) * 2))
    if [ -z "${used[$p]:-}" ] && [ -z "${used[$((p + 1))]:-}" ]; then
      echo "$p"
      return 0
    fi
  done
  _vyk_fail "found no free pair of TCP ports in 20000-32765"
}

vyk_start_pcscd() {
  local dir=${1:?usage: vyk_start_pcscd DIR} port attempt sock private=1
  [ -x "${VIRTUAL_YUBIKEY:-}" ] || _vyk_fail "VIRTUAL_YUBIKEY does not name the virtual-yubikey program; meson sets it for tests" || return 1
  [ -x "${VYK_PCSC:-}" ] || _vyk_fail "VYK_PCSC does not name the vyk-pcsc program; meson sets it for tests" || return 1
  command -v pcscd >/dev/null || PATH=$PATH:/usr/sbin:/sbin
  command -v pcscd >/dev/null || _vyk_fail "pcscd is not installed (Debian package pcscd)" || return 1
  [ -e /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] \
    || _vyk_fail "vpcd is not installed (Debian package vsmartcard-vpcd)" || return 1

  VYK_DIR=$(cd "$dir" && pwd) || return 1
  mkdir -p "$VYK_DIR/run" "$VYK_DIR/reader.conf.d"
  sock=$VYK_DIR/run/pcscd.comm
  [ ${#sock} -lt 100 ] || _vyk_fail "the socket path $sock is too long for a Unix socket; use a shorter DIR" || return 1

  if [ ! -d /run/pcscd ] && ! mkdir -p /run/pcscd 2>/dev/null; then
    _vyk_fail "/run/pcscd does not exist and cannot be made; run as root or create it once" || return 1
  fi
  _vyk_unshare=(unshare -m --propagation private)
  [ "$(id -u)" = 0 ] || _vyk_unshare=(unshare -r -m --propagation private)
  if ! "${_vyk_unshare[@]}" true 2>/dev/null; then
    private=0
    echo "pcscd-env: no mount namespace here (${_vyk_unshare[*]} failed): pcscd uses the default socket /run/pcscd/pcscd.comm, one run at a time" >&2
    exec {_vyk_lock_fd}>/run/pcscd/vyk.lock || return 1
    flock -w 600 "$_vyk_lock_fd" \
      || _vyk_fail "another run holds /run/pcscd/vyk.lock" || return 1
    [ ! -S /run/pcscd/pcscd.comm ] \
      || _vyk_fail "a pcscd already runs on /run/pcscd/pcscd.comm; stop it (this harness needs its own)" || return 1
    sock=/run/pcscd/pcscd.comm
  fi

  _vyk_private=$private
  for attempt in 1 2 3 4 5; do
    port=$(_vyk_free_port) || return 1
    printf 'FRIENDLYNAME "%s"\nDEVICENAME /dev/null:0x%04X\nLIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so\n' \
      "$VYK_READER_NAME" "$port" > "$VYK_DIR/reader.conf.d/vpcd"
    export PCSCLITE_CSOCK_NAME=$sock
    : > "$VYK_DIR/pcscd.log"
    if _vyk_launch_pcscd; then
      VYK_PORT=$port
      VYK_READER0="$VYK_READER_NAME 00 00"
      VYK_READER1="$VYK_READER_NAME 00 01"
      return 0
    fi
    # vpcd could not listen on the port (taken since we looked): try another
    grep -q "Could not initialize connection to virtual ICC" "$VYK_DIR/pcscd.log" && continue
    _vyk_fail "pcscd did not come up with the vpcd reader:" || true
    sed 's/^/  /' "$VYK_DIR/wait.err" "$VYK_DIR/pcscd.log" >&2
    return 1
  done
  _vyk_fail "vpcd could not listen on any of 5 random ports; see $VYK_DIR/pcscd.log"
}

# Starts pcscd on DIR's reader config and waits for both vpcd slots.
_vyk_launch_pcscd() {
  local debug=()
  [ "${VYK_PCSCD_DEBUG:-0}" = 1 ] && debug=(-d)
  if [ "$_vyk_private" = 1 ]; then
    "${_vyk_unshare[@]}" sh -c 'd=$1; shift; mount --bind "$d" /run/pcscd && exec pcscd -f "$@"' vyk-pcscd \
      "$VYK_DIR/run" -c "$VYK_DIR/reader.conf.d" "${debug[@]}" >> "$VYK_DIR/pcscd.log" 2>&1 &
  else
    pcscd -f -c "$VYK_DIR/reader.conf.d" "${debug[@]}" >> "$VYK_DIR/pcscd.log" 2>&1 &
  fi
  VYK_PCSCD_PID=$!
  _vyk_pcsc wait-readers "$VYK_READER_NAME" 2 2> "$VYK_DIR/wait.err" && return 0
  kill "$VYK_PCSCD_PID" 2>/dev/null
  wait "$VYK_PCSCD_PID" 2>/dev/null
  VYK_PCSCD_PID=
  return 1
}

# vyk_restart_pcscd: stops pcscd and starts it again on the same ports; the
# cards connect again by themselves (use vyk_wait_card).
vyk_restart_pcscd() {
  [ -n "$VYK_PCSCD_PID" ] || _vyk_fail "pcscd is not running; call vyk_start_pcscd first" || return 1
  kill "$VYK_PCSCD_PID" 2>/dev/null
  wait "$VYK_PCSCD_PID" 2>/dev/null
  VYK_PCSCD_PID=
  _vyk_launch_pcscd && return 0
  _vyk_fail "pcscd did not come back on port $VYK_PORT:" || true
  sed 's/^/  /' "$VYK_DIR/wait.err" >&2
  tail -n 20 "$VYK_DIR/pcscd.log" | sed 's/^/  /' >&2
  return 1
}

vyk_reader() {
  local port=${1:?usage: vyk_reader PORT}
  case $((port - VYK_PORT)) in
    0) echo "$VYK_READER0" ;;
    1) echo "$VYK_READER1" ;;
    *) _vyk_fail "port $port is neither $VYK_PORT nor $((VYK_PORT + 1)), the vpcd reader's slots" ;;
  esac
}

vyk_start_card() {
  local port=${1:?usage: vyk_start_card PORT SERIAL KEY CERT [PINFILE [OPTION...]]} serial=${2:?serial} key=${3:?key} cert=${4:?cert}
  local pinfile=${5:--}
  shift 4
  if [ $# -gt 0 ]; then shift; fi
  vyk_reader "$port" > /dev/null || return 1
  local args=(--port "$port" --serial "$serial" --version "$VYK_VERSION" --key "$key" --cert "$cert"
              --pid-file "$VYK_DIR/card-$port.pid")
  [ "$pinfile" != - ] && args+=(--pin-file "$pinfile")
  "$VIRTUAL_YUBIKEY" "${args[@]}" "$@" > "$VYK_DIR/card-$port.log" 2>&1 &
  VYK_CARD_PID=$!
  _vyk_card_pids[$port]=$VYK_CARD_PID
}

vyk_wait_card() {
  _vyk_pcsc wait-card "${1:?usage: vyk_wait_card READER-SUBSTRING}"
}

vyk_wait_empty() {
  _vyk_pcsc wait-empty "${1:?usage: vyk_wait_empty READER-SUBSTRING}"
}

_vyk_signal_card() {
  local sig=$1 port=$2 pid=${_vyk_card_pids[$2]:-}
  [ -n "$pid" ] || _vyk_fail "no card was started on port $port" || return 1
  kill -"$sig" "$pid" 2>/dev/null || _vyk_fail "the card on port $port (pid $pid) is not running; see $VYK_DIR/card-$port.log"
}

vyk_remove() {
  local port=${1:?usage: vyk_remove PORT} reader
  reader=$(vyk_reader "$port") || return 1
  _vyk_signal_card USR1 "$port" && vyk_wait_empty "$reader"
}

vyk_insert() {
  local port=${1:?usage: vyk_insert PORT} reader
  reader=$(vyk_reader "$port") || return 1
  _vyk_signal_card USR2 "$port" && vyk_wait_card "$reader"
}

vyk_stop_card() {
  local port=${1:?usage: vyk_stop_card PORT} pid=${_vyk_card_pids[$1]:-}
  [ -n "$pid" ] || _vyk_fail "no card was started on port $port" || return 1
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  unset "_vyk_card_pids[$port]"
  vyk_wait_empty "$(vyk_reader "$port")"
}

vyk_stop() {
  local port pid
  for port in "${!_vyk_card_pids[@]}"; do
    pid=${_vyk_card_pids[$port]}
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  _vyk_card_pids=()
  if [ -n "$VYK_PCSCD_PID" ]; then
    kill "$VYK_PCSCD_PID" 2>/dev/null
    wait "$VYK_PCSCD_PID" 2>/dev/null
    VYK_PCSCD_PID=
  fi
  if [ -n "$_vyk_lock_fd" ]; then
    exec {_vyk_lock_fd}>&-
    _vyk_lock_fd=
  fi
  return 0
}
