import Foundation
import LedgerEvents

/// Converts between UTC instants and the PBX's local wall-clock time, caching offsets.
///
/// Offsets are looked up once per quarter hour of UTC time (every zone's transitions fall on
/// quarter hours), because `TimeZone.secondsFromGMT(for:)` costs more than parsing a whole line.
struct LocalClock: Sendable {
    let timeZone: TimeZone
    private var cachedBucket = Int64.min
    private var cachedOffset: Int = 0

    init(_ timeZone: TimeZone) { self.timeZone = timeZone }

    /// The zone's offset in seconds at a UTC instant.
    mutating func offsetSeconds(atUTC seconds: Int64) -> Int {
        let bucket = seconds >= 0 ? seconds / 900 : (seconds - 899) / 900
        if bucket != cachedBucket {
            cachedBucket = bucket
            cachedOffset = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(bucket * 900)))
        }
        return cachedOffset
    }

    /// The event time of a UTC instant, written with the zone's offset then.
    mutating func eventMillis(utcMillis ms: Int64) -> (ms: Int64, offsetMinutes: Int16) {
        let s = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        return (ms, Int16(offsetSeconds(atUTC: s) / 60))
    }

    /// The instant the last in-order reading resolved to (see ``utcMillis(localMillis:inOrder:)``).
    private var lastInOrder: Int64 = 0
    private var sidesBucket = Int64.min
    private var sides = (0, 0)

    /// The UTC milliseconds of a local wall-clock time (milliseconds since 1970 read as if UTC).
    ///
    /// In a skipped hour (spring) the wall clock is read as if it had not jumped yet, which moves
    /// it forward by the gap (02:30 → 03:30 daylight), as clocks and most libraries do. In a
    /// repeated hour (autumn) the first (daylight) reading wins, unless `inOrder` (times written
    /// as things happen, like queue_log lines) and that reading would go back more than five
    /// minutes before the last one: then it is the second pass through the hour. With `notBefore`
    /// (what else is known of the instant: a CDR's start is not before its channel was made, its
    /// end is its start plus its duration), the earliest reading not before it wins, or the
    /// latest reading when both are before it.
    mutating func utcMillis(localMillis local: Int64, inOrder: Bool = false, notBefore: Int64? = nil) -> Int64 {
        // The offsets in force a day either side of the local quarter hour (read as UTC) cover any one
        // transition; equal (nearly always), there is one reading.
        let s = local >= 0 ? local / 1000 : (local - 999) / 1000
        let bucket = s >= 0 ? s / 900 : (s - 899) / 900
        if bucket != sidesBucket {
            sidesBucket = bucket
            sides = (timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(bucket * 900 - 86_400))),
                     timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(bucket * 900 + 86_400))))
        }
        let (before, after) = sides
        if before == after {
            let utc = local - Int64(before) * 1000
            if inOrder { lastInOrder = max(lastInOrder, utc) }
            return utc
        }
        var readings: [Int64] = []
        for o in [before, after] {
            let utc = local - Int64(o) * 1000
            if timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(utc) / 1000)) == o { readings.append(utc) }
        }
        readings.sort()
        let utc: Int64
        switch readings.count {
        case 0: utc = local - Int64(before) * 1000  // skipped: the offset from before the jump
        case 1: utc = readings[0]
        default:
            if let notBefore {
                utc = readings.first { $0 >= notBefore } ?? readings[readings.count - 1]
            } else {
                utc = inOrder && readings[0] < lastInOrder - 300_000 && readings[1] >= lastInOrder - 300_000 ? readings[1] : readings[0]
            }
        }
        if inOrder { lastInOrder = max(lastInOrder, utc) }
        return utc
    }

    /// Parses `YYYY-MM-DD HH:MM:SS[.ffffff]` (also with `T`) to local milliseconds, or nil.
    /// A real calendar's days in `month` (April has no 31st, February 29 only in leap years).
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func parseLocal(_ b: ArraySlice<UInt8>) -> Int64? {
        guard b.count >= 19 else { return nil }
        let s = b.startIndex
        func num(_ at: Int, _ n: Int) -> Int? {
            var v = 0
            for k in (s + at)..<(s + at + n) {
                let c = b[k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard let y = num(0, 4), b[s + 4] == 0x2D, let mo = num(5, 2), b[s + 7] == 0x2D, let d = num(8, 2),
              b[s + 10] == 0x20 || b[s + 10] == UInt8(ascii: "T"), let h = num(11, 2), b[s + 13] == 0x3A,
              let mi = num(14, 2), b[s + 16] == 0x3A, let se = num(17, 2),
              (1...12).contains(mo), d >= 1, d <= Self.daysIn(month: mo, year: y), h <= 23, mi <= 59, se <= 60
        else { return nil }
        var ms = 0
        var k = s + 19
        if k < b.endIndex && b[k] == UInt8(ascii: ".") {
            k += 1
            var scale = 100
            while k < b.endIndex, b[k] >= 48, b[k] <= 57 {
                ms += Int(b[k] - 48) * scale
                scale /= 10
                k += 1
            }
        }
        guard k == b.endIndex else { return nil }
        let days = Int64(EventTime.daysFromCivil(year: y, month: mo, day: d))
        return (days * 86400 + Int64(h * 3600 + mi * 60 + min(se, 59))) * 1000 + Int64(ms)
    }

}
