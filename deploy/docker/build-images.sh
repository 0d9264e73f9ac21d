#!/usr/bin/env bash
# Builds both images, tagged with the project version (the root pom.xml's <version>), from
# anywhere in the repository:
#
#   deploy/docker/build-images.sh            # ghcr.io/portico-dev/{proxy-runtime,operator}:<version>
#   REGISTRY=registry.example.com/portico deploy/docker/build-images.sh
#   BUILDER=podman deploy/docker/build-images.sh
#   deploy/docker/build-images.sh --dry-run  # prints the commands instead of running them
#
# deploy/ names these same tags (DeployManifestsTest checks that they agree), so with the
# default REGISTRY a local cluster that is given the images (kind load docker-image, k3d
# image import) runs them with no edit. See docs/quickstart.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

version="$(sed -n 's|^  <version>\(.*\)</version>$|\1|p' pom.xml | head -1)"
if [ -z "$version" ]; then
  echo "build-images.sh: no project <version> in pom.xml" >&2
  exit 1
fi
registry="${REGISTRY:-ghcr.io/portico-dev}"
builder="${BUILDER:-docker}"
dry_run=false
[ "${1:-}" = "--dry-run" ] && dry_run=true

for image in proxy-runtime operator; do
  command=("$builder" build -f "deploy/docker/$image.Dockerfile" --build-arg "VERSION=$version"
           -t "$registry/$image:$version" .)
  if $dry_run; then
    echo "${command[*]}"
  else
    "${command[@]}"
  fi
done
