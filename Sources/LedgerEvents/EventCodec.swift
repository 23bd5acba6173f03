/// The compact, versioned binary form of an ``Event`` that the log stores (not JSON text).
///
/// Layout (version 1): `u8 version, u8 type code, zigzag-varint at (ms), zigzag-varint offset
/// (minutes), string id, u8 has-source [, string source], value data`. A string is a varint
/// length and UTF-8 bytes. A value is a tag byte — 0 null, 1 false, 2 true, 3 number (its literal
/// text as a string), 4 string, 5 array (varint count, values), 6 object (varint count, then key and
/// value per member) — where a key is a varint: 0 = a literal string follows, n ≥ 1 = the
/// n-th name of ``knownKeys``. Member order and number text survive the round trip.
public enum EventCodec {
    /// The current version byte. Decoding rejects versions it does not know.
    public static let version: UInt8 = 1

    /// Field names stored as one byte. Append only: their indices are part of the format.
    public static let knownKeys: [String] = [
        "call_id", "direction", "client", "line", "agent", "department", "option", "cause", "outcome",
        "to_agent", "to_department", "by", "name", "status", "reason", "timezone", "hours",
        "short_abandon_s", "service_level_s", "comment", "lead_id", "type", "assignee", "group", "into", "amount",
        "mon", "tue", "wed", "thu", "fri", "sat", "sun",
    ]

    private static let keyIndex: [String: Int] = {
        var d: [String: Int] = [:]
        for (k, name) in knownKeys.enumerated() { d[name] = k + 1 }
        return d
    }()

    /// A stored record that could not be decoded.
    public struct DecodingError: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { "undecodable event record: \(message)" }
    }

    // MARK: Encoding

    /// The binary form of `event`.
    public static func encode(_ event: Event) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + event.id.utf8.count + event.data.count * 24)
        encode(event, into: &out)
        return out
    }

    /// Appends the binary form of `event` to `out`.
    public static func encode(_ event: Event, into out: inout [UInt8]) {
        out.append(version)
        out.append(event.type.code)
        writeVarint(zigzag(event.at.milliseconds), into: &out)
        writeVarint(zigzag(Int64(event.at.offsetMinutes)), into: &out)
        writeString(event.id, into: &out)
        if let s = event.source {
            out.append(1)
            writeString(s, into: &out)
        } else {
            out.append(0)
        }
        writeObject(event.data, into: &out)
    }

    @inline(__always) static func zigzag(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }
    @inline(__always) static func unzigzag(_ v: UInt64) -> Int64 { Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1) }

    @inline(__always) static func writeVarint(_ value: UInt64, into out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    @inline(__always) static func writeString(_ s: String, into out: inout [UInt8]) {
        writeVarint(UInt64(s.utf8.count), into: &out)
        out.append(contentsOf: s.utf8)
    }

    static func writeObject(_ o: JSONObject, into out: inout [UInt8]) {
        out.append(6)
        writeVarint(UInt64(o.members.count), into: &out)
        for m in o.members {
            if let k = keyIndex[m.key] {
                writeVarint(UInt64(k), into: &out)
            } else {
                out.append(0)
                writeString(m.key, into: &out)
            }
            writeValue(m.value, into: &out)
        }
    }

    static func writeValue(_ v: JSONValue, into out: inout [UInt8]) {
        switch v {
        case .null: out.append(0)
        case .bool(let b): out.append(b ? 2 : 1)
        case .number(let text): out.append(3); writeString(text, into: &out)
        case .string(let s): out.append(4); writeString(s, into: &out)
        case .array(let items):
            out.append(5)
            writeVarint(UInt64(items.count), into: &out)
            for item in items { writeValue(item, into: &out) }
        case .object(let o): writeObject(o, into: &out)
        }
    }

    // MARK: Decoding

    /// Decodes a record written by ``encode(_:)``.
    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> Event {
        var r = Reader(bytes: bytes)
        let v = try r.byte()
        guard v == version else { throw DecodingError(message: "unknown codec version \(v)") }
        let code = try r.byte()
        guard let type = EventType(code: code) else { throw DecodingError(message: "unknown type code \(code)") }
        let ms = unzigzag(try r.varint())
        let offset = unzigzag(try r.varint())
        guard offset >= -1439 && offset <= 1439 else { throw DecodingError(message: "offset out of range") }
        let id = try r.string()
        let source: String? = try r.byte() == 1 ? try r.string() : nil
        guard try r.byte() == 6 else { throw DecodingError(message: "data is not an object") }
        let data = try r.object(depth: 0)
        guard r.i == bytes.count else { throw DecodingError(message: "\(bytes.count - r.i) trailing bytes") }
        return Event(id: id, type: type, at: EventTime(milliseconds: ms, offsetMinutes: Int16(offset)),
                     source: source, data: data)
    }

    /// A String from UTF-8 bytes: ASCII (nearly every field) is taken as is, anything else is
    /// validated (a generic `String(validating:)` on a slice is several times slower).
    @inline(__always) static func utf8String(_ bytes: [UInt8], _ start: Int, _ end: Int) throws(DecodingError) -> String {
        var ascii = true
        var k = start
        while k < end {
            if bytes[k] >= 0x80 { ascii = false; break }
            k += 1
        }
        if ascii { return String(decoding: bytes[start..<end], as: UTF8.self) }
        guard let s = String(validating: bytes[start..<end], as: UTF8.self) else { throw DecodingError(message: "string is not UTF-8") }
        return s
    }

    struct Reader {
        let bytes: [UInt8]
        var i = 0

        @inline(__always) mutating func byte() throws(DecodingError) -> UInt8 {
            guard i < bytes.count else { throw DecodingError(message: "truncated") }
            defer { i += 1 }
            return bytes[i]
        }

        @inline(__always) mutating func varint() throws(DecodingError) -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let b = try byte()
                result |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return result }
                shift += 7
                if shift > 63 { throw DecodingError(message: "varint too long") }
            }
        }

        mutating func string() throws(DecodingError) -> String {
            let n = Int(try varint())
            guard n <= bytes.count - i else { throw DecodingError(message: "truncated string") }
            let s = try utf8String(bytes, i, i + n)
            i += n
            return s
        }

        mutating func object(depth: Int) throws(DecodingError) -> JSONObject {
            guard depth < 128 else { throw DecodingError(message: "nesting too deep") }
            let n = Int(try varint())
            guard n <= bytes.count - i else { throw DecodingError(message: "truncated object") }
            var members: [(key: String, value: JSONValue)] = []
            members.reserveCapacity(n)
            for _ in 0..<n {
                let k = Int(try varint())
                let key: String
                if k == 0 {
                    key = try string()
                } else {
                    guard k <= EventCodec.knownKeys.count else { throw DecodingError(message: "unknown key code \(k)") }
                    key = EventCodec.knownKeys[k - 1]
                }
                members.append((key, try value(depth: depth + 1)))
            }
            return JSONObject(members)
        }

        mutating func value(depth: Int) throws(DecodingError) -> JSONValue {
            switch try byte() {
            case 0: return .null
            case 1: return .bool(false)
            case 2: return .bool(true)
            case 3: return .number(try string())
            case 4: return .string(try string())
            case 5:
                guard depth < 128 else { throw DecodingError(message: "nesting too deep") }
                let n = Int(try varint())
                guard n <= bytes.count - i else { throw DecodingError(message: "truncated array") }
                var items: [JSONValue] = []
                items.reserveCapacity(n)
                for _ in 0..<n { items.append(try value(depth: depth + 1)) }
                return .array(items)
            case 6: return .object(try object(depth: depth))
            case let t: throw DecodingError(message: "unknown value tag \(t)")
            }
        }
    }
}
