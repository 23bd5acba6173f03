/// A client's phone number normalised for indexes, read models and queries.
///
/// Digits only with the country code as sent (`+7 (831) 212-36-54` → `78312123654`), a leading
/// `00` dropped. Empty, `anonymous`, `unknown`, `private`, `restricted`, `hidden` (any case) or a
/// text without digits is a hidden number: it can never be called back.
/// The log itself keeps the number exactly as sent.
public struct ClientNumber: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The digits, or `""` for a hidden number.
    public let digits: String

    public init(_ raw: String) {
        var out: [UInt8] = []
        out.reserveCapacity(16)
        for c in raw.utf8 where c >= 48 && c <= 57 { out.append(c) }
        if out.count >= 2 && out[0] == 48 && out[1] == 48 { out.removeFirst(2) }
        // The words producers use for a withheld number ("anonymous", "unknown", "private",
        // "restricted", "hidden") carry no digits, so "no digits" covers them all.
        digits = String(decoding: out, as: UTF8.self)
    }

    /// A number already normalised (the `digits` of another `ClientNumber`), kept as it is.
    /// Normalising twice is not a no-op: `000079…` becomes `0079…`, and again `79…`.
    public init(normalized digits: String) {
        self.digits = digits
    }

    /// No number to call back.
    public var isHidden: Bool { digits.isEmpty }

    public var description: String { isHidden ? "hidden" : digits }

    public static func < (a: ClientNumber, b: ClientNumber) -> Bool { a.digits < b.digits }
}

