import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LedgerEvents
import LedgerLog
import LedgerReports
import Metrics
import Synchronization

/// Sends alerts to the configured webhooks (HTTP POST of the alert's JSON) and e-mail addresses
/// (through the system's sendmail interface), each on its own task with retries and doubling
/// pauses, so a slow or dead receiver delays nobody: not ingest, not the panels, not the other
/// receivers.
///
/// Metrics: `ledger_alerts_total{state}`, `ledger_alert_deliveries_total{channel}` (delivered),
/// `ledger_alert_delivery_failures_total{channel}` (given up after every retry, or dropped
/// because too many deliveries were pending).
final class AlertDelivery: Sendable {
    let configuration: LiveConfiguration
    /// Deliveries in flight; beyond `maxPending` new ones are dropped (and counted as failures)
    /// rather than piling up behind a dead receiver.
    private let pending = Mutex(0)
    static let maxPending = 1000

    init(configuration: LiveConfiguration) {
        self.configuration = configuration
    }

    func deliver(_ alert: LiveAlert) {
        Counter(label: "ledger_alerts_total", dimensions: [("state", alert.state)]).increment()
        LiveLog.write("alert: \(alert.summary)")
        guard let json = try? OrderedJSONEncoder.string(alert) else { return }
        for url in configuration.webhooks(for: alert.department) {
            start("webhook", what: url) { try await Self.post(json, to: url) }
        }
        let recipients = configuration.emails(for: alert.department)
        if !recipients.isEmpty {
            let message = Self.mail(alert, json: json, from: configuration.mailFrom, to: recipients)
            let command = configuration.sendmail
            start("email", what: recipients.joined(separator: ", ")) { try await Self.sendmail(message, command: command, recipients: recipients) }
        }
    }

    private func start(_ channel: String, what: String, _ attempt: @escaping @Sendable () async throws -> Void) {
        let admitted = pending.withLock { n -> Bool in
            guard n < Self.maxPending else { return false }
            n += 1
            return true
        }
        guard admitted else {
            Self.failed(channel, what, "dropped: \(Self.maxPending) deliveries already pending")
            return
        }
        let retries = configuration.retries
        let backoff = configuration.retryBackoffMs
        Task.detached { [self] in
            defer { self.pending.withLock { $0 -= 1 } }
            var pause = Duration.milliseconds(backoff)
            for k in 0...retries {
                do {
                    try await attempt()
                    Counter(label: "ledger_alert_deliveries_total", dimensions: [("channel", channel)]).increment()
                    return
                } catch {
                    if k == retries {
                        Self.failed(channel, what, "\(Self.describe(error)) (after \(retries + 1) attempts)")
                        return
                    }
                    LiveLog.write("alert \(channel) to \(what): attempt \(k + 1) failed: \(Self.describe(error)); retrying in \(pause)")
                    try? await Task.sleep(for: pause)
                    pause *= 2
                }
            }
        }
    }

    private static func failed(_ channel: String, _ what: String, _ why: String) {
        Counter(label: "ledger_alert_delivery_failures_total", dimensions: [("channel", channel)]).increment()
        LiveLog.write("alert \(channel) to \(what) failed: \(why)")
    }

    struct DeliveryError: Error, CustomStringConvertible {
        var description: String
    }

    /// A failed delivery in words for the server log: Foundation's network and file errors print
    /// as `Error Domain=NSURLErrorDomain Code=-1004 "(null)"`, which tells the on-call engineer
    /// nothing they can act on.
    static func describe(_ error: any Error) -> String {
        if let e = error as? DeliveryError { return e.description }
        let ns = error as NSError
        if ns.domain == NSURLErrorDomain {
            switch ns.code {
            case NSURLErrorCannotConnectToHost: return "connection refused (nothing listening at that address and port)"
            case NSURLErrorTimedOut:
                return "timed out (the receiver did not answer within \(Int(session.configuration.timeoutIntervalForRequest)) s)"
            case NSURLErrorCannotFindHost, NSURLErrorDNSLookupFailed: return "unknown host (DNS found no address)"
            case NSURLErrorNetworkConnectionLost: return "the connection was lost before the answer"
            case NSURLErrorNotConnectedToInternet: return "no network"
            case NSURLErrorSecureConnectionFailed, NSURLErrorServerCertificateUntrusted, NSURLErrorServerCertificateHasBadDate,
                 NSURLErrorServerCertificateHasUnknownRoot, NSURLErrorServerCertificateNotYetValid:
                return "TLS failed (certificate not trusted or handshake refused)"
            default: return "network error \(ns.code)"
            }
        }
        if let reason = LedgerError.systemReason(of: ns) { return reason }
        if ns.domain == NSCocoaErrorDomain, ns.code == CocoaError.fileNoSuchFile.rawValue || ns.code == CocoaError.fileReadNoSuchFile.rawValue {
            return "no such file"
        }
        return "\(ns.domain) error \(ns.code)"
    }

    /// Its own session: requests hanging on a dead receiver must not queue anyone else's behind
    /// them in a shared session's connection pool.
    static let session: URLSession = {
        let c = URLSessionConfiguration.ephemeral
        c.timeoutIntervalForRequest = 5
        c.timeoutIntervalForResource = 10
        return URLSession(configuration: c)
    }()

    static func post(_ json: String, to url: String) async throws {
        guard let u = URL(string: url), u.scheme == "http" || u.scheme == "https" else { throw DeliveryError(description: "not an http(s) URL") }
        var r = URLRequest(url: u, timeoutInterval: 5)
        r.httpMethod = "POST"
        r.setValue("application/json", forHTTPHeaderField: "Content-Type")
        r.httpBody = Data(json.utf8)
        let (_, response) = try await session.data(for: r)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else { throw DeliveryError(description: "HTTP \(status)") }
    }

    /// An RFC 5322 message: a plain-text body with the alert, and its JSON for machines.
    static func mail(_ a: LiveAlert, json: String, from: String, to: [String]) -> String {
        let date = DateFormatter()
        date.locale = Locale(identifier: "en_US_POSIX")
        date.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        let limits = [a.yellow.map { "yellow \(wholeNumber($0))" }, a.red.map { "red \(wholeNumber($0))" }].compactMap { $0 }.joined(separator: ", ")
        return [
            "From: \(from)", "To: \(to.joined(separator: ", "))", "Subject: [call-ledger] \(a.summary)",
            "Date: \(date.string(from: Date()))", "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit", "",
            a.summary, "",
            "department: \(a.department)", "metric: \(a.metric)", "value: \(wholeNumber(a.value))",
            "zone: \(a.zone.rawValue) (was \(a.previousZone.rawValue))", "thresholds: \(limits) (\(a.direction.rawValue))", "at: \(a.at)", "",
            json, "",
        ].joined(separator: "\r\n")
    }

    static func wholeNumber(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(format: "%.2f", x) }

    /// Runs the sendmail command with the recipients appended and the message on stdin.
    static func sendmail(_ message: String, command: [String], recipients: [String]) async throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: command[0])
        p.arguments = Array(command.dropFirst()) + recipients
        let stdin = Pipe(), stderr = Pipe()
        p.standardInput = stdin
        p.standardOutput = FileHandle.nullDevice
        p.standardError = stderr
        let status: Int32 = try await withCheckedThrowingContinuation { c in
            p.terminationHandler = { c.resume(returning: $0.terminationStatus) }
            do {
                try p.run()
            } catch {
                p.terminationHandler = nil
                c.resume(throwing: DeliveryError(description: "cannot run \(command[0]): \(Self.describe(error))"))
                return
            }
            stdin.fileHandleForWriting.write(Data(message.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        let err = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard status == 0 else {
            throw DeliveryError(description: "\(command[0]) exited \(status): \(err.trimmingCharacters(in: .whitespacesAndNewlines).prefix(300))")
        }
    }
}
