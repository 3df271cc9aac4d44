import CycleGANImages
import Foundation

/// The experiment's web/ folder: sample sheets in web/images and web/index.html, which lists
/// the sheets newest first under an inline SVG plot of the losses.
public struct WebPage {
    public let directory: URL
    public var title: String

    public init(directory: URL, title: String) {
        self.directory = directory
        self.title = title
    }

    public var imagesDirectory: URL { directory.appendingPathComponent("images") }
    public var indexURL: URL { directory.appendingPathComponent("index.html") }

    /// The sheet file name for a position; zero-padded so name order is iteration order.
    public static func sheetName(for position: RunPosition) -> String {
        String(format: "iter_%09d_epoch_%d.png", position.totalIterations, position.epoch)
    }

    /// Deletes sheets of iterations after `totalIterations`. A run stopped before its next
    /// checkpoint wrote them, and the resumed run writes them again.
    public func removeSheets(after totalIterations: Int) throws {
        for sheet in try sheets() where sheet.totalIterations > totalIterations {
            let url = imagesDirectory.appendingPathComponent(sheet.name)
            try FileOperationError.wrapping("delete", url) {
                try FileManager.default.removeItem(at: url)
            }
        }
    }

    /// Rewrites index.html (atomically) from the sheets on disk and `records`.
    public func writeIndex(records: [LossRecord]) throws {
        var html = """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>\(escape(title))</title>
            <style>body{font-family:sans-serif;margin:2em} img{image-rendering:pixelated;\
            max-width:100%} .sheet{margin-bottom:2em}</style></head><body>
            <h1>\(escape(title))</h1>

            """
        html += "<h2>Losses</h2>\n" + lossPlotSVG(records: records) + "\n"
        html += "<h2>Samples, newest first</h2>\n"
        html += "<p>Rows: real_A, fake_B, rec_A, idt_B / real_B, fake_A, rec_B, idt_A.</p>\n"
        for sheet in try sheets().reversed() {
            html += "<div class=\"sheet\"><h3>epoch \(sheet.epoch), total iteration "
                + "\(sheet.totalIterations)</h3>\n"
                + "<img src=\"images/\(escape(sheet.name))\" alt=\"samples at iteration "
                + "\(sheet.totalIterations)\"></div>\n"
        }
        html += "</body></html>\n"
        try AtomicFile.write(Data(html.utf8), to: indexURL)
    }

    /// Sheets in web/images sorted by iteration, oldest first.
    func sheets() throws -> [(name: String, totalIterations: Int, epoch: Int)] {
        guard FileManager.default.fileExists(atPath: imagesDirectory.path) else { return [] }
        let folder = imagesDirectory
        let names = try FileOperationError.wrapping("list the folder", folder) {
            try FileManager.default.contentsOfDirectory(atPath: folder.path)
        }
        let parsed = names.compactMap { name -> (name: String, totalIterations: Int, epoch: Int)? in
            guard name.hasPrefix("iter_"), name.hasSuffix(".png") else { return nil }
            let fields = name.dropLast(4).split(separator: "_")
            guard fields.count == 4, fields[2] == "epoch", let total = Int(fields[1]),
                  let epoch = Int(fields[3]) else { return nil }
            return (name, total, epoch)
        }
        return parsed.sorted { $0.totalIterations < $1.totalIterations }
    }
}

private let plotColors = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
]

/// An SVG line chart of every loss against the total iteration count. Long runs are averaged
/// into at most `maxPoints` buckets per line, so the page stays small.
func lossPlotSVG(records: [LossRecord], width: Int = 900, height: Int = 340,
                 maxPoints: Int = 600) -> String {
    guard let names = records.first?.lossNames, !names.isEmpty else {
        return "<p>No losses logged yet.</p>"
    }
    let left = 60.0, right = 150.0, top = 15.0, bottom = 40.0
    let plotWidth = Double(width) - left - right
    let plotHeight = Double(height) - top - bottom

    let bucketSize = max(1, (records.count + maxPoints - 1) / maxPoints)
    let buckets = stride(from: 0, to: records.count, by: bucketSize).map {
        Array(records[$0..<min(records.count, $0 + bucketSize)])
    }
    let xs = buckets.map { bucket in
        Double(bucket.map { $0.totalIterations }.reduce(0, +)) / Double(bucket.count)
    }
    let series = names.indices.map { index in
        buckets.map { bucket -> Double in
            let values = bucket.compactMap { record -> Double? in
                guard index < record.lossValues.count else { return nil }
                let value = Double(record.lossValues[index])
                return value.isFinite ? value : nil
            }
            return values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
        }
    }
    let xMin = xs.first ?? 0
    let xMax = max(xMin + 1, xs.last ?? 1)
    let yMax = max(1e-6, series.flatMap { $0 }.max() ?? 1)
    func x(_ value: Double) -> Double { left + (value - xMin) / (xMax - xMin) * plotWidth }
    func y(_ value: Double) -> Double { top + plotHeight - value / yMax * plotHeight }

    var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" "
        + "font-size=\"12\">\n"
    svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\" "
        + "fill=\"none\" stroke=\"#999\"/>\n"
    for tick in 0...4 {
        let yValue = yMax * Double(tick) / 4
        let xValue = xMin + (xMax - xMin) * Double(tick) / 4
        svg += "<text x=\"\(left - 6)\" y=\"\(format(y(yValue) + 4))\" text-anchor=\"end\">"
            + "\(String(format: "%.3g", yValue))</text>\n"
        svg += "<text x=\"\(format(x(xValue)))\" y=\"\(format(top + plotHeight + 16))\" "
            + "text-anchor=\"middle\">\(Int(xValue.rounded()))</text>\n"
    }
    svg += "<text x=\"\(format(left + plotWidth / 2))\" y=\"\(height - 6)\" "
        + "text-anchor=\"middle\">total iterations</text>\n"
    for (index, name) in names.enumerated() {
        let color = plotColors[index % plotColors.count]
        let points = zip(xs, series[index]).map { "\(format(x($0))),\(format(y($1)))" }
        svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\""
            + points.joined(separator: " ") + "\"/>\n"
        let legendY = top + 16 * Double(index) + 10
        svg += "<line x1=\"\(format(left + plotWidth + 12))\" y1=\"\(format(legendY - 4))\" "
            + "x2=\"\(format(left + plotWidth + 32))\" y2=\"\(format(legendY - 4))\" "
            + "stroke=\"\(color)\" stroke-width=\"2\"/>"
            + "<text x=\"\(format(left + plotWidth + 38))\" y=\"\(format(legendY))\">"
            + "\(escape(name))</text>\n"
    }
    return svg + "</svg>"
}

private func format(_ value: Double) -> String {
    String(format: "%.1f", value)
}

private func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;")
        .replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;")
        .replacingOccurrences(of: "\"", with: "&quot;")
}

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
