import ArgumentParser
import LedgerSimulator

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `simulate`: writes deterministic wire-format v1 NDJSON traffic to stdout or a file.
/// A short summary (events, calls, days) goes to stderr.
@main
struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Generate deterministic call-center traffic as wire-format v1 NDJSON.",
        discussion: """
        Same options give byte-identical output. With --events N exactly N lines are written: \
        the number of days is raised as needed to reach N.
        """)

    @Option(help: "Random seed.")
    var seed: UInt64 = 1

    @Option(help: "Number of simulated days.")
    var days: Int = 3

    @Option(name: .customLong("start"), help: "First simulated day, YYYY-MM-DD (departments' local date).")
    var start: String = "2026-11-16"

    @Option(help: "Number of departments (sales, support, billing, dept4, …).")
    var departments: Int = 3

    @Option(name: .customLong("agents"), help: "Agents per department.")
    var agents: Int = 6

    @Option(name: .customLong("calls-per-day"), help: "Inbound calls per department per weekday.")
    var callsPerDay: Int = 250

    @Option(name: .customLong("late-fraction"), help: "Share of events (0…1) delivered late / out of order.")
    var lateFraction: Double = 0

    @Flag(name: .customLong("no-leads"), help: "Do not generate CRM lead events.")
    var noLeads = false

    @Option(name: .customLong("events"), help: "Write exactly this many lines (days are raised as needed).")
    var events: Int?

    @Option(name: [.short, .customLong("output")], help: "Write to this file instead of stdout.")
    var output: String?

    func validate() throws {
        guard SimulatorConfiguration.isValidDate(start) else {
            throw ValidationError("--start must be a date YYYY-MM-DD, got '\(start)'")
        }
        guard days >= 0 else { throw ValidationError("--days must be ≥ 0") }
        guard departments >= 1 else { throw ValidationError("--departments must be ≥ 1") }
        guard agents >= 0 else { throw ValidationError("--agents must be ≥ 0") }
        guard callsPerDay >= 0 else { throw ValidationError("--calls-per-day must be ≥ 0") }
        guard lateFraction >= 0 && lateFraction <= 1 else { throw ValidationError("--late-fraction must be within 0…1") }
        if let events, events < 0 { throw ValidationError("--events must be ≥ 0") }
    }

    func run() throws {
        var cfg = SimulatorConfiguration()
        cfg.seed = seed
        cfg.days = days
        cfg.startDate = start
        cfg.departments = departments
        cfg.agentsPerDepartment = agents
        cfg.callsPerDepartmentPerDay = callsPerDay
        cfg.lateFraction = lateFraction
        cfg.leads = !noLeads

        if let n = events {
            cfg.maxEvents = n
            cfg.days = max(days, try Self.daysNeeded(for: n, cfg))
        }

        let fd: Int32
        if let output {
            fd = open(output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { throw ValidationError("cannot open '\(output)' for writing") }
        } else {
            fd = 1
        }
        var writer = BufferedWriter(fd: fd)
        let summary = TrafficSimulator(cfg).generateUTF8 { line in
            writer.append(line)
        }
        try writer.flush()
        if output != nil { close(fd) }

        var note = "simulate: \(summary.events) events, \(summary.inboundCalls + summary.outboundCalls) calls "
            + "(\(summary.inboundCalls) inbound, \(summary.outboundCalls) outbound), \(summary.days) days "
            + "(seed \(seed), from \(start))\n"
        if let n = events, summary.events < n {
            note += "simulate: warning: only \(summary.events) of \(n) events could be produced\n"
        }
        writeAll(2, Array(note.utf8))
    }

    /// Days needed to reach n events: measured on one simulated week, with a wide margin
    /// (the output stops at exactly n lines, so extra days cost nothing).
    static func daysNeeded(for n: Int, _ cfg: SimulatorConfiguration) throws -> Int {
        guard n > 0 else { return cfg.days }
        var probe = cfg
        probe.days = 7
        probe.maxEvents = nil
        probe.lateFraction = 0
        let week = TrafficSimulator(probe).generateUTF8 { _ in }.events
        let perDay = Double(week) / 7
        guard perDay >= 1 else {
            throw ValidationError("this configuration produces (almost) no events per day; cannot reach \(n)")
        }
        let needed = (Double(n) / perDay) * 1.5 + 8
        return Int(min(needed, 1_000_000))
    }
}

/// Collects lines into 1 MiB chunks and writes them with write(2).
struct BufferedWriter {
    let fd: Int32
    var buffer: [UInt8] = []
    var failed = false

    init(fd: Int32) {
        self.fd = fd
        buffer.reserveCapacity(1 << 20 + 4096)
    }

    mutating func append(_ line: UnsafeBufferPointer<UInt8>) {
        buffer.append(contentsOf: line)
        buffer.append(10)
        if buffer.count >= 1 << 20 {
            if !writeAll(fd, buffer) { failed = true }
            buffer.removeAll(keepingCapacity: true)
        }
    }

    mutating func flush() throws {
        if !buffer.isEmpty {
            if !writeAll(fd, buffer) { failed = true }
            buffer.removeAll(keepingCapacity: true)
        }
        if failed { throw ExitCode(74) }
    }
}

@discardableResult
func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
            let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += n
        }
        return true
    }
}
