// parse-bench: NDJSON event lines to their stored form, one thread, two ways, in the same run:
//   full   JSONParser → EventValidator → Event → EncodedEvent (the way every line went before)
//   direct DirectEventEncoder (bytes → stored form; declines lines outside the common shape)
//
//   swift build -c release --scratch-path .build-bench --product parse-bench   # then --product simulate
//   .build-bench/release/simulate --events 200000 --output /tmp/200k.ndjson
//   .build-bench/release/parse-bench /tmp/200k.ndjson [LINES]
import Foundation
import LedgerEvents

guard CommandLine.arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: parse-bench FILE.ndjson [LINES]\n".utf8))
    exit(64)
}
let limit = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 200_000 : 200_000
let data = try Data(contentsOf: URL(fileURLWithPath: CommandLine.arguments[1]))
let lines = data.split(separator: 0x0A).prefix(limit).map { Array($0) }
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
func perLine(_ seconds: Double) -> Double { seconds / Double(lines.count) * 1e9 }

print("# parse-bench: \(lines.count) lines, one thread, median of 5 rounds")
var full: [Double] = [], direct: [Double] = []
var taken = 0
for _ in 0..<5 {
    var t0 = now()
    var bytes = 0
    for l in lines {
        if let v = try? JSONParser.parse(l), case .success(let e) = EventValidator.validate(v) { bytes += EncodedEvent(e).payload.count }
    }
    full.append(now() - t0)
    t0 = now()
    var bytes2 = 0
    taken = 0
    for l in lines {
        if let e = DirectEventEncoder.encode(l, 0..<l.count) { bytes2 += e.payload.count; taken += 1 }
    }
    direct.append(now() - t0)
    precondition(bytes > 0 && bytes2 > 0)
}
let f = full.sorted()[2], d = direct.sorted()[2]
print(String(format: "| full way (parse, validate, encode) | %.0f ns/line | baseline |", perLine(f)))
print(String(format: "| direct (DirectEventEncoder)        | %.0f ns/line | %.2f× faster; took %d of %d lines |", perLine(d), f / d, taken, lines.count))

// The same lines as one NDJSON input through NDJSONReader, chunks on every core (as appends run).
var input: [UInt8] = []
for l in lines { input += l; input.append(0x0A) }
var fullAll: [Double] = [], directAll: [Double] = []
for _ in 0..<5 {
    var t0 = now()
    let a = try NDJSONReader.parse(input).get().map(EncodedEvent.init)
    fullAll.append(now() - t0)
    t0 = now()
    let b = try NDJSONReader.encode(input).get()
    directAll.append(now() - t0)
    precondition(a.count == b.count)
}
let fa = fullAll.sorted()[2], da = directAll.sorted()[2]
print(String(format: "| full way, all cores (NDJSONReader.parse + encode) | %.0f ns/line | %.2f× the one-thread full way |", perLine(fa), f / fa))
print(String(format: "| direct, all cores (NDJSONReader.encode)           | %.0f ns/line | %.2f× the one-thread direct way; %.2f× faster than the full way on all cores |", perLine(da), d / da, fa / da))
