#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# fsx-mount.sh [--scratch] CNTR FSX [FSX_OPTION...]: run fsx on a file inside
# a fresh `cntr mount` of an empty directory, then unmount and remove
# everything (also on failure or interruption).  Exit 77 when it cannot run
# here.  --scratch: on `cntr mount --scratch` of a directory whose file
# already has data, which fsx keeps (-k) - its first open copies it up -
# and which must be as it was afterwards.
set -euo pipefail
scratch=()
if [[ ${1:-} == --scratch ]]; then
  scratch=(--scratch)
  shift
fi
cntr=${1:?usage: fsx-mount.sh [--scratch] CNTR FSX [FSX_OPTION...]}
fsx=${2:?usage: fsx-mount.sh [--scratch] CNTR FSX [FSX_OPTION...]}
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
keep=()
if ((${#scratch[@]})); then
  head -c 200000 /dev/urandom >"$work/src/fsx.data"
  before=$(sha256sum <"$work/src/fsx.data")
  keep=(-k)
fi
# Background: returns once mounted; the server exits when unmounted.
"$cntr" mount "${scratch[@]}" "$work/src" "$work/mnt"
start=$SECONDS
"$fsx" "${keep[@]}" "$@" "$work/mnt/fsx.data"
echo "fsx-mount: $((SECONDS - start)) s through cntr mount ${scratch[*]}"
if ((${#scratch[@]})); then
  [[ $(sha256sum <"$work/src/fsx.data") == "$before" ]] || {
    echo "fsx-mount: FAIL: the source's file was written through --scratch"
    exit 1
  }
  echo "fsx-mount: the source's file is as it was"
fi
