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
        /// Index of this entry's first link in its segment's `links`.
        var firstLink: Int
    }

    /// Per entity key of an entry: the hash of (index, stored key), and the position of the
    /// previous tail entry with the same hash (0: none). Chains replace per-key position arrays,
    /// so adding a record allocates nothing per entity.
    struct Link: Sendable {
        var hash: UInt64
        var previous: UInt64
    }

    /// `segmentSize` consecutive entries and their links. Segments are never moved or merged: a
    /// flush borrows the full ones without copying entries, and a flushed segment is dropped whole.
    struct Segment: Sendable {
        var entries: [Entry] = []
        var links: [Link] = []
    }

    /// What ``dropOldest(_:)`` removed: let it go after the lock is released, since freeing
    /// 100 k entries' arrays is milliseconds the writer would otherwise wait on.
    struct Released: Sendable {
        var segments: [Segment] = []
        var maps: [HashSlots] = []
    }

    static let segmentSize = 8192

    private var segments: [Segment] = []
    /// The position of `segments[0].entries[0]`.
    private var base: UInt64 = 0
    /// Entries before this offset (from `base`) are flushed.
    private var start = 0
    /// Entries in `segments`, flushed ones included.
    private var total = 0
    /// Incremented whenever flushed entries are dropped (see `LogStore.storedPosition`).
    private(set) var generation = 0
    /// id hash → position, in two generations: `ids` holds the records added since position
    /// `mapsFrom`, `olderIDs` those before it. When everything before `mapsFrom` is flushed the
    /// older maps are dropped whole and the current ones become the older: the maps stay bounded
    /// without being rebuilt or pruned key by key (both were milliseconds under the lock).
    /// An id whose hash is taken by another live id goes to `idCollisions`.
    private var ids = HashSlots()
    private var olderIDs = HashSlots()
    private var idCollisions: [ByteKey: UInt64] = [:]
    /// Entity hash → position of the newest entry with that hash (the head of its chain), in the
    /// same two generations.
    private var heads = HashSlots()
    private var olderHeads = HashSlots()
    private var mapsFrom: UInt64 = 0

    /// Per entity index asked for by ``keys(entity:)``: the keys of the entries through position
    /// `through`. Emptied when the maps change generation, so it stays bounded by the tail.
    private var keyCache: [Int: (through: UInt64, keys: Set<[UInt8]>)] = [:]

    /// The last position whose entries were added (0: none yet); see ``startAfter(_:)``.
    private(set) var end: UInt64 = 0

    /// Records up to `position` are already indexed in LMDB: the next one added follows it.
    mutating func startAfter(_ position: UInt64) { end = max(end, position) }

    var count: Int { total - start }
    var isEmpty: Bool { count == 0 }

    /// (segment, index) of the live entry at `position`, if it is in the tail.
    @inline(__always) private func locate(_ position: UInt64) -> (Int, Int)? {
        guard position >= base &+ UInt64(start), position < base &+ UInt64(total) else { return nil }
        let offset = Int(position - base)
        return (offset / Self.segmentSize, offset % Self.segmentSize)
    }

    private func entry(at position: UInt64) -> Entry? {
        locate(position).map { segments[$0.0].entries[$0.1] }
    }

    @inline(__always) private func idPosition(_ hash: UInt64) -> UInt64? { ids[hash] ?? olderIDs[hash] }

    /// Adds a record committed at `position` (one past the last entry's position). A position
    /// already added is skipped: a refresh from disk may have read this process's own commit
    /// before the writer added it.
    mutating func add(_ r: PendingRecord, at position: UInt64) {
        guard position > end else { return }
        end = position
        if segments.isEmpty {
            base = position
            mapsFrom = position
        }
        precondition(position == base &+ UInt64(total), "tail entries must be added in position order")
        if total % Self.segmentSize == 0 {
            var s = Segment()
            s.entries.reserveCapacity(Self.segmentSize)
            s.links.reserveCapacity(2 * Self.segmentSize)
            segments.append(s)
        }
        if let other = idPosition(r.idHash), let e = entry(at: other), e.id != r.id {
            idCollisions[ByteKey(r.id)] = position
        } else {
            ids.updateValue(position, forKey: r.idHash)
        }
        let last = segments.count - 1
        let firstLink = segments[last].links.count
        for k in r.entityKeys {
            let h = Self.entityHash(k.index, k.key)
            let previous = heads.updateValue(position, forKey: h) ?? olderHeads[h] ?? 0
            segments[last].links.append(Link(hash: h, previous: previous))
        }
        segments[last].entries.append(Entry(position: position, id: r.id, idHash: r.idHash, occurredAt: r.occurredAt,
                                            entityKeys: r.entityKeys, firstLink: firstLink))
        total += 1
    }

    func position(ofID id: [UInt8], hash: UInt64) -> UInt64? {
        if let p = idPosition(hash), let e = entry(at: p), e.id == id { return p }
        return idCollisions.isEmpty ? nil : idCollisions[ByteKey(id)].flatMap { locate($0) == nil ? nil : $0 }
    }

    /// Positions indexed under (`index`, raw `key`), ascending. May include records of another
    /// key with the same 64-bit hash: callers re-check the entity of what they read.
    func positions(entity index: Int, key: [UInt8]) -> [UInt64] {
        let h = Self.entityHash(index, key)
        var out: [UInt64] = []
        var p = heads[h] ?? olderHeads[h] ?? 0
        while p != 0, let (s, i) = locate(p) {
            out.append(p)
            let e = segments[s].entries[i]
            var next: UInt64 = 0
            for k in 0..<e.entityKeys.count where segments[s].links[e.firstLink + k].hash == h {
                next = segments[s].links[e.firstLink + k].previous
                break
            }
            p = next
        }
        return out.reversed()
    }

    /// Calls `body` with every live entry, oldest first.
    private func forEachLive(_ body: (Entry) -> Void) {
        var offset = start
        while offset < total {
            body(segments[offset / Self.segmentSize].entries[offset % Self.segmentSize])
            offset += 1
        }
    }

    /// The raw keys of entity index `index` among the entries in the tail, and possibly of
    /// entries flushed since the maps last changed generation (those are in LMDB too, so a caller
    /// that adds LMDB's keys gets the same set).
    ///
    /// Kept per index and brought up to date from where the last call stopped: a scan of the whole
    /// tail (100 k+ entries) for every call was half of a live panel's time, three times per pass.
    mutating func keys(entity index: Int) -> Set<[UInt8]> {
        var cached = keyCache.removeValue(forKey: index) ?? (through: 0, keys: [])
        var p = max(cached.through &+ 1, base &+ UInt64(start))
        while let (s, i) = locate(p) {
            for k in segments[s].entries[i].entityKeys where k.index == index { cached.keys.insert(k.key) }
            p += 1
        }
        cached.through = max(cached.through, end)
        keyCache[index] = cached
        return cached.keys
    }

    /// (occurred ms, position) of every entry in the tail.
    var times: [(ms: Int64, position: UInt64)] {
        var out: [(ms: Int64, position: UInt64)] = []
        out.reserveCapacity(count)
        forEachLive { out.append(($0.occurredAt, $0.position)) }
        return out
    }

    /// The oldest `limit` entries, to flush, as slices of the segments: taking them copies no
    /// entry (a copy of 100 k entries, under the lock the writer waits on, took ~10 ms).
    func oldest(_ limit: Int) -> [ArraySlice<Entry>] {
        var out: [ArraySlice<Entry>] = []
        var offset = start
        let end = start + min(limit, count)
        while offset < end {
            let s = offset / Self.segmentSize, i = offset % Self.segmentSize
            let n = min(Self.segmentSize - i, end - offset)
            out.append(segments[s].entries[i..<(i + n)])
            offset += n
        }
        return out
    }

    /// Whether ``dropOldest(_:fresh:)`` of `n` entries will drop the older maps (everything they
    /// point to flushed) and so needs fresh ones.
    func changesGeneration(dropping n: Int) -> Bool {
        n > 0 && mapsFrom <= base &+ UInt64(start + min(n, count))
    }

    /// Forgets the oldest `n` entries once they are in LMDB, and returns the storage it let go
    /// (release it outside the lock).
    ///
    /// Flushed entries stay in their segment until the whole segment is flushed; every look-up
    /// already treats positions before `start` as absent. `fresh` are empty id and entity maps,
    /// allocated by the caller before it took the lock, for when the maps change generation.
    mutating func dropOldest(_ n: Int, fresh: (ids: HashSlots, heads: HashSlots)? = nil) -> Released {
        var released = Released()
        guard n > 0 else { return released }
        start += min(n, count)
        generation += 1
        let whole = min(start / Self.segmentSize, total / Self.segmentSize)
        if whole > 0 {
            released.segments = Array(segments[..<whole])
            segments.removeFirst(whole)
            base += UInt64(whole * Self.segmentSize)
            start -= whole * Self.segmentSize
            total -= whole * Self.segmentSize
        }
        // Everything the older maps point to is flushed: drop them, the current ones become the older.
        let firstLive = base &+ UInt64(start)
        if mapsFrom <= firstLive {  // the test of changesGeneration(dropping:)
            released.maps = [olderIDs, olderHeads]
            olderIDs = ids
            olderHeads = heads
            ids = fresh?.ids ?? HashSlots(minimumCapacity: olderIDs.count)
            heads = fresh?.heads ?? HashSlots(minimumCapacity: olderHeads.count)
            mapsFrom = base &+ UInt64(total)
            if !idCollisions.isEmpty { idCollisions = idCollisions.filter { $0.value >= firstLive } }
            keyCache.removeAll()
        }
        return released
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
