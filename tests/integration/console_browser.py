#!/usr/bin/python3
# tests/integration/console_browser.py: the web console in a real headless Chromium, driven by
# chromedriver through python3-selenium (console.sh runs it; not a test by itself).
#
#   console_browser.py URL PROFILES SHOTS SESSION CN [FILE]
#
# One Chromium per call, on the profile directory PROFILES/CN (kept between calls, so that the
# auditor's second visit finds what its first one stored). The client certificate is in the NSS
# database of $HOME (console.sh made it); the profile's preferences auto-select the certificate
# whose subject CN is CN for URL's origin (the per-user form of Chromium's
# AutoSelectCertificateForUrls), so no dialog is needed and nothing outside the scratch
# directory is written. SESSION says what to do:
#   party    check the greeting; upload FILE as `evidence` through the form, recording the
#            values the <progress> takes; read the receipt on the page
#   secas    the Parties table; the receipts with their stored-file links
#   auditor  the checkpoint and the consistency line
# Prints one JSON object (what the page showed, the browser's console messages); screenshots
# go to SHOTS/<SESSION>-*.png. Every wait is bounded.
import json
import os
import sys
import time
from urllib.parse import urlsplit

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

WAIT = 30          # seconds for a page state
UPLOAD_WAIT = 90   # seconds for a 60 MB upload and its receipt

url, profiles, shots, session, cn = sys.argv[1:6]
upload_file = sys.argv[6] if len(sys.argv) > 6 else None
out = {"session": session}


def prefs_for(profile, origin, cn):
    """The profile's Preferences: auto-select the certificate with subject CN for ORIGIN."""
    d = os.path.join(profile, "Default")
    os.makedirs(d, exist_ok=True)
    p = os.path.join(d, "Preferences")
    try:
        prefs = json.load(open(p))
    except (OSError, ValueError):
        prefs = {}
    ex = prefs.setdefault("profile", {}).setdefault("content_settings", {}).setdefault("exceptions", {})
    ex["auto_select_certificate"] = {
        origin + ",*": {"last_modified": "13300000000000000",
                        "setting": {"filters": [{"SUBJECT": {"CN": cn}}]}}}
    json.dump(prefs, open(p, "w"))


def shot(name):
    path = os.path.join(shots, "%s-%s.png" % (session, name))
    drv.save_screenshot(path)
    out.setdefault("screenshots", []).append(path)


def text_of(by, sel):
    return drv.find_element(by, sel).text


u = urlsplit(url)
origin = "%s://%s" % (u.scheme, u.netloc)
profile = os.path.join(profiles, cn)
prefs_for(profile, origin, cn)

opts = webdriver.ChromeOptions()
opts.binary_location = "/usr/bin/chromium"
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
          "--no-first-run", "--no-default-browser-check", "--disable-extensions",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--window-size=1280,1600", "--user-data-dir=" + profile):
    opts.add_argument(a)
opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
drv = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
drv.set_page_load_timeout(WAIT)
drv.set_script_timeout(WAIT)
w = WebDriverWait(drv, WAIT)
try:
    if session == "csrf":
        # another site's page (here a data: URL, an opaque origin) posts a text/plain form to
        # the gateway: the browser presents the certificate, the gateway must refuse it
        target = url + "v1/parties/ALPHA/facts"
        page = ("<form method=post enctype=text/plain action='%s'>"
                "<input name='{\"fact\":\"cio-fieldwork\",\"date\":\"2025-01-10\",\"x\":\"' value='\"}'>"
                "</form><script>document.forms[0].submit()</script>" % target)
        drv.get("data:text/html," + page.replace("#", "%23"))
        w.until(lambda d: d.current_url.startswith(url))
        out["answer"] = drv.find_element(By.TAG_NAME, "body").text
        raise SystemExit
    drv.get(url)
    w.until(lambda d: d.find_element(By.ID, "party-name").text != "")
    out["name"] = text_of(By.ID, "party-name")
    out["title"] = drv.title

    if session == "party":
        # every value the progress bar takes, seen by a MutationObserver on its attribute
        drv.execute_script("""
            window.__progress = [];
            const p = document.getElementById('progress');
            new MutationObserver(() => window.__progress.push(Number(p.value)))
                .observe(p, {attributes: true, attributeFilter: ['value']});""")
        kinds = [o.get_attribute("value") for o in Select(drv.find_element(By.ID, "kind")).options]
        out["kinds"] = kinds
        out["labels"] = drv.execute_script("""
            return [...document.querySelectorAll('input, select, button, progress')]
                .filter(e => !e.closest('[hidden]'))
                .map(e => (e.id && document.querySelector('label[for="' + e.id + '"]')) ||
                    (e.tagName === 'BUTTON' && e.textContent.trim()) ? 'ok' :
                    (e.id || e.outerHTML.slice(0, 60)));""")
        shot("start")
        # loopback is faster than any Party's line: the upload is throttled (DevTools network
        # emulation, 24 MB/s) so that the progress bar has time to be seen between 0 and 100
        drv.execute_cdp_cmd("Network.enable", {})
        drv.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": False, "latency": 0, "downloadThroughput": -1,
            "uploadThroughput": 24 * 1024 * 1024})
        # 200 % zoom of a 1280-pixel window is a 640-pixel one: nothing wider than the window
        drv.set_window_size(640, 1600)
        out["overflow"] = drv.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        drv.set_window_size(1280, 1600)
        # keyboard only, past the file chooser (a native dialog): Tab goes file -> kind ->
        # reference -> Send, arrows choose the kind, Enter in the reference field submits
        drv.find_element(By.ID, "file").send_keys(upload_file)
        drv.execute_script("document.getElementById('file').focus()")
        order = []
        for _ in range(3):
            ActionChains(drv).send_keys(Keys.TAB).perform()
            order.append(drv.execute_script("return document.activeElement.id"))
        out["tab_order"] = order
        drv.execute_script("document.getElementById('kind').focus()")
        for _ in range(len(kinds)):
            if Select(drv.find_element(By.ID, "kind")).first_selected_option.get_attribute("value") == "evidence":
                break
            ActionChains(drv).send_keys(Keys.ARROW_DOWN).perform()
        out["kind"] = Select(drv.find_element(By.ID, "kind")).first_selected_option.get_attribute("value")
        out["kind_desc"] = drv.find_element(By.ID, "kind-desc").text
        drv.find_element(By.ID, "ref").send_keys("EV-001" + Keys.ENTER)
        mid = False
        deadline = time.time() + UPLOAD_WAIT
        while time.time() < deadline:
            v = drv.execute_script("return Number(document.getElementById('progress').value)")
            if 0 < v < 100 and not mid:
                shot("progress")
                mid = True
            if drv.find_elements(By.ID, "receipt-sha256"):
                break
            time.sleep(0.05)
        WebDriverWait(drv, 5).until(EC.presence_of_element_located((By.ID, "receipt-sha256")))
        out["sha256"] = text_of(By.ID, "receipt-sha256")
        out["index"] = int(text_of(By.ID, "receipt-index"))
        out["verdict"] = text_of(By.ID, "receipt-verdict")
        out["progress"] = drv.execute_script("return window.__progress")
        # the receipt list shows it too
        w.until(lambda d: d.find_elements(By.CSS_SELECTOR,
                '#receipts-table tr[data-index="%d"]' % out["index"]))
        shot("receipt")
        # the receipt's download button saves the answer as JSON (a Blob and a download link)
        drv.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": shots})
        drv.find_element(By.ID, "save-receipt").click()
        saved = os.path.join(shots, "receipt-%d.json" % out["index"])
        WebDriverWait(drv, 10).until(lambda d: os.path.exists(saved) and os.path.getsize(saved) > 0)
        time.sleep(0.2)
        out["saved"] = json.load(open(saved))
        # the link report of the workbook uploaded before: EV-001 now received, EV-002 missing
        drv.find_element(By.ID, "show-links").click()
        w.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#links-table tbody tr"))
        out["links"] = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")] +
                        [tr.get_attribute("class") or ""]
                        for tr in drv.find_elements(By.CSS_SELECTOR, "#links-table tbody tr")]
        shot("links")
    elif session == "secas":
        w.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#parties-table tbody tr")) > 0)
        out["parties"] = [td.text for td in
                          drv.find_elements(By.CSS_SELECTOR, "#parties-table tbody td:nth-child(2)")]
        w.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#receipts-table tr[data-index]"))
        out["imgs"] = len(drv.find_elements(By.CSS_SELECTOR, "#receipts-table img"))
        out["file_names"] = [td.text.split("\n")[0] for td in
                             drv.find_elements(By.CSS_SELECTOR, "#receipts-table tbody td:nth-child(5)")]
        out["file_links"] = [a.get_attribute("href") for a in
                             drv.find_elements(By.CSS_SELECTOR, "#receipts-table a[download]")]
        # paging: the second page starts after the first page's last receipt
        # (the rows are read in one script: the table is rebuilt as pages load)
        rows = ("return [...document.querySelectorAll('#receipts-table tr[data-index]')]"
                ".map(r => r.dataset.index)")
        first = drv.execute_script(rows)
        drv.find_element(By.ID, "next-page").click()
        w.until(lambda d: (d.execute_script(rows) or first)[0] not in first)
        out["pages"] = [first, drv.execute_script(rows)]
        # the rejected uploads, with their reasons
        Select(drv.find_element(By.ID, "rverdict")).select_by_value("rejected")
        drv.find_element(By.CSS_SELECTOR, "#receipts-form button[type=submit]").click()
        w.until(lambda d: "rejected" in d.find_element(By.ID, "receipts-caption").text)
        out["rejected"] = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
                           for tr in drv.find_elements(By.CSS_SELECTOR, "#receipts-table tr[data-index]")]
        shot("rejected")
        Select(drv.find_element(By.ID, "rverdict")).select_by_value("")
        drv.find_element(By.CSS_SELECTOR, "#receipts-form button[type=submit]").click()
        w.until(lambda d: "rejected" not in d.find_element(By.ID, "receipts-caption").text)
        # the filter narrows the Parties table, keyboard only
        f = drv.find_element(By.ID, "party-filter")
        f.send_keys("beta")
        out["filtered"] = [tr.text for tr in
                           drv.find_elements(By.CSS_SELECTOR, "#parties-table tbody tr")
                           if tr.is_displayed()]
        shot("parties")
    elif session == "auditor":
        w.until(lambda d: d.find_element(By.ID, "consistency").text != "")
        out["checkpoint"] = text_of(By.ID, "checkpoint")
        out["consistency"] = text_of(By.ID, "consistency")
        out["tiles"] = [a.get_attribute("href") for a in drv.find_elements(By.CSS_SELECTOR, "#tiles a")]
        shot("log")
        if out["consistency"].startswith("Consistent"):
            # a browser that remembers another root for an earlier size: the proof must fail
            drv.execute_script("""
                for (const k of Object.keys(localStorage))
                    if (k.startsWith('intake-console-checkpoint:'))
                        localStorage.setItem(k, JSON.stringify({size: 3, root: btoa('\\0'.repeat(32))}));""")
            drv.refresh()
            w.until(lambda d: d.find_element(By.ID, "consistency").text != "")
            out["forked"] = text_of(By.ID, "consistency")
            shot("forked")
    # pages may still be fetching: a moment for late errors to reach the log
    time.sleep(0.5)
except SystemExit:
    pass
except TimeoutException as e:
    out["error"] = "timeout: %s" % (e.msg or "page state not reached")
    try:
        shot("timeout")
        out["status"] = text_of(By.ID, "status")
    except Exception:
        pass
finally:
    try:
        out["console"] = [{"level": m.get("level"), "message": m.get("message")}
                          for m in drv.get_log("browser")]
    except Exception as e:
        out["console"] = [{"level": "SEVERE", "message": "cannot read the log: %s" % e}]
    drv.quit()
print(json.dumps(out))
