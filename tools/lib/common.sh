# Shared helpers for tools/: the project cache folder, messages, failure.
# Sourced, never run.

IMGEXT_CACHE=${IMGEXT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/imgext}
mkdir -p "$IMGEXT_CACHE/logs"
export IMGEXT_CACHE
TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_DIR=$(cd "$TOOLS_DIR/.." && pwd)

# Go writes its build cache here rather than under $HOME; the module cache stays Go's own.
export GOCACHE=${GOCACHE_OVERRIDE:-$IMGEXT_CACHE/go-build}
export GOFLAGS=${GOFLAGS:--mod=mod}
export GOFLAGS="${GOFLAGS/-buildvcs=false/} -buildvcs=false"
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
# turbo's task cache (typecheck, build) outlives a clone: content-hashed, so a fresh clone of the
# same sources reuses it.
export TURBO_CACHE_DIR=${TURBO_CACHE_DIR:-$IMGEXT_CACHE/turbo}
# Temporary files of tools and tests stay in the project cache too.
export TMPDIR=$IMGEXT_CACHE/tmp
mkdir -p "$TMPDIR"

say() { printf '%s\n' "imgext-env: $*" >&2; }
die() {
  printf '%s\n' "imgext-env: error: $*" >&2
  exit 1
}
need_cmd() { command -v "$1" >/dev/null 2>&1; }

# Answers 0 when the unix socket at $1 answers GET /_ping with OK.
ping_socket() {
  [ -S "$1" ] || return 1
  [ "$(curl -s --max-time 2 --unix-socket "$1" http://localhost/_ping 2>/dev/null)" = OK ]
}

# Answers 0 when process $1 runs: a zombie (exited, never reaped, as the orphans of a pid 1 that
# does not reap are) does not.
pid_alive() {
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# The start time of process $1 (clock ticks since boot, field 22 of /proc/PID/stat), or nothing:
# with the pid, it names one process, never a later one that got the same pid.
proc_start() {
  local stat fields
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  read -r -a fields <<<"${stat##*) }"
  printf '%s\n' "${fields[19]}"
}

# Every process as "PID PPID SID START" (START as proc_start), zombies left out.
proc_table() {
  local f stat pid fields
  for f in /proc/[0-9]*/stat; do
    { stat=$(<"$f"); } 2>/dev/null || continue
    pid=${f#/proc/}
    read -r -a fields <<<"${stat##*) }"
    [ "${fields[0]}" = Z ] && continue
    printf '%s %s %s %s\n' "${pid%/stat}" "${fields[1]}" "${fields[3]}" "${fields[19]}"
  done
}

# Stops the processes listed as "PID START" lines in $1 that still run with that start time:
# TERM, then KILL after $2 seconds (default 10). A pid reused since by another process is spared.
stop_processes() {
  local list=$1 grace=${2:-10} pid start p i=0
  local -a running=() left=()
  while read -r pid start; do
    [ -n "$pid" ] || continue
    if [ "$(proc_start "$pid")" = "$start" ] && pid_alive "$pid"; then
      running+=("$pid:$start")
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done <<<"$list"
  while :; do
    left=()
    for p in "${running[@]}"; do
      pid=${p%%:*} start=${p#*:}
      [ "$(proc_start "$pid")" = "$start" ] && pid_alive "$pid" && left+=("$p")
    done
    [ ${#left[@]} -eq 0 ] && return 0
    [ $i -ge $((grace * 10)) ] && break
    sleep 0.1
    i=$((i + 1))
  done
  for p in "${left[@]}"; do
    say "pid ${p%%:*} did not stop in ${grace}s; killing it"
    kill -KILL "${p%%:*}" 2>/dev/null || true
  done
}
pid_from() { [ -f "$1" ] && cat "$1" 2>/dev/null || true; }

# Stops the process whose pid is in file $1: TERM, then KILL after $2 seconds (default 20).
stop_pidfile() {
  local pidfile=$1 grace=${2:-20} pid
  pid=$(pid_from "$pidfile")
  if pid_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    local i=0
    while pid_alive "$pid" && [ $i -lt $((grace * 10)) ]; do
      sleep 0.1
      i=$((i + 1))
    done
    if pid_alive "$pid"; then
      say "pid $pid did not stop in ${grace}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}

# Prints the last lines of a log file, indented, to stderr.
log_tail() {
  [ -f "$1" ] || return 0
  printf '%s\n' "---- last lines of $1 ----" >&2
  tail -n "${2:-25}" "$1" | sed 's/^/  | /' >&2
  printf '%s\n' "----" >&2
}
