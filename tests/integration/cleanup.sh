#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# cleanup.sh CNTR TARGET_APP: a session ended from outside leaves nothing:
#  - SIGINT to cntr (as Ctrl-C would) during a non-tty session running sleep,
#    sent to cntr alone and to its whole process group;
#  - SIGTERM to cntr;
#  - SIGKILL to cntr: within a few seconds no process of the session remains,
#    none hangs in D state, no mount is left, the target is unharmed.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}" "${2:-}"
it_require_fuse

hn=it-cleanup-$$
it_start_target "${IT_KIND:-scratch}" "$hn"
pid=$TARGET_PID
nsref=$(readlink "/proc/$pid/ns/pid")
it_snapshot before "$pid"

C_PID='' SECS='' SLEEP_PID=''
# start_session: cntr attach PID -- sleep SECS, in the background, in its own
# process group (set -m), with SIGINT at its default disposition (a
# non-interactive shell would have its background jobs ignore it). Waits
# until the sleep runs in the target.
start_session() {
  SECS=$((4000000 + RANDOM))
  set -m
  env --default-signal=INT,QUIT "$IT_TAG" "$CNTR" attach "$pid" -- sleep "$SECS" \
    </dev/null >"$IT_WORK/out" 2>"$IT_WORK/err" &
  C_PID=$!
  set +m
  it_on_exit "kill -KILL $C_PID 2>/dev/null"
  SLEEP_PID=
  local n p
  for ((n = 0; n < 300; n++)); do
    for p in $(it_pids_in_pidns "$nsref"); do
      [[ $(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline") == *"sleep $SECS"* ]] && SLEEP_PID=$p
    done
    if [[ -n $SLEEP_PID ]]; then
      # As a user would: some time after the session started.
      sleep 1
      return 0
    fi
    kill -0 "$C_PID" 2>/dev/null || break
    sleep 0.1
  done
  it_fatal "the session's sleep never ran; cntr said: $(cat "$IT_WORK/err")"
}

# end_session WHAT SIGNAL TARGET EXPECTED_STATUS|any: send SIGNAL to TARGET
# (a PID, or -PGID), then check cntr ends within 10 s with the status, and
# the session is gone.
end_session() {
  local what=$1 sig=$2 to=$3 want=$4 rc start ms
  start=$(date +%s%N)
  kill "-$sig" -- "$to"
  set +e
  if ! it_wait_gone 10 "$C_PID"; then
    _it_fail "$what: cntr exits within 10 s" "still running: $(head -n 3 "/proc/$C_PID/status" | tr '\n' ' ')"
    kill -KILL "$C_PID"
  fi
  wait "$C_PID"
  rc=$?
  set -e
  ms=$((($(date +%s%N) - start) / 1000000))
  IT_CHECKS=$((IT_CHECKS + 1))
  if [[ $want == any || $rc == "$want" ]]; then
    _it_ok "$what: cntr ends in $ms ms, status $rc"
  else
    _it_fail "$what: cntr exits with status $want" "got status $rc after $ms ms; stderr:" \
      "$(_it_indent "$(cat "$IT_WORK/err")")"
  fi
  check_true "$what: the session's sleep is gone within 5 s" it_wait_gone 5 "$SLEEP_PID"
  check_true "$what: no process runs 'sleep $SECS' within 5 s" it_wait_no_cmdline 5 "*sleep $SECS"
  local left n
  for ((n = 0; n < 50; n++)); do
    left=$(it_pids_in_pidns "$nsref" | tr ' ' '\n' | { grep -vx "$pid" || true; } | tr '\n' ' ')
    left=${left% }
    [[ -z $left ]] && break
    sleep 0.1
  done
  IT_CHECKS=$((IT_CHECKS + 1))
  if [[ -z $left ]]; then
    _it_ok "$what: the target's PID namespace holds only the target (within 5 s)"
  else
    _it_fail "$what: the target's PID namespace holds only the target" "also:" \
      "$(_it_indent "$(ps -o pid,ppid,pgid,stat,etimes,args -p "${left// /,}" | cut -c1-200)")"
  fi
  check_no_dstate
  check_true "$what: the target is alive" kill -0 "$pid"
  # A file, not <(...): check_files_eq reads it twice (cmp, then diff).
  cut -d' ' -f3- /proc/self/mountinfo | sort >"$IT_WORK/mounts.now"
  check_files_eq "$what: host mount table unchanged" "$IT_WORK/snap.before.mounts" \
    "$IT_WORK/mounts.now"
}

start_session
end_session "SIGINT to cntr" INT "$C_PID" 130

start_session
end_session "SIGINT to cntr's process group (Ctrl-C)" INT "-$C_PID" 130

start_session
end_session "SIGTERM to cntr" TERM "$C_PID" any

start_session
end_session "SIGKILL to cntr" KILL "$C_PID" 137

it_snapshot_settled after before "$pid"
check_snapshots before after "$pid"
it_finish
