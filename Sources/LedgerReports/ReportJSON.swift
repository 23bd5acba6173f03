import Foundation
import LedgerEvents

/// Counts keyed by name, encoded as a JSON object in a fixed key order (every key present).
public struct OrderedCounts: Codable, Sendable, Equatable {
    public var keys: [String]
    public var values: [String: Double]

    public init(keys: [String]) {
        self.keys = keys
        values = Dictionary(uniqueKeysWithValues: keys.map { ($0, 0) })
    }

    public subscript(_ k: String) -> Double {
        get { values[k] ?? 0 }
        set {
            if values[k] == nil { keys.append(k) }
            values[k] = newValue
        }
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        for k in keys {
            let v = values[k] ?? 0
            try c.encode(v, forKey: Key(stringValue: k))
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        keys = c.allKeys.map(\.stringValue)
        values = [:]
        for k in c.allKeys { values[k.stringValue] = try c.decode(Double.self, forKey: k) }
    }
}

/// A share that is 0 over nothing (never NaN).
@inline(__always) func share(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }
@inline(__always) func mean(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count) }


/// JSON encoding of reports: the spec's names, keys in declaration order, the same text every time.
public func reportJSON<T: Encodable>(_ value: T) throws -> String {
    try OrderedJSONEncoder.string(value)
}
