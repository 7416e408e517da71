# web_dash.sh: the district's dashboard in a browser (test_dash_web.py): a
# site enters a year of 五个一 work for two units and syncs it; an
# administrator with a web password logs in and reads the matrix, the
# dispatch and the other pages, and downloads the XLSX.  Screenshots:
# $SL_BIN/test-output/browser/.
source "$(dirname "$0")/../integration/lib.sh"
SHOTS=$SL_BIN/test-output/browser
mkdir -p "$SHOTS"
server_init
server_start
site_init s1
ref() { "$SERVER" ref put "$@" --data "$T/srv" >/dev/null || fail "ref put $*"; }
ref unit u1 name=区委办
ref unit u2 name=司法局
ref member m1 name=张三 unit=u1
ref member m2 name=李四 unit=u2
ref member m3 name=王五 unit=u2
ref unit u1 name=区委办 secretary=m1 secretary_since=2020-01-01
ref unit u2 name=司法局 secretary=m2 secretary_since=2020-01-01
site sync --data "$T/s1" >"$T/sync1.out" 2>&1 || fail "first sync: $(cat "$T/sync1.out")"
add() { site record add --data "$T/s1" "$@" >>"$T/add.out" 2>&1 || fail "record add $*: $(tail -1 "$T/add.out")"; }
# u1 meets all five tasks of 2025; u2 has one matter of two and a lecture
# given by a member who is not its secretary (not counted).
add service_matter unit=u1 title=加装扶手 status=done on=2025-03-01
add service_matter unit=u1 title=修缮车棚 status=done on=2025-04-01
add party_day unit=u1 theme=共建花园 on=2025-05-01
add party_lecture unit=u1 speaker=m1 title=基层治理 on=2025-06-01
add micro_wish resident=王奶奶 wish=助听器 status=fulfilled unit=u1 on=2025-07-01
add enterprise_problem enterprise=便民超市 problem=用电增容 unit=u1 status=solved on=2025-08-01
add service_matter unit=u2 title=法律咨询 status=done on=2025-03-15
add party_lecture unit=u2 speaker=m3 title=普法 on=2025-06-15
site sync --data "$T/s1" >"$T/sync2.out" 2>&1 || fail "second sync: $(cat "$T/sync2.out")"
echo 'correct horse battery' | "$SERVER" web passwd admin --data "$T/srv" >/dev/null \
    || fail "web passwd admin"
DPORT=$(free_port)
bg_start DW "$T/dash.log" $SL_WRAP "$SERVER" web --data "$T/srv" --listen "127.0.0.1:$DPORT"
wait_for "the dashboard listens" port_listens "$DPORT"
SL_DASH_SYNC_MORE="'$SITE' record add --data '$T/s1' service_matter unit=u2 title=调解 status=done on=2025-09-01 >/dev/null && '$SITE' sync --data '$T/s1' >/dev/null" \
/usr/bin/python3 "$(dirname "$0")/test_dash_web.py" "http://127.0.0.1:$DPORT" "$SHOTS" \
    || fail "browser checks failed (see above; dashboard log: $(tail -5 "$T/dash.log"))"
kill -TERM "$DW"
wait_exit "$DW" 30 || fail "the dashboard did not stop on SIGTERM"
[ "$WAIT_RC" = 0 ] || fail "the dashboard exited with $WAIT_RC"
pass "the dashboard stopped cleanly"
