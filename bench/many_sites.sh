#!/usr/bin/env bash
# bench/many_sites.sh [S] [M] — S enrolled sites with M records each syncing
# at once against one server, over CurveZMQ (default S=1000, M=100).
#
# The sites are sl-swarm's (tests/tools/sl_swarm.c: one process, one DEALER
# per site, each a well-behaved site with its own key pair, registered with
# the server as enrollment would register it).  Three runs, each timed from
# the swarm's start until every site is level with the server:
#   single  one site with S×M records on a fresh server: the ceiling, the same
#           total through one connection;
#   first   the S sites' first sync of M records each, on a fresh server;
#   next    the same S sites again with M more each (a day's entry: every site
#           reconnects, the server already knows it);
#   reconnect  the same sites once more with one record each: the server's
#           CPU per connection, with hardly any records to share it (the
#           engine thread's part and libzmq's I/O thread's, where CurveZMQ
#           works, apart).
# For first and next: total rate (records/s) and its ratio to single, the
# slowest site, the server's CPU per site connection beyond its records
# ((utime+stime over the run − records × the single run's CPU per record) /
# S: handshake, HELLO, session), failures (sites not level) and restarts
# (HELLOs repeated because no WELCOME came within the site's wait of 2 s,
# doubling), server peak RSS (VmHWM) and peak open descriptors.  Last lines:
#   many_sites_first: sites=S records=M rate=R/s ceiling=C/s ratio=X slowest_ms=W cpu_per_conn_ms=P failures=F restarts=N
#   many_sites_next:  … (same keys)
#   many_sites_connection: sites=S ms=T cpu_per_conn_ms=P engine_thread_ms=E failures=F restarts=N
#   many_sites: server_rss_kb=V fds_peak=D
set -euo pipefail
cd "$(dirname "$0")/.."
S=${1:-1000}
M=${2:-100}
B=${SL_BIN:-$PWD/build}
[[ "$S" =~ ^[0-9]+$ && "$M" =~ ^[0-9]+$ && "$S" -ge 1 && "$M" -ge 1 ]] \
  || { echo "usage: bench/many_sites.sh [SITES] [RECORDS_EACH]" >&2; exit 64; }
[ -x "$B/tests/sl-swarm" ] || scripts/build.sh release >/dev/null
SWARM=$B/tests/sl-swarm
D=$(mktemp -d /tmp/sl-many.XXXXXX)
SERVER_PID=
SAMPLER_PID=
cleanup() {
  [ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null
  [ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null
  wait 2>/dev/null
  [ -n "${SL_BENCH_KEEP:-}" ] || rm -rf "$D"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# A port below the kernel's ephemeral range, where no socket is.
free_port() {
  local lo p
  read -r lo _ </proc/sys/net/ipv4/ip_local_port_range
  for _ in $(seq 100); do
    p=$((10000 + RANDOM % (lo - 10000)))
    printf -v hex ':%04X' "$p"
    awk -v h="$hex" 'FNR > 1 && substr($2, length($2) - 4) == h { f = 1 } END { exit !f }' \
      /proc/net/tcp /proc/net/tcp6 2>/dev/null || { echo "$p"; return; }
  done
  echo "many_sites: no free port" >&2; exit 1
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# the engine's own thread (the process's main thread); the rest is libzmq's
# I/O thread: CurveZMQ handshakes, encryption, sockets
main_ticks() { awk '{ print $14 + $15 }' "/proc/$1/task/$1/stat"; }
hwm() { awk '/VmHWM/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
TICK=$(getconf CLK_TCK)

# start_server DIR KEYS.tsv: a fresh server whose keys table holds the
# swarm's public keys (role site, community c1), started on a free port.
start_server() {
  local dir=$1 keys=$2 now
  PORT=$(free_port); EP=tcp://127.0.0.1:$PORT
  "$B/shuanglian-server" init --data "$dir" --endpoint "$EP" >/dev/null
  "$B/shuanglian-server" ref put --data "$dir" community c1 name=基准社区 >/dev/null
  now=$(date +%s%3N)
  awk -F'\t' -v now="$now" 'BEGIN { print "BEGIN;" }
    { printf "INSERT INTO keys(public, role, site_id, name, status, expires_ms, created_ms, changed_ms) VALUES (\x27%s\x27, \x27site\x27, \x27%s\x27, \x27c1\x27, \x27active\x27, 0, %s, %s);\n", $2, $1, now, now }
    END { print "COMMIT;" }' "$keys" | sqlite3 "$dir/central.db"
  SPUB=$(sed -n 's/^public = //p' "$dir/server.pub")
  "$B/shuanglian-server" run --data "$dir" --bind "$EP" >"$dir/server.log" 2>&1 </dev/null &
  SERVER_PID=$!
  for _ in $(seq 400); do (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && return
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "many_sites: the server exited at start:" >&2
      cat "$dir/server.log" >&2; exit 1; }
    sleep 0.05; done
  echo "many_sites: the server did not start listening" >&2; exit 1
}
stop_server() { kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=; }

# sample_fds: peak open descriptors of the server, into $D/fds.peak.
sample_fds() {
  local peak=0 n
  while kill -0 "$SERVER_PID" 2>/dev/null; do
    n=$(ls "/proc/$SERVER_PID/fd" 2>/dev/null | wc -l)
    [ "$n" -gt "$peak" ] && { peak=$n; echo "$peak" >"$D/fds.peak"; }
    sleep 0.1
  done
}

# swarm NAME KEYS RECORDS: runs the swarm; prints "ms slowest_ms level hellos restarts cpu_ticks".
swarm() {
  local name=$1 keys=$2 records=$3 c0 c1 m0 m1 line
  c0=$(cpu_ticks "$SERVER_PID"); m0=$(main_ticks "$SERVER_PID")
  "$SWARM" --endpoint "$EP" --keys "$keys" --server-public "$SPUB" --records "$records" \
      --timeout 600 >"$D/$name.out" 2>&1 || true
  c1=$(cpu_ticks "$SERVER_PID"); m1=$(main_ticks "$SERVER_PID")
  echo "$((m1 - m0))" >"$D/$name.main_ticks"
  line=$(grep '^SWARM' "$D/$name.out" || true)
  [ -n "$line" ] || { echo "many_sites: $name: sl-swarm said:" >&2; cat "$D/$name.out" >&2; exit 1; }
  sed -E 's/.* level=([0-9]+) ms=([0-9]+) hellos=([0-9]+) restarts=([0-9]+) slowest_ms=([0-9]+).*/\2 \5 \1 \3 \4/' \
      <<<"$line" | tr '\n' ' '
  echo "$((c1 - c0))"
}

"$SWARM" keygen --sites "$S" --prefix many >"$D/many.tsv"
"$SWARM" keygen --sites 1 --prefix single >"$D/single.tsv"
TOTAL=$((S * M))
echo "many_sites: $S sites × $M records (CurveZMQ); single-site ceiling: 1 site × $TOTAL records"

start_server "$D/single" "$D/single.tsv"
read -r ms_single _ level_single _ _ ticks_single <<<"$(swarm single "$D/single.tsv" "$TOTAL")"
stop_server
[ "$level_single" = 1 ] || { echo "many_sites: the single site did not finish" >&2; cat "$D/single.out" >&2; exit 1; }
ceiling=$((TOTAL * 1000 / (ms_single > 0 ? ms_single : 1)))
# The server's CPU per record, from the single site (one connection): what
# the many sites' records cost, so that the rest is the cost per connection.
us_per_record=$(awk -v t="$ticks_single" -v k="$TICK" -v n="$TOTAL" 'BEGIN { printf "%.3f", t * 1e6 / k / n }')
echo "  single: $TOTAL records in $ms_single ms: $ceiling records/s; server CPU $us_per_record µs per record"

start_server "$D/many" "$D/many.tsv"
echo 0 >"$D/fds.peak"
sample_fds & SAMPLER_PID=$!
# cpu_per_conn TICKS: the server's CPU per site connection, in ms, beyond
# what the records themselves cost (us_per_record each).
cpu_per_conn() {
  awk -v t="$1" -v k="$TICK" -v s="$S" -v n="$TOTAL" -v r="$us_per_record" \
      'BEGIN { c = (t * 1000 / k - n * r / 1000) / s; printf "%.3f", c < 0 ? 0 : c }'
}
report() {
  local label=$1 ms=$2 slowest=$3 level=$4 restarts=$6 ticks=$7 rate
  rate=$((TOTAL * 1000 / (ms > 0 ? ms : 1)))
  echo "  $label: $level of $S sites level in $ms ms (slowest $slowest ms): $rate records/s;" \
       "server CPU $(awk -v t="$ticks" -v k="$TICK" 'BEGIN { printf "%.0f", t * 1000 / k }') ms," \
       "$(cpu_per_conn "$ticks") ms per site connection beyond its records" \
       "(engine thread $(awk -v t="$(cat "$D/$label.main_ticks")" -v k="$TICK" 'BEGIN { printf "%.0f", t * 1000 / k }') ms of it in all," \
       "libzmq's I/O thread the rest); $restarts HELLOs repeated"
  printf 'many_sites_%s: sites=%s records=%s rate=%s/s ceiling=%s/s ratio=%s slowest_ms=%s cpu_per_conn_ms=%s failures=%s restarts=%s\n' \
    "$label" "$S" "$M" "$rate" "$ceiling" "$(awk -v a="$rate" -v b="$ceiling" 'BEGIN { printf "%.2f", a / b }')" \
    "$slowest" "$(cpu_per_conn "$ticks")" "$((S - level))" "$restarts" >>"$D/summary"
}
: >"$D/summary"
# shellcheck disable=SC2046
report first $(swarm first "$D/many.tsv" "$M")
# shellcheck disable=SC2046
report next $(swarm next "$D/many.tsv" "$((2 * M))")
# One record more per site: what a connection itself costs (handshake,
# HELLO, session, one small batch), with hardly any records to share it.
read -r ms_conn _ level_conn _ restarts_conn ticks_conn <<<"$(swarm reconnect "$D/many.tsv" "$((2 * M + 1))")"
conn_ms=$(awk -v t="$ticks_conn" -v k="$TICK" -v s="$S" 'BEGIN { printf "%.3f", t * 1000 / k / s }')
conn_main_ms=$(awk -v t="$(cat "$D/reconnect.main_ticks")" -v k="$TICK" -v s="$S" 'BEGIN { printf "%.3f", t * 1000 / k / s }')
echo "  reconnect: $level_conn of $S sites sent one record each in $ms_conn ms; server CPU $conn_ms ms" \
     "per site connection ($conn_main_ms ms in the engine thread, the rest in libzmq's I/O thread:" \
     "CurveZMQ handshake and encryption); $restarts_conn HELLOs repeated"
printf 'many_sites_connection: sites=%s ms=%s cpu_per_conn_ms=%s engine_thread_ms=%s failures=%s restarts=%s\n' \
  "$S" "$ms_conn" "$conn_ms" "$conn_main_ms" "$((S - level_conn))" "$restarts_conn" >>"$D/summary"
rss=$(hwm "$SERVER_PID")
got=$("$B/shuanglian-server" stats --data "$D/many" --tsv 2>/dev/null | awk -F'\t' '$1 == "TOTAL" { print $2 }' || true)
stop_server
kill "$SAMPLER_PID" 2>/dev/null; wait "$SAMPLER_PID" 2>/dev/null || true; SAMPLER_PID=
cat "$D/summary"
echo "many_sites: server_rss_kb=$rss fds_peak=$(cat "$D/fds.peak") stored=${got:-?} of $((2 * TOTAL + S))"
