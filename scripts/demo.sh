#!/usr/bin/env bash
# Offline demo: import the bundled sample feeds, pack the bundled sample image and scan it twice
# (the second scan reads no layer); then audit a sample compose file and harden it.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/drydock.cjs ] || npm run --silent build
OUT=${DRYDOCK_DEMO_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/drydock-demo.XXXXXX")}
node scripts/make-sample-image.mjs examples/sample-image "$OUT"
export DRYDOCK_CACHE_DIR="$OUT/cache"
echo
echo "\$ drydock db import examples/feeds    # real advisories (Go vulndb, PyPA, GitHub), bundled for the demo"
bin/drydock db import examples/feeds
echo
echo "\$ drydock image $OUT/oci:sample --list-all-pkgs"
bin/drydock image "$OUT/oci:sample" --list-all-pkgs
echo "\$ drydock image $OUT/sample.docker.tar --format json -o $OUT/report.json --debug   # same layers: from the cache"
bin/drydock image "$OUT/sample.docker.tar" --format json -o "$OUT/report.json" --debug 2>&1 | grep -E 'scan:|image:'
echo
echo "Trivy-shaped JSON report: $OUT/report.json"
echo
echo "\$ drydock audit examples/deploy --severity CRITICAL,HIGH    # runtime hardening: CIS Docker 5.x, Pod Security Standards, escapes"
bin/drydock audit examples/deploy --severity CRITICAL,HIGH
echo "\$ drydock harden examples/deploy/compose.yaml -o $OUT/compose.hardened.yaml"
bin/drydock harden examples/deploy/compose.yaml -o "$OUT/compose.hardened.yaml"
echo "\$ drydock audit $OUT/compose.hardened.yaml --severity CRITICAL,HIGH"
bin/drydock audit "$OUT/compose.hardened.yaml" --severity CRITICAL,HIGH
