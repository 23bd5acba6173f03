import Foundation
import LedgerEvents
import LedgerLog
import LedgerSimulator
import LedgerTestSupport
import Testing

@Suite struct EventLogTests {
    @Test func roundTripOfSimulatedEventsKeepsEnvelopesVerbatim() async throws {
        let dir = TemporaryDirectory()
        var config = SimulatorConfiguration()
        config.days = 1
        config.seed = 7
        let lines = TrafficSimulator(config).lines()
        #expect(lines.count > 1000)
        let bytes = Array(lines.joined(separator: "\n").utf8)
        let events = try NDJSONReader.parse(bytes).get()
        let log = try EventLog(directory: dir.path)
        let result = try await log.append(events)
        #expect(result.appended == lines.count)
        #expect(result.duplicates == 0)
        #expect(result.positions == Array(1...UInt64(lines.count)))
        #expect(result.lastPosition == UInt64(lines.count))

        let back = try log.events(after: 0, limit: .max)
        #expect(back.count == lines.count)
        for (k, r) in back.enumerated() {
            #expect(r.position == UInt64(k + 1))
            #expect(r.event.hasSameContent(as: events[k]))
            // The envelope as sent: re-serialising it gives the producer's line, byte for byte.
            #expect(JSONWriter.string(.object(r.event.json)) == lines[k])
        }
        // recorded_at is non-decreasing along positions.
        #expect(zip(back, back.dropFirst()).allSatisfy { $0.recordedAt.milliseconds <= $1.recordedAt.milliseconds })
        #expect(try log.verify().isClean)
    }

    @Test func reappendingTheSameEventsIsANoOpReportingOriginalPositions() async throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(directory: dir.path)
        let batch = (1...10).map { makeEvent("e\($0)", at: 1_795_000_000_000 + Int64($0)) }
        let first = try await log.append(batch)
        #expect(first.appended == 10)
        let again = try await log.append(Array(batch.reversed()))
        #expect(again.appended == 0)
        #expect(again.duplicates == 10)
        #expect(again.positions == Array((1...10).reversed()))
        #expect(log.lastPosition == 10)
        // Same content with data members in another order is still the same content.
        var reordered = batch[0]
        reordered.data = JSONObject(reordered.data.members.reversed())
        let r = try await log.append([reordered, makeEvent("e11", at: 1_795_000_000_011)])
        #expect(r.duplicates == 1 && r.appended == 1 && r.positions == [1, 11])
        // A duplicate inside one batch is stored once.
        let d = try await log.append([makeEvent("x"), makeEvent("x")])
        #expect(d.appended == 1 && d.duplicates == 1 && d.positions == [12, 12])
    }

    @Test func conflictingIDRejectsTheWholeBatch() async throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(directory: dir.path)
        _ = try await log.append([makeEvent("a")])
        let changed = makeEvent("a", data: ["call_id": "c1", "department": "support"])
        await #expect(throws: LedgerError.self) {
            try await log.append([makeEvent("b"), changed, makeEvent("c")])
        }
        do {
            _ = try await log.append([makeEvent("b"), changed])
        } catch let e as LedgerError {
            #expect(e.code == .conflict)
            #expect(e.eventIndex == 1)
            #expect(e.eventID == "a")
            #expect(e.existingPosition == 1)
        }
        #expect(log.lastPosition == 1)
        #expect(try log.event(id: "b") == nil)
        // Same id twice in one batch with different content: conflict too.
        await #expect(throws: LedgerError.self) {
            try await log.append([makeEvent("z"), makeEvent("z", data: ["call_id": "c2", "department": "sales"])])
        }
        #expect(log.lastPosition == 1)
        // Every conflict of a batch is named, in order, not only the first.
        _ = try await log.append([makeEvent("d")])
        do {
            _ = try await log.append([makeEvent("e"), changed, makeEvent("f"), makeEvent("d", data: ["call_id": "c3", "department": "x"]),
                                      makeEvent("f", data: ["call_id": "c4", "department": "y"])])
            Issue.record("a batch with conflicts was stored")
        } catch let e as LedgerError {
            #expect(e.code == .conflict && e.eventIndex == 1 && e.conflictCount == 3)
            #expect(e.conflicts == [.init(eventIndex: 1, eventID: "a", existingPosition: 1), .init(eventIndex: 3, eventID: "d", existingPosition: 2),
                                    .init(eventIndex: 4, eventID: "f", existingPosition: nil)])
            #expect(e.message.contains("and 2 more events"))
        }
        #expect(log.lastPosition == 2)
        #expect(try log.event(id: "e") == nil)
    }

    /// "The same content" is exact: strings by their characters (not Unicode equivalence), numbers
    /// by their exact value (not rounded to a Double). A re-append that differs only in writing
    /// (`1.0` for `1`, `1e2` for `100`, members in another order) is still a duplicate.
    @Test func contentThatDiffersOnlyInUnicodeFormOrBeyondADoubleIsAConflict() async throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(directory: dir.path)
        func event(_ id: String, _ data: String) throws -> Event {
            let json = #"{"id":"\#(id)","type":"call.greeting","at":"2026-11-21T09:15:02Z","data":\#(data)}"#
            return try EventValidator.validate(JSONParser.parse(Array(json.utf8)), index: 0).get()
        }
        let first: [(String, String)] = [
            ("u", #"{"call_id":"café"}"#), ("k", #"{"call_id":"c","xé":1}"#),
            ("n", #"{"call_id":"c","n":12345678901234567890}"#), ("d", #"{"call_id":"c","n":1,"m":100,"p":0.10,"z":0}"#),
        ]
        _ = try await log.append(first.map { try event($0.0, $0.1) })
        for (id, data) in [("u", #"{"call_id":"café"}"#), ("k", #"{"call_id":"c","xé":1}"#),
                           ("n", #"{"call_id":"c","n":12345678901234567891}"#)] {
            await #expect(throws: LedgerError.self, "\(id) \(data)") { try await log.append([try event(id, data)]) }
        }
        let again = try await log.append([try event("d", #"{"m":1e2,"call_id":"c","n":1.0,"p":1E-1,"z":-0.0}"#)])
        #expect(again.appended == 0 && again.duplicates == 1 && log.lastPosition == 4)
    }

    @Test func aBadEventInTheMiddleRejectsTheBatchAndStoresNothing() async throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(directory: dir.path)
        let good = #"{"id":"g1","type":"call.greeting","at":"2026-11-21T09:15:02.250+03:00","data":{"call_id":"c1"}}"#
        let bad = #"{"id":"g2","type":"call.ringing","at":"2026-11-21T09:15:03+03:00","data":{"call_id":"c1"}}"#
        let good2 = #"{"id":"g3","type":"call.greeting","at":"2026-11-21T09:15:04Z","data":{"call_id":"c2"}}"#
        let values = try [good, bad, good2].map { try JSONParser.parse($0) }
        do {
            _ = try await log.append(json: values)
            Issue.record("expected a rejection")
        } catch let e as LedgerError {
            #expect(e.code == .invalidEvents)
            #expect(e.issues.count == 1)
            #expect(e.issues[0].index == 1)
            #expect(e.issues[0].eventID == "g2")
            #expect(e.issues[0].field == "data.agent")
        }
        #expect(log.lastPosition == 0)
        #expect(try log.events(after: 0, limit: 10).isEmpty)
    }

    /// A catch-up page's own events are reused, not re-read: the result is the same for every
    /// call, client and lead, whether the entity is new in the page, began before it, or is not in it.
    @Test func entityReadsReusingAPageEqualReadsFromTheLog() async throws {
        let dir = TemporaryDirectory()
        var config = SimulatorConfiguration()
        config.days = 1
        config.seed = 11
        let events = try NDJSONReader.parse(Array(TrafficSimulator(config).lines().prefix(3000).joined(separator: "\n").utf8)).get()
        let log = try EventLog(directory: dir.path)
        _ = try await log.append(events)
        var compared = 0
        for (after, size) in [(0, 3000), (0, 700), (1200, 450), (2999, 1), (2500, 500)] {
            let page = try log.events(after: UInt64(after), limit: size)
            let through = page.last!.position
            let window = try log.events(after: 0, limit: 3000).filter { $0.position <= through }
            // Entities of the page, and some that only appear before it.
            for r in Array(page.prefix(300)) + Array(window.prefix(100)) {
                let e = r.event
                if e.type.isCallEvent, let c = e.callID {
                    #expect(try log.events(callID: c, through: through, decoded: page) == log.events(callID: c, through: through))
                    compared += 1
                }
                if let client = e.client {
                    #expect(try log.events(client: client, through: through, decoded: page) == log.events(client: client, through: through))
                }
                if let lead = e.leadID {
                    #expect(try log.events(leadID: lead, through: through, decoded: page) == log.events(leadID: lead, through: through))
                }
            }
        }
        #expect(compared > 500)
        // A page with a gap is not trusted: the log is read instead, with the same result.
        let gapped = try log.events(after: 0, limit: 10) + log.events(after: 20, limit: 10)
        let c = gapped.compactMap(\.event.callID).first!
        #expect(try log.events(callID: c, through: 30, decoded: gapped) == log.events(callID: c, through: 30))
    }

    @Test func indexesFindCallsClientsLeadsAndTimeRanges() async throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(directory: dir.path)
        let lines = [
            #"{"id":"1","type":"call.started","at":"2026-11-21T09:00:00.000+03:00","data":{"call_id":"A","direction":"inbound","client":"+7 (831) 212-36-54"}}"#,
            #"{"id":"2","type":"call.started","at":"2026-11-21T09:01:00.000+03:00","data":{"call_id":"B","direction":"inbound","client":"anonymous"}}"#,
            #"{"id":"3","type":"call.ended","at":"2026-11-21T09:02:00.000+03:00","data":{"call_id":"A","by":"client"}}"#,
            #"{"id":"4","type":"lead.created","at":"2026-11-21T09:03:00.000+03:00","data":{"lead_id":"L1","type":"repair","client":"0078312123654","call_id":"A"}}"#,
            #"{"id":"5","type":"missed.handled","at":"2026-11-21T06:04:00Z","data":{"department":"sales","client":"78312123654","by":"ann","reason":"spam"}}"#,
            #"{"id":"6","type":"lead.converted","at":"2026-11-21T09:05:00.000+03:00","data":{"lead_id":"L1","into":"sale","amount":1500.50}}"#,
        ]
        _ = try await log.append(lines.map(parseEvent))
        #expect(try log.events(callID: "A").map(\.event.id) == ["1", "3"])
        #expect(try log.events(callID: "B").map(\.event.id) == ["2"])
        #expect(try log.events(client: ClientNumber("+78312123654")).map(\.event.id) == ["1", "4", "5"])
        #expect(try log.events(client: ClientNumber("anonymous")).isEmpty)
        #expect(try log.events(leadID: "L1").map(\.event.id) == ["4", "6"])
        let from = try EventTime(rfc3339: "2026-11-21T09:01:00+03:00")
        let to = try EventTime(rfc3339: "2026-11-21T09:04:00+03:00")
        #expect(try log.events(occurredFrom: from, to: to).map(\.event.id) == ["2", "3", "4"])
        // Numbers and unknown fields come back verbatim.
        #expect(try log.event(id: "6")?.event.data["amount"] == .number("1500.50"))
        #expect(try log.verify().isClean)
    }

    @Test func concurrentAppendersAreAllAcknowledgedGaplessly() async throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(directory: dir.path)
        let perTask = 20
        let positions = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for t in 0..<64 {
                group.addTask {
                    var ps: [UInt64] = []
                    for n in 0..<perTask {
                        let r = try await log.append([makeEvent("t\(t)-\(n)", at: 1_795_000_000_000 + Int64(n))])
                        ps.append(contentsOf: r.positions)
                    }
                    return ps
                }
            }
            var all: [UInt64] = []
            for try await ps in group { all += ps }
            return all
        }
        #expect(positions.sorted() == Array(1...UInt64(64 * perTask)))
        #expect(log.lastPosition == UInt64(64 * perTask))
        let report = try log.verify()
        #expect(report.isClean)
        #expect(report.records == 64 * perTask)
    }

    /// Ids repeated inside a batch and across concurrent batches that share one group commit:
    /// stored once, every repeat answered with that position; a conflicting repeat refuses its
    /// own batch only, and stores nothing of it.
    @Test func repeatedIDsWithinAndAcrossConcurrentBatches() async throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(directory: dir.path)
        let inBatch = try await log.append([makeEvent("a"), makeEvent("b"), makeEvent("a")])
        #expect(inBatch.appended == 2 && inBatch.duplicates == 1)
        #expect(inBatch.positions == [1, 2, 1])

        // 48 batches each carrying "shared" (same content everywhere) and 16 each carrying "x"
        // with its own content: one of those wins, the other 15 are conflicts.
        let outcomes = try await withThrowingTaskGroup(of: (Int, AppendResult?).self) { group in
            for t in 0..<64 {
                group.addTask {
                    let mine = makeEvent("own-\(t)", at: 1_795_000_000_000 + Int64(t))
                    if t < 48 { return (t, try await log.append([mine, makeEvent("shared"), mine])) }
                    let x = makeEvent("x", data: ["call_id": .string("c\(t)"), "department": "sales"])
                    do { return (t, try await log.append([mine, x])) } catch let e as LedgerError where e.code == .conflict { return (t, nil) }
                }
            }
            var all: [(Int, AppendResult?)] = []
            for try await o in group { all.append(o) }
            return all
        }
        let sharedPositions = Set(outcomes.filter { $0.0 < 48 }.compactMap { $0.1?.positions[1] })
        #expect(sharedPositions.count == 1)
        for (t, r) in outcomes where t < 48 {
            #expect(r != nil && r!.positions[0] == r!.positions[2] && r!.positions[0] != r!.positions[1])
        }
        let winners = outcomes.filter { $0.0 >= 48 && $0.1 != nil }.map(\.0)
        #expect(winners.count == 1)
        for (t, r) in outcomes where t >= 48 && r == nil { #expect(try log.event(id: "own-\(t)") == nil) }
        // a, b, 48 own + shared, 1 own + x.
        let expected: UInt64 = 2 + 48 + 1 + 2
        #expect(log.lastPosition == expected)
        #expect(try log.verify().isClean)
    }

    @Test func theMapGrowsFromATinyInitialSize() async throws {
        let dir = TemporaryDirectory()
        var c = EventLogConfiguration()
        c.initialMapSize = 64 * 1024
        let log = try EventLog(directory: dir.path, configuration: c)
        let before = try log.stats().mapBytes
        let events = (0..<20_000).map { makeEvent("m\($0)", at: 1_795_000_000_000 + Int64($0)) }
        let r = try await log.append(events)
        #expect(r.appended == 20_000)
        let after = try log.stats()
        #expect(after.mapBytes > before)
        #expect(after.events == 20_000)
        #expect(try log.verify().isClean)
    }

    @Test func tailDeliversHistoryThenLiveEvents() async throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(directory: dir.path)
        _ = try await log.append((1...3).map { makeEvent("h\($0)") })
        let reader = Task { () -> [UInt64] in
            var seen: [UInt64] = []
            for try await e in log.tail(after: 1, pageSize: 2) {
                seen.append(e.position)
                if seen.count == 5 { break }
            }
            return seen
        }
        try await Task.sleep(for: .milliseconds(50))
        _ = try await log.append([makeEvent("l1")])
        _ = try await log.append([makeEvent("l2"), makeEvent("l3")])
        #expect(try await reader.value == [2, 3, 4, 5, 6])
    }

    @Test func verifyReportsACorruptedRecordWithItsPosition() async throws {
        let dir = TemporaryDirectory()
        do {
            let log = try EventLog(directory: dir.path)
            _ = try await log.append((1...50).map { n in
                makeEvent("k\(n)", data: ["call_id": .string("c\(n)"), "department": "sales", "note": .string(n == 17 ? "CORRUPT-ME-PLEASE" : "fine")])
            })
            log.close()
        }
        // Flip one byte of record 17's payload on disk.
        let file = dir.path + "/data.mdb"
        var bytes = [UInt8](FileManager.default.contents(atPath: file)!)
        let needle = Array("CORRUPT-ME-PLEASE".utf8)
        let at = (0...(bytes.count - needle.count)).first { Array(bytes[$0..<($0 + needle.count)]) == needle }!
        bytes[at + 3] ^= 0x20
        try Data(bytes).write(to: URL(fileURLWithPath: file))

        let log = try EventLog(directory: dir.path)
        let report = try log.verify()
        #expect(!report.isClean)
        #expect(report.problems.contains { $0.position == 17 && $0.message.contains("checksum") })
        #expect(report.problems.allSatisfy { $0.position == 17 })
        #expect(throws: LedgerError.self) { try log.events(after: 16, limit: 1) }
    }

    @Test func aLongScanDecodesOnTwoThreadsAndStillDeliversEveryEventInOrder() async throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(directory: dir.path)
        let n = 50_000  // past the 32 Ki events from which a scan decodes on a second thread
        let events = (1...n).map { (k: Int) -> Event in
            let note: String = k % 3 == 0 ? "перезвонить после \(k)" : "n\(k)"
            var data = JSONObject()
            data["call_id"] = .string("call-\(k % 997)-longer-than-15")
            data["department"] = .string("sales")
            data["note"] = .string(note)
            data["tags"] = .array([.number(String(k)), .bool(true), .null])
            let type: EventType = k % 2 == 0 ? .callRinging : .callQueued
            return makeEvent("e\(k)", type, at: 1_795_000_000_000 + Int64(k), data: data)
        }
        for s in stride(from: 0, to: n, by: 10_000) { _ = try await log.append(Array(events[s..<(s + 10_000)])) }

        var seen: [RecordedEvent] = []
        try log.scan(after: 0, limit: .max) { seen.append($0) }
        #expect(seen.map(\.position) == Array(1...UInt64(n)))
        #expect(zip(seen, events).allSatisfy { $0.event == $1 })
        // A scan from the middle whose limit ends inside a chunk.
        var part: [UInt64] = []
        try log.scan(after: 1234, limit: 40_001) { part.append($0.position) }
        #expect(part == Array(1235...41235))
        // The body's error comes back as is, with nothing delivered after it, and the log goes on.
        struct Stop: Error {}
        var count = 0
        #expect(throws: Stop.self) {
            try log.scan(after: 0, limit: .max) { _ in
                count += 1
                if count == 20_000 { throw Stop() }
            }
        }
        #expect(count == 20_000)
        _ = try await log.append([makeEvent("after-the-stop")])
        var total = 0
        try log.scan(after: 0, limit: .max) { _ in total += 1 }
        #expect(total == n + 1)
    }

    @Test func aCorruptRecordStopsALongScanWithItsPositionOnEitherThread() async throws {
        // Chunks of 8,192 positions, the helper thread decoding the second half of each: 33,000 is
        // decoded by the caller, 40,000 by the helper.
        for bad in [33_000, 40_000] {
            let dir = TemporaryDirectory()
            do {
                let log = try EventLog(directory: dir.path)
                let events = (1...50_000).map { (k: Int) -> Event in
                    var data = JSONObject()
                    data["call_id"] = .string("c\(k)")
                    data["note"] = .string(k == bad ? "CORRUPT-ME-PLEASE" : "fine")
                    return makeEvent("e\(k)", data: data)
                }
                _ = try await log.append(events)
                log.close()
            }
            let file = dir.path + "/data.mdb"
            var bytes = [UInt8](FileManager.default.contents(atPath: file)!)
            let needle = Array("CORRUPT-ME-PLEASE".utf8)
            let at = (0...(bytes.count - needle.count)).first { k in bytes[k] == needle[0] && Array(bytes[k..<(k + needle.count)]) == needle }!
            bytes[at + 3] ^= 0x20
            try Data(bytes).write(to: URL(fileURLWithPath: file))

            let log = try EventLog(directory: dir.path)
            var delivered = 0
            do {
                try log.scan(after: 0, limit: .max) { _ in delivered += 1 }
                Issue.record("the scan went through a corrupt record at \(bad)")
            } catch let e as LedgerError {
                #expect(e.code == .corrupted)
                #expect(e.message.contains("position \(bad)"))
            }
            // Nothing at or past the bad record was delivered.
            #expect(delivered < bad)
        }
    }

    @Test func backupIsACompactedCopyThatOpensAndVerifies() async throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(directory: dir.sub("live"))
        _ = try await log.append((1...500).map { makeEvent("b\($0)", at: 1_795_000_000_000 + Int64($0)) })
        let report = try log.backup(to: dir.sub("copy"))
        #expect(report.isClean)
        #expect(report.records == 500)
        let copy = try EventLog(directory: dir.sub("copy"))
        #expect(copy.lastPosition == 500)
        #expect(try copy.events(after: 499, limit: 1).first?.event.id == "b500")
        // A non-empty target is refused.
        #expect(throws: (any Error).self) { try log.backup(to: dir.sub("copy")) }
    }
}

@Suite struct DerivedIndexTests {
    /// Indexes follow behind the log: reads must agree whether an entry is still in the in-memory
    /// tail, flushed to LMDB, or rebuilt from the log after reopening.
    @Test func indexedReadsAgreeInTheTailAfterTheFlushAndAfterReopening() async throws {
        let dir = TemporaryDirectory("derived")
        var config = SimulatorConfiguration()
        config.days = 1
        let events = try NDJSONReader.parse(Array(TrafficSimulator(config).lines().joined(separator: "\n").utf8)).get()
        let calls = Array(Set(events.compactMap(\.callID))).sorted().prefix(50)
        let clients = Array(Set(events.compactMap(\.client).filter { !$0.isHidden })).sorted().prefix(50)
        func snapshot(_ log: EventLog) throws -> [String] {
            var out: [String] = []
            for c in calls { out.append(c + ":" + (try log.events(callID: c)).map(\.event.id).joined(separator: ",")) }
            for c in clients { out.append(c.digits + ":" + (try log.events(client: c)).map(\.event.id).joined(separator: ",")) }
            let from = try EventTime(rfc3339: "2026-11-16T09:00:00+03:00"), to = try EventTime(rfc3339: "2026-11-16T11:00:00+03:00")
            out.append((try log.events(occurredFrom: from, to: to)).map(\.event.id).joined(separator: ","))
            out.append(String(describing: try log.event(id: events[events.count / 2].id)?.position))
            out.append(try log.departments().joined(separator: ","))
            return out
        }
        let departments = Set(events.filter { [.departmentConfigured, .agentJoined, .agentLeft].contains($0.type) }.compactMap(\.department)).sorted()
        #expect(departments.count >= 3)
        // Reference: everything still in the in-memory tail.
        let reference = try EventLog(directory: dir.sub("reference"))
        _ = try await reference.append(events)
        let inTail = try snapshot(reference)
        #expect(try reference.departments() == departments)
        // The same appends in batches, with many chunked flushes interleaved (threshold 500).
        var small = EventLogConfiguration()
        small.indexFlushThreshold = 500
        let chunked = try EventLog(directory: dir.sub("chunked"), configuration: small)
        for start in stride(from: 0, to: events.count, by: 700) {
            _ = try await chunked.append(Array(events[start..<min(events.count, start + 700)]))
        }
        // The indexer flushes beside the writer: it catches up to below the threshold.
        for _ in 0..<200 where chunked.unindexedCount >= 500 { try await Task.sleep(for: .milliseconds(25)) }
        #expect(chunked.unindexedCount < 500)
        #expect(try snapshot(chunked) == inTail)
        let chunkedReport = try chunked.verify()
        #expect(chunkedReport.isClean, "\(chunkedReport.problems.prefix(3))")
        chunked.close()
        let log = try EventLog(directory: dir.path)
        _ = try await log.append(events)
        #expect(try snapshot(log) == inTail)
        #expect(inTail.count > 100)
        log.close()  // flushes the indexes
        let reopened = try EventLog(directory: dir.path)
        #expect(try snapshot(reopened) == inTail)
        let report = try reopened.verify()
        #expect(report.isClean && report.indexedThrough == UInt64(events.count))
        // Appends after reopening are found too, mixed with flushed entries.
        _ = try await reopened.append([makeEvent("extra", .callQueued, data: ["call_id": .string(calls[0]), "department": "sales"])])
        #expect(try reopened.events(callID: calls[0]).last?.event.id == "extra")
    }
}
