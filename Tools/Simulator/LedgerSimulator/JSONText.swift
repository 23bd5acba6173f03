/// A tiny JSON writer: string escaping and objects built by byte appends (no dictionaries, no
/// Foundation), so keys keep the order they are written in.
enum JSONText {
    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `s` as a quoted JSON string: `"` and `\` escaped, control characters as
    /// `\n`, `\r`, `\t`, `\b`, `\f` or `\u00XX`; everything else (Cyrillic included) as UTF-8.
    static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        out.append(0x22)
        var needs = false
        for b in s.utf8 where b < 0x20 || b == 0x22 || b == 0x5C {
            needs = true
            break
        }
        if !needs {
            out.append(contentsOf: s.utf8)
        } else {
            for b in s.utf8 {
                switch b {
                case 0x22: out.append(0x5C); out.append(0x22)
                case 0x5C: out.append(0x5C); out.append(0x5C)
                case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
                case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
                case 0x08: out.append(0x5C); out.append(UInt8(ascii: "b"))
                case 0x0C: out.append(0x5C); out.append(UInt8(ascii: "f"))
                case 0..<0x20:
                    out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]])
                default: out.append(b)
                }
            }
        }
        out.append(0x22)
    }

    static func quoted(_ s: String) -> String {
        var out: [UInt8] = []
        appendQuoted(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

/// Builds one JSON object as UTF-8 bytes; keys appear in the order they are added.
struct JSONObjectBuilder {
    private var bytes: [UInt8]
    private var empty = true

    init() {
        bytes = [0x7B]
        bytes.reserveCapacity(128)
    }

    @inline(__always)
    private mutating func key(_ k: String) {
        if empty { empty = false } else { bytes.append(0x2C) }
        bytes.append(0x22)
        bytes.append(contentsOf: k.utf8)
        bytes.append(0x22)
        bytes.append(0x3A)
    }

    /// A string value known to need no escaping (ids, enum values, ASCII numbers).
    mutating func plain(_ k: String, _ v: String) {
        key(k)
        bytes.append(0x22)
        bytes.append(contentsOf: v.utf8)
        bytes.append(0x22)
    }

    /// Any string value, escaped.
    mutating func string(_ k: String, _ v: String) {
        key(k)
        JSONText.appendQuoted(v, to: &bytes)
    }

    mutating func int(_ k: String, _ v: Int) {
        key(k)
        bytes.append(contentsOf: String(v).utf8)
    }

    /// A value that is already JSON text.
    mutating func raw(_ k: String, _ json: String) {
        key(k)
        bytes.append(contentsOf: json.utf8)
    }

    mutating func finish() -> [UInt8] {
        bytes.append(0x7D)
        return bytes
    }
}
