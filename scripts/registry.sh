#!/usr/bin/env bash
# registry.sh start IMAGES_DIR | stop — Debian's docker-registry (distribution 2.8) on loopback, three ways:
#   plain  http://127.0.0.1:15000  no auth
#   basic  http://127.0.0.1:15001  htpasswd (bcrypt), user dduser / ddpass
#   token  http://127.0.0.1:15002  Bearer tokens from http://127.0.0.1:15003/token (dduser/ddpass: any
#          scope; anonymous: pull only)
# start pushes to each: dd/debian-app:1.0 (OCI), dd/debian-app:1.0-docker (Docker v2s2),
# dd/debian-old:1.0, dd/debian-current:1.0, dd/multi:1.0 (two-platform OCI index) and
# dd/multi:1.0-docker (the same as a Docker manifest list).
# Idempotent: start stops what a previous start left running. State: $DRYDOCK_TEST_HOME/registry-*.
. "$(dirname "$0")/lib.sh"

CMD=${1:-}
R="$DD_TEST_HOME/registry"
stop_all() {
  for m in plain basic token; do stop_pidfile "$R/$m/registry.pid"; done
  stop_pidfile "$R/token/token-server.pid"
}
case "$CMD" in
  stop) stop_all; log "registries stopped"; exit 0 ;;
  start) IMAGES=${2:?usage: registry.sh start IMAGES_DIR} ;;
  *) die "usage: registry.sh start IMAGES_DIR | stop" ;;
esac
ensure_pkgs docker-registry apache2-utils skopeo curl openssl iproute2
stop_all

start_one() { # name port extra-yaml
  local name=$1 port=$2 extra=$3 dir="$R/$1"
  rm -rf "$dir/data"; mkdir -p "$dir/data"
  if ss -ltnH "( sport = :$port )" 2>/dev/null | grep -q .; then die "port $port is in use"; fi
  cat > "$dir/config.yml" <<YML
version: 0.1
log: { level: warn }
storage:
  filesystem: { rootdirectory: $dir/data }
  delete: { enabled: true }
http:
  addr: 127.0.0.1:$port
  secret: drydock-test-not-a-secret
$extra
YML
  nohup docker-registry serve "$dir/config.yml" > "$dir/registry.log" 2>&1 &
  echo $! > "$dir/registry.pid"
  wait_http "http://127.0.0.1:$port/v2/" || { tail "$dir/registry.log"; die "registry $name did not start"; }
}

push_all() { # port skopeo-args...
  local port=$1; shift
  dd_skopeo copy -q --dest-tls-verify=false "$@" "oci:$IMAGES/oci:debian-app" "docker://127.0.0.1:$port/dd/debian-app:1.0"
  dd_skopeo copy -q --dest-tls-verify=false "$@" --format v2s2 "oci:$IMAGES/oci:debian-app" "docker://127.0.0.1:$port/dd/debian-app:1.0-docker"
  dd_skopeo copy -q --dest-tls-verify=false "$@" "oci:$IMAGES/oci:debian-old" "docker://127.0.0.1:$port/dd/debian-old:1.0"
  dd_skopeo copy -q --dest-tls-verify=false "$@" "oci:$IMAGES/oci:debian-current" "docker://127.0.0.1:$port/dd/debian-current:1.0"
  dd_skopeo copy -q --dest-tls-verify=false "$@" --all "oci:$IMAGES/oci:multi" "docker://127.0.0.1:$port/dd/multi:1.0"
  dd_skopeo copy -q --dest-tls-verify=false "$@" --all --format v2s2 "oci:$IMAGES/oci:multi" "docker://127.0.0.1:$port/dd/multi:1.0-docker"
}

T0=$(now_s)
start_one plain 15000 ""
push_all 15000

mkdir -p "$R/basic"
htpasswd -Bbn dduser ddpass > "$R/basic/htpasswd"
start_one basic 15001 "auth:
  htpasswd: { realm: drydock-basic, path: $R/basic/htpasswd }"
push_all 15001 --dest-creds dduser:ddpass

mkdir -p "$R/token"
[ -f "$R/token/token.key" ] || openssl req -x509 -newkey rsa:2048 -nodes -keyout "$R/token/token.key" \
  -out "$R/token/token.crt" -days 3650 -subj "/CN=drydock-test-issuer" 2>/dev/null
nohup node "$DD_ROOT/scripts/registry-token-server.mjs" "$R/token/token.key" "$R/token/token.crt" 15003 \
  > "$R/token/token-server.log" 2>&1 &
echo $! > "$R/token/token-server.pid"
wait_http "http://127.0.0.1:15003/token" || die "token server did not start"
start_one token 15002 "auth:
  token:
    realm: http://127.0.0.1:15003/token
    service: drydock-test-registry
    issuer: drydock-test-issuer
    rootcertbundle: $R/token/token.crt"
push_all 15002 --dest-creds dduser:ddpass
log "registries up on 127.0.0.1:15000-15003 in $(elapsed "$T0")s"
