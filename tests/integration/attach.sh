#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# attach.sh CNTR TARGET_APP KIND: `cntr attach PID -- CMD` against a
# plain-namespace target of KIND (scratch, distroless-base, busybox,
# read-only): / is the target's, the host's tools are at the base dir and run
# by name, ps sees the target's PID namespace, status and output come back,
# and nothing is left behind.
# shellcheck disable=SC2016 # (sh -c scripts are single-quoted on purpose)
set -euo pipefail
# shellcheck disable=SC2034 # (used by lib.sh)
IT_NAME=attach.${3:-scratch}
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}" "${2:-}"
kind=${3:-scratch}
it_require_fuse

hn=it-$kind-$$
# distroless-base has a C library: a program of its own runs with it.
plant_own_program() { cp -L "$(command -v cat)" "$1/own-cat"; }
if [[ $kind == distroless-base ]]; then
  IT_ROOTFS_HOOK=plant_own_program it_start_target "$kind" "$hn"
else
  it_start_target "$kind" "$hn"
fi
pid=$TARGET_PID
it_snapshot before "$pid"

# The target's / as the host sees it, for comparison.
target_entries=$(ls -A "/proc/$pid/root/")

# --- the target's own dynamically linked program, started by a tools
# shell, uses the target's loader and libraries (the tools' LD_AUDIT stands
# aside in it)
if [[ $kind == distroless-base ]]; then
  run_cntr -- attach "$pid" -- sh -c 'echo LD_AUDIT=${LD_AUDIT:-none}; /own-cat /proc/self/maps'
  check_run "the target's own program runs from a tools shell" 0
  check_match "... which has LD_AUDIT set" 'LD_AUDIT=/var/lib/cntr/' "$OUT"
  check_match "... with the target's C library" ' /lib/[^ ]*/libc\.so\.6$' "$OUT"
  # (The tools' locale data may be: the target has none, LOCPATH names them.)
  check_eq "... and none of the tools' libraries mapped" "" "$(grep -v LD_AUDIT <<<"$OUT" | grep -E '/var/lib/cntr/.*\.so' || true)"
fi

# --- / is the target's
run_cntr -- attach "$pid" -- cat /etc/hostname
check_run "cat /etc/hostname runs" 0
check_eq "/etc/hostname is the target's" "$hn" "$OUT"
check_eq "nothing on stderr for a successful command" "" "$ERR"

run_cntr -- attach "$pid" -- ls -A /
check_run "ls -A / runs" 0
base_top=var # first component of the default base dir /var/lib/cntr
missing='' extra=''
for e in $target_entries; do
  grep -qx -- "$e" <<<"$OUT" || missing+=" $e"
done
for e in $OUT; do
  grep -qx -- "$e" <<<"$target_entries" || [[ $e == "$base_top" ]] || extra+=" $e"
done
check_eq "ls / shows every entry of the target's /" "" "$missing"
check_eq "ls / shows no entry the target does not have (but '$base_top')" "" "$extra"
check_not_contains "ls / shows no host-only entry (usr)" $'\nusr\n' $'\n'"$OUT"$'\n'

run_cntr -- attach "$pid" -- sh -c 'test -e /etc/debian_version && echo host-etc || echo target-etc'
check_eq "/etc is the target's (no debian_version)" "target-etc" "$OUT"

# --- the tools are at the base dir
run_cntr -- attach "$pid" -- cat /var/lib/cntr/etc/debian_version
check_run "cat /var/lib/cntr/etc/debian_version runs" 0
check_eq "the tools tree (host /) is at /var/lib/cntr" "$(cat /etc/debian_version)" "$OUT"

run_cntr -- attach "$pid" -- bash -c 'echo "bash ${BASH_VERSINFO[0]}"; grep -c "^root:" /etc/passwd; less --version | head -n 1'
check_run "host bash, grep, less, head run by name" 0
check_match "bash runs" '^bash [0-9]+$' "$OUT"
check_match "grep reads the target's /etc/passwd" '^1$' "$OUT"
check_match "less runs" '^less [0-9]+' "$OUT"

# Scripts of the tools tree: their #! interpreter (/bin/sh, /bin/bash) is a
# path of the tools, not of the target.
run_cntr -- attach "$pid" -- ldd --version
check_run "a bash script of the tools runs by name (ldd --version)" 0
check_match "... and prints its version" '^ldd ' "$OUT"
run_cntr -- attach "$pid" -- zcat --version
check_run "a sh script of the tools runs by name (zcat --version)" 0
run_cntr -- attach "$pid" -- sh -c 'ls -l /var/lib/cntr/usr/bin/which; which ls'
check_run "a tool behind an absolute symlink chain runs (which -> /etc/alternatives/which)" 0

# --- the PID namespace is the target's
run_cntr -- attach "$pid" -- ps -e -o pid=,comm=,args=
check_run "ps -e runs" 0
check_match "ps -e shows the target app as PID 1" '^ *1 target-app +/target-app' "$OUT"
check_not_contains "ps -e shows no host process (kthreadd)" "kthreadd" "$OUT"
ps_pid=$(awk '/-o pid=,comm=,args=/ { print $1 }' <<<"$OUT")
IT_CHECKS=$((IT_CHECKS + 1))
if [[ $ps_pid =~ ^[0-9]+$ ]] && ((ps_pid < 100)); then
  _it_ok "ps' own PID is small ($ps_pid): it runs in the target's PID namespace"
else
  _it_fail "ps' own PID is small (< 100)" "got: '$ps_pid' from:" "$(_it_indent "$OUT")"
fi
# A tool found by name shows under its own name (pgrep, top, ps -C work).
check_match "ps shows itself as 'ps' (comm), not as its loader" '^ *[0-9]+ ps ' "$OUT"

run_cntr -- attach "$pid" -- hostname
check_eq "the UTS namespace is the target's" "$hn" "$OUT"

# --- status, output and stderr come back
run_cntr -- attach "$pid" -- sh -c 'exit 3'
check_run "sh -c 'exit 3' gives status 3" 3
run_cntr -- attach "$pid" -- sh -c 'echo out-line; echo err-line >&2; exit 0'
check_run "sh -c 'echo ...' gives status 0" 0
check_eq "stdout comes back" "out-line" "$OUT"
check_eq "stderr comes back" "err-line" "$ERR"
run_cntr -- attach "$pid" -- false
check_run "false gives status 1" 1

# --- read-only root: still read-only in the session
if [[ $kind == read-only* ]]; then
  run_cntr -- attach "$pid" -- sh -c 'touch /cntr-it-probe 2>&1; echo "touch=$?"'
  check_match "the target's read-only / stays read-only" 'touch=1' "$OUT"
  check_contains "writing to / fails with EROFS" "Read-only file system" "$OUT"
fi

# --- CNTR_BASE_DIR moves the tools
run_cntr CNTR_BASE_DIR=/opt/tools -- attach "$pid" -- sh -c \
  'cat /opt/tools/etc/debian_version; test -e /var/lib/cntr && echo default-base-exists; ps -e -o comm= | head -n 1'
check_run "CNTR_BASE_DIR=/opt/tools: session runs" 0
check_contains "CNTR_BASE_DIR=/opt/tools: the tools are at /opt/tools" "$(cat /etc/debian_version)" "$OUT"
check_not_contains "CNTR_BASE_DIR=/opt/tools: nothing at /var/lib/cntr" "default-base-exists" "$OUT"
check_contains "CNTR_BASE_DIR=/opt/tools: tools found by name (ps)" "target-app" "$OUT"

# --- a base dir of any length: longer than the 27 bytes of the PT_INTERP the
# shim replaces, the tools are also at /.cntr, where the shim is found
long=/opt/a-base-directory-longer-than-the-interpreter/tools
run_cntr CNTR_BASE_DIR=$long -- attach "$pid" -- sh -c 'ps -e -o comm= | head -n 1; ls /opt'
check_run "a long CNTR_BASE_DIR: host tools run" 0
check_contains "... by name (ps)" "target-app" "$OUT"
check_contains "... with the tools at it" "a-base-directory-longer-than-the-interpreter" "$OUT"

# --- the target did not notice
check_true "the target is still running" kill -0 "$pid"
check_eq "the target wrote nothing more" "1" "$(wc -l <"$TARGET_LOG")"

it_snapshot_settled after before "$pid"
check_snapshots before after "$pid"
it_finish
