import Crypto
import EventLog
import Foundation
import Ledger

/// The public form of a stored event: what may travel beyond the ward (to its province,
/// to anyone reading the live feed), tied to the event's leaf of the Merkle tree.
///
/// It keeps what places the event in the log (position, id, type, stream, time, and
/// the hashes that chain it and make its leaf, which signed checkpoints cover) and the
/// public view of its data:
/// - people as the public view names them: an organisation in full, a person who gives
///   in full only with their consent, a beneficiary as initials and area;
/// - a member's id, cell and dates, never their name; a piggy-bank deposit as its
///   model, its member's cell, amount and date, not its member;
/// - no free text that may name people: a reversal's, a leaving's or a cancellation's
///   reason, an erasure's subject and reason, external support's source;
/// - not who recorded it.
///
/// The hashes cover the whole stored record, so the public form does not recompute
/// them: whoever holds the ward's store can derive the form again from the record at
/// that position and compare (`PublicEntries.line` is a pure function of the record and
/// the ward's names).
public enum PublicEntries {
    /// The file of an export that holds them, one JSON line each.
    public static let fileName = "public-events.jsonl"

    /// The ward's signature over a run of public lines, as the live feed sends it after
    /// each page (`event: attestation`): `{"from", "through", "sha256", "signature"}`,
    /// where `sha256` is SHA-256 of the lines for positions `from` through `through`, each
    /// followed by a line feed, and `signature` the ward's Ed25519 signature (hex) of
    /// ``attestationMessage(from:through:sha256:)``. The checkpoint signs the leaves; this
    /// signs the public data beside them, as an export's signed manifest does.
    public static func attestation(of lines: [String], from: UInt64, through: UInt64, key: [UInt8]) throws -> JSONOut {
        var hasher = SHA256()
        for line in lines {
            hasher.update(data: Array(line.utf8))
            hasher.update(data: [0x0A])
        }
        let digest = hex(Array(hasher.finalize()))
        let signature = try Curve25519.Signing.PrivateKey(rawRepresentation: key)
            .signature(for: attestationMessage(from: from, through: through, sha256: digest))
        return .object([
            ("from", .integer(Int64(from))), ("through", .integer(Int64(through))), ("sha256", .string(digest)),
            ("signature", .string(hex(Array(signature)))),
        ])
    }

    /// What the ward signs for a run of public lines.
    public static func attestationMessage(from: UInt64, through: UInt64, sha256: String) -> [UInt8] {
        Array("ansinh public feed v1\n\(from)\n\(through)\n\(sha256)\n".utf8)
    }

    /// One event's public form as a JSON line (without its newline).
    public static func line(_ event: RecordedEventView, in snapshot: LedgerSnapshot) throws -> String {
        JSONOut.object([
            ("position", .integer(Int64(event.position))), ("eventId", .string(event.eventId.uuidString.lowercased())),
            ("type", .string(event.type)), ("stream", .string(event.stream)), ("recordedAt", .string(event.recordedAt.iso8601)),
            ("data", try data(of: event, in: snapshot)),
            ("prevHash", .string(event.prevHash.hex)), ("hash", .string(event.hash.hex)),
        ]).compact()
    }

    /// The public view of an event's data.
    public static func data(of event: RecordedEventView, in snapshot: LedgerSnapshot) throws -> JSONOut {
        func fields(_ members: [(String, JSONOut?)]) -> JSONOut {
            .object(members.compactMap { name, value in value.map { (name, $0) } })
        }
        switch try LedgerEvent.decode(event) {
        case .fundOpened(let opened):
            return fields([
                ("fundId", .string(opened.fundId)), ("name", .string(opened.name)), ("openedOn", .date(opened.openedOn)),
                ("openingBalance", opened.openingBalance.map(JSONOut.money)), ("purpose", opened.purpose.map(JSONOut.string)),
            ])
        case .memberEnrolled(let enrolled):
            return fields([
                ("memberId", .string(enrolled.memberId)), ("cell", .string(enrolled.cell)), ("enrolledOn", .date(enrolled.enrolledOn)),
            ])
        case .memberLeft(let left):
            return fields([("memberId", .string(left.memberId)), ("leftOn", .date(left.leftOn))])
        case .pledgeMade(let pledge):
            return fields([
                ("pledgeId", .string(pledge.pledgeId)), ("fundId", .string(pledge.fundId)),
                ("donor", .object([("name", .string(try snapshot.name(pledge.donor, view: .public))), ("kind", .string(pledge.donor.kind.rawValue))])),
                ("amount", .money(pledge.amount)), ("pledgedOn", .date(pledge.pledgedOn)), ("dueOn", pledge.dueOn.map { .date($0) }),
            ])
        case .pledgeCancelled(let cancelled):
            return fields([("pledgeId", .string(cancelled.pledgeId)), ("cancelledOn", .date(cancelled.cancelledOn))])
        case .donationReceived(let donation):
            return fields([
                ("fundId", .string(donation.fundId)),
                ("donor", .object([("name", .string(try snapshot.name(donation.donor, view: .public))), ("kind", .string(donation.donor.kind.rawValue))])),
                ("amount", .money(donation.amount)), ("receivedOn", .date(donation.receivedOn)),
                ("pledgeId", donation.pledgeId.map(JSONOut.string)),
            ])
        case .piggyBankModelStarted(let started):
            return fields([
                ("modelId", .string(started.modelId)), ("name", .string(started.name)), ("fundId", .string(started.fundId)),
                ("startsOn", .date(started.startsOn)), ("endsOn", .date(started.endsOn)), ("dailyTarget", .money(started.dailyTarget)),
            ])
        case .piggyBankDeposited(let deposit):
            // The member's cell, not the member: no member's deposits by name.
            let cell = try snapshot.cell(ofMember: deposit.memberId)
            return fields([
                ("modelId", .string(deposit.modelId)), ("cell", .text(cell)), ("amount", .money(deposit.amount)),
                ("depositedOn", .date(deposit.depositedOn)),
            ])
        case .piggyBankModelClosed(let closed):
            return fields([
                ("modelId", .string(closed.modelId)), ("closedOn", .date(closed.closedOn)),
                ("decisionRef", closed.decisionRef.map(JSONOut.string)),
            ])
        case .disbursementMade(let disbursement):
            return fields([
                ("disbursementId", .string(disbursement.disbursementId)), ("fundId", .string(disbursement.fundId)),
                ("purpose", .string(disbursement.purpose.rawValue)),
                ("beneficiary", .object([
                    ("name", .string(try snapshot.name(disbursement.beneficiary, view: .public))),
                    ("kind", .string(disbursement.beneficiary.kind.rawValue)),
                ])),
                ("amount", .money(disbursement.amount)), ("quantity", .integer(disbursement.quantity)),
                ("disbursedOn", .date(disbursement.disbursedOn)), ("decisionRef", disbursement.decisionRef.map(JSONOut.string)),
                ("programme", disbursement.programme.map(JSONOut.string)),
            ])
        case .externalSupportRecorded(let support):
            return fields([
                ("organisation", .string(support.organisation)), ("programme", .string(support.programme)),
                ("description", .string(support.description)), ("beneficiaries", .integer(support.beneficiaries)),
                ("value", .money(support.value)), ("recordedOn", .date(support.recordedOn)),
            ])
        case .entryReversed(let reversal):
            return fields([
                ("reversesEventId", .string(reversal.reversesEventId.uuidString.lowercased())), ("reversedOn", .date(reversal.reversedOn)),
            ])
        case .periodClosed(let closed):
            return fields([("through", .date(closed.through)), ("decision", .string(closed.decision))])
        case .subjectErased(let erased):
            return fields([("erasedOn", .date(erased.erasedOn))])
        case .storeMigrated:
            return .object([])
        }
    }
}
