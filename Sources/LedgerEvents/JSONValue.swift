/// A JSON value that keeps what the producer sent: object keys in their order and
/// numbers as their literal text, so `data` can be stored and returned verbatim.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// The number's literal text as it appeared in the input (already checked against JSON's grammar).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The string payload, or `nil` for any other kind of value.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The numeric value of a `.number`, or `nil`.
    public var doubleValue: Double? {
        if case .number(let text) = self { return Double(text) }
        return nil
    }

    /// The object payload, or `nil`.
    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The array payload, or `nil`.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// A short name of the value's kind, for error messages ("string", "number", …).
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// Equality as JSON means it: object members compared regardless of their order,
    /// numbers compared by their exact decimal value when their texts differ (`1.0` equals `1`
    /// and `1e2` equals `100`, but `12345678901234567890` is not `12345678901234567891`, which a
    /// `Double` would round together), and strings and keys by their exact characters (`String`'s
    /// `==` takes "é" and "e" + U+0301 for equal: an idempotent re-append must not).
    public func isSemanticallyEqual(to other: JSONValue) -> Bool {
        switch (self, other) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b || Self.sameDecimal(a, b)
        case let (.string(a), .string(b)): return a.utf8.elementsEqual(b.utf8)
        case let (.array(a), .array(b)):
            guard a.count == b.count else { return false }
            return zip(a, b).allSatisfy { $0.isSemanticallyEqual(to: $1) }
        case let (.object(a), .object(b)): return a.isSemanticallyEqual(to: b)
        default: return false
        }
    }

    /// Whether two JSON number literals (already checked against JSON's grammar) have the same
    /// exact value: each as sign, significant digits and a power of ten. Zero has no sign.
    static func sameDecimal(_ a: String, _ b: String) -> Bool {
        guard let x = decimal(a), let y = decimal(b) else { return false }
        return x.negative == y.negative && x.digits == y.digits && x.exponent == y.exponent
    }

    /// `-?int(.frac)?([eE][+-]?exp)?` as (negative, digits without leading or trailing zeros,
    /// exponent of the last digit); nil for an exponent too long to add up (then only identical
    /// texts are equal).
    static func decimal(_ text: String) -> (negative: Bool, digits: [UInt8], exponent: Int)? {
        var bytes = Array(text.utf8)[...]
        let negative = bytes.first == UInt8(ascii: "-")
        if negative { bytes = bytes.dropFirst() }
        var digits: [UInt8] = []
        var exponent = 0
        var inFraction = false
        while let c = bytes.first, c != UInt8(ascii: "e"), c != UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if c == UInt8(ascii: ".") { inFraction = true; continue }
            if digits.isEmpty && c == UInt8(ascii: "0") {
                if inFraction { exponent -= 1 }
                continue
            }
            digits.append(c)
            if inFraction { exponent -= 1 }
        }
        if !bytes.isEmpty {
            bytes = bytes.dropFirst()
            var sign = 1
            if let c = bytes.first, c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                if c == UInt8(ascii: "-") { sign = -1 }
                bytes = bytes.dropFirst()
            }
            let e = String(decoding: bytes.drop { $0 == UInt8(ascii: "0") }, as: UTF8.self)
            guard e.utf8.count <= 15 else { return nil }
            exponent += sign * (Int(e) ?? 0)
        }
        while digits.last == UInt8(ascii: "0") {
            digits.removeLast()
            exponent += 1
        }
        if digits.isEmpty { return (false, [], 0) }
        return (negative, digits, exponent)
    }
}

/// A JSON object with its members in the producer's order.
///
/// Lookups are linear: event payloads have a handful of members, where a scan beats hashing.
public struct JSONObject: Sendable, Hashable {
    /// The members in their original order. Keys are unique (the parser rejects duplicates).
    public var members: [(key: String, value: JSONValue)]

    public init(_ members: [(key: String, value: JSONValue)] = []) {
        self.members = members
    }

    public subscript(key: String) -> JSONValue? {
        get {
            for m in members where m.key == key { return m.value }
            return nil
        }
        set {
            if let i = members.firstIndex(where: { $0.key == key }) {
                if let newValue { members[i].value = newValue } else { members.remove(at: i) }
            } else if let newValue {
                members.append((key, newValue))
            }
        }
    }

    /// The string member `key`, or `nil` when absent or not a string.
    public func string(_ key: String) -> String? { self[key]?.stringValue }

    public var count: Int { members.count }
    public var keys: [String] { members.map(\.key) }

    public func isSemanticallyEqual(to other: JSONObject) -> Bool {
        guard members.count == other.members.count else { return false }
        for m in members {
            // Keys by their exact characters, as strings are (see JSONValue.isSemanticallyEqual).
            guard let v = other.members.first(where: { $0.key.utf8.elementsEqual(m.key.utf8) })?.value,
                  m.value.isSemanticallyEqual(to: v) else { return false }
        }
        return true
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.members.count == rhs.members.count else { return false }
        for (a, b) in zip(lhs.members, rhs.members) where a.key != b.key || a.value != b.value { return false }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(members.count)
        for m in members {
            hasher.combine(m.key)
            hasher.combine(m.value)
        }
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements.map { (key: $0.0, value: $0.1) })
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(String(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements.map { (key: $0.0, value: $0.1) }))
    }
    public init(nilLiteral: ()) { self = .null }
}
