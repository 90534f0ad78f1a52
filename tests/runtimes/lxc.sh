#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2317 # (functions called through it_on_exit and rt_wait_for)
#
# lxc.sh CNTR TARGET_APP: LXC containers (lxc-start -d), found through
# lxc-ls and lxc-info.
set -euo pipefail
# shellcheck disable=SC2034 # (used by lib.sh)
IT_NAME=runtimes.lxc
# shellcheck source-path=SCRIPTDIR source=lib-rt.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-rt.sh"
it_init "${1:-}" "${2:-}"
it_require_cmd lxc-create lxc-start lxc-info lxc-ls lxc-stop lxc-destroy
it_require_fuse

tag=cntrt$$
# create NAME KIND HOSTNAME CMD
create() {
  local name=$1 kind=$2 hn=$3 init=$4
  cat >"$IT_WORK/$name.conf" <<CONF
lxc.net.0.type = empty
lxc.init.cmd = $init
lxc.apparmor.profile = unconfined
lxc.autodev = 1
lxc.mount.auto = proc:mixed sys:ro cgroup:mixed
lxc.uts.name = $hn
lxc.console.path = none
lxc.rootfs.path = dir:/var/lib/lxc/$name/rootfs
CONF
  it_on_exit "lxc-stop -k -n $name >/dev/null 2>&1; lxc-destroy -n $name >/dev/null 2>&1; rm -rf --one-file-system /var/lib/lxc/$name"
  rt_rootfs "$kind" "/var/lib/lxc/$name/rootfs" "$hn"
  lxc-create -n "$name" -t none -f "$IT_WORK/$name.conf" >"$IT_WORK/$name.log" 2>&1 ||
    it_skip "lxc-create fails here: $(cat "$IT_WORK/$name.log")"
}
start() {
  lxc-start -n "$1" -d -l ERROR -o "$IT_WORK/$1.lxc.log" >>"$IT_WORK/$1.log" 2>&1 ||
    it_skip "lxc-start fails here: $(cat "$IT_WORK/$1.log" "$IT_WORK/$1.lxc.log")"
  rt_wait_for 10 sh -c "lxc-info -n $1 -s | grep -q RUNNING" || it_fatal "$1 did not start"
  LXC_PID=$(lxc-info -n "$1" -p -H)
}
create "$tag-scratch" scratch "hn-$tag-s" "/target-app ready"
create "$tag-bb" busybox "hn-$tag-b" "/bin/sleep 3600"
create "$tag-stopped" busybox "hn-$tag-x" "/bin/true"
start "$tag-scratch"
p1=$LXC_PID
start "$tag-bb"
p2=$LXC_PID

rt_check_target lxc "$tag-scratch" "$tag-scratch" "hn-$tag-s" "$p1"
rt_check_target lxc "$tag-bb" "$tag-bb" "hn-$tag-b" "$p2"
rt_check_errors lxc "$tag-stopped"

for n in "$tag-scratch" "$tag-bb"; do lxc-stop -k -n "$n" >/dev/null 2>&1 || true; done
rt_check_gone "$p1" "$p2"
for n in "$tag-scratch" "$tag-bb" "$tag-stopped"; do lxc-destroy -n "$n" >/dev/null 2>&1 || true; done
check_eq "no container of this test is left" "" "$(lxc-ls -1 | grep "$tag" || true)"
it_finish
