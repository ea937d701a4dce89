import Foundation
import Testing
import Datasets

/// The real Fashion-MNIST from the Debian package `dataset-fashion-mnist`, when installed.
@Suite("Real Fashion-MNIST (Debian package)")
struct RealDataTests {
    static let installed = FileManager.default.fileExists(atPath: DataLocator.debianFashionMNISTDirectory)

    @Test(.enabled(if: installed, "/usr/share/datasets/fashion-mnist not installed"))
    func loadsFullFashionMNIST() throws {
        // No --data-dir and no BMRS_DATA_DIR: the Debian fallback is used.
        let locator = DataLocator(dataDirectory: nil, environment: [:])
        #expect(try locator.locate(.fashionMNIST).path == DataLocator.debianFashionMNISTDirectory)

        var rng = TestSplitMix64(seed: 2024)
        let splits = try loadSplits(.fashionMNIST, locator: locator, using: &rng)
        #expect(splits.train.count == 48_000 && splits.validation.count == 12_000 && splits.test.count == 10_000)
        for set in [splits.train, splits.validation, splits.test] {
            #expect(set.channels == 1 && set.height == 32 && set.width == 32)
            #expect(set.images.count == set.count * 1024)
            let low = set.images.min() ?? .nan, high = set.images.max() ?? .nan
            #expect(low >= -0.5 && high <= 0.51, "range [\(low), \(high)]")
            #expect(low < -0.49 && high > 0.49, "range [\(low), \(high)] should span the scale")
        }
        #expect(splits.test.labelHistogram() == [Int](repeating: 1000, count: 10))
        let trainAndValidation = zip(splits.train.labelHistogram(), splits.validation.labelHistogram()).map { $0 + $1 }
        #expect(trainAndValidation == [Int](repeating: 6000, count: 10))

        let survey = try #require(locator.survey().first { $0.name == .fashionMNIST })
        #expect(survey.trainCount == 60_000 && survey.testCount == 10_000 && survey.totalBytes == 30_878_551)
    }
}
