#!/usr/bin/env python3
"""Hand-made cases for the live panel (and hours crossing midnight in the department report).

  make_live_cases.py [OUT] [--run [--bin DIR] [--live-opt k=v,...]]

Writes OUT/<case>.ndjson (default /tmp/oracle-live-cases-in) and OUT/instants.json
({case: {"live": [[department, T], ...], "department": [[department, from, to], ...]}}).
With --run, appends each case to a fresh ledger, runs `report live --as-of T` (and
`report department`) and diffs against oracle.py; prints OK / MISMATCH lines, exit 1 on any.
Day 2026-11-16 is a Monday; sales and support are Europe/Moscow, 09:00-18:00 Mon-Fri, service level 20 s.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_cases  # noqa: E402
import oracle  # noqa: E402
from compare import diff, live_opts  # noqa: E402

HOURS = {d: [["09:00", "18:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]}
DAY = "2026-11-16"
X = ["+7999000%04d" % i for i in range(100)]


def ts(at):
    if "T" not in at:
        at = DAY + "T" + at
    if not (at.endswith("Z") or "+" in at[10:]):
        at += "+03:00"
    return at


class Case(make_cases.Case):
    """A report case (make_cases.Case) plus presence, queued calls and the instants to show the panel at."""

    def __init__(self, name):
        super().__init__(name)
        self.live, self.dept = [], []

    def ev(self, type_, at, **data):
        return super().ev(type_, ts(at), **data)

    def setup(self, agents, depts=("sales",), hours=HOURS, sl=20):
        for d in depts:
            extra = {"hours": hours} if hours is not None else {}
            self.ev("department.configured", "00:00:00.000", department=d, timezone="Europe/Moscow",
                    service_level_s=sl, **extra)
        for a, d in agents:
            self.ev("agent.joined", "00:00:00.000", agent=a, department=d, name=a.upper())
        return self

    def status(self, agent, at, st):
        return self.ev("agent.status", at, agent=agent, status=st)

    def queued_call(self, cid, client, start, q, ring=None, ans=None, end=None, agent="s.ann", dept="sales",
                    by="agent"):
        steps = [("call.queued", q, {"department": dept})]
        if ring:
            steps.append(("call.ringing", ring, {"agent": agent}))
        if ans:
            steps.append(("call.answered", ans, {"agent": agent}))
        if end:
            steps.append(("call.ended", end, {"by": by}))
        return self.inbound(cid, client, start, steps, dept)

    def at(self, dept, *times):
        self.live += [[dept, ts(t)] for t in times]
        return self


def build():
    cases = []
    # 1. break then available; "since" = later of the status change and the end of the last call
    c = Case("live_break_then_available").setup([("s.ann", "sales"), ("s.bob", "sales")])
    c.status("s.ann", "09:00:00.000", "available").status("s.bob", "09:00:00.000", "available")
    c.queued_call("B1", X[1], "09:49:50.000", "09:49:52.000", "09:49:53.000", "09:50:00.000", "09:55:00.000")
    c.status("s.ann", "10:00:00.000", "break").status("s.ann", "10:30:00.000", "available")
    c.at("sales", "09:57:00.000", "10:15:00.000", "10:45:00.000")
    cases.append(c)

    # 2. talking at T: queue call, personal outbound, a call waiting, an A->B->A call back in A's queue
    c = Case("live_talking_at_T").setup([("s.ann", "sales"), ("s.bob", "sales"), ("s.cat", "sales"),
                                         ("t.tom", "support")], depts=("sales", "support"))
    for a in ("s.ann", "s.bob", "s.cat", "t.tom"):
        c.status(a, "09:00:00.000", "available")
    c.queued_call("T1", X[1], "10:00:00.000", "10:00:02.000", "10:00:03.000", "10:00:10.000", "10:20:00.000")
    c.outbound("T2", X[2], "s.bob", "10:02:00.000", answered="10:03:00.000", end="10:21:00.000")
    c.queued_call("T3", X[3], "10:03:50.000", "10:04:00.000")
    c.inbound("T4", X[4], "10:00:30.000", [("call.queued", "10:01:00.000", {"department": "sales"}),
                                           ("call.queued", "10:02:00.000", {"department": "support"}),
                                           ("call.queued", "10:03:00.000", {"department": "sales"}),
                                           ("call.ended", "10:22:00.000", {"by": "client"})])
    c.at("sales", "10:05:00.000", "10:25:00.000").at("support", "10:05:00.000", "10:25:00.000")
    cases.append(c)

    # 3. outbound: by a member with/without department, by a non-member with department D, by nobody's
    c = Case("live_outbound_departments").setup([("s.ann", "sales"), ("s.bob", "sales"), ("t.tom", "support")],
                                                depts=("sales", "support"))
    c.status("s.ann", "09:00:00.000", "available").status("t.tom", "09:00:00.000", "available")
    c.status("s.bob", "08:00:00.000", "available").status("s.bob", "09:20:00.000", "offline")
    c.outbound("O1", X[1], "s.ann", "10:00:00.000", answered="10:00:10.000", end="10:00:41.000")
    c.outbound("O2", X[2], "s.ann", "10:02:00.000", answered="10:02:10.000", end="10:02:40.000", dept="support")
    c.outbound("O3", X[3], "t.tom", "10:04:00.000", end="10:04:30.000", dept="sales")
    c.outbound("O4", X[4], "x.out", "10:06:00.000", answered="10:06:05.000", end="10:09:00.000")
    c.outbound("O5", X[5], "s.ann", "10:10:00.000", answered="10:10:05.000", end="10:40:00.000")
    c.outbound("O6", X[6], "s.ann", "09:20:00.000", answered="09:20:05.000", end="09:40:00.000")
    c.at("sales", "10:30:00.000").at("support", "10:30:00.000")
    cases.append(c)

    # 4. service level: answered 5 s / 20 s / 25 s; missed 10 s (neutral) / 20 s (neutral) / 25 s
    c = Case("live_service_level").setup([("s.ann", "sales")])
    c.status("s.ann", "09:00:00.000", "available")
    c.queued_call("S1", X[1], "10:00:00.000", "10:00:02.000", "10:00:03.000", "10:00:07.000", "10:01:00.000")
    c.queued_call("S2", X[2], "10:05:00.000", "10:05:02.000", "10:05:03.000", "10:05:22.000", "10:06:00.000")
    c.queued_call("S3", X[3], "10:10:00.000", "10:10:02.000", "10:10:03.000", "10:10:27.000", "10:11:00.000")
    c.queued_call("S4", X[4], "10:15:00.000", "10:15:02.000", end="10:15:12.000", by="client")
    c.queued_call("S5", X[5], "10:20:00.000", "10:20:02.000", end="10:20:22.000", by="client")
    c.queued_call("S6", X[6], "10:25:00.000", "10:25:02.000", end="10:25:27.000", by="client")
    c.at("sales", "10:30:00.000")
    cases.append(c)

    # 4b. service_level_s changed inside the hour (events.md: settings valid at each call's time)
    c = Case("live_service_level_config_change").setup([("s.ann", "sales")])
    c.status("s.ann", "09:00:00.000", "available")
    c.queued_call("S1", X[1], "10:00:00.000", "10:00:02.000", "10:00:03.000", "10:00:17.000", "10:01:00.000")
    c.ev("department.configured", "10:20:00.000", department="sales", timezone="Europe/Moscow", hours=HOURS,
         service_level_s=10)
    c.queued_call("S2", X[2], "10:25:00.000", "10:25:02.000", "10:25:03.000", "10:25:08.000", "10:26:00.000")
    c.at("sales", "10:30:00.000")
    cases.append(c)

    # 5. immediate answer: ring at exactly 1 s, at 1.001 s, first ring (unanswered) within 1 s
    c = Case("live_immediate_answer").setup([("s.ann", "sales"), ("s.bob", "sales")])
    c.status("s.ann", "09:00:00.000", "available").status("s.bob", "09:00:00.000", "available")
    c.queued_call("I1", X[1], "10:00:00.000", "10:00:02.000", "10:00:03.000", "10:00:05.000", "10:01:00.000")
    c.queued_call("I2", X[2], "10:10:00.000", "10:10:02.000", "10:10:03.001", "10:10:05.000", "10:11:00.000")
    c.inbound("I3", X[3], "10:20:00.000", [("call.queued", "10:20:02.000", {"department": "sales"}),
                                           ("call.ringing", "10:20:02.500", {"agent": "s.ann"}),
                                           ("call.ring_ended", "10:20:08.000", {"agent": "s.ann", "outcome": "no_answer"}),
                                           ("call.ringing", "10:20:10.000", {"agent": "s.bob"}),
                                           ("call.answered", "10:20:12.000", {"agent": "s.bob"}),
                                           ("call.ended", "10:21:00.000", {"by": "agent"})])
    c.at("sales", "10:30:00.000")
    cases.append(c)

    # 6. a call taken on a break (occupancy: spec's "talking time" vs README's "talking while logged in")
    c = Case("live_call_on_break").setup([("s.ann", "sales")])
    c.status("s.ann", "09:00:00.000", "available").status("s.ann", "10:00:00.000", "break")
    c.outbound("K1", X[1], "s.ann", "10:09:00.000", answered="10:10:00.000", end="10:20:00.000")
    c.status("s.ann", "10:40:00.000", "available")
    c.at("sales", "10:15:00.000", "10:45:00.000")
    cases.append(c)

    # 7. transfer: answered by ann, transferred to bob; who is talking?
    c = Case("live_transfer").setup([("s.ann", "sales"), ("s.bob", "sales")])
    c.status("s.ann", "09:00:00.000", "available").status("s.bob", "09:00:00.000", "available")
    c.inbound("R1", X[1], "10:00:00.000", [("call.queued", "10:00:02.000", {"department": "sales"}),
                                           ("call.ringing", "10:00:03.000", {"agent": "s.ann"}),
                                           ("call.answered", "10:00:10.000", {"agent": "s.ann"}),
                                           ("call.transferred", "10:02:00.000", {"agent": "s.ann", "to_agent": "s.bob"}),
                                           ("call.ended", "10:10:00.000", {"by": "agent"})])
    c.at("sales", "10:05:00.000", "10:15:00.000")
    cases.append(c)

    # 8. the README's 6 h horizon: a call queued at 03:00 and a talk answered at 03:00, neither ended
    c = Case("live_horizon").setup([("s.ann", "sales"), ("s.bob", "sales")], hours=None)
    c.status("s.ann", "02:00:00.000", "available").status("s.bob", "02:00:00.000", "available")
    c.queued_call("H1", X[1], "03:00:00.000", "03:00:02.000")
    c.queued_call("H2", X[2], "03:00:00.000", "03:00:02.000", "03:00:03.000", "03:00:05.000")
    c.at("sales", "08:30:00.000", "10:00:00.000")
    cases.append(c)

    # 10. window and instant boundaries: left the queue exactly at T-1h (out) and at T (in); answered at T
    c = Case("live_boundaries").setup([("s.ann", "sales"), ("s.bob", "sales")])
    c.status("s.ann", "09:00:00.000", "available").status("s.bob", "09:00:00.000", "available")
    c.queued_call("W1", X[1], "09:29:00.000", "09:29:30.000", "09:29:31.000", "09:30:00.000", "09:31:00.000")
    c.queued_call("W2", X[2], "10:29:00.000", "10:29:30.000", "10:29:31.000", "10:30:00.000", "10:31:00.000",
                  agent="s.bob")
    c.queued_call("W3", X[3], "10:20:00.000", "10:20:02.000", end="10:30:00.000", by="client")
    c.outbound("W4", X[4], "s.ann", "09:30:00.000", answered="09:30:10.000", end="09:35:00.000")
    c.outbound("W5", X[5], "s.ann", "10:30:00.000")
    c.queued_call("W6", X[6], "09:00:00.000", "09:00:02.000", "09:00:03.000", "09:00:05.000", "09:30:00.000")
    c.at("sales", "10:30:00.000")
    cases.append(c)

    # 11. overflow: missed in sales when it moved on, answered in support by a member of both
    c = Case("live_overflow_dual_member").setup([("s.ann", "sales"), ("s.ann", "support"), ("t.tom", "support")],
                                                depts=("sales", "support"))
    c.status("s.ann", "09:00:00.000", "available").status("t.tom", "09:00:00.000", "available")
    c.inbound("V1", X[1], "10:00:00.000", [("call.queued", "10:00:02.000", {"department": "sales"}),
                                           ("call.queued", "10:00:32.000", {"department": "support"}),
                                           ("call.ringing", "10:00:33.000", {"agent": "s.ann"}),
                                           ("call.answered", "10:00:35.000", {"agent": "s.ann"}),
                                           ("call.ended", "10:20:00.000", {"by": "agent"})])
    c.at("sales", "10:10:00.000", "10:30:00.000").at("support", "10:10:00.000", "10:30:00.000")
    cases.append(c)

    # 12. a call on sales' line never queued, answered (inbound talk counts, queue metrics do not)
    c = Case("live_never_queued_answered").setup([("s.ann", "sales")])
    c.status("s.ann", "09:00:00.000", "dnd")
    c.inbound("U1", X[1], "10:00:00.000", [("call.ringing", "10:00:01.000", {"agent": "s.ann"}),
                                           ("call.answered", "10:00:05.000", {"agent": "s.ann"}),
                                           ("call.ended", "10:01:00.000", {"by": "agent"})])
    c.at("sales", "10:00:30.000", "10:30:00.000")
    cases.append(c)

    # 13. membership at T: joined mid-hour, left before T; member of another department talking on its call
    c = Case("live_membership").setup([("s.ann", "sales"), ("s.bob", "sales"), ("t.tom", "support")],
                                      depts=("sales", "support"))
    for a in ("s.ann", "s.bob", "t.tom"):
        c.status(a, "09:00:00.000", "available")
    c.ev("agent.left", "10:10:00.000", agent="s.bob", department="sales")
    c.ev("agent.joined", "10:15:00.000", agent="t.tom", department="sales", name="T.TOM")
    c.queued_call("M1", X[1], "10:16:00.000", "10:16:02.000", "10:16:03.000", "10:16:05.000", agent="t.tom",
                  dept="support")
    c.outbound("M2", X[2], "s.bob", "10:05:00.000", answered="10:05:05.000", end="10:06:00.000")
    c.outbound("M3", X[3], "t.tom", "09:50:00.000", answered="09:50:05.000", end="09:51:00.000")
    c.at("sales", "10:20:00.000").at("support", "10:20:00.000")
    cases.append(c)

    # 14. presence details: dnd, repeated 'available', status never sent but talking, offline while talking,
    #     overlapping calls (count once), outbound dialler only on call.answered
    c = Case("live_presence").setup([("s.ann", "sales"), ("s.bob", "sales"), ("s.cat", "sales"), ("s.dan", "sales")])
    c.status("s.ann", "09:00:00.000", "available").status("s.ann", "09:40:00.000", "available")
    c.status("s.bob", "09:00:00.000", "dnd")
    c.status("s.dan", "09:00:00.000", "available").status("s.dan", "10:05:00.000", "offline")
    c.queued_call("P1", X[1], "09:59:00.000", "09:59:02.000", "09:59:03.000", "10:00:00.000", "10:20:00.000",
                  agent="s.cat")
    c.queued_call("P2", X[2], "10:00:00.000", "10:00:02.000", "10:00:03.000", "10:00:10.000", "10:15:00.000",
                  agent="s.dan")
    c.outbound("P3", X[3], "s.dan", "10:04:00.000", answered="10:05:00.000", end="10:25:00.000")
    c.ev("call.started", "10:02:00.000", call_id="P4", direction="outbound", client=X[4], line="+74950000000")
    c.ev("call.answered", "10:02:10.000", call_id="P4", agent="s.bob")
    c.ev("call.ended", "10:03:10.000", call_id="P4", by="agent")
    c.at("sales", "10:10:00.000", "10:30:00.000")
    cases.append(c)

    # 15. re-queued in the same department (two call.queued for sales in a row), still waiting
    c = Case("live_requeue_same_dept").setup([("s.ann", "sales")])
    c.status("s.ann", "09:00:00.000", "available")
    c.inbound("Q1", X[1], "10:00:00.000", [("call.queued", "10:00:02.000", {"department": "sales"}),
                                           ("call.queued", "10:05:02.000", {"department": "sales"})])
    c.inbound("Q2", X[2], "10:00:00.000", [("call.queued", "10:00:02.000", {"department": "sales"}),
                                           ("call.queued", "10:05:02.000", {"department": "sales"}),
                                           ("call.ended", "10:08:02.000", {"by": "client"})])
    c.at("sales", "10:10:00.000")
    cases.append(c)

    # 16. logged in "at some moment of the window": offline exactly at T-1h (out), available exactly at T (in);
    #     talk of exactly 30 s (not successful); outbound whose call.answered names another agent than call.started
    c = Case("live_logged_in_edges").setup([("s.ann", "sales"), ("s.bob", "sales"), ("s.cat", "sales"), ("s.dan", "sales")])
    c.status("s.ann", "08:00:00.000", "available").status("s.ann", "09:30:00.000", "offline")
    c.status("s.bob", "10:30:00.000", "available")
    c.status("s.cat", "09:00:00.000", "available").status("s.dan", "09:00:00.000", "available")
    c.queued_call("E1", X[1], "10:00:00.000", "10:00:02.000", "10:00:03.000", "10:00:05.000", "10:00:35.000",
                  agent="s.cat")
    c.ev("call.started", "10:10:00.000", call_id="E2", direction="outbound", client=X[2], line="+74950000000",
         agent="s.cat")
    c.ev("call.answered", "10:10:05.000", call_id="E2", agent="s.dan")
    c.at("sales", "10:30:00.000")
    cases.append(c)

    # 8b. the horizon and the last hour: waited 6.5 h then answered in the hour; a 6.7 h talk ending in the hour
    c = Case("live_horizon_last_hour").setup([("s.ann", "sales"), ("s.bob", "sales")], hours=None)
    c.status("s.ann", "02:00:00.000", "available").status("s.bob", "02:00:00.000", "available")
    c.queued_call("G1", X[1], "03:00:00.000", "03:00:02.000", "09:30:00.000", "09:30:02.000", "09:40:00.000")
    c.queued_call("G2", X[2], "03:10:00.000", "03:10:02.000", "03:10:03.000", "03:10:05.000", "09:50:00.000",
                  agent="s.bob")
    c.at("sales", "10:00:00.000")
    cases.append(c)

    # 9. hours crossing midnight, split over two days (the README's form): outside_hours
    night = {"mon": [["22:00", "24:00"]], "tue": [["00:00", "02:00"], ["22:00", "24:00"]]}
    for name, hours in (("dept_hours_night_split", night),
                        ("dept_hours_night_cross", {"mon": [["22:00", "02:00"]], "tue": [["22:00", "02:00"]]})):
        c = Case(name).setup([("s.ann", "sales")], hours=hours)
        c.queued_call("N1", X[1], "21:00:00.000", "21:00:02.000", end="21:01:00.000", by="client")
        c.queued_call("N2", X[2], "23:00:00.000", "23:00:02.000", end="23:01:00.000", by="client")
        c.queued_call("N3", X[3], "2026-11-17T01:00:00.000", "2026-11-17T01:00:02.000",
                      end="2026-11-17T01:01:00.000", by="client")
        c.queued_call("N4", X[4], "2026-11-17T03:00:00.000", "2026-11-17T03:00:02.000",
                      end="2026-11-17T03:01:00.000", by="client")
        c.queued_call("N5", X[5], "2026-11-17T01:59:59.999", "2026-11-17T02:00:01.000",
                      end="2026-11-17T02:01:00.000", by="client")
        c.dept.append(["sales", "2026-11-16", "2026-11-18"])
        cases.append(c)
    # 18. a person's name: the latest agent.joined name in any department (s.ann joined support later as "Ann Lee")
    c = Case("live_agent_name_latest").setup([("s.ann", "sales"), ("t.tom", "support")], depts=("sales", "support"))
    c.ev("agent.joined", "09:00:00.000", agent="s.ann", department="support", name="Ann Lee")
    c.status("s.ann", "09:00:00.000", "available")
    c.at("sales", "10:00:00.000").at("support", "10:00:00.000")
    cases.append(c)

    # 19. a transfer picked up by a second agent: both talk until the end (reports.md: talking from
    # call.answered to call.ended of a call it answered)
    c = Case("live_transfer_second_answer").setup([("s.ann", "sales"), ("s.bob", "sales"), ("s.cat", "sales")])
    for a in ("s.ann", "s.bob", "s.cat"):
        c.status(a, "09:00:00.000", "available")
    c.queued_call("T1", X[1], "10:30:00.000", "10:30:01.000", "10:30:02.000", "10:30:05.000")
    c.ev("call.transferred", "10:40:00.000", call_id="T1", agent="s.ann", to_agent="s.bob")
    c.ev("call.ringing", "10:40:01.000", call_id="T1", agent="s.bob")
    c.ev("call.answered", "10:40:05.000", call_id="T1", agent="s.bob")
    c.queued_call("T2", X[2], "10:45:00.000", "10:45:01.000", "10:45:02.000", "10:45:05.000", "10:55:00.000", agent="s.cat")
    c.ev("call.transferred", "10:50:00.000", call_id="T2", agent="s.cat", to_agent="s.bob")
    c.ev("call.answered", "10:50:02.000", call_id="T2", agent="s.bob")
    c.at("sales", "10:45:00.000", "11:00:00.000")
    cases.append(c)

    # 19b. answered in sales, transferred into support's queue: waiting there, then picked up by a support agent
    c = Case("live_transfer_into_queue").setup([("s.ann", "sales"), ("t.tom", "support")], depts=("sales", "support"))
    c.status("s.ann", "09:00:00.000", "available").status("t.tom", "09:00:00.000", "available")
    c.queued_call("Q1", X[1], "10:50:00.000", "10:50:01.000", "10:50:05.000", "10:50:10.000")
    c.ev("call.transferred", "10:54:58.000", call_id="Q1", agent="s.ann", to_department="support")
    c.ev("call.queued", "10:55:00.000", call_id="Q1", department="support")
    c.ev("call.ringing", "11:00:55.000", call_id="Q1", agent="t.tom")
    c.ev("call.answered", "11:01:00.000", call_id="Q1", agent="t.tom")
    c.at("support", "11:00:00.000", "11:02:00.000").at("sales", "11:00:00.000")
    cases.append(c)

    # 20. queued calls whose call.started is not in the log: the queue and the talks still count
    c = Case("live_queued_without_start").setup([("s.ann", "sales"), ("s.bob", "sales")])
    c.status("s.ann", "09:00:00.000", "available").status("s.bob", "09:00:00.000", "available")
    c.ev("call.queued", "10:59:00.000", call_id="W3", department="sales")
    c.ev("call.queued", "10:50:00.000", call_id="X1", department="sales")
    c.ev("call.ringing", "10:50:02.000", call_id="X1", agent="s.ann")
    c.ev("call.answered", "10:50:10.000", call_id="X1", agent="s.ann")
    c.ev("call.queued", "10:40:00.000", call_id="X2", department="sales")
    c.ev("call.ended", "10:40:30.000", call_id="X2", by="client")
    c.ev("call.queued", "10:20:00.000", call_id="X3", department="sales")
    c.ev("call.answered", "10:20:40.000", call_id="X3", agent="s.bob")
    c.ev("call.ended", "10:25:00.000", call_id="X3", by="agent")
    c.at("sales", "10:55:00.000", "11:00:00.000")
    cases.append(c)

    return cases


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?", default="/tmp/oracle-live-cases-in")
    ap.add_argument("--run", action="store_true")
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--bin", default=os.path.join(repo, ".build", "debug"))
    ap.add_argument("--live-opt", default="")
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    idx = {}
    cases = [c for c in build() if not args.only or c.name in args.only.split(",")]
    for c in cases:
        with open(os.path.join(args.out, c.name + ".ndjson"), "w") as f:
            for e in c.lines:
                f.write(json.dumps(e, ensure_ascii=False) + "\n")
        idx[c.name] = {"live": c.live, "department": c.dept}
    with open(os.path.join(args.out, "instants.json"), "w") as f:
        json.dump(idx, f, indent=1)
    if not args.run:
        print("wrote %d cases to %s" % (len(cases), args.out))
        return
    CL = os.path.join(args.bin, "call-ledger")
    kw = live_opts(args.live_opt)
    bad = 0
    for c in cases:
        path = os.path.join(args.out, c.name + ".ndjson")
        ddir = os.path.join(args.out, "d-" + c.name)
        shutil.rmtree(ddir, ignore_errors=True)
        r = subprocess.run([CL, "append", "--data", ddir, path], capture_output=True, text=True)
        if r.returncode != 0:
            bad += 1
            print("APPEND-REJECTED %s: %s" % (c.name, (r.stderr or r.stdout).strip()[:400]))
            continue
        evs = oracle.load_events(path)
        jobs = []
        for D, T in c.live:
            jobs.append(("live %s %s" % (D, T), ["report", "live", "--department", D, "--as-of", T],
                         lambda D=D, T=T: oracle.live_report(evs, D, T, **kw)))
        for D, a, b in c.dept:
            jobs.append(("department %s %s..%s" % (D, a, b), ["report", "department", "--department", D, "--from", a, "--to", b],
                         lambda D=D, a=a, b=b: oracle.Model(evs).department_report(D, a, b)))
        for name, cmd, fn in jobs:
            r = subprocess.run([CL] + cmd[:2] + ["--data", ddir] + cmd[2:] + ["--format", "json"], capture_output=True, text=True)
            if r.returncode != 0:
                bad += 1
                print("CLI-ERROR %s | %s: %s" % (c.name, name, r.stderr.strip()[:300]))
                continue
            cli = json.loads(r.stdout)
            if isinstance(cli, dict):
                cli.get("service_level", {}).pop("formula", None)
            orc = json.loads(json.dumps(fn()))
            out = []
            diff(cli, orc, "$", out, ())
            for (p, x, y, _ctx) in out:
                print("MISMATCH %s | %s | %s | cli=%s oracle=%s" % (c.name, name, p, json.dumps(x, ensure_ascii=False)[:120],
                                                                   json.dumps(y, ensure_ascii=False)[:120]))
            if not out:
                print("OK %s | %s" % (c.name, name))
            bad += bool(out)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
