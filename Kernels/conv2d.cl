// Conv2d as PyTorch defines it (cross-correlation, zero padding), forward and backward.
//
// Layouts, each buffer passed with an element offset:
//   x: [N, C, H, W]  input           w: [K, C, KH, KW]  weight     b: [K]  bias, read only when
//   hasBias is nonzero (the host passes NULL otherwise)
//   y: [N, K, OH, OW] output, OH = (H + 2P - KH) / S + 1, OW likewise; S stride, P padding.
//
// conv2d_forward          one work-item per output element, any global size >= N*K*OH*OW.
// conv2d_forward_cout4    four output channels of one pixel per work-item, so each input value
//                         is read once for four products. Assumes K is a multiple of 4.
// conv2d_backward_input   one work-item per input element, gathering the outputs it fed.
// conv2d_backward_input_cin4
//                         four input channels of one pixel per work-item, so each output
//                         gradient is read once for four products. Assumes C is a multiple of 4.
// conv2d_backward_weight  one work-group per weight element: each work-item sums a strided share
//                         of the N*OH*OW products and a local tree reduction adds the shares, so
//                         the sum is deterministic (no atomics) and its rounding error grows with
//                         the share length, not with N*OH*OW.
// conv2d_backward_weight_serial
//                         one work-item per weight element, summing all N*OH*OW products in a
//                         compensated (Kahan) sum, so no barriers run. Meant for CPU devices,
//                         where work-group launches and barriers cost more than the arithmetic.
// conv2d_backward_bias    the same reduction over N*OH*OW per output channel; the transposed
//                         convolution uses it too.
// The reductions assume a local size of exactly GROUP_SIZE, a power of two.

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

__kernel void conv2d_forward(__global const float* x, const int xOffset,
                             __global const float* w, const int wOffset,
                             __global const float* b, const int bOffset, const int hasBias,
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
    for (int c = 0; c < C; ++c) {
        const int xPlane = xOffset + (n * C + c) * H * W;
        const int wPlane = wOffset + (k * C + c) * KH * KW;
        for (int ky = 0; ky < KH; ++ky) {
            const int iy = oy * S - P + ky;
            if (iy < 0 || iy >= H) continue;
            for (int kx = 0; kx < KW; ++kx) {
                const int ix = ox * S - P + kx;
                if (ix < 0 || ix >= W) continue;
                sum += x[xPlane + iy * W + ix] * w[wPlane + ky * KW + kx];
            }
        }
    }
    y[yOffset + index] = sum;
}

// Global size >= N*(K/4)*OH*OW. The four sums run in the same order as conv2d_forward's.
__kernel void conv2d_forward_cout4(__global const float* x, const int xOffset,
                                   __global const float* w, const int wOffset,
                                   __global const float* b, const int bOffset,
                                   const int hasBias,
                                   __global float* y, const int yOffset,
                                   const int N, const int C, const int H, const int W,
                                   const int K, const int OH, const int OW,
                                   const int KH, const int KW, const int S, const int P) {
    const int groups = K / 4;
    const int index = get_global_id(0);
    if (index >= N * groups * OH * OW) return;
    const int ox = index % OW;
    const int oy = (index / OW) % OH;
    const int k = ((index / (OW * OH)) % groups) * 4;
    const int n = index / (OW * OH * groups);
    const int wStride = C * KH * KW;

    float4 sum = hasBias ? vload4(0, b + bOffset + k) : (float4)(0.0f);
    for (int c = 0; c < C; ++c) {
        const int xPlane = xOffset + (n * C + c) * H * W;
        const int wPlane = wOffset + (k * C + c) * KH * KW;
        for (int ky = 0; ky < KH; ++ky) {
            const int iy = oy * S - P + ky;
            if (iy < 0 || iy >= H) continue;
            for (int kx = 0; kx < KW; ++kx) {
                const int ix = ox * S - P + kx;
                if (ix < 0 || ix >= W) continue;
                const int tap = wPlane + ky * KW + kx;
                const float4 weights = (float4)(w[tap], w[tap + wStride], w[tap + 2 * wStride],
                                                w[tap + 3 * wStride]);
                sum += x[xPlane + iy * W + ix] * weights;
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

__kernel void conv2d_backward_input(__global const float* dy, const int dyOffset,
                                    __global const float* w, const int wOffset,
                                    __global float* dx, const int dxOffset,
                                    const int N, const int C, const int H, const int W,
                                    const int K, const int OH, const int OW,
                                    const int KH, const int KW, const int S, const int P) {
    const int index = get_global_id(0);
    if (index >= N * C * H * W) return;
    const int ix = index % W;
    const int iy = (index / W) % H;
    const int c = (index / (W * H)) % C;
    const int n = index / (W * H * C);

    // Output row oy read input row iy through kernel row ky when oy * S - P + ky == iy.
    float sum = 0.0f;
    for (int ky = 0; ky < KH; ++ky) {
        const int ty = iy + P - ky;
        if (ty < 0 || ty % S != 0 || ty / S >= OH) continue;
        const int oy = ty / S;
        for (int kx = 0; kx < KW; ++kx) {
            const int tx = ix + P - kx;
            if (tx < 0 || tx % S != 0 || tx / S >= OW) continue;
            const int ox = tx / S;
            for (int k = 0; k < K; ++k) {
                sum += dy[dyOffset + ((n * K + k) * OH + oy) * OW + ox]
                    * w[wOffset + ((k * C + c) * KH + ky) * KW + kx];
            }
        }
    }
    dx[dxOffset + index] = sum;
}

// Global size >= N*(C/4)*H*W. The four sums run in the same order as conv2d_backward_input's.
__kernel void conv2d_backward_input_cin4(__global const float* dy, const int dyOffset,
                                         __global const float* w, const int wOffset,
                                         __global float* dx, const int dxOffset,
                                         const int N, const int C, const int H, const int W,
                                         const int K, const int OH, const int OW,
                                         const int KH, const int KW, const int S, const int P) {
    const int groups = C / 4;
    const int index = get_global_id(0);
    if (index >= N * groups * H * W) return;
    const int ix = index % W;
    const int iy = (index / W) % H;
    const int c = ((index / (W * H)) % groups) * 4;
    const int n = index / (W * H * groups);
    const int taps = KH * KW;

    float4 sum = (float4)(0.0f);
    for (int ky = 0; ky < KH; ++ky) {
        const int ty = iy + P - ky;
        if (ty < 0 || ty % S != 0 || ty / S >= OH) continue;
        const int oy = ty / S;
        for (int kx = 0; kx < KW; ++kx) {
            const int tx = ix + P - kx;
            if (tx < 0 || tx % S != 0 || tx / S >= OW) continue;
            const int ox = tx / S;
            for (int k = 0; k < K; ++k) {
                const int tap = wOffset + ((k * C + c) * KH + ky) * KW + kx;
                const float4 weights = (float4)(w[tap], w[tap + taps], w[tap + 2 * taps],
                                                w[tap + 3 * taps]);
                sum += dy[dyOffset + ((n * K + k) * OH + oy) * OW + ox] * weights;
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

// Global size: K*C*KH*KW work-groups of GROUP_SIZE.
__kernel void conv2d_backward_weight(__global const float* x, const int xOffset,
                                     __global const float* dy, const int dyOffset,
                                     __global float* dw, const int dwOffset,
                                     const int N, const int C, const int H, const int W,
                                     const int K, const int OH, const int OW,
                                     const int KH, const int KW, const int S, const int P,
                                     const int accumulate) {
    __local float scratch[GROUP_SIZE];
    const int weightIndex = get_group_id(0);
    const int kx = weightIndex % KW;
    const int ky = (weightIndex / KW) % KH;
    const int c = (weightIndex / (KW * KH)) % C;
    const int k = weightIndex / (KW * KH * C);
    const int valid = k < K;

    float sum = 0.0f;
    const int pixels = OH * OW;
    for (int j = get_local_id(0); valid && j < N * pixels; j += GROUP_SIZE) {
        const int n = j / pixels;
        const int oy = (j % pixels) / OW;
        const int ox = j % OW;
        const int iy = oy * S - P + ky;
        const int ix = ox * S - P + kx;
        if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
        sum += dy[dyOffset + (n * K + k) * pixels + oy * OW + ox]
            * x[xOffset + ((n * C + c) * H + iy) * W + ix];
    }
    const float total = group_sum(sum, scratch);
    if (valid && get_local_id(0) == 0) {
        const int target = dwOffset + weightIndex;
        dw[target] = accumulate ? dw[target] + total : total;
    }
}

// One work-item per weight element, any global size >= K*C*KH*KW.
__kernel void conv2d_backward_weight_serial(__global const float* x, const int xOffset,
                                            __global const float* dy, const int dyOffset,
                                            __global float* dw, const int dwOffset,
                                            const int N, const int C, const int H, const int W,
                                            const int K, const int OH, const int OW,
                                            const int KH, const int KW, const int S, const int P,
                                            const int accumulate) {
    const int weightIndex = get_global_id(0);
    if (weightIndex >= K * C * KH * KW) return;
    const int kx = weightIndex % KW;
    const int ky = (weightIndex / KW) % KH;
    const int c = (weightIndex / (KW * KH)) % C;
    const int k = weightIndex / (KW * KH * C);

    // Kahan summation: `compensation` carries the low-order bits each addition loses.
    float sum = 0.0f;
    float compensation = 0.0f;
    for (int n = 0; n < N; ++n) {
        __global const float* dyPlane = dy + dyOffset + (n * K + k) * OH * OW;
        __global const float* xPlane = x + xOffset + (n * C + c) * H * W;
        for (int oy = 0; oy < OH; ++oy) {
            const int iy = oy * S - P + ky;
            if (iy < 0 || iy >= H) continue;
            for (int ox = 0; ox < OW; ++ox) {
                const int ix = ox * S - P + kx;
                if (ix < 0 || ix >= W) continue;
                const float term = dyPlane[oy * OW + ox] * xPlane[iy * W + ix] - compensation;
                const float next = sum + term;
                compensation = (next - sum) - term;
                sum = next;
            }
        }
    }
    const int target = dwOffset + weightIndex;
    dw[target] = accumulate ? dw[target] + sum : sum;
}

// db[k] (+)= sum of dy[n, k, :, :] over n. Global size: K work-groups of GROUP_SIZE.
__kernel void conv2d_backward_bias(__global const float* dy, const int dyOffset,
                                   __global float* db, const int dbOffset,
                                   const int N, const int K, const int pixels,
                                   const int accumulate) {
    __local float scratch[GROUP_SIZE];
    const int k = get_group_id(0);
    const int valid = k < K;

    float sum = 0.0f;
    for (int j = get_local_id(0); valid && j < N * pixels; j += GROUP_SIZE) {
        const int n = j / pixels;
        sum += dy[dyOffset + (n * K + k) * pixels + j % pixels];
    }
    const float total = group_sum(sum, scratch);
    if (valid && get_local_id(0) == 0) {
        db[dbOffset + k] = accumulate ? db[dbOffset + k] + total : total;
    }
}
