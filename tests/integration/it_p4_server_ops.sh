#!/usr/bin/env bash
# P4 and running the server for years (issue 9): the configuration file
# (flags win over it) and log levels; SIGTERM during syncs finishes the round
# in hand, exits 0 and loses nothing; `health` says OK while it serves and
# CRITICAL when it is gone; online backups taken while sites sync restore to
# a store that verify accepts; a restore re-applies the revocations made
# after the backup (and lists the key changes), unless told not to; a
# restore by hand (cp) does not bring a revoked key back either; restore
# refuses while the server runs.
source "$(dirname "$0")/lib.sh"
A=qu01.a B=qu01.b X=qu01.x
# sync_refused WHAT SITE: its sync exits 3 and says its key was revoked.
sync_refused() {
  local rc=0
  site sync --data "$T/$2" --timeout 10 >"$T/sync-refused.out" 2>&1 || rc=$?
  soft_check "$1 (exit $rc)" sh -c "[ $rc = 3 ] && grep -q 'revoked' '$T/sync-refused.out'"
}
N=$(scaled 6000)
server_init
for s in $A $B $X; do site_init $s; done
gen_matters "$N" "$T/a.csv" A
gen_matters "$N" "$T/b.csv" B
site_import $A "$T/a.csv"
site_import $B "$T/b.csv"

echo "-- the configuration file, and flags over it"
# Small batches (credit 2, 100 records each): a sync of N records is 60
# commits, so the test below sees one under way and interrupts it (with the
# server's 1,000 a sync of 6,000 could finish between two looks).
cat >"$T/srv/server.conf" <<EOF
# shuanglian-server configuration (docs/OPERATIONS.md 3.1)
bind = $EP
log_level = warn
credit = 2
batch = 100
EOF
start_plain() {   # run without --bind: the address comes from the configuration
  bg_start SERVER_PID "$T/server.log" $SL_WRAP "$SERVER" run --data "$T/srv" "$@"
  wait_until 20 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null || fail "server did not listen"
}
start_plain
site sync --data "$T/$X" >/dev/null 2>&1 || fail "sync $X"
soft_check "log_level = warn: no info lines" sh -c "! grep -q ' info: ' '$T/server.log'"
refused "a second server on the same data directory is refused" 1 "is running on" \
  "$SERVER" run --data "$T/srv" --bind "tcp://127.0.0.1:$(free_port)"
server_stop || fail "server stop"
: >"$T/server.log"
start_plain --log-level info
soft_check "--log-level info wins over the file" wait_until 10 grep -q ' info: .*serving tcp:' "$T/server.log"
printf 'bind = %s\nlogging = loud\n' "$EP" >"$T/bad.conf"
refused "an unknown key in the configuration is refused by line" 64 "line 2: unknown key" \
  "$SERVER" run --data "$T/srv" --config "$T/bad.conf"

echo "-- health"
rc=0; "$SERVER" health --data "$T/srv" >"$T/health.out" 2>&1 || rc=$?
soft_check "health: exit 0 and OK while serving (got $rc: $(cat "$T/health.out"))" \
  sh -c "[ $rc = 0 ] && grep -q '^OK: ' '$T/health.out'"

echo "-- SIGTERM during syncs loses nothing"
bg_start SA "$T/sa.log" site sync --data "$T/$A" --timeout 60
bg_start SB "$T/sb.log" site sync --data "$T/$B" --timeout 60
some() { local n; n=$(central_count "$1"); [ "$n" -gt 0 ] && [ "$n" -lt "$N" ]; }
wait_until 60 some $A || fail "no sync under way to interrupt (central has $(central_count $A))"
kill -TERM "$SERVER_PID"
wait_exit "$SERVER_PID" 30 || fail "the server did not stop within 30 s of SIGTERM"
check "the server stopped with status 0 (got $WAIT_RC)" [ "$WAIT_RC" = 0 ]
soft_check "… and said why" grep -q "exiting with status 0: stopped by SIGTERM" "$T/server.log"
acked=$(site_acked $A)
soft_check "everything acknowledged before the stop is in the store (acked $acked <= $(central_last_seq $A))" \
  [ "$acked" -le "$(central_last_seq $A)" ]
rc=0; "$SERVER" health --data "$T/srv" >"$T/health2.out" 2>&1 || rc=$?
soft_check "health: CRITICAL (exit 2) when the server is gone (got $rc: $(cat "$T/health2.out"))" \
  sh -c "[ $rc = 2 ] && grep -q '^CRITICAL: ' '$T/health2.out'"
wait_exit "$SA" 120 || kill9 "$SA"
wait_exit "$SB" 120 || kill9 "$SB"
start_plain
site sync --data "$T/$A" >/dev/null 2>&1 || fail "sync $A after the restart"
site sync --data "$T/$B" >/dev/null 2>&1 || fail "sync $B after the restart"
check "nothing lost: $A has all $N in the central store" [ "$(central_count $A)" = "$N" ]
check "nothing lost: $B has all $N" [ "$(central_count $B)" = "$N" ]
check "chains verified" central_verify

echo "-- online backups while sites sync"
more=$(scaled 4000)
gen_matters "$more" "$T/a2.csv" A2
gen_matters "$more" "$T/b2.csv" B2
site_import $A "$T/a2.csv"
site_import $B "$T/b2.csv"
bg_start SA "$T/sa2.log" site sync --data "$T/$A" --timeout 60
bg_start SB "$T/sb2.log" site sync --data "$T/$B" --timeout 60
mkdir -p "$T/bk"
k=0
while running "$SA" || running "$SB"; do
  k=$((k + 1))
  "$SERVER" backup --data "$T/srv" "$T/bk/central-$k.db" >"$T/backup-$k.out" 2>&1 \
    || fail "backup $k during syncs: $(cat "$T/backup-$k.out")"
  [ $k -ge 20 ] && break
done
wait_exit "$SA" 120 || kill9 "$SA"
wait_exit "$SB" 120 || kill9 "$SB"
"$SERVER" backup --data "$T/srv" "$T/bk/central-last.db" >/dev/null 2>&1 || fail "last backup"
soft_check "$k backups were taken while sites synced" [ "$k" -ge 1 ]
for f in "$T"/bk/central-*.db; do
  mkdir -p "$T/check"; rm -f "$T/check/central.db"*; cp "$f" "$T/check/central.db"
  soft_check "backup $(basename "$f") restores to a store verify accepts" \
    "$SERVER" verify --data "$T/check"
done

echo "-- restore re-applies the revocations made after the backup"
admin site revoke $X >"$T/revoke.out" 2>&1 || fail "revoke $X: $(cat "$T/revoke.out")"
sync_refused "the revoked site is refused" $X
refused "restore refuses while the server runs" 1 "stop it first" \
  "$SERVER" restore --data "$T/srv" "$T/bk/central-last.db"
server_stop || fail "server stop"
"$SERVER" restore --data "$T/srv" "$T/bk/central-1.db" >"$T/restore.out" 2>&1 \
  || fail "restore: $(cat "$T/restore.out")"
soft_check "restore lists the key changes since the backup (the revocation of $X)" \
  grep -q "revoke.*$X" "$T/restore.out"
soft_check "… and says it revoked the key again" grep -q "revoked again" "$T/restore.out"
check "the restored store verifies" central_verify
start_plain
sync_refused "after the restore the revoked site is still refused" $X
site sync --data "$T/$A" >/dev/null 2>&1 || fail "sync $A after the restore"
check "the records the backup lacked came back from the site ($A holds $(central_count $A) of $((N + more)))" \
  [ "$(central_count $A)" = $((N + more)) ]
server_stop || fail "server stop"

echo "-- told not to: the revocation stays undone"
"$SERVER" restore --data "$T/srv" "$T/bk/central-last.db" --keep-revocations-undone >"$T/restore2.out" 2>&1 \
  || fail "restore --keep-revocations-undone: $(cat "$T/restore2.out")"
start_plain
soft_check "with --keep-revocations-undone the site syncs again" site sync --data "$T/$X" --timeout 20
server_stop || fail "server stop"

echo "-- a restore by hand does not bring a revoked key back"
start_plain
admin site revoke $X >/dev/null 2>&1 || fail "revoke $X again"
server_stop || fail "server stop"
rm -f "$T/srv/central.db-wal" "$T/srv/central.db-shm"
cp "$T/bk/central-last.db" "$T/srv/central.db"
start_plain
soft_check "the server said it revoked the key again at start" \
  wait_until 10 grep -q "revoked again" "$T/server.log"
sync_refused "the site revoked after the backup is refused after a restore by hand" $X
check "chain verified" central_verify
server_stop || fail "server exit status"
