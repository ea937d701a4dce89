import Foundation

/// One file a data set is downloaded as, with its published checksum.
public struct RemoteFile: Sendable, Equatable {
    /// The file name, appended to a mirror's base URL.
    public let name: String
    /// The published MD5, 32 lowercase hex digits.
    public let md5: String

    public init(name: String, md5: String) {
        self.name = name
        self.md5 = md5.lowercased()
    }
}

/// How the downloaded files become the directory `DataLocator` reads.
public enum InstallLayout: Sendable, Equatable {
    /// The downloaded files are the data set, as they are (the IDX `.gz` files).
    case asDownloaded
    /// One downloaded `.tar.gz` whose regular files under `folder/` are extracted, flat;
    /// `required` must all be among them.
    case extractTarGz(folder: String, required: [String])
}

/// Where and how to download one data set: its files, their checksums and the mirrors
/// that serve them (tried in order, each URL being mirror + file name).
public struct DatasetSource: Sendable, Equatable {
    public let dataset: DatasetName
    public let files: [RemoteFile]
    /// Base URLs ending in "/".
    public var mirrors: [URL]
    public let layout: InstallLayout
    /// Where the checksums come from (shown by `bmrs data` and in errors).
    public let checksumSource: String
    /// Total size of the files, for telling a user what a fetch costs (0: unknown).
    public let downloadBytes: Int64

    public init(dataset: DatasetName, files: [RemoteFile], mirrors: [URL], layout: InstallLayout, checksumSource: String,
                downloadBytes: Int64 = 0) {
        self.dataset = dataset
        self.files = files
        self.mirrors = mirrors
        self.layout = layout
        self.checksumSource = checksumSource
        self.downloadBytes = downloadBytes
    }

    /// The same files and checks, served from `mirrors` instead (the `--mirror` flag).
    public func withMirrors(_ mirrors: [URL]) -> DatasetSource {
        var copy = self
        copy.mirrors = mirrors.map(DatasetSource.directoryURL)
        return copy
    }

    /// The same source with some files' MD5s replaced (file name → MD5): how tests serve
    /// archives they built themselves through the real fetch path.
    public func withChecksums(_ md5s: [String: String]) -> DatasetSource {
        DatasetSource(dataset: dataset, files: files.map { RemoteFile(name: $0.name, md5: md5s[$0.name] ?? $0.md5) },
                      mirrors: mirrors, layout: layout, checksumSource: checksumSource, downloadBytes: downloadBytes)
    }

    /// `url` with a trailing "/", so that appending a file name keeps its last component.
    static func directoryURL(_ url: URL) -> URL {
        url.absoluteString.hasSuffix("/") ? url : URL(string: url.absoluteString + "/")!
    }

    /// The URL of `file` on `mirror`.
    public func url(of file: RemoteFile, on mirror: URL) -> URL {
        URL(string: DatasetSource.directoryURL(mirror).absoluteString + file.name)!
    }

    /// The files the installed directory holds, as `DataLocator` expects them.
    public var installedFiles: [String] {
        switch layout {
        case .asDownloaded: return files.map(\.name)
        case let .extractTarGz(_, required): return required
        }
    }
}

/// The data sets `bmrs data fetch` can download.
///
/// Checksums, each from the data set's own page and the same values torchvision checks:
/// - MNIST: torchvision `torchvision/datasets/mnist.py`, `MNIST.resources`
///   (https://github.com/pytorch/vision/blob/main/torchvision/datasets/mnist.py); the
///   official page http://yann.lecun.com/exdb/mnist/ publishes no checksums. Mirrors, in
///   order: PyTorch's copy https://ossci-datasets.s3.amazonaws.com/mnist/ (first in
///   torchvision's `MNIST.mirrors`), the CVDF copy
///   https://storage.googleapis.com/cvdf-datasets/mnist/ (TensorFlow Datasets' MNIST
///   source), then the official page, last because it has often refused downloads.
/// - Fashion-MNIST: the table "Get the Data" of https://github.com/zalandoresearch/fashion-mnist
///   (README.md), equal to torchvision's `FashionMNIST.resources`. Mirrors: the official
///   http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/ (README and torchvision),
///   Keras' copy https://storage.googleapis.com/tensorflow/tf-keras-datasets/
///   (`keras/datasets/fashion_mnist.py`), and the repository's own `data/fashion/` folder.
/// - CIFAR-10, binary version: https://www.cs.toronto.edu/~kriz/cifar.html ("CIFAR-10
///   binary version (suitable for C programs)", 162 MB, MD5 c32a1d4ab5d03f1284b67883e8d87530).
///   torchvision lists only the Python version (`cifar-10-python.tar.gz`), which this toolkit
///   does not read. No mirror of the binary version is known; `--mirror` adds one.
public enum DatasetCatalog {
    public static let mnist = DatasetSource(
        dataset: .mnist,
        files: [
            RemoteFile(name: "train-images-idx3-ubyte.gz", md5: "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
            RemoteFile(name: "train-labels-idx1-ubyte.gz", md5: "d53e105ee54ea40749a09fcbcd1e9432"),
            RemoteFile(name: "t10k-images-idx3-ubyte.gz", md5: "9fb629c4189551a2d022fa330f9573f3"),
            RemoteFile(name: "t10k-labels-idx1-ubyte.gz", md5: "ec29112dd5afa0611ce80d1b7f02629c"),
        ],
        mirrors: [
            URL(string: "https://ossci-datasets.s3.amazonaws.com/mnist/")!,
            URL(string: "https://storage.googleapis.com/cvdf-datasets/mnist/")!,
            URL(string: "http://yann.lecun.com/exdb/mnist/")!,
        ],
        layout: .asDownloaded,
        checksumSource: "torchvision MNIST.resources (torchvision/datasets/mnist.py)",
        downloadBytes: 11_594_722)

    public static let fashionMNIST = DatasetSource(
        dataset: .fashionMNIST,
        files: [
            RemoteFile(name: "train-images-idx3-ubyte.gz", md5: "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
            RemoteFile(name: "train-labels-idx1-ubyte.gz", md5: "25c81989df183df01b3e8a0aad5dffbe"),
            RemoteFile(name: "t10k-images-idx3-ubyte.gz", md5: "bef4ecab320f06d8554ea6380940ec79"),
            RemoteFile(name: "t10k-labels-idx1-ubyte.gz", md5: "bb300cfdad3c16e7a12a480ee83cd310"),
        ],
        mirrors: [
            URL(string: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/")!,
            URL(string: "https://storage.googleapis.com/tensorflow/tf-keras-datasets/")!,
            URL(string: "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/")!,
        ],
        layout: .asDownloaded,
        checksumSource: "github.com/zalandoresearch/fashion-mnist README (= torchvision FashionMNIST.resources)",
        downloadBytes: 30_878_645)

    public static let cifar10 = DatasetSource(
        dataset: .cifar10,
        files: [RemoteFile(name: "cifar-10-binary.tar.gz", md5: "c32a1d4ab5d03f1284b67883e8d87530")],
        mirrors: [URL(string: "https://www.cs.toronto.edu/~kriz/")!],
        layout: .extractTarGz(folder: "cifar-10-batches-bin", required: CIFAR10.allFiles),
        checksumSource: "https://www.cs.toronto.edu/~kriz/cifar.html",
        downloadBytes: 170_052_171)

    /// Every fetchable data set, in the order `all` fetches them.
    public static let all: [DatasetSource] = [mnist, fashionMNIST, cifar10]

    /// The source of `name`, or nil (MNIST-5k comes from `scripts/fetch-mnist-5k.sh`).
    public static func source(for name: DatasetName) -> DatasetSource? {
        all.first { $0.dataset == name }
    }
}
