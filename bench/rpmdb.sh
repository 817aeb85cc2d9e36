#!/usr/bin/env bash
# Builds a large REAL rpm database for the inventory benchmark, with Debian's rpm 4.18:
# one spec with N subpackages of F files each -> rpmbuild -> rpm -i --justdb into a SQLite
# rpmdb, and the same headers as a Berkeley DB Packages file (db5.3_load; rpm 4.18 only reads BDB).
# Output (cached by parameters): DIR/sqlite/var/lib/rpm/rpmdb.sqlite, DIR/bdb/var/lib/rpm/Packages,
# DIR/rpm-qa.txt (rpm's own listing). Prints DIR.
# Usage: bench/rpmdb.sh [N=3000] [F=30]
. "$(dirname "$0")/../scripts/lib.sh"
N=${1:-3000}
F=${2:-30}
OUT="$DD_TEST_HOME/bench/rpmdb-$N-$F"
if [ -f "$OUT/.complete" ]; then echo "$OUT"; exit 0; fi
ensure_pkgs rpm sqlite3 db5.3-util
rm -rf "$OUT"; mkdir -p "$OUT"/{top/SPECS,sqlite/var/lib/rpm,bdb/var/lib/rpm,sqlite/etc,bdb/etc}
T0=$(now_s)
{
  cat <<SPEC
Name:           benchbase
Version:        1.0
Release:        1.el9
Summary:        drydock benchmark base package
License:        MIT
Vendor:         drydock bench
BuildArch:      x86_64
%description
Base package of the drydock rpm database benchmark.
%install
for i in \$(seq 1 $N); do
  d=%{buildroot}/usr/share/bench/p\$i
  mkdir -p \$d
  for j in \$(seq 1 $F); do : > \$d/f\$j; done
done
%files
SPEC
  for ((i = 1; i <= N; i++)); do
    cat <<SPEC
%package -n bench-pkg$i
Summary: bench package $i
Epoch: $((i % 3))
Version: $((i % 7)).$((i % 11)).$i
Release: $((i % 5 + 1)).el9
License: GPL-2.0-or-later AND MIT
%description -n bench-pkg$i
Benchmark package $i.
%files -n bench-pkg$i
/usr/share/bench/p$i
SPEC
  done
} > "$OUT/top/SPECS/bench.spec"
log "rpmbuild: $N packages x $F files"
rpmbuild --define "_topdir $OUT/top" --define "_dbpath $OUT/build-db" --define "_build_id_links none" \
  --define "__os_install_post %{nil}" --quiet -bb "$OUT/top/SPECS/bench.spec" > "$OUT/rpmbuild.log" 2>&1 ||
  { tail -20 "$OUT/rpmbuild.log"; die "rpmbuild failed"; }
log "rpm -i --justdb ($(elapsed "$T0") s so far)"
DB="$OUT/sqlite/var/lib/rpm"
rpm --initdb --dbpath "$DB"
find "$OUT/top/RPMS" -name 'bench-pkg*.rpm' -print0 |
  xargs -0 rpm -i --justdb --nodeps --noscripts --notriggers --ignorearch --ignoreos --dbpath "$DB" 2>/dev/null
sqlite3 "$DB/rpmdb.sqlite" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
rm -f "$DB"/rpmdb.sqlite-* "$DB"/.rpm.lock
log "Berkeley DB copy"
{
  printf 'VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize=4096\nHEADER=END\n'
  # key = header instance, 4-byte little endian; key 0 holds the highest instance (as rpm's bdb does)
  sqlite3 -separator ' ' "$DB/rpmdb.sqlite" \
    "select 0, max(hnum) from Packages; select hnum, lower(hex(blob)) from Packages order by hnum" |
    awk '{ if (NF == 2 && length($2) < 12 && $1 == 0) { v = sprintf("%08x", $2) } else { v = $2 }
           k = sprintf("%08x", $1)
           printf " %s%s%s%s\n", substr(k,7,2), substr(k,5,2), substr(k,3,2), substr(k,1,2)
           if ($1 == 0) printf " %s%s%s%s\n", substr(v,7,2), substr(v,5,2), substr(v,3,2), substr(v,1,2)
           else printf " %s\n", v }'
  echo 'DATA=END'
} > "$OUT/Packages.dump"
db5.3_load -f "$OUT/Packages.dump" "$OUT/bdb/var/lib/rpm/Packages"
rm -f "$OUT/Packages.dump"
for d in sqlite bdb; do
  printf 'NAME="Red Hat Enterprise Linux"\nID="rhel"\nVERSION_ID="9.4"\nPRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"\n' > "$OUT/$d/etc/os-release"
done
rpm -qa --dbpath "$DB" | sort > "$OUT/rpm-qa.txt"
rm -rf "$OUT/top" "$OUT/build-db"
touch "$OUT/.complete"
log "rpm database: $(wc -l < "$OUT/rpm-qa.txt") packages, sqlite $(du -h "$DB/rpmdb.sqlite" | cut -f1), bdb $(du -h "$OUT/bdb/var/lib/rpm/Packages" | cut -f1), $(elapsed "$T0") s"
echo "$OUT"
