import Hummingbird
import Ledger

/// A request's query parameters, read strictly: a value that is not what the parameter
/// takes is a 400 naming it, not silently ignored.
struct QueryParameters {
    let request: Request

    init(_ request: Request) { self.request = request }

    /// The parameter's value; given empty, it is refused (400), not taken as absent.
    func text(_ name: String) throws -> String? {
        guard let value = request.uri.queryParameters.get(name) else { return nil }
        guard !value.isEmpty else { throw Problem.badRequest("\(name) is empty", members: [("parameter", .string(name))]) }
        return value
    }

    func integer(_ name: String, minimum: UInt64 = 0) throws -> UInt64? {
        guard let text = try text(name) else { return nil }
        guard let value = UInt64(text), value >= minimum else {
            throw Problem.badRequest("\(name) must be a whole number of at least \(minimum)", members: [("parameter", .string(name))])
        }
        return value
    }

    func date(_ name: String) throws -> LocalDate? {
        guard let text = try text(name) else { return nil }
        guard let date = LocalDate(text) else {
            throw Problem.badRequest("\(name) must be a date, YYYY-MM-DD", members: [("parameter", .string(name))])
        }
        return date
    }

    func requiredDate(_ name: String) throws -> LocalDate {
        guard let date = try date(name) else {
            throw Problem.badRequest("\(name) is required (a date, YYYY-MM-DD)", members: [("parameter", .string(name))])
        }
        return date
    }
}
