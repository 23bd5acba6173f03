import CLMDB

/// CRC-32C (Castagnoli): the per-record checksum of the log. The CPU's CRC32 instruction when it
/// has one (SSE 4.2: several times faster, and every read checks a checksum), else slicing-by-8.
enum CRC32C {
    static let hardware = callledger_crc32c_hw_available() != 0

    /// Eight 256-entry tables, flat: table k at offset 256·k.
    static let table: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 2048)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            t[i] = c
        }
        for i in 0..<256 {
            for k in 1..<8 { t[256 * k + i] = (t[256 * (k - 1) + i] >> 8) ^ t[Int(t[256 * (k - 1) + i] & 0xFF)] }
        }
        return t
    }()

    /// Continues a CRC over `bytes` (start with `crc = 0`).
    static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard hardware, let base = bytes.baseAddress else { return software(crc, bytes) }
        return callledger_crc32c_hw(crc, base, bytes.count)
    }

    /// The table-driven form (the fallback, and the tests' reference for the instruction).
    static func software(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c = ~crc
        var i = 0
        let n = bytes.count
        return table.withUnsafeBufferPointer { t in
            while n - i >= 8 {
                let lo = bytes.loadUnaligned(fromByteOffset: i, as: UInt32.self).littleEndian ^ c
                let hi = bytes.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self).littleEndian
                c = t[1792 + Int(lo & 0xFF)] ^ t[1536 + Int((lo >> 8) & 0xFF)] ^ t[1280 + Int((lo >> 16) & 0xFF)] ^ t[1024 + Int(lo >> 24)]
                    ^ t[768 + Int(hi & 0xFF)] ^ t[512 + Int((hi >> 8) & 0xFF)] ^ t[256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                i += 8
            }
            while i < n {
                c = t[Int((c ^ UInt32(bytes[i])) & 0xFF)] ^ (c >> 8)
                i += 1
            }
            return ~c
        }
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { update(0, $0) }
    }
}
