#!/usr/bin/env bash
# bench/sync_throughput.sh [N] — how fast a site's outbox reaches the server.
#
# Puts N records (default 200,000) in a fresh site's outbox, starts a fresh
# server on 127.0.0.1, and times `shuanglian-site sync` until every record is
# acknowledged (acks follow a durable commit).  In the same run it measures
# the ceiling: the same rows inserted into a fresh SQLite file by a bare
# prepared-statement loop with the same batch size and durability
# (bench-ceiling).  Peak RSS (VmHWM) of both processes is reported.
# Last line:
#   sync_throughput: records=N rate=R/s ceiling=C/s ratio=X.XX site_rss_kb=S server_rss_kb=V
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}
BATCH=${SL_BENCH_BATCH:-1000}
B=${SL_BIN:-$PWD/build}
[ -x "$B/bench/bench-ceiling" ] || scripts/build.sh release >/dev/null
D=$(mktemp -d /tmp/sl-bench.XXXXXX)
SERVER_PID=
cleanup() { [ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$D"; }
trap cleanup EXIT
port=$((30000 + RANDOM % 20000))
ep=tcp://127.0.0.1:$port

awk -v n="$N" 'BEGIN {
  print "unit,title,community,done_on,beneficiaries";
  for (i = 1; i <= n; i++)
    printf "区直单位%d,为社区办理民生实事第%d件,公园社区,2025-%02d-%02d,%d\n", i % 67, i, i % 12 + 1, i % 28 + 1, i % 500;
}' > "$D/rows.csv"
"$B/shuanglian-server" init --data "$D/srv" >/dev/null
"$B/shuanglian-site" init --data "$D/site" --site bench.site --server "$ep" >/dev/null
"$B/shuanglian-site" record import --data "$D/site" service_matter "$D/rows.csv" >/dev/null
sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true

"$B/shuanglian-server" run --data "$D/srv" --bind "$ep" --batch "$BATCH" 2>"$D/server.log" &
SERVER_PID=$!
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done

hwm() { awk '/VmHWM/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
t0=$(date +%s%N)
"$B/shuanglian-site" sync --data "$D/site" --quiet --timeout 60 > "$D/sync.out" &
site_pid=$!
site_rss=0
while kill -0 "$site_pid" 2>/dev/null; do
  r=$(hwm "$site_pid"); [ -n "$r" ] && [ "$r" -gt "$site_rss" ] && site_rss=$r
  sleep 0.02
done
wait "$site_pid" || { cat "$D/sync.out"; echo "sync_throughput: sync failed" >&2; exit 1; }
t1=$(date +%s%N)
server_rss=$(hwm "$SERVER_PID")
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=

got=$("$B/shuanglian-server" stats --data "$D/srv" --tsv | awk -F'\t' '$1 == "TOTAL" { print $2 }')
[ "$got" = "$N" ] || { echo "sync_throughput: server holds $got of $N" >&2; exit 1; }
ms=$(( (t1 - t0) / 1000000 ))
rate=$(( N * 1000 / (ms > 0 ? ms : 1) ))
ceiling=$("$B/bench/bench-ceiling" "$D/site/site.db" "$D/ceiling.db" "$BATCH" | sed 's/.*ceiling_rate=\([0-9]*\).*/\1/')
ratio=$(awk -v r="$rate" -v c="$ceiling" 'BEGIN { printf "%.2f", (c > 0 ? r / c : 0) }')
echo "sync: ${ms} ms for $N records (batch $BATCH); ceiling: bare inserts, same rows, same batch, WAL+FULL"
echo "sync_throughput: records=$N rate=${rate}/s ceiling=${ceiling}/s ratio=$ratio site_rss_kb=$site_rss server_rss_kb=$server_rss"
