#!/usr/bin/env bash
# P9 at entry: a CSV cell with a NUL byte.  0.2.0 cut the cell at the NUL
# and saved the rest in silence ("a\0bcd" was saved as "a").  Now the file is
# refused (exit 64), naming the line and field, and nothing is saved.
source "$(dirname "$0")/lib.sh"
site_init_plain qu01.a
printf 'reporter_kind,summary,location,on\ncourier,正常一行,3号楼,2025-03-01\ncourier,a\000bcd,3号楼,2025-03-02\n' >"$T/nul.csv"
rc=0; site record import --data "$T/qu01.a" problem_report "$T/nul.csv" >"$T/nul.out" 2>&1 || rc=$?
sed 's/^/    /' "$T/nul.out"
check "refused as a usage error (exit 64, got $rc)" [ "$rc" = 64 ]
check "… naming line 3, field 2 and the NUL byte" grep -q "line 3, field 2: contains a NUL byte" "$T/nul.out"
check "nothing was saved, not even the good first row" [ "$(site_count qu01.a)" = 0 ]
