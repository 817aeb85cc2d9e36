#!/usr/bin/env bash
# build-test-images.sh — real Debian bookworm images from Debian's archive, without Docker
# (mmdebstrap + umoci + skopeo), for drydock's tests and benchmarks.
#
#   debian-current  minbase + ca-certificates (1 layer)
#   debian-old      minbase + openssl, curl, ca-certificates at the OLDEST versions still in the
#                   archive's indices (1 layer)
#   debian-app      debian-old + 4 layers:
#                     L2 dpkg -i sudo + libexpat1, rm /etc/motd (whiteout etc/.wh.motd)
#                     L3 /app with package.json + package-lock.json (+ node_modules if npm works)
#                     L4 opaque /etc/sudoers.d (etc/sudoers.d/.wh..wh..opq) + a NOPASSWD rule
#                     L5 whiteout of /etc/issue.net
#   debian-app-badtar  debian-old + one `umoci insert` layer (tar without end-of-archive blocks)
#
# Output: $DRYDOCK_TEST_HOME/images-<hash of this script> (printed on stdout), containing
#   oci/ (OCI layout with the four tags), <tag>.docker.tar, <tag>.oci.tar (for the first three),
#   status/<tag>.packages.tsv (dpkg-query's view, the test oracle), status/<tag>.dpkg-status,
#   unpacked/debian-app/rootfs, images.json.
# The result is cached: a second run with the same script prints the same directory at once.
. "$(dirname "$0")/lib.sh"

HASH=$(sha256sum "$0" | cut -c1-12)
OUT="$DD_TEST_HOME/images-$HASH"
if [ -f "$OUT/.complete" ]; then echo "$OUT"; exit 0; fi
[ "$(id -u)" = 0 ] || die "run as root (mmdebstrap root mode, chroot, umoci unpack)"

export TMPDIR="$DD_TEST_HOME/tmp"
export SOURCE_DATE_EPOCH=1704067200
SUITE=bookworm
MIRRORS=(
  "deb http://deb.debian.org/debian bookworm main"
  "deb http://deb.debian.org/debian bookworm-updates main"
  "deb http://deb.debian.org/debian-security bookworm-security main"
)
T0=$(now_s)
ensure_pkgs mmdebstrap umoci skopeo jq curl ca-certificates
if [ -z "$(apt-cache madison libc6 2>/dev/null)" ]; then apt-get update -qq; fi

rm -rf "$OUT" "$OUT.partial"
W="$OUT.partial"
mkdir -p "$W"/{rootfs,debs,status,work}
cd "$W"

versions_of() { apt-cache madison "$1" | awk -F'|' '{gsub(/ /,"",$2); print $2}' | sort -u; }
oldest_common() { # pkg...: oldest version of $1 that the other packages also offer
  local first=$1; shift
  local best="" v p ok
  for v in $(versions_of "$first"); do
    ok=1
    for p in "$@"; do grep -qxF "$v" <<< "$(versions_of "$p")" || ok=0; done
    [ $ok = 1 ] || continue
    if [ -z "$best" ] || dpkg --compare-versions "$v" lt "$best"; then best=$v; fi
  done
  [ -n "$best" ] || die "no common version for $first $*"
  echo "$best"
}
declare -A PIN
for grp in "libc6 libc-bin" "zlib1g" "openssl libssl3" "curl libcurl4" "sudo" "libexpat1"; do
  # shellcheck disable=SC2086
  v=$(oldest_common $grp)
  for p in $grp; do PIN[$p]=$v; done
done
PREF="$W/work/old-pins.pref"
: > "$PREF"
for grp in "libc6 libc-bin" "zlib1g" "openssl libssl3" "curl libcurl4"; do
  printf 'Package: %s\nPin: version %s\nPin-Priority: 1001\n\n' "$grp" "${PIN[${grp%% *}]}" >> "$PREF"
done

log "mmdebstrap debian-current"
mmdebstrap --quiet --variant=minbase --include=ca-certificates "$SUITE" rootfs/debian-current.tar "${MIRRORS[@]}" </dev/null
log "mmdebstrap debian-old"
mmdebstrap --quiet --variant=minbase --include=openssl,curl,ca-certificates \
  --setup-hook="mkdir -p \"\$1/etc/apt/preferences.d\" && cp '$PREF' \"\$1/etc/apt/preferences.d/old-pins\"" \
  "$SUITE" rootfs/debian-old.tar "${MIRRORS[@]}" </dev/null

umoci init --layout oci
for tag in debian-current debian-old; do
  umoci new --image "oci:$tag"
  umoci raw add-layer --image "oci:$tag" --history.created_by "mmdebstrap --variant=minbase $SUITE ($tag)" \
    --history.created 2024-01-01T00:00:00Z "rootfs/$tag.tar"
  umoci config --image "oci:$tag" --os linux --architecture amd64 --created 2024-01-01T00:00:00Z \
    --author drydock-tests --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --config.cmd /bin/bash --config.label org.opencontainers.image.title="$tag"
done

# L2: old sudo + libexpat1 with dpkg in a chroot, and rm /etc/motd
( cd debs && apt-get download -q "sudo=${PIN[sudo]}" "libexpat1=${PIN[libexpat1]}" >/dev/null 2>&1 ) \
  || die "apt-get download sudo/libexpat1 failed"
B="$W/work/bundle-l2"
umoci unpack --image oci:debian-old "$B" >/dev/null
mkdir -p "$B/rootfs/tmp/dd-debs"
cp debs/*.deb "$B/rootfs/tmp/dd-debs/"
chroot "$B/rootfs" sh -c 'dpkg -i /tmp/dd-debs/*.deb' >/dev/null 2>work/dpkg-i.log || { cat work/dpkg-i.log; die "dpkg -i failed"; }
rm -rf "$B/rootfs/tmp/dd-debs" "$B/rootfs/etc/motd"
umoci repack --image oci:debian-app --history.created_by "dpkg -i sudo=${PIN[sudo]} libexpat1=${PIN[libexpat1]}; rm /etc/motd" "$B"
rm -rf "$B"

# L3: a node app with a lock file
APP="$W/work/app"
mkdir -p "$APP"
cat > "$APP/package.json" <<'JSON'
{ "name": "dd-vuln-app", "version": "1.0.0", "private": true, "dependencies": { "lodash": "4.17.20", "minimist": "1.2.5" } }
JSON
echo 'const _ = require("lodash"); console.log("lodash", _.VERSION);' > "$APP/index.js"
if ! (command -v npm >/dev/null && cd "$APP" && npm install --no-audit --no-fund --ignore-scripts \
      --cache "$DD_TEST_HOME/npm-cache" --logs-dir "$DD_TEST_HOME/npm-cache/_logs" >/dev/null 2>&1); then
  log "npm unavailable: static package-lock.json"
  cat > "$APP/package-lock.json" <<'JSON'
{ "name": "dd-vuln-app", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
  "packages": { "": { "name": "dd-vuln-app", "version": "1.0.0", "dependencies": { "lodash": "4.17.20", "minimist": "1.2.5" } },
    "node_modules/lodash": { "version": "4.17.20", "license": "MIT" },
    "node_modules/minimist": { "version": "1.2.5", "license": "MIT" } } }
JSON
fi
# Layers made with GNU tar (valid, deterministic) and added verbatim.
mklayer() { # dir tarfile
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
      --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
      -C "$1" -cf "$2" $(cd "$1" && ls -A)
}
mkdir -p work/l3 && cp -a "$APP" work/l3/app && mklayer work/l3 work/l3.tar
umoci raw add-layer --image oci:debian-app --history.created_by "COPY app/ /app/" work/l3.tar
mkdir -p work/l4/etc/sudoers.d
: > work/l4/etc/sudoers.d/.wh..wh..opq
echo 'app ALL=(ALL) NOPASSWD: ALL' > work/l4/etc/sudoers.d/app
chmod 0755 work/l4/etc work/l4/etc/sudoers.d; chmod 0440 work/l4/etc/sudoers.d/app
mklayer work/l4 work/l4.tar
umoci raw add-layer --image oci:debian-app --history.created_by "replace /etc/sudoers.d (opaque)" work/l4.tar
mkdir -p work/l5/etc && : > work/l5/etc/.wh.issue.net
mklayer work/l5 work/l5.tar
umoci raw add-layer --image oci:debian-app --history.created_by "rm /etc/issue.net" work/l5.tar
umoci config --image oci:debian-app --created 2024-01-02T00:00:00Z \
  --config.workingdir /app --config.cmd node --config.cmd /app/index.js \
  --config.env NODE_ENV=production --config.exposedports 8080/tcp --config.volume /data \
  --config.label org.opencontainers.image.title=debian-app
# umoci 0.4.7's `insert` writes a tar without end-of-archive blocks (umoci#436)
umoci tag --image oci:debian-old debian-app-badtar
umoci insert --image oci:debian-app-badtar --history.created_by "umoci insert app/" "$APP" /app

# A two-platform index (tag "multi"): debian-current as linux/amd64, debian-old as linux/arm64/v8.
desc() { jq -c --arg t "$1" '.manifests[]|select(.annotations["org.opencontainers.image.ref.name"]==$t)|{mediaType,digest,size}' oci/index.json; }
idx=$(jq -cn --argjson a "$(desc debian-current)" --argjson b "$(desc debian-old)" \
  '{schemaVersion:2, mediaType:"application/vnd.oci.image.index.v1+json", manifests:[($a+{platform:{os:"linux",architecture:"amd64"}}), ($b+{platform:{os:"linux",architecture:"arm64",variant:"v8"}})]}')
h=$(printf '%s' "$idx" | sha256sum | cut -c1-64)
printf '%s' "$idx" > "oci/blobs/sha256/$h"
jq --arg d "sha256:$h" --argjson s "${#idx}" \
  '.manifests += [{mediaType:"application/vnd.oci.image.index.v1+json", digest:$d, size:$s, annotations:{"org.opencontainers.image.ref.name":"multi"}}]' \
  oci/index.json > work/index.json && mv work/index.json oci/index.json

for tag in debian-current debian-old debian-app; do
  dd_skopeo copy -q "oci:oci:$tag" "docker-archive:$tag.docker.tar:localhost/dd/$tag:1.0"
  dd_skopeo copy -q "oci:oci:$tag" "oci-archive:$tag.oci.tar:$tag"
done

# The oracle: dpkg-query on each image's own status file
umoci unpack --image oci:debian-app unpacked/debian-app >/dev/null
for tag in debian-current debian-old; do
  d="work/dpkg-$tag"; mkdir -p "$d"
  tar -xf "rootfs/$tag.tar" -C "$d" ./var/lib/dpkg
  cp "$d/var/lib/dpkg/status" "status/$tag.dpkg-status"
  dpkg-query --admindir="$d/var/lib/dpkg" -W \
    -f='${Package}\t${Version}\t${source:Package}\t${source:Version}\t${Architecture}\t${db:Status-Status}\n' > "status/$tag.packages.tsv"
done
cp unpacked/debian-app/rootfs/var/lib/dpkg/status status/debian-app.dpkg-status
dpkg-query --admindir=unpacked/debian-app/rootfs/var/lib/dpkg -W \
  -f='${Package}\t${Version}\t${source:Package}\t${source:Version}\t${Architecture}\t${db:Status-Status}\n' > status/debian-app.packages.tsv
rm -rf rootfs work/dpkg-* work/bundle-l2 debs
{
  printf '{"pins": {'
  first=1
  for p in $(printf '%s\n' "${!PIN[@]}" | sort); do [ $first = 1 ] || printf ', '; first=0; printf '"%s": "%s"' "$p" "${PIN[$p]}"; done
  printf '}, "layer2_packages": ["sudo", "libexpat1"], "build_seconds": %s}\n' "$(elapsed "$T0")"
} > images.json
chmod -R a+rX "$W"
touch "$W/.complete"
mv "$W" "$OUT"
log "test images built in $(elapsed "$T0")s: $OUT"
echo "$OUT"
