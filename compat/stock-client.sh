#!/usr/bin/env bash
# Compatibility check of the data plane against the stock CernVM-FS tools.
#
# Builds the CernVM-FS client (cvmfs2 + libcvmfs_fuse) and cvmfs_swissknife from a local
# git clone or mirror of the CernVM-FS sources, starts the data plane on a scratch data
# directory, publishes trees with every kind of entry, replicates the repository with
# `cvmfs_swissknife pull`, checks it with `check` and `scrub`, mounts it with `cvmfs2` and
# compares every entry with the source trees, then follows new revisions (notifications,
# remount); then other creation options, and a zlib repository holding files that do not
# compress (stored uncompressed by adaptive compression). See compat/README.md.
#
# Needs root (apt-get, FUSE mount), /dev/fuse, Debian 12. Not part of CI.
#
#   CVMFS_SRC=/path/to/cvmfs.git compat/stock-client.sh
#
# Environment:
#   CVMFS_SRC        git clone or bare mirror of the CernVM-FS sources (required unless
#                    CVMFS_PREFIX already holds a build and REBUILD is not 1)
#   CVMFS_REF        tag/branch/commit to build (default: newest cvmfs-2.12.* tag, else the
#                    mirror's default branch)
#   CVMFS_PREFIX     install prefix of the build (default /opt/cvmfs)
#   WORK             scratch directory (default /var/tmp/cvmfs-compat)
#   REBUILD=1        rebuild even if CVMFS_PREFIX has a build
#   SKIP_APT=1       do not install Debian packages
#   DATAPLANE_JAR    use this jar instead of building it from this checkout
#   PORT, S1_PORT    data plane port (18080) and the stratum 1 copy's port (18081)
#   SQLITE_NPM_PACKAGE  npm package that ships the SQLite amalgamation, used only when the
#                    CVMFS checkout lacks externals/sqlite3/src/sqlite3.c (default
#                    better-sqlite3@7.5.1, SQLite 3.38.2; its sqlite3.h must equal the
#                    bundled one)
set -uo pipefail

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${WORK:-/var/tmp/cvmfs-compat}
CVMFS_PREFIX=${CVMFS_PREFIX:-/opt/cvmfs}
PORT=${PORT:-18080}
S1_PORT=${S1_PORT:-18081}
FQRN=compat.example.org
SQLITE_NPM_PACKAGE=${SQLITE_NPM_PACKAGE:-better-sqlite3@7.5.1}

DATA=$WORK/data
S1=$WORK/stratum1
S1TMP=$WORK/stratum1-tmp
MNT=$WORK/mnt
LOGS=$WORK/logs
BASE=http://localhost:$PORT
S0_URL=$BASE/cvmfs/$FQRN
KEY=$DATA/keys/$FQRN.pub
TALK_SOCKET=$WORK/cache/$FQRN/cvmfs_io.$FQRN

PASSED=0
FAILED=0
FAILED_NAMES=()
PIDS=()

log() { printf '\n=== %s\n' "$*"; }
die() { echo "FATAL: $*" >&2; exit 2; }

# check NAME COMMAND...: runs COMMAND, keeps its output in $LOGS/NAME.log, prints the command,
# the last lines of its output and PASS or FAIL.
check() {
  local name=$1; shift
  echo "--- $name: $*"
  "$@" > "$LOGS/$name.log" 2>&1
  local rc=$?
  tail -n 12 "$LOGS/$name.log" | sed 's/^/    /'
  if [ $rc -eq 0 ]; then
    echo "PASS $name"; PASSED=$((PASSED + 1))
  else
    echo "FAIL $name (exit $rc, full output in $LOGS/$name.log)"; FAILED=$((FAILED + 1))
    FAILED_NAMES+=("$name")
  fi
  return $rc
}

cleanup() {
  local m pid
  for m in "$MNT" "$WORK"/variant-*/mnt "$WORK"/variant-*/mnt-tag; do
    if mountpoint -q "$m" 2>/dev/null; then umount "$m" 2>/dev/null || umount -l "$m"; fi
  done
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || die "run as root (apt-get, FUSE mount)"
mkdir -p "$WORK" "$LOGS"

# ---------------------------------------------------------------------------------------
log "Debian packages"
if [ "${SKIP_APT:-0}" != 1 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q > "$LOGS/apt.log" 2>&1 || die "apt-get update failed ($LOGS/apt.log)"
  apt-get install -y -q --no-install-recommends \
      git curl ca-certificates python3 python3-dev attr sqlite3 \
      cmake g++ make patch pkg-config autoconf automake libtool unzip \
      libfuse3-dev libfuse-dev fuse3 libssl-dev libattr1-dev uuid-dev libcap-dev zlib1g-dev \
      openjdk-17-jdk-headless >> "$LOGS/apt.log" 2>&1 || die "apt-get install failed ($LOGS/apt.log)"
fi
[ -e /dev/fuse ] || die "/dev/fuse is missing"

# ---------------------------------------------------------------------------------------
log "CernVM-FS build"
if [ "${REBUILD:-0}" = 1 ] || [ ! -x "$CVMFS_PREFIX/bin/cvmfs_swissknife" ] || [ ! -x "$CVMFS_PREFIX/bin/cvmfs2" ]; then
  [ -n "${CVMFS_SRC:-}" ] || die "set CVMFS_SRC to a git clone or mirror of the CernVM-FS sources"
  SRC=$WORK/cvmfs-src
  BUILD=$WORK/cvmfs-build
  rm -rf "$SRC" "$BUILD"
  git clone -q --no-checkout "$CVMFS_SRC" "$SRC" || die "cannot clone $CVMFS_SRC"
  if [ -z "${CVMFS_REF:-}" ]; then
    CVMFS_REF=$(git -C "$SRC" tag -l 'cvmfs-2.12.*' | sort -V | tail -n 1)
    [ -n "$CVMFS_REF" ] || CVMFS_REF=HEAD
  fi
  commit=$(git -C "$SRC" rev-parse --verify "$CVMFS_REF^{commit}") || die "no such ref $CVMFS_REF"
  echo "building $CVMFS_REF = $commit"
  # A mirror may lack the contents of its largest files. Leave those out of the checkout;
  # the build does not need them, except the SQLite amalgamation (supplied below).
  git -C "$SRC" ls-tree -r "$commit" | awk -F'\t' '{split($1, a, " "); if (a[2] == "blob") print a[3] "\t" $2}' \
      > "$WORK/tree.txt"
  cut -f1 "$WORK/tree.txt" | git -C "$SRC" cat-file --batch-check='%(objectname) %(objecttype)' \
      | awk '$2 == "missing" {print $1}' > "$WORK/missing.txt"
  awk -F'\t' 'NR == FNR {m[$1] = 1; next} ($1 in m) {print $2}' "$WORK/missing.txt" "$WORK/tree.txt" \
      > "$WORK/missing-paths.txt"
  if [ -s "$WORK/missing-paths.txt" ]; then
    echo "objects absent from the mirror, left out of the checkout:"; sed 's/^/    /' "$WORK/missing-paths.txt"
    grep -v -E '^(externals/go/|gateway/|ducc/|snapshotter/|test/|externals/sqlite3/src/sqlite3\.c$)' \
        "$WORK/missing-paths.txt" && die "the checkout would lack files the build needs"
    # (git complains here about the absent objects it is told to leave out; harmless)
    git -C "$SRC" sparse-checkout set --no-cone '/*' $(sed 's|^|!/|' "$WORK/missing-paths.txt") \
        2> "$LOGS/git-sparse-checkout.log"
  fi
  git -C "$SRC" -c advice.detachedHead=false checkout -q "$commit" || die "checkout failed"
  if [ ! -f "$SRC/externals/sqlite3/src/sqlite3.c" ]; then
    echo "externals/sqlite3/src/sqlite3.c absent: taking the amalgamation from npm $SQLITE_NPM_PACKAGE"
    command -v npm > /dev/null || apt-get install -y -q npm >> "$LOGS/apt.log" 2>&1 || die "npm is needed"
    rm -rf "$WORK/npm" && mkdir -p "$WORK/npm"
    (cd "$WORK/npm" && npm pack -q "$SQLITE_NPM_PACKAGE" > /dev/null 2>&1 && tar xzf ./*.tgz) \
        || die "npm pack $SQLITE_NPM_PACKAGE failed"
    cmp -s "$WORK/npm/package/deps/sqlite3/sqlite3.h" "$SRC/externals/sqlite3/src/sqlite3.h" \
        || die "$SQLITE_NPM_PACKAGE ships another SQLite version than the bundled sqlite3.h"
    cp "$WORK/npm/package/deps/sqlite3/sqlite3.c" "$SRC/externals/sqlite3/src/sqlite3.c"
  fi
  mkdir -p "$BUILD"
  start=$(date +%s)
  (cd "$BUILD" && nice -n 19 cmake "$SRC" -DCMAKE_INSTALL_PREFIX="$CVMFS_PREFIX" \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_CVMFS=ON -DBUILD_SERVER=ON -DBUILD_RECEIVER=OFF \
      -DBUILD_GEOAPI=OFF -DBUILD_LIBCVMFS=OFF -DBUILD_LIBCVMFS_CACHE=OFF -DBUILD_SHRINKWRAP=OFF \
      -DBUILD_PRELOADER=OFF -DBUILD_UNITTESTS=OFF -DBUILD_GATEWAY=OFF -DBUILD_DUCC=OFF \
      -DBUILD_SNAPSHOTTER=OFF -DINSTALL_MOUNT_SCRIPTS=OFF -DINSTALL_BASH_COMPLETION=OFF \
      -DINSTALL_PUBLIC_KEYS=OFF) > "$LOGS/cvmfs-cmake.log" 2>&1 || die "cmake failed ($LOGS/cvmfs-cmake.log)"
  (cd "$BUILD" && nice -n 19 make -j2) > "$LOGS/cvmfs-make.log" 2>&1 || die "make failed ($LOGS/cvmfs-make.log)"
  (cd "$BUILD" && make install) > "$LOGS/cvmfs-install.log" 2>&1 || die "make install failed"
  echo "built and installed into $CVMFS_PREFIX in $(( $(date +%s) - start )) s"
fi
export PATH=$CVMFS_PREFIX/bin:$PATH
export LD_LIBRARY_PATH=$CVMFS_PREFIX/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export CVMFS_LIBRARY_PATH=$CVMFS_PREFIX/lib
cvmfs2 --version

# ---------------------------------------------------------------------------------------
log "Data plane"
if [ -z "${DATAPLANE_JAR:-}" ]; then
  (cd "$REPO_DIR" && ./mvnw -q -B -pl data-plane -am package -DskipTests) > "$LOGS/mvn.log" 2>&1 \
      || die "data plane build failed ($LOGS/mvn.log)"
  DATAPLANE_JAR=$REPO_DIR/data-plane/target/cvmfs-ephemeral-data-plane.jar
fi
if mountpoint -q "$MNT" 2>/dev/null; then umount "$MNT"; fi
rm -rf "$DATA" "$S1" "$S1TMP" "$WORK/cache" "$WORK/trees" "$MNT"
mkdir -p "$DATA" "$S1TMP" "$WORK/cache" "$WORK/trees" "$MNT" "$WORK/etc"
java -jar "$DATAPLANE_JAR" serve --data "$DATA" --repository "$FQRN" --port "$PORT" \
    --notification-port -1 > "$LOGS/dataplane.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 60); do curl -sf "$BASE/healthz" > /dev/null && break; sleep 1; done
curl -sf "$BASE/healthz" > /dev/null || die "data plane did not start ($LOGS/dataplane.log)"
TOKEN=$(cat "$DATA/keys/$FQRN.token")

# ---------------------------------------------------------------------------------------
log "Source trees"
cat > "$WORK/mktree.py" <<'EOF'
import os, random, sys
root, seed = sys.argv[1], int(sys.argv[2])
rnd = random.Random(seed)
def w(p, data, mode=0o644):
    p = os.path.join(root, p); os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, 'wb') as f: f.write(data)
    os.chmod(p, mode)
os.makedirs(root)
w('README.txt', b'hello from publication %d\n' % seed)
w('empty.txt', b'')
w('bin/run.sh', b'#!/bin/sh\necho run\n', 0o755)
w('bin/tool', rnd.randbytes(70000), 0o750)
w('data/small.bin', rnd.randbytes(4096))
w('data/compressible.txt', b'abcdefgh' * 300000)
w('data/large.bin', rnd.randbytes(40 * 1024 * 1024 + 12345))   # > 16 MiB: chunked
w('data/exactly16m.bin', rnd.randbytes(16 * 1024 * 1024))
w('deep/a/b/c/d/e/leaf.txt', b'leaf\n', 0o600)
w('names/with space.txt', b'space\n')
w('names/unicode-\u00e9\u00e8.txt', b'unicode\n')
os.makedirs(os.path.join(root, 'emptydir')); os.chmod(os.path.join(root, 'emptydir'), 0o700)
os.symlink('data/small.bin', os.path.join(root, 'rel-link'))
os.symlink('../README.txt', os.path.join(root, 'bin/up-link'))
os.symlink('/etc/hostname', os.path.join(root, 'abs-link'))
os.symlink('does/not/exist', os.path.join(root, 'dangling-link'))
os.symlink('deep/a', os.path.join(root, 'dir-link'))
os.link(os.path.join(root, 'data/small.bin'), os.path.join(root, 'hardlink-small.bin'))
os.link(os.path.join(root, 'data/small.bin'), os.path.join(root, 'deep/hardlink2.bin'))
os.link(os.path.join(root, 'bin/run.sh'), os.path.join(root, 'bin/run-hard.sh'))
EOF
for n in 1 2 3; do
  python3 "$WORK/mktree.py" "$WORK/trees/p$n" "$n" || die "mktree failed"
  tar -C "$WORK/trees/p$n" -cf "$WORK/trees/p$n.tar" . || die "tar failed"
done

# compare.py SRC MOUNTED: every entry of SRC exists on the mount with the same type, mode,
# size, SHA-1, symlink target and mtime, and nothing else is there except the nested
# catalog marker .cvmfscatalog (format.md 7.9). Hard links of the source are printed as a note
# when the mount shows them as separate files: format.md 7.12 allows independent entries.
cat > "$WORK/compare.py" <<'EOF'
import os, sys, stat, hashlib
src, mnt = sys.argv[1], sys.argv[2]
fails = n = 0
def sha1(p):
    h = hashlib.sha1()
    with open(p, 'rb') as f:
        for b in iter(lambda: f.read(1 << 20), b''): h.update(b)
    return h.hexdigest()
def bad(msg):
    global fails; fails += 1; print('MISMATCH', msg)
groups = {}
for dirpath, dirnames, filenames in os.walk(src):
    names = dirnames + filenames + ([''] if dirpath == src else [])
    for name in names:
        s = os.path.join(dirpath, name) if name else src
        rel = os.path.relpath(s, src); m = os.path.normpath(os.path.join(mnt, rel)); n += 1
        ss = os.lstat(s)
        try: ms = os.lstat(m)
        except OSError as e: bad(f'{rel}: missing on the mount ({e})'); continue
        if stat.S_IFMT(ss.st_mode) != stat.S_IFMT(ms.st_mode):
            bad(f'{rel}: type {oct(ss.st_mode)} vs {oct(ms.st_mode)}'); continue
        if stat.S_ISLNK(ss.st_mode):
            if os.readlink(s) != os.readlink(m): bad(f'{rel}: target {os.readlink(s)!r} vs {os.readlink(m)!r}')
            continue
        if stat.S_IMODE(ss.st_mode) != stat.S_IMODE(ms.st_mode):
            bad(f'{rel}: mode {oct(stat.S_IMODE(ss.st_mode))} vs {oct(stat.S_IMODE(ms.st_mode))}')
        if stat.S_ISREG(ss.st_mode):
            if ss.st_size != ms.st_size: bad(f'{rel}: size {ss.st_size} vs {ms.st_size}')
            elif sha1(s) != sha1(m): bad(f'{rel}: content differs')
            if int(ss.st_mtime) != int(ms.st_mtime): bad(f'{rel}: mtime {int(ss.st_mtime)} vs {int(ms.st_mtime)}')
            if ss.st_nlink > 1: groups.setdefault(ss.st_ino, []).append((rel, ms.st_ino, ms.st_nlink))
for members in groups.values():
    if len({ino for _, ino, _ in members}) > 1:
        print('NOTE hard links shown as separate files:', ', '.join(f'{r} (nlink {k})' for r, _, k in members))
for dirpath, dirnames, filenames in os.walk(mnt):
    for name in dirnames + filenames:
        rel = os.path.relpath(os.path.join(dirpath, name), mnt)
        if rel != '.cvmfscatalog' and not os.path.lexists(os.path.join(src, rel)): bad(f'{rel}: only on the mount')
print(f'compared {n} entries, {fails} mismatches')
sys.exit(1 if fails else 0)
EOF

publish() {  # publish N: tree pN at /pN
  curl -sS -f -T "$WORK/trees/p$1.tar" -H "Authorization: Bearer $TOKEN" \
      "$BASE/api/v1/repos/$FQRN/paths/p$1?ttl=2h" && echo
}
unpublish() {
  curl -sS -f -X DELETE -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/repos/$FQRN/paths/p$1" && echo
}
api_revision() { curl -sf "$BASE/api/v1/repos/$FQRN" | python3 -c 'import json,sys; print(json.load(sys.stdin)["revision"])'; }
manifest_field() { curl -sf "$S0_URL/.cvmfspublished" | sed -n "/^--\$/q; s/^$1//p"; }

log "Publish"
check publish-p1 publish 1
check publish-p2 publish 2

# ---------------------------------------------------------------------------------------
log "Stratum 1 replication (cvmfs_swissknife pull / check / scrub)"
mkdir -p "$S1/data/txn"
for i in $(seq 0 255); do mkdir -p "$S1/data/$(printf %02x "$i")"; done
python3 -m http.server "$S1_PORT" --bind 127.0.0.1 --directory "$S1" > "$LOGS/stratum1-http.log" 2>&1 &
PIDS+=($!)
sleep 1
pull() {
  cvmfs_swissknife pull -m "$FQRN" -u "$S0_URL" -w "http://127.0.0.1:$S1_PORT" \
      -r "local,$S1/data/txn,$S1" -x "$S1TMP" -k "$KEY" -n 4 -t 60 -a 2 \
      -R "$S1TMP/reflog.chksum" "$@"
}
check pull-initial pull -i
check check-stratum1 cvmfs_swissknife check -c -r "$S1" -k "$KEY" -N "$FQRN" -t "$S1TMP" -R "$S1TMP/reflog.chksum"
check check-stratum0-http cvmfs_swissknife check -c -r "$S0_URL" -k "$KEY" -N "$FQRN" -t "$S1TMP"
check scrub-stratum1 cvmfs_swissknife scrub -r "$S1/data"
check scrub-stratum0-storage cvmfs_swissknife scrub -r "$DATA/$FQRN/data"

# ---------------------------------------------------------------------------------------
log "FUSE mount (cvmfs2)"
mkdir -p "$WORK/keys" && cp "$KEY" "$WORK/keys/"
write_config() {  # write_config FILE BASE DIR [notifications]: a client of the data plane at BASE, keys in DIR/keys, cache in DIR/cache
  cat > "$1" <<EOF
CVMFS_SERVER_URL=$2/cvmfs/@fqrn@
CVMFS_KEYS_DIR=$3/keys
CVMFS_HTTP_PROXY=DIRECT
CVMFS_CACHE_BASE=$3/cache
CVMFS_SHARED_CACHE=no
CVMFS_QUOTA_LIMIT=-1
CVMFS_RELOAD_SOCKETS=$3/cache
CVMFS_USER=root
CVMFS_CLAIM_OWNERSHIP=yes
CVMFS_SYSLOG_LEVEL=3
EOF
  [ "${4:-}" = notifications ] && echo "CVMFS_NOTIFICATION_SERVER=$2/api/v1" >> "$1"
}
write_config "$WORK/etc/notify.conf" "$BASE" "$WORK" notifications
write_config "$WORK/etc/plain.conf" "$BASE" "$WORK"
mount_repo() { cvmfs2 -o "config=$1,fsname=cvmfs2,allow_other" "$FQRN" "$MNT"; }
wait_revision() {  # wait_revision N SECONDS: the mount shows revision >= N
  local i r
  for i in $(seq 1 $(($2 * 2))); do
    r=$(attr -q -g revision "$MNT" 2>/dev/null)
    [ -n "$r" ] && [ "$r" -ge "$1" ] && { echo "mount at revision $r"; return 0; }
    sleep 0.5
  done
  echo "mount still at revision ${r:-?}, expected $1"; return 1
}
xattrs() {
  local rev want_rev root want_root chunks
  rev=$(attr -q -g revision "$MNT"); want_rev=$(api_revision)
  root=$(attr -q -g root_hash "$MNT"); want_root=$(manifest_field C)
  chunks=$(attr -q -g chunks "$MNT/p1/data/large.bin")
  local a
  for a in revision fqrn root_hash host expires; do getfattr --absolute-names -n "user.$a" "$MNT" | grep =; done
  getfattr --absolute-names -n user.chunks "$MNT/p1/data/large.bin" | grep =
  getfattr --absolute-names -n user.hash "$MNT/p1/README.txt" | grep =
  echo "revision $rev (API $want_rev), root_hash $root (manifest $want_root), chunks of large.bin: $chunks"
  [ "$rev" = "$want_rev" ] && [ "$root" = "$want_root" ] && [ "$(attr -q -g fqrn "$MNT")" = "$FQRN" ] && [ "$chunks" -gt 1 ]
}
listing() {
  ls -laR "$MNT" > "$LOGS/ls-laR.txt" || return 1
  stat -c '%A %a %h %s %n' "$MNT/p1/bin/run.sh" "$MNT/p1/bin/tool" "$MNT/p1/emptydir" \
      "$MNT/p1/empty.txt" "$MNT/p1/deep/a/b/c/d/e/leaf.txt" "$MNT/p1/data/large.bin" || return 1
  for l in abs-link rel-link bin/up-link dangling-link dir-link; do
    printf '%s -> %s\n' "$l" "$(readlink "$MNT/p1/$l")"
  done
  (cd "$WORK/trees/p1" && find . -type f -print0 | sort -z > "$WORK/files.lst" &&
   xargs -0 sha1sum < "$WORK/files.lst") > "$LOGS/sha1-source.txt" || return 1
  (cd "$MNT/p1" && xargs -0 sha1sum < "$WORK/files.lst") > "$LOGS/sha1-mount.txt" || return 1
  diff "$LOGS/sha1-source.txt" "$LOGS/sha1-mount.txt" && echo "sha1sum of $(wc -l < "$LOGS/sha1-source.txt") files identical"
}
check mount mount_repo "$WORK/etc/notify.conf"
if mountpoint -q "$MNT"; then
  check listing listing
  check compare-p1 python3 "$WORK/compare.py" "$WORK/trees/p1" "$MNT/p1"
  check compare-p2 python3 "$WORK/compare.py" "$WORK/trees/p2" "$MNT/p2"
  check xattrs xattrs

  log "New revisions"
  check publish-p3 publish 3
  check notified-new-revision wait_revision "$(api_revision)" 30
  check compare-p3 python3 "$WORK/compare.py" "$WORK/trees/p3" "$MNT/p3"
  check unpublish-p1 unpublish 1
  check notified-removal wait_revision "$(api_revision)" 30
  check p1-gone test ! -e "$MNT/p1"

  check umount umount "$MNT"
  check remount-plain mount_repo "$WORK/etc/plain.conf"
  check remount-sees-latest wait_revision "$(api_revision)" 5
  check publish-p1-again publish 1
  check talk-remount cvmfs_talk -p "$TALK_SOCKET" remount sync
  check remount-new-revision wait_revision "$(api_revision)" 5
  check compare-p1-again python3 "$WORK/compare.py" "$WORK/trees/p1" "$MNT/p1"
  check xattrs-again xattrs
  check client-cache-fsck cvmfs_fsck "$WORK/cache/$FQRN"
fi

log "Incremental replication"
check pull-incremental pull -p
check check-stratum1-again cvmfs_swissknife check -c -r "$S1" -k "$KEY" -N "$FQRN" -t "$S1TMP" -R "$S1TMP/reflog.chksum"
check scrub-stratum1-again cvmfs_swissknife scrub -r "$S1/data"
check check-stratum0-http-again cvmfs_swissknife check -c -r "$S0_URL" -k "$KEY" -N "$FQRN" -t "$S1TMP"

# ---------------------------------------------------------------------------------------
# Other creation options: a repository per hash algorithm / compression, served by its own
# data plane, checked over HTTP, replicated, scrubbed, mounted and compared.

# start_plane DIR FQRN PORT [OPTIONS...]: a data plane of its own for FQRN on PORT with data in
# DIR/data (its pid in PLANE_PID, stopped on exit), its public key copied to DIR/keys, and
# DIR/client.conf for mounting it with its cache in DIR/cache.
start_plane() {
  local dir=$1 fqrn=$2 port=$3 i
  shift 3
  java -jar "$DATAPLANE_JAR" serve --data "$dir/data" --repository "$fqrn" --port "$port" \
      --notification-port -1 "$@" > "$LOGS/dataplane-$fqrn.log" 2>&1 &
  PLANE_PID=$!; PIDS+=($PLANE_PID)
  for i in $(seq 1 60); do curl -sf "http://localhost:$port/healthz" > /dev/null && break; sleep 1; done
  cp "$dir/data/keys/$fqrn.pub" "$dir/keys/"
  write_config "$dir/client.conf" "http://localhost:$port" "$dir"
}
variant() {  # variant HASH COMPRESSION PORT
  local hash=$1 compression=$2 port=$3
  local fqrn=$hash-$compression.example.org dir=$WORK/variant-$hash-$compression
  local url=http://localhost:$port/cvmfs/$hash-$compression.example.org
  rm -rf "$dir" && mkdir -p "$dir/s1/data/txn" "$dir/tmp" "$dir/mnt" "$dir/keys" "$dir/cache"
  local i; for i in $(seq 0 255); do mkdir -p "$dir/s1/data/$(printf %02x "$i")"; done
  log "Variant $fqrn (--hash $hash --compression $compression)"
  start_plane "$dir" "$fqrn" "$port" --hash "$hash" --compression "$compression"
  local pid=$PLANE_PID key=$dir/data/keys/$fqrn.pub
  check "$fqrn-publish" curl -sS -f -T "$WORK/trees/p1.tar" -H "Authorization: Bearer $(cat "$dir/data/keys/$fqrn.token")" \
      "http://localhost:$port/api/v1/repos/$fqrn/paths/p1?ttl=2h"
  check "$fqrn-check-http" cvmfs_swissknife check -c -r "$url" -k "$key" -N "$fqrn" -t "$dir/tmp"
  check "$fqrn-pull" cvmfs_swissknife pull -m "$fqrn" -u "$url" -w "http://127.0.0.1:$S1_PORT/unused" \
      -r "local,$dir/s1/data/txn,$dir/s1" -x "$dir/tmp" -k "$key" -n 4 -R "$dir/tmp/reflog.chksum" -i
  check "$fqrn-check-stratum1" cvmfs_swissknife check -c -r "$dir/s1" -k "$key" -N "$fqrn" -t "$dir/tmp" -R "$dir/tmp/reflog.chksum"
  check "$fqrn-scrub-stratum1" cvmfs_swissknife scrub -r "$dir/s1/data"
  if check "$fqrn-mount" cvmfs2 -o "config=$dir/client.conf,fsname=cvmfs2,allow_other" "$fqrn" "$dir/mnt"; then
    check "$fqrn-compare" python3 "$WORK/compare.py" "$WORK/trees/p1" "$dir/mnt/p1"
    check "$fqrn-hash-xattr" getfattr --absolute-names -n user.hash "$dir/mnt/p1/README.txt"
    check "$fqrn-fsck" cvmfs_fsck "$dir/cache/$fqrn"
    umount "$dir/mnt"
  fi
  kill "$pid"
}
variant shake128 none $((PORT + 20))
variant rmd160 zlib $((PORT + 30))
variant sha1 zlib-always $((PORT + 40))

# ---------------------------------------------------------------------------------------
# Adaptive compression: in a zlib repository, files that do not compress (random bytes, gzip
# members) are stored uncompressed with the entry's compression flag none, every chunk of a
# chunked one alike; the rest stays zlib. The stock client must read both, report each
# entry's compression as the probe decided, and its cvmfs_fsck must accept the cache.
cat > "$WORK/mkmixed.py" <<'EOF'
import gzip, io, os, random, sys, tarfile
root = sys.argv[1]
rnd = random.Random(19)
def w(p, data):
    p = os.path.join(root, p); os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, 'wb') as f: f.write(data)
def text(n):
    words = [b'static', b'final', b'return', b'catalog', b'chunk', b'object', b'INFO', b'error', b'{', b'}']
    out = bytearray()
    while len(out) < n: out += rnd.choice(words) + (b'\n' if rnd.random() < 0.1 else b' ')
    return bytes(out[:n])
os.makedirs(root)
w('text/README.txt', text(3000))                               # zlib
w('text/app.log', text(2 * 1024 * 1024))                       # zlib
w('text/zeros.bin', bytes(1024 * 1024))                        # zlib
w('text/tiny.bin', rnd.randbytes(100))                         # zlib: too small to probe
w('random/small.bin', rnd.randbytes(10000))                    # none
w('random/medium.bin', rnd.randbytes(300000))                  # none
w('random/large.bin', rnd.randbytes(40 * 1024 * 1024 + 4321))  # none, > 16 MiB: chunked
w('text/large.txt', text(24 * 1024 * 1024))                   # zlib, chunked
w('gz/app.log.gz', gzip.compress(text(3 * 1024 * 1024)))       # none
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode='w:gz') as t:
    info = tarfile.TarInfo('member.txt'); data = text(1024 * 1024); info.size = len(data)
    t.addfile(info, io.BytesIO(data))
w('gz/bundle.tar.gz', buf.getvalue())                          # none
EOF
adaptive() {  # adaptive PORT
  local port=$1 fqrn=adaptive.example.org dir=$WORK/variant-adaptive
  local url=http://localhost:$port/cvmfs/adaptive.example.org
  rm -rf "$dir" && mkdir -p "$dir/tmp" "$dir/mnt" "$dir/keys" "$dir/cache"
  log "Adaptive compression ($fqrn, --compression zlib)"
  python3 "$WORK/mkmixed.py" "$dir/tree" || { check "$fqrn-tree" false; return; }
  tar -C "$dir/tree" -cf "$dir/tree.tar" . || { check "$fqrn-tree" false; return; }
  start_plane "$dir" "$fqrn" "$port" --compression zlib
  local pid=$PLANE_PID key=$dir/data/keys/$fqrn.pub
  check "$fqrn-publish" curl -sS -f -T "$dir/tree.tar" -H "Authorization: Bearer $(cat "$dir/data/keys/$fqrn.token")" \
      "http://localhost:$port/api/v1/repos/$fqrn/paths/mixed?ttl=2h"
  check "$fqrn-check-http" cvmfs_swissknife check -c -r "$url" -k "$key" -N "$fqrn" -t "$dir/tmp"
  if check "$fqrn-mount" cvmfs2 -o "config=$dir/client.conf,fsname=cvmfs2,allow_other" "$fqrn" "$dir/mnt"; then
    check "$fqrn-compare" python3 "$WORK/compare.py" "$dir/tree" "$dir/mnt/mixed"
    check "$fqrn-sha256" adaptive_sha256 "$dir/tree" "$dir/mnt/mixed"
    check "$fqrn-cmp" adaptive_cmp "$dir/tree" "$dir/mnt/mixed"
    check "$fqrn-compression-xattr" adaptive_flags "$dir/mnt/mixed"
    check "$fqrn-fsck" cvmfs_fsck "$dir/cache/$fqrn"
    umount "$dir/mnt"
  fi
  kill "$pid"
}
adaptive_sha256() {  # adaptive_sha256 SRC MOUNTED: sha256sum of every file, the same on both sides
  (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum) > "$LOGS/adaptive-sha256-source.txt" || return 1
  (cd "$2" && find . -type f ! -name .cvmfscatalog -print0 | sort -z | xargs -0 sha256sum) \
      > "$LOGS/adaptive-sha256-mount.txt" || return 1
  diff "$LOGS/adaptive-sha256-source.txt" "$LOGS/adaptive-sha256-mount.txt" \
      && echo "sha256sum of $(wc -l < "$LOGS/adaptive-sha256-source.txt") files identical"
}
adaptive_cmp() {  # adaptive_cmp SRC MOUNTED: cmp of every file, byte for byte
  local f rc=0
  while IFS= read -r -d '' f; do
    cmp "$1/$f" "$2/$f" || rc=1
  done < <(cd "$1" && find . -type f -print0)
  return $rc
}
adaptive_flags() {  # adaptive_flags MOUNTED: the client's user.compression and user.chunks of each file
  local f want got rc=0 chunks
  while read -r f want; do
    got=$(attr -q -g compression "$1/$f") || { echo "$f: no user.compression"; rc=1; continue; }
    chunks=$(attr -q -g chunks "$1/$f")
    echo "$f: compression $got (expected $want), chunks $chunks"
    [ "$got" = "$want" ] || rc=1
  done <<EOF
text/README.txt zlib
text/app.log zlib
text/zeros.bin zlib
text/tiny.bin zlib
text/large.txt zlib
random/small.bin none
random/medium.bin none
random/large.bin none
gz/app.log.gz none
gz/bundle.tar.gz none
EOF
  [ "$(attr -q -g chunks "$1/random/large.bin")" -gt 1 ] || { echo "random/large.bin is not chunked"; rc=1; }
  [ "$(attr -q -g chunks "$1/text/large.txt")" -gt 1 ] || { echo "text/large.txt is not chunked"; rc=1; }
  return $rc
}
adaptive $((PORT + 50))

# ---------------------------------------------------------------------------------------
# Tags: a tag names a revision in the history database the manifest names (H). The stock
# client mounts it by name (CVMFS_REPOSITORY_TAG) and sees the tagged content while the head
# has moved on; swissknife checks the repository with its history; a rollback serves the tagged
# publications again as a new revision, which a fresh mount of the head shows.
tags() {  # tags PORT
  local port=$1 fqrn=tags.example.org dir=$WORK/variant-tags
  local url=http://localhost:$port/cvmfs/tags.example.org api=http://localhost:$port/api/v1/repos/tags.example.org
  rm -rf "$dir" && mkdir -p "$dir/tmp" "$dir/mnt" "$dir/mnt-tag" "$dir/keys" "$dir/cache" "$dir/tag/cache" "$dir/tag/keys"
  log "Tags ($fqrn)"
  start_plane "$dir" "$fqrn" "$port"
  local pid=$PLANE_PID key=$dir/data/keys/$fqrn.pub auth
  auth="Authorization: Bearer $(cat "$dir/data/keys/$fqrn.token")"
  cp "$key" "$dir/tag/keys/"
  write_config "$dir/tag/client.conf" "http://localhost:$port" "$dir/tag"
  echo "CVMFS_REPOSITORY_TAG=release-1" >> "$dir/tag/client.conf"
  check "$fqrn-publish-p1" curl -sS -f -T "$WORK/trees/p1.tar" -H "$auth" "$api/paths/p1?ttl=2h"
  check "$fqrn-tag" curl -sS -f -H "$auth" -H 'Content-Type: application/json' -d '{"name":"release-1"}' "$api/tags"
  check "$fqrn-unpublish-p1" curl -sS -f -X DELETE -H "$auth" "$api/paths/p1"
  check "$fqrn-publish-p2" curl -sS -f -T "$WORK/trees/p2.tar" -H "$auth" "$api/paths/p2?ttl=2h"
  check "$fqrn-manifest-names-history" sh -c "curl -sf '$url/.cvmfspublished' | sed -n '/^--\$/q; /^H/p' | grep ."
  check "$fqrn-check-http" cvmfs_swissknife check -c -r "$url" -k "$key" -N "$fqrn" -t "$dir/tmp"
  check "$fqrn-swissknife-tag-list" sh -c "cvmfs_swissknife tag_list -w '$url' -t '$dir/tmp' -p '$key' -f '$fqrn' -x \
      | tee /dev/stderr | grep -q '^release-1 '"
  if check "$fqrn-mount-tag" cvmfs2 -o "config=$dir/tag/client.conf,fsname=cvmfs2,allow_other" "$fqrn" "$dir/mnt-tag"; then
    check "$fqrn-tag-compare-p1" python3 "$WORK/compare.py" "$WORK/trees/p1" "$dir/mnt-tag/p1"
    check "$fqrn-tag-without-p2" test ! -e "$dir/mnt-tag/p2"
    check "$fqrn-tag-fsck" cvmfs_fsck "$dir/tag/cache/$fqrn"
    umount "$dir/mnt-tag"
  fi
  if check "$fqrn-mount-head" cvmfs2 -o "config=$dir/client.conf,fsname=cvmfs2,allow_other" "$fqrn" "$dir/mnt"; then
    check "$fqrn-head-compare-p2" python3 "$WORK/compare.py" "$WORK/trees/p2" "$dir/mnt/p2"
    check "$fqrn-head-without-p1" test ! -e "$dir/mnt/p1"
    umount "$dir/mnt"
  fi
  check "$fqrn-rollback" curl -sS -f -X POST -H "$auth" "$api/tags/release-1/rollback"
  rm -rf "$dir/cache" && mkdir -p "$dir/cache"
  if check "$fqrn-mount-rolled-back" cvmfs2 -o "config=$dir/client.conf,fsname=cvmfs2,allow_other" "$fqrn" "$dir/mnt"; then
    check "$fqrn-rolled-back-compare-p1" python3 "$WORK/compare.py" "$WORK/trees/p1" "$dir/mnt/p1"
    check "$fqrn-rolled-back-without-p2" test ! -e "$dir/mnt/p2"
    umount "$dir/mnt"
  fi
  check "$fqrn-check-http-after-rollback" cvmfs_swissknife check -c -r "$url" -k "$key" -N "$fqrn" -t "$dir/tmp"
  kill "$pid"
}
tags $((PORT + 60))

# ---------------------------------------------------------------------------------------
# Object storage: a repository kept in an S3 bucket (S3Proxy, a real S3 API server, from the
# data plane's test dependencies), written by one data plane and followed by a second on the
# same bucket. The stock client mounts straight from the bucket's HTTP endpoint, as from a
# cvmfs_server S3 repository, and from the follower; swissknife checks both.
s3() {  # s3 PORT
  local port=$1 s3port=$(($1 + 5)) fqrn=s3.example.org dir=$WORK/variant-s3
  local bucket=http://127.0.0.1:$s3port/compat/cvmfs
  rm -rf "$dir" && mkdir -p "$dir/tmp" "$dir/mnt" "$dir/keys" "$dir/cache" "$dir/s3" "$dir/follower/keys" \
      "$dir/follower/cache" "$dir/bucket/keys" "$dir/bucket/cache"
  log "Object storage ($fqrn in an S3 bucket, written by one data plane and followed by another)"
  (cd "$REPO_DIR" && ./mvnw -q -pl data-plane -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
      -Dmdep.outputFile="$dir/s3proxy.classpath" > "$LOGS/s3proxy-classpath.log" 2>&1) \
      || { check "$fqrn-s3proxy-classpath" false; return; }
  cat > "$dir/s3proxy.properties" <<PROPERTIES
s3proxy.endpoint=http://127.0.0.1:$s3port
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=compat-access
s3proxy.credential=compat-secret
jclouds.provider=filesystem-nio2
jclouds.identity=compat-access
jclouds.credential=compat-secret
jclouds.filesystem.basedir=$dir/s3
PROPERTIES
  # Logback without a configuration logs everything at DEBUG.
  printf '%s\n' '<configuration><appender name="out" class="ch.qos.logback.core.ConsoleAppender">' \
      '<encoder><pattern>%d %level %logger - %msg%n</pattern></encoder></appender>' \
      '<root level="INFO"><appender-ref ref="out"/></root></configuration>' > "$dir/s3proxy-logback.xml"
  java -Dlogback.configurationFile="$dir/s3proxy-logback.xml" -cp "$(cat "$dir/s3proxy.classpath")" \
      org.gaul.s3proxy.Main --properties "$dir/s3proxy.properties" > "$LOGS/s3proxy.log" 2>&1 &
  local s3pid=$! i
  PIDS+=($s3pid)
  for i in $(seq 1 60); do curl -s -o /dev/null "http://127.0.0.1:$s3port/" && break; sleep 1; done
  # curl signs, but leaves the payload digest header to the caller: that of no body.
  check "$fqrn-create-bucket" curl -sS -f -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" --user compat-access:compat-secret \
      -H 'x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' \
      -H 'x-amz-acl: public-read' "http://127.0.0.1:$s3port/compat"
  export AWS_ACCESS_KEY_ID=compat-access AWS_SECRET_ACCESS_KEY=compat-secret
  local storage=(--storage s3://compat/cvmfs --s3-endpoint "http://127.0.0.1:$s3port" --s3-path-style --s3-public-read)
  start_plane "$dir" "$fqrn" "$port" "${storage[@]}"
  local writer=$PLANE_PID key=$dir/data/keys/$fqrn.pub
  check "$fqrn-publish" curl -sS -f -T "$WORK/trees/p1.tar" -H "Authorization: Bearer $(cat "$dir/data/keys/$fqrn.token")" \
      "http://localhost:$port/api/v1/repos/$fqrn/paths/p1?ttl=2h"
  check "$fqrn-no-local-objects" sh -c "! find '$dir/data/$fqrn/data' -type f 2>/dev/null | grep -q ."
  check "$fqrn-check-bucket" cvmfs_swissknife check -c -r "$bucket/$fqrn" -k "$key" -N "$fqrn" -t "$dir/tmp"
  cp "$key" "$dir/bucket/keys/"
  write_config "$dir/bucket/client.conf" "unused" "$dir/bucket"
  sed -i "s|^CVMFS_SERVER_URL=.*|CVMFS_SERVER_URL=$bucket/@fqrn@|" "$dir/bucket/client.conf"
  if check "$fqrn-mount-bucket" cvmfs2 -o "config=$dir/bucket/client.conf,fsname=cvmfs2,allow_other" "$fqrn" "$dir/mnt"; then
    check "$fqrn-bucket-compare" python3 "$WORK/compare.py" "$WORK/trees/p1" "$dir/mnt/p1"
    check "$fqrn-bucket-fsck" cvmfs_fsck "$dir/bucket/cache/$fqrn"
    umount "$dir/mnt"
  fi
  # A second data plane on the same bucket, with the same keys and an empty data directory, follows.
  java -jar "$DATAPLANE_JAR" serve --data "$dir/follower/data" --keys "$dir/data/keys" --repository "$fqrn" \
      --port $((port + 1)) --notification-port -1 "${storage[@]}" > "$LOGS/dataplane-$fqrn-follower.log" 2>&1 &
  local follower=$!
  PIDS+=($follower)
  for i in $(seq 1 60); do curl -sf "http://localhost:$((port + 1))/healthz" > /dev/null && break; sleep 1; done
  check "$fqrn-follower-redirects-writes" test "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE \
      "http://localhost:$((port + 1))/api/v1/repos/$fqrn/paths/p1")" = 307
  check "$fqrn-check-follower" cvmfs_swissknife check -c -r "http://localhost:$((port + 1))/cvmfs/$fqrn" -k "$key" \
      -N "$fqrn" -t "$dir/tmp"
  cp "$key" "$dir/follower/keys/"
  write_config "$dir/follower/client.conf" "http://localhost:$((port + 1))" "$dir/follower"
  if check "$fqrn-mount-follower" cvmfs2 -o "config=$dir/follower/client.conf,fsname=cvmfs2,allow_other" "$fqrn" "$dir/mnt"; then
    check "$fqrn-follower-compare" python3 "$WORK/compare.py" "$WORK/trees/p1" "$dir/mnt/p1"
    check "$fqrn-follower-fsck" cvmfs_fsck "$dir/follower/cache/$fqrn"
    umount "$dir/mnt"
  fi
  unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
  kill "$follower" "$writer" "$s3pid"
}
s3 $((PORT + 70))

echo
[ ${#FAILED_NAMES[@]} -gt 0 ] && echo "failed: ${FAILED_NAMES[*]}"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
