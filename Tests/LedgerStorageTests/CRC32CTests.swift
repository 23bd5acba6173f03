@testable import LedgerStorage
import Testing

@Suite struct CRC32CTests {
    @Test func knownVectors() {
        // RFC 3720 (iSCSI) check value and test patterns.
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum(Array(0..<32)) == 0x46DD_794E)
        #expect(CRC32C.checksum([]) == 0)
    }

    @Test func instructionAgreesWithTheTable() {
        var g = SystemRandomNumberGenerator()
        for n in 0..<300 {
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &g) }
            let seed = UInt32.random(in: 0...UInt32.max, using: &g)
            bytes.withUnsafeBytes { b in
                #expect(CRC32C.update(seed, b) == CRC32C.software(seed, b), "length \(n)")
                // Continuing over a split equals one pass.
                let cut = n / 3
                let split = CRC32C.update(CRC32C.update(seed, UnsafeRawBufferPointer(rebasing: b[..<cut])),
                                          UnsafeRawBufferPointer(rebasing: b[cut...]))
                #expect(split == CRC32C.software(seed, b))
            }
        }
    }
}
