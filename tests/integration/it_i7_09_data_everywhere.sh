#!/usr/bin/env bash
# Issue 7 item 9: --data is accepted by every verb.  0.2.0 said "unknown
# option --data" to `record types --data DIR`, though the guide says every
# command takes it.  Now every verb and record verb takes --data DIR (also
# before the record verb: `record --data DIR list`), and a wrong directory
# is the same clear refusal everywhere (exit 1).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/entry_lib.sh"
entry_world
entry_site qu01.a
D=$T/qu01.a
printf 'reporter_kind,summary,reported_on\ncourier,x,2025-03-05\n' >"$T/r.csv"
run() {     # WHAT CMD…: exit 0, and no "unknown option"
  local what=$1 rc=0; shift
  "$@" >"$T/run.out" 2>&1 || rc=$?
  if [ "$rc" = 0 ] && ! grep -q "unknown option" "$T/run.out"; then pass "$what takes --data"; else
    echo "FAIL [$TEST_NAME]: $what: exit $rc: $(head -c 400 "$T/run.out")" >&2; SL_SOFT_FAILS=$((SL_SOFT_FAILS + 1)); fi
}
run "record types" site record types --data "$D"
run "record add" site record add --data "$D" problem_report reporter_kind=courier summary=y reported_on=2025-03-05
run "record import" site record import --data "$D" problem_report "$T/r.csv"
run "record list" site record list --data "$D"
run "record export" site record export --data "$D" problem_report "$T/out.csv"
run "record imports" site record imports --data "$D"
run "record --data DIR list" site record --data "$D" list
run "status" site status --data "$D"
run "ref list" site ref list --data "$D"
run "sync" site sync --data "$D"
run "init" site init --data "$T/new" --site qu01.new --server "$EP"
for verb in "record list" "record imports" "status" "ref list"; do
  # shellcheck disable=SC2086
  expect "$verb with a directory that holds no site" 1 "does not exist" site $verb --data "$T/nosuch"
done
