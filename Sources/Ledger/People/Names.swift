import EventLog
import Foundation

/// Who may read a name: the ward's own users and auditors (full names), or the public
/// (what Decree 93 publication and the law on personal data allow together).
public enum NameView: String, Sendable, CaseIterable {
    /// Full names, opened with each person's key; erased people as their subject id.
    case `internal`
    /// Organisations in full; a person who gives, in full only with their consent
    /// (`publish`), else "Nhà hảo tâm"; members and beneficiaries as initials and their
    /// cell or area; no member's deposits by name.
    case `public`
}

/// How people are named where names cannot be shown.
public enum PeopleWords {
    /// Shown beside the subject id of an erased person.
    public static let erased = "đã xoá"
    /// An anonymous donor, in the public view.
    public static let anonymousDonor = "Nhà hảo tâm"
    /// Shown beside the subject id when the store's folder has no key file.
    public static let noKey = "không có khoá"
    /// The ward's setting for how the public view names members and beneficiaries.
    public static let publicNameFormatSetting = "public-name-format"
    /// Its default: initials, then the cell or area when there is one.
    public static let defaultPublicNameFormat = "{initials}, {area}"

    /// Words before a name that the public view keeps whole ("Hộ bà N.T.L.").
    static let honorifics: Set<String> = ["hộ", "gia", "đình", "ông", "bà", "anh", "chị", "em", "cháu", "cô", "chú", "bác", "cụ", "thầy"]

    /// A name as initials: leading honorifics whole, then the first letter of each word
    /// followed by a dot. "Hộ bà Nguyễn Thị Lan" → "Hộ bà N.T.L.".
    public static func initials(_ name: String) -> String {
        let words = name.split(whereSeparator: { $0.isWhitespace })
        var kept: [String] = []
        var index = 0
        while index < words.count - 1, honorifics.contains(words[index].lowercased()) {
            kept.append(String(words[index]))
            index += 1
        }
        let letters = words[index...].compactMap { $0.first.map { String($0).uppercased() + "." } }.joined()
        return (kept + [letters]).filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// `format` with `{initials}` and `{area}` filled in; without an area, the text
    /// from the end of `{initials}` to `{area}` goes too (", {area}").
    public static func publicLabel(initials: String, area: String?, format: String) -> String {
        var text = format
        if let area, !area.isEmpty {
            text = text.replacingOccurrences(of: "{area}", with: area)
        } else if let start = text.range(of: "{initials}"), let end = text.range(of: "{area}"), start.upperBound <= end.lowerBound {
            text.removeSubrange(start.upperBound..<end.upperBound)
        } else {
            text = text.replacingOccurrences(of: "{area}", with: "")
        }
        return text.replacingOccurrences(of: "{initials}", with: initials).trimmingCharacters(in: .whitespaces)
    }
}

extension LedgerSnapshot {
    /// A person's name for the ward's own users: in the clear as recorded, opened with
    /// their key; an erased person (or one whose key cannot be read) as their subject id
    /// and why. An organisation's name is as recorded.
    public func name(_ name: PersonName) throws -> String {
        guard case .sealed(let sealed) = name else { return name.plainText ?? "" }
        if try tables.subject(sealed.subjectId)?.erased != nil { return "\(sealed.subjectId) (\(PeopleWords.erased))" }
        guard let keys else { return "\(sealed.subjectId) (\(PeopleWords.noKey))" }
        guard let number = SubjectKeys.number(ofSubject: sealed.subjectId), let key = try keys.key(number) else {
            return "\(sealed.subjectId) (\(PeopleWords.erased))"  // destroyed: an erasure under way
        }
        return try sealed.open(with: key)
    }

    /// `name` as `view` shows it, for someone in `role` (`area`: their cell or area;
    /// `publish`: a donor's consent).
    public func name(_ name: PersonName, view: NameView, role: SubjectRole?, area: String? = nil, publish: Bool = false)
        throws -> String
    {
        guard view == .public, let role else { return try self.name(name) }
        switch role {
        case .donor:
            return publish ? try self.name(name) : PeopleWords.anonymousDonor
        case .member, .beneficiary:
            if let subjectId = name.subjectId, try tables.subject(subjectId)?.erased != nil {
                return "\(subjectId) (\(PeopleWords.erased))"
            }
            let full = try self.name(name)
            if let subjectId = name.subjectId, full.hasPrefix(subjectId) { return full }  // no key: no initials either
            return PeopleWords.publicLabel(initials: PeopleWords.initials(full), area: area, format: try publicNameFormat())
        }
    }

    /// A donor as `view` shows them.
    public func name(_ donor: Donor, view: NameView) throws -> String {
        try name(donor.name, view: view, role: donor.kind.isPerson ? .donor : nil, publish: donor.publish ?? false)
    }

    /// A beneficiary as `view` shows them.
    public func name(_ beneficiary: Beneficiary, view: NameView) throws -> String {
        try name(beneficiary.name, view: view, role: .beneficiary, area: beneficiary.area)
    }

    /// A member as `view` shows them.
    public func name(_ member: MemberRecord, view: NameView) throws -> String {
        try name(member.fullName, view: view, role: .member, area: member.cell)
    }

    /// How the ward names members and beneficiaries in public (a setting of the store).
    public func publicNameFormat() throws -> String {
        try log.setting(PeopleWords.publicNameFormatSetting) ?? PeopleWords.defaultPublicNameFormat
    }
}
