#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Soak (not a ctest test): fsx with a random seed on a file inside a fresh
# `cntr mount`.  The seed is printed first; replay a failure with
#   tests/fsx/fsx-mount.sh CNTR FSX -N OPS -S SEED
# Usage: bash tests/bench/fsx-random.sh [BUILD_DIR] [OPS]   (as root)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
ops=${2:-1000000}
seed=$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')
echo "fsx-random: seed $seed, $ops operations"
exec "$here/../fsx/fsx-mount.sh" "$build/src/cntr" "$build/tests/fsx/fsx" -N "$ops" -S "$seed"
