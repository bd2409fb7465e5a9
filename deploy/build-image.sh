#!/usr/bin/env bash
# Builds the hone image without pulling anything: FROM scratch, with the binary, every shared
# library `ldd` lists for it (and the dynamic loader), CA certificates, /etc/passwd and /etc/group
# with an unprivileged `hone` user (uid 10001), /tmp, and the web dashboard from web/dist when it
# has been built (in /usr/local/share/hone/ui, where `hone server` finds it). Uses Docker's legacy builder, which
# Debian's docker.io has (no buildx).
#
# Usage: deploy/build-image.sh [--binary PATH] [--tag TAG]
#   --binary  default build/release/apps/hone/hone
#   --tag     default hone:latest
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/build/release/apps/hone/hone
TAG=hone:latest
while [[ $# -gt 0 ]]; do
  case $1 in
    --binary) BIN=${2:?--binary needs a path}; shift ;;
    --tag) TAG=${2:?--tag needs a name}; shift ;;
    *) echo "build-image: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
[[ -x $BIN ]] || { echo "build-image: no hone binary at $BIN" >&2; exit 1; }
command -v docker >/dev/null || { echo "build-image: docker not found (apt-get install docker.io)" >&2; exit 1; }

CTX=$(mktemp -d)
trap 'rm -rf "$CTX"' EXIT
R=$CTX/rootfs
mkdir -p "$R/usr/local/bin" "$R/etc/ssl/certs" "$R/var/lib/hone" "$R/tmp"
chmod 1777 "$R/tmp"
install -m 0755 "$BIN" "$R/usr/local/bin/hone"
if [[ -f $ROOT/web/dist/index.html ]]; then
  mkdir -p "$R/usr/local/share/hone"
  cp -r "$ROOT/web/dist" "$R/usr/local/share/hone/ui"
else
  echo "build-image: web/dist is not built (cd web && npm ci && npm run build): no dashboard" >&2
fi
# The libraries, at the paths the loader looks them up by (symlinks resolved).
ldd "$BIN" | grep -o '/[^ ]*' | sort -u | while read -r lib; do
  mkdir -p "$R$(dirname "$lib")"
  cp -L "$lib" "$R$lib"
done
[[ -f /etc/ssl/certs/ca-certificates.crt ]] && cp /etc/ssl/certs/ca-certificates.crt "$R/etc/ssl/certs/"
printf 'root:x:0:0:root:/root:/sbin/nologin\nhone:x:10001:10001:hone:/var/lib/hone:/sbin/nologin\n' \
  >"$R/etc/passwd"
printf 'root:x:0:\nhone:x:10001:\n' >"$R/etc/group"
printf 'hosts: files dns\n' >"$R/etc/nsswitch.conf"
chown -R 10001:10001 "$R/var/lib/hone"
cp "$ROOT/deploy/Dockerfile.prebuilt" "$CTX/Dockerfile"
DOCKER_BUILDKIT=0 docker build -q -t "$TAG" "$CTX" >/dev/null
echo "built $TAG ($(docker image inspect -f '{{.Size}}' "$TAG") bytes) from $BIN"
