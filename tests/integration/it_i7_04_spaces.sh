#!/usr/bin/env bash
# Issue 7 item 4: spaces.  0.2.0 saved `title=   ` for a required field,
# kept the spaces of ` 区委办 ` (another unit) and refused
# `done_on= 2026-03-05`.  Now values are trimmed of ASCII and full-width
# spaces (U+3000, what a Chinese input method types) on the command line
# and in CSV cells; white space alone is an empty value, and an empty
# required field is refused (exit 64) naming it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/entry_lib.sh"
entry_world
entry_site qu01.a
D=$T/qu01.a
W=$(printf '\343\200\200')      # U+3000, the full-width space
expect "a required field of spaces is refused as missing" 64 'field "summary" is required' \
  site record add --data "$D" problem_report reporter_kind=courier "summary=   " reported_on=2025-03-05
expect "… of full-width spaces too" 64 'field "summary" is required' \
  site record add --data "$D" problem_report reporter_kind=courier "summary=$W$W" reported_on=2025-03-05
check "nothing was saved" [ "$(count qu01.a)" = 0 ]
expect "a date with a space before it is taken" 0 "saved" \
  site record add --data "$D" problem_report reporter_kind=courier summary=楼道堆放杂物 "reported_on= 2025-03-05" "location= 3号楼$W"
check "… and stored trimmed" grep -qP '上报日期=2025-03-05$' <(records qu01.a)
check "… the location without its spaces" grep -qP '地点=3号楼 ' <(records qu01.a)
expect "unit= 区委办  is the unit 区委办 (u1)" 0 "saved" \
  site record add --data "$D" service_matter "unit= 区委办 " title=长椅 done_on=2025-03-05
check "… stored as the unit's code u1" grep -qF '单位=u1 事项=长椅' <(records qu01.a service_matter)
printf 'reporter_kind,summary,location,reported_on\n courier , 路灯不亮 ,%s5号楼%s, 2025-03-06 \n' "$W" "$W" >"$T/sp.csv"
expect "CSV cells are trimmed too" 0 "saved" site record import --data "$D" problem_report "$T/sp.csv"
check "… stored trimmed" grep -qF '上报人类别=快递员 问题描述=路灯不亮 地点=5号楼 上报日期=2025-03-06' <(records qu01.a)
