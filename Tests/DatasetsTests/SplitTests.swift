import Testing
import Datasets
import SeededRandom

@Suite("Seeded shuffles and train/validation split")
struct SplitTests {
    @Test func splitMix64MatchesReference() {
        // Published first output for seed 0; seed 42 values from a Python transcription.
        var zero = TestSplitMix64(seed: 0)
        #expect(zero.next() == 0xE220_A839_7B1D_CDAF)
        var rng = TestSplitMix64(seed: 42)
        #expect([rng.next(), rng.next(), rng.next()] == [13679457532755275413, 2949826092126892291, 5139283748462763858])
    }

    @Test func permutationsArePinned() {
        // Independent Python transcription of SplitMix64 + Lemire's bounded integer +
        // Durstenfeld's Fisher–Yates (i from n-1 down to 1, j uniform in 0...i):
        // guards against silent changes of the shuffle (and so of every split).
        var a = TestSplitMix64(seed: 42)
        #expect(randomPermutation(count: 10, using: &a) == [8, 3, 6, 5, 4, 0, 9, 2, 1, 7])
        var b = TestSplitMix64(seed: 2024)
        #expect(randomPermutation(count: 20, using: &b) == [17, 11, 15, 14, 3, 0, 9, 6, 19, 10, 4, 2, 7, 16, 8, 13, 18, 5, 1, 12])
    }

    @Test func uniformIndexStaysInRange() {
        var rng = TestSplitMix64(seed: 1)
        for bound in [1, 2, 3, 7, 10, 1000, Int(Int32.max), Int.max] {
            for _ in 0..<200 {
                let v = uniformIndex(below: bound, using: &rng)
                #expect(v >= 0 && v < bound)
                if v < 0 || v >= bound { return }
            }
        }
    }

    @Test func fisherYatesIsUniformOnThreeElements() {
        // 60,000 shuffles of [0, 1, 2]: each of the 6 orders ~10,000 (sd ≈ 91).
        var rng = TestSplitMix64(seed: 77)
        var counts = [[Int]: Int]()
        for _ in 0..<60_000 {
            var v = [0, 1, 2]
            fisherYatesShuffle(&v, using: &rng)
            counts[v, default: 0] += 1
        }
        #expect(counts.count == 6)
        for (order, n) in counts { #expect(abs(n - 10_000) < 500, "\(order): \(n)") }
    }

    func labelledSet(count: Int) -> ImageSet {
        // Image i is filled with the value i, label i % 10: lets a test check that
        // images and labels stay together.
        ImageSet(images: (0..<count).flatMap { [Float](repeating: Float($0), count: 4) },
                 labels: (0..<count).map { Int32($0 % 10) }, channels: 1, height: 2, width: 2)
    }

    @Test(arguments: [100, 60_000, 7])
    func sizesDisjointAndComplete(count: Int) {
        var rng = TestSplitMix64(seed: 9)
        let (train, validation) = trainValidationIndices(count: count, using: &rng)
        let expectedValidation = Int((Double(count) * 0.2).rounded())
        #expect(validation.count == expectedValidation && train.count == count - expectedValidation)
        #expect(Set(train).isDisjoint(with: validation))
        #expect(Set(train + validation) == Set(0..<count))
        #expect(train == train.sorted() && validation == validation.sorted())
    }

    @Test func imageSetSplitKeepsImagesWithLabels() {
        let set = labelledSet(count: 50)
        var rng = TestSplitMix64(seed: 4)
        let (train, validation) = trainValidationSplit(set, using: &rng)
        #expect(train.count == 40 && validation.count == 10)
        for part in [train, validation] {
            for k in 0..<part.count {
                let original = Int(part.images[k * 4])
                #expect(part.images[(k * 4)..<(k * 4 + 4)].allSatisfy { $0 == Float(original) })
                #expect(part.labels[k] == Int32(original % 10))
            }
        }
        let ids = (train.images + validation.images).enumerated().filter { $0.offset % 4 == 0 }.map { Int($0.element) }
        #expect(Set(ids) == Set(0..<50))
    }

    @Test func deterministicForASeedDifferentAcrossSeeds() {
        let set = labelledSet(count: 200)
        var a = TestSplitMix64(seed: 123), b = TestSplitMix64(seed: 123), c = TestSplitMix64(seed: 124)
        let first = trainValidationSplit(set, using: &a)
        let second = trainValidationSplit(set, using: &b)
        let third = trainValidationSplit(set, using: &c)
        #expect(first.validation.images == second.validation.images && first.train.labels == second.train.labels)
        #expect(first.validation.images != third.validation.images)
    }

    @Test func otherFractions() {
        var rng = TestSplitMix64(seed: 2)
        #expect(trainValidationIndices(count: 10, validationFraction: 0, using: &rng).validation.isEmpty)
        #expect(trainValidationIndices(count: 10, validationFraction: 0.5, using: &rng).validation.count == 5)
    }

    @Test func subsetCopiesInOrder() {
        let set = labelledSet(count: 5)
        let sub = set.subset([4, 1, 1])
        #expect(sub.labels == [4, 1, 1])
        #expect(sub.images == [4, 4, 4, 4, 1, 1, 1, 1, 1, 1, 1, 1])
        #expect(set.labelHistogram() == [1, 1, 1, 1, 1, 0, 0, 0, 0, 0])
    }
}
