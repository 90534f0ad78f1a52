#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# mount.sh CNTR TARGET_APP: cntr mount serves a directory (read-write,
# read-only, and with a scratch layer that takes its changes) and a target's
# root with its mounts on a host path; it detaches
# once mounted, exits when unmounted, stops on SIGTERM in the foreground, and
# leaves nothing behind.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}" "${2:-}"
it_require_fuse

it_start_target busybox "it-mount-$$"
pid=$TARGET_PID
src=$IT_WORK/src mnt=$IT_WORK/mnt
mkdir -p "$src/dir" "$mnt"
printf 'hello\n' >"$src/dir/file"
it_on_exit "umount -l '$mnt' 2>/dev/null"
it_snapshot before "$pid"

# --- a directory, read-write, in the background
run_cntr -- mount "$src" "$mnt"
check_run "mount a directory: 0 once mounted" 0
check_eq "... its files are served" "hello" "$(cat "$mnt/dir/file" 2>&1)"
check_true "... writes reach the directory" sh -c "echo new >'$mnt/dir/new' && grep -qx new '$src/dir/new'"
server=$(it_pids_with_cmdline "$CNTR mount $src $mnt")
server=${server%% *}
check_true "... a server process serves it" test -n "$server"
check_true "... umount ends it" umount "$mnt"
if [[ -n $server ]]; then
  check_true "... and the server exits" it_wait_gone 5 "$server"
fi

# --- how file data travels, as -v says: passed through by the kernel where
# it can (Linux 6.9+ with CONFIG_FUSE_PASSTHROUGH), else through the server.
kernel=$(uname -r)
kmajor=${kernel%%.*} kminor=${kernel#*.}
kminor=${kminor%%[!0-9]*}
config=/boot/config-$kernel
if ((kmajor > 6 || (kmajor == 6 && kminor >= 9))) &&
  { [[ ! -r $config ]] || grep -qx 'CONFIG_FUSE_PASSTHROUGH=y' "$config"; }; then
  expected="passed through by the kernel"
else
  expected="through the server"
fi
run_cntr -- mount -v "$src" "$mnt"
check_run "mount -v: 0" 0
check_contains "... says how file data travels (kernel $kernel)" "file data: $expected" "$ERR"
check_eq "... and the data is the directory's" "hello" "$(cat "$mnt/dir/file" 2>&1)"
umount "$mnt"
run_cntr CNTR_NO_PASSTHROUGH=1 -- mount -v "$src" "$mnt"
check_contains "CNTR_NO_PASSTHROUGH=1: through the server" \
  "file data: through the server (CNTR_NO_PASSTHROUGH is set)" "$ERR"
check_eq "... and the data is the same" "hello" "$(cat "$mnt/dir/file" 2>&1)"
umount "$mnt"

# --- read-only: EROFS, the source untouched
run_cntr -- mount --read-only "$src" "$mnt"
check_run "mount --read-only: 0" 0
set +e
written=$( (: >"$mnt/dir/other") 2>&1)
set -e
check_contains "--read-only: writing says EROFS" "Read-only file system" "$written"
check_true "--read-only: nothing was created" test ! -e "$src/dir/other"
umount "$mnt"

# --- --scratch: write but discard; the source is never written
mounts_before=$(wc -l </proc/self/mountinfo)
run_cntr -- mount --scratch "$src" "$mnt"
check_run "mount --scratch: 0" 0
check_true "... a change shows in the mount" sh -c "echo changed >'$mnt/dir/file' && grep -qx changed '$mnt/dir/file'"
check_eq "... and not in the source" "hello" "$(cat "$src/dir/file")"
check_true "... a removed file is gone from the mount" sh -c "rm '$mnt/dir/file' && test ! -e '$mnt/dir/file'"
check_true "... and still in the source" test -e "$src/dir/file"
check_true "... new files and directories are made" sh -c "mkdir -p '$mnt/new/deep' && echo n >'$mnt/new/deep/f'"
check_true "... in the mount only" test ! -e "$src/new"
check_eq "... its tmpfs is mounted nowhere (one mount more: the FUSE one)" \
  "$((mounts_before + 1))" "$(wc -l </proc/self/mountinfo)"
umount "$mnt"
run_cntr -- mount --scratch "$src" "$mnt"
check_eq "... a new one starts from the source again" "hello" "$(cat "$mnt/dir/file" 2>&1)"
check_true "... without what the last one made" test ! -e "$mnt/new"
umount "$mnt"
run_cntr -- mount --scratch-size 1m "$src" "$mnt"
check_run "mount --scratch-size 1m: 0" 0
set +e
written=$( (head -c 4M /dev/zero >"$mnt/big") 2>&1)
set -e
check_contains "--scratch-size 1m: 4 MiB do not fit" "No space left on device" "$written"
umount "$mnt"
run_cntr -- mount --scratch-size nonsense "$src" "$mnt"
check_cntr_error "a scratch size that tmpfs does not take"

# --- a target: its root with its mounts, as it sees them
run_cntr -- mount -r "$pid" "$mnt"
check_run "mount a target by PID: 0" 0
check_eq "... its /etc/hostname" "$TARGET_HOSTNAME" "$(cat "$mnt/etc/hostname" 2>&1)"
check_true "... its busybox" test -x "$mnt/bin/busybox"
check_eq "... its own /proc (its PID namespace: PID 1 is its app)" "target-app" \
  "$(cat "$mnt/proc/1/comm" 2>&1)"
umount "$mnt"
run_cntr -- mount -r --type pid "$pid" "$mnt"
check_run "mount --type pid PID: 0" 0
umount "$mnt"
run_cntr -- mount -r "pid://$pid" "$mnt"
check_run "mount a target as pid://PID: 0" 0
check_eq "... its /etc/hostname" "$TARGET_HOSTNAME" "$(cat "$mnt/etc/hostname" 2>&1)"
umount "$mnt"

# --- foreground: SIGTERM unmounts and exits 0
set +e
env "$IT_TAG" "$CNTR" mount -f "$src" "$mnt" &
fg=$!
set -e
for ((n = 0; n < 50; n++)); do
  grep -q " $mnt " /proc/self/mountinfo && break
  sleep 0.1
done
check_eq "mount -f: served while it runs" "hello" "$(cat "$mnt/dir/file" 2>&1)"
kill -TERM "$fg"
set +e
wait "$fg"
RC=$?
set -e
OUT='' ERR=''
check_run "mount -f: SIGTERM ends it with 0" 0
check_true "mount -f: and unmounts" sh -c "! grep -q ' $mnt ' /proc/self/mountinfo"

# --- errors: one line, 125
run_cntr -- mount "$IT_WORK/nonexistent" "$mnt"
check_cntr_error "a missing source directory"
run_cntr -- mount "$src" "$IT_WORK/nonexistent"
check_cntr_error "a missing mount point"
run_cntr -- mount 999999999 "$mnt"
check_cntr_error "a PID that does not exist"

it_snapshot_settled after before "$pid"
check_snapshots before after "$pid"
it_finish
