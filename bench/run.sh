#!/usr/bin/env bash
# Benchmarks, each as a ratio against a baseline measured in the same run:
#   1. cold scan of debian-app (OCI layout, 5 gzip layers) vs `gzip -dc | tar -t` of the same layers
#   2. warm scan (layer cache) vs cold scan; the same for debian-app pulled from a local registry
#   3. a generated 1 GiB image (4 gzip layers): time vs gzip|tar -t, peak RSS
#   4. a generated layer with 1,000,000 small files: time vs gzip|tar -t, peak RSS
#   5. inventory: a generated image of 100,000 files (dpkg, 3,000 node_modules packages, 1,500
#      Python distributions, a 5,000-entry package-lock.json) vs gzip|tar -t; cold / warm; RSS
#   7. vulnerability data: `db import` of every feed in ../shared/data (time, DB size, RSS) vs
#      reading the same files (cat); matching: warm scans with the database vs --scanners none
#   8. audit: 1,000 generated Kubernetes manifest files (bench/generate-manifests.ts) vs parsing the
#      same YAML with the same yaml package and nothing else (bench/yaml-parse.mjs), and vs PyYAML's
#      libyaml loader; peak RSS
#   6. inventory of the largest rpm database we build (bench/rpmdb.sh: 10,000 packages, 400,000
#      files; SQLite and Berkeley DB) vs `rpm -qa` of the same database, peak RSS
# Usage: bench/run.sh [RUNS]   (default 3; medians reported). Writes bench/results/latest.md.
#   9. trust: a Notary repository with 10,000 signed tags on `drydock trust server`, read cold (TOFU,
#      empty trust dir) by `drydock trust inspect` vs the real `notary list`; peak RSS
# BENCH_ONLY=audit bench/run.sh [RUNS] runs section 8 alone (prints, writes nothing); BENCH_ONLY=trust, section 9.
. "$(dirname "$0")/../scripts/lib.sh"
cd "$DD_ROOT"
RUNS=${1:-3}
ensure_pkgs time jq gzip tar python3-yaml
[ -f dist/drydock.cjs ] || npm run --silent build
mkdir -p "$DD_TEST_HOME/tmp"
TMP=$(mktemp -d "$DD_TEST_HOME/tmp/bench.XXXXXX")
if [ -z "${BENCH_ONLY:-}" ]; then # the single-section runs need none of the images
  IMAGES=$(bash scripts/build-test-images.sh)
  BENCH="$DD_TEST_HOME/bench"
  GEN_HASH=$(cat bench/generate.ts test/helpers/tar.ts | sha256sum | cut -c1-12)
  for k in big many inventory; do
    if [ ! -f "$BENCH/$k-$GEN_HASH/index.json" ]; then
      log "generating the $k image"
      rm -rf "$BENCH/$k-"*
      node --import tsx bench/generate.ts "$k" "$BENCH/$k-$GEN_HASH" >/dev/null
    fi
  done
  RPMDB=$(bash bench/rpmdb.sh 10000 40)
  bash scripts/registry.sh start "$IMAGES" >/dev/null 2>&1
  trap 'rm -rf "$TMP"; bash scripts/registry.sh stop >/dev/null 2>&1' EXIT
else
  trap 'rm -rf "$TMP"' EXIT
fi

# measure CMD... : wall seconds of one run (no wrapper process in the timed path)
measure() {
  local t0 t1
  t0=$(date +%s%N)
  "$@" >/dev/null 2>"$TMP/err" || { cat "$TMP/err" >&2; die "failed: $*"; }
  t1=$(date +%s%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f\n", (b-a)/1e9}'
}
# rss CMD... : peak RSS in KB of one run, from GNU time
rss() { /usr/bin/time -f '%M' -o "$TMP/t" "$@" >/dev/null 2>"$TMP/err" || { cat "$TMP/err" >&2; die "failed: $*"; }; tail -1 "$TMP/t"; }
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
# layers of an OCI layout (blob paths), for the baseline
layers_of() { # layout-dir [tag]
  local dir=$1 tag=${2:-} m
  if [ -n "$tag" ]; then m=$(jq -r --arg t "$tag" '.manifests[]|select(.annotations["org.opencontainers.image.ref.name"]==$t).digest[7:]' "$dir/index.json")
  else m=$(jq -r '.manifests[0].digest[7:]' "$dir/index.json"); fi
  jq -r '.layers[].digest[7:]' "$dir/blobs/sha256/$m" | sed "s|^|$dir/blobs/sha256/|"
}
baseline() { # blob files... : gzip -dc | tar -t of each, in sequence
  for f in "$@"; do gzip -dc "$f" | tar -t >/dev/null; done
}
export -f baseline

run_case() { # label target layout-dir tag
  local label=$1 target=$2 dir=$3 tag=$4 i
  mapfile -t L < <(layers_of "$dir" "$tag")
  : > "$TMP/base"; : > "$TMP/cold"; : > "$TMP/warm"; : > "$TMP/rss"
  for ((i = 0; i < RUNS; i++)); do
    measure bash -c 'baseline "$@"' _ "${L[@]}" >> "$TMP/base"
    rm -rf "$TMP/cache"
    DRYDOCK_CACHE_DIR="$TMP/cache" measure bin/drydock image "$target" --format json --scanners none >> "$TMP/cold"
    DRYDOCK_CACHE_DIR="$TMP/cache" measure bin/drydock image "$target" --format json --scanners none >> "$TMP/warm"
    rm -rf "$TMP/cache"
    DRYDOCK_CACHE_DIR="$TMP/cache" rss bin/drydock image "$target" --format json --scanners none >> "$TMP/rss"
  done
  local b c w r
  b=$(median < "$TMP/base"); c=$(median < "$TMP/cold"); w=$(median < "$TMP/warm"); r=$(sort -n "$TMP/rss" | tail -1)
  awk -v l="$label" -v b="$b" -v c="$c" -v w="$w" -v r="$r" 'BEGIN{
    printf "| %s | %.3f s | %.3f s | **%.2f×** | %.3f s | **%.1f×** | %.0f MB |\n", l, b, c, c/b, w, c/w, r/1024 }'
}

rpm_case() { # label rootfs rpm-args...
  local label=$1 root=$2 i n
  shift 2
  : > "$TMP/base"; : > "$TMP/cold"; : > "$TMP/rss"
  n=$(bin/drydock fs "$root" --format json --list-all-pkgs --scanners none | jq '[.Results[].Packages[]?] | length')
  [ "$n" = "$(wc -l < "$RPMDB/rpm-qa.txt")" ] || die "$label: drydock listed $n packages, rpm $(wc -l < "$RPMDB/rpm-qa.txt")"
  for ((i = 0; i < RUNS; i++)); do
    measure rpm "$@" -qa >> "$TMP/base"
    measure bin/drydock fs "$root" --format json --list-all-pkgs --scanners none >> "$TMP/cold"
    rss bin/drydock fs "$root" --format json --list-all-pkgs --scanners none >> "$TMP/rss"
  done
  local b c r
  b=$(median < "$TMP/base"); c=$(median < "$TMP/cold"); r=$(sort -n "$TMP/rss" | tail -1)
  awk -v l="$label" -v n="$n" -v b="$b" -v c="$c" -v r="$r" 'BEGIN{
    printf "| %s | %d | %.3f s | %.3f s | **%.2f×** | %.0f MB |\n", l, n, b, c, c/b, r/1024 }'
}

for ((i = 0; i < RUNS; i++)); do measure node -e 0; done > "$TMP/node"
NODE_START=$(median < "$TMP/node")
vuln_section() {
  local shared="$DD_ROOT/../shared/data" i
  [ -d "$shared" ] || { echo "(../shared/data absent: vulnerability benchmarks skipped)"; return; }
  local files bytes
  files=$(find "$shared" -type f | wc -l)
  bytes=$(du -sb "$shared" | cut -f1)
  : > "$TMP/base"; : > "$TMP/imp"; : > "$TMP/rss"
  for ((i = 0; i < RUNS; i++)); do
    measure bash -c 'find "$1" -type f -exec cat {} + > /dev/null' _ "$shared" >> "$TMP/base"
    rm -f "$TMP/v.db"
    measure bin/drydock db import "$shared" --db "$TMP/v.db" >> "$TMP/imp"
    rm -f "$TMP/v.db"
    rss bin/drydock db import "$shared" --db "$TMP/v.db" >> "$TMP/rss"
  done
  local b c r size adv
  b=$(median < "$TMP/base"); c=$(median < "$TMP/imp"); r=$(sort -n "$TMP/rss" | tail -1)
  size=$(stat -c %s "$TMP/v.db")
  adv=$(bin/drydock db status --db "$TMP/v.db" --format json | jq '.advisories + .details')
  echo "| import | files | baseline: cat of the files | drydock db import | import / cat | database | records | peak RSS |"
  echo "|---|---|---|---|---|---|---|---|"
  awk -v f="$files" -v mb="$bytes" -v b="$b" -v c="$c" -v r="$r" -v s="$size" -v a="$adv" 'BEGIN{
    printf "| every feed in ../shared/data (%.0f MB) | %d | %.3f s | %.3f s | **%.1f×** | %.1f MB | %d | %.0f MB |\n", mb/1048576, f, b, c, c/b, s/1048576, a, r/1024 }'
  echo
  echo "| warm scan, database of every feed above | packages | --scanners none | with matching | matching / none | vulnerabilities |"
  echo "|---|---|---|---|---|---|"
  vuln_case "debian-app" "$IMAGES/oci:debian-app"
  vuln_case "inventory image (9,600 packages)" "$BENCH/inventory-$GEN_HASH"
}
vuln_case() { # label target
  local label=$1 target=$2 i n v
  export DRYDOCK_CACHE_DIR="$TMP/vcache"
  bin/drydock image "$target" --scanners none >/dev/null 2>&1
  : > "$TMP/none"; : > "$TMP/match"
  for ((i = 0; i < RUNS; i++)); do
    measure bin/drydock image "$target" --format json --scanners none >> "$TMP/none"
    measure bin/drydock image "$target" --format json --db "$TMP/v.db" >> "$TMP/match"
  done
  n=$(bin/drydock image "$target" --format json --list-all-pkgs --scanners none | jq '[.Results[].Packages[]?] | length')
  v=$(bin/drydock image "$target" --format json --db "$TMP/v.db" | jq '[.Results[].Vulnerabilities[]?] | length')
  unset DRYDOCK_CACHE_DIR
  awk -v l="$label" -v n="$n" -v a="$(median < "$TMP/none")" -v b="$(median < "$TMP/match")" -v v="$v" 'BEGIN{
    printf "| %s | %d | %.3f s | %.3f s | **%.2f×** | %d |\n", l, n, a, b, b/a, v }'
}

audit_section() {
  local dir="$TMP/manifests" i findings
  node --import tsx bench/generate-manifests.ts 1000 "$dir"
  : > "$TMP/base"; : > "$TMP/py"; : > "$TMP/aud"; : > "$TMP/rss"
  for ((i = 0; i < RUNS; i++)); do
    measure node bench/yaml-parse.mjs "$dir"/*.yaml >> "$TMP/base"
    measure python3 -c 'import sys, yaml
for f in sys.argv[1:]:
    list(yaml.load_all(open(f), Loader=yaml.CSafeLoader))' "$dir"/*.yaml >> "$TMP/py"
    measure bin/drydock audit --format json "$dir"/*.yaml >> "$TMP/aud"
    rss bin/drydock audit --format json "$dir"/*.yaml >> "$TMP/rss"
  done
  findings=$(bin/drydock audit --format json "$dir"/*.yaml | jq '[.Results[].Misconfigurations[]] | length')
  echo "| audit | files | baseline: yaml parse only | PyYAML (libyaml) | drydock audit | audit / parse | findings | peak RSS |"
  echo "|---|---|---|---|---|---|---|---|"
  awk -v b="$(median < "$TMP/base")" -v p="$(median < "$TMP/py")" -v a="$(median < "$TMP/aud")" -v f="$findings" -v r="$(sort -n "$TMP/rss" | tail -1)" \
    -v mb="$(du -sb "$dir" | cut -f1)" 'BEGIN{
    printf "| 1,000 Kubernetes manifest files (%.1f MB, 2,000 documents) | 1000 | %.3f s | %.3f s | %.3f s | **%.2f×** | %d | %.0f MB |\n", mb/1048576, b, p, a, a/b, f, r/1024 }'
}

trust_section() {
  local n=10000 url="http://127.0.0.1:14997" gun="127.0.0.1:15000/bench/app" i pid tags
  ensure_pkgs notary
  export DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE=bench-root-pass DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE=bench-repo-pass
  bin/drydock trust server --listen 127.0.0.1:14997 --db "sqlite:$TMP/trust.db" >/dev/null 2>&1 &
  pid=$!
  for i in $(seq 50); do curl -sf "$url/_notary_server/health" >/dev/null && break; sleep 0.1; done
  node --import tsx bench/trust-repo.ts "$url" "$gun" "$n" "$TMP/publisher" >/dev/null
  : > "$TMP/tb"; : > "$TMP/td"; : > "$TMP/trss"; : > "$TMP/tbrss"
  for ((i = 0; i < RUNS; i++)); do
    measure notary -s "$url" -d "$TMP/nd-$i" list "$gun" >> "$TMP/tb"
    measure bin/drydock trust inspect "$gun" --server "$url" --trust-dir "$TMP/dd-$i" -f json >> "$TMP/td"
    rss notary -s "$url" -d "$TMP/nr-$i" list "$gun" >> "$TMP/tbrss"
    rss bin/drydock trust inspect "$gun" --server "$url" --trust-dir "$TMP/dr-$i" -f json >> "$TMP/trss"
  done
  tags=$(bin/drydock trust inspect "$gun" --server "$url" --trust-dir "$TMP/dcount" -f json | jq '.[0].signedTags | length')
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "| trust data, cold (TOFU, empty trust dir) | signed tags | baseline: notary list (Go) | drydock trust inspect | drydock / notary | peak RSS notary / drydock |"
  echo "|---|---|---|---|---|---|"
  awk -v b="$(median < "$TMP/tb")" -v d="$(median < "$TMP/td")" -v t="$tags" -v rb="$(sort -n "$TMP/tbrss" | tail -1)" -v rd="$(sort -n "$TMP/trss" | tail -1)" 'BEGIN{
    printf "| one repository on drydock trust server (SQLite), %d targets | %d | %.3f s | %.3f s | **%.2f×** | %.0f MB / %.0f MB |\n", t, t, b, d, d/b, rb/1024, rd/1024 }'
}

if [ "${BENCH_ONLY:-}" = trust ]; then # BENCH_ONLY=trust bench/run.sh N: the trust benchmark alone
  echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores, $(node --version), median of $RUNS runs."
  trust_section
  exit 0
fi

if [ "${BENCH_ONLY:-}" = audit ]; then # BENCH_ONLY=audit bench/run.sh N: the audit benchmark alone
  echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores, $(node --version), median of $RUNS runs."
  audit_section
  exit 0
fi

{
  echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores, $(node --version), median of $RUNS runs; peak RSS is the largest of the runs."
  echo "Node.js start-up alone (\`node -e 0\`): ${NODE_START} s — the floor under every warm scan."
  echo
  echo "| image | baseline: gzip -dc \\| tar -t | drydock cold | cold / baseline | drydock warm | cold / warm | peak RSS (cold) |"
  echo "|---|---|---|---|---|---|---|"
  run_case "debian-app (5 layers, 71 MB gz, 195 MB tar, 11k entries)" "$IMAGES/oci:debian-app" "$IMAGES/oci" debian-app
  run_case "debian-app pulled from the local registry (HTTP, no auth)" "127.0.0.1:15000/dd/debian-app:1.0" "$IMAGES/oci" debian-app
  run_case "generated 1 GiB image (4 gzip layers)" "$BENCH/big-$GEN_HASH" "$BENCH/big-$GEN_HASH" ""
  run_case "generated layer, 1,000,000 small files" "$BENCH/many-$GEN_HASH" "$BENCH/many-$GEN_HASH" ""
  run_case "inventory: 100,000 files, 9,600 packages (dpkg, node_modules, Python, lockfile)" "$BENCH/inventory-$GEN_HASH" "$BENCH/inventory-$GEN_HASH" ""
  echo
  echo "| rpm database (\`drydock fs\`, JSON with every package) | packages | baseline: rpm -qa | drydock | drydock / rpm | peak RSS |"
  echo "|---|---|---|---|---|---|"
  rpm_case "SQLite rpmdb.sqlite, $(du -h "$RPMDB/sqlite/var/lib/rpm/rpmdb.sqlite" | cut -f1)" "$RPMDB/sqlite" --dbpath "$RPMDB/sqlite/var/lib/rpm"
  rpm_case "Berkeley DB Packages, $(du -h "$RPMDB/bdb/var/lib/rpm/Packages" | cut -f1)" "$RPMDB/bdb" --define '_db_backend bdb_ro' --dbpath "$RPMDB/bdb/var/lib/rpm"
  echo
  vuln_section
  echo
  audit_section
  echo
  trust_section
} | tee "$TMP/out.md"
mkdir -p bench/results
cp "$TMP/out.md" bench/results/latest.md
