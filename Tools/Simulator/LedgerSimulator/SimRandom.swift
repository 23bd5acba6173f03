/// The simulator's only source of randomness: xoshiro256** seeded through SplitMix64.
///
/// Every draw is a pure function of the seed and the number of earlier draws, so the same
/// configuration always yields byte-identical output on every platform. The simulator never
/// uses `SystemRandomNumberGenerator` or the wall clock.
public struct SimRandom: RandomNumberGenerator {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// - Parameters:
    ///   - seed: the user's seed.
    ///   - stream: an independent stream number (0 = traffic, 1 = late delivery, …).
    public init(seed: UInt64, stream: UInt64 = 0) {
        var x = seed ^ (stream &* 0xD1B5_4A32_D192_ED03)
        s0 = SimRandom.splitMix(&x)
        s1 = SimRandom.splitMix(&x)
        s2 = SimRandom.splitMix(&x)
        s3 = SimRandom.splitMix(&x)
        if s0 | s1 | s2 | s3 == 0 { s0 = 0x9E37_79B9_7F4A_7C15 }
    }

    private static func splitMix(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in 0..<n (n > 0), by multiply-high (Lemire), deterministic.
    @inline(__always)
    mutating func below(_ n: Int) -> Int {
        precondition(n > 0)
        return Int(UInt64(n).multipliedFullWidth(by: next()).high)
    }

    /// Uniform in lo...hi.
    @inline(__always)
    mutating func int(_ lo: Int, _ hi: Int) -> Int {
        hi <= lo ? lo : lo + below(hi - lo + 1)
    }

    /// Uniform in [0, 1).
    @inline(__always)
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    @inline(__always)
    mutating func chance(_ p: Double) -> Bool {
        unit() < p
    }

    /// A duration in milliseconds, uniform between `lo` and `hi` seconds.
    @inline(__always)
    mutating func ms(_ lo: Double, _ hi: Double) -> Int64 {
        let base = Int64(lo * 1000)
        guard hi > lo else { return base }
        return base + Int64(unit() * (hi - lo) * 1000)
    }

    mutating func pick<T>(_ items: [T]) -> T {
        items[below(items.count)]
    }

    /// Picks an index by weight (weights ≥ 0, at least one > 0).
    mutating func weighted(_ weights: [Double]) -> Int {
        var total = 0.0
        for w in weights { total += w }
        var x = unit() * total
        for (i, w) in weights.enumerated() {
            if x < w { return i }
            x -= w
        }
        return weights.count - 1
    }
}
