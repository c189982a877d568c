#!/usr/bin/env bash
# Builds the project's Dockerfile with podman and deploys the image on this machine's PostgreSQL
# and Redis (scripts/ci/deploy-smoke.ts image). No Docker daemon or registry is needed: the
# official Node image is replaced by a stand-in of the same name (scripts/ci/node-image.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."

# shellcheck source=scripts/ci/podman-env.sh
. scripts/ci/podman-env.sh
bash scripts/ci/node-image.sh

tag=${HOPLINK_IMAGE_TAG:-localhost/hoplink:ci}
# Containers the smoke left behind on a machine kept between runs (a run killed mid-way) would pin
# old images; every container the smoke starts carries this label.
remove_smoke_containers() {
  local ids
  ids=$(podman_cmd ps --all --quiet --filter label=io.hoplink.ci=smoke) || return 0
  [[ -z $ids ]] || podman_cmd rm --force $ids >/dev/null || true
}
remove_smoke_containers
started=$(date +%s)
# --format docker keeps the HEALTHCHECK (the OCI format has none); --network host because the
# build's npm ci reaches the registry through the host's network only.
podman_cmd build --format docker --pull=never --network host --tag "$tag" .
echo "image: built $tag in $(($(date +%s) - started)) s"

npx tsx scripts/ci/deploy-smoke.ts image "$tag"
remove_smoke_containers
# Dangling layers of earlier builds only fill the disk of a machine that is kept between runs.
# Housekeeping, never a verdict: podman refuses the whole prune when any dangling image is still
# used by a container it did not start.
podman_cmd image prune --force >/dev/null ||
  echo "image: prune of dangling images skipped (some are in use); the smoke's verdict stands" >&2
