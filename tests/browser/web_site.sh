# web_site.sh: the community's pages in a browser (test_site_web.py), on a
# real site enrolled with a real server, with the district's reference data
# synced down first.  Screenshots: $SL_BIN/test-output/browser/.
source "$(dirname "$0")/../integration/lib.sh"
SHOTS=$SL_BIN/test-output/browser
mkdir -p "$SHOTS"
server_init
server_start
site_init s1
ref() { "$SERVER" ref put "$@" --data "$T/srv" >/dev/null || fail "ref put $*"; }
ref unit u1 name=区委办
ref member m1 name=张三 unit=u1
ref unit u1 name=区委办 secretary=m1 secretary_since=2020-01-01
ref unit u2 name=司法局
ref brand b1 name=百愿牵手
ref team t1 name=爱满杏林 unit=u1 brand=b1
ref banned_certificate bc1 title=居住证明
site sync --data "$T/s1" >"$T/sync1.out" 2>&1 || fail "first sync: $(cat "$T/sync1.out")"
WPORT=$(free_port)
bg_start WEB_PID "$T/web.log" $SL_WRAP "$SITE" web --data "$T/s1" --listen "127.0.0.1:$WPORT"
wait_for "the site's web page listens" port_listens "$WPORT"
/usr/bin/python3 "$(dirname "$0")/test_site_web.py" "http://127.0.0.1:$WPORT" "$T/s1/site.db" \
    "$SHOTS" || fail "browser checks failed (see above; web log: $(tail -5 "$T/web.log"))"
kill -TERM "$WEB_PID"
wait_exit "$WEB_PID" 30 || fail "site web did not stop on SIGTERM"
[ "$WAIT_RC" = 0 ] || fail "site web exited with $WAIT_RC"
pass "site web stopped cleanly"
