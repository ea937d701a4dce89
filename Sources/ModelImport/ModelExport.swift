import Foundation
import NeuralCore

/// Writing networks for other tools: the bytes of a file, never the file itself (the
/// caller writes them atomically). The counterpart of `ImportedModel`: what is exported in
/// the authors' layout reads back through `ImportedModel.load` to the same values.
public enum ModelExport {
    public enum Format: String, CaseIterable, Sendable {
        case safetensors
        /// A `torch.save(state_dict)` zip.
        case pth
    }

    /// The uncompacted network in the authors' key layout (`AuthorsStateDict`).
    /// `fileName` names the folder inside a .pth archive, as torch.save would; `source`, the
    /// file the network was read from, is what an error about the network names.
    public static func authorsLayout(_ network: Network, format: Format, noiseClass: AuthorsStateDict.NoiseClass = .snr,
                                     fileName: String, source: String? = nil) throws -> [UInt8] {
        let tensors = try AuthorsStateDict.tensors(of: network, noiseClass: noiseClass, path: source ?? fileName)
        switch format {
        case .safetensors:
            // "format": "pt" is what safetensors.torch writes; its loaders expect it.
            return try Safetensors.encode(tensors, metadata: ["format": "pt"])
        case .pth:
            return try TorchStateDictWriter.encode(tensors, archiveName: TorchStateDictWriter.archiveName(for: fileName), path: fileName)
        }
    }

    /// A compacted network as safetensors (keys of an `nn.Sequential`, `DenseNetworkExport`)
    /// and the JSON description of its architecture, also kept in the file's metadata
    /// under `bmrs.architecture`.
    public static func compacted(_ network: Network, fileName: String, source: String? = nil) throws -> (safetensors: [UInt8], architecture: Data) {
        let (tensors, architecture) = try DenseNetworkExport.export(network, path: source ?? fileName)
        let json = try DenseNetworkExport.json(architecture)
        let bytes = try Safetensors.encode(tensors, metadata: ["format": "pt", "bmrs.architecture": String(decoding: json, as: UTF8.self)])
        return (bytes, json)
    }

    /// Where the architecture of a compacted `file` goes: beside it, `<stem>.architecture.json`.
    public static func architectureURL(for file: URL) -> URL {
        file.deletingPathExtension().appendingPathExtension("architecture.json")
    }
}
