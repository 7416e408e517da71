#!/usr/bin/env bash
# Issue 7 item 6: files as Excel and WPS save them.  0.2.0 said "is not
# valid UTF-8 text" for a GBK file (never "this file is GBK"), `has no field
# "??u"` for UTF-16, failed the whole file on Excel's empty row ,,,, and on
# empty trailing header cells, and refused a 序号 column.  Now:
#  - one ledger saved as CSV UTF-8 (with a BOM), CSV UTF-8 without BOM, CSV
#    (GBK, what Excel writes on Chinese Windows), GB18030, Unicode text
#    (UTF-16LE with a BOM, tab-separated) and UTF-16BE imports identically,
#    each import saying what the file was;
#  - empty rows, empty trailing columns and a 序号 column are ignored; a
#    cell with content under an empty heading is refused naming it;
#  - GB18030's four-byte characters (𠮷) are read;
#  - what cannot be read is named: an .xlsx workbook, a UTF-8 file with a
#    GBK line (which line), bytes of no encoding.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/entry_lib.sh"
site_init_plain qu01.ref
# The ledger as a worker keeps it: a 序号 column, an empty row, two empty
# trailing columns, CRLF, a comma and a quote in cells (field names as
# headings, as 0.2.0 knew them; Chinese headings: it_i7_export_roundtrip).
printf '\357\273\277序号,reporter_kind,reporter,summary,location,reported_on,,\r\n1,快递员,王师傅,"楼道堆放杂物，影响通行",3号楼,2025/3/5,,\r\n,,,,,,,\r\n2,网格员,,"路灯不亮, 北门 ""急""",北门,2025/3/6,,\r\n3,居民,李阿姨,井盖松动,5号楼,2025年3月7日,,\r\n' \
  >"$T/ledger-utf8bom.csv"
expect "the ledger (CSV UTF-8 with a BOM) imports" 0 "saved: 3" \
  site record import --data "$T/qu01.ref" problem_report "$T/ledger-utf8bom.csv"
soft_check "… naming its encoding" grep -qF "UTF-8 (BOM)" "$T/expect.out"
soft_check "… the empty row ignored" grep -qF "empty rows ignored: 1" "$T/expect.out"
soft_check "… the 序号 column ignored" grep -qF "columns ignored: A 列（序号）" "$T/expect.out"
records qu01.ref >"$T/want"
sed 's/^/    /' "$T/want"

tail -c +4 "$T/ledger-utf8bom.csv" >"$T/ledger-utf8.csv"
iconv -f UTF-8 -t GBK "$T/ledger-utf8.csv" >"$T/ledger-gbk.csv" || fail "iconv GBK"
iconv -f UTF-8 -t GB18030 "$T/ledger-utf8.csv" >"$T/ledger-gb18030.csv" || fail "iconv GB18030"
# Excel's "Unicode text": UTF-16LE with a BOM, cells separated by tabs.
python3 - "$T" <<'PY' || fail "making the UTF-16 files"
import csv, io, sys
t = sys.argv[1]
rows = list(csv.reader(io.StringIO(open(t + "/ledger-utf8.csv", encoding="utf-8", newline="").read())))
out = io.StringIO()
csv.writer(out, delimiter="\t", lineterminator="\r\n").writerows(rows)
open(t + "/ledger-utf16le.txt", "wb").write(b"\xff\xfe" + out.getvalue().encode("utf-16-le"))
open(t + "/ledger-utf16be.csv", "wb").write(b"\xfe\xff" + open(t + "/ledger-utf8.csv", encoding="utf-8", newline="").read().encode("utf-16-be"))
PY
i=0
for f in ledger-utf8.csv:UTF-8 ledger-gbk.csv:GBK ledger-gb18030.csv:GBK ledger-utf16le.txt:UTF-16LE ledger-utf16be.csv:UTF-16BE; do
  i=$((i + 1))
  file=${f%%:*} enc=${f#*:}
  site_init_plain "qu01.s$i"
  expect "$file imports" 0 "saved: 3" site record import --data "$T/qu01.s$i" problem_report "$T/$file"
  soft_check "… read as $enc" grep -qF "（$enc" "$T/expect.out"
  cp "$T/expect.out" "$T/import$i.out"
  records "qu01.s$i" >"$T/got$i"
  soft_check "… to the same records as the UTF-8 ledger" cmp -s "$T/want" "$T/got$i"
done
check "Excel's Unicode text is read as tab-separated" grep -qF "(UTF-16LE, tab-separated)" "$T/import4.out"
check "… said in Chinese first" grep -qF "（UTF-16LE，制表符分隔）" "$T/import4.out"

printf 'reporter_kind,reporter,summary,reported_on\nresident,\360\240\256\267祥,楼道灯坏,2025-03-08\n' | iconv -f UTF-8 -t GB18030 >"$T/gb18030-four.csv"
site_init_plain qu01.four
expect "a GB18030 four-byte character (𠮷) is read" 0 "（GB18030" \
  site record import --data "$T/qu01.four" problem_report "$T/gb18030-four.csv"
check "… and stored" grep -qF "上报人=𠮷祥" <(records qu01.four)

printf 'reporter_kind,summary,reported_on,,\ncourier,x,2025-03-05,,oops\n' >"$T/nohead.csv"
expect "a cell with content under an empty heading is refused naming it" 64 \
  'line 2, column E holds "oops" but its heading is empty' site record import --data "$T/qu01.four" problem_report "$T/nohead.csv"
printf 'PK\003\004\024\000\000\000\010\000' >"$T/ledger.xlsx"
expect "an .xlsx workbook is named" 64 "this is an Excel workbook (.xlsx), not a CSV file" \
  site record import --data "$T/qu01.four" problem_report "$T/ledger.xlsx"
{ cat "$T/ledger-utf8.csv"; printf '4,居民,,%s,6号楼,2025/3/9,,\r\n' "$(printf '树枝挡路' | iconv -f UTF-8 -t GBK)"; } >"$T/mixed.csv"
expect "a UTF-8 file with a GBK line names the line" 64 "this file is UTF-8, but line 6 is not" \
  site record import --data "$T/qu01.four" problem_report "$T/mixed.csv"
check "nothing of the refused files was saved" [ "$(count qu01.four)" = 1 ]
