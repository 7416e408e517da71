#!/usr/bin/env bash
# Issue 7, "Prompts": `record add TYPE` on a terminal with required fields
# left out asks for each, in Chinese first, offering the allowed choices
# and the reference data (units from the district) by number; a wrong
# answer is said and asked again; Enter at a date is today; Ctrl-D saves
# nothing (exit 64).  With standard input not a terminal it never asks: the
# refusal names the missing field (exit 64), as a script needs.  Driven on a
# real pseudo-terminal (tests/tools/pty_answer.py).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/entry_lib.sh"
entry_world
entry_site qu01.a
D=$T/qu01.a
PTY="python3 $(dirname "$0")/../tools/pty_answer.py"
today=$(date +%F)
rc=0
$PTY "$T/t1" 2 abc 3 "" -- "$SITE" record add --data "$D" 民生实事 title=健身区新增长椅 || rc=$?
sed 's/^/    /' "$T/t1"
check "answered on a terminal, the record is saved (exit $rc)" [ "$rc" = 0 ]
check "it says how many fields are still needed" grep -qF "民生实事：还需要填 3 项 service_matter: 3 more required field(s)" "$T/t1"
check "the units are offered by number, with their names" grep -qF "   2  u2 司法局" "$T/t1"
check "the statuses are offered by their Chinese names" grep -qF "   3  已完成 done" "$T/t1"
check "a wrong answer is said, and asked again" grep -qF '字段 "status"（状态）是 "abc"' "$T/t1"
check "Enter at a date means today" grep -qF "回车 = 今天 Enter = today $today" "$T/t1"
check "the record holds the answers: unit 2 = u2, 已完成, today" \
  grep -qF "单位=u2 事项=健身区新增长椅 状态=已完成 日期=$today" <(records qu01.a)

rc=0
$PTY "$T/t2" 1 ^D -- "$SITE" record add --data "$D" service_matter title=停车棚 || rc=$?
check "Ctrl-D at a prompt saves nothing (exit 64)" [ "$rc" = 64 ]
check "… and says so" grep -qF "未保存：输入已结束 not saved: input ended" "$T/t2"

rc=0
$PTY "$T/t3" "#1" 5 -- "$SITE" record add --data "$D" rating || rc=$?
check "a rating asks for the item, offering recent records (exit $rc)" grep -qF "#1 民生实事 健身区新增长椅" "$T/t3"
check "… and is saved" [ "$rc" = 0 ]

site record add --data "$D" service_matter title=停车棚 </dev/null >"$T/np.out" 2>&1 && rc=0 || rc=$?
check "standard input not a terminal: no prompt, the refusal (exit $rc)" [ "$rc" = 64 ]
check "… names the missing field" grep -qF 'field "unit" is required' "$T/np.out"
check "… and asks nothing" bash -c "! grep -q '还需要填' '$T/np.out'"
check "2 records: nothing else was saved" [ "$(count qu01.a)" = 2 ]
