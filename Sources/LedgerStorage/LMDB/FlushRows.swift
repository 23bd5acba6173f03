import Foundation

/// Index keys of one flush with their positions: the keys' bytes side by side in one buffer, rows
/// of (offset, length, position), sorted by key bytes then position.
struct FlushRows {
    private var bytes: [UInt8] = []
    private var rows: [(offset: Int, count: Int, position: UInt64)] = []

    init(capacity: Int) {
        rows.reserveCapacity(capacity)
        bytes.reserveCapacity(capacity * 16)
    }

    mutating func add(_ key: [UInt8], _ position: UInt64) {
        rows.append((bytes.count, key.count, position))
        bytes.append(contentsOf: key)
    }

    mutating func sort() {
        bytes.withUnsafeBytes { b in
            rows.sort { x, y in
                let n = min(x.count, y.count)
                let c = n == 0 ? 0 : memcmp(b.baseAddress! + x.offset, b.baseAddress! + y.offset, n)
                if c != 0 { return c < 0 }
                return x.count != y.count ? x.count < y.count : x.position < y.position
            }
        }
    }

    /// Calls `body` with each key (borrowed: valid only during the call) and position, in order.
    func forEach(_ body: (UnsafeRawBufferPointer, UInt64) throws -> Void) rethrows {
        try bytes.withUnsafeBytes { b in
            for r in rows { try body(UnsafeRawBufferPointer(rebasing: b[r.offset..<(r.offset + r.count)]), r.position) }
        }
    }
}

/// The order LMDB keeps keys in (bytes compared with `memcmp`, a prefix first), for callers that
/// write many keys in that order (append puts). Sorting `[[UInt8]]` with a generic
/// lexicographic compare (byte by byte, a retain and release per move) was a tenth of a rebuild.
public enum KeyOrder {
    /// The indices of `keys` in ascending key order (stable for equal keys).
    public static func sortedIndices(_ keys: [[UInt8]]) -> [Int] {
        // The index flush's rows, with each key's index as its "position": the tie-break that
        // keeps equal keys in input order.
        var rows = FlushRows(capacity: keys.count)
        for (k, key) in keys.enumerated() { rows.add(key, UInt64(k)) }
        rows.sort()
        var order: [Int] = []
        order.reserveCapacity(keys.count)
        rows.forEach { _, k in order.append(Int(k)) }
        return order
    }
}
