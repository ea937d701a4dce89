import Foundation
import Testing
import Datasets

@Suite("Data set discovery")
struct DataLocatorTests {
    func same(_ a: URL, _ b: URL) -> Bool { a.standardizedFileURL.path == b.standardizedFileURL.path }

    @Test func argumentBeatsEnvironmentBeatsSystem() throws {
        let argument = try TemporaryDirectory(), environment = try TemporaryDirectory(), system = try TemporaryDirectory()
        let argumentDir = try argument.subdirectory("fashion-mnist")
        try writeIDXDataset(in: argumentDir, gzip: true)
        try writeIDXDataset(in: try environment.subdirectory("fashion-mnist"))
        try writeIDXDataset(in: system.url)
        let systemDirs: [DatasetName: [String]] = [.fashionMNIST: [system.path]]
        let env = [DataLocator.environmentVariable: environment.path]

        let all = DataLocator(dataDirectory: argument.path, environment: env, systemDirectories: systemDirs)
        #expect(same(try all.locate(.fashionMNIST), argumentDir))
        let noArgument = DataLocator(dataDirectory: nil, environment: env, systemDirectories: systemDirs)
        #expect(same(try noArgument.locate(.fashionMNIST), environment.url.appendingPathComponent("fashion-mnist")))
        let onlySystem = DataLocator(dataDirectory: "", environment: [DataLocator.environmentVariable: ""],
                                     systemDirectories: systemDirs)
        #expect(same(try onlySystem.locate(.fashionMNIST), system.url))
    }

    @Test func incompleteDirectoriesAreSkipped() throws {
        let argument = try TemporaryDirectory(), environment = try TemporaryDirectory()
        let partial = try argument.subdirectory("mnist")
        try writeIDXDataset(in: partial)
        try FileManager.default.removeItem(at: partial.appendingPathComponent("train-labels-idx1-ubyte"))
        try writeIDXDataset(in: environment.url)   // in the root itself
        let locator = DataLocator(dataDirectory: argument.path, environment: [DataLocator.environmentVariable: environment.path])
        #expect(same(try locator.locate(.mnist), environment.url))
    }

    @Test func namedSubfolderBeatsRoot() throws {
        let root = try TemporaryDirectory()
        try writeIDXDataset(in: root.url, trainCount: 10)
        try writeIDXDataset(in: try root.subdirectory("mnist"), trainCount: 20)
        let locator = DataLocator(dataDirectory: root.path, environment: [:])
        #expect(same(try locator.locate(.mnist), root.url.appendingPathComponent("mnist")))
        // Fashion-MNIST has no subfolder here, so the root's files serve it.
        let fashion = DataLocator(dataDirectory: root.path, environment: [:], systemDirectories: [:])
        #expect(same(try fashion.locate(.fashionMNIST), root.url))
    }

    @Test func systemDirectoryOnlyForFashionMNIST() throws {
        let system = try TemporaryDirectory()
        try writeIDXDataset(in: system.url)
        let locator = DataLocator(dataDirectory: nil, environment: [:],
                                  systemDirectories: [.fashionMNIST: [system.path]])
        #expect(same(try locator.locate(.fashionMNIST), system.url))
        #expect(throws: DatasetError.self) { try locator.locate(.mnist) }
        #expect(DataLocator.defaultSystemDirectories == [.fashionMNIST: ["/usr/share/datasets/fashion-mnist"]])
    }

    @Test func errorListsEveryPlace() throws {
        let argument = try TemporaryDirectory(), environment = try TemporaryDirectory()
        let partial = try environment.subdirectory("cifar10")
        try writeCIFARDataset(in: partial)
        try FileManager.default.removeItem(at: partial.appendingPathComponent("test_batch.bin"))
        let missingSystem = argument.url.appendingPathComponent("not-there").path
        let locator = DataLocator(dataDirectory: argument.path,
                                  environment: [DataLocator.environmentVariable: environment.path],
                                  systemDirectories: [.cifar10: [missingSystem]])
        let error = expectDatasetError(.missingFile, mentioning: [
            "data set cifar10 not found",
            argument.url.appendingPathComponent("cifar10").path + " (--data-dir): no such directory",
            argument.url.appendingPathComponent("cifar-10-batches-bin").path,
            argument.path + " (--data-dir): missing data_batch_1.bin",
            partial.path + " (BMRS_DATA_DIR): missing test_batch.bin",
            environment.path + " (BMRS_DATA_DIR)",
            missingSystem + " (system): no such directory",
        ]) { _ = try locator.locate(.cifar10) }
        #expect(error?.path == argument.url.appendingPathComponent("cifar10").path)

        let nowhere = DataLocator(dataDirectory: nil, environment: [:], systemDirectories: [:], localDataDirectory: nil)
        expectDatasetError(.missingFile, mentioning: ["mnist-5k not found", "no --data-dir", "fetch-mnist-5k.sh", "no place to search"]) {
            _ = try nowhere.locate(.mnist5k)
        }
    }

    @Test func survey() throws {
        let root = try TemporaryDirectory()
        try writeIDXDataset(in: try root.subdirectory("mnist"), trainCount: 12, testCount: 5, gzip: true)
        try writeCIFARDataset(in: try root.subdirectory("cifar10"), recordsPerBatch: 3, testRecords: 4)
        let locator = DataLocator(dataDirectory: root.path, environment: [:], systemDirectories: [:])
        let survey = locator.survey()
        #expect(survey.map(\.name) == DatasetName.allCases)

        let mnist = try #require(survey.first { $0.name == .mnist })
        #expect(mnist.isAvailable && mnist.trainCount == 12 && mnist.testCount == 5)
        let mnistDir = root.url.appendingPathComponent("mnist")
        let mnistBytes = try FileManager.default.contentsOfDirectory(atPath: mnistDir.path).reduce(Int64(0)) {
            $0 + ((try FileManager.default.attributesOfItem(atPath: mnistDir.appendingPathComponent($1).path)[.size] as? NSNumber)?.int64Value ?? 0)
        }
        #expect(mnist.totalBytes == mnistBytes && mnistBytes > 0)

        let cifar = try #require(survey.first { $0.name == .cifar10 })
        #expect(cifar.trainCount == 15 && cifar.testCount == 4 && cifar.totalBytes == Int64(19 * 3073))

        let fashion = try #require(survey.first { $0.name == .fashionMNIST })
        // No fashion-mnist subfolder and no IDX files in the root: not found.
        #expect(!fashion.isAvailable && fashion.directory == nil && fashion.problem?.contains("fashion-mnist") == true)
    }

    @Test func surveyReportsUnreadableHeaders() throws {
        let root = try TemporaryDirectory()
        let dir = try root.subdirectory("mnist")
        try writeIDXDataset(in: dir)
        try writeFile(idxLabelsFile([1]), named: "t10k-images-idx3-ubyte", in: dir)   // wrong file
        let survey = DataLocator(dataDirectory: root.path, environment: [:], systemDirectories: [:]).survey()
        let mnist = try #require(survey.first { $0.name == .mnist })
        #expect(mnist.directory != nil && !mnist.isAvailable)
        #expect(mnist.problem?.contains("t10k-images-idx3-ubyte") == true)
    }
}

@Suite("Data set discovery: ./data")
struct LocalDataDirectoryTests {
    @Test func localDataFolderIsSearchedLast() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("bmrs-local-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let sample = root.appendingPathComponent("mnist-5k")
        try FileManager.default.createDirectory(at: sample, withIntermediateDirectories: true)
        try Data([0x1F, 0x8B]).write(to: sample.appendingPathComponent("mnist_5k.csv.gz"))
        let locator = DataLocator(dataDirectory: nil, environment: [:], systemDirectories: [:], localDataDirectory: root.path)
        #expect(try locator.locate(.mnist5k).standardizedFileURL.path == sample.standardizedFileURL.path)
        #expect(locator.candidates(for: .mnist5k).last?.origin == "./data")
        let argumentFirst = DataLocator(dataDirectory: "/nonexistent", environment: [:], systemDirectories: [:], localDataDirectory: root.path)
        #expect(argumentFirst.candidates(for: .mnist5k).first?.origin == "--data-dir")
    }
}
