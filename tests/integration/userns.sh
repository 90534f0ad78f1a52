#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# userns.sh CNTR TARGET_APP: a target in a user namespace of its own (its
# root is the host's uid 100000, as in rootless and remapped containers).
# The session is the namespace's root; the tools' files show with their
# owners as the host has them (root's as root's, ids the target does not
# map as nobody) and stay usable: the user's home readable, host tools
# runnable, writes kept in the session's scratch; a --volume shows and takes the host's ids; what the session
# writes into the target is the target's root's; the target still cannot
# reach the tools through the session's /proc/PID/root; nothing is left.
# shellcheck disable=SC2016 # (sh -c scripts are single-quoted on purpose)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}" "${2:-}"
it_require_fuse
it_require_cmd setpriv nsenter stat
[[ -e /proc/self/ns/user ]] || it_skip "no user namespaces in this kernel"

IT_USERNS=1 it_start_target busybox "it-userns-$$"
pid=$TARGET_PID
check_match "the target's root is the host's uid $IT_USERNS_BASE" \
  "^ *0 +$IT_USERNS_BASE +65536$" "$(cat "/proc/$pid/uid_map")"
# The target's own files: the session writes them as the target's root
# (before the snapshot: this one changes the target).
run_cntr -- attach "$pid" -- sh -c 'echo x >/etc/by-session'
check_eq "a file the session makes in the target is the target's root's" \
  "$IT_USERNS_BASE" "$(stat -c %u "/proc/$pid/root/etc/by-session")"
rm -f "/proc/$pid/root/etc/by-session"

it_snapshot before "$pid"

# The user's home in the tools: a dotfile only its owner (the host's root)
# may read, and a file of an owner the target's map lacks.
echo 'secret=ok' >"$HOME/.cntr-userns-rc"
chmod 0600 "$HOME/.cntr-userns-rc"
unmapped=$IT_WORK/unmapped-owner
echo unmapped >"$unmapped"
chown 300000:300000 "$unmapped"
chmod 0644 "$unmapped"
t=/var/lib/cntr

run_cntr -- attach "$pid" -- sh -c "id; stat -c '%u %g' $t/bin/ls $t$unmapped; cat \"\$HOME/.cntr-userns-rc\"; cat $t$unmapped; ls -d /; touch $t/etc/cntr-userns-probe && stat -c 'probe %u' $t/etc/cntr-userns-probe"
check_contains "the session is the target's root" "uid=0(root) gid=0(root)" "$OUT"
check_contains "the tools' files are root's, as on the host" $'\n0 0\n' $'\n'"$OUT"
check_contains "an owner the target does not map shows as nobody" "65534 65534" "$OUT"
check_contains "the user's home is readable, its owner-only files too" "secret=ok" "$OUT"
check_contains "... and a file others may read, of whatever owner" "unmapped" "$OUT"
check_contains "host tools run" $'unmapped\n/' "$OUT"
check_contains "a write to the tools goes to the session's scratch, as the target's root" \
  "probe 0" "$OUT"
check_true "... and the host's /etc got nothing" test ! -e /etc/cntr-userns-probe

# A volume: the host's ids, both ways.
out=$IT_WORK/out-dir
mkdir -m 0755 "$out"
run_cntr -- attach -v "$out:/out" "$pid" -- sh -c 'stat -c "%u" /out; echo carried >/out/f'
check_run "the target's root writes into a volume of the host's root" 0
check_eq "... which it sees as root's" "0" "$OUT"
check_eq "what it wrote is the host's root's" "0 carried" "$(stat -c %u "$out/f") $(cat "$out/f")"

# The target's processes still cannot use the session's tools.
env "$IT_TAG" "$CNTR" attach -v "$out:/out" "$pid" -- sh -c 'echo $$ >/out/session-pid; sleep 30' \
  </dev/null >"$IT_WORK/bg.out" 2>&1 &
bg=$!
it_on_exit "kill -KILL $bg 2>/dev/null; wait $bg 2>/dev/null"
for ((n = 0; n < 100; n++)); do
  [[ -s $out/session-pid ]] && break
  sleep 0.05
done
inner=$(cat "$out/session-pid" 2>/dev/null || true)
check_match "a background session started" '^[0-9]+$' "$inner"
probe=$(nsenter -t "$pid" -U -m -p -- cat "/proc/$inner/root$t/etc/hostname" 2>&1 || true)
check_contains "the target's root cannot read the tools through the session's /proc root" \
  "Permission denied" "$probe"
kill "$bg" 2>/dev/null || true
wait "$bg" 2>/dev/null || true

run_cntr -- exec "$pid" -- id -u
check_eq "cntr exec runs as the namespace's root" "0" "$OUT"

it_snapshot_settled after before "$pid"
check_snapshots before after "$pid"
it_finish
