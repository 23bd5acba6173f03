import Hummingbird

/// Checks a request's query against the parameters its endpoint takes: a name the endpoint does
/// not take, or one given twice, is a 400 that names it. Ignoring either would answer another
/// question than the one asked: an unfiltered list for a filter another endpoint knows, the first
/// of two cuts.
func checkQuery(_ request: Request, takes names: [String]) throws {
    var seen = Set<Substring>()
    for (name, _) in request.uri.queryParameters {
        guard names.contains(String(name)) else {
            throw APIError(.badRequest, "invalid_parameter", names.isEmpty
                           ? "unknown parameter \(name): this endpoint takes none"
                           : "unknown parameter \(name); this endpoint takes \(names.joined(separator: ", "))")
        }
        guard seen.insert(name).inserted else { throw APIError(.badRequest, "invalid_parameter", "\(name) is given twice: give it once") }
    }
}
