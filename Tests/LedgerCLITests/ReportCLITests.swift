import Foundation
import LedgerEvents
@testable import LedgerProjections
import Synchronization
import LedgerTestSupport
import Testing

@Suite struct ReportCLITests {
    @Test func departmentReportInEveryFormatAgreesWithItself() throws {
        let dir = TemporaryDirectory("cli-report")
        let data = dir.sub("data")
        #expect(try cli(["demo", "--data", data, "--days", "2"]).0 == 0)
        let base = ["report", "department", "--data", data, "--department", "sales", "--from", "2026-11-16", "--to", "2026-11-18", "--by", "day"]
        let (code, json, err) = try cli(base + ["--format", "json"])
        #expect(code == 0, "\(err)")
        let report = try JSONParser.parse(json).objectValue!
        #expect(report.keys == ["department", "from", "to", "volume", "callbacks", "agents", "dynamics"])
        #expect(report.string("from") == "2026-11-16T00:00:00.000+03:00")
        let volume = report["volume"]!.objectValue!
        #expect(volume.keys.prefix(4) == ["incoming", "answered", "missed", "missed_share"])
        #expect(volume["reasons"]!.objectValue!.keys.count == 8)
        #expect(report["dynamics"]!.arrayValue!.count == 2)

        let (tcode, table, _) = try cli(base)
        #expect(tcode == 0 && table.contains("I. Volume and why") && table.contains("IV. Dynamics"))
        let (ccode, csv, _) = try cli(base + ["--format", "csv"])
        #expect(ccode == 0 && csv.hasPrefix("section,name,value\r\n"))
        #expect(csv.contains("volume,incoming,\(Int(volume["incoming"]!.doubleValue!))\r\n"))
        // Every value of a bucket in the JSON has its row in the CSV (reasons and classes dotted).
        let bucket = report["dynamics"]!.arrayValue![0].objectValue!
        let bucketStart = bucket.string("start")!
        for key in bucket.keys where key != "start" {
            let names = bucket[key]!.objectValue.map { nested in nested.keys.map { key + "." + $0 } } ?? [key]
            for name in names { #expect(csv.contains("dynamics,dynamics.\(bucketStart).\(name),"), "no CSV row for bucket field \(name)") }
        }

        // XLSX read back with a real reader (openpyxl): values, not formulas.
        let xlsx = dir.sub("r.xlsx")
        #expect(try cli(base + ["--format", "xlsx", "--output", xlsx]).0 == 0)
        let script = """
        import json, openpyxl, sys
        wb = openpyxl.load_workbook(sys.argv[1])
        out = {"sheets": wb.sheetnames, "frozen": wb["Agents"].freeze_panes,
               "volume": {r[0].value: r[1].value for r in wb["Volume"].iter_rows(min_row=2)},
               "agents": [[c.value for c in r] for r in wb["Agents"].iter_rows(min_row=2)],
               "share_format": wb["Agents"]["G2"].number_format,
               "volume_formats": {r[0].value: r[1].number_format for r in wb["Volume"].iter_rows(min_row=2)},
               "callback_formats": {r[0].value: r[1].number_format for r in wb["Callbacks"].iter_rows(min_row=2)},
               "dynamics_header": [c.value for c in wb["Dynamics"][1]]}
        print(json.dumps(out))
        """
        let read = try JSONParser.parse(try python(script, xlsx)).objectValue!
        #expect(read["sheets"] == ["Volume", "Callbacks", "Agents", "Dynamics"])
        #expect(read["frozen"] == "A2")
        let dynamicsHeader = read["dynamics_header"]!.arrayValue!.compactMap(\.stringValue)
        #expect(dynamicsHeader.contains("reasons.not_answered") && dynamicsHeader.contains("classes.\(volume["classes"]!.objectValue!.keys[0])"))
        #expect(read["share_format"] == "0.0%")
        // Each metric shown as what it is: counts whole, shares as percentages, seconds with decimals.
        let vf = read["volume_formats"]!.objectValue!, cf = read["callback_formats"]!.objectValue!
        #expect(vf["incoming"] == "0" && vf["missed_share"] == "0.0%" && vf["avg_wait_s"] == "0.000" && vf["reasons.not_answered"] == "0", "\(vf)")
        #expect(cf["episodes"] == "0" && cf["resolved_within.300"] == "0.0%" && cf["avg_callback_delay_s"] == "0.000", "\(cf)")
        let xv = read["volume"]!.objectValue!
        #expect(xv["incoming"]?.doubleValue == volume["incoming"]?.doubleValue)
        #expect(xv["missed_share"]?.doubleValue == volume["missed_share"]?.doubleValue)
        #expect(xv["reasons.not_answered"]?.doubleValue == volume["reasons"]!.objectValue!["not_answered"]?.doubleValue)
        let agents = report["agents"]!.arrayValue!
        #expect(read["agents"]!.arrayValue!.count == agents.count)
        #expect(read["agents"]!.arrayValue![0].arrayValue![0].stringValue == agents[0].objectValue!.string("agent"))
    }

    @Test func aReportFromAStoppedReadModelSaysSoOnStderr() throws {
        let dir = TemporaryDirectory("cli-stopped-model")
        let data = dir.sub("data")
        #expect(try cli(["demo", "--data", data, "--days", "1"]).0 == 0)
        let report = ["report", "unprocessed", "--data", data, "--department", "sales"]
        #expect(try cli(report).2.isEmpty)
        // As if an event had stopped the clients read model (the failure record the engine writes).
        let home = data + "/projections/clients"
        let generation = try String(contentsOfFile: home + "/CURRENT", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let store = try ProjectionStore(directory: home + "/" + generation)
        try store.kv.write { w in try ProjectionStore.setFailure(w, ProjectionFailure(position: 7, message: "a test's failure")) }
        let (code, out, err) = try cli(report)
        #expect(code == 0 && out.contains("open episode"), "\(out)")
        #expect(err.contains("warning: read model clients stopped at event 7: a test's failure"), "\(err)")
        #expect(err.contains("projections rebuild clients"))
    }

    @Test func fileErrorsAndARepeatedDemoAreToldInWords() throws {
        let dir = TemporaryDirectory("cli-file-errors")
        let data = dir.sub("data")
        #expect(try cli(["demo", "--data", data, "--days", "1"]).0 == 0)
        let (code, _, err) = try cli(["report", "unprocessed", "--data", data, "--department", "sales", "--format", "csv",
                                      "--output", dir.sub("missing/queue.csv")])
        #expect(code == 1)
        #expect(err.contains(dir.sub("missing/queue.csv") + ": No such file or directory") && !err.contains("NSCocoaErrorDomain"), "\(err)")
        // The same demo again adds nothing; other options for the same seed are refused in words.
        let again = try cli(["demo", "--data", data, "--days", "1"])
        #expect(again.0 == 0 && again.1.contains("appended 0 events"), "\(again.1)")
        let other = try cli(["demo", "--data", data, "--days", "2"])
        #expect(other.0 == 1 && other.2.contains("already holds simulated events of seed 1 made with other options"), "\(other.2)")
        // A mistyped department is noted on stderr (the report itself stays what it is).
        let typo = try cli(["report", "unprocessed", "--data", data, "--department", "Sales", "--format", "json"])
        #expect(typo.0 == 0 && typo.1.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
        #expect(typo.2.contains("did you mean \"sales\"?"), "\(typo.2)")
        #expect(try cli(["report", "unprocessed", "--data", data, "--department", "sales", "--format", "json"]).2.isEmpty)
    }

    /// A user who may only read the ledger's files is told what access LMDB needs (it writes its
    /// reader table in lock.mdb even to read), not a bare "Permission denied". Run as `nobody`
    /// through setpriv, so it needs root (as CI runs); elsewhere it checks nothing.
    @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")))
    func aLedgerThisUserMayNotWriteSaysWhatAccessItNeeds() throws {
        let dir = TemporaryDirectory("cli-read-only-user")
        let data = dir.sub("data")
        #expect(try cli(["demo", "--data", data, "--days", "1"]).0 == 0)
        let r = try runTool(["--reuid=65534", "--regid=65534", "--clear-groups", productsDirectory + "/call-ledger",
                             "events", "--data", data, "--limit", "1"], executable: "/usr/bin/setpriv")
        #expect(r.status == 1 && r.err.contains("cannot open the ledger in \(data)")
                && r.err.contains("this user needs read and write access to the directory and its files"), "\(r.status) \(r.err)")
        #expect(!r.err.contains("Fatal error"))
    }

    @Test func handleRefusesClearlyAndMovesAnEpisodeToProcessed() throws {
        let dir = TemporaryDirectory("cli-handle")
        let data = dir.sub("data")
        #expect(try cli(["demo", "--data", data, "--days", "1"]).0 == 0)
        let (_, queueJSON, _) = try cli(["report", "unprocessed", "--data", data, "--department", "sales", "--format", "json"])
        let queue = try JSONParser.parse(queueJSON).arrayValue!
        try #require(!queue.isEmpty)
        let client = queue[0].objectValue!.string("client")!

        let bad = try cli(["handle", "--data", data, "--department", "sales", "--client", client, "--by", "ann", "--reason", "lazy"])
        #expect(bad.0 != 0 && bad.2.contains("unknown reason"))
        let noComment = try cli(["handle", "--data", data, "--department", "sales", "--client", client, "--by", "ann", "--reason", "other"])
        #expect(noComment.0 != 0 && noComment.2.contains("--comment is required"))
        let nobody = try cli(["handle", "--data", data, "--department", "sales", "--client", "70000000000", "--by", "ann", "--reason", "spam"])
        #expect(nobody.0 != 0 && nobody.2.contains("no open missed-call episode"))

        let (ok, out, err) = try cli(["handle", "--data", data, "--department", "sales", "--client", client, "--by", "ann",
                                      "--reason", "other", "--comment", "-1: reached on Telegram"])
        #expect(ok == 0, "\(err)")
        let row = try JSONParser.parse(out).objectValue!
        // A comment may start with a dash: it is not taken for an option.
        #expect(row.string("closed_how") == "dismissed" && row.string("closed_by") == "ann" && row.string("comment") == "-1: reached on Telegram")
        let (_, after, _) = try cli(["report", "unprocessed", "--data", data, "--department", "sales", "--format", "json"])
        #expect(try JSONParser.parse(after).arrayValue!.count == queue.count - 1)
        let (_, audit, _) = try cli(["audit", "dismissals", "--data", data, "--by", "ann", "--format", "json"])
        let rows = try JSONParser.parse(audit).arrayValue!
        #expect(rows.count == 1 && rows[0].objectValue!.string("client") == client)
        // The call list and a call's timeline.
        let (_, calls, _) = try cli(["report", "calls", "--data", data, "--department", "sales", "--from", "2026-11-16", "--to", "2026-11-17",
                                     "--result", "missed", "--format", "json"])
        let missed = try JSONParser.parse(calls).arrayValue!
        #expect(!missed.isEmpty && missed.allSatisfy { $0.objectValue!.string("result") == "missed" && $0.objectValue!["reason"] != .null })
        let id = missed[0].objectValue!.string("call_id")!
        let (ccode, detail, _) = try cli(["call", id, "--data", data])
        #expect(ccode == 0 && detail.contains("inbound call from") && detail.contains("ended by"))
        // A call that never reached a queue says so, rather than an empty wait.
        let unqueued = try #require(missed.first { $0.objectValue!["queue_wait_s"] == .null })
        let (_, text, _) = try cli(["call", unqueued.objectValue!.string("call_id")!, "--data", data])
        #expect(text.contains("never queued") && !text.contains("queue wait  s"), "\(text)")
    }

    /// A call whose `call.started` has not arrived has no start in its summary (not 1970): nothing
    /// is guessed. It is in no period of the call list.
    @Test func aCallWithoutItsStartHasANullStart() throws {
        let dir = TemporaryDirectory("cli-no-start")
        let data = dir.sub("data")
        let events = [
            #"{"id":"q","type":"call.queued","at":"2026-11-16T10:00:00+03:00","data":{"call_id":"m1","department":"sales"}}"#,
            #"{"id":"e","type":"call.ended","at":"2026-11-16T10:01:00+03:00","data":{"call_id":"m1","by":"client"}}"#,
        ]
        #expect(try cli(["append", "-", "--data", data], stdin: events.joined(separator: "\n")).0 == 0)
        let (code, out, err) = try cli(["call", "m1", "--data", data, "--format", "json"])
        #expect(code == 0, "\(err)")
        let summary = try JSONParser.parse(out).objectValue!["summary"]!.arrayValue!
        #expect(summary.count == 1 && summary[0].objectValue!["started_at"] == .null && summary[0].objectValue!.string("result") == "missed")
        let (_, calls, _) = try cli(["report", "calls", "--data", data, "--department", "sales", "--from", "2026-11-16", "--to", "2026-11-17", "--format", "json"])
        #expect(try JSONParser.parse(calls).arrayValue!.isEmpty)
    }

    /// A PBX whose clock runs ahead opens an episode after this machine's "now": the dismissal is
    /// stamped when the episode opened, so it closes it (it was stored, closed nothing, and each
    /// retry stored another).
    @Test func anEpisodeFromAPBXClockAheadIsDismissedOnce() throws {
        let dir = TemporaryDirectory("cli-handle-ahead")
        let data = dir.sub("data")
        let f = ISO8601DateFormatter()
        func at(_ s: Double) -> String { f.string(from: Date().addingTimeInterval(s)) }
        let events = [
            #"{"id":"f-1","type":"call.started","at":"\#(at(60))","data":{"call_id":"F1","direction":"inbound","client":"79990000002","department":"sales"}}"#,
            #"{"id":"f-2","type":"call.queued","at":"\#(at(62))","data":{"call_id":"F1","department":"sales"}}"#,
            #"{"id":"f-3","type":"call.ended","at":"\#(at(120))","data":{"call_id":"F1","by":"client"}}"#,
        ]
        #expect(try cli(["append", "--data", data, "-"], stdin: events.joined(separator: "\n") + "\n").0 == 0)
        let (ok, out, err) = try cli(["handle", "--data", data, "--department", "sales", "--client", "79990000002", "--by", "ann", "--reason", "spam"])
        #expect(ok == 0, "\(err)")
        #expect(try JSONParser.parse(out).objectValue!.string("closed_how") == "dismissed")
        let (_, queue, _) = try cli(["report", "unprocessed", "--data", data, "--department", "sales", "--format", "json"])
        #expect(try JSONParser.parse(queue).arrayValue!.isEmpty)
        let (_, audit, _) = try cli(["audit", "dismissals", "--data", data, "--format", "json"])
        #expect(try JSONParser.parse(audit).arrayValue!.count == 1)
    }

    /// Two processes dismissing the same episode at the same moment (two `handle`s here; a server
    /// and a `handle` alike): one stores its dismissal, the other decides again and finds nothing
    /// to dismiss, so the audit holds one dismissal per episode, never one that closed nothing.
    @Test func twoProcessesDismissingOneEpisodeStoreOneDismissal() throws {
        let dir = TemporaryDirectory("cli-handle-race")
        let data = dir.sub("data")
        let clients = (1...4).map { "7999000010\($0)" }
        var events = [#"{"id":"r-0","type":"department.configured","at":"2026-11-16T00:00:00.000+03:00","data":{"department":"sales","timezone":"Europe/Moscow"}}"#]
        for (k, c) in clients.enumerated() {
            events += [
                #"{"id":"r-\#(k)-1","type":"call.started","at":"2026-11-16T10:0\#(k):00.000+03:00","data":{"call_id":"R\#(k)","direction":"inbound","client":"\#(c)","department":"sales"}}"#,
                #"{"id":"r-\#(k)-2","type":"call.queued","at":"2026-11-16T10:0\#(k):02.000+03:00","data":{"call_id":"R\#(k)","department":"sales"}}"#,
                #"{"id":"r-\#(k)-3","type":"call.ended","at":"2026-11-16T10:0\#(k):30.000+03:00","data":{"call_id":"R\#(k)","by":"client"}}"#,
            ]
        }
        #expect(try cli(["append", "--data", data, "-"], stdin: events.joined(separator: "\n") + "\n").0 == 0)
        for c in clients {
            let codes = Mutex<[Int32]>([])
            DispatchQueue.concurrentPerform(iterations: 2) { k in
                let r = try? cli(["handle", "--data", data, "--department", "sales", "--client", c, "--by", k == 0 ? "ann" : "bob", "--reason", "spam"])
                codes.withLock { $0.append(r?.0 ?? -1) }
            }
            #expect(codes.withLock { $0.sorted() }.first == 0 && codes.withLock { $0.filter { $0 == 0 }.count } == 1)
        }
        let (_, audit, _) = try cli(["audit", "dismissals", "--data", data, "--format", "json"])
        let rows = try JSONParser.parse(audit).arrayValue!
        #expect(rows.count == clients.count)
        #expect(rows.allSatisfy { $0.objectValue!["closed_episode"] != .null })
    }

    /// A number dialled as `0000 7 999…` is the client `007999…` (a leading 00 dropped, once): its
    /// missed call opens an episode, and the number the queue shows dismisses it.
    @Test func aClientWhoseNormalFormStartsWith00IsQueuedAndHandled() throws {
        let dir = TemporaryDirectory("cli-handle-00")
        let data = dir.sub("data")
        let events = [
            #"{"id":"z-1","type":"department.configured","at":"2026-11-16T00:00:00.000+03:00","data":{"department":"sales","timezone":"Europe/Moscow"}}"#,
            #"{"id":"z-2","type":"call.started","at":"2026-11-16T10:00:00.000+03:00","data":{"call_id":"Z1","direction":"inbound","client":"000079990000001","department":"sales"}}"#,
            #"{"id":"z-3","type":"call.queued","at":"2026-11-16T10:00:02.000+03:00","data":{"call_id":"Z1","department":"sales"}}"#,
            #"{"id":"z-4","type":"call.ended","at":"2026-11-16T10:01:00.000+03:00","data":{"call_id":"Z1","by":"client"}}"#,
        ]
        #expect(try cli(["append", "--data", data, "-"], stdin: events.joined(separator: "\n") + "\n").0 == 0)
        let (_, queueJSON, _) = try cli(["report", "unprocessed", "--data", data, "--department", "sales", "--format", "json"])
        let queue = try JSONParser.parse(queueJSON).arrayValue!
        try #require(queue.count == 1)
        #expect(queue[0].objectValue!.string("client") == "0079990000001")
        let (ok, _, err) = try cli(["handle", "--data", data, "--department", "sales", "--client", "0079990000001", "--by", "ann", "--reason", "spam"])
        #expect(ok == 0, "\(err)")
        let (_, after, _) = try cli(["report", "unprocessed", "--data", data, "--department", "sales", "--format", "json"])
        #expect(try JSONParser.parse(after).arrayValue!.isEmpty)
        let (_, audit, _) = try cli(["audit", "dismissals", "--data", data, "--format", "json"])
        let rows = try JSONParser.parse(audit).arrayValue!
        #expect(rows.count == 1 && rows[0].objectValue!.string("client") == "0079990000001")
    }
}

@Suite struct LeadCLITests {
    @Test func leadReportsUseTheSpecShapes() throws {
        let dir = TemporaryDirectory("cli-leads")
        let data = dir.sub("data")
        #expect(try cli(["demo", "--data", data, "--days", "2"]).0 == 0)
        let conv = try JSONParser.parse(try cli(["report", "lead-conversion", "--data", data, "--format", "json"]).1).objectValue!
        #expect(conv.keys == ["from", "to", "types", "total"])
        #expect(conv["total"]!.objectValue!.keys == ["leads", "to_order", "to_sale", "converted", "conversion_pct"])
        #expect(conv["types"]!.arrayValue!.first!.objectValue!.keys.first == "type")
        let lost = try JSONParser.parse(try cli(["report", "lost-leads", "--data", data, "--format", "json", "--timezone", "Europe/Moscow"]).1).objectValue!
        #expect(lost.keys == ["leads", "by_status"])
        #expect(lost["leads"]!.arrayValue!.first!.objectValue!.keys == ["lead_id", "type", "status", "assignee", "created_at", "closed_at"])
        #expect(lost["leads"]!.arrayValue!.first!.objectValue!.string("created_at")!.hasSuffix("+03:00"))
        let emp = try JSONParser.parse(try cli(["report", "employee-performance", "--data", data, "--format", "json", "--type", "repair"]).1).objectValue!
        let first = emp["employees"]!.arrayValue!.first!.objectValue!
        #expect(first.keys == ["assignee", "leads", "to_order", "to_sale", "conversion_pct", "leads_list"])
        #expect(first["leads_list"]!.arrayValue!.allSatisfy { $0.objectValue!.string("type") == "repair" })
        let (code, table, _) = try cli(["report", "lead-calls", "--data", data])
        #expect(code == 0 && table.contains("leads had missed calls"))
        #expect(try cli(["report", "lost-leads", "--data", data, "--format", "xlsx", "--output", dir.sub("lost.xlsx")]).0 == 0)
        #expect(FileManager.default.fileExists(atPath: dir.sub("lost.xlsx")))
        // The total row is named so that no lead type (one called "total", say) reads like it.
        let csv = try cli(["report", "lead-conversion", "--data", data, "--format", "csv"]).1
        let lines = csv.split(whereSeparator: \.isNewline)
        #expect(lines.last!.hasPrefix("(all types),") && lines.dropLast().allSatisfy { !$0.hasPrefix("(all types),") })
        // Zones are IANA names, as department.configured takes them: an abbreviation is refused.
        let (bad, _, message) = try cli(["report", "lead-conversion", "--data", data, "--timezone", "PST"])
        #expect(bad == 64 && message.contains("--timezone: unknown zone PST"))
        #expect(try cli(["report", "lead-conversion", "--data", data, "--timezone", "GMT"]).0 == 0)
    }
}
