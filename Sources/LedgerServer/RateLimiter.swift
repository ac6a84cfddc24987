import Foundation

/// A token bucket per key: `rate` requests a second on average, up to `burst` at once.
final class RateLimiter: @unchecked Sendable {
    struct Rate: Sendable {
        var perSecond: Double
        var burst: Double
    }

    private let lock = NSLock()
    private var buckets: [String: (tokens: Double, at: ContinuousClock.Instant)] = [:]
    let authenticated: Rate
    let anonymous: Rate
    /// Buckets kept at most; full ones are dropped first when there are more.
    static let bucketCountMax = 100_000

    init(authenticated: Rate, anonymous: Rate) {
        self.authenticated = authenticated
        self.anonymous = anonymous
    }

    /// `nil` when the public's bucket `key` has a request left (without taking it), else the seconds to wait.
    func peek(_ key: String) -> Int? {
        guard anonymous.perSecond.isFinite else { return nil }
        return lock.withLock {
            guard let bucket = buckets[key] else { return nil }
            let elapsed = bucket.at.duration(to: .now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let tokens = min(anonymous.burst, bucket.tokens + seconds * anonymous.perSecond)
            return tokens >= 1 ? nil : max(1, Int(((1 - tokens) / anonymous.perSecond).rounded(.up)))
        }
    }

    /// `nil` when the request may go, else the seconds to wait.
    func take(_ key: String, authenticated isAuthenticated: Bool) -> Int? {
        let rate = isAuthenticated ? authenticated : anonymous
        guard rate.perSecond.isFinite else { return nil }
        let now = ContinuousClock.now
        return lock.withLock {
            var bucket = buckets[key] ?? (rate.burst, now)
            let elapsed = bucket.at.duration(to: now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(rate.burst, bucket.tokens + seconds * rate.perSecond)
            bucket.at = now
            guard bucket.tokens >= 1 else {
                buckets[key] = bucket
                return max(1, Int(((1 - bucket.tokens) / rate.perSecond).rounded(.up)))
            }
            bucket.tokens -= 1
            if buckets.count >= Self.bucketCountMax {
                // Buckets idle for a minute are full again (or nearly): forgetting them changes nothing.
                buckets = buckets.filter { $0.value.at.duration(to: now) < .seconds(60) }
                if buckets.count >= Self.bucketCountMax { buckets = [:] }
            }
            buckets[key] = bucket
            return nil
        }
    }
}
