import Foundation
import Rendering
import Testing

/// poppler-utils, found on PATH.
enum Poppler {
    static let tools = ["pdfinfo", "pdffonts", "pdftotext"]

    static func path(of tool: String) -> String? {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return dirs.map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var isAvailable: Bool { tools.allSatisfy { path(of: $0) != nil } }

    static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path(of: tool)!)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = Pipe()
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw RenderingError.write(path: arguments.last ?? "", reason: "\(tool) exited with \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

@Suite(.enabled(if: Poppler.isAvailable, "poppler-utils (pdfinfo, pdffonts, pdftotext) not installed: PDF structure checks skipped"))
struct PDFTests {
    @Test(arguments: FigureKind.allCases)
    func pdfHasOnePageEmbeddedFontsAndTheText(kind: FigureKind) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rendering-pdf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("\(kind.rawValue).pdf")
        try kind.figure.write(pdf: url)

        let info = try Poppler.run("pdfinfo", [url.path])
        let pages = info.split(separator: "\n").first { $0.hasPrefix("Pages:") }
        #expect(pages?.split(separator: " ").last == "1", "pdfinfo: \(info)")
        let size = kind.figure.canvasSize(measuring: CairoTextMeasurer())
        let pageSize = info.split(separator: "\n").first { $0.hasPrefix("Page size:") }?
            .split(separator: " ").compactMap { Double($0) } ?? []
        #expect(pageSize.count == 2 && abs(pageSize[0] - size.width) < 0.5 && abs(pageSize[1] - size.height) < 0.5,
                "pdfinfo page size \(pageSize), expected \(size)")

        let fonts = try Poppler.run("pdffonts", [url.path]).split(separator: "\n").dropFirst(2)
        #expect(!fonts.isEmpty, "no fonts in the PDF")
        for line in fonts {
            let columns = line.split(separator: " ")
            // From the end: object number, generation, then uni, sub, emb.
            #expect(columns.count >= 7 && columns[columns.count - 5] == "yes", "font not embedded: \(line)")
            #expect(line.contains("DejaVuSans"), "unexpected font: \(line)")
        }

        // pdftotext drops the spaces between separately placed runs: compare without spaces.
        let text = try Poppler.run("pdftotext", [url.path, "-"]).filter { !$0.isWhitespace }
        for expected in kind.expectedText {
            #expect(text.contains(expected.filter { !$0.isWhitespace }), "\"\(expected)\" missing from the \(kind) PDF text")
        }
    }
}
