#!/usr/bin/env bash
# bench/report_scale.sh [N] — the district's reports at scale (issue 8).
#
# 1. bench-report-ingest builds N records (default 1,000,000) over 60 sites and
#    67 units (with 4,500 members, 60 communities, teams, brands, duty items)
#    and applies them, as the engine does, to fresh central stores in the
#    same run: without the state table (the baseline) and with it (the server
#    as it runs), five times each (SL_ROUNDS), alternating; it prints every
#    round with its ratio, the medians, their ratio and the median of the
#    rounds' ratios (paired_cpu_ratio); then it fills both stores at once,
#    each batch into both (interleaved_ratio, interleaved_cpu_ratio: the
#    same machine at the same moment for both, the steadiest figure on a
#    shared machine).
# 2. Every report is run on the second store through `shuanglian-server
#    report … --json` (a whole process: opening the store, reading the
#    reference data, computing, rendering) and its wall time printed; the
#    month 2025-11 is frozen, then read back frozen and with --live.
# Last lines, machine-readable:
#   report_scale: report=NAME ms=T cpu_ms=C
#   report_scale: records=N ingest_without_s=A ingest_with_s=B ratio=B/A
#                 cpu_without_s=… cpu_with_s=… cpu_ratio=… rounds=R
#                 paired_cpu_ratio=… interleaved_ratio=… interleaved_cpu_ratio=…
#                 max_report_ms=M
#                 max_report_cpu_ms=C load="1-, 5-, 15-minute load averages"
# Targets (issue 8): every report under 1,000 ms on the 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
B=${SL_BIN:-$PWD/build}
[ -x "$B/bench/bench-report-ingest" ] || scripts/build.sh release >/dev/null
W=$(mktemp -d /tmp/sl-reportscale.XXXXXX)
trap 'rm -rf "$W"' EXIT
echo "building and ingesting $N records in $W …" >&2
"$B/bench/bench-report-ingest" "$W" "$N" 60 67 "${SL_ROUNDS:-5}" | tee "$W/ingest.out"
ingest=$(grep '^ingest:' "$W/ingest.out")
S="$B/shuanglian-server"
max=0
# run NAME ARGS…: wall time, and CPU time (user + system) of the whole process:
# on a shared machine the wall time also counts other people's work.
run() {
  local name=$1; shift
  local ms cpu
  sync
  /usr/bin/time -f "%e %U %S" -o "$W/time" "$S" report "$@" --data "$W/with" --json >"$W/out.json"
  read -r e u sy <"$W/time"
  ms=$(awk -v e="$e" 'BEGIN { printf "%d", e * 1000 }')
  cpu=$(awk -v u="$u" -v s="$sy" 'BEGIN { printf "%d", (u + s) * 1000 }')
  [ "$ms" -gt "$max" ] && max=$ms
  [ "$cpu" -gt "$maxcpu" ] && maxcpu=$cpu
  echo "report_scale: report=$name ms=$ms cpu_ms=$cpu"
}
maxcpu=0
run dispatch dispatch --month 2025-12
run dispatch_june dispatch --month 2025-06
run dispatch_freeze dispatch --month 2025-11 --freeze
run dispatch_frozen dispatch --month 2025-11
run dispatch_live dispatch --month 2025-11 --live
run five five --year 2025
run loop loop --from 2025-01-01 --to 2025-12-31
run loop_by_unit loop --from 2025-01-01 --to 2025-12-31 --by unit
run loop_by_community loop --from 2025-01-01 --to 2025-12-31 --by community
run loop_past loop --from 2025-01-01 --to 2025-03-31 --by month
run points points --year 2025
run volunteers volunteers --year 2025
run talent talent --year 2025
run facilities facilities
run supervision supervision --half 2025-2
run records records problem_report --status closed
run records_text records problem_report --text 第99处
inter=$(grep '^ingest_interleaved:' "$W/ingest.out" | sed 's/.* ratio=\([0-9.]*\).*cpu_ratio=\([0-9.]*\).*/interleaved_ratio=\1 interleaved_cpu_ratio=\2/')
echo "report_scale: records=$(echo "$ingest" | sed 's/.*records=\([0-9]*\).*/\1/') $(echo "$ingest" | sed 's/.*\(ingest_without_s=.*\)/\1/') $inter max_report_ms=$max max_report_cpu_ms=$maxcpu load=\"$(cut -d' ' -f1-3 /proc/loadavg)\""
