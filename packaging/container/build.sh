#!/bin/sh
# Build the registry's own container image, offline, with buildah from scratch:
#
#   sh packaging/container/build.sh [--binary FILE] [--arch amd64|arm64] [--tag NAME]
#                                   [--manifest LIST] [--oci-archive FILE] [--config FILE]
#
# The image holds the linux binary, the few glibc files it links against, an example config
# (/etc/zot/config.json: 0.0.0.0:5000, storage in /var/lib/zot), a non-root user and nothing else
# (no shell, no package manager): a distroless-style image built from the build host's files.
#
# Why glibc files: Bun's linux build is a dynamically linked glibc program (ld-linux, libc, libm,
# libpthread, libdl), so a bare scratch image cannot run it. The loader and libraries are copied
# from this machine: found with ldd for the host architecture, or, for arm64 on an x86-64 host,
# from Debian's libc6-arm64-cross (/usr/aarch64-linux-gnu) by the binary's DT_NEEDED entries.
# No TLS or CA files are needed: Bun carries its own root certificates.
#
# Default binary: dist/zot-linux-<x64|arm64> (bun run release), else dist/zot for the host arch.
# The image is committed to buildah's local storage as --tag (default localhost/zot-bun:<version>,
# with -<arch> appended for a foreign architecture), added to the manifest list --manifest when
# given (build amd64 and arm64 into one list, then `buildah manifest push --all`), and with
# --oci-archive also written to an OCI archive (`skopeo copy oci-archive:FILE docker://...`).
set -eu

SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
REPOSITORY=$(cd "$SCRIPT_DIR/../.." && pwd)
UID_GID=65532:65532

die() {
  echo "build.sh: $*" >&2
  exit 1
}

BINARY=
ARCH=
TAG=
ARCHIVE=
MANIFEST=
CONFIG=$SCRIPT_DIR/config.json
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) BINARY=${2:?}; shift ;;
    --arch) ARCH=${2:?}; shift ;;
    --tag) TAG=${2:?}; shift ;;
    --oci-archive) ARCHIVE=${2:?}; shift ;;
    --manifest) MANIFEST=${2:?}; shift ;;
    --config) CONFIG=${2:?}; shift ;;
    -h | --help) sed -n '2,/^set -eu$/{/^set -eu$/d;s/^# \{0,1\}//;p;}' "$0"; exit 0 ;;
    *) die "unknown option: $1" ;;
  esac
  shift
done

case "$(uname -m)" in
  x86_64) HOST_ARCH=amd64 ;;
  aarch64 | arm64) HOST_ARCH=arm64 ;;
  *) die "unsupported build host: $(uname -m)" ;;
esac
[ -n "$ARCH" ] || ARCH=$HOST_ARCH
case "$ARCH" in
  amd64 | x86_64) ARCH=amd64; RELEASE=x64; TRIPLET=x86_64-linux-gnu ;;
  arm64 | aarch64) ARCH=arm64; RELEASE=arm64; TRIPLET=aarch64-linux-gnu ;;
  *) die "unsupported --arch $ARCH (amd64 or arm64)" ;;
esac

if [ -z "$BINARY" ]; then
  BINARY=$REPOSITORY/dist/zot-linux-$RELEASE
  [ -f "$BINARY" ] || { [ "$ARCH" = "$HOST_ARCH" ] && BINARY=$REPOSITORY/dist/zot; }
fi
[ -f "$BINARY" ] || die "no binary $BINARY: run 'bun run release' or pass --binary"
command -v buildah >/dev/null 2>&1 || die "buildah is missing (apt-get install buildah)"

ROOTFS=$(mktemp -d "${TMPDIR:-/tmp}/zot-image-XXXXXX")
CONTAINER=
cleanup() {
  rm -rf "$ROOTFS" "$ROOTFS.data"
  if [ -n "$CONTAINER" ]; then buildah rm "$CONTAINER" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT INT TERM

# Copies a file ($1) into the rootfs at the path it must have inside the image ($2), following
# symlinks (on a usrmerged host /lib64/ld-linux-x86-64.so.2 is a link).
add() {
  mkdir -p "$ROOTFS$(dirname "$2")"
  cp -L "$1" "$ROOTFS$2"
}

add "$BINARY" /usr/local/bin/zot
chmod 0755 "$ROOTFS/usr/local/bin/zot"

if [ "$ARCH" = "$HOST_ARCH" ]; then
  # "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)"
  ldd "$BINARY" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u >"$ROOTFS.libs"
  while read -r library; do add "$library" "$library"; done <"$ROOTFS.libs"
  rm -f "$ROOTFS.libs"
else
  SYSROOT=/usr/$TRIPLET/lib
  [ -d "$SYSROOT" ] || die "building an $ARCH image here needs $SYSROOT (apt-get install libc6-$ARCH-cross)"
  command -v readelf >/dev/null 2>&1 || die "readelf is missing (apt-get install binutils)"
  interpreter=$(readelf -l "$BINARY" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
  [ -n "$interpreter" ] || die "cannot read the program interpreter of $BINARY"
  add "$SYSROOT/$(basename "$interpreter")" "$interpreter"
  # DT_NEEDED of the binary, then of each library it pulls in, until nothing new appears.
  pending=$BINARY
  seen=" $(basename "$interpreter") "
  while [ -n "$pending" ]; do
    next=
    for object in $pending; do
      for library in $(readelf -d "$object" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        case "$seen" in *" $library "*) continue ;; esac
        seen="$seen$library "
        [ -f "$SYSROOT/$library" ] || die "$library (needed by $(basename "$object")) is not in $SYSROOT"
        add "$SYSROOT/$library" "/lib/$TRIPLET/$library"
        next="$next $SYSROOT/$library"
      done
    done
    pending=$next
  done
fi

add "$CONFIG" /etc/zot/config.json
chmod 0644 "$ROOTFS/etc/zot/config.json"
printf 'root:x:0:0:root:/root:/sbin/nologin\nzot:x:65532:65532:zot:/var/lib/zot:/sbin/nologin\n' >"$ROOTFS/etc/passwd"
printf 'root:x:0:\nzot:x:65532:\n' >"$ROOTFS/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$ROOTFS/etc/nsswitch.conf"
mkdir -p "$ROOTFS/tmp" "$ROOTFS/var/lib"
chmod 1777 "$ROOTFS/tmp"
# The storage root, copied on its own below so that it belongs to the image's user.
mkdir -p "$ROOTFS.data/zot"
chmod 0750 "$ROOTFS.data/zot"

# "zot 0.1.0 (commit abc, distribution-spec 1.1.1)", for the labels and the default tag. A foreign
# binary runs under qemu-user-static when it is installed, against the image's own libraries.
VERSION=
if [ "$ARCH" = "$HOST_ARCH" ]; then
  VERSION=$("$BINARY" --version)
elif command -v "qemu-${TRIPLET%%-*}-static" >/dev/null 2>&1; then
  VERSION=$("qemu-${TRIPLET%%-*}-static" -L "$ROOTFS" "$ROOTFS/usr/local/bin/zot" --version) ||
    die "the $ARCH binary does not start with the libraries copied into the image"
fi
version=$(printf '%s' "$VERSION" | sed -n 's/^zot \([^ ]*\) .*/\1/p')
revision=$(printf '%s' "$VERSION" | sed -n 's/.*(commit \([^,]*\),.*/\1/p')
if [ -z "$TAG" ]; then
  TAG=localhost/zot-bun:${version:-latest}
  [ "$ARCH" = "$HOST_ARCH" ] || TAG=$TAG-$ARCH
fi

CONTAINER=$(buildah from scratch)
buildah copy --quiet "$CONTAINER" "$ROOTFS" / >/dev/null
# --chown applies to what is inside the source directory: its "zot" becomes /var/lib/zot, owned
# by the image's user so that a fresh volume is writable by it.
buildah copy --quiet --chown "$UID_GID" "$CONTAINER" "$ROOTFS.data" /var/lib >/dev/null
buildah config \
  --os linux --arch "$ARCH" \
  --entrypoint '["/usr/local/bin/zot","serve","/etc/zot/config.json"]' \
  --cmd '' \
  --port 5000/tcp \
  --volume /var/lib/zot \
  --workingdir /var/lib/zot \
  --user "$UID_GID" \
  --env PATH=/usr/local/bin \
  --stop-signal SIGTERM \
  --label org.opencontainers.image.title=zot-bun \
  --label "org.opencontainers.image.description=OCI registry and pull-through cache, compatible with zot" \
  --label org.opencontainers.image.url=https://zotregistry.dev \
  --label "org.opencontainers.image.version=${version:-unknown}" \
  --label "org.opencontainers.image.revision=${revision:-unknown}" \
  "$CONTAINER"
buildah commit --quiet --rm ${MANIFEST:+--manifest "$MANIFEST"} "$CONTAINER" "$TAG" >/dev/null
CONTAINER=
[ -z "$ARCHIVE" ] || buildah push --quiet "$TAG" "oci-archive:$ARCHIVE:$TAG"
echo "$TAG"
