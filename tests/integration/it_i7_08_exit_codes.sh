#!/usr/bin/env bash
# Issue 7 item 8: exit codes as documented (docs/USER-GUIDE.md section 13:
# 64 for input errors, nothing saved).  0.2.0 exited 1 when an item was
# rated twice, and inside an import named a rating that had been rolled
# back and did not exist.  Now a second rating is 64, naming the rating
# that exists; inside an import the message says which line of the file a
# record number it names was (not saved); and every input error of the
# record verbs is 64, a missing data directory 1.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/entry_lib.sh"
entry_world
entry_site qu01.a
D=$T/qu01.a
site record add --data "$D" service_matter unit=u1 title=健身区新增长椅 done_on=2025-03-05 >/dev/null || fail "matter #1"
site record add --data "$D" service_matter unit=u2 title=停车棚 done_on=2025-04-01 >/dev/null || fail "matter #2"
expect "the first rating is saved" 0 "saved" site record add --data "$D" rating item=#1 stars=5
expect "rating an item twice exits 64, naming the rating that exists" 64 "was already rated (#3)" \
  site record add --data "$D" rating item=#1 stars=4
printf 'item,stars\n#2,5\n#2,3\n' >"$T/twice.csv"
expect "two ratings of one item in a file: 64" 64 "line 3, column A (item)" \
  site record import --data "$D" rating "$T/twice.csv"
soft_check "… the rating it names (#4) is said to be line 2 of the file, not saved" \
  grep -qF "#4 was line 2 of this file, not saved since the import stopped" "$T/expect.out"
check "nothing of the file was saved" [ "$(count qu01.a rating)" = 1 ]
echo "-- input errors: 64, nothing saved"
expect "an unknown type" 64 "unknown record type" site record add --data "$D" 不存在 x=1
expect "an unknown field" 64 'has no field "nonsense"' site record add --data "$D" problem_report nonsense=1
expect "a word without =" 64 "must be FIELD=VALUE" site record add --data "$D" problem_report summary
expect "a value of the wrong kind" 64 "must be a whole number" site record add --data "$D" rating item=#2 stars=五
expect "a record that does not exist" 64 "this site has no record #99" site record add --data "$D" rating item=#99 stars=5
expect "a move the lifecycle does not allow" 64 "not saved" \
  site record add --data "$D" problem_report reporter_kind=courier summary=x reported_on=2025-03-01 status=closed
expect "an unknown record verb" 64 'unknown verb "ad"' site record ad --data "$D"
expect "record import without a file" 64 "TYPE and FILE are required" site record import --data "$D" rating
expect "an unknown option" 64 "unknown option --nope" site record list --data "$D" --nope
check "the store still holds 3 records" [ "$(count qu01.a)" = 3 ]
echo "-- local failures: 1"
expect "a data directory that does not exist" 1 "does not exist" site record list --data "$T/nosuch"
expect "a file that cannot be read" 1 "cannot read" site record import --data "$D" rating "$T/nosuch.csv"
