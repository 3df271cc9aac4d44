@testable import CycleGANCompute
import COpenCL
import XCTest

/// Errors name the failing OpenCL call and status, show the build log, and report how much
/// memory was requested and which option to lower.
final class OpenCLErrorTests: XCTestCase {
    func testBuildFailureShowsLog() throws {
        let backend = try makeOpenCLBackend()
        let source = """
            __kernel void broken_forward(__global float* y) {
                y[get_global_id(0)] = undeclared_value;
            }
            """

        XCTAssertThrowsError(try backend.runtime.buildProgram(source: source, name: "broken.cl",
                                                              options: "-D GROUP_SIZE=64")) {
            error in
            guard case let ComputeError.buildFailed(program, options, log) = error else {
                return XCTFail("expected buildFailed, got \(error)")
            }
            XCTAssertEqual(program, "broken.cl")
            XCTAssertEqual(options, "-D GROUP_SIZE=64")
            XCTAssertTrue(log.contains("undeclared_value"),
                          "the build log should name the undeclared identifier: \(log)")
            XCTAssertTrue("\(error)".contains("Build log:"), "message: \(error)")
        }
    }

    func testBrokenKernelFileFailsAtFirstUse() throws {
        let folder = try copyOfKernels()
        defer { try? FileManager.default.removeItem(at: folder) }
        try "__kernel void fill_forward(".write(
            to: folder.appendingPathComponent("elementwise.cl"), atomically: true,
            encoding: .utf8)
        let backend = try makeOpenCLBackend(.init(kernelsDirectory: folder))
        let tensor = try backend.makeTensor(TensorShape([4]))

        XCTAssertThrowsError(try backend.fill(tensor, with: 1)) { error in
            guard case ComputeError.buildFailed(let program, _, let log) = error else {
                return XCTFail("expected buildFailed, got \(error)")
            }
            XCTAssertEqual(program, folder.appendingPathComponent("elementwise.cl").path)
            XCTAssertFalse(log.contains("tempfile"), "the log shows a temporary file: \(log)")
        }
    }

    func testOversizedTensorReportsBytesAndOption() throws {
        let backend = try makeOpenCLBackend()
        let count = backend.device.maxAllocationBytes / MemoryLayout<Float>.size + 1

        XCTAssertThrowsError(try backend.makeTensor(TensorShape([count]))) { error in
            guard case let ComputeError.outOfMemory(requested, deviceBytes, hint) = error else {
                return XCTFail("expected outOfMemory, got \(error)")
            }
            XCTAssertEqual(requested, count * MemoryLayout<Float>.size)
            XCTAssertEqual(deviceBytes, backend.device.globalMemoryBytes)
            XCTAssertTrue(hint.contains("--batch-size"), "hint: \(hint)")
            XCTAssertTrue(hint.contains("--crop-size"), "hint: \(hint)")
            XCTAssertTrue(hint.contains("--ngf"), "hint: \(hint)")
            XCTAssertTrue("\(error)".contains("\(requested) bytes"), "message: \(error)")
        }
    }

    func testAllocationAboveMaxAllocationIsRejectedBeforeAllocating() throws {
        let backend = try makeOpenCLBackend()
        let pool = backend.runtime.pool
        let floats = backend.device.maxAllocationBytes / MemoryLayout<Float>.size + 1
        let before = pool.allocationCount

        XCTAssertThrowsError(try pool.buffer(floatCount: floats)) { error in
            guard case let ComputeError.outOfMemory(requested, _, hint) = error else {
                return XCTFail("expected outOfMemory, got \(error)")
            }
            XCTAssertEqual(requested, floats * MemoryLayout<Float>.size)
            XCTAssertTrue(hint.contains("CL_DEVICE_MAX_MEM_ALLOC_SIZE"), "hint: \(hint)")
            XCTAssertTrue(hint.contains("--batch-size"), "hint: \(hint)")
        }
        XCTAssertEqual(pool.allocationCount, before)
    }

    func testStatusNamesComeFromTheTable() {
        XCTAssertEqual(OpenCLStatus.name(of: CL_INVALID_WORK_GROUP_SIZE),
                       "CL_INVALID_WORK_GROUP_SIZE")
        XCTAssertEqual(OpenCLStatus.name(of: CL_MEM_OBJECT_ALLOCATION_FAILURE),
                       "CL_MEM_OBJECT_ALLOCATION_FAILURE")
        XCTAssertEqual(OpenCLStatus.name(of: CL_OUT_OF_RESOURCES), "CL_OUT_OF_RESOURCES")
        XCTAssertEqual(OpenCLStatus.name(of: -1001), "CL_PLATFORM_NOT_FOUND_KHR")
        XCTAssertEqual(OpenCLStatus.name(of: -12345), "unknown OpenCL status")
    }

    func testFailedCallNamesCallAndStatus() {
        let status = CL_INVALID_KERNEL_ARGS
        XCTAssertThrowsError(try OpenCLStatus.check(status, "clEnqueueNDRangeKernel",
                                                    detail: "kernel conv2d_forward")) { error in
            XCTAssertEqual("\(error)", "clEnqueueNDRangeKernel failed with CL_INVALID_KERNEL_ARGS "
                + "(-52): kernel conv2d_forward")
        }
    }

    func testTensorFromAnotherBackendIsRejected() throws {
        let backend = try makeOpenCLBackend()
        let foreign = try CPUBackend().makeTensor(TensorShape([4]))
        let local = try backend.makeTensor(TensorShape([4]))

        XCTAssertThrowsError(try backend.copy(foreign, to: local)) { error in
            guard case ComputeError.shapeMismatch(_, let detail) = error else {
                return XCTFail("expected shapeMismatch, got \(error)")
            }
            XCTAssertTrue(detail.contains("not made by this OpenCL backend"), detail)
        }
    }

    func testKernelTimingReportsLaunchedKernels() throws {
        let backend = try makeOpenCLBackend(.init(kernelTiming: true))
        let tensor = try backend.makeTensor(TensorShape([1000]))
        try backend.fill(tensor, with: 2)
        try backend.scale(tensor, by: 3, output: tensor)

        let report = try backend.kernelTimingReport()
        XCTAssertTrue(report?.contains("fill_forward") == true, report ?? "no report")
        XCTAssertTrue(report?.contains("scale_forward") == true, report ?? "no report")
        XCTAssertEqual(try backend.read(tensor).first, 6)
    }
}

/// Copies the package's Kernels/ folder to a new temporary folder and returns its URL, for
/// tests that break one file.
func copyOfKernels() throws -> URL {
    let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("cyclegan-kernels-\(UUID().uuidString)")
    try FileManager.default.copyItem(at: packageKernelsDirectory, to: folder)
    return folder
}

/// Environment variables and device choices that are wrong are reported once, up front, with
/// the value and the fix.
final class BackendEnvironmentTests: XCTestCase {
    override func tearDown() {
        unsetenv(OpenCLBackend.KernelVariantPolicy.environmentVariable)
        unsetenv(KernelSource.environmentVariable)
    }

    func testMistypedKernelVariantIsRejected() {
        setenv(OpenCLBackend.KernelVariantPolicy.environmentVariable, "fastets", 1)
        XCTAssertThrowsError(try BackendSelection.make(kind: .auto, deviceIndex: nil)) { error in
            guard case ComputeError.invalidEnvironment(_, let value, _) = error else {
                return XCTFail("expected invalidEnvironment, got \(error)")
            }
            XCTAssertEqual(value, "fastets")
            XCTAssertTrue("\(error)".contains("'baseline' or 'fastest'"), "\(error)")
        }
    }

    func testMissingKernelsFolderIsReportedOnce() {
        setenv(KernelSource.environmentVariable, "/nonexistent/kernels", 1)
        XCTAssertThrowsError(try BackendSelection.validateEnvironment()) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("/nonexistent/kernels"), text)
            XCTAssertTrue(text.contains("no such folder"), text)
            XCTAssertFalse(text.contains("could not be completed"), text)
            XCTAssertFalse(text.contains(".."), text)
        }
        XCTAssertThrowsError(try OpenCLBackend(options: .init())) { error in
            guard case ComputeError.invalidEnvironment = error else {
                // Without any OpenCL device the device check fails first.
                if case ComputeError.noDevice = error { return }
                return XCTFail("expected invalidEnvironment, got \(error)")
            }
        }
    }

    func testDeviceWithoutAnyDeviceSuggestsDroppingIt() {
        XCTAssertThrowsError(try BackendSelection.plan(kind: .auto, deviceIndex: 0,
                                                       devices: [])) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("no OpenCL device was found"), text)
            XCTAssertTrue(text.contains("drop --device (or use --backend cpu)"), text)
            XCTAssertFalse(text.contains("does not exist"), text)
        }
    }

    func testDeviceIndexOutOfRangeListsValidIndices() throws {
        let devices = (try? OpenCLDeviceInfo.all()) ?? []
        guard !devices.isEmpty else { throw XCTSkip("no OpenCL device to index") }
        XCTAssertThrowsError(try BackendSelection.plan(kind: .opencl,
                                                       deviceIndex: devices.count,
                                                       devices: devices)) { error in
            XCTAssertTrue("\(error)".contains("valid indices: 0 to \(devices.count - 1)"),
                          "\(error)")
        }
    }

    func testBuildLogNamesRealSourceFile() {
        let log = "/root/.cache/pocl/kcache/tempfile_AbC123.cl:70:1: error: expected '}'"
        let named = OpenCLRuntime.namingSource(log,
                                               name: "/k/conv2d.cl (from CYCLEGAN_KERNELS_DIR)")
        XCTAssertEqual(named, "/k/conv2d.cl:70:1: error: expected '}'")
    }
}
