#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# errors.sh CNTR TARGET_APP: when cntr itself fails it exits 125 with exactly
# one "cntr: <what>: <why>" line (and optionally one "hint: ..." line) on
# stderr; the command's own failures map to 126 (not executable), 127 (not
# found) and 128+N (killed by signal N). Nothing is left behind.
# shellcheck disable=SC2016 # (sh -c scripts are single-quoted on purpose)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}" "${2:-}"
it_require_fuse

hn=it-errors-$$
it_start_target "${IT_KIND:-scratch}" "$hn"
pid=$TARGET_PID
it_snapshot before "$pid"

# --- the target
run_cntr -- attach 999999999 -- true
check_cntr_error "no such PID (999999999)"

true &
gone=$!
wait "$gone"
if [[ ! -e /proc/$gone ]]; then
  run_cntr -- attach "$gone" -- true
  check_cntr_error "no such PID (an unused PID, $gone)"
fi

if [[ $(cat /proc/2/comm 2>/dev/null) == kthreadd ]]; then
  run_cntr -- attach 2 -- true
  check_cntr_error "a kernel thread (PID 2, kthreadd)"
fi

run_cntr -- attach 0 -- true
check_cntr_error "PID 0"
run_cntr -- attach not-a-pid -- true
check_eq "a PID that is not a number: status 125" 125 "$RC"

set +e
env "$IT_TAG" timeout -k 5 60 sh -c 'exec "$0" attach $$ -- true' "$CNTR" \
  </dev/null >"$IT_WORK/out" 2>"$IT_WORK/err"
RC=$?
set -e
OUT=$(cat "$IT_WORK/out") ERR=$(cat "$IT_WORK/err")
check_cntr_error "the PID of cntr itself"

# A zombie: the PID exists, its namespaces do not any more.
bash -c 'true & exec sleep 60' &
zparent=$!
it_on_exit "kill -KILL $zparent 2>/dev/null; wait $zparent 2>/dev/null"
zombie=
for ((n = 0; n < 50; n++)); do
  for c in $(it_children "$zparent"); do
    [[ $(awk '{ print $3 }' "/proc/$c/stat" 2>/dev/null) == Z ]] && zombie=$c
  done
  [[ -n $zombie ]] && break
  sleep 0.1
done
if [[ -n $zombie ]]; then
  run_cntr -- attach "$zombie" -- true
  check_cntr_error "a zombie target (PID $zombie)"
fi
kill -KILL "$zparent" 2>/dev/null || true
wait "$zparent" 2>/dev/null || true

# A target that exits during setup (best effort: a race, so either outcome
# is fine as long as it is clean: the command ran, or one error line).
for delay in 0 0.01 0.03 0.1; do
  sleep "$delay" &
  short=$!
  run_cntr -- attach "$short" -- true
  wait "$short" 2>/dev/null || true
  if [[ $RC == 0 ]]; then
    IT_CHECKS=$((IT_CHECKS + 1))
    _it_ok "target exiting during setup (sleep $delay): attached before it exited"
  else
    check_cntr_error "target exiting during setup (sleep $delay)"
  fi
done

# --- the environment
run_cntr -- attach --tools /etc/passwd "$pid" -- true
check_cntr_error "--tools is a file, not a directory"
run_cntr -- attach --tools "$IT_WORK/no-such-dir" "$pid" -- true
check_cntr_error "--tools does not exist"

if command -v setpriv >/dev/null; then
  # The binary must be reachable by nobody for this to test cntr, not ls.
  if setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$CNTR"; then
    set +e
    env "$IT_TAG" timeout -k 5 60 setpriv --reuid=65534 --regid=65534 --clear-groups \
      "$CNTR" attach "$pid" -- true </dev/null >"$IT_WORK/out" 2>"$IT_WORK/err"
    RC=$?
    set -e
    OUT=$(cat "$IT_WORK/out") ERR=$(cat "$IT_WORK/err")
    check_cntr_error "not root (uid 65534)"
  else
    it_log "not-root case skipped: $CNTR is not executable by uid 65534"
  fi
fi

# No /dev/fuse: a private /dev without it, and /dev/fuse replaced by /dev/null.
set +e
env "$IT_TAG" timeout -k 5 60 unshare --mount --propagation private sh -c '
  mount -t tmpfs -o mode=0755 tmpfs /dev || exit 99
  for n in "null 1 3" "zero 1 5" "urandom 1 9" "tty 5 0"; do
    set -- $n; mknod -m 0666 "/dev/$1" c "$2" "$3"
  done
  ln -s /proc/self/fd /dev/fd
  exec "$0" attach "$1" -- true' "$CNTR" "$pid" </dev/null >"$IT_WORK/out" 2>"$IT_WORK/err"
RC=$?
set -e
OUT=$(cat "$IT_WORK/out") ERR=$(cat "$IT_WORK/err")
check_cntr_error "no /dev/fuse (tmpfs over /dev)"

set +e
env "$IT_TAG" timeout -k 5 60 unshare --mount --propagation private sh -c '
  mount --bind /dev/null /dev/fuse || exit 99
  exec "$0" attach "$1" -- true' "$CNTR" "$pid" </dev/null >"$IT_WORK/out" 2>"$IT_WORK/err"
RC=$?
set -e
OUT=$(cat "$IT_WORK/out") ERR=$(cat "$IT_WORK/err")
check_cntr_error "/dev/fuse is not the FUSE device (/dev/null bound over it)"

# --- the command (not cntr's own failure)
run_cntr -- attach "$pid" -- no-such-command-cntr-it
check_run "command not found: 127" 127
check_contains "command not found: says so" "no-such-command-cntr-it" "$ERR"
run_cntr -- attach "$pid" -- /no/such/path
check_run "command path not found: 127" 127
run_cntr -- attach "$pid" -- /etc/passwd
check_run "command not executable (target's /etc/passwd): 126" 126
run_cntr -- attach "$pid" -- /etc
check_run "command is a directory: 126" 126

# The same, many times, while other sessions start and end alongside: the
# status must not depend on timing.
(
  while [[ ! -e $IT_WORK/stop-busy ]]; do
    env "$IT_TAG" timeout -k 5 30 "$CNTR" attach "$pid" -- ls / </dev/null >/dev/null 2>&1
  done
) &
busy=$!
it_on_exit "touch $IT_WORK/stop-busy; wait $busy 2>/dev/null"
codes='' want='' odd=''
for ((i = 0; i < 15; i++)); do
  want+=" 126 127"
  run_cntr -- attach "$pid" -- /etc/passwd
  codes+=" $RC"
  [[ $RC == 126 ]] || odd=$ERR
  run_cntr -- attach "$pid" -- no-such-command-cntr-it
  codes+=" $RC"
  [[ $RC == 127 ]] || odd=$ERR
done
touch "$IT_WORK/stop-busy"
wait "$busy" 2>/dev/null || true
check_eq "126/127 every time (15 times each, alternating, other sessions alongside)" "$want" "$codes"
it_last_failed && it_log "a run with another status said: $odd"
run_cntr -- attach "$pid" -- sh -c 'kill -9 $$'
check_run "command killed by SIGKILL: 137" 137
check_match "killed by SIGKILL: a shell-like message on stderr" 'Killed|SIGKILL|signal 9' "$ERR"
run_cntr -- attach "$pid" -- sh -c 'kill -TERM $$'
check_run "command killed by SIGTERM: 143" 143
run_cntr -- attach "$pid" -- sh -c 'exit 125'
check_run "the command's own status 125 comes back as is" 125
check_eq "... with nothing added on stderr" "" "$ERR"

# --- the command line
run_cntr -- attach
check_run "attach without a PID: 125" 125
run_cntr -- --no-such-option
check_run "an unknown option: 125" 125
run_cntr -- --help
check_run "--help: 0" 0
check_contains "--help mentions attach" "attach" "$OUT"
run_cntr -- attach --help
check_run "attach --help: 0" 0
check_contains "attach --help mentions --tools" "--tools" "$OUT"
run_cntr -- --version
check_run "--version: 0" 0
check_match "--version prints a version" '[0-9]+\.[0-9]+' "$OUT"

# --- the base dir
run_cntr CNTR_BASE_DIR=relative/dir -- attach "$pid" -- true
check_cntr_error "a relative CNTR_BASE_DIR"
run_cntr CNTR_BASE_DIR=/var/../etc -- attach "$pid" -- true
check_cntr_error "a CNTR_BASE_DIR with .."

# --- a thread id names its process (top -H, ps -L show thread ids)
if ! command -v python3 >/dev/null; then
  it_log "no python3: the thread id check is skipped"
else
python3 -c 'import threading, time; threading.Thread(target=time.sleep, args=(30,), daemon=True).start(); time.sleep(30)' &
threaded=$!
it_on_exit "kill -KILL $threaded 2>/dev/null; wait $threaded 2>/dev/null"
tid=
for ((n = 0; n < 50; n++)); do
  for t in /proc/"$threaded"/task/*; do
    [[ ${t##*/} != "$threaded" && -e $t ]] && tid=${t##*/}
  done
  [[ -z $tid ]] || break
  sleep 0.1
done
if [[ -n $tid ]]; then
  run_cntr -- attach "$tid" -- /bin/true
  check_run "a thread id ($tid of process $threaded) attaches to its process" 0
fi
kill -KILL "$threaded" 2>/dev/null
wait "$threaded" 2>/dev/null || true
fi

it_snapshot_settled after before "$pid"
check_snapshots before after "$pid"
it_finish
