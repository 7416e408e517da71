#!/usr/bin/env bash
# Issue 7 item 3: a line break or a tab inside a value.  0.2.0 stored it
# as is, and `record list` and `--tsv` broke (one record over two lines).
# Now a control character in a text is refused at entry: in a CSV cell
# (Alt+Enter in Excel: a line feed inside quotes) naming the row, the
# column (as Excel names it) and what it is; on the command line naming
# the field; nothing is saved.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/entry_lib.sh"
site_init_plain qu01.a
D=$T/qu01.a
printf 'reporter_kind,summary,location,reported_on\ncourier,正常一行,3号楼,2025-03-05\ncourier,"第一行\n第二行",3号楼,2025-03-06\n' >"$T/lf.csv"
expect "a line break in a CSV cell is refused, naming row, column and what" 64 \
  "line 3, column B (summary): 字段 \"summary\"（问题描述）含有换行" \
  site record import --data "$D" problem_report "$T/lf.csv"
soft_check "… in English too" grep -qF 'contains a line break: a value must be one line of text' "$T/expect.out"
printf 'reporter_kind,summary,location,reported_on\ncourier,正常一行,"3号楼\t东",2025-03-05\n' >"$T/tab.csv"
expect "a tab in a CSV cell is refused, naming row and column" 64 "line 2, column C (location)" \
  site record import --data "$D" problem_report "$T/tab.csv"
soft_check "… and the tab" grep -qF "contains a tab" "$T/expect.out"
expect "a line break on the command line is refused naming the field" 64 'field "summary" contains a line break' \
  site record add --data "$D" problem_report reporter_kind=courier "summary=$(printf 'a\nb')" reported_on=2025-03-05
expect "a control character (ESC) too" 64 'contains a control character' \
  site record add --data "$D" problem_report reporter_kind=courier "summary=$(printf 'a\033[2Jb')" reported_on=2025-03-05
check "nothing was saved" [ "$(count qu01.a)" = 0 ]
site record add --data "$D" problem_report reporter_kind=courier "summary=一行" reported_on=2025-03-05 >/dev/null || fail "add"
check "every record is one line of --tsv" [ "$(site record list --data "$D" --tsv | wc -l)" = 1 ]
