#!/usr/bin/env bash
# Builds the local image the Docker-tier tests run builds in: `simfra-test/build:1`, a minimal
# Debian bookworm root filesystem (debootstrap, minbase) with bash, coreutils, ca-certificates
# and the AWS CLI, imported with `docker import`. No image registry is reachable here or in CI,
# so the image is made from Debian's packages, once: when the tag exists this exits at once.
#
#   bash tests/images/build.sh            # build unless present
#   SIMFRA_TEST_IMAGE=name:tag bash tests/images/build.sh
set -euo pipefail

image="${SIMFRA_TEST_IMAGE:-simfra-test/build:1}"
mirror="${SIMFRA_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
suite=bookworm

if docker image inspect "$image" >/dev/null 2>&1; then
  echo "test image $image is present"
  exit 0
fi

started=$SECONDS
if ! command -v debootstrap >/dev/null 2>&1; then
  echo "installing debootstrap from Debian's packages"
  apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null
fi

rootfs="$(mktemp -d "${TMPDIR:-/var/tmp}/simfra-rootfs.XXXXXX")"
cleanup() {
  rm -f "$rootfs.log"
  # debootstrap mounts /proc and /sys inside the target while it works; never delete through
  # a mount that an interrupted run left behind.
  local mnt
  while read -r mnt; do
    umount -l "$mnt" 2>/dev/null || true
  done < <(awk -v root="$rootfs" 'index($2, root "/") == 1 { print $2 }' /proc/mounts | sort -r)
  if awk -v root="$rootfs" 'index($2, root "/") == 1 { found = 1 } END { exit !found }' /proc/mounts; then
    echo "warning: mounts remain under $rootfs; not deleting it" >&2
    return
  fi
  rm -rf --one-file-system "$rootfs"
}
trap cleanup EXIT

echo "building $image: debootstrap $suite into $rootfs"
# debootstrap's resolver ignores virtual packages: python3-cryptography (an awscli dependency)
# needs python3-cffi-backend-api-*, which only python3-cffi-backend provides, so name it.
debootstrap --variant=minbase --include=awscli,ca-certificates,python3-cffi-backend \
  "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || {
  tail -n 40 "$rootfs.log" >&2
  echo "debootstrap failed" >&2
  exit 1
}
echo "debootstrap done ($((SECONDS - started)) s)"

# What a build container never needs: package caches, documentation, locales.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
  "$rootfs"/usr/share/locale/*

for tool in /bin/sh /bin/bash /usr/bin/od /usr/bin/aws; do
  if [[ ! -e "$rootfs$tool" ]]; then
    echo "the root filesystem lacks $tool" >&2
    exit 1
  fi
done

tar --numeric-owner -C "$rootfs" -c . |
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' \
    - "$image" >/dev/null
echo "built $image in $((SECONDS - started)) s ($(docker image inspect -f '{{.Size}}' "$image") bytes)"
