#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# devices.sh CNTR TARGET_APP: a target whose /dev is empty (no null, zero,
# tty, urandom, no devpts): the session's private view has them (the
# host's devices, a devpts of the session's own), programs that need them
# work, a login shell's redirections to /dev/null write nothing into the
# target, and its /dev stays empty.
# shellcheck disable=SC2016 # (sh -c scripts are single-quoted on purpose)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}" "${2:-}"
it_require_fuse

IT_EMPTY_DEV=1 it_start_target scratch "it-devices-$$"
pid=$TARGET_PID
check_eq "the target's /dev is empty" "" "$(ls -A "/proc/$pid/root/dev")"
it_snapshot before "$pid"

run_cntr -- attach "$pid" -- sh -c 'echo gone >/dev/null && head -c 4 /dev/zero | wc -c && head -c 8 /dev/urandom | wc -c && ls /dev'
check_run "a session in a target with an empty /dev runs" 0
check_contains "writing /dev/null works" "4" "$OUT"
check_match "the session's /dev has the basic devices" '^null$' "$OUT"
check_match "... and a devpts" '^pts$' "$OUT"
run_cntr -- attach "$pid" -- perl -e 'open(my $f, "<", "/dev/null") or die "no /dev/null: $!"; print "perl ok\n"'
check_contains "perl opens /dev/null" "perl ok" "$OUT"
if command -v tmux >/dev/null; then
  sock=$IT_WORK/tmux.sock
  tmux -S "$sock" -f /dev/null new-session -d -s it -x 100 -y 20 \
    "env $IT_TAG $CNTR attach $pid -- sh -c 'tty; echo tty-ran'; sleep 600"
  it_on_exit "tmux -S '$sock' kill-server 2>/dev/null"
  for ((n = 0; n < 100; n++)); do
    pane=$(tmux -S "$sock" capture-pane -p -t it)
    grep -q tty-ran <<<"$pane" && break
    sleep 0.1
  done
  check_match "the command's terminal is one of the session's devpts" '^/dev/pts/[0-9]+$' "$pane"
fi
check_eq "the target's /dev is still empty" "" "$(ls -A "/proc/$pid/root/dev")"
it_snapshot_settled after before "$pid"
check_snapshots before after "$pid"
it_finish
