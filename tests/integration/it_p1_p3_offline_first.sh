#!/usr/bin/env bash
# P1, P3 (test a): records entered while no server exists arrive exactly
# once after the server starts; a second sync adds nothing.
source "$(dirname "$0")/lib.sh"
server_init
site_init qu01.a
site_init qu01.b
# Entry with no server at all: must succeed at once (P1).
site record add --data "$T/qu01.a" problem_report reporter_kind=courier summary=井盖缺失 on=2025-05-01 >/dev/null \
  || fail "entry offline"
site record add --data "$T/qu01.a" 问题上报 上报人类别=快递员 问题描述=路灯不亮 上报日期=2025-05-02 >/dev/null \
  || fail "entry offline with Chinese names"
check "both are listed with their state" \
  sh -c "$SITE record list --data $T/qu01.a | grep -c 已上报 | grep -qx 2"
check "a rating of an item not yet closed is refused, offline too (exit 64)" \
  sh -c "! $SITE record add --data $T/qu01.a rating item=#1 stars=5 2>/dev/null; [ \$? = 0 ]"
gen_matters 500 "$T/a.csv"; site_import qu01.a "$T/a.csv"
gen_matters 300 "$T/b.csv"; site_import qu01.b "$T/b.csv"
rc=0; site sync --data "$T/qu01.a" --timeout 1 >"$T/sync-offline.out" 2>&1 || rc=$?
check "sync with no server exits 2 (unreachable) and loses nothing" [ "$rc" = 2 ]
check "outbox still holds 502" [ "$(site_status qu01.a outbox_pending)" = 502 ]

server_start
site sync --data "$T/qu01.a" >"$T/sync-a.out" 2>&1 || fail "sync a: $(tail -n 2 "$T/sync-a.out")"
site sync --data "$T/qu01.b" >"$T/sync-b.out" 2>&1 || fail "sync b: $(tail -n 2 "$T/sync-b.out")"
check "site a: 502 records, last seq 502" [ "$(central_site qu01.a)" = "502 502" ]
check "site b: 300 records" [ "$(central_site qu01.b)" = "300 300" ]
check "outbox empty after sync" [ "$(site_status qu01.a outbox_pending)" = 0 ]
site sync --data "$T/qu01.a" >"$T/sync-a2.out" 2>&1 || fail "second sync: $(tail -n 2 "$T/sync-a2.out")"
check "second sync adds nothing" [ "$(central_total)" = 802 ]
check "chain verified" central_verify
check "same content on both sides" same_last_hash qu01.a 502

# 一事一评 once the site has the units (its first sync brought them): one
# rating per item, also inside one import (all or nothing).
publish_units
site sync --data "$T/qu01.a" >/dev/null 2>&1 || fail "sync for the units"
site record add --data "$T/qu01.a" service_matter unit=u1 title=新增长椅 status=done on=2025-05-01 >/dev/null \
  || fail "a done matter"
id=$(site record list --data "$T/qu01.a" --tsv | head -1 | cut -f5)
site record add --data "$T/qu01.a" rating item="$id" stars=5 >/dev/null || fail "rating"
check "a listed rating names what it rates" \
  sh -c "$SITE record list --data $T/qu01.a --type rating | grep -q '评价事项=#503 新增长椅'"
rc=0; site record add --data "$T/qu01.a" 一事一评 评价事项=#503 星级=1 >/dev/null 2>&1 || rc=$?
check "a second rating of the same item is refused as an input error (exit 64, got $rc)" [ "$rc" = 64 ]
printf 'item,stars\n#503,4\n' > "$T/r.csv"
check "a CSV rating of an already rated item (#503) is refused" \
  sh -c "! $SITE record import --data $T/qu01.a rating $T/r.csv 2>/dev/null"
site record add --data "$T/qu01.a" 民生实事 单位=u1 事项=第二件 状态=已完成 日期=2025-05-02 >/dev/null \
  || fail "a second done matter (Chinese names)"
id2=$(site record list --data "$T/qu01.a" --tsv --limit 1 | cut -f5)
printf 'item,stars\n%s,4\n%s,2\n' "$id2" "$id2" > "$T/r2.csv"
check "an import rating one item twice is refused whole" \
  sh -c "! $SITE record import --data $T/qu01.a rating $T/r2.csv 2>/dev/null"
check "...and saved nothing" [ "$(site_status qu01.a local_records)" = 505 ]
printf '评价事项,星级\n#505,5\n' > "$T/r3.csv"
check "a CSV rating may name its item as #SEQ (Chinese headers)" \
  sh -c "$SITE record import --data $T/qu01.a 一事一评 $T/r3.csv >/dev/null"
check "...and it rates record 505" \
  sh -c "$SITE record list --data $T/qu01.a --type rating | grep -q '评价事项=#505 第二件'"
site sync --data "$T/qu01.a" >/dev/null 2>&1 || fail "sync of the ratings"
check "the server took the matters and their ratings: 506" [ "$(central_site qu01.a)" = "506 506" ]
server_stop || fail "server exit status"
