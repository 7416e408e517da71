#!/usr/bin/env bash
# P10 and site health (issue 9): `shuanglian-admin sites` lists every
# enrolled site, synced or not, with what the district needs to steer sites
# it cannot visit: a site whose clock is 3 hours behind (started under
# faketime: its own clock really is off) shows that offset; a site holding
# records the server has not shows its backlog and the age of its oldest
# unsent record; a site silent for longer than the setting site_silent_hours
# is flagged 沉默 (the listing run with the server machine's clock 2 hours
# ahead, under faketime); a site that never connected is listed too.
source "$(dirname "$0")/lib.sh"
command -v faketime >/dev/null || fail "faketime is not installed (scripts/setup.sh installs it)"
# libfaketime is preloaded: under AddressSanitizer it comes before ASan's
# runtime, which ASan then accepts only when told to.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}verify_asan_link_order=0"
PROBE=$SL_BIN/tests/sl-probe
A=qu01.a C=qu01.clock D=qu01.backlog E=qu01.never
server_init
for s in $A $C $D $E; do site_init $s; done
server_start
# sites --tsv columns: site community state connected last_seen_ms last_seq backlog
# oldest_unsent_ms clock_offset_ms version bundle bundle_expires_ms last_error
# disk_free silent
col() { awk -F'\t' -v s="$1" -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i }
                                         $1 == s { print $k }' "$3"; }
sites_tsv() { admin sites --tsv >"$1" 2>/dev/null || fail "sites --tsv"; }

site sync --data "$T/$A" >/dev/null 2>&1 || fail "sync $A"
# The site's clock is 3 hours behind the server's: a real clock offset for
# the process (libfaketime), not a hook in the code.
FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f '-3h' "$SITE" sync --data "$T/$C" >"$T/c.out" 2>&1 \
  || fail "sync of the site 3 hours behind: $(tail -3 "$T/c.out")"
pass "a site whose clock is 3 hours behind syncs"
site sync --data "$T/$D" >/dev/null 2>&1 || fail "sync $D"
for i in 1 2 3; do add_report $D "积压 $i"; done
# D says hello with what it holds (its telemetry) and sends nothing: the
# server knows of 3 records it has not received.
"$PROBE" --endpoint "$EP" --data "$T/$D" --wait 10000 hello >"$T/probe.out" 2>&1 \
  || fail "sl-probe hello: $(cat "$T/probe.out")"
grep -q '^WELCOME' "$T/probe.out" || fail "no WELCOME for the probe: $(cat "$T/probe.out")"

sites_tsv "$T/sites.tsv"
soft_check "every enrolled site is listed, the one never connected too ($(wc -l <"$T/sites.tsv") lines)" \
  sh -c "[ \$(grep -c '^qu01' '$T/sites.tsv') = 4 ] && grep -q '^$E	' '$T/sites.tsv'"
soft_check "the site never connected is enrolling, seen never" \
  sh -c "[ '$(col $E state "$T/sites.tsv")' = enrolling ] && [ '$(col $E last_seen_ms "$T/sites.tsv")' = 0 ]"
off=$(col $C clock_offset_ms "$T/sites.tsv")
soft_check "the site 3 hours behind shows an offset of about -3 h (got ${off:-none} ms)" \
  sh -c "[ -n '$off' ] && [ '$off' -lt -10680000 ] && [ '$off' -gt -10920000 ]"
off_a=$(col $A clock_offset_ms "$T/sites.tsv")
abs_a=${off_a#-}
soft_check "a site with a good clock shows almost none (got ${off_a:-none} ms)" \
  sh -c "[ -n '$abs_a' ] && [ '$abs_a' -lt 60000 ]"
soft_check "the backlog of the site holding 3 unsent records is 3 (got $(col $D backlog "$T/sites.tsv"))" \
  [ "$(col $D backlog "$T/sites.tsv")" = 3 ]
soft_check "… with the age of its oldest unsent record (got $(col $D oldest_unsent_ms "$T/sites.tsv") ms)" \
  sh -c "[ '$(col $D oldest_unsent_ms "$T/sites.tsv")' -ge 0 ] 2>/dev/null"
soft_check "a site level with the server has no backlog" [ "$(col $A backlog "$T/sites.tsv")" = 0 ]
site_version=$("$SITE" --version | awk '{print $2}')
soft_check "the version of each site is shown ($site_version)" \
  [ "$(col $A version "$T/sites.tsv")" = "$site_version" ]
soft_check "free disk is reported" sh -c "[ '$(col $A disk_free "$T/sites.tsv")' -gt 0 ]"
soft_check "nobody is silent yet" [ "$(cut -f15 "$T/sites.tsv" | grep -c yes)" = 0 ]

echo "-- silent: site_silent_hours 1, and the server machine's clock 2 hours on"
server ref put setting site_silent_hours value=1 --data "$T/srv" >/dev/null || fail "ref put setting"
FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f '+2h' "$SERVER" sites --data "$T/srv" --tsv \
  >"$T/later.tsv" 2>"$T/later.err" || fail "sites under faketime: $(cat "$T/later.err")"
for s in $A $C $D $E; do
  soft_check "$s is silent 2 hours later" [ "$(col $s silent "$T/later.tsv")" = yes ]
done
FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f '+2h' "$SERVER" sites --data "$T/srv" >"$T/later.txt" 2>&1
soft_check "the people's listing flags it 沉默 and names the setting" \
  sh -c "grep -q '沉默 silent' '$T/later.txt' && grep -q 'site_silent_hours' '$T/later.txt'"
admin site revoke $E >/dev/null 2>&1 || fail "revoke $E"
FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f '+2h' "$SERVER" sites --data "$T/srv" --tsv >"$T/later2.tsv" 2>/dev/null
soft_check "a revoked site is listed as revoked, not silent" \
  sh -c "[ '$(col $E state "$T/later2.tsv")' = revoked ] && [ '$(col $E silent "$T/later2.tsv")' = no ]"

echo "-- connected now, and telemetry from a watching site"
bg_start WATCH "$T/watch.log" site sync --watch --data "$T/$A"
connected() { sites_tsv "$T/now.tsv"; [ "$(col $A connected "$T/now.tsv")" = yes ]; }
check "a watching site shows as connected" wait_until 30 connected
kill -TERM "$WATCH"; wait_exit "$WATCH" 30 || kill9 "$WATCH"
server_stop || fail "server exit status"
