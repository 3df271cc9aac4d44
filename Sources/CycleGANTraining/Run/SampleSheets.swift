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
            byLabel[visual.label] = try RGBImage(tensorValues: visual.values, shape: visual.shape)
        }
        let sheetRows = rows.map { labels in
            labels.compactMap { label in byLabel[label].map { (label: label, image: $0) } }
        }
        try SampleSheet(rows: sheetRows).writePNG(to: url)
    }
}
