import Foundation
import Logging
import Synchronization

/// Standard output shared by the log and, on a terminal, the live view: a log line is
/// printed above the view, which is then drawn again, so the two never tangle. Piped
/// output gets log lines only, never an escape code.
final class Console: Sendable {
    static let shared = Console()

    let isTerminal = isatty(STDOUT_FILENO) == 1
    private let view = Mutex<[String]>([])

    func log(_ line: String) {
        view.withLock { lines in
            write(clear(lines.count) + line + "\n" + lines.map { $0 + "\n" }.joined())
        }
    }

    /// Replaces the live view (terminal only). Lines are cut to the terminal's width, so
    /// that none wraps and the view can be cleared line by line.
    func show(_ lines: [String]) {
        guard isTerminal else { return }
        var size = winsize()
        let width = ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 10 ? Int(size.ws_col) - 1 : 119
        let lines = lines.map { $0.count > width ? String($0.prefix(width - 1)) + "…" : $0 }
        view.withLock { current in
            write(clear(current.count) + lines.map { $0 + "\n" }.joined())
            current = lines
        }
    }

    private func clear(_ count: Int) -> String {
        guard isTerminal, count > 0 else { return "" }
        return String(repeating: "\u{1B}[1A\u{1B}[2K", count: count)
    }

    private func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

/// swift-log's handler for `sluice run`: one line per event, as text or as JSON.
struct ConsoleLogHandler: LogHandler {
    enum Format: String, CaseIterable { case text, json }

    var format: Format
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
             file: String, function: String, line: UInt) {
        var all = metadata.merging(explicit ?? [:]) { _, new in new }
        let time = all.removeValue(forKey: "at")?.description ?? ISO8601DateFormatter().string(from: Date())
        switch format {
        case .text:
            let fields = ["environment", "cluster", "addon", "commit"].compactMap { key in all[key].map { "\(key)=\($0)" } }
            Console.shared.log("\(time) \(level.rawValue.uppercased().padding(toLength: 5, withPad: " ", startingAt: 0)) \(fields.joined(separator: " "))\(fields.isEmpty ? "" : " ")\(message)")
        case .json:
            var object: [String: String] = ["time": time, "level": level.rawValue, "message": message.description]
            for (key, value) in all { object[key] = value.description }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            Console.shared.log(String(decoding: data, as: UTF8.self))
        }
    }
}
