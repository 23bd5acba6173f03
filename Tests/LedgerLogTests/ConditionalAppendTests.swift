import Foundation
import LedgerEvents
import LedgerLog
import LedgerTestSupport
import Testing

/// `append(_:ifNothingOfClient:after:)`: a decision made on the log as of a position (a client's
/// episode is open) is written only if nothing of that client came after it, checked inside the
/// write transaction that serialises every writer.
@Suite struct ConditionalAppendTests {
    let client = "74951234567"

    func started(_ id: String, client: String) -> Event {
        parseEvent(#"{"id":"\#(id)","type":"call.started","at":"2026-11-21T06:00:00Z","data":{"call_id":"c-\#(id)","direction":"inbound","client":"\#(client)"}}"#)
    }

    func handled(_ id: String, client: String) -> Event {
        parseEvent(#"{"id":"\#(id)","type":"missed.handled","at":"2026-11-21T06:04:00Z","data":{"department":"sales","client":"\#(client)","by":"ann","reason":"spam"}}"#)
    }

    func isConditionFailed(_ body: () async throws -> AppendResult) async -> Bool {
        do {
            _ = try await body()
            return false
        } catch let e as LedgerError {
            return e.code == .conditionFailed
        } catch {
            return false
        }
    }

    @Test func anEventOfTheClientAfterThePositionRefusesTheAppendAndStoresNothing() async throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(directory: dir.path)
        _ = try await log.append([started("a", client: client), started("b", client: "74959999999")])
        let number = ClientNumber(client)
        #expect(await isConditionFailed { try await log.append([handled("h1", client: client)], ifNothingOfClient: number, after: 0) })
        #expect(log.lastPosition == 2)
        // Another client's event after the position does not matter.
        let ok = try await log.append([handled("h1", client: client)], ifNothingOfClient: number, after: 1)
        #expect(ok.lastPosition == 3)
        // The same decision made again on position 1 now meets the first one's dismissal.
        #expect(await isConditionFailed { try await log.append([handled("h2", client: client)], ifNothingOfClient: number, after: 1) })
        // The number as dialled in another form is the same client.
        #expect(await isConditionFailed { try await log.append([handled("h3", client: "+" + client)], ifNothingOfClient: ClientNumber("+" + client), after: 2) })
        #expect(log.lastPosition == 3)
        log.close()

        // After a reopen the entries are read from the LMDB index, not the in-memory tail.
        let again = try EventLog(directory: dir.path)
        defer { again.close() }
        #expect(again.unindexedCount == 0)
        #expect(await isConditionFailed { try await again.append([handled("h4", client: client)], ifNothingOfClient: number, after: 2) })
        let later = try await again.append([handled("h4", client: client)], ifNothingOfClient: number, after: 3)
        #expect(later.lastPosition == 4)
    }

    @Test func ofManyWritersDecidingOnTheSamePositionExactlyOneAppends() async throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(directory: dir.path)
        defer { log.close() }
        _ = try await log.append([started("a", client: client)])
        let number = ClientNumber(client)
        for round in 0..<5 {
            let seen = log.lastPosition
            // Concurrent requests share transactions (group commit): one written earlier in the same
            // transaction must count as well as one already committed.
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for k in 0..<8 {
                    group.addTask {
                        await !isConditionFailed { try await log.append([handled("h\(round)-\(k)", client: client)], ifNothingOfClient: number, after: seen) }
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1)
            #expect(log.lastPosition == seen + 1)
        }
    }

    @Test func anotherProcesssAppendCountsToo() async throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(directory: dir.path)
        defer { log.close() }
        _ = try await log.append([started("a", client: client)])
        let seen = log.lastPosition
        // The CLI appends the other dismissal while this process holds the ledger open.
        let line = JSONWriter.string(.object(handled("other", client: client).json))
        let r = try runTool(["append", "--data", dir.path, "-"], input: line + "\n", executable: productsDirectory + "/call-ledger")
        #expect(r.status == 0, "\(r.err)")
        #expect(await isConditionFailed { try await log.append([handled("mine", client: client)], ifNothingOfClient: ClientNumber(client), after: seen) })
        #expect(try log.events(after: 0, limit: .max).map(\.event.id) == ["a", "other"])
    }
}
