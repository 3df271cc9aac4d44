import CycleGANCompute
import CycleGANImages
import Foundation

/// Sample sheets: the model's visuals of one iteration as a labelled PNG grid.
enum SampleSheets {
    /// Row layout of a sheet; identity images are absent when --lambda-identity is 0.
    static let rows = [
        ["real_A", "fake_B", "rec_A", "idt_B"],
        ["real_B", "fake_A", "rec_B", "idt_A"],
    ]

    /// Writes the sheet of the model's last iteration to `url`, through a temporary file so a
    /// reader never sees half a PNG.
    static func write(model: TrainableModel, to url: URL) throws {
        let visuals = try model.visuals()
        var byLabel: [String: RGBImage] = [:]
        for visual in visuals where byLabel[visual.label] == nil {
            byLabel[visual.label] = try image(values: visual.values, shape: visual.shape,
                                              label: visual.label)
        }
        let sheetRows = rows.map { labels in
            labels.compactMap { label in byLabel[label].map { (label: label, image: $0) } }
        }
        let temporary = AtomicFile.temporaryURL(beside: url)
        do {
            try SampleSheet(rows: sheetRows).writePNG(to: temporary)
            try AtomicFile.rename(temporary, to: url)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    /// The first image of an NCHW batch in [-1, 1], as 8-bit RGB.
    static func image(values: [Float], shape: TensorShape, label: String) throws -> RGBImage {
        let (_, channels, height, width) = shape.nchw
        let plane = height * width
        guard channels == 3, values.count >= 3 * plane else {
            throw ComputeError.shapeMismatch(
                op: "sample sheet", detail: "visual \(label) has shape \(shape) and "
                    + "\(values.count) values; expected [N, 3, H, W]")
        }
        var pixels = [UInt8](repeating: 0, count: 3 * plane)
        for channel in 0..<3 {
            for index in 0..<plane {
                let value = (values[channel * plane + index] + 1) * 127.5
                let clamped = value.isFinite ? min(255, max(0, value.rounded())) : 0
                pixels[index * 3 + channel] = UInt8(clamped)
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
