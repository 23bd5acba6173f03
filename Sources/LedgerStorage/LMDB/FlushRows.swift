import CLMDB
import Foundation

/// Index keys of one flush with their positions: the keys' bytes side by side in one buffer, rows
/// of (offset, length, position), sorted by key bytes then position.
struct FlushRows: Sendable {
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

    /// Adds the key made of `parts` one after another, without building it first.
    mutating func add(parts: [[UInt8]], _ position: UInt64) {
        let offset = bytes.count
        for p in parts { bytes.append(contentsOf: p) }
        rows.append((offset, bytes.count - offset, position))
    }

    /// Room for `rows` more rows of `bytes` more key bytes: merging many parts grew (copied and
    /// page-faulted) the buffers once per doubling.
    mutating func reserve(rows more: Int, bytes moreBytes: Int) {
        rows.reserveCapacity(rows.count + more)
        bytes.reserveCapacity(bytes.count + moreBytes)
    }

    var byteCount: Int { bytes.count }

    /// Adds every row of `other`, keeping their positions.
    mutating func append(_ other: FlushRows) {
        let base = bytes.count
        bytes.append(contentsOf: other.bytes)
        rows.append(contentsOf: other.rows.lazy.map { ($0.offset + base, $0.count, $0.position) })
    }

    var count: Int { rows.count }

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

/// Keys gathered in any order, to be written in the order LMDB keeps them: their bytes side by
/// side in one buffer. Arrays of key arrays, sorted and then read in sorted order, were a cache
/// miss per key (a rebuild writes hundreds of thousands of them).
public struct SortedKeys: Sendable {
    var rows: FlushRows

    public init(capacity: Int = 0) { rows = FlushRows(capacity: capacity) }

    /// The keys of every part, in one buffer sized once.
    public init(merging parts: [SortedKeys]) {
        rows = FlushRows(capacity: 0)
        rows.reserve(rows: parts.reduce(0) { $0 + $1.count }, bytes: parts.reduce(0) { $0 + $1.rows.byteCount })
        for p in parts { rows.append(p.rows) }
    }

    /// Adds the key made of `parts` one after another.
    public mutating func add(_ parts: [UInt8]...) {
        rows.add(parts: parts, UInt64(rows.count))
    }

    public var count: Int { rows.count }
}

extension KeyValueWriter {
    /// Puts each distinct key of `keys` into `db` with an empty value, in key order (append
    /// puts: `db` must hold no key after the first of them).
    public func putDistinct(_ db: String, _ keys: consuming SortedKeys) throws {
        var rows = keys.rows
        rows.sort()
        let d = try store.db(db)
        var previous: UnsafeRawBufferPointer?
        try rows.forEach { key, _ in
            if let p = previous, p.count == key.count, key.count == 0 || memcmp(p.baseAddress!, key.baseAddress!, key.count) == 0 {
                return
            }
            try txn.put(d, key, [], flags: MDB_APPEND)
            previous = key
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

/// Tells which of a flush's rows, taken in key order, sort after every key an index held when
/// the flush began (`last`, nil when it was empty): those can be put with `MDB_APPEND`.
struct PastTheEnd {
    private let last: [UInt8]?
    private var reached: Bool
    /// The previous row's key, once past the end (a key equal to it is not past the index's new end).
    private var previous: [UInt8] = []

    init(_ last: [UInt8]?) {
        self.last = last
        reached = last == nil
    }

    /// Whether `key` (the next row's, in order) can be appended. With `distinct: false` rows may
    /// repeat a key, and a repeat is not appendable (LMDB's append refuses a key equal to the last).
    mutating func admits(_ key: UnsafeRawBufferPointer, distinct: Bool) -> Bool {
        if !reached {
            guard let last, Self.sortsAfter(key, last) else { return false }
            reached = true
        } else if !distinct && !previous.isEmpty && Self.equal(key, previous) {
            return false
        }
        if !distinct { previous.removeAll(keepingCapacity: true); previous.append(contentsOf: key) }
        return true
    }

    /// ``admits(_:distinct:)`` of a key held in an array.
    mutating func admits(_ key: [UInt8], distinct: Bool) -> Bool {
        key.withUnsafeBytes { admits($0, distinct: distinct) }
    }

    /// LMDB's default key order: bytes as unsigned, then the shorter first.
    static func sortsAfter(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Bool {
        b.withUnsafeBytes { b in
            let n = min(a.count, b.count)
            let c = n == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, n)
            return c != 0 ? c > 0 : a.count > b.count
        }
    }

    private static func equal(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Bool {
        a.count == b.count && b.withUnsafeBytes { b in a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 }
    }
}
