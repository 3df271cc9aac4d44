import Foundation

/// The numbers of one print interval: where the run is, its timing and the losses of the
/// interval's last iteration by reference name (D_A, G_A, cycle_A, idt_A, D_B, G_B, cycle_B,
/// idt_B).
public struct LossRecord: Equatable {
    public var epoch: Int
    /// Iterations done in this epoch, counting this one.
    public var epochIteration: Int
    /// Iterations done since the start of training, counting this one.
    public var totalIterations: Int
    /// Mean seconds of computation per iteration over the interval, data loading excluded.
    public var secondsPerIteration: Double
    /// Mean seconds per iteration spent waiting for the data loader over the interval.
    public var dataSeconds: Double
    public var lossNames: [String]
    public var lossValues: [Float]

    public init(epoch: Int, epochIteration: Int, totalIterations: Int,
                secondsPerIteration: Double, dataSeconds: Double,
                losses: [(name: String, value: Float)]) {
        self.epoch = epoch
        self.epochIteration = epochIteration
        self.totalIterations = totalIterations
        self.secondsPerIteration = secondsPerIteration
        self.dataSeconds = dataSeconds
        self.lossNames = losses.map { $0.name }
        self.lossValues = losses.map { $0.value }
    }

    /// The loss_log.txt line, for example
    /// `(epoch: 1, iters: 5, total: 5, time: 0.0123, data: 0.0004) D_A: 0.25013 G_A: ...`.
    public var logLine: String {
        let position = "(epoch: \(epoch), iters: \(epochIteration), total: \(totalIterations), "
            + "time: \(formatSeconds(secondsPerIteration)), data: \(formatSeconds(dataSeconds)))"
        let losses = zip(lossNames, lossValues).map { "\($0): \(formatLoss($1))" }
        return ([position] + losses).joined(separator: " ")
    }

    /// The loss_log.csv row, with the same numbers as `logLine`.
    public var csvRow: String {
        ([String(epoch), String(epochIteration), String(totalIterations),
          formatSeconds(secondsPerIteration), formatSeconds(dataSeconds)]
            + lossValues.map(formatLoss)).joined(separator: ",")
    }

    static let csvPositionColumns = [
        "epoch", "epoch_iteration", "total_iterations", "seconds_per_iteration", "data_seconds",
    ]

    static func csvHeader(lossNames: [String]) -> String {
        (csvPositionColumns + lossNames).joined(separator: ",")
    }

    /// Parses a row written by `csvRow` under `header`; nil for a malformed row, such as a
    /// line cut short by a kill.
    init?(csvRow: String, header: [String]) {
        let fields = csvRow.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let positionCount = Self.csvPositionColumns.count
        guard fields.count == header.count, header.count >= positionCount,
              let epoch = Int(fields[0]), let epochIteration = Int(fields[1]),
              let total = Int(fields[2]), let seconds = Double(fields[3]),
              let data = Double(fields[4]) else { return nil }
        var losses: [(name: String, value: Float)] = []
        for (name, field) in zip(header.dropFirst(positionCount), fields.dropFirst(positionCount)) {
            guard let value = Float(field) else { return nil }
            losses.append((name, value))
        }
        self.init(epoch: epoch, epochIteration: epochIteration, totalIterations: total,
                  secondsPerIteration: seconds, dataSeconds: data, losses: losses)
    }
}

private func formatSeconds(_ seconds: Double) -> String {
    String(format: "%.4f", seconds)
}

private func formatLoss(_ value: Float) -> String {
    value.isFinite ? String(format: "%.5g", Double(value)) : String(describing: value)
}

/// loss_log.txt (one line per print interval, appended across resumes) and loss_log.csv (the
/// same numbers, one row per interval, for plots).
public final class LossLog {
    public let textURL: URL
    public let csvURL: URL
    /// Every record of the run so far, including those read back from an earlier run.
    public private(set) var records: [LossRecord] = []
    private let text: FileHandle
    private let csv: FileHandle
    private var csvHasHeader: Bool

    /// Opens both logs in `directory`. With `resumingAfter`, CSV rows past that total iteration
    /// count (written after the checkpoint a resumed run starts from) are dropped so the CSV
    /// and the plot hold each iteration once. Without it, a new run starts both files afresh.
    public init(directory: URL, resumingAfter resumeTotal: Int?, startDate: Date = Date()) throws {
        textURL = directory.appendingPathComponent("loss_log.txt")
        csvURL = directory.appendingPathComponent("loss_log.csv")
        if let resumeTotal {
            let kept = try Self.readCSV(csvURL).filter { $0.totalIterations <= resumeTotal }
            records = kept
            let names = kept.first?.lossNames
            let rows = kept.map { $0.csvRow }
            let body = names.map { ([LossRecord.csvHeader(lossNames: $0)] + rows) } ?? []
            try AtomicFile.write(Data(body.map { $0 + "\n" }.joined().utf8), to: csvURL)
            csvHasHeader = names != nil
        } else {
            try AtomicFile.write(Data(), to: csvURL)
            try AtomicFile.write(Data(), to: textURL)
            csvHasHeader = false
        }
        if !FileManager.default.fileExists(atPath: textURL.path) {
            try AtomicFile.write(Data(), to: textURL)
        }
        let (textURL, csvURL) = (self.textURL, self.csvURL)
        text = try FileOperationError.wrapping("open", textURL) {
            try FileHandle(forWritingTo: textURL)
        }
        csv = try FileOperationError.wrapping("open", csvURL) {
            try FileHandle(forWritingTo: csvURL)
        }
        try FileOperationError.wrapping("open", textURL) { try text.seekToEnd() }
        try FileOperationError.wrapping("open", csvURL) { try csv.seekToEnd() }

        let stamp = ISO8601DateFormatter().string(from: startDate)
        let resumed = resumeTotal.map { ", resumed after iteration \($0)" } ?? ""
        try write("================ Training Loss (\(stamp)\(resumed)) ================\n",
                  to: text, url: textURL)
    }

    deinit {
        try? text.close()
        try? csv.close()
    }

    /// Appends `record` to both files.
    public func append(_ record: LossRecord) throws {
        try write(record.logLine + "\n", to: text, url: textURL)
        if !csvHasHeader {
            try write(LossRecord.csvHeader(lossNames: record.lossNames) + "\n", to: csv,
                      url: csvURL)
            csvHasHeader = true
        }
        try write(record.csvRow + "\n", to: csv, url: csvURL)
        records.append(record)
    }

    /// Appends a free-form note, such as why the run stopped, to loss_log.txt.
    public func appendNote(_ note: String) throws {
        try write(note + "\n", to: text, url: textURL)
    }

    private func write(_ line: String, to handle: FileHandle, url: URL) throws {
        try FileOperationError.wrapping("write", url) {
            try handle.write(contentsOf: Data(line.utf8))
        }
    }

    /// Reads the records of a loss_log.csv, skipping malformed rows; empty when the file does
    /// not exist.
    static func readCSV(_ url: URL) throws -> [LossRecord] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        let contents = try FileOperationError.wrapping("read", url) {
            try String(contentsOf: url, encoding: .utf8)
        }
        let lines = contents.split(separator: "\n").map(String.init)
        guard let headerLine = lines.first else { return [] }
        let header = headerLine.split(separator: ",").map(String.init)
        return lines.dropFirst().compactMap { LossRecord(csvRow: $0, header: header) }
    }
}
