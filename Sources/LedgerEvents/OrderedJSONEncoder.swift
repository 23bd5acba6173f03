import Foundation

/// Marks a type whose absent optionals are written as `null` by ``OrderedJSONEncoder``, so that
/// every row of a report has the same keys (synthesized `Codable` would leave them out).
public protocol ExplicitNulls {}

/// Encodes `Encodable` values to JSON keeping keys in the order they are encoded (declaration
/// order for synthesized `Codable`), so reports print in the spec's field order and the same
/// report always prints the same text. Foundation's `JSONEncoder` here orders keys by hash.
public enum OrderedJSONEncoder {
    public static func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        let root = Node()
        try put(value, into: root)
        return root.value
    }

    public static func string<T: Encodable>(_ value: T) throws -> String {
        JSONWriter.string(try encode(value))
    }

    /// A mutable tree node: the value being built at one place of the document. Children live in
    /// stored arrays mutated in place (an enum payload would be copied on every append).
    final class Node {
        enum Kind { case unset, scalar, object, array }
        var kind = Kind.unset
        var scalar: JSONValue = .null
        var keys: [String] = []
        var children: [Node] = []

        var value: JSONValue {
            switch kind {
            case .unset: return .null
            case .scalar: return scalar
            case .object: return .object(JSONObject(zip(keys, children).map { (key: $0.0, value: $0.1.value) }))
            case .array: return .array(children.map(\.value))
            }
        }

        func setScalar(_ v: JSONValue) {
            kind = .scalar
            scalar = v
        }

        func child(forKey key: String) -> Node {
            makeObject()
            // Objects are small: a linear search keeps their member order.
            if let i = keys.firstIndex(of: key) { return children[i] }
            let n = Node()
            keys.append(key)
            children.append(n)
            return n
        }

        func makeObject() {
            if kind != .object { kind = .object; keys = []; children = [] }
        }

        func append() -> Node {
            makeArray()
            let n = Node()
            children.append(n)
            return n
        }

        func makeArray() {
            if kind != .array { kind = .array; children = [] }
        }
    }

    static func scalar<T: Encodable>(_ v: T) throws -> JSONValue? {
        switch v {
        case let x as String: return .string(x)
        case let x as Bool: return .bool(x)
        case let x as Int: return .number(String(x))
        case let x as Int64: return .number(String(x))
        case let x as Int32: return .number(String(x))
        case let x as UInt64: return .number(String(x))
        case let x as UInt32: return .number(String(x))
        case let x as UInt: return .number(String(x))
        case let x as Double:
            guard x.isFinite else { throw EncodingError.invalidValue(x, .init(codingPath: [], debugDescription: "not a finite number")) }
            if x == x.rounded() && abs(x) < 1e15 { return .number(String(Int64(x))) }
            return .number("\(x)")
        case let x as Float: return try scalar(Double(x))
        case let x as JSONValue: return x
        default: return nil
        }
    }

    static func put<T: Encodable>(_ v: T, into node: Node) throws {
        if let s = try scalar(v) { node.setScalar(s) } else { try v.encode(to: ValueEncoder(node: node, nulls: v is any ExplicitNulls)) }
    }

    struct ValueEncoder: Encoder {
        let node: Node
        /// Whether the value being encoded writes absent optionals as null (``ExplicitNulls``).
        var nulls = false
        var codingPath: [any CodingKey] = []
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            node.makeObject()
            return KeyedEncodingContainer(Keyed<Key>(node: node, nulls: nulls))
        }
        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            node.makeArray()
            return Unkeyed(node: node)
        }
        func singleValueContainer() -> any SingleValueEncodingContainer { Single(node: node) }
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let node: Node
        var nulls = false
        var codingPath: [any CodingKey] = []
        mutating func encodeNil(forKey key: Key) throws { node.child(forKey: key.stringValue).setScalar(.null) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try put(value, into: node.child(forKey: key.stringValue)) }

        // Absent optionals: left out, or null for ExplicitNulls types. Every overload the
        // synthesized code may call is here, or the protocol's default would skip the key.
        private mutating func present<T: Encodable>(_ value: T?, _ key: Key) throws {
            if let value { try encode(value, forKey: key) } else if nulls { try encodeNil(forKey: key) }
        }
        mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try present(value, key) }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            let c = node.child(forKey: key.stringValue)
            c.makeObject()
            return KeyedEncodingContainer(Keyed<NestedKey>(node: c))
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            let c = node.child(forKey: key.stringValue)
            c.makeArray()
            return Unkeyed(node: c)
        }
        mutating func superEncoder() -> any Encoder { ValueEncoder(node: node.child(forKey: "super")) }
        mutating func superEncoder(forKey key: Key) -> any Encoder { ValueEncoder(node: node.child(forKey: key.stringValue)) }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let node: Node
        var codingPath: [any CodingKey] = []
        var count: Int { node.kind == .array ? node.children.count : 0 }
        mutating func encodeNil() throws { node.append().setScalar(.null) }
        mutating func encode<T: Encodable>(_ value: T) throws { try put(value, into: node.append()) }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            let c = node.append()
            c.makeObject()
            return KeyedEncodingContainer(Keyed<NestedKey>(node: c))
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let c = node.append()
            c.makeArray()
            return Unkeyed(node: c)
        }
        mutating func superEncoder() -> any Encoder { ValueEncoder(node: node.append()) }
    }

    struct Single: SingleValueEncodingContainer {
        let node: Node
        var codingPath: [any CodingKey] = []
        mutating func encodeNil() throws { node.setScalar(.null) }
        mutating func encode<T: Encodable>(_ value: T) throws { try put(value, into: node) }
    }
}
