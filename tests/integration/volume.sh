#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# volume.sh CNTR TARGET_APP: -v HOSTDIR:PATH[:ro] brings a host directory
# (or file) into the session at PATH: files carried out land on the host,
# :ro refuses writes, the target never sees the volume and not one byte of
# it changes, and mistakes are one clear line.
# shellcheck disable=SC2016 # (sh -c scripts are single-quoted on purpose)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}" "${2:-}"
it_require_fuse

plant() { mkdir -p "$1/var/log/app"; echo target-log >"$1/var/log/app/x.log"; }
IT_ROOTFS_HOOK=plant it_start_target busybox "it-volume-$$"
pid=$TARGET_PID
it_snapshot before "$pid"

out=$IT_WORK/out-dir
mkdir -m 0755 "$out"
echo host-data >"$IT_WORK/config.txt"
run_cntr -- attach -v "$out:/carry" -v "$IT_WORK/config.txt:/etc/app.conf:ro" "$pid" -- \
  sh -c 'cp /var/log/app/x.log /carry/ && cat /etc/app.conf && ls /var/log/app'
check_run "a session with two volumes runs" 0
check_eq "a file of the target was carried out to the host" "target-log" "$(cat "$out/x.log" 2>&1)"
check_contains "the host's file volume is at its PATH" "host-data" "$OUT"
check_contains "the target's own files are still there" "x.log" "$OUT"

run_cntr -- attach -v "$out:/var/log/app/carry:ro" "$pid" -- sh -c 'touch /var/log/app/carry/new; ls /var/log/app'
check_contains ":ro refuses writes" "Read-only file system" "$ERR"
check_true "... and nothing was written" test ! -e "$out/new"
check_contains "a volume inside a directory of the target leaves its entries" "x.log" "$OUT"

check_true "the target never saw a volume" test ! -e "$TARGET_ROOT/carry"
check_eq "the target's /etc has no app.conf" "" "$(ls "/proc/$pid/root/etc/" | grep app.conf || true)"

run_cntr -- attach -v "$out" "$pid" -- true
check_run "-v without PATH is a usage error" 125
check_contains "... saying what it needs" "needs HOSTDIR:PATH" "$ERR"
run_cntr -- attach -v "$out:/var/lib/cntr/x" "$pid" -- true
check_cntr_error "-v into the tools is refused"
check_contains "... saying so" "the base dir" "$ERR"
run_cntr -- attach -v "$IT_WORK/nonexistent:/x" "$pid" -- true
check_cntr_error "-v of a missing host directory is refused"
run_cntr -- attach -v "$out:/a" -v "$out:/a/b" "$pid" -- true
check_cntr_error "-v inside another -v is refused"

it_snapshot_settled after before "$pid"
check_snapshots before after "$pid"
it_finish
