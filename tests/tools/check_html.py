#!/usr/bin/env python3
"""check_html.py SHOTDIR PAGE.html…: opens each page in headless Chromium
(Debian's chromium and chromium-driver, through python3-selenium), as root
with a fresh profile, and checks: no console message at level SEVERE, no
request for anything but the page itself (file: or data:), a title, at least
one inline SVG chart where the page has a chart; saves a screenshot of each
page in SHOTDIR (PAGE.png)."""
import json
import os
import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

shots = sys.argv[1]
profile = tempfile.mkdtemp(prefix="sl-chromium-")
opts = Options()
opts.binary_location = "/usr/bin/chromium"
for a in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--no-first-run",
          "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--window-size=1400,2000"]:
    opts.add_argument(a)
opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
fails = []
try:
    for page in sys.argv[2:]:
        url = "file://" + os.path.abspath(page)
        driver.get(url)
        name = os.path.basename(page)
        for entry in driver.get_log("browser"):
            if entry["level"] in ("SEVERE", "WARNING"):
                fails.append("%s: console %s: %s" % (name, entry["level"], entry["message"]))
        for entry in driver.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            if msg["method"] == "Network.requestWillBeSent":
                # requests made for our page (Chromium's own start page is not ours)
                if not msg["params"].get("documentURL", "").startswith("file:"):
                    continue
                u = msg["params"]["request"]["url"]
                if not (u.startswith("file:") or u.startswith("data:")):
                    fails.append("%s: fetched %s" % (name, u))
        if not driver.title:
            fails.append("%s: no title" % name)
        if "<svg" in open(page, encoding="utf-8").read():
            svgs = driver.find_elements(By.TAG_NAME, "svg")
            shown = [s for s in svgs if s.size["width"] > 0 and s.size["height"] > 0]
            if not shown:
                fails.append("%s: no chart drawn" % name)
        if not driver.find_elements(By.TAG_NAME, "table"):
            fails.append("%s: no table" % name)
        png = os.path.join(shots, os.path.splitext(name)[0] + ".png")
        if not driver.save_screenshot(png) or os.path.getsize(png) < 1000:
            fails.append("%s: no screenshot" % name)
finally:
    driver.quit()
for f in fails:
    print("FAIL:", f)
sys.exit(1 if fails else 0)
