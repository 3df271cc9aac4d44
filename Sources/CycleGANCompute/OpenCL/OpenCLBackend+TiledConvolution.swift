/// The `_tiled` convolution kernels of Kernels/conv2d_tiled.cl: implicit matrix products staged
/// in local-memory tiles, with each work-item accumulating a block of outputs in registers.
///
/// The weight gradients split their sum over batch and pixels into chunks when the output alone
/// gives too few work-groups to fill the device. Each split writes partial products to a scratch
/// tensor from the pool, and a reduction kernel adds them in split order, so the result does not
/// depend on scheduling (no atomics).
struct TiledConvolutionConfiguration: Equatable {
    /// Output channels (or weight rows) per work-group.
    var tileM = 32
    /// Output pixels (or weight columns) per work-group.
    var tileN = 64
    /// Reduction values staged in local memory per step.
    var tileK = 16
    /// Rows each work-item accumulates.
    var workM = 4
    /// Columns each work-item accumulates.
    var workN = 4

    /// The local size the kernels require: (tileN / workN, tileM / workM).
    var localSize: [Int] { [tileN / workN, tileM / workM, 1] }

    /// Bytes of local memory one work-group stages.
    var localMemoryBytes: Int { (tileM + tileN) * tileK * MemoryLayout<Float>.size }

    /// The `-D` options that build the kernels with these sizes.
    var defines: [String: Int] {
        ["TILE_M": tileM, "TILE_N": tileN, "TILE_K": tileK, "WORK_M": workM, "WORK_N": workN]
    }

    /// Whether the kernel's own assumptions hold: whole work-item blocks of float4 columns, and
    /// a local size that is a multiple of tileN and tileK so the staging loops cover each tile
    /// exactly.
    var isConsistent: Bool {
        guard tileM % workM == 0, tileN % workN == 0, workN % 4 == 0 else { return false }
        let items = localSize[0] * localSize[1]
        return items % tileN == 0 && items % tileK == 0
    }
}

extension OpenCLBackend {
    /// The tile sizes for a product with `rows` output rows: tiles of 8 or 16 rows for layers
    /// with few channels (the last generator layer has 3), whose rows would otherwise be mostly
    /// padding, and 32 rows for the rest.
    func tiledConfiguration(rows: Int = .max) -> TiledConvolutionConfiguration {
        var configuration = TiledConvolutionConfiguration()
        if rows <= 8 {
            configuration.tileM = 8
            configuration.workM = 2
        } else if rows <= 16 {
            configuration.tileM = 16
        }
        return configuration
    }

    /// Returns whether the convolutions may take their `_tiled` kernels: the policy and the
    /// options allow them, and the device runs the required work-group size with the local
    /// memory the tiles need. Otherwise each op falls back to its other kernels.
    var usesTiledConvolution: Bool {
        let configuration = tiledConfiguration()
        let items = configuration.localSize.reduce(1, *)
        return kernelVariants == .fastest && allowsTiledConvolution && configuration.isConsistent
            && items <= device.maxWorkGroupSize
            && configuration.localMemoryBytes <= device.localMemoryBytes
    }

    /// Whether this backend's convolutions take the `_tiled` kernels where their shapes allow.
    public var usesTiledConvolutionKernels: Bool { usesTiledConvolution }

    /// Returns whether a forward or input-gradient product with `rows` output channels takes its
    /// `_tiled` kernel. Below 4 rows (the discriminator's last layer has 1, the generator's 3)
    /// each gathered value would feed at most 3 products, and the one-output-per-work-item
    /// kernels ran as fast or faster on PoCL (0.08 against 0.38 ms for 128 to 1 channels).
    func usesTiledProduct(rows: Int) -> Bool {
        usesTiledConvolution && rows >= 4
    }

    /// Enqueues a forward or input-gradient `_tiled` kernel that writes `rows` channels of
    /// N images of `height` x `width`. A kernel that gathers through the transpose with stride
    /// `phaseStride` runs one phase of the output pixels per index of global dimension 2; the
    /// largest phase has ceil(height / stride) x ceil(width / stride) pixels.
    func launchTiledProduct(_ kernel: String, arguments: [KernelArgument], rows: Int,
                            batch: Int, height: Int, width: Int, phaseStride: Int = 1) throws {
        let columns = batch * ceilDivide(height, phaseStride) * ceilDivide(width, phaseStride)
        guard rows > 0, columns > 0, phaseStride > 0 else { return }
        let configuration = tiledConfiguration(rows: rows)
        let local = configuration.localSize
        let global = [ceilDivide(columns, configuration.tileN) * local[0],
                      ceilDivide(rows, configuration.tileM) * local[1],
                      phaseStride * phaseStride]
        try runtime.launch(kernel, in: "conv2d_tiled.cl", defines: configuration.defines,
                           arguments: arguments, global: global, local: local)
    }

    /// Enqueues a `_tiled` weight gradient: `gradWeight` viewed as `rows` x `columns` (+)= the
    /// sum over `reduction` = N * pixels products, split into chunks when that adds parallelism.
    /// `arguments` are the kernel's (x, dy) tensors and sizes, before the output tensor.
    func launchTiledWeightGradient(_ kernel: String, inputs: [KernelArgument],
                                   sizes: [KernelArgument], gradWeight: Tensor, rows: Int,
                                   columns: Int, reduction: Int, accumulate: Bool) throws {
        guard rows > 0, columns > 0 else { return }
        let configuration = tiledConfiguration(rows: rows)
        let local = configuration.localSize
        let tiles = ceilDivide(rows, configuration.tileM) * ceilDivide(columns, configuration.tileN)
        let plan = WeightGradientSplit(tiles: tiles, reduction: reduction,
                                       computeUnits: device.computeUnits,
                                       tileK: configuration.tileK)
        let global = [ceilDivide(columns, configuration.tileN) * local[0],
                      ceilDivide(rows, configuration.tileM) * local[1], plan.splits]

        guard plan.splits > 1 else {
            try runtime.launch(kernel, in: "conv2d_tiled.cl", defines: configuration.defines,
                               arguments: inputs + [.tensor(gradWeight)] + sizes
                                   + [.int(accumulate ? 1 : 0), .int(plan.chunk)],
                               global: global, local: local)
            return
        }
        let partial = try makeTensor(TensorShape([plan.splits * gradWeight.count]))
        try runtime.launch(kernel, in: "conv2d_tiled.cl", defines: configuration.defines,
                           arguments: inputs + [.tensor(partial)] + sizes
                               + [.int(0), .int(plan.chunk)],
                           global: global, local: local)
        try launch("conv2d_backward_weight_reduce", in: "conv2d_tiled.cl",
                   arguments: [.tensor(partial),
                               .tensor(gradWeight),
                               .int(gradWeight.count),
                               .int(plan.splits),
                               .int(accumulate ? 1 : 0)],
                   count: gradWeight.count)
    }

    private func ceilDivide(_ value: Int, _ divisor: Int) -> Int {
        (value + divisor - 1) / divisor
    }
}

/// How a tiled weight gradient splits its sum over batch and pixels.
struct WeightGradientSplit: Equatable {
    /// Number of partial sums, one per index of global dimension 2.
    let splits: Int
    /// Reduction values per split, a multiple of tileK.
    let chunk: Int

    /// Aims for at least `groupsPerComputeUnit` work-groups per compute unit, and never splits
    /// the sum into chunks shorter than `minimumChunk` values, whose partial sums would cost more
    /// memory traffic than they save.
    init(tiles: Int, reduction: Int, computeUnits: Int, tileK: Int,
         groupsPerComputeUnit: Int = 4, minimumChunk: Int = 256, maximumSplits: Int = 64) {
        let targetGroups = max(1, computeUnits * groupsPerComputeUnit)
        let bySize = max(1, reduction / max(minimumChunk, tileK))
        let count = max(1, min((targetGroups + tiles - 1) / tiles, bySize, maximumSplits))
        let rawChunk = (reduction + count - 1) / count
        let chunk = max(tileK, (rawChunk + tileK - 1) / tileK * tileK)
        self.chunk = chunk
        splits = max(1, (reduction + chunk - 1) / chunk)
    }
}
