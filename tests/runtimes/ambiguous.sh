#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2317 # (functions called through it_on_exit and rt_wait_for)
#
# ambiguous.sh CNTR TARGET_APP: the same name in two runtimes (runc and
# systemd-nspawn, both daemonless) is an error that lists both and the
# schemes to pick one with; each scheme then finds its own.
set -euo pipefail
# shellcheck disable=SC2034 # (used by lib.sh)
IT_NAME=runtimes.ambiguous
# shellcheck source-path=SCRIPTDIR source=lib-rt.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-rt.sh"
it_init "${1:-}" "${2:-}"
it_require_cmd runc systemd-nspawn
it_require_fuse

name=cntrt$$-dup
b=$IT_WORK/bundle
mkdir -p "$b"
rt_rootfs scratch "$b/rootfs" "hn-runc"
(cd "$b" && runc spec)
sed -i -e 's|"sh"|"/target-app", "ready"|' -e 's|"terminal": true|"terminal": false|' "$b/config.json"
it_on_exit "runc kill $name KILL >/dev/null 2>&1; sleep 0.2; runc delete --force $name >/dev/null 2>&1"
(cd "$b" && runc run -d --pid-file "$IT_WORK/runc.pid" "$name" </dev/null >"$IT_WORK/runc.log" 2>&1) ||
  it_skip "runc run failed here: $(cat "$IT_WORK/runc.log")"
rpid=$(cat "$IT_WORK/runc.pid")

rt_rootfs scratch "$IT_WORK/machine" "hn-nspawn"
mkdir -p "$IT_WORK/machine/usr"
setpriv --pdeathsig KILL systemd-nspawn --quiet --register=no --keep-unit --private-network \
  --console=passive -D "$IT_WORK/machine" -M "$name" /target-app ready </dev/null >"$IT_WORK/nspawn.log" 2>&1 &
npid=$!
it_on_exit "kill -TERM $npid 2>/dev/null; it_wait_gone 10 $npid || kill -KILL $npid 2>/dev/null; wait $npid 2>/dev/null"
nspawn_up() {
  local c
  c=$(it_children "$npid" | head -1)
  [[ -n $c && $(cat "/proc/$c/comm" 2>/dev/null) == target-app ]]
}
rt_wait_for 10 nspawn_up ||
  it_skip "systemd-nspawn does not start here: $(cat "$IT_WORK/nspawn.log")"

run_cntr -- attach "$name" -- cat /etc/hostname
check_cntr_error "a name in two runtimes is refused"
check_contains "... as ambiguous" "ambiguous" "$ERR"
check_contains "... listing the nspawn one" "nspawn container $name" "$ERR"
check_contains "... and the runc one" "runc container $name" "$ERR"
check_contains "... with the schemes to pick one" "nspawn://$name or runc://$name" "$ERR"
run_cntr -- attach "runc://$name" -- cat /etc/hostname
check_eq "runc://NAME picks runc's" "hn-runc" "$OUT"
run_cntr -- attach "nspawn://$name" -- cat /etc/hostname
check_eq "nspawn://NAME picks nspawn's" "hn-nspawn" "$OUT"
run_cntr -- attach -t nspawn "$name" -- cat /etc/hostname
check_eq "-t nspawn NAME picks nspawn's" "hn-nspawn" "$OUT"
run_cntr -- ps
check_match "cntr ps lists both" "^nspawn +$name " "$OUT"
check_match "... both" "^runc +$name " "$OUT"

runc kill "$name" KILL
kill -TERM "$npid"
rt_check_gone "$rpid" "$npid"
rt_wait_for 5 runc delete --force "$name" || true
it_finish
