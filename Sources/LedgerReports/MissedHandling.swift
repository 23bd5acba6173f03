import Foundation
import LedgerEvents
import LedgerLog
import LedgerProjections
import Synchronization

/// Dismissing an open episode by hand: the shared rules of the CLI's `handle` and the API.
public enum MissedHandling {
    private static let inFlight = Mutex<Set<String>>([])

    /// Why a dismissal was refused.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Checks the rules, appends `missed.handled` (id `handled-<uuid>`, `at` now, source `call-ledger`),
    /// and returns the closed episode as the processed list now shows it.
    ///
    /// - Throws: ``Refusal`` when there is no open episode for (department, client), the reason is
    ///   unknown, or the reason is `other` without a comment; ``LedgerError`` when appending fails.
    public static func handle(engine: ProjectionEngine, department: String, client: String, by: String, reason: String,
                              comment: String?, now: Date = Date()) async throws -> EpisodeRow {
        guard DismissalReason(rawValue: reason) != nil else {
            throw Refusal(description: "unknown reason \"\(reason)\"; use one of \(DismissalReason.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if reason == "other" && !(comment ?? "").contains(where: { !$0.isWhitespace }) {
            throw Refusal(description: "a comment is required when the reason is other: say what happened")
        }
        guard !ClientNumber(client).isHidden else { throw Refusal(description: "\"\(client)\" is a hidden number: hidden numbers have no episodes") }
        // One dismissal at a time per department: two managers pressing Handle together must not
        // both find the episode open and both append (the second is refused as nothing to dismiss).
        while !inFlight.withLock({ $0.insert(department).inserted }) { try await Task.sleep(for: .milliseconds(2)) }
        defer { inFlight.withLock { _ = $0.remove(department) } }
        // Another process (a second server, the CLI) can dismiss at the same moment: the append
        // holds only if nothing of the client came after what this decision was made on, and is
        // decided again otherwise (the other dismissal has closed the episode by then).
        var attempts = 0
        while true {
            do {
                return try await handleOnce(engine: engine, department: department, client: client, by: by, reason: reason,
                                            comment: comment, now: now)
            } catch let e as LedgerError where e.code == .conditionFailed {
                attempts += 1
                if attempts == 20 {
                    throw Refusal(description: "client \(client)'s calls kept changing in \(department) while dismissing (20 tries): nothing was stored; try again")
                }
            }
        }
    }

    private static func handleOnce(engine: ProjectionEngine, department: String, client: String, by: String, reason: String,
                                   comment: String?, now: Date) async throws -> EpisodeRow {
        let seen = engine.log.lastPosition
        try engine.catchUp()
        let view = try DepartmentView(engine: engine, department: department)
        let open = try view.unprocessed()
        // The number as the queue shows it (already normalised: the pages send that), else as dialled.
        // They differ only for a normal form starting with 00, which normalising again would strip.
        let number = open.contains { $0.client == client } ? ClientNumber(normalized: client) : ClientNumber(client)
        guard let episode = open.first(where: { $0.client == number.digits }) else {
            throw Refusal(description: "client \(number.digits) has no open missed-call episode in \(department): nothing to dismiss")
        }
        // Stored so that it normalises back to this client: `00` + digits always does.
        let stored = ClientNumber(client) == number ? client : "00" + number.digits
        var data: JSONObject = ["department": .string(department), "client": .string(stored), "by": .string(by), "reason": .string(reason)]
        if let comment { data["comment"] = .string(comment) }
        // Now, or when the episode opened if that is later: a PBX whose clock runs ahead of this
        // machine's opens episodes "in the future", and a dismissal stamped before that closed
        // nothing (it was stored, and each retry stored another).
        let clock = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        let opened = (try? EventTime(rfc3339: episode.openedAt).milliseconds) ?? clock
        let at = EventTime(milliseconds: max(clock, opened))
        let event = Event(id: "handled-\(UUID().uuidString.lowercased())", type: .missedHandled, at: at, source: "call-ledger", data: data)
        _ = try await engine.log.append([event], ifNothingOfClient: ClientNumber(stored), after: seen)
        try engine.catchUp()
        guard let row = try view.processed(limit: 50).first(where: { $0.client == number.digits && $0.closedHow == "dismissed" }) else {
            throw Refusal(description: "the dismissal was stored but the episode did not close; check the audit")
        }
        return row
    }
}
