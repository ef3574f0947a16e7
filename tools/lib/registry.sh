# A registry (Debian's docker-registry) on 127.0.0.1 only, for publish tests.

IMGEXT_REGISTRY_PORT=${IMGEXT_REGISTRY_PORT:-5000}

registry_dir() { printf '%s\n' "$IMGEXT_CACHE/registry"; }
registry_addr() { printf '127.0.0.1:%s\n' "$IMGEXT_REGISTRY_PORT"; }

registry_answers() {
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$(registry_addr)/v2/" 2>/dev/null)" = 200 ]
}

port_taken() { # host port: answers 0 when something listens there
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

registry_up() {
  local dir pid
  dir=$(registry_dir)
  pid=$(pid_from "$dir/registry.pid")
  if pid_alive "$pid" && registry_answers; then
    return 0
  fi
  stop_pidfile "$dir/registry.pid" 5
  if port_taken 127.0.0.1 "$IMGEXT_REGISTRY_PORT"; then
    local who
    who=$(ss -ltnpH "sport = :$IMGEXT_REGISTRY_PORT" 2>/dev/null | grep -o 'users:(([^)]*' | head -n1 | sed 's/users:((//')
    die "port $IMGEXT_REGISTRY_PORT on 127.0.0.1 is taken${who:+ by $who}; stop that or set IMGEXT_REGISTRY_PORT to a free port"
  fi
  mkdir -p "$dir/data"
  cat >"$dir/config.yml" <<YML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: $(registry_addr)
YML
  : >"$dir/registry.log"
  setsid docker-registry serve "$dir/config.yml" >>"$dir/registry.log" 2>&1 </dev/null &
  echo $! >"$dir/registry.pid"
  pid=$(pid_from "$dir/registry.pid")
  local i=0
  while ! registry_answers; do
    if ! pid_alive "$pid" || [ $i -ge 200 ]; then
      log_tail "$dir/registry.log"
      stop_pidfile "$dir/registry.pid" 2
      die "the registry did not come up on $(registry_addr) (log: $dir/registry.log)"
    fi
    sleep 0.1
    i=$((i + 1))
  done
  say "registry is up at $(registry_addr)"
}

registry_down() {
  local dir
  dir=$(registry_dir)
  [ -f "$dir/registry.pid" ] || return 0
  stop_pidfile "$dir/registry.pid" 10
  say "registry stopped"
}
