/// Index entries of the records committed after the last index flush, held in memory.
///
/// The durable append writes only log records; the id, time and entity indexes follow behind
/// the log and are flushed to LMDB in sorted chunks of the oldest records (few dirty pages per
/// event). Until then they live here, and every indexed read merges this with LMDB. After a crash
/// it is rebuilt from the log records after the `indexed` checkpoint: the log alone is the truth.
struct TailIndex: Sendable {
    /// One record's entries, in position order.
    struct Entry: Sendable {
        var position: UInt64
        var id: [UInt8]
        var occurredAt: Int64
        var entityKeys: [EntityKey]
    }

    /// Entries in position order; `start` is the first not yet flushed.
    private var entries: [Entry] = []
    private var start = 0
    /// id → position (the keys share the records' own id arrays).
    private var ids: [ByteKey: UInt64] = [:]
    /// Per entity index: stored key (see ``Keys/entity(_:)``) → positions, ascending.
    private var entities: [[[UInt8]: [UInt64]]]

    init(entityIndexes: Int) {
        entities = Array(repeating: [:], count: entityIndexes)
    }

    var count: Int { entries.count - start }
    var isEmpty: Bool { count == 0 }

    mutating func reserve(_ n: Int) {
        ids.reserveCapacity(ids.count + n)
        entries.reserveCapacity(entries.count + n)
    }

    mutating func add(_ r: PendingRecord, at position: UInt64) {
        ids[ByteKey(r.id)] = position
        for e in r.entityKeys { entities[e.index][Keys.entity(e.key), default: []].append(position) }
        entries.append(Entry(position: position, id: r.id, occurredAt: r.occurredAt, entityKeys: r.entityKeys))
    }

    func position(ofID id: [UInt8]) -> UInt64? { ids[ByteKey(id)] }

    func positions(entity index: Int, storedKey: [UInt8]) -> [UInt64] {
        entities[index][storedKey] ?? []
    }

    /// (occurred ms, position) of every entry in the tail.
    var times: [(ms: Int64, position: UInt64)] { entries[start...].map { ($0.occurredAt, $0.position) } }

    /// The oldest `limit` entries, to flush.
    func oldest(_ limit: Int) -> ArraySlice<Entry> { entries[start..<(start + min(limit, entries.count - start))] }

    /// Forgets the oldest `n` entries once they are in LMDB.
    mutating func dropOldest(_ n: Int) {
        let chunk = entries[start..<(start + n)]
        guard let last = chunk.last?.position else { return }
        for e in chunk {
            ids[ByteKey(e.id)] = nil
            for k in e.entityKeys {
                let key = Keys.entity(k.key)
                if var list = entities[k.index][key] {
                    let keep = list.drop { $0 <= last }
                    list = Array(keep)
                    entities[k.index][key] = list.isEmpty ? nil : list
                }
            }
        }
        start += n
        // Compact now and then so the array does not grow without bound.
        if start > 65_536 && start * 2 > entries.count {
            entries.removeFirst(start)
            start = 0
        }
    }
}

/// Bytes as a dictionary key, hashed in one call (the default hashes an array byte by byte).
struct ByteKey: Hashable, Sendable {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }
    static func == (a: ByteKey, b: ByteKey) -> Bool { a.bytes == b.bytes }
}
