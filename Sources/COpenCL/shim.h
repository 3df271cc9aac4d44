// The target version must be defined here: Swift does not see defines passed from Package.swift.
// OpenCL 1.2 is the newest version every vendor driver (NVIDIA, AMD, Intel, PoCL) implements.
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
