#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# tools_watch.sh CNTR TARGET_APP: a file of the tools tree removed on the
# host while a session runs is gone in the session at once, not only when the
# kernel's 1-second cache of its entry expires: once a session is older than
# a second, the server watches the directories it serves (fanotify) and
# tells the kernel what changed.  Without that, the removed file still shows
# for about a second after the session last looked at it.
# shellcheck disable=SC2016 # (sh -c scripts are single-quoted on purpose)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}" "${2:-}"
it_require_fuse

it_start_target busybox "it-watch-$$"
pid=$TARGET_PID
tools=$IT_WORK/tools
mkdir -p "$tools/data"
printf 'old\n' >"$tools/data/file"
printf 'doomed\n' >"$tools/data/victim"
it_snapshot before "$pid"

# The session (the target's busybox sh): past the watcher's start, look at
# the files (the kernel now caches them), say so, wait for the host's
# changes, then count 10 ms rounds until they show.  The sleep of 1.5 s is
# that start (1 s), not a synchronisation.
session_out=$IT_WORK/session.out
env "$IT_TAG" "$CNTR" attach --tools "$tools" --tools-rw "$pid" -- sh -c '
  t=/var/lib/cntr/data
  sleep 1.5
  cat $t/file
  [ -e $t/victim ] || echo "victim missing"
  : >$t/read
  i=0
  while [ ! -e $t/changed ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done
  n=0
  while [ -e $t/victim ] && [ $n -lt 300 ]; do sleep 0.01; n=$((n+1)); done
  echo "rounds $n"
  cat $t/file' </dev/null >"$session_out" 2>"$IT_WORK/session.err" &
session=$!
it_on_exit "kill -KILL $session 2>/dev/null; wait $session 2>/dev/null"

# Both sides signal through the tools tree itself (the session writes
# through the mount, which --tools-rw allows; the host's writes are what
# the watcher reports).
for ((n = 0; n < 100; n++)); do
  [[ -e $tools/data/read ]] && break
  sleep 0.1
done
check_true "the session read the file" test -e "$tools/data/read"
rm "$tools/data/victim"
printf 'new\n' >"$tools/data/file"
: >"$tools/data/changed"
set +e
wait "$session"
RC=$?
set -e
check_eq "the session ends with 0" 0 "$RC"
rounds=$(sed -n 's/^rounds //p' "$session_out")
check_true "the removal showed within 300 ms (rounds of 10 ms: ${rounds:-none})" \
  test "${rounds:-999}" -lt 30
check_eq "... and the session read the new contents" "new" "$(tail -n 1 "$session_out")"

it_snapshot_settled after before "$pid"
check_snapshots before after "$pid"
it_finish
