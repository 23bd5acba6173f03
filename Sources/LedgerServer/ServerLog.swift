import Foundation
import Logging

/// The server's log handler: lines like swift-log's `StreamLogHandler` on standard output, with
/// the metadata formatted when a line is written rather than whenever it changes.
///
/// Hummingbird copies the logger with a fresh `hb.request.id` for every request, and
/// `StreamLogHandler` formats its whole metadata string at each such change: 7 % of the CPU a
/// single-event append spent on the cooperative pool (perf, 64 clients posting single events),
/// for lines that at the default level are never written.
struct ServerLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    /// `LOG_LEVEL` (`trace` … `critical`) as Hummingbird reads it; `info` by default.
    static func logger(label: String) -> Logger {
        let level = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
        return Logger(label: label) { label in ServerLogHandler(label: label, logLevel: level) }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let explicit = event.metadata { all.merge(explicit) { $1 } }
        if let error = event.error { all["error.message"] = "\(error)" }
        let pretty = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let time = Date().formatted(.iso8601)
        let line = "\(time) \(event.level) \(label):\(pretty) [\(event.source)] \(event.message)\n"
        FileHandle.standardOutput.write(Data(line.utf8))
    }
}
