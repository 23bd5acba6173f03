import CLMDB

/// An error from LMDB, with its code and LMDB's own message.
///
/// Match named codes with `catch LMDBError.mapFull` or `if error == .notFound`.
public struct LMDBError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The raw return code: negative for LMDB's own codes, positive for `errno` values.
    public let code: Int32

    // Not public: callers are not supposed to build errors from raw codes.
    init(code: Int32) { self.code = code }

    public static let keyExists = LMDBError(code: MDB_KEYEXIST)
    public static let notFound = LMDBError(code: MDB_NOTFOUND)
    public static let mapFull = LMDBError(code: MDB_MAP_FULL)
    public static let readersFull = LMDBError(code: MDB_READERS_FULL)
    public static let mapResized = LMDBError(code: MDB_MAP_RESIZED)
    public static let badTransaction = LMDBError(code: MDB_BAD_TXN)
    public static let badValueSize = LMDBError(code: MDB_BAD_VALSIZE)
    public static let transactionFull = LMDBError(code: MDB_TXN_FULL)
    public static let badReaderSlot = LMDBError(code: MDB_BAD_RSLOT)

    public var message: String { String(cString: mdb_strerror(code)) }
    public var description: String { "LMDB error \(code): \(message)" }

    public static func ~= (pattern: LMDBError, value: any Error) -> Bool {
        (value as? LMDBError)?.code == pattern.code
    }
}

@inline(__always) func check(_ rc: Int32) throws(LMDBError) {
    if rc != 0 { throw LMDBError(code: rc) }
}
