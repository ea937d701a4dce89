import ArgumentParser
import Datasets
import Foundation
import NeuralCore
import BayesianPruning
import Experiments
import FileOutput
import NoiseStatistics

extension DatasetName: ExpressibleByArgument {}
extension NetworkSpec.Kind: ExpressibleByArgument {}
extension PruningMethod: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    public static var allValueStrings: [String] { ["none", "plain", "l2", "etheta", "snr", "bmrs-n", "bmrs-n-released", "bmrs-u-8", "bmrs-u-4", "bmrs-u-<p>"] }
}
extension ProtocolVariant: ExpressibleByArgument {}
extension BMRSNConstant: ExpressibleByArgument {}
extension KLAveraging: ExpressibleByArgument {}
extension ReportedModel: ExpressibleByArgument {}
extension CurveProtocol: ExpressibleByArgument {}

/// Where data sets are looked for (`--data-dir`, BMRS_DATA_DIR, the per-user cache,
/// Debian's path, ./data) and whether their decoded tensors are cached.
struct DataOptions: ParsableArguments {
    @Option(help: "Directory holding the data sets, searched first; `bmrs data fetch` installs there (else $BMRS_DATA_DIR, else ~/.cache/bmrs/datasets; Fashion-MNIST also from /usr/share/datasets/fashion-mnist).")
    var dataDir: String?
    @Flag(help: "Decode the data set from its files every time, without the decoded-data cache (~/.cache/bmrs/decoded; also BMRS_DECODED_CACHE=off).")
    var noDecodedCache = false

    var locator: DataLocator {
        let environment = ProcessInfo.processInfo.environment
        var locator = DataLocator(dataDirectory: dataDir, environment: environment)
        if !noDecodedCache { locator.decodedCache = DecodedCache.standard(environment: environment, log: { printErr($0) }) }
        return locator
    }
}

/// Writes a progress bar with rate and ETA to stderr when it is a terminal, plain
/// lines (one per epoch) otherwise.
struct ProgressPrinter {
    let interactive = isatty(2) == 1
    let batchSize: Int
    var epochStart = Date()
    var lastWidth = 0

    init(batchSize: Int) { self.batchSize = batchSize }

    mutating func handle(_ event: TrainingEvent) {
        switch event {
        case let .epochStarted(epoch, total, _):
            epochStart = Date()
            if !interactive { printErr("epoch \(epoch)/\(total) started") }
        case let .step(epoch, step, steps, loss):
            guard interactive else { return }
            let elapsed = Date().timeIntervalSince(epochStart)
            let rate = Double(step * batchSize) / max(elapsed, 1e-9)
            let eta = elapsed / Double(step) * Double(steps - step)
            let width = 24, filled = width * step / steps
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            let line = "epoch \(epoch) [\(bar)] \(step)/\(steps)  \(Int(rate)) img/s  ETA \(formatDuration(eta))  loss \(String(format: "%.4f", loss))"
            FileHandle.standardError.write(Data(("\r" + line.padding(toLength: max(lastWidth, line.count), withPad: " ", startingAt: 0)).utf8))
            lastWidth = line.count
        case let .epochFinished(record):
            if interactive { FileHandle.standardError.write(Data("\r".utf8)) }
            let line = String(format: "epoch %d  loss %.4f  (ce %.4f, kl %.4f)  val %.2f %%  %.1f s",
                              record.epoch, record.trainLoss, record.trainCrossEntropy, record.kl,
                              100 * record.valAccuracy, record.seconds)
            printErr(line.padding(toLength: max(lastWidth, line.count), withPad: " ", startingAt: 0))
            lastWidth = 0
        }
    }
}

/// Prints `value` as the project's JSON (`JSONCoding`: pretty, sorted keys, slashes
/// unescaped, non-finite numbers as strings), the one form of every JSON a command prints.
func printJSON<T: Encodable>(_ value: T, keys: JSONCoding.KeyStyle = .declared) throws {
    print(String(decoding: try JSONCoding.encoder(keys: keys).encode(value), as: UTF8.self))
}

func printErr(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}

func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
}
