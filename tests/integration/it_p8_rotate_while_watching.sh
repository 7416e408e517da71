#!/usr/bin/env bash
# P8 key rotation with a sync running: `rotate-key` while `sync --watch` runs
# in another process.  0.2.0's watching process was refused with the old key
# ("replaced by a newer key") and exited 3, and the documented service did
# not restart it: records entered later were never sent (5 lost in a 25-round
# test).  Now a running sync (watching or one-shot) reads site.key again when
# the server refuses its key, and goes on with the new one.
source "$(dirname "$0")/lib.sh"
A=qu01.a
central_is() { [ "$(central_count "$1")" = "$2" ]; }
server_init
site_init $A
gen_matters 10 "$T/a.csv"
site_import $A "$T/a.csv"
server_start
bg_start WATCH "$T/watch.log" site sync --watch --data "$T/$A"
wait_until 60 central_is $A 10 || fail "the watching sync did not send the first 10"
n=10
for round in 1 2 3 4 5; do
  add_report $A "轮换前 $round"
  n=$((n + 1))
  rc=0; timeout 120 "$SITE" rotate-key --data "$T/$A" --timeout 60 >"$T/rotate$round.out" 2>&1 || rc=$?
  [ "$rc" = 0 ] || { cat "$T/rotate$round.out"; fail "rotate-key round $round: exit $rc"; }
  # A one-shot sync at the same time as the watching one, right after the rotation.
  add_report $A "轮换后 $round"
  n=$((n + 1))
  timeout 120 "$SITE" sync --data "$T/$A" --timeout 60 >"$T/oneshot$round.out" 2>&1 &
  ONE=$!
  wait_until 60 central_is $A $n \
    || fail "round $round: central has $(central_count $A) of $n records; watch log: $(tail -3 "$T/watch.log")"
  rc=0; wait "$ONE" || rc=$?
  soft_check "round $round: watching sync alive, one-shot sync exit 0 (got $rc), central $n" \
    eval "running $WATCH && [ $rc = 0 ]"
done
check "no record lost: central holds all $n" [ "$(central_count $A)" = $n ]
check "the watching sync is still running after 5 rotations" running "$WATCH"
soft_check "it said it took the new key" grep -q "key was replaced meanwhile" "$T/watch.log"
active=$(sq "$T/srv/central.db" "SELECT count(*) FROM keys WHERE site_id='$A' AND role='site' AND status='active'")
soft_check "one active key left for the site (got $active)" [ "$active" = 1 ]
kill -TERM "$WATCH"; wait_exit "$WATCH" 30 || kill9 "$WATCH"
check "chain verified" central_verify
server_stop || fail "server exit status"
