#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# mount_scale.sh CNTR TARGET_APP: a tree of many more files than the server
# may have open is untarred, compared, walked after the caches are dropped,
# and removed through cntr mount.  The server runs under an open-file limit
# of 256 (the soft and the hard one), so it must close what it does not use
# and reopen files by handle; a server that keeps an fd per inode fails here
# with EMFILE, as it does at 20000 on the machines that cap open files there.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}" "${2:-}"
it_require_fuse
it_require_cmd tar
it_require_cmd prlimit

limit=256
dirs=30 per_dir=200
files=$((dirs * per_dir))
src=$IT_WORK/src mnt=$IT_WORK/mnt seed=$IT_WORK/seed
mkdir -p "$src" "$mnt" "$seed"
for ((d = 0; d < dirs; d++)); do
  mkdir "$seed/d$d"
  for ((f = 0; f < per_dir; f++)); do
    printf '%d/%d\n' "$d" "$f" >"$seed/d$d/f$f"
  done
done
ln -s d0/f0 "$seed/link"
tar -C "$seed" -cf "$IT_WORK/tree.tar" .
it_on_exit "umount -l '$mnt' 2>/dev/null"

# mount_limited [OPTION...]: cntr mount src on mnt under the limit; sets
# server to its PID.
mount_limited() {
  env "$IT_TAG" prlimit --nofile="$limit:$limit" "$CNTR" mount "$@" "$src" "$mnt"
  server=$(it_pids_with_cmdline "$CNTR mount${*:+ $*} $src $mnt")
  server=${server%% *}
  [[ -n $server ]] || it_fatal "no server process for cntr mount $*"
}

# open_fds PID: how many fds the process has open now.
open_fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }

mount_limited
check_true "untar $files files through a server limited to $limit open files" \
  tar -C "$mnt" -xf "$IT_WORK/tree.tar"
check_eq "... all of them are there" "$files" "$(find "$mnt" -type f | wc -l)"
check_true "... contents, modes and times equal the archive's (tar -d)" \
  tar -C "$mnt" -df "$IT_WORK/tree.tar"
check_true "... the server stayed below its limit" test "$(open_fds "$server")" -lt "$limit"
sync
echo 2 >/proc/sys/vm/drop_caches
check_eq "after dropping the kernel's caches, a walk with stat sees every entry" \
  "$((files + dirs + 2))" "$(find "$mnt" -printf '%m %s %n\n' | wc -l)"
check_true "... and tar -d still compares equal" tar -C "$mnt" -df "$IT_WORK/tree.tar"
check_true "rm -rf of the tree through the mount" rm -rf "${mnt:?}/d0" "${mnt:?}"/d* "$mnt/link"
check_eq "... the source directory is empty" "" "$(ls -A "$src")"
umount "$mnt"
check_true "... umount ends the server" it_wait_gone 5 "$server"

tar -C "$src" -xf "$IT_WORK/tree.tar"
mount_limited --read-only
echo 2 >/proc/sys/vm/drop_caches
check_true "read-only, limited to $limit open files: tar -d compares every file" \
  tar -C "$mnt" -df "$IT_WORK/tree.tar"
umount "$mnt"
check_true "... umount ends the server" it_wait_gone 5 "$server"

it_finish
