import LedgerProjections
import Testing

@Suite struct FactCoderTests {
    enum Kind: String, Codable { case a, bb }

    struct Inner: Codable, Equatable {
        var name: String
        var at: Int64
        var note: String?
    }

    struct Outer: Codable, Equatable {
        var id: String
        var count: Int
        var negative: Int64
        var ratio: Double
        var flag: Bool
        var kind: Kind
        var maybe: Int?
        var missing: String?
        var items: [Inner]
        var nested: [[Int]]
        var empty: [String]
        var inner: Inner?
    }

    @Test func roundTripsNestedStructsOptionalsArraysAndEnums() throws {
        let v = Outer(id: "call-1 ☎", count: 300, negative: -1_795_000_000_000, ratio: 0.125, flag: true, kind: .bb,
                      maybe: 0, missing: nil,
                      items: [Inner(name: "a", at: 1, note: nil), Inner(name: "", at: -5, note: "n\"q")],
                      nested: [[1, 2], [], [3]], empty: [], inner: Inner(name: "x", at: 2, note: "y"))
        let bytes = try FactCoder.encode(v)
        #expect(try FactCoder.decode(Outer.self, from: bytes) == v)
        var none = v
        none.inner = nil
        none.maybe = nil
        #expect(try FactCoder.decode(Outer.self, from: try FactCoder.encode(none)) == none)
    }

    @Test func rejectsTruncatedAndTrailingBytes() throws {
        let bytes = try FactCoder.encode(Inner(name: "abc", at: 7, note: "z"))
        #expect(throws: (any Error).self) { try FactCoder.decode(Inner.self, from: Array(bytes.dropLast())) }
        #expect(throws: (any Error).self) { try FactCoder.decode(Inner.self, from: bytes + [0]) }
    }

    @Test func refusesDictionaries() {
        struct WithDict: Codable { var d: [String: Int] }
        #expect(throws: (any Error).self) { try FactCoder.encode(WithDict(d: ["a": 1])) }
    }
}
