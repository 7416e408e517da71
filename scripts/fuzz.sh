#!/usr/bin/env bash
# Runs every libFuzzer target for a bounded time (default 30 s each):
#   scripts/fuzz.sh [SECONDS] [TARGET…]
# Builds build-fuzz/ with clang (-fsanitize=fuzzer,address,undefined and
# -fno-sanitize-recover=all).  First proves that the build stops at
# undefined behaviour (fuzz_trap on a planted bug must fail), then fuzzes.
# Seeds: tests/fuzz/corpus/<target>/ (checked in; tests/fuzz/make_seeds.c
# writes them) and the dictionary tests/fuzz/<target>.dict.  New inputs found
# are kept in build-fuzz/corpus/<target>/ for the next run.  A finding stops
# with its input saved as build-fuzz/findings/<target>-crash-… (or -leak-,
# -oom-, -timeout-); replay it with build-fuzz/tests/fuzz/<target> FILE.
# Prints one line per target: executions, coverage (cov: edges, ft:
# features), corpus size, peak memory.
set -euo pipefail
cd "$(dirname "$0")/.."
# The same sanitizer options as the test suite (scripts/test.sh): a string
# function's argument is checked up to its NUL even where the function would
# stop earlier (strndup), so an unterminated buffer is a finding.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
secs=${1:-30}
shift || true
all=(fuzz_frame fuzz_payload fuzz_keys fuzz_entry fuzz_reply fuzz_site fuzz_server)
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all[@]}"); fi
if ! [[ "$secs" =~ ^[0-9]+$ ]] || [ "$secs" -lt 1 ]; then
    echo "fuzz.sh: SECONDS must be a whole number of seconds, got '$secs'" >&2
    exit 2
fi
for t in "${targets[@]}"; do
    if [ ! -f "tests/fuzz/$t.c" ]; then
        echo "fuzz.sh: no target '$t' (targets: ${all[*]})" >&2
        exit 2
    fi
done

CC=clang cmake -S . -B build-fuzz -DSL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target fuzz_trap "${targets[@]}" >/dev/null
mkdir -p build-fuzz/findings

# 1. The planted bug must be a finding: UBSan's report, a crash file, and
#    the line after the bug never reached.
trap_dir=$(mktemp -d)
printf 'U' >"$trap_dir/input"
mkdir "$trap_dir/corpus"
cp "$trap_dir/input" "$trap_dir/corpus/"
if build-fuzz/tests/fuzz/fuzz_trap -runs=1 -artifact_prefix="$trap_dir/" "$trap_dir/corpus" \
        >"$trap_dir/log" 2>&1; then
    echo "fuzz.sh: the planted undefined behaviour did not stop fuzz_trap: the build does not" \
         "halt on sanitizer findings" >&2
    cat "$trap_dir/log" >&2
    exit 1
fi
if ! grep -q "runtime error: signed integer overflow" "$trap_dir/log" \
   || grep -q "continued after the bug" "$trap_dir/log" \
   || ! ls "$trap_dir"/crash-* >/dev/null 2>&1; then
    echo "fuzz.sh: fuzz_trap failed, but not as a sanitizer finding with a crash file:" >&2
    cat "$trap_dir/log" >&2
    exit 1
fi
rm -rf "$trap_dir"
echo "fuzz: the planted undefined behaviour is a finding (fuzz_trap stopped, crash file written)"

# 2. Each target.
status=0
for t in "${targets[@]}"; do
    mkdir -p "build-fuzz/corpus/$t"
    log="build-fuzz/findings/$t.log"
    dict=()
    [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
    set +e
    build-fuzz/tests/fuzz/$t -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 \
        -timeout=60 -artifact_prefix="build-fuzz/findings/$t-" -print_final_stats=1 \
        "${dict[@]}" "build-fuzz/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1
    rc=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
    done_line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -1 || true)
    cov=$(sed -E -n 's/.* cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+)\/.*/cov \1, ft \2, corpus \3/p' \
          <<<"$done_line")
    if [ $rc -ne 0 ] || ls build-fuzz/findings/"$t"-{crash,leak,oom,timeout}-* >/dev/null 2>&1; then
        echo "fuzz: $t FOUND A FAILURE after ${execs:-?} executions:" >&2
        grep -E "ERROR|runtime error|SUMMARY|Test unit written" "$log" | head -20 >&2 || true
        echo "  full log: $log" >&2
        status=1
        continue
    fi
    printf 'fuzz: %-13s %ss: %s executions (%s/s), %s, peak %s MB\n' "$t" "$secs" "${execs:-?}" \
        "$(( ${execs:-0} / secs ))" "${cov:-cov ?}" "${rss:-?}"
done
[ $status -eq 0 ] && echo "fuzz: no finding"
exit $status
