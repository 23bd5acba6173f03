import ArgumentParser
import Foundation
import LedgerEvents
import LedgerLog
import LedgerReports
import LedgerServer
import LedgerSimulator

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP server: adapters append events, analysts read them (projections follow live).",
        discussion: """
        Tokens: CALL_LEDGER_TOKENS="TOKEN=USER:SCOPE+SCOPE,…" and/or --tokens-file (one entry per line). Scopes: \
        append, read, handle, admin. --demo starts on a throw-away ledger with three simulated days and prints an \
        admin token and the URL.
        """
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0 = any free port).") var port = 8080
    @Option(help: "A file of TOKEN=USER:SCOPE+SCOPE lines.") var tokensFile: String?
    @Option(name: .customLong("config"), help: "The server's JSON configuration file (live panel thresholds and alert recipients: see the README).") var configFile: String?
    @Flag(help: "A throw-away ledger with simulated history, and a printed admin token.") var demo = false
    @Option(help: "Close a connection that sends nothing for this many seconds while a request is read, or between requests.")
    var idleTimeout = 60

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port: \(port) is not a TCP port (0–65535; 0 = any free port)") }
        guard (1...86_400).contains(idleTimeout) else { throw ValidationError("--idle-timeout: \(idleTimeout) is not a number of seconds from 1 to 86400") }
    }

    func run() async throws {
        var config = LedgerServerConfiguration()
        config.host = host
        config.port = port
        config.idleTimeoutSeconds = idleTimeout
        if let env = ProcessInfo.processInfo.environment["CALL_LEDGER_TOKENS"] {
            try config.tokens.add(env, origin: "CALL_LEDGER_TOKENS")
        }
        if let tokensFile {
            guard let text = try? String(contentsOfFile: tokensFile, encoding: .utf8) else { throw CLIError("cannot read --tokens-file \(tokensFile)") }
            try config.tokens.add(text, origin: tokensFile)
        }
        if let file = configFile {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw CLIError("cannot read --config \(file)") }
            do { config.live = try LiveConfiguration.parse(text) } catch { throw CLIError("--config \(file): \(error)") }
        }
        var data = global.data
        var demoToken: String?
        if demo {
            data = NSTemporaryDirectory() + "call-ledger-demo-\(UUID().uuidString.prefix(8))"
            var sim = SimulatorConfiguration()
            sim.days = 3
            var bytes: [UInt8] = []
            TrafficSimulator(sim).generate { bytes.append(contentsOf: $0.utf8); bytes.append(0x0A) }
            var options = global
            options.data = data
            _ = try await Append.append(bytes, to: options)
            let token = TokenStore.randomToken()
            try config.tokens.add("\(token)=demo:admin", origin: "--demo")
            demoToken = token
        }
        guard !config.tokens.principals.isEmpty else {
            throw CLIError("no tokens: set CALL_LEDGER_TOKENS=\"TOKEN=USER:SCOPE+SCOPE\" or pass --tokens-file (or try --demo)")
        }
        var options = global
        options.data = data
        let engine = try Registry.openCaughtUp(options, catchUpSeconds: 5)
        let token = demoToken
        let directory = data
        let host = config.host
        let app = buildApplication(configuration: config, engine: engine) { actualPort in
            var lines = ["call-ledger serving \(directory) on http://\(host):\(actualPort)"]
            if let token { lines.append("demo token (admin): \(token)") }
            // The simulated history's departments are sales, support and billing.
            lines.append("pages: http://\(host):\(actualPort)/ui/\(token == nil ? "" : "queue?department=sales")")
            lines.append("try: curl -H 'Authorization: Bearer TOKEN' 'http://\(host):\(actualPort)/v1/events?limit=3'")
            print(lines.joined(separator: "\n"))
            fflush(nil)
        }
        defer {
            engine.log.close()
            // Throw-away: a demo's ledger goes with the server.
            if demo { try? FileManager.default.removeItem(atPath: directory) }
        }
        do {
            try await runServer(app)
        } catch where "\(error)".contains("Address already in use") {
            // NIO's bind error named neither the address nor what to do.
            throw CLIError("\(config.host):\(config.port) is already in use (another call-ledger serve?): stop that process or choose another --port")
        }
    }
}
