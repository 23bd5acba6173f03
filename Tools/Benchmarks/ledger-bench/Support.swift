import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: Time and statistics

/// Monotonic seconds (CLOCK_MONOTONIC, as the C anchors use).
func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

func median(_ xs: [Double]) -> Double {
    guard !xs.isEmpty else { return .nan }
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// Same rule as the anchors' `percentile` (common.h): nearest rank on (n − 1).
func percentile(_ xs: [Double], _ pct: Double) -> Double {
    guard !xs.isEmpty else { return .nan }
    let s = xs.sorted()
    let idx = min(s.count - 1, Int(pct / 100 * Double(s.count - 1) + 0.5))
    return s[idx]
}

/// (max − min) / median.
func spread(_ xs: [Double]) -> Double {
    guard let lo = xs.min(), let hi = xs.max() else { return .nan }
    let m = median(xs)
    return m > 0 ? (hi - lo) / m : .nan
}

/// Keeps a computed value alive so the optimiser cannot drop the loop that made it.
@inline(never) func blackHole(_ v: Int) {
    if v == Int.min { note("") }
}

// MARK: Formatting

func fmt(_ v: Double, _ digits: Int = 2) -> String {
    guard v.isFinite else { return "n/a" }
    return String(format: "%.\(digits)f", v)
}

/// "1.23 M", "456.7 k", "812".
func rate(_ v: Double) -> String {
    guard v.isFinite else { return "n/a" }
    if v >= 1e6 { return String(format: "%.2f M", v / 1e6) }
    if v >= 1e3 { return String(format: "%.1f k", v / 1e3) }
    return String(format: "%.0f", v)
}

func thousands(_ n: Int) -> String {
    let s = String(n)
    var out = ""
    for (k, c) in s.reversed().enumerated() {
        if k > 0 && k % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return String(out.reversed())
}

func pad(_ s: String, _ w: Int) -> String {
    s.count >= w ? s : s + String(repeating: " ", count: w - s.count)
}

/// Progress and notes go to stderr, results to stdout.
func note(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}

func out(_ s: String = "") {
    print(s)
    fflush(nil)
}

// MARK: Processes

struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var seconds: Double
}

/// Runs `args[0]` (looked up in PATH unless it contains a slash) and waits; output goes through
/// temporary files so that neither pipe can fill up. `seconds` is the wall time of the whole process.
func runProcess(_ args: [String], scratch: String) throws -> ProcessResult {
    let p = Process()
    if args[0].contains("/") {
        p.executableURL = URL(fileURLWithPath: args[0])
        p.arguments = Array(args.dropFirst())
    } else {
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
    }
    let id = UUID().uuidString
    let outPath = scratch + "/.out-\(id)", errPath = scratch + "/.err-\(id)"
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    defer {
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
    }
    let o = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    let e = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    p.standardOutput = o
    p.standardError = e
    p.standardInput = FileHandle.nullDevice
    let t0 = now()
    try p.run()
    p.waitUntilExit()
    let el = now() - t0
    try? o.close()
    try? e.close()
    let so = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    let se = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
    return ProcessResult(status: p.terminationStatus, stdout: so, stderr: se, seconds: el)
}

/// The `key=value` fields of the first `RESULT …` line in `text`.
func parseResultLine(_ text: String) -> [String: String]? {
    guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("RESULT ") }) else { return nil }
    var d: [String: String] = [:]
    for f in line.split(separator: " ").dropFirst() {
        let kv = f.split(separator: "=", maxSplits: 1)
        if kv.count == 2 { d[String(kv[0])] = String(kv[1]) }
    }
    return d
}

// MARK: Files

/// The write-run reset of the anchors' method: `rm -rf; sync; sleep 1`, then an empty directory.
func resetDirectory(_ path: String, settle: Double) {
    try? FileManager.default.removeItem(atPath: path)
    sync()
    if settle > 0 { usleep(useconds_t(settle * 1e6)) }
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
}

func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
}

func firstLine(_ s: String) -> String {
    String(s.split(separator: "\n").first ?? "").trimmingCharacters(in: .whitespaces)
}

/// A short one-line tail of a failed process's stderr, for notes.
func brief(_ r: ProcessResult) -> String {
    let s = (r.stderr + r.stdout).split(separator: "\n").suffix(2).joined(separator: " | ")
    return "exit \(r.status): \(s.prefix(200))"
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

// MARK: Process counters

/// CPU time of this process (all threads) and its write-syscall figures from /proc/self/io.
struct Counters {
    var cpu: Double
    var wchar: Double
    var syscw: Double
    var writeBytes: Double

    static func snapshot() -> Counters {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        let cpu = Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) * 1e-6
            + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) * 1e-6
        var f: [String: Double] = [:]
        if let s = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) {
            for line in s.split(separator: "\n") {
                let kv = line.split(separator: ":")
                if kv.count == 2 { f[String(kv[0])] = Double(kv[1].trimmingCharacters(in: .whitespaces)) }
            }
        }
        return Counters(cpu: cpu, wchar: f["wchar"] ?? .nan, syscw: f["syscw"] ?? .nan, writeBytes: f["write_bytes"] ?? .nan)
    }

    static func - (a: Counters, b: Counters) -> Counters {
        Counters(cpu: a.cpu - b.cpu, wchar: a.wchar - b.wchar, syscw: a.syscw - b.syscw, writeBytes: a.writeBytes - b.writeBytes)
    }
}
