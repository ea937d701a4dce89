import FileOutput
import ArgumentParser
import Experiments
import Foundation
import ModelImport

extension ModelExport.Format: ExpressibleByArgument {}
extension AuthorsStateDict.NoiseClass: ExpressibleByArgument {}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a model, uncompacted (weights, biases, μ, log σ, masks), in the authors' key layout as a PyTorch state_dict (.pth) or safetensors, so their code can load_state_dict it.")

    @Argument(help: "A model: checkpoint.bin from `bmrs train`, or a .pth/.safetensors/.npz trained elsewhere.")
    var checkpoint: String
    @OptionGroup var model: ModelOptions
    @Option(help: "pth (a torch.save zip) or safetensors.")
    var format: ModelExport.Format
    @Option(help: ArgumentHelp("The authors' noise-layer class the file is for (their train.py --pruning_class): it decides whether each noise layer has pruning_eps (only \(AuthorsStateDict.NoiseClass.bmrsN.rawValue) has). Default: \(AuthorsStateDict.NoiseClass.bmrsN.rawValue) when the input is a file trained elsewhere with pruning_eps keys, else \(AuthorsStateDict.NoiseClass.snr.rawValue) (their default).",
                               valueName: "class"))
    var pruningClass: AuthorsStateDict.NoiseClass?
    @Option(help: "Where to write the file.")
    var out: String

    func run() throws {
        // A network without noise layers gets the layout's own error (what is expected, what was found).
        let loaded = try model.loadModel(checkpoint, requireNoise: false)
        let network = loaded.network
        let pruningClass = try self.pruningClass ?? inferredClass(loaded)
        let url = URL(fileURLWithPath: out)
        let bytes = try ModelExport.authorsLayout(network, format: format, noiseClass: pruningClass, fileName: url.lastPathComponent, source: checkpoint)
        try AtomicFile.write(Data(bytes), to: url)
        if !network.noiseEnabled {
            printErr("note: the noise layers of this model are off (trained plain): build the authors' network with enable_pruning=False (their --disable_pruning) to evaluate it as trained")
        }
        let pruned = network.noiseLayers.reduce(0) { $0 + $1.mask.filter { $0 == 0 }.count }
        let total = network.noiseLayers.reduce(0) { $0 + $1.units }
        print("\(network.spec) in the authors' layout for \(pruningClass.rawValue): \(pruned) of \(total) structures masked, \(bytes.count) bytes → \(out)")
    }

    /// A file of theirs with `pruning_eps` keys came from their BMRS_N class: exported again, it keeps them.
    private func inferredClass(_ loaded: ImportedModel) throws -> AuthorsStateDict.NoiseClass {
        guard case .imported = loaded.origin else { return .snr }
        let keys = try TensorFile.read(url: URL(fileURLWithPath: checkpoint)).keys
        return keys.contains { $0.hasSuffix(".pruning_eps") } ? .bmrsN : .snr
    }
}
