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

# The lifecycle's inputs: tools/lifecycle's module files and the kaniko stub it builds with.
lifecycle_inputs() {
  cat "$TOOLS_DIR/lifecycle/go.mod" "$TOOLS_DIR/lifecycle/go.sum" "$TOOLS_DIR"/lifecycle/kaniko-stub/pkg/*/*.go "$TOOLS_DIR"/lifecycle/kaniko-stub/pkg/*/*/*.go | sha256sum | cut -c1-16
}

# Builds lifecycle + launcher with CGO_ENABLED=0 into folder $1 (with the phase-name links) unless
# a build from inputs $2 is there; $3: a go.mod to build with instead of tools/lifecycle's (go
# build -modfile; its go.sum beside it), $4: what the build is called in messages and its log.
build_lifecycle() {
  local dir=$1 want=$2 modfile=$3 what=$4 stamp=$1/.built-from
  if [ -x "$dir/lifecycle" ] && [ -x "$dir/launcher" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return
  fi
  ensure_go
  say "building $what from its Go module (CGO_ENABLED=0)"
  local tmp=$dir.tmp.$$ log=$IMGEXT_CACHE/logs/$(basename "$dir")-build.log
  rm -rf "$tmp"
  mkdir -p "$tmp" "$(dirname "$log")"
  # XDG_CONFIG_HOME: the go command keeps its telemetry counters under the user config folder.
  if ! (cd "$TOOLS_DIR/lifecycle" && XDG_CONFIG_HOME=$IMGEXT_CACHE/config CGO_ENABLED=0 go build -trimpath \
    ${modfile:+"-modfile=$modfile"} \
    -ldflags "-s -w -X github.com/buildpacks/lifecycle/cmd.Version=$LIFECYCLE_VERSION" \
    -o "$tmp/" github.com/buildpacks/lifecycle/cmd/lifecycle github.com/buildpacks/lifecycle/cmd/launcher) >"$log" 2>&1; then
    log_tail "$log"
    rm -rf "$tmp"
    die "building $what failed (log: $log)"
  fi
  local phase
  for phase in $LIFECYCLE_PHASES; do ln -s lifecycle "$tmp/$phase"; done
  echo "$want" >"$tmp/.built-from"
  rm -rf "$dir"
  mv "$tmp" "$dir"
}

# Builds (or reuses) the lifecycle imgext's environment uses. Prints its folder.
ensure_lifecycle() {
  build_lifecycle "$(lifecycle_dir)" "$(lifecycle_inputs)" "" "the CNB lifecycle v$LIFECYCLE_VERSION"
  lifecycle_dir
}

# The same lifecycle as upstream ships it: tools/lifecycle's module without its go-containerregistry
# replace, so with the go-containerregistry v0.21.9 lifecycle v0.21.17 pins and its layer-reuse bug
# (docs/build-flow.md, "Known issue: invalid diffID"). What users' builders carry; the export-retry
# test runs its daemon phases in it. Same Go build and module caches: only go-containerregistry and
# what imports it compile again.
lifecycle_upstream_dir() { printf '%s\n' "$IMGEXT_CACHE/lifecycle/v$LIFECYCLE_VERSION-upstream"; }

ensure_lifecycle_upstream() {
  local dir want mod
  dir=$(lifecycle_upstream_dir)
  want="$(lifecycle_inputs)-upstream"
  if [ "$(cat "$dir/.built-from" 2>/dev/null)" != "$want" ] || [ ! -x "$dir/lifecycle" ]; then
    mod=$(mktemp -d "$TMPDIR/imgext-lifecycle-upstream.XXXXXX")
    # The replace and the comment above it go; the kaniko stub's replace (a path relative to the
    # module root, tools/lifecycle, as -modfile keeps) stays.
    awk '/^\/\/ go-containerregistry v0.21.9/{skip=1} /^replace github.com\/google\/go-containerregistry/{skip=0; next} !skip' \
      "$TOOLS_DIR/lifecycle/go.mod" >"$mod/go.mod"
    if grep -q 'google/go-containerregistry =>' "$mod/go.mod"; then
      rm -rf "$mod"
      die "tools/lifecycle/go.mod: could not drop the go-containerregistry replace for the upstream lifecycle"
    fi
    cp "$TOOLS_DIR/lifecycle/go.sum" "$mod/go.sum"
    build_lifecycle "$dir" "$want" "$mod/go.mod" "the upstream CNB lifecycle v$LIFECYCLE_VERSION (go-containerregistry unpinned)"
    rm -rf "$mod"
  fi
  printf '%s\n' "$dir"
}
