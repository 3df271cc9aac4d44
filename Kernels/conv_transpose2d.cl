// ConvTranspose2d as PyTorch defines it, forward and backward, all by gathering: no zeros are
// inserted between input pixels and no work-item scatters into another's output.
//
// Layouts, each buffer passed with an element offset:
//   x: [N, C, H, W]  input           w: [C, K, KH, KW]  weight     b: [K]  bias, read only when
//   hasBias is nonzero (the host passes NULL otherwise)
//   y: [N, K, OH, OW] output, OH = (H - 1) * S - 2P + KH + OP, OW likewise; S stride, P padding,
//   OP output padding (extra rows and columns at the bottom and right).
// Input pixel (iy, ix) feeds output pixel (iy * S - P + ky, ix * S - P + kx) through kernel tap
// (ky, kx): the transposed convolution is the input-gradient of a convolution.
//
// conv_transpose2d_forward          one work-item per output element.
// conv_transpose2d_forward_cout4    four output channels of one pixel per work-item, so each
//                                   input value is read once for four products. Assumes K is a
//                                   multiple of 4.
// conv_transpose2d_backward_input   one work-item per input element; this is a plain convolution
//                                   of dy.
// conv_transpose2d_backward_input_cin4
//                                   four input channels of one pixel per work-item. Assumes C is
//                                   a multiple of 4.
// conv_transpose2d_backward_weight  one work-group per weight element, a strided share of the
//                                   N*H*W products per work-item and a local tree reduction, so
//                                   the sum is deterministic (no atomics).
// conv_transpose2d_backward_weight_serial
//                                   one work-item per weight element with a compensated (Kahan)
//                                   sum over all N*H*W products and no barriers, for CPU devices.
// The bias gradient is conv2d_backward_bias of conv2d.cl. The reduction assumes a local size of
// exactly GROUP_SIZE, a power of two.

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

__kernel void conv_transpose2d_forward(__global const float* x, const int xOffset,
                                       __global const float* w, const int wOffset,
                                       __global const float* b, const int bOffset,
                                       const int hasBias,
                                       __global float* y, const int yOffset,
                                       const int N, const int C, const int H, const int W,
                                       const int K, const int OH, const int OW,
                                       const int KH, const int KW, const int S, const int P) {
    const int index = get_global_id(0);
    if (index >= N * K * OH * OW) return;
    const int ox = index % OW;
    const int oy = (index / OW) % OH;
    const int k = (index / (OW * OH)) % K;
    const int n = index / (OW * OH * K);

    float sum = hasBias ? b[bOffset + k] : 0.0f;
    for (int ky = 0; ky < KH; ++ky) {
        const int ty = oy + P - ky;
        if (ty < 0 || ty % S != 0 || ty / S >= H) continue;
        const int iy = ty / S;
        for (int kx = 0; kx < KW; ++kx) {
            const int tx = ox + P - kx;
            if (tx < 0 || tx % S != 0 || tx / S >= W) continue;
            const int ix = tx / S;
            for (int c = 0; c < C; ++c) {
                sum += x[xOffset + ((n * C + c) * H + iy) * W + ix]
                    * w[wOffset + ((c * K + k) * KH + ky) * KW + kx];
            }
        }
    }
    y[yOffset + index] = sum;
}

// Global size >= N*(K/4)*OH*OW. The four sums run in the same order as
// conv_transpose2d_forward's.
__kernel void conv_transpose2d_forward_cout4(__global const float* x, const int xOffset,
                                             __global const float* w, const int wOffset,
                                             __global const float* b, const int bOffset,
                                             const int hasBias,
                                             __global float* y, const int yOffset,
                                             const int N, const int C, const int H, const int W,
                                             const int K, const int OH, const int OW,
                                             const int KH, const int KW, const int S,
                                             const int P) {
    const int groups = K / 4;
    const int index = get_global_id(0);
    if (index >= N * groups * OH * OW) return;
    const int ox = index % OW;
    const int oy = (index / OW) % OH;
    const int k = ((index / (OW * OH)) % groups) * 4;
    const int n = index / (OW * OH * groups);
    const int taps = KH * KW;

    float4 sum = hasBias ? vload4(0, b + bOffset + k) : (float4)(0.0f);
    for (int ky = 0; ky < KH; ++ky) {
        const int ty = oy + P - ky;
        if (ty < 0 || ty % S != 0 || ty / S >= H) continue;
        const int iy = ty / S;
        for (int kx = 0; kx < KW; ++kx) {
            const int tx = ox + P - kx;
            if (tx < 0 || tx % S != 0 || tx / S >= W) continue;
            const int ix = tx / S;
            for (int c = 0; c < C; ++c) {
                const int tap = wOffset + ((c * K + k) * KH + ky) * KW + kx;
                const float4 weights = (float4)(w[tap], w[tap + taps], w[tap + 2 * taps],
                                                w[tap + 3 * taps]);
                sum += x[xOffset + ((n * C + c) * H + iy) * W + ix] * weights;
            }
        }
    }
    const int plane = OH * OW;
    const int target = yOffset + ((n * K + k) * OH + oy) * OW + ox;
    y[target] = sum.s0;
    y[target + plane] = sum.s1;
    y[target + 2 * plane] = sum.s2;
    y[target + 3 * plane] = sum.s3;
}

__kernel void conv_transpose2d_backward_input(__global const float* dy, const int dyOffset,
                                              __global const float* w, const int wOffset,
                                              __global float* dx, const int dxOffset,
                                              const int N, const int C, const int H, const int W,
                                              const int K, const int OH, const int OW,
                                              const int KH, const int KW, const int S,
                                              const int P) {
    const int index = get_global_id(0);
    if (index >= N * C * H * W) return;
    const int ix = index % W;
    const int iy = (index / W) % H;
    const int c = (index / (W * H)) % C;
    const int n = index / (W * H * C);

    float sum = 0.0f;
    for (int k = 0; k < K; ++k) {
        const int dyPlane = dyOffset + (n * K + k) * OH * OW;
        const int wPlane = wOffset + (c * K + k) * KH * KW;
        for (int ky = 0; ky < KH; ++ky) {
            const int oy = iy * S - P + ky;
            if (oy < 0 || oy >= OH) continue;
            for (int kx = 0; kx < KW; ++kx) {
                const int ox = ix * S - P + kx;
                if (ox < 0 || ox >= OW) continue;
                sum += dy[dyPlane + oy * OW + ox] * w[wPlane + ky * KW + kx];
            }
        }
    }
    dx[dxOffset + index] = sum;
}

// Global size >= N*(C/4)*H*W. The four sums run in the same order as
// conv_transpose2d_backward_input's.
__kernel void conv_transpose2d_backward_input_cin4(__global const float* dy, const int dyOffset,
                                                   __global const float* w, const int wOffset,
                                                   __global float* dx, const int dxOffset,
                                                   const int N, const int C, const int H,
                                                   const int W, const int K, const int OH,
                                                   const int OW, const int KH, const int KW,
                                                   const int S, const int P) {
    const int groups = C / 4;
    const int index = get_global_id(0);
    if (index >= N * groups * H * W) return;
    const int ix = index % W;
    const int iy = (index / W) % H;
    const int c = ((index / (W * H)) % groups) * 4;
    const int n = index / (W * H * groups);
    const int wStride = K * KH * KW;

    float4 sum = (float4)(0.0f);
    for (int k = 0; k < K; ++k) {
        const int dyPlane = dyOffset + (n * K + k) * OH * OW;
        const int wPlane = wOffset + (c * K + k) * KH * KW;
        for (int ky = 0; ky < KH; ++ky) {
            const int oy = iy * S - P + ky;
            if (oy < 0 || oy >= OH) continue;
            for (int kx = 0; kx < KW; ++kx) {
                const int ox = ix * S - P + kx;
                if (ox < 0 || ox >= OW) continue;
                const int tap = wPlane + ky * KW + kx;
                const float4 weights = (float4)(w[tap], w[tap + wStride], w[tap + 2 * wStride],
                                                w[tap + 3 * wStride]);
                sum += dy[dyPlane + oy * OW + ox] * weights;
            }
        }
    }
    const int plane = H * W;
    const int target = dxOffset + ((n * C + c) * H + iy) * W + ix;
    dx[target] = sum.s0;
    dx[target + plane] = sum.s1;
    dx[target + 2 * plane] = sum.s2;
    dx[target + 3 * plane] = sum.s3;
}

// Global size: C*K*KH*KW work-groups of GROUP_SIZE.
__kernel void conv_transpose2d_backward_weight(__global const float* x, const int xOffset,
                                               __global const float* dy, const int dyOffset,
                                               __global float* dw, const int dwOffset,
                                               const int N, const int C, const int H,
                                               const int W, const int K, const int OH,
                                               const int OW, const int KH, const int KW,
                                               const int S, const int P,
                                               const int accumulate) {
    __local float scratch[GROUP_SIZE];
    const int weightIndex = get_group_id(0);
    const int kx = weightIndex % KW;
    const int ky = (weightIndex / KW) % KH;
    const int k = (weightIndex / (KW * KH)) % K;
    const int c = weightIndex / (KW * KH * K);
    const int valid = c < C;

    float sum = 0.0f;
    const int pixels = H * W;
    for (int j = get_local_id(0); valid && j < N * pixels; j += GROUP_SIZE) {
        const int n = j / pixels;
        const int iy = (j % pixels) / W;
        const int ix = j % W;
        const int oy = iy * S - P + ky;
        const int ox = ix * S - P + kx;
        if (oy < 0 || oy >= OH || ox < 0 || ox >= OW) continue;
        sum += x[xOffset + (n * C + c) * pixels + iy * W + ix]
            * dy[dyOffset + ((n * K + k) * OH + oy) * OW + ox];
    }
    const float total = group_sum(sum, scratch);
    if (valid && get_local_id(0) == 0) {
        const int target = dwOffset + weightIndex;
        dw[target] = accumulate ? dw[target] + total : total;
    }
}

// One work-item per weight element, any global size >= C*K*KH*KW.
__kernel void conv_transpose2d_backward_weight_serial(__global const float* x, const int xOffset,
                                                      __global const float* dy,
                                                      const int dyOffset,
                                                      __global float* dw, const int dwOffset,
                                                      const int N, const int C, const int H,
                                                      const int W, const int K, const int OH,
                                                      const int OW, const int KH, const int KW,
                                                      const int S, const int P,
                                                      const int accumulate) {
    const int weightIndex = get_global_id(0);
    if (weightIndex >= C * K * KH * KW) return;
    const int kx = weightIndex % KW;
    const int ky = (weightIndex / KW) % KH;
    const int k = (weightIndex / (KW * KH)) % K;
    const int c = weightIndex / (KW * KH * K);

    // Kahan summation: `compensation` carries the low-order bits each addition loses.
    float sum = 0.0f;
    float compensation = 0.0f;
    for (int n = 0; n < N; ++n) {
        __global const float* xPlane = x + xOffset + (n * C + c) * H * W;
        __global const float* dyPlane = dy + dyOffset + (n * K + k) * OH * OW;
        for (int iy = 0; iy < H; ++iy) {
            const int oy = iy * S - P + ky;
            if (oy < 0 || oy >= OH) continue;
            for (int ix = 0; ix < W; ++ix) {
                const int ox = ix * S - P + kx;
                if (ox < 0 || ox >= OW) continue;
                const float term = xPlane[iy * W + ix] * dyPlane[oy * OW + ox] - compensation;
                const float next = sum + term;
                compensation = (next - sum) - term;
                sum = next;
            }
        }
    }
    const int target = dwOffset + weightIndex;
    dw[target] = accumulate ? dw[target] + sum : sum;
}
