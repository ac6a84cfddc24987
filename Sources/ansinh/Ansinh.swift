import ArgumentParser
import Foundation

@main
struct Ansinh: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ansinh",
        abstract: "The ledger of a ward's social-welfare funds: every pledge, deposit and disbursement, for good.",
        discussion: """
            The store is the folder given by --store, else $ANSINH_STORE, else ./ansinh-data.
            Create one with `ansinh init`, or try everything with `ansinh demo`.

            Dates are YYYY-MM-DD in the ward's time zone (Asia/Ho_Chi_Minh) and default to
            today there. Amounts are whole đồng: 50000, 50.000 or 50_000.

            Exit status: 0 success; 64 bad options or arguments; 65 input refused (a field,
            an import line, or a rule of the ledger such as a balance going below 0);
            73 conflict (the id already exists, an entry was already reversed, a pledge
            cancelled, a model closed or the books closed through that date, or an event id
            is used for another event);
            74 store problem (missing, damaged, newer format, unreadable, disk full);
            1 `audit verify` found a problem.
            """,
        subcommands: [
            Init.self, Demo.self,
            FundCommand.self, MemberCommand.self, PledgeCommand.self, Donate.self, PiggyBankCommand.self,
            Deposit.self, Disburse.self, ExternalCommand.self, Reverse.self, PeriodCommand.self,
            Import.self,
            Funds.self, Members.self, Cells.self, Report.self, Periods.self, Log.self, Status.self,
            PeopleCommand.self, Migrate.self, ProjectionsCommand.self, AuditCommand.self, Export.self, KeysCommand.self, Backup.self,
            Restore.self, CheckpointCommand.self, Prove.self, VerifyProof.self, ReceiptCommand.self, WitnessCommand.self, Publish.self,
            Serve.self, UsersCommand.self, ProvinceCommand.self,
        ]
    )

    /// Runs the command line. Bad options or arguments get one line on standard error
    /// (the outside contract for every failure), naming the option and where to read
    /// more, and exit 64; help and every other outcome are the argument parser's own.
    static func main() {
        // The guard speaks of a damaged store: the province's commands open none.
        let command = commandPath()
        if !command.hasPrefix("ansinh province") { SignalGuard.install(command: command) }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error where !(error is ExitCode) && exitCode(for: error) == .validationFailure {
            let reason = message(for: error).split(separator: "\n").first.map(String.init) ?? "bad options or arguments"
            FileHandle.standardError.write(Data("ansinh: \(reason); see `\(commandPath()) --help`\n".utf8))
            Foundation.exit(ExitCode.validationFailure.rawValue)
        } catch {
            exit(withError: error)
        }
    }

    /// `ansinh` and the subcommands named on the command line, such as `ansinh fund open`.
    private static func commandPath() -> String {
        var names = ["ansinh"]
        var command: any ParsableCommand.Type = Ansinh.self
        for argument in CommandLine.arguments.dropFirst() {
            guard let next = command.configuration.subcommands.first(where: { $0._commandName == argument }) else { break }
            names.append(argument)
            command = next
        }
        return names.joined(separator: " ")
    }
}
