import CycleGANCompute
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors raised while reading or writing a .safetensors file. Each names the file and the
/// failing value.
public enum SafetensorsError: Error, CustomStringConvertible {
    /// The file is not a valid safetensors file.
    case invalidFile(path: String, reason: String)
    /// A tensor has a dtype this reader does not convert to fp32.
    case unsupportedDType(path: String, tensor: String, dtype: String)
    /// A tensor's value count does not match its shape.
    case countMismatch(tensor: String, shape: TensorShape, count: Int)
    /// A system call failed while writing.
    case writeFailed(path: String, call: String, errno: Int32)

    public var description: String {
        switch self {
        case let .invalidFile(path, reason):
            return "\(path) is not a valid safetensors file: \(reason)"
        case let .unsupportedDType(path, tensor, dtype):
            return "\(path): tensor '\(tensor)' has dtype \(dtype); only F32, F64, F16 and BF16 "
                + "tensors can be read. Convert the file to F32."
        case let .countMismatch(tensor, shape, count):
            return "tensor '\(tensor)' has \(count) values but its shape \(shape) needs "
                + "\(shape.count)"
        case let .writeFailed(path, call, code):
            return "writing \(path) failed in \(call): \(FileErrorReason.text(errno: code)). "
                + "Check that the folder exists, is writable and has free space."
        }
    }
}

/// One tensor of a safetensors file, stored as fp32 host values in row-major order.
public struct StoredTensor: Equatable {
    public var shape: TensorShape
    public var values: [Float]

    public init(shape: TensorShape, values: [Float]) {
        self.shape = shape
        self.values = values
    }
}

/// Contents of one .safetensors file.
///
/// The format (https://huggingface.co/docs/safetensors) starts with an unsigned 64-bit
/// little-endian header size. A JSON header follows, mapping each tensor name to its dtype,
/// shape and `data_offsets` (begin and end bytes into the data section), with an optional
/// `__metadata__` object of string values. The raw little-endian data comes last. This type writes
/// F32 only, and reads F32, F64, F16 and BF16, converting them to fp32.
public struct SafetensorsFile: Equatable {
    public var tensors: [String: StoredTensor]
    public var metadata: [String: String]

    public init(tensors: [String: StoredTensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Largest header accepted when reading (100 MB), which bounds the memory a corrupt size
    /// field can claim.
    static let maximumHeaderBytes = 100_000_000

    /// Reads and validates the file at `url`.
    public static func read(from url: URL) throws -> SafetensorsFile {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw SafetensorsError.invalidFile(
                path: url.path, reason: "cannot read it (\(FileErrorReason.text(for: error)))")
        }
        return try decode(data, path: url.path)
    }

    /// Parses the bytes of a safetensors file; `path` names it in errors.
    public static func decode(_ data: Data, path: String) throws -> SafetensorsFile {
        func invalid(_ reason: String) -> SafetensorsError {
            .invalidFile(path: path, reason: reason)
        }

        guard data.count >= 8 else {
            throw invalid("it has \(data.count) bytes, fewer than the 8-byte header size")
        }
        let headerSize = data.prefix(8).enumerated().reduce(UInt64(0)) { sum, byte in
            sum | UInt64(byte.element) << (8 * UInt64(byte.offset))
        }
        guard headerSize <= UInt64(min(maximumHeaderBytes, data.count - 8)) else {
            throw invalid("the header size \(headerSize) exceeds the file size \(data.count) "
                + "or the limit of \(maximumHeaderBytes) bytes")
        }
        let headerStart = data.startIndex + 8
        let dataStart = headerStart + Int(headerSize)
        let header: [String: Any]
        do {
            let object = try JSONSerialization.jsonObject(with: data[headerStart..<dataStart])
            guard let dictionary = object as? [String: Any] else {
                throw invalid("the JSON header is not an object")
            }
            header = dictionary
        } catch let error as SafetensorsError {
            throw error
        } catch {
            throw invalid("the JSON header does not parse (\(error.localizedDescription))")
        }

        var file = SafetensorsFile()
        let dataLength = data.count - 8 - Int(headerSize)
        for (name, entry) in header {
            if name == "__metadata__" {
                guard let metadata = entry as? [String: String] else {
                    throw invalid("__metadata__ must map strings to strings")
                }
                file.metadata = metadata
                continue
            }
            guard let fields = entry as? [String: Any],
                  let dtype = fields["dtype"] as? String,
                  let shapeValues = fields["shape"] as? [Int],
                  let offsets = fields["data_offsets"] as? [Int], offsets.count == 2 else {
                throw invalid("tensor '\(name)' lacks a string dtype, an integer shape or two "
                    + "integer data_offsets")
            }
            guard let elementBytes = bytesPerElement(dtype) else {
                throw SafetensorsError.unsupportedDType(path: path, tensor: name, dtype: dtype)
            }
            let shape = TensorShape(shapeValues)
            guard shapeValues.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[0] <= offsets[1],
                  offsets[1] <= dataLength, offsets[1] - offsets[0] == shape.count * elementBytes
            else {
                throw invalid("tensor '\(name)' with dtype \(dtype) and shape \(shape) has "
                    + "data_offsets \(offsets), which do not fit its size or the \(dataLength) "
                    + "data bytes")
            }
            let bytes = data[(dataStart + offsets[0])..<(dataStart + offsets[1])]
            file.tensors[name] = StoredTensor(
                shape: shape, values: convertToFloat(bytes, dtype: dtype, count: shape.count))
        }
        return file
    }

    /// Encodes the complete file: header size, JSON header padded with spaces to a multiple of
    /// 8 bytes, then every tensor's fp32 data in name order.
    public func encoded() throws -> Data {
        var entries: [String: Any] = [:]
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            guard let tensor = tensors[name] else { continue }
            guard tensor.values.count == tensor.shape.count else {
                throw SafetensorsError.countMismatch(
                    tensor: name, shape: tensor.shape, count: tensor.values.count)
            }
            let byteCount = tensor.values.count * 4
            entries[name] = ["dtype": "F32", "shape": tensor.shape.dimensions,
                             "data_offsets": [offset, offset + byteCount]] as [String: Any]
            offset += byteCount
        }
        if !metadata.isEmpty {
            entries["__metadata__"] = metadata
        }
        var header = try JSONSerialization.data(withJSONObject: entries, options: [.sortedKeys])
        let padding = (8 - header.count % 8) % 8
        header.append(contentsOf: [UInt8](repeating: 0x20, count: padding))

        var output = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { output.append(contentsOf: $0) }
        output.append(header)
        for name in names {
            guard let values = tensors[name]?.values else { continue }
            appendLittleEndian(values, to: &output)
        }
        return output
    }

    /// Writes to a temporary file in the same folder, fsyncs it, renames it over `url`, then
    /// fsyncs the folder, so a crash leaves either the old file or the new one.
    public func write(to url: URL) throws {
        try AtomicFileWriter.write(try encoded(), to: url)
    }

    // MARK: - Element conversion

    private static func bytesPerElement(_ dtype: String) -> Int? {
        switch dtype {
        case "F32": return 4
        case "F64": return 8
        case "F16", "BF16": return 2
        default: return nil
        }
    }

    private static func convertToFloat(_ bytes: Data, dtype: String, count: Int) -> [Float] {
        var values = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            for index in 0..<count {
                switch dtype {
                case "F32":
                    let bits = raw.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self)
                    values[index] = Float(bitPattern: UInt32(littleEndian: bits))
                case "F64":
                    let bits = raw.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self)
                    values[index] = Float(Double(bitPattern: UInt64(littleEndian: bits)))
                case "BF16":
                    let bits = raw.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self)
                    values[index] = Float(bitPattern: UInt32(UInt16(littleEndian: bits)) << 16)
                default:
                    let bits = raw.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self)
                    values[index] = halfToFloat(UInt16(littleEndian: bits))
                }
            }
        }
        return values
    }

    /// IEEE 754 binary16 to fp32, subnormals included.
    private static func halfToFloat(_ bits: UInt16) -> Float {
        let sign: Float = bits & 0x8000 == 0 ? 1 : -1
        let exponent = Int((bits >> 10) & 0x1F)
        let fraction = Float(bits & 0x3FF)
        switch exponent {
        case 0: return sign * fraction * 0x1.0p-24
        case 31: return fraction == 0 ? sign * .infinity : .nan
        default: return sign * (1 + fraction / 1024) * Float(sign: .plus, exponent: exponent - 15,
                                                              significand: 1)
        }
    }

    private func appendLittleEndian(_ values: [Float], to output: inout Data) {
        var bytes = [UInt8](repeating: 0, count: values.count * 4)
        bytes.withUnsafeMutableBytes { raw in
            for (index, value) in values.enumerated() {
                raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: 4 * index,
                               as: UInt32.self)
            }
        }
        output.append(contentsOf: bytes)
    }
}

/// Replaces a file atomically: temporary file in the same folder, fsync, rename, fsync of the
/// folder.
enum AtomicFileWriter {
    static func write(_ data: Data, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(
            ".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw SafetensorsError.writeFailed(path: temporary.path, call: "open", errno: errno)
        }
        var succeeded = false
        defer {
            if !succeeded {
                unlink(temporary.path)
            }
        }
        do {
            defer { close(descriptor) }
            try writeAll(data, to: descriptor, path: temporary.path)
            guard fsync(descriptor) == 0 else {
                throw SafetensorsError.writeFailed(path: temporary.path, call: "fsync",
                                                   errno: errno)
            }
        }
        guard rename(temporary.path, url.path) == 0 else {
            throw SafetensorsError.writeFailed(path: url.path, call: "rename", errno: errno)
        }
        succeeded = true

        // The rename is durable once the folder's entry is on disk; a failure here leaves the
        // new file in place, so it is not reported.
        let folderDescriptor = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folderDescriptor >= 0 {
            _ = fsync(folderDescriptor)
            close(folderDescriptor)
        }
    }

    private static func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer,
                                    _ count: Int) -> Int {
        #if canImport(Glibc)
        return Glibc.write(descriptor, bytes, count)
        #else
        return Darwin.write(descriptor, bytes, count)
        #endif
    }

    private static func writeAll(_ data: Data, to descriptor: Int32, path: String) throws {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            guard let base = raw.baseAddress else { return }
            var written = 0
            while written < raw.count {
                let result = systemWrite(descriptor, base + written, raw.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    throw SafetensorsError.writeFailed(path: path, call: "write", errno: errno)
                }
                written += result
            }
        }
    }
}
