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
        var idHash: UInt64
        var occurredAt: Int64
        var entityKeys: [EntityKey]
        /// Index of this entry's first link in `links` (absolute: minus `linkBase` for the array index).
        var firstLink: Int
    }

    /// Per entity key of an entry: the hash of (index, stored key), and the position of the
    /// previous tail entry with the same hash (0: none). Chains replace per-key position arrays,
    /// so adding a record allocates nothing per entity.
    struct Link: Sendable {
        var hash: UInt64
        var previous: UInt64
    }

    /// Entries in position order; `start` is the first not yet flushed.
    private var entries: [Entry] = []
    private var start = 0
    private var links: [Link] = []
    private var linkBase = 0
    /// Incremented whenever flushed entries are dropped (see `LogStore.storedPosition`).
    private(set) var generation = 0
    /// id hash → position. An id whose hash is taken by another id goes to `idCollisions`.
    private var ids: [UInt64: UInt64] = [:]
    private var idCollisions: [ByteKey: UInt64] = [:]
    /// Entity hash → position of the newest entry with that hash (the head of its chain).
    private var heads: [UInt64: UInt64] = [:]

    var count: Int { entries.count - start }
    var isEmpty: Bool { count == 0 }

    /// The live entry at `position`, if it is in the tail.
    private func entry(at position: UInt64) -> Entry? {
        guard start < entries.count else { return nil }
        let first = entries[start].position
        guard position >= first, position - first < UInt64(entries.count - start) else { return nil }
        return entries[start + Int(position - first)]
    }

    /// Adds a record committed at `position` (one past the last entry's position).
    mutating func add(_ r: PendingRecord, at position: UInt64) {
        if let other = ids[r.idHash], let e = entry(at: other), e.id != r.id {
            idCollisions[ByteKey(r.id)] = position
        } else {
            ids[r.idHash] = position
        }
        let firstLink = linkBase + links.count
        for k in r.entityKeys {
            let h = Self.entityHash(k.index, k.key)
            links.append(Link(hash: h, previous: heads.updateValue(position, forKey: h) ?? 0))
        }
        entries.append(Entry(position: position, id: r.id, idHash: r.idHash, occurredAt: r.occurredAt,
                             entityKeys: r.entityKeys, firstLink: firstLink))
    }

    func position(ofID id: [UInt8], hash: UInt64) -> UInt64? {
        if let p = ids[hash], let e = entry(at: p), e.id == id { return p }
        return idCollisions.isEmpty ? nil : idCollisions[ByteKey(id)]
    }

    /// Positions indexed under (`index`, raw `key`), ascending. May include records of another
    /// key with the same 64-bit hash: callers re-check the entity of what they read.
    func positions(entity index: Int, key: [UInt8]) -> [UInt64] {
        let h = Self.entityHash(index, key)
        var out: [UInt64] = []
        var p = heads[h] ?? 0
        while p != 0, let e = entry(at: p) {
            out.append(p)
            var next: UInt64 = 0
            for k in 0..<e.entityKeys.count where links[e.firstLink - linkBase + k].hash == h {
                next = links[e.firstLink - linkBase + k].previous
                break
            }
            p = next
        }
        return out.reversed()
    }

    /// The raw keys of entity index `index` among the entries in the tail.
    func keys(entity index: Int) -> Set<[UInt8]> {
        var out = Set<[UInt8]>()
        for i in start..<entries.count {
            for k in entries[i].entityKeys where k.index == index { out.insert(k.key) }
        }
        return out
    }

    /// (occurred ms, position) of every entry in the tail.
    var times: [(ms: Int64, position: UInt64)] { entries[start...].map { ($0.occurredAt, $0.position) } }

    /// The oldest `limit` entries, to flush.
    func oldest(_ limit: Int) -> ArraySlice<Entry> { entries[start..<(start + min(limit, entries.count - start))] }

    /// Forgets the oldest `n` entries once they are in LMDB.
    ///
    /// Lazily: the maps keep pointing at positions below `start`, which every look-up already
    /// treats as absent (`entry(at:)`), until the next compaction rebuilds them from the live
    /// entries. Removing each entry's keys one by one, under the lock the writer waits on, was a
    /// quarter of the indexer's time.
    mutating func dropOldest(_ n: Int) {
        guard n > 0 else { return }
        start += n
        generation += 1
        // Compact now and then so the arrays and maps do not grow without bound.
        if start > 65_536 && start * 2 > entries.count {
            let firstLink = start < entries.count ? entries[start].firstLink : linkBase + links.count
            links.removeFirst(firstLink - linkBase)
            linkBase = firstLink
            entries.removeFirst(start)
            start = 0
            rebuildMaps()
        }
    }

    /// The id and entity maps of the live entries only (after a compaction).
    private mutating func rebuildMaps() {
        var ids = [UInt64: UInt64](minimumCapacity: entries.count)
        var collisions: [ByteKey: UInt64] = [:]
        var heads = [UInt64: UInt64](minimumCapacity: entries.count)
        for i in entries.indices {
            let p = entries[i].position
            if let other = ids.updateValue(p, forKey: entries[i].idHash), entries[Int(other - entries[0].position)].id != entries[i].id {
                ids[entries[i].idHash] = other
                collisions[ByteKey(entries[i].id)] = p
            }
            for k in 0..<entries[i].entityKeys.count { heads[links[entries[i].firstLink - linkBase + k].hash] = p }
        }
        self.ids = ids
        idCollisions = collisions
        self.heads = heads
    }

    /// FNV-1a over the entity index number and the key's bytes.
    static func entityHash(_ index: Int, _ key: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(truncatingIfNeeded: index)
        h = h &* 0x100_0000_01b3
        for b in key { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}

/// Bytes as a dictionary key, hashed in one call (the default hashes an array byte by byte).
struct ByteKey: Hashable, Sendable {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }
    static func == (a: ByteKey, b: ByteKey) -> Bool { a.bytes == b.bytes }
}
