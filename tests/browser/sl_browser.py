"""sl_browser.py: what the browser tests share (imported, not run).

Headless Chromium (Debian's chromium and chromium-driver) through Debian's
python3-selenium; run with /usr/bin/python3 (Debian's modules live in
/usr/lib/python3/dist-packages).  Every page the tests open is checked for
console messages at level SEVERE (a failed request, a script error, a
Content-Security-Policy violation), and screenshots go to SHOTS."""
import os
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support.ui import Select, WebDriverWait

FAILS = []


def check(what, ok, detail=""):
    """Counts a failed check and goes on, so one bug does not hide the rest."""
    if ok:
        print("ok   " + what, flush=True)
    else:
        FAILS.append(what)
        print("FAIL " + what + (": " + detail if detail else ""), flush=True)


def start(download_dir=None):
    profile = tempfile.mkdtemp(prefix="sl-chromium-")
    opts = Options()
    opts.binary_location = "/usr/bin/chromium"
    for a in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run",
              "--disable-dev-shm-usage", "--lang=zh-CN", "--user-data-dir=" + profile,
              "--window-size=1280,1600"]:
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if download_dir:
        opts.add_experimental_option("prefs", {"download.default_directory": download_dir,
                                               "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    driver.set_page_load_timeout(60)
    if download_dir:
        driver.execute_cdp_cmd("Page.setDownloadBehavior",
                               {"behavior": "allow", "downloadPath": download_dir})
    return driver


def console_clean(driver, where):
    """No console message at level SEVERE since the last call."""
    bad = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    check("no console errors: " + where, not bad, "; ".join(bad))


def shot(driver, shots, name):
    path = os.path.join(shots, name + ".png")
    driver.save_screenshot(path)
    check("screenshot " + name, os.path.exists(path) and os.path.getsize(path) > 1000)


def text_of(driver, css):
    els = driver.find_elements(By.CSS_SELECTOR, css)
    return els[0].text if els else ""


def set_field(driver, form, name, value):
    """Fills input/select/textarea `name` inside `form` (an element)."""
    el = form.find_element(By.NAME, name)
    tag = el.tag_name.lower()
    kind = (el.get_attribute("type") or "").lower()
    if tag == "select":
        Select(el).select_by_value(value)
    elif kind in ("date", "month", "number"):
        # The value as the form posts it; typing into a date input depends on the locale.
        driver.execute_script("arguments[0].value = arguments[1];", el, value)
    else:
        el.clear()
        el.send_keys(value)


def submit(driver, button):
    """Clicks a submit button and waits for the next page (a click does not)."""
    # The old page is marked; the next page's window has no mark.  Asking an element
    # whether it went stale races with the navigation in chromedriver (it can answer
    # "Node with given id does not belong to the document" instead of "stale"), so
    # any error while the page changes means "not yet".
    driver.execute_script("window.__slOldPage = true;")
    button.click()

    def arrived(d):
        try:
            return d.execute_script(
                "return window.__slOldPage === undefined"
                " && document.readyState === 'complete';")
        except WebDriverException:
            return False

    WebDriverWait(driver, 60).until(arrived)


def wait_text(driver, css, needle, seconds=60):
    end = time.time() + seconds
    while time.time() < end:
        if needle in text_of(driver, css):
            return True
        time.sleep(0.5)
    return False


def finish():
    print("%d check(s) failed" % len(FAILS) if FAILS else "all checks passed", flush=True)
    raise SystemExit(1 if FAILS else 0)
