import LedgerEvents
import Testing

@Suite struct EventTimeFormatTests {
    @Test(arguments: ["2026-11-21T09:15:02.250+03:00", "2026-11-21T06:15:02.250Z", "0999-01-01T00:00:00.000-09:30",
                      "1969-12-31T23:59:59.999+14:00", "2027-03-28T01:59:59.001-00:01", "9999-12-31T23:59:59.999Z"])
    func writesWhatItReads(_ text: String) throws {
        let t = try EventTime(rfc3339: text)
        #expect(t.rfc3339 == text)
        var out = Array("x".utf8)
        t.append(into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "x" + text)
    }

    /// The first and last instants shown in the farthest zones have no four-digit local year:
    /// they are written in UTC, still the same instant (they were clamped into another year).
    @Test func edgesOfTheRangeInAFarZoneStayTheSameInstant() throws {
        let last = try EventTime(rfc3339: "9999-12-31T23:59:59Z")
        let shown = EventTime(milliseconds: last.milliseconds, offsetMinutes: 14 * 60).rfc3339
        #expect(shown == "9999-12-31T23:59:59.000Z")
        #expect(try EventTime(rfc3339: shown).milliseconds == last.milliseconds)
        let first = try EventTime(rfc3339: "0000-01-01T00:00:00Z")
        #expect(EventTime(milliseconds: first.milliseconds, offsetMinutes: -12 * 60).rfc3339 == "0000-01-01T00:00:00.000Z")
        // Inside the range the zone's offset is kept.
        #expect(EventTime(milliseconds: last.milliseconds, offsetMinutes: -60).rfc3339 == "9999-12-31T22:59:59.000-01:00")
    }
}
