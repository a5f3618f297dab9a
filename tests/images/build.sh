#!/usr/bin/env bash
# Builds the local image the Docker-tier tests run builds in: `simfra-test/build:1`, a minimal
# Debian bookworm root filesystem (debootstrap, minbase) with bash, coreutils, ca-certificates
# and the AWS CLI, imported with `docker import`. No image registry is reachable here or in CI,
# so the image is made from Debian's packages, once: when the tag exists this exits at once.
#
#   bash tests/images/build.sh            # build unless present
#   SIMFRA_TEST_IMAGE=name:tag bash tests/images/build.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source docker/rootfs.sh

image="${SIMFRA_TEST_IMAGE:-simfra-test/build:1}"
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "test image $image is present"
  exit 0
fi

started=$SECONDS
rootfs="$(mktemp -d "${TMPDIR:-/var/tmp}/simfra-rootfs.XXXXXX")"
trap 'rootfs_remove "$rootfs"' EXIT

echo "building $image: debootstrap $ROOTFS_SUITE into $rootfs"
# debootstrap's resolver ignores virtual packages: python3-cryptography (an awscli dependency)
# needs python3-cffi-backend-api-*, which only python3-cffi-backend provides, so name it.
rootfs_create "$rootfs" awscli,ca-certificates,python3-cffi-backend
echo "debootstrap done ($((SECONDS - started)) s)"
rootfs_trim "$rootfs"

for tool in /bin/sh /bin/bash /usr/bin/od /usr/bin/aws /usr/bin/python3; do
  if [[ ! -e "$rootfs$tool" ]]; then
    echo "the root filesystem lacks $tool" >&2
    exit 1
  fi
done

rootfs_import "$rootfs" "$image" --change 'CMD ["/bin/bash"]'
echo "built $image in $((SECONDS - started)) s ($(docker image inspect -f '{{.Size}}' "$image") bytes)"
