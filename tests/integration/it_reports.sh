#!/usr/bin/env bash
# it_reports: the district's figures (shared/FIGURES.md) on the fixture
# district of report_fixture.sh, against values computed by hand (each one
# explained below), in every form, locally (shuanglian-server report) and
# remotely (shuanglian-admin report: the same bytes); a frozen month that
# does not move when a record arrives late, and --live beside it; an empty
# month whose rates are null / "—"; the XLSX read back with openpyxl and the
# HTML page opened in headless Chromium (no console error, a screenshot).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/report_fixture.sh"
ADMIN=$SL_BIN/shuanglian-admin
HERE=$(cd "$(dirname "$0")" && pwd)
# Debian's python3 has python3-openpyxl and python3-selenium (scripts/setup.sh);
# a python3 earlier on PATH (pyenv …) may not.
DEBPY=/usr/bin/python3
[ -x "$DEBPY" ] || DEBPY=python3
server_init
fx_reference
server_start
fx_sites
fx_records

R() { "$SERVER" report "$@" --data "$T/srv"; }
A() { "$ADMIN" report "$@" --cred "$T/srv/admin.cred"; }
# json_check FILE PYTHON…: runs the python lines with `d` = the parsed file.
json_check() {
  local f=$1; shift
  python3 - "$f" "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
ok = True
for expr in sys.argv[2:]:
    try:
        good = eval(expr, {"d": d, "json": json})
    except Exception as e:
        good = False
        print("  error in %s: %r" % (expr, e))
    if not good:
        print("  not true: %s" % expr)
        ok = False
sys.exit(0 if ok else 1)
PY
}

R dispatch --month 2025-03 --json >"$T/d03.json" || fail "dispatch 2025-03 --json"
# Hand-computed, year to date 2025-01-01..2025-03-31, as of 2025-03-31:
#  matters done: s1 #6 u1 (03-05), s1 #7 u2 (planned, in progress, done 03-10), s1 #10 (u1
#    corrected to u3), s2 #2 u3 (03-20); s3 #2 is April: 4 matters, units u1 u2 u3.
#  lectures by the secretary in force: u1 by m1 (secretary since 2024-01-01; m2 only from
#    06-01), u3 by m4; u2's by m5 is not its secretary's (m3): 2 units.
#  micro-wishes fulfilled: u2 (s1), u3 (s2): 2.  party day: u3.  enterprise problem: u3.
#  五个一 (2025 targets: service_matter 1 by a target entry, the others 1 by default): u3 has
#    all five; u1 has matter and lecture (2 of 5), u2 matter and wish (2 of 5): 1 complete,
#    rate (2 + 2 + 5) / 15 = 0.6.
#  probes: courier 刘快递, delivery rider " 刘快递 " (the same name, trimmed), courier 陈外卖:
#    2 people, 3 reports; new_employment 3 + 2 = 5.
#  loop: closed by 03-31: s1 路灯 (m1, closed 03-04), s1 井盖 (reopened, last closed 03-20
#    with m3), s2 垃圾 (m4): 3 members, 3 solved; the rejected report does not count.
#  home visits: 03-03 counts; the 03-04 one is void; the 04-02 one is after March: 1.
#  talents dated up to 03-31: 2024-11-01 and 2025-02-01: 2.  trainings of talents: 1, 25
#    attendees (the worker training does not count).  talent services 2, solved 1.
#  communities (30 m² per 100 households): 公园 1200 -> 360 vs 300 (gap 60); 渊明 800 -> 240
#    vs 260 (meets); 泉塘 1005 -> 301.5 vs 250 (gap 51.5 -> 52).  area 810, standard
#    360 + 240 + 301.5 = 901.5 -> 902, gap 60 + 52 = 112, 1 meeting.
#  workers 10 + 8 + 6 = 24; ladder 5 + 2 + 4 + 1 + 3 + 0 = 15; flat 9; wages 2500..3200.
#  certificate departments: 某局 and "某局 " (one), 另一局: 2.  duty items: 3.
#  reminders (first half, up to 03-31): u1's inspection of 03-20 found tasks not met.
check "dispatch 2025-03: every figure as computed by hand" json_check "$T/d03.json" \
  'd["units_total"] == 3' 'd["units_with_matters"] == 3' 'd["matters_done"] == 4' \
  'd["units_secretary_lecture"] == 2' 'd["units_micro_wish"] == 2' \
  'd["units_party_day"] == 1' 'd["units_enterprise_problem"] == 1' \
  'd["units_five_complete"] == 1' 'd["five_completion_rate"] == 9 / 15' \
  'd["probe_reporters"] == 2' 'd["probe_reports"] == 3' 'd["probe_volunteer_times"] == 5' \
  'd["loop_members"] == 3' 'd["loop_solved"] == 3' 'd["home_visits"] == 1' \
  'd["talents"] == 2' 'd["trainings"] == 1' 'd["trainees"] == 25' \
  'd["talent_services"] == 2' 'd["talent_solved"] == 1' \
  'd["center_area_m2"] == 810' 'd["center_standard_m2"] == 902' 'd["center_gap_m2"] == 112' \
  'd["communities_meeting_standard"] == 1' \
  'd["communities_meeting_standard_names"] == ["渊明社区"]' \
  'd["community_gaps"] == [{"community": "公园社区", "gap_m2": 60}, {"community": "泉塘社区", "gap_m2": 52}]' \
  'd["workers"] == 24' 'd["workers_ladder"] == 15' 'd["workers_flat"] == 9' \
  'd["flat_wage_min"] == 2500' 'd["flat_wage_max"] == 3200' \
  'd["certificate_units"] == 2' 'd["duty_items"] == 3' \
  '[r["unit"] for r in d["reminder_units"]] == ["u1"]' \
  '"民生实事未推进" in d["reminder_units"][0]["reasons"][0]' \
  'len(d["sentences"]) == 8' \
  '"全区3个单位帮助社区完成民生实事共4件，已有2个单位党组织书记进社区讲一堂党课，有2个单位为社区困难群众完成1次微心愿" in d["sentences"][0]' \
  '"2名外卖员、快递员等新就业群体" in d["sentences"][1] and "上报反馈问题3件，参与志愿活动5次" in d["sentences"][1]' \
  '"全县3名党员闭环办理惠民事项，累计为居民解决问题和困难3个，上门服务1次" in d["sentences"][2]' \
  '"集聚2名左右实用型人才，先后举办各类培训班1期，培训20余人次，为群众提供技术服务2次，解决群众问题1个" in d["sentences"][3]' \
  '"现有办公场所面积810平方米，距离达标面积902平方米，相差112平方米" in d["sentences"][7]' \
  '"公园社区相差60平方米，泉塘社区相差52平方米" in d["sentences"][7]' \
  '"对违规要求社区出具证明的2家单位" in d["sentences"][5] and "权责清单3项" in d["sentences"][5]' \
  '"共24名，仅12名社区两委干部、3名公开招聘" in d["sentences"][6] and "其余9名" in d["sentences"][6] and "2500-3200元" in d["sentences"][6]' \
  'set(d) == {"sentences", "units_total", "units_with_matters", "matters_done", "units_secretary_lecture", "units_micro_wish", "units_party_day", "units_enterprise_problem", "units_five_complete", "five_completion_rate", "probe_reporters", "probe_reports", "probe_volunteer_times", "loop_members", "loop_solved", "home_visits", "talents", "trainings", "trainees", "talent_services", "talent_solved", "center_area_m2", "center_standard_m2", "center_gap_m2", "communities_meeting_standard", "communities_meeting_standard_names", "community_gaps", "workers", "workers_ladder", "workers_flat", "flat_wage_min", "flat_wage_max", "certificate_units", "duty_items", "reminder_units"}'

R dispatch --month 2025-03 >"$T/d03.txt" || fail "dispatch 2025-03 (text)"
check "dispatch text: the report's paragraphs, every slot filled" \
  grep -q "截至2025年3月31日，全区3个单位帮助社区完成民生实事共4件" "$T/d03.txt"
check "dispatch text: no x left in the paragraphs" bash -c "! grep -E '[0-9x]x|x[个名件次]' '$T/d03.txt'"
check "dispatch text: CJK columns line up (two spaces before every column, by display width)" \
  python3 - "$T/d03.txt" <<'PY'
import sys, unicodedata
def cols(line):                  # the character at each terminal column
    out = []
    for ch in line:
        out += [ch] * (2 if unicodedata.east_asian_width(ch) in "WF" else 1)
    return out
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
tables = bad = 0
for i, rule in enumerate(lines):
    if not rule.startswith("---") or set(rule) - {"-", " "}:
        continue
    tables += 1
    starts = [k for k in range(1, len(rule)) if rule[k] == "-" and rule[k - 1] == " "]
    j = i - 1
    rows = [lines[i - 1]]
    j = i + 1
    while j < len(lines) and lines[j].strip():
        rows.append(lines[j]); j += 1
    for row in rows:
        c = cols(row)
        for s in starts:
            if s < len(c) and not (c[s - 1] == " " and c[s - 2] == " "):
                bad += 1
sys.exit(0 if tables >= 6 and bad == 0 else 1)
PY

# June: the mid-year check adds units below half of a task (required 1: none done).
R dispatch --month 2025-06 --json >"$T/d06.json" || fail "dispatch 2025-06"
# u1 (matters #6 and s3's April one; lecture by m1): party day, wish, enterprise problem
# missing, and its inspection; u2: party day, lecture (m5 is not its secretary),
# enterprise problem; u3 has all five.
check "dispatch 2025-06: reminders with the mid-year shortfalls" json_check "$T/d06.json" \
  '[r["unit"] for r in d["reminder_units"]] == ["u1", "u2"]' \
  'len(d["reminder_units"][0]["reasons"]) == 4' 'len(d["reminder_units"][1]["reasons"]) == 3' \
  'd["matters_done"] == 5' 'd["home_visits"] == 2'

# The empty month: nothing dated in January; reference figures stand.
R dispatch --month 2025-01 --json >"$T/d01.json" || fail "dispatch 2025-01"
check "dispatch 2025-01 (no records): zeros, reference figures kept" json_check "$T/d01.json" \
  'd["matters_done"] == 0' 'd["units_with_matters"] == 0' 'd["loop_solved"] == 0' \
  'd["probe_reporters"] == 0' 'd["talents"] == 1' 'd["five_completion_rate"] == 0' \
  'd["center_area_m2"] == 810' 'd["reminder_units"] == []'
R loop --from 2025-01-01 --to 2025-01-31 --json >"$T/l01.json" || fail "loop 2025-01"
check "loop over an empty range: every rate and median is null" json_check "$T/l01.json" \
  'd["items"] == 0' 'd["ratings"] == 0' \
  'all(d[k] is None for k in ["response_rate", "on_time_rate", "resolution_rate", "satisfaction_rate", "dissatisfaction_rate", "rating_rate", "reopen_rate", "median_days_to_accept", "median_days_to_close"])'
R loop --from 2025-01-01 --to 2025-01-31 >"$T/l01.txt"
check "loop over an empty range: rates shown as —, never 0 % or 100 %" bash -c \
  "grep -q 'response_rate *—' '$T/l01.txt' && ! grep -q '0.0%\|100.0%' '$T/l01.txt'"

# The closed loop in March: 4 reports (路灯 s1, 井盖 s1, 噪音 s1 rejected, 垃圾 s2).
#  response: accepted within 1 day of its date: 路灯 0 d, 垃圾 0 d; 井盖 2 d: 2 of 4 - 1.
#  on time: closed within 7 days: 路灯 3 d, 垃圾 3 d; 井盖 last closed 03-20, 18 d: 2 of 3.
#  resolution 3 of 3.  ratings (latest per item): 5, 1 (井盖 was rated 3 then reopened and
#  rated 1: the latest counts), 4: satisfied 2 of 3, dissatisfied 1 of 3, rated after the
#  last closure 3 of 3.  reopened 1 of 3 ever closed.  days to accept 0, 0, 2: median 0;
#  to close 3, 3, 18: median 3.
R loop --from 2025-03-01 --to 2025-03-31 --json >"$T/l03.json" || fail "loop 2025-03"
check "loop 2025-03: every figure as computed by hand" json_check "$T/l03.json" \
  'd["items"] == 4' 'd["rejected"] == 1' 'd["response_rate"] == 2 / 3' \
  'd["on_time_rate"] == 2 / 3' 'd["resolution_rate"] == 1' 'd["ratings"] == 3' \
  'd["satisfaction_rate"] == 2 / 3' 'd["dissatisfaction_rate"] == 1 / 3' \
  'd["rating_rate"] == 1' 'd["reopen_rate"] == 1 / 3' \
  'd["median_days_to_accept"] == 0' 'd["median_days_to_close"] == 3'
# By unit, as of the range's end: 路灯 member m1 -> u1; 井盖 u2 (m3); 垃圾 m4 -> u3; 噪音 none.
R loop --from 2025-03-01 --to 2025-03-31 --by unit --json >"$T/lu.json" || fail "loop --by unit"
check "loop --by unit: rows per responsible unit, 未交办 last, the total" json_check "$T/lu.json" \
  '[r["unit"] for r in d["rows"]] == ["u1", "u2", "u3", "未交办 unassigned"]' \
  '[r["items"] for r in d["rows"]] == [1, 1, 1, 1]' \
  'd["rows"][1]["median_days_to_close"] == 18 and d["rows"][1]["reopen_rate"] == 1' \
  'd["rows"][3]["response_rate"] is None' 'd["total"]["items"] == 4'
# Half a day: to-close medians of two items (3 and 18 days) in 2025-03 by month of s1 only.
R loop --from 2025-03-01 --to 2025-03-05 --json >"$T/l05.json" || fail "loop to 03-05"
# As of 03-05: 路灯 closed (3 d); 井盖 closed 03-06 is after: handled; 垃圾 not yet reported.
# The 井盖 rating of 03-07 is after 03-05 too.  items 2 (路灯, 井盖), accepted 0 and 2 days:
# median 1; closed 1; ratings 1 (5 stars).
check "loop as of 03-05: states and ratings as they stood then" json_check "$T/l05.json" \
  'd["items"] == 2' 'd["resolution_rate"] == 1 / 2' 'd["ratings"] == 1' \
  'd["median_days_to_accept"] == 1' 'd["satisfaction_rate"] == 1'
R loop --from 2025-03-01 --to 2025-03-04 --json >"$T/l04.json" || fail "loop to 03-04"
# As of 03-04: 路灯 closed 03-04 (3 d), 井盖 accepted 03-04 (2 d): medians 1 and 3.
check "loop as of 03-04: a median of two values (1, the mean of 0 and 2)" json_check "$T/l04.json" \
  'd["median_days_to_accept"] == 1' 'd["median_days_to_close"] == 3' 'd["reopen_rate"] == 0'

# Points 2025: 路灯 5 stars (responsible member m1, unit u1 through m1): 1 point to each;
# 井盖 latest rating 1 star (u2, m3): a yellow card to each; 垃圾 4 stars: nothing.
R points --year 2025 --json >"$T/p.json" || fail "points"
check "points 2025: points and cards, line by line" json_check "$T/p.json" \
  '[(u["unit"], u["points"], u["yellow_cards"]) for u in d["units"]] == [("u1", 1, 0), ("u2", 0, 1), ("u3", 0, 0)]' \
  '[(m["member"], m["points"], m["yellow_cards"]) for m in d["members"]] == [("m1", 1, 0), ("m3", 0, 1)]' \
  '[(l["title"], l["stars"], l["rating_on"], l["yellow_card"]) for l in d["lines"]] == [("路灯坏了", 5, "2025-03-05", False), ("井盖松动", 1, "2025-03-21", True)]'

# 五个一 2025 (as of 2025-12-31): u1 gains s3's April matter (2).
R five --year 2025 --json >"$T/f.json" || fail "five"
check "five 2025: unit × task, complete, rate; the non-secretary lecture shown, not counted" \
  json_check "$T/f.json" \
  '[u["service_matter_done"] for u in d["units"]] == [2, 1, 2]' \
  '[u["party_lecture_done"] for u in d["units"]] == [1, 0, 1]' \
  '[u["lectures_not_secretary"] for u in d["units"]] == [0, 1, 0]' \
  '[u["complete"] for u in d["units"]] == [False, False, True]' \
  'd["units"][2]["completion_rate"] == 1' 'd["total"]["completion_rate"] == 9 / 15' \
  'd["total"]["service_matter_done"] == 5'

# Volunteers 2025: 义诊 (team t1: unit u3, brand br1) 12 people, 3 new employment, 24 h;
# 普法宣传 (brand br2, unit u2) 8, 2, 16 h; both at s2 (渊明社区).
R volunteers --year 2025 --json >"$T/v.json" || fail "volunteers"
check "volunteers 2025: by unit, team, brand, community" json_check "$T/v.json" \
  '[(r["unit"], r["hours"]) for r in d["by_unit"]] == [("u2", 16), ("u3", 24)]' \
  '[(r["brand"], r["participants"]) for r in d["by_brand"]] == [("br1", 12), ("br2", 8)]' \
  'd["by_community"] == [{"community": "c2", "community_name": "渊明社区", "activities": 2, "participants": 20, "new_employment": 5, "hours": 40}]' \
  'd["total"]["hours"] == 40'

R talent --year 2025 --json >"$T/t.json" || fail "talent"
check "talent 2025 per community" json_check "$T/t.json" \
  '[(r["community"], r["talents"], r["talents_new"], r["trainings"], r["trainees"], r["worker_trainings"], r["worker_trainees"], r["services"], r["solved"]) for r in d["communities"]] == [("c2", 2, 1, 1, 25, 1, 10, 2, 1)]'

# Facilities; members here now: 公园 m1, m2, m3 (m4 moved to 渊明): 3, over its cap of 2.
R facilities --json >"$T/fa.json" || fail "facilities"
check "facilities: standard, gap, members here (a member who moved counts where he is)" \
  json_check "$T/fa.json" \
  '[(r["community"], r["standard_m2"], r["gap_m2"], r["meets_standard"], r["members_here"], r["over_cap"]) for r in d["communities"]] == [("c1", 360, 60, False, 3, True), ("c2", 240, 0, True, 1, False), ("c3", 301.5, 52, False, 0, False)]' \
  'd["total"]["gap_m2"] == 112 and d["total"]["standard_m2"] == 902'

# Supervision 2025 H1: as dispatch 2025-06's reminders, with the evidence; u3 not inspected.
R supervision --half 2025-1 --json >"$T/s.json" || fail "supervision"
check "supervision 2025-1: candidates with the evidence, units not inspected" \
  json_check "$T/s.json" \
  '[c["unit"] for c in d["candidates"]] == ["u1", "u2"]' \
  '[(i["unit"], i["tasks_met"]) for i in d["inspections"]] == [("u1", False), ("u2", True)]' \
  'd["not_inspected"] == [{"unit": "u3", "unit_name": "卫健委"}]'

# Records: filters by community, status, unit, text, dates; voided and corrected shown.
R records problem_report --community c1 --status closed --json >"$T/r1.json" || fail "records 1"
R records service_matter --unit u3 --json >"$T/r2.json" || fail "records 2"
R records home_visit --text 重复 --json >"$T/r3.json" || fail "records 3"
R records party_lecture --from 2025-03-16 --to 2025-03-31 --json >"$T/r4.json" || fail "records 4"
R records problem_report --limit 1 --offset 1 --json >"$T/r5.json" || fail "records 5"
check "records: by community and status" json_check "$T/r1.json" \
  '[r["summary"] for r in d["records"]] == ["路灯坏了", "井盖松动"]' 'd["page"]["matched"] == 2'
check "records: by unit (a corrected unit is the corrected one)" json_check "$T/r2.json" \
  '[(r["title"], r["corrected"]) for r in d["records"]] == [("楼道整治", True), ("购买运动器材", False)]'
check "records: by text, a voided record shown as void" json_check "$T/r3.json" \
  '[(r["purpose"], r["voided"]) for r in d["records"]] == [("重复录入", True)]'
check "records: by date, the lecture not by the secretary marked" json_check "$T/r4.json" \
  '[(r["title"], r["by_secretary"]) for r in d["records"]] == [("法治讲座", False), ("健康中国", True)]'
check "records: pages" json_check "$T/r5.json" \
  'd["page"]["matched"] == 4 and d["page"]["shown"] == 1 and d["page"]["next"] == "--offset 2"'
R records rating >/dev/null 2>"$T/r6.err"
rc=$?
check "records of a type that is not an item: refused (exit 3), saying why" \
  bash -c "[ $rc -eq 3 ] && grep -q '随其事项显示' '$T/r6.err'"

# Forms: CSV with a BOM; remote (shuanglian-admin) prints the same bytes as local.
R dispatch --month 2025-03 --csv >"$T/d03.csv"
check "CSV starts with the UTF-8 BOM, then the title" bash -c \
  "head -c 3 '$T/d03.csv' | od -An -tx1 | grep -q 'ef bb bf' && grep -q '^matters_done\|,matters_done,4' '$T/d03.csv'"
same_remote() {
  local args=("$@")
  R "${args[@]}" >"$T/local.out" 2>&1; local a=$?
  A "${args[@]}" >"$T/remote.out" 2>&1; local b=$?
  [ $a -eq $b ] && cmp -s "$T/local.out" "$T/remote.out"
}
for form in "" --csv --json; do
  for r in "dispatch --month 2025-03" "five --year 2025" "loop --from 2025-03-01 --to 2025-03-31 --by community" \
           "points --year 2025" "volunteers --year 2025" "talent --year 2025" "facilities" \
           "supervision --half 2025-1" "records problem_report --status closed"; do
    # shellcheck disable=SC2086
    soft_check "remote = local: $r ${form:-(table)}" same_remote $r $form
  done
done
R dispatch --month 2025-13 >/dev/null 2>"$T/ref.local"; a=$?
A dispatch --month 2025-13 >/dev/null 2>"$T/ref.remote"; b=$?
check "a refusal is the same remotely too (exit 3, the same sentence)" bash -c \
  "[ $a -eq 3 ] && [ $b -eq 3 ] && grep -q '需要 --month YYYY-MM' '$T/ref.local' && grep -q '需要 --month YYYY-MM' '$T/ref.remote'"

# Freeze March; the current month cannot be frozen yet.
now_month=$(date +%Y-%m)
R dispatch --month "$now_month" --freeze >/dev/null 2>"$T/fz.err"
rc=$?
check "the current month cannot be frozen before its last day has passed" bash -c \
  "[ $rc -eq 3 ] && grep -q '月底之后才能冻结' '$T/fz.err'"
A dispatch --month 2025-03 --freeze --json >"$T/fz.json" || fail "freeze 2025-03"
check "freezing prints the month's figures" json_check "$T/fz.json" 'd["matters_done"] == 4'
R dispatch --month 2025-03 >"$T/fz1.txt"
R dispatch --month 2025-03 --json >"$T/fz1.json"
R dispatch --month 2025-03 --csv >"$T/fz1.csv"
# A record arrives late: a matter of u2 done on 2025-03-28, entered and synced now; and a
# correction that would move the April matter into March.
fx_add s3 service_matter unit=u2 title=迟到的实事 status=done on=2025-03-28
late_seq=$SEQ
site sync --data "$T/s3" --quiet >/dev/null 2>&1 || fail "sync of the late record"
R dispatch --month 2025-03 >"$T/fz2.txt"
R dispatch --month 2025-03 --json >"$T/fz2.json"
R dispatch --month 2025-03 --csv >"$T/fz2.csv"
check "a frozen month prints the same bytes after a late record (text)" cmp -s "$T/fz1.txt" "$T/fz2.txt"
check "… (JSON)" cmp -s "$T/fz1.json" "$T/fz2.json"
check "… (CSV)" cmp -s "$T/fz1.csv" "$T/fz2.csv"
check "a frozen month says when and up to what it was cut" grep -q "收到截止" "$T/fz2.txt"
A dispatch --month 2025-03 --live --json >"$T/live.json" || fail "--live"
check "--live --json: {frozen, live, late}; the late record changes L only" json_check "$T/live.json" \
  'set(d) == {"frozen", "live", "late"}' 'd["frozen"]["matters_done"] == 4' \
  'd["live"]["matters_done"] == 5' 'd["frozen"] == json.load(open("'"$T"'/fz1.json"))' \
  "[(l['site'], l['seq'], l['type']) for l in d['late']] == [('s3', $late_seq, 'service_matter')]" \
  'd["live"]["sentences"][0] != d["frozen"]["sentences"][0]'
R dispatch --month 2025-04 --live >/dev/null 2>&1
check "--live on a month never frozen is refused (it is live anyway)" test $? -eq 3
R dispatch --month 2025-04 --json >"$T/d04.json"
check "a month never frozen is live: the late record counts in April's year to date" \
  json_check "$T/d04.json" 'd["matters_done"] == 6'

# XLSX read back with openpyxl; HTML opened in headless Chromium.
A dispatch --month 2025-03 --xlsx "$T/d03.xlsx" >/dev/null || fail "xlsx (remote)"
R loop --from 2025-03-01 --to 2025-03-31 --by unit --xlsx "$T/loop.xlsx" >/dev/null || fail "xlsx loop"
check "XLSX: one sheet per table, Chinese headings, numbers as numbers, dates as dates" \
  "$DEBPY" "$HERE/../tools/check_xlsx.py" "$T/d03.xlsx" "$T/loop.xlsx"
A dispatch --month 2025-06 --html "$T/d06.html" >/dev/null || fail "html (remote)"
R loop --from 2025-03-01 --to 2025-03-31 --html "$T/loop.html" >/dev/null || fail "html loop"
R five --year 2025 --html "$T/five.html" >/dev/null || fail "html five"
check "HTML: self-contained (no external reference), charts inline" bash -c \
  "! grep -Eiq '(src|href)=\"(https?:)?//|<script|@import|url\\(' '$T/d06.html' '$T/loop.html' '$T/five.html' && grep -q '<svg' '$T/five.html' && grep -q '<polyline' '$T/d06.html'"
# The screenshots stay after the test: $SL_SCREENSHOTS, else beside the build.
SHOTS=${SL_SCREENSHOTS:-$SL_BIN/report-screenshots}
mkdir -p "$SHOTS"
check "HTML opens in headless Chromium with no console error; screenshots saved in $SHOTS" \
  "$DEBPY" "$HERE/../tools/check_html.py" "$SHOTS" "$T/d06.html" "$T/loop.html" "$T/five.html"

# Damaged data read back: a clear error naming what is damaged, never a crash.
sqlite3 "$T/srv/central.db" "UPDATE report_frozen SET cells = x'93a174c0' WHERE month = '2025-03'" \
  || fail "damage the frozen month"
R dispatch --month 2025-03 >/dev/null 2>"$T/dmg1.err"
rc=$?
check "a damaged frozen month: a clear error (exit 1), no crash" bash -c \
  "[ $rc -eq 1 ] && grep -q '冻结数已损坏' '$T/dmg1.err'"
sqlite3 "$T/srv/central.db" "UPDATE items SET state = x'8a01c1' WHERE status = 'closed' AND state IS NOT NULL" \
  || fail "damage item states"
R loop --from 2025-03-01 --to 2025-03-31 >/dev/null 2>"$T/dmg2.err"
rc=$?
check "a damaged item state: a clear error naming the site and the item (exit 1)" bash -c \
  "[ $rc -eq 1 ] && grep -q '状态已损坏' '$T/dmg2.err' && grep -q 's1' '$T/dmg2.err'"
A loop --from 2025-03-01 --to 2025-03-31 >/dev/null 2>"$T/dmg3.err"
rc=$?
check "… and the running server answers the same refusal, and keeps serving" bash -c \
  "[ $rc -ne 0 ] && grep -q '状态已损坏' '$T/dmg3.err'"
A facilities --json >"$T/after.json" || fail "the server stopped serving after a damaged report"
check "the server still answers other reports" json_check "$T/after.json" 'd["total"]["gap_m2"] == 112'
