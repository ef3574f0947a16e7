# Private container engines, one folder each under $IMGEXT_CACHE/engines/<name>.
# Flavours, chosen by name:
#   docker-26.1             Docker 26.1 (Debian trixie's docker.io), containerd image store (default)
#   docker-26.1-classic     the same dockerd with the classic (overlay2) image store
#   docker-20.10            Debian bookworm's docker.io 20.10, classic image store
#   podman                  Debian's podman in `podman system service` mode (Docker-compatible API)

IMGEXT_ENGINES_ALL="docker-26.1 docker-26.1-classic docker-20.10 podman"
IMGEXT_DEFAULT_ENGINE=docker-26.1
TRIXIE_DOCKER_VERSION=${TRIXIE_DOCKER_VERSION:-26.1.5+dfsg1-9+deb13u1+b1}

engine_dir() { printf '%s\n' "$IMGEXT_CACHE/engines/$1"; }

engine_socket() {
  case "$1" in
  podman) printf '%s\n' "$(engine_dir "$1")/podman.sock" ;;
  *) printf '%s\n' "$(engine_dir "$1")/docker.sock" ;;
  esac
}

engine_host() { printf 'unix://%s\n' "$(engine_socket "$1")"; }

engine_check_name() {
  case " $IMGEXT_ENGINES_ALL " in
  *" $1 "*) ;;
  *) die "unknown engine '$1'; choose one of: $IMGEXT_ENGINES_ALL" ;;
  esac
}

# The first Debian mirror the system's own sources use, so nothing here names one.
debian_mirror() {
  if [ -n "${IMGEXT_DEBIAN_MIRROR:-}" ]; then
    printf '%s\n' "$IMGEXT_DEBIAN_MIRROR"
    return
  fi
  local uri
  uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v -- '-security' | head -n1)
  [ -n "$uri" ] || uri=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | grep -v -- '-security' | sed -E 's/^deb (\[[^]]*\] )?//' | awk '{print $1}' | head -n1)
  [ -n "$uri" ] || die "cannot find a Debian mirror in the system's apt sources; set IMGEXT_DEBIAN_MIRROR"
  printf '%s\n' "$uri"
}

# Fetches trixie's docker.io with apt-get download through a separate source list (the
# system's sources stay untouched) and unpacks it into the cache. Prints the dockerd path.
ensure_docker26() {
  local root=$IMGEXT_CACHE/debian-trixie
  local dockerd=$root/root-$TRIXIE_DOCKER_VERSION/usr/sbin/dockerd
  if [ -x "$dockerd" ]; then
    printf '%s\n' "$dockerd"
    return
  fi
  mkdir -p "$root/lists/partial" "$root/cache/archives/partial" "$root/etc" "$root/debs"
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [ -f "$keyring" ] || die "Debian's archive keyring ($keyring) is missing: apt-get install debian-archive-keyring"
  printf 'deb [signed-by=%s] %s trixie main\n' "$keyring" "$(debian_mirror)" >"$root/etc/sources.list"
  : >"$root/status"
  local opts=(
    -o "Dir::Etc::SourceList=$root/etc/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::State::Lists=$root/lists" -o "Dir::Cache=$root/cache" -o "Dir::State::status=$root/status"
    -o "APT::Sandbox::User=root" -o "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false"
    -o "Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false"
    -o "Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false"
    -o "Acquire::IndexTargets::deb::CNF::DefaultEnabled=false"
  )
  local log=$IMGEXT_CACHE/logs/apt-trixie.log
  mkdir -p "$(dirname "$log")"
  say "fetching Docker $TRIXIE_DOCKER_VERSION (Debian trixie's docker.io) into $root"
  if ! apt-get "${opts[@]}" update >"$log" 2>&1; then
    log_tail "$log"
    die "could not read trixie's package lists (log: $log)"
  fi
  if ! (cd "$root/debs" && apt-get "${opts[@]}" download "docker.io=$TRIXIE_DOCKER_VERSION" >>"$log" 2>&1); then
    log_tail "$log"
    die "could not download docker.io=$TRIXIE_DOCKER_VERSION from trixie (log: $log); set TRIXIE_DOCKER_VERSION to a version trixie serves"
  fi
  local tmp=$root/unpack.$$
  rm -rf "$tmp"
  dpkg -x "$root"/debs/docker.io_*.deb "$tmp" || die "dpkg -x failed on the trixie docker.io package"
  rm -rf "$root/root-$TRIXIE_DOCKER_VERSION"
  mv "$tmp" "$root/root-$TRIXIE_DOCKER_VERSION"
  "$dockerd" --version >/dev/null 2>&1 || die "the unpacked dockerd at $dockerd does not run on this machine"
  printf '%s\n' "$dockerd"
}

engine_running() {
  local name=$1 dir
  dir=$(engine_dir "$name")
  pid_alive "$(pid_from "$dir/engine.pid")" && ping_socket "$(engine_socket "$name")"
}

# Starts engine $1 unless it is already up; waits until /_ping answers.
engine_up() {
  local name=$1
  engine_check_name "$name"
  local dir sock
  dir=$(engine_dir "$name")
  sock=$(engine_socket "$name")
  if engine_running "$name"; then
    return 0
  fi
  # A stale pid file or socket from a crash: clear it.
  stop_pidfile "$dir/engine.pid" 5
  rm -f "$sock"
  mkdir -p "$dir"
  local log=$dir/engine.log
  : >"$log"
  case "$name" in
  docker-20.10) start_dockerd "$name" /usr/sbin/dockerd classic ;;
  docker-26.1) start_dockerd "$name" "$(ensure_docker26)" containerd ;;
  docker-26.1-classic) start_dockerd "$name" "$(ensure_docker26)" classic ;;
  podman) start_podman "$name" ;;
  esac
  # With its pid, the launcher's start time names this engine's processes at engine_down
  # (engine_processes): a process that got one of their pids later is never one of them.
  proc_start "$(pid_from "$dir/engine.pid")" >"$dir/engine.start"
  local i=0 pid
  pid=$(pid_from "$dir/engine.pid")
  while ! ping_socket "$sock"; do
    if ! pid_alive "$pid"; then
      log_tail "$log"
      die "engine $name exited while starting (log: $log)"
    fi
    if [ $i -ge 600 ]; then
      log_tail "$log"
      stop_pidfile "$dir/engine.pid" 5
      die "engine $name did not answer /_ping on $sock within 60s (log: $log)"
    fi
    sleep 0.1
    i=$((i + 1))
  done
  say "engine $name is up at unix://$sock"
}

start_dockerd() {
  local name=$1 dockerd=$2 store=$3 dir extra=()
  dir=$(engine_dir "$name")
  mkdir -p "$dir/data" "$dir/exec" 2>/dev/null || die "cannot create the folders of engine $name under $dir"
  # IMGEXT_DOCKERD_FLAGS: extra dockerd flags (e.g. --log-level=debug), space-separated.
  read -r -a extra <<<"${IMGEXT_DOCKERD_FLAGS:-}"
  case "$name:$store" in
  docker-20.10:*) printf '{"storage-driver": "overlay2"}\n' >"$dir/daemon.json" ;;
  *:containerd) printf '{"features": {"containerd-snapshotter": true}}\n' >"$dir/daemon.json" ;;
  *) printf '{"features": {"containerd-snapshotter": false}, "storage-driver": "overlay2"}\n' >"$dir/daemon.json" ;;
  esac
  # setsid: the daemon lives in its own session, so a Ctrl-C in this shell does not reach it;
  # engine-jail: its own mount namespace, so it writes nothing outside the project cache.
  setsid unshare --mount --propagation private -- "$TOOLS_DIR/lib/engine-jail" "$dir" "$dockerd" \
    --config-file "$dir/daemon.json" \
    --host "unix://$(engine_socket "$name")" \
    --data-root "$dir/data" \
    --exec-root "$dir/exec" \
    --pidfile "$dir/dockerd.pid" \
    --bridge=none --iptables=false --ip-masq=false --ip6tables=false \
    --userland-proxy=false "${extra[@]}" \
    >>"$dir/engine.log" 2>&1 </dev/null &
  echo $! >"$dir/engine.pid"
}

start_podman() {
  local name=$1 dir
  dir=$(engine_dir "$name")
  mkdir -p "$dir/storage" "$dir/run" "$dir/tmp"
  # podman 4.3 asks for nofile=1048576 in every container, above many machines' hard limit
  # ("error setting rlimit type 7"): cap the defaults at what this machine allows.
  # podman lowers its own nproc limit to 32768 at start, and a container may not exceed it.
  local nofile nproc
  nofile=$(ulimit -Hn)
  nproc=$(ulimit -Hu)
  [ "$nofile" = unlimited ] && nofile=1048576
  { [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; } && nproc=32768
  # The loopback registry speaks plain http. podman 4.3's compat pull (POST /images/create)
  # ignores tlsVerify=false (its compat push honours it), so this entry, read through
  # CONTAINERS_REGISTRIES_CONF, is the only way a Docker-API client can pull from it.
  cat >"$dir/registries.conf" <<CONF
unqualified-search-registries = []
[[registry]]
location = "127.0.0.1:${IMGEXT_REGISTRY_PORT:-5000}"
insecure = true
CONF
  cat >"$dir/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$dir/events.log"
tmp_dir = "$dir/tmp"
[network]
default_network = "none"
CONF
  CONTAINERS_CONF=$dir/containers.conf CONTAINERS_REGISTRIES_CONF=$dir/registries.conf setsid unshare --mount --propagation private -- \
    "$TOOLS_DIR/lib/engine-jail" "$dir" podman \
    --root "$dir/storage" --runroot "$dir/run" --tmpdir "$dir/tmp" \
    --storage-driver overlay --cgroup-manager cgroupfs --events-backend file \
    system service --time=0 "unix://$(engine_socket "$name")" \
    >>"$dir/engine.log" 2>&1 </dev/null &
  echo $! >"$dir/engine.pid"
}

# The processes engine $1 started that still run, as "PID START" lines (START as proc_start),
# found by pid, never by command line alone (a `tail -f` of the engine's log or an editor in its
# folder is left alone), and only those that started no earlier than the launcher:
# - the launcher (engine.pid), its descendants, and the other members of their sessions (dockerd
#   starts containerd in a session of its own; an orphaned shim stays in its session);
# - a process a pid file in the engine's state folders names (containerd.pid, shim.pid,
#   conmon.pid: orphans re-parented to init) if it also names the engine's folder in its
#   command line (a pid reused by another process does not), and its descendants.
engine_processes() {
  local name=$1 dir launcher since
  dir=$(engine_dir "$name")
  launcher=$(pid_from "$dir/engine.pid")
  since=$(pid_from "$dir/engine.start")
  [ -n "$since" ] || since=$(proc_start "$launcher")
  # The state folders only: the data roots hold container files, whose pids mean nothing here.
  local f p files=""
  while IFS= read -r f; do
    p=$(pid_from "$f")
    [[ "$p" =~ ^[0-9]+$ ]] && files+="$p "
  done < <(
    find "$dir" -maxdepth 1 -name '*.pid' -type f 2>/dev/null
    find "$dir/exec" "$dir/run" -name '*.pid' -type f 2>/dev/null
  )
  proc_table | awk -v since="$since" -v self="$$" -v launcher="$launcher" -v files="$files" -v dir="$dir" '
    { ppid[$1] = $2; sid[$1] = $3; start[$1] = $4 }
    END {
      if (launcher in start && after(launcher)) { pick[launcher] = 1; tree[launcher] = 1 }
      grow()
      n = split(files, r, " ")
      for (i = 1; i <= n; i++)
        if ((r[i] in start) && !(r[i] in pick) && after(r[i]) && mentions(r[i])) pick[r[i]] = 1
      grow()
      for (p in pick) if (p != self) print p, start[p]
    }
    # Adds the descendants of what is picked, and the other members of the launcher tree sessions.
    function grow(   p, grew) {
      do {
        grew = 0
        for (p in tree) if (sid[p] != 0) session[sid[p]] = 1
        for (p in start) {
          if ((p in pick) || !after(p)) continue
          if (ppid[p] in pick) { pick[p] = 1; if (ppid[p] in tree) tree[p] = 1; grew = 1 }
          else if (sid[p] in session) { pick[p] = 1; tree[p] = 1; grew = 1 }
        }
      } while (grew)
    }
    # Without a start time (a launcher gone, started before engine.start existed): the command line.
    function after(p) { return since == "" ? mentions(p) : start[p] + 0 >= since + 0 }
    function mentions(p,   line, cmd, file) {
      file = "/proc/" p "/cmdline"
      cmd = ""
      while ((getline line < file) > 0) cmd = cmd line
      close(file)
      return index(cmd, dir) > 0
    }'
}

# Stops engine $1 and whatever it left (its containerd, shims, mounts): the processes it
# started, by pid, never a process that merely mentions its folder.
engine_down() {
  local name=$1 dir
  engine_check_name "$name"
  dir=$(engine_dir "$name")
  [ -f "$dir/engine.pid" ] || return 0
  # Listed while the tree is whole: once the launcher is gone its children are re-parented.
  local procs
  procs=$(engine_processes "$name")
  stop_pidfile "$dir/engine.pid" 30
  stop_processes "$procs" 10
  rm -f "$dir/engine.start"
  # Mounts left under the engine's folders (overlay, shm) are released.
  awk -v d="$dir/" 'index($2, d) == 1 {print $2}' /proc/self/mounts | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
  rm -f "$(engine_socket "$name")"
  say "engine $name stopped"
}
