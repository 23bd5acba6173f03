import Foundation
import LedgerAsterisk
import LedgerEvents
import LedgerTestSupport
import Testing

/// queue_log lines of several Asterisk versions, verb by verb.
@Suite struct QueueLogMappingTests {
    static let versions = ["asterisk-1.4.queue_log", "asterisk-11.queue_log", "asterisk-20.queue_log", "realtime-export.queue_log",
                           "day.queue_log"]

    @Test(arguments: versions)
    func everyEventIsValidKeepsItsLineAndHasAStableUniqueID(_ name: String) throws {
        let (events, stats) = mapFixtures(queueLog: name)
        #expect(!events.isEmpty)
        expectValid(events)
        let lines = Set(String(decoding: fixture(name), as: UTF8.self).split(separator: "\n").map(String.init))
        for e in events {
            #expect(lines.contains(e.data.string("raw") ?? ""), "\(e.id) lost its source line")
            #expect(e.source == "asterisk")
        }
        #expect(Set(events.map(\.id)).count == events.count)
        // Mapping the same bytes again gives the same events: re-imports are no-ops.
        let (again, _) = mapFixtures(queueLog: name)
        #expect(again.count == events.count)
        for (a, b) in zip(events, again) { #expect(a.hasSameContent(as: b)) }
        #expect(stats.eventsMapped == events.count)
    }

    @Test func asterisk14LayoutsLegacyAgentsAndTransfer() throws {
        let (events, stats) = mapFixtures(queueLog: "asterisk-1.4.queue_log")
        #expect(stats.queueLogLines == 12 && stats.malformed == 0 && stats.unknownVerbs.isEmpty)
        let statuses = events.filter { $0.type == .agentStatus }.map { "\($0.agent!):\($0.data.string("status")!)" }
        #expect(statuses == ["1001:available", "1001:offline"])
        // A CONNECT without ring time (before 1.6) rings and answers at the same instant.
        let call4 = events.filter { $0.callID == "1226000335.4" }
        let ring = call4.first { $0.type == .callRinging }!, answer = call4.first { $0.type == .callAnswered }!
        #expect(ring.at == answer.at && answer.agent == "1001")
        // TRANSFER with 4 fields (1.4).
        let transfer = events.first { $0.type == .callTransferred }!
        #expect(transfer.data.string("to_extension") == "2000" && transfer.agent == "1001")
        // EXITWITHTIMEOUT with one field and no further queue: ended by the system at the end of input.
        let exit = events.first { $0.callID == "1226000290.3" && $0.type == .callEnded }!
        #expect(exit.data.string("by") == "system" && exit.data.string("cause") == "exit_timeout")
        #expect(exit.at.milliseconds == 1_226_000_330_000)
    }

    @Test func asterisk11DumpsKeysEmptyQueuesAndCountryCodes() throws {
        var c = AsteriskConfiguration()
        c.countryCode = "44"
        let (events, stats) = mapFixtures(queueLog: "asterisk-11.queue_log", configuration: c)
        #expect(stats.malformed == 0)
        let clients = events.filter { $0.type == .callStarted }.map { $0.rawClient! }
        // "+44 20 7946 0958" international; "020…" national with trunk 0.
        #expect(clients == ["442079460958", "442079460959", "442079460960", "442079460961"])
        let key = events.first { $0.callID == "1380000300.13" && $0.type == .callEnded }!
        #expect(key.data.string("by") == "client" && key.data.string("cause") == "exit_with_key" && key.data.string("key") == "5")
        let empty = events.first { $0.callID == "1380000400.14" && $0.type == .callEnded }!
        #expect(empty.data.string("cause") == "exit_empty")
        let dumps = events.filter { $0.type == .callRingEnded && $0.callID == "1380000500.15" }
        #expect(dumps.map { $0.data.string("cause")! } == ["agent_dump", "incompatible_channels"])
        #expect(dumps.allSatisfy { $0.data.string("outcome") == "rejected" && $0.agent == "2002" })
        // Each is a ring of its own (the agent picked up: no ring line was written), at the line's time.
        let dumpRings = events.filter { $0.type == .callRinging && $0.callID == "1380000500.15" && $0.agent == "2002" }
        #expect(dumpRings.map { $0.data.string("inferred_from") ?? "" } == ["AGENTDUMP", "SYSCOMPAT"])
        #expect(zip(dumpRings, dumps).allSatisfy { $0.at.milliseconds == $1.at.milliseconds })
        #expect(stats.verbs["PENALTY"] == 1 && stats.skipped["no event for this verb"] == 2)
        // SIP/2002 added by REALTIME, removed at the end: joined, available, left, offline.
        let agent2002 = events.filter { $0.agent == "2002" && !$0.type.isCallEvent }.map { $0.type.rawValue + ($0.data.string("status").map { ":" + $0 } ?? "") }
        #expect(agent2002 == ["agent.joined", "agent.status:available", "agent.left", "agent.status:offline"])
    }

    /// Call ids, queues, agents and caller ids become identities of at most 128 bytes: a line with
    /// a longer one is reported and skipped, not mapped into events the ledger would refuse.
    @Test func aLineWithAnOverlongIdentityIsSkipped() throws {
        let long = String(repeating: "9", count: 200)
        var mapper = AsteriskMapper(configuration: AsteriskConfiguration())
        var events: [Event] = []
        let text = "1794790100|\(long)|q1|NONE|ENTERQUEUE||+12484363600|1\n1794790101|1794790101.1|q1|NONE|ENTERQUEUE||\(long)|1\n"
            + "1794790102|1794790102.2|q1|NONE|ENTERQUEUE||+12484363600|1\n"
        mapper.mapQueueLog(Array(text.utf8)[...], into: &events)
        #expect(Set(events.compactMap(\.callID)) == ["1794790102.2"])
        #expect(mapper.statistics.problems.count == 2)
        #expect(mapper.statistics.problems.allSatisfy { $0.contains("at most 128 bytes") })
        expectValid(events)
    }

    @Test func asterisk20VerbsUnknownVerbsAndMalformedLines() throws {
        let (events, stats) = mapFixtures(queueLog: "asterisk-20.queue_log")
        #expect(stats.queueLogLines == 39)
        #expect(stats.unknownVerbs == ["INFO": 1, "CALLSTATUS": 1, "FULL": 1])
        #expect(stats.malformed == 4)
        #expect(stats.problems == [
            "queue_log line 34: 2 fields, expected at least 5 (time|callid|queue|agent|event)",
            "queue_log line 35: field 1 (time) \"not-a-time\" is neither epoch seconds nor \"YYYY-MM-DD HH:MM:SS\"",
            "queue_log line 36: data1 (ring time ms) of RINGNOANSWER \"fifteen\" is not a whole number from 0 to 86400000",
            "queue_log line 37: CONNECT needs a call id in field 2, got \"NONE\"",
        ])
        // DID before ENTERQUEUE becomes the line; the national caller gets the country code.
        let start = events.first { $0.type == .callStarted && $0.callID == "1794790100.1" }!
        #expect(start.data.string("line") == "2484363000" && start.rawClient == "12484363600")
        #expect(start.client == ClientNumber("12484363600"))
        // RINGCANCELED: the caller hung up while it rang; ring started 9 s before.
        let cancel = events.first { $0.type == .callRingEnded && $0.callID == "1794790100.1" }!
        #expect(cancel.data.string("outcome") == "caller_hung_up")
        let ring = events.first { $0.type == .callRinging && $0.callID == "1794790100.1" }!
        #expect(ring.at.milliseconds == 1_794_790_101_000)
        // RINGNOANSWER 0 ms is a refusal, CONNECT rang 18 s.
        let call2 = events.filter { $0.callID == "1794790200.2" }
        #expect(call2.first { $0.type == .callRingEnded }!.data.string("outcome") == "rejected")
        #expect(call2.filter { $0.type == .callRinging }.map(\.at.milliseconds) == [1_794_790_202_000, 1_794_790_202_000])
        // ATTENDEDTRANSFER without CONNECT (APP variant) is proof of an answer at transfer − talk time.
        let call6 = events.filter { $0.callID == "1794790600.6" }
        let inferred = call6.first { $0.type == .callAnswered }!
        #expect(inferred.at.milliseconds == 1_794_790_605_000 && inferred.data.string("inferred_from") == "ATTENDEDTRANSFER")
        #expect(events.first { $0.type == .callTransferred && $0.callID == "1794790400.4" }!.data.string("target") == "PJSIP/203-0000000b")
        // WITHDRAW ends the call (system) once no other queue took it.
        #expect(events.first { $0.type == .callEnded && $0.callID == "1794790700.7" }!.data.string("cause") == "withdraw")
        // ADDMEMBER PAUSED, UNPAUSEALL + UNPAUSE, PAUSEALL + PAUSE: one status per change.
        let s201 = events.filter { $0.type == .agentStatus && $0.agent == "201" }.map { $0.data.string("status")! + ($0.data.string("reason").map { "/" + $0 } ?? "") }
        #expect(s201 == ["break", "available", "break/Auto-Pause", "available/Auto-Unpause", "offline"])
        let s202 = events.filter { $0.type == .agentStatus && $0.agent == "202" }.map { $0.data.string("status")! }
        #expect(s202 == ["available", "break", "offline"])
    }

    /// A break whose reason changes is sent again; the same reason repeated per queue is not,
    /// nor is an unpause of an agent already available, whatever its reason.
    @Test func aBreakWhoseReasonChangesIsSentAgain() throws {
        let lines = [
            "1794790000|MANAGER|q1|PJSIP/301|ADDMEMBER|",
            "1794790010|NONE|NONE|PJSIP/301|PAUSEALL|lunch",
            "1794790010|NONE|q1|PJSIP/301|PAUSE|lunch",
            "1794790600|NONE|NONE|PJSIP/301|PAUSEALL|training",
            "1794790600|NONE|q1|PJSIP/301|PAUSE|training",
            "1794790900|NONE|q1|PJSIP/301|PAUSE|training",
            "1794791200|NONE|q1|PJSIP/301|UNPAUSE|",
            "1794791300|NONE|q1|PJSIP/301|UNPAUSE|Auto-Unpause",
        ].joined(separator: "\n") + "\n"
        var mapper = AsteriskMapper(configuration: AsteriskConfiguration())
        var events: [Event] = []
        mapper.mapQueueLog(Array(lines.utf8)[...], into: &events)
        let statuses = events.filter { $0.type == .agentStatus }.map { $0.data.string("status")! + ($0.data.string("reason").map { "/" + $0 } ?? "") }
        #expect(statuses == ["available", "break/lunch", "break/training", "available"])
    }

    @Test func realtimeExportsAreLocalTimeWithMicroseconds() throws {
        var c = AsteriskConfiguration()
        c.timeZone = TimeZone(identifier: "America/Detroit")!
        let (events, stats) = mapFixtures(queueLog: "realtime-export.queue_log", configuration: c)
        #expect(stats.malformed == 0)
        let start = events.first { $0.type == .callStarted }!
        #expect(start.at.rfc3339 == "2026-11-16T09:00:00.123-05:00")
        #expect(start.rawClient == "12484363620")
        #expect(events.first { $0.type == .callAnswered }!.at.rfc3339 == "2026-11-16T09:00:07.654-05:00")
    }

    @Test func overflowMovesTheCallInsteadOfEndingIt() throws {
        let (events, _) = mapFixtures(queueLog: "day.queue_log", configuration: try dayConfiguration())
        let d = events.filter { $0.callID == "1794839400.107" }
        #expect(d.filter { $0.type == .callQueued }.map { $0.department! } == ["sales", "support"])
        #expect(d.filter { $0.type == .callStarted }.count == 1)
        #expect(d.filter { $0.type == .callEnded }.map { $0.data.string("by")! } == ["agent"])
    }

    @Test func identicalLinesGetDistinctIDsAndMembersGetExtensions() throws {
        let line = "1794790202|1794790200.2|q|Local/205@from-queue/n|RINGNOANSWER|15000"
        var mapper = AsteriskMapper(configuration: AsteriskConfiguration())
        var events: [Event] = []
        mapper.mapQueueLog(Array((line + "\n" + line + "\r\n").utf8)[...], into: &events)
        #expect(events.count == 5)  // joined once, then ringing + ring_ended twice
        #expect(Set(events.map(\.id)).count == 5)
        #expect(events.allSatisfy { $0.agent == "205" })
        #expect(QueueMap.extensionOf("SIP/201-0000002a") == "201")
        var c = AsteriskConfiguration()
        c.queueMap = try QueueMap(text: "agent Alice = 201\n")
        #expect(c.queueMap.agent("Alice") == "201" && c.queueMap.agent("PJSIP/201") == "201" && c.queueMap.agent("Bob") == "Bob")
    }

    @Test func numbersFromBothLogsMeetInOneClient() {
        let c = AsteriskConfiguration()
        #expect(c.normalizedClient("2484363600") == c.normalizedClient("12484363600"))
        #expect(c.normalizedClient("+1 (248) 436-3600") == "12484363600")
        #expect(c.normalizedClient("0012484363600") == "12484363600")
        #expect(c.normalizedClient("201") == "201")
        #expect(c.normalizedClient("anonymous") == "anonymous")
        var none = AsteriskConfiguration()
        none.countryCode = ""
        #expect(none.normalizedClient("2484363600") == "2484363600")
    }

    @Test func badMapsAndSourcesAreRefusedNamingTheLine() {
        #expect(throws: AsteriskError.self) { try QueueMap(text: "queue a = b\nnonsense\n") }
        do {
            _ = try QueueMap(text: "queue a = b\nwidget x = y\n", file: "m.txt")
        } catch {
            #expect(error.description == "m.txt line 2: unknown kind \"widget\"; expected queue, line or agent")
        }
        var c = AsteriskConfiguration()
        c.source = "has space"
        #expect(throws: AsteriskError.self) { try c.validate() }
        var short = AsteriskConfiguration()
        short.stateRetentionS = 3600
        #expect(throws: AsteriskError.self) { try short.validate() }
        #expect(throws: Never.self) { try AsteriskConfiguration().validate() }
    }
}
