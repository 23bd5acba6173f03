import Foundation

/// An error of the storage layer, with a code to match on and a message for people.
public struct StorageError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let raw: String
        public var description: String { raw }
        /// An id already stored with different content (the batch stored nothing).
        public static let conflict = Code(raw: "conflict")
        /// A stored record fails its checksum or cannot be read.
        public static let corrupted = Code(raw: "corrupted")
        public static let invalidArgument = Code(raw: "invalid_argument")
        /// The store was closed.
        public static let closed = Code(raw: "closed")
        /// The producer of a streamed batch cancelled it (nothing was stored).
        public static let cancelled = Code(raw: "cancelled")
        /// LMDB failed (the cause says how).
        public static let lmdb = Code(raw: "lmdb")
        /// The append's ``AppendCondition`` no longer held when it was written (nothing was stored).
        public static let conditionFailed = Code(raw: "condition_failed")
    }

    /// One record whose id is taken by other content.
    public struct Conflict: Sendable, Equatable {
        /// The record's index in the request.
        public var recordIndex: Int
        /// The position holding its id, or nil when the id is an earlier record of the same request.
        public var existingPosition: UInt64?
        public var message: String

        /// Record `index` reuses the id stored at `position`.
        static func stored(_ index: Int, at position: UInt64) -> Conflict {
            Conflict(recordIndex: index, existingPosition: position, message: "id already stored at position \(position) with different content")
        }

        /// Record `index` reuses the id of record `first` of the same request.
        static func repeated(_ index: Int, firstAt first: Int) -> Conflict {
            Conflict(recordIndex: index, existingPosition: nil, message: "id repeated in the batch with different content (first at index \(first))")
        }
    }

    public var code: Code
    public var message: String
    /// For `.conflict`: the (first) record's index in the request and the position already holding its id.
    public var recordIndex: Int?
    public var existingPosition: UInt64?
    /// For `.conflict`: the conflicting records of the request, in order (the first is the one
    /// above), so a producer can mend them all at once: at most ``maxConflictsListed`` of them.
    public var conflicts: [Conflict] = []
    /// For `.conflict`: how many records of the request conflict (listed or not).
    public var conflictCount = 0
    /// A re-sent file of a million changed events makes a million conflicts: the first ones tell
    /// what is wrong, the count how much.
    public static let maxConflictsListed = 1000
    public var cause: (any Error)?

    init(_ code: Code, _ message: String, recordIndex: Int? = nil, existingPosition: UInt64? = nil, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.recordIndex = recordIndex
        self.existingPosition = existingPosition
        self.cause = cause
    }

    /// The `.conflict` naming the conflicts of a request (`count` of them in all); `conflicts`
    /// must not be empty.
    static func conflicting(_ conflicts: [Conflict], count: Int) -> StorageError {
        var e = StorageError(.conflict, conflicts[0].message, recordIndex: conflicts[0].recordIndex, existingPosition: conflicts[0].existingPosition)
        e.conflicts = conflicts
        e.conflictCount = count
        return e
    }

    public var description: String { message }

    /// The operating system's words (`No such file or directory`, `Not a directory`, …) for a
    /// Foundation file error or a POSIX error, or nil for any other error.
    public static func systemReason(of error: any Error) -> String? {
        let ns = error as NSError
        // On Linux the underlying error is a `POSIXError` value, which `as? NSError` misses.
        if let underlying = (ns.userInfo[NSUnderlyingErrorKey] as? any Error).map({ $0 as NSError }),
           underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return ns.domain == NSPOSIXErrorDomain ? String(cString: strerror(Int32(ns.code))) : nil
    }
}

extension StorageError.Code {
    /// Lets callers write `catch StorageError.Code.conflict`.
    public static func ~= (pattern: StorageError.Code, value: any Error) -> Bool {
        (value as? StorageError)?.code == pattern
    }
}
