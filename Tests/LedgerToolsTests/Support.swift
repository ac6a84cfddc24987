import Crypto
import EventLog
import Foundation
@_exported import TestSupport
import LedgerTools

func sha256Hex(_ data: Data) -> String { hex(Array(SHA256.hash(data: data))) }

struct Curve25519SigningKeyForTests {
    let privateKey: Curve25519.Signing.PrivateKey
    var publicHex: String { hex(Array(privateKey.publicKey.rawRepresentation)) }

    static func make() -> Curve25519SigningKeyForTests { .init(privateKey: Curve25519.Signing.PrivateKey()) }
}

