/// Calendar arithmetic and RFC 3339 formatting by hand (no Foundation formatters in the hot loop).
///
/// Times inside the simulator are milliseconds since 1970-01-01T00:00:00Z (`Int64`). Departments
/// use fixed offsets, so a department's local time is just `utc + offset`.
enum SimClock {
    static let msPerDay: Int64 = 86_400_000
    static let msPerMinute: Int64 = 60_000

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func days(year y: Int, month m: Int, day d: Int) -> Int64 {
        let y2 = Int64(m <= 2 ? y - 1 : y)
        let era = (y2 >= 0 ? y2 : y2 - 399) / 400
        let yoe = y2 - era * 400
        let mp = Int64((m + 9) % 12)
        let doy = (153 * mp + 2) / 5 + Int64(d) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date of a day number.
    static func civil(days z0: Int64) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(m <= 2 ? y + 1 : y), Int(m), Int(d))
    }

    /// ISO weekday of a day number: Monday = 0 … Sunday = 6.
    static func weekday(days: Int64) -> Int {
        Int(((days % 7) + 7 + 3) % 7)
    }

    @inline(__always)
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }

    /// Parses `YYYY-MM-DD` into a day number; nil when malformed or not a real date.
    static func parseDate(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-") else { return nil }
        func num(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        guard let y = num(0..<4), let m = num(5..<7), let d = num(8..<10),
              (1...12).contains(m), (1...31).contains(d), y >= 1 else { return nil }
        let n = days(year: y, month: m, day: d)
        let back = civil(days: n)
        guard back.year == y, back.month == m, back.day == d else { return nil }
        return n
    }
}

/// Appends RFC 3339 timestamps with exactly three fraction digits and `Z` or `±HH:MM`.
struct TimestampWriter {
    private var cachedDay: Int64 = .min
    private var cachedDate: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    @inline(__always)
    private static func digit(_ v: Int) -> UInt8 { UInt8(48 + v) }

    mutating func append(utcMs: Int64, offsetMinutes: Int16, to buf: inout [UInt8]) {
        let local = utcMs + Int64(offsetMinutes) * SimClock.msPerMinute
        let day = SimClock.floorDiv(local, SimClock.msPerDay)
        var rem = Int(local - day * SimClock.msPerDay)
        if day != cachedDay {
            cachedDay = day
            let c = SimClock.civil(days: day)
            let y = min(max(c.year, 0), 9999)
            cachedDate = (Self.digit(y / 1000), Self.digit(y / 100 % 10), Self.digit(y / 10 % 10), Self.digit(y % 10),
                          45, Self.digit(c.month / 10), Self.digit(c.month % 10),
                          45, Self.digit(c.day / 10), Self.digit(c.day % 10))
        }
        let d = cachedDate
        buf.append(d.0); buf.append(d.1); buf.append(d.2); buf.append(d.3); buf.append(d.4)
        buf.append(d.5); buf.append(d.6); buf.append(d.7); buf.append(d.8); buf.append(d.9)
        let ms = rem % 1000; rem /= 1000
        let s = rem % 60; rem /= 60
        let mi = rem % 60
        let h = rem / 60
        buf.append(84) // T
        buf.append(Self.digit(h / 10)); buf.append(Self.digit(h % 10)); buf.append(58)
        buf.append(Self.digit(mi / 10)); buf.append(Self.digit(mi % 10)); buf.append(58)
        buf.append(Self.digit(s / 10)); buf.append(Self.digit(s % 10)); buf.append(46)
        buf.append(Self.digit(ms / 100)); buf.append(Self.digit(ms / 10 % 10)); buf.append(Self.digit(ms % 10))
        if offsetMinutes == 0 {
            buf.append(90) // Z
        } else {
            let o = Int(offsetMinutes)
            buf.append(o < 0 ? 45 : 43)
            let a = abs(o)
            let oh = a / 60, om = a % 60
            buf.append(Self.digit(oh / 10)); buf.append(Self.digit(oh % 10)); buf.append(58)
            buf.append(Self.digit(om / 10)); buf.append(Self.digit(om % 10))
        }
    }
}
