import Foundation

/// A progress bar on standard error, drawn only when it is a terminal: piped or
/// redirected output stays quiet.
final class ProgressBar {
    private let label: String
    private let enabled: Bool
    private var lastDrawn = Date.distantPast
    private var drewAnything = false

    init(_ label: String) {
        self.label = label
        enabled = isatty(STDERR_FILENO) == 1
    }

    /// Redraws at most ten times a second.
    func update(_ done: Int, of total: Int) {
        guard enabled, total > 0 else { return }
        let now = Date()
        guard done >= total || now.timeIntervalSince(lastDrawn) >= 0.1 else { return }
        lastDrawn = now
        let width = 30
        let filled = min(width, width * done / total)
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let percent = 100 * done / total
        FileHandle.standardError.write(Data("\r\(label) \(bar) \(percent)% (\(done)/\(total))".utf8))
        drewAnything = true
    }

    /// Ends the bar's line.
    func finish() {
        guard enabled, drewAnything else { return }
        FileHandle.standardError.write(Data("\n".utf8))
        drewAnything = false
    }
}
