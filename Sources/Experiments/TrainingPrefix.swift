import Foundation
import BayesianPruning
import NeuralCore
import NoiseStatistics
import FileOutput

/// The shared training prefix of one seed and configuration (issue 17).
///
/// Every noise-trained run of a group (`none`, each criterion, the matched runs) is
/// bit-identical to the `none` run up to the first epoch at which its own rule prunes
/// something: before that its compression steps recompute an all-keep mask and zero
/// nothing. So the `none` run is the prefix: after the steps of each compression epoch it
/// records the structure statistics its rules are computed from, and it saves its whole
/// state (`TrainerState`) at the epochs where a known method will first prune. A method
/// then finds its own first pruning epoch from the recorded statistics, resumes from the
/// latest saved state not after it, and goes on alone; a state that is missing or damaged
/// only means it trains from the start (with the same result).
///
///     runs/prefixes/<none key>/index.json         statistics per compression epoch, saved epochs
///     runs/prefixes/<none key>/epoch-<e>.state    the state after the steps of epoch e
public struct TrainingPrefix {
    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    public struct Index: Codable, Sendable {
        public var schema = "bmrs.prefix/1"
        /// The `none` run's configuration: forks must differ from it only in method and
        /// matched fraction.
        public var config: TrainingConfig
        public var epochs: [EpochStatistics]
        public var savedEpochs: [Int]
    }

    /// (μ, log σ, incoming-weight norm) of every structure after an epoch's steps.
    public struct EpochStatistics: Codable, Sendable {
        public var epoch: Int
        public var mu: [[Double]]
        public var logsigma: [[Double]]
        public var incomingNorm: [[Double]]

        init(epoch: Int, _ statistics: [[StructureStatistics]]) {
            self.epoch = epoch
            mu = statistics.map { $0.map(\.posterior.mu) }
            logsigma = statistics.map { $0.map(\.posterior.logSigma) }
            incomingNorm = statistics.map { $0.map(\.incomingNorm) }
        }

        var statistics: [[StructureStatistics]] {
            zip(zip(mu, logsigma), incomingNorm).map { pair, norms in
                zip(zip(pair.0, pair.1), norms).map { StructureStatistics(posterior: NoisePosterior(mu: $0.0, logSigma: $0.1), incomingNorm: $1) }
            }
        }
    }

    var indexURL: URL { directory.appendingPathComponent("index.json") }
    func stateURL(epoch: Int) -> URL { directory.appendingPathComponent("epoch-\(epoch).state") }

    /// The configuration of the prefix a run of `config` can fork from (nil: none, e.g.
    /// `plain`, whose noise is off, or `none` itself).
    public static func prefixConfig(of config: TrainingConfig) -> TrainingConfig? {
        guard config.method.prunes else { return nil }
        var c = config
        c.method = .none
        c.matchedPrunedFraction = nil
        return c
    }

    static func isCompressionEpoch(_ epoch: Int, _ config: TrainingConfig) -> Bool {
        epoch <= config.epochs && (epoch % config.compressEvery == 0 || epoch == config.epochs)
    }

    /// The first compression epoch at which `config`'s rule prunes something on the
    /// prefix's trajectory; the last main epoch when it never does there.
    static func firstPruningEpoch(_ config: TrainingConfig, statistics: (Int) -> [[StructureStatistics]]?) -> Int? {
        guard let criterion = config.method.criterion(config.effectiveCriteria) else { return nil }
        for epoch in 1...config.epochs where isCompressionEpoch(epoch, config) {
            guard let s = statistics(epoch) else { return nil }
            let decision = config.matchedPrunedFraction.map { PruningDecision(criterion: criterion, statistics: s, fraction: $0) }
                ?? PruningDecision(criterion: criterion, statistics: s)
            if decision.keep.contains(where: { $0.contains(false) }) { return epoch }
        }
        return config.epochs
    }

    /// Records the prefix while the `none` run trains: pass `observe` as the trainer's
    /// `afterSteps`, then `finish` once the run succeeded (before its record is saved).
    /// `forks`: the configurations known to fork from it; `extraEpochs`: states to save
    /// anyway (epoch 1 for matched runs, whose share is known only later; the epoch of
    /// the curves' model).
    public final class Recorder {
        let prefix: TrainingPrefix
        let config: TrainingConfig
        var pending: [TrainingConfig]
        let extraEpochs: Set<Int>
        var epochs: [EpochStatistics] = []
        var saved: [Int] = []

        public init(prefix: TrainingPrefix, config: TrainingConfig, forks: [TrainingConfig], extraEpochs: Set<Int>) {
            self.prefix = prefix
            self.config = config
            self.pending = forks
            self.extraEpochs = extraEpochs
        }

        public func observe(epoch: Int, network: Network, capture: () -> TrainerState) throws {
            var save = extraEpochs.contains(epoch)
            if TrainingPrefix.isCompressionEpoch(epoch, config) {
                let statistics = Structures.statistics(network)
                epochs.append(EpochStatistics(epoch: epoch, statistics))
                let forkingNow = pending.filter { fork in
                    guard let criterion = fork.method.criterion(fork.effectiveCriteria) else { return false }
                    let decision = fork.matchedPrunedFraction.map { PruningDecision(criterion: criterion, statistics: statistics, fraction: $0) }
                        ?? PruningDecision(criterion: criterion, statistics: statistics)
                    return epoch == config.epochs || decision.keep.contains(where: { $0.contains(false) })
                }
                pending.removeAll { f in forkingNow.contains(f) }
                save = save || !forkingNow.isEmpty
            }
            if save {
                try TrainerStateFile.write(capture(), to: prefix.stateURL(epoch: epoch))
                saved.append(epoch)
            }
        }

        public func finish() throws {
            try AtomicFile.writeJSON(Index(config: config, epochs: epochs, savedEpochs: saved), to: prefix.indexURL)
        }
    }

    /// The state `config` can resume from, or nil (no index, another configuration, no
    /// saved state early enough, or a damaged file: then it trains from the start).
    public func fork(for config: TrainingConfig, log: (String) -> Void = { _ in }) -> TrainerState? {
        guard let prefixConfig = TrainingPrefix.prefixConfig(of: config),
              let data = try? Data(contentsOf: indexURL),
              let index = try? JSONCoding.decoder().decode(Index.self, from: data), index.config == prefixConfig else { return nil }
        let byEpoch = Dictionary(index.epochs.map { ($0.epoch, $0) }, uniquingKeysWith: { a, _ in a })
        guard let first = TrainingPrefix.firstPruningEpoch(config, statistics: { byEpoch[$0]?.statistics }),
              let epoch = index.savedEpochs.filter({ $0 <= first }).max() else { return nil }
        do {
            return try TrainerStateFile.load(stateURL(epoch: epoch))
        } catch {
            log("prefix state \(stateURL(epoch: epoch).path) unusable (\(error)); training from the start")
            return nil
        }
    }

    /// A saved state at exactly `epoch` (the curves' model resumes from it).
    public func state(atEpoch epoch: Int, prefixConfig: TrainingConfig) -> TrainerState? {
        guard let data = try? Data(contentsOf: indexURL),
              let index = try? JSONCoding.decoder().decode(Index.self, from: data), index.config == prefixConfig,
              index.savedEpochs.contains(epoch) else { return nil }
        return try? TrainerStateFile.load(stateURL(epoch: epoch))
    }
}
