import Foundation
import LedgerEvents
import LedgerLog
import LedgerProjections
import LedgerReports
import LedgerTestSupport
import Testing

/// The live panel at chosen instants, every figure worked out by hand in the comments.
@Suite struct LivePanelTests {
    func instant(_ s: Scene, _ day: Int, _ time: String) -> Int64 { try! EventTime(rfc3339: s.at(day, time)).milliseconds }

    func status(_ s: Scene, _ agent: String, _ time: String, _ status: String) {
        s.add(.agentStatus, 0, time, ["agent": .string(agent), "status": .string(status)])
    }

    /// The standard departments, with `agents` available from `time` on the first day.
    func scene(available agents: [String], from time: String) -> Scene {
        let s = Scene()
        s.standardSetup()
        for a in agents { status(s, a, time, "available") }
        return s
    }

    /// Monday 10:00–11:00 in sales: a growing queue, talks, outbound calls, four members.
    func busyHour() -> Scene {
        let s = Scene()
        s.standardSetup()
        s.add(.agentJoined, 0, "00:00:01", ["agent": "a3", "department": "sales", "name": "Глеб"])
        s.add(.agentJoined, 0, "00:00:01", ["agent": "a4", "department": "sales"])
        status(s, "a1", "09:00:00", "available")
        status(s, "a2", "09:00:00", "available")
        status(s, "a2", "10:30:00", "break")
        status(s, "a3", "09:00:00", "available")
        status(s, "a4", "10:45:00", "available")
        // Before the window: not counted.
        s.inbound("c8", from: "79000000008", 0, "09:30:00", [queued(1), ringing(2, "a1"), answered(3, "a1"), ended(63, by: "agent")])
        s.outbound("o4", to: "79000000014", by: "a1", 0, "09:50:00", answerAfter: 10)
        // c1: waits 4 s, first ring at the moment of queueing, talks 120 s.
        s.inbound("c1", from: "79000000001", 0, "10:10:00", [queued(1), ringing(1, "a1"), answered(5, "a1"), ended(125, by: "agent")])
        // c2: waits 30 s (over the 20 s service level), first ring 2 s after queueing, talks 20 s.
        s.inbound("c2", from: "79000000002", 0, "10:20:00", [queued(1), ringing(3, "a2"), answered(31, "a2"), ended(51, by: "agent")])
        // c3: hangs up after 5 s in queue (a miss within the service level: neutral). c4: after 40 s.
        s.inbound("c3", from: "79000000003", 0, "10:40:00", [queued(1), ended(6)])
        s.inbound("c4", from: "79000000004", 0, "10:45:00", [queued(1), ended(41)])
        // c7: a1 picks up 3 s after queueing (first ring 1 s after), still talking at 11:00.
        s.inbound("c7", from: "79000000007", 0, "10:55:00", [queued(1), ringing(2, "a1"), answered(4, "a1"), ended(480, by: "agent")])
        // Waiting at 11:00: c5 since 10:58:02 (118 s), c6 since 10:59:30 (30 s).
        s.inbound("c5", from: "79000000005", 0, "10:58:00", [queued(2), ringing(130, "a4"), answered(135, "a4"), ended(300, by: "agent")])
        s.inbound("c6", from: "79000000006", 0, "10:59:30", [queued(0), ended(45)])
        // Outbound in the window: a2 talks 60 s; a1 gets no answer; a3 is still talking at 11:00 (a personal call);
        // b1 dials for support (not sales').
        s.outbound("o1", to: "79000000011", by: "a2", 0, "10:05:00", answerAfter: 10)
        s.outbound("o2", to: "79000000012", by: "a1", 0, "10:50:00")
        s.add(.callStarted, 0, "10:58:00", ["call_id": "o5", "direction": "outbound", "client": "79000000015", "agent": "a3"])
        s.add(.callAnswered, 0, "10:58:20", ["call_id": "o5", "agent": "a3"])
        s.add(.callEnded, 0, "11:06:00", ["call_id": "o5", "by": "agent"])
        s.outbound("o3", to: "79000000013", by: "b1", department: "support", 0, "10:30:00", answerAfter: 5)
        // After 11:00: must not show in the 11:00 panel.
        status(s, "a2", "11:10:00", "available")
        s.inbound("c9", from: "79000000009", 0, "11:00:01", [queued(1), ended(5)])
        return s
    }

    @Test func busyHourAtEleven() async throws {
        let dir = TemporaryDirectory("live")
        let s = busyHour()
        let engine = try await s.engine(dir)
        let T = instant(s, 0, "11:00:00")
        let p = try LiveView(engine: engine, department: "sales", at: T, cut: .occurredAt(EventTime(milliseconds: T))).panel()
        let m = p.metrics
        #expect(p.at == "2026-11-16T11:00:00.000+03:00" && p.windowFrom == "2026-11-16T10:00:00.000+03:00")
        #expect(m.inQueue == 2 && m.maxQueueWaitS == 118)
        // Left the queue in the hour: c1 4 s, c2 30 s, c7 3 s answered; c3 5 s, c4 40 s missed.
        #expect(m.answeredLastHour == 3 && m.missedLastHour == 2 && m.missedPctLastHour == 40)
        #expect(abs(m.avgQueueWaitS - 82.0 / 5) < 1e-9)
        // Service level: c1 and c7 within 20 s / (3 answered + c4) = 50 %; c3 is neutral.
        #expect(m.serviceLevelPct == 50)
        #expect(p.serviceLevel.thresholdS == 20 && p.serviceLevel.formula.contains("20 s"))
        // Immediate: c1 (0 s) and c7 (1 s) of 3 answered.
        #expect(abs(m.immediateAnswerPct - 200.0 / 3) < 1e-9)
        // Inbound talks ended in the hour: c1 120 s, c2 20 s (c7 still talking).
        #expect(m.avgInboundTalkS == 70 && m.successfulInboundPct == 50)
        // Outbound: o1 (a2), o2 (a1), o5 (a3); answered o1, o5; ended talk only o1 (60 s).
        #expect(m.outboundLastHour == 3 && abs(m.dialSuccessPct - 200.0 / 3) < 1e-9)
        #expect(abs(m.successfulOutboundPct - 100.0 / 3) < 1e-9 && m.avgOutboundTalkS == 60)
        // Logged in at some moment of the hour: a1, a2, a3, a4.
        #expect(m.outboundPerAgent == 0.75)
        #expect(m.freeAgents == 1 && m.agentsOnQueueCalls == 1 && m.agentsOnPersonalCalls == 1)
        // Talk while logged in / logged in: a1 (120 + 296) / 3600, a2 (60 + 20) / 1800, a3 100 / 3600, a4 0 / 900.
        #expect(abs(m.occupancyPct - 100.0 * 596 / 9900) < 1e-9)
        let rows = Dictionary(uniqueKeysWithValues: p.agents.map { ($0.agent, $0) })
        #expect(p.agents.map(\.agent) == ["a1", "a2", "a3", "a4"])
        let a1 = try #require(rows["a1"]), a2 = try #require(rows["a2"]), a3 = try #require(rows["a3"]), a4 = try #require(rows["a4"])
        #expect(a1.status == "talking" && a1.call == "queue" && a1.inStatusS == 296 && a1.since == "2026-11-16T10:55:04.000+03:00")
        #expect(abs(a1.occupancyPct - 100.0 * 416 / 3600) < 1e-9 && a1.answeredLastHour == 2 && a1.outboundLastHour == 1)
        #expect(a1.avgInboundTalkS == 120 && a1.talkSLastHour == 416 && a1.name == "Анна")
        #expect(a2.status == "break" && a2.call == nil && a2.inStatusS == 1800 && abs(a2.occupancyPct - 100.0 * 80 / 1800) < 1e-9)
        #expect(a2.answeredLastHour == 1 && a2.avgInboundTalkS == 20 && a2.avgOutboundTalkS == 60 && a2.outboundLastHour == 1)
        #expect(a3.status == "talking" && a3.call == "personal" && a3.inStatusS == 100 && abs(a3.occupancyPct - 100.0 * 100 / 3600) < 1e-9)
        #expect(a4.status == "available" && a4.inStatusS == 900 && a4.occupancyPct == 0 && a4.name == nil)
    }

    /// reports.md: an agent is talking "from `call.answered` to `call.ended` of a call it answered":
    /// after a transfer, the agent who picked it up talks too (from its own answer), and the one
    /// who answered first is on the call until its end. Once only the first answer counted.
    @Test func theAgentACallIsTransferredToIsTalking() async throws {
        let dir = TemporaryDirectory("live-transfer")
        let s = scene(available: ["a1", "a2"], from: "09:00:00")
        // a1 answers at 10:30:05, transfers to a2 at 10:40:00, a2 answers at 10:40:05; no end by 11:00.
        s.inbound("t1", from: "79000000001", 0, "10:30:00", [queued(1), ringing(2, "a1"), answered(5, "a1"),
                                                             (600, .callTransferred, ["agent": "a1", "to_agent": "a2"]),
                                                             ringing(601, "a2"), answered(605, "a2")])
        let engine = try await s.engine(dir)
        let T = instant(s, 0, "11:00:00")
        for cut in [Cut.all, .occurredAt(EventTime(milliseconds: T))] {
            let p = try LiveView(engine: engine, department: "sales", at: T, cut: cut).panel()
            let rows = Dictionary(uniqueKeysWithValues: p.agents.map { ($0.agent, $0) })
            let a1 = try #require(rows["a1"]), a2 = try #require(rows["a2"])
            #expect(a2.status == "talking" && a2.call == "queue" && a2.since == "2026-11-16T10:40:05.000+03:00" && a2.inStatusS == 1195)
            #expect(a2.talkSLastHour == 1195)
            #expect(a1.status == "talking" && a1.inStatusS == 1795 && a1.talkSLastHour == 1795)
            #expect(p.metrics.freeAgents == 0 && p.metrics.agentsOnQueueCalls == 2 && p.metrics.agentsOnPersonalCalls == 0)
            #expect(abs(p.metrics.occupancyPct - 100.0 * (1795 + 1195) / 7200) < 1e-9)
            // The call was answered once, by a1.
            #expect(a1.answeredLastHour == 1 && a2.answeredLastHour == 0 && p.metrics.answeredLastHour == 1)
        }
    }

    /// A call going on at T whose end (or answer) is dated after T — a PBX clock ahead of ours,
    /// or a cut by position — is found however long before T it started: a1 has talked since
    /// 03:00:02 and c2 has waited in the queue since 04:00:01, both still at 11:00. Once only
    /// calls started in the last 6 hours were looked for.
    @Test func callsGoingOnForHoursWithAnEndDatedAfterTCount() async throws {
        let dir = TemporaryDirectory("live-long")
        let s = scene(available: ["a1", "a2"], from: "02:00:00")
        s.inbound("c1", from: "79000000001", 0, "03:00:00", [queued(1), ringing(1, "a1"), answered(2, "a1"), ended(8 * 3600 + 600, by: "agent")])
        s.inbound("c2", from: "79000000002", 0, "04:00:00", [queued(1), ringing(7 * 3600 + 280, "a2"), answered(7 * 3600 + 300, "a2"),
                                                             ended(7 * 3600 + 1200, by: "agent")])
        let engine = try await s.engine(dir)
        let T = instant(s, 0, "11:00:00")
        for cut in [Cut.all, .position(UInt64(s.events.count))] {
            let p = try LiveView(engine: engine, department: "sales", at: T, cut: cut).panel()
            let rows = Dictionary(uniqueKeysWithValues: p.agents.map { ($0.agent, $0) })
            #expect(rows["a1"]?.status == "talking" && rows["a1"]?.call == "queue", "\(cut)")
            #expect(rows["a2"]?.status == "available", "\(cut)")
            #expect(p.metrics.inQueue == 1 && p.metrics.maxQueueWaitS == 7 * 3600 - 1, "\(cut)")
            #expect(p.metrics.freeAgents == 1 && p.metrics.agentsOnQueueCalls == 1, "\(cut)")
        }
        // As of 11:00 by occurred time the ends are not in the cut: the same calls, going on.
        let asOf = try LiveView(engine: engine, department: "sales", at: T, cut: .occurredAt(EventTime(milliseconds: T))).panel()
        #expect(asOf.metrics.inQueue == 1 && asOf.agents.first { $0.agent == "a1" }?.status == "talking")
    }

    /// Calls whose `call.started` has not arrived (late delivery; a cut by position before it):
    /// their queue events and answers are what the panel counts (reports depend on the set of
    /// events in the cut). Once only calls with a start counted.
    @Test func queuedCallsWhoseStartIsMissingCount() async throws {
        let dir = TemporaryDirectory("live-nostart")
        let s = Scene()
        s.standardSetup()
        status(s, "a1", "09:00:00", "available")
        func call(_ id: String, _ steps: [(String, EventType, JSONObject)]) {
            for (time, type, data) in steps { s.add(type, 0, time, JSONObject([("call_id", .string(id))] + data.members)) }
        }
        // w3 waits since 10:59:00; x1 answered by a1 after 10 s, still talking; x2 hung up after 30 s.
        call("w3", [("10:59:00", .callQueued, ["department": "sales"])])
        call("x1", [("10:50:00", .callQueued, ["department": "sales"]), ("10:50:10", .callAnswered, ["agent": "a1"])])
        call("x2", [("10:40:00", .callQueued, ["department": "sales"]), ("10:40:30", .callEnded, ["by": "client"])])
        let withoutStarts = s.events.count
        // The starts, appended after everything else.
        for (id, time) in [("w3", "10:58:50"), ("x1", "10:49:55"), ("x2", "10:39:50")] {
            s.add(.callStarted, 0, time, ["call_id": .string(id), "direction": "inbound", "client": "79000000001", "department": "sales"])
        }
        let engine = try await s.engine(dir)
        let T = instant(s, 0, "11:00:00")
        let early = try LiveView(engine: engine, department: "sales", at: T, cut: .position(UInt64(withoutStarts))).panel()
        let late = try LiveView(engine: engine, department: "sales", at: T, cut: .occurredAt(EventTime(milliseconds: T))).panel()
        for p in [early, late] {
            let m = p.metrics
            #expect(m.inQueue == 1 && m.maxQueueWaitS == 60)
            #expect(m.answeredLastHour == 1 && m.missedLastHour == 1 && m.agentsOnQueueCalls == 1 && m.agentsOnPersonalCalls == 0)
            #expect(p.agents.first?.status == "talking" && p.agents.first?.call == "queue")
        }
        #expect(early.metrics.avgQueueWaitS == 20 && late.metrics.avgQueueWaitS == 20)
    }

    /// A call answered in sales and transferred to support's queue waits there: support's panel
    /// shows it in its queue, and the support agent who picks it up is on a queue call. Sales
    /// keeps it as answered (the call's department is its last queue before the answer).
    @Test func aCallTransferredToAnotherQueueWaitsThere() async throws {
        let dir = TemporaryDirectory("live-transfer-queue")
        let s = Scene()
        s.standardSetup()
        status(s, "a1", "09:00:00", "available")
        s.add(.agentStatus, 0, "09:00:00", ["agent": "b1", "status": "available"])
        s.inbound("t2", from: "79000000002", 0, "11:50:00", [queued(1), ringing(5, "a1"), answered(10, "a1"),
                                                             (298, .callTransferred, ["agent": "a1", "to_department": "support"]),
                                                             (300, .callQueued, ["department": "support"]),
                                                             ringing(655, "b1"), answered(660, "b1")])
        let engine = try await s.engine(dir)
        for cut in [Cut.all, .occurredAt(EventTime(milliseconds: instant(s, 0, "12:00:00")))] {
            let support = try LiveView(engine: engine, department: "support", at: instant(s, 0, "12:00:00"), cut: cut).panel()
            #expect(support.metrics.inQueue == 1 && support.metrics.maxQueueWaitS == 300)
            #expect(support.metrics.answeredLastHour == 0 && support.metrics.missedLastHour == 0)
            let sales = try LiveView(engine: engine, department: "sales", at: instant(s, 0, "12:00:00"), cut: cut).panel()
            #expect(sales.metrics.inQueue == 0 && sales.metrics.answeredLastHour == 1)
        }
        let later = try LiveView(engine: engine, department: "support", at: instant(s, 0, "12:02:00"), cut: .all).panel()
        #expect(later.metrics.inQueue == 0 && later.metrics.agentsOnQueueCalls == 1)
        #expect(later.agents.first { $0.agent == "b1" }?.call == "queue")
    }

    @Test func asOfEqualsAFreshReplayOfTheCut() async throws {
        let dir = TemporaryDirectory("live-asof")
        let s = busyHour()
        // Arrival order reversed: the answers depend on the set of events only.
        let full = try await s.engine(dir, order: s.events.reversed())
        for time in ["10:20:10", "10:45:30", "10:59:59", "11:00:00", "11:00:03", "11:04:00", "11:30:00"] {
            let T = instant(s, 0, time)
            let asOf = try LiveView(engine: full, department: "sales", at: T, cut: .occurredAt(EventTime(milliseconds: T))).panel()
            let prefix = Scene()
            prefix.events = s.events.filter { $0.at.milliseconds <= T }
            let fresh = try await prefix.engine(dir)
            let replayed = try LiveView(engine: fresh, department: "sales", at: T, cut: .all).panel()
            #expect(try reportJSON(asOf) == reportJSON(replayed), "at \(time)")
        }
        // Live (the whole log) at an instant after every event equals as of that instant.
        let late = instant(s, 0, "12:00:00")
        #expect(try reportJSON(LiveView(engine: full, department: "sales", at: late).panel())
                == reportJSON(LiveView(engine: full, department: "sales", at: late, cut: .occurredAt(EventTime(milliseconds: late))).panel()))
    }

    @Test func presenceKeptInMemoryAnswersLikeTheLog() async throws {
        let dir = TemporaryDirectory("live-presence")
        let s = busyHour()
        let engine = try await s.engine(dir)
        let cache = PresenceCache(log: engine.log)
        for time in ["10:40:00", "11:00:00"] {
            let T = instant(s, 0, time)
            #expect(try reportJSON(LiveView(engine: engine, department: "sales", at: T, presence: cache).panel())
                    == reportJSON(LiveView(engine: engine, department: "sales", at: T).panel()))
        }
        // Followed along the log: new statuses, one of them late (earlier than what is cached).
        let more = Scene()
        more.add(.agentStatus, 0, "11:20:00", ["agent": "a1", "status": "break"])
        more.add(.agentStatus, 0, "11:10:00", ["agent": "a4", "status": "dnd"])
        more.events = more.events.map { Event(id: "more-" + $0.id, type: $0.type, at: $0.at, source: $0.source, data: $0.data) }
        _ = try await engine.log.append(more.events)
        try engine.catchUp()
        let T = instant(s, 0, "11:30:00")
        let cached = try LiveView(engine: engine, department: "sales", at: T, presence: cache).panel()
        #expect(try reportJSON(cached) == reportJSON(LiveView(engine: engine, department: "sales", at: T).panel()))
        #expect(cached.agents.map(\.status) == ["break", "available", "available", "dnd"])
    }

    /// The spec's words where a shortcut would differ: a call without its end is in progress however
    /// old; occupancy is all talking time in the hour (a call taken on a break too); each call meets
    /// the service level in force when it started.
    @Test func oldCallsTalksOnBreakAndAServiceLevelChange() async throws {
        let dir = TemporaryDirectory("live-literal")
        let s = Scene()
        s.standardSetup()
        status(s, "a1", "09:00:00", "available")
        status(s, "a1", "10:20:00", "break")
        status(s, "a1", "10:40:00", "available")
        status(s, "a2", "09:00:00", "available")
        // From 10:30 the target is 10 s (the rest of the settings as before).
        s.add(.departmentConfigured, 0, "10:30:00", ["department": "sales", "timezone": "Europe/Moscow", "short_abandon_s": 10, "service_level_s": 10,
                                                     "hours": ["mon": [["09:00", "18:00"]], "tue": [["09:00", "18:00"]]]])
        // s1: queued at 03:30:01 and never heard of again: still waiting at 11:00, 7 h 29 min 59 s.
        s.inbound("s1", from: "79000000001", 0, "03:30:00", [queued(1)])
        // s2: a2 has been talking since 04:00:05 (no end yet): a queue call.
        s.inbound("s2", from: "79000000002", 0, "04:00:00", [queued(1), ringing(2, "a2"), answered(5, "a2")])
        // q1: a1 answers on a break, 10:25–10:35 (600 s); waited 10 s (target 20 s when it started).
        s.inbound("q1", from: "79000000003", 0, "10:24:49", [queued(1), ringing(2, "a1"), answered(11, "a1"), ended(611, by: "agent")])
        // q2: waited 15 s, within the 20 s in force at its start (not within today's 10 s).
        s.inbound("q2", from: "79000000004", 0, "10:28:00", [queued(1), ringing(2, "a2"), answered(16, "a2"), ended(76, by: "agent")])
        // q3: waited 6 s, within 10 s.
        s.inbound("q3", from: "79000000005", 0, "10:45:00", [queued(1), ringing(2, "a2"), answered(7, "a2"), ended(67, by: "agent")])
        // s3: queued at 04:20:01, answered by a1 at 10:50:05 after 23,404 s; talks 60 s.
        s.inbound("s3", from: "79000000006", 0, "04:20:00", [queued(1), ringing(23_400, "a1"), answered(23_405, "a1"), ended(23_465, by: "agent")])
        let engine = try await s.engine(dir)
        let T = instant(s, 0, "11:00:00")
        for cut in [Cut.all, .occurredAt(EventTime(milliseconds: T))] {
            let p = try LiveView(engine: engine, department: "sales", at: T, cut: cut).panel()
            let m = p.metrics
            #expect(m.inQueue == 1 && m.maxQueueWaitS == 26_999)
            #expect(m.answeredLastHour == 4 && m.missedLastHour == 0 && m.avgQueueWaitS == (10 + 15 + 6 + 23_404) / 4.0)
            // q1, q2 and q3 within their targets, s3 not: 3 / 4 (50 % against 10 s for all).
            #expect(m.serviceLevelPct == 75 && m.immediateAnswerPct == 75)
            #expect(m.avgInboundTalkS == (600 + 60 + 60 + 60) / 4.0 && m.successfulInboundPct == 100)
            // a1: 600 + 60 s of talk over 2,400 s logged in; a2: talking all hour, logged in all hour.
            let a1 = try #require(p.agents.first { $0.agent == "a1" }), a2 = try #require(p.agents.first { $0.agent == "a2" })
            #expect(a1.talkSLastHour == 660 && abs(a1.occupancyPct - 27.5) < 1e-9)
            #expect(a2.talkSLastHour == 3600 && a2.occupancyPct == 100)
            #expect(abs(m.occupancyPct - 100.0 * 4260 / 6000) < 1e-9)
            #expect(a2.status == "talking" && a2.call == "queue" && a2.inStatusS == 25_195)
            #expect(a1.status == "available" && a1.inStatusS == 535)
            #expect(m.freeAgents == 1 && m.agentsOnQueueCalls == 1 && m.agentsOnPersonalCalls == 0)
            #expect(p.serviceLevel.thresholdS == 10)
        }
    }

    @Test func allAgentsOnBreak() async throws {
        let dir = TemporaryDirectory("live-break")
        let s = Scene()
        s.standardSetup()
        status(s, "a1", "13:00:00", "available")
        status(s, "a2", "13:00:00", "available")
        status(s, "a1", "13:40:00", "break")
        status(s, "a2", "13:40:00", "break")
        s.inbound("q1", from: "79000000001", 0, "13:50:00", [queued(0)])
        s.inbound("q2", from: "79000000002", 0, "13:55:00", [queued(0)])
        let engine = try await s.engine(dir)
        let T = instant(s, 0, "14:00:00")
        let p = try LiveView(engine: engine, department: "sales", at: T, cut: .occurredAt(EventTime(milliseconds: T))).panel()
        #expect(p.metrics.inQueue == 2 && p.metrics.maxQueueWaitS == 600 && p.metrics.freeAgents == 0)
        #expect(p.metrics.answeredLastHour == 0 && p.metrics.missedLastHour == 0 && p.metrics.missedPctLastHour == 0)
        // Logged in 13:00–13:40 each, no talk.
        #expect(p.metrics.occupancyPct == 0 && p.metrics.serviceLevelPct == 0 && p.metrics.outboundPerAgent == 0)
        #expect(p.agents.map(\.status) == ["break", "break"] && p.agents.map(\.inStatusS) == [1200, 1200])
        // With thresholds: no free agent is red (below), two waiting is yellow (above).
        let thresholds = ["free_agents": Threshold(yellow: 1, red: 0, direction: .below), "in_queue": Threshold(yellow: 2, red: 4)]
        let zones = ZoneTracker.zones(of: p.metrics, thresholds: thresholds)
        #expect(zones == ["free_agents": .red, "in_queue": .yellow])
    }

    @Test func burstOfShortAbandons() async throws {
        let dir = TemporaryDirectory("live-burst")
        let s = Scene()
        s.standardSetup()
        status(s, "a1", "09:00:00", "available")
        // Five callers hang up 3 s after queueing; one is answered after 2 s and talks 40 s.
        for k in 0..<5 {
            s.inbound("b\(k)", from: "7900000010\(k)", 0, "11:50:0\(k)", [queued(0), ended(3)])
        }
        s.inbound("ok", from: "79000000200", 0, "11:51:00", [queued(0), ringing(1, "a1"), answered(2, "a1"), ended(42, by: "agent")])
        let engine = try await s.engine(dir)
        let T = instant(s, 0, "12:00:00")
        let p = try LiveView(engine: engine, department: "sales", at: T, cut: .occurredAt(EventTime(milliseconds: T))).panel()
        #expect(p.metrics.missedLastHour == 5 && p.metrics.answeredLastHour == 1)
        #expect(abs(p.metrics.missedPctLastHour - 500.0 / 6) < 1e-9)
        // Misses within 20 s are neutral: 1 good of 1 counted.
        #expect(p.metrics.serviceLevelPct == 100 && p.metrics.immediateAnswerPct == 100)
        #expect(abs(p.metrics.avgQueueWaitS - 17.0 / 6) < 1e-9)
        #expect(p.metrics.avgInboundTalkS == 40 && p.metrics.successfulInboundPct == 100)
        // An hour later the burst has slid out of the window.
        let later = instant(s, 0, "12:50:30")
        let q = try LiveView(engine: engine, department: "sales", at: later, cut: .occurredAt(EventTime(milliseconds: later))).panel()
        #expect(q.metrics.missedLastHour == 0 && q.metrics.answeredLastHour == 1)
        #expect(!q.metrics.noData.contains("missed_pct_last_hour") && !q.metrics.noData.contains("immediate_answer_pct"))
        // A day later nothing happened in the hour: the shares are 0 (the spec) and marked as over nothing.
        let quiet = instant(s, 1, "12:50:30")
        let z = try LiveView(engine: engine, department: "sales", at: quiet, cut: .occurredAt(EventTime(milliseconds: quiet))).panel()
        #expect(z.metrics.serviceLevelPct == 0 && z.metrics.missedPctLastHour == 0)
        #expect(z.metrics.noData.isSuperset(of: ["service_level_pct", "missed_pct_last_hour", "avg_queue_wait_s", "immediate_answer_pct"]))
    }

    /// A quiet hour (no calls) is not a red service level: no zone, no alert; one raised before clears.
    @Test func aShareOverNothingHasNoZoneAndRaisesNoAlert() throws {
        let thresholds = ["service_level_pct": Threshold(yellow: 80, red: 60, direction: .below)]
        func panel(_ sl: Double, quiet: Bool) -> LivePanel {
            var m = LiveMetrics()
            m.serviceLevelPct = sl
            if quiet { m.noData = ["service_level_pct"] }
            return LivePanel(department: "sales", at: "t", windowFrom: "f", metrics: m,
                             serviceLevel: ServiceLevelRule(thresholdS: 20, immediateAnswerS: 1, successfulTalkS: 30, formula: ""), agents: [])
        }
        #expect(ZoneTracker.zones(of: panel(0, quiet: true).metrics, thresholds: thresholds).isEmpty)
        #expect(ZoneTracker.zones(of: panel(0, quiet: false).metrics, thresholds: thresholds) == ["service_level_pct": .red])
        var fresh = ZoneTracker()
        #expect(fresh.update(panel(0, quiet: true), thresholds: thresholds).isEmpty)
        var tracker = ZoneTracker()
        let seen = [panel(50, quiet: false), panel(0, quiet: true), panel(0, quiet: true)].flatMap {
            tracker.update($0, thresholds: thresholds).map { "\($0.state) \($0.zone.rawValue)" }
        }
        #expect(seen == ["raised red", "cleared green"])
    }

    @Test func zoneChangesRaiseAndClearOnce() throws {
        var tracker = ZoneTracker()
        let thresholds = ["in_queue": Threshold(yellow: 2, red: 5), "service_level_pct": Threshold(yellow: 80, red: 60, direction: .below)]
        func panel(_ inQueue: Int, _ sl: Double) -> LivePanel {
            var m = LiveMetrics()
            m.inQueue = inQueue
            m.serviceLevelPct = sl
            return LivePanel(department: "sales", at: "t", windowFrom: "f", metrics: m,
                             serviceLevel: ServiceLevelRule(thresholdS: 20, immediateAnswerS: 1, successfulTalkS: 30, formula: ""), agents: [])
        }
        var seen: [String] = []
        for (q, sl) in [(0, 100.0), (2, 100), (3, 100), (5, 79), (6, 60), (6, 60), (1, 90), (1, 90), (0, 100)] {
            seen += tracker.update(panel(q, sl), thresholds: thresholds).map { "\($0.metric) \($0.state) \($0.zone.rawValue)" }
        }
        #expect(seen == ["in_queue raised yellow", "in_queue raised red", "service_level_pct raised yellow",
                         "service_level_pct raised red", "in_queue cleared green", "service_level_pct cleared green"])
    }

    @Test func configurationFileIsCheckedStrictly() throws {
        let c = try LiveConfiguration.parse("""
        {"live": {"thresholds": {"in_queue": {"yellow": 3, "red": 6}},
                  "departments": {"sales": {"thresholds": {"in_queue": {"red": 4}, "service_level_pct": {"yellow": 80, "red": 60, "direction": "below"}},
                                            "webhooks": ["http://127.0.0.1:9/x"], "emails": ["a@example.com"]}},
                  "emails": ["boss@example.com"], "retries": 2, "retry_backoff_ms": 10}}
        """)
        #expect(c.thresholds(for: "sales")["in_queue"] == Threshold(yellow: nil, red: 4))
        #expect(c.thresholds(for: "support")["in_queue"] == Threshold(yellow: 3, red: 6))
        #expect(c.emails(for: "sales") == ["boss@example.com", "a@example.com"] && c.watchedDepartments == ["sales"] && c.retries == 2)
        for (bad, says) in [(#"{"live": {"thresholds": {"queue": {"red": 1}}}}"#, "unknown metric"),
                            (#"{"live": {"thresholds": {"in_queue": {"yellow": 5, "red": 1}}}}"#, "yellow ≤ red"),
                            (#"{"live": {"thresholds": {"in_queue": {"red": "1"}}}}"#, "expected a number"),
                            (#"{"live": {"webhook": []}}"#, "unknown key")] {
            #expect(throws: LiveConfiguration.Invalid.self) { try LiveConfiguration.parse(bad) }
            do { _ = try LiveConfiguration.parse(bad) } catch { #expect("\(error)".contains(says), "\(error)") }
        }
    }
}
