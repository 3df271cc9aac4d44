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
// accumulates WORK_M x WORK_N outputs in registers, strided by the local size so local reads and
// global stores are contiguous across work-items.
//
// conv2d_forward_tiled                 A = w[m, r], B gathers x directly.
// conv2d_backward_input_tiled          A = w[k, m, ky, kx], B gathers dy through the transpose.
// conv_transpose2d_forward_tiled       A = w[c, m, ky, kx], B gathers x through the transpose.
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
// Assumes: a local size of exactly (TILE_N / WORK_N, TILE_M / WORK_M), and that the local size
// is a multiple of TILE_N and of TILE_K. Any tensor size works: loads outside the matrices read
// zero and stores outside them are skipped.

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

#if LOCAL_SIZE % TILE_N != 0 || LOCAL_SIZE % TILE_K != 0
#error "the local size (TILE_N / WORK_N) * (TILE_M / WORK_M) must be a multiple of TILE_N and TILE_K"
#endif

// The value of `plane` (SH x SW) that pixel (oy, ox) of the destination reads through tap
// (ky, kx): directly as a convolution reads its input, or through the transpose as the input
// gradient and the transposed convolution do. Zero outside the plane.
inline float gather(__global const float* plane, const int oy, const int ox, const int ky,
                    const int kx, const int SH, const int SW, const int S, const int P,
                    const int transposed) {
    int iy;
    int ix;
    if (transposed) {
        const int ty = oy + P - ky;
        const int tx = ox + P - kx;
        if (ty < 0 || tx < 0 || ty % S != 0 || tx % S != 0) return 0.0f;
        iy = ty / S;
        ix = tx / S;
    } else {
        iy = oy * S - P + ky;
        ix = ox * S - P + kx;
    }
    if (iy < 0 || iy >= SH || ix < 0 || ix >= SW) return 0.0f;
    return plane[iy * SW + ix];
}

// Multiplies the TILE_K rows staged in local memory into the work-item's accumulators.
#define MULTIPLY_STAGED_TILES()                                                   \
    for (int kk = 0; kk < TILE_K; ++kk) {                                         \
        float a[WORK_M];                                                          \
        float bv[WORK_N];                                                         \
        for (int i = 0; i < WORK_M; ++i) a[i] = As[kk * TILE_M + ty + i * LOCAL_M]; \
        for (int j = 0; j < WORK_N; ++j) bv[j] = Bs[kk * TILE_N + tx + j * LOCAL_N]; \
        for (int i = 0; i < WORK_M; ++i) {                                        \
            for (int j = 0; j < WORK_N; ++j) acc[i][j] += a[i] * bv[j];           \
        }                                                                         \
    }

// out[n, m, p] = bias[m] + sum over r of A[m, r] * B[r, n, p]. M output channels, SC source
// channels of SH x SW, destination planes of DH x DW. `swapped` reads the weight as
// [SC, M, KH, KW] instead of [M, SC, KH, KW].
inline void conv_product(__global const float* w, __global const float* src,
                         __global const float* b, const int hasBias, __global float* out,
                         const int N, const int M, const int SC, const int SH, const int SW,
                         const int DH, const int DW, const int KH, const int KW, const int S,
                         const int P, const int swapped, const int transposed,
                         __local float* As, __local float* Bs) {
    const int taps = KH * KW;
    const int R = SC * taps;
    const int plane = DH * DW;
    const int columns = N * plane;
    const int tx = get_local_id(0);
    const int ty = get_local_id(1);
    const int lid = ty * LOCAL_N + tx;
    const int m0 = get_group_id(1) * TILE_M;
    const int p0 = get_group_id(0) * TILE_N;

    // The B column this work-item stages stays the same for the whole loop.
    const int loadColumn = lid % TILE_N;
    const int pB = p0 + loadColumn;
    const int columnValid = pB < columns;
    const int nB = columnValid ? pB / plane : 0;
    const int oyB = (pB % plane) / DW;
    const int oxB = pB % DW;
    __global const float* srcImage = src + nB * SC * SH * SW;

    float acc[WORK_M][WORK_N];
    for (int i = 0; i < WORK_M; ++i) {
        for (int j = 0; j < WORK_N; ++j) acc[i][j] = 0.0f;
    }
    for (int r0 = 0; r0 < R; r0 += TILE_K) {
        for (int e = lid; e < TILE_M * TILE_K; e += LOCAL_SIZE) {
            const int kk = e % TILE_K;
            const int m = m0 + e / TILE_K;
            const int r = r0 + kk;
            float value = 0.0f;
            if (m < M && r < R) {
                value = swapped ? w[((r / taps) * M + m) * taps + r % taps] : w[m * R + r];
            }
            As[kk * TILE_M + e / TILE_K] = value;
        }
        for (int kk = lid / TILE_N; kk < TILE_K; kk += LOCAL_SIZE / TILE_N) {
            const int r = r0 + kk;
            float value = 0.0f;
            if (columnValid && r < R) {
                const int tap = r % taps;
                value = gather(srcImage + (r / taps) * SH * SW, oyB, oxB, tap / KW, tap % KW,
                               SH, SW, S, P, transposed);
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
        for (int j = 0; j < WORK_N; ++j) {
            const int p = p0 + tx + j * LOCAL_N;
            if (p >= columns) continue;
            out[((p / plane) * M + m) * plane + p % plane] = acc[i][j] + bias;
        }
    }
}

// out[m, r] (+)= sum over q in this split's chunk of A[n, m, q] * (src[n] gathered at q through
// tap r). M rows, SC source channels of SH x SW, grid of DH x DW pixels per image.
inline void weight_product(__global const float* a, __global const float* src,
                           __global float* out, const int accumulate, const int N, const int M,
                           const int SC, const int SH, const int SW, const int DH, const int DW,
                           const int KH, const int KW, const int S, const int P, const int chunk,
                           __local float* As, __local float* Bs) {
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

    float acc[WORK_M][WORK_N];
    for (int i = 0; i < WORK_M; ++i) {
        for (int j = 0; j < WORK_N; ++j) acc[i][j] = 0.0f;
    }
    for (int q0 = qBegin; q0 < qEnd; q0 += TILE_K) {
        for (int e = lid; e < TILE_M * TILE_K; e += LOCAL_SIZE) {
            const int kk = e % TILE_K;
            const int m = m0 + e / TILE_K;
            const int q = q0 + kk;
            float value = 0.0f;
            if (m < M && q < qEnd) {
                value = a[((q / plane) * M + m) * plane + q % plane];
            }
            As[kk * TILE_M + e / TILE_K] = value;
        }
        for (int kk = lid / TILE_N; kk < TILE_K; kk += LOCAL_SIZE / TILE_N) {
            const int q = q0 + kk;
            float value = 0.0f;
            if (columnValid && q < qEnd) {
                const int n = q / plane;
                const int pixel = q % plane;
                value = gather(src + (n * SC + cB) * SH * SW, pixel / DW, pixel % DW, kyB, kxB,
                               SH, SW, S, P, 0);
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
        for (int j = 0; j < WORK_N; ++j) {
            const int r = r0 + tx + j * LOCAL_N;
            if (r >= R) continue;
            const int index = m * R + r;
            target[index] = accumulate ? target[index] + acc[i][j] : acc[i][j];
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
    conv_product(w + wOffset, x + xOffset, hasBias ? b + bOffset : b, hasBias, y + yOffset,
                 N, K, C, H, W, OH, OW, KH, KW, S, P, 0, 0, As, Bs);
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
    conv_product(w + wOffset, dy + dyOffset, dy, 0, dx + dxOffset,
                 N, C, K, OH, OW, H, W, KH, KW, S, P, 1, 1, As, Bs);
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
    conv_product(w + wOffset, x + xOffset, hasBias ? b + bOffset : b, hasBias, y + yOffset,
                 N, K, C, H, W, OH, OW, KH, KW, S, P, 1, 1, As, Bs);
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
    conv_product(w + wOffset, dy + dyOffset, dy, 0, dx + dxOffset,
                 N, C, K, OH, OW, H, W, KH, KW, S, P, 0, 0, As, Bs);
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
    weight_product(dy + dyOffset, x + xOffset, out + outOffset, accumulate,
                   N, K, C, H, W, OH, OW, KH, KW, S, P, chunk, As, Bs);
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
    weight_product(x + xOffset, dy + dyOffset, out + outOffset, accumulate,
                   N, C, K, OH, OW, H, W, KH, KW, S, P, chunk, As, Bs);
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
