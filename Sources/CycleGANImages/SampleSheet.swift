import Foundation

/// A grid of images, each with a text label above it, for the sample sheets written during
/// training (rows such as real_A, fake_B, rec_A, idt_B and real_B, fake_A, rec_B, idt_A).
///
/// Layout: a dark background, `padding` pixels around and between cells; each cell is a label
/// band (the 5x7 font at `scale`, white) over its image. Rows may differ in length and image
/// size; the sheet is as wide as the widest row. Labels wider than their image are cut off at
/// a whole character.
public struct SampleSheet {
    struct Cell {
        let label: String
        let image: RGBImage
    }

    let rows: [[Cell]]
    /// Size of one font pixel in image pixels; nil chooses 1 for images narrower than 128
    /// pixels and 2 otherwise.
    public var fontScale: Int?
    public var padding = 4
    public var background: (red: UInt8, green: UInt8, blue: UInt8) = (24, 24, 24)
    public var textColor: (red: UInt8, green: UInt8, blue: UInt8) = (255, 255, 255)

    public init(rows: [[(label: String, image: RGBImage)]]) {
        self.rows = rows.map { row in row.map { Cell(label: $0.label, image: $0.image) } }
    }

    private var scale: Int {
        if let fontScale {
            return max(1, fontScale)
        }
        let narrowest = rows.joined().map(\.image.width).min() ?? 0
        return narrowest >= 128 ? 2 : 1
    }

    private var labelHeight: Int { BitmapFont.glyphHeight * scale + padding }

    /// Renders the sheet as one image.
    public func render() -> RGBImage {
        let rowWidths = rows.map { row in
            row.reduce(padding) { $0 + $1.image.width + padding }
        }
        let rowHeights = rows.map { row in
            row.isEmpty ? 0 : labelHeight + (row.map(\.image.height).max() ?? 0)
        }
        let width = max(rowWidths.max() ?? 0, 2 * padding, 1)
        let height = max(rowHeights.reduce(padding) { $0 + $1 + padding }, 1)
        var sheet = RGBImage(width: width, height: height, red: background.red,
                             green: background.green, blue: background.blue)

        var top = padding
        for (row, rowHeight) in zip(rows, rowHeights) {
            var left = padding
            for cell in row {
                BitmapFont.draw(cell.label, into: &sheet, x: left, y: top, scale: scale,
                                color: (textColor.red, textColor.green, textColor.blue),
                                maxX: left + cell.image.width)
                paste(cell.image, into: &sheet, x: left, y: top + labelHeight)
                left += cell.image.width + padding
            }
            top += rowHeight + padding
        }
        return sheet
    }

    /// Renders the sheet and writes it as a PNG, atomically (see RGBImage.writePNG(to:)).
    public func writePNG(to url: URL) throws {
        try render().writePNG(to: url)
    }

    private func paste(_ image: RGBImage, into sheet: inout RGBImage, x: Int, y: Int) {
        let rowBytes = image.width * 3
        for row in 0..<image.height {
            let source = row * rowBytes
            let target = ((y + row) * sheet.width + x) * 3
            sheet.pixels.replaceSubrange(target..<target + rowBytes,
                                         with: image.pixels[source..<source + rowBytes])
        }
    }
}
