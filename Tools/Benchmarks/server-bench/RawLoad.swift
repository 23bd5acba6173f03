// A lean HTTP/1.1 load generator: one thread, `poll`, keep-alive connections, each with one
// request in flight. On this 2-core machine the load generator shares the cores with the server,
// so its own cost per request is part of what is measured: AsyncHTTPClient spends ~120 µs of CPU
// per request here (tasks, NIO pipeline, header objects), this ~10 µs (a `send`, a `recv` and a
// scan for the end of the response), the way `wrk` does it.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What one run of ``RawLoad`` measured.
struct RawLoadResults {
    var latencies: [Double] = []
    var events = 0
    var failures: [String] = []
}

/// Posts `bodies` in turn over `connections` keep-alive connections until `until` (or until the
/// bodies run out), each connection waiting for its answer before sending its next request.
enum RawLoad {
    static func run(port: Int, method: String = "POST", path: String, token: String, contentType: String, bodies: [[UInt8]],
                    eventsPerBody: [Int], connections: Int, until: Double) -> RawLoadResults {
        var results = RawLoadResults()
        var conns: [Connection] = []
        var polled: [pollfd] = []
        for _ in 0..<connections {
            let fd = connectLoopback(port: port)
            conns.append(Connection(fd: fd))
            polled.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0))
        }
        defer { for c in conns { close(c.fd) } }
        var next = 0
        var inFlight = 0

        func request(_ k: Int) -> [UInt8] {
            if method == "GET" { return Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n\r\n".utf8) }
            var r = Array("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nContent-Type: \(contentType)\r\nContent-Length: \(bodies[k].count)\r\n\r\n".utf8)
            r += bodies[k]
            return r
        }
        /// Sends the next body on connection `c`; false when there is nothing more to send.
        func start(_ c: Int) -> Bool {
            guard next < bodies.count, now() < until else { return false }
            conns[c].body = next
            conns[c].out = request(next)
            conns[c].sent = 0
            conns[c].started = now()
            next += 1
            inFlight += 1
            flush(c)
            return true
        }
        func flush(_ c: Int) {
            while conns[c].sent < conns[c].out.count {
                let n = conns[c].out.withUnsafeBytes { send(conns[c].fd, $0.baseAddress! + conns[c].sent, $0.count - conns[c].sent, Int32(MSG_NOSIGNAL)) }
                if n > 0 { conns[c].sent += n; continue }
                if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                    polled[c].events = Int16(POLLIN | POLLOUT)
                    return
                }
                fatalError("send: \(errno)")
            }
            polled[c].events = Int16(POLLIN)
            conns[c].out = []
        }

        for c in 0..<connections where !start(c) { break }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while inFlight > 0 {
            let n = polled.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), 1000) }
            if n < 0 { if errno == EINTR { continue }; fatalError("poll: \(errno)") }
            for c in polled.indices where polled[c].revents != 0 {
                let revents = polled[c].revents
                polled[c].revents = 0
                if revents & Int16(POLLOUT) != 0 { flush(c) }
                guard revents & Int16(POLLIN | POLLERR | POLLHUP) != 0 else { continue }
                let got = buffer.withUnsafeMutableBytes { recv(conns[c].fd, $0.baseAddress, $0.count, 0) }
                if got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { continue }
                guard got > 0 else { fatalError("connection \(c) closed by the server (recv \(got), errno \(errno))") }
                conns[c].input += buffer.prefix(got)
                guard let status = conns[c].completeResponse() else { continue }
                inFlight -= 1
                if status == 200 {
                    results.latencies.append(now() - conns[c].started)
                    results.events += eventsPerBody[conns[c].body]
                } else {
                    results.failures.append("HTTP \(status)")
                }
                _ = start(c)
            }
        }
        return results
    }

    private struct Connection {
        let fd: Int32
        var body = 0
        var out: [UInt8] = []
        var sent = 0
        var started = 0.0
        var input: [UInt8] = []

        /// The status code once `input` holds a whole response (which it then drops), else nil.
        /// Our server answers these requests with `Content-Length`. Bytes, not `String`s: this
        /// runs once per response on the load generator's one thread.
        mutating func completeResponse() -> Int? {
            let n = input.count
            var end = -1
            var k = 3
            while k < n {
                if input[k] == 10 && input[k - 1] == 13 && input[k - 2] == 10 && input[k - 3] == 13 { end = k + 1; break }
                k += 1
            }
            guard end > 0 else { return nil }
            guard n >= 12, input[9] >= 48, input[9] <= 57 else { fatalError("not an HTTP response") }
            let status = Int(input[9] - 48) * 100 + Int(input[10] - 48) * 10 + Int(input[11] - 48)
            // "content-length:" at the start of a header line, any case.
            let name = Array("content-length:".utf8)
            var length = -1
            var line = 0
            while line < end {
                var matches = line + name.count < end
                var m = 0
                while matches && m < name.count {
                    let b = input[line + m]
                    if (b | 0x20) != name[m] && b != name[m] { matches = false }
                    m += 1
                }
                if matches {
                    var p = line + name.count
                    while input[p] == 32 { p += 1 }
                    length = 0
                    while input[p] >= 48 && input[p] <= 57 { length = length * 10 + Int(input[p] - 48); p += 1 }
                    break
                }
                while line < end && input[line] != 10 { line += 1 }
                line += 1
            }
            guard length >= 0 else { fatalError("response without Content-Length") }
            guard n >= end + length else { return nil }
            input.removeFirst(end + length)
            return status
        }
    }

    private static func connectLoopback(port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(fd >= 0, "socket: \(errno)")
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        precondition(r == 0, "connect to 127.0.0.1:\(port): errno \(errno)")
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return fd
    }
}
