import Dispatch
import Foundation
import LedgerEvents
import LedgerLog
import LedgerSimulator
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The four targets. Each repetition runs the baseline(s) and ours back to back, every write run
/// on an empty directory after `rm -rf; sync; sleep settle`.
struct Bench {
    let n: Int
    let reps: Int
    let workDir: String
    let scratch: String
    let anchors: Anchors
    let settle: Double
    let breakdown: Bool
    let cliPath: String
    /// The configuration of every log under test.
    var logConfiguration = EventLogConfiguration()

    var conditions: [String: String] = [:]
    var rows: [Row] = []
    var notes: [String] = []
    var breakdownFigures: [String: Double] = [:]
    var breakdownLines: [String] = []

    /// The workload: N simulator events, as an NDJSON file and parsed.
    var ndjsonPath = ""
    var ndjsonBytes = 0
    var events: [Event] = []
    /// A database of our log holding `events` (left by the append target, else built for reads).
    var oursDB: String?
    /// --breakdown: the C replayer of our write pattern and its input, made on first use.
    var replay: (bin: String, input: String)?
    var replayFailed = false

    init(n: Int, reps: Int, workDir: String, scratch: String, anchors: Anchors, settle: Double, breakdown: Bool, cliPath: String) {
        self.n = n
        self.reps = reps
        self.workDir = workDir
        self.scratch = scratch
        self.anchors = anchors
        self.settle = settle
        self.breakdown = breakdown
        self.cliPath = cliPath
    }

    private func dir(_ name: String) -> String { workDir + "/" + name }
    private func reset(_ name: String) -> String {
        let d = dir(name)
        resetDirectory(d, settle: settle)
        return d
    }

    private mutating func addBreakdown(_ key: String, _ value: Double, _ line: String) {
        breakdownFigures[key] = value
        breakdownLines.append(line)
    }

    // MARK: Workload

    mutating func prepareEvents(needed: Int) throws {
        var cfg = SimulatorConfiguration()
        cfg.seed = 1
        cfg.maxEvents = needed
        cfg.days = Self.daysNeeded(for: needed, cfg)
        note("generating \(thousands(needed)) simulator events (\(cfg.days) days max) …")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(needed * 230)
        let t0 = now()
        let summary = TrafficSimulator(cfg).generateUTF8 { line in
            bytes.append(contentsOf: line)
            bytes.append(10)
        }
        let tGen = now() - t0
        guard summary.events == needed else {
            throw BenchError("the simulator produced \(summary.events) of \(needed) events")
        }
        ndjsonPath = dir("events.ndjson")
        try Data(bytes).write(to: URL(fileURLWithPath: ndjsonPath))
        ndjsonBytes = bytes.count
        let t1 = now()
        switch NDJSONReader.parse(bytes) {
        case .success(let e): events = e
        case .failure(let err): throw BenchError("simulator output does not validate: \(err.issues.prefix(3))")
        }
        let tParse = now() - t1
        let avg = Double(bytes.count) / Double(needed)
        conditions["workload"] = "\(thousands(needed)) simulator events (seed 1, \(summary.days) days), NDJSON \(fmt(Double(bytes.count) / 1e6, 1)) MB, mean line \(fmt(avg, 1)) B (+ newline)"
        out("  \(pad("workload", 12)) \(conditions["workload"]!)")
        out("  \(pad("", 12)) generated in \(fmt(tGen, 2)) s, parsed+validated (NDJSONReader, all cores) in \(fmt(tParse, 2)) s = \(rate(Double(needed) / tParse)) ev/s")
        out()
    }

    /// As `simulate --events N`: days measured on one simulated week, with a wide margin.
    static func daysNeeded(for n: Int, _ cfg: SimulatorConfiguration) -> Int {
        var probe = cfg
        probe.days = 7
        probe.maxEvents = nil
        let week = TrafficSimulator(probe).generateUTF8 { _ in }.events
        let perDay = max(1, Double(week) / 7)
        return Int(min((Double(n) / perDay) * 1.5 + 8, 1_000_000))
    }

    /// Runs the C replay of our LMDB write pattern over the first `count` events (breakdown only).
    mutating func replayLayout(count: Int, batch: Int, sync: Bool, lookup: Bool, name: String,
                               dbs: String = "log,ids,time,call,client,lead,department,agent") -> AnchorRun? {
        if replay == nil && !replayFailed {
            let (bin, why) = LayoutReplay.compile(binDir: anchors.binDir, scratch: scratch)
            if let bin {
                let input = dir("replay.bin")
                do {
                    try LayoutReplay.writeInput(events, to: input)
                    replay = (bin, input)
                } catch {
                    replayFailed = true
                    notes.append("layout replay skipped: \(error)")
                }
            } else {
                replayFailed = true
                notes.append("layout replay skipped: \(why ?? "?")")
            }
        }
        guard let replay else { return nil }
        // The replayer reads all events of the file; a shorter run uses a truncated copy.
        var input = replay.input
        if count < events.count {
            input = dir("replay-\(count).bin")
            if !FileManager.default.fileExists(atPath: input) {
                try? LayoutReplay.writeInput(Array(events.prefix(count)), to: input)
            }
        }
        let d = reset("c-replay")
        let r = anchors.measure([replay.bin, d, input, "\(batch)", sync ? "sync" : "nosync", lookup ? "lookup" : "nolookup", name, dbs],
                                scratch: scratch)
        try? FileManager.default.removeItem(atPath: d)
        return r
    }

    // MARK: Target 1: library append, batches of 1,000, durable

    mutating func targetAppend() async throws {
        let b = 1000
        out("## [1] library append of pre-built events, batches of \(b), durable, N = \(thousands(n))")
        out("    (ours writes the record AND the id, time and entity indexes; the C row is one mdb_put of ~200 B per event)")
        let batches: [[Event]] = stride(from: 0, to: n, by: b).map { Array(events[$0..<min($0 + b, n)]) }
        var ours: [Double] = [], oursP50: [Double] = [], oursP99: [Double] = [], used: [Double] = []
        var cpuShare: [Double] = [], wcharPerEvent: [Double] = [], cpuNs: [Double] = [], commitShare: [Double] = []
        var c: [AnchorRun] = [], s: [AnchorRun] = [], p: [AnchorRun] = []
        // The baselines store payloads serialized beforehand; so does this second run of ours
        // (row 1d): the same batches encoded by EventLog.prepare first, outside the clock.
        let prepared = batches.map { EventLog.prepare($0) }
        var oursPrepared: [Double] = []
        for rep in 1...reps {
            if let exe = anchors.lmdbAppend {
                let d = reset("c-lmdb")
                if let r = anchors.measure([exe, d, "\(n)", "\(b)", "sync", "L-s1k"], scratch: scratch) { c.append(r) }
            }
            let d = reset("ours-append")
            let log = try EventLog(directory: d, configuration: logConfiguration)
            var lat: [Double] = []
            lat.reserveCapacity(batches.count)
            // Time inside the writer's commits (transaction, fsync, answers): the rest of an
            // append call is encoding on the caller's thread and the hand-offs.
            let inCommits = Mutex(0.0)
            log.observeCommits { st in
                inCommits.withLock { $0 += Double(st.duration.components.attoseconds) / 1e18 + Double(st.duration.components.seconds) }
            }
            let k0 = Counters.snapshot()
            let t0 = now()
            for batch in batches {
                let a = now()
                let r = try await log.append(batch)
                lat.append(now() - a)
                precondition(r.appended == batch.count, "expected fresh appends")
            }
            let el = now() - t0
            let k = Counters.snapshot() - k0
            commitShare.append(inCommits.withLock { $0 } / el)
            cpuShare.append(k.cpu / el)
            cpuNs.append(k.cpu / Double(n) * 1e9)
            wcharPerEvent.append(k.wchar / Double(n))
            let st = try log.stats()
            log.close()
            precondition(st.events == n)
            ours.append(Double(n) / el)
            oursP50.append(percentile(lat, 50) * 1e6)
            oursP99.append(percentile(lat, 99) * 1e6)
            used.append(Double(st.usedBytes))
            oursDB = d
            do {
                let d = reset("ours-prepared")
                let log = try EventLog(directory: d, configuration: logConfiguration)
                let t0 = now()
                for batch in prepared { _ = try await log.append(batch) }
                oursPrepared.append(Double(n) / (now() - t0))
                log.close()
                try? FileManager.default.removeItem(atPath: d)
            }
            if let exe = anchors.sqliteBench {
                let d = reset("sqlite")
                if let r = anchors.measure([exe, d + "/s.db", "insert", "\(n)", "\(b)", "FULL", "S-f1k"], scratch: scratch) { s.append(r) }
            }
            if let py = anchors.pyScript {
                let d = reset("py-lmdb")
                if let r = anchors.measure(["python3", py, d, "append", "\(n)", "\(b)", "P-a1k"], scratch: scratch) { p.append(r) }
            }
            note("  rep \(rep): ours \(rate(ours.last!)) ev/s (append p50 \(fmt(oursP50.last!, 0)) µs)"
                 + ", ours prepared \(rate(oursPrepared.last!))"
                 + (c.count == rep ? ", C \(rate(c.last!.value("events_per_s")))" : "")
                 + (s.count == rep ? ", SQLite \(rate(s.last!.value("events_per_s")))" : "")
                 + (p.count == rep ? ", py-lmdb \(rate(p.last!.value("events_per_s")))" : ""))
        }
        // The durable append path gives `dir` back to the read target; tidy the others.
        for name in ["c-lmdb", "sqlite", "py-lmdb"] { try? FileManager.default.removeItem(atPath: dir(name)) }

        let cRates = c.map { $0.value("events_per_s") }
        let oursLine = "ours \(rate(median(ours))) ev/s, append(1000) latency p50 \(fmt(median(oursP50), 0)) µs p99 \(fmt(median(oursP99), 0)) µs, "
            + "DB \(fmt(median(used) / 1e6, 0)) MB used (\(fmt(median(used) / Double(n), 0)) B/event)"
        out("    " + oursLine)
        out("      process CPU \(fmt(100 * median(cpuShare), 0)) % of wall (2 cores = 200 %) = \(fmt(median(cpuNs), 0)) ns CPU/event, "
            + "\(fmt(median(wcharPerEvent), 0)) B written by write syscalls per event; "
            + "the writer's commits take \(fmt(100 * median(commitShare), 0)) % of wall (\(fmt(1e9 * median(commitShare) / median(ours), 0)) ns/event)")
        if !c.isEmpty {
            let cPerBatchUs = 1e6 * Double(b) / median(cRates)
            out("    C LMDB B=1000 sync: \(rate(median(cRates))) ev/s, commit p50 \(fmt(median(c.map { $0.value("commit_p50_us") }), 0)) µs "
                + "p99 \(fmt(median(c.map { $0.value("commit_p99_us") }), 0)) µs, whole batch (puts + commit) ≈ \(fmt(cPerBatchUs, 0)) µs, "
                + "DB \(fmt(median(c.map { $0.value("db_mb") }), 0)) MB")
        }
        if !s.isEmpty {
            out("    SQLite WAL FULL B=1000: \(rate(median(s.map { $0.value("events_per_s") }))) ev/s, commit p50 \(fmt(median(s.map { $0.value("commit_p50_us") }), 0)) µs")
        }
        if !p.isEmpty { out("    py-lmdb B=1000 sync: \(rate(median(p.map { $0.value("events_per_s") }))) ev/s") }

        let extra = ["append_p50_us": median(oursP50), "append_p99_us": median(oursP99), "db_used_bytes": median(used),
                     "cpu_share": median(cpuShare), "written_bytes_per_event": median(wcharPerEvent),
                     "c_commit_p50_us": c.isEmpty ? .nan : median(c.map { $0.value("commit_p50_us") })]
        rows.append(makeRow(id: "1a", what: "library append B=1000 durable (+indexes)", ours: ours, baselineName: "C LMDB B=1000 sync",
                            baseline: cRates, target: "≥ 0.80×", goal: { _, r in (r ?? 0) >= 0.80 },
                            skipped: anchors.missing["lmdb"], extra: extra))
        rows[rows.count - 1].oursP50us = median(oursP50)
        rows[rows.count - 1].baselineP50us = extra["c_commit_p50_us"]
        rows.append(makeRow(id: "1b", what: "  same, vs SQLite", ours: ours, baselineName: "SQLite WAL FULL B=1000",
                            baseline: s.map { $0.value("events_per_s") }, target: "≥ 1.00×", goal: { _, r in (r ?? 0) >= 1 },
                            skipped: anchors.missing["sqlite"]))
        rows[rows.count - 1].oursP50us = median(oursP50)
        rows[rows.count - 1].baselineP50us = s.isEmpty ? nil : median(s.map { $0.value("commit_p50_us") })
        rows.append(makeRow(id: "1c", what: "  same, vs py-lmdb", ours: ours, baselineName: "py-lmdb B=1000 sync",
                            baseline: p.map { $0.value("events_per_s") }, target: "≥ 1.00×",
                            goal: anchors.missing["py-lmdb"] == nil ? { _, r in (r ?? 0) >= 1 } : nil,
                            skipped: anchors.missing["py-lmdb"]))
        if rows.last!.baseline == nil { rows[rows.count - 1].verdict = "SKIP" }
        rows.append(makeRow(id: "1d", what: "  same, events encoded beforehand (info)", ours: oursPrepared, baselineName: "C LMDB B=1000 sync",
                            baseline: cRates, target: "-", goal: nil, skipped: anchors.missing["lmdb"]))

        if breakdown {
            // Encoding as EventLog.append does it for a batch < 4096 (one thread), timed alone.
            let t0 = now()
            var sink = 0
            for e in events { sink &+= Self.encodeRecord(e) }
            let enc = (now() - t0) / Double(n) * 1e9
            let total = 1e9 / median(ours)
            addBreakdown("append.total_ns", total, "[1] append: \(fmt(total, 0)) ns/event in all (median rep)")
            addBreakdown("append.encode_ns", enc, "[1]   encode (EventCodec + id + entity keys, 1 thread): \(fmt(enc, 0)) ns/event (\(fmt(100 * enc / total, 0)) %)")
            blackHole(sink)
            // The same encoding as append does it: EventLog.prepare of each batch, on every core.
            let p0 = now()
            for batch in batches { sink &+= EventLog.prepare(batch).count }
            let prep = (now() - p0) / Double(n) * 1e9
            let q0 = now()
            for batch in batches { for e in batch { sink &+= EventLog.prepare([e]).count } }
            let prep1 = (now() - q0) / Double(n) * 1e9
            addBreakdown("append.prepare_one_thread_ns", prep1, "[1]   EventLog.prepare one event at a time (one thread): \(fmt(prep1, 0)) ns/event")
            addBreakdown("append.prepare_ns", prep, "[1]   EventLog.prepare of each batch (on every core, as append does): \(fmt(prep, 0)) ns/event (\(fmt(100 * prep / total, 0)) %)")
            blackHole(sink)
            // The append again, with its two steps timed apart in the loop: encoding here runs
            // beside the writer's and indexer's work on the same two cores (and on events not in
            // cache), unlike the loops above, which encode alone.
            do {
                let d = reset("ours-split")
                let log = try EventLog(directory: d, configuration: logConfiguration)
                var inPrepare = 0.0, inStore = 0.0
                for batch in batches {
                    let a = now()
                    let prepared = EventLog.prepare(batch)
                    let b = now()
                    _ = try await log.append(prepared)
                    inPrepare += b - a
                    inStore += now() - b
                }
                log.close()
                try? FileManager.default.removeItem(atPath: d)
                let p = inPrepare / Double(n) * 1e9, st = inStore / Double(n) * 1e9
                addBreakdown("append.in_loop_prepare_ns", p, "[1]   the append timed in two steps (another run): prepare \(fmt(p, 0)) ns/event, "
                             + "store (append of the prepared batch, durable) \(fmt(st, 0)) ns/event")
                breakdownFigures["append.in_loop_store_ns"] = st
            }
            addBreakdown("append.store_ns", total - enc, "[1]   store = LMDB puts into log + ids + time + entity index DBs, commit and fsync, queueing: \(fmt(total - enc, 0)) ns/event")
            if !c.isEmpty {
                let cNs = 1e9 / median(cRates)
                addBreakdown("append.c_ns", cNs, "[1]   C LMDB B=1000 sync for comparison: \(fmt(cNs, 0)) ns/event (one put of ~200 B + its share of the commit)")
            }
            // Our exact LMDB writes replayed by C: what the layout costs without any Swift (median of the reps).
            breakdownLines.append("[1]   C replay of OUR writes (same keys, values, flags, DBs; \(reps) rep\(reps == 1 ? "" : "s"), median), B=1000:")
            for (sync, lookup, label) in [(true, true, "sync, id lookups (= LogStore.apply)"), (false, true, "MDB_NOSYNC (CPU + page-cache writes only)")] {
                let runs = (0..<reps).compactMap { _ in replayLayout(count: n, batch: b, sync: sync, lookup: lookup, name: "replay") }
                guard !runs.isEmpty else { continue }
                let key = "append.replay_\(sync ? "sync" : "nosync")_\(lookup ? "lookup" : "nolookup")"
                let m = { (f: String) in median(runs.map { $0.value(f) }) }
                let ns = 1e9 / m("events_per_s")
                addBreakdown(key + "_ns", ns,
                             "[1]     \(pad(label + ":", 44)) \(rate(m("events_per_s"))) ev/s = \(fmt(ns, 0)) ns/event "
                             + "(puts \(fmt(m("put_ns_per_event"), 0)) + commit \(fmt(m("commit_ns_per_event"), 0)); commit p50 \(fmt(m("commit_p50_us"), 0)) µs; "
                             + "CPU \(fmt(m("cpu_ns_per_event"), 0)) ns/event; \(fmt(m("written_b_per_event"), 0)) B written/event; DB \(fmt(m("db_mb"), 0)) MB)")
                breakdownFigures[key + "_cpu_ns"] = m("cpu_ns_per_event")
                breakdownFigures[key + "_commit_p50_us"] = m("commit_p50_us")
                breakdownFigures[key + "_put_ns"] = m("put_ns_per_event")
                breakdownFigures[key + "_written_b"] = m("written_b_per_event")
            }
            // Which index costs what: the same replay writing a growing subset of the databases (one sync run each).
            breakdownLines.append("[1]   the same replay, sync, writing a growing subset of the DBs (one run each; the flush makes single runs vary ±30 %):")
            for dbs in ["log", "log,ids", "log,ids,time", "log,ids,time,call", "log,ids,time,call,client",
                        "log,ids,time,call,client,lead,department,agent"] {
                if let r = replayLayout(count: n, batch: b, sync: true, lookup: true, name: "replay-subset", dbs: dbs) {
                    let ns = 1e9 / r.value("events_per_s")
                    addBreakdown("append.replay_subset_\(dbs.replacingOccurrences(of: ",", with: "+"))_ns", ns,
                                 "[1]     \(pad(dbs.replacingOccurrences(of: "department,agent", with: "dept,agent") + ":", 42)) \(pad(rate(r.value("events_per_s")), 8)) ev/s = \(pad(fmt(ns, 0), 5)) ns/event; "
                                 + "puts \(pad(fmt(r.value("put_ns_per_event"), 0), 4)) ns/event; commit p50 \(pad(fmt(r.value("commit_p50_us"), 0), 4)) µs; "
                                 + "\(pad(fmt(r.value("written_b_per_event"), 0), 4)) B written/event; DB \(fmt(r.value("db_mb"), 0)) MB")
                }
            }
            if let replayNs = breakdownFigures["append.replay_sync_lookup_ns"] {
                addBreakdown("append.swift_overhead_ns", total - enc - replayNs,
                             "[1]   => wall: ours − encode − C replay (sync) = \(fmt(total - enc - replayNs, 0)) ns/event (flush-noisy; the CPU figure below is steadier)")
            }
            if let replayCpu = breakdownFigures["append.replay_sync_lookup_cpu_ns"] {
                let oursCpu = median(cpuNs)
                addBreakdown("append.ours_cpu_ns", oursCpu, "[1]   => CPU: ours \(fmt(oursCpu, 0)) ns/event = encode \(fmt(enc, 0)) + LMDB work as in C replay \(fmt(replayCpu, 0)) "
                             + "+ Swift store layers \(fmt(oursCpu - enc - replayCpu, 0)) (LogStore.apply, keys, CRC, dictionary, hand-offs)")
                breakdownFigures["append.swift_store_cpu_ns"] = oursCpu - enc - replayCpu
            }
        }
        out()
    }

    /// What `EventLog.record(for:)` computes (public API only); returns a byte count as a sink.
    static func encodeRecord(_ e: Event) -> Int {
        let id = Array(e.id.utf8)
        let payload = EventCodec.encode(e)
        let keys = LayoutReplay.entityKeys(of: e)
        return id.count + payload.count + keys.count + Int(e.at.milliseconds & 1)
    }

    // MARK: Target 2: call-ledger append FILE

    mutating func targetCLI() async throws {
        out("## [2] `call-ledger append FILE` of a \(thousands(n))-event NDJSON file (\(fmt(Double(ndjsonBytes) / 1e6, 0)) MB), whole process wall time")
        guard FileManager.default.isExecutableFile(atPath: cliPath) else {
            let why = "no call-ledger executable at \(cliPath) (build it: swift build -c release --scratch-path .build-bench --product call-ledger, or pass --cli PATH)"
            out("    SKIPPED: \(why)")
            notes.append(why)
            rows.append(makeRow(id: "2", what: "call-ledger append (whole process)", ours: [], baselineName: "C LMDB B=10000 sync",
                                baseline: [], target: "≥ 300 k ev/s", goal: nil, skipped: why))
            rows[rows.count - 1].verdict = "SKIP"
            out()
            return
        }
        var ours: [Double] = [], c: [AnchorRun] = []
        var failure: String?
        for rep in 1...reps {
            if let exe = anchors.lmdbAppend {
                let d = reset("c-lmdb")
                if let r = anchors.measure([exe, d, "\(n)", "10000", "sync", "L-s10k"], scratch: scratch) { c.append(r) }
            }
            let d = reset("cli-data")
            let r = try runProcess([cliPath, "append", ndjsonPath, "--data", d], scratch: scratch)
            guard r.status == 0, r.stdout.contains("\"appended\":\(n)") else {
                failure = "call-ledger append failed: \(brief(r))"
                break
            }
            ours.append(Double(n) / r.seconds)
            note("  rep \(rep): call-ledger \(fmt(r.seconds, 2)) s = \(rate(ours.last!)) ev/s"
                 + (c.count == rep ? ", C B=10000 sync \(rate(c.last!.value("events_per_s")))" : ""))
        }
        for name in ["c-lmdb", "cli-data"] { try? FileManager.default.removeItem(atPath: dir(name)) }
        if let failure { out("    FAILED: \(failure)"); notes.append(failure) }
        let cRates = c.map { $0.value("events_per_s") }
        if !ours.isEmpty { out("    ours \(rate(median(ours))) ev/s (\(fmt(Double(n) / median(ours), 2)) s for the whole process)") }
        if !c.isEmpty {
            out("    C LMDB B=10000 sync (pre-built ~200 B payloads, no parsing): \(rate(median(cRates))) ev/s, commit p50 \(fmt(median(c.map { $0.value("commit_p50_us") }), 0)) µs")
        }
        rows.append(makeRow(id: "2", what: "call-ledger append (whole process)", ours: ours, baselineName: "C LMDB B=10000 sync",
                            baseline: cRates, target: "≥ 300 k ev/s", goal: { o, _ in o >= 300_000 }, skipped: failure))

        if breakdown {
            // The CLI's steps in-process, each timed: read, parse+validate, encode, open, append (encode + store), close, free.
            let t0 = now()
            guard let data = FileManager.default.contents(atPath: ndjsonPath) else { throw BenchError("cannot read \(ndjsonPath)") }
            var bytes: [UInt8]? = Array(data)
            let tRead = now() - t0
            let t1 = now()
            var parsed: [Event]? = try NDJSONReader.parse(bytes!).get()
            let tParse = now() - t1
            let t2 = now()
            let encBytes = Self.parallelEncode(parsed!)
            let tEncode = now() - t2
            let d = reset("cli-data")
            let t3 = now()
            let log = try EventLog(directory: d, configuration: logConfiguration)
            let tOpen = now() - t3
            let t4 = now()
            let r = try await log.append(parsed!)
            let tAppend = now() - t4
            precondition(r.appended == n)
            let t5 = now()
            log.close()
            let tClose = now() - t5
            let t6 = now()
            parsed = nil
            bytes = nil
            let tFree = now() - t6
            _ = bytes
            try? FileManager.default.removeItem(atPath: d)
            let sum = tRead + tParse + tOpen + tAppend + tClose + tFree
            let wall = ours.isEmpty ? sum : Double(n) / median(ours)
            func line(_ k: String, _ t: Double, _ what: String) {
                addBreakdown("cli.\(k)_s", t, "[2]   \(pad(what, 52)) \(fmt(t * 1000, 0)) ms  (\(fmt(100 * t / wall, 0)) % of the CLI's \(fmt(wall, 2)) s)")
            }
            breakdownLines.append("[2] call-ledger append, its steps timed in-process (\(thousands(n)) events, \(encBytes / 1_000_000) MB encoded):")
            line("read", tRead, "read file (FileManager.contents + Array copy)")
            line("parse", tParse, "NDJSONReader.parse (split, JSON parse, validate; all cores)")
            line("append", tAppend, "EventLog.append(all N) — one request, one txn")
            line("encode", tEncode, "  of which encode (EventLog.encode equivalent, all cores)")
            line("store", tAppend - tEncode, "  of which store: puts in all DBs + commit + fsync")
            line("open", tOpen, "EventLog open")
            line("close", tClose, "close")
            line("free", tFree, "free the parsed events and the input bytes")
            line("rest", wall - sum, "rest = CLI median wall − the above (exec/exit + run-to-run spread)")
            if let r = replayLayout(count: n, batch: n, sync: true, lookup: true, name: "replay-1txn") {
                let t = Double(n) / r.value("events_per_s")
                line("replay", t, "(C replay of our writes as ONE txn of N, sync: puts \(fmt(r.value("put_ns_per_event") * Double(n) / 1e6, 0)) ms + commit \(fmt(r.value("commit_ns_per_event") * Double(n) / 1e6, 0)) ms)")
            }
        }
        out()
    }

    /// `EventLog.encode`'s split (chunks of ≥ 2048 events on every core), with public API only.
    static func parallelEncode(_ events: [Event]) -> Int {
        let chunks = max(1, min(64, events.count / 2048))
        let size = (events.count + chunks - 1) / chunks
        let total = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            var s = 0
            for e in events[min(events.count, c * size)..<min(events.count, (c + 1) * size)] { s += encodeRecord(e) }
            total.withLock { $0 += s }
        }
        return total.withLock { $0 }
    }

    // MARK: Target 3: many concurrent single-event appends

    mutating func targetConcurrent(tasks: Int, perTask requested: Int, singleCommitEvents: Int) async throws {
        let perTask = min(requested, events.count / tasks)
        let total = tasks * perTask
        out("## [3] \(tasks) concurrent tasks × \(perTask) single-event appends (\(thousands(total)) events), each durable on return")
        let work: [[Event]] = (0..<tasks).map { t in (0..<perTask).map { events[$0 * tasks + t] } }
        var ours: [Double] = [], p50: [Double] = [], p99: [Double] = [], c: [AnchorRun] = [], cGroup: [AnchorRun] = []
        var cpuShare: [Double] = [], wcharPerEvent: [Double] = [], syscwPerEvent: [Double] = []
        for rep in 1...reps {
            if let exe = anchors.lmdbAppend {
                let d = reset("c-lmdb")
                if let r = anchors.measure([exe, d, "\(singleCommitEvents)", "1", "sync", "L-s1"], scratch: scratch) { c.append(r) }
                // The ceiling of any group commit here: C committing the same events in groups of
                // `tasks`, one after another, nothing else to do (the disk's flushes set it).
                let g = reset("c-lmdb")
                if let r = anchors.measure([exe, g, "\(total)", "\(tasks)", "sync", "L-s\(tasks)"], scratch: scratch) { cGroup.append(r) }
            }
            let d = reset("ours-concurrent")
            let log = try EventLog(directory: d, configuration: logConfiguration)
            // Commits: how many, callers per commit, and time inside them (the rest of a round is
            // the callers' turn-around and the writer's gathering).
            let commits = Mutex((n: 0, requests: 0, seconds: 0.0))
            log.observeCommits { st in
                commits.withLock { $0.n += 1; $0.requests += st.requests; $0.seconds += Double(st.duration.components.attoseconds) / 1e18 + Double(st.duration.components.seconds) }
            }
            let k0 = Counters.snapshot()
            let t0 = now()
            let lat = try await withThrowingTaskGroup(of: [Double].self) { group in
                for mine in work {
                    group.addTask {
                        var l: [Double] = []
                        l.reserveCapacity(mine.count)
                        for e in mine {
                            let a = now()
                            let r = try await log.append([e])
                            l.append(now() - a)
                            precondition(r.appended == 1)
                        }
                        return l
                    }
                }
                var all: [Double] = []
                for try await l in group { all += l }
                return all
            }
            let el = now() - t0
            let k = Counters.snapshot() - k0
            cpuShare.append(k.cpu / el)
            wcharPerEvent.append(k.wchar / Double(total))
            syscwPerEvent.append(k.syscw / Double(total))
            log.close()
            ours.append(Double(total) / el)
            p50.append(percentile(lat, 50) * 1e6)
            p99.append(percentile(lat, 99) * 1e6)
            note("  rep \(rep): ours \(rate(ours.last!)) ev/s, append p50 \(fmt(p50.last!, 0)) µs p99 \(fmt(p99.last!, 0)) µs"
                 + (c.count == rep ? "; C B=1 sync \(rate(c.last!.value("events_per_s"))) commits/s, p50 \(fmt(c.last!.value("commit_p50_us"), 0)) µs" : "")
                 + (cGroup.count == rep ? "; C B=\(tasks) sync \(rate(cGroup.last!.value("events_per_s"))) ev/s, commit p50 \(fmt(cGroup.last!.value("commit_p50_us"), 0)) µs" : ""))
            let cs = commits.withLock { $0 }
            note("    \(cs.n) commits, \(fmt(Double(cs.requests) / Double(max(cs.n, 1)), 1)) callers each, \(fmt(cs.seconds / Double(max(cs.n, 1)) * 1e6, 0)) µs in a commit, "
                 + "\(fmt(el / Double(max(cs.n, 1)) * 1e6, 0)) µs per round")
        }
        for name in ["c-lmdb", "ours-concurrent"] { try? FileManager.default.removeItem(atPath: dir(name)) }
        let cRates = c.map { $0.value("events_per_s") }
        let cP50 = c.isEmpty ? Double.nan : median(c.map { $0.value("commit_p50_us") })
        out("    ours \(rate(median(ours))) ev/s, latency per append p50 \(fmt(median(p50), 0)) µs, p99 \(fmt(median(p99), 0)) µs")
        out("      process CPU \(fmt(100 * median(cpuShare), 0)) % of wall, \(fmt(median(wcharPerEvent), 0)) B written per event, "
            + "\(fmt(median(syscwPerEvent), 3)) write syscalls per event")
        if !c.isEmpty {
            out("    C LMDB one durable commit per event (N = \(singleCommitEvents)): \(rate(median(cRates))) ev/s, commit p50 \(fmt(cP50, 0)) µs "
                + "p99 \(fmt(median(c.map { $0.value("commit_p99_us") }), 0)) µs")
        }
        let extra = ["append_p50_us": median(p50), "append_p99_us": median(p99), "c_commit_p50_us": cP50,
                     "cpu_share": median(cpuShare), "written_bytes_per_event": median(wcharPerEvent)]
        if breakdown {
            if let r = replayLayout(count: total, batch: tasks, sync: true, lookup: false, name: "replay-concurrent-log", dbs: "log") {
                addBreakdown("concurrent.replay_log_only_b\(tasks)_ev_s", r.value("events_per_s"),
                             "[3]   C, record only (no indexes), \(thousands(total)) events in txns of \(tasks), sync: \(rate(r.value("events_per_s"))) ev/s, "
                             + "commit p50 \(fmt(r.value("commit_p50_us"), 0)) µs, \(fmt(r.value("written_b_per_event"), 0)) B written/event")
            }
            for bsz in [tasks, tasks / 2] where bsz >= 1 {
                if let r = replayLayout(count: total, batch: bsz, sync: true, lookup: true, name: "replay-concurrent") {
                    addBreakdown("concurrent.replay_b\(bsz)_ev_s", r.value("events_per_s"),
                                 "[3]   C replay of OUR writes, \(thousands(total)) events in txns of \(bsz), sync: \(rate(r.value("events_per_s"))) ev/s, "
                                 + "commit p50 \(fmt(r.value("commit_p50_us"), 0)) µs, puts \(fmt(r.value("put_ns_per_event") * Double(bsz) / 1000, 0)) µs per txn, "
                                 + "\(fmt(r.value("written_b_per_event"), 0)) B written/event")
                }
            }
            if let r = replayLayout(count: min(total, singleCommitEvents), batch: 1, sync: true, lookup: true, name: "replay-b1") {
                addBreakdown("concurrent.replay_b1_ev_s", r.value("events_per_s"),
                             "[3]   C replay of OUR writes, one txn per event, sync: \(rate(r.value("events_per_s"))) ev/s, commit p50 \(fmt(r.value("commit_p50_us"), 0)) µs")
            }
        }
        rows.append(makeRow(id: "3a", what: "\(tasks) tasks × single-event appends", ours: ours, baselineName: "C LMDB B=1 sync",
                            baseline: cRates, target: "≥ 100 k ev/s", goal: { o, _ in o >= 100_000 }, extra: extra))
        rows[rows.count - 1].oursP50us = median(p50)
        rows[rows.count - 1].baselineP50us = cP50
        rows.append(makeRow(id: "3b", what: "  same, vs one commit per event", ours: ours, baselineName: "C LMDB B=1 sync",
                            baseline: cRates, target: "≥ 20×", goal: { _, r in (r ?? 0) >= 20 }, skipped: anchors.missing["lmdb"]))
        // No target of its own: how close the group commit gets to what this disk allows.
        rows.append(makeRow(id: "3c", what: "  same, vs C committing groups of \(tasks)", ours: ours, baselineName: "C LMDB B=\(tasks) sync",
                            baseline: cGroup.map { $0.value("events_per_s") }, target: "-", goal: nil, skipped: anchors.missing["lmdb"]))
        if !cGroup.isEmpty {
            out("    C LMDB committing the same \(thousands(total)) events in groups of \(tasks) (one caller, nothing else to do): "
                + "\(rate(median(cGroup.map { $0.value("events_per_s") }))) ev/s, commit p50 \(fmt(median(cGroup.map { $0.value("commit_p50_us") }), 0)) µs")
        }
        out()
    }

    // MARK: Target 4: sequential read + decode

    mutating func targetRead() async throws {
        out("## [4] sequential read and decode of \(thousands(n)) events (EventLog.scan → RecordedEvent), warm page cache")
        if oursDB == nil {
            note("  building our database of \(thousands(n)) events (batches of 10,000) …")
            let d = reset("ours-append")
            let log = try EventLog(directory: d, configuration: logConfiguration)
            for s in stride(from: 0, to: n, by: 10_000) { _ = try await log.append(Array(events[s..<min(s + 10_000, n)])) }
            log.close()
            oursDB = d
        }
        var cDB: String?
        if let exe = anchors.lmdbAppend {
            let d = reset("c-read")
            if anchors.measure([exe, d, "\(n)", "10000", "nosync", "build"], scratch: scratch) != nil { cDB = d }
            sync()
        }
        var ours: [Double] = [], all: [AnchorRun] = [], one: [AnchorRun] = [], cpuShare: [Double] = []
        var config = EventLogConfiguration()
        config.readOnly = true
        for rep in 1...reps {
            if let exe = anchors.lmdbRead, let cDB {
                if let r = anchors.measure([exe, cDB, "scanall", "\(n)", "0", "R-scanall"], scratch: scratch) { all.append(r) }
                if let r = anchors.measure([exe, cDB, "scan1", "\(n)", "0", "R-scan1"], scratch: scratch) { one.append(r) }
            }
            // A fresh environment per rep (the map is faulted in again, as in the C reader's fresh process).
            let log = try EventLog(directory: oursDB!, configuration: config)
            var count = 0
            var sum: UInt64 = 0
            let k0 = Counters.snapshot()
            let t0 = now()
            try log.scan(after: 0, limit: .max) { e in
                count += 1
                sum &+= e.position &+ UInt64(e.event.id.utf8.count)
            }
            let el = now() - t0
            cpuShare.append((Counters.snapshot() - k0).cpu / el)
            log.close()
            precondition(count == n, "scan saw \(count) events")
            ours.append(Double(n) / el)
            note("  rep \(rep): ours \(rate(ours.last!)) ev/s"
                 + (all.count == rep ? ", C scanall \(rate(all.last!.value("events_per_s"))), scan1 \(rate(one.last!.value("events_per_s")))" : ""))
        }
        let allRates = all.map { $0.value("events_per_s") }, oneRates = one.map { $0.value("events_per_s") }
        out("    ours \(rate(median(ours))) ev/s (\(fmt(1e9 / median(ours), 0)) ns/event, process CPU \(fmt(100 * median(cpuShare), 0)) % of wall)")
        if !all.isEmpty {
            out("    C LMDB cursor scan, every value byte read: \(rate(median(allRates))) ev/s; touching 1 byte: \(rate(median(oneRates))) ev/s")
        }
        rows.append(makeRow(id: "4a", what: "scan + decode to RecordedEvent", ours: ours, baselineName: "C LMDB scanall",
                            baseline: allRates, target: "≥ 3 M ev/s", goal: { o, _ in o >= 3_000_000 }))
        rows.append(makeRow(id: "4b", what: "  same, vs scan touching 1 byte", ours: ours, baselineName: "C LMDB scan1",
                            baseline: oneRates, target: "(info)", goal: nil, skipped: anchors.missing["lmdb"]))

        if breakdown {
            // Decode alone, from payloads in memory (one thread), and the scan's remainder.
            let payloads = events.map { EventCodec.encode($0) }
            var s = 0
            let t0 = now()
            for p in payloads {
                let e = try EventCodec.decode(p)
                s &+= e.id.utf8.count
            }
            let dec = (now() - t0) / Double(n) * 1e9
            let total = 1e9 / median(ours)
            let mean = Double(payloads.reduce(0) { $0 + $1.count }) / Double(n)
            addBreakdown("read.total_ns", total, "[4] read: \(fmt(total, 0)) ns/event in all (median rep)")
            addBreakdown("read.decode_ns", dec, "[4]   EventCodec.decode alone, payloads in memory (mean \(fmt(mean, 0)) B): \(fmt(dec, 0)) ns/event (\(fmt(100 * dec / total, 0)) %)")
            blackHole(s)
            addBreakdown("read.store_ns", total - dec, "[4]   the rest (cursor, CRC-32C check, payload copy, RecordedEvent): \(fmt(total - dec, 0)) ns/event")
            if !allRates.isEmpty {
                addBreakdown("read.c_scanall_ns", 1e9 / median(allRates), "[4]   C cursor scan reading every byte: \(fmt(1e9 / median(allRates), 0)) ns/event")
            }
        }
        for name in ["c-read", "ours-append"] { try? FileManager.default.removeItem(atPath: dir(name)) }
        oursDB = nil
        out()
    }
}
