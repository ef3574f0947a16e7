# The realistic stack (opt-in, for bench/pack): a Debian minbase rootfs made by debootstrap from
# the Debian archive the host's apt uses, cached under $IMGEXT_CACHE/stack-debian, turned into
# build and run images (tools/stack-debian) in an engine; plus real .deb files (tree, jq and its
# libraries) that the bench extensions install without the network. Needs images.sh (engine_curl).

DEBIAN_STACK_SUITE=${DEBIAN_STACK_SUITE:-bookworm}
DEBIAN_STACK_BUILD_IMAGE=imgext.local/stack/debian:build
DEBIAN_STACK_RUN_IMAGE=imgext.local/stack/debian:run
DEBIAN_STACK_DEBS="tree jq libjq1 libonig5"

debian_stack_dir() { printf '%s\n' "$IMGEXT_CACHE/stack-debian/$DEBIAN_STACK_SUITE"; }

# The archive the host's apt reads (never written into the project).
debian_mirror() {
  local uri
  uri=$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1)
  [ -n "$uri" ] || uri=$(grep -h '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -v security | head -n1)
  [ -n "$uri" ] || die "no Debian archive in the host's apt sources; set DEBIAN_STACK_MIRROR"
  printf '%s\n' "${DEBIAN_STACK_MIRROR:-$uri}"
}

# Prints the cached rootfs tarball, making it with debootstrap --variant=minbase when missing.
ensure_debian_rootfs() {
  local dir tar log
  dir=$(debian_stack_dir)
  tar=$dir/rootfs.tar
  if [ -f "$tar" ]; then
    printf '%s\n' "$tar"
    return
  fi
  [ "$(id -u)" = 0 ] || die "debootstrap needs root"
  need_cmd debootstrap || IMGEXT_EXTRA_PACKAGES="debootstrap:/usr/sbin/debootstrap" ensure_packages
  log=$IMGEXT_CACHE/logs/debootstrap-$DEBIAN_STACK_SUITE.log
  say "making a Debian $DEBIAN_STACK_SUITE minbase rootfs with debootstrap (a few minutes, once)"
  rm -rf "$dir/rootfs"
  mkdir -p "$dir"
  if ! debootstrap --variant=minbase "$DEBIAN_STACK_SUITE" "$dir/rootfs" "$(debian_mirror)" >"$log" 2>&1; then
    log_tail "$log"
    die "debootstrap failed (log: $log)"
  fi
  rm -rf "$dir/rootfs/var/cache/apt/archives/"*.deb "$dir/rootfs/var/lib/apt/lists/"*
  tar -C "$dir/rootfs" --numeric-owner -cf "$tar.tmp" .
  mv "$tar.tmp" "$tar"
  rm -rf "$dir/rootfs"
  printf '%s\n' "$tar"
}

# Prints the folder holding the .deb files the bench extensions install (apt-get download, once).
ensure_debian_debs() {
  local dir
  dir=$IMGEXT_CACHE/bench-pack/debs
  if [ -d "$dir" ] && [ "$(ls "$dir"/*.deb 2>/dev/null | wc -l)" -ge 4 ]; then
    printf '%s\n' "$dir"
    return
  fi
  mkdir -p "$dir.tmp"
  # shellcheck disable=SC2086
  (cd "$dir.tmp" && apt-get download $DEBIAN_STACK_DEBS >"$IMGEXT_CACHE/logs/debs-download.log" 2>&1) ||
    die "apt-get download $DEBIAN_STACK_DEBS failed (log: $IMGEXT_CACHE/logs/debs-download.log)"
  rm -rf "$dir"
  mv "$dir.tmp" "$dir"
  printf '%s\n' "$dir"
}

# Makes the Debian build and run images in engine $1 unless they are current.
ensure_debian_stack() {
  local engine=$1 tar hash kind ctx
  tar=$(ensure_debian_rootfs)
  ensure_debian_debs >/dev/null
  hash=$( (
    stat -c '%s %Y' "$tar"
    cat "$TOOLS_DIR"/stack-debian/*.Dockerfile
  ) | sha256sum | cut -c1-16)
  for kind in build run; do
    local tag=imgext.local/stack/debian:$kind
    [ "$(image_label "$engine" "$tag" imgext.stack.inputs)" = "$hash" ] && continue
    say "making $tag in engine $engine"
    ctx=$(mktemp -d "$TMPDIR/imgext-debian.XXXXXX")
    ln "$tar" "$ctx/rootfs.tar" 2>/dev/null || cp "$tar" "$ctx/rootfs.tar"
    cp "$TOOLS_DIR/stack-debian/$kind.Dockerfile" "$ctx/Dockerfile"
    local log labels
    log=$(engine_dir "$engine")/build-debian-$kind.log
    labels=$(jq -cn --arg h "$hash" '{"imgext.stack.inputs": $h}' | jq -sRr @uri)
    tar -C "$ctx" -chf - . | engine_curl "$engine" -X POST -H 'Content-Type: application/x-tar' --data-binary @- \
      "http://localhost/build?t=$(printf %s "$tag" | jq -sRr @uri)&networkmode=none&rm=1&forcerm=1&labels=$labels" >"$log" 2>&1
    rm -rf "$ctx"
    if grep -q '"error"' "$log" || [ "$(image_label "$engine" "$tag" imgext.stack.inputs)" != "$hash" ]; then
      log_tail "$log"
      die "building $tag in engine $engine failed (log: $log)"
    fi
  done
}
