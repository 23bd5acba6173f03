import Foundation
import LedgerStorage
import Synchronization
import Testing

/// A schema for raw records: the payload's first byte is the entity key, content is the bytes.
struct RawSchema: RecordSchema {
    func sameContent(stored: [UInt8], new: [UInt8]) -> Bool { stored == new }
    func indexEntries(of payload: [UInt8]) throws -> PendingRecord {
        record(id: String(decoding: payload.dropFirst(), as: UTF8.self), entity: payload[0])
    }
}

func record(id: String, entity: UInt8, ms: Int64 = 0) -> PendingRecord {
    PendingRecord(id: Array(id.utf8), payload: [entity] + Array(id.utf8), occurredAt: ms,
                  entityKeys: [EntityKey(index: 0, key: [entity])])
}

@Suite struct LogStoreTests {
    let dir = NSTemporaryDirectory() + "call-ledger-tests/store-\(UUID().uuidString)"

    @Test func appendsGaplessAndIndexesEntities() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try LogStore(path: dir, schema: RawSchema(), configuration: .init(entityIndexes: ["e"]))
        let o = try await store.append([record(id: "a", entity: 1), record(id: "b", entity: 2), record(id: "c", entity: 1)])
        #expect(o.positions == [1, 2, 3])
        #expect(try store.positions(entity: 0, key: [1]) == [1, 3])
        #expect(try store.records(after: 1, limit: 10).map(\.position) == [2, 3])
        #expect(try store.records(after: .max, limit: 10).isEmpty)  // a reader's after= may be any UInt64
        #expect(try store.position(ofID: Array("b".utf8)) == 2)
        let dup = try await store.append([record(id: "b", entity: 2)])
        #expect(dup.duplicates == 1 && dup.positions == [2])
        await #expect(throws: StorageError.self) { try await store.append([record(id: "d", entity: 1), record(id: "b", entity: 9)]) }
        #expect(store.lastPosition == 3)
        #expect(try store.verify().isClean)
    }

    @Test func entityKeysLongerThanLMDBAllowsAreHashed() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try LogStore(path: dir, schema: RawSchema(), configuration: .init(entityIndexes: ["e"]))
        let long = [UInt8](repeating: 65, count: 2000)
        var r = record(id: "x", entity: 1)
        r.entityKeys = [EntityKey(index: 0, key: long)]
        _ = try await store.append([r])
        #expect(try store.positions(entity: 0, key: long) == [1])
    }

    /// A flush appends the rows that sort after everything an index holds (`MDB_APPEND`) and puts
    /// the others: flushes whose keys fall before, at and after the indexes' ends, and repeat keys,
    /// leave every index exact.
    @Test func flushesAppendPastTheEndAndPutTheRest() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        /// The payload carries the occurred time too (entity, ms high, ms low, id), so `verify`
        /// derives the same time entries the append made.
        struct Timed: RecordSchema {
            func sameContent(stored: [UInt8], new: [UInt8]) -> Bool { stored == new }
            func indexEntries(of payload: [UInt8]) throws -> PendingRecord {
                PendingRecord(id: Array(payload.dropFirst(3)), payload: payload, occurredAt: Int64(payload[1]) << 8 | Int64(payload[2]),
                              entityKeys: [EntityKey(index: 0, key: [payload[0]])])
            }
        }
        func rec(_ id: String, _ entity: UInt8, _ ms: Int64) -> PendingRecord {
            try! Timed().indexEntries(of: [entity, UInt8(ms >> 8), UInt8(ms & 255)] + Array(id.utf8))
        }
        let rounds: [[PendingRecord]] = [
            [rec("m1", 5, 100), rec("m2", 9, 101), rec("m3", 9, 102)],
            // Before, equal to and after each index's last key; a new key repeated.
            [rec("a1", 1, 50), rec("m4", 9, 103), rec("z1", 12, 200), rec("z2", 12, 201), rec("b1", 5, 99)],
            // All after: appended from the first row on (a new key, then repeats of it).
            [rec("zz1", 20, 300), rec("zz2", 20, 301), rec("zz3", 21, 302)],
        ]
        var all: [PendingRecord] = []
        for batch in rounds {
            let store = try LogStore(path: dir, schema: Timed(), configuration: .init(entityIndexes: ["e"]))
            _ = try await store.append(batch)
            store.close()  // a small tail: flushed into the LMDB indexes
            all += batch
        }
        let store = try LogStore(path: dir, schema: Timed(), configuration: .init(entityIndexes: ["e"]))
        defer { store.close() }
        #expect(store.unindexedCount == 0)
        #expect(try store.verify().isClean)
        for (k, r) in all.enumerated() {
            #expect(try store.position(ofID: r.id) == UInt64(k + 1))
        }
        for key: UInt8 in [1, 5, 9, 12, 20, 21] {
            let expected = all.indices.filter { all[$0].entityKeys[0].key == [key] }.map { UInt64($0 + 1) }
            #expect(try store.positions(entity: 0, key: [key]) == expected)
        }
        #expect(try store.positions(occurredFrom: 0, to: 1000).map(\.position) == all.indices.sorted { all[$0].occurredAt < all[$1].occurredAt }.map { UInt64($0 + 1) })
    }

    /// Indexes built under other rules are not trusted: a writable open with another `indexLayout`
    /// re-indexes the whole log by the schema's current rules; a read-only one indexes it in memory.
    @Test func indexesBuiltUnderAnotherLayoutAreRebuilt() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        /// The rules changed: entity keys are now the first byte plus 100.
        struct Shifted: RecordSchema {
            func sameContent(stored: [UInt8], new: [UInt8]) -> Bool { stored == new }
            func indexEntries(of payload: [UInt8]) throws -> PendingRecord {
                var r = try RawSchema().indexEntries(of: payload)
                r.entityKeys = [EntityKey(index: 0, key: [payload[0] + 100])]
                return r
            }
        }
        func configuration(_ layout: UInt64, readOnly: Bool = false) -> LogStoreConfiguration {
            var c = LogStoreConfiguration(entityIndexes: ["e"])
            c.indexLayout = layout
            c.readOnly = readOnly
            return c
        }
        // Each store is let go before the next opens: LMDB allows one open of an environment per process.
        do {
            let store = try LogStore(path: dir, schema: RawSchema(), configuration: configuration(1))
            _ = try await store.append([record(id: "a", entity: 1), record(id: "b", entity: 2), record(id: "c", entity: 1)])
            store.close()  // a small tail: flushed into the LMDB indexes
        }
        do {
            let store = try LogStore(path: dir, schema: Shifted(), configuration: configuration(1))
            #expect(try store.positions(entity: 0, key: [1]) == [1, 3])  // same layout: the stored indexes hold
            store.close()
        }
        do {
            let reader = try LogStore(path: dir, schema: Shifted(), configuration: configuration(2, readOnly: true))
            #expect(try reader.positions(entity: 0, key: [101]) == [1, 3] && reader.positions(entity: 0, key: [1]).isEmpty)
        }
        do {
            let store = try LogStore(path: dir, schema: Shifted(), configuration: configuration(2))
            #expect(try store.positions(entity: 0, key: [101]) == [1, 3] && store.positions(entity: 0, key: [1]).isEmpty)
            #expect(try store.position(ofID: Array("b".utf8)) == 2)
            store.close()
        }
        let store = try LogStore(path: dir, schema: Shifted(), configuration: configuration(2))
        #expect(store.indexedPosition == 3 && store.unindexedCount == 0)  // flushed under the new layout, kept
        #expect(try store.positions(entity: 0, key: [102]) == [2])
        #expect(try store.verify().isClean)
        store.close()
    }

    /// The commit observer is called through the same frames after many commits. It used to be
    /// kept as a bare closure in a `Mutex`, which wrapped it in two more thunks at every commit:
    /// a server's commits got slower the longer it ran. The depth is what grew, so it is what is
    /// compared (no timing).
    @Test func theCommitObserverDoesNotDeepenWithCommits() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try LogStore(path: dir, schema: RawSchema(), configuration: .init(entityIndexes: ["e"]))
        let depths = Mutex<[Int]>([])
        store.observeCommits { _ in
            let depth = Thread.callStackReturnAddresses.count
            depths.withLock { $0.append(depth) }
        }
        for k in 0..<200 { _ = try await store.append([record(id: "r\(k)", entity: 1)]) }
        // The observer runs after the appender is answered: the last call may still be on its way.
        for _ in 0..<200 where depths.withLock({ $0.count }) < 200 { try await Task.sleep(for: .milliseconds(10)) }
        let seen = depths.withLock { $0 }
        #expect(seen.count == 200)
        #expect(seen.first == seen.last, "observer called \(seen.first ?? 0) frames deep at the first commit, \(seen.last ?? 0) at the 200th")
    }

    @Test func aClosedStoreRefusesAppends() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try LogStore(path: dir, schema: RawSchema(), configuration: .init(entityIndexes: ["e"]))
        store.close()
        await #expect(throws: StorageError.self) { try await store.append([record(id: "a", entity: 1)]) }
    }

    @Test func aStreamedBatchIsStoredWholeWithBatchWidePositions() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try LogStore(path: dir, schema: RawSchema(), configuration: .init(entityIndexes: ["e"]))
        _ = try await store.append([record(id: "old", entity: 3)])
        let batch = try store.beginAppend()
        try batch.send([record(id: "a", entity: 1), record(id: "b", entity: 2)])
        // The same id again in a later part, same content: it reports the first one's position.
        try batch.send([record(id: "old", entity: 3), record(id: "c", entity: 1), record(id: "a", entity: 1)])
        // Another append meanwhile waits for the batch, then follows it.
        async let later = store.append([record(id: "d", entity: 1)])
        let o = try await batch.finish()
        #expect(o.positions == [2, 3, 1, 4, 2])
        #expect(o.appended == 3 && o.duplicates == 2)
        #expect(try await later.positions == [5])
        #expect(try store.positions(entity: 0, key: [1]) == [2, 4, 5])
        #expect(try store.position(ofID: Array("c".utf8)) == 4)
        #expect(try store.verify().isClean)
    }

    @Test func aStreamedBatchWithAConflictOrCancelledStoresNothing() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try LogStore(path: dir, schema: RawSchema(), configuration: .init(entityIndexes: ["e"]))
        _ = try await store.append([record(id: "x", entity: 1)])
        // A conflict in a later part, with a stored id.
        var batch = try store.beginAppend()
        try batch.send([record(id: "a", entity: 1)])
        try batch.send([record(id: "b", entity: 1), record(id: "x", entity: 9)])
        do {
            _ = try await batch.finish()
            Issue.record("a conflicting batch was stored")
        } catch let e as StorageError {
            #expect(e.code == .conflict && e.recordIndex == 2 && e.existingPosition == 1)
        }
        // A conflict inside the batch: the same id with other content in two parts.
        batch = try store.beginAppend()
        try batch.send([record(id: "c", entity: 1)])
        try batch.send([record(id: "c", entity: 2)])
        await #expect(throws: StorageError.self) { try await batch.finish() }
        // Cancelled, then finished anyway.
        batch = try store.beginAppend()
        try batch.send([record(id: "d", entity: 1)])
        batch.cancel()
        await #expect(throws: StorageError.self) { try await batch.finish() }
        // Dropped without finishing: cancelled, and the writer goes on with the next append.
        do {
            let dropped = try store.beginAppend()
            try dropped.send([record(id: "e", entity: 1)])
        }
        let o = try await store.append([record(id: "f", entity: 1)])
        #expect(o.positions == [2])
        #expect(store.lastPosition == 2)
        #expect(try store.position(ofID: Array("a".utf8)) == nil)
        #expect(try store.position(ofID: Array("e".utf8)) == nil)
        #expect(try store.verify().isClean)
        store.close()
    }

    @Test func lmdbErrorsMatchByName() {
        let e: any Error = LMDBError.mapFull
        switch e {
        case LMDBError.notFound: Issue.record("wrong match")
        case LMDBError.mapFull: break
        default: Issue.record("no match")
        }
        #expect(LMDBError.mapFull.message.contains("MDB_MAP_FULL"))
    }
}
