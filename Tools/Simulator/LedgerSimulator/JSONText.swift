/// A tiny JSON writer: string escaping and objects built by appends (no dictionaries, no
/// Foundation), so keys keep the order they are written in.
enum JSONText {
    @inline(__always)
    static func needsEscape(_ s: String) -> Bool {
        for b in s.utf8 where b < 0x20 || b == 0x22 || b == 0x5C { return true }
        return false
    }

    /// Appends `s` as a quoted JSON string: `"` and `\` escaped, control characters as
    /// `\n`, `\r`, `\t`, `\b`, `\f` or `\u00XX`; everything else (Cyrillic included) as UTF-8.
    static func appendQuoted(_ s: String, to out: inout String) {
        out.append("\"")
        if !needsEscape(s) {
            out.append(s)
        } else {
            let hex: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out.append("\\\"")
                case "\\": out.append("\\\\")
                case "\n": out.append("\\n")
                case "\r": out.append("\\r")
                case "\t": out.append("\\t")
                case "\u{08}": out.append("\\b")
                case "\u{0C}": out.append("\\f")
                default:
                    if scalar.value < 0x20 {
                        out.append("\\u00")
                        out.append(hex[Int(scalar.value >> 4)])
                        out.append(hex[Int(scalar.value & 0xF)])
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
        }
        out.append("\"")
    }

    static func quoted(_ s: String) -> String {
        var out = ""
        appendQuoted(s, to: &out)
        return out
    }
}

/// Builds one JSON object; keys appear in the order they are added.
struct JSONObjectBuilder {
    private var text: String
    private var empty = true

    init() {
        text = "{"
        text.reserveCapacity(120)
    }

    @inline(__always)
    private mutating func key(_ k: String) {
        if empty { empty = false } else { text.append(",") }
        text.append("\"")
        text.append(k)
        text.append("\":")
    }

    /// A string value known to need no escaping (ids, enum values, ASCII numbers).
    mutating func plain(_ k: String, _ v: String) {
        key(k)
        text.append("\"")
        text.append(v)
        text.append("\"")
    }

    /// Any string value, escaped.
    mutating func string(_ k: String, _ v: String) {
        key(k)
        JSONText.appendQuoted(v, to: &text)
    }

    mutating func int(_ k: String, _ v: Int) {
        key(k)
        text.append(String(v))
    }

    /// A value that is already JSON text.
    mutating func raw(_ k: String, _ json: String) {
        key(k)
        text.append(json)
    }

    mutating func finish() -> String {
        text.append("}")
        return text
    }
}
