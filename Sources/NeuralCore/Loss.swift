import Foundation

/// Softmax cross-entropy, mean over the batch.
/// logits: (N, C), labels: (N) → loss; dlogits = (softmax − onehot)/N.
public func softmaxCrossEntropy(
    logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int, classes: Int,
    gradient: UnsafeMutablePointer<Float>?
) -> Double {
    var total = 0.0
    let invN = 1 / Float(batch)
    for n in 0..<batch {
        let row = logits + n * classes
        var maxLogit = row[0]
        for c in 1..<classes { maxLogit = max(maxLogit, row[c]) }
        var sum = 0.0
        for c in 0..<classes { sum += Foundation.exp(Double(row[c] - maxLogit)) }
        let label = Int(labels[n])
        precondition(label >= 0 && label < classes, "label \(label) outside 0..<\(classes)")
        total += Foundation.log(sum) - Double(row[label] - maxLogit)
        if let gradient {
            let g = gradient + n * classes
            for c in 0..<classes {
                let p = Float(Foundation.exp(Double(row[c] - maxLogit)) / sum)
                g[c] = (p - (c == label ? 1 : 0)) * invN
            }
        }
    }
    return total / Double(batch)
}

/// Index of the largest logit per row (first on ties).
public func argmaxRows(_ logits: UnsafePointer<Float>, batch: Int, classes: Int) -> [Int] {
    (0..<batch).map { n in
        let row = logits + n * classes
        var best = 0
        for c in 1..<classes where row[c] > row[best] { best = c }
        return best
    }
}
