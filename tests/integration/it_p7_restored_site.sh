#!/usr/bin/env bash
# P7 (test f): a site whose data directory is restored from an older copy is
# detected at its next sync, pulls its own missing records back from the
# server, and never forks history: a restored copy that has new records
# entered is refused, and the server stores none of them.
source "$(dirname "$0")/lib.sh"
server_init
site_init qu01.a
server_start
gen_matters 100 "$T/first.csv" 早; site_import qu01.a "$T/first.csv"
site sync --data "$T/qu01.a" >"$T/sync1.out" 2>&1 || fail "first sync: $(tail -n 2 "$T/sync1.out")"
cp -a "$T/qu01.a" "$T/backup"                       # the old copy: 100 records
gen_matters 200 "$T/second.csv" 晚; site_import qu01.a "$T/second.csv"
site sync --data "$T/qu01.a" >"$T/sync2.out" 2>&1 || fail "second sync: $(tail -n 2 "$T/sync2.out")"
check "server holds 300" [ "$(central_site qu01.a)" = "300 300" ]

# Disk replaced by the old copy.
rm -rf "$T/qu01.a"; cp -a "$T/backup" "$T/qu01.a"
check "restored copy has 100 records" [ "$(site_status qu01.a local_records)" = 100 ]
site sync --data "$T/qu01.a" >"$T/restore.out" 2>&1 || { cat "$T/restore.out"; fail "sync of the restored copy"; }
check "sync says it restored 200 records" grep -q "restored from server 200" "$T/restore.out"
check "restored site has 300 records again" [ "$(site_status qu01.a local_records)" = 300 ]
check "outbox empty" [ "$(site_status qu01.a outbox_pending)" = 0 ]
check "restored records are the server's (hash at 300)" same_last_hash qu01.a 300
check "server still holds exactly 300" [ "$(central_site qu01.a)" = "300 300" ]
site record add --data "$T/qu01.a" problem_report reporter_kind=resident summary=恢复后新录入 on=2025-07-01 >/dev/null
site sync --data "$T/qu01.a" >"$T/sync3.out" 2>&1 || fail "sync after restore: $(tail -n 2 "$T/sync3.out")"
check "new record after restore arrives as 301" [ "$(central_site qu01.a)" = "301 301" ]

# Old copy again, and this time records are entered before syncing: a fork.
rm -rf "$T/qu01.a"; cp -a "$T/backup" "$T/qu01.a"
site record add --data "$T/qu01.a" problem_report reporter_kind=resident summary=分叉记录 on=2025-07-02 >/dev/null
rc=0; site sync --data "$T/qu01.a" >"$T/fork.out" 2>&1 || rc=$?
check "forked site is refused (exit 3)" [ "$rc" = 3 ]
check "the message says history has forked" grep -q "forked" "$T/fork.out"
check "server unchanged: 301" [ "$(central_site qu01.a)" = "301 301" ]
check "fork recorded as an incident" sh -c "$SERVER incidents --data $T/srv | grep -q qu01.a"
check "forked record kept locally (nothing lost)" [ "$(site_status qu01.a local_records)" = 101 ]
check "chain verified" central_verify
server_stop || fail "server exit status"
