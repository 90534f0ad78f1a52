#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2317 # (functions called through it_on_exit and rt_wait_for)
#
# docker.sh CNTR TARGET_APP: containers of a dockerd this test starts (or of
# one already running, which it then leaves alone), found through the docker
# CLI and, without it, through dockerd's runc state.
set -euo pipefail
# shellcheck disable=SC2034 # (used by lib.sh)
IT_NAME=runtimes.docker
# shellcheck source-path=SCRIPTDIR source=lib-rt.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-rt.sh"
it_init "${1:-}" "${2:-}"
it_require_cmd docker dockerd
it_require_fuse

tag=cntrt$$
img=citest-img-$tag
if ! docker version >/dev/null 2>&1; then
  pidfile=/run/citest-dockerd.$$.pid
  it_on_exit "rt_stop_dockerd $pidfile"
  rt_stop_dockerd() {
    local p
    p=$(cat "$1" 2>/dev/null) || return 0
    kill -TERM "$p" 2>/dev/null || true
    it_wait_gone 30 "$p" || kill -KILL "$p" 2>/dev/null || true
    rm -f "$1"
  }
  setsid dockerd --pidfile "$pidfile" --iptables=false --ip-masq=false --bridge=none \
    --exec-opt native.cgroupdriver=cgroupfs </dev/null >"$IT_WORK/dockerd.log" 2>&1 &
  rt_wait_for 60 docker version ||
    it_skip "dockerd does not start here: $(tail -5 "$IT_WORK/dockerd.log")"
fi
it_on_exit "docker rm -f $tag-scratch $tag-bb $tag-stopped >/dev/null 2>&1; docker rmi $img >/dev/null 2>&1"

rt_rootfs busybox "$IT_WORK/rootfs" "hn-$tag"
rt_tar "$IT_WORK/rootfs" "$IT_WORK/rootfs.tar"
docker import "$IT_WORK/rootfs.tar" "$img" >/dev/null
docker run -d --name "$tag-scratch" --hostname "hn-$tag-s" --network none --read-only "$img" \
  /target-app ready >/dev/null
docker run -d --name "$tag-bb" --hostname "hn-$tag-b" --network none "$img" /bin/sleep 3600 >/dev/null
docker create --name "$tag-stopped" --network none "$img" /bin/true >/dev/null

info() { docker inspect -f "$2" "$1"; }
p1=$(info "$tag-scratch" '{{.State.Pid}}')
p2=$(info "$tag-bb" '{{.State.Pid}}')
rt_check_target docker "$tag-scratch" "$(info "$tag-scratch" '{{.Id}}')" "hn-$tag-s" "$p1"
rt_check_target docker "$tag-bb" "$(info "$tag-bb" '{{.Id}}')" "hn-$tag-b" "$p2"
run_cntr -- ps
check_match "cntr ps: --read-only shows as read-only" "^docker +$tag-scratch +.* yes +no$" "$OUT"
check_match "cntr ps: a writable root shows as not read-only" "^docker +$tag-bb +.* no +no$" "$OUT"
check_eq "cntr ps lists a docker container once (not again under containerd)" 1 \
  "$(grep -c " $p1 " <<<"$OUT")"
rt_check_errors docker "$tag-stopped"

# Without the CLI (cntr in a privileged container with the host's PIDs):
# dockerd's runc state and the container's config.v2.json.
run_cntr PATH="$(rt_path_without_clis)" -- attach "docker://$tag-bb" -- cat /etc/hostname
check_eq "docker without the CLI: dockerd's state files resolve the name" "hn-$tag-b" "$OUT"

docker rm -f "$tag-scratch" "$tag-bb" "$tag-stopped" >/dev/null
rt_check_gone "$p1" "$p2"
docker rmi "$img" >/dev/null
check_eq "no container of this test is left" "" "$(docker ps -aq --filter "name=$tag")"
it_finish
