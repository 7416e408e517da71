#!/usr/bin/env bash
# P3, P4, P5 (test b): kill -9 of the server at random moments while a site
# syncs a backlog of 20,000 records, at least 10 times.  After every kill:
# what the site was told is acknowledged is in the central store (P4), and
# the central count never goes back.  At the end: every record exactly once,
# in order, chain intact, the same content on both sides, outbox empty.
#
# The site runs one-shot `sync --timeout 30` in the background the whole
# time: it must ride through every restart of the server by itself (a server
# that is back within the timeout is not "unreachable") and end with exit 0.
# The server runs with tiny batches (--batch 5 --credit 1) so that a sync
# lasts long enough for the kills to land in the middle of it.  Two of three
# kills wait until this server has committed something (then a random
# 0..300 ms more): after a restart the site reconnects within its reconnect
# interval (up to 5 s), and on a busy machine a server may need more than the
# whole random window just to start; a kill before any commit is not a kill
# mid-sync.  Every third kill is blind (20..400 ms after the start).
source "$(dirname "$0")/lib.sh"
N=$(scaled 20000)
KILLS=10            # at least this many kills
MID_WANTED=5        # … and at least this many mid-sync: records committed in
                    # that server's lifetime, and the count still short of N
MAX_ROUNDS=40
SITE_ID=qu01.kill
SARGS=(--batch 5 --credit 1)

server_init
site_init $SITE_ID
gen_matters "$N" "$T/m.csv"
site_import $SITE_ID "$T/m.csv"
check "site holds $N records before any sync" [ "$(site_count $SITE_ID)" = "$N" ]

SYNC_PID=
SYNC_RUNS=0
SYNC_CODES=()
start_sync() {
  SYNC_RUNS=$((SYNC_RUNS + 1))
  bg_start SYNC_PID "$T/sync.log" "$SITE" sync --data "$T/$SITE_ID" --timeout 30
}
start_sync

round=0 kills=0 mid=0 prev=0
observed=()
# This server has committed something, or nothing more can come (the
# one-shot sync ended, or everything is in).
server_progress() {
  local c; c=$(central_count $SITE_ID)
  echo "central store has $c of $N (before this server: $prev); one-shot sync running: $(running "$SYNC_PID" && echo yes || echo no)"
  [ "$c" -gt "$prev" ] || [ "$c" -ge "$N" ] || ! running "$SYNC_PID"
}
while [ $round -lt $MAX_ROUNDS ]; do
  round=$((round + 1))
  server_start "${SARGS[@]}"
  started=$(now_ms)
  if [ $((round % 3)) = 0 ]; then
    how=blind
    sleep_ms "$(rand_ms 20 400)"
  else
    how=after-progress
    wait_for "server $round to commit some of $SITE_ID's records" server_progress
    sleep_ms "$(rand_ms 0 300)"
  fi
  before=$(central_count $SITE_ID)
  delay=$(( $(now_ms) - started ))
  server_kill9
  kills=$((kills + 1))
  sleep 0.1                       # let the site take whatever was already on the wire
  count=$(central_count $SITE_ID)
  last=$(central_last_seq $SITE_ID)
  acked=$(site_acked $SITE_ID)
  tag=""
  if [ "$count" -gt "$prev" ] && [ "$count" -lt "$N" ]; then mid=$((mid + 1)); tag=" (mid-sync)"; fi
  echo "kill $kills ($how) after ${delay} ms: central count $before before the kill, $count after" \
       "(last_seq $last), site acked $acked$tag"
  observed+=("$count")
  [ "$count" = "$last" ] || fail "kill $kills: central count $count but last_seq $last (gap or duplicate)"
  [ "$count" -ge "$prev" ] || fail "kill $kills: central count went back from $prev to $count (lost commits)"
  [ "$acked" -le "$count" ] || fail "kill $kills: site was acknowledged $acked but the central store holds $count (ack before commit, P4)"
  prev=$count
  if ! running "$SYNC_PID"; then
    wait_exit "$SYNC_PID" 5
    SYNC_CODES+=("$WAIT_RC")
    echo "  one-shot sync #$SYNC_RUNS ended with exit $WAIT_RC: $(grep -E '同步|sync' "$T/sync.log" | tail -1)"
    [ "$WAIT_RC" = 0 ] || [ "$WAIT_RC" = 2 ] || fail "sync exited $WAIT_RC (see $T/sync.log)"
    [ "$count" -lt "$N" ] && start_sync
  fi
  [ $kills -ge $KILLS ] && [ $mid -ge $MID_WANTED ] && break
  [ $kills -ge $KILLS ] && [ "$count" -ge "$N" ] && break
done
echo "central counts at the kills: ${observed[*]}"
check "at least $KILLS kills of the server" [ $kills -ge $KILLS ]
check "at least 3 kills landed mid-sync (progress, then killed with 0 < count < $N): $mid" [ $mid -ge 3 ]

# Final: the server stays up; the running one-shot sync (or a new one) ends level.
server_start "${SARGS[@]}"
if ! running "$SYNC_PID" && [ "$(central_count $SITE_ID)" -lt "$N" ]; then
  wait_exit "$SYNC_PID" 5 && SYNC_CODES+=("$WAIT_RC")
  start_sync
fi
if running "$SYNC_PID"; then
  # The rest of the backlog at --batch 5 --credit 1: this takes a while on a
  # busy machine; the sync itself gives up after 30 s without progress.
  wait_exit "$SYNC_PID" 900 || fail "the one-shot sync did not finish within $(secs 900) s of the last restart"
  SYNC_CODES+=("$WAIT_RC")
  check "the one-shot sync riding through the kills ends with exit 0" [ "$WAIT_RC" = 0 ]
fi
echo "one-shot syncs started: $SYNC_RUNS, exit codes: ${SYNC_CODES[*]}"
check "every one-shot sync ended 0 (none gave up while the server came back within its timeout)" \
  [ "$(printf '%s\n' "${SYNC_CODES[@]}" | grep -vc '^0$')" = 0 ]
timeout "$(secs 300)" "$SITE" sync --data "$T/$SITE_ID" --timeout "$(secs 60)" >"$T/final.out" 2>&1 || fail "final sync: $(cat "$T/final.out")"
check "central store holds $N records, last seq $N" [ "$(central_site $SITE_ID)" = "$N $N" ]
check "total is $N (nothing twice)" [ "$(central_total)" = "$N" ]
check "chain verified, no gaps" central_verify
check "site's hash at $N equals the central one" same_last_hash $SITE_ID "$N"
check "site outbox empty" [ "$(site_status $SITE_ID outbox_pending)" = 0 ]
check "site acked_seq is $N" [ "$(site_status $SITE_ID acked_seq)" = "$N" ]
server_stop || fail "server exit status"
