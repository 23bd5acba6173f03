#!/usr/bin/env python3
"""HTTP/CLI parity: every report the server answers vs `call-ledger` with the same options.

  http_parity.py [--bin DIR] [--work DIR] [--seed 3] [--days 3] [--late 0.2] [--keep] [--verbose]

Simulates traffic (simulate --seed S --days D --late-fraction L), appends it to a fresh ledger,
starts `call-ledger serve` on 127.0.0.1 (a free port, one token with every scope), waits for
/healthz and for the read models to catch up, then for every report x period x cut fetches the
HTTP JSON and runs the CLI with the equivalent options and `--format json`, and compares:
  * the parsed JSON (a difference is a FAIL, printed with its JSON path and both values);
  * the text (the README says `format=json` is "the same text as --format json"): FAIL when
    the parsed values agree but the bytes do not (trailing newline ignored).
It also compares `format=csv` (and one `format=xlsx`, by zip members) with the CLI's
`--format csv|xlsx --output FILE` byte for byte, and the error behaviour of a few bad requests
(bad date, two cuts, unknown department, ...) with the CLI's exit status and message.

The live panel is compared only with a cut (its "now" is the wall clock); the HTTP panel's
documented extras `zones`, `thresholds` and `no_data` are dropped before comparing.

Exit 0 when everything agrees, 1 on any difference. Standard library only.
"""
import argparse
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TOKEN = "parity-token-0001"  # tokens need >= 8 characters

FAILS = []
NOTES = []
CHECKED = {"json": 0, "csv": 0, "xlsx": 0, "errors": 0}


def fail(msg):
    FAILS.append(msg)
    print("FAIL " + msg, flush=True)


def note(msg):
    NOTES.append(msg)
    print("NOTE " + msg, flush=True)


# ---------------------------------------------------------------- plumbing

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Server:
    def __init__(self, cli, data, log_path):
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        env = dict(os.environ, CALL_LEDGER_TOKENS="%s=tester:append+read+handle+admin" % TOKEN, LOG_LEVEL="warning")
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen([cli, "serve", "--data", data, "--host", "127.0.0.1", "--port", str(self.port)],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=env)

    def wait_ready(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("server exited with %s (see its log)" % self.proc.returncode)
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        return json.loads(r.read())
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.2)
        raise SystemExit("server not healthy after %ss" % timeout)

    def get(self, path, params=None):
        url = self.base + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        req = urllib.request.Request(url, headers={"Authorization": "Bearer " + TOKEN})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def run_cli(cli, data, args):
    p = subprocess.run([cli] + args + ["--data", data], capture_output=True)
    return p.returncode, p.stdout, p.stderr


def cli_opts(params):
    """HTTP query parameters -> CLI options (as_of_position -> --as-of-position)."""
    out = []
    for k, v in params.items():
        if k == "format":
            continue
        out += ["--" + k.replace("_", "-"), str(v)]
    return out


def diff(a, b, path="$", out=None, limit=6):
    """Recursive difference of two JSON values: list of (path, cli, http)."""
    if out is None:
        out = []
    if len(out) >= limit:
        return out
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a.keys()) + [k for k in b if k not in a]:
            if k not in a:
                out.append((path + "." + k, "<absent>", b[k]))
            elif k not in b:
                out.append((path + "." + k, a[k], "<absent>"))
            else:
                diff(a[k], b[k], path + "." + k, out, limit)
            if len(out) >= limit:
                break
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append((path + ".length", len(a), len(b)))
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, "%s[%d]" % (path, i), out, limit)
            if len(out) >= limit:
                break
    elif type(a) != type(b) or a != b:
        # 1 vs 1.0 is the same JSON number
        if not (isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool)
                and not isinstance(b, bool) and a == b):
            out.append((path, a, b))
    return out


def short(v, n=110):
    s = json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else json.dumps(v, ensure_ascii=False)
    return s if len(s) <= n else s[:n] + "..."


# ---------------------------------------------------------------- comparisons

def compare_json(srv, cli, data, label, path, params, cli_args, drop=()):
    CHECKED["json"] += 1
    desc = "%s %s%s" % (label, path, ("?" + urllib.parse.urlencode(params)) if params else "")
    st, hdr, body = srv.get(path, params)
    rc, out, err = run_cli(cli, data, cli_args + cli_opts(params) + ["--format", "json"])
    if st != 200 or rc != 0:
        if st == 200 or rc == 0:
            fail("%s: HTTP %s vs CLI exit %s | http=%s | cli=%s" % (desc, st, rc, body[:160].decode("utf-8", "replace"),
                                                                   (out or err)[:160].decode("utf-8", "replace").strip()))
        else:
            note("%s: both refused: HTTP %s %s | CLI exit %s %s" % (desc, st, body[:120].decode("utf-8", "replace").strip(),
                                                                     rc, err[:120].decode("utf-8", "replace").strip()))
        return None
    try:
        h = json.loads(body)
    except ValueError as e:
        fail("%s: HTTP body is not JSON (%s): %r" % (desc, e, body[:100]))
        return None
    try:
        c = json.loads(out)
    except ValueError as e:
        fail("%s: CLI output is not JSON (%s): %r" % (desc, e, out[:100]))
        return None
    for k in drop:
        if isinstance(h, dict):
            h.pop(k, None)
    ds = diff(c, h)
    if ds:
        fail("%s (cli: %s): %d+ difference(s): %s" % (desc, " ".join(cli_args + cli_opts(params)), len(ds),
             "; ".join("%s cli=%s http=%s" % (p, short(x), short(y)) for p, x, y in ds)))
    elif not drop and body.rstrip(b"\n") != out.rstrip(b"\n"):
        fail("%s: same JSON values but different text (cli %d bytes, http %d bytes)" % (desc, len(out), len(body)))
    return c


def compare_file(srv, cli, data, work, label, path, params, cli_args, fmt):
    CHECKED[fmt] += 1
    q = dict(params, format=fmt)
    desc = "%s %s?%s" % (label, path, urllib.parse.urlencode(q))
    st, hdr, body = srv.get(path, q)
    target = os.path.join(work, "cli-out." + fmt)
    if os.path.exists(target):
        os.remove(target)
    rc, out, err = run_cli(cli, data, cli_args + cli_opts(params) + ["--format", fmt, "--output", target])
    if st != 200 or rc != 0:
        fail("%s: HTTP %s vs CLI exit %s: %s %s" % (desc, st, rc, body[:120], err[:120]))
        return
    cli_bytes = open(target, "rb").read()
    ctype = {k.lower(): v for k, v in hdr.items()}.get("content-type", "")
    disp = {k.lower(): v for k, v in hdr.items()}.get("content-disposition", "")
    print("     %s: %s, %s, %d bytes" % (desc, ctype, disp, len(body)))
    if fmt == "csv":
        if body == cli_bytes:
            return
        # stdout as well, in case --output changes anything
        rc2, out2, _ = run_cli(cli, data, cli_args + cli_opts(params) + ["--format", "csv"])
        hl, cl = body.split(b"\r\n"), cli_bytes.split(b"\r\n")
        first = next((i for i, (x, y) in enumerate(zip(hl, cl)) if x != y), min(len(hl), len(cl)))
        fail("%s: CSV bytes differ (cli %d bytes / stdout %s, http %d); first differing line %d: cli=%r http=%r"
             % (desc, len(cli_bytes), "same" if out2 == cli_bytes else "%d bytes" % len(out2), len(body), first,
                cl[first][:100] if first < len(cl) else None, hl[first][:100] if first < len(hl) else None))
    else:
        if body == cli_bytes:
            return
        try:
            zh, zc = zipfile.ZipFile(io.BytesIO(body)), zipfile.ZipFile(io.BytesIO(cli_bytes))
        except zipfile.BadZipFile as e:
            fail("%s: not a zip: %s" % (desc, e))
            return
        nh, nc = sorted(zh.namelist()), sorted(zc.namelist())
        if nh != nc:
            fail("%s: xlsx members differ: cli=%s http=%s" % (desc, nc, nh))
            return
        # docProps/core.xml holds the workbook's creation time (to the second): two files written a
        # second apart differ there and nowhere else that matters.
        bad = [n for n in nh if n != "docProps/core.xml" and zh.read(n) != zc.read(n)]
        if bad:
            fail("%s: xlsx member contents differ: %s" % (desc, bad))
        else:
            note("%s: xlsx bytes differ but every member is identical (zip metadata only)" % desc)


def compare_error(srv, cli, data, label, path, params, cli_args):
    """A bad request: HTTP should be a 4xx with a JSON error, the CLI a non-zero exit; print both."""
    CHECKED["errors"] += 1
    st, hdr, body = srv.get(path, params)
    rc, out, err = run_cli(cli, data, cli_args)
    text = body.decode("utf-8", "replace").strip()
    cerr = (err or out).decode("utf-8", "replace").strip().splitlines()
    cerr = " / ".join(l for l in cerr if l and not l.startswith(("Usage:", "USAGE:", "  See", "See ")))[:200]
    line = "%s: HTTP %s %s | CLI exit %s: %s" % (label, st, text[:200], rc, cerr or (out[:80].decode("utf-8", "replace")))
    ok_http = 400 <= st < 500
    try:
        j = json.loads(body)
        ok_http = ok_http and isinstance(j, dict) and "message" in j
    except ValueError:
        ok_http = False
    if rc < 0:
        fail("error parity: the CLI crashed (signal %d) " % -rc + line)
    elif ok_http and rc != 0:
        print("  ok " + line)
    elif not ok_http and rc == 0 and st == 200:
        note("both accept " + line)
    else:
        fail("error parity " + line)


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(REPO, ".build", "debug"))
    ap.add_argument("--work", default=None, help="work directory (default: a fresh temporary one)")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--late", type=float, default=0.2)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()

    cli = os.path.join(args.bin, "call-ledger")
    sim = os.path.join(args.bin, "simulate")
    work = args.work or tempfile.mkdtemp(prefix="http-parity-")
    os.makedirs(work, exist_ok=True)
    data = os.path.join(work, "d")
    nd = os.path.join(work, "s.ndjson")
    if os.path.exists(data):
        shutil.rmtree(data)
    subprocess.run([sim, "--seed", str(args.seed), "--days", str(args.days), "--late-fraction", str(args.late),
                    "--output", nd], check=True, capture_output=True)
    r = subprocess.run([cli, "append", "--data", data, nd], check=True, capture_output=True)
    appended = json.loads(r.stdout)
    total = appended["last_position"]
    print("ledger: %s (%s)" % (data, r.stdout.decode().strip()))

    events = [json.loads(l) for l in open(nd)]
    days = sorted({e["at"][:10] for e in events})
    first_day, end_day = days[0], days[-1]
    import datetime
    end_excl = (datetime.date.fromisoformat(end_day) + datetime.timedelta(days=1)).isoformat()
    one_day = days[1] if len(days) > 1 else days[0]
    one_day_end = (datetime.date.fromisoformat(one_day) + datetime.timedelta(days=1)).isoformat()

    half = total // 2
    rec = json.loads(subprocess.run([cli, "events", "--data", data, "--limit", "1", "--after", str(half), "--format", "ndjson"],
                                    check=True, capture_output=True).stdout.splitlines()[0])
    recorded = rec["recorded_at"]
    cuts = [("all", {}),
            ("pos", {"as_of_position": half}),
            ("asof", {"as_of": "%sT13:30:00+03:00" % one_day}),
            ("rec", {"as_of_recorded": recorded})]
    # One append gives every event the same recorded_at: 1 ms before it is the empty ledger.
    rt = datetime.datetime.fromisoformat(recorded.replace("Z", "+00:00")) - datetime.timedelta(milliseconds=1)
    rec_before = rt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (rt.microsecond // 1000)
    cuts.append(("rec-1ms", {"as_of_recorded": rec_before}))
    periods = [("whole", {"from": first_day, "to": end_excl}), ("day", {"from": one_day, "to": one_day_end})]
    print("cuts: %s" % cuts)
    print("periods: %s" % periods)

    srv = Server(cli, data, os.path.join(work, "server.log"))
    try:
        health = srv.wait_ready()
        print("server %s healthy: %s" % (srv.base, health))
        # wait for the read models
        deadline = time.time() + 120
        while True:
            st, _, body = srv.get("/v1/projections")
            ps = json.loads(body) if st == 200 else []
            lag = [p for p in ps if p.get("lag", p.get("lag_events", 0)) not in (0, None)]
            if st == 200 and not lag:
                break
            if time.time() > deadline:
                note("projections still lagging after 120 s: %s" % lag)
                break
            time.sleep(0.5)
        st, _, body = srv.get("/v1/departments")
        deps = [d["department"] for d in json.loads(body)]
        rc, out, _ = run_cli(cli, data, ["departments", "--format", "json"])
        if json.loads(out) != json.loads(body):
            fail("/v1/departments vs departments --format json: %s" % diff(json.loads(out), json.loads(body)))
        print("departments: %s" % deps)

        # -------- department reports
        for d in deps:
            dp = "/v1/departments/" + urllib.parse.quote(d)
            for cn, cut in cuts:
                lbl = "[%s %s]" % (d, cn)
                compare_json(srv, cli, data, lbl, dp + "/unprocessed", dict(cut), ["report", "unprocessed", "--department", d])
                compare_json(srv, cli, data, lbl, dp + "/processed", dict(cut), ["report", "processed", "--department", d])
                for pn, per in periods:
                    lblp = "[%s %s %s]" % (d, cn, pn)
                    for by in ("day", "week", "month") if pn == "whole" else ("day",):
                        compare_json(srv, cli, data, lblp, dp + "/report", dict(per, by=by, **cut),
                                     ["report", "department", "--department", d])
                    if pn == "whole" and cn == "all":
                        compare_json(srv, cli, data, lblp, dp + "/report", dict(per, **cut), ["report", "department", "--department", d])
                    compare_json(srv, cli, data, lblp, dp + "/processed", dict(per, limit=20, **cut),
                                 ["report", "processed", "--department", d])
                    compare_json(srv, cli, data, lblp, dp + "/calls", dict(per, **cut), ["report", "calls", "--department", d])
                    if pn == "day":
                        compare_json(srv, cli, data, lblp, dp + "/calls", dict(per, result="missed", **cut),
                                     ["report", "calls", "--department", d])
                        compare_json(srv, cli, data, lblp, dp + "/calls", dict(per, result="missed", reason="not_answered", **cut),
                                     ["report", "calls", "--department", d])
                        compare_json(srv, cli, data, lblp, dp + "/calls", dict(per, result="answered", **cut),
                                     ["report", "calls", "--department", d])
                # processed with only from / only to
                compare_json(srv, cli, data, lbl, dp + "/processed", dict({"from": one_day}, **cut), ["report", "processed", "--department", d])
                compare_json(srv, cli, data, lbl, dp + "/processed", dict({"to": one_day + "T12:00:00+03:00", "limit": 5}, **cut),
                             ["report", "processed", "--department", d])
                if cn != "all":  # live "now" is the wall clock: only with a cut
                    compare_json(srv, cli, data, lbl, dp + "/live", dict(cut), ["report", "live", "--department", d],
                                 drop=("zones", "thresholds", "no_data"))

        # -------- live "now": only the clock may differ (at, window_from, each agent's in_status_s)
        for d in deps:
            st, _, body = srv.get("/v1/departments/%s/live" % urllib.parse.quote(d))
            rc, out, err = run_cli(cli, data, ["report", "live", "--department", d, "--format", "json"])
            CHECKED["json"] += 1
            if st != 200 or rc != 0:
                fail("[%s now] live: HTTP %s vs CLI exit %s" % (d, st, rc))
                continue
            h, c = json.loads(body), json.loads(out)
            h.pop("zones", None), h.pop("thresholds", None), h.pop("no_data", None)
            skew = []
            for x in (h, c):
                x.pop("at", None), x.pop("window_from", None)
                for a in x.get("agents", []):
                    skew.append(a.pop("in_status_s", None))
            n = len(skew) // 2
            far = [(a, b) for a, b in zip(skew[:n], skew[n:]) if (a is None) != (b is None) or (a is not None and abs(a - b) > 5)]
            ds = diff(c, h)
            if ds or far:
                fail("[%s now] /v1/departments/%s/live (clock fields dropped): %s %s" % (d, d, ds, far[:3]))

        # -------- call detail
        rc, out, _ = run_cli(cli, data, ["report", "calls", "--department", deps[0], "--from", first_day, "--to", end_excl, "--format", "json"])
        rows = json.loads(out)
        picks = []
        for want in ("answered", "missed", "in_progress"):
            picks += [r["call_id"] for r in rows if r.get("result") == want][:1]
        picks += [r["call_id"] for r in rows if r.get("reason") not in (None, "not_answered")][:1]
        outbound = [e["data"]["call_id"] for e in events if e["type"] == "call.started" and e["data"].get("direction") == "outbound"][:1]
        picks += outbound
        # a call with a late event (recorded after events that happened an hour later)
        import datetime as _dt
        latest = None
        for e in events:
            t = _dt.datetime.fromisoformat(e["at"])
            cid = e.get("data", {}).get("call_id")
            if latest is not None and cid and t < latest - _dt.timedelta(hours=1):
                picks.append(cid)
                break
            latest = t if latest is None or t > latest else latest
        picks = list(dict.fromkeys(picks))
        print("call ids: %s" % picks)
        for cid in picks:
            for cn, cut in cuts:
                compare_json(srv, cli, data, "[call %s]" % cn, "/v1/calls/" + urllib.parse.quote(cid, safe=""), dict(cut), ["call", cid])

        # -------- audit dismissals
        handled = [e for e in events if e["type"] == "missed.handled"]
        by = handled[0]["data"]["by"] if handled else "nobody"
        client = handled[0]["data"]["client"] if handled else "+70000000000"
        audit_filters = [{}, {"by": by}, {"reason": "other"}, {"department": deps[-1]}, {"client": client},
                         {"from": one_day, "to": one_day_end}, {"from": one_day + "T09:00:00+03:00"},
                         {"department": handled[0]["data"]["department"] if handled else deps[0], "reason": "called_back_other_channel"}]
        for cn, cut in cuts:
            for f in audit_filters:
                compare_json(srv, cli, data, "[audit %s]" % cn, "/v1/audit/dismissals", dict(f, **cut), ["audit", "dismissals"])

        # -------- leads
        lead_types = sorted({e["data"].get("type") for e in events if e["type"] == "lead.created" and e["data"].get("type")})
        lead_params = [{}, {"from": first_day, "to": end_excl}, {"from": one_day, "to": one_day_end, "timezone": "Europe/Moscow"},
                       {"type": lead_types[0]} if lead_types else {"type": "x"}, {"timezone": "Asia/Yekaterinburg"}]
        for cn, cut in cuts:
            for rep, sub in (("conversion", "lead-conversion"), ("lost", "lost-leads"), ("employees", "employee-performance"),
                             ("calls", "lead-calls")):
                for lp in lead_params:
                    compare_json(srv, cli, data, "[leads %s]" % cn, "/v1/leads/" + rep, dict(lp, **cut), ["report", sub])

        # -------- calls-per-line: the CLI has it; is there an HTTP route?
        for path in ("/v1/calls-per-line", "/v1/reports/calls-per-line", "/v1/lines/calls-per-hour"):
            st, _, body = srv.get(path, {"from": first_day, "to": end_excl})
            if st == 200:
                note("calls-per-line served at %s" % path)
                break
        else:
            # The analyst's example projection (README "Write your own projection") is CLI-only by
            # design: the API serves the issue's reports. Noted, not a difference.
            note("report calls-per-line (CLI, the example projection) has no HTTP endpoint (%s)" % st)

        # -------- files
        d = deps[-1]
        dp = "/v1/departments/" + urllib.parse.quote(d)
        whole = periods[0][1]
        compare_file(srv, cli, data, work, "[csv]", dp + "/report", dict(whole, by="day"), ["report", "department", "--department", d], "csv")
        compare_file(srv, cli, data, work, "[csv]", dp + "/unprocessed", {}, ["report", "unprocessed", "--department", d], "csv")
        compare_file(srv, cli, data, work, "[csv]", dp + "/calls", dict(periods[1][1], columns="call_id,result,reason,queue_wait_s"),
                     ["report", "calls", "--department", d], "csv")
        compare_file(srv, cli, data, work, "[csv]", "/v1/audit/dismissals", {"as_of": cuts[2][1]["as_of"]}, ["audit", "dismissals"], "csv")
        compare_file(srv, cli, data, work, "[csv]", "/v1/leads/conversion", {}, ["report", "lead-conversion"], "csv")
        compare_file(srv, cli, data, work, "[xlsx]", dp + "/report", dict(whole, by="week"), ["report", "department", "--department", d], "xlsx")
        # live: the CLI has csv/xlsx; does the server?
        st, hdr, body = srv.get(dp + "/live", {"as_of": cuts[2][1]["as_of"], "format": "csv"})
        ctype = {k.lower(): v for k, v in hdr.items()}.get("content-type", "")
        if st == 200 and "csv" not in ctype:
            fail("[live] %s/live?format=csv: HTTP answers %s %s (format ignored) while `report live --format csv` writes CSV"
                 % (dp, st, ctype))
        st, hdr, body = srv.get(dp + "/live", {"as_of": cuts[2][1]["as_of"], "format": "bogus"})
        if st == 200:
            fail("[live] %s/live?format=bogus: HTTP 200 (format not validated; other reports answer 400)" % dp)

        # -------- error parity
        print("error parity:")
        dep = deps[-1]
        dpe = "/v1/departments/" + dep
        compare_error(srv, cli, data, "bad date in from (report)", dpe + "/report", {"from": "2026-13-45", "to": end_excl},
                      ["report", "department", "--department", dep, "--from", "2026-13-45", "--to", end_excl])
        compare_error(srv, cli, data, "bad date in from (calls)", dpe + "/calls", {"from": "yesterday", "to": end_excl},
                      ["report", "calls", "--department", dep, "--from", "yesterday", "--to", end_excl])
        compare_error(srv, cli, data, "bad date in from (processed)", dpe + "/processed", {"from": "2026-11-31"},
                      ["report", "processed", "--department", dep, "--from", "2026-11-31"])
        compare_error(srv, cli, data, "bad date in from (audit)", "/v1/audit/dismissals", {"from": "17.11.2026"},
                      ["audit", "dismissals", "--from", "17.11.2026"])
        compare_error(srv, cli, data, "bad date in from (leads)", "/v1/leads/conversion", {"from": "2026-11"},
                      ["report", "lead-conversion", "--from", "2026-11"])
        compare_error(srv, cli, data, "two cuts", dpe + "/unprocessed", {"as_of_position": 5, "as_of": cuts[2][1]["as_of"]},
                      ["report", "unprocessed", "--department", dep, "--as-of-position", "5", "--as-of", cuts[2][1]["as_of"]])
        compare_error(srv, cli, data, "two cuts (live)", dpe + "/live", {"as_of_position": 5, "as_of_recorded": recorded},
                      ["report", "live", "--department", dep, "--as-of-position", "5", "--as-of-recorded", recorded])
        compare_error(srv, cli, data, "bad as_of", dpe + "/unprocessed", {"as_of": "2026-11-17"},
                      ["report", "unprocessed", "--department", dep, "--as-of", "2026-11-17"])
        compare_error(srv, cli, data, "bad as_of_position", dpe + "/unprocessed", {"as_of_position": "-1"},
                      ["report", "unprocessed", "--department", dep, "--as-of-position=-1"])
        for rep, sub in (("unprocessed", "unprocessed"), ("report", "department"), ("calls", "calls"), ("live", "live")):
            per = dict(whole) if rep in ("report", "calls") else {}
            compare_error(srv, cli, data, "unknown department (%s)" % rep, "/v1/departments/nosuchdept/" + rep, per,
                          ["report", sub, "--department", "nosuchdept"] + cli_opts(per))
        compare_error(srv, cli, data, "unknown department (audit filter)", "/v1/audit/dismissals", {"department": "nosuchdept"},
                      ["audit", "dismissals", "--department", "nosuchdept"])
        compare_error(srv, cli, data, "from after to (report)", dpe + "/report", {"from": end_excl, "to": first_day},
                      ["report", "department", "--department", dep, "--from", end_excl, "--to", first_day])
        compare_error(srv, cli, data, "from after to (calls)", dpe + "/calls", {"from": end_excl, "to": first_day},
                      ["report", "calls", "--department", dep, "--from", end_excl, "--to", first_day])
        compare_error(srv, cli, data, "missing to (report)", dpe + "/report", {"from": first_day},
                      ["report", "department", "--department", dep, "--from", first_day])
        compare_error(srv, cli, data, "bad by", dpe + "/report", dict(whole, by="year"),
                      ["report", "department", "--department", dep, "--from", whole["from"], "--to", whole["to"], "--by", "year"])
        compare_error(srv, cli, data, "by=day over 10 years", dpe + "/report", {"from": "2020-01-01", "to": "2030-01-01", "by": "day"},
                      ["report", "department", "--department", dep, "--from", "2020-01-01", "--to", "2030-01-01", "--by", "day"])
        compare_error(srv, cli, data, "bad result", dpe + "/calls", dict(whole, result="lost"),
                      ["report", "calls", "--department", dep, "--from", whole["from"], "--to", whole["to"], "--result", "lost"])
        compare_error(srv, cli, data, "bad reason", dpe + "/calls", dict(whole, reason="bored"),
                      ["report", "calls", "--department", dep, "--from", whole["from"], "--to", whole["to"], "--reason", "bored"])
        compare_error(srv, cli, data, "bad columns", dpe + "/calls", dict(whole, columns="call_id,nope", format="csv"),
                      ["report", "calls", "--department", dep, "--from", whole["from"], "--to", whole["to"], "--columns", "call_id,nope", "--format", "csv"])
        compare_error(srv, cli, data, "limit=0 (processed)", dpe + "/processed", {"limit": 0},
                      ["report", "processed", "--department", dep, "--limit", "0"])
        compare_error(srv, cli, data, "limit=-1 (processed)", dpe + "/processed", {"limit": -1},
                      ["report", "processed", "--department", dep, "--limit=-1"])
        compare_error(srv, cli, data, "misspelt parameter asof= (unprocessed)", dpe + "/unprocessed", {"asof": cuts[2][1]["as_of"]},
                      ["report", "unprocessed", "--department", dep, "--asof", cuts[2][1]["as_of"]])
        compare_error(srv, cli, data, "misspelt parameter form= (calls)", dpe + "/calls", {"form": first_day, "to": end_excl},
                      ["report", "calls", "--department", dep, "--form", first_day, "--to", end_excl])
        compare_error(srv, cli, data, "bad format", dpe + "/unprocessed", {"format": "pdf"},
                      ["report", "unprocessed", "--department", dep, "--format", "pdf"])
        compare_error(srv, cli, data, "unknown call", "/v1/calls/no-such-call", {}, ["call", "no-such-call"])
        compare_error(srv, cli, data, "bad timezone (leads)", "/v1/leads/lost", {"timezone": "Mars/Olympus"},
                      ["report", "lost-leads", "--timezone", "Mars/Olympus"])
        compare_error(srv, cli, data, "bad audit reason", "/v1/audit/dismissals", {"reason": "bored"},
                      ["audit", "dismissals", "--reason", "bored"])
        compare_error(srv, cli, data, "reversed period (processed)", "/v1/departments/sales/processed",
                      {"from": "2026-11-20", "to": "2026-11-10"},
                      ["report", "processed", "--department", "sales", "--from", "2026-11-20", "--to", "2026-11-10"])
        compare_error(srv, cli, data, "reversed period (leads)", "/v1/leads/lost", {"from": "2026-11-20", "to": "2026-11-10"},
                      ["report", "lost-leads", "--from", "2026-11-20", "--to", "2026-11-10"])
    finally:
        srv.stop()
        print("server stopped (exit %s)" % srv.proc.returncode)
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)

    print("\nchecked: %s" % CHECKED)
    print("%d difference(s), %d note(s)" % (len(FAILS), len(NOTES)))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
