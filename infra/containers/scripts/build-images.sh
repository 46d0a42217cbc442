#!/usr/bin/env bash
# Builds the testnet's container images locally, without any image registry:
#
#   zk-testnet/debian-base:12-local   Debian bookworm (minbase) + OpenJDK 17 JRE, made with
#                                     debootstrap and imported with `docker import`
#   zk-testnet/kafka:<kafka>-local    the Kafka broker (images/kafka/) on that base, with the jars
#                                     that infra/kafka/scripts/fetch-jars.sh resolves
#   zk-testnet/toxiproxy:<version>-local   (only with the argument `toxiproxy`, alone)
#                                     toxiproxy-server (images/toxiproxy/) on that base, built
#                                     from source by infra/toxiproxy/scripts/build.sh
#   zk-testnet/node-service:<node>-local
#                                     the services' image (images/node-service/): that base and the
#                                     pinned Node binary (.node-version) from the toolchain's cache
#
# An image is built only when it is missing or its inputs changed: each carries a label with a
# hash of what it was built from, compared with `docker image inspect`. The debootstrapped root
# file system is cached as a tarball under ${XDG_CACHE_HOME:-$HOME/.cache}/zk-testnet/images/, so
# a new data-root or engine imports it again instead of running debootstrap.
#
# Uses $DOCKER_HOST, or asks engine.sh for the engine it runs. Prints the image tags on its
# last line (base, kafka and node-service tags, separated by spaces); progress and timings go to
# stderr.
#
# Environment:
#   ZKT_DEBIAN_MIRROR      Debian mirror for debootstrap (default: the machine's apt sources,
#                          else http://deb.debian.org/debian)
#   ZKT_REBUILD_IMAGES=1   build every image even when it is up to date (the cached rootfs
#                          tarball is still used; delete it to run debootstrap again)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
containers="$(cd "$here/.." && pwd)"
repo="$(cd "$containers/../.." && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/zk-testnet/images"

suite=bookworm
base_tag="zk-testnet/debian-base:12-local"
# Packages on top of minbase: the JRE the broker runs on, CA certificates, /etc/services & co.
base_packages="openjdk-17-jre-headless,ca-certificates,netbase"
kafka_version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$repo/infra/kafka/pom.xml")"
[ -n "$kafka_version" ] || { echo "build-images: error: no <kafka.version> in infra/kafka/pom.xml" >&2; exit 1; }
kafka_tag="zk-testnet/kafka:${kafka_version}-local"
node_version="$(tr -d ' \n' <"$repo/.node-version")"
[ -n "$node_version" ] || { echo "build-images: error: no version in .node-version" >&2; exit 1; }
node_tag="zk-testnet/node-service:${node_version}-local"
label_key="dev.zk-testnet.inputs"

log() { echo "build-images: $*" >&2; }
die() { echo "build-images: error: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

if [ -z "${DOCKER_HOST:-}" ]; then
  if ! line="$("$here/engine.sh" env 2>/dev/null)"; then
    die "no Docker engine: set DOCKER_HOST or run infra/containers/scripts/engine.sh start first"
  fi
  export DOCKER_HOST="${line#DOCKER_HOST=}"
fi
unset DOCKER_CONTEXT
timeout 20 docker info >/dev/null 2>&1 || die "the Docker engine at $DOCKER_HOST does not answer"
# The classic builder: it needs no buildx plugin and no builder image, only the engine.
export DOCKER_BUILDKIT=0

# Build contexts are temporary folders, removed when the script exits.
contexts=()
trap 'rm -rf "${contexts[@]:-}"' EXIT
# Sets ctx (not a command substitution: the list must grow in this shell).
new_context() {
  ctx="$(mktemp -d "${TMPDIR:-/tmp}/zkt-$1-image.XXXXXX")"
  contexts+=("$ctx")
}

# The label value of an image, or nothing when the image is missing.
image_label() {
  docker image inspect --format "{{ index .Config.Labels \"$label_key\" }}" "$1" 2>/dev/null || true
}

debian_mirror() {
  if [ -n "${ZKT_DEBIAN_MIRROR:-}" ]; then echo "$ZKT_DEBIAN_MIRROR"; return; fi
  local uri=""
  if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
    # deb822 stanzas: the first URI of a stanza that is not the security archive.
    uri="$(awk 'tolower($1) == "uris:" && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list.d/*.sources)"
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri="$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) { if ($i !~ /security/) print $i; break } }' /etc/apt/sources.list | head -n 1)"
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

build_base() {
  local arch key tarball started
  arch="$(dpkg --print-architecture 2>/dev/null || echo amd64)"
  key="$(printf '%s|%s|%s|%s' "$suite" minbase "$base_packages" "$arch" | sha256sum | cut -c1-12)"
  tarball="$cache/debian-$suite-minbase-$arch-$key.tar.gz"

  if [ "${ZKT_REBUILD_IMAGES:-0}" != 1 ] && [ "$(image_label "$base_tag")" = "$key" ]; then
    log "$base_tag is up to date"
    return
  fi

  mkdir -p "$cache"
  exec 8>"$cache/.lock"
  flock -w 1800 8 || die "another build holds $cache/.lock"
  if [ ! -f "$tarball" ]; then
    [ "$(id -u)" = 0 ] || die "debootstrap needs root to build the $suite root file system"
    if ! command -v debootstrap >/dev/null 2>&1; then
      log "installing debootstrap (apt-get)"
      { DEBIAN_FRONTEND=noninteractive apt-get update \
          && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap; } \
          >"$cache/apt.log" 2>&1 || { tail -n 5 "$cache/apt.log" >&2; die "could not install debootstrap"; }
    fi
    local mirror work
    mirror="$(debian_mirror)"
    work="$(mktemp -d "$cache/rootfs.XXXXXX")"
    started="$(now)"
    log "debootstrap $suite (minbase + $base_packages) from $mirror; log in $cache/debootstrap.log"
    if ! debootstrap --variant=minbase --arch="$arch" --include="$base_packages" \
          "$suite" "$work/rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1; then
      tail -n 15 "$cache/debootstrap.log" >&2 || true
      # debootstrap may leave /proc or /sys mounted inside the target when it fails.
      awk -v r="$work/" 'index($5, r) == 1 { print $5 }' /proc/self/mountinfo | sort -r | xargs -r umount -l || true
      rm -rf "$work"
      die "debootstrap failed; see $cache/debootstrap.log"
    fi
    log "debootstrap took $(since "$started")"
    started="$(now)"
    # Package caches and lists are not needed at run time; /dev, /proc, /sys come from the engine.
    ( cd "$work/rootfs" \
      && rm -rf var/cache/apt/archives/*.deb var/cache/apt/*.bin var/lib/apt/lists/* \
                var/log/* tmp/* dev/* proc/* sys/* run/* )
    local gz=gzip
    command -v pigz >/dev/null 2>&1 && gz=pigz
    tar --numeric-owner -C "$work/rootfs" -cf - . | "$gz" -1 >"$tarball.tmp"
    mv "$tarball.tmp" "$tarball"
    rm -rf "$work"
    log "rootfs tarball $(du -h "$tarball" | cut -f1) written in $(since "$started"): $tarball"
  else
    log "using the cached rootfs $tarball"
  fi
  started="$(now)"
  docker import \
    --change "LABEL $label_key=$key" \
    --change "LABEL org.opencontainers.image.title=\"zk-testnet Debian $suite base\"" \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' \
    --message "debootstrap --variant=minbase $suite + $base_packages" \
    "$tarball" "$base_tag" >/dev/null
  exec 8>&-
  log "imported $base_tag in $(since "$started")"
}

build_kafka() {
  local started libs inputs base_id
  started="$(now)"
  libs="$("$repo/infra/kafka/scripts/fetch-jars.sh" | tail -n 1)"
  [ -d "$libs" ] || die "fetch-jars.sh printed no jar directory"
  base_id="$(docker image inspect --format '{{.Id}}' "$base_tag")"
  inputs="$( {
      echo "$base_id"
      cd "$containers/images/kafka" && sha256sum Dockerfile kafka-run server.properties
      cd "$repo/infra/kafka/config" && sha256sum log4j2.yaml
      cd "$libs" && sha256sum -- *.jar
    } | sha256sum | cut -c1-16)"
  if [ "${ZKT_REBUILD_IMAGES:-0}" != 1 ] && [ "$(image_label "$kafka_tag")" = "$inputs" ]; then
    log "$kafka_tag is up to date"
    return
  fi

  new_context kafka
  mkdir -p "$ctx/libs"
  cp "$libs"/*.jar "$ctx/libs/"
  cp "$containers/images/kafka/Dockerfile" "$containers/images/kafka/server.properties" "$ctx/"
  install -m 0755 "$containers/images/kafka/kafka-run" "$ctx/kafka-run"
  cp "$repo/infra/kafka/config/log4j2.yaml" "$ctx/"
  log "building $kafka_tag ($(find "$ctx/libs" -name '*.jar' | wc -l) jars)"
  if ! docker build \
        --build-arg "BASE_IMAGE=$base_tag" \
        --build-arg "KAFKA_VERSION=$kafka_version" \
        --label "$label_key=$inputs" \
        --label "org.opencontainers.image.title=zk-testnet Apache Kafka $kafka_version broker" \
        --label "org.opencontainers.image.version=$kafka_version" \
        -t "$kafka_tag" "$ctx" >"$ctx/build.log" 2>&1; then
    cat "$ctx/build.log" >&2
    die "docker build of $kafka_tag failed"
  fi
  # The image this build replaced is left untagged; remove it (only images this script labelled).
  docker image prune -f --filter "label=$label_key" >/dev/null 2>&1 || true
  log "built $kafka_tag in $(since "$started")"
}

# The pinned Node the toolchain keeps in its cache (scripts/toolchain.sh), else the Node on PATH
# when it is exactly that version: nothing is downloaded here.
node_binary() {
  local cached="${XDG_CACHE_HOME:-$HOME/.cache}/zk-testnet/node/$node_version/bin/node" found
  if [ -x "$cached" ]; then echo "$cached"; return; fi
  found="$(command -v node || true)"
  if [ -n "$found" ] && [ "$("$found" --version 2>/dev/null)" = "v$node_version" ]; then echo "$found"; return; fi
  die "no Node $node_version: expected $cached (./testnet fetches it) or node $node_version on PATH"
}

build_node_service() {
  local started node inputs base_id ctx
  started="$(now)"
  node="$(node_binary)"
  base_id="$(docker image inspect --format '{{.Id}}' "$base_tag")"
  inputs="$( {
      echo "$base_id $node_version"
      cd "$containers/images/node-service" && sha256sum Dockerfile
      sha256sum <"$node"
    } | sha256sum | cut -c1-16)"
  if [ "${ZKT_REBUILD_IMAGES:-0}" != 1 ] && [ "$(image_label "$node_tag")" = "$inputs" ]; then
    log "$node_tag is up to date"
    return
  fi
  new_context node-service
  cp "$containers/images/node-service/Dockerfile" "$ctx/"
  install -m 0755 "$node" "$ctx/node"
  log "building $node_tag (Node from $node)"
  if ! docker build \
        --build-arg "BASE_IMAGE=$base_tag" \
        --build-arg "NODE_VERSION=$node_version" \
        --label "$label_key=$inputs" \
        --label "org.opencontainers.image.title=zk-testnet services on Node $node_version" \
        --label "org.opencontainers.image.version=$node_version" \
        -t "$node_tag" "$ctx" >"$ctx/build.log" 2>&1; then
    cat "$ctx/build.log" >&2
    die "docker build of $node_tag failed"
  fi
  docker image prune -f --filter "label=$label_key" >/dev/null 2>&1 || true
  log "built $node_tag in $(since "$started")"
}

# Toxiproxy, for network faults in containers mode: built only when asked for
# (`build-images.sh toxiproxy`), since it needs the binary infra/toxiproxy builds with Go.
toxiproxy_version="$(sed -n 's/^export const TOXIPROXY_VERSION = "v\(.*\)";$/\1/p' "$repo/infra/toxiproxy/src/build.ts")"
toxiproxy_tag="zk-testnet/toxiproxy:${toxiproxy_version:-unknown}-local"

build_toxiproxy() {
  local started server inputs base_id ctx
  started="$(now)"
  [ -n "$toxiproxy_version" ] || die "no TOXIPROXY_VERSION in infra/toxiproxy/src/build.ts"
  server="$(TOXIPROXY_VERSION="v$toxiproxy_version" bash "$repo/infra/toxiproxy/scripts/build.sh" | tail -n 1)"
  [ -x "$server" ] || die "infra/toxiproxy/scripts/build.sh gave no toxiproxy-server"
  base_id="$(docker image inspect --format '{{.Id}}' "$base_tag")"
  inputs="$( {
      echo "$base_id $toxiproxy_version"
      cd "$containers/images/toxiproxy" && sha256sum Dockerfile
      sha256sum <"$server"
    } | sha256sum | cut -c1-16)"
  if [ "${ZKT_REBUILD_IMAGES:-0}" != 1 ] && [ "$(image_label "$toxiproxy_tag")" = "$inputs" ]; then
    log "$toxiproxy_tag is up to date"
    return
  fi
  new_context toxiproxy
  cp "$containers/images/toxiproxy/Dockerfile" "$ctx/"
  install -m 0755 "$server" "$ctx/toxiproxy-server"
  log "building $toxiproxy_tag"
  if ! docker build \
        --build-arg "BASE_IMAGE=$base_tag" \
        --label "$label_key=$inputs" \
        --label "org.opencontainers.image.title=toxiproxy $toxiproxy_version for zk-testnet" \
        --label "org.opencontainers.image.version=$toxiproxy_version" \
        -t "$toxiproxy_tag" "$ctx" >"$ctx/build.log" 2>&1; then
    cat "$ctx/build.log" >&2
    die "docker build of $toxiproxy_tag failed"
  fi
  docker image prune -f --filter "label=$label_key" >/dev/null 2>&1 || true
  log "built $toxiproxy_tag in $(since "$started")"
}

total="$(now)"
build_base
if [ "${1:-}" = toxiproxy ]; then
  build_toxiproxy
  log "image ready in $(since "$total"): $toxiproxy_tag"
  echo "$toxiproxy_tag"
  exit 0
fi
build_kafka
build_node_service
log "images ready in $(since "$total"): $base_tag $kafka_tag $node_tag"
echo "$base_tag $kafka_tag $node_tag"
