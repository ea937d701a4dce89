import Foundation
import NeuralCore
import FileOutput

/// Everything a training run holds after the steps of one epoch and before that epoch's
/// compression step: enough to continue it bit for bit in another process. Runs of one
/// seed and configuration that differ only in their pruning rule are identical up to the
/// first epoch at which their own rule prunes something, so one trained prefix is saved
/// at such epochs and every method forks from it (issue 17; see `TrainingPrefix`).
public struct TrainerState: Sendable, Equatable {
    /// The epoch whose steps are done (1-based).
    public var epoch: Int
    /// Values of `Network.allParameters`, in that order.
    public var parameters: [[Float]]
    /// Noise-layer masks.
    public var masks: [[Float]]
    /// The network before the first step (a failed run reports it, as one trained alone).
    public var initialParameters: [[Float]]
    public var adamStep: Int
    public var moments1: [[Float]]
    public var moments2: [[Float]]
    /// Data-order generator and the permutation it last shuffled (shuffles compose).
    public var orderGenerator: [UInt64]
    public var order: [Int]
    public var noiseCounter: UInt64
    /// The epoch's running loss sums (its record is written after the compression step).
    public var lossSum: Double
    public var crossEntropySum: Double
    public var klSum: Double
    /// Records of the epochs before `epoch`, and the validation accuracy before training.
    public var epochs: [EpochRecord]
    public var initialValidationAccuracy: Double

    public init(epoch: Int, parameters: [[Float]], masks: [[Float]], initialParameters: [[Float]], adamStep: Int,
                moments1: [[Float]], moments2: [[Float]], orderGenerator: [UInt64], order: [Int], noiseCounter: UInt64,
                lossSum: Double, crossEntropySum: Double, klSum: Double, epochs: [EpochRecord], initialValidationAccuracy: Double) {
        self.epoch = epoch; self.parameters = parameters; self.masks = masks; self.initialParameters = initialParameters
        self.adamStep = adamStep; self.moments1 = moments1; self.moments2 = moments2
        self.orderGenerator = orderGenerator; self.order = order; self.noiseCounter = noiseCounter
        self.lossSum = lossSum; self.crossEntropySum = crossEntropySum; self.klSum = klSum
        self.epochs = epochs; self.initialValidationAccuracy = initialValidationAccuracy
    }
}

/// The file form of a `TrainerState`: a magic line, a JSON header (scalars, shapes, the
/// epoch records and an FNV-1a checksum of the payload), then the arrays as raw
/// little-endian Float32 / Int64. Loading checks magic, shapes and checksum, so a damaged
/// or truncated file is refused rather than continued from.
public enum TrainerStateFile {
    static let magic = Data("BMRS-TRAINER-STATE/1\n".utf8)

    struct Header: Codable {
        var epoch: Int
        var adamStep: Int
        var orderGenerator: [UInt64]
        var noiseCounter: UInt64
        var lossSum: Double
        var crossEntropySum: Double
        var klSum: Double
        var epochs: [EpochRecord]
        var initialValidationAccuracy: Double
        var parameterShapes: [Int]
        var maskShapes: [Int]
        var orderCount: Int
        var payloadChecksum: String
    }

    public static func encode(_ s: TrainerState) throws -> Data {
        var payload = Data()
        func append(_ arrays: [[Float]]) {
            for a in arrays { a.withUnsafeBytes { payload.append(contentsOf: $0) } }
        }
        append(s.parameters); append(s.moments1); append(s.moments2); append(s.initialParameters); append(s.masks)
        s.order.map { Int64($0).littleEndian }.withUnsafeBytes { payload.append(contentsOf: $0) }
        let header = Header(epoch: s.epoch, adamStep: s.adamStep, orderGenerator: s.orderGenerator, noiseCounter: s.noiseCounter,
                            lossSum: s.lossSum, crossEntropySum: s.crossEntropySum, klSum: s.klSum, epochs: s.epochs,
                            initialValidationAccuracy: s.initialValidationAccuracy,
                            parameterShapes: s.parameters.map(\.count), maskShapes: s.masks.map(\.count),
                            orderCount: s.order.count, payloadChecksum: fnv1a(payload))
        let json = try JSONCoding.encoder().encode(header)
        var out = magic
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(json)
        out.append(payload)
        return out
    }

    public static func decode(_ data: Data, path: String) throws -> TrainerState {
        func bad(_ why: String) -> ConfigError { ConfigError(field: path, expected: "a bmrs trainer state file", found: why) }
        guard data.count > magic.count + 8, data.prefix(magic.count) == magic else { throw bad("no BMRS-TRAINER-STATE/1 header") }
        let bytes = [UInt8](data)
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[magic.count + i]) << (8 * UInt64(i)) }
        let headerStart = magic.count + 8
        guard length < UInt64(bytes.count - headerStart) else { throw bad("header length \(length) beyond the file's \(bytes.count) bytes") }
        let payloadStart = headerStart + Int(length)
        let header: Header
        do { header = try JSONCoding.decoder().decode(Header.self, from: Data(bytes[headerStart..<payloadStart])) } catch {
            throw bad("unreadable header: \(error)")
        }
        let p = header.parameterShapes.reduce(0, +), m = header.maskShapes.reduce(0, +)
        let expected = 4 * (4 * p + m) + 8 * header.orderCount
        guard bytes.count - payloadStart == expected else {
            throw bad("payload of \(bytes.count - payloadStart) bytes, expected \(expected) (truncated?)")
        }
        let payload = Data(bytes[payloadStart...])
        guard fnv1a(payload) == header.payloadChecksum else { throw bad("payload checksum mismatch (damaged file)") }
        var offset = 0
        func floats(_ shapes: [Int]) -> [[Float]] {
            shapes.map { n in
                let a = [Float](unsafeUninitializedCapacity: n) { buffer, count in
                    bytes.withUnsafeBytes { raw in
                        _ = memcpy(buffer.baseAddress!, raw.baseAddress! + payloadStart + offset, 4 * n)
                    }
                    count = n
                }
                offset += 4 * n
                return a
            }
        }
        let parameters = floats(header.parameterShapes), moments1 = floats(header.parameterShapes)
        let moments2 = floats(header.parameterShapes), initial = floats(header.parameterShapes), masks = floats(header.maskShapes)
        var order = [Int](repeating: 0, count: header.orderCount)
        for i in 0..<header.orderCount {
            var v: UInt64 = 0
            for b in 0..<8 { v |= UInt64(bytes[payloadStart + offset + 8 * i + b]) << (8 * UInt64(b)) }
            order[i] = Int(Int64(bitPattern: v))
        }
        return TrainerState(epoch: header.epoch, parameters: parameters, masks: masks, initialParameters: initial,
                            adamStep: header.adamStep, moments1: moments1, moments2: moments2,
                            orderGenerator: header.orderGenerator, order: order, noiseCounter: header.noiseCounter,
                            lossSum: header.lossSum, crossEntropySum: header.crossEntropySum, klSum: header.klSum,
                            epochs: header.epochs, initialValidationAccuracy: header.initialValidationAccuracy)
    }

    public static func write(_ state: TrainerState, to url: URL) throws {
        try AtomicFile.write(encode(state), to: url)
    }

    public static func load(_ url: URL) throws -> TrainerState {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ConfigError(field: url.path, expected: "a readable trainer state file", found: error.localizedDescription)
        }
        return try decode(data, path: url.path)
    }

    static func fnv1a(_ data: Data) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        data.withUnsafeBytes { raw in
            for b in raw.bindMemory(to: UInt8.self) { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        }
        return String(format: "%016llx", h)
    }
}
