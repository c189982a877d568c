# shellcheck shell=bash
# Source this file (`. scripts/ci/podman-env.sh`) to get a working rootful podman on a Debian host
# that has no Docker daemon: podman, runc and debootstrap are installed when missing, a
# containers.conf is written and exported as CONTAINERS_CONF, and `podman_cmd` (a function) plus
# `PODMAN` (a word-split command string, for callers that are not bash) always select runc.
#
# Knobs (environment):
#   HOPLINK_CI_DIR                 where the config and caches live (default /var/tmp/hoplink-ci);
#                                  /var/tmp survives reboots, unlike /tmp on many hosts.
#   HOPLINK_PODMAN_STORAGE_DRIVER  empty (default) keeps podman's choice: native overlay, which
#                                  works on ext4/xfs, also nested when /var/lib/containers is a
#                                  volume. Set "vfs" where overlay mounts are refused (overlay on
#                                  overlay, old kernels), and before the store's first use: podman
#                                  records the driver (even the implicit default) and refuses any
#                                  other one later, including naming "overlay" explicitly.
#
# This file is sourced into the caller's shell, so it sets no shell options and returns (never
# exits) on failure.

hoplink_podman_env() {
  local ci_dir="${HOPLINK_CI_DIR:-/var/tmp/hoplink-ci}"
  local conf="$ci_dir/containers.conf"
  local -a missing=()

  # Package names equal command names for all three.
  local cmd
  for cmd in podman runc debootstrap; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
  done
  if ((${#missing[@]} > 0)); then
    if [[ $(id -u) -ne 0 ]]; then
      echo "podman-env: missing ${missing[*]} and not root, cannot apt-get install them" >&2
      return 1
    fi
    echo "podman-env: installing ${missing[*]}" >&2
    # debian-archive-keyring is only a Recommends of debootstrap, but without it debootstrap
    # cannot verify the archive; it is present on standard installs, so this is usually a no-op.
    if ! DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
      ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" debian-archive-keyring >&2; then
      echo "podman-env: apt-get install ${missing[*]} failed" >&2
      return 1
    fi
  fi

  # default_ulimits = []: rootful podman otherwise asks for nofile=1048576; where the host's hard
  # limit is lower (20000 in the sandbox this was tested in) runc fails with "error setting
  # rlimit type 7: operation not permitted".
  # cgroupfs: there is no systemd (or no systemd user session) to hand cgroups to in CI sandboxes.
  # runtime: crun may be absent or broken; runc is what was tested.
  # events_logger: journald is not running in most CI containers; a file always works.
  local wanted
  wanted='# Written by scripts/ci/podman-env.sh; edits are overwritten.
[containers]
default_ulimits = []

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
'
  mkdir -p "$ci_dir" || return 1
  # Left alone when unchanged; otherwise renamed into place so a parallel job never reads half.
  if [[ ! -f $conf || $(<"$conf")$'\n' != "$wanted" ]]; then
    printf '%s' "$wanted" >"$conf.tmp.$$" || return 1
    mv -f "$conf.tmp.$$" "$conf" || return 1
  fi
  export CONTAINERS_CONF="$conf"

  HOPLINK_PODMAN_ARGS=(--runtime runc)
  if [[ -n ${HOPLINK_PODMAN_STORAGE_DRIVER:-} ]]; then
    HOPLINK_PODMAN_ARGS+=(--storage-driver "$HOPLINK_PODMAN_STORAGE_DRIVER")
  fi
  PODMAN="podman ${HOPLINK_PODMAN_ARGS[*]}"
  export PODMAN
}

# The flags live here rather than in an alias because aliases are not expanded in scripts.
podman_cmd() {
  command podman "${HOPLINK_PODMAN_ARGS[@]}" "$@"
}

hoplink_podman_env
