#!/usr/bin/env bash
# bench/sync_throughput.sh [N] — how fast a site's outbox reaches the server.
#
# Puts N records (default 200,000) in a fresh site's outbox, starts a fresh
# server on 127.0.0.1, and times `shuanglian-site sync` until every record is
# acknowledged (acks follow a durable commit).  It does this twice in the same
# run: over plaintext (server --insecure) and over CurveZMQ (the real
# configuration: an enrolled site), and measures the ceiling once: the same
# rows inserted into a fresh SQLite file by a bare prepared-statement loop
# with the same batch size and durability (bench-ceiling).  Peak RSS (VmHWM)
# of both processes is reported.  Last lines:
#   sync_throughput_plain: records=N rate=R/s ceiling=C/s ratio=X.XX site_rss_kb=S server_rss_kb=V
#   curve_cost: plain=R/s curve=R/s cost=P%
#   sync_throughput: records=N rate=R/s ceiling=C/s ratio=X.XX site_rss_kb=S server_rss_kb=V   (CurveZMQ)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}
BATCH=${SL_BENCH_BATCH:-1000}
B=${SL_BIN:-$PWD/build}
[ -x "$B/bench/bench-ceiling" ] || scripts/build.sh release >/dev/null
D=$(mktemp -d /tmp/sl-bench.XXXXXX)
SERVER_PID=
cleanup() { [ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; [ -n "${SL_BENCH_KEEP:-}" ] || rm -rf "$D"; }
trap cleanup EXIT

# In files of 200,000 rows (an import takes at most 64 MiB).
awk -v n="$N" -v d="$D" 'BEGIN {
  for (i = 1; i <= n; i++) {
    if (i % 200000 == 1) {
      if (f) close(f);
      f = sprintf("%s/rows-%03d.csv", d, int(i / 200000));
      print "reporter_kind,summary,location,on" > f;
    }
    printf "grid_worker,网格员上报的第%d个问题,%d号楼,2025-%02d-%02d\n", i, i % 67, i % 12 + 1, i % 28 + 1 > f;
  }
}'
hwm() { awk '/VmHWM/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# run_sync MODE (plain|curve): prints "ms site_rss server_rss"
run_sync() {
  # A port below the kernel's ephemeral range (32768…): one inside it may be
  # another connection's local port, and the server's bind would fail.
  local mode=$1 port=$((10000 + RANDOM % 20000)) dir="$D/$1"
  local ep=tcp://127.0.0.1:$port flags=()
  mkdir -p "$dir"
  "$B/shuanglian-server" init --data "$dir/srv" --endpoint "$ep" >/dev/null
  if [ "$mode" = plain ]; then
    flags=(--insecure)
    "$B/shuanglian-site" init --data "$dir/site" --site bench.site --server "$ep" >/dev/null
  else
    "$B/shuanglian-server" ref put --data "$dir/srv" community bench name=基准社区 >/dev/null
    "$B/shuanglian-server" site enroll --data "$dir/srv" --site bench.site --community bench \
        --out "$dir/site.bundle" >/dev/null
    "$B/shuanglian-site" init --data "$dir/site" --bundle "$dir/site.bundle" >/dev/null
  fi
  for f in "$D"/rows-*.csv; do
    "$B/shuanglian-site" record import --data "$dir/site" problem_report "$f" >/dev/null
  done
  sync
  # The server's output goes to its log, never to this script's pipe (a
  # server holding the pipe kept `read` waiting); a core file, if any, stays
  # in $dir (SL_BENCH_KEEP=1 keeps it).
  (cd "$dir"; ulimit -c unlimited 2>/dev/null
   exec "$B/shuanglian-server" run --data "$dir/srv" --bind "$ep" --batch "$BATCH" "${flags[@]}") \
    >"$dir/server.log" 2>&1 </dev/null &
  SERVER_PID=$!
  for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "sync_throughput: $mode: the server exited at start:" >&2
      cat "$dir/server.log" >&2; exit 1; }
    sleep 0.05; done
  local t0 t1 site_pid site_rss=0 r
  t0=$(date +%s%N)
  "$B/shuanglian-site" sync --data "$dir/site" --quiet --timeout 60 > "$dir/sync.out" &
  site_pid=$!
  while kill -0 "$site_pid" 2>/dev/null; do
    r=$(hwm "$site_pid"); [ -n "$r" ] && [ "$r" -gt "$site_rss" ] && site_rss=$r
    sleep 0.02
  done
  wait "$site_pid" || { cat "$dir/sync.out" >&2; echo "sync_throughput: $mode sync failed" >&2; exit 1; }
  t1=$(date +%s%N)
  local server_rss; server_rss=$(hwm "$SERVER_PID")
  kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
  local got; got=$("$B/shuanglian-server" stats --data "$dir/srv" --tsv | awk -F'\t' '$1 == "TOTAL" { print $2 }')
  [ "$got" = "$N" ] || { echo "sync_throughput: $mode: server holds $got of $N" >&2; exit 1; }
  echo "$(( (t1 - t0) / 1000000 )) $site_rss $server_rss"
}

# The ceiling is measured right after each sync, so that both see the same
# machine (a shared VM's speed drifts over seconds).
ceiling_now() {
  "$B/bench/bench-ceiling" "$D/plain/site/site.db" "$D/ceiling.db" "$BATCH" | sed 's/.*ceiling_rate=\([0-9]*\).*/\1/'
}
read -r plain_ms plain_site plain_server < <(run_sync plain)
plain_ceiling=$(ceiling_now)
read -r curve_ms curve_site curve_server < <(run_sync curve)
curve_ceiling=$(ceiling_now)
rate() { echo $(( N * 1000 / ($1 > 0 ? $1 : 1) )); }
ratio() { awk -v r="$1" -v c="$2" 'BEGIN { printf "%.2f", (c > 0 ? r / c : 0) }'; }
plain=$(rate "$plain_ms"); curve=$(rate "$curve_ms")
cost=$(awk -v p="$plain" -v c="$curve" 'BEGIN { printf "%.0f", (p > 0 ? (p - c) * 100 / p : 0) }')
echo "sync: plaintext ${plain_ms} ms, CurveZMQ ${curve_ms} ms for $N records (batch $BATCH); ceiling: bare inserts, same rows, same batch, WAL+FULL"
echo "sync_throughput_plain: records=$N rate=${plain}/s ceiling=${plain_ceiling}/s ratio=$(ratio "$plain" "$plain_ceiling") site_rss_kb=$plain_site server_rss_kb=$plain_server"
echo "curve_cost: plain=${plain}/s curve=${curve}/s cost=${cost}%"
echo "sync_throughput: records=$N rate=${curve}/s ceiling=${curve_ceiling}/s ratio=$(ratio "$curve" "$curve_ceiling") site_rss_kb=$curve_site server_rss_kb=$curve_server"
