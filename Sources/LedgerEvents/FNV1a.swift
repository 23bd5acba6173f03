/// FNV-1a, 64 bits: a fast hash of short byte strings (field names, queue_log lines) where
/// SipHash's flooding resistance is not needed.
public enum FNV1a {
    @inlinable public static func hash<S: Sequence>(_ bytes: S) -> UInt64 where S.Element == UInt8 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h
    }
}
