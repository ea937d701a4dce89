import Foundation
import Rendering
import Testing
import FileOutput

/// PNG goldens: each fixture figure rendered at 100 DPI and compared by decoded pixels.
///
/// A pixel differs when a channel is off by more than `channelTolerance`; the test fails
/// when more than `maxDifferingShare` of the pixels differ (0.02 %: anti-aliasing noise
/// passes, a single changed glyph of a title does not). `RECORD_GOLDEN=1 swift test`
/// rewrites the goldens in the source tree and fails, so a re-record is never silent.
enum Golden {
    static let dpi = 100.0
    static let channelTolerance = 16
    static let maxDifferingShare = 0.0002

    /// The goldens in the source tree (written when recording).
    static let sourceDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Goldens")

    static var isRecording: Bool { ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1" }

    static func check(_ figure: any Figure, named name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let png = try figure.render(.png(dpi: dpi))
        if isRecording {
            let url = sourceDirectory.appendingPathComponent("\(name).png")
            try AtomicFile.write(png, to: url)
            Issue.record("RECORD_GOLDEN=1: recorded \(url.path) (\(png.count) bytes); run again without it to compare",
                         sourceLocation: sourceLocation)
            return
        }
        guard let url = Bundle.module.url(forResource: name, withExtension: "png", subdirectory: "Goldens") else {
            Issue.record("no golden \(name).png in the test bundle; record it with RECORD_GOLDEN=1 swift test",
                         sourceLocation: sourceLocation)
            return
        }
        let expected = try RasterImage(contentsOf: url)
        let actual = try RasterImage(png: png)
        let diff = actual.difference(from: expected, channelTolerance: channelTolerance)
        guard !diff.sizesMatch || diff.share > maxDifferingShare else { return }
        let failures = FileManager.default.temporaryDirectory.appendingPathComponent("rendering-golden-failures")
        try FileManager.default.createDirectory(at: failures, withIntermediateDirectories: true)
        let actualURL = failures.appendingPathComponent("\(name).actual.png")
        try AtomicFile.write(png, to: actualURL)
        let detail = diff.sizesMatch
            ? "\(diff.differingPixels) of \(diff.totalPixels) pixels differ (\(String(format: "%.3f", diff.share * 100)) %, cap \(maxDifferingShare * 100) %) in \(diff.boundingBox!), max channel delta \(diff.maxChannelDelta)"
            : "size \(actual.width)×\(actual.height) px, golden \(expected.width)×\(expected.height) px"
        Issue.record("\(name).png differs from its golden: \(detail). New image: \(actualURL.path); golden: \(sourceDirectory.appendingPathComponent("\(name).png").path)",
                     sourceLocation: sourceLocation)
    }
}

@Suite struct GoldenImageTests {
    @Test(arguments: FigureKind.allCases)
    func matchesGolden(kind: FigureKind) throws {
        try Golden.check(kind.figure, named: kind.rawValue)
    }

    @Test func goldensAreSmall() throws {
        let files = try FileManager.default.contentsOfDirectory(at: Golden.sourceDirectory, includingPropertiesForKeys: [.fileSizeKey])
        for f in files where f.pathExtension == "png" {
            let size = try f.resourceValues(forKeys: [.fileSizeKey]).fileSize ?? 0
            #expect(size < 150_000, "\(f.lastPathComponent) is \(size) bytes")
        }
    }
}
