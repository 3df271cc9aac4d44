import CycleGANImages
import Foundation

/// Sample sheets: the model's visuals of one iteration as a labelled PNG grid.
enum SampleSheets {
    /// Row layout of a sheet; identity images are absent when --lambda-identity is 0.
    static let rows = [
        ["real_A", "fake_B", "rec_A", "idt_B"],
        ["real_B", "fake_A", "rec_B", "idt_A"],
    ]

    /// Writes the sheet of the model's last iteration to `url` (atomically, as
    /// `SampleSheet.writePNG(to:)` writes).
    static func write(model: TrainableModel, to url: URL) throws {
        let visuals = try model.visuals()
        var byLabel: [String: RGBImage] = [:]
        for visual in visuals where byLabel[visual.label] == nil {
            let image = try RGBImage(tensorValues: visual.values, shape: visual.shape)
            byLabel[visual.label] = enlarged(image, toWidth: minimumTileWidth)
        }
        let sheetRows = rows.map { labels in
            labels.compactMap { label in byLabel[label].map { (label: label, image: $0) } }
        }
        try SampleSheet(rows: sheetRows).writePNG(to: url)
    }

    /// Smallest tile width; narrower images are enlarged so the labels above them fit.
    static let minimumTileWidth = 96

    /// Repeats each pixel an integer number of times in both directions (nearest neighbour), so
    /// `image` becomes at least `width` pixels wide without blurring.
    static func enlarged(_ image: RGBImage, toWidth width: Int) -> RGBImage {
        let factor = (width + image.width - 1) / max(1, image.width)
        guard factor > 1 else { return image }
        let newWidth = image.width * factor
        let newHeight = image.height * factor
        var pixels = [UInt8](repeating: 0, count: newWidth * newHeight * 3)
        for y in 0..<newHeight {
            for x in 0..<newWidth {
                let source = ((y / factor) * image.width + x / factor) * 3
                let target = (y * newWidth + x) * 3
                pixels[target] = image.pixels[source]
                pixels[target + 1] = image.pixels[source + 1]
                pixels[target + 2] = image.pixels[source + 2]
            }
        }
        return RGBImage(width: newWidth, height: newHeight, pixels: pixels)
    }
}
