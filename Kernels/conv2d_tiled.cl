// Convolution and transposed convolution as implicit matrix products in local-memory tiles:
// the `_tiled` variants of the kernels in conv2d.cl and conv_transpose2d.cl.
//
// Layouts are those of conv2d.cl and conv_transpose2d.cl; every kernel takes the same arguments
// as its baseline (sizes N, C, H, W, K, OH, OW, KH, KW, S, P in the op's own terms).
//
// Forward and input-gradient kernels compute out[n, m, p] = sum over r of A[m, r] * B[r, n, p]:
// m is an output channel, p an output pixel, r = (source channel, ky, kx) and B gathers the
// source image through tap (ky, kx), never materialised. A work-group owns a TILE_M x TILE_N
// block of (m, n*p), stages TILE_K rows of A and B in local memory per step, and each work-item
// accumulates WORK_M x WORK_N outputs in registers: rows strided by the local height, so each
// A value is read by a whole row of work-items at once, and WORK_N adjacent columns held as
// float4 vectors, so CPU devices multiply four columns per instruction and GPUs load 16 bytes.
//
// conv2d_forward_tiled                 A = w[m, r], B gathers x directly.
// conv2d_backward_input_tiled          A = w[k, m, ky, kx], B gathers dy through the transpose,
//                                      one phase of output pixels per index of global
//                                      dimension 2 (see conv_product).
// conv_transpose2d_forward_tiled       A = w[c, m, ky, kx], B gathers x through the transpose,
//                                      one phase per index of global dimension 2.
// conv_transpose2d_backward_input_tiled
//                                      A = w[m, r], B gathers dy directly.
// conv2d_backward_weight_tiled         out[m, r] = sum over q of dy[n, m, q] * x gathered at q.
// conv_transpose2d_backward_weight_tiled
//                                      out[m, r] = sum over q of x[n, m, q] * dy gathered at q.
// conv2d_backward_weight_reduce        dw (+)= the sum of the split partial products, in order.
//
// The weight gradients split the sum over q = (n, pixel) into chunks of `chunk` values, one per
// index of global dimension 2. With one split they write dw directly (adding when accumulate is
// nonzero); with more they write partial products at out + split * M * R, and the reduce kernel
// adds them in split order. Every sum runs in a fixed order: results are deterministic.
//
// Each step first decomposes its TILE_K reduction indices (channel and tap, or image and pixel)
// into a small local table, so the staging loads do no integer division.
//
// Assumes: a local size of exactly (TILE_N / WORK_N, TILE_M / WORK_M), a local size that is a
// multiple of TILE_N and of TILE_K, and WORK_N a multiple of 4. Any tensor size works: loads
// outside the matrices read zero and stores outside them are skipped.

#ifndef TILE_M
#define TILE_M 32
#endif
#ifndef TILE_N
#define TILE_N 64
#endif
#ifndef TILE_K
#define TILE_K 16
#endif
#ifndef WORK_M
#define WORK_M 4
#endif
#ifndef WORK_N
#define WORK_N 4
#endif

#define LOCAL_N (TILE_N / WORK_N)
#define LOCAL_M (TILE_M / WORK_M)
#define LOCAL_SIZE (LOCAL_N * LOCAL_M)

#if LOCAL_SIZE % TILE_N != 0 || LOCAL_SIZE % TILE_K != 0 || WORK_N % 4 != 0
#error "needs a local size that is a multiple of TILE_N and TILE_K, and WORK_N a multiple of 4"
#endif

// The value of `plane` (SH x SW) that pixel (oy, ox) of a convolution's output reads through
// tap (ky, kx), zero outside the plane.
inline float gather(__global const float* plane, const int oy, const int ox, const int ky,
                    const int kx, const int SH, const int SW, const int S, const int P) {
    const int iy = oy * S - P + ky;
    const int ix = ox * S - P + kx;
    if (iy < 0 || iy >= SH || ix < 0 || ix >= SW) return 0.0f;
    return plane[iy * SW + ix];
}

// Multiplies the TILE_K rows staged in local memory into the work-item's accumulators: rows
// ty + i * LOCAL_M and the WORK_N adjacent columns from tx * WORK_N, four at a time.
#define MULTIPLY_STAGED_TILES()                                                      \
    for (int kk = 0; kk < TILE_K; ++kk) {                                            \
        float4 bv[WORK_N / 4];                                                       \
        for (int j = 0; j < WORK_N / 4; ++j) {                                       \
            bv[j] = vload4(0, Bs + kk * TILE_N + tx * WORK_N + 4 * j);               \
        }                                                                            \
        for (int i = 0; i < WORK_M; ++i) {                                           \
            const float a = As[kk * TILE_M + ty + i * LOCAL_M];                      \
            for (int j = 0; j < WORK_N / 4; ++j) acc[i][j] += a * bv[j];             \
        }                                                                            \
    }

// Clears the accumulators.
#define CLEAR_ACCUMULATORS()                                                         \
    float4 acc[WORK_M][WORK_N / 4];                                                  \
    for (int i = 0; i < WORK_M; ++i) {                                               \
        for (int j = 0; j < WORK_N / 4; ++j) acc[i][j] = (float4)(0.0f);             \
    }

// out[n, m, p] = bias[m] + sum over r of A[m, r] * B[r, n, p]. M output channels, SC source
// channels of SH x SW, destination planes of DH x DW. `swapped` reads the weight as
// [SC, M, KH, KW] instead of [M, SC, KH, KW].
//
// Through the transpose, destination pixel (oy, ox) reads only the taps with
// ky = (oy + P) mod S (mod S) and kx likewise, so a work-group takes one phase (py, px) =
// (oy mod S, ox mod S), global index 2 = py * S + px, and sums over that phase's taps alone:
// stride 2 skips the three quarters of the taps that would read zero. Directly, there is one
// phase holding every pixel and every tap.
inline void conv_product(__global const float* w, __global const float* src,
                         __global const float* b, const int hasBias, __global float* out,
                         const int N, const int M, const int SC, const int SH, const int SW,
                         const int DH, const int DW, const int KH, const int KW, const int S,
                         const int P, const int swapped, const int transposed,
                         __local float* As, __local float* Bs, __local int* rows) {
    const int step = transposed ? S : 1;
    const int py = get_group_id(2) / step;
    const int px = get_group_id(2) % step;
    const int ky0 = transposed ? (py + P) % S : 0;
    const int kx0 = transposed ? (px + P) % S : 0;
    const int phaseKH = (KH - ky0 + step - 1) / step;
    const int phaseKW = (KW - kx0 + step - 1) / step;
    const int phaseDH = (DH - py + step - 1) / step;
    const int phaseDW = (DW - px + step - 1) / step;
    const int taps = phaseKH * phaseKW;
    const int R = SC * taps;
    const int phasePlane = phaseDH * phaseDW;
    const int columns = N * phasePlane;
    const int tx = get_local_id(0);
    const int ty = get_local_id(1);
    const int lid = ty * LOCAL_N + tx;
    const int m0 = get_group_id(1) * TILE_M;
    const int p0 = get_group_id(0) * TILE_N;
    if (p0 >= columns) return;

    // The B column this work-item stages stays the same for the whole loop.
    const int loadColumn = lid % TILE_N;
    const int pB = p0 + loadColumn;
    const int columnValid = pB < columns;
    const int nB = columnValid ? pB / phasePlane : 0;
    const int oyB = py + step * ((pB % phasePlane) / phaseDW);
    const int oxB = px + step * (pB % phaseDW);
    __global const float* srcImage = src + nB * SC * SH * SW;

    CLEAR_ACCUMULATORS()
    for (int r0 = 0; r0 < R; r0 += TILE_K) {
        // Decompose this step's reduction rows once per work-group, not once per value.
        if (lid < TILE_K) {
            const int r = r0 + lid;
            rows[lid] = r < R ? r / taps : -1;
            rows[TILE_K + lid] = ky0 + step * ((r % taps) / phaseKW);
            rows[2 * TILE_K + lid] = kx0 + step * (r % phaseKW);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int e = lid; e < TILE_M * TILE_K; e += LOCAL_SIZE) {
            const int kk = e % TILE_K;
            const int m = m0 + e / TILE_K;
            const int c = rows[kk];
            float value = 0.0f;
            if (m < M && c >= 0) {
                value = w[((swapped ? c * M + m : m * SC + c) * KH + rows[TILE_K + kk]) * KW
                          + rows[2 * TILE_K + kk]];
            }
            As[kk * TILE_M + e / TILE_K] = value;
        }
        for (int kk = lid / TILE_N; kk < TILE_K; kk += LOCAL_SIZE / TILE_N) {
            const int c = rows[kk];
            float value = 0.0f;
            if (columnValid && c >= 0) {
                const int ky = rows[TILE_K + kk];
                const int kx = rows[2 * TILE_K + kk];
                // Through the transpose the division is exact: the phase picked the taps.
                const int iy = transposed ? (oyB + P - ky) / S : oyB * S - P + ky;
                const int ix = transposed ? (oxB + P - kx) / S : oxB * S - P + kx;
                if (iy >= 0 && iy < SH && ix >= 0 && ix < SW) {
                    value = srcImage[(c * SH + iy) * SW + ix];
                }
            }
            Bs[kk * TILE_N + loadColumn] = value;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        MULTIPLY_STAGED_TILES()
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    for (int i = 0; i < WORK_M; ++i) {
        const int m = m0 + ty + i * LOCAL_M;
        if (m >= M) continue;
        const float bias = hasBias ? b[m] : 0.0f;
        float values[WORK_N];
        for (int j = 0; j < WORK_N / 4; ++j) vstore4(acc[i][j], j, values);
        for (int j = 0; j < WORK_N; ++j) {
            const int p = p0 + tx * WORK_N + j;
            if (p >= columns) continue;
            const int pixel = p % phasePlane;
            const int oy = py + step * (pixel / phaseDW);
            const int ox = px + step * (pixel % phaseDW);
            out[(((p / phasePlane) * M + m) * DH + oy) * DW + ox] = values[j] + bias;
        }
    }
}

// out[m, r] (+)= sum over q in this split's chunk of A[n, m, q] * (src[n] gathered at q through
// tap r). M rows, SC source channels of SH x SW, grid of DH x DW pixels per image.
inline void weight_product(__global const float* a, __global const float* src,
                           __global float* out, const int accumulate, const int N, const int M,
                           const int SC, const int SH, const int SW, const int DH, const int DW,
                           const int KH, const int KW, const int S, const int P, const int chunk,
                           __local float* As, __local float* Bs, __local int* rows) {
    const int taps = KH * KW;
    const int R = SC * taps;
    const int plane = DH * DW;
    const int tx = get_local_id(0);
    const int ty = get_local_id(1);
    const int lid = ty * LOCAL_N + tx;
    const int m0 = get_group_id(1) * TILE_M;
    const int r0 = get_group_id(0) * TILE_N;
    const int split = get_group_id(2);
    const int qBegin = split * chunk;
    const int qEnd = min(qBegin + chunk, N * plane);

    // The B column (weight tap) this work-item stages stays the same for the whole loop.
    const int loadColumn = lid % TILE_N;
    const int rB = r0 + loadColumn;
    const int columnValid = rB < R;
    const int cB = rB / taps;
    const int kyB = (rB % taps) / KW;
    const int kxB = rB % KW;

    CLEAR_ACCUMULATORS()
    for (int q0 = qBegin; q0 < qEnd; q0 += TILE_K) {
        // Decompose this step's pixels once per work-group, not once per value.
        if (lid < TILE_K) {
            const int q = q0 + lid;
            rows[lid] = q < qEnd ? q / plane : -1;
            rows[TILE_K + lid] = (q % plane) / DW;
            rows[2 * TILE_K + lid] = q % DW;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int e = lid; e < TILE_M * TILE_K; e += LOCAL_SIZE) {
            const int kk = e % TILE_K;
            const int m = m0 + e / TILE_K;
            const int n = rows[kk];
            float value = 0.0f;
            if (m < M && n >= 0) {
                value = a[((n * M + m) * DH + rows[TILE_K + kk]) * DW + rows[2 * TILE_K + kk]];
            }
            As[kk * TILE_M + e / TILE_K] = value;
        }
        for (int kk = lid / TILE_N; kk < TILE_K; kk += LOCAL_SIZE / TILE_N) {
            const int n = rows[kk];
            float value = 0.0f;
            if (columnValid && n >= 0) {
                value = gather(src + (n * SC + cB) * SH * SW, rows[TILE_K + kk],
                               rows[2 * TILE_K + kk], kyB, kxB, SH, SW, S, P);
            }
            Bs[kk * TILE_N + loadColumn] = value;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        MULTIPLY_STAGED_TILES()
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    __global float* target = out + split * M * R;
    for (int i = 0; i < WORK_M; ++i) {
        const int m = m0 + ty + i * LOCAL_M;
        if (m >= M) continue;
        float values[WORK_N];
        for (int j = 0; j < WORK_N / 4; ++j) vstore4(acc[i][j], j, values);
        for (int j = 0; j < WORK_N; ++j) {
            const int r = r0 + tx * WORK_N + j;
            if (r >= R) continue;
            const int index = m * R + r;
            target[index] = accumulate ? target[index] + values[j] : values[j];
        }
    }
}

// Global size: (ceil(N*OH*OW / TILE_N) * LOCAL_N, ceil(K / TILE_M) * LOCAL_M).
__kernel __attribute__((reqd_work_group_size(LOCAL_N, LOCAL_M, 1)))
void conv2d_forward_tiled(__global const float* x, const int xOffset,
                          __global const float* w, const int wOffset,
                          __global const float* b, const int bOffset, const int hasBias,
                          __global float* y, const int yOffset,
                          const int N, const int C, const int H, const int W,
                          const int K, const int OH, const int OW,
                          const int KH, const int KW, const int S, const int P) {
    __local float As[TILE_K * TILE_M];
    __local float Bs[TILE_K * TILE_N];
    __local int rows[3 * TILE_K];
    conv_product(w + wOffset, x + xOffset, hasBias ? b + bOffset : b, hasBias, y + yOffset,
                 N, K, C, H, W, OH, OW, KH, KW, S, P, 0, 0, As, Bs, rows);
}

// Global size: (ceil(N*H*W / TILE_N) * LOCAL_N, ceil(C / TILE_M) * LOCAL_M).
__kernel __attribute__((reqd_work_group_size(LOCAL_N, LOCAL_M, 1)))
void conv2d_backward_input_tiled(__global const float* dy, const int dyOffset,
                                 __global const float* w, const int wOffset,
                                 __global float* dx, const int dxOffset,
                                 const int N, const int C, const int H, const int W,
                                 const int K, const int OH, const int OW,
                                 const int KH, const int KW, const int S, const int P) {
    __local float As[TILE_K * TILE_M];
    __local float Bs[TILE_K * TILE_N];
    __local int rows[3 * TILE_K];
    conv_product(w + wOffset, dy + dyOffset, dy, 0, dx + dxOffset,
                 N, C, K, OH, OW, H, W, KH, KW, S, P, 1, 1, As, Bs, rows);
}

// Global size: (ceil(N*OH*OW / TILE_N) * LOCAL_N, ceil(K / TILE_M) * LOCAL_M).
__kernel __attribute__((reqd_work_group_size(LOCAL_N, LOCAL_M, 1)))
void conv_transpose2d_forward_tiled(__global const float* x, const int xOffset,
                                    __global const float* w, const int wOffset,
                                    __global const float* b, const int bOffset,
                                    const int hasBias,
                                    __global float* y, const int yOffset,
                                    const int N, const int C, const int H, const int W,
                                    const int K, const int OH, const int OW,
                                    const int KH, const int KW, const int S, const int P) {
    __local float As[TILE_K * TILE_M];
    __local float Bs[TILE_K * TILE_N];
    __local int rows[3 * TILE_K];
    conv_product(w + wOffset, x + xOffset, hasBias ? b + bOffset : b, hasBias, y + yOffset,
                 N, K, C, H, W, OH, OW, KH, KW, S, P, 1, 1, As, Bs, rows);
}

// Global size: (ceil(N*H*W / TILE_N) * LOCAL_N, ceil(C / TILE_M) * LOCAL_M).
__kernel __attribute__((reqd_work_group_size(LOCAL_N, LOCAL_M, 1)))
void conv_transpose2d_backward_input_tiled(__global const float* dy, const int dyOffset,
                                           __global const float* w, const int wOffset,
                                           __global float* dx, const int dxOffset,
                                           const int N, const int C, const int H, const int W,
                                           const int K, const int OH, const int OW,
                                           const int KH, const int KW, const int S,
                                           const int P) {
    __local float As[TILE_K * TILE_M];
    __local float Bs[TILE_K * TILE_N];
    __local int rows[3 * TILE_K];
    conv_product(w + wOffset, dy + dyOffset, dy, 0, dx + dxOffset,
                 N, C, K, OH, OW, H, W, KH, KW, S, P, 0, 0, As, Bs, rows);
}

// Global size: (ceil(C*KH*KW / TILE_N) * LOCAL_N, ceil(K / TILE_M) * LOCAL_M, splits).
__kernel __attribute__((reqd_work_group_size(LOCAL_N, LOCAL_M, 1)))
void conv2d_backward_weight_tiled(__global const float* x, const int xOffset,
                                  __global const float* dy, const int dyOffset,
                                  __global float* out, const int outOffset,
                                  const int N, const int C, const int H, const int W,
                                  const int K, const int OH, const int OW,
                                  const int KH, const int KW, const int S, const int P,
                                  const int accumulate, const int chunk) {
    __local float As[TILE_K * TILE_M];
    __local float Bs[TILE_K * TILE_N];
    __local int rows[3 * TILE_K];
    weight_product(dy + dyOffset, x + xOffset, out + outOffset, accumulate,
                   N, K, C, H, W, OH, OW, KH, KW, S, P, chunk, As, Bs, rows);
}

// Global size: (ceil(K*KH*KW / TILE_N) * LOCAL_N, ceil(C / TILE_M) * LOCAL_M, splits).
__kernel __attribute__((reqd_work_group_size(LOCAL_N, LOCAL_M, 1)))
void conv_transpose2d_backward_weight_tiled(__global const float* x, const int xOffset,
                                            __global const float* dy, const int dyOffset,
                                            __global float* out, const int outOffset,
                                            const int N, const int C, const int H, const int W,
                                            const int K, const int OH, const int OW,
                                            const int KH, const int KW, const int S,
                                            const int P, const int accumulate,
                                            const int chunk) {
    __local float As[TILE_K * TILE_M];
    __local float Bs[TILE_K * TILE_N];
    __local int rows[3 * TILE_K];
    weight_product(x + xOffset, dy + dyOffset, out + outOffset, accumulate,
                   N, C, K, OH, OW, H, W, KH, KW, S, P, chunk, As, Bs, rows);
}

// dw[i] (+)= sum over s < splits of partial[s * count + i], in order of s. One work-item per
// weight element, any global size >= count.
__kernel void conv2d_backward_weight_reduce(__global const float* partial,
                                            const int partialOffset,
                                            __global float* dw, const int dwOffset,
                                            const int count, const int splits,
                                            const int accumulate) {
    const int index = get_global_id(0);
    if (index >= count) return;
    float sum = 0.0f;
    for (int s = 0; s < splits; ++s) {
        sum += partial[partialOffset + s * count + index];
    }
    const int target = dwOffset + index;
    dw[target] = accumulate ? dw[target] + sum : sum;
}
