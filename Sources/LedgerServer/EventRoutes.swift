import Foundation
import Hummingbird
import LedgerEvents
import LedgerLog
import ServiceLifecycle
import Synchronization

/// The threads large append bodies are parsed on (see ``EventRoutes/append(_:_:)``).
let ingestThreads = WorkerThreads(name: "ingest", nice: 5)

/// `POST /v1/events` (append, atomic, idempotent) and `GET /v1/events` (read in pages).
struct EventRoutes {
    let log: EventLog
    let maxBodyBytes: Int

    func register(on group: RouterGroup<LedgerRequestContext>) {
        group.post("events") { request, context in try await append(request, context) }
        group.get("events") { request, context in try read(request, context) }
        group.get("events/stream") { request, context in try stream(request, context) }
    }

    /// A JSON array of events, or NDJSON; all or nothing.
    func append(_ request: Request, _ context: LedgerRequestContext) async throws -> Response {
        _ = try context.require(.append)
        // A compressed body would be read as NDJSON and refused line by line as invalid events.
        if let coding = request.headers[.contentEncoding], coding.lowercased() != "identity" {
            LedgerMetrics.appendRequest("invalid")
            throw APIError(.unsupportedMediaType, "unsupported_encoding", "Content-Encoding \(coding) is not taken: send the body uncompressed")
        }
        // Refused before a byte of it is read: a client declaring 100 GB is not made to send 32 MiB first.
        if declaresLength(request.headers, over: maxBodyBytes) {
            LedgerMetrics.appendRequest("too_large")
            throw Self.tooLarge(maxBodyBytes)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxBodyBytes)
        } catch {
            // NIOCore's NIOTooManyBytesError (not re-exported by Hummingbird); anything else is a
            // client that went away mid-upload, not a body too large.
            guard String(reflecting: type(of: error)).hasSuffix("TooManyBytesError") else {
                LedgerMetrics.appendRequest("aborted")
                throw error
            }
            LedgerMetrics.appendRequest("too_large")
            throw Self.tooLarge(maxBodyBytes)
        }
        let bytes = Array(buffer.readableBytesView)
        guard bytes.contains(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) else {
            LedgerMetrics.appendRequest("invalid")
            throw APIError(.badRequest, "invalid_json", "the body is empty: send a JSON array of events or NDJSON, one event per line")
        }
        // A large body is parsed, validated and encoded on the ingest threads (nice 5), off the
        // two-thread cooperative pool: under a saturating ingest, report queries and the append
        // itself go first. A small one is done here: the hop would cost more than the work.
        let events = bytes.count < Self.inlineParseBytes
            ? try Self.prepare(bytes) : try await ingestThreads.perform { try Self.prepare(bytes) }
        do {
            let r = try await log.append(events)
            LedgerMetrics.appendRequest("ok")
            LedgerMetrics.appended(r)
            return Self.appendResponse(r)
        } catch let e as LedgerError where e.code == .conflict {
            LedgerMetrics.appendRequest("conflict")
            // existing_position null: the other event of that id is earlier in this same batch.
            func position(_ p: UInt64?) -> JSONValue { p.map { .number(String($0)) } ?? .null }
            let all: [JSONValue] = e.conflicts.map {
                .object(JSONObject([("index", .number(String($0.eventIndex))), ("id", .string($0.eventID)),
                                    ("existing_position", position($0.existingPosition))]))
            }
            throw APIError(.conflict, "conflict", e.message,
                           details: ["index": .number(String(e.eventIndex ?? -1)), "id": e.eventID.map { .string($0) } ?? .null,
                                     "existing_position": position(e.existingPosition),
                                     "conflicts": .array(all), "conflict_count": .number(String(e.conflictCount))])
        }
    }

    static func tooLarge(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, "body_too_large", "the body is over \(limit) bytes: send smaller batches")
    }

    /// `{"appended":N,"duplicates":N,"last_position":P,"positions":[…]}`, written straight into
    /// bytes: built as a `JSONValue` tree first, it was a tenth of a single-event append's handler.
    static func appendResponse(_ r: AppendResult) -> Response {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64 + 12 * r.positions.count)
        bytes.append(contentsOf: #"{"appended":"#.utf8)
        bytes.append(contentsOf: String(r.appended).utf8)
        bytes.append(contentsOf: #","duplicates":"#.utf8)
        bytes.append(contentsOf: String(r.duplicates).utf8)
        bytes.append(contentsOf: #","last_position":"#.utf8)
        bytes.append(contentsOf: String(r.lastPosition).utf8)
        bytes.append(contentsOf: #","positions":["#.utf8)
        for (k, p) in r.positions.enumerated() {
            if k > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: String(p).utf8)
        }
        bytes.append(contentsOf: "]}\n".utf8)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// Bodies smaller than this (about 100 events) are parsed on the request's own task.
    static let inlineParseBytes = 16 * 1024

    /// The events of a JSON-array or NDJSON body, validated and encoded for storage; throws a 400
    /// naming every problem.
    static func prepare(_ bytes: [UInt8]) throws -> EventLog.PreparedEvents {
        let firstByte = bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        if firstByte == UInt8(ascii: "[") { return EventLog.prepare(try parseArray(bytes)) }
        switch EventLog.prepare(ndjson: bytes) {
        case .success(let events): return events
        case .failure(let err): throw invalid(err.issues)
        }
    }

    /// The events of a JSON-array body, all validated; throws a 400 naming every problem.
    static func parseArray(_ bytes: [UInt8]) throws -> [Event] {
        var events: [Event] = []
        var problems: [ValidationIssue] = []
        do {
            guard case .array(let values) = try JSONParser.parse(bytes) else { throw APIError(.badRequest, "invalid_json", "expected a JSON array") }
            for (k, v) in values.enumerated() {
                switch EventValidator.validate(v, index: k) {
                case .success(let e): events.append(e)
                case .failure(let err): problems += err.issues
                }
            }
        } catch let e as JSONParser.SyntaxError {
            LedgerMetrics.appendRequest("invalid")
            throw APIError(.badRequest, "invalid_json", e.description)
        }
        if !problems.isEmpty { throw invalid(problems) }
        return events
    }

    /// The 400 for events that break wire format v1 (counted in the metrics).
    static func invalid(_ problems: [ValidationIssue]) -> APIError {
        LedgerMetrics.appendRequest("invalid")
        return APIError(.badRequest, "invalid_events", "\(problems.count) problem(s); nothing was stored",
                        details: ["problems": .array(problems.map(Self.json))])
    }

    static func json(_ i: ValidationIssue) -> JSONValue {
        var o = JSONObject([("index", .number(String(i.index)))])
        if let line = i.line { o.members.append(("line", .number(String(line)))) }
        o.members.append(("id", i.eventID.map { .string($0) } ?? .null))
        o.members.append(("field", .string(i.field)))
        o.members.append(("message", .string(i.message)))
        return .object(o)
    }

    /// Server-Sent Events: history after `after` (or the `Last-Event-ID` header), then every new
    /// event as it is committed. Each message's `id` is the event's position, so a client that
    /// reconnects with `Last-Event-ID` misses nothing and sees nothing twice. `limit` ends the
    /// stream after that many events (for scripts and tests).
    func stream(_ request: Request, _ context: LedgerRequestContext) throws -> Response {
        _ = try context.require(.read)
        try checkQuery(request, takes: ["after", "limit"])
        let resume = try request.headers[values: .init("Last-Event-ID")!].first.map { s -> UInt64 in
            guard let v = UInt64(s) else { throw APIError(.badRequest, "invalid_parameter", "Last-Event-ID: expected a position ≥ 0, got \"\(s)\"") }
            return v
        }
        let after = try resume ?? request.uri.queryParameters["after"].map { s -> UInt64 in
            guard let v = UInt64(String(s)) else { throw APIError(.badRequest, "invalid_parameter", "after: expected a position ≥ 0") }
            return v
        } ?? 0
        let limit = try request.uri.queryParameters["limit"].map { s -> Int in
            guard let v = Int(String(s)), v >= 1 else { throw APIError(.badRequest, "invalid_parameter", "limit: expected a number of events ≥ 1") }
            return v
        } ?? .max
        let log = self.log
        let body = ResponseBody { writer in
            // A stream never ends by itself: graceful shutdown (SIGTERM) ends it so the server can
            // drain, and a comment line every 15 s on an idle ledger finds clients that went away.
            let stopping = ShutdownFlag()
            try await withGracefulShutdownHandler {
                var cursor = after
                var sent = 0
                var lastWrite = ContinuousClock.now
                while sent < limit && !stopping.isSet && !Task.isCancelled {
                    let page = try log.events(after: cursor, limit: min(1024, limit - sent))
                    if page.isEmpty {
                        await log.waitForAppend(beyond: cursor)  // at most 500 ms, so a shutdown is noticed
                        if ContinuousClock.now - lastWrite > .seconds(15) {
                            try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                            lastWrite = .now
                        }
                        continue
                    }
                    var bytes: [UInt8] = []
                    for e in page {
                        bytes.append(contentsOf: "id: \(e.position)\ndata: ".utf8)
                        e.appendJSONLine(into: &bytes)  // ends with "\n"
                        bytes.append(0x0A)
                    }
                    try await writer.write(ByteBuffer(bytes: bytes))
                    lastWrite = .now
                    sent += page.count
                    cursor = page[page.count - 1].position
                }
            } onGracefulShutdown: {
                stopping.set()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    /// NDJSON of events after `after`, at most `limit` (default 1,000, at most 10,000).
    func read(_ request: Request, _ context: LedgerRequestContext) throws -> Response {
        _ = try context.require(.read)
        try checkQuery(request, takes: ["after", "limit"])
        let after = try request.uri.queryParameters["after"].map { s -> UInt64 in
            guard let v = UInt64(String(s)) else { throw APIError(.badRequest, "invalid_parameter", "after: expected a position ≥ 0") }
            return v
        } ?? 0
        let limit = try request.uri.queryParameters["limit"].map { s -> Int in
            guard let v = Int(String(s)), v >= 1, v <= 10_000 else { throw APIError(.badRequest, "invalid_parameter", "limit: expected 1…10000") }
            return v
        } ?? 1000
        var out: [UInt8] = []
        for e in try log.events(after: after, limit: limit) { e.appendJSONLine(into: &out) }
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: .init(byteBuffer: ByteBuffer(bytes: out)))
    }
}

/// Set once when graceful shutdown begins; polled by long-running responses.
final class ShutdownFlag: Sendable {
    private let flag = Mutex(false)
    var isSet: Bool { flag.withLock { $0 } }
    func set() { flag.withLock { $0 = true } }
}
