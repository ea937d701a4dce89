import Foundation
import Testing
import Datasets

@Suite("IDX files (MNIST, Fashion-MNIST)")
struct IDXTests {
    @Test(arguments: [false, true])
    func roundTrip(gzip: Bool) throws {
        let dir = try TemporaryDirectory()
        try writeIDXDataset(in: dir.url, trainCount: 10, testCount: 4, gzip: gzip)
        let (train, test) = try readRawDataset(.mnist, in: dir.url)

        #expect(train.count == 10 && test.count == 4)
        #expect(train.channels == 1 && train.height == 28 && train.width == 28)
        var expectedTrain = syntheticImages(first: 0, count: 10)
        expectedTrain.replaceSubrange(0..<784, with: referencePattern())
        #expect(train.pixels == expectedTrain)
        #expect(train.labels == (0..<10).map { Int32($0 % 10) })
        #expect(test.pixels == syntheticImages(first: 1000, count: 4))
        #expect(test.labels == [3, 4, 5, 6])
    }

    @Test(arguments: [false, true])
    func preprocessedValues(gzip: Bool) throws {
        let dir = try TemporaryDirectory()
        try writeIDXDataset(in: dir.url, trainCount: 10, testCount: 4, gzip: gzip)
        var rng = TestSplitMix64(seed: 3)
        let splits = try loadSplits(.fashionMNIST, in: dir.url, validationFraction: 0.2, using: &rng)
        #expect(splits.train.count == 8 && splits.validation.count == 2 && splits.test.count == 4)
        for set in [splits.train, splits.validation, splits.test] {
            #expect(set.channels == 1 && set.height == 32 && set.width == 32)
            #expect(set.images.count == set.count * 1024)
        }

        // Train image 0 (the only label 0) is the reference pattern; each split keeps
        // file order, so it is the first image of whichever split holds it. Spot
        // values from the numpy reference of ResizeTests, then (x - 127) / 255.
        let set = splits.train.labels.contains(0) ? splits.train : splits.validation
        #expect(set.labels.first == 0)
        let image = Array(set.images[0..<1024])
        for (r, c, v) in ResizeTests.pattern28To32MNISTScaled {
            #expect(abs(image[r * 32 + c] - Float(v)) < 2e-6, "(\(r),\(c)): \(image[r * 32 + c]) vs \(v)")
        }

        // Every test image equals the library's own resize of the known bytes,
        // scaled: checks the preprocessing pipeline end to end.
        for n in 0..<4 {
            let bytes = syntheticImages(first: 1000 + n, count: 1).map(Float.init)
            let expected = bilinearResize(bytes, height: 28, width: 28, toHeight: 32, width: 32).map { ($0 - 127) / 255 }
            let got = Array(splits.test.images[(n * 1024)..<((n + 1) * 1024)])
            #expect(maxAbsDifference(expected, got) == 0)
        }
    }

    @Test func wrongMagic() throws {
        let dir = try TemporaryDirectory()
        let path = try writeFile(idxLabelsFile([1, 2, 3]), named: "train-images-idx3-ubyte", in: dir.url)
        expectDatasetError(.wrongMagic, mentioning: [path, "at byte 0", "expected 2051", "found 2049"]) {
            _ = try readIDXImages(path)
        }
        let other = try writeFile([0, 0, 0x0D, 3] + bigEndian(0) + bigEndian(28) + bigEndian(28),
                                  named: "floats-idx3", in: dir.url)
        expectDatasetError(.wrongMagic, mentioning: [other, "expected 2051", "found 3331 (0xD03)"]) {
            _ = try readIDXImages(other)
        }
        let labels = try writeFile(idxImagesFile(count: 0, rows: 28, columns: 28, pixels: []), named: "labels", in: dir.url)
        expectDatasetError(.wrongMagic, mentioning: [labels, "expected 2049", "found 2051"]) {
            _ = try readIDXLabels(labels)
        }
    }

    @Test func truncatedImages() throws {
        let dir = try TemporaryDirectory()
        let full = idxImagesFile(count: 3, rows: 28, columns: 28, pixels: syntheticImages(first: 0, count: 3))
        let path = try writeFile(Array(full.prefix(16 + 2 * 784 + 100)), named: "train-images-idx3-ubyte.gz",
                                 in: dir.url, gzip: true)
        expectDatasetError(.wrongSize, mentioning: [path, "truncated IDX file", "expected 2368 bytes", "3×28×28", "found 1684 bytes"]) {
            _ = try readIDXImages(path)
        }
    }

    @Test func truncatedHeader() throws {
        let dir = try TemporaryDirectory()
        let path = try writeFile([0, 0, 8, 3, 0, 0], named: "short", in: dir.url)
        expectDatasetError(.wrongSize, mentioning: [path, "truncated IDX header", "16 header bytes", "found 6 bytes"]) {
            _ = try readIDXImages(path)
        }
    }

    @Test func extraBytes() throws {
        let dir = try TemporaryDirectory()
        let path = try writeFile(idxLabelsFile([1, 2]) + [9], named: "labels", in: dir.url)
        expectDatasetError(.wrongSize, mentioning: [path, "extra bytes", "expected 10 bytes", "found 11 bytes"]) {
            _ = try readIDXLabels(path)
        }
    }

    @Test func hugeHeaderDoesNotTrap() throws {
        let dir = try TemporaryDirectory()
        let path = try writeFile([0, 0, 8, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
                                 named: "huge", in: dir.url)
        expectDatasetError(.wrongSize, mentioning: [path, "truncated IDX file"]) { _ = try readIDXImages(path) }
    }

    @Test func countMismatch() throws {
        let dir = try TemporaryDirectory()
        let images = try writeFile(idxImagesFile(count: 3, rows: 28, columns: 28, pixels: syntheticImages(first: 0, count: 3)),
                                   named: "train-images-idx3-ubyte", in: dir.url)
        let labels = try writeFile(idxLabelsFile([1, 2]), named: "train-labels-idx1-ubyte", in: dir.url)
        expectDatasetError(.countMismatch, mentioning: [labels, images, "expected 3 labels", "found 2 labels"]) {
            _ = try readIDXPair(images: images, labels: labels)
        }
    }

    @Test func labelOutOfRange() throws {
        let dir = try TemporaryDirectory()
        let path = try writeFile(idxLabelsFile([1, 9, 0, 10, 2]), named: "t10k-labels-idx1-ubyte.gz", in: dir.url, gzip: true)
        expectDatasetError(.labelOutOfRange, mentioning: [path, "at byte 11", "item 3", "0..<10", "found 10"]) {
            _ = try readIDXLabels(path)
        }
    }

    @Test func missingFile() throws {
        let dir = try TemporaryDirectory()
        try writeIDXDataset(in: dir.url, gzip: true)
        try FileManager.default.removeItem(at: dir.url.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
        expectDatasetError(.missingFile, mentioning: ["t10k-labels-idx1-ubyte or t10k-labels-idx1-ubyte.gz", dir.path]) {
            _ = try readRawDataset(.mnist, in: dir.url)
        }
    }

    @Test func rawPreferredOverGzip() throws {
        let dir = try TemporaryDirectory()
        try writeIDXDataset(in: dir.url, trainCount: 10, gzip: true)
        try writeIDXDataset(in: dir.url, trainCount: 20, gzip: false)
        #expect(try readRawDataset(.mnist, in: dir.url).train.count == 20)
    }
}
