import Foundation
import FileOutput

/// What `bmrs data fetch` installed into a data set's directory, written there as
/// `.bmrs-fetch.json` together with the files (before the directory is renamed into
/// place). It is how `bmrs data` verifies files that have no published checksum of their
/// own: CIFAR-10's batches are checked against the MD5s taken while extracting them from
/// an archive whose published MD5 matched.
public struct FetchManifest: Codable, Sendable, Equatable {
    public static let fileName = ".bmrs-fetch.json"
    public static let currentSchema = "bmrs.fetch/1"

    /// One downloaded file, verified against its published checksum.
    public struct Download: Codable, Sendable, Equatable {
        public let name: String
        public let url: String
        public let md5: String
    }

    /// One installed file and its MD5.
    public struct InstalledFile: Codable, Sendable, Equatable {
        public let name: String
        public let bytes: Int64
        public let md5: String
    }

    public let schema: String
    public let dataset: DatasetName
    /// ISO 8601, UTC.
    public let fetchedAt: String
    public let checksumSource: String
    public let downloads: [Download]
    public let files: [InstalledFile]

    enum CodingKeys: String, CodingKey {
        case schema, dataset, fetchedAt = "fetched_at", checksumSource = "checksum_source", downloads, files
    }

    /// The manifest in `directory`, or nil if there is none or it does not decode.
    public static func read(in directory: URL) -> FetchManifest? {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent(fileName)),
              let manifest = try? JSONDecoder().decode(FetchManifest.self, from: data),
              manifest.schema == currentSchema else { return nil }
        return manifest
    }

    func write(in directory: URL) throws {
        try AtomicFile.writeJSON(self, to: directory.appendingPathComponent(FetchManifest.fileName), keys: .declared)
    }
}
