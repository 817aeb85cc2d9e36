#!/usr/bin/env bash
# Regenerates src/seccomp/data/syscalls.json: syscall name -> number for the architectures drydock's
# seccomp tools know, read from libseccomp itself (scmp_sys_resolver, Debian package "seccomp") by
# reverse-resolving every number of each architecture's range.
# Usage: bash scripts/gen-syscall-tables.sh   (needs root for apt when the tool is missing)
. "$(dirname "$0")/lib.sh"
ensure_pkgs seccomp jq
cd "$DD_ROOT"
OUT=src/seccomp/data/syscalls.json
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# arch base max: x32 numbers carry the X32 bit; ARM's private calls live at 0x0f0000.
ranges() {
  case $1 in
    x32) echo "$((0x40000000)) 600" ;;
    arm) echo "0 600"; echo "$((0x0f0000)) 8" ;;
    *) echo "0 600" ;;
  esac
}
for a in x86_64 x86 x32 aarch64 arm riscv64 ppc64le s390x; do
  (
    while read -r base max; do
      for ((n = 0; n <= max; n++)); do
        name=$(scmp_sys_resolver -a "$a" $((base + n)) 2>/dev/null || true)
        case "$name" in "" | UNKNOWN) continue ;; esac
        printf '%s\t%d\n' "$name" $((base + n))
      done
    done < <(ranges "$a") > "$TMP/$a.tsv"
  ) &
done
wait
VERSION=$(dpkg-query -W -f '${Version}' libseccomp2)
{
  printf '{\n  "source": "libseccomp %s (scmp_sys_resolver), scripts/gen-syscall-tables.sh",\n  "arches": {\n' "$VERSION"
  first=1
  for a in x86_64 x86 x32 aarch64 arm riscv64 ppc64le s390x; do
    [ $first = 1 ] || printf ',\n'
    first=0
    printf '    "%s": ' "$a"
    jq -R -s -c 'split("\n") | map(select(length > 0) | split("\t") | {key: .[0], value: (.[1] | tonumber)}) | from_entries' "$TMP/$a.tsv"
  done
  printf '\n  }\n}\n'
} > "$OUT"
for a in x86_64 x86 x32 aarch64 arm riscv64 ppc64le s390x; do log "$a: $(wc -l < "$TMP/$a.tsv") syscalls"; done
