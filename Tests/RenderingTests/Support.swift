import Foundation
import Rendering
import Testing

/// The fixture figure of each kind, for tests that run over all kinds.
enum FigureKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case heatmap, curves, precision, knee, table

    var figure: any Figure {
        switch self {
        case .heatmap: return Fixtures.heatmap
        case .curves: return Fixtures.curves
        case .precision: return Fixtures.precision
        case .knee: return Fixtures.knee
        case .table: return Fixtures.table
        }
    }

    /// Strings the rendered text must contain (compared with spaces removed).
    var expectedText: [String] {
        switch self {
        case .heatmap: return ["Spearman rank correlation", "seeds 0–9", "BMRS_U-8", "E[θ]", "0.86", "0.47", "1.00", "Spearman ρ"]
        case .curves: return ["Post-training pruning — MNIST, MLP", "Test accuracy (%)", "Parameter compression (%)",
                              "BMRS_U-4", "E[θ]", "mean ± 1 std", "Zoom (dashed box)"]
        case .precision: return ["Bit precision p", "Param. compression (%)", "Test accuracy (%)", "BMRS_N", "MNIST, MLP", "16"]
        case .knee: return ["Pareto front", "knee (65.0, 96.9)", "d = 6.15", "Knee", "SNR"]
        case .table: return ["Table 1", "Fashion-MNIST", "CIFAR-10", "Comp. (%)", "Acc. (%)", "LeNet5",
                             "93.20 ± 0.31", "51.30 ± 41.12", "BMRS_U-8"]
        }
    }

    var testDescription: String { rawValue }
}

/// Asserts the layout rules every figure keeps: no text box overlaps another, every
/// text box lies inside the page.
func expectCleanLayout(_ canvas: RecordingCanvas, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let overlaps = canvas.overlappingTexts()
    #expect(overlaps.isEmpty, "\(what): overlapping text boxes: \(overlaps.prefix(5).map { "\"\($0.0.string)\" \($0.0.bounds) × \"\($0.1.string)\" \($0.1.bounds)" })",
            sourceLocation: sourceLocation)
    let outside = canvas.textsOutsidePage()
    #expect(outside.isEmpty, "\(what): text outside the \(canvas.size) page: \(outside.prefix(5).map { "\"\($0.string)\" \($0.bounds)" })",
            sourceLocation: sourceLocation)
}

/// Every non-text command's points lie on the page (a little slack for line caps).
func expectDrawingOnPage(_ canvas: RecordingCanvas, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let page = canvas.pageRect
    let off = canvas.commands.filter { c in
        if case .text = c.kind { return false }
        // Clipped drawing may leave the page; what shows is inside the clip, checked elsewhere.
        if c.clip != nil { return false }
        return c.points.contains { !page.contains($0, tolerance: 1) }
    }
    #expect(off.isEmpty, "\(what): drawing off the page: \(off.prefix(3).map { "\($0.groups) \($0.kind)" })",
            sourceLocation: sourceLocation)
}

func expectNiceTicks(_ ticks: [Double], cover range: ClosedRange<Double>, _ what: String,
                     sourceLocation: SourceLocation = #_sourceLocation) {
    guard ticks.count >= 2 else {
        Issue.record("\(what): fewer than 2 ticks: \(ticks)", sourceLocation: sourceLocation)
        return
    }
    let step = ticks[1] - ticks[0]
    #expect(NiceTicks.isNiceStep(step), "\(what): step \(step) is not 1, 2 or 5 × 10^k", sourceLocation: sourceLocation)
    for (a, b) in zip(ticks, ticks.dropFirst()) {
        #expect(abs((b - a) - step) <= 1e-9 * max(1, abs(step)), "\(what): uneven ticks \(ticks)", sourceLocation: sourceLocation)
    }
    for t in ticks {
        let k = t / step
        #expect(abs(k - k.rounded()) < 1e-6, "\(what): tick \(t) is not a multiple of \(step)", sourceLocation: sourceLocation)
    }
    #expect(ticks.first! <= range.lowerBound + 1e-9 && ticks.last! >= range.upperBound - 1e-9,
            "\(what): ticks \(ticks) do not cover \(range)", sourceLocation: sourceLocation)
}

/// Many methods with long names, for stress layouts.
enum Stress {
    static let names: [String] = [
        "BMRS_U-8 (matched, released)", "BMRS_U-4 (matched, released)", "BMRS_N (released code, 10 seeds)",
        "E[θ] magnitude threshold", "SNR threshold (Neklyudov et al.)", "L2 norm of incoming weights",
        "Random pruning baseline", "BMRS_U-2 (ours)", "BMRS_U-16 (ours)", "BMRS_N (ours, sum KL)",
        "Optimal brain damage (diag.)", "Movement pruning (fine-tuned)",
    ]

    static var series: [CurveSeries] {
        names.enumerated().map { i, name in
            CurveSeries(name: name, points: Fixtures.curve(center: 40 + Double(i) * 4, width: 4 + Double(i % 3)))
        }
    }

    static var endPoints: [CurveEndPoint] {
        (0..<3).map { i in
            CurveEndPoint(name: names[i], xMean: 45 + Double(i) * 4, xStd: 1, yMean: 96.5 + Double(i) * 0.2, yStd: 0.2)
        }
    }
}
