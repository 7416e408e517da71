#!/usr/bin/env bash
# P7 with a damaged central store.  Every value read back from central.db is
# outside input: a damaged row gives a clear error, never a crash, and
# `verify` finds every kind of damage.  0.2.0 crashed or missed each of these:
#  - verify overflowed a heap buffer on a hash of the wrong length (exit 139);
#  - stats crashed on a NULL record type;
#  - a damaged sites.last_hash passed verify, then refused the site's sync;
#  - a damaged page outside the chains passed verify (no integrity check);
#  - a zero-length central.db was taken for a new empty store and rewritten;
#  - (new since) a state-table row that differs from its records is found;
#  - a one-shot `sync --timeout 5` restoring history from a server that
#    cannot send it ran for minutes (each WELCOME counted as progress).
source "$(dirname "$0")/lib.sh"
A=qu01.a
server_init
site_init $A
gen_matters 50 "$T/a.csv"
site_import $A "$T/a.csv"
server_start
site sync --data "$T/$A" >/dev/null 2>&1 || fail "first sync"
server_stop || fail "server exit status"
cp -a "$T/srv" "$T/good"
restore() { rm -rf "$T/srv"; cp -a "$T/good" "$T/srv"; }
# run_cmd NAME CMD…: exit status in RC, output in $T/NAME.out
run_cmd() { local n=$1; shift; RC=0; "$@" >"$T/$n.out" 2>&1 || RC=$?; sed 's/^/    /' "$T/$n.out" | head -4 | cut -c1-200; }

echo "-- an event hash of the wrong length"
sq "$T/srv/central.db" "UPDATE events SET hash = x'' WHERE seq = 1"
run_cmd verify1 "$SERVER" verify --data "$T/srv"
soft_check "verify exits 1, not a crash (got $RC)" [ "$RC" = 1 ]
soft_check "… and names the damaged event" grep -q "event 1 is damaged" "$T/verify1.out"
run_cmd stats1 "$SERVER" stats --data "$T/srv" --tsv
soft_check "stats still works (exit $RC)" [ "$RC" = 0 ]

echo "-- a NULL record type (a damaged schema let it in)"
restore
sq "$T/srv/central.db" "PRAGMA writable_schema=ON;
  UPDATE sqlite_master SET sql = replace(sql, 'type TEXT NOT NULL', 'type TEXT') WHERE name = 'events';"
sq "$T/srv/central.db" "UPDATE events SET type = NULL WHERE seq = 2"
run_cmd stats2 "$SERVER" stats --data "$T/srv"
soft_check "stats does not crash on it (exit $RC)" [ "$RC" = 0 ]
run_cmd verify2 "$SERVER" verify --data "$T/srv"
soft_check "verify reports event 2 (exit $RC)" sh -c "[ $RC = 1 ] && grep -q 'event 2' '$T/verify2.out'"

echo "-- a damaged sites.last_hash"
restore
sq "$T/srv/central.db" "UPDATE sites SET last_hash = zeroblob(32)"
run_cmd verify3 "$SERVER" verify --data "$T/srv"
soft_check "verify finds it (exit $RC)" sh -c "[ $RC = 1 ] && grep -q 'last hash does not match' '$T/verify3.out'"
sq "$T/srv/central.db" "UPDATE sites SET last_hash = x'0102'"
run_cmd verify4 "$SERVER" verify --data "$T/srv"
soft_check "… and one of the wrong length (exit $RC)" sh -c "[ $RC = 1 ] && grep -q 'last hash is damaged' '$T/verify4.out'"

echo "-- a damaged page outside every chain (the id index)"
restore
root=$(sq "$T/srv/central.db" "SELECT rootpage FROM sqlite_master WHERE name = 'events_id'")
psize=$(sq "$T/srv/central.db" "PRAGMA page_size")
# The page header: an index page that is no longer one.
printf '\xde\xad\xbe\xef%.0s' $(seq 1 4) | dd of="$T/srv/central.db" bs=1 seek=$(( (root - 1) * psize )) conv=notrunc 2>/dev/null
run_cmd verify5 "$SERVER" verify --data "$T/srv"
soft_check "verify runs the integrity check and fails (exit $RC)" \
  sh -c "[ $RC = 1 ] && grep -q '^database: ' '$T/verify5.out'"

echo "-- a state-table row that no longer says what the records say"
restore
run_cmd verify7 "$SERVER" verify --data "$T/srv"
soft_check "the intact store verifies, its state table too (exit $RC)" \
  sh -c "[ $RC = 0 ] && grep -q 'the state table agrees with the records' '$T/verify7.out' \
         && ! grep -q 'state table:' '$T/verify7.out'"
sq "$T/srv/central.db" "UPDATE items SET status = 'planned' WHERE seq = 7"
run_cmd verify8 "$SERVER" verify --data "$T/srv"
soft_check "verify folds the records again and finds the row (exit $RC)" \
  sh -c "[ $RC = 1 ] && grep -q 'state table: holds \"#1|problem_report|7|.*|planned|' '$T/verify8.out' \
         && grep -q '1 rows differ' '$T/verify8.out'"
sq "$T/srv/central.db" "DELETE FROM items WHERE seq = 9"
run_cmd verify9 "$SERVER" verify --data "$T/srv"
soft_check "… and a row that is missing, as one more difference (exit $RC)" \
  sh -c "[ $RC = 1 ] && grep -q 'holds \"—\", the records folded again give \"#1|problem_report|9|' '$T/verify9.out' \
         && grep -q '2 rows differ' '$T/verify9.out'"

echo "-- a zero-length central.db"
restore
: >"$T/srv/central.db"; rm -f "$T/srv/central.db-wal" "$T/srv/central.db-shm"
run_cmd verify6 "$SERVER" verify --data "$T/srv"
soft_check "verify refuses it (exit $RC), saying it holds no store" \
  sh -c "[ $RC = 1 ] && grep -q 'holds no store' '$T/verify6.out'"
soft_check "… and leaves the file as it was (0 bytes)" [ "$(stat -c %s "$T/srv/central.db")" = 0 ]
run_cmd run6 timeout 20 "$SERVER" run --data "$T/srv" --bind "$EP"
soft_check "run refuses to start on it (exit $RC)" sh -c "[ $RC = 1 ] && grep -q 'holds no store' '$T/run6.out'"

echo "-- a one-shot sync restoring history the server cannot send ends on time"
restore
sq "$T/srv/central.db" "UPDATE events SET hash = x'00' WHERE seq = 10"
server_start
"$SERVER" site enroll --data "$T/srv" --site $A --community c1 --out "$T/again.bundle" --again >/dev/null \
  || fail "enroll again"
site init --data "$T/reinstalled" --bundle "$T/again.bundle" >/dev/null || fail "site init again"
t0=$(now_ms)
run_cmd restore-sync timeout 120 "$SITE" sync --data "$T/reinstalled" --timeout 5
took=$(( $(now_ms) - t0 ))
echo "    took ${took} ms"
soft_check "it gives up as unreachable (exit 2, got $RC)" [ "$RC" = 2 ]
soft_check "… within its timeout and one restart, not minutes (${took} ms < 30000)" [ "$took" -lt 30000 ]
soft_check "… and says the server could not send this site's records back" \
  grep -q "could not send this site's records back" "$T/restore-sync.out"
server_stop || fail "server exit status"
