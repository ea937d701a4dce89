// Knee analysis of post-training curves (SPEC §6–7's "BMRS lands near the optimal point",
// made a number), as plain values: the report draws it and writes it as `<slug>-knee.json`.

/// The Pareto front of several criteria's mean curves, the Kneedle knee of some of them,
/// and each thresholdless end point's Euclidean distance (in percentage points of
/// compression and accuracy) to the front and to each knee, per seed and averaged.
///
/// Front and knees are taken on the part of each mean curve that every seed covers
/// (`curveCoverage` lists each curve's stretches by seed count, `frontAndKneesUse` says so
/// in words, `kneeSeeds` names the seeds behind each knee): past one seed's BMRS end point
/// a "mean" is the other seeds' alone, and a front through it would measure that seed's
/// own end point against its own curve.
public struct KneeAnalysis: Codable, Sendable {
    /// The front's points, `[compression, accuracy]`, compression ascending.
    public var front: [[Double]]
    /// Per criterion: its knee, `[compression, accuracy]`.
    public var knees: [String: [Double]]
    public var endPoints: [EndPoint]
    /// The seeds whose curves are averaged.
    public var seeds: [UInt64]?
    /// Which part of the mean curves the front and the knees are taken on.
    public var frontAndKneesUse: String?
    /// Per knee (by criterion): the seeds whose mean it is taken on.
    public var kneeSeeds: [String: [UInt64]]?
    /// Per criterion: its mean curve's stretches by the number of seeds averaged.
    public var curveCoverage: [String: [CurveCoverageSegment]]?

    /// One thresholdless criterion's end points, one per seed, measured against the front.
    public struct EndPoint: Codable, Sendable {
        public var criterion: String
        public var seeds: [UInt64]
        public var compression: [Double]
        public var accuracy: [Double]
        public var distanceToFront: [Double]
        public var distanceToKnee: [String: [Double]]
        public var meanDistanceToFront: Double
    }

    /// What is measured: one thresholdless criterion's end points, one per seed.
    public struct EndPointSample: Sendable {
        public var criterion: String
        public var seeds: [UInt64]
        public var compression: [Double]
        public var accuracy: [Double]

        public init(criterion: String, seeds: [UInt64], compression: [Double], accuracy: [Double]) {
            precondition(seeds.count == compression.count && seeds.count == accuracy.count,
                         "KneeAnalysis.EndPointSample \(criterion): \(seeds.count) seeds, \(compression.count) x, \(accuracy.count) y")
            self.criterion = criterion
            self.seeds = seeds
            self.compression = compression
            self.accuracy = accuracy
        }
    }

    /// - Parameters:
    ///   - curves: per criterion, the part of its mean curve that every seed covers
    ///     (`AveragedCurve.meanCurveCoveredByAll`), x = compression %, y = accuracy %.
    ///   - coverage: per criterion, its mean curve's stretches by seed count.
    ///   - kneeCriteria: the criteria whose knees are taken (those without a knee are skipped).
    ///   - endPoints: the end points to measure.
    ///   - seeds: every seed averaged (each knee's seeds).
    ///   - frontAndKneesUse: the sentence stating which part of the curves is used.
    /// - Returns: nil when the front is empty (no curve has a point).
    public init?(curves: [String: Curve], coverage: [String: [CurveCoverageSegment]], kneeCriteria: [String],
                 endPoints: [EndPointSample], seeds: [UInt64], frontAndKneesUse: String) {
        let front = ParetoFront(curves.values.flatMap(\.points))
        guard !front.points.isEmpty else { return nil }
        var knees: [String: [Double]] = [:], kneeSeeds: [String: [UInt64]] = [:]
        for name in kneeCriteria {
            if let curve = curves[name], let k = Kneedle.knee(of: curve) {
                knees[name] = [k.x, k.y]
                kneeSeeds[name] = seeds
            }
        }
        self.endPoints = endPoints.map { sample in
            let xs = sample.compression, ys = sample.accuracy
            let distances = zip(xs, ys).map { front.distance(to: CurvePoint(x: $0, y: $1)) }
            var toKnee: [String: [Double]] = [:]
            for (name, k) in knees {
                toKnee[name] = zip(xs, ys).map { (($0 - k[0]) * ($0 - k[0]) + ($1 - k[1]) * ($1 - k[1])).squareRoot() }
            }
            return EndPoint(criterion: sample.criterion, seeds: sample.seeds, compression: xs, accuracy: ys,
                            distanceToFront: distances, distanceToKnee: toKnee, meanDistanceToFront: mean(distances))
        }
        self.front = front.points.map { [$0.x, $0.y] }
        self.knees = knees
        self.seeds = seeds
        self.frontAndKneesUse = frontAndKneesUse
        self.kneeSeeds = kneeSeeds
        self.curveCoverage = coverage
    }
}
