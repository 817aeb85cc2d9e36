#!/usr/bin/env bash
# PostgreSQL for the tests, on 127.0.0.1 only, idempotent:
#   scripts/postgres.sh start   -> prints the connection URL (postgres://drydock@127.0.0.1:15432/drydock)
#   scripts/postgres.sh stop
# Debian's postgresql package; a private cluster under $DD_TEST_HOME/pg owned by the postgres user,
# trust authentication for loopback only (a throwaway test server).
. "$(dirname "$0")/lib.sh"
PORT=${DRYDOCK_PG_PORT:-15432}
DIR="$DD_TEST_HOME/pg"
URL="postgres://drydock@127.0.0.1:$PORT/drydock"
cmd=${1:-start}
bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
start)
  ensure_pkgs postgresql
  BIN=$(bin_dir)
  [ -n "$BIN" ] || die "no PostgreSQL binaries under /usr/lib/postgresql"
  mkdir -p "$DIR"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$DIR"; fi
  if [ ! -f "$DIR/data/PG_VERSION" ]; then
    as_pg "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 >/dev/null
    {
      echo "listen_addresses = '127.0.0.1'"
      echo "port = $PORT"
      echo "unix_socket_directories = '$DIR'"
      echo "fsync = off"
    } >> "$DIR/data/postgresql.conf"
    printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' > "$DIR/data/pg_hba.conf"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$DIR/data/pg_hba.conf"; fi
  fi
  if ! as_pg "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
    as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w start >/dev/null || { tail -20 "$DIR/log"; die "postgres did not start"; }
  fi
  psql_pg() { as_pg "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres "$@"; }
  psql_pg -tAc "SELECT 1 FROM pg_roles WHERE rolname='drydock'" | grep -q 1 || psql_pg -qc "CREATE ROLE drydock LOGIN" >/dev/null
  psql_pg -tAc "SELECT 1 FROM pg_database WHERE datname='drydock'" | grep -q 1 ||
    psql_pg -qc "CREATE DATABASE drydock OWNER drydock" >/dev/null
  echo "$URL"
  ;;
stop)
  BIN=$(bin_dir)
  if [ -n "$BIN" ] && [ -f "$DIR/data/PG_VERSION" ]; then as_pg "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null 2>&1 || true; fi
  ;;
*) die "usage: postgres.sh start|stop" ;;
esac
