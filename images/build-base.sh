#!/bin/sh
# Builds the JRE base image of the cvmfs-ephemeral images from Debian packages only, without a
# Docker daemon or registry: mmdebstrap makes a bookworm root file system with
# openjdk-17-jre-headless, buildah commits it, and the result is written as a docker-archive
# (the form Jib reads as tar://...) to target/images/jre-base.tar, named
# localhost/cvmfs-ephemeral/jre-base:17.
#
#   images/build-base.sh [--rebuild] [--arch ARCH] [--output FILE] [--for-base IMAGE]
#
# An existing tar is reused unless --rebuild. --for-base takes the build's image.base: a
# tar://PATH is built at PATH when missing, any other base (a registry image) needs nothing.
# Runs as root; installs mmdebstrap and buildah with apt-get when they are missing. The Debian
# mirror is the one in /etc/apt/sources.list(.d), else deb.debian.org. Prints the image's
# digest (its config digest, which is the image ID).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
output="$root/target/images/jre-base.tar"
name=localhost/cvmfs-ephemeral/jre-base:17
rebuild=false
arch=$(dpkg --print-architecture)
while [ $# -gt 0 ]; do
  case "$1" in
    --rebuild) rebuild=true ;;
    --arch) arch="$2"; shift ;;
    --output) output="$2"; shift ;;
    --for-base)
      case "$2" in
        tar://*) output="${2#tar://}" ;;
        *) echo "build-base.sh: base $2 is not a local tar, nothing to build" >&2; exit 0 ;;
      esac
      shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-base.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

digest_of() {
  # The config digest that manifest.json names, e.g. "Config":"sha256:....json" or "....json".
  tar -xOf "$1" manifest.json | sed -n 's/.*"Config":"\(sha256:\)\{0,1\}\([0-9a-f]\{64\}\).*/sha256:\2/p'
}

if [ -s "$output" ] && [ "$rebuild" = false ]; then
  echo "build-base.sh: reusing $output ($name, $(digest_of "$output")); --rebuild to build it again" >&2
  digest_of "$output"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "build-base.sh: run as root (mmdebstrap and buildah need it here)" >&2
  exit 1
fi

missing=
command -v mmdebstrap >/dev/null 2>&1 || missing="$missing mmdebstrap"
command -v buildah >/dev/null 2>&1 || missing="$missing buildah"
command -v newuidmap >/dev/null 2>&1 || missing="$missing uidmap"
if [ -n "$missing" ]; then
  echo "build-base.sh: installing$missing" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2
fi

# The Debian mirror this machine uses (deb822 URIs: or one-line deb entries).
mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
  | sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)\/\{0,1\}$/\1/p' | head -n 1)
if [ -z "$mirror" ]; then
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | sed -n 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]*\/debian\)\/\{0,1\}[[:space:]].*/\2/p' | head -n 1)
fi
mirror=${mirror:-http://deb.debian.org/debian}
security=$(echo "$mirror" | sed 's,/debian$,/debian-security,')

work=$(mktemp -d "${TMPDIR:-/tmp}/jre-base.XXXXXX")
container=
cleanup() {
  [ -z "$container" ] || buildah rm "$container" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

start=$(date +%s)
echo "build-base.sh: root file system from $mirror ($arch)" >&2
# Documentation, man pages and translations are left out; Java's postinst registers man pages
# with update-alternatives, so man1 must exist.
mmdebstrap --quiet --format=tar --variant=apt --architectures="$arch" \
  --include=openjdk-17-jre-headless,ca-certificates \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --setup-hook='mkdir -p "$1/usr/share/man/man1"' \
  --customize-hook='chroot "$1" groupadd --gid 65532 cvmfs' \
  --customize-hook='chroot "$1" useradd --uid 65532 --gid 65532 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin cvmfs' \
  --customize-hook='mkdir -p "$1/opt/cvmfs-ephemeral" "$1/var/lib/cvmfs-ephemeral" && chown 65532:65532 "$1/var/lib/cvmfs-ephemeral"' \
  --customize-hook='rm -rf "$1/var/cache/apt/"*.bin "$1/var/lib/apt/lists/"* "$1/var/log/"*.log "$1/var/log/apt/"*' \
  bookworm "$work/rootfs.tar" \
  "deb $mirror bookworm main" \
  "deb $mirror bookworm-updates main" \
  "deb $security bookworm-security main"
echo "build-base.sh: root file system in $(( $(date +%s) - start )) s, $(du -m "$work/rootfs.tar" | cut -f1) MiB" >&2

container=$(buildah from --arch "$arch" scratch)
buildah add --quiet "$container" "$work/rootfs.tar" / >/dev/null
# containerd sets no PATH of its own, unlike podman: the image must carry it.
buildah config \
  --arch "$arch" --os linux \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env LANG=C.UTF-8 \
  --env JAVA_HOME="/usr/lib/jvm/java-17-openjdk-$arch" \
  --workingdir /tmp \
  --cmd '["/bin/sh"]' \
  --label org.opencontainers.image.title=cvmfs-ephemeral-jre-base \
  --label org.opencontainers.image.description="Debian bookworm with openjdk-17-jre-headless" \
  "$container"
buildah commit --quiet --format docker --rm "$container" "$name" >/dev/null
container=
mkdir -p "$(dirname "$output")"
rm -f "$output.tmp"
buildah push --quiet "$name" "docker-archive:$output.tmp:$name" >/dev/null
mv "$output.tmp" "$output"
buildah rmi "$name" >/dev/null 2>&1 || true
echo "build-base.sh: $output ($name) in $(( $(date +%s) - start )) s, $(du -m "$output" | cut -f1) MiB" >&2
digest_of "$output"
