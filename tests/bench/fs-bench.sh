#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmark (not a test): filesystem workloads on a native directory and on
# the same data served by a bind mount, `cntr mount` (read-write with kernel
# passthrough and without it, and read-only for the read-only workloads),
# bindfs and fuse-overlayfs (when installed).  Every backend gets its own
# copy of the same data.  For each
# workload the backends run interleaved, round-robin, ROUNDS times (the order
# rotates each round); the table gives, per workload and backend, the median
# over the rounds of (time on the backend / time on native in that round):
# lower is better, 1.00 is native speed.  See tests/bench/README.md.
#
# Every workload but the cold read runs twice: as it comes, and with the
# kernel's dentries and inodes dropped (sync; echo 2 > drop_caches) right
# before the timed step, as an outside harness measures; the table has a
# row for each.
#
# Usage: bash tests/bench/fs-bench.sh [CNTR] [--quick] [--install] [--rounds N] [--no-drop]
#   CNTR       the cntr binary (default: build/src/cntr)
#   --quick    2 rounds and smaller sizes (a few minutes)
#   --install  apt-get install the missing fio, bindfs, fuse-overlayfs first
#   --rounds N rounds (default 3, about 25 minutes on 2 cores; --quick 2)
#   --no-drop  only the rows as they come (half the time)
#   --plot PNG where the plot of the table goes (default: fs-bench.png in the
#              current directory; needs gnuplot, which --install adds)
# As root; needs /dev/fuse, gcc and make.  Data goes to a temporary directory
# under /var/tmp (on the root filesystem); everything mounted or started here
# is unmounted / stopped by PID and removed at exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cntr=$here/../../build/src/cntr
quick=0 install=0 rounds= with_drop=1 plot=$PWD/fs-bench.png
while (($#)); do
  case $1 in
    --quick) quick=1 ;;
    --no-drop) with_drop=0 ;;
    --install) install=1 ;;
    --rounds)
      rounds=$2
      shift
      ;;
    --plot)
      plot=$(readlink -f "$2")
      shift
      ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    -*)
      echo "fs-bench: unknown option $1" >&2
      exit 2
      ;;
    *) cntr=$1 ;;
  esac
  shift
done

die() {
  echo "fs-bench: $*" >&2
  exit 1
}
log() { printf '# %s\n' "$*" >&2; }
((EUID == 0)) || die "run as root (drop_caches, mounts)"
if ! { [[ -c /dev/fuse ]] && { : </dev/fuse; } 2>/dev/null; }; then
  die "/dev/fuse cannot be opened"
fi
[[ -x $cntr ]] || die "no cntr binary at $cntr (build it, or pass its path)"
cntr=$(readlink -f "$cntr")
for t in gcc make tar dd find; do
  command -v "$t" >/dev/null || die "needs $t"
done

if ((install)); then
  missing=()
  for p in fio bindfs fuse-overlayfs; do
    command -v "$p" >/dev/null || missing+=("$p")
  done
  command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    apt-get install -y "${missing[@]}" >/dev/null ||
      { apt-get update >/dev/null && apt-get install -y "${missing[@]}" >/dev/null; }
  fi
fi

# ---------------------------------------------------------------------------
# Sizes.  The full run walks a 50k-entry tree: more inodes than the
# open-file limit of these machines (hard 20000) lets a server hold an fd
# for each (cntr reopens by file handle; a peer that keeps an fd per inode
# fails there, and the table says so).  The kernel's inode cache is dropped
# (echo 2) between workloads.
if ((quick)); then
  rounds=${rounds:-2}
  big_mib=256 rand_mib=64 tree_dirs=50 tree_files=99 small_files=2000 proj_files=60
else
  rounds=${rounds:-3}
  big_mib=1024 rand_mib=128 tree_dirs=500 tree_files=99 small_files=10000 proj_files=120
fi
tree_entries=$((tree_dirs * (tree_files + 1) + 1))

# ---------------------------------------------------------------------------
# Work directory, mounts and servers, and their cleanup.
work=$(mktemp -d /var/tmp/cntr-fsbench.XXXXXX)
declare -A MOUNTED=() SERVER=()
cleanup() {
  local rc=$? m p i
  trap - EXIT INT TERM HUP
  set +e
  for m in "${!MOUNTED[@]}"; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
  done
  for m in "${!SERVER[@]}"; do
    p=${SERVER[$m]}
    for ((i = 0; i < 50; i++)); do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.1
    done
    kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
  done
  # Nothing may be mounted below $work any more: --one-file-system guards.
  if ! grep -q " $work/" /proc/self/mounts; then
    rm -rf --one-file-system -- "$work"
  else
    echo "fs-bench: left $work (still mounted)" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# cntr: open files passed through by the kernel where it can (FUSE
# passthrough, Linux 6.9+); cntr-srv: every byte through the server, as on
# an older kernel (CNTR_NO_PASSTHROUGH=1).
backends=(native bind cntr cntr-srv cntr-ro)
command -v bindfs >/dev/null && backends+=(bindfs)
command -v fuse-overlayfs >/dev/null && backends+=(fuse-overlayfs)
has_fio=0
command -v fio >/dev/null && has_fio=1
mkdir -p "$work/mnt" "$work/src" "$work/log"

# dir_of BACKEND: where the workloads run for BACKEND.
dir_of() {
  if [[ $1 == native ]]; then
    echo "$work/src/native"
  else
    echo "$work/mnt/$1"
  fi
}

wait_mounted() { # MOUNTPOINT PID
  local i
  for ((i = 0; i < 100; i++)); do
    mountpoint -q "$1" && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# mount_be BACKEND: mount BACKEND's copy on its mount point.  FUSE servers run
# in the foreground as our children, so that they are stopped by PID.
mount_be() {
  local b=$1 src=$work/src/$1 mnt=$work/mnt/$1 pid
  mkdir -p "$mnt"
  case $b in
    native) return 0 ;;
    bind)
      mount --bind "$src" "$mnt"
      MOUNTED[$mnt]=1
      return 0
      ;;
    cntr) "$cntr" mount -f "$src/" "$mnt" >>"$work/log/$b" 2>&1 & ;;
    cntr-srv) CNTR_NO_PASSTHROUGH=1 "$cntr" mount -f "$src/" "$mnt" >>"$work/log/$b" 2>&1 & ;;
    cntr-ro) "$cntr" mount -r -f "$src/" "$mnt" >>"$work/log/$b" 2>&1 & ;;
    bindfs) bindfs -f "$src" "$mnt" >>"$work/log/$b" 2>&1 & ;;
    fuse-overlayfs)
      mkdir -p "$work/ovl-lower" "$work/ovl-work"
      fuse-overlayfs -f -o "lowerdir=$work/ovl-lower,upperdir=$src,workdir=$work/ovl-work" \
        "$mnt" >>"$work/log/$b" 2>&1 &
      ;;
  esac
  pid=$!
  SERVER[$mnt]=$pid
  MOUNTED[$mnt]=1
  wait_mounted "$mnt" "$pid" || {
    tail -5 "$work/log/$b" >&2
    die "$b did not mount"
  }
}

umount_be() {
  local b=$1 mnt=$work/mnt/$1 p i
  [[ $b == native ]] && return 0
  umount "$mnt" 2>/dev/null || umount -l "$mnt"
  unset "MOUNTED[$mnt]"
  if [[ -n ${SERVER[$mnt]:-} ]]; then
    p=${SERVER[$mnt]}
    for ((i = 0; i < 100; i++)); do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.05
    done
    kill -0 "$p" 2>/dev/null && kill "$p"
    wait "$p" 2>/dev/null || true
    unset "SERVER[$mnt]"
  fi
}

remount_be() {
  umount_be "$1"
  mount_be "$1"
}

drop_caches() {
  sync
  echo "$1" >/proc/sys/vm/drop_caches
}

# ---------------------------------------------------------------------------
# Data: generated once under src/native, then copied for every other backend.
t_prep0=$EPOCHREALTIME
log "preparing data in $work"
nat=$work/src/native
mkdir -p "$nat"

# The helper: create / unlink many small files in one process (no fork per
# file), and random 4 KiB reads when fio is missing.
cat >"$work/helper.c" <<'EOF'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
static void die(const char *what) { perror(what); exit(1); }
int main(int argc, char **argv) {
  if (argc < 4) return 2;
  long n = atol(argv[3]);
  char path[4096], buf[4096];
  memset(buf, 'x', sizeof buf);
  if (!strcmp(argv[1], "create")) {            /* create DIR N SIZE */
    size_t size = argc > 4 ? (size_t)atol(argv[4]) : 1024;
    if (mkdir(argv[2], 0755) < 0) die("mkdir");
    for (long i = 0; i < n; i++) {
      snprintf(path, sizeof path, "%s/f%06ld", argv[2], i);
      int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd < 0) die(path);
      if (write(fd, buf, size) != (ssize_t)size) die("write");
      if (close(fd) < 0) die("close");
    }
  } else if (!strcmp(argv[1], "unlink")) {     /* unlink DIR N */
    for (long i = 0; i < n; i++) {
      snprintf(path, sizeof path, "%s/f%06ld", argv[2], i);
      if (unlink(path) < 0) die(path);
    }
    if (rmdir(argv[2]) < 0) die("rmdir");
  } else if (!strcmp(argv[1], "randread")) {   /* randread FILE N */
    int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) die(argv[2]);
    posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
    long blocks = st.st_size / 4096;
    unsigned long long x = 88172645463325252ULL;
    for (long i = 0; i < n; i++) {
      x ^= x << 13; x ^= x >> 7; x ^= x << 17;
      if (pread(fd, buf, 4096, (off_t)(x % blocks) * 4096) != 4096) die("pread");
    }
  } else return 2;
  return 0;
}
EOF
gcc -O2 -o "$work/helper" "$work/helper.c"
helper=$work/helper

# 1. the big file (random data: nothing compresses or dedups it)
head -c $((big_mib << 20)) /dev/urandom >"$nat/big"

# 2. the tree: tree_dirs directories of tree_files files of 0-4 KiB
(
  cd "$nat"
  mkdir tree
  for ((d = 0; d < tree_dirs; d++)); do
    mkdir "tree/d$d"
    for ((f = 0; f < tree_files; f++)); do
      head -c $(((d * 131 + f * 977) % 4096)) "$nat/big" >"tree/d$d/file$f.c"
    done
  done
)

# 3. the tarball to untar: /usr/include, kept outside the copies
tar -cf "$work/include.tar" -C /usr include
untar_entries=$(tar -tf "$work/include.tar" | wc -l)
untar_mib=$(($(du -sm /usr/include | cut -f1)))

# 4. a synthetic C project: proj_files .c files, 20 headers, one Makefile
(
  mkdir -p "$nat/proj/src" "$nat/proj/include"
  cd "$nat/proj"
  for ((h = 0; h < 20; h++)); do
    {
      echo "#ifndef H$h"
      echo "#define H$h"
      echo "#include <stddef.h>"
      for ((k = 0; k < 10; k++)); do
        echo "struct s${h}_$k { int a; long b; char c[$(((k + 1) * 8))]; };"
        echo "static inline int inl${h}_$k(int x) { return x * $((h + k + 1)) + $k; }"
      done
      echo "#endif"
    } >"include/h$h.h"
  done
  for ((i = 0; i < proj_files; i++)); do
    {
      echo "#include <stdio.h>"
      echo "#include <string.h>"
      echo "#include <stdlib.h>"
      echo "#include \"h$((i % 20)).h\""
      echo "#include \"h$(((i + 7) % 20)).h\""
      echo "#include \"h$(((i + 13) % 20)).h\""
      for ((k = 0; k < 12; k++)); do
        cat <<EOF
int f${i}_$k(const char *s, int n)
{
  int acc = inl$((i % 20))_$((k % 10))(n);
  char buf[64];
  for (int j = 0; j < n; j++) {
    snprintf(buf, sizeof buf, "%d-%s", j, s);
    acc += (int)strlen(buf) * inl$(((i + 7) % 20))_$(((k + 3) % 10))(j);
    if (acc % 7 == 3) acc ^= j << 2;
  }
  switch (acc & 7) {
  case 0: acc += 11; break; case 1: acc -= 3; break;
  case 2: acc *= 5; break; default: acc += n; break;
  }
  return acc;
}
EOF
      done
    } >"src/u$i.c"
  done
  {
    echo "int f0_0(const char *s, int n);"
    echo "int main(void) { return f0_0(\"x\", 3) == 0; }"
  } >src/main.c
  cat >Makefile <<'EOF'
SRCS := $(wildcard src/*.c)
OBJS := $(patsubst src/%.c,obj/%.o,$(SRCS))
CFLAGS := -O2 -g -Wall -Iinclude
prog: $(OBJS)
	$(CC) -o $@ $(OBJS)
obj/%.o: src/%.c | obj
	$(CC) $(CFLAGS) -c -o $@ $<
obj:
	mkdir -p obj
clean:
	rm -rf obj prog
.PHONY: clean
EOF
)

for b in "${backends[@]}"; do
  [[ $b == native ]] && continue
  cp -a "$nat" "$work/src/$b"
done
sync
for b in "${backends[@]}"; do mount_be "$b"; done
t_prep1=$EPOCHREALTIME

# ---------------------------------------------------------------------------
# Workloads: pre_W DIR BACKEND (not timed), run_W DIR (timed), post_W DIR
# (not timed).  Every run starts from the same state.

nop() { :; }

pre_cold() {
  # A FUSE server and its kernel caches start fresh; then nothing is cached.
  case $2 in native | bind) ;; *) remount_be "$2" ;; esac
  drop_caches 3
}
run_cold() { dd if="$1/big" of=/dev/null bs=1M status=none; }

pre_warm() { cat "$1/big" >/dev/null; }
run_warm() { dd if="$1/big" of=/dev/null bs=1M status=none; }

pre_write() { rm -f "$1/out"; }
run_write() { dd if="$work/src/native/big" of="$1/out" bs=1M conv=fsync status=none; }
post_write() { rm -f "$1/out"; }

pre_rand() { cat "$1/big" >/dev/null; }
if ((has_fio)); then
  # invalidate=0: fio would otherwise drop the file's page cache first.
  run_rand() {
    fio --name=rr --filename="$1/big" --rw=randread --bs=4k --ioengine=psync \
      --size="${big_mib}M" --io_size="${rand_mib}M" --invalidate=0 --randrepeat=1 \
      --norandommap --fadvise_hint=1 --output=/dev/null
  }
else
  run_rand() { "$helper" randread "$1/big" $((rand_mib * 256)); }
fi

pre_tree() { find "$1/tree" -printf '%s\n' >/dev/null; }
run_find() { find "$1/tree" -printf '%p %s %m %n %u %T@\n' >/dev/null; }
run_ls() { ls -lR "$1/tree" >/dev/null; }

pre_create() { rm -rf "$1/many"; }
run_create() { "$helper" create "$1/many" "$small_files" 1024; }
run_unlink() { "$helper" unlink "$1/many" "$small_files"; }
post_create() { rm -rf "$1/many"; }

pre_untar() { rm -rf "$1/untar" && mkdir "$1/untar"; }
run_untar() { tar -xf "$work/include.tar" -C "$1/untar"; }
run_rmrf() { rm -rf "$1/untar"; }

pre_make() { make -s -C "$1/proj" clean >/dev/null; }
run_make() { make -s -j2 -C "$1/proj" >/dev/null; }
post_make() { make -s -C "$1/proj" clean >/dev/null; }

# name|label|pre|run|post|backends (rw: all but cntr-ro)
workloads=(
  "cold|seq read ${big_mib} MiB, cold|pre_cold|run_cold|nop|all"
  "warm|seq read ${big_mib} MiB, warm|pre_warm|run_warm|nop|all"
  "write|seq write ${big_mib} MiB + fsync (dd conv=fsync)|pre_write|run_write|post_write|rw"
  "rand|random 4 KiB reads, warm, ${rand_mib} MiB ($( ((has_fio)) && echo fio psync || echo C pread loop))|pre_rand|run_rand|nop|all"
  "find|find -printf (stat) over ${tree_entries} entries, warm|pre_tree|run_find|nop|all"
  "ls|ls -lR over ${tree_entries} entries, warm|pre_tree|run_ls|nop|all"
  "create|create ${small_files} x 1 KiB files|pre_create|run_create|nop|rw"
  "unlink|unlink those ${small_files} files|nop|run_unlink|post_create|rw"
  "untar|untar /usr/include (${untar_entries} entries, ${untar_mib} MiB)|pre_untar|run_untar|nop|rw"
  "rmrf|rm -rf of that tree|nop|run_rmrf|nop|rw"
  "make|make -j2, synthetic C project (${proj_files} .c + 20 .h)|pre_make|run_make|post_make|rw"
)
# create+unlink and untar+rm -rf are pairs: one pre, two timed steps, one post.
declare -A PAIR=([create]=unlink [untar]=rmrf)
declare -A SKIP_AS_STEP=([unlink]=1 [rmrf]=1)
# The same workloads with dentries and inodes dropped before each timed
# step (NAME-d): DROP[NAME-d]=1.
declare -A DROP=()
if ((with_drop)); then
  for spec in "${workloads[@]}"; do
    IFS='|' read -r w label rest <<<"$spec"
    [[ $w == cold ]] && continue
    workloads+=("$w-d|$label, after drop_caches 2|$rest")
    DROP[$w-d]=1
  done
  PAIR[create-d]=unlink-d PAIR[untar-d]=rmrf-d
  SKIP_AS_STEP[unlink-d]=1 SKIP_AS_STEP[rmrf-d]=1
fi

declare -A T=()   # T[w|b|r] = seconds, or FAIL

time_step() { # KEY FN DIR BACKEND
  local t0 t1 err=$work/log/step.err
  # The root fs may be mounted with discard: let the journal commit (and the
  # discards) of the previous cleanup land before the clock starts.
  sync
  if [[ -n ${DROP[${1%%|*}]:-} ]]; then
    drop_caches 2
  fi
  t0=$EPOCHREALTIME
  if "$2" "$3" 2>"$err"; then
    t1=$EPOCHREALTIME
    T[$1]=$(echo "$t1 - $t0" | bc -l)
  else
    T[$1]=FAIL
    log "$1 failed: $(tail -c 300 "$err" | tr '\n' ' ')"
    # A FUSE server may be gone: give the backend a fresh mount.
    case $4 in native | bind) ;; *) remount_be "$4" || true ;; esac
  fi
}

t_run0=$EPOCHREALTIME
for spec in "${workloads[@]}"; do
  IFS='|' read -r w label pre run post which <<<"$spec"
  [[ -n ${SKIP_AS_STEP[$w]:-} ]] && continue
  # Start each workload with the kernel's inode cache empty (see Sizes).
  drop_caches 2
  for ((r = 0; r < rounds; r++)); do
    n=${#backends[@]}
    for ((k = 0; k < n; k++)); do
      b=${backends[(k + r) % n]}
      [[ $which == rw && $b == cntr-ro ]] && continue
      d=$(dir_of "$b")
      "$pre" "$d" "$b"
      time_step "$w|$b|$r" "$run" "$d" "$b"
      if [[ -n ${PAIR[$w]:-} ]]; then
        w2=${PAIR[$w]}
        run2=
        for s2 in "${workloads[@]}"; do
          [[ $s2 == "$w2|"* ]] && run2=$(cut -d'|' -f4 <<<"$s2")
        done
        time_step "$w2|$b|$r" "$run2" "$d" "$b"
      fi
      "$post" "$d" "$b" || true
    done
  done
  log "$w done ($(printf '%.0f' "$(echo "$EPOCHREALTIME - $t_run0" | bc -l)") s)"
done
t_run1=$EPOCHREALTIME

# ---------------------------------------------------------------------------
# The table: median over rounds of t(backend)/t(native) of the same round.
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print ""; else print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

printf '\nfs-bench %s, %s\n' "$(date -u +%Y-%m-%d)" "$("$cntr" --version 2>/dev/null | head -1 || echo cntr)"
printf 'machine: %s, %s cores, %s MiB RAM, kernel %s, %s\n' "$(uname -m)" "$(nproc)" \
  "$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024))" "$(uname -r)" \
  "$(sed -n 's/^PRETTY_NAME="\(.*\)"/\1/p' /etc/os-release)"
printf 'data on: %s (%s)\n' "$(df --output=source /var/tmp | tail -1)" "$(findmnt -no FSTYPE -T /var/tmp)"
printf 'rounds: %d, interleaved (backend order rotates each round); prep %.0f s, runs %.0f s\n' \
  "$rounds" "$(echo "$t_prep1 - $t_prep0" | bc -l)" "$(echo "$t_run1 - $t_run0" | bc -l)"
printf 'tree: %d entries; open-file hard limit: %s\n' "$tree_entries" "$(ulimit -Hn)"
printf 'random reads: %s; untar: a tarball of this machine'\''s /usr/include\n' \
  "$( ((has_fio)) && echo "fio $(fio --version)" || echo "C pread loop (fio not installed)")"
printf 'backends: %s\n' "${backends[*]}"
printf 'median time ratio to native (lower is better); native column: median seconds\n\n'

hdr=$(printf '| %-76s | %9s |' workload "native s")
sep=$(printf '|%s|%s|' "$(printf -- '-%.0s' {1..78})" "$(printf -- '-%.0s' {1..11})")
for b in "${backends[@]:1}"; do
  hdr+=$(printf ' %8s |' "$b")
  sep+=$(printf -- '%s|' "$(printf -- '-%.0s' $(seq 1 $((${#b} > 8 ? ${#b} + 2 : 10))))")
done
echo "$hdr"
echo "$sep"
# The plot's data: a row per workload, its label then a ratio per backend.
plot_data=$work/plot.dat
printf '"workload"' >"$plot_data"
printf ' "%s"' "${backends[@]:1}" >>"$plot_data"
echo >>"$plot_data"
for spec in "${workloads[@]}"; do
  IFS='|' read -r w label _ _ _ which <<<"$spec"
  nat_med=$(for ((r = 0; r < rounds; r++)); do
    v=${T[$w|native|$r]:-FAIL}
    [[ $v == FAIL ]] || echo "$v"
  done | median)
  line=$(printf '| %-76s | %9.3f |' "$label" "${nat_med:-0}")
  row="\"${label//\"/}\""
  for b in "${backends[@]:1}"; do
    w_b=$((${#b} > 8 ? ${#b} : 8))
    if [[ $which == rw && $b == cntr-ro ]]; then
      line+=$(printf " %${w_b}s |" "-")
      row+=" -"
      continue
    fi
    fails=0
    med=$(for ((r = 0; r < rounds; r++)); do
      v=${T[$w|$b|$r]:-FAIL} n=${T[$w|native|$r]:-FAIL}
      if [[ $v == FAIL || $n == FAIL ]]; then
        continue
      fi
      echo "$v / $n" | bc -l
    done | median)
    for ((r = 0; r < rounds; r++)); do
      [[ ${T[$w|$b|$r]:-FAIL} == FAIL ]] && fails=$((fails + 1))
    done
    row+=" ${med:--}"
    if [[ -z $med ]]; then
      line+=$(printf " %${w_b}s |" "FAIL")
    elif ((fails)); then
      line+=$(printf " %$((w_b - 2))s%s |" "$(printf '%.2f' "$med")" "*$fails")
    else
      line+=$(printf " %${w_b}.2f |" "$med")
    fi
  done
  echo "$line"
  echo "$row" >>"$plot_data"
done
printf '\n(*N: N of the %d runs failed, the median is of the others)\n' "$rounds"

# The plot: one group of bars per workload, a bar per backend, on a log
# scale around native (1.0).
if command -v gnuplot >/dev/null; then
  ncols=${#backends[@]}
  gnuplot <<GP || echo "fs-bench: gnuplot failed; the table above stands" >&2
set terminal pngcairo size 1600,900 font ",10"
set termoption noenhanced
set rmargin 14
set bmargin 16
set output "$plot"
set title "cntr fs-bench $(date -u +%Y-%m-%d): time / native (lower is better), $(nproc) cores, kernel $(uname -r)"
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.8 border -1
set datafile missing "-"
set logscale y 2
set yrange [0.5:*]
set ylabel "ratio to native"
set grid ytics
set xtics rotate by -35 scale 0 font ",8"
set key top left
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2
plot for [c=2:$ncols] "$plot_data" using c:xtic(1) title columnheader(c)
GP
  [[ -s $plot ]] && printf 'plot: %s\n' "$plot"
else
  printf 'plot: none (gnuplot is not installed; --install adds it)\n'
fi

# Attach latency is its own benchmark; run it when cntr attach can.
if [[ -f $here/attach-latency.sh ]] && command -v busybox >/dev/null; then
  printf '\nattach latency (tests/bench/attach-latency.sh, 10 runs):\n'
  bash "$here/attach-latency.sh" "$cntr" 10 2>&1 | sed 's/^/  /' ||
    echo "  (attach-latency.sh did not run: see above)"
else
  printf '\nattach latency: see tests/bench/attach-latency.sh\n'
fi
