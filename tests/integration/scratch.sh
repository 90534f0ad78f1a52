#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# scratch.sh CNTR TARGET_APP: what a session writes under the base dir goes
# to a scratch of its own (a tmpfs mounted nowhere) and is gone when the
# session ends: the shell and tools behave as if the tools were writable,
# a script or program written there runs as the tools' do, the host's tree
# is not changed by one byte, another session sees none of it, and
# --tools-rw writes the tools themselves.
# shellcheck disable=SC2016 # (sh -c scripts are single-quoted on purpose)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}" "${2:-}"
it_require_fuse
t=/var/lib/cntr
it_start_target scratch "it-scratch-$$"
pid=$TARGET_PID
it_snapshot before "$pid"

# A tools tree of our own (--tools), so that what the session does to it is
# easy to compare; the host's / is tried too, on paths that tell.
tools=$IT_WORK/tools
mkdir -p "$tools/bin" "$tools/etc" "$tools/tmp" "$tools/data"
# The few programs used below, each with its libraries and the loader, at
# the host's paths (a usrmerge host's /bin is a link: copy through it).
for prog in sh cat ls rm mkdir chmod cp true; do
  path=$(type -P "$prog")
  cp -L "$path" "$tools/bin/$prog"
  it_copy_libraries "$tools" "$path"
done
cp /etc/hostname "$tools/etc/hostname"
echo original >"$tools/data/file"
find "$tools/data" "$tools/etc/hostname" -printf '%p %s %m %T@ %C@\n' | sort >"$IT_WORK/tools.before"

run_cntr -- attach --tools "$tools" "$pid" -- sh -c "
  echo written >$t/tmp/new && cat $t/tmp/new
  echo appended >>$t/data/file && cat $t/data/file
  rm $t/etc/hostname && ls $t/etc/hostname 2>&1
  mkdir -p $t/data/dir/sub && echo deep >$t/data/dir/sub/f && cat $t/data/dir/sub/f
  printf '#!/bin/sh\necho script-ran\n' >$t/tmp/s.sh && chmod +x $t/tmp/s.sh && $t/tmp/s.sh
  cp $t/bin/true $t/tmp/mytrue && $t/tmp/mytrue && echo program-ran
  ls $t/tmp"
check_run "a session writes the tools" 0
check_contains "a new file" $'\nwritten\n' $'\n'"$OUT"
check_contains "an appended one, its old content first" $'original\nappended' "$OUT"
check_contains "a removed one is gone" "No such file" "$OUT"
check_contains "new directories" "deep" "$OUT"
check_contains "a script written there runs, with the tools' interpreter" "script-ran" "$OUT"
check_contains "a program copied there runs, through the shim" "program-ran" "$OUT"
find "$tools/data" "$tools/etc/hostname" -printf '%p %s %m %T@ %C@\n' | sort >"$IT_WORK/tools.after"
check_files_eq "the tools tree did not change" "$IT_WORK/tools.before" "$IT_WORK/tools.after"
check_true "... nor got a file" test ! -e "$tools/tmp/new"

run_cntr -- attach --tools "$tools" "$pid" -- sh -c "cat $t/data/file; ls $t/tmp; cat $t/etc/hostname"
check_eq "another session sees none of it" "original
$(cat "$tools/etc/hostname")" "$OUT"

# The host's own tree: a write to its /etc and its /tmp stays in the session.
probe=cntr-scratch-probe-$$
run_cntr -- attach "$pid" -- sh -c "echo x >$t/etc/$probe && echo x >$t/tmp/$probe && cat $t/etc/$probe"
check_run "a default session writes the host's tools tree, as it sees it" 0
check_true "... and the host's /etc got nothing" test ! -e "/etc/$probe"
check_true "... nor its /tmp" test ! -e "/tmp/$probe"

# --tools-rw: the tools themselves.
run_cntr -- attach --tools "$tools" --tools-rw "$pid" -- sh -c "echo rw >$t/data/rw"
check_eq "--tools-rw writes the tools tree itself" "rw" "$(cat "$tools/data/rw" 2>&1)"
check_contains "... and says so" "warning: --tools-rw" "$ERR"

it_snapshot_settled after before "$pid"
check_snapshots before after "$pid"
it_finish
