import Foundation

struct Section {
    let size: Int
    var rows: [(name: String, ansinh: Double, raw: Double?, sqlite: Double?, target: String)] = []
    var latencies: [(name: String, seconds: [Double])] = []
    var memory: [(operation: String, kilobytes: (resident: Int, anonymous: Int))] = []
    var notes: [String] = []

    mutating func add(_ name: String, ansinh: Double, raw: Double?, sqlite: Double?, target: String) {
        rows.append((name, ansinh, raw, sqlite, target))
    }
}

struct Report {
    var machineLines: [String] = []
    var sections: [Section] = []

    mutating func machine() {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n")
            .first { $0.hasPrefix("model name") }?.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "unknown"
        machineLines.append("CPU: \(cpu), \(ProcessInfo.processInfo.activeProcessorCount) cores")
        machineLines.append(String(format: "Memory: %.0f GiB", Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824))
        machineLines.append("System: \(ProcessInfo.processInfo.operatingSystemVersionString)")
    }

    func markdown(command: String) -> String {
        var text = "## Run\n\n```sh\n\(command)\n```\n\n" + machineLines.map { "- \($0)\n" }.joined()
        for section in sections {
            text += "\n### \(grouped(section.size)) events\n\n"
            text += "| operation | ansinh | raw LMDB | ansinh ÷ raw | SQLite | ansinh ÷ SQLite | target |\n|---|---:|---:|---:|---:|---:|---|\n"
            for row in section.rows {
                text += "| \(row.name) | \(grouped(Int(row.ansinh))) | \(row.raw.map { grouped(Int($0)) } ?? "–") | "
                text += "\(row.raw.map { String(format: "%.2f×", row.ansinh / $0) } ?? "–") | \(row.sqlite.map { grouped(Int($0)) } ?? "–") | "
                text += "\(row.sqlite.map { String(format: "%.2f×", row.ansinh / $0) } ?? "–") | \(row.target) |\n"
            }
            text += "\n| latency | p50 | p99 |\n|---|---:|---:|\n"
            for (name, values) in section.latencies {
                text += "| \(name) | \(microseconds(percentile(values, 0.5))) | \(microseconds(percentile(values, 0.99))) |\n"
            }
            text += "\n| peak memory (child process) | resident (VmHWM) | anonymous (RssAnon, sampled) |\n|---|---:|---:|\n"
            for (operation, kilobytes) in section.memory {
                text += "| \(operation) | \(String(format: "%.1f", Double(kilobytes.resident) / 1024)) MiB "
                text += "| \(String(format: "%.1f", Double(kilobytes.anonymous) / 1024)) MiB |\n"
            }
            text += "\n" + section.notes.map { "- \($0)\n" }.joined()
        }
        return text
    }
}

func percentile(_ values: [Double], _ fraction: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
}

func microseconds(_ seconds: Double) -> String {
    seconds < 0.001 ? String(format: "%.0f µs", seconds * 1e6) : String(format: "%.2f ms", seconds * 1e3)
}

func grouped(_ value: Int) -> String {
    let digits = String(value)
    var text = ""
    for (index, digit) in digits.enumerated() {
        if index > 0, (digits.count - index) % 3 == 0 { text.append(" ") }
        text.append(digit)
    }
    return text
}
