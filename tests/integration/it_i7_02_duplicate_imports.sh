#!/usr/bin/env bash
# Issue 7 item 2: duplicate imports caught.  0.2.0 saved a file imported
# twice twice, silently, and nothing can be deleted.  Now:
#  - the same file again is refused (exit 64) naming the earlier import
#    (its date, its row count, its records) and adds nothing;
#  - the same rows in another file (re-saved as GBK, rows reordered, dates
#    written 2025/3/5) are refused too, each row named with the earlier
#    import and its line; --skip-duplicates saves only the new rows;
#  - two rows of one file that are the same record are both named, and
#    nothing is saved; --allow-duplicates saves them anyway;
#  - the same row as a record entered by hand is named with its seq and date;
#  - record imports lists the history, which lives in the site store.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/entry_lib.sh"
site_init_plain qu01.a
D=$T/qu01.a
today=$(date +%F)
printf 'reporter_kind,summary,location,reported_on\ncourier,楼道堆放杂物,3号楼,2025-03-05\ngrid_worker,路灯不亮,5号楼,2025-03-06\n' >"$T/march.csv"
site record import --data "$D" problem_report "$T/march.csv" >"$T/first.out" 2>&1 || fail "first import: $(cat "$T/first.out")"
check "the first import saves 2 records" [ "$(count qu01.a)" = 2 ]

expect "the same file again is refused, naming the earlier import's date and rows" 64 \
  "this file was already imported on $today" site record import --data "$D" problem_report "$T/march.csv"
soft_check "… its row count and records" grep -qF "2 problem_report records, #1-#2, file march.csv" "$T/expect.out"
soft_check "… and says nothing was saved" grep -qF "nothing was saved" "$T/expect.out"
check "a file imported twice adds nothing the second time" [ "$(count qu01.a)" = 2 ]

# The same rows, as Excel re-saves them: GBK, 2025/3/5, another order, one new row.
printf 'reporter_kind,summary,location,reported_on\ngrid_worker,路灯不亮,5号楼,2025/3/6\ncourier,楼道堆放杂物, 3号楼 ,2025-3-5\nresident,井盖松动,北门,2025-03-07\n' \
  | iconv -f UTF-8 -t GBK >"$T/march-gbk.csv"
expect "rows already imported are refused, each named with the earlier import and line" 64 \
  "line 2 is the same as record #2 (same reporter_kind, reporter, summary, location, on): line 3 of import 1 on $today" \
  site record import --data "$D" problem_report "$T/march-gbk.csv"
soft_check "… the other duplicate row too" grep -qF "line 3 is the same as record #1" "$T/expect.out"
soft_check "… with the way out" grep -qF -- "--skip-duplicates saves only the other rows" "$T/expect.out"
check "… and nothing was saved, not even the new row" [ "$(count qu01.a)" = 2 ]
expect "--skip-duplicates saves only the new row" 0 "duplicate rows skipped: 2" \
  site record import --data "$D" problem_report "$T/march-gbk.csv" --skip-duplicates
check "… 3 records now" [ "$(count qu01.a)" = 3 ]
check "… the new one is 井盖松动" grep -q 井盖松动 <(records qu01.a)

# Within one file.
printf 'reporter_kind,summary,location,reported_on\nvolunteer,垃圾桶满了,东门,2025-04-01\nvolunteer,电梯异响,2号楼,2025-04-01\nvolunteer,垃圾桶满了,东门,2025-04-01\n' >"$T/april.csv"
expect "two rows of one file that are the same record are both named" 64 \
  "line 4 is the same record as line 2 (same reporter_kind, reporter, summary, location, on)" \
  site record import --data "$D" problem_report "$T/april.csv"
check "… nothing was saved" [ "$(count qu01.a)" = 3 ]
expect "--allow-duplicates saves them anyway, saying so" 0 "duplicate rows saved anyway: 1" \
  site record import --data "$D" problem_report "$T/april.csv" --allow-duplicates
check "… 6 records now" [ "$(count qu01.a)" = 6 ]
expect "--allow-duplicates and --skip-duplicates together are refused" 64 "give one of" \
  site record import --data "$D" problem_report "$T/april.csv" --allow-duplicates --skip-duplicates

# A record entered by hand, then the same row imported.
site record add --data "$D" problem_report reporter_kind=resident summary=树枝挡路 reported_on=2025-05-02 >/dev/null || fail "add"
printf 'reporter_kind,summary,reported_on\nresident,树枝挡路,2025-05-02\n' >"$T/may.csv"
expect "the same as a record entered by hand: named with its seq and when it was entered" 64 \
  "line 2 is the same as record #7 (same reporter_kind, reporter, summary, location, on), entered on $today" \
  site record import --data "$D" problem_report "$T/may.csv"

site record imports --data "$D" >"$T/imports.out" 2>&1 || fail "record imports: $(cat "$T/imports.out")"
sed 's/^/    /' "$T/imports.out"
check "record imports lists the three imports that saved records" [ "$(grep -c 'problem\|问题上报' "$T/imports.out")" = 3 ]
check "… the GBK file's encoding is kept" grep -q "GBK *march-gbk.csv" "$T/imports.out"
check "the history is in the site store (schema version 3)" [ "$(sqlite3 "$D/site.db" 'PRAGMA user_version')" -ge 3 ]
