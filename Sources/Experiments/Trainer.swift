import Foundation
import BayesianPruning
import Datasets
import NeuralCore
import FileOutput
import SeededRandom

/// What a training run reports while it goes.
public enum TrainingEvent: Sendable {
    case epochStarted(epoch: Int, of: Int, steps: Int)
    case step(epoch: Int, step: Int, of: Int, loss: Double)
    case epochFinished(EpochRecord)
}

/// Where a fine-tune continues a chain of fine-tunes (the released curve protocol, SPEC §6):
/// Adam's step and moments and the noise stream's position carried over from the previous
/// one, and the training data read in order instead of shuffled.
public struct FineTuneContinuation: Sendable, Equatable {
    public var adamStep: Int
    public var moments1: [[Float]]
    public var moments2: [[Float]]
    public var noiseCounter: UInt64

    public init(adamStep: Int, moments1: [[Float]], moments2: [[Float]], noiseCounter: UInt64) {
        self.adamStep = adamStep; self.moments1 = moments1; self.moments2 = moments2; self.noiseCounter = noiseCounter
    }

    /// What a run left after its last steps.
    public init(_ state: TrainerState) {
        self.init(adamStep: state.adamStep, moments1: state.moments1, moments2: state.moments2, noiseCounter: state.noiseCounter)
    }
}

/// Runs SPEC §5's protocol on loaded data: Adam, seeded batches, validation after every
/// epoch, keep the best-validation checkpoint, report its test accuracy.
public struct Trainer {
    public let config: TrainingConfig
    /// Checked before every step: a requested stop throws `Interrupted`.
    public var stop: StopRequest?

    public init(config: TrainingConfig, stop: StopRequest? = nil) {
        self.config = config
        self.stop = stop
    }

    /// Trains on `splits`. The reported checkpoint is written to `checkpoint` (when given)
    /// and test accuracy is measured on the network reloaded from it.
    /// `startingFrom`: continue from these weights and masks instead of a fresh init
    /// (post-training sweeps fine-tune a trained model this way; its masks are kept).
    /// `resuming`: continue a run of this configuration from a state saved after the steps
    /// of an epoch (a fork of a shared prefix); the run goes on with that epoch's
    /// compression step. `afterSteps` sees every epoch after its steps, before its
    /// compression step, with a way to capture the state there (costly: call it only
    /// when the state is to be saved).
    /// `continuing`: start Adam and the noise stream where a previous run left them and read
    /// the training data in order (no shuffling).
    /// `finalCheckpoint`: also write the network after the last epoch there (the model
    /// whose posteriors a report's heatmap reads when no curves were run).
    public func run(splits: DatasetSplits, dataDirectory: String, checkpoint: URL? = nil, finalCheckpoint: URL? = nil,
                    startingFrom initial: Network? = nil, resuming: TrainerState? = nil, continuing: FineTuneContinuation? = nil,
                    measureCompaction: Bool = true,
                    afterSteps: ((_ epoch: Int, _ network: Network, _ capture: () -> TrainerState) throws -> Void)? = nil,
                    progress: (TrainingEvent) -> Void = { _ in }) throws -> RunRecord {
        try config.validate()
        let started = Date()
        BLAS.setThreads(config.threads)
        var train = splits.train
        if let limit = config.trainLimit, limit < train.count { train = train.subset(Array(0..<limit)) }
        var validationSet = splits.validation
        if let limit = config.validationLimit, limit < validationSet.count { validationSet = validationSet.subset(Array(0..<limit)) }
        let spec = config.network
        guard train.channels == spec.inputChannels, train.height == NetworkSpec.imageSide, train.width == NetworkSpec.imageSide else {
            throw ConfigError(field: "network.input_channels",
                              expected: "\(train.channels) (the data set's images are \(train.channels)×\(train.height)×\(train.width))",
                              found: "\(spec.inputChannels) channels at \(NetworkSpec.imageSide)×\(NetworkSpec.imageSide)")
        }

        var initRNG = Xoshiro256(seed: config.derivedSeed(.initialization))
        let network = Network(spec: spec, maxBatch: max(config.batchSize, config.evaluationBatchSize), rng: &initRNG)
        if let initial { Checkpoint.copy(from: initial, to: network) }
        network.noiseEnabled = config.method.usesNoise
        let criterion = config.method.criterion(config.effectiveCriteria)
        let optimizer = Adam(parameters: network.parameters, settings: .init(learningRate: config.learningRate))
        var orderRNG = Xoshiro256(seed: config.derivedSeed(.batchOrder))
        var context = StepContext(training: true, noise: UniformStream(key: config.derivedSeed(.noise)))
        if let continuing {
            precondition(resuming == nil, "Trainer.run: a run either resumes a saved state or continues a chain")
            optimizer.restore(step: continuing.adamStep, moments1: continuing.moments1, moments2: continuing.moments2)
            context.noise = UniformStream(key: config.derivedSeed(.noise), counter: continuing.noiseCounter)
        }

        var record = RunRecord(
            config: config,
            data: DataSummary(dataset: config.dataset, directory: dataDirectory, train: train.count,
                              validation: validationSet.count, test: splits.test.count),
            machine: MachineSummary(blasCore: BLAS.coreName, blasThreads: BLAS.threads,
                                    processors: ProcessInfo.processInfo.activeProcessorCount))

        record.bmrsNConstantUsed = config.bmrsNConstantInForce
        var best = ParameterSnapshot(network)
        let initialParameters = best.values
        if resuming == nil {
            record.bestValidationAccuracy = network.accuracy(images: validationSet.images, labels: validationSet.labels)
        }

        let inputSize = spec.inputChannels * NetworkSpec.imageSide * NetworkSpec.imageSide
        var batchImages = [Float](repeating: 0, count: config.batchSize * inputSize)
        var batchLabels = [Int32](repeating: 0, count: config.batchSize)
        let steps = (train.count + config.batchSize - 1) / config.batchSize
        var order = Array(0..<train.count)
        var firstEpoch = 1
        if let state = resuming {
            guard state.epoch >= 1 && state.epoch <= config.epochs + config.finetuneEpochs, state.order.count == train.count,
                  state.parameters.map(\.count) == network.allParameters.map(\.count),
                  state.masks.map(\.count) == network.noiseLayers.map(\.mask.count),
                  let generator = Xoshiro256(state: state.orderGenerator) else {
                throw ConfigError(field: "trainer state", expected: "a state of this run's network and data (\(train.count) images)",
                                  found: "epoch \(state.epoch), \(state.order.count) images")
            }
            for (p, v) in zip(network.allParameters, state.parameters) { p.value.copy(from: v) }
            for (layer, m) in zip(network.noiseLayers, state.masks) { layer.mask = m }
            optimizer.restore(step: state.adamStep, moments1: state.moments1, moments2: state.moments2)
            orderRNG = generator
            order = state.order
            context.noise = UniformStream(key: config.derivedSeed(.noise), counter: state.noiseCounter)
            // Phases by this run's own schedule (the curves' model resumes from a prefix
            // whose main phase may be shorter).
            record.epochs = state.epochs.map { var e = $0; e.phase = e.epoch > config.epochs ? "finetune" : "train"; return e }
            record.bestValidationAccuracy = state.initialValidationAccuracy
            best = ParameterSnapshot(values: state.initialParameters, masks: state.masks.map { $0.map { _ in 1 } })
            firstEpoch = state.epoch
        }
        let initialValidationAccuracy = record.bestValidationAccuracy

        let totalEpochs = config.epochs + config.finetuneEpochs
        epochLoop: for epoch in firstEpoch...totalEpochs {
            let epochStart = Date()
            let finetune = epoch > config.epochs
            progress(.epochStarted(epoch: epoch, of: totalEpochs, steps: steps))
            var lossSum = 0.0, ceSum = 0.0, klSum = 0.0
            let resumed = resuming != nil && epoch == firstEpoch
            if let state = resuming, resumed {
                lossSum = state.lossSum; ceSum = state.crossEntropySum; klSum = state.klSum
            } else if continuing == nil {
                shuffle(&order, using: &orderRNG)
            }
            for step in 0..<steps where !resumed {
                try stop?.check()
                let start = step * config.batchSize
                let n = min(config.batchSize, train.count - start)
                train.images.withUnsafeBufferPointer { src in
                    batchImages.withUnsafeMutableBufferPointer { dst in
                        for i in 0..<n {
                            (dst.baseAddress! + i * inputSize)
                                .update(from: src.baseAddress! + order[start + i] * inputSize, count: inputSize)
                        }
                    }
                }
                for i in 0..<n { batchLabels[i] = train.labels[order[start + i]] }
                let loss = batchImages.withUnsafeBufferPointer { x in
                    batchLabels.withUnsafeBufferPointer { y in
                        network.trainStep(input: x.baseAddress!, labels: y.baseAddress!, batch: n,
                                          optimizer: optimizer, klAveraging: config.klAveraging, context: &context)
                    }
                }
                guard loss.total.isFinite else {
                    record.status = .failed
                    record.failure = "non-finite loss (\(loss.total)) at epoch \(epoch), step \(step + 1)"
                    break epochLoop
                }
                lossSum += loss.total; ceSum += loss.crossEntropy; klSum += loss.kl
                if step % 25 == 0 || step == steps - 1 {
                    progress(.step(epoch: epoch, step: step + 1, of: steps, loss: lossSum / Double(step + 1)))
                }
            }
            if let afterSteps {
                try afterSteps(epoch, network) {
                    TrainerState(epoch: epoch, parameters: network.allParameters.map(\.value.array),
                                 masks: network.noiseLayers.map(\.mask), initialParameters: initialParameters,
                                 adamStep: optimizer.state.step, moments1: optimizer.state.moments1, moments2: optimizer.state.moments2,
                                 orderGenerator: orderRNG.state, order: order, noiseCounter: context.noise.counter,
                                 lossSum: lossSum, crossEntropySum: ceSum, klSum: klSum, epochs: record.epochs,
                                 initialValidationAccuracy: initialValidationAccuracy)
                }
            }
            // Continuous pruning (SPEC §5): every `compress_every` main epochs and once
            // more after the last one; masks stay fixed during fine-tuning.
            var cameBack = 0
            if let criterion, !finetune, epoch % config.compressEvery == 0 || epoch == config.epochs {
                cameBack = updateMasks(network, criterion: criterion)
                record.unitsCameBack += cameBack
            }
            if criterion != nil && config.protocolVariant == .released { zeroPrunedWeights(network) }
            let validation = network.accuracy(images: validationSet.images, labels: validationSet.labels)
            let compression = CompressionReport(network: network, counting: config.parameterCounting)
            let entry = EpochRecord(epoch: epoch, phase: finetune ? "finetune" : "train",
                                    trainLoss: lossSum / Double(steps),
                                    trainCrossEntropy: ceSum / Double(steps), kl: klSum / Double(steps),
                                    valAccuracy: validation, seconds: Date().timeIntervalSince(epochStart),
                                    neuronCompression: compression.neuronCompression,
                                    parameterCompression: compression.parameterCompression, cameBack: cameBack)
            record.epochs.append(entry)
            progress(.epochFinished(entry))
            // Pruning methods report a checkpoint with the final masks: the best validation
            // epoch of the fine-tuning phase (or the last main epoch without fine-tuning).
            let eligible = criterion == nil || epoch >= config.epochs
            if config.reportedModel == .final {
                record.bestValidationAccuracy = validation
                record.bestEpoch = epoch
                if epoch == totalEpochs { best = ParameterSnapshot(network) }
            } else if eligible && (validation > record.bestValidationAccuracy || record.bestEpoch == 0 || (criterion != nil && epoch == config.epochs)) {
                record.bestValidationAccuracy = validation
                record.bestEpoch = epoch
                best = ParameterSnapshot(network)
            }
        }
        if let finalCheckpoint, record.status == .finished { try AtomicFile.write(Checkpoint.encode(network), to: finalCheckpoint) }
        best.restore(into: network)
        // Reload the reported checkpoint from its bytes (a file when asked) and measure there.
        let bytes = try Checkpoint.encode(network)
        if let checkpoint { try AtomicFile.write(bytes, to: checkpoint) }
        let reloaded = try Checkpoint.decode(bytes, path: checkpoint?.path ?? "checkpoint (in memory)",
                                             maxBatch: config.evaluationBatchSize)
        record.testAccuracy = reloaded.accuracy(images: splits.test.images, labels: splits.test.labels)
        let standard = CompressionReport(network: reloaded, counting: .standard)
        let released = CompressionReport(network: reloaded, counting: .released)
        record.compressionStandard = standard
        record.compressionReleased = released
        record.compression = config.parameterCounting == .released ? released : standard
        if measureCompaction {
            let compact = Compaction.compact(reloaded, maxBatch: config.evaluationBatchSize)
            record.compaction = CompactionReport(masked: reloaded, compact: compact, images: splits.test.images,
                                                 count: splits.test.count, repeats: 2)
        }
        record.secondsTotal = Date().timeIntervalSince(started)
        return record
    }

    /// Recomputes the masks from the current posterior (threshold rule, or the matched
    /// percentile); with sticky masks a pruned structure stays pruned. Returns how many
    /// structures came back.
    private func updateMasks(_ network: Network, criterion: any PruningCriterion) -> Int {
        let statistics = Structures.statistics(network)
        var decision = config.matchedPrunedFraction.map {
            PruningDecision(criterion: criterion, statistics: statistics, fraction: $0)
        } ?? PruningDecision(criterion: criterion, statistics: statistics)
        if config.stickyMasks { decision.intersect(with: Structures.keepFlags(network)) }
        return Structures.apply(decision.keep, to: network)
    }
}

/// A copy of every parameter value and mask of a network (the in-memory checkpoint).
struct ParameterSnapshot {
    var values: [[Float]]
    var masks: [[Float]]

    init(values: [[Float]], masks: [[Float]]) {
        self.values = values
        self.masks = masks
    }

    init(_ network: Network) {
        values = network.allParameters.map(\.value.array)
        masks = network.noiseLayers.map(\.mask)
    }

    func restore(into network: Network) {
        for (p, v) in zip(network.allParameters, values) { p.value.copy(from: v) }
        for (layer, m) in zip(network.noiseLayers, masks) { layer.mask = m }
    }
}

/// Fisher–Yates with an explicit generator (Swift's `shuffle` may change between versions).
/// Not `fisherYatesShuffle`: this one draws `next() % (i + 1)` (with its modulo bias), and
/// every run's batch order, hence every run record, depends on it bit for bit.
func shuffle(_ a: inout [Int], using rng: inout Xoshiro256) {
    guard a.count > 1 else { return }
    for i in stride(from: a.count - 1, to: 0, by: -1) {
        let j = Int(rng.next() % UInt64(i + 1))
        a.swapAt(i, j)
    }
}
