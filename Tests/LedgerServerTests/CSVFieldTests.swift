import LedgerExport
import Testing

/// CSV cells a spreadsheet would run as formulas get a leading `'`; numbers and phone numbers do not.
@Suite struct CSVFieldTests {
    @Test func formulasAreDefusedNumbersAndPhonesAreNot() {
        for s in ["=2+3", "=HYPERLINK(\"http://evil\",\"клик\")", "@SUM(A1)", "+cmd|' /C calc'!A0", "-1+2", "\tx", "-A1", "+x"] {
            #expect(CSV.field(s).hasPrefix("'") || CSV.field(s).hasPrefix("\"'"), "\(s.debugDescription) → \(CSV.field(s))")
        }
        for s in ["+74951234567", "+7 (495) 123-45-67", "-12.5", "-25.0%", "42", "", "a=b", "Глеб", "2026-11-16T10:00:00.000+03:00"] {
            #expect(CSV.field(s) == s, "\(s.debugDescription) → \(CSV.field(s))")
        }
        // Defused and quoted: the quote goes inside.
        #expect(CSV.field("=A1,B1") == "\"'=A1,B1\"")
    }
}
