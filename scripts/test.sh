#!/usr/bin/env bash
# Builds shuanglian and runs every test: unit and integration tests on the
# release build, the same under AddressSanitizer + UndefinedBehaviorSanitizer,
# and the valgrind scenarios (no leaks allowed).  Installs missing packages.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release
scripts/build.sh asan
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "== release build: unit and integration tests"
(cd build && ctest --output-on-failure -LE valgrind)
echo "== ASan+UBSan build: unit and integration tests"
(cd build-asan && ctest --output-on-failure -LE valgrind)
echo "== valgrind: integration scenarios with leak checking"
(cd build && ctest --output-on-failure -L valgrind)
