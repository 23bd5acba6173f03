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
    }

    public var code: Code
    public var message: String
    /// For `.invalidEvents`: every problem, by event and field.
    public var issues: [ValidationIssue]
    /// For `.conflict`: the offending event's index in the batch, its id, and where that id is stored.
    public var eventIndex: Int?
    public var eventID: String?
    public var existingPosition: UInt64?

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
                let id = s.recordIndex.flatMap { records.indices.contains($0) ? String(decoding: records[$0].id, as: UTF8.self) : nil }
                var m = "event \(s.recordIndex ?? -1)"
                if let id { m += " (id \"\(id)\")" }
                m += ": id: " + s.message + "; nothing was stored. Send a new id for new content."
                return LedgerError(.conflict, m, eventIndex: s.recordIndex, eventID: id, existingPosition: s.existingPosition)
            case .corrupted:
                return LedgerError(.corrupted, s.message + ". Run `call-ledger verify` and restore from a backup.")
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
