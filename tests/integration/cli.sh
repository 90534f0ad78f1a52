#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# cli.sh CNTR TARGET_APP: the command line as users of docker and git expect
# it: cntr alone and cntr help print the usage (status 0), cntr help
# COMMAND a command's, cntr version and -V/--version everywhere the
# version with its commit; mistakes, a mount point that is mounted
# already, a relative directory without './', and running without root
# are each one clear line with a hint.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}" "${2:-}"

run_cntr --
check_run "cntr alone is no failure" 0
check_contains "... and prints the usage" "Usage: cntr COMMAND" "$OUT"
check_eq "... on stdout only" "" "$ERR"
run_cntr -- help
check_run "cntr help" 0
check_contains "... lists the commands" "  attach " "$OUT"
usage=$OUT
for c in attach mount ps; do
  run_cntr -- "$c" --help
  want=$OUT
  run_cntr -- help "$c"
  check_eq "cntr help $c is cntr $c --help" "$want" "$OUT"
done
run_cntr -- help nosuch
check_run "cntr help of an unknown command fails" 125
check_contains "... naming it" "unknown command 'nosuch'" "$ERR"

run_cntr -- version
check_match "cntr version: the number and the commit" '^cntr [0-9]+\.[0-9]+\.[0-9]+ \(commit [0-9a-f]+(-dirty)?\)$|^cntr [0-9.]+ \(commit unknown\)$' "$OUT"
version=$OUT
for args in "--version" "-V" "attach -V" "attach --version" "mount -V" "ps --version"; do
  # shellcheck disable=SC2086 # (split on purpose)
  run_cntr -- $args
  check_eq "cntr $args says the same" "$version" "$OUT"
done
check_contains "the usage lists help and version" "  version " "$usage"

run_cntr -- frobnicate
check_run "an unknown command is a failure" 125
check_contains "... with a pointer to the help" "Try 'cntr --help'" "$ERR"

# Shell completions from the option tables.
for sh in bash zsh fish; do
  run_cntr -- completion "$sh"
  check_run "cntr completion $sh" 0
  printf '%s\n' "$OUT" >"$IT_WORK/completion.$sh"
  if command -v "$sh" >/dev/null; then
    check_true "... is valid $sh" "$sh" -n "$IT_WORK/completion.$sh"
  else
    it_log "$sh not installed: its completion's syntax is not checked"
  fi
done
check_contains "every option of attach is in the completion" "from attach' -l cap-add" "$(cat "$IT_WORK/completion.fish")"
# shellcheck disable=SC2016 # (for the bash below)
got=$(bash -c '. "$1"; COMP_WORDS=(cntr at); COMP_CWORD=1; _cntr; echo "${COMPREPLY[*]}"
  COMP_WORDS=(cntr attach --to); COMP_CWORD=2; _cntr; echo "${COMPREPLY[*]}"
  COMP_WORDS=(cntr exec --to); COMP_CWORD=2; _cntr; echo "x${COMPREPLY[*]}"' _ "$IT_WORK/completion.bash")
check_eq "bash completes commands and each command's options" $'attach\n--tools --tools-image --tools-container --tools-rw\nx' "$got"
run_cntr -- completion tcsh
check_run "cntr completion of another shell fails" 125

# cntr mount: a mount point that is mounted already; a relative directory.
it_require_fuse
mkdir -p "$IT_WORK/mp" "$IT_WORK/src/sub"
mount -t tmpfs tmpfs "$IT_WORK/mp"
it_on_exit "umount -l '$IT_WORK/mp' 2>/dev/null"
run_cntr -- mount "$IT_WORK/src" "$IT_WORK/mp"
check_cntr_error "cntr mount on a mount point refuses"
check_contains "... saying why" "something is mounted there already" "$ERR"
umount "$IT_WORK/mp"
(cd "$IT_WORK/src" && env "$IT_TAG" timeout 30 "$CNTR" mount -t runc sub "$IT_WORK/mp" </dev/null >"$IT_WORK/out" 2>"$IT_WORK/err") || RC=$?
ERR=$(cat "$IT_WORK/err")
check_contains "a relative directory without './' is a target name, and the hint says ./DIR" \
  "to serve it, write ./sub" "$ERR"

# Without root: the same words for attach and mount.
if command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$CNTR"; then
  for args in "attach 1 -- true" "mount 1 $IT_WORK/mp"; do
    set +e
    # shellcheck disable=SC2086 # (split on purpose)
    env "$IT_TAG" timeout -k 5 60 setpriv --reuid=65534 --regid=65534 --clear-groups \
      "$CNTR" $args </dev/null >"$IT_WORK/out" 2>"$IT_WORK/err"
    RC=$?
    set -e
    OUT=$(cat "$IT_WORK/out") ERR=$(cat "$IT_WORK/err")
    check_cntr_error "cntr $args without root"
    check_match "... worded as every other" '^cntr: .*: needs root$' "$ERR"
    check_contains "... with the one hint" "hint: run it with sudo, or as root" "$ERR"
  done
fi
it_finish
