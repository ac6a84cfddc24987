import Crypto
import EventLog
import Foundation
import Ledger

/// What a user of `ansinh serve` may do.
public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
    /// Records in their own funds (given with `--fund`), and reads them in the internal view.
    case clerk
    /// Keeps the ward's books: records in every fund (or the funds given), and the
    /// ward's own events (members, external support, closing the books, erasures).
    case treasurer
    /// Reads everything in the internal view, runs audits and exports; records nothing.
    case auditor
}

extension Role {
    /// "a" or "an", before the role's name.
    public var article: String { self == .auditor ? "an" : "a" }
}

/// A user of `ansinh serve`, as stored in the store's settings (never their token,
/// only its SHA-256).
public struct User: Sendable, Hashable, Codable {
    public var name: String
    public var role: Role
    /// The funds a clerk (or a treasurer limited to some) records in; empty: every fund.
    public var funds: [String]
    /// The SHA-256 of their token, in hex.
    public var tokenHash: String
    public var createdAt: String
    /// When the token was withdrawn; a revoked user is refused.
    public var revokedAt: String?

    /// What they may record.
    public var scope: RecordingScope {
        switch role {
        case .clerk: return RecordingScope(funds: Set(funds), wardEvents: false)
        case .treasurer: return RecordingScope(funds: funds.isEmpty ? nil : Set(funds), wardEvents: true)
        case .auditor: return RecordingScope(funds: [], wardEvents: false)
        }
    }

    /// Whether they read `fundId`'s register (and its people) in the internal view.
    public func readsInternally(fund fundId: String) -> Bool {
        role == .auditor || funds.isEmpty || funds.contains(fundId)
    }

    /// "lan is a clerk", for messages.
    public var described: String { "\(name) is \(role.article) \(role.rawValue)" }

    /// Whether they read everything in the internal view: members' deposits, people, the trail.
    public var readsEverything: Bool { role == .auditor || (role == .treasurer && funds.isEmpty) }
}

/// Why a user cannot be added, revoked or recognised.
public enum UserError: Error, Sendable, Hashable, CustomStringConvertible {
    case exists(String)
    case unknown(String)
    case badName(String)
    case auditorWithFunds
    case clerkWithoutFunds
    case unknownFund(String)

    public var description: String {
        switch self {
        case .exists(let name): return "user \(name) already exists; revoke them first to give a new token"
        case .unknown(let name): return "no user \(name)"
        case .badName(let name):
            return "user name \"\(name)\" is not usable: 1 to \(Users.nameBytesMax) bytes of letters, digits, '.', '-' or '_'"
        case .auditorWithFunds: return "an auditor reads every fund: --fund is for clerks and treasurers"
        case .clerkWithoutFunds: return "a clerk records in named funds: give --fund ID (one or more)"
        case .unknownFund(let fundId): return "fund \(fundId) does not exist"
        }
    }
}

/// The users of `ansinh serve`, kept in the store's settings beside the log, so that
/// the command line and a running server share them: a user added or revoked is seen
/// by the next request. A token is shown once, when made; the store keeps its SHA-256.
public enum Users {
    public static let nameBytesMax = 64
    /// Random bytes in a token: 256 bits.
    static let tokenSecretBytes = 32
    static let userPrefix = "server.user."
    static let tokenPrefix = "server.token."
    /// Tokens start with this, so that a leaked one is recognised by secret scanners.
    public static let tokenMark = "ansinh_"

    /// Adds a user and returns their token, which is not kept anywhere.
    /// - Throws: ``UserError``; a revoked user's name can be given again.
    public static func add(_ name: String, role: Role, funds: [String], to ledger: Ledger) throws -> (user: User, token: String) {
        try check(name: name)
        if role == .auditor, !funds.isEmpty { throw UserError.auditorWithFunds }
        if role == .clerk, funds.isEmpty { throw UserError.clerkWithoutFunds }
        let known = Set(try ledger.funds().map(\.fundId))
        if let missing = funds.first(where: { !known.contains($0) }) { throw UserError.unknownFund(missing) }
        var secret = [UInt8](repeating: 0, count: tokenSecretBytes)
        var generator = SystemRandomNumberGenerator()
        for index in secret.indices { secret[index] = generator.next() }
        let token = tokenMark + Data(secret).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let user = User(
            name: name, role: role, funds: Array(Set(funds)).sorted(), tokenHash: hash(token), createdAt: ledger.now().iso8601,
            revokedAt: nil)
        try ledger.editSettings { settings in
            if let old = try settings.value(userPrefix + name).flatMap(decode) {
                guard old.revokedAt != nil else { throw UserError.exists(name) }
                try settings.set(tokenPrefix + old.tokenHash, to: nil)
            }
            try settings.set(userPrefix + name, to: try encode(user))
            try settings.set(tokenPrefix + user.tokenHash, to: name)
        }
        return (user, token)
    }

    /// Withdraws a user's token: their next request is refused.
    public static func revoke(_ name: String, in ledger: Ledger) throws -> User {
        try ledger.editSettings { settings in
            guard var user = try settings.value(userPrefix + name).flatMap(decode), user.revokedAt == nil else {
                throw UserError.unknown(name)
            }
            user.revokedAt = ledger.now().iso8601
            try settings.set(userPrefix + name, to: try encode(user))
            try settings.set(tokenPrefix + user.tokenHash, to: nil)
            return user
        }
    }

    /// Every user, revoked ones included, by name.
    public static func all(in ledger: Ledger) throws -> [User] {
        try ledger.settings(withPrefix: userPrefix).compactMap { decode($0.value) }
    }

    /// The user holding `token`, or `nil` when no current user does.
    public static func user(holding token: String, in ledger: Ledger) throws -> User? {
        guard token.hasPrefix(tokenMark), token.utf8.count < 128 else { return nil }
        let digest = hash(token)
        // One read snapshot for both settings: a revocation between them cannot be half seen.
        let user = try ledger.readLog { reader in
            try reader.setting(tokenPrefix + digest).flatMap { name in try reader.setting(userPrefix + name) }.flatMap(decode)
        }
        guard let user, user.revokedAt == nil, user.tokenHash == digest else { return nil }
        return user
    }

    static func check(name: String) throws {
        let allowed = name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0)
        }
        guard !name.isEmpty, name.utf8.count <= nameBytesMax, allowed else { throw UserError.badName(name) }
    }

    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func encode(_ user: User) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(user), as: UTF8.self)
    }

    static func decode(_ text: String) -> User? {
        try? JSONDecoder().decode(User.self, from: Data(text.utf8))
    }
}
