# Node.js and pnpm for the workspace. pnpm is installed into the project cache folder, its store
# and caches live there too, so nothing is written to global npm folders.

PNPM_VERSION=$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$REPO_DIR/package.json")
NODE_MIN=20.19.0

ensure_node() {
  need_cmd node || die "Node.js is not installed; imgext needs Node >= $NODE_MIN"
  local have
  have=$(node -p 'process.versions.node')
  version_ge "$have" "$NODE_MIN" || die "imgext needs Node >= $NODE_MIN; $(command -v node) is $have"
}

# Prints the path of the pinned pnpm, installing it into the cache when missing.
ensure_pnpm() {
  ensure_node
  local dir=$IMGEXT_CACHE/pnpm/$PNPM_VERSION
  local bin=$dir/node_modules/.bin/pnpm
  if [ ! -x "$bin" ]; then
    say "installing pnpm $PNPM_VERSION into $dir"
    mkdir -p "$dir"
    local log=$IMGEXT_CACHE/logs/pnpm-install.log
    mkdir -p "$IMGEXT_CACHE/logs"
    if ! npm install --prefix "$dir" --no-save --no-audit --no-fund --cache "$IMGEXT_CACHE/npm-cache" \
      "pnpm@$PNPM_VERSION" >"$log" 2>&1; then
      log_tail "$log"
      die "could not install pnpm $PNPM_VERSION with npm (log: $log)"
    fi
  fi
  printf '%s\n' "$bin"
}

# pnpm's store, metadata cache and state, all inside the project cache folder.
export npm_config_store_dir=$IMGEXT_CACHE/pnpm-store
export npm_config_cache_dir=$IMGEXT_CACHE/pnpm-cache
export npm_config_state_dir=$IMGEXT_CACHE/pnpm-state
export npm_config_update_notifier=false
