#!/usr/bin/env bash
# notary.sh start | stop | env — Debian's notary-signer + notary-server (0.7) on loopback for the tests:
#   notary-signer   gRPC + mutual TLS   127.0.0.1:17899  (holds the server-managed timestamp/snapshot keys)
#   notary-server   https://127.0.0.1:14443              no auth
#   notary-server   https://127.0.0.1:14444              token auth (Bearer, realm http://127.0.0.1:14445/token,
#                                                        dduser/ddpass may push; anonymous may pull)
# TLS: a throw-away CA and server/signer certificates (SAN localhost, 127.0.0.1) in $DD_TEST_HOME/notary/certs.
# Storage is memory only (Debian's build has no sqlite3 driver): a restart forgets every repository,
# so tests use a fresh GUN each run instead of restarting.
# `start` is idempotent (reuses services that are up and healthy; a lock serialises concurrent starts)
# and prints, one per line, for the test runner (eval-able):
#   DRYDOCK_TEST_NOTARY=https://127.0.0.1:14443
#   DRYDOCK_TEST_NOTARY_TOKEN=https://127.0.0.1:14444
#   DRYDOCK_TEST_NOTARY_CA=<dir>/certs/root-ca.crt
# `env` prints the same lines when the services are up (exit 1 otherwise); `stop` stops them by PID file.
. "$(dirname "$0")/lib.sh"

N="$DD_TEST_HOME/notary"
SIGNER_PORT=${DRYDOCK_NOTARY_SIGNER_PORT:-17899}
SERVER_PORT=${DRYDOCK_NOTARY_PORT:-14443}
TOKEN_SERVER_PORT=$((SERVER_PORT + 1))
TOKEN_PORT=$((SERVER_PORT + 2))
CA="$N/certs/root-ca.crt"
PIDS=(server-token.pid server.pid token.pid signer.pid)

print_env() {
  echo "DRYDOCK_TEST_NOTARY=https://127.0.0.1:$SERVER_PORT"
  echo "DRYDOCK_TEST_NOTARY_TOKEN=https://127.0.0.1:$TOKEN_SERVER_PORT"
  echo "DRYDOCK_TEST_NOTARY_CA=$CA"
}
alive() { [ -f "$N/$1" ] && kill -0 "$(cat "$N/$1")" 2>/dev/null; }
healthy() {
  local p
  for p in "${PIDS[@]}"; do alive "$p" || return 1; done
  curl -sf --cacert "$CA" -o /dev/null "https://127.0.0.1:$SERVER_PORT/_notary_server/health" &&
    curl -sf --cacert "$CA" -o /dev/null "https://127.0.0.1:$TOKEN_SERVER_PORT/_notary_server/health"
}
stop_all() { local p; for p in "${PIDS[@]}"; do stop_pidfile "$N/$p"; done; }
port_free() { ! ss -ltnH "( sport = :$1 )" 2>/dev/null | grep -q . || die "port $1 is in use"; }
wait_port() { # port logfile
  for _ in $(seq 1 100); do ss -ltnH "( sport = :$1 )" | grep -q . && return 0; sleep 0.1; done
  tail "$2" >&2; return 1
}
wait_health() { # url logfile
  for _ in $(seq 1 100); do curl -sf --cacert "$CA" -o /dev/null "$1" && return 0; sleep 0.1; done
  tail "$2" >&2; return 1
}

make_certs() {
  [ -f "$N/certs/.complete" ] && return 0
  rm -rf "$N/certs"; mkdir -p "$N/certs"
  (
    cd "$N/certs"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout root-ca.key -out root-ca.crt -days 3650 -sha256 \
      -subj "/CN=drydock test Notary CA" -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    for n in notary-server notary-signer; do
      openssl req -new -newkey rsa:2048 -nodes -keyout $n.key -out $n.csr -subj "/CN=$n" 2>/dev/null
      printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:%s,DNS:localhost,IP:127.0.0.1\n' $n > $n.ext
      openssl x509 -req -in $n.csr -CA root-ca.crt -CAkey root-ca.key -CAcreateserial -days 3650 -sha256 \
        -extfile $n.ext -out $n.crt 2>/dev/null
    done
    openssl verify -CAfile root-ca.crt notary-server.crt notary-signer.crt >/dev/null
    # The token issuer's key and certificate (the notary-server with token auth trusts this bundle).
    openssl req -x509 -newkey rsa:2048 -nodes -keyout token.key -out token.crt -days 3650 \
      -subj "/CN=drydock-test-notary-issuer" 2>/dev/null
    touch .complete
  ) || die "certificate generation failed"
}

write_configs() {
  cat > "$N/signer.json" <<EOF
{
  "server": {
    "grpc_addr": "127.0.0.1:$SIGNER_PORT",
    "tls_cert_file": "$N/certs/notary-signer.crt",
    "tls_key_file": "$N/certs/notary-signer.key",
    "client_ca_file": "$CA"
  },
  "logging": { "level": "warn" },
  "storage": { "backend": "memory" }
}
EOF
  local ts
  ts='{ "type": "remote", "hostname": "127.0.0.1", "port": "'$SIGNER_PORT'", "tls_ca_file": "'$CA'",
    "key_algorithm": "ecdsa", "tls_client_cert": "'$N'/certs/notary-server.crt",
    "tls_client_key": "'$N'/certs/notary-server.key" }'
  cat > "$N/server.json" <<EOF
{
  "server": {
    "http_addr": "127.0.0.1:$SERVER_PORT",
    "tls_key_file": "$N/certs/notary-server.key",
    "tls_cert_file": "$N/certs/notary-server.crt"
  },
  "trust_service": $ts,
  "logging": { "level": "warn" },
  "storage": { "backend": "memory" }
}
EOF
  cat > "$N/server-token.json" <<EOF
{
  "server": {
    "http_addr": "127.0.0.1:$TOKEN_SERVER_PORT",
    "tls_key_file": "$N/certs/notary-server.key",
    "tls_cert_file": "$N/certs/notary-server.crt"
  },
  "trust_service": $ts,
  "auth": {
    "type": "token",
    "options": {
      "realm": "http://127.0.0.1:$TOKEN_PORT/token",
      "service": "drydock-test-notary",
      "issuer": "drydock-test-notary-issuer",
      "rootcertbundle": "$N/certs/token.crt"
    }
  },
  "logging": { "level": "warn" },
  "storage": { "backend": "memory" }
}
EOF
}

start() {
  if healthy; then print_env; return 0; fi
  ensure_pkgs notary openssl curl iproute2
  stop_all
  for p in "$SIGNER_PORT" "$SERVER_PORT" "$TOKEN_SERVER_PORT" "$TOKEN_PORT"; do port_free "$p"; done
  make_certs
  write_configs
  local t0; t0=$(now_s)
  nohup notary-signer -config "$N/signer.json" > "$N/signer.log" 2>&1 9>&- &
  echo $! > "$N/signer.pid"
  wait_port "$SIGNER_PORT" "$N/signer.log" || die "notary-signer did not start"
  nohup node "$DD_ROOT/scripts/registry-token-server.mjs" "$N/certs/token.key" "$N/certs/token.crt" \
    "$TOKEN_PORT" drydock-test-notary-issuer > "$N/token.log" 2>&1 9>&- &
  echo $! > "$N/token.pid"
  wait_port "$TOKEN_PORT" "$N/token.log" || die "token server did not start"
  nohup notary-server -config "$N/server.json" > "$N/server.log" 2>&1 9>&- &
  echo $! > "$N/server.pid"
  nohup notary-server -config "$N/server-token.json" > "$N/server-token.log" 2>&1 9>&- &
  echo $! > "$N/server-token.pid"
  wait_health "https://127.0.0.1:$SERVER_PORT/_notary_server/health" "$N/server.log" || die "notary-server did not start"
  wait_health "https://127.0.0.1:$TOKEN_SERVER_PORT/_notary_server/health" "$N/server-token.log" ||
    die "notary-server (token auth) did not start"
  log "notary up on 127.0.0.1:$SERVER_PORT (+ token auth on :$TOKEN_SERVER_PORT) in $(elapsed "$t0")s"
  print_env
}

mkdir -p "$N"
case "${1:-}" in
  start)
    exec 9> "$N/.lock"
    flock -w 120 9 || die "another notary.sh holds $N/.lock"
    start
    ;;
  stop)
    exec 9> "$N/.lock"
    flock -w 120 9 || die "another notary.sh holds $N/.lock"
    stop_all
    log "notary stopped"
    ;;
  env) healthy || die "notary is not running (scripts/notary.sh start)"; print_env ;;
  *) die "usage: notary.sh start | stop | env" ;;
esac
