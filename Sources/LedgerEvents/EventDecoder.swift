/// Decodes stored records (``EventCodec``'s layout) straight from a span of bytes: the log's
/// scan hands over each payload in place, in the read transaction's memory, so no copy is made.
///
/// (A variant that shared the Strings of repeated values through a small table was measured: it
/// was 5 % slower than building each String, so values are always built.)
public struct EventDecoder: Sendable {
    public init() {}

    /// Decodes one record written by ``EventCodec/encode(_:)``.
    public func decode(_ b: Span<UInt8>) throws(EventCodec.DecodingError) -> Event {
        var i = 0
        let v = try Self.byte(b, &i)
        guard v == EventCodec.version else { throw .init(message: "unknown codec version \(v)") }
        let code = try Self.byte(b, &i)
        guard let type = EventType(code: code) else { throw .init(message: "unknown type code \(code)") }
        let ms = EventCodec.unzigzag(try Self.varint(b, &i))
        let offset = EventCodec.unzigzag(try Self.varint(b, &i))
        guard offset >= -1439 && offset <= 1439 else { throw .init(message: "offset out of range") }
        let id = try string(b, &i)
        let source: String? = try Self.byte(b, &i) == 1 ? try string(b, &i) : nil
        guard try Self.byte(b, &i) == 6 else { throw .init(message: "data is not an object") }
        let data = try object(b, &i, depth: 0)
        guard i == b.count else { throw .init(message: "\(b.count - i) trailing bytes") }
        return Event(id: id, type: type, at: EventTime(milliseconds: ms, offsetMinutes: Int16(offset)),
                     source: source, data: data)
    }

    @inline(__always) static func byte(_ b: Span<UInt8>, _ i: inout Int) throws(EventCodec.DecodingError) -> UInt8 {
        guard i < b.count else { throw .init(message: "truncated") }
        defer { i += 1 }
        return b[i]
    }

    @inline(__always) static func varint(_ b: Span<UInt8>, _ i: inout Int) throws(EventCodec.DecodingError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let x = try byte(b, &i)
            result |= UInt64(x & 0x7F) << shift
            if x < 0x80 { return result }
            shift += 7
            if shift > 63 { throw .init(message: "varint too long") }
        }
    }

    /// A new String from `b[i..<i+n]`, validated as UTF-8.
    static func make(_ b: Span<UInt8>, _ i: Int, _ n: Int) throws(EventCodec.DecodingError) -> String {
        guard let u = try? UTF8Span(validating: b.extracting(i..<(i + n))) else {
            throw .init(message: "string is not UTF-8")
        }
        return String(copying: u)
    }

    func string(_ b: Span<UInt8>, _ i: inout Int) throws(EventCodec.DecodingError) -> String {
        let n = Int(try Self.varint(b, &i))
        guard n <= b.count - i else { throw .init(message: "truncated string") }
        defer { i += n }
        return try Self.make(b, i, n)
    }

    func object(_ b: Span<UInt8>, _ i: inout Int, depth: Int) throws(EventCodec.DecodingError) -> JSONObject {
        guard depth < 128 else { throw .init(message: "nesting too deep") }
        let n = Int(try Self.varint(b, &i))
        guard n <= b.count - i else { throw .init(message: "truncated object") }
        var members: [(key: String, value: JSONValue)] = []
        members.reserveCapacity(n)
        for _ in 0..<n {
            let k = Int(try Self.varint(b, &i))
            let key: String
            if k == 0 {
                key = try string(b, &i)
            } else {
                guard let known = EventCodec.knownKey(k) else { throw .init(message: "unknown key code \(k)") }
                key = known
            }
            members.append((key, try value(b, &i, depth: depth + 1)))
        }
        return JSONObject(members)
    }

    func value(_ b: Span<UInt8>, _ i: inout Int, depth: Int) throws(EventCodec.DecodingError) -> JSONValue {
        switch try Self.byte(b, &i) {
        case 0: return .null
        case 1: return .bool(false)
        case 2: return .bool(true)
        case 3: return .number(try string(b, &i))
        case 4: return .string(try string(b, &i))
        case 5:
            guard depth < 128 else { throw .init(message: "nesting too deep") }
            let n = Int(try Self.varint(b, &i))
            guard n <= b.count - i else { throw .init(message: "truncated array") }
            var items: [JSONValue] = []
            items.reserveCapacity(n)
            for _ in 0..<n { items.append(try value(b, &i, depth: depth + 1)) }
            return .array(items)
        case 6: return .object(try object(b, &i, depth: depth))
        case let t: throw .init(message: "unknown value tag \(t)")
        }
    }
}
