#!/usr/bin/env bash
# P9 (bad input gets a clear error, and nothing else): an authenticated peer
# (sl-probe holding a real site's keys) sends truncated msgpack, wrong field
# types, invalid UTF-8, a 2,000,000,000-element array announced in 5 bytes,
# an unknown message type and version, a 6-star rating and a date in 1900
# inside correctly hash-chained events, and a frame over ZMQ_MAXMSGSIZE.
# Each is refused with its code (and logged), nothing is stored, the server
# does not crash and keeps serving.  Then, while a rogue authenticated
# client floods the server with garbage as fast as it can, a good site
# completes a 10,000-record sync; the server's memory stays bounded and its
# log does not grow a line per garbage message.
source "$(dirname "$0")/lib.sh"
PROBE=$SL_BIN/tests/sl-probe
[ -x "$PROBE" ] || fail "sl-probe not built ($PROBE)"
[ -z "${SL_INSECURE:-}" ] || fail "run this test without SL_INSECURE: the hostile peer is authenticated"
# Memory bound for the flood (MB of server VmRSS growth).  Under
# AddressSanitizer, freed memory waits in a quarantine (256 MB unless
# ASAN_OPTIONS sets quarantine_size_mb) before it is reused, and that counts
# in RSS: the bound is 30 MB on top of it there.
RSS_BOUND_MB=${SL_RSS_BOUND_MB:-30}
if nm -D "$SERVER" 2>/dev/null | grep -q __asan_init || ldd "$SERVER" 2>/dev/null | grep -q libasan; then
  q=$(tr ':' '\n' <<<"${ASAN_OPTIONS:-}" | sed -n 's/^quarantine_size_mb=//p')
  RSS_BOUND_MB=$(( RSS_BOUND_MB + ${q:-256} ))
  echo "(AddressSanitizer build: server RSS bound ${RSS_BOUND_MB} MB, ASan's quarantine included)"
fi

H=qu01.hostile G=qu01.good
field() { tr ' ' '\n' <<<"$2" | awk -F= -v k="$1" '$1 == k { print $2; exit }'; }
# hp NAME OPS…: the hostile peer (site H's own keys), one connection; replies in REPLY[].
hp() {
  local name=$1; shift
  "$PROBE" --endpoint "$EP" --data "$T/$H" --wait "$SL_PROBE_WAIT_MS" "$@" >"$T/$name.out" 2>"$T/$name.err" \
    || fail "sl-probe $name (exit $?): $(cat "$T/$name.err")"
  mapfile -t REPLY <"$T/$name.out"
  printf '    %s\n' "${REPLY[@]}" | cut -c1-200
}
reply_is() {   # reply_is INDEX TYPE [KEY VALUE]…
  local line=${REPLY[$1]:-} type=$2; shift 2
  [ "${line%% *}" = "$type" ] || return 1
  while [ $# -gt 0 ]; do [ "$(field "$1" "$line")" = "$2" ] || return 1; shift 2; done
}
reply_says() { grep -q -- "$2" <<<"${REPLY[$1]:-}"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status"; }
alive() { running "$SERVER_PID"; }
# hex of msgpack str S (fixstr, S < 32 bytes)
mpstr() { local hex; hex=$(printf '%s' "$1" | od -An -tx1 | tr -d ' \n'); printf '%02x%s' $((0xa0 + ${#hex} / 2)) "$hex"; }

server_init
site_init $H
site_init $G
gen_matters 20 "$T/h.csv" H; site_import $H "$T/h.csv"
gen_matters 10000 "$T/g.csv" G; site_import $G "$T/g.csv"
server_start
site sync --data "$T/$H" >"$T/sync-h.out" 2>&1 || fail "first sync of $H: $(cat "$T/sync-h.out")"
check "hostile peer's site is enrolled and level: 20" [ "$(central_count $H)" = 20 ]
HLOG0=$(wc -l <"$T/server.log")

# A HELLO of site H with every key; SITE and AGENT given as msgpack hex.
hello_hex() {
  printf '94cd534c010187'
  printf 'a473657373%s' 01                                   # sess 1
  printf 'a473697465%s' "$1"                                 # site
  printf 'a86c6173745f736571%s' 00                           # last_seq 0
  printf 'a96c6173745f68617368c420%064d' 0                   # last_hash, 32 zero bytes
  printf 'a6637572736f72%s' 00                               # cursor 0
  printf 'a3686c63%s' 00                                     # hlc 0
  printf 'a56167656e74%s' "$2"                               # agent
}
SITE_HEX=$(mpstr $H)

echo "-- malformed frames from an authenticated peer: each refused with its code"
rss0=$(rss_kb)
hp hostile hello \
  raw 94cd534c010981a473657373 \
  raw "$(hello_hex 05 "$(mpstr sl-probe)")" \
  raw 94cd534c010981a473657373a3616263 \
  raw "$(hello_hex "$SITE_HEX" a2fffe)" \
  raw dd77359400 \
  raw 94cd534c011081a47365737305 \
  raw 94cd534c020981a47365737305 \
  ping
rss1=$(rss_kb)
soft_check "truncated msgpack: 400" reply_is 1 ERROR code 400
soft_check "… 'truncated'" reply_says 1 "truncated"
soft_check "HELLO whose site is an integer: 407" reply_is 2 ERROR code 407
soft_check "… the text names the field 'site'" reply_says 2 site
soft_check "PING whose sess is a string: 407 naming sess" reply_is 3 ERROR code 407
soft_check "… the text names the field 'sess'" reply_says 3 sess
soft_check "invalid UTF-8 in HELLO's agent: 407" reply_is 4 ERROR code 407
soft_check "… the text names the field 'agent'" reply_says 4 agent
soft_check "an array32 announcing 2,000,000,000 elements in 5 bytes: 400" reply_is 5 ERROR code 400
soft_check "… 'announces 2000000000 elements'" reply_says 5 "announces 2000000000 elements"
echo "    server VmRSS before the malformed frames ${rss0} kB, after ${rss1} kB"
soft_check "… no large allocation: server VmRSS grew by less than 4 MB (${rss0} -> ${rss1} kB)" \
  [ $((rss1 - rss0)) -lt 4096 ]
soft_check "unknown message type 16: 406" reply_is 6 ERROR code 406
soft_check "unknown version 2: 405" reply_is 7 ERROR code 405
soft_check "the same connection is still served: its session's PING gets PONG" reply_is 8 PONG
soft_check "the server is alive" alive
for what in "MALFORMED.*truncated" "BAD_FIELD.*site" "BAD_FIELD.*sess" \
            "BAD_FIELD.*agent" "announces 2000000000 elements" UNKNOWN_TYPE VERSION; do
  soft_check "the server log shows the refusal: $what" grep -q "refused .*-byte message from key .*$what" "$T/server.log"
done

echo "-- out-of-range values inside correctly hash-chained events: 422, nothing stored"
ID1=$(sqlite3 "$T/$H/site.db" "SELECT hex(id) FROM events WHERE seq = 1")
# rating {item: <id of event 1, a service_matter>, stars: 6}
RATING6=82$(mpstr item)c410${ID1}$(mpstr stars)06
# problem_report {reporter_kind: courier, summary: ok, on: 2025-01-01}: valid
REPORT=83$(mpstr reporter_kind)$(mpstr courier)$(mpstr summary)$(mpstr ok)$(mpstr on)$(mpstr 2025-01-01)
# service_matter as 0.2.0 wrote it {unit: U01, title: old, done_on: 1900-01-01}
M1900=83$(mpstr unit)$(mpstr U01)$(mpstr title)$(mpstr old)$(mpstr done_on)$(mpstr 1900-01-01)
hp ranges hello event rating "$RATING6" event service_matter "$M1900" ping
soft_check "a 6-star rating: 422 INVALID" reply_is 1 ERROR code 422 name INVALID seq 21
soft_check "… naming 'stars'" reply_says 1 "stars"
soft_check "… and the rule (1..5)" reply_says 1 "1..5"
soft_check "a service matter done on 1900-01-01: 422 INVALID" reply_is 2 ERROR code 422 name INVALID
soft_check "… naming its date field ('on', which 0.2.0 called done_on)" reply_says 2 'field=on'
soft_check "the session goes on (PONG)" reply_is 3 PONG
soft_check "nothing of them stored: still 20" [ "$(central_count $H)" = 20 ]
soft_check "the server log shows the INVALID refusal naming stars" \
  grep -q "site $H: batch refused: INVALID .*stars" "$T/server.log"
soft_check "shuanglian-server incidents lists it" \
  sh -c "'$SERVER' incidents --data '$T/srv' | grep -q 'stars'"
# The probe's event builder is right: a valid record on the same chain is committed.
hp valid hello event problem_report "$REPORT"
soft_check "control: a valid record built the same way is acknowledged (21)" reply_is 1 ACK acked 21
soft_check "… and stored: 21" [ "$(central_count $H)" = 21 ]

echo "-- a frame over ZMQ_MAXMSGSIZE (4 MiB): the connection is dropped, the server survives"
hp big hello big 5000000 hello ping
soft_check "a 5,000,000-byte frame: no answer, the connection was dropped" reply_is 1 DROPPED
soft_check "the server is alive" alive
soft_check "the peer's reconnection is served again: WELCOME" reply_is 2 WELCOME
soft_check "… and PONG" reply_is 3 PONG

echo "-- a flood of garbage from a rogue authenticated client while a good site syncs 10,000 records"
site_init qu01.rogue
# The running server sees the rogue's bundle within about 500 ms (later on a
# busy machine): wait for that, or its sync would wait for a retry.
wait_key_known "$T/qu01.rogue/enroll.key" "the rogue's bundle key"
site sync --data "$T/qu01.rogue" >"$T/sync-rogue.out" 2>&1 || fail "rogue's first sync"
rss_before=$(rss_kb)
lines_before=$(wc -l <"$T/server.log")
gtotal=$(site_count $G)
flood_start=$(now_ms)
: >"$T/flood.out"
# At least 10,000 garbage frames, as fast as the socket takes them; more
# rounds of 10,000 while the good site's sync is still running.
(
  exec >>"$T/flood.out" 2>&1
  for round in $(seq 1 40); do
    "$PROBE" --endpoint "$EP" --data "$T/qu01.rogue" --wait 3000 flood 10000
    [ -e "$T/sync-done" ] && break
  done
) &
FLOOD_PID=$!; PIDS+=("$FLOOD_PID")
flooding() { grep '^FLOODING' "$T/flood.out" || { tail -n 2 "$T/flood.out"; return 1; }; }
wait_for "the flood to start (FLOODING from sl-probe)" flooding
rc=0; t0=$(now_ms)
# --timeout: 60 s without progress; the outer timeout only guards a hang.
timeout "$(secs 900)" "$SITE" sync --data "$T/$G" --timeout "$(secs 60)" >"$T/sync-g.out" 2>&1 || rc=$?
sync_ms=$(( $(now_ms) - t0 ))
touch "$T/sync-done"
wait_exit "$FLOOD_PID" 120 || { kill9 "$FLOOD_PID"; fail "the flood did not stop within $(secs 120) s of the sync's end"; }
flood_ms=$(( $(now_ms) - flood_start ))
rss_after=$(rss_kb)
sent=$(awk '/^FLOOD/ { for (i = 1; i <= NF; i++) if ($i ~ /^sent=/) { split($i, kv, "="); s += kv[2] } } END { print s + 0 }' "$T/flood.out")
rounds=$(grep -c '^FLOOD ' "$T/flood.out")
grep '^FLOOD ' "$T/flood.out" | sed 's/^/    /' | cut -c1-160 | head -3
[ "$rounds" -gt 3 ] && echo "    … $rounds rounds"
echo "    good site: exit $rc after $sync_ms ms; flood: $sent garbage frames in $rounds round(s), $flood_ms ms," \
     "$(( sent * 1000 / (flood_ms > 0 ? flood_ms : 1) ))/s overall"
echo "    server VmRSS before ${rss_before} kB, after ${rss_after} kB (grew $(( (rss_after - rss_before) / 1024 )) MB)"
soft_check "the rogue sent at least 10,000 garbage frames ($sent)" [ "$sent" -ge 10000 ]
soft_check "… and got refusals back (ERRORs in every round)" sh -c "! grep '^FLOOD ' '$T/flood.out' | grep -q 'errors=0 '"
soft_check "the good site completed its sync: exit 0" [ "$rc" = 0 ]
soft_check "… all $gtotal records in the central store" [ "$(central_count $G)" = "$gtotal" ]
soft_check "… outbox empty" [ "$(site_status $G outbox_pending)" = 0 ]
soft_check "the server is alive" alive
soft_check "server memory stayed bounded: VmRSS grew by less than $RSS_BOUND_MB MB" \
  [ $(( rss_after - rss_before )) -lt $(( RSS_BOUND_MB * 1024 )) ]
# The server logs at most 20 refusals per 10 s window and, once a window is
# over, how many it did not log: wait until every garbage frame is either
# logged or counted (the last window closes 10 s after it opened, then the
# server's next housekeeping turn reports it).
new_log() { tail -n +"$((lines_before + 1))" "$T/server.log"; }
refusal_lines() { new_log | grep -c 'refused '; }
unlogged() {
  new_log | awk '/more refusals were not logged/ { for (i = 1; i <= NF; i++) if ($i == "more") s += $(i - 1) }
                 END { print s + 0 }'
}
all_accounted() {
  local r u; r=$(refusal_lines) u=$(unlogged)
  echo "$r refusals logged + $u counted as not logged = $((r + u)) of $sent frames"
  [ $((r + u)) -ge "$sent" ]
}
wait_for --soft "every garbage frame logged or counted as not logged" all_accounted \
  && pass "… every garbage frame is either logged or counted ($(all_accounted))"
window_ms=$(( $(now_ms) - flood_start ))
lines=$(new_log | wc -l)
refusal_lines=$(refusal_lines)
unlogged=$(unlogged)
# 20 a window; a window lasts at least 10 s.  Windows open at the first
# refusal after the last closed, so over D ms there are at most D/10000 + 1.
max_refusal_lines=$(( 20 * (window_ms / 10000 + 1) ))
echo "    server log: $lines new lines in $(( window_ms / 1000 )) s, $refusal_lines refusal lines, $unlogged refusals counted but not logged"
soft_check "the server log did not grow a line per garbage frame ($lines lines for $sent frames)" [ "$lines" -lt 1000 ]
soft_check "… refusal warnings are rate-limited (at most 20 per 10 s: $refusal_lines in $(( window_ms / 1000 )) s, at most $max_refusal_lines)" \
  [ "$refusal_lines" -le "$max_refusal_lines" ]
soft_check "… and the ones not logged are counted in the log ($unlogged)" [ "$unlogged" -gt 0 ]
tail -n +"$((lines_before + 1))" "$T/server.log" | grep -m1 'more refusals' | sed 's/^/    /'

echo "-- afterwards: everything committed is intact"
site sync --data "$T/$H" >"$T/sync-h2.out" 2>&1
soft_check "the hostile peer's own site still syncs normally (exit 0)" [ $? = 0 ]
check "central chains verified" central_verify
soft_check "no half-applied batch: $H has exactly its 21 + its own records" \
  [ "$(central_count $H)" = "$(site_count $H)" ]
server_stop || fail "server exit status"
