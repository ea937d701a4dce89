import Foundation
import Testing
import Datasets

@Suite("CIFAR-10 binary batches")
struct CIFAR10Tests {
    @Test func roundTripThroughLocatorAndPreprocessing() throws {
        let root = try TemporaryDirectory()
        let dir = try root.subdirectory("cifar-10-batches-bin")
        try writeCIFARDataset(in: dir, recordsPerBatch: 2, testRecords: 3)
        let locator = DataLocator(dataDirectory: root.path, environment: [:], systemDirectories: [:])
        #expect(try locator.locate(.cifar10).standardizedFileURL == dir.standardizedFileURL)

        let (rawTrain, rawTest) = try readRawDataset(.cifar10, in: dir)
        #expect(rawTrain.count == 10 && rawTest.count == 3)
        #expect(rawTrain.labels == (1...5).flatMap { b in cifarLabels(batch: b, records: 2).map(Int32.init) })

        var rng = TestSplitMix64(seed: 11)
        let splits = try loadSplits(.cifar10, locator: locator, using: &rng)
        #expect(splits.train.count == 8 && splits.validation.count == 2 && splits.test.count == 3)
        #expect(splits.test.channels == 3 && splits.test.height == 32 && splits.test.width == 32)
        #expect(splits.test.labels == cifarLabels(batch: 6, records: 3).map(Int32.init))
        // Channel-major layout is kept and (x/255 - 0.5)/0.5 applied to every value.
        for r in 0..<3 {
            for c in 0..<3 {
                for y in 0..<32 {
                    for x in 0..<32 {
                        let got = splits.test.images[((r * 3 + c) * 32 + y) * 32 + x]
                        let expected = (Float(cifarPixel(batch: 6, record: r, c, y, x)) / 255 - 0.5) / 0.5
                        #expect(got == expected)
                        if got != expected { return }
                    }
                }
            }
        }
        // Train + validation is the five batches in order, split without loss.
        let labels = (splits.train.labels + splits.validation.labels).sorted()
        #expect(labels == rawTrain.labels.sorted())
        #expect(splits.train.images.allSatisfy { $0 >= -1 && $0 <= 1 })
    }

    @Test func sizeNotAMultipleOfRecord() throws {
        let dir = try TemporaryDirectory()
        let path = try writeFile(cifarBatch(batch: 1, labels: [1, 2]) + [0, 0, 0, 0, 0], named: "data_batch_2.bin", in: dir.url)
        expectDatasetError(.wrongSize, mentioning: [path, "multiple of 3073", "found 6151 bytes", "2 records + 5 bytes"]) {
            _ = try readCIFAR10Batch(path)
        }
    }

    @Test func labelOutOfRange() throws {
        let dir = try TemporaryDirectory()
        let path = try writeFile(cifarBatch(batch: 1, labels: [3, 10, 4]), named: "test_batch.bin", in: dir.url)
        expectDatasetError(.labelOutOfRange, mentioning: [path, "at byte 3073", "record 1", "0..<10", "found 10"]) {
            _ = try readCIFAR10Batch(path)
        }
    }

    @Test func missingBatch() throws {
        let dir = try TemporaryDirectory()
        try writeCIFARDataset(in: dir.url)
        try FileManager.default.removeItem(at: dir.url.appendingPathComponent("data_batch_3.bin"))
        expectDatasetError(.missingFile, mentioning: [dir.url.appendingPathComponent("data_batch_3.bin").path,
                                                      "CIFAR-10 batch not found", "no data_batch_3.bin"]) {
            _ = try readCIFAR10Dataset(in: dir.url)
        }
    }
}
