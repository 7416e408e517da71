#!/usr/bin/env bash
# P3, P7 (test d): a replayed or duplicated batch adds nothing; a batch that
# overlaps committed events adds only the new ones; a batch in which an
# already-committed event has other content is refused (410 CONFLICT),
# stores nothing and leaves an incident; a batch that breaks the chain
# half-way stores nothing (no half-applied batch).  Driven by sl-probe, a
# protocol peer that speaks for the site from the site's own store.
source "$(dirname "$0")/lib.sh"
PROBE=$SL_BIN/tests/sl-probe
[ -x "$PROBE" ] || fail "sl-probe not built ($PROBE)"
S=qu01.replay
server_init
site_init $S
gen_matters 3000 "$T/a.csv"; site_import $S "$T/a.csv"
server_start
site sync --data "$T/$S" >"$T/sync1.out" 2>&1 || fail "first sync: $(tail -n 2 "$T/sync1.out")"
check "3000 committed" [ "$(central_site $S)" = "3000 3000" ]
gen_matters 200 "$T/b.csv" more; site_import $S "$T/b.csv"     # 3001..3200, not sent yet

# (every op here expects a reply: the probe waits for it as long as it takes)
probe() { "$PROBE" --endpoint "$EP" --data "$T/$S" --wait "$SL_PROBE_WAIT_MS" "$@" >>"$T/probe.out" 2>>"$T/probe.err"; }
# field KEY LINE: the value of key=value in a probe line.
field() { tr ' ' '\n' <<<"$2" | awk -F= -v k="$1" '$1 == k { print $2; exit }'; }
# run_probe OPS…: runs one probe session; its reply lines are in REPLY[].
run_probe() {
  : >"$T/probe.out"
  probe "$@" || fail "sl-probe $* (exit $?): $(cat "$T/probe.err")"
  mapfile -t REPLY <"$T/probe.out"
  printf '    %s\n' "${REPLY[@]}" | cut -c1-200
}
expect_reply() {   # expect_reply INDEX TYPE [KEY VALUE]…
  local line=${REPLY[$1]:-} type=$2; shift 2
  [ "${line%% *}" = "$type" ] || fail "reply $((${#REPLY[@]} > 0 ? 1 : 0)) '$line' is not $type"
  while [ $# -gt 0 ]; do
    [ "$(field "$1" "$line")" = "$2" ] || fail "reply '$line': $1 is not $2"
    shift 2
  done
}
count() { central_count $S; }

echo "-- replays of committed batches, one after another and pipelined into one server round"
run_probe hello batch 1 100 batch 1 100 send 2901 3000 send 2901 3000 replies 2 batch 1 1000
expect_reply 0 WELCOME server_seq 3000 match_seq 3000
for k in 1 2 3 4 5; do expect_reply $k ACK acked 3000; done
check "replays added nothing: 3000" [ "$(count)" = 3000 ]

echo "-- a batch overlapping committed events adds only the new ones, once"
run_probe hello batch 2990 3010 batch 2990 3010 send 3011 3050 send 3011 3050 replies 2
expect_reply 0 WELCOME server_seq 3000
expect_reply 1 ACK acked 3010
expect_reply 2 ACK acked 3010
expect_reply 3 ACK acked 3050
expect_reply 4 ACK acked 3050
check "overlaps stored 3001..3050 once: 3050 records, last seq 3050" [ "$(central_site $S)" = "3050 3050" ]

echo "-- a batch that skips ahead is a GAP and stores nothing"
run_probe hello batch 3100 3110
expect_reply 1 ERROR code 409 expected 3051
check "gap stored nothing" [ "$(count)" = 3050 ]

echo "-- other content for a committed event: 410 CONFLICT, nothing stored, an incident"
h3000=$(sq "$T/srv/central.db" "SELECT hex(hash) FROM events WHERE seq=3000")
inc_before=$(sq "$T/srv/central.db" "SELECT count(*) FROM incidents WHERE code=410")
run_probe hello alter 2995 3060 3000
expect_reply 1 ERROR code 410 seq 3000
check "conflicting batch stored nothing (not even its new events 3051..3060)" [ "$(central_site $S)" = "3050 3050" ]
check "event 3000 unchanged" [ "$(sq "$T/srv/central.db" "SELECT hex(hash) FROM events WHERE seq=3000")" = "$h3000" ]
check "the conflict is an incident (code 410, seq 3000)" \
  [ "$(sq "$T/srv/central.db" "SELECT count(*) FROM incidents WHERE code=410 AND seq=3000")" -gt "$inc_before" ]
server incidents --data "$T/srv" >"$T/incidents.out" || fail "incidents"
check "shuanglian-server incidents lists it" grep -q "410.*3000" "$T/incidents.out"

echo "-- other content under the committed hash (forged): refused, nothing stored"
run_probe hello forge 2995 3060 3000
expect_reply 1 ERROR
code=$(field code "${REPLY[1]}")
check "forged duplicate refused as CONFLICT or CHAIN (got $code)" grep -qxE '410|411' <<<"$code"
check "forged batch stored nothing" [ "$(central_site $S)" = "3050 3050" ]

echo "-- a new event altered mid-batch breaks the chain after it: nothing of the batch stored"
run_probe hello alter 3051 3080 3060
expect_reply 1 ERROR code 411 seq 3061
check "half-valid batch stored nothing" [ "$(central_site $S)" = "3050 3050" ]

echo "-- replays survive a server restart (kill -9): still nothing added"
server_kill9
server_start
run_probe hello batch 3011 3050 batch 1 2000 send 3040 3050 send 3040 3050 replies 2
expect_reply 0 WELCOME server_seq 3050
for k in 1 2 3 4; do expect_reply $k ACK acked 3050; done
check "replays after restart added nothing" [ "$(central_site $S)" = "3050 3050" ]

echo "-- a batch in a session the server does not know: NO_SESSION, nothing stored"
run_probe batch 3051 3060
expect_reply 0 ERROR code 408
check "no session, nothing stored" [ "$(count)" = 3050 ]

echo "-- raw frames: garbage is refused with an ERROR and the server goes on"
run_probe raw c1 raw 9400 hello
expect_reply 0 ERROR code 400
expect_reply 1 ERROR
expect_reply 2 WELCOME server_seq 3050

echo "-- the real site finishes the job"
site sync --data "$T/$S" >"$T/final.out" 2>&1 || fail "final sync: $(cat "$T/final.out")"
check "central store: 3200 records, last seq 3200" [ "$(central_site $S)" = "3200 3200" ]
check "total 3200" [ "$(central_total)" = 3200 ]
check "chain verified" central_verify
check "same content on both sides at 3200" same_last_hash $S 3200
check "same content on both sides at 3000" same_last_hash $S 3000
check "outbox empty" [ "$(site_status $S outbox_pending)" = 0 ]
server_stop || fail "server exit status"

echo "-- a server that welcomes but never acknowledges (a black hole): a one-shot sync"
echo "   starts over before it gives up, then gives up (exit 2) instead of looping forever"
BH=tcp://127.0.0.1:$(free_port)
bg_start BH_PID "$T/blackhole.out" "$PROBE" --bind "$BH" blackhole 300
bh_up() { grep LISTENING "$T/blackhole.out" || { tail -n 2 "$T/blackhole.out"; return 1; }; }
wait_for "the black hole to listen" bh_up
site_init_plain qu01.bh
gen_matters 300 "$T/bh.csv"; site_import qu01.bh "$T/bh.csv"
t0=$(now_ms); rc=0
timeout 60 "$SITE" sync --data "$T/qu01.bh" --server "$BH" --timeout 4 >"$T/bh-sync.out" 2>&1 || rc=$?
took=$(( $(now_ms) - t0 ))
hellos=$(grep -c '^HELLO' "$T/blackhole.out")
echo "   sync exit $rc after $took ms; the black hole saw $hellos HELLOs, $(grep -c '^BATCH' "$T/blackhole.out") BATCHes"
grep -v ' info: ' "$T/bh-sync.out" | head -1 | sed 's/^/   /'
check "sync against a black hole exits 2" [ "$rc" = 2 ]
# Not before its timeout; and not much later either (a sync that loops on
# starting over would run until the outer timeout kills it: exit 124).  The
# bound is loose: on a busy machine a process start alone may take seconds.
check "… not before its 4 s timeout ($took ms)" [ "$took" -ge 4000 ]
check "… and not later than 30 s: it does not loop ($took ms)" [ "$took" -lt 30000 ]
check "… after starting over at least once (HELLOs: $hellos)" [ "$hellos" -ge 2 ]
kill9 "$BH_PID"
