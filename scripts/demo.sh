#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The demo: on a fresh Debian 12 machine, as root, from a clone of the
# repository:   bash scripts/demo.sh
# Installs the build dependencies, builds cntr into build/, starts the
# bundled FROM-scratch style target (one static binary, no shell, no libc)
# in its own namespaces - no container runtime needed - and attaches the
# host's tools to it. From a terminal it ends in an interactive session.
# The target and its root filesystem are removed at the end, also on Ctrl-C
# or failure. Safe to run again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ $(id -u) -ne 0 ]]; then
  echo "demo.sh: run as root (cntr needs namespaces, mounts and /dev/fuse)" >&2
  exit 1
fi

if [[ -t 1 ]]; then
  bold=$'\e[1m' dim=$'\e[2m' off=$'\e[0m'
else
  bold='' dim='' off=''
fi
say() { printf '\n%s==> %s%s\n' "$bold" "$*" "$off"; }
note() { printf '%s    %s%s\n' "$dim" "$*" "$off"; }

# run COMMAND...: show it as typed, run it, show a non-zero status instead
# of stopping (some of the demo's commands are meant to fail).
run() {
  local rc=0 a shown=''
  for a in "$@"; do
    a=${a#"$PWD"/}
    [[ $a =~ [^-A-Za-z0-9_./=:,+] ]] && a="'$a'"
    shown+=" $a"
  done
  printf '%s#%s%s\n' "$bold" "$shown" "$off"
  "$@" || rc=$?
  if ((rc != 0)); then
    note "(exit status $rc)"
  fi
  return 0
}

say "Installing build dependencies (only what is missing)"
if [[ -f scripts/deps.sh ]]; then
  bash scripts/deps.sh build
else
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends cmake gcc make pkg-config libc6-dev \
    libfuse3-dev fuse3 libcap-dev libmount-dev libcmocka-dev procps >/dev/null
fi
modprobe fuse 2>/dev/null || true

say "Building cntr into build/"
mkdir -p build
if ! { cmake -S . -B build && cmake --build build -j2; } >build/demo-build.log 2>&1; then
  tail -n 40 build/demo-build.log >&2
  echo "demo.sh: the build failed; the full log is build/demo-build.log" >&2
  exit 1
fi
CNTR=$PWD/build/src/cntr
APP=$PWD/build/tests/integration/target-app
note "built $CNTR"

# The plain-namespace launcher, root filesystem builders and cleanup trap
# of the integration tests.
# shellcheck source-path=SCRIPTDIR source=../tests/integration/lib.sh
source tests/integration/lib.sh
it_init "$CNTR" "$APP"
it_require_fuse

say "Starting a FROM-scratch style target in its own namespaces"
note "mount, PID, UTS, IPC and network namespaces (unshare), its own root (pivot_root);"
note "its root filesystem holds one static program, /etc/passwd, /etc/group, /etc/hostname."
it_start_target scratch demo-scratch
pid=$TARGET_PID
note "target: host PID $pid, hostname $TARGET_HOSTNAME"
note "its whole root filesystem, seen from the host (/proc/$pid/root):"
(cd "/proc/$pid/root" && find . -path ./proc -prune -o -path ./dev -prune -o -print | sed 's/^/      /')

say "/ in a session is the target's root"
run "$CNTR" attach "$pid" -- ls -la /
run "$CNTR" attach "$pid" -- cat /etc/hostname
note "the target has no shell and no /bin - its own tools are missing:"
run "$CNTR" attach "$pid" -- ls /bin

say "The host's tools run in it anyway, found by name"
note "they are served at /var/lib/cntr by cntr's FUSE server (CNTR_BASE_DIR moves them)"
run "$CNTR" attach "$pid" -- ls -C /var/lib/cntr
run "$CNTR" attach "$pid" -- bash --version
run "$CNTR" attach "$pid" -- ps -e
note "ps shows the target's PID namespace: its app is PID 1"
run "$CNTR" attach "$pid" -- grep -n root /etc/passwd
run "$CNTR" attach "$pid" -- sh -c 'echo "exit status comes back"; exit 3'

if [[ -t 0 && -t 1 ]]; then
  say "Interactive session: your login shell inside the target"
  note "try: ls /; ps -e; hostname; cat /etc/passwd; ls /var/lib/cntr"
  note "type 'exit' to leave; the target is then stopped and removed."
  run "$CNTR" attach "$pid"
else
  say "No terminal: skipping the interactive session (run 'bash scripts/demo.sh' from a terminal)"
fi

say "Stopping the target and removing its root filesystem"
