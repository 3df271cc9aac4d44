extension VerificationCases {
    /// Convolutions sized around the tiles of the `_tiled` kernels (Kernels/conv2d_tiled.cl:
    /// 32 channels by 64 pixels or weight columns, 16 reduction values per step, weight-gradient
    /// chunks of at least 256 values): channel counts 31, 32, 33, 63, 64 and 65, output planes of
    /// 63, 64 and 65 pixels per image, weight rows of C*KH*KW = 63 to 1,024, batches 1 and 2,
    /// strides 1 and 2, kernels 1, 3, 4 and 7, and views at offsets. The 7x7 case sums over
    /// 2,178 pixels, so its weight gradient splits into partial sums and reduces them.
    static var tiledConvolutionGrid: [ConvolutionCase] {
        [
            ConvolutionCase(batch: 2, inputChannels: 33, height: 8, width: 8, outputChannels: 31,
                            geometry: ConvolutionGeometry(kernel: 3, stride: 1, padding: 1),
                            offset: 5, name: "tiles"),
            ConvolutionCase(batch: 1, inputChannels: 63, height: 9, width: 7, outputChannels: 65,
                            geometry: ConvolutionGeometry(kernel: 1), name: "tiles"),
            ConvolutionCase(batch: 1, inputChannels: 32, height: 17, width: 17, outputChannels: 64,
                            geometry: ConvolutionGeometry(kernel: 4, stride: 2, padding: 1),
                            name: "tiles"),
            ConvolutionCase(batch: 2, inputChannels: 3, height: 33, width: 33, outputChannels: 16,
                            geometry: ConvolutionGeometry(kernel: 7, stride: 1, padding: 3),
                            offset: 2, name: "tiles split"),
            ConvolutionCase(batch: 2, inputChannels: 17, height: 13, width: 15, outputChannels: 33,
                            geometry: ConvolutionGeometry(kernel: 3, stride: 2, padding: 1),
                            hasBias: false, name: "tiles"),
        ]
    }

    /// Transposed convolutions sized around the same tiles: 31, 32, 33, 64 and 65 channels,
    /// outputs of 64 and 65 pixels per row of tiles, and weight gradients that sum over 512 and
    /// 1,156 input pixels, which split into partial sums.
    static var tiledTransposedConvolutionGrid: [ConvolutionCase] {
        [
            ConvolutionCase(batch: 2, inputChannels: 33, height: 4, width: 4, outputChannels: 31,
                            geometry: ConvolutionGeometry(kernel: 3, stride: 2, padding: 1,
                                                          outputPadding: 1),
                            offset: 3, name: "tiles"),
            ConvolutionCase(batch: 1, inputChannels: 64, height: 4, width: 4, outputChannels: 65,
                            geometry: ConvolutionGeometry(kernel: 4, stride: 2, padding: 1),
                            name: "tiles"),
            ConvolutionCase(batch: 2, inputChannels: 32, height: 16, width: 16, outputChannels: 3,
                            geometry: ConvolutionGeometry(kernel: 3, stride: 1, padding: 1),
                            hasBias: false, name: "tiles split"),
            ConvolutionCase(batch: 1, inputChannels: 5, height: 34, width: 34, outputChannels: 33,
                            geometry: ConvolutionGeometry(kernel: 1), offset: 1,
                            name: "tiles split"),
        ]
    }
}
