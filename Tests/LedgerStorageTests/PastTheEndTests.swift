@testable import LedgerStorage
import Testing

@Suite struct PastTheEndTests {
    func admits(_ p: inout PastTheEnd, _ key: [UInt8], distinct: Bool) -> Bool { p.admits(key, distinct: distinct) }

    @Test func rowsAfterTheLastKeyAreAdmittedInLMDBsOrder() {
        var p = PastTheEnd([5, 5])
        #expect(!admits(&p, [1], distinct: true))
        #expect(!admits(&p, [5], distinct: true))        // shorter sorts first
        #expect(!admits(&p, [5, 5], distinct: true))     // equal is not past the end
        #expect(admits(&p, [5, 5, 0], distinct: true))   // longer with the same start sorts after
        #expect(admits(&p, [6], distinct: true))
        #expect(admits(&p, [200], distinct: true))       // bytes compare unsigned
    }

    @Test func aRepeatedKeyIsNotAppendedTwice() {
        var p = PastTheEnd(nil)                          // an empty index: everything is past its end
        #expect(admits(&p, [3], distinct: false))
        #expect(!admits(&p, [3], distinct: false))       // now the index's last key
        #expect(admits(&p, [4], distinct: false))
        #expect(!admits(&p, [4], distinct: false))
        #expect(admits(&p, [4, 1], distinct: false))
    }
}
