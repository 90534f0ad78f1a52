#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# two_sessions.sh CNTR TARGET_APP: two sessions attached to one target at
# the same time (one long-running in the background, one short) both work,
# see each other in the target's PID namespace, and both clean up.
# shellcheck disable=SC2016 # (sh -c scripts are single-quoted on purpose)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}" "${2:-}"
it_require_fuse

hn=it-two-$$
it_start_target "${IT_KIND:-scratch}" "$hn"
pid=$TARGET_PID
it_snapshot before "$pid"

# Session A: long-running, in the background. It waits for session B to
# drop a file in the target's /dev/shm (a tmpfs of the target, shared by both
# sessions), so the two really overlap.
a_out=$IT_WORK/a.out
a_err=$IT_WORK/a.err
env "$IT_TAG" "$CNTR" attach "$pid" -- sh -c '
  : session-A-marker
  echo A-started
  i=0
  while [ ! -e /dev/shm/it-b-was-here ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
  cat /etc/hostname
  echo A-done' </dev/null >"$a_out" 2>"$a_err" &
a_pid=$!
it_on_exit "kill -KILL $a_pid 2>/dev/null; wait $a_pid 2>/dev/null"

for ((n = 0; n < 300; n++)); do
  grep -q A-started "$a_out" && break
  kill -0 "$a_pid" 2>/dev/null || break
  sleep 0.1
done
check_contains "session A started" "A-started" "$(cat "$a_out")"
it_last_failed && it_fatal "session A did not start: $(cat "$a_err")"

# Session B: short, while A runs.
run_cntr -- attach "$pid" -- sh -c 'cat /etc/hostname; ps -e -o args= | grep -c "[s]ession-A-marker"'
check_run "session B runs while A is running" 0
check_eq "session B sees the target's hostname" "$hn" "$(head -n 1 <<<"$OUT")"
IT_CHECKS=$((IT_CHECKS + 1))
if [[ $(tail -n 1 <<<"$OUT") =~ ^[0-9]+$ ]] && (($(tail -n 1 <<<"$OUT") >= 1)); then
  _it_ok "session B sees session A's processes in the target's PID namespace"
else
  _it_fail "session B sees session A's processes (ps -e in B)" "got: $OUT"
fi
check_true "session A is still running after B ended" kill -0 "$a_pid"

run_cntr -- attach "$pid" -- touch /dev/shm/it-b-was-here
check_run "session B signals A through the target's /dev/shm" 0

set +e
wait "$a_pid"
a_rc=$?
set -e
check_eq "session A exits 0" 0 "$a_rc"
check_eq "session A's output" "A-started
$hn
A-done" "$(cat "$a_out")"
check_eq "session A: nothing on stderr" "" "$(cat "$a_err")"

# Undo our own change to the target's tree before comparing.
rm -f "/proc/$pid/root/dev/shm/it-b-was-here"
touch -d "@$(awk '$7 == "/dev/shm" { print $5 }' "$IT_WORK/snap.before.tree.$pid")" \
  "/proc/$pid/root/dev/shm"
it_snapshot_settled after before "$pid"
# /dev/shm's ctime moved with our own touch; compare without it.
for f in before after; do
  awk '$7 != "/dev/shm"' "$IT_WORK/snap.$f.tree.$pid" >"$IT_WORK/t" && mv "$IT_WORK/t" "$IT_WORK/snap.$f.tree.$pid"
done
check_snapshots before after "$pid"
it_finish
