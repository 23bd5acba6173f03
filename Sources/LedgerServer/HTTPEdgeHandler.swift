import Hummingbird
import LedgerEvents
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// The connection's edge, before Hummingbird sees a request.
///
/// A connection whose first request is not HTTP/1.1 at all (a broken request line or header) gets
/// a 400 with a JSON body saying so, like every other error, and is closed; Hummingbird's own
/// answer has no body. A later request broken the same way on a kept-alive connection keeps
/// Hummingbird's answer: a response to the request before it may still be on its way.
///
/// It also answers `Expect: 100-continue` with an interim `100 Continue` as the request head arrives,
/// unless its declared length is over the largest body any route takes: that request is refused
/// (413) without its body, which the client then need not send (RFC 9110 §10.1.1).
///
/// curl (and many HTTP clients) send that header with every body over 1 MB and then wait for the
/// interim answer before sending the body, up to a second. Hummingbird does not answer it, so
/// each large batch posted to `/v1/events` stalled for that second (a probe measured a 3 MB post
/// at 1.07 s, and 0.09 s without the header). Any request with the header gets it: a request
/// refused later (401, 413) is still answered in full, after the body it then reads or drops.
final class HTTPEdgeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    let maxBodyBytes: Int
    /// Whether a request head has arrived on this connection.
    private var sawHead = false

    init(maxBodyBytes: Int) { self.maxBodyBytes = maxBodyBytes }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) {
            sawHead = true
            if let expect = head.headerFields[.expect], expect.lowercased() == "100-continue",
               !declaresLength(head.headerFields, over: maxBodyBytes) {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
            }
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parse = error as? HTTPParserError, !sawHead else {
            context.fireErrorCaught(error)
            return
        }
        sawHead = true  // one answer per connection
        var body: [UInt8] = []
        JSONWriter.write(.object(JSONObject([
            ("error", .string("bad_request")),
            ("message", .string("the request is not valid HTTP/1.1 (\(parse)): send a request line, header lines and an empty line")),
        ])), into: &body)
        body.append(0x0A)
        let head = HTTPResponse(status: .badRequest, headerFields: [.contentType: "application/json", .contentLength: String(body.count),
                                                                     .connection: "close"])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
}

/// Whether `fields` declare a body longer than `limit` bytes (`Content-Length`; an unreadable one
/// is left to the HTTP parser, which refuses it).
func declaresLength(_ fields: HTTPFields, over limit: Int) -> Bool {
    guard let text = fields[.contentLength], let n = UInt64(text) else { return false }
    return n > UInt64(limit)
}
