#!/usr/bin/env bash
# P4 without waste: a HELLO's bookkeeping (first contact, last seen, cursor,
# the end of a key rotation) joins the round's one durable commit, and its
# WELCOME waits for that commit like an ACK.  0.2.0 committed twice per
# HELLO (two fsyncs, 1.3-1.6 ms of server CPU per site connection).  Counted
# here with strace: 60 HELLOs, each in its own round, cost at most one
# fsync each, and 200 sites saying HELLO at once share far fewer.
source "$(dirname "$0")/lib.sh"
PROBE=$SL_BIN/tests/sl-probe
SWARM=$SL_BIN/tests/sl-swarm
command -v strace >/dev/null || fail "strace is not installed (scripts/setup.sh installs it)"
[ -n "$SL_WRAP" ] && { echo "skipped under $SL_WRAP"; exit 0; }
"$SERVER" init --data "$T/srv" --endpoint "$EP" >/dev/null || fail "server init"
site_init_plain qu01.a
gen_matters 5 "$T/a.csv"; site_import qu01.a "$T/a.csv"
strace -f -qq -e trace=fsync,fdatasync -o "$T/strace.out" \
  "$SERVER" run --data "$T/srv" --bind "$EP" --insecure >>"$T/server.log" 2>&1 &
SERVER_PID=$!; PIDS+=("$SERVER_PID")
wait_until 30 grep -q "serving $EP" "$T/server.log" || fail "server did not start"
site sync --data "$T/qu01.a" >/dev/null 2>&1 || fail "first sync"
syncs() { grep -c 'fsync\|fdatasync' "$T/strace.out"; }
before=$(syncs)
args=(); for i in $(seq 1 60); do args+=(hello); done
"$PROBE" --endpoint "$EP" --data "$T/qu01.a" --wait 5000 "${args[@]}" >"$T/hellos.out" 2>&1 || fail "sl-probe"
check "60 WELCOMEs came back" [ "$(grep -c '^WELCOME' "$T/hellos.out")" = 60 ]
after=$(syncs)
echo "    fsyncs for 60 HELLOs, one per round: $((after - before))"
soft_check "at most one fsync per HELLO (0.2.0: two)" [ $((after - before)) -le 60 ]
before=$after
"$SWARM" --endpoint "$EP" --sites 200 --records 1 --timeout 120 >"$T/swarm.out" 2>&1 || fail "sl-swarm: $(cat "$T/swarm.out")"
after=$(syncs)
echo "    fsyncs for 200 sites at once (HELLO and one batch each): $((after - before))"
soft_check "200 sites at once share commits: fewer fsyncs than sites" [ $((after - before)) -lt 200 ]
# SIGTERM to the server itself (strace's child), then strace ends with it.
kill -TERM "$(pgrep -P "$SERVER_PID" -f shuanglian-server)" 2>/dev/null
wait_exit "$SERVER_PID" 30 || fail "server did not stop within 30 s of SIGTERM"
check "the server stopped cleanly" grep -q "exiting with status 0" "$T/server.log"
