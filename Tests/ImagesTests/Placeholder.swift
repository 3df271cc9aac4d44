import XCTest

final class ImagesTestsPlaceholder: XCTestCase {}
