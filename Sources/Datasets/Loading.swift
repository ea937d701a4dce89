import Foundation

/// Reads the official train and test sets of `name` from `directory`, unprocessed.
/// For MNIST-5k, "official" is the fixed split documented in `MNIST5k`.
public func readRawDataset(_ name: DatasetName, in directory: URL) throws -> (train: RawImageSet, test: RawImageSet) {
    switch name {
    case .mnist, .fashionMNIST: return try readIDXDataset(in: directory)
    case .mnist5k: return try readMNIST5kDataset(in: directory)
    case .cifar10: return try readCIFAR10Dataset(in: directory)
    }
}

/// Loads `name` and returns train/validation/test, resized to 32×32 and normalised
/// (SPEC §4).
///
/// The official training set is split by `trainValidationIndices` with `rng`
/// (validation share `validationFraction`, 0.2 by default, each part in file order);
/// the official test set is the test split. Splitting happens on the raw bytes before
/// preprocessing, which gives the same values as preprocessing first and uses less
/// memory.
///
/// With `locator.decodedCache` set, the preprocessed sets come from (and the first time
/// go to) that cache: the same splits bit for bit, decoded once per data set.
///
/// - Throws: `DatasetError` from locating or reading the files.
public func loadSplits(_ name: DatasetName, locator: DataLocator, validationFraction: Double = 0.2,
                       using rng: inout some RandomNumberGenerator) throws -> DatasetSplits {
    let directory = try locator.locate(name)
    if let cache = locator.decodedCache {
        return try cache.loadSplits(name, in: directory, validationFraction: validationFraction, using: &rng)
    }
    return try loadSplits(name, in: directory, validationFraction: validationFraction, using: &rng)
}

/// `loadSplits(_:locator:validationFraction:using:)` for a known directory.
public func loadSplits(_ name: DatasetName, in directory: URL, validationFraction: Double = 0.2,
                       using rng: inout some RandomNumberGenerator) throws -> DatasetSplits {
    let (train, test) = try readRawDataset(name, in: directory)
    let (trainIndices, validationIndices) = trainValidationIndices(
        count: train.count, validationFraction: validationFraction, using: &rng)
    let normalization = name.normalization
    return DatasetSplits(train: preprocess(train.subset(trainIndices), normalization: normalization),
                         validation: preprocess(train.subset(validationIndices), normalization: normalization),
                         test: preprocess(test, normalization: normalization))
}
