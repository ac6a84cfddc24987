import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Turns the signals a damaged store can raise inside the storage library — a bus error
/// reading past the end of a mapped file, a memory fault following a garbage page
/// pointer, an abort on one of its assertions — into the one-line report and exit
/// status 74 every other store problem gets, instead of a crash.
///
/// LMDB 0.9 trusts the pages it reads; ansinh checks the data file's length whenever it
/// opens a store and its every page in `audit verify`, but a file damaged afterwards,
/// or while another process writes, can still reach the library. A write transaction
/// that dies this way is never committed, so nothing is written.
enum SignalGuard {
    /// The messages, made before any signal can arrive: a handler may only write bytes.
    nonisolated(unsafe) private static var busMessage: UnsafeMutablePointer<CChar>?
    nonisolated(unsafe) private static var faultMessage: UnsafeMutablePointer<CChar>?
    nonisolated(unsafe) private static var abortMessage: UnsafeMutablePointer<CChar>?
    nonisolated(unsafe) private static var alternateStack: UnsafeMutableRawPointer?
    static let alternateStackBytes = 64 * 1024

    /// Installs the handlers for the command named `command`, such as `ansinh funds`.
    static func install(command: String) {
        #if os(Linux)
        let reasons: [(Int32, String)] = [
            (SIGBUS, "a bus error (the data file is shorter than it was, or a page points past its end)"),
            (SIGSEGV, "a memory fault (a damaged page pointed somewhere it cannot)"),
            (SIGABRT, "a failed check of the storage library (a damaged page)"),
        ]
        for (signal, reason) in reasons {
            let text = "ansinh: the store is damaged: `\(command)` was stopped by \(reason); a write it had not finished was not committed. "
                + "Run `ansinh audit verify --structure-only` to find the damaged page, and restore the store from a backup\n"
            switch signal {
            case SIGBUS: busMessage = strdup(text)
            case SIGSEGV: faultMessage = strdup(text)
            default: abortMessage = strdup(text)
            }
        }
        // A handler for a memory fault needs a stack of its own, in case the fault was the stack's.
        alternateStack = UnsafeMutableRawPointer.allocate(byteCount: alternateStackBytes, alignment: 16)
        var stack = stack_t()
        stack.ss_sp = alternateStack
        stack.ss_size = alternateStackBytes
        stack.ss_flags = 0
        sigaltstack(&stack, nil)
        for (signal, _) in reasons {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in
                let message = signal == SIGBUS ? SignalGuard.busMessage : signal == SIGSEGV ? SignalGuard.faultMessage : SignalGuard.abortMessage
                if let message { _ = write(STDERR_FILENO, message, strlen(message)) }
                _exit(74)
            }
            action.sa_flags = Int32(SA_ONSTACK)
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
        }
        #endif
    }
}
