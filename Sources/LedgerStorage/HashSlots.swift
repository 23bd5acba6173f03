/// A map from 64-bit hashes to positions, for the writer's in-memory tail.
///
/// Open addressing with linear probing over one flat array of (key, value) pairs. The keys are
/// already FNV-1a hashes, so they are mixed by one multiplication rather than rehashed: the
/// standard `Dictionary` ran SipHash over every key and missed the cache twice per look-up,
/// which was a third of the writer thread's time. Value 0 marks an empty slot (positions start
/// at 1). Nothing is removed: the tail rebuilds its maps when it compacts.
struct HashSlots: Sendable {
    /// key, value, key, value, …
    private var slots: [UInt64]
    private var mask: Int
    private(set) var count = 0

    init(minimumCapacity: Int = 1024) {
        var n = 16
        while n < minimumCapacity * 2 { n *= 2 }
        slots = [UInt64](repeating: 0, count: 2 * n)
        mask = n - 1
    }

    @inline(__always) private func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// The value stored for `key`, or nil.
    @inline(__always) subscript(key: UInt64) -> UInt64? {
        var i = home(key)
        while true {
            let v = slots[2 &* i &+ 1]
            if v == 0 { return nil }
            if slots[2 &* i] == key { return v }
            i = (i &+ 1) & mask
        }
    }

    /// Stores `value` (non-zero) for `key`; returns the value it replaces, if any.
    @inline(__always) @discardableResult
    mutating func updateValue(_ value: UInt64, forKey key: UInt64) -> UInt64? {
        precondition(value != 0, "HashSlots: 0 marks an empty slot")
        if (count + 1) * 2 > mask + 1 { grow() }
        var i = home(key)
        while true {
            let v = slots[2 &* i &+ 1]
            if v == 0 {
                slots[2 &* i] = key
                slots[2 &* i &+ 1] = value
                count += 1
                return nil
            }
            if slots[2 &* i] == key {
                slots[2 &* i &+ 1] = value
                return v
            }
            i = (i &+ 1) & mask
        }
    }

    private mutating func grow() {
        let old = slots
        let n = (mask + 1) * 2
        slots = [UInt64](repeating: 0, count: 2 * n)
        mask = n - 1
        count = 0
        for i in stride(from: 0, to: old.count, by: 2) where old[i + 1] != 0 {
            updateValue(old[i + 1], forKey: old[i])
        }
    }
}
