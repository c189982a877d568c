#!/usr/bin/env bash
# Builds a stand-in for the official node:24-bookworm-slim image where no image registry is
# reachable, so `podman build --pull=never` of the project's Dockerfile works. The stand-in is a
# debootstrap'd Debian bookworm (minbase) plus Node from the npm package node-linux-<arch>, npm from
# the npm package, a `node` user (uid/gid 1000) and the image config the official image sets.
#
# Usage: scripts/ci/node-image.sh [TAG]     (run as root)
#   TAG (or HOPLINK_NODE_IMAGE)   default docker.io/library/node:24-bookworm-slim
#   HOPLINK_NODE_MAJOR            default 24; the newest 24.x is used
#   HOPLINK_NODE_VERSION          exact Node version (skips the registry lookup)
#   HOPLINK_NPM_VERSION           exact npm version (default: newest 11.x)
#   HOPLINK_DEBIAN_MIRROR         debootstrap mirror (default: debootstrap's own)
#   HOPLINK_NODE_IMAGE_FORCE=1    rebuild even when the image exists
#   HOPLINK_CI_DIR                cache directory (default /var/tmp/hoplink-ci)
# Does nothing when the image already exists. The finished root filesystem is cached as a tarball
# keyed by suite, architecture, Node and npm versions, so a rerun after `podman rmi` only imports.
set -Eeuo pipefail

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
tag=${1:-${HOPLINK_NODE_IMAGE:-docker.io/library/node:24-bookworm-slim}}
node_major=${HOPLINK_NODE_MAJOR:-24}
npm_major=11
suite=bookworm
ci_dir=${HOPLINK_CI_DIR:-/var/tmp/hoplink-ci}

phase=
phase_started=$(date +%s.%N)
work=

log() { printf 'node-image: %s\n' "$*" >&2; }

# Starting a phase closes the previous one, so every phase gets a timing line.
begin() {
  end_phase
  phase=$1
  phase_started=$(date +%s.%N)
  log "phase '$phase' started"
}
end_phase() {
  [[ -n $phase ]] || return 0
  log "phase '$phase' took $(awk -v a="$phase_started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }')"
  phase=
}

on_error() {
  local rc=$?
  # set -E runs this trap in command substitutions too; let only the main shell report.
  ((BASH_SUBSHELL == 0)) || exit "$rc"
  log "FAILED in phase '${phase:-setup}' (exit $rc, line ${BASH_LINENO[0]}); see the output above"
  exit "$rc"
}
trap on_error ERR

cleanup() {
  [[ -n $work && -d $work ]] || return 0
  # A failed debootstrap can leave proc/sys mounted inside the target; deleting through a live
  # /proc or /sys mount would be disastrous, so unmount (deepest first) before removing anything.
  local mnt
  while read -r mnt; do
    umount -l "$mnt" 2>/dev/null || true
  done < <(awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r)
  rm -rf --one-file-system -- "$work"
}
trap cleanup EXIT

total_started=$(date +%s.%N)

if [[ $(id -u) -ne 0 ]]; then
  log "must run as root (debootstrap creates device nodes and chroots)"
  exit 1
fi

begin "podman environment"
# shellcheck source=scripts/ci/podman-env.sh
. "$script_dir/podman-env.sh"

if [[ ${HOPLINK_NODE_IMAGE_FORCE:-0} != 1 ]] && podman_cmd image exists "$tag"; then
  end_phase
  log "$tag already exists; nothing to do (HOPLINK_NODE_IMAGE_FORCE=1 rebuilds)"
  exit 0
fi

case $(uname -m) in
  x86_64) node_arch=x64 ;;
  aarch64) node_arch=arm64 ;;
  *)
    log "no node-linux-* package for $(uname -m)"
    exit 1
    ;;
esac

begin "host tools"
# npm fetches Node and npm themselves from the registry (the only source reachable in CI); a bare
# Debian has neither, and Debian's npm package is enough to bootstrap.
missing=()
command -v npm >/dev/null 2>&1 || missing+=(npm)
[[ -f /etc/ssl/certs/ca-certificates.crt ]] || missing+=(ca-certificates)
if ((${#missing[@]} > 0)); then
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

begin "resolve versions"
# An administrator adds a TLS-inspecting proxy's CA to the system bundle, which Node's built-in
# roots never see; unless npm was pointed at some CA already, use the system bundle.
if [[ $(npm config get cafile) == null && $(npm config get ca) == null ]]; then
  export npm_config_cafile=/etc/ssl/certs/ca-certificates.crt
fi
# `npm view` lists matching versions in publication order, not semver order, hence sort -V.
newest() {
  npm view "$1" version --json |
    node -e 'const v = JSON.parse(require("fs").readFileSync(0, "utf8"));
             for (const x of [v].flat()) console.log(x)' |
    sort -V | tail -n 1
}
node_version=${HOPLINK_NODE_VERSION:-$(newest "node-linux-$node_arch@$node_major")}
npm_version=${HOPLINK_NPM_VERSION:-$(newest "npm@$npm_major")}
[[ $node_version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || {
  log "could not resolve a Node $node_major version (got '$node_version')"
  false
}
[[ $npm_version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || {
  log "could not resolve an npm $npm_major version (got '$npm_version')"
  false
}
log "Node $node_version, npm $npm_version"

mkdir -p "$ci_dir"
cache="$ci_dir/rootfs-$suite-$node_arch-node-$node_version-npm-$npm_version.tar"

if [[ -f $cache ]]; then
  log "using cached root filesystem $cache"
else
  work=$(mktemp -d "$ci_dir/build.XXXXXX")
  rootfs="$work/rootfs"

  begin "debootstrap"
  # Mirror left to debootstrap unless given, so no host name is baked into this script.
  debootstrap_args=(--variant=minbase "$suite" "$rootfs")
  if [[ -n ${HOPLINK_DEBIAN_MIRROR:-} ]]; then
    debootstrap_args+=("$HOPLINK_DEBIAN_MIRROR")
  fi
  debootstrap "${debootstrap_args[@]}" >"$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2
    false
  }

  begin "apt sources"
  # debootstrap writes only "<suite> main"; the official image also has -updates and -security,
  # which a Dockerfile's apt-get install should see. Reuse the mirror debootstrap chose.
  mirror=$(awk '$1 == "deb" { print $2; exit }' "$rootfs/etc/apt/sources.list")
  [[ -n $mirror ]]
  rm -f "$rootfs/etc/apt/sources.list"
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF

  begin "slim like debian:bookworm-slim"
  # The official image starts from debian:bookworm-slim, whose build (debuerreotype) keeps docs,
  # man pages and translations out, cleans apt's caches and stops services from starting during
  # `apt-get install` in a build. Doing the same keeps a Dockerfile's apt steps behaving alike.
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/man/*
EOF
  find "$rootfs/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$rootfs/usr/share/locale" -mindepth 1 ! -type d ! -name locale.alias -delete
  find "$rootfs/usr/share/doc" "$rootfs/usr/share/locale" -mindepth 1 -type d -empty -delete
  rm -rf "$rootfs"/usr/share/{groff,info,linda,lintian/overrides,man}/*
  printf '#!/bin/sh\n# No init system runs during an image build.\nexit 101\n' \
    >"$rootfs/usr/sbin/policy-rc.d"
  chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
  clean='rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true'
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<EOF
DPkg::Post-Invoke { "$clean"; };
APT::Update::Post-Invoke { "$clean"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Acquire::Languages "none";
EOF
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb \
    "$rootfs"/var/cache/apt/*.bin

  begin "fetch node and npm"
  npm pack --silent --pack-destination "$work" \
    "node-linux-$node_arch@$node_version" "npm@$npm_version" >/dev/null
  mkdir "$work/node" "$work/npm"
  tar -xzf "$work/node-linux-$node_arch-$node_version.tgz" -C "$work/node" \
    --strip-components=1 --no-same-owner
  tar -xzf "$work/npm-$npm_version.tgz" -C "$work/npm" --strip-components=1 --no-same-owner

  begin "install node and npm"
  # Same layout as the official image, which unpacks the Node release tarball into /usr/local.
  install -d "$rootfs/usr/local/bin" "$rootfs/usr/local/lib/node_modules" "$rootfs/usr/local/etc"
  install -m 0755 "$work/node/bin/node" "$rootfs/usr/local/bin/node"
  cp -R --no-preserve=ownership "$work/node/include" "$work/node/share" "$rootfs/usr/local/"
  ln -sf node "$rootfs/usr/local/bin/nodejs"
  mv "$work/npm" "$rootfs/usr/local/lib/node_modules/npm"
  # npm's own installer would mark its bins executable; unpacking by hand does not.
  chmod 0755 "$rootfs/usr/local/lib/node_modules/npm/bin/"{npm,npx,npm-cli.js,npx-cli.js}
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"

  begin "configure rootfs"
  # Same commands as the official image, so uid/gid, shell and home match.
  chroot "$rootfs" groupadd --gid 1000 node
  chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  # Where registry traffic passes a TLS-inspecting proxy, npm inside a build must trust what the
  # host trusts. Node's bundled roots would not, so point npm (only npm: the runtime keeps Node's
  # defaults, like the official image) at the host's bundle via the global npmrc.
  install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
  printf 'cafile=/etc/ssl/certs/ca-certificates.crt\n' >"$rootfs/usr/local/etc/npmrc"
  # The official entrypoint: runs `node ARGS` when the first argument is not a command.
  cat >"$rootfs/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e

if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi

exec "$@"
EOF
  chmod 0755 "$rootfs/usr/local/bin/docker-entrypoint.sh"
  # Prove the result runs before caching it, or a broken tarball would be reused forever.
  chroot "$rootfs" /usr/local/bin/node --version >/dev/null
  chroot "$rootfs" /usr/local/bin/npm --version >/dev/null

  begin "cache rootfs"
  # Numeric owners: names in the rootfs (node = 1000) need not exist on the host.
  tar -C "$rootfs" --numeric-owner -cf "$cache.tmp" .
  # Older Node/npm builds are never used again; drop them so a long-lived runner's disk stays flat.
  find "$ci_dir" -maxdepth 1 -name "rootfs-$suite-$node_arch-*.tar" ! -path "$cache" -delete
  mv -f "$cache.tmp" "$cache"
fi

begin "podman import"
podman_cmd import --quiet \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$node_version" \
  --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
  --change 'CMD ["node"]' \
  --message "stand-in for node:$node_major-$suite-slim (Node $node_version, npm $npm_version)" \
  "$cache" "$tag" >/dev/null
end_phase

size=$(podman_cmd image inspect --format '{{.Size}}' "$tag")
log "built $tag ($((size / 1024 / 1024)) MiB) in $(awk -v a="$total_started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }')"
