// swift-tools-version:6.0
import PackageDescription

// The training kernels are compiled for Haswell-class x86-64 (AVX2), which every x86
// laptop of the last decade has, with fused multiply-adds: the noise sampling kernel runs
// ~2.7× faster than with the SSE2 baseline. Set BMRS_PORTABLE_BUILD=1 to build for the
// baseline instead.
let kernelTuning: [SwiftSetting] = {
    #if arch(x86_64)
    if Context.environment["BMRS_PORTABLE_BUILD"] == nil {
        return [.unsafeFlags(["-target-cpu", "haswell"]), .define("BMRS_FMA")]
    }
    #endif
    return []
}()

// One job per target, dependencies pointing one way (see Sources/README.md):
// Datasets → NeuralCore (+ NoiseStatistics) → BayesianPruning → Experiments (its result set)
// → Reporting (with Analysis and Rendering, plain values only) → bmrs. Each target declares
// exactly the modules its files import (scripts/check-imports.py).
let package = Package(
    name: "bmrs-swift",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "bmrs", targets: ["bmrs"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", exact: "5.0.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", exact: "2.1.1"),
    ],
    targets: [
        // System-library shims.
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CCairo", pkgConfig: "cairo",
                       providers: [.apt(["libcairo2-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),

        // How files are written: atomically (AtomicFile), JSON in the project's conventions,
        // CSV fields. A leaf, so that every target that writes a file shares one writer.
        .target(name: "FileOutput"),
        // Seeded generators (xoshiro256**, SplitMix64) and the one Fisher–Yates shuffle. Built
        // with the kernels' settings, as they were when they lived in NeuralCore.
        .target(name: "SeededRandom", swiftSettings: kernelTuning),
        // Float64 statistics of the truncated log-normal posterior (SPEC §1–2).
        // (Built for the kernels' target too: its exact x² splits are then fused multiply-adds
        // in line instead of libm fma calls, at every training step; the values are the same.)
        .target(name: "NoiseStatistics", swiftSettings: kernelTuning),
        // Float32 training engine: buffers, kernels, layers, loss, Adam, RNG, networks.
        .target(name: "NeuralCore", dependencies: ["CBLAS", "NoiseStatistics", "FileOutput", "SeededRandom"], swiftSettings: kernelTuning),
        // Data set readers, gzip, resize, splits, discovery.
        .target(name: "Datasets", dependencies: ["CZlib", "FileOutput", "SeededRandom"]),
        // Readers for models trained elsewhere (PyTorch state_dicts, safetensors, .npz).
        .target(name: "ModelImport", dependencies: ["NeuralCore", "CZlib", "FileOutput", "SeededRandom"]),
        // Criteria, masks, compression accounting, checkpoints, compaction.
        .target(name: "BayesianPruning", dependencies: ["NeuralCore", "NoiseStatistics", "SeededRandom"]),
        // Training protocol, run records.
        .target(name: "Experiments", dependencies: ["NeuralCore", "NoiseStatistics", "BayesianPruning", "Datasets", "Analysis", "FileOutput", "SeededRandom",
                                                   .product(name: "Yams", package: "Yams")]),
        // Plain-value statistics: Spearman, seed aggregation, curves, paired tests, Pareto/knee.
        .target(name: "Analysis"),
        // Cairo canvas (PNG/PDF) and figures drawn from plain values.
        .target(name: "Rendering", dependencies: ["CCairo", "FileOutput"]),
        // Tables, figures and reports from a grid's result set (plain values: never a network).
        .target(name: "Reporting", dependencies: ["Experiments", "Analysis", "Rendering", "FileOutput",
                                                 .product(name: "Mustache", package: "swift-mustache")]),
        // The command-line tool: parses flags and wires the libraries.
        .executableTarget(name: "bmrs", dependencies: [
            "Experiments", "Datasets", "NeuralCore", "BayesianPruning", "NoiseStatistics", "Reporting", "Analysis", "ModelImport", "FileOutput", "SeededRandom",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "RenderingTests", dependencies: ["Rendering", "FileOutput"], resources: [.copy("Goldens")]),
        .testTarget(name: "AnalysisTests", dependencies: ["Analysis"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NoiseStatisticsTests", dependencies: ["NoiseStatistics"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NeuralCoreTests", dependencies: ["NeuralCore", "NoiseStatistics", "SeededRandom"]),
        .testTarget(name: "BayesianPruningTests", dependencies: ["BayesianPruning", "NeuralCore", "NoiseStatistics", "SeededRandom"]),
        .testTarget(name: "ReportingTests", dependencies: ["Reporting", "Analysis", "Experiments", "Rendering", "FileOutput"],
                    resources: [.copy("Expected"), .copy("Fixtures")]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "SeededRandom"]),
        .testTarget(name: "ModelImportTests", dependencies: ["ModelImport", "NeuralCore", "BayesianPruning", "Datasets", "SeededRandom"], resources: [.copy("Fixtures")]),
        .testTarget(name: "bmrsTests", dependencies: ["bmrs", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "ExperimentsTests", dependencies: ["Experiments", "Datasets", "NeuralCore", "BayesianPruning", "FileOutput", "SeededRandom"]),
    ],
    swiftLanguageModes: [.v6]
)
