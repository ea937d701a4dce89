import SeededRandom

/// Index sets of a seeded train/validation split of `count` items (SPEC §4).
///
/// Draws one permutation of `0..<count` (`randomPermutation`); its first
/// `round(count·validationFraction)` entries are the validation indices, the rest the
/// training indices. Both lists are returned sorted, so each split keeps the file
/// order of its items (training shuffles per epoch on its own).
public func trainValidationIndices(count: Int, validationFraction: Double = 0.2,
                                   using rng: inout some RandomNumberGenerator) -> (train: [Int], validation: [Int]) {
    precondition(validationFraction >= 0 && validationFraction < 1,
                 "trainValidationIndices: validationFraction \(validationFraction) must be in [0, 1)")
    let permutation = randomPermutation(count: count, using: &rng)
    let validationCount = Int((Double(count) * validationFraction).rounded())
    return (Array(permutation[validationCount...]).sorted(), Array(permutation[..<validationCount]).sorted())
}

/// Splits `set` into train and validation parts, 80/20 by default (SPEC §4).
///
/// The validation part holds `round(count·validationFraction)` images chosen by a
/// Fisher–Yates permutation from `rng` (see `trainValidationIndices`); both parts keep
/// the original order of their images. Same generator state, same split.
public func trainValidationSplit(_ set: ImageSet, validationFraction: Double = 0.2,
                                 using rng: inout some RandomNumberGenerator) -> (train: ImageSet, validation: ImageSet) {
    let (train, validation) = trainValidationIndices(count: set.count, validationFraction: validationFraction, using: &rng)
    return (set.subset(train), set.subset(validation))
}
