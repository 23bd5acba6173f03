import CLMDB

/// A named database (DBI) opened once at start-up.
package struct Database: Sendable, Hashable {
    let dbi: MDB_dbi
}

/// A live LMDB transaction, valid only inside the closure it is passed to.
///
/// Never store it or return it: LMDB frees it when the closure ends. Values read through it are
/// copied out (`[UInt8]`) or handed to a closure as borrowed bytes that must not escape either.
package struct Transaction {
    let txn: OpaquePointer

    // MARK: Point access

    /// The value stored under `key`, copied, or `nil`.
    package func get(_ db: Database, _ key: [UInt8]) throws(LMDBError) -> [UInt8]? {
        try withValue(db, key) { Array($0) }
    }

    /// Calls `body` with the borrowed bytes stored under `key` (or returns `nil` when absent).
    package func withValue<R>(_ db: Database, _ key: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> R) throws(LMDBError) -> R? {
        // LMDB refuses an empty key (MDB_BAD_VALSIZE); none is ever stored, so it is simply absent
        // (`call ""`, `--department ""` printed the raw LMDB error).
        if key.isEmpty { return nil }
        var v = MDB_val()
        let rc: Int32 = key.withUnsafeBytes { kb in
            var k = MDB_val(mv_size: kb.count, mv_data: UnsafeMutableRawPointer(mutating: kb.baseAddress))
            return mdb_get(txn, db.dbi, &k, &v)
        }
        if rc == MDB_NOTFOUND { return nil }
        try check(rc)
        do {
            return try body(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
        } catch {
            throw error as? LMDBError ?? LMDBError(code: -1)
        }
    }

    /// Deletes every entry of `db` (the database itself stays open).
    package func clear(_ db: Database) throws(LMDBError) {
        try check(mdb_drop(txn, db.dbi, 0))
    }

    /// Stores `value` under `key`. `flags` are LMDB put flags (e.g. `MDB_APPEND`).
    package func put(_ db: Database, _ key: [UInt8], _ value: [UInt8], flags: Int32 = 0) throws(LMDBError) {
        let rc: Int32 = key.withUnsafeBytes { kb in
            value.withUnsafeBytes { vb in
                var k = MDB_val(mv_size: kb.count, mv_data: UnsafeMutableRawPointer(mutating: kb.baseAddress))
                var v = MDB_val(mv_size: vb.count, mv_data: UnsafeMutableRawPointer(mutating: vb.baseAddress))
                return mdb_put(txn, db.dbi, &k, &v, UInt32(bitPattern: flags))
            }
        }
        try check(rc)
    }

    /// Stores `value` under borrowed `key` bytes (keys laid side by side in one buffer).
    package func put(_ db: Database, _ key: UnsafeRawBufferPointer, _ value: [UInt8], flags: Int32 = 0) throws(LMDBError) {
        let rc: Int32 = value.withUnsafeBytes { vb in
            var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
            var v = MDB_val(mv_size: vb.count, mv_data: UnsafeMutableRawPointer(mutating: vb.baseAddress))
            return mdb_put(txn, db.dbi, &k, &v, UInt32(bitPattern: flags))
        }
        try check(rc)
    }

    /// Stores `count` bytes under the big-endian 8-byte key `position`, written in place by
    /// `fill` into the space LMDB reserves in the page: no key or value array is built per record.
    package func putReserved(_ db: Database, position: UInt64, count: Int, flags: Int32 = 0,
                             _ fill: (UnsafeMutableRawBufferPointer) -> Void) throws(LMDBError) {
        var key = position.bigEndian
        let rc: Int32 = withUnsafeMutableBytes(of: &key) { kb in
            var k = MDB_val(mv_size: 8, mv_data: kb.baseAddress)
            var v = MDB_val(mv_size: count, mv_data: nil)
            let rc = mdb_put(txn, db.dbi, &k, &v, UInt32(bitPattern: flags | MDB_RESERVE))
            if rc != 0 { return rc }
            fill(UnsafeMutableRawBufferPointer(start: v.mv_data, count: v.mv_size))
            return 0
        }
        try check(rc)
    }

    /// Removes `key` (all its values); returns whether it existed.
    package func delete(_ db: Database, _ key: [UInt8]) throws(LMDBError) -> Bool {
        let rc: Int32 = key.withUnsafeBytes { kb in
            var k = MDB_val(mv_size: kb.count, mv_data: UnsafeMutableRawPointer(mutating: kb.baseAddress))
            return mdb_del(txn, db.dbi, &k, nil)
        }
        if rc == MDB_NOTFOUND { return false }
        try check(rc)
        return true
    }

    /// Whether the exact (key, value) pair exists in a sorted-duplicates database.
    package func containsPair(_ db: Database, _ key: [UInt8], _ value: [UInt8]) throws(LMDBError) -> Bool {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(txn, db.dbi, &cursor))
        defer { mdb_cursor_close(cursor) }
        let rc: Int32 = key.withUnsafeBytes { kb in
            value.withUnsafeBytes { vb in
                var k = MDB_val(mv_size: kb.count, mv_data: UnsafeMutableRawPointer(mutating: kb.baseAddress))
                var v = MDB_val(mv_size: vb.count, mv_data: UnsafeMutableRawPointer(mutating: vb.baseAddress))
                return mdb_cursor_get(cursor, &k, &v, MDB_GET_BOTH)
            }
        }
        if rc == MDB_NOTFOUND { return false }
        try check(rc)
        return true
    }

    /// The number of entries (duplicates included) in `db`.
    package func count(_ db: Database) throws(LMDBError) -> Int {
        var st = MDB_stat()
        try check(mdb_stat(txn, db.dbi, &st))
        return st.ms_entries
    }

    // MARK: Cursors

    /// Walks `db` in key order from the first key ≥ `start` (or the first key; an empty `start`,
    /// which LMDB refuses as a key, is before every key), calling `body` with borrowed key and
    /// value bytes until it returns `false`.
    package func scan(_ db: Database, from start: [UInt8]?,
                      _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(txn, db.dbi, &cursor))
        defer { mdb_cursor_close(cursor) }
        var k = MDB_val()
        var v = MDB_val()
        var rc: Int32
        if let start, !start.isEmpty {
            rc = start.withUnsafeBytes { kb in
                k = MDB_val(mv_size: kb.count, mv_data: UnsafeMutableRawPointer(mutating: kb.baseAddress))
                return mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE)
            }
        } else {
            rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST)
        }
        while rc == 0 {
            let goOn = try body(UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size),
                                UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
            if !goOn { return }
            rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)
        }
        if rc != MDB_NOTFOUND { try check(rc) }
    }

    /// ``scan(_:from:_:)`` with keys and values as spans of the map (valid only inside `body`).
    package func scanSpans(_ db: Database, from start: [UInt8]?,
                           _ body: (Span<UInt8>, Span<UInt8>) throws -> Bool) throws {
        try scan(db, from: start) { k, v in
            try body(k.assumingMemoryBound(to: UInt8.self).span, v.assumingMemoryBound(to: UInt8.self).span)
        }
    }

    /// Calls `body` with each distinct key of a sorted-duplicates database, in key order.
    package func distinctKeys(_ db: Database, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(txn, db.dbi, &cursor))
        defer { mdb_cursor_close(cursor) }
        var k = MDB_val()
        var v = MDB_val()
        var rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST)
        while rc == 0 {
            try body(UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size))
            rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT_NODUP)
        }
        if rc != MDB_NOTFOUND { try check(rc) }
    }

    /// Calls `body` with every duplicate value stored under `key` in a sorted-duplicates database.
    package func duplicates(_ db: Database, _ key: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        if key.isEmpty { return }  // never stored (see `withValue`)
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(txn, db.dbi, &cursor))
        defer { mdb_cursor_close(cursor) }
        var v = MDB_val()
        var rc: Int32 = key.withUnsafeBytes { kb in
            var k = MDB_val(mv_size: kb.count, mv_data: UnsafeMutableRawPointer(mutating: kb.baseAddress))
            return mdb_cursor_get(cursor, &k, &v, MDB_SET_KEY)
        }
        var k = MDB_val()
        while rc == 0 {
            try body(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
            rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT_DUP)
        }
        if rc != MDB_NOTFOUND { try check(rc) }
    }

    /// The last (key, value) of `db`, copied, or `nil` when empty.
    package func last(_ db: Database) throws(LMDBError) -> (key: [UInt8], value: [UInt8])? {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(txn, db.dbi, &cursor))
        defer { mdb_cursor_close(cursor) }
        var k = MDB_val()
        var v = MDB_val()
        let rc = mdb_cursor_get(cursor, &k, &v, MDB_LAST)
        if rc == MDB_NOTFOUND { return nil }
        try check(rc)
        return (Array(UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size)),
                Array(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)))
    }
}
