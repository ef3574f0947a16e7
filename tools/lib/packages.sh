# Debian packages the environment needs, installed only when missing.

# Each entry: package name, then a file that proves it is installed.
IMGEXT_PACKAGES=(
  "docker.io:/usr/sbin/dockerd"
  "busybox-static:/bin/busybox"
  "docker-registry:/usr/bin/docker-registry"
  "podman:/usr/bin/podman"
  "curl:/usr/bin/curl"
  "jq:/usr/bin/jq"
  "openssl:/usr/bin/openssl"
  "openssh-server:/usr/sbin/sshd"
)

# IMGEXT_EXTRA_PACKAGES adds entries of the same form ("pkg:/path/it/installs", space-separated).
ensure_packages() {
  local missing=() entry pkg file extra=()
  read -r -a extra <<<"${IMGEXT_EXTRA_PACKAGES:-}"
  for entry in "${IMGEXT_PACKAGES[@]}" "${extra[@]}"; do
    pkg=${entry%%:*}
    file=${entry#*:}
    [ -e "$file" ] || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    die "missing Debian packages: ${missing[*]}. Installing them needs root: run 'sudo apt-get install -y ${missing[*]}' or run this as root."
  fi
  need_cmd apt-get || die "missing packages ${missing[*]} and no apt-get to install them (imgext's tools expect Debian)"
  say "installing Debian packages: ${missing[*]}"
  local log=$IMGEXT_CACHE/logs/apt-install.log
  mkdir -p "$(dirname "$log")"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
    say "apt-get install failed; refreshing the package lists once and retrying"
    if ! { apt-get update >>"$log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >>"$log" 2>&1; }; then
      log_tail "$log"
      die "could not install ${missing[*]} with apt-get (full log: $log)"
    fi
  fi
}
