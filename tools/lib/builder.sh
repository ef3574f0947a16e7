# The sample builder (tools/sample): the stack's build image + the real lifecycle + the sample
# buildpack and extensions, and the alternative run image the switch-run extension selects.
# Built in an engine through POST /build, like the stack images. Needs images.sh and lifecycle.sh.

SAMPLE_BUILDER_IMAGE=imgext.local/sample/builder:latest
SAMPLE_RUN_ALT_IMAGE=imgext.local/stack/busybox:run-alt
SAMPLE_DIR=$TOOLS_DIR/sample

image_id() { # engine image
  engine_curl "$1" "http://localhost/images/$2/json" 2>/dev/null | jq -r '.Id // empty' 2>/dev/null
}

# Builds context folder $3 (holding a Dockerfile) as image $2 in engine $1. $4: JSON labels,
# $5: JSON build args. Fails unless the image then carries label imgext.sample.inputs = $6.
build_sample_image() {
  local engine=$1 tag=$2 ctx=$3 labels=$4 args=$5 hash=$6 log old
  old=$(image_id "$engine" "$tag")
  log=$(engine_dir "$engine")/build-$(printf %s "$tag" | tr '/:' '__').log
  labels=$(jq -c --arg h "$hash" '. + {"imgext.sample.inputs": $h}' <<<"$labels" | jq -sRr @uri)
  args=$(jq -sRr @uri <<<"$args")
  tar -C "$ctx" -cf - . | engine_curl "$engine" -X POST -H 'Content-Type: application/x-tar' --data-binary @- \
    "http://localhost/build?t=$(printf %s "$tag" | jq -sRr @uri)&networkmode=none&rm=1&forcerm=1&labels=$labels&buildargs=$args" >"$log" 2>&1
  if grep -q '"error"' "$log" || [ "$(image_label "$engine" "$tag" imgext.sample.inputs)" != "$hash" ]; then
    log_tail "$log"
    die "building $tag in engine $engine failed (log: $log)"
  fi
  # The replaced image would stay behind untagged; remove it unless something still uses it.
  if [ -n "$old" ] && [ "$old" != "$(image_id "$engine" "$tag")" ]; then
    engine_curl "$engine" -X DELETE "http://localhost/images/$old" >/dev/null 2>&1 || true
  fi
}

# The labels pack reads from a builder: io.buildpacks.builder.metadata and the order/layers labels.
sample_builder_labels() {
  local lifecycle_dir=$1 bp ext
  bp=$(jq -n '{id: "imgext-samples/hello", version: "0.0.1", homepage: "https://github.com/imgext"}')
  ext=$(for e in build-tool broken switch-run run-tool; do jq -n --arg id "imgext-samples/$e" '{id: $id, version: "0.0.1"}'; done | jq -s .)
  local platforms='["0.7","0.8","0.9","0.10","0.11","0.12","0.13","0.14","0.15"]'
  local buildpacks='["0.7","0.8","0.9","0.10","0.11","0.12"]'
  jq -n --argjson bp "$bp" --argjson ext "$ext" --argjson pl "$platforms" --argjson bpa "$buildpacks" \
    --arg run "$STACK_RUN_IMAGE" --arg version "$LIFECYCLE_VERSION" '{
    "io.buildpacks.builder.metadata": ({
      description: "imgext sample builder: busybox stack, real lifecycle, sample buildpack and extensions",
      stack: {runImage: {image: $run, mirrors: []}},
      images: [{image: $run, mirrors: []}],
      buildpacks: [$bp],
      extensions: $ext,
      lifecycle: {version: $version,
        api: {buildpack: "0.7", platform: "0.7"},
        apis: {buildpack: {deprecated: [], supported: $bpa}, platform: {deprecated: [], supported: $pl}}},
      createdBy: {name: "imgext tools/lib/builder.sh", version: "0.0.0"}
    } | tojson),
    "io.buildpacks.buildpack.order": ([{group: [{id: $bp.id, version: $bp.version}]}] | tojson),
    "io.buildpacks.buildpack.order-extensions": ([{group: [$ext[] | . + {optional: true}]}] | tojson),
    "io.buildpacks.buildpack.layers": ({($bp.id): {($bp.version): {api: "0.10", homepage: $bp.homepage}}} | tojson),
    "io.buildpacks.extension.layers": ([$ext[] | {(.id): {(.version): {api: "0.10"}}}] | add | tojson),
    "io.buildpacks.stack.id": "io.imgext.stacks.busybox"
  }'
}

# Assembles /cnb of the sample builder into folder $2 from lifecycle folder $1.
sample_builder_context() {
  local lc=$1 ctx=$2 e
  mkdir -p "$ctx/cnb/lifecycle" "$ctx/cnb/buildpacks/imgext-samples_hello" "$ctx/cnb/extensions"
  cp -a "$lc"/. "$ctx/cnb/lifecycle/"
  rm -f "$ctx/cnb/lifecycle/.built-from"
  cp -a "$SAMPLE_DIR/buildpacks/hello" "$ctx/cnb/buildpacks/imgext-samples_hello/0.0.1"
  for e in build-tool broken switch-run run-tool; do
    mkdir -p "$ctx/cnb/extensions/imgext-samples_$e"
    cp -a "$SAMPLE_DIR/extensions/$e" "$ctx/cnb/extensions/imgext-samples_$e/0.0.1"
    cp "$SAMPLE_DIR/extensions/detect" "$ctx/cnb/extensions/imgext-samples_$e/0.0.1/bin/detect"
  done
  cp "$SAMPLE_DIR/sample-env.sh" "$SAMPLE_DIR/order.toml" "$ctx/cnb/"
  # run-alt is listed too, so the switch-run extension selects a run image the builder knows.
  printf '[[images]]\nimage = "%s"\n\n[[images]]\nimage = "%s"\n' "$STACK_RUN_IMAGE" "$SAMPLE_RUN_ALT_IMAGE" >"$ctx/cnb/run.toml"
  printf '[run-image]\nimage = "%s"\n\n[build-image]\nimage = "%s"\n' "$STACK_RUN_IMAGE" "$STACK_BUILD_IMAGE" >"$ctx/cnb/stack.toml"
  cp "$SAMPLE_DIR/builder.Dockerfile" "$ctx/Dockerfile"
}

# Makes the sample builder and the run-alt image in engine $1 unless they are current.
ensure_sample_builder() {
  local engine=$1 lc hash ctx
  lc=$(lifecycle_dir)
  hash=$( (
    image_id "$engine" "$STACK_BUILD_IMAGE"
    image_id "$engine" "$STACK_RUN_IMAGE"
    cat "$lc/.built-from"
    cd "$SAMPLE_DIR" && find . -path ./app -prune -o -type f -print | LC_ALL=C sort | xargs sha256sum
    sha256sum <"$TOOLS_DIR/lib/builder.sh"
  ) | sha256sum | cut -c1-16)
  if [ "$(image_label "$engine" "$SAMPLE_RUN_ALT_IMAGE" imgext.sample.inputs)" != "$hash" ]; then
    say "making $SAMPLE_RUN_ALT_IMAGE in engine $engine"
    ctx=$(mktemp -d "${TMPDIR:-/tmp}/imgext-sample.XXXXXX")
    cp "$SAMPLE_DIR/run-alt.Dockerfile" "$ctx/Dockerfile"
    build_sample_image "$engine" "$SAMPLE_RUN_ALT_IMAGE" "$ctx" '{}' "$(jq -cn --arg r "$STACK_RUN_IMAGE" '{run_image: $r}')" "$hash"
    rm -rf "$ctx"
  fi
  if [ "$(image_label "$engine" "$SAMPLE_BUILDER_IMAGE" imgext.sample.inputs)" != "$hash" ]; then
    say "making $SAMPLE_BUILDER_IMAGE in engine $engine"
    ctx=$(mktemp -d "${TMPDIR:-/tmp}/imgext-sample.XXXXXX")
    sample_builder_context "$lc" "$ctx"
    build_sample_image "$engine" "$SAMPLE_BUILDER_IMAGE" "$ctx" "$(sample_builder_labels "$lc")" \
      "$(jq -cn --arg b "$STACK_BUILD_IMAGE" '{build_image: $b}')" "$hash"
    rm -rf "$ctx"
  fi
}
