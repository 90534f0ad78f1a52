#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# exec.sh CNTR TARGET_APP: cntr exec runs the target's own command (its
# shell by default, its own ps) with its identity; a scratch target has no
# shell: 127 and a hint.  The identity flags of attach and exec: for a
# reduced target (uid 65532, docker's capabilities, no_new_privs) the
# session has exactly that by default and exactly the widening asked for
# with -u, --cap-add, --cap-drop, --privileged; -w; --read-only reads every
# file of the target and changes not one byte, mtime, ctime or atime.
# shellcheck disable=SC2016 # (sh -c scripts are single-quoted on purpose)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}" "${2:-}"
it_require_fuse

it_start_target busybox "it-exec-$$"
pid=$TARGET_PID
it_snapshot before "$pid"
run_cntr -- exec "$pid" -- sh -c 'readlink /proc/$$/exe; ps -o comm | sort -u | head -3; cat /etc/hostname'
check_run "cntr exec runs the target's command" 0
check_contains "... its own busybox, not the host's tools" "/bin/busybox" "$OUT"
check_contains "... in its UTS namespace" "it-exec-$$" "$OUT"
run_cntr --stdin <(echo 'echo "shell=$0 uid=$(id -u)"') -- exec "$pid"
check_run "cntr exec without a command runs the target's shell" 0
check_eq "... its /bin/sh, as its user" "shell=sh uid=0" "$OUT"
run_cntr -- exec "$pid" -- sh -c 'ls /var/lib/cntr 2>&1 || true'
check_contains "cntr exec brings no tools" "No such file" "$OUT"
run_cntr -- exec -w /etc "$pid" -- pwd
check_eq "-w chooses where the command starts" "/etc" "$OUT"
run_cntr -- exec -w /nonexistent "$pid" -- pwd
check_cntr_error "-w of a directory the target lacks fails"
run_cntr -- exec -u app "$pid" -- id
check_eq "-u NAME from the target's /etc/passwd" "uid=1000(app) gid=1000(app)" "$OUT"
run_cntr -- exec -u 4321:nogroup "$pid" -- id
check_eq "-u UID:GROUP" "uid=4321 gid=65534(nogroup)" "$OUT"
run_cntr -- exec -u nosuchuser "$pid" -- id
check_cntr_error "-u of a user the target lacks fails"
run_cntr -- exec -e FOO=bar "$pid" -- sh -c 'echo $FOO'
check_eq "-e sets the command's environment" "bar" "$OUT"
printf '# docker --env-file format\nFOO=from-file\nBAR=two words\n' >"$IT_WORK/env-file"
run_cntr -- exec --env-file "$IT_WORK/env-file" "$pid" -- sh -c 'echo "$FOO|$BAR"'
check_eq "--env-file sets its variables" "from-file|two words" "$OUT"
run_cntr -- exec --env-file "$IT_WORK/env-file" -e FOO=flag "$pid" -- sh -c 'echo "$FOO|$BAR"'
check_eq "... and --env wins over it" "flag|two words" "$OUT"
run_cntr -- attach --env-file "$IT_WORK/env-file" "$pid" -- sh -c 'echo "$BAR"'
check_eq "attach takes --env-file too" "two words" "$OUT"
run_cntr -- exec --env-file "$IT_WORK/no-such-file" "$pid" -- true
check_cntr_error "--env-file of a missing file fails"
check_contains "... naming it" "--env-file $IT_WORK/no-such-file: No such file or directory" "$ERR"
it_snapshot_settled after before "$pid"
check_snapshots before after "$pid"

it_start_target scratch "it-exec-scratch-$$"
run_cntr -- exec "$TARGET_PID"
check_run "cntr exec of a target without a shell: 127" 127
check_contains "... saying so" "the target has no shell" "$ERR"
check_contains "... and what to use" "cntr attach" "$ERR"

# A reduced target: uid 65532, docker's capabilities, no_new_privs.
IT_TARGET_ARGS="--caps docker --no-new-privs --uid 65532" it_start_target busybox "it-exec-reduced-$$"
pid=$TARGET_PID
# ... in cgroups of its own, as a runtime puts it (a v1 hierarchy, the v2 tree).
cg=cntr-it-exec-$$
for d in /sys/fs/cgroup/pids /sys/fs/cgroup/unified; do
  if [[ -e $d/cgroup.procs ]] && mkdir "$d/$cg" 2>/dev/null; then
    it_on_exit "echo $pid >'$d/cgroup.procs' 2>/dev/null; rmdir '$d/$cg' 2>/dev/null"
    echo "$pid" >"$d/$cg/cgroup.procs"
  fi
done
want=$(grep -E '^(Uid|Gid|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' "/proc/$pid/status")
for cmd in exec attach; do
  run_cntr -- "$cmd" "$pid" -- grep -E '^(Uid|Gid|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status
  check_eq "$cmd: exactly the target's identity by default" "$want" "$OUT"
  run_cntr -- "$cmd" "$pid" -- sh -c 'cat /proc/self/cgroup'
  check_eq "$cmd: the target's cgroups" "$(cat "/proc/$pid/cgroup")" "$OUT"
done
run_cntr -- exec --cap-add SYS_PTRACE "$pid" -- grep -E '^Cap(Eff|Amb|Bnd):' /proc/self/status
check_match "--cap-add SYS_PTRACE: effective for the non-root user" '^CapEff:[[:space:]]+0*80000$' "$OUT"
check_match "... and in the bounding set" '^CapBnd:[[:space:]]+0*a80c25fb$' "$OUT"
run_cntr -- exec -u 0 "$pid" -- grep -E '^(Uid|CapEff):' /proc/self/status
check_match "-u 0: root, with the bounding set's capabilities" '^CapEff:[[:space:]]+0*a80425fb$' "$OUT"
check_match "... uid 0" '^Uid:[[:space:]]+0[[:space:]]' "$OUT"
run_cntr -- exec -u 0 --cap-drop ALL "$pid" -- grep -E '^CapEff:' /proc/self/status
check_match "--cap-drop ALL: none" '^CapEff:[[:space:]]+0+$' "$OUT"
run_cntr -- exec --privileged "$pid" -- grep -E '^(CapEff|NoNewPrivs):' /proc/self/status
check_match "--privileged: every capability (cntr's own)" "^CapEff:[[:space:]]+$(awk '/^CapPrm:/ { print $2 }' /proc/self/status)\$" "$OUT"
check_match "--privileged: no no_new_privs" '^NoNewPrivs:[[:space:]]+0$' "$OUT"
if grep -q "$cg" "/proc/$pid/cgroup"; then
  run_cntr -- exec --no-cgroup "$pid" -- cat /proc/self/cgroup
  check_not_contains "--no-cgroup: not in the target's cgroups" "$cg" "$OUT"
fi

# --read-only: every file read, nothing changed, writes refused.
plant() {
  mkdir -p "$1/data/deep"
  for i in 1 2 3; do echo "file $i" >"$1/data/f$i"; done
  echo deep >"$1/data/deep/x"
}
IT_ROOTFS_HOOK=plant it_start_target busybox "it-exec-ro-$$"
pid=$TARGET_PID
stamp() { find "/proc/$pid/root/data" "/proc/$pid/root/etc" -printf '%p %s %T@ %C@ %A@\n' | sort; }
# Listing the directories sets their atimes once (relatime); the files'
# stay as they were made (atime = mtime: a read would update them).
stamp >/dev/null
stamp >"$IT_WORK/ro.before"
for cmd in exec attach; do
  run_cntr -- "$cmd" --read-only "$pid" -- sh -c 'find /data /etc -type f -exec cat {} + >/dev/null && echo read-all; touch /data/new 2>&1; echo x >>/data/f1 2>&1; true'
  check_contains "$cmd --read-only: the session read every file" "read-all" "$OUT"
  check_contains "$cmd --read-only: writes fail with EROFS" "Read-only file system" "$OUT"
done
stamp >"$IT_WORK/ro.after"
check_files_eq "--read-only: not one byte, mtime, ctime or atime changed" "$IT_WORK/ro.before" "$IT_WORK/ro.after"
run_cntr -- exec "$pid" -- sh -c 'cat /data/f1 >/dev/null'
stamp >"$IT_WORK/rw.after"
IT_CHECKS=$((IT_CHECKS + 1))
if cmp -s "$IT_WORK/ro.before" "$IT_WORK/rw.after"; then
  _it_ok "(the file system would not have updated atime anyway: the check above proves less)"
else
  _it_ok "without --read-only the same read changes an atime: the check above can fail"
fi
it_finish
