@testable import CycleGANCompute
import XCTest

/// Breaking one kernel must make the CPU comparison fail, so the op tests and
/// `cyclegan verify` cannot pass with a wrong kernel. Each mutation edits a copy of Kernels/
/// that a backend reads through `kernelsDirectory` (the same path CYCLEGAN_KERNELS_DIR takes).
final class OpenCLBrokenKernelTests: XCTestCase {
    private struct Mutation {
        let file: String
        let original: String
        let replacement: String
        /// The ops whose cases must catch it.
        let ops: Set<VerifiedOp>
        /// Whether the kernel runs on this backend at all, for variants chosen by device type.
        var runs: (OpenCLBackend) -> Bool = { _ in true }
    }

    private let mutations = [
        Mutation(file: "conv2d.cl", original: "y[yOffset + index] = sum;",
                 replacement: "y[yOffset + index] = sum * 1.001f;", ops: [.conv2dForward]),
        Mutation(file: "conv2d.cl",
                 original: "sum += dy[dyOffset + (n * K + k) * pixels + oy * OW + ox]",
                 replacement: "sum -= dy[dyOffset + (n * K + k) * pixels + oy * OW + ox]",
                 ops: [.conv2dBackwardWeight]),
        Mutation(file: "conv2d.cl", original: "dw[target] = accumulate ? dw[target] + sum : sum;",
                 replacement: "dw[target] = accumulate ? dw[target] - sum : sum;",
                 ops: [.conv2dBackwardWeight],
                 runs: { $0.weightGradientVariant == .serial }),
        Mutation(file: "conv2d.cl", original: "db[dbOffset + k] = accumulate ?",
                 replacement: "db[dbOffset + k] = !accumulate ?", ops: [.conv2dBackwardWeight]),
        Mutation(file: "conv2d.cl", original: "y[target + 3 * plane] = sum.s3;",
                 replacement: "y[target + 3 * plane] = sum.s2;", ops: [.conv2dForward]),
        Mutation(file: "conv2d.cl", original: "dx[target + 2 * plane] = sum.s2;",
                 replacement: "dx[target + 2 * plane] = sum.s1;", ops: [.conv2dBackwardInput]),
        Mutation(file: "conv_transpose2d.cl", original: "y[target + plane] = sum.s1;",
                 replacement: "y[target + plane] = sum.s0;", ops: [.convTranspose2dForward]),
        Mutation(file: "conv_transpose2d.cl", original: "dx[target] = sum.s0;",
                 replacement: "dx[target] = -sum.s0;", ops: [.convTranspose2dBackwardInput]),
        Mutation(file: "conv_transpose2d.cl", original: "dx[dxOffset + index] = sum;",
                 replacement: "dx[dxOffset + index] = sum + 1e-3f;",
                 ops: [.convTranspose2dBackwardInput]),
        Mutation(file: "padding.cl", original: "if (i < 0) return -i;",
                 replacement: "if (i < 0) return -i - 1;", ops: [.reflectionPad2dForward]),
        Mutation(file: "instance_norm.cl", original: "group_sum(squares, scratch) / pixels;",
                 replacement: "group_sum(squares, scratch) / (pixels - 1);",
                 ops: [.instanceNormForward]),
        Mutation(file: "elementwise.cl", original: "(1.0f - value * value)",
                 replacement: "(1.0f - value)", ops: [.tanhBackward]),
        Mutation(file: "elementwise.cl", original: "vstore4(target + alpha * source",
                 replacement: "vstore4(target - alpha * source", ops: [.accumulate]),
        Mutation(file: "loss.cl", original: "difference < 0.0f ? -1.0f : 0.0f",
                 replacement: "difference < 0.0f ? -1.0f : 1.0f", ops: [.l1LossBackward]),
        Mutation(file: "loss.cl", original: "active > 0; active >>= 1",
                 replacement: "active > 1; active >>= 1", ops: [.mseLossForward]),
        Mutation(file: "adam.cl", original: "(1.0f - beta2) * (grad * grad)",
                 replacement: "(1.0f - beta2) * fabs(grad)", ops: [.adamUpdate]),
    ]

    func testEachBrokenKernelFailsComparison() throws {
        for mutation in mutations {
            let folder = try copyOfKernels()
            defer { try? FileManager.default.removeItem(at: folder) }
            let url = folder.appendingPathComponent(mutation.file)
            let source = try String(contentsOf: url, encoding: .utf8)
            guard source.contains(mutation.original) else {
                XCTFail("\(mutation.file) no longer contains '\(mutation.original)'; update the "
                    + "mutation so it still breaks a kernel")
                continue
            }
            try source.replacingOccurrences(of: mutation.original, with: mutation.replacement)
                .write(to: url, atomically: true, encoding: .utf8)

            // The op tests and `cyclegan verify` run both policies, so either may catch it.
            var failureCount = 0
            var ran = false
            for policy in [OpenCLBackend.KernelVariantPolicy.fastest, .baseline] {
                let backend = try makeOpenCLBackend(.init(kernelVariants: policy,
                                                          kernelsDirectory: folder))
                guard mutation.runs(backend) else { continue }
                ran = true
                let verifier = BackendVerifier(reference: CPUBackend(), candidate: backend)
                failureCount += cases(of: mutation.ops).enumerated().filter { index, testCase in
                    !verifier.verify(testCase, index: index).passed
                }.count
            }
            guard ran else { continue }
            XCTAssertGreaterThan(failureCount, 0, "replacing '\(mutation.original)' with "
                + "'\(mutation.replacement)' in \(mutation.file) went unnoticed by the "
                + "\(mutation.ops.map(\.rawValue).sorted()) cases")
        }
    }

    func testUnmodifiedCopyPasses() throws {
        let folder = try copyOfKernels()
        defer { try? FileManager.default.removeItem(at: folder) }
        let backend = try makeOpenCLBackend(.init(kernelsDirectory: folder))
        assertMatchesCPU(cases(of: [.conv2dForward, .l1LossBackward, .adamUpdate]), on: backend)
    }
}
