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
    }

    public var code: Code
    public var message: String
    /// For `.conflict`: the record's index in the request and the position already holding its id.
    public var recordIndex: Int?
    public var existingPosition: UInt64?
    public var cause: (any Error)?

    init(_ code: Code, _ message: String, recordIndex: Int? = nil, existingPosition: UInt64? = nil, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.recordIndex = recordIndex
        self.existingPosition = existingPosition
        self.cause = cause
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
