// Instance normalization without affine parameters (PyTorch InstanceNorm2d, affine=False,
// track_running_stats=False), forward and backward.
//
// Layouts, each buffer passed with an element offset:
//   x, y, dy, dx: [N, C, H, W]    invStd: [N * C], one value per (n, c) plane.
// Forward, per plane: mean = sum(x) / HW; var = sum((x - mean)^2) / HW (biased, two passes for
// precision); invStd = 1 / sqrt(var + eps); y = (x - mean) * invStd.
// Backward, per plane, from the forward output y:
//   dx = invStd * (dy - mean(dy) - y * mean(dy * y)).
//
// Both kernels run one work-group of exactly GROUP_SIZE work-items (a power of two) per plane:
// global size planes * GROUP_SIZE, so no work-item is out of range. They never return early,
// because every work-item must reach each barrier (PoCL 3.1 crashed on an early return here).
// Each work-item sums a strided share of the plane and a local tree reduction adds the shares in
// a fixed order, so results are deterministic.

#ifndef GROUP_SIZE
#define GROUP_SIZE 256
#endif

// Sums `value` over the work-group and returns the total to every work-item.
float group_sum(float value, __local float* scratch) {
    const int lid = get_local_id(0);
    scratch[lid] = value;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int active = GROUP_SIZE / 2; active > 0; active >>= 1) {
        if (lid < active) scratch[lid] += scratch[lid + active];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float total = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return total;
}

__kernel void instance_norm_forward(__global const float* x, const int xOffset,
                                    __global float* y, const int yOffset,
                                    __global float* invStd, const int invStdOffset,
                                    const int planes, const int pixels, const float epsilon) {
    __local float scratch[GROUP_SIZE];
    const int plane = get_group_id(0);
    const int lid = get_local_id(0);
    __global const float* xPlane = x + xOffset + plane * pixels;
    __global float* yPlane = y + yOffset + plane * pixels;

    float sum = 0.0f;
    for (int i = lid; i < pixels; i += GROUP_SIZE) sum += xPlane[i];
    const float mean = group_sum(sum, scratch) / pixels;

    float squares = 0.0f;
    for (int i = lid; i < pixels; i += GROUP_SIZE) {
        const float centered = xPlane[i] - mean;
        squares += centered * centered;
    }
    const float variance = group_sum(squares, scratch) / pixels;
    const float scale = 1.0f / sqrt(variance + epsilon);

    for (int i = lid; i < pixels; i += GROUP_SIZE) yPlane[i] = (xPlane[i] - mean) * scale;
    if (lid == 0) invStd[invStdOffset + plane] = scale;
}

__kernel void instance_norm_backward(__global const float* dy, const int dyOffset,
                                     __global const float* y, const int yOffset,
                                     __global const float* invStd, const int invStdOffset,
                                     __global float* dx, const int dxOffset,
                                     const int planes, const int pixels) {
    __local float scratch[GROUP_SIZE];
    const int plane = get_group_id(0);
    const int lid = get_local_id(0);
    __global const float* dyPlane = dy + dyOffset + plane * pixels;
    __global const float* yPlane = y + yOffset + plane * pixels;
    __global float* dxPlane = dx + dxOffset + plane * pixels;

    float gradSum = 0.0f;
    float productSum = 0.0f;
    for (int i = lid; i < pixels; i += GROUP_SIZE) {
        gradSum += dyPlane[i];
        productSum += dyPlane[i] * yPlane[i];
    }
    const float meanGrad = group_sum(gradSum, scratch) / pixels;
    const float meanProduct = group_sum(productSum, scratch) / pixels;
    const float scale = invStd[invStdOffset + plane];

    for (int i = lid; i < pixels; i += GROUP_SIZE) {
        dxPlane[i] = scale * (dyPlane[i] - meanGrad - yPlane[i] * meanProduct);
    }
}
