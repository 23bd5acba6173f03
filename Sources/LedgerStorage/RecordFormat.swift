/// The stored value of one log record: a small header, then the caller's payload.
///
/// `u8 format (1) | u32 CRC-32C, little-endian, of everything after it | i64 recorded_at (ms since
/// the epoch, big-endian) | payload`. The checksum covers `recorded_at` too, so `verify` catches a
/// flipped bit anywhere in the record.
enum RecordFormat {
    static let version: UInt8 = 1
    static let headerSize = 13

    /// Writes the record (header, then `payload`) at `position` in the log database, straight
    /// into the page LMDB reserves for it.
    static func put(_ txn: Transaction, _ db: Database, position: UInt64, recordedAt: Int64, payload: [UInt8],
                    flags: Int32) throws(LMDBError) {
        try txn.putReserved(db, position: position, count: headerSize + payload.count, flags: flags) { dst in
            dst[0] = version
            let ra = UInt64(bitPattern: recordedAt)
            for k in 0..<8 { dst[5 + k] = UInt8(truncatingIfNeeded: ra >> (56 - 8 * UInt64(k))) }
            payload.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: dst[headerSize...]).copyMemory(from: $0) }
            let crc = CRC32C.update(0, UnsafeRawBufferPointer(rebasing: dst[5...]))
            for k in 0..<4 { dst[1 + k] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k))) }
        }
    }

    /// Checks and splits a stored value. Throws `.corrupted` naming `position`.
    static func open(_ value: UnsafeRawBufferPointer, position: UInt64) throws(StorageError) -> (recordedAt: Int64, payload: [UInt8]) {
        let recordedAt = try check(value, position: position)
        return (recordedAt, Array(UnsafeRawBufferPointer(rebasing: value[headerSize...])))
    }

    /// Checks a stored value and calls `body` with its `recorded_at` and its payload in place
    /// (valid only inside `body`: no copy is made).
    static func withPayload<R>(_ value: UnsafeRawBufferPointer, position: UInt64,
                               _ body: (Int64, Span<UInt8>) throws -> R) throws -> R {
        let recordedAt = try check(value, position: position)
        let payload = UnsafeBufferPointer(rebasing: value.assumingMemoryBound(to: UInt8.self)[headerSize...])
        return try body(recordedAt, payload.span)
    }

    /// Checks a stored value (format, checksum) and returns its `recorded_at`; the payload is
    /// `value[headerSize...]`.
    static func check(_ value: UnsafeRawBufferPointer, position: UInt64) throws(StorageError) -> Int64 {
        guard value.count >= headerSize else {
            throw StorageError(.corrupted, "record at position \(position) is truncated (\(value.count) bytes)")
        }
        guard value[0] == version else {
            throw StorageError(.corrupted, "record at position \(position) has unknown format \(value[0])")
        }
        var stored: UInt32 = 0
        for k in 0..<4 { stored |= UInt32(value[1 + k]) << (8 * UInt32(k)) }
        let actual = CRC32C.update(0, UnsafeRawBufferPointer(rebasing: value[5...]))
        guard stored == actual else {
            throw StorageError(.corrupted, "record at position \(position) fails its checksum (stored \(hex(stored)), computed \(hex(actual)))")
        }
        var ra: UInt64 = 0
        for k in 0..<8 { ra = ra << 8 | UInt64(value[5 + k]) }
        return Int64(bitPattern: ra)
    }

    static func open(_ value: [UInt8], position: UInt64) throws(StorageError) -> (recordedAt: Int64, payload: [UInt8]) {
        let r: Result<(recordedAt: Int64, payload: [UInt8]), StorageError> = value.withUnsafeBytes { b in
            do throws(StorageError) { return .success(try open(b, position: position)) } catch { return .failure(error) }
        }
        return try r.get()
    }

    private static func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }
}

/// Big-endian key helpers: byte order equals numeric order, so LMDB's default compare sorts them.
enum Keys {
    /// The position a log key holds. LMDB hands back whatever a damaged page says: a key of
    /// another length is reported, not read past its end.
    static func logPosition(_ k: [UInt8]) throws -> UInt64 {
        try checkLogKey(k.count)
        return readUInt64(k)
    }

    static func logPosition(_ k: UnsafeRawBufferPointer) throws -> UInt64 {
        try checkLogKey(k.count)
        return readUInt64(k)
    }

    private static func checkLogKey(_ count: Int) throws {
        guard count == 8 else {
            throw StorageError(.corrupted, "the ledger's file is damaged (a log key of \(count) bytes, expected 8): restore it from a backup")
        }
    }

    static func position(_ p: UInt64) -> [UInt8] {
        var k = [UInt8](repeating: 0, count: 8)
        for i in 0..<8 { k[i] = UInt8(truncatingIfNeeded: p >> (56 - 8 * UInt64(i))) }
        return k
    }

    /// Writes `v` big-endian into `buffer[offset..<offset+8]` (no allocation).
    @inline(__always) static func write(_ v: UInt64, into buffer: inout [UInt8], at offset: Int) {
        for i in 0..<8 { buffer[offset + i] = UInt8(truncatingIfNeeded: v >> (56 - 8 * UInt64(i))) }
    }

    static func readUInt64(_ b: UnsafeRawBufferPointer, at offset: Int = 0) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(b[offset + i]) }
        return v
    }

    static func readUInt64(_ b: [UInt8], at offset: Int = 0) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(b[offset + i]) }
        return v
    }

    /// (occurred ms with the sign bit flipped so negatives sort first) ‖ position.
    static func time(_ ms: Int64, _ pos: UInt64) -> [UInt8] {
        var k = position(UInt64(bitPattern: ms) ^ (1 << 63))
        k.append(contentsOf: position(pos))
        return k
    }

    static func timeMs(_ b: UnsafeRawBufferPointer) -> Int64 {
        Int64(bitPattern: readUInt64(b) ^ (1 << 63))
    }

    /// LMDB keys stop at 511 bytes: a longer entity key is stored as 0xFF ‖ 64-bit FNV-1a hash.
    /// 0xFF never occurs in UTF-8, so hashed keys cannot collide with literal ones; readers
    /// re-check the entity of every record they get back.
    static func entity(_ raw: [UInt8]) -> [UInt8] {
        if raw.count <= 400 { return raw }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in raw { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return [0xFF] + position(h)
    }
}
