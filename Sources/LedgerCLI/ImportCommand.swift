import ArgumentParser
import Foundation
import LedgerAsterisk
import LedgerEvents
import LedgerLog
import Synchronization

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import a PBX's own logs as wire-format v1 events.",
        subcommands: [ImportAsterisk.self]
    )
}

struct ImportAsterisk: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "asterisk",
        abstract: "Import Asterisk queue_log (and CDR Master.csv): idempotent, resumable, tolerant.",
        discussion: """
        Event ids come from --source, each line's time and a hash of the line, so importing a file \
        again, or a file that has grown, appends only what is new. Malformed lines are reported with \
        their line numbers and skipped; unknown verbs are counted. With --follow the files are tailed \
        (rotation and truncation included) and the position is kept in the data directory, so a \
        restart resumes where it stopped. The README maps every verb and column.
        """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("The queue_log file (`time|callid|queue|agent|EVENT|data…`).", valueName: "FILE"))
    var queueLog: String

    @Option(help: ArgumentHelp("The CDR CSV (cdr-csv/Master.csv, or any CDR CSV with a header row).", valueName: "FILE"))
    var cdr: String?

    @Option(help: ArgumentHelp("Queue, line and agent names → departments and agent ids (`queue q-sales = sales`).", valueName: "FILE"))
    var queueMap: String?

    @Option(help: ArgumentHelp("The PBX's time zone (IANA): CDR and realtime times are local; `at` is written in it.", valueName: "TZ"))
    var timezone: String = "UTC"

    @Option(help: ArgumentHelp("Country code added to national numbers (empty: none).", valueName: "CC"))
    var countryCode: String = "1"

    @Option(help: ArgumentHelp("The events' source and id prefix; one per PBX.", valueName: "NAME"))
    var source: String = "asterisk"

    @Flag(help: "Keep tailing the files (rotation included) and resume from the saved position after a restart.")
    var follow = false

    @Option(help: ArgumentHelp("How long a call that left a queue (EXIT*) may still enter another one as an overflow.", valueName: "SECONDS"))
    var overflowWindow: Int = 60

    @Option(help: "table or json.") var format: ReportFormat = .table

    @Option(help: "At most this many problems are printed.") var maxErrors: Int = 20

    @Option(help: .hidden) var pollInterval: Double = 1.0

    /// Stops following after this many seconds without new lines (tests).
    @Option(help: .hidden) var idleExit: Double?

    /// Stops following once this many queue_log lines were read in this run (tests).
    @Option(help: .hidden) var stopAfterLines: Int?

    func validate() throws {
        guard overflowWindow >= 0 else { throw ValidationError("--overflow-window: must be 0 or more seconds") }
        guard TimeZone(identifier: timezone) != nil else { throw ValidationError("--timezone: unknown time zone \"\(timezone)\"; use an IANA name like America/Detroit") }
        guard Self.isReadableFile(queueLog) else { throw ValidationError("--queue-log: cannot read \(queueLog) (not a readable file)") }
        if let cdr, !Self.isReadableFile(cdr) { throw ValidationError("--cdr: cannot read \(cdr) (not a readable file)") }
    }

    /// A readable file, not a directory (a directory would import nothing without a word).
    static func isReadableFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
            && FileManager.default.isReadableFile(atPath: path)
    }

    func run() async throws {
        var c = AsteriskConfiguration()
        c.source = source
        c.countryCode = countryCode
        c.overflowWindowS = overflowWindow
        c.timeZone = TimeZone(identifier: timezone)!
        if let queueMap {
            guard let d = FileManager.default.contents(atPath: queueMap) else { throw CLIError("--queue-map: cannot read \(queueMap)") }
            do { c.queueMap = try QueueMap(text: String(decoding: d, as: UTF8.self), file: queueMap) } catch { throw CLIError(error.description) }
        }
        do { try c.validate() } catch { throw CLIError("--" + error.description) }

        let log = try global.openLog()
        defer { log.close() }
        var importer = AsteriskImporter(configuration: c, queueLog: queueLog, cdr: cdr,
                                        statePath: global.data + "/import-asterisk-\(source).state")
        if follow {
            // SIGTERM (systemd, docker stop) and Ctrl-C end the follow between passes: each pass
            // saves where it stopped, so the summary is printed and the exit is clean.
            let stop = Atomic<Bool>(false)
            var signalSources: [any DispatchSourceSignal] = []
            for sig in [SIGTERM, SIGINT] {
                signal(sig, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                source.setEventHandler { stop.store(true, ordering: .relaxed) }
                source.resume()
                signalSources.append(source)
            }
            defer { for s in signalSources { s.cancel() } }
            try await importer.resume()
            var idleSince = Date()
            var lastInput = Date()
            while !Task.isCancelled && !stop.load(ordering: .relaxed) {
                let before = importer.appendResult.appended + importer.appendResult.duplicates
                if try await importer.pass(log: log, endOfInput: false, quietFor: Date().timeIntervalSince(lastInput)) {
                    lastInput = Date()
                }
                if importer.appendResult.appended + importer.appendResult.duplicates != before { idleSince = Date() }
                if let idleExit, Date().timeIntervalSince(idleSince) >= idleExit { break }
                if let stopAfterLines, importer.mapper.statistics.queueLogLines >= stopAfterLines { break }
                let wake = Date().addingTimeInterval(pollInterval)
                while Date() < wake && !stop.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(50)) }
            }
        } else {
            importer.takeBackHeldExits()
            try await importer.pass(log: log, endOfInput: true)
        }
        ProgressBar.phase("")
        printSummary(importer)
        if !follow { try refuseWrongFiles(importer.mapper.statistics) }
    }

    /// A file none of whose lines could be read is likely the wrong file (a CDR given as the
    /// queue_log, say): a script or cron job must see a failure, not an import of nothing.
    private func refuseWrongFiles(_ s: ImportStatistics) throws {
        let cdrMalformed = s.skipped.filter { $0.key.hasPrefix("malformed: cdr:") }.reduce(0) { $0 + $1.value }
        let queueLogMalformed = s.malformed - cdrMalformed
        if s.queueLogLines > 0 && queueLogMalformed == s.queueLogLines {
            throw CLIError("none of the \(s.queueLogLines) lines of \(queueLog) is a queue_log line (time|callid|queue|agent|event|…): "
                           + "is it the right file? A CDR Master.csv goes to --cdr")
        }
        if let cdr, s.cdrRows > 0 && cdrMalformed == s.cdrRows {
            throw CLIError("none of the \(s.cdrRows) rows of \(cdr) is a CDR row (Master.csv, 16 or more columns): is it the right file?")
        }
    }

    private func printSummary(_ imp: AsteriskImporter) {
        let s = imp.mapper.statistics
        for p in s.problems.prefix(maxErrors) { Terminal.error("skipped: " + p) }
        if s.problemCount > min(maxErrors, s.problems.count) {
            Terminal.error("… and \(s.problemCount - min(maxErrors, s.problems.count)) more malformed lines")
        }
        switch format {
        case .json:
            var o = JSONObject([("queue_log_lines", .number(String(s.queueLogLines))), ("cdr_rows", .number(String(s.cdrRows))),
                                ("events_mapped", .number(String(s.eventsMapped))),
                                ("appended", .number(String(imp.appendResult.appended))),
                                ("duplicates", .number(String(imp.appendResult.duplicates)))])
            func counts(_ d: [String: Int]) -> JSONValue {
                .object(JSONObject(d.sorted { $0.key < $1.key }.map { (key: $0.key, value: .number(String($0.value))) }))
            }
            o.members.append(("exits_held", .number(String(imp.mapper.pendingExitCount))))
            o.members.append(("skipped", counts(s.skipped)))
            o.members.append(("unknown_verbs", counts(s.unknownVerbs)))
            o.members.append(("verbs", counts(s.verbs)))
            // As on the terminal: the first --max-errors, and how many there were in all.
            o.members.append(("problems", JSONValue.array(s.problems.prefix(maxErrors).map { JSONValue.string($0) })))
            o.members.append(("problem_count", .number(String(s.problemCount))))
            print(JSONWriter.string(.object(o)))
        case .table:
            var rows: [[String]] = [
                ["queue_log lines read", Terminal.thousands(s.queueLogLines)],
                ["CDR rows read", Terminal.thousands(s.cdrRows)],
                ["events mapped", Terminal.thousands(s.eventsMapped)],
                ["events appended", Terminal.thousands(imp.appendResult.appended)],
                ["duplicates (already stored)", Terminal.thousands(imp.appendResult.duplicates)],
            ]
            if imp.mapper.pendingExitCount > 0 {
                rows.append(["exits held (left a queue under --overflow-window ago: the next import decides)", Terminal.thousands(imp.mapper.pendingExitCount)])
            }
            for (reason, n) in s.skipped.sorted(by: { $0.key < $1.key }) { rows.append(["skipped: " + reason, Terminal.thousands(n)]) }
            for (verb, n) in s.unknownVerbs.sorted(by: { $0.key < $1.key }) { rows.append(["unknown verb " + verb, Terminal.thousands(n)]) }
            print(Terminal.table(["import asterisk", "count"], rows), terminator: "")
        }
    }
}

/// Reads the files from where the last run stopped, maps them and appends the events.
///
/// The saved state is each file's identity (device and inode) and the byte offset after its
/// last complete line. On resume, the part before the offset is mapped again without appending
/// (to rebuild the calls' and agents' state), then everything after it is appended. If the file
/// was rotated meanwhile, the rotated file (`FILE.1` or `FILE.0`) is finished first.
struct AsteriskImporter {
    var mapper: AsteriskMapper
    var queueLog: FollowedFile
    var cdr: FollowedFile?
    let statePath: String
    /// What the appends did so far.
    var appendResult = Appended()
    /// Exits an earlier run held (``takeBackHeldExits()``), adopted at the end of input.
    private var heldEarlier: [AsteriskMapper.HeldExit] = []
    /// The append running while the next events are mapped, and its events (for its errors).
    private var inFlight: (events: [Event], task: Task<AppendResult, any Error>)?

    struct Appended {
        var appended = 0
        var duplicates = 0
        var lastPosition: UInt64 = 0
    }

    init(configuration: AsteriskConfiguration, queueLog: String, cdr: String?, statePath: String) {
        mapper = AsteriskMapper(configuration: configuration)
        self.queueLog = FollowedFile(path: queueLog)
        self.cdr = cdr.map(FollowedFile.init(path:))
        self.statePath = statePath
    }

    struct State: Codable {
        var queueLog: FollowedFile.Saved?
        var cdr: FollowedFile.Saved?
        /// The exits held when the run ended (absent in states saved before exits were held).
        var held: [Held]?
        enum CodingKeys: String, CodingKey { case queueLog = "queue_log", cdr, held }
    }

    /// A held exit as saved: its event as a wire-format line.
    struct Held: Codable {
        var callID: String
        var epoch: Int64
        var event: String
        enum CodingKeys: String, CodingKey { case callID = "call_id", epoch, event }
    }

    /// The exits the last run held (see `pass`): a call whose lines are still in the file is
    /// decided from them again; one whose lines went with a rotated file is decided from this.
    mutating func takeBackHeldExits() {
        guard let d = FileManager.default.contents(atPath: statePath),
              let held = try? JSONDecoder().decode(State.self, from: d).held else { return }
        heldEarlier = held.compactMap { h in
            guard let value = try? JSONParser.parse(Array(h.event.utf8)), case .success(let e) = EventValidator.validate(value) else { return nil }
            return AsteriskMapper.HeldExit(callID: h.callID, epoch: h.epoch, event: e)
        }
    }

    /// Replays what a previous run imported, without appending, so the next pass continues it.
    mutating func resume() async throws {
        guard let d = FileManager.default.contents(atPath: statePath),
              let state = try? JSONDecoder().decode(State.self, from: d) else { return }
        var discard: [Event] = []
        if let saved = state.queueLog, saved.path == queueLog.path {
            for chunk in queueLog.replay(saved) {
                queueLog.line += mapper.mapQueueLog(chunk.bytes[...], firstLineNumber: queueLog.line + 1, endOfInput: false, into: &discard)
                if chunk.rotated { queueLog.line = 0 }
            }
        }
        if let saved = state.cdr, var file = cdr, saved.path == file.path {
            for chunk in file.replay(saved) {
                file.line += mapper.mapCDR(chunk.bytes[...], firstLineNumber: file.line + 1, into: &discard)
                if chunk.rotated { file.line = 0 }
            }
            cdr = file
        }
        mapper.resetStatistics()
    }

    /// Reads what is new in every file, maps it (queue_log first) and appends it; saves the state.
    /// Returns whether there was anything new.
    ///
    /// Files are mapped in pieces of about 256 KiB and appended every 50,000 events, so memory
    /// stays bounded whatever the file's size.
    ///
    /// A call waiting after an `EXIT*` line (it may overflow into another queue) is ended by the
    /// log's own clock passing the overflow window, by the end of input, or, when following, once
    /// the files have had nothing new for the window's length of wall time (`quietFor`, seconds
    /// since a pass last read something). Not by the wall clock alone: a follower catching up on
    /// an old log sees every line as older than the window, and would end a call at whatever
    /// line a pass happened to stop on, before the `ENTERQUEUE` that continues it.
    @discardableResult
    mutating func pass(log: EventLog, endOfInput: Bool, quietFor: TimeInterval = 0) async throws -> Bool {
        // The CDR as it is before the queue_log is read: Asterisk writes a call's CDR row at hang-up,
        // after its queue_log lines, so every row in it has its call's lines in what is read next.
        // A row written while this pass maps (seconds, on a busy PBX catching up) may belong to a
        // call whose lines come after what was read: read now, it would be mapped from the CDR as a
        // call that never queued, and its lines would map it again in the next pass.
        let cdrSnapshot = cdr.flatMap { FollowedFile.stat($0.path) }
        var events: [Event] = []
        events.reserveCapacity(60_000)
        var read = 0
        for chunk in try queueLog.readNew(endOfInput: endOfInput) {
            read += chunk.bytes.count
            let bar = ProgressBar("importing queue_log", total: chunk.bytes.count)
            var done = 0
            for piece in AsteriskMapper.pieces(chunk.bytes[...]) {
                let first = events.count, inferred = mapper.inferredAnswers
                queueLog.line += mapper.mapQueueLog(piece, firstLineNumber: queueLog.line + 1, endOfInput: false, into: &events)
                if mapper.inferredAnswers != inferred { try dropInferredAnswersStored(&events, from: first, in: log) }
                if events.count >= 50_000 { try await append(&events, to: log) }
                done += piece.count
                bar.update(done)
            }
            bar.finish()
            if chunk.rotated { queueLog.line = 0 }
            if endOfInput && chunk.incomplete { mapper.holdBack("queue_log", line: queueLog.line + 1) }
        }
        if endOfInput {
            mapper.adoptHeldExits(heldEarlier)
            heldEarlier = []
            // An exit within the overflow window of now, by the clock, may go on in a queue whose
            // `ENTERQUEUE` is not written yet (a file imported while the PBX writes it, from cron
            // every minute): it is held, not stored, and the next import, which maps the file
            // again, decides it. Any older exit (an old log) ends its call now.
            let now = Int64(Date().timeIntervalSince1970)
            mapper.flushPendingExits(olderThan: now - Int64(mapper.configuration.overflowWindowS), into: &events)
        } else if read == 0 && quietFor >= Double(mapper.configuration.overflowWindowS) {
            // The log is quiet: a call that left a queue this long ago went nowhere else.
            let now = Int64(Date().timeIntervalSince1970)
            mapper.flushPendingExits(olderThan: now - Int64(mapper.configuration.overflowWindowS), into: &events)
        }
        if var file = cdr {
            // The queue_log's events are stored before the CDR rows are read: a row whose call the
            // mapper no longer remembers (`stateRetentionS`) is recognised in the ledger instead.
            try await append(&events, to: log)
            try await settle()
            for chunk in try file.readNew(endOfInput: endOfInput, upTo: cdrSnapshot) {
                read += chunk.bytes.count
                for piece in AsteriskMapper.pieces(chunk.bytes[...]) {
                    let first = events.count
                    file.line += mapper.mapCDR(piece, firstLineNumber: file.line + 1, into: &events)
                    try dropCallsQueueLogDescribed(&events, from: first, in: log)
                    if events.count >= 50_000 { try await append(&events, to: log) }
                }
                if chunk.rotated { file.line = 0 }
                if endOfInput && chunk.incomplete { mapper.holdBack("cdr", line: file.line + 1) }
            }
            cdr = file
        }
        try await append(&events, to: log)
        try await settle()
        try saveState()
        return read > 0
    }

    /// Drops the inferred ring and answer (`inferred_from`, from `first` on) of calls whose answer
    /// an earlier import already stored: a `COMPLETE*` or transfer line read in a later run than
    /// its call's `CONNECT` (the next rotated file imported on its own, say) found no answer in
    /// the mapper's memory, and a second, inferred one would show in the call's timeline.
    private mutating func dropInferredAnswersStored(_ events: inout [Event], from first: Int, in log: EventLog) throws {
        var answered: [String: Bool] = [:]
        var keep: [Event] = []
        for e in events[first...] {
            if (e.type == .callRinging || e.type == .callAnswered), e.data.members.contains(where: { $0.key == "inferred_from" }),
               let call = e.callID {
                if answered[call] == nil { answered[call] = try log.events(callID: call).contains { $0.event.type == .callAnswered } }
                if answered[call] == true { continue }
            }
            keep.append(e)
        }
        let dropped = events.count - first - keep.count
        guard dropped > 0 else { return }
        events.replaceSubrange(first..., with: keep)
        mapper.unmapInferredAnswers(dropped, calls: answered.values.filter { $0 }.count)
    }

    /// Drops the CDR rows' inbound calls (from `first` on) that an earlier import already has from
    /// queue_log: the mapper only knows the queue_log it read in this run, so after a rotation
    /// the cumulative Master.csv would bring back, as a second call of the same id, a call whose
    /// queue_log lines are in a file it no longer reads.
    private mutating func dropCallsQueueLogDescribed(_ events: inout [Event], from first: Int, in log: EventLog) throws {
        let queueLogIDs = mapper.configuration.source + "-ql-"
        func fromQueueLog(_ r: RecordedEvent) -> Bool { r.event.id.hasPrefix(queueLogIDs) }
        var ends: [String: Int64] = [:]
        for e in events[first...] where e.type == .callEnded { if let c = e.callID { ends[c] = e.at.milliseconds } }
        var described: Set<String> = []
        for e in events[first...] where e.type == .callStarted && e.data.string("direction") == "inbound" {
            guard let call = e.callID else { continue }
            if try log.events(callID: call).contains(where: fromQueueLog) {
                described.insert(call)
            } else if let client = e.client, !client.isHidden {
                // Without a uniqueid, as the mapper matches: the client entering a queue during the row.
                let start = e.at.milliseconds, end = max(start, ends[call] ?? start)
                let minutes = ((start - 1000) / 60_000)...((end + 1000) / 60_000)
                if try log.events(client: client).contains(where: {
                    fromQueueLog($0) && $0.event.type == .callStarted && minutes.contains($0.event.at.milliseconds / 60_000)
                }) { described.insert(call) }
            }
        }
        guard !described.isEmpty else { return }
        var kept = Array(events[..<first])
        kept.reserveCapacity(events.count)
        for e in events[first...] where !(e.callID.map(described.contains) ?? false) { kept.append(e) }
        mapper.unmap(events.count - kept.count, rows: described.count, reason: "cdr: call described by queue_log of an earlier import")
        events = kept
    }

    /// Starts appending `events` and empties the array: the next events are mapped while the
    /// ledger encodes and commits these (one append at a time, so positions follow the file).
    private mutating func append(_ events: inout [Event], to log: EventLog) async throws {
        guard !events.isEmpty else { return }
        try await settle()
        let batch = events
        inFlight = (batch, Task { try await log.append(batch) })
        events = []
        events.reserveCapacity(60_000)
    }

    /// Waits for the append in flight, if any, and counts what it did.
    private mutating func settle() async throws {
        guard let (events, task) = inFlight else { return }
        inFlight = nil
        do {
            let r = try await task.value
            appendResult.appended += r.appended
            appendResult.duplicates += r.duplicates
            appendResult.lastPosition = max(appendResult.lastPosition, r.lastPosition)
        } catch let e as LedgerError {
            if e.code == .conflict, let i = e.eventIndex {
                throw CLIError("event \(events[i].id) is already stored with different content (position \(e.existingPosition ?? 0)): the mapping changed since it was imported, or two PBXs share --source \(mapper.configuration.source)")
            }
            throw CLIError("append failed: \(e.message)")
        }
    }

    private func saveState() throws {
        let held = mapper.heldExits.map { Held(callID: $0.callID, epoch: $0.epoch, event: JSONWriter.string(.object($0.event.json))) }
        let state = State(queueLog: queueLog.saved, cdr: cdr?.saved, held: held.isEmpty ? nil : held)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let tmp = statePath + ".tmp"
        try enc.encode(state).write(to: URL(fileURLWithPath: tmp))
        // rename(2) replaces the old state atomically: a crash leaves the old or the new one.
        guard rename(tmp, statePath) == 0 else { throw CLIError("cannot save the import position to \(statePath) (errno \(errno))") }
    }
}

/// A file read by byte offset that may grow, be truncated, or be rotated (renamed and recreated).
struct FollowedFile {
    let path: String
    /// The file being read: its identity and the offset after its last complete line.
    var identity: Identity?
    var offset: UInt64 = 0
    /// Lines consumed from the current file.
    var line = 0
    /// The current file's first bytes (up to ``headLength``), once read: a file truncated in
    /// place and written again (copytruncate) keeps its inode, and may have grown past the
    /// offset by the next look, so only its content tells it is new.
    var head: [UInt8] = []
    static let headLength = 128

    init(path: String) {
        // Absolute, so the saved state matches whatever directory the next run starts from.
        self.path = URL(fileURLWithPath: path).standardizedFileURL.path
    }

    struct Identity: Codable, Equatable {
        var device: UInt64
        var inode: UInt64
    }

    struct Saved: Codable {
        var path: String
        var device: UInt64
        var inode: UInt64
        var offset: UInt64
        /// ``FollowedFile/head``, base64 (absent in states saved before it was kept).
        var head: String?
    }

    /// A piece of input; `rotated` marks the last piece of a file that was replaced.
    struct Chunk {
        var bytes: [UInt8]
        var rotated: Bool
        /// A last line without its newline was held back.
        var incomplete = false
    }

    var saved: Saved? {
        identity.map { Saved(path: path, device: $0.device, inode: $0.inode, offset: offset, head: Data(head).base64EncodedString()) }
    }

    /// Whether the file at `at` still starts with ``head``.
    func sameStart(_ at: String) -> Bool {
        head.isEmpty || Self.read(at, from: 0, to: UInt64(head.count)) == head
    }

    /// The copy a copytruncate rotation left of the current file (`FILE.1` or `FILE.0`, another
    /// inode, starting with ``head``, at least `size` bytes long), to finish it from there.
    func truncatedCopy(atLeast size: UInt64, otherThan current: Identity) -> (String, Identity)? {
        guard !head.isEmpty else { return nil }
        for candidate in [path + ".1", path + ".0"] {
            if let (id, n) = Self.stat(candidate), id != current, n >= size, sameStart(candidate) { return (candidate, id) }
        }
        return nil
    }

    static func stat(_ path: String) -> (Identity, UInt64)? {
        guard let a = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        // swift-corelibs-foundation boxes these as Swift integers of varying width, Darwin as NSNumber.
        func number(_ key: FileAttributeKey) -> UInt64? {
            switch a[key] {
            case let v as UInt64: v
            case let v as Int: UInt64(truncatingIfNeeded: v)
            case let v as UInt32: UInt64(v)
            case let v as Int32: UInt64(truncatingIfNeeded: v)
            case let v as NSNumber: v.uint64Value
            default: nil
            }
        }
        guard let inode = number(.systemFileNumber), let device = number(.systemNumber), let size = number(.size) else { return nil }
        return (Identity(device: device, inode: inode), size)
    }

    /// Where the file with `identity` is now: the path itself, or its rotated name.
    func locate(_ identity: Identity) -> String? {
        for candidate in [path, path + ".1", path + ".0"] {
            if let (id, _) = Self.stat(candidate), id == identity { return candidate }
        }
        return nil
    }

    static func read(_ path: String, from offset: UInt64, to end: UInt64? = nil) -> [UInt8] {
        guard let h = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? h.close() }
        do {
            try h.seek(toOffset: offset)
            if let end {
                return end > offset ? Array(try h.read(upToCount: Int(end - offset)) ?? Data()) : []
            }
            return Array(try h.readToEnd() ?? Data())
        } catch {
            return []
        }
    }

    /// The bytes a previous run consumed (to replay without appending); positions self after them.
    ///
    /// If the file was truncated in place meanwhile (copytruncate), what was imported is in the
    /// rotated copy: it is replayed from there, and the copy's rest is read next. With no such
    /// copy the file is read from its start as new.
    mutating func replay(_ saved: Saved) -> [Chunk] {
        var id = Identity(device: saved.device, inode: saved.inode)
        head = saved.head.flatMap { Data(base64Encoded: $0) }.map { Array($0) } ?? []
        var at = locate(id)
        if let a = at, let (_, size) = Self.stat(a), size < saved.offset || !sameStart(a) {
            at = nil
            if let (copy, copyID) = truncatedCopy(atLeast: saved.offset, otherThan: id) { (at, id) = (copy, copyID) }
        }
        guard let at else {
            head = []
            return []
        }
        identity = id
        offset = saved.offset
        return [Chunk(bytes: Self.read(at, from: 0, to: saved.offset), rotated: false)]
    }

    /// The complete lines added since the last call (all remaining bytes when `endOfInput`),
    /// finishing a rotated file before starting its successor. With `snapshot` (an earlier
    /// ``stat(_:)`` of the path), the current file is read only up to the size it had then, when
    /// it is still that file: the rest is left to the next call.
    mutating func readNew(endOfInput: Bool, upTo snapshot: (Identity, UInt64)? = nil) throws -> [Chunk] {
        var out: [Chunk] = []
        guard let (current, size) = Self.stat(path) else {
            // Between rename and re-creation: finish the old file if it is still around.
            if let id = identity, let at = locate(id) { out.append(consume(at, endOfInput: endOfInput, rotated: false)) }
            return out
        }
        if let id = identity, id != current {
            if let at = locate(id) { out.append(consume(at, endOfInput: true, rotated: true)) } else { out.append(Chunk(bytes: [], rotated: true)) }
            identity = current
            offset = 0
            head = []
        } else if identity == nil {
            identity = current
            offset = 0
            head = []
        } else if size < offset || !sameStart(path) {
            // Truncated in place (copytruncate): the content is new. The lines written after the
            // last read were copied before the truncation: finish them from the copy.
            if let (copy, _) = truncatedCopy(atLeast: offset, otherThan: current) {
                out.append(consume(copy, endOfInput: true, rotated: true))
            } else {
                out.append(Chunk(bytes: [], rotated: true))
            }
            offset = 0
            head = []
        }
        // The path is read by name: if it was renamed and re-created between the `stat` above and
        // the read, the bytes may be the new file's at the old file's offset. Then they are dropped
        // and the offset kept; the next call finishes the old file, found by its inode.
        let before = offset
        let limit = snapshot.flatMap { $0.0 == current ? $0.1 : nil }
        let (chunk, next) = peek(path, endOfInput: endOfInput, rotated: false, upTo: limit)
        guard Self.stat(path)?.0 == current else { return out }
        offset = next
        if head.count < Self.headLength && offset > UInt64(head.count) {
            // From the bytes just read when they start the file: read again, they could already be
            // a truncated file's new ones.
            head = before == 0 ? Array(chunk.bytes.prefix(Self.headLength))
                : Self.read(path, from: 0, to: min(offset, UInt64(Self.headLength)))
        }
        out.append(chunk)
        return out
    }

    private mutating func consume(_ at: String, endOfInput: Bool, rotated: Bool) -> Chunk {
        let (chunk, next) = peek(at, endOfInput: endOfInput, rotated: rotated)
        offset = next
        return chunk
    }

    /// The bytes of `at` after `offset`, and the offset after its last complete line: a line still
    /// being written is mapped at the end of input, and read again whole by the next run.
    private func peek(_ at: String, endOfInput: Bool, rotated: Bool, upTo limit: UInt64? = nil) -> (Chunk, UInt64) {
        var bytes = Self.read(at, from: offset, to: limit)
        let complete = bytes.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        // A last line without its newline is still being written, even at the end of input
        // (mapped now, its completed form would be a second, different line), unless the file
        // was replaced: then it is finished as it is.
        let incomplete = !rotated && complete < bytes.count
        if !rotated { bytes.removeSubrange(complete...) }
        return (Chunk(bytes: bytes, rotated: rotated, incomplete: incomplete), offset + UInt64(complete))
    }
}
