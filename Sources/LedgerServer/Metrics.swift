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
///   `http_server_active_requests`, `hb_requests`, `hb_request_errors` (Hummingbird's `MetricsMiddleware`).
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
