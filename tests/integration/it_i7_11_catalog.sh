#!/usr/bin/env bash
# Issue 7 item 11, "Chinese first, English beside": a full scenario (server,
# site, administrator) run as the district and a community would, every
# output recorded, then read by tests/tools/untranslated.py:
#   - in the default language no line is an English sentence without
#     Chinese beside it (help of every verb, refusals, summaries, headings,
#     the server's log);
#   - with LANG=en_US.UTF-8, LC_MESSAGES, LC_ALL or --lang en, no message
#     holds Chinese (the records themselves may), nor any title, heading,
#     figure label or status word of the nine district reports (local and
#     through shuanglian-admin), of the dashboard's pages or of the site's
#     pages (shuanglian-site web: entry, records, a record, import and its
#     preview, a refused form, sync, 404s), whose <html lang> follows;
#   - LC_ALL decides before LC_MESSAGES before LANG, and --lang over all.
# On failure it prints each line, the command that wrote it and why.
source "$(dirname "$0")/lib.sh"
CHECK=/usr/bin/python3
TOOL=$(cd "$(dirname "$0")/../tools" && pwd)/untranslated.py
unset LC_ALL LC_MESSAGES LANGUAGE
export LANG=C.UTF-8
A=qu01.a
SITE_ENV=()

# run DIR KIND CMD…: runs CMD (whatever its exit status), recording its
# words, its kind (msg or data, see untranslated.py) and its outputs.
run() {
  local dir=$1 kind=$2; shift 2
  local n; n=$(( $(find "$dir" -name '*.cmd' | wc -l) + 1 ))
  echo "${*#"$SL_BIN"/}" | sed "s|$T/||g; s|$SL_BIN/||g" >"$dir/$n.cmd"
  echo "$kind" >"$dir/$n.kind"
  "$@" >"$dir/$n.out" 2>"$dir/$n.err" </dev/null
  echo $? >"$dir/$n.rc"
}

# helps DIR PROGRAM VERB…: --help of the program and of each verb (with
# the scenario's words, XARGS).
helps() {
  local dir=$1 prog=$2; shift 2
  run "$dir" msg "$prog" --help "${XARGS[@]}"
  run "$dir" msg "$prog" "${XARGS[@]}"
  local v
  for v in "$@"; do
    # shellcheck disable=SC2086
    run "$dir" msg "$prog" $v --help "${XARGS[@]}"
  done
}

# pages DIR DATA EXTRA…: the dashboard (shuanglian-server web EXTRA…) after
# a login: each page's HTML recorded as kind "page".
pages() {
  local d=$1 S=$2; shift 2
  echo 'correct horse battery' | "$SERVER" web passwd admin --data "$S" "$@" >/dev/null 2>&1 \
    || fail "web passwd $*"
  local port; port=$(free_port)
  "$SERVER" web --data "$S" --listen "127.0.0.1:$port" "$@" >"$d/web.log" 2>&1 &
  local wpid=$!
  PIDS+=("$wpid")
  wait_until 60 port_listens "$port" || fail "the dashboard ($*) did not listen: $(tail -2 "$d/web.log")"
  local u=http://127.0.0.1:$port jar=$d/cookies tok
  curl -s -c "$jar" "$u/login" >"$d/login.html"
  tok=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$d/login.html" | head -1 | sed 's/.*value="//; s/"$//')
  curl -s -b "$jar" -c "$jar" -d "csrf=$tok&name=admin&password=correct+horse+battery" "$u/login" \
    >/dev/null
  local p n
  for p in /sites "/five?year=2025" "/dispatch?month=2025-03" \
           "/loop?from=2025-01-01&to=2025-12-31&by=unit" "/points?year=2025" \
           "/records?type=problem_report" /nosuch; do
    n=$(( $(find "$d" -name '*.cmd' | wc -l) + 1 ))
    echo "web $* GET $p" >"$d/$n.cmd"
    echo page >"$d/$n.kind"
    curl -s -b "$jar" "$u$p" >"$d/$n.out"
    : >"$d/$n.err"
  done
  grep -q 'id="t-figures"' "$d/$((n - 4)).out" || fail "the dashboard's dispatch page has no figures"
  kill -TERM "$wpid" 2>/dev/null
  wait_exit "$wpid" 30 || kill9 "$wpid"
}

# site_pages DIR DATA EXTRA…: the site's pages (shuanglian-site web EXTRA…,
# on loopback: no login), each page's HTML recorded as kind "page"; then a
# CSV's preview (one bad row) and a refused form, posted with the page's
# CSRF token.  SITE_ENV (VAR=VALUE…) is the web program's environment.
site_pages() {
  local d=$1 D=$2; shift 2
  local port; port=$(free_port)
  env "${SITE_ENV[@]}" "$SITE" web --data "$D" --listen "127.0.0.1:$port" "$@" \
    >"$d/site-web.out" 2>"$d/site-web.log" &
  local wpid=$!
  PIDS+=("$wpid")
  wait_until 60 port_listens "$port" \
    || fail "the site's web ($*) did not listen: $(tail -2 "$d/site-web.log")"
  local u=http://127.0.0.1:$port jar=$d/site-cookies tok p n words="${SITE_ENV[*]} $*"
  record_page() {     # WHAT CURL-ARGS… (site_pages's d, jar, words; sets n)
    n=$(( $(find "$d" -name '*.cmd' | wc -l) + 1 ))
    echo "site web ${words# } $1" | sed 's/  */ /g' >"$d/$n.cmd"
    echo page >"$d/$n.kind"
    shift
    curl -s -b "$jar" -c "$jar" "$@" >"$d/$n.out"
    : >"$d/$n.err"
  }
  for p in "/entry?type=problem_report" "/entry?type=service_matter" "/entry?type=update" /records "/record?seq=1" /import /sync /nosuch \
           "/record?seq=999" "/entry?type=nosuch"; do
    record_page "GET $p" "$u$p"
  done
  tok=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$d/$((n - 7)).out" | head -1 \
        | sed 's/.*value="//; s/"$//')
  [ -n "$tok" ] || fail "the site's entry page ($*) has no CSRF token"
  printf 'reporter_kind,summary,on\ngrid_worker,井盖松动,2025-03-02\ncourier,垃圾满溢,2025-13-03\n' \
    >"$d/preview.csv"
  record_page "POST /import (preview, a bad row)" -F "csrf=$tok" -F step=preview \
    -F type=problem_report -F "file=@$d/preview.csv" "$u/import"
  grep -q 'id="err-3"' "$d/$n.out" || fail "the site's import preview ($*) marks no bad row"
  record_page "POST /entry (a required field left empty)" \
    -d "csrf=$tok&type=problem_report&f_reporter_kind=grid_worker" "$u/entry"
  grep -q 'id="msg-summary"' "$d/$n.out" || fail "the refused form ($*) says nothing beside its field"
  kill -TERM "$wpid" 2>/dev/null
  wait_exit "$wpid" 30 || kill9 "$wpid"
  cat "$d/site-web.out" >>"$d/site-web.log"
}

# scenario DIR EXTRA…: the district's day, every program given EXTRA words
# (--lang en, or nothing).  A fresh server, site and credential in DIR.
scenario() {
  local d=$1; shift
  local x=("$@") S=$d/srv D=$d/$A
  XARGS=("$@")
  mkdir -p "$d"
  local port ep
  port=$(free_port); ep=tcp://127.0.0.1:$port
  run "$d" msg "$SERVER" init --data "$S" --endpoint "$ep" "${x[@]}"
  run "$d" msg "$SERVER" ref put community c1 name=测试社区 --data "$S" "${x[@]}"
  run "$d" msg "$SERVER" ref put unit u1 name=区委办 --data "$S" "${x[@]}"
  run "$d" msg "$SERVER" ref put unit u2 name=司法局 --data "$S" "${x[@]}"
  run "$d" msg "$SERVER" site enroll --data "$S" --site $A --community c1 --out "$d/a.bundle" "${x[@]}"
  run "$d" msg "$SITE" init --data "$D" --bundle "$d/a.bundle" "${x[@]}"
  run "$d" msg "$SITE" status --data "$D" "${x[@]}"
  # The server runs with the scenario's language (its log is read too).
  "$SERVER" run --data "$S" --bind "$ep" "${x[@]}" >"$d/server.log" 2>&1 &
  local spid=$!
  PIDS+=("$spid")
  wait_until 60 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null \
    || fail "server run ${x[*]} did not listen: $(tail -2 "$d/server.log")"
  run "$d" msg "$SITE" sync --data "$D" --timeout 60 "${x[@]}"
  run "$d" msg "$SITE" record add --data "$D" service_matter unit=u1 title=加装楼道扶手 status=done \
      on=2025-03-05 beneficiaries=120 "${x[@]}"
  run "$d" msg "$SITE" record add --data "$D" problem_report reporter_kind=grid_worker summary=路灯坏了 \
      on=2025-03-01 "${x[@]}"
  printf 'reporter_kind,summary,on\ngrid_worker,井盖松动,2025-03-02\ncourier,垃圾满溢,2025/3/3\n' >"$d/r.csv"
  run "$d" msg "$SITE" record import --data "$D" problem_report "$d/r.csv" "${x[@]}"
  run "$d" msg "$SITE" record import --data "$D" problem_report "$d/r.csv" "${x[@]}"
  run "$d" data "$SITE" record list --data "$D" "${x[@]}"
  run "$d" data "$SITE" record imports --data "$D" "${x[@]}"
  run "$d" data "$SITE" record types --data "$D" "${x[@]}"
  run "$d" msg "$SITE" status --data "$D" "${x[@]}"
  run "$d" msg "$SITE" sync --data "$D" --timeout 60 "${x[@]}"
  run "$d" msg "$SITE" status --data "$D" "${x[@]}"
  run "$d" data "$SITE" ref list --data "$D" "${x[@]}"
  # Mistakes a worker makes.
  run "$d" msg "$SITE" record add --data "$D" service_matter unit=u9 title=x status=done on=2025-03-05 "${x[@]}"
  run "$d" msg "$SITE" record add --data "$D" service_matter unit=u1 title=x status=finished on=2025-03-05 "${x[@]}"
  run "$d" msg "$SITE" record add --data "$D" service_matter unit=u1 title=x status=done on=2099-03-05 "${x[@]}"
  run "$d" msg "$SITE" record add --data "$D" service_matter unit=u1 status=done on=2025-03-05 "${x[@]}"
  run "$d" msg "$SITE" record add --data "$D" service_matter unit=u1 title=x colour=red "${x[@]}"
  run "$d" msg "$SITE" record add --data "$D" no_such_type a=b "${x[@]}"
  printf 'reporter_kind,summary,on\ngrid_worker,"两\n行",2025-03-02\n' >"$d/bad.csv"
  run "$d" msg "$SITE" record import --data "$D" problem_report "$d/bad.csv" "${x[@]}"
  run "$d" msg "$SITE" record import --data "$D" problem_report "$d/nosuch.csv" "${x[@]}"
  run "$d" msg "$SITE" record list --data "$d/nosuch" "${x[@]}"
  run "$d" msg "$SITE" record list --data "$D" --limit abc "${x[@]}"
  run "$d" msg "$SITE" status --data "$D" --bogus "${x[@]}"
  run "$d" msg "$SITE" frobnicate "${x[@]}"
  run "$d" msg "$SITE" sync --data "$D" --server tcp://127.0.0.1:1 --timeout 2 "${x[@]}"
  # The district reads and acts.
  local c=(--cred "$S/admin.cred" "${x[@]}")
  run "$d" data "$SERVER" stats --data "$S" "${x[@]}"
  run "$d" msg "$SERVER" verify --data "$S" "${x[@]}"
  run "$d" data "$SERVER" sites --data "$S" "${x[@]}"
  run "$d" data "$SERVER" ref list --data "$S" "${x[@]}"
  run "$d" data "$SERVER" incidents --data "$S" "${x[@]}"
  run "$d" data "$SERVER" admin list --data "$S" "${x[@]}"
  run "$d" msg "$SERVER" health --data "$S" "${x[@]}"
  run "$d" data "$ADMIN_TOOL" sites "${c[@]}"
  run "$d" data "$ADMIN_TOOL" stats "${c[@]}"
  run "$d" data "$ADMIN_TOOL" site list "${c[@]}"
  # Every report, computed here and through the administrator's tool.
  local r reports=("dispatch --month 2025-03" "five --year 2025"
    "loop --from 2025-01-01 --to 2025-12-31" "loop --from 2025-01-01 --to 2025-12-31 --by unit"
    "points --year 2025" "volunteers --year 2025" "talent --year 2025" facilities
    "supervision --half 2025-1" "records service_matter" "records problem_report")
  for r in "${reports[@]}"; do
    # shellcheck disable=SC2086
    run "$d" report "$ADMIN_TOOL" report $r "${c[@]}"
    # shellcheck disable=SC2086
    run "$d" report "$SERVER" report $r --data "$S" "${x[@]}"
  done
  pages "$d" "$S" "${x[@]}"
  site_pages "$d" "$D" "${x[@]}"
  run "$d" msg "$ADMIN_TOOL" send $A ping "${c[@]}"
  run "$d" msg "$ADMIN_TOOL" send $A notice 请于周五前报送 "${c[@]}"
  run "$d" msg "$SITE" sync --data "$D" --timeout 60 "${x[@]}"
  run "$d" msg "$SITE" sync --data "$D" --timeout 60 "${x[@]}"
  run "$d" data "$ADMIN_TOOL" commands "${c[@]}"
  run "$d" data "$ADMIN_TOOL" audit "${c[@]}"
  run "$d" msg "$ADMIN_TOOL" ref put unit u3 name=民政局 "${c[@]}"
  # The district's mistakes.
  run "$d" msg "$ADMIN_TOOL" send qu01.zz ping "${c[@]}"
  run "$d" msg "$ADMIN_TOOL" send $A nosuch "${c[@]}"
  run "$d" msg "$ADMIN_TOOL" send $A resend abc "${c[@]}"
  run "$d" msg "$ADMIN_TOOL" ref put unit u9 name=x --site qu01.zz "${c[@]}"
  run "$d" msg "$ADMIN_TOOL" ref del unit u404 "${c[@]}"
  run "$d" msg "$ADMIN_TOOL" site enroll --site $A --community c1 --out "$d/again.bundle" "${c[@]}"
  run "$d" msg "$ADMIN_TOOL" report dispatch "${c[@]}"
  run "$d" msg "$ADMIN_TOOL" report nosuch "${c[@]}"
  run "$d" msg "$ADMIN_TOOL" sites --cred "$d/nosuch.cred" "${x[@]}"
  run "$d" msg "$ADMIN_TOOL" frobnicate "${c[@]}"
  run "$d" msg "$SERVER" init --data "$d/bad" --endpoint 'tcp://*:7450' "${x[@]}"
  run "$d" msg "$SERVER" ref put unit u9 --data "$S" "${x[@]}"
  run "$d" msg "$SERVER" site enroll --data "$S" --site 'bad site' --community c1 "${x[@]}"
  run "$d" msg "$SERVER" restore --data "$S" "$d/nosuch.db" "${x[@]}"
  run "$d" msg "$SERVER" frobnicate "${x[@]}"
  # Help, of every program and verb.
  helps "$d" "$SITE" init record "record add" "record import" "record list" "record export" \
      "record types" "record imports" status sync ref "ref list" rotate-key set-server web
  helps "$d" "$SERVER" init run stats verify ref incidents admin site sites commands audit \
      backup restore health set-endpoint web report
  helps "$d" "$ADMIN_TOOL" sites site "site enroll" ref send commands cancel audit admin stats \
      incidents report
  kill -TERM "$spid" 2>/dev/null
  wait_exit "$spid" 60 || kill9 "$spid"
  run "$d" msg "$SERVER" sites --data "$d/nosuch" "${x[@]}"
}

echo "-- the checker itself finds an English-only sentence, and Chinese in English"
K=$T/self; mkdir -p "$K"
echo "demo" >"$K/1.cmd"; echo msg >"$K/1.kind"
printf '已保存 saved: #3\ncannot read the file: no such file\n  --data DIR  site-data\n' >"$K/1.out"
: >"$K/1.err"
"$CHECK" "$TOOL" zh "$K" >"$K.zh" && fail "the checker passed an English-only sentence: $(cat "$K.zh")"
grep -q "1 untranslated" "$K.zh" || fail "the checker counted wrongly: $(cat "$K.zh")"
"$CHECK" "$TOOL" en "$K" >"$K.en" && fail "the checker passed Chinese in English: $(cat "$K.en")"
# A report and a page, each with one label left untranslated: found, and
# their data (names in Chinese) not taken for a label.
R=$T/selfreport; mkdir -p "$R"
echo "report dispatch" >"$R/1.cmd"; echo report >"$R/1.kind"; : >"$R/1.err"
printf 'monthly dispatch 2025-03\n\n[figures]\nfigure    key          value\n' >"$R/1.out"
printf -- '--------  -----------  -----\nunits in total  units_total  3\n单位总数  units_total  3\n\n' >>"$R/1.out"
printf '[gaps]\ncommunity  gap m²\n---------  ------\n公园社区       60\n' >>"$R/1.out"
echo "web GET /five" >"$R/2.cmd"; echo page >"$R/2.kind"; : >"$R/2.err"
printf '<html><head><title>Five tasks</title></head><body><h1>the five tasks</h1><table id="t-units">' >"$R/2.out"
printf '<tr><th>unit</th><th>单位 unit name</th></tr><tr><td>u1</td><td>区委办</td></tr></table>' >>"$R/2.out"
printf '<table id="t-figures"><tr><td>matters done</td><td>4</td></tr></table></body></html>\n' >>"$R/2.out"
"$CHECK" "$TOOL" en "$R" >"$R.en" && fail "the checker passed an untranslated report label: $(cat "$R.en")"
grep -q "2 untranslated" "$R.en" || fail "the checker took data for labels, or missed one: $(cat "$R.en")"
grep -q "单位总数" "$R.en" && grep -q "单位 unit name" "$R.en" \
  || fail "the checker missed the planted labels: $(cat "$R.en")"
printf '<table id="t-figures"><tr><td>单位总数</td><td>3</td></tr></table>\n' >"$R/2.out"
"$CHECK" "$TOOL" en "$R" >"$R.en2"
grep -q "2 untranslated" "$R.en2" || fail "the checker missed a figure's label on a page: $(cat "$R.en2")"
# A site's page with three labels left untranslated (a definition's term, a
# type cell of the list of records, a hint): found, and its data -- a
# record's field value, the content cell, a reference entry's name, the
# recent records of a datalist, a value quoted in a message -- not taken
# for a label.
P=$T/selfsite; mkdir -p "$P"
echo "site web GET /records" >"$P/1.cmd"; echo page >"$P/1.kind"; : >"$P/1.err"
cat >"$P/1.out" <<'HTML'
<html lang="en"><head><title>My records</title></head><body><main><h1>My records</h1>
<dl class="kv"><dt>待同步</dt><dd id="waiting">2 records</dd><dt>summary</dt><dd id="v-summary">路灯坏了</dd></dl>
<table id="records"><thead><tr><th>seq</th><th>type</th></tr></thead><tbody>
<tr><td class="num"><a href="/record?seq=1">#1</a></td><td>问题上报</td><td>2026-01-02 03:04</td><td>waiting</td>
<td><span class="badge ok">reported</span></td><td>summary=路灯坏了</td></tr></tbody></table>
<select name="f_unit"><option value="u1">u1 区委办</option><option value="accepted">accepted (needs a note)</option></select>
<datalist id="dl_item"><option value="#1">problem_report 路灯坏了</option></datalist>
<div class="hint">填写记录序号 the record's number</div>
<table id="preview"><tr><td>垃圾满溢</td><td class="rowerr">line 3: field "summary" is "两行"</td></tr></table>
</main><footer>shuanglian 0.3.0</footer></body></html>
HTML
"$CHECK" "$TOOL" en "$P" >"$P.en" && fail "the checker passed an untranslated site label: $(cat "$P.en")"
grep -q "3 untranslated" "$P.en" || fail "the checker took site data for labels, or missed one: $(cat "$P.en")"
grep -q "待同步" "$P.en" && grep -q "问题上报" "$P.en" && grep -q "填写记录序号" "$P.en" \
  || fail "the checker missed the planted site labels: $(cat "$P.en")"
pass "the checker fails on what it must find"

echo "-- the scenario in the default language (Chinese first)"
scenario "$T/zh"
verdict() {    # WHAT MODE DIR: untranslated.py's verdict on DIR, a soft check
  if "$CHECK" "$TOOL" "$2" "$3" >"$3.check"; then pass "$1: $(tail -1 "$3.check")"
  else cat "$3.check" >&2; echo "FAIL [$TEST_NAME]: $1: see the lines above" >&2
       SL_SOFT_FAILS=$((SL_SOFT_FAILS + 1)); fi
}
verdict "no English-only sentence in the default language" zh "$T/zh"
site_lang() {   # DIR LANG: every site page recorded in DIR says <html lang="LANG">
  local f bad=0
  for f in $(grep -l '^site web' "$1"/*.cmd); do
    f=${f%.cmd}.out
    grep -q "<html lang=\"$2\">" "$f" || { echo "  $f: $(grep -o '<html[^>]*>' "$f")" >&2; bad=1; }
  done
  [ "$bad" = 0 ] && grep -ql '^site web' "$1"/*.cmd
}
soft_check "the site's pages say <html lang=\"zh-CN\">" site_lang "$T/zh" zh-CN
site_page() {   # DIR WHAT: the recorded site page whose words end in WHAT
  local f
  for f in "$1"/*.cmd; do
    grep -q "^site web.* $2\$" "$f" && { echo "${f%.cmd}.out"; return 0; }
  done
  echo /nonexistent
}
soft_check "… show the records' data in the list and on a record's page" \
  sh -c "grep -q '加装楼道扶手' '$(site_page "$T/zh" "GET /records")' \
         && grep -q '加装楼道扶手' '$(site_page "$T/zh" "GET /record?seq=1")'"
soft_check "… and the scenario ran (records reached the server)" \
  sh -c "'$SERVER' stats --data '$T/zh/srv' --tsv | grep -q '^$A'"

echo "-- the scenario with --lang en"
scenario "$T/en" --lang en
verdict "no Chinese in the messages of --lang en" en "$T/en"
soft_check "the site's pages say <html lang=\"en\"> with --lang en" site_lang "$T/en" en
soft_check "… and still show the records' data as entered, a choice by its wire name" \
  sh -c "grep -q '加装楼道扶手' '$(site_page "$T/en" "GET /records")' \
         && grep -q 'reporter_kind=grid_worker' '$(site_page "$T/en" "GET /records")'"

echo "-- the environment chooses, --lang over it"
E=$T/env; mkdir -p "$E"
for prog in "$SITE" "$SERVER" "$ADMIN_TOOL"; do
  run "$E" msg env LANG=en_US.UTF-8 "$prog" --help
  run "$E" msg env LANG=zh_CN.UTF-8 LC_MESSAGES=en_GB.UTF-8 "$prog" frobnicate
  run "$E" msg env LANG=zh_CN.UTF-8 LC_ALL=en_US.UTF-8 "$prog" status --bogus
done
# The site's pages under LANG=en_US.UTF-8 (no --lang): English, <html lang="en">.
SITE_ENV=(LANG=en_US.UTF-8)
site_pages "$E" "$T/en/$A"
SITE_ENV=()
soft_check "LANG=en_US.UTF-8: the site's pages say <html lang=\"en\">" site_lang "$E" en
verdict "LANG, LC_MESSAGES, LC_ALL=en_*: English only" en "$E"
Z=$T/envzh; mkdir -p "$Z"
for prog in "$SITE" "$SERVER" "$ADMIN_TOOL"; do
  run "$Z" msg env LANG=en_US.UTF-8 LC_ALL=zh_CN.UTF-8 "$prog" --help
  run "$Z" msg env LANG=en_US.UTF-8 "$prog" frobnicate --lang zh
done
verdict "LC_ALL=zh_CN over LANG=en, and --lang zh over LANG=en: Chinese first" zh "$Z"
for f in "$Z"/*.out "$Z"/*.err; do cat "$f"; done | grep -qP '[\x{4e00}-\x{9fff}]' \
  && pass "… with Chinese in it" || soft_check "Chinese under LC_ALL=zh_CN or --lang zh" false
