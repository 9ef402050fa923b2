#!/usr/bin/env bash
# Runs a command inside a private, real desktop session, so tests meet the same parts a
# person's desktop has, and never touch the person's own:
#
#   - a temp HOME and XDG_{CONFIG,DATA,STATE,CACHE}_HOME, XDG_RUNTIME_DIR (0700), all under
#     one `mktemp -d` that is deleted afterwards (CARGO_HOME, RUSTUP_HOME and PYENV_ROOT stay
#     pinned to their real places so cargo and python still work);
#   - a kernel session keyring (`keyctl session -`);
#   - an X display (Xvfb via `xvfb-run -a`), unless --no-display;
#   - a private session bus (`dbus-run-session`);
#   - a Secret Service: gnome-keyring-daemon with an unlocked login keyring, checked with a
#     store/lookup/clear round trip before CMD runs;
#   - a notification server (dunst on that display and bus), checked with a
#     GetServerInformation call, unless --no-display.
#
# Usage:
#   scripts/with-session.sh [--no-keyring | --reuse] [--no-display] [--] CMD [ARG...]
#   scripts/with-session.sh --check
#
#   --no-keyring  the session has no Secret Service at all (nothing on the bus can start
#                 one), to test how chatkey reports a missing keyring
#   --reuse       when the current session bus already has a working Secret Service, run
#                 CMD right there (the person's own desktop); otherwise make a session
#   --no-display  no X display and no notification server: only the bus and the Secret
#                 Service (what `chatkey demo` needs), so Xvfb and dunst need not be installed
#   --check       exit 0 when the current session bus has a working Secret Service
#
# CMD's exit status is the script's exit status. Processes CMD leaves behind (a daemon it
# started, say) are stopped when it ends: they carry CHATKEY_WITH_SESSION_ID in their
# environment, which is how they are told apart from everything else on the machine.
# Environment for CMD, besides the above: DISPLAY, XAUTHORITY, DBUS_SESSION_BUS_ADDRESS,
# GNOME_KEYRING_CONTROL (when gnome-keyring prints one), NO_AT_BRIDGE=1,
# GSETTINGS_BACKEND=memory, CHATKEY_SESSION_DIR (the temp dir, with dunst.log).
set -euo pipefail

prog=with-session
self=$(readlink -f "$0")

log() { echo "$prog: $*" >&2; }
die() {
  echo "$prog: error: $*" >&2
  exit 1
}

usage() {
  sed -n '2,/^set -euo/p' "$self" | sed '$d; s/^# \{0,1\}//' >&2
  exit "${1:-2}"
}

# ---------------------------------------------------------------------------------------
# Probes (all bounded: nothing here can hang a CI job)

bus_reachable() {
  [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || return 1
  timeout 10 dbus-send --session --print-reply --reply-timeout=5000 --dest=org.freedesktop.DBus \
    /org/freedesktop/DBus org.freedesktop.DBus.GetId >/dev/null 2>&1
}

name_has_owner() {
  timeout 10 dbus-send --session --print-reply=literal --reply-timeout=5000 \
    --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner \
    "string:$1" 2>/dev/null | grep -q true
}

name_activatable() {
  timeout 10 dbus-send --session --print-reply --reply-timeout=5000 \
    --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.ListActivatableNames 2>/dev/null | grep -qF "string \"$1\""
}

# Read-only: asks the Secret Service for its collections (starts it when it is activatable).
# Used on a person's own bus, where we must not write probe secrets into their keyring.
secret_service_answers() {
  bus_reachable || return 1
  timeout 30 dbus-send --session --print-reply --reply-timeout=25000 \
    --dest=org.freedesktop.secrets /org/freedesktop/secrets \
    org.freedesktop.DBus.Properties.Get \
    string:org.freedesktop.Secret.Service string:Collections >/dev/null 2>&1
}

notifications_answer() {
  timeout 10 dbus-send --session --print-reply --reply-timeout=5000 \
    --dest=org.freedesktop.Notifications /org/freedesktop/Notifications \
    org.freedesktop.Notifications.GetServerInformation >/dev/null 2>&1
}

# wait_until SECONDS COMMAND...: polls every 0.1 s.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

require_commands() {
  local missing=() entry cmd pkg
  for entry in "$@"; do
    cmd=${entry%%:*}
    pkg=${entry#*:}
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd (Debian package $pkg)")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    die "missing: ${missing[*]}; run \`make deps\` (or scripts/ensure-apt.sh with those packages)"
  fi
}

# ---------------------------------------------------------------------------------------
# Inner stage: runs inside keyctl/xvfb-run/dbus-run-session, with the temp dirs in place.

kill_leftovers() {
  local marker="CHATKEY_WITH_SESSION_ID=$CHATKEY_WITH_SESSION_ID" file pid pids=() noisy=()
  for file in /proc/[0-9]*/environ; do
    pid=${file#/proc/}
    pid=${pid%/environ}
    [ "$pid" != "$$" ] || continue
    grep -qzxF "$marker" "$file" 2>/dev/null || continue
    pids+=("$pid")
    case "$(cat "/proc/$pid/comm" 2>/dev/null)" in
      dunst | gnome-keyring-d*) ;;
      "") ;;
      *) noisy+=("$pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-120))") ;;
    esac
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  if [ ${#noisy[@]} -gt 0 ]; then
    log "stopping processes the command left running:"
    printf '  %s\n' "${noisy[@]}" >&2
  fi
  kill -TERM "${pids[@]}" 2>/dev/null || true
  local deadline=$((SECONDS + 5)) alive
  while :; do
    alive=()
    for pid in "${pids[@]}"; do
      # A zombie is gone as far as we care (its parent, not us, has to reap it).
      if kill -0 "$pid" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null; then
        alive+=("$pid")
      fi
    done
    [ ${#alive[@]} -gt 0 ] || return 0
    [ "$SECONDS" -lt "$deadline" ] || break
    sleep 0.1
  done
  log "killing (SIGKILL) what ignored SIGTERM: ${alive[*]}"
  kill -KILL "${alive[@]}" 2>/dev/null || true
}

start_notification_server() {
  dunst </dev/null >"$CHATKEY_SESSION_DIR/dunst.log" 2>&1 &
  if ! wait_until 15 notifications_answer; then
    log "dunst log:"
    sed 's/^/  /' "$CHATKEY_SESSION_DIR/dunst.log" >&2 || true
    die "the notification server (dunst on $DISPLAY) does not answer on the session bus"
  fi
}

start_secret_service() {
  local out line
  if ! out=$(printf %s pw | timeout 30 gnome-keyring-daemon --unlock --components=secrets 2>"$CHATKEY_SESSION_DIR/gnome-keyring.log"); then
    sed 's/^/  /' "$CHATKEY_SESSION_DIR/gnome-keyring.log" >&2 || true
    die "gnome-keyring-daemon --unlock failed"
  fi
  while IFS= read -r line; do
    case "$line" in
      [A-Z]*=*) export "${line?}" ;;
    esac
  done <<<"$out"

  if ! wait_until 15 name_has_owner org.freedesktop.secrets; then
    sed 's/^/  /' "$CHATKEY_SESSION_DIR/gnome-keyring.log" >&2 || true
    die "gnome-keyring-daemon started but nobody owns org.freedesktop.secrets on the session bus"
  fi

  # A real round trip: store, look up, clear.
  local attr=(chatkey-with-session probe) value="probe-$CHATKEY_WITH_SESSION_ID" got
  printf %s "$value" | timeout 30 secret-tool store --label="chatkey with-session probe" \
    "${attr[@]}" 2>"$CHATKEY_SESSION_DIR/secret-tool.log" || true
  got=$(timeout 30 secret-tool lookup "${attr[@]}" 2>>"$CHATKEY_SESSION_DIR/secret-tool.log" </dev/null || true)
  if [ "$got" != "$value" ]; then
    sed 's/^/  /' "$CHATKEY_SESSION_DIR/secret-tool.log" "$CHATKEY_SESSION_DIR/gnome-keyring.log" >&2 || true
    die "the Secret Service does not work: a secret stored with secret-tool could not be read back"
  fi
  timeout 30 secret-tool clear "${attr[@]}" </dev/null || die "secret-tool clear failed"
}

inner_stage() {
  local mode=$1 display=$2
  shift 2
  exec 2>&3 3>&-
  : >"$CHATKEY_SESSION_DIR/inner-started"
  CHATKEY_WITH_SESSION_ID=$(od -An -N8 -tx8 /dev/urandom | tr -d ' \n')
  export CHATKEY_WITH_SESSION_ID
  trap kill_leftovers EXIT
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 143' TERM

  local screen="no display, no notifications (as asked)"
  if [ "$display" = 1 ]; then
    start_notification_server
    screen="DISPLAY=$DISPLAY, notifications on"
  fi
  if [ "$mode" = keyring ]; then
    start_secret_service
    log "session ready: $screen, private bus, Secret Service unlocked"
  else
    if name_has_owner org.freedesktop.secrets || name_activatable org.freedesktop.secrets; then
      die "--no-keyring: a Secret Service is reachable on the private bus, it should not be"
    fi
    log "session ready: $screen, private bus, NO Secret Service (as asked)"
  fi

  local rc=0
  "$@" || rc=$?
  exit "$rc"
}

# ---------------------------------------------------------------------------------------
# Outer stage: make the temp dirs, then re-enter this script inside the session.

no_keyring_bus_config() {
  mkdir -p "$1/dbus-services"
  cat >"$1/dbus-session.conf" <<XML
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<!-- Debian's session.conf, minus the standard service directories: nothing can be
     activated, so no Secret Service can appear on this bus. -->
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <servicedir>$1/dbus-services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
XML
}

outer_stage() {
  local mode=$1 display=$2
  shift 2
  require_commands dbus-run-session:dbus-daemon dbus-send:dbus-bin
  if [ "$display" = 1 ]; then
    require_commands xvfb-run:xvfb Xvfb:xvfb xauth:xauth dunst:dunst
  fi
  if [ "$mode" = keyring ]; then
    require_commands gnome-keyring-daemon:gnome-keyring secret-tool:libsecret-tools
  fi

  # Keep the toolchains where they are before HOME moves.
  local real_home=${HOME:-}
  if [ -z "$real_home" ]; then
    real_home=$(getent passwd "$(id -u)" | cut -d: -f6 || true)
  fi
  if [ -n "$real_home" ]; then
    export CARGO_HOME="${CARGO_HOME:-$real_home/.cargo}"
    export RUSTUP_HOME="${RUSTUP_HOME:-$real_home/.rustup}"
    if [ -z "${PYENV_ROOT:-}" ] && [ -d "$real_home/.pyenv" ]; then
      export PYENV_ROOT="$real_home/.pyenv"
    fi
  fi

  local tmp
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/chatkey-session.XXXXXX")
  # shellcheck disable=SC2064  # expand $tmp now
  trap "rm -rf '$tmp' 2>/dev/null || true" EXIT
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 143' TERM
  chmod 0700 "$tmp"
  mkdir -m 0700 "$tmp/home" "$tmp/config" "$tmp/data" "$tmp/state" "$tmp/cache" "$tmp/runtime"

  export CHATKEY_SESSION_DIR="$tmp"
  export HOME="$tmp/home"
  export XDG_CONFIG_HOME="$tmp/config"
  export XDG_DATA_HOME="$tmp/data"
  export XDG_STATE_HOME="$tmp/state"
  export XDG_CACHE_HOME="$tmp/cache"
  export XDG_RUNTIME_DIR="$tmp/runtime"
  export NO_AT_BRIDGE=1
  export GSETTINGS_BACKEND=memory
  # Nothing of a surrounding desktop leaks in.
  unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY XAUTHORITY GNOME_KEYRING_CONTROL \
    SSH_AUTH_SOCK SESSION_MANAGER DBUS_STARTER_ADDRESS DBUS_STARTER_BUS_TYPE

  local dbus_args=()
  if [ "$mode" = no-keyring ]; then
    no_keyring_bus_config "$tmp"
    dbus_args=(--config-file="$tmp/dbus-session.conf")
  fi

  # The kernel keyring (keyutils) only works inside a session keyring. Some containers
  # forbid keyctl; the Secret Service does not need it, so go on without it there.
  local keyctl=()
  if command -v keyctl >/dev/null 2>&1 && keyctl session - true >/dev/null 2>&1; then
    keyctl=(keyctl session -)
  else
    log "warning: no kernel session keyring (keyctl missing or forbidden here); continuing without"
  fi

  # The session's own chatter (keyctl's "Joined session keyring", dbus-daemon's activation
  # notes, Xvfb) goes to session.log; the inner stage gives CMD the real stderr back (fd 3).
  # The log is shown only when the session could not be set up.
  local rc=0 xvfb=()
  if [ "$display" = 1 ]; then
    xvfb=(xvfb-run -a -s "-screen 0 1280x1024x24 -nolisten tcp")
  fi
  "${keyctl[@]}" "${xvfb[@]}" \
    dbus-run-session "${dbus_args[@]}" -- "$self" --inner-stage "$mode" "$display" -- "$@" \
    3>&2 2>"$tmp/session.log" || rc=$?
  if [ "$rc" -ne 0 ] && [ ! -e "$tmp/inner-started" ]; then
    log "could not set up the session (exit $rc); its log:"
    sed 's/^/  /' "$tmp/session.log" >&2 || true
  fi
  exit "$rc"
}

# ---------------------------------------------------------------------------------------

main() {
  local mode=keyring reuse=0 display=1
  while [ $# -gt 0 ]; do
    case "$1" in
      --inner-stage)
        shift
        local inner_mode=$1 inner_display=$2
        shift 2
        [ "${1:-}" = -- ] && shift
        inner_stage "$inner_mode" "$inner_display" "$@"
        ;;
      --no-keyring) mode=no-keyring ;;
      --no-display) display=0 ;;
      --reuse) reuse=1 ;;
      --check)
        if secret_service_answers; then
          log "a Secret Service answers on the current session bus"
          exit 0
        fi
        log "no working Secret Service on the current session bus"
        exit 1
        ;;
      -h | --help) usage 0 ;;
      --) shift && break ;;
      -*) echo "$prog: unknown option $1" >&2 && usage 2 ;;
      *) break ;;
    esac
    shift
  done
  [ $# -gt 0 ] || usage 2
  if [ "$reuse" = 1 ] && [ "$mode" = no-keyring ]; then
    die "--reuse and --no-keyring do not go together"
  fi

  if [ "$reuse" = 1 ]; then
    if secret_service_answers; then
      log "reusing the current session (its Secret Service answers)"
      exec "$@"
    fi
    log "no working Secret Service on the current session bus; making a private session"
  fi
  outer_stage "$mode" "$display" "$@"
}

main "$@"
