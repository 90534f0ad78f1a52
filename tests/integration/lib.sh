# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Shared library of the integration tests (and of scripts/demo.sh).
#
# Source it from a bash script that runs with `set -euo pipefail`, then call
#   it_init CNTR_BINARY TARGET_APP
# to get: a private work directory ($IT_WORK, removed at exit), an EXIT trap
# that undoes everything registered with it_on_exit (in reverse order), the
# helpers below. Nothing here forks a process that outlives the script: the
# targets are started under PR_SET_PDEATHSIG and stopped by PID.
#
# Sections: messages and skips - assertions - running cntr - root
# filesystems - the plain-namespace target launcher - snapshots.

# ---------------------------------------------------------------------------
# Messages, skips, cleanup

IT_NAME=${IT_NAME:-$(basename "${0%.sh}")}
IT_FAILURES=0
IT_CHECKS=0
IT_CLEANUPS=()
IT_WORK=
IT_TAG=
CNTR=${CNTR:-}
TARGET_APP=${TARGET_APP:-}

it_log() { printf '# %s\n' "$*" >&2; }

# it_skip REASON: the test cannot run here; ctest counts exit 77 as skipped.
it_skip() {
  printf 'SKIP: %s\n' "$*"
  exit 77
}

# it_fatal MESSAGE: stop the test now (the EXIT trap still cleans up).
it_fatal() {
  printf 'FAIL: %s\n' "$*" >&2
  IT_FAILURES=$((IT_FAILURES + 1))
  exit 1
}

# it_on_exit COMMAND...: run COMMAND (a string for eval) at exit, last
# registered first. Each runs even if an earlier one failed.
it_on_exit() { IT_CLEANUPS+=("$*"); }

_it_exit() {
  local rc=$? i
  trap - EXIT INT TERM HUP
  set +e
  for ((i = ${#IT_CLEANUPS[@]} - 1; i >= 0; i--)); do
    eval "${IT_CLEANUPS[i]}"
  done
  if [[ -n $IT_WORK && -d $IT_WORK ]]; then
    rm -rf --one-file-system -- "$IT_WORK"
  fi
  if ((rc == 0 && IT_FAILURES > 0)); then
    rc=1
  fi
  exit "$rc"
}

_it_err() {
  [[ $- == *e* ]] || return 0 # (between set +e and set -e: handled there)
  trap - ERR
  printf 'FAIL: %s: command failed (status %s): %s\n' "$2" "$1" "$3" >&2
  IT_FAILURES=$((IT_FAILURES + 1))
}

# it_finish: end of a test script: summary and exit status.
it_finish() {
  if ((IT_FAILURES > 0)); then
    printf '%s: %d of %d checks FAILED\n' "$IT_NAME" "$IT_FAILURES" "$IT_CHECKS" >&2
    exit 1
  fi
  printf '%s: all %d checks passed\n' "$IT_NAME" "$IT_CHECKS"
  exit 0
}

it_require_root() {
  [[ $(id -u) -eq 0 ]] || it_skip "needs root (namespaces, mounts, FUSE)"
}

it_require_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || it_skip "needs '$c' (not installed)"
  done
}

it_require_fuse() {
  [[ -c /dev/fuse ]] || it_skip "no /dev/fuse (modprobe fuse)"
  # Opening it is the real test: a device cgroup may deny it.
  { : </dev/fuse; } 2>/dev/null || it_skip "/dev/fuse cannot be opened here"
}

# it_init CNTR_BINARY TARGET_APP: common setup of every test script.
it_init() {
  CNTR=${1:-${CNTR:-}}
  TARGET_APP=${2:-${TARGET_APP:-}}
  it_require_root
  trap _it_exit EXIT
  # A command that fails outside a check ends the test (set -e): say where.
  set -E
  trap '_it_err $? "${BASH_SOURCE[0]##*/}:$LINENO" "$BASH_COMMAND"' ERR
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
  # Not named cntr*: the snapshots look for leftovers named like that.
  IT_WORK=$(mktemp -d /tmp/citest.XXXXXXXX)
  chmod 0755 "$IT_WORK"
  # The session's login shell runs $HOME's dotfiles from the tools tree, the
  # host's live and writable /: never the machine's real ones in a test
  # (pyenv rehash in a real .bashrc rewrites the host's shims).
  mkdir -m 0700 "$IT_WORK/home"
  export HOME=$IT_WORK/home
  # Every cntr we start carries this in its environment, so that its
  # processes are found even after they were reparented (and only ours are,
  # when ctest runs tests in parallel).
  IT_TAG="CNTR_IT_TAG=$$.$RANDOM"
  [[ -n $TARGET_APP ]] || TARGET_APP=$(it_build_target_app)
  [[ -x $TARGET_APP ]] || it_fatal "target app '$TARGET_APP' is not executable"
  if [[ -n $CNTR ]]; then
    [[ -x $CNTR ]] || it_skip "cntr binary '$CNTR' not built"
    CNTR=$(realpath "$CNTR")
  fi
}

# it_build_target_app: compile tests/fixtures/target.c when no binary was
# given (running a script by hand); prints the path.
it_build_target_app() {
  local src out
  src=$(dirname "${BASH_SOURCE[0]}")/../fixtures/target.c
  out=$IT_WORK/target-app
  gcc -static -O2 -D_GNU_SOURCE -o "$out" "$src" >&2 || it_skip "cannot build the static target app (libc6-dev?)"
  printf '%s\n' "$out"
}

# ---------------------------------------------------------------------------
# Assertions: each prints "ok - WHAT" or what was expected and what came,
# counts failures and lets the test go on (it_finish reports): they return 0
# either way (set -e), and leave "ok" or "fail" in IT_LAST.
IT_LAST=''
it_last_failed() { [[ $IT_LAST == fail ]]; }

_it_fail() {
  IT_FAILURES=$((IT_FAILURES + 1))
  IT_LAST=fail
  printf 'FAIL - %s\n' "$1" >&2
  shift
  local l
  for l in "$@"; do
    printf '    %s\n' "$l" >&2
  done
}

_it_ok() {
  IT_LAST=ok
  printf 'ok - %s\n' "$1"
}

_it_indent() {
  local l
  while IFS= read -r l; do
    printf '      | %s\n' "$l"
  done <<<"$1"
}

# check_eq WHAT EXPECTED GOT
check_eq() {
  IT_CHECKS=$((IT_CHECKS + 1))
  if [[ $2 == "$3" ]]; then
    _it_ok "$1"
  else
    _it_fail "$1" "expected: '$2'" "got:      '$3'"
    return 0
  fi
}

# check_contains WHAT NEEDLE HAYSTACK (fixed string)
check_contains() {
  IT_CHECKS=$((IT_CHECKS + 1))
  if [[ $3 == *"$2"* ]]; then
    _it_ok "$1"
  else
    _it_fail "$1" "expected to contain: '$2'" "got:" "$(_it_indent "$3")"
    return 0
  fi
}

# check_not_contains WHAT NEEDLE HAYSTACK
check_not_contains() {
  IT_CHECKS=$((IT_CHECKS + 1))
  if [[ $3 != *"$2"* ]]; then
    _it_ok "$1"
  else
    _it_fail "$1" "expected NOT to contain: '$2'" "got:" "$(_it_indent "$3")"
    return 0
  fi
}

# check_match WHAT ERE TEXT: some line of TEXT matches the extended regex.
check_match() {
  IT_CHECKS=$((IT_CHECKS + 1))
  if grep -Eq -- "$2" <<<"$3"; then
    _it_ok "$1"
  else
    _it_fail "$1" "expected a line matching: /$2/" "got:" "$(_it_indent "$3")"
    return 0
  fi
}

# check_true WHAT COMMAND...: COMMAND succeeds.
check_true() {
  local what=$1
  shift
  IT_CHECKS=$((IT_CHECKS + 1))
  if "$@"; then
    _it_ok "$what"
  else
    _it_fail "$what" "command failed: $*"
    return 0
  fi
}

# check_files_eq WHAT FILE_BEFORE FILE_AFTER: identical, else the diff.
check_files_eq() {
  IT_CHECKS=$((IT_CHECKS + 1))
  if cmp -s -- "$2" "$3"; then
    _it_ok "$1"
  else
    _it_fail "$1" "differs (- before, + after):" "$(diff -u -- "$2" "$3" | tail -n +3 | head -40)"
    return 0
  fi
}

# ---------------------------------------------------------------------------
# Running cntr

IT_TIMEOUT=${IT_TIMEOUT:-60}
OUT='' ERR='' RC=''

# run_cntr [VAR=VALUE...] [--stdin FILE] -- ARG...: run cntr with ARGs,
# stdin from FILE (default /dev/null), under a timeout. Sets RC, OUT and ERR
# (stdout and stderr as text); the raw files are $IT_WORK/out and /err.
run_cntr() {
  local -a envs=()
  local stdin=/dev/null
  while (($#)) && [[ $1 != -- ]]; do
    case $1 in
      --stdin) stdin=$2; shift 2 ;;
      *) envs+=("$1"); shift ;;
    esac
  done
  shift
  set +e
  env "${envs[@]}" "$IT_TAG" timeout -k 5 "$IT_TIMEOUT" "$CNTR" "$@" \
    <"$stdin" >"$IT_WORK/out" 2>"$IT_WORK/err"
  RC=$?
  set -e
  # As text, for the checks (binary data is compared through the files).
  OUT=$(head -c 1048576 "$IT_WORK/out" | tr -d '\0')
  ERR=$(head -c 1048576 "$IT_WORK/err" | tr -d '\0')
  if ((RC == 124)); then
    it_log "cntr $* timed out after ${IT_TIMEOUT}s"
  fi
}

# show_run: what the last run_cntr gave, for failure messages.
show_run() {
  printf 'status %s; stdout:\n%s\nstderr:\n%s\n' "$RC" "$(_it_indent "$OUT")" "$(_it_indent "$ERR")"
}

# check_run WHAT EXPECTED_STATUS: the last run exited EXPECTED_STATUS.
check_run() {
  IT_CHECKS=$((IT_CHECKS + 1))
  if [[ $RC == "$2" ]]; then
    _it_ok "$1"
  else
    _it_fail "$1" "expected exit status $2, got $RC" "stdout:" "$(_it_indent "$OUT")" \
      "stderr:" "$(_it_indent "$ERR")"
    return 0
  fi
}

# check_cntr_error WHAT: the last run failed as cntr itself: status 125 and
# stderr is exactly one "cntr: <what>: <why>" line, optionally followed by
# one "hint: ..." line.
check_cntr_error() {
  IT_CHECKS=$((IT_CHECKS + 1))
  local -a lines=()
  local ok=1
  mapfile -t lines <<<"$ERR"
  [[ $RC == 125 ]] || ok=0
  [[ ${lines[0]:-} =~ ^cntr:\ .+:\ .+ ]] || ok=0
  if ((${#lines[@]} == 2)); then
    [[ ${lines[1]} == hint:\ * ]] || ok=0
  elif ((${#lines[@]} != 1)); then
    ok=0
  fi
  if ((ok)); then
    _it_ok "$1 ($(head -1 <<<"$ERR"))"
  else
    _it_fail "$1" "expected status 125 and one 'cntr: <what>: <why>' line (+ optional 'hint: ' line)" \
      "got status $RC, stderr:" "$(_it_indent "$ERR")" "stdout:" "$(_it_indent "$OUT")"
    return 0
  fi
}

# ---------------------------------------------------------------------------
# Root filesystems. it_make_rootfs KIND DIR HOSTNAME builds one of:
#   scratch          the static target app as /target-app + /etc/{passwd,group,hostname}
#                    + empty /proc and /dev mount points; nothing else
#   distroless-base  scratch + the host's glibc loader and libc.so.6
#   busybox          scratch + busybox-static as /bin/busybox and applet links
# (read-only is a launch option, see it_start_target.)

it_host_loader() {
  local l
  for l in /lib64/ld-linux-x86-64.so.2 /lib/ld-linux-aarch64.so.1 \
    /lib/ld-linux-armhf.so.3 /lib/ld-linux.so.2; do
    [[ -e $l ]] && { printf '%s\n' "$l"; return 0; }
  done
  return 1
}

it_make_rootfs() {
  local kind=$1 root=$2 hn=$3 loader libdir libc
  mkdir -p "$root"
  chmod 0755 "$root"
  mkdir -m 0755 "$root/etc" "$root/proc" "$root/dev"
  install -m 0755 "$TARGET_APP" "$root/target-app"
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app:/:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
  cat >"$root/etc/group" <<'EOF'
root:x:0:
app:x:1000:
nogroup:x:65534:
EOF
  printf '%s\n' "$hn" >"$root/etc/hostname"
  case $kind in
    scratch) ;;
    distroless-base)
      loader=$(it_host_loader) || it_skip "no known glibc loader on this host"
      libdir=$(dirname "$(realpath "$loader")")
      libc=$libdir/libc.so.6
      [[ -e $libc ]] || it_skip "no $libc"
      # At their usual Debian paths: /lib64/ld-linux-x86-64.so.2 is a
      # symlink into /lib/<multiarch>/, where the loader and libc are.
      local mdir=/lib/${libdir##*/}
      mkdir -p "$root$mdir" "$root$(dirname "$loader")"
      cp -L "$libdir/$(basename "$loader")" "$root$mdir/"
      cp -L "$libc" "$root$mdir/libc.so.6"
      if [[ $(dirname "$loader") != "$mdir" ]]; then
        ln -s "$mdir/$(basename "$loader")" "$root$loader"
      fi
      ;;
    busybox)
      local bb
      bb=$(it_busybox_static) || it_skip "needs busybox-static (apt-get install busybox-static)"
      mkdir -m 0755 "$root/bin"
      cp "$bb" "$root/bin/busybox"
      local a
      for a in $("$bb" --list); do
        [[ $a == busybox || -e $root/bin/$a ]] || ln -s busybox "$root/bin/$a"
      done
      ;;
    *) it_fatal "unknown rootfs kind '$kind'" ;;
  esac
}

# it_busybox_static: path of a statically linked busybox, if any.
# it_copy_libraries ROOT PROGRAM: the libraries and loader ldd lists for
# PROGRAM, copied (through links) to the same paths under ROOT, but for
# those already there.
it_copy_libraries() {
  local root=$1 lib
  for lib in $(ldd "$2" | grep -o '/[^ ]*'); do
    [[ -e $root$lib ]] && continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}

it_busybox_static() {
  local b
  for b in /bin/busybox /usr/bin/busybox; do
    if [[ -x $b ]] && ! LC_ALL=C ldd "$b" 2>&1 | grep -q '=>'; then
      printf '%s\n' "$b"
      return 0
    fi
  done
  return 1
}

# ---------------------------------------------------------------------------
# The plain-namespace target launcher (RUNTIMES.md, "plain namespaces").

# Runs as PID 1 of the new PID namespace, in new mount/UTS/IPC/net
# namespaces, with the host's root still visible. Arguments:
#   ROOT HOSTNAME RO(0|1) LOADER LIBDIR UMOUNT DEV(full|nopts|empty) APP_ENV APP_ARGS MESSAGE
# (APP_ENV: VAR=VALUE words exported to the app; APP_ARGS: its options,
# split at spaces.)
# The old root is stacked on the new /dev mount point by pivot_root (so
# that not even a put_old directory is added to the rootfs) and lazily
# unmounted from there, which uncovers the /dev tmpfs. The host's umount is dynamically linked and the new root
# may have no loader, so it is run through the host's loader, by its path in
# the old root.
# shellcheck disable=SC2016
IT_LAUNCHER='
set -eu
root=$1 hn=$2 ro=$3 loader=$4 libdir=$5 umount=$6 dev=$7 app_env=$8 app_args=$9
shift 9
msg=$1
# In a user namespace: wait for the map the test writes from outside, then
# become its root (unmapped until then, the launcher kept its capabilities
# in the namespace with unshare --keep-caps).
while [ -z "$(cat /proc/self/uid_map)" ]; do sleep 0.01; done
if [ "$(id -u)" != 0 ]; then
  exec setpriv --reuid=0 --regid=0 --clear-groups sh -c "$IT_LAUNCHER_TEXT" launcher \
    "$root" "$hn" "$ro" "$loader" "$libdir" "$umount" "$dev" "$app_env" "$app_args" "$msg"
fi
hostname "$hn"
mount --make-rprivate /
mount --bind "$root" "$root"
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
mount -t tmpfs -o nosuid,mode=0755,size=1024k tmpfs "$root/dev"
if [ "$dev" != empty ]; then
  for node in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
    name=${node%%:*} rest=${node#*:}
    major=${rest%%:*} minor=${rest#*:}
    # A user namespace may not make devices: it binds the host'"'"'s, as
    # rootless runtimes do.
    mknod -m 0666 "$root/dev/$name" c "$major" "$minor" 2>/dev/null ||
      { : >"$root/dev/$name" && mount --bind "/dev/$name" "$root/dev/$name"; }
  done
  mkdir -m 1777 "$root/dev/shm"
fi
if [ "$dev" = full ]; then
  mkdir -m 0755 "$root/dev/pts"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,nosuid,noexec devpts "$root/dev/pts"
  ln -s pts/ptmx "$root/dev/ptmx"
fi
if [ "$dev" != empty ]; then
  ln -s /proc/self/fd "$root/dev/fd"
  ln -s /proc/self/fd/0 "$root/dev/stdin"
  ln -s /proc/self/fd/1 "$root/dev/stdout"
  ln -s /proc/self/fd/2 "$root/dev/stderr"
fi
if [ "$ro" = 1 ]; then
  mount -o remount,bind,ro "$root"
fi
cd "$root"
pivot_root . dev
cd /
"/dev$loader" --library-path "/dev$libdir" "/dev$umount" -l -c -n /dev
for e in $app_env; do export "$e"; done
# shellcheck disable=SC2086 # (split on purpose)
exec /target-app $app_args "$msg"
'

# Set by it_start_target (the last target started):
TARGET_PID=      # host PID of the target app (PID 1 of its namespace)
TARGET_ROOT=     # its root filesystem directory on the host
TARGET_LOG=      # its stdout/stderr
# shellcheck disable=SC2034 # (for the scripts)
TARGET_HOSTNAME=''
TARGET_UNSHARE=  # host PID of the unshare process (its parent)

# it_start_target KIND [HOSTNAME]: build a root filesystem of KIND
# (scratch, distroless-base, busybox, read-only = scratch mounted read-only,
# read-only-busybox) and start the target app in it, as PID 1 of new
# mount, PID, UTS, IPC and net namespaces. Sets TARGET_*; registers stopping
# it at exit. Not to be called in $(...): the target dies with its parent.
# Hostile and hardened targets (these variables apply to one call):
#   IT_TARGET_ARGS  target-app's options (--uid N, --caps docker,
#                   --deny-unshare, --spawn PROG%ARG...)
#   IT_TARGET_ENV   VAR=VALUE words in target-app's environment
#   IT_NO_DEVPTS=1  no /dev/pts and /dev/ptmx in the target
#   IT_EMPTY_DEV=1  an empty /dev in the target (no devices, no devpts)
#   IT_ROOTFS_HOOK  a command run with the root filesystem's directory
#                   before the target starts (to plant files)
#   IT_USERNS=1     in a user namespace of its own, root mapped to host uid
#                   and gid $IT_USERNS_BASE (65536 ids), its files owned
#                   by its root
IT_USERNS_BASE=100000
it_start_target() {
  local kind=$1 hn=${2:-} ro=0 base loader libdir umount n
  case $kind in
    read-only) base=scratch; ro=1 ;;
    read-only-busybox) base=busybox; ro=1 ;;
    *) base=$kind ;;
  esac
  it_require_cmd unshare setpriv pivot_root mount hostname
  [[ -n $hn ]] || hn=tgt-$kind-$RANDOM
  loader=$(it_host_loader) || it_skip "no known glibc loader on this host"
  loader=$(realpath "$loader")
  libdir=$(dirname "$loader")
  umount=$(realpath "$(command -v umount)")
  TARGET_ROOT=$(mktemp -d "$IT_WORK/rootfs.$kind.XXXX")
  TARGET_LOG=$TARGET_ROOT.log
  # shellcheck disable=SC2034
  TARGET_HOSTNAME=$hn
  it_make_rootfs "$base" "$TARGET_ROOT" "$hn"
  if [[ -n ${IT_ROOTFS_HOOK:-} ]]; then
    $IT_ROOTFS_HOOK "$TARGET_ROOT"
  fi
  local userns=()
  if [[ -n ${IT_USERNS:-} ]]; then
    userns=(--user --keep-caps)
    chown -R -h "$IT_USERNS_BASE:$IT_USERNS_BASE" "$TARGET_ROOT"
    # The launcher, a user namespace's root, reaches the host's loader
    # through the directory it is bound from.
    chmod o+x "$IT_WORK"
  fi

  # setpriv --pdeathsig: if this script dies (ctest timeout, kill -9),
  # unshare dies too, and --kill-child takes the target along.
  IT_LAUNCHER_TEXT=$IT_LAUNCHER setpriv --pdeathsig KILL \
    unshare "${userns[@]}" --mount --pid --uts --ipc --net --fork --kill-child --propagation private \
    sh -c "$IT_LAUNCHER" launcher "$TARGET_ROOT" "$hn" "$ro" "$loader" "$libdir" "$umount" \
    "$(if [[ -n ${IT_EMPTY_DEV:-} ]]; then echo empty; elif [[ -n ${IT_NO_DEVPTS:-} ]]; then echo nopts; else echo full; fi)" \
    "${IT_TARGET_ENV:-}" "${IT_TARGET_ARGS:-}" \
    "target-app: ready in $hn" </dev/null >"$TARGET_LOG" 2>&1 &
  TARGET_UNSHARE=$!
  it_on_exit "it_stop_target $TARGET_UNSHARE"
  if [[ -n ${IT_USERNS:-} ]]; then
    # unshare has made the namespace once its uid_map is its own.
    for ((n = 0; n < 200; n++)); do
      [[ $(readlink "/proc/$TARGET_UNSHARE/ns/user" 2>/dev/null) != "$(readlink /proc/self/ns/user)" ]] && break
      sleep 0.01
    done
    echo "0 $IT_USERNS_BASE 65536" >"/proc/$TARGET_UNSHARE/uid_map"
    echo "0 $IT_USERNS_BASE 65536" >"/proc/$TARGET_UNSHARE/gid_map"
  fi

  # Ready = the app printed its line (so the launcher has exec'd it).
  TARGET_PID=
  for ((n = 0; n < 200; n++)); do
    if grep -q '^target-app: ready' "$TARGET_LOG" 2>/dev/null; then
      TARGET_PID=$(it_children "$TARGET_UNSHARE")
      break
    fi
    if ! kill -0 "$TARGET_UNSHARE" 2>/dev/null; then
      break
    fi
    sleep 0.05
  done
  if [[ -z $TARGET_PID ]]; then
    it_fatal "target ($kind) did not start; its output:
$(cat "$TARGET_LOG" 2>/dev/null)"
  fi
  [[ $(cat "/proc/$TARGET_PID/comm") == target-app ]] ||
    it_fatal "target pid $TARGET_PID is '$(cat "/proc/$TARGET_PID/comm")', not the app"
  it_log "target $kind: host pid $TARGET_PID, hostname $hn, root $TARGET_ROOT"
}

# it_children PID: the child PIDs of PID (one a line).
it_children() {
  cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | sed '/^$/d'
}

# it_stop_target UNSHARE_PID: SIGKILL the target (PID 1 of its namespace:
# the kernel kills everything else in it), wait until the namespace is
# empty. Prints a warning if something in it does not die within 10 s.
it_stop_target() {
  local upid=$1 tpid nsfile='' n
  tpid=$(it_children "$upid" | head -1)
  if [[ -n $tpid ]]; then
    nsfile=$(readlink "/proc/$tpid/ns/pid" 2>/dev/null || true)
    kill -KILL "$tpid" 2>/dev/null || true
  fi
  # unshare reaps the target and exits; kill it only if it does not.
  for ((n = 0; n < 50; n++)); do
    kill -0 "$upid" 2>/dev/null || break
    [[ $(awk '{ print $3 }' "/proc/$upid/stat" 2>/dev/null) == Z ]] && break
    sleep 0.1
  done
  kill -KILL "$upid" 2>/dev/null || true
  wait "$upid" 2>/dev/null || true
  if [[ -n $nsfile ]]; then
    for ((n = 0; n < 100; n++)); do
      [[ -z $(it_pids_in_pidns "$nsfile") ]] && return 0
      sleep 0.1
    done
    it_log "WARNING: processes left in the target's PID namespace: $(it_pids_in_pidns "$nsfile")"
  fi
}

# it_pids_in_pidns 'pid:[INODE]': host PIDs of the processes in that PID
# namespace.
it_pids_in_pidns() {
  local p l out=()
  for p in /proc/[0-9]*; do
    l=$(readlink "$p/ns/pid" 2>/dev/null) || continue
    [[ $l == "$1" ]] && out+=("${p#/proc/}")
  done
  echo "${out[*]}"
}

# it_wait_gone SECONDS PID...: wait until none of PIDs exists (zombies count
# as gone). Returns 1 on timeout.
it_wait_gone() {
  local secs=$1 n p alive st
  shift
  for ((n = 0; n < secs * 10; n++)); do
    alive=0
    for p in "$@"; do
      if read -r st 2>/dev/null <"/proc/$p/stat"; then
        st=${st##*) }
        [[ ${st%% *} == Z ]] || alive=1
      fi
    done
    ((alive)) || return 0
    sleep 0.1
  done
  return 1
}

# ---------------------------------------------------------------------------
# Snapshots for "nothing left behind".
#
# it_snapshot NAME PID...: records under $IT_WORK/snap.NAME.*:
#   mounts  the host's mount table (mountinfo without the mount and parent
#           ids, sorted)
#   procs   our processes: descendants of this script, processes that carry
#           $IT_TAG in their environment (cntr and whatever it forked, even
#           reparented) and processes in the PID namespaces of the PIDs
#   tmp     files named cntr* in /tmp, /var/tmp, /run, /dev/shm
#   tree.P  every entry of target P's file tree (through /proc/P/root,
#           except proc and dev/pts): type, mode, owner, size, mtime, ctime,
#           path (not /sys, the kernel's; not the times of character devices: the kernel stamps a
#           tty's inode when it is read or written, /dev/tty included); and
#           mountinfo.P, the target's own mount table.
# it_check_snapshots BEFORE AFTER compares them all.

it_snapshot() {
  local name=$1 p
  shift
  local pre=$IT_WORK/snap.$name
  cut -d' ' -f3- /proc/self/mountinfo | sort >"$pre.mounts"
  _it_our_procs "$@" >"$pre.procs"
  find /tmp /var/tmp /run /dev/shm -maxdepth 1 -name 'cntr*' 2>/dev/null | sort >"$pre.tmp" || true
  for p in "$@"; do
    find "/proc/$p/root/" \( -path "/proc/$p/root/proc" -o -path "/proc/$p/root/dev/pts" -o -path "/proc/$p/root/sys" \) -prune \
      -o -printf '%y %m %U:%G %s %T@ %C@ /%P\n' 2>&1 |
      awk '$1 == "c" { $5 = "-"; $6 = "-" } { print }' | sort -k7 >"$pre.tree.$p"
    cut -d' ' -f3- "/proc/$p/mountinfo" >"$pre.mountinfo.$p"
  done
}

# it_snapshot_settled NAME BEFORE PID...: like it_snapshot NAME, but first
# waits (up to 5 s) for our processes and the host mount table to be back to
# what snapshot BEFORE recorded, so that a session still exiting is not
# mistaken for a leak (a real leak stays and shows in check_snapshots).
it_snapshot_settled() {
  local name=$1 before=$2 n
  shift 2
  for ((n = 0; n < 50; n++)); do
    it_snapshot "$name" "$@"
    if cmp -s "$IT_WORK/snap.$name.mounts" "$IT_WORK/snap.$before.mounts" &&
      cmp -s <(cut -d' ' -f1 "$IT_WORK/snap.$name.procs") <(cut -d' ' -f1 "$IT_WORK/snap.$before.procs"); then
      return 0
    fi
    sleep 0.1
  done
}

# Written without forks in the loop, so that it does not see itself.
_it_our_procs() {
  local p line rest state ppid comm
  local -A parent=() stat=() cmd=() ours=()
  local -a nsrefs=() env=() argv=()
  for p in "$@"; do
    nsrefs+=("/proc/$p/ns/pid")
  done
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    read -r line 2>/dev/null <"/proc/$p/stat" || continue
    comm=${line#*(}
    comm=${comm%)*}
    rest=${line##*) }
    state=${rest%% *}
    rest=${rest#* }
    ppid=${rest%% *}
    parent[$p]=$ppid
    stat[$p]="$state $comm"
    argv=()
    mapfile -d '' -t argv 2>/dev/null <"/proc/$p/cmdline" || true
    cmd[$p]="${argv[*]:0:6}"
    env=()
    mapfile -d '' -t env 2>/dev/null <"/proc/$p/environ" || true
    if [[ " ${env[*]} " == *" $IT_TAG "* ]]; then
      ours[$p]=1
    fi
    local r
    for r in "${nsrefs[@]}"; do
      [[ /proc/$p/ns/pid -ef $r ]] && ours[$p]=1
    done
  done
  # Descendants of this script (not itself, nor this function's shell).
  local changed=1 q
  while ((changed)); do
    changed=0
    for q in "${!parent[@]}"; do
      [[ -n ${ours[$q]:-} ]] && continue
      if [[ ${parent[$q]} == "$$" || -n ${ours[${parent[$q]}]:-} ]]; then
        ours[$q]=1
        changed=1
      fi
    done
  done
  for q in "${!ours[@]}"; do
    [[ $q == "$$" || -z ${stat[$q]:-} ]] && continue
    printf '%s %s [%s]\n' "$q" "${stat[$q]}" "${cmd[$q]}"
  done | sort -n
}

# check_snapshots BEFORE AFTER [PID...]: everything identical. Process lines
# are compared without the state letter (S/R flips).
check_snapshots() {
  local a=$IT_WORK/snap.$1 b=$IT_WORK/snap.$2 p
  shift 2
  check_files_eq "host mount table unchanged" "$a.mounts" "$b.mounts"
  sed -E 's/^([0-9]+) [A-Z] /\1 /' "$a.procs" >"$a.procs.cmp"
  sed -E 's/^([0-9]+) [A-Z] /\1 /' "$b.procs" >"$b.procs.cmp"
  check_files_eq "no process left behind" "$a.procs.cmp" "$b.procs.cmp"
  check_files_eq "no cntr* temp file left behind" "$a.tmp" "$b.tmp"
  for p in "$@"; do
    check_files_eq "target $p: file tree unchanged (type/mode/owner/size/mtime/ctime)" \
      "$a.tree.$p" "$b.tree.$p"
    check_files_eq "target $p: its mount table unchanged" "$a.mountinfo.$p" "$b.mountinfo.$p"
  done
  check_no_dstate
}

# check_no_dstate: none of our processes hangs in D state.
check_no_dstate() {
  local d
  d=$(_it_our_procs "$TARGET_PID" | awk '$2 == "D"')
  check_eq "no process of ours in D state" "" "$d"
}

# it_wait_no_cmdline SECONDS PATTERN: wait until no process's cmdline (args
# joined with spaces) equals PATTERN (a glob). Returns 1 on timeout and
# prints the survivors.
it_pids_with_cmdline() {
  local p
  local -a argv
  for p in /proc/[0-9]*; do
    argv=()
    mapfile -d '' -t argv 2>/dev/null <"$p/cmdline" || continue
    # shellcheck disable=SC2053
    [[ "${argv[*]}" == $1 ]] && printf '%s ' "${p#/proc/}"
  done
  return 0
}

it_wait_no_cmdline() {
  local n left
  for ((n = 0; n < $1 * 10; n++)); do
    left=$(it_pids_with_cmdline "$2")
    [[ -z $left ]] && return 0
    sleep 0.1
  done
  it_log "still running after $1 s: $left"
  return 1
}
