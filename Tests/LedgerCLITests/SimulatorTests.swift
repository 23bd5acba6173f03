import Foundation
import LedgerEvents
import LedgerSimulator
import LedgerTestSupport
import Testing

@Suite struct SimulatorTests {
    @Test func outputIsValidForOurValidatorAndTheJSONSchemas() throws {
        var config = SimulatorConfiguration()
        config.days = 2
        config.lateFraction = 0.1
        let lines = TrafficSimulator(config).lines()
        let text = lines.joined(separator: "\n") + "\n"
        let events = try NDJSONReader.parse(Array(text.utf8)).get()
        #expect(events.count == lines.count)
        #expect(Set(events.map(\.type)).count == EventType.allCases.count, "every event type occurs")

        let dir = TemporaryDirectory("sim")
        let file = dir.sub("sim.ndjson")
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", repositoryRoot + "/Tools/schema-check.py", "--events", file]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }

    @Test func isDeterministicAndLateDeliveryOnlyReorders() {
        var config = SimulatorConfiguration()
        config.days = 2
        let a = TrafficSimulator(config).lines()
        #expect(a == TrafficSimulator(config).lines())
        config.lateFraction = 0.2
        let late = TrafficSimulator(config).lines()
        #expect(late != a)
        #expect(Set(late) == Set(a))
        var other = config
        other.seed = 2
        #expect(Set(TrafficSimulator(other).lines()) != Set(a))
    }
}
