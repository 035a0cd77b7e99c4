#!/usr/bin/env bash
# The live-video stack: Debian's nginx with its RTMP module and ffmpeg (apt, where
# missing), and hls.js from the npm registry vendored into the package's static files
# with its licence (pinned version, checked by sha256). Quiet when all is present.
set -euo pipefail

HLS_VERSION=1.7.4
# sha256 of the registry's tarball and of the file we serve from it
HLS_TARBALL_SHA256=e4ab3d5d13f7cca9ef241d098f39686e19fd451831ba07dc9943482fd5ff75c7
HLS_MIN_JS_SHA256=cfc70cc9e9fc63d071919e087670abc760c8fd1bc889b88588026e4d22193bbe
RTMP_MODULE=/usr/lib/nginx/modules/ngx_rtmp_module.so

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vendor="$here/src/liveshop/web/static/vendor/hls"

missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -f "$RTMP_MODULE" ] || missing+=(libnginx-mod-rtmp)
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # nginx's package starts the system service on port 80; LiveShop runs its own
  # unprivileged nginx, so the service is not wanted (policy-rc.d keeps it stopped).
  own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    own_policy=1
  fi
  status=0
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
  [ "$own_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  [ "$status" = 0 ] || exit "$status"
fi

if [ -f "$vendor/hls.min.js" ] && [ -f "$vendor/LICENSE" ] \
  && echo "$HLS_MIN_JS_SHA256  $vendor/hls.min.js" | sha256sum --check --status; then
  exit 0
fi
echo "fetching hls.js $HLS_VERSION from the npm registry"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tarball="$work/hls.js-$HLS_VERSION.tgz"
if command -v npm >/dev/null 2>&1; then
  (cd "$work" && npm pack --silent "hls.js@$HLS_VERSION" >/dev/null)
else
  curl -fsSL -o "$tarball" "https://registry.npmjs.org/hls.js/-/hls.js-$HLS_VERSION.tgz"
fi
echo "$HLS_TARBALL_SHA256  $tarball" | sha256sum --check --status || {
  echo "hls.js $HLS_VERSION: the tarball's sha256 does not match the pinned one" >&2
  exit 1
}
tar -xzf "$tarball" -C "$work" package/dist/hls.min.js package/LICENSE
mkdir -p "$vendor"
install -m 0644 "$work/package/dist/hls.min.js" "$vendor/hls.min.js"
install -m 0644 "$work/package/LICENSE" "$vendor/LICENSE"
echo "$HLS_VERSION" >"$vendor/VERSION"
echo "$HLS_MIN_JS_SHA256  $vendor/hls.min.js" | sha256sum --check --status
