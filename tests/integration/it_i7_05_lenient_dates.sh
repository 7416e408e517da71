#!/usr/bin/env bash
# Issue 7 item 5: everyday dates and numbers.  0.2.0 refused 2026/3/5 (what
# Excel on Chinese Windows writes), 2026-3-5, 2026年3月5日, full-width
# ２０２６－０３－０５ and beneficiaries=１２０.  Now each is taken, on the
# command line and in CSV cells, and stored as YYYY-MM-DD and a number; what
# would be a guess (3/5/2026, 26-3-5, 1,200) is still refused (exit 64).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/entry_lib.sh"
entry_world
entry_site qu01.a
D=$T/qu01.a
n=0
for d in 2025/3/5 2025-3-5 2025年3月5日 ２０２５－０３－０５ ２０２５／３／５ 2025.3.5; do
  n=$((n + 1))
  expect "the date $d is taken" 0 saved \
    site record add --data "$D" problem_report reporter_kind=courier "summary=第 $n 件" "reported_on=$d"
done
check "… each stored as 2025-03-05" [ "$(records qu01.a | grep -c '上报日期=2025-03-05$')" = 6 ]
expect "beneficiaries=１２０ is taken" 0 saved \
  site record add --data "$D" service_matter unit=u1 title=长椅 done_on=2025/3/5 beneficiaries=１２０
check "… stored as 120" grep -qF '受益人数=120' <(records qu01.a service_matter)
for d in 3/5/2025 25-3-5 2025-3/5 2025-02-30; do
  expect "the date $d is refused" 64 "must be a date" \
    site record add --data "$D" problem_report reporter_kind=courier summary=x "reported_on=$d"
done
expect "1,200 is refused" 64 "must be a whole number" \
  site record add --data "$D" service_matter unit=u1 title=路灯 done_on=2025-03-06 beneficiaries=1,200
printf '单位,事项,状态,日期,受益人数\n区委办,健身器材,已完成,2025/4/2,８６\n司法局,法律讲座,已完成,2025年4月3日,\n' >"$T/m.csv"
expect "a CSV of Excel's dates and full-width numbers imports" 0 "saved: 2" \
  site record import --data "$D" service_matter "$T/m.csv"
check "… stored canonical" grep -qF '单位=u1 事项=健身器材 状态=已完成 日期=2025-04-02 受益人数=86' <(records qu01.a service_matter)
