import Foundation
@testable import LedgerServer
import Testing

/// Failed alert deliveries are logged in words, not as Foundation's error dumps.
@Suite struct AlertMessageTests {
    @Test func networkAndFileErrorsAreDescribedInWords() {
        let refused = NSError(domain: NSURLErrorDomain, code: NSURLErrorCannotConnectToHost)
        #expect(AlertDelivery.describe(refused) == "connection refused (nothing listening at that address and port)")
        #expect(AlertDelivery.describe(NSError(domain: NSURLErrorDomain, code: NSURLErrorTimedOut)).hasPrefix("timed out"))
        #expect(AlertDelivery.describe(AlertDelivery.DeliveryError(description: "HTTP 500")) == "HTTP 500")
        let missing = NSError(domain: NSCocoaErrorDomain, code: CocoaError.fileNoSuchFile.rawValue,
                              userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(ENOENT))])
        #expect(AlertDelivery.describe(missing) == "No such file or directory")
        for e in [refused, missing] { #expect(!AlertDelivery.describe(e).contains("Error Domain")) }
    }
}
