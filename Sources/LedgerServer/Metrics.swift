import Dispatch
import Hummingbird
import LedgerLog
import LedgerProjections
import Metrics
import Prometheus
import Synchronization

/// The server's metrics: swift-metrics handlers backed by one Prometheus registry for the
/// process, rendered by `GET /metrics` in the Prometheus text format.
///
/// Names (all prefixed `ledger_` except Hummingbird's HTTP ones):
/// - `ledger_append_requests_total{outcome}`: `POST /v1/events` by outcome (`ok`, `invalid`, `conflict`, `too_large`, `aborted`: the client went away mid-upload);
/// - `ledger_appended_events_total`, `ledger_duplicate_events_total`;
/// - `ledger_append_batch_size`: events per accepted request (histogram);
/// - `ledger_commit_duration_seconds`, `ledger_commit_group_records`: each group commit (histograms);
/// - `ledger_last_position`, `ledger_unindexed_events`, `ledger_projection_checkpoint{projection}`,
///   `ledger_projection_lag_events{projection}`, `ledger_projection_failed{projection}` (gauges, read at scrape);
/// - `http_server_request_duration{http_route,http_request_method,http_response_status_code}` (seconds),
///   `http_server_active_requests`, `hb_requests`, `hb_request_errors` (Hummingbird's names, recorded by ``RequestMetricsMiddleware``).
public enum LedgerMetrics {
    /// The registry every handler of this process writes to.
    public static let registry = PrometheusCollectorRegistry()

    private static let bootstrapped: Void = {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["ledger_commit_duration_seconds"] = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
        ]
        factory.valueHistogramBuckets["ledger_append_batch_size"] = [1, 2, 5, 10, 50, 100, 500, 1000, 5000, 10000, 50000]
        factory.valueHistogramBuckets["ledger_commit_group_records"] = [1, 2, 5, 10, 50, 100, 500, 1000, 5000, 10000, 50000]
        MetricsSystem.bootstrap(factory)
    }()

    /// Installs the Prometheus backend once per process (later calls do nothing).
    public static func bootstrap() { _ = bootstrapped }

    /// The append path's handles, made once (after ``bootstrap()``, on the first request): making
    /// one looks it up in the registry under a lock, a cost every single-event append would pay.
    private static let appendHandles = (
        ok: Counter(label: "ledger_append_requests_total", dimensions: [("outcome", "ok")]),
        appended: Counter(label: "ledger_appended_events_total"),
        duplicates: Counter(label: "ledger_duplicate_events_total"),
        batchSize: Recorder(label: "ledger_append_batch_size", aggregate: true)
    )

    static func appendRequest(_ outcome: String) {
        if outcome == "ok" { return appendHandles.ok.increment() }
        Counter(label: "ledger_append_requests_total", dimensions: [("outcome", outcome)]).increment()
    }

    static func appended(_ result: AppendResult) {
        appendHandles.appended.increment(by: result.appended)
        appendHandles.duplicates.increment(by: result.duplicates)
        appendHandles.batchSize.record(result.positions.count)
    }

    /// Records every group commit of `log`.
    static func observe(_ log: EventLog) {
        let duration = Timer(label: "ledger_commit_duration_seconds")
        let records = Recorder(label: "ledger_commit_group_records", aggregate: true)
        log.observeCommits { stats in
            duration.recordNanoseconds(Int64(stats.duration.components.seconds) * 1_000_000_000
                                       + stats.duration.components.attoseconds / 1_000_000_000)
            records.record(stats.records)
        }
    }

    /// The Prometheus text, with the gauges read now.
    static func render(engine: ProjectionEngine) -> [UInt8] {
        let log = engine.log
        Gauge(label: "ledger_last_position").record(Double(log.lastPosition))
        Gauge(label: "ledger_unindexed_events").record(Double(log.unindexedCount))
        for s in (try? engine.status()) ?? [] {
            let d = [("projection", s.name)]
            Gauge(label: "ledger_projection_checkpoint", dimensions: d).record(Double(s.checkpoint))
            Gauge(label: "ledger_projection_lag_events", dimensions: d).record(Double(s.lag))
            Gauge(label: "ledger_projection_failed", dimensions: d).record(s.state == .failed ? 1 : 0)
        }
        var out: [UInt8] = []
        registry.emit(into: &out)
        return out
    }
}

extension LedgerMetrics {
    /// `GET /metrics`: the Prometheus text format. Unauthenticated like `/healthz` (counts only,
    /// no customer data), so a scraper needs no token.
    static func register(on router: Router<LedgerRequestContext>, engine: ProjectionEngine) {
        router.get("/metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: render(engine: engine))))
        }
    }
}

/// Hummingbird's `MetricsMiddleware` with the same metrics (names, labels, units), without
/// wrapping every response body.
///
/// Hummingbird's version times a response until its body is written by wrapping the body in a
/// closure, and a closure body is written as three parts (head, body, end), each its own
/// asynchronous write: a quarter of the server's CPU on a single-event append. A body of known
/// length is one buffer written as soon as the handler returns, so it is timed at that return
/// and keeps its one write. Streams (`Content-Length` unknown: server-sent events) are still
/// timed to their end, and count as active requests while they last.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let cache = RequestMetricsCache()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        let active = cache.active(request.method)
        active.increment()
        do {
            var response = try await next(request, context)
            let metrics = cache.endpoint(.init(route: context.endpointPath ?? "Unknown", method: request.method, status: response.status))
            guard response.body.contentLength == nil else {
                metrics.record(since: started, active: active)
                return response
            }
            let body = response.body
            let recording = StreamRecording { metrics.record(since: started, active: active) }
            response.body = ResponseBody(contentLength: nil) { writer in
                defer { recording.finish() }
                try await body.write(writer)
            }
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            let metrics = cache.endpoint(.init(route: context.endpointPath ?? "NotFound", method: request.method, status: status))
            metrics.errors.increment()
            metrics.record(since: started, active: active)
            throw error
        }
    }
}

/// Records a streamed response once: when its body has been written, or when the body is
/// dropped unwritten (a `HEAD` of a stream: ``HeadAsGetResponder`` sends the head only), so the
/// active-requests gauge never keeps a request that is over.
final class StreamRecording: Sendable {
    private let pending: Mutex<(@Sendable () -> Void)?>

    init(_ record: @escaping @Sendable () -> Void) { pending = Mutex(record) }

    func finish() {
        let record = pending.withLock { p -> (@Sendable () -> Void)? in
            defer { p = nil }
            return p
        }
        record?()
    }

    deinit { finish() }
}

/// The metric handles of ``RequestMetricsMiddleware``, made once per method and per (route,
/// method, status): making one looks it up in the registry under a lock.
final class RequestMetricsCache: Sendable {
    struct Key: Hashable, Sendable {
        let route: String
        let method: HTTPRequest.Method
        let status: HTTPResponse.Status
    }

    struct Endpoint: Sendable {
        let requests: Metrics.Counter
        let duration: Metrics.Timer
        let errors: Metrics.Counter

        init(_ key: Key) {
            let dimensions = [("http.route", key.route), ("http.request.method", key.method.rawValue),
                              ("http.response.status_code", String(key.status.code))]
            requests = Counter(label: "hb.requests", dimensions: dimensions)
            duration = Timer(label: "http.server.request.duration", dimensions: dimensions, preferredDisplayUnit: .seconds)
            errors = Counter(label: "hb.request.errors", dimensions: [("http.route", key.route), ("http.request.method", key.method.rawValue),
                                                                       ("error.type", String(key.status.code))])
        }

        func record(since started: UInt64, active: Metrics.Meter) {
            requests.increment()
            duration.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started))
            active.decrement()
        }
    }

    private let meters = Mutex<[HTTPRequest.Method: Metrics.Meter]>([:])
    private let endpoints = Mutex<[Key: Endpoint]>([:])

    func active(_ method: HTTPRequest.Method) -> Metrics.Meter {
        meters.withLock { m in
            if let meter = m[method] { return meter }
            let meter = Meter(label: "http.server.active_requests", dimensions: [("http.request.method", method.rawValue)])
            m[method] = meter
            return meter
        }
    }

    func endpoint(_ key: Key) -> Endpoint {
        endpoints.withLock { e in
            if let hit = e[key] { return hit }
            let made = Endpoint(key)
            e[key] = made
            return made
        }
    }
}
