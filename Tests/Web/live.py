#!/usr/bin/env python3
"""Drives the live panel page (/live/DEPT) in real headless Chromium (Debian's chromium and
chromedriver, through Selenium).

Usage: live.py BASE READ_TOKEN APPEND_TOKEN DEPARTMENT ARTIFACTS. The page asks for the token,
keeps it in localStorage (callLedgerToken), shows one tile per metric and the agents; then calls
are queued through the API and the in_queue tile must change value and zone over the event
stream, without reloading. Prints a JSON summary on the last stdout line ({"max_update_s": …}:
commit of the append → the tile showing it); exits non-zero with a screenshot when something is
wrong.
"""
import datetime
import json
import os
import sys
import time
import traceback
import urllib.request
import uuid

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

BASE, READ, APPEND, DEPT, ART = sys.argv[1:6]
os.makedirs(ART, exist_ok=True)
tag = uuid.uuid4().hex[:6]


def browser():
    o = webdriver.ChromeOptions()
    o.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000"]:
        o.add_argument(a)
    return webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=o)


def post(events):
    body = "\n".join(json.dumps(e) for e in events).encode()
    r = urllib.request.Request(BASE + "/v1/events", data=body, method="POST",
                               headers={"Authorization": "Bearer " + APPEND, "Content-Type": "application/x-ndjson"})
    with urllib.request.urlopen(r) as resp:
        assert resp.status == 200, resp.status


def now(seconds_ago=0):
    t = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=seconds_ago)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def queued_call(call_id):
    return [{"id": f"page-{tag}-{call_id}-s", "type": "call.started", "at": now(5),
             "data": {"call_id": call_id, "direction": "inbound", "client": "79005550000", "department": DEPT}},
            {"id": f"page-{tag}-{call_id}-q", "type": "call.queued", "at": now(5), "data": {"call_id": call_id, "department": DEPT}}]


def ended(call_id):
    return [{"id": f"page-{tag}-{call_id}-e", "type": "call.ended", "at": now(), "data": {"call_id": call_id, "by": "client"}}]


driver = browser()
wait = WebDriverWait(driver, 20, poll_frequency=0.02)
summary = {"updates_s": []}


def tile(name):
    t = driver.find_element(By.ID, "tile-" + name)
    return t.get_attribute("data-value"), t.get_attribute("data-zone")


try:
    driver.get(BASE + "/live/" + DEPT)
    # No token yet: the page asks for one.
    wait.until(lambda d: d.find_element(By.ID, "login").is_displayed())
    driver.find_element(By.ID, "token").send_keys(READ)
    driver.find_element(By.CSS_SELECTOR, "#login button").click()
    wait.until(lambda d: d.find_element(By.ID, "tile-in_queue").is_displayed())
    assert driver.execute_script("return localStorage.getItem('callLedgerToken')") == READ
    wait.until(lambda d: d.find_element(By.ID, "conn").text == "live")
    assert tile("in_queue") == ("0", "green"), tile("in_queue")
    assert tile("free_agents") == ("1", "green"), tile("free_agents")
    tiles = driver.find_elements(By.CSS_SELECTOR, "#tiles .tile")
    assert len(tiles) == 19, len(tiles)
    # The table is redrawn on every panel (time in status grows): read it in one script call.
    rows = driver.execute_script("return [...document.querySelectorAll('#agents tbody tr')].map(r => r.textContent)")
    assert len(rows) == 1 and "available" in rows[0] and "Анна" in rows[0], rows
    driver.save_screenshot(os.path.join(ART, "live-1-green.png"))
    marker = driver.execute_script("window.__notReloaded = true; return true")

    # Queue grows: 1 (yellow), 2, 3 (red); then everybody hangs up (green). Each change timed.
    expected = [("1", "yellow"), ("2", "yellow"), ("3", "red")]
    for k, want in enumerate(expected):
        start = time.time()
        post(queued_call(f"p{k}"))
        wait.until(lambda d: tile("in_queue") == want)
        summary["updates_s"].append(round(time.time() - start, 3))
    driver.save_screenshot(os.path.join(ART, "live-2-red.png"))
    alerts = driver.execute_script("return [...document.querySelectorAll('#alerts li')].map(li => li.textContent)")
    assert len(alerts) >= 2 and "red" in alerts[0], alerts
    start = time.time()
    post(sum((ended(f"p{k}") for k in range(3)), []))
    wait.until(lambda d: tile("in_queue") == ("0", "green"))
    summary["updates_s"].append(round(time.time() - start, 3))
    assert driver.execute_script("return window.__notReloaded === true"), "the page reloaded"
    assert driver.execute_script("return document.querySelector('#alerts li').className") == "cleared"
    driver.save_screenshot(os.path.join(ART, "live-3-cleared.png"))
    summary["max_update_s"] = max(summary["updates_s"])
except Exception:
    traceback.print_exc()
    driver.save_screenshot(os.path.join(ART, "live-failed.png"))
    driver.quit()
    sys.exit(1)
driver.quit()
print(json.dumps(summary))
