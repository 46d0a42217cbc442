#!/usr/bin/env bash
# Provides a Docker engine for the testnet's container tests.
#
#   engine.sh start    use an engine that already answers, or start a project-private dockerd
#   engine.sh stop     stop the dockerd that `start` started (never an engine it only found)
#   engine.sh status   say whether an engine is running, then print its DOCKER_HOST line
#   engine.sh env      print only the DOCKER_HOST line (exit 3 when no engine runs)
#
# `start` prints two lines on stdout, everything else goes to stderr:
#   ZKT_DOCKER_ENGINE=started|running|external
#       started:  this call started the engine (the caller may `stop` it when done)
#       running:  an engine started by an earlier `start` was already up
#       external: an engine this script did not start (DOCKER_HOST or /var/run/docker.sock)
#   DOCKER_HOST=unix://...                      (always the last line)
#
# Environment:
#   ZKT_STATE_DIR                 state root (default <repo>/.testnet); the engine lives in its docker/ folder
#   ZKT_DOCKER_PRIVATE=1          never use an engine that is already running; always start our own
#   ZKT_DOCKER_START_TIMEOUT      seconds to wait for dockerd to answer (default 60)
#   ZKT_DOCKER_STOP_TIMEOUT       seconds to wait for dockerd to exit after SIGTERM (default 30)
#   ZKT_DOCKER_STORAGE_DRIVER     force a storage driver (default: dockerd's own choice, overlay2 where it works)
#   ZKT_DOCKER_RUN_DIR            where the socket and exec-root go (default: see run_dir below)
#   ZKT_DOCKER_BRIDGE             bridge for the default network (default zkt-docker0)
#   ZKT_DOCKER_BRIDGE_CIDR        address of that bridge (default 172.31.254.1/24)
#   ZKT_DOCKER_CGROUP_PARENT      cgroup parent of every container (default zk-testnet-docker)
#   ZKT_DOCKER_CPU_SHARES         CPU weight of that cgroup, in cgroup v1 cpu.shares (default 8192,
#                                 eight processes' worth; cgroup v2 gets the same ratio as cpu.weight)
#
# State layout (<state> = ${ZKT_STATE_DIR:-<repo>/.testnet}/docker):
#   <state>/data          dockerd --data-root: images and containers; kept across stop/start
#   <state>/dockerd.log   dockerd's (and its containerd's) log, appended to
#   <state>/dockerd.pid   dockerd --pidfile
#   <state>/engine.state  what `start` recorded: whether it started the engine, its pid, socket, ...
#   <state>/engine.lock   serialises concurrent start/stop calls
#   <run>/docker.sock     the API socket; <run> is also dockerd's --exec-root (containerd's socket,
#                         network namespaces). A unix socket path may be at most 107 bytes and
#                         containerd puts its own socket ~35 bytes below the exec-root, so <run> is
#                         <state>/run when that path is at most 60 characters long and otherwise
#                         /tmp/zkt-docker-<hash of <state>> (12 hex digits, one per state folder).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
state_root="${ZKT_STATE_DIR:-$repo/.testnet}"
mkdir -p "$state_root/docker"
dir="$(cd "$state_root/docker" && pwd)"
data_root="$dir/data"
log_file="$dir/dockerd.log"
pid_file="$dir/dockerd.pid"
state_file="$dir/engine.state"
lock_file="$dir/engine.lock"
daemon_json="$dir/daemon.json"

if [ -n "${ZKT_DOCKER_RUN_DIR:-}" ]; then
  run_dir="$ZKT_DOCKER_RUN_DIR"
elif [ "${#dir}" -le 56 ]; then
  run_dir="$dir/run"
else
  run_dir="/tmp/zkt-docker-$(printf '%s' "$dir" | sha256sum | cut -c1-12)"
fi
sock="$run_dir/docker.sock"
own_host="unix://$sock"
bridge="${ZKT_DOCKER_BRIDGE:-zkt-docker0}"
bridge_cidr="${ZKT_DOCKER_BRIDGE_CIDR:-172.31.254.1/24}"
cgroup_parent="${ZKT_DOCKER_CGROUP_PARENT:-zk-testnet-docker}"
cpu_shares="${ZKT_DOCKER_CPU_SHARES:-8192}"
start_timeout="${ZKT_DOCKER_START_TIMEOUT:-60}"
stop_timeout="${ZKT_DOCKER_STOP_TIMEOUT:-30}"

log() { echo "engine: $*" >&2; }
die() { echo "engine: error: $*" >&2; exit 1; }

# Runs the docker client against one host, ignoring any docker context the user selected.
dk() { local host="$1"; shift; env -u DOCKER_CONTEXT docker -H "$host" "$@"; }
answers() { timeout 15 env -u DOCKER_CONTEXT docker -H "$1" info >/dev/null 2>&1; }

# True while pid names a process that has not exited (a zombie waiting to be reaped has).
alive() {
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [ "${stat:0:1}" != Z ]
}

# engine.state holds key=value lines that only this script writes; it is parsed, never sourced.
st_started="" st_pid="" st_host="" st_run_dir="" st_bridge="" st_bridge_created="" st_cgroup_parent=""
read_state() {
  st_started="" st_pid="" st_host="" st_run_dir="" st_bridge="" st_bridge_created="" st_cgroup_parent=""
  [ -f "$state_file" ] || return 0
  local key value
  while IFS='=' read -r key value; do
    case "$key" in
      started) st_started="$value" ;;
      pid) st_pid="$value" ;;
      docker_host) st_host="$value" ;;
      run_dir) st_run_dir="$value" ;;
      bridge) st_bridge="$value" ;;
      bridge_created) st_bridge_created="$value" ;;
      cgroup_parent) st_cgroup_parent="$value" ;;
    esac
  done <"$state_file"
}

write_state() { # started pid docker_host bridge_created
  {
    echo "started=$1"
    echo "pid=$2"
    echo "docker_host=$3"
    echo "run_dir=$run_dir"
    echo "bridge=$bridge"
    echo "bridge_created=$4"
    echo "cgroup_parent=$cgroup_parent"
    echo "recorded_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  } >"$state_file.tmp"
  mv "$state_file.tmp" "$state_file"
}

take_lock() {
  exec 9>"$lock_file"
  flock -w 180 9 || die "another engine.sh call holds $lock_file for more than 180 s"
}

emit() { # kind host
  echo "ZKT_DOCKER_ENGINE=$1"
  echo "DOCKER_HOST=$2"
}

# True when our recorded dockerd is alive and answers on its socket.
own_engine_up() {
  [ "$st_started" = 1 ] && alive "$st_pid" && answers "$st_host"
}

# An engine someone else runs: $DOCKER_HOST first, then the system socket. Prints its host.
find_external() {
  [ "${ZKT_DOCKER_PRIVATE:-0}" = 1 ] && return 1
  if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != "$own_host" ]; then
    if timeout 15 docker info >/dev/null 2>&1; then
      echo "$DOCKER_HOST"
      return 0
    fi
    log "DOCKER_HOST=$DOCKER_HOST does not answer; looking further"
  fi
  if [ -S /var/run/docker.sock ] && answers unix:///var/run/docker.sock; then
    echo "unix:///var/run/docker.sock"
    return 0
  fi
  return 1
}

ensure_installed() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v docker >/dev/null 2>&1 || missing+=(docker.io)
  command -v iptables >/dev/null 2>&1 || missing+=(iptables)
  command -v ip >/dev/null 2>&1 || missing+=(iproute2)
  [ "${#missing[@]}" -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "dockerd is not installed and apt-get is not available to install it"
  # pigz lets dockerd decompress image layers in parallel; the rest is what docker.io needs.
  log "installing Debian's ${missing[*]} (apt-get; log in $dir/apt.log)"
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update \
         && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
              docker.io iptables iproute2 pigz; } >"$dir/apt.log" 2>&1; then
    tail -n 5 "$dir/apt.log" >&2 || true
    die "could not install docker.io with apt-get; see $dir/apt.log"
  fi
}

# The default bridge network gets a bridge of its own, so this engine never shares or changes
# docker0 of a system engine, and `stop` can remove it again.
bridge_created_now=0
ensure_bridge() {
  bridge_created_now=0
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add name "$bridge" type bridge
    bridge_created_now=1
  fi
  if ! ip -o addr show dev "$bridge" | grep -q " ${bridge_cidr%/*}/"; then
    ip addr add "$bridge_cidr" dev "$bridge"
  fi
  ip link set "$bridge" up
}

# All descendants of a pid (dockerd's children: containerd, docker-proxy).
descendants() {
  local parent="$1" child
  for child in $(ps -o pid= --ppid "$parent" 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}

# Processes whose command line names this engine's containerd folder: containerd itself (its
# --config) and the runc shims (their -address), which detach from containerd and outlive it.
engine_processes() {
  local rd="$1" p cmd
  for p in /proc/[0-9]*; do
    cmd="$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" || continue
    case "$cmd" in *"$rd/containerd/"*) echo "${p#/proc/}" ;; esac
  done
}

# Containers run in cgroups below the engine's cgroup parent. A paused container is frozen and
# cannot die until thawed. Prints nothing; kills what is left and removes the empty cgroups.
clear_cgroups() {
  local parent="$1" base d p
  [ -n "$parent" ] || return 0
  for base in /sys/fs/cgroup/*/"$parent" /sys/fs/cgroup/"$parent"; do
    [ -d "$base" ] || continue
    while read -r d; do
      if [ -f "$d/freezer.state" ]; then echo THAWED >"$d/freezer.state" 2>/dev/null || true; fi
      if [ -f "$d/cgroup.freeze" ]; then echo 0 >"$d/cgroup.freeze" 2>/dev/null || true; fi
      while read -r p; do kill -KILL "$p" 2>/dev/null || true; done <"$d/cgroup.procs"
    done < <(find "$base" -depth -type d 2>/dev/null)
  done
  sleep 0.2
  for base in /sys/fs/cgroup/*/"$parent" /sys/fs/cgroup/"$parent"; do
    [ -d "$base" ] || continue
    find "$base" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
}

# Unmounts whatever an engine that died left mounted below its data-root or exec-root.
clear_mounts() {
  local m
  for root in "$@"; do
    [ -n "$root" ] || continue
    awk -v r="$root" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do
      umount -l "$m" 2>/dev/null || true
    done
  done
}

kill_all() { # signal pids...
  local sig="$1" p; shift
  for p in "$@"; do kill "-$sig" "$p" 2>/dev/null || true; done
}

# Removes what a dockerd started by this script left behind: processes, frozen cgroups, mounts.
clear_leftovers() { # run_dir cgroup_parent extra-pids...
  local rd="$1" cg="$2"; shift 2
  local pids p left
  mapfile -t pids < <(engine_processes "$rd")
  pids+=("$@")
  if [ "${#pids[@]}" -gt 0 ]; then
    kill_all TERM "${pids[@]}"
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      left=0
      for p in "${pids[@]}"; do alive "$p" && left=1; done
      [ "$left" = 0 ] && break
      sleep 0.5
    done
    kill_all KILL "${pids[@]}"
  fi
  clear_cgroups "$cg"
  clear_mounts "$data_root" "$rd"
  # The exec-root is meant to be emptied by a reboot (it is /var/run/docker normally). Its pid
  # files would make a new dockerd wait for a killed containerd that init has not reaped yet.
  rm -rf "$rd/containerd" "$rd/runtime-runc" "$rd/libnetwork" "$rd/netns" "$rd/plugins" \
         "$rd/docker.sock" "$rd/metrics.sock" "$rd/unmount-on-shutdown"
}

# Every container shares the one cgroup parent, which the kernel weighs like a single process
# against each process of the machine outside it (1024 shares by default): on a busy machine the
# broker and the services in it would get one process's share of the CPU between them, and miss
# their Kafka heartbeats. Weigh it as several processes. Never fatal: a machine may not allow it.
weigh_cgroup_parent() {
  local v1 v2 weight
  for v1 in /sys/fs/cgroup/cpu,cpuacct /sys/fs/cgroup/cpu; do
    [ -f "$v1/cpu.shares" ] || continue
    if mkdir -p "$v1/$cgroup_parent" 2>/dev/null && echo "$cpu_shares" >"$v1/$cgroup_parent/cpu.shares" 2>/dev/null; then
      log "cgroup $cgroup_parent: cpu.shares $cpu_shares"
    else
      log "could not set cpu.shares of cgroup $cgroup_parent; containers get the default CPU weight"
    fi
    return 0
  done
  v2=/sys/fs/cgroup
  if [ -f "$v2/cgroup.controllers" ]; then
    weight=$((cpu_shares * 100 / 1024))
    [ "$weight" -le 10000 ] || weight=10000
    if mkdir -p "$v2/$cgroup_parent" 2>/dev/null && echo "$weight" >"$v2/$cgroup_parent/cpu.weight" 2>/dev/null; then
      log "cgroup $cgroup_parent: cpu.weight $weight"
    else
      log "could not set cpu.weight of cgroup $cgroup_parent; containers get the default CPU weight"
    fi
  fi
}

cmd_start() {
  take_lock
  read_state
  if [ "$st_started" = 1 ]; then
    if own_engine_up; then
      log "using the engine engine.sh started earlier (pid $st_pid)"
      weigh_cgroup_parent
      emit running "$st_host"
      return 0
    fi
    log "the engine recorded in $state_file is no longer running; clearing what it left"
    if [ -n "$st_pid" ]; then kill -KILL "$st_pid" 2>/dev/null || true; fi
    clear_leftovers "${st_run_dir:-$run_dir}" "${st_cgroup_parent:-$cgroup_parent}"
    remove_bridge "${st_bridge:-$bridge}" "$st_bridge_created"
    rm -f "$state_file" "$pid_file"
  fi

  # Our socket answers but nothing is recorded (engine.state was deleted): adopt that dockerd.
  if [ -S "$sock" ] && answers "$own_host"; then
    local pid
    pid="$(cat "$pid_file" 2>/dev/null || true)"
    if alive "$pid"; then
      log "adopting the dockerd that answers on $sock (pid $pid)"
      write_state 1 "$pid" "$own_host" 1
      weigh_cgroup_parent
      emit running "$own_host"
      return 0
    fi
  fi

  local external
  if external="$(find_external)"; then
    log "using the Docker engine that already answers at $external (engine.sh did not start it and will not stop it)"
    write_state 0 "" "$external" 0
    emit external "$external"
    return 0
  fi

  [ "$(id -u)" = 0 ] || die "no Docker engine answers and starting one needs root (run as root, or set DOCKER_HOST to a running engine)"
  ensure_installed
  mkdir -p "$data_root" "$run_dir"
  chmod 700 "$run_dir"
  echo '{}' >"$daemon_json"

  # A socket or pid file left by a dockerd that was killed would make the new one refuse to
  # start (dockerd also refuses while that pid is an unreaped zombie). No engine of ours runs now.
  [ -S "$sock" ] && ! answers "$own_host" && rm -f "$sock"
  rm -f "$pid_file"
  ensure_bridge

  # Flags, and why:
  #   --config-file      an empty config of our own, so /etc/docker/daemon.json of the machine does not apply
  #   --host/--pidfile/--exec-root/--data-root   everything under the project's state folder (see top)
  #   --bridge           the default network on our own bridge (never docker0 of another engine)
  #   --iptables=false --ip-forward=false --ip-masq=false
  #                      leave the host's firewall and ip_forward sysctl untouched: no NAT, so
  #                      containers reach no network beyond this machine, and published ports are
  #                      served by docker-proxy (the userland proxy), which is all that clients on
  #                      127.0.0.1 need. Containers on the same bridge still reach each other.
  #   --userland-proxy   see above; it is the default, stated because published ports depend on it
  #   --cgroup-parent    all containers below one cgroup, which `stop` can thaw and empty
  #   storage driver     dockerd's own choice: overlay2 on this ext4 data-root; set
  #                      ZKT_DOCKER_STORAGE_DRIVER=vfs (or fuse-overlayfs) where overlay mounts fail
  local args=(
    --config-file "$daemon_json"
    --host "$own_host"
    --pidfile "$pid_file"
    --exec-root "$run_dir"
    --data-root "$data_root"
    --bridge "$bridge"
    --iptables=false --ip-forward=false --ip-masq=false
    --userland-proxy=true
    --cgroup-parent "$cgroup_parent"
  )
  [ -n "${ZKT_DOCKER_STORAGE_DRIVER:-}" ] && args+=(--storage-driver "$ZKT_DOCKER_STORAGE_DRIVER")

  if [ -f "$log_file" ] && [ "$(stat -c %s "$log_file")" -gt 20000000 ]; then
    mv -f "$log_file" "$log_file.1"
  fi
  echo "=== engine.sh start $(date -u +%Y-%m-%dT%H:%M:%SZ): dockerd ${args[*]}" >>"$log_file"

  log "starting dockerd (state $dir, socket $sock, log $log_file)"
  local pid waited attempt=1 log_start
  while :; do
    log_start="$(stat -c %s "$log_file" 2>/dev/null || echo 0)"
    # setsid: its own session, so it outlives this script and the caller's terminal or process
    # group. Its stdio goes to the log and fd 9 (the lock) is closed, so no caller waits on it.
    setsid env -u DOCKER_HOST -u DOCKER_CONTEXT dockerd "${args[@]}" </dev/null >>"$log_file" 2>&1 9>&- &
    pid=$!
    disown "$pid" 2>/dev/null || true
    write_state 1 "$pid" "$own_host" "$bridge_created_now"
    waited=0
    while ! answers "$own_host" && alive "$pid" && [ "$waited" -lt "$start_timeout" ]; do
      sleep 1
      waited=$((waited + 1))
    done
    # dockerd 20.10 panics in libnetwork on every start once a network's record was left half
    # written (an engine stopped while a network was being created): its network store is set
    # aside, once, and dockerd starts with a fresh one (networks are made anew by each run).
    if ! alive "$pid" && [ "$attempt" -eq 1 ] && tail -c +"$((log_start + 1))" "$log_file" | grep -q "libnetwork"; then
      local kv="$data_root/network/files/local-kv.db"
      if [ -f "$kv" ]; then
        log "dockerd panicked restoring its networks; moving $kv aside and starting it again"
        mv -f "$kv" "$kv.broken-$(date -u +%Y%m%dT%H%M%SZ)"
        clear_leftovers "$run_dir" "$cgroup_parent"
        attempt=2
        continue
      fi
    fi
    break
  done

  while ! answers "$own_host"; do
    if ! alive "$pid"; then
      echo "engine: error: dockerd exited during start-up: $(log_reason); see $log_file" >&2
      log_tail >&2
      clear_leftovers "$run_dir" "$cgroup_parent"
      remove_bridge "$bridge" "$bridge_created_now"
      rm -f "$state_file"
      exit 1
    fi
    if [ "$waited" -ge "$start_timeout" ]; then
      echo "engine: error: dockerd did not answer within $start_timeout s (last log line: $(log_reason)); stopping it; see $log_file" >&2
      log_tail >&2
      kill -TERM "$pid" 2>/dev/null || true
      sleep 2
      clear_leftovers "$run_dir" "$cgroup_parent" "$pid"
      remove_bridge "$bridge" "$bridge_created_now"
      rm -f "$state_file"
      exit 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  local driver
  driver="$(dk "$own_host" info --format '{{.Driver}}' 2>/dev/null || echo unknown)"
  log "dockerd is up after ${waited} s (pid $pid, storage driver $driver)"
  weigh_cgroup_parent
  emit started "$own_host"
}

# The log since the last start, without the gRPC connection chatter that dockerd logs at info level.
log_since_start() {
  awk '/^=== engine.sh start / { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' "$log_file" 2>/dev/null \
    | grep -v 'module=grpc' || true
}
log_tail() { log_since_start | tail -n 20; }
# The line that best says why dockerd failed: its last error, else its last line.
log_reason() {
  local reason
  reason="$(log_since_start | grep -E 'failed to start daemon|level=(fatal|error)' | tail -n 1)"
  [ -n "$reason" ] || reason="$(log_since_start | tail -n 1)"
  echo "${reason:-no log output}"
}

remove_bridge() { # name created
  [ "$2" = 1 ] || return 0
  ip link del "$1" 2>/dev/null || true
}

cmd_stop() {
  take_lock
  read_state
  if [ -z "$st_started" ]; then
    log "no engine started by engine.sh is recorded; nothing to stop"
    return 0
  fi
  if [ "$st_started" != 1 ]; then
    log "the engine at $st_host was not started by engine.sh; leaving it running"
    rm -f "$state_file"
    return 0
  fi

  local rd="${st_run_dir:-$run_dir}" cg="${st_cgroup_parent:-$cgroup_parent}"
  local tracked=()
  if alive "$st_pid"; then
    if answers "$st_host"; then
      # Everything on this engine was created by the project; remove it so nothing is left
      # running or frozen, and remove unused networks so their bridges go too. Images stay.
      local ids
      mapfile -t ids < <(timeout 30 env -u DOCKER_CONTEXT docker -H "$st_host" ps -aq 2>/dev/null || true)
      if [ "${#ids[@]}" -gt 0 ]; then
        log "removing ${#ids[@]} container(s)"
        timeout 90 env -u DOCKER_CONTEXT docker -H "$st_host" rm -f -v "${ids[@]}" >/dev/null 2>&1 \
          || log "could not remove every container; continuing"
      fi
      timeout 30 env -u DOCKER_CONTEXT docker -H "$st_host" network prune -f >/dev/null 2>&1 || true
    fi
    mapfile -t tracked < <(descendants "$st_pid")
    log "stopping dockerd (pid $st_pid)"
    kill -TERM "$st_pid" 2>/dev/null || true
    local waited=0
    while alive "$st_pid" && [ "$waited" -lt $((stop_timeout * 2)) ]; do
      sleep 0.5
      waited=$((waited + 1))
    done
    if alive "$st_pid"; then
      log "dockerd did not exit within $stop_timeout s; killing it"
      kill -KILL "$st_pid" 2>/dev/null || true
      sleep 0.5
    fi
  else
    log "dockerd (pid ${st_pid:-?}) is not running; clearing what it left"
  fi
  clear_leftovers "$rd" "$cg" "${tracked[@]}"
  remove_bridge "${st_bridge:-$bridge}" "$st_bridge_created"
  rm -f "$rd/docker.sock" "$state_file"
  local left
  left="$(engine_processes "$rd" | tr '\n' ' ')"
  if [ -n "$left" ] || alive "$st_pid"; then
    die "processes of the engine are still running: ${st_pid} $left"
  fi
  log "stopped"
}

# Prints a human-readable line (status) and the DOCKER_HOST line; returns 3 when nothing runs.
report() { # verbose(0|1)
  read_state
  local host="" msg=""
  if [ "$st_started" = 1 ]; then
    if own_engine_up; then
      host="$st_host" msg="running: dockerd started by engine.sh (pid $st_pid)"
    else
      msg="not running: the dockerd engine.sh started (pid ${st_pid:-?}) does not answer; run 'engine.sh stop' to clear it"
    fi
  elif [ "$st_started" = 0 ] && answers "$st_host"; then
    host="$st_host" msg="running: an engine engine.sh did not start"
  else
    local external
    if external="$(find_external)"; then
      host="$external" msg="running: an engine engine.sh did not start (found, not recorded)"
    else
      msg="not running"
    fi
  fi
  if [ "$1" = 1 ]; then echo "$msg"; else echo "engine: $msg" >&2; fi
  if [ -n "$host" ]; then
    echo "DOCKER_HOST=$host"
    return 0
  fi
  return 3
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) report 1 ;;
  env) report 0 ;;
  *)
    echo "usage: $(basename "$0") {start|stop|status|env}" >&2
    exit 2
    ;;
esac
