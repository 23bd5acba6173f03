import LedgerEvents
import Testing

@Suite struct JSONParserTests {
    @Test func keepsMemberOrderAndNumberText() throws {
        let v = try JSONParser.parse(#"{"b":1.50,"a":[true,false,null,-0.5e+3],"c":{"z":"\u00e9\n\"q\""}}"#)
        guard case .object(let o) = v else { Issue.record("not an object"); return }
        #expect(o.keys == ["b", "a", "c"])
        #expect(o["b"] == .number("1.50"))
        #expect(o["a"] == .array([.bool(true), .bool(false), .null, .number("-0.5e+3")]))
        #expect(o["c"]?.objectValue?.string("z") == "é\n\"q\"")
        #expect(JSONWriter.string(v) == #"{"b":1.50,"a":[true,false,null,-0.5e+3],"c":{"z":"é\n\"q\""}}"#)
    }

    @Test func decodesSurrogatePairs() throws {
        #expect(try JSONParser.parse(#""\ud83d\ude00""#) == .string("😀"))
    }

    @Test(arguments: [
        "", "{", "{\"a\":1,}", "[1,]", "01", "1.", "-", "tru", "\"abc", "{\"a\":1}x", "{\"a\":1,\"a\":2}",
        "\"\\ud800\"", "\"\\x\"", "\"tab\there\"", "{a:1}", "NaN", "[1 2]",
    ])
    func rejectsInvalidJSON(_ text: String) {
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(text) }
    }

    /// A byte-order mark is refused, as JSON requires, but named: "unexpected character '\\xef'"
    /// told a user with a file saved by a Windows editor nothing.
    @Test func namesAByteOrderMark() {
        #expect {
            try JSONParser.parse([0xEF, 0xBB, 0xBF] + Array("[1]".utf8))
        } throws: { ($0 as? JSONParser.SyntaxError)?.description.contains("byte-order mark") == true }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
        // A truncated sequence at the end, an overlong encoding, a lone continuation byte.
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse([0x22, 0x41, 0xD0, 0x22]) }
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse([0x22, 0xC0, 0xAF, 0x22]) }
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse([0x7B, 0x22, 0x80, 0x22, 0x3A, 0x31, 0x7D]) }
    }

    @Test func keepsValidUTF8() throws {
        #expect(try JSONParser.parse(#"{"name":"Анна Ёлкина","city":"София","emoji":"😀"}"#)
                == .object(JSONObject([("name", .string("Анна Ёлкина")), ("city", .string("София")), ("emoji", .string("😀"))])))
    }

    @Test func rejectsDeepNesting() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(deep) }
    }

    @Test func semanticEqualityIgnoresMemberOrder() throws {
        let a = try JSONParser.parse(#"{"x":1,"y":[1,{"p":2,"q":3}]}"#)
        let b = try JSONParser.parse(#"{"y":[1,{"q":3,"p":2}],"x":1.0}"#)
        #expect(a.isSemanticallyEqual(to: b))
        #expect(a != b)
        #expect(!a.isSemanticallyEqual(to: try JSONParser.parse(#"{"x":1,"y":[{"p":2,"q":3},1]}"#)))
    }
}

@Suite struct EventTimeTests {
    @Test func parsesAndFormatsWithTheOriginalOffset() throws {
        let t = try EventTime(rfc3339: "2026-11-21T09:15:02.250+03:00")
        #expect(t.milliseconds == 1_795_241_702_250)
        #expect(t.offsetMinutes == 180)
        #expect(t.rfc3339 == "2026-11-21T09:15:02.250+03:00")
        #expect(t.rfc3339UTC == "2026-11-21T06:15:02.250Z")
        #expect(try EventTime(rfc3339: "2026-11-21T06:15:02.25Z") == t)
        #expect(try EventTime(rfc3339: "2026-11-21T06:15:02Z").rfc3339 == "2026-11-21T06:15:02.000Z")
        #expect(try EventTime(rfc3339: "1969-12-31T23:59:59.999Z").milliseconds == -1)
        #expect(try EventTime(rfc3339: "2024-02-29T00:00:00-09:30").rfc3339 == "2024-02-29T00:00:00.000-09:30")
        #expect(try EventTime(rfc3339: "0001-01-01T00:00:00Z").rfc3339 == "0001-01-01T00:00:00.000Z")
    }

    @Test(arguments: [
        "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-21T24:00:00Z", "2026-11-21T09:15Z",
        "2026-11-21T09:15:02.2501Z", "2026-11-21t09:15:02Z", "2026-11-21T09:15:02z", "2026-11-21T09:15:02",
        "2026-11-21T09:15:60Z", "2026-11-21T09:15:02+24:00", "2026-11-21T09:15:02+03", "2026-11-21 09:15:02Z",
        "2026-11-21T09:15:02.Z", "1900-02-29T00:00:00Z",
    ])
    func rejects(_ text: String) {
        #expect(throws: EventTime.ParseError.self) { try EventTime(rfc3339: text) }
    }

    @Test func civilDateConversionRoundTrips() {
        for day in stride(from: -800_000, through: 800_000, by: 997) {
            let (y, m, d) = EventTime.civilFromDays(day)
            #expect(EventTime.daysFromCivil(year: y, month: m, day: d) == day)
        }
    }
}

@Suite struct ClientNumberTests {
    @Test(arguments: [
        ("+7 (831) 212-36-54", "78312123654"), ("0078312123654", "78312123654"), ("78312123654", "78312123654"),
        ("anonymous", ""), ("", ""), ("Unknown", ""), ("PRIVATE", ""), ("restricted", ""), ("hidden", ""), ("---", ""),
    ])
    func normalises(_ raw: String, _ digits: String) {
        let c = ClientNumber(raw)
        #expect(c.digits == digits)
        #expect(c.isHidden == digits.isEmpty)
    }
}

@Suite struct EventCodecTests {
    @Test func roundTripsEveryExampleAndUnknownFields() throws {
        let line = #"{"id":"x-1","type":"call.started","at":"2026-11-21T09:15:02.250+03:00","source":"pbx","data":{"call_id":"1.2","direction":"inbound","client":"+7 831","sip":{"codec":"opus","mos":4.20,"tags":["a",null,true]},"zz":""}}"#
        let e = try EventValidator.validate(JSONParser.parse(line)).get()
        let bytes = EventCodec.encode(e)
        #expect(bytes.count < line.utf8.count)
        let back = try EventCodec.decode(bytes)
        #expect(back.hasSameContent(as: e))
        #expect(back.data == e.data)
        #expect(JSONWriter.string(.object(back.json)) == line)
    }

    @Test func rejectsDamagedRecords() throws {
        let e = Event(id: "a", type: .callGreeting, at: EventTime(milliseconds: 5), data: ["call_id": "c"])
        let bytes = EventCodec.encode(e)
        #expect(throws: EventCodec.DecodingError.self) { try EventCodec.decode(Array(bytes.dropLast())) }
        #expect(throws: EventCodec.DecodingError.self) { try EventCodec.decode([9] + bytes.dropFirst()) }
        #expect(throws: EventCodec.DecodingError.self) { try EventCodec.decode(bytes + [0]) }
    }
}

@Suite struct OrderedJSONEncoderTests {
    struct Plain: Encodable { var b = 2; var a: String? = nil; var z = [1, 2] }
    struct Row: Encodable, ExplicitNulls { var b = 2; var a: String? = nil; var inner: Plain? = Plain() }

    @Test func keepsDeclarationOrderAndWritesNullsOnlyForExplicitNullTypes() throws {
        #expect(try OrderedJSONEncoder.string(Plain()) == #"{"b":2,"z":[1,2]}"#)
        #expect(try OrderedJSONEncoder.string(Row()) == #"{"b":2,"a":null,"inner":{"b":2,"z":[1,2]}}"#)
        #expect(try OrderedJSONEncoder.string([Row(b: 1, a: "x", inner: nil)]) == #"[{"b":1,"a":"x","inner":null}]"#)
        #expect(try OrderedJSONEncoder.string(Array(repeating: 1.5, count: 3)) == "[1.5,1.5,1.5]")
    }
}
