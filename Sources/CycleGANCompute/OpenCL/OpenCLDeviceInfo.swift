import COpenCL
import Foundation

/// One OpenCL device as the installed platforms report it.
///
/// `index` numbers the devices of all platforms in the order the ICD loader lists them; it is the
/// value `--device N` selects.
public struct OpenCLDeviceInfo: CustomStringConvertible {
    /// Device categories of CL_DEVICE_TYPE.
    public enum DeviceType: String, Sendable {
        case gpu = "GPU"
        case cpu = "CPU"
        case accelerator = "accelerator"
        case other = "other"
    }

    public let index: Int
    public let platformName: String
    public let name: String
    public let type: DeviceType
    /// CL_DEVICE_GLOBAL_MEM_SIZE in bytes.
    public let globalMemoryBytes: Int
    /// CL_DEVICE_MAX_MEM_ALLOC_SIZE in bytes: the largest single buffer the device accepts.
    public let maxAllocationBytes: Int
    public let computeUnits: Int
    /// CL_DEVICE_OPENCL_C_VERSION, for example "OpenCL C 1.2".
    public let openCLCVersion: String
    /// CL_DEVICE_MAX_WORK_GROUP_SIZE: the largest local size a kernel launch may use.
    public let maxWorkGroupSize: Int
    /// CL_DEVICE_LOCAL_MEM_SIZE in bytes.
    public let localMemoryBytes: Int

    let platformID: cl_platform_id
    let deviceID: cl_device_id

    public var description: String {
        "\(name) (\(type.rawValue), \(platformName))"
    }

    /// Lists every device of every OpenCL platform. Returns an empty array when no platform is
    /// installed (the ICD loader finds no .icd file).
    public static func all() throws -> [OpenCLDeviceInfo] {
        var devices: [OpenCLDeviceInfo] = []
        for platform in try platformIDs() {
            let platformName = try platformString(platform, cl_platform_info(CL_PLATFORM_NAME))
            for device in try deviceIDs(of: platform) {
                devices.append(try OpenCLDeviceInfo(index: devices.count, platform: platform,
                                                    platformName: platformName, device: device))
            }
        }
        return devices
    }

    /// Names of the installed OpenCL platforms, empty when the ICD loader finds none.
    public static func platformNames() throws -> [String] {
        try platformIDs().map { try platformString($0, cl_platform_info(CL_PLATFORM_NAME)) }
    }

    private static func platformIDs() throws -> [cl_platform_id] {
        var platformCount: cl_uint = 0
        let status = clGetPlatformIDs(0, nil, &platformCount)
        if status == platformNotFound || (status == CL_SUCCESS && platformCount == 0) {
            return []
        }
        try OpenCLStatus.check(status, "clGetPlatformIDs")
        var platforms = [cl_platform_id?](repeating: nil, count: Int(platformCount))
        try OpenCLStatus.check(clGetPlatformIDs(platformCount, &platforms, nil),
                               "clGetPlatformIDs")
        return platforms.compactMap { $0 }
    }

    private init(index: Int, platform: cl_platform_id, platformName: String,
                 device: cl_device_id) throws {
        self.index = index
        self.platformName = platformName
        self.platformID = platform
        self.deviceID = device
        name = try Self.deviceString(device, cl_device_info(CL_DEVICE_NAME))
        openCLCVersion = try Self.deviceString(device, cl_device_info(CL_DEVICE_OPENCL_C_VERSION))
        let typeBits: cl_device_type = try Self.deviceValue(device, cl_device_info(CL_DEVICE_TYPE))
        if typeBits & cl_device_type(CL_DEVICE_TYPE_GPU) != 0 {
            type = .gpu
        } else if typeBits & cl_device_type(CL_DEVICE_TYPE_CPU) != 0 {
            type = .cpu
        } else if typeBits & cl_device_type(CL_DEVICE_TYPE_ACCELERATOR) != 0 {
            type = .accelerator
        } else {
            type = .other
        }
        let globalMemory: cl_ulong = try Self.deviceValue(device,
                                                          cl_device_info(CL_DEVICE_GLOBAL_MEM_SIZE))
        let maxAllocation: cl_ulong = try Self.deviceValue(
            device, cl_device_info(CL_DEVICE_MAX_MEM_ALLOC_SIZE))
        let units: cl_uint = try Self.deviceValue(device,
                                                  cl_device_info(CL_DEVICE_MAX_COMPUTE_UNITS))
        let workGroup: Int = try Self.deviceValue(device,
                                                  cl_device_info(CL_DEVICE_MAX_WORK_GROUP_SIZE))
        let localMemory: cl_ulong = try Self.deviceValue(device,
                                                         cl_device_info(CL_DEVICE_LOCAL_MEM_SIZE))
        globalMemoryBytes = Int(clamping: globalMemory)
        maxAllocationBytes = Int(clamping: maxAllocation)
        computeUnits = Int(units)
        maxWorkGroupSize = workGroup
        localMemoryBytes = Int(clamping: localMemory)
    }

    /// CL_PLATFORM_NOT_FOUND_KHR from cl_ext.h, which the ICD loader returns when no platform is
    /// installed; the module imports only cl.h.
    private static let platformNotFound: cl_int = -1001

    private static func deviceIDs(of platform: cl_platform_id) throws -> [cl_device_id] {
        var count: cl_uint = 0
        let all = cl_device_type(CL_DEVICE_TYPE_ALL)
        let status = clGetDeviceIDs(platform, all, 0, nil, &count)
        if status == CL_DEVICE_NOT_FOUND || (status == CL_SUCCESS && count == 0) {
            return []
        }
        try OpenCLStatus.check(status, "clGetDeviceIDs")
        var ids = [cl_device_id?](repeating: nil, count: Int(count))
        try OpenCLStatus.check(clGetDeviceIDs(platform, all, count, &ids, nil), "clGetDeviceIDs")
        return ids.compactMap { $0 }
    }

    private static func platformString(_ platform: cl_platform_id,
                                       _ parameter: cl_platform_info) throws -> String {
        var size = 0
        try OpenCLStatus.check(clGetPlatformInfo(platform, parameter, 0, nil, &size),
                               "clGetPlatformInfo")
        var bytes = [CChar](repeating: 0, count: size + 1)
        try OpenCLStatus.check(clGetPlatformInfo(platform, parameter, size, &bytes, nil),
                               "clGetPlatformInfo")
        return trimmedString(bytes)
    }

    static func deviceString(_ device: cl_device_id, _ parameter: cl_device_info) throws -> String {
        var size = 0
        try OpenCLStatus.check(clGetDeviceInfo(device, parameter, 0, nil, &size),
                               "clGetDeviceInfo")
        var bytes = [CChar](repeating: 0, count: size + 1)
        try OpenCLStatus.check(clGetDeviceInfo(device, parameter, size, &bytes, nil),
                               "clGetDeviceInfo")
        return trimmedString(bytes)
    }

    static func deviceValue<Value: FixedWidthInteger>(_ device: cl_device_id,
                                                      _ parameter: cl_device_info) throws -> Value {
        var value: Value = 0
        try OpenCLStatus.check(
            clGetDeviceInfo(device, parameter, MemoryLayout<Value>.size, &value, nil),
            "clGetDeviceInfo")
        return value
    }

    private static func trimmedString(_ bytes: [CChar]) -> String {
        let text = bytes.withUnsafeBufferPointer { pointer in
            pointer.baseAddress.map { String(cString: $0) } ?? ""
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
