@testable import CycleGANCompute
import Foundation
import XCTest

/// Opens an OpenCL backend for a test. Without a device the test is skipped with the reason,
/// except under CI=true, where a missing device is a failure.
func makeOpenCLBackend(_ options: OpenCLBackend.Options = OpenCLBackend.Options(),
                       file: StaticString = #filePath, line: UInt = #line) throws
    -> OpenCLBackend {
    do {
        return try OpenCLBackend(options: options)
    } catch ComputeError.noDevice(let message) {
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            XCTFail("CI=true requires an OpenCL device, but none was found: \(message)",
                    file: file, line: line)
            throw ComputeError.noDevice(message)
        }
        throw XCTSkip("no OpenCL device, so the OpenCL tests cannot run: \(message)")
    }
}

/// The package's Kernels/ folder, found from this file's path.
let packageKernelsDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Kernels")

/// Runs `cases` on `candidate` and the CPU reference and fails the test once per failing case,
/// with the verifier's report (max error, where it is, first mismatches).
func assertMatchesCPU(_ cases: [VerificationCase], on candidate: OpenCLBackend,
                      file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertFalse(cases.isEmpty, "no verification cases were selected", file: file, line: line)
    let verifier = BackendVerifier(reference: CPUBackend(), candidate: candidate)
    for (index, testCase) in cases.enumerated() {
        let result = verifier.verify(testCase, index: index)
        if !result.passed {
            XCTFail("\(testCase.op.rawValue) \(testCase.label) with "
                + "\(candidate.kernelVariants.rawValue) kernels:\n"
                + result.failures.joined(separator: "\n"), file: file, line: line)
        }
    }
}

/// Returns the verification cases of the ops in `ops`.
func cases(of ops: Set<VerifiedOp>) -> [VerificationCase] {
    VerificationCases.all().filter { ops.contains($0.op) }
}
