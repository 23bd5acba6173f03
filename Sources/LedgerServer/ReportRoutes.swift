import Foundation
import Hummingbird
import LedgerEvents
import LedgerExport
import LedgerProjections
import LedgerReports
import LedgerXLSX

/// The report endpoints: the same reports and JSON as the CLI, with `as_of_position`,
/// `as_of_recorded` or `as_of` (one at a time), `format=json|csv|xlsx` (the CLI's files, from
/// `LedgerExport`), and dismissing an episode by hand.
struct ReportRoutes {
    let engine: ProjectionEngine

    func register(on group: RouterGroup<LedgerRequestContext>) {
        group.get("departments/:department/unprocessed") { request, context in
            _ = try context.require(.read)
            let department = try context.parameters.decoded("department")
            let rows = try DepartmentView(engine: engine, department: department, cut: try cut(request, takes: [])).unprocessed()
            return try respond(request, rows, .unprocessed(rows, department: department))
        }
        group.get("departments/:department/processed") { request, context in
            _ = try context.require(.read)
            let department = try context.parameters.decoded("department")
            let view = try DepartmentView(engine: engine, department: department, cut: try cut(request, takes: ["from", "to", "limit"]))
            let from = try bound(request, "from", view.timeZone), to = try bound(request, "to", view.timeZone)
            try ordered(from, to)
            let period = from == nil && to == nil ? nil : ReportPeriod(from: from ?? Int64.min / 2, to: to ?? Int64.max / 2)
            let rows = try view.processed(period, limit: try int(request, "limit") ?? 500)
            return try respond(request, rows, .processed(rows, department: department))
        }
        group.get("departments/:department/report") { request, context in
            _ = try context.require(.read)
            let view = try DepartmentView(engine: engine, department: try context.parameters.decoded("department"),
                                          cut: try cut(request, takes: ["from", "to", "by"]))
            let by = try request.uri.queryParameters["by"].map { s -> DepartmentReport.BucketSize in
                guard let b = DepartmentReport.BucketSize(rawValue: String(s)) else { throw bad("by: day, week or month") }
                try limitBuckets(b, try period(request, view.timeZone))
                return b
            }
            let report = try view.report(try period(request, view.timeZone), by: by)
            return try respond(request, report, .department(report))
        }
        group.get("departments/:department/calls") { request, context in
            _ = try context.require(.read)
            let department = try context.parameters.decoded("department")
            let view = try DepartmentView(engine: engine, department: department, cut: try cut(request, takes: ["from", "to", "result", "reason", "columns"]))
            let result = request.uri.queryParameters["result"].map(String.init)
            if let result, !["answered", "missed", "in_progress"].contains(result) { throw bad("result: answered, missed or in_progress") }
            let reason = request.uri.queryParameters["reason"].map(String.init)
            if let reason, MissedReason(rawValue: reason) == nil { throw bad("reason: unknown missed reason \(reason)") }
            // `columns` picks the CSV/XLSX columns, as the CLI's --columns does; JSON rows stay whole.
            let columns = request.uri.queryParameters["columns"].map { $0.split(separator: ",").map(String.init) } ?? CallColumns.all
            if let unknown = CallColumns.unknown(columns).first { throw bad("columns: unknown column \(unknown); known: \(CallColumns.all.joined(separator: ","))") }
            let rows = try view.callList(try period(request, view.timeZone), result: result, reason: reason)
            return try respond(request, rows, .calls(rows, columns: columns, department: department))
        }
        group.get("calls/:call_id") { request, context in
            _ = try context.require(.read)
            let id = try context.parameters.decoded("call_id")
            guard let detail = try CallDetail.load(engine: engine, callID: id, cut: try cut(request, takes: [])) else {
                throw APIError(.notFound, "not_found", "no call \(id)")
            }
            return try respond(request, detail, .call(detail))
        }
        group.get("audit/dismissals") { request, context in
            _ = try context.require(.read)
            let cut = try cut(request, takes: ["from", "to", "by", "reason", "department", "client"])
            let q = request.uri.queryParameters
            let utc = TimeZone(identifier: "UTC")!
            let reason = q["reason"].map(String.init)
            if let reason, DismissalReason(rawValue: reason) == nil {
                throw bad("reason: unknown dismissal reason \(reason); use one of \(DismissalReason.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let from = try bound(request, "from", utc), to = try bound(request, "to", utc)
            try ordered(from, to)
            let filter = DismissalFilter(by: q["by"].map(String.init), reason: reason,
                                         department: q["department"].map(String.init), client: q["client"].map(String.init),
                                         from: from, to: to)
            let rows = try DismissalAudit.rows(engine: engine, filter: filter, cut: cut)
            return try respond(request, rows, .dismissals(rows))
        }
        group.get("leads/:report") { request, context in
            _ = try context.require(.read)
            let cut = try cut(request, takes: ["from", "to", "type", "timezone"])
            let tzName = request.uri.queryParameters["timezone"].map(String.init) ?? "UTC"
            guard let tz = EventValidator.ianaTimeZone(tzName) else {
                throw bad("timezone: unknown zone \(tzName); use an IANA name such as Europe/Moscow or UTC")
            }
            let view = LeadView(engine: engine, cut: cut, timeZone: tz)
            let from = try bound(request, "from", tz), to = try bound(request, "to", tz)
            try ordered(from, to)
            let p = ReportPeriod.bounded(from: from, to: to)
            let type = request.uri.queryParameters["type"].map(String.init)
            switch try context.parameters.require("report") {
            case "conversion": let r = try view.conversion(p, type: type); return try respond(request, r, .leadConversion(r))
            case "lost": let r = try view.lost(p, type: type); return try respond(request, r, .lostLeads(r))
            case "employees": let r = try view.employees(p, type: type); return try respond(request, r, .employees(r))
            case "calls": let r = try view.calls(p, type: type); return try respond(request, r, .leadCalls(r))
            case let other: throw APIError(.notFound, "not_found", "no lead report \(other); use conversion, lost, employees or calls")
            }
        }
        group.post("departments/:department/unprocessed/:client/handle") { request, context in
            let principal = try context.require(.handle)
            // Neither NIO's size error nor the parser's is an HTTP error: uncaught, both were 500s.
            let bytes: ByteBuffer
            let tooLarge = APIError(.contentTooLarge, "body_too_large", "the body is over 64 KiB")
            if declaresLength(request.headers, over: 64 << 10) { throw tooLarge }
            do { bytes = try await request.body.collect(upTo: 64 << 10) } catch { throw tooLarge }
            let body: JSONObject?
            do { body = try JSONParser.parse(Array(bytes.readableBytesView)).objectValue } catch {
                throw APIError(.badRequest, "invalid_json", "\(error)")
            }
            guard let body else { throw bad("body: expected a JSON object {\"reason\": …, \"comment\": …}") }
            guard let reason = body.string("reason") else {
                throw bad(body["reason"] == nil || body["reason"] == .null ? "reason: required (a string: why the missed call needs no callback)"
                          : "reason: expected a string")
            }
            if let c = body["comment"], c != .null, c.stringValue == nil { throw bad("comment: expected a string") }
            do {
                let row = try await MissedHandling.handle(engine: engine, department: try context.parameters.decoded("department"),
                                                          client: try context.parameters.decoded("client"), by: principal.user,
                                                          reason: reason, comment: body.string("comment"))
                return try json(row)
            } catch let r as MissedHandling.Refusal {
                throw APIError(.unprocessableContent, "refused", r.description)
            }
        }
    }

    // MARK: Parameters

    func bad(_ message: String) -> APIError { APIError(.badRequest, "invalid_parameter", message) }

    /// The request's cut, after checking its query against the endpoint's own parameters
    /// (`takes`, besides the cut's and `format`). Every report and the panel ask for it first, so
    /// this is also where a misspelt parameter (`asof=`), one another endpoint takes, or one given
    /// twice becomes a 400: the CLI refuses an unknown option too, and silently answering without
    /// it would be a different report.
    func cut(_ request: Request, takes: [String]) throws -> Cut {
        try checkQuery(request, takes: takes + ["as_of_position", "as_of_recorded", "as_of", "format"])
        let q = request.uri.queryParameters
        let given = ["as_of_position", "as_of_recorded", "as_of"].filter { q[Substring($0)] != nil }
        guard given.count <= 1 else { throw bad("give one of as_of_position, as_of_recorded, as_of") }
        if let p = q["as_of_position"] {
            guard let v = UInt64(String(p)) else { throw bad("as_of_position: a log position") }
            return .position(v)
        }
        for (name, make) in [("as_of_recorded", Cut.recordedAt), ("as_of", Cut.occurredAt)] {
            if let t = q[Substring(name)] {
                guard let v = try? EventTime(rfc3339: String(t)) else { throw bad("\(name): \(EventTime.expectedForm)") }
                return make(v)
            }
        }
        return .all
    }

    func bound(_ request: Request, _ name: String, _ tz: TimeZone) throws -> Int64? {
        guard let s = request.uri.queryParameters[Substring(name)] else { return nil }
        guard let t = ReportPeriod.instant(String(s), in: tz) else { throw bad("\(name): a date YYYY-MM-DD or \(EventTime.expectedForm)") }
        return t
    }

    /// A period given by one or both ends must not end before it starts (as the reports' own check).
    func ordered(_ from: Int64?, _ to: Int64?) throws {
        if let from, let to, from > to { throw bad("from must not be after to") }
    }

    func period(_ request: Request, _ tz: TimeZone) throws -> ReportPeriod {
        guard let from = try bound(request, "from", tz), let to = try bound(request, "to", tz) else { throw bad("from and to are required") }
        guard from < to else { throw bad("from must be before to") }
        return ReportPeriod(from: from, to: to)
    }

    /// More than 1,000 buckets is a 400 (see ``DepartmentReport/BucketSize/tooMany(over:)``).
    func limitBuckets(_ size: DepartmentReport.BucketSize, _ p: ReportPeriod) throws {
        if let why = size.tooMany(over: p) { throw bad(why) }
    }

    func int(_ request: Request, _ name: String) throws -> Int? {
        guard let s = request.uri.queryParameters[Substring(name)] else { return nil }
        guard let v = Int(String(s)), v > 0 else { throw bad("\(name): a positive number") }
        return v
    }

    func json<T: Encodable>(_ value: T) throws -> Response {
        jsonResponse(try OrderedJSONEncoder.encode(value))
    }

    /// `format=json` (the default) answers `value`; `csv` and `xlsx` answer the export's file
    /// as an attachment named after the report; any other format is a 400.
    func respond<T: Encodable>(_ request: Request, _ value: T, _ export: @autoclosure () -> ReportExport) throws -> Response {
        switch request.uri.queryParameters["format"].map(String.init) ?? "json" {
        case "json":
            return try json(value)
        case "csv":
            let e = export()
            return file(ByteBuffer(string: e.csv()), type: "text/csv; charset=utf-8", disposition: e.contentDisposition(extension: "csv"))
        case "xlsx":
            let e = export()
            return file(ByteBuffer(bytes: try XLSXWriter.bytes(e.sheets())), type: Self.xlsxType, disposition: e.contentDisposition(extension: "xlsx"))
        case let other:
            throw bad("format: json, csv or xlsx (not \(other))")
        }
    }

    static let xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    func file(_ body: ByteBuffer, type: String, disposition: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .contentDisposition: disposition],
                 body: .init(byteBuffer: body))
    }
}

extension Parameters {
    /// A path segment percent-decoded (RFC 3986): a department named in Cyrillic or with spaces, a
    /// client as dialled (`+7 (900) …`). Hummingbird hands path parameters over still encoded.
    func decoded(_ name: String) throws -> String {
        let raw = try require(name)
        return raw.removingPercentEncoding ?? raw
    }
}
