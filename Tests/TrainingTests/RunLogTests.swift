@testable import CycleGANTraining
import XCTest

final class RunLogTests: XCTestCase {
    private let referenceLosses: [(name: String, value: Float)] = [
        ("D_A", 0.25), ("G_A", 0.5), ("cycle_A", 1.125), ("idt_A", 0.0001234),
        ("D_B", 0.2), ("G_B", 0.75), ("cycle_B", 2), ("idt_B", 0.5625),
    ]

    private func record(total: Int, scale: Float = 1) -> LossRecord {
        LossRecord(epoch: 1 + total / 10, epochIteration: total % 10 + 1, totalIterations: total,
                   secondsPerIteration: 0.01234, dataSeconds: 0.0005,
                   losses: referenceLosses.map { ($0.name, $0.value * scale) })
    }

    func testLogLineFormat() {
        XCTAssertEqual(
            record(total: 12).logLine,
            "(epoch: 2, iters: 3, total: 12, time: 0.0123, data: 0.0005) D_A: 0.25 G_A: 0.5 "
                + "cycle_A: 1.125 idt_A: 0.0001234 D_B: 0.2 G_B: 0.75 cycle_B: 2 idt_B: 0.5625")
        var bad = record(total: 1)
        bad.lossValues[1] = .nan
        XCTAssertTrue(bad.logLine.contains("G_A: nan"), bad.logLine)
    }

    func testCSVRowRoundTrips() throws {
        let original = record(total: 7)
        let header = LossRecord.csvHeader(lossNames: original.lossNames)
        XCTAssertEqual(header, "epoch,epoch_iteration,total_iterations,seconds_per_iteration,"
            + "data_seconds,D_A,G_A,cycle_A,idt_A,D_B,G_B,cycle_B,idt_B")
        XCTAssertEqual(original.csvRow, "1,8,7,0.0123,0.0005,0.25,0.5,1.125,0.0001234,0.2,0.75,2,"
            + "0.5625")
        let columns = header.split(separator: ",").map(String.init)
        let parsed = try XCTUnwrap(LossRecord(csvRow: original.csvRow, header: columns))
        XCTAssertEqual(parsed.lossValues, original.lossValues)
        XCTAssertEqual(parsed.totalIterations, 7)
        XCTAssertNil(LossRecord(csvRow: "1,8,7,0.01", header: header.split(separator: ",")
            .map(String.init)), "a row cut short by a kill is skipped")
    }

    func testLossLogTrimsCSVOnResume() throws {
        let directory = try makeTemporaryDirectory(self, label: "losslog")
        do {
            let log = try LossLog(directory: directory, resumingAfter: nil)
            for total in [2, 4, 6, 8] {
                try log.append(record(total: total))
            }
        }
        var text = try String(contentsOf: directory.appendingPathComponent("loss_log.txt"),
                              encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("================ Training Loss ("), text)
        XCTAssertEqual(text.split(separator: "\n").filter { $0.hasPrefix("(epoch:") }.count, 4)
        XCTAssertEqual(try LossLog.readCSV(directory.appendingPathComponent("loss_log.csv"))
            .map { $0.totalIterations }, [2, 4, 6, 8])

        // A resume from a checkpoint at iteration 5 drops rows 6 and 8 of the CSV, so the
        // iterations the resumed run repeats appear once; the text log keeps its history.
        let resumed = try LossLog(directory: directory, resumingAfter: 5)
        XCTAssertEqual(resumed.records.map { $0.totalIterations }, [2, 4])
        try resumed.append(record(total: 6, scale: 2))
        XCTAssertEqual(try LossLog.readCSV(directory.appendingPathComponent("loss_log.csv"))
            .map { $0.totalIterations }, [2, 4, 6])
        text = try String(contentsOf: directory.appendingPathComponent("loss_log.txt"),
                          encoding: .utf8)
        XCTAssertTrue(text.contains("resumed after iteration 5"), text)
        XCTAssertEqual(text.split(separator: "\n").filter { $0.hasPrefix("(epoch:") }.count, 5)
    }

    func testWebIndexListsSheetsNewestFirstWithPlot() throws {
        let directory = try makeTemporaryDirectory(self, label: "web")
        let page = WebPage(directory: directory, title: "test <run>")
        try FileManager.default.createDirectory(at: page.imagesDirectory,
                                                withIntermediateDirectories: true)
        for total in [5, 10, 200] {
            let name = WebPage.sheetName(for: RunPosition(epoch: total / 100 + 1,
                                                          epochIteration: 1,
                                                          totalIterations: total))
            try Data([1]).write(to: page.imagesDirectory.appendingPathComponent(name))
        }
        try page.writeIndex(records: (1...50).map { record(total: $0) })
        let html = try String(contentsOf: page.indexURL, encoding: .utf8)
        XCTAssertTrue(html.contains("<title>test &lt;run&gt;</title>"), html)
        XCTAssertTrue(html.contains("<svg"), "no inline plot")
        XCTAssertEqual(html.components(separatedBy: "<polyline").count - 1, 8, "one line per loss")
        let order = ["iter_000000200_epoch_3.png", "iter_000000010_epoch_1.png",
                     "iter_000000005_epoch_1.png"].map { name in
            html.range(of: name).map { html.distance(from: html.startIndex, to: $0.lowerBound) }
        }
        XCTAssertFalse(order.contains(nil), "missing sheets: \(order)")
        XCTAssertEqual(order.compactMap { $0 }, order.compactMap { $0 }.sorted(),
                       "sheets not newest first")

        try page.removeSheets(after: 10)
        XCTAssertEqual(try page.sheets().map { $0.totalIterations }, [5, 10])
    }

    func testPlotAveragesLongRunsIntoBuckets() {
        let svg = lossPlotSVG(records: (1...5000).map { record(total: $0) }, maxPoints: 100)
        let firstLine = svg.components(separatedBy: "points=\"")[1]
            .components(separatedBy: "\"")[0]
        XCTAssertEqual(firstLine.split(separator: " ").count, 100)
        XCTAssertEqual(lossPlotSVG(records: []), "<p>No losses logged yet.</p>")
    }

    func testProgressLineShowsRateEtaAndLosses() {
        let line = ProgressLine(epoch: 2, lastEpoch: 5, iteration: 50, iterationsPerEpoch: 100,
                                iterationsPerSecond: 2.5, losses: Array(referenceLosses.prefix(2)),
                                terminalWidth: 200)
        XCTAssertEqual(line.text, "epoch 2/5 [##########----------] 50/100 2.50 it/s ETA 0:20 "
            + "D_A 0.250 G_A 0.500")
        XCTAssertEqual(duration(3725), "1:02:05")
    }
}
