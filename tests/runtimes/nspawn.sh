#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2317 # (functions called through it_on_exit and rt_wait_for)
#
# nspawn.sh CNTR TARGET_APP: systemd-nspawn machines (--register=no: no
# systemd here), found through the systemd-nspawn processes.
set -euo pipefail
# shellcheck disable=SC2034 # (used by lib.sh)
IT_NAME=runtimes.nspawn
# shellcheck source-path=SCRIPTDIR source=lib-rt.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-rt.sh"
it_init "${1:-}" "${2:-}"
it_require_cmd systemd-nspawn
it_require_fuse

tag=cntrt$$
# start NAME KIND HOSTNAME CMD...: sets NSPAWN_PID (the nspawn process) and
# CPID (the container's init).
start() {
  local name=$1 kind=$2 hn=$3 n
  shift 3
  rt_rootfs "$kind" "$IT_WORK/$name" "$hn"
  mkdir -p "$IT_WORK/$name/usr"
  setpriv --pdeathsig KILL systemd-nspawn --quiet --register=no --keep-unit --private-network \
    --console=passive -D "$IT_WORK/$name" -M "$name" "$@" </dev/null >"$IT_WORK/$name.log" 2>&1 &
  NSPAWN_PID=$!
  it_on_exit "kill -TERM $NSPAWN_PID 2>/dev/null; it_wait_gone 10 $NSPAWN_PID || kill -KILL $NSPAWN_PID 2>/dev/null; wait $NSPAWN_PID 2>/dev/null"
  CPID=
  for ((n = 0; n < 100; n++)); do
    CPID=$(it_children "$NSPAWN_PID" | head -1)
    [[ -n $CPID && $(readlink "/proc/$CPID/ns/mnt") != $(readlink /proc/self/ns/mnt) ]] &&
      [[ $(cat "/proc/$CPID/comm" 2>/dev/null) != systemd-nspawn ]] && return 0
    kill -0 "$NSPAWN_PID" 2>/dev/null || break
    sleep 0.1
  done
  it_skip "systemd-nspawn does not start here: $(cat "$IT_WORK/$name.log")"
}
start "$tag-scratch" scratch "hn-$tag-s" /target-app ready
n1=$NSPAWN_PID p1=$CPID
start "$tag-bb" busybox "hn-$tag-b" /bin/sleep 3600
n2=$NSPAWN_PID p2=$CPID

rt_check_target nspawn "$tag-scratch" "$tag-scratch" "hn-$tag-s" "$p1"
rt_check_target nspawn "$tag-bb" "$tag-bb" "hn-$tag-b" "$p2"
rt_check_errors nspawn ""

kill -TERM "$n1" "$n2"
rt_check_gone "$n1" "$n2" "$p1" "$p2"
it_finish
