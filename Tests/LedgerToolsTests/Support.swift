import Crypto
import Foundation
import LedgerTools

func sha256Hex(_ data: Data) -> String { hex(Array(SHA256.hash(data: data))) }

struct Curve25519SigningKeyForTests {
    let privateKey: Curve25519.Signing.PrivateKey
    var publicHex: String { hex(Array(privateKey.publicKey.rawRepresentation)) }

    static func make() -> Curve25519SigningKeyForTests { .init(privateKey: Curve25519.Signing.PrivateKey()) }
}

/// The built `ansinh` next to the test bundle.
let ansinhExecutable: URL = {
    var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    while folder.path != "/" {
        let candidate = folder.appendingPathComponent("ansinh")
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isFolder), !isFolder.boolValue {
            return candidate
        }
        folder.deleteLastPathComponent()
    }
    fatalError("the ansinh executable is not built next to the tests")
}()
