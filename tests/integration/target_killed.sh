#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# target_killed.sh CNTR TARGET_APP: the target is killed while a session is
# open (running sleep): cntr exits promptly (< 10 s) with a non-zero
# status, and nothing is left (processes, mounts, temp files, D state).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}" "${2:-}"
it_require_fuse

it_snapshot before
hn=it-killed-$$
it_start_target busybox "$hn"
pid=$TARGET_PID
unshare_pid=$TARGET_UNSHARE
nsref=$(readlink "/proc/$pid/ns/pid")

secs=$((3000000 + RANDOM))
env "$IT_TAG" "$CNTR" attach "$pid" -- sleep "$secs" \
  </dev/null >"$IT_WORK/out" 2>"$IT_WORK/err" &
c_pid=$!
it_on_exit "kill -KILL $c_pid 2>/dev/null; wait $c_pid 2>/dev/null"

# Wait until the session's sleep runs in the target's PID namespace.
sleep_pid=
for ((n = 0; n < 300; n++)); do
  for p in $(it_pids_in_pidns "$nsref"); do
    [[ $(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline") == *"sleep $secs"* ]] && sleep_pid=$p
  done
  [[ -n $sleep_pid ]] && break
  kill -0 "$c_pid" 2>/dev/null || break
  sleep 0.1
done
[[ -n $sleep_pid ]] || it_fatal "the session's sleep never ran; cntr said: $(cat "$IT_WORK/err")"
it_log "session: cntr pid $c_pid, sleep pid $sleep_pid (host)"

start=$(date +%s%N)
kill -KILL "$pid"
wait "$unshare_pid" 2>/dev/null || true
set +e
wait "$c_pid"
rc=$?
set -e
ms=$((($(date +%s%N) - start) / 1000000))
IT_CHECKS=$((IT_CHECKS + 1))
if ((ms < 10000)); then
  _it_ok "cntr exits promptly after the target is killed (${ms} ms)"
else
  _it_fail "cntr exits within 10 s after the target is killed" "took ${ms} ms"
fi
IT_CHECKS=$((IT_CHECKS + 1))
if ((rc != 0 && rc != 124)); then
  _it_ok "cntr exits with a non-zero status ($rc; stderr: $(head -n 2 "$IT_WORK/err" | tr '\n' ' '))"
else
  _it_fail "cntr exits with a non-zero status, not by timeout" "got status $rc" "stderr: $(cat "$IT_WORK/err")"
fi
check_true "the session's sleep is gone" it_wait_gone 5 "$sleep_pid"
check_eq "no process of the target's PID namespace remains" "" "$(it_pids_in_pidns "$nsref")"
check_eq "no process runs 'sleep $secs'" "" "$(it_pids_with_cmdline "*sleep $secs")"

it_snapshot_settled after before
check_snapshots before after
it_finish
