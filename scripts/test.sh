#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole test suite: install what is needed, build with warnings as errors
# and AddressSanitizer + UndefinedBehaviorSanitizer, run every test.
# Usage (as root, from the repository): bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh test

build=${CNTR_TEST_BUILD_DIR:-build-test}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCNTR_WERROR=ON -DCNTR_SANITIZE=ON >/dev/null
cmake --build "$build" -j"$(nproc)"
if command -v clang-format >/dev/null; then
  cmake --build "$build" --target format-check
fi

# LeakSanitizer cannot follow fork+setns children; leaks are checked in the
# unit tests, where it runs cleanly.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build"
ctest --output-on-failure --timeout 300 "$@"
