import ArgumentParser
import Foundation
import Testing
@testable import bmrs

/// The README and the command line name the same options (issue 16, item 6): every
/// `--option` the README writes is one some subcommand accepts (or one of another program
/// it quotes), and every option a subcommand shows in `--help` is in the README. An
/// option group shared by several commands (`TrainingOptions`, `WorkerOptions`, …) counts
/// once, so a rename in a group cannot leave the README behind.
@Suite("README agrees with the command line")
struct ReadmeOptionsTests {
    /// Options of other programs the README quotes: sbatch's, and the authors' scripts'
    /// (`--disable_pruning`, `--n_epochs`, `--output_dir`, `--metrics_dir`), and SwiftPM's `--sanitize`.
    static let foreign: Set<String> = ["--dependency", "--kill-on-invalid-dep", "--signal", "--disable_pruning", "--n_epochs", "--sanitize",
                                        "--output_dir", "--metrics_dir"]
    /// Every command has these; the README need not list them.
    static let universal: Set<String> = ["--help", "--version"]

    /// Every subcommand, depth first.
    static func commands(_ command: any ParsableCommand.Type = BMRS.self) -> [any ParsableCommand.Type] {
        [command] + command.configuration.subcommands.flatMap { commands($0) }
    }

    /// The long options `--help` shows for `command` (hidden ones, like `--worker`, are not shown).
    static func options(of command: any ParsableCommand.Type) -> Set<String> {
        let help = BMRS.helpMessage(for: command, columns: 10_000)
        let pattern = try! NSRegularExpression(pattern: #"^\s+(?:-\w, )?(--[a-z0-9][a-z0-9-]*)"#, options: .anchorsMatchLines)
        let range = NSRange(help.startIndex..., in: help)
        return Set(pattern.matches(in: help, range: range).map { String(help[Range($0.range(at: 1), in: help)!]) })
    }

    static var readme: String {
        get throws {
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            return try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        }
    }

    /// The `--option` tokens of `text` (not `---` rules, not the middle of a word; with
    /// underscores, so that the authors' `--n_epochs` is not read as `--n`).
    static func optionTokens(_ text: String) -> Set<String> {
        let pattern = try! NSRegularExpression(pattern: #"(?<![\w-])(--[a-z][a-z0-9_-]*)"#)
        let range = NSRange(text.startIndex..., in: text)
        return Set(pattern.matches(in: text, range: range).map { String(text[Range($0.range(at: 1), in: text)!]) })
    }

    @Test func everyOptionTheReadmeNamesExists() throws {
        let cli = Self.commands().reduce(into: Set<String>()) { $0.formUnion(Self.options(of: $1)) }
        #expect(cli.contains("--epochs") && cli.contains("--jobs") && cli.contains("--snr-threshold"), "help not parsed: \(cli.sorted())")
        let unknown = Self.optionTokens(try Self.readme).subtracting(cli).subtracting(Self.foreign)
        #expect(unknown.isEmpty, "the README names options no subcommand has: \(unknown.sorted())")
    }

    @Test func everyOptionIsInTheReadme() throws {
        let documented = Self.optionTokens(try Self.readme)
        for command in Self.commands() {
            let missing = Self.options(of: command).subtracting(documented).subtracting(Self.universal)
            #expect(missing.isEmpty, "\(command.configuration.commandName ?? "\(command)"): not in the README: \(missing.sorted())")
        }
    }
}
