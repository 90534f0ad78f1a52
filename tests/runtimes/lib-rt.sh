# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2317
#
# Shared part of the tests against real container runtimes. Source it after
# setting IT_NAME, from a `set -euo pipefail` bash script called as
#   SCRIPT CNTR_BINARY TARGET_APP
# It brings tests/integration/lib.sh (it_init, checks, run_cntr, root
# filesystems, snapshots) and the checks every runtime must pass.

# shellcheck source-path=SCRIPTDIR source=../integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

# rt_rootfs KIND DIR HOSTNAME: a root filesystem (scratch or busybox) that
# runtimes accept: they want /sys, /tmp and friends as mount points.
rt_rootfs() {
  it_make_rootfs "$1" "$2" "$3"
  mkdir -p "$2/sys" "$2/tmp" "$2/run" "$2/dev/pts" "$2/dev/shm"
  rmdir "$2/dev/pts" "$2/dev/shm"
}

# rt_tar DIR FILE: an image archive of the root filesystem DIR.
rt_tar() { tar -C "$1" -cf "$2" .; }

# rt_wait_for SECONDS COMMAND...: until COMMAND succeeds; 1 on timeout.
rt_wait_for() {
  local secs=$1 n
  shift
  for ((n = 0; n < secs * 10; n++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

# rt_check_target RUNTIME NAME ID HOSTNAME PID: what every runtime must do
# for a running container: attach by name, scheme, --type and ID prefix
# gives its /etc/hostname; cntr ps lists it; nothing is left behind.
rt_check_target() {
  local rt=$1 name=$2 id=$3 hn=$4 pid=$5 snap=${2//[^a-zA-Z0-9]/_}
  it_log "checking $rt container $name (id $id, pid $pid)"
  # The runtimes' CLIs that cntr runs have side effects of their own on the
  # host's mount table (podman's storage mounts or unmounts its overlay
  # directory when it starts or has nothing mounted): let them happen once
  # before the snapshot.
  "$CNTR" ps >/dev/null 2>&1 || true
  it_snapshot "before_$snap" "$pid"

  run_cntr -- attach "$name" -- cat /etc/hostname
  check_run "$rt $name: attach NAME runs" 0
  check_eq "$rt $name: attach NAME: /etc/hostname is the container's" "$hn" "$OUT"

  run_cntr -- attach "$rt://$name" -- cat /etc/hostname
  check_eq "$rt $name: attach $rt://NAME" "$hn" "$OUT"

  run_cntr -- attach --type "$rt" "$name" -- cat /etc/hostname
  check_eq "$rt $name: attach --type $rt NAME" "$hn" "$OUT"

  if [[ $id != "$name" ]]; then
    run_cntr -- attach "${id:0:10}" -- cat /etc/hostname
    check_eq "$rt $name: attach by ID prefix ${id:0:10}" "$hn" "$OUT"
    run_cntr -- attach "$id" -- cat /etc/hostname
    check_eq "$rt $name: attach by full ID" "$hn" "$OUT"
  fi

  run_cntr -- ps
  check_run "$rt $name: cntr ps runs" 0
  check_match "$rt $name: cntr ps lists it with its PID" "^$rt +([^ ]*/)?$name +[^ ]+ +$pid " "$OUT"
  run_cntr -- ps --format json
  check_contains "$rt $name: cntr ps --format json lists it" "\"name\": \"$name\"" "$OUT"
  check_contains "$rt $name: ... with its PID" "\"pid\": $pid," "$OUT"

  it_snapshot_settled "after_$snap" "before_$snap" "$pid"
  check_snapshots "before_$snap" "after_$snap" "$pid"
}

# rt_check_errors RUNTIME STOPPED_NAME: a stopped container and an unknown
# name are refused with the right words.
rt_check_errors() {
  local rt=$1 stopped=$2
  if [[ -n $stopped ]]; then
    run_cntr -- attach "$stopped" -- true
    check_cntr_error "$rt: a stopped container is refused"
    check_contains "$rt: ... saying it is not running" "is not running" "$ERR"
    run_cntr -- attach "$rt://$stopped" -- true
    check_contains "$rt: $rt://STOPPED says it is not running" "is not running" "$ERR"
  fi
  run_cntr -- attach "no-such-container-$$" -- true
  check_cntr_error "$rt: an unknown name is refused"
  check_contains "$rt: ... saying which runtimes were asked" "asked: " "$ERR"
  check_match "$rt: ... $rt among them" "asked: [^;)]*\\b$rt\\b" "$ERR"
  run_cntr -- attach "$rt://no-such-container-$$" -- true
  check_cntr_error "$rt: an unknown name in $rt:// is refused"
}

# rt_check_gone PID...: the containers' processes are gone after the test
# stopped them.
rt_check_gone() {
  check_true "the containers' processes are gone ($*)" it_wait_gone 20 "$@"
}

# rt_path_without_clis: a PATH with no runtime CLI on it, only what run_cntr
# itself needs (timeout).
rt_path_without_clis() {
  mkdir -p "$IT_WORK/nocli"
  ln -sf "$(command -v timeout)" "$IT_WORK/nocli/timeout"
  printf '%s\n' "$IT_WORK/nocli"
}
