#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# hostile.sh CNTR TARGET_APP HOSTILE_APP: targets that attack the session
# that debugs them, each attack as a compromised container would try it
# (plain-namespace targets, no runtime), and each must fail while the
# session still works:
#   - a root target with docker's default capabilities scans
#     /proc/*/fd/* during attaches for a host directory fd;
#   - loader and shell injection through the target's environment
#     (LD_PRELOAD, BASH_ENV, ENV, PROMPT_COMMAND in PID 1's environment);
#   - a uid-1000 target runs a setuid-root program of the host's tools;
#   - a target renames the directory its base dir's mount sits in and
#     plants its own "tools" there, while a session runs;
#   - a seccomp-filtered target: the session may do no more than it;
#   - a uid-1000 target without devpts: the session's terminal is no pty
#     of the host's (it has a devpts of its own), and never one owned by
#     the target's uid;
#   - a default interactive session whose .bashrc writes into $HOME, as
#     pyenv init does: the host's files stay as they were;
#   - a target whose /etc/ld.so.preload names its own library;
#   - a target whose nsswitch.conf and gconv-modules name its own libraries
#     in its system library directories;
#   - a target with its own /etc/profile, /etc/bash.bashrc and /etc/inputrc:
#     a default session, interactive or scripted, runs none of them;
#   - cntr mount -r of a target whose symlinks point at the host's files,
#     absolute and climbing with ..: a host reader stays in the mount, and
#     a host writer writes nothing;
#   - a root target reading the host's secrets through the tools: root-only
#     files, the user's credential stores, the host's /proc (another
#     process's environ) and /run; all readable with --host-secrets.
# shellcheck disable=SC2016 # (sh -c scripts are single-quoted on purpose)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}" "${2:-}"
HOSTILE_APP=${3:-}
it_require_fuse
[[ -x $HOSTILE_APP ]] || it_skip "the hostile app '$HOSTILE_APP' is not built"

# --- host fds: the scanner never reaches the host's /
marker=citest-pwned-$$
it_on_exit "rm -f /tmp/$marker"
plant_hostile() { install -m 0755 "$HOSTILE_APP" "$1/hostile"; }
IT_ROOTFS_HOOK=plant_hostile IT_TARGET_ARGS="--caps docker --spawn /hostile%scan-fds%$marker" \
  it_start_target scratch "it-hostile-fds-$$"
pid=$TARGET_PID
it_snapshot before "$pid"
ok=0
for ((i = 0; i < 30; i++)); do
  run_cntr -- attach "$pid" -- true
  [[ $RC == 0 ]] && ok=$((ok + 1))
  run_cntr -- attach "$pid" -- no-such-command-$$
done
check_eq "30 sessions ran beside the scanner" 30 "$ok"
check_true "no file appeared in the host's /tmp" test ! -e "/tmp/$marker"
check_not_contains "the scanner never opened a host directory" "PWNED" "$(cat "$TARGET_LOG")"
it_snapshot_settled after before "$pid"
check_snapshots before after "$pid"

# --- the target's environment runs nothing in the session
plant_startup() {
  printf 'echo PWNED-shell-startup\n' >"$1/evil.sh"
  if command -v gcc >/dev/null; then
    printf '#include <unistd.h>\n__attribute__((constructor)) static void pwn(void) { write(2, "PWNED-preload\\n", 14); }\n' >"$IT_WORK/evil.c"
    gcc -shared -fPIC -o "$1/evil.so" "$IT_WORK/evil.c"
  fi
}
IT_ROOTFS_HOOK=plant_startup \
  IT_TARGET_ENV="LD_PRELOAD=/evil.so BASH_ENV=/evil.sh ENV=/evil.sh PROMPT_COMMAND=/evil.sh APP_SETTING=kept" \
  it_start_target scratch "it-hostile-env-$$"
pid=$TARGET_PID
run_cntr -- attach "$pid" -- bash -c 'echo "session ran, APP_SETTING=$APP_SETTING"'
check_run "bash -c runs in a target whose environment injects" 0
check_eq "bash read no BASH_ENV of the target, and the application's own variables came" \
  "session ran, APP_SETTING=kept" "$OUT"
check_not_contains "no target code ran (stderr)" "PWNED" "$ERR"
echo 'echo interactive-ran' >"$IT_WORK/script"
run_cntr --stdin "$IT_WORK/script" -- attach "$pid" -- sh -i
check_contains "sh -i ran the commands" "interactive-ran" "$OUT"
check_not_contains "sh -i read no ENV of the target" "PWNED" "$OUT$ERR"
if [[ -e $TARGET_ROOT/evil.so ]]; then
  run_cntr -- attach "$pid" -- ls /
  check_run "ls runs in a target whose LD_PRELOAD names its own library" 0
  check_not_contains "the tools' loader preloaded nothing of the target" "PWNED" "$ERR"
fi
run_cntr -- attach -e LD_PRELOAD -e APP_SETTING=mine "$pid" -- sh -c 'echo "${LD_PRELOAD-unset} $APP_SETTING"'
check_eq "--env sets and removes what the user asks" "unset mine" "$OUT"

# --- setuid programs of the tools do not raise privileges
probe=$IT_WORK/suid-probe
printf '#include <stdio.h>\n#include <unistd.h>\nint main(void) { printf("euid=%%d\\n", (int)geteuid()); return 0; }\n' >"$IT_WORK/probe.c"
gcc -static -O2 -o "$probe" "$IT_WORK/probe.c" || it_skip "cannot build a static probe (libc6-dev?)"
chmod 4755 "$probe"
IT_TARGET_ARGS="--uid 1000" it_start_target scratch "it-hostile-suid-$$"
pid=$TARGET_PID
run_cntr -- attach "$pid" -- "/var/lib/cntr$probe"
check_run "a uid-1000 target runs a setuid-root tool" 0
check_eq "... with its own uid, not root's" "euid=1000" "$OUT"
run_cntr -- attach "$pid" -- sh -c 'grep " /var/lib/cntr " /proc/self/mounts'
check_match "the tools are mounted nosuid" ' fuse\.cntr [^ ]*nosuid' "$OUT"

# --- the base dir's path cannot be swapped under a session
plant_var_lib() { mkdir -p "$1/var/lib/app"; }
IT_ROOTFS_HOOK=plant_var_lib it_start_target busybox "it-hostile-swap-$$"
pid=$TARGET_PID
root=$TARGET_ROOT
env "$IT_TAG" timeout -k 5 60 "$CNTR" attach "$pid" -- \
  sh -c 'while [ ! -e /etc/go ]; do sleep 0.05; done; cat /var/lib/cntr/etc/debian_version' \
  </dev/null >"$IT_WORK/swap.out" 2>"$IT_WORK/swap.err" &
swap_pid=$!
it_on_exit "kill -KILL $swap_pid 2>/dev/null"
for ((n = 0; n < 100; n++)); do
  [[ -n $(it_pids_with_cmdline '*while \[ ! -e /etc/go \]*') ]] && break
  sleep 0.1
done
mv "$root/var/lib" "$root/var/lib.away"
mkdir -p "$root/var/lib/cntr/usr/bin" "$root/var/lib/cntr/bin"
printf '#!/bin/sh\necho PWNED-swapped\n' >"$root/var/lib/cntr/usr/bin/cat"
chmod 0755 "$root/var/lib/cntr/usr/bin/cat"
touch "$root/etc/go"
set +e
wait "$swap_pid"
rc=$?
set -e
check_eq "the session ends well after the target renamed /var/lib" 0 "$rc"
check_eq "the session still ran the tools' cat" "$(cat /etc/debian_version)" "$(cat "$IT_WORK/swap.out")"
check_not_contains "not the target's planted one" "PWNED" "$(cat "$IT_WORK/swap.out" "$IT_WORK/swap.err")"

# --- the target's seccomp filter applies to the session
IT_TARGET_ARGS="--deny-unshare --caps docker" it_start_target busybox "it-hostile-seccomp-$$"
pid=$TARGET_PID
check_match "the target runs with a filter" '^Seccomp:[[:space:]]+2' "$(cat "/proc/$pid/status")"
run_cntr -- attach "$pid" -- sh -c 'grep ^Seccomp: /proc/self/status; unshare -U true && echo unshared'
check_run "a session runs in a seccomp-filtered target" 1
check_match "the command runs with the target's filter" '^Seccomp:[[:space:]]+2' "$OUT"
check_not_contains "unshare is refused to the session as to the target" "unshared" "$OUT"
check_contains "... with the filter's EPERM" "Operation not permitted" "$ERR"
run_cntr -- attach --no-seccomp "$pid" -- sh -c 'unshare -U true && echo unshared'
check_contains "--no-seccomp: without the filter" "unshared" "$OUT"
check_contains "--no-seccomp: says so" "warning: pid $pid has a seccomp filter" "$ERR"

# --- a target without devpts: the host pty is not given to its uid
if command -v tmux >/dev/null; then
  IT_NO_DEVPTS=1 IT_TARGET_ARGS="--uid 1000" it_start_target scratch "it-hostile-pty-$$"
  pid=$TARGET_PID
  sock=$IT_WORK/tmux.sock
  # cntr's stdin and stdout are the pane's terminal, so the session has one.
  tmux -S "$sock" -f /dev/null new-session -d -s it -x 100 -y 20 \
    "env $IT_TAG $CNTR attach $pid -- sh -c 'echo owner=\$(stat -L -c %u /proc/self/fd/0) dev=\$(stat -L -c %d /proc/self/fd/0) tty=\$(test -t 0 && echo yes)'; sleep 600"
  it_on_exit "tmux -S '$sock' kill-server 2>/dev/null"
  for ((n = 0; n < 100; n++)); do
    pane=$(tmux -S "$sock" capture-pane -p -t it)
    grep -q owner= <<<"$pane" && break
    sleep 0.1
  done
  check_match "a session with a terminal ran in a target without devpts" '^owner=[0-9]+ dev=[0-9]+ tty=yes' "$pane"
  host_pts=$(stat -c %d /dev/pts/ptmx)
  IT_CHECKS=$((IT_CHECKS + 1))
  if grep -q "dev=$host_pts " <<<"$pane" && grep -q "owner=1000 " <<<"$pane"; then
    _it_fail "the session's terminal is a host pty owned by the target's uid" "$pane"
  else
    _it_ok "the session's terminal is not a host pty owned by the target's uid"
  fi
  check_not_contains "... it is no pty of the host's devpts" "dev=$host_pts " "$pane"
fi

# --- the host is not written: a pyenv-like .bashrc in a default session
if command -v tmux >/dev/null; then
  it_start_target busybox "it-hostile-home-$$"
  pid=$TARGET_PID
  mkdir -p "$HOME/.pyenv/shims"
  printf '#!/bin/sh\nPYENV_ROOT=%s/.pyenv\n' "$HOME" >"$HOME/.pyenv/shims/python3"
  printf '[ -n "$BASH" ] && . "$HOME/.bashrc"\n' >"$HOME/.profile"
  # What pyenv rehash does: rewrite every shim with the path it runs from.
  printf 'for f in "$HOME"/.pyenv/shims/*; do printf "#!/bin/sh\\nPYENV_ROOT=%%s/.pyenv\\n" "$HOME" >"$f"; done 2>/dev/null\necho rc-ran\n' >"$HOME/.bashrc"
  find "$HOME" -type f -printf '%P %s %T@\n' | sort >"$IT_WORK/home.before"
  cp "$HOME/.pyenv/shims/python3" "$IT_WORK/shim.before"
  sock=$IT_WORK/tmux-home.sock
  tmux -S "$sock" -f /dev/null new-session -d -s it -x 100 -y 20 \
    "env $IT_TAG $CNTR attach $pid; sleep 600"
  it_on_exit "tmux -S '$sock' kill-server 2>/dev/null"
  for ((n = 0; n < 100; n++)); do
    pane=$(tmux -S "$sock" capture-pane -p -t it)
    grep -q rc-ran <<<"$pane" && break
    sleep 0.1
  done
  check_contains "the default session is a login shell that ran the user's .bashrc" "rc-ran" "$pane"
  tmux -S "$sock" send-keys -t it -l 'exit'
  tmux -S "$sock" send-keys -t it Enter
  sleep 0.5
  find "$HOME" -type f -printf '%P %s %T@\n' | sort >"$IT_WORK/home.after"
  check_files_eq "the host's HOME is as it was (no file added, changed or touched)" \
    "$IT_WORK/home.before" "$IT_WORK/home.after"
  check_files_eq "the host's pyenv shim is byte-identical" "$IT_WORK/shim.before" "$HOME/.pyenv/shims/python3"
fi

# --- the tools' loader never reads the target's /etc/ld.so.preload
if command -v gcc >/dev/null; then
  plant_preload() {
    printf '#include <unistd.h>\n__attribute__((constructor)) static void pwn(void) { write(2, "PWNED-ld.so.preload\\n", 20); }\n' >"$IT_WORK/preload.c"
    gcc -shared -fPIC -o "$1/evil.so" "$IT_WORK/preload.c"
    echo /evil.so >"$1/etc/ld.so.preload"
  }
  IT_ROOTFS_HOOK=plant_preload it_start_target scratch "it-hostile-preload-$$"
  run_cntr -- attach "$TARGET_PID" -- ls /etc
  check_run "a host tool runs in a target with an /etc/ld.so.preload" 0
  check_contains "... listing the target's /etc" "ld.so.preload" "$OUT"
  check_not_contains "... without loading the library it names" "PWNED" "$ERR"
fi

# --- the tools load no library of the target's: not the NSS module its
# nsswitch.conf names, not a gconv module of its charsets
if command -v gcc >/dev/null; then
  plant_libraries() {
    local ma
    ma=$(gcc -dumpmachine)
    printf '#include <unistd.h>\n__attribute__((constructor)) static void pwn(void) { write(2, "PWNED-library\\n", 14); }\n' >"$IT_WORK/library.c"
    mkdir -p "$1/lib/$ma" "$1/usr/lib/$ma/gconv"
    gcc -shared -fPIC -o "$1/lib/$ma/libnss_evil.so.2" "$IT_WORK/library.c"
    cp "$1/lib/$ma/libnss_evil.so.2" "$1/usr/lib/libnss_evil.so.2"
    printf 'passwd: evil files\ngroup: evil files\nhosts: evil files\n' >"$1/etc/nsswitch.conf"
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$1/etc/passwd"
    printf 'root:x:0:\n' >"$1/etc/group"
    printf 'module EVIL// INTERNAL EVIL 1\nmodule INTERNAL EVIL// EVIL 1\n' >"$1/usr/lib/$ma/gconv/gconv-modules"
    cp "$1/lib/$ma/libnss_evil.so.2" "$1/usr/lib/$ma/gconv/EVIL.so"
  }
  IT_ROOTFS_HOOK=plant_libraries it_start_target scratch "it-hostile-libraries-$$"
  run_cntr -- attach "$TARGET_PID" -- id
  check_run "id runs in a target whose nsswitch.conf names its own module" 0
  check_eq "... and finds root in the target's /etc/passwd" "uid=0(root) gid=0(root) groups=0(root)" "$OUT"
  check_not_contains "... without loading the target's NSS module" "PWNED" "$ERR"
  run_cntr -- attach "$TARGET_PID" -- sh -c 'echo x | iconv -f EVIL -t UTF-8'
  check_not_contains "iconv of the target's charset loads no gconv module of the target's" \
    "PWNED" "$OUT$ERR"
  check_true "... and fails instead" test "$RC" -ne 0
fi

# --- the target's shell startup files are not the session's
plant_profile() {
  printf 'echo PWNED-etc-profile\n' >"$1/etc/profile"
  printf 'echo PWNED-bash.bashrc\n' >"$1/etc/bash.bashrc"
  printf '"\\C-l": "echo PWNED-inputrc\\n"\n' >"$1/etc/inputrc"
  mkdir -p "$1/etc/profile.d"
  printf 'echo PWNED-profile.d\n' >"$1/etc/profile.d/x.sh"
}
IT_ROOTFS_HOOK=plant_profile it_start_target busybox "it-hostile-profile-$$"
pid=$TARGET_PID
printf 'echo "user-rc-ran"\n' >"$HOME/.bashrc"
printf '. "$HOME/.bashrc"\n' >"$HOME/.profile"
echo 'echo scripted-ran' >"$IT_WORK/script"
run_cntr --stdin "$IT_WORK/script" -- attach "$pid"
check_contains "a scripted default session runs" "scripted-ran" "$OUT"
check_not_contains "... and none of the target's startup files" "PWNED" "$OUT$ERR"
if command -v tmux >/dev/null; then
  sock=$IT_WORK/tmux-profile.sock
  tmux -S "$sock" -f /dev/null new-session -d -s it -x 100 -y 20 \
    "env $IT_TAG $CNTR attach $pid; sleep 600"
  it_on_exit "tmux -S '$sock' kill-server 2>/dev/null"
  for ((n = 0; n < 100; n++)); do
    pane=$(tmux -S "$sock" capture-pane -p -t it)
    grep -q '(cntr)' <<<"$pane" && break
    sleep 0.1
  done
  check_contains "an interactive default session reads the user's dotfiles" "user-rc-ran" "$pane"
  check_contains "... and says where one is" "(cntr) " "$pane"
  check_not_contains "... and runs none of the target's startup files" "PWNED" "$pane"
  # The target's inputrc binds Ctrl-L to a command line of its own.
  tmux -S "$sock" send-keys -t it C-l
  sleep 0.3
  pane=$(tmux -S "$sock" capture-pane -p -t it)
  check_not_contains "... nor its key bindings" "PWNED" "$pane"
  tmux -S "$sock" send-keys -t it -l 'exit'
  tmux -S "$sock" send-keys -t it Enter
fi

# --- cntr mount -r: the target's links lead nowhere on the host
victim=$IT_WORK/victim
echo host-victim >"$victim"
plant_links() {
  echo target-shadow >"$1/etc/shadow"
  ln -s /etc/shadow "$1/etc/abs"
  ln -s ../../../../../../etc/shadow "$1/etc/rel"
  ln -s "$victim" "$1/etc/host-path"
}
IT_ROOTFS_HOOK=plant_links it_start_target busybox "it-hostile-links-$$"
mnt=$IT_WORK/evidence
mkdir -p "$mnt"
run_cntr -- mount -r "$TARGET_PID" "$mnt"
check_run "cntr mount -r of the target" 0
it_on_exit "umount -l '$mnt' 2>/dev/null"
check_eq "an absolute link is the target's file" "target-shadow" "$(cat "$mnt/etc/abs" 2>&1)"
check_eq "... presented inside the mount" "$mnt/etc/shadow" "$(readlink "$mnt/etc/abs")"
check_eq "a link climbing with .. stays in the mount" "target-shadow" "$(cat "$mnt/etc/rel" 2>&1)"
check_contains "a link to a host path does not reach the host's file" "No such file" \
  "$(cat "$mnt/etc/host-path" 2>&1)"
set +e
(echo pwned >"$mnt/etc/host-path") 2>/dev/null
(echo pwned >"$mnt/etc/abs") 2>/dev/null
set -e
check_eq "writing through it changes no host file" "host-victim" "$(cat "$victim")"
check_eq "... nor the target's" "target-shadow" "$(cat "$TARGET_ROOT/etc/shadow")"
check_match "the mount is nosuid and nodev" " $mnt [^ ]*(nosuid[^ ]*nodev|nodev[^ ]*nosuid)" \
  "$(grep " $mnt " /proc/self/mountinfo)"
umount "$mnt"

# --- the host's secrets stay on the host
it_start_target busybox "it-hostile-secrets-$$"
pid=$TARGET_PID
mkdir -p "$HOME/.ssh" "$HOME/.docker" "$HOME/.config"
echo host-ssh-key >"$HOME/.ssh/id_ed25519"
echo '{"auths":{}}' >"$HOME/.docker/config.json"
echo 'machine x password hunter2' >"$HOME/.netrc"
echo 'alias ll="ls -l"' >"$HOME/.bash_aliases"
chmod 0700 "$HOME/.ssh"
chmod 0600 "$HOME/.netrc" "$HOME/.ssh/id_ed25519"
# A host process with a secret in its environment.
env CNTR_TEST_SECRET=s3cr3t-$$ sleep 600 &
secret_pid=$!
it_on_exit "kill $secret_pid 2>/dev/null"
t=/var/lib/cntr
probe="for f in $t/etc/shadow $t$HOME/.ssh/id_ed25519 $t$HOME/.docker/config.json $t$HOME/.netrc $t/proc/$secret_pid/environ; do cat \$f >/dev/null 2>&1 && echo read:\$f || echo denied:\$f; done; cat $t$HOME/.bash_aliases; cat $t/etc/hostname; ls $t/proc | wc -l; ls $t/run | wc -l; ls $t/sys | wc -l"
run_cntr -- attach "$pid" -- sh -c "$probe"
check_run "a session runs while the host's secrets are protected" 0
for f in /etc/shadow "$HOME/.ssh/id_ed25519" "$HOME/.docker/config.json" "$HOME/.netrc" "/proc/$secret_pid/environ"; do
  check_contains "a root target cannot read the host's $f" "denied:$t$f" "$OUT"
done
check_contains "the user's own dotfiles are read" 'alias ll="ls -l"' "$OUT"
check_contains "world-readable host files are read" "$(cat /etc/hostname)" "$OUT"
check_eq "the host's /proc, /run and /sys look empty" $'0\n0\n0' "$(tail -n 3 <<<"$OUT")"
run_cntr -- attach --host-secrets "$pid" -- sh -c "$probe"
for f in /etc/shadow "$HOME/.ssh/id_ed25519" "$HOME/.netrc" "/proc/$secret_pid/environ"; do
  check_contains "--host-secrets: $f is read" "read:$t$f" "$OUT"
done
check_contains "--host-secrets says so" "warning: --host-secrets" "$ERR"

it_finish
