#!/usr/bin/env bash
# Issue 7 item 7: dates in the future.  0.2.0 took 2099-12-31.  Now a date
# more than a day after the site's clock is refused (exit 64), the message
# saying it is this computer's clock and its date; tomorrow is taken (a
# clock a little behind, another time zone).  In a CSV the row and column
# are named and nothing is saved.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/entry_lib.sh"
site_init_plain qu01.a
D=$T/qu01.a
today=$(date +%F)
expect "2099-12-31 is refused, naming the site's clock and its date" 64 \
  "more than a day after this computer's date $today (the site's clock)" \
  site record add --data "$D" problem_report reporter_kind=courier summary=x reported_on=2099-12-31
soft_check "… in Chinese first" grep -qF "比本机日期 $today 晚一天以上" "$T/expect.out"
expect "the day after tomorrow is refused" 64 "a date in the future is refused" \
  site record add --data "$D" problem_report reporter_kind=courier summary=x "reported_on=$(day 2)"
expect "tomorrow is taken" 0 saved \
  site record add --data "$D" problem_report reporter_kind=courier summary=明天 "reported_on=$(day 1)"
expect "today is taken" 0 saved \
  site record add --data "$D" problem_report reporter_kind=courier summary=今天 "reported_on=$today"
printf 'reporter_kind,summary,reported_on\ncourier,a,%s\ncourier,b,%s\n' "$today" "$(day 30 | tr - /)" >"$T/f.csv"
expect "a CSV row dated next month is refused, naming row and column" 64 "line 3, column C (reported_on)" \
  site record import --data "$D" problem_report "$T/f.csv"
check "only the two dated today and tomorrow were saved" [ "$(count qu01.a)" = 2 ]
