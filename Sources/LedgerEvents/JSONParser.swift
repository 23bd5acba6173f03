/// A strict, allocation-lean JSON parser over UTF-8 bytes (RFC 8259).
///
/// Foundation's decoders manage 160–220 k event lines a second per core here; appends need
/// more, and they must keep member order and number text, which `JSONSerialization` loses.
/// Invalid UTF-8, duplicate keys, trailing garbage and nesting deeper than 64 are errors.
public struct JSONParser {
    /// Why a text is not JSON, with the byte offset where parsing stopped.
    public struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
        public var offset: Int
        public var message: String
        public var description: String { "invalid JSON at byte \(offset + 1): \(message)" }
    }

    private let bytes: [UInt8]
    private var i: Int
    private let end: Int
    private var depth = 0
    private static let maxDepth = 64

    private init(bytes: [UInt8], start: Int, end: Int) {
        self.bytes = bytes
        self.i = start
        self.end = end
    }

    /// Parses exactly one JSON value from `bytes[range]` (surrounding whitespace allowed).
    /// A syntax error's offset counts from the range's start: for one line of NDJSON, the byte
    /// within that line, which is what someone fixing the line needs.
    public static func parse(_ bytes: [UInt8], range: Range<Int>? = nil) throws(SyntaxError) -> JSONValue {
        let r = range ?? 0..<bytes.count
        var p = JSONParser(bytes: bytes, start: r.lowerBound, end: r.upperBound)
        do throws(SyntaxError) {
            p.skipWhitespace()
            let v = try p.parseValue()
            p.skipWhitespace()
            if p.i != p.end { throw p.error("unexpected data after the JSON value") }
            return v
        } catch {
            throw SyntaxError(offset: error.offset - r.lowerBound, message: error.message)
        }
    }

    /// Parses one JSON value from a string.
    public static func parse(_ text: String) throws(SyntaxError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    private func error(_ message: String) -> SyntaxError { SyntaxError(offset: i, message: message) }

    private mutating func skipWhitespace() {
        while i < end {
            let c = bytes[i]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { break }
        }
    }

    private mutating func parseValue() throws(SyntaxError) -> JSONValue {
        guard i < end else { throw error("unexpected end of input") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return .object(try parseObject())
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        case 0xEF where end - i >= 3 && bytes[i + 1] == 0xBB && bytes[i + 2] == 0xBF:
            // Windows editors save UTF-8 with one; JSON text must not begin with it (RFC 8259 §8.1).
            throw error("a UTF-8 byte-order mark (EF BB BF): save the file without it, or remove it")
        default: throw error("unexpected character '\(Self.show(bytes[i]))'")
        }
    }

    private static func show(_ b: UInt8) -> String {
        b >= 0x20 && b < 0x7F ? String(UnicodeScalar(b)) : "\\x" + String(b, radix: 16)
    }

    private mutating func literal(_ word: StaticString) throws(SyntaxError) {
        let n = word.utf8CodeUnitCount
        guard end - i >= n else { throw error("unexpected end of input") }
        var k = 0
        let w = word.utf8Start
        while k < n {
            if bytes[i + k] != w[k] { throw error("invalid literal") }
            k += 1
        }
        i += n
    }

    private mutating func enter() throws(SyntaxError) {
        depth += 1
        if depth > Self.maxDepth { throw error("nesting deeper than \(Self.maxDepth)") }
    }

    private mutating func parseObject() throws(SyntaxError) -> JSONObject {
        try enter()
        i += 1
        var members: [(key: String, value: JSONValue)] = []
        // An event's objects have 3-8 members: one allocation instead of growing 1, 2, 4, 8.
        members.reserveCapacity(8)
        skipWhitespace()
        if i < end && bytes[i] == UInt8(ascii: "}") {
            i += 1
            depth -= 1
            return JSONObject(members)
        }
        while true {
            skipWhitespace()
            guard i < end, bytes[i] == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let keyOffset = i
            let key = try parseString()
            for m in members where m.key == key {
                throw SyntaxError(offset: keyOffset, message: "duplicate key \"\(key)\"")
            }
            skipWhitespace()
            guard i < end, bytes[i] == UInt8(ascii: ":") else { throw error("expected ':' after a key") }
            i += 1
            skipWhitespace()
            let value = try parseValue()
            members.append((key, value))
            skipWhitespace()
            guard i < end else { throw error("unexpected end of input in an object") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { i += 1; break }
            throw error("expected ',' or '}' in an object")
        }
        depth -= 1
        return JSONObject(members)
    }

    private mutating func parseArray() throws(SyntaxError) -> JSONValue {
        try enter()
        i += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if i < end && bytes[i] == UInt8(ascii: "]") {
            i += 1
            depth -= 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue())
            skipWhitespace()
            guard i < end else { throw error("unexpected end of input in an array") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; break }
            throw error("expected ',' or ']' in an array")
        }
        depth -= 1
        return .array(items)
    }

    private mutating func parseString() throws(SyntaxError) -> String {
        i += 1
        let start = i
        // Fast path: no escapes, validated and copied once.
        while i < end {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                guard let s = text(start..<i) else { throw SyntaxError(offset: start, message: "string is not valid UTF-8") }
                i += 1
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw error("control character in a string (escape it)") }
            i += 1
        }
        guard i < end else { throw error("unterminated string") }
        var out: [UInt8] = Array(bytes[start..<i])
        while i < end {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                guard let s = String(validating: out, as: UTF8.self) else {
                    throw SyntaxError(offset: start, message: "string is not valid UTF-8")
                }
                return s
            }
            if c < 0x20 { throw error("control character in a string (escape it)") }
            if c != UInt8(ascii: "\\") {
                out.append(c)
                i += 1
                continue
            }
            i += 1
            guard i < end else { throw error("unterminated escape") }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard end - i >= 6, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                        throw error("unpaired surrogate in \\u escape")
                    }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("invalid low surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw error("unpaired surrogate in \\u escape")
                }
                guard let u = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                throw error("invalid escape '\\\(Self.show(e))'")
            }
        }
        throw error("unterminated string")
    }

    private mutating func hex4() throws(SyntaxError) -> UInt32 {
        guard end - i >= 4 else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - 48)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - 87)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - 55)
            default: throw error("invalid hex digit in \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    private mutating func parseNumber() throws(SyntaxError) -> JSONValue {
        let start = i
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < end, isDigit(bytes[i]) else { throw error("invalid number") }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if i < end && isDigit(bytes[i]) { throw error("leading zero in a number") }
        } else {
            while i < end && isDigit(bytes[i]) { i += 1 }
        }
        if i < end && bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard i < end, isDigit(bytes[i]) else { throw error("digit expected after '.'") }
            while i < end && isDigit(bytes[i]) { i += 1 }
        }
        if i < end && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
            i += 1
            if i < end && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) { i += 1 }
            guard i < end, isDigit(bytes[i]) else { throw error("digit expected in exponent") }
            while i < end && isDigit(bytes[i]) { i += 1 }
        }
        return .number(text(start..<i)!)  // ASCII digits and signs: always valid
    }

    /// `bytes[range]` as a string, or `nil` if it is not valid UTF-8.
    ///
    /// Through a span, not an `ArraySlice`: a slice retains and releases the array's buffer, and
    /// with the lines of one input parsed on both cores that is two threads bouncing one reference
    /// count (2.6x slower for 21-byte strings, measured).
    private func text(_ range: Range<Int>) -> String? {
        guard let u = try? UTF8Span(validating: bytes.span.extracting(range)) else { return nil }
        return String(copying: u)
    }

    @inline(__always) private func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
}
