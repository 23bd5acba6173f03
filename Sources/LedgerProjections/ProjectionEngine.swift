import Foundation
import LedgerEvents
import LedgerLog
import LedgerStorage
import Synchronization

/// What `projections status` shows for one projection.
public struct ProjectionStatus: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable {
        /// `stale`: the stored facts were computed under another version (or record layout) than
        /// the registered projection's; `prepare(_:)`, the workers or a rebuild replace them.
        /// `unregistered`: kept in this ledger by a program that registered it (an analyst's own
        /// projection), but not registered on this engine: its facts are as that program left them.
        case running, rebuilding, failed, stale, unregistered
    }

    public var name: String
    /// The version the stored facts were computed under.
    public var version: Int
    /// The last log position applied.
    public var checkpoint: UInt64
    /// Events in the log not yet applied.
    public var lag: UInt64
    public var state: State
    /// When failed: the position of the event it could not apply, and why.
    public var failure: ProjectionFailure?
}

/// Runs projections over an ``EventLog``: keeps their facts current, rebuilds them aside and
/// swaps them in, and answers queries as of any ``Cut``.
///
/// ```swift
/// let engine = try ProjectionEngine(log: log)
/// try engine.register(CallsPerLineHour())
/// try engine.catchUp()                       // or run engine.workers() in a ServiceGroup
/// let facts = try engine.facts(of: CallsPerLineHour(), in: range, cut: .position(1000))
/// ```
///
/// Each projection keeps its state in its own LMDB environment under
/// `<ledger>/projections/<name>/gen-N/`; the file `CURRENT` names the generation in use.
public final class ProjectionEngine: Sendable {
    public let log: EventLog
    public let directory: String
    private let slots = Mutex<[String: Slot]>([:])
    private let order = Mutex<[String]>([])

    /// Opens the engine on `log`, keeping state under `directory` (default `<ledger>/projections`).
    public init(log: EventLog, directory: String? = nil) throws {
        self.log = log
        self.directory = directory ?? log.directory + "/projections"
        try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
    }

    // MARK: Registration

    /// Registers a projection, opening its state (created empty on first use).
    /// A stored version different from `projection.version` is rebuilt by ``prepare(_:progress:)``
    /// (workers do it on start).
    public func register<P: Projection>(_ projection: P) throws {
        let erased = AnyProjection(projection)
        guard erased.name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }), !erased.name.isEmpty else {
            throw ProjectionError("projection name \"\(erased.name)\" must be letters, digits, - or _")
        }
        let slot = try Slot(projection: erased, directory: directory + "/" + erased.name)
        try slots.withLock { s in
            guard s[erased.name] == nil else { throw ProjectionError("a projection named \(erased.name) is already registered") }
            s[erased.name] = slot
        }
        order.withLock { $0.append(erased.name) }
    }

    /// Names of the registered projections, in registration order.
    public var names: [String] { order.withLock { $0 } }

    func slot(_ name: String) throws -> Slot {
        guard let s = slots.withLock({ $0[name] }) else {
            throw ProjectionError("no projection named \(name); registered: \(names.joined(separator: ", "))")
        }
        return s
    }

    // MARK: Status

    /// Name, version, checkpoint, lag and state of every projection.
    public func status() throws -> [ProjectionStatus] {
        try names.map { try status(of: $0) }
    }

    /// The projections whose state is stored under ``directory`` but that are not registered on
    /// this engine (an analyst's projection, kept by their own program), by name. Their `version`
    /// and `checkpoint` are as stored; a projection failed at an event says so in `failure`.
    /// Opening them only reads: nothing is created or changed.
    public func unregisteredStatus() -> [ProjectionStatus] {
        // One at a time: LMDB's locks are per process, so two handles on one environment opened
        // at once (two status requests) would drop each other's when one closes.
        Self.inspecting.withLock { _ in unregisteredStatusLocked() }
    }

    private static let inspecting = Mutex<Void>(())

    private func unregisteredStatusLocked() -> [ProjectionStatus] {
        let head = log.lastPosition
        let registered = Set(names)
        let fm = FileManager.default
        let found = ((try? fm.contentsOfDirectory(atPath: directory)) ?? []).filter { !registered.contains($0) }.sorted()
        return found.compactMap { name -> ProjectionStatus? in
            let folder = directory + "/" + name
            guard let generation = Slot.pointedGeneration(in: folder),
                  let meta = try? ProjectionStore(directory: folder + "/" + generation.name).meta() else { return nil }
            return Self.status(name, meta, head: head, .unregistered)
        }
    }

    /// The status of projection `name` alone (workers and monitors ask for theirs many times a
    /// second: reading every projection's meta for it was wasted).
    /// - Throws: ``ProjectionError`` for an unknown name.
    public func status(of name: String) throws -> ProjectionStatus {
        let head = log.lastPosition
        let s = try slot(name)
        let meta = try s.active.meta()
        // The stored facts mean what their version says: under another version (or record
        // layout) than the code's they are stale until the rebuild that `prepare` or the
        // workers start, and must not pass for running.
        let stale = meta.version != s.projection.version || meta.format != ProjectionStore.format
        let state: ProjectionStatus.State = s.isRebuilding ? .rebuilding : meta.failure != nil ? .failed : stale ? .stale : .running
        return Self.status(name, meta, head: head, state)
    }

    private static func status(_ name: String, _ meta: ProjectionStore.Meta, head: UInt64, _ state: ProjectionStatus.State) -> ProjectionStatus {
        ProjectionStatus(name: name, version: meta.version, checkpoint: meta.checkpoint,
                         lag: head > meta.checkpoint ? head - meta.checkpoint : 0, state: state, failure: meta.failure)
    }

    // MARK: Applying events

    /// Applies every committed event each projection has not seen yet (all projections, or `name`).
    /// A projection that fails stops at the failing event and records it; the others go on.
    public func catchUp(_ name: String? = nil, pageSize: Int = 2048) throws {
        for n in name.map({ [$0] }) ?? names {
            let s = try slot(n)
            try s.work.withLock { _ in _ = try catchUp(s, store: s.active, until: log.lastPosition, pageSize: pageSize) }
        }
    }

    /// Applies at most `pages` pages of `name`'s unseen events and returns whether it reached the
    /// head (or stopped at a failure).
    ///
    /// Workers that share a few threads catch up in these slices, so one projection far behind
    /// (or one busy ledger in a process that hosts several) takes turns with the others instead
    /// of holding a thread until it reaches the head.
    public func catchUp(_ name: String, pages: Int, pageSize: Int = 2048) throws -> Bool {
        let s = try slot(name)
        return try s.work.withLock { _ in try catchUp(s, store: s.active, until: log.lastPosition, pageSize: pageSize, pages: pages) }
    }

    /// Projections whose stored version (or record layout) differs from the code's, or (when
    /// `preferBulk`) that lag so far behind that one bulk pass beats applying the events one page
    /// at a time (more than a quarter of the log, and over 10,000 events).
    public func namesNeedingRebuild(preferBulk: Bool = true) throws -> [String] {
        let head = log.lastPosition
        return try names.filter { n in
            let meta = try slot(n).active.meta()
            if meta.version != (try slot(n)).projection.version || meta.format != ProjectionStore.format { return true }
            let lag = head > meta.checkpoint ? head - meta.checkpoint : 0
            return preferBulk && meta.failure == nil && lag > 10_000 && lag > head / 4
        }
    }

    /// Rebuilds a projection whose stored version (or record layout) differs from the code's,
    /// before it serves.
    public func prepare(_ name: String, progress: ((Int, Int) -> Void)? = nil) throws {
        let s = try slot(name)
        let meta = try s.active.meta()
        if meta.version != s.projection.version || meta.format != ProjectionStore.format {
            try rebuild(name, progress: progress)
        }
    }

    /// Catches `store` up to `target` in pages of short read transactions, at most `pages` of them.
    /// Stops quietly at a failure. Returns whether nothing is left to apply up to `target`.
    private func catchUp(_ s: Slot, store: ProjectionStore, until target: UInt64, pageSize: Int, pages: Int = .max) throws -> Bool {
        var meta = try store.meta()
        if meta.failure != nil { return true }
        var applied = 0
        while meta.checkpoint < target {
            if applied == pages { return false }
            let page = try log.events(after: meta.checkpoint, limit: min(pageSize, Int(target - meta.checkpoint)))
            guard let last = page.last else { break }
            do {
                try apply(s, store: store, page, after: meta.checkpoint)
            } catch is CheckpointMoved {
                // Another process sharing the ledger applied these events first: go on from its checkpoint.
                meta = try store.meta()
                if meta.failure != nil { return true }
                applied += 1
                continue
            } catch {
                try isolateFailure(s, store: store, page, after: meta.checkpoint)
                return true
            }
            meta.checkpoint = last.position
            applied += 1
        }
        return true
    }

    /// Re-applies a failed page one event at a time, committing the good ones, and records the
    /// first event that fails with its position and error.
    private func isolateFailure(_ s: Slot, store: ProjectionStore, _ page: [RecordedEvent], after checkpoint: UInt64) throws {
        var checkpoint = checkpoint
        for e in page {
            do {
                try apply(s, store: store, [e], after: checkpoint)
                checkpoint = e.position
            } catch is CheckpointMoved {
                return
            } catch {
                let failure = ProjectionFailure(position: e.position, message: "\(error)")
                try store.kv.write { w in try ProjectionStore.setFailure(w, failure) }
                return
            }
        }
    }

    /// Recomputes the facts of every entity the page touches, and writes them with the new
    /// checkpoint in one transaction, if the stored checkpoint is still `checkpoint`.
    ///
    /// The facts are computed before the write transaction begins, and another process serving
    /// the same ledger (two servers, or a server beside `call-ledger projections …`) catches up
    /// the same store: its facts of newer events, written in between, were overwritten with
    /// older ones, and the checkpoint moved past them for good. LMDB's write lock spans
    /// processes, so checking the checkpoint inside the transaction makes the writes follow one
    /// another; a page that lost the race throws ``CheckpointMoved`` and is not written.
    func apply(_ s: Slot, store: ProjectionStore, _ page: [RecordedEvent], after checkpoint: UInt64) throws {
        guard let last = page.last else { return }
        var calls = Set<String>()
        for e in page { if let c = e.event.callID { calls.insert(c) } }
        let source = MemoizingSource(LogEventSource(log: log, cut: ResolvedCut(maxPosition: last.position, maxAt: nil), page: page,
                                                    applying: .init(projection: s.projection.name, store: store, calls: calls)))
        var seen = Set<String>()
        var entities: [String] = []
        for e in page {
            for entity in try s.projection.touched(e, source) where seen.insert(entity).inserted { entities.append(entity) }
        }
        let records = try entities.map { entity -> (String, FactRecord?) in
            (entity, try s.projection.record(entity, source))
        }
        try store.kv.write { w in
            guard try ProjectionStore.checkpoint(w) == checkpoint else { throw CheckpointMoved() }
            for (entity, record) in records { try Self.store(w, entity: entity, record: record) }
            try ProjectionStore.setCheckpoint(w, last.position)
        }
    }

    /// The store's checkpoint is not the one a page was computed from (see `apply`).
    struct CheckpointMoved: Error {}

    /// Replaces an entity's fact record and its `current` keys.
    private static func store(_ w: KeyValueWriter, entity: String, record: FactRecord?) throws {
        let e = Array(entity.utf8)
        guard e.count <= 400 else { throw ProjectionError("entity key longer than 400 bytes: \(entity.prefix(40))…") }
        if let old = try w.get("facts", key: e).map(FactRecord.init(decoding:)) {
            for k in old.keys where !(record?.keys.contains(k) ?? false) {
                try w.delete("current", key: FactRecord.scopeKey(k, entity: e))
            }
        }
        if let memo = record?.memo { try w.put("memo", key: e, value: memo) } else { try w.delete("memo", key: e) }
        guard let record else {
            try w.delete("facts", key: e)
            return
        }
        try w.put("facts", key: e, value: record.encoded())
        for k in record.keys { try w.put("current", key: FactRecord.scopeKey(k, entity: e), value: []) }
    }

    // MARK: Rebuild

    /// Rebuilds a projection from position 1 into a new generation while the old one keeps
    /// answering queries, then catches it up and swaps it in atomically.
    ///
    /// - Parameter progress: called with (events loaded, events to load).
    public func rebuild(_ name: String, progress: ((Int, Int) -> Void)? = nil) throws {
        try rebuild([name], progress: progress)
    }

    /// Rebuilds several projections (default: all) from one pass over the log: events are loaded
    /// once, then each projection's facts are computed (in parallel) into a new generation, caught
    /// up and swapped in. Queries keep reading the old generations meanwhile.
    public func rebuild(_ names: [String]? = nil, progress: ((Int, Int) -> Void)? = nil) throws {
        let targets = try (names ?? self.names).map(slot)
        guard !targets.isEmpty else { return }  // nothing stale: do not load the log for nobody
        for s in targets { s.setRebuilding(true) }
        defer { for s in targets { s.setRebuilding(false) } }
        let head = log.lastPosition
        let loaded = try load(through: head, progress: progress)
        let generations = try targets.map { s -> (ProjectionStore, String) in
            let generation = s.nextGeneration()
            let dir = s.directory + "/" + generation
            try? FileManager.default.removeItem(atPath: dir)
            return (try ProjectionStore(directory: dir), generation)
        }
        let errors = Mutex<[any Error]>([])
        DispatchQueue.concurrentPerform(iterations: targets.count) { k in
            do { try build(targets[k], into: generations[k].0, memory: loaded.memory, events: loaded.all, head: head) } catch {
                errors.withLock { $0.append(error) }
            }
        }
        // Freeing a million decoded events takes a few tenths of a second: not on the caller's time.
        DispatchQueue.global(qos: .utility).async { loaded.drop() }
        if let e = errors.withLock({ $0.first }) { throw e }
        for (k, s) in targets.enumerated() {
            try s.work.withLock { _ in
                _ = try catchUp(s, store: generations[k].0, until: log.lastPosition, pageSize: 2048)
                try s.swap(to: generations[k].0, generation: generations[k].1)
            }
        }
    }

    /// The log loaded for a rebuild: the events grouped by entity, and the flat list in log order.
    /// A box, so that one thread can drop them while the rebuild's caller goes on.
    private final class LoadedLog: @unchecked Sendable {
        private(set) var memory: MemoryEventSource
        private(set) var all: [RecordedEvent]
        init(_ memory: MemoryEventSource, _ all: [RecordedEvent]) {
            self.memory = memory
            self.all = all
        }
        /// Frees the events. Call once nothing reads them any more.
        func drop() {
            memory = MemoryEventSource()
            all = []
        }
    }

    /// Events 1…`head` in memory, grouped by entity, plus the flat list in log order.
    private func load(through head: UInt64, progress: ((Int, Int) -> Void)?) throws -> LoadedLog {
        let memory = MemoryEventSource()
        var all: [RecordedEvent] = []
        all.reserveCapacity(Int(head))
        // One scan (it decodes on both cores), not pages: 1.5x faster to load.
        try log.scan(after: 0, limit: Int(head)) { e in
            memory.add(e)
            all.append(e)
            if e.position & 8191 == 0 { progress?(Int(e.position), Int(head)) }
        }
        progress?(all.count, Int(head))
        memory.seal()
        return LoadedLog(memory, all)
    }

    /// Computes every touched entity's fact once from memory and writes them in key order
    /// (append-only puts) with checkpoint `head`.
    private func build(_ s: Slot, into store: ProjectionStore, memory: MemoryEventSource, events all: [RecordedEvent], head: UInt64) throws {
        var entities = Set<String>()
        var failed = false
        // By index: `for e in all` copied every event (a retain of each of its strings).
        for k in all.indices {
            do {
                for entity in try s.projection.touched(all[k], memory) { entities.insert(entity) }
            } catch {
                failed = true
                break
            }
        }
        var rows: [BuiltFact] = []
        var scope = SortedKeys()
        if !failed {
            // Facts are independent: compute them on every core, in chunks, each chunk encoding its
            // records and laying out its scope keys too.
            let list = Array(entities)
            let chunk = 2048
            let chunks = (list.count + chunk - 1) / chunk
            let parts = Mutex<[([BuiltFact], SortedKeys)]>(Array(repeating: ([], SortedKeys()), count: chunks))
            let threw = Mutex(false)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                var part: [BuiltFact] = []
                var keys = SortedKeys(capacity: chunk * 4)
                do {
                    for entity in list[(c * chunk)..<min(list.count, (c + 1) * chunk)] {
                        guard let r = try s.projection.record(entity, memory) else { continue }
                        let e = Array(entity.utf8)
                        for k in r.keys { FactRecord.addScopeKey(k, entity: e, to: &keys) }
                        part.append(BuiltFact(entity: e, record: r.encoded(), memo: r.memo))
                    }
                } catch {
                    threw.withLock { $0 = true }
                }
                parts.withLock { $0[c] = (part, keys) }
            }
            if threw.withLock({ $0 }) {
                failed = true
            } else {
                let done = parts.withLock { $0 }
                rows.reserveCapacity(done.reduce(0) { $0 + $1.0.count })
                for (part, _) in done { rows.append(contentsOf: part) }
                scope = SortedKeys(merging: done.map(\.1))
            }
        }
        guard !failed else {
            // The bulk pass cannot tell which event a fact failed at, nor keep what came before it.
            // Leave the new generation empty at checkpoint 0: the catch-up that follows (`rebuild`)
            // applies the log page by page, stops at the exact event and keeps every fact before
            // it, as a live worker would.
            try store.kv.write { w in
                try ProjectionStore.setCheckpoint(w, 0)
                try ProjectionStore.setVersion(w, s.projection.version)
                try ProjectionStore.setFailure(w, nil)
            }
            return
        }
        let order = KeyOrder.sortedIndices(rows.map(\.entity))
        try store.kv.write { w in
            for k in order { try w.put("facts", key: rows[k].entity, value: rows[k].record, append: true) }
            for k in order { if let memo = rows[k].memo { try w.put("memo", key: rows[k].entity, value: memo, append: true) } }
            try w.putDistinct("current", scope)
            try ProjectionStore.setCheckpoint(w, head)
            try ProjectionStore.setVersion(w, s.projection.version)
            try ProjectionStore.setFailure(w, nil)
        }
    }

    /// A fact computed by a rebuild, ready to write.
    private struct BuiltFact: Sendable {
        var entity: [UInt8]
        var record: [UInt8]
        var memo: [UInt8]?
    }

    // MARK: Queries

    /// The facts of `projection` whose query keys fall in `range`, as of `cut`.
    ///
    /// Live (`.all`) reads the `current` key index. A cut classifies every stored record by the
    /// window of events its fact was computed from: inside the cut, the stored fact and keys hold;
    /// outside, the entity has no fact; straddling, the fact is recomputed from the log filtered to
    /// the cut. So the answer equals a fresh replay of the cut, whatever states the cut produces.
    ///
    /// Only events the read model has applied count: every cut is taken within its checkpoint
    /// (`status()`), so query a projection after it has caught up (`catchUp()`, `prepare(_:)` or
    /// the workers); one that is behind or failed answers as of its checkpoint.
    /// `QueryKey.prefix()` with no parts is every fact.
    public func facts<P: Projection>(of projection: P, in range: QueryKey.ClosedOpenRange, cut: Cut = .all) throws -> [(entity: String, fact: P.Fact)] {
        try facts(of: projection, in: [range], cut: cut)
    }

    /// The facts with a query key in any of `ranges`, each entity once (decoded once).
    public func facts<P: Projection>(of projection: P, in ranges: [QueryKey.ClosedOpenRange], cut: Cut = .all) throws -> [(entity: String, fact: P.Fact)] {
        let s = try slot(projection.name)
        let store = s.active
        let checkpoint = try store.meta().checkpoint
        let resolved = try resolve(cut, checkpoint: checkpoint)
        // (entity, record bytes, offset of the fact in them)
        var found: [(entity: String, fact: [UInt8], offset: Int)] = []
        var straddling: [String] = []
        try store.kv.read { r in
            if cut == .all {
                var entities: [[UInt8]] = []
                for range in ranges {
                    try r.scan("current", from: range.lower.bytes) { k, _ in
                        guard k.lexicographicallyPrecedes(range.upper.bytes) else { return false }
                        entities.append(FactRecord.entity(ofScopeKey: k))
                        return true
                    }
                }
                // An entity with several keys in the ranges is read once: sorting and skipping repeats
                // is several times cheaper than hashing byte arrays into a set, and the look-ups
                // then walk the facts in key order.
                entities.sort { $0.lexicographicallyPrecedes($1) }
                var previous: [UInt8]?
                for e in entities where e != previous {
                    previous = e
                    if let v = try r.get("facts", key: e), let at = try FactRecord.factOffset(v) {
                        found.append((String(decoding: e, as: UTF8.self), v, at))
                    }
                }
            } else {
                // In place: every record's window is read, few records are copied.
                try r.scanInPlace("facts") { k, v in
                    let window = try FactRecord.window(v)
                    // Skip only when no range can be reached (see ClosedOpenRange.times).
                    let reachable = ranges.contains { range in
                        guard let t = range.times else { return true }
                        return !(window.maxAt < t.lowerBound || window.minAt >= t.upperBound)
                    }
                    if !reachable { return true }
                    switch window.coverage(in: resolved) {
                    case .inside:
                        let record = v.copiedBytes
                        if let at = try FactRecord.factOffset(record, ifAnyKeyIn: ranges) {
                            found.append((Bytes.string(k), record, at))
                        }
                    case .straddling:
                        straddling.append(Bytes.string(k))
                    case .outside:
                        break
                    }
                    return true
                }
            }
        }
        // Sorted before decoding: moving decoded facts is generic code, a copy per swap.
        found.sort { $0.entity < $1.entity }
        let stored: [(entity: String, fact: P.Fact)]
        do {
            stored = try Self.decode(found, as: P.Fact.self)
        } catch let e as FactCodingError {
            // Facts stored by another shape of `Fact` than the code's (a field added without a
            // version bump): say which projection, and what to do.
            throw ProjectionError("""
                \(projection.name): a stored fact does not decode as \(P.Fact.self) (\(e)); if the Fact type changed, \
                bump the projection's version so that its facts are rebuilt
                """)
        }
        guard !straddling.isEmpty else { return stored }
        let source = LogEventSource(log: log, cut: resolved, stored: try storedFacts(covering: resolved))
        let recomputed = try Self.recompute(straddling.sorted(), projection, source, in: ranges)
        // Both in entity order: merged, each fact moved once.
        var facts: [(entity: String, fact: P.Fact)] = []
        facts.reserveCapacity(stored.count + recomputed.count)
        var i = 0, j = 0
        while i < stored.count || j < recomputed.count {
            if j == recomputed.count || (i < stored.count && stored[i].entity < recomputed[j].entity) {
                facts.append(stored[i]); i += 1
            } else {
                facts.append(recomputed[j]); j += 1
            }
        }
        return facts
    }

    /// The stored facts of every projection that has applied all of `cut`.
    func storedFacts(covering cut: ResolvedCut) throws -> StoredFacts {
        var stores: [String: ProjectionStore] = [:]
        for name in names {
            let store = try slot(name).active
            if try store.meta().checkpoint >= cut.maxPosition { stores[name] = store }
        }
        return StoredFacts(stores: stores, cut: cut)
    }

    /// The facts of entities that straddle a cut, recomputed from the log filtered to it: on two
    /// cores when there are many (most of an as-of query's time).
    ///
    /// Typed, unlike a rebuild's records: the facts go straight to the caller, not through their
    /// stored encoding and back, and their keys are only tested, not sorted.
    static func recompute<P: Projection>(_ entities: [String], _ projection: P, _ source: LogEventSource,
                                         in ranges: [QueryKey.ClosedOpenRange]) throws -> [(entity: String, fact: P.Fact)] {
        @Sendable func run(_ part: ArraySlice<String>) throws -> [(entity: String, fact: P.Fact)] {
            var out: [(entity: String, fact: P.Fact)] = []
            for entity in part {
                // As `AnyProjection.record`: an entity that read no event in the cut has no fact.
                let tracking = TrackingSource(source)
                guard let f = try projection.fact(of: entity, source: tracking), !tracking.window.isEmpty,
                      projection.queryKeys(of: f).contains(where: { k in ranges.contains { $0.contains(k) } }) else { continue }
                out.append((entity, f))
            }
            return out
        }
        if entities.count < 64 { return try run(entities[...]) }
        return try inTwoHalves(entities, run)
    }

    /// Decodes facts, on every core when there are many (a month of a busy department).
    static func decode<F: Decodable & Sendable>(_ found: [(entity: String, fact: [UInt8], offset: Int)], as: F.Type) throws -> [(entity: String, fact: F)] {
        let decodeFact = FactCoder.decoder(for: F.self)
        @Sendable func run(_ slice: ArraySlice<(entity: String, fact: [UInt8], offset: Int)>) throws -> [(entity: String, fact: F)] {
            var out: [(entity: String, fact: F)] = []
            // The first part becomes the result, the rest is appended to it: room for all of it.
            out.reserveCapacity(slice.startIndex == 0 ? found.count : slice.count)
            for x in slice { out.append((x.entity, try decodeFact(x.fact, x.offset))) }
            return out
        }
        if found.count < 512 { return try run(found[...]) }
        return try inTwoHalves(found, run)
    }

    /// `run` over the two halves of `items`, the second on another core, the results joined in
    /// order. The first half's result becomes the whole (so only the second is copied: copying a
    /// fact retains its arrays, and freeing the copied-from half releases them again).
    static func inTwoHalves<T: Sendable, R: Sendable>(_ items: [T], _ run: @escaping @Sendable (ArraySlice<T>) throws -> [R]) throws -> [R] {
        let middle = items.count / 2
        let second = Mutex<Result<[R], any Error>?>(nil)
        let done = DispatchGroup()
        DispatchQueue.global().async(group: done) {
            let r = Result { try run(items[middle...]) }
            second.withLock { $0 = r }
        }
        let first = Result { try run(items[..<middle]) }
        done.wait()
        var all = try first.get()
        all.append(contentsOf: try second.withLock { $0! }.get())
        return all
    }

    /// The fact of one entity as of `cut`, or `nil`.
    public func fact<P: Projection>(of projection: P, entity: String, cut: Cut = .all) throws -> P.Fact? {
        let s = try slot(projection.name)
        let store = s.active
        let resolved = try resolve(cut, checkpoint: try store.meta().checkpoint)
        var record = try store.kv.read { r in try r.get("facts", key: Array(entity.utf8)).map(FactRecord.init(decoding:)) }
        if cut != .all, !(record.map { $0.window.isInside(resolved) } ?? false) {
            // Not known to hold in the cut: recompute (an entity with no record has no events at all).
            record = try s.projection.record(entity, LogEventSource(log: log, cut: resolved, stored: try storedFacts(covering: resolved)))
        }
        return try record?.fact.map { try FactCoder.decode(P.Fact.self, from: $0) }
    }

    /// The log filtered to `cut` (for settings and membership timelines read at query time).
    /// Bounded by `projection`'s checkpoint when given, so it agrees with that projection's facts.
    public func eventSource(for cut: Cut, consistentWith projection: String? = nil) throws -> any EventSource {
        let checkpoint = try projection.map { try slot($0).active.meta().checkpoint } ?? log.lastPosition
        return LogEventSource(log: log, cut: try resolve(cut, checkpoint: checkpoint))
    }

    /// The cut as bounds on position (never beyond the projection's checkpoint) and occurred time.
    func resolve(_ cut: Cut, checkpoint: UInt64) throws -> ResolvedCut {
        switch cut {
        case .all: return ResolvedCut(maxPosition: checkpoint, maxAt: nil)
        case .position(let p): return ResolvedCut(maxPosition: min(p, checkpoint), maxAt: nil)
        case .recordedAt(let t): return ResolvedCut(maxPosition: min(try log.lastPosition(recordedAtOrBefore: t), checkpoint), maxAt: nil)
        case .occurredAt(let t): return ResolvedCut(maxPosition: checkpoint, maxAt: t.milliseconds)
        }
    }

    /// Computes a fact over a whole cut from scratch, ignoring stored state: the reference a
    /// fresh replay would give (tests compare queries against it).
    public func replayedFacts<P: Projection>(of projection: P, in range: QueryKey.ClosedOpenRange, cut: Cut) throws -> [(entity: String, fact: P.Fact)] {
        let resolved = try resolve(cut, checkpoint: log.lastPosition)
        let memory = MemoryEventSource()
        var all: [RecordedEvent] = []
        try log.scan(after: 0, limit: Int(resolved.maxPosition)) { e in
            if resolved.contains(e) {
                memory.add(e)
                all.append(e)
            }
        }
        memory.seal()
        var entities = Set<String>()
        for e in all { for x in try projection.entities(touchedBy: e, source: memory) { entities.insert(x) } }
        var out: [(entity: String, fact: P.Fact)] = []
        for e in entities.sorted() {
            guard let f = try projection.fact(of: e, source: memory),
                  projection.queryKeys(of: f).contains(where: range.contains) else { continue }
            out.append((e, f))
        }
        return out
    }
}

/// A projection with its fact type erased to bytes.
struct AnyProjection: Sendable {
    let name: String
    let version: Int
    let touched: @Sendable (RecordedEvent, any EventSource) throws -> [String]
    let compute: @Sendable (String, any EventSource) throws -> (fact: [UInt8], keys: [QueryKey], memo: [UInt8]?)?

    init<P: Projection>(_ p: P) {
        name = p.name
        version = p.version
        touched = { try p.entities(touchedBy: $0, source: $1) }
        let encode = FactCoder.encoder(for: P.Fact.self)
        compute = { entity, source in
            guard let f = try p.fact(of: entity, source: source) else { return nil }
            return (try encode(f), p.queryKeys(of: f).sorted(), p.memo(of: f))
        }
    }

    /// The entity's fact (possibly nil) with the window of events it read; `nil` when it read none.
    func record(_ entity: String, _ source: any EventSource) throws -> FactRecord? {
        let tracking = TrackingSource(source)
        let computed = try compute(entity, tracking)
        guard !tracking.window.isEmpty else { return nil }
        return FactRecord(window: tracking.window, keys: computed?.keys ?? [], fact: computed?.fact, memo: computed?.memo)
    }
}

/// A registered projection: its active generation, and the lock that serialises its writers.
///
/// Another process may rebuild the projection (`call-ledger projections rebuild` beside a
/// server) and swap in a generation this one has not seen: each access looks at the `CURRENT`
/// pointer (one stat: a swap renames a new file over it) and follows it.
final class Slot: Sendable {
    let projection: AnyProjection
    let directory: String
    let work = Mutex<Void>(())
    private struct State {
        var active: ProjectionStore
        var generation: Int
        /// The pointer file this process last read or wrote (its inode: every swap renames a new one in).
        var pointerID: Int?
        var rebuilding = false
    }
    private let state: Mutex<State>
    private var pointer: String { directory + "/CURRENT" }

    init(projection: AnyProjection, directory: String) throws {
        self.projection = projection
        self.directory = directory
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let pointer = directory + "/CURRENT"
        var name = Self.pointedName(pointer)
        if name.isEmpty || !fm.fileExists(atPath: directory + "/" + name) {
            name = "gen-1"
            let store = try ProjectionStore(directory: directory + "/" + name)
            try store.kv.write { w in try ProjectionStore.setVersion(w, projection.version) }
            try Self.writePointer(pointer, name)
        }
        let store = try ProjectionStore(directory: directory + "/" + name)
        state = Mutex(State(active: store, generation: Int(name.dropFirst(4)) ?? 1, pointerID: Self.fileID(pointer)))
    }

    var active: ProjectionStore {
        state.withLock { s in
            let id = Self.fileID(pointer)
            guard id != s.pointerID, let id else { return s.active }
            // Swapped by another process: follow the pointer to the generation it names.
            guard let (name, number) = Self.pointedGeneration(in: directory), number != s.generation,
                  let store = try? ProjectionStore(directory: directory + "/" + name) else {
                s.pointerID = id
                return s.active
            }
            s.active = store
            s.generation = number
            s.pointerID = id
            return store
        }
    }
    var isRebuilding: Bool { state.withLock { $0.rebuilding } }
    func setRebuilding(_ v: Bool) { state.withLock { $0.rebuilding = v } }

    /// A generation number no process has used here: past this one's, the pointer's and every
    /// directory's (a process that had not seen another's swap deleted the live generation).
    func nextGeneration() -> String {
        let onDisk = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .compactMap { $0.hasPrefix("gen-") ? Int($0.dropFirst(4)) : nil }
        return "gen-\(max(state.withLock { $0.generation }, onDisk.max() ?? 0) + 1)"
    }

    /// Makes `store` the active generation: the pointer file first (atomic rename), then memory.
    func swap(to store: ProjectionStore, generation: String) throws {
        let old = try state.withLock { s -> ProjectionStore in
            try Self.writePointer(pointer, generation)
            defer {
                s.active = store
                s.generation = Int(generation.dropFirst(4)) ?? s.generation + 1
                s.pointerID = Self.fileID(pointer)
            }
            return s.active
        }
        // Open readers keep the old files mapped until they finish; the directory can go now.
        try? FileManager.default.removeItem(atPath: old.directory)
    }

    /// The generation the `CURRENT` file in `directory` names (`gen-N`) and its number, when
    /// its environment exists.
    static func pointedGeneration(in directory: String) -> (name: String, number: Int)? {
        let name = pointedName(directory + "/CURRENT")
        guard name.hasPrefix("gen-"), let number = Int(name.dropFirst(4)),
              FileManager.default.fileExists(atPath: directory + "/" + name + "/data.mdb") else { return nil }
        return (name, number)
    }

    /// The generation the pointer file names (`gen-N`), or "" when there is none.
    private static func pointedName(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }

    /// The file's inode number, or nil when it cannot be read. One `stat`: Foundation's
    /// `attributesOfItem` also looks up the owner's and group's names, on every query.
    private static func fileID(_ path: String) -> Int? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int(st.st_ino)
    }

    static func writePointer(_ path: String, _ name: String) throws {
        let tmp = path + ".tmp"
        try Data((name + "\n").utf8).write(to: URL(fileURLWithPath: tmp))
        if rename(tmp, path) != 0 { throw ProjectionError("cannot replace \(path): errno \(errno)") }
    }
}
