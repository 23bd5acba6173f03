import Foundation
import LedgerAsterisk
import LedgerEvents
import LedgerTestSupport
import Testing

/// Inputs real logs produce now and then (clock changes, lost CONNECT lines, damaged fields):
/// mapped as a PBX's people would expect, or reported and skipped, never a crash.
@Suite struct TrapTests {
    func map(queueLog: String = "", cdr: String = "", _ configure: (inout AsteriskConfiguration) -> Void = { _ in })
        -> (events: [Event], statistics: ImportStatistics)
    {
        var c = AsteriskConfiguration()
        configure(&c)
        var mapper = AsteriskMapper(configuration: c)
        var events: [Event] = []
        mapper.mapQueueLog(Array(queueLog.utf8)[...], into: &events)
        mapper.mapCDR(Array(cdr.utf8)[...], into: &events)
        expectValid(events)
        return (events, mapper.statistics)
    }

    @Test func aCDRRowAcrossTheAutumnClockChangeEndsByItsDuration() {
        // New York, 2026-11-01: 01:50 EDT, then 01:05 EST 15 minutes later (local end < start).
        let row = ["", "5551234", "2125550100", "from-pstn", "", "SIP/trunk-1", "", "Hangup", "", "2026-11-01 01:50:00", "",
                   "2026-11-01 01:05:00"].map { "\"\($0)\"" }.joined(separator: ",") + ",900,0,\"NO ANSWER\",\"DOCUMENTATION\",\"1793512200.7\",\"\""
        let (events, stats) = map(cdr: row + "\n") { $0.timeZone = TimeZone(identifier: "America/New_York")! }
        #expect(stats.malformed == 0)
        let start = events.first { $0.type == .callStarted }!, end = events.first { $0.type == .callEnded }!
        #expect(end.at.milliseconds - start.at.milliseconds == 900_000)

        // No duration to tell, or a negative one: reported and skipped.
        let noDuration = row.replacingOccurrences(of: ",900,0,", with: ",,0,")
        let negative = row.replacingOccurrences(of: ",900,0,", with: ",-120,0,")
        let (none, bad) = map(cdr: noDuration + "\n" + negative + "\n") { $0.timeZone = TimeZone(identifier: "America/New_York")! }
        #expect(none.isEmpty)
        #expect(bad.problems.count == 2)
        #expect(bad.problems[0].hasPrefix("cdr line 1: end \"2026-11-01 01:05:00\" is before start"))
        #expect(bad.problems[1].hasPrefix("cdr line 2: duration -120"))
    }

    @Test func cdrTimesInTheRepeatedHourAreReadWithTheUniqueidAndTheDuration() {
        // New York, 2026-11-01: 01:00–02:00 is lived twice, EDT (05:00–06:00Z), then EST (06:00–07:00Z).
        func row(_ start: String, _ answer: String, _ end: String, _ duration: Int, _ billsec: Int, _ disposition: String,
                 _ uniqueid: String, lastapp: String = "Hangup", dstchannel: String = "") -> String {
            ["", "5551234", "2125550100", "from-pstn", "", "SIP/trunk-1", dstchannel, lastapp, "", start, answer, end]
                .map { "\"\($0)\"" }.joined(separator: ",") + ",\(duration),\(billsec),\"\(disposition)\",\"DOCUMENTATION\",\"\(uniqueid)\",\"\""
        }
        let cdr = [
            // The same wall times twice: the channel's epoch (06:30Z, then 05:30Z) says which pass.
            row("2026-11-01 01:30:00", "", "2026-11-01 01:32:00", 120, 0, "NO ANSWER", "1793514600.1"),
            row("2026-11-01 01:30:00", "", "2026-11-01 01:32:00", 120, 0, "NO ANSWER", "1793511000.2"),
            // Started before the change (00:30 EDT), answered and ended after it: the duration and
            // the billed seconds say 01:05 and 01:10 are standard time.
            row("2026-11-01 00:30:00", "2026-11-01 01:05:00", "2026-11-01 01:10:00", 6000, 300, "ANSWERED", "1793507400.3",
                lastapp: "Dial", dstchannel: "PJSIP/201-0000002a"),
        ].joined(separator: "\n") + "\n"
        let (events, stats) = map(cdr: cdr) { $0.timeZone = TimeZone(identifier: "America/New_York")! }
        #expect(stats.malformed == 0 && stats.problems.isEmpty)
        func at(_ call: String, _ type: EventType) -> String? { events.first { $0.callID == call && $0.type == type }?.at.rfc3339UTC }
        func offset(_ call: String, _ type: EventType) -> Int16? { events.first { $0.callID == call && $0.type == type }?.at.offsetMinutes }
        #expect(at("1793514600.1", .callStarted) == "2026-11-01T06:30:00.000Z" && at("1793514600.1", .callEnded) == "2026-11-01T06:32:00.000Z")
        #expect(offset("1793514600.1", .callStarted) == -300)
        #expect(at("1793511000.2", .callStarted) == "2026-11-01T05:30:00.000Z" && at("1793511000.2", .callEnded) == "2026-11-01T05:32:00.000Z")
        #expect(offset("1793511000.2", .callStarted) == -240)
        #expect(at("1793507400.3", .callStarted) == "2026-11-01T04:30:00.000Z")
        #expect(at("1793507400.3", .callAnswered) == "2026-11-01T06:05:00.000Z")
        #expect(at("1793507400.3", .callEnded) == "2026-11-01T06:10:00.000Z")
    }

    @Test func damagedTimesAndMissingMembersOfCompletionsAreReportedNotReadAsZero() {
        let log = """
            1700000000|1.1|q-a|NONE|ENTERQUEUE||2484363601|1
            1700000020|1.1|q-a|NONE|COMPLETEAGENT|8|10|1
            1700000000|2.1|q-a|NONE|ENTERQUEUE||2484363602|1
            1700000070|2.1|q-a|PJSIP/201|COMPLETECALLER|10|abc|1
            1700000000|3.1|q-a|NONE|ENTERQUEUE||2484363603|1
            1700000009|3.1|q-a|NONE|ABANDON|x|y|z
            1700000000|4.1|q-a|NONE|ENTERQUEUE||2484363604|1
            1700000050|4.1|q-a|PJSIP/202|BLINDTRANSFER|300|from-internal|10|xx|1
            1700000000|5.1|q-a|NONE|ENTERQUEUE||2484363605|1
            1700000010|5.1|q-a|PJSIP/203|CONNECT|10|5.2|2
            1700000070|5.1|q-a|NONE|COMPLETEAGENT|10|60|1
            """
        let (events, stats) = map(queueLog: log + "\n")
        // Each damaged line is named and skipped: no answer inferred, no end, nothing read as 0.
        #expect(stats.problems.count == 4)
        #expect(stats.problems.contains { $0.hasPrefix("queue_log line 2: COMPLETEAGENT needs a member") })
        #expect(stats.problems.contains { $0.hasPrefix("queue_log line 4: data2 (talk time s) of COMPLETECALLER \"abc\"") })
        #expect(stats.problems.contains { $0.hasPrefix("queue_log line 6: data1 (position) of ABANDON \"x\"") })
        #expect(stats.problems.contains { $0.hasPrefix("queue_log line 8: data4 (talk time s) of BLINDTRANSFER \"xx\"") })
        for call in ["1.1", "2.1", "3.1", "4.1"] {
            #expect(events.filter { $0.callID == call }.map(\.type) == [.callStarted, .callQueued])
        }
        // A completion of a call already answered needs no member: the answer is known.
        #expect(events.filter { $0.callID == "5.1" }.map(\.type).last == .callEnded)
    }

    /// A follower running for months forgets calls and queue entries a while after their last
    /// line (it used to keep every call it ever mapped), and maps exactly as if it remembered them.
    @Test func aLongFollowForgetsOldCallsAndMapsTheSame() {
        var log = ""
        let start: Int64 = 1_794_787_200
        for k in 0..<(30 * 24) {  // a call an hour for 30 days
            let t = start + Int64(k) * 3600, id = "\(t).\(k)"
            log += "\(t)|\(id)|q|NONE|ENTERQUEUE||1212555\(1000 + k)|1\n"
            log += "\(t + 5)|\(id)|q|PJSIP/202|CONNECT|5|\(id).1|3\n"
            log += "\(t + 65)|\(id)|q|PJSIP/202|COMPLETECALLER|5|60|1\n"
        }
        func run(retention: Int64) -> (events: [Event], remembered: Int) {
            var c = AsteriskConfiguration()
            c.stateRetentionS = retention
            var mapper = AsteriskMapper(configuration: c)
            var events: [Event] = []
            mapper.mapQueueLog(Array(log.utf8)[...], into: &events)
            return (events, mapper.rememberedCount)
        }
        let everything = run(retention: 1 << 40), aDay = run(retention: 86_400)
        #expect(everything.remembered == 2 * 30 * 24)  // each call and its client's queue entry
        #expect(aDay.remembered <= 2 * 2 * 24 + 2)  // at most two days of them
        #expect(aDay.events == everything.events)
        #expect(aDay.events.filter { $0.type == .callStarted }.count == 30 * 24)
        expectValid(aDay.events)
    }

    @Test func aCompletedCallWithoutItsConnectLineWasAnswered() {
        let log = """
            1794819600|1794819600.1|q|NONE|ENTERQUEUE||12125551301|1
            1794819660|1794819600.1|q|PJSIP/202|COMPLETECALLER|10|50|1
            """
        let (events, stats) = map(queueLog: log + "\n")
        #expect(stats.malformed == 0)
        let answer = events.first { $0.type == .callAnswered }
        #expect(answer?.agent == "202" && answer?.at.milliseconds == 1_794_819_610_000)
        #expect(answer?.data.string("inferred_from") == "COMPLETECALLER")
        // Rung and a member, so the agents section offers it as well as counting the answer.
        #expect(events.contains { $0.type == .callRinging && $0.agent == "202" })
        #expect(events.contains { $0.type == .agentJoined && $0.agent == "202" && $0.department == "q" })
    }

    @Test func damagedFieldsAreReportedAndSkipped() {
        let log = """
            1794819600|1794819600.1||NONE|ENTERQUEUE||12125551301|1
            1794819601|1794819601.2|q|NONE|ENTERQUEUE||12125551302|1
            1794819605|1794819601.2|q|PJSIP/202|CONNECT|xx|1794819601.3|yy
            1794819606|1794819601.2|q|PJSIP/203|RINGNOANSWER|-5000
            1794819607|1794819601.2|q|PJSIP/203|RINGNOANSWER|9223372036854775
            2026-04-31 10:00:00|1794819601.2|q|PJSIP/203|RINGNOANSWER|1000
            """
        let (events, stats) = map(queueLog: log + "\n")
        #expect(stats.problems == [
            "queue_log line 1: ENTERQUEUE needs a queue in field 3, got \"\"",
            "queue_log line 3: data1 (hold time s) of CONNECT \"xx\" is not a whole number from 0 to 86400",
            "queue_log line 4: data1 (ring time ms) of RINGNOANSWER \"-5000\" is not a whole number from 0 to 86400000",
            "queue_log line 5: data1 (ring time ms) of RINGNOANSWER \"9223372036854775\" is not a whole number from 0 to 86400000",
            "queue_log line 6: field 1 (time) \"2026-04-31 10:00:00\" is neither epoch seconds nor \"YYYY-MM-DD HH:MM:SS\"",
        ])
        #expect(events.allSatisfy { $0.department != "" })
        #expect(!events.contains { $0.type == .callRinging || $0.type == .callAnswered })
    }

    @Test func aQueueEnteredLongAfterAnExitIsANewAttemptAndAStrayLineEndsNothing() {
        var log = """
            1794819600|1794819600.1|qa|NONE|ENTERQUEUE||12125551301|1
            1794819620|1794819600.1|qa|NONE|EXITEMPTY|1|1|20
            1794823200|1794819600.1|qb|NONE|ENTERQUEUE||12125551301|1
            1794823260|1794819600.1|qb|NONE|ABANDON|1|1|60
            """
        var (events, _) = map(queueLog: log + "\n")
        var ends = events.filter { $0.type == .callEnded }.map { $0.data.string("cause") ?? "" }
        #expect(ends == ["exit_empty", "abandon"])

        // A line stamped two hours ahead, then an overflow 1 s after the exit: still an overflow.
        log = """
            1794819600|1794819600.2|qa|NONE|ENTERQUEUE||12125551302|1
            1794826800|NONE|NONE|NONE|QUEUESTART|
            1794819630|1794819600.2|qa|NONE|EXITWITHTIMEOUT|1|1|30
            1794819631|1794819600.2|qb|NONE|ENTERQUEUE||12125551302|1
            1794819700|1794819600.2|qb|PJSIP/202|CONNECT|69|1794819600.3|2
            1794819760|1794819600.2|qb|PJSIP/202|COMPLETEAGENT|69|60|1
            """
        (events, _) = map(queueLog: log + "\n")
        ends = events.filter { $0.type == .callEnded }.map { $0.data.string("by") ?? "" }
        #expect(ends == ["agent"])

        // The stray line between the exit and the overflow: still an overflow (it used to end
        // the call, and the second queue lost it).
        log = """
            1794819600|1794819600.4|qa|NONE|ENTERQUEUE||12125551304|1
            1794819630|1794819600.4|qa|NONE|EXITWITHTIMEOUT|1|1|30
            1794829999|NONE|qa|PJSIP/202|PAUSE|stray
            1794819635|1794819600.4|qb|NONE|ENTERQUEUE||12125551304|1
            1794819640|1794819600.4|qb|NONE|ABANDON|1|1|5
            """
        (events, _) = map(queueLog: log + "\n")
        ends = events.filter { $0.type == .callEnded }.map { $0.data.string("cause") ?? "" }
        #expect(ends == ["abandon"])
        #expect(events.filter { $0.type == .callQueued }.map { $0.data.string("department") ?? "" } == ["qa", "qb"])

        // A real gap still ends a held call: two lines past the window, the end at its own time.
        log = """
            1794819600|1794819600.5|qa|NONE|ENTERQUEUE||12125551305|1
            1794819630|1794819600.5|qa|NONE|EXITEMPTY|1|1|30
            1794823200|1794823200.6|qa|NONE|ENTERQUEUE||12125551306|1
            1794823210|1794823200.6|qa|NONE|ABANDON|1|1|10
            """
        var mapper = AsteriskMapper(configuration: AsteriskConfiguration())
        var out: [Event] = []
        mapper.mapQueueLog(Array((log + "\n").utf8)[...], endOfInput: false, into: &out)
        #expect(out.filter { $0.type == .callEnded }.map { $0.callID ?? "" } == ["1794819600.5", "1794823200.6"])
        #expect(out.first { $0.type == .callEnded }?.at.milliseconds == 1_794_819_630_000)
    }

    /// A transfer to an extension that queues the call again: the first call ends with the
    /// transfer (answered in the first queue), and the second stint is a call of its own in the
    /// second queue, so that department sees it missed and its agent's ring counts there.
    @Test func aCallQueuedAgainAfterItsTransferIsASecondCallInTheSecondQueue() {
        let log = """
            1794819600|1794819600.7|q-sales|NONE|ENTERQUEUE||12125551307|1
            1794819610|1794819600.7|q-sales|PJSIP/201|CONNECT|10|1794819601.2|4
            1794819700|1794819600.7|q-sales|PJSIP/201|BLINDTRANSFER|700|from-internal|10|90|1
            1794819701|1794819600.7|q-support|NONE|ENTERQUEUE||12125551307|1
            1794819716|1794819600.7|q-support|PJSIP/301|RINGNOANSWER|15000
            1794819760|1794819600.7|q-support|NONE|ABANDON|1|1|59
            """
        let (events, stats) = map(queueLog: log + "\n")
        #expect(stats.malformed == 0)
        func of(_ call: String) -> [String] { events.filter { $0.callID == call }.map(\.type.rawValue) }
        #expect(of("1794819600.7") == ["call.started", "call.queued", "call.ringing", "call.answered", "call.transferred", "call.ended"])
        #expect(of("1794819600.7_2") == ["call.started", "call.queued", "call.ringing", "call.ring_ended", "call.ended"])
        let second = events.first { $0.callID == "1794819600.7_2" && $0.type == .callStarted }
        #expect(second?.department == "q-support" && second?.rawClient == "12125551307")
        expectValid(events)
    }

    /// An `ENTERQUEUE` written after its call's end or exit line, but stamped before it (one
    /// call's lines written out of order), is that call's start: not a second call (`_2`) with
    /// the first left without a start, and not an overflow that drops the exit.
    @Test func anEnterQueueWrittenAfterItsCallsEndIsItsStart() {
        let log = """
            1794819610|1794819600.8|qa|NONE|ABANDON|1|1|10
            1794819600|1794819600.8|qa|NONE|ENTERQUEUE||12125551308|1
            1794819730|1794819700.9|qa|NONE|EXITWITHTIMEOUT|1|1|30
            1794819700|1794819700.9|qa|NONE|ENTERQUEUE||12125551309|1
            1794819800|1794819800.1|qa|NONE|ENTERQUEUE||12125551310|1
            1794819810|1794819800.1|qa|NONE|ABANDON|1|1|10
            1794819900|1794819800.1|qa|NONE|ENTERQUEUE||12125551310|1
            1794819905|1794819800.1|qa|NONE|ABANDON|1|1|5
            """
        let (events, stats) = map(queueLog: log + "\n")
        #expect(stats.malformed == 0)
        func of(_ call: String) -> [String] { events.filter { $0.callID == call }.map(\.type.rawValue).sorted() }
        #expect(of("1794819600.8") == ["call.ended", "call.queued", "call.started"])
        #expect(of("1794819700.9") == ["call.ended", "call.queued", "call.started"])
        let exit = events.first { $0.callID == "1794819700.9" && $0.type == .callEnded }
        #expect(exit?.data.string("cause") == "exit_timeout" && exit?.at.milliseconds == 1_794_819_730_000)
        #expect(!events.contains { $0.callID == "1794819600.8_2" || $0.callID == "1794819700.9_2" })
        // Queued again after its end, by its time too: still a second call.
        #expect(of("1794819800.1") == ["call.ended", "call.queued", "call.started"])
        #expect(of("1794819800.1_2") == ["call.ended", "call.queued", "call.started"])
        expectValid(events)
    }

    /// A `line` of the queue map matches the dialled number in its other forms, as clients match.
    @Test func aMappedLineMatchesItsNumberWrittenOtherwise() throws {
        let log = """
            1794819600|1794819600.9|NONE|NONE|DID|+1 (555) 123-4567
            1794819600|1794819600.9|q-any|NONE|ENTERQUEUE||12125551309|1
            1794819700|1794819700.1|NONE|NONE|DID|5551234567
            1794819700|1794819700.1|q-any|NONE|ENTERQUEUE||12125551310|1
            1794819800|1794819800.1|NONE|NONE|DID|5559999999
            1794819800|1794819800.1|q-any|NONE|ENTERQUEUE||12125551311|1
            """
        let queueMap = try QueueMap(text: "line 15551234567 = sales\n")
        let (events, _) = map(queueLog: log + "\n") { $0.queueMap = queueMap }
        let departments = events.filter { $0.type == .callStarted }.map { $0.department ?? "" }
        #expect(departments == ["sales", "sales", "q-any"])
    }

    @Test func realtimeTimesThroughTheClockChangesKeepGoingForward() {
        // New York: 2026-11-01 01:00–02:00 happens twice; 2026-03-08 02:00–03:00 never happens.
        let log = """
            2026-11-01 01:30:00.000000|1|q|NONE|ENTERQUEUE||12125551301|1
            2026-11-01 01:50:00.000000|1|q|NONE|ABANDON|1|1|1200
            2026-11-01 01:10:00.000000|2|q|NONE|ENTERQUEUE||12125551302|1
            2026-11-01 01:12:00.000000|2|q|NONE|ABANDON|1|1|120
            2026-03-08 02:30:00.000000|3|q|NONE|ENTERQUEUE||12125551303|1
            """
        let (events, stats) = map(queueLog: log + "\n") { $0.timeZone = TimeZone(identifier: "America/New_York")! }
        #expect(stats.malformed == 0)
        func at(_ call: String, _ type: EventType) -> String? { events.first { $0.callID == call && $0.type == type }?.at.rfc3339UTC }
        #expect(at("1", .callStarted) == "2026-11-01T05:30:00.000Z" && at("1", .callEnded) == "2026-11-01T05:50:00.000Z")
        // After 01:50 daylight time, 01:10 is the second pass through the hour (standard time).
        #expect(at("2", .callStarted) == "2026-11-01T06:10:00.000Z" && at("2", .callEnded) == "2026-11-01T06:12:00.000Z")
        // A skipped wall time moves forward by the gap: 02:30 is 03:30 daylight time.
        #expect(at("3", .callStarted) == "2026-03-08T07:30:00.000Z")
    }

    @Test func numbersInTheCountrysOwnInternationalAndTrunkForms() {
        var us = AsteriskConfiguration()
        us.countryCode = "1"
        #expect(us.normalizedClient("011442071234567") == "442071234567")
        #expect(us.normalizedClient("2484363600") == "12484363600")
        var ru = AsteriskConfiguration()
        ru.countryCode = "7"
        #expect(ru.normalizedClient("84951234567") == "74951234567")
        #expect(ru.normalizedClient("810442071234567") == "442071234567")
        #expect(ru.normalizedClient("4951234567") == "74951234567")
        #expect(ru.normalizedClient("+74951234567") == "74951234567")
    }
}
