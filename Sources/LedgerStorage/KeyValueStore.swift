import CLMDB
import Foundation

/// A small LMDB environment of named key-value databases: where projections keep their state.
///
/// ```swift
/// let kv = try KeyValueStore(path: dir, databases: ["facts", "meta"])
/// try kv.write { w in try w.put("meta", key: Array("checkpoint".utf8), value: bytes) }
/// let v = try kv.read { r in try r.get("meta", key: Array("checkpoint".utf8)) }
/// ```
///
/// Writes are serialised by LMDB's writer lock; each `write` body is synchronous and may be run
/// again from the start when the map had to grow, so it must not have side effects outside
/// the transaction.
public final class KeyValueStore: Sendable {
    let env: Environment
    let databases: [String: Database]
    public let path: String

    /// Opens or creates the environment in directory `path` with the given named databases.
    /// `derived`: the contents can be recomputed (read models), so a commit syncs the data once and
    /// not the meta page (`MDB_NOMETASYNC`): after a system crash the last commit may be undone,
    /// never half applied.
    public init(path: String, databases names: [String], initialMapSize: Int = 64 << 20, readOnly: Bool = false,
                derived: Bool = false) throws {
        var c = EnvironmentConfiguration()
        c.noMetaSync = derived
        c.mapSize = initialMapSize
        c.maxDatabases = UInt32(names.count + 2)
        c.readOnly = readOnly
        c.readerPoolSize = 8
        let env = try Environment(path: path, configuration: c)
        var dbs: [String: Database] = [:]
        for n in names { dbs[n] = try env.openDatabase(n) }
        self.env = env
        self.databases = dbs
        self.path = path
    }

    func db(_ name: String) throws -> Database {
        guard let d = databases[name] else {
            throw StorageError(.invalidArgument, "no database named \(name) in \(path)")
        }
        return d
    }

    /// Runs `body` in a read-only snapshot.
    public func read<R>(_ body: (KeyValueReader) throws -> R) throws -> R {
        try env.read { txn in try body(KeyValueReader(store: self, txn: txn)) }
    }

    /// Runs `body` in one write transaction and commits it durably; a throw aborts everything.
    public func write<R>(_ body: (KeyValueWriter) throws -> R) throws -> R {
        while true {
            do {
                return try env.writeTransaction { txn in try body(KeyValueWriter(store: self, txn: txn)) }
            } catch LMDBError.mapFull {
                try env.growMap(to: env.mapSize * 2)
            }
        }
    }

    /// Map and reader figures.
    public func info() -> EnvironmentInfo { env.info() }
}

/// Read access inside ``KeyValueStore/read(_:)`` or ``KeyValueStore/write(_:)``. Do not keep it.
public struct KeyValueReader {
    let store: KeyValueStore
    let txn: Transaction

    /// The value under `key`, copied.
    public func get(_ db: String, key: [UInt8]) throws -> [UInt8]? {
        try txn.get(store.db(db), key)
    }

    /// Key-ordered walk from the first key ≥ `start` while `body` returns `true`; keys and values copied.
    public func scan(_ db: String, from start: [UInt8]? = nil, _ body: ([UInt8], [UInt8]) throws -> Bool) throws {
        try txn.scan(store.db(db), from: start) { k, v in try body(Array(k), Array(v)) }
    }

    /// Key-ordered walk like ``scan(_:from:_:)``, with keys and values in place (no copies):
    /// the spans are valid only inside `body`.
    public func scanInPlace(_ db: String, from start: [UInt8]? = nil, _ body: (Span<UInt8>, Span<UInt8>) throws -> Bool) throws {
        try txn.scanSpans(store.db(db), from: start, body)
    }

    /// Every entry whose key starts with `prefix`, in key order.
    public func entries(_ db: String, prefix: [UInt8]) throws -> [(key: [UInt8], value: [UInt8])] {
        var out: [(key: [UInt8], value: [UInt8])] = []
        try txn.scan(store.db(db), from: prefix) { k, v in
            guard k.count >= prefix.count, k.prefix(prefix.count).elementsEqual(prefix) else { return false }
            out.append((Array(k), Array(v)))
            return true
        }
        return out
    }

    /// Number of entries in `db`.
    public func count(_ db: String) throws -> Int { try txn.count(store.db(db)) }
}

/// Write access inside ``KeyValueStore/write(_:)``. Do not keep it.
public struct KeyValueWriter {
    let store: KeyValueStore
    let txn: Transaction

    /// Reads see this transaction's own writes.
    public var reader: KeyValueReader { KeyValueReader(store: store, txn: txn) }

    public func get(_ db: String, key: [UInt8]) throws -> [UInt8]? { try reader.get(db, key: key) }

    /// Stores `value` under `key`. `append: true` asserts the key sorts after every key in `db`
    /// (fast bulk loads; fails with `LMDBError.keyExists` otherwise).
    public func put(_ db: String, key: [UInt8], value: [UInt8], append: Bool = false) throws {
        try txn.put(store.db(db), key, value, flags: append ? MDB_APPEND : 0)
    }

    /// Removes `key`; returns whether it was there.
    @discardableResult
    public func delete(_ db: String, key: [UInt8]) throws -> Bool {
        try txn.delete(store.db(db), key)
    }
}
