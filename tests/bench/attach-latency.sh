#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmark (not a test): attach latency of `cntr attach PID -- true` against
# `nsenter -a -t PID true` on the same busybox target, interleaved, N runs
# each; prints the medians and their ratio.
# Usage: bash tests/bench/attach-latency.sh [CNTR] [RUNS]   (as root)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cntr=${1:-$here/../../build/src/cntr}
runs=${2:-20}
# shellcheck source=../integration/lib.sh
source "$here/../integration/lib.sh"
it_init "$cntr" ""
it_require_fuse
it_start_target busybox bench

now_ns() { date +%s%N; }
time_one() {
  local t0 t1
  t0=$(now_ns)
  "$@" >/dev/null 2>&1
  t1=$(now_ns)
  echo $(((t1 - t0) / 1000))
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

cntr_us=() nsenter_us=() cntr_target_us=()
for ((i = 0; i < runs; i++)); do
  cntr_us+=("$(time_one "$CNTR" attach "$TARGET_PID" -- true)")
  cntr_target_us+=("$(time_one "$CNTR" attach "$TARGET_PID" -- /bin/true)")
  nsenter_us+=("$(time_one nsenter -a -t "$TARGET_PID" true)")
done
c=$(printf '%s\n' "${cntr_us[@]}" | median)
ct=$(printf '%s\n' "${cntr_target_us[@]}" | median)
n=$(printf '%s\n' "${nsenter_us[@]}" | median)
printf 'machine: %s, %s cores, kernel %s\n' "$(uname -m)" "$(nproc)" "$(uname -r)"
printf 'runs: %d each, interleaved, busybox target\n' "$runs"
printf '%-44s %8s us\n' "nsenter -a -t PID true (target's true)" "$n"
printf '%-44s %8s us  (%.1fx nsenter)\n' "cntr attach PID -- /bin/true (target's)" "$ct" "$(echo "$ct / $n" | bc -l)"
printf '%-44s %8s us  (%.1fx nsenter)\n' "cntr attach PID -- true (host's, via shim)" "$c" "$(echo "$c / $n" | bc -l)"
