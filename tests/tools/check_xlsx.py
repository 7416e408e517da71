#!/usr/bin/env python3
"""check_xlsx.py DISPATCH.xlsx LOOP_BY_UNIT.xlsx: reads the workbooks that
`report … --xlsx` wrote back with openpyxl and checks their cells: one sheet
per table, Chinese headings, integers and rates as numbers (a rate shown as a
percentage; a rate with a zero denominator as "—"), dates as dates."""
import datetime
import sys

import openpyxl

fails = []


def check(ok, what):
    if not ok:
        fails.append(what)


wb = openpyxl.load_workbook(sys.argv[1])
names = wb.sheetnames
check(len(names) == 8, "dispatch: 8 sheets (one per table), got %r" % names)
check("调度数据 figures" in names, "dispatch: a sheet named by its Chinese title: %r" % names)
fig = wb["调度数据 figures"]
check([c.value for c in fig[1]] == ["指标 figure", "键 key", "值 value"],
      "figures: headings %r" % [c.value for c in fig[1]])
values = {row[1].value: row[2] for row in fig.iter_rows(min_row=2)}
check(values["matters_done"].value == 4 and values["matters_done"].data_type == "n",
      "matters_done is the number 4")
check(values["units_total"].value == 3, "units_total is 3")
rate = values["five_completion_rate"]
check(rate.data_type == "n" and abs(rate.value - 0.6) < 1e-12 and "%" in rate.number_format,
      "the completion rate is the number 0.6 shown as a percentage (%r %r)" %
      (rate.value, rate.number_format))
check(values["center_standard_m2"].value == 902, "center_standard_m2 is 902")
basis = wb["口径 basis"]
dates = {row[1].value: row[2] for row in basis.iter_rows(min_row=2)}
asof = dates["as_of"]
check(asof.is_date and asof.value.date() == datetime.date(2025, 3, 31),
      "as_of is the date 2025-03-31 (%r)" % asof.value)
gaps = wb["距离达标相差 gaps"]
check([[c.value for c in r] for r in gaps.iter_rows()] ==
      [["社区 community", "相差(平方米) gap m²"], ["公园社区", 60], ["泉塘社区", 52]],
      "gaps sheet: %r" % [[c.value for c in r] for r in gaps.iter_rows()])
prose = [s for s in names if s.startswith("报告段落")]
check(prose and "全区3个单位" in wb[prose[0]]["A2"].value, "the paragraphs sheet")

wb = openpyxl.load_workbook(sys.argv[2])
rows = wb[wb.sheetnames[0]]
head = [c.value for c in rows[1]]
check(head[0] == "单位代码 unit" and "响应率 response rate" in head, "loop headings %r" % head)
data = [[c.value for c in r] for r in rows.iter_rows(min_row=2)]
col = {h: i for i, h in enumerate(head)}
check([r[0] for r in data] == ["u1", "u2", "u3", "未交办 unassigned", None] or
      [r[0] for r in data][:4] == ["u1", "u2", "u3", "未交办 unassigned"],
      "loop rows %r" % [r[0] for r in data])
check(data[3][col["响应率 response rate"]] == "—", "a zero-denominator rate is — (%r)" %
      data[3][col["响应率 response rate"]])
check(data[1][col["办结天数中位数 median days to close"]] == 18, "u2's median days to close is 18")
check(data[4][col["事项 items"]] == 4 and data[4][1] == "合计 total", "the total row %r" % data[4])
check(abs(data[4][col["响应率 response rate"]] - 2 / 3) < 1e-12, "the total response rate 2/3")
for f in fails:
    print("FAIL:", f)
sys.exit(1 if fails else 0)
