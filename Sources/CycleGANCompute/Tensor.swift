/// Dimensions of a tensor, outermost first. Activations are NCHW `[N, C, H, W]`, convolution
/// weights `[out, in, kh, kw]` (transposed convolution `[in, out, kh, kw]`), biases `[C]`.
public struct TensorShape: Equatable, Hashable, CustomStringConvertible, Sendable {
    public var dimensions: [Int]

    public init(_ dimensions: [Int]) {
        self.dimensions = dimensions
    }

    public init(n: Int, c: Int, h: Int, w: Int) {
        self.dimensions = [n, c, h, w]
    }

    public var count: Int { dimensions.reduce(1, *) }
    public var rank: Int { dimensions.count }

    /// The four NCHW sizes; a shape of lower rank is padded with leading 1s.
    public var nchw: (n: Int, c: Int, h: Int, w: Int) {
        let padded = Array(repeating: 1, count: max(0, 4 - rank)) + dimensions
        let last4 = padded.suffix(4).map { $0 }
        let extra = padded.dropLast(4).reduce(1, *)
        return (extra * last4[0], last4[1], last4[2], last4[3])
    }

    public var description: String {
        "[" + dimensions.map(String.init).joined(separator: ", ") + "]"
    }
}

/// Device memory owned by one backend. Buffers return to the backend's pool when released.
public protocol DeviceBuffer: AnyObject {
    /// Capacity in 32-bit floats.
    var capacity: Int { get }
}

/// A view of `shape.count` contiguous fp32 values starting `offset` elements into a buffer.
///
/// Views share their buffer: a network's parameters are views into one flat buffer, and the
/// buffer stays alive (and out of the pool) while any view of it exists.
public struct Tensor: CustomStringConvertible {
    public let buffer: DeviceBuffer
    public let offset: Int
    public let shape: TensorShape

    public init(buffer: DeviceBuffer, offset: Int = 0, shape: TensorShape) {
        precondition(offset >= 0 && offset + shape.count <= buffer.capacity,
                     "view \(shape) at offset \(offset) exceeds buffer of \(buffer.capacity) floats")
        self.buffer = buffer
        self.offset = offset
        self.shape = shape
    }

    public var count: Int { shape.count }

    /// A view of `shape.count` elements starting `elementOffset` elements into this tensor.
    public func view(at elementOffset: Int, shape: TensorShape) -> Tensor {
        Tensor(buffer: buffer, offset: offset + elementOffset, shape: shape)
    }

    /// The same elements under another shape of equal count.
    public func reshaped(_ newShape: TensorShape) -> Tensor {
        precondition(newShape.count == count, "cannot reshape \(shape) to \(newShape)")
        return Tensor(buffer: buffer, offset: offset, shape: newShape)
    }

    /// Image `index` of a batch `[N, ...]` as a `[1, ...]` tensor.
    public func item(_ index: Int) -> Tensor {
        let perItem = count / shape.dimensions[0]
        var itemShape = shape.dimensions
        itemShape[0] = 1
        return view(at: index * perItem, shape: TensorShape(itemShape))
    }

    public var description: String { "Tensor\(shape)+\(offset)" }
}
