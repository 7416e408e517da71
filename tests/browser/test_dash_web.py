#!/usr/bin/python3
"""test_dash_web.py URL SHOTS: the district's dashboard in headless Chromium.

A wrong password is refused on the page; the right one logs in; the 五个一
matrix shows the numbers of the fixture (web_dash.sh) with each cell
coloured by status; the dispatch shows the year's figures and sentences; the
closed loop, points, records and sites pages open; the XLSX download reads
back with openpyxl and holds the same numbers; no console error anywhere;
screenshots to SHOTS."""
import glob
import os
import subprocess
import sys
import tempfile
import time

import openpyxl
from selenium.webdriver.common.by import By

import sl_browser as b

URL, SHOTS = sys.argv[1], sys.argv[2]
os.makedirs(SHOTS, exist_ok=True)
downloads = tempfile.mkdtemp(prefix="sl-downloads-")
driver = b.start(download_dir=downloads)


def cell(row, col):
    return b.text_of(driver, 'table.matrix tr[data-key="%s"] td[data-col="%s"]' % (row, col))


def cell_class(row, col):
    els = driver.find_elements(By.CSS_SELECTOR,
                               'table.matrix tr[data-key="%s"] td[data-col="%s"]' % (row, col))
    return els[0].get_attribute("class") if els else ""


try:
    # ---- login --------------------------------------------------------------------
    driver.get(URL + "/five")
    b.check("pages need a login", "/login" in driver.current_url, driver.current_url)
    form = driver.find_element(By.CSS_SELECTOR, "form.entry")
    b.set_field(driver, form, "name", "admin")
    b.set_field(driver, form, "password", "wrong password")
    b.submit(driver, form.find_element(By.ID, "login"))
    b.check("a wrong password is refused on the page", "不对" in b.text_of(driver, "#login-error"),
            b.text_of(driver, "#login-error"))
    b.shot(driver, SHOTS, "dash-login-refused")
    b.console_clean(driver, "login refused")
    form = driver.find_element(By.CSS_SELECTOR, "form.entry")
    b.set_field(driver, form, "name", "admin")
    b.set_field(driver, form, "password", "correct horse battery")
    b.submit(driver, form.find_element(By.ID, "login"))
    b.check("the right password logs in", driver.current_url.endswith("/sites"),
            driver.current_url)
    b.check("the site is listed with its health", "s1" in b.text_of(driver, "#sites"))
    b.shot(driver, SHOTS, "dash-sites")
    b.console_clean(driver, "sites")

    # ---- 五个一 ------------------------------------------------------------------------
    driver.get(URL + "/five?year=2025")
    want = {("u1", "service_matter_done"): "2", ("u1", "party_day_done"): "1",
            ("u1", "party_lecture_done"): "1", ("u1", "micro_wish_done"): "1",
            ("u1", "enterprise_problem_done"): "1", ("u1", "complete"): "是",
            ("u2", "service_matter_done"): "1", ("u2", "service_matter_required"): "2",
            ("u2", "party_lecture_done"): "0", ("u2", "lectures_not_secretary"): "1",
            ("u2", "complete"): "否"}
    for (row, col), value in want.items():
        got = cell(row, col)
        b.check("五个一 %s %s = %s" % (row, col, value), got == value, "shows %r" % got)
    b.check("a task met is green", "cell-done" in cell_class("u1", "service_matter_done"))
    b.check("a task half done is yellow", "cell-part" in cell_class("u2", "service_matter_done"))
    b.check("a task not started is red", "cell-none" in cell_class("u2", "party_day_done"))
    b.shot(driver, SHOTS, "dash-five")
    b.console_clean(driver, "five")

    # ---- the XLSX download --------------------------------------------------------------
    driver.find_element(By.ID, "dl-xlsx").click()
    end, path = time.time() + 60, None
    while time.time() < end and not path:
        done = [p for p in glob.glob(os.path.join(downloads, "*.xlsx"))]
        path = done[0] if done else None
        time.sleep(0.3)
    b.check("the XLSX is downloaded", bool(path), os.listdir(downloads))
    if path:
        wb = openpyxl.load_workbook(path)
        found = {}
        for ws in wb.worksheets:
            heads = [c.value for c in ws[1]]
            for row in ws.iter_rows(min_row=2, values_only=True):
                rec = dict(zip(heads, row))
                for h, v in rec.items():
                    found[(row[0], h)] = v
        b.check("the workbook has u1's two matters as a number",
                found.get(("u1", "民生实事 完成 done")) == 2,
                "got %r" % found.get(("u1", "民生实事 完成 done")))
        b.check("the workbook has u2's non-secretary lecture",
                any(k[0] == "u2" and "非书记" in str(k[1]) and v == 1 for k, v in found.items()))
    b.console_clean(driver, "download")

    # ---- the other pages ------------------------------------------------------------------
    driver.get(URL + "/dispatch?month=2025-12")
    b.check("dispatch: matters done this year = 3",
            b.text_of(driver, 'tr[data-key="matters_done"] td.num') == "3",
            b.text_of(driver, 'tr[data-key="matters_done"] td.num'))
    b.check("dispatch: units with matters = 2",
            b.text_of(driver, 'tr[data-key="units_with_matters"] td.num') == "2")
    b.check("dispatch: the report's sentences are written",
            "民生实事" in b.text_of(driver, "#t-sentences"))
    b.shot(driver, SHOTS, "dash-dispatch")
    b.console_clean(driver, "dispatch")
    for page in ["/loop?from=2025-01-01&to=2025-12-31", "/points?year=2025",
                 "/records?type=service_matter", "/records?type=party_lecture"]:
        driver.get(URL + page)
        b.check("%s opens with a table" % page,
                bool(driver.find_elements(By.CSS_SELECTOR, "main table")) and
                not driver.find_elements(By.ID, "report-error"),
                b.text_of(driver, "#report-error"))
        b.console_clean(driver, page)
    driver.get(URL + "/records?type=service_matter")
    rows = driver.find_elements(By.CSS_SELECTOR, "#t-records tbody tr")
    b.check("records: the three matters are listed", len(rows) == 3, "%d rows" % len(rows))
    b.shot(driver, SHOTS, "dash-records")

    # ---- after a sync: the pages just read are recomputed in the background
    # (every second); what is shown next is the store's new state ----------------
    more = os.environ.get("SL_DASH_SYNC_MORE")
    if more:
        done = subprocess.run(["bash", "-c", more], capture_output=True, text=True)
        b.check("the site syncs one more matter", done.returncode == 0, done.stderr[-300:])
        time.sleep(2.5)
        driver.get(URL + "/records?type=service_matter")
        rows = driver.find_elements(By.CSS_SELECTOR, "#t-records tbody tr")
        b.check("records after the sync: four matters", len(rows) == 4, "%d rows" % len(rows))
        driver.get(URL + "/dispatch?month=2025-12")
        b.check("dispatch after the sync: matters done this year = 4",
                b.text_of(driver, 'tr[data-key="matters_done"] td.num') == "4",
                b.text_of(driver, 'tr[data-key="matters_done"] td.num'))
    driver.get(URL + "/five?year=20x5")
    b.check("a wrong argument is named on the page", bool(b.text_of(driver, "#report-error")))
    b.console_clean(driver, "five refused")
    driver.set_window_size(390, 844)
    driver.get(URL + "/five?year=2025")
    b.shot(driver, SHOTS, "dash-five-phone")
    b.console_clean(driver, "phone")
finally:
    driver.quit()
b.finish()
