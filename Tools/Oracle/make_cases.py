#!/usr/bin/env python3
"""Writes small hand-made NDJSON cases to /tmp/oracle-cases/ (edge cases the simulator rarely makes).
Run compare.py --files on them. Day 2026-11-16 is a Monday; sales = Europe/Moscow, 09:00-18:00 Mon-Fri."""
import json
import os
import sys

# Where write() puts the cases (main() sets it from the command line).
OUT = "/tmp/oracle-cases"

HOURS = {d: [["09:00", "18:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]}


class Case:
    def __init__(self, name):
        self.name = name
        self.lines = []
        self.n = 0

    def ev(self, type_, at, **data):
        self.n += 1
        if "T" not in at:
            at = "2026-11-16T" + at
        if not (at.endswith("Z") or "+" in at[10:]):
            at = at + "+03:00"
        self.lines.append({"id": "%s-%03d" % (self.name, self.n), "type": type_, "at": at, "data": data})
        return self

    def setup(self, depts=("sales",), agents=None, hours=HOURS):
        for d in depts:
            extra = {"hours": hours} if hours is not None else {}
            self.ev("department.configured", "2026-11-16T00:00:00.000", department=d, timezone="Europe/Moscow", **extra)
        for a, d in (agents or {"s.ann": "sales", "s.bob": "sales"}).items():
            self.ev("agent.joined", "2026-11-16T00:00:00.000", agent=a, department=d, name=a.upper())
        return self

    def inbound(self, cid, client, start, steps, dept="sales"):
        """steps: list of (type, at, dict)"""
        self.ev("call.started", start, call_id=cid, direction="inbound", client=client, line="+74950000000", department=dept)
        for (t, at, d) in steps:
            self.ev(t, at, call_id=cid, **d)
        return self

    def outbound(self, cid, client, agent, start, answered=None, end=None, dept=None):
        d = dict(call_id=cid, direction="outbound", client=client, line="+74950000000", agent=agent)
        if dept:
            d["department"] = dept
        self.ev("call.started", start, **d)
        if answered:
            self.ev("call.answered", answered, call_id=cid, agent=agent)
        if end:
            self.ev("call.ended", end, call_id=cid, by="agent")
        return self

    def missed_simple(self, cid, client, start, end, dept="sales", ring=None):
        steps = [("call.queued", bump(start, 2), {"department": dept})]
        if ring:
            steps += [("call.ringing", bump(start, 3), {"agent": ring}),
                      ("call.ring_ended", bump(start, 20), {"agent": ring, "outcome": "no_answer"})]
        steps.append(("call.ended", end, {"by": "client"}))
        return self.inbound(cid, client, start, steps, dept)

    def answered_simple(self, cid, client, start, agent, ans, end, dept="sales"):
        return self.inbound(cid, client, start, [("call.queued", bump(start, 2), {"department": dept}),
                                                  ("call.ringing", bump(start, 3), {"agent": agent}),
                                                  ("call.answered", ans, {"agent": agent}),
                                                  ("call.ended", end, {"by": "agent"})], dept)

    def write(self, lines=None):
        with open(os.path.join(OUT, self.name + ".ndjson"), "w") as f:
            for e in (lines or self.lines):
                f.write(json.dumps(e, ensure_ascii=False) + "\n")


def bump(at, s):
    """at 'HH:MM:SS.mmm' (+ optional date) -> +s seconds (same day assumed)."""
    from datetime import datetime, timedelta
    full = at if "T" in at else "2026-11-16T" + at
    dt = datetime.fromisoformat(full.replace("+03:00", "")) + timedelta(seconds=s)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d" % (dt.microsecond // 1000)


def main():
    global OUT
    OUT = sys.argv[1] if len(sys.argv) > 1 else OUT
    os.makedirs(OUT, exist_ok=True)
    X1, X2, X3 = "+79990000001", "+79990000002", "+79990000003"

    # A: callback attempt at the same instant the call becomes missed: attempts come first -> not counted
    c = Case("same_instant_attempt").setup()
    c.missed_simple("A1", X1, "10:00:00.000", "10:01:00.000")
    c.outbound("O1", X1, "s.ann", "10:01:00.000", end="10:01:30.000")
    c.outbound("O2", X1, "s.ann", "10:05:00.000", end="10:05:30.000")
    c.write()

    # B: inbound answered at the same instant another call of X becomes missed: missed first, then contact closes it
    c = Case("same_instant_contact").setup()
    c.missed_simple("B1", X1, "10:00:00.000", "10:01:00.000")
    c.answered_simple("B2", X1, "10:00:30.000", "s.bob", "10:01:00.000", "10:03:00.000")
    c.write()

    # C: dismissal at the same instant as a callback connects: contact first, dismissal finds no open episode
    c = Case("same_instant_dismissal").setup()
    c.missed_simple("C1", X1, "10:00:00.000", "10:01:00.000")
    c.outbound("C2", X1, "s.ann", "10:10:00.000", answered="10:10:10.000", end="10:12:00.000")
    c.ev("missed.handled", "10:10:10.000", department="sales", client=X1, by="boss", reason="duplicate")
    c.write()

    # D: a ring with no ring_ended is closed by the end (caller_hung_up) or the answer (answered_elsewhere)
    c = Case("ring_closing").setup()
    c.inbound("D1", X1, "10:00:00.000", [("call.queued", "10:00:02.000", {"department": "sales"}),
                                          ("call.ringing", "10:00:03.000", {"agent": "s.ann"}),
                                          ("call.ended", "10:00:40.000", {"by": "client"})])
    c.inbound("D2", X2, "11:00:00.000", [("call.queued", "11:00:02.000", {"department": "sales"}),
                                          ("call.ringing", "11:00:03.000", {"agent": "s.ann"}),
                                          ("call.ringing", "11:00:03.500", {"agent": "s.bob"}),
                                          ("call.answered", "11:00:08.000", {"agent": "s.bob"}),
                                          ("call.ended", "11:02:00.000", {"by": "agent"})])
    c.write()

    # F: configuration change in force from its `at`; the new config arrives late in the log
    c = Case("config_change_late").setup()
    c.missed_simple("F1", X1, "11:00:00.000", "11:01:00.000")
    c.missed_simple("F2", X2, "12:30:00.000", "12:31:00.000")
    c.ev("department.configured", "2026-11-16T12:00:00.000", department="sales", timezone="Europe/Moscow",
         hours={d: [["13:00", "18:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]}, short_abandon_s=30)
    c.inbound("F3", X3, "13:30:00.000", [("call.ended", "13:30:20.000", {"by": "client"})])
    c.write()

    # G: hidden numbers and normalisation
    c = Case("hidden_normalise").setup()
    c.missed_simple("G1", "unavailable", "10:00:00.000", "10:01:00.000")
    c.missed_simple("G2", "Anonymous", "10:10:00.000", "10:11:00.000")
    c.missed_simple("G3", "0079991234567", "10:20:00.000", "10:21:00.000")
    c.missed_simple("G4", "+7 (999) 123-45-67", "10:30:00.000", "10:31:00.000")
    c.missed_simple("G5", " PRIVATE ", "10:40:00.000", "10:41:00.000")
    c.missed_simple("G6", "+", "10:50:00.000", "10:51:00.000")
    c.ev("missed.handled", "12:00:00.000", department="sales", client="8-(999)-123-45-67", by="boss", reason="spam")
    c.ev("missed.handled", "12:01:00.000", department="sales", client="+7 999 123 45 67", by="boss", reason="spam")
    c.write()

    # H: overflow A -> B answered in B; I: overflow then still in progress
    c = Case("overflow").setup(depts=("sales", "support"), agents={"s.ann": "sales", "t.tom": "support"})
    c.inbound("H1", X1, "10:00:00.000", [("call.queued", "10:00:02.000", {"department": "sales"}),
                                          ("call.queued", "10:01:02.000", {"department": "support"}),
                                          ("call.ringing", "10:01:02.000", {"agent": "t.tom"}),
                                          ("call.answered", "10:01:05.000", {"agent": "t.tom"}),
                                          ("call.ended", "10:03:00.000", {"by": "agent"})])
    c.inbound("I1", X2, "11:00:00.000", [("call.queued", "11:00:02.000", {"department": "sales"}),
                                          ("call.ringing", "11:00:03.000", {"agent": "s.ann"}),
                                          ("call.ring_ended", "11:00:20.000", {"agent": "s.ann", "outcome": "no_answer"}),
                                          ("call.queued", "11:01:02.000", {"department": "support"})])
    c.write()

    # J: A -> B -> A, missed; waits add up in A
    c = Case("aba").setup(depts=("sales", "support"), agents={"s.ann": "sales", "t.tom": "support"})
    c.inbound("J1", X1, "10:00:00.000", [("call.queued", "10:00:02.000", {"department": "sales"}),
                                          ("call.queued", "10:00:12.000", {"department": "support"}),
                                          ("call.ringing", "10:00:13.000", {"agent": "t.tom"}),
                                          ("call.ring_ended", "10:00:20.000", {"agent": "t.tom", "outcome": "rejected"}),
                                          ("call.queued", "10:00:32.000", {"department": "sales"}),
                                          ("call.ended", "10:01:02.000", {"by": "client"})])
    c.write()

    # K: abandoned_short boundary (strict), by agent; L: greeting / IVR / nothing
    c = Case("abandon_rules").setup()
    c.inbound("K1", X1, "10:00:00.000", [("call.ended", "10:00:10.000", {"by": "client"})])
    c.inbound("K2", X2, "10:10:00.000", [("call.ended", "10:10:09.999", {"by": "client"})])
    c.inbound("K3", X3, "10:20:00.000", [("call.ended", "10:20:05.000", {"by": "system"})])
    c.inbound("L1", "+79990000004", "10:30:00.000", [("call.greeting", "10:30:01.000", {}), ("call.ended", "10:30:30.000", {"by": "client"})])
    c.inbound("L2", "+79990000005", "10:40:00.000", [("call.greeting", "10:40:01.000", {}), ("call.ivr", "10:40:05.000", {}),
                                                       ("call.ended", "10:40:30.000", {"by": "client"})])
    c.inbound("L3", "+79990000006", "10:50:00.000", [("call.ended", "10:50:30.000", {"by": "client"})])
    c.inbound("L4", "+79990000007", "11:00:00.000", [("call.greeting", "11:00:01.000", {}),
                                                       ("call.routing_failed", "11:00:03.000", {"cause": "forbidden_destination"}),
                                                       ("call.ended", "11:00:04.000", {"by": "system"})])
    c.inbound("L5", "+79990000008", "11:10:00.000", [("call.greeting", "11:10:01.000", {}),
                                                       ("call.queued", "11:10:03.000", {"department": "sales"}),
                                                       ("call.ended", "11:10:05.000", {"by": "client"})])
    c.write()

    # N: started on sales' line but queued in support only -> a support call; O: queue after answer = transfer
    c = Case("dept_membership").setup(depts=("sales", "support"), agents={"s.ann": "sales", "t.tom": "support"})
    c.inbound("N1", X1, "10:00:00.000", [("call.queued", "10:00:02.000", {"department": "support"}),
                                          ("call.ended", "10:01:00.000", {"by": "client"})])
    c.inbound("O1", X2, "11:00:00.000", [("call.queued", "11:00:02.000", {"department": "sales"}),
                                          ("call.ringing", "11:00:03.000", {"agent": "s.ann"}),
                                          ("call.answered", "11:00:05.000", {"agent": "s.ann"}),
                                          ("call.transferred", "11:01:00.000", {"agent": "s.ann", "to_department": "support"}),
                                          ("call.queued", "11:01:00.000", {"department": "support"}),
                                          ("call.ended", "11:03:00.000", {"by": "agent"})])
    c.write()

    # P: Section II end-of-day status and resolved_within
    c = Case("end_of_day").setup()
    c.missed_simple("P1", X1, "17:00:00.000", "17:01:00.000")
    c.outbound("P2", X1, "s.ann", "2026-11-17T09:00:00.000", answered="2026-11-17T09:00:10.000", end="2026-11-17T09:01:00.000")
    c.missed_simple("P3", X2, "23:58:00.000", "23:59:59.999")
    c.outbound("P4", X2, "s.ann", "2026-11-16T23:59:59.999", answered="2026-11-17T00:00:00.000", end="2026-11-17T00:01:00.000")
    c.missed_simple("P5", X3, "12:00:00.000", "12:01:00.000")
    c.outbound("P6", X3, "s.ann", "12:02:00.000", end="12:02:30.000")
    c.outbound("P7", X3, "s.bob", "12:06:00.000", answered="12:06:00.000", end="12:07:00.000")
    c.write()

    # Q: callback "of the department": membership at that time vs the outbound call's department
    c = Case("callback_dept").setup(depts=("sales", "billing"), agents={"s.ann": "sales", "b.bill": "billing"})
    c.missed_simple("Q1", X1, "10:00:00.000", "10:01:00.000")
    c.outbound("Q2", X1, "b.bill", "10:05:00.000", answered="10:05:05.000", end="10:06:00.000")
    c.missed_simple("Q3", X2, "10:00:00.000", "10:01:00.000")
    c.outbound("Q4", X2, "b.bill", "10:05:00.000", answered="10:05:05.000", end="10:06:00.000", dept="sales")
    c.missed_simple("Q5", X3, "10:00:00.000", "10:01:00.000")
    c.outbound("Q6", X3, "n.new", "10:05:00.000", end="10:05:30.000")
    c.ev("agent.joined", "10:06:00.000", agent="n.new", department="sales", name="New")
    c.outbound("Q7", X3, "n.new", "10:07:00.000", answered="10:07:05.000", end="10:08:00.000")
    c.write()

    # R: Section III agents: left, rung non-member, rejected then answered
    c = Case("agents").setup(depts=("sales", "support"), agents={"s.ann": "sales", "s.bob": "sales", "t.tom": "support"})
    c.inbound("R1", X1, "10:00:00.000", [("call.queued", "10:00:02.000", {"department": "sales"}),
                                          ("call.ringing", "10:00:03.000", {"agent": "s.ann"}),
                                          ("call.ring_ended", "10:00:05.000", {"agent": "s.ann", "outcome": "rejected"}),
                                          ("call.ringing", "10:00:06.000", {"agent": "t.tom"}),
                                          ("call.ring_ended", "10:00:16.000", {"agent": "t.tom", "outcome": "no_answer"}),
                                          ("call.ringing", "10:00:17.000", {"agent": "s.ann"}),
                                          ("call.answered", "10:00:19.000", {"agent": "s.ann"}),
                                          ("call.ended", "10:02:00.000", {"by": "agent"})])
    c.missed_simple("R2", X2, "11:00:00.000", "11:01:00.000", ring="s.bob")
    c.ev("agent.left", "2026-11-17T12:00:00.000", agent="s.bob", department="sales")
    c.outbound("R3", X2, "s.bob", "11:30:00.000", end="11:30:30.000")
    c.outbound("R4", X2, "s.bob", "11:40:00.000", end="11:40:30.000")
    c.outbound("R5", X2, "t.tom", "11:50:00.000", end="11:50:30.000")
    c.write()

    # S: audit: hidden-number dismissal, dismissal with no episode, attempts_before, contacted_later
    c = Case("audit").setup()
    c.ev("missed.handled", "09:30:00.000", department="sales", client="anonymous", by="boss", reason="spam")
    c.ev("missed.handled", "09:31:00.000", department="sales", client=X3, by="boss", reason="other", comment="never called")
    c.missed_simple("S1", X1, "10:00:00.000", "10:01:00.000")
    c.outbound("S2", X1, "s.ann", "10:05:00.000", end="10:05:30.000")
    c.ev("missed.handled", "10:10:00.000", department="sales", client=X1, by="s.ann", reason="called_back_other_channel")
    c.answered_simple("S3", X1, "11:00:00.000", "s.bob", "11:00:05.000", "11:02:00.000")
    c.write()

    # U: leads edge cases
    c = Case("leads")
    c.ev("lead.assigned", "2026-11-16T09:00:00.000Z", lead_id="L1", assignee="p.two")
    c.ev("lead.created", "2026-11-16T08:00:00.000Z", lead_id="L1", type="repair", client=X1, assignee="p.one")
    c.ev("lead.status_changed", "2026-11-16T10:00:00.000Z", lead_id="L1", status="price", group="closed_failure")
    c.ev("lead.status_changed", "2026-11-16T11:00:00.000Z", lead_id="L1", status="in_work", group="in_progress")
    c.ev("lead.status_changed", "2026-11-16T12:00:00.000Z", lead_id="L1", status="too_slow", group="closed_failure")
    c.ev("lead.converted", "2026-11-16T13:00:00.000Z", lead_id="L1", into="sale", amount=10)
    c.ev("lead.created", "2026-11-16T23:30:00.000Z", lead_id="L2", type="repair")
    c.ev("lead.converted", "2026-11-17T01:00:00.000Z", lead_id="L2", into="order")
    c.ev("lead.converted", "2026-11-17T02:00:00.000Z", lead_id="L2", into="sale")
    c.ev("lead.status_changed", "2026-11-17T03:00:00.000Z", lead_id="L3", status="price", group="closed_failure")
    c.ev("lead.created", "2026-11-16T12:00:00.000Z", lead_id="L4", type="buy", assignee="p.one")
    c.ev("lead.status_changed", "2026-11-16T13:00:00.000Z", lead_id="L4", status="price", group="closed_failure")
    c.ev("lead.status_changed", "2026-11-16T14:00:00.000Z", lead_id="L4", status="changed_mind", group="closed_failure")
    c.write()

    # W: unconfigured department (UTC, always open) and tz change
    c = Case("unconfigured")
    c.ev("agent.joined", "2026-11-16T00:00:00.000", agent="m.max", department="misc")
    c.missed_simple("W1", X1, "02:00:00.000", "02:01:00.000", dept="misc")
    c.missed_simple("W2", X2, "2026-11-16T23:30:00.000+00:00", "2026-11-16T23:31:00.000+00:00", dept="misc")
    c.write()

    # JJ: same-instant missed calls of one client ordered by call_id; overlapping calls
    c = Case("same_instant_missed").setup()
    c.missed_simple("ZZ9", X1, "10:00:00.000", "10:02:00.000")
    c.missed_simple("AA1", X1, "10:01:00.000", "10:02:00.000")
    c.missed_simple("MM5", X1, "09:59:00.000", "10:03:00.000")
    c.write()

    # HH: call in progress (no end); answered call without end
    c = Case("in_progress").setup()
    c.inbound("HH1", X1, "10:00:00.000", [("call.queued", "10:00:02.000", {"department": "sales"}),
                                           ("call.ringing", "10:00:03.000", {"agent": "s.ann"})])
    c.inbound("HH2", X2, "10:10:00.000", [("call.queued", "10:10:02.000", {"department": "sales"}),
                                           ("call.ringing", "10:10:03.000", {"agent": "s.ann"}),
                                           ("call.answered", "10:10:05.000", {"agent": "s.ann"})])
    c.write()

    # EE: ring before any queue, call answered with no department at all closes episodes
    c = Case("no_department").setup()
    c.missed_simple("E1", X1, "10:00:00.000", "10:01:00.000")
    c.ev("call.started", "10:30:00.000", call_id="E2", direction="inbound", client=X1, line="+74959999999")
    c.ev("call.answered", "10:30:05.000", call_id="E2", agent="x.ext")
    c.ev("call.ended", "10:31:00.000", call_id="E2", by="client")
    c.write()

    print("written to", OUT)

    # ---------------- batch 2
    # period edges: call started exactly at local midnight; missed after midnight (opened next day)
    c = Case("period_edges").setup(hours=None)
    c.missed_simple("PE1", X1, "2026-11-17T00:00:00.000", "2026-11-17T00:01:00.000")
    c.missed_simple("PE2", X2, "2026-11-16T23:59:00.000", "2026-11-17T00:00:30.000")
    c.missed_simple("PE3", X3, "2026-11-16T23:59:59.999", "2026-11-17T00:00:31.000")
    c.ev("agent.left", "2026-11-17T00:00:00.000", agent="s.bob", department="sales")
    c.ev("agent.joined", "2026-11-17T00:00:00.000", agent="s.cat", department="sales", name="Cat")
    c.write()

    # DST: Europe/Berlin, 2026-10-25 is the switch back (25 hours)
    c = Case("dst_berlin")
    c.ev("department.configured", "2026-10-20T00:00:00.000+02:00", department="de", timezone="Europe/Berlin")
    for i, at in enumerate(["2026-10-24T23:30:00.000+02:00", "2026-10-25T00:30:00.000+02:00", "2026-10-25T02:30:00.000+02:00",
                            "2026-10-25T02:30:00.000+01:00", "2026-10-25T23:30:00.000+01:00", "2026-10-26T00:30:00.000+01:00",
                            "2026-11-01T23:59:00.000+01:00", "2026-11-02T00:00:00.000+01:00"]):
        cid = "DST%d" % i
        c.ev("call.started", at, call_id=cid, direction="inbound", client="+4930000000%d" % i, line="+49", department="de")
        c.ev("call.ended", bump(at[:23], 40) + at[23:], call_id=cid, by="client")
    c.write()

    # time zone change: Moscow then Yekaterinburg (+05)
    c = Case("tz_change")
    c.ev("department.configured", "2026-11-16T00:00:00.000+03:00", department="sales", timezone="Europe/Moscow")
    c.ev("department.configured", "2026-11-17T00:00:00.000+03:00", department="sales", timezone="Asia/Yekaterinburg",
         hours={d: [["09:00", "18:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]})
    c.missed_simple("TZ1", X1, "2026-11-16T22:30:00.000", "2026-11-16T22:31:00.000")
    c.missed_simple("TZ2", X2, "2026-11-17T07:30:00.000", "2026-11-17T07:31:00.000")
    c.write()

    # dismissals: wrong department, twice, hidden; calls-list filters
    c = Case("dismissals2").setup(depts=("sales", "support"), agents={"s.ann": "sales", "t.tom": "support"})
    c.missed_simple("DM1", X1, "10:00:00.000", "10:01:00.000")
    c.ev("missed.handled", "10:05:00.000", department="support", client=X1, by="boss", reason="spam")
    c.ev("missed.handled", "10:06:00.000", department="sales", client="+7 (999) 000-00-01", by="boss", reason="other", comment="x")
    c.ev("missed.handled", "10:07:00.000", department="sales", client=X1, by="boss", reason="duplicate")
    c.outbound("DM2", X1, "s.ann", "10:08:00.000", answered="10:08:05.000", end="10:09:00.000")
    c.missed_simple("DM3", X1, "11:00:00.000", "11:01:00.000")
    c.outbound("DM4", "8 999 000 00 01", "s.ann", "11:05:00.000", answered="11:05:05.000", end="11:06:00.000")
    c.write()

    # multi-department episodes closed by one contact; attempts counted in both; Section III attempts
    c = Case("multi_dept_contact").setup(depts=("sales", "support"), agents={"s.ann": "sales", "t.tom": "support"})
    c.missed_simple("MD1", X1, "10:00:00.000", "10:01:00.000", dept="sales")
    c.missed_simple("MD2", X1, "10:02:00.000", "10:03:00.000", dept="support")
    c.outbound("MD3", X1, "t.tom", "10:04:00.000", end="10:04:30.000")
    c.outbound("MD4", X1, "x.out", "10:05:00.000", end="10:05:30.000", dept="sales")
    c.outbound("MD5", X1, "s.ann", "10:06:00.000", answered="10:06:03.000", end="10:07:00.000")
    c.write()

    # hours edge: 24:00 end, closed day absent, sunday
    c = Case("hours_edges")
    c.ev("department.configured", "2026-11-16T00:00:00.000+03:00", department="sales", timezone="Europe/Moscow",
         hours={"mon": [["00:00", "24:00"]], "tue": [["09:00", "18:00"]]})
    c.missed_simple("HE1", X1, "2026-11-16T23:59:30.000", "2026-11-16T23:59:50.000")
    c.missed_simple("HE2", X2, "2026-11-17T18:00:00.000", "2026-11-17T18:00:50.000")
    c.missed_simple("HE3", X3, "2026-11-17T08:59:59.999", "2026-11-17T09:00:50.000")
    c.missed_simple("HE4", "+79990000009", "2026-11-18T12:00:00.000", "2026-11-18T12:00:50.000")
    c.write()

    # mixed offsets at the same instant (Z vs +03:00) for episode ordering: attempt (Z) vs missed (+03:00)
    c = Case("mixed_offsets").setup()
    c.missed_simple("MO1", X1, "10:00:00.000", "10:01:00.000")
    c.ev("call.started", "2026-11-16T07:01:00.000Z", call_id="MO2", direction="outbound", client=X1, agent="s.ann")
    c.ev("call.answered", "2026-11-16T07:01:00.000Z", call_id="MO2", agent="s.ann")
    c.ev("call.ended", "2026-11-16T07:02:00.000Z", call_id="MO2", by="agent")
    c.write()
    print("batch 2 written")

    # ---------------- batch 3
    # overflow with an unclosed ring in A, answered in B: robustness rule says answered_elsewhere
    c = Case("overflow_ring").setup(depts=("sales", "support"), agents={"s.ann": "sales", "t.tom": "support"})
    c.inbound("OR1", X1, "10:00:00.000", [("call.queued", "10:00:02.000", {"department": "sales"}),
                                           ("call.ringing", "10:00:03.000", {"agent": "s.ann"}),
                                           ("call.queued", "10:01:02.000", {"department": "support"}),
                                           ("call.ringing", "10:01:02.000", {"agent": "t.tom"}),
                                           ("call.answered", "10:01:05.000", {"agent": "t.tom"}),
                                           ("call.ended", "10:03:00.000", {"by": "agent"})])
    # answered without any ring, by a non-member; two open rings of one agent; ring_ended same instant as ringing
    c.inbound("OR2", X2, "11:00:00.000", [("call.queued", "11:00:02.000", {"department": "sales"}),
                                           ("call.answered", "11:00:05.000", {"agent": "x.nobody"}),
                                           ("call.ended", "11:03:00.000", {"by": "agent"})])
    c.inbound("OR3", X3, "12:00:00.000", [("call.queued", "12:00:02.000", {"department": "sales"}),
                                           ("call.ring_ended", "12:00:03.000", {"agent": "s.ann", "outcome": "no_answer"}),
                                           ("call.ringing", "12:00:03.000", {"agent": "s.ann"}),
                                           ("call.ringing", "12:00:10.000", {"agent": "s.ann"}),
                                           ("call.ring_ended", "12:00:20.000", {"agent": "s.ann", "outcome": "rejected"}),
                                           ("call.answered", "12:00:30.000", {"agent": "s.bob"}),
                                           ("call.ended", "12:03:00.000", {"by": "agent"})])
    # outbound with no agent in call.started: dialler from call.answered
    c.missed_simple("OR4", "+79990000004", "13:00:00.000", "13:01:00.000")
    c.ev("call.started", "13:05:00.000", call_id="OR5", direction="outbound", client="+79990000004", department="sales")
    c.ev("call.answered", "13:05:05.000", call_id="OR5", agent="s.bob")
    c.ev("call.ended", "13:06:00.000", call_id="OR5", by="agent")
    c.write()

    # Section III: joined and left before the period; attempts over several episodes
    c = Case("agents2").setup()
    c.ev("agent.joined", "2026-11-15T10:00:00.000", agent="s.old", department="sales", name="Old")
    c.ev("agent.left", "2026-11-15T11:00:00.000", agent="s.old", department="sales")
    c.ev("agent.joined", "2026-11-16T10:00:00.000", agent="s.ann", department="sales", name="Ann Renamed")
    c.missed_simple("A21", X1, "10:00:00.000", "10:01:00.000")
    c.missed_simple("A22", X2, "10:00:00.000", "10:01:00.000")
    c.outbound("A23", X1, "s.ann", "10:02:00.000", end="10:02:30.000")
    c.outbound("A24", X1, "s.ann", "10:03:00.000", end="10:03:30.000")
    c.outbound("A25", X2, "s.ann", "10:04:00.000", end="10:04:30.000")
    c.outbound("A26", X3, "s.ann", "10:05:00.000", end="10:05:30.000")
    c.outbound("A27", X1, "s.old", "10:06:00.000", end="10:06:30.000")
    c.write()
    print("batch 3 written")

    # ---------------- batch 4
    # outbound started before the episode opened, answered after: closes it, but is not an attempt "started while open"
    c = Case("callback_started_before").setup()
    c.missed_simple("CB1", X1, "10:00:00.000", "10:01:00.000")
    c.outbound("CB2", X1, "s.ann", "10:00:50.000", answered="10:01:10.000", end="10:02:00.000")
    # two contacts at the same instant closing two departments' episodes; removed at exactly `to`
    c.ev("agent.left", "2026-11-17T00:00:00.000", agent="s.bob", department="sales")
    c.write()
    print("batch 4 written")


if __name__ == "__main__":
    main()
