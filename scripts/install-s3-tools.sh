#!/bin/sh
# Debian packages behind the S3 tests: a throwaway single-node Ceph (monitor, memstore OSD and
# the RADOS gateway), the only S3 server available offline that checks signatures and implements
# multipart and conditional writes (see tests/support/ceph-rgw.ts).
# Installed only when running as root and something is missing; otherwise the S3 tests fail
# with a message naming the missing tool.
set -u
PACKAGES="radosgw ceph-mon ceph-osd ceph-common"
missing=""
for tool in radosgw ceph-mon ceph-osd ceph radosgw-admin ceph-authtool monmaptool; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/bin/$tool" ] || missing="$missing $tool"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing S3 test tools:$missing (run as root, or: apt-get install $PACKAGES)" >&2
  exit 0
fi
echo "installing Ceph for the S3 tests:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 $PACKAGES >/dev/null
