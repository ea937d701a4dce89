import Experiments

/// The names a report gives data sets, networks and methods, and the order it lists
/// methods in: one place, so that tables, figures and prose say the same thing.
enum Vocabulary {
    static func dataset(_ d: DatasetName) -> String {
        switch d {
        case .mnist: "MNIST"
        case .mnist5k: "MNIST-5k"
        case .fashionMNIST: "Fashion-MNIST"
        case .cifar10: "CIFAR-10"
        }
    }

    /// A network kind, as figure titles and comparison tables name it.
    static func networkKind(_ kind: NetworkSpec.Kind) -> String {
        kind == .mlp ? "MLP" : "LeNet5"
    }

    /// A table block: "MLP" for the paper's MLP (H = 50, D = 5), "MLP (H=…, D=…)" for another.
    static func network(_ spec: NetworkSpec) -> String {
        let paper = NetworkSpec.mlp()
        return spec.kind == .mlp ? "MLP" + (spec.hidden != paper.hidden || spec.depth != paper.depth ? " (H=\(spec.hidden), D=\(spec.depth))" : "") : "LeNet5"
    }

    /// A grid's network in the setup prose, its size always stated.
    static func network(_ choice: GridConfig.NetworkChoice) -> String {
        choice.kind == .mlp ? "MLP (H=\(choice.resolvedHidden), D=\(choice.resolvedDepth))" : "LeNet5"
    }

    /// A data set × network group of figures: its title ("Fashion-MNIST, MLP") and the
    /// prefix of its files ("fashion-mnist-mlp").
    static func group(_ dataset: DatasetName, _ kind: NetworkSpec.Kind) -> (title: String, slug: String) {
        ("\(self.dataset(dataset)), \(networkKind(kind))", "\(dataset.rawValue)-\(kind.rawValue)")
    }

    /// A run's row: its method's display name ("None" is plain training, "None (noise)"
    /// noise without pruning; `PruningMethod.displayName`), " (matched)" for a run matched
    /// to BMRS_N's compression.
    static func method(_ run: RunRecord) -> String {
        run.config.method.displayName + (run.config.matchedPrunedFraction != nil ? " (matched)" : "")
    }

    /// Rows in the paper's order: None (= plain), None with noise, the criteria, matched
    /// runs, then the precision sweep.
    static func methodOrder(_ run: RunRecord) -> Int {
        let base: Int
        switch run.config.method {
        case .plain: base = 0
        case .none: base = 1
        case .l2: base = 2
        case .etheta: base = 3
        case .snr: base = 4
        case .bmrsN: base = 5
        case .bmrsNReleased: base = 6
        case .bmrsU(let p): base = p == 8 ? 7 : p == 4 ? 8 : 20 + p
        // Post-training criteria only: never a run's method (rejected by validation).
        case .taylor: base = 50
        case .random: base = 51
        }
        return base + (run.config.matchedPrunedFraction != nil ? 10 : 0)
    }

    /// The distinct rows of `runs` in `methodOrder` (ties: first seen first).
    static func methodRows(_ runs: [RunRecord]) -> [String] {
        var labels: [(order: Int, label: String)] = []
        for r in runs where !labels.contains(where: { $0.label == method(r) }) {
            labels.append((methodOrder(r), method(r)))
        }
        return labels.sorted { $0.order < $1.order }.map(\.label)
    }
}
