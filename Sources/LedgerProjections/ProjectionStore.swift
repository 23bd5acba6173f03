import Foundation
import LedgerStorage

/// One generation of a projection's state: an LMDB environment of four databases.
///
/// - `facts`: entity → window (min/max position, min/max occurred ms) ‖ query keys ‖ fact
///   (``FactCoder``), or a window with no fact when the entity's fact is nil (an as-of cut may
///   still give it one)
/// - `current`: query key ‖ entity ‖ u16 entity length → ∅ (the facts as they are now)
/// - `memo`: entity → what the projection remembers beside the fact (``Projection/memo(of:)``);
///   apart from `facts` so that queries never read it
/// - `meta`: `checkpoint`, `version`, `failure`
///
/// The checkpoint is written in the same transaction as the facts it covers, so a crash never
/// applies an event twice or skips one (and re-applying is idempotent anyway: facts are recomputed).
final class ProjectionStore: Sendable {
    let kv: KeyValueStore
    let directory: String

    static let databases = ["facts", "current", "memo", "meta"]

    init(directory: String) throws {
        self.directory = directory
        // 1 GiB of address space, not of disk: a rebuild's one transaction outgrew 64 MiB, and
        // each doubling of the map redid every put of it.
        kv = try KeyValueStore(path: directory, databases: Self.databases, initialMapSize: 1 << 30, derived: true)
    }

    /// The layout of fact records; a store written with another layout is rebuilt on start.
    static let format = 2

    struct Meta: Sendable {
        var checkpoint: UInt64
        var version: Int
        var format: Int
        var failure: ProjectionFailure?
    }

    func meta() throws -> Meta {
        try kv.read { r in try Self.meta(r) }
    }

    static func meta(_ r: KeyValueReader) throws -> Meta {
        let cp = try r.get("meta", key: Array("checkpoint".utf8)).map { Bytes.readUInt64($0) } ?? 0
        let v = try r.get("meta", key: Array("version".utf8)).map { Int(Bytes.readUInt64($0)) } ?? 0
        let f = try r.get("meta", key: Array("failure".utf8)).flatMap { try? JSONDecoder().decode(ProjectionFailure.self, from: Data($0)) }
        let format = try r.get("meta", key: Array("format".utf8)).map { Int(Bytes.readUInt64($0)) } ?? 0
        return Meta(checkpoint: cp, version: v, format: format, failure: f)
    }

    /// The checkpoint as `w`'s transaction sees it (the latest commit, under the write lock).
    static func checkpoint(_ w: KeyValueWriter) throws -> UInt64 {
        try w.get("meta", key: Array("checkpoint".utf8)).map { Bytes.readUInt64($0) } ?? 0
    }

    static func setCheckpoint(_ w: KeyValueWriter, _ p: UInt64) throws {
        try w.put("meta", key: Array("checkpoint".utf8), value: Bytes.uint64(p))
    }

    static func setVersion(_ w: KeyValueWriter, _ v: Int) throws {
        try w.put("meta", key: Array("version".utf8), value: Bytes.uint64(UInt64(v)))
        try w.put("meta", key: Array("format".utf8), value: Bytes.uint64(UInt64(format)))
    }

    static func setFailure(_ w: KeyValueWriter, _ f: ProjectionFailure?) throws {
        if let f {
            try w.put("meta", key: Array("failure".utf8), value: Array(try JSONEncoder().encode(f)))
        } else {
            try w.delete("meta", key: Array("failure".utf8))
        }
    }
}

/// A stored fact with the span of events it was computed from and its query keys
/// (`fact` nil: the entity has events but no fact).
struct FactRecord: Sendable {
    var window: FactWindow
    var keys: [QueryKey]
    var fact: [UInt8]?
    /// Stored in `memo`, not in the record.
    var memo: [UInt8]? = nil

    func encoded() -> [UInt8] {
        var b: [UInt8] = []
        b.reserveCapacity(41 + (fact?.count ?? 0) + keys.reduce(0) { $0 + $1.bytes.count + 2 })
        b += Bytes.uint64(window.minPosition)
        b += Bytes.uint64(window.maxPosition)
        b += Bytes.uint64(UInt64(bitPattern: window.minAt))
        b += Bytes.uint64(UInt64(bitPattern: window.maxAt))
        b += Bytes.uint16(keys.count)
        for k in keys {
            b += Bytes.uint16(k.bytes.count)
            b += k.bytes
        }
        if let fact {
            b.append(1)
            b += fact
        } else {
            b.append(0)
        }
        return b
    }

    init(window: FactWindow, keys: [QueryKey], fact: [UInt8]?, memo: [UInt8]? = nil) {
        self.window = window
        self.keys = keys
        self.fact = fact
        self.memo = memo
    }

    init(decoding b: [UInt8]) throws {
        guard b.count >= 34 else { throw ProjectionError("damaged fact record (\(b.count) bytes)") }
        window = FactWindow(minPosition: Bytes.readUInt64(b, at: 0), maxPosition: Bytes.readUInt64(b, at: 8),
                            minAt: Int64(bitPattern: Bytes.readUInt64(b, at: 16)),
                            maxAt: Int64(bitPattern: Bytes.readUInt64(b, at: 24)))
        let n = Bytes.readUInt16(b, at: 32)
        var i = 34
        var keys: [QueryKey] = []
        for _ in 0..<n {
            guard i + 2 <= b.count else { throw ProjectionError("damaged fact record keys") }
            let len = Bytes.readUInt16(b, at: i)
            i += 2
            guard i + len <= b.count else { throw ProjectionError("damaged fact record keys") }
            keys.append(QueryKey(bytes: Array(b[i..<(i + len)])))
            i += len
        }
        self.keys = keys
        guard i < b.count else { throw ProjectionError("damaged fact record (no fact flag)") }
        fact = b[i] == 1 ? Array(b[(i + 1)...]) : nil
    }

    /// Where the fact starts in an encoded record, or nil when the record has no fact (no copies).
    static func factOffset(_ b: [UInt8]) throws -> Int? {
        guard b.count >= 34 else { throw ProjectionError("damaged fact record (\(b.count) bytes)") }
        var i = 34
        for _ in 0..<Bytes.readUInt16(b, at: 32) {
            guard i + 2 <= b.count else { throw ProjectionError("damaged fact record keys") }
            i += 2 + Bytes.readUInt16(b, at: i)
        }
        guard i < b.count else { throw ProjectionError("damaged fact record (no fact flag)") }
        return b[i] == 1 ? i + 1 : nil
    }

    /// Only the window of a record in place: for scans that classify records by a cut.
    static func window(_ b: Span<UInt8>) throws -> FactWindow {
        guard b.count >= 34 else { throw ProjectionError("damaged fact record (\(b.count) bytes)") }
        func u64(_ o: Int) -> UInt64 {
            var v: UInt64 = 0
            for i in o..<(o + 8) { v = v << 8 | UInt64(b[i]) }
            return v
        }
        return FactWindow(minPosition: u64(0), maxPosition: u64(8),
                          minAt: Int64(bitPattern: u64(16)), maxAt: Int64(bitPattern: u64(24)))
    }

    /// Where the fact starts in an encoded record when it has a fact and one of its keys is in
    /// `ranges`; `nil` otherwise (nothing is copied).
    static func factOffset(_ b: [UInt8], ifAnyKeyIn ranges: [QueryKey.ClosedOpenRange]) throws -> Int? {
        guard b.count >= 34 else { throw ProjectionError("damaged fact record (\(b.count) bytes)") }
        var i = 34
        var hit = false
        for _ in 0..<Bytes.readUInt16(b, at: 32) {
            guard i + 2 <= b.count else { throw ProjectionError("damaged fact record keys") }
            let len = Bytes.readUInt16(b, at: i)
            i += 2
            guard i + len <= b.count else { throw ProjectionError("damaged fact record keys") }
            if !hit {
                let k = b[i..<(i + len)]
                hit = ranges.contains { !k.lexicographicallyPrecedes($0.lower.bytes) && k.lexicographicallyPrecedes($0.upper.bytes) }
            }
            i += len
        }
        guard i < b.count else { throw ProjectionError("damaged fact record (no fact flag)") }
        return hit && b[i] == 1 ? i + 1 : nil
    }

    /// Only the window (no keys, no fact copied): for scans that classify records by a cut.
    static func window(_ b: [UInt8]) throws -> FactWindow {
        guard b.count >= 34 else { throw ProjectionError("damaged fact record (\(b.count) bytes)") }
        return FactWindow(minPosition: Bytes.readUInt64(b, at: 0), maxPosition: Bytes.readUInt64(b, at: 8),
                          minAt: Int64(bitPattern: Bytes.readUInt64(b, at: 16)), maxAt: Int64(bitPattern: Bytes.readUInt64(b, at: 24)))
    }

    /// The scope-index key of `entity` under `key`.
    static func scopeKey(_ key: QueryKey, entity: [UInt8]) -> [UInt8] {
        key.bytes + entity + Bytes.uint16(entity.count)
    }

    /// ``scopeKey(_:entity:)``, laid straight into `keys` (a rebuild writes hundreds of thousands).
    static func addScopeKey(_ key: QueryKey, entity: [UInt8], to keys: inout SortedKeys) {
        keys.add(key.bytes, entity, Bytes.uint16(entity.count))
    }

    /// The entity of a scope-index key.
    static func entity(ofScopeKey k: [UInt8]) -> [UInt8] {
        let n = Bytes.readUInt16(k, at: k.count - 2)
        return Array(k[(k.count - 2 - n)..<(k.count - 2)])
    }
}

/// Why a projection stopped: the position of the event it could not apply and the error.
public struct ProjectionFailure: Sendable, Codable, Equatable {
    public var position: UInt64
    public var message: String
}

/// An error of the projection engine.
public struct ProjectionError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

enum Bytes {
    /// An entity key as a String (keys are the UTF-8 of Strings).
    static func string(_ b: Span<UInt8>) -> String {
        if let u = try? UTF8Span(validating: b) { return String(copying: u) }
        return String(decoding: b.copiedBytes, as: UTF8.self)
    }

    static func uint64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (56 - 8 * UInt64($0))) } }
    static func uint16(_ v: Int) -> [UInt8] { [UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)] }
    static func readUInt64(_ b: [UInt8], at o: Int = 0) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(b[o + i]) }
        return v
    }
    static func readUInt16(_ b: [UInt8], at o: Int) -> Int { Int(b[o]) << 8 | Int(b[o + 1]) }
}
