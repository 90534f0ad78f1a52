#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# tool-matrix.sh CNTR TARGET_APP: the tools a debugging session is for, run
# in a busybox target in both layouts (the tools at /var/lib/cntr through
# the shim, and --layout tools) and from two tools sources (the host's /,
# the default; a directory, --tools DIR: a bind of the host's / here; and an
# OCI image built here with umoci from the host's programs and the libraries
# they load, --tools-image).  A tool the host lacks is skipped with its
# name; scripts/deps.sh test installs them all.
# vim edits a target file (restored before each run, its owner and mode
# checked after); nothing is left behind.
# shellcheck disable=SC2016 # (bash -c scripts are single-quoted on purpose)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}" "${2:-}"
it_require_fuse

plant() {
  mkdir -p "$1/app"
  echo 'app-config' >"$1/app/config"
  chown 1000:1000 "$1/app/config"
  chmod 0640 "$1/app/config"
  if command -v git >/dev/null; then
    git init -q "$1/repo"
    echo tracked >"$1/repo/file"
    git -C "$1/repo" -c user.name=t -c user.email=t@t add file
    git -C "$1/repo" -c user.name=t -c user.email=t@t commit -qm init
  fi
}
IT_ROOTFS_HOOK=plant it_start_target busybox "it-matrix-$$"
pid=$TARGET_PID

# A host directory for what the session builds and runs (never the target).
vol=$IT_WORK/vol
mkdir -p "$vol"
printf '#include <stdio.h>\nint main(void){puts("ok-gcc");return 0;}\n' >"$vol/hello.c"
# Scripts of the tools (a host directory, under the tools' base dir in the
# target layout): their interpreters are the tools'.
scripts=$IT_WORK/scripts
mkdir -p "$scripts"
printf '#!/bin/sh\necho ok-script-sh\n' >"$scripts/s.sh"
printf '#!/usr/bin/env python3\nprint("ok-script-env")\n' >"$scripts/s.py"
printf '#!/bin/bash -e\necho ok-script-bash\n' >"$scripts/s.bash"
chmod 0755 "$scripts" "$scripts"/s.*

# The tools source "directory": the host's / seen through another path.
tools_dir=$IT_WORK/tools-dir
mkdir -p "$tools_dir"
mount --bind / "$tools_dir"
it_on_exit "umount -l '$tools_dir' 2>/dev/null"

have() { command -v "$1" >/dev/null; }

# The probes: one line each, "ok-NAME" when the tool did its job.  R is
# where the target's root is in the session, T where the tools are.
probes='
R=${R:-}
ls "$R/" | grep -qx app && ps -e -o comm= | grep -qx target-app && grep -q app-config "$R/app/config" &&
  find "$R/app" -name config | grep -q config && echo a | sed s/a/b/ | awk "/b/{print \"ok-basic\"}"
top -b -n 1 -w 200 | grep -q "target-app" && echo ok-top
tar -cf - -C "$R/app" config | tar -tf - | grep -qx config && echo ok-tar
file "$R/app/config" | grep -q text && echo ok-file
less -F "$R/app/config" </dev/null | grep -q app-config && echo ok-less
if command -v man >/dev/null; then MANPAGER=cat man ls 2>/dev/null | grep -q "list directory" && echo ok-man; fi
if command -v vim >/dev/null; then
  vim -u NONE -i NONE -N -es -c "%s/app-config/vim-edit/" -c wq "$R/app/config" && grep -qx vim-edit "$R/app/config" && echo ok-vim
fi
if command -v strace >/dev/null; then
  strace -f -qq -e trace=execve -o /dev/stdout sh -c true | grep -q execve && echo ok-strace
  timeout -s INT 1 strace -p "$(pidof target-app)" -e trace=none 2>&1 | grep -q attached && echo ok-strace-p
fi
if command -v gdb >/dev/null; then
  gdb -q -nx -p "$(pidof target-app)" -batch -ex bt 2>&1 | grep -q "^#0" && echo ok-gdb
fi
if command -v python3 >/dev/null; then
  python3 -c "import json, ssl, sqlite3; sqlite3.connect(\":memory:\"); print(\"ok-python\")"
fi
if command -v perl >/dev/null; then perl -MList::Util=sum -e "print sum(1,2) == 3 ? qq(ok-perl\n) : qq()"; fi
if command -v git >/dev/null; then
  git --no-optional-locks -C "$R/repo" -c safe.directory="*" status --short >/dev/null && echo ok-git
fi
if command -v gcc >/dev/null; then
  # Its headers and libraries are compiled-in paths: in the target layout,
  # the target'"'"'s, unless it is told where the tools are.
  TMPDIR=/vol gcc ${T:+--sysroot=$T} -static -o /vol/hello /vol/hello.c && /vol/hello
fi
if command -v ip >/dev/null; then
  ip link set lo up && ip addr show lo | grep -q 127.0.0.1 && echo ok-ip
  if command -v python3 >/dev/null; then
    python3 -m http.server 8099 --bind 127.0.0.1 -d "$R/app" >/dev/null 2>&1 &
    for i in $(seq 50); do ss -tln | grep -q ":8099 " && break; sleep 0.1; done
    ss -tlnp | grep ":8099 " | grep -q python3 && echo ok-ss
    if command -v curl >/dev/null; then
      curl -s "http://127.0.0.1:8099/config" | grep -q . && echo ok-curl
    fi
    if command -v tcpdump >/dev/null; then
      (sleep 0.5; curl -s -o /dev/null "http://127.0.0.1:8099/config" || :) &
      timeout 10 tcpdump -Z root -c1 -i lo -n 2>/dev/null | grep -q 127.0.0.1 && echo ok-tcpdump
    fi
    kill $! 2>/dev/null || :
  fi
fi
"$T$S/s.sh"; "$T$S/s.bash"
command -v python3 >/dev/null && "$T$S/s.py"
"$T/bin/busybox" echo ok-static
bash -c "exec /proc/self/exe -c \"echo ok-reexec\""
'

# The expectations: each probe that can run on this host.
expected_tools_layout=()
expected=(basic top tar file less script-sh script-bash static reexec)
# man-db reads its compiled-in /etc/manpath.config, the target's in the
# target layout: only the tools layout has man pages without options.
have man && expected_tools_layout=(man)
have vim && expected+=(vim)
have strace && expected+=(strace strace-p)
have gdb && expected+=(gdb)
have python3 && expected+=(python script-env)
have perl && expected+=(perl)
have git && expected+=(git)
have gcc && [[ -e /usr/lib/x86_64-linux-gnu/libc.a ]] && expected+=(gcc)
have ip && expected+=(ip)
have ip && have python3 && have ss && expected+=(ss)
have ip && have python3 && have curl && expected+=(curl)
have ip && have python3 && have tcpdump && expected+=(tcpdump)
for t in vim strace gdb python3 perl git gcc ip ss curl tcpdump man; do
  have "$t" || echo "# SKIP: $t is not installed on this host (scripts/deps.sh test installs it)"
done
[[ -x /bin/busybox ]] || it_skip "no static busybox on the host (busybox-static)"

run_matrix() { # WHAT R T ARGS...
  local what=$1 r=$2 t=$3
  shift 3
  printf 'app-config\n' >"$TARGET_ROOT/app/config"
  chown 1000:1000 "$TARGET_ROOT/app/config"
  chmod 0640 "$TARGET_ROOT/app/config"
  run_cntr -- attach -v "$vol:/vol" "$@" "$pid" -- env R="$r" T="$t" S="$scripts" bash -c "$probes"
  check_run "$what: the session runs" 0
  local e all=("${expected[@]}")
  [[ $r == /var/lib/cntr ]] && all+=("${expected_tools_layout[@]}")
  for e in "${all[@]}"; do
    check_contains "$what: $e" "ok-$e" "$OUT"
  done
  check_eq "$what: vim kept the target file's owner and mode" "1000:1000 640" \
    "$(stat -c '%u:%g %a' "$TARGET_ROOT/app/config")"
}

# The image: the matrix's programs whose files are few (no interpreter with
# a library tree of its own: python3, perl, gcc and gdb stay out), each with
# the libraries ldd lists, Debian's merged-/usr layout, file's magic.
image_tools=(bash ls ps grep find sed awk tar file less top vim.basic strace ip git env pidof timeout)
image_expected=(basic top tar file less script-sh script-bash static reexec vim strace strace-p ip git)
build_image() { # OCI_DIR
  local root=$IT_WORK/image-root bin p
  mkdir -p "$root"/usr/{bin,lib,lib64,share/misc} "$root/etc" "$root/tmp"
  ln -s usr/bin "$root/bin"
  ln -s usr/lib "$root/lib"
  ln -s usr/lib64 "$root/lib64"
  for p in "${image_tools[@]}" sh; do
    bin=$(command -v "$p") || return 1
    cp -L "$bin" "$root/usr/bin/$(basename "$bin")"
    it_copy_libraries "$root" "$bin"
  done
  ln -s vim.basic "$root/usr/bin/vim"
  cp /bin/busybox "$root/usr/bin/busybox"
  cp -L /usr/share/misc/magic.mgc "$root/usr/share/misc/magic.mgc"
  # top asks terminfo for its terminal even in batch mode.
  [[ -d /usr/lib/terminfo ]] && cp -a /usr/lib/terminfo "$root/usr/lib/"
  mkdir -p "$root$scripts"
  cp -a "$scripts/." "$root$scripts/"
  umoci init --layout "$1"
  umoci new --image "$1:matrix"
  umoci unpack --image "$1:matrix" "$IT_WORK/bundle" >/dev/null
  cp -a "$root/." "$IT_WORK/bundle/rootfs/"
  umoci repack --image "$1:matrix" "$IT_WORK/bundle"
  rm -rf "$IT_WORK/bundle" "$root"
}

run_matrix "host tools, target layout" "" /var/lib/cntr
run_matrix "host tools, tools layout" /var/lib/cntr "" --layout tools
run_matrix "tools directory, target layout" "" /var/lib/cntr --tools "$tools_dir"
run_matrix "tools directory, tools layout" /var/lib/cntr "" --layout tools --tools "$tools_dir"

if ! have umoci; then
  echo "# SKIP: the image source: umoci is not installed (scripts/deps.sh test installs it)"
elif ! [[ -r /usr/share/misc/magic.mgc ]] || ! build_image "$IT_WORK/oci"; then
  echo "# SKIP: the image source: a program of the image is missing on this host"
else
  # Never the machine's real cache.
  export CNTR_CACHE_DIR=$IT_WORK/cache
  expected=("${image_expected[@]}") expected_tools_layout=()
  run_matrix "tools image, target layout" "" /var/lib/cntr --tools-image "oci:$IT_WORK/oci:matrix"
  run_matrix "tools image, tools layout" /var/lib/cntr "" --layout tools \
    --tools-image "oci:$IT_WORK/oci:matrix"
fi

it_finish
