#!/bin/sh
# Debian packages the tests drive, installed only when running as root and something is missing
# (otherwise the tests that need a missing tool fail with a message naming it):
# - real clients (skopeo, podman, buildah, umoci, containerd), the reference upstream registry
#   (docker-registry), Chromium for the API-key page, and small helpers;
# - a throwaway single-node Ceph (monitor, memstore OSD, RADOS gateway): the only S3 server
#   available offline that checks signatures and implements multipart and conditional writes
#   (see tests/support/counterparts/ceph-rgw.ts);
# - zsh, fish and groff, which check the generated completions and man page;
# - qemu for the arm64 binary, strace for the unit's system-call filter, systemd-analyze.
set -u
updated=""

# install_missing LABEL "PACKAGES" TOOL...: installs PACKAGES when any TOOL is missing.
install_missing() {
  label=$1 packages=$2
  shift 2
  missing=""
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/bin/$tool" ] || missing="$missing $tool"
  done
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "missing $label:$missing (run as root, or: apt-get install $packages)" >&2
    return 0
  fi
  echo "installing $label:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "$updated" ]; then
    apt-get update -qq >/dev/null 2>&1 || apt-get update -qq >/dev/null
    updated=yes
  fi
  apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 $packages >/dev/null
}

install_missing "test clients" "skopeo podman buildah umoci containerd docker-registry jq apache2-utils chromium openssl" \
  skopeo podman buildah umoci containerd docker-registry jq htpasswd chromium openssl
install_missing "shells and groff for the completion and man-page tests" "zsh fish groff-base" zsh fish groff
install_missing "a NATS server for the events extension's nats sink" "nats-server" nats-server
install_missing "emulation and tracing for the packaging tests" "qemu-user-static libc6-arm64-cross strace systemd" \
  qemu-aarch64-static strace systemd-analyze
install_missing "OpenLDAP for the LDAP login tests" "slapd ldap-utils" slapd slapadd ldapsearch
install_missing "Ceph for the S3 tests" "radosgw ceph-mon ceph-osd ceph-common" \
  radosgw ceph-mon ceph-osd ceph radosgw-admin ceph-authtool monmaptool
exit 0
