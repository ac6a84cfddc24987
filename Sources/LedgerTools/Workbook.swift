import CXlsxWriter
import Foundation
import Ledger

/// An Excel workbook (`.xlsx`), written with libxlsxwriter: one sheet a listing, money
/// and counts as numbers with thousands grouped, dates as dates (dd/mm/yyyy), text as
/// it is. Excel opens it whatever Windows' list separator, which a CSV cannot promise.
public enum Workbook {
    /// Writes `sheets` to the new file `path`, under a hidden name renamed into place.
    public static func write(_ sheets: [(name: String, listing: Listing)], to path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else { throw ExportError.exists(path) }
        let target = URL(fileURLWithPath: path)
        let partial = PartialWrite.start(for: target)
        do {
            try write(sheets, file: partial.path)
            try PartialWrite.finish(partial, onto: target)
        } catch {
            try? FileManager.default.removeItem(at: partial)
            throw error
        }
    }

    private static func write(_ sheets: [(name: String, listing: Listing)], file: String) throws {
        guard let workbook = workbook_new(file) else { throw ExportError.cannotWrite(file, "the workbook cannot be created") }
        let header = workbook_add_format(workbook)
        format_set_bold(header)
        format_set_bg_color(header, 0xF2F4F7)
        let grouped = workbook_add_format(workbook)
        format_set_num_format(grouped, "#,##0")
        let plain = workbook_add_format(workbook)
        format_set_num_format(plain, "0")
        let date = workbook_add_format(workbook)
        format_set_num_format(date, "dd/mm/yyyy")
        var used = Set<String>()
        for (name, listing) in sheets {
            let sheetName = uniqueSheetName(name, used: &used)
            guard let sheet = workbook_add_worksheet(workbook, sheetName) else {
                workbook_close(workbook)
                throw ExportError.cannotWrite(file, "the sheet \(sheetName) cannot be added")
            }
            for (column, (_, title)) in listing.columns.enumerated() {
                worksheet_write_string(sheet, 0, lxw_col_t(column), title, header)
                let widest = listing.rows.map { $0[column].display.count }.max() ?? 0
                worksheet_set_column(sheet, lxw_col_t(column), lxw_col_t(column), Double(min(60, max(10, max(title.count, widest) + 2))), nil)
            }
            worksheet_freeze_panes(sheet, 1, 0)
            for (index, row) in listing.rows.enumerated() {
                let line = lxw_row_t(index + 1)
                for (column, cell) in row.enumerated() {
                    let col = lxw_col_t(column)
                    switch cell {
                    case .text(let text): if let text { worksheet_write_string(sheet, line, col, text, nil) }
                    case .integer(let number): if let number { worksheet_write_number(sheet, line, col, Double(number), grouped) }
                    case .ordinal(let number): if let number { worksheet_write_number(sheet, line, col, Double(number), plain) }
                    case .money(let amount): if let amount { worksheet_write_number(sheet, line, col, Double(amount.dong), grouped) }
                    case .date(let day):
                        if let day {
                            let (year, month, dayOfMonth) = day.components
                            var value = lxw_datetime(year: Int32(year), month: Int32(month), day: Int32(dayOfMonth), hour: 0, min: 0, sec: 0)
                            worksheet_write_datetime(sheet, line, col, &value, date)
                        }
                    }
                }
            }
        }
        let status = workbook_close(workbook)
        guard status == LXW_NO_ERROR else {
            throw ExportError.cannotWrite(file, String(cString: lxw_strerror(status)))
        }
        let descriptor = open(file, O_RDONLY)
        if descriptor >= 0 {
            fsync(descriptor)
            close(descriptor)
        }
    }

    /// Excel's rules for a sheet's name: at most 31 characters, none of []:*?/\, unique.
    static func uniqueSheetName(_ name: String, used: inout Set<String>) -> String {
        let cleaned = String(name.map { "[]:*?/\\".contains($0) ? "-" : $0 }.prefix(31))
        var candidate = cleaned.isEmpty ? "Sheet" : cleaned
        var number = 2
        while used.contains(candidate.lowercased()) {
            let suffix = " (\(number))"
            candidate = String(cleaned.prefix(31 - suffix.count)) + suffix
            number += 1
        }
        used.insert(candidate.lowercased())
        return candidate
    }
}
