#!/usr/bin/env bash
# Builds shuanglian and runs every test: unit and integration tests on the
# release build, the same under AddressSanitizer + UndefinedBehaviorSanitizer,
# the valgrind scenarios (no leaks allowed), and each libFuzzer target for a
# bounded time (SL_FUZZ_SECONDS, default 30).  Installs missing packages.
#
#   scripts/test.sh --stress N [--asan] [-R REGEX]
#
# Stress mode, for proving that the tests do not fail on a busy machine:
# builds, starts one busy loop per core (SL_STRESS_LOOPS to change that;
# they are killed on exit), and runs the release build's unit and
# integration tests (ctest -LE valgrind; -R narrows them) N times in a row,
# with --asan the ASan+UBSan build's too.  Prints each round's result and
# time, then a summary line; exits 1 if any round failed.  The output of a
# failed round is kept in a file named in the summary.
set -euo pipefail
cd "$(dirname "$0")/.."

BUSY_PIDS=()
stop_busy() {
  if [ ${#BUSY_PIDS[@]} -gt 0 ]; then kill "${BUSY_PIDS[@]}" 2>/dev/null || true; fi
  wait 2>/dev/null || true
}

stress() {
  local rounds=$1; shift
  local asan=no regex=()
  while [ $# -gt 0 ]; do
    case $1 in
      --asan) asan=yes; shift ;;
      -R) [ $# -ge 2 ] || { echo "test.sh: -R needs a regular expression" >&2; exit 64; }
          regex=(-R "$2"); shift 2 ;;
      *) echo "usage: scripts/test.sh [--stress N [--asan] [-R REGEX]]" >&2; exit 64 ;;
    esac
  done
  [[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "test.sh: --stress needs a number of rounds" >&2; exit 64; }
  local builds=(build) loops=${SL_STRESS_LOOPS:-$(nproc)}
  scripts/setup.sh
  scripts/build.sh release
  if [ $asan = yes ]; then
    scripts/build.sh asan
    builds+=(build-asan)
  fi
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  local keep; keep=$(mktemp -d /tmp/sl-stress.XXXXXX)
  BUSY_PIDS=()
  trap stop_busy EXIT
  trap 'exit 130' INT TERM
  for ((i = 0; i < loops; i++)); do
    sh -c 'while :; do :; done' &
    BUSY_PIDS+=($!)
  done
  echo "== stress: $rounds round(s) of ctest -LE valgrind ${regex[*]} on ${builds[*]}," \
       "beside $loops busy loop(s) ($(nproc) core(s))"
  local r b failed=0 t0 t start=$SECONDS log summary
  for ((r = 1; r <= rounds; r++)); do
    for b in "${builds[@]}"; do
      log=$keep/round$r-$b.log
      t0=$SECONDS
      if (cd "$b" && ctest --output-on-failure -LE valgrind "${regex[@]}") >"$log" 2>&1; then
        summary=$(grep -E '^[0-9]+% tests passed' "$log" || true)
        echo "round $r/$rounds $b: PASS in $((SECONDS - t0)) s ($summary)"
        # Each test of a second or more, with its time.
        awk '/Test +#[0-9]+: / && $(NF-1) + 0 >= 1 { printf "%s%s %ds", sep, $4, $(NF-1); sep = ", " }
             END { if (sep) print "" }' "$log" | sed 's/^/    /'
        rm -f "$log"
      else
        failed=$((failed + 1))
        echo "round $r/$rounds $b: FAIL in $((SECONDS - t0)) s: $(grep -E '^[0-9]+% tests passed' "$log" || true)"
        grep -E '^\s+[0-9]+ - ' "$log" | sed 's/^\s*/    /' || true
        echo "    output: $log"
      fi
    done
  done
  t=$((SECONDS - start))
  local total=$((rounds * ${#builds[@]}))
  if [ $failed -eq 0 ]; then
    rmdir "$keep" 2>/dev/null || true
    echo "stress: $total of $total round(s) passed beside $loops busy loop(s), in $t s"
  else
    echo "stress: $failed of $total round(s) FAILED beside $loops busy loop(s), in $t s (outputs in $keep)"
    exit 1
  fi
}

if [ "${1:-}" = --stress ]; then
  shift
  stress "${1:-}" "${@:2}"
  exit 0
fi
[ $# -eq 0 ] || { echo "usage: scripts/test.sh [--stress N [--asan] [-R REGEX]]" >&2; exit 64; }

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
