#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# tty.sh CNTR TARGET_APP: an interactive session through a real terminal (a
# tmux pane on a private tmux server): the default shell prompts, runs
# commands, sees the terminal size and its changes, survives Ctrl-C of a
# foreground command, and `exit N` ends cntr with status N.
# shellcheck disable=SC2016 # (typed lines are single-quoted on purpose)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}" "${2:-}"
it_require_fuse
it_require_cmd tmux

hn=it-tty-$$
it_start_target "${IT_KIND:-scratch}" "$hn"
pid=$TARGET_PID
it_snapshot before "$pid"

sock=$IT_WORK/tmux.sock
tm() { tmux -S "$sock" "$@"; }
# The pane runs cntr, then reports its status and stays, so that we can read
# the status from the pane.
tm -f /dev/null new-session -d -s it -x 120 -y 40 \
  "env $IT_TAG $CNTR attach $pid; echo cntr-exit=\$?; sleep 600"
it_on_exit "tmux -S '$sock' kill-server 2>/dev/null"
tm set-option -g status off
server_pid=$(tm display-message -p '#{pid}')
it_log "tmux server pid $server_pid, socket $sock"

screen() { tm capture-pane -p -J -t it -S -200; }

# wait_for SECONDS ERE: until a line of the pane matches.
wait_for() {
  local n
  for ((n = 0; n < $1 * 10; n++)); do
    screen | grep -Eq -- "$2" && return 0
    sleep 0.1
  done
  return 1
}

# check_screen WHAT SECONDS ERE
check_screen() {
  IT_CHECKS=$((IT_CHECKS + 1))
  if wait_for "$2" "$3"; then
    _it_ok "$1"
  else
    _it_fail "$1" "expected a line matching /$3/ within $2 s; the pane shows:" "$(_it_indent "$(screen)")"
    return 1
  fi
}

type_line() { tm send-keys -t it -l -- "$1"; tm send-keys -t it Enter; }

# A prompt: the last non-empty line ends with '# ' or '$ ' (bash's default),
# and no "cntr-exit=" yet.
IT_CHECKS=$((IT_CHECKS + 1))
if wait_for 20 '[#$] ?$' && ! screen | grep -q cntr-exit=; then
  _it_ok "an interactive shell prompts"
else
  _it_fail "an interactive shell prompts" "the pane shows:" "$(_it_indent "$(screen)")"
  it_fatal "no interactive session; giving up"
fi

type_line 'echo hello-$((6*7))'
check_screen "a command runs and its output shows (hello-42)" 10 '^hello-42$'

type_line 'cat /etc/hostname'
check_screen "/ is the target's (hostname $hn)" 10 "^$hn\$"

size=$(tm display-message -p -t it '#{pane_height} #{pane_width}')
type_line 'echo "size=$(stty size)"'
check_screen "stty size matches the pane ($size)" 10 "^size=$size\$"

type_line 'tty; test -t 0 && echo stdin-is-a-tty'
check_screen "the session has a terminal" 10 '^stdin-is-a-tty$'

tm resize-window -t it -x 100 -y 30
sleep 0.5
size2=$(tm display-message -p -t it '#{pane_height} #{pane_width}')
[[ $size2 != "$size" ]] || it_log "WARNING: tmux did not resize the pane ($size2)"
type_line 'echo "size2=$(stty size)"'
check_screen "after a resize, stty size follows ($size2)" 10 "^size2=$size2\$"

# Ctrl-C interrupts the foreground command, not the session.
type_line 'sleep 100'
sleep 1
tm send-keys -t it C-c
type_line 'echo after-int-$((1+1))'
check_screen "Ctrl-C interrupts sleep and the shell prompts again" 10 '^after-int-2$'
check_true "cntr is still running after Ctrl-C" \
  bash -c "! tmux -S '$sock' capture-pane -p -t it | grep -q cntr-exit="

# Ctrl-D at an empty prompt is not tested (bash may ignore it); exit N is.
type_line 'exit 7'
check_screen "exit 7 ends cntr with status 7" 10 '^cntr-exit=7$'

tm kill-server 2>/dev/null || true
it_wait_gone 5 "$server_pid" || it_log "WARNING: tmux server $server_pid still running"

it_snapshot_settled after before "$pid"
check_snapshots before after "$pid"
it_finish
