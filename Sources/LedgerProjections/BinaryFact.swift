/// A fact with a hand-written binary form, which ``FactCoder`` uses instead of `Codable`:
/// decoding through the `Decoder` protocol was ~45 % of a month's report.
///
/// Write fields in a fixed order and read them back in the same order; changing the layout is a
/// ``Projection/version`` bump.
public protocol BinaryFact: SendableMetatype {
    func write(to w: inout FactWriter)
    init(from r: inout FactReader) throws
}

/// Appends the fields of a ``BinaryFact``.
public struct FactWriter {
    public private(set) var bytes: [UInt8] = []

    public init() { bytes.reserveCapacity(160) }

    public mutating func uint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    public mutating func int(_ v: Int64) { uint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }
    public mutating func byte(_ b: UInt8) { bytes.append(b) }

    /// Eight bytes, little-endian (doubles' bit patterns).
    public mutating func uint64LE(_ v: UInt64) {
        for k in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(k)))) }
    }

    /// Appends `n` zero bytes to fill in later; returns their offset.
    mutating func reserve(_ n: Int) -> Int {
        defer { bytes.append(contentsOf: repeatElement(0, count: n)) }
        return bytes.count
    }

    mutating func patchUInt32LE(_ offset: Int, _ v: UInt32) {
        for k in 0..<4 { bytes[offset + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(k))) }
    }
    public mutating func int(_ v: Int) { int(Int64(v)) }
    public mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }

    public mutating func string(_ s: String) {
        uint(UInt64(s.utf8.count))
        bytes.append(contentsOf: s.utf8)
    }

    public mutating func string(_ s: String?) {
        if let s { bytes.append(1); string(s) } else { bytes.append(0) }
    }

    public mutating func int(_ v: Int64?) {
        if let v { bytes.append(1); int(v) } else { bytes.append(0) }
    }

    @inlinable public mutating func array<T>(_ items: [T], _ each: (inout FactWriter, T) -> Void) {
        uint(UInt64(items.count))
        for x in items { each(&self, x) }
    }
}

/// Reads the fields of a ``BinaryFact`` in the order they were written.
@frozen public struct FactReader {
    @usableFromInline let bytes: [UInt8]
    @usableFromInline var i = 0

    @inlinable public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Reads `bytes` from `offset` on (a fact inside a larger record, without copying it out).
    @inlinable public init(_ bytes: [UInt8], from offset: Int) {
        self.bytes = bytes
        i = offset
    }

    @inlinable public var isAtEnd: Bool { i == bytes.count }
    @inlinable var remaining: Int { bytes.count - i }

    @inlinable mutating func uint64LE() throws -> UInt64 {
        guard i + 8 <= bytes.count else { throw FactCodingError("truncated number") }
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(bytes[i + k]) << (8 * UInt64(k)) }
        i += 8
        return v
    }

    @inlinable mutating func uint32LE() throws -> UInt32 {
        guard i + 4 <= bytes.count else { throw FactCodingError("truncated count") }
        var v: UInt32 = 0
        for k in 0..<4 { v |= UInt32(bytes[i + k]) << (8 * UInt32(k)) }
        i += 4
        return v
    }

    @inlinable @inline(__always) mutating func byte() throws -> UInt8 {
        guard i < bytes.count else { throw FactCodingError("truncated fact") }
        defer { i += 1 }
        return bytes[i]
    }

    @inlinable public mutating func uint() throws -> UInt64 {
        var r: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            r |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return r }
            shift += 7
            if shift > 63 { throw FactCodingError("bad varint") }
        }
    }

    @inlinable public mutating func int64() throws -> Int64 {
        let v = try uint()
        return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
    }

    @inlinable public mutating func int() throws -> Int { Int(try int64()) }
    @inlinable public mutating func bool() throws -> Bool { try byte() != 0 }

    @inlinable public mutating func string() throws -> String {
        let n = Int(try uint())
        guard n <= bytes.count - i else { throw FactCodingError("truncated string") }
        var ascii = true
        for k in i..<(i + n) where bytes[k] >= 0x80 { ascii = false; break }
        let s: String
        if ascii {
            s = String(decoding: bytes[i..<(i + n)], as: UTF8.self)
        } else {
            guard let v = String(validating: bytes[i..<(i + n)], as: UTF8.self) else { throw FactCodingError("string is not UTF-8") }
            s = v
        }
        i += n
        return s
    }

    @inlinable public mutating func optionalString() throws -> String? { try byte() == 0 ? nil : try string() }
    @inlinable public mutating func optionalInt64() throws -> Int64? { try byte() == 0 ? nil : try int64() }

    @inlinable public mutating func array<T>(_ each: (inout FactReader) throws -> T) throws -> [T] {
        let n = Int(try uint())
        guard n <= bytes.count - i else { throw FactCodingError("truncated array") }
        var out: [T] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try each(&self)) }
        return out
    }
}
