import Foundation

/// A compact, positional binary form for facts: a ``BinaryFact``'s own hand-written form when it
/// has one, else this form for any `Codable` fact: no field names, varint integers, length-
/// prefixed strings, a presence byte per optional. Decoding a fact is several times faster than
/// JSON, which matters when a month's report reads tens of thousands of them.
///
/// Positional means the reader must ask for fields in the order the writer wrote them — true for
/// synthesized `Codable` of structs and enums. Dictionaries are not supported (keys would have to
/// be stored); use arrays of pairs in facts. Changing a fact's layout is a ``Projection/version`` bump.
public enum FactCoder {
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        if let b = value as? any BinaryFact {
            var w = FactWriter()
            b.write(to: &w)
            return w.bytes
        }
        let sink = Sink()
        try value.encode(to: BinaryEncoder(sink: sink))
        return sink.bytes
    }

    /// An encoder of `T` facts. Encoding many facts, take it once: the check for a hand-written
    /// form is a dynamic cast per fact otherwise.
    public static func encoder<T: Encodable & Sendable>(for type: T.Type) -> @Sendable (T) throws -> [UInt8] {
        if let b = T.self as? any BinaryFact.Type { return binaryEncoder(b) }
        return { value in
            let sink = Sink()
            try value.encode(to: BinaryEncoder(sink: sink))
            return sink.bytes
        }
    }

    public static func decode<T: Decodable & Sendable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try decode(type, from: bytes, at: 0)
    }

    /// Decodes the fact that occupies `bytes[offset...]`.
    public static func decode<T: Decodable & Sendable>(_ type: T.Type, from bytes: [UInt8], at offset: Int) throws -> T {
        try decoder(for: type)(bytes, offset)
    }

    /// A decoder of `T` facts at an offset in their bytes. Decoding many facts, take it once:
    /// the check for a hand-written form is a dynamic cast that costs more than a small fact's decoding.
    public static func decoder<T: Decodable & Sendable>(for type: T.Type) -> @Sendable ([UInt8], Int) throws -> T {
        if let b = T.self as? any BinaryFact.Type { return binaryDecoder(b) }
        return { bytes, offset in
            let source = Source(offset == 0 ? bytes : Array(bytes[offset...]))
            let v = try T(from: BinaryDecoder(source: source))
            guard source.isAtEnd else { throw FactCodingError("\(source.remaining) trailing bytes decoding \(T.self)") }
            return v
        }
    }

    private static func binaryEncoder<B: BinaryFact, T>(_ b: B.Type) -> @Sendable (T) throws -> [UInt8] {
        { value in
            var w = FactWriter()
            (value as! B).write(to: &w)  // T is B: the cast is an identity.
            return w.bytes
        }
    }

    private static func binaryDecoder<B: BinaryFact, T>(_ b: B.Type) -> @Sendable ([UInt8], Int) throws -> T {
        { bytes, offset in
            var r = FactReader(bytes, from: offset)
            let v = try B(from: &r)
            guard r.isAtEnd else { throw FactCodingError("trailing bytes decoding \(B.self)") }
            return v as! T  // B is T: the cast is an identity.
        }
    }
}

public struct FactCodingError: Error, CustomStringConvertible {
    public var description: String
    @usableFromInline init(_ d: String) { description = d }
}

/// The Codable path's output: a ``FactWriter`` shared by every container of one encoding.
final class Sink {
    var w = FactWriter()
    var bytes: [UInt8] { w.bytes }
    @inline(__always) func varint(_ v: UInt64) { w.uint(v) }
    @inline(__always) func signed(_ v: Int64) { w.int(v) }
    func string(_ s: String) { w.string(s) }
    func double(_ d: Double) { w.uint64LE(d.bitPattern) }
    func byte(_ b: UInt8) { w.byte(b) }
    /// Reserves a 4-byte little-endian count at the end; returns its offset for ``patchCount(_:_:)``.
    func reserveCount() -> Int { w.reserve(4) }
    func patchCount(_ offset: Int, _ count: Int) { w.patchUInt32LE(offset, UInt32(count)) }
}

/// The Codable path's input: a ``FactReader`` shared by every container of one decoding.
final class Source {
    var r: FactReader
    init(_ b: [UInt8]) { r = FactReader(b) }
    var isAtEnd: Bool { r.isAtEnd }
    var remaining: Int { r.remaining }
    @inline(__always) func byte() throws -> UInt8 { try r.byte() }
    @inline(__always) func varint() throws -> UInt64 { try r.uint() }
    @inline(__always) func signed() throws -> Int64 { try r.int64() }
    func string() throws -> String { try r.string() }
    func double() throws -> Double { Double(bitPattern: try r.uint64LE()) }
    func count() throws -> Int { Int(try r.uint32LE()) }
}

// MARK: Encoding

struct BinaryEncoder: Encoder {
    let sink: Sink
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedBinaryEncoder<Key>(sink: sink))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        // The element count is not known up front: reserve a fixed 4-byte slot and patch it.
        UnkeyedBinaryEncoder(sink: sink, slot: sink.reserveCount())
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleBinaryEncoder(sink: sink) }
}

/// Writes one value of any supported kind. Types are told apart by comparing metatypes, not by
/// dynamic casts; `unsafeBitCast` after `T.self == X.self` is an identity conversion.
/// (`as?` on every field dominated rebuild profiles).
private func write<T: Encodable>(_ value: T, _ sink: Sink) throws {
    if T.self == String.self { sink.string(unsafeBitCast(value, to: String.self)); return }
    if T.self == Int.self { sink.signed(Int64(unsafeBitCast(value, to: Int.self))); return }
    if T.self == Int64.self { sink.signed(unsafeBitCast(value, to: Int64.self)); return }
    if T.self == Bool.self { sink.byte(unsafeBitCast(value, to: Bool.self) ? 1 : 0); return }
    if T.self == Double.self { sink.double(unsafeBitCast(value, to: Double.self)); return }
    if T.self == UInt64.self { sink.varint(unsafeBitCast(value, to: UInt64.self)); return }
    switch value {
    case let v as Int32: sink.signed(Int64(v))
    case let v as UInt32: sink.varint(UInt64(v))
    case let v as UInt16: sink.varint(UInt64(v))
    case let v as UInt8: sink.varint(UInt64(v))
    case let v as UInt: sink.varint(UInt64(v))
    case is [String: Any], is [Int: Any]:
        throw FactCodingError("dictionaries are not supported in facts; use arrays of pairs")
    default: try value.encode(to: BinaryEncoder(sink: sink))
    }
}

struct KeyedBinaryEncoder<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let sink: Sink
    var codingPath: [any CodingKey] = []

    mutating func encodeNil(forKey key: Key) throws { sink.byte(0) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try write(value, sink) }

    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        try encodeIfPresent(value, key)
    }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try encodeIfPresent(value as String?, key) }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try encodeIfPresent(value as Int?, key) }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try encodeIfPresent(value as Int64?, key) }
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try encodeIfPresent(value as Bool?, key) }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try encodeIfPresent(value as Double?, key) }
    mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try encodeIfPresent(value as UInt64?, key) }

    private mutating func encodeIfPresent<T: Encodable>(_ value: T?, _ key: Key) throws {
        if let value {
            sink.byte(1)
            try write(value, sink)
        } else {
            sink.byte(0)
        }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(KeyedBinaryEncoder<NestedKey>(sink: sink))
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        BinaryEncoder(sink: sink).unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder { BinaryEncoder(sink: sink) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { BinaryEncoder(sink: sink) }
}

struct UnkeyedBinaryEncoder: UnkeyedEncodingContainer {
    let sink: Sink
    let slot: Int
    var codingPath: [any CodingKey] = []
    var count = 0

    private mutating func bump() {
        count += 1
        sink.patchCount(slot, count)
    }

    mutating func encodeNil() throws { sink.byte(0); bump() }
    mutating func encode<T: Encodable>(_ value: T) throws {
        // Count first: nested containers append after this element's own bytes begin.
        bump()
        try write(value, sink)
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        bump()
        return KeyedEncodingContainer(KeyedBinaryEncoder<NestedKey>(sink: sink))
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        bump()
        return BinaryEncoder(sink: sink).unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder { bump(); return BinaryEncoder(sink: sink) }
}

struct SingleBinaryEncoder: SingleValueEncodingContainer {
    let sink: Sink
    var codingPath: [any CodingKey] = []
    mutating func encodeNil() throws { sink.byte(0) }
    mutating func encode<T: Encodable>(_ value: T) throws { try write(value, sink) }
}

// MARK: Decoding

struct BinaryDecoder: Decoder {
    let source: Source
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(KeyedBinaryDecoder<Key>(source: source))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        UnkeyedBinaryDecoder(source: source, count: try source.count())
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleBinaryDecoder(source: source) }
}

private func read<T: Decodable>(_ type: T.Type, _ source: Source) throws -> T {
    if T.self == String.self { return unsafeBitCast(try source.string(), to: T.self) }
    if T.self == Int.self { return unsafeBitCast(Int(try source.signed()), to: T.self) }
    if T.self == Int64.self { return unsafeBitCast(try source.signed(), to: T.self) }
    if T.self == Bool.self { return unsafeBitCast(try source.byte() != 0, to: T.self) }
    if T.self == Double.self { return unsafeBitCast(try source.double(), to: T.self) }
    if T.self == UInt64.self { return unsafeBitCast(try source.varint(), to: T.self) }
    switch type {
    case is Int32.Type: return Int32(truncatingIfNeeded: try source.signed()) as! T
    case is UInt32.Type: return UInt32(truncatingIfNeeded: try source.varint()) as! T
    case is UInt16.Type: return UInt16(truncatingIfNeeded: try source.varint()) as! T
    case is UInt8.Type: return UInt8(truncatingIfNeeded: try source.varint()) as! T
    case is UInt.Type: return UInt(try source.varint()) as! T
    default: return try T(from: BinaryDecoder(source: source))
    }
}

struct KeyedBinaryDecoder<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let source: Source
    var codingPath: [any CodingKey] = []
    // Positional: every key is "there"; optionals carry their own presence byte.
    var allKeys: [Key] { [] }
    func contains(_ key: Key) -> Bool { true }

    func decodeNil(forKey key: Key) throws -> Bool {
        // Only reached through decodeIfPresent's default path, which we override; read the flag.
        try source.byte() == 0
    }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try read(type, source) }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        try source.byte() == 0 ? nil : try read(type, source)
    }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try present(type) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try present(type) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try present(type) }
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try present(type) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try present(type) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try present(type) }

    private func present<T: Decodable>(_ type: T.Type) throws -> T? {
        try source.byte() == 0 ? nil : try read(type, source)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        KeyedDecodingContainer(KeyedBinaryDecoder<NestedKey>(source: source))
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try BinaryDecoder(source: source).unkeyedContainer()
    }
    func superDecoder() throws -> any Decoder { BinaryDecoder(source: source) }
    func superDecoder(forKey key: Key) throws -> any Decoder { BinaryDecoder(source: source) }
}

struct UnkeyedBinaryDecoder: UnkeyedDecodingContainer {
    let source: Source
    var codingPath: [any CodingKey] = []
    let total: Int
    var currentIndex = 0

    init(source: Source, count: Int) {
        self.source = source
        total = count
    }

    var count: Int? { total }
    var isAtEnd: Bool { currentIndex >= total }

    mutating func decodeNil() throws -> Bool {
        // Elements are never nil-tagged except through encodeNil; peek without consuming otherwise.
        false
    }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        guard !isAtEnd else { throw FactCodingError("array ended early") }
        currentIndex += 1
        return try read(type, source)
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        currentIndex += 1
        return KeyedDecodingContainer(KeyedBinaryDecoder<NestedKey>(source: source))
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        currentIndex += 1
        return try BinaryDecoder(source: source).unkeyedContainer()
    }
    mutating func superDecoder() throws -> any Decoder {
        currentIndex += 1
        return BinaryDecoder(source: source)
    }
}

struct SingleBinaryDecoder: SingleValueDecodingContainer {
    let source: Source
    var codingPath: [any CodingKey] = []
    func decodeNil() -> Bool { false }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try read(type, source) }
}
