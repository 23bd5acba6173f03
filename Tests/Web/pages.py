#!/usr/bin/env python3
"""Drives the managers' pages in real headless Chromium (Debian's chromium and chromedriver).

Run by Tests/LedgerServerTests/WebPagesTests.swift against a live server with simulated history.
Argument: one JSON object {base, handler_token, reader_token, appender_token, department, from,
to, artifacts, downloads}. Prints a JSON summary on the last line of stdout; exits non-zero (after
saving a screenshot of where it stopped) when anything a manager would see is wrong.
"""
import glob
import json
import os
import re
import sys
import time
import traceback
import urllib.request
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

args = json.loads(sys.argv[1])
BASE, DEPT = args["base"], args["department"]
ART, DL = args["artifacts"], args["downloads"]
os.makedirs(ART, exist_ok=True)
os.makedirs(DL, exist_ok=True)
summary = {"screenshots": []}


def browser():
    o = webdriver.ChromeOptions()
    o.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000",
              "--lang=en-US", "--no-first-run"]:
        o.add_argument(a)
    o.add_experimental_option("prefs", {"download.default_directory": DL, "download.prompt_for_download": False,
                                        "download.directory_upgrade": True})
    d = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=o)
    d.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": DL})
    return d


driver = browser()
# The queue redraws itself when the ledger changes (live refresh), so an element found a moment
# ago may be gone: waits retry through stale elements.
wait = WebDriverWait(driver, 30, poll_frequency=0.1, ignored_exceptions=[StaleElementReferenceException])


def act(fn):
    """Runs fn (find, then click or read), again if the page redrew in between."""
    deadline = time.time() + 30
    while True:
        try:
            return fn()
        except StaleElementReferenceException:
            if time.time() > deadline:
                raise
            time.sleep(0.1)


def shot(name):
    path = os.path.join(ART, name + ".png")
    # The whole page, not only the window: widen/lengthen to the document first.
    h = driver.execute_script("return Math.max(document.body.scrollHeight, 1000)")
    driver.set_window_size(1400, min(h + 100, 6000))
    driver.save_screenshot(path)
    driver.set_window_size(1400, 1000)
    summary["screenshots"].append(path)


def ready():
    wait.until(lambda d: d.execute_script("return document.querySelector('main') && document.querySelector('main').dataset.state") == "ready")


def open_page(path):
    driver.get(BASE + path)
    ready()
    errors = driver.find_element(By.ID, "status").text if driver.find_elements(By.ID, "status") else ""
    assert "error" not in (driver.find_element(By.ID, "status").get_attribute("class") or ""), f"{path}: {errors}"


def rows(table_id):
    return driver.find_elements(By.CSS_SELECTOR, f"#{table_id} > tbody > tr")


def row_for(table_id, client):
    return driver.find_elements(By.CSS_SELECTOR, f"#{table_id} tbody tr[data-client='{client}']")


def sign_in(tok):
    driver.get(BASE + "/ui/signin")
    ready()
    box = driver.find_element(By.ID, "token")
    box.clear()
    box.send_keys(tok)
    driver.find_element(By.ID, "signin").click()
    wait.until(lambda d: "/ui/signin" not in d.current_url)


def api_handle(client, reason):
    body = json.dumps({"reason": reason}).encode()
    req = urllib.request.Request(f"{BASE}/v1/departments/{DEPT}/unprocessed/{client}/handle", data=body, method="POST",
                                 headers={"Authorization": "Bearer " + args["handler_token"], "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        assert r.status == 200


try:
    # 1. Without a token every page sends you to sign in; a wrong token is refused there.
    driver.get(BASE + f"/ui/queue?department={DEPT}")
    wait.until(lambda d: "/ui/signin" in d.current_url)
    ready()
    driver.find_element(By.ID, "token").send_keys("not-a-real-token")
    driver.find_element(By.ID, "signin").click()
    wait.until(lambda d: d.find_element(By.ID, "signin-error").text != "")
    shot("01-signin")
    driver.find_element(By.ID, "token").clear()
    driver.find_element(By.ID, "token").send_keys(args["handler_token"])
    driver.find_element(By.ID, "signin").click()
    wait.until(lambda d: "/ui/queue" in d.current_url)  # back where we were sent from
    ready()
    wait.until(lambda d: len(rows("unprocessed")) >= 3)
    assert "boss" in driver.find_element(By.ID, "who").text
    # The department picker offers every department the ledger knows (GET /v1/departments), each once.
    options = lambda: driver.execute_script("return [...document.querySelectorAll('#departments option')].map(o => o.value)")
    wait.until(lambda d: len(options()) >= 3)
    assert DEPT in options() and len(options()) == len(set(options())), options()
    headers = [th.text for th in driver.find_elements(By.CSS_SELECTOR, "#unprocessed thead th")]
    assert headers[:7] == ["Client", "First call", "Last call", "Lost for", "Missed calls", "Attempts", "Reason"], headers
    summary["unprocessed_before"] = len(rows("unprocessed"))
    shot("02-queue")

    # 2. Live refresh: another manager handles the last row through the API; the page sees the
    #    log move and drops the row without being touched.
    wait.until(lambda d: "live" in d.find_element(By.ID, "live").text)
    live_client = act(lambda: rows("unprocessed")[-1].get_attribute("data-client"))
    api_handle(live_client, "spam")
    wait.until(lambda d: not row_for("unprocessed", live_client))
    summary["live_handled"] = live_client

    # 3. Handle the first row through the dialog: "other" needs a comment.
    client = act(lambda: rows("unprocessed")[0].get_attribute("data-client"))
    act(lambda: row_for("unprocessed", client)[0].find_element(By.CSS_SELECTOR, "button.handle").click())
    wait.until(lambda d: d.find_element(By.ID, "handle-dialog").is_displayed())
    Select(driver.find_element(By.ID, "handle-reason")).select_by_value("other")
    driver.find_element(By.ID, "handle-submit").click()
    wait.until(lambda d: "comment is required" in d.find_element(By.ID, "handle-error").text)
    shot("03-handle-dialog")
    driver.find_element(By.ID, "handle-comment").send_keys("reached by e-mail (browser test)")
    driver.find_element(By.ID, "handle-submit").click()
    wait.until(lambda d: not row_for("unprocessed", client))
    # The confirmation outlives the live reloads that follow the append (polled every 2 s).
    wait.until(lambda d: ("Handled " + client) in d.find_element(By.ID, "status").text)
    time.sleep(3.5)
    assert ("Handled " + client) in driver.find_element(By.ID, "status").text, driver.find_element(By.ID, "status").text
    driver.find_element(By.ID, "tab-processed").click()
    wait.until(lambda d: row_for("processed", client))
    processed = act(lambda: row_for("processed", client)[0].text)
    assert "boss" in processed and "reached by e-mail (browser test)" in processed and "dismissed" in processed, processed
    summary["handled"] = client
    shot("04-processed")

    # 4. The department report: four sections, SVG charts, agents, as-of picker, XLSX download.
    open_page(f"/ui/report?department={DEPT}&from={args['from']}&to={args['to']}&by=day")
    for s in ["section-volume", "section-callbacks", "section-agents", "section-dynamics"]:
        assert driver.find_element(By.ID, s).is_displayed(), s
    assert len(driver.find_elements(By.CSS_SELECTOR, "#dynamics-svg rect.bar-missed")) == len(rows("dynamics")) >= 2
    assert len(driver.find_elements(By.CSS_SELECTOR, "#reasons-chart svg rect")) == 8
    assert len(rows("agents")) >= 1
    summary["agents"] = len(rows("agents"))
    summary["removed_agents"] = len(driver.find_elements(By.CSS_SELECTOR, "#agents tr.removed"))
    summary["report_incoming"] = driver.find_element(By.CSS_SELECTOR, "#volume .metric .v").text
    shot("05-report")
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    assert not driver.find_element(By.CSS_SELECTOR, "header.top").is_displayed()
    assert not driver.find_element(By.ID, "filters").is_displayed()
    assert driver.find_element(By.ID, "agents").is_displayed()
    # The printout says what it shows: the form does not print, so a line above the data does.
    context = driver.find_element(By.ID, "print-context")
    assert context.is_displayed() and DEPT in context.text and args["from"] in context.text, context.text
    shot("06-report-print")
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    for f in glob.glob(os.path.join(DL, "*")):
        os.remove(f)
    driver.find_element(By.CSS_SELECTOR, "#filters [data-download=xlsx]").click()
    deadline = time.time() + 30
    while time.time() < deadline:
        done = [f for f in glob.glob(os.path.join(DL, "*.xlsx"))]
        if done and not glob.glob(os.path.join(DL, "*.crdownload")):
            break
        time.sleep(0.2)
    assert done, f"no XLSX in {DL}: {os.listdir(DL)}"
    summary["xlsx"] = done[0]
    # As of an early moment the report is smaller (what had happened by then).
    Select(driver.find_element(By.ID, "asof_kind")).select_by_value("as_of")
    driver.execute_script("document.getElementById('asof_at').value = arguments[0]", args["as_of_local"])
    driver.find_element(By.CSS_SELECTOR, "#filters button[type=submit]").click()
    wait.until(lambda d: "asof_kind=as_of" in d.current_url)
    ready()
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#volume .metric .v").text != summary["report_incoming"])
    summary["report_incoming_as_of"] = driver.find_element(By.CSS_SELECTOR, "#volume .metric .v").text
    # The picked time is read in the department's zone, not the browser's: a link means one cut.
    zone = driver.execute_script("return departmentZone(arguments[0])", DEPT)
    sent = driver.execute_script("return apiQuery(document.getElementById('filters'), []).get('as_of')")
    expected = datetime.fromisoformat(args["as_of_local"]).replace(tzinfo=ZoneInfo(zone)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert sent == expected, (zone, sent, expected)
    # A misspelt department is named as unknown, not shown as an empty queue; a value the page
    # cannot hold is reported, not dropped.
    driver.get(BASE + "/ui/queue?department=no-such-dept")
    ready()
    wait.until(lambda d: "No department “no-such-dept”" in d.find_element(By.ID, "status").text)
    driver.get(BASE + f"/ui/report?department={DEPT}&from={args['from']}&to={args['to']}&by=year")
    ready()
    wait.until(lambda d: "by=year" in d.find_element(By.ID, "status").text)
    # A past view of the queue is for reading: a Handle there would close the episode open now.
    open_page(f"/ui/queue?department={DEPT}&asof_kind=as_of&asof_at={args['as_of_local']}")
    assert rows("unprocessed"), "the queue as of an early moment is empty"
    assert not driver.find_elements(By.CSS_SELECTOR, "#unprocessed button.handle"), "Handle offered on a past view"
    assert "past view" in rows("unprocessed")[0].text

    # 5. Calls: filters, a column chooser, and a click opens the call's timeline.
    open_page(f"/ui/calls?department={DEPT}&from={args['from']}&to={args['to']}&result=missed&reason=not_answered")
    wait.until(lambda d: len(rows("calls")) >= 1)
    cols = lambda: [th.text for th in driver.find_elements(By.CSS_SELECTOR, "#calls thead th")]
    assert "result" in cols() and all(r.text.count("missed") >= 1 for r in rows("calls")[:20])
    before = len(cols())
    driver.find_element(By.CSS_SELECTOR, "#column-chooser summary").click()
    driver.find_element(By.CSS_SELECTOR, "#column-chooser input[value=call_id]").click()
    wait.until(lambda d: len(cols()) == before + 1 and cols()[0] == "call id")
    # The rows follow the headings: every row has a cell per column, the call id first.
    wait.until(lambda d: all(len(r.find_elements(By.TAG_NAME, "td")) == len(cols()) for r in rows("calls")[:5]))
    first = rows("calls")[0]
    assert first.find_elements(By.TAG_NAME, "td")[0].text == first.get_attribute("data-call"), first.text
    rows("calls")[0].click()
    wait.until(lambda d: d.find_element(By.ID, "call-dialog").is_displayed() and len(d.find_elements(By.CSS_SELECTOR, "#timeline tbody tr")) >= 3)
    timeline = driver.find_element(By.ID, "timeline").text
    assert "ring" in timeline.lower(), timeline
    shot("07-call-timeline")
    driver.find_element(By.ID, "call-close").click()
    shot("08-calls")

    # 6. The audit shows both dismissals, and filters by reason.
    open_page("/ui/audit?by=boss")
    texts = [r.text for r in rows("dismissals")]
    # Departments may sit in different zones: each time carries its offset.
    at = rows("dismissals")[0].find_elements(By.TAG_NAME, "td")[0].text
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (UTC|[+-]\d\d:\d\d)", at), at
    assert any(client in t and "reached by e-mail" in t for t in texts) and any(live_client in t for t in texts), texts
    shot("09-audit")
    open_page("/ui/audit?by=boss&reason=spam")
    assert [r for r in rows("dismissals")] and all("spam" in r.text.lower() for r in rows("dismissals"))

    # 7. Lead reports: an employee row expands into their leads.
    open_page("/ui/leads?timezone=Europe/Moscow")
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#employees tr.employee")) >= 1)
    emp = driver.find_elements(By.CSS_SELECTOR, "#employees tr.employee")[0]
    sub = driver.find_elements(By.CSS_SELECTOR, "#employees tr.sub")[0]
    assert not sub.is_displayed()
    emp.click()
    wait.until(lambda d: sub.is_displayed() and emp.get_attribute("aria-expanded") == "true")
    assert len(sub.find_elements(By.CSS_SELECTOR, "tbody tr")) >= 1
    assert len(rows("conversion")) >= 2
    shot("10-leads")

    # 8. Scopes: a read-only token sees the queue without Handle; an append-only one sees nothing.
    driver.find_element(By.ID, "signout").click()
    wait.until(lambda d: "/ui/signin" in d.current_url)
    sign_in(args["reader_token"])
    open_page(f"/ui/queue?department={DEPT}")
    wait.until(lambda d: len(rows("unprocessed")) >= 1)
    assert not driver.find_elements(By.CSS_SELECTOR, "#unprocessed button.handle")
    shot("11-queue-read-only")
    driver.find_element(By.ID, "signout").click()
    wait.until(lambda d: "/ui/signin" in d.current_url)
    sign_in(args["appender_token"])
    ready()
    assert driver.find_element(By.ID, "no-access").is_displayed()
    assert not driver.find_elements(By.CSS_SELECTOR, "nav a")
    shot("12-no-read-scope")
    print(json.dumps(summary))
except Exception:
    traceback.print_exc()
    try:
        driver.save_screenshot(os.path.join(ART, "failure.png"))
        print("page at failure:", driver.current_url, file=sys.stderr)
        print(driver.find_element(By.TAG_NAME, "body").text[:3000], file=sys.stderr)
    except Exception:
        pass
    sys.exit(1)
finally:
    driver.quit()
