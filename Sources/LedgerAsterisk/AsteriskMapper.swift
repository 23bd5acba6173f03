import Foundation
import LedgerEvents

/// Maps Asterisk `queue_log` lines and CDR `Master.csv` rows to wire-format v1 events.
///
/// The mapper keeps a little state per call (was it started, answered, ended; where is it
/// queued) and per agent (memberships, presence), so feed it a file from its first line, in file
/// order, queue_log before the CDR rows of the same period. Every event keeps the raw source line
/// in `data.raw`, and its id is derived from ``AsteriskConfiguration/source``, the line's time
/// and a hash of the line's bytes, so mapping the same lines again (a re-import, a grown or
/// rotated file) gives the same events and the ledger stores nothing twice.
///
/// ```swift
/// var mapper = AsteriskMapper(configuration: AsteriskConfiguration())
/// var events: [Event] = []
/// mapper.mapQueueLog(bytes, into: &events)   // whole file, pending exits flushed
/// print(mapper.statistics.unknownVerbs)
/// ```
public struct AsteriskMapper: Sendable {
    public let configuration: AsteriskConfiguration
    /// Everything read, mapped and skipped so far.
    public var statistics: ImportStatistics {
        var s = counted
        if runCount > 0 { s.verbs[runVerb, default: 0] += runCount }
        return s
    }
    private var counted = ImportStatistics()
    private var runVerb = ""
    private var runCount = 0

    struct CallState: Sendable {
        var started = false
        var answered = false
        var ended = false
        /// When it ended (UTC seconds), once ``ended``.
        var endedAt: Int64?
        var line: String?

        mutating func end(at epoch: Int64) {
            ended = true
            endedAt = epoch
        }
    }

    struct PendingExit: Sendable {
        var epoch: Int64
        var event: Event
    }

    private var clock: LocalClock
    private var calls = Generations<String, CallState>()
    /// Asterisk call ids queued again after their call ended: the number of the current stint
    /// (2, 3, …), whose ledger call id is ``stintID(_:_:)``.
    private var stints = Generations<String, Int>()
    /// `EXIT*` lines waiting to see whether the dialplan sends the call to another queue.
    private var pendingExits: [String: PendingExit] = [:]
    private var nextExitCheck = Int64.min
    /// Answers inferred from a `COMPLETE*` or transfer line so far (see `inferAnswer`).
    public private(set) var inferredAnswers = 0
    /// The time of the last line mapped (see the held exits in `mapQueueLogLine`).
    private var previousLineEpoch = Int64.min
    /// Each agent's departments, to emit `agent.joined`/`agent.left` on changes only.
    private var memberships: [String: Set<String>] = [:]
    /// Each agent's last status sent (a break with its reason).
    private var presence: [String: String] = [:]
    /// Member names and interfaces already translated to agent ids (a handful per center).
    private var agentIDs: [String: String] = [:]
    /// Queue entries by client digits (UTC seconds), to recognise CDR rows of queued calls
    /// when the CDR has no `uniqueid` column.
    private var entriesByClient = Generations<ClientMinute, Bool>()
    /// Hashes of the lines of the current second: identical lines (same second, same content,
    /// written together) get distinct ids.
    private var recentLines: [UInt64: Int] = [:]
    private var recentEpoch = Int64.min
    /// The newest queue_log time seen (UTC seconds): the log's own clock.
    public private(set) var logClock = Int64.min
    private var fields: [Range<Int>] = []
    private var cdrHeader: [String: Int]?
    private var cdrRowsSeen = 0

    // The current line: id prefix and raw text shared by its events.
    /// The id prefix's bytes; each event's id is one String built from them and its tag.
    private var idPrefix: [UInt8] = []
    /// `("raw", line)`: the last member of every event of the line.
    private var rawMember: (key: String, value: JSONValue) = ("raw", .null)

    public init(configuration: AsteriskConfiguration) {
        self.configuration = configuration
        clock = LocalClock(configuration.timeZone)
        fields.reserveCapacity(12)
        var normalized: [String: String] = [:]
        for (line, department) in configuration.queueMap.lines { normalized[configuration.normalizedClient(line)] = department }
        linesByNumber = normalized
    }

    /// The queue map's `line` entries by number normalised as clients are (see `department(ofLine:)`).
    private let linesByNumber: [String: String]

    /// The department owning dialled number `line`: the queue map's `line` entry written exactly
    /// so, else one that is the same number in another form (`+15551234567`, `15551234567` and,
    /// with country code 1, `5551234567`), as a client's number is matched.
    func department(ofLine line: String) -> String? {
        configuration.queueMap.lines[line] ?? linesByNumber[configuration.normalizedClient(line)]
    }

    // MARK: Whole inputs

    /// Maps queue_log lines (a whole file, or the part of a growing one after what was mapped).
    ///
    /// - Parameters:
    ///   - firstLineNumber: the number of the first line in `bytes`, for problem reports.
    ///   - endOfInput: nothing follows, so calls still waiting after an `EXIT*` have ended.
    /// - Returns: the number of lines in `bytes`.
    @discardableResult
    public mutating func mapQueueLog(_ bytes: ArraySlice<UInt8>, firstLineNumber: Int = 1, endOfInput: Bool = true,
                                     into out: inout [Event]) -> Int {
        var n = firstLineNumber
        Self.forEachLine(bytes) { line in
            mapQueueLogLine(line, number: n, into: &out)
            n += 1
        }
        if endOfInput { flushPendingExits(olderThan: nil, into: &out) }
        return n - firstLineNumber
    }

    /// Maps CDR CSV rows (a whole file or its new part); returns the number of lines in `bytes`.
    @discardableResult
    public mutating func mapCDR(_ bytes: ArraySlice<UInt8>, firstLineNumber: Int = 1, into out: inout [Event]) -> Int {
        var n = firstLineNumber
        Self.forEachLine(bytes) { line in
            mapCDRRow(line, number: n, into: &out)
            n += 1
        }
        return n - firstLineNumber
    }

    /// Counts a last line left out because it has no newline yet (Asterisk is still writing it):
    /// the next import maps it once it is complete.
    public mutating func holdBack(_ file: String, line: Int) {
        counted.skip("\(file) line \(line): no newline yet (imported by the next run once complete)")
    }

    /// Takes back `events` mapped from `rows` rows that turned out to be skipped for `reason`.
    public mutating func unmap(_ events: Int, rows: Int, reason: String) {
        counted.eventsMapped -= events
        counted.verbs["CDR inbound", default: 0] -= rows
        counted.skipped[reason, default: 0] += rows
    }

    /// Takes back `events` inferred ring and answer events of `calls` calls the ledger has the
    /// answer of already (the importer checks it).
    public mutating func unmapInferredAnswers(_ events: Int, calls: Int) {
        counted.eventsMapped -= events
        counted.skipped["inferred answer: stored by an earlier import", default: 0] += calls
    }

    /// Forgets the statistics (after replaying the part of a file imported before a restart).
    public mutating func resetStatistics() {
        counted = ImportStatistics()
        runCount = 0
    }

    /// Calls `body` with each line of `bytes` (without `\n`), the last one even without `\n`.
    public static func forEachLine(_ bytes: ArraySlice<UInt8>, _ body: (ArraySlice<UInt8>) -> Void) {
        var start = bytes.startIndex
        var i = start
        let end = bytes.endIndex
        while i < end {
            if bytes[i] == 0x0A {
                body(bytes[start..<i])
                start = i + 1
            }
            i += 1
        }
        if start < end { body(bytes[start..<end]) }
    }

    // MARK: queue_log

    /// Maps one queue_log line (`time|callid|queue|agent|VERB|data…`, without its newline).
    ///
    /// Malformed lines are counted and reported in ``statistics`` with `number`, and skipped.
    public mutating func mapQueueLogLine(_ input: ArraySlice<UInt8>, number lineNumber: Int, into out: inout [Event]) {
        var line = input
        while let last = line.last, last == 0x0D || last == 0x20 || last == 0x09 { line = line.dropLast() }
        guard !line.isEmpty else { return }
        counted.queueLogLines += 1

        fields.removeAll(keepingCapacity: true)
        var start = line.startIndex
        var i = start
        while i < line.endIndex {
            if line[i] == UInt8(ascii: "|") {
                fields.append(start..<i)
                start = i + 1
            }
            i += 1
        }
        fields.append(start..<line.endIndex)
        guard fields.count >= 5 else {
            counted.problem("too few fields", "queue_log line \(lineNumber): \(fields.count) field\(fields.count == 1 ? "" : "s"), expected at least 5 (time|callid|queue|agent|event)")
            return
        }
        let timeText = line[fields[0]]
        var epoch: Int64
        var ms: Int64
        if let e = Self.integer(timeText) {
            epoch = Int64(e)
            ms = epoch * 1000
        } else if let local = LocalClock.parseLocal(timeText) {
            // Realtime (database) exports write local time with microseconds.
            ms = clock.utcMillis(localMillis: local, inOrder: true)
            epoch = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        } else {
            counted.problem("bad time", "queue_log line \(lineNumber): field 1 (time) \"\(Self.text(timeText))\" is neither epoch seconds nor \"YYYY-MM-DD HH:MM:SS\"")
            return
        }
        guard epoch > 0 && epoch < 32_503_680_000 else {
            counted.problem("bad time", "queue_log line \(lineNumber): field 1 (time) \(epoch) is out of range")
            return
        }
        let verb = Self.text(line[fields[4]])
        guard !verb.isEmpty else {
            counted.problem("empty event", "queue_log line \(lineNumber): field 5 (event) is empty")
            return
        }
        if epoch > logClock {
            logClock = epoch
            calls.age(to: epoch, every: configuration.stateRetentionS)
            stints.age(to: epoch, every: configuration.stateRetentionS)
            entriesByClient.age(to: epoch, every: configuration.stateRetentionS)
        }
        // Calls that left a queue more than the window before this line and the one before it
        // went nowhere else: ended before this line is mapped (it may be the same call entering a
        // queue much later). By these lines' own times, not the latest seen, and by two of them:
        // one stray line stamped in the future must not end every call still about to overflow.
        // (A real gap ends them one line later; the end keeps its own time.)
        let seen = min(epoch, previousLineEpoch)
        previousLineEpoch = epoch
        if !pendingExits.isEmpty && (seen >= nextExitCheck || seen + 5 < nextExitCheck) {
            flushPendingExits(olderThan: seen - Int64(configuration.overflowWindowS), into: &out)
            nextExitCheck = seen + 5
        }

        // The call id, queue and agent become identities of the ledger, which are at most 128
        // bytes (a longer one would be refused with the whole batch): such a line is skipped.
        let longest = EventValidator.maxIdentityBytes
        if line[fields[1]].count > longest || line[fields[2]].count > longest || line[fields[3]].count > longest
            || (verb == "ENTERQUEUE" && fields.count > 6 && line[fields[6]].count > longest)
        {
            counted.problem("field too long", "queue_log line \(lineNumber): callid, queue, agent and caller id are at most \(longest) bytes")
            return
        }
        let rawCallID = Self.text(line[fields[1]])
        // A call queued again after it ended continues as a new call of the ledger (see ENTERQUEUE).
        var callID = stints[rawCallID].map { Self.stintID(rawCallID, $0) } ?? rawCallID
        let queue = Self.text(line[fields[2]])
        let member = Self.text(line[fields[3]])
        let data = fields.count - 5
        func d(_ k: Int) -> ArraySlice<UInt8> { k <= data ? line[fields[4 + k]] : line[line.endIndex...] }
        func dText(_ k: Int) -> String { Self.text(d(k)) }
        func dInt(_ k: Int) -> Int? { Self.integer(d(k)) }

        func beginEvents() {
            let hash = FNV1a.hash(line)
            if epoch != recentEpoch {
                recentEpoch = epoch
                recentLines.removeAll(keepingCapacity: true)
            }
            let occurrence = recentLines[hash, default: 0]
            recentLines[hash] = occurrence + 1
            idPrefix.removeAll(keepingCapacity: true)
            idPrefix.append(contentsOf: configuration.source.utf8)
            idPrefix.append(contentsOf: "-ql-".utf8)
            Self.appendDecimal(epoch, to: &idPrefix)
            idPrefix.append(UInt8(ascii: "-"))
            Self.appendHex(hash, to: &idPrefix)
            if occurrence > 0 {
                idPrefix.append(UInt8(ascii: "."))
                Self.appendDecimal(Int64(occurrence), to: &idPrefix)
            }
            rawMember = ("raw", .string(Self.text(line)))
        }
        func isCall() -> Bool {
            guard !rawCallID.isEmpty, rawCallID != "NONE" else {
                counted.problem("no call id", "queue_log line \(lineNumber): \(verb) needs a call id in field 2, got \"\(rawCallID)\"")
                return false
            }
            return true
        }
        func needAgent() -> String? {
            guard !member.isEmpty, member != "NONE" else {
                counted.problem("no agent", "queue_log line \(lineNumber): \(verb) needs a member in field 4, got \"\(member)\"")
                return nil
            }
            if let known = agentIDs[member] { return known }
            let id = configuration.queueMap.agent(member)
            agentIDs[member] = id
            return id
        }
        func number(_ k: Int, _ what: String, in range: ClosedRange<Int>) -> Int? {
            guard let v = dInt(k), range.contains(v) else {
                counted.problem("bad number", "queue_log line \(lineNumber): data\(k) (\(what)) of \(verb) \"\(dText(k))\" is not a whole number from \(range.lowerBound) to \(range.upperBound)")
                return nil
            }
            return v
        }
        /// An optional number: absent or empty is nil, anything else must be a number in `range`.
        func optionalNumber(_ k: Int, _ what: String, in range: ClosedRange<Int>) -> Int?? {
            if d(k).isEmpty { return .some(nil) }
            return number(k, what, in: range).map { .some($0) }
        }
        let department = configuration.queueMap.department(queue: queue)

        switch verb {
        case "ENTERQUEUE":
            guard isCall() else { return }
            guard !queue.isEmpty, queue != "NONE" else {
                counted.problem("no queue", "queue_log line \(lineNumber): ENTERQUEUE needs a queue in field 3, got \"\(queue)\"")
                return
            }
            count(verb)
            beginEvents()
            // Written after its call's end or exit line but stamped before it, this is that call's
            // own start, late in the file (lines of one call written out of order): not an
            // overflow, not a new stint. The exit stays pending, the end stands.
            let known = calls[callID]
            let lateStart = known?.started != true
                && (known?.endedAt.map { epoch <= $0 } ?? false || pendingExits[callID].map { epoch <= $0.epoch } ?? false)
            if !lateStart, !pendingExits.isEmpty, let p = pendingExits.removeValue(forKey: callID) {
                if epoch - p.epoch <= Int64(configuration.overflowWindowS) {
                    counted.verbs["(overflow)", default: 0] += 1
                } else {
                    // Back in a queue long after it left one: a new attempt, the exit stands.
                    calls[callID, default: CallState()].end(at: p.epoch)
                    out.append(p.event)
                    counted.eventsMapped += 1
                }
            }
            var state = calls[callID] ?? CallState()
            if state.ended, !lateStart, rawCallID.utf8.count + 8 <= EventValidator.maxIdentityBytes {
                // Queued again after the call ended: transferred to an extension that queues it,
                // or back long after an exit. The ended call stays as it was (QueueMetrics counts
                // a transfer as the end of the queue's part), and this stint is a call of its own
                // (`CALLID_2`, …) in the new queue, so that department sees it, missed or
                // answered, and its agents' rings count there, not for the first department.
                let stint = (stints[rawCallID] ?? 1) + 1
                stints[rawCallID] = stint
                callID = Self.stintID(rawCallID, stint)
                state = CallState(line: state.line)
            }
            if !state.started {
                state.started = true
                let rawClient = dText(2)
                let client = configuration.normalizedClient(rawClient)
                var o = JSONObject([("call_id", .string(callID)), ("direction", "inbound"), ("client", .string(client))])
                if let l = state.line { o.members.append(("line", .string(l))) }
                o.members.append(("department", .string(state.line.flatMap { self.department(ofLine: $0) } ?? department)))
                o.members.append(rawMember)
                emit(.callStarted, "start", ms, o, into: &out)
                let digits = ClientNumber(client).digits
                if !digits.isEmpty { entriesByClient[ClientMinute(digits: digits, minute: epoch / 60)] = true }
            }
            calls[callID] = state
            emit(.callQueued, "queue", ms, [("call_id", .string(callID)), ("department", .string(department)), rawMember], into: &out)
        case "DID":
            // FreePBX writes the dialled number before ENTERQUEUE: it becomes the call's line.
            guard isCall() else { return }
            count(verb)
            let did = dText(1)
            if !did.isEmpty { calls[callID, default: CallState()].line = did }
        case "RINGNOANSWER", "RINGCANCELED":
            guard isCall(), let agent = needAgent(), let ringMs = number(1, "ring time ms", in: 0...86_400_000) else { return }
            count(verb)
            beginEvents()
            joinIfNew(agent, member: member, department, ms, into: &out)
            let outcome = verb == "RINGCANCELED" ? "caller_hung_up" : ringMs < configuration.rejectedBelowMs ? "rejected" : "no_answer"
            emit(.callRinging, "ring", ms - Int64(max(0, ringMs)), [("call_id", .string(callID)), ("agent", .string(agent)), rawMember], into: &out)
            emit(.callRingEnded, "ringend", ms, [("call_id", .string(callID)), ("agent", .string(agent)), ("outcome", .string(outcome)),
                                                 ("ring_ms", .number(String(ringMs))), rawMember], into: &out)
        case "CONNECT":
            // data3 (ring time, seconds) exists since 1.6; older lines ring and answer at once.
            guard isCall(), let agent = needAgent(), let holdS = optionalNumber(1, "hold time s", in: 0...86_400),
                  let ringText = optionalNumber(3, "ring time s", in: 0...86_400) else { return }
            let ringS = ringText ?? 0
            count(verb)
            beginEvents()
            joinIfNew(agent, member: member, department, ms, into: &out)
            calls[callID, default: CallState()].answered = true
            emit(.callRinging, "ring", ms - Int64(ringS) * 1000, [("call_id", .string(callID)), ("agent", .string(agent)), rawMember], into: &out)
            var o = JSONObject([("call_id", .string(callID)), ("agent", .string(agent))])
            if let hold = holdS { o.members.append(("hold_s", .number(String(hold)))) }
            if !dText(2).isEmpty { o.members.append(("agent_channel_uniqueid", .string(dText(2)))) }
            o.members.append(rawMember)
            emit(.callAnswered, "answer", ms, o, into: &out)
        case "COMPLETEAGENT", "COMPLETECALLER", "ABANDON":
            guard isCall() else { return }
            let abandoned = verb == "ABANDON"
            // COMPLETE*: hold, talk, original position; ABANDON: position, original position, wait.
            // A field that is there must be a number: a damaged one is reported, not read as 0.
            guard let first = optionalNumber(1, abandoned ? "position" : "hold time s", in: 0...86_400),
                  let talkS = optionalNumber(2, abandoned ? "original position" : "talk time s", in: 0...86_400),
                  let waitS = abandoned ? optionalNumber(3, "wait time s", in: 0...86_400) : .some(nil) else { return }
            _ = first
            // A completed call was bridged: the database table may lack the CONNECT line. Its
            // answer is then inferred from the member, so one must be named.
            var inferredBy: String?
            if !abandoned, calls[callID]?.answered != true {
                guard let agent = needAgent() else { return }
                inferredBy = agent
            }
            count(verb)
            beginEvents()
            if !pendingExits.isEmpty { pendingExits[callID] = nil }
            if let agent = inferredBy {
                inferAnswer(callID, agent: agent, member: member, department, at: ms - Int64(talkS ?? 0) * 1000, from: verb, into: &out)
            }
            calls[callID, default: CallState()].end(at: epoch)
            let by = verb == "COMPLETEAGENT" ? "agent" : "client"
            var o = JSONObject([("call_id", .string(callID)), ("by", .string(by))])
            if abandoned {
                o.members.append(("cause", "abandon"))
                if let wait = waitS { o.members.append(("wait_s", .number(String(wait)))) }
            } else if let talk = talkS {
                o.members.append(("talk_s", .number(String(talk))))
            }
            o.members.append(rawMember)
            emit(.callEnded, "end", ms, o, into: &out)
        case "EXITEMPTY", "EXITWITHTIMEOUT", "EXITWITHKEY", "WITHDRAW":
            guard isCall() else { return }
            count(verb)
            beginEvents()
            // The dialplan may send the call on to another queue (overflow): wait for that.
            let cause = ["EXITEMPTY": "exit_empty", "EXITWITHTIMEOUT": "exit_timeout", "EXITWITHKEY": "exit_with_key", "WITHDRAW": "withdraw"][verb]!
            var o = JSONObject([("call_id", .string(callID)), ("by", .string(verb == "EXITWITHKEY" ? "client" : "system")), ("cause", .string(cause))])
            if verb == "EXITWITHKEY" { o.members.append(("key", .string(dText(1)))) }
            o.members.append(rawMember)
            let e = makeEvent(.callEnded, "end", ms, o)
            pendingExits[callID] = PendingExit(epoch: epoch, event: e)
        case "TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER":
            guard isCall(), let agent = needAgent() else { return }
            // ATTENDEDTRANSFER LINK has two channel fields, so times sit one field later.
            let shift = verb == "ATTENDEDTRANSFER" && dText(1) == "LINK" && data >= 6 ? 1 : 0
            guard optionalNumber(3 + shift, "hold time s", in: 0...86_400) != nil,
                  let talk = optionalNumber(4 + shift, "talk time s", in: 0...86_400) else { return }
            count(verb)
            beginEvents()
            var o = JSONObject([("call_id", .string(callID)), ("agent", .string(agent))])
            if verb == "ATTENDEDTRANSFER" {
                o.members.append(("method", .string(dText(1))))
                o.members.append(("target", .string(dText(2 + shift))))
            } else {
                let ext = dText(1)
                o.members.append(("to_extension", .string(ext)))
                o.members.append(("to_context", .string(dText(2))))
                if let dept = self.department(ofLine: ext) { o.members.append(("to_department", .string(dept))) }
            }
            // A transfer proves an answer: the database table may lack the CONNECT line.
            if calls[callID]?.answered != true {
                inferAnswer(callID, agent: agent, member: member, department, at: ms - Int64(max(0, talk ?? 0)) * 1000, from: verb, into: &out)
            }
            o.members.append(rawMember)
            emit(.callTransferred, "transfer", ms, o, into: &out)
            // The transfer is the call's last queue_log line (no COMPLETE* follows): the queue's
            // part of it ends here, as queue statistics (QueueMetrics) count it. Without an end
            // the call would stay in progress, never answered, for good.
            if calls[callID]?.ended != true {
                calls[callID, default: CallState()].end(at: epoch)
                if !pendingExits.isEmpty { pendingExits[callID] = nil }
                emit(.callEnded, "end", ms, [("call_id", .string(callID)), ("by", "agent"), ("cause", "transferred"), rawMember], into: &out)
            }
        case "AGENTDUMP", "SYSCOMPAT":
            guard isCall(), let agent = needAgent() else { return }
            count(verb)
            beginEvents()
            // The agent was rung and picked up (no ring line is written for that): the ring is
            // a fact a ring report counts, so it is sent, at this line's time since when it began
            // is not logged. Without it the ring's end alone counted for nobody.
            joinIfNew(agent, member: member, department, ms, into: &out)
            emit(.callRinging, "ring", ms, [("call_id", .string(callID)), ("agent", .string(agent)), ("inferred_from", .string(verb)), rawMember],
                 into: &out)
            emit(.callRingEnded, "ringend", ms, [("call_id", .string(callID)), ("agent", .string(agent)), ("outcome", "rejected"),
                                                 ("cause", .string(verb == "AGENTDUMP" ? "agent_dump" : "incompatible_channels")), rawMember], into: &out)
        case "ADDMEMBER":
            guard let agent = needAgent() else { return }
            count(verb)
            beginEvents()
            joinIfNew(agent, member: member, department, ms, into: &out)
            setStatus(agent, dText(1).uppercased() == "PAUSED" ? "break" : "available", reason: nil, ms, into: &out)
        case "REMOVEMEMBER":
            guard let agent = needAgent() else { return }
            count(verb)
            beginEvents()
            // Emitted even for a member we never saw join (a static member, or a file that
            // starts after the ADDMEMBER): the removal is a fact either way.
            memberships[agent]?.remove(department)
            emit(.agentLeft, "left", ms, [("agent", .string(agent)), ("department", .string(department)), rawMember], into: &out)
            if memberships[agent]?.isEmpty ?? true { setStatus(agent, "offline", reason: nil, ms, into: &out) }
        case "PAUSE", "PAUSEALL", "UNPAUSE", "UNPAUSEALL":
            guard let agent = needAgent() else { return }
            count(verb)
            beginEvents()
            let reason = dText(1)
            if verb.hasPrefix("UN") {
                setStatus(agent, "available", reason: reason.isEmpty ? nil : reason, ms, into: &out)
            } else {
                setStatus(agent, "break", reason: reason, ms, into: &out)
            }
        case "AGENTLOGIN", "AGENTCALLBACKLOGIN", "AGENTLOGOFF", "AGENTCALLBACKLOGOFF":
            guard let agent = needAgent() else { return }
            count(verb)
            beginEvents()
            setStatus(agent, verb.hasSuffix("LOGIN") ? "available" : "offline", reason: nil, ms, into: &out)
        case "QUEUESTART", "CONFIGRELOAD", "PENALTY", "RINGINUSE", "OUTCALL":
            // Known, with nothing for the ledger: logger housekeeping, member settings, and
            // OUTCALL, whose outbound legs the CDR describes in full.
            count(verb)
            counted.skip("no event for this verb")
        default:
            counted.unknownVerbs[verb, default: 0] += 1
            counted.skip("unknown verb")
        }
    }

    /// Emits the `call.ended` of calls whose `EXIT*` is older than `epoch` (UTC seconds) with no
    /// new `ENTERQUEUE` since; all of them when `epoch` is nil (end of input).
    public mutating func flushPendingExits(olderThan epoch: Int64?, into out: inout [Event]) {
        guard !pendingExits.isEmpty else { return }
        var done: [String] = []
        for (callID, p) in pendingExits where epoch.map({ p.epoch < $0 }) ?? true { done.append(callID) }
        // Sorted so the output order does not depend on hashing.
        for callID in done.sorted() {
            let p = pendingExits.removeValue(forKey: callID)!
            calls[callID, default: CallState()].end(at: p.epoch)
            out.append(p.event)
            counted.eventsMapped += 1
        }
    }

    /// Calls waiting after an `EXIT*` line.
    public var pendingExitCount: Int { pendingExits.count }

    /// An `EXIT*` still waiting when an import ended: its call's `call.ended`, not stored.
    public struct HeldExit: Sendable {
        public var callID: String
        /// The exit line's time (UTC seconds).
        public var epoch: Int64
        public var event: Event
        public init(callID: String, epoch: Int64, event: Event) {
            self.callID = callID
            self.epoch = epoch
            self.event = event
        }
    }

    /// The exits waiting now, by call id, for a later import to decide (``adoptHeldExits(_:)``).
    public var heldExits: [HeldExit] {
        pendingExits.sorted { $0.key < $1.key }.map { HeldExit(callID: $0.key, epoch: $0.value.epoch, event: $0.value.event) }
    }

    /// Takes back the exits an earlier import held for calls this mapper has seen nothing of:
    /// their lines are in a file rotated away since. Calls it has seen, it decided from their lines.
    public mutating func adoptHeldExits(_ held: [HeldExit]) {
        for h in held where calls[h.callID] == nil && pendingExits[h.callID] == nil {
            pendingExits[h.callID] = PendingExit(epoch: h.epoch, event: h.event)
        }
    }

    /// Calls and clients' queue entries remembered (bounded by ``AsteriskConfiguration/stateRetentionS``).
    public var rememberedCount: Int { calls.count + entriesByClient.count + stints.count }

    // MARK: CDR

    /// Maps one CDR CSV row (Master.csv layout, or any layout with a header row naming the columns).
    public mutating func mapCDRRow(_ input: ArraySlice<UInt8>, number: Int, into out: inout [Event]) {
        var line = input
        while let last = line.last, last == 0x0D || last == 0x20 { line = line.dropLast() }
        guard !line.isEmpty else { return }
        guard let cols = Self.csvFields(line) else {
            counted.cdrRows += 1
            counted.problem("cdr: unbalanced quotes", "cdr line \(number): a quoted field is not closed")
            return
        }
        cdrRowsSeen += 1
        if cdrRowsSeen == 1, cols.contains("src"), cols.contains("dst") {
            var h: [String: Int] = [:]
            for (k, c) in cols.enumerated() { h[c.lowercased()] = k }
            cdrHeader = h
            return
        }
        counted.cdrRows += 1
        guard let row = CDRRow(cols, header: cdrHeader) else {
            counted.problem("cdr: too few columns", "cdr line \(number): \(cols.count) column\(cols.count == 1 ? "" : "s"), expected at least 16 (Master.csv) or the columns of the header row")
            return
        }
        let longest = EventValidator.maxIdentityBytes
        guard [row.uniqueid, row.src, row.dst, row.channel, row.dstchannel].allSatisfy({ $0.utf8.count <= longest }) else {
            counted.problem("cdr: field too long", "cdr line \(number): uniqueid, src, dst, channel and dstchannel are at most \(longest) bytes (they become the ledger's identities)")
            return
        }
        func localTime(_ text: String, _ field: String, notBefore: Int64?) -> Int64?? {
            if text.isEmpty { return .some(nil) }
            guard let local = LocalClock.parseLocal(Array(text.utf8)[...]) else {
                counted.problem("cdr: bad time", "cdr line \(number): \(field) \"\(text)\" is not \"YYYY-MM-DD HH:MM:SS\"")
                return nil
            }
            return .some(clock.utcMillis(localMillis: local, notBefore: notBefore))
        }
        // Seconds, at most a day and a half in any real call: also keeps the arithmetic below in range.
        guard (0...200_000).contains(row.duration ?? 0), (0...200_000).contains(row.billsec ?? 0) else {
            counted.problem("cdr: bad duration", "cdr line \(number): duration \(row.duration ?? 0) / billsec \(row.billsec ?? 0) is not a number of seconds from 0 to 200000")
            return
        }
        let duration = Int64(row.duration ?? 0)
        let billsec = Int64(row.billsec ?? 0)
        // A local time the autumn change repeats is read with what else the row tells: the start
        // is not before the channel was made (the epoch in its uniqueid), the end is the start
        // plus the duration and the answer the end minus the billed seconds (both counted by
        // Asterisk in seconds, hence the slack).
        let made = CDRRow.epochMillis(ofUniqueID: row.uniqueid) ?? CDRRow.epochMillis(ofUniqueID: row.linkedid)
        guard let startOpt = localTime(row.start, "start", notBefore: made.map { $0 - 2_000 }), let start = startOpt,
              let endOpt = localTime(row.end, "end", notBefore: row.duration.map { _ in start + duration * 1000 - 2_000 }) else {
            if row.start.isEmpty { counted.problem("cdr: bad time", "cdr line \(number): start is empty") }
            return
        }
        let billedFrom = (endOpt ?? start + duration * 1000) - billsec * 1000
        guard let answerOpt = localTime(row.answer, "answer", notBefore: row.billsec.map { _ in billedFrom - 2_000 }) else { return }
        let answered = row.disposition == "ANSWERED"
        var end = endOpt ?? start + duration * 1000
        var answer = answerOpt ?? (answered ? end - billsec * 1000 : nil)
        if end < start {
            // Local times across a clock change (autumn) can end "before" they start: the
            // duration, counted in seconds by Asterisk itself, tells when it really ended.
            guard row.duration != nil else {
                counted.problem("cdr: end before start", "cdr line \(number): end \"\(row.end)\" is before start \"\(row.start)\" and there is no duration")
                return
            }
            end = start + duration * 1000
            answer = answered ? end - billsec * 1000 : nil
        }
        if let a = answer, a < start || a > end { answer = answered ? max(start, end - billsec * 1000) : nil }

        idPrefix.removeAll(keepingCapacity: true)
        idPrefix.append(contentsOf: configuration.source.utf8)
        idPrefix.append(contentsOf: "-cdr-".utf8)
        Self.appendHex(FNV1a.hash(line), to: &idPrefix)
        rawMember = ("raw", .string(Self.text(line)))
        let callID = row.uniqueid.isEmpty ? String(decoding: idPrefix, as: UTF8.self) : row.uniqueid
        let max = configuration.internalMaxDigits
        let srcDigits = row.src.filter(\.isNumber)
        let dstDigits = row.dst.filter(\.isNumber)
        let chanExt = row.channel.contains("/") ? QueueMap.extensionOf(row.channel) : ""
        let chanInternal = !chanExt.isEmpty && chanExt.count <= max && chanExt.allSatisfy(\.isNumber)
        let srcInternal = !srcDigits.isEmpty && srcDigits.count <= max && srcDigits.count == row.src.count
        let dialler = srcInternal ? row.src : chanInternal ? chanExt : nil

        if let dialler, dstDigits.count > max {
            // Outbound: an agent's extension dialled an external number (callbacks among them).
            let agent = configuration.queueMap.agent(dialler)
            counted.verbs["CDR outbound", default: 0] += 1
            emit(.callStarted, "start", start, [("call_id", .string(callID)), ("direction", "outbound"),
                                                ("client", .string(configuration.normalizedClient(row.dst))), ("agent", .string(agent)), rawMember], into: &out)
            if answered, let answer {
                emit(.callAnswered, "answer", answer, [("call_id", .string(callID)), ("agent", .string(agent)), rawMember], into: &out)
                emit(.callEnded, "end", end, [("call_id", .string(callID)), ("by", "agent"), ("cause", "hangup_side_unknown"), rawMember], into: &out)
            } else {
                emit(.callEnded, "end", end, [("call_id", .string(callID)), ("by", "system"),
                                              ("cause", .string(row.disposition.lowercased().replacingOccurrences(of: " ", with: "_"))), rawMember], into: &out)
            }
            return
        }
        guard !srcInternal else {
            counted.skip("cdr: internal call")
            return
        }
        // Inbound. Calls that reached a queue are described by queue_log, line for line.
        if calls[row.uniqueid] != nil || (!row.linkedid.isEmpty && calls[row.linkedid] != nil) {
            counted.skip("cdr: call described by queue_log")
            return
        }
        let client = configuration.normalizedClient(row.src)
        let digits = ClientNumber(client).digits
        if !digits.isEmpty, (((start - 1000) / 60_000)...((end + 1000) / 60_000)).contains(where: {
            entriesByClient[ClientMinute(digits: digits, minute: $0)] != nil
        }) {
            counted.skip("cdr: call described by queue_log")
            return
        }
        counted.verbs["CDR inbound", default: 0] += 1
        let app = row.lastapp.lowercased()
        let queueName = app == "queue" ? String(row.lastdata.split(separator: ",", omittingEmptySubsequences: false).first ?? "") : ""
        let department = self.department(ofLine: row.dst) ?? self.department(ofLine: dstDigits)
            ?? (queueName.isEmpty ? nil : configuration.queueMap.department(queue: queueName))
        var o = JSONObject([("call_id", .string(callID)), ("direction", "inbound"), ("client", .string(client)), ("line", .string(row.dst))])
        if let department { o.members.append(("department", .string(department))) }
        o.members.append(rawMember)
        emit(.callStarted, "start", start, o, into: &out)
        var endedBy = "client"
        if !answered && (row.disposition == "FAILED" || row.disposition == "CONGESTION") {
            emit(.callRoutingFailed, "routing", start, [("call_id", .string(callID)), ("cause", "no_route"), rawMember], into: &out)
            endedBy = "system"
        } else if app == "queue" {
            emit(.callQueued, "queue", start, [("call_id", .string(callID)),
                                               ("department", .string(configuration.queueMap.department(queue: queueName.isEmpty ? row.dst : queueName))), rawMember], into: &out)
            if answered, let answer, !row.dstchannel.isEmpty {
                let agent = configuration.queueMap.agent(row.dstchannel)
                emit(.callRinging, "ring", start, [("call_id", .string(callID)), ("agent", .string(agent)), rawMember], into: &out)
                emit(.callAnswered, "answer", answer, [("call_id", .string(callID)), ("agent", .string(agent)), rawMember], into: &out)
            }
        } else if app == "dial" && !row.dstchannel.isEmpty {
            let agent = configuration.queueMap.agent(row.dstchannel)
            emit(.callRinging, "ring", start, [("call_id", .string(callID)), ("agent", .string(agent)), rawMember], into: &out)
            if answered, let answer {
                emit(.callAnswered, "answer", answer, [("call_id", .string(callID)), ("agent", .string(agent)), rawMember], into: &out)
            } else {
                emit(.callRingEnded, "ringend", end, [("call_id", .string(callID)), ("agent", .string(agent)),
                                                      ("outcome", .string(row.disposition == "BUSY" ? "rejected" : "no_answer")), rawMember], into: &out)
            }
        } else {
            // Never queued: the greeting (or closed message) played; menus mean the IVR.
            emit(.callGreeting, "greeting", start, [("call_id", .string(callID)), rawMember], into: &out)
            if ["background", "read", "waitexten", "ivr"].contains(app) {
                emit(.callIVR, "ivr", start, [("call_id", .string(callID)), rawMember], into: &out)
            }
            if app == "hangup" { endedBy = "system" }
        }
        emit(.callEnded, "end", end, [("call_id", .string(callID)), ("by", .string(endedBy)), rawMember], into: &out)
    }

    // MARK: Helpers

    private mutating func count(_ verb: String) {
        // Runs of one verb are common (ENTERQUEUE, RINGNOANSWER…): count them before hashing.
        if verb == runVerb {
            runCount += 1
        } else {
            if runCount > 0 { counted.verbs[runVerb, default: 0] += runCount }
            runVerb = verb
            runCount = 1
        }
    }

    /// An answer the log proves without its `CONNECT` line (a transfer, a completed call): the
    /// agent was rung and answered at `ms`, and is a member of the queue's department.
    private mutating func inferAnswer(_ callID: String, agent: String, member: String, _ department: String, at ms: Int64,
                                      from verb: String, into out: inout [Event]) {
        calls[callID, default: CallState()].answered = true
        inferredAnswers += 1
        joinIfNew(agent, member: member, department, ms, into: &out)
        emit(.callRinging, "ring", ms, [("call_id", .string(callID)), ("agent", .string(agent)), ("inferred_from", .string(verb)), rawMember], into: &out)
        emit(.callAnswered, "answer", ms, [("call_id", .string(callID)), ("agent", .string(agent)), ("inferred_from", .string(verb)), rawMember], into: &out)
    }

    private mutating func joinIfNew(_ agent: String, member: String, _ department: String, _ ms: Int64, into out: inout [Event]) {
        guard department != "NONE", !department.isEmpty else { return }
        if memberships[agent]?.contains(department) == true { return }  // the usual case: a read, no write
        memberships[agent, default: []].insert(department)
        var o = JSONObject([("agent", .string(agent)), ("department", .string(department))])
        if !member.contains("/"), member != agent { o.members.append(("name", .string(member))) }
        o.members.append(rawMember)
        emit(.agentJoined, "join", ms, o, into: &out)
    }

    private mutating func setStatus(_ agent: String, _ status: String, reason: String?, _ ms: Int64, into out: inout [Event]) {
        // PAUSEALL is followed by one PAUSE per queue: presence is per agent, so only changes count.
        // A break's reason is part of it (lunch, then training: the panel shows why the agent is
        // away); an unpause's reason ("Auto-Unpause") is not.
        let state = status == "break" ? "break:" + (reason ?? "") : status
        guard presence[agent] != state else { return }
        presence[agent] = state
        var o = JSONObject([("agent", .string(agent)), ("status", .string(status))])
        if let reason { o.members.append(("reason", .string(reason))) }
        o.members.append(rawMember)
        emit(.agentStatus, "status", ms, o, into: &out)
    }

    /// The ledger's call id of stint `n` (≥ 2) of Asterisk call `callID`.
    static func stintID(_ callID: String, _ n: Int) -> String { callID + "_" + String(n) }

    /// An event of the current line; `data` must already end with ``rawMember``.
    private mutating func makeEvent(_ type: EventType, _ tag: String, _ ms: Int64, _ data: JSONObject) -> Event {
        let t = clock.eventMillis(utcMillis: ms)
        let prefixLength = idPrefix.count
        idPrefix.append(UInt8(ascii: "-"))
        idPrefix.append(contentsOf: tag.utf8)
        let id = String(decoding: idPrefix, as: UTF8.self)
        idPrefix.removeSubrange(prefixLength...)
        return Event(id: id, type: type, at: EventTime(milliseconds: t.ms, offsetMinutes: t.offsetMinutes),
                     source: configuration.source, data: data)
    }

    private mutating func emit(_ type: EventType, _ tag: String, _ ms: Int64, _ data: JSONObject, into out: inout [Event]) {
        out.append(makeEvent(type, tag, ms, data))
        counted.eventsMapped += 1
    }

    /// The common case: a literal member list ending with ``rawMember``, used as the object's
    /// storage as it is (one allocation per event).
    private mutating func emit(_ type: EventType, _ tag: String, _ ms: Int64, _ members: [(key: String, value: JSONValue)],
                               into out: inout [Event]) {
        emit(type, tag, ms, JSONObject(members), into: &out)
    }

    static func text(_ b: ArraySlice<UInt8>) -> String { String(decoding: b, as: UTF8.self) }

    /// A non-negative decimal integer (surrounding spaces allowed), or nil.
    static func integer(_ b: ArraySlice<UInt8>) -> Int? {
        var v = 0
        var digits = 0
        var negative = false
        for c in b {
            if c >= 48 && c <= 57 {
                guard digits < 18 else { return nil }
                v = v * 10 + Int(c - 48)
                digits += 1
            } else if c == UInt8(ascii: "-") && digits == 0 && !negative {
                negative = true
            } else if c != 0x20 {
                return nil
            }
        }
        return digits == 0 ? nil : negative ? -v : v
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `v` as 16 lowercase hex digits.
    static func appendHex(_ v: UInt64, to out: inout [UInt8]) {
        for k in stride(from: 60, through: 0, by: -4) { out.append(hexDigits[Int((v >> UInt64(k)) & 15)]) }
    }

    static func appendDecimal(_ v: Int64, to out: inout [UInt8]) {
        if v < 0 { out.append(UInt8(ascii: "-")) }
        let start = out.count
        var x = v.magnitude
        repeat {
            out.append(UInt8(48 + x % 10))
            x /= 10
        } while x > 0
        out[start...].reverse()
    }

    /// `bytes` cut into pieces of about `maxBytes` at line ends, so a large file is mapped and
    /// appended piece by piece with bounded memory. Small pieces map faster (measured: 256 KiB
    /// pieces take ~25 % less CPU than 4 MiB ones): the events of a piece stay in cache.
    public static func pieces(_ bytes: ArraySlice<UInt8>, maxBytes: Int = 256 << 10) -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        while bytes.endIndex - start > maxBytes {
            var cut = start + maxBytes
            while cut < bytes.endIndex && bytes[cut - 1] != 0x0A { cut += 1 }
            out.append(bytes[start..<cut])
            start = cut
        }
        if start < bytes.endIndex { out.append(bytes[start...]) }
        return out
    }

    /// Splits a CSV row: `"quoted"` fields with `""` escapes, or bare fields; nil when a quote is not closed.
    static func csvFields(_ line: ArraySlice<UInt8>) -> [String]? {
        var out: [String] = []
        var field: [UInt8] = []
        var i = line.startIndex
        let end = line.endIndex
        while true {
            field.removeAll(keepingCapacity: true)
            if i < end && line[i] == UInt8(ascii: "\"") {
                i += 1
                var closed = false
                while i < end {
                    if line[i] == UInt8(ascii: "\"") {
                        if i + 1 < end && line[i + 1] == UInt8(ascii: "\"") {
                            field.append(UInt8(ascii: "\""))
                            i += 2
                            continue
                        }
                        i += 1
                        closed = true
                        break
                    }
                    field.append(line[i])
                    i += 1
                }
                guard closed else { return nil }
                while i < end && line[i] != UInt8(ascii: ",") { i += 1 }
            } else {
                while i < end && line[i] != UInt8(ascii: ",") {
                    field.append(line[i])
                    i += 1
                }
            }
            out.append(String(decoding: field, as: UTF8.self))
            if i >= end { break }
            i += 1  // the comma
        }
        return out
    }
}

/// What the mapper remembers of calls and clients, forgotten a while after it was last touched:
/// two generations, the current one and the one before; every `every` seconds (queue_log time)
/// the one before is dropped and the current one takes its place. An entry touched since
/// lives on in the current one, so it is kept between `every` and twice that after its last use.
struct Generations<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private var current: [Key: Value] = [:]
    private var previous: [Key: Value] = [:]
    private var since = Int64.min

    subscript(key: Key) -> Value? {
        get { current[key] ?? previous[key] }
        set {
            current[key] = newValue
            if !previous.isEmpty { previous[key] = nil }
        }
    }

    subscript(key: Key, default value: @autoclosure () -> Value) -> Value {
        get { self[key] ?? value() }
        set { self[key] = newValue }
    }

    /// Entries in both generations.
    var count: Int { current.count + previous.count }

    /// Starts a new generation when `time` is `every` past the start of the current one.
    mutating func age(to time: Int64, every: Int64) {
        if since == .min { since = time }
        guard time - since >= every else { return }
        previous = current
        current = [:]
        since = time
    }
}

/// A client's queue entry, by minute: how CDR rows without `uniqueid` find their queue_log call.
struct ClientMinute: Hashable, Sendable {
    var digits: String
    var minute: Int64
}

/// One CDR row's columns by name, from Master.csv positions or a header row.
struct CDRRow {
    var src = "", dst = "", dcontext = "", channel = "", dstchannel = "", lastapp = "", lastdata = ""
    var start = "", answer = "", end = "", disposition = "", uniqueid = "", linkedid = ""
    var duration: Int?, billsec: Int?

    init?(_ c: [String], header: [String: Int]?) {
        if let h = header {
            func col(_ names: String...) -> String {
                for n in names { if let k = h[n], k < c.count { return c[k] } }
                return ""
            }
            src = col("src"); dst = col("dst"); dcontext = col("dcontext"); channel = col("channel")
            dstchannel = col("dstchannel"); lastapp = col("lastapp"); lastdata = col("lastdata")
            start = col("start", "calldate"); answer = col("answer"); end = col("end")
            disposition = col("disposition"); uniqueid = col("uniqueid"); linkedid = col("linkedid")
            duration = Int(col("duration")); billsec = Int(col("billsec"))
            if answer.hasPrefix("0000") { answer = "" }
            if end.hasPrefix("0000") { end = "" }
            return
        }
        // cdr_csv.c: accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata,
        // start, answer, end, duration, billsec, disposition, amaflags[, uniqueid][, userfield]
        // [, peeraccount, linkedid, sequence].
        guard c.count >= 16 else { return nil }
        src = c[1]; dst = c[2]; dcontext = c[3]; channel = c[5]; dstchannel = c[6]; lastapp = c[7]; lastdata = c[8]
        start = c[9]; answer = c[10]; end = c[11]
        duration = Int(c[12].trimmingCharacters(in: .whitespaces)); billsec = Int(c[13].trimmingCharacters(in: .whitespaces))
        disposition = c[14]
        if c.count >= 17, Self.looksLikeUniqueID(c[16]) { uniqueid = c[16] }
        if c.count >= 21 { linkedid = c[19] }
    }

    /// The epoch of a uniqueid (`1700000000.42`: when the channel was made), in milliseconds, or nil.
    static func epochMillis(ofUniqueID s: String) -> Int64? {
        guard looksLikeUniqueID(s), let dot = s.firstIndex(of: "."), let seconds = Int64(s[..<dot]),
              (0...4_102_444_800).contains(seconds) else { return nil }
        return seconds * 1000
    }

    /// `1700000000.42`: the epoch and a sequence (what `loguniqueid=yes` writes).
    static func looksLikeUniqueID(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
    }
}
