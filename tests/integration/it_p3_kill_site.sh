#!/usr/bin/env bash
# P2, P3, P5 (test c): kill -9 of the site at random moments, at least 10
# times: one-shot syncs killed mid-sync, and in some rounds a `record
# import` killed while it writes (with a sync running next to it).  A killed
# import leaves all of its rows or none; what the site was told is
# acknowledged is in the central store; a new sync resumes where the killed
# one stopped.  At the end every record is in the central store exactly
# once, chain intact, same content on both sides, outbox empty.
#
# The server runs with small batches (--batch 10 --credit 1) so that a sync
# of the backlog lasts seconds and the kills land in the middle of it.  Two
# of three sync kills wait until the sync has committed something (then a
# random 0..300 ms more): on a busy machine a process may need more than the
# whole random window just to start, and a kill before its first commit is
# not a kill mid-sync.  Every third is blind (20..400 ms after the start,
# wherever that falls: connect, handshake, or mid-sync).
source "$(dirname "$0")/lib.sh"
N0=$(scaled 20000)          # backlog imported before the first sync
CHUNK=$(scaled 6000)        # rows per import in the import rounds
SYNC_KILLS=10
IMPORT_KILLS=4              # at least; more (up to 12) until one was cut mid-way
S=qu01.crash
SARGS=(--batch 10 --credit 1)

server_init
site_init $S
gen_matters "$N0" "$T/base.csv"
site_import $S "$T/base.csv"
gen_matters "$CHUNK" "$T/chunk.csv" 追加
# How long an import of CHUNK rows takes here: the kill window for imports.
t0=$(date +%s%N); site_import $S "$T/chunk.csv"; t1=$(date +%s%N)
IMPORT_MS=$(( (t1 - t0) / 1000000 ))
echo "an import of $CHUNK rows takes $IMPORT_MS ms here"
check "site holds $((N0 + CHUNK)) records" [ "$(site_count $S)" = $((N0 + CHUNK)) ]
server_start "${SARGS[@]}"

sync_kills=0 import_kills=0 mid=0 prev=0 all=0 none=0 round=0
sync_progress() {
  local c; c=$(central_count $S)
  echo "central store has $c records of $S (before this sync: $base); sync running: $(running "$SYNC_PID" && echo yes || echo no)"
  [ "$c" -gt "$base" ] || ! running "$SYNC_PID"
}
while [ $round -lt 60 ]; do
  round=$((round + 1))
  imports_wanted=no
  { [ $import_kills -lt $IMPORT_KILLS ] || { [ $none = 0 ] && [ $import_kills -lt 12 ]; }; } && imports_wanted=yes
  [ $sync_kills -ge $SYNC_KILLS ] && [ $imports_wanted = no ] && break
  if { [ $((round % 3)) = 0 ] || [ $sync_kills -ge $SYNC_KILLS ]; } && [ $imports_wanted = yes ]; then
    # An import with a sync beside it; kill -9 both at one random moment.
    before=$(site_count $S)
    bg_start SYNC_PID "$T/sync.log" "$SITE" sync --data "$T/$S" --timeout 30
    started=$(now_ms)
    bg_start IMP_PID "$T/import.log" "$SITE" record import --data "$T/$S" problem_report "$T/chunk.csv"
    delay=$(rand_ms 0 "$IMPORT_MS")
    sleep_ms "$delay"
    alive=no; running "$IMP_PID" && alive=yes
    delay=$(( $(now_ms) - started ))
    kill9 "$IMP_PID"; imp_rc=$WAIT_RC
    kill9 "$SYNC_PID"
    import_kills=$((import_kills + 1))
    after=$(site_count $S)
    if [ "$after" = "$before" ]; then outcome=none; none=$((none + 1));
    elif [ "$after" = $((before + CHUNK)) ]; then outcome=all; all=$((all + 1));
    else fail "killed import left $((after - before)) of its $CHUNK rows (before $before, after $after)"; fi
    echo "import kill $import_kills after ${delay} ms (import still running: $alive, exit $imp_rc):" \
         "site had $before, now $after: $outcome of its rows"
    [ "$(sq "$T/$S/site.db" 'SELECT count(*) = max(seq) FROM events')" = 1 ] \
      || fail "site store has a gap in its sequence after a killed import"
  else
    base=$(central_count $S)
    started=$(now_ms)
    bg_start SYNC_PID "$T/sync.log" "$SITE" sync --data "$T/$S" --timeout 30
    if [ $((sync_kills % 3)) = 2 ]; then
      how=blind
      sleep_ms "$(rand_ms 20 400)"
    else
      how=after-progress
      wait_for "the sync to commit more than $base records (or end)" sync_progress
      sleep_ms "$(rand_ms 0 300)"
    fi
    alive=no; running "$SYNC_PID" && alive=yes
    delay=$(( $(now_ms) - started ))
    kill9 "$SYNC_PID"; sync_rc=$WAIT_RC
    sync_kills=$((sync_kills + 1))
    # The server may still commit what was on the wire: count and last_seq
    # are read in one transaction, so that such a commit cannot fall between.
    local_n=$(site_count $S)
    read -r count last < <(central_count_seq $S); acked=$(site_acked $S)
    tag=""
    if [ "$count" -gt "$base" ] && [ "$count" -lt "$local_n" ]; then mid=$((mid + 1)); tag=" (mid-sync)"; fi
    echo "sync kill $sync_kills ($how) after ${delay} ms (still running: $alive, exit $sync_rc):" \
         "central $count (last_seq $last) of $local_n, site acked $acked$tag"
    [ "$count" = "$last" ] || fail "central count $count but last_seq $last"
    [ "$count" -ge "$prev" ] || fail "central count went back from $prev to $count"
    [ "$acked" -le "$count" ] || fail "site acked $acked but the central store holds $count"
    prev=$count
  fi
done
check "at least $SYNC_KILLS syncs killed" [ $sync_kills -ge $SYNC_KILLS ]
check "at least $IMPORT_KILLS imports killed (all: $all, none: $none)" [ $import_kills -ge $IMPORT_KILLS ]
check "at least one import was killed mid-way and left none of its rows" [ $none -ge 1 ]
check "at least 3 sync kills landed mid-sync: $mid" [ $mid -ge 3 ]
check "site store intact" [ "$(sq "$T/$S/site.db" 'PRAGMA integrity_check')" = ok ]
N=$(site_count $S)
check "site sequence has no gap (count == last seq == $N)" \
  [ "$(sq "$T/$S/site.db" 'SELECT max(seq) FROM events')" = "$N" ]
[ "$N" -ge 20000 ] || [ "$SL_SCALE" != 1 ] || fail "only $N records (want at least 20000)"

t0=$(date +%s)
# --timeout: 30 s without progress; the outer timeout only guards a hang.
timeout "$(secs 900)" "$SITE" sync --data "$T/$S" --timeout 30 >"$T/final.out" 2>&1 || fail "final sync: $(cat "$T/final.out")"
echo "final sync took $(( $(date +%s) - t0 )) s"
check "central store holds $N records, last seq $N" [ "$(central_site $S)" = "$N $N" ]
check "total is $N (nothing twice)" [ "$(central_total)" = "$N" ]
check "chain verified, no gaps" central_verify
check "site's hash at $N equals the central one" same_last_hash $S "$N"
check "site outbox empty" [ "$(site_status $S outbox_pending)" = 0 ]
server_stop || fail "server exit status"
