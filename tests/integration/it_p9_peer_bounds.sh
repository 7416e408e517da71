#!/usr/bin/env bash
# P9 (memory stays bounded) against an enrolled site key that misbehaves
# (sl-probe holding the site's real keys):
#  - it asks FETCH {from 1, max 2000} a thousand times and never reads: the
#    server answers at most one big reply per request kind until the peer
#    shows it read it (0.2.0 queued them all: +2.15 GB of RSS);
#  - it floods PINGs and never reads: once SL_SERVER_SNDHWM replies wait, the
#    server drops its session instead of queueing more;
#  - it sends 300 invalid batches: one incident row with a count, not 300;
#  - it registers 50 new keys with ROTATE: the site keeps at most two keys.
# Meanwhile a good site syncs.  The bound is the one docs/SECURITY.md states.
source "$(dirname "$0")/lib.sh"
PROBE=$SL_BIN/tests/sl-probe
[ -x "$PROBE" ] || fail "sl-probe not built ($PROBE)"
[ -z "${SL_INSECURE:-}" ] || fail "run this test without SL_INSECURE: the peer is authenticated"
# docs/SECURITY.md: a peer that does not read costs at most SL_SERVER_SNDHWM
# (32) replies of at most SL_MAX_REPLY_BYTES (1 MiB).  Under AddressSanitizer
# freed memory waits in a quarantine (256 MB by default) that counts in RSS.
RSS_BOUND_MB=48
if nm -D "$SERVER" 2>/dev/null | grep -q __asan_init || ldd "$SERVER" 2>/dev/null | grep -q libasan; then
  q=$(tr ':' '\n' <<<"${ASAN_OPTIONS:-}" | sed -n 's/^quarantine_size_mb=//p')
  RSS_BOUND_MB=$(( RSS_BOUND_MB + ${q:-256} ))
fi
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status"; }
H=qu01.hog G=qu01.good

server_init
site_init $H
site_init $G
# 3,000 records of ~1,500 bytes: an EVENTS reply of 2,000 would be ~3 MB.
awk 'BEGIN {
  print "reporter_kind,summary,location,on";
  t = ""; for (k = 0; k < 70; k++) t = t "问题上报长描述";
  for (i = 1; i <= 3000; i++) printf "courier,%s %d,%d号楼,2025-03-%02d\n", t, i, i % 67, i % 28 + 1;
}' >"$T/big.csv"
site_import $H "$T/big.csv"
gen_matters 500 "$T/good.csv"
site_import $G "$T/good.csv"
server_start
site sync --data "$T/$H" >"$T/sync-h.out" 2>&1 || fail "first sync of $H: $(cat "$T/sync-h.out")"
check "$H synced its 3000 records" [ "$(central_count $H)" = 3000 ]

# peak_rss SECONDS: the highest server VmRSS (kB) seen over SECONDS.
peak_rss() {
  local end=$(( $(now_ms) + $1 * 1000 )) peak=0 r
  while [ "$(now_ms)" -lt "$end" ]; do
    r=$(rss_kb); [ "${r:-0}" -gt "$peak" ] && peak=$r
    sleep 0.2
  done
  echo "$peak"
}

echo "-- FETCH asked 1000 times, never read"
rss0=$(rss_kb)
"$PROBE" --endpoint "$EP" --data "$T/$H" --wait 20000 hello fetchflood 1000 sleep 15000 \
  >"$T/fetchflood.out" 2>"$T/fetchflood.err" &
FLOOD=$!; PIDS+=("$FLOOD")
wait_until 60 grep -q '^FETCHFLOOD' "$T/fetchflood.out" \
  || fail "the probe did not finish its FETCH flood: $(cat "$T/fetchflood.out" "$T/fetchflood.err")"
cat "$T/fetchflood.out" | sed 's/^/    /' | cut -c1-160
peak=$(peak_rss 8)
echo "    server VmRSS ${rss0} kB before, peak ${peak} kB while the peer does not read (bound ${RSS_BOUND_MB} MB)"
soft_check "server memory stays bounded: grew by less than ${RSS_BOUND_MB} MB" \
  [ $(( peak - rss0 )) -lt $(( RSS_BOUND_MB * 1024 )) ]
site sync --data "$T/$G" >"$T/sync-g1.out" 2>&1
soft_check "meanwhile a good site syncs its 500 records" [ "$(central_count $G)" = 500 ]
kill9 "$FLOOD"

echo "-- PINGs flooded, never read: the peer is dropped, not buffered"
rss0=$(rss_kb)
"$PROBE" --endpoint "$EP" --data "$T/$H" --wait 20000 hello pingflood 400000 sleep 15000 \
  >"$T/pingflood.out" 2>"$T/pingflood.err" &
FLOOD=$!; PIDS+=("$FLOOD")
wait_until 120 grep -q '^PINGFLOOD' "$T/pingflood.out" \
  || fail "the probe did not finish its PING flood: $(cat "$T/pingflood.out" "$T/pingflood.err")"
sed 's/^/    /' "$T/pingflood.out" | cut -c1-160
peak=$(peak_rss 4)
echo "    server VmRSS ${rss0} kB before, peak ${peak} kB"
soft_check "server memory stays bounded: grew by less than ${RSS_BOUND_MB} MB" \
  [ $(( peak - rss0 )) -lt $(( RSS_BOUND_MB * 1024 )) ]
soft_check "the server dropped the peer that does not read (its log says so)" \
  wait_until 30 grep -q "$H does not read its replies" "$T/server.log"
kill9 "$FLOOD"
gen_matters 20 "$T/good2.csv" 二
site_import $G "$T/good2.csv"
site sync --data "$T/$G" >"$T/sync-g2.out" 2>&1
soft_check "the good site still syncs: 520" [ "$(central_count $G)" = 520 ]

echo "-- 300 invalid batches from one key: one incident row, counted"
args=(); for i in $(seq 1 300); do args+=(event bogus 80); done
"$PROBE" --endpoint "$EP" --data "$T/$H" --wait 5000 hello "${args[@]}" >"$T/invalid.out" 2>&1 \
  || fail "sl-probe invalid batches: $(tail -3 "$T/invalid.out")"
soft_check "every one was refused as INVALID (422)" \
  [ "$(grep -c 'code=422' "$T/invalid.out")" = 300 ]
"$SERVER" incidents --data "$T/srv" >"$T/incidents.out" 2>&1
rows=$(sq "$T/srv/central.db" "SELECT count(*), max(count) FROM incidents WHERE site_id='$H' AND code=422")
echo "    incidents of $H (rows|largest count): $rows"
soft_check "one incident row with count 300" [ "$rows" = "1|300" ]
soft_check "incidents lists the count" grep -q ' 300 ' "$T/incidents.out"

echo "-- 50 ROTATEs with new keys: at most the current and the next key"
args=(); for i in $(seq 1 50); do args+=(rotate); done
"$PROBE" --endpoint "$EP" --data "$T/$H" --wait 5000 hello "${args[@]}" >"$T/rotate.out" 2>&1 \
  || fail "sl-probe rotate: $(tail -3 "$T/rotate.out")"
active=$(sq "$T/srv/central.db" "SELECT count(*) FROM keys WHERE site_id='$H' AND role='site' AND status='active'")
echo "    active keys of $H after 50 ROTATEs: $active"
soft_check "at most two active keys" [ "$active" -le 2 ]
site sync --data "$T/$H" >"$T/sync-h2.out" 2>&1
soft_check "the site still syncs with its own key" grep -q "sync done" "$T/sync-h2.out"
check "chain verified" central_verify
server_stop || fail "server exit status"
