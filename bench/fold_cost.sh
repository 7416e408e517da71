#!/usr/bin/env bash
# bench/fold_cost.sh [N] [ROUNDS] — what the fold costs the server per record.
#
# The server now checks every record's references and keeps each item's
# state (common/sl_items.c) inside the batch transaction.  This measures the
# server's CPU time (user + system, from /proc/PID/stat) per record for a
# site syncing N records (default 50,000), for this build and for 0.2.0
# (git tag v0.2.0, else commit b4d71ab; built here in a temporary worktree),
# in ROUNDS interleaved rounds (default 3), plaintext (--insecure) so that
# CurveZMQ's cost does not blur the comparison.  Each round uses fresh
# stores; the records are half service matters naming a published unit,
# half problem reports, in each version's own format (0.2.0: done_on and
# reported_on).  Last lines:
#   fold_cost_round: round=R v020_us=X now_us=Y
#   fold_cost: records=N v020_us_per_record=X now_us_per_record=Y ratio=Y/X limit=1.15
# (medians over the rounds; the issue's bound is ratio <= 1.15).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-50000}
ROUNDS=${2:-3}
B=${SL_BIN:-$PWD/build}
[ -x "$B/shuanglian-server" ] || scripts/build.sh release >/dev/null
W=$(mktemp -d /tmp/sl-foldcost.XXXXXX)
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null
  wait 2>/dev/null || true
  git worktree remove --force "$W/v020" 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT

echo "building 0.2.0 in $W/v020 …" >&2
git worktree add -q "$W/v020" v0.2.0 2>/dev/null || git worktree add -q "$W/v020" b4d71ab
cmake -S "$W/v020" -B "$W/v020/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$W/v020/build" -j "$(nproc)" --target shuanglian-server shuanglian-site >/dev/null
OLD=$W/v020/build

# csv VERSION FILE: N records, half service matters, half problem reports.
csv() {
  local v=$1 f=$2
  if [ "$v" = v020 ]; then
    awk -v n="$N" 'BEGIN { print "unit,title,community,done_on,beneficiaries";
      for (i = 1; i <= n / 2; i++) printf "u1,为社区办理民生实事第%d件,公园社区,2025-%02d-%02d,%d\n", i, i % 12 + 1, i % 28 + 1, i % 500 }' >"$f.sm"
    awk -v n="$N" 'BEGIN { print "reporter_kind,summary,location,reported_on";
      for (i = 1; i <= n - int(n / 2); i++) printf "courier,楼道堆放杂物第%d处,3号楼,2025-%02d-%02d\n", i, i % 12 + 1, i % 28 + 1 }' >"$f.pr"
  else
    awk -v n="$N" 'BEGIN { print "unit,title,status,on,beneficiaries";
      for (i = 1; i <= n / 2; i++) printf "u1,为社区办理民生实事第%d件,done,2025-%02d-%02d,%d\n", i, i % 12 + 1, i % 28 + 1, i % 500 }' >"$f.sm"
    awk -v n="$N" 'BEGIN { print "reporter_kind,summary,location,on";
      for (i = 1; i <= n - int(n / 2); i++) printf "courier,楼道堆放杂物第%d处,3号楼,2025-%02d-%02d\n", i, i % 12 + 1, i % 28 + 1 }' >"$f.pr"
  fi
}
csv v020 "$W/v020.csv"
csv now "$W/now.csv"

# cpu_ticks PID: user + system time of a process, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
TICK=$(getconf CLK_TCK)

# run VERSION ROUND: prints the server's CPU microseconds per record.
run() {
  local v=$1 r=$2 bin d port ep
  [ "$v" = v020 ] && bin=$OLD || bin=$B
  d=$W/$v.$r
  port=$((10000 + RANDOM % 20000))
  ep=tcp://127.0.0.1:$port
  mkdir -p "$d"
  "$bin/shuanglian-server" init --data "$d/srv" --endpoint "$ep" >/dev/null
  "$bin/shuanglian-site" init --data "$d/site" --site bench.site --server "$ep" >/dev/null
  (cd "$d"; exec "$bin/shuanglian-server" run --data "$d/srv" --bind "$ep" --insecure) \
    >"$d/server.log" 2>&1 </dev/null &
  SERVER_PID=$!
  for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
  # The unit the matters name reaches the site first (0.2.0: an untyped
  # entry; now a typed one, FIELD=VALUE).
  if [ "$v" = v020 ]; then
    "$bin/shuanglian-server" ref put unit u1 区委办 --data "$d/srv" >/dev/null
  else
    "$bin/shuanglian-server" ref put unit u1 name=区委办 --data "$d/srv" >/dev/null
  fi
  "$bin/shuanglian-site" sync --data "$d/site" --quiet >/dev/null
  "$bin/shuanglian-site" record import --data "$d/site" service_matter "$W/$v.csv.sm" >/dev/null
  "$bin/shuanglian-site" record import --data "$d/site" problem_report "$W/$v.csv.pr" >/dev/null
  sync
  local t0; t0=$(cpu_ticks "$SERVER_PID")
  "$bin/shuanglian-site" sync --data "$d/site" --quiet --timeout 120 >"$d/sync.out"
  local t1; t1=$(cpu_ticks "$SERVER_PID")
  kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
  local got; got=$("$bin/shuanglian-server" stats --data "$d/srv" --tsv | awk -F'\t' '$1 == "TOTAL" { print $2 }')
  [ "$got" = "$N" ] || { echo "fold_cost: $v round $r: server holds $got of $N" >&2; cat "$d/sync.out" >&2; exit 1; }
  rm -rf "$d"
  echo $(( (t1 - t0) * 1000000000 / TICK / N ))
}

old=() now=()
for r in $(seq 1 "$ROUNDS"); do
  o=$(run v020 "$r"); n=$(run now "$r")
  old+=("$o"); now+=("$n")
  echo "fold_cost_round: round=$r v020_ns=$o now_ns=$n"
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
mo=$(median "${old[@]}"); mn=$(median "${now[@]}")
ratio=$(awk -v a="$mn" -v b="$mo" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
echo "fold_cost: records=$N v020_ns_per_record=$mo now_ns_per_record=$mn ratio=$ratio limit=1.15"
