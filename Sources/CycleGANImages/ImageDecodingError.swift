/// A file that could not be used as an image: its path and the reason in plain words.
public struct ImageDecodingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What is wrong with the file.
    public enum Problem: Equatable, Sendable {
        /// The file is not a PNG or JPEG this decoder reads, or it could not be read.
        case undecodable
        /// The image decoded, but is smaller than the crop of a cropping preprocess mode.
        case smallerThanCrop(width: Int, height: Int, cropSize: Int)
        /// The image decoded, but after preprocessing a side is shorter than
        /// `DatasetConfiguration.minimumImageSize`.
        case smallerThanMinimum(width: Int, height: Int, outputWidth: Int, outputHeight: Int,
                                minimum: Int)
    }

    public let path: String
    public let reason: String
    public let problem: Problem

    public init(path: String, reason: String, problem: Problem = .undecodable) {
        self.path = path
        self.reason = reason
        self.problem = problem
    }

    public var description: String { "\(path): \(reason)" }
}
