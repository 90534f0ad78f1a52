#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2317 # (functions called through it_on_exit and rt_wait_for)
#
# containerd.sh CNTR TARGET_APP: containers started with ctr on a containerd
# this test starts (or one already running, then left alone): found through
# ctr and, without it, through the shims' task directories.
set -euo pipefail
# shellcheck disable=SC2034 # (used by lib.sh)
IT_NAME=runtimes.containerd
# shellcheck source-path=SCRIPTDIR source=lib-rt.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-rt.sh"
it_init "${1:-}" "${2:-}"
it_require_cmd containerd ctr
it_require_fuse

tag=cntrt$$
ns=citest-$tag
sock=/run/containerd/containerd.sock
c() { ctr --connect-timeout 2s --address "$sock" --namespace "$ns" "$@"; }
if ! ctr --connect-timeout 1s --address "$sock" version >/dev/null 2>&1; then
  pidfile=$IT_WORK/containerd.pid
  rt_stop_containerd() {
    local p
    p=$(cat "$1" 2>/dev/null) || return 0
    kill -TERM "$p" 2>/dev/null || true
    it_wait_gone 30 "$p" || kill -KILL "$p" 2>/dev/null || true
  }
  setsid containerd --address "$sock" </dev/null >"$IT_WORK/containerd.log" 2>&1 &
  echo $! >"$pidfile"
  it_on_exit "rt_stop_containerd $pidfile"
  rt_wait_for 30 ctr --connect-timeout 1s --address "$sock" version ||
    it_skip "containerd does not start here: $(tail -5 "$IT_WORK/containerd.log")"
fi
remove() {
  local n
  for n in "$@"; do
    if c task ls | awk '{ print $1 }' | grep -qx -- "$n"; then
      c task kill -s KILL "$n" >/dev/null 2>&1 || true
      rt_wait_for 10 c task rm "$n" || c task rm -f "$n" >/dev/null 2>&1 || true
    fi
    c containers rm "$n" >/dev/null 2>&1 || true
  done
  ctr --connect-timeout 2s --address "$sock" namespaces rm "$ns" >/dev/null 2>&1 || true
}
it_on_exit "remove $tag-scratch $tag-bb $tag-stopped"

rt_rootfs scratch "$IT_WORK/r1" "hn-$tag-s"
rt_rootfs busybox "$IT_WORK/r2" "hn-$tag-b"
c run -d --null-io --rootfs "$IT_WORK/r1" "$tag-scratch" /target-app ready >/dev/null 2>"$IT_WORK/run.err" ||
  it_skip "ctr run fails here: $(cat "$IT_WORK/run.err")"
c run -d --null-io --rootfs "$IT_WORK/r2" "$tag-bb" /bin/sleep 3600 >/dev/null
c containers create --rootfs "$IT_WORK/r2" "$tag-stopped" /bin/true >/dev/null

tpid() { c task ls | awk -v n="$1" '$1 == n { print $2 }'; }
p1=$(tpid "$tag-scratch")
p2=$(tpid "$tag-bb")
rt_check_target containerd "$tag-scratch" "$tag-scratch" "hn-$tag-s" "$p1"
rt_check_target containerd "$tag-bb" "$tag-bb" "hn-$tag-b" "$p2"
run_cntr -- attach "containerd://$ns/$tag-bb" -- cat /etc/hostname
check_eq "containerd://NAMESPACE/ID" "hn-$tag-b" "$OUT"
run_cntr -- attach "containerd://other-ns/$tag-bb" -- true
check_cntr_error "containerd://NAMESPACE/ID in another namespace is not found"
rt_check_errors containerd "$tag-stopped"

run_cntr PATH="$(rt_path_without_clis)" -- attach "containerd://$tag-bb" -- cat /etc/hostname
check_eq "containerd without ctr: the shims' task directories resolve the ID" "hn-$tag-b" "$OUT"

remove "$tag-scratch" "$tag-bb" "$tag-stopped"
rt_check_gone "$p1" "$p2"
check_eq "no container of this test is left" "" "$(c containers ls -q 2>/dev/null)"
it_finish
