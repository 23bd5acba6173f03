import LedgerEvents

/// Which events a read model is computed from.
///
/// `position` and `recordedAt` are log prefixes ("what we knew then"); `occurredAt` takes the
/// events with `at` ≤ T wherever they are in the log ("what had happened by then", late arrivals
/// included).
public enum Cut: Sendable, Hashable, CustomStringConvertible {
    /// Every event (up to the read model's checkpoint).
    case all
    /// Events with position ≤ P.
    case position(UInt64)
    /// Events with `recorded_at` ≤ T.
    case recordedAt(EventTime)
    /// Events with `at` ≤ T.
    case occurredAt(EventTime)

    public var description: String {
        switch self {
        case .all: "all"
        case .position(let p): "position ≤ \(p)"
        case .recordedAt(let t): "recorded_at ≤ \(t.rfc3339UTC)"
        case .occurredAt(let t): "at ≤ \(t.rfc3339UTC)"
        }
    }
}

/// A cut resolved against the log: a position bound plus, for occurred-time cuts, a time bound.
struct ResolvedCut: Sendable, Hashable {
    var maxPosition: UInt64
    var maxAt: Int64?

    @inline(__always) func contains(_ e: RecordedEvent) -> Bool {
        e.position <= maxPosition && (maxAt.map { e.event.at.milliseconds <= $0 } ?? true)
    }

    @inline(__always) func contains(position: UInt64, at: Int64) -> Bool {
        position <= maxPosition && (maxAt.map { at <= $0 } ?? true)
    }
}
