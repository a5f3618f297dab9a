# Shell functions (sourced, not run) that make Docker images from Debian's packages alone:
# debootstrap a root filesystem, trim it, `docker import` it. No image registry is needed, which
# is how CI (and any machine without one) gets its base images.
#
#   source docker/rootfs.sh
#   rootfs_create DIR "pkg1,pkg2"      # debootstrap bookworm (minbase) into DIR
#   rootfs_trim DIR                    # drop package caches, documentation, locales
#   rootfs_import DIR IMAGE [--change ...]
#   rootfs_remove DIR                  # safe removal (never through a leftover mount)

ROOTFS_SUITE="${ROOTFS_SUITE:-bookworm}"
ROOTFS_MIRROR="${SIMFRA_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

rootfs_create() {
  local dir="$1" include="$2"
  if ! command -v debootstrap >/dev/null 2>&1; then
    echo "installing debootstrap from Debian's packages"
    apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null
  fi
  debootstrap --variant=minbase --include="$include" "$ROOTFS_SUITE" "$dir" "$ROOTFS_MIRROR" \
    >"$dir.log" 2>&1 || {
    tail -n 40 "$dir.log" >&2
    echo "debootstrap of $ROOTFS_SUITE with $include failed" >&2
    rm -f "$dir.log"
    return 1
  }
  rm -f "$dir.log"
}

rootfs_trim() {
  local dir="$1"
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/cache/apt/*.bin "$dir"/var/lib/apt/lists/* \
    "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/* \
    "$dir"/usr/share/locale/* "$dir"/var/log/*.log "$dir"/var/cache/debconf/*-old
}

rootfs_import() {
  local dir="$1" image="$2"
  shift 2
  tar --numeric-owner -C "$dir" -c . |
    docker import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      "$@" - "$image" >/dev/null
}

rootfs_remove() {
  local dir="$1" mnt
  [[ -n "$dir" && -d "$dir" ]] || return 0
  # debootstrap mounts /proc and /sys inside the target while it works; never delete through
  # a mount that an interrupted run left behind.
  while read -r mnt; do
    umount -l "$mnt" 2>/dev/null || true
  done < <(awk -v root="$dir" 'index($2, root "/") == 1 { print $2 }' /proc/mounts | sort -r)
  if awk -v root="$dir" 'index($2, root "/") == 1 { found = 1 } END { exit !found }' /proc/mounts; then
    echo "warning: mounts remain under $dir; not deleting it" >&2
    return 0
  fi
  rm -rf --one-file-system "$dir"
}
