import Foundation
import Testing
@testable import Reporting

/// The templates built into the binary are the repository's `templates/`, byte for byte
/// (rerun scripts/embed-templates.py after editing one), and render without the folder.
@Suite struct EmbeddedTemplatesTests {
    static let repositoryTemplates = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("templates")

    @Test func embeddedTemplatesAreTheRepositorysTemplates() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.repositoryTemplates.path)
            .filter { $0.hasSuffix(".mustache") }.sorted()
        #expect(EmbeddedTemplates.files.keys.sorted() == names)
        for name in names {
            let text = try String(contentsOf: Self.repositoryTemplates.appendingPathComponent(name), encoding: .utf8)
            #expect(EmbeddedTemplates.files[name] == text, "\(name) differs: run scripts/embed-templates.py")
        }
    }

    @Test func embeddedTemplatesRenderLikeTheFolder() throws {
        let table = PaperTableTests.paperTable()
        for name in ["table.tex", "table.md"] {
            #expect(try render(table, template: name, from: .embedded)
                    == render(table, template: name, from: TemplateDirectory(url: Self.repositoryTemplates)))
        }
    }
}
