# Local base images of the tiny busybox stack, built in an engine with no registry.

STACK_BUILD_IMAGE=imgext.local/stack/busybox:build
STACK_RUN_IMAGE=imgext.local/stack/busybox:run

# curl against engine $1's socket; the rest are curl arguments.
engine_curl() {
  local sock
  sock=$(engine_socket "$1")
  shift
  curl -sS --unix-socket "$sock" "$@"
}

# The stack's inputs, hashed: a changed Dockerfile or busybox rebuilds the images.
stack_inputs_hash() {
  cat "$TOOLS_DIR"/stack/*.Dockerfile "$TOOLS_DIR"/stack/rootfs/etc/* /bin/busybox | sha256sum | cut -c1-16
}

image_label() { # engine image label
  engine_curl "$1" "http://localhost/images/$2/json" 2>/dev/null | jq -r --arg l "$3" '.Config.Labels[$l] // empty' 2>/dev/null
}

# Builds the Dockerfile tools/stack/$3.Dockerfile as image $2 in engine $1 via POST /build.
build_stack_image() {
  local engine=$1 tag=$2 kind=$3 hash=$4 ctx log
  ctx=$(mktemp -d "$TMPDIR/imgext-stack.XXXXXX")
  mkdir -p "$ctx/rootfs/bin" "$ctx/rootfs/etc"
  cp /bin/busybox "$ctx/rootfs/bin/busybox"
  cp "$TOOLS_DIR"/stack/rootfs/etc/* "$ctx/rootfs/etc/"
  cp "$TOOLS_DIR/stack/$kind.Dockerfile" "$ctx/Dockerfile"
  log=$(engine_dir "$engine")/build-$kind.log
  local labels
  labels=$(jq -cn --arg h "$hash" '{"imgext.stack.inputs": $h}' | jq -sRr @uri)
  tar -C "$ctx" -cf - . | engine_curl "$engine" -X POST -H 'Content-Type: application/x-tar' \
    --data-binary @- "http://localhost/build?t=$(printf %s "$tag" | jq -sRr @uri)&networkmode=none&rm=1&forcerm=1&labels=$labels" >"$log" 2>&1
  rm -rf "$ctx"
  if grep -q '"error"' "$log" || [ "$(image_label "$engine" "$tag" imgext.stack.inputs)" != "$hash" ]; then
    log_tail "$log"
    die "building the stack's $kind image $tag in engine $engine failed (log: $log)"
  fi
}

ensure_stack_images() {
  local engine=$1 hash
  hash=$(stack_inputs_hash)
  local tag kind
  for kind in build run; do
    if [ $kind = build ]; then tag=$STACK_BUILD_IMAGE; else tag=$STACK_RUN_IMAGE; fi
    if [ "$(image_label "$engine" "$tag" imgext.stack.inputs)" != "$hash" ]; then
      say "making $tag in engine $engine"
      build_stack_image "$engine" "$tag" "$kind" "$hash"
    fi
  done
}
