import SeededRandom
/// The two network families of SPEC §3, as a plain value that fully describes one.
public struct NetworkSpec: Codable, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Codable, Sendable, CaseIterable { case mlp, lenet5 }
    public var kind: Kind
    /// Image channels (1 for (Fashion-)MNIST, 3 for CIFAR-10). Images are 32×32.
    public var inputChannels: Int
    /// MLP only: width H and number of hidden H→H blocks D (defaults 50 and 5).
    public var hidden: Int
    public var depth: Int

    public init(kind: Kind, inputChannels: Int = 1, hidden: Int = 50, depth: Int = 5) {
        self.kind = kind
        self.inputChannels = inputChannels
        self.hidden = hidden
        self.depth = depth
    }

    public static func mlp(inputChannels: Int = 1, hidden: Int = 50, depth: Int = 5) -> NetworkSpec {
        NetworkSpec(kind: .mlp, inputChannels: inputChannels, hidden: hidden, depth: depth)
    }

    public static func lenet5(channels: Int = 1) -> NetworkSpec {
        NetworkSpec(kind: .lenet5, inputChannels: channels)
    }

    public static let imageSide = 32

    public var description: String {
        switch kind {
        case .mlp: "MLP(C=\(inputChannels), H=\(hidden), D=\(depth))"
        case .lenet5: "LeNet5(C=\(inputChannels))"
        }
    }
}

/// How the KL term enters the loss (SPEC §1).
public enum KLAveraging: String, Codable, Sendable, CaseIterable {
    /// Mean of the per-structure KL within each noise layer, then mean over layers (default).
    case mean
    /// Plain sum over all structures.
    case sum
}

/// One noise layer together with the weight layer that produces its structures and the
/// weight layer that consumes them: what pruning, compression accounting and compaction need.
public struct PrunableGroup {
    public let producer: any Layer   // Dense or Conv2d whose output units/channels are the structures
    public let noise: NoiseLayer
    public let consumer: any Layer   // the next Dense or Conv2d
}

/// A feed-forward network: a list of layers run in order, with buffers for a maximum batch.
public final class Network {
    public let spec: NetworkSpec
    public let layers: [any Layer]
    public let noiseLayers: [NoiseLayer]
    public let groups: [PrunableGroup]
    public let maxBatch: Int
    public let classes = 10
    private let logitGradient: FloatBuffer

    /// Builds `spec` with PyTorch-default init drawn from `rng` (SPEC §3), buffers for
    /// batches of up to `maxBatch`.
    public convenience init(spec: NetworkSpec, maxBatch: Int, rng: inout Xoshiro256) {
        self.init(layers: NetworkBuilder.layers(for: spec, rng: &rng), spec: spec, maxBatch: maxBatch)
    }

    /// Rebuilds a network from layer descriptions (values zero; a checkpoint fills them).
    public convenience init(descriptors: [LayerDescriptor], spec: NetworkSpec?, maxBatch: Int) {
        var counts: [String: Int] = [:]
        let layers = descriptors.map { d -> any Layer in
            let base: String
            switch d {
            case .dense: base = "fc"
            case .conv2d: base = "conv"
            case .noise: base = "noise"
            default: base = "layer"
            }
            counts[base, default: 0] += 1
            return d.makeLayer(name: "\(base)\(counts[base]!)")
        }
        self.init(layers: layers, spec: spec, maxBatch: maxBatch)
    }

    /// A network from already built layers (e.g. a compacted one). `spec` describes the
    /// family it came from, when there is one.
    public init(layers built: [any Layer], spec: NetworkSpec?, maxBatch: Int) {
        self.spec = spec ?? NetworkSpec(kind: .mlp)
        self.maxBatch = maxBatch
        layers = built
        noiseLayers = built.compactMap { $0 as? NoiseLayer }
        var groups: [PrunableGroup] = []
        var lastWeight: (any Layer)?
        var pendingNoise: NoiseLayer?
        for layer in built {
            if layer is Dense || layer is Conv2d {
                if let noise = pendingNoise, let producer = lastWeight {
                    groups.append(PrunableGroup(producer: producer, noise: noise, consumer: layer))
                    pendingNoise = nil
                }
                lastWeight = layer
            } else if let noise = layer as? NoiseLayer {
                pendingNoise = noise
            }
        }
        self.groups = groups
        for (previous, layer) in zip(built, built.dropFirst()) {
            if let noise = layer as? NoiseLayer, let activation = previous as? Activation, activation.function == .relu {
                noise.inputIsRectified = true
            }
        }
        for layer in built { layer.allocate(maxBatch: maxBatch) }
        logitGradient = FloatBuffer(count: maxBatch * classes)
        allParameters = built.flatMap { layer in (layer as? NoiseLayer).map { [$0.mu, $0.logSigma] } ?? layer.parameters }
        var stages: [NetworkStage] = []
        var i = 0
        while i < built.count {
            if i + 2 < built.count, RectifiedNoisePool.fuses(built[i], built[i + 1], built[i + 2]) {
                let fused = RectifiedNoisePool(activation: built[i] as! Activation, noise: built[i + 1] as! NoiseLayer,
                                               pool: built[i + 2] as! MaxPool2d)
                fused.allocate(maxBatch: maxBatch)
                stages.append(NetworkStage(layers: i..<(i + 3), kernel: .rectifiedNoisePool(fused)))
                i += 3
            } else {
                stages.append(NetworkStage(layers: i..<(i + 1), kernel: .layer(built[i])))
                i += 1
            }
        }
        self.stages = stages
        unfusedStages = built.indices.map { NetworkStage(layers: $0..<($0 + 1), kernel: .layer(built[$0])) }
    }

    /// Every trainable parameter (μ and log σ only while noise is enabled).
    public var parameters: [Parameter] { layers.flatMap { $0.parameters } }

    /// Parameters of every layer, including μ/log σ of disabled noise layers (fixed for the
    /// network's life, so built once: `zeroGradients` runs every step).
    public let allParameters: [Parameter]

    /// What `forward` and `backward` run, in order: single layers, and fused runs of layers
    /// (ReLU → channel noise → max-pool) that give the same results bit for bit.
    private let stages: [NetworkStage]
    private let unfusedStages: [NetworkStage]
    /// Runs every layer on its own when false (tests compare both ways).
    var fusesLayers = true
    private var activeStages: [NetworkStage] { fusesLayers ? stages : unfusedStages }

    /// The stages a step runs, by name ("3 Conv2d", "4-6 Activation+NoiseLayer+MaxPool2d"),
    /// for per-stage profiles (`forwardStage`, `backwardStage`).
    public var stageNames: [String] {
        activeStages.map { stage in
            let names = stage.layers.map { "\(type(of: layers[$0]))" }.joined(separator: "+")
            let range = stage.layers.count == 1 ? "\(stage.layers.lowerBound)" : "\(stage.layers.lowerBound)-\(stage.layers.upperBound - 1)"
            return "\(range) \(names)"
        }
    }

    /// Stage i's forward pass (see `forward`); valid until the stage's next forward.
    public func forwardStage(_ i: Int, _ x: UnsafePointer<Float>, batch: Int, context: inout StepContext) -> UnsafePointer<Float> {
        activeStages[i].forward(x, batch: batch, context: &context)
    }

    /// Stage i's backward pass (see `backward`).
    public func backwardStage(_ i: Int, _ dy: UnsafePointer<Float>, batch: Int, needInputGradient: Bool) -> UnsafePointer<Float>? {
        activeStages[i].backward(dy, batch: batch, needInputGradient: needInputGradient)
    }

    /// Switches every noise layer on (θ sampled, KL in the loss) or off (θ ≡ 1: `plain`).
    public var noiseEnabled: Bool {
        get { noiseLayers.first?.enabled ?? false }
        set { for layer in noiseLayers { layer.enabled = newValue } }
    }

    public func zeroGradients() {
        for p in allParameters { p.gradient.zero() }
    }

    /// input: (N, C, 32, 32) → logits (N, 10), valid until the next forward.
    public func forward(_ input: UnsafePointer<Float>, batch: Int, context: inout StepContext) -> UnsafePointer<Float> {
        precondition(batch >= 1 && batch <= maxBatch, "batch \(batch) outside 1...\(maxBatch)")
        var x = input
        for stage in activeStages { x = stage.forward(x, batch: batch, context: &context) }
        return x
    }

    /// Backpropagates dL/dlogits, accumulating parameter gradients. The first layer's
    /// input gradient is never needed and not computed.
    public func backward(_ dlogits: UnsafePointer<Float>, batch: Int) {
        var g = dlogits
        for (i, stage) in activeStages.enumerated().reversed() {
            guard let next = stage.backward(g, batch: batch, needInputGradient: i > 0) else { break }
            g = next
        }
    }

    /// The KL term of the loss (0 when noise is disabled), Float64.
    public func klTerm(_ averaging: KLAveraging) -> Double {
        guard noiseEnabled, !noiseLayers.isEmpty else { return 0 }
        switch averaging {
        case .sum: return noiseLayers.reduce(0) { $0 + $1.klSum() }
        case .mean:
            return noiseLayers.reduce(0) { $0 + $1.klSum() / Double($1.units) } / Double(noiseLayers.count)
        }
    }

    /// Adds ∂(KL term)/∂(μ, log σ) to the gradients.
    public func accumulateKLGradient(_ averaging: KLAveraging) {
        guard noiseEnabled else { return }
        for layer in noiseLayers {
            let scale = averaging == .sum ? 1 : 1 / Double(layer.units * noiseLayers.count)
            layer.accumulateKLGradient(scale: scale)
        }
    }

    /// `klTerm` followed by `accumulateKLGradient`, computed together (one entropy
    /// evaluation per structure instead of two): the same term and gradients bit for bit.
    public func klTermAccumulatingGradient(_ averaging: KLAveraging) -> Double {
        guard noiseEnabled, !noiseLayers.isEmpty else { return 0 }
        var total = 0.0
        for layer in noiseLayers {
            switch averaging {
            case .sum: total = total + layer.klSumAccumulatingGradient(scale: 1)
            case .mean:
                let sum = layer.klSumAccumulatingGradient(scale: 1 / Double(layer.units * noiseLayers.count))
                total = total + sum / Double(layer.units)
            }
        }
        return averaging == .sum ? total : total / Double(noiseLayers.count)
    }

    public struct StepLoss: Sendable {
        public var crossEntropy: Double
        public var kl: Double
        public var total: Double { crossEntropy + kl }
    }

    /// One optimisation step on a batch: zero grads, forward, loss, backward, KL, update.
    @discardableResult
    public func trainStep(input: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int,
                          optimizer: Adam, klAveraging: KLAveraging, context: inout StepContext) -> StepLoss {
        zeroGradients()
        let logits = forward(input, batch: batch, context: &context)
        let ce = softmaxCrossEntropy(logits: logits, labels: labels, batch: batch, classes: classes,
                                     gradient: logitGradient.pointer)
        backward(UnsafePointer(logitGradient.pointer), batch: batch)
        let kl = klTermAccumulatingGradient(klAveraging)
        optimizer.update()
        return StepLoss(crossEntropy: ce, kl: kl)
    }

    /// Predicted class per example, evaluation mode (θ = E[θ]·mask), in chunks of `maxBatch`.
    public func predict(_ images: UnsafePointer<Float>, count: Int) -> [Int] {
        let inputSize = layers[0].inputSize
        var context = StepContext.evaluation
        var result: [Int] = []
        result.reserveCapacity(count)
        var start = 0
        while start < count {
            let n = min(maxBatch, count - start)
            let logits = forward(images + start * inputSize, batch: n, context: &context)
            result += argmaxRows(logits, batch: n, classes: classes)
            start += n
        }
        return result
    }

    /// Logits (count × 10) in evaluation mode, in chunks of `maxBatch`.
    public func logits(_ images: UnsafePointer<Float>, count: Int) -> [Float] {
        let inputSize = layers[0].inputSize
        var context = StepContext.evaluation
        var result = [Float]()
        result.reserveCapacity(count * classes)
        var start = 0
        while start < count {
            let n = min(maxBatch, count - start)
            let out = forward(images + start * inputSize, batch: n, context: &context)
            result += UnsafeBufferPointer(start: out, count: n * classes)
            start += n
        }
        return result
    }

    /// Fraction of correctly classified examples (0–1).
    public func accuracy(images: [Float], labels: [Int32]) -> Double {
        guard !labels.isEmpty else { return 0 }
        let predictions = images.withUnsafeBufferPointer { predict($0.baseAddress!, count: labels.count) }
        let correct = zip(predictions, labels).filter { $0 == Int($1) }.count
        return Double(correct) / Double(labels.count)
    }
}

/// One unit of a network's forward/backward schedule: the layers it covers and what runs them.
struct NetworkStage {
    enum Kernel {
        case layer(any Layer)
        case rectifiedNoisePool(RectifiedNoisePool)
    }
    let layers: Range<Int>
    let kernel: Kernel

    @inline(__always)
    func forward(_ x: UnsafePointer<Float>, batch: Int, context: inout StepContext) -> UnsafePointer<Float> {
        switch kernel {
        case let .layer(layer): layer.forward(x, batch: batch, context: &context)
        case let .rectifiedNoisePool(fused): fused.forward(x, batch: batch, context: &context)
        }
    }

    @inline(__always)
    func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGradient: Bool) -> UnsafePointer<Float>? {
        switch kernel {
        case let .layer(layer): layer.backward(dy, batch: batch, needInputGradient: needInputGradient)
        case let .rectifiedNoisePool(fused): fused.backward(dy, batch: batch, needInputGradient: needInputGradient)
        }
    }
}

enum NetworkBuilder {
    static func layers(for spec: NetworkSpec, rng: inout Xoshiro256) -> [any Layer] {
        switch spec.kind {
        case .mlp: mlp(spec, rng: &rng)
        case .lenet5: lenet5(spec, rng: &rng)
        }
    }

    // Linear(32·32·C → H) + tanh + noise, D × [Linear(H → H) + tanh + noise], Linear(H → 10)
    static func mlp(_ spec: NetworkSpec, rng: inout Xoshiro256) -> [any Layer] {
        let side = NetworkSpec.imageSide, h = spec.hidden
        var layers: [any Layer] = []
        var inputs = side * side * spec.inputChannels
        for i in 0...spec.depth {
            let dense = Dense(input: inputs, output: h, name: "fc\(i + 1)")
            dense.initialize(using: &rng)
            layers += [dense, Activation(.tanh, size: h), NoiseLayer(units: h, layout: .rows, name: "noise\(i + 1)")]
            inputs = h
        }
        let head = Dense(input: h, output: 10, name: "fc\(spec.depth + 2)")
        head.initialize(using: &rng)
        return layers + [head]
    }

    // Conv(C→6C,5)+ReLU+noise+pool → Conv(6C→16C,5)+ReLU+noise+pool → flatten(400C)
    // → Linear(400C→120C)+ReLU+noise → Linear(120C→84C)+ReLU+noise → Linear(84C→10)
    static func lenet5(_ spec: NetworkSpec, rng: inout Xoshiro256) -> [any Layer] {
        let c = spec.inputChannels
        let conv1 = Conv2d(inChannels: c, outChannels: 6 * c, kernel: 5, inHeight: 32, inWidth: 32,
                           inputLayout: .imageMajor, name: "conv1")
        let conv2 = Conv2d(inChannels: 6 * c, outChannels: 16 * c, kernel: 5, inHeight: 14, inWidth: 14,
                           inputLayout: .channelMajor, name: "conv2")
        let fc1 = Dense(input: 400 * c, output: 120 * c, name: "fc1")
        let fc2 = Dense(input: 120 * c, output: 84 * c, name: "fc2")
        let fc3 = Dense(input: 84 * c, output: 10, name: "fc3")
        conv1.initialize(using: &rng)
        conv2.initialize(using: &rng)
        fc1.initialize(using: &rng)
        fc2.initialize(using: &rng)
        fc3.initialize(using: &rng)
        return [
            conv1, Activation(.relu, size: 6 * c * 28 * 28),
            NoiseLayer(units: 6 * c, planeSize: 28 * 28, layout: .channelMajor, name: "noise1"),
            MaxPool2d(channels: 6 * c, inHeight: 28, inWidth: 28),
            conv2, Activation(.relu, size: 16 * c * 10 * 10),
            NoiseLayer(units: 16 * c, planeSize: 10 * 10, layout: .channelMajor, name: "noise2"),
            MaxPool2d(channels: 16 * c, inHeight: 10, inWidth: 10),
            Flatten(channels: 16 * c, height: 5, width: 5),
            fc1, Activation(.relu, size: 120 * c), NoiseLayer(units: 120 * c, layout: .rows, name: "noise3"),
            fc2, Activation(.relu, size: 84 * c), NoiseLayer(units: 84 * c, layout: .rows, name: "noise4"),
            fc3,
        ]
    }
}
