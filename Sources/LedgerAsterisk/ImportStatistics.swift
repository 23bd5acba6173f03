/// What an import read, mapped and skipped; the CLI prints it as the summary.
public struct ImportStatistics: Sendable, Equatable {
    /// queue_log lines read (blank lines excluded).
    public var queueLogLines = 0
    /// CDR rows read (blank lines and a header row excluded).
    public var cdrRows = 0
    /// Events the mapping produced (before the ledger's idempotency check).
    public var eventsMapped = 0
    /// Lines per known queue_log verb.
    public var verbs: [String: Int] = [:]
    /// Lines per unknown verb: kept out of the ledger (v1 has no type for them) and counted here.
    public var unknownVerbs: [String: Int] = [:]
    /// Lines or rows skipped, by reason (`malformed: …` for broken input).
    public var skipped: [String: Int] = [:]
    /// The first problems, each naming the file's line and field.
    public var problems: [String] = []
    /// How many problems there were in all (``problems`` keeps the first 100).
    public var problemCount = 0

    public init() {}

    mutating func skip(_ reason: String) { skipped[reason, default: 0] += 1 }

    mutating func problem(_ reason: String, _ message: String) {
        skip("malformed: " + reason)
        problemCount += 1
        if problems.count < 100 { problems.append(message) }
    }

    /// Lines and rows skipped as malformed.
    public var malformed: Int { skipped.filter { $0.key.hasPrefix("malformed") }.reduce(0) { $0 + $1.value } }
}
