import Foundation
import Hummingbird
import LedgerEvents
import LedgerLog
import LedgerProjections
import LedgerReports
import ServiceLifecycle

/// Options of the HTTP server.
public struct LedgerServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (tests); `onServerRunning` tells which.
    public var port = 8080
    public var tokens = TokenStore()
    /// Largest request body accepted; larger ones get 413.
    public var maxBodyBytes = 32 << 20
    /// A connection that sends nothing for this long while its request is being read (a stalled
    /// upload: its partial body is held in memory), or between requests, is closed. Responses
    /// being written (event streams, long reports) are not cut.
    public var idleTimeoutSeconds = 60
    /// The live dashboard's thresholds and alert recipients (`serve --config FILE`).
    public var live = LiveConfiguration()
    public init() {}
}

/// The request context: Hummingbird's core plus the authenticated principal.
public struct LedgerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        principal = nil
    }
}

/// Resolves `Authorization: Bearer TOKEN` to a principal; 401 without a known token.
/// Tokens are never logged or echoed.
struct BearerAuthMiddleware: RouterMiddleware {
    typealias Context = LedgerRequestContext
    let tokens: TokenStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // The scheme's name is case-insensitive (RFC 9110 §11.1).
        guard let header = request.headers[.authorization], header.utf8.count > 7, header.prefix(7).lowercased() == "bearer " else {
            throw APIError(.unauthorized, "unauthorized", "send Authorization: Bearer TOKEN")
        }
        // Trimmed by hand: Foundation's `trimmingCharacters` bridges through NSString, several
        // microseconds on every request.
        var token = header.utf8.dropFirst(7)
        while token.first == 0x20 || token.first == 0x09 { token = token.dropFirst() }
        while token.last == 0x20 || token.last == 0x09 { token = token.dropLast() }
        guard let p = tokens.principal(for: String(Substring(token))) else {
            throw APIError(.unauthorized, "unauthorized", "unknown token")
        }
        var context = context
        context.principal = p
        return try await next(request, context)
    }
}

/// An error answered as JSON: `{"error": code, "message": …, …details}`.
struct APIError: HTTPResponseError {
    let status: HTTPResponse.Status
    let code: String
    let message: String
    var details: JSONObject = [:]

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String, details: JSONObject = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var body = JSONObject([("error", .string(code)), ("message", .string(message))])
        body.members += details.members
        return jsonResponse(.object(body), status: status)
    }
}

func jsonResponse(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
    var bytes: [UInt8] = []
    JSONWriter.write(value, into: &bytes)
    bytes.append(0x0A)
    return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
}

extension LedgerRequestContext {
    /// The principal, if it has `scope`; else 403.
    func require(_ scope: Scope) throws -> Principal {
        guard let p = principal else { throw APIError(.unauthorized, "unauthorized", "send Authorization: Bearer TOKEN") }
        guard p.allows(scope) else { throw APIError(.forbidden, "forbidden", "this token lacks the \(scope.rawValue) scope") }
        return p
    }
}

/// Builds the server: `/healthz`, the managers' pages under `/ui/`, and under `/v1` the event log
/// and report API, behind bearer tokens.
///
/// ```swift
/// let app = buildApplication(configuration: config, engine: engine)
/// try await app.runService()
/// ```
public func buildApplication(configuration: LedgerServerConfiguration, engine: ProjectionEngine,
                             onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
    LedgerMetrics.bootstrap()
    let router = Router(context: LedgerRequestContext.self)
    router.add(middleware: RequestMetricsMiddleware())
    router.add(middleware: EdgeMiddleware())
    let log = engine.log
    LedgerMetrics.observe(log)
    router.get("/healthz") { _, _ -> Response in
        jsonResponse(["status": "ok", "last_position": .number(String(log.lastPosition))])
    }
    LedgerMetrics.register(on: router, engine: engine)
    WebRoutes().register(on: router)
    OpenAPIRoute.register(on: router)
    let v1 = router.group("v1").add(middleware: BearerAuthMiddleware(tokens: configuration.tokens))
    // Who the token belongs to and what it may do: the pages show only what the scopes allow.
    v1.get("me") { _, context -> Response in
        guard let p = context.principal else { throw APIError(.unauthorized, "unauthorized", "send Authorization: Bearer TOKEN") }
        let scopes = Scope.allCases.filter { p.allows($0) }.map { JSONValue.string($0.rawValue) }
        return jsonResponse(["user": .string(p.user), "scopes": .array(scopes)])
    }
    EventRoutes(log: log, maxBodyBytes: configuration.maxBodyBytes).register(on: v1)
    ReportRoutes(engine: engine).register(on: v1)
    StatusRoutes(engine: engine).register(on: v1)
    let live = LiveDashboard(engine: engine, configuration: configuration).register(on: router, v1: v1)
    return Application(
        responder: HeadAsGetResponder(base: router.buildResponder(), routes: RouteMethods(router.routes.map { ($0.path, $0.method) })),
        server: .http1(configuration: .init(additionalChannelHandlers: [HTTPEdgeHandler(maxBodyBytes: configuration.maxBodyBytes)],
                                            idleTimeout: .seconds(Int64(configuration.idleTimeoutSeconds)))),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "call-ledger"),
        services: engine.workers() + live,
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: ServerLogHandler.logger(label: "call-ledger")
    )
}

/// Runs `app` until SIGTERM or SIGINT, then drains: in-flight requests finish and event streams
/// end. Whatever still holds on after `drainSeconds` (a client that stopped reading a stream, a
/// body sent halfway) is cancelled, so a stop always ends; acknowledged appends are durable
/// before they are acknowledged, so cancelling loses none of them.
public func runServer(_ app: some ApplicationProtocol, drainSeconds: Int = 10) async throws {
    var c = ServiceGroupConfiguration(services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: app.logger)
    c.maximumGracefulShutdownDuration = .seconds(drainSeconds)
    c.maximumCancellationDuration = .seconds(5)
    try await ServiceGroup(configuration: c).run()
}

/// An unknown route answers like every other error: a JSON body saying what went wrong.
/// `HEAD` wherever `GET` is routed (RFC 9110 §9.3.2; monitoring probes use it): the `GET`
/// response's status and headers, without its body. Hummingbird routes only the methods given,
/// and picks the route before any middleware runs, so this wraps the router's responder.
///
/// A path that is routed for other methods answers 405 with `Allow` (RFC 9110 §15.5.6), not 404:
/// `DELETE /v1/events` is a wrong method, not a missing resource. Done here, where the whole route
/// table is known; only a 404 pays for the look-up.
struct HeadAsGetResponder<Base: HTTPResponder>: HTTPResponder {
    typealias Context = Base.Context
    let base: Base
    let routes: RouteMethods

    @Sendable func respond(to request: Request, context: Context) async throws -> Response {
        guard request.method == .head else {
            let response = try await base.respond(to: request, context: context)
            return response.status == .notFound ? wrongMethod(request) ?? response : response
        }
        var head = request.head
        head.method = .get
        var response = try await base.respond(to: Request(head: head, body: request.body), context: context)
        // A path routed only for POST: 405 for HEAD too (no GET to stand in for it).
        if response.status == .notFound, let wrong = wrongMethod(request) { response = wrong }
        let length = response.headers[.contentLength]
        response.body = ResponseBody()
        response.headers[.contentLength] = length
        return response
    }

    /// The 405 for a request whose path is routed only for other methods; nil otherwise (a 404 of
    /// a routed method, such as an unknown call id, stays a 404).
    private func wrongMethod(_ request: Request) -> Response? {
        let allowed = routes.methods(for: request.uri.path)
        guard !allowed.isEmpty, !allowed.contains(request.method.rawValue) else { return nil }
        let list = allowed.joined(separator: ", ")
        let body: JSONValue = .object(JSONObject([
            ("error", .string("method_not_allowed")),
            ("message", .string("\(request.method) is not taken by \(request.uri.path): use \(list)")),
            ("allowed", .array(allowed.map { .string($0) })),
        ]))
        var response = jsonResponse(body, status: .methodNotAllowed)
        response.headers[.allow] = list
        return response
    }
}

/// Which methods each routed path takes, for telling a wrong method (405) from a wrong path (404).
struct RouteMethods: Sendable {
    private let routes: [(path: RouterPath, method: String)]

    init(_ routes: [(RouterPath, HTTPRequest.Method)]) {
        self.routes = routes.map { ($0.0, $0.1.rawValue) }
    }

    /// The methods routed for `path` (with `HEAD` wherever `GET` is), sorted; empty when no route
    /// matches it whatever the method.
    func methods(for path: String) -> [String] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        var found = Set<String>()
        for r in routes where r.path.components.count == parts.count
            && zip(r.path.components, parts).allSatisfy({ $0 ~= $1 }) {
            found.insert(r.method)
            if r.method == "GET" { found.insert("HEAD") }
        }
        return found.sorted()
    }
}

/// The edge of every request: an unknown route answered as JSON, and at `LOG_LEVEL=debug` one
/// access line per request (method, path, status, milliseconds; the token is never logged).
/// One middleware for both: each one more is an async frame on every request.
struct EdgeMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let logs = context.logger.logLevel <= .debug
        let started = logs ? ContinuousClock.now : nil
        do {
            let response = try await next(request, context)
            if let started { Self.log(request, context, status: response.status.code, since: started) }
            return response
        } catch let e as HTTPError where e.status == .notFound {
            if let started { Self.log(request, context, status: 404, since: started) }
            throw APIError(.notFound, "not_found", "no route \(request.method) \(request.uri.path); the API is described at /openapi.yaml")
        } catch {
            if let started { Self.log(request, context, status: (error as? any HTTPResponseError)?.status.code ?? 500, since: started) }
            throw error
        }
    }

    private static func log(_ request: Request, _ context: Context, status: Int, since started: ContinuousClock.Instant) {
        let d = ContinuousClock.now - started
        let ms = Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
        context.logger.debug("\(request.method) \(request.uri.path) \(status) \(String(format: "%.1f", ms)) ms")
    }
}
