#!/usr/bin/env bash
# Issue 7 item 11, "Chinese first, English beside": a full scenario (server,
# site, administrator) run as the district and a community would, every
# output recorded, then read by tests/tools/untranslated.py:
#   - in the default language no line is an English sentence without
#     Chinese beside it (help of every verb, refusals, summaries, headings,
#     the server's log);
#   - with LANG=en_US.UTF-8, LC_MESSAGES, LC_ALL or --lang en, no message
#     holds Chinese (the records themselves may);
#   - LC_ALL decides before LC_MESSAGES before LANG, and --lang over all.
# On failure it prints each line, the command that wrote it and why.
source "$(dirname "$0")/lib.sh"
CHECK=/usr/bin/python3
TOOL=$(cd "$(dirname "$0")/../tools" && pwd)/untranslated.py
unset LC_ALL LC_MESSAGES LANGUAGE
export LANG=C.UTF-8
A=qu01.a

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
  run "$d" report "$ADMIN_TOOL" report five --year 2025 "${c[@]}"
  run "$d" report "$ADMIN_TOOL" report loop --from 2025-01-01 --to 2025-12-31 "${c[@]}"
  run "$d" report "$ADMIN_TOOL" report dispatch --month 2025-03 "${c[@]}"
  run "$d" report "$ADMIN_TOOL" report records service_matter "${c[@]}"
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
pass "the checker fails on what it must find"

echo "-- the scenario in the default language (Chinese first)"
scenario "$T/zh"
verdict() {    # WHAT MODE DIR: untranslated.py's verdict on DIR, a soft check
  if "$CHECK" "$TOOL" "$2" "$3" >"$3.check"; then pass "$1: $(tail -1 "$3.check")"
  else cat "$3.check" >&2; echo "FAIL [$TEST_NAME]: $1: see the lines above" >&2
       SL_SOFT_FAILS=$((SL_SOFT_FAILS + 1)); fi
}
verdict "no English-only sentence in the default language" zh "$T/zh"
soft_check "… and the scenario ran (records reached the server)" \
  sh -c "'$SERVER' stats --data '$T/zh/srv' --tsv | grep -q '^$A'"

echo "-- the scenario with --lang en"
scenario "$T/en" --lang en
verdict "no Chinese in the messages of --lang en" en "$T/en"

echo "-- the environment chooses, --lang over it"
E=$T/env; mkdir -p "$E"
for prog in "$SITE" "$SERVER" "$ADMIN_TOOL"; do
  run "$E" msg env LANG=en_US.UTF-8 "$prog" --help
  run "$E" msg env LANG=zh_CN.UTF-8 LC_MESSAGES=en_GB.UTF-8 "$prog" frobnicate
  run "$E" msg env LANG=zh_CN.UTF-8 LC_ALL=en_US.UTF-8 "$prog" status --bogus
done
verdict "LANG, LC_MESSAGES, LC_ALL=en_*: English only" en "$E"
Z=$T/envzh; mkdir -p "$Z"
for prog in "$SITE" "$SERVER" "$ADMIN_TOOL"; do
  run "$Z" msg env LANG=en_US.UTF-8 LC_ALL=zh_CN.UTF-8 "$prog" --help
  run "$Z" msg env LANG=en_US.UTF-8 "$prog" frobnicate --lang zh
done
verdict "LC_ALL=zh_CN over LANG=en, and --lang zh over LANG=en: Chinese first" zh "$Z"
for f in "$Z"/*.out "$Z"/*.err; do cat "$f"; done | grep -qP '[\x{4e00}-\x{9fff}]' \
  && pass "… with Chinese in it" || soft_check "Chinese under LC_ALL=zh_CN or --lang zh" false
