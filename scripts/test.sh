#!/usr/bin/env bash
# The whole test suite, as CI runs it: build, lint, type-check, then real components
# (Debian images built from Debian's archive, docker-registry in three auth modes, PostgreSQL) and all tests.
# Needs root for the image build (mmdebstrap) and apt-get; everything runs on 127.0.0.1.
. "$(dirname "$0")/lib.sh"
cd "$DD_ROOT"
T0=$(now_s)
ensure_pkgs zstd gzip tar curl iproute2
# The reference implementations the version comparators and parsers are checked against (tests
# that find one missing fall back to committed oracle fixtures, but CI runs the real ones).
ensure_pkgs rpm python3-rpm python3-apt ruby php-cli php-composer-semver libmaven3-core-java \
  golang-go golang-golang-x-mod-dev librust-semver-dev
# The runtime the hardened OCI configs are proven under, and a static busybox for its rootfs; libcap2-bin
# (setcap) writes real file capabilities for the harden --image test.
ensure_pkgs runc busybox-static libcap2-bin
# The seccomp and AppArmor oracles: libseccomp (tables, filters from C), strace, apparmor_parser.
ensure_pkgs seccomp libseccomp-dev gcc libc6-dev strace apparmor
# The SELinux oracle: libsepol (secilc compiles a small MLS policy; setfiles -c validates contexts).
ensure_pkgs secilc policycoreutils
log "build"; npm run --silent build
log "lint"; npx biome check src test bench scripts
log "typecheck"; npx tsc -p tsconfig.json --noEmit
log "test images"; IMAGES=$(bash scripts/build-test-images.sh)
log "registries"; bash scripts/registry.sh start "$IMAGES"
trap 'bash scripts/registry.sh stop; bash scripts/postgres.sh stop; bash scripts/notary.sh stop' EXIT
export DRYDOCK_TEST_IMAGES="$IMAGES" DRYDOCK_TEST_REGISTRY=1
# PostgreSQL on 127.0.0.1 for the PostgreSQL vulnerability store.
DRYDOCK_TEST_PG=$(bash scripts/postgres.sh start)
export DRYDOCK_TEST_PG
# Debian's notary-server + notary-signer (TLS, token auth) and the notary CLI: the interop oracle.
log "notary"; eval "$(bash scripts/notary.sh start | sed -n 's/^\(DRYDOCK_TEST_NOTARY[A-Z_]*=\)/export \1/p')"
mapfile -t FILES < <(find test -name '*.test.ts' | sort)
log "node --test (${#FILES[@]} files)"
MARK="$DD_TEST_HOME/tmp/tests-started.$$"
touch "$MARK"
node --import tsx --test --test-concurrency=2 --test-reporter=spec "${FILES[@]}"
# The shared data is read-only input: a test that writes there (SQLite -shm/-wal files beside a
# database opened by path, say) fails the run.
SHARED_DIR="$DD_ROOT/../shared"
if [ -d "$SHARED_DIR" ]; then
  CHANGED=$(find "$SHARED_DIR/" -newer "$MARK" 2>/dev/null | head -5)
  [ -z "$CHANGED" ] || die "tests wrote into ../shared: $CHANGED"
fi
rm -f "$MARK"
log "all tests passed in $(elapsed "$T0")s"
