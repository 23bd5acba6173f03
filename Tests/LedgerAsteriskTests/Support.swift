import Foundation
import LedgerAsterisk
import LedgerEvents
import LedgerTestSupport
import Testing

/// A fixture's bytes from `Tests/Fixtures/asterisk/`.
func fixture(_ name: String) -> [UInt8] {
    let path = repositoryRoot + "/Tests/Fixtures/asterisk/" + name
    return Array(FileManager.default.contents(atPath: path)!)
}

/// Maps queue_log (and CDR) fixtures with `configuration`; returns the events and statistics.
func mapFixtures(queueLog: String, cdr: String? = nil, configuration: AsteriskConfiguration = AsteriskConfiguration())
    -> (events: [Event], statistics: ImportStatistics)
{
    var mapper = AsteriskMapper(configuration: configuration)
    var events: [Event] = []
    mapper.mapQueueLog(fixture(queueLog)[...], into: &events)
    if let cdr { mapper.mapCDR(fixture(cdr)[...], into: &events) }
    return (events, mapper.statistics)
}

/// Every event passes the wire format's validator (as JSON, the way the ledger's API takes it).
func expectValid(_ events: [Event], sourceLocation: SourceLocation = #_sourceLocation) {
    for (k, e) in events.enumerated() {
        switch EventValidator.validate(.object(e.json), index: k) {
        case .success(let back): #expect(back.hasSameContent(as: e), sourceLocation: sourceLocation)
        case .failure(let err): Issue.record("event \(e.id) invalid: \(err)", sourceLocation: sourceLocation)
        }
    }
}

/// The day fixture's settings: its queue map and the PBX's zone.
func dayConfiguration() throws -> AsteriskConfiguration {
    var c = AsteriskConfiguration()
    c.queueMap = try QueueMap(text: String(decoding: fixture("day.queue-map"), as: UTF8.self))
    c.timeZone = TimeZone(identifier: "America/Detroit")!
    return c
}
