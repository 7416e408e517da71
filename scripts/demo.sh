#!/usr/bin/env bash
# The whole system on loopback: a district server and two community sites.
# The district publishes its reference data (communities, units, members,
# targets) and enrolls two sites; their first sync completes the enrollment
# and brings the roster down.  Then the link is down: the sites keep working
# offline — service matters moved along their lifecycle, a problem report
# handled in a closed loop and rated (一事一评), a refused illegal move, a
# CSV import — and a sync with no server loses nothing.  The server comes
# back, both sites sync; the district reads its figures (dispatch, 五个一,
# closed loop; XLSX and HTML too), sends a site a command and reads its
# result; the central store's counts are printed and its chains verified.
# SL_DEMO_KEEP=1 keeps the stores and report files; SL_DEMO_PORT picks the port.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release >/dev/null
B=$PWD/build
D=$(mktemp -d /tmp/shuanglian-demo.XXXXXX)
PORT=${SL_DEMO_PORT:-7450}
EP=tcp://127.0.0.1:$PORT
SERVER_PID=
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null
            [ -n "${SL_DEMO_KEEP:-}" ] || rm -rf "$D"; }
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*" | sed "s#$B/##g; s#$D/##g"; "$@"; }
S=$B/shuanglian-site
start_server() {
  "$B/shuanglian-server" run --data "$D/server" --bind "$EP" 2>>"$D/server.log" &
  SERVER_PID=$!
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && return; sleep 0.05; done
}
stop_server() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=; }

say "1. 区服务器初始化 district server: store, CURVE keys, admin credential"
run "$B/shuanglian-server" init --data "$D/server" --endpoint "$EP"

say "2. 区里发布参考数据 the district publishes its reference data"
R="$B/shuanglian-server ref --data $D/server"
run $R put community gongyuan name=公园社区 households=2800 center_area_m2=350 workers=12 member_cap=40
run $R put community yuanming name=渊明社区 households=1900 center_area_m2=800 workers=9
run $R put unit U01 name=区委办 communities=gongyuan
run $R put unit U02 name=区政协办
run $R put unit U03 name=卫健委 communities='gongyuan|yuanming'
run $R put 在职党员 M001 姓名=张三 所属单位=U01 特长=法律咨询
run $R put member M002 name=李四 unit=U02
run $R put member M009 name=王五 unit=U09 || true      # refused: no unit U09
run $R put unit U01 name=区委办 communities=gongyuan secretary=M001 secretary_since=2024-03-01
printf 'year,task,required\n2025,民生实事,2\n2025,党课,1\n' > "$D/targets.csv"
run $R import target "$D/targets.csv"

say "3. 注册两个社区站点 enroll two sites with their community's code; install the bundles"
run "$B/shuanglian-server" site enroll --data "$D/server" --site qu01.gongyuan --community gongyuan --out "$D/gongyuan.bundle"
run "$B/shuanglian-server" site enroll --data "$D/server" --site qu01.yuanming --community yuanming --out "$D/yuanming.bundle"
run "$S" init --data "$D/gongyuan" --bundle "$D/gongyuan.bundle"
run "$S" init --data "$D/yuanming" --bundle "$D/yuanming.bundle"
rm -f "$D"/*.bundle

say "4. 首次同步 first sync: enrollment completes, the roster comes down"
start_server
run "$S" sync --data "$D/gongyuan" --quiet
run "$S" sync --data "$D/yuanming" --quiet
run "$S" ref list unit --data "$D/gongyuan"
stop_server

say "5. 断网后离线录入 the link is down: entry goes on offline"
run "$S" record add --data "$D/gongyuan" service_matter unit=U02 \
    title="xx小区电动车停车棚搭建" status=planned on=2025-05-10 beneficiaries=320
run "$S" record add --data "$D/gongyuan" update item=#1 status=推进中 on=2025-05-20
run "$S" record add --data "$D/gongyuan" update item=#1 status=已完成 on=2025-06-12
run "$S" record add --data "$D/gongyuan" rating item=#1 stars=5 comment="出行更方便了"
run "$S" record add --data "$D/gongyuan" 问题上报 上报人类别=快递员 \
    问题描述="楼道堆放杂物，影响通行" 地点="领秀小区3栋" 上报日期=2025-06-20
run "$S" record add --data "$D/gongyuan" update item=#5 status=handled on=2025-06-21 || true   # refused: not accepted yet
for step in "status=accepted" "status=assigned unit=U01 member=M001" "status=handled" "status=closed"; do
  # shellcheck disable=SC2086
  run "$S" record add --data "$D/gongyuan" update item=#5 $step on=2025-06-22
done
run "$S" record add --data "$D/gongyuan" 一事一评 评价事项=#5 星级=4
run "$S" record add --data "$D/gongyuan" party_lecture unit=U01 speaker=M001 title="学习贯彻党的二十大精神" on=2025-07-01
run "$S" record add --data "$D/gongyuan" 党课 单位=U02 主讲人=M002 题目="基层治理" 日期=2025-07-02   # 非书记
printf 'team,brand,unit,title,on,participants,new_employment,hours\n' > "$D/activities.csv"
for i in $(seq 1 200); do
  printf ',,U03,爱满杏林义诊 第%d场,2025-%02d-%02d,%d,%d,%d\n' "$i" $((i % 12 + 1)) $((i % 28 + 1)) $((i % 40 + 10)) $((i % 5)) $((i % 40 + 20))
done >> "$D/activities.csv"
run "$S" record import --data "$D/yuanming" volunteer_activity "$D/activities.csv"
run "$S" record list --data "$D/gongyuan"
run "$S" sync --data "$D/gongyuan" --timeout 2 --quiet || true     # exit 2: nothing is lost

say "6. 服务器恢复，同步 the server is back: both sites sync"
start_server
run "$S" sync --data "$D/gongyuan" --quiet
run "$S" sync --data "$D/yuanming" --quiet
run "$S" status --data "$D/gongyuan"
export SHUANGLIAN_ADMIN_CRED=$D/server/admin.cred
run "$B/shuanglian-admin" site list

say "7. 区级报表 the district's figures: computed by the server, rendered by the admin tool"
run "$B/shuanglian-admin" report dispatch --month 2025-07
run "$B/shuanglian-admin" report five --year 2025
run "$B/shuanglian-admin" report loop --from 2025-01-01 --to 2025-12-31
run "$B/shuanglian-admin" report dispatch --month 2025-07 --xlsx "$D/dispatch-2025-07.xlsx"
run "$B/shuanglian-admin" report dispatch --month 2025-07 --html "$D/dispatch-2025-07.html"

say "8. 远程命令 a command to a site: it runs at the site's next sync, once, and its result comes back"
run "$B/shuanglian-admin" send qu01.gongyuan status
run "$S" sync --data "$D/gongyuan" --quiet
run "$B/shuanglian-admin" commands --limit 1
run "$B/shuanglian-admin" sites

say "9. 区级汇总 central store: per-site and total counts, chains verified"
run "$B/shuanglian-server" stats --data "$D/server"
run "$B/shuanglian-server" verify --data "$D/server"
stop_server
if [ -n "${SL_DEMO_KEEP:-}" ]; then
  echo "保留 kept: $D (report files dispatch-2025-07.xlsx and .html are there)"
  echo "浏览器 in a browser: $S web --data $D/gongyuan  (http://127.0.0.1:8620/),"
  echo "  $B/shuanglian-server web --data $D/server  (http://127.0.0.1:8621/; first: web passwd NAME)"
else
  echo "用 SL_DEMO_KEEP=1 scripts/demo.sh 运行可保留存储和报表文件，在浏览器里打开 SL_DEMO_KEEP=1 scripts/demo.sh keeps the stores and report files, to open them in a browser"
fi
say "完成 done：服务器日志共 $(wc -l < "$D/server.log") 行 server log was $(wc -l < "$D/server.log") lines；全部运行在 127.0.0.1:$PORT everything ran on 127.0.0.1:$PORT"
