import Foundation
import Rendering

/// Hand-made fixtures shaped like the paper's MLP / MNIST results (SPEC §7); fixed values,
/// no randomness, so goldens are reproducible.
enum Fixtures {
    static let criteria = ["L2", "E[θ]", "SNR", "BMRS_N", "BMRS_U-8", "BMRS_U-4"]

    /// SPEC §7 rank correlations, in `criteria` order (E[θ] and SNR correlate 1.00).
    static let correlation: [[Double]] = {
        let pairs: [String: Double] = [
            "SNR|E[θ]": 1.00, "SNR|L2": 0.86, "SNR|BMRS_N": 0.95, "SNR|BMRS_U-8": 0.47, "SNR|BMRS_U-4": 0.27,
            "L2|BMRS_N": 0.81, "L2|BMRS_U-8": 0.33, "L2|BMRS_U-4": 0.21, "BMRS_N|BMRS_U-8": 0.49,
            "BMRS_N|BMRS_U-4": 0.32, "BMRS_U-8|BMRS_U-4": 0.80,
            "L2|E[θ]": 0.86, "E[θ]|BMRS_N": 0.95, "E[θ]|BMRS_U-8": 0.47, "E[θ]|BMRS_U-4": 0.27,
        ]
        return criteria.map { a in
            criteria.map { b in a == b ? 1 : (pairs["\(a)|\(b)"] ?? pairs["\(b)|\(a)"]!) }
        }
    }()

    static let heatmap = CorrelationHeatmap(
        labels: criteria, matrix: correlation,
        title: "Spearman rank correlation of pruning scores — MNIST, MLP, seeds 0–9")

    /// A logistic accuracy drop: flat near `top`, falling to chance (10 %) around `center`.
    static func curve(center: Double, width: Double, top: Double = 97.4, stop: Double = 100) -> [CurvePoint] {
        stride(from: 0.0, through: stop, by: stop / 40).map { x in
            let z = (x - center) / width
            let mean = 10 + (top - 10) / (1 + exp(z))
            return CurvePoint(x: x, mean: mean, std: 0.15 + 6 * exp(-z * z))
        }
    }

    static let series: [CurveSeries] = [
        CurveSeries(name: "L2", points: curve(center: 38, width: 6)),
        CurveSeries(name: "E[θ]", points: curve(center: 78, width: 5)),
        CurveSeries(name: "SNR", points: curve(center: 82, width: 4)),
        CurveSeries(name: "BMRS_N", points: curve(center: 80, width: 5, stop: 48.86)),
        CurveSeries(name: "BMRS_U-8", points: curve(center: 80, width: 5, stop: 48.73)),
        CurveSeries(name: "BMRS_U-4", points: curve(center: 80, width: 5, stop: 54.47)),
    ]

    static let endPoints: [CurveEndPoint] = [
        CurveEndPoint(name: "BMRS_N", xMean: 48.86, xStd: 0.9, yMean: 96.95, yStd: 0.12),
        CurveEndPoint(name: "BMRS_U-8", xMean: 48.73, xStd: 1.1, yMean: 96.93, yStd: 0.15),
        CurveEndPoint(name: "BMRS_U-4", xMean: 54.47, xStd: 1.3, yMean: 96.99, yStd: 0.10),
    ]

    static let curves = CompressionCurveFigure(
        series: series, endPoints: endPoints,
        title: "Post-training pruning — MNIST, MLP, seeds 0–9",
        subtitle: "mean ± 1 std over seeds; markers: thresholdless BMRS end points",
        zoom: ZoomPanel())
}

extension Fixtures {
    static func interval(_ mean: Double, _ half: Double) -> IntervalEstimate {
        IntervalEstimate(mean: mean, lower: mean - half, upper: mean + half)
    }

    static let precision = PrecisionFigure(
        series: [
            PrecisionSeries(name: "MNIST, MLP", points: [
                PrecisionPoint(precision: 2, compression: interval(58.1, 1.4), accuracy: interval(96.80, 0.12)),
                PrecisionPoint(precision: 4, compression: interval(54.5, 1.1), accuracy: interval(96.99, 0.08)),
                PrecisionPoint(precision: 6, compression: interval(51.2, 1.0), accuracy: interval(96.97, 0.09)),
                PrecisionPoint(precision: 8, compression: interval(48.7, 0.9), accuracy: interval(96.93, 0.10)),
                PrecisionPoint(precision: 12, compression: interval(44.9, 1.2), accuracy: interval(96.95, 0.09)),
                PrecisionPoint(precision: 16, compression: interval(41.3, 1.5), accuracy: interval(96.96, 0.11)),
            ]),
        ],
        references: [ReferenceLevel(name: "BMRS_N", compression: 48.86, accuracy: 96.95)],
        title: "BMRS_U-p against bit precision — MNIST, MLP, seeds 0–9",
        subtitle: "mean with 95 % interval over seeds")

    static let knee = KneeFigure(
        series: Array(series.prefix(3)),
        front: [DataPoint(x: 0, y: 97.45), DataPoint(x: 40, y: 97.4), DataPoint(x: 55, y: 97.3),
                DataPoint(x: 65, y: 96.9), DataPoint(x: 72, y: 95.1), DataPoint(x: 78, y: 90.0),
                DataPoint(x: 85, y: 60.0), DataPoint(x: 92, y: 20.0), DataPoint(x: 100, y: 10.0)],
        knees: [KneePoint(label: "knee (65.0, 96.9)", x: 65, y: 96.9)],
        endPoints: endPoints,
        title: "Pareto front and knee — MNIST, MLP, seeds 0–9",
        subtitle: "dotted: distance of each thresholdless end point to its nearest front point")

    /// SPEC §7 MLP block and a LeNet5 block; stds made up where the paper omits them.
    static let table = TableFigure(
        groups: ["MNIST", "Fashion-MNIST", "CIFAR-10"],
        blocks: [
            TableBlock(label: "MLP", rows: [
                TableRow(method: "None", cells: ["0.00", "97.43 ± 0.14", "0.00", "88.17 ± 0.20", "0.00", "44.94 ± 0.40"]),
                TableRow(method: "L2", cells: ["43.11 ± 2.10", "10.39 ± 0.62", "87.86 ± 1.02", "18.23 ± 8.31", "42.89 ± 3.30", "10.00 ± 0.00"]),
                TableRow(method: "E[θ]", cells: ["52.08 ± 0.51", "96.88 ± 0.15", "91.76 ± 0.33", "85.59 ± 0.41", "77.99 ± 0.62", "43.39 ± 0.55"]),
                TableRow(method: "SNR", cells: ["58.57 ± 0.44", "96.92 ± 0.13", "99.83 ± 0.02", "10.00 ± 0.00", "75.93 ± 0.71", "43.97 ± 0.48"]),
                TableRow(method: "BMRS_N", cells: ["48.86 ± 0.52", "96.95 ± 0.12", "93.20 ± 0.31", "84.99 ± 0.36", "76.36 ± 0.66", "43.59 ± 0.51"]),
                TableRow(method: "BMRS_U-8", cells: ["48.73 ± 0.61", "96.93 ± 0.15", "93.02 ± 0.29", "85.01 ± 0.44", "77.17 ± 0.58", "43.45 ± 0.47"]),
                TableRow(method: "BMRS_U-4", cells: ["54.47 ± 0.57", "96.99 ± 0.10", "91.57 ± 0.35", "85.79 ± 0.39", "76.63 ± 0.60", "44.06 ± 0.42"]),
            ]),
            TableBlock(label: "LeNet5", rows: [
                TableRow(method: "None", cells: ["0.00", "99.07 ± 0.05", "0.00", "89.16 ± 0.21", "0.00", "67.62 ± 0.55"]),
                TableRow(method: "E[θ]", cells: ["88.29 ± 1.20", "51.30 ± 41.12", "89.71 ± 0.90", "50.93 ± 33.45", "66.19 ± 1.10", "65.83 ± 0.80"]),
                TableRow(method: "BMRS_U-4", cells: ["87.58 ± 0.70", "96.66 ± 0.41", "88.72 ± 0.62", "81.10 ± 1.30", "68.07 ± 0.95", "67.66 ± 0.61"]),
            ]),
        ],
        bold: [TableCellIndex(block: 0, row: 6, column: 1), TableCellIndex(block: 0, row: 4, column: 2),
               TableCellIndex(block: 1, row: 2, column: 1)],
        title: "Table 1: Parameter compression and test accuracy (mean ± std over 10 seeds)")
}
