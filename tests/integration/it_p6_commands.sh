#!/usr/bin/env bash
# P6 for commands (issue 9): a command sent to a site that is offline runs
# once after it connects, and its result reaches the administrator; an
# expired or cancelled command never runs; a command delivered twice (the
# site killed -9 between running it and the server hearing of it, then the
# server log pulled again from the start) runs once; --all; each command of
# the table does what it says (ping, status, resend, set, set_server, log,
# check, rotate_key, notice).  Everything is read through the programs
# (shuanglian-admin commands --tsv, shuanglian-site record list --tsv).
source "$(dirname "$0")/lib.sh"
A=qu01.a
B=qu01.b
server_init
site_init $A
site_init $B
server_start

# commands --tsv columns: id site command args state created_ms by expires_ms
# delivered_ms finished_ms result
cmd_field() { admin commands --id "$1" --tsv 2>/dev/null | awk -F'\t' -v c="$2" 'NR == 2 { print $c }'; }
cmd_state() { cmd_field "$1" 5; }
state_is() { [ "$(cmd_state "$1")" = "$2" ]; }
# The number of the newest command (the first data row of commands --tsv).
last_id() { admin commands --tsv --limit 1 2>/dev/null | awk -F'\t' 'NR == 2 { print $1 }'; }
# command_result records at a site, and how many of them are of one verb.
results() { site record list --data "$T/$1" --type command_result --limit 0 --tsv | wc -l; }
results_of() {
  site record list --data "$T/$1" --type command_result --limit 0 --tsv | grep -c "$2" || true
}
sync_ok() { site sync --data "$T/$1" >>"$T/sync-$1.log" 2>&1; }

echo "-- commands sent while the site has never connected"
admin send $A ping >"$T/send1.out" 2>&1 || fail "send ping: $(cat "$T/send1.out")"
PING=$(last_id)
admin send $A notice 请于 周五前 报送 民生实事 >/dev/null 2>&1 || fail "send notice"
NOTICE=$(last_id)
admin send $A status --expires 2s >/dev/null 2>&1 || fail "send status (expiring)"
EXPIRING=$(last_id)
admin send $A log 20 >/dev/null 2>&1 || fail "send log"
CANCELLED=$(last_id)
check "a queued command can be cancelled" admin cancel "$CANCELLED"
refused "a cancelled command cannot be cancelled again" 3 "only a queued command" admin cancel "$CANCELLED"
refused "a command to a misspelt site is refused" 3 "no site \"qu01.aa\" is enrolled" admin send qu01.aa ping
refused "an unknown command is refused before sending" 64 "unknown command" admin send $A nosuch
refused "a bad argument is refused" 3 "must be a whole number" admin send $A resend abc
check "the first command is queued" state_is "$PING" queued
wait_until 30 state_is "$EXPIRING" expired || fail "the 2 s command did not show as expired"
pass "a command past its expiry shows as expired before its site connects"

echo "-- the site connects: each live command runs once, the others never"
sync_ok $A || fail "sync of $A: $(tail -3 "$T/sync-$A.log")"
check "ping ran and its result reached the server" state_is "$PING" done
soft_check "… the result is the site's answer" sh -c "admin_out=\$('$ADMIN_TOOL' commands --id $PING --cred '$T/srv/admin.cred'); echo \"\$admin_out\" | grep -q pong"
check "the notice ran" state_is "$NOTICE" done
check "the expired command is still expired" state_is "$EXPIRING" expired
check "the cancelled command is still cancelled" state_is "$CANCELLED" cancelled
soft_check "two results at the site, one each for ping and notice (got $(results $A))" [ "$(results $A)" = 2 ]
soft_check "no status result (it expired)" [ "$(results_of $A status)" = 0 ]
soft_check "no log result (it was cancelled)" [ "$(results_of $A '	log	')" = 0 ]
soft_check "the notice is shown to the site's users, once" sh -c \
  "'$SITE' status --data '$T/$A' | grep -q '周五前' && ! '$SITE' status --data '$T/$A' | grep -q '周五前'"
sync_ok $A || fail "second sync of $A"
soft_check "a second sync runs nothing again (still 2 results)" [ "$(results $A)" = 2 ]

echo "-- delivered twice: killed -9 after running, then the log is pulled again from 0"
admin send $A ping >/dev/null 2>&1 || fail "send ping 2"
PING2=$(last_id)
rc=0; SHUANGLIAN_TEST_HOOK=crash_after_command "$SITE" sync --data "$T/$A" >"$T/crash.out" 2>&1 || rc=$?
check "the site was killed right after running the command (exit $rc)" [ "$rc" = 137 ]
check "… the server has not heard of it: delivered, not done" state_is "$PING2" delivered
soft_check "… the site has its result in the outbox (3 results)" [ "$(results $A)" = 3 ]
# A new identity for the server log: the site reloads it from entry 1, so the
# command's entry comes again, live (the server has no result yet).
server_stop || fail "server stop"
server ref new-epoch --data "$T/srv" >/dev/null || fail "new-epoch"
server_start
sync_ok $A || fail "sync after the new epoch: $(tail -3 "$T/sync-$A.log")"
soft_check "the site saw the command again and did not run it" grep -q "already run here: not again" "$T/sync-$A.log"
check "the command ran once: its one result reached the server (done)" state_is "$PING2" done
soft_check "still 3 results at the site, not 4 (got $(results $A))" [ "$(results $A)" = 3 ]
central_results=$(admin stats --tsv 2>/dev/null | awk -F'\t' -v s=$A 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "command_result") c = i } $1 == s { print $c }')
soft_check "the central store holds 3 results of $A (got $central_results)" [ "$central_results" = 3 ]

echo "-- --all, and the commands of the table"
admin send --all check >"$T/all.out" 2>&1 || fail "send --all: $(cat "$T/all.out")"
soft_check "--all queues one command per site" grep -q "2 sites" "$T/all.out"
sync_ok $B || fail "sync of $B"
sync_ok $A || fail "sync of $A"
for id in $(admin commands --tsv --limit 2 2>/dev/null | awk -F'\t' 'NR > 1 { print $1 }'); do
  soft_check "check #$id done on its site" state_is "$id" done
  soft_check "… and says the database is intact" sh -c "'$ADMIN_TOOL' commands --id $id --tsv --cred '$T/srv/admin.cred' 2>/dev/null | grep -q intact"
done

admin send $A set log_level debug >/dev/null 2>&1 || fail "send set"
SET=$(last_id)
refused "set of an unknown site setting is refused at the server" 3 "no site setting" admin send $A set colour blue
sync_ok $A || fail "sync for set"
soft_check "set ran" state_is "$SET" done
admin send $A status >/dev/null 2>&1 || fail "send status"
STATUS=$(last_id)
sync_ok $A || fail "sync for status"
soft_check "status ran, and reports the log level set (debug)" sh -c \
  "'$ADMIN_TOOL' commands --id $STATUS --cred '$T/srv/admin.cred' | grep -q 'log level: debug'"

before=$(central_count $A)
admin send $A resend 1 >/dev/null 2>&1 || fail "send resend"
RESEND=$(last_id)
sync_ok $A || fail "sync for resend"
soft_check "resend ran" state_is "$RESEND" done
soft_check "the site sent its records again (the server counted duplicates)" grep -q "sending records 1\.\." "$T/sync-$A.log"
soft_check "no record was added by the resend but its own result ($(central_count $A) = $before + 1)" \
  [ "$(central_count $A)" = $((before + 1)) ]
check "the chains still verify" central_verify

admin send $A log 5 >/dev/null 2>&1 || fail "send log"
LOG=$(last_id)
sync_ok $A || fail "sync for log"
soft_check "log ran and sent back lines of the site's log" sh -c "[ \"\$('$ADMIN_TOOL' commands --id $LOG --tsv --cred '$T/srv/admin.cred' 2>/dev/null | awk -F'\t' 'NR == 2 { print \$5 }')\" = done ] && '$ADMIN_TOOL' commands --id $LOG --cred '$T/srv/admin.cred' | grep -q 'shuanglian-site'"

key_before=$(grep '^public' "$T/$A/site.key")
admin send $A rotate_key >/dev/null 2>&1 || fail "send rotate_key"
ROT=$(last_id)
sync_ok $A || fail "sync for rotate_key: $(tail -3 "$T/sync-$A.log")"
soft_check "rotate_key ran" state_is "$ROT" done
soft_check "… the site has a new key" [ "$(grep '^public' "$T/$A/site.key")" != "$key_before" ]
sync_ok $A || fail "sync with the new key"
pass "the site syncs with its new key"

# set_server: the same server under another name; the site reconnects there.
admin send $B set-server "tcp://localhost:$PORT" >/dev/null 2>&1 || fail "send set-server"
SS=$(last_id)
sync_ok $B || fail "sync for set_server: $(tail -3 "$T/sync-$B.log")"
soft_check "set_server ran" state_is "$SS" done
soft_check "… the site now uses the new address" [ "$(site_status $B server)" = "tcp://localhost:$PORT" ]
sync_ok $B || fail "sync at the new address"
pass "the site syncs at its new address"
refused "set-server refuses an address a site cannot dial" 3 "not an address a site can connect to" \
  admin site set-server $B 'tcp://*:7450'

check "chain verified" central_verify
server_stop || fail "server exit status"
