# The docker CLI and its buildx plugin from Debian trixie (packages docker-cli and docker-buildx),
# for bench/extender's `docker buildx build` row only (not CI). Fetched like engine.sh fetches
# trixie's docker.io: apt-get download through the separate source list under
# $IMGEXT_CACHE/debian-trixie (the system's apt state stays untouched), unpacked with dpkg -x into
# $IMGEXT_CACHE/docker-cli/cli-<version>+buildx-<version>. Cached and idempotent. Needs common.sh
# and engine.sh (debian_mirror). Sourced, never run.
#
#   ensure_docker_cli            prints the unpacked root (usr/bin/docker,
#                                usr/libexec/docker/cli-plugins/docker-buildx)
#   docker_cli_config ROOT DIR   makes DIR a DOCKER_CONFIG holding only the buildx plugin, so
#                                nothing reads or writes the user's ~/.docker

# Empty: whatever trixie serves (the versions name the folder).
TRIXIE_DOCKER_CLI_VERSION=${TRIXIE_DOCKER_CLI_VERSION:-}
TRIXIE_BUILDX_VERSION=${TRIXIE_BUILDX_VERSION:-}

# trixie_apt apt-get|apt-cache ARGS...: the tool on trixie's separate state.
trixie_apt() {
  local root=$IMGEXT_CACHE/debian-trixie tool=$1
  shift
  "$tool" \
    -o "Dir::Etc::SourceList=$root/etc/sources.list" -o "Dir::Etc::SourceParts=/dev/null" \
    -o "Dir::State::Lists=$root/lists" -o "Dir::Cache=$root/cache" -o "Dir::State::status=$root/status" \
    -o "APT::Sandbox::User=root" -o "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false" \
    -o "Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false" \
    -o "Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false" \
    -o "Acquire::IndexTargets::deb::CNF::DefaultEnabled=false" \
    "$@"
}

ensure_docker_cli() {
  local base=$IMGEXT_CACHE/docker-cli found
  # Reuse what an earlier call unpacked: the pinned versions, else the newest there is.
  if [ -n "$TRIXIE_DOCKER_CLI_VERSION" ] && [ -n "$TRIXIE_BUILDX_VERSION" ]; then
    found=$base/cli-$TRIXIE_DOCKER_CLI_VERSION+buildx-$TRIXIE_BUILDX_VERSION/.done
    [ -f "$found" ] || found=
  else
    found=$(find "$base" -mindepth 2 -maxdepth 2 -name .done 2>/dev/null | sort | tail -n1)
  fi
  if [ -n "$found" ]; then
    dirname "$found"
    return
  fi
  local root=$IMGEXT_CACHE/debian-trixie
  mkdir -p "$root/lists/partial" "$root/cache/archives/partial" "$root/etc" "$root/debs" "$base"
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [ -f "$keyring" ] || die "Debian's archive keyring ($keyring) is missing: apt-get install debian-archive-keyring"
  printf 'deb [signed-by=%s] %s trixie main\n' "$keyring" "$(debian_mirror)" >"$root/etc/sources.list"
  [ -f "$root/status" ] || : >"$root/status"
  local log=$IMGEXT_CACHE/logs/apt-trixie-docker-cli.log
  say "fetching Debian trixie's docker-cli and docker-buildx into $base"
  if ! trixie_apt apt-get update >"$log" 2>&1; then
    log_tail "$log"
    die "could not read trixie's package lists (log: $log)"
  fi
  local cli_v buildx_v
  cli_v=${TRIXIE_DOCKER_CLI_VERSION:-$(trixie_apt apt-cache madison docker-cli 2>/dev/null | awk -F' *[|] *' 'NR==1{print $2}')}
  buildx_v=${TRIXIE_BUILDX_VERSION:-$(trixie_apt apt-cache madison docker-buildx 2>/dev/null | awk -F' *[|] *' 'NR==1{print $2}')}
  if [ -z "$cli_v" ] || [ -z "$buildx_v" ]; then
    die "trixie serves no docker-cli or docker-buildx (log: $log)"
  fi
  local dl=$root/debs/docker-cli.$$
  rm -rf "$dl"
  mkdir -p "$dl"
  if ! (cd "$dl" && trixie_apt apt-get download "docker-cli=$cli_v" "docker-buildx=$buildx_v" >>"$log" 2>&1); then
    log_tail "$log"
    rm -rf "$dl"
    die "could not download docker-cli=$cli_v docker-buildx=$buildx_v from trixie (log: $log)"
  fi
  local out=$base/cli-$cli_v+buildx-$buildx_v tmp deb
  tmp=$out.unpack.$$
  rm -rf "$tmp"
  for deb in "$dl"/*.deb; do dpkg -x "$deb" "$tmp" || die "dpkg -x failed on $deb"; done
  rm -rf "$dl"
  [ -x "$tmp/usr/bin/docker" ] || die "the docker-cli package has no usr/bin/docker"
  [ -x "$tmp/usr/libexec/docker/cli-plugins/docker-buildx" ] ||
    die "the docker-buildx package has no usr/libexec/docker/cli-plugins/docker-buildx"
  "$tmp/usr/bin/docker" --version >/dev/null 2>&1 || die "the unpacked docker CLI does not run on this machine"
  : >"$tmp/.done"
  rm -rf "$out"
  mv "$tmp" "$out"
  printf '%s\n' "$out"
}

docker_cli_config() {
  local root=$1 dir=$2
  mkdir -p "$dir/cli-plugins"
  ln -sfn "$root/usr/libexec/docker/cli-plugins/docker-buildx" "$dir/cli-plugins/docker-buildx"
  [ -f "$dir/config.json" ] || printf '{}\n' >"$dir/config.json"
}
