import Foundation
import Rendering
import Testing
import FileOutput

@Suite struct TextGeometryTests {
    let extent = TextExtent(width: 40, ascent: 8, descent: 2)

    @Test func unrotatedAnchorsPlaceTheBox() {
        let p = Point(x: 100, y: 50)
        let topLeading = TextPlacement(extent: extent, at: p, anchor: .topLeading, rotation: 0).bounds
        #expect(topLeading == Rect(x: 100, y: 50, width: 40, height: 10))
        let center = TextPlacement(extent: extent, at: p, anchor: .center, rotation: 0).bounds
        #expect(center == Rect(x: 80, y: 45, width: 40, height: 10))
        let trailingBaseline = TextPlacement(extent: extent, at: p, anchor: TextAnchor(.trailing, .baseline), rotation: 0).bounds
        #expect(trailingBaseline == Rect(x: 60, y: 42, width: 40, height: 10))
        let bottom = TextPlacement(extent: extent, at: p, anchor: .bottomCenter, rotation: 0).bounds
        #expect(bottom == Rect(x: 80, y: 40, width: 40, height: 10))
    }

    @Test func rotationIsCounterClockwiseOnThePage() {
        // 90°: the text reads bottom to top, so the run extends upwards from a leading anchor.
        let box = TextPlacement(extent: extent, at: Point(x: 0, y: 100), anchor: TextAnchor(.leading, .top), rotation: 90).bounds
        #expect(abs(box.minY - 60) < 1e-9 && abs(box.maxY - 100) < 1e-9)
        #expect(abs(box.minX - 0) < 1e-9 && abs(box.maxX - 10) < 1e-9)
        let diagonal = TextPlacement(extent: extent, at: .zero, anchor: TextAnchor(.leading, .baseline), rotation: 45)
        let end = diagonal.corners[1]  // end of the ascender line: up and to the right
        #expect(end.x > 0 && end.y < 0)
    }

    @Test func polygonOverlapUsesRotatedBoxes() {
        let a = TextPlacement(extent: extent, at: Point(x: 0, y: 0), anchor: .topLeading, rotation: 45)
        let b = TextPlacement(extent: extent, at: Point(x: 12, y: 12), anchor: .topLeading, rotation: 45)
        // Parallel diagonal runs: the bounding boxes overlap, the boxes themselves do not.
        #expect(a.bounds.intersects(b.bounds))
        #expect(!convexPolygonsOverlap(a.corners, b.corners))
        let c = TextPlacement(extent: extent, at: Point(x: 3, y: 1), anchor: .topLeading, rotation: 45)
        #expect(convexPolygonsOverlap(a.corners, c.corners))
    }
}

@Suite struct NiceTickTests {
    @Test(arguments: [(0.0, 100.0), (10.39, 97.43), (96.4, 97.6), (-1.0, 1.0), (0.0, 1.0), (0.001, 0.0042),
                      (-37.0, 12.0), (5.0, 5.0), (0.0, 0.0), (1234.0, 98765.0), (2.0, 16.0)])
    func ticksAreNiceAndCoverTheRange(lo: Double, hi: Double) {
        for target in 2...8 {
            let ticks = NiceTicks(covering: lo, hi, targetCount: target)
            expectNiceTicks(ticks.values, cover: lo...hi, "[\(lo), \(hi)] target \(target)")
            #expect(ticks.values.count <= target + 2, "too many ticks \(ticks.values) for target \(target)")
            #expect(Set(ticks.labels).count == ticks.labels.count, "labels must differ: \(ticks.labels)")
        }
    }

    @Test func typicalAxes() {
        #expect(NiceTicks(covering: 0, 100).values == [0, 20, 40, 60, 80, 100])
        #expect(NiceTicks(covering: -1, 1, targetCount: 5).values == [-1, -0.5, 0, 0.5, 1])
        #expect(NiceTicks(covering: 0, 1).labels == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        #expect(NiceTicks(covering: -1, 1, targetCount: 5).labels.first == "\u{2212}1.0")
    }

    @Test func niceStepRecognition() {
        for s in [1.0, 2, 5, 10, 0.2, 0.05, 2000] { #expect(NiceTicks.isNiceStep(s), "\(s)") }
        for s in [3.0, 0.25, 15, 0, -1, .nan] { #expect(!NiceTicks.isNiceStep(s), "\(s)") }
    }
}

@Suite struct ColorAndTextTests {
    @Test func viridisEndsAndMonotoneLuminance() {
        let v = ColorMap.viridis
        #expect(v.color(at: 0).description == "#440154")
        #expect(v.color(at: 1).description == "#FDE725")
        #expect(v.color(at: -3) == v.color(at: 0) && v.color(at: 7) == v.color(at: 1))
        var last = -1.0
        for i in 0...100 {
            let l = v.color(at: Double(i) / 100).relativeLuminance
            #expect(l > last, "viridis luminance must increase (at \(i)%)")
            last = l
        }
        #expect(v.color(for: 0.5, in: 0...1) == v.color(at: 0.5))
        #expect(v.color(for: 0, in: -1...1) == v.color(at: 0.5))
    }

    @Test func contrastingTextPicksTheBetterOfBlackAndWhite() {
        #expect(ColorMap.viridis.color(at: 0).contrastingTextColor == .white)
        #expect(ColorMap.viridis.color(at: 1).contrastingTextColor == .black)
        for i in 0...20 {
            let c = ColorMap.viridis.color(at: Double(i) / 20)
            let text = c.contrastingTextColor
            #expect(c.contrastRatio(with: text) >= 4.5, "contrast \(c.contrastRatio(with: text)) on \(c)")
            #expect(c.contrastRatio(with: text) >= c.contrastRatio(with: text == .black ? .white : .black))
        }
        #expect(abs(Color.white.contrastRatio(with: .black) - 21) < 1e-9)
    }

    @Test func okabeItoPaletteAndSeriesStylesAreDistinct() {
        #expect(Set(OkabeIto.lineColors).count == 7)
        #expect(!OkabeIto.lineColors.contains(OkabeIto.yellow))
        let styles = (0..<35).map { SeriesStyle.automatic($0) }
        let pairs = Set(styles.map { "\($0.color)|\($0.dash.segments)" })
        #expect(pairs.count == 35)
    }

    @Test func numbersUseATrueMinusAndNoNegativeZero() {
        #expect(NumberText.fixed(-0.123, decimals: 2) == "\u{2212}0.12")
        #expect(NumberText.fixed(-0.001, decimals: 2) == "0.00")
        #expect(NumberText.fixed(0.86, decimals: 2) == "0.86")
        #expect(NumberText.fixed(.nan, decimals: 2) == "n/a")
        #expect(NumberText.fixed(12, decimals: 0) == "12")
    }
}

@Suite struct CairoCanvasTests {
    @Test func recordingAndCairoMeasureAlike() throws {
        let cairo = try CairoCanvas(size: Size(width: 100, height: 100), format: .png(dpi: 300))
        let recording = RecordingCanvas(size: Size(width: 100, height: 100))
        for text in ["BMRS_U-8 (matched, released)", "E[θ] ± σ", "0.86"] {
            for font in [Font(size: 8), Font(size: 10, weight: .bold)] {
                #expect(cairo.measure(text, font: font) == recording.measure(text, font: font))
            }
        }
        let e = recording.measure("Hg", font: Font(size: 10))
        #expect(e.width > 10 && e.width < 20 && e.ascent > 8 && e.ascent < 11 && e.descent > 1.5 && e.descent < 3.5)
        #expect(recording.measure("WWW", font: Font(size: 10)).width > recording.measure("iii", font: Font(size: 10)).width)
    }

    @Test func pngHasTheRequestedResolution() throws {
        let canvas = try CairoCanvas(size: Size(width: 72, height: 36), format: .png(dpi: 150))
        canvas.fillRect(Rect(x: 0, y: 0, width: 36, height: 36), color: .black)
        let image = try RasterImage(png: try canvas.encoded())
        #expect(image.width == 150 && image.height == 75)
        #expect(image.pixels[10 * 150 + 10] == 0xFF00_0000)
        #expect(image.pixels[10 * 150 + 140] == 0xFFFF_FFFF)
        #expect(throws: RenderingError.finished) { _ = try canvas.encoded() }
    }

    @Test func pdfIsVectorWithOnePage() throws {
        let canvas = try CairoCanvas(size: Size(width: 200, height: 100), format: .pdf, title: "t")
        canvas.drawText("Hello ± 1", at: Point(x: 10, y: 10), font: Font(size: 10))
        let bytes = try canvas.encoded()
        let text = String(decoding: bytes.prefix(8), as: UTF8.self)
        #expect(text.hasPrefix("%PDF-"))
        #expect(String(decoding: bytes, as: UTF8.self).contains("/Type /Page"))
    }

    @Test func atomicWriteReplacesAndLeavesNoTemporaryFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rendering-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("figure.png")
        try AtomicFile.write([1, 2, 3], to: url)
        try AtomicFile.write([4, 5], to: url)
        #expect(try Data(contentsOf: url) == Data([4, 5]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["figure.png"])

        // A directory that cannot be made (a file is in the way): the error names the file.
        let blocked = dir.appendingPathComponent("figure.png/figure.png")
        #expect(throws: FileWriteError.self) { try AtomicFile.write([1], to: blocked) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["figure.png"])
    }

    @Test func figureWriteProducesBothFormats() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rendering-write-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let png = dir.appendingPathComponent("h.png"), pdf = dir.appendingPathComponent("h.pdf")
        try Fixtures.heatmap.write(png: png, pdf: pdf, dpi: 72)
        let image = try RasterImage(contentsOf: png)
        let size = Fixtures.heatmap.canvasSize(measuring: CairoTextMeasurer())
        #expect(image.width == Int(size.width.rounded(.up)) && image.height == Int(size.height.rounded(.up)))
        #expect(try Data(contentsOf: pdf).prefix(5) == Data("%PDF-".utf8))
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)) == ["h.png", "h.pdf"])
    }
}

@Suite struct RecordingCanvasTests {
    @Test func recordsGroupsAndClips() {
        let canvas = RecordingCanvas(size: Size(width: 100, height: 100))
        canvas.group("outer") {
            canvas.withClip(Rect(x: 10, y: 10, width: 50, height: 50)) {
                canvas.group("inner") {
                    canvas.withClip(Rect(x: 30, y: 0, width: 100, height: 40)) {
                        canvas.strokeLine(from: .zero, to: Point(x: 5, y: 5), style: StrokeStyle(color: .black))
                    }
                }
            }
            canvas.drawText("x", at: Point(x: 1, y: 1), font: Font(size: 8))
        }
        let line = canvas.commands.first { if case .line = $0.kind { return true } else { return false } }!
        #expect(line.groups == ["outer", "inner"])
        #expect(line.clip == Rect(x: 30, y: 10, width: 30, height: 30))
        #expect(canvas.texts(in: "outer").map(\.string) == ["x"])
        #expect(canvas.texts(in: "inner").isEmpty)
        #expect(canvas.commands.last?.clip == nil)
    }
}

@Suite struct RasterImageTests {
    @Test func differenceReportsCountAndBoundingBox() throws {
        func render(_ dx: Double) throws -> RasterImage {
            let c = try CairoCanvas(size: Size(width: 72, height: 72), format: .png(dpi: 72))
            c.fillRect(Rect(x: 10 + dx, y: 20, width: 5, height: 4), color: .black)
            return try RasterImage(png: try c.encoded())
        }
        let a = try render(0), b = try render(30)
        #expect(a.difference(from: a, channelTolerance: 0).differingPixels == 0)
        let d = a.difference(from: b, channelTolerance: 16)
        #expect(d.sizesMatch && d.differingPixels == 40)
        #expect(d.boundingBox == PixelBox(minX: 10, minY: 20, maxX: 44, maxY: 23))
        #expect(d.maxChannelDelta == 255)
        let small = try CairoCanvas(size: Size(width: 10, height: 10), format: .png(dpi: 72)).encoded()
        #expect(!a.difference(from: try RasterImage(png: small), channelTolerance: 16).sizesMatch)
        #expect(throws: RenderingError.self) { _ = try RasterImage(png: [1, 2, 3]) }
    }
}
