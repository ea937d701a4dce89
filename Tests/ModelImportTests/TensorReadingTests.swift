import Foundation
import Testing
@testable import ModelImport

@Suite("tensor files")
struct TensorReadingTests {
    @Test func stridesOffsetsAndSharedStoragesRoundTripExactly() throws {
        let expected = try Fixture.expected().tensors
        let file = try TensorFile.read(url: try Fixture.url("tensors.pth"))
        #expect(file.format == .pytorch)
        #expect(file.keys == ["transposed", "sliced", "strided", "big", "expanded", "half", "bf16", "f64",
                              "scalar64", "count", "int8", "empty", "param"])
        for key in ["transposed", "sliced", "strided", "big", "expanded", "f64", "scalar64", "empty", "param"] {
            let tensor = try #require(file[key]), want = try #require(expected[key])
            #expect(tensor.shape == want.shape, "\(key)")
            let values = try tensor.floatValues(path: file.path)
            #expect(values.values == want.values.map(Float.init), "\(key)")
            #expect(values.note == nil)
        }
        #expect(file["f64"]?.dtype == .float64)
        #expect(file["scalar64"]?.shape == [])
    }

    @Test func halfPrecisionIsConvertedExactlyWithANote() throws {
        let expected = try Fixture.expected().tensors
        let file = try TensorFile.read(url: try Fixture.url("tensors.pth"))
        for (key, dtype) in [("half", TensorDType.float16), ("bf16", .bfloat16)] {
            let tensor = try #require(file[key])
            #expect(tensor.dtype == dtype)
            let (values, note) = try tensor.floatValues(path: file.path)
            #expect(values == expected[key]!.values.map(Float.init), "\(key)")
            #expect(note?.contains("stored as \(dtype)") == true)
        }
    }

    @Test func halfConversionCoversSpecialValues() {
        #expect(floatFromHalf(0x3C00) == 1)
        #expect(floatFromHalf(0xC000) == -2)
        #expect(floatFromHalf(0x0001) == 0x1p-24)           // smallest subnormal
        #expect(floatFromHalf(0x8000).sign == .minus)
        #expect(floatFromHalf(0x7C00) == .infinity)
        #expect(floatFromHalf(0x7E00).isNaN)
        #expect(floatFromHalf(0x7BFF) == 65504)
    }

    @Test func integerTensorsAreReadButAreNotValues() throws {
        let file = try TensorFile.read(url: try Fixture.url("tensors.pth"))
        let count = try #require(file["count"])
        #expect(count.dtype == .int64 && count.shape == [])
        #expect(littleEndian(count.bytes) == 7)
        let int8 = try #require(file["int8"])
        #expect(int8.bytes == [1, 0xFE, 3])
        let error = importError { _ = try int8.floatValues(path: "tensors.pth") }
        #expect(error?.key == "int8")
        #expect(error?.found == "int8")
    }

    @Test func bigEndianStoragesAreRefused() throws {
        let error = importError { _ = try TensorFile.read(url: try Fixture.url("big_endian.pth")) }
        #expect(error?.key?.hasSuffix("/byteorder") == true)
        #expect(error?.found == "\"big\"")
        #expect(error?.path.hasSuffix("big_endian.pth") == true)
    }

    @Test func safetensorsHoldsTheSameTensorsAsThePth() throws {
        let pth = try TensorFile.read(url: try Fixture.url("mlp.pth"))
        let st = try TensorFile.read(url: try Fixture.url("mlp.safetensors"))
        #expect(st.format == .safetensors)
        #expect(Set(st.keys) == Set(pth.keys))
        for key in pth.keys { #expect(st[key] == pth[key], "\(key)") }
        #expect(pth["2.pruning_eps"]?.dtype == .float64)
    }

    @Test func safetensorsWriterRoundTrips() throws {
        let tensors = [
            ImportedTensor(key: "b", dtype: .float32, shape: [2], bytes: floatBytes([1, -2])),
            ImportedTensor(key: "a", dtype: .int64, shape: [], bytes: [9, 0, 0, 0, 0, 0, 0, 0]),
        ]
        let bytes = try Safetensors.encode(tensors, metadata: ["format": "pt"])
        #expect(littleEndian(bytes[0..<8]) % 8 == 0)
        let file = try TensorFile.decode(bytes, path: "rt.safetensors")
        #expect(file.tensors == tensors)
        let cut = importError { _ = try TensorFile.decode(Array(bytes.dropLast(3)), path: "cut.safetensors") }
        #expect(cut?.problem == "truncated file")
        #expect(cut?.key == "a")
    }

    @Test func safetensorsSizeMismatchIsNamed() throws {
        let header = #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian, Array.init) + Array(header.utf8)
        bytes += [UInt8](repeating: 0, count: 8)
        let error = importError { _ = try TensorFile.decode(bytes, path: "w.safetensors") }
        #expect(error?.key == "w")
        #expect(error?.problem == "data size does not match the shape")
    }

    /// A shape whose element count overflows Int (2^64 elements) is an error naming the
    /// tensor, for a known and for an unknown dtype, in safetensors and in .npy alike.
    @Test func shapesWhoseElementCountOverflowsAreRefused() throws {
        for dtype in ["F32", "F8_E4M3"] {
            let header = #"{"w":{"dtype":"\#(dtype)","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#
            var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian, Array.init) + Array(header.utf8)
            bytes += [UInt8](repeating: 0, count: 8)
            let error = importError { _ = try TensorFile.decode(bytes, path: "w.safetensors") }
            #expect(error?.key == "w", "\(dtype)")
            #expect(error?.problem == "implausible tensor shape", "\(dtype)")
        }
        for descr in ["<f4", "|O"] {
            let header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (4294967296, 4294967296), }\n"
            let npy = [0x93] + Array("NUMPY".utf8) + [1, 0] + withUnsafeBytes(of: UInt16(header.utf8.count).littleEndian, Array.init)
                + Array(header.utf8) + floatBytes([0, 1])
            let error = importError { _ = try NumpyArchive.decodeNpy(npy, key: "f", path: "a.npz") }
            #expect(error?.key == "f", "\(descr)")
            #expect(error?.problem == "implausible tensor shape", "\(descr)")
        }
    }

    @Test func npzArraysMatchThePth() throws {
        let npz = try TensorFile.read(url: try Fixture.url("mlp_renamed.npz"))
        let pth = try TensorFile.read(url: try Fixture.url("mlp.pth"))
        #expect(npz.format == .npz)
        #expect(npz["encoder.input.w"]?.bytes == pth["0.weight"]?.bytes)
        #expect(npz["encoder.input.w"]?.shape == [8, 1024])
        #expect(npz["gates.2.log_scale"]?.bytes == pth["4.2.logsigma"]?.bytes)
        #expect(npz["step"]?.dtype == .int64)
        #expect(npz["step"].map { littleEndian($0.bytes) } == 1234)
    }

    @Test func npyFortranOrderAndUnsupportedTypes() throws {
        // A 2×3 float32 array in column-major order: memory 0 3 1 4 2 5 holds rows (0 1 2) (3 4 5).
        let header = "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }"
        let padded = header + String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        let npy = [0x93] + Array("NUMPY".utf8) + [1, 0] + withUnsafeBytes(of: UInt16(padded.utf8.count).littleEndian, Array.init)
            + Array(padded.utf8) + floatBytes([0, 3, 1, 4, 2, 5])
        let tensor = try NumpyArchive.decodeNpy(npy, key: "f", path: "a.npz")
        #expect(try tensor.floatValues(path: "").values == [0, 1, 2, 3, 4, 5])
        #expect(NumpyArchive.dtype(">f4") == .unsupported(">f4 (big-endian)"))
        #expect(NumpyArchive.dtype("|O") == .unsupported("|O"))
    }

    @Test func unrecognisedFilesSayWhatTheyLookLike() throws {
        let legacy = importError { _ = try TensorFile.decode([0x80, 2, 0x8A, 0x0A], path: "old.pth") }
        #expect(legacy?.problem == "unrecognised model file")
        #expect(legacy?.found.contains("legacy torch.save") == true)
        let text = importError { _ = try TensorFile.decode(Array("hello, world".utf8), path: "t.txt") }
        #expect(text?.found.hasPrefix("first bytes 68 65") == true)
        let npz = importError { _ = try TensorFile.decode(makeZip([("readme.txt", [1])]), path: "r.zip") }
        #expect(npz?.problem == "zip archive of an unknown kind")
    }
}
