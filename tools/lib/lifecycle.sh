# The real CNB lifecycle, built from its Go module (tools/lifecycle) and cached per version.

LIFECYCLE_VERSION=0.21.17
LIFECYCLE_PHASES="analyzer detector restorer builder exporter rebaser creator extender"

lifecycle_dir() { printf '%s\n' "$IMGEXT_CACHE/lifecycle/v$LIFECYCLE_VERSION"; }

# Compares dotted versions: answers 0 when $1 >= $2.
version_ge() {
  [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$2" ]
}

ensure_go() {
  local need have
  need=$(awk '/^go /{print $2; exit}' "$TOOLS_DIR/lifecycle/go.mod")
  need_cmd go || die "Go is not installed, and the lifecycle v$LIFECYCLE_VERSION is built from source: install Go >= $need (https://go.dev/doc/install) and put it on PATH"
  have=$(go env GOVERSION 2>/dev/null | sed 's/^go//')
  [ -n "$have" ] || die "'go env GOVERSION' failed; is $(command -v go) a working Go?"
  if ! version_ge "$have" "$need"; then
    die "the lifecycle v$LIFECYCLE_VERSION needs Go >= $need, but $(command -v go) is go$have. Install a newer Go, or let the go command fetch one: export GOTOOLCHAIN=go$need+auto"
  fi
}

# Builds lifecycle + launcher with CGO_ENABLED=0 unless this version's build is cached.
# Prints the folder holding lifecycle, launcher and the phase-name links.
ensure_lifecycle() {
  local dir stamp want
  dir=$(lifecycle_dir)
  want=$(cat "$TOOLS_DIR/lifecycle/go.mod" "$TOOLS_DIR/lifecycle/go.sum" "$TOOLS_DIR"/lifecycle/kaniko-stub/pkg/*/*.go "$TOOLS_DIR"/lifecycle/kaniko-stub/pkg/*/*/*.go | sha256sum | cut -c1-16)
  stamp=$dir/.built-from
  if [ -x "$dir/lifecycle" ] && [ -x "$dir/launcher" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    printf '%s\n' "$dir"
    return
  fi
  ensure_go
  say "building the CNB lifecycle v$LIFECYCLE_VERSION from its Go module (CGO_ENABLED=0)"
  local tmp=$dir.tmp.$$ log=$IMGEXT_CACHE/logs/lifecycle-build.log
  rm -rf "$tmp"
  mkdir -p "$tmp" "$(dirname "$log")"
  # XDG_CONFIG_HOME: the go command keeps its telemetry counters under the user config folder.
  if ! (cd "$TOOLS_DIR/lifecycle" && XDG_CONFIG_HOME=$IMGEXT_CACHE/config CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/buildpacks/lifecycle/cmd.Version=$LIFECYCLE_VERSION" \
    -o "$tmp/" github.com/buildpacks/lifecycle/cmd/lifecycle github.com/buildpacks/lifecycle/cmd/launcher) >"$log" 2>&1; then
    log_tail "$log"
    rm -rf "$tmp"
    die "building the lifecycle failed (log: $log)"
  fi
  local phase
  for phase in $LIFECYCLE_PHASES; do ln -s lifecycle "$tmp/$phase"; done
  echo "$want" >"$tmp/.built-from"
  rm -rf "$dir"
  mv "$tmp" "$dir"
  printf '%s\n' "$dir"
}
