import Foundation
import LedgerTestSupport
import Testing

/// The reports against `Tools/Oracle`: an independent implementation of `../shared/spec/reports.md`
/// in Python, written from the spec (and the README's readings where it is silent), not from our code.
/// Each run appends the traffic with the real CLI and compares every report's JSON field by field.
@Suite struct OracleTests {
    func compare(_ arguments: [String], work: String) async throws {
        let r = try runTool(["python3", repositoryRoot + "/Tools/Oracle/compare.py", "--bin", productsDirectory, "--work", work, "--max", "5"]
                            + arguments)
        let mismatches = r.out.split(separator: "\n").filter { $0.hasPrefix("MISMATCH") }
        #expect(r.status == 0, "compare.py \(arguments.joined(separator: " ")): \(mismatches.count) mismatches\n\(mismatches.prefix(20).joined(separator: "\n"))\n\(r.err.suffix(2000))")
        #expect(r.out.contains("reports compared"))
    }

    /// Hand-made edge cases the simulator rarely makes: same-instant happenings, the ring-closing
    /// rule, overflow and A→B→A, abandon boundaries, late and changing configurations, DST, leads;
    /// and, in `Tools/Oracle/cases`, the ones where we once disagreed with the oracle.
    @Test func edgeCasesAgreeWithTheOracle() async throws { try await exclusively {
        let dir = TemporaryDirectory("oracle-cases")
        let made = try runTool(["python3", repositoryRoot + "/Tools/Oracle/make_cases.py", dir.sub("cases")])
        #expect(made.status == 0, "\(made.err)")
        var files: [String] = []
        for d in [dir.sub("cases"), repositoryRoot + "/Tools/Oracle/cases"] {
            files += try FileManager.default.contentsOfDirectory(atPath: d).filter { $0.hasSuffix(".ndjson") }.sorted().map { d + "/" + $0 }
        }
        #expect(files.count >= 35)
        try await compare(["--files", files.joined(separator: ",")], work: dir.sub("work"))
    } }

    /// Simulated days delivered partly late, on the whole log and as of a position and an occurred
    /// time; and the live panel of each department at instants through two days.
    @Test func simulatedTrafficAgreesWithTheOracleInEveryCut() async throws { try await exclusively {
        let dir = TemporaryDirectory("oracle-sim")
        try await compare(["--seeds", "7", "--late", "0.2", "--days", "3", "--cuts", "--live"], work: dir.sub("work"))
    } }

    /// The server answers every report and the panel with the CLI's JSON and files, for the same
    /// parameters and cuts, and refuses what the CLI refuses (`Tools/Oracle/http_parity.py`: it
    /// starts the real server on 127.0.0.1).
    @Test func theServerAnswersLikeTheCLI() async throws { try await exclusively {
        let dir = TemporaryDirectory("http-parity")
        let r = try runTool(["python3", repositoryRoot + "/Tools/Oracle/http_parity.py", "--bin", productsDirectory, "--work", dir.sub("work")])
        let failures = r.out.split(separator: "\n").filter { $0.hasPrefix("FAIL") }
        #expect(r.status == 0, "\(failures.prefix(20).joined(separator: "\n"))\n\(r.err.suffix(2000))")
        #expect(r.out.contains("checked:"))
    } }

    /// The live panel on hand-made cases: presence edges, calls taken on a break, a service-level
    /// change, calls without their end for hours, transfers, night shifts.
    @Test func livePanelCasesAgreeWithTheOracle() async throws { try await exclusively {
        let dir = TemporaryDirectory("oracle-live")
        let r = try runTool(["python3", repositoryRoot + "/Tools/Oracle/make_live_cases.py", dir.sub("cases"), "--run", "--bin", productsDirectory])
        let mismatches = r.out.split(separator: "\n").filter { !$0.hasPrefix("OK") }
        #expect(r.status == 0, "\(mismatches.prefix(30).joined(separator: "\n"))\n\(r.err.suffix(2000))")
        #expect(r.out.split(separator: "\n").filter { $0.hasPrefix("OK") }.count >= 20)
    } }
}
