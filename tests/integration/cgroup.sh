#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# cgroup.sh CNTR TARGET_APP: the session runs in the target's cgroups, v1
# hierarchies and the v2 tree alike (this machine kind is hybrid), and the
# target's cgroups are left as they were.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}" "${2:-}"
it_require_fuse

it_start_target busybox "it-cgroup-$$"
pid=$TARGET_PID
name=cntr-it-cgroup-$$
dirs=()
for d in /sys/fs/cgroup/pids /sys/fs/cgroup/unified /sys/fs/cgroup; do
  # A v1 pids hierarchy, and the v2 tree (hybrid: unified/; pure v2: the root).
  if [[ -e $d/cgroup.procs ]] && mkdir "$d/$name" 2>/dev/null; then
    dirs+=("$d/$name")
    it_on_exit "echo $pid >'$d/cgroup.procs' 2>/dev/null; rmdir '$d/$name' 2>/dev/null"
    echo "$pid" >"$d/$name/cgroup.procs"
  fi
  [[ $d == /sys/fs/cgroup/unified && -e $d/cgroup.procs ]] && break
done
((${#dirs[@]} > 0)) || it_skip "cannot create cgroups here"

target_cgroups=$(grep -F "$name" "/proc/$pid/cgroup" | sort)
run_cntr -- attach "$pid" -- cat /proc/self/cgroup
check_run "attach runs" 0
check_eq "the session is in the target's cgroups (${dirs[*]})" "$target_cgroups" \
  "$(grep -F "$name" <<<"$OUT" | sort)"
for d in "${dirs[@]}"; do
  check_eq "$d: only the target is left in it" "$pid" "$(cat "$d/cgroup.procs")"
done
it_finish
