#!/usr/bin/env bash
# P6 (test e): reference data changed while a site is offline reaches it
# after reconnect, in order and exactly once, resumably by cursor; a change
# for another site does not reach it; a site in --watch mode gets a change
# while connected without asking.
source "$(dirname "$0")/lib.sh"
server_init
site_init qu01.a
server_start
site sync --data "$T/qu01.a" >"$T/sync0.out" 2>&1 || fail "first sync"
check "no reference data yet but its own community (c1)" [ "$(site_status qu01.a refdata)" = 1 ]

# Site offline (not syncing); the district changes reference data, some of it
# while the server process itself is down.
server ref put --data "$T/srv" unit U01 name=区委办 >/dev/null || fail "ref put U01"
server ref put --data "$T/srv" unit U02 name=区政协办 >/dev/null || fail "ref put U02"
# An entry for another site (enrolled: a misspelt site is refused).
"$SERVER" site enroll --data "$T/srv" --site qu01.other --community c1 --out "$T/other.bundle" \
  >/dev/null || fail "enroll qu01.other"
server ref put --data "$T/srv" --site qu01.other unit U99 "name=not for site a" >/dev/null \
  || fail "ref put for another site"
server_stop || fail "server exit status"
server ref put --data "$T/srv" unit U02 name=区政协办公室 >/dev/null    # an update
server ref put --data "$T/srv" community gongyuan name=公园社区 >/dev/null
server ref del --data "$T/srv" unit U01 >/dev/null || fail "ref del U01"
# More than one LOG message's worth, so the cursor must advance page by page.
{ echo "code,name"; for i in $(seq 1 2500); do printf 'b%d,品牌%d\n' "$i" "$i"; done; } > "$T/bulk.csv"
printf 'code,name\nb1,ok\nbad|key,x\n' > "$T/bad.csv"
rc=0; server ref import --data "$T/srv" brand "$T/bad.csv" 2>"$T/bad.err" || rc=$?
check "a bad import file is refused naming its row" grep -q "row 3, column 1" "$T/bad.err"
check "...and imports nothing" sh -c "! '$SERVER' ref list --data '$T/srv' brand | grep -q 'b1 '"
server ref import --data "$T/srv" brand "$T/bulk.csv" >/dev/null || fail "ref import"
head=$(sqlite3 "$T/srv/central.db" "SELECT max(lseq) FROM server_log")

server_start
site sync --data "$T/qu01.a" >"$T/sync.out" 2>&1 || fail "sync after reconnect"
list() { site ref list --data "$T/qu01.a" "$@"; }
check "deleted unit U01 is gone" sh -c "! $SITE ref list --data $T/qu01.a unit | grep -q U01"
check "updated unit U02 has its newest value" sh -c "$SITE ref list --data $T/qu01.a unit | grep -q 区政协办公室"
check "entry for another site did not arrive" sh -c "! $SITE ref list --data $T/qu01.a | grep -q U99"
check "community arrived" sh -c "$SITE ref list --data $T/qu01.a community | grep -q 公园社区"
n=$(sqlite3 "$T/qu01.a/site.db" "SELECT count(*) FROM refdata WHERE kind='brand'")
check "all 2500 brands arrived (got $n)" [ "$n" = 2500 ]
check "cursor is at the log head ($head)" [ "$(site_status qu01.a cursor)" = "$head" ]
check "sync reported 2505 entries applied" grep -q "reference entries applied 2505" "$T/sync.out"
site sync --data "$T/qu01.a" >"$T/sync2.out" 2>&1 || fail "second sync"
check "second sync applies nothing again" grep -q "reference entries applied 0" "$T/sync2.out"

# A connected --watch site receives a change without reconnecting: the
# change is made once the server has the watching site's session (its HELLO
# is in the server log).
hellos() { grep -c "site qu01.a: hello" "$T/server.log"; }
hellos_before=$(hellos)
site sync --data "$T/qu01.a" --watch --quiet >"$T/watch.out" 2>&1 &
watch_pid=$!; PIDS+=("$watch_pid")
SL_LOGS+=("$T/watch.out")
watch_connected() { local n; n=$(hellos); echo "$n HELLOs of qu01.a in the server log, $hellos_before before"; [ "$n" -gt "$hellos_before" ]; }
wait_for "the watching site's HELLO to reach the server" watch_connected
server ref put --data "$T/srv" unit U03 name=卫健委 >/dev/null
u03() { sqlite3 "$T/qu01.a/site.db" "SELECT json_extract(value, '$.name') FROM refdata WHERE kind='unit' AND key='U03'"; }
wait_value "the watching site's unit U03" 卫健委 u03
check "watching site got the new unit while connected ($WAITED_MS ms)" running "$watch_pid"
kill -TERM "$watch_pid"; wait "$watch_pid" 2>/dev/null
server_stop || fail "server exit status"

# Central store restored from a backup: the district gives its log a new
# identity, and every site reloads all reference data (nothing stale kept).
before=$(site_status qu01.a refdata)
sqlite3 "$T/qu01.a/site.db" "INSERT INTO refdata VALUES ('unit', 'STALE', 'only on the site', 1)"
server ref new-epoch --data "$T/srv" >/dev/null || fail "new-epoch"
server_start
site sync --data "$T/qu01.a" >"$T/sync3.out" 2>&1 || fail "sync after new epoch"
check "after a new log identity the site reloaded everything (${before} entries)" \
  [ "$(site_status qu01.a refdata)" = "$before" ]
check "...and dropped what the server does not have" \
  [ "$(sqlite3 "$T/qu01.a/site.db" "SELECT count(*) FROM refdata WHERE key='STALE'")" = 0 ]
server_stop || fail "server exit status"
