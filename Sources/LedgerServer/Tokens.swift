import Foundation

/// What a bearer token may do.
public enum Scope: String, Sendable, CaseIterable, Hashable {
    case append, read, handle, admin
}

/// The user behind a token and the scopes it grants.
public struct Principal: Sendable, Hashable {
    public var user: String
    public var scopes: Set<Scope>

    public init(user: String, scopes: Set<Scope>) {
        self.user = user
        self.scopes = scopes
    }

    /// `admin` grants every scope.
    public func allows(_ scope: Scope) -> Bool { scopes.contains(scope) || scopes.contains(.admin) }
}

/// Bearer tokens, from `CALL_LEDGER_TOKENS` (`TOKEN=USER:SCOPE+SCOPE,…`) and from a file with the
/// same entries, one per line (`#` starts a comment).
public struct TokenStore: Sendable {
    public private(set) var principals: [String: Principal] = [:]

    public init() {}

    /// Why a token specification was refused (the token itself is never repeated).
    public struct SpecificationError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Adds the entries of `spec` (comma- or newline-separated).
    public mutating func add(_ spec: String, origin: String) throws {
        let entries = spec.split(whereSeparator: { $0 == "," || $0 == "\n" }).map { $0.trimmingCharacters(in: .whitespaces) }
        for (k, entry) in entries.enumerated() where !entry.isEmpty && !entry.hasPrefix("#") {
            guard let eq = entry.firstIndex(of: "="), let colon = entry[eq...].firstIndex(of: ":") else {
                throw SpecificationError(description: "\(origin), entry \(k + 1): expected TOKEN=USER:SCOPE+SCOPE")
            }
            let token = String(entry[..<eq])
            let user = String(entry[entry.index(after: eq)..<colon])
            var scopes = Set<Scope>()
            for name in entry[entry.index(after: colon)...].split(separator: "+") {
                guard let s = Scope(rawValue: String(name)) else {
                    throw SpecificationError(description: "\(origin), entry \(k + 1): unknown scope \"\(name)\"; scopes are \(Scope.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                scopes.insert(s)
            }
            guard token.count >= 8, !user.isEmpty, !scopes.isEmpty else {
                throw SpecificationError(description: "\(origin), entry \(k + 1): a token needs ≥ 8 characters, a user and at least one scope")
            }
            // Listed twice (here or in another source): which entry wins would be an accident.
            // The message names the entry, never the token.
            guard principals[token] == nil else {
                throw SpecificationError(description: "\(origin), entry \(k + 1): this token is already given (to \(principals[token]!.user)); each token once")
            }
            principals[token] = Principal(user: user, scopes: scopes)
        }
    }

    public func principal(for token: String) -> Principal? { principals[token] }

    /// A new random token (hex, 32 characters).
    public static func randomToken() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &g)) }.joined()
    }
}
