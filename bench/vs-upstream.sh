#!/usr/bin/env bash
# Our publish against the upstream publisher (`cvmfs_swissknife ingest`, the tool behind
# `cvmfs_server ingest`) on the same tarballs, into fresh repositories on the same file system.
#
# Inputs: a tar of BENCH_TOTAL_MIB (default 2048) MiB in BENCH_FILES (default 8) large files cut
# from /usr (as publish-throughput.sh makes them), and a tar of BENCH_SMALL_FILES (default
# 100,000) files of 1 KiB of distinct random content in directories of 1,000. Each is published
# with zlib and with none: ours with `publish --compression C TAR` (zlib-always for zlib, as
# upstream deflates every object; our default adaptive zlib is timed too and shown apart),
# upstream with `cvmfs_swissknife ingest -T TAR -Z C`. Reports wall-clock seconds, rates and the ratio
# ours / upstream (upstream seconds over ours). Goal: >= 10 on the small files. The former goal
# of >= 3 on the large files with zlib is withdrawn; that line is reported without a verdict.
#
# The upstream tool: UPSTREAM_SWISSKNIFE, or a build made here from CVMFS_SRC (kept in
# UPSTREAM_BUILD and reused by later runs). A stock build cannot be used: it is compiled with
# NDEBUG, which drops the registration of the tar format in `ingest` (its calls sit inside
# assert(), so ingest fails with "No formats registered"), and its `ingest` reads -Z but does
# not list it among its options, so getopt refuses it ("invalid option -- 'Z'"; `cvmfs_server
# ingest` passes none, and always writes zlib). With
# neither UPSTREAM_SWISSKNIFE nor CVMFS_SRC, the script says "skipped: ..." and exits 0.
#
# Environment:
#   JAR                  the data plane jar (default data-plane/target/cvmfs-ephemeral-data-plane.jar)
#   UPSTREAM_SWISSKNIFE  a cvmfs_swissknife built without NDEBUG and with -Z in ingest's options
#   CVMFS_SRC            otherwise: a checked-out CernVM-FS source tree (such as the one
#                        compat/stock-client.sh leaves in /var/tmp/cvmfs-compat/cvmfs-src; its
#                        built externals are copied along and reused) or a git clone
#                        (CVMFS_REF selects the ref, default the newest cvmfs-2.12.* tag)
#   UPSTREAM_BUILD       where that build lives (default /var/tmp/cvmfs-bench-upstream); a
#                        cvmfs_swissknife found there is reused, REBUILD=1 builds it again
#   BENCH_TOTAL_MIB, BENCH_FILES   the large input (default 2048 MiB in 8 files)
#   BENCH_SMALL_FILES    the number of 1 KiB files (default 100000)
#   BENCH_STEP_TIMEOUT   seconds per step (default 1800; the build has 3 hours)
#   BENCH_PORT           the port that serves the base repository (default: first free from 18130)
#   TMPDIR               where the inputs and repositories go
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STEP_TIMEOUT=${BENCH_STEP_TIMEOUT:-1800}
SMALL_FILES=${BENCH_SMALL_FILES:-100000}
UPSTREAM_BUILD=${UPSTREAM_BUILD:-/var/tmp/cvmfs-bench-upstream}
SMALL_GOAL=10
LARGE_ZLIB_WITHDRAWN_GOAL=3
require_integers SMALL_FILES STEP_TIMEOUT
(( SMALL_FILES >= 1 )) || die "BENCH_SMALL_FILES must be at least 1"
usr_input_size

# --- The upstream cvmfs_swissknife ----------------------------------------------------------

# build_upstream: a cvmfs_swissknife from CVMFS_SRC in UPSTREAM_BUILD, without NDEBUG and with
# -Z accepted by ingest; prints its path. Progress and logs go to UPSTREAM_BUILD.
build_upstream() {
  local src=$UPSTREAM_BUILD/src build=$UPSTREAM_BUILD/build ref commit
  mkdir -p "$UPSTREAM_BUILD"
  rm -rf "$src" "$build"
  if [[ -f $CVMFS_SRC/cvmfs/swissknife_ingest.h ]]; then
    note "copying the CernVM-FS sources from $CVMFS_SRC ..."
    cp -a "$CVMFS_SRC" "$src"
  else
    note "checking out the CernVM-FS sources from $CVMFS_SRC ..."
    git clone -q --no-checkout "$CVMFS_SRC" "$src" || die "cannot clone $CVMFS_SRC"
    ref=${CVMFS_REF:-$(git -C "$src" tag -l 'cvmfs-2.12.*' | sort -V | tail -n 1)}
    commit=$(git -C "$src" rev-parse --verify "${ref:-HEAD}^{commit}") || die "no such ref $ref"
    git -C "$src" -c advice.detachedHead=false checkout -q "$commit" || die "checkout of $commit failed"
    # A mirror may lack its largest files, and git checks out the rest without failing; the
    # build cannot do without the SQLite amalgamation. compat/stock-client.sh knows how to
    # stand in for it.
    [[ -f $src/externals/sqlite3/src/sqlite3.c ]] \
      || die "$CVMFS_SRC lacks externals/sqlite3/src/sqlite3.c: run CVMFS_SRC=$CVMFS_SRC compat/stock-client.sh, then set CVMFS_SRC to its checkout (/var/tmp/cvmfs-compat/cvmfs-src)"
  fi
  # The -Z patch: `ingest` reads the compression algorithm from its argument 'Z'
  # (swissknife_ingest.cc), but only the options in its GetParams() list reach getopt, and 'Z'
  # is not among them, so -Z is refused. Add it after the 'T' (tar file) option.
  python3 - "$src/cvmfs/swissknife_ingest.h" <<'EOF' || die "cannot apply the -Z patch"
import sys
path = sys.argv[1]
text = open(path).read()
anchor = "    r.push_back(Parameter::Optional('T', \"tar file to extract\"));\n"
if "Parameter::Optional('Z'" not in text:
    if anchor not in text:
        sys.exit("no 'T' option line in " + path)
    text = text.replace(anchor, anchor + "    r.push_back(Parameter::Optional('Z', \"compression algorithm\"));\n")
    open(path, "w").write(text)
EOF
  mkdir -p "$build"
  note "configuring (RelWithDebInfo without NDEBUG), log in $UPSTREAM_BUILD/cmake.log ..."
  # The options of compat/stock-client.sh, whose RelWithDebInfo adds "-O2 -g -DNDEBUG" after
  # CernVM-FS's own flags (which hold -Os), so that -O2 wins; here the same "-O2 -g" without
  # -DNDEBUG. (With the build type None, -O2 would come before -Os and lose, and CernVM-FS
  # replaces CMAKE_C_FLAGS with $CFLAGS, so -DCMAKE_C_FLAGS=-O2 would be dropped.)
  (cd "$build" && nice -n 19 cmake "$src" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g" -DBUILD_CVMFS=ON -DBUILD_SERVER=ON -DBUILD_RECEIVER=OFF \
      -DBUILD_GEOAPI=OFF -DBUILD_LIBCVMFS=OFF -DBUILD_LIBCVMFS_CACHE=OFF -DBUILD_SHRINKWRAP=OFF \
      -DBUILD_PRELOADER=OFF -DBUILD_UNITTESTS=OFF -DBUILD_GATEWAY=OFF -DBUILD_DUCC=OFF \
      -DBUILD_SNAPSHOTTER=OFF -DINSTALL_MOUNT_SCRIPTS=OFF -DINSTALL_BASH_COMPLETION=OFF \
      -DINSTALL_PUBLIC_KEYS=OFF) > "$UPSTREAM_BUILD/cmake.log" 2>&1 \
    || die "cmake failed, see $UPSTREAM_BUILD/cmake.log"
  note "building cvmfs_swissknife, log in $UPSTREAM_BUILD/make.log ..."
  (cd "$build" && timeout 10800 nice -n 19 make -j2 cvmfs_swissknife) > "$UPSTREAM_BUILD/make.log" 2>&1 \
    || die "make failed, see $UPSTREAM_BUILD/make.log"
  [[ -x $build/cvmfs/cvmfs_swissknife ]] || die "no $build/cvmfs/cvmfs_swissknife after the build"
  ! grep -q -- '-DNDEBUG' "$build/cvmfs/CMakeFiles/cvmfs_swissknife.dir/flags.make" \
    || die "cvmfs_swissknife was compiled with -DNDEBUG, see $build/cvmfs/CMakeFiles/cvmfs_swissknife.dir/flags.make"
  echo "$build/cvmfs/cvmfs_swissknife"
}

if [[ -n ${UPSTREAM_SWISSKNIFE:-} ]]; then
  [[ -x $UPSTREAM_SWISSKNIFE ]] || die "UPSTREAM_SWISSKNIFE=$UPSTREAM_SWISSKNIFE is not executable"
  SWISSKNIFE=$UPSTREAM_SWISSKNIFE
elif [[ ${REBUILD:-0} != 1 && -x $UPSTREAM_BUILD/build/cvmfs/cvmfs_swissknife ]]; then
  SWISSKNIFE=$UPSTREAM_BUILD/build/cvmfs/cvmfs_swissknife
  note "reusing $SWISSKNIFE"
elif [[ -n ${CVMFS_SRC:-} ]]; then
  need cmake cmake
  need make make
  need g++ g++
  need python3 python3
  require_jar   # before a build of some minutes, not after
  SWISSKNIFE=$(build_upstream)
else
  echo "$BENCH_NAME: skipped: no upstream cvmfs_swissknife (set UPSTREAM_SWISSKNIFE to one built without NDEBUG and with -Z in ingest's options, or CVMFS_SRC to CernVM-FS sources to build one in $UPSTREAM_BUILD)"
  exit 0
fi

need java openjdk-17-jre-headless
need timeout coreutils
need curl curl
need tar tar
require_jar

make_work
# the large files and their tar for a moment, one repository at a time of those, the five
# repositories of the small files (4 KiB blocks per object), catalogs and slack
require_free_kib $(( TOTAL_MIB * 1024 * 4 + SMALL_FILES * 24 + 2 * 1024 * 1024 ))

# `ingest` keeps publish statistics in /var/spool/cvmfs/FQRN/stats.db (there is no option for
# another place); that directory is made here if needed and removed again if it was.
SPOOL=/var/spool/cvmfs/$FQRN
MADE_SPOOL=0
if [[ ! -d $SPOOL ]]; then
  mkdir -p "$SPOOL"
  MADE_SPOOL=1
fi
cleanup_spool() { (( MADE_SPOOL == 0 )) || rm -rf "$SPOOL"; cleanup; }
trap cleanup_spool EXIT

# --- Inputs ---------------------------------------------------------------------------------

LARGE_TAR=$WORK/large.tar
SMALL_TAR=$WORK/small.tar
generate_usr_files "$WORK/large"
note "packing the large files into $LARGE_TAR ..."
timeout "$STEP_TIMEOUT" tar -C "$WORK" -cf "$LARGE_TAR" large
rm -rf "$WORK/large"

note "generating $SMALL_FILES files of 1 KiB ..."
for ((d = 0; d * 1000 < SMALL_FILES; d++)); do
  n=$(( SMALL_FILES - d * 1000 < 1000 ? SMALL_FILES - d * 1000 : 1000 ))
  dir=$(printf '%s/small/d%03d' "$WORK" "$d")
  mkdir -p "$dir"
  head -c $((n * 1024)) /dev/urandom | (cd "$dir" && split -b 1024 -d -a 3 - f)
done
count=$(find "$WORK/small" -type f -size 1024c | wc -l)
(( count == SMALL_FILES )) || die "generated $count files, expected $SMALL_FILES"
note "packing them into $SMALL_TAR ..."
timeout "$STEP_TIMEOUT" tar -C "$WORK" -cf "$SMALL_TAR" small
rm -rf "$WORK/small"

# --- The base repository upstream builds on -------------------------------------------------

# `ingest` adds to an existing revision that it reads from a stratum 0: here an empty fresh
# repository that our data plane serves. Its objects are not timed and not counted.
PORT=${BENCH_PORT:-$(free_port 18130)}
BASE_DATA=$WORK/base
note "serving an empty base repository on port $PORT ..."
start_serve "$BASE_DATA" "$PORT" "$WORK/serve.log" --notification-port -1
STRATUM0=http://$HOST:$PORT/cvmfs/$FQRN
BASE_HASH=$(curl -fsS "$STRATUM0/.cvmfspublished" | sed -n '/^--$/q; s/^C//p')
[[ $BASE_HASH =~ ^[0-9a-f]{40}$ ]] || die "no root catalog hash in the base manifest"
PUBKEY=$BASE_DATA/keys/$FQRN.pub
[[ -f $PUBKEY ]] || die "no public key at $PUBKEY"

# --- Checks on what was written -------------------------------------------------------------

# count_objects DATA: the number of objects under DATA/XX (catalogs included).
count_objects() { find "$1" -mindepth 2 -maxdepth 2 -path '*/[0-9a-f][0-9a-f]/*' -type f | wc -l; }

# check_compression DATA COMPRESSION WHO: of up to 32 data objects (no suffix), how many start
# like a zlib stream (0x78); all of them for zlib, not all for none, else the run did not write
# what it was asked to (with random or binary content, a stored object starts with 0x78 in 1 of
# 256 cases).
check_compression() {
  local data=$1 compression=$2 who=$3 f n=0 z=0
  while IFS= read -r f; do
    n=$((n + 1))
    [[ $(od -An -tx1 -N1 "$f" | tr -d ' ') == 78 ]] && z=$((z + 1))
  done < <(find "$1" -mindepth 2 -maxdepth 2 -path '*/[0-9a-f][0-9a-f]/*' -type f \
             -regex '.*/[0-9a-f]*' | head -n 32)
  (( n > 0 )) || die "$who wrote no data objects into $data"
  if [[ $compression == zlib ]]; then
    (( z == n )) || die "$who, zlib: only $z of $n data objects are zlib streams"
  else
    (( z < n )) || die "$who, none: all $n data objects sampled are zlib streams"
  fi
}

# --- Runs -----------------------------------------------------------------------------------

declare -A WALL_MS JSON_MS OBJECTS STORED

# done_with KEY DIR: removes the repository DIR after its run (then `sync`), so that at most one
# copy of the large input's objects is on disk at a time; but those of the small input stay
# until the end: removing 100,000 files slows the creation of files for minutes afterwards
# (see "Runs back to back" in README.md), which would handicap whichever run came next.
done_with() {
  [[ $1 == small-* ]] && return 0
  rm -rf "$2"
  sync
}

# ours KEY TAR COMPRESSION [CREATION]: a publish of TAR into a fresh repository created with
# --compression CREATION (default COMPRESSION); its data objects are checked against
# COMPRESSION unless that is "-".
ours() {
  local key=$1 tar=$2 compression=$3 creation=${4:-$3} data=$WORK/ours-$1
  rm -rf "$data"
  create_repository "$data" --compression "$creation"
  sync
  note "timing ours, $key ..."
  timed_publish "$data" big "$tar"
  WALL_MS[ours-$key]=$PUBLISH_WALL_MS
  JSON_MS[ours-$key]=$PUBLISH_JSON_MS
  [[ $compression == - ]] || check_compression "$data/$FQRN/data" "$compression" "ours"
  OBJECTS[ours-$key]=$(count_objects "$data/$FQRN/data")
  STORED[ours-$key]=$(du -sb "$data/$FQRN/data" | cut -f1)
  done_with "$key" "$data"
}

# upstream KEY TAR COMPRESSION: `cvmfs_swissknife ingest` of TAR into a fresh local upstream
# storage (data/00..ff and data/txn, as `cvmfs_server mkfs` makes them) on top of the base
# repository, with the options `cvmfs_server ingest` passes (cvmfs_server_ingest.sh).
upstream() {
  local key=$1 tar=$2 compression=$3 repo=$WORK/upstream-$1 scratch=$WORK/upstream-scratch t0 i
  rm -rf "$repo" "$scratch"
  mkdir -p "$repo/data/txn" "$scratch/rdonly" "$scratch/tmp" "$scratch/union"
  for ((i = 0; i < 256; i++)); do mkdir "$(printf '%s/data/%02x' "$repo" "$i")"; done
  sync
  note "timing upstream, $key ..."
  t0=$(now_ms)
  timeout "$STEP_TIMEOUT" "$SWISSKNIFE" ingest \
    -u "$scratch/union" -c "$scratch/rdonly" -t "$scratch/tmp" \
    -b "$BASE_HASH" -r "local,$repo/data/txn,$repo" -w "$STRATUM0" \
    -o "$scratch/manifest" -K "$PUBKEY" -N "$FQRN" -U "$(id -u)" -G "$(id -g)" \
    -T "$tar" -B big -Z "$compression" > "$WORK/ingest-$key.log" 2>&1 \
    || { tail -n 20 "$WORK/ingest-$key.log" >&2
         grep -q "invalid option -- 'Z'" "$WORK/ingest-$key.log" \
           && die "$SWISSKNIFE does not take -Z: a build without the -Z patch"
         grep -q "No formats registered" "$WORK/ingest-$key.log" \
           && die "$SWISSKNIFE cannot read tars: a build with NDEBUG"
         die "cvmfs_swissknife ingest failed for $key"; }
  WALL_MS[upstream-$key]=$(( $(now_ms) - t0 ))
  grep -q '^C[0-9a-f]\{40\}$' "$scratch/manifest" || die "ingest wrote no manifest for $key"
  ! grep -qx "C$BASE_HASH" "$scratch/manifest" || die "ingest left the root catalog unchanged for $key"
  check_compression "$repo/data" "$compression" "upstream"
  OBJECTS[upstream-$key]=$(count_objects "$repo/data")
  STORED[upstream-$key]=$(du -sb "$repo/data" | cut -f1)
  rm -rf "$scratch"
  done_with "$key" "$repo"
}

for input in large small; do
  tar=$WORK/$input.tar
  cat "$tar" > /dev/null   # warm the page cache
  # Upstream deflates every object, so ours is compared with zlib-always: the same work. Our
  # default, adaptive zlib (which stores what does not compress as it is), is timed as well.
  ours "$input-zlib" "$tar" zlib zlib-always
  upstream "$input-zlib" "$tar" zlib
  ours "$input-none" "$tar" none
  upstream "$input-none" "$tar" none
  ours "$input-adaptive" "$tar" - zlib
done

# Every small file is distinct, so each run must have stored at least one object per file.
for side in ours upstream; do
  for compression in zlib none; do
    (( OBJECTS[$side-small-$compression] >= SMALL_FILES )) \
      || die "$side, small, $compression: ${OBJECTS[$side-small-$compression]} objects for $SMALL_FILES files"
  done
done

# --- Results --------------------------------------------------------------------------------

upstream_version=$("$SWISSKNIFE" --version 2>/dev/null | head -n 1 || true)
echo
echo "vs-upstream: our publish against cvmfs_swissknife ingest ${upstream_version:+($upstream_version) }on the same tars, $(nproc) cores"
echo "  large: $FILES files, $TOTAL_MIB MiB in all (cut from /usr), tar $(( $(stat -c %s "$LARGE_TAR") / 1048576 )) MiB"
echo "  small: $SMALL_FILES files of 1 KiB (random), tar $(( $(stat -c %s "$SMALL_TAR") / 1048576 )) MiB"
echo "  each into a fresh repository under $WORK, page cache warm; wall = the whole command (ours with JVM start)"
echo "  ratio = upstream wall / ours wall (json: over our timings.ingestMs + commitMs)"
printf '%-11s %10s %10s %11s %11s %9s %7s %7s %10s %10s  %s\n' "input" "ours s" "upstr s" \
  "ours rate" "upstr rate" "unit" "ratio" "json" "ours obj" "upstr obj" "goal"
row() { # row INPUT COMPRESSION AMOUNT UNIT GOAL-TEXT
  local key=$1-$2 amount=$3 unit=$4 rate_ours rate_up r rj
  rate_ours=$(awk -v a="$amount" -v ms="${WALL_MS[ours-$key]}" 'BEGIN { printf "%.1f", a / (ms / 1000) }')
  rate_up=$(awk -v a="$amount" -v ms="${WALL_MS[upstream-$key]}" 'BEGIN { printf "%.1f", a / (ms / 1000) }')
  r=$(ratio "${WALL_MS[upstream-$key]}" "${WALL_MS[ours-$key]}")
  rj=$(ratio "${WALL_MS[upstream-$key]}" "${JSON_MS[ours-$key]}")
  printf '%-11s %10.2f %10.2f %11s %11s %9s %7s %7s %10s %10s  %s\n' "$key" \
    "$(ms_to_s "${WALL_MS[ours-$key]}")" "$(ms_to_s "${WALL_MS[upstream-$key]}")" \
    "$rate_ours" "$rate_up" "$unit" "$r" "$rj" "${OBJECTS[ours-$key]}" "${OBJECTS[upstream-$key]}" \
    "$(if [[ $5 == ">="* ]]; then echo "$5 $(verdict "$r" "${5#>= }")"; else echo "$5"; fi)"
}
row large zlib "$TOTAL_MIB" "MiB/s" "(>= $LARGE_ZLIB_WITHDRAWN_GOAL withdrawn: reported only)"
row large none "$TOTAL_MIB" "MiB/s" "-"
row small zlib "$SMALL_FILES" "files/s" ">= $SMALL_GOAL"
row small none "$SMALL_FILES" "files/s" ">= $SMALL_GOAL"
echo "ours with adaptive zlib (the default; stores what does not compress as it is), wall s: large $(ms_to_s "${WALL_MS[ours-large-adaptive]}"), small $(ms_to_s "${WALL_MS[ours-small-adaptive]}"); ratio upstream zlib / this: large $(ratio "${WALL_MS[upstream-large-zlib]}" "${WALL_MS[ours-large-adaptive]}"), small $(ratio "${WALL_MS[upstream-small-zlib]}" "${WALL_MS[ours-small-adaptive]}")"
echo "stored MiB (ours / upstream): $(for k in large-zlib large-none small-zlib small-none; do
  printf '%s %s / %s  ' "$k" "$(awk -v b="${STORED[ours-$k]}" 'BEGIN { printf "%.0f", b / 1048576 }')" \
    "$(awk -v b="${STORED[upstream-$k]}" 'BEGIN { printf "%.0f", b / 1048576 }')"; done)"
