import Foundation

/// Settings of an Asterisk import: names, the queue map, time zone and numbering plan.
///
/// ```swift
/// var c = AsteriskConfiguration()
/// c.queueMap = try QueueMap(text: "queue q-sales = sales\n")
/// c.timeZone = TimeZone(identifier: "America/Detroit")!
/// var mapper = AsteriskMapper(configuration: c)
/// ```
public struct AsteriskConfiguration: Sendable {
    /// The events' `source` and the prefix of their ids (letters, digits, `.`, `_`, `-`; ≤ 64).
    /// Two PBXs importing into one ledger need different names. Default `asterisk`.
    public var source = "asterisk"
    /// Queue names, DIDs and agent names translated to ledger identities.
    public var queueMap = QueueMap()
    /// The zone of times Asterisk writes as local text (CDR `start`/`answer`/`end`, realtime
    /// `queue_log` time) and the offset `at` is written in. Default UTC.
    public var timeZone = TimeZone(identifier: "UTC")!
    /// The country code that turns national numbers into international ones, so CDR `dst`
    /// "2484363600" and queue_log caller "12484363600" are the same client. Empty: numbers are
    /// kept as digits without any prefixing. Default `1` (the North American plan).
    public var countryCode = "1"
    /// A `RINGNOANSWER` shorter than this (ms) is a refusal (busy, declined, unreachable), not a
    /// ring timeout: Asterisk logs 0/1000/2000 ms for those and ≈ the queue timeout otherwise.
    public var rejectedBelowMs = 3000
    /// How long (log seconds) an `EXIT*` waits for the same call's next `ENTERQUEUE` (an overflow
    /// to another queue in the dialplan) before the call is taken as ended. Default 60.
    public var overflowWindowS = 60
    /// How long (queue_log time, seconds) the mapper remembers a call or a client's queue entry
    /// after it was last seen: between this and twice this. Long enough for any call and for its
    /// CDR row; bounded, so that a `--follow` running for months does not keep every call ever
    /// made in memory. Older CDR rows are matched against the ledger by the importer instead.
    public var stateRetentionS: Int64 = 7 * 86_400
    /// Numbers with at most this many digits are extensions (agents, internal lines), longer
    /// ones are external parties. Default 6.
    public var internalMaxDigits = 6

    public init() {}

    /// Checks that ids built from ``source`` stay within the wire format's rules.
    /// - Throws: ``AsteriskError`` naming the field.
    public func validate() throws(AsteriskError) {
        // It prefixes every event id and names the import's state file: keep it to safe characters.
        let allowed = { (c: UInt8) in (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x2E || c == 0x5F }
        guard !source.isEmpty, source.utf8.count <= 64, source.utf8.allSatisfy(allowed) else {
            throw AsteriskError("source: \"\(source)\" must be 1–64 letters, digits, '.', '_' or '-' (it prefixes every event id)")
        }
        guard countryCode.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), countryCode.utf8.count <= 3 else {
            throw AsteriskError("country code: \"\(countryCode)\" must be 0–3 digits (e.g. 1, 7, 44)")
        }
        guard stateRetentionS >= 86_400 else {
            throw AsteriskError("state retention: \(stateRetentionS) s is under a day; calls and their CDR rows need at least that")
        }
    }

    /// The client number as the adapter sends it: international digits.
    ///
    /// `+` or `00` in front: already international. A leading single `0` is a national trunk
    /// prefix, dropped before the country code is added. A number that starts with the country
    /// code and is at least 11 digits long is taken as international. Extensions (at most
    /// ``internalMaxDigits`` digits) and numbers without digits are returned as they are.
    /// International call prefixes other than `00`, by country code.
    static let internationalPrefixes = ["1": "011", "7": "810"]

    public func normalizedClient(_ raw: String) -> String {
        var digits: [UInt8] = []
        digits.reserveCapacity(16)
        var plus = false
        for c in raw.utf8 {
            if c >= 48 && c <= 57 { digits.append(c) } else if c == UInt8(ascii: "+") && digits.isEmpty { plus = true }
        }
        if digits.isEmpty { return raw }
        if plus { return String(decoding: digits, as: UTF8.self) }
        if digits.count >= 2 && digits[0] == 48 && digits[1] == 48 { return String(decoding: digits.dropFirst(2), as: UTF8.self) }
        // The country's own international prefix: 011 in North America, 810 in Russia.
        if let exit = Self.internationalPrefixes[countryCode], digits.count > exit.count + 6, digits.starts(with: exit.utf8) {
            return String(decoding: digits.dropFirst(exit.count), as: UTF8.self)
        }
        if digits.count <= internalMaxDigits || countryCode.isEmpty { return String(decoding: digits, as: UTF8.self) }
        let cc = Array(countryCode.utf8)
        // The trunk prefix of national numbers: 0 in most countries, 8 in Russia and Kazakhstan (8 495 …).
        if digits[0] == 48 || (countryCode == "7" && digits[0] == 56 && digits.count == 11) {
            return String(decoding: cc + digits.dropFirst(), as: UTF8.self)
        }
        if digits.count >= 11 && digits.starts(with: cc) { return String(decoding: digits, as: UTF8.self) }
        return String(decoding: cc + digits, as: UTF8.self)
    }
}

/// A problem with the import's input or settings, for people: it names the file, line and field.
public struct AsteriskError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Translations from Asterisk names to ledger identities, read from a small text file.
///
/// ```text
/// # queue name (queue_log column 3) = department
/// queue q-sales = sales
/// support = support            # "queue" may be left out
/// # DID / dialled line (queue_log DID, CDR dst of inbound calls) = department owning it
/// line 2484363000 = sales
/// # member name or interface (queue_log column 4, CDR extension) = agent id
/// agent Alice = 201
/// ```
/// Unmapped queues keep their name as the department; unmapped agents are their extension
/// (`PJSIP/201`, `SIP/201-0000002a`, `Local/201@from-queue/n`, `Agent/201` all become `201`).
public struct QueueMap: Sendable {
    public var queues: [String: String] = [:]
    public var lines: [String: String] = [:]
    public var agents: [String: String] = [:]

    public init() {}

    /// Parses the map's text.
    /// - Throws: ``AsteriskError`` naming the line that is not `[queue|line|agent] NAME = VALUE`.
    public init(text: String, file: String = "queue map") throws(AsteriskError) {
        for (k, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(rawLine)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let eq = trimmed.firstIndex(of: "=") else {
                throw AsteriskError("\(file) line \(k + 1): expected \"[queue|line|agent] NAME = VALUE\", got \"\(trimmed)\"")
            }
            let left = trimmed[..<eq].trimmingCharacters(in: .whitespaces)
            let value = trimmed[trimmed.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            var kind = "queue", name = left
            if let space = left.firstIndex(of: " ") {
                kind = String(left[..<space])
                name = left[left.index(after: space)...].trimmingCharacters(in: .whitespaces)
            }
            guard !name.isEmpty, !value.isEmpty else {
                throw AsteriskError("\(file) line \(k + 1): both the name and the value must be non-empty")
            }
            switch kind {
            case "queue": queues[name] = value
            case "line": lines[name] = value
            case "agent": agents[name] = value
            default:
                throw AsteriskError("\(file) line \(k + 1): unknown kind \"\(kind)\"; expected queue, line or agent")
            }
        }
    }

    /// The department of a queue.
    public func department(queue: String) -> String { queues[queue] ?? queue }

    /// The agent id of a member name, interface or channel.
    public func agent(_ member: String) -> String {
        if let a = agents[member] { return a }
        let ext = Self.extensionOf(member)
        return agents[ext] ?? ext
    }

    /// `PJSIP/201` → `201`, `SIP/201-0000002a` → `201`, `Local/201@ctx/n` → `201`; names stay.
    package static func extensionOf(_ member: String) -> String {
        guard let slash = member.firstIndex(of: "/") else { return member }
        var rest = member[member.index(after: slash)...]
        if let at = rest.firstIndex(of: "@") { rest = rest[..<at] }
        // A channel name ends in "-<hex sequence>"; an interface has none.
        if let dash = rest.lastIndex(of: "-"), rest.index(after: dash) < rest.endIndex,
           rest[rest.index(after: dash)...].allSatisfy(\.isHexDigit) {
            rest = rest[..<dash]
        }
        if let slash2 = rest.firstIndex(of: "/") { rest = rest[..<slash2] }
        return rest.isEmpty ? member : String(rest)
    }
}
