import CLMDB
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The append-only record log in LMDB: gapless positions from 1, idempotent ids, a time index and
/// entity indexes, appended by one writer thread that merges concurrent requests into one
/// transaction and one fsync (group commit).
///
/// ```swift
/// let store = try LogStore(path: dir, schema: mySchema, configuration: .init(entityIndexes: ["call"]))
/// let outcome = try await store.append([record])   // returns once durable
/// let page = try store.records(after: 0, limit: 1000)
/// ```
///
/// Two LMDB environments. The log environment (the directory itself) holds `log` (position →
/// header ‖ payload): the truth, written durably by the append. The index environment
/// (`DIR/index`) holds `ids` (id → position), `time` ((occurred ms, position) → ∅), one
/// sorted-duplicates database per entity index (entity key → positions), and `meta` (`indexed`:
/// the last position the indexes cover), all derived from the log.
///
/// The durable append transaction writes log records only. The writer keeps the index entries of
/// records after `indexed` in memory (``TailIndex``), reads merge them with LMDB, and an indexer
/// thread flushes them to the index environment in large sorted batches: on the second core, with
/// its own write lock, so index maintenance never holds up an append. On open the tail is rebuilt
/// from the log; the index environment can be deleted at any time and is rebuilt.
public final class LogStore: Sendable {
    let env: Environment
    let log: Database
    /// The environment of the derived indexes (see the type's documentation).
    let indexEnv: Environment
    let ids: Database
    let time: Database
    let entities: [Database]
    let meta: Database
    let schema: any RecordSchema
    /// Index entries of records after the `indexed` checkpoint. Written by the writer thread only.
    let tail: Mutex<TailIndex>
    public let configuration: LogStoreConfiguration
    let notifier = HeadNotifier()
    /// In a struct, not as a bare closure: a `Mutex` whose value is a function type re-abstracts
    /// it on every `withLock` and stores back a thunk wrapping the old closure, so each commit
    /// added two layers, and calling the observer walked all of them. A server's commits slowed
    /// down in proportion to how many it had made (2 ms each after 100,000 commits).
    private let commitObserver = Mutex<CommitObserver?>(nil)

    private struct CommitObserver: Sendable {
        let call: @Sendable (CommitStats) -> Void
    }

    struct Head: Sendable {
        var position: UInt64
        var recordedAt: Int64
    }

    private let head: Mutex<Head>
    private let writer: WriterThread?
    private let indexer: IndexerThread?

    /// Opens or creates the store in directory `path`.
    ///
    /// - Throws: ``LMDBError`` when LMDB cannot open it, ``StorageError`` when the last record is unreadable.
    public init(path: String, schema: any RecordSchema, configuration: LogStoreConfiguration = .init()) throws {
        var envConfig = EnvironmentConfiguration()
        envConfig.mapSize = configuration.initialMapSize
        envConfig.maxReaders = configuration.maxReaders
        envConfig.readerPoolSize = configuration.readerPoolSize
        envConfig.maxDatabases = UInt32(5 + configuration.entityIndexes.count + 4)
        envConfig.readOnly = configuration.readOnly
        let env = try Environment(path: path, configuration: envConfig)
        self.env = env
        self.schema = schema
        self.configuration = configuration
        log = try env.openDatabase("log")
        if !configuration.readOnly {
            // Ledgers written before the split kept their indexes next to the log: reclaim them.
            for name in ["ids", "time", "meta"] + configuration.entityIndexes.map({ "entity." + $0 }) {
                try env.dropDatabaseIfPresent(name)
            }
        }
        var indexEnv = try Self.openIndexEnvironment(path: path, configuration: envConfig)
        var layout = try Self.indexLayout(of: indexEnv)
        if configuration.readOnly && layout != nil && layout != configuration.indexLayout {
            indexEnv = try Self.temporaryIndexEnvironment(configuration: envConfig)
            layout = nil
        }
        self.indexEnv = indexEnv
        ids = try indexEnv.openDatabase("ids")
        time = try indexEnv.openDatabase("time")
        entities = try configuration.entityIndexes.map {
            try indexEnv.openDatabase("entity." + $0, duplicateSort: true, fixedSizeDuplicates: true)
        }
        meta = try indexEnv.openDatabase("meta")
        if layout != configuration.indexLayout && !configuration.readOnly {
            // Built under other rules (or new): empty, so that `rebuildTail` indexes the whole log.
            try indexEnv.writeTransaction { [ids, time, entities, meta] txn in
                for db in [ids, time, meta] + entities { try txn.clear(db) }
                try txn.put(meta, Array("layout".utf8), Keys.position(configuration.indexLayout))
            }
        }
        let last = try Self.readHead(env: env, log: log)
        head = Mutex(last)
        tail = Mutex(TailIndex())
        notifier.publish(last.position)
        writer = configuration.readOnly ? nil : WriterThread()
        indexer = configuration.readOnly ? nil : IndexerThread()
        try rebuildTail()
        indexer?.start(self)
        writer?.start(self)
    }

    /// The index environment in `path/index`. A read-only opener of a ledger that has none (never
    /// opened for writing since indexes moved there) gets an empty one in a temporary directory:
    /// the whole log is then indexed in memory.
    private static func openIndexEnvironment(path: String, configuration: EnvironmentConfiguration) throws -> Environment {
        var c = configuration
        c.noMetaSync = true  // derived data: a system crash may lose the last flush, which is rebuilt from the log
        let dir = path + "/index"
        if configuration.readOnly && !FileManager.default.fileExists(atPath: dir + "/data.mdb") {
            return try temporaryIndexEnvironment(configuration: c)
        }
        return try Environment(path: dir, configuration: c)
    }

    /// An empty, writable index environment that is deleted on close.
    private static func temporaryIndexEnvironment(configuration: EnvironmentConfiguration) throws -> Environment {
        var c = configuration
        c.readOnly = false
        c.noMetaSync = true
        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-index-\(UUID().uuidString)").path
        return try Environment(path: temp, configuration: c, removeOnClose: true)
    }

    /// The ``LogStoreConfiguration/indexLayout`` the indexes in `env` were built under: `nil`
    /// when they are empty and unmarked, 1 when they hold entries from before layouts were marked.
    private static func indexLayout(of env: Environment) throws -> UInt64? {
        // Read-only, a missing `meta` cannot be created: nothing was ever indexed there.
        guard let meta = try? env.openDatabase("meta") else { return nil }
        return try env.read { txn in
            if let v = try txn.get(meta, Array("layout".utf8)) { return Keys.readUInt64(v) }
            return try txn.get(meta, Array("indexed".utf8)) == nil ? nil : 1
        }
    }

    deinit {
        writer?.stop()
        indexer?.stop()
    }

    /// Stops the writer thread after it has answered every queued request, then the indexer after
    /// its last flush (left to the next opener when the tail is large).
    public func close() {
        writer?.stop()
        indexer?.stop()
    }

    // MARK: Derived indexes

    /// The last position the LMDB indexes cover; later records are indexed in memory.
    public var indexedPosition: UInt64 {
        (try? indexEnv.read { txn in try txn.get(meta, Array("indexed".utf8)).map { Keys.readUInt64($0) } ?? 0 }) ?? 0
    }

    /// Records committed but not yet in the LMDB indexes.
    public var unindexedCount: Int { tail.withLock { $0.count } }

    /// Whether the indexer thread is flushing (not closed).
    var indexerRunning: Bool { indexer?.isRunning ?? false }

    /// Rebuilds the in-memory tail index from the log records after `indexed` (after a crash,
    /// or a copy made while indexes were behind).
    private func rebuildTail() throws {
        let from = indexedPosition
        var rebuilt = TailIndex()
        var cursor = from
        while true {
            let page = try records(after: cursor, limit: 8192)
            guard let end = page.last else { break }
            for r in page { rebuilt.add(try indexEntries(ofStored: r.payload, at: r.position), at: r.position) }
            cursor = end.position
        }
        rebuilt.startAfter(from)
        tail.withLock { $0 = rebuilt }
    }

    /// Writes the oldest `limit` tail records' entries into the LMDB indexes in one sorted
    /// transaction with the new `indexed` checkpoint, then drops them from the tail.
    /// Runs on the indexer thread only. Returns how many records it indexed: 0 also when
    /// `interrupted` said yes (asked every 4,096 puts): the transaction is then aborted and the
    /// tail kept whole, so closing a store never waits out a large flush (a second or more after
    /// a bulk append) whose work the next opener redoes anyway.
    @discardableResult
    func flushIndexes(limit: Int = .max, interrupted: () -> Bool = { false }) throws -> Int {
        // Slices of the tail's segments: the writer appends to the last one only (which it then
        // copies once, if this flush shares it), so nothing is copied under the lock.
        let chunk = tail.withLock { $0.oldest(limit) }
        guard let last = chunk.last?.last?.position else { return 0 }
        let count = chunk.reduce(0) { $0 + $1.count }
        // Sorted, so each flush walks every index once, left to right. Keys are laid side by side
        // in one buffer and sorted as (offset, length) rows with memcmp: sorting arrays of arrays
        // (a generic byte-by-byte compare, and a retain and release per move) was a third of the
        // indexer's time.
        var ids = FlushRows(capacity: count)
        var times: [(Int64, UInt64)] = []
        times.reserveCapacity(count)
        var entityRows = (0..<entities.count).map { _ in FlushRows(capacity: count) }
        for part in chunk {
            for e in part {
                ids.add(e.id, e.position)
                times.append((e.occurredAt, e.position))
                for k in e.entityKeys { entityRows[k.index].add(Keys.entity(k.key), e.position) }
            }
        }
        ids.sort()
        times.sort { $0 < $1 }
        for i in entityRows.indices { entityRows[i].sort() }
        struct Interrupted: Error {}
        var puts = 0
        func checkpoint() throws {
            puts &+= 1
            if puts & 4095 == 0, interrupted() { throw Interrupted() }
        }
        while true {
            do {
                try indexEnv.writeTransaction { txn in
                    // Reused key buffers: a flush writes many 8- and 16-byte keys.
                    var position = [UInt8](repeating: 0, count: 8)
                    var timeKey = [UInt8](repeating: 0, count: 16)
                    // Rows are in key order, so once one sorts after every key an index holds, so
                    // does every later row: those are appended (MDB_APPEND), without a search from
                    // the root and into full pages instead of split halves. Occurred times mostly
                    // grow, and so do ids and call ids that start with a time.
                    var past = PastTheEnd(try txn.last(self.ids)?.key)
                    // Another process writing to the ledger flushes the same records from its own
                    // tail: an entry already there with the same position is no conflict.
                    try ids.forEach { id, p in
                        Keys.write(p, into: &position, at: 0)
                        let append = past.admits(id, distinct: true)
                        do { try txn.put(self.ids, id, position, flags: append ? MDB_NOOVERWRITE | MDB_APPEND : MDB_NOOVERWRITE) } catch LMDBError.keyExists {
                            let stored = try txn.withValue(self.ids, Array(id)) { Keys.readUInt64($0) }
                            guard stored == p else { throw StorageError(.corrupted, "id indexed at position \(stored ?? 0) and \(p)") }
                        }
                        try checkpoint()
                    }
                    past = PastTheEnd(try txn.last(time)?.key)
                    for (ms, p) in times {
                        Keys.write(UInt64(bitPattern: ms) ^ (1 << 63), into: &timeKey, at: 0)
                        Keys.write(p, into: &timeKey, at: 8)
                        let append = past.admits(timeKey, distinct: true)
                        try txn.put(time, timeKey, [], flags: append ? MDB_APPEND : 0)
                        try checkpoint()
                    }
                    for (i, rows) in entityRows.enumerated() {
                        past = PastTheEnd(try txn.last(entities[i])?.key)
                        try rows.forEach { key, p in
                            Keys.write(p, into: &position, at: 0)
                            // A key's later positions go in as duplicates: MDB_APPEND refuses a key
                            // equal to the last one.
                            let append = past.admits(key, distinct: false)
                            do { try txn.put(entities[i], key, position, flags: append ? MDB_NODUPDATA | MDB_APPEND : MDB_NODUPDATA) } catch LMDBError.keyExists {}
                            try checkpoint()
                        }
                    }
                    // Never backwards: another process's indexer may have flushed further.
                    let before = try txn.get(meta, Array("indexed".utf8)).map { Keys.readUInt64($0) } ?? 0
                    try txn.put(meta, Array("indexed".utf8), Keys.position(max(before, last)))
                }
                break
            } catch LMDBError.mapFull {
                try indexEnv.growMap(to: indexEnv.mapSize * 2)
            } catch is Interrupted {
                return 0
            }
        }
        // What the tail lets go is freed here, after the lock, and new maps (megabytes to zero)
        // are made before it when the maps will change generation: the writer waits on that lock.
        // Only this thread drops entries, so the answer holds until the drop.
        let rotates = tail.withLock { $0.changesGeneration(dropping: count) }
        let fresh = rotates ? (ids: HashSlots(minimumCapacity: count), heads: HashSlots(minimumCapacity: 2 * count)) : nil
        let released = tail.withLock { $0.dropOldest(count, fresh: fresh) }
        withExtendedLifetime(released) {}
        return count
    }

    /// The position of the last committed record (0 when empty).
    public var lastPosition: UInt64 { head.withLock { $0.position } }

    /// The commit time of the last record (ms since the epoch; 0 when empty).
    public var lastRecordedAt: Int64 { head.withLock { $0.recordedAt } }

    /// Reader slots of dead processes cleared when the store was opened.
    public var staleReadersCleared: Int { env.staleReadersCleared }

    // MARK: Append

    /// Appends `records` atomically and returns once they are durable (committed and fsynced).
    ///
    /// A record whose id is already stored with the same content is a no-op reporting the original
    /// position; with different content the whole request fails with `.conflict` and stores nothing.
    /// Concurrent calls share one transaction and one fsync.
    /// - Throws: ``StorageError`` (`.conflict`, `.closed`, `.lmdb`).
    public func append(_ records: [PendingRecord]) async throws -> AppendOutcome {
        try await append(records, condition: nil)
    }

    /// Appends `records` as ``append(_:)`` does, provided `condition` still holds in the write
    /// transaction, where every other writer (this process's or another's) is serialised: a
    /// check made before appending, and then the append, would let two writers both pass it.
    /// - Throws: ``StorageError`` `.conditionFailed` (nothing stored) when it no longer holds.
    public func append(_ records: [PendingRecord], condition: AppendCondition?) async throws -> AppendOutcome {
        guard let writer else { throw StorageError(.closed, "the store was opened read-only") }
        for r in records where r.id.isEmpty || r.id.count > 400 {
            throw StorageError(.invalidArgument, "record id must be 1–400 bytes")
        }
        if let condition, !entities.indices.contains(condition.index) {
            throw StorageError(.invalidArgument, "no entity index \(condition.index)")
        }
        return try await withCheckedThrowingContinuation { c in
            writer.enqueue(WriteRequest(records: records, continuation: c, condition: condition))
        }
    }

    /// Starts a batch appended part by part (see ``AppendStream``).
    public func beginAppend() throws -> AppendStream {
        guard let writer else { throw StorageError(.closed, "the store was opened read-only") }
        let channel = AppendChannel()
        let outcome = Task {
            try await withCheckedThrowingContinuation { c in
                writer.enqueue(WriteRequest(records: [], continuation: c, stream: channel))
            }
        }
        return AppendStream(channel: channel, outcome: outcome)
    }

    /// Calls `observer` on the writer thread after every commit (for metrics: keep it cheap).
    public func observeCommits(_ observer: @escaping @Sendable (CommitStats) -> Void) {
        commitObserver.withLock { $0 = CommitObserver(call: observer) }
    }

    /// Processes one group of requests in one write transaction. Runs on the writer thread only.
    func commit(_ requests: [WriteRequest]) {
        let clock = ContinuousClock()
        let started = clock.now
        var requests = requests
        var results: [Result<AppendOutcome, any Error>] = []
        var newHead = Head(position: 0, recordedAt: 0)
        var added: [Added] = []
        // A streamed batch comes alone (see `WriterThread`); its parts gather here, kept across a
        // retry after the map grows.
        let stream = requests.count == 1 ? requests[0].stream : nil
        var streamed: [PendingRecord] = []
        defer { stream?.close() }
        while true {
            do {
                let start = head.withLock { $0 }
                let generation = tail.withLock { $0.generation }
                (results, newHead, added) = try indexEnv.read { index in
                    try env.writeTransaction { txn in
                        let start = try self.adoptForeignRecords(txn, cached: start)
                        if let stream {
                            let (outcome, h, a) = try self.applyStream(stream, &streamed, txn: txn, index: index, generation: generation, head: start)
                            return ([.success(outcome)], h, a)
                        }
                        return try self.apply(requests, txn: txn, index: index, generation: generation, head: start)
                    }
                }
                if stream != nil { requests[0] = WriteRequest(records: streamed, continuation: requests[0].continuation) }
                break
            } catch LMDBError.mapFull {
                do {
                    try env.growMap(to: env.mapSize * 2)
                } catch {
                    for r in requests { r.continuation.resume(throwing: StorageError(.lmdb, "cannot grow the map: \(error)", cause: error)) }
                    return
                }
            } catch {
                let e = error as? StorageError ?? StorageError(.lmdb, "append failed: \(error)", cause: error)
                for r in requests { r.continuation.resume(throwing: e) }
                return
            }
        }
        // Indexed in memory before anyone can learn the new head.
        // No reserveCapacity(count + n) first: arrays reserve exactly what is asked, so doing it on
        // every commit copied the whole tail each time (growth on append is geometric).
        tail.withLock { t in
            for a in added { t.add(requests[a.request].records[a.record], at: a.position) }
        }
        head.withLock { if newHead.position >= $0.position { $0 = newHead } }
        notifier.publish(newHead.position)
        for (r, result) in zip(requests, results) { r.continuation.resume(with: result) }
        if !added.isEmpty { indexer?.appended() }
        if let observer = commitObserver.withLock({ $0 }) {
            observer.call(CommitStats(requests: requests.count, records: added.count, duration: clock.now - started))
        }
    }

    /// The head on disk, after taking in the records another process appended since this one last
    /// wrote (a follower importing beside a server, say). LMDB's write lock serialises writers
    /// across processes, but the head this process keeps in memory did not know theirs: the next
    /// append wrote over their positions and failed (`MDB_KEYEXIST`). Their index entries join the
    /// tail before any id is looked up, so an id they stored is found here too.
    private func adoptForeignRecords(_ txn: Transaction, cached: Head) throws -> Head {
        guard let (k, v) = try txn.last(log) else { return cached }
        let p = try Keys.logPosition(k)
        guard p != cached.position || tail.withLock({ $0.end }) < p else { return cached }
        let onDisk = Head(position: p, recordedAt: try RecordFormat.open(v, position: p).recordedAt)
        try takeIn(through: onDisk, txn)
        return onDisk
    }

    /// Adds the index entries of the records after the tail's end through `last` (read in `txn`)
    /// to the tail, and moves the head there.
    private func takeIn(through last: Head, _ txn: Transaction) throws {
        let known = tail.withLock { $0.end }
        var found: [(PendingRecord, UInt64)] = []
        if known < last.position {
            try txn.scan(log, from: Keys.position(known + 1)) { key, value in
                let position = try Keys.logPosition(key)
                guard position <= last.position else { return false }
                found.append((try indexEntries(ofStored: RecordFormat.open(value, position: position).payload, at: position), position))
                return true
            }
        }
        tail.withLock { t in for (r, p) in found { t.add(r, at: p) } }
        let advanced = head.withLock { h -> Bool in
            guard last.position > h.position else { return false }
            h = last
            return true
        }
        if advanced { notifier.publish(last.position) }
        if !found.isEmpty { indexer?.appended() }
    }

    /// The stored position of each record's id, or nil: the in-memory tail first, then the LMDB index.
    ///
    /// `index` is a snapshot of the index environment begun when the tail's generation was
    /// `generation`. If the indexer has dropped a chunk since, an id missing from the tail may have
    /// been flushed after that snapshot began, so a fresh snapshot is read instead.
    private func storedPositions(of records: [PendingRecord], index: Transaction, generation: Int) throws -> [UInt64?] {
        // One lock for the whole request: a lock per record was a pair of atomics per event.
        var (found, now) = tail.withLock { t in (records.map { t.position(ofID: $0.id, hash: $0.idHash) }, t.generation) }
        func lookUp(_ txn: Transaction) throws {
            for k in found.indices where found[k] == nil {
                found[k] = try txn.get(ids, records[k].id).map { Keys.readUInt64($0) }
            }
        }
        if now == generation { try lookUp(index) } else { try indexEnv.read { try lookUp($0) } }
        return found
    }

    /// Whether a record indexed under `c`'s key comes after `c.after`: written earlier in this
    /// transaction (`added`, not in the tail yet), or committed (``positions(entity:key:)``: the
    /// tail, which holds other processes' records too, taken in before this, and the LMDB index).
    private func isBroken(_ c: AppendCondition, added: [Added], _ requests: [WriteRequest]) throws -> Bool {
        for a in added where requests[a.request].records[a.record].entityKeys.contains(where: { $0.index == c.index && $0.key == c.key }) {
            return true
        }
        return try positions(entity: c.index, key: c.key).contains { $0 > c.after }
    }

    /// A record written by this commit: where it is in the requests, and its position.
    /// Indices, not a copy of the record: copying one retains and releases its four arrays.
    struct Added {
        var request: Int
        var record: Int
        var position: UInt64
    }

    private func apply(_ requests: [WriteRequest], txn: Transaction, index: Transaction, generation: Int, head start: Head) throws
        -> ([Result<AppendOutcome, any Error>], Head, [Added])
    {
        var h = start
        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        h.recordedAt = max(h.recordedAt, now)
        var results: [Result<AppendOutcome, any Error>] = []
        results.reserveCapacity(requests.count)
        var added: [Added] = []
        added.reserveCapacity(requests.reduce(0) { $0 + $1.records.count })
        // Ids written earlier in this transaction (by earlier requests of the group): id hash →
        // 1 + index in `added`; a hash shared by two ids falls back to a search of `added`.
        var inTransaction: HashSlots? = requests.count > 1 ? HashSlots(minimumCapacity: added.capacity) : nil
        for (q, request) in requests.enumerated() {
            if let c = request.condition, try isBroken(c, added: added, requests) {
                results.append(.failure(StorageError(.conditionFailed, "a record indexed under the condition's key was appended after position \(c.after)")))
                continue
            }
            // Pass 1: look every id up, so a rejected request writes nothing.
            let records = request.records
            var positions = [UInt64](repeating: 0, count: records.count)
            var isNew = [Bool](repeating: false, count: records.count)
            // id hash → 1 + index of its first record in this request.
            var firstInRequest: HashSlots? = records.count > 1 ? HashSlots(minimumCapacity: records.count) : nil
            // Every conflict of the request is named, not only the first: the producer mends them at once.
            var conflicts = ConflictList()
            let known = try storedPositions(of: records, index: index, generation: generation)
            for k in records.indices {
                if let p = known[k] {
                    let stored = try txn.withValue(log, Keys.position(p)) { try RecordFormat.open($0, position: p).payload }
                    if let stored, sameContent(stored, records[k].payload) {
                        positions[k] = p
                        continue
                    }
                    conflicts.append(.stored(k, at: p))
                    continue
                }
                if let inTransaction, let i = Self.earlier(records[k], inTransaction, added, requests) {
                    let other = requests[added[i].request].records[added[i].record]
                    let position = added[i].position
                    if sameContent(other.payload, records[k].payload) {
                        positions[k] = position
                        continue
                    }
                    conflicts.append(.stored(k, at: position))
                    continue
                }
                if let firstInRequest, let j = Self.first(records[k], in: records, before: k, firstInRequest) {
                    if sameContent(records[j].payload, records[k].payload) {
                        positions[k] = UInt64.max - UInt64(j)  // resolved after pass 2
                        continue
                    }
                    conflicts.append(.repeated(k, firstAt: j))
                    continue
                }
                if firstInRequest?[records[k].idHash] == nil {
                    firstInRequest?.updateValue(UInt64(k + 1), forKey: records[k].idHash)
                }
                isNew[k] = true
            }
            if let rejection = conflicts.error {
                results.append(.failure(rejection))
                continue
            }
            // Pass 2: write the records (only the log: indexes follow behind).
            var appended = 0
            for k in records.indices where isNew[k] {
                h.position += 1
                try RecordFormat.put(txn, log, position: h.position, recordedAt: h.recordedAt, payload: records[k].payload, flags: MDB_APPEND)
                positions[k] = h.position
                if inTransaction?[records[k].idHash] == nil {
                    inTransaction?.updateValue(UInt64(added.count + 1), forKey: records[k].idHash)
                }
                added.append(Added(request: q, record: k, position: h.position))
                appended += 1
            }
            for k in positions.indices where positions[k] > UInt64.max - UInt64(records.count) {
                positions[k] = positions[Int(UInt64.max - positions[k])]
            }
            results.append(.success(AppendOutcome(positions: positions, appended: appended,
                                                  duplicates: records.count - appended, recordedAt: h.recordedAt)))
        }
        if h.position == start.position { h.recordedAt = start.recordedAt }
        return (results, h, added)
    }

    /// Writes a streamed batch's parts as they come (see ``AppendStream``): each part's ids are
    /// looked up and its new records written before the next part is taken. `streamed` holds the
    /// parts taken so far (after a map growth, the retry writes them again before taking more).
    /// Any conflict, or a cancel, throws: the transaction is aborted and nothing is stored.
    private func applyStream(_ stream: AppendChannel, _ streamed: inout [PendingRecord], txn: Transaction, index: Transaction,
                             generation: Int, head start: Head) throws -> (AppendOutcome, Head, [Added])
    {
        var h = start
        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        h.recordedAt = max(h.recordedAt, now)
        var positions: [UInt64] = []
        positions.reserveCapacity(streamed.count)
        var added: [Added] = []
        // id hash → 1 + index of its first new record in the batch.
        var first = HashSlots(minimumCapacity: max(1024, streamed.count))
        // After a conflict nothing more is written (the transaction is aborted), but the rest of
        // the batch is still looked up, so that every conflict is named.
        var conflicts = ConflictList()
        var done = 0
        while true {
            if done == streamed.count {
                guard let part = stream.next() else { break }
                streamed.append(contentsOf: part)
                continue
            }
            let range = done..<streamed.count
            let known = try storedPositions(of: Array(streamed[range]), index: index, generation: generation)
            for g in range {
                if let p = known[g - range.lowerBound] {
                    let stored = try txn.withValue(log, Keys.position(p)) { try RecordFormat.open($0, position: p).payload }
                    if let stored, sameContent(stored, streamed[g].payload) {
                        positions.append(p)
                        continue
                    }
                    conflicts.append(.stored(g, at: p))
                    positions.append(0)
                    continue
                }
                if let j = Self.first(streamed[g], in: streamed, before: g, first) {
                    if sameContent(streamed[j].payload, streamed[g].payload) {
                        positions.append(positions[j])
                        continue
                    }
                    conflicts.append(.repeated(g, firstAt: j))
                    positions.append(0)
                    continue
                }
                if first[streamed[g].idHash] == nil { first.updateValue(UInt64(g + 1), forKey: streamed[g].idHash) }
                positions.append(0)
                guard conflicts.count == 0 else { continue }
                h.position += 1
                try RecordFormat.put(txn, log, position: h.position, recordedAt: h.recordedAt, payload: streamed[g].payload, flags: MDB_APPEND)
                positions[g] = h.position
                added.append(Added(request: 0, record: g, position: h.position))
            }
            done = streamed.count
        }
        if stream.wasCancelled { throw StorageError(.cancelled, "the batch was cancelled; nothing was stored") }
        if let rejection = conflicts.error { throw rejection }
        if h.position == start.position { h.recordedAt = start.recordedAt }
        let outcome = AppendOutcome(positions: positions, appended: added.count, duplicates: positions.count - added.count,
                                    recordedAt: h.recordedAt)
        return (outcome, h, added)
    }

    /// The conflicts of one request: the first ``StorageError/maxConflictsListed``, and how many.
    private struct ConflictList {
        private var listed: [StorageError.Conflict] = []
        private(set) var count = 0

        mutating func append(_ c: StorageError.Conflict) {
            count += 1
            if listed.count < StorageError.maxConflictsListed { listed.append(c) }
        }

        /// The request's `.conflict`, or nil when it has none.
        var error: StorageError? { listed.isEmpty ? nil : StorageError.conflicting(listed, count: count) }
    }

    /// Whether a record under an id already taken repeats it (a no-op) rather than conflicts.
    private func sameContent(_ stored: [UInt8], _ new: [UInt8]) -> Bool {
        stored == new || schema.sameContent(stored: stored, new: new)
    }

    /// The index entries of a record read back from the log.
    private func indexEntries(ofStored payload: [UInt8], at position: UInt64) throws -> PendingRecord {
        do { return try schema.indexEntries(of: payload) } catch {
            throw StorageError(.corrupted, "record at position \(position) cannot be indexed: \(error)")
        }
    }

    /// The first record of `records` before index `k` with `r`'s id, found by hash.
    private static func first(_ r: PendingRecord, in records: [PendingRecord], before k: Int, _ byHash: HashSlots) -> Int? {
        guard let j1 = byHash[r.idHash] else { return nil }
        let j = Int(j1) - 1
        if records[j].id == r.id { return j }
        return records[..<k].firstIndex { $0.id == r.id }  // two ids share the hash: search
    }

    /// The index in `added` of the record written earlier in this group with `r`'s id, found by hash.
    private static func earlier(_ r: PendingRecord, _ byHash: HashSlots, _ added: [Added], _ requests: [WriteRequest]) -> Int? {
        guard let i1 = byHash[r.idHash] else { return nil }
        let i = Int(i1) - 1
        func id(_ a: Added) -> [UInt8] { requests[a.request].records[a.record].id }
        if id(added[i]) == r.id { return i }
        return added.firstIndex { id($0) == r.id }  // two ids share the hash: search
    }

    // MARK: Reads

    /// Up to `limit` records with positions greater than `position`, in order.
    /// Each call is one short read transaction: page through history with it.
    public func records(after position: UInt64, limit: Int) throws -> [StoredRecord] {
        var out: [StoredRecord] = []
        out.reserveCapacity(min(limit, 4096))
        try scan(after: position, limit: limit) { out.append($0) }
        return out
    }

    /// Calls `body` with up to `limit` records after `position`, in one read transaction.
    public func scan(after position: UInt64, limit: Int, _ body: (StoredRecord) throws -> Void) throws {
        // A fresh payload array per record: refilling one reused buffer (removeAll keeping
        // capacity, then append) measured 8 % slower than allocating and copying in one go.
        try scanPayloads(after: position, limit: limit) { p, recordedAt, payload in
            try body(StoredRecord(position: p, recordedAt: recordedAt, payload: payload.copiedBytes))
        }
    }

    /// Like ``scan(after:limit:_:)``, but hands each payload over in place, as a span of the
    /// read transaction's memory, instead of copying it: `body` sees (position, recorded_at ms,
    /// payload) and must not keep the span.
    public func scanPayloads(after position: UInt64, limit: Int,
                             _ body: (UInt64, Int64, Span<UInt8>) throws -> Void) throws {
        // Nothing follows the largest position, and `position + 1` would trap on it (a reader's `after`).
        guard limit > 0, position < .max else { return }
        try env.read { txn in
            var n = 0
            try txn.scan(log, from: Keys.position(position + 1)) { k, v in
                let p = try Keys.logPosition(k)
                try RecordFormat.withPayload(v, position: p) { recordedAt, payload in
                    try body(p, recordedAt, payload)
                }
                n += 1
                return n < limit
            }
        }
    }

    /// The records at `positions` (missing ones are skipped), in the order given.
    public func records(at positions: [UInt64]) throws -> [StoredRecord] {
        var out: [StoredRecord] = []
        out.reserveCapacity(positions.count)
        try withRecords(at: positions) { p, recordedAt, payload in
            out.append(StoredRecord(position: p, recordedAt: recordedAt, payload: payload.copiedBytes))
        }
        return out
    }

    /// Calls `body` with (position, recorded_at ms, payload in place) for each record at
    /// `positions` (missing ones are skipped), in the order given, in one read transaction.
    public func withRecords(at positions: [UInt64], _ body: (UInt64, Int64, Span<UInt8>) throws -> Void) throws {
        try env.read { txn in
            for p in positions {
                try txn.withValue(log, Keys.position(p)) { v in
                    try RecordFormat.withPayload(v, position: p) { recordedAt, payload in try body(p, recordedAt, payload) }
                }
            }
        }
    }

    /// The position holding `id`, or `nil`.
    public func position(ofID id: [UInt8]) throws -> UInt64? {
        // The tail is read before the LMDB snapshot: an entry flushed in between is then in LMDB.
        let hash = PendingRecord.hash(id)
        if let p = tail.withLock({ $0.position(ofID: id, hash: hash) }) { return p }
        return try indexEnv.read { txn in try txn.get(ids, id).map { Keys.readUInt64($0) } }
    }

    /// Positions of records whose occurred time is in `[from, to)` (ms), ordered by (time, position),
    /// starting after the entry (`afterTime`, `afterPosition`) when paging, at most `limit`.
    public func positions(occurredFrom from: Int64, to: Int64, after: (time: Int64, position: UInt64)? = nil,
                          limit: Int = .max) throws -> [(time: Int64, position: UInt64)] {
        var out: [(time: Int64, position: UInt64)] = []
        func isAfter(_ t: Int64, _ p: UInt64) -> Bool { after.map { (t, p) > ($0.time, $0.position) } ?? (t >= from) }
        let pending = tail.withLock { $0.times }.filter { $0.ms < to && $0.ms >= from && isAfter($0.ms, $0.position) }
        let start = after.map { Keys.time($0.time, $0.position + 1) } ?? Keys.time(from, 0)
        try indexEnv.read { txn in
            try txn.scan(time, from: start) { k, _ in
                guard k.count == 16 else { throw StorageError(.corrupted, "a time index key of \(k.count) bytes (expected 16): delete DIR/index, it is rebuilt from the log") }
                let t = Keys.timeMs(k)
                guard t < to, out.count < limit else { return false }
                out.append((t, Keys.readUInt64(k, at: 8)))
                return true
            }
        }
        if pending.isEmpty { return out }
        var seen = Set(out.map(\.position))
        for e in pending where seen.insert(e.position).inserted { out.append((e.ms, e.position)) }
        out.sort { ($0.time, $0.position) < ($1.time, $1.position) }
        return Array(out.prefix(limit))
    }

    /// Positions of the records indexed under `key` in entity index `index`, ascending.
    /// Keys over 400 bytes are hashed: callers re-check the entity of the records they get.
    public func positions(entity index: Int, key: [UInt8]) throws -> [UInt64] {
        let stored = Keys.entity(key)
        let pending = tail.withLock { $0.positions(entity: index, key: key) }
        var out: [UInt64] = []
        try indexEnv.read { txn in
            try txn.duplicates(entities[index], stored) { out.append(Keys.readUInt64($0)) }
        }
        if pending.isEmpty { return out }
        return Array(Set(out).union(pending)).sorted()
    }

    /// The distinct keys of entity index `index`, in byte order. Keys over 400 bytes are stored
    /// hashed and cannot be given back once indexed: they are left out.
    public func entityKeys(_ index: Int) throws -> [[UInt8]] {
        let pending = tail.withLock { $0.keys(entity: index) }
        var stored: [[UInt8]] = []
        try indexEnv.read { txn in
            try txn.distinctKeys(entities[index]) { k in
                if !(k.count == 9 && k[0] == 0xFF) { stored.append(Array(k)) }
            }
        }
        return Array(Set(stored).union(pending.filter { $0.count <= 400 })).sorted { $0.lexicographicallyPrecedes($1) }
    }

    // MARK: Live tail support

    /// Returns when a record beyond `position` has been committed by this process, or after
    /// `timeout` (so appends by other processes are noticed by polling), or on cancellation.
    public func waitForAppend(beyond position: UInt64, timeout: Duration = .milliseconds(500)) async {
        if lastPosition > position { return }
        await notifier.wait(beyond: position, timeout: timeout)
        if lastPosition <= position { refreshHeadFromDisk() }
    }

    /// Re-reads the head (another process may have appended).
    public func refreshHeadFromDisk() {
        // With the index entries of what another process appended: reads by entity find them.
        try? env.read { txn in _ = try adoptForeignRecords(txn, cached: head.withLock { $0 }) }
    }

    private static func readHead(env: Environment, log: Database) throws -> Head {
        try env.read { txn -> Head in
            guard let (k, v) = try txn.last(log) else { return Head(position: 0, recordedAt: 0) }
            let p = try Keys.logPosition(k)
            let r = try RecordFormat.open(v, position: p)
            return Head(position: p, recordedAt: r.recordedAt)
        }
    }

    // MARK: Maintenance

    /// Environment figures: map size and use, file size, readers.
    public func info() -> EnvironmentInfo { env.info() }

    /// Number of records.
    public func count() throws -> Int { try env.read { try $0.count(log) } }

    /// A hot, compacted copy into `directory` (empty or absent). Open and verify it to check it.
    ///
    /// The indexes are copied first, so their checkpoint never passes the copied log's head.
    public func backup(to directory: String) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: directory) {
            guard (try fm.contentsOfDirectory(atPath: directory)).isEmpty else {
                throw StorageError(.invalidArgument, "backup target \(directory) is not empty: choose an empty or new directory")
            }
        }
        try indexEnv.copy(to: directory + "/index", compact: true)
        try env.copy(to: directory, compact: true)
    }

    /// Clears reader slots of dead processes; returns how many.
    public func clearStaleReaders() -> Int { env.clearStaleReaders() }
}

/// A queued append: the records and who to answer.
struct WriteRequest: Sendable {
    let records: [PendingRecord]
    let continuation: CheckedContinuation<AppendOutcome, any Error>
    /// A batch streamed part by part (``AppendStream``): `records` is empty, the parts come from here.
    var stream: AppendChannel? = nil
    var condition: AppendCondition? = nil
}

/// What must still be true when an append is written: no record indexed under `key` in entity
/// index `index` after position `after`. For a decision made on what the log held at `after`
/// (a dismissal checks that the client's episode is still open).
public struct AppendCondition: Sendable, Equatable {
    public var index: Int
    public var key: [UInt8]
    public var after: UInt64

    public init(index: Int, key: [UInt8], after: UInt64) {
        self.index = index
        self.key = key
        self.after = after
    }
}

/// The one thread that writes: LMDB write transactions are bound to the thread that began them,
/// and Swift tasks hop threads at every `await`, so writes never run on the cooperative pool.
final class WriterThread: Sendable {
    private struct State: StoppableThreadState {
        var queue: [WriteRequest] = []
        var stopping = false
        var running = false
        /// The thread is (about to be) blocked on `wake`: only then does an enqueue signal it. A
        /// signal per request was a futex call per request, 64 per round under 64 appenders.
        var sleeping = false
        /// While gathering a group: the queue length at which an enqueue wakes the writer (0: none).
        var expecting = 0
    }

    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    /// Signalled by the enqueue that brings the queue to `expecting` while the writer gathers.
    private let gathered = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)

    func start(_ store: LogStore) {
        state.withLock { $0.running = true }
        let maxRecords = store.configuration.maxRecordsPerCommit
        let maxUnindexed = max(store.configuration.maxUnindexedRecords, store.configuration.indexFlushThreshold)
        // The thread holds the store weakly so that dropping the last reference closes it.
        let thread = Thread { [weak store] in
            nameCurrentThread("ledger-writer")
            var previous = 0
            while true {
                let idle = self.state.withLock { s -> Bool in
                    s.sleeping = s.queue.isEmpty && !s.stopping
                    return s.sleeping
                }
                if idle { self.wake.wait() }
                // Group commit: the callers of a commit that served several of them were just
                // resumed and are likely sending again. Wait for them while they keep arriving,
                // at most 0.3 ms: otherwise the first one starts a commit alone and the others
                // wait for the next fsync. The enqueue that completes the group wakes the writer
                // at once (polling with 50 µs sleeps overshot by up to a sleep, plus the kernel's
                // timer slack, every round); a look that finds no newcomer ends the wait.
                if previous > 1 {
                    var seen = 0
                    for _ in 0..<3 {
                        let count = self.state.withLock { s -> Int in
                            if s.queue.count < previous { s.expecting = previous }
                            return s.queue.count
                        }
                        if count >= previous || count == seen && seen > 0 { break }
                        seen = count
                        _ = self.gathered.wait(timeout: .now() + .microseconds(100))
                    }
                    self.state.withLock { $0.expecting = 0 }
                }
                let (batch, stop) = self.state.withLock { s -> ([WriteRequest], Bool) in
                    var n = 0
                    var k = 0
                    // A streamed batch is committed alone: its size is not known when it starts.
                    while k < s.queue.count && (k == 0 || n + s.queue[k].records.count <= maxRecords && s.queue[k].stream == nil) {
                        if s.queue[k].stream != nil { k = 1; break }
                        n += s.queue[k].records.count
                        k += 1
                    }
                    let b = Array(s.queue.prefix(k))
                    s.queue.removeFirst(k)
                    return (b, s.stopping && s.queue.isEmpty)
                }
                if !batch.isEmpty {
                    previous = batch.count
                    if let store {
                        store.commit(batch)
                        // Back-pressure: past the bound, wait for the indexer to catch up.
                        while store.unindexedCount > maxUnindexed && store.indexerRunning {
                            Thread.sleep(forTimeInterval: 0.001)
                        }
                    } else {
                        for r in batch { r.continuation.resume(throwing: StorageError(.closed, "the store was closed")) }
                    }
                }
                if stop { break }
            }
            self.state.withLock { $0.running = false }
            self.done.signal()
        }
        thread.name = "ledger-writer"
        thread.start()
    }

    func enqueue(_ request: WriteRequest) {
        let (accepted, wakeUp, complete) = state.withLock { s -> (Bool, Bool, Bool) in
            guard !s.stopping else { return (false, false, false) }
            s.queue.append(request)
            let complete = s.expecting > 0 && s.queue.count >= s.expecting
            if complete { s.expecting = 0 }
            defer { s.sleeping = false }
            return (true, s.sleeping, complete)
        }
        if wakeUp { wake.signal() }
        if complete { gathered.signal() }
        if !accepted {
            request.continuation.resume(throwing: StorageError(.closed, "the store was closed"))
        }
    }

    /// Answers what is queued, then ends the thread. Idempotent.
    func stop() {
        guard state.requestStop() else { return }
        wake.signal()  // a stray signal only costs the loop one more look
        if Thread.current.name != "ledger-writer" { done.wait() }
    }
}

/// The thread that flushes the in-memory tail of index entries into the index environment: a
/// chunk whenever the tail reaches ``LogStoreConfiguration/indexFlushThreshold``, and everything
/// once appends pause for 50 ms. It has its own environment and write lock, so it runs beside the
/// writer, not between its commits.
final class IndexerThread: Sendable {
    private struct State: StoppableThreadState {
        var stopping = false
        var running = false
    }

    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)

    var isRunning: Bool { state.withLock { $0.running && !$0.stopping } }

    func start(_ store: LogStore) {
        state.withLock { $0.running = true }
        let threshold = store.configuration.indexFlushThreshold
        let thread = Thread { [weak store] in
            // Nice 5, like the ingest threads: under a saturated CPU the writer's acks and report
            // queries go first and the index flush gathers bigger chunks; if it lags a million
            // records behind, the writer waits for it (`maxUnindexedRecords`).
            nameCurrentThread("ledger-indexer", nice: 5)
            while true {
                let idle = self.wake.wait(timeout: .now() + .milliseconds(50)) == .timedOut
                let stopping = self.state.withLock { $0.stopping }
                guard let store else { break }
                if stopping {
                    // A small tail is flushed now; a large one (a bulk import) is left to the next
                    // opener, which rebuilds it from the log in memory and flushes it in the background.
                    if store.unindexedCount <= 100_000 {
                        while store.unindexedCount > 0, (try? store.flushIndexes(limit: threshold)) ?? 0 > 0 {}
                    }
                    break
                }
                while store.unindexedCount >= (idle ? 1 : threshold) && !self.state.withLock({ $0.stopping }) {
                    // A stop in the middle of a large flush aborts it: see `flushIndexes`.
                    let flushed = try? store.flushIndexes(limit: threshold) { self.state.withLock { $0.stopping } }
                    if flushed ?? 0 == 0 { break }
                }
            }
            self.state.withLock { $0.running = false }
            self.done.signal()
        }
        thread.name = "ledger-indexer"
        thread.start()
    }

    /// Called by the writer after each commit that added records.
    func appended() { wake.signal() }

    /// Flushes a small tail, then ends the thread. Idempotent.
    func stop() {
        guard state.requestStop() else { return }
        wake.signal()  // a stray signal only costs the loop one more look
        if Thread.current.name != "ledger-indexer" { done.wait() }
    }
}

/// Names the calling OS thread (shown by `top -H`, `perf` and debuggers) and sets its nice
/// value (0–19). The package's background threads all start with it.
package func nameCurrentThread(_ name: String, nice: Int32 = 0) {
    Thread.current.name = name
    #if os(Linux)
    // Per thread on Linux (0 names the calling one); a refusal only leaves the default.
    if nice != 0 { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, nice) }
    #endif
}

/// The stop flags of a background thread's state.
protocol StoppableThreadState {
    var stopping: Bool { get set }
    var running: Bool { get set }
}

extension Mutex where Value: StoppableThreadState {
    /// Marks the thread stopping; returns whether it was running and not yet asked to stop.
    borrowing func requestStop() -> Bool {
        withLock { s -> Bool in
            defer { s.stopping = true }
            return s.running && !s.stopping
        }
    }
}
