@testable import LedgerEvents
import Testing

/// The one-byte codes of known field names are part of the stored format: each name keeps the
/// code of its place in `knownKeys`, and nothing else gets one.
@Suite struct EventCodecKeyTests {
    @Test func everyKnownNameHasItsCodeAndNoOtherNameHasOne() {
        for (k, name) in EventCodec.knownKeys.enumerated() {
            #expect(EventCodec.knownKeyCode(name) == k + 1, "\(name)")
            #expect(EventCodec.knownKey(k + 1) == name)
        }
        let others = ["", "call", "call_id ", "Call_id", "call_idx", "to_agen", "department2", "sun ", "сlient", "agent\u{301}",
                      "short_abandon_s_", String(repeating: "x", count: 300)]
            + EventCodec.knownKeys.map { $0.uppercased() } + EventCodec.knownKeys.map { String($0.dropLast()) }
        for name in others where !EventCodec.knownKeys.contains(name) {
            #expect(EventCodec.knownKeyCode(name) == nil, "\(name)")
        }
    }

    @Test func knownAndUnknownNamesSurviveTheRoundTrip() throws {
        let data = JSONObject([("call_id", .string("c1")), ("sun", .array([.string("09:00")])), ("custom_field", .number("1.50")),
                               ("agent", .string("a1")), ("", .null), ("сlient", .bool(true))])
        let e = Event(id: "e1", type: .callStarted, at: EventTime(milliseconds: 1_700_000_000_000), data: data)
        let bytes = EventCodec.encode(e)
        let back = try EventDecoder().decode(bytes.span)
        #expect(back.data.members.map(\.key) == data.members.map(\.key))
        #expect(back.data.isSemanticallyEqual(to: data))
    }
}
