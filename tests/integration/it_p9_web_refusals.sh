# it_p9_web_refusals.sh: both web servers refuse what they must (P8, P9) and
# nothing refused is stored: a form without its CSRF token or with a wrong
# one, a form from another site (Origin), a foreign Host (DNS rebinding), an
# oversized request, paths outside the pages (/../site.db), other methods,
# too many requests; a wrong password, a login without a token, a revoked
# administrator; and a network address without a password is not served.
source "$(dirname "$0")/lib.sh"
server_init
site_init_plain s1
count() { sq "$T/s1/site.db" "SELECT count(*) FROM events"; }
token() { grep -o 'name="csrf" value="[0-9a-f]*"' "$1" | head -1 | sed 's/.*value="//; s/"$//'; }
code() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }

# ---- the site's page -------------------------------------------------------------
WPORT=$(free_port)
bg_start SW "$T/site-web.log" $SL_WRAP "$SITE" web --data "$T/s1" --listen "127.0.0.1:$WPORT"
wait_for "the site's web page listens" port_listens "$WPORT"
U=http://127.0.0.1:$WPORT
curl -s -c "$T/cj" "$U/entry?type=problem_report" >"$T/form.html"
tok=$(token "$T/form.html")
[ ${#tok} = 64 ] || fail "no CSRF token in the form"
rec="type=problem_report&f_reporter_kind=courier&f_summary=楼道堆放杂物&f_on=2025-03-01"
check "a form without its CSRF token is refused (403)" [ "$(code -b "$T/cj" -d "$rec" "$U/entry")" = 403 ]
check "the refusal says why" grep -q "安全令牌" "$T/body"
check "a form with another token is refused (403)" \
    [ "$(code -b "$T/cj" -d "csrf=$(printf '0%.0s' {1..64})&$rec" "$U/entry")" = 403 ]
check "a token without its session cookie is refused (403)" \
    [ "$(code -d "csrf=$tok&$rec" "$U/entry")" = 403 ]
check "a form posted from another site is refused (403, Origin)" \
    [ "$(code -b "$T/cj" -H "Origin: http://attacker.example" -d "csrf=$tok&$rec" "$U/entry")" = 403 ]
check "nothing refused was stored" [ "$(count)" = 0 ]
check "the same form with its token is saved (303)" \
    [ "$(code -b "$T/cj" -H "Origin: $U" -d "csrf=$tok&$rec" "$U/entry")" = 303 ]
check "... and stored" [ "$(count)" = 1 ]
head -c 3000000 /dev/zero | tr '\0' a >"$T/big"
check "an oversized request is refused before it is read (413)" \
    [ "$(code -b "$T/cj" -H 'Content-Type: application/x-www-form-urlencoded' \
         --data-binary @"$T/big" "$U/entry")" = 413 ]
check "the oversized refusal names the limit" grep -q "2097152" "$T/body"
check "an oversized upload is refused too (413)" \
    [ "$(code -b "$T/cj" -F "csrf=$tok" -F step=preview -F type=problem_report \
         -F "file=@$T/big;filename=big.csv" "$U/import")" = 413 ]
for p in '/../site.db' '/%2e%2e/site.db' '/static/../../site.db' '/..%2fsite.db' '/site.db' \
         '/static/../site.db' '/entry/../../site.db'; do
  c=$(code --path-as-is "$U$p")
  check "$p is not served ($c)" [ "$c" = 404 ]
  check "$p: no database bytes in the answer" bash -c "! grep -q 'SQLite format' '$T/body'"
done
check "a foreign Host header is refused (400, DNS rebinding)" \
    [ "$(code -H "Host: attacker.example:$WPORT" "$U/entry")" = 400 ]
check "PUT is refused (405)" [ "$(code -X PUT -d x "$U/entry")" = 405 ]
check "a form field that is not UTF-8 text is refused (400)" \
    [ "$(code -b "$T/cj" --data-binary "csrf=$tok&type=problem_report&f_summary=%ff%fe" \
         -H 'Content-Type: application/x-www-form-urlencoded' "$U/entry")" = 400 ]
check "... and stored nothing" [ "$(count)" = 1 ]
urls=()
for _ in $(seq 1 400); do urls+=("$U/static/icon.svg"); done
curl -s -o /dev/null -w '%{http_code}\n' "${urls[@]}" >"$T/rate"
check "too many requests from one address are refused (429)" grep -q '^429$' "$T/rate"
check "... after a burst that was served (200)" grep -q '^200$' "$T/rate"
LPORT=$(free_port)
refused "serving the site beyond this computer needs a password" 64 "web passwd" \
    "$SITE" web --data "$T/s1" --listen "0.0.0.0:$LPORT"
kill -TERM "$SW"; wait_exit "$SW" 30 || fail "site web did not stop"
check "site web stops on SIGTERM with status 0" [ "$WAIT_RC" = 0 ]
refused "--login without a password" 64 "web passwd" "$SITE" web --data "$T/s1" --login \
    --listen "127.0.0.1:$LPORT"
echo 'site password 1' | "$SITE" web passwd --data "$T/s1" >/dev/null || fail "site web passwd"
check "the site's password is stored hashed (argon2id)" \
    bash -c "sqlite3 '$T/s1/site.db' \"SELECT value FROM meta WHERE key='web_password'\" | grep -q '^.argon2id'"
bg_start SW "$T/site-web2.log" $SL_WRAP "$SITE" web --data "$T/s1" --login --listen "127.0.0.1:$WPORT"
wait_for "the site's web page listens again" port_listens "$WPORT"
rm -f "$T/cj"
check "with a password, pages need a login (303 to /login)" \
    [ "$(code -c "$T/cj" "$U/entry")" = 303 ]
curl -s -b "$T/cj" -c "$T/cj" "$U/login" >"$T/slogin.html"
stok=$(token "$T/slogin.html")
code -b "$T/cj" -c "$T/cj" -d "csrf=$stok&password=nope+nope" "$U/login" >/dev/null
check "a wrong site password is refused, saying so" grep -q 'id="login-error"' "$T/body"
check "... and gives no access" [ "$(code -b "$T/cj" "$U/entry")" = 303 ]
check "the right site password logs in" \
    [ "$(code -b "$T/cj" -c "$T/cj" -d "csrf=$stok&password=site+password+1" "$U/login")" = 303 ]
check "the entry page is served after login" [ "$(code -b "$T/cj" "$U/entry")" = 200 ]
kill -TERM "$SW"; wait_exit "$SW" 30 || fail "site web did not stop"

# ---- the district's dashboard ------------------------------------------------------
refused "a web password for someone who is not an administrator" 64 "no active administrator" \
    bash -c "echo 'long enough pass' | '$SERVER' web passwd nobody --data '$T/srv'"
refused "a password of fewer than 8 characters" 64 "must be 8..200" \
    bash -c "echo short | '$SERVER' web passwd admin --data '$T/srv'"
echo 'correct horse battery' | "$SERVER" web passwd admin --data "$T/srv" >/dev/null \
    || fail "web passwd admin"
hash=$(sq "$T/srv/central.db" "SELECT pwhash FROM dash_logins WHERE name='admin'")
check "the password is stored hashed by crypto_pwhash (argon2id)" [ "${hash#\$argon2id\$}" != "$hash" ]
check "... never in clear" bash -c "! grep -qa 'correct horse' '$T/srv/central.db'"
DPORT=$(free_port)
bg_start DW "$T/dash-web.log" $SL_WRAP "$SERVER" web --data "$T/srv" --listen "127.0.0.1:$DPORT"
wait_for "the dashboard listens" port_listens "$DPORT"
D=http://127.0.0.1:$DPORT
check "pages need a login (303 to /login)" [ "$(code -c "$T/dj" "$D/sites")" = 303 ]
curl -s -b "$T/dj" -c "$T/dj" "$D/login" >"$T/login.html"
dtok=$(token "$T/login.html")
code -b "$T/dj" -c "$T/dj" -d "csrf=$dtok&name=admin&password=wrong+password" "$D/login" >/dev/null
check "a wrong password is refused, saying so" grep -q 'id="login-error"' "$T/body"
check "... and gives no access" [ "$(code -b "$T/dj" "$D/sites")" = 303 ]
check "a login without its CSRF token is refused (403)" \
    [ "$(code -b "$T/dj" -d "name=admin&password=correct+horse+battery" "$D/login")" = 403 ]
check "the right password logs in (303 to /sites)" \
    [ "$(code -b "$T/dj" -c "$T/dj" -d "csrf=$dtok&name=admin&password=correct+horse+battery" \
         "$D/login")" = 303 ]
check "the session cookie is HttpOnly and SameSite=Strict" \
    bash -c "curl -s -i -b '$T/dj' -d 'csrf=$dtok&name=admin&password=x' '$D/login' >/dev/null; \
             curl -s -i '$D/login' | grep -i '^Set-Cookie: sl_dash=' | grep -q 'HttpOnly; SameSite=Strict'"
check "the dashboard is served after login" [ "$(code -b "$T/dj" "$D/sites")" = 200 ]
check "every page carries a Content-Security-Policy without inline script" \
    bash -c "curl -s -i -b '$T/dj' '$D/sites' | grep -i '^Content-Security-Policy:' \
             | grep -q \"script-src 'self'\""
check "logging out needs the token (403)" [ "$(code -b "$T/dj" -X POST "$D/logout")" = 403 ]
sq "$T/srv/central.db" "UPDATE keys SET status='revoked' WHERE role='admin' AND name='admin'"
check "a revoked administrator's session ends (303 to /login)" \
    [ "$(code -b "$T/dj" -c "$T/dj" "$D/sites")" = 303 ]
curl -s -b "$T/dj" -c "$T/dj" "$D/login" >"$T/login.html"
dtok=$(token "$T/login.html")
code -b "$T/dj" -c "$T/dj" -d "csrf=$dtok&name=admin&password=correct+horse+battery" "$D/login" >/dev/null
check "a revoked administrator cannot log in" grep -q 'id="login-error"' "$T/body"
curl -s -c "$T/dj2" "$D/login" >"$T/login2.html"
t2=$(token "$T/login2.html")
for _ in 1 2 3 4 5 6; do
  c=$(code -b "$T/dj2" -d "csrf=$t2&name=admin&password=guess" "$D/login")
done
check "failed logins from one address are limited (429)" [ "$c" = 429 ]
kill -TERM "$DW"; wait_exit "$DW" 30 || fail "dashboard did not stop"
check "the dashboard stops on SIGTERM with status 0" [ "$WAIT_RC" = 0 ]
