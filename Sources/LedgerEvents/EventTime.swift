/// An RFC 3339 instant with millisecond precision that remembers the producer's UTC offset,
/// so an event read back shows `at` as it was sent (`2026-11-21T09:15:02.250+03:00`).
///
/// Ordering and equality of instants use ``milliseconds`` only; ``offsetMinutes`` is presentation.
public struct EventTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var milliseconds: Int64
    /// The offset from UTC the producer wrote, in minutes (0 for `Z`).
    public var offsetMinutes: Int16

    public init(milliseconds: Int64, offsetMinutes: Int16 = 0) {
        self.milliseconds = milliseconds
        self.offsetMinutes = offsetMinutes
    }

    public static func < (a: EventTime, b: EventTime) -> Bool { a.milliseconds < b.milliseconds }
    public static func == (a: EventTime, b: EventTime) -> Bool { a.milliseconds == b.milliseconds }
    public func hash(into hasher: inout Hasher) { hasher.combine(milliseconds) }

    /// Whether two times are the same instant written the same way.
    public func isIdentical(to other: EventTime) -> Bool {
        milliseconds == other.milliseconds && offsetMinutes == other.offsetMinutes
    }

    /// Seconds since the epoch, as a Double.
    public var seconds: Double { Double(milliseconds) / 1000 }

    public var description: String { rfc3339 }

    /// Why a text is not an accepted timestamp.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The accepted form, for error messages.
    public static let expectedForm = "an RFC 3339 time like 2026-11-21T09:15:02.250+03:00 (seconds required, at most 3 fraction digits, Z or ±HH:MM)"

    /// Parses `YYYY-MM-DDTHH:MM:SS[.f{1,3}](Z|±HH:MM)`, checking the calendar.
    public init(rfc3339 text: String) throws(ParseError) {
        self = try Self.parse(Array(text.utf8)).get()
    }

    static func parse(_ b: [UInt8]) -> Result<EventTime, ParseError> {
        func fail(_ m: String) -> Result<EventTime, ParseError> { .failure(ParseError(message: m)) }
        let n = b.count
        guard n >= 20 else { return fail("too short for \(expectedForm)") }
        func digits(_ at: Int, _ count: Int) -> Int? {
            var v = 0
            for k in at..<(at + count) {
                let c = b[k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard let year = digits(0, 4), b[4] == 0x2D, let month = digits(5, 2), b[7] == 0x2D,
              let day = digits(8, 2), b[10] == UInt8(ascii: "T"), let hour = digits(11, 2), b[13] == 0x3A,
              let minute = digits(14, 2), b[16] == 0x3A, let second = digits(17, 2)
        else { return fail("not \(expectedForm)") }
        guard (1...12).contains(month) else { return fail("month \(month) out of range") }
        guard day >= 1 && day <= daysInMonth(year: year, month: month) else {
            return fail("day \(day) does not exist in \(year)-\(month < 10 ? "0" : "")\(month)")
        }
        guard hour <= 23 else { return fail("hour \(hour) out of range") }
        guard minute <= 59 else { return fail("minute \(minute) out of range") }
        guard second <= 59 else { return fail("second \(second) out of range (leap seconds are not accepted)") }
        var k = 19
        var millis = 0
        if b[k] == UInt8(ascii: ".") {
            k += 1
            var count = 0
            while k < n, b[k] >= 48, b[k] <= 57 {
                count += 1
                if count > 3 { return fail("more than 3 fraction digits: the ledger keeps millisecond precision") }
                millis = millis * 10 + Int(b[k] - 48)
                k += 1
            }
            guard count > 0 else { return fail("digits expected after '.'") }
            for _ in count..<3 { millis *= 10 }
        }
        guard k < n else { return fail("missing UTC offset (Z or ±HH:MM)") }
        var offset = 0
        if b[k] == UInt8(ascii: "Z") {
            k += 1
        } else if b[k] == UInt8(ascii: "+") || b[k] == UInt8(ascii: "-") {
            guard n - k == 6, let oh = digits(k + 1, 2), b[k + 3] == 0x3A, let om = digits(k + 4, 2) else {
                return fail("bad UTC offset: expected Z or ±HH:MM")
            }
            guard oh <= 23, om <= 59 else { return fail("UTC offset out of range") }
            offset = (oh * 60 + om) * (b[k] == UInt8(ascii: "-") ? -1 : 1)
            k += 6
        } else {
            return fail("bad UTC offset: expected Z or ±HH:MM")
        }
        guard k == n else { return fail("unexpected characters after the UTC offset") }
        let days = daysFromCivil(year: year, month: month, day: day)
        let localSeconds = Int64(days) * 86400 + Int64(hour * 3600 + minute * 60 + second)
        let ms = (localSeconds - Int64(offset * 60)) * 1000 + Int64(millis)
        // Written in UTC (recorded_at, reports) it must still have a four-digit year.
        guard ms >= Self.earliestMs && ms <= Self.latestMs else {
            return fail("out of range: in UTC it falls outside the years 0000–9999")
        }
        return .success(EventTime(milliseconds: ms, offsetMinutes: Int16(offset)))
    }

    /// The first and the last instant wire format v1 can carry (UTC years 0000–9999), in ms.
    public static let earliestMs = Int64(daysFromCivil(year: 0, month: 1, day: 1)) * 86_400_000
    public static let latestMs = Int64(daysFromCivil(year: 9999, month: 12, day: 31) + 1) * 86_400_000 - 1

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The civil date of a day number since 1970-01-01.
    public static func civilFromDays(_ z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// The time written with its original offset and exactly three fraction digits.
    public var rfc3339: String {
        var out: [UInt8] = []
        out.reserveCapacity(29)
        append(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The same instant written in UTC (`…Z`).
    public var rfc3339UTC: String {
        EventTime(milliseconds: milliseconds, offsetMinutes: 0).rfc3339
    }

    /// Appends the RFC 3339 text (original offset, milliseconds) to `out`.
    public func append(into out: inout [UInt8]) {
        let local = milliseconds + Int64(offsetMinutes) * 60_000
        var days = local / 86_400_000
        var msOfDay = local % 86_400_000
        if msOfDay < 0 { msOfDay += 86_400_000; days -= 1 }
        let (y, mo, d) = Self.civilFromDays(Int(days))
        // An instant at the edge of the range shown in a far zone (9999-12-31T23:59:59Z at +14:00)
        // has no four-digit local year: the same instant in UTC, rather than another instant.
        if !(0...9999).contains(y) && offsetMinutes != 0 {
            EventTime(milliseconds: milliseconds, offsetMinutes: 0).append(into: &out)
            return
        }
        func two(_ v: Int) { out.append(UInt8(48 + v / 10)); out.append(UInt8(48 + v % 10)) }
        let yy = max(0, min(9999, y))
        out.append(UInt8(48 + yy / 1000)); out.append(UInt8(48 + yy / 100 % 10)); two(yy % 100)
        out.append(0x2D); two(mo); out.append(0x2D); two(d)
        out.append(UInt8(ascii: "T"))
        let ms = Int(msOfDay)
        two(ms / 3_600_000); out.append(0x3A); two(ms / 60_000 % 60); out.append(0x3A); two(ms / 1000 % 60)
        out.append(UInt8(ascii: "."))
        let f = ms % 1000
        out.append(UInt8(48 + f / 100)); two(f % 100)
        if offsetMinutes == 0 {
            out.append(UInt8(ascii: "Z"))
        } else {
            let o = Int(offsetMinutes)
            out.append(o < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            two(abs(o) / 60); out.append(0x3A); two(abs(o) % 60)
        }
    }
}
