# The lifecycle image untrusted builds run analyzer, restorer and exporter in:
# buildpacksio/lifecycle:<version>, made locally from the lifecycle build (Docker Hub cannot be
# reached here) the way that image is laid out: /cnb/lifecycle on an empty base, /tmp 1777, no
# entrypoint (podman treats a container's empty Entrypoint as unset and would use the image's).
# Needs lifecycle.sh and builder.sh (build_sample_image). test-support's ensureLifecycleImage makes
# the same image (same inputs label), so tests and tools agree on when it is current.

lifecycle_image_name() { printf 'buildpacksio/lifecycle:%s\n' "$LIFECYCLE_VERSION"; }
# The same image from the upstream lifecycle build (ensure_lifecycle_upstream): the lifecycle image
# users' builders run with, layer-reuse bug included (docs/build-flow.md, "Known issue: invalid
# diffID"). The export-retry test runs the daemon phases in it.
lifecycle_upstream_image_name() { printf 'imgext.local/lifecycle-upstream:%s\n' "$LIFECYCLE_VERSION"; }

# Makes the lifecycle image in engine $1 unless it is current; $2/$3: another lifecycle folder and
# tag (default: the environment's lifecycle as buildpacksio/lifecycle:<version>).
ensure_lifecycle_image() {
  local engine=$1 lc=${2:-} tag=${3:-} inputs ctx hash apis
  [ -n "$lc" ] || lc=$(lifecycle_dir)
  [ -n "$tag" ] || tag=$(lifecycle_image_name)
  inputs="$(cat "$lc/.built-from")-4"
  hash=$(printf '%s\n' "$inputs" | sha256sum | cut -c1-16)
  [ "$(image_label "$engine" "$tag" imgext.test.lifecycle-inputs)" = "$inputs" ] && return
  say "making $tag in engine $engine"
  ctx=$(mktemp -d "${TMPDIR:-/tmp}/imgext-lifecycle-image.XXXXXX")
  mkdir -p "$ctx/rootfs/tmp" && chmod 1777 "$ctx/rootfs/tmp"
  tar -C "$ctx/rootfs" -cf "$ctx/rootfs.tar" tmp && rm -rf "$ctx/rootfs"
  cp -a "$lc" "$ctx/lifecycle" && rm -f "$ctx/lifecycle/.built-from"
  apis='{"buildpack":{"deprecated":[],"supported":["0.7","0.8","0.9","0.10","0.11"]},"platform":{"deprecated":[],"supported":["0.7","0.8","0.9","0.10","0.11","0.12","0.13","0.14","0.15"]}}'
  printf 'FROM scratch\nADD rootfs.tar /\nCOPY lifecycle /cnb/lifecycle\n' >"$ctx/Dockerfile"
  build_sample_image "$engine" "$tag" "$ctx" \
    "$(jq -cn --arg v "$LIFECYCLE_VERSION" --arg apis "$apis" --arg i "$inputs" \
      '{"io.buildpacks.lifecycle.version": $v, "io.buildpacks.lifecycle.apis": $apis, "imgext.test.lifecycle-inputs": $i}')" \
    '{}' "$hash"
  rm -rf "$ctx"
}
