import Foundation
import LedgerEvents
import LedgerLog

// Shared by the test targets: temporary ledgers, paths, and small event builders.

/// A fresh directory under the system temp dir, removed when the value is released.
public final class TemporaryDirectory: Sendable {
    public let path: String
    public init(_ name: String = "ledger") {
        path = NSTemporaryDirectory() + "call-ledger-tests/\(name)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    public func sub(_ name: String) -> String { path + "/" + name }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// The repository root (for fixtures and built executables).
public let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// The directory holding the built products (`.build/debug`), found from the test bundle's path.
public let productsDirectory: String = {
    let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var dir = exe.deletingLastPathComponent()
    while dir.path != "/" {
        if FileManager.default.fileExists(atPath: dir.appendingPathComponent("call-ledger").path) { return dir.path }
        dir.deleteLastPathComponent()
    }
    return repositoryRoot + "/.build/debug"
}()

public func makeEvent(_ id: String, _ type: EventType = .callQueued, at ms: Int64 = 1_795_000_000_000,
               data: JSONObject = ["call_id": "c1", "department": "sales"]) -> Event {
    Event(id: id, type: type, at: EventTime(milliseconds: ms, offsetMinutes: 180), source: "test", data: data)
}

public func parseEvent(_ json: String) -> Event {
    try! EventValidator.validate(JSONParser.parse(json)).get()
}

/// Runs an external tool (e.g. `python3 -c …`, found on the PATH, or `executable` with `arguments`)
/// with `input` on its stdin and `environment` added to ours; returns its exit status, stdout and
/// stderr. Our CLI, and the independent readers the tests check our output with, run this way.
public func runTool(_ arguments: [String], input: String? = nil, environment: [String: String] = [:],
                    executable: String = "/usr/bin/env") throws -> (status: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
    p.standardInput = stdin
    p.standardOutput = stdout
    p.standardError = stderr
    try p.run()
    if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
    try stdin.fileHandleForWriting.close()
    let out = stdout.fileHandleForReading.readDataToEndOfFile()
    let err = stderr.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
}

/// `call-ledger serve` running as a child process on 127.0.0.1 (tests and the HTTP benchmark).
public struct ServeProcess: @unchecked Sendable {
    // @unchecked: `Process` is used from one task at a time (start, signal, wait).
    public let process: Process
    public let port: Int
    /// What it printed up to the line waited for.
    public let output: String

    /// Starts `executable serve --data DATA --port 0` with `tokens` in `CALL_LEDGER_TOKENS` and
    /// waits for it to print its address (up to 60 s).
    public static func start(executable: String = productsDirectory + "/call-ledger", data: String, tokens: String) throws -> ServeProcess {
        try start(executable: executable, arguments: ["serve", "--data", data, "--port", "0"], environment: ["CALL_LEDGER_TOKENS": tokens])
    }

    /// Starts `executable arguments…` and waits (up to 60 s) until it has printed `waitFor`.
    public static func start(executable: String = productsDirectory + "/call-ledger", arguments: [String],
                             environment: [String: String] = [:], waitFor: String = "serving") throws -> ServeProcess {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        var text = ""
        let deadline = Date().addingTimeInterval(60)
        while !text.contains(waitFor) && Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("call-ledger serving") }),
              let port = line.split(separator: ":").last.flatMap({ Int($0) })
        else {
            kill(p.processIdentifier, SIGKILL)
            throw ServeFailure(output: text)
        }
        return ServeProcess(process: p, port: port, output: text)
    }

    public var isRunning: Bool { process.isRunning }
    public func signal(_ s: Int32) { kill(process.processIdentifier, s) }

    /// SIGKILL if still running (for `defer`).
    public func killIfRunning() { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    public struct ServeFailure: Error, CustomStringConvertible {
        public let output: String
        public var description: String { "call-ledger serve did not start: \(output)" }
    }
}

/// Runs `body` while no other `exclusively` body runs in this test process. The oracle tests keep
/// both cores busy for minutes, and `import --follow`'s test lost lines beside them (twice in CI);
/// the two kinds take turns instead.
public func exclusively<T>(_ body: () async throws -> T) async throws -> T {
    await ExclusiveSection.shared.enter()
    do {
        let r = try await body()
        await ExclusiveSection.shared.leave()
        return r
    } catch {
        await ExclusiveSection.shared.leave()
        throw error
    }
}

actor ExclusiveSection {
    static let shared = ExclusiveSection()
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func enter() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }
}
