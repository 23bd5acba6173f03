import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LedgerEvents
import LedgerExport
import LedgerReports
import LedgerTestSupport
import Testing

/// Runs a program to its end without blocking a concurrency thread (the server under test shares
/// the pool); stdout and stderr go through files so a chatty child never fills a pipe.
func runProgram(_ arguments: [String], timeout: Duration = .seconds(300)) async throws -> (status: Int32, out: String, err: String) {
    let dir = TemporaryDirectory("run")
    _ = FileManager.default.createFile(atPath: dir.sub("out"), contents: nil)
    _ = FileManager.default.createFile(atPath: dir.sub("err"), contents: nil)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = arguments
    p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.sub("out")))
    p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.sub("err")))
    try p.run()
    let deadline = ContinuousClock.now + timeout
    while p.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
    if p.isRunning { p.terminate() }
    p.waitUntilExit()
    let read = { (name: String) in (try? String(contentsOfFile: dir.sub(name), encoding: .utf8)) ?? "" }
    return (p.terminationStatus, read("out"), read("err"))
}

/// An XLSX file read back with openpyxl (a reader we did not write): sheet names and every
/// sheet's rows of values.
func readWorkbook(_ path: String) async throws -> JSONObject {
    let script = """
    import json, openpyxl, sys
    wb = openpyxl.load_workbook(sys.argv[1])
    print(json.dumps({"sheets": wb.sheetnames,
                      "rows": {ws.title: [[c.value for c in r] for r in ws.iter_rows()] for ws in wb.worksheets}}))
    """
    let r = try await runProgram(["python3", "-c", script, path], timeout: .seconds(60))
    guard r.status == 0, let o = try JSONParser.parse(r.out).objectValue else { throw TestFailure("openpyxl failed: \(r.err)") }
    return o
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

@Suite(.serialized) struct ExportEndpointTests {
    @Test func csvAndXLSXAreTheSharedExportsAsAttachments() async throws {
        let server = try await RunningServer()
        defer { Task { await server.stop() } }
        try await server.loadSimulatedHistory(days: 1)
        let view = try DepartmentView(engine: server.engine, department: "sales")
        let period = ReportPeriod(from: ReportPeriod.instant("2026-11-16", in: view.timeZone)!, to: ReportPeriod.instant("2026-11-17", in: view.timeZone)!)
        let report = try view.report(period, by: .day)
        let token = "reader-token-1"
        let base = "/v1/departments/sales/report?from=2026-11-16&to=2026-11-17&by=day"

        let csv = try await server.fetch(base + "&format=csv", token: token)
        #expect(csv.status == 200)
        #expect(csv.headers["content-type"] == "text/csv; charset=utf-8")
        #expect(csv.headers["content-disposition"] == #"attachment; filename="sales-report-2026-11-16-2026-11-17.csv""#)
        #expect(String(decoding: csv.body, as: UTF8.self) == ReportExport.department(report).csv())
        #expect(String(decoding: csv.body, as: UTF8.self).hasPrefix("section,name,value\r\n"))

        let xlsx = try await server.fetch(base + "&format=xlsx", token: token)
        #expect(xlsx.status == 200)
        #expect(xlsx.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        #expect(xlsx.headers["content-disposition"] == #"attachment; filename="sales-report-2026-11-16-2026-11-17.xlsx""#)
        let dir = TemporaryDirectory("export")
        try xlsx.body.write(to: URL(fileURLWithPath: dir.sub("r.xlsx")))
        let book = try await readWorkbook(dir.sub("r.xlsx"))
        #expect(book["sheets"] == ["Volume", "Callbacks", "Agents", "Dynamics"])
        let sheets = book["rows"]!.objectValue!
        let volume = Dictionary(sheets["Volume"]!.arrayValue!.dropFirst().map { ($0.arrayValue![0].stringValue!, $0.arrayValue![1].doubleValue!) },
                                uniquingKeysWith: { a, _ in a })
        #expect(volume["incoming"] == Double(report.volume.incoming))
        // The sheet keeps 15 significant digits.
        #expect(abs(volume["missed_share"]! - report.volume.missedShare) < 1e-12)
        #expect(volume["reasons.not_answered"] == report.volume.reasons["not_answered"])
        let agents = sheets["Agents"]!.arrayValue!
        #expect(agents.count == report.agents.count + 1)
        #expect(agents[1].arrayValue![0].stringValue == report.agents[0].agent)
        #expect(agents[1].arrayValue![2].doubleValue == Double(report.agents[0].offered))

        // The queue: the JSON field names as the CSV header, one line per open episode.
        let open = try view.unprocessed()
        let queue = try await server.fetch("/v1/departments/sales/unprocessed?format=csv", token: token)
        let lines = String(decoding: queue.body, as: UTF8.self).components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines.first == EpisodeRow.csvHeader.joined(separator: ","))
        #expect(lines.count == open.count + 1)
        #expect(queue.headers["content-disposition"] == #"attachment; filename="sales-unprocessed.csv""#)

        // Calls: `columns` picks the file's columns; an unknown one is refused.
        let calls = try await server.fetch("/v1/departments/sales/calls?from=2026-11-16&to=2026-11-17&result=missed&columns=call_id,result&format=csv", token: token)
        let callLines = String(decoding: calls.body, as: UTF8.self).components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(callLines.first == "call_id,result" && callLines.dropFirst().allSatisfy { $0.hasSuffix(",missed") })
        #expect(try await server.fetch("/v1/departments/sales/calls?from=2026-11-16&to=2026-11-17&columns=nope&format=csv", token: token).status == 400)

        // Leads as a two-sheet workbook; audit and a call's timeline as CSV.
        let employees = try await server.fetch("/v1/leads/employees?format=xlsx", token: token)
        try employees.body.write(to: URL(fileURLWithPath: dir.sub("e.xlsx")))
        #expect(try await readWorkbook(dir.sub("e.xlsx"))["sheets"] == ["Employees", "Leads"])
        let audit = try await server.fetch("/v1/audit/dismissals?format=csv", token: token)
        #expect(String(decoding: audit.body, as: UTF8.self).hasPrefix("at,by,department,client,reason,comment,attempts_before,contacted_later,closed_episode\r\n"))
        let call = try await server.fetch("/v1/calls/\(open[0].calls[0])?format=csv", token: token)
        #expect(call.status == 200 && String(decoding: call.body, as: UTF8.self).hasPrefix("at,type,text,position\r\n"))
        // The call's workbook: its timeline, and its summary per department with the call list's columns.
        let callBook = try await server.fetch("/v1/calls/\(open[0].calls[0])?format=xlsx", token: token)
        try callBook.body.write(to: URL(fileURLWithPath: dir.sub("c.xlsx")))
        let cb = try await readWorkbook(dir.sub("c.xlsx"))
        #expect(cb["sheets"]?.arrayValue?.count == 2 && cb["sheets"]?.arrayValue?.last == "Summary")
        let summary = try #require(cb["rows"]?.objectValue?["Summary"]?.arrayValue)
        #expect(summary.first?.arrayValue?.compactMap(\.stringValue) == ["department"] + CallColumns.all)
        #expect(summary.dropFirst().contains { $0.arrayValue?[0] == "sales" && $0.arrayValue?[1].stringValue == open[0].calls[0] }, "\(summary)")

        // A department name cannot break out of the header's file name.
        let odd = try await server.fetch("/v1/departments/a%22b%3Bc%20d/unprocessed?format=csv", token: token)
        let disposition = try #require(odd.headers["content-disposition"])
        #expect(disposition.wholeMatch(of: /attachment; filename="[A-Za-z0-9._-]+-unprocessed\.csv"; filename\*=UTF-8''[A-Za-z0-9._%-]+/) != nil,
                "\(disposition)")
        // A Cyrillic department keeps its name (RFC 6266 `filename*`), with an ASCII fallback.
        let cyrillic = try await server.fetch("/v1/departments/%D0%BE%D1%82%D0%B4%D0%B5%D0%BB%20%D0%BF%D1%80%D0%BE%D0%B4%D0%B0%D0%B6/unprocessed?format=csv",
                                              token: token)
        #expect(cyrillic.headers["content-disposition"]
                    == #"attachment; filename="____________-unprocessed.csv"; filename*=UTF-8''%D0%BE%D1%82%D0%B4%D0%B5%D0%BB%20%D0%BF%D1%80%D0%BE%D0%B4%D0%B0%D0%B6-unprocessed.csv"#)

        // Unknown formats and missing tokens are refused as for JSON.
        #expect(try await server.fetch(base + "&format=pdf", token: token).status == 400)
        #expect(try await server.request("GET", base + "&format=csv").0 == 401)
    }
}
