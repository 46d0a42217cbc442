#!/usr/bin/env bash
# Builds toxiproxy-server from source through the Go module proxy into the user's cache directory
# and prints the binary's path on its last line. A second run finds it there and builds nothing.
set -euo pipefail
version="${TOXIPROXY_VERSION:-v2.12.0}"
root="${XDG_CACHE_HOME:-$HOME/.cache}/zk-testnet/toxiproxy"
bin="$root/$version/bin"
server="$bin/toxiproxy-server"

now() { date +%s%N; }
ms() { echo $(( ($(now) - $1) / 1000000 )); }
started="$(now)"

if [ -x "$server" ]; then
  echo "toxiproxy $version: cached ($(ms "$started") ms)" >&2
  echo "$server"
  exit 0
fi

go_bin="$(command -v go || true)"
# A fresh shell may not have the standard Go install on its PATH.
if [ -z "$go_bin" ] && [ -x /usr/local/go/bin/go ]; then go_bin=/usr/local/go/bin/go; fi
if [ -z "$go_bin" ]; then
  echo "error: Go is required once, to build toxiproxy $version from source (https://go.dev/dl or apt-get install golang)" >&2
  exit 3
fi

# Module downloads and build cache live beside the binary, so a rebuild after removing bin/ is quick.
export GOPATH="$root/gopath"
export GOMODCACHE="$GOPATH/pkg/mod"
export GOCACHE="$root/gocache"
export GOFLAGS="-modcacherw -buildvcs=false"
export GOTOOLCHAIN=local
export CGO_ENABLED=0
export GOBIN="$bin.tmp"

# One build at a time (runs started together on a fresh machine): the others wait, then find it built.
mkdir -p "$root"
exec 9>"$root/.build.lock"
flock -w 900 9 || { echo "error: another build holds $root/.build.lock for more than 900 s" >&2; exit 4; }
if [ -x "$server" ]; then
  echo "toxiproxy $version: built meanwhile by another run ($(ms "$started") ms)" >&2
  echo "$server"
  exit 0
fi

echo "toxiproxy $version: building with $("$go_bin" version | cut -d' ' -f3) into $bin" >&2
rm -rf "$GOBIN"
mkdir -p "$GOBIN" "$root"
if ! "$go_bin" install -trimpath \
      -ldflags "-s -w -X github.com/Shopify/toxiproxy/v2.Version=${version#v}" \
      "github.com/Shopify/toxiproxy/v2/cmd/server@$version" >"$root/build-$version.log" 2>&1; then
  echo "error: could not build toxiproxy $version; see $root/build-$version.log" >&2
  tail -n 5 "$root/build-$version.log" >&2 || true
  exit 4
fi
mv "$GOBIN/server" "$GOBIN/toxiproxy-server"
rm -rf "$bin"
mv "$GOBIN" "$bin"
echo "toxiproxy $version: built in $(ms "$started") ms" >&2
echo "$server"
