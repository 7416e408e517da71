#!/usr/bin/env bash
# The whole system on loopback: a district server and two community sites.
# Records are entered while the server is down (sites work offline), then the
# server starts, reference data is published, both sites sync, and the
# central store's per-site and total counts are printed and verified.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release >/dev/null
B=$PWD/build
D=$(mktemp -d /tmp/shuanglian-demo.XXXXXX)
PORT=${SL_DEMO_PORT:-7450}
EP=tcp://127.0.0.1:$PORT
SERVER_PID=
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$D"; }
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*" | sed "s#$B/##g; s#$D/##g"; "$@"; }

say "1. 区服务器初始化 district server: store, CURVE keys, admin credential (not started yet)"
run "$B/shuanglian-server" init --data "$D/server" --endpoint "$EP"
say "2. 注册两个社区站点 enroll two community sites: bundles, then install them"
run "$B/shuanglian-server" site enroll --data "$D/server" --site qu01.gongyuan --community 公园社区 --out "$D/gongyuan.bundle"
run "$B/shuanglian-server" site enroll --data "$D/server" --site qu01.yuanming --community 渊明社区 --out "$D/yuanming.bundle"
run "$B/shuanglian-site" init --data "$D/gongyuan" --bundle "$D/gongyuan.bundle"
run "$B/shuanglian-site" init --data "$D/yuanming" --bundle "$D/yuanming.bundle"
rm -f "$D"/*.bundle

say "3. 离线录入 offline entry while the server is down"
run "$B/shuanglian-site" record add --data "$D/gongyuan" service_matter unit=区政协办 \
    title="xx小区电动车停车棚搭建" community=公园社区 done_on=2025-06-12 beneficiaries=320
id=$("$B/shuanglian-site" record list --data "$D/gongyuan" --tsv --limit 1 | cut -f5)
run "$B/shuanglian-site" record add --data "$D/gongyuan" rating item="$id" stars=5 comment="出行更方便了"
run "$B/shuanglian-site" record add --data "$D/gongyuan" problem_report reporter_kind=courier \
    summary="楼道堆放杂物，影响通行" location="领秀小区3栋" reported_on=2025-06-20
run "$B/shuanglian-site" record add --data "$D/yuanming" service_matter unit=区委办 \
    title="健身区新增长椅" community=渊明社区 done_on=2025-05-08 beneficiaries=150
printf 'unit,title,community,done_on,beneficiaries\n' > "$D/matters.csv"
for i in $(seq 1 200); do
  printf '卫健委,爱满杏林义诊 第%d场,渊明社区,2025-%02d-%02d,%d\n' "$i" $((i % 12 + 1)) $((i % 28 + 1)) $((i % 40 + 10))
done >> "$D/matters.csv"
run "$B/shuanglian-site" record import --data "$D/yuanming" service_matter "$D/matters.csv"
run "$B/shuanglian-site" record list --data "$D/gongyuan"
say "4. 服务器未启动时同步 sync while the server is down: nothing lost"
run "$B/shuanglian-site" sync --data "$D/gongyuan" --timeout 2 --quiet || true

say "5. 启动区服务器 start the district server (CurveZMQ), publish reference data as administrator"
"$B/shuanglian-server" run --data "$D/server" --bind "$EP" 2>"$D/server.log" &
SERVER_PID=$!
sleep 0.3
export SHUANGLIAN_ADMIN_CRED=$D/server/admin.cred
run "$B/shuanglian-admin" ref put community gongyuan name=公园社区 households=2800 center_area_m2=350
run "$B/shuanglian-admin" ref put unit U01 name=区委办 communities=gongyuan
run "$B/shuanglian-admin" ref put unit U02 name=区政协办
run "$B/shuanglian-admin" ref put 在职党员 M001 姓名=张三 所属单位=U01 特长=法律咨询
run "$B/shuanglian-admin" ref put member M002 name=李四 unit=U09 || true   # refused: no unit U09
printf 'year,task,required\n2026,民生实事,3\n2026,党课,1\n' > "$D/targets.csv"
run "$B/shuanglian-admin" ref import target "$D/targets.csv"
run "$B/shuanglian-admin" ref list unit

say "6. 同步 sync both sites (the first sync completes each enrollment)"
run "$B/shuanglian-site" sync --data "$D/gongyuan" --quiet
run "$B/shuanglian-site" sync --data "$D/yuanming" --quiet
run "$B/shuanglian-site" status --data "$D/gongyuan"
run "$B/shuanglian-site" ref list --data "$D/gongyuan"
run "$B/shuanglian-site" ref list 在职党员 --data "$D/gongyuan"

run "$B/shuanglian-admin" site list

say "7. 区级汇总 central store: per-site and total counts, chain verified"
run "$B/shuanglian-server" stats --data "$D/server"
run "$B/shuanglian-server" verify --data "$D/server"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
say "done: server log was $(wc -l < "$D/server.log") lines; everything ran on 127.0.0.1:$PORT"
