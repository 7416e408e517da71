# entry_lib.sh: helpers for the entry tests of issue 7 (sourced after lib.sh).
#
# The tests of entry (it_i7_*) run the programs as a community worker would,
# and are written so that they also run against 0.2.0's programs
# (scripts/issue7_on_v020.sh): the records they enter use only what 0.2.0
# already had (problem_report with its 0.2.0 date name reported_on, which
# entry still takes; service_matter with done_on), so that on 0.2.0 they
# fail at the check of the issue's item, not before.

# entry_world: a server with the district's reference data (community c1,
# units u1 区委办 and u2 司法局, team t1), running.
entry_world() {
  server_init
  publish_community c1 测试社区
  publish_units
  "$SERVER" ref put team t1 name=爱满杏林 --data "$T/srv" >/dev/null || fail "ref put team"
  server_start
}
# entry_site ID: a site enrolled and synced once (it holds the reference data).
entry_site() {
  site_init "$1"
  site sync --data "$T/$1" >"$T/$1.sync" 2>&1 || fail "first sync of $1: $(cat "$T/$1.sync")"
}
# records SITE [TYPE]: the site's records as "type<TAB>content" lines, oldest
# first (record list --tsv without seq, time, sync state, id).
records() {
  site record list --data "$T/$1" --limit 0 --tsv ${2:+--type "$2"} | awk -F'\t' '{ print $2 "\t" $6 }' | tac
}
count() { site record list --data "$T/$1" --limit 0 --tsv ${2:+--type "$2"} | wc -l; }
# expect WHAT EXIT TEXT CMD…: CMD exits with EXIT and says TEXT (a fixed
# string) on stdout or stderr; a soft check.
expect() {
  local what=$1 want=$2 text=$3 rc=0; shift 3
  "$@" >"$T/expect.out" 2>&1 || rc=$?
  if [ "$rc" = "$want" ] && grep -qF -- "$text" "$T/expect.out"; then
    pass "$what (exit $rc)"
  else
    echo "FAIL [$TEST_NAME]: $what: exit $rc (want $want and \"$text\"), output: $(head -c 800 "$T/expect.out")" >&2
    SL_SOFT_FAILS=$((SL_SOFT_FAILS + 1))
  fi
}
# A date N days from today on this computer's clock (YYYY-MM-DD).
day() { date -d "$1 days" +%F; }
