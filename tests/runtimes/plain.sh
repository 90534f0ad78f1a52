#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2317 # (functions called through it_on_exit and rt_wait_for)
#
# plain.sh CNTR TARGET_APP: a target of no runtime (unshare + pivot_root):
# a PID, pid://PID and --type pid; a number is a PID, not a name.
set -euo pipefail
# shellcheck disable=SC2034 # (used by lib.sh)
IT_NAME=runtimes.plain
# shellcheck source-path=SCRIPTDIR source=lib-rt.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-rt.sh"
it_init "${1:-}" "${2:-}"
it_require_fuse

for kind in scratch busybox; do
  hn=hn-plain-$kind-$$
  it_start_target "$kind" "$hn"
  pid=$TARGET_PID
  it_snapshot "before_$kind" "$pid"
  run_cntr -- attach "$pid" -- cat /etc/hostname
  check_eq "$kind: attach PID" "$hn" "$OUT"
  run_cntr -- attach "pid://$pid" -- cat /etc/hostname
  check_eq "$kind: attach pid://PID" "$hn" "$OUT"
  run_cntr -- attach --type pid "$pid" -- cat /etc/hostname
  check_eq "$kind: attach --type pid PID" "$hn" "$OUT"
  run_cntr -- ps
  check_run "$kind: cntr ps runs" 0
  check_not_contains "$kind: cntr ps does not list a process no runtime started" " $pid " "$OUT"
  it_snapshot_settled "after_$kind" "before_$kind" "$pid"
  check_snapshots "before_$kind" "after_$kind" "$pid"
done

# A number names a PID even when a runtime might know it as a name; with
# --type it is a name.
run_cntr -- attach --type runc 999999999 -- true
check_cntr_error "--type runc 999999999 is a name, not found"
# runc is there with its CLI (runc or crun) or its state directory, even
# before its first container; otherwise it is not installed.  (command -v
# alone also names a file on PATH that cannot be executed.)
have_cli() {
  local p
  p=$(command -v "$1") && [[ -f $p && -x $p ]]
}
if have_cli runc || have_cli crun || [[ -d /run/runc || -d /run/crun ]]; then
  check_contains "... in runc only" "asked: runc)" "$ERR"
else
  check_contains "... in runc only, not installed" "asked: none; not installed or not running: runc)" "$ERR"
fi
run_cntr -- attach 999999999 -- true
check_cntr_error "999999999 is a PID"
check_contains "... and says there is no such process" "no such process" "$ERR"
run_cntr -- attach pid://abc -- true
check_cntr_error "pid://abc is refused"
run_cntr -- attach bogus://x -- true
check_cntr_error "an unknown scheme is refused"
check_contains "... naming it" "unknown runtime 'bogus'" "$ERR"
run_cntr -- attach --type bogus x -- true
check_cntr_error "an unknown --type is refused"
it_finish
