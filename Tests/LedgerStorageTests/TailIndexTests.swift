@testable import LedgerStorage
import Testing

/// The in-memory tail across flushes and compactions: what is still in it is found, by id (even
/// when ids share a hash) and by entity (in position order); what was flushed is not returned as
/// in the tail by entity, and by id at most with its true position.
@Suite struct TailIndexTests {
    static func record(_ i: Int) -> PendingRecord {
        let id = Array("r\(i)".utf8)
        let keys = [EntityKey(index: 0, key: Array("call-\(i / 3)".utf8)), EntityKey(index: 1, key: Array("client-\(i % 1000)".utf8))]
        // Every 997th record shares its id hash with the one before it.
        let hash = i % 997 == 0 && i > 0 ? PendingRecord.hash(Array("r\(i - 1)".utf8)) : PendingRecord.hash(id)
        return PendingRecord(id: id, payload: [], occurredAt: Int64(i), entityKeys: keys, idHash: hash)
    }

    @Test func findsLiveEntriesAcrossFlushesAndCompactions() {
        var tail = TailIndex()
        let total = 300_000
        var added = 0
        var flushed = 0
        var generationKept = 0
        while flushed < total {
            // The writer runs ahead of the indexer by a varying amount.
            let burst = min(total - added, 20_000 + (flushed % 3) * 7_000)
            for _ in 0..<burst {
                added += 1
                tail.add(Self.record(added), at: UInt64(added))
            }
            let n = min(16_384, added - flushed)
            let predicted = tail.changesGeneration(dropping: n)
            let released = tail.dropOldest(n)
            #expect(predicted == !released.maps.isEmpty, "generation change predicted for a drop of \(n)")
            if !predicted { generationKept += 1 }
            flushed += n
            #expect(tail.count == added - flushed)
            for i in Set([flushed + 1, added, (flushed + added) / 2, flushed - 1, max(1, flushed - 40_000)]) where i >= 1 && i <= added {
                let r = Self.record(i)
                let p = tail.position(ofID: r.id, hash: r.idHash)
                if i > flushed { #expect(p == UInt64(i), "live r\(i)") } else { #expect(p == nil || p == UInt64(i), "flushed r\(i)") }
                let call = tail.positions(entity: 0, key: Array("call-\(i / 3)".utf8))
                let expected = (max(1, (i / 3) * 3)...((i / 3) * 3 + 2)).filter { $0 > flushed && $0 <= added }.map(UInt64.init)
                #expect(call == expected, "call of r\(i)")
                let client = tail.positions(entity: 1, key: Array("client-\(i % 1000)".utf8))
                #expect(client == Array(stride(from: i % 1000, through: added, by: 1000)).filter { $0 > flushed }.map(UInt64.init), "client of r\(i)")
            }
        }
        #expect(tail.isEmpty)
        #expect(generationKept > 0, "some drops should leave the maps' generation as it is")
    }

    /// The distinct keys of an entity index, kept up to date from call to call: always every key of
    /// the live entries, never a key that was not added, and after the maps change generation no
    /// key of a flushed entry only (the set stays bounded by the tail).
    @Test func entityKeysFollowAddsAndDrops() {
        func record(_ i: Int) -> PendingRecord {
            let keys = i % 5 == 0 ? [EntityKey(index: 2, key: Array("dept-\(i % 35 == 0 ? i : i % 7)".utf8))] : []
            return PendingRecord(id: Array("r\(i)".utf8), payload: [], occurredAt: Int64(i), entityKeys: keys,
                                 idHash: PendingRecord.hash(Array("r\(i)".utf8)))
        }
        func keys(_ range: Range<Int>) -> Set<[UInt8]> {
            Set(range.flatMap { record($0).entityKeys.filter { $0.index == 2 }.map(\.key) })
        }
        var tail = TailIndex()
        var added = 0, flushed = 0
        var generations = 0
        while added < 120_000 {
            for _ in 0..<(7_000 + added % 3_000) {
                added += 1
                tail.add(record(added), at: UInt64(added))
                if added % 2_500 == 0 {
                    let got = tail.keys(entity: 2)
                    #expect(keys((flushed + 1)..<(added + 1)).isSubset(of: got), "every live key, after r\(added)")
                    #expect(got.isSubset(of: keys(1..<(added + 1))))
                    #expect(tail.keys(entity: 0).isEmpty)
                }
            }
            let n = min(9_000, added - flushed)
            if !tail.dropOldest(n).maps.isEmpty {
                generations += 1
                flushed += n
                let got = tail.keys(entity: 2)
                #expect(got == keys((flushed + 1)..<(added + 1)), "after a generation change, exactly the live keys")
            } else {
                flushed += n
            }
        }
        #expect(generations > 2)
    }

    /// The flat hash map agrees with `Dictionary` through growth, overwrites and keys whose slots
    /// collide (keys that differ only in their high bits share a home slot before mixing).
    @Test func hashSlotsAgreeWithADictionary() {
        var slots = HashSlots(minimumCapacity: 4)
        var reference: [UInt64: UInt64] = [:]
        var rng = SystemRandomNumberGenerator()
        for i in 0..<50_000 {
            let key: UInt64 = i % 5 == 0 ? UInt64(i) << 40 : (i % 7 == 0 ? UInt64(i % 100) : rng.next())
            let value = UInt64(i + 1)
            #expect(slots.updateValue(value, forKey: key) == reference.updateValue(value, forKey: key))
        }
        #expect(slots.count == reference.count)
        for (k, v) in reference { #expect(slots[k] == v) }
        for _ in 0..<1000 {
            let k: UInt64 = rng.next()
            #expect(slots[k] == reference[k])
        }
        #expect(slots[0] == reference[0])
    }

    /// The rebuild writes facts in this order with append puts, which LMDB refuses out of order.
    @Test func keyOrderIsLMDBsOrder() {
        var rng = SystemRandomNumberGenerator()
        // Short keys over a small alphabet: many shared prefixes, prefixes of each other, repeats.
        let keys: [[UInt8]] = (0..<5000).map { _ in (0..<Int.random(in: 0...6, using: &rng)).map { _ in UInt8.random(in: 0...3, using: &rng) * 85 } }
        let reference = keys.indices.sorted { a, b in
            keys[a] == keys[b] ? a < b : keys[a].lexicographicallyPrecedes(keys[b])
        }
        #expect(KeyOrder.sortedIndices(keys) == reference)
        #expect(KeyOrder.sortedIndices([]) == [])
    }
}
