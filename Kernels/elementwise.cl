// Element-wise ops over flat fp32 arrays: activations forward and backward, add, accumulate
// (y += alpha x), scale, fill and copy.
//
// Layouts: every buffer is a flat array of `count` elements passed with an element offset; the
// shapes behind them do not matter. One work-item per element, any global size >= count.
// Outputs may alias inputs element for element (in-place use), because each work-item reads and
// writes only its own index.
//
// ReLU lets NaN through, as PyTorch does. Activation backward kernels take the forward output y,
// which determines the derivative: ReLU passes dy unless y <= 0, LeakyReLU scales dy by the
// slope where y <= 0 (the slope is >= 0, so y > 0 exactly when x > 0), tanh multiplies dy by
// 1 - y^2.
//
// *_vec4 variants process four elements per work-item with vload4/vstore4. They assume that
// every offset and `count` are multiples of 4 (the host checks) and take count / 4 work-items.

__kernel void relu_forward(__global const float* x, const int xOffset,
                           __global float* y, const int yOffset, const int count) {
    const int i = get_global_id(0);
    if (i >= count) return;
    const float value = x[xOffset + i];
    y[yOffset + i] = value < 0.0f ? 0.0f : value;
}

__kernel void relu_backward(__global const float* y, const int yOffset,
                            __global const float* dy, const int dyOffset,
                            __global float* dx, const int dxOffset, const int count) {
    const int i = get_global_id(0);
    if (i < count) dx[dxOffset + i] = y[yOffset + i] <= 0.0f ? 0.0f : dy[dyOffset + i];
}

__kernel void leaky_relu_forward(__global const float* x, const int xOffset,
                                 __global float* y, const int yOffset, const int count,
                                 const float slope) {
    const int i = get_global_id(0);
    if (i >= count) return;
    const float value = x[xOffset + i];
    y[yOffset + i] = value > 0.0f ? value : slope * value;
}

__kernel void leaky_relu_backward(__global const float* y, const int yOffset,
                                  __global const float* dy, const int dyOffset,
                                  __global float* dx, const int dxOffset, const int count,
                                  const float slope) {
    const int i = get_global_id(0);
    if (i >= count) return;
    const float grad = dy[dyOffset + i];
    dx[dxOffset + i] = y[yOffset + i] > 0.0f ? grad : slope * grad;
}

__kernel void tanh_forward(__global const float* x, const int xOffset,
                           __global float* y, const int yOffset, const int count) {
    const int i = get_global_id(0);
    if (i < count) y[yOffset + i] = tanh(x[xOffset + i]);
}

__kernel void tanh_backward(__global const float* y, const int yOffset,
                            __global const float* dy, const int dyOffset,
                            __global float* dx, const int dxOffset, const int count) {
    const int i = get_global_id(0);
    if (i >= count) return;
    const float value = y[yOffset + i];
    dx[dxOffset + i] = dy[dyOffset + i] * (1.0f - value * value);
}

// out = a + b
__kernel void add_forward(__global const float* a, const int aOffset,
                          __global const float* b, const int bOffset,
                          __global float* out, const int outOffset, const int count) {
    const int i = get_global_id(0);
    if (i < count) out[outOffset + i] = a[aOffset + i] + b[bOffset + i];
}

// y += alpha * x
__kernel void accumulate_forward(__global const float* x, const int xOffset,
                                 __global float* y, const int yOffset, const int count,
                                 const float alpha) {
    const int i = get_global_id(0);
    if (i < count) y[yOffset + i] += alpha * x[xOffset + i];
}

// y = alpha * x
__kernel void scale_forward(__global const float* x, const int xOffset,
                            __global float* y, const int yOffset, const int count,
                            const float alpha) {
    const int i = get_global_id(0);
    if (i < count) y[yOffset + i] = alpha * x[xOffset + i];
}

__kernel void fill_forward(__global float* y, const int yOffset, const int count,
                           const float value) {
    const int i = get_global_id(0);
    if (i < count) y[yOffset + i] = value;
}

__kernel void copy_forward(__global const float* x, const int xOffset,
                           __global float* y, const int yOffset, const int count) {
    const int i = get_global_id(0);
    if (i < count) y[yOffset + i] = x[xOffset + i];
}

// y += alpha * x, four elements per work-item; count and both offsets are multiples of 4.
__kernel void accumulate_forward_vec4(__global const float* x, const int xOffset,
                                      __global float* y, const int yOffset, const int count,
                                      const float alpha) {
    const int i = get_global_id(0);
    if (i >= count / 4) return;
    const float4 source = vload4(i, x + xOffset);
    const float4 target = vload4(i, y + yOffset);
    vstore4(target + alpha * source, i, y + yOffset);
}

// out = a + b, four elements per work-item; count and all offsets are multiples of 4.
__kernel void add_forward_vec4(__global const float* a, const int aOffset,
                               __global const float* b, const int bOffset,
                               __global float* out, const int outOffset, const int count) {
    const int i = get_global_id(0);
    if (i >= count / 4) return;
    vstore4(vload4(i, a + aOffset) + vload4(i, b + bOffset), i, out + outOffset);
}
