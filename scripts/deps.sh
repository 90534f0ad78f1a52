#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install what cntr needs on Debian 12: `deps.sh build` for building and the
# demo, `deps.sh test` for the test suite too.  Installs only what is missing.
set -euo pipefail

# libarchive reads image archives and their layers (tar, gzip, zstd);
# nettle, which libarchive itself links, checks their sha256 digests.
build_pkgs=(cmake gcc make pkg-config libc6-dev libfuse3-dev fuse3 libcap-dev libmount-dev
  libcmocka-dev libjson-c-dev libarchive-dev nettle-dev procps)
# The container runtimes of tests/runtimes/ (containerd and ctr come with
# docker.io); each test skips when its runtime is missing.  umoci and
# skopeo make the tools images of tests/integration/tools-image.sh.
# The debugging tools of tests/integration/tool-matrix.sh.
test_pkgs=(busybox-static tmux util-linux less grep coreutils bash zsh fish
  docker.io podman runc lxc systemd-container uidmap umoci skopeo python3 zstd
  vim strace gdb git iproute2 curl tcpdump man-db file perl)

want=("${build_pkgs[@]}")
if [ "${1:-build}" = test ]; then
  want+=("${test_pkgs[@]}")
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: missing packages: ${missing[*]}; run as root to install them" >&2
  exit 1
fi
echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
