import Foundation
import Analysis

/// A table cell's number is an `Analysis.Summary`: mean ± std over seeds (SPEC §6), with
/// the display rules below.
///
/// - `std` is the population std (ddof 0), as in the paper's code. `std.isNaN` means
///   "not reported" (the paper gives no std for most of its cells, SPEC §7): tables then
///   show the mean alone, as they do for a single seed.
/// - `count` is the number of seeds behind the mean; `count == 0` means the result is
///   missing (every run failed or was never run) and tables show `--`.
extension Summary {
    /// A missing result: renders as `--`, never bold.
    public static let missing = Summary(mean: 0, std: 0, count: 0)

    /// A mean over `count` seeds whose std was not reported (renders without `± std`).
    public static func meanOnly(_ mean: Double, count: Int) -> Summary {
        Summary(mean: mean, std: .nan, count: count)
    }

    /// Missing means no seeds, or a mean that is not a finite number.
    public var isMissing: Bool { count <= 0 || !mean.isFinite }

    /// Whether a table shows `± std`: at least two seeds and a reported, finite std.
    public var showsStd: Bool { !isMissing && count > 1 && std.isFinite }

    /// The cell as the table figure and the comparison tables print it ("93.20 ± 0.31",
    /// "--" when missing), rounded by `String(format:)`. The templates' cells round through
    /// ``twoDecimals(_:)`` instead, which differs at exact ties (0.125): the two are kept as
    /// they are, so that reports stay byte-identical.
    var cellText: String {
        if isMissing { return "--" }
        return showsStd ? String(format: "%.2f ± %.2f", mean, std) : String(format: "%.2f", mean)
    }
}

/// The paper's results table (SPEC §6–7) as plain values: for each network (a block of
/// rows) × method (a row) × data set (a column group), parameter compression % and test
/// accuracy %, each a mean ± std over seeds.
///
/// Bold rule (``PaperTable/emphasis(_:)``, stated in ``PaperTable/boldRule``): within each
/// block and data set, the highest mean accuracy among methods whose mean compression is
/// > 0 is bold, and the highest mean compression among those methods that lie within 1
/// accuracy point of that best accuracy is bold; ties are all bold. Comparisons use the
/// values as displayed (rounded to 2 decimals), so a reader can check the bold from the
/// table itself.
///
/// Render it with ``render(_:template:from:)`` (LaTeX, Markdown templates) or
/// ``renderCSV(_:lineEnding:)``.
public struct PaperTable: Sendable {
    /// Short title, e.g. "Fashion-MNIST, 3 seeds, continuous pruning".
    public var title: String
    /// Caption: protocol, std convention, what `None` means; see
    /// ``PaperTable/caption(protocol:seeds:note:)``.
    public var caption: String
    /// Column groups, in order, e.g. `["MNIST", "Fashion-MNIST", "CIFAR-10"]`.
    public var datasets: [String]
    /// One block per network, in order.
    public var blocks: [Block]

    /// The rows of one network ("MLP", "LeNet5").
    public struct Block: Sendable {
        public var network: String
        public var rows: [Row]
        public init(network: String, rows: [Row]) {
            self.network = network
            self.rows = rows
        }
    }

    /// One method; `cells.count == datasets.count`, in the order of `datasets`.
    public struct Row: Sendable {
        public var method: String
        public var cells: [Cell]
        public init(method: String, cells: [Cell]) {
            self.method = method
            self.cells = cells
        }
    }

    /// One method on one data set: parameter compression % and test accuracy %.
    public struct Cell: Sendable {
        public var compression: Summary
        public var accuracy: Summary
        public init(compression: Summary, accuracy: Summary) {
            self.compression = compression
            self.accuracy = accuracy
        }
        /// A cell with neither number (renders `--` twice).
        public static let missing = Cell(compression: .missing, accuracy: .missing)
    }

    /// Which numbers of a cell are bold.
    public struct Emphasis: Sendable, Equatable {
        public var compression: Bool
        public var accuracy: Bool
        public init(compression: Bool, accuracy: Bool) {
            self.compression = compression
            self.accuracy = accuracy
        }
        public static let none = Emphasis(compression: false, accuracy: false)
    }

    public init(title: String, caption: String, datasets: [String], blocks: [Block]) {
        self.title = title
        self.caption = caption
        self.datasets = datasets
        self.blocks = blocks
    }

    /// The bold rule in words, for captions.
    public static let boldRule =
        "Bold, per network and data set: the highest accuracy among methods that prune (compression > 0), "
        + "and the highest compression among those within 1 accuracy point of it (ties all bold)."

    /// A caption stating the protocol, the std convention and the bold rule, e.g.
    /// `caption(protocol: "continuous pruning", seeds: 3)`. `note` is appended as is.
    public static func caption(protocol description: String, seeds: Int, note: String? = nil) -> String {
        let seedText = seeds == 1 ? "1 seed" : "\(seeds) seeds"
        var parts = [
            "Parameter compression (Comp., %) and test accuracy (Acc., %), mean ± std over \(seedText) "
                + "(population std, ddof 0; no std for a single seed; -- for a missing result).",
            "Protocol: \(description).",
            "None = plain training, no pruning.",
            boldRule,
        ]
        if let note, !note.isEmpty { parts.append(note) }
        return parts.joined(separator: " ")
    }

    /// The bold rule (see the type's documentation) applied to one column: the cells of
    /// one block's rows on one data set, in row order. Returns one ``Emphasis`` per cell.
    ///
    /// A cell takes part only when both its numbers are present and its displayed
    /// compression is above 0.00; `None` (compression 0) and missing cells are never bold.
    public static func emphasis(_ column: [Cell]) -> [Emphasis] {
        // Integer hundredths = the numbers as displayed, so ties and the 1-point margin are exact.
        let candidates: [(index: Int, compression: Int, accuracy: Int)] = column.indices.compactMap { i in
            let c = column[i]
            guard !c.compression.isMissing, !c.accuracy.isMissing else { return nil }
            let compression = hundredths(c.compression.mean), accuracy = hundredths(c.accuracy.mean)
            return compression > 0 ? (i, compression, accuracy) : nil
        }
        var result = Array(repeating: Emphasis.none, count: column.count)
        guard let bestAccuracy = candidates.map(\.accuracy).max() else { return result }
        let close = candidates.filter { bestAccuracy - $0.accuracy <= 100 }
        let bestCompression = close.map(\.compression).max()!  // `close` holds the best itself
        for c in candidates where c.accuracy == bestAccuracy { result[c.index].accuracy = true }
        for c in close where c.compression == bestCompression { result[c.index].compression = true }
        return result
    }

    /// `emphasis(_:)` for every cell: `[block][row][dataset]`.
    public func emphasis() -> [[[Emphasis]]] {
        blocks.map { block in
            for row in block.rows {
                precondition(row.cells.count == datasets.count,
                             "\(block.network)/\(row.method): \(row.cells.count) cells for \(datasets.count) data sets")
            }
            let columns = datasets.indices.map { d in PaperTable.emphasis(block.rows.map { $0.cells[d] }) }
            return block.rows.indices.map { r in datasets.indices.map { d in columns[d][r] } }
        }
    }
}

/// A value rounded to integer hundredths, the table's 2 displayed decimals
/// (finite values only; callers check `isMissing` first). Clamped so that no finite
/// value can overflow `Int`.
func hundredths(_ x: Double) -> Int {
    Int(min(max(x * 100, -1e15), 1e15).rounded())
}

/// `x` with exactly 2 decimals, from the same rounding as ``hundredths(_:)`` (never "-0.00").
func twoDecimals(_ x: Double) -> String {
    let h = hundredths(x)
    let magnitude = h.magnitude
    let fraction = magnitude % 100
    return (h < 0 ? "-" : "") + "\(magnitude / 100)." + (fraction < 10 ? "0" : "") + "\(fraction)"
}
