#!/usr/bin/env bash
# Prints the directory holding a `node` binary of the newest release of Node MAJOR (official
# binaries, from the npm registry's node-linux-<arch> package), fetching it once into the CI
# cache. CI runs the test suite on the supported LTS lines with it:
#   PATH="$(bash scripts/ci/node-version.sh 24):$PATH" npm test
set -euo pipefail
major=${1:?usage: node-version.sh MAJOR}
cache="${HOPLINK_CI_DIR:-/var/tmp/hoplink-ci}/node"
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "node-version: no official Node binary for $(uname -m)" >&2; exit 1 ;;
esac
if [[ $(npm config get cafile) == null && $(npm config get ca) == null ]]; then
  export npm_config_cafile=/etc/ssl/certs/ca-certificates.crt
fi
# `npm view` lists matching versions in publication order, not semver order, hence sort -V.
version=$(npm view "node-linux-$arch@$major" version --json |
  node -e 'for (const v of [JSON.parse(require("fs").readFileSync(0, "utf8"))].flat()) console.log(v)' |
  sort -V | tail -n 1)
[[ $version =~ ^$major\.[0-9]+\.[0-9]+$ ]] || { echo "node-version: no Node $major release found" >&2; exit 1; }
dir="$cache/$version/bin"
if [[ ! -x $dir/node ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  npm pack --silent --pack-destination "$work" "node-linux-$arch@$version" >/dev/null
  mkdir -p "$work/unpacked" "$cache/$version"
  tar -xzf "$work/node-linux-$arch-$version.tgz" -C "$work/unpacked" --strip-components=1 --no-same-owner
  rm -rf "$cache/$version.tmp" && mv "$work/unpacked" "$cache/$version.tmp"
  rm -rf "$cache/$version" && mv "$cache/$version.tmp" "$cache/$version"
fi
"$dir/node" --version >&2
echo "$dir"
