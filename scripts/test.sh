#!/usr/bin/env bash
# Builds shuanglian and runs every test: unit and integration tests on the
# release build, the same under AddressSanitizer + UndefinedBehaviorSanitizer,
# the valgrind scenarios (no leaks allowed), and each libFuzzer target for a
# bounded time (SL_FUZZ_SECONDS, default 30).  Installs missing packages.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release
scripts/build.sh asan
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
log=$(mktemp /tmp/sl-test-log.XXXXXX)
trap 'rm -f "$log"' EXIT
echo "== libFuzzer: frame decoder and record validation, ${SL_FUZZ_SECONDS:-30} s each"
scripts/fuzz.sh "${SL_FUZZ_SECONDS:-30}"
echo "== release build: unit and integration tests"
(cd build && ctest --output-on-failure -LE valgrind) | tee -a "$log"
echo "== ASan+UBSan build: unit and integration tests"
(cd build-asan && ctest --output-on-failure -LE valgrind) | tee -a "$log"
echo "== valgrind: integration scenarios with leak checking"
(cd build && ctest --output-on-failure -L valgrind) | tee -a "$log"
total=$(awk '/tests passed, 0 tests failed out of/ { n += $NF } END { print n + 0 }' "$log")
echo "test.sh: release, ASan+UBSan and valgrind suites passed; fuzzers found no crash"
echo "$total passed, 0 failed"
