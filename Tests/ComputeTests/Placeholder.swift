import XCTest

final class ComputeTestsPlaceholder: XCTestCase {}
