#!/usr/bin/python3
"""test_site_web.py URL SITE_DB SHOTS: the community's pages in headless Chromium.

Enters a record of every type through its form and sees each listed and
stored in site.db; an invalid field shows the entry module's message beside
the field and stores nothing; a GBK CSV with one bad row shows that row's
error and stores nothing, a good one is imported; a record's page moves an
item along its lifecycle; "立即同步" syncs with the running server; no page
logs a console error; screenshots of each page go to SHOTS."""
import os
import urllib.parse
import sqlite3
import sys
import tempfile

from selenium.webdriver.common.by import By

import sl_browser as b

URL, DB, SHOTS = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(SHOTS, exist_ok=True)


def events():
    con = sqlite3.connect("file:%s?mode=ro" % DB, uri=True, timeout=30)
    rows = dict(con.execute("SELECT seq, type FROM events").fetchall())
    con.close()
    return rows


# One valid record per type, in an order that lets later ones name earlier
# ones ("#problem_report" becomes "#SEQ" of the record saved for that type).
RECORDS = [
    ("member_checkin", {"f_member": "m1", "f_batch": "第一批"}),
    ("service_matter", {"f_unit": "u1", "f_title": "加装楼道扶手", "f_status": "done",
                        "f_beneficiaries": "30"}),
    ("party_day", {"f_unit": "u1", "f_theme": "主题党日：共建花园", "f_participants": "20"}),
    ("party_lecture", {"f_unit": "u1", "f_speaker": "m1", "f_title": "党课：基层治理",
                       "f_audience": "40"}),
    ("micro_wish", {"f_resident": "王奶奶", "f_wish": "一台助听器", "f_status": "posted"}),
    ("enterprise_problem", {"f_enterprise": "便民超市", "f_problem": "用电增容", "f_unit": "u1",
                            "f_status": "reported"}),
    ("problem_report", {"f_reporter_kind": "courier", "f_reporter": "李师傅",
                        "f_category": "facilities", "f_summary": "3号楼路灯不亮",
                        "f_location": "3号楼"}),
    ("update", {"f_item": "#problem_report", "f_status": "accepted", "f_note": "已受理"}),
    ("home_visit", {"f_member": "m1", "f_unit": "u1", "f_household": "5号楼302",
                    "f_purpose": "慰问独居老人"}),
    ("rating", {"f_item": "#service_matter", "f_stars": "5", "f_comment": "很满意"}),
    ("volunteer_activity", {"f_team": "t1", "f_brand": "b1", "f_unit": "u1", "f_title": "义诊",
                            "f_participants": "12", "f_new_employment": "3", "f_hours": "24"}),
    ("talent", {"f_name": "张师傅", "f_skills": "水电维修"}),
    ("training", {"f_kind": "talent", "f_title": "家政培训班", "f_attendees": "25"}),
    ("talent_service", {"f_talent": "#talent", "f_need": "修水管", "f_solved": "yes"}),
    ("certificate_demand", {"f_department": "某局", "f_certificate": "居住证明",
                            "f_banned": "bc1"}),
    ("inspection", {"f_unit": "u1", "f_inspector": "督查组", "f_tasks_met": "yes",
                    "f_action": "none", "f_finding": "按期完成"}),
    ("correction", {"f_item": "#party_day", "f_field": "theme", "f_value": "主题党日：共建小花园",
                    "f_reason": "笔误"}),
    ("member_checkout", {"f_member": "m1", "f_reason": "工作调动"}),
    ("void", {"f_item": "#micro_wish", "f_reason": "重复录入"}),
]

driver = b.start()
saved = {}
try:
    # ---- every type through its form --------------------------------------------
    for rtype, fields in RECORDS:
        driver.get(URL + "/entry?type=" + rtype)
        form = driver.find_element(By.CSS_SELECTOR, "form.entry")
        for name, value in fields.items():
            if value.startswith("#") and value[1:] in saved:
                value = "#%d" % saved[value[1:]]
            b.set_field(driver, form, name, value)
        if rtype == "service_matter":
            b.shot(driver, SHOTS, "site-entry-form")
        b.submit(driver, form.find_element(By.ID, "save"))
        flash = b.text_of(driver, "#flash")
        ok = "已保存" in flash and "#" in flash
        b.check("form saves a %s" % rtype, ok, flash or b.text_of(driver, "#form-error")
                + " " + " ".join(e.text for e in driver.find_elements(By.CSS_SELECTOR, ".msg")))
        if ok:
            saved[rtype] = int(flash.split("#")[1].split()[0].rstrip("。."))
        b.console_clean(driver, "entry " + rtype)
    stored = events()
    for rtype, seq in saved.items():
        b.check("%s #%d stored in site.db" % (rtype, seq), stored.get(seq) == rtype,
                "site.db has %r" % stored.get(seq))
    b.check("every one of the %d types saved" % len(RECORDS), len(saved) == len(RECORDS),
            "saved %s" % sorted(saved))

    driver.get(URL + "/entry")
    b.check("the entry page offers only types people enter (no command_result)",
            not driver.find_elements(By.CSS_SELECTOR, 'ul.types a[href$="=command_result"]')
            and bool(driver.find_elements(By.CSS_SELECTOR, 'ul.types a[href$="=problem_report"]')))

    # ---- listed -------------------------------------------------------------------
    driver.get(URL + "/records")
    for rtype, seq in saved.items():
        row = driver.find_elements(By.ID, "rec-%d" % seq)
        b.check("%s #%d listed" % (rtype, seq), bool(row))
    b.shot(driver, SHOTS, "site-records")
    b.console_clean(driver, "records")
    driver.get(URL + "/records?type=problem_report")
    b.check("type filter lists the problem report only",
            len(driver.find_elements(By.CSS_SELECTOR, "#records tbody tr")) == 1)

    # ---- invalid fields: the message beside the field, nothing stored --------------
    before = len(events())
    driver.get(URL + "/entry?type=problem_report")
    form = driver.find_element(By.CSS_SELECTOR, "form.entry")
    b.set_field(driver, form, "f_reporter_kind", "grid_worker")
    b.submit(driver, form.find_element(By.ID, "save"))
    msg = b.text_of(driver, "#field-summary .msg")
    b.check("an empty required field is refused beside it", "summary" in msg, msg)
    b.check("the refused form keeps what was typed",
            driver.find_element(By.ID, "f_reporter_kind").get_attribute("value") == "grid_worker")
    b.shot(driver, SHOTS, "site-entry-invalid")
    b.console_clean(driver, "entry refused")
    driver.get(URL + "/entry?type=party_day")
    form = driver.find_element(By.CSS_SELECTOR, "form.entry")
    b.set_field(driver, form, "f_unit", "u1")
    b.set_field(driver, form, "f_theme", "范围测试")
    b.set_field(driver, form, "f_participants", "-5")
    b.submit(driver, form.find_element(By.ID, "save"))
    msg = b.text_of(driver, "#field-participants .msg")
    b.check("an out-of-range number is refused beside its field", "participants" in msg, msg)
    b.check("nothing stored by the refused forms", len(events()) == before)

    # ---- CSV import in GBK, one bad row ---------------------------------------------
    tmp = tempfile.mkdtemp(prefix="sl-import-")
    bad = os.path.join(tmp, "问题上报-坏.csv")
    with open(bad, "wb") as f:
        f.write("上报人类别,问题描述,上报日期\r\n快递员,楼道堆放杂物,2025-03-01\r\n"
                "外卖员,路口积水,2025-13-01\r\n网格员,井盖缺失,2025-03-03\r\n".encode("gbk"))
    driver.get(URL + "/import")
    b.check("the import offers only types people enter (no command_result)",
            not driver.find_elements(By.CSS_SELECTOR, 'option[value="command_result"]')
            and bool(driver.find_elements(By.CSS_SELECTOR, 'option[value="problem_report"]')))
    form = driver.find_element(By.CSS_SELECTOR, "form.entry")
    b.set_field(driver, form, "type", "problem_report")
    form.find_element(By.ID, "file").send_keys(bad)
    b.submit(driver, form.find_element(By.ID, "preview"))
    err = b.text_of(driver, "#err-3")
    b.check("the GBK file's bad row shows its error (line 3)", "3" in err and "2025-13-01" in err
            or "on" in err, err or b.text_of(driver, "#import-error"))
    b.check("the good rows are shown, decoded", "楼道堆放杂物" in b.text_of(driver, "#line-2"))
    b.check("no import button while a row is wrong", not driver.find_elements(By.ID, "import"))
    b.shot(driver, SHOTS, "site-import-preview-error")
    b.console_clean(driver, "import preview")
    b.check("nothing stored by the bad file", len(events()) == before)
    good = os.path.join(tmp, "问题上报.csv")
    with open(good, "wb") as f:
        f.write("上报人类别,问题描述,上报日期\r\n快递员,楼道堆放杂物,2025-03-01\r\n"
                "网格员,井盖缺失,2025-03-03\r\n".encode("gbk"))
    driver.get(URL + "/import")
    form = driver.find_element(By.CSS_SELECTOR, "form.entry")
    b.set_field(driver, form, "type", "problem_report")
    form.find_element(By.ID, "file").send_keys(good)
    b.submit(driver, form.find_element(By.ID, "preview"))
    b.submit(driver, driver.find_element(By.ID, "import"))
    b.check("a good GBK file is imported", "已导入" in b.text_of(driver, "#flash"),
            b.text_of(driver, "#flash") or b.text_of(driver, "#import-error"))
    b.check("its two records are stored", len(events()) == before + 2)
    b.console_clean(driver, "import")

    # ---- the list's filters: text (searched inside SQLite), synced or waiting ----------
    def rows(query):
        driver.get(URL + "/records?" + query)
        return [r.get_attribute("id") for r in
                driver.find_elements(By.CSS_SELECTOR, "#records tbody tr")]
    found = rows("q=" + urllib.parse.quote("井盖"))
    b.check("a text search lists the one record holding it", found == ["rec-%d" % (before + 2)],
            str(found))
    b.check("a text search of nothing held lists none, and says so",
            rows("q=" + urllib.parse.quote("没有这段文字")) == []
            and bool(driver.find_elements(By.ID, "none")))
    b.check("before any sync every record is waiting",
            len(rows("sync=no")) == min(len(events()), 50) and rows("sync=yes") == [])

    # ---- a record's page: move the problem along -----------------------------------
    seq = saved.get("problem_report", 0)
    driver.get(URL + "/record?seq=%d" % seq)
    b.check("the record's state is shown", "已受理" in b.text_of(driver, "#state"),
            b.text_of(driver, "#state"))
    form = driver.find_element(By.ID, "act-update")
    b.set_field(driver, form, "f_status", "assigned")
    b.set_field(driver, form, "f_unit", "u1")
    b.submit(driver, form.find_element(By.CSS_SELECTOR, "button"))
    b.check("an update from the record's page is saved", "已保存" in b.text_of(driver, "#flash"),
            b.text_of(driver, "#flash") or b.text_of(driver, "#form-error"))
    b.check("the state moved to 已交办", "已交办" in b.text_of(driver, "#state"),
            b.text_of(driver, "#state"))
    b.shot(driver, SHOTS, "site-record")
    b.console_clean(driver, "record")

    # ---- sync status and sync now -------------------------------------------------------
    driver.get(URL + "/sync")
    b.check("the sync page says records are waiting", "待同步" in driver.page_source)
    b.submit(driver, driver.find_element(By.ID, "sync-now"))
    b.check("sync now reaches the server", b.wait_text(driver, "#sync-state", "一切正常", 90)
            or (driver.get(URL + "/sync") or "一切正常" in b.text_of(driver, "#sync-state")),
            b.text_of(driver, "#sync-state") + " / " + b.text_of(driver, "#sync-now-result"))
    b.check("nothing waits after the sync", b.text_of(driver, "#waiting").startswith("0"),
            b.text_of(driver, "#waiting"))
    b.shot(driver, SHOTS, "site-sync")
    b.console_clean(driver, "sync")
    b.check("after the sync none is waiting, every one is synced",
            rows("sync=no") == [] and len(rows("sync=yes")) == min(len(events()), 50))

    # ---- a phone's screen ----------------------------------------------------------------
    driver.set_window_size(390, 844)
    driver.get(URL + "/entry?type=problem_report")
    width = driver.execute_script("return document.documentElement.scrollWidth")
    b.check("the entry page fits a phone's width", width <= 400, "scrollWidth %s" % width)
    b.shot(driver, SHOTS, "site-entry-phone")
    b.console_clean(driver, "phone")
finally:
    driver.quit()
b.finish()
