#!/usr/bin/env bash
# P1, P3 (test a): records entered while no server exists arrive exactly
# once after the server starts; a second sync adds nothing.
source "$(dirname "$0")/lib.sh"
server_init
site_init qu01.a
site_init qu01.b
# Entry with no server at all: must succeed at once (P1).
site record add --data "$T/qu01.a" service_matter unit=区委办 title=新增长椅 done_on=2025-05-01 >/dev/null \
  || fail "entry offline"
id=$(site record list --data "$T/qu01.a" --tsv | head -1 | cut -f5)
site record add --data "$T/qu01.a" rating item="$id" stars=5 >/dev/null || fail "rating offline"
check "a listed rating names what it rates" \
  sh -c "$SITE record list --data $T/qu01.a --type rating | grep -q '评价事项=#1 新增长椅'"
# 一事一评: one rating per item, also inside one import (all or nothing).
check "a second rating of the same item is refused" \
  sh -c "! $SITE record add --data $T/qu01.a 一事一评 评价事项=#1 星级=1 2>/dev/null"
printf 'item,stars\n#1,4\n' > "$T/r.csv"
check "a CSV rating of an already rated item (#1) is refused" \
  sh -c "! $SITE record import --data $T/qu01.a rating $T/r.csv 2>/dev/null"
site record add --data "$T/qu01.a" service_matter unit=区委办 title=第二件 done_on=2025-05-02 >/dev/null
id2=$(site record list --data "$T/qu01.a" --tsv --limit 1 | cut -f5)
printf 'item,stars\n%s,4\n%s,2\n' "$id2" "$id2" > "$T/r2.csv"
check "an import rating one item twice is refused whole" \
  sh -c "! $SITE record import --data $T/qu01.a rating $T/r2.csv 2>/dev/null"
check "...and saved nothing" [ "$(site_status qu01.a local_records)" = 3 ]
printf '评价事项,星级\n#3,5\n' > "$T/r3.csv"
check "a CSV rating may name its item as #SEQ (Chinese headers)" \
  sh -c "$SITE record import --data $T/qu01.a 一事一评 $T/r3.csv >/dev/null"
check "...and it rates record 3" \
  sh -c "$SITE record list --data $T/qu01.a --type rating | grep -q '评价事项=#3 第二件'"
gen_matters 500 "$T/a.csv"; site_import qu01.a "$T/a.csv"
gen_matters 300 "$T/b.csv"; site_import qu01.b "$T/b.csv"
rc=0; site sync --data "$T/qu01.a" --timeout 1 >"$T/sync-offline.out" 2>&1 || rc=$?
check "sync with no server exits 2 (unreachable) and loses nothing" [ "$rc" = 2 ]
check "outbox still holds 504" [ "$(site_status qu01.a outbox_pending)" = 504 ]

server_start
site sync --data "$T/qu01.a" >"$T/sync-a.out" 2>&1 || fail "sync a: $(tail -n 2 "$T/sync-a.out")"
site sync --data "$T/qu01.b" >"$T/sync-b.out" 2>&1 || fail "sync b: $(tail -n 2 "$T/sync-b.out")"
check "site a: 504 records, last seq 504" [ "$(central_site qu01.a)" = "504 504" ]
check "site b: 300 records" [ "$(central_site qu01.b)" = "300 300" ]
check "outbox empty after sync" [ "$(site_status qu01.a outbox_pending)" = 0 ]
site sync --data "$T/qu01.a" >"$T/sync-a2.out" 2>&1 || fail "second sync: $(tail -n 2 "$T/sync-a2.out")"
check "second sync adds nothing" [ "$(central_total)" = 804 ]
check "chain verified" central_verify
check "same content on both sides" same_last_hash qu01.a 504
server_stop || fail "server exit status"
