import LedgerEvents
import LedgerStorage

/// Why the event log refused or failed an operation. Nothing of a refused batch is stored.
public struct LedgerError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// Some events break wire format v1 (see ``issues``).
        case invalidEvents
        /// An id is already stored with different content.
        case conflict
        /// The stored log is damaged or unreadable.
        case corrupted
        /// Storage failed (disk, LMDB).
        case storage
        /// An append's precondition no longer held when it was written (nothing was stored): the
        /// caller decides again on what the log holds now.
        case conditionFailed
    }

    public var code: Code
    public var message: String
    /// For `.invalidEvents`: every problem, by event and field.
    public var issues: [ValidationIssue]
    /// For `.conflict`: the (first) offending event's index in the batch, its id, and where that id is stored.
    public var eventIndex: Int?
    public var eventID: String?
    public var existingPosition: UInt64?
    /// For `.conflict`: the conflicting events in batch order, the first one above included (at
    /// most a thousand are listed: see ``conflictCount``).
    public var conflicts: [Conflict] = []
    /// For `.conflict`: how many events of the batch conflict.
    public var conflictCount = 0

    /// An event whose id is already taken by other content.
    public struct Conflict: Sendable, Equatable {
        /// Its index in the batch.
        public var eventIndex: Int
        public var eventID: String
        /// Where its id is stored; nil when the id is an earlier event of the same batch.
        public var existingPosition: UInt64?

        public init(eventIndex: Int, eventID: String, existingPosition: UInt64?) {
            self.eventIndex = eventIndex
            self.eventID = eventID
            self.existingPosition = existingPosition
        }
    }

    init(_ code: Code, _ message: String, issues: [ValidationIssue] = [], eventIndex: Int? = nil,
         eventID: String? = nil, existingPosition: UInt64? = nil) {
        self.code = code
        self.message = message
        self.issues = issues
        self.eventIndex = eventIndex
        self.eventID = eventID
        self.existingPosition = existingPosition
    }

    public var description: String { message }

    static func from(_ error: any Error, records: [PendingRecord]) -> LedgerError {
        if let e = error as? LedgerError { return e }
        if let s = error as? StorageError {
            switch s.code {
            case .conflict:
                func id(_ k: Int) -> String? { records.indices.contains(k) ? String(decoding: records[k].id, as: UTF8.self) : nil }
                let first = s.recordIndex.flatMap(id)
                var m = "event \(s.recordIndex ?? -1)"
                if let first { m += " (id \"\(first)\")" }
                m += ": id: " + s.message
                if s.conflictCount > 1 { m += "; and \(s.conflictCount - 1) more event\(s.conflictCount == 2 ? "" : "s") with the id of other content" }
                m += "; nothing was stored. Send a new id for new content."
                var e = LedgerError(.conflict, m, eventIndex: s.recordIndex, eventID: first, existingPosition: s.existingPosition)
                e.conflicts = s.conflicts.map { Conflict(eventIndex: $0.recordIndex, eventID: id($0.recordIndex) ?? "", existingPosition: $0.existingPosition) }
                e.conflictCount = s.conflictCount
                return e
            case .corrupted:
                return LedgerError(.corrupted, s.message + ". Run `call-ledger verify` and restore from a backup.")
            case .conditionFailed:
                return LedgerError(.conditionFailed, s.message + "; nothing was stored.")
            default:
                return LedgerError(.storage, s.message)
            }
        }
        if let d = error as? EventCodec.DecodingError { return LedgerError(.corrupted, d.description) }
        return LedgerError(.storage, "\(error)")
    }
}

extension LedgerError {
    /// The operating system's words for a Foundation file error or a POSIX error, or nil (for the
    /// CLI's and the server's messages).
    public static func systemReason(of error: any Error) -> String? { StorageError.systemReason(of: error) }
}
