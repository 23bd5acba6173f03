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
