import EventLog
import Foundation
import Ledger

/// The period report in Vietnamese, worded as the ward writes its own report.
public func vietnameseReport(_ report: PeriodReport, ward: String) -> String {
    var text = "BÁO CÁO CÔNG TÁC CHĂM LO AN SINH XÃ HỘI"
    text += ward.isEmpty ? "\n" : " PHƯỜNG \(ward.uppercased())\n"
    text += "Từ ngày \(report.from.vietnamese) đến ngày \(report.to.vietnamese)\n"
    if let last = report.closedPeriods.last {
        text += "Sổ đã khoá đến hết ngày \(last.through.vietnamese) (\(last.decision))"
        text += report.isClosed ? "; số liệu kỳ này không còn thay đổi.\n" : ".\n"
    }
    text += "\n"
    for fund in report.funds {
        text += "- " + fundSentence(fund) + "\n"
    }
    if !report.externalSupport.isEmpty {
        text += "\nNgoài các quỹ, các đoàn thể vận động, giới thiệu hỗ trợ (không tính vào số dư quỹ):\n"
        var byOrganisation: [(String, [ExternalSupportRecord])] = []
        for line in report.externalSupport {
            let organisation = line.support.organisation
            if let index = byOrganisation.firstIndex(where: { $0.0 == organisation }) {
                byOrganisation[index].1.append(line)
            } else {
                byOrganisation.append((organisation, [line]))
            }
        }
        for (organisation, lines) in byOrganisation {
            let items = lines.map { line in
                line.isReversal
                    ? "điều chỉnh giảm khoản ghi ngày \(line.support.recordedOn.vietnamese) (\(line.support.description.trimmedSentence))"
                    : line.support.description.trimmedSentence
            }
            text += "- \(organisation): " + items.joined(separator: "; ") + ".\n"
        }
        let value = (try? report.externalSupportValue) ?? .zero
        text += "Tổng giá trị hỗ trợ ngoài quỹ: \(dong(value)), cho \(count(report.externalSupportBeneficiaries)) lượt người, hộ.\n"
    }
    return text
}

private func fundSentence(_ fund: FundPeriod) -> String {
    let received = (try? fund.received) ?? .zero
    var sentence = fund.name
    if fund.opening.dong > 0 {
        sentence += " có số dư đầu kỳ \(dong(fund.opening))"
        if received.dong > 0 {
            let total = (try? fund.opening.adding(received)) ?? fund.opening
            sentence += ", tiếp nhận \(dong(received)), nâng tổng quỹ \(dong(total))"
        }
    } else {
        sentence += " vận động được \(dong(received))"
    }
    let payments = Purpose.allCases.compactMap { purpose -> String? in
        guard let totals = fund.disbursedByPurpose[purpose.rawValue], totals.amount.dong != 0 || totals.quantity != 0 else { return nil }
        return purposePhrase(purpose, totals)
    }
    if !payments.isEmpty {
        sentence += "; qua đó, đã " + payments.joined(separator: "; ")
    }
    sentence += ". Số dư cuối kỳ: \(dong(fund.closing))."
    return sentence
}

private func purposePhrase(_ purpose: Purpose, _ totals: PurposeTotals) -> String {
    let quantity = count(totals.quantity)
    let amount = dong(totals.amount)
    switch purpose {
    case .housing: return "hỗ trợ cất, sửa chữa \(quantity) căn nhà với số tiền \(amount)"
    case .gift: return "tặng quà \(quantity) lượt với số tiền \(amount)"
    case .healthInsurance: return "cấp phát \(quantity) thẻ BHYT với số tiền \(amount)"
    case .scholarship: return "trao \(quantity) suất học bổng với số tiền \(amount)"
    case .studySupplies: return "hỗ trợ \(quantity) phần dụng cụ học tập với số tiền \(amount)"
    case .livelihood: return "hỗ trợ sinh kế \(quantity) hộ với số tiền \(amount)"
    case .infrastructure: return "thực hiện \(quantity) công trình với số tiền \(amount)"
    case .sponsorship: return "nhận đỡ đầu \(quantity) trường hợp với số tiền \(amount)"
    case .other: return "hỗ trợ khác \(quantity) lượt với số tiền \(amount)"
    }
}

/// `624.845.000 đồng`, as the article writes sums.
public func dong(_ amount: VND) -> String { "\(amount.grouped) đồng" }

/// `02`, `93`, `1.507`: counts under ten with a leading zero, as the article writes them.
public func count(_ number: Int64) -> String {
    (0..<10).contains(number) ? "0\(number)" : VND(number).grouped
}

extension String {
    var trimmedSentence: String {
        var text = trimmingCharacters(in: .whitespacesAndNewlines)
        while text.hasSuffix(".") { text.removeLast() }
        return text
    }
}

/// Hundredths of a percent as Vietnamese write a percentage, without its sign: `113,48`.
public func percentText(basisPoints: Int64) -> String {
    "\(basisPoints / 100),\(String(format: "%02d", Int(basisPoints % 100)))"
}

/// The piggy-bank summary as a few lines for people.
public func piggyBankText(_ summary: PiggyBankSummary) -> String {
    let model = summary.model
    let percent = percentText(basisPoints: summary.attainmentBasisPoints) + " %"
    var text = "\(model.name) (\(model.modelId))\n"
    text += "Period \(model.startsOn) to \(model.endsOn), \(model.dailyTarget) a day per member"
    text += model.closedOn.map { "; closed \($0)" + (model.decisionRef.map { " (\($0))" } ?? "") } ?? "; open"
    text += "\nMembers enrolled:     \(summary.membersEnrolled), saving: \(summary.membersParticipating)\n"
    text += "Collected:            \(summary.collected) in \(VND(summary.depositCount).grouped) deposits\n"
    text += "Expected at target:   \(summary.expected) (through \(summary.countedThrough))\n"
    text += "Attainment:           \(percent)\n"
    text += "Below target:         \(summary.belowTarget.count) members, short \(((try? summary.belowTarget.map(\.shortfall).sum()) ?? .zero))\n"
    text += "Fund \(model.fundId) balance for the Standing Committee's decision: \(summary.fundBalance)\n"
    return text
}
