// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "CycleGAN",
    products: [
        .executable(name: "cyclegan", targets: ["cyclegan"]),
    ],
    targets: [
        // OpenCL headers and the ICD loader from Debian's ocl-icd-opencl-dev and opencl-headers.
        .systemLibrary(name: "COpenCL", path: "Sources/COpenCL"),
        // libpng and libjpeg-turbo behind functions that return error codes instead of longjmp.
        .target(
            name: "CImageCodec",
            path: "Sources/CImageCodec",
            linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("turbojpeg")]
        ),
        .executableTarget(name: "KernelEmbedder", path: "tools/KernelEmbedder"),
        .plugin(
            name: "EmbedKernels",
            capability: .buildTool(),
            dependencies: ["KernelEmbedder"],
            path: "tools/EmbedKernels"
        ),
        .target(
            name: "CycleGANCompute",
            dependencies: ["COpenCL"],
            path: "Sources/CycleGANCompute",
            plugins: ["EmbedKernels"]
        ),
        .target(
            name: "CycleGANImages",
            dependencies: ["CImageCodec", "CycleGANCompute"],
            path: "Sources/CycleGANImages"
        ),
        .target(
            name: "CycleGANTraining",
            dependencies: ["CycleGANCompute", "CycleGANImages"],
            path: "Sources/CycleGANTraining"
        ),
        .executableTarget(
            name: "cyclegan",
            dependencies: ["CycleGANCompute", "CycleGANImages", "CycleGANTraining"],
            path: "Sources/cyclegan"
        ),
        .testTarget(name: "ComputeTests", dependencies: ["CycleGANCompute"], path: "Tests/ComputeTests"),
        .testTarget(
            name: "ImagesTests",
            dependencies: ["CycleGANImages", "CImageCodec"],
            path: "Tests/ImagesTests",
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "TrainingTests",
            dependencies: ["CycleGANTraining", "CycleGANImages", "CycleGANCompute"],
            path: "Tests/TrainingTests"
        ),
    ],
    // Swift 5 mode: the backends share mutable state across Dispatch queues by design.
    swiftLanguageModes: [.v5]
)
