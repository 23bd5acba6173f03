/// A problem `verify` found, with the position it concerns when there is one.
public struct VerifyProblem: Sendable, Hashable, Codable, CustomStringConvertible {
    public var position: UInt64?
    public var message: String
    public var description: String { position.map { "position \($0): \(message)" } ?? message }

    public init(position: UInt64?, message: String) {
        self.position = position
        self.message = message
    }
}

/// The result of walking the whole log.
public struct VerifyReport: Sendable, Codable {
    public var records: Int
    public var lastPosition: UInt64
    /// The last position the LMDB indexes cover (later records are indexed in memory, behind the log).
    public var indexedThrough: UInt64
    public var problems: [VerifyProblem]
    public var isClean: Bool { problems.isEmpty }

    public init(records: Int, lastPosition: UInt64, indexedThrough: UInt64, problems: [VerifyProblem]) {
        self.records = records
        self.lastPosition = lastPosition
        self.indexedThrough = indexedThrough
        self.problems = problems
    }
}

extension LogStore {
    /// Walks the whole log in pages of short read transactions: every record's checksum, gapless
    /// positions from 1, non-decreasing `recorded_at`; and up to the `indexed` checkpoint, every
    /// index entry a record implies and no index entry that no record implies.
    ///
    /// - Parameter progress: called after each page with (records checked, records to check).
    public func verify(progress: ((UInt64, UInt64) -> Void)? = nil) throws -> VerifyReport {
        let target = lastPosition
        let indexed = min(indexedPosition, target)
        var problems: [VerifyProblem] = []
        var expected: UInt64 = 1
        var lastRecordedAt = Int64.min
        var checked = 0
        var entityCounts = [Int](repeating: 0, count: entities.count)
        // Entity entries of records past the starting checkpoint: a flush may index them while we walk.
        var laterEntityCounts: [UInt64: [Int]] = [:]
        var unreadable = 0
        let page = 8192
        func problem(_ p: UInt64?, _ m: String) {
            if problems.count < 10_000 { problems.append(VerifyProblem(position: p, message: m)) }
        }
        var done = false
        while !done {
            let startKey = Keys.position(expected)
            try env.read { txn in
                var n = 0
                try txn.scan(log, from: startKey) { k, v in
                    guard k.count == 8 else {
                        // The tree's pages are damaged: what LMDB reads past here has no order to
                        // trust (a damaged page header made one walk read 10,000 such keys).
                        problem(expected, "the log's B-tree is damaged after position \(expected - 1) (a key of \(k.count) bytes, expected 8): "
                                + "the records from here on cannot be read in order; restore the ledger from a backup")
                        done = true
                        return false
                    }
                    let p = Keys.readUInt64(k)
                    if p > target { done = true; return false }
                    if p != expected { problem(p, "gap: positions \(expected)…\(p - 1) are missing") }
                    expected = p + 1
                    checked += 1
                    n += 1
                    let record: (recordedAt: Int64, payload: [UInt8])
                    do { record = try RecordFormat.open(v, position: p) } catch {
                        unreadable += 1
                        problem(p, "\(error)")
                        return n < page
                    }
                    if record.recordedAt < lastRecordedAt { problem(p, "recorded_at goes backwards") }
                    lastRecordedAt = record.recordedAt
                    let entries: PendingRecord
                    guard p <= indexed else {
                        // Indexed in memory when we started: decodable is all we can ask here.
                        do {
                            let later = try schema.indexEntries(of: record.payload)
                            var counts = [Int](repeating: 0, count: entities.count)
                            for e in later.entityKeys { counts[e.index] += 1 }
                            laterEntityCounts[p] = counts
                        } catch { problem(p, "payload cannot be decoded: \(error)") }
                        return n < page
                    }
                    do { entries = try schema.indexEntries(of: record.payload) } catch {
                        unreadable += 1
                        problem(p, "payload cannot be decoded: \(error)")
                        return n < page
                    }
                    let posKey = Keys.position(p)
                    try indexEnv.read { txn in
                    if let idPos = try txn.get(ids, entries.id) {
                        if idPos != posKey { problem(p, "id index points to position \(Keys.readUInt64(idPos)) instead") }
                    } else {
                        problem(p, "id missing from the id index")
                    }
                    if try txn.get(time, Keys.time(entries.occurredAt, p)) == nil { problem(p, "missing from the time index") }
                    for e in entries.entityKeys {
                        entityCounts[e.index] += 1
                        if try !txn.containsPair(entities[e.index], Keys.entity(e.key), posKey) {
                            problem(p, "missing from the \(configuration.entityIndexes[e.index]) index")
                        }
                    }
                    }
                    return n < page
                }
                if n == 0 { done = true }
            }
            progress?(UInt64(checked), target)
        }
        if expected <= target { problem(expected, "records \(expected)…\(target) are missing") }
        // Entries no record implies: the forward walk found every implied entry, so a count above
        // the implied count means stale entries.
        try indexEnv.read { txn in
            // The checkpoint and the counts from one snapshot (the writer may have flushed meanwhile).
            let indexedNow = min(try txn.get(meta, Array("indexed".utf8)).map { Keys.readUInt64($0) } ?? 0, target)
            let indexedRecords = Int(indexedNow)
            for (p, counts) in laterEntityCounts where p <= indexedNow {
                for k in counts.indices { entityCounts[k] += counts[k] }
            }
            let idCount = try txn.count(ids)
            if idCount != indexedRecords { problem(nil, "id index has \(idCount) entries for \(indexedRecords) indexed records") }
            let timeCount = try txn.count(time)
            if timeCount != indexedRecords { problem(nil, "time index has \(timeCount) entries for \(indexedRecords) indexed records") }
            // An unreadable record's entity entries are unknown: counts can only be compared without one.
            for (k, db) in entities.enumerated() where unreadable == 0 {
                let c = try txn.count(db)
                if c != entityCounts[k] {
                    problem(nil, "\(configuration.entityIndexes[k]) index has \(c) entries, records imply \(entityCounts[k])")
                }
            }
        }
        return VerifyReport(records: checked, lastPosition: target, indexedThrough: indexed, problems: problems)
    }
}
