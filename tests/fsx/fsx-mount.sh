#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# fsx-mount.sh CNTR FSX [FSX_OPTION...]: run fsx on a file inside a fresh
# `cntr mount` of an empty directory, then unmount and remove everything
# (also on failure or interruption).  Exit 77 when it cannot run here.
set -euo pipefail
cntr=${1:?usage: fsx-mount.sh CNTR FSX [FSX_OPTION...]}
fsx=${2:?usage: fsx-mount.sh CNTR FSX [FSX_OPTION...]}
shift 2

[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root (mount)"; exit 77; }
{ : </dev/fuse; } 2>/dev/null || { echo "SKIP: /dev/fuse cannot be opened here"; exit 77; }
[[ -x $cntr && -x $fsx ]] || { echo "SKIP: $cntr or $fsx not built"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/fsx.XXXXXXXX")
cleanup() {
  trap - EXIT INT TERM HUP
  if grep -q " $work/mnt " /proc/self/mountinfo; then
    umount "$work/mnt" 2>/dev/null || umount -l "$work/mnt"
  fi
  rm -rf --one-file-system -- "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

mkdir "$work/src" "$work/mnt"
# Background: returns once mounted; the server exits when unmounted.
"$cntr" mount "$work/src" "$work/mnt"
start=$SECONDS
"$fsx" "$@" "$work/mnt/fsx.data"
echo "fsx-mount: $((SECONDS - start)) s through cntr mount"
