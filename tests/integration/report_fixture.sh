# report_fixture.sh: the fixture district of the report tests (sourced after
# lib.sh).  Three communities, three units, five members, three sites; every
# record below is entered at a site and synced, so the server holds exactly
# what a district would.  The figures it must give are computed by hand in
# it_reports.sh, next to each check.  The scenario has: reopened items (#8 at
# s1, rated twice: the latest rating counts), a voided record (a home visit),
# a corrected unit (a matter of u1 corrected to u3), a member who moved
# community (m4: s1 -> s2), a lecture not given by the unit's secretary (u2,
# by m5), a secretary who changed (u1: m1 then m2 from 2025-06-01), a month
# with no records (2025-01) and, in it_reports.sh, a record that arrives
# after March 2025 was frozen.
#
# fx_add SITE TYPE FIELD=VALUE…: enters one record; sets SEQ to its #seq.
fx_add() {
  local s=$1 out; shift
  out=$(site record add --data "$T/$s" "$@" 2>&1) || fail "record add at $s: $out"
  SEQ=$(printf '%s\n' "$out" | sed -n 's/.* #\([0-9]*\) id=.*/\1/p' | head -1)
  [ -n "$SEQ" ] || fail "no seq in: $out"
}
fx_ref() { "$SERVER" ref put "$@" --data "$T/srv" >/dev/null || fail "ref put $*"; }

fx_reference() {
  fx_ref community c1 name=公园社区 households=1200 center_area_m2=300 workers=10 \
    ladder_cadres=5 ladder_hired=2 flat_wage_min=2500 flat_wage_max=3000 member_cap=2
  fx_ref community c2 name=渊明社区 households=800 center_area_m2=260 workers=8 \
    ladder_cadres=4 ladder_hired=1 flat_wage_min=2800 flat_wage_max=3200 member_cap=10
  fx_ref community c3 name=泉塘社区 households=1005 center_area_m2=250 workers=6 ladder_cadres=3 \
    ladder_hired=0
  fx_ref unit u1 name=区委办
  fx_ref unit u2 name=司法局
  fx_ref unit u3 name=卫健委
  fx_ref member m1 name=张三 unit=u1
  fx_ref member m2 name=李四 unit=u1
  fx_ref member m3 name=王五 unit=u2
  fx_ref member m4 name=赵六 unit=u3
  fx_ref member m5 name=钱七 unit=u2
  # secretaries over time: the server keeps every version
  fx_ref unit u1 name=区委办 secretary=m1 secretary_since=2024-01-01
  fx_ref unit u2 name=司法局 secretary=m3 secretary_since=2025-01-01
  fx_ref unit u3 name=卫健委 secretary=m4 secretary_since=2025-01-01
  fx_ref unit u1 name=区委办 secretary=m2 secretary_since=2025-06-01
  fx_ref brand br1 name=百愿牵手
  fx_ref brand br2 name=法律明白人
  fx_ref team t1 name=爱满杏林志愿服务队 unit=u3 brand=br1
  fx_ref target 2025:service_matter required=1
  fx_ref duty_item d1 title=居民身份证明 kind=assist
  fx_ref duty_item d2 title=社区矫正 kind=duty
  fx_ref duty_item d3 title=低保初审 kind=duty
  fx_ref banned_certificate b1 title=无犯罪记录证明
}

fx_sites() {
  local s c
  for s in s1:c1 s2:c2 s3:c3; do
    c=${s#*:}; s=${s%%:*}
    "$SERVER" site enroll --data "$T/srv" --site "$s" --community "$c" --out "$T/$s.bundle" \
      >/dev/null || fail "enroll $s"
    site init --data "$T/$s" --bundle "$T/$s.bundle" >/dev/null || fail "site init $s"
    site sync --data "$T/$s" --quiet >/dev/null 2>&1 || fail "first sync of $s"
  done
}

fx_records() {
  # s1, 公园社区 (c1)
  fx_add s1 member_checkin member=m1 on=2025-01-05
  fx_add s1 member_checkin member=m2 on=2025-01-05
  fx_add s1 member_checkin member=m4 on=2025-01-10
  fx_add s1 member_checkout member=m4 on=2025-02-28 reason=调整到渊明社区
  fx_add s1 member_checkin member=m3 on=2025-03-01
  fx_add s1 service_matter unit=u1 title=健身区新增长椅 status=done on=2025-03-05
  fx_add s1 service_matter unit=u2 title=电动车充电桩 status=planned on=2025-02-10
  local sm=$SEQ
  fx_add s1 update item=#$sm status=in_progress on=2025-02-20
  fx_add s1 update item=#$sm status=done on=2025-03-10
  fx_add s1 service_matter unit=u1 title=楼道整治 status=done on=2025-03-12
  fx_add s1 correction item=#$SEQ field=unit value=u3 reason=录错单位
  fx_add s1 party_lecture unit=u1 speaker=m1 title=学习二十大精神 on=2025-03-15 audience=40
  fx_add s1 party_lecture unit=u2 speaker=m5 title=法治讲座 on=2025-03-16 audience=30
  fx_add s1 micro_wish resident=王奶奶 wish=一台轮椅 status=fulfilled unit=u2 on=2025-03-08
  fx_add s1 problem_report reporter_kind=courier reporter=刘快递 summary=路灯坏了 location=3号楼 on=2025-03-01
  local p=$SEQ
  fx_add s1 update item=#$p status=accepted on=2025-03-01
  fx_add s1 update item=#$p status=assigned member=m1 on=2025-03-02
  fx_add s1 update item=#$p status=handled on=2025-03-03
  fx_add s1 update item=#$p status=closed on=2025-03-04
  fx_add s1 rating item=#$p stars=5 on=2025-03-05
  fx_add s1 problem_report reporter_kind=delivery_rider "reporter= 刘快递 " summary=井盖松动 on=2025-03-02
  p=$SEQ
  fx_add s1 update item=#$p status=accepted on=2025-03-04
  fx_add s1 update item=#$p status=assigned unit=u2 on=2025-03-04
  fx_add s1 update item=#$p status=handled on=2025-03-05
  fx_add s1 update item=#$p status=closed on=2025-03-06
  fx_add s1 rating item=#$p stars=3 on=2025-03-07
  fx_add s1 update item=#$p status=reopened on=2025-03-08
  fx_add s1 update item=#$p status=assigned member=m3 on=2025-03-08
  fx_add s1 update item=#$p status=handled on=2025-03-19
  fx_add s1 update item=#$p status=closed on=2025-03-20
  fx_add s1 rating item=#$p stars=1 on=2025-03-21
  fx_add s1 problem_report reporter_kind=resident reporter=张大爷 summary=噪音扰民 on=2025-03-10
  fx_add s1 update item=#$SEQ status=rejected note=不属于社区职责 on=2025-03-11
  fx_add s1 home_visit member=m1 household=3栋101 purpose=送药 on=2025-03-03
  fx_add s1 home_visit member=m2 household=5栋202 purpose=走访 on=2025-04-02
  fx_add s1 home_visit member=m2 household=6栋303 purpose=重复录入 on=2025-03-04
  fx_add s1 void item=#$SEQ reason=重复录入
  # s2, 渊明社区 (c2)
  fx_add s2 member_checkin member=m4 on=2025-03-01
  fx_add s2 service_matter unit=u3 title=购买运动器材 status=done on=2025-03-20
  fx_add s2 party_day unit=u3 theme=党员进社区 on=2025-03-18 participants=20
  fx_add s2 enterprise_problem enterprise=某超市 problem=消防通道 unit=u3 status=solved on=2025-03-22
  fx_add s2 micro_wish resident=留守儿童小明 wish=书包 status=fulfilled unit=u3 on=2025-03-23
  fx_add s2 problem_report reporter_kind=courier reporter=陈外卖 summary=垃圾堆放 on=2025-03-25
  p=$SEQ
  fx_add s2 update item=#$p status=accepted on=2025-03-25
  fx_add s2 update item=#$p status=assigned member=m4 on=2025-03-26
  fx_add s2 update item=#$p status=handled on=2025-03-27
  fx_add s2 update item=#$p status=closed on=2025-03-28
  fx_add s2 rating item=#$p stars=4 on=2025-03-29
  fx_add s2 volunteer_activity team=t1 title=义诊 on=2025-03-15 participants=12 new_employment=3 hours=24
  fx_add s2 volunteer_activity brand=br2 unit=u2 title=普法宣传 on=2025-03-20 participants=8 new_employment=2 hours=16
  fx_add s2 talent name=李师傅 skills=水电维修 on=2024-11-01
  local tl=$SEQ
  fx_add s2 talent name=王师傅 skills=家电维修 on=2025-02-01
  fx_add s2 training kind=talent title=电工培训 on=2025-03-10 attendees=25
  fx_add s2 training kind=worker title=社工业务培训 on=2025-03-11 attendees=10
  fx_add s2 talent_service talent=#$tl need=修水管 on=2025-03-12 solved=yes
  fx_add s2 talent_service talent=#$tl need=修电视 on=2025-03-13 solved=no
  fx_add s2 certificate_demand department=某局 certificate=无犯罪证明 on=2025-03-05 banned=b1
  fx_add s2 certificate_demand "department=某局 " certificate=居住证明 on=2025-03-06
  fx_add s2 certificate_demand department=另一局 certificate=亲属关系证明 on=2025-02-01
  fx_add s2 inspection unit=u1 inspector=督查一组 on=2025-03-20 tasks_met=no action=reminder_interview finding=民生实事未推进
  fx_add s2 inspection unit=u2 inspector=督查二组 on=2025-03-21 tasks_met=yes action=none
  # s3, 泉塘社区 (c3)
  fx_add s3 party_lecture unit=u3 speaker=m4 title=健康中国 on=2025-03-25 audience=50
  fx_add s3 service_matter unit=u1 title=小区路面修补 status=done on=2025-04-10
  local s
  for s in s1 s2 s3; do
    site sync --data "$T/$s" --quiet >/dev/null 2>&1 || fail "sync of $s"
  done
}
