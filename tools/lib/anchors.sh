# The anchors imgext is measured against (bench/pack): pack v0.40.2 built from its Go module, and
# the CNB lifecycle 0.21.17 WITH its real kaniko `extender` (the project's own lifecycle build keeps
# a kaniko stub). Both are cached under $IMGEXT_CACHE/anchors, like the lifecycle build.
# Sourced after common.sh, never run.

PACK_VERSION=0.40.2
ANCHORS_DIR=${ANCHORS_DIR:-/work/shared/anchors}

pack_dir() { printf '%s\n' "$IMGEXT_CACHE/anchors/pack/v$PACK_VERSION"; }
lifecycle_kaniko_dir() { printf '%s\n' "$IMGEXT_CACHE/anchors/lifecycle-kaniko/v0.21.17"; }

# Builds pack with CGO_ENABLED=0 from the module the Go proxy serves, inside a writable copy of the
# module folder (not under the system temp folder: Go ignores a go.mod in the temp root), so pack's
# own go.mod applies. Prints the pack binary's path.
ensure_pack() {
  local dir bin
  dir=$(pack_dir)
  bin=$dir/pack
  if [ -x "$bin" ]; then
    printf '%s\n' "$bin"
    return
  fi
  need_cmd go || die "Go is not installed; pack v$PACK_VERSION is built from its Go module"
  local log=$IMGEXT_CACHE/logs/pack-build.log moddir src=$IMGEXT_CACHE/anchors/pack/src-v$PACK_VERSION
  mkdir -p "$dir"
  say "building pack v$PACK_VERSION from its Go module (CGO_ENABLED=0; a few minutes)"
  moddir=$(XDG_CONFIG_HOME=$IMGEXT_CACHE/config go mod download -json "github.com/buildpacks/pack@v$PACK_VERSION" 2>>"$log" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$moddir" ] || {
    log_tail "$log"
    die "go mod download of pack v$PACK_VERSION failed (log: $log)"
  }
  rm -rf "$src"
  cp -r "$moddir" "$src"
  chmod -R u+w "$src"
  if ! (cd "$src" && XDG_CONFIG_HOME=$IMGEXT_CACHE/config CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath \
    -ldflags "-s -w -X github.com/buildpacks/pack/pkg/client.Version=$PACK_VERSION" -o "$bin.tmp" .) >>"$log" 2>&1; then
    log_tail "$log"
    die "building pack failed (log: $log)"
  fi
  mv "$bin.tmp" "$bin"
  rm -rf "$src"
  printf '%s\n' "$bin"
}

# Builds the lifecycle with the real kaniko extender via the shared anchor script. Prints its folder.
ensure_lifecycle_kaniko() {
  local dir log=$IMGEXT_CACHE/logs/lifecycle-kaniko-build.log
  dir=$(lifecycle_kaniko_dir)
  if [ -x "$dir/lifecycle" ] && [ -x "$dir/launcher" ] && [ -f "$dir/.built" ]; then
    printf '%s\n' "$dir"
    return
  fi
  [ -f "$ANCHORS_DIR/build-lifecycle-kaniko" ] || die "no $ANCHORS_DIR/build-lifecycle-kaniko (set ANCHORS_DIR)"
  say "building the lifecycle 0.21.17 with the kaniko extender (a few minutes)"
  rm -rf "$dir.tmp"
  if ! XDG_CONFIG_HOME=$IMGEXT_CACHE/config bash "$ANCHORS_DIR/build-lifecycle-kaniko" "$dir.tmp" >"$log" 2>&1; then
    log_tail "$log"
    rm -rf "$dir.tmp"
    die "building the kaniko lifecycle failed (log: $log)"
  fi
  touch "$dir.tmp/.built"
  rm -rf "$dir"
  mv "$dir.tmp" "$dir"
  printf '%s\n' "$dir"
}
