#!/usr/bin/env python3
"""compare_filters.py FILE DATADIR [BIN]: filters and cuts on one simulated ledger: calls --result/--reason, processed --from/--to,
audit --by/--reason/--department/--client/--from/--to, lead reports --type/--timezone, call timelines."""
import json, subprocess, sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle
from compare import diff
f, ddir = sys.argv[1], sys.argv[2]
# The ledger in DATADIR holds FILE's events; BIN defaults to the repository's debug build.
CL = os.path.join(sys.argv[3] if len(sys.argv) > 3 else
                  os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), ".build", "debug"),
                  "call-ledger")
def cli(*a):
    return json.loads(subprocess.run([CL, a[0], a[1], "--data", ddir] + list(a[2:]) + ["--format", "json"], capture_output=True, text=True, check=True).stdout)
m = oracle.Model(oracle.load_events(f))
bad = 0
def cmp(name, a, b):
    global bad
    out = []; diff(a, json.loads(json.dumps(b)), "$", out, ())
    for p, x, y, ctx in out[:5]:
        print("MISMATCH", name, p, "cli=", json.dumps(x, ensure_ascii=False)[:100], "oracle=", json.dumps(y, ensure_ascii=False)[:100], *ctx)
    bad += bool(out)
    if not out: print("OK", name, "(%d rows)" % (len(a) if isinstance(a, list) else -1))
tz = m.dept_tz("sales")
A, B = oracle.parse_bound("2026-11-16", tz), oracle.parse_bound("2026-11-18", tz)
for res in ["answered", "missed", "in_progress"]:
    cmp("calls --result " + res, cli("report", "calls", "--department", "sales", "--from", "2026-11-16", "--to", "2026-11-18", "--result", res), m.calls_list("sales", A, B, result=res))
for rs in oracle.REASONS:
    cmp("calls --reason " + rs, cli("report", "calls", "--department", "sales", "--from", "2026-11-16", "--to", "2026-11-18", "--reason", rs), m.calls_list("sales", A, B, reason=rs))
cmp("processed --from/--to", cli("report", "processed", "--department", "support", "--from", "2026-11-17", "--to", "2026-11-18"),
    m.processed("support", oracle.parse_bound("2026-11-17", tz), oracle.parse_bound("2026-11-18", tz), 500))
aud = m.audit_report()
people = sorted({a["by"] for a in aud})[:3]; clients = [a["client"] for a in aud][:2]
key = lambda l: {x["event_id"]: x for x in l}
for p in people:
    cmp("audit --by " + p, key(cli("audit", "dismissals", "--by", p)), key(m.audit_report(by=p)))
for r in ["spam", "duplicate", "other", "not_a_client", "called_back_other_channel"]:
    cmp("audit --reason " + r, key(cli("audit", "dismissals", "--reason", r)), key(m.audit_report(reason=r)))
cmp("audit --department billing", key(cli("audit", "dismissals", "--department", "billing")), key(m.audit_report(department="billing")))
for c in clients:
    pretty = "+%s (%s) %s-%s-%s" % (c[0], c[1:4], c[4:7], c[7:9], c[9:])
    cmp("audit --client " + pretty, key(cli("audit", "dismissals", "--client", pretty)), key(m.audit_report(client=pretty)))
cmp("audit --from/--to", key(cli("audit", "dismissals", "--from", "2026-11-17", "--to", "2026-11-18")),
    key(m.audit_report(frm=oracle.parse_bound("2026-11-17", oracle.UTC), to=oracle.parse_bound("2026-11-18", oracle.UTC))))
Z = oracle.ZoneInfo("Asia/Yekaterinburg")
for t in ["consultation", "purchase", "repair"]:
    cmp("lost-leads --type " + t, cli("report", "lost-leads", "--type", t), m.lost_leads(type_=t))
    cmp("employee-performance --type %s --tz Yekaterinburg 11-17" % t,
        cli("report", "employee-performance", "--type", t, "--timezone", "Asia/Yekaterinburg", "--from", "2026-11-17", "--to", "2026-11-18"),
        m.employee_performance(Z, oracle.parse_bound("2026-11-17", Z), oracle.parse_bound("2026-11-18", Z), t))
cmp("lost-leads tz", cli("report", "lost-leads", "--timezone", "Asia/Yekaterinburg", "--from", "2026-11-17"),
    m.lost_leads(Z, oracle.parse_bound("2026-11-17", Z), None))
cmp("lead-calls --type repair", cli("report", "lead-calls", "--type", "repair"), m.lead_calls(type_="repair"))
print("filters with mismatches:", bad)
sys.exit(1 if bad else 0)
