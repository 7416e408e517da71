#!/usr/bin/env bash
# Issue 7 item 1: Chinese type names work everywhere.  0.2.0 took 民生实事
# in `record add` but `record list --type 民生实事` printed an empty table.
# Now every verb that names a type takes its Chinese name: add, list
# (table and --tsv), import, export; an unknown name is refused (exit 64)
# listing the types.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/entry_lib.sh"
site_init_plain qu01.a
for s in 楼道堆放杂物 路灯不亮; do
  site record add --data "$T/qu01.a" 问题上报 reporter_kind=courier "summary=$s" reported_on=2025-03-05 \
    >/dev/null || fail "record add 问题上报"
done
check "record list --type 问题上报 --tsv lists both reports" \
  [ "$(site record list --data "$T/qu01.a" --type 问题上报 --tsv | grep -c problem_report)" = 2 ]
check "… and the table shows them" \
  [ "$(site record list --data "$T/qu01.a" --type 问题上报 | grep -c 问题上报)" = 2 ]
check "--type problem_report gives the same rows" \
  [ "$(site record list --data "$T/qu01.a" --type problem_report --tsv)" = "$(site record list --data "$T/qu01.a" --type 问题上报 --tsv)" ]
check "--type 一事一评 lists none of them" \
  [ "$(site record list --data "$T/qu01.a" --type 一事一评 --tsv | wc -l)" = 0 ]
expect "an unknown type name is refused, listing the types" 64 "问题上报 problem_report" \
  site record list --data "$T/qu01.a" --type 问题
printf 'reporter_kind,summary,reported_on\nresident,井盖松动,2025-03-06\n' >"$T/r.csv"
expect "record import takes the Chinese name" 0 "问题上报" site record import --data "$T/qu01.a" 问题上报 "$T/r.csv"
expect "record export takes the Chinese name" 0 "3 条问题上报" site record export --data "$T/qu01.a" 问题上报 "$T/out.csv"
