import Foundation

/// Live streams open at once: a few per address, a bound in all. Each stream holds a
/// store read every second and a connection for hours, so an address (or everyone)
/// opening thousands is refused rather than served.
final class StreamSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var open: [String: Int] = [:]
    private var total = 0
    let perAddressMax: Int
    let totalMax: Int

    init(perAddressMax: Int, totalMax: Int) {
        self.perAddressMax = perAddressMax
        self.totalMax = totalMax
    }

    /// Why a stream was not opened.
    enum Refusal: Error {
        case address
        case everyone
    }

    /// A slot for `address`, given back when the slot is released (its stream ended, or
    /// its answer was dropped unsent).
    func take(for address: String) throws(Refusal) -> Slot {
        lock.lock()
        defer { lock.unlock() }
        guard total < totalMax else { throw Refusal.everyone }
        guard open[address, default: 0] < perAddressMax else { throw Refusal.address }
        open[address, default: 0] += 1
        total += 1
        return Slot(slots: self, address: address)
    }

    /// Streams open now, for `address` and in all.
    func count(for address: String) -> (address: Int, total: Int) {
        lock.withLock { (open[address, default: 0], total) }
    }

    fileprivate func give(_ address: String) {
        lock.withLock {
            open[address, default: 1] -= 1
            if open[address] == 0 { open[address] = nil }
            total -= 1
        }
    }

    /// One open stream's slot; released when the last reference to it goes.
    final class Slot: @unchecked Sendable {
        private let slots: StreamSlots
        private let address: String

        fileprivate init(slots: StreamSlots, address: String) {
            self.slots = slots
            self.address = address
        }

        deinit { slots.give(address) }
    }
}
