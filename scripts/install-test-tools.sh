#!/bin/sh
# Debian packages the end-to-end tests drive: real clients (skopeo, podman, buildah, umoci,
# containerd), the reference upstream registry (docker-registry), Chromium for the API-key page,
# and small helpers.
# Installed only when running as root and something is missing; otherwise the tests that need a
# missing tool fail with a message naming it.
set -u
PACKAGES="skopeo podman buildah umoci containerd docker-registry jq apache2-utils chromium openssl"
missing=""
for tool in skopeo podman buildah umoci containerd docker-registry jq htpasswd chromium openssl; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/bin/$tool" ] || missing="$missing $tool"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing test tools:$missing (run as root, or: apt-get install $PACKAGES)" >&2
  exit 0
fi
echo "installing Debian test tools:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 $PACKAGES >/dev/null
