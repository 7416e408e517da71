#!/usr/bin/env bash
# Upgrades in place: a central store and a site store written by 0.2.0
# (tests/fixtures/v0.2.0, made by tests/fixtures/make_v0.2.0.sh) open with
# this version, migrate (schema versions), keep every record and the hash
# chain, and read 0.2.0's records with their meaning: `done_on` is `on`, a
# service matter without a status is done.  The site's three records that
# 0.2.0 left in its outbox (free-text units, a rating) sync to the migrated
# server and are accepted.
source "$(dirname "$0")/lib.sh"
FIX=$(cd "$(dirname "$0")/../fixtures/v0.2.0" && pwd)
cp -a "$FIX/srv" "$T/srv"
cp -a "$FIX/site" "$T/qu01.gongyuan"
# git keeps no 0600 modes: the secrets are private again, as they were.
chmod 600 "$T/srv/server.key" "$T/srv/admin.cred" "$T/qu01.gongyuan/site.key"
S=qu01.gongyuan
check "the fixtures are 0.2.0's (schema version 0)" \
  [ "$(sqlite3 "$FIX/srv/central.db" 'PRAGMA user_version')/$(sqlite3 "$FIX/site/site.db" 'PRAGMA user_version')" = "0/0" ]

site status --data "$T/$S" --tsv >"$T/status.out" 2>"$T/status.err" || fail "status: $(cat "$T/status.err")"
check "the site store opens and migrates: 7 records, 3 waiting" \
  [ "$(site_status $S local_records)/$(site_status $S outbox_pending)" = "7/3" ]
site record list --data "$T/$S" --tsv --limit 0 >"$T/list.out" || fail "record list"
state() { awk -F'\t' -v s="$1" '$1 == s { print $7 }' "$T/list.out"; }
check "a 0.2.0 service matter reads as done (#1: $(state 1))" grep -q " done" <<<"$(state 1)"
check "… and its rating counts on it (5★)" grep -q "5★" <<<"$(state 1)"
check "a 0.2.0 problem report reads as reported (#2: $(state 2))" grep -q "reported" <<<"$(state 2)"
check "… its 0.2.0 rating is kept and counts (4★)" grep -q "4★" <<<"$(state 2)"
check "0.2.0's done_on shows as the date" grep -q "日期=2025-03-05" "$T/list.out"

check "the central store opens and migrates: chain intact" central_verify
check "… with its 4 records" [ "$(central_total)" = 4 ]

# The server keeps its 0.2.0 keys; the site syncs the 3 records 0.2.0 left.
server_start
rc=0; site sync --data "$T/$S" --server "$EP" >"$T/sync.out" 2>&1 || rc=$?
check "the migrated site syncs to the migrated server (exit $rc)" [ "$rc" = 0 ]
check "… the 3 records of 0.2.0's outbox are accepted: 7 in all" [ "$(central_total)" = 7 ]
check "same content on both sides (hash at 7)" same_last_hash $S 7
check "chain intact after the sync" central_verify
check "schema versions written" \
  [ "$(sq "$T/srv/central.db" 'PRAGMA user_version')" -ge 3 ] && [ "$(sq "$T/$S/site.db" 'PRAGMA user_version')" -ge 2 ]
server_stop || fail "server exit status"
