#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2317 # (functions called through it_on_exit and rt_wait_for)
#
# podman.sh CNTR TARGET_APP: rootful podman containers (runc, cgroupfs),
# found through the podman CLI and, without it, through conmon's pidfile
# and containers/storage.
set -euo pipefail
# shellcheck disable=SC2034 # (used by lib.sh)
IT_NAME=runtimes.podman
# shellcheck source-path=SCRIPTDIR source=lib-rt.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-rt.sh"
it_init "${1:-}" "${2:-}"
it_require_cmd podman runc
it_require_fuse

tag=cntrt$$
img=localhost/citest-img-$tag
pm() { podman --runtime runc --cgroup-manager cgroupfs --events-backend file "$@"; }
run() {
  pm run -d --network none --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 "$@"
}
it_on_exit "pm rm -f -t 0 $tag-scratch $tag-bb $tag-stopped >/dev/null 2>&1; pm rmi $img >/dev/null 2>&1"

rt_rootfs busybox "$IT_WORK/rootfs" "hn-$tag"
rt_tar "$IT_WORK/rootfs" "$IT_WORK/rootfs.tar"
pm import "$IT_WORK/rootfs.tar" "$img" >/dev/null 2>"$IT_WORK/import.err" ||
  it_skip "podman import fails here: $(cat "$IT_WORK/import.err")"
run --name "$tag-scratch" --hostname "hn-$tag-s" --read-only "$img" /target-app ready \
  >/dev/null 2>"$IT_WORK/run.err" || it_skip "podman run fails here: $(cat "$IT_WORK/run.err")"
run --name "$tag-bb" --hostname "hn-$tag-b" "$img" /bin/sleep 3600 >/dev/null
pm create --name "$tag-stopped" --network none "$img" /bin/true >/dev/null

info() { pm inspect -f "$2" "$1"; }
p1=$(info "$tag-scratch" '{{.State.Pid}}')
p2=$(info "$tag-bb" '{{.State.Pid}}')
rt_check_target podman "$tag-scratch" "$(info "$tag-scratch" '{{.Id}}')" "hn-$tag-s" "$p1"
rt_check_target podman "$tag-bb" "$(info "$tag-bb" '{{.Id}}')" "hn-$tag-b" "$p2"
run_cntr -- ps
check_match "cntr ps: --read-only shows as read-only" "^podman +$tag-scratch +.* yes +no$" "$OUT"
check_eq "cntr ps lists a podman container once (not again under runc)" 1 "$(grep -c " $p1 " <<<"$OUT")"
rt_check_errors podman "$tag-stopped"

run_cntr PATH="$(rt_path_without_clis)" -- attach "podman://$tag-bb" -- cat /etc/hostname
check_eq "podman without the CLI: conmon's pidfile and storage resolve the name" "hn-$tag-b" "$OUT"

pm rm -f -t 0 "$tag-scratch" "$tag-bb" "$tag-stopped" >/dev/null
rt_check_gone "$p1" "$p2"
pm rmi "$img" >/dev/null
# With nothing left mounted, podman's storage unmounts its own overlay
# directory the next time podman runs: let it, so nothing is left mounted.
pm ps -a >/dev/null
check_eq "no container of this test is left" "" "$(pm ps -aq --filter "name=$tag")"
it_finish
