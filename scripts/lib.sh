# shellcheck shell=bash
# Helpers shared by drydock's test/demo scripts. Source it: . "$(dirname "$0")/lib.sh"
set -euo pipefail

DD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Everything the test setup writes lives under DD_TEST_HOME (outside the checkout).
DD_TEST_HOME="${DRYDOCK_TEST_HOME:-/var/tmp/drydock-test}"
mkdir -p "$DD_TEST_HOME/tmp"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }
now_s() { date +%s.%N | cut -c1-14; }
elapsed() { awk -v a="$1" -v b="$(now_s)" 'BEGIN{printf "%.1f", b-a}'; }

_DD_APT_UPDATED=0
# ensure_pkgs pkg...: apt-get install what is missing (apt-get update once per run).
ensure_pkgs() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "need root to install: ${missing[*]}"
  if [ "$_DD_APT_UPDATED" = 0 ]; then
    log "apt-get update"
    apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
    _DD_APT_UPDATED=1
  fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# skopeo as root writes a blob-info cache under /var/lib/containers; keep it in our own dir.
dd_skopeo() {
  mkdir -p "$DD_TEST_HOME/xdg-data"
  _CONTAINERS_ROOTLESS_UID=1000 XDG_DATA_HOME="$DD_TEST_HOME/xdg-data" TMPDIR="$DD_TEST_HOME/tmp" skopeo "$@"
}

wait_http() { # URL [tries]
  local url=$1 tries=${2:-100} i
  for ((i = 0; i < tries; i++)); do
    if curl -s -o /dev/null "$url"; then return 0; fi
    sleep 0.1
  done
  return 1
}

stop_pidfile() {
  local f=$1 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}
