/// The compact, versioned binary form of an ``Event`` that the log stores (not JSON text).
///
/// Layout (version 1): `u8 version, u8 type code, zigzag-varint at (ms), zigzag-varint offset
/// (minutes), string id, u8 has-source [, string source], value data`. A string is a varint
/// length and UTF-8 bytes. A value is a tag byte — 0 null, 1 false, 2 true, 3 number (its literal
/// text as a string), 4 string, 5 array (varint count, values), 6 object (varint count, then key and
/// value per member) — where a key is a varint: 0 = a literal string follows, n ≥ 1 = the
/// n-th name of ``knownKeys``. Member order and number text survive the round trip.
public enum EventCodec {
    /// The current version byte. Decoding rejects versions it does not know.
    public static let version: UInt8 = 1

    /// Field names stored as one byte. Append only: their indices are part of the format.
    public static let knownKeys: [String] = [
        "call_id", "direction", "client", "line", "agent", "department", "option", "cause", "outcome",
        "to_agent", "to_department", "by", "name", "status", "reason", "timezone", "hours",
        "short_abandon_s", "service_level_s", "comment", "lead_id", "type", "assignee", "group", "into", "amount",
        "mon", "tue", "wed", "thu", "fri", "sat", "sun",
    ]

    /// The name of key code `k` (1-based, see ``knownKeys``), or `nil` for an unknown code.
    // A switch over literals: they are immortal, so handing one out touches no reference count
    // (an element of the shared `knownKeys` array is retained, contended when two threads decode).
    @inline(__always) static func knownKey(_ k: Int) -> String? {
        switch k {
        case 1: "call_id"
        case 2: "direction"
        case 3: "client"
        case 4: "line"
        case 5: "agent"
        case 6: "department"
        case 7: "option"
        case 8: "cause"
        case 9: "outcome"
        case 10: "to_agent"
        case 11: "to_department"
        case 12: "by"
        case 13: "name"
        case 14: "status"
        case 15: "reason"
        case 16: "timezone"
        case 17: "hours"
        case 18: "short_abandon_s"
        case 19: "service_level_s"
        case 20: "comment"
        case 21: "lead_id"
        case 22: "type"
        case 23: "assignee"
        case 24: "group"
        case 25: "into"
        case 26: "amount"
        case 27: "mon"
        case 28: "tue"
        case 29: "wed"
        case 30: "thu"
        case 31: "fri"
        case 32: "sat"
        case 33: "sun"
        default: nil
        }
    }

    /// The code of a known field name (1-based, see ``knownKeys``), or `nil`.
    ///
    /// FNV-1a of the name into a small open-addressed table, then one comparison: a `Dictionary`
    /// of the names ran SipHash over every member of every event encoded, a sixth of the encoding.
    @inline(__always) static func knownKeyCode(_ key: String) -> Int? {
        var i = Int(truncatingIfNeeded: FNV1a.hash(key.utf8) & UInt64(keyTableMask))
        while true {
            let code = Int(keyTable[i])
            if code == 0 { return nil }
            if knownKey(code) == key { return code }
            i = (i + 1) & keyTableMask
        }
    }

    private static let keyTableMask = 127
    /// Slot → code (0: empty); 128 slots for 33 names, so probes are short.
    private static let keyTable: [UInt8] = {
        var t = [UInt8](repeating: 0, count: keyTableMask + 1)
        for (k, name) in knownKeys.enumerated() {
            var i = Int(truncatingIfNeeded: FNV1a.hash(name.utf8) & UInt64(keyTableMask))
            while t[i] != 0 { i = (i + 1) & keyTableMask }
            t[i] = UInt8(k + 1)
        }
        return t
    }()

    /// A stored record that could not be decoded.
    public struct DecodingError: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { "undecodable event record: \(message)" }
    }

    // MARK: Encoding

    /// The binary form of `event`.
    public static func encode(_ event: Event) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + event.id.utf8.count + event.data.count * 24)
        encode(event, into: &out)
        return out
    }

    /// Appends the binary form of `event` to `out`.
    public static func encode(_ event: Event, into out: inout [UInt8]) {
        out.append(version)
        out.append(event.type.code)
        writeVarint(zigzag(event.at.milliseconds), into: &out)
        writeVarint(zigzag(Int64(event.at.offsetMinutes)), into: &out)
        writeString(event.id, into: &out)
        if let s = event.source {
            out.append(1)
            writeString(s, into: &out)
        } else {
            out.append(0)
        }
        writeObject(event.data, into: &out)
    }

    @inline(__always) static func zigzag(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }
    @inline(__always) static func unzigzag(_ v: UInt64) -> Int64 { Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1) }

    @inline(__always) static func writeVarint(_ value: UInt64, into out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    @inline(__always) static func writeString(_ s: String, into out: inout [UInt8]) {
        writeVarint(UInt64(s.utf8.count), into: &out)
        out.append(contentsOf: s.utf8)
    }

    static func writeObject(_ o: JSONObject, into out: inout [UInt8]) {
        out.append(6)
        writeVarint(UInt64(o.members.count), into: &out)
        for m in o.members {
            if let k = knownKeyCode(m.key) {
                writeVarint(UInt64(k), into: &out)
            } else {
                out.append(0)
                writeString(m.key, into: &out)
            }
            writeValue(m.value, into: &out)
        }
    }

    static func writeValue(_ v: JSONValue, into out: inout [UInt8]) {
        switch v {
        case .null: out.append(0)
        case .bool(let b): out.append(b ? 2 : 1)
        case .number(let text): out.append(3); writeString(text, into: &out)
        case .string(let s): out.append(4); writeString(s, into: &out)
        case .array(let items):
            out.append(5)
            writeVarint(UInt64(items.count), into: &out)
            for item in items { writeValue(item, into: &out) }
        case .object(let o): writeObject(o, into: &out)
        }
    }

    // MARK: Decoding

    /// Decodes a record written by ``encode(_:)``. (``EventDecoder`` decodes many in a row faster.)
    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> Event {
        try EventDecoder().decode(bytes.span)
    }
}
