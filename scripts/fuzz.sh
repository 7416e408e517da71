#!/usr/bin/env bash
# Runs each libFuzzer target for a bounded time (default 30 s each):
#   scripts/fuzz.sh [SECONDS]
# Builds build-fuzz/ with clang.  Seeds come from tests/fuzz/corpus/<target>/
# (checked in); new inputs found are kept in build-fuzz/corpus/<target>/.
# A crash stops with the reproducer saved as build-fuzz/crash-*; replay it
# with: build-fuzz/tests/fuzz/<target> build-fuzz/crash-…
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
CC=clang cmake -S . -B build-fuzz -DSL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target fuzz_frame fuzz_payload >/dev/null
for t in fuzz_frame fuzz_payload; do
  mkdir -p "build-fuzz/corpus/$t"
  echo "== $t for ${secs}s"
  build-fuzz/tests/fuzz/$t -max_total_time="$secs" -max_len=65536 -rss_limit_mb=1024 \
      -artifact_prefix=build-fuzz/ -print_final_stats=1 \
      "build-fuzz/corpus/$t" "tests/fuzz/corpus/$t" 2>&1 | grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY)" || true
  # libFuzzer exits non-zero on a crash; grep above hides it, so check again:
  if ls build-fuzz/crash-* build-fuzz/leak-* build-fuzz/oom-* 2>/dev/null | grep -q .; then
    echo "fuzz: $t found a failure: $(ls build-fuzz/crash-* build-fuzz/leak-* build-fuzz/oom-* 2>/dev/null)" >&2
    exit 1
  fi
done
echo "fuzz: no crash"
