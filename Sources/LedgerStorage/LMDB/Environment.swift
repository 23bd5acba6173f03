import CLMDB
import Foundation
import Synchronization

/// Options for opening an LMDB environment.
package struct EnvironmentConfiguration: Sendable {
    /// Initial map size in bytes. Grown on `MDB_MAP_FULL`; large is cheap (address space, not disk).
    package var mapSize: Int = 1 << 30
    /// LMDB's reader table size (`maxreaders`): pool × processes + slack.
    package var maxReaders: UInt32 = 126
    /// Read transactions this process keeps open at once (the pool's bound).
    package var readerPoolSize: Int = 16
    package var maxDatabases: UInt32 = 16
    package var readOnly = false
    /// `MDB_NOMETASYNC`: one fsync per commit instead of two; a system crash may undo the last
    /// commit, never corrupt. For derived data only.
    package var noMetaSync = false
}

/// One LMDB environment (a directory holding `data.mdb` and `lock.mdb`).
///
/// Opened with `MDB_NOTLS` so read transactions are not tied to threads; reads go through a
/// bounded pool of reusable read transactions (`reset`/`renew`). Writes must come from one thread
/// at a time (``LogStore`` owns the writer thread). Map growth waits for in-flight reads
/// (a read–write lock), as `mdb_env_set_mapsize` requires no live transaction in the process.
// @unchecked: the handle is used per LMDB's threading rules (NOTLS readers, one writer thread),
// and the mutable state lives behind `Mutex` and the rwlock.
package final class Environment: @unchecked Sendable {
    let env: OpaquePointer
    package let path: String
    package let configuration: EnvironmentConfiguration
    /// Stale reader slots cleared when the environment was opened.
    package let staleReadersCleared: Int

    private let resizeLock: UnsafeMutablePointer<pthread_rwlock_t>
    private let pool = Mutex<[PooledReader]>([])
    private let slots: DispatchSemaphore
    private let removeOnClose: Bool

    /// Opens (creating when needed) the environment in directory `path`; with `removeOnClose` the
    /// directory is deleted when the environment is closed (a scratch environment).
    package init(path: String, configuration: EnvironmentConfiguration = .init(), removeOnClose: Bool = false) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            // Foundation's error printed as a dictionary dump; the system's reason says it all.
            guard let reason = StorageError.systemReason(of: error) else { throw error }
            throw StorageError(.invalidArgument, "cannot create the directory \(path): \(reason)")
        }
        var e: OpaquePointer?
        try check(mdb_env_create(&e))
        guard let e else { throw LMDBError(code: ENOMEM) }
        do {
            try check(mdb_env_set_mapsize(e, configuration.mapSize))
            try check(mdb_env_set_maxreaders(e, configuration.maxReaders))
            try check(mdb_env_set_maxdbs(e, configuration.maxDatabases))
            var flags = UInt32(MDB_NOTLS)
            if configuration.readOnly { flags |= UInt32(MDB_RDONLY) }
            if configuration.noMetaSync { flags |= UInt32(MDB_NOMETASYNC) }
            try check(mdb_env_open(e, path, flags, 0o644))
        } catch {
            mdb_env_close(e)
            throw error
        }
        var dead: Int32 = 0
        mdb_reader_check(e, &dead)
        self.env = e
        self.path = path
        self.configuration = configuration
        self.staleReadersCleared = Int(dead)
        self.resizeLock = .allocate(capacity: 1)
        pthread_rwlock_init(resizeLock, nil)
        self.slots = DispatchSemaphore(value: max(1, configuration.readerPoolSize))
        self.removeOnClose = removeOnClose
    }

    deinit {
        for t in pool.withLock({ $0 }) { mdb_txn_abort(t.txn) }
        mdb_env_close(env)
        pthread_rwlock_destroy(resizeLock)
        resizeLock.deallocate()
        if removeOnClose { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Opens (or creates) a named database. Call at start-up only, before concurrent use.
    package func openDatabase(_ name: String, duplicateSort: Bool = false, fixedSizeDuplicates: Bool = false) throws -> Database {
        var flags = UInt32(configuration.readOnly ? 0 : MDB_CREATE)
        if duplicateSort { flags |= UInt32(MDB_DUPSORT) }
        if fixedSizeDuplicates { flags |= UInt32(MDB_DUPFIXED) }
        var txn: OpaquePointer?
        // A read-only environment opens its handles in a read-only transaction; committing keeps them.
        try check(mdb_txn_begin(env, nil, configuration.readOnly ? UInt32(MDB_RDONLY) : 0, &txn))
        var dbi: MDB_dbi = 0
        let rc = mdb_dbi_open(txn, name, flags, &dbi)
        guard rc == 0 else {
            mdb_txn_abort(txn)
            throw LMDBError(code: rc)
        }
        try check(mdb_txn_commit(txn))
        return Database(dbi: dbi)
    }

    /// Deletes the named database and its contents when it exists (for layout migrations).
    package func dropDatabaseIfPresent(_ name: String) throws {
        var txn: OpaquePointer?
        try check(mdb_txn_begin(env, nil, 0, &txn))
        var dbi: MDB_dbi = 0
        let rc = mdb_dbi_open(txn, name, 0, &dbi)
        if rc == MDB_NOTFOUND {
            mdb_txn_abort(txn)
            return
        }
        guard rc == 0 else {
            mdb_txn_abort(txn)
            throw LMDBError(code: rc)
        }
        let drc = mdb_drop(txn, dbi, 1)
        guard drc == 0 else {
            mdb_txn_abort(txn)
            throw LMDBError(code: drc)
        }
        try check(mdb_txn_commit(txn))
    }

    // MARK: Reads

    /// Runs `body` in a read-only snapshot. Keep it short: a long read pins old pages.
    ///
    /// `body` must not keep the transaction or any bytes it lends.
    package func read<R>(_ body: (Transaction) throws -> R) throws -> R {
        slots.wait()
        defer { slots.signal() }
        while true {
            pthread_rwlock_rdlock(resizeLock)
            var txn = pool.withLock { $0.popLast() }?.txn
            var rc: Int32
            if let t = txn {
                rc = mdb_txn_renew(t)
                if rc != 0 { mdb_txn_abort(t); txn = nil }
            } else {
                rc = mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn)
            }
            if rc == MDB_MAP_RESIZED {
                pthread_rwlock_unlock(resizeLock)
                try adoptMapSizeFromOtherProcess()
                continue
            }
            guard rc == 0, let t = txn else {
                pthread_rwlock_unlock(resizeLock)
                throw LMDBError(code: rc)
            }
            defer {
                mdb_txn_reset(t)
                pool.withLock { $0.append(PooledReader(txn: t)) }
                pthread_rwlock_unlock(resizeLock)
            }
            return try body(Transaction(txn: t))
        }
    }

    // MARK: Writes

    /// Runs `body` in a write transaction and commits it; any throw aborts it.
    ///
    /// Must be called from one thread at a time (LMDB serialises writers, and a thread may hold
    /// only one write transaction). `body` must be synchronous: never suspend inside it.
    package func writeTransaction<R>(_ body: (Transaction) throws -> R) throws -> R {
        while true {
            var txn: OpaquePointer?
            let rc = mdb_txn_begin(env, nil, 0, &txn)
            if rc == MDB_MAP_RESIZED {
                try adoptMapSizeFromOtherProcess()
                continue
            }
            try check(rc)
            guard let t = txn else { throw LMDBError(code: EINVAL) }
            let result: R
            do {
                result = try body(Transaction(txn: t))
            } catch {
                mdb_txn_abort(t)
                throw error
            }
            try check(mdb_txn_commit(t))
            return result
        }
    }

    // MARK: Map size

    /// The current map size in bytes.
    package var mapSize: Int {
        var info = MDB_envinfo()
        mdb_env_info(env, &info)
        return info.me_mapsize
    }

    /// Grows the map to at least `bytes`, waiting for in-flight reads of this process to finish.
    /// Call with no write transaction open.
    package func growMap(to bytes: Int) throws {
        pthread_rwlock_wrlock(resizeLock)
        defer { pthread_rwlock_unlock(resizeLock) }
        // Pooled (reset) read transactions hold no snapshot, but drop them so none outlives the old map.
        for t in pool.withLock({ p in defer { p.removeAll() }; return p }) { mdb_txn_abort(t.txn) }
        if bytes > mapSize { try check(mdb_env_set_mapsize(env, bytes)) }
    }

    private func adoptMapSizeFromOtherProcess() throws {
        pthread_rwlock_wrlock(resizeLock)
        defer { pthread_rwlock_unlock(resizeLock) }
        for t in pool.withLock({ p in defer { p.removeAll() }; return p }) { mdb_txn_abort(t.txn) }
        try check(mdb_env_set_mapsize(env, 0))
    }

    // MARK: Maintenance

    /// Clears reader slots left by dead processes; returns how many were cleared.
    package func clearStaleReaders() -> Int {
        var dead: Int32 = 0
        mdb_reader_check(env, &dead)
        return Int(dead)
    }

    /// Writes a hot copy of the environment's `data.mdb` into directory `target` (created when
    /// absent; an existing `data.mdb` there is an error), compacted: free pages omitted and pages renumbered.
    package func copy(to target: String, compact: Bool = true) throws {
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        try check(mdb_env_copy2(env, target, compact ? UInt32(MDB_CP_COMPACT) : 0))
    }

    /// Map and reader figures for `stats` and metrics.
    package func info() -> EnvironmentInfo {
        var info = MDB_envinfo()
        mdb_env_info(env, &info)
        var st = MDB_stat()
        mdb_env_stat(env, &st)
        let fileSize = (try? FileManager.default.attributesOfItem(atPath: path + "/data.mdb")[.size] as? Int) ?? 0
        return EnvironmentInfo(mapSize: info.me_mapsize, usedBytes: (info.me_last_pgno + 1) * Int(st.ms_psize),
                               fileSize: fileSize, pageSize: Int(st.ms_psize),
                               readersUsed: Int(info.me_numreaders), maxReaders: Int(info.me_maxreaders))
    }
}

/// Size and reader figures of an environment.
public struct EnvironmentInfo: Sendable, Codable, Equatable {
    public var mapSize: Int
    public var usedBytes: Int
    public var fileSize: Int
    public var pageSize: Int
    public var readersUsed: Int
    public var maxReaders: Int
}

/// A reset read transaction waiting in the pool for reuse.
// @unchecked: a pooled handle is held by exactly one reader at a time (taken and returned under the mutex).
struct PooledReader: @unchecked Sendable {
    let txn: OpaquePointer
}
