#!/usr/bin/env python3
"""Independent reference implementation ("oracle") of the CallLedger read models.

Written from ../shared/spec/reports.md and events.md (plus the README's documented
readings where the spec is silent). Python 3 stdlib only.

Usage:
  oracle.py EVENTS.ndjson KIND [options]
  KIND: department | unprocessed | processed | calls | audit | live (needs --as-of T) |
        lead-conversion | lost-leads | employee-performance | lead-calls
  cuts: --as-of-position N (first N events in file order) | --as-of T (events with at <= T)

Spec-vs-README switches (default = spec text where they conflict):
  --audit-hidden {include,exclude}   (spec: "Every missed.handled" -> include)
"""
import argparse
import json
import re
import sys
from collections import defaultdict
from datetime import datetime, timedelta, timezone, date
from zoneinfo import ZoneInfo

INF = float("inf")
UTC = timezone.utc

# ---------------------------------------------------------------- time helpers

def parse_ts(s):
    """RFC 3339 -> epoch milliseconds (int)."""
    dt = datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00"))
    if dt.tzinfo is None:
        raise ValueError("timestamp without offset: %r" % s)
    td = dt - datetime(1970, 1, 1, tzinfo=UTC)
    return (td.days * 86400 + td.seconds) * 1000 + td.microseconds // 1000


def fmt_ts(ms, tz):
    if ms is None:
        return None
    dt = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    dt = dt.astimezone(tz)
    base = dt.strftime("%Y-%m-%dT%H:%M:%S") + ".%03d" % (dt.microsecond // 1000)
    off = dt.utcoffset()
    if off == timedelta(0) and (tz is UTC or getattr(tz, "key", "") in ("UTC", "Etc/UTC")):
        return base + "Z"
    mins = int(off.total_seconds() // 60)
    sign = "+" if mins >= 0 else "-"
    mins = abs(mins)
    return base + "%s%02d:%02d" % (sign, mins // 60, mins % 60)


def local_dt(ms, tz):
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)).astimezone(tz)


def local_midnight_ms(d, tz):
    """epoch ms of local midnight starting date d in tz."""
    dt = datetime(d.year, d.month, d.day, tzinfo=tz)
    return parse_ts(dt.isoformat())


def parse_bound(s, tz):
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
        return local_midnight_ms(date.fromisoformat(s), tz)
    return parse_ts(s)


def secs(ms):
    return ms / 1000.0


# ---------------------------------------------------------------- identities

HIDDEN_WORDS = {"", "anonymous", "unknown", "private", "restricted", "hidden"}


def norm_client(raw):
    """Returns normalised digits or None for a hidden number (events.md, Identities)."""
    if raw is None:
        return None
    s = str(raw)
    if s.strip().lower() in HIDDEN_WORDS:
        return None
    digits = "".join(ch for ch in s if ch.isdigit() and ch in "0123456789")
    if not digits:
        return None
    if digits.startswith("00"):
        digits = digits[2:]
        if not digits:
            return None
    return digits


# ---------------------------------------------------------------- ordering

# natural order of a call's life for same-instant events of one call
CALL_RANK = {
    "call.started": 0, "call.greeting": 1, "call.ivr": 2, "call.routing_failed": 3,
    "call.queued": 4, "call.ringing": 5, "call.ring_ended": 6, "call.answered": 7,
    "call.transferred": 8, "call.ended": 9,
}

DOW = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
REASONS = ["outside_hours", "routing_failed", "forbidden_destination", "abandoned_greeting",
           "abandoned_ivr", "abandoned_short", "not_answered", "no_free_agents"]
REASON_CLASS = {"outside_hours": "schedule", "routing_failed": "other",
                "forbidden_destination": "other", "abandoned_greeting": "other",
                "abandoned_ivr": "other", "abandoned_short": "other",
                "not_answered": "agents", "no_free_agents": "capacity"}
CLASSES = ["agents", "capacity", "schedule", "other"]
MISSED_RING_OUTCOMES = {"no_answer", "rejected", "caller_hung_up"}

# Same-instant order of episode happenings (reports.md, Episodes)
K_ATTEMPT, K_MISSED, K_CONTACT, K_DISMISS = 0, 1, 2, 3


# ---------------------------------------------------------------- loading

def load_events(path, as_of_position=None, as_of=None):
    evs = []
    seen = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            e = json.loads(line)
            if e["id"] in seen:   # idempotent re-append
                continue
            seen.add(e["id"])
            e["pos"] = len(evs) + 1
            e["t"] = parse_ts(e["at"])
            evs.append(e)
    if as_of_position is not None:
        evs = [e for e in evs if e["pos"] <= as_of_position]
    if as_of is not None:
        T = parse_ts(as_of)
        evs = [e for e in evs if e["t"] <= T]
    return evs


# ---------------------------------------------------------------- model

class Config:
    def __init__(self, data=None):
        data = data or {}
        self.tzname = data.get("timezone") or "UTC"
        try:
            self.tz = ZoneInfo(self.tzname)
        except Exception:
            self.tz = UTC
        self.hours = data.get("hours")  # None = always open
        self.short_abandon_s = data.get("short_abandon_s", 10)
        if self.short_abandon_s is None:
            self.short_abandon_s = 10
        self.name = data.get("name")
        self.service_level_s = data.get("service_level_s", 20)
        if self.service_level_s is None:
            self.service_level_s = 20

    def is_open(self, ms):
        if self.hours is None:
            return True
        dt = local_dt(ms, self.tz)
        tod = dt.hour * 3600000 + dt.minute * 60000 + dt.second * 1000 + dt.microsecond // 1000

        def rng(a, b):
            ah, am = (int(x) for x in a.split(":")[:2])
            bh, bm = (int(x) for x in b.split(":")[:2])
            return ah * 3600000 + am * 60000, bh * 3600000 + bm * 60000
        for a, b in self.hours.get(DOW[dt.weekday()]) or []:
            lo, hi = rng(a, b)
            if hi < lo:           # a range crossing midnight ("22:00"-"02:00"): [lo, 24:00) today
                hi = 24 * 3600000
            if lo <= tod < hi:
                return True
        # ... and [00:00, end) of the next day for yesterday's ranges crossing midnight
        for a, b in self.hours.get(DOW[(dt.weekday() - 1) % 7]) or []:
            lo, hi = rng(a, b)
            if hi < lo and tod < hi:
                return True
        return False


DEFAULT_CONFIG = Config()


class Model:
    def __init__(self, events, audit_hidden="include"):
        self.events = events
        self.audit_hidden = audit_hidden
        self.configs = defaultdict(list)      # dept -> [(t, id, Config)]
        self.membership = defaultdict(list)   # (agent, dept) -> [(t, id, joined?)]
        self.names = {}
        self.calls_ev = defaultdict(list)
        self.dismiss_ev = []
        self.lead_ev = defaultdict(list)
        self.status_ev = defaultdict(list)    # agent -> [(t, id, status)]
        for e in events:
            ty, d = e["type"], e["data"]
            if ty.startswith("call."):
                self.calls_ev[d.get("call_id")].append(e)
            elif ty == "department.configured":
                self.configs[d["department"]].append((e["t"], e["id"], Config(d)))
            elif ty in ("agent.joined", "agent.left"):
                self.membership[(d["agent"], d["department"])].append((e["t"], e["id"], ty == "agent.joined"))
                if ty == "agent.joined" and d.get("name"):
                    self.names.setdefault(d["agent"], []).append((e["t"], e["id"], d["name"]))
            elif ty == "missed.handled":
                self.dismiss_ev.append(e)
            elif ty == "agent.status":
                self.status_ev[d.get("agent")].append((e["t"], e["id"], d.get("status")))
            elif ty.startswith("lead."):
                self.lead_ev[d.get("lead_id")].append(e)
        for v in self.configs.values():
            v.sort(key=lambda x: (x[0], x[1]))
        for v in self.membership.values():
            v.sort(key=lambda x: (x[0], x[1]))
        for v in self.status_ev.values():
            v.sort(key=lambda x: (x[0], x[1]))
        self.departments = set(self.configs)
        for (_a, dpt) in self.membership:
            self.departments.add(dpt)
        self._build_calls()
        self._build_episodes()

    # ---- settings / membership
    def config_at(self, dept, t):
        cur = DEFAULT_CONFIG
        for (ct, _id, c) in self.configs.get(dept, []):
            if ct <= t:
                cur = c
            else:
                break
        return cur

    def dept_tz(self, dept):
        lst = self.configs.get(dept)
        return lst[-1][2].tz if lst else UTC

    def member_at(self, agent, dept, t):
        st = False
        for (mt, _id, j) in self.membership.get((agent, dept), []):
            if mt <= t:
                st = j
            else:
                break
        return st

    def member_during(self, agent, dept, a, b):
        if self.member_at(agent, dept, a):
            return True
        return any(a <= mt < b and j for (mt, _id, j) in self.membership.get((agent, dept), []))

    def removed_by(self, agent, dept, b):
        last = None
        for (mt, _id, j) in self.membership.get((agent, dept), []):
            if mt < b:
                last = j
        return last is False

    def name_of(self, agent):
        lst = self.names.get(agent)
        if not lst:
            return None
        return sorted(lst)[-1][2]

    # ---- calls
    def _build_calls(self):
        self.calls = {}            # call_id -> call summary (inbound)
        self.records = defaultdict(list)   # dept -> [(call, D) records]
        # Queued calls whose call.started is not in the cut: only the live panel counts them
        # (reports select calls by their start; the panel's queue is defined by call.queued).
        self.calls_nostart = {}
        self.records_nostart = defaultdict(list)
        self.outbound = []         # outbound call summaries
        self.inbound_contacts = []
        for cid, evs in self.calls_ev.items():
            evs.sort(key=lambda e: (e["t"], CALL_RANK.get(e["type"], 99), e["id"]))
            starts = [e for e in evs if e["type"] == "call.started"]
            nostart = not starts
            if nostart:
                queued = [e for e in evs if e["type"] == "call.queued"]
                if not queued:
                    continue
                st = {"t": queued[0]["t"], "data": {"direction": "inbound"}}
            else:
                st = starts[0]
            sd = st["data"]
            ans_i = next((i for i, e in enumerate(evs) if e["type"] == "call.answered"), None)
            end_i = next((i for i, e in enumerate(evs) if e["type"] == "call.ended"), None)
            ans = evs[ans_i] if ans_i is not None else None
            end = evs[end_i] if end_i is not None else None
            if sd.get("direction") == "outbound":
                self.outbound.append({
                    "call_id": cid, "t": st["t"], "agent": sd.get("agent") or (ans["data"].get("agent") if ans else None),
                    "department": sd.get("department"), "client": norm_client(sd.get("client")),
                    "answered_t": ans["t"] if ans else None,
                })
                continue
            c = {"call_id": cid, "t": st["t"], "client_raw": sd.get("client"),
                 "client": norm_client(sd.get("client")), "line": sd.get("line"),
                 "ans": ans, "end": end}
            cut_i = min([i for i in (ans_i, end_i) if i is not None], default=len(evs))
            # stints: call.queued up to the answer / end, consecutive duplicates collapsed
            stints = []
            for i, e in enumerate(evs):
                if i > cut_i:
                    break
                if e["type"] == "call.queued":
                    dep = e["data"].get("department")
                    if stints and stints[-1]["dept"] == dep:
                        continue
                    stints.append({"dept": dep, "i": i, "t": e["t"], "leave": None})
            for k in range(len(stints) - 1):
                stints[k]["leave"] = stints[k + 1]["t"]
            if stints:
                stints[-1]["leave"] = ans["t"] if ans else (end["t"] if end else None)
            final = stints[-1]["dept"] if stints else sd.get("department")
            c["stints"] = stints
            c["final"] = final

            def dept_at(i):
                cur = sd.get("department")
                for s in stints:
                    if s["i"] <= i:
                        cur = s["dept"]
                return cur
            # rings
            rings = []
            openr = defaultdict(list)
            for i, e in enumerate(evs):
                if e["type"] == "call.ringing":
                    r = {"agent": e["data"]["agent"], "t": e["t"], "i": i, "dept": dept_at(i), "outcome": None}
                    rings.append(r)
                    openr[r["agent"]].append(r)
                elif e["type"] == "call.ring_ended":
                    ag = e["data"]["agent"]
                    if openr[ag]:
                        r = openr[ag].pop(0)
                        r["outcome"] = e["data"]["outcome"]
                    else:
                        rings.append({"agent": ag, "t": e["t"], "i": i, "dept": dept_at(i),
                                      "outcome": e["data"]["outcome"]})
            answers = [(k, e) for k, e in enumerate(evs) if e["type"] == "call.answered"]
            for r in rings:
                if r["outcome"] is None:
                    later = [e for k, e in answers if k > r["i"]]
                    if ans is not None and ans_i > r["i"]:
                        r["outcome"] = "answered" if ans["data"].get("agent") == r["agent"] else "answered_elsewhere"
                    elif later:
                        # rung after the first answer (a transfer): closed by the next answer,
                        # its own agent's or another's
                        r["outcome"] = "answered" if later[0]["data"].get("agent") == r["agent"] else "answered_elsewhere"
                    elif end is not None:
                        r["outcome"] = "caller_hung_up"
            c["rings"] = rings
            # every agent who picked the call up (after a transfer, more than one)
            c["answerers"] = []
            for _, e in answers:
                a2 = e["data"].get("agent")
                if a2 is not None and a2 not in c["answerers"]:
                    c["answerers"].append(a2)
            c["ivr_options"] = [e["data"]["option"] for e in evs if e["type"] == "call.ivr" and e["data"].get("option") is not None]
            c["has_greeting"] = any(e["type"] == "call.greeting" for e in evs)
            c["has_ivr"] = any(e["type"] == "call.ivr" for e in evs)
            c["queued_ever"] = any(e["type"] == "call.queued" for e in evs)
            c["rf_causes"] = [e["data"].get("cause") for e in evs if e["type"] == "call.routing_failed"]
            stop = ans or end
            c["total_wait"] = secs(stop["t"] - st["t"]) if stop else None
            (self.calls_nostart if nostart else self.calls)[cid] = c
            if ans is not None and not nostart:
                self.inbound_contacts.append({"t": ans["t"], "client": c["client"], "agent": ans["data"].get("agent"), "call_id": cid})
            # per-department records
            depts = []
            for s in stints:
                if s["dept"] not in depts:
                    depts.append(s["dept"])
            if final is not None and final not in depts:
                depts.append(final)
            for D in depts:
                if D is None:
                    continue
                mine = [s for s in stints if s["dept"] == D]
                rec = {"call": c, "dept": D, "rings": [r for r in rings if r["dept"] == D]}
                if D == final:
                    if ans is not None:
                        rec["outcome"] = "answered"
                        rec["answered_by"] = ans["data"].get("agent")
                    elif end is not None:
                        rec["outcome"] = "missed"
                        rec["missed_t"] = end["t"]
                    else:
                        rec["outcome"] = "in_progress"
                    rec["moved_on"] = False
                    # Reports: a call with no call.ended is in progress, "neither answered nor
                    # missed" (reports.md), even once answered. The live panel keeps `outcome`:
                    # an answered call has left the queue.
                    if ans is not None and end is None:
                        rec["result"] = "in_progress"
                else:
                    rec["outcome"] = "missed"
                    rec["missed_t"] = mine[-1]["leave"]
                    rec["moved_on"] = True
                if mine:
                    if any(s["leave"] is None for s in mine):
                        rec["queue_wait"] = None
                    else:
                        rec["queue_wait"] = sum(secs(s["leave"] - s["t"]) for s in mine)
                    rec["queued"] = True
                else:
                    rec["queue_wait"] = None
                    rec["queued"] = False
                if rec["outcome"] == "missed" and not nostart:
                    rec["reason"] = self._reason(c, D, rec, st, end)
                (self.records_nostart if nostart else self.records)[D].append(rec)

    def _reason(self, c, D, rec, st, end):
        cfg = self.config_at(D, c["t"])
        if not cfg.is_open(c["t"]):
            return "outside_hours"
        if "no_route" in c["rf_causes"]:
            return "routing_failed"
        if "forbidden_destination" in c["rf_causes"]:
            return "forbidden_destination"
        if not rec["moved_on"]:
            if c["has_greeting"] and not c["has_ivr"] and not c["queued_ever"]:
                return "abandoned_greeting"
            if c["has_ivr"] and not c["queued_ever"]:
                return "abandoned_ivr"
            if end is not None and end["data"].get("by") == "client" and \
                    (end["t"] - c["t"]) < cfg.short_abandon_s * 1000:
                return "abandoned_short"
        if rec["rings"]:
            return "not_answered"
        return "no_free_agents"

    # ---- episodes
    def _build_episodes(self):
        H = []
        for o in self.outbound:
            if o["client"] is None:
                continue
            H.append((o["t"], K_ATTEMPT, o["call_id"], "", ("attempt", o)))
            if o["answered_t"] is not None:
                H.append((o["answered_t"], K_CONTACT, o["call_id"], "", ("callback", o)))
        for D, recs in self.records.items():
            for r in recs:
                if r["outcome"] == "missed" and r["call"]["client"] is not None and r.get("missed_t") is not None:
                    H.append((r["missed_t"], K_MISSED, r["call"]["call_id"], D, ("missed", r)))
        for ic in self.inbound_contacts:
            if ic["client"] is not None:
                H.append((ic["t"], K_CONTACT, ic["call_id"], "", ("got_through", ic)))
        for e in self.dismiss_ev:
            H.append((e["t"], K_DISMISS, "", e["id"], ("dismiss", e)))
        H.sort(key=lambda h: h[:4])
        self.episodes = defaultdict(list)   # dept -> [episode]
        self.audit = []
        self.contacts_by_client = defaultdict(list)  # client -> [order index]
        self.agent_attempts = []  # (attempt, episode)
        open_ = {}
        open_by_client = defaultdict(set)
        for idx, (t, kind, _cid, _x, (what, obj)) in enumerate(H):
            if what == "attempt":
                X = obj["client"]
                for D in sorted(open_by_client[X]):
                    ep = open_[(D, X)]
                    ep["callback_attempts"] += 1
                    ep["_attempts"].append(obj)
                    self.agent_attempts.append((obj, ep))
            elif what == "missed":
                r = obj
                X, D = r["call"]["client"], r["dept"]
                ep = open_.get((D, X))
                if ep is None:
                    ep = {"department": D, "client": X, "first_call_at": r["call"]["t"], "last_call_at": r["call"]["t"],
                          "missed_calls": 0, "callback_attempts": 0, "last_reason": None, "opened_at": t,
                          "closed_at": None, "closed_how": None, "closed_by": None, "reason": None, "comment": None,
                          "calls": [], "_attempts": [], "_close_call": None}
                    open_[(D, X)] = ep
                    open_by_client[X].add(D)
                    self.episodes[D].append(ep)
                ep["missed_calls"] += 1
                ep["calls"].append(r["call"]["call_id"])
                if r["call"]["t"] < ep["first_call_at"]:
                    ep["first_call_at"] = r["call"]["t"]
                if r["call"]["t"] >= ep["last_call_at"]:
                    ep["last_call_at"] = r["call"]["t"]
                    ep["last_reason"] = r["reason"]
            elif what in ("callback", "got_through"):
                X = obj["client"]
                self.contacts_by_client[X].append(idx)
                for D in sorted(open_by_client[X]):
                    ep = open_.pop((D, X))
                    ep["closed_at"] = t
                    ep["closed_how"] = "callback" if what == "callback" else "client_got_through"
                    ep["closed_by"] = obj["agent"]
                    ep["_close_call"] = obj
                open_by_client[X] = set()
            elif what == "dismiss":
                e = obj
                d = e["data"]
                D, X = d.get("department"), norm_client(d.get("client"))
                ep = open_.pop((D, X), None) if X is not None else None
                if ep is not None:
                    open_by_client[X].discard(D)
                    ep["closed_at"] = t
                    ep["closed_how"] = "dismissed"
                    ep["closed_by"] = d.get("by")
                    ep["reason"] = d.get("reason")
                    ep["comment"] = d.get("comment")
                if X is None and self.audit_hidden == "exclude":
                    continue
                self.audit.append({"e": e, "idx": idx, "client": X, "episode": ep,
                                   "attempts_before": ep["callback_attempts"] if ep else 0})
        for a in self.audit:
            X = a["client"]
            a["contacted_later"] = X is not None and any(i > a["idx"] for i in self.contacts_by_client.get(X, []))

    # ---- helpers for Section II
    def dept_callback(self, ep, D):
        if ep["closed_how"] != "callback":
            return False
        o = ep["_close_call"]
        return self.is_dept_call(o, D, ep["closed_at"])

    def is_dept_call(self, o, D, t):
        return o.get("department") == D or (o.get("agent") is not None and self.member_at(o["agent"], D, t))

    # ---------------------------------------------------------- output
    def ep_json(self, ep, tz):
        return {"department": ep["department"], "client": ep["client"],
                "first_call_at": fmt_ts(ep["first_call_at"], tz), "last_call_at": fmt_ts(ep["last_call_at"], tz),
                "lost_for_s": secs(ep["last_call_at"] - ep["first_call_at"]),
                "missed_calls": ep["missed_calls"], "callback_attempts": ep["callback_attempts"],
                "last_reason": ep["last_reason"], "opened_at": fmt_ts(ep["opened_at"], tz),
                "closed_at": fmt_ts(ep["closed_at"], tz), "closed_how": ep["closed_how"],
                "closed_by": ep["closed_by"], "reason": ep["reason"], "comment": ep["comment"],
                "calls": list(ep["calls"])}

    def unprocessed(self, D):
        tz = self.dept_tz(D)
        eps = [e for e in self.episodes.get(D, []) if e["closed_at"] is None]
        eps.sort(key=lambda e: (e["first_call_at"], e["client"]))
        return [self.ep_json(e, tz) for e in eps]

    def processed(self, D, frm=None, to=None, limit=None):
        tz = self.dept_tz(D)
        eps = [e for e in self.episodes.get(D, []) if e["closed_at"] is not None]
        if frm is not None:
            eps = [e for e in eps if e["closed_at"] >= frm]
        if to is not None:
            eps = [e for e in eps if e["closed_at"] < to]
        eps.sort(key=lambda e: (-e["closed_at"], e["client"]))
        if limit is not None:
            eps = eps[:limit]
        return [self.ep_json(e, tz) for e in eps]

    def recs_in(self, D, a, b):
        return [r for r in self.records.get(D, []) if a <= r["call"]["t"] < b]

    def calls_list(self, D, a, b, result=None, reason=None):
        tz = self.dept_tz(D)
        out = []
        recs = sorted(self.recs_in(D, a, b), key=lambda r: (r["call"]["t"], r["call"]["call_id"]))
        for r in recs:
            if result and r.get("result", r["outcome"]) != result:
                continue
            if reason and r.get("reason") != reason:
                continue
            c = r["call"]
            rung = []
            by_agent = {}
            for ring in sorted(r["rings"], key=lambda x: x["i"]):
                if ring["agent"] not in by_agent:
                    by_agent[ring["agent"]] = {"agent": ring["agent"], "outcome": None}
                    rung.append(by_agent[ring["agent"]])
                by_agent[ring["agent"]]["outcome"] = ring["outcome"]
            ab = r.get("answered_by")
            if ab is not None and ab in by_agent:
                by_agent[ab]["outcome"] = "answered"
            res = r.get("result", r["outcome"])
            if res != "answered":
                ab = None
            last_rung = max(r["rings"], key=lambda x: x["i"])["agent"] if r["rings"] else None
            out.append({"call_id": c["call_id"], "line": c["line"], "client": c["client"],
                        "started_at": fmt_ts(c["t"], tz), "result": res,
                        "reason": r.get("reason"), "ivr_options": c["ivr_options"],
                        "queue_wait_s": r["queue_wait"],
                        "total_wait_s": c["total_wait"] if r["outcome"] != "in_progress" else None,
                        "answered_by": ab, "last_rung": last_rung, "rung": rung})
        return out

    def section1(self, recs):
        inc = len(recs)
        def res(r):
            return r.get("result", r["outcome"])
        answered = sum(1 for r in recs if res(r) == "answered")
        missed = [r for r in recs if r["outcome"] == "missed"]
        nonhidden = [r for r in missed if r["call"]["client"] is not None]
        uniq = len({r["call"]["client"] for r in nonhidden})
        waits = [r["queue_wait"] for r in recs if r["queued"] and res(r) in ("answered", "missed") and r["queue_wait"] is not None]
        tw = [r["call"]["total_wait"] for r in recs if res(r) in ("answered", "missed") and r["call"]["total_wait"] is not None]
        reasons = {k: 0 for k in REASONS}
        classes = {k: 0 for k in CLASSES}
        for r in missed:
            reasons[r["reason"]] += 1
            classes[REASON_CLASS[r["reason"]]] += 1
        return {"incoming": inc, "answered": answered, "missed": len(missed),
                "missed_share": len(missed) / inc if inc else 0,
                "unique_missed": uniq, "repeat_missed": len(nonhidden) - uniq,
                "hidden_missed": len(missed) - len(nonhidden),
                "avg_wait_s": sum(waits) / len(waits) if waits else 0,
                "avg_total_wait_s": sum(tw) / len(tw) if tw else 0,
                "reasons": reasons, "classes": classes}

    def section2_status(self, D, eps, tz):
        st = {"episodes": len(eps), "called_back_by_department": 0, "called_back_elsewhere": 0,
              "dismissed": 0, "not_called_back": 0}
        for ep in eps:
            od = local_dt(ep["opened_at"], tz).date()
            eod = local_midnight_ms(od + timedelta(days=1), tz)
            if ep["closed_at"] is not None and ep["closed_at"] < eod:
                if ep["closed_how"] == "callback" and self.dept_callback(ep, D):
                    st["called_back_by_department"] += 1
                elif ep["closed_how"] in ("callback", "client_got_through"):
                    st["called_back_elsewhere"] += 1
                elif ep["closed_how"] == "dismissed":
                    st["dismissed"] += 1
                else:
                    st["not_called_back"] += 1
            else:
                st["not_called_back"] += 1
        return st

    def section2(self, D, a, b, tz):
        eps = [e for e in self.episodes.get(D, []) if a <= e["opened_at"] < b]
        st = self.section2_status(D, eps, tz)
        delays = []
        within = {"300": 0, "900": 0, "3600": 0}
        for ep in eps:
            first = None
            for o in ep["_attempts"]:
                if self.is_dept_call(o, D, o["t"]):
                    first = o
                    break
            if first is not None:
                delays.append(secs(first["t"] - ep["opened_at"]))
            if ep["closed_how"] == "callback" and self.dept_callback(ep, D):
                dt = ep["closed_at"] - ep["opened_at"]
                for k in within:
                    if dt <= int(k) * 1000:
                        within[k] += 1
        st["avg_callback_delay_s"] = sum(delays) / len(delays) if delays else 0
        st["resolved_within"] = {k: (v / len(eps) if eps else 0) for k, v in within.items()}
        return st

    def section3(self, D, a, b, recs):
        agents = set()
        for (ag, dp) in self.membership:
            if dp == D and self.member_during(ag, D, a, b):
                agents.add(ag)
        for r in recs:
            for ring in r["rings"]:
                agents.add(ring["agent"])
        missed = [r for r in recs if r["outcome"] == "missed"]
        rows = []
        for ag in sorted(agents):
            offered = answered = missed_off = rejected = 0
            for r in recs:
                mine = [x for x in r["rings"] if x["agent"] == ag]
                # answered by the agent: it picked the call up, first or after a transfer
                got = r.get("result", r["outcome"]) == "answered" and ag in r["call"]["answerers"]
                if got:
                    answered += 1
                if not mine:
                    continue
                offered += 1
                if not got and any(x["outcome"] in MISSED_RING_OUTCOMES for x in mine):
                    missed_off += 1
                if any(x["outcome"] == "rejected" for x in mine):
                    rejected += 1
            mr = sum(1 for r in missed if any(x["agent"] == ag for x in r["rings"]))
            att = [(o, ep) for (o, ep) in self.agent_attempts
                   if ep["department"] == D and o["agent"] == ag and a <= o["t"] < b]
            n_att = len({o["call_id"] for o, _ in att})
            n_eps = len({id(ep) for _, ep in att})
            rows.append({"agent": ag, "name": self.name_of(ag), "offered": offered, "answered": answered,
                         "missed_offered": missed_off, "rejected": rejected,
                         "missed_share": mr / len(missed) if missed else 0,
                         "callback_attempts": n_att,
                         "avg_attempts_per_episode": n_att / n_eps if n_eps else 0,
                         "removed": self.removed_by(ag, D, b)})
        return rows

    def department_report(self, D, frm, to, by=None):
        tz = self.dept_tz(D)
        a, b = parse_bound(frm, tz), parse_bound(to, tz)
        recs = self.recs_in(D, a, b)
        out = {"department": D, "from": fmt_ts(a, tz), "to": fmt_ts(b, tz),
               "volume": self.section1(recs), "callbacks": self.section2(D, a, b, tz),
               "agents": self.section3(D, a, b, recs)}
        if by:
            dyn = []
            for (s, e) in buckets(a, b, tz, by):
                row = {"start": local_dt(s, tz).date().isoformat(), "end": local_dt(e, tz).date().isoformat()}
                row.update(self.section1(self.recs_in(D, s, e)))
                eps = [x for x in self.episodes.get(D, []) if s <= x["opened_at"] < e]
                row.update(self.section2_status(D, eps, tz))
                dyn.append(row)
            out["dynamics"] = dyn
        return out

    def audit_report(self, by=None, reason=None, department=None, client=None, frm=None, to=None):
        out = []
        for a in sorted(self.audit, key=lambda x: x["idx"]):
            e = a["e"]
            d = e["data"]
            if by and d.get("by") != by:
                continue
            if reason and d.get("reason") != reason:
                continue
            if department and d.get("department") != department:
                continue
            if client and a["client"] != norm_client(client):
                continue
            if frm is not None and e["t"] < frm:
                continue
            if to is not None and e["t"] >= to:
                continue
            tz = self.dept_tz(d.get("department"))
            out.append({"event_id": e["id"], "at": fmt_ts(e["t"], tz), "by": d.get("by"),
                        "department": d.get("department"), "client": a["client"],
                        "reason": d.get("reason"), "comment": d.get("comment"),
                        "closed_episode": self.ep_json(a["episode"], tz) if a["episode"] else None,
                        "attempts_before": a["attempts_before"], "contacted_later": a["contacted_later"]})
        return out

    # ---------------------------------------------------------- leads
    def leads(self, tz=UTC, frm=None, to=None, type_=None):
        res = []
        for lid, evs in self.lead_ev.items():
            evs = sorted(evs, key=lambda e: (e["t"], e["id"]))
            cr = [e for e in evs if e["type"] == "lead.created"]
            if not cr:
                continue
            c = cr[0]
            cd = c["data"]
            if frm is not None and c["t"] < frm:
                continue
            if to is not None and c["t"] >= to:
                continue
            if type_ and cd.get("type") != type_:
                continue
            assignee = cd.get("assignee")
            status = group = None
            closed_at = None
            to_order = to_sale = False
            for e in evs:
                d = e["data"]
                if e["type"] == "lead.assigned":
                    assignee = d.get("assignee")
                elif e["type"] == "lead.status_changed":
                    if d.get("group") == "closed_failure" and group != "closed_failure":
                        closed_at = e["t"]
                    status, group = d.get("status"), d.get("group")
                elif e["type"] == "lead.converted":
                    if d.get("into") == "order":
                        to_order = True
                    elif d.get("into") == "sale":
                        to_sale = True
            res.append({"lead_id": lid, "type": cd.get("type"), "client": norm_client(cd.get("client")) if cd.get("client") is not None else None,
                        "call_id": cd.get("call_id"), "created": c["t"], "assignee": assignee,
                        "status": status, "group": group, "closed_at": closed_at,
                        "to_order": to_order, "to_sale": to_sale})
        res.sort(key=lambda l: (l["created"], l["lead_id"]))
        return res

    @staticmethod
    def _conv(ls):
        n = len(ls)
        conv = sum(1 for l in ls if l["to_order"] or l["to_sale"])
        return {"leads": n, "to_order": sum(l["to_order"] for l in ls), "to_sale": sum(l["to_sale"] for l in ls),
                "converted": conv, "conversion_pct": conv / n * 100 if n else 0}

    def lead_conversion(self, tz=UTC, frm=None, to=None, type_=None):
        ls = self.leads(tz, frm, to, type_)
        types = defaultdict(list)
        for l in ls:
            types[l["type"]].append(l)
        return {"from": fmt_ts(frm, tz) if frm is not None else None, "to": fmt_ts(to, tz) if to is not None else None,
                "types": [dict(type=t, **self._conv(v)) for t, v in sorted(types.items())],
                "total": self._conv(ls)}

    def lost_leads(self, tz=UTC, frm=None, to=None, type_=None):
        ls = [l for l in self.leads(tz, frm, to, type_) if l["group"] == "closed_failure"]
        by = defaultdict(int)
        for l in ls:
            by[l["status"]] += 1
        return {"leads": [{"lead_id": l["lead_id"], "type": l["type"], "status": l["status"], "assignee": l["assignee"],
                           "created_at": fmt_ts(l["created"], tz), "closed_at": fmt_ts(l["closed_at"], tz)} for l in ls],
                "by_status": dict(sorted(by.items()))}

    def employee_performance(self, tz=UTC, frm=None, to=None, type_=None):
        ls = self.leads(tz, frm, to, type_)
        per = defaultdict(list)
        for l in ls:
            per[l["assignee"]].append(l)
        out = []
        for a in sorted(per, key=lambda x: (x is None, x or "")):
            v = per[a]
            c = self._conv(v)
            out.append({"assignee": a, "leads": c["leads"], "to_order": c["to_order"], "to_sale": c["to_sale"],
                        "conversion_pct": c["conversion_pct"],
                        "leads_list": [{"lead_id": l["lead_id"], "status": l["status"], "type": l["type"]} for l in v]})
        return {"employees": out}

    def lead_calls(self, tz=UTC, frm=None, to=None, type_=None):
        missed_by_client = defaultdict(set)
        missed_calls = set()
        for D, recs in self.records.items():
            for r in recs:
                if r["outcome"] == "missed":
                    missed_calls.add(r["call"]["call_id"])
                    if r["call"]["client"] is not None:
                        missed_by_client[r["call"]["client"]].add(r["call"]["call_id"])
        open_clients = {ep["client"] for eps in self.episodes.values() for ep in eps if ep["closed_at"] is None}
        out = []
        for l in self.leads(tz, frm, to, type_):
            calls = set(missed_by_client.get(l["client"], set())) if l["client"] else set()
            if l["call_id"] in missed_calls:
                calls.add(l["call_id"])
            if not calls:
                continue
            out.append({"lead_id": l["lead_id"], "type": l["type"], "status": l["status"],
                        "lost": l["group"] == "closed_failure", "client": l["client"],
                        "missed_calls": len(calls), "waiting_in_queue": l["client"] in open_clients})
        return {"with_missed_calls": len(out), "lost": sum(1 for x in out if x["lost"]), "leads": out}


# ---------------------------------------------------------------- live dashboard

LIVE_SUCCESS_TALK_S = 30
LIVE_IMMEDIATE_S = 1
LOGGED_IN = ("available", "dnd")


def _overlap(a, b, lo, hi):
    """measure of [a, b) ∩ [lo, hi] in ms."""
    return max(0, min(b, hi) - max(a, lo))


def _union(iv):
    out = []
    for a, b in sorted(iv):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return out


def _intersect(xs, ys):
    out = []
    for a, b in xs:
        for c, d in ys:
            lo, hi = max(a, c), min(b, d)
            if hi > lo:
                out.append([lo, hi])
    return out


def live_panel(m, D, T, horizon_ms=None, occupancy="spec", sl_threshold="call", queue_call="any",
               current_wait="latest"):
    """The panel of department D at instant T (epoch ms) over model m (built from the events with at <= T).

    Switches (default = spec text; the alternative = README reading):
      horizon_ms   None (spec: no horizon) | ms (README: only calls started / talks answered within it)
      occupancy    "spec" (talking time in the window / logged-in time) | "readme" (talking while logged in)
      sl_threshold "call" (events.md: settings valid at each call's time) | "T" (README: in force at T)
      queue_call   "any" (a call.queued for D at any time) | "answered_in" (answered while in D)
      current_wait "latest" (README: from the latest call.queued in D) | "sum" (all stints in D up to T)
    """
    W0 = T - 3600 * 1000
    tz = m.dept_tz(D)
    H0 = (T - horizon_ms) if horizon_ms is not None else None
    in_win = lambda t: t is not None and W0 < t <= T
    members = sorted(a for (a, d) in m.membership if d == D and m.member_at(a, D, T))
    memset = set(members)

    # ---- talks (every answered call, inbound or outbound)
    talks = defaultdict(list)   # agent -> [dict]
    outbound = []
    for cid, evs in m.calls_ev.items():
        starts = [e for e in evs if e["type"] == "call.started"]
        if not starts:
            if cid not in m.calls_nostart:
                continue
            starts = [{"t": m.calls_nostart[cid]["t"], "data": {"direction": "inbound"}}]
        st = starts[0]
        sd = st["data"]
        ans = next((e for e in evs if e["type"] == "call.answered"), None)
        end = next((e for e in evs if e["type"] == "call.ended"), None)
        queued_in = {e["data"].get("department") for e in evs if e["type"] == "call.queued"}
        direction = sd.get("direction")
        if direction == "outbound":
            agent = sd.get("agent") or (ans["data"].get("agent") if ans else None)
        else:
            agent = ans["data"].get("agent") if ans else None
        if direction == "outbound":
            outbound.append({"call_id": cid, "t": st["t"], "agent": agent, "department": sd.get("department"),
                             "ans": ans["t"] if ans else None, "end": end["t"] if end else None})
        # reports.md: "talking from call.answered to call.ended of a call it answered (inbound) or
        # dialled (outbound)": inbound, every agent that answered (after a transfer, two), each
        # from its first answer.
        talkers = []
        if ans is not None and agent is not None:
            talkers.append((agent, ans["t"]))
            if direction != "outbound":
                for e in evs:
                    a2 = e["data"].get("agent") if e["type"] == "call.answered" else None
                    if a2 is not None and all(a2 != x for x, _ in talkers):
                        talkers.append((a2, e["t"]))
        for agent, at in talkers:
            if H0 is not None and at < H0:
                continue
            rec_d = None
            if direction != "outbound":
                c = m.calls.get(cid) or m.calls_nostart.get(cid)
                rec_d = c["final"] if c else None
            talks[agent].append({"call_id": cid, "a": at, "b": end["t"] if end else None,
                                 "dir": direction, "queued_in": queued_in, "answered_in": rec_d})

    def queue_call_of(tk):
        if queue_call == "any":
            return D in tk["queued_in"]
        return tk["dir"] != "outbound" and tk["answered_in"] == D and D in tk["queued_in"]

    # ---- queue records of D
    recs = [r for r in m.records.get(D, []) + m.records_nostart.get(D, []) if r["queued"]]
    if H0 is not None:
        recs = [r for r in recs if r["call"]["t"] >= H0]
    waiting = []
    left = []
    for r in recs:
        c = r["call"]
        mine = [s for s in c["stints"] if s["dept"] == D]
        if r["outcome"] == "in_progress":
            if c["stints"] and c["stints"][-1]["dept"] == D and c["stints"][-1]["leave"] is None:
                if current_wait == "latest":
                    w = T - c["stints"][-1]["t"]
                else:
                    w = sum((s["leave"] if s["leave"] is not None else T) - s["t"] for s in mine)
                waiting.append(secs(w))
            continue
        lv = mine[-1]["leave"] if mine else None
        if in_win(lv):
            left.append(r)
    # Queues after the answer (a transfer into D's queue): waiting from that call.queued until the
    # next queue elsewhere, an answer or the end. Only in_queue / max wait (README).
    for cid, evs in m.calls_ev.items():
        evs = sorted((e for e in evs if e["t"] <= T), key=lambda e: (e["t"], CALL_RANK.get(e["type"], 99), e["id"]))
        answered_yet = ended = False
        cur = None  # (dept, since) of the open transfer queue
        for e in evs:
            ty = e["type"]
            if ty == "call.ended":
                ended, cur = True, None
            elif ty == "call.answered":
                if answered_yet:
                    cur = None
                answered_yet = True
            elif ty == "call.queued" and answered_yet and not ended:
                dep = e["data"].get("department")
                if cur is None or cur[0] != dep:
                    cur = (dep, e["t"])
        if cur is not None and cur[0] == D and (H0 is None or cur[1] >= H0):
            waiting.append(secs(T - cur[1]))
    answered = [r for r in left if r["outcome"] == "answered"]
    missed = [r for r in left if r["outcome"] == "missed"]
    waits = [r["queue_wait"] for r in left if r["queue_wait"] is not None]
    sl_T = m.config_at(D, T).service_level_s

    def sl_of(r):
        return sl_T if sl_threshold == "T" else m.config_at(D, r["call"]["t"]).service_level_s
    sl_ok = sum(1 for r in answered if r["queue_wait"] <= sl_of(r))
    sl_missed_long = sum(1 for r in missed if r["queue_wait"] > sl_of(r))
    sl_den = len(answered) + sl_missed_long

    def immediate(r):
        mine = [s for s in r["call"]["stints"] if s["dept"] == D]
        rings = sorted(r["rings"], key=lambda x: (x["t"], x["i"]))
        return bool(mine and rings and rings[0]["t"] - mine[0]["t"] <= LIVE_IMMEDIATE_S * 1000)
    imm = sum(1 for r in answered if immediate(r))

    # ---- inbound talk: D's answered calls whose talk ended in the window
    inb = [r for r in m.records.get(D, []) + m.records_nostart.get(D, []) if r["outcome"] == "answered" and r["call"]["end"] is not None
           and in_win(r["call"]["end"]["t"])]
    if H0 is not None:
        inb = [r for r in inb if r["call"]["ans"]["t"] >= H0]
    inb_talk = [secs(r["call"]["end"]["t"] - r["call"]["ans"]["t"]) for r in inb]

    # ---- outbound
    outs = [o for o in outbound if in_win(o["t"]) and (o["department"] == D or o["agent"] in memset)]
    out_talk = [secs(o["end"] - o["ans"]) for o in outs if o["ans"] is not None and o["end"] is not None]
    out_answered = sum(1 for o in outs if o["ans"] is not None)

    # ---- presence
    def status_at(ag):
        cur = None
        for (t, _id, s) in m.status_ev.get(ag, []):
            if t <= T:
                cur = (t, s)
        return cur

    def logged_iv(ag):
        evs = [(t, s) for (t, _id, s) in m.status_ev.get(ag, []) if t <= T]
        out = []
        for i, (t, s) in enumerate(evs):
            nxt = evs[i + 1][0] if i + 1 < len(evs) else INF
            if s in LOGGED_IN:
                out.append([t, nxt])
        return out

    rows = []
    tot_talk = tot_logged = 0
    free = on_q = on_p = 0
    logged_some = 0
    for ag in members:
        tks = talks.get(ag, [])
        cur_talk = [tk for tk in tks if tk["a"] <= T and (tk["b"] is None or tk["b"] > T)]
        cur_talk.sort(key=lambda tk: (tk["a"], tk["call_id"]))
        sa = status_at(ag)
        liv = logged_iv(ag)
        if any(a <= T and b > W0 for a, b in liv):
            logged_some += 1
        talk_iv = _union([[tk["a"], tk["b"] if tk["b"] is not None else T] for tk in tks])
        talk_iv = [[max(a, W0), min(b, T)] for a, b in talk_iv if min(b, T) > max(a, W0)]
        logged_w = [[max(a, W0), min(b, T)] for a, b in liv if min(b, T) > max(a, W0)]
        talk_ms = sum(b - a for a, b in talk_iv)
        logged_ms = sum(b - a for a, b in logged_w)
        occ_talk = talk_ms if occupancy == "spec" else sum(b - a for a, b in _intersect(talk_iv, logged_w))
        tot_talk += occ_talk
        tot_logged += logged_ms
        if cur_talk:
            tk = cur_talk[-1]
            status, call = "talking", ("queue" if queue_call_of(tk) else "personal")
            since = tk["a"]
            if queue_call_of(tk):
                on_q += 1
            else:
                on_p += 1
        else:
            status = sa[1] if sa else "offline"
            call = None
            if sa is None:
                since = None
            elif status in LOGGED_IN:
                ends = [tk["b"] for tk in tks if tk["b"] is not None and tk["b"] <= T]
                since = max([sa[0]] + ends)
            else:
                since = sa[0]
        if status == "available":
            free += 1
        a_inb = [secs(r["call"]["end"]["t"] - r["call"]["ans"]["t"]) for r in inb if r.get("answered_by") == ag]
        a_out = [o for o in outs if o["agent"] == ag]
        a_out_talk = [secs(o["end"] - o["ans"]) for o in a_out if o["ans"] is not None and o["end"] is not None]
        rows.append({"agent": ag, "name": m.name_of(ag), "status": status, "call": call,
                     "since": fmt_ts(since, tz), "in_status_s": secs(T - since) if since is not None else None,
                     "occupancy_pct": occ_talk / logged_ms * 100 if logged_ms else 0,
                     "answered_last_hour": sum(1 for r in answered if r.get("answered_by") == ag),
                     "outbound_last_hour": len(a_out),
                     "talk_s_last_hour": secs(talk_ms if occupancy == "spec" else occ_talk),
                     "avg_inbound_talk_s": sum(a_inb) / len(a_inb) if a_inb else 0,
                     "avg_outbound_talk_s": sum(a_out_talk) / len(a_out_talk) if a_out_talk else 0})

    pct = lambda a, b: a / b * 100 if b else 0
    avg = lambda xs: sum(xs) / len(xs) if xs else 0
    metrics = {
        "in_queue": len(waiting),
        "max_queue_wait_s": max(waiting) if waiting else 0,
        "avg_queue_wait_s": avg(waits),
        "free_agents": free,
        "agents_on_queue_calls": on_q,
        "agents_on_personal_calls": on_p,
        "answered_last_hour": len(answered),
        "missed_last_hour": len(missed),
        "missed_pct_last_hour": pct(len(missed), len(answered) + len(missed)),
        "occupancy_pct": pct(tot_talk, tot_logged),
        "service_level_pct": pct(sl_ok, sl_den),
        "immediate_answer_pct": pct(imm, len(answered)),
        "outbound_last_hour": len(outs),
        "outbound_per_agent": len(outs) / logged_some if logged_some else 0,
        "avg_outbound_talk_s": avg(out_talk),
        "successful_outbound_pct": pct(sum(1 for x in out_talk if x > LIVE_SUCCESS_TALK_S), len(outs)),
        "dial_success_pct": pct(out_answered, len(outs)),
        "avg_inbound_talk_s": avg(inb_talk),
        "successful_inbound_pct": pct(sum(1 for x in inb_talk if x > LIVE_SUCCESS_TALK_S), len(inb_talk)),
    }
    return {"department": D, "at": fmt_ts(T, tz), "window_from": fmt_ts(W0, tz), "metrics": metrics,
            "service_level": {"threshold_s": sl_T, "immediate_answer_s": LIVE_IMMEDIATE_S,
                              "successful_talk_s": LIVE_SUCCESS_TALK_S},
            "agents": rows}


def live_report(events, D, T_str, **kw):
    """events: the whole log (load_events); the panel uses those with at <= T."""
    T = parse_ts(T_str)
    m = Model([e for e in events if e["t"] <= T])
    return live_panel(m, D, T, **kw)


def buckets(a, b, tz, by):
    out = []
    d = local_dt(a, tz).date()
    if by == "day":
        start = d
        step = lambda x: x + timedelta(days=1)
    elif by == "week":
        start = d - timedelta(days=d.weekday())
        step = lambda x: x + timedelta(days=7)
    elif by == "month":
        start = d.replace(day=1)
        step = lambda x: (x.replace(year=x.year + 1, month=1) if x.month == 12 else x.replace(month=x.month + 1))
    else:
        raise ValueError(by)
    cur = start
    while True:
        s = max(a, local_midnight_ms(cur, tz))
        nxt = step(cur)
        e = min(b, local_midnight_ms(nxt, tz))
        if s >= b:
            break
        if e > s:
            out.append((s, e))
        cur = nxt
    return out


def run(args):
    evs = load_events(args.events, args.as_of_position, args.as_of)
    m = Model(evs, audit_hidden=args.audit_hidden)
    k = args.kind
    if k == "department":
        return m.department_report(args.department, args.frm, args.to, args.by)
    if k == "unprocessed":
        return m.unprocessed(args.department)
    if k == "processed":
        tz = m.dept_tz(args.department)
        return m.processed(args.department, parse_bound(args.frm, tz) if args.frm else None,
                           parse_bound(args.to, tz) if args.to else None, args.limit)
    if k == "calls":
        tz = m.dept_tz(args.department)
        return m.calls_list(args.department, parse_bound(args.frm, tz), parse_bound(args.to, tz), args.result, args.reason)
    if k == "live":
        if not args.as_of:
            raise SystemExit("live needs --as-of T")
        return live_panel(m, args.department, parse_ts(args.as_of),
                          horizon_ms=args.live_horizon_h * 3600000 if args.live_horizon_h else None,
                          occupancy=args.live_occupancy, sl_threshold=args.live_sl_threshold,
                          queue_call=args.live_queue_call, current_wait=args.live_current_wait)
    if k == "audit":
        return m.audit_report(args.by_person, args.reason, args.department, args.client,
                              parse_bound(args.frm, UTC) if args.frm else None, parse_bound(args.to, UTC) if args.to else None)
    tz = ZoneInfo(args.timezone) if args.timezone and args.timezone != "UTC" else UTC
    frm = parse_bound(args.frm, tz) if args.frm else None
    to = parse_bound(args.to, tz) if args.to else None
    fn = {"lead-conversion": m.lead_conversion, "lost-leads": m.lost_leads,
          "employee-performance": m.employee_performance, "lead-calls": m.lead_calls}[k]
    return fn(tz, frm, to, args.type)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("events")
    p.add_argument("kind", choices=["department", "unprocessed", "processed", "calls", "audit", "live", "lead-conversion",
                                    "lost-leads", "employee-performance", "lead-calls"])
    p.add_argument("--department")
    p.add_argument("--from", dest="frm")
    p.add_argument("--to")
    p.add_argument("--by", choices=["day", "week", "month"])
    p.add_argument("--by-person", help="audit: dismissed by")
    p.add_argument("--reason")
    p.add_argument("--result")
    p.add_argument("--client")
    p.add_argument("--type")
    p.add_argument("--limit", type=int, default=500)
    p.add_argument("--timezone", default="UTC")
    p.add_argument("--as-of-position", type=int)
    p.add_argument("--as-of")
    p.add_argument("--audit-hidden", choices=["include", "exclude"], default="include")
    p.add_argument("--live-horizon-h", type=float, default=None, help="live: README's 6 h horizon (default: none, spec)")
    p.add_argument("--live-occupancy", choices=["spec", "readme"], default="spec")
    p.add_argument("--live-sl-threshold", choices=["call", "T"], default="call")
    p.add_argument("--live-queue-call", choices=["any", "answered_in"], default="any")
    p.add_argument("--live-current-wait", choices=["latest", "sum"], default="latest")
    args = p.parse_args(argv)
    json.dump(run(args), sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
