#!/usr/bin/env python3
"""Soak test: does a running server stay as fast, and as small, as it started?

  soak.py --cli .build-bench/release/call-ledger [--seconds 600] [--clients 16] [--interval 30]
          [--data DIR] [--port 18099]

Starts `call-ledger serve` on a fresh ledger, then keeps CLIENTS threads posting single events
(`call.queued`, each a new call, over keep-alive connections) for SECONDS. Every INTERVAL it
prints one row: events/s, request p50/p99, commits and mean commit time (from the server's own
`/metrics`), the server's anonymous and file-backed memory (`/proc/PID/status`: RssAnon is the
heap, RssFile mostly LMDB's maps), and the time of one `GET .../unprocessed`.

What to look for: a column that keeps climbing while the load stays the same. Ms per commit
climbing is how the commit observer's thunk chain showed (session 13); RssAnon climbing without
levelling off would be a leak. Python's GIL caps the load at a few thousand requests per second,
which is the point: a steady, moderate load for a long time, not a peak.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

p = argparse.ArgumentParser(description=__doc__.split("\n")[1])
p.add_argument("--cli", required=True)
p.add_argument("--seconds", type=float, default=600)
p.add_argument("--clients", type=int, default=16)
p.add_argument("--interval", type=float, default=30)
p.add_argument("--data")
p.add_argument("--port", type=int, default=18099)
o = p.parse_args()

data = o.data or tempfile.mkdtemp(prefix="call-ledger-soak-")
shutil.rmtree(data, ignore_errors=True)
token = "soak-token-1"
env = dict(os.environ, CALL_LEDGER_TOKENS=f"{token}=soak:append+read+admin", LOG_LEVEL="warning")
srv = subprocess.Popen([o.cli, "serve", "--data", data, "--port", str(o.port)], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
H = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}


def get(path):
    c = http.client.HTTPConnection("127.0.0.1", o.port, timeout=30)
    c.request("GET", path, headers=H)
    r = c.getresponse()
    return r.status, r.read()


for _ in range(300):
    try:
        get("/healthz")
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("the server did not start")

stop = False
lock = threading.Lock()
latencies, appended, failures = [], [0], [0]
BASE_MS = 1_795_000_000_000


def client(t):
    c = http.client.HTTPConnection("127.0.0.1", o.port, timeout=30)
    n = 0
    while not stop:
        n += 1
        ms = BASE_MS + n * 10 + t
        at = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)
        body = json.dumps({"id": f"soak-{t}-{n}", "type": "call.queued", "at": at, "source": "soak",
                           "data": {"call_id": f"c{t}-{n}", "department": "sales"}}) + "\n"
        t0 = time.perf_counter()
        try:
            c.request("POST", "/v1/events", body, H)
            r = c.getresponse()
            r.read()
            ok = r.status == 200
        except OSError:
            ok = False
            c = http.client.HTTPConnection("127.0.0.1", o.port, timeout=30)
        with lock:
            if ok:
                appended[0] += 1
                latencies.append(time.perf_counter() - t0)
            else:
                failures[0] += 1


def commit_totals():
    _, body = get("/metrics")
    text = body.decode()
    def one(kind):
        m = re.search(r"^ledger_commit_duration_seconds_%s(?:\{[^}]*\})? ([0-9.e+-]+)" % kind, text, re.M)
        return float(m.group(1)) if m else 0.0
    return one("sum"), one("count")


def memory():
    fields = {}
    for line in open(f"/proc/{srv.pid}/status"):
        k, _, v = line.partition(":")
        if k in ("RssAnon", "RssFile"):
            fields[k] = int(v.split()[0]) // 1024
    return fields.get("RssAnon", 0), fields.get("RssFile", 0)


threads = [threading.Thread(target=client, args=(t,), daemon=True) for t in range(o.clients)]
for t in threads:
    t.start()
start = time.time()
last_sum, last_count = commit_totals()
last_appended = 0
print("   t s  events/s  p50 ms  p99 ms  commits  ms/commit  anon MB  file MB  report ms", flush=True)
try:
    while time.time() - start < o.seconds:
        time.sleep(o.interval)
        with lock:
            window = sorted(latencies)
            latencies.clear()
            total = appended[0]
        s, c = commit_totals()
        commits = c - last_count
        per_commit = (s - last_sum) / commits * 1000 if commits else 0.0
        last_sum, last_count = s, c
        t0 = time.perf_counter()
        get("/v1/departments/sales/unprocessed")
        report_ms = (time.perf_counter() - t0) * 1000
        anon, file_backed = memory()
        p50 = window[len(window) // 2] * 1000 if window else 0.0
        p99 = window[int(len(window) * 0.99)] * 1000 if window else 0.0
        print("%6d  %8.0f  %6.1f  %6.1f  %7d  %9.3f  %7d  %7d  %9.1f" % (
            time.time() - start, (total - last_appended) / o.interval, p50, p99, commits, per_commit,
            anon, file_backed, report_ms), flush=True)
        last_appended = total
finally:
    stop = True
    time.sleep(0.5)
    srv.terminate()
    srv.wait()
    if not o.data:
        shutil.rmtree(data, ignore_errors=True)
print(f"appended {appended[0]}, failed requests {failures[0]}")
sys.exit(1 if failures[0] else 0)
