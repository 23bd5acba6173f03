/// Index entries of the records committed after the last index flush, held in memory.
///
/// The durable append writes only log records; the id, time and entity indexes follow behind
/// the log and are flushed to LMDB in large sorted batches (few dirty pages per event). Until
/// then they live here, and every indexed read merges this with LMDB. After a crash it is
/// rebuilt from the log records after the `indexed` checkpoint: the log alone is the truth.
struct TailIndex: Sendable {
    /// id → position (the keys are the records' own id arrays: no copies).
    private(set) var ids: [[UInt8]: UInt64] = [:]
    /// (occurred ms, position), in position order.
    private(set) var time: [(ms: Int64, position: UInt64)] = []
    /// Per entity index: stored key (see ``Keys/entity(_:)``) → positions, ascending.
    private(set) var entities: [[[UInt8]: [UInt64]]]
    /// The highest position held (0 when empty).
    private(set) var last: UInt64 = 0

    init(entityIndexes: Int) {
        entities = Array(repeating: [:], count: entityIndexes)
    }

    var count: Int { time.count }
    var isEmpty: Bool { time.isEmpty }

    mutating func reserve(_ n: Int) {
        ids.reserveCapacity(ids.count + n)
        time.reserveCapacity(time.count + n)
    }

    mutating func add(_ r: PendingRecord, at position: UInt64) {
        ids[r.id] = position
        time.append((r.occurredAt, position))
        for e in r.entityKeys { entities[e.index][Keys.entity(e.key), default: []].append(position) }
        last = max(last, position)
    }

    func position(ofID id: [UInt8]) -> UInt64? { ids[id] }

    func positions(entity index: Int, storedKey: [UInt8]) -> [UInt64] {
        entities[index][storedKey] ?? []
    }

}
