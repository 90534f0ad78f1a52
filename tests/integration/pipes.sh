#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# pipes.sh CNTR TARGET_APP: without a terminal, stdin/stdout/stderr pass
# through unchanged (binary-safe, large, EOF propagated), and the default
# command (the login shell) reads its commands from stdin.
# shellcheck disable=SC2016,SC2002 # (single-quoted sh -c scripts, pipes on purpose)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}" "${2:-}"
it_require_fuse
it_require_cmd sha256sum

hn=it-pipes-$$
it_start_target "${IT_KIND:-scratch}" "$hn"
pid=$TARGET_PID
it_snapshot before "$pid"

in=$IT_WORK/in.bin
head -c 10M /dev/urandom >"$in"
# Make sure the data has what a tty layer would mangle: NUL, ^C, ^D, ^Z, CR,
# a lone LF and a trailing partial line.
printf '\0\3\4\32\r\n\r\nno-newline-at-end' >>"$in"
want=$(sha256sum <"$in" | cut -d' ' -f1)

# stdin and stdout are pipes (cat | cntr | cat), stderr a file.
set +e
cat "$in" | env "$IT_TAG" timeout -k 5 60 "$CNTR" attach "$pid" -- cat 2>"$IT_WORK/err" |
  cat >"$IT_WORK/out.bin"
st=("${PIPESTATUS[@]}")
set -e
check_eq "cat | cntr attach PID -- cat | cat: cntr exits 0" 0 "${st[1]}"
it_last_failed && cat "$IT_WORK/err" >&2
check_eq "10 MiB of binary data through stdin and stdout: sha256 equal" \
  "$want" "$(sha256sum <"$IT_WORK/out.bin" | cut -d' ' -f1)"
check_eq "nothing on stderr" "" "$(cat "$IT_WORK/err")"

# The same data back through stderr.
set +e
cat "$in" | env "$IT_TAG" timeout -k 5 60 "$CNTR" attach "$pid" -- sh -c 'cat >&2' \
  2>"$IT_WORK/err.bin" >"$IT_WORK/out.bin"
rc=$?
set -e
check_eq "cntr attach PID -- sh -c 'cat >&2': exits 0" 0 "$rc"
check_eq "binary data through stderr: sha256 equal" \
  "$want" "$(sha256sum <"$IT_WORK/err.bin" | cut -d' ' -f1)"
check_eq "nothing on stdout" 0 "$(stat -c %s "$IT_WORK/out.bin")"

# EOF on stdin reaches the command; a count comes back.
printf 'abc' >"$IT_WORK/abc"
run_cntr --stdin "$IT_WORK/abc" -- attach "$pid" -- wc -c
check_run "wc -c with stdin from a file" 0
check_eq "wc -c counts 3 bytes and sees EOF" 3 "$(tr -d ' ' <<<"$OUT")"

# An empty stdin (/dev/null) ends a reading command at once.
run_cntr -- attach "$pid" -- cat
check_run "cat with stdin </dev/null ends" 0
check_eq "cat </dev/null prints nothing" "" "$OUT"

# The default command, the login shell, reads commands from a pipe.
set +e
printf 'ls /\nexit 3\n' | env "$IT_TAG" timeout -k 5 60 "$CNTR" attach "$pid" \
  >"$IT_WORK/out" 2>"$IT_WORK/err"
rc=$?
set -e
check_eq "echo 'ls /; exit 3' | cntr attach PID: exit status 3" 3 "$rc"
it_last_failed && cat "$IT_WORK/err" >&2
check_contains "... and ls / lists the target's root" "target-app" "$(cat "$IT_WORK/out")"

# The consumer of stdout goes away early: cntr must not hang.
set +e
env "$IT_TAG" timeout -k 5 60 "$CNTR" attach "$pid" -- sh -c 'i=0; while [ $i -lt 100000 ]; do echo line $i; i=$((i+1)); done' \
  </dev/null 2>"$IT_WORK/err" | head -n 2 >"$IT_WORK/out"
st=("${PIPESTATUS[@]}")
set -e
check_eq "stdout closed early: head got its 2 lines" "line 0
line 1" "$(cat "$IT_WORK/out")"
IT_CHECKS=$((IT_CHECKS + 1))
if [[ ${st[0]} != 124 && ${st[0]} != 137 ]]; then
  _it_ok "stdout closed early: cntr ends (status ${st[0]}) without a timeout"
else
  _it_fail "stdout closed early: cntr ends by itself" "status ${st[0]} (timeout)"
fi

it_snapshot_settled after before "$pid"
check_snapshots before after "$pid"
it_finish
