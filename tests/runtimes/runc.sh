#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2317 # (functions called through it_on_exit and rt_wait_for)
#
# runc.sh CNTR TARGET_APP: containers started with `runc run -d` (no
# daemon): found through runc's state in /run/runc.
set -euo pipefail
# shellcheck disable=SC2034 # (used by lib.sh)
IT_NAME=runtimes.runc
# shellcheck source-path=SCRIPTDIR source=lib-rt.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-rt.sh"
it_init "${1:-}" "${2:-}"
it_require_cmd runc
it_require_fuse

tag=cntrt$$
# bundle NAME KIND HOSTNAME ARGS_JSON
bundle() {
  local b=$IT_WORK/$1
  mkdir -p "$b"
  rt_rootfs "$2" "$b/rootfs" "$3"
  (cd "$b" && runc spec)
  sed -i -e "s|\"sh\"|$4|" -e 's|"terminal": true|"terminal": false|' \
    -e "s|\"hostname\": \"runc\"|\"hostname\": \"$3\"|" "$b/config.json"
}
# start NAME: runc run -d; registers its removal.
start() {
  it_on_exit "runc kill $1 KILL >/dev/null 2>&1; sleep 0.2; runc delete --force $1 >/dev/null 2>&1"
  (cd "$IT_WORK/$1" && runc run -d --pid-file "$IT_WORK/$1.pid" "$1" </dev/null >"$IT_WORK/$1.log" 2>&1) ||
    it_skip "runc run failed here: $(cat "$IT_WORK/$1.log")"
  cat "$IT_WORK/$1.pid"
}

bundle "$tag-scratch" scratch "hn-$tag-s" '"/target-app", "ready"'
bundle "$tag-bb" busybox "hn-$tag-b" '"/bin/sleep", "3600"'
bundle "$tag-stopped" busybox "hn-$tag-x" '"/bin/true"'
p1=$(start "$tag-scratch")
p2=$(start "$tag-bb")
start "$tag-stopped" >/dev/null
rt_wait_for 10 sh -c "runc state $tag-stopped | grep -q '\"stopped\"'" || it_fatal "$tag-stopped did not stop"

rt_check_target runc "$tag-scratch" "$tag-scratch" "hn-$tag-s" "$p1"
rt_check_target runc "$tag-bb" "$tag-bb" "hn-$tag-b" "$p2"
run_cntr -- attach "$tag-bb" -- sh -c 'touch /probe 2>&1; echo rc=$?'
check_contains "runc's read-only root stays read-only" "Read-only file system" "$OUT"
run_cntr -- ps
check_match "cntr ps: runc's root is read-only, no user namespace" "^runc +$tag-bb +.* yes +no$" "$OUT"
rt_check_errors runc "$tag-stopped"

# A PID reused by another process is not taken for the container: runc's
# state records the start time; a state file pointing at our own shell
# (alive, other start time) is refused.
mkdir -p "/run/runc/$tag-fake"
it_on_exit "rm -rf /run/runc/$tag-fake"
printf '{"id":"%s","init_process_pid":%d,"init_process_start":1}' "$tag-fake" $$ >"/run/runc/$tag-fake/state.json"
run_cntr -- attach "$tag-fake" -- true
check_contains "a runc state whose PID was reused is taken as stopped" "is not running" "$ERR"

for n in "$tag-scratch" "$tag-bb" "$tag-stopped"; do
  runc kill "$n" KILL >/dev/null 2>&1 || true
done
rt_check_gone "$p1" "$p2"
for n in "$tag-scratch" "$tag-bb" "$tag-stopped"; do
  rt_wait_for 5 sh -c "runc delete --force $n" || true
done
check_eq "runc's containers are all deleted" "" "$(runc list -q | grep "$tag" || true)"
it_finish
