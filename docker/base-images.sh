#!/usr/bin/env bash
# Makes the two base images docker/Dockerfile needs without any image registry, from Debian's
# packages and the Rust toolchain of this machine:
#
#   simfra-base/runtime:bookworm  Debian bookworm (minbase) with git: what simfra needs at run time
#   simfra-base/rust:bookworm     the same with gcc, this machine's Rust toolchain and its cargo
#                                 registry cache, so that the image builds with CARGO_NET_OFFLINE
#
# Then:
#   docker build -f docker/Dockerfile \
#     --build-arg BUILDER_IMAGE=simfra-base/rust:bookworm \
#     --build-arg RUNTIME_IMAGE=simfra-base/runtime:bookworm \
#     --build-arg CARGO_NET_OFFLINE=true -t simfra:local .
#
# Images that exist are kept (delete them to rebuild). Needs root (debootstrap), Docker and a
# Rust toolchain (`rustc --print sysroot`) whose registry cache holds simfra's dependencies
# (any `cargo build` of simfra on this machine fills it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source docker/rootfs.sh

# The same purge as in docker/Dockerfile's runtime stage.
PERL_PURGE='dpkg --purge --force-depends perl $(dpkg-query -W -f '"'"'${Package}\n'"'"' '"'"'perl-modules-*'"'"' '"'"'libperl5*'"'"' liberror-perl 2>/dev/null) >/dev/null 2>&1'

runtime_image="${SIMFRA_RUNTIME_BASE:-simfra-base/runtime:bookworm}"
builder_image="${SIMFRA_BUILDER_BASE:-simfra-base/rust:bookworm}"
started=$SECONDS
dirs=()
cleanup() {
  local d
  for d in "${dirs[@]}"; do rootfs_remove "$d"; done
}
trap cleanup EXIT

if docker image inspect "$runtime_image" >/dev/null 2>&1; then
  echo "$runtime_image is present"
else
  dir="$(mktemp -d "${TMPDIR:-/var/tmp}/simfra-runtime.XXXXXX")"
  dirs+=("$dir")
  echo "building $runtime_image: debootstrap $ROOTFS_SUITE with git"
  rootfs_create "$dir" git
  rootfs_trim "$dir"
  # git needs perl only for its commands written in Perl, none of which simfra runs: about
  # 50 MB less (perl-base, which dpkg itself uses, stays).
  chroot "$dir" sh -c "$PERL_PURGE"
  rootfs_import "$dir" "$runtime_image" --change 'CMD ["/bin/bash"]'
  echo "built $runtime_image ($(docker image inspect -f '{{.Size}}' "$runtime_image") bytes, $((SECONDS - started)) s)"
fi

if docker image inspect "$builder_image" >/dev/null 2>&1; then
  echo "$builder_image is present"
else
  sysroot="$(rustc --print sysroot)"
  cargo_home="${CARGO_HOME:-$HOME/.cargo}"
  if [[ ! -d "$cargo_home/registry/cache" ]]; then
    echo "no cargo registry cache at $cargo_home/registry: run 'cargo fetch' first" >&2
    exit 1
  fi
  dir="$(mktemp -d "${TMPDIR:-/var/tmp}/simfra-builder.XXXXXX")"
  dirs+=("$dir")
  echo "building $builder_image: debootstrap $ROOTFS_SUITE with gcc, and the toolchain at $sysroot"
  rootfs_create "$dir" gcc,libc6-dev,ca-certificates,git
  rootfs_trim "$dir"
  mkdir -p "$dir/usr/local/rust/bin" "$dir/usr/local/cargo/registry"
  cp "$sysroot/bin/cargo" "$sysroot/bin/rustc" "$dir/usr/local/rust/bin/"
  # The compiler's libraries, this target's standard library and its linker (rust-lld).
  (cd "$sysroot" && tar -c --exclude='lib/rustlib/src' --exclude='lib/rustlib/etc' lib) |
    tar -x -C "$dir/usr/local/rust"
  cp -a "$cargo_home/registry/index" "$cargo_home/registry/cache" "$dir/usr/local/cargo/registry/"
  rootfs_import "$dir" "$builder_image" \
    --change 'ENV PATH=/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV CARGO_HOME=/usr/local/cargo' \
    --change 'CMD ["/bin/bash"]'
  echo "built $builder_image ($(docker image inspect -f '{{.Size}}' "$builder_image") bytes, $((SECONDS - started)) s)"
fi
