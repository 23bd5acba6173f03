import Foundation
import LedgerEvents
import LedgerSimulator
import LedgerTestSupport
import Testing

/// Runs the built `call-ledger` binary and returns (exit code, stdout, stderr).
func cli(_ args: [String], stdin: String? = nil, env: [String: String] = [:]) throws -> (Int32, String, String) {
    let r = try runTool(args, input: stdin, environment: env, executable: productsDirectory + "/call-ledger")
    return (r.status, r.out, r.err)
}

@Suite struct CLITests {
    /// A time window comes in occurred-time order, and `--after` the last position printed pages
    /// through it; a window that ends before it starts is refused.
    @Test func eventsOfATimeWindowPageByTheLastPositionPrinted() throws {
        let dir = TemporaryDirectory("cli-window")
        let data = dir.sub("data")
        let lines = [("p1", "10:02"), ("p2", "10:01"), ("p3", "10:00"), ("p4", "09:00")].map { id, t in
            #"{"id":"\#(id)","type":"agent.status","at":"2026-11-16T\#(t):00Z","data":{"agent":"a1","status":"available"}}"#
        }
        #expect(try cli(["append", "-", "--data", data], stdin: lines.joined(separator: "\n") + "\n").0 == 0)
        let window = ["events", "--data", data, "--from", "2026-11-16T10:00:00Z", "--to", "2026-11-16T11:00:00Z", "--limit", "1"]
        var seen: [String] = []
        var after = "0"
        while seen.count < 5 {
            let (code, out, err) = try cli(window + ["--after", after])
            #expect(code == 0, "\(err)")
            guard let e = try? JSONParser.parse(out).objectValue else { break }
            seen.append(e.string("id") ?? "")
            after = String(Int(e["position"]?.doubleValue ?? 0))
        }
        #expect(seen == ["p3", "p2", "p1"])
        let (code, _, err) = try cli(["events", "--data", data, "--from", "2026-11-18T00:00:00Z", "--to", "2026-11-16T00:00:00Z"])
        #expect(code != 0 && err.contains("--from must be before --to"), "\(err)")
        let (code2, _, err2) = try cli(["report", "calls-per-line", "--data", data, "--from", "2026-11-18", "--to", "2026-11-16"])
        #expect(code2 != 0 && err2.contains("--from must be before --to"), "\(err2)")
    }

    /// Every report that takes a department says when no event names it, the live panel and the
    /// dismissals audit too; an empty column list is refused, not answered with blank lines.
    @Test func unknownDepartmentsAreNotedAndEmptyColumnsRefused() throws {
        let dir = TemporaryDirectory("cli-notes")
        let data = dir.sub("data")
        #expect(try cli(["demo", "--data", data, "--days", "1"]).0 == 0)
        for args in [["report", "live", "--department", "Sales"], ["audit", "dismissals", "--department", "Sales"]] {
            let (code, _, err) = try cli(args + ["--data", data])
            #expect(code == 0 && err.contains("did you mean \"sales\"?"), "\(args): \(err)")
        }
        let (code, _, err) = try cli(["report", "calls", "--data", data, "--department", "sales", "--from", "2026-11-16", "--to", "2026-11-18",
                                      "--columns", ""])
        #expect(code != 0 && err.contains("--columns: name at least one column"), "\(err)")
    }

    /// `verify` on copies damaged 16 bytes at a time, in page headers and mid-page: it reports
    /// (exit 1, with a message) or finds nothing wrong (a free page), and never dies. LMDB itself
    /// dies of SIGSEGV on some damaged pages (offsets 18432 and 75776 of this ledger did): the walk
    /// runs in a child process, and such a death is reported as damage.
    @Test func verifyOfADamagedFileReportsAndNeverCrashes() throws {
        let dir = TemporaryDirectory("cli-damaged")
        let data = dir.sub("ok")
        #expect(try cli(["demo", "--data", data, "--days", "1"]).0 == 0)
        let size = (try FileManager.default.attributesOfItem(atPath: data + "/data.mdb")[.size] as? Int) ?? 0
        var offsets = [18432, 75776, 16400, 12304, 24592, 53256]
        offsets += stride(from: 3 * 4096 + 16, to: size, by: 7 * 4096 + 1040).map { $0 }
        var reported = 0
        for off in offsets where off + 16 <= size {
            let copy = dir.sub("damaged-\(off)")
            try FileManager.default.copyItem(atPath: data, toPath: copy)
            let h = try #require(FileHandle(forUpdatingAtPath: copy + "/data.mdb"))
            try h.seek(toOffset: UInt64(off))
            let bytes = try h.read(upToCount: 16) ?? Data()
            try h.seek(toOffset: UInt64(off))
            try h.write(contentsOf: Data(bytes.map { $0 ^ 0xFF }))
            try h.close()
            let (code, out, err) = try cli(["verify", "--data", copy, "--format", "json"])
            #expect(code == 0 || code == 1, "offset \(off): exit \(code) \(err)")
            if code == 1 {
                let problems = (try? JSONParser.parse(out).objectValue?["problems"]?.arrayValue) ?? nil
                #expect((problems?.isEmpty == false) || err.contains("damaged"), "offset \(off): \(out) \(err)")
                reported += 1
            }
            try? FileManager.default.removeItem(atPath: copy)
        }
        #expect(reported >= 6)
    }

    @Test func appendReadBackVerifyStatsAndBackup() throws {
        let dir = TemporaryDirectory("cli")
        var config = SimulatorConfiguration()
        config.days = 1
        let lines = TrafficSimulator(config).lines()
        let file = dir.sub("in.ndjson")
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let data = dir.sub("data")

        // In pieces of 4 KiB: the events of every piece are encoded and joined in input order.
        let (code, out, err) = try cli(["append", file, "--data", data, "--piece-bytes", "4096"])
        #expect(code == 0, "\(err)")
        #expect(out == #"{"appended":\#(lines.count),"duplicates":0,"last_position":\#(lines.count)}"# + "\n")

        // Idempotent: the same file again appends nothing.
        let (code2, out2, _) = try cli(["append", "-"], stdin: lines.joined(separator: "\n"), env: ["CALL_LEDGER_DATA": data])
        #expect(code2 == 0)
        #expect(out2 == #"{"appended":0,"duplicates":\#(lines.count),"last_position":\#(lines.count)}"# + "\n")

        // Read back: the envelope as sent plus position and recorded_at.
        let (_, events, _) = try cli(["events", "--data", data])
        let back = events.split(separator: "\n")
        #expect(back.count == lines.count)
        for (k, line) in back.enumerated() where k % 97 == 0 {
            var o = try JSONParser.parse(String(line)).objectValue!
            #expect(o["position"] == .number(String(k + 1)))
            #expect(o["recorded_at"]?.stringValue != nil)
            o["position"] = nil
            o["recorded_at"] = nil
            #expect(JSONWriter.string(.object(o)) == lines[k])
        }
        // `--format wire`: the envelopes alone, which append takes back (a prefix replayed elsewhere).
        let (_, wire, _) = try cli(["events", "--data", data, "--limit", "50", "--format", "wire"])
        #expect(wire.split(separator: "\n").map(String.init) == Array(lines.prefix(50)))
        let (rcode, rout, rerr) = try cli(["append", "-", "--data", dir.sub("replay")], stdin: wire)
        #expect(rcode == 0 && rout.contains(#""appended":50"#), "\(rerr)")
        let (_, limited, _) = try cli(["events", "--data", data, "--after", "10", "--limit", "3"])
        #expect(limited.split(separator: "\n").map { try! JSONParser.parse(String($0)).objectValue!["position"]! } == [.number("11"), .number("12"), .number("13")])
        let firstCall = try JSONParser.parse(lines.first { $0.contains("\"call.started\"") }!).objectValue!["data"]!.objectValue!.string("call_id")!
        let (_, callEvents, _) = try cli(["events", "--data", data, "--call", firstCall, "--format", "table"])
        #expect(callEvents.contains("call.started"))
        #expect(callEvents.hasPrefix("position"))

        let (vcode, vout, _) = try cli(["verify", "--data", data])
        #expect(vcode == 0)
        #expect(vout.hasPrefix("ok: "))
        let (_, stats, _) = try cli(["stats", "--data", data, "--format", "json"])
        let s = try JSONParser.parse(stats).objectValue!
        #expect(s["events"] == .number(String(lines.count)))
        let (bcode, bout, berr) = try cli(["backup", dir.sub("copy"), "--data", data])
        #expect(bcode == 0, "\(berr)")
        #expect(bout.contains("verified clean"))
    }

    @Test func aBadLineRejectsTheWholeInputNamingLineAndField() throws {
        let dir = TemporaryDirectory("cli-bad")
        let good = #"{"id":"a","type":"call.greeting","at":"2026-11-21T09:15:02Z","data":{"call_id":"c"}}"#
        let bad = #"{"id":"b","type":"call.queued","at":"2026-11-21T09:15:02Z","data":{"call_id":"c"}}"#
        let broken = #"{"id":"c","type":"#
        let (code, out, err) = try cli(["append", "-", "--data", dir.path], stdin: [good, bad, good, broken].joined(separator: "\n"))
        #expect(code != 0)
        #expect(out.isEmpty)
        #expect(err.contains(#"line 2 (id "b"): data.department: required"#))
        // The byte counts from the start of the line, not of the input.
        #expect(err.contains("line 4: invalid JSON at byte \(broken.utf8.count + 1)"), "\(err)")
        #expect(err.contains("nothing was stored"))
        // Nothing stored: the ledger may not even exist, and if it does it is empty.
        let (_, events, _) = try cli(["events", "--data", dir.path])
        #expect(events.isEmpty)
        // A line per piece: every piece's problems, with the input's line numbers, and still nothing stored.
        let (code2, _, err2) = try cli(["append", "-", "--data", dir.path, "--piece-bytes", "1"],
                                       stdin: [good, bad, "", good, broken].joined(separator: "\n"))
        #expect(code2 != 0)
        #expect(err2.contains(#"line 2 (id "b"): data.department: required"#))
        #expect(err2.contains("line 5: invalid JSON"))
        #expect(err2.contains("rejected: 2 problems"))
        #expect(try cli(["events", "--data", dir.path]).1.isEmpty)
        // Refused into a directory that did not exist: none is left behind, so the next command
        // says there is no ledger there rather than reading an empty one.
        let fresh = dir.sub("new-ledger")
        let (code3, _, _) = try cli(["append", "-", "--data", fresh], stdin: [good, bad].joined(separator: "\n"))
        #expect(code3 != 0)
        #expect(!FileManager.default.fileExists(atPath: fresh))
        let (code4, _, err4) = try cli(["events", "--data", fresh])
        #expect(code4 != 0 && err4.contains("no ledger in"), "\(err4)")
    }

    /// A negative number is the option's value, refused as such, not "Missing value for --limit".
    @Test func negativeNumbersAreRefusedAsValues() throws {
        let dir = TemporaryDirectory("cli-negative")
        for (args, message) in [(["events", "--limit", "-1"], "--limit must be ≥ 0"), (["demo", "--days", "-1"], "--days and --departments: positive numbers"),
                                (["report", "unprocessed", "--department", "sales", "--as-of-position", "-1"], "The value '-1' is invalid for '--as-of-position")] {
            let (code, _, err) = try cli(args + ["--data", dir.path])
            #expect(code != 0 && err.contains(message) && !err.contains("Missing value"), "\(args): \(err)")
        }
    }

    /// A --data that cannot be created is named with the system's reason, not a Foundation dump,
    /// and an empty ledger verifies as such.
    @Test func aDataDirectoryThatCannotBeCreatedIsNamedWithTheReason() throws {
        let dir = TemporaryDirectory("cli-bad-data")
        let file = dir.sub("a-file")
        try "x".write(toFile: file, atomically: false, encoding: .utf8)
        let input = dir.sub("one.ndjson")
        try #"{"id":"e1","type":"agent.status","at":"2026-03-02T10:00:00Z","data":{"agent":"a1","status":"available"}}"#
            .write(toFile: input, atomically: false, encoding: .utf8)
        let (code, _, err) = try cli(["append", "--data", file + "/ledger", input])
        #expect(code != 0 && err.contains("cannot create the directory \(file)/ledger: Not a directory"), "\(err)")
        #expect(!err.contains("NSCocoaErrorDomain"))
    }

    @Test func aConflictingIDIsRefused() throws {
        let dir = TemporaryDirectory("cli-conflict")
        let a = #"{"id":"a","type":"call.greeting","at":"2026-11-21T09:15:02Z","data":{"call_id":"c"}}"#
        let a2 = #"{"id":"a","type":"call.greeting","at":"2026-11-21T09:15:03Z","data":{"call_id":"c"}}"#
        #expect(try cli(["append", "-", "--data", dir.path], stdin: a).0 == 0)
        let (code, _, err) = try cli(["append", "-", "--data", dir.path], stdin: a2)
        #expect(code != 0)
        #expect(err.contains(#"id "a""#) && err.contains("position 1") && err.contains("different content"))
        // In a later piece: named by its place in the whole input.
        let b = #"{"id":"b","type":"call.greeting","at":"2026-11-21T09:15:02Z","data":{"call_id":"c"}}"#
        let (code2, _, err2) = try cli(["append", "-", "--data", dir.path, "--piece-bytes", "1"], stdin: [b, a2].joined(separator: "\n"))
        #expect(code2 != 0)
        #expect(err2.contains(#"line 2 (event 2 of the input, id "a")"#) && err2.contains("position 1"))
        // Named by its line, as a problem is, blank lines (spaces, tabs, a CR) included.
        let (code4, _, err4) = try cli(["append", "-", "--data", dir.path, "--piece-bytes", "1"], stdin: ["", b, " \t\r", "", a2].joined(separator: "\n"))
        #expect(code4 != 0 && err4.contains(#"line 5 (event 2 of the input, id "a")"#), "\(err4)")
        // Twice in one input with different content: named as such, not as "position 0".
        let c1 = #"{"id":"c","type":"call.greeting","at":"2026-11-21T09:15:02Z","data":{"call_id":"c"}}"#
        let c2 = #"{"id":"c","type":"call.greeting","at":"2026-11-21T09:15:04Z","data":{"call_id":"c"}}"#
        let (code3, _, err3) = try cli(["append", "-", "--data", dir.path], stdin: [c1, c2].joined(separator: "\n"))
        #expect(code3 != 0 && err3.contains("appears earlier in this input") && !err3.contains("position 0"), "\(err3)")
        // Several conflicts, in pieces of a streamed input: each named by its line.
        let (code5, _, err5) = try cli(["append", "-", "--data", dir.path, "--piece-bytes", "1"], stdin: [b, a2, c1, c2].joined(separator: "\n"))
        #expect(code5 != 0 && err5.contains(#"line 2 (event 2 of the input, id "a")"#) && err5.contains(#"line 4 (event 4 of the input, id "c")"#)
                && err5.contains("2 events reuse an id"), "\(err5)")
        #expect(try cli(["events", "--data", dir.path]).1.split(separator: "\n").count == 1)
    }
}
