import Foundation
import Hummingbird
import LedgerEvents
import LedgerExport
import LedgerLog
import LedgerProjections
import LedgerReports
import ServiceLifecycle
import Synchronization

/// The live dashboard (issue 8): `GET /v1/departments/{d}/live` (JSON, `read`),
/// `GET /v1/departments/{d}/live/stream` (Server-Sent Events: `panel` when it changes, `alert`
/// when a metric changes zone), the page `/live/{d}`, and the monitor that keeps panels current
/// and sends alerts.
struct LiveDashboard {
    let engine: ProjectionEngine
    let configuration: LedgerServerConfiguration

    /// Registers the routes and returns the monitor, to run beside the projection workers.
    func register(on router: Router<LedgerRequestContext>, v1: RouterGroup<LedgerRequestContext>) -> [any Service] {
        let hub = LiveHub(engine: engine, configuration: configuration.live)
        let tokens = configuration.tokens
        v1.get("departments/:department/live") { request, context in
            _ = try context.require(.read)
            let department = try context.parameters.decoded("department")
            let cut = try ReportRoutes(engine: engine).cut(request, takes: [])
            let at = try LiveView.instant(of: cut, log: engine.log, now: LiveView.nowMs)
            let panel = try LiveView(engine: engine, department: department, at: at, cut: cut, presence: hub.presence).panel()
            guard request.uri.queryParameters["format"].map({ $0 == "json" }) ?? true else {
                // csv and xlsx: the CLI's files; any other format: the reports' 400.
                return try ReportRoutes(engine: engine).respond(request, panel, .live(panel))
            }
            return jsonResponse(try hub.document(panel))
        }
        // Outside the bearer middleware: a browser's EventSource cannot send headers, so the
        // token may come as `?token=` here (and only here).
        router.get("v1/departments/:department/live/stream") { request, context in
            let header = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
            let given = header ?? request.uri.queryParameters["token"].map(String.init)
            guard let token = given?.trimmingCharacters(in: .whitespaces), let p = tokens.principal(for: token) else {
                throw APIError(.unauthorized, "unauthorized", "send Authorization: Bearer TOKEN or ?token=TOKEN")
            }
            guard p.allows(.read) else { throw APIError(.forbidden, "forbidden", "this token lacks the read scope") }
            try checkQuery(request, takes: ["token", "limit"])
            let department = try context.parameters.decoded("department")
            let limit = request.uri.queryParameters["limit"].flatMap { Int(String($0)) } ?? .max
            let (id, messages) = hub.subscribe(department)
            let body = ResponseBody { writer in
                defer { hub.unsubscribe(id) }
                // Graceful shutdown (SIGTERM) ends the stream, so the server can drain.
                try await withGracefulShutdownHandler {
                    var sent = 0
                    for await m in messages {
                        try await writer.write(ByteBuffer(bytes: m))
                        // `limit` counts messages: the keep-alive comment (": ping") every 15 s is not one.
                        if m.first != UInt8(ascii: ":") { sent += 1 }
                        if sent >= limit { break }
                    }
                } onGracefulShutdown: {
                    hub.unsubscribe(id)
                }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
        }
        router.get("live/:department") { _, context -> Response in
            let department = try context.parameters.decoded("department")
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: LivePage.html(department: department))))
        }
        return [LiveMonitor(hub: hub, delivery: AlertDelivery(configuration: configuration.live))]
    }
}

/// Panels and alerts shared between the monitor and the stream subscribers.
final class LiveHub: Sendable {
    let engine: ProjectionEngine
    let configuration: LiveConfiguration
    let presence: PresenceCache

    private struct Subscriber {
        let department: String
        let continuation: AsyncStream<[UInt8]>.Continuation
    }

    private struct State {
        var nextID = 0
        var subscribers: [Int: Subscriber] = [:]
        /// The last panel sent per department, without its instant (to tell a change).
        var lastSent: [String: [UInt8]] = [:]
        var lastMessage: [String: [UInt8]] = [:]
        var tracker = ZoneTracker()
    }

    private let state = Mutex(State())

    init(engine: ProjectionEngine, configuration: LiveConfiguration) {
        self.engine = engine
        self.configuration = configuration
        presence = PresenceCache(log: engine.log)
    }

    /// The panel's JSON plus each thresholded metric's zone and the thresholds themselves.
    func document(_ panel: LivePanel) throws -> JSONValue {
        guard case .object(var o) = try OrderedJSONEncoder.encode(panel) else { return .null }
        let thresholds = configuration.thresholds(for: panel.department)
        let zones = ZoneTracker.zones(of: panel.metrics, thresholds: thresholds)
        o.members.append(("zones", .object(JSONObject(LiveMetrics.names.compactMap { n in zones[n].map { (n, JSONValue.string($0.rawValue)) } }))))
        o.members.append(("thresholds", .object(JSONObject(try LiveMetrics.names.compactMap { n in
            try thresholds[n].map { (n, try OrderedJSONEncoder.encode($0)) }
        }))))
        o.members.append(("no_data", .array(LiveMetrics.names.filter(panel.metrics.noData.contains).map(JSONValue.string))))
        return .object(o)
    }

    /// A new stream of SSE messages for `department`, starting with its current panel.
    func subscribe(_ department: String) -> (Int, AsyncStream<[UInt8]>) {
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .bufferingNewest(64))
        let (id, last) = state.withLock { s -> (Int, [UInt8]?) in
            s.nextID += 1
            s.subscribers[s.nextID] = Subscriber(department: department, continuation: continuation)
            return (s.nextID, s.lastMessage[department])
        }
        if let last { continuation.yield(last) } else if let m = try? message(for: department, at: LiveView.nowMs) { continuation.yield(m.bytes) }
        continuation.onTermination = { [weak self] _ in self?.unsubscribe(id) }
        return (id, stream)
    }

    func unsubscribe(_ id: Int) {
        let s = state.withLock { $0.subscribers.removeValue(forKey: id) }
        s?.continuation.finish()
    }

    /// Departments to compute: the watched ones and those with an open stream.
    var departments: [String] {
        let open = state.withLock { Set($0.subscribers.values.map(\.department)) }
        return Array(open.union(configuration.watchedDepartments)).sorted()
    }

    func message(for department: String, at now: Int64) throws -> (panel: LivePanel, bytes: [UInt8]) {
        let panel = try LiveView(engine: engine, department: department, at: now, presence: presence).panel()
        var bytes = Array("event: panel\ndata: ".utf8)
        JSONWriter.write(try document(panel), into: &bytes)
        bytes += Array("\n\n".utf8)
        return (panel, bytes)
    }

    /// Recomputes `department`'s panel at `now`: sends it to its streams if it changed, and
    /// returns the alerts its zone changes raise or clear (watched departments only).
    func refresh(_ department: String, at now: Int64) throws -> [LiveAlert] {
        let (panel, bytes) = try message(for: department, at: now)
        var stable = panel
        stable.at = ""
        stable.windowFrom = ""
        let key = try Array(OrderedJSONEncoder.string(stable).utf8)
        let watched = configuration.departments[department] != nil
        let thresholds = configuration.thresholds(for: department)
        let (targets, alerts) = state.withLock { s -> ([AsyncStream<[UInt8]>.Continuation], [LiveAlert]) in
            let alerts = watched ? s.tracker.update(panel, thresholds: thresholds) : []
            s.lastMessage[department] = bytes
            let changed = s.lastSent[department] != key
            s.lastSent[department] = key
            let all = s.subscribers.values.filter { $0.department == department }.map(\.continuation)
            return (changed || !alerts.isEmpty ? all : [], alerts)
        }
        for c in targets { c.yield(bytes) }
        if !alerts.isEmpty {
            let streams = state.withLock { s in s.subscribers.values.filter { $0.department == department }.map(\.continuation) }
            for a in alerts {
                var m = Array("event: alert\ndata: ".utf8)
                m += Array((try OrderedJSONEncoder.string(a)).utf8)
                m += Array("\n\n".utf8)
                for c in streams { c.yield(m) }
            }
        }
        return alerts
    }

    /// A comment line to every stream: proxies keep it open, and a closed one is noticed (its
    /// write fails) even when its panel does not change.
    func ping() {
        let all = state.withLock { $0.subscribers.values.map(\.continuation) }
        for c in all { c.yield(Array(": ping\n\n".utf8)) }
    }

    /// Ends every stream (shutdown).
    func finishAll() {
        let all = state.withLock { s -> [AsyncStream<[UInt8]>.Continuation] in
            defer { s.subscribers = [:] }
            return s.subscribers.values.map(\.continuation)
        }
        for c in all { c.finish() }
    }
}

/// Keeps the panels current: recomputes them when the calls read model moves (events arrived)
/// and every `refresh_ms` (waits grow and the hour slides with no event), then hands zone
/// changes to the alert delivery, which never waits on the ingest path.
struct LiveMonitor: Service {
    let hub: LiveHub
    let delivery: AlertDelivery

    func run() async throws {
        let engine = hub.engine
        let refresh = Duration.milliseconds(hub.configuration.refreshMs)
        await cancelWhenGracefulShutdown {
            var lastCheckpoint: UInt64 = .max
            var lastRun = ContinuousClock.now - refresh
            var lastPing = ContinuousClock.now
            while !Task.isCancelled {
                let checkpoint = (try? engine.status(of: "calls").checkpoint) ?? 0
                let head = engine.log.lastPosition
                // At most one pass per 20 ms: under a flood of events, panels stay within the
                // 100 ms lag target without taking a core from ingest.
                let due = ContinuousClock.now - lastRun >= refresh
                    || (checkpoint != lastCheckpoint && ContinuousClock.now - lastRun >= .milliseconds(20))
                if due {
                    lastCheckpoint = checkpoint
                    lastRun = ContinuousClock.now
                    let now = LiveView.nowMs
                    for d in hub.departments {
                        do {
                            for a in try hub.refresh(d, at: now) { delivery.deliver(a) }
                        } catch {
                            LiveLog.write("live panel of \(d) failed: \(error)")
                        }
                    }
                }
                if ContinuousClock.now - lastPing >= .seconds(15) {
                    lastPing = ContinuousClock.now
                    hub.ping()
                }
                if checkpoint < head || checkpoint != lastCheckpoint {
                    // The calls read model is behind, or moved within the 20 ms: look again shortly.
                    try? await Task.sleep(for: .milliseconds(5))
                } else {
                    await withTaskGroup(of: Void.self) { g in
                        g.addTask { await engine.log.waitForAppend(beyond: head) }
                        g.addTask { try? await Task.sleep(for: refresh) }
                        await g.next()
                        g.cancelAll()
                    }
                }
            }
        }
        hub.finishAll()
    }
}

/// Lines on stderr for operators (the server has no other log).
enum LiveLog {
    static func write(_ line: String) {
        let stamp = EventTime(milliseconds: LiveView.nowMs).rfc3339UTC
        FileHandle.standardError.write(Data("\(stamp) \(line)\n".utf8))
    }
}
