import CallsPerLineHour
import Foundation
import LedgerEvents
import LedgerLog
import LedgerProjections
import LedgerSimulator
import LedgerTestSupport
import Testing

private let everything = QueryKey.range(from: 0, to: Int64.max / 2)
private let allClients = QueryKey.prefix("clients")

/// Simulated traffic as events, in delivery order.
func simulated(days: Int = 2, seed: UInt64 = 3, late: Double = 0) -> [Event] {
    var c = SimulatorConfiguration()
    c.days = days
    c.seed = seed
    c.lateFraction = late
    return try! NDJSONReader.parse(Array(TrafficSimulator(c).lines().joined(separator: "\n").utf8)).get()
}

/// A fresh ledger holding `events`, with both test projections registered and caught up.
func ledger(_ dir: TemporaryDirectory, _ name: String, _ events: [Event], batch: Int = 500) async throws -> ProjectionEngine {
    let log = try EventLog(directory: dir.sub(name))
    for start in stride(from: 0, to: events.count, by: batch) {
        _ = try await log.append(Array(events[start..<min(events.count, start + batch)]))
    }
    let engine = try ProjectionEngine(log: log)
    try engine.register(CallsPerLineHour())
    try engine.register(ClientCalls())
    try engine.catchUp()
    return engine
}

func lineFacts(_ e: ProjectionEngine, _ cut: Cut = .all) throws -> [String: CallsPerLineHour.Call] {
    Dictionary(uniqueKeysWithValues: try e.facts(of: CallsPerLineHour(), in: everything, cut: cut).map { ($0.entity, $0.fact) })
}

func clientFacts(_ e: ProjectionEngine, _ cut: Cut = .all) throws -> [String: ClientCalls.Fact] {
    Dictionary(uniqueKeysWithValues: try e.facts(of: ClientCalls(), in: allClients, cut: cut).map { ($0.entity, $0.fact) })
}

@Suite struct ProjectionEngineTests {
    @Test func liveStateEqualsARebuildFromScratch() async throws {
        let dir = TemporaryDirectory("proj")
        let events = simulated(days: 3, late: 0.1)
        let log = try EventLog(directory: dir.sub("live"))
        let engine = try ProjectionEngine(log: log)
        try engine.register(CallsPerLineHour())
        try engine.register(ClientCalls())
        // Live: append in many small batches, catching up in between: one projection at once, the
        // other in slices of one page (as the worker does), each slice reporting whether more is left.
        for start in stride(from: 0, to: events.count, by: 700) {
            let batch = min(events.count, start + 700) - start
            _ = try await log.append(Array(events[start..<start + batch]))
            try engine.catchUp("calls-per-line-hour", pageSize: 300)
            var slices: [UInt64] = []
            while try !engine.catchUp("client-calls", pages: 1, pageSize: 300) {
                slices.append(try #require(try engine.status().first { $0.name == "client-calls" }).checkpoint)
            }
            #expect(slices == (1..<(batch + 299) / 300).map { UInt64(start + 300 * $0) })
            #expect(try engine.status().first { $0.name == "client-calls" }?.checkpoint == UInt64(start + batch))
        }
        let liveLines = try lineFacts(engine)
        let liveClients = try clientFacts(engine)
        #expect(liveLines.count > 1000)
        #expect(liveClients.count > 300)
        #expect(try engine.status().allSatisfy { $0.lag == 0 && $0.state == .running })

        try engine.rebuild("calls-per-line-hour")
        try engine.rebuild("client-calls")
        #expect(try lineFacts(engine) == liveLines)
        #expect(try clientFacts(engine) == liveClients)
        // …and both equal the reference replay.
        let replay = try engine.replayedFacts(of: ClientCalls(), in: allClients, cut: .all)
        #expect(Dictionary(uniqueKeysWithValues: replay.map { ($0.entity, $0.fact) }) == liveClients)
    }

    @Test func asOfQueriesEqualAFreshReplayOfTheCutIntoAnEmptyLedger() async throws {
        let dir = TemporaryDirectory("asof")
        let events = simulated(days: 2, late: 0.15)
        let engine = try await ledger(dir, "main", events)
        let log = engine.log
        let head = log.lastPosition
        var rng = SystemRandomNumberGenerator()
        let all = try log.events(after: 0, limit: .max)
        let times = all.map(\.event.at).sorted()
        // The cuts below really differ from the live state.
        #expect(try clientFacts(engine, .position(head / 2)).count < clientFacts(engine).count)
        #expect(try clientFacts(engine, .position(head / 2)) != clientFacts(engine).filter { $0.value.firstAt < all[Int(head / 2)].event.at.milliseconds })
        for round in 0..<3 {
            // (a) a log position
            let p = UInt64.random(in: 1...head, using: &rng)
            let prefix = Array(all.prefix(Int(p))).map(\.event)
            let replayP = try await ledger(dir, "p\(round)", prefix)
            #expect(try lineFacts(engine, .position(p)) == lineFacts(replayP))
            #expect(try clientFacts(engine, .position(p)) == clientFacts(replayP))
            // (c) an occurred time: the events with at ≤ T, late ones included
            let t = times[Int.random(in: 0..<times.count, using: &rng)]
            let occurred = all.filter { $0.event.at <= t }.map(\.event)
            let replayT = try await ledger(dir, "t\(round)", occurred)
            #expect(try lineFacts(engine, .occurredAt(t)) == lineFacts(replayT))
            #expect(try clientFacts(engine, .occurredAt(t)) == clientFacts(replayT))
        }
        // (b) a recorded time: the prefix committed by then.
        let mid = all[all.count / 2]
        let recordedPrefix = all.filter { $0.recordedAt <= mid.recordedAt }.map(\.event)
        let replayR = try await ledger(dir, "r", recordedPrefix)
        #expect(try clientFacts(engine, .recordedAt(mid.recordedAt)) == clientFacts(replayR))
    }

    @Test(arguments: [UInt64(11), 12, 13])
    func arrivalOrderDoesNotChangeReadModels(seed: UInt64) async throws {
        let dir = TemporaryDirectory("order")
        let inOrder = try await ledger(dir, "ordered", simulated(days: 1, seed: seed))
        let shuffled = try await ledger(dir, "late", simulated(days: 1, seed: seed, late: 0.3), batch: 37)
        #expect(try lineFacts(inOrder) == lineFacts(shuffled))
        #expect(try clientFacts(inOrder) == clientFacts(shuffled))
        var reversed = simulated(days: 1, seed: seed)
        reversed.reverse()
        let backwards = try await ledger(dir, "reversed", reversed, batch: 101)
        #expect(try clientFacts(inOrder) == clientFacts(backwards))
    }

    /// A day of traffic and an engine with ``Exploding`` set to throw on the 101st call: the
    /// engine, the log, the projection and the position of that call's first event.
    func explodingLedger(_ dir: TemporaryDirectory) async throws -> (ProjectionEngine, EventLog, Exploding, UInt64) {
        let events = simulated(days: 1)
        let log = try EventLog(directory: dir.sub("l"))
        _ = try await log.append(events)
        let bad = events.filter { $0.type == .callStarted }[100]
        let badPosition = try #require(try log.event(id: bad.id)).position
        let engine = try ProjectionEngine(log: log)
        let exploding = Exploding(badCall: bad.callID!)
        try engine.register(exploding)
        return (engine, log, exploding, badPosition)
    }

    @Test func aThrowingProjectionStopsAloneAndSaysWhereAndWhy() async throws {
        let dir = TemporaryDirectory("fail")
        let (engine, log, _, badPosition) = try await explodingLedger(dir)
        try engine.register(ClientCalls())
        try engine.catchUp(pageSize: 256)
        let status = Dictionary(uniqueKeysWithValues: try engine.status().map { ($0.name, $0) })
        #expect(status["exploding"]?.state == .failed)
        #expect(status["exploding"]?.failure?.position == badPosition)
        #expect(status["exploding"]?.failure?.message.contains("cannot digest call") == true)
        #expect(status["exploding"]?.checkpoint == badPosition - 1)
        #expect(status["client-calls"]?.state == .running)
        #expect(status["client-calls"]?.lag == 0)
        // The log keeps accepting appends, and the healthy projection keeps following.
        _ = try await log.append([makeEvent("after-failure", .callStarted, data: ["call_id": "zz", "direction": "inbound", "client": "79990000000"])])
        try engine.catchUp()
        #expect(try engine.status().first { $0.name == "client-calls" }?.lag == 0)
        #expect(try engine.status().first { $0.name == "exploding" }?.checkpoint == badPosition - 1)
    }

    /// A rebuild stops where a catch-up stops: at the exact event, with every fact before it (it
    /// said the head, checkpoint 0, and swapped in an empty read model).
    @Test func aProjectionThatThrowsInARebuildStopsAtTheExactEventAndKeepsWhatCameBefore() async throws {
        let dir = TemporaryDirectory("fail-rebuild")
        let (engine, log, exploding, badPosition) = try await explodingLedger(dir)
        try engine.rebuild(["exploding"])
        let status = try #require(try engine.status().first { $0.name == "exploding" })
        #expect(status.state == .failed && status.failure?.position == badPosition && status.checkpoint == badPosition - 1)
        // The facts before the failure are there: every call started before it, and every key
        // prefix (an empty one is the whole read model).
        let startedBefore = try log.events(after: 0, limit: Int(badPosition - 1)).filter { $0.event.type == .callStarted }
        let facts = try engine.facts(of: exploding, in: QueryKey.prefix(), cut: .all)
        #expect(facts.count == Set(startedBefore.map { $0.event.callID! }).count && !facts.isEmpty)
        #expect(try engine.facts(of: exploding, in: QueryKey.prefix("all"), cut: .all).count == facts.count)
    }

    @Test func bumpingTheVersionRebuildsOnPrepareAndQueriesKeepWorkingDuringRebuild() async throws {
        let dir = TemporaryDirectory("version")
        let events = simulated(days: 1)
        let log = try EventLog(directory: dir.sub("l"))
        _ = try await log.append(events)
        do {
            let engine = try ProjectionEngine(log: log)
            try engine.register(ClientCalls())
            try engine.catchUp()
        }
        let engine = try ProjectionEngine(log: log)
        try engine.register(ClientCalls(version: 2))
        // Until the rebuild, the stored facts are version 1's: stale, not running.
        #expect(try engine.status()[0].version == 1 && engine.status()[0].state == .stale)
        var progressCalls = 0
        let before = try clientFacts(engine)
        try engine.prepare("client-calls") { _, _ in progressCalls += 1 }
        #expect(progressCalls > 0)
        #expect(try engine.status()[0].version == 2 && engine.status()[0].state == .running)
        #expect(try clientFacts(engine) == before)
        let generations = try FileManager.default.contentsOfDirectory(atPath: dir.sub("l") + "/projections/client-calls")
        #expect(generations.contains("gen-2") && !generations.contains("gen-1"))
        // A second prepare with the same version does nothing.
        progressCalls = 0
        try engine.prepare("client-calls") { _, _ in progressCalls += 1 }
        #expect(progressCalls == 0)
    }

    @Test func theExampleReportCountsCallsPerLinePerHour() async throws {
        let dir = TemporaryDirectory("example")
        let engine = try await ledger(dir, "l", simulated(days: 1))
        let from = try EventTime(rfc3339: "2026-11-16T00:00:00+03:00")
        let to = try EventTime(rfc3339: "2026-11-17T00:00:00+03:00")
        let rows = try CallsPerLineHour.report(engine, from: from, to: to)
        let starts = try engine.log.events(after: 0, limit: .max).filter {
            $0.event.type == .callStarted && $0.event.data.string("direction") == "inbound" && $0.event.at >= from && $0.event.at < to
        }
        #expect(rows.reduce(0) { $0 + $1.calls } == Set(starts.map { $0.event.callID! }).count)
        #expect(rows.allSatisfy { $0.hour.hasSuffix(":00:00.000Z") })
    }
}

@Suite struct ProjectionWorkerTests {
    @Test func workersFollowTheLiveTailAndStopOnCancellation() async throws {
        let dir = TemporaryDirectory("workers")
        let log = try EventLog(directory: dir.sub("l"))
        let engine = try ProjectionEngine(log: log)
        try engine.register(CallsPerLineHour())
        try engine.register(ClientCalls())
        let workers = engine.workers()
        #expect(workers.map(\.name) == ["calls-per-line-hour", "client-calls"])
        let running = workers.map { w in Task { try await w.run() } }
        let events = simulated(days: 1)
        for start in stride(from: 0, to: events.count, by: 500) {
            _ = try await log.append(Array(events[start..<min(events.count, start + 500)]))
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while try engine.status().contains(where: { $0.lag > 0 }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(try engine.status().allSatisfy { $0.lag == 0 && $0.checkpoint == log.lastPosition })
        // What the workers built equals a replay.
        let live = try clientFacts(engine)
        let replay = try engine.replayedFacts(of: ClientCalls(), in: QueryKey.prefix("clients"), cut: .all)
        #expect(live == Dictionary(uniqueKeysWithValues: replay.map { ($0.entity, $0.fact) }))
        for t in running { t.cancel() }
        for t in running { _ = try? await t.value }
    }
}
