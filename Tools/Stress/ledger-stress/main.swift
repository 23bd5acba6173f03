// ledger-stress DIR [TASKS] [BATCH]: appends events forever from TASKS concurrent tasks in
// batches of BATCH, and prints "ack FIRST LAST TASK" after each append is acknowledged (durable).
// The kill -9 test reads these lines, kills the process, and checks every acknowledged id survived.
import Foundation
import LedgerEvents
import LedgerLog

let args = CommandLine.arguments
guard args.count >= 2 else {
    FileHandle.standardError.write(Data("usage: ledger-stress DIR [TASKS] [BATCH]\n".utf8))
    exit(2)
}
let dir = args[1]
let tasks = args.count > 2 ? Int(args[2]) ?? 4 : 4
let batch = args.count > 3 ? Int(args[3]) ?? 50 : 50

let log = try EventLog(directory: dir)
let base = EventTime(milliseconds: 1_795_000_000_000)

await withThrowingTaskGroup(of: Void.self) { group in
    for t in 0..<tasks {
        group.addTask {
            var n = 0
            while true {
                var events: [Event] = []
                for _ in 0..<batch {
                    n += 1
                    events.append(Event(id: "stress-\(t)-\(n)", type: .callQueued,
                                        at: EventTime(milliseconds: base.milliseconds + Int64(n)),
                                        source: "stress", data: ["call_id": .string("c\(t)-\(n)"), "department": "sales"]))
                }
                _ = try await log.append(events)
                FileHandle.standardOutput.write(Data("ack \(n - batch + 1) \(n) \(t)\n".utf8))
            }
        }
    }
}
