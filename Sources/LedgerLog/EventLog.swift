import Dispatch
import Foundation
import LedgerEvents
import LedgerStorage
import Synchronization

/// The result of ``EventLog/verify(progress:)``: records checked and every problem with its position.
public typealias VerifyReport = LedgerStorage.VerifyReport
/// One group commit (see ``EventLog/observeCommits(_:)``).
public typealias CommitStats = LedgerStorage.CommitStats
/// One problem found by `verify`.
public typealias VerifyProblem = LedgerStorage.VerifyProblem

/// Options of an ``EventLog``.
public struct EventLogConfiguration: Sendable {
    /// Initial LMDB map size in bytes (grown automatically when full). Default 1 GiB.
    public var initialMapSize: Int = 1 << 30
    /// Read transactions this process keeps open at once.
    public var readerPoolSize: Int = 16
    /// Open an existing log for reading only.
    public var readOnly = false
    /// Records kept indexed in memory before a chunk of them is flushed to the LMDB indexes while
    /// appends keep coming (see ``LogStoreConfiguration/indexFlushThreshold``).
    public var indexFlushThreshold = 131_072
    public init() {}
}

/// What an append did.
public struct AppendResult: Sendable, Equatable, Codable {
    /// Events stored by this append.
    public var appended: Int
    /// Events whose id was already stored with the same content (no-ops).
    public var duplicates: Int
    /// The highest position among the batch's events (new or original); 0 for an empty batch.
    public var lastPosition: UInt64
    /// Per event, in batch order: its position (the original one for a duplicate).
    public var positions: [UInt64]

    enum CodingKeys: String, CodingKey {
        case appended, duplicates, lastPosition = "last_position", positions
    }
}

/// Figures about a log for `stats` and metrics.
public struct LogStats: Sendable, Codable {
    public var events: Int
    public var lastPosition: UInt64
    public var lastRecordedAt: String?
    public var fileBytes: Int
    public var mapBytes: Int
    public var usedBytes: Int
    public var mapUsePercent: Double
    public var readersUsed: Int
    public var maxReaders: Int
    public var staleReadersCleared: Int

    enum CodingKeys: String, CodingKey {
        case events, lastPosition = "last_position", lastRecordedAt = "last_recorded_at", fileBytes = "file_bytes"
        case mapBytes = "map_bytes", usedBytes = "used_bytes", mapUsePercent = "map_use_pct"
        case readersUsed = "readers_used", maxReaders = "max_readers", staleReadersCleared = "stale_readers_cleared"
    }
}

/// The ledger's append-only event log: wire format v1 events stored durably in LMDB.
///
/// ```swift
/// let log = try EventLog(directory: "./ledger-data")
/// let result = try await log.append(events)          // atomic, idempotent, durable on return
/// for try await e in log.tail(after: 0) { … }          // history, then live
/// ```
///
/// Indexes: by id, by occurred time, by `call_id` (call events), by normalised client
/// (`call.started`, `missed.handled`, `lead.created`; hidden numbers are not indexed), by `lead_id`,
/// by department (`department.configured`, `agent.joined`, `agent.left`) and by agent
/// (`agent.status`, `agent.joined`, `agent.left`).
public final class EventLog: Sendable {
    /// The entity indexes, in ``LogStoreConfiguration/entityIndexes`` order.
    public enum Index: Int, Sendable, CaseIterable {
        case call = 0, client = 1, lead = 2, department = 3, agent = 4
        static let names = ["call", "client", "lead", "department", "agent"]
    }

    let store: LogStore
    public let directory: String

    /// The version of ``entityKeys(of:)``'s rules. 2: dismissals of hidden numbers are indexed
    /// under the client key ``hiddenClientKey``.
    static let indexLayout: UInt64 = 2

    /// The client-index key of `missed.handled` events naming a hidden number (not digits, so no
    /// normalised number can share it).
    static let hiddenClientKey = Array("hidden".utf8)

    /// Opens or creates the log in `directory`.
    /// - Throws: ``LedgerError`` when the directory cannot be opened as a ledger.
    public init(directory: String, configuration: EventLogConfiguration = .init()) throws {
        var c = LogStoreConfiguration(entityIndexes: Index.names)
        c.initialMapSize = configuration.initialMapSize
        c.readerPoolSize = configuration.readerPoolSize
        c.readOnly = configuration.readOnly
        c.indexFlushThreshold = configuration.indexFlushThreshold
        c.indexLayout = Self.indexLayout
        do {
            store = try LogStore(path: directory, schema: EventSchema(), configuration: c)
        } catch let e as LMDBError where e.code == EACCES || e.code == EROFS {
            // LMDB writes its lock file even to read: a directory this user may only read refuses it.
            throw LedgerError(.storage, "cannot open the ledger in \(directory): \(e); this user needs read and write access "
                              + "to the directory and its files (LMDB keeps its reader table in lock.mdb, even to read)")
        } catch {
            throw LedgerError(.storage, "cannot open the ledger in \(directory): \(error)")
        }
        self.directory = directory
    }

    /// Finishes queued appends and stops the writer thread.
    public func close() { store.close() }

    /// Calls `observer` after every group commit (on the writer thread: keep it cheap).
    public func observeCommits(_ observer: @escaping @Sendable (CommitStats) -> Void) { store.observeCommits(observer) }

    /// The position of the last event (0 when empty).
    public var lastPosition: UInt64 { store.lastPosition }

    /// Events committed but not yet in the LMDB indexes (indexed in memory meanwhile).
    public var unindexedCount: Int { store.unindexedCount }

    // MARK: Append

    /// Validates `values` as wire format v1 events and appends them atomically.
    /// - Throws: ``LedgerError`` `.invalidEvents` naming every bad event and field; nothing is stored.
    public func append(json values: [JSONValue]) async throws -> AppendResult {
        var events: [Event] = []
        var issues: [ValidationIssue] = []
        for (k, v) in values.enumerated() {
            switch EventValidator.validate(v, index: k) {
            case .success(let e): events.append(e)
            case .failure(let err): issues.append(contentsOf: err.issues)
            }
        }
        if !issues.isEmpty { throw LedgerError(.invalidEvents, EventValidationError(issues: issues).description, issues: issues) }
        return try await append(events)
    }

    /// Appends already-validated events atomically; returns once they are durable.
    ///
    /// An event whose id is stored with the same content is a no-op reporting its position;
    /// with different content the batch is refused (`.conflict`) and nothing is stored.
    /// Concurrent appends share one transaction and one fsync.
    /// - Throws: ``LedgerError``.
    public func append(_ events: [Event]) async throws -> AppendResult {
        try await append(Self.prepare(events))
    }

    /// Appends `events` only if no event of `client` (a `call.started`, `missed.handled` or
    /// `lead.created` naming it) was appended after `position`. The check is made in the write
    /// transaction, which serialises every writer of the ledger, this process's or another's: a
    /// decision taken on the log as of `position` (this client's episode is open) cannot be taken
    /// twice on the same state by two writers.
    /// - Throws: ``LedgerError`` `.conditionFailed` when such an event came after `position`
    ///   (nothing stored), or as ``append(_:)-([Event])``.
    public func append(_ events: [Event], ifNothingOfClient client: ClientNumber, after position: UInt64) async throws -> AppendResult {
        let key = client.isHidden ? Self.hiddenClientKey : Array(client.digits.utf8)
        return try await append(Self.prepare(events), condition: AppendCondition(index: Index.client.rawValue, key: key, after: position))
    }

    /// Events encoded for storage and ready to append: encoding is CPU work that can be done on
    /// whatever thread parsed them (the server does it on its ingest threads). Holds only the
    /// encoded records, so a large input can be parsed and encoded piece by piece without
    /// keeping every parsed ``Event`` alive until the append (``joined(_:)``).
    public struct PreparedEvents: Sendable {
        let records: [PendingRecord]

        /// How many events.
        public var count: Int { records.count }

        /// `parts` in order, as one batch (appended all or nothing).
        public static func joined(_ parts: [PreparedEvents]) -> PreparedEvents {
            guard parts.count > 1 else { return parts.first ?? PreparedEvents(records: []) }
            // Appended part by part: `Array(….joined())` flattens lazily, an element at a time.
            var records: [PendingRecord] = []
            records.reserveCapacity(parts.reduce(0) { $0 + $1.count })
            for p in parts { records.append(contentsOf: p.records) }
            return PreparedEvents(records: records)
        }
    }

    /// A batch appended part by part while the caller is still preparing the parts: the writer
    /// stores each part as it is sent, in one transaction that commits at ``finish()``, so the
    /// batch is still all or nothing (a conflict anywhere, or ``cancel()``, stores none of it).
    /// Made by ``beginAppend()``; holds the write lock until it ends. Dropping it cancels it.
    public final class StreamedAppend: Sendable {
        private let stream: AppendStream
        private let parts = Mutex<[PreparedEvents]>([])

        init(_ stream: AppendStream) { self.stream = stream }

        /// Hands the next events to the writer (they follow those of earlier parts in the batch).
        public func send(_ part: PreparedEvents) throws {
            parts.withLock { $0.append(part) }  // for naming the event of a conflict
            do { try stream.send(part.records) } catch { throw LedgerError.from(error, records: part.records) }
        }

        /// Stores nothing of the batch. Idempotent.
        public func cancel() { stream.cancel() }

        /// Commits the batch durably; as ``EventLog/append(_:)-(PreparedEvents)`` of all the parts joined.
        public func finish() async throws -> AppendResult {
            do {
                let o = try await stream.finish()
                return AppendResult(appended: o.appended, duplicates: o.duplicates, lastPosition: o.positions.max() ?? 0,
                                    positions: o.positions)
            } catch {
                throw LedgerError.from(error, records: PreparedEvents.joined(parts.withLock { $0 }).records)
            }
        }
    }

    /// Starts a batch appended part by part (see ``StreamedAppend``).
    public func beginAppend() throws -> StreamedAppend {
        do { return StreamedAppend(try store.beginAppend()) } catch { throw LedgerError.from(error, records: []) }
    }

    /// Encodes `events` for ``append(_:)-(PreparedEvents)``.
    public static func prepare(_ events: [Event]) -> PreparedEvents {
        PreparedEvents(records: encode(events))
    }

    /// The events of NDJSON `bytes` (blank lines skipped), checked and encoded for
    /// ``append(_:)-(PreparedEvents)`` on every core, or every problem with its line number.
    ///
    /// The same result as ``prepare(_:)`` of `NDJSONReader.parse(bytes)`, faster: lines in the
    /// common shape go from bytes to their stored form without a JSON tree
    /// (``NDJSONReader/encode(_:firstLine:)``).
    public static func prepare(ndjson bytes: [UInt8], firstLine: Int = 1) -> Result<PreparedEvents, EventValidationError> {
        NDJSONReader.encode(bytes, firstLine: firstLine) { record(for: $0) }.map { PreparedEvents(records: $0) }
    }

    /// Appends events encoded by ``prepare(_:)``, exactly as ``append(_:)-([Event])`` would.
    public func append(_ prepared: PreparedEvents) async throws -> AppendResult {
        guard prepared.count > 0 else { return AppendResult(appended: 0, duplicates: 0, lastPosition: 0, positions: []) }
        return try await append(prepared, condition: nil)
    }

    /// The store's append of `prepared` under `condition`, its outcome and errors in the ledger's terms.
    private func append(_ prepared: PreparedEvents, condition: AppendCondition?) async throws -> AppendResult {
        do {
            let o = try await store.append(prepared.records, condition: condition)
            return AppendResult(appended: o.appended, duplicates: o.duplicates, lastPosition: o.positions.max() ?? 0,
                                positions: o.positions)
        } catch {
            throw LedgerError.from(error, records: prepared.records)
        }
    }

    /// Encodes events for storage, on every core for batches of 512 or more.
    static func encode(_ events: [Event]) -> [PendingRecord] { onEveryCore(events, record(for:)) }

    private static func onEveryCore<T: Sendable>(_ items: [T], _ make: @Sendable (T) -> PendingRecord) -> [PendingRecord] {
        if items.count < 512 { return items.map(make) }
        let chunks = min(64, max(2, items.count / 2048))
        let size = (items.count + chunks - 1) / chunks
        let out = Mutex<[[PendingRecord]]>(Array(repeating: [], count: chunks))
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let part = items[min(items.count, c * size)..<min(items.count, (c + 1) * size)].map(make)
            out.withLock { $0[c] = part }
        }
        return out.withLock { parts in
            var all: [PendingRecord] = []
            all.reserveCapacity(items.count)
            for p in parts { all.append(contentsOf: p) }
            return all
        }
    }

    /// The stored form of an event and the index entries it implies.
    static func record(for e: Event) -> PendingRecord { record(for: EncodedEvent(e)) }

    /// The record of an event already in its stored form, and the index entries it implies.
    static func record(for e: consuming EncodedEvent) -> PendingRecord {
        let keys = entityKeys(of: e)
        return PendingRecord(id: e.id, payload: e.payload, occurredAt: e.occurredAt, entityKeys: keys)
    }

    static func entityKeys(of e: EncodedEvent) -> [EntityKey] {
        var keys: [EntityKey] = []
        if e.type.isCallEvent, let c = e.callID { keys.append(EntityKey(index: Index.call.rawValue, key: Array(c.utf8))) }
        switch e.type {
        case .callStarted, .missedHandled, .leadCreated:
            if let raw = e.client {
                let c = ClientNumber(raw)
                if !c.isHidden {
                    keys.append(EntityKey(index: Index.client.rawValue, key: Array(c.digits.utf8)))
                } else if e.type == .missedHandled {
                    // Kept findable for the audit, which lists every dismissal.
                    keys.append(EntityKey(index: Index.client.rawValue, key: hiddenClientKey))
                }
            }
        default: break
        }
        if let l = e.leadID, e.type.rawValue.hasPrefix("lead.") {
            keys.append(EntityKey(index: Index.lead.rawValue, key: Array(l.utf8)))
        }
        switch e.type {
        case .departmentConfigured, .agentJoined, .agentLeft:
            if let d = e.department { keys.append(EntityKey(index: Index.department.rawValue, key: Array(d.utf8))) }
        default: break
        }
        switch e.type {
        case .agentStatus, .agentJoined, .agentLeft:
            if let a = e.agent { keys.append(EntityKey(index: Index.agent.rawValue, key: Array(a.utf8))) }
        default: break
        }
        return keys
    }

    // MARK: Reads

    private func reading<R>(_ body: () throws -> R) throws -> R { try Self.reading(body) }

    /// Storage and decoding errors become ``LedgerError``s; any other error (a scan body's own)
    /// passes through as it is.
    private static func reading<R>(_ body: () throws -> R) throws -> R {
        do { return try body() } catch let e as StorageError {
            throw LedgerError.from(e, records: [])
        } catch let e as EventCodec.DecodingError {
            throw LedgerError.from(e, records: [])
        }
    }

    /// Up to `limit` events after `position`, in log order (one short read transaction).
    public func events(after position: UInt64, limit: Int) throws -> [RecordedEvent] {
        try reading { try Self.decodedPage(store, after: position, limit: limit) }
    }

    /// Calls `body` with up to `limit` events after `position`, decoding as it goes, in log order
    /// on the caller's thread.
    ///
    /// A short scan reads one snapshot and decodes each payload in place. A long one (from 32 Ki
    /// events) reads the positions committed when it starts in chunks, decoding half of each on a
    /// second thread (see `ScanDecoder`), then what was appended since.
    public func scan(after position: UInt64, limit: Int, _ body: (RecordedEvent) throws -> Void) throws {
        let last = store.lastPosition
        let expected = position < last ? min(UInt64(limit), last - position) : 0
        if expected >= 32_768 && ProcessInfo.processInfo.activeProcessorCount > 1 {
            let store = self.store
            let helper = ScanDecoder { after, count in try Self.reading { try Self.decodedPage(store, after: after, limit: count) } }
            defer { helper.finish() }
            // Positions up to `last` are committed and never change: each half can be read in its
            // own transaction. (A plain scan reads one snapshot taken at its start: the same cut.)
            var at = position
            let end = position + expected
            while at < end {
                let n = Int(min(UInt64(ScanDecoder.chunk), end - at))
                try helper.deliver(after: at, count: n, scanHere: { try scanHere(after: $0, limit: $1, body) }, to: body)
                at += UInt64(n)
            }
            // What was appended meanwhile (or by another process, past a head read earlier).
            guard UInt64(limit) > expected else { return }
            return try scanHere(after: end, limit: limit - Int(expected), body)
        }
        try scanHere(after: position, limit: limit, body)
    }

    private func scanHere(after position: UInt64, limit: Int, _ body: (RecordedEvent) throws -> Void) throws {
        let decoder = EventDecoder()
        try reading {
            try store.scanPayloads(after: position, limit: limit) { p, recordedAt, payload in
                try body(RecordedEvent(position: p, recordedAt: EventTime(milliseconds: recordedAt),
                                       event: try Self.decode(payload, at: p, with: decoder)))
            }
        }
    }

    private static func decode(_ payload: Span<UInt8>, at p: UInt64, with decoder: EventDecoder) throws -> Event {
        do { return try decoder.decode(payload) } catch { throw LedgerError(.corrupted, "position \(p): \(error)") }
    }

    /// The `limit` events after `position`, decoded in place (one read transaction).
    private static func decodedPage(_ store: LogStore, after position: UInt64, limit: Int) throws -> [RecordedEvent] {
        var page: [RecordedEvent] = []
        page.reserveCapacity(min(limit, 1 << 16))
        let decoder = EventDecoder()
        try store.scanPayloads(after: position, limit: limit) { p, recordedAt, payload in
            page.append(RecordedEvent(position: p, recordedAt: EventTime(milliseconds: recordedAt),
                                      event: try decode(payload, at: p, with: decoder)))
        }
        return page
    }

    /// Events whose occurred time is in `[from, to)`, ordered by `at` then position.
    public func events(occurredFrom from: EventTime, to: EventTime, limit: Int = .max) throws -> [RecordedEvent] {
        try events(occurredFrom: from, to: to, after: nil, limit: limit)
    }

    /// The events of ``events(occurredFrom:to:limit:)`` that come after the event at position
    /// `after` in that order (by occurred time, then position): a page after the last one read.
    /// `nil`, or a position with no event, starts at `from`.
    public func events(occurredFrom from: EventTime, to: EventTime, after: UInt64?, limit: Int = .max) throws -> [RecordedEvent] {
        try reading {
            var key: (time: Int64, position: UInt64)?
            if let p = after, p > 0, let e = try events(after: p - 1, limit: 1).first, e.position == p {
                key = (e.event.at.milliseconds, p)
            }
            let ps = try store.positions(occurredFrom: from.milliseconds, to: to.milliseconds, after: key, limit: limit).map(\.position)
            return try decoded(at: ps)
        }
    }

    /// Every event of one call (`call.*` events with this `call_id`), in log order.
    /// `through` bounds the positions read (an as-of query's cut): later ones are not even read.
    ///
    /// `decoded`: events already read from the log at consecutive positions (a page of
    /// ``events(after:limit:)``); the call's events among them are taken from there instead of
    /// being read and decoded again. The result is the same.
    public func events(callID: String, through: UInt64 = .max, decoded: [RecordedEvent] = []) throws -> [RecordedEvent] {
        try entityEvents(.call, Array(callID.utf8), through: through, decoded: decoded) { $0.type.isCallEvent && $0.callID == callID }
    }

    /// Every event naming this client (`call.started`, `missed.handled`, `lead.created`), in log order.
    /// Numbers are compared normalised; for a hidden number, only the dismissals (`missed.handled`)
    /// naming one: it has no calls or leads of its own.
    /// `decoded` as in ``events(callID:through:decoded:)``.
    public func events(client: ClientNumber, through: UInt64 = .max, decoded: [RecordedEvent] = []) throws -> [RecordedEvent] {
        guard !client.isHidden else {
            return try entityEvents(.client, Self.hiddenClientKey, through: through, decoded: decoded) {
                $0.type == .missedHandled && $0.client?.isHidden == true
            }
        }
        return try entityEvents(.client, Array(client.digits.utf8), through: through, decoded: decoded) { $0.client == client }
    }

    /// Every `lead.*` event of one lead, in log order. `decoded` as in ``events(callID:through:decoded:)``.
    public func events(leadID: String, through: UInt64 = .max, decoded: [RecordedEvent] = []) throws -> [RecordedEvent] {
        try entityEvents(.lead, Array(leadID.utf8), through: through, decoded: decoded) { $0.leadID == leadID }
    }

    private func entityEvents(_ index: Index, _ key: [UInt8], through: UInt64 = .max, decoded page: [RecordedEvent] = [],
                              where keep: (Event) -> Bool) throws -> [RecordedEvent] {
        try reading {
            var ps = try store.positions(entity: index.rawValue, key: key)
            if let past = ps.firstIndex(where: { $0 > through }) { ps.removeSubrange(past...) }  // ascending
            // The positions the page holds (it is gapless) are the last ones: only those before it are read.
            guard let first = page.first?.position, page[page.count - 1].position - first == UInt64(page.count - 1),
                  let inPage = ps.firstIndex(where: { $0 >= first }), ps[ps.count - 1] <= page[page.count - 1].position else {
                return try decoded(at: ps, where: keep)
            }
            var out = try decoded(at: Array(ps[..<inPage]), where: keep)
            for p in ps[inPage...] {
                let r = page[Int(p - first)]
                if keep(r.event) { out.append(r) }
            }
            return out
        }
    }

    /// The events at `positions` that `keep` accepts, in the order given, decoded in place.
    private func decoded(at positions: [UInt64], where keep: (Event) -> Bool = { _ in true }) throws -> [RecordedEvent] {
        var out: [RecordedEvent] = []
        out.reserveCapacity(positions.count)
        let decoder = EventDecoder()
        try store.withRecords(at: positions) { p, recordedAt, payload in
            let e = try Self.decode(payload, at: p, with: decoder)
            if keep(e) { out.append(RecordedEvent(position: p, recordedAt: EventTime(milliseconds: recordedAt), event: e)) }
        }
        return out
    }

    /// Every department named by an event (`department.configured`, `agent.joined`,
    /// `agent.left`), sorted.
    public func departments() throws -> [String] {
        try reading { try store.entityKeys(Index.department.rawValue).map { String(decoding: $0, as: UTF8.self) } }
    }

    /// A department's settings and membership events (`department.configured`, `agent.joined`,
    /// `agent.left`), in log order.
    public func events(department: String) throws -> [RecordedEvent] {
        try entityEvents(.department, Array(department.utf8)) { $0.department == department }
    }

    /// An agent's presence and membership events (`agent.status`, `agent.joined`, `agent.left`), in log order.
    public func events(agent: String) throws -> [RecordedEvent] {
        try entityEvents(.agent, Array(agent.utf8)) { $0.type.rawValue.hasPrefix("agent.") && $0.agent == agent }
    }

    /// The last position whose `recorded_at` is at or before `time` (0 if none): the log prefix
    /// "as known then". `recorded_at` never decreases along positions, so this is a binary search.
    public func lastPosition(recordedAtOrBefore time: EventTime) throws -> UInt64 {
        try reading {
            var lo: UInt64 = 0  // known ≤ time (0 = before the log)
            var hi = store.lastPosition + 1  // known > time
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2
                guard let r = try store.records(at: [mid]).first else { throw LedgerError(.corrupted, "position \(mid) is missing") }
                if r.recordedAt <= time.milliseconds { lo = mid } else { hi = mid }
            }
            return lo
        }
    }

    /// The event stored under `id`, if any.
    public func event(id: String) throws -> RecordedEvent? {
        try reading {
            guard let p = try store.position(ofID: Array(id.utf8)) else { return nil }
            return try decoded(at: [p]).first
        }
    }

    /// History after `position`, then every new event as it is committed.
    public func tail(after position: UInt64 = 0, pageSize: Int = 1024) -> EventTail {
        EventTail(log: self, after: position, pageSize: pageSize)
    }

    /// Waits until an event beyond `position` exists (or a short poll interval passes).
    public func waitForAppend(beyond position: UInt64) async {
        await store.waitForAppend(beyond: position)
    }

    // MARK: Maintenance

    /// Walks the whole log: checksums, gapless positions, `recorded_at` order, every index.
    public func verify(progress: ((UInt64, UInt64) -> Void)? = nil) throws -> VerifyReport {
        try reading { try store.verify(progress: progress) }
    }

    /// Writes a hot, compacted copy into `directory` (empty or new), then opens and verifies it.
    /// - Returns: the copy's verification.
    public func backup(to directory: String) throws -> VerifyReport {
        try reading { try store.backup(to: directory) }
        var c = EventLogConfiguration()
        c.readOnly = true
        let copy = try EventLog(directory: directory, configuration: c)
        defer { copy.close() }
        return try copy.verify()
    }

    /// Size, map and reader figures.
    public func stats() throws -> LogStats {
        let info = store.info()
        let count = try reading { try store.count() }
        let ra = store.lastRecordedAt
        return LogStats(events: count, lastPosition: store.lastPosition,
                        lastRecordedAt: count == 0 ? nil : EventTime(milliseconds: ra).rfc3339,
                        fileBytes: info.fileSize, mapBytes: info.mapSize, usedBytes: info.usedBytes,
                        mapUsePercent: info.mapSize == 0 ? 0 : Double(info.usedBytes) * 100 / Double(info.mapSize),
                        readersUsed: info.readersUsed, maxReaders: info.maxReaders,
                        staleReadersCleared: store.staleReadersCleared)
    }
}

/// How the store compares and indexes event payloads.
struct EventSchema: RecordSchema {
    func sameContent(stored: [UInt8], new: [UInt8]) -> Bool {
        guard let a = try? EventCodec.decode(stored), let b = try? EventCodec.decode(new) else { return false }
        return a.hasSameContent(as: b)
    }

    func indexEntries(of payload: [UInt8]) throws -> PendingRecord {
        EventLog.record(for: try EventCodec.decode(payload))
    }
}

/// History after a position, then live events as they are committed: the feed of projection workers.
///
/// Reads in pages (one short read transaction each), so a slow consumer never pins old pages.
public struct EventTail: AsyncSequence, Sendable {
    public typealias Element = RecordedEvent
    let log: EventLog
    let after: UInt64
    let pageSize: Int

    public func makeAsyncIterator() -> Iterator {
        Iterator(log: log, cursor: after, pageSize: pageSize)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let log: EventLog
        var cursor: UInt64
        let pageSize: Int
        var buffer: [RecordedEvent] = []
        var index = 0

        public mutating func next() async throws -> RecordedEvent? {
            while index >= buffer.count {
                if Task.isCancelled { return nil }
                buffer = try log.events(after: cursor, limit: pageSize)
                index = 0
                if buffer.isEmpty { await log.waitForAppend(beyond: cursor) }
            }
            let e = buffer[index]
            index += 1
            cursor = e.position
            return e
        }
    }
}
