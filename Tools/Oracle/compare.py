#!/usr/bin/env python3
"""Compare the CLI's reports with the independent oracle on simulated traffic.

  compare.py [--seeds 1,2,3,42] [--late 0,0.2] [--days 3] [--bin .build/debug]
             [--work DIR] [--max 40] [--cuts] [--files a.ndjson,b.ndjson]
             [--live] [--only live] [--live-times 1T10:00,2T03:00,...] [--live-opt occupancy=readme,...]

--live adds the live panel (`report live --as-of T`) for every department at the --live-times
instants (day N of the simulation, local time of the department); --only live runs just those.
--live-opt passes the oracle's live switches (horizon_h, occupancy, sl_threshold, queue_call,
current_wait; see oracle.live_panel) to test the README's readings instead of the spec's.

For each (seed, late-fraction): simulate -> append to a fresh ledger -> run report
commands with --format json -> run the oracle (in-process) -> recursive diff.
Prints one line per mismatch: scenario | report | department | period | path | cli vs oracle | key.
Exits 1 when anything differs (the test suite runs it: Tests/LedgerCLITests/OracleTests.swift).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402

TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

# lists whose order the spec does not define: compare as maps keyed by this field
KEYED = {"agents": "agent", "types": "type", "employees": "assignee", "leads_list": "lead_id"}
# report-level lists keyed (order unspecified by the spec)
UNORDERED_TOP = {"audit": "event_id"}


def is_num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def diff(a, b, path, out, ctx):
    """a = CLI, b = oracle."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a:
                out.append((path + "." + str(k), "<absent>", b[k], ctx))
            elif k not in b:
                if a[k] is not None:
                    out.append((path + "." + str(k), a[k], "<absent>", ctx))
            else:
                c2 = ctx
                if k in ("call_id", "client", "lead_id", "agent") and isinstance(a[k], str):
                    c2 = ctx
                diff(a[k], b[k], path + "." + str(k), out, c2)
        return
    if isinstance(a, list) and isinstance(b, list):
        key = KEYED.get(path.rsplit(".", 1)[-1])
        if key and all(isinstance(x, dict) for x in a + b):
            ma = {x.get(key): x for x in a}
            mb = {x.get(key): x for x in b}
            for k in sorted(set(ma) | set(mb), key=lambda z: (z is None, str(z))):
                p = "%s[%s=%s]" % (path, key, k)
                if k not in ma:
                    out.append((p, "<absent>", "<row>", ctx))
                elif k not in mb:
                    out.append((p, "<row>", "<absent>", ctx))
                else:
                    diff(ma[k], mb[k], p, out, ctx)
            if [x.get(key) for x in a] != [x.get(key) for x in b] and set(ma) == set(mb) and key == "lead_id":
                pass  # order of leads_list is not defined by the spec
            return
        if len(a) != len(b):
            out.append((path + ".length", len(a), len(b), ctx))
        for i, (x, y) in enumerate(zip(a, b)):
            c2 = ctx
            if isinstance(x, dict):
                ident = x.get("call_id") or x.get("event_id") or x.get("lead_id")
                if x.get("client") and not x.get("call_id"):
                    ident = "client=%s" % x.get("client")
                if ident:
                    c2 = ctx + ((ident,) if isinstance(ident, str) and ident.startswith("client=") else ("id=%s" % ident,))
            diff(x, y, "%s[%d]" % (path, i), out, c2)
        return
    if is_num(a) and is_num(b):
        if a == b or abs(a - b) <= 1e-6 * max(abs(a), abs(b)) or abs(a - b) < 1e-9:
            return
        out.append((path, a, b, ctx))
        return
    if isinstance(a, str) and isinstance(b, str) and TS_RE.match(a) and TS_RE.match(b):
        if oracle.parse_ts(a) != oracle.parse_ts(b):
            out.append((path, a, b, ctx))
        elif a != b:
            out.append((path + " (format only)", a, b, ctx))
        return
    if path.endswith(".outcome") and a == "ringing" and b is None:
        return  # a ring still going on in an in-progress call: the CLI says "ringing" (spec silent)
    if path.endswith(".client") and a in ("", None) and b in ("", None):
        return  # hidden number shown as "" (CLI) or null (oracle): presentation only
    if a != b:
        out.append((path, a, b, ctx))


def sh(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s\n%s" % (" ".join(cmd), r.stderr[-2000:]))
    return r.stdout


def live_opts(spec):
    kw = {}
    for part in filter(None, spec.split(",")):
        k, v = part.split("=", 1)
        if k == "horizon_h":
            kw["horizon_ms"] = int(float(v) * 3600000)
        else:
            kw[k] = v
    return kw


def live_instants(times, D, m, start):
    tz = m.dept_tz(D)
    out = []
    for t in filter(None, times.split(",")):
        if re.match(r"^\d+T\d\d:\d\d$", t):
            n, hm = t.split("T")
            d = start + timedelta(days=int(n) - 1)
            h, mi = (int(x) for x in hm.split(":"))
            ms = oracle.local_midnight_ms(d, tz) + (h * 3600 + mi * 60) * 1000
            out.append(oracle.fmt_ts(ms, tz))
        else:
            out.append(t)
    return out


def live_compare(args, CL, f, ddir, scen, start, total, classes):
    evs = oracle.load_events(f)
    m_full = oracle.Model(evs)
    depts = sorted(d for d in (set(m_full.departments) | set(m_full.records)) if d)
    kw = live_opts(args.live_opt)
    models = {}
    for D in depts:
        for T in live_instants(args.live_times, D, m_full, start):
            cli = json.loads(sh([CL, "report", "live", "--data", ddir, "--department", D, "--as-of", T, "--format", "json"]))
            t = oracle.parse_ts(T)
            if t not in models:
                models[t] = oracle.Model([e for e in evs if e["t"] <= t])
            orc = json.loads(json.dumps(oracle.live_panel(models[t], D, t, **kw)))
            cli.get("service_level", {}).pop("formula", None)
            out = []
            diff(cli, orc, "$", out, ())
            total["live"] += 1
            for (p, x, y, ctx) in out[:args.max]:
                cls = re.sub(r"\[agent=[^\]]*\]", "[agent]", p)
                classes[("live", cls)] += 1
                print("MISMATCH %s | live | %s | %s | %s | cli=%s oracle=%s" % (
                    scen, D, T, p, json.dumps(x, ensure_ascii=False)[:120], json.dumps(y, ensure_ascii=False)[:120]))
            if not out:
                print("OK %s | live | %s | %s" % (scen, D, T))
            sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="1,2,3,42")
    ap.add_argument("--late", default="0,0.2")
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--start", default="2026-11-16")
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--bin", default=os.path.join(repo, ".build", "debug"), help="directory with call-ledger and simulate")
    ap.add_argument("--work", default="", help="scratch directory (default: a new temporary one)")
    ap.add_argument("--max", type=int, default=30, help="max lines printed per (scenario, report, path-class)")
    ap.add_argument("--cuts", action="store_true", help="also compare as-of-position and as-of cuts")
    ap.add_argument("--audit-hidden", default="include", choices=["include", "exclude"])
    ap.add_argument("--only", default="", help="comma list of report kinds")
    ap.add_argument("--files", default="", help="comma list of NDJSON case files to compare instead of simulating")
    ap.add_argument("--live", action="store_true", help="also compare the live panel")
    ap.add_argument("--live-times", default="1T10:00,1T12:30,1T13:30,1T15:45,1T18:05,2T03:00,2T10:00,2T12:30,2T15:45,2T18:05",
                    help="dayNTHH:MM local instants (day 1 = --start); with --files, full RFC 3339 instants also work")
    ap.add_argument("--live-opt", default="", help="oracle live switches, e.g. occupancy=readme,horizon_h=6")
    args = ap.parse_args()
    CL = os.path.join(args.bin, "call-ledger")
    SIM = os.path.join(args.bin, "simulate")
    args.work = args.work or tempfile.mkdtemp(prefix="oracle-compare-")
    os.makedirs(args.work, exist_ok=True)
    total = Counter()
    classes = Counter()
    only = set(filter(None, args.only.split(",")))
    start = date.fromisoformat(args.start)
    if args.files:
        scenarios = [(os.path.basename(f), f, None) for f in args.files.split(",")]
    else:
        scenarios = [("seed=%d late=%g days=%d" % (seed, late, args.days),
                      os.path.join(args.work, "s%d-l%g.ndjson" % (seed, late)), (seed, late))
                     for seed in [int(s) for s in args.seeds.split(",")]
                     for late in [float(x) for x in args.late.split(",")]]
    for scen, f, sim in scenarios:
        if True:
            if sim:
                seed, late = sim
                sh([SIM, "--seed", str(seed), "--days", str(args.days), "--start", args.start,
                    "--late-fraction", str(late), "-o", f])
            ddir = os.path.join(args.work, "d-" + re.sub(r"[^A-Za-z0-9.]", "_", scen))
            shutil.rmtree(ddir, ignore_errors=True)
            sh([CL, "append", "--data", ddir, f])
            n_lines = sum(1 for _ in open(f))
            cuts = [("full", [], dict())]
            if args.cuts:
                half = n_lines // 2
                t_mid = (start + timedelta(days=1)).isoformat() + "T13:30:00+03:00"
                cuts.append(("pos=%d" % half, ["--as-of-position", str(half)], dict(as_of_position=half)))
                cuts.append(("at<=%s" % t_mid, ["--as-of", t_mid], dict(as_of=t_mid)))
            for cutname, cutargs, cutkw in (cuts if (not only or only - {"live"}) else []):
                evs = oracle.load_events(f, **cutkw)
                m = oracle.Model(evs, audit_hidden=args.audit_hidden)
                depts = sorted(d for d in (set(m.departments) | set(m.records)) if d)
                end = start + timedelta(days=args.days + 1)
                periods = [(start.isoformat(), end.isoformat(), None),
                           ((start + timedelta(days=1)).isoformat(), (start + timedelta(days=2)).isoformat(), None),
                           (start.isoformat(), (start + timedelta(days=7)).isoformat(), "day"),
                           ((start - timedelta(days=2)).isoformat(), (start + timedelta(days=12)).isoformat(), "week"),
                           (start.isoformat(), end.isoformat(), "month")]
                jobs = []
                for D in depts:
                    for (a, b, by) in periods:
                        extra = ["--by", by] if by else []
                        jobs.append(("department", D, "%s..%s%s" % (a, b, " by " + by if by else ""),
                                     ["report", "department", "--department", D, "--from", a, "--to", b] + extra,
                                     lambda D=D, a=a, b=b, by=by: m.department_report(D, a, b, by)))
                    for (a, b, by) in periods[:2]:
                        tz = m.dept_tz(D)
                        jobs.append(("calls", D, "%s..%s" % (a, b),
                                     ["report", "calls", "--department", D, "--from", a, "--to", b],
                                     lambda D=D, a=a, b=b, tz=tz: m.calls_list(D, oracle.parse_bound(a, tz), oracle.parse_bound(b, tz))))
                    jobs.append(("unprocessed", D, "-", ["report", "unprocessed", "--department", D],
                                 lambda D=D: m.unprocessed(D)))
                    jobs.append(("processed", D, "-", ["report", "processed", "--department", D, "--limit", "100000"],
                                 lambda D=D: m.processed(D)))
                jobs.append(("audit", "*", "-", ["audit", "dismissals"], lambda: m.audit_report()))
                jobs.append(("lead-conversion", "*", "-", ["report", "lead-conversion"], lambda: m.lead_conversion()))
                jobs.append(("lost-leads", "*", "-", ["report", "lost-leads"], lambda: m.lost_leads()))
                jobs.append(("employee-performance", "*", "-", ["report", "employee-performance"], lambda: m.employee_performance()))
                jobs.append(("lead-calls", "*", "-", ["report", "lead-calls"], lambda: m.lead_calls()))
                a1, b1 = (start + timedelta(days=1)).isoformat(), (start + timedelta(days=2)).isoformat()
                jobs.append(("lead-conversion", "*", a1 + ".." + b1 + " tz=Europe/Moscow",
                             ["report", "lead-conversion", "--from", a1, "--to", b1, "--timezone", "Europe/Moscow"],
                             lambda: m.lead_conversion(oracle.ZoneInfo("Europe/Moscow"),
                                                       oracle.parse_bound(a1, oracle.ZoneInfo("Europe/Moscow")),
                                                       oracle.parse_bound(b1, oracle.ZoneInfo("Europe/Moscow")))))
                for (kind, D, per, cmd, fn) in jobs:
                    if only and kind not in only:
                        continue
                    cli = json.loads(sh([CL] + cmd[:2] + ["--data", ddir] + cmd[2:] + cutargs + ["--format", "json"]))
                    orc = json.loads(json.dumps(fn()))
                    if kind == "audit":
                        ka = {x["event_id"]: x for x in cli}
                        kb = {x["event_id"]: x for x in orc}
                        cli, orc = ka, kb
                    if kind in ("lead-conversion",):
                        cli.pop("from", None); cli.pop("to", None); orc.pop("from", None); orc.pop("to", None)
                    out = []
                    diff(cli, orc, "$", out, ())
                    total[(kind)] += 1
                    shown = Counter()
                    for (p, x, y, ctx) in out:
                        cls = re.sub(r"\[\d+\]", "[]", p)
                        cls = re.sub(r"\[(event_id|agent|lead_id|type|assignee)=[^\]]*\]", r"[\1]", cls)
                        if kind == "audit":
                            cls = re.sub(r"^\$\.[^.]+", "$[*]", cls)
                        classes[(kind, cls)] += 1
                        shown[cls] += 1
                        if shown[cls] <= args.max:
                            print("MISMATCH %s %s | %s | %s | %s | %s | cli=%s oracle=%s | %s" % (
                                scen, cutname, kind, D, per, p, json.dumps(x, ensure_ascii=False)[:120],
                                json.dumps(y, ensure_ascii=False)[:120], " ".join(ctx)))
                    if not out:
                        print("OK %s %s | %s | %s | %s" % (scen, cutname, kind, D, per))
                    sys.stdout.flush()
            if args.live or "live" in only:
                live_compare(args, CL, f, ddir, scen, start, total, classes)
    print("\n== reports compared:", dict(total))
    print("== mismatch classes (kind, path): count")
    for (k, c), n in sorted(classes.items(), key=lambda x: -x[1]):
        print("  %6d  %s  %s" % (n, k, c))
    if not classes:
        print("  none")
    sys.exit(1 if classes else 0)


if __name__ == "__main__":
    main()
