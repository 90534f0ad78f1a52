#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmark (not a test): a tree of more files than the server may have
# open, through `cntr mount`, against native.  Untar of a 200k-entry tree,
# walks with stat (the kernel's caches dropped before each, so every entry
# is looked up again: 5 walks = 1M lookups), and rm -rf.  Prints each
# step's time on native and on cntr, their ratio, and the server's peak
# resident memory (VmHWM) and peak number of open fds over the whole run.
#
# Usage: bash tests/bench/scale.sh [CNTR] [--entries N] [--walks N]
#   CNTR          the cntr binary (default: build/src/cntr)
#   --entries N   files in the tree, in directories of 1000 (default 200000)
#   --walks N     walks after dropping caches (default 5)
# As root; needs /dev/fuse and tar.  Works in a temporary directory under
# /var/tmp, and unmounts, stops (by PID) and removes what it made at exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cntr=$here/../../build/src/cntr
entries=200000 walks=5
while (($#)); do
  case $1 in
    --entries)
      entries=$2
      shift
      ;;
    --walks)
      walks=$2
      shift
      ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    -*)
      echo "scale: unknown option $1" >&2
      exit 2
      ;;
    *) cntr=$1 ;;
  esac
  shift
done

die() {
  echo "scale: $*" >&2
  exit 1
}
log() { printf '# %s\n' "$*" >&2; }
((EUID == 0)) || die "run as root (drop_caches, mounts)"
[[ -x $cntr ]] || die "no cntr binary at $cntr (build it, or pass its path)"
cntr=$(readlink -f "$cntr")

work=$(mktemp -d /var/tmp/cntr-scale.XXXXXX)
mnt=$work/mnt server='' sampler=''
cleanup() {
  [[ -n $sampler ]] && kill "$sampler" 2>/dev/null
  if mountpoint -q "$mnt"; then umount "$mnt" 2>/dev/null || umount -l "$mnt"; fi
  [[ -n $server ]] && kill "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# now: seconds since the epoch, with nanoseconds
now() { date +%s.%N; }
# timed NAME COMMAND...: run it, record its seconds in T[NAME]
declare -A T=()
timed() {
  local name=$1 t0 t1
  shift
  t0=$(now)
  "$@"
  t1=$(now)
  T[$name]=$(echo "$t1 - $t0" | bc -l)
  log "$name: ${T[$name]} s"
}

# 1. the tree, as a tarball: entries empty files in directories of 1000
log "preparing a tree of $entries files"
mkdir -p "$work/seed/tree" "$work/native" "$work/src" "$mnt"
dirs=$(((entries + 999) / 1000))
for ((d = 0; d < dirs; d++)); do
  mkdir "$work/seed/tree/d$d"
  n=$((entries - d * 1000 < 1000 ? entries - d * 1000 : 1000))
  (cd "$work/seed/tree/d$d" && seq -f 'file%g' 1 "$n" | xargs touch)
done
tar -C "$work/seed" -cf "$work/tree.tar" tree
rm -rf "$work/seed"

walk() { find "$1/tree" -printf '%p %s %m %n %u %T@\n' >/dev/null; }
walks_after_drop() {
  local i
  for ((i = 0; i < walks; i++)); do
    sync
    echo 2 >/proc/sys/vm/drop_caches
    walk "$1"
  done
}

# 2. native
sync
timed native_untar tar -C "$work/native" -xf "$work/tree.tar"
timed native_walk walks_after_drop "$work/native"
sync
timed native_rmrf rm -rf "$work/native/tree"

# 3. cntr mount, with a sampler of the server's open fds
"$cntr" mount "$work/src" "$mnt"
for p in /proc/[0-9]*; do
  if [[ $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) == "$cntr mount $work/src $mnt " ]]; then
    server=${p#/proc/}
  fi
done
[[ -n $server ]] || die "no server process found"
(
  peak=0
  while [[ -d /proc/$server ]]; do
    n=$(find "/proc/$server/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    ((n > peak)) && peak=$n && echo "$peak" >"$work/peak_fds"
    sleep 0.2
  done
) &
sampler=$!
sync
timed cntr_untar tar -C "$mnt" -xf "$work/tree.tar"
timed cntr_walk walks_after_drop "$mnt"
sync
timed cntr_rmrf rm -rf "$mnt/tree"
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$server/status")
limit=$(awk '/^Max open files/ {print $4}' "/proc/$server/limits")
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
sampler=''
umount "$mnt"
for ((i = 0; i < 50 && ${#server} > 0; i++)); do
  [[ -d /proc/$server ]] || server=''
  sleep 0.1
done

printf '\nmachine: %s, %s cores, kernel %s; data on %s\n' "$(uname -m)" "$(nproc)" "$(uname -r)" \
  "$(findmnt -no FSTYPE -T /var/tmp)"
printf 'tree: %d files in %d directories; walks: %d, caches dropped before each (%d lookups)\n\n' \
  "$entries" "$dirs" "$walks" "$((walks * (entries + dirs + 1)))"
printf '| step | native s | cntr s | ratio |\n|---|---|---|---|\n'
for step in untar walk rmrf; do
  printf '| %s | %.2f | %.2f | %.2f |\n' "$step" "${T[native_$step]}" "${T[cntr_$step]}" \
    "$(echo "${T[cntr_$step]} / ${T[native_$step]}" | bc -l)"
done
printf '\nserver: peak RSS (VmHWM) %d MiB; peak open fds %s of a limit of %s\n' \
  "$((hwm / 1024))" "$(cat "$work/peak_fds" 2>/dev/null || echo '?')" "$limit"
