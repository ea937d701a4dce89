import Foundation
import Testing
import Analysis
@testable import Reporting
import FileOutput

/// Paper tables: the SPEC §7 numbers through the repository's templates, compared byte for
/// byte with Expected/ (`RECORD_EXPECTED=1 swift test` rewrites them and fails), plus the
/// bold rule, escaping, missing cells and template lookup by hand.
@Suite struct PaperTableTests {
    // MARK: Fixture: SPEC §7 (10 seeds; std only where the paper gives one)

    /// `"52.08"` → a mean over 10 seeds without std; `"97.43±0.14"` → with std.
    static func value(_ text: String) -> Summary {
        let parts = text.split(separator: "±").map { Double($0)! }
        return parts.count == 2 ? Summary(mean: parts[0], std: parts[1], count: 10) : .meanOnly(parts[0], count: 10)
    }

    /// `"43.11 / 10.39 · 87.86 / 18.23 · …"` as written in SPEC §7.
    static func row(_ method: String, _ text: String) -> PaperTable.Row {
        let cells = text.components(separatedBy: " · ").map { cell -> PaperTable.Cell in
            let pair = cell.components(separatedBy: " / ")
            return PaperTable.Cell(compression: value(pair[0]), accuracy: value(pair[1]))
        }
        return PaperTable.Row(method: method, cells: cells)
    }

    static func paperTable() -> PaperTable {
        PaperTable(
            title: "BMRS paper, 10 seeds, continuous pruning",
            caption: PaperTable.caption(protocol: "continuous pruning (SPEC §5)", seeds: 10,
                                        note: "Numbers as published (SPEC §7); std only where the paper gives it."),
            datasets: ["MNIST", "Fashion-MNIST", "CIFAR-10"],
            blocks: [
                PaperTable.Block(network: "MLP", rows: [
                    row("None", "0.00 / 97.43±0.14 · 0.00 / 88.17±0.20 · 0.00 / 44.94±0.40"),
                    row("L2", "43.11 / 10.39 · 87.86 / 18.23 · 42.89 / 10.00"),
                    row("E[θ]", "52.08 / 96.88 · 91.76 / 85.59 · 77.99 / 43.39"),
                    row("SNR", "58.57 / 96.92 · 99.83 / 10.00 · 75.93 / 43.97"),
                    row("BMRS_N", "48.86 / 96.95 · 93.20 / 84.99 · 76.36 / 43.59"),
                    row("BMRS_U-8", "48.73 / 96.93 · 93.02 / 85.01 · 77.17 / 43.45"),
                    row("BMRS_U-4", "54.47 / 96.99 · 91.57 / 85.79 · 76.63 / 44.06"),
                ]),
                PaperTable.Block(network: "LeNet5", rows: [
                    row("None", "0.00 / 99.07 · 0.00 / 89.16 · 0.00 / 67.62"),
                    row("L2", "83.42 / 11.35 · 83.62 / 10.00 · 52.29 / 10.00"),
                    row("E[θ]", "88.29 / 51.30±41.12 · 89.71 / 50.93±33.45 · 66.19 / 65.83"),
                    row("SNR", "92.66 / 62.70±41.93 · 98.47 / 17.01±21.03 · 70.29 / 67.68"),
                    row("BMRS_N", "86.90 / 95.59 · 88.02 / 77.90 · 62.87 / 66.14"),
                    row("BMRS_U-8", "86.11 / 95.27 · 87.61 / 77.23 · 62.54 / 66.28"),
                    row("BMRS_U-4", "87.58 / 96.66 · 88.72 / 81.10 · 68.07 / 67.66"),
                ]),
            ])
    }

    // MARK: Paths

    /// The repository (or sandbox package) root: Tests/<target>/<this file> → three levels up.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let expectedSources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Expected")

    static func templates() throws -> TemplateDirectory {
        try TemplateDirectory.locate(explicitPath: packageRoot.appendingPathComponent("templates").path)
    }

    /// Compares `actual` with Expected/`name` byte for byte, or rewrites it (and fails)
    /// under `RECORD_EXPECTED=1`.
    static func expectMatchesExpected(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        if ProcessInfo.processInfo.environment["RECORD_EXPECTED"] == "1" {
            let url = expectedSources.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: expectedSources, withIntermediateDirectories: true)
            try Data(actual.utf8).write(to: url)
            Issue.record("Recorded \(url.path); rerun without RECORD_EXPECTED", sourceLocation: sourceLocation)
            return
        }
        let resources = try #require(Bundle.module.resourceURL)
        let url = resources.appendingPathComponent("Expected").appendingPathComponent(name)
        let expected = try #require(try? Data(contentsOf: url), "missing \(url.path); record with RECORD_EXPECTED=1",
                                    sourceLocation: sourceLocation)
        if expected != Data(actual.utf8) {
            let a = actual.components(separatedBy: "\n"), e = String(decoding: expected, as: UTF8.self).components(separatedBy: "\n")
            let line = zip(a, e).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, e.count)
            Issue.record("""
                \(name) differs from Expected at line \(line + 1):
                  expected: \(line < e.count ? e[line] : "<end>")
                  actual:   \(line < a.count ? a[line] : "<end>")
                (RECORD_EXPECTED=1 rewrites Expected/ after an intended change)
                """, sourceLocation: sourceLocation)
        }
    }

    // MARK: Goldens

    @Test func latexMatchesExpected() throws {
        try Self.expectMatchesExpected(render(Self.paperTable(), template: "table.tex", from: Self.templates()), "paper-table.tex")
    }

    @Test func markdownMatchesExpected() throws {
        try Self.expectMatchesExpected(render(Self.paperTable(), template: "table.md", from: Self.templates()), "paper-table.md")
    }

    @Test func csvMatchesExpected() throws {
        try Self.expectMatchesExpected(renderCSV(Self.paperTable()), "paper-table.csv")
    }

    // MARK: Bold rule by hand

    static func cell(_ compression: Double, _ accuracy: Double) -> PaperTable.Cell {
        PaperTable.Cell(compression: Summary(mean: compression, std: 0.1, count: 3),
                        accuracy: Summary(mean: accuracy, std: 0.1, count: 3))
    }

    @Test func boldRuleThreeMethods() {
        // None is best but does not prune; A has the best accuracy among pruning methods;
        // B is within 1 point of A (0.90) and compresses more; C compresses most but is 1.10 behind.
        let column = [Self.cell(0, 95.00), Self.cell(40, 90.00), Self.cell(60, 89.10), Self.cell(80, 88.90)]
        #expect(PaperTable.emphasis(column) == [
            .none,
            PaperTable.Emphasis(compression: false, accuracy: true),
            PaperTable.Emphasis(compression: true, accuracy: false),
            .none,
        ])
    }

    @Test func boldRuleTiesAndMargin() {
        // Equal as displayed (90.004 and 89.996 both show 90.00): both bold.
        #expect(PaperTable.emphasis([Self.cell(50, 90.004), Self.cell(50, 89.996)]) ==
                    Array(repeating: PaperTable.Emphasis(compression: true, accuracy: true), count: 2))
        // Exactly 1.00 behind counts as within; 1.01 behind does not.
        #expect(PaperTable.emphasis([Self.cell(10, 90.00), Self.cell(20, 89.00)]).map(\.compression) == [false, true])
        #expect(PaperTable.emphasis([Self.cell(10, 90.00), Self.cell(20, 88.99)]).map(\.compression) == [true, false])
        // Nothing prunes, or everything is missing: nothing bold.
        #expect(PaperTable.emphasis([Self.cell(0, 90), .missing]) == [.none, .none])
    }

    @Test func boldRuleOnThePaperNumbers() {
        // MLP / MNIST: best pruning accuracy BMRS_U-4 96.99; within 1 point: E[θ], SNR, BMRS_*;
        // most compression among those: SNR 58.57.
        let table = Self.paperTable()
        let mnist = PaperTable.emphasis(table.blocks[0].rows.map { $0.cells[0] })
        #expect(mnist.map(\.accuracy) == [false, false, false, false, false, false, true])
        #expect(mnist.map(\.compression) == [false, false, false, true, false, false, false])
        // LeNet5 / MNIST: BMRS_U-4 96.66 is best; BMRS_N 95.59 is 1.07 behind, so BMRS_U-4 has both.
        let lenet = PaperTable.emphasis(table.blocks[1].rows.map { $0.cells[0] })
        #expect(lenet == (0..<7).map { $0 == 6 ? PaperTable.Emphasis(compression: true, accuracy: true) : .none })
    }

    // MARK: Cells and escaping

    @Test func latexEscaping() {
        #expect(TableEscaping.latex("BMRS_U-8") == "BMRS\\_U-8")
        #expect(TableEscaping.latex("a_b%c&d#e$f") == "a\\_b\\%c\\&d\\#e\\$f")
        #expect(TableEscaping.latex("E[θ]") == "E[$\\theta$]")
        #expect(TableEscaping.latex("[x]") == "{[}x]")
        #expect(TableEscaping.latex("{a}\\b") == "\\{a\\}\\textbackslash{}b")
        #expect(TableEscaping.markdown("BMRS_U-8 | x*") == "BMRS\\_U-8 \\| x\\*")
    }

    @Test func latexRowOfAnEscapedMethod() throws {
        let table = PaperTable(title: "t", caption: "c", datasets: ["MNIST"], blocks: [
            PaperTable.Block(network: "MLP", rows: [PaperTable.Row(method: "BMRS_U-8", cells: [Self.cell(48.73, 96.93)])]),
        ])
        let tex = try render(table, template: "table.tex", from: Self.templates())
        #expect(tex.contains("BMRS\\_U-8 & \\textbf{48.73 $\\pm$ 0.10} & \\textbf{96.93 $\\pm$ 0.10} \\\\\n"))
    }

    @Test func cellFormatting() {
        let bold = TableTemplateContext.number(Summary(mean: 93.2, std: 0.314, count: 3), bold: true)
        #expect(bold == .init(plain: "93.20 ± 0.31", tex: "\\textbf{93.20 $\\pm$ 0.31}", markdown: "**93.20 ± 0.31**"))
        // One seed: no std, even if one is stored.
        #expect(TableTemplateContext.number(Summary(mean: 93.2, std: 0.31, count: 1), bold: false).plain == "93.20")
        #expect(TableTemplateContext.number(.meanOnly(-0.001, count: 10), bold: false).plain == "0.00")
        #expect(twoDecimals(0.125) == "0.13")  // exact in binary: half away from zero
        #expect(twoDecimals(-1.5) == "-1.50")
        // An unreported (NaN) std equals another unreported one, not a reported one.
        #expect(Summary.meanOnly(52.08, count: 10) == .meanOnly(52.08, count: 10))
        #expect(Summary.meanOnly(52.08, count: 10) != Summary(mean: 52.08, std: 0, count: 10))
    }

    @Test func missingCellRendersDashes() throws {
        let table = PaperTable(title: "Missing", caption: "One run failed.", datasets: ["MNIST", "CIFAR-10"], blocks: [
            PaperTable.Block(network: "MLP", rows: [
                PaperTable.Row(method: "SNR", cells: [Self.cell(58.57, 96.92), .missing]),
                PaperTable.Row(method: "L2", cells: [Self.cell(43.11, 10.39),
                                                     PaperTable.Cell(compression: Self.cell(1, 1).compression,
                                                                     accuracy: Summary(mean: .nan, std: 0, count: 3))]),
            ]),
        ])
        let md = try render(table, template: "table.md", from: Self.templates())
        #expect(md.contains("| MLP | SNR | **58.57 ± 0.10** | **96.92 ± 0.10** | -- | -- |\n"))
        #expect(md.contains("|  | L2 | 43.11 ± 0.10 | 10.39 ± 0.10 | 1.00 ± 0.10 | -- |\n"))
        let tex = try render(table, template: "table.tex", from: Self.templates())
        #expect(tex.contains("SNR & \\textbf{58.57 $\\pm$ 0.10} & \\textbf{96.92 $\\pm$ 0.10} & -- & -- \\\\\n"))
        let csv = renderCSV(table)
        #expect(csv.contains("MLP,SNR,CIFAR-10,,,,,0\n"))
        #expect(csv.contains("MLP,L2,CIFAR-10,1.0,0.1,,,3\n"))
    }

    @Test func csvQuoting() {
        let table = PaperTable(title: "q", caption: "", datasets: ["Fashion-MNIST"], blocks: [
            PaperTable.Block(network: "MLP", rows: [
                PaperTable.Row(method: "L2, \"matched\"", cells: [Self.cell(41, 10)]),
            ]),
        ])
        #expect(renderCSV(table, lineEnding: "\r\n") ==
                    "network,method,dataset,compression_mean,compression_std,accuracy_mean,accuracy_std,seeds\r\n"
                    + #"MLP,"L2, ""matched""",Fashion-MNIST,41.0,0.1,10.0,0.1,3"# + "\r\n")
        #expect(CSV.field("a\nb") == "\"a\nb\"")
    }

    // MARK: Template lookup

    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("paper-tables-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func missingTemplatesFolderGivesAClearError() throws {
        let root = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let work = root.appendingPathComponent("a/b")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let executable = root.appendingPathComponent("bin/bmrs")
        // Without a folder the templates built into the binary are used (issue 16)…
        #expect(try TemplateDirectory.locate(currentDirectory: work, executable: executable) == .embedded)
        // …and a template that is not one of them gives the error naming every folder tried.
        do {
            _ = try TemplateDirectory.locate(requiring: "custom.mustache", currentDirectory: work, executable: executable)
            Issue.record("found a templates folder under \(root.path)")
        } catch let error as TemplateError {
            guard case let .notFound(file, searched) = error else { Issue.record("\(error)"); return }
            #expect(file == "custom.mustache")
            let root = root.standardizedFileURL.path
            #expect(Array(searched.prefix(3)) == ["\(root)/a/b/templates", "\(root)/a/templates", "\(root)/templates"])
            #expect(searched.contains("\(root)/bin/templates"))
            #expect(searched.contains("/templates"))
            #expect(Set(searched).count == searched.count)
            let message = error.description
            #expect(message.contains("Cannot find the template custom.mustache"))
            #expect(message.contains("\(root)/a/b/templates/custom.mustache"))
            #expect(message.contains("--templates"))
        }
        // An explicit folder is the only place tried.
        #expect(throws: TemplateError.notFound(file: "table.md.mustache", searched: ["\(root.standardizedFileURL.path)/nowhere"])) {
            try TemplateDirectory.locate(explicitPath: root.appendingPathComponent("nowhere").path, requiring: "table.md.mustache")
        }
    }

    @Test func templatesAreFoundAboveTheWorkingDirectoryOrTheExecutable() throws {
        let root = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let repo = root.appendingPathComponent("repo"), templates = repo.appendingPathComponent("templates")
        let work = repo.appendingPathComponent("reports/x"), elsewhere = root.appendingPathComponent("elsewhere")
        for folder in [templates, work, elsewhere] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        try Data("<<x>>".utf8).write(to: templates.appendingPathComponent("table.tex.mustache"))
        let fromWork = try TemplateDirectory.locate(currentDirectory: work, executable: nil)
        #expect(fromWork.folder?.path == templates.standardizedFileURL.path)
        let fromExecutable = try TemplateDirectory.locate(currentDirectory: elsewhere,
                                                          executable: repo.appendingPathComponent(".build/debug/bmrs"))
        #expect(fromExecutable.folder?.path == templates.standardizedFileURL.path)
        // A template missing from a found folder names the file and the folder.
        #expect(throws: TemplateError.notFound(file: "table.md.mustache", searched: [templates.standardizedFileURL.path])) {
            try render(Self.paperTable(), template: "table.md", from: fromWork)
        }
    }

    @Test func invalidTemplateNamesTheFile() throws {
        let root = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        try Data("{{#open}} never closed".utf8).write(to: root.appendingPathComponent("bad.mustache"))
        do {
            _ = try render(Self.paperTable(), template: "bad", from: TemplateDirectory(url: root))
            Issue.record("an unclosed section parsed")
        } catch let TemplateError.invalidTemplate(file, _) {
            #expect(file.hasSuffix("/bad.mustache"))
        }
    }
}
