import Foundation
import FileOutput

/// Binary checkpoint of a network: every parameter (weights, biases, μ, log σ) and mask.
///
/// Layout (all integers and floats little-endian):
///
///     "BMRSCKPT"            8 bytes magic
///     version               UInt32 (1)
///     header length H       UInt32
///     header                H bytes of JSON: `Checkpoint.Header` (spec, layers, parameter
///                           names and shapes, mask sizes, noise_enabled)
///     parameter values      Float32 × Σ parameter counts, in header order
///     masks                 Float32 × Σ mask sizes, one block per noise layer
///     CRC-32                UInt32, IEEE polynomial, of every byte before it
///
/// Loading checks magic, version, sizes and checksum and names the file in every error.
public enum Checkpoint {
    public static let magic = Array("BMRSCKPT".utf8)
    public static let version: UInt32 = 1

    public struct Header: Codable, Equatable, Sendable {
        public var spec: NetworkSpec?
        public var layers: [LayerDescriptor]
        public var parameters: [ParameterInfo]
        public var masks: [Int]
        public var noiseEnabled: Bool
    }

    public struct ParameterInfo: Codable, Equatable, Sendable {
        public var name: String
        public var shape: [Int]
    }

    public static func header(of network: Network) -> Header {
        Header(spec: network.spec, layers: network.layers.map(LayerDescriptor.init),
               parameters: network.allParameters.map { ParameterInfo(name: $0.name, shape: $0.shape) },
               masks: network.noiseLayers.map(\.units), noiseEnabled: network.noiseEnabled)
    }

    public static func encode(_ network: Network) throws -> Data {
        var data = Data(magic)
        let header = try JSONCoding.canonicalEncoder().encode(header(of: network))
        append(version, to: &data)
        append(UInt32(header.count), to: &data)
        data.append(header)
        for p in network.allParameters { append(p.value.pointer, count: p.count, to: &data) }
        for layer in network.noiseLayers { layer.mask.withUnsafeBufferPointer { append($0.baseAddress!, count: $0.count, to: &data) } }
        append(CRC32.checksum(data), to: &data)
        return data
    }

    /// Reads a checkpoint into a new network built from its header.
    public static func load(_ url: URL, maxBatch: Int = 500) throws -> Network {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw CheckpointError(path: url.path, problem: "cannot read file", expected: "a readable checkpoint", found: "\(error.localizedDescription)")
        }
        return try decode(data, path: url.path, maxBatch: maxBatch)
    }

    public static func decode(_ data: Data, path: String, maxBatch: Int = 500) throws -> Network {
        let bytes = [UInt8](data)
        func fail(_ problem: String, _ expected: String, _ found: String) -> CheckpointError {
            CheckpointError(path: path, problem: problem, expected: expected, found: found)
        }
        guard bytes.count >= 20 else { throw fail("truncated file", "at least 20 bytes", "\(bytes.count) bytes") }
        guard Array(bytes[0..<8]) == magic else {
            throw fail("wrong magic number", "\"BMRSCKPT\"", bytes[0..<8].map { String(format: "%02x", $0) }.joined())
        }
        let fileVersion = readUInt32(bytes, at: 8)
        guard fileVersion == version else { throw fail("unsupported version", "\(version)", "\(fileVersion)") }
        let storedCRC = readUInt32(bytes, at: bytes.count - 4)
        let actualCRC = CRC32.checksum(bytes[0..<(bytes.count - 4)])
        let headerLength = Int(readUInt32(bytes, at: 12))
        guard 16 + headerLength <= bytes.count - 4 else {
            throw fail("truncated file", "a header of \(headerLength) bytes", "\(bytes.count - 20) bytes after the fixed fields")
        }
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: Data(bytes[16..<(16 + headerLength)])) } catch {
            throw fail("unreadable header", "JSON checkpoint header", "\(error)")
        }
        let floats = header.parameters.reduce(0) { $0 + $1.shape.reduce(1, *) } + header.masks.reduce(0, +)
        let expectedSize = 16 + headerLength + 4 * floats + 4
        guard bytes.count == expectedSize else {
            throw fail(bytes.count < expectedSize ? "truncated file" : "trailing bytes", "\(expectedSize) bytes for the shapes in the header", "\(bytes.count) bytes")
        }
        guard storedCRC == actualCRC else {
            throw fail("checksum mismatch (corrupted file)", String(format: "CRC-32 %08x", storedCRC), String(format: "%08x", actualCRC))
        }
        // What the layers' initializers require (their preconditions), checked here: a
        // damaged header must not reach them (found by fuzzing: an odd max-pool height).
        for (i, layer) in header.layers.enumerated() {
            if let problem = layer.invalidity {
                throw fail("impossible layer", "layer \(i) with \(problem)", "\(layer)")
            }
        }
        let network = Network(descriptors: header.layers, spec: header.spec, maxBatch: maxBatch)
        // Each layer must take what the one before it gives: a damaged header can chain
        // layers of other sizes, and the forward pass would read past a buffer.
        for (i, (a, b)) in zip(network.layers, network.layers.dropFirst()).enumerated() where a.outputSize != b.inputSize {
            throw fail("layer sizes do not chain", "layer \(i + 1) taking the \(a.outputSize) values layer \(i) gives",
                       "\(b.inputSize) inputs (\(header.layers[i + 1]))")
        }
        let infos = network.allParameters.map { ParameterInfo(name: $0.name, shape: $0.shape) }
        guard infos.map(\.shape) == header.parameters.map(\.shape) else {
            throw fail("parameter shapes do not match the layers", "\(infos.map(\.shape))", "\(header.parameters.map(\.shape))")
        }
        var offset = 16 + headerLength
        bytes.withUnsafeBytes { raw in
            for p in network.allParameters {
                for i in 0..<p.count { p.value[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4 * i, as: UInt32.self))) }
                offset += 4 * p.count
            }
            for layer in network.noiseLayers {
                for i in 0..<layer.units { layer.mask[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4 * i, as: UInt32.self))) }
                offset += 4 * layer.units
            }
        }
        network.noiseEnabled = header.noiseEnabled
        return network
    }

    /// Copies every value and mask of `source` into `target` (same architecture).
    public static func copy(from source: Network, to target: Network) {
        precondition(source.layers.map(LayerDescriptor.init) == target.layers.map(LayerDescriptor.init), "copy: architectures differ")
        for (a, b) in zip(source.allParameters, target.allParameters) { b.value.pointer.update(from: a.value.pointer, count: a.count) }
        for (a, b) in zip(source.noiseLayers, target.noiseLayers) { b.mask = a.mask }
        target.noiseEnabled = source.noiseEnabled
    }

    private static func append(_ v: UInt32, to data: inout Data) {
        withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) }
    }

    private static func append(_ p: UnsafePointer<Float>, count: Int, to data: inout Data) {
        var bytes = [UInt8](repeating: 0, count: 4 * count)
        for i in 0..<count {
            let b = p[i].bitPattern.littleEndian
            bytes[4 * i] = UInt8(truncatingIfNeeded: b); bytes[4 * i + 1] = UInt8(truncatingIfNeeded: b >> 8)
            bytes[4 * i + 2] = UInt8(truncatingIfNeeded: b >> 16); bytes[4 * i + 3] = UInt8(truncatingIfNeeded: b >> 24)
        }
        data.append(contentsOf: bytes)
    }

    private static func readUInt32(_ bytes: [UInt8], at i: Int) -> UInt32 {
        UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
    }
}

public struct CheckpointError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var problem: String
    public var expected: String
    public var found: String
    public var description: String { "\(path): \(problem): expected \(expected), found \(found)" }
}

/// CRC-32 (IEEE 802.3, reflected, as zlib's crc32).
public enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}

extension LayerDescriptor {
    /// Why no layer can be built from this descriptor (nil when one can): sizes from 1 to
    /// 2^24 per dimension and 2^26 values per layer, even max-pool planes, a kernel that
    /// fits, a plane size of 1 for row noise.
    var invalidity: String? {
        let limit = 1 << 24
        func sizes(_ values: [Int]) -> String? {
            guard values.allSatisfy({ (1...limit).contains($0) }) else { return "sizes from 1 to \(limit)" }
            var product = 1
            for v in values {
                let (p, overflow) = product.multipliedReportingOverflow(by: v)
                guard !overflow, p <= 1 << 26 else { return "at most \(1 << 26) values" }
                product = p
            }
            return nil
        }
        switch self {
        case let .dense(i, o): return sizes([i]) ?? sizes([o]) ?? sizes([i, o])
        case let .conv2d(ic, oc, k, h, w, _):
            if let p = sizes([ic, h, w]) ?? sizes([oc, h, w]) ?? sizes([oc, ic, k, k]) { return p }
            return k <= h && k <= w ? nil : "a kernel no larger than its input"
        case let .maxPool2d(c, h, w):
            if let p = sizes([c, h, w]) { return p }
            return h % 2 == 0 && w % 2 == 0 ? nil : "an even height and width"
        case let .activation(_, size): return sizes([size])
        case let .flatten(c, h, w): return sizes([c, h, w])
        case let .noise(units, plane, rows):
            if let p = sizes([units, plane]) { return p }
            return !rows || plane == 1 ? nil : "a plane size of 1 for row noise"
        }
    }
}
