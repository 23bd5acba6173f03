/// A record handed to ``LogStore/append(_:)``: the caller's idempotency key, its encoded payload,
/// and the index entries the store keeps for it.
public struct PendingRecord: Sendable {
    /// The idempotency key (the event id's bytes), 1–400 bytes.
    public let id: [UInt8]
    /// The encoded record (opaque to the store).
    public var payload: [UInt8]
    /// Occurred time in milliseconds since the epoch, for the time index.
    public var occurredAt: Int64
    /// Entity index entries: (index number in ``LogStoreConfiguration/entityIndexes``, key bytes).
    public var entityKeys: [EntityKey]
    /// A 64-bit hash of `id`, computed by whoever builds the record (often on another core than the writer).
    let idHash: UInt64

    public init(id: [UInt8], payload: [UInt8], occurredAt: Int64, entityKeys: [EntityKey]) {
        self.idHash = Self.hash(id)
        self.id = id
        self.payload = payload
        self.occurredAt = occurredAt
        self.entityKeys = entityKeys
    }

    /// A record with a given id hash (tests: forcing collisions).
    init(id: [UInt8], payload: [UInt8], occurredAt: Int64, entityKeys: [EntityKey], idHash: UInt64) {
        self.idHash = idHash
        self.id = id
        self.payload = payload
        self.occurredAt = occurredAt
        self.entityKeys = entityKeys
    }

    /// FNV-1a, 64 bits: ids are short, and only equality behind the hash is trusted.
    static func hash(_ bytes: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}

/// One entry in an entity index: which index, and the entity's key bytes.
public struct EntityKey: Sendable, Hashable {
    public var index: Int
    public var key: [UInt8]
    public init(index: Int, key: [UInt8]) {
        self.index = index
        self.key = key
    }
}

/// A record read back: its position, the ledger's commit time, and the payload.
public struct StoredRecord: Sendable, Hashable {
    public var position: UInt64
    /// Milliseconds since the epoch at commit (non-decreasing along positions).
    public var recordedAt: Int64
    public var payload: [UInt8]
}

/// What an append did: the position of every record of the request, in request order.
public struct AppendOutcome: Sendable, Equatable {
    /// Per record: the position it was stored at, or the position of the record it duplicates.
    public var positions: [UInt64]
    /// How many records were new.
    public var appended: Int
    /// How many records were already stored with the same content (no-ops).
    public var duplicates: Int
    /// The ledger's commit time of the transaction (ms since the epoch).
    public var recordedAt: Int64
}

/// What the store needs to know about payloads it cannot interpret itself.
public protocol RecordSchema: Sendable {
    /// Whether a payload already stored under an id has the same content as a new one
    /// (an idempotent re-append), or differs (a conflict). Byte equality is checked first.
    func sameContent(stored: [UInt8], new: [UInt8]) -> Bool
    /// The record's id, occurred time and entity keys, recomputed from its payload (for `verify`).
    func indexEntries(of payload: [UInt8]) throws -> PendingRecord
}

/// Options of a ``LogStore``.
public struct LogStoreConfiguration: Sendable {
    /// Initial LMDB map size; doubled on `MDB_MAP_FULL`. Default 1 GiB.
    public var initialMapSize: Int = 1 << 30
    /// Read transactions kept open at once by this process.
    public var readerPoolSize: Int = 16
    /// LMDB reader table size (all processes).
    public var maxReaders: UInt32 = 126
    /// Names of the entity indexes (e.g. `["call", "client", "lead"]`); `EntityKey.index` refers to these.
    public var entityIndexes: [String] = []
    /// Upper bound of records merged into one write transaction (one request is never split).
    public var maxRecordsPerCommit = 100_000
    /// Unindexed records that trigger an index flush even while appends keep coming (the indexer
    /// also flushes whenever appends pause for 50 ms). Larger means fewer dirty index pages per event.
    public var indexFlushThreshold = 131_072
    /// Back-pressure: past this many unindexed records, the writer waits for the indexer before
    /// taking the next group (bounds the tail's memory, about 300 bytes a record, during bursts).
    public var maxUnindexedRecords = 1 << 20
    /// Open without writing (a second process reading a live ledger, e.g. `verify`).
    public var readOnly = false
    /// The version of the rules that turn records into index entries (``RecordSchema/indexEntries(of:)``).
    /// A writable open of indexes built under another version empties them, and the whole log is
    /// indexed again (in memory at once, flushed in the background); a read-only opener indexes
    /// the log in memory instead of trusting them.
    public var indexLayout: UInt64 = 1

    public init(entityIndexes: [String] = []) {
        self.entityIndexes = entityIndexes
    }
}

/// One group commit, as seen by ``LogStore/observeCommits(_:)``.
public struct CommitStats: Sendable {
    /// Append requests answered by the commit.
    public var requests: Int
    /// Records it stored (duplicates excluded).
    public var records: Int
    /// From taking the group to every caller answered: the write transaction, its fsync, and the hand-offs.
    public var duration: Duration
}
