#!/usr/bin/env bash
# P6 and RECORDS.md "Reference data": reference data as typed entries.
# shuanglian-admin (over the network) and shuanglian-server (on the server
# machine) publish entries checked against the kind table: ref put, del,
# list, import; each refusal is clear and the same both ways (unknown kind,
# unknown field, a member of a unit that does not exist, a misspelt --site,
# del of a missing entry or of a unit that still has members, a CSV with a
# bad row: nothing imported, the message names row and column); the old
# untyped forms are refused with a pointer to the new ones.  Entries reach
# the site at its next sync and show with their fields as columns; a site
# that was offline while its roster changed still syncs everything it
# entered.
source "$(dirname "$0")/lib.sh"
server_init
site_init qu01.a
server_start
site sync --data "$T/qu01.a" >/dev/null 2>&1 || fail "first sync"
listing() { server ref list --data "$T/srv" 2>&1; }

echo "-- publishing over the network and locally"
admin ref put unit u01 name=区委办 >"$T/put.out" 2>&1 || fail "admin ref put unit: $(cat "$T/put.out")"
# (#1 is the community c1 the site was enrolled with.)
check "admin ref put answers with the server log position" grep -q "server log #2: put unit/u01 for all sites" "$T/put.out"
admin ref put 在职党员 m001 姓名=张三 所属单位=u01 特长=剪纸 >/dev/null 2>&1 || fail "put member in Chinese"
server ref put --data "$T/srv" brand b01 name=百愿牵手 >"$T/local.out" 2>&1 || fail "local put: $(cat "$T/local.out")"
check "the local put answers the same way" grep -q "put brand/b01 for all sites" "$T/local.out"
admin ref put unit u01 name=区委办 secretary=m001 secretary_since=2024/3/1 >/dev/null 2>&1 \
  || fail "unit with its secretary"
admin ref put setting 受理时限\(天\) value=2 >/dev/null 2>&1 || fail "setting by its Chinese name"
admin ref put unit u05 name=只给a站点 --site qu01.a >/dev/null 2>&1 || fail "put for one site"
admin ref put unit u01 name=区委办 secretary=m001 secretary_since=2024-03-01 >"$T/same.out" 2>&1
check "putting what is already in force changes nothing" grep -q "unchanged" "$T/same.out"

echo "-- refusals, over the network (exit 3) and locally (the same sentence)"
before=$(listing)
refused "unknown kind" 3 'unknown reference kind "units"; 类别有 kinds are: community(社区)' \
  admin ref put units u02 name=x
refused "… locally" 3 'unknown reference kind "units"' server ref put --data "$T/srv" units u02 name=x
refused "unknown field, listing the kind's fields" 3 \
  'unknown field "nmae" for member m002; the fields of member are: name(姓名) unit(所属单位) skills(特长)' \
  admin ref put member m002 nmae=李四 unit=u01
refused "… locally" 3 'unknown field "nmae" for member m002' \
  server ref put --data "$T/srv" member m002 nmae=李四 unit=u01
refused "a member of a unit that does not exist" 3 \
  'field "unit" is "u99", but there is no such unit (publish it first) for member m003' \
  admin ref put member m003 name=王五 unit=u99
refused "… locally" 3 'there is no such unit' server ref put --data "$T/srv" member m003 name=王五 unit=u99
refused "a required field left out" 3 'field "unit" is required for member m004' \
  admin ref put member m004 name=赵六
refused "… said in Chinese first" 3 '在职党员 m004 的字段 "unit"（所属单位）必填' \
  admin ref put member m004 name=赵六
refused "a value out of range" 3 'field "value" is 9, must be 0..4 for setting yellow_card_max_stars' \
  admin ref put setting yellow_card_max_stars value=9
refused "a secretary who is not a member of the unit" 3 'but member "m001" has unit "u01", not "u02"' \
  admin ref put unit u02 name=区政协办 secretary=m001
refused "a misspelt --site" 3 'no site "qu01.aa" is enrolled; check the spelling' \
  admin ref put unit u06 name=x --site qu01.aa
refused "… locally" 3 'no site "qu01.aa" is enrolled' server ref put --data "$T/srv" unit u06 name=x --site qu01.aa
refused "del of an entry that does not exist" 3 'there is no unit u42 for all sites to delete' \
  admin ref del unit u42
refused "… locally" 3 'there is no unit u42' server ref del --data "$T/srv" unit u42
refused "del of a unit that members still belong to, naming them" 3 \
  'cannot delete unit u01: 1 entries still refer to it, change or delete them first: member m001 张三 (unit)' \
  admin ref del unit u01
refused "the old untyped form (ref put KIND KEY VALUE) says what to type" 64 '"区委办" must be FIELD=VALUE' \
  admin ref put unit u01 区委办
refused "the old TSV import (ref import FILE) says what to type" 64 'expected put KIND KEY FIELD=VALUE' \
  server ref import --data "$T/srv" "$T/none.tsv"

printf 'code,姓名,所属单位\nm010,钱七,u01\nm011,孙八,u01\nm012,周九,u77\nm013,吴十,u01\n' >"$T/bad.csv"
refused "a CSV with a bad row: its row and column are named" 3 \
  'row 4, column 3 (所属单位): field "unit" is "u77", but there is no such unit' \
  admin ref import member "$T/bad.csv"
refused "… said in Chinese first" 3 '第 4 行第 3 列（所属单位）：在职党员 m012 的字段 "unit"' \
  admin ref import member "$T/bad.csv"
refused "… and nothing was imported (said)" 3 'nothing was imported' admin ref import member "$T/bad.csv"
refused "… locally too" 3 'row 4, column 3 (所属单位)' server ref import --data "$T/srv" member "$T/bad.csv"
printf 'code,name,unit\nm020,a,u01\nm020,b,u01\n' >"$T/dup.csv"
refused "a key twice in one file" 3 'row 3: key "m020" already appears in row 2' admin ref import member "$T/dup.csv"
printf 'code,name,uint\nm021,a,u01\n' >"$T/head.csv"
refused "an unknown heading" 3 'row 1, column 3 (uint): unknown field' admin ref import member "$T/head.csv"
printf 'code,name,unit\nm022,a\000b,u01\n' >"$T/nul.csv"
refused "a NUL byte (a UTF-16 file?)" 64 'line 2 is not UTF-8 text' admin ref import member "$T/nul.csv"
check "no refusal changed anything (ref list is as before)" [ "$(listing)" = "$before" ]

echo "-- CSV import: BOM, CRLF, Chinese headings, an empty trailing line; targets by year and task"
printf '\xef\xbb\xbf代码,姓名,所属单位,特长\r\nm010,钱七,u01,"法律,调解"\r\nm011,孙八,u01,\r\nm013,吴十,u01,书法\r\n\r\n' >"$T/members.csv"
admin ref import member "$T/members.csv" >"$T/import.out" 2>&1 || fail "import: $(cat "$T/import.out")"
check "three members imported" grep -q "imported member for all sites: 3 new or changed, 0 unchanged" "$T/import.out"
admin ref import member "$T/members.csv" >"$T/import2.out" 2>&1 || fail "import again"
check "the same file again changes nothing" grep -q "0 new or changed, 3 unchanged" "$T/import2.out"
printf 'year,task,required\n2026,service_matter,3\n2026,党课,2\n' >"$T/targets.csv"
server ref import --data "$T/srv" target "$T/targets.csv" >"$T/targets.out" 2>&1 || fail "targets: $(cat "$T/targets.out")"
check "targets imported locally, by year and task" grep -q "2 new or changed" "$T/targets.out"
admin ref list member >"$T/list.out" 2>&1 || fail "admin ref list member"
check "admin ref list member: Chinese-first headings" grep -q "代码 code .*姓名 name .*所属单位 unit .*特长 skills" "$T/list.out"
check "… and the imported rows, a quoted comma kept" grep -q "m010 .*钱七 .*u01 .*法律,调解" "$T/list.out"
server ref list --data "$T/srv" target >"$T/tlist.out" 2>&1
check "server ref list target: 2026:party_lecture with its count" grep -q "2026:party_lecture .* 2 " "$T/tlist.out"

echo "-- the entries reach the site"
site sync --data "$T/qu01.a" >"$T/sync.out" 2>&1 || fail "sync: $(cat "$T/sync.out")"
site ref list --data "$T/qu01.a" member >"$T/site-members.out" 2>&1
check "site ref list member: fields as columns" grep -q "m001 .*张三 .*u01 .*剪纸" "$T/site-members.out"
check "… imported members too" grep -q "m013 .*吴十 .*u01 .*书法" "$T/site-members.out"
site ref list --data "$T/qu01.a" 区直单位党组织 >"$T/site-units.out" 2>&1
check "site ref list 区直单位党组织: the secretary and the date" grep -q "u01 .*区委办 .*m001 .*2024-03-01" "$T/site-units.out"
check "… and the entry for this site only" grep -q "u05 .*只给a站点" "$T/site-units.out"
site ref list --data "$T/qu01.a" >"$T/site-all.out" 2>&1
check "site ref list: every kind, labelled" grep -q "参数 .*accept_days .*值=2" "$T/site-all.out"
refused "site ref list of an unknown kind" 64 'unknown reference kind "memb"' site ref list --data "$T/qu01.a" memb

echo "-- a site offline while its roster changes still syncs everything it entered"
gen_matters 30 "$T/offline.csv" 离线
site_import qu01.a "$T/offline.csv"
admin ref del member m001 >/dev/null 2>&1 && fail "m001 is u01's secretary: its deletion must be refused"
admin ref put unit u01 name=区委办 >/dev/null 2>&1 || fail "unit without secretary"
admin ref del member m001 >/dev/null 2>&1 || fail "del member m001"
for m in m010 m011 m013; do admin ref del member $m >/dev/null 2>&1 || fail "del $m"; done
admin ref del unit u01 >"$T/del.out" 2>&1 || fail "del unit u01 once its members are gone: $(cat "$T/del.out")"
site sync --data "$T/qu01.a" >"$T/sync2.out" 2>&1 || fail "sync after the roster changed: $(cat "$T/sync2.out")"
check "all 30 records entered with the old roster were accepted" [ "$(central_site qu01.a)" = "30 30" ]
check "… and the site's roster is the new one (u01 gone)" \
  sh -c "! '$SITE' ref list --data '$T/qu01.a' unit | grep -q '^u01 '"
server_stop || fail "server exit status"
