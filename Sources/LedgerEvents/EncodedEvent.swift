/// An event in its stored binary form (``EventCodec``) with what the log indexes it by: what an
/// append needs of an event, and nothing else.
public struct EncodedEvent: Sendable, Equatable {
    /// The id's bytes (the idempotency key).
    public var id: [UInt8]
    public var type: EventType
    /// ``EventCodec/encode(_:)`` of the event.
    public var payload: [UInt8]
    /// Occurred time in milliseconds since the epoch.
    public var occurredAt: Int64
    /// The `data` members the entity indexes use, when present as strings.
    public var callID: String?
    public var client: String?
    public var leadID: String?
    public var department: String?
    public var agent: String?

    /// The stored form of a validated event.
    public init(_ e: Event) {
        id = Array(e.id.utf8)
        type = e.type
        payload = EventCodec.encode(e)
        occurredAt = e.at.milliseconds
        callID = e.callID
        client = e.rawClient
        leadID = e.leadID
        department = e.department
        agent = e.agent
    }

    init(id: [UInt8], type: EventType, payload: [UInt8], occurredAt: Int64) {
        self.id = id
        self.type = type
        self.payload = payload
        self.occurredAt = occurredAt
    }
}

/// Encodes one NDJSON event line straight from its bytes into its stored form, without building
/// a ``JSONValue`` tree or an ``Event``: about half the CPU of an append of NDJSON went to those
/// trees (allocating, hashing keys, freeing).
///
/// It takes only the common shape: the envelope's members as plain strings, `data` a flat object
/// of strings, numbers, booleans and nulls, no escapes, no duplicate keys, and a type other than
/// `department.configured`. For anything else, and for anything invalid, it answers `nil` and the
/// caller goes the full way (``JSONParser`` and ``EventValidator``), which decides and names
/// every problem. So it never rejects and never repairs: when it answers, its answer equals
/// `EncodedEvent(EventValidator.validate(JSONParser.parse(line)))` byte for byte (a test checks
/// this on simulated traffic and on mutated lines).
public enum DirectEventEncoder {
    private enum ValueKind: UInt8 { case string, number, trueValue, falseValue, null }

    private struct Member {
        var key: Range<Int>
        var kind: ValueKind
        var value: Range<Int>
    }

    /// A position in one line. A struct with mutating methods, not nested functions capturing the
    /// position (captured variables are checked for exclusive access at run time); the bytes are
    /// passed to each call, not stored: storing the array retains and releases it, and the lines
    /// of one input are encoded on both cores at once, so that count would bounce between them.
    private struct Cursor {
        var i: Int
        let end: Int

        @inline(__always) mutating func skipWhitespace(_ bytes: [UInt8]) {
            while i < end {
                let c = bytes[i]
                if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { break }
            }
        }

        @inline(__always) func at(_ bytes: [UInt8], _ c: UInt8) -> Bool { i < end && bytes[i] == c }

        /// A string without escapes or control characters, valid UTF-8; the cursor after its
        /// closing quote. Keys must be ASCII: `String` compares canonical equivalents as equal
        /// (the parser's duplicate-key check, the validator's look-ups), bytes here would not.
        mutating func plainString(_ bytes: [UInt8], asciiOnly: Bool = false) -> Range<Int>? {
            guard at(bytes, 0x22) else { return nil }
            i += 1
            let start = i
            var ascii = true
            while i < end {
                let c = bytes[i]
                if c == 0x22 { break }
                if c == 0x5C || c < 0x20 { return nil }
                if c >= 0x80 { ascii = false }
                i += 1
            }
            guard i < end else { return nil }
            let r = start..<i
            i += 1
            if !ascii {
                guard !asciiOnly, (try? UTF8Span(validating: bytes.span.extracting(r))) != nil else { return nil }
            }
            return r
        }

        /// A number in JSON's grammar (as ``JSONParser`` reads it).
        mutating func number(_ bytes: [UInt8]) -> Range<Int>? {
            let start = i
            if bytes[i] == 0x2D { i += 1 }
            guard i < end, isDigit(bytes[i]) else { return nil }
            if bytes[i] == 0x30 {
                i += 1
                if i < end && isDigit(bytes[i]) { return nil }
            } else {
                while i < end && isDigit(bytes[i]) { i += 1 }
            }
            if at(bytes, 0x2E) {
                i += 1
                guard i < end, isDigit(bytes[i]) else { return nil }
                while i < end && isDigit(bytes[i]) { i += 1 }
            }
            if at(bytes, 0x65) || at(bytes, 0x45) {
                i += 1
                if at(bytes, 0x2B) || at(bytes, 0x2D) { i += 1 }
                guard i < end, isDigit(bytes[i]) else { return nil }
                while i < end && isDigit(bytes[i]) { i += 1 }
            }
            return start..<i
        }

        mutating func literal(_ bytes: [UInt8], _ word: StaticString) -> Bool {
            let n = word.utf8CodeUnitCount
            guard end - i >= n else { return false }
            let w = word.utf8Start
            for k in 0..<n where bytes[i + k] != w[k] { return false }
            i += n
            return true
        }
    }

    /// The stored form of the event in `bytes[range]`, or `nil` to take the full way.
    public static func encode(_ bytes: [UInt8], _ range: Range<Int>) -> EncodedEvent? {
        var cursor = Cursor(i: range.lowerBound, end: range.upperBound)
        // The envelope.
        cursor.skipWhitespace(bytes)
        guard cursor.at(bytes, 0x7B) else { return nil }
        cursor.i += 1
        var idRange: Range<Int>?, typeRange: Range<Int>?, atRange: Range<Int>?, sourceRange: Range<Int>?
        // On the stack: an event's data has a handful of members (more than 12: the full way).
        var members = InlineArray<12, Member>(repeating: Member(key: 0..<0, kind: .null, value: 0..<0))
        var memberCount = 0
        var sawData = false
        cursor.skipWhitespace(bytes)
        guard cursor.i < cursor.end, !cursor.at(bytes, 0x7D) else { return nil }
        while true {
            cursor.skipWhitespace(bytes)
            guard let key = cursor.plainString(bytes, asciiOnly: true) else { return nil }
            cursor.skipWhitespace(bytes)
            guard cursor.at(bytes, 0x3A) else { return nil }
            cursor.i += 1
            cursor.skipWhitespace(bytes)
            if equals(bytes, key, "data") {
                guard !sawData, cursor.at(bytes, 0x7B) else { return nil }
                sawData = true
                cursor.i += 1
                cursor.skipWhitespace(bytes)
                if cursor.at(bytes, 0x7D) {
                    cursor.i += 1
                } else {
                    while true {
                        cursor.skipWhitespace(bytes)
                        guard let k = cursor.plainString(bytes, asciiOnly: true) else { return nil }
                        guard memberCount < 12 else { return nil }
                        for j in 0..<memberCount where same(bytes, members[j].key, k) { return nil }
                        cursor.skipWhitespace(bytes)
                        guard cursor.at(bytes, 0x3A) else { return nil }
                        cursor.i += 1
                        cursor.skipWhitespace(bytes)
                        guard cursor.i < cursor.end else { return nil }
                        let c = bytes[cursor.i]
                        if c == 0x22 {
                            guard let v = cursor.plainString(bytes) else { return nil }
                            members[memberCount] = Member(key: k, kind: .string, value: v); memberCount += 1
                        } else if c == 0x2D || isDigit(c) {
                            guard let v = cursor.number(bytes) else { return nil }
                            members[memberCount] = Member(key: k, kind: .number, value: v); memberCount += 1
                        } else if c == 0x74, cursor.literal(bytes, "true") {
                            members[memberCount] = Member(key: k, kind: .trueValue, value: cursor.i..<cursor.i); memberCount += 1
                        } else if c == 0x66, cursor.literal(bytes, "false") {
                            members[memberCount] = Member(key: k, kind: .falseValue, value: cursor.i..<cursor.i); memberCount += 1
                        } else if c == 0x6E, cursor.literal(bytes, "null") {
                            members[memberCount] = Member(key: k, kind: .null, value: cursor.i..<cursor.i); memberCount += 1
                        } else {
                            return nil  // nested values, or not JSON
                        }
                        cursor.skipWhitespace(bytes)
                        if cursor.at(bytes, 0x2C) { cursor.i += 1; continue }
                        if cursor.at(bytes, 0x7D) { cursor.i += 1; break }
                        return nil
                    }
                }
            } else {
                guard let v = cursor.plainString(bytes) else { return nil }
                if equals(bytes, key, "id") {
                    guard idRange == nil else { return nil }
                    idRange = v
                } else if equals(bytes, key, "type") {
                    guard typeRange == nil else { return nil }
                    typeRange = v
                } else if equals(bytes, key, "at") {
                    guard atRange == nil else { return nil }
                    atRange = v
                } else if equals(bytes, key, "source") {
                    guard sourceRange == nil else { return nil }
                    sourceRange = v
                } else {
                    return nil  // not an envelope field: the full way names it
                }
            }
            cursor.skipWhitespace(bytes)
            if cursor.at(bytes, 0x2C) { cursor.i += 1; continue }
            if cursor.at(bytes, 0x7D) { cursor.i += 1; break }
            return nil
        }
        cursor.skipWhitespace(bytes)
        guard cursor.i == cursor.end, sawData, let idRange, let typeRange, let atRange else { return nil }

        // The envelope's rules (EventValidator), for the shapes taken here.
        guard !idRange.isEmpty, idRange.count <= 128 else { return nil }
        for k in idRange where bytes[k] < 0x20 || bytes[k] > 0x7E { return nil }
        guard let type = Tables.eventType(bytes, typeRange), type != .departmentConfigured else { return nil }
        var timeText: [UInt8] = []
        timeText.reserveCapacity(atRange.count)
        for k in atRange { timeText.append(bytes[k]) }
        guard case .success(let at) = EventTime.parse(timeText) else { return nil }
        if let s = sourceRange, s.count > 64 { return nil }  // maybe too long: the full way counts characters

        // The type's data fields.
        for row in Tables.fieldRows[Tables.fieldRange(type)] {
            var found = -1
            for j in 0..<memberCount where Tables.equals(bytes, members[j].key, row.name) { found = j; break }
            guard found >= 0 else {
                if row.required { return nil }
                continue
            }
            let m = members[found]
            switch row.kind {
            case .idString: guard m.kind == .string, !m.value.isEmpty, m.value.count <= EventValidator.maxIdentityBytes else { return nil }
            case .string: guard m.kind == .string else { return nil }
            case .shortString: guard m.kind == .string, m.value.count <= EventValidator.maxIdentityBytes else { return nil }
            case .anyNumber: guard m.kind == .number else { return nil }
            case .oneOf:
                guard m.kind == .string else { return nil }
                var known = false
                for v in row.values where Tables.equals(bytes, m.value, Tables.valueNames[v]) { known = true; break }
                guard known else { return nil }
            case .fullWay: return nil
            }
        }
        if type == .missedHandled {
            for j in 0..<memberCount where equals(bytes, members[j].key, "reason") && equals(bytes, members[j].value, "other") {
                return nil  // the comment rule: left to the validator
            }
        }

        // The stored form (EventCodec, version 1), in one allocation of its exact size.
        var codes = InlineArray<12, Int>(repeating: 0)
        var size = 2 + varintSize(EventCodec.zigzag(at.milliseconds)) + varintSize(EventCodec.zigzag(Int64(at.offsetMinutes)))
            + sized(idRange) + 1 + (sourceRange.map(sized) ?? 0) + 1 + varintSize(UInt64(memberCount))
        for j in 0..<memberCount {
            let m = members[j]
            codes[j] = Tables.knownKeyCode(bytes, m.key)
            size += codes[j] > 0 ? varintSize(UInt64(codes[j])) : 1 + sized(m.key)
            size += 1 + (m.kind == .string || m.kind == .number ? sized(m.value) : 0)
        }
        let payload = [UInt8](capacity: size) { (o: inout OutputSpan<UInt8>) in
            o.append(EventCodec.version)
            o.append(type.code)
            putVarint(EventCodec.zigzag(at.milliseconds), &o)
            putVarint(EventCodec.zigzag(Int64(at.offsetMinutes)), &o)
            putString(bytes, idRange, &o)
            if let s = sourceRange {
                o.append(1)
                putString(bytes, s, &o)
            } else {
                o.append(0)
            }
            o.append(6)
            putVarint(UInt64(memberCount), &o)
            for j in 0..<memberCount {
                let m = members[j]
                if codes[j] > 0 {
                    putVarint(UInt64(codes[j]), &o)
                } else {
                    o.append(0)
                    putString(bytes, m.key, &o)
                }
                switch m.kind {
                case .null: o.append(0)
                case .falseValue: o.append(1)
                case .trueValue: o.append(2)
                case .number: o.append(3); putString(bytes, m.value, &o)
                case .string: o.append(4); putString(bytes, m.value, &o)
                }
            }
        }
        let id = [UInt8](capacity: idRange.count) { (o: inout OutputSpan<UInt8>) in for k in idRange { o.append(bytes[k]) } }
        var encoded = EncodedEvent(id: id, type: type, payload: payload, occurredAt: at.milliseconds)
        // The members the entity indexes use (`Event.callID` and the like: strings only).
        for j in 0..<memberCount where members[j].kind == .string {
            let m = members[j]
            switch codes[j] {
            case Tables.callIDCode: encoded.callID = text(bytes, m.value)
            case Tables.clientCode: encoded.client = text(bytes, m.value)
            case Tables.leadIDCode: encoded.leadID = text(bytes, m.value)
            case Tables.departmentCode: encoded.department = text(bytes, m.value)
            case Tables.agentCode: encoded.agent = text(bytes, m.value)
            default: break
            }
        }
        return encoded
    }

    @inline(__always) private static func varintSize(_ v: UInt64) -> Int {
        var n = 1
        var v = v
        while v >= 0x80 { v >>= 7; n += 1 }
        return n
    }

    /// The encoded size of a string: its varint length and its bytes.
    @inline(__always) private static func sized(_ r: Range<Int>) -> Int { varintSize(UInt64(r.count)) + r.count }

    @inline(__always) private static func putVarint(_ value: UInt64, _ o: inout OutputSpan<UInt8>) {
        var v = value
        while v >= 0x80 {
            o.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        o.append(UInt8(v))
    }

    @inline(__always) private static func putString(_ bytes: [UInt8], _ r: Range<Int>, _ o: inout OutputSpan<UInt8>) {
        putVarint(UInt64(r.count), &o)
        for k in r { o.append(bytes[k]) }
    }

    @inline(__always) private static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

    /// `bytes[r]`, already validated as UTF-8 by ``encode(_:_:)``.
    private static func text(_ bytes: [UInt8], _ r: Range<Int>) -> String {
        do { return String(copying: try UTF8Span(validating: bytes.span.extracting(r))) } catch { return "" }
    }

    @inline(__always) private static func equals(_ bytes: [UInt8], _ r: Range<Int>, _ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard r.count == n else { return false }
        let w = s.utf8Start
        var k = 0
        while k < n {
            if bytes[r.lowerBound + k] != w[k] { return false }
            k += 1
        }
        return true
    }

    private static func same(_ bytes: [UInt8], _ a: Range<Int>, _ b: Range<Int>) -> Bool {
        guard a.count == b.count else { return false }
        for k in 0..<a.count where bytes[a.lowerBound + k] != bytes[b.lowerBound + k] { return false }
        return true
    }
}

/// What ``DirectEventEncoder`` compares against, made once from ``EventType``, ``EventCodec`` and
/// ``EventValidator``: names as `[UInt8]` (compared byte by byte, no `String`s made per line),
/// field rules as rows of plain values (no `String` or enum payloads copied per field).
private enum Tables {
    enum Kind { case idString, string, shortString, anyNumber, oneOf, fullWay }

    struct FieldRow {
        var name: Int  // index into `fieldNames`
        var kind: Kind
        var required: Bool
        var values: Range<Int>  // indices into `valueNames` (for `.oneOf`)
    }

    static let types: [EventType] = EventType.allCases
    static let typeNames: [[UInt8]] = types.map { Array($0.rawValue.utf8) }
    static let keyNames: [[UInt8]] = EventCodec.knownKeys.map { Array($0.utf8) }
    static let (fieldNames, valueNames, fieldRows, fieldRanges): ([[UInt8]], [[UInt8]], [FieldRow], [Range<Int>]) = {
        var names: [[UInt8]] = [], values: [[UInt8]] = [], rows: [FieldRow] = []
        var ranges = Array(repeating: 0..<0, count: 256)
        for type in EventType.allCases {
            let first = rows.count
            for f in EventValidator.fields(of: type) {
                let kind: Kind
                var r = values.count..<values.count
                switch f.kind {
                case .idString: kind = .idString
                case .string: kind = .string
                case .shortString: kind = .shortString
                case .number(nil): kind = .anyNumber
                case .oneOf(let v):
                    kind = .oneOf
                    values += v.map { Array($0.utf8) }
                    r = r.lowerBound..<values.count
                case .number, .timezone, .hours: kind = .fullWay
                }
                names.append(Array(f.name.utf8))
                rows.append(FieldRow(name: names.count - 1, kind: kind, required: f.required, values: r))
            }
            ranges[Int(type.code)] = first..<rows.count
        }
        return (names, values, rows, ranges)
    }()

    @inline(__always) static func fieldRange(_ type: EventType) -> Range<Int> { fieldRanges[Int(type.code)] }

    @inline(__always) static func equals(_ bytes: [UInt8], _ r: Range<Int>, _ nameIndex: Int) -> Bool {
        equals(bytes, r, fieldNames[nameIndex])
    }

    @inline(__always) static func equals(_ bytes: [UInt8], _ r: Range<Int>, _ name: [UInt8]) -> Bool {
        guard r.count == name.count else { return false }
        var k = 0
        while k < name.count {
            if bytes[r.lowerBound + k] != name[k] { return false }
            k += 1
        }
        return true
    }

    static func eventType(_ bytes: [UInt8], _ r: Range<Int>) -> EventType? {
        for t in 0..<typeNames.count where equals(bytes, r, typeNames[t]) { return types[t] }
        return nil
    }

    /// The codes of the members the entity indexes use, looked up in ``EventCodec/knownKeys``
    /// rather than written out: that list's order is the format's.
    static let callIDCode = code(of: "call_id"), clientCode = code(of: "client"), leadIDCode = code(of: "lead_id"),
               departmentCode = code(of: "department"), agentCode = code(of: "agent")

    private static func code(of name: String) -> Int { EventCodec.knownKeys.firstIndex(of: name)! + 1 }

    /// The key's code in ``EventCodec/knownKeys`` (1-based), or 0.
    static func knownKeyCode(_ bytes: [UInt8], _ r: Range<Int>) -> Int {
        for k in 0..<keyNames.count where equals(bytes, r, keyNames[k]) { return k + 1 }
        return 0
    }
}
