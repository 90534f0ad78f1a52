#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# layout.sh CNTR TARGET_APP: attach --layout tools, the classic layout: the
# tools at /, the target's root at the base dir, the target's /proc, /dev,
# /sys and identity files (/etc/passwd, group, hosts, hostname, resolv.conf)
# at their places.  Host tools run as they are (no shim), see the target's
# processes, users and hostname; the target's files are edited at the base
# dir; --volume, --read-only and a target without /dev work; a target
# process still cannot reach the tools through the session; nothing is
# written to the target or the host and nothing is left behind.
# shellcheck disable=SC2016 # (sh -c scripts are single-quoted on purpose)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}" "${2:-}"
it_require_fuse
t=/var/lib/cntr

plant() {
  mkdir -p "$1/app" "$1/etc"
  echo 'app-config' >"$1/app/config"
  printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:the app:/app:/bin/sh\n' >"$1/etc/passwd"
  printf 'root:x:0:\napp:x:1000:\n' >"$1/etc/group"
  printf '127.0.0.1 localhost target-only-host\n' >"$1/etc/hosts"
}
IT_ROOTFS_HOOK=plant it_start_target busybox "it-layout-$$"
pid=$TARGET_PID
# The target's files are edited in place; the tools stay read-only (before
# the snapshot: this changes the target).
run_cntr -- attach --layout tools "$pid" -- sh -c "echo edited >>$t/app/config; echo x >/etc/cntr-layout-probe"
check_eq "the target's file was edited through the base dir" $'app-config\nedited' "$(cat "$TARGET_ROOT/app/config")"
check_contains "the tools stay read-only" "Read-only file system" "$ERR"
check_true "... and the host's /etc got nothing" test ! -e /etc/cntr-layout-probe
printf 'app-config\n' >"$TARGET_ROOT/app/config"

it_snapshot before "$pid"

run_cntr -- attach --layout tools "$pid" -- sh -c "
  cat /etc/debian_version
  echo target: \$(cat $t/app/config)
  hostname
  id app
  getent hosts target-only-host
  ps -e -o comm= | grep -x target-app
  readlink /proc/self/exe
  grep -c cntr-ld /proc/self/maps
  ls $t/.cntr-ld 2>&1
  pwd"
check_run "a session with the tools at / runs" 0
check_contains "/ is the tools (the host's /etc/debian_version)" "$(cat /etc/debian_version)" "$OUT"
check_contains "the target is at the base dir" "target: app-config" "$OUT"
check_contains "the hostname is the target's" "it-layout-$$" "$OUT"
check_contains "users are the target's (its /etc/passwd)" "uid=1000(app)" "$OUT"
check_contains "hosts are the target's" "target-only-host" "$OUT"
check_contains "processes are the target's (its /proc)" $'\ntarget-app\n' "$OUT"
check_contains "host tools run as they are" $'\n/usr/bin/readlink\n0\n' "$OUT"
check_contains "... with no shim in sight" "No such file" "$OUT"
check_contains "the session starts in the target's working directory, at the base dir" $'\n'"$t" "$OUT"

# Tools that interpreters and libraries make fragile in place.
probe='echo ok-sh'
command -v python3 >/dev/null && probe+='; python3 -c "import json, sqlite3; print(\"ok-python\")"'
command -v perl >/dev/null && probe+='; perl -MPOSIX -e "print qq(ok-perl\n)"'
command -v awk >/dev/null && probe+='; echo x | awk "{print \"ok-awk\"}"'
command -v tar >/dev/null && probe+="; tar -cf - -C $t app | tar -tf - | grep -q app/config && echo ok-tar"
run_cntr -- attach --layout tools "$pid" -- bash -c "$probe"
check_run "the tools' interpreters run" 0
check_contains "bash" "ok-sh" "$OUT"
for tool in python perl awk tar; do
  case $tool in
    python) command -v python3 >/dev/null || continue ;;
    *) command -v "$tool" >/dev/null || continue ;;
  esac
  check_contains "$tool" "ok-$tool" "$OUT"
done
check_not_contains "no locale or library complaint" "warning" "$ERR"

# --volume and --read-only.
out=$IT_WORK/out-dir
mkdir -m 0755 "$out"
run_cntr -- attach --layout tools --read-only -v "$out:/carry" "$pid" -- sh -c "cp $t/app/config /carry/; touch $t/app/new"
check_eq "a volume carries a file out" "app-config" "$(cat "$out/config" 2>&1)"
check_contains "--read-only: the target cannot be changed" "Read-only file system" "$ERR"
check_true "... and was not" test ! -e "$TARGET_ROOT/app/new"

# The target's processes cannot use the session's tools.
env "$IT_TAG" "$CNTR" attach --layout tools -v "$out:/carry" "$pid" -- sh -c 'echo $$ >/carry/pid; sleep 30' \
  </dev/null >"$IT_WORK/bg.out" 2>&1 &
bg=$!
it_on_exit "kill -KILL $bg 2>/dev/null; wait $bg 2>/dev/null"
for ((n = 0; n < 100; n++)); do
  [[ -s $out/pid ]] && break
  sleep 0.05
done
inner=$(cat "$out/pid" 2>/dev/null || true)
check_match "a background session started" '^[0-9]+$' "$inner"
probe=$(nsenter -t "$pid" -m -p -- /bin/cat "/proc/$inner/root/etc/debian_version" 2>&1 || true)
check_contains "a target process cannot read the tools through the session's /proc root" \
  "Permission denied" "$probe"
kill "$bg" 2>/dev/null || true
wait "$bg" 2>/dev/null || true

it_snapshot_settled after before "$pid"
check_snapshots before after "$pid"

# A target without /dev: the host's devices and a devpts of the session's.
IT_EMPTY_DEV=1 it_start_target scratch "it-layout-nodev-$$"
it_snapshot nodev-before "$TARGET_PID"
run_cntr -- attach --layout tools "$TARGET_PID" -- sh -c 'test -c /dev/null && echo x >/dev/null && echo null-ok; test -c /dev/urandom && echo urandom-ok'
check_run "a target without devices: the session runs" 0
check_contains "... with a /dev/null that is a device" "null-ok" "$OUT"
check_contains "... and the other devices" "urandom-ok" "$OUT"
it_snapshot_settled nodev-after nodev-before "$TARGET_PID"
check_snapshots nodev-before nodev-after "$TARGET_PID"

run_cntr -- attach --layout sideways "$pid" -- true
check_run "an unknown layout is a usage error" 125
check_contains "... naming the layouts" "not 'target' or 'tools'" "$ERR"
it_finish
